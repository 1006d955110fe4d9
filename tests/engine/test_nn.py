"""nn.functional: softmax family, losses and activations.

Gradients against central finite differences in float64 (second order for the
smooth ones), values and gradients against data recorded from PyTorch
(tests/parity/gen_nn_data.py) and against live torch when installed, grad_fn
layouts, stability at extreme logits, dtype rules and errors.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from gradcheck import check_grads
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcli.engine.api as api
from gradcli.engine import dtypes
from gradcli.engine.ops import nn
from gradcli.engine.tensor import Tensor
from gradcli.errors import (ArgumentError, AutogradError, DTypeError, GradcliError, GradcliWarning,
                            IndexOutOfRange, ShapeError, ValueTypeError)

F = api.FUNCTIONAL
TORCH = api.TORCH
DATA_DIR = Path(__file__).parents[1] / "parity" / "data"
NN = json.loads((DATA_DIR / "nn_cases.json").read_text())
GRADFN = json.loads((DATA_DIR / "gradfn_cases.json").read_text())["cases"]
NP = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "uint8": np.uint8}
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
FD = settings(max_examples=15, deadline=None)


def t(values, dtype=np.float64, grad=False) -> Tensor:
    x = Tensor(np.array(values, dtype=dtype))
    return x.requires_grad_() if grad else x


def rng(seed):
    return np.random.default_rng(seed)


def shapes(min_dims=1, max_dims=3):
    return st.lists(st.integers(1, 4), min_size=min_dims, max_size=max_dims).map(tuple)


# -- finite differences ------------------------------------------------------------------------
@FD
@given(shape=shapes(), seed=st.integers(0, 2**16), data=st.data())
def test_softmax_and_log_softmax_gradients_first_and_second_order(shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = t(rng(seed).normal(size=shape) * 2, grad=True)
    check_grads(lambda a: F["softmax"](a, dim=dim), [x], order=2)
    check_grads(lambda a: F["log_softmax"](a, dim=dim), [x], order=2)


@FD
@given(shape=shapes(), seed=st.integers(0, 2**16), reduction=REDUCTIONS, target_grad=st.booleans())
def test_mse_loss_gradients(shape, seed, reduction, target_grad):
    r = rng(seed)
    a, b = t(r.normal(size=shape), grad=True), t(r.normal(size=shape), grad=target_grad)
    check_grads(lambda x, y: F["mse_loss"](x, y, reduction=reduction), [a, b], order=2)


@FD
@given(shape=shapes(), seed=st.integers(0, 2**16), reduction=REDUCTIONS, weighted=st.booleans(),
       target_grad=st.booleans())
def test_binary_cross_entropy_gradients(shape, seed, reduction, weighted, target_grad):
    r = rng(seed)
    x = t(r.uniform(0.05, 0.95, size=shape), grad=True)
    y = t(r.uniform(0.05, 0.95, size=shape), grad=target_grad)
    w = t(r.uniform(0.5, 2.0, size=shape[-1:])) if weighted else None
    check_grads(lambda a, b: F["binary_cross_entropy"](a, b, weight=w, reduction=reduction), [x, y], order=2,
                rtol=1e-3)


@FD
@given(shape=shapes(), seed=st.integers(0, 2**16), reduction=REDUCTIONS, weighted=st.booleans(),
       pos_weighted=st.booleans(), target_grad=st.booleans())
def test_binary_cross_entropy_with_logits_gradients(shape, seed, reduction, weighted, pos_weighted, target_grad):
    r = rng(seed)
    z = t(r.normal(size=shape) * 3, grad=True)
    y = t(r.uniform(0, 1, size=shape), grad=target_grad)
    w = t(r.uniform(0.5, 2.0, size=shape[-1:])) if weighted else None
    pw = t(r.uniform(0.5, 3.0, size=shape[-1:])) if pos_weighted else None
    check_grads(lambda a, b: F["binary_cross_entropy_with_logits"](a, b, weight=w, pos_weight=pw,
                                                                    reduction=reduction), [z, y], order=2)


@FD
@given(n=st.integers(1, 5), c=st.integers(1, 5), seed=st.integers(0, 2**16), reduction=REDUCTIONS,
       weighted=st.booleans(), ignore=st.booleans(), one_d=st.booleans())
def test_nll_loss_gradients(n, c, seed, reduction, weighted, ignore, one_d):
    r = rng(seed)
    x = t(r.normal(size=(c,) if one_d else (n, c)), grad=True)
    target = r.integers(0, c, size=() if one_d else (n,))
    if ignore and not one_d and n > 1:
        target[0] = -100
    w = t(r.uniform(0.5, 2.0, size=c)) if weighted else None
    check_grads(lambda a: F["nll_loss"](a, t(target, np.int64), weight=w, reduction=reduction), [x])


@FD
@given(n=st.integers(1, 4), c=st.integers(2, 5), seed=st.integers(0, 2**16), reduction=REDUCTIONS,
       weighted=st.booleans(), smoothing=st.sampled_from([0.0, 0.25]), probs=st.booleans())
def test_cross_entropy_gradients(n, c, seed, reduction, weighted, smoothing, probs):
    r = rng(seed)
    x = t(r.normal(size=(n, c)) * 2, grad=True)
    if probs:
        p = r.uniform(size=(n, c))
        target = t(p / p.sum(1, keepdims=True))
    else:
        target = t(r.integers(0, c, size=n), np.int64)
    w = t(r.uniform(0.5, 2.0, size=c)) if weighted else None
    check_grads(lambda a: F["cross_entropy"](a, target, weight=w, reduction=reduction,
                                             label_smoothing=smoothing), [x], order=2)


@FD
@given(shape=shapes(), seed=st.integers(0, 2**16))
def test_smooth_activation_gradients_first_and_second_order(shape, seed):
    x = t(rng(seed).normal(size=shape) * 2, grad=True)
    for f in (F["sigmoid"], F["tanh"], F["gelu"], lambda a: F["gelu"](a, approximate="tanh"), F["softplus"],
              lambda a: F["softplus"](a, beta=2.0, threshold=50.0)):
        check_grads(f, [x], order=2)


@FD
@given(shape=shapes(), seed=st.integers(0, 2**16))
def test_piecewise_activation_gradients(shape, seed):
    v = rng(seed).normal(size=shape)
    x = t(np.where(np.abs(v) < 1e-3, 0.5, v), grad=True)  # keep finite differences off the kink
    for f in (F["relu"], F["leaky_relu"], lambda a: F["leaky_relu"](a, negative_slope=0.3),
              lambda a: F["softplus"](a, beta=1.0, threshold=0.2)):
        check_grads(f, [x])


def test_mse_loss_broadcasting_gradients_and_warning():
    r = rng(3)
    a, b = t(r.normal(size=3), grad=True), t(r.normal(size=(2, 3)), grad=True)
    with pytest.warns(GradcliWarning, match=r"\[2, 3\]"):
        check_grads(lambda x, y: F["mse_loss"](x, y), [a, b], order=2)


# -- values and gradients recorded from PyTorch ------------------------------------------------
def build(spec):
    if isinstance(spec, dict) and "data" in spec:
        x = Tensor(np.array(spec["data"], dtype=NP[spec["dtype"]]))
        return x.requires_grad_() if spec["requires_grad"] else x
    return spec


def chain(fn):
    if fn is None:
        return None
    return [fn.name, [chain(f) for f, _ in fn.next_functions]]


def close(actual, expected, dtype):
    rtol, atol = (2e-5, 1e-6) if dtype == "float32" else (1e-10, 1e-12)
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.array(expected, dtype=np.float64),
                               rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("case", NN["cases"], ids=lambda c: c["name"])
def test_values_gradients_and_grad_fn_match_recorded_torch(case):
    args = [build(a) for a in case["args"]]
    kwargs = {k: (dtypes.BY_NAME[v] if k == "dtype" else build(v)) for k, v in case["kwargs"].items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GradcliWarning)
        out = F[case["fn"]](*args, **kwargs)
    assert out.dtype.name == case["out_dtype"]
    assert out.array.shape == np.shape(case["out"])
    close(out.array, case["out"], case["out_dtype"])
    assert chain(out.grad_fn) == case["grad_fn"]
    out.backward(Tensor(np.array(case["upstream"], dtype=out.array.dtype)))
    for x, g in zip(args, case["grads"]):
        if g is None:
            continue
        assert x.grad.array.dtype == x.array.dtype
        close(x.grad.array, g, x.dtype.name)


def test_tutorial_loss_gradient_from_torch_values():
    """TORCH_REFERENCE D.7: with torch's z, dloss/dz is b.grad (dz/db is the identity)."""
    tut = NN["tutorial"]
    z = t(tut["z"], np.float32, grad=True)
    loss = F["binary_cross_entropy_with_logits"](z, TORCH["zeros"](3))
    assert loss.grad_fn.name == "BinaryCrossEntropyWithLogitsBackward0"
    assert [n and n.name for n, _ in loss.grad_fn.next_functions] == ["AccumulateGrad", None]
    np.testing.assert_allclose(loss.item(), tut["loss"], rtol=1e-6)
    loss.backward()
    expected = [0.10829993337392807, 0.0369391143321991, 0.07259642332792282]
    assert tut["b_grad"] == expected
    assert z.grad.tolist() == expected  # to the last bit


@pytest.mark.skipif("matmul" not in TORCH, reason="linalg ops not available yet")
def test_tutorial_end_to_end_with_torch_weights():
    tut = NN["tutorial"]
    w, b = t(tut["w"], np.float32, grad=True), t(tut["b"], np.float32, grad=True)
    z = TORCH["matmul"](TORCH["ones"](5), w) + b
    np.testing.assert_allclose(z.array, np.array(tut["z"], np.float32), rtol=1e-6)
    loss = F["binary_cross_entropy_with_logits"](z, TORCH["zeros"](3))
    loss.backward()
    np.testing.assert_allclose(b.grad.array, np.array(tut["b_grad"], np.float32), rtol=1e-6)
    np.testing.assert_allclose(w.grad.array, np.array(tut["w_grad"], np.float32), rtol=1e-6)


# -- grad_fn layouts from the oracle -------------------------------------------------------------
def _oracle_exprs():
    a = t([0.2, 0.5, 0.7], np.float32, grad=True)
    b = t([0.1, 0.9, 0.3], np.float32, grad=True)
    c = t([1.0, 0.0, 1.0], np.float32)
    A = t([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]], np.float32, grad=True)
    idx = t([2, 0], np.int64)
    return {
        "F.sigmoid(a)": lambda: F["sigmoid"](a),
        "F.relu(a)": lambda: F["relu"](a),
        "F.softmax(A,dim=1)": lambda: F["softmax"](A, dim=1),
        "torch.softmax(A,1)": lambda: TORCH["softmax"](A, 1),
        "A.softmax(-1)": lambda: A.softmax(-1),
        "F.log_softmax(A,dim=1)": lambda: F["log_softmax"](A, dim=1),
        "F.binary_cross_entropy_with_logits(a,t)": lambda: F["binary_cross_entropy_with_logits"](a, c),
        "F.binary_cross_entropy(sigmoid(a),t)": lambda: F["binary_cross_entropy"](TORCH["sigmoid"](a), c),
        "F.mse_loss(a,b)": lambda: F["mse_loss"](a, b),
        "F.mse_loss(a,c)": lambda: F["mse_loss"](a, c),
        "F.cross_entropy(logits,idx)": lambda: F["cross_entropy"](A, idx),
        "F.nll_loss(log_softmax,idx)": lambda: F["nll_loss"](F["log_softmax"](A, 1), idx),
    }


ORACLE = _oracle_exprs()


@pytest.mark.parametrize("case", [c for c in GRADFN if c["expr"] in ORACLE], ids=lambda c: c["expr"])
def test_grad_fn_layout_matches_oracle(case):
    out = ORACLE[case["expr"]]()
    assert out.grad_fn.name == case["grad_fn"]
    assert [[n and n.name, i] for n, i in out.grad_fn.next_functions] == case["next_functions"]
    assert list(out.shape) == case["shape"]
    assert out.requires_grad and not out.is_leaf


def test_every_oracle_label_is_covered():
    labels = {c["expr"] for c in GRADFN}
    assert set(ORACLE) <= labels


def test_second_backward_refused_for_saving_nodes_and_allowed_with_retain_graph():
    for f in (lambda a: F["mse_loss"](a, t([1.0, 2.0])),
              lambda a: F["binary_cross_entropy_with_logits"](a, t([1.0, 0.0])),
              lambda a: F["nll_loss"](a, t(1, np.int64)),
              lambda a: F["cross_entropy"](a, t(1, np.int64))):
        a = t([0.3, 0.6], grad=True)
        loss = f(a)
        loss.backward(retain_graph=True)
        loss.backward()
        with pytest.raises(AutogradError):
            loss.backward()
    s = F["softmax"](t([0.3, 0.6], grad=True), 0)
    s.backward(t([1.0, 0.0]))
    with pytest.raises(AutogradError):
        s.backward(t([1.0, 0.0]))


# -- stability ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_give_finite_values_and_gradients(dtype):
    x = [[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [3e4, 1.0, -3e4]]
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow, NaN or log(0)
        for f in (lambda a: F["softmax"](a, dim=1), lambda a: F["log_softmax"](a, dim=1),
                  lambda a: F["cross_entropy"](a, t([0, 1, 2], np.int64)),
                  lambda a: F["cross_entropy"](a, t(np.full((3, 3), 1 / 3), dtype)),
                  lambda a: F["binary_cross_entropy_with_logits"](a, t(np.eye(3), dtype)),
                  lambda a: F["binary_cross_entropy_with_logits"](a, t(np.eye(3), dtype),
                                                                  pos_weight=t([2.0, 1.0, 0.5], dtype)),
                  F["softplus"], F["sigmoid"]):
            a = t(x, dtype, grad=True)
            out = f(a)
            assert out.array.dtype == dtype
            assert np.isfinite(out.array).all()
            out.backward(Tensor(np.ones_like(out.array)))
            assert np.isfinite(a.grad.array).all()
    ls = F["log_softmax"](t(x, dtype), dim=1).array
    assert ls[0, 1] == dtype(-2e4) and ls[2, 2] == dtype(-6e4)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    x = t([0.0, 1.0], grad=True)
    loss = F["binary_cross_entropy"](x, t([1.0, 0.0]), reduction="none")
    assert loss.tolist() == [100.0, 100.0]
    loss.backward(t([1.0, 1.0]))
    eps = float(np.float32(1e-12))  # torch's EPSILON is a C++ float
    assert x.grad.tolist() == [-1 / eps, 1 / eps]  # (x − y) / max(x(1 − x), ε)


# -- dtype rules ---------------------------------------------------------------------------------
def test_float32_stays_float32_and_targets_promote_like_torch():
    a = t([0.2, 0.4], np.float32, grad=True)
    for out in (F["softmax"](a, 0), F["log_softmax"](a, 0), F["mse_loss"](a, t([1.0, 0.0], np.float32)),
                F["binary_cross_entropy"](a, t([1.0, 0.0], np.float32)),
                F["binary_cross_entropy_with_logits"](a, t([1.0, 0.0], np.float32)),
                F["cross_entropy"](a, t(1, np.int64)), F["gelu"](a), F["softplus"](a), F["leaky_relu"](a)):
        assert out.array.dtype == np.float32
    assert F["mse_loss"](a, t([1.0, 0.0])).array.dtype == np.float64
    assert F["mse_loss"](a, t([1, 0], np.int64)).array.dtype == np.float32
    assert F["binary_cross_entropy_with_logits"](a, t([1.0, 0.0])).array.dtype == np.float64
    assert TORCH["softmax"](a, 0, dtype=dtypes.float64).grad_fn.next_functions[0][0].name == "ToCopyBackward0"


def test_mixed_dtype_gradients_come_back_in_each_input_dtype():
    a, b = t([0.2, 0.4], np.float32, grad=True), t([1.0, 0.0], np.float64, grad=True)
    F["mse_loss"](a, b).backward()
    assert a.grad.array.dtype == np.float32 and b.grad.array.dtype == np.float64


# -- errors --------------------------------------------------------------------------------------
def _raises(kind, f, *words):
    with pytest.raises(kind) as info:
        f()
    err = info.value
    assert isinstance(err, GradcliError) and err.hint
    for w in words:
        assert w in err.message
    return err


def test_shape_mismatch_names_both_shapes():
    a = t([0.2, 0.4, 0.5], grad=True)
    two = t([1.0, 0.0])
    _raises(ShapeError, lambda: F["binary_cross_entropy"](a, two), "[2]", "[3]")
    _raises(ShapeError, lambda: F["binary_cross_entropy_with_logits"](a, two), "[2]", "[3]")
    _raises(ShapeError, lambda: F["mse_loss"](a, t([1.0, 0.0, 1.0, 0.0])), "[3]", "[4]")
    _raises(ShapeError, lambda: F["nll_loss"](t(np.zeros((2, 3))), t([0, 1, 2], np.int64)), "[2, 3]", "[3]")
    _raises(ShapeError, lambda: F["cross_entropy"](t(np.zeros((2, 3))), t(np.zeros((2, 4)))), "[2, 3]", "[2, 4]")
    _raises(ShapeError, lambda: F["nll_loss"](t(np.zeros((2, 3))), t([0, 1], np.int64), weight=t([1.0, 2.0])),
            "[2]")


def test_target_dtype_errors_have_hints():
    x = t(np.zeros((2, 3)), grad=True)
    err = _raises(DTypeError, lambda: F["nll_loss"](x, t([0.0, 1.0])), "float64")
    assert "long" in err.hint
    _raises(DTypeError, lambda: F["cross_entropy"](x, t([0, 1], np.int32)), "int32")
    _raises(DTypeError, lambda: F["binary_cross_entropy"](t([0.5], np.float32), t([1.0])), "float64", "float32")
    _raises(DTypeError, lambda: F["binary_cross_entropy_with_logits"](t([0.5]), t([1], np.int64)))
    _raises(DTypeError, lambda: F["softmax"](t([1, 2], np.int64), 0))
    _raises(DTypeError, lambda: F["mse_loss"](t([1, 2], np.int64), t([1, 2], np.int64)))


def test_value_errors():
    x = t(np.zeros((2, 3)), grad=True)
    _raises(IndexOutOfRange, lambda: F["nll_loss"](x, t([0, 3], np.int64)), "3")
    _raises(IndexOutOfRange, lambda: F["cross_entropy"](x, t([-1, 0], np.int64)), "-1")
    _raises(ArgumentError, lambda: F["mse_loss"](x, x, reduction="avg"), "avg")
    _raises(ArgumentError, lambda: F["binary_cross_entropy"](t([1.5]), t([1.0])))
    _raises(ArgumentError, lambda: F["binary_cross_entropy"](t([0.5]), t([2.0])))
    _raises(ArgumentError, lambda: F["cross_entropy"](x, t([0, 1], np.int64), label_smoothing=1.5))
    _raises(ArgumentError, lambda: TORCH["softmax"](x))
    _raises(ArgumentError, lambda: F["gelu"](x, approximate="fast"))
    w = t([1.0, 2.0, 3.0], grad=True)
    _raises(AutogradError, lambda: F["binary_cross_entropy_with_logits"](x, x.detach(), weight=w))
    _raises(ValueTypeError, lambda: F["mse_loss"](x, 1.0))
    _raises(ShapeError, lambda: F["nll_loss"](t(1.0), t(0, np.int64)))
    _raises(ArgumentError, lambda: TORCH["softmax"](x, 2), "2")


def test_f_softmax_without_dim_warns_and_picks_torchs_implicit_dim():
    x = t(np.arange(6.0).reshape(2, 3), grad=True)
    with pytest.warns(GradcliWarning):
        y = F["softmax"](x)
    np.testing.assert_allclose(y.array.sum(1), [1.0, 1.0])
    with pytest.warns(GradcliWarning):
        assert F["log_softmax"](t([1.0, 2.0])).array.shape == (2,)


def test_nll_loss_ignored_rows_and_all_ignored_mean_is_nan():
    x = t([[0.0, -1.0], [-2.0, -3.0]], grad=True)
    loss = F["nll_loss"](x, t([1, -100], np.int64))
    assert loss.item() == 1.0
    loss.backward()
    assert x.grad.tolist() == [[0.0, -1.0], [0.0, 0.0]]
    x.grad = None
    nan = F["nll_loss"](x, t([-100, -100], np.int64))
    assert np.isnan(nan.item())
    nan.backward()
    assert x.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert F["nll_loss"](x, t([5, 0], np.int64), ignore_index=5).item() == 2.0


def test_empty_batches_give_nan_means_and_empty_gradients():
    x = t(np.zeros((0, 3)), grad=True)
    with np.errstate(all="raise"):
        for loss in (F["cross_entropy"](x, t(np.zeros(0), np.int64)), F["cross_entropy"](x, t(np.zeros((0, 3)))),
                     F["mse_loss"](x, t(np.zeros((0, 3)))),
                     F["binary_cross_entropy_with_logits"](x, t(np.zeros((0, 3))))):
            assert np.isnan(loss.item())
            loss.backward()
            assert x.grad.array.shape == (0, 3)
    assert F["softmax"](t(np.zeros((2, 0))), dim=1).shape == (2, 0)


def test_relu_inplace_and_bindings():
    assert set(nn.FUNCTIONS) == {"softmax", "log_softmax"}
    for name in ("softmax", "log_softmax", "relu", "sigmoid", "tanh", "mse_loss", "binary_cross_entropy",
                 "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy", "leaky_relu", "gelu",
                 "softplus"):
        assert name in nn.FUNCTIONAL and name in F
    y = t([-1.0, 2.0]) * 1
    assert F["relu"](y, inplace=True) is y and y.tolist() == [0.0, 2.0]


# -- live torch ----------------------------------------------------------------------------------
LOSSES = {
    "mse": lambda F_, x, y, c, w: F_.mse_loss(x, y),
    "bce": lambda F_, x, y, c, w: F_.binary_cross_entropy(F_.sigmoid(x), y, weight=w),
    "bcel": lambda F_, x, y, c, w: F_.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=w),
    "nll": lambda F_, x, y, c, w: F_.nll_loss(F_.log_softmax(x, 1), c, weight=w, reduction="sum"),
    "ce": lambda F_, x, y, c, w: F_.cross_entropy(x, c, weight=w, label_smoothing=0.1),
    "ce_probs": lambda F_, x, y, c, w: F_.cross_entropy(x, F_.softmax(y, 1), weight=w),
    "softmax": lambda F_, x, y, c, w: F_.softmax(x, dim=0) * y,
    "log_softmax": lambda F_, x, y, c, w: F_.log_softmax(x, dim=-1) * y,
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(1, 5), seed=st.integers(0, 2**16),
       dtype=st.sampled_from(["float32", "float64"]))
def test_live_torch_values_and_gradients(loss, n, c, seed, dtype):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF

    r = rng(seed)
    x0, y0 = r.normal(size=(n, c)) * 3, r.uniform(size=(n, c))
    c0, w0 = r.integers(0, c, size=n), r.uniform(0.5, 2.0, size=c)
    tdt = getattr(torch, dtype)

    class G:  # gradcli's F under torch's attribute names
        def __getattr__(self, name):
            return F[name]

    xt = torch.tensor(x0, dtype=tdt, requires_grad=True)
    expected = LOSSES[loss](TF, xt, torch.tensor(y0, dtype=tdt), torch.tensor(c0), torch.tensor(w0, dtype=tdt))
    xg = t(x0, NP[dtype], grad=True)
    got = LOSSES[loss](G(), xg, t(y0, NP[dtype]), t(c0, np.int64), t(w0, NP[dtype]))
    close(got.array, expected.detach().numpy(), dtype)
    upstream = r.normal(size=tuple(expected.shape))
    expected.backward(torch.tensor(upstream, dtype=tdt))
    got.backward(t(upstream, NP[dtype]))
    close(xg.grad.array, xt.grad.numpy(), dtype)
    assert chain(got.grad_fn) == _torch_chain(expected.grad_fn)


def _torch_chain(fn):
    if fn is None:
        return None
    return [type(fn).__name__, [_torch_chain(f) for f, _ in fn.next_functions]]


# -- create_graph through relu and leaky_relu --------------------------------------------------------
RELUS = {"relu": lambda x: F["relu"](x), "relu_method": lambda x: x.relu(), "relu_": lambda x: (x * 1).relu_(),
         "leaky_relu": lambda x: F["leaky_relu"](x, 0.2)}
RELU_NODES = {"relu": "ThresholdBackwardBackward0", "relu_method": "ThresholdBackwardBackward0",
              "relu_": "MulBackward0", "leaky_relu": "LeakyReluBackwardBackward0"}  # relu_: then x * 1's


@pytest.mark.parametrize("name", sorted(RELUS))
def test_relu_gradient_requires_grad_under_create_graph(name):
    """PyTorch's threshold_backward / leaky_relu_backward take the result (input) as an input, so the
    gradient requires grad even with a constant incoming gradient; the second derivative is zero."""
    x = t([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], grad=True)
    (g,) = api.AUTOGRAD["grad"](RELUS[name](x).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn.name == RELU_NODES[name]
    slope = 0.2 if name == "leaky_relu" else 0.0
    np.testing.assert_allclose(g.array, np.where(x.array > 0, 1.0, slope))
    (gg,) = api.AUTOGRAD["grad"](g.sum(), x)
    np.testing.assert_array_equal(gg.array, np.zeros((2, 3)))


@pytest.mark.parametrize("name", sorted(RELUS))
def test_relu_second_and_third_order(name):
    x = t([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], grad=True)
    slope = 0.2 if name == "leaky_relu" else 0.0
    k = np.where(x.array > 0, 1.0, slope)
    grad = api.AUTOGRAD["grad"]
    (g,) = grad((RELUS[name](x) ** 3).sum(), x, create_graph=True)  # 3 k³ x²
    np.testing.assert_allclose(g.array, 3 * k ** 3 * x.array ** 2)
    (gg,) = grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(gg.array, 6 * k ** 3 * x.array)
    (ggg,) = grad(gg.sum(), x)
    np.testing.assert_allclose(ggg.array, 6 * k ** 3)


# -- class dimension 1 of an N-d input: PyTorch's nll_loss_nd -------------------------------------
@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 2, 2), (1, 3, 1, 2, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_an_nd_input_is_that_of_its_rows(shape, reduction):
    rng = np.random.default_rng(0)
    x = t(rng.standard_normal(shape), grad=True)
    target = Tensor(rng.integers(0, shape[1], (shape[0],) + shape[2:]))
    loss = F["cross_entropy"](x, target, reduction=reduction)
    rows = np.moveaxis(x.array, 1, -1).reshape(-1, shape[1])
    flat = F["cross_entropy"](t(rows), Tensor(target.array.reshape(-1)), reduction=reduction)
    np.testing.assert_allclose(loss.array.reshape(-1), flat.array.reshape(-1), rtol=1e-12)
    name = "ViewBackward0" if reduction == "none" and len(shape) != 4 else "NllLoss2DBackward0"
    assert loss.grad_fn.name == name
    check_grads(lambda a: F["cross_entropy"](a, target, reduction=reduction), [x])


def test_nll_loss_gradient_is_plus_zero_off_target_and_on_ignored_rows():
    x = t([[0.5, -1., 2.], [1., 1., 1.]], grad=True)
    loss = F["nll_loss"](x, Tensor(np.array([2, -100])), reduction="none")
    (loss * t([-1., -1.])).sum().backward()
    assert not np.signbit(x.grad.array[[0, 0, 1, 1, 1], [0, 1, 0, 1, 2]]).any()
    np.testing.assert_array_equal(x.grad.array, [[0., 0., 1.], [0., 0., 0.]])


def test_nd_target_must_match_the_input_without_its_class_dimension():
    with pytest.raises(ShapeError):
        F["nll_loss"](t(np.zeros((2, 3, 4))), Tensor(np.zeros((2, 3), dtype=np.int64)))
