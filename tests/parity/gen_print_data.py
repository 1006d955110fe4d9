"""Record torch's exact `repr(tensor)` together with the tensor's data.

Run with torch 2.13.0 installed:

    python tests/parity/gen_print_data.py [path/to/print_cases.json]

Writes `tests/parity/data/print_arrays.json`, which `test_print_format.py`
replays through `gradcli.show.tensor_repr.format_tensor` without torch. Each
case holds the flattened values (floats as `float.hex`, so they are exact),
shape, torch dtype name, grad_fn name or null, requires_grad and the repr.

Cases: the 97 hand-written oracle cases from the shared reference, then a
seeded batch of generated ones (random shapes up to 4-D and deeper, empty
tensors, summarised tensors over 1000 elements, magnitudes 1e-9..1e12,
rounding edges, nan/inf/-0 mixes, every integer width, bool, float16/64,
bfloat16, and grad_fn / requires_grad suffixes that wrap at column 80).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "print_arrays.json"
DEFAULT_ORACLE = Path("/work/shared/torch-oracle/print_cases.json")
SEED = 20240613


def record(t: torch.Tensor, kind: str, expr: str) -> dict:
    """One case: everything format_tensor needs, plus torch's repr to match."""
    data = t.detach().reshape(-1)
    if data.dtype.is_floating_point:
        values = [float(v).hex() for v in data.double().tolist()]
    elif data.dtype == torch.bool:
        values = [bool(v) for v in data.tolist()]
    else:
        values = [int(v) for v in data.tolist()]
    return {
        "kind": kind,
        "expr": expr,
        "shape": list(t.shape),
        "dtype": str(t.dtype).removeprefix("torch."),
        "values": values,
        "grad_fn": None if t.grad_fn is None else type(t.grad_fn).__name__,
        "requires_grad": bool(t.requires_grad),
        "repr": repr(t),
    }


def oracle_cases(path: Path) -> list[dict]:
    """The shared oracle: exec setup, eval expr, check torch still prints the recorded repr."""
    cases = []
    for case in json.loads(path.read_text())["cases"]:
        scope = {"torch": torch, "F": F}
        exec(case["setup"], scope)
        t = eval(case["expr"], scope)
        rec = record(t, "oracle", (case["setup"] + "\n" if case["setup"] else "") + case["expr"])
        if rec["repr"] != case["repr"]:
            raise SystemExit(f"torch disagrees with the oracle on {case['expr']!r}")
        cases.append(rec)
    return cases


# ---- value generators --------------------------------------------------------------------

PROFILES = ("normal", "wide", "decade", "ints", "bigints", "fixed", "tiny", "rounding", "zeros")


def float_values(rng: np.random.Generator, n: int, profile: str) -> np.ndarray:
    """n float64 values whose magnitudes exercise one formatter mode or boundary."""
    sign = rng.choice([-1.0, 1.0], size=n)
    if profile == "normal":
        v = rng.standard_normal(n) * 10.0 ** rng.integers(-2, 4)
    elif profile == "wide":  # 1e-9 .. 1e12 in one tensor: scientific
        v = sign * 10.0 ** rng.uniform(-9, 12, size=n)
    elif profile == "decade":  # one magnitude band, anywhere in 1e-9 .. 1e12
        k = rng.integers(-9, 13)
        v = sign * 10.0 ** (k + rng.uniform(0, rng.choice([0.5, 3.0, 3.2]), size=n))
    elif profile == "ints":
        v = rng.integers(-(10 ** rng.integers(1, 5)), 10 ** rng.integers(1, 5), size=n).astype(float)
    elif profile == "bigints":  # integral floats near 1e8 and the 1000x ratio
        v = sign * rng.choice([1.0, 7.0, 999.0, 1000.0, 1001.0, 1e8, 99999999.0, 1.00000001e8, 3e9], size=n)
    elif profile == "fixed":
        v = np.round(rng.uniform(-1000, 1000, size=n), rng.integers(0, 6))
    elif profile == "tiny":  # around the 1e-4 boundary
        v = sign * rng.choice([1e-4, 9.9999e-5, 1.00001e-4, 5e-5, 0.00015, 0.00025, 0.5], size=n)
    elif profile == "rounding":  # values that round up a digit or sit on ties
        v = sign * rng.choice(
            [9.99995, 99.99995, 0.99995, 9.99994, 0.00005, 2.5, 0.125, 999.99996, 1e8, 99999.99995, 1.5e-4],
            size=n,
        )
    else:  # zeros plus one or two values
        v = np.zeros(n)
        if n:
            v[rng.integers(0, n)] = rng.choice([1.0, -3.5, 1e-5, 2e9])
    return v


def sprinkle_specials(rng: np.random.Generator, v: np.ndarray) -> np.ndarray:
    """Replace a few entries with 0, -0, nan, inf or -inf."""
    if v.size and rng.random() < 0.45:
        k = int(rng.integers(1, max(2, v.size // 3 + 1)))
        idx = rng.integers(0, v.size, size=k)
        v = v.copy()
        v[idx] = rng.choice([0.0, -0.0, np.nan, np.inf, -np.inf], size=k)
    return v


def random_shape(rng: np.random.Generator, max_numel: int) -> tuple[int, ...]:
    while True:
        ndim = int(rng.choice([0, 1, 1, 1, 2, 2, 2, 3, 3, 4]))
        shape = tuple(int(rng.choice([1, 1, 2, 2, 3, 4, 5, 6, 7, 9, 13, 20])) for _ in range(ndim))
        if int(np.prod(shape)) <= max_numel:
            return shape


FLOAT_DTYPES = [torch.float32] * 5 + [torch.float64] * 2 + [torch.float16, torch.bfloat16]
INT_DTYPES = [torch.int64, torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8]


def make_float(rng, shape, dtype, profile=None) -> tuple[torch.Tensor, str]:
    profile = profile or str(rng.choice(PROFILES))
    n = int(np.prod(shape))
    v = sprinkle_specials(rng, float_values(rng, n, profile))
    t = torch.tensor(v.reshape(shape), dtype=torch.float64).to(dtype)
    return t, f"{profile} {list(shape)} {str(dtype)[6:]}"


def make_int(rng, shape, dtype) -> tuple[torch.Tensor, str]:
    info = torch.iinfo(dtype)
    hi = min(info.max, 10 ** int(rng.integers(1, 19)))
    lo = max(info.min, -hi if rng.random() < 0.6 else 0)
    n = int(np.prod(shape))
    v = rng.integers(lo, hi, size=n, endpoint=True, dtype=np.int64)
    return torch.tensor(v.reshape(shape)).to(dtype), f"ints {list(shape)} {str(dtype)[6:]}"


def make_bool(rng, shape) -> tuple[torch.Tensor, str]:
    v = rng.random(int(np.prod(shape))) < rng.random()
    return torch.tensor(v.reshape(shape)), f"bools {list(shape)}"


class VeryLongCustomFunctionNameUsedToForceTheSuffixOntoItsOwnLine(torch.autograd.Function):
    """grad_fn names longer than torch's own, to stress the suffix line-break rule."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g


class MidLengthCustomOpBackwardNameXY(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        return g


GRAD_OPS = {
    "leaf": lambda x: x,
    "clone": lambda x: x.clone(),
    "mul": lambda x: x * 2,
    "bce": lambda x: F.binary_cross_entropy_with_logits(x, torch.zeros_like(x), reduction="none"),
    "bce_mean": lambda x: F.binary_cross_entropy_with_logits(x, torch.zeros_like(x)),
    "mse": lambda x: F.mse_loss(x, torch.ones_like(x), reduction="none"),
    "smooth_l1": lambda x: F.smooth_l1_loss(x, torch.ones_like(x), reduction="none"),
    "log_softmax": lambda x: torch.log_softmax(x, -1) if x.dim() else x.exp(),
    "sum": lambda x: x.sum(),
    "to64": lambda x: x.to(torch.float64),
    "to16": lambda x: x.half(),
    "long_custom": lambda x: VeryLongCustomFunctionNameUsedToForceTheSuffixOntoItsOwnLine.apply(x),
    "mid_custom": lambda x: MidLengthCustomOpBackwardNameXY.apply(x),
}


def generated_cases(rng: np.random.Generator) -> list[dict]:
    cases = []

    def add(t, expr, kind="generated"):
        cases.append(record(t, kind, expr))

    # Small random tensors of every dtype family.
    for _ in range(260):
        shape = random_shape(rng, 240)
        t, expr = make_float(rng, shape, FLOAT_DTYPES[rng.integers(len(FLOAT_DTYPES))])
        add(t, expr)
    for _ in range(70):
        shape = random_shape(rng, 240)
        add(*make_int(rng, shape, INT_DTYPES[rng.integers(len(INT_DTYPES))]))
    for _ in range(30):
        add(*make_bool(rng, random_shape(rng, 240)))

    # 1-D rows of every length near the wrap point, every profile.
    for profile in PROFILES:
        for _ in range(6):
            n = int(rng.integers(1, 30))
            add(*make_float(rng, (n,), torch.float32, profile))

    # Empty tensors.
    empties = [(0,), (0, 3), (2, 0), (2, 0, 4), (0, 0), (1, 0, 1, 1)]
    for shape in empties:
        for dtype in (torch.float32, torch.float64, torch.int64, torch.int32, torch.bool, torch.float16):
            add(torch.zeros(shape, dtype=dtype), f"empty {list(shape)} {str(dtype)[6:]}")
    add(torch.zeros(0, 2, requires_grad=True), "empty requires_grad")
    add(torch.zeros(0, requires_grad=True) * 2, "empty grad_fn")
    add(torch.zeros(0, dtype=torch.float64, requires_grad=True).clone(), "empty float64 grad_fn")

    # Deep tensors: many unit dims, and 2**11 elements (summarised but never cut).
    for ndim in (5, 8, 12, 30):
        shape = (1,) * (ndim - 1) + (3,)
        add(*make_float(rng, shape, torch.float32))
    add(*make_int(rng, (2,) * 11, torch.int8))
    add(*make_float(rng, (1,) * 20 + (2, 2), torch.float64))

    # Summarised tensors (> 1000 elements); values kept compact where possible.
    big_shapes = [
        (1001,), (1500,), (7, 150), (150, 7), (2, 600), (600, 2), (11, 100), (1, 1001),
        (1001, 1), (3, 7, 50), (7, 7, 7, 7), (6, 6, 6, 6), (2, 3, 4, 50), (10, 11, 10),
        (7, 2, 80), (4, 300), (1, 2, 1, 1100), (8, 8, 17), (5, 5, 5, 9), (1002,),
    ]
    for i, shape in enumerate(big_shapes):
        kind = i % 4
        if kind == 0:
            add(*make_float(rng, shape, torch.float32))
        elif kind == 1:
            add(*make_int(rng, shape, INT_DTYPES[rng.integers(len(INT_DTYPES))]))
        elif kind == 2:
            add(*make_float(rng, shape, torch.float64, str(rng.choice(["wide", "normal", "ints"]))))
        else:
            add(*make_bool(rng, shape) if i % 8 == 3 else make_float(rng, shape, torch.float16))
    # Summarised, where only the edges hold the extreme values (the middle must not count).
    t = torch.ones(1200)
    t[500] = 1e12
    t[3] = 0.5
    add(t, "summarised: hidden 1e12 in the middle")
    t = torch.arange(2000.0).reshape(40, 50)
    t[20, 25] = float("nan")
    add(t * 1e-3, "summarised arange*1e-3")
    add(torch.arange(1001.0, requires_grad=True) * 1, "summarised with grad_fn")

    # Boundaries: exactly 1000 elements (not summarised), exact 1e-4 / 1e8 / ratio 1000.
    add(torch.arange(1000), "1000 elements int64")
    add(torch.arange(1000.0).reshape(10, 100) / 3, "1000 elements float32")
    for row in ([1e-4, 0.05], [1e-4, 0.1], [1e-4, 0.1000001], [1e8, 1e6], [1e8 + 1, 1e6], [0.5, 500.0], [0.5, 500.5]):
        add(torch.tensor(row, dtype=torch.float64), f"boundary {row} float64")

    # Suffix placement: grad_fn / requires_grad / dtype near column 80.
    for _ in range(150):
        op = str(rng.choice(list(GRAD_OPS)))
        dtype = [torch.float32, torch.float32, torch.float64, torch.float16][rng.integers(4)]
        if op in ("bce", "bce_mean", "mse", "smooth_l1", "log_softmax") and dtype == torch.float16:
            dtype = torch.float32
        shape = (int(rng.integers(1, 13)),) if rng.random() < 0.6 else random_shape(rng, 60)
        x, expr = make_float(rng, shape, dtype, str(rng.choice(["normal", "fixed", "ints", "decade"])))
        x.requires_grad_(True)
        with torch.autograd.set_grad_enabled(True):
            y = GRAD_OPS[op](x)
        add(y, f"{op}({expr})")
    return cases


def main(argv: list[str]) -> None:
    if not torch.__version__.startswith("2.13.0"):
        raise SystemExit(f"need torch 2.13.0, found {torch.__version__}")
    oracle = Path(argv[1]) if len(argv) > 1 else DEFAULT_ORACLE
    torch.manual_seed(0)
    cases = oracle_cases(oracle) + generated_cases(np.random.default_rng(SEED))
    head = json.dumps({"torch": torch.__version__, "generator": "tests/parity/gen_print_data.py"})
    body = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)  # one case per line
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(head[:-1] + ', "cases": [\n' + body + "\n]}\n")
    kinds = {k: sum(c["kind"] == k for c in cases) for k in ("oracle", "generated")}
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB): {kinds}")


if __name__ == "__main__":
    main(sys.argv)
