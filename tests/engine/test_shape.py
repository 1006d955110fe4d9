"""Shape ops and indexing: gradients against finite differences, PyTorch's graph layouts (recorded
oracle and live torch), storage sharing of views, in-place rules, and errors."""

from __future__ import annotations

import json
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gradcli.engine.api as api
from gradcli.engine import autograd
from gradcli.engine.grad_mode import no_grad
from gradcli.engine.ops import shape as S
from gradcli.engine.tensor import Tensor
from gradcli.errors import (ArgumentError, AutogradError, GradcliError, GradcliWarning, IndexOutOfRange,
                            ShapeError, ValueTypeError)
from tests.engine.gradcheck import check_grads

TORCH = api.TORCH
G = types.SimpleNamespace(**TORCH)  # `torch.` for gradcli, so one snippet runs in both worlds
FAST = settings(max_examples=20, deadline=None)


def leaf(shape, seed=0, requires_grad=True):
    arr = np.random.default_rng(seed).standard_normal(shape)
    return Tensor(arr, requires_grad=requires_grad)


def sq(y):
    return y * y  # a smooth function with a non-zero second derivative (Mul records, differentiates again)


def cube(y):
    return y * y * y


shapes = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


def factorizations(n):
    """Some shapes with n elements (for reshape targets)."""
    out = [(n,), (1, n), (n, 1)]
    out += [(d, n // d) for d in range(2, n) if n % d == 0]
    return out


# -- gradients: views ---------------------------------------------------------------------------
@FAST
@given(shapes, st.data())
def test_reshape_view_flatten_gradients(shape, data):
    x = leaf(shape)
    n = x.numel()
    target = data.draw(st.sampled_from(factorizations(n)))
    check_grads(lambda x: x.reshape(target), [x])
    check_grads(lambda x: x.view(*target), [x])
    check_grads(lambda x: x.flatten(), [x])
    check_grads(lambda x: x.reshape(-1, 1), [x])


@FAST
@given(shapes)
def test_reshape_of_non_contiguous_input_gradient(shape):
    x = leaf(shape + (2,))
    check_grads(lambda x: x.transpose(0, -1).reshape(-1), [x])
    check_grads(lambda x: x.permute(*reversed(range(x.ndim))).flatten(), [x])


@FAST
@given(shapes, st.data())
def test_transpose_permute_t_gradients(shape, data):
    x = leaf(shape)
    nd = len(shape)
    perm = data.draw(st.permutations(list(range(nd))))
    d0, d1 = data.draw(st.integers(-nd, nd - 1)), data.draw(st.integers(-nd, nd - 1))
    check_grads(lambda x: x.permute(*perm), [x])
    check_grads(lambda x: x.transpose(d0, d1), [x])
    if nd <= 2:
        check_grads(lambda x: x.t(), [x])
    if nd >= 2:
        check_grads(lambda x: S.mT(x), [x])


@FAST
@given(shapes, st.data())
def test_squeeze_unsqueeze_gradients(shape, data):
    x = leaf(shape)
    nd = len(shape)
    d = data.draw(st.integers(-nd - 1, nd))
    check_grads(lambda x: x.unsqueeze(d), [x])
    check_grads(lambda x: x.unsqueeze(d).squeeze(d), [x])
    check_grads(lambda x: x.squeeze(), [x])
    e = data.draw(st.integers(-nd, nd - 1))
    check_grads(lambda x: x.squeeze(e), [x])


@FAST
@given(shapes, st.data())
def test_expand_gradient_sums_over_copies(shape, data):
    x = leaf(tuple(data.draw(st.sampled_from([1, s])) for s in shape))
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    target = tuple(lead) + shape
    check_grads(lambda x: x.expand(*target), [x])
    check_grads(lambda x: x.expand(*lead, *([-1] * len(shape))), [x])


@FAST
@given(shapes, st.data())
def test_broadcasting_sum_to_in_binary_ops(shape, data):
    small = tuple(data.draw(st.sampled_from([1, s])) for s in shape)
    small = small[data.draw(st.integers(0, len(small))):]
    a, b = leaf(shape, 1), leaf(small, 2)
    check_grads(lambda a, b: a * b + b, [a, b], order=2)


def test_sum_to_on_arrays_matches_numpy_sums():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(S.sum_to(g, (3, 1)), g.sum(axis=(0, 2)).reshape(3, 1))
    np.testing.assert_array_equal(S.sum_to(g, (1, 4)), g.sum(axis=(0, 1)).reshape(1, 4))
    assert S.sum_to(g, ()) == g.sum()
    assert S.sum_to(g, (2, 3, 4)) is g


@FAST
@given(shapes, st.integers(1, 3), st.data())
def test_cat_gradients_with_mixed_inputs(shape, k, data):
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    parts = []
    for i in range(k):
        s = list(shape)
        s[d] = data.draw(st.integers(1, 3))
        parts.append(leaf(tuple(s), seed=i, requires_grad=data.draw(st.booleans()) or i == 0))
    check_grads(lambda *xs: TORCH["cat"](list(xs), d), parts)
    check_grads(lambda *xs: sq(TORCH["cat"](list(xs), d)), parts, order=2)


@FAST
@given(shapes, st.integers(1, 3), st.data())
def test_stack_gradients(shape, k, data):
    d = data.draw(st.integers(-len(shape) - 1, len(shape)))
    parts = [leaf(shape, seed=i) for i in range(k)]
    check_grads(lambda *xs: TORCH["stack"](xs, dim=d), parts)


def test_cat_promotes_dtypes_and_gives_each_input_its_own_dtype():
    a = Tensor(np.ones(2, np.float32), requires_grad=True)
    b = Tensor(np.ones(3, np.float64), requires_grad=True)
    c = Tensor(np.arange(2))
    y = TORCH["cat"]([a, b, c])
    assert y.array.dtype == np.float64 and y.shape == (7,)
    (y * Tensor(np.arange(7.0))).sum().backward()
    assert a.grad.array.dtype == np.float32 and b.grad.array.dtype == np.float64
    np.testing.assert_array_equal(a.grad.array, [0, 1])
    np.testing.assert_array_equal(b.grad.array, [2, 3, 4])
    assert y.grad_fn.next_functions[2] == (None, 0)


def test_cat_and_stack_of_many_inputs_backpropagate():
    """A node with more inputs than the engine's cached argument tuples (64) still runs backward."""
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    TORCH["cat"]([x] * 100).sum().backward()
    TORCH["stack"]([x] * 70).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [170, 170])


def test_cat_skips_legacy_empty_vectors():
    a = leaf((2, 2))
    y = TORCH["cat"]([Tensor(np.zeros(0)), a])
    assert y.shape == (2, 2)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.array, np.ones((2, 2)))


@FAST
@given(shapes, st.data())
def test_split_chunk_unbind_narrow_repeat_gradients(shape, data):
    x = leaf(shape)
    d = data.draw(st.integers(0, len(shape) - 1))
    size = shape[d]
    check_grads(lambda x: TORCH["cat"]([p * (i + 1) for i, p in enumerate(x.split(1, d))], d), [x])
    check_grads(lambda x: TORCH["stack"]([p * (i + 1) for i, p in enumerate(x.unbind(d))], d), [x])
    check_grads(lambda x: x.chunk(2, d)[0], [x])
    start = data.draw(st.integers(0, size - 1))
    check_grads(lambda x: x.narrow(d, start, size - start), [x])
    reps = data.draw(st.lists(st.integers(1, 2), min_size=len(shape), max_size=len(shape) + 1))
    check_grads(lambda x: x.repeat(*reps), [x], order=2)


def test_split_with_sizes_and_uneven_chunks():
    x = leaf((5, 2))
    parts = x.split([2, 3])
    assert [p.shape for p in parts] == [(2, 2), (3, 2)]
    assert parts[0].grad_fn.name == "SplitWithSizesBackward0"
    assert [p.shape[0] for p in x.chunk(2)] == [3, 2]
    assert [p.shape[0] for p in x.split(2)] == [2, 2, 1]


# -- gradients: indexing -----------------------------------------------------------------------
@pytest.mark.parametrize("index", [
    (2,), (-1,), (slice(1, 4),), (slice(None, None, 2),), (None,), (Ellipsis,), ((),),
    ([0, 0, 3],), ((1, slice(None)),), ((slice(None), 1),), ((slice(None), [2, 0, 2]),),
    (([1, 1], [0, 2]),), ((None, 1, Ellipsis),), ((Ellipsis, 2),), ((True,),), ((slice(1, None), [0, 1]),),
    (([0, 1], slice(None), None),),
])
def test_index_gradients_first_and_second_order(index):
    (idx,) = index
    x = leaf((4, 3))
    check_grads(lambda x: x[idx], [x])
    check_grads(lambda x: sq(x[idx]), [x], order=2)


def test_boolean_mask_gradient():
    x = leaf((3, 4))
    mask = Tensor(x.array > 0)
    check_grads(lambda x: sq(x[mask]), [x], order=2)
    check_grads(lambda x: x[:, mask.array[0]], [x])


def test_repeated_advanced_indices_add_up():
    x = Tensor(np.zeros(3), requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.array, [3, 0, 1])


@FAST
@given(shapes, st.data())
def test_random_basic_index_gradients(shape, data):
    idx = []
    for s in shape:
        kind = data.draw(st.sampled_from(["int", "slice", "all", "none"]))
        if kind == "int":
            idx.append(data.draw(st.integers(-s, s - 1)))
        elif kind == "slice":
            a = data.draw(st.integers(-s, s))
            idx.append(slice(a, data.draw(st.one_of(st.none(), st.integers(-s, s + 1))),
                             data.draw(st.integers(1, 2))))
        elif kind == "all":
            idx.append(slice(None))
        else:
            idx.append(None)
            idx.append(slice(None))
    idx = tuple(idx)
    x = leaf(shape)
    np.testing.assert_array_equal(x[idx].array, x.array[idx])
    check_grads(lambda x: x[idx] * 1.5, [x])


def test_numpy_scalar_gradient_reaches_select():
    x = leaf((3,))
    (x[1] * 2).backward()  # the gradient arriving at Select is a NumPy scalar
    np.testing.assert_array_equal(x.grad.array, [0, 2, 0])


# -- second order through shape ops -------------------------------------------------------------
@pytest.mark.parametrize("f", [
    lambda x: cube(x.reshape(6)),
    lambda x: cube(x.t().reshape(6)),
    lambda x: cube(x.expand(2, 2, 3)),
    lambda x: cube(x[1]),
    lambda x: cube(x[:, 1:]),
    lambda x: cube(x[[0, 0, 1]]),
    lambda x: cube(x.unsqueeze(0).squeeze()),
    lambda x: cube(x.permute(1, 0).transpose(0, 1)),
    lambda x: cube(TORCH["cat"]([x, x * 2], 1)),
    lambda x: cube(TORCH["stack"]([x, x])),
    lambda x: sq(x.T * x.T),
], ids=["reshape", "copy-reshape", "expand", "select", "slice", "index", "squeeze", "permute", "cat", "stack",
        "T"])
def test_second_order_through_shape_ops(f):
    check_grads(f, [leaf((2, 3))], order=2)


def test_second_order_through_setitem():
    def f(x, v):
        y = x * x
        y[0, 1:] = v * v
        return sq(y)
    check_grads(f, [leaf((2, 3)), leaf((2,), seed=3)], order=2)


# -- setitem ----------------------------------------------------------------------------------------
def test_setitem_gradients_for_old_values_and_value():
    def f(x, v):
        y = x * 1.0
        y[1:, [0, 2]] = v
        return y * y

    check_grads(f, [leaf((3, 3)), leaf((2, 2), seed=1)], order=2)
    check_grads(lambda x, v: _put(x * 1.0, (0,), v), [leaf((2, 3)), leaf((3,), seed=2)], order=2)
    check_grads(lambda x, v: _put(x * 1.0, (slice(None), 1), v), [leaf((2, 3)), leaf((), seed=2)], order=2)
    check_grads(lambda x, v: _put(x * 1.0, (Ellipsis,), v), [leaf((2, 3)), leaf((1, 3), seed=2)])


def _put(y, idx, v):
    y[idx] = v
    return y * y


def test_setitem_on_a_tensor_without_grad_records_the_value():
    v = leaf((2,))
    z = TORCH["zeros"](3, dtype=G.float64)
    z[1:] = v
    assert z.requires_grad and not z.is_leaf and z.grad_fn.name == "CopySlices"
    assert z.grad_fn.next_functions[0] == (None, 0)
    (z * Tensor(np.array([1.0, 2.0, 3.0]))).sum().backward()
    np.testing.assert_array_equal(v.grad.array, [2, 3])


def test_setitem_through_a_view_moves_the_graph_to_the_base():
    x, v = leaf((3,)), leaf(())
    y = x * 2
    s = y[1:]
    s[0] = v
    assert y.grad_fn.name == "CopySlices" and s.grad_fn.name == "AsStridedBackward0"
    assert s.grad_fn.next_functions[0][0] is y.grad_fn
    np.testing.assert_array_equal(y.array, [x.array[0] * 2, v.array, x.array[2] * 2])
    (y * Tensor(np.array([1.0, 2.0, 3.0]))).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [2, 0, 6])
    assert v.grad.item() == 2


def test_chained_item_assignment_on_zeros_builds_a_graph():
    w = leaf((2,))
    out = TORCH["zeros"](2, 2, dtype=G.float64)
    for i in range(2):
        out[i][i] = w[i] * 3
    assert out.grad_fn.name == "CopySlices"
    out.sum().backward()
    np.testing.assert_array_equal(out.detach().array, np.diag(w.array * 3))
    np.testing.assert_array_equal(w.grad.array, [3, 3])


def test_setitem_through_a_view_of_a_non_contiguous_base():
    w = leaf(())
    base = TORCH["zeros"](3, 2, dtype=G.float64).t()  # a transposed layout, as the base of later views
    base = base * 1.0
    assert not base.array.flags.c_contiguous
    r = base[1]
    r[2] = w
    base.sum().backward()
    assert base.array[1, 2] == w.item() and w.grad.item() == 1


def test_setitem_broadcasts_and_casts_the_value():
    y = TORCH["zeros"](2, 3)
    y[:, 1] = 5
    y[0] = Tensor(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(y.array, [[1, 2, 3], [0, 5, 0]])
    assert y.array.dtype == np.float32
    y[1:] = Tensor(np.ones((1, 1, 3)))
    np.testing.assert_array_equal(y.array[1], [1, 1, 1])


def test_setitem_value_dtype_gets_its_own_gradient_dtype():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    v = Tensor(np.array(5.0), requires_grad=True)
    y = x * 2
    y[0] = v
    y.sum().backward()
    assert v.grad.array.dtype == np.float64 and v.grad.item() == 1


# -- storage sharing and versions ---------------------------------------------------------------
def test_detach_shares_storage():
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d[0] = 5.0
    np.testing.assert_array_equal(y.array, [5, 3])
    assert y.grad_fn.name == "MulBackward0"


@pytest.mark.parametrize("make", [
    lambda y: y[0], lambda y: y[:, 1], lambda y: y[1:], lambda y: y.t(), lambda y: y.view(6),
    lambda y: y.reshape(3, 2), lambda y: y.unsqueeze(0), lambda y: y.transpose(0, 1), lambda y: y.T,
    lambda y: y.permute(1, 0), lambda y: y[None], lambda y: y[...], lambda y: y.narrow(1, 0, 2),
    lambda y: y.split(1)[1], lambda y: y.unbind(1)[0], lambda y: y.flatten(),
], ids=["select", "select1", "slice", "t", "view", "reshape", "unsqueeze", "transpose", "T", "permute",
        "none", "alias", "narrow", "split", "unbind", "flatten"])
def test_views_share_storage_and_version(make):
    y = Tensor(np.arange(6.0).reshape(2, 3))
    v = make(y)
    assert np.shares_memory(v.array, y.array)
    assert v._version is y._version and v._base is y
    v.array[...] = -1  # raw writes are seen both ways
    assert (y.array < 0).any()
    before = y._version_number
    v[...] = 7.0
    assert y._version_number == before + 1 and (y.array == 7).sum() == v.numel()


def test_view_of_a_view_points_at_the_root_base():
    y = Tensor(np.arange(6.0).reshape(2, 3))
    assert y[0][1:]._base is y and y.t()[0]._base is y


def test_copies_do_not_share():
    y = Tensor(np.arange(6.0).reshape(2, 3))
    for c in (y[[0, 1]], y.t().reshape(6), y.repeat(1, 1), TORCH["cat"]([y, y]), y.t().contiguous()):
        assert not np.shares_memory(c.array, y.array)
        assert c._version is not y._version


def test_in_place_write_through_a_view_is_caught_by_saved_value_checks():
    x = leaf((3,))
    y = x * 1.0
    z = y * y
    y[1:][0] = 4.0
    with pytest.raises(AutogradError, match="modified in place"):
        z.sum().backward()


def test_contiguous_and_is_contiguous_follow_layout():
    y = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert y.is_contiguous() and y.contiguous() is y
    t = y.t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.grad_fn.name == "CloneBackward0"
    assert not y[:, 1].is_contiguous() and y[1].is_contiguous()


# -- in-place and leaf rules -----------------------------------------------------------------------
def test_item_assignment_on_a_leaf_that_requires_grad_is_refused():
    x = leaf((3,))
    with pytest.raises(AutogradError, match="view of a leaf"):
        x[0] = 5.0
    with no_grad():
        x[0] = 5.0
    assert x.array[0] == 5.0 and x.grad_fn is None


def test_in_place_op_on_a_view_of_a_leaf_is_refused():
    x = leaf((3,))
    v = x[0:2]
    with pytest.raises(AutogradError, match="view of a leaf"):
        v.add_(1)
    with pytest.raises(AutogradError, match="view of a leaf"):
        v[0] = 1.0


def test_expanded_tensors_are_read_only():
    y = TORCH["ones"](3).expand(2, 3)
    with pytest.raises(GradcliError, match="expanded"):
        y[0, 0] = 2.0


# -- second backward without retain_graph --------------------------------------------------------
@pytest.mark.parametrize("f", [
    lambda x: x.reshape(1, 3).t().sum(),
    lambda x: x[0],
    lambda x: x[1:3].sum(),
    lambda x: TORCH["cat"]([x, x]).sum(),
    lambda x: x.expand(2, 3).sum(),
    lambda x: x.view(3, 1).squeeze(1).unsqueeze(0).sum(),
    lambda x: x.permute(0).transpose(0, 0).t().sum(),
    lambda x: TORCH["stack"]([x, x]).sum(),
], ids=["reshape-t", "select", "slice", "cat", "expand", "squeeze", "permute", "stack"])
def test_second_backward_without_retain_graph_accumulates(f):
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    y = f(x)
    y.backward()
    first = x.grad.array.copy()
    y.backward()
    np.testing.assert_array_equal(x.grad.array, 2 * first)


def test_second_backward_through_index_gather_is_refused_as_in_pytorch():
    # IndexBackward0 saves the indices (torch 2.13 refuses the second backward without retain_graph)
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    y = x[[0, 2]].sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.array, [2, 0, 2])
    y = x[[0, 2]].sum()
    y.backward()
    with pytest.raises(AutogradError):
        y.backward()


# -- errors ---------------------------------------------------------------------------------------
def test_view_of_non_viewable_layout_suggests_reshape():
    with pytest.raises(ShapeError) as e:
        TORCH["ones"](2, 3).t().view(6)
    assert ".reshape" in e.value.hint


def test_index_out_of_range_names_index_dimension_and_size():
    with pytest.raises(IndexOutOfRange, match=r"index 5 .*dimension 0 .*size 3"):
        TORCH["ones"](3)[5]
    with pytest.raises(IndexOutOfRange, match=r"index -4 .*dimension 1 .*size 3"):
        TORCH["ones"](2, 3)[0, -4]
    with pytest.raises(IndexOutOfRange, match=r"index 3 .*dimension 0 .*size 3"):
        TORCH["ones"](3)[[0, 3]]


@pytest.mark.parametrize("code, error, words", [
    ("torch.ones(3)[0, 0]", IndexOutOfRange, "too many indices"),
    ("torch.tensor(1.)[0]", IndexOutOfRange, "0-dimensional"),
    ("torch.ones(3)[1.5]", IndexOutOfRange, "float"),
    ("torch.ones(3)[::-1]", ArgumentError, "step"),
    ("torch.ones(3)[::0]", ArgumentError, "step"),
    ("torch.ones(3)[torch.tensor([True, False])]", IndexOutOfRange, r"mask of shape \[2\]"),
    ("torch.ones(3)[..., ...]", IndexOutOfRange, "ellipsis"),
    ("torch.ones(3).view(2, 2)", ShapeError, r"\[3\].*\[2, 2\]"),
    ("torch.ones(3).reshape(-1, -1)", ShapeError, "one size"),
    ("torch.ones(3).reshape(-1, 2)", ShapeError, r"\[3\]"),
    ("torch.ones(3).expand(2, 4)", ShapeError, r"\[3\].*\[2, 4\]"),
    ("torch.ones(3).expand(2)", ShapeError, r"\[3\].*\[2\]"),
    ("torch.ones(2, 3).expand(3)", ShapeError, r"\[2, 3\]"),
    ("torch.ones(3).expand(-1, 3)", ShapeError, "leading"),
    ("torch.cat([torch.ones(3), torch.ones(2, 2)])", ShapeError, r"\[3\] and \[2, 2\]"),
    ("torch.cat([torch.ones(2, 3), torch.ones(2, 2)])", ShapeError, r"\[2, 3\] and \[2, 2\]"),
    ("torch.cat([])", ArgumentError, "at least one"),
    ("torch.cat(torch.ones(2))", ValueTypeError, "list"),
    ("torch.cat([torch.tensor(1.)])", ShapeError, "0-dimensional"),
    ("torch.stack([torch.ones(3), torch.ones(2)])", ShapeError, r"\[3\].*\[2\]"),
    ("torch.ones(3).squeeze(1)", IndexOutOfRange, "dimension 1"),
    ("torch.ones(3).unsqueeze(2)", IndexOutOfRange, "dimension 2"),
    ("torch.ones(3).transpose(0, 2)", IndexOutOfRange, "dimension 2"),
    ("torch.ones(3).permute(0, 0)", ShapeError, r"\[3\]"),
    ("torch.ones(2, 3).permute(0, 0)", ArgumentError, "repeat"),
    ("torch.ones(2, 3, 4).t()", ShapeError, r"\[2, 3, 4\]"),
    ("S.mT(torch.ones(3))", ShapeError, r"\[3\]"),
    ("torch.ones(2, 3).flatten(1, 0)", ArgumentError, "start_dim"),
    ("torch.ones(3).narrow(0, 2, 2)", ShapeError, "size 3"),
    ("torch.ones(2, 3).repeat(2)", ShapeError, r"\[2, 3\]"),
    ("torch.reshape(3, (1,))", ValueTypeError, "tensor"),
    ("torch.ones(3).reshape(1.5)", ValueTypeError, "integers"),
])
def test_errors(code, error, words):
    with pytest.raises(error, match=words) as e:
        eval(code, {"torch": G, "S": S})
    assert e.value.message


@pytest.mark.parametrize("code, error, words", [
    ("y = torch.ones(3); y[0:2] = torch.ones(3)", ShapeError, r"\[3\].*\[2\]"),
    ("y = torch.ones(3, 3); y[[0, 1]] = torch.ones(3, 3)", ShapeError, r"\[3, 3\].*\[2, 3\]"),
    ("y = torch.ones(3); y[0] = [1.]", ValueTypeError, "list"),
    ("y = torch.ones(3); y[0] = 'a'", ValueTypeError, "str"),
])
def test_setitem_errors(code, error, words):
    with pytest.raises(error, match=words):
        exec(code, {"torch": G})


def test_T_on_non_matrices_warns_like_pytorch():
    with pytest.warns(GradcliWarning):
        assert TORCH["ones"](2, 3, 4).T.shape == (4, 3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert TORCH["ones"](2, 3).T.shape == (3, 2)


# -- grad_fn layouts: the recorded oracle ----------------------------------------------------------
ORACLE = Path(__file__).resolve().parents[3] / "shared" / "torch-oracle" / "gradfn_cases.json"
LOCAL = Path(__file__).resolve().parents[1] / "parity" / "data" / "gradfn_cases.json"

# How each oracle label is built here (a, b, A, T3, v3 require grad; c does not).
LABELS = {
    "A.t()": lambda n: n.A.t(),
    "A.T": lambda n: n.A.T,
    "A.transpose(0,1)": lambda n: n.A.transpose(0, 1),
    "T3.permute(2,0,1)": lambda n: n.T3.permute(2, 0, 1),
    "A.reshape(3,2)": lambda n: n.A.reshape(3, 2),
    "A.reshape(6) (contig)": lambda n: n.A.reshape(6),
    "A.t().reshape(6) (copy)": lambda n: n.A.t().reshape(6),
    "A.view(3,2)": lambda n: n.A.view(3, 2),
    "A.flatten()": lambda n: n.A.flatten(),
    "A[0]": lambda n: n.A[0],
    "A[:,1]": lambda n: n.A[:, 1],
    "a[1:3]": lambda n: n.a[1:3],
    "a[-1]": lambda n: n.a[-1],
    "A[0,1]": lambda n: n.A[0, 1],
    "a[[0,2]] (advanced)": lambda n: n.a[[0, 2]],
    "torch.cat([a,b])": lambda n: TORCH["cat"]([n.a, n.b]),
    "torch.cat([a,c])": lambda n: TORCH["cat"]([n.a, n.c]),
    "torch.stack([a,b])": lambda n: TORCH["stack"]([n.a, n.b]),
    "a.detach()": lambda n: n.a.detach(),
    "v3.expand(2,3)": lambda n: n.v3.expand(2, 3),
    "a.unsqueeze(0)": lambda n: n.a.unsqueeze(0),
    "A.unsqueeze(0).squeeze(0)": lambda n: n.A.unsqueeze(0).squeeze(0),
    "A.unsqueeze(1).squeeze() (no dim)": lambda n: n.A.unsqueeze(1).squeeze(),
}


def _oracle_cases():
    path = ORACLE if ORACLE.exists() else LOCAL
    if not path.exists():
        return []
    return [c for c in json.loads(path.read_text())["cases"] if c["expr"] in LABELS]


def _names():
    def rg(arr):
        return Tensor(np.asarray(arr, dtype=np.float32), requires_grad=True)
    return types.SimpleNamespace(a=rg([1.0, 2.0, 3.0]), b=rg([4.0, 5.0, 6.0]), c=Tensor(np.ones(3, np.float32)),
                                 A=rg(np.arange(6.0).reshape(2, 3)), T3=rg(np.arange(24.0).reshape(2, 3, 4)),
                                 v3=rg([1.0, 2.0, 3.0]))


def test_oracle_covers_every_label():
    cases = _oracle_cases()
    if not cases:
        pytest.skip("gradfn_cases.json not available")
    assert {c["expr"] for c in cases} == set(LABELS)


@pytest.mark.parametrize("case", _oracle_cases(), ids=lambda c: c["expr"])
def test_grad_fn_layout_matches_recorded_pytorch(case):
    y = LABELS[case["expr"]](_names())
    assert list(y.shape) == case["shape"]
    assert y.requires_grad == case["requires_grad"] and y.is_leaf == case["is_leaf"]
    if case["grad_fn"] is None:
        assert y.grad_fn is None
        return
    assert y.grad_fn.name == case["grad_fn"]
    got = [[None if f is None else f.name, i] for f, i in y.grad_fn.next_functions]
    assert got == case["next_functions"]


def test_copy_reshape_chain_matches_reference():
    y = _names().A.t().reshape(6)
    assert _chain(y.grad_fn) == ("UnsafeViewBackward0", [("CloneBackward0", [("TBackward0", [
        ("AccumulateGrad", [])])])])


def _chain(fn, torch_side=False):
    """A graph as nested (name, [children]) tuples, None for empty slots."""
    if fn is None:
        return None
    name = type(fn).__name__ if torch_side else fn.name
    return (name, [_chain(f, torch_side) for f, _ in fn.next_functions])


# -- live comparison with PyTorch -----------------------------------------------------------------
SETUP = """
a = torch.tensor([1., -2., 3.], requires_grad=True)
A = torch.tensor([[1., 2., -3.], [4., -5., 6.]], requires_grad=True)
B = torch.arange(24.).reshape(2, 3, 4).requires_grad_()
v = torch.tensor(7., requires_grad=True)
w = torch.tensor([7., 8.], requires_grad=True)
w1 = torch.tensor([9.], requires_grad=True)
c = torch.tensor([1., 1., 1.])
"""

LIVE = [
    "y = a[:]", "y = a[...]", "y = A[()]", "y = A[:]", "y = A[:, :]", "y = A[0:2, 1]", "y = A[0:5, 1]",
    "y = A[:2]", "y = A[(slice(None),)]", "y = A[0, :]", "y = A[None, 0]", "y = A[0, None]", "y = A[:, None]",
    "y = A[[0, 1], 1:]", "y = A[[0, 1], 1]", "y = A[1:, [0, 1]]", "y = B[0, :, [0, 1]]", "y = B[:, [0, 1], [1, 2]]",
    "y = B[[0, 1], :, [0, 1]]", "y = B[None, [1], 0, [1, 2]]", "y = a[a > 1]", "y = A[A > 1]", "y = A[True]",
    "y = A[..., 1]", "y = A[1, ...]", "y = a[::2]", "y = a[-2:]", "y = a[torch.tensor(1)]",
    "y = a[torch.tensor([1])]", "y = A[:, [True, False, True]]", "y = a[[True, False, True]]",
    "y = A[1][2]", "y = B[1, 1:, ::2]", "y = B[..., None, 1]",
    "y = a.t()", "y = A.T", "y = B.permute(2, 0, 1)", "y = A.transpose(1, 1)", "y = A.swapaxes(0, 1)",
    "y = A.reshape(6).reshape(2, 3)", "y = A.t().reshape(3, 2)", "y = A.t().unsqueeze(0).reshape(3, 2)",
    "y = A[:, ::2].reshape(4)", "y = A[:, 1].view(2)", "y = A[:, 1].reshape(1, 2)", "y = A[1].reshape(3)",
    "y = A[:, :2].reshape(2, 2)", "y = A.expand(2, 2, 3).reshape(12)", "y = A.expand(2, 2, 3).reshape(2, 6)",
    "y = a.expand(2, 3).reshape(6)", "y = B.permute(1, 0, 2).reshape(3, 8)", "y = B[:, 1].reshape(8)",
    "y = A.unsqueeze(1).reshape(2, 3)", "y = A.view(6)[::2].reshape(3)", "y = A.t().t().reshape(6)",
    "y = A.t().flatten()", "y = A[:, 1].flatten() * 1", "y = torch.flatten(B, 1)", "y = B.flatten(0, 1)",
    "y = A.t().contiguous()", "y = A.view(-1)", "y = A.view_as(torch.zeros(3, 2))",
    "y = A.expand_as(torch.zeros(2, 2, 3))", "y = A.reshape_as(torch.zeros(6))", "y = A.expand(-1, -1)",
    "y = a.squeeze(0)", "y = A.squeeze((0, 1))", "y = A.unsqueeze(-1)", "y = B.squeeze()",
    "y = torch.squeeze(A.unsqueeze(0), 0)", "y = torch.unsqueeze(a, 1)",
    "y = torch.cat([A, A], 1)", "y = torch.cat([a, c])", "y = torch.cat((c, a, c), dim=-1)",
    "y = torch.concat([a, a])", "y = torch.stack([a, a], 1)", "y = torch.stack([c, a])",
    "y = A.narrow(1, 0, 2)", "y = A.repeat(2, 1)", "y = a.repeat(2, 2)", "y = A.split(1)[1]",
    "y = A.chunk(2, 1)[0]", "y = A.unbind(1)[2]", "y = A.split([1, 2], 1)[1]", "y = a.unflatten(0, (3, 1))",
    "y = torch.tensor(2., requires_grad=True).t()", "y = torch.transpose(B, 0, 2)", "y = torch.permute(A, (1, 0))",
    "y = torch.reshape(A, (3, 2))", "y = torch.t(A)", "y = torch.narrow(a, 0, 1, 2)",
    # item assignment
    "y = a * 2; y[0] = 5.", "y = a * 2; y[0] = v", "y = a * 2; y[0:2] = w", "y = a * 2; y[0:2] = w1",
    "y = a * 2; y[0:2] = v", "y = a * 2; y[[0, 2]] = w", "y = a * 2; y[[0, 2]] = 1.",
    "y = torch.zeros(3); y[0] = v", "y = torch.zeros(3); y[1:] = w", "y = a * 2; y[y > 2] = 0.",
    "y = a * 2; y[...] = v", "y = a * 2; y[...] = 5.", "y = a * 2; y[:] = a", "y = a * 2; y[()] = v",
    "y = a * 2; s = y[1:]; s[0] = v", "y = torch.zeros(3, 3); r = y[0]; r[1] = v",
    "y = torch.zeros(3, 3); r = y[:, 1:]; r[[0, 1], 1] = w",
    "y = A * 2; y[0] = w1", "y = A * 2; y[0] = torch.ones(1, 3, requires_grad=True)", "y = A * 2; y[0, 1:] = w",
    "y = B * 1; y[0] = w1", "y = B * 1; y[0] = torch.ones(4, requires_grad=True)",
    "y = B * 1; y[[0, 1], 0, 0] = w", "y = B * 1; y[[0, 1], 0, 0] = w1",
    "y = B * 1; y[[0, 1]] = torch.ones(1, 3, 4, requires_grad=True)", "y = B * 1; y[:, [0, 2]] = v",
    "y = a * 2; y[0] = torch.tensor(5., dtype=torch.float64, requires_grad=True)",
    "y = a.detach(); y[0] = 5.; y = a * 1",
]


def _run_snippet(code, torch_ns):
    ns = {"torch": torch_ns}
    exec(SETUP + code, ns)
    return ns


@pytest.mark.parametrize("code", LIVE)
def test_live_against_pytorch(code):
    torch = pytest.importorskip("torch")
    theirs = _run_snippet(code, torch)
    ours = _run_snippet(code, G)
    ty, y = theirs["y"], ours["y"]
    assert list(y.shape) == list(ty.shape)
    np.testing.assert_array_equal(y.detach().array, ty.detach().numpy())
    assert str(y.dtype) == str(ty.dtype)
    assert y.requires_grad == ty.requires_grad and y.is_leaf == ty.is_leaf
    assert _chain(y.grad_fn) == _chain(ty.grad_fn, torch_side=True)
    if "r" in ours:
        assert _chain(ours["r"].grad_fn) == _chain(theirs["r"].grad_fn, torch_side=True)
    if not ty.requires_grad:
        return
    weights = np.arange(1.0, ty.numel() + 1).reshape(tuple(ty.shape))
    (ty * torch.tensor(weights, dtype=ty.dtype)).sum().backward()
    (y * Tensor(weights.astype(y.array.dtype))).sum().backward()
    for name in ("a", "A", "B", "v", "w", "w1"):
        tg, g = theirs[name].grad, ours[name].grad
        assert (g is None) == (tg is None), name
        if g is not None:
            np.testing.assert_allclose(g.array, tg.numpy(), rtol=1e-6, err_msg=name)


@pytest.mark.parametrize("code", [
    "y = A.t()", "y = A[:, 1]", "y = A[:, 1:]", "y = A.t().t()", "y = A.expand(2, 2, 3)", "y = A[None]",
    "y = (A * 2).t()", "y = A.unsqueeze(1)", "y = A[:, ::2]", "y = B.permute(1, 0, 2)", "y = B[:, 1]",
])
def test_live_contiguity_matches_pytorch(code):
    torch = pytest.importorskip("torch")
    assert _run_snippet(code, G)["y"].is_contiguous() == _run_snippet(code, torch)["y"].is_contiguous()


def test_live_double_backward_names():
    torch = pytest.importorskip("torch")
    for expr in ("a[1]", "a[1:]", "A.t()", "A.reshape(6)", "A.unsqueeze(0)", "A.permute(1, 0)",
                 "A.transpose(0, 1)", "A[:, 1]", "torch.cat([a, a])", "torch.stack([a, a])"):
        chains = []
        for ns in (_run_snippet("", torch), _run_snippet("", G)):
            y = eval(expr, ns)
            x = ns["a"] if expr.startswith(("a", "torch")) else ns["A"]
            seed = ns["torch"].ones(tuple(y.shape), requires_grad=True)
            (gx,) = ns["torch"].autograd.grad(y, x, seed, create_graph=True) if ns["torch"] is torch else \
                autograd.grad(y, x, seed, create_graph=True)
            chains.append(gx.grad_fn)
        assert _chain(chains[1]) == _chain(chains[0], torch_side=True), expr


# -- indexing fuzzed against PyTorch: same success or failure, values, graph, gradients ----------
ENTRY = st.one_of(
    st.integers(-4, 4),
    st.builds(slice, st.sampled_from([None, -5, -2, -1, 0, 1, 2, 5]), st.sampled_from([None, -5, -1, 0, 1, 2, 3, 5]),
              st.sampled_from([None, 1, 2, 3])),
    st.none(), st.just(Ellipsis), st.booleans(),
    st.lists(st.integers(-3, 3), max_size=3),
    st.tuples(st.just("mask"), st.lists(st.booleans(), min_size=1, max_size=3)),
    st.tuples(st.just("long"), st.lists(st.integers(-3, 3), min_size=1, max_size=3)),
    st.tuples(st.just("long0"), st.integers(-3, 3)),
)
FUZZ = settings(max_examples=300, deadline=None)


def _realize(entries, single, make):
    out = []
    for e in entries:
        if isinstance(e, tuple) and e[0] == "mask":
            e = make(np.array(e[1]))
        elif isinstance(e, tuple):
            e = make(np.array(e[1], dtype=np.int64))
        out.append(e)
    return out[0] if single else tuple(out)


def _graph(fn, torch_side=False):
    return _chain(fn, torch_side)


def _ellipses_ok(entries):
    return sum(1 for e in entries if e is Ellipsis) <= 1  # PyTorch accepts several; gradcli refuses


@FUZZ
@given(st.lists(st.integers(1, 3), max_size=3), st.lists(ENTRY, min_size=1, max_size=3), st.booleans())
def test_getitem_fuzz_matches_pytorch(shape, entries, single):
    torch = pytest.importorskip("torch")
    if not _ellipses_ok(entries):
        return
    single = single and len(entries) == 1
    base = np.arange(float(np.prod(shape))).reshape(shape).astype(np.float32)
    tx = torch.tensor(base, requires_grad=True)
    x = Tensor(base.copy(), requires_grad=True)
    try:
        ty = tx[_realize(entries, single, torch.tensor)]
    except (IndexError, RuntimeError, ValueError, TypeError):
        with pytest.raises(GradcliError):
            x[_realize(entries, single, Tensor)]
        return
    y = x[_realize(entries, single, Tensor)]
    assert tuple(y.shape) == tuple(ty.shape)
    np.testing.assert_array_equal(y.array, ty.detach().numpy())
    assert _graph(y.grad_fn) == _graph(ty.grad_fn, torch_side=True)
    w = np.random.default_rng(0).standard_normal(tuple(ty.shape)).astype(np.float32)
    (ty * torch.tensor(w)).sum().backward()
    (y * Tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.array, tx.grad.numpy(), rtol=1e-6, atol=1e-6)


@FUZZ
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.lists(ENTRY, min_size=1, max_size=3),
       st.sampled_from(["number", "0-d", "full", "broadcast", "leading 1", "wrong"]), st.booleans(), st.data())
def test_setitem_fuzz_matches_pytorch(shape, entries, value_kind, through_view, data):
    torch = pytest.importorskip("torch")
    if not _ellipses_ok(entries):
        return
    through_view = through_view and shape[0] > 1
    base = np.arange(1.0, np.prod(shape) + 1).reshape(shape).astype(np.float32)
    try:
        region = tuple((torch.tensor(base)[1] if through_view else torch.tensor(base))[
            _realize(entries, False, torch.tensor)].shape)
    except (IndexError, RuntimeError, ValueError, TypeError):
        region = ()
    vshape = {"0-d": (), "full": region, "leading 1": (1,) + region, "wrong": (4,),
              "broadcast": tuple(data.draw(st.sampled_from([1, s])) for s in region)[
                  data.draw(st.integers(0, len(region))):]}.get(value_kind)
    tx, x = torch.tensor(base, requires_grad=True), Tensor(base.copy(), requires_grad=True)
    if vshape is None:
        tv = v = 9.5
    else:
        va = np.asarray(np.random.default_rng(1).standard_normal(vshape) + 10, dtype=np.float32)
        tv, v = torch.tensor(va, requires_grad=True), Tensor(va.copy(), requires_grad=True)
    ty, y = tx * 2, x * 2
    try:
        (ty[1] if through_view else ty)[_realize(entries, False, torch.tensor)] = tv
    except (IndexError, RuntimeError, ValueError, TypeError):
        with pytest.raises(GradcliError):
            (y[1] if through_view else y)[_realize(entries, False, Tensor)] = v
        return
    (y[1] if through_view else y)[_realize(entries, False, Tensor)] = v
    np.testing.assert_array_equal(y.array, ty.detach().numpy())
    assert _graph(y.grad_fn) == _graph(ty.grad_fn, torch_side=True)
    w = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    (ty * torch.tensor(w)).sum().backward()
    (y * Tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.array, tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    if vshape is not None:
        assert (v.grad is None) == (tv.grad is None)
        if v.grad is not None:
            np.testing.assert_allclose(v.grad.array, tv.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("idx", [
    "a", 1.5, [1.5], [[0, 1], [2]], {"x": 1}, [Tensor(np.array(1))], (0, "a"), slice(0.5, 2), slice("a"),
    Tensor(np.array([0.5])), (Ellipsis, Ellipsis), object(),
])
def test_hostile_indices_raise_gradcli_errors(idx):
    x = leaf((3, 3))
    with pytest.raises(GradcliError):
        x[idx]
    with pytest.raises(GradcliError):
        y = x * 1.0
        y[idx] = 1.0


def test_rebase_view_records_an_in_place_op_on_a_view():
    """What tensor.write_inplace needs for `s = y[1:]; s.mul_(2)`: y's gradient sees the write."""
    x = leaf((3,))
    y = x * 1.0
    s = y[1:]
    r = s * 2
    s.array[...] = r.array
    s._version[0] += 1
    S.rebase_view(s, r)
    assert y.grad_fn.name == "CopySlices" and s.grad_fn.name == "AsStridedBackward0"
    w = np.array([1.0, 2.0, 3.0])
    (y * Tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.array, [1.0, 4.0, 6.0])


def test_a_written_tensor_is_the_output_of_its_new_node():
    x = leaf((3,))
    y = x * 1.0
    y[0] = 2.0
    assert y.grad_fn.output() is y
    s = y[1:]
    s[0] = 3.0
    assert y.grad_fn.output() is y and s.grad_fn.output() is s
