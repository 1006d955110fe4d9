"""`backward()` and `autograd.grad()`: iterative graph walks, as PyTorch's engine does.

Nodes wait in a heap ordered by creation (newest first), which is both a
topological order and PyTorch's; the walk is a loop, so a million-node chain
is fine.
"""

from __future__ import annotations

import warnings
from heapq import heappop, heappush

import numpy as np
from numpy import ndarray  # not np.ndarray in hot code: numpy's module __getattr__ stops CPython caching it

from gradcli.engine.function import AccumulateGrad, Function, edge
from gradcli.engine.grad_mode import set_grad_enabled, state
from gradcli.engine.tensor import Tensor
from gradcli.errors import (ArgumentError, AutogradError, GradcliWarning, NumericError, ShapeError,
                            ValueTypeError)


def backward(output: Tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    """Accumulate d(output)/d(leaf) into every leaf's `.grad` (a vector-Jacobian product with `gradient`),
    or, given `inputs`, only into theirs."""
    root, seed = _root(output, gradient, "backward()")
    ins = None if inputs is None else _backward_inputs(inputs)
    retain = create_graph if retain_graph is None else retain_graph
    if create_graph:
        warnings.warn("backward(create_graph=True) makes each leaf's .grad part of the graph, which keeps the "
                      "graph alive; prefer autograd.grad(..., create_graph=True)", GradcliWarning, stacklevel=3)
    if ins is None:
        _run_many([(root, seed)], retain, create_graph, capture=None)
        return
    # PyTorch's backward(inputs=...): a non-leaf input gets .grad through retain_grad(), which stays set; a
    # leaf's gradient is captured and accumulated; only the graph leading to the inputs is run.
    capture = _BackwardInputs()
    leaves = {}
    for x in ins:
        if x.grad_fn is not None:
            x.retain_grad()
        else:
            leaves.setdefault(edge(x)[0], x)
        capture.setdefault(edge(x)[0], None)
    try:
        _run_many([(root, seed)], retain, create_graph, capture)
    finally:  # also after a failure part-way, like the AccumulateGrad nodes that had run in PyTorch
        for node, x in leaves.items():
            if capture[node] is not None:
                _accumulate(x, capture[node], create_graph)


class _BackwardInputs(dict):
    """backward(inputs=...)'s capture: unlike autograd.grad's, the inputs' own nodes run too (PyTorch
    marks them needed), so that their saved values are freed and checked the same way."""


def _backward_inputs(inputs) -> list:
    ins = [inputs] if isinstance(inputs, Tensor) else inputs
    if not isinstance(ins, (list, tuple)):
        raise ValueTypeError(f"backward() inputs must be a tensor or a sequence of tensors, not "
                             f"{type(inputs).__name__}")
    if not ins:
        raise ArgumentError("backward() was given no inputs: inputs=[] would compute nothing",
                            hint="leave inputs out to fill every leaf's .grad, or name the tensors to fill")
    for i, x in enumerate(ins):
        if not isinstance(x, Tensor):
            raise ValueTypeError(f"backward() inputs must be tensors; input {i} is {type(x).__name__}")
        if not x.requires_grad:
            raise AutogradError(f"input {i} of backward() does not require grad, so it cannot get a .grad",
                                hint="create it with requires_grad=True, or leave it out of inputs")
    return list(ins)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False,
         materialize_grads=False):
    """Return d(outputs)/d(inputs) as a tuple, leaving every `.grad` untouched."""
    outs = _as_tuple(outputs, "outputs")
    ins = _as_tuple(inputs, "inputs")
    gouts = _as_tuple(grad_outputs, "grad_outputs") if grad_outputs is not None else (None,) * len(outs)
    if len(gouts) != len(outs):
        raise ArgumentError_(len(gouts), len(outs))
    for i, x in enumerate(ins):
        if not x.requires_grad:
            raise AutogradError(f"input {i} of autograd.grad() does not require grad",
                                hint="create it with requires_grad=True")
    retain = create_graph if retain_graph is None else retain_graph
    capture = {}
    for x in ins:
        node = edge(x)[0]
        capture.setdefault(node, None)
    roots = [_root(o, g, "autograd.grad()") for o, g in zip(outs, gouts)]
    _run_many(roots, retain, create_graph, capture)
    result = []
    for i, x in enumerate(ins):
        g = capture[edge(x)[0]]
        if g is None:
            if not (allow_unused or materialize_grads):
                raise AutogradError(f"input {i} of autograd.grad() was not used to compute the outputs",
                                    hint="pass allow_unused=True to get None for it")
            if materialize_grads:
                g = np.zeros_like(x.array)
        if g is not None and not isinstance(g, Tensor):
            g = Tensor(np.array(g, dtype=x.array.dtype, copy=True))
        result.append(g)
    return tuple(result)


def ArgumentError_(got, want):
    return AutogradError(f"got {got} grad_outputs for {want} outputs", hint="pass one grad_output per output")


def _as_tuple(value, what):
    if isinstance(value, Tensor):
        return (value,)
    if isinstance(value, (list, tuple)):
        if not all(isinstance(v, Tensor) or (what == "grad_outputs" and v is None) for v in value):
            raise ValueTypeError(f"autograd.grad() {what} must be tensors")
        return tuple(value)
    raise ValueTypeError(f"autograd.grad() {what} must be a tensor or a sequence of tensors, "
                         f"not {type(value).__name__}")


def _root(output: Tensor, gradient, who: str):
    if not isinstance(output, Tensor):
        raise ValueTypeError(f"{who} needs a tensor, not {type(output).__name__}")
    if not output.requires_grad:
        raise AutogradError("this tensor does not require grad and has no grad_fn, so there is nothing to "
                            "differentiate",
                            hint="create the inputs with requires_grad=True (and not inside no_grad)")
    if gradient is None:
        if output.array.size != 1:
            raise AutogradError(f"{who} without a gradient needs a single-element output, but this one has "
                                f"shape {list(output.shape)}",
                                hint="reduce it first (.sum() or .mean()) or pass gradient= with the output's shape")
        seed = np.ones_like(output.array)[()]  # 0-dim: a NumPy scalar, which backward rules multiply fastest
    else:
        if not isinstance(gradient, Tensor):
            raise ValueTypeError(f"gradient must be a tensor, not {type(gradient).__name__}")
        if gradient.array.shape != output.array.shape:
            raise ShapeError(f"gradient has shape {list(gradient.shape)} but the output has shape "
                             f"{list(output.shape)}", hint="pass a gradient with the output's shape")
        seed = gradient if gradient.requires_grad else gradient.array.astype(output.array.dtype, copy=False)
    return edge(output)[0], seed


def _run_many(roots, retain, create_graph, capture):
    """Run every node that gradient reaches, each once, in PyTorch's order: newest node first.

    A node is always created after its inputs' nodes, so when the newest pending node
    runs, every node that feeds it a gradient has already run: no dependency count is
    needed, and the order among ready nodes is PyTorch's (newest first: `seq` counts down),
    which fixes the order gradients are summed in. Saved values are freed as each node
    finishes, as PyTorch does, unless retain is set.
    """
    # autograd.grad runs only the nodes on a path to a requested input, as PyTorch does: the rest of
    # the graph is neither computed nor freed.
    needed = None if capture is None else _leading_to(capture, [node for node, _ in roots])
    buffers: dict = {}
    heap: list = []
    for node, seed in roots:
        seed = _as_seed(seed, create_graph)
        if node in buffers:
            buffers[node] = buffers[node] + seed
        else:
            buffers[node] = seed
            heappush(heap, (node.seq, node))
    # A leaf may adopt a gradient array instead of copying it, unless the array could be seen elsewhere:
    # the caller's seed, a view, or an array already adopted by another leaf (Add hands g to both inputs).
    not_adoptable = {id(seed) for seed in buffers.values()}
    take, peek = buffers.pop, buffers.get
    anomaly = state.anomaly
    with set_grad_enabled(create_graph):
        node = None  # set when the last node run made exactly one node pending: it runs next, off the heap
        while True:
            if node is None:
                if not heap:
                    break
                node = heappop(heap)[1]
                g = take(node)
            if type(node) is AccumulateGrad:
                if capture is not None:
                    if node in capture:
                        capture[node] = g
                else:
                    adopt = type(g) is ndarray and g.base is None and id(g) not in not_adoptable
                    not_adoptable.add(id(g))
                    _accumulate(node.variable, g, create_graph, adopt=adopt)
                node = None
                continue
            if needed is not None and node in capture:
                capture[node] = g
            if node.retained is not None:  # retain_grad(): PyTorch fills .grad in autograd.grad too
                t = node.retained()
                if t is not None:
                    _accumulate(t, g, create_graph, retained=True)
            if needed is not None and node not in needed:
                node = None
                continue
            try:
                grads = node.run_backward(g, create_graph, not retain)
                if anomaly:
                    _check_grads(node, grads)
            except Exception:
                _run_ready_leaves(node, heap, buffers, capture, needed, create_graph)
                raise
            # Hand each gradient to its node. A chain (nothing else pending, one node made pending) needs
            # no heap: that node is the newest pending one, and no other node can feed it any more.
            follow = None
            for nxt, gi in zip(node.next_nodes, grads):
                if nxt is None or gi is None or needed is not None and nxt not in needed and nxt not in capture:
                    continue
                old = peek(nxt)
                if old is not None:
                    buffers[nxt] = old + gi
                elif follow is None and not heap:
                    follow, g = nxt, gi
                elif nxt is follow:
                    g = g + gi
                else:
                    buffers[nxt] = gi
                    heappush(heap, (nxt.seq, nxt))
            if follow is not None and heap:  # others became pending after it: it waits its turn
                buffers[follow] = g
                heappush(heap, (follow.seq, follow))
                follow = None
            node = follow


def _run_ready_leaves(failed, heap, buffers, capture, needed, create_graph) -> None:
    """A node's backward failed: do what PyTorch had done by then. Its engine runs an AccumulateGrad
    node as soon as all its inputs are in, before any other node (the order of the others is the one
    here), so every leaf whose gradient was complete when the failing node was reached has its .grad.
    A pending leaf is complete unless a node yet to run (the failed one, one waiting, or one below
    them) feeds it. Costs nothing unless a backward fails."""
    waiting = [failed] + [n for _, n in heap if type(n) is not AccumulateGrad and (needed is None or n in needed)]
    fed = set()
    while waiting:
        for child in waiting.pop().next_nodes:
            if child is not None and child not in fed:
                fed.add(child)
                if type(child) is not AccumulateGrad:
                    waiting.append(child)
    for _, node in sorted(heap, key=lambda item: item[0]):
        if type(node) is AccumulateGrad and node not in fed:
            if capture is None:
                _accumulate(node.variable, buffers[node], create_graph)
            elif node in capture:
                capture[node] = buffers[node]


def _leading_to(targets, roots) -> set:
    """The nodes with one of `targets` somewhere below them: those autograd.grad must run."""
    seen = set(roots)
    stack = list(roots)
    while stack:
        for child in stack.pop().next_nodes:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    needed: set = set()
    for node in sorted(seen, key=lambda n: n.seq, reverse=True):  # inputs before the nodes using them
        for child in node.next_nodes:
            if child is not None and (child in needed or child in targets):
                needed.add(node)
                break
    if type(targets) is _BackwardInputs:
        needed.update(node for node in targets if node in seen and type(node) is not AccumulateGrad)
    return needed


def _as_seed(seed, create_graph):
    if create_graph:
        return seed if isinstance(seed, Tensor) else Tensor(seed)
    return seed.array if isinstance(seed, Tensor) else seed


def _accumulate(t: Tensor, g, create_graph: bool, retained: bool = False, adopt: bool = False) -> None:
    if isinstance(g, Tensor):
        garr = g.array
    else:
        garr = g
    if garr.dtype != t.array.dtype:
        garr = garr.astype(t.array.dtype)
        g = Tensor(garr, g.requires_grad, g.grad_fn) if isinstance(g, Tensor) else garr
    if garr.shape != t.array.shape:
        garr = np.broadcast_to(garr, t.array.shape)
        g = garr
    old = t._grad
    if create_graph and isinstance(g, Tensor):
        if old is not None:
            t._grad = old + g
        elif retained:  # a non-leaf's .grad (retain_grad): PyTorch clones the gradient
            from gradcli.engine.ops.elementwise import Clone  # rare: kept off the import path
            t._grad = Clone.apply(g)
        else:
            t._grad = CopyBackwards.apply(None, g)
        return
    if old is None:
        t._grad = Tensor(garr if adopt and garr is g and garr.flags.writeable else np.array(garr, copy=True))
    elif retained:
        t._grad = Tensor(old.array + garr)
    else:
        if old.requires_grad:
            t._grad = Tensor(old.array + garr)
        else:
            old.array += garr
            old._version[0] += 1


class CopyBackwards(Function):
    """The node PyTorch puts on a leaf's `.grad` filled by backward(create_graph=True): the gradient
    copied into zeros, which are its first slot (None: they need no gradient)."""

    name = "CopyBackwards"
    rule = ("∂ copy(z, u)/∂z = 0", "∂ copy(z, u)/∂u = 1")

    def forward(self, zeros, a):
        return a.copy()

    def backward(self, g, zeros, a):
        return (None, g)


def _check_grads(node, grads) -> None:
    for g in grads:
        if g is None:
            continue
        a = g.array if isinstance(g, Tensor) else np.asarray(g)
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            what = "NaN" if np.isnan(a).any() else "infinity"
            raise NumericError(f"the backward of {node.name} produced {what} in a gradient",
                               hint="a derivative is undefined here (sqrt or log at 0, division by 0)")

