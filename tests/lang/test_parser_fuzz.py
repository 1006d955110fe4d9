"""Property tests: no input makes the parser fail with anything but GradcliSyntaxError,
and wherever Python and gradcli both accept a text, they read it the same way."""

from __future__ import annotations

import ast as pyast
import json
import re
import textwrap
import warnings

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcli.errors import GradcliSyntaxError
from gradcli.lang import ast
from gradcli.lang.parser import is_incomplete, parse, parse_expression
from test_parser import CASES_FILE, SEEDS, from_python, span_mismatches

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that matter to the lexer and the block structure, plus some that do not belong.
ALPHABET = list("abcxyz_019 .,:;()[]{}+-*/%@^<>=!&|~'\"\\#\n\t\r\x00fr") + ["**", "//", "==", "if ", "else ", "for ",
    " in ", "not ", "lambda ", "def ", "with ", "    ", "\n    ", '"""', "'''", "f'{", "}'", "1e", "...", "§", "é", "²"]


def _check(text) -> None:
    """Parse every way; only GradcliSyntaxError may come out, with a sane span."""
    for fn in (parse, parse_expression):
        try:
            fn(text)
        except GradcliSyntaxError as e:
            assert "internal" not in e.message, e.message
            assert e.span is not None and e.span.line >= 1 and e.span.column >= 1
            assert e.span.end_line >= e.span.line
            if isinstance(text, str):
                assert e.span.line <= text.count("\n") + text.count("\r") + 2
    if isinstance(text, str):
        assert is_incomplete(text) in (True, False)


@FUZZ
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_token_soup_only_raises_syntax_errors(text):
    _check(text)


@FUZZ
@given(st.text(max_size=60))
def test_any_unicode_text_only_raises_syntax_errors(text):
    _check(text)


@FUZZ
@given(st.binary(max_size=60))
def test_any_bytes_only_raise_syntax_errors(data):
    _check(data)
    _check(data.decode("latin-1"))


def _corpus() -> list[str]:
    blocks = []
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"^([ \t]*)```python[^\n]*\n(.*?)^[ \t]*```", text, re.S | re.M):
            blocks.append(textwrap.dedent(m.group(2)))
    blocks += [c["code"] for c in json.loads(CASES_FILE.read_text())["cases"]]
    return blocks


CORPUS = _corpus()


def _python_accepts(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyast.parse(text)
        return True
    except (SyntaxError, ValueError):
        return False


@FUZZ
@given(st.sampled_from(CORPUS), st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["del", "ins", "dup"]),
                                                  st.sampled_from(ALPHABET)), min_size=1, max_size=4))
def test_mutated_tutorial_code_is_read_like_python_or_rejected_cleanly(code, edits):
    text = code
    for where, op, piece in edits:
        i = int(where * len(text))
        if op == "del":
            text = text[:i] + text[i + 1:]
        elif op == "ins":
            text = text[:i] + piece + text[i:]
        else:
            text = text[:i] + text[i:i + 8] + text[i:]
    try:
        ours = parse(text)
    except GradcliSyntaxError as e:
        assert "internal" not in e.message, e.message
        return
    # both accept: the trees must agree (`^` is xor in Python, power here)
    if "^" not in text and _python_accepts(text):
        try:
            theirs = from_python(text)
        except (AssertionError, KeyError):
            return  # a Python construct gradcli does not model
        assert ast.dump(ours) == ast.dump(theirs)
        assert span_mismatches(ours, theirs) == []


# ----------------------------------------------------- generated expressions
NAMES = st.sampled_from(["x", "y", "w", "b", "loss", "torch"])
NUMBERS = st.one_of(st.integers(0, 10**6).map(str), st.sampled_from(["1.5", ".5", "2.", "1e-3", "3e8", "1_000"]))
BINARY = ["+", "-", "*", "/", "//", "%", "@", "**", "<", "<=", "==", "!=", ">", ">=", " and ", " or ", " in ", " is "]


def _extend(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(BINARY), inner).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
        st.tuples(st.sampled_from(["-", "+", "not "]), inner).map("".join),
        inner.map(lambda e: f"({e})"),
        st.tuples(inner, NAMES).map(lambda t: f"({t[0]}).{t[1]}"),
        st.tuples(NAMES, st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(NAMES, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(NAMES, st.sampled_from(["[:, 0]", "[1:2]", "[::2]", "[..., -1]", "[None]", "[:-1, 1:]"])).map("".join),
        st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} if {t[1]} else {t[2]}"),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.tuples(NAMES, inner).map(lambda t: f"{t[0]}(k={t[1]})"),
        inner.map(lambda e: f"f'{{{e}}}'"),
    )


EXPRESSIONS = st.recursive(st.one_of(NAMES, NUMBERS, st.sampled_from(["True", "None", "'s'"])), _extend, max_leaves=12)


@FUZZ
@given(EXPRESSIONS)
def test_generated_expressions_parse_like_python(text):
    assume(_python_accepts(text))
    ours = parse_expression(text)
    theirs = from_python(text, mode="eval", filename="<expr>")
    assert ast.dump(ours) == ast.dump(theirs)
    assert span_mismatches(ours, theirs) == []


POWERS = st.tuples(EXPRESSIONS, st.sampled_from(["**", "** -", "**(", " ** not "]), EXPRESSIONS).map(
    lambda t: f"{t[0]} {t[1]}{t[2]}" + (")" if t[1].endswith("(") else ""))


@FUZZ
@given(POWERS)
def test_caret_reads_exactly_like_double_star(text):
    try:
        expected = ast.dump(parse_expression(text))
    except GradcliSyntaxError:
        assume(False)
    assert ast.dump(parse_expression(text.replace("**", "^"))) == expected
    if _python_accepts(text):
        assert expected == ast.dump(from_python(text, mode="eval"))
