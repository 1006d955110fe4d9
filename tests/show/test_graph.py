"""The graph model: PyTorch's graphs, walked in a stable order, with names, shapes and summaries."""

from __future__ import annotations

import json
import types
from pathlib import Path

import numpy as np
import pytest

import gradcli.engine.api as api
from gradcli.engine import autograd
from gradcli.errors import ValueTypeError
from gradcli.show import graph
from gradcli.show.graph import build, summary

T = api.TORCH
DATA = Path(__file__).resolve().parents[1] / "parity" / "data" / "graph_walks.json"


def walk_cases():
    return json.loads(DATA.read_text())["cases"]


def make_leaves(case: dict) -> dict:
    out = {}
    for name, spec in case["leaves"].items():
        t = T["tensor"](spec["data"], dtype=T["float64"], requires_grad=spec["requires_grad"])
        t.name = name
        out[name] = t
    return out


def run_case(code: str, env: dict):
    torch_ns = types.SimpleNamespace(**api.TORCH)
    f_ns = types.SimpleNamespace(**api.FUNCTIONAL)
    try:
        exec(code, {"torch": torch_ns, "F": f_ns}, env)
    except (NotImplementedError, AttributeError) as e:  # an op family still being written
        pytest.skip(f"op not available yet: {e}")
    return env["out"]


@pytest.mark.parametrize("case", walk_cases(), ids=lambda c: c["label"])
def test_walk_matches_pytorch_graph(case):
    """Node order, grad_fn names, input slots and leaves are those of PyTorch's graph for the same code."""
    leaves = make_leaves(case)
    out = run_case(case["code"], dict(leaves))
    g = build(out)
    got = [(n.grad_fn, [None if i is None else int(i[1:]) for i in n.inputs]) for n in g.nodes]
    want = [(n["grad_fn"], n["inputs"]) for n in case["nodes"]]
    assert got == want
    assert [n.id for n in g.nodes] == [f"n{i}" for i in range(len(g.nodes))]
    for node, spec in zip(g.nodes, case["nodes"]):
        if "leaf" in spec:
            assert node.kind == "leaf" and node.name == spec["leaf"]
            assert node.shape == leaves[spec["leaf"]].array.shape and node.dtype == "float64"
        else:
            assert node.kind == "op"
    assert g.root.output and float(g.root.value) == pytest.approx(case["value"], rel=1e-13)
    # uses: how many edges point at each node, as in PyTorch's graph
    for i, node in enumerate(g.nodes):
        assert node.uses == sum(spec["inputs"].count(i) for spec in case["nodes"])


@pytest.mark.parametrize("case", walk_cases(), ids=lambda c: c["label"])
def test_leaf_gradients_after_backward(case):
    leaves = make_leaves(case)
    out = run_case(case["code"], dict(leaves))
    out.backward()
    g = build(out)
    for node in g.nodes:
        if node.kind == "leaf":
            want = np.asarray(case["grads"][node.name], dtype=np.float64)
            np.testing.assert_allclose(leaves[node.name]._grad.array, want, rtol=1e-12, atol=1e-12)
            assert node.grad == summary(leaves[node.name]._grad.array)


def test_edges_in_argument_order_and_consistent_with_inputs():
    x = T["tensor"](1.5, requires_grad=True)
    y = T["tensor"](2.0, requires_grad=True)
    g = build((x * y + x.sin()) * 2)
    for e in g.edges:
        assert g.node(e.target).inputs[e.slot] == e.source
    from_inputs = [(i, n.id, s) for n in g.nodes for s, i in enumerate(n.inputs) if i is not None]
    assert [(e.source, e.target, e.slot) for e in g.edges] == from_inputs


def test_names_from_tensors_and_from_the_names_argument():
    x = T["tensor"]([1.0, 2.0], requires_grad=True)
    x.name = "x"
    z = x * 3
    loss = z.sum()
    g = build(loss, names={"loss": loss, "z": z})
    assert [n.name for n in g.nodes] == ["loss", "z", "x"]
    assert g.node("n1").shape == (2,) and g.node("n1").dtype == "float32"
    assert g.node("n1").value == "[3, 6]"
    z.name = "zed"  # a tensor's own name wins over the extra names
    assert build(loss, names={"z": z}).node("n1").name == "zed"


def test_intermediate_that_is_gone_has_unknown_shape_unless_saved():
    x = T["tensor"](0.5, requires_grad=True)
    y = (x * 2 + 1).exp()  # the results of * and + are not kept by anyone
    g = build(y)
    mul = g.nodes[2]
    # its value is gone; its shape too, unless the engine records shapes on nodes (out_shape)
    assert mul.grad_fn == "MulBackward0" and mul.value is None and mul.shape in (None, ())
    w = (x * 2).exp() + 1  # exp saves its result: shape and value survive the tensor
    exp = build(w).nodes[1]
    assert exp.grad_fn == "ExpBackward0" and exp.shape == () and exp.value == summary(np.float32(np.exp(1.0)))  # e rounded once, as PyTorch computes it


def test_root_leaf_and_non_tensor():
    x = T["tensor"]([1.0, 2.0])
    g = build(x)
    assert len(g) == 1 and g.root.kind == "leaf" and g.root.grad_fn is None and not g.root.requires_grad
    assert g.edges == []
    with pytest.raises(ValueTypeError):
        build(3.0)


def test_rules_come_from_the_op():
    x = T["tensor"](0.5, requires_grad=True)
    g = build(x.sin() * x)
    assert g.root.rule == ("∂(a·b)/∂a = b", "∂(a·b)/∂b = a")
    assert g.node("n1").rule == ("∂ sin(u)/∂u = cos(u)",)
    assert g.node("n2").rule == ()


def test_retained_grad_of_intermediate_is_summarised():
    x = T["tensor"](3.0, dtype=T["float64"], requires_grad=True)
    y = x * x
    y.retain_grad()
    z = y * 2
    z.backward()
    g = build(z)
    assert g.node("n1").grad == "2" and g.node("n2").grad == "12"


@pytest.mark.parametrize("a, text", [
    (np.float64(330.0), "330"), (np.float64(0.2), "0.2"), (np.float64(-1.5e-07), "-1.5e-07"),
    (np.float32(0.1), "0.1"), (np.float64(np.inf), "inf"), (np.float64(-np.inf), "-inf"),
    (np.float64(np.nan), "nan"), (np.int64(7), "7"), (np.bool_(True), "True"), (np.float64(-0.0), "-0"),
    (np.array([1.0, 2.5, 3.0]), "[1, 2.5, 3]"), (np.arange(6.0).reshape(2, 3), "[0, 1, 2, 3, 4, 5]"),
    (np.arange(10.0), "[0, 1, 2, … 10 values]"), (np.zeros((0,)), "[]"),
])
def test_summary(a, text):
    assert summary(a) == text


def test_summary_in_own_precision():
    # float32 0.1 is 0.100000001490116...: printed as float32's shortest form, like PyTorch's repr does
    assert summary(np.float32(0.1)) == "0.1"
    third = np.float32(1) / np.float32(3)
    assert summary(third) == "0.33333334" and np.float32(summary(third)) == third  # round-trips


def test_same_graph_same_model():
    x = T["tensor"](0.3, requires_grad=True)
    out = (x * x + x.exp()).tanh()
    a, b = build(out), build(out)
    assert [(n.id, n.grad_fn, n.inputs, n.uses) for n in a.nodes] == [(n.id, n.grad_fn, n.inputs, n.uses)
                                                                       for n in b.nodes]
    assert a.edges == b.edges


def test_deep_chain_builds_iteratively():
    """Far deeper than Python's recursion limit (build speed is measured in benchmarks/)."""
    x = T["tensor"](0.5, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    g = build(y)
    assert len(g) == 100_001 and g.nodes[-1].kind == "leaf" and len(g.edges) == 100_000


def test_wide_sharing_is_linear():
    """x used by 2 inputs of each of 200 ops: 2**200 paths, but the model has 201 op nodes + 1 leaf."""
    x = T["tensor"](1.0, requires_grad=True)
    y = x
    for _ in range(200):
        y = y * y * 0.5
    g = build(y)
    assert len(g) == 2 * 200 + 1
    assert all(n.uses <= 2 for n in g.nodes)


def test_graph_survives_a_freed_backward():
    x = T["tensor"](2.0, requires_grad=True)
    y = (x * x).exp()
    autograd.backward(y)
    g = build(y)  # saved values freed; the structure is still there
    assert [n.grad_fn for n in g.nodes] == ["ExpBackward0", "MulBackward0", "AccumulateGrad"]
    assert graph.shape_text(g.root.shape) == "[]" and graph.shape_text(None) == "?"


def test_gradients_given_by_name_for_autograd_grad_results():
    x = T["tensor"](3.0, dtype=T["float64"], requires_grad=True)
    x.name = "x"
    y = x * x
    (gx,) = autograd.grad(y, [x], retain_graph=True)
    assert x._grad is None
    g = build(y, names={"f": y}, grads={"x": gx})
    assert g.root.name == "f" and g.node("n1").grad == "6" and g.root.grad is None


def test_shape_recorded_on_the_node_is_used_when_the_tensor_is_gone():
    x = T["tensor"]([0.5, 1.5], requires_grad=True)
    y = (x * 2 + 1).sum()
    mul = y.grad_fn.next_functions[0][0].next_functions[0][0]
    mul.out_shape, mul.out_dtype = (2,), np.dtype(np.float32)  # what the engine may record on its nodes
    node = build(y).nodes[2]
    assert node.grad_fn == "MulBackward0" and node.shape == (2,) and node.dtype == "float32"
