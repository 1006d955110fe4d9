"""Shared by every benchmark: timing by medians of repeats, result rows, the table.

Every figure is measured in the same process run as its baselines, so the
ratios mean something on any machine; absolute targets (µs per op) come from
the project's issues and are shown next to them.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from dataclasses import dataclass


class Clock:
    """The timer the in-process benchmarks use: wall time (perf_counter) unless --cpu-time.

    On a shared machine, wall time of single-threaded work stretches with the
    load; process CPU time does not. Multi-threaded work (the MLP's BLAS) and
    whole processes (start-up) are always timed by the wall clock."""

    now = staticmethod(time.perf_counter)
    name = "wall (perf_counter)"

    @classmethod
    def use_cpu_time(cls) -> None:
        cls.now = staticmethod(time.process_time)
        cls.name = "process CPU time (process_time)"


@dataclass
class Row:
    """One line of the table: a measured figure, its baselines, the target and the verdict."""

    name: str
    gradcli: str
    baselines: str = ""
    ratio: str = ""
    target: str = ""
    status: str = "INFO"  # PASS, FAIL, INFO (no target) or UNAVAILABLE
    note: str = ""


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def unavailable(name: str, exc: BaseException) -> Row:
    """A benchmark whose gradcli side cannot run yet (a missing op): reported, never raised."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return Row(name, f"unavailable: {text[:120]}", status="UNAVAILABLE")


def per_call(*fns, repeats: int = 21, min_time: float = 0.01, warmup: int = 3, wall: bool = False) -> list[float]:
    """Median seconds per call of each of `fns`, the candidates timed in alternation.

    Warm-up calls first (caches, lazy imports); then each candidate's number
    of calls per repeat is chosen so one repeat lasts at least `min_time`,
    which makes timer resolution and loop overhead negligible for µs-sized
    work. Many short repeats and their median rather than a few long ones: a
    stall from another process (milliseconds on a busy machine) spoils a few
    samples instead of every mean; alternating the candidates makes slow
    phases of the machine hit all of them alike, which keeps ratios honest.
    `wall=True` forces the wall clock (multi-threaded work)."""
    now = time.perf_counter if wall else Clock.now
    numbers = []
    for fn in fns:
        for _ in range(warmup):
            fn()
        number = 1
        while True:
            t0 = now()
            for _ in range(number):
                fn()
            elapsed = now() - t0
            if elapsed >= min_time or number >= 1 << 20:
                break
            number = max(number * 2, int(number * min_time / max(elapsed, 1e-9) * 1.2))
        numbers.append(number)
    gc.collect()
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for fn, number, out in zip(fns, numbers, samples):
            t0 = now()
            for _ in range(number):
                fn()
            out.append((now() - t0) / number)
    return [statistics.median(s) for s in samples]


def timed(*fns, repeats: int = 3) -> list[tuple[float, object]]:
    """(median seconds, result of the last call) of each of `fns()`, for work long enough to time singly.

    The candidates alternate (see per_call). Each should return a small
    value to check (floats), not a graph: a graph kept alive would be scanned
    by the garbage collector while the other candidates run."""
    samples = [[] for _ in fns]
    results = [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            gc.collect()
            t0 = Clock.now()
            results[i] = fn()
            samples[i].append(Clock.now() - t0)
    return [(statistics.median(s), r) for s, r in zip(samples, results)]


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_bytes(n: float) -> str:
    if abs(n) < 1024:
        return f"{n:.0f} B"
    if abs(n) < 1024 ** 2:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 ** 2:.1f} MiB"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else "n/a"


def try_import_torch():
    """PyTorch is an optional baseline: None when it is not installed (or fails to import)."""
    try:
        import torch
    except Exception:  # noqa: BLE001 - any import failure just means "no torch baseline"
        return None
    return torch


@contextlib.contextmanager
def single_threaded(torch):
    """Run torch on one thread for tiny tensors, as NumPy and gradcli do.

    Threads can't help a 5×3 op, and on a busy machine torch's OpenMP pool
    turns each op into a wait for a core (milliseconds instead of µs)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield torch
    finally:
        torch.set_num_threads(before)


HEADERS = ("benchmark", "gradcli", "baseline(s)", "ratio", "target", "result")


def table(rows: list[Row]) -> str:
    """A plain-text table (pipe- and log-friendly), followed by each row's note."""
    cells = [HEADERS] + [(r.name, r.gradcli, r.baselines, r.ratio, r.target, r.status) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    lines = []
    for k, c in enumerate(cells):
        lines.append("  ".join(s.ljust(w) for s, w in zip(c, widths)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  [{r.name}] {r.note}" for r in rows if r.note]
    if notes:
        lines += ["", "notes:"] + notes
    return "\n".join(lines)
