"""Record torch's linspace and arange into tests/parity/data/factories.json.

Run with torch 2.13.0 (CPU, x86-64) installed:  python tests/parity/gen_factories.py
Why: torch prints in scientific notation as soon as one tiny nonzero value
appears, so gradcli must produce the very same bits.  Floats are stored as
float.hex strings (full lists up to 2000 elements; beyond that a SHA-256 of
the little-endian bytes plus a sample of indices), integers as numbers.
Calls torch refuses are recorded as errors.  Each case names the thread count
it ran with, since torch's threads split long aranges into chunks.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).parent / "data" / "factories.json"
FULL_LIMIT = 2000  # longer outputs are stored as digest + sample
DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
          "int64": torch.int64, "int32": torch.int32, "int16": torch.int16,
          "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool}
INF = float("inf")

LINSPACE_STEPS = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 25, 31, 32, 33, 100, 1000, 10**5]
LINSPACE_BOUNDS = [(-1, 1), (0, 1), (1, 0), (-1.0, 1.0), (-3.7, 11.2), (11.2, -3.7),
                   (-1e6, -2.5e5), (-2.5e5, -1e6), (1e30, -1e30), (2.5e-8, 7e-7),
                   (-0.0, 5.0), (1.0, -0.0), (-55.8, -0.0), (0.1, 0.7), (3.0, 3.0),
                   (123456.789, 123457.5)]
ARANGE_ARGS = [(5,), (1200.0,), (10.0,), (0, 1, 0.1), (0, 3, 0.3), (5, -3, -0.25), (-1, 1, 0.01),
               (-1, 1, 0.25), (0.1, 100.7, 0.37), (1e6, 1e6 + 5, 0.001), (-0.0, -20.0, -1.0),
               (-0.0, 20.0, 1.0), (-5.0, 300.0, 3.0), (0, 10, 3), (10, 0, -3), (2.5, 2.5, 0.5),
               (-3.3, 1e3, 1.7), (1e-3, 2e-3, 1e-5), (-1e40, 0, 1e39), (0, 5, INF),
               (0, 2**53 + 1, 2**52), (16777216.0, 16777316.0, 0.3)]
ARANGE_BIG = [(0, 1e5, 0.1), (-3.3, 1e5, 1.7), (10**6 + 0.0,), (-0.25, -7e4, -0.7)]
ARANGE_INT = [(0.5, 5.7, 1.5), (-2.5, 3.2, 1.0), (0, 1, 0.3), (5, 0, -0.3), (0.9, 5.9, 1.0),
              (-0.5, 3, 1.5), (0, 3.5, 1.9), (0, 300, 100), (0, 10, 3), (10, -10, -3), (0, 5, 1)]
ERRORS = [("arange", (5, 0), {}), ("arange", (0, 5, -1), {}), ("arange", (0, 1, 0), {}),
          ("arange", (0, INF), {}), ("arange", (0, float("nan")), {}), ("arange", (0, 5, float("nan")), {}),
          ("arange", (0, 5, -INF), {}), ("arange", (0, 1, 0.3), {"dtype": "int64"}),
          ("arange", (0, 5), {"dtype": "bool"}),
          ("arange", (0.0, 5.0), {"requires_grad": True, "dtype": "int64"}),
          ("linspace", (0, 300, 5), {"dtype": "int8"}), ("linspace", (-0.5, 1, 3), {"dtype": "uint8"}),
          ("linspace", (0, float("nan"), 4), {"dtype": "int64"}), ("linspace", (0, 1e40, 4), {}),
          ("linspace", (1e5, 0, 5), {"dtype": "float16"}), ("linspace", (0, 5, -1), {}),
          ("linspace", (0, 5, 4), {"dtype": "bool"}), ("linspace", (300, 0, 1), {"dtype": "int8"}),
          ("linspace", (0, 1, 5), {"dtype": "int64", "requires_grad": True})]
# printed through gradcli's language and compared with repr() of torch's tensor
REPRS = ["torch.linspace(-1, 1, 25)", "torch.linspace(0, 1, 100)", "torch.linspace(-1, 1, 9)",
         "torch.linspace(-3, 3, 31, dtype=torch.float64)", "torch.arange(0, 1, 0.1)",
         "torch.arange(-1, 1, 0.25, dtype=torch.float64)", "torch.arange(1200.) / 7",
         "torch.arange(-1, 1, 0.01)", "torch.linspace(0, 1, 5, requires_grad=True)",
         "torch.linspace(-5, 5, 11, dtype=torch.int64)", "torch.arange(0, 3, 0.3)"]


def encode(t: torch.Tensor) -> dict:
    arr = t.detach().numpy()
    rec = {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(arr.shape),
           "requires_grad": t.requires_grad}
    values = arr.tolist() if arr.dtype.kind in "iu" else [float(v).hex() for v in arr.tolist()]
    if arr.size <= FULL_LIMIT:
        rec["values"] = values
        return rec
    little = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"))
    rec["sha256"] = hashlib.sha256(little.tobytes()).hexdigest()
    n, half = arr.size, arr.size // 2
    rng = random.Random(n)
    picks = set(range(40)) | set(range(n - 40, n)) | set(range(half - 40, half + 40))
    picks |= {rng.randrange(n) for _ in range(200)}
    rec["sample"] = {str(i): values[i] for i in sorted(picks)}
    return rec


def record(op: str, args: tuple, kw: dict, threads: int) -> dict:
    case = {"op": op, "args": [a if not isinstance(a, float) else float(a).hex() for a in args],
            "kwargs": kw, "threads": threads}
    torch.set_num_threads(threads)
    tkw = {k: (DTYPES[v] if k == "dtype" else v) for k, v in kw.items()}
    try:
        case["out"] = encode(getattr(torch, op)(*args, **tkw))
    except Exception as e:  # noqa: BLE001 - every refusal is recorded as such
        case["error"] = f"{type(e).__name__}: {str(e)[:80]}"
    return case


def cases() -> list[dict]:
    out, default = [], torch.get_num_threads()
    for dtype in ("float32", "float64"):
        for lo, hi in LINSPACE_BOUNDS:
            for steps in LINSPACE_STEPS:
                if steps >= 1000 and (lo, hi) not in [(-1, 1), (-3.7, 11.2), (1e30, -1e30), (-1e6, -2.5e5)]:
                    continue
                out.append(record("linspace", (lo, hi, steps), {"dtype": dtype}, default))
    for dtype in ("float16", "int64", "int32", "int16", "uint8", "int8"):
        for lo, hi in [(-1, 1), (0, 10), (-7, 7), (0, 100), (10, 0), (-9.7, 9.7), (1, -1), (-1, 5),
                       (-100, 127), (0.5, 60.25)]:
            for steps in (1, 2, 3, 4, 6, 7, 17, 33, 100):
                out.append(record("linspace", (lo, hi, steps), {"dtype": dtype}, default))
    out.append(record("linspace", (2**40, -2**41, 33), {"dtype": "int64"}, default))
    out.append(record("linspace", (-3.7, 11.2, 5000), {"dtype": "float16"}, default))
    out.append(record("linspace", (-238, 714, 3189), {"dtype": "int64"}, default))
    out.append(record("linspace", (0, 1, 5), {"requires_grad": True}, default))
    out.append(record("linspace", (-2.0, 2.0, 7), {"requires_grad": True, "dtype": "float64"}, default))
    for args in ARANGE_ARGS:
        for kw in ({}, {"dtype": "float64"}, {"dtype": "float32"}, {"dtype": "float16"}):
            if kw.get("dtype") == "float16" and any(abs(a) > 6e4 for a in args):
                continue
            out.append(record("arange", args, kw, default))
    for args in ARANGE_BIG:
        for dtype in ("float32", "float64"):
            for threads in sorted({default, 1, 3}):
                out.append(record("arange", args, {"dtype": dtype}, threads))
    out.append(record("arange", (-1.5, 80.0, 0.002), {"dtype": "float16"}, default))
    for args in ARANGE_INT:
        for dtype in ("int64", "int32", "int16", "uint8", "int8"):
            out.append(record("arange", args, {"dtype": dtype}, default))
    out.append(record("arange", (4.0,), {"requires_grad": True}, default))
    for op, args, kw in ERRORS:
        out.append(record(op, args, kw, default))
    torch.set_num_threads(default)
    return out


def reprs() -> list[dict]:
    return [{"expr": e, "repr": repr(eval(e, {"torch": torch}))} for e in REPRS]  # noqa: S307 - our own list


def main() -> None:
    data = {"torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "default_threads": torch.get_num_threads(), "cases": cases(), "reprs": reprs()}
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"wrote {len(data['cases'])} cases and {len(data['reprs'])} reprs to {OUT}")


if __name__ == "__main__":
    main()
