"""torch.optim.SGD: updates against PyTorch's (recorded by tests/parity/gen_nn_data.py and live),
in-place semantics, zero_grad, the printed form and argument errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcli.engine.api as api
from gradcli.engine.grad_mode import no_grad
from gradcli.engine.optim import SGD
from gradcli.engine.tensor import Tensor
from gradcli.errors import ArgumentError, AutogradError, GradcliError, ValueTypeError

NN = json.loads((Path(__file__).parents[1] / "parity" / "data" / "nn_cases.json").read_text())
NP = {"float32": np.float32, "float64": np.float64}


def leaf(values, dtype=np.float32) -> Tensor:
    return Tensor(np.array(values, dtype=dtype)).requires_grad_()


def tol(dtype):
    return dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("run", NN["sgd"], ids=lambda r: f"{r['dtype']} {r['config']}")
def test_sgd_updates_match_recorded_torch(run):
    dt = NP[run["dtype"]]
    params = [leaf(p, dt) for p in run["start"]]
    opt = SGD(params, **run["config"])
    assert opt.describe() == run["repr"]
    for step in run["steps"]:
        for p, g in zip(params, step["grads"]):
            p.grad = None if g is None else Tensor(np.array(g, dtype=dt))
        opt.step()
        for p, expected in zip(params, step["params"]):
            assert p.array.dtype == dt
            np.testing.assert_allclose(p.array, np.array(expected, dtype=dt), **tol(dt))


def test_torch_reference_step_and_zero_grad():
    """TORCH_REFERENCE Part C: SGD(lr=0.1) on (w**2).sum(), w=[1,−2] → [0.8, −1.6]; then grad None."""
    ref = NN["sgd_reference"]
    w = leaf([1.0, -2.0])
    opt = api.OPTIM["SGD"]([w], lr=0.1)
    (w ** 2).sum().backward()
    opt.step()
    assert w.tolist() == ref["after"] == [np.float32(0.8).item(), np.float32(-1.6).item()]
    assert w._version[0] == ref["version"]
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    opt.zero_grad()
    assert w.grad is None and ref["grad_after_zero_grad"] is None


def test_default_describe_matches_torch_repr():
    assert SGD([leaf([1.0])]).describe() == NN["sgd_reference"]["repr_default"]


def test_step_records_no_graph_and_bumps_the_version():
    w = leaf([1.0, 2.0])
    y = w * w  # saves w
    y.sum().backward(retain_graph=True)
    SGD([w], lr=0.5).step()
    assert w.grad_fn is None and w.is_leaf
    assert w.tolist() == [0.0, 0.0]
    with pytest.raises(AutogradError):  # the graph saved the old w
        y.sum().backward()


def test_step_skips_parameters_without_grad_and_works_inside_no_grad():
    a, b = leaf([1.0]), leaf([5.0])
    a.grad = Tensor(np.array([2.0], np.float32))
    opt = SGD([a, b], lr=1.0, momentum=0.9)
    with no_grad():
        opt.step()
    assert a.tolist() == [-1.0] and b.tolist() == [5.0]
    assert b._version[0] == 0 and id(b) not in opt.state


def test_momentum_buffer_is_per_parameter_and_persists():
    a, b = leaf([0.0]), leaf([0.0])
    opt = SGD([a, b], lr=1.0, momentum=0.5)
    for _ in range(3):
        a.grad = Tensor(np.array([1.0], np.float32))
        b.grad = Tensor(np.array([2.0], np.float32))
        opt.step()
    # buffers: 1, 1.5, 1.75 (and twice that for b); params are minus their running sums
    assert a.tolist() == [-4.25] and b.tolist() == [-8.5]
    assert opt.state[id(a)]["momentum_buffer"].tolist() == [1.75]


def test_zero_grad_set_to_none_false_keeps_zeroed_tensors():
    w = leaf([1.0, 2.0])
    (w * 3).sum().backward()
    g = w.grad
    SGD([w], lr=0.1).zero_grad(set_to_none=False)
    assert w.grad is g and w.grad.tolist() == [0.0, 0.0]


def test_closure_is_called_with_grad_enabled_and_its_loss_returned():
    w = leaf([3.0])
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and w.tolist() == [1.5]


def test_param_groups_and_generators():
    a, b = leaf([1.0]), leaf([1.0])
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.5)
    a.grad = Tensor(np.array([1.0], np.float32))
    b.grad = Tensor(np.array([1.0], np.float32))
    opt.step()
    assert a.tolist() == [0.5] and b.tolist() == [0.0]
    assert "Parameter Group 1" in opt.describe()
    assert len(SGD((p for p in [a, b]), lr=0.1).param_groups[0]["params"]) == 2


@pytest.mark.parametrize("kwargs, kind", [
    (dict(lr=-0.1), ArgumentError),
    (dict(lr=0.1, momentum=-1), ArgumentError),
    (dict(lr=0.1, weight_decay=-1), ArgumentError),
    (dict(lr=0.1, nesterov=True), ArgumentError),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ArgumentError),
    (dict(lr="fast"), ValueTypeError),
])
def test_invalid_options(kwargs, kind):
    with pytest.raises(kind) as info:
        SGD([leaf([1.0])], **kwargs)
    assert info.value.hint


def test_invalid_params():
    w = leaf([1.0])
    for params, kind in (([], ArgumentError), (w, ValueTypeError), (3, ValueTypeError), ([w * 2], ArgumentError),
                         ([1.0], ValueTypeError)):
        with pytest.raises(kind) as info:
            SGD(params, lr=0.1)
        assert isinstance(info.value, GradcliError) and info.value.hint


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), momentum=st.sampled_from([0.0, 0.5, 0.9]),
       dampening=st.sampled_from([0.0, 0.2]), weight_decay=st.sampled_from([0.0, 0.01]),
       nesterov=st.booleans(), maximize=st.booleans(), dtype=st.sampled_from(["float32", "float64"]))
def test_live_torch_sgd(seed, momentum, dampening, weight_decay, nesterov, maximize, dtype):
    torch = pytest.importorskip("torch")
    if nesterov and (momentum == 0 or dampening != 0):
        return
    r = np.random.default_rng(seed)
    start = r.normal(size=(2, 3))
    cfg = dict(lr=0.1, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
               maximize=maximize)
    pt = torch.tensor(start, dtype=getattr(torch, dtype), requires_grad=True)
    pg = leaf(start, NP[dtype])
    ot, og = torch.optim.SGD([pt], **cfg), SGD([pg], **cfg)
    for _ in range(3):
        g = r.normal(size=(2, 3))
        pt.grad = torch.tensor(g, dtype=pt.dtype)
        pg.grad = Tensor(np.array(g, dtype=NP[dtype]))
        ot.step()
        og.step()
    np.testing.assert_allclose(pg.array, pt.detach().numpy(), **tol(NP[dtype]))
    assert og.describe() == repr(ot)
