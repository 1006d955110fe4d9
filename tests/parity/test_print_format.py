"""`format_tensor` must print exactly what torch 2.13 prints.

The recorded cases come from `gen_print_data.py` (run against real torch), so
they run without torch; the hypothesis tests at the bottom compare with live
torch and skip when it is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradcli.show.tensor_repr import format_scalar, format_size, format_tensor

DATA = Path(__file__).resolve().parent / "data" / "print_arrays.json"
CASES = json.loads(DATA.read_text())["cases"]
# bfloat16 has no NumPy dtype; its values are exact in float32.
FLOAT_STORAGE = {"float16": np.float16, "float32": np.float32, "float64": np.float64, "bfloat16": np.float32}


def case_array(case: dict) -> np.ndarray:
    dtype = case["dtype"]
    if dtype in FLOAT_STORAGE:
        flat = np.array([float.fromhex(h) for h in case["values"]], dtype=np.float64)
        flat = flat.astype(FLOAT_STORAGE[dtype])
    else:
        flat = np.array(case["values"], dtype=dtype)
    return flat.reshape(case["shape"])


def case_id(case: dict) -> str:
    return f"{case['kind']}-{CASES.index(case):03d}"


def test_recorded_data_has_the_oracle_and_generated_cases():
    kinds = [c["kind"] for c in CASES]
    assert kinds.count("oracle") == 97
    assert kinds.count("generated") >= 300


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_recorded_repr_matches_torch(case):
    text = format_tensor(case_array(case), case["dtype"], case["grad_fn"], case["requires_grad"])
    assert text == case["repr"], f"{case['expr']}\n--- ours\n{text}\n--- torch\n{case['repr']}"


# ---- size, scalar, dtype names -------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (5,), (5, 3), (0,), (2, 0, 4), (1,) * 30])
def test_size_matches_torch_size_str(shape):
    # torch.Size is a tuple subclass whose str is "torch.Size([...])"
    assert format_size(shape) == "torch.Size(" + str(list(shape)) + ")"
    assert format_size(tuple(np.int64(n) for n in shape)) == format_size(shape)


@pytest.mark.parametrize(
    "value, text",
    [
        (np.float32(0.2519926428794861), "0.2519926428794861"),  # tutorial loss.item()
        (np.float32(0.1), "0.10000000149011612"),
        (0.1, "0.1"),
        (np.float64(2.5), "2.5"),
        (np.int64(7), "7"),
        (-3, "-3"),
        (np.bool_(True), "True"),
        (False, "False"),
        (float("nan"), "nan"),
        (np.float32("-inf"), "-inf"),
        (np.float32(-0.0), "-0.0"),
    ],
)
def test_scalar_is_python_repr_of_item(value, text):
    assert format_scalar(value) == text


def test_dtype_aliases_and_prefix_are_accepted():
    arr = np.array([1.0, 2.0])
    expected = "tensor([1., 2.], dtype=torch.float64)"
    assert format_tensor(arr, "float64") == expected
    assert format_tensor(arr, "torch.float64") == expected
    assert format_tensor(arr, "double") == expected


def test_unknown_dtype_is_a_gradcli_error():
    from gradcli.errors import GradcliError

    with pytest.raises(GradcliError):
        format_tensor(np.zeros(2), "complex64")


# ---- huge tensors are summarised before any Python loop (speed itself is measured in benchmarks/) -----


def test_huge_tensor_is_summarised_first():
    arr = np.arange(4_000_000, dtype=np.float32).reshape(2000, 2000)
    text = format_tensor(arr, "float32")
    assert text.startswith("tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ...,")
    assert text.endswith("4.0000e+06]])")


# ---- live comparison with torch ------------------------------------------------------------

LIVE_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def special_floats(dtype) -> st.SearchStrategy:
    """Floats of many magnitudes, with zeros, signed zeros, nan, inf and subnormals, exact in `dtype`."""
    width = np.dtype(dtype).itemsize * 8

    def exact(x: float) -> float:
        with np.errstate(over="ignore"):
            return float(np.array(x, dtype=np.float64).astype(dtype))

    return st.one_of(
        st.floats(width=width, allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, 1.0, 1000.0, 1001.0, 1e8, 1.5e8, 1e-4, 9.9999e-5, 0.00015, 2.5]).map(exact),
        st.builds(lambda m, e: m * 10.0**e, st.floats(-10, 10), st.integers(-9, 12)).map(exact),
        st.integers(-(10**4), 10**4).map(float).map(exact),
    )


@st.composite
def small_arrays(draw):
    dtype = draw(st.sampled_from(LIVE_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7))
    if dtype.startswith("float"):
        elements = special_floats(dtype)
    elif dtype == "bool":
        elements = st.booleans()
    else:
        elements = hnp.from_dtype(np.dtype(dtype))
    return draw(hnp.arrays(np.dtype(dtype), shape, elements=elements))


@st.composite
def big_arrays(draw):
    """Over the 1000-element threshold; values from a seeded generator (hypothesis is slow at this size)."""
    dtype = draw(st.sampled_from(["float32", "float64", "float16", "int64", "bool"]))
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 40), min_size=ndim, max_size=ndim)))
    if int(np.prod(shape)) <= 1000:
        shape = shape[:-1] + (shape[-1] * (1001 // int(np.prod(shape)) + 1),)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = int(np.prod(shape))
    if dtype == "bool":
        flat = rng.random(n) < 0.5
    elif dtype == "int64":
        flat = rng.integers(-(10 ** draw(st.integers(1, 15))), 10**12, size=n)
    else:
        scale = 10.0 ** rng.uniform(-9, 12, size=n) if draw(st.booleans()) else 10.0 ** draw(st.integers(-6, 6))
        flat = rng.standard_normal(n) * scale
        if draw(st.booleans()):
            flat[rng.integers(0, n, size=5)] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
        with np.errstate(over="ignore"):  # float16 overflow to inf is wanted
            flat = flat.astype(dtype)
    return flat.reshape(shape)


def torch_repr(torch, arr: np.ndarray, how: str) -> tuple[str, str | None, bool]:
    t = torch.from_numpy(np.array(arr, order="C", copy=True))  # keeps 0-dim
    if how != "plain" and t.dtype.is_floating_point:
        t.requires_grad_(True)
        if how == "grad_fn":
            t = t.clone()
    grad_fn = None if t.grad_fn is None else type(t.grad_fn).__name__
    return repr(t), grad_fn, t.requires_grad


LIVE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@LIVE
@given(arr=small_arrays(), how=st.sampled_from(["plain", "requires_grad", "grad_fn"]))
def test_live_small_arrays_match_torch(arr, how):
    torch = pytest.importorskip("torch")
    expected, grad_fn, requires_grad = torch_repr(torch, arr, how)
    assert format_tensor(arr, str(arr.dtype), grad_fn, requires_grad) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arr=big_arrays(), how=st.sampled_from(["plain", "grad_fn"]))
def test_live_summarised_arrays_match_torch(arr, how):
    torch = pytest.importorskip("torch")
    expected, grad_fn, requires_grad = torch_repr(torch, arr, how)
    assert format_tensor(arr, str(arr.dtype), grad_fn, requires_grad) == expected
