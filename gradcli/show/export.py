"""The graph model written out for other tools: Graphviz DOT, Mermaid, JSON.

All three come from the same `Graph`, in its walk order, so the same graph
gives the same bytes. Edges run from an input to the op that consumed it,
in argument order (the order of next_functions), labelled with the slot
when the op has several. Leaves, ops and the output look different in each
format; inputs that carry no gradient appear as small "constant" nodes.
The JSON layout is described by `graph.schema.json` beside this file.
"""

from __future__ import annotations

import json

from gradcli.show.graph import Graph, Node, shape_text

FORMAT = "gradcli-graph"
VERSION = 1


def _lines(node: Node) -> list[str]:
    """The text of a node's box: name, grad_fn, shape and dtype, value, gradient."""
    out = []
    if node.name is not None:
        out.append(node.name)
    if node.kind == "op":
        out.append(node.grad_fn)
    elif node.name is None:
        out.append("leaf")
    if node.shape is not None:
        out.append(f"{shape_text(node.shape)} {node.dtype}")
    if node.value is not None:
        out.append(f"= {node.value}")
    if node.grad is not None:
        out.append(f"grad = {node.grad}")
    return out


def _constants(graph: Graph):
    """(id, consumer id, slot) for each input slot without a gradient, in walk order."""
    for node in graph.nodes:
        for slot, source in enumerate(node.inputs):
            if source is None:
                yield f"{node.id}_c{slot}", node.id, slot


def _slot_label(graph: Graph, consumer: str, slot: int) -> str | None:
    return str(slot) if len(graph.node(consumer).inputs) > 1 else None


# -- Graphviz --------------------------------------------------------------------------------------
_DOT_STYLE = {
    "output": 'shape=box, style="rounded,filled", fillcolor="#b7e1a1", penwidth=2',
    "op": 'shape=box, style="rounded,filled", fillcolor="#e8e8e8"',
    "leaf": 'shape=box, style=filled, fillcolor="#bcd6f5"',
}


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph) -> str:
    """Graphviz DOT, in the spirit of torchviz: blue leaves, grey ops, a green output, inputs on top."""
    out = ["digraph gradcli {",
           '  graph [rankdir=TB, ordering=in];',
           '  node [fontname="Helvetica", fontsize=10, height=0.2];',
           '  edge [fontname="Helvetica", fontsize=8, arrowsize=0.7];']
    for node in graph.nodes:
        style = "output" if node.output else node.kind
        label = "\n".join(_lines(node))
        out.append(f"  {node.id} [label={_dot_string(label)}, {_DOT_STYLE[style]}];")
    for cid, _, _ in _constants(graph):
        out.append(f'  {cid} [label="constant", shape=plaintext, fontcolor="#777777"];')
    for e in graph.edges:
        slot = _slot_label(graph, e.target, e.slot)
        attrs = f' [label="{slot}"]' if slot is not None else ""
        out.append(f"  {e.source} -> {e.target}{attrs};")
    for cid, consumer, slot in _constants(graph):
        out.append(f'  {cid} -> {consumer} [label="{slot}", style=dashed, color="#999999"];')
    out.append("}")
    return "\n".join(out) + "\n"


# -- Mermaid ---------------------------------------------------------------------------------------
_MERMAID_SHAPE = {"output": ('[["', '"]]'), "op": ('["', '"]'), "leaf": ('(["', '"])')}
_MERMAID_ESCAPES = (("#", "#35;"), ("&", "#38;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"),
                    ("`", "#96;"), ("\n", "<br/>"))


def mermaid_escape(text: str) -> str:
    """A label safe inside Mermaid's quotes: markup characters as entity codes, newlines as <br/>."""
    for raw, code in _MERMAID_ESCAPES:
        text = text.replace(raw, code)
    return text


def to_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart (renders in GitHub Markdown inside a ```mermaid block), output on top."""
    out = ["flowchart BT"]
    classes: dict = {"output": [], "op": [], "leaf": [], "constant": []}
    for node in graph.nodes:
        style = "output" if node.output else node.kind
        opening, closing = _MERMAID_SHAPE[style]
        out.append(f"    {node.id}{opening}{mermaid_escape(chr(10).join(_lines(node)))}{closing}")
        classes[style].append(node.id)
    for cid, _, _ in _constants(graph):
        out.append(f'    {cid}("constant")')
        classes["constant"].append(cid)
    for e in graph.edges:
        slot = _slot_label(graph, e.target, e.slot)
        arrow = f"-->|{slot}|" if slot is not None else "-->"
        out.append(f"    {e.source} {arrow} {e.target}")
    for cid, consumer, slot in _constants(graph):
        out.append(f"    {cid} -.->|{slot}| {consumer}")
    out += ["    classDef output fill:#b7e1a1,stroke:#3c763d,stroke-width:2px",
            "    classDef op fill:#e8e8e8,stroke:#888888",
            "    classDef leaf fill:#bcd6f5,stroke:#4a6fa5",
            "    classDef constant fill:#ffffff,stroke:#bbbbbb,color:#777777"]
    for style, ids in classes.items():
        if ids:
            out.append(f"    class {','.join(ids)} {style}")
    return "\n".join(out) + "\n"


# -- JSON ------------------------------------------------------------------------------------------
def as_dict(graph: Graph) -> dict:
    """The JSON document as Python data (layout: graph.schema.json)."""
    nodes = []
    for n in graph.nodes:
        nodes.append({
            "id": n.id, "kind": n.kind, "output": n.output, "grad_fn": n.grad_fn, "name": n.name,
            "shape": list(n.shape) if n.shape is not None else None, "dtype": n.dtype,
            "requires_grad": n.requires_grad, "value": n.value, "grad": n.grad, "rule": list(n.rule),
            "inputs": list(n.inputs), "uses": n.uses,
        })
    edges = [{"from": e.source, "to": e.target, "slot": e.slot} for e in graph.edges]
    return {"format": FORMAT, "version": VERSION, "root": graph.root.id, "nodes": nodes, "edges": edges}


def to_json(graph: Graph) -> str:
    return json.dumps(as_dict(graph), ensure_ascii=False, indent=2) + "\n"
