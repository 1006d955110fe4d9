"""The graph node: one `Function` subclass per op, PyTorch's grad_fn.

An op is defined once, on its subclass: `name` (PyTorch's grad_fn name),
`forward` on NumPy arrays, `backward` from the incoming gradient. `backward`
is written with operators and `Op.call(...)`, which act on arrays during an
ordinary backward and on Tensors (recording a graph) under
`create_graph=True` — so every order of derivative comes from the same rule.

`saves` lists what backward needs (input positions, and "out" for the
result). Only nodes that save something refuse a second backward after their
saved values were freed, which is exactly PyTorch's rule. Un-broadcasting
and dtype restoring of gradients happen in one place (`fix_grads`).
"""

from __future__ import annotations

import weakref

import numpy as np

from gradcli.engine import limits
from gradcli.engine.grad_mode import state
from gradcli.engine.tensor import Tensor
from gradcli.errors import AutogradError, NumericError


class Function:
    name = "Function"
    saves: tuple = ()
    pairwise = False  # two inputs, each saved only to differentiate the other (Mul, Div, Mm)
    broadcasts = False  # elementwise with broadcasting: grads summed back to input shapes
    rule = ""  # the local derivative in symbols, for --explain and the ledger

    __slots__ = ("next_functions", "output", "out_shape", "out_dtype", "__dict__")
    # set on the instance only when they differ, which keeps recording an op cheap
    inputs = None
    out = None
    versions = ()
    fix = None
    freed = False
    retained = None
    _saved_inputs: tuple = ()
    _saves_out = False

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls._saved_inputs = tuple(i for i in cls.saves if isinstance(i, int))
        cls._saves_out = "out" in cls.saves
        cls._scratch = cls.__new__(cls)  # `call` on arrays runs forward on this throwaway instance

    @classmethod
    def apply(cls, *inputs, **params) -> Tensor:
        fn = cls.__new__(cls)
        out = fn.forward(*[x.array if type(x) is Tensor else x for x in inputs], **params)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if out.size > limits.max_elements:
            limits.refuse(out.shape)
        if state.anomaly:
            _check_finite(cls, inputs, out)
        if state.enabled:
            edges = []
            tracked = False
            for x in inputs:
                if type(x) is Tensor:
                    node = x.grad_fn
                    if node is not None:
                        edges.append((node, 0))
                        tracked = True
                        continue
                    if x.requires_grad:
                        node = x._accumulator
                        if node is None:
                            node = x._accumulator = AccumulateGrad(x)
                        edges.append((node, 0))
                        tracked = True
                        continue
                edges.append(NO_EDGE)
            if tracked:
                return fn._record(tuple(edges), inputs, out)
        return Tensor(out)

    def _record(self, edges: tuple, inputs: tuple, out: np.ndarray) -> Tensor:
        """Make this node the grad_fn of a new result tensor, keeping what backward needs."""
        cls = type(self)
        self.next_functions = edges
        if cls.broadcasts:
            shape, dtype = out.shape, out.dtype
            for x in inputs:  # the common case, all alike, decided without a call
                if type(x) is Tensor and (x.array.shape != shape or x.array.dtype != dtype):
                    fix = _needs_fixing(inputs, out)
                    if fix is not None:
                        self.fix = fix
                    break
        result = Tensor(out, True, self)
        if cls.saves:
            self.inputs = inputs
            versions = []
            for i in cls._saved_inputs:
                x = inputs[i]
                if type(x) is Tensor and (not cls.pairwise or _requires_grad(inputs[1 - i])):
                    versions.append((x, x._version[0]))
            if cls._saves_out:
                self.out = out
                versions.append((result, 0))
            self.versions = versions
        self.output = weakref.ref(result)  # for diagrams: the tensor this node made, while it lives
        self.out_shape = out.shape
        self.out_dtype = out.dtype
        return result

    @classmethod
    def call(cls, *args, **params):
        """Apply to Tensors (recording the graph) or run forward directly on arrays.

        Backward rules use this, so one rule serves ordinary and create_graph backward."""
        for a in args:
            if type(a) is Tensor:
                return cls.apply(*args, **params)
        return cls.forward(cls._scratch, *args, **params)

    def needs(self, i: int) -> bool:
        """Whether input i wants a gradient (skips work for constants)."""
        return self.next_functions[i][0] is not None

    def forward(self, *arrays, **params):  # pragma: no cover - every op defines it
        raise AutogradError(f"{type(self).__name__} has no forward")

    def backward(self, grad, *saved):  # pragma: no cover - every op defines it
        raise AutogradError(f"{type(self).__name__} has no backward")

    # -- used by the autograd engine -------------------------------------------------
    def run_backward(self, grad, create_graph: bool):
        """Gradients for each input slot (None where no gradient flows)."""
        if self.saves:
            if self.freed:
                raise AutogradError(
                    "cannot backpropagate through this graph again: the values saved for "
                    f"{self.name} were freed by an earlier backward",
                    hint="pass retain_graph=True to the first backward() (or autograd.grad()) call")
            for tensor, version in self.versions:
                if tensor._version[0] != version:
                    raise AutogradError(
                        "a value needed to compute gradients was modified in place: "
                        f"a {tensor.dtype.name} tensor of shape {list(tensor.shape)} used by {self.name} "
                        f"is at version {tensor._version[0]}, expected version {version}",
                        hint="use an out-of-place op (y = y + 1 instead of y += 1), or .clone() first")
            saved = self._saved_values(create_graph)
        else:
            saved = _NONES[len(self.next_functions)]
        grads = self.backward(grad, *saved)
        if self.fix is not None:
            grads = fix_grads(grads, self.fix)
        return grads

    def _saved_values(self, create_graph: bool):
        if create_graph:
            vals = list(self.inputs)
            if self.out is not None:
                vals.append(Tensor(self.out, True, self))
        else:
            vals = [x.array if type(x) is Tensor else x for x in self.inputs]
            if self.out is not None:
                vals.append(self.out)
        return vals

    def release(self) -> None:
        """Free saved values (what PyTorch does after a backward without retain_graph)."""
        self.freed = True
        if self.saves:
            self.inputs = None
            self.out = None

    def __repr__(self) -> str:
        return f"<{self.name}>"


class AccumulateGrad:
    """The node for a leaf that requires grad: gradients arriving here land in `.grad`."""

    name = "AccumulateGrad"
    rule = ""
    next_functions = ()
    saves = ()

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor):
        self.variable = variable

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def edge(x):
    """The (node, input_nr) pair PyTorch lists in next_functions for an input."""
    if isinstance(x, Tensor):
        if x.grad_fn is not None:
            return (x.grad_fn, 0)
        if x.requires_grad:
            acc = x._accumulator
            if acc is None:
                acc = x._accumulator = AccumulateGrad(x)
            return (acc, 0)
    return (None, 0)


NO_EDGE = (None, 0)
_NONES = [(None,) * n for n in range(64)]


def _requires_grad(x) -> bool:
    return isinstance(x, Tensor) and x.requires_grad


def _needs_fixing(inputs, out):
    fix = None
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            a = x.array
            if a.shape != out.shape or a.dtype != out.dtype:
                fix = fix or {}
                fix[i] = (a.shape, a.dtype)
    return fix


def fix_grads(grads, fix):
    """Sum broadcast gradients back to each input's shape and give them its dtype."""
    from gradcli.engine.ops import elementwise, shape as shape_ops  # ops import this module: load on use

    sum_to, ToCopy = shape_ops.sum_to, elementwise.ToCopy
    grads = list(grads)
    for i, (in_shape, dtype) in fix.items():
        g = grads[i]
        if g is None:
            continue
        if g.shape != in_shape:
            g = sum_to(g, in_shape)
        if g.dtype != dtype:
            g = ToCopy.call(g, dtype=dtype)
        grads[i] = g
    return grads


def _check_finite(cls, inputs, out):
    if out.dtype.kind != "f" or np.isfinite(out).all():
        return
    for x in inputs:
        a = x.array if isinstance(x, Tensor) else x
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and not np.isfinite(a).all():
            return  # it came in non-finite: not this op's doing
    what = "NaN" if np.isnan(out).any() else "infinity"
    op = cls.name.removesuffix("Backward0").removesuffix("Backward1").removesuffix("Backward2")
    raise NumericError(f"{op} produced {what}",
                       hint="check the inputs of this operation (log of 0 or a negative, division by 0, overflow)")
