"""The chain rule, path by path (`ledger(t, x)`, `--ledger`).

For a scalar output f and an input x, every path from f down to x through
the graph is one product of local derivatives; the sum over all paths is
∂f/∂x. The ledger lists each path's steps with the local derivative as a
number (found by running that node's backward with a seed of ones) and in
symbols (the op's rule), the product along the path, and the sum, checked
against autograd's own gradient.

When a step's result is a tensor its local derivative is a Jacobian, not a
number; the ledger then shows what that step carries: the vector-Jacobian
product that reaches its input along this path. Products are computed that
way for every path (seed 1 at f, pushed down the path), so they hold for
tensors too and, for scalar chains, equal the product of the numbers.

Paths can be exponentially many (x used twice in each of n ops gives 2ⁿ):
they are counted without being listed, at most `max_paths` are printed, and
the sum is taken over listed paths only when all of them fit; otherwise it
is accumulated node by node, which is what autograd does. Walks are iterative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradcli.engine import autograd
from gradcli.engine.function import AccumulateGrad, edge
from gradcli.engine.tensor import Tensor
from gradcli.errors import ArgumentError, AutogradError, ValueTypeError
from gradcli.show.graph import asciify, summary

ENUMERATE = 4096  # sum over explicit paths up to this many; beyond, accumulate along the graph
MAX_STEPS = 40  # steps printed per path (first and last halves)


@dataclass
class Step:
    grad_fn: str
    name: str | None  # the variable the step's result is bound to
    slot: int  # which input of the op the path goes through
    rule: str
    local: np.ndarray | None  # ∂(step result)/∂(input) when the result is a single number
    carried: np.ndarray | None  # the gradient reaching the input along this path (None: none flows)


@dataclass
class Path:
    steps: list
    product: np.ndarray | None  # None when no gradient flows along the path


@dataclass
class Section:
    input_name: str
    paths: list  # the listed paths (at most max_paths)
    count: int  # all paths from the output to this input
    total: np.ndarray  # sum over all paths
    summed: str  # "paths" (sum of the products) or "graph" (accumulated node by node)
    autograd: np.ndarray
    equal: bool


@dataclass
class Ledger:
    output_name: str
    value: np.ndarray
    max_paths: int
    sections: list = field(default_factory=list)

    def text(self) -> str:
        return _render(self)

    def describe(self) -> str:  # how the language echoes it
        return self.text().rstrip("\n")


def ledger(output: Tensor, inputs, max_paths: int = 50) -> Ledger:
    """Every path from a scalar `output` to each of `inputs`, with local derivatives and their products."""
    if not isinstance(output, Tensor):
        raise ValueTypeError(f"ledger() needs a tensor output, got {type(output).__name__}")
    if output.array.size != 1:
        raise ArgumentError(f"ledger() needs a single-number output, but this one has shape {list(output.shape)}",
                            hint="reduce it first (.sum() or .mean()), or ledger one element (t[0])")
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise ValueTypeError(f"ledger() inputs must be tensors; input {i} is {type(x).__name__}")
        if not x.requires_grad:
            raise AutogradError(f"ledger() input {x.name or i} does not require grad, so no gradient reaches it",
                                hint="create it with requires_grad=True")
    if max_paths < 0:
        raise ArgumentError("max_paths must be 0 or more")
    result = Ledger(output.name or "f", output.array.copy(), max_paths)
    for i, x in enumerate(inputs):
        result.sections.append(_section(output, x, x.name or f"input {i}", max_paths))
    return result


def ledger_text(output: Tensor, inputs, max_paths: int = 50, ascii: bool = False) -> str:
    """The ledger as text; `ascii=True` spells the symbols in ASCII for terminals that are not UTF-8."""
    text = ledger(output, inputs, max_paths).text()
    return asciify(text) if ascii else text


# -- the computation --------------------------------------------------------------------------------
def _section(output: Tensor, x: Tensor, name: str, max_paths: int) -> Section:
    seed = np.ones_like(output.array)
    zero = np.zeros_like(x.array)
    if output is x:
        one = np.ones_like(x.array)
        return Section(name, [Path([], one)], 1, one, "paths", one, True)
    root = output.grad_fn
    target = x.grad_fn if x.grad_fn is not None else edge(x)[0]
    if root is None or target is None:
        return Section(name, [], 0, zero, "paths", zero, True)
    counts = _count_paths(root, target)
    count = counts.get(id(root), 0)
    if count == 0:
        return Section(name, [], 0, zero, "paths", zero, True)
    listed = _paths(root, target, counts, count if count <= ENUMERATE else max_paths)
    paths = [_evaluate(p, seed) for p in listed]
    if count <= ENUMERATE:
        products = [p.product for p in paths if p.product is not None]
        total = sum(products[1:], products[0]) if products else zero
        summed = "paths"
    else:
        total = _accumulate(root, target, counts, seed, zero)
        summed = "graph"
    reference = autograd.grad(output, [x], retain_graph=True, allow_unused=True, materialize_grads=True)[0]
    reference = np.asarray(reference.array)
    total = np.broadcast_to(total, reference.shape) if total.shape != reference.shape else total
    return Section(name, paths[:max_paths], count, total, summed, reference, _close(total, reference))


def _count_paths(root, target) -> dict:
    """id(node) -> number of paths from that node down to target (post-order, iterative)."""
    counts: dict = {id(target): 1}
    stack = [(root, False)]
    while stack:
        fn, expanded = stack.pop()
        key = id(fn)
        if key in counts:
            continue
        if expanded:
            counts[key] = sum(counts[id(c)] for c in fn.next_nodes if c is not None)
            continue
        stack.append((fn, True))
        for c in fn.next_nodes:
            if c is not None and id(c) not in counts:
                stack.append((c, False))
    return counts


def _paths(root, target, counts: dict, limit: int) -> list:
    """The first `limit` paths in argument order, each a list of (op, slot) steps ending at target."""
    found: list = []
    # a path so far is a linked list (previous link, op, slot): pushing a step never copies the path
    stack = [(root, None)]
    while stack and len(found) < limit:
        fn, link = stack.pop()
        if fn is target:
            steps = []
            while link is not None:
                link, op, slot = link
                steps.append((op, slot))
            steps.reverse()
            found.append(steps)
            continue
        nexts = fn.next_nodes
        for slot in range(len(nexts) - 1, -1, -1):
            child = nexts[slot]
            if child is not None and counts.get(id(child), 0):
                stack.append((child, (link, fn, slot)))
    return found


def _evaluate(steps: list, seed: np.ndarray) -> Path:
    out = []
    carried = seed
    for fn, slot in steps:
        rule = fn.rule[slot] if isinstance(fn.rule, tuple) and slot < len(fn.rule) else (
            fn.rule if isinstance(fn.rule, str) else "")
        local = None
        incoming = carried
        if incoming is not None:
            grads = fn.run_backward(incoming, False)
            carried = _array(grads[slot])
            if np.size(incoming) == 1:
                ones = np.ones_like(incoming)
                local = carried if np.all(incoming == 1) else _array(fn.run_backward(ones, False)[slot])
        ref = getattr(fn, "output", None)
        t = ref() if ref is not None else None
        out.append(Step(fn.name, t.name if t is not None else None, slot, rule, local, carried))
    return Path(out, carried)


def _accumulate(root, target, counts: dict, seed, zero):
    """The sum over all paths without listing them: gradients pushed down in topological order."""
    order = []  # reverse post-order over the nodes that reach target = a topological order
    seen = set()
    stack = [(root, False)]
    while stack:
        fn, done = stack.pop()
        if done:
            order.append(fn)
            continue
        if id(fn) in seen or not counts.get(id(fn), 0):
            continue
        seen.add(id(fn))
        stack.append((fn, True))
        for c in fn.next_nodes:
            if c is not None and id(c) not in seen:
                stack.append((c, False))
    order.reverse()
    buffers = {id(root): seed}
    for fn in order:
        g = buffers.pop(id(fn), None)
        if fn is target:
            return zero if g is None else _array(g)
        if g is None or isinstance(fn, AccumulateGrad):
            continue
        grads = fn.run_backward(g, False)
        for c, gi in zip(fn.next_nodes, grads):
            if c is not None and gi is not None and counts.get(id(c), 0):
                old = buffers.get(id(c))
                buffers[id(c)] = _array(gi) if old is None else old + _array(gi)
    return zero


def _array(g):
    if g is None:
        return None
    return np.asarray(g.array if isinstance(g, Tensor) else g)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    kind = np.result_type(a, b)
    rtol = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4}.get(kind, 1e-9)
    finite = np.abs(b[np.isfinite(b)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    return bool(np.allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True))


# -- the text ---------------------------------------------------------------------------------------
def _render(led: Ledger) -> str:
    f = led.output_name
    lines = [f"{f} = {summary(led.value)}"]
    carries = False
    for sec in led.sections:
        lines.append("")
        what = f"{sec.count:,} path{'s' if sec.count != 1 else ''}"
        lines.append(f"∂{f}/∂{sec.input_name}: {what}")
        if sec.count == 0:
            lines.append(f"  no path: {f} does not depend on {sec.input_name}")
        for k, path in enumerate(sec.paths, 1):
            lines.append(f"  path {k}: " + _route(f, path, sec.input_name))
            rows = [(_step_label(s), s.rule, _step_value(s)) for s in path.steps]
            carries = carries or any(s.local is None and s.carried is not None for s in path.steps)
            if len(rows) > MAX_STEPS:
                half = MAX_STEPS // 2
                rows = rows[:half] + [(f"… {len(rows) - MAX_STEPS:,} more steps", "", "")] + rows[-half:]
            rows.append(("product", "", _value(path.product)))
            w1 = max(len(r[0]) for r in rows)
            w2 = max(len(r[1]) for r in rows)
            for a, b, c in rows:
                lines.append(f"    {a.ljust(w1)}  {b.ljust(w2)}  {c}".rstrip())
        if len(sec.paths) < sec.count:
            lines.append(f"  … {sec.count - len(sec.paths):,} more paths not shown (showing {len(sec.paths)}; "
                         f"max_paths raises the limit)")
        how = "sum over paths" if sec.summed == "paths" else "sum over all paths (accumulated node by node)"
        mark = "✓ equal" if sec.equal else "✗ DIFFERENT"
        w = max(len(how), len("autograd gradient"))
        lines.append(f"  {how.ljust(w)} = {summary(sec.total)}")
        lines.append(f"  {'autograd gradient'.ljust(w)} = {summary(sec.autograd)}  {mark}")
    if carries:
        lines.append("")
        lines.append("A step whose result is a tensor has a Jacobian, not a number: 'carries' shows the gradient "
                     "it passes to its input along that path.")
    return "\n".join(lines) + "\n"


def _route(f: str, path: Path, x: str) -> str:
    names = [_step_label(s) for s in path.steps]
    if len(names) > 6:
        names = names[:3] + [f"… {len(names) - 5:,} steps …"] + names[-2:]
    return " <- ".join([f, *names, x])


def _step_label(s: Step) -> str:
    return f"{s.grad_fn} ({s.name})" if s.name is not None else s.grad_fn


def _step_value(s: Step) -> str:
    if s.local is not None:
        return summary(s.local)
    if s.carried is None:
        return "0 (no gradient flows)"
    return "carries " + summary(s.carried)


def _value(a) -> str:
    return "0 (no gradient flows)" if a is None else summary(a)
