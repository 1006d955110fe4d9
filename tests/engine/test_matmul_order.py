"""float32 products in PyTorch's own order where its code fixes it: dot of up to 3 elements, small bmm."""

from __future__ import annotations

import numpy as np

from gradcli.engine.ops import linalg


def test_small_products_are_running_sums_without_fma():
    a = np.array([[0.1, 0.2, 0.3]], dtype=np.float32)
    b = np.array([[0.7], [0.11], [0.13]], dtype=np.float32)
    expected = np.float32(0) + a[0, 0] * b[0, 0]
    expected = expected + a[0, 1] * b[1, 0]
    expected = expected + a[0, 2] * b[2, 0]
    assert linalg._ordered(a, b)[0, 0] == expected
    assert linalg._bmm(a[None], b[None])[0, 0, 0] == expected
    assert linalg._dot(a[0], b[:, 0]) == expected


def test_a_running_sum_of_negative_zeros_is_positive_zero():
    z = np.array([[-0.0, -0.0]], dtype=np.float32)
    assert not np.signbit(linalg._ordered(z, np.ones((2, 1), np.float32))[0, 0])
