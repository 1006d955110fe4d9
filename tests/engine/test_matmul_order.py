"""float32 matrix products in PyTorch's order for the small shapes where it is known (linalg._ordered)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gradcli.engine.ops import linalg


def test_small_products_are_running_sums_without_fma():
    a = np.array([[0.1, 0.2, 0.3]], dtype=np.float32)
    b = np.array([[0.7], [0.11], [0.13]], dtype=np.float32)
    expected = np.float32(0) + a[0, 0] * b[0, 0]
    expected = expected + a[0, 1] * b[1, 0]
    expected = expected + a[0, 2] * b[2, 0]
    assert linalg._mm(a, b)[0, 0] == expected
    assert linalg._bmm(a[None], b[None])[0, 0, 0] == expected


def _torch_layout(torch, a, layout):
    return torch.from_numpy(a) if layout == "r" else torch.from_numpy(np.ascontiguousarray(a.T)).t()


def _np_layout(a, layout):
    return a if layout == "r" else np.ascontiguousarray(a.T).T


def test_the_shapes_said_to_be_ordered_are_under_live_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for m, k, n in itertools.product([1, 2, 3, 5, 9], [1, 2, 3, 5, 8, 13], [1, 2, 3, 4, 6, 8]):
        for la, lb in itertools.product("rc", repeat=2):
            a = rng.standard_normal((m, k)).astype(np.float32)
            b = rng.standard_normal((k, n)).astype(np.float32)
            x, y = _np_layout(a, la), _np_layout(b, lb)
            if linalg._sequential_mm(x, y):
                want = torch.mm(_torch_layout(torch, a, la), _torch_layout(torch, b, lb)).numpy()
                np.testing.assert_array_equal(linalg._mm(x, y), want, err_msg=f"{(m, k, n, la, lb)}")
            if n == 1 and linalg._sequential_mv(x):
                want = torch.mv(_torch_layout(torch, a, la), torch.from_numpy(b[:, 0])).numpy()
                np.testing.assert_array_equal(linalg._mv(x, b[:, 0]), want, err_msg=f"mv {(m, k, la)}")
    a = rng.standard_normal((4, 3, 5)).astype(np.float32)
    b = rng.standard_normal((4, 5, 2)).astype(np.float32)
    np.testing.assert_array_equal(linalg._bmm(a, b), torch.bmm(torch.from_numpy(a), torch.from_numpy(b)).numpy())
