"""The graph as a Rich tree, from the output down to the leaves (`tree(t)`, `--tree`).

Each node shows its variable name, grad_fn, shape and dtype (and value when
it is short); leaves show requires_grad and, after backward, their gradient.
A node reached a second time is drawn once and then referenced (`↺ z`); an
unnamed shared node is labelled with its graph id so the reference can name
it. Big graphs stop at a node and depth cap with a note saying how much was
left out. Built with an explicit stack: deep graphs never recurse.
"""

from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from gradcli.show.graph import Graph, Node, shape_text

MAX_NODES = 200
MAX_DEPTH = 12  # each level indents 4 columns: deeper stops being readable at 80 columns

# Unicode in labels, with the ASCII spelling used when the terminal can't show it.
_ASCII = str.maketrans({"↺": "^", "…": "...", "∂": "d", "·": "*", "−": "-", "²": "^2", "ᵖ": "^p", "⁻": "-",
                        "¹": "1", "ᵇ": "^b", "ᵘ": "^u", "σ": "sigmoid", "√": "sqrt", "Σ": "sum", "Π": "prod",
                        "ᵢ": "_i", "ⱼ": "_j", "ₖ": "_k", "ₚ": "_p", "δ": "delta", "‖": "||", "≤": "<=",
                        "≥": ">=", "≠": "!=", "⌊": "floor(", "⌋": ")", "φ": "phi", "Φ": "Phi", "π": "pi",
                        "→": "->", "←": "<-"})


def asciify(text: str) -> str:
    """Plain ASCII for terminals that are not UTF-8 (unknown symbols become '?')."""
    return text.translate(_ASCII).encode("ascii", "replace").decode("ascii")


def render_tree(graph: Graph, explain: bool = False, ascii: bool | None = None, max_nodes: int = MAX_NODES,
                max_depth: int = MAX_DEPTH) -> Tree:
    """A Rich tree of `graph`; `explain` adds each op's rule; `ascii=True` forces ASCII guides and symbols
    (None: Rich picks the guides from the console's encoding)."""
    fix = asciify if ascii else (lambda s: s)
    root = Tree(_label(graph.root, explain, fix), guide_style="tree.line")
    if ascii:
        root.TREE_GUIDES = [Tree.ASCII_GUIDES] * 3
    drawn = {graph.root.id}
    shown = 1
    too_many = too_deep = False
    # (parent Tree, node id or None for a constant slot, depth)
    stack = [(root, i, 1) for i in reversed(graph.root.inputs)]
    while stack:
        parent, node_id, depth = stack.pop()
        if shown >= max_nodes or depth > max_depth:
            parent.add(Text(fix("…"), style="dim"))
            if shown >= max_nodes:
                too_many = True
                break
            too_deep = True
            continue
        shown += 1
        if node_id is None:
            parent.add(Text("constant", style="dim"))
            continue
        node = graph.node(node_id)
        if node_id in drawn:
            parent.add(Text.assemble((fix("↺ ") + node.label(), "italic"), (" (drawn above)", "dim")))
            continue
        drawn.add(node_id)
        branch = parent.add(_label(node, explain, fix))
        for i in reversed(node.inputs):
            stack.append((branch, i, depth + 1))
    if too_many or too_deep:
        hidden = len(graph) - len(drawn)
        limits = [f"{max_nodes} entries"] * too_many + [f"{max_depth} levels"] * too_deep
        root.add(Text(fix(f"… {hidden:,} of {len(graph):,} nodes not shown (the tree stops at "
                          f"{' and '.join(limits)}); chain(t) or `gradcli graph --format json` lists all"),
                      style="dim"))
    return root


def _label(node: Node, explain: bool, fix) -> Text:
    parts: list = []
    name = node.name if node.name is not None else (node.id if node.uses > 1 else None)
    if name is not None:
        parts += [(fix(name), "bold cyan"), ": "]
    if node.kind == "leaf":
        parts.append(("leaf", "green"))
    else:
        parts.append((node.grad_fn, "bold"))
    if node.shape is not None:
        parts.append((f"  {shape_text(node.shape)} {node.dtype}", "dim"))
    if node.kind == "leaf":
        parts.append((f"  requires_grad={node.requires_grad}", "dim"))
    value = node.value
    if value is not None:
        parts.append(f"  = {fix(value)}")
    grad = node.grad
    if grad is not None:
        parts.append(("  grad = ", "magenta"))
        parts.append(fix(grad))
    if explain and node.rule:
        for rule in node.rule:
            parts.append((f"\n  {fix(rule)}", "italic"))
    return Text.assemble(*parts)
