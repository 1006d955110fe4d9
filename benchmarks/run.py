"""Run gradcli's benchmarks and print one table of figures, baselines, ratios and verdicts.

    python benchmarks/run.py [--quick] [--only NAME[,NAME]] [--strict] [--cpu-time]
                             [--profile] [--profile-startup]

Exit status is 0 unless --strict is given and a target is missed (or a
benchmark is unavailable). See benchmarks/README.md for what each one measures.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the working tree's gradcli and the `benchmarks` package

from benchmarks.harness import Clock, Row, table, unavailable  # noqa: E402

BENCHMARKS = ("tutorial", "mlp", "scalar_chain", "long_chain", "language", "startup")


def parse_args(argv):
    p = argparse.ArgumentParser(description="gradcli speed and memory benchmarks (ratios against baselines).")
    p.add_argument("--quick", action="store_true", help="fewer repeats and a shorter long chain (~1 min)")
    p.add_argument("--only", metavar="NAME", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    p.add_argument("--strict", action="store_true", help="exit 1 if any target is missed or unavailable")
    p.add_argument("--cpu-time", action="store_true",
                   help="time single-threaded work by process CPU time instead of wall time (busy machines)")
    p.add_argument("--profile", action="store_true",
                   help="after the table, cProfile the gradcli side of each selected benchmark")
    p.add_argument("--profile-startup", action="store_true",
                   help="show `python -X importtime` top offenders for the one-liner")
    return p.parse_args(argv)


def select(only: str | None) -> list[str]:
    if not only:
        return list(BENCHMARKS)
    chosen = []
    for name in only.split(","):
        name = name.strip().replace("-", "_")
        matches = [b for b in BENCHMARKS if b == name] or [b for b in BENCHMARKS if b.startswith(name)]
        if not matches:
            sys.exit(f"unknown benchmark {name!r}; choose from: {', '.join(BENCHMARKS)}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


def run_one(name: str, quick: bool) -> list[Row]:
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        return module.run(quick)
    except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
        return [unavailable(name, exc)]


def profile(name: str, quick: bool, top: int = 15) -> str:
    """cProfile one benchmark's gradcli workload; the hottest functions by own time."""
    module = importlib.import_module(f"benchmarks.{name}")
    target = getattr(module, "profile_target", None)
    if target is None:
        return f"== {name}: no in-process workload to profile (see --profile-startup)"
    try:
        fn = target(quick)
        prof = cProfile.Profile()
        prof.runcall(fn)
    except Exception as exc:  # noqa: BLE001
        return f"== {name}: unavailable: {type(exc).__name__}: {exc}"
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    text = buf.getvalue().replace(str(ROOT) + "/", "")
    body = text[text.find("   ncalls"):] if "   ncalls" in text else text
    return f"== {name}: top {top} by own time (cProfile adds overhead; compare shares, not totals)\n{body.rstrip()}"


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    names = select(args.only)
    if args.cpu_time:
        Clock.use_cpu_time()
    rows: list[Row] = []
    t0, load0 = time.perf_counter(), _load()
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += run_one(name, args.quick)
    mode = "quick" if args.quick else "full"
    load = max(load0, _load())
    cores = os.cpu_count() or 1
    print(f"gradcli benchmarks ({mode} run, {time.perf_counter() - t0:.1f} s, Python {sys.version.split()[0]}, "
          f"{sys.platform}, {cores} cores, load average up to {load:.1f}; timer: {Clock.name})")
    if load > 0.75 * cores and not args.cpu_time:
        print("warning: the machine was busy; absolute wall times are inflated (ratios suffer less, as "
              "candidates alternate). Re-run when idle, or with --cpu-time.")
    print()
    print(table(rows))
    if args.profile:
        for name in names:
            print("\n" + profile(name, args.quick))
    if args.profile_startup:
        from benchmarks.startup import importtime_report

        print("\n" + importtime_report())
    failed = [r for r in rows if r.status in ("FAIL", "UNAVAILABLE")]
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
