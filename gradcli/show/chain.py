"""The grad_fn chain as plain text, one line per node (`chain(t)`, `graph --format chain`).

    loss <- ExpBackward0
         <- AddBackward0 (z)
           [0] <- MulBackward0
                 [0] <- AccumulateGrad (x)
                 [1] <- AccumulateGrad (y)
           [1] <- SinBackward0
               <- AccumulateGrad (x), see above

Each `<-` reads "is computed from". A node with one input continues straight
down under its own arrow, so a long chain never drifts right; a node with
several inputs lists them indented, each with its slot in next_functions
(`[1] constant` for an input that carries no gradient). A node reached again
is named and not expanded twice; an unnamed shared node is named by its
graph id. Plain ASCII apart from user names; deterministic; iterative.
"""

from __future__ import annotations

from gradcli.show.graph import Graph, Node


def chain_text(graph: Graph) -> str:
    root = graph.root
    lines = []
    if root.grad_fn is None:
        return f"{root.label()} (a leaf: no grad_fn)\n"
    if root.name is not None:
        lines.append(f"{root.name} <- {root.grad_fn}")
        arrow = len(root.name) + 1
    else:
        lines.append(_label(root))
        arrow = 0
    seen = {root.id}
    stack: list = []
    _push_inputs(stack, root, arrow)
    while stack:
        node_id, indent, marker = stack.pop()
        pad = " " * indent + marker
        if node_id is None:
            lines.append(pad + "constant")
            continue
        node = graph.node(node_id)
        if node_id in seen:
            lines.append(f"{pad}<- {_label(node)}, see above")
            continue
        seen.add(node_id)
        lines.append(f"{pad}<- {_label(node)}")
        _push_inputs(stack, node, indent + len(marker))
    return "\n".join(lines) + "\n"


def _push_inputs(stack: list, node: Node, arrow: int) -> None:
    inputs = node.inputs
    if len(inputs) == 1:
        stack.append((inputs[0], arrow, ""))
        return
    for slot in range(len(inputs) - 1, -1, -1):
        stack.append((inputs[slot], arrow + 2, f"[{slot}] "))


def _label(node: Node) -> str:
    name = node.name if node.name is not None else (node.id if node.uses > 1 else None)
    fn = node.grad_fn or "leaf"
    return fn if name is None else f"{fn} ({name})"
