"""Every example in examples/ prints under gradcli what it prints under live PyTorch.

PyTorch runs each file through examples/torch_reference.py (prompt-style echo,
addresses removed); gradcli runs it with `gradcli run`. stdout must be equal,
and so must the exit status and the number of warnings; the wording of
warnings and errors is gradcli's own (tests/cli/examples.t pins it). Skipped
without torch; tests/cli/examples.t holds the same expectations as committed data.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FILES = sorted(EXAMPLES.glob("*.grad"))


def _reference():
    spec = importlib.util.spec_from_file_location("torch_reference", EXAMPLES / "torch_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = _reference()


def run_gradcli(path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="80", TERM="dumb", PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "gradcli", "run", str(path)], capture_output=True,
                          text=True, env=env, timeout=120)


def count_diagnostics(text: str, kind: str) -> int:
    return sum(1 for line in text.splitlines() if line.startswith(f"{kind}: "))


def test_examples_exist():
    assert len(FILES) >= 14


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_example_matches_pytorch(path: Path):
    want_out, want_err, want_status = REFERENCE.run(path.read_text(encoding="utf-8"), path.name)
    got = run_gradcli(path)
    assert "Traceback" not in got.stderr
    assert got.stdout == want_out
    assert got.returncode == want_status, got.stderr
    assert count_diagnostics(got.stderr, "warning") == count_diagnostics(want_err, "warning"), got.stderr
    assert count_diagnostics(got.stderr, "error") == (1 if want_status else 0), got.stderr


def test_reference_echoes_like_the_prompt():
    """The reference itself: echo in loops, not in def; no addresses; manual_seed silent."""
    source = ("import torch\ntorch.manual_seed(0)\nfor i in range(2):\n    i\n"
              "def f():\n    5\n    return None\nf()\nx = torch.ones(1, requires_grad=True)\n(x * 2).grad_fn\n")
    out, err, status = REFERENCE.run(source)
    assert (out, err, status) == ("0\n1\n<MulBackward0>\n", "", 0)


def test_reference_reports_the_first_error_and_stops():
    out, err, status = REFERENCE.run("print(1)\n[][0]\nprint(2)\n")
    assert (out, err, status) == ("1\n", "IndexError: list index out of range\n", 1)
