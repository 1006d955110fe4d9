"""Every scenario of torch-oracle/autograd_cases.json, run as a gradcli script, prints what PyTorch printed.

The oracle was recorded by running each snippet with torch 2.13 as a Python
script, so the runner runs without interactive echo. Errors must have the same
meaning (the same Python exception class once mapped) — the wording is ours.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from gradcli.errors import (ArgumentError, AutogradError, DTypeError, GradcliError, IndexOutOfRange, ShapeError,
                            UnknownAttribute)
from gradcli.lang.runner import Runner

ORACLE = Path(__file__).resolve().parents[3] / "shared" / "torch-oracle" / "autograd_cases.json"
LOCAL = Path(__file__).parent / "data" / "autograd_cases.json"

# What each Python exception class that torch raised means in gradcli's error family.
MEANING = {
    "RuntimeError": (AutogradError, ShapeError, DTypeError, ArgumentError),
    "IndexError": (IndexOutOfRange,),
    "AttributeError": (UnknownAttribute,),
}

# Scenarios that reach Python internals (dunder attributes) are refused by design.
REFUSED = {"grad_fn printing and next_functions", "item and tolist"}


def load_cases():
    path = ORACLE if ORACLE.exists() else LOCAL
    return json.loads(path.read_text())["cases"]


def normalise(text: str) -> str:
    """PyTorch prints node addresses; gradcli never does."""
    return re.sub(r" object at 0x[0-9a-f.]+>", ">", text)


CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_scenario_prints_what_pytorch_prints(case):
    out = io.StringIO()
    warnings = []
    runner = Runner(write=out.write, warn=lambda message, span: warnings.append(message), echo=False)
    error = None
    try:
        runner.run(case["code"], "case.grad")
    except GradcliError as e:
        error = e
    if case["name"] in REFUSED:
        assert isinstance(error, GradcliError) and "__" in error.message
        return
    assert normalise(out.getvalue()) == normalise(case["stdout"])
    if case["error"] is None:
        assert error is None, f"unexpected error: {error and error.message}"
    else:
        assert error is not None, "PyTorch raised here; gradcli did not"
        assert isinstance(error, MEANING[case["error"]["type"]]), (type(error), error.message)
        assert error.hint or error.message
    assert len(warnings) >= len(case["warnings"])


def test_local_copy_of_the_oracle_matches():
    """The committed copy lets this test run where shared/ is absent."""
    if ORACLE.exists():
        assert json.loads(ORACLE.read_text()) == json.loads(LOCAL.read_text())
