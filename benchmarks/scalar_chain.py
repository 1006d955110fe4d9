"""Benchmark 3: a long chain of scalar ops, where per-op Python overhead is everything.

y = tensor(0.5, requires_grad=True); 30,000 times `y = y*1.0001 + sin(y)`;
backward. Counted as 3 ops per iteration (mul, sin, add), so 90,000 ops; the
time per op is the whole run — building the graph, backward, and freeing the
graph — divided by 90,000. Target ≤ 4 µs per op (the issue quotes PyTorch ~8).
"""

from __future__ import annotations

import contextlib

import numpy as np

from benchmarks.harness import (Row, fmt_time, ratio, single_threaded, timed, try_import_torch, unavailable,
                                verdict)

NAME = "scalar_chain"
ITERATIONS = 30_000
OPS_PER_ITERATION = 3
TARGET_S_PER_OP = 4e-6


def gradcli_chain(n: int = ITERATIONS):
    from gradcli.engine.api import TORCH as T

    tensor, sin = T["tensor"], T["sin"]

    def run():
        x = tensor(0.5, requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.0001 + sin(y)
        y.backward()
        return float(x.grad.array), float(y.array)

    return run


def torch_chain(torch, n: int = ITERATIONS):
    def run():
        x = torch.tensor(0.5, requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.0001 + torch.sin(y)
        y.backward()
        return float(x.grad), y.item()

    return run


def reference(n: int = ITERATIONS):
    """The same chain in float32 with its derivative by the chain rule (a plain loop: ground truth)."""
    y, d = np.float32(0.5), np.float32(1.0)
    for _ in range(n):
        d = d * (np.float32(1.0001) + np.cos(y))
        y = y * np.float32(1.0001) + np.sin(y)
    return float(d), float(y)


def profile_target(quick: bool):
    return gradcli_chain(10_000)


def run(quick: bool) -> list[Row]:
    repeats = 3 if quick else 5
    ops = ITERATIONS * OPS_PER_ITERATION
    try:
        gradcli_chain(1000)()  # warm-up: lazy imports, caches
    except Exception as exc:  # noqa: BLE001 - a missing op is reported, not raised
        return [unavailable(NAME, exc)]
    torch = try_import_torch()
    with single_threaded(torch) if torch is not None else contextlib.nullcontext():
        fns = [gradcli_chain()]
        if torch is not None:
            torch_chain(torch, 1000)()
            fns.append(torch_chain(torch))
        (t_g, (grad, value)), *t_t = timed(*fns, repeats=repeats)
    base, ratios = "torch not installed", ""
    if t_t:
        base, ratios = f"torch {fmt_time(t_t[0][0] / ops)}/op", f"{ratio(t_g, t_t[0][0])} torch"
    want_grad, want_value = reference()
    same = np.isclose(value, want_value, rtol=1e-3) and np.isclose(grad, want_grad, rtol=1e-2, atol=1e-30)
    note = (f"{ITERATIONS:,} iterations × {OPS_PER_ITERATION} ops (mul, sin, add) = {ops:,} ops; whole run "
            f"{fmt_time(t_g)} (graph build + backward + freeing) / {ops:,}; gradcli and torch alternate.")
    if t_t:  # the issue pairs its target with PyTorch's ~8 µs/op: what 4 µs there is on this machine
        note += (f" Issue machine: PyTorch ~8 µs/op; torch here takes {fmt_time(t_t[0][0] / ops)}/op, so "
                 f"4 µs there ≈ {fmt_time(t_t[0][0] / ops / 2)}/op here (result judged on the 4 µs as written).")
    if not same:
        note += f" WARNING: value/grad {value:.6g}/{grad:.6g} differ from the float32 reference " \
                f"{want_value:.6g}/{want_grad:.6g}."
    return [Row(NAME, f"{fmt_time(t_g / ops)}/op", base, ratios, "≤ 4 µs/op",
                verdict(t_g / ops <= TARGET_S_PER_OP and same), note)]
