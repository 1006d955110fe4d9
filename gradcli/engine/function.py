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

import itertools
import types
import weakref

import numpy as np
from numpy import ndarray  # not np.ndarray in hot code: numpy's module __getattr__ stops CPython caching it

from gradcli.engine import dtypes, limits
from gradcli.engine.grad_mode import state
from gradcli.engine.tensor import Tensor
from gradcli.errors import AutogradError, NumericError


class Function:
    name = "Function"
    saves: tuple = ()
    # For each input in `saves`, the inputs whose gradients read it (None: any). A saved input is
    # checked for in-place writes only when one of those requires grad, as PyTorch saves it only then.
    read_by: tuple | None = None
    broadcasts = False  # elementwise with broadcasting: grads summed back to input shapes
    grows = True  # the result may have more elements than the inputs: check it against the cap
    rule = ""  # the local derivative in symbols, for --explain and the ledger

    # Slots for everything the backward walk reads (a slot reads fast); ops keep their own
    # parameters in __dict__. `versions` is None for an op that saves nothing; `inputs` and
    # `saved` exist only on ops that save, until backward frees them (None); `output` (a weakref
    # to the tensor) only once that tensor is named (Tensor.name) or written in place.
    __slots__ = ("next_nodes", "seq", "fix", "retained", "versions", "inputs", "saved", "output", "out_shape",
                 "out_dtype", "__dict__")
    _saved_inputs: tuple = ()
    _saves_out = False

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls._saved_inputs = tuple(i for i in cls.saves if isinstance(i, int))
        cls._saves_out = "out" in cls.saves
        cls._scratch = cls.__new__(cls)  # `call` on arrays runs forward on this throwaway instance
        if not _defines(cls, "apply"):
            cls.record = _generated(_recorder(cls))
            cls.apply = _generated(_applier(cls, cls.record))
        if not _defines(cls, "call"):  # an op may define its own (Where: the condition is a parameter)
            cls.call = _generated(_caller(cls, cls.record))
        if not _defines(cls, "run_backward"):
            cls.run_backward = _backwarder(cls)

    @classmethod
    def apply(cls, *inputs, **params) -> Tensor:
        """Run the op on tensors (or numbers), recording a node when grad mode is on and an input
        requires grad. Each subclass gets its own, from `_applier` (around `record`)."""
        raise AutogradError("Function.apply is only for op classes")

    @classmethod
    def record(cls, inputs: tuple, params: dict | None = None) -> Tensor:
        """`apply(*inputs, **params)` without packing the arguments: the entry the hottest callers
        (arithmetic operators, math functions) use. Each subclass gets its own from `_recorder`."""
        raise AutogradError("Function.record is only for op classes")

    @classmethod
    def call(cls, *args, **params):
        """Apply to Tensors (recording the graph) or run forward directly on arrays.

        Backward rules use this, so one rule serves ordinary and create_graph backward.
        Each subclass gets its own copy from `_caller`."""
        raise AutogradError("Function.call is only for op classes")

    def needs(self, i: int) -> bool:
        """Whether input i wants a gradient (skips work for constants)."""
        return self.next_nodes[i] is not None

    def forward(self, *arrays, **params):  # pragma: no cover - every op defines it
        raise AutogradError(f"{type(self).__name__} has no forward")

    def backward(self, grad, *saved):  # pragma: no cover - every op defines it
        raise AutogradError(f"{type(self).__name__} has no backward")

    # -- used by the autograd engine -------------------------------------------------
    def run_backward(self, grad, create_graph: bool, free: bool = False):
        """Gradients for each input slot (None where no gradient flows); `free` then drops the saved
        values, as PyTorch does after a backward without retain_graph. Each subclass gets its own
        copy from `_backwarder`."""
        raise AutogradError("Function.run_backward is only for op classes")

    def _current_inputs(self) -> list:
        saved = [x.array if type(x) is Tensor else x for x in self.inputs]
        return saved + self.saved[len(saved):]

    # -- in-place ops (`x.sin_()`: this node was recorded out of place, its result is then written into x) --
    def keep_input_before_write(self, target: Tensor) -> None:
        """The write into `target` would overwrite the first input this node saved, and with it what
        backward needs: PyTorch saves a clone of it instead (`original_self`), which no later write can
        reach. Only the saved first input is cloned: another input that is `target` itself (`v.mul_(v)`)
        stays checked against target's version, so its backward refuses, as PyTorch's does.

        A first input that backward does not read (`v.mul_(2)`: only the factor is needed) is not kept
        at all: the node holds no reference to target, which would keep a view (and the graph of what
        it was before the write) alive and listed on its storage (ops.shape.refresh_views)."""
        versions = self.versions
        if versions is None or self.inputs[0] is not target:
            return
        if versions and versions[0][0] == 0:
            from gradcli.engine.ops.elementwise import Clone  # ops import this module: load on use
            before = Clone.apply(target)  # PyTorch's CloneBackward0, which create_graph differentiates through
            del versions[0]
        else:
            before = Tensor(self.saved[0])  # a stand-in without a graph: never read
        self.saved[0] = before.array
        self.inputs = (before,) + tuple(self.inputs[1:])

    def track_written_output(self, target: Tensor) -> None:
        """The result this node saved (Exp, Tanh, Relu, ...) now lives in `target`: check it against
        target's version counter from now on, so that a later in-place op on target (or on a view or a
        detached alias of it) makes backward refuse, as in PyTorch."""
        versions = self.versions
        if versions and versions[-1][0] == -1:
            self.saved[-1] = target.array
            versions[-1] = (-1, target._version, target._version[0])

    @property
    def next_functions(self) -> tuple:
        """PyTorch's (node, input_nr) pairs; input_nr is always 0 here (no multi-output nodes)."""
        return tuple((node, 0) for node in self.next_nodes)

    def saved_output(self):
        """The result array, if this node keeps it for backward (diagrams of dead tensors use it)."""
        saved = getattr(self, "saved", None)
        return saved[-1] if self._saves_out and saved is not None else None

    def __repr__(self) -> str:
        return f"<{self.name}>"


class AccumulateGrad:
    """The node for a leaf that requires grad: gradients arriving here land in `.grad`."""

    name = "AccumulateGrad"
    rule = ""
    next_functions = next_nodes = ()
    saves = ()

    __slots__ = ("variable", "seq", "__weakref__")

    def __init__(self, variable: Tensor):
        self.variable = variable
        self.seq = next(_sequence)

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def _defines(cls, name: str) -> bool:
    """Whether an op class or one of its parent op classes wrote `name` itself."""
    for k in cls.__mro__:
        if k is Function:
            return False
        f = vars(k).get(name)
        if f is not None:
            return not getattr(f, "generated", False)
    return False


def _generated(fn) -> staticmethod:
    method = staticmethod(fn)
    method.generated = True
    return method


def _own_copy(fn):
    """`fn` with its own code object. CPython (3.11+) specialises attribute access per code
    object and only for one type at a time: the hot paths every op class runs get a copy per
    class, so that `self.saved` and the like stay specialised instead of being looked up."""
    copy = types.FunctionType(fn.__code__.replace(), fn.__globals__, fn.__name__, fn.__defaults__,
                              fn.__closure__)
    copy.__qualname__, copy.__kwdefaults__, copy.__doc__ = fn.__qualname__, fn.__kwdefaults__, fn.__doc__
    return copy


def _recorder(cls):
    """`cls.record`, behind `cls.apply`: the hot path of every op.

    A closure per op class, with its own code object (`_own_copy`), so the class's flags are
    local variables rather than attribute lookups and every attribute access stays specialised;
    one pass over the inputs collects their arrays and their nodes, and the common case makes
    no other Python call than the op's forward.
    """
    new, forward, new_tensor = cls.__new__, cls.forward, Tensor.__new__
    broadcasts, saves = cls.broadcasts, bool(cls.saves)
    flags_fix = getattr(forward, "flags_fix", False)  # a forward made by ops.elementwise.binary
    saves_out, grows = cls._saves_out, cls.grows
    checks = tuple(zip(cls._saved_inputs, cls.read_by or (None,) * len(cls._saved_inputs)))

    def record(inputs: tuple, params: dict | None = None) -> Tensor:
        fn = new(cls)
        fn.fix = None
        arrays = []
        nodes = []
        tracked = False
        enabled = state.enabled
        for x in inputs:
            if type(x) is not Tensor:
                arrays.append(x)
                nodes.append(None)
                continue
            arrays.append(x.array)
            if not enabled:
                continue
            node = x.grad_fn
            if node is None and x.requires_grad:
                node = accumulator(x)
            if node is not None:
                tracked = True
            nodes.append(node)
        # positional calls where the arity is common: `*arrays` would build a tuple per op
        if params:
            out = forward(fn, *arrays, **params)
        elif len(arrays) == 2:
            out = forward(fn, arrays[0], arrays[1])
        elif len(arrays) == 1:
            out = forward(fn, arrays[0])
        else:
            out = forward(fn, *arrays)
        if type(out) is not ndarray:
            out = np.asarray(out)
        if grows and out.size > limits.max_elements:
            limits.refuse(out.shape)
        if state.anomaly:
            _check_finite(cls, inputs, out)
        if not tracked:
            return Tensor(out)
        # record: this node becomes the grad_fn of the result, keeping what backward needs
        fn.next_nodes = nodes
        fn.seq = next(_sequence)
        fn.retained = None
        shape, dtype = out.shape, out.dtype
        if fn.fix is not None:  # flagged by a forward made by ops.elementwise.binary: it promoted or broadcast
            fn.fix = _needs_fixing(inputs, out)
        elif broadcasts and not flags_fix:
            for a in arrays:  # the common case, all alike, decided without a call
                if type(a) is ndarray and (a.shape != shape or a.dtype is not dtype):  # (dtypes: see binary)
                    fix = _needs_fixing(inputs, out)
                    if fix is not None:
                        fn.fix = fix
                    break
        result = new_tensor(Tensor)  # what Tensor(out, True, fn) does, without the call of __init__
        result.array = out
        result.requires_grad = True
        result.grad_fn = fn
        result._version = [0]
        if saves:
            fn.inputs = inputs  # for create_graph, which differentiates through the tensors themselves
            versions = []  # (input position, version counter, version when saved)
            for i, readers in checks:
                x = inputs[i]
                if type(x) is Tensor:
                    if readers is not None:
                        for j in readers:
                            if nodes[j] is not None:
                                break
                        else:  # no gradient that reads it is wanted: like PyTorch, don't keep it alive
                            arrays[i] = None
                            fn.inputs = inputs = _without(inputs, i)
                            continue
                    versions.append((i, x._version, x._version[0]))
            if saves_out:
                versions.append((-1, result._version, 0))  # -1: the result, last in saved
                arrays.append(out)
            fn.saved = arrays  # what backward gets: the input arrays (and the result)
            fn.versions = versions
        else:
            fn.versions = None
        fn.out_shape = shape
        fn.out_dtype = dtype
        return result

    record.__qualname__ = f"{cls.__name__}.record"
    return _own_copy(record)


def _applier(cls, record):
    """`cls.apply`, the general entry: packs the arguments for `record`."""

    def apply(*inputs, **params) -> Tensor:
        return record(inputs, params)

    apply.__qualname__ = f"{cls.__name__}.apply"
    return apply


def _backwarder(cls):
    """`cls.run_backward` (see `Function.run_backward`), a closure like `cls.record`: the op's
    `backward` is a local, not a bound method made anew for every node."""
    backward, saves_out = cls.backward, cls._saves_out

    def run_backward(self, grad, create_graph: bool, free: bool = False):
        versions = self.versions
        if versions is not None:
            if self.saved is None:
                raise AutogradError(
                    "cannot backpropagate through this graph again: the values saved for "
                    f"{self.name} were freed by an earlier backward",
                    hint="pass retain_graph=True to the first backward() (or autograd.grad()) call")
            saved = self.saved
            inputs = self.inputs
            for i, counter, version in versions:
                if i >= 0 and inputs[i].array is not saved[i]:
                    saved = self._current_inputs()  # `x.data = ...` since forward: use its data now, like PyTorch
                if counter[0] != version:
                    a = saved[i]
                    raise AutogradError(
                        "a value needed to compute gradients was modified in place: "
                        f"a {dtypes.from_numpy(a.dtype).name} tensor of shape {list(a.shape)} used by "
                        f"{self.name} is at version {counter[0]}, expected version {version}",
                        hint="use an out-of-place op (y = y + 1 instead of y += 1), or .clone() first")
            if create_graph:
                out = saved[-1]
                saved = list(inputs)
                if saves_out:
                    saved.append(Tensor(out, True, self))
            if free:
                self.inputs = self.saved = None
        else:
            n = len(self.next_nodes)
            saved = _NONES[n] if n < len(_NONES) else (None,) * n
        if len(saved) == 2:  # positional calls where the arity is common, as in `record`
            grads = backward(self, grad, saved[0], saved[1])
        elif len(saved) == 1:
            grads = backward(self, grad, saved[0])
        else:
            grads = backward(self, grad, *saved)
        if self.fix is not None:
            grads = fix_grads(grads, self.fix)
        return grads

    run_backward.__qualname__ = f"{cls.__name__}.run_backward"
    return _own_copy(run_backward)


def _caller(cls, record):
    """`cls.call`, a closure like `cls.record` (see `Function.call`)."""
    forward, scratch = cls.forward, cls._scratch
    code = forward.__code__
    if code.co_argcount == 2 and not code.co_kwonlyargcount and not code.co_flags & _STAR_ARGS:
        def call(x):  # forward(self, a): no packing of arguments (backward rules of math functions)
            if type(x) is Tensor:
                return record((x,))
            return forward(scratch, x)
    else:
        def call(*args, **params):
            for a in args:
                if type(a) is Tensor:
                    return record(args, params)
            return forward(scratch, *args, **params)

    call.__qualname__ = f"{cls.__name__}.call"
    return call


def accumulator(x: Tensor) -> AccumulateGrad:
    """A leaf's AccumulateGrad node. As in PyTorch, the node holds the tensor and the tensor holds the
    node weakly: no reference cycle, and the node lives as long as some graph uses it."""
    ref = x._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(x)
        x._accumulator = weakref.ref(node)
    return node


def edge(x):
    """The (node, input_nr) pair PyTorch lists in next_functions for an input."""
    if isinstance(x, Tensor):
        if x.grad_fn is not None:
            return (x.grad_fn, 0)
        if x.requires_grad:
            return (accumulator(x), 0)
    return (None, 0)


_STAR_ARGS = 0x04 | 0x08  # CO_VARARGS | CO_VARKEYWORDS (inspect's names; importing it is slow)
# creation order of nodes, counting down: the backward walk's min-heap pops the newest node first
_sequence = itertools.count(0, -1)
_NONES = [(None,) * n for n in range(64)]


def _without(inputs: tuple, i: int) -> tuple:
    """`inputs` with None at position i (two inputs, the case of every op with `read_by`, built directly)."""
    if len(inputs) == 2:
        return (None, inputs[1]) if i == 0 else (inputs[0], None)
    return inputs[:i] + (None,) + inputs[i + 1:]


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
        if (g.array.dtype if type(g) is Tensor else g.dtype) != dtype:  # (a Tensor's .dtype is gradcli's)
            g = ToCopy.call(g, dtype=dtype)
        grads[i] = g
    return grads


def _check_finite(cls, inputs, out):
    if out.dtype.kind != "f" or np.isfinite(out).all():
        return
    for x in inputs:
        a = x.array if isinstance(x, Tensor) else x
        if isinstance(a, ndarray) and a.dtype.kind == "f" and not np.isfinite(a).all():
            return  # it came in non-finite: not this op's doing
    what = "NaN" if np.isnan(out).any() else "infinity"
    op = cls.name.removesuffix("Backward0").removesuffix("Backward1").removesuffix("Backward2")
    raise NumericError(f"{op} produced {what}",
                       hint="check the inputs of this operation (log of 0 or a negative, division by 0, overflow)")
