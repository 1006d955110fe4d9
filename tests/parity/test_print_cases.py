"""Every case of torch-oracle/print_cases.json, evaluated by the language and printed, equals PyTorch's repr."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gradcli.lang.runner import Runner
from gradcli.show.values import repr_value

CASES = json.loads((Path(__file__).parent / "data" / "print_cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['setup'][:20]}|{c['expr']}" for c in CASES])
def test_repr_matches_pytorch(case):
    runner = Runner(write=io.StringIO().write, warn=lambda m, s: None, echo=False)
    runner.run("import torch\nimport torch.nn.functional as F\n" + case["setup"], "setup.grad")
    assert repr_value(runner.evaluate(case["expr"])) == case["repr"]
