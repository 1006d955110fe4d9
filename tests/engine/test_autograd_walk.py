"""The backward walk and what nodes keep: order, freeing, saved data, leaf nodes, autograd.grad's reach."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from gradcli.engine import autograd
from gradcli.engine.api import TORCH
from gradcli.engine.tensor import Tensor
from gradcli.errors import AutogradError

tensor = TORCH["tensor"]


def test_backward_uses_the_data_assigned_after_forward():
    """`x.data = ...` between forward and backward: backward sees the new data, as in PyTorch."""
    w = tensor([2.0], requires_grad=True)
    x = tensor([3.0])
    y = w * x
    x.array, x._version = np.array([10.0], np.float32), [0]  # what `x.data = tensor([10.])` does
    y.backward()
    np.testing.assert_array_equal(w.grad.array, [10.0])


def test_in_place_change_of_a_saved_input_is_still_refused():
    w = tensor([2.0], requires_grad=True)
    x = tensor([3.0])
    y = w * x
    x.add_(1)
    with pytest.raises(AutogradError, match="modified in place"):
        y.backward()


def test_autograd_grad_runs_and_frees_only_the_path_to_its_inputs():
    x = tensor([1.0, 2.0], requires_grad=True)
    m = x.exp()
    k = (m * m).sum()
    (gm,) = autograd.grad(k, [m])
    np.testing.assert_allclose(gm.array, 2 * np.exp([1.0, 2.0]).astype(np.float32), rtol=1e-6)
    m.sum().backward()  # exp's saved values were neither used nor freed by grad()
    np.testing.assert_allclose(x.grad.array, np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(AutogradError, match="freed"):
        autograd.grad(k, [m])  # the part grad() did run was freed


def test_a_leaf_and_its_accumulator_form_no_reference_cycle():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    (x * 2.0).sum().backward()
    gone = weakref.ref(x)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del x
        assert gone() is None  # freed by reference counting alone
    finally:
        if enabled:
            gc.enable()


def test_a_leaf_keeps_one_accumulator_while_a_graph_uses_it():
    x = tensor([1.0], requires_grad=True)
    a, b = x * 2.0, x * 3.0
    assert a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]


def test_gradients_are_summed_newest_consumer_first():
    """PyTorch runs ready nodes newest first, which fixes the order float32 contributions add up in:
    here (-1e8 + 1e8) + 1 = 1, where oldest first would give (1 + 1e8) - 1e8 = 0. PyTorch 2.13 prints
    tensor([1.]) for both sums."""
    for order in ((0, 1, 2), (2, 1, 0)):
        x = tensor([1.0], requires_grad=True)
        parts = [x * c for c in (1.0, 1e8, -1e8)]
        total = parts[order[0]] + parts[order[1]] + parts[order[2]]
        total.sum().backward()
        assert x.grad.array[0] == 1.0, order


def test_bool_floor_division_keeps_bool():
    a, b = tensor([True, False, True]), tensor([True, True, False])
    for op in (lambda: a // b, lambda: a % b, lambda: a ** b):
        assert op().array.dtype == np.bool_
