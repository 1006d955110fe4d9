"""The backward walk and what nodes keep: order, freeing, saved data, leaf nodes, autograd.grad's reach."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from gradcli.engine import autograd
from gradcli.engine.api import AUTOGRAD, TORCH
from gradcli.engine.tensor import Tensor
from gradcli.errors import ArgumentError, AutogradError, DTypeError, GradcliWarning, ValueTypeError

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


@pytest.mark.parametrize("op, kept", [
    (lambda w, c: w * c, False),  # ∂/∂w reads only c: PyTorch does not keep w
    (lambda w, c: w / c, False),
    (lambda w, c: c / w, True),  # ∂/∂w reads w itself
    (lambda w, c: w * w, True),
])
def test_a_node_keeps_an_input_alive_only_if_its_backward_reads_it(op, kept):
    x = tensor([1.0, 2.0], requires_grad=True)
    w = x * 1
    y = op(w, tensor([3.0, 4.0]))
    alive = weakref.ref(w)
    del w
    assert (alive() is not None) is kept
    y.sum().backward()
    assert x.grad is not None


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


@pytest.mark.parametrize("op", [lambda a, b: a // b, lambda a, b: a % b, lambda a, b: a.fmod(b),
                                lambda a, b: a.div(b, rounding_mode="trunc"), lambda a, b: a ** b])
def test_bool_division_and_power_are_refused_as_in_torch(op):
    """torch 2.13: NotImplementedError "div_floor_cpu" / "remainder_cpu" / "pow" not implemented for 'Bool'."""
    with pytest.raises(DTypeError):
        op(tensor([True, False, True]), tensor([True, True, True]))


# -- backward(inputs=...) ---------------------------------------------------------------------------
def _xy():
    return tensor([1.0, 2.0], requires_grad=True), tensor([3.0, 4.0], requires_grad=True)


def test_backward_inputs_fills_only_the_given_leaves():
    x, y = _xy()
    (x * y).sum().backward(inputs=[x])
    np.testing.assert_array_equal(x.grad.array, [3.0, 4.0])
    assert y.grad is None


@pytest.mark.parametrize("inputs", [lambda x: x, lambda x: (x,), lambda x: [x, x]])
def test_backward_inputs_accepts_a_tensor_or_a_sequence(inputs):
    x, _ = _xy()
    z = (x * x).sum()
    z.backward(inputs=inputs(x))
    np.testing.assert_array_equal(x.grad.array, [2.0, 4.0])


def test_backward_inputs_accumulates_like_backward():
    x, _ = _xy()
    (x * x).sum().backward(inputs=[x])
    (x * x).sum().backward(inputs=[x])
    np.testing.assert_array_equal(x.grad.array, [4.0, 8.0])


def test_backward_inputs_gives_a_non_leaf_input_its_grad_and_stops_there():
    """As in PyTorch: the non-leaf input retains its grad from now on; nothing below it is filled."""
    x, y = _xy()
    v = x * y
    (v * v).sum().backward(inputs=[v])
    np.testing.assert_array_equal(v.grad.array, [6.0, 16.0])
    assert v.retains_grad and x.grad is None and y.grad is None


def test_backward_inputs_runs_the_node_of_a_non_leaf_input():
    """PyTorch runs (and so frees) the input's own node: a later backward through it is refused."""
    x, y = _xy()
    v = x * y
    (v * v).sum().backward(inputs=[v])
    with pytest.raises(AutogradError, match="freed"):
        (v * 1.0).sum().backward()


def test_backward_inputs_mixing_leaves_and_non_leaves():
    x, y = _xy()
    v = x * y
    w = v.exp()
    (w * v).sum().backward(inputs=[w, y])
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    vv = xv * yv
    np.testing.assert_allclose(w.grad.array, vv, rtol=1e-6)
    np.testing.assert_allclose(y.grad.array, (np.exp(vv) * vv + np.exp(vv)) * xv, rtol=1e-6)
    assert x.grad is None


def test_backward_inputs_fills_retained_tensors_on_the_way_only():
    x, _ = _xy()
    v = x * 2
    v.retain_grad()
    w = v * 3
    w.retain_grad()
    (w * w).sum().backward(inputs=[w])
    assert v.grad is None  # below the input: not reached
    np.testing.assert_array_equal(w.grad.array, [12.0, 24.0])


def test_backward_inputs_with_the_output_itself():
    x, _ = _xy()
    z = (x * x).sum()
    z.backward(inputs=[z])
    np.testing.assert_array_equal(z.grad.array, 1.0)
    assert x.grad is None


def test_backward_inputs_with_an_unused_leaf_leaves_it_none():
    x, y = _xy()
    (x * x).sum().backward(inputs=[y])
    assert x.grad is None and y.grad is None


def test_backward_inputs_with_create_graph():
    x, y = _xy()
    with pytest.warns(GradcliWarning):
        (x * x * y).sum().backward(inputs=[x], create_graph=True)
    assert x.grad.requires_grad and y.grad is None
    (gx,) = autograd.grad(x.grad.sum(), y)
    np.testing.assert_array_equal(gx.array, [2.0, 4.0])


def test_torch_autograd_backward_takes_inputs():
    x, y = _xy()
    AUTOGRAD["backward"]((x * y).sum(), inputs=[y])
    assert x.grad is None
    np.testing.assert_array_equal(y.grad.array, [1.0, 2.0])


@pytest.mark.parametrize("inputs, error, words", [
    ([], ArgumentError, "no inputs"), ([1.0], ValueTypeError, "float"), (3, ValueTypeError, "int"),
    (lambda: [tensor([1.0])], AutogradError, "does not require grad"),
])
def test_backward_inputs_errors(inputs, error, words):
    x, _ = _xy()
    with pytest.raises(error, match=words) as info:
        (x * x).sum().backward(inputs=inputs() if callable(inputs) else inputs)
    assert info.value.hint or error is ValueTypeError
    assert x.grad is None


# -- a backward that fails part-way ------------------------------------------------------------------
def _failing_graph():
    """x's AccumulateGrad is made early (by a sin that out does not use); out's only use of x runs
    before the node that fails (exp's result was changed in place)."""
    x, y = _xy()
    keep = x.sin()  # keeps x's AccumulateGrad (made here) alive
    s = y.exp()
    s.mul_(2)
    return x, y, s.sum() + (x * 1.0).sum(), keep


def test_a_failing_backward_has_filled_the_leaves_that_were_complete():
    """PyTorch runs each AccumulateGrad node as soon as its gradient is complete, before other nodes."""
    x, y, out, _ = _failing_graph()
    with pytest.raises(AutogradError, match="modified in place"):
        out.backward()
    np.testing.assert_array_equal(x.grad.array, [1.0, 1.0])
    assert y.grad is None


def test_a_failing_backward_leaves_incomplete_leaves_alone():
    x, y = _xy()
    keep = x.sin()  # noqa: F841 - keeps x's AccumulateGrad (made here) alive
    s = y.exp()
    t = s * x  # x's gradient also comes through the node that fails
    s.mul_(2)
    with pytest.raises(AutogradError, match="modified in place"):
        (t.sum() + (x * 1.0).sum()).backward()
    assert x.grad is None and y.grad is None


def test_a_failing_backward_with_inputs_fills_the_complete_ones():
    x, y, out, _ = _failing_graph()
    with pytest.raises(AutogradError):
        out.backward(inputs=[x, y])
    np.testing.assert_array_equal(x.grad.array, [1.0, 1.0])
    assert y.grad is None


def test_a_failing_autograd_grad_touches_no_grad():
    x, y, out, _ = _failing_graph()
    with pytest.raises(AutogradError):
        autograd.grad(out, [x, y])
    assert x.grad is None and y.grad is None


# -- ops without a derivative ------------------------------------------------------------------------
def test_backward_through_floor_divide_is_an_error_at_backward_time():
    """torch 2.13 records a NotImplemented node; backward through it raises (not the op itself)."""
    x = tensor([3.0, -7.0], requires_grad=True)
    y = x // 2
    assert y.grad_fn.name == "NotImplemented" and len(y.grad_fn.next_functions) == 1
    with pytest.raises(AutogradError) as e:
        (y * x).sum().backward()
    assert e.value.hint and "rounding_mode" in e.value.hint
    w = tensor([1.0, 1.0], requires_grad=True)
    assert AUTOGRAD["grad"]((x // 2 + w).sum(), w)[0].tolist() == [1.0, 1.0]  # off the path: fine


def test_rounded_division_has_a_zero_gradient_and_remainder_the_floor():
    x = tensor([3.0, -7.0], requires_grad=True)
    c = tensor([2.0, 2.0], requires_grad=True)
    (x.div(c, rounding_mode="floor") + x.div(c, rounding_mode="trunc")).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and c.grad.tolist() == [0.0, 0.0]
    x.grad = c.grad = None
    (x % c + x.fmod(c)).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and c.grad.tolist() == [-1.0 - 1.0, 4.0 + 3.0]
