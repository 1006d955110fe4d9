"""Every case of data/semantics_cases.json (recorded from torch 2.13 by gen_semantics_data.py), run as a
gradcli script, prints what PyTorch printed and fails where PyTorch failed.

Errors must have the same meaning (the Python exception class, mapped to gradcli's family) and come
with a hint or a message; the wording is gradcli's. With torch installed, the committed data is also
checked against a fresh recording, so it cannot drift from what torch does.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from gradcli.engine.ops.creation import manual_seed
from gradcli.errors import (ArgumentError, AutogradError, DTypeError, GradcliError, IndexOutOfRange, ShapeError,
                            UnknownAttribute, ValueTypeError)
from gradcli.lang.runner import Runner

DATA = Path(__file__).parent / "data" / "semantics_cases.json"

MEANING = {
    "RuntimeError": (AutogradError, ShapeError, DTypeError, ArgumentError),
    "NotImplementedError": (DTypeError,),
    "IndexError": (IndexOutOfRange,),
    "AttributeError": (UnknownAttribute,),
    "TypeError": (ValueTypeError,),
}

CASES = json.loads(DATA.read_text())["cases"]


def normalise(text: str) -> str:
    return re.sub(r" object at 0x[0-9a-f]+>", ">", text)


def run_gradcli(code: str):
    out = io.StringIO()
    runner = Runner(write=out.write, warn=lambda message, span: None, echo=False)
    manual_seed(0)
    try:
        runner.run(code, "case.grad")
    except GradcliError as e:
        return out.getvalue(), e
    return out.getvalue(), None


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_prints_what_pytorch_prints(case):
    stdout, error = run_gradcli(case["code"])
    assert normalise(stdout) == case["stdout"]
    if case["error"] is None:
        assert error is None, f"unexpected error: {error and error.message}"
    else:
        assert error is not None, f"PyTorch raised here ({case['error']['message']}); gradcli did not"
        assert isinstance(error, MEANING[case["error"]["type"]]), (type(error), error.message)
        assert error.message and error.hint, "gradcli's errors say what to do"


def test_committed_data_is_what_live_torch_records():
    pytest.importorskip("torch")
    import gen_semantics_data as gen  # beside this file (pytest puts its folder on sys.path)

    assert gen.record() == CASES
