"""PyTorch's order of float additions in sum (gradcli/engine/ops/cascade.py), to the last bit."""

from __future__ import annotations

import random

import numpy as np
import pytest

from gradcli.engine.ops.cascade import torch_sum


def test_known_sums_from_pytorch():
    # torch.linspace(1e-3, 1, 6).sum().item(): ((((x0 + x4) + x5) + x1) + x2) + x3, row_sum's order
    x = np.array([0.001, 0.2008, 0.4006, 0.6004, 0.8002, 1.0], dtype=np.float32)
    assert torch_sum(x, (0,)).item() == 3.002999782562256
    assert np.sum(x).item() == 3.003000020980835  # NumPy's order, for contrast


def test_shapes_keepdim_and_zero_dim():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert torch_sum(a, (0, 2), True).shape == (1, 3, 1)
    assert torch_sum(a, (1,)).shape == (2, 4)
    np.testing.assert_array_equal(torch_sum(a, (1,)), a.sum(1))  # small integers: exact in any order
    assert torch_sum(np.array(2.5, np.float32), ()).item() == 2.5
    assert not np.signbit(torch_sum(np.array([-0.0, -0.0], np.float32), (0,)))  # 0 + -0 + -0 is +0


def test_matches_live_torch_on_random_layouts():
    torch = pytest.importorskip("torch")
    rng, r = np.random.default_rng(0), random.Random(0)
    for _ in range(400):
        nd = r.randint(1, 4)
        shape = tuple(r.choice([1, 2, 3, 5, 8, 9, 16, 17, 33, 65]) for _ in range(nd))
        if np.prod(shape) > 20000:
            continue
        a = (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)).astype(r.choice([np.float32, np.float64]))
        t = torch.from_numpy(a)
        if nd > 1 and r.random() < 0.3:
            p = r.sample(range(nd), nd)
            a, t = a.transpose(p), t.permute(*p)
        axes = tuple(sorted(r.sample(range(nd), r.randint(1, nd))))
        want = t.sum(dim=axes).numpy()
        np.testing.assert_array_equal(torch_sum(a, axes), want, err_msg=f"{a.shape} {a.strides} {axes}")
