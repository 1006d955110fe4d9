"""DOT, Mermaid and JSON exports of the graph model."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources

import pytest

import gradcli.engine.api as api
from gradcli.show.export import as_dict, mermaid_escape, to_dot, to_json, to_mermaid
from gradcli.show.graph import build

T = api.TORCH
F = api.FUNCTIONAL


def leaf(value, name):
    t = T["tensor"](value, requires_grad=True)
    t.name = name
    return t


def sample_graph():
    """Shared leaf, a constant slot, a named intermediate and a backward (gradients on leaves)."""
    x, w = leaf([1.0, 2.0, 3.0], "x"), leaf(0.5, "w")
    z = x * w + 1
    z.name = "z"
    loss = F["binary_cross_entropy_with_logits"](z, T["tensor"]([0.0, 1.0, 1.0])) + x.sum()
    loss.name = "loss"
    loss.backward()
    return build(loss)


def awkward_graph():
    """Names and values that need escaping in every format."""
    x = leaf(1.0, 'a"b\\c<d>#e&f`g')
    y = x * 2
    y.name = "ünïcode"
    return build(y.exp())


def schema() -> dict:
    return json.loads(resources.files("gradcli.show").joinpath("graph.schema.json").read_text(encoding="utf-8"))


# -- a small JSON Schema validator: the subset graph.schema.json uses ---------------------------------
def validate(instance, sch: dict, root: dict, path="$") -> list:
    errors = []
    if "$ref" in sch:
        ref = sch["$ref"]
        assert ref.startswith("#/$defs/"), ref
        return validate(instance, root["$defs"][ref[len("#/$defs/"):]], root, path)
    types = sch.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
        ok = False
        for t in types:
            if t == "integer":
                ok |= isinstance(instance, int) and not isinstance(instance, bool)
            else:
                ok |= isinstance(instance, kinds[t])
        if not ok:
            return [f"{path}: {instance!r} is not of type {types}"]
    if "const" in sch and instance != sch["const"]:
        errors.append(f"{path}: {instance!r} != {sch['const']!r}")
    if "enum" in sch and instance not in sch["enum"]:
        errors.append(f"{path}: {instance!r} not in {sch['enum']}")
    if "pattern" in sch and isinstance(instance, str) and not re.search(sch["pattern"], instance):
        errors.append(f"{path}: {instance!r} does not match {sch['pattern']}")
    if "minimum" in sch and isinstance(instance, (int, float)) and instance < sch["minimum"]:
        errors.append(f"{path}: {instance} < {sch['minimum']}")
    if "oneOf" in sch:
        matches = sum(not validate(instance, s, root, path) for s in sch["oneOf"])
        if matches != 1:
            errors.append(f"{path}: matches {matches} of oneOf")
    if isinstance(instance, dict):
        for key in sch.get("required", []):
            if key not in instance:
                errors.append(f"{path}: missing {key}")
        props = sch.get("properties", {})
        for key, value in instance.items():
            if key in props:
                errors += validate(value, props[key], root, f"{path}.{key}")
            elif sch.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected {key}")
    if isinstance(instance, list):
        if len(instance) < sch.get("minItems", 0):
            errors.append(f"{path}: fewer than {sch['minItems']} items")
        if "items" in sch:
            for i, item in enumerate(instance):
                errors += validate(item, sch["items"], root, f"{path}[{i}]")
    return errors


@pytest.mark.parametrize("make", [sample_graph, awkward_graph])
def test_json_follows_its_schema(make):
    doc = json.loads(to_json(make()))
    assert validate(doc, schema(), schema()) == []


def test_the_validator_rejects_bad_documents():
    doc = as_dict(sample_graph())
    bad = json.loads(json.dumps(doc))
    bad["nodes"][0]["kind"] = "other"
    del bad["edges"][0]["slot"]
    bad["nodes"][1]["inputs"] = ["x7"]
    errors = validate(bad, schema(), schema())
    assert len(errors) == 3


def test_json_with_jsonschema_when_installed():
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(json.loads(to_json(sample_graph())), schema())


def test_json_content_matches_the_model():
    g = sample_graph()
    doc = json.loads(to_json(g))
    assert doc["root"] == "n0" and [n["id"] for n in doc["nodes"]] == [n.id for n in g.nodes]
    by_id = {n["id"]: n for n in doc["nodes"]}
    assert by_id["n0"]["output"] and by_id["n0"]["name"] == "loss" and by_id["n0"]["grad_fn"] == "AddBackward0"
    x = next(n for n in doc["nodes"] if n["name"] == "x")
    assert x["kind"] == "leaf" and x["shape"] == [3] and x["grad"] is not None and x["uses"] == 2
    for e in doc["edges"]:
        assert by_id[e["to"]]["inputs"][e["slot"]] == e["from"]
    bce = by_id["n1"]
    assert bce["grad_fn"] == "BinaryCrossEntropyWithLogitsBackward0" and bce["inputs"][1] is None


def test_schema_ships_with_the_package():
    assert resources.files("gradcli.show").joinpath("graph.schema.json").is_file()


# -- DOT ---------------------------------------------------------------------------------------------
def test_dot_structure():
    g = sample_graph()
    dot = to_dot(g)
    assert dot.startswith("digraph gradcli {\n") and dot.endswith("}\n")
    edges = re.findall(r"^  (n\d+) -> (n\d+)", dot, re.M)
    assert edges == [(e.source, e.target) for e in g.edges]
    assert 'n0 [label="loss\\nAddBackward0' in dot and "penwidth=2" in dot.split("\n")[4]
    leaf_line = next(line for line in dot.splitlines() if line.startswith("  ") and '"x\\n' in line)
    assert "#bcd6f5" in leaf_line  # leaves are blue, as in torchviz
    assert dot.count('label="constant"') == sum(n.inputs.count(None) for n in g.nodes)


def test_dot_escapes_labels():
    dot = to_dot(awkward_graph())
    assert 'a\\"b\\\\c<d>#e&f`g' in dot and "ünïcode" in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("make", [sample_graph, awkward_graph])
def test_graphviz_accepts_the_dot(make):
    result = subprocess.run(["dot", "-Tsvg"], input=to_dot(make()).encode(), capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    svg = result.stdout.decode()
    assert "<svg" in svg and "AddBackward0" in svg or "ExpBackward0" in svg
    assert "Warning" not in result.stderr.decode()


# -- Mermaid -----------------------------------------------------------------------------------------
NODE = re.compile(r'^    (n\d+(?:_c\d+)?)(\[\["|\["|\(\["|\(")([^"]*)("\]\]|"\]|"\]\)|"\))$')
EDGE = re.compile(r"^    (n\d+(?:_c\d+)?) (-->|-->\|\d+\||-\.->\|\d+\|) (n\d+)$")
CLOSE = {'[["': '"]]', '["': '"]', '(["': '"])', '("': '")'}


def check_mermaid(text: str) -> tuple[set, list]:
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart BT"
    nodes, edges = set(), []
    for line in lines[1:]:
        m = NODE.match(line)
        if m:
            assert CLOSE[m.group(2)] == m.group(4), line
            assert not re.search(r'["<>`]', m.group(3).replace("<br/>", "")), line
            assert not re.search(r"#(?!\d+;|quot;|lt;|gt;)", m.group(3)), line
            nodes.add(m.group(1))
            continue
        m = EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(3)))
            continue
        assert re.match(r"^    (classDef \w+ [\w:#,.-]+|class [\w,]+ \w+)$", line), line
    for a, b in edges:
        assert a in nodes and b in nodes
    return nodes, edges


def test_mermaid_is_well_formed():
    g = sample_graph()
    nodes, edges = check_mermaid(to_mermaid(g))
    assert {n.id for n in g.nodes} <= nodes
    assert [e for e in edges if "_c" not in e[0]] == [(e.source, e.target) for e in g.edges]
    text = to_mermaid(g)
    assert 'n0[["loss<br/>AddBackward0' in text  # the output has its own shape
    assert re.search(r'^    n\d+\(\["x<br/>', text, re.M)  # leaves are rounded


def test_mermaid_escapes_labels():
    text = to_mermaid(awkward_graph())
    check_mermaid(text)
    assert "a#quot;b\\c#lt;d#gt;#35;e#38;f#96;g" in text and "ünïcode" in text
    assert mermaid_escape('1 < 2 & "q"\nnext') == "1 #lt; 2 #38; #quot;q#quot;<br/>next"


# -- all formats ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", [to_dot, to_mermaid, to_json])
def test_same_graph_same_bytes(fmt):
    x = leaf(0.3, "x")
    out = (x * x + x.exp()).tanh()
    assert fmt(build(out)) == fmt(build(out))


def test_large_graph_exports_are_linear():
    x = leaf(0.5, "x")
    y = x
    for _ in range(20_000):
        y = y * 1.0
    g = build(y)
    assert to_dot(g).count(" -> ") == len(g.edges) + 20_000  # 20,000 constant slots
    assert len(json.loads(to_json(g))["nodes"]) == 20_001
