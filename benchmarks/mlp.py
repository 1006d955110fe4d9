"""Benchmark 2: a float32 MLP step, where NumPy's BLAS should do nearly all the work.

X(256×1024) @ W1(1024×1024) → tanh → @ W2(1024×10) → mean of squares, then
backward for W1 and W2 (X needs no gradient). The baseline is the same
computation hand-written in NumPy: same dtype, same ops, same gradients —
so the ratio is gradcli's overhead on top of the arithmetic. Target ≤ 1.1×.
"""

from __future__ import annotations

import numpy as np

from benchmarks.harness import Row, fmt_time, per_call, ratio, try_import_torch, unavailable, verdict

NAME = "mlp"
TARGET_RATIO = 1.1


def arrays():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 1024), dtype=np.float32)
    w1 = rng.standard_normal((1024, 1024), dtype=np.float32) / np.float32(32)
    w2 = rng.standard_normal((1024, 10), dtype=np.float32) / np.float32(32)
    return x, w1, w2


def gradcli_setup(x, w1, w2):
    from gradcli.engine.api import TORCH as T
    from gradcli.engine.tensor import Tensor

    X, W1, W2 = Tensor(x.copy()), Tensor(w1.copy(), requires_grad=True), Tensor(w2.copy(), requires_grad=True)
    tanh = T["tanh"]

    def step():
        W1.grad = None
        W2.grad = None
        loss = (tanh(X @ W1) @ W2).pow(2).mean()
        loss.backward()

    return step, W1, W2


def numpy_setup(x, w1, w2):
    out = {}

    def step():
        h = np.tanh(x @ w1)
        o = h @ w2
        loss = np.mean(o ** 2)
        do = o * np.float32(2 / o.size)
        dw2 = h.T @ do
        dh = do @ w2.T
        dw1 = x.T @ (dh * (1 - h * h))
        out["loss"], out["dw1"], out["dw2"] = loss, dw1, dw2

    return step, out


def torch_setup(torch, x, w1, w2):
    X = torch.from_numpy(x)
    W1 = torch.from_numpy(w1.copy()).requires_grad_()
    W2 = torch.from_numpy(w2.copy()).requires_grad_()

    def step():
        W1.grad = None
        W2.grad = None
        loss = (torch.tanh(X @ W1) @ W2).pow(2).mean()
        loss.backward()

    return step


def profile_target(quick: bool):
    step = gradcli_setup(*arrays())[0]
    return lambda: [step() for _ in range(20)]


def run(quick: bool) -> list[Row]:
    x, w1, w2 = arrays()
    repeats = 11 if quick else 31
    try:
        step, W1, W2 = gradcli_setup(x, w1, w2)
        step()
    except Exception as exc:  # noqa: BLE001 - a missing op is reported, not raised
        return [unavailable(NAME, exc)]
    np_step, out = numpy_setup(x, w1, w2)
    torch = try_import_torch()
    # gradcli and NumPy alternate (the judged ratio); torch runs apart, after them: its OpenMP
    # workers spin for a while after each call and would slow whichever call came next.
    t_g, t_np = per_call(step, np_step, repeats=repeats, min_time=0, warmup=3, wall=True)
    t_t = [] if torch is None else per_call(torch_setup(torch, x, w1, w2), repeats=repeats, min_time=0, warmup=3,
                                            wall=True)
    base, ratios = [f"numpy {fmt_time(t_np)}"], [f"{ratio(t_g, t_np)} numpy"]
    if t_t:
        base.append(f"torch {fmt_time(t_t[0])}")
        ratios.append(f"{ratio(t_g, t_t[0])} torch")
    step()
    np_step()
    same = np.allclose(W1.grad.array, out["dw1"], rtol=1e-3, atol=1e-6) and \
        np.allclose(W2.grad.array, out["dw2"], rtol=1e-3, atol=1e-6)
    dtypes_ok = W1.grad.array.dtype == np.float32
    note = ("per forward+backward, float32, wall clock; gradcli and NumPy timed in alternation call by call; "
            "torch (default threads, timed after them) for reference only.")
    if not (same and dtypes_ok):
        note += " WARNING: gradcli's grads differ from the NumPy baseline (values or dtype)."
    return [Row(NAME, fmt_time(t_g), "; ".join(base), "; ".join(ratios), f"≤ {TARGET_RATIO}× numpy",
                verdict(t_g <= TARGET_RATIO * t_np and same and dtypes_ok), note)]
