"""float32 math functions and the softmax family round as PyTorch's CPU kernels do."""

from __future__ import annotations

import numpy as np
import pytest

import gradcli.engine.api as api
from gradcli.engine.tensor import Tensor

T, F = api.TORCH, api.FUNCTIONAL


def test_exp_of_one_is_e_rounded_once():
    assert T["exp"](Tensor(np.float32(1.0))).item() == 2.7182817459106445  # torch.tensor(1.).exp().item()


@pytest.mark.parametrize("name, share", [("exp", 0.9), ("log", 0.9), ("log1p", 0.9), ("tanh", 0.9), ("sigmoid", 0.9),
                                         ("sin", 0.8), ("cos", 0.75)])  # NumPy's own float32 loops
def test_math_functions_agree_with_live_torch_on_nearly_every_value(name, share):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(20000).astype(np.float32) * 2
    if name in ("log", "log1p"):
        x = np.abs(x) + np.float32(1e-3)
    want = getattr(torch, name)(torch.from_numpy(x)).numpy()
    got = T[name](Tensor(x)).array
    assert (got == want).mean() > share


def test_log_softmax_of_a_row_agrees_with_live_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    same = 0
    for n in range(2, 40):
        x = rng.standard_normal((3, n)).astype(np.float32)
        same += np.array_equal(F["log_softmax"](Tensor(x), dim=1).array,
                               torch.log_softmax(torch.from_numpy(x), 1).numpy())
    assert same > 25  # NumPy's exp and sum orders: about 10


def test_p_norm_adds_in_order_and_a_single_element_is_its_absolute_value():
    x = Tensor(np.array([[[23.213], [-175.343013], [0.054], [314.935]]], dtype=np.float32))
    assert T["norm"](x, p=3, dim=-1).array[0, 3] == np.float32(314.935)  # torch: 3.1493e+02, not 3.1494e+02
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for p in (1.0, 0.5, 1.5, 3.0, 4.0):
        for n in (2, 3, 7, 20):
            a = (rng.standard_normal((2, n)) * 10).astype(np.float32)
            np.testing.assert_array_equal(T["norm"](Tensor(a), p=p, dim=1).array,
                                          torch.from_numpy(a).norm(p=p, dim=1).numpy())


def test_softmax_uses_the_vectorized_exp_of_pytorchs_kernel():
    from gradcli.engine.ops.vecmath import sleef_expf

    assert sleef_expf(np.array([-4.4802933], np.float32))[0] != np.float32(np.exp(np.float64(-4.4802933)))
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal(50000).astype(np.float32) * 3
    y = torch.from_numpy(x).reshape(-1, 2)
    # softmax of [0, d] is [1/(1+e), e/(1+e)] with e = exp(d) as the kernel computes it
    want = torch.softmax(torch.stack([torch.zeros(len(y)), y[:, 1] - y[:, 0]], 1), 1).numpy()
    got = F["softmax"](Tensor(np.stack([np.zeros(len(y), np.float32), (x[1::2] - x[0::2])], 1)), dim=1).array
    assert (got == want).all()
