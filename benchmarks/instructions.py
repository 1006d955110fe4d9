"""Instructions per op of the chain benchmarks, counted by valgrind (a tool for tuning, not a benchmark).

Timings on a shared machine wander by ±10 %; callgrind's instruction count does not (same
binary, same input, fixed hash seed, one BLAS thread), so a change to the engine's hot path
can be judged to a fraction of a percent:

    python benchmarks/instructions.py            # both chains; needs valgrind; takes ~1 min
    python benchmarks/instructions.py scalar     # or: long

Each workload runs at two sizes and the difference is reported per op, so start-up and
imports cancel out:
- `scalar`: the chain of `scalar_chain` (y = y*1.0001 + sin(y) on a 0-dim tensor, then backward);
- `long`: the chain of `long_chain` (an 8-element vector through *1.000001, +1e-6, sin, then
  .sum().backward()).

Readings on the 2-core machine of 2026-11-25: scalar 40,700 → 33,400 (stop 8) → 31,100 (stop 9:
0-dim gradients as NumPy scalars, binary forwards flag broadcasting); long 32,700 at stop 9 (about
5 % less than before it: a chain's backward skips the heap, no out=... on arrays with
dimensions). About 8,000 instructions ≈ 1 µs there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAINS = {  # name -> (script run as `python -c SCRIPT N`, small N, large N, ops per unit of N)
    "scalar": ("""
import sys
from gradcli.engine.api import TORCH as T
tensor, sin = T["tensor"], T["sin"]
def run(n):
    x = tensor(0.5, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0001 + sin(y)
    y.backward()
run(200)  # warm-up: lazy imports and caches
run(int(sys.argv[1]))
""", 1_000, 4_000, 3),
    "long": (f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from benchmarks.long_chain import gradcli_chain
def run(n):
    forward, backward = gradcli_chain(n)
    backward(forward())
run(300)  # warm-up
run(int(sys.argv[1]))
""", 3_000, 12_000, 1),
}


def instructions(script: str, n: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           sys.executable, "-c", script, str(n)], env=env, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str]) -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 1
    names = argv or list(CHAINS)
    unknown = [n for n in names if n not in CHAINS]
    if unknown:
        print(f"unknown chain {unknown[0]!r}: choose from {', '.join(CHAINS)}", file=sys.stderr)
        return 2
    for name in names:
        script, small, large, per = CHAINS[name]
        per_op = (instructions(script, large) - instructions(script, small)) / ((large - small) * per)
        print(f"{name} chain: {per_op:,.0f} instructions per op")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
