"""Benchmark 4: a million-op graph must build, backpropagate and free — with bounded cost per op.

An 8-element float32 vector x (requires grad) goes through N elementwise ops,
cycling mul by 1.000001, add 1e-6, sin (each counted as one op), then
y.sum().backward(). Per op: (build + backward + freeing) / N seconds, and
peak memory growth / N bytes. Each side runs in a fresh child process
(`python -m benchmarks.long_chain KIND N`) so its peak RSS is its own:
growth = VmHWM after backward − VmRSS before the chain, read from
/proc/self/status (the peak is reset first through /proc/self/clear_refs when
the kernel allows). A second, tracemalloc-based figure (Python and NumPy
allocations only, smaller N since tracing is slow) is given in the note.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import Clock, Row, fmt_bytes, fmt_time, unavailable, verdict

NAME = "long_chain"
ROOT = Path(__file__).resolve().parent.parent
TARGET_S_PER_OP, TARGET_BYTES_PER_OP = 5e-6, 1024
WIDTH = 8


# -- the workloads (run inside the child) -------------------------------------------------------
def gradcli_chain(n: int):
    from gradcli.engine.api import TORCH as T

    x = T["ones"](WIDTH, requires_grad=True)
    sin = T["sin"]

    def forward():
        y = x
        for i in range(n):
            k = i % 3
            y = y * 1.000001 if k == 0 else y + 1e-6 if k == 1 else sin(y)
        return y

    def backward(y):
        y.sum().backward()
        g = x.grad.array.copy()
        x.grad = None
        return g

    return forward, backward


def torch_chain(n: int):
    import torch

    torch.set_num_threads(1)  # tiny tensors: see harness.single_threaded
    x = torch.ones(WIDTH, requires_grad=True)

    def forward():
        y = x
        for i in range(n):
            k = i % 3
            y = y * 1.000001 if k == 0 else y + 1e-6 if k == 1 else torch.sin(y)
        return y

    def backward(y):
        y.sum().backward()
        g = x.grad.numpy().copy()
        x.grad = None
        return g

    return forward, backward


def numpy_chain(n: int):
    """Hand-written: forward keeps what backward needs (sin's inputs), backward walks it in reverse."""
    import numpy as np

    x = np.ones(WIDTH, dtype=np.float32)

    def forward():
        y, saved = x, []
        for i in range(n):
            k = i % 3
            if k == 0:
                y = y * np.float32(1.000001)
            elif k == 1:
                y = y + np.float32(1e-6)
            else:
                saved.append(y)
                y = np.sin(y)
        return y, saved

    def backward(state):
        _, saved = state
        g = np.ones(WIDTH, dtype=np.float32)
        for i in reversed(range(n)):
            k = i % 3
            if k == 0:
                g = g * np.float32(1.000001)
            elif k == 2:
                g = g * np.cos(saved.pop())
        return g

    return forward, backward


KINDS = {"gradcli": gradcli_chain, "torch": torch_chain, "numpy": numpy_chain}


# -- measurement inside the child -----------------------------------------------------------------
def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child(kind: str, n: int, traced: bool = False) -> dict:
    warm_forward, warm_backward = KINDS[kind](300)
    warm_backward(warm_forward())  # warm-up: lazy imports and caches, outside the measurement
    forward, backward = KINDS[kind](n)
    gc.collect()
    if traced:
        import tracemalloc

        tracemalloc.start()
    rss0 = _status("VmRSS")
    reset = _reset_peak()
    t0 = Clock.now()
    y = forward()
    t1 = Clock.now()
    g = backward(y)
    t2 = Clock.now()
    peak = _status("VmHWM")
    traced_peak = tracemalloc.get_traced_memory()[1] if traced else None
    del y
    t3 = Clock.now()
    return dict(kind=kind, n=n, forward=t1 - t0, backward=t2 - t1, free=t3 - t2, total=t3 - t0,
                rss_growth=peak - rss0, peak_reset=reset, traced_peak=traced_peak,
                grad=[float(v) for v in g])


def spawn(kind: str, n: int, traced: bool = False, timeout: float = 240) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.long_chain", kind, str(n)] + (["--traced"] if traced else [])
    if Clock.now is not time.perf_counter:
        cmd.append("--cpu-time")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise RuntimeError(f"child failed: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the parent side ----------------------------------------------------------------------------------
def profile_target(quick: bool):
    forward, backward = gradcli_chain(30_000)
    return lambda: backward(forward())


def _torch_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def run(quick: bool) -> list[Row]:
    n = 100_000 if quick else 1_000_000
    try:
        g = spawn("gradcli", n)
    except Exception as exc:  # noqa: BLE001 - a missing op (or a crash) is reported, not raised
        return [unavailable(NAME, exc)]
    baselines = {"numpy": spawn("numpy", n)}
    if _torch_available():
        try:
            baselines["torch"] = spawn("torch", n)
        except Exception as exc:  # noqa: BLE001
            baselines["torch"] = {"error": str(exc)}
    t_op, b_op = g["total"] / n, g["rss_growth"] / n
    tb, mb, rt, rm = [], [], [], []
    for kind, b in baselines.items():
        if "error" in b:
            tb.append(f"{kind} failed")
            continue
        tb.append(f"{kind} {fmt_time(b['total'] / n)}/op")
        mb.append(f"{kind} {fmt_bytes(b['rss_growth'] / n)}/op")
        rt.append(f"{g['total'] / b['total']:.2f}× {kind}")
        rm.append(f"{g['rss_growth'] / max(b['rss_growth'], 1):.1f}× {kind}")
    ref = baselines["numpy"]["grad"]
    same = all(abs(a - b) <= 1e-3 * max(1.0, abs(b)) for a, b in zip(g["grad"], ref))
    try:
        tr = spawn("gradcli", 20_000, traced=True)
        traced = f"tracemalloc peak (N=20,000) {fmt_bytes(tr['traced_peak'] / 20_000)}/op"
    except Exception as exc:  # noqa: BLE001
        traced = f"tracemalloc run failed: {exc}"
    label = f"{NAME} ({n:,} ops)"
    note = (f"N={n:,} on an {WIDTH}-element float32 vector; gradcli forward {fmt_time(g['forward'])}, "
            f"backward {fmt_time(g['backward'])}, freeing {fmt_time(g['free'])}; memory = peak RSS growth "
            f"({fmt_bytes(g['rss_growth'])} total, peak reset {'ok' if g['peak_reset'] else 'unavailable'}); "
            f"{traced}.")
    if quick:
        note += " Quick run: the 1,000,000-op completion check needs the full run."
    if not same:
        note += " WARNING: gradcli's gradient differs from the NumPy baseline."
    return [Row(f"{label} time", f"{fmt_time(t_op)}/op", "; ".join(tb), "; ".join(rt), "≤ 5 µs/op",
                verdict(t_op <= TARGET_S_PER_OP and same), note),
            Row(f"{label} memory", f"{fmt_bytes(b_op)}/op", "; ".join(mb), "; ".join(rm), "≤ 1 KiB/op",
                verdict(b_op <= TARGET_BYTES_PER_OP))]


if __name__ == "__main__":
    _kind, _n = sys.argv[1], int(sys.argv[2])
    sys.setrecursionlimit(10_000)
    if "--cpu-time" in sys.argv:
        Clock.use_cpu_time()
    print(json.dumps(child(_kind, _n, traced="--traced" in sys.argv)))
