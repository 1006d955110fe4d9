"""Benchmark 6: start-up of the one-liner, as a whole process, against `python -c "import numpy"`.

`gradcli '9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1' x=2` runs through the console
script installed next to sys.executable (`python -m gradcli` when there is
none). Wall time is the median of ≥ 5 runs of each command, run in
alternation after one warm-up each. Peak RSS is each child's own ru_maxrss
from `os.wait4`, read by a tiny launcher process that spawns it (see LAUNCHER:
RUSAGE_CHILDREN deltas can't isolate one child, as it is a maximum over all
children, and a child forked from a big process inherits its high-water
mark). Both figures come from the launcher, so its own start-up is not
counted. Children get a private PYTHONPYCACHEPREFIX (and bytecode writing
allowed), so both sides start from cached bytecode as an installed tool does
even where the environment sets PYTHONDONTWRITEBYTECODE.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import Row, fmt_bytes, fmt_time, ratio, unavailable, verdict

NAME = "startup"
EXPR, ARG, EXPECTED = "9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1", "x=2", ("185", "330")
TARGET_RATIO, TARGET_RSS = 1.5, 40 * 1024 ** 2


def gradcli_command() -> list[str]:
    script = Path(sys.executable).parent / "gradcli"
    if script.is_file():
        return [str(script), EXPR, ARG]
    return [sys.executable, "-m", "gradcli", EXPR, ARG]


NUMPY_COMMAND = [sys.executable, "-c", "import numpy"]


def child_env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "gradcli-bench-pycache")
    env["NO_COLOR"] = "1"
    return env


# A tiny launcher (python -I -S, ~10 MiB) starts each command and reports that child's own
# wall time and ru_maxrss. Spawning straight from this process would not do: a child's
# ru_maxrss keeps the high-water mark of the process it was forked from, and this one
# may hold torch and large arrays by the time the start-up benchmark runs.
LAUNCHER = """
import json, os, sys, time
argv = json.loads(sys.argv[1])
t0 = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - t0
sys.stderr.write(json.dumps([elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]))
"""


def spawn(cmd: list[str], env: dict) -> tuple[float, int, int, str]:
    """(wall seconds, peak RSS bytes, exit status, stdout) of one run of `cmd`."""
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", LAUNCHER, json.dumps(cmd)], env=env,
                          capture_output=True, text=True, timeout=60)
    elapsed, maxrss_kib, status = json.loads(proc.stderr.strip().splitlines()[-1])
    return elapsed, maxrss_kib * 1024, status, proc.stdout


def measure(repeats: int) -> dict:
    env = child_env()
    commands = {"gradcli": gradcli_command(), "numpy": NUMPY_COMMAND}
    for cmd in commands.values():
        spawn(cmd, env)  # warm-up: page cache and bytecode cache
    samples = {k: [] for k in commands}
    for _ in range(repeats):
        for name, cmd in commands.items():
            samples[name].append(spawn(cmd, env))
    result = {}
    for name, runs in samples.items():
        result[name] = dict(time=statistics.median(r[0] for r in runs), rss=max(r[1] for r in runs),
                            status=runs[-1][2], out=runs[-1][3])
    return result


def run(quick: bool) -> list[Row]:
    try:
        m = measure(5 if quick else 9)
    except Exception as exc:  # noqa: BLE001
        return [unavailable(NAME, exc)]
    g, n = m["gradcli"], m["numpy"]
    correct = g["status"] == 0 and all(v in g["out"] for v in EXPECTED)
    shown = "python -m gradcli" if "-m" in gradcli_command() else "gradcli (console script)"
    note = (f"{shown} '{EXPR}' {ARG} vs python -c \"import numpy\"; medians of {5 if quick else 9} "
            f"alternated runs; peak RSS = the child's ru_maxrss via os.wait4 in a tiny launcher process (largest of the runs).")
    if not correct:
        note += f" WARNING: exit {g['status']}, output {g['out'].strip()[:80]!r} (expected f = 185, df/dx = 330)."
    return [Row(f"{NAME} time", fmt_time(g["time"]), f"import numpy {fmt_time(n['time'])}",
                ratio(g["time"], n["time"]), f"≤ {TARGET_RATIO}× numpy",
                verdict(g["time"] <= TARGET_RATIO * n["time"] and correct), note),
            Row(f"{NAME} peak RSS", fmt_bytes(g["rss"]), f"import numpy {fmt_bytes(n['rss'])}",
                ratio(g["rss"], n["rss"]), "≤ 40 MiB", verdict(g["rss"] <= TARGET_RSS))]


# -- --profile-startup ------------------------------------------------------------------------------
def importtime_report(top: int = 15) -> str:
    """`python -X importtime` of the one-liner: the modules that cost most, by cumulative and own time."""
    env = child_env()
    cmd = gradcli_command()
    if cmd[0] != sys.executable:  # the console script is a Python file: run it under -X importtime
        cmd = [sys.executable] + cmd
    cmd = [cmd[0], "-X", "importtime"] + cmd[1:]
    subprocess.run(cmd, env=env, capture_output=True)  # warm the bytecode cache
    runs = [subprocess.run(cmd, env=env, capture_output=True, text=True).stderr for _ in range(3)]
    best: dict[str, tuple[int, int, int]] = {}  # module -> (self µs, cumulative µs, depth), min of runs
    for text in runs:
        for line in text.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, cum_us, name = line[len("import time:"):].split("|")
            depth = (len(name) - len(name.lstrip())) // 2
            key = name.strip()
            entry = (int(self_us), int(cum_us), depth)
            best[key] = min(best.get(key, entry), entry, key=lambda e: e[1])
    total = sum(c for _, c, d in best.values() if d == 0)
    lines = [f"== start-up imports of the one-liner (python -X importtime, min of 3 runs; all top-level "
             f"imports: {total / 1000:.0f} ms)",
             f"-- top {top} by cumulative time (a module and everything it imports first):"]
    by_cum = sorted(best.items(), key=lambda kv: -kv[1][1])[:top]
    lines += [f"  {c / 1000:8.1f} ms  {'  ' * d}{k}" for k, (_, c, d) in by_cum]
    lines.append(f"-- top {top} by own time:")
    by_self = sorted(best.items(), key=lambda kv: -kv[1][0])[:top]
    lines += [f"  {s / 1000:8.1f} ms  {k}" for k, (s, _, _) in by_self]
    third = [k for k, (_, c, d) in sorted(best.items(), key=lambda kv: -kv[1][1])
             if not k.startswith(("gradcli", "encodings", "_")) and "." not in k and d <= 3][:8]
    lines.append("-- biggest third-party / stdlib packages pulled in: " + ", ".join(
        f"{k} {best[k][1] / 1000:.0f} ms" for k in third))
    return "\n".join(lines)
