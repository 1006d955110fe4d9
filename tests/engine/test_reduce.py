"""Reductions: sum, mean, prod, max/min (full, dim, amax/amin), norms, argmax/argmin, all/any.

Gradients against central finite differences in float64 over generated shapes
and dims (second order for the smooth ones); values, gradients, dtypes and
grad_fn names against data recorded from PyTorch
(tests/parity/gen_reduce_linalg_data.py), including the conventions at kinks;
grad_fn layouts against gradfn_cases.json; live torch when installed; errors.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from gradcheck import check_grads
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcli.engine.api as api
from gradcli.engine import autograd
from gradcli.engine.ops import reduce as R
from gradcli.engine.tensor import Tensor
from gradcli.errors import (ArgumentError, AutogradError, DTypeError, GradcliError, IndexOutOfRange,
                            ValueTypeError)

TORCH = api.TORCH
DATA_DIR = Path(__file__).parents[1] / "parity" / "data"
DATA = json.loads((DATA_DIR / "reduce_linalg_cases.json").read_text())
GRADFN = {c["expr"]: c for c in json.loads((DATA_DIR / "gradfn_cases.json").read_text())["cases"]}
FD = settings(max_examples=20, deadline=None)
NP = {"float64": np.float64, "float32": np.float32, "float16": np.float16, "int64": np.int64,
      "int32": np.int32, "uint8": np.uint8, "bool": np.bool_}


def t(values, dtype=np.float64, grad=False) -> Tensor:
    x = Tensor(np.array(values, dtype=dtype))
    return x.requires_grad_() if grad else x


def run(x, op, args=(), kwargs=None):
    kwargs = dict(kwargs or {})
    if op.startswith("linalg."):
        return R.LINALG[op.removeprefix("linalg.")](x, *args, **kwargs)
    return getattr(x, op)(*args, **kwargs)


def assert_close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64),
                               rtol=1e-10, atol=1e-12, equal_nan=True)


# -- generated inputs ----------------------------------------------------------------------------
def shapes(min_dims=0, max_dims=3):
    return st.lists(st.integers(1, 4), min_size=min_dims, max_size=max_dims).map(tuple)


def dims(ndim, single=False):
    """None, a dim (possibly negative), or (unless single) a tuple of distinct dims."""
    n = max(ndim, 1)
    one = st.integers(-n, n - 1)
    if single:
        return one
    many = st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True).map(tuple) if ndim else one
    return st.one_of(st.none(), one, many)


def normal(seed, shape):
    return np.random.default_rng(seed).normal(size=shape)


def away_from_zero(seed, shape):
    r = np.random.default_rng(seed)
    return r.uniform(0.5, 1.5, size=shape) * r.choice([-1.0, 1.0], size=shape)


def distinct(seed, shape):
    """Values at least 0.4 apart, so max/min and |x| have no ties within the finite-difference step."""
    r = np.random.default_rng(seed)
    n = int(np.prod(shape, dtype=int))
    v = (r.permutation(n) + 1.0) * 0.5 * r.choice([-1.0, 1.0]) + r.uniform(0, 0.1, size=n)
    return v.reshape(shape)


# -- finite differences ------------------------------------------------------------------------
@FD
@given(shape=shapes(), seed=st.integers(0, 2**16), data=st.data())
def test_sum_and_mean_gradients_over_dims(shape, seed, data):
    dim = data.draw(dims(len(shape)))
    keepdim = data.draw(st.booleans())
    x = t(normal(seed, shape), grad=True)
    check_grads(lambda a: a.sum(dim=dim, keepdim=keepdim) if dim is not None or keepdim else a.sum(), [x], order=2)
    check_grads(lambda a: TORCH["mean"](a, dim, keepdim) if dim is not None or keepdim else a.mean(), [x], order=2)


@FD
@given(shape=shapes(), seed=st.integers(0, 2**16), data=st.data())
def test_prod_gradients_first_and_second_order(shape, seed, data):
    dim = data.draw(st.one_of(st.none(), dims(len(shape), single=True)))
    keepdim = data.draw(st.booleans()) and dim is not None
    x = t(away_from_zero(seed, shape), grad=True)
    check_grads(lambda a: a.prod() if dim is None else a.prod(dim, keepdim=keepdim), [x], order=2)


@FD
@given(shape=shapes(min_dims=1), seed=st.integers(0, 2**16), data=st.data())
def test_prod_second_order_with_a_zero_present(shape, seed, data):
    """With a zero the backward switches to exact products of the others; those differentiate too."""
    dim = data.draw(dims(len(shape), single=True))
    values = away_from_zero(seed, shape)
    values.reshape(-1)[data.draw(st.integers(0, values.size - 1))] = 0.0
    x = t(values, grad=True)
    check_grads(lambda a: a.prod(dim), [x], order=2)
    check_grads(lambda a: a.prod(), [x], order=2)


@FD
@given(shape=shapes(), seed=st.integers(0, 2**16), data=st.data(),
       op=st.sampled_from(["max", "min", "amax", "amin"]))
def test_max_min_gradients_without_ties(shape, seed, data, op):
    x = t(distinct(seed, shape), grad=True)
    if op in ("max", "min"):
        dim = data.draw(st.one_of(st.none(), dims(len(shape), single=True)))
        keepdim = data.draw(st.booleans())
        f = (lambda a: getattr(a, op)()) if dim is None else (lambda a: getattr(a, op)(dim, keepdim)[0])
    else:
        dim = data.draw(dims(len(shape)))
        keepdim = data.draw(st.booleans())
        f = lambda a: getattr(a, op)(dim=() if dim is None else dim, keepdim=keepdim)  # noqa: E731
    check_grads(f, [x], order=2)


@FD
@given(shape=shapes(), seed=st.integers(0, 2**16), data=st.data(),
       p=st.sampled_from([2, 1, 3, 1.5, 0.5, -1.5, math.inf, -math.inf, 0]))
def test_vector_norm_gradients(shape, seed, data, p):
    dim = data.draw(dims(len(shape)))
    keepdim = data.draw(st.booleans())
    x = t(distinct(seed, shape) if math.isinf(p) else away_from_zero(seed, shape), grad=True)
    order = 1 if p in (1, 0) or math.isinf(p) else 2  # |x| and counting are piecewise linear
    check_grads(lambda a: a.norm(p=p, dim=dim, keepdim=keepdim), [x], order=order, rtol=1e-4)


def test_second_order_through_broadcasting_uses_sum_to_tensor():
    """fix_grads sums broadcast gradients with sum_to_tensor when create_graph is on."""
    r = np.random.default_rng(3)
    a, b = t(r.normal(size=(2, 3)), grad=True), t(r.normal(size=(3,)), grad=True)
    c = t(r.normal(size=(4, 1, 3)), grad=True)
    check_grads(lambda x, y: (x * y) ** 2, [a, b], order=2)
    check_grads(lambda x, y: (x * y).sin(), [a, b], order=2)
    check_grads(lambda x, z: (x * z).exp(), [a, c], order=2)


def test_sum_to_tensor_reduces_leading_and_size_one_dims():
    g = t(np.arange(24.0).reshape(2, 3, 4), grad=True)
    out = R.sum_to_tensor(g, (3, 1))
    assert out.shape == (3, 1)
    assert_close(out.array, np.arange(24.0).reshape(2, 3, 4).sum(axis=(0, 2)).reshape(3, 1))
    assert out.grad_fn is not None and out.requires_grad
    same = R.sum_to_tensor(g, (2, 3, 4))
    assert same is g
    kept = R.sum_to_tensor(g, (2, 1, 4))
    assert kept.grad_fn.name == "SumBackward1" and kept.shape == (2, 1, 4)


# -- PyTorch's values, gradients and names (recorded) ------------------------------------------
@pytest.mark.parametrize("case", DATA["calls"], ids=lambda c: c["label"])
def test_matches_recorded_torch_call(case):
    x = t(case["input"], grad=True)
    out = run(x, case["op"], case["args"], case["kwargs"])
    if "indices" in case:
        values, indices = out
        assert indices.dtype.name == case["indices_dtype"]
        assert indices.array.tolist() == case["indices"]
    else:
        values = out
    assert values.dtype.name == case["dtype"]
    assert (values.grad_fn.name if values.grad_fn is not None else None) == case["grad_fn"]
    assert_close(values.array, case["output"])
    values.backward(t(case["upstream"]))
    if case["grad"] is None:
        assert x.grad is None
    else:
        assert_close(x.grad.array, case["grad"])


@pytest.mark.parametrize("case", DATA["dtypes"], ids=lambda c: f"{c['input_dtype']}.{c['op']}{c['args']}")
def test_result_dtypes_match_torch(case):
    x = t(case["input"], dtype=NP[case["input_dtype"]])
    if "error" in case:
        with pytest.raises(GradcliError) as info:
            run(x, case["op"], case["args"])
        assert info.value.hint
        return
    out = run(x, case["op"], case["args"])
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype.name == case["dtype"]
    np.testing.assert_allclose(np.asarray(out.array, dtype=np.float64), np.asarray(case["value"], dtype=np.float64),
                               rtol=1e-3)


# -- grad_fn layouts (gradfn_cases.json) ----------------------------------------------------------
def _layout_cases():
    a = lambda: t([0.5, -1.0, 2.0], grad=True)  # noqa: E731
    A = lambda: t([[0.5, -1.0, 2.0], [1.5, 3.0, -2.0]], grad=True)  # noqa: E731
    return {
        "a.sum()": lambda: a().sum(),
        "A.sum(dim=0)": lambda: A().sum(dim=0),
        "A.sum(dim=1, keepdim=True)": lambda: A().sum(dim=1, keepdim=True),
        "a.mean()": lambda: a().mean(),
        "A.mean(dim=1, keepdim=True)": lambda: A().mean(dim=1, keepdim=True),
        "A.mean(0)": lambda: A().mean(0),
        "a.prod()": lambda: a().prod(),
        "A.prod(dim=1)": lambda: A().prod(dim=1),
        "a.max()": lambda: a().max(),
        "a.min()": lambda: a().min(),
        "A.max(dim=1)[0]": lambda: A().max(dim=1)[0],
        "A.min(dim=0).values": lambda: A().min(dim=0).values,
        "torch.max(a,b)": lambda: TORCH["max"](a(), a()),
        "a.argmax() (no grad_fn)": lambda: a().argmax(),
        "a.norm()": lambda: a().norm(),
        "torch.norm(a)": lambda: TORCH["norm"](a()),
        "A.norm(dim=1)": lambda: A().norm(dim=1),
        "torch.linalg.norm(a)": lambda: R.LINALG["norm"](a()),
        "a.sum()*2 (chain)": lambda: a().sum() * 2,
        "(a*b).sum()": lambda: (a() * a()).sum(),
    }


@pytest.mark.parametrize("label", list(_layout_cases()))
def test_grad_fn_layout_matches_torch(label):
    want = GRADFN[label]
    y = _layout_cases()[label]()
    assert list(y.shape) == want["shape"]
    assert y.requires_grad == want["requires_grad"] and y.is_leaf == want["is_leaf"]
    if want["grad_fn"] is None:
        assert y.grad_fn is None
        return
    assert y.grad_fn.name == want["grad_fn"]
    got = [[None if f is None else f.name, i] for f, i in y.grad_fn.next_functions]
    assert got == want["next_functions"]


# -- semantics ------------------------------------------------------------------------------------
@pytest.mark.parametrize("f, survives", [
    (lambda x: x.sum(1).sum(), True), (lambda x: x.mean(1).sum(), True), (lambda x: x.sum(), True),
    (lambda x: x.prod(), False), (lambda x: x.max(), False), (lambda x: x.max(dim=1).values.sum(), False),
    (lambda x: x.min(dim=1)[0].sum(), False), (lambda x: x.amax(1).sum(), False), (lambda x: x.norm(), False),
    (lambda x: x.norm(p=0), False), (lambda x: x.norm(p=1), False),
])
def test_second_backward_without_retain_graph_fails_only_where_torch_saves(f, survives):
    x = t([[1.0, 3.0, 2.0], [0.5, 5.0, 4.0]], grad=True)
    y = f(x)
    y.backward()
    if survives:
        y.backward()
        assert x.grad is not None
    else:
        with pytest.raises(AutogradError):
            y.backward()


def test_max_with_dim_returns_a_named_pair():
    x = t([[2.0, 7.0, 7.0], [1.0, 0.0, 5.0]], grad=True)
    result = x.max(1)
    values, indices = result
    assert result.op == "max" and len(result) == 2
    assert result[0] is result.values is values and result[1] is result.indices is indices
    assert values.array.tolist() == [7.0, 5.0] and indices.array.tolist() == [1, 2]
    assert indices.dtype.name == "int64" and indices.grad_fn is None and not indices.requires_grad
    kept = TORCH["min"](x, dim=0, keepdim=True)
    assert kept.op == "min" and kept.values.shape == (1, 3) and kept.indices.array.tolist() == [[1, 1, 1]]


def test_torch_max_of_two_tensors_is_elementwise():
    a, b = t([1.0, 3.0, 3.0], grad=True), t([3.0, 3.0, 0.0], grad=True)
    y = TORCH["max"](a, b)
    assert y.grad_fn.name == "MaximumBackward0"
    y.sum().backward()
    assert a.grad.array.tolist() == [0.0, 0.5, 1.0]  # TORCH_REFERENCE Part C: ties give 0.5 to each
    assert TORCH["min"](a, other=b).grad_fn.name == "MinimumBackward0"


def test_argmax_argmin_all_any():
    x = t([[1.0, 9.0, 9.0], [4.0, -2.0, 4.0]], grad=True)
    assert x.argmax().array.tolist() == 1 and x.argmax().grad_fn is None
    assert x.argmax(1).array.tolist() == [1, 0]
    assert x.argmin(dim=0, keepdim=True).array.tolist() == [[0, 1, 1]]
    assert x.argmax(dim=None, keepdim=True).shape == (1, 1)
    b = t([[True, False], [True, True]], dtype=np.bool_)
    assert b.all().array.tolist() is False and b.all(1).array.tolist() == [False, True]
    assert b.any(dim=(0, 1)).array.tolist() is True and b.any(0, keepdim=True).shape == (1, 2)


def test_sum_with_dtype_computes_in_that_dtype_and_returns_grad_in_the_input_dtype():
    x = t([1.0, 2.0, 3.0], dtype=np.float32, grad=True)
    y = x.sum(dtype=TORCH["float64"])
    assert y.dtype.name == "float64"
    y.backward()
    assert x.grad.dtype.name == "float32" and x.grad.array.tolist() == [1.0, 1.0, 1.0]
    z = x.mean(0, dtype=TORCH["float64"])
    z.backward()
    assert x.grad.dtype.name == "float32"


def test_empty_reductions():
    e = t(np.zeros((0, 3)))
    assert e.sum().array.tolist() == 0.0 and e.prod().array.tolist() == 1.0
    assert math.isnan(e.mean().array.item())
    assert e.max(1).values.shape == (0,)
    assert e.norm().array.tolist() == 0.0


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error", [
    (lambda A: A.sum(2), IndexOutOfRange),
    (lambda A: A.mean(-3), IndexOutOfRange),
    (lambda A: A.max(dim=5), IndexOutOfRange),
    (lambda A: A.sum((0, 0)), ArgumentError),
    (lambda A: A.sum(dim=(0, -2)), ArgumentError),
    (lambda A: A.sum(1.5), ValueTypeError),
    (lambda A: A.prod((0, 1)), ValueTypeError),
    (lambda A: A.max(keepdim=True), ArgumentError),
    (lambda A: TORCH["max"](A, 2.0), ValueTypeError),
    (lambda A: t([1, 2], dtype=np.int64).mean(), DTypeError),
    (lambda A: t([1, 2], dtype=np.int64).norm(), DTypeError),
    (lambda A: t([True], dtype=np.bool_).argmax(), DTypeError),
    (lambda A: t(np.zeros(0)).max(), ArgumentError),
    (lambda A: t(np.zeros((0, 2))).max(0), IndexOutOfRange),
    (lambda A: t(np.zeros(0)).argmax(), ArgumentError),
    (lambda A: A.norm(p="nuc"), ArgumentError),
    (lambda A: A.norm(p=[1]), ValueTypeError),
    (lambda A: R.LINALG["norm"](A, ord=2), ArgumentError),
    (lambda A: R.LINALG["norm"](A, 1, dim=(0, 1)), ArgumentError),
    (lambda A: R.LINALG["norm"](t(np.ones((2, 2, 2))), 2), ArgumentError),
    (lambda A: TORCH["sum"]([1.0, 2.0]), ValueTypeError),
])
def test_errors_are_gradcli_errors_with_hints(call, error):
    A = t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], grad=True)
    with pytest.raises(error) as info:
        call(A)
    assert info.value.message and info.value.hint


def test_linalg_norm_is_a_vector_norm_over_one_dim_or_all_elements():
    A = t([[3.0, 4.0], [6.0, 8.0]], grad=True)
    assert R.LINALG["norm"](A, 2, dim=(0,)).array.tolist() == [math.hypot(3, 6), math.hypot(4, 8)]
    assert R.LINALG["norm"](A, 1, dim=1).array.tolist() == [7.0, 14.0]
    assert R.LINALG["norm"](A).array.tolist() == pytest.approx(math.sqrt(125.0))
    assert R.LINALG["norm"](A, "fro").grad_fn.name == "LinalgVectorNormBackward0"


def test_zero_dim_tensor_accepts_dim_zero_and_minus_one():
    s = t(2.5, grad=True)
    assert s.sum(0).shape == () and s.sum(-1).grad_fn.name == "SumBackward1"
    with pytest.raises(IndexOutOfRange):
        s.sum(1)


# -- live torch ---------------------------------------------------------------------------------
def test_live_torch_values_gradients_and_hessian_vector_products():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(11)
    cases = [("sum", (1,), {"keepdim": True}), ("mean", ((0, 2),), {}), ("prod", (2,), {}), ("prod", (), {}),
             ("norm", (), {"p": 3, "dim": 1}), ("norm", (), {"dim": (0, 1)}), ("amax", ((1, 2),), {}),
             ("max", (0,), {"keepdim": True}), ("min", (), {})]
    for op, args, kwargs in cases:
        data = away_from_zero(int(r.integers(1 << 16)), (2, 3, 4))
        tx = torch.tensor(data, requires_grad=True)
        x = t(data, grad=True)
        ty = getattr(tx, op)(*args, **kwargs)
        y = getattr(x, op)(*args, **kwargs)
        ty, y = (ty[0], y[0]) if isinstance(y, tuple) else (ty, y)
        assert y.grad_fn.name == type(ty.grad_fn).__name__
        assert_close(y.array, ty.detach().numpy())
        up = r.normal(size=tuple(ty.shape))
        (tg,) = torch.autograd.grad(ty, tx, torch.tensor(up), create_graph=True)
        (g,) = autograd.grad(y, [x], t(up), create_graph=True)
        np.testing.assert_allclose(g.array, tg.detach().numpy(), rtol=1e-9, atol=1e-12)
        w = r.normal(size=data.shape)
        if tg.requires_grad:
            (th,) = torch.autograd.grad(tg, tx, torch.tensor(w), allow_unused=True)
            (h,) = autograd.grad(g, [x], t(w), allow_unused=True) if g.requires_grad else (None,)
            want = np.zeros_like(data) if th is None else th.numpy()
            got = np.zeros_like(data) if h is None else h.array
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)
