"""The parser: precedence, statements, literals, f-strings, spans, errors, limits.

Python's own parser is the oracle wherever the languages agree: `from_python`
turns `ast.parse(...)` output into gradcli nodes (with spans converted to 1-based
character columns), and trees must match node for node, spans included. Where
gradcli differs on purpose (`^` is power) the test says so.
"""

from __future__ import annotations

import ast as pyast
import json
import math
import re
import textwrap
import warnings
from pathlib import Path

import pytest

from gradcli.errors import GradcliSyntaxError, Span
from gradcli.lang import ast
from gradcli.lang import parser as P
from gradcli.lang.parser import IncompleteInput, UnexpectedEnd, is_incomplete, parse, parse_expression

TESTS = Path(__file__).resolve().parents[1]
SEEDS = sorted((TESTS / "data" / "seeds").glob("*.txt"))  # copies of shared/seeds, the tutorials
CASES_FILE = TESTS / "parity" / "data" / "autograd_cases.json"  # copy of shared/torch-oracle


# --------------------------------------------------------------- the oracle
_BIN = {pyast.Add: "add", pyast.Sub: "sub", pyast.Mult: "mul", pyast.Div: "div", pyast.FloorDiv: "floordiv",
        pyast.Mod: "mod", pyast.Pow: "pow", pyast.MatMult: "matmul"}
_UN = {pyast.USub: "neg", pyast.UAdd: "pos", pyast.Not: "not"}
_CMP = {pyast.Lt: "lt", pyast.LtE: "le", pyast.Gt: "gt", pyast.GtE: "ge", pyast.Eq: "eq", pyast.NotEq: "ne",
        pyast.In: "in", pyast.NotIn: "not_in", pyast.Is: "is", pyast.IsNot: "is_not"}
NO_SPAN = Span(0, 0, 0, 0, "<none>")  # Python gives no position (comprehensions, module)


def from_python(source: str, mode: str = "exec", filename: str = "<input>"):
    """Python's parse of `source`, as gradcli nodes with gradcli-style spans."""
    tree = pyast.parse(source, mode=mode)
    lines = re.split(r"\r\n|\r|\n", source)  # Python's line breaks

    def col(line: int, offset: int) -> int:
        return len(lines[line - 1].encode("utf-8")[:offset].decode("utf-8", "ignore")) + 1

    def sp(n) -> Span:
        return Span(n.lineno, col(n.lineno, n.col_offset), n.end_lineno, col(n.end_lineno, n.end_col_offset), filename)

    def body(stmts) -> tuple:
        out = []
        for s in stmts:
            r = conv(s)
            out.extend(r if isinstance(r, list) else [r])
        return tuple(out)

    def opt(n):
        return None if n is None else conv(n)

    def params(a):
        assert not a.kwonlyargs, "keyword-only parameters are not part of gradcli"
        names = tuple(x.arg for x in a.posonlyargs + a.args)
        return names, tuple(conv(d) for d in a.defaults), a.vararg.arg if a.vararg else None, \
            a.kwarg.arg if a.kwarg else None

    def fstring(n, span) -> ast.FString:
        parts = []
        for v in n.values:
            if isinstance(v, pyast.Constant):
                parts.append(ast.Str(v.value, span=NO_SPAN))
            else:
                spec = fstring(v.format_spec, NO_SPAN) if v.format_spec is not None else None
                conv_char = None if v.conversion == -1 else chr(v.conversion)
                parts.append(ast.FormattedValue(conv(v.value), conv_char, spec, span=NO_SPAN))
        return ast.FString(tuple(parts), span=span)

    def conv(n):
        t = type(n)
        if t is pyast.Module:
            return ast.Module(body(n.body), span=NO_SPAN)
        if t is pyast.Expression:
            return conv(n.body)
        s = sp(n) if hasattr(n, "lineno") else NO_SPAN
        if t is pyast.Expr:
            return ast.ExprStmt(conv(n.value), span=s)
        if t is pyast.Assign:
            return ast.Assign(tuple(conv(x) for x in n.targets), conv(n.value), span=s)
        if t is pyast.AugAssign:
            return ast.AugAssign(conv(n.target), _BIN[type(n.op)], conv(n.value), span=s)
        if t is pyast.If:
            return ast.If(conv(n.test), body(n.body), body(n.orelse), span=s)
        if t is pyast.While:
            return ast.While(conv(n.test), body(n.body), body(n.orelse), span=s)
        if t is pyast.For:
            return ast.For(conv(n.target), conv(n.iter), body(n.body), body(n.orelse), span=s)
        if t is pyast.With:
            inner = body(n.body)
            for item in reversed(n.items):
                inner = (ast.With(conv(item.context_expr), opt(item.optional_vars), inner, span=s),)
            return inner[0]
        if t is pyast.FunctionDef:
            names, defaults, vararg, kwarg = params(n.args)
            return ast.FunctionDef(n.name, names, defaults, body(n.body), vararg, kwarg,
                                   tuple(conv(d) for d in n.decorator_list), span=s)
        if t is pyast.ClassDef:
            keywords = tuple(ast.Keyword(k.arg, conv(k.value), span=sp(k)) for k in n.keywords)
            return ast.ClassDef(n.name, tuple(conv(b) for b in n.bases), keywords, body(n.body),
                                tuple(conv(d) for d in n.decorator_list), span=s)
        if t is pyast.Return:
            return ast.Return(opt(n.value), span=s)
        if t is pyast.Break:
            return ast.Break(span=s)
        if t is pyast.Continue:
            return ast.Continue(span=s)
        if t is pyast.Pass:
            return ast.Pass(span=s)
        if t is pyast.Import:
            return [ast.Import(a.name, a.asname, span=sp(a)) for a in n.names]
        if t is pyast.ImportFrom:
            return ast.ImportFrom(n.module or "", tuple((a.name, a.asname) for a in n.names), n.level, span=s)
        if t is pyast.Try:
            handlers = tuple(ast.ExceptHandler(opt(h.type), h.name, body(h.body), span=sp(h)) for h in n.handlers)
            return ast.Try(body(n.body), handlers, body(n.orelse), body(n.finalbody), span=s)
        if t is pyast.Raise:
            return ast.Raise(opt(n.exc), opt(n.cause), span=s)
        if t is pyast.Assert:
            return ast.Assert(conv(n.test), opt(n.msg), span=s)
        if t is pyast.Delete:
            return ast.Delete(tuple(conv(x) for x in n.targets), span=s)
        if t in (pyast.Global, pyast.Nonlocal):
            return ast.Global(tuple(n.names), t is pyast.Nonlocal, span=s)
        if t is pyast.Name:
            return ast.Name(n.id, span=s)
        if t is pyast.Constant:
            v = n.value
            if v is None or isinstance(v, bool):
                return ast.Const(v, span=s)
            if v is Ellipsis:
                return ast.Ellipsis(span=s)
            if isinstance(v, str):
                return ast.Str(v, span=s)
            assert isinstance(v, (int, float)), v
            return ast.Num(v, span=s)
        if t is pyast.JoinedStr:
            return fstring(n, s)
        if t is pyast.List:
            return ast.ListExpr(tuple(conv(x) for x in n.elts), span=s)
        if t is pyast.Tuple:
            return ast.TupleExpr(tuple(conv(x) for x in n.elts), span=s)
        if t is pyast.Dict:
            return ast.DictExpr(tuple(conv(k) for k in n.keys), tuple(conv(v) for v in n.values), span=s)
        if t in (pyast.ListComp, pyast.GeneratorExp):
            gens = tuple(ast.Comprehension(conv(g.target), conv(g.iter), tuple(conv(i) for i in g.ifs), span=NO_SPAN)
                         for g in n.generators)
            cls = ast.ListComp if t is pyast.ListComp else ast.GeneratorExp
            return cls(conv(n.elt), gens, span=s)
        if t is pyast.BinOp:
            return ast.BinOp(_BIN[type(n.op)], conv(n.left), conv(n.right), span=s)
        if t is pyast.UnaryOp:
            return ast.UnaryOp(_UN[type(n.op)], conv(n.operand), span=s)
        if t is pyast.BoolOp:
            return ast.BoolOp("and" if isinstance(n.op, pyast.And) else "or", tuple(conv(v) for v in n.values), span=s)
        if t is pyast.Compare:
            return ast.Compare(tuple(_CMP[type(o)] for o in n.ops), (conv(n.left),) + tuple(conv(c) for c in n.comparators),
                               span=s)
        if t is pyast.IfExp:
            return ast.IfExp(conv(n.test), conv(n.body), conv(n.orelse), span=s)
        if t is pyast.Call:
            args = tuple(conv(a) for a in n.args if not isinstance(a, pyast.Starred))
            star = tuple(conv(a.value) for a in n.args if isinstance(a, pyast.Starred))
            kwargs = tuple(ast.Keyword(k.arg, conv(k.value), span=sp(k)) for k in n.keywords if k.arg is not None)
            kwstar = tuple(conv(k.value) for k in n.keywords if k.arg is None)
            return ast.Call(conv(n.func), args, kwargs, star, kwstar, span=s)
        if t is pyast.Attribute:
            return ast.Attribute(conv(n.value), n.attr, span=s)
        if t is pyast.Subscript:
            return ast.Subscript(conv(n.value), conv(n.slice), span=s)
        if t is pyast.Slice:
            return ast.Slice(opt(n.lower), opt(n.upper), opt(n.step), span=s)
        if t is pyast.Lambda:
            names, defaults, vararg, kwarg = params(n.args)
            return ast.Lambda(names, defaults, conv(n.body), vararg, kwarg, span=s)
        raise AssertionError(f"no gradcli counterpart for {t.__name__}")

    return conv(tree)


def span_mismatches(ours: ast.Node, theirs: ast.Node) -> list[str]:
    """Nodes whose spans differ; both trees must already be equal in structure.

    Python 3.11 gives f-string parts the span of the whole string, so spans
    below an FString are not compared (tests below check them directly).
    """
    bad = []
    stack = [(ours, theirs)]
    while stack:
        a, b = stack.pop()
        if isinstance(a, ast.FString):
            if a.span != b.span:
                bad.append(f"{ast.dump(a)[:60]}: {a.span} != {b.span}")
            continue
        if b.span != NO_SPAN and a.span != b.span:
            bad.append(f"{type(a).__name__} {ast.dump(a)[:60]}: ours {a.span} python {b.span}")
        stack.extend(zip(ast.iter_child_nodes(a), ast.iter_child_nodes(b)))
    return bad


def assert_like_python(source: str, python_source: str | None = None, spans: bool = True) -> ast.Module:
    """Parse with gradcli and Python; same tree, same spans."""
    ours = parse(source)
    theirs = from_python(python_source if python_source is not None else source)
    assert ast.dump(ours) == ast.dump(theirs)
    if spans:
        assert span_mismatches(ours, theirs) == []
    return ours


def expr_like_python(source: str, python_source: str | None = None) -> ast.Expr:
    ours = parse_expression(source)
    theirs = from_python(python_source if python_source is not None else source, mode="eval", filename="<expr>")
    assert ast.dump(ours) == ast.dump(theirs)
    if python_source is None:
        assert span_mismatches(ours, theirs) == []
    return ours


# --------------------------------------------------------------- precedence
PRECEDENCE = [
    "a @ b + c", "a + b @ c", "a * b / c // d % e", "a - b - c", "a ** b ** c", "-a ** b", "(-a) ** b",
    "a ** -b", "not a == b", "not a and b or c", "a or b and c", "a if b else c if d else e",
    "a < b <= c == d != e > f >= g", "a in b not in c is d is not e", "-a * +b", "a + b * c ** d",
    "f(x)(y)[z].w", "a.b.c(d=1, *e, **f)", "lambda x, y=2: x + y", "[x * 2 for x in y if x if z for w in x]",
    "(x for x in y)", "sum(x for x in y)", "{'a': 1, 'b': [2, 3]}", "()", "(1,)", "(1, 2)", "[]", "[1, 2,]",
    "a[0]", "a[-1]", "a[1:3]", "a[::2]", "a[:, 1]", "a[..., 0]", "a[None]", "a[1:2, ::3, ...]", "a[:]", "a[1:]",
    "a[:-1]", "a[1,]", "x.grad.zero_()", "torch.nn.functional.mse_loss(a, b, reduction='sum')",
    "1 if x else -1", "not not a", "- - a", "a * -1", "2 * x ** 2 + 3 * x - 1", "x / y / z",
]


@pytest.mark.parametrize("source", PRECEDENCE)
def test_expressions_parse_like_python(source):
    expr_like_python(source)


@pytest.mark.parametrize("ours, python", [
    ("-2^2", "-2**2"), ("2^3^2", "2**3**2"), ("a^-b", "a**-b"), ("x^2 * 3", "x**2 * 3"),
    ("9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1", "9*x**4 + 2*x**3 + 3*x**2 + 6*x + 1"), ("a ^ b ** c ^ d", "a ** b ** c ** d"),
    ("-x^2^-1", "-x**2**-1"), ("(a+b)^2", "(a+b)**2"), ("a.b^c[0]", "a.b**c[0]"),
])
def test_caret_is_power_with_the_precedence_of_double_star(ours, python):
    tree = parse_expression(ours)
    assert ast.dump(tree) == ast.dump(from_python(python, mode="eval"))


def test_caret_precedence_gives_the_mathematical_values():
    def evaluate(node):  # just enough arithmetic to check the shape numerically
        if isinstance(node, ast.Num):
            return node.value
        if isinstance(node, ast.UnaryOp):
            return -evaluate(node.operand) if node.op == "neg" else evaluate(node.operand)
        ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "pow": lambda a, b: a ** b}
        return ops[node.op](evaluate(node.left), evaluate(node.right))

    assert evaluate(parse_expression("-2^2")) == -4
    assert evaluate(parse_expression("2^3^2")) == 512
    assert evaluate(parse_expression("2^-1")) == 0.5
    assert evaluate(parse_expression("9*2^4 + 2*2^3 + 3*2^2 + 6*2 + 1")) == 9 * 16 + 2 * 8 + 3 * 4 + 6 * 2 + 1


def test_caret_augmented_assignment_is_power():
    (stmt,) = parse("x ^= 2").body
    assert isinstance(stmt, ast.AugAssign) and stmt.op == "pow"


# --------------------------------------------------------------- statements
STATEMENTS = [
    "x = 1\n", "a, b = 1, 2\n", "(a, b) = c\n", "[a, b] = c\n", "a = b = 3\n", "x[0] = 5.\n", "x.grad = None\n",
    "y.requires_grad = False\n", "x += 1\n", "x[0] -= 2\n", "w.data *= 0.5\n", "x /= 2; y = 3;\n",
    "with torch.no_grad():\n    y = x * 2\n", "with a as b, c:\n    pass\n",
    "for i in range(3):\n    print(i)\n", "for f, i in pairs:\n    continue\nelse:\n    pass\n",
    "while y.data.norm() < 1000:\n    y = y * 2\n    break\n",
    "if a:\n    b\nelif c:\n    d\nelif e:\n    f\nelse:\n    g\n",
    "def f(x, y=2, *args, **kw):\n    '''doc'''\n    return x + y\n", "def g():\n    return\n",
    "import torch\n", "import torch.nn.functional as F\n", "import numpy as np, torch\n", "from torch import nn\n",
    "from torch.nn import functional as F, init\n", "from . import x\n", "from ..a import (b, c,)\n", "from torch import *\n",
    "f = lambda x: x * 2\n", '"""A docstring."""\nx = 1\n', "pass\n",
    "try:\n    x\nexcept RuntimeError as e:\n    pass\nexcept:\n    pass\nelse:\n    y\nfinally:\n    z\n",
    "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n", "@torch.no_grad()\ndef f():\n    pass\n",
    "raise ValueError('x') from None\n", "assert x > 0, 'positive'\n", "del x, y[0]\n", "global a, b\n",
    "x = 1  # comment\n# another\n\n\ny = 2\n", "x = (1 +\n     2)\n", "x = 1 + \\\n    2\n", "if x: y = 1; z = 2\n",
    "for i in range(2):\n\n    # comment inside\n    x = i\n\n    y = i\n", "x = [\n    1,\n    2,\n]\n",
    "import torch; x = 1; from torch import nn\n",
]


@pytest.mark.parametrize("source", STATEMENTS)
def test_statements_parse_like_python(source):
    assert_like_python(source)


def test_empty_and_blank_inputs_give_an_empty_module():
    for source in ["", "\n", "   \n\n", "# only a comment", "# one\n# two\n", "\n\n   # indented comment\n"]:
        assert parse(source).body == ()


def test_line_endings_tabs_and_bom():
    assert ast.dump(parse("x = 1\r\ny = 2\r\n")) == ast.dump(parse("x = 1\ny = 2\n"))
    assert ast.dump(parse("\ufeffx = 1")) == ast.dump(parse("x = 1"))
    assert ast.dump(parse("if x:\n\ty = 1\n")) == ast.dump(parse("if x:\n    y = 1\n"))
    assert parse(b"x = 1\n").body[0] == parse("x = 1\n").body[0]


def test_import_forms_are_all_parsed():
    body = parse("import torch\nimport torch.nn.functional as F\nfrom torch import nn\nimport numpy as np\n").body
    assert [(type(s).__name__, getattr(s, "module", None)) for s in body] == [
        ("Import", "torch"), ("Import", "torch.nn.functional"), ("ImportFrom", "torch"), ("Import", "numpy")]
    assert body[1].alias == "F" and body[3].alias == "np"


def test_chained_and_tuple_assignment_targets():
    (chain,) = parse("a = b = 1").body
    assert [t.id for t in chain.targets] == ["a", "b"]
    (unpack,) = parse("a, b = 1, 2").body
    assert len(unpack.targets) == 1 and isinstance(unpack.targets[0], ast.TupleExpr)


def test_function_defaults_belong_to_the_last_parameters():
    (f,) = parse("def f(a, b=1, c=2):\n    pass").body
    assert f.params == ("a", "b", "c") and [d.value for d in f.defaults] == [1, 2]


# -------------------------------------------------------- numbers and strings
@pytest.mark.parametrize("source", ["1", "1.", ".5", "1e-3", "1E+3", "1_000", "1_000.000_1", "0x_ff", "0o17", "0b1010",
                                    "1e999", "123456789012345678901234567890", "0", "00", "0.0", "1e-400", "3.14159"])
def test_number_literals_have_pythons_values(source):
    value = parse_expression(source).value
    expected = eval(source)  # Python's reading of the same literal
    assert value == expected and type(value) is type(expected)


def test_huge_numbers():
    assert parse_expression("1e999").value == math.inf
    power = parse_expression("10**10000")
    assert isinstance(power, ast.BinOp) and power.right.value == 10000
    assert parse_expression("9" * 4300).value == int("9" * 4300)


STRINGS = [
    r"'a'", r'"b"', r"'''tri\nple'''", r'"""x"y"""', r"'\n\t\\\''", r"'\x41\u00e9\U0001F600'", r"'\101\0'",
    r"'\N{GREEK SMALL LETTER ALPHA}'", r"r'\n\d'", r"R'\\'", r"u'x'", "'a' 'b' \"c\"", r"'unknown \q escape'",
    r"'\
continued'", r"'한글 §'", r"''", r"'''it's'''", r"'a\'b'",
]


@pytest.mark.parametrize("source", STRINGS)
def test_string_literals_have_pythons_values(source):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Python warns about '\q'; it still keeps the backslash
        expected = pyast.literal_eval(source)
    assert parse_expression(source).value == expected


# ------------------------------------------------------------------ f-strings
FSTRINGS = [
    'f"z = {z.grad_fn}"', 'f"{loss:.4f}"', 'f"{x!r}"', 'f"{x!s:>10}"', 'f"{x:{w}.{p}f}"', 'f"{{literal}} {x}"',
    'f"a{x}b{y}c"', 'f"{x=}"', 'f"{x = }"', 'f"{x=:.2f}"', 'f"{x=!s}"', "f'{d[\"k\"]}'", 'f"{a[1:2]}"',
    'f"{f(a, b=1)}"', 'f"{x if y else z}"', 'f"{x!=y}"', 'f"First call\\n{inp.grad}"', 'rf"\\n{x}"',
    'f"""multi\n{x +\n y}\nline"""', '"plain " f"{x}" " tail"', 'f"{(lambda v: v)(1)}"', "f''", 'f"{x:}"',
    'f"{3.14:.{n}}"', 'f"{x}}}"',
]


@pytest.mark.parametrize("source", FSTRINGS)
def test_fstrings_parse_into_parts_like_python(source):
    ours = parse_expression(source)
    theirs = from_python(source, mode="eval", filename="<expr>")
    assert ast.dump(ours) == ast.dump(theirs)
    assert ours.span == theirs.span


def test_fstring_fields_carry_exact_spans():
    line = 'print(f"z = {z.grad_fn} and {loss:.{n}f}")'
    call = parse("x = 1\n" + line + "\n").body[1].value
    lit, field1, lit2, field2 = call.args[0].parts

    def at(needle: str, start: int = 0, width: int | None = None) -> Span:
        col = line.index(needle) + 1 + start
        return Span(2, col, 2, col + (len(needle) - start if width is None else width), "<input>")

    assert lit.value == "z = " and lit.span == at("z = ")
    assert field1.span == at("{z.grad_fn}")
    assert field1.value.span == at("z.grad_fn") and field1.value.value.span == at("z.grad_fn", width=1)
    assert lit2.value == " and " and lit2.span == at(" and ")
    assert field2.span == at("{loss:.{n}f}") and field2.value.span == at("loss")
    dot, nested, f = field2.format_spec.parts
    assert (dot.value, f.value) == (".", "f") and nested.value.id == "n"
    assert nested.span == at("{n}") and nested.value.span == at("{n}", start=1, width=1)


def test_fstring_expression_spans_across_lines():
    source = 's = f"""a\nb {x +\n   yy} c"""\n'
    field = parse(source).body[0].value.parts[1]
    add = field.value
    assert (add.left.span.line, add.left.span.column) == (2, 4)
    assert add.right.span == Span(3, 4, 3, 6, "<input>")


@pytest.mark.parametrize("source, message", [
    ("f'{}'", "empty expression"), ("f'{x'", "unclosed '{'"), ("f'}'", "single '}'"), ("f'{x!z}'", "conversion"),
    ("f'{x:{y:{z}}}'", "nested too deeply"), ("f'{a#b}'", "'#'"), ("f'{1 +}'", "expected an expression after '+'"),
    ("f'{x)}'", "unmatched ')'"), ("f'{x=y}'", "'='"),
])
def test_fstring_errors(source, message):
    with pytest.raises(GradcliSyntaxError) as info:
        parse_expression(source)
    assert message in info.value.message


def test_error_inside_fstring_points_into_the_field():
    with pytest.raises(GradcliSyntaxError) as info:
        parse('x = 1\ny = f"value {x + } end"\n')
    span = info.value.span
    assert span.line == 2 and span.column == 'y = f"value {x + } end"'.index("+") + 2


# ---------------------------------------------------------------------- spans
def test_node_spans_are_one_based_and_end_exclusive():
    src = "loss = (w * x + b).sum()\n"
    (stmt,) = parse(src, "train.grad").body
    assert stmt.span == Span(1, 1, 1, len(src), "train.grad")
    call = stmt.value
    assert call.span == Span(1, 8, 1, 25, "train.grad")
    add = call.func.value
    assert src[add.span.column - 1:add.span.end_column - 1] == "w * x + b"


def test_statement_spans_cover_their_blocks():
    src = "with torch.no_grad():\n    y = x * 2\n    z = y\nprint(z)\n"
    with_stmt, call = parse(src).body
    assert with_stmt.span == Span(1, 1, 3, 10, "<input>")
    assert call.span == Span(4, 1, 4, 9, "<input>")


def test_expression_source_name():
    assert parse_expression("x").span.source == "<expr>"
    assert parse_expression("x", "arg x=VALUE").span.source == "arg x=VALUE"


# ---------------------------------------------------------- tutorial corpora
def _seed_blocks():
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        for i, m in enumerate(re.finditer(r"^([ \t]*)```python[^\n]*\n(.*?)^[ \t]*```", text, re.S | re.M)):
            yield pytest.param(textwrap.dedent(m.group(2)), id=f"{path.stem[:3]}-{i}")


def _notebook_cells():
    """`In [n]:` cells of exported notebooks; the code is the longest run of
    blank-line-separated paragraphs that Python itself accepts."""
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"^In \[(\d+)\]:\n(.*?)(?=^In \[|\Z)", text, re.S | re.M):
            paragraphs = re.split(r"\n(?=\n)", m.group(2))
            code = ""
            for k in range(1, len(paragraphs) + 1):
                candidate = "".join(paragraphs[:k])
                try:
                    pyast.parse(candidate)
                except SyntaxError:
                    break
                code = candidate
            if code.strip():
                yield pytest.param(code, id=f"{path.stem[:3]}-In{m.group(1)}")


SEED_BLOCKS = list(_seed_blocks())
NOTEBOOK_CELLS = list(_notebook_cells())


def test_the_seed_corpus_is_there():
    assert len(SEED_BLOCKS) >= 15 and len(NOTEBOOK_CELLS) >= 20


@pytest.mark.parametrize("code", SEED_BLOCKS)
def test_every_python_block_in_the_seeds_parses_like_python(code):
    assert_like_python(code)


@pytest.mark.parametrize("code", NOTEBOOK_CELLS)
def test_every_notebook_cell_in_the_seeds_parses_like_python(code):
    assert_like_python(code)


def _autograd_cases():
    cases = json.loads(CASES_FILE.read_text())["cases"]
    return [pytest.param(c["code"], id=c["name"][:50]) for c in cases]


@pytest.mark.parametrize("code", _autograd_cases())
def test_every_autograd_oracle_case_parses_like_python(code):
    assert_like_python(code)


# --------------------------------------------------------------------- errors
def _error(source: str, expression: bool = False) -> GradcliSyntaxError:
    with pytest.raises(GradcliSyntaxError) as info:
        (parse_expression if expression else parse)(source)
    return info.value


def _col(line: str, needle: str, after: bool = False) -> int:
    return line.index(needle) + 1 + (len(needle) if after else 0)


@pytest.mark.parametrize("source, message, column", [
    ("x = 1 +", "expected an expression after '+'", 8),
    ("y = 3 * (x - )", "expected an expression after '-'", 14),
    ("x = = 2", "expected an expression after '='", 5),
    ("if x\n    y", "expected ':'", 5),
    ("x = 1 if y", "expected 'else'", 11),
    ("f(1 2)", "unexpected number 2", 5),
    ("2x + 1", "unexpected name 'x'", 2),
    ('print "hi"', "unexpected string", 7),
    ("a[1:2:3:4]", "unexpected ':'", 8),
    ("else:\n    pass", "'else' without a matching block", 1),
])
def test_syntax_errors_say_what_was_expected_and_where(source, message, column):
    err = _error(source)
    assert message in err.message
    assert (err.span.line, err.span.column) == (1, column)
    assert err.span.end_column > err.span.column
    assert err.kind == "syntax error" and err.exit_code == 2


@pytest.mark.parametrize("source, hint", [
    ("2x", "2*x"), ("f(1 2)", "comma"), ('print "hi"', "print(...)"), ("x = 3 × 4", "'*'"), ("x = 2²", "^2"),
    ("2(x + 1)", "2*("), ("x: int = 3", "expected"),
])
def test_syntax_errors_come_with_hints(source, hint):
    err = _error(source)
    assert err.hint and hint in err.hint


@pytest.mark.parametrize("source, opener", [("f(1, 2", "("), ("x = [1,\n 2", "["), ("d = {'a': (1", "("),
                                            ("y = (\n\n", "(")])
def test_unclosed_bracket_points_at_the_opener(source, opener):
    err = _error(source)
    assert isinstance(err, IncompleteInput)
    line = source[:source.rindex(opener)].count("\n") + 1
    col = source.rindex(opener) - (source.rfind("\n", 0, source.rindex(opener)) + 1) + 1
    assert err.message == f"unclosed '{opener}' opened at line {line}, column {col}"
    assert (err.span.line, err.span.column) == (line, col)


def test_mismatched_and_unmatched_brackets():
    err = _error("x = (1, 2]")
    assert "']' does not match '(' opened at line 1, column 5" in err.message and err.span.column == 10
    assert _error("x = 1)").message == "unmatched ')'"


@pytest.mark.parametrize("source, message, line", [
    ("  x = 1", "unexpected indent", 1),
    ("x = 1\n    y = 2", "unexpected indent", 2),
    ("if x:\ny = 1", "expected an indented block after 'if' on line 1", 2),
    ("for i in x:\n    a\n  b", "does not match any enclosing block", 3),
    ("def f():\n", "expected an indented block after 'def' on line 1", 1),
])
def test_indentation_errors(source, message, line):
    err = _error(source)
    assert message in err.message and err.span.line == line


@pytest.mark.parametrize("source, message", [
    ("1 = x", "cannot assign to a literal"), ("f(x) = 3", "cannot assign to a function call"),
    ("a + b = c", "cannot assign to an expression"), ("a, 1 = c", "cannot assign to a literal"),
    ("for 1 in x:\n    pass", "cannot assign to a literal"), ("a, b += 1", "cannot use '+='"),
    ("del f()", "cannot delete a function call"), ("with a as 1:\n    pass", "cannot assign to a literal"),
    ("f(a=1, 2)", "positional argument after a keyword"), ("f(a=1, a=2)", "repeated"),
    ("def f(a=1, b):\n    pass", "without a default"), ("def f(a, a):\n    pass", "duplicate parameter"),
    ("x = 0777", "leading zeros"), ("x = 1j", "complex"), ("b'x'", "bytes"), ("'\\N{NOPE}'", "Unicode character name"),
    ("'\\x4'", "truncated"), ("x = " + "1" * 5000, "too long"),
])
def test_invalid_constructs_are_named(source, message):
    err = _error(source)
    assert message in err.message


def test_assignment_target_error_points_at_the_bad_target():
    err = _error("a, f(b) = 1, 2")
    assert (err.span.column, err.span.end_column) == (4, 8)


@pytest.mark.parametrize("char", ["§", "$", "?", "\x00", "\x7f", "`", "\u00a0", "٣", "→", "\ud800"])
def test_invalid_characters_are_reported_with_their_code_point(char):
    err = _error(f"x = 1 {char} 2")
    assert f"U+{ord(char):04X}" in err.message
    assert (err.span.line, err.span.column, err.span.end_column) == (1, 7, 8)


def test_unterminated_strings():
    single = _error("s = 'abc\nt = 1")
    assert single.message == "unterminated string" and single.span.column == 5
    triple = _error('s = """abc\n')
    assert isinstance(triple, IncompleteInput) and "triple-quoted" in triple.message
    assert (triple.span.column, triple.span.end_column) == (5, 8)


def test_expression_mode_errors():
    assert _error("", expression=True).message == "expected an expression"
    assert "'=' in an expression" in _error("x = 2", expression=True).message
    assert "expected an expression after '*'" in _error("2 *", expression=True).message


def test_expression_mode_accepts_line_breaks_and_leading_spaces():
    assert ast.dump(parse_expression("  1 +\n 2")) == ast.dump(parse_expression("1 + 2"))


def test_error_span_carries_the_file_name():
    assert _error_in("x = )", "script.grad").span.source == "script.grad"


def _error_in(source, filename):
    with pytest.raises(GradcliSyntaxError) as info:
        parse(source, filename)
    return info.value


def test_errors_raised_at_the_end_of_input_are_marked():
    assert isinstance(_error("for x in y:"), UnexpectedEnd)
    assert not isinstance(_error("x = 1 +\n"), UnexpectedEnd)


# --------------------------------------------------------- limits and junk
@pytest.mark.parametrize("source", [
    "(" * 10000, "(" * 10000 + "1" + ")" * 10000, "[" * 5000, "x = " + "{" * 300, "f(" * 3000,
    "-" * 10000 + "x", "1" + "+1" * 10000, "not " * 5000 + "x", "x" + ".a" * 5000, "a" + "**a" * 5000,
    "x" + "[0]" * 5000, "f" + "()" * 5000, "a" + " if b else a" * 2000, "lambda: " * 3000 + "1",
])
def test_deep_nesting_is_a_clear_error_not_a_recursion_error(source):
    err = _error(source)
    assert "nesting too deep" in err.message


def test_nesting_just_below_the_limits_is_fine():
    parse("(" * 199 + "1" + ")" * 199)
    parse("x = " + "-" * (P.MAX_DEPTH - 5) + "1")
    parse("x = 1" + "+1" * (P.MAX_DEPTH - 5))
    ast.dump(parse_expression("1" + "<1" * 10000))  # a flat chain has no depth


def test_too_many_indentation_levels():
    src = "".join("    " * i + "if x:\n" for i in range(P.MAX_BLOCKS + 5)) + "    " * (P.MAX_BLOCKS + 5) + "pass\n"
    assert "indentation" in _error(src).message


@pytest.mark.parametrize("junk", [
    "\x00", "\x00\x01\x02", "\xff\xfe", "\ufffd" * 10, "\\", "\\\\", "'", '"', "'''", "#", "@", "@@", ":", ";;",
    "\t", "\n\t\n", "{[(", ")]}", "\x1b[31m", "if", "lambda", "1e", "0x", "1__0", "..", "....", "f'{'", "f'{{}'",
    "x = \\ y", "\r", "\f", "\v", "def", "class X", "from", "import .", "x = 1 if", "*", "**", "&", "|", "~",
    bytes(range(256)).decode("latin-1"), "€" * 3, "🙂", "x\u200b", "\u2028", "a\u0301",
])
def test_junk_gives_syntax_errors_only(junk):
    for fn in (parse, parse_expression):
        try:
            fn(junk)
        except GradcliSyntaxError as e:
            assert "internal" not in e.message
            assert e.span is not None and e.span.line >= 1 and e.span.column >= 1
    assert is_incomplete(junk) in (True, False)


def test_invalid_utf8_bytes_are_a_syntax_error():
    err = _error(b"x = 1\ny = '\xff'\n")
    assert "UTF-8" in err.message and err.span.line == 2


def test_unicode_names_are_normalised_like_python():
    assert parse_expression("ｘ + 1").left.id == "x"
    expr_like_python("é + ß")
    expr_like_python("변수 * 2")


# ------------------------------------------------------------ REPL support
@pytest.mark.parametrize("source, incomplete", [
    ("x = (1,", True), ("x = [\n1,\n2", True), ("x = 1 + \\", True), ('s = """abc', True), ("if x:", True),
    ("for i in range(3):\n    print(i)", True), ("def f(x):\n    return x", True), ("if x:\n    y\nelse:", True),
    ("with no_grad(): y = 1", True), ("@dec", True), ("try:\n    x", True), ("if x:\n    y = (1,\n", True),
    ("x = 1", False), ("if x:\n", False), ("for i in range(3):\n    print(i)\n", False), ("s = 'abc", False),
    ("x = 1 +", False), ("", False), ("# comment", False), ("print(1))", False), ("try:\n    x\n", False),
    ("x = 1\ny = 2", False), ("if x:\n    pass\n  bad", False), ("x = 1 +\n", False),
    ("print(f'{x +}')", False), ("print(f'{(x}')", False),
])
def test_is_incomplete_follows_pythons_repl(source, incomplete):
    assert is_incomplete(source) is incomplete


# --------------------------------------------------------- tree and builder
def test_nodes_are_frozen_and_compare_without_spans():
    a = parse_expression("x + 1")
    b = parse_expression("x   +   1")
    assert a == b and hash(a) == hash(b) and a.span != b.span
    with pytest.raises(Exception):
        a.op = "sub"
    assert repr(parse_expression("x")) == "Name(id='x')"


def test_walk_and_dump_do_not_recurse():
    deep = parse("x = " + "-" * (P.MAX_DEPTH - 5) + "1")
    assert sum(1 for _ in ast.walk(deep)) == P.MAX_DEPTH - 5 + 4
    assert ast.dump(deep).count("UnaryOp") == P.MAX_DEPTH - 5


def test_parsing_from_several_threads_at_once():
    from concurrent.futures import ThreadPoolExecutor

    sources = [f"x{i} = f'{{a{i} + {i}}}' ^ 2\nif x{i}:\n    y = [x{i}]\n" for i in range(40)]
    expected = [ast.dump(parse(s)) for s in sources]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(lambda s: ast.dump(parse(s)), sources * 3)) == expected * 3


def test_parse_result_contains_only_nodes():
    tree = parse("\n".join(STATEMENTS) + "\n" + "\n".join(f"_ = {e}" for e in PRECEDENCE + FSTRINGS))
    for node in ast.walk(tree):
        assert isinstance(node, ast.Node)


