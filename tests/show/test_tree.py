"""The Rich tree view: exact text at a fixed width, shared sub-graphs drawn once, ASCII, limits."""

from __future__ import annotations

import io
import math

import pytest
from rich.console import Console

import gradcli.engine.api as api
from gradcli.show.graph import build
from gradcli.show.tree import asciify, render_tree

T = api.TORCH


class AsciiFile(io.StringIO):
    """A stream whose encoding is ASCII, like stdout under LANG=C."""

    encoding = "ascii"


def render(tree, width=80, file=None) -> str:
    file = file if file is not None else io.StringIO()
    Console(width=width, color_system=None, file=file, legacy_windows=False).print(tree)
    return file.getvalue()


def leaf(value, name, dtype="float64"):
    t = T["tensor"](value, dtype=T[dtype], requires_grad=True)
    t.name = name
    return t


def test_shared_leaf_is_drawn_once_and_gradients_shown():
    x, y = leaf(2.0, "x"), leaf(3.0, "y")
    m = x * y
    m.name = "m"
    s = x.sin()  # unnamed, and AddBackward0 saves nothing: its value is not known to the diagram
    z = m + s
    z.name = "z"
    z.backward()
    v, gx = repr(6 + math.sin(2.0)), repr(3 + math.cos(2.0))
    assert render(render_tree(build(z))) == (
        f"z: AddBackward0  [] float64  = {v}\n"
        "├── m: MulBackward0  [] float64  = 6\n"
        f"│   ├── x: leaf  [] float64  requires_grad=True  = 2  grad = {gx}\n"
        "│   └── y: leaf  [] float64  requires_grad=True  = 3  grad = 2\n"
        "└── SinBackward0  [] float64\n"
        "    └── ↺ x (drawn above)\n")


def test_shared_op_gets_its_id_and_is_referenced_by_it():
    x = leaf(0.5, "x")
    a = x * x
    s = a.sin()
    s.name = "s"
    u = a + s
    v = u * a
    text = render(render_tree(build(v)))
    lines = text.splitlines()
    assert lines[2].startswith("│   ├── n2: MulBackward0  [] float64")
    assert lines[3:] == [
        "│   │   ├── x: leaf  [] float64  requires_grad=True  = 0.5",
        "│   │   └── ↺ x (drawn above)",
        f"│   └── s: SinBackward0  [] float64  = {repr(math.sin(0.25))}",
        "│       └── ↺ n2 (drawn above)",
        "└── ↺ n2 (drawn above)",
    ]


def test_constants_and_names_of_intermediates():
    x = T["tensor"]([1.0, 2.0, 3.0], requires_grad=True)
    x.name = "x"
    z = x * 2
    z.name = "z"
    loss = (z + 1).sum()
    loss.name = "loss"
    assert render(render_tree(build(loss))) == (
        "loss: SumBackward0  [] float32  = 15\n"
        "└── AddBackward0  [3] float32\n"  # its tensor is gone and SumBackward0 saves nothing: no value
        "    ├── z: MulBackward0  [3] float32  = [2, 4, 6]\n"
        "    │   ├── x: leaf  [3] float32  requires_grad=True  = [1, 2, 3]\n"
        "    │   └── constant\n"
        "    └── constant\n")


def test_explain_adds_each_rule_under_its_op():
    x = leaf(1.0, "x")
    y = x.exp()
    y.name = "y"
    text = render(render_tree(build(y), explain=True))
    assert text == (f"y: ExpBackward0  [] float64  = {repr(math.e)}\n"
                    "  ∂ exp(u)/∂u = exp(u)\n"
                    "└── x: leaf  [] float64  requires_grad=True  = 1\n")


def test_ascii_guides_and_symbols():
    x = leaf(2.0, "x")
    m = x * x
    m.name = "m"
    text = render(render_tree(build(m), ascii=True, explain=True))
    assert text == ("m: MulBackward0  [] float64  = 4\n"
                    "  d(a*b)/da = b\n"
                    "  d(a*b)/db = a\n"
                    "+-- x: leaf  [] float64  requires_grad=True  = 2\n"
                    "`-- ^ x (drawn above)\n")
    assert text.isascii()


def test_guides_and_symbols_follow_a_non_utf8_console_by_default():
    x = leaf(2.0, "x")
    m = x * 3 + x
    text = render(render_tree(build(m), explain=True), file=AsciiFile())
    assert "|   +-- x: leaf" in text and "`-- ^ x (drawn above)" in text and "d(a*b)/da = b" in text
    assert text.isascii()
    assert "↺ x" in render(render_tree(build(m)))  # the same tree on a UTF-8 console


def test_asciify():
    assert asciify("∂ σ(u)/∂u = σ(u)(1 − σ(u))") == "d sigmoid(u)/du = sigmoid(u)(1 - sigmoid(u))"
    assert asciify("x² ✓").isascii()


def test_node_cap_stops_with_a_note():
    x = leaf(0.1, "x")
    terms = [x * float(k) for k in range(1, 31)]
    total = terms[0]
    for t in terms[1:]:
        total = total + t  # 29 adds, 30 muls, 1 leaf: 60 nodes
    text = render(render_tree(build(total), max_nodes=10, max_depth=100), width=100)
    lines = text.splitlines()
    assert len(lines) <= 10 + 3
    note = text[text.index("└── … "):]
    assert "of 60 nodes not shown" in note and "10 entries" in note


def test_depth_cap_on_a_long_chain():
    x = leaf(0.5, "x")
    y = x
    for _ in range(100_000):
        y = y.sin()
    text = render(render_tree(build(y)))
    lines = text.splitlines()
    assert len(lines) < 40
    assert "99,988 of 100,001 nodes not shown" in text.replace("\n", " ").replace("  ", " ")
    assert all(len(line) <= 80 for line in lines)


@pytest.mark.parametrize("width", [40, 60, 80])
def test_lines_fit_the_console_width(width):
    x = T["tensor"]([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    x.name = "a_rather_long_variable_name_for_the_input"
    y = (x.exp() * x.sin() + x.tanh()).sum()
    y.backward()
    text = render(render_tree(build(y), explain=True), width=width)
    assert all(len(line) <= width for line in text.splitlines())
    assert "a_rather_long" in text


def test_root_leaf_and_deterministic_output():
    x = T["tensor"]([1.0, 2.0])
    x.name = "x"
    assert render(render_tree(build(x))) == "x: leaf  [2] float32  requires_grad=False  = [1, 2]\n"
    y = leaf(1.0, "y")
    out = (y * y).exp() + y
    assert render(render_tree(build(out))) == render(render_tree(build(out)))
