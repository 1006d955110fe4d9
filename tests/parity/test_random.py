"""gradcli's random streams against PyTorch's, bit for bit.

The recorded streams (gen_random.py, run with torch 2.13 on x86-64) replay
without torch; the live test compares hypothesis-chosen seeds and sizes with
torch itself when it is installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.engine import random as grandom
from gradcli.engine.random import Generator
from gradcli.errors import ArgumentError, GradcliError, ValueTypeError

DATA = json.loads((Path(__file__).parent / "data" / "random_streams.json").read_text())
DTYPES = {"float32": np.float32, "float64": np.float64}


def run(g: Generator, step: dict):
    """One recorded step through gradcli's generator."""
    op, shape = step["op"], tuple(step.get("shape", ()))
    if op == "initial_seed":
        return g.initial_seed()
    if op == "randperm":
        return g.randperm(step["n"])
    if op == "randint":
        return g.randint(step["low"], step["high"], shape)
    if op == "manual_seed":
        return g.manual_seed(step["seed"])
    dt = DTYPES[step["dtype"]]
    if op == "randn":
        return g.randn(shape, dt)
    if op == "rand":
        return g.rand(shape, dt)
    if op == "normal":
        return g.normal(shape, step["mean"], step["std"], dt)
    if op == "uniform":
        return g.uniform(shape, step["low"], step["high"], dt)
    raise AssertionError(f"unknown op {op}")


def as_hex(arr: np.ndarray) -> str:
    utype, digits = (np.uint32, 8) if arr.dtype == np.float32 else (np.uint64, 16)
    return "".join(format(int(b), f"0{digits}x") for b in arr.ravel().view(utype))


def check(step: dict, got) -> None:
    where = {k: v for k, v in step.items() if k not in ("hex", "ints", "value")}
    if "value" in step:
        assert got == step["value"], where
        return
    assert isinstance(got, np.ndarray), where
    assert got.shape == tuple(step["shape"] if "shape" in step else (step["n"],)), where
    if "ints" in step:
        assert got.dtype == np.int64, where
        assert got.ravel().tolist() == step["ints"], where
        return
    assert got.dtype == DTYPES[step["dtype"]], where
    want = step["hex"]
    have = as_hex(got)
    if have != want:
        width = 8 if got.dtype == np.float32 else 16
        bad = [i for i in range(0, len(want), width) if have[i:i + width] != want[i:i + width]]
        pytest.fail(f"{where}: {len(bad)} of {got.size} values differ, first at index {bad[0] // width}")


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
def test_recorded_stream_matches_torch_bit_for_bit(case):
    g = Generator()
    g.manual_seed(case["seed"])
    for step in case["steps"]:
        check(step, run(g, step))


def test_tutorial_numbers_on_the_default_generator():
    tutorial = next(c for c in DATA["cases"] if c["name"] == "tutorial")
    grandom.manual_seed(1)
    w = grandom.default_generator.randn((5, 3))
    b = grandom.default_generator.randn((3,))
    assert as_hex(w) == tutorial["steps"][0]["hex"]
    assert as_hex(b) == tutorial["steps"][1]["hex"]
    assert grandom.initial_seed() == 1


def test_recording_covers_what_the_brief_lists():
    names = {c["name"] for c in DATA["cases"]}
    ops = {s["op"] for c in DATA["cases"] for s in c["steps"]}
    assert {"tutorial", "randint", "randperm", "uniform"} <= names
    assert {"randn", "rand", "normal", "uniform", "randint", "randperm", "initial_seed"} <= ops
    assert DATA["torch"].startswith("2.13")


# --- errors ------------------------------------------------------------------

@pytest.mark.parametrize("step", DATA["errors"], ids=[json.dumps(s) for s in DATA["errors"]])
def test_what_torch_rejects_is_rejected(step):
    g = Generator(0)
    with pytest.raises(GradcliError):
        run(g, step)


@pytest.mark.parametrize("seed", [2**64, 2**70, -2**63 - 1, -2**64])
def test_seed_out_of_range_is_an_argument_error(seed):
    with pytest.raises(ArgumentError) as info:
        Generator().manual_seed(seed)
    assert info.value.hint


@pytest.mark.parametrize("seed", [1.5, "3", None, [1]])
def test_generator_seed_must_be_an_integer(seed):
    with pytest.raises(ValueTypeError):
        Generator().manual_seed(seed)


@pytest.mark.parametrize("seed, reported", [(0, 0), (2**64 - 1, 2**64 - 1), (-1, 2**64 - 1),
                                            (-2**63, 2**63), (True, 1), (np.int64(-5), 2**64 - 5)])
def test_initial_seed_is_the_seed_mod_2_64(seed, reported):
    g = Generator()
    g.manual_seed(seed)
    assert g.initial_seed() == reported


def test_module_manual_seed_truncates_floats_like_torch():
    grandom.manual_seed(1.9)
    assert grandom.initial_seed() == 1


def test_only_the_low_32_bits_seed_the_stream():
    a, b = Generator(1), Generator(2**32 + 1)
    assert as_hex(a.randn((40,))) == as_hex(b.randn((40,)))
    assert a.initial_seed() != b.initial_seed()


def test_unseeded_generators_differ():
    assert Generator().initial_seed() != Generator().initial_seed()


def test_manual_seed_clears_the_cached_normal():
    g = Generator(1)
    first = g.randn((1,))  # draws a pair, caches the second sample
    g.randn((1,))  # uses the cached sample
    g.randn((1,))  # draws a pair again: a sample is cached now
    g.manual_seed(1)
    assert as_hex(g.randn((1,))) == as_hex(first)


@pytest.mark.parametrize("call", [
    lambda g: g.randn((-1, 3)),
    lambda g: g.randn((2, 3), np.int64),
    lambda g: g.rand(("a",)),
    lambda g: g.randint(0, 2**63, (2,)),
    lambda g: g.randint(0.5, 3, (2,)),
    lambda g: g.randperm(2.0),
    lambda g: g.normal((3,), 0.0, float("nan")),
    lambda g: g.uniform((3,), 0.0, float("inf")),
])
def test_bad_arguments_raise_gradcli_errors(call):
    with pytest.raises(GradcliError):
        call(Generator(0))


def test_empty_shapes_draw_nothing():
    a, b = Generator(3), Generator(3)
    assert a.randn((0, 5)).shape == (0, 5)
    assert a.rand((3, 0), np.float64).shape == (3, 0)
    assert a.randint(0, 9, (0,)).shape == (0,)
    assert as_hex(a.randn((20,))) == as_hex(b.randn((20,)))


# --- live comparison with torch -------------------------------------------------

OPS = st.sampled_from(["randn", "randn", "rand", "randn64", "rand64", "randint", "normal"])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(-2**63, 2**64 - 1),
       calls=st.lists(st.tuples(OPS, st.integers(0, 70)), min_size=1, max_size=6))
def test_live_torch_agrees_on_random_seeds_and_sizes(seed, calls):
    torch = pytest.importorskip("torch")
    if torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
        pytest.skip("torch's float32 normal kernel here is not the x86-64 AVX2 one")
    g = Generator(seed)
    torch.manual_seed(seed)
    for op, n in calls:
        if op == "randn":
            want, got = torch.randn(n), g.randn((n,))
        elif op == "rand":
            want, got = torch.rand(n), g.rand((n,))
        elif op == "randn64":
            want, got = torch.randn(n, dtype=torch.float64), g.randn((n,), np.float64)
        elif op == "rand64":
            want, got = torch.rand(n, dtype=torch.float64), g.rand((n,), np.float64)
        elif op == "randint":
            high = 3 + n * 2**26  # crosses torch's 2**28 switch to two-word draws
            want, got = torch.randint(-7, high, (n,)), g.randint(-7, high, (n,))
        else:
            want, got = torch.empty(n).normal_(0.5, 2.5), g.normal((n,), 0.5, 2.5)
        want = want.numpy()
        assert got.dtype == want.dtype
        assert got.tobytes() == want.tobytes(), (op, n)


# --- the fused multiply-add emulation, against exact arithmetic ---------------

def test_fused_multiply_add_rounds_once_where_double_rounding_would_not():
    # exact 1 + 2**-24 + 2**-54: just above a float32 midpoint; float64 lands on it
    a, b, c = np.float32(-(2**-24 - 2**-39)), np.float32(1 + 2**-15), np.float32(1 + 2**-23)
    assert grandom._fma32(a, b, c) == np.float32(1 + 2**-23)
    # exact 1 + 2**-53 + 2**-113: the same trap one level up, in float64
    a, b, c = -(2**-53 - 2**-83), 1 + 2**-30, 1 + 2**-52
    assert grandom._fma64(a, b, c) == 1 + 2**-52


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(-1e30, 1e30, allow_subnormal=False), min_size=3, max_size=3))
def test_float64_fma_is_the_exactly_rounded_value(abc):
    from fractions import Fraction

    a, b, c = abc
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    got = grandom._fma_checked(np.array([a]), b, c, np.dtype(np.float64))[0]
    if exact == 0:
        assert got == 0
    else:
        assert got == float(exact)  # int/int division in CPython rounds correctly
