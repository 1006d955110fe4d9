"""Finite-difference checks of gradients, first and second order (float64).

`check_grads(f, tensors)` compares autograd's vector-Jacobian product of
f(*tensors) (with a fixed random cotangent) against central differences, for
every tensor that requires grad; the others are passed through as constants.
With order=2 it also differentiates the first gradient (create_graph=True) and
compares with central differences of that first gradient.
"""

from __future__ import annotations

import numpy as np

from gradcli.engine import autograd
from gradcli.engine.grad_mode import no_grad
from gradcli.engine.tensor import Tensor


def numeric_grad(f, arrays, eps=1e-6):
    """Central differences of a scalar function f(*arrays) with respect to each array."""
    arrays = [np.array(a, dtype=np.float64, copy=True) for a in arrays]
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = float(f(*arrays))
            flat[i] = old - eps
            down = float(f(*arrays))
            flat[i] = old
            gflat[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def _leaves(tensors, arrays=None):
    """Fresh tensors: the variables (requires_grad) get `arrays` (or their own values)."""
    it = iter(arrays) if arrays is not None else None
    out = []
    for t in tensors:
        if t.requires_grad:
            value = next(it) if it is not None else t.array
            out.append(Tensor(np.array(value, dtype=t.array.dtype, copy=True), requires_grad=True))
        else:
            out.append(t)
    return out


def _first(f, tensors, arrays, cotangent, create_graph=False):
    xs = _leaves(tensors, arrays)
    out = f(*xs)
    variables = [x for x in xs if x.requires_grad]
    v = Tensor(np.asarray(cotangent(out.array.shape), dtype=out.array.dtype))
    grads = autograd.grad(out, variables, grad_outputs=v, create_graph=create_graph, allow_unused=True)
    return variables, [np.zeros_like(x.array) if g is None else g for x, g in zip(variables, grads)]


def _cotangent(seed):
    cache = {}

    def make(shape):
        if shape not in cache:
            cache[shape] = np.random.default_rng(seed + len(shape)).uniform(-1.0, 1.0, size=shape)
        return cache[shape]
    return make


def check_grads(f, tensors, order=1, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Assert autograd's gradients of f match finite differences (order 1, and 2 if asked)."""
    tensors = list(tensors)
    variables = [t.array.astype(np.float64) for t in tensors if t.requires_grad]
    assert variables, "check_grads needs at least one tensor that requires grad"
    v = _cotangent(seed)

    def projected(*arrays):
        with no_grad():
            out = f(*_leaves(tensors, arrays))
        return np.sum(out.array.astype(np.float64) * v(out.array.shape))

    _, analytic = _first(f, tensors, variables, v)
    numeric = numeric_grad(projected, variables, eps)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        np.testing.assert_allclose(_array(a), n, rtol=rtol, atol=atol, err_msg=f"first derivative, input {i}")
    if order < 2:
        return
    u = _cotangent(seed + 100)

    def gradient_projection(*arrays):
        _, grads = _first(f, tensors, arrays, v)
        return sum(np.sum(_array(g).astype(np.float64) * u(np.shape(_array(g)))) for g in grads)

    xs, grads = _first(f, tensors, variables, v, create_graph=True)
    outs = [g for g in grads if isinstance(g, Tensor) and g.requires_grad]
    if outs:
        seeds = [Tensor(np.asarray(u(g.array.shape), dtype=g.array.dtype)) for g in outs]
        second = autograd.grad(outs, xs, grad_outputs=seeds, allow_unused=True)
    else:  # the first gradient does not depend on the inputs: f is linear
        second = [None] * len(xs)
    second = [np.zeros_like(x.array) if s is None else _array(s) for x, s in zip(xs, second)]
    numeric2 = numeric_grad(gradient_projection, variables, eps)
    for i, (a, n) in enumerate(zip(second, numeric2)):
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol * 10, err_msg=f"second derivative, input {i}")


def _array(g):
    return g.array if isinstance(g, Tensor) else np.asarray(g)
