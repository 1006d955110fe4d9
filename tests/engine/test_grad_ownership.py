"""Leaves adopt fresh gradient arrays instead of copying them, but never share one with anything else."""

from __future__ import annotations

import numpy as np

import gradcli.engine.api as api

T = api.TORCH


def test_two_leaves_fed_by_one_add_get_separate_grads():
    a = T["ones"](3, requires_grad=True)
    b = T["ones"](3, requires_grad=True)
    (a + b).backward(T["ones"](3))
    assert a.grad.array is not b.grad.array
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0, 1.0]


def test_a_leaf_never_adopts_the_callers_gradient_tensor():
    x = T["ones"](3, requires_grad=True)
    v = T["tensor"]([1.0, 2.0, 3.0])
    x.backward(v)
    x.grad.zero_()
    assert v.tolist() == [1.0, 2.0, 3.0]
    y = x + 0.0
    y.backward(v)
    x.grad.mul_(10)
    assert v.tolist() == [1.0, 2.0, 3.0]


def test_accumulation_into_an_adopted_grad_stays_private():
    w = T["ones"](2, 2, requires_grad=True)
    m = T["ones"](2, 2)
    (w @ m).sum().backward()
    first = w.grad
    (w @ m).sum().backward()
    assert first is w.grad and np.array_equal(w.grad.array, np.full((2, 2), 4.0))
    assert m.grad is None
