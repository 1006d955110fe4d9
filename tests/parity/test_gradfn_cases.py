"""Every case of torch-oracle/gradfn_cases.json: grad_fn name, next_functions layout, shape, through the language.

The oracle's `expr` fields are labels; most are the code itself once a trailing
note in parentheses is dropped, the rest are spelled out in SPELLED.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from gradcli.lang.runner import Runner

DATA = Path(__file__).parent / "data" / "gradfn_cases.json"

SETUP = """
import torch
import torch.nn.functional as F
torch.manual_seed(0)
a = torch.randn(3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
c = torch.randn(3)
pos = (torch.rand(3) + 0.5).requires_grad_()
u = torch.randn(2, requires_grad=True)
A = torch.randn(2, 3, requires_grad=True)
B = torch.randn(3, 4, requires_grad=True)
T3 = torch.randn(2, 3, 4, requires_grad=True)
B3 = torch.randn(2, 4, 5, requires_grad=True)
W = torch.randn(4, 2, requires_grad=True)
v3 = torch.randn(1, 3, requires_grad=True)
t = torch.rand(3)
logits = torch.randn(2, 3, requires_grad=True)
idx = torch.tensor([0, 2])
"""

SPELLED = {
    "a**b": "pos ** b",
    "matmul 1Dx1D": "torch.matmul(a, b)",
    "matmul 1Dx2D": "torch.matmul(u, A)",
    "matmul 2Dx1D": "torch.matmul(A, a)",
    "matmul 2Dx2D": "torch.matmul(A, B)",
    "matmul 3Dx3D": "torch.matmul(T3, B3)",
    "matmul 3Dx2D": "torch.matmul(T3, W)",
    "torch.mm": "torch.mm(A, B)",
    "torch.dot": "torch.dot(a, b)",
    "a**0.5 (pos)": "pos ** 0.5",
    "a.log1p() (pos)": "pos.log1p()",
    "F.binary_cross_entropy(sigmoid(a),t)": "F.binary_cross_entropy(torch.sigmoid(a), t)",
    "F.nll_loss(log_softmax,idx)": "F.nll_loss(F.log_softmax(logits, 1), idx)",
    "a.to(float64)": "a.to(torch.float64)",
    "AccumulateGrad of a leaf (y=a*3; y.grad_fn.next_functions[0][0])": "(a * 3).grad_fn.next_functions[0][0]",
}


def code_for(label: str) -> str:
    return SPELLED.get(label) or re.sub(r"\s+\([^()]*\)$", "", label)


def names(next_functions):
    return [[fn.name if fn is not None else None, i] for fn, i in next_functions]


CASES = json.loads(DATA.read_text())["cases"]


@pytest.fixture(scope="module")
def runner():
    r = Runner(write=io.StringIO().write, warn=lambda m, s: None, echo=False)
    r.run(SETUP, "setup.grad")
    return r


@pytest.mark.parametrize("case", CASES, ids=[c["expr"] for c in CASES])
def test_grad_fn_matches_pytorch(runner, case):
    out = runner.evaluate(code_for(case["expr"]))
    if case["grad_fn"] == "AccumulateGrad":
        assert out.name == "AccumulateGrad" and out.next_functions == ()
        assert out.variable is runner.variables["a"]
        return
    fn = out.grad_fn
    assert (fn.name if fn is not None else None) == case["grad_fn"]
    if case["next_functions"] is not None:
        assert names(fn.next_functions) == case["next_functions"]
    assert list(out.shape) == case["shape"]
    assert out.requires_grad == case["requires_grad"]
    assert out.is_leaf == case["is_leaf"]
