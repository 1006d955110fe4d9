"""clamp with tensor bounds (PyTorch's clamp.Tensor, ClampBackward0) and its gradients."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import check_grads

import gradcli.engine.api as api
from gradcli.engine.tensor import Tensor
from gradcli.errors import ArgumentError, ShapeError, ValueTypeError

torch = api.TORCH


def t(values, dtype=np.float64, grad=False) -> Tensor:
    x = Tensor(np.array(values, dtype=dtype))
    return x.requires_grad_() if grad else x


def test_tensor_bounds_broadcast_and_record_clamp_backward0():
    x = t([[-2., 0.5, 3.], [1., -1., 0.]], grad=True)
    lo = t([0., 1., -1.], grad=True)
    c = torch["clamp"](x, lo, lo + 1)
    assert c.grad_fn.name == "ClampBackward0"
    np.testing.assert_array_equal(c.array, [[0., 1., 0.], [1., 1., 0.]])
    c.sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[0., 0., 0.], [1., 0., 1.]])
    # lo gets the gradient where x < lo, and through hi = lo + 1 where x > hi
    np.testing.assert_array_equal(lo.grad.array, [1., 2., 1.])


def test_one_tensor_bound_and_a_bigger_bound_broadcasts_the_result():
    x = t([-2., 0.5, 3.], grad=True)
    assert torch["clamp"](x, min=t(np.zeros((2, 3)))).array.shape == (2, 3)
    assert x.clamp(max=t(0.5)).grad_fn.name == "ClampBackward0"


def test_a_zero_dim_tensor_next_to_a_number_is_a_number():
    x = t([-2., 0.5, 3.], grad=True)
    assert x.clamp(min=t(0.), max=1.5).grad_fn.name == "ClampBackward1"
    with pytest.raises(ValueTypeError):
        x.clamp(min=t([0., 0., 0.]), max=1.5)


def test_errors():
    x = t([-2., 0.5, 3.])
    with pytest.raises(ShapeError):
        torch["clamp"](x, min=t([0., 1.]))
    with pytest.raises(ArgumentError):
        torch["clamp"](x, None, None)


def test_gradients_match_finite_differences():
    x, lo, hi = t([-2., 0.3, 3., 0.9], grad=True), t([0., 0.1, -1., 0.5], grad=True), t([1., 2., 2.5, 0.7], grad=True)
    check_grads(lambda a, b, c: torch["clamp"](a, b, c), [x, lo, hi])
