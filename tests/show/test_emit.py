"""`--emit torch`: Python with minimal parentheses, and code that computes what gradcli computes."""

from __future__ import annotations

import ast
import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.engine import dtypes
from gradcli.errors import UsageError
from gradcli.lang.parser import parse_expression
from gradcli.show.emit import _Names, emit_torch, to_python


def python(expr: str, variables=("a", "b", "c", "x", "y")) -> str:
    return to_python(parse_expression(expr), _Names(variables))


# -- printing with minimal parentheses ----------------------------------------------------------------
@pytest.mark.parametrize("source, printed", [
    ("-2^2", "-2 ** 2"), ("(-2)^2", "(-2) ** 2"), ("2^3^2", "2 ** 3 ** 2"), ("(2^3)^2", "(2 ** 3) ** 2"),
    ("2^-x", "2 ** -x"), ("a-(b-c)", "a - (b - c)"), ("(a-b)-c", "a - b - c"), ("a/(b*c)", "a / (b * c)"),
    ("(a+b)*c", "(a + b) * c"), ("-(-x)", "- -x"), ("-(x^y)", "-x ** y"), ("(a if b else c) + 1",
                                                                           "(a if b else c) + 1"),
    ("(a < b) < c", "(a < b) < c"), ("not (a and b)", "not (a and b)"), ("x[0, 1:3]", "x[0, 1:3]"),
    ("x[:, ::2]", "x[:, ::2]"), ("(2).real", "(2).real"), ("x.T@y", "x.T @ y"), ("a // b % c", "a // b % c"),
    ("[a, (b, c), {1: 2}]", "[a, (b, c), {1: 2}]"), ("(a,)", "(a,)"), ("'s'", "'s'"),
    ("[i*2 for i in range(3) if i]", "[i * 2 for i in range(3) if i]"),
])
def test_minimal_parentheses(source, printed):
    assert python(source) == printed


def test_names_get_their_namespace():
    assert python("sin(x) + ln(y) + torch.ln(x) + exp(a)") == \
        "torch.sin(x) + torch.log(y) + torch.log(x) + torch.exp(a)"
    assert python("mse_loss(x, y) + pi * e") == "F.mse_loss(x, y) + math.pi * math.e"
    assert python("sum(x^2) + abs(y) + max(2, 3)") == "torch.sum(x ** 2) + torch.abs(y) + max(2, 3)"
    assert python("grad(x, y)") == "torch.autograd.grad(x, y)"


def test_deeply_nested_expression_prints_iteratively():
    source = "+".join(["x"] * 400) + "+" + "-(" * 200 + "x" + ")" * 200  # near the parser's nesting limit
    assert python(source) == " + ".join(["x"] * 400) + " + " + "- " * 199 + "-x"


# Random expressions: Python's own parser is the oracle for precedence and associativity.
BIN = ["+", "-", "*", "/", "//", "%", "**", "^"]
LEAF = st.sampled_from(["a", "b", "c", "2", "3.5", "x.T", "x[0]", "f(a)", "f(a, b)"])


def expressions():
    return st.recursive(LEAF, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(BIN), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "+", "not "]), inner).map(lambda t: f"({t[0]}{t[1]})"),
        st.tuples(inner, st.sampled_from(["<", "==", " and ", " or "]), inner).map(
            lambda t: f"({t[0]} {t[1].strip()} {t[2]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
    ), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_printing_keeps_the_meaning(source):
    printed = to_python(parse_expression(source), _Names(["a", "b", "c", "x", "f"]))
    want = ast.dump(ast.parse(source.replace("^", "**"), mode="eval"))
    assert ast.dump(ast.parse(printed, mode="eval")) == want
    for start, end in grouping_parens(printed):  # minimal: dropping any pair breaks or changes it
        dropped = printed[:start] + printed[start + 1:end] + printed[end + 1:]
        try:
            assert ast.dump(ast.parse(dropped, mode="eval")) != want, f"needless () in {printed}"
        except SyntaxError:
            pass


def grouping_parens(text: str) -> list:
    """(open, close) index pairs of parentheses that group (not call parentheses)."""
    pairs, stack = [], []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")":
            j = stack.pop()
            before = text[j - 1] if j else " "
            if not (before.isalnum() or before in "_)]"):
                pairs.append((j, i))
    return pairs


# -- the emitted program -------------------------------------------------------------------------------
def test_polynomial_program():
    assert emit_torch("9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1", [("x", "2")], "float64") == (
        "import torch\n"
        "\n"
        "x = torch.tensor(2, dtype=torch.float64, requires_grad=True)\n"
        "f = 9 * x ** 4 + 2 * x ** 3 + 3 * x ** 2 + 6 * x + 1\n"
        "f.backward()\n"
        "print(f.item())\n"
        "print(x.grad)\n")


def test_imports_factories_and_gradient_order():
    code = emit_torch("mse_loss(w * v, v) + ln(x) * pi", [("x", "pi/4"), ("v", "[1, 2, 3]"), ("w", "randn(3)")],
                      "float64")
    lines = code.splitlines()
    assert lines[:3] == ["import math", "import torch", "import torch.nn.functional as F"]
    assert "torch.set_default_dtype(torch.float64)" in lines[4]
    assert "x = torch.tensor(math.pi / 4, dtype=torch.float64, requires_grad=True)" in lines
    assert "w = torch.as_tensor(torch.randn(3), dtype=torch.float64).detach().requires_grad_()" in lines
    assert lines[-3:] == ["print(w.grad)", "print(v.grad)", "print(x.grad)"]  # order of first use
    compile(code, "<emitted>", "exec")


def test_name_clash_with_the_result_and_constant_expressions():
    code = emit_torch("f * 2", [("f", "3")], "float32")
    assert "f_ = f * 2" in code and "f_.backward()" in code and "torch.float32" in code
    assert emit_torch("2 + 3", [], "float64").endswith("f = 2 + 3\nprint(f)\n")


def test_errors_name_the_variable():
    with pytest.raises(UsageError, match="no value for variable 'y'"):
        emit_torch("x + y", [("x", "1")], "float64")
    with pytest.raises(UsageError, match="uses 'x'"):
        emit_torch("x + y", [("x", "1"), ("y", "x + 1")], "float64")


# -- run it: PyTorch gives what gradcli gives -------------------------------------------------------------
PROGRAMS = [
    ("9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1", [("x", "2")], "float64"),
    ("sin(x)*exp(-x^2) + ln(y)/3", [("x", "0.5"), ("y", "2")], "float64"),
    ("-x^2 + x^-2", [("x", "3")], "float64"),
    ("x^y + 2^x + pi*x", [("x", "1.5"), ("y", "0.5")], "float64"),
    ("sum(v^2) + max(v) * mean(v)", [("v", "[1, 2, 3]")], "float64"),
    ("sigmoid(x) * tanh(y)^2 / sqrt(x + y)", [("x", "0.3"), ("y", "1.7")], "float64"),
    ("relu(v - 1.5).sum() + (v * w).sum()", [("v", "[0.5, 2, 3]"), ("w", "[1, -1, 2]")], "float64"),
    ("binary_cross_entropy_with_logits(v, t)", [("v", "[0.5, -2, 3]"), ("t", "[0., 1., 1.]")], "float64"),
    ("(x*0.1)^2 + x/3", [("x", "3")], "float32"),
    ("x if x > 0 else -x", [("x", "-2.5")], "float64"),
    ("(w * w).sum()", [("w", "randn(4)")], "float64"),
]


@pytest.fixture
def default_dtypes():
    yield
    dtypes.set_default_dtype(dtypes.float32)
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("expression, assignments, dtype", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_emitted_code_matches_gradcli(expression, assignments, dtype, default_dtypes):
    torch = pytest.importorskip("torch")
    from gradcli.cli.calc import calculate
    from gradcli.engine.ops.creation import manual_seed

    code = emit_torch(expression, assignments, dtype)
    torch.manual_seed(0)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, "<emitted>", "exec"), namespace)
    assert out.getvalue().count("\n") == 1 + len(assignments)
    manual_seed(0)
    result = calculate(expression, [f"{n}={v}" for n, v in assignments], dtype=dtype)
    rtol = 1e-12 if dtype == "float64" else 1e-6
    f = namespace["f"]
    assert str(f.dtype) == f"torch.{dtype}" and result.value.dtype.name == dtype
    np.testing.assert_allclose(f.detach().numpy(), result.value.array, rtol=rtol)
    for name, g in result.gradients.items():
        np.testing.assert_allclose(namespace[name].grad.numpy(), g.array, rtol=rtol, atol=1e-12)
