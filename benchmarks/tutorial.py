"""Benchmark 1: PyTorch's autograd-tutorial net, one forward+backward per call.

x = ones(5); w = randn(5, 3) and b = randn(3) require grad;
z = matmul(x, w) + b; loss = BCE-with-logits(z, zeros(3)); loss.backward().
Grads are reset (set to None, PyTorch's default zero_grad) before each call.
Baselines: the same forward and backward hand-written in NumPy, and PyTorch.
"""

from __future__ import annotations

import contextlib

import numpy as np

from benchmarks.harness import (Row, fmt_time, per_call, ratio, single_threaded, try_import_torch, unavailable,
                                verdict)

NAME = "tutorial"
TARGET_S = 60e-6
ISSUE_NUMPY_S, ISSUE_TORCH_S = 17e-6, 167e-6  # the figures quoted in the issue, for scale


def gradcli_setup():
    from gradcli.engine.api import FUNCTIONAL as F, TORCH as T

    x = T["ones"](5)
    w = T["randn"](5, 3, requires_grad=True)
    b = T["randn"](3, requires_grad=True)
    y = T["zeros"](3)
    matmul, bce = T["matmul"], F["binary_cross_entropy_with_logits"]

    def step():
        w.grad = None
        b.grad = None
        z = matmul(x, w) + b
        loss = bce(z, y)
        loss.backward()

    return step, x, w, b


def numpy_setup(x, w, b):
    """The same net by hand: forward, stable BCE-with-logits (mean), and its gradients."""
    x, w, b = x.copy(), w.copy(), b.copy()
    y = np.zeros(3, dtype=w.dtype)
    out = {}

    def step():
        z = x @ w + b
        loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
        dz = (1 / (1 + np.exp(-z)) - y) / z.size
        out["loss"], out["dw"], out["db"] = loss, np.outer(x, dz), dz

    return step, out


def torch_setup(torch, x, w, b):
    x = torch.from_numpy(x.copy())
    w = torch.from_numpy(w.copy()).requires_grad_()
    b = torch.from_numpy(b.copy()).requires_grad_()
    y = torch.zeros(3)
    bce = torch.nn.functional.binary_cross_entropy_with_logits

    def step():
        w.grad = None
        b.grad = None
        z = torch.matmul(x, w) + b
        loss = bce(z, y)
        loss.backward()

    return step


def profile_target(quick: bool):
    step = gradcli_setup()[0]
    return lambda: [step() for _ in range(3000)]


def run(quick: bool) -> list[Row]:
    repeats = 21 if quick else 51
    try:
        step, x, w, b = gradcli_setup()
        step()
    except Exception as exc:  # noqa: BLE001 - a missing op is reported, not raised
        return [unavailable(NAME, exc)]
    np_step, out = numpy_setup(x.array, w.array, b.array)
    torch = try_import_torch()
    with single_threaded(torch) if torch is not None else contextlib.nullcontext():
        fns = [step, np_step] + ([torch_setup(torch, x.array, w.array, b.array)] if torch is not None else [])
        t_g, t_np, *t_t = per_call(*fns, repeats=repeats)
    base, ratios = [f"numpy {fmt_time(t_np)}"], [f"{ratio(t_g, t_np)} numpy"]
    if t_t:
        base.append(f"torch {fmt_time(t_t[0])}")
        ratios.append(f"{ratio(t_g, t_t[0])} torch")
    else:
        base.append("torch not installed")
    step()
    np_step()
    same = np.allclose(w.grad.array, out["dw"], rtol=1e-4, atol=1e-6) and \
        np.allclose(b.grad.array, out["db"], rtol=1e-4, atol=1e-6)
    note = (f"per forward+backward, the three timed in alternation. Issue machine: NumPy ~17 µs, PyTorch "
            f"~167 µs; this machine's NumPy is {ISSUE_NUMPY_S / t_np:.2f}× that speed, so 60 µs ≈ "
            f"{TARGET_S / ISSUE_NUMPY_S:.1f}× NumPy there.")
    if not same:
        note += " WARNING: gradcli's grads differ from the NumPy baseline."
    return [Row(NAME, fmt_time(t_g), "; ".join(base), "; ".join(ratios), "≤ 60 µs",
                verdict(t_g <= TARGET_S and same), note)]
