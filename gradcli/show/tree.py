"""The graph as a Rich tree, from the output down to the leaves (`tree(t)`, `--tree`).

Each node shows its variable name, grad_fn, shape and dtype (and value when
it is short); leaves show requires_grad and, after backward, their gradient.
A node reached a second time is drawn once and then referenced (`↺ z`); an
unnamed shared node is labelled with its graph id so the reference can name
it. Big graphs stop at a node and depth cap with a note saying how much was
left out. Built with an explicit stack: deep graphs never recurse.
"""

from __future__ import annotations

from rich.measure import Measurement
from rich.text import Text
from rich.tree import Tree

from gradcli.show.graph import Graph, Node, asciify, shape_text

MAX_NODES = 200
MAX_DEPTH = 12  # each level indents 4 columns: deeper stops being readable at 80 columns


class _AutoLabel:
    """A label that prints its ASCII spelling on a console that is not UTF-8 (what ascii=None means)."""

    def __init__(self, parts: list):
        self.unicode = _assemble(parts, False)
        self.ascii = _assemble(parts, True)

    def _pick(self, options) -> Text:
        return self.ascii if options.ascii_only else self.unicode

    def __rich_console__(self, console, options):
        yield self._pick(options)

    def __rich_measure__(self, console, options):
        return Measurement.get(console, options, self._pick(options))


def _assemble(parts: list, ascii: bool) -> Text:
    if ascii:
        parts = [(asciify(p[0]), p[1]) if isinstance(p, tuple) else asciify(p) for p in parts]
    return Text.assemble(*parts)


def render_tree(graph: Graph, explain: bool = False, ascii: bool | None = None, max_nodes: int = MAX_NODES,
                max_depth: int = MAX_DEPTH) -> Tree:
    """A Rich tree of `graph`; `explain` adds each op's rule. `ascii=True` forces ASCII guides and symbols,
    False forces Unicode; None lets the console decide (ASCII when its encoding is not UTF-8)."""

    def label(parts: list):
        return _AutoLabel(parts) if ascii is None else _assemble(parts, ascii)

    root = Tree(label(_parts(graph.root, explain)), guide_style="tree.line")
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
            parent.add(label([("…", "dim")]))
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
            parent.add(label([("↺ " + node.label(), "italic"), (" (drawn above)", "dim")]))
            continue
        drawn.add(node_id)
        branch = parent.add(label(_parts(node, explain)))
        for i in reversed(node.inputs):
            stack.append((branch, i, depth + 1))
    if too_many or too_deep:
        hidden = len(graph) - len(drawn)
        limits = [f"{max_nodes} entries"] * too_many + [f"{max_depth} levels"] * too_deep
        root.add(label([(f"… {hidden:,} of {len(graph):,} nodes not shown (the tree stops at "
                         f"{' and '.join(limits)}); chain(t) or `gradcli graph --format json` lists all", "dim")]))
    return root


def _parts(node: Node, explain: bool) -> list:
    """The label as (text, style) pieces, in Unicode."""
    parts: list = []
    name = node.name if node.name is not None else (node.id if node.uses > 1 else None)
    if name is not None:
        parts += [(name, "bold cyan"), ": "]
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
        parts.append(f"  = {value}")
    grad = node.grad
    if grad is not None:
        parts += [("  grad = ", "magenta"), grad]
    if explain and node.rule:
        for rule in node.rule:
            parts.append((f"\n  {rule}", "italic"))
    return parts
