"""Autograd against central finite differences, in float64: the check behind `gradcli check` and `gradcheck()`.

Compares the whole Jacobian (every output element against every input
element), so it works for non-scalar functions too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradcli.engine import autograd
from gradcli.engine.grad_mode import no_grad
from gradcli.engine.tensor import Tensor
from gradcli.errors import NumericError, ValueTypeError


@dataclass
class Comparison:
    """How far autograd is from finite differences for one input."""

    name: str
    shape: tuple
    max_abs: float
    max_rel: float
    ok: bool
    analytic: np.ndarray
    numeric: np.ndarray


def compare(f, inputs: list[Tensor], names: list[str] | None = None, eps: float = 1e-6, atol: float = 1e-5,
            rtol: float = 1e-3) -> list[Comparison]:
    """Jacobians of f at inputs (float64 copies), analytic vs numeric."""
    xs = [Tensor(np.array(t.array, dtype=np.float64), True) for t in inputs]
    names = names or [t.name or f"input {i}" for i, t in enumerate(inputs)]
    out = _call(f, xs)
    flat = out.reshape(-1)
    m = flat.numel()
    analytic = [np.zeros((m, x.numel())) for x in xs]
    for i in range(m):
        grads = autograd.grad(flat[i], xs, retain_graph=True, allow_unused=True, materialize_grads=True)
        for k, g in enumerate(grads):
            analytic[k][i] = g.array.reshape(-1)
    numeric = [np.zeros((m, x.numel())) for x in xs]
    with no_grad():
        for k, x in enumerate(xs):
            arr = x.array.reshape(-1)
            for j in range(arr.size):
                orig = arr[j]
                arr[j] = orig + eps
                plus = _call(f, xs).array.reshape(-1).astype(np.float64)
                arr[j] = orig - eps
                minus = _call(f, xs).array.reshape(-1).astype(np.float64)
                arr[j] = orig
                numeric[k][:, j] = (plus - minus) / (2 * eps)
    result = []
    for name, x, a, n in zip(names, xs, analytic, numeric):
        diff = np.abs(a - n)
        both_inf = np.isinf(a) & np.isinf(n) & (np.sign(a) == np.sign(n))
        diff = np.where(both_inf, 0.0, diff)
        rel = diff / np.maximum(np.abs(n), 1e-12)
        max_abs = float(np.nanmax(diff)) if diff.size else 0.0
        max_rel = float(np.nanmax(rel)) if rel.size else 0.0
        ok = bool(np.all(diff <= atol + rtol * np.abs(n))) and not np.isnan(diff).any()
        result.append(Comparison(name, tuple(x.shape), max_abs, max_rel, ok, a, n))
    return result


def _call(f, xs):
    out = f(*xs)
    if not isinstance(out, Tensor):
        raise ValueTypeError(f"gradcheck needs a function that returns a tensor, got {type(out).__name__}")
    return out


def gradcheck(f, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, **_ignored) -> bool:
    """PyTorch's torch.autograd.gradcheck: True, or an error naming the input that disagrees."""
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    inputs = list(inputs)
    if not all(isinstance(t, Tensor) for t in inputs):
        raise ValueTypeError("gradcheck inputs must be tensors")
    for c in compare(f, inputs, eps=eps, atol=atol, rtol=rtol):
        if not c.ok:
            raise NumericError(f"gradient check failed for {c.name}: autograd and finite differences differ by "
                               f"up to {c.max_abs:.3g} (relative {c.max_rel:.3g})",
                               hint="the function may not be differentiable at this point")
    return True
