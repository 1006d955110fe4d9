"""Record PyTorch's CPU random streams into tests/parity/data/random_streams.json.

Run with torch 2.13.0 (CPU, x86-64) installed:  python tests/parity/gen_random.py
Each case seeds torch, then runs its steps in order on the global generator, so
state carried between calls (the stream position, the cached Box-Muller sample)
is part of what is recorded.  Floats are stored as exact bit patterns: one hex
string per step, 8 digits per float32 and 16 per float64; integers as numbers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).parent / "data" / "random_streams.json"
DTYPES = {"float32": torch.float32, "float64": torch.float64}

# --- step builders: each returns the dict the test replays ------------------


def randn(*shape, dtype="float32"):
    return {"op": "randn", "shape": list(shape), "dtype": dtype}


def rand(*shape, dtype="float32"):
    return {"op": "rand", "shape": list(shape), "dtype": dtype}


def normal(shape, mean, std, dtype="float32"):
    return {"op": "normal", "shape": list(shape), "mean": mean, "std": std, "dtype": dtype}


def uniform(shape, low, high, dtype="float32"):
    return {"op": "uniform", "shape": list(shape), "low": low, "high": high, "dtype": dtype}


def randint(low, high, *shape):
    return {"op": "randint", "low": low, "high": high, "shape": list(shape)}


def randperm(n):
    return {"op": "randperm", "n": n}


def initial_seed():
    return {"op": "initial_seed"}


# --- running a step in torch -----------------------------------------------


def run(step):
    op = step["op"]
    if op == "initial_seed":
        return torch.initial_seed()
    if op == "randperm":
        return torch.randperm(step["n"])
    if op == "randint":
        return torch.randint(step["low"], step["high"], tuple(step["shape"]))
    dt = DTYPES[step["dtype"]]
    shape = tuple(step["shape"])
    if op == "randn":
        return torch.randn(shape, dtype=dt)
    if op == "rand":
        return torch.rand(shape, dtype=dt)
    if op == "normal":
        return torch.empty(shape, dtype=dt).normal_(step["mean"], step["std"])
    if op == "uniform":
        return torch.empty(shape, dtype=dt).uniform_(step["low"], step["high"])
    raise ValueError(op)


def record(value):
    """A step's result in a bit-exact, compact JSON form."""
    if isinstance(value, int):
        return {"value": value}
    arr = value.numpy()
    if arr.dtype == np.int64:
        return {"ints": arr.ravel().tolist()}
    width = {np.dtype(np.float32): (np.uint32, 8), np.dtype(np.float64): (np.uint64, 16)}
    utype, digits = width[arr.dtype]
    bits = arr.ravel().view(utype)
    return {"hex": "".join(format(int(b), f"0{digits}x") for b in bits)}


# --- the cases ----------------------------------------------------------------

SIZES = list(range(1, 41)) + [100, 255, 256, 257, 1000, 4097]


def cases():
    yield "tutorial", 1, [randn(5, 3), randn(3)]
    for seed in (0, 1, 42):
        yield f"randn sizes fresh seed {seed}", seed, None  # expanded below
    for seed in (0, 7):
        yield f"randn sizes successive seed {seed}", seed, [randn(n) for n in SIZES]
        yield f"rand sizes successive seed {seed}", seed, [rand(n) for n in SIZES]
    yield "shapes", 3, [randn(100, 7), randn(2, 2), randn(16), randn(17), randn(3, 0),
                        randn(0), rand(0, 5), randn(2, 3, 4), rand(4, 4, 2), randn(10000)]
    yield "interleaved rand randn", 5, [rand(3), randn(3), rand(20), randn(20), randn(1),
                                         rand(1), randn(5), rand(17), randn(33), randn(2)]
    yield "cache survives vector path", 11, [randn(3), randn(16), randn(1), randn(17),
                                             randn(2), randn(31), randn(1)]
    yield "cache ignored by rand and randint", 12, [randn(1), rand(2), randn(1), randn(1),
                                                    randint(0, 10, 3), randn(1)]
    yield "cache shared across dtypes", 13, [randn(3), randn(1, dtype="float64"), randn(5),
                                             randn(2, dtype="float64"), randn(1)]
    yield "float64 sizes", 21, ([rand(n, dtype="float64") for n in (1, 2, 7, 16, 17, 33)]
                                + [randn(n, dtype="float64") for n in range(1, 21)]
                                + [randn(33, dtype="float64"), randn(100, dtype="float64"),
                                   randn(257, dtype="float64"), randn(4, 5, dtype="float64")])
    yield "float64 after float32", 22, [randn(3), randn(16, dtype="float64"), rand(5),
                                        randn(1, dtype="float64"), randn(17)]
    yield "randint", 31, [randint(0, 10, 20), randint(-5, 5, 3, 4), randint(0, 2**40, 10),
                          randint(-2**40, 3, 10), randint(0, 2**28 - 1, 8), randint(0, 2**28, 8),
                          randint(-2**27, 2**27, 8), randint(0, 2**32 - 1, 8),
                          randint(0, 2**32, 8), randint(-2**63, 2**63 - 1, 5),
                          randint(0, 1, 5), randint(-100, -50, 7), randint(0, 3, 0),
                          randint(7, 1000, 2, 2, 2)]
    yield "randperm", 41, [randperm(n) for n in (0, 1, 2, 3, 5, 10, 100, 1000)] + [randn(5)]
    for seed in (0, 2**32 + 1, 67280421310721, -1, -5, -2**63, 2**64 - 1, 2**63, 123456789):
        yield f"seed {seed}", seed, [initial_seed(), randn(5, 3), randn(3), rand(4), randn(20),
                                     randint(0, 100, 5)]
    yield "normal small", 51, [normal((5,), 0.3, 2.7), normal((3, 2), -1.1, 0.37),
                               normal((1,), 100.0, 1e-3), normal((7,), 1e5, 3.3),
                               normal((4,), 0.5, 0.0), normal((5,), 2.0, 3.0, "float64"),
                               normal((3,), -7.25, 0.1, "float64")]
    yield "normal vector", 52, [normal((20,), 0.3, 2.7), normal((100,), -1.1, 0.37),
                                normal((33,), 100.0, 1e-3), normal((1000,), 1e5, 3.3),
                                normal((16,), 0.5, 0.0), normal((17,), 0.0, 1e-39),
                                normal((40,), 2.0, 3.0, "float64"),
                                normal((257,), -7.25, 0.1, "float64")]
    yield "uniform", 61, [uniform((5,), -3.7, 2.1), uniform((300,), 0.1, 0.3),
                          uniform((100,), -1e6, 1e-3), uniform((4,), 5.0, 5.0),
                          uniform((200,), 2.5, 1e7), uniform((50,), 1e-40, 1e-38),
                          uniform((100,), -3.7, 2.1, "float64"),
                          uniform((100,), -1e300, 1e300, "float64"),
                          uniform((30,), 0.1, 0.3, "float64")]


ERRORS = [  # torch rejects these; gradcli must too (with its own error types)
    {"op": "manual_seed", "seed": 2**64},
    {"op": "manual_seed", "seed": -2**63 - 1},
    {"op": "randint", "low": 5, "high": 3, "shape": [2]},
    {"op": "randint", "low": 3, "high": 3, "shape": [2]},
    {"op": "randperm", "n": -1},
    {"op": "uniform", "shape": [3], "low": 2.0, "high": 1.0, "dtype": "float32"},
    {"op": "uniform", "shape": [3], "low": -3e38, "high": 3e38, "dtype": "float32"},
    {"op": "uniform", "shape": [3], "low": -1e300, "high": 1e300, "dtype": "float32"},
    {"op": "normal", "shape": [3], "mean": 0.0, "std": -1.0, "dtype": "float32"},
    {"op": "normal", "shape": [20], "mean": 0.0, "std": -0.5, "dtype": "float64"},
]


def torch_rejects(step) -> bool:
    try:
        if step["op"] == "manual_seed":
            torch.manual_seed(step["seed"])
        else:
            run(step)
    except (RuntimeError, ValueError):
        return True
    return False


def main() -> None:
    out = {"torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
           "cases": [], "errors": []}
    for name, seed, steps in cases():
        if steps is None:  # one fresh seed per size: results free of earlier calls
            for n in SIZES:
                out["cases"].append(make_case(f"{name} n={n}", seed, [randn(n)]))
            continue
        out["cases"].append(make_case(name, seed, steps))
    for step in ERRORS:
        if not torch_rejects(step):
            sys.exit(f"torch accepted {step}; fix the error list")
        out["errors"].append(step)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {len(out['cases'])} cases, {OUT.stat().st_size} bytes to {OUT}")


def make_case(name, seed, steps):
    torch.manual_seed(seed)
    return {"name": name, "seed": seed, "steps": [{**s, **record(run(s))} for s in steps]}


if __name__ == "__main__":
    main()
