"""Instructions per op of the scalar chain, counted by valgrind (a tool for tuning, not a benchmark).

Timings on a shared machine wander by ±10 %; callgrind's instruction count does not (same
binary, same input, fixed hash seed, one BLAS thread), so a change to the engine's hot path
can be judged to a fraction of a percent:

    python benchmarks/instructions.py            # needs valgrind; takes ~20 s

It runs the chain of `scalar_chain` (y = y*1.0001 + sin(y), then backward) at two sizes and
reports the difference per op, so start-up and imports cancel out. On the machine of
2026-11-25 the engine went from ~40,700 to ~33,400 instructions per op (≈ 5.1 → 4.5 µs).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

SMALL, LARGE, OPS_PER_ITERATION = 1_000, 4_000, 3
CHAIN = """
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
"""


def instructions(n: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           sys.executable, "-c", CHAIN, str(n)], env=env, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed", file=sys.stderr)
        return 1
    per_op = (instructions(LARGE) - instructions(SMALL)) / ((LARGE - SMALL) * OPS_PER_ITERATION)
    print(f"scalar chain: {per_op:,.0f} instructions per op")
    return 0


if __name__ == "__main__":
    sys.exit(main())
