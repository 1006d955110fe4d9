"""Matrix products: dot, mv, mm, bmm and matmul (1-D/2-D/batched, composed as PyTorch records it).

Gradients against central finite differences in float64 over generated shapes
with batch broadcasting (second order too: products are bilinear, so the
cross terms are checked); the whole grad_fn graph of matmul, its values and
gradients against data recorded from PyTorch (tests/parity/gen_reduce_linalg_data.py)
and gradfn_cases.json; live torch when installed; errors; skipping gradients
for inputs that need none.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gradcheck import check_grads
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcli.engine.api as api
from gradcli.engine import autograd
from gradcli.engine.grad_mode import no_grad
from gradcli.engine.ops import linalg
from gradcli.engine.tensor import Tensor
from gradcli.errors import AutogradError, DTypeError, ShapeError, ValueTypeError

TORCH = api.TORCH
DATA_DIR = Path(__file__).parents[1] / "parity" / "data"
DATA = json.loads((DATA_DIR / "reduce_linalg_cases.json").read_text())
GRADFN = {c["expr"]: c for c in json.loads((DATA_DIR / "gradfn_cases.json").read_text())["cases"]}
FD = settings(max_examples=25, deadline=None)


def t(values, dtype=np.float64, grad=False) -> Tensor:
    x = Tensor(np.array(values, dtype=dtype))
    return x.requires_grad_() if grad else x


def layout(fn, names):
    """The whole grad_fn graph as nested [name, [children]] with leaves named as in `names`."""
    if fn is None:
        return None
    if fn.name == "AccumulateGrad":
        for k, v in names.items():
            if v is fn.variable:
                return ["AccumulateGrad", k]
        return ["AccumulateGrad", "?"]
    return [fn.name, [layout(f, names) for f, _ in fn.next_functions]]


@st.composite
def matmul_shapes(draw):
    """Two broadcast-compatible shapes for matmul, 1-D to 4-D each."""
    da, db = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    n, m, p = (draw(st.integers(1, 3)) for _ in range(3))
    batch = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=2)))

    def batch_of(k):
        return tuple(1 if draw(st.booleans()) else s for s in batch[len(batch) - k:]) if k else ()

    sa = batch_of(max(da - 2, 0)) + ((n, m) if da > 1 else (m,))
    sb = batch_of(max(db - 2, 0)) + ((m, p) if db > 1 else (m,))
    return sa, sb


# -- finite differences ------------------------------------------------------------------------
@FD
@given(shapes=matmul_shapes(), seed=st.integers(0, 2**16), grads=st.sampled_from([(1, 1), (1, 0), (0, 1)]))
def test_matmul_gradients_first_and_second_order(shapes, seed, grads):
    r = np.random.default_rng(seed)
    a = t(r.normal(size=shapes[0]), grad=bool(grads[0]))
    b = t(r.normal(size=shapes[1]), grad=bool(grads[1]))
    check_grads(linalg.matmul, [a, b], order=2)
    check_grads(lambda x, y: (x @ y).sin(), [a, b], order=2)


@FD
@given(n=st.integers(1, 4), m=st.integers(1, 4), p=st.integers(1, 4), batch=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_dot_mv_mm_bmm_gradients(n, m, p, batch, seed):
    r = np.random.default_rng(seed)
    v, w = t(r.normal(size=m), grad=True), t(r.normal(size=m), grad=True)
    M, N = t(r.normal(size=(n, m)), grad=True), t(r.normal(size=(m, p)), grad=True)
    B, C = t(r.normal(size=(batch, n, m)), grad=True), t(r.normal(size=(batch, m, p)), grad=True)
    check_grads(TORCH["dot"], [v, w], order=2)
    check_grads(TORCH["mv"], [M, v], order=2)
    check_grads(TORCH["mm"], [M, N], order=2)
    check_grads(TORCH["bmm"], [B, C], order=2)
    check_grads(lambda x, y: (TORCH["mm"](x, y) ** 3).sum(), [M, N], order=1)


# -- PyTorch's graphs, values and gradients (recorded) ----------------------------------------
@pytest.mark.parametrize("case", DATA["layouts"], ids=lambda c: f"{c['a_shape']}@{c['b_shape']}"
                         f"-{int(c['a_requires_grad'])}{int(c['b_requires_grad'])}")
def test_matmul_graph_values_and_gradients_match_torch(case):
    a = t(np.array(case["a"]).reshape(case["a_shape"]), grad=case["a_requires_grad"])
    b = t(np.array(case["b"]).reshape(case["b_shape"]), grad=case["b_requires_grad"])
    y = a @ b
    assert list(y.shape) == case["out_shape"]
    assert layout(y.grad_fn, {"a": a, "b": b}) == case["layout"]
    np.testing.assert_allclose(y.array, np.array(case["output"]).reshape(y.shape), rtol=1e-12, atol=1e-12)
    y.backward(t(np.array(case["upstream"]).reshape(y.shape)))
    for x, key in ((a, "a_grad"), (b, "b_grad")):
        if case[key] is None:
            assert x.grad is None
        else:
            np.testing.assert_allclose(x.grad.array, np.array(case[key]).reshape(x.shape), rtol=1e-12, atol=1e-12)


GRADFN_SHAPES = {"matmul 1Dx1D": ((3,), (3,)), "a@b (1D)": ((3,), (3,)), "torch.dot": ((3,), (3,)),
                 "matmul 1Dx2D": ((2,), (2, 3)), "matmul 2Dx1D": ((2, 3), (3,)), "matmul 2Dx2D": ((2, 3), (3, 4)),
                 "A@B": ((2, 3), (3, 4)), "torch.mm": ((2, 3), (3, 4)), "matmul 3Dx3D": ((2, 3, 4), (2, 4, 5)),
                 "matmul 3Dx2D": ((2, 3, 4), (4, 2))}


@pytest.mark.parametrize("label", list(GRADFN_SHAPES))
def test_gradfn_cases(label):
    sa, sb = GRADFN_SHAPES[label]
    r = np.random.default_rng(0)
    a, b = t(r.normal(size=sa), grad=True), t(r.normal(size=sb), grad=True)
    fn = {"torch.mm": TORCH["mm"], "torch.dot": TORCH["dot"]}.get(label, TORCH["matmul"])
    y = fn(a, b)
    want = GRADFN[label]
    assert list(y.shape) == want["shape"] and y.grad_fn.name == want["grad_fn"]
    assert [[None if f is None else f.name, i] for f, i in y.grad_fn.next_functions] == want["next_functions"]


def test_tutorial_vector_times_matrix_plus_bias():
    """TORCH_REFERENCE Part A and D.7: z = matmul(ones(5), w) + b, then BCE-with-logits."""
    TORCH["manual_seed"](1)
    x, y = TORCH["ones"](5), TORCH["zeros"](3)
    w, b = TORCH["randn"](5, 3, requires_grad=True), TORCH["randn"](3, requires_grad=True)
    z = TORCH["matmul"](x, w) + b
    assert layout(z.grad_fn, {"w": w, "b": b}) == [
        "AddBackward0", [["SqueezeBackward4", [["MmBackward0", [None, ["AccumulateGrad", "w"]]]]],
                         ["AccumulateGrad", "b"]]]
    loss = api.FUNCTIONAL["binary_cross_entropy_with_logits"](z, y)
    loss.backward()
    want = [0.10829993337392807, 0.0369391143321991, 0.07259642332792282]
    np.testing.assert_allclose(b.grad.array, want, rtol=1e-6)
    np.testing.assert_allclose(w.grad.array, np.tile(want, (5, 1)), rtol=1e-6)


# -- semantics ------------------------------------------------------------------------------------
def test_backward_skips_inputs_that_need_no_gradient(monkeypatch):
    calls = []
    original = linalg.Mm.call

    def counting(*args, **kw):
        calls.append(args)
        return original(*args, **kw)

    monkeypatch.setattr(linalg.Mm, "call", staticmethod(counting))
    x, w = t(np.ones((4, 3))), t(np.ones((3, 2)), grad=True)
    (x @ w).sum().backward()
    assert len(calls) == 1 and w.grad.array.tolist() == [[4.0, 4.0]] * 3


@pytest.mark.parametrize("f", [lambda a, b: a @ b, lambda a, b: TORCH["ones"](2, dtype=TORCH["float64"]) @ a,
                               lambda a, b: TORCH["dot"](b[0], b[1]), lambda a, b: TORCH["mv"](a, b[0]),
                               lambda a, b: a.reshape(1, 2, 2) @ b])
def test_second_backward_without_retain_graph_fails(f):
    """Mm, Dot, Mv and Bmm save their inputs (PyTorch: `x @ ones` graphs refuse a second backward)."""
    a, b = t(np.ones((2, 2)), grad=True), t(np.ones((2, 2)), grad=True)
    y = f(a, b).sum()
    y.backward()
    with pytest.raises(AutogradError):
        y.backward()


def test_integer_matmul_keeps_the_integer_dtype():
    a = t([[1, 2], [3, 4]], dtype=np.int64)
    assert (a @ a).array.tolist() == [[7, 10], [15, 22]] and (a @ a).dtype.name == "int64"
    b = t([[1, 2], [3, 4]], dtype=np.int32)
    assert (b @ b).dtype.name == "int32"
    assert (t([1, 2], dtype=np.int64) @ t([3, 4], dtype=np.int64)).array.tolist() == 11


def test_no_grad_records_nothing_and_gives_the_same_values():
    r = np.random.default_rng(5)
    a, b = t(r.normal(size=(2, 1, 3, 4)), grad=True), t(r.normal(size=(5, 4, 2)), grad=True)
    with_graph = a @ b
    with no_grad():
        plain = a @ b
    assert plain.grad_fn is None and not plain.requires_grad
    np.testing.assert_allclose(plain.array, with_graph.array, rtol=1e-12)
    np.testing.assert_allclose(plain.array, np.matmul(a.array, b.array), rtol=1e-12)


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, words", [
    (lambda: t(np.ones((2, 3))) @ t(np.ones((4, 5))), ShapeError, ["2x3", "4x5"]),
    (lambda: TORCH["mm"](t(np.ones((2, 3))), t(np.ones((4, 5)))), ShapeError, ["2x3", "4x5"]),
    (lambda: TORCH["mm"](t(np.ones(3)), t(np.ones((3, 2)))), ShapeError, ["1-D", "2-D"]),
    (lambda: TORCH["dot"](t(np.ones((2, 2))), t(np.ones((2, 2)))), ShapeError, ["1-D", "2-D and 2-D"]),
    (lambda: TORCH["dot"](t(np.ones(2)), t(np.ones(3))), ShapeError, ["2", "3"]),
    (lambda: t(np.ones(3)) @ t(np.ones(4)), ShapeError, ["3", "4"]),
    (lambda: t(np.ones((2, 3))) @ t(np.ones(4)), ShapeError, ["[2, 3]", "[4]"]),
    (lambda: TORCH["mv"](t(np.ones((2, 3))), t(np.ones(4))), ShapeError, ["2x3", "4"]),
    (lambda: TORCH["mv"](t(np.ones(3)), t(np.ones(3))), ShapeError, ["1-D"]),
    (lambda: TORCH["bmm"](t(np.ones((2, 3))), t(np.ones((3, 2)))), ShapeError, ["3-D"]),
    (lambda: TORCH["bmm"](t(np.ones((2, 2, 3))), t(np.ones((3, 3, 2)))), ShapeError, ["[2, 2, 3]", "[3, 3, 2]"]),
    (lambda: t(np.ones((2, 2, 3))) @ t(np.ones((3, 3, 4))), ShapeError, ["[2]", "[3]"]),
    (lambda: t(np.ones((2, 2, 3))) @ t(np.ones((4, 5))), ShapeError, ["[2, 2, 3]", "[4, 5]"]),
    (lambda: t(2.0) @ t(np.ones(2)), ShapeError, ["0-D"]),
    (lambda: t(np.ones(2), dtype=np.float32) @ t(np.ones(2)), DTypeError, ["float32", "float64"]),
    (lambda: t(np.ones((2, 2))) @ t(np.ones((2, 2)), dtype=np.int64), DTypeError, ["int64"]),
    (lambda: t([[True]], dtype=np.bool_) @ t([[True]], dtype=np.bool_), DTypeError, ["bool"]),
    (lambda: t(np.ones(2)) @ 2.0, ValueTypeError, ["float"]),
    (lambda: TORCH["matmul"]([1.0], t(np.ones(1))), ValueTypeError, ["list"]),
])
def test_errors_name_the_shapes_and_give_a_hint(call, error, words):
    with pytest.raises(error) as info:
        call()
    for w in words:
        assert w in info.value.message
    assert info.value.hint


# -- live torch ---------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(shapes=matmul_shapes(), seed=st.integers(0, 2**16), grads=st.sampled_from([(1, 1), (1, 0), (0, 1)]))
def test_live_torch_graph_values_and_hessian_vector_products(shapes, seed, grads):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(seed)
    da, db = r.normal(size=shapes[0]), r.normal(size=shapes[1])
    ta = torch.tensor(da, requires_grad=bool(grads[0]))
    tb = torch.tensor(db, requires_grad=bool(grads[1]))
    a, b = t(da, grad=bool(grads[0])), t(db, grad=bool(grads[1]))
    ty, y = torch.matmul(ta, tb), a @ b

    def torch_layout(fn):
        if fn is None:
            return None
        if type(fn).__name__ == "AccumulateGrad":
            return ["AccumulateGrad", "a" if fn.variable is ta else "b"]
        return [type(fn).__name__, [torch_layout(f) for f, _ in fn.next_functions]]

    assert layout(y.grad_fn, {"a": a, "b": b}) == torch_layout(ty.grad_fn)
    np.testing.assert_allclose(y.array, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    up = r.normal(size=tuple(ty.shape))
    tvars = [v for v in (ta, tb) if v.requires_grad]
    vars_ = [v for v in (a, b) if v.requires_grad]
    tgs = torch.autograd.grad(ty.sin(), tvars, torch.tensor(up), create_graph=True)
    gs = autograd.grad(y.sin(), vars_, t(up), create_graph=True)
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g.array, tg.detach().numpy(), rtol=1e-9, atol=1e-12)
    ws = [r.normal(size=v.array.shape) for v in vars_]
    ths = torch.autograd.grad(tgs, tvars, [torch.tensor(w) for w in ws])
    hs = autograd.grad(list(gs), vars_, [t(w) for w in ws])
    for h, th in zip(hs, ths):
        np.testing.assert_allclose(h.array, th.numpy(), rtol=1e-9, atol=1e-12)
