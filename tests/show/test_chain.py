"""The grad_fn chain: one line per node, arrows aligned, branches indented with their slot."""

from __future__ import annotations

import gradcli.engine.api as api
from gradcli.show.chain import chain_text
from gradcli.show.graph import build

T = api.TORCH
F = api.FUNCTIONAL


def leaf(value, name):
    t = T["tensor"](value, requires_grad=True)
    t.name = name
    return t


def test_named_output_branches_and_a_repeated_leaf():
    x, y = leaf(1.0, "x"), leaf(2.0, "y")
    z = x * y + x.sin()
    z.name = "z"
    loss = z.exp()
    loss.name = "loss"
    assert chain_text(build(loss)) == (
        "loss <- ExpBackward0\n"
        "     <- AddBackward0 (z)\n"
        "       [0] <- MulBackward0\n"
        "             [0] <- AccumulateGrad (x)\n"
        "             [1] <- AccumulateGrad (y)\n"
        "       [1] <- SinBackward0\n"
        "           <- AccumulateGrad (x), see above\n")


def test_bce_with_logits_layout():
    """PyTorch's layout: the target is a slot without gradient (None, 0)."""
    w = leaf([0.5, -0.5], "w")
    t = T["tensor"]([1.0, 0.0])
    z = w * 2
    z.name = "z"
    loss = F["binary_cross_entropy_with_logits"](z, t)
    loss.name = "loss"
    assert chain_text(build(loss)) == (
        "loss <- BinaryCrossEntropyWithLogitsBackward0\n"
        "       [0] <- MulBackward0 (z)\n"
        "             [0] <- AccumulateGrad (w)\n"
        "             [1] constant\n"
        "       [1] constant\n")


def test_unnamed_output_and_shared_op_named_by_id():
    x = leaf(0.5, "x")
    a = x * x
    v = (a + a.sin()) * a
    assert chain_text(build(v)) == (
        "MulBackward0\n"
        "  [0] <- AddBackward0\n"
        "        [0] <- MulBackward0 (n2)\n"
        "              [0] <- AccumulateGrad (x)\n"
        "              [1] <- AccumulateGrad (x), see above\n"
        "        [1] <- SinBackward0\n"
        "            <- MulBackward0 (n2), see above\n"
        "  [1] <- MulBackward0 (n2), see above\n")


def test_a_long_chain_stays_at_one_indentation():
    x = leaf(0.5, "x")
    y = x
    for _ in range(100_000):
        y = y.sin()
    y.name = "y"
    text = chain_text(build(y))
    lines = text.splitlines()
    assert len(lines) == 100_001
    assert lines[0] == "y <- SinBackward0"
    assert set(lines[1:-1]) == {"  <- SinBackward0"}
    assert lines[-1] == "  <- AccumulateGrad (x)"


def test_leaf_output():
    x = leaf(1.0, "x")
    assert chain_text(build(x)) == "x (a leaf: no grad_fn)\n"


def test_deterministic():
    x = leaf(1.0, "x")
    out = (x.exp() * x + x.tanh()).sigmoid()
    assert chain_text(build(out)) == chain_text(build(out))
