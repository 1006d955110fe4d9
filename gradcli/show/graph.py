"""The one graph model behind every graph view (tree, chain, DOT, Mermaid, JSON, ledger).

`build(t)` walks t's autograd graph once, iteratively (a million-node chain
is fine), depth-first from the output with inputs in argument order, and
numbers the nodes n0, n1, ... in that order. Nothing depends on `id()` or
set order, so the same graph always gives the same model and the same bytes.

A node is an op (a grad_fn) or a leaf (an AccumulateGrad, or a root tensor
without grad_fn). An input slot with no gradient (a number, a tensor that
does not require grad) is `None` in `Node.inputs`: views call it a constant.
A node reached twice is one node; `uses` counts the edges into it.

Value and gradient summaries are computed on first use, so building a huge
graph stays fast and a view that shows 200 nodes formats only 200 values.
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from gradcli.engine.function import AccumulateGrad
from gradcli.engine.tensor import Tensor
from gradcli.errors import ValueTypeError

SMALL = 6  # tensors with at most this many elements are summarised in full


@dataclass(eq=False, slots=True)
class Node:
    id: str
    kind: str  # "op" or "leaf"
    grad_fn: str | None  # PyTorch's grad_fn name; "AccumulateGrad" for a leaf reached through a graph
    name: str | None  # the variable it is bound to, if known
    shape: tuple | None  # None when the tensor is gone and nothing saved its shape
    dtype: str | None
    requires_grad: bool
    rule: tuple  # the op's local derivative per input slot, in symbols
    inputs: list = field(default_factory=list)  # per slot: a node id, or None for a constant
    uses: int = 0  # edges into this node (more than one: a shared sub-graph)
    output: bool = False
    _array: object = field(default=None, repr=False)
    _grad: object = field(default=None, repr=False)

    @property
    def value(self) -> str | None:
        """Short text of the node's value: a number, a few elements, or None when unknown."""
        return None if self._array is None else summary(self._array)

    @property
    def grad(self) -> str | None:
        """Short text of the gradient stored on the tensor (leaves after backward, retain_grad)."""
        return None if self._grad is None else summary(self._grad)

    @property
    def is_leaf(self) -> bool:
        return self.kind == "leaf"

    def label(self) -> str:
        """How views refer to the node: its variable name, else its id."""
        return self.name if self.name is not None else self.id


class Edge(NamedTuple):
    source: str  # the input node's id
    target: str  # the consuming op's id
    slot: int  # the input position in the consumer's next_functions


@dataclass(eq=False)
class Graph:
    nodes: list  # Node, in walk order: nodes[0] is the output
    edges: list  # Edge, by consumer in walk order, then by slot
    by_id: dict

    @property
    def root(self) -> Node:
        return self.nodes[0]

    def node(self, node_id: str) -> Node:
        return self.by_id[node_id]

    def __len__(self) -> int:
        return len(self.nodes)


def build(root: Tensor, names: dict | None = None, grads: dict | None = None) -> Graph:
    """The graph of `root`'s computation.

    `names` ({name: tensor}) names tensors that have no `.name`; `grads` ({name: gradient tensor}) gives
    gradients computed without filling `.grad` (autograd.grad, as the calculator does), shown on the
    nodes of those names."""
    if not isinstance(root, Tensor):
        raise ValueTypeError(f"a graph needs a tensor, got {type(root).__name__}",
                             hint="pass a tensor that was computed from tensors with requires_grad=True")
    # Building allocates a few objects per node and frees none, so the cycle collector would only
    # rescan the (large) live graph again and again: pause it, as bulk loaders do.
    paused = gc.isenabled()
    gc.disable()
    try:
        graph = _build(root, names)
    finally:
        if paused:
            gc.enable()
    for node in graph.nodes if grads else ():
        g = grads.get(node.name)
        if g is not None and node._grad is None:
            node._grad = g.array if isinstance(g, Tensor) else np.asarray(g)
    return graph


def _build(root: Tensor, names: dict | None) -> Graph:
    extra = _name_lookup(names)
    nodes: list[Node] = []
    index: dict[int, Node] = {}  # id(engine node) -> model node; identity is only a key, never output
    if root.grad_fn is None:
        node = _leaf_node("n0", root, extra, via_graph=False)
        node.output = True
        return Graph([node], [], {"n0": node})
    stack = [root.grad_fn]
    keep = []  # the engine nodes, alive while we key on their ids
    # id(engine node) -> the tensor it made, from the caller's names, or its array, saved by an op using it
    values = {id(t.grad_fn): t for t in (names or {}).values() if isinstance(t, Tensor) and t.grad_fn is not None}
    pop, push = stack.pop, stack.append
    while stack:
        fn = pop()
        key = id(fn)
        if key in index:
            continue
        node = _model_node(f"n{len(nodes)}", fn, root if not nodes else None, extra, values)
        index[key] = node
        keep.append(fn)
        nodes.append(node)
        nexts = fn.next_nodes
        saved = getattr(fn, "saved", None)
        if saved is not None:  # an op that saves keeps every input's array until backward frees it
            for child, a in zip(nexts, saved):
                if child is not None:
                    values.setdefault(id(child), a)
        if len(nexts) == 1:
            child = nexts[0]
            if child is not None:
                push(child)
            continue
        for i in range(len(nexts) - 1, -1, -1):
            child = nexts[i]
            if child is not None:
                push(child)
    nodes[0].output = True
    edges = []
    for node, fn in zip(nodes, keep):
        inputs = node.inputs
        for slot, child in enumerate(fn.next_nodes):
            if child is None:
                inputs.append(None)
                continue
            source = index[id(child)]
            source.uses += 1
            inputs.append(source.id)
            edges.append(Edge(source.id, node.id, slot))
    return Graph(nodes, edges, {n.id: n for n in nodes})


def _name_lookup(names: dict | None) -> dict:
    """id(tensor or grad_fn) -> name for the caller's extra names (first name wins)."""
    lookup: dict = {}
    for name, t in (names or {}).items():
        if isinstance(t, Tensor):
            lookup.setdefault(id(t), name)
            if t.grad_fn is not None:
                lookup.setdefault(id(t.grad_fn), name)
    return lookup


def _leaf_node(node_id: str, t: Tensor, extra: dict, via_graph: bool) -> Node:
    return Node(node_id, "leaf", "AccumulateGrad" if via_graph else None,
                t.name if t.name is not None else extra.get(id(t)),
                tuple(t.array.shape), t.dtype.name, t.requires_grad, (), _array=t.array, _grad=_grad_of(t))


def _model_node(node_id: str, fn, root: Tensor | None, extra: dict, values: dict) -> Node:
    if isinstance(fn, AccumulateGrad):
        node = _leaf_node(node_id, fn.variable, extra, via_graph=True)
        if node.name is None:
            node.name = extra.get(id(fn))
        return node
    out = root
    for ref in (() if out is not None else (getattr(fn, "output", None), fn.retained)):
        out = ref() if ref is not None else None  # a tensor bound to a name, or kept by retain_grad()
        if out is not None:
            break
    saved = values.get(id(fn))
    if out is None and isinstance(saved, Tensor):
        out = saved
    rule = fn.rule
    if type(rule) is not tuple:
        rule = (rule,) if rule else ()
    if out is not None:
        name = out.name
        if name is None and extra:
            name = extra.get(id(out), extra.get(id(fn)))
        a = out.array
        return Node(node_id, "op", fn.name, name, a.shape, _dtype_name(a), True, rule, [], 0, False, a,
                    None if out._grad is None else _grad_of(out))
    if saved is None:
        saved = fn.saved_output()  # ops that save their result keep the array after the tensor is gone
    if isinstance(saved, np.ndarray):
        return Node(node_id, "op", fn.name, extra.get(id(fn)), tuple(saved.shape), _dtype_name(saved), True,
                    rule, _array=saved)
    shape, dtype = getattr(fn, "out_shape", None), getattr(fn, "out_dtype", None)  # if the engine records them
    return Node(node_id, "op", fn.name, extra.get(id(fn)), None if shape is None else tuple(shape),
                None if dtype is None else _dtype_name(np.empty(0, dtype)), True, rule)


def _grad_of(t: Tensor):
    g = t._grad
    return g.array if isinstance(g, Tensor) else None


_DTYPE_NAMES: dict = {}


def _dtype_name(a: np.ndarray) -> str:
    name = _DTYPE_NAMES.get(a.dtype)
    if name is None:
        from gradcli.engine import dtypes
        name = _DTYPE_NAMES[a.dtype] = dtypes.from_numpy(a.dtype).name
    return name


# -- value summaries -----------------------------------------------------------------------------
def number(x) -> str:
    """One element in shortest round-trip form for its own precision: 330, 0.2, -1.5e-07, True."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    f = float(x)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if f == int(f) and abs(f) < 1e16:
        return str(int(f)) if f != 0 or math.copysign(1, f) > 0 else "-0"
    if isinstance(x, (np.float16, np.float32)):
        return str(x)  # NumPy's shortest repr in the value's own precision
    return repr(f)


def summary(a) -> str:
    """A scalar as a number, a small tensor's elements flattened, a large one's first three and a count."""
    a = np.asarray(a)
    if a.ndim == 0:
        return number(a[()])
    flat = a.reshape(-1)
    if flat.size <= SMALL:
        return "[" + ", ".join(number(v) for v in flat) + "]"
    return "[" + ", ".join(number(v) for v in flat[:3]) + f", … {flat.size:,} values]"


def shape_text(shape: tuple | None) -> str:
    """A shape as PyTorch lists it: [] for a scalar, [5, 3]; ? when unknown."""
    return "?" if shape is None else "[" + ", ".join(str(s) for s in shape) + "]"


# Unicode in labels, with the ASCII spelling used when the terminal can't show it.
_ASCII = str.maketrans({"↺": "^", "…": "...", "∂": "d", "·": "*", "−": "-", "²": "^2", "ᵖ": "^p", "⁻": "-",
                        "¹": "1", "ᵇ": "^b", "ᵘ": "^u", "σ": "sigmoid", "√": "sqrt", "Σ": "sum", "Π": "prod",
                        "ᵢ": "_i", "ⱼ": "_j", "ₖ": "_k", "ₚ": "_p", "δ": "delta", "‖": "||", "≤": "<=",
                        "≥": ">=", "≠": "!=", "⌊": "floor(", "⌋": ")", "φ": "phi", "Φ": "Phi", "π": "pi",
                        "→": "->", "←": "<-", "✓": "ok", "✗": "x"})


def asciify(text: str) -> str:
    """Plain ASCII for terminals that are not UTF-8 (unknown symbols become '?')."""
    return text.translate(_ASCII).encode("ascii", "replace").decode("ascii")
