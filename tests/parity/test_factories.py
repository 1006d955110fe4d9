"""gradcli's linspace and arange against torch 2.13's CPU kernels, bit for bit.

The recorded cases (gen_factories.py, run with torch on x86-64) replay without
torch; the live tests compare hypothesis-chosen ranges with torch itself when
it is installed.  One ulp matters: it decides whether torch prints in
scientific notation.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.engine import dtypes
from gradcli.engine.ops import creation
from gradcli.errors import GradcliError

DATA = json.loads((Path(__file__).parent / "data" / "factories.json").read_text())
CASES = DATA["cases"]


def decode(arg):
    return float.fromhex(arg) if isinstance(arg, str) else arg


def call(case: dict):
    kw = dict(case["kwargs"])
    if "dtype" in kw:
        kw["dtype"] = getattr(dtypes, "bool_" if kw["dtype"] == "bool" else kw["dtype"])
    return getattr(creation, case["op"])(*map(decode, case["args"]), **kw)


def check(rec: dict, t, where) -> None:
    arr = t.array
    assert str(arr.dtype) == rec["dtype"], where
    assert list(arr.shape) == rec["shape"], where
    assert t.requires_grad == rec["requires_grad"], where
    def shown(v):
        return v if arr.dtype.kind in "iu" else float(v).hex()

    if "values" in rec:
        values = [shown(v) for v in arr.tolist()]
        bad = [i for i, (a, b) in enumerate(zip(values, rec["values"])) if a != b]
        assert not bad, f"{where}: first differences at {bad[:8]}: " \
                        f"{[(values[i], rec['values'][i]) for i in bad[:3]]}"
        return
    for i, want in rec["sample"].items():
        assert shown(arr[int(i)].item()) == want, f"{where}: index {i}"
    digest = hashlib.sha256(arr.astype(arr.dtype.newbyteorder("<")).tobytes()).hexdigest()
    assert digest == rec["sha256"], where


def case_id(c: dict) -> str:
    args = ",".join(str(decode(a)) for a in c["args"])
    kw = ",".join(f"{k}={v}" for k, v in c["kwargs"].items())
    return f"{c['op']}({args}{',' if kw else ''}{kw})@{c['threads']}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_recorded_case(case, monkeypatch):
    monkeypatch.setattr(creation, "torch_threads", lambda: case["threads"])
    if "error" in case:
        with pytest.raises(GradcliError):
            call(case)
        return
    check(case["out"], call(case), case_id(case))


def test_recorded_data_covers_the_brief():
    steps = {c["args"][2] for c in CASES if c["op"] == "linspace" and "out" in c}
    assert {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 25, 31, 32, 33, 100, 1000, 10**5} <= steps
    assert any(c["op"] == "arange" and c["threads"] != DATA["default_threads"] for c in CASES)


@pytest.mark.parametrize("entry", DATA["reprs"], ids=[e["expr"] for e in DATA["reprs"]])
def test_printed_like_torch(entry):
    from gradcli.lang.runner import Runner
    from gradcli.show.values import repr_value

    runner = Runner(write=io.StringIO().write, warn=lambda m, s: None, echo=False)
    runner.run("import torch\n", "setup.grad")
    assert repr_value(runner.evaluate(entry["expr"])) == entry["repr"]


def test_middle_of_symmetric_linspace_is_not_zero():
    """The case that started it: torch's middle element is -2**-25, so it prints in sci mode."""
    assert creation.linspace(-1, 1, 25).array[12] == -(2.0 ** -25)


def test_whole_number_aranges_are_exact():
    """Whole-number ranges the dtype holds take a shortcut; they must equal the exact values."""
    for start, step, n in [(0.0, 1.0, 1200), (-0.0, -1.0, 40), (-5.0, 3.0, 333), (2.0**24 - 8, 1.0, 100)]:
        for dt in (np.float32, np.float64):
            got = creation.arange(start, start + step * n, step, dtype=dtypes.from_numpy(np.dtype(dt))).array
            want = start + step * np.arange(n, dtype=np.float64)
            assert np.array_equal(got.view(np.uint8), want.astype(dt).view(np.uint8))


# --- live, against torch itself ------------------------------------------------

TORCH_DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8"]
finite = st.one_of(st.integers(-1000, 1000),
                   st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32),
                   st.floats(-10, 10, allow_nan=False, allow_infinity=False))


def same_as_torch(torch, op: str, args: tuple, dtype: str | None, threads: int, monkeypatch):
    """Run op in torch (with `threads`) and in gradcli; same bits, or both refuse."""
    kw = {} if dtype is None else {"dtype": getattr(dtypes, dtype)}
    torch_kw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    monkeypatch.setattr(creation, "torch_threads", lambda: threads)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        want = getattr(torch, op)(*args, **torch_kw).numpy()
    except (RuntimeError, ValueError, OverflowError, NotImplementedError):
        with pytest.raises(GradcliError):
            getattr(creation, op)(*args, **kw)
        return
    finally:
        torch.set_num_threads(before)
    got = getattr(creation, op)(*args, **kw).array
    assert got.dtype == want.dtype and got.shape == want.shape, (op, args, dtype)
    bad = np.flatnonzero(got.astype(np.float64) != want.astype(np.float64))
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), (op, args, dtype, bad[:5])


@settings(max_examples=150, deadline=None)
@given(start=finite, end=finite,
       steps=st.one_of(st.integers(0, 70), st.integers(0, 3000), st.integers(30000, 80000)),
       dtype=st.sampled_from([None, *TORCH_DTYPES]))
def test_linspace_live(start, end, steps, dtype):
    torch = pytest.importorskip("torch")
    with pytest.MonkeyPatch.context() as mp:
        same_as_torch(torch, "linspace", (start, end, steps), dtype, torch.get_num_threads(), mp)


@settings(max_examples=150, deadline=None)
@given(start=finite, step=st.one_of(st.sampled_from([0.1, 0.3, -0.25, 1, -1, 0.01]),
                                    st.floats(-50, 50, allow_nan=False).filter(lambda s: abs(s) > 1e-3)),
       count=st.one_of(st.integers(0, 100), st.integers(0, 5000), st.integers(32000, 70000)),
       wiggle=st.floats(0, 1), dtype=st.sampled_from([None, *TORCH_DTYPES]), threads=st.integers(1, 4))
def test_arange_live(start, step, count, wiggle, dtype, threads):
    torch = pytest.importorskip("torch")
    end = start + step * (count - 1 + wiggle) if count else start
    if dtype == "float16" and max(abs(start), abs(end)) > 6e4:
        dtype = "float32"
    with pytest.MonkeyPatch.context() as mp:
        same_as_torch(torch, "arange", (start, end, step), dtype, threads, mp)
