"""In-place ops on tensors in a graph (`v.sin_()`, `v.mul_(w)`, writes through views), as PyTorch records them.

An in-place op is computed out of place and its result written into the tensor; what the
op's node saved, and which version of which tensor it checks, must be PyTorch's: the values
before the write for a saved input (a clone), the written tensor itself for a saved result.
Expected values were checked against torch 2.13.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradcli.engine import autograd
from gradcli.engine.api import TORCH
from gradcli.errors import AutogradError

tensor = TORCH["tensor"]
X = np.array([0.5, -2.0, 1.25])


def leaf(values=X, dtype=None):
    return tensor(list(values), requires_grad=True, dtype=dtype or TORCH["float64"])


# -- a saved input is kept as it was before the write ------------------------------------------
UNARY = {  # in-place method: derivative of the op at u
    "sin_": np.cos, "cos_": lambda u: -np.sin(u), "exp_": np.exp, "tanh_": lambda u: 1 - np.tanh(u) ** 2,
    "sigmoid_": lambda u: np.exp(-u) / (1 + np.exp(-u)) ** 2, "relu_": lambda u: (u > 0) * 1.0,
    "abs_": np.sign, "neg_": lambda u: -np.ones_like(u), "sqrt_": lambda u: 0.5 / np.sqrt(u),
    "log_": lambda u: 1 / u,
}


@pytest.mark.parametrize("method", sorted(UNARY))
def test_unary_in_place_op_on_an_intermediate_backpropagates(method):
    x = leaf()
    v = x * 2 + 3  # u = 2x + 3 > 0, so sqrt_ and log_ are defined
    getattr(v, method)()
    v.sum().backward()
    np.testing.assert_allclose(x.grad.array, 2 * UNARY[method](2 * X + 3), rtol=1e-12)


def test_sin_in_place_gives_the_derivative_at_the_old_value():
    """The example that used to fail: the node must read the values before sin_ overwrote them."""
    x = tensor([1.0, 2.0], requires_grad=True)
    v = x * 2
    v.sin_()
    assert v.grad_fn.name == "SinBackward0" and v.grad_fn.next_functions[0][0].name == "MulBackward0"
    v.sum().backward()
    np.testing.assert_allclose(x.grad.array, 2 * np.cos([2.0, 4.0]), rtol=1e-6)


@pytest.mark.parametrize("method, other, d_self", [
    ("mul_", lambda x: x * x + 1, lambda u, w: w), ("div_", lambda x: x * x + 1, lambda u, w: 1 / w),
    ("pow_", lambda x: x * 0 + 3, lambda u, w: 3 * u ** 2), ("add_", lambda x: x * 3, lambda u, w: 1),
])
def test_binary_in_place_op_on_an_intermediate_backpropagates(method, other, d_self):
    """Gradient through self only (the other operand does not require grad)."""
    x = leaf()
    w = other(x).detach()
    v = x * 2 + 3
    getattr(v, method)(w)
    v.sum().backward()
    u, wv = 2 * X + 3, w.array
    np.testing.assert_allclose(x.grad.array, 2 * d_self(u, wv) * np.ones(3), rtol=1e-12)


def test_the_other_operand_gets_the_gradient_at_the_old_value_of_self():
    c = tensor([1.0, 2.0])
    w = tensor([3.0, 4.0], requires_grad=True)
    c.mul_(w)
    assert c.grad_fn.name == "MulBackward0"
    c.sum().backward()
    np.testing.assert_allclose(w.grad.array, [1.0, 2.0])


def test_chained_in_place_ops_that_save_their_input():
    x = leaf()
    v = x * 2
    v.sin_()
    v.mul_(3)
    v.cos_()
    v.sum().backward()
    s = np.sin(2 * X)
    np.testing.assert_allclose(x.grad.array, -np.sin(3 * s) * 3 * np.cos(2 * X) * 2, rtol=1e-12)


def test_consumers_that_saved_the_old_value_still_refuse():
    x = leaf()
    v = x * 2
    y = v * v  # saved v at version 0
    v.sin_()
    with pytest.raises(AutogradError, match="modified in place") as info:
        y.sum().backward()
    assert info.value.hint


@pytest.mark.parametrize("op, refuses", [
    (lambda w, c: c / w, True),  # the divisor is read by its own gradient too: saved, so checked
    (lambda w, c: w / c, False),  # the dividend is read only by the divisor's gradient: not saved
    (lambda w, c: c * w, False),  # each factor is read only by the other's gradient
    (lambda w, c: w * c, False),
])
def test_a_write_is_refused_exactly_when_pytorch_saved_the_value(op, refuses):
    """The divisor of a/b is saved whenever a gradient flows (∂/∂b reads b too); a factor of a
    product, or the dividend, only when the other operand requires grad (torch 2.13)."""
    x = leaf()
    w = x * 1
    y = op(w, tensor([2.0, 4.0, 8.0], dtype=TORCH["float64"]))
    w.add_(1)
    if refuses:
        with pytest.raises(AutogradError, match="modified in place"):
            y.sum().backward()
    else:
        y.sum().backward()
        assert x.grad is not None


def test_self_as_the_other_operand_is_still_checked():
    """`v.mul_(v)`: the clone replaces only the first input; the second is v itself, now changed."""
    x = leaf()
    v = x * 2
    v.mul_(v)
    with pytest.raises(AutogradError, match="modified in place"):
        v.sum().backward()


def test_second_order_through_an_in_place_op():
    x = leaf()
    v = x * 2
    v.sin_()
    (g,) = autograd.grad(v.sum(), x, create_graph=True)
    assert g.requires_grad
    np.testing.assert_allclose(g.array, 2 * np.cos(2 * X), rtol=1e-12)
    (gg,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.array, -4 * np.sin(2 * X), rtol=1e-12)


def test_in_place_op_on_a_view_of_an_intermediate():
    x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a = x * 2
    v = a[0]
    v.sin_()
    assert a.grad_fn.name == "CopySlices" and v.grad_fn.name == "AsStridedBackward0"
    a.sum().backward()
    np.testing.assert_allclose(x.grad.array, [2 * np.cos([2.0, 4.0]), [2.0, 2.0]], rtol=1e-6)


# -- a saved result is the written tensor itself ------------------------------------------------
@pytest.mark.parametrize("method", ["exp_", "tanh_", "sigmoid_", "relu_", "sqrt_"])
def test_a_later_write_invalidates_an_in_place_result_that_backward_needs(method):
    """These ops save their result, which now lives in v: writing v again changes it (PyTorch refuses)."""
    x = leaf()
    v = x * 2 + 3
    getattr(v, method)()
    v.add_(1)
    with pytest.raises(AutogradError, match="modified in place") as info:
        v.sum().backward()
    assert info.value.hint


def test_a_write_through_a_detached_alias_is_seen_too():
    x = leaf()
    v = x * 0.5
    v.exp_()
    v.detach().mul_(2)
    with pytest.raises(AutogradError, match="modified in place"):
        v.sum().backward()


def test_a_write_to_the_base_invalidates_a_result_saved_through_a_view():
    x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    a = x * 0.5
    a[0].exp_()
    a.mul_(2)
    with pytest.raises(AutogradError, match="modified in place"):
        a.sum().backward()


def test_an_in_place_result_alone_backpropagates_to_every_order():
    x = leaf()
    v = x * 0.5
    v.exp_()
    (g,) = autograd.grad(v.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.array, 0.5 * np.exp(0.5 * X), rtol=1e-12)
    (gg,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.array, 0.25 * np.exp(0.5 * X), rtol=1e-12)


def test_reading_an_in_place_result_is_not_a_write():
    x = leaf()
    v = x * 2
    v.tanh_()
    y = (v * 3).sum() + v.sum()
    y.backward()
    np.testing.assert_allclose(x.grad.array, 4 * 2 * (1 - np.tanh(2 * X) ** 2), rtol=1e-12)


# -- writes through a view of a 0-d tensor ------------------------------------------------------
@pytest.mark.parametrize("make, write, expected", [
    (lambda s: s.unsqueeze(0), lambda u: u.mul_(2), 2.0),
    (lambda s: s.unsqueeze(0).unsqueeze(1), lambda u: u.sin_(), np.cos(2.0)),
    (lambda s: s.view(1, 1), lambda u: u.add_(1), 1.0),
    (lambda s: s.unsqueeze(0), lambda u: u.__setitem__(0, 5.0), 0.0),
    (lambda s: s.unsqueeze(0)[0:0], lambda u: u.mul_(2), 1.0),  # an empty view: nothing is written
])
def test_in_place_write_through_a_view_of_a_0d_intermediate(make, write, expected):
    """NumPy allows no integer index on a 0-d array: this used to end in a raw NumPy ValueError."""
    x = tensor(2.0, requires_grad=True, dtype=TORCH["float64"])
    s = x * 1
    u = make(s)
    write(u)
    assert s.grad_fn.name == "CopySlices" and u.grad_fn.name == "AsStridedBackward0"
    s.backward()
    np.testing.assert_allclose(x.grad.array, expected, rtol=1e-12)


def test_gradient_of_a_written_view_of_a_0d_tensor_to_second_order():
    x = tensor(2.0, requires_grad=True, dtype=TORCH["float64"])
    u = (x * 3).unsqueeze(0)
    u.mul_(x)  # u = 3x²
    (g,) = autograd.grad((u * u * u).sum(), x, create_graph=True)  # d(27x⁶) = 162x⁵
    np.testing.assert_allclose(g.array, 162 * 2.0 ** 5)
    (gg,) = autograd.grad(g, x)
    np.testing.assert_allclose(gg.array, 810 * 2.0 ** 4)


def test_second_order_through_a_written_transposed_view():
    x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, dtype=TORCH["float64"])
    v = (x * 2).t()
    v.mul_(3)  # v = 6 xᵀ
    (g,) = autograd.grad((v * v * v).sum(), x, create_graph=True)
    xv = x.array
    np.testing.assert_allclose(g.array, 3 * 216 * xv ** 2)
    (gg,) = autograd.grad((g * g).sum(), x)
    np.testing.assert_allclose(gg.array, 2 * (648 * xv ** 2) * 1296 * xv)


# -- a write into the storage of a view gives the view a new grad_fn -------------------------------
def _x22():
    return tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)


@pytest.mark.parametrize("make", [lambda a: a.t(), lambda a: a.t().unsqueeze(0), lambda a: a[0],
                                  lambda a: a.reshape(4), lambda a: a.expand(2, 2, 2), lambda a: a[:, 1:]])
def test_an_in_place_op_on_the_base_reaches_its_views(make):
    """The example that gave a silently wrong gradient: the view's old TBackward0 led to `a` before mul_."""
    x = _x22()
    a = x * 2
    v = make(a)
    a.mul_(3)
    assert v.grad_fn.name == "AsStridedBackward0"
    assert v.grad_fn.next_functions[0][0] is a.grad_fn  # MulBackward0 of the mul_
    v.sum().backward()
    counts = np.zeros(4)  # how often the view shows each element of a
    np.add.at(counts, make(tensor([[0.0, 1.0], [2.0, 3.0]])).array.astype(int).ravel(), 1)
    np.testing.assert_allclose(x.grad.array, 6 * counts.reshape(2, 2))


def test_a_write_through_one_view_reaches_the_others():
    x = _x22()
    a = x * 2
    v = a.t()
    u = a[0]
    u.mul_(3)
    assert a.grad_fn.name == "CopySlices" and u.grad_fn.name == "AsStridedBackward0"
    assert v.grad_fn.name == "AsStridedBackward0" and v.grad_fn.next_functions[0][0] is a.grad_fn
    v.sum().backward()
    np.testing.assert_allclose(x.grad.array, [[6.0, 6.0], [2.0, 2.0]])


def test_a_write_through_a_view_reaches_views_of_that_view():
    x = _x22()
    a = x * 2
    v = a.t()
    w = v.unsqueeze(0)
    v.mul_(3)
    assert w.grad_fn.name == "AsStridedBackward0"
    (w * x.t()).sum().backward()
    np.testing.assert_allclose(x.grad.array, 12 * x.array)


def test_a_write_through_a_detached_alias_reaches_the_views():
    """The values changed behind autograd's back: the gradient is the view's, the node is new."""
    x = _x22()
    a = x * 2
    v = a.t()
    a.detach().mul_(3)
    assert v.grad_fn.name == "AsStridedBackward0" and v.grad_fn.next_functions[0][0].name == "MulBackward0"
    v.sum().backward()
    np.testing.assert_allclose(x.grad.array, np.full((2, 2), 2.0))


def test_setitem_on_the_base_reaches_its_views():
    x = _x22()
    a = x * 2
    v = a[1]
    a[0] = x[1] * 5
    assert v.grad_fn.name == "AsStridedBackward0"
    (v * v).sum().backward()
    np.testing.assert_allclose(x.grad.array, [[0.0, 0.0], [8 * 3.0, 8 * 4.0]])


@pytest.mark.parametrize("write", [lambda a, v: a.mul_(3), lambda a, v: v.mul_(3), lambda a, v: a.__setitem__(0, 7.0),
                                   lambda a, v: a.fill_(1.0), lambda a, v: a.zero_()])
def test_writes_under_no_grad_also_give_views_a_new_node(write):
    x = _x22()
    a = x * 2
    v = a.t()
    with TORCH["no_grad"]():
        write(a, v)
    assert v.grad_fn.name == "AsStridedBackward0" and v.grad_fn.next_functions[0][0] is a.grad_fn
    v.sum().backward()
    np.testing.assert_allclose(x.grad.array, np.full((2, 2), 2.0))


def test_a_view_of_a_leaf_written_under_no_grad():
    x = _x22()
    v = x.t()
    with TORCH["no_grad"]():
        x.mul_(3)
    assert v.grad_fn.name == "AsStridedBackward0" and v.grad_fn.next_functions[0][0].name == "AccumulateGrad"
    v.sum().backward()
    np.testing.assert_allclose(x.grad.array, np.ones((2, 2)))


def test_a_view_of_a_constant_requires_grad_once_the_base_does():
    c = TORCH["zeros"](2, 2)
    v = c.t()
    w = _x22()
    c.add_(w)
    assert v.requires_grad and v.grad_fn.name == "AsStridedBackward0"
    (v * v).sum().backward()
    np.testing.assert_allclose(w.grad.array, 2 * w.array)


def test_retain_grad_moves_to_the_new_node_of_a_view():
    x = _x22()
    a = x * 2
    v = a.t()
    v.retain_grad()
    a.mul_(3)
    (v * v).sum().backward()
    np.testing.assert_allclose(v.grad.array, 2 * v.array)
    np.testing.assert_allclose(x.grad.array, 2 * 36 * x.array)


def test_consumers_that_saved_a_view_still_refuse():
    x = _x22()
    a = x * 2
    v = a.t()
    y = v * v
    a.mul_(3)
    with pytest.raises(AutogradError, match="modified in place"):
        y.sum().backward()


def test_views_of_an_expanded_0d_tensor_after_a_write():
    x = tensor(2.0, requires_grad=True)
    s = x * 3
    u = s.expand(3)
    s.unsqueeze(0).mul_(2)
    assert u.grad_fn.name == "AsStridedBackward0"
    u.sum().backward()
    np.testing.assert_allclose(x.grad.array, 18.0)


def test_retain_grad_moves_to_the_node_of_an_in_place_op():
    """.grad is the gradient of the tensor as it is after the write, as in PyTorch."""
    x = leaf()
    v = x * 2
    v.retain_grad()
    v.mul_(3)
    (v * v).sum().backward()
    np.testing.assert_allclose(v.grad.array, 2 * 6 * X)


# -- fills: new values that do not depend on the old ones (torch 2.13's nodes) ---------------------------
FILLS = {"FillBackward2": lambda t: t.fill_(2.5), "ZeroBackward0": lambda t: t.zero_(),
         "NormalBackward0": lambda t: t.normal_(), "UniformBackward0": lambda t: t.uniform_(-1.0, 1.0),
         "FillBackward3": lambda t: t.fill_(tensor(4.0, dtype=TORCH["float64"]))}


@pytest.mark.parametrize("name", sorted(FILLS))
def test_a_fill_of_an_intermediate_is_recorded_and_passes_no_gradient(name):
    x = leaf()
    y = x * -2  # 0 * -2 would be -0.: zero_ must write +0.
    assert FILLS[name](y) is y
    assert y.grad_fn.name == name and y.grad_fn.next_functions[0][0].name == "MulBackward0"
    assert y._version[0] == 1
    (y * x).sum().backward()
    np.testing.assert_array_equal(x.grad.array, y.array)  # only the direct use of x contributes
    if name == "ZeroBackward0":
        assert not np.signbit(y.array).any()


@pytest.mark.parametrize("name", sorted(FILLS))
def test_a_fill_of_a_leaf_that_requires_grad_is_refused_but_allowed_under_no_grad(name):
    x = leaf()
    with pytest.raises(AutogradError):
        FILLS[name](x)
    with pytest.raises(AutogradError):
        FILLS[name](x[:2])
    assert x._version[0] == 0
    with TORCH["no_grad"]():
        FILLS[name](x)
    assert x._version[0] == 1 and x.is_leaf and x.requires_grad


def test_fill_with_a_value_that_requires_grad_gives_it_the_summed_gradient():
    w = tensor(3.0, requires_grad=True, dtype=TORCH["float64"])
    c = TORCH["zeros"](3)  # float32: w's gradient keeps w's dtype
    c.fill_(w)
    assert c.grad_fn.name == "FillBackward3" and c.grad_fn.next_functions[0] == (None, 0)
    (c * tensor([1.0, 2.0, 3.0])).sum().backward()
    assert w.grad.array.dtype == np.float64 and w.grad.item() == 6.0
