"""Source text -> `gradcli.lang.ast` trees, with syntax errors a person can act on.

The grammar (`grammar/gradcli.lark`) is the single source of syntax. Lark compiles
it into lexer and LALR(1) tables (`tablegen`, committed as `tables`), which the
small run-time in `lalr` drives without importing lark (see `_parser`).
The tree builder is embedded in the parser: AST nodes are made as rules reduce,
so no parse tree is built and nothing recurses over the input's nesting.

Pipeline for one parse:
  text -> `lalr.Lexer` -> `_Blocks` post-lexer (indent/dedent, brackets, nesting
  limits) -> `lalr.Parser` -> `_Builder` callbacks (AST nodes with spans)
f-string fields are parsed by the same parser, as sub-texts with mapped spans.
Errors from any stage leave as `GradcliSyntaxError` with a span and a hint;
`IncompleteInput` and `UnexpectedEnd` (subclasses) tell the REPL to read on.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from typing import Any, Optional

from gradcli.errors import GradcliSyntaxError, Span
from gradcli.lang import ast
from gradcli.lang.lalr import ParseError, Token, UnexpectedCharacters, UnexpectedToken

__all__ = [
    "parse",
    "parse_expression",
    "is_incomplete",
    "IncompleteInput",
    "UnexpectedEnd",
    "MAX_BRACKETS",
    "MAX_DEPTH",
    "MAX_BLOCKS",
]

MAX_BRACKETS = 200  # open brackets at once
MAX_DEPTH = 500  # levels in the syntax tree (what a recursive evaluator walks)
MAX_BLOCKS = 100  # levels of indentation, as in CPython


class IncompleteInput(GradcliSyntaxError):
    """The text stops inside a bracket, a triple-quoted string or after a `\\`."""


class UnexpectedEnd(GradcliSyntaxError):
    """The text ended where more was needed (e.g. the block after `if x:`)."""


# ------------------------------------------------------------------ public API
def parse(source: str, filename: str = "<input>") -> ast.Module:
    """Parse a script or REPL entry into a Module; raises GradcliSyntaxError."""
    return _run(_prepare(source, filename), filename, "file_input")


def parse_expression(source: str, filename: str = "<expr>") -> ast.Expr:
    """Parse one expression (a one-liner or the VALUE of NAME=VALUE).

    Line breaks are allowed anywhere, as inside brackets; `a, b` is a tuple.
    """
    return _run(_prepare(source, filename), filename, "eval_input")


def is_incomplete(source: str) -> bool:
    """For the REPL: does this text need more lines before it can run?

    Pass the lines typed so far joined by "\\n" (no trailing newline). True for an
    open bracket, an unterminated triple-quoted string, a trailing backslash, a
    block header without its block, or a block statement not yet ended by an
    empty line. False for complete input and for real syntax errors, which the
    REPL should report at once.
    """
    ended = source.split("\n")[-1].strip() == "" and "\n" in source
    try:
        module = parse(source)
    except IncompleteInput:
        return True
    except UnexpectedEnd:
        return not ended
    except GradcliSyntaxError:
        return False
    if ended or not module.body:
        return False
    return isinstance(module.body[-1], _COMPOUND)


_COMPOUND = (ast.If, ast.While, ast.For, ast.With, ast.FunctionDef, ast.ClassDef, ast.Try)


# ------------------------------------------------------------ parse machinery
class _Context:
    """Per-parse state shared by the post-lexer, the builder and error reporting.

    `base` is where this text starts in the outer source (f-string fields are
    parsed as sub-texts); spans are mapped back so they always point into the
    file the user wrote.
    """

    __slots__ = ("source", "filename", "expression", "base", "depth", "parens", "last", "prev", "real", "head",
                 "prev_head")

    def __init__(self, source: str, filename: str, expression: bool, base=None, depth=None):
        self.source = source
        self.filename = filename
        self.expression = expression
        self.base = base
        self.depth: dict[int, int] = {} if depth is None else depth  # id(node) -> tree depth
        self.parens: dict[int, tuple] = {}  # id(node) -> (node, start, end) of its outermost parentheses
        self.last = None  # last token handed to the parser
        self.prev = None  # the one before it
        self.real = None  # last token that is not a newline, indent or dedent
        self.head = None  # first token of the current logical line
        self.prev_head = None

    def pos(self, line: int, column: int) -> tuple[int, int]:
        if self.base is None:
            return line, column
        base_line, base_column = self.base
        if line == 1:
            return base_line, base_column + column - 1
        return base_line + line - 1, column

    def span(self, line: int, column: int, end_line: int, end_column: int) -> Span:
        a = self.pos(line, column)
        b = self.pos(end_line, end_column)
        return Span(a[0], a[1], b[0], b[1], self.filename)


_contexts: list[_Context] = []
_LOCK = threading.RLock()


def _prepare(source: Any, filename: str) -> str:
    """Text as the lexer wants it: str, no BOM, every line break a plain \\n."""
    if isinstance(source, (bytes, bytearray)):
        try:
            source = bytes(source).decode("utf-8")
        except UnicodeDecodeError as e:
            line = source.count(b"\n", 0, e.start) + 1
            column = e.start - (source.rfind(b"\n", 0, e.start) + 1) + 1
            raise GradcliSyntaxError(
                "the input is not UTF-8 text",
                hint="save the file as UTF-8",
                span=Span(line, column, line, column + 1, filename),
            ) from None
    if not isinstance(source, str):
        raise GradcliSyntaxError(f"cannot parse a {type(source).__name__}, expected text")
    if source.startswith("\ufeff"):
        source = source[1:]
    if "\r" in source:
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    return source


def _run(text: str, filename: str, start: str, base=None, depth=None):
    with _LOCK:  # the context stack is shared; f-string fields re-enter from the same thread
        return _run_locked(text, filename, start, base, depth)


def _run_locked(text: str, filename: str, start: str, base, depth):
    ctx = _Context(text, filename, start == "eval_input", base, depth)
    _contexts.append(ctx)
    try:
        return _parser().parse(text + "\n", start=start)
    except GradcliSyntaxError:
        raise
    except RecursionError:
        raise GradcliSyntaxError(
            "nesting too deep", hint="split the expression into several assignments",
            span=Span(1, 1, 1, 2, filename),
        ) from None
    except MemoryError:
        raise GradcliSyntaxError("the input is too large to parse", span=Span(1, 1, 1, 2, filename)) from None
    except ParseError as e:
        raise _translate(e, ctx) from None
    except Exception as e:  # noqa: BLE001 - a bug; still a diagnostic, not a traceback
        raise GradcliSyntaxError(
            f"internal parser error ({type(e).__name__}: {e})",
            hint="this is a bug in gradcli; please report the input",
            span=Span(1, 1, 1, 2, filename),
        ) from e
    finally:
        _contexts.pop()


# ------------------------------------------------------------ the tables
_PARSER = None


def _parser():
    """The run-time parser over the generated tables (`gradcli.lang.tables`, ~1 ms to load).

    The tables record the grammar text they were built from; if the grammar file
    differs (it was edited), they are rebuilt from it with lark, so the grammar
    file is always what parses.
    """
    global _PARSER
    if _PARSER is None:
        from gradcli.lang import lalr
        from gradcli.lang.tables import TABLES

        tables = TABLES
        text = grammar_text()
        if text != tables["grammar"]:
            from gradcli.lang import tablegen

            tables = tablegen.build(text)
        _PARSER = lalr.Parser(tables, _Builder(), _Blocks().process)
    return _PARSER


def grammar_text() -> str:
    """The grammar file: in the installed package `gradcli.grammar`, or in the repo."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for candidate in (os.path.join(here, "grammar", "gradcli.lark"),
                      os.path.join(os.path.dirname(here), "grammar", "gradcli.lark")):
        if os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as f:
                return f.read()
    from importlib.resources import files  # e.g. installed in a zip

    return files("gradcli.grammar").joinpath("gradcli.lark").read_text(encoding="utf-8")


# ------------------------------------------------------------ the post-lexer
_OPENERS = {"LPAR": "RPAR", "LSQB": "RSQB", "LBRACE": "RBRACE"}
_CLOSERS = {"RPAR", "RSQB", "RBRACE"}


class _Blocks:
    """Lark post-lexer: blocks from indentation, newlines dropped inside brackets.

    Also enforces the nesting limits and reports bracket mistakes with the
    position of the bracket that opened them.
    """

    always_accept = ("_NL",)

    def process(self, stream):
        return _blocks(stream, _contexts[-1])


def _blocks(stream, ctx: _Context):
    indents = [0]
    brackets: list = []
    first = True
    tok = None
    for tok in stream:
        kind = tok.type
        if kind == "_NL":
            if brackets or ctx.expression:
                continue
            first = False
            _note(ctx, tok)
            yield tok
            indent = tok.value.rsplit("\n", 1)[1]
            width = _width(indent)
            line = tok.end_line
            if width > indents[-1]:
                if len(indents) > MAX_BLOCKS:
                    raise GradcliSyntaxError(
                        f"too many levels of indentation (more than {MAX_BLOCKS})",
                        hint="move inner blocks into functions",
                        span=ctx.span(line, 1, line, len(indent) + 1),
                    )
                indents.append(width)
                yield Token("_INDENT", indent, tok.end_pos - len(indent), line, 1, line, len(indent) + 1, tok.end_pos)
            else:
                while width < indents[-1]:
                    indents.pop()
                    yield Token("_DEDENT", "", tok.end_pos, line, len(indent) + 1, line, len(indent) + 1, tok.end_pos)
                if width != indents[-1]:
                    raise GradcliSyntaxError(
                        "this line's indentation does not match any enclosing block",
                        hint="indent it exactly like the lines of the block it belongs to",
                        span=ctx.span(line, 1, line, len(indent) + 1),
                    )
            continue
        if first:
            first = False
            indent = ctx.source[ctx.source.rfind("\n", 0, tok.start_pos) + 1:tok.start_pos]
            if indent.strip("\f") and not ctx.expression:
                raise GradcliSyntaxError(
                    "unexpected indent",
                    hint="the first line must start in column 1",
                    span=ctx.span(tok.line, 1, tok.line, tok.column),
                )
        if kind == "NAME" and not tok.value.isidentifier():
            _bad_name(ctx, tok)
        if kind in _OPENERS:
            brackets.append(tok)
            if len(brackets) > MAX_BRACKETS:
                raise GradcliSyntaxError(
                    f"nesting too deep (more than {MAX_BRACKETS} open brackets)",
                    hint="split the expression into several assignments",
                    span=_tok_span(ctx, tok),
                )
        elif kind in _CLOSERS:
            if not brackets:
                raise GradcliSyntaxError(f"unmatched '{tok.value}'", hint="remove it, or add the opening bracket",
                                         span=_tok_span(ctx, tok))
            opener = brackets.pop()
            if _OPENERS[opener.type] != kind:
                line, col = ctx.pos(opener.line, opener.column)
                raise GradcliSyntaxError(
                    f"closing '{tok.value}' does not match '{opener.value}' opened at line {line}, column {col}",
                    hint=f"close '{opener.value}' with '{_CLOSE_CHAR[opener.value]}'",
                    span=_tok_span(ctx, tok),
                )
        _note(ctx, tok)
        yield tok
    if brackets:
        opener = brackets[-1]
        line, col = ctx.pos(opener.line, opener.column)
        raise IncompleteInput(
            f"unclosed '{opener.value}' opened at line {line}, column {col}",
            hint=f"close it with '{_CLOSE_CHAR[opener.value]}'",
            span=_tok_span(ctx, opener),
        )
    while len(indents) > 1:
        indents.pop()
        pos = tok.end_pos if tok is not None else 0
        line = tok.end_line if tok is not None else 1
        yield Token("_DEDENT", "", pos, line, 1, line, 1, pos)


_CLOSE_CHAR = {"(": ")", "[": "]", "{": "}"}


def _bad_name(ctx: _Context, tok) -> None:
    """NAME's regex is wider than Python identifiers (it takes '²'); report the first bad character."""
    text = tok.value
    i = next(k for k in range(len(text)) if not text[:k + 1].isidentifier())
    line, column = ctx.pos(tok.line, tok.column + i)
    raise _invalid_character(text[i], Span(line, column, line, column + 1, ctx.filename))


def _note(ctx: _Context, tok) -> None:
    """Remember the last tokens and line heads, for error messages."""
    layout = tok.type in ("_NL", "_INDENT", "_DEDENT")
    if not layout:
        if ctx.last is None or ctx.last.type in ("_NL", "_INDENT", "_DEDENT"):
            ctx.prev_head, ctx.head = ctx.head, tok
        ctx.real = tok
    ctx.prev, ctx.last = ctx.last, tok


def _width(indent: str) -> int:
    """Indentation width as Python counts it: tabs to the next multiple of 8."""
    width = 0
    for ch in indent:
        if ch == "\t":
            width = (width // 8 + 1) * 8
        elif ch == "\f":
            width = 0
        else:
            width += 1
    return width


def _tok_span(ctx: _Context, tok) -> Span:
    line, column = tok.line or 1, tok.column or 1
    end_line = tok.end_line or line
    end_column = tok.end_column or column + 1
    if (end_line, end_column) <= (line, column):
        end_line, end_column = line, column + 1
    return ctx.span(line, column, end_line, end_column)


# --------------------------------------------------------- tree construction
def _is_tok(x) -> bool:
    return isinstance(x, str) and hasattr(x, "type")


def _start(ctx: _Context, x) -> tuple[int, int]:
    """Where child `x` starts in its parent: a parenthesised node starts at its '('
    (Python's convention: `(-a) ** b` spans from the '(')."""
    if isinstance(x, ast.Node):
        outer = ctx.parens.get(id(x))
        if outer is not None and outer[0] is x:
            return outer[1]
        return x.span.line, x.span.column
    if isinstance(x, _Part):
        return x.first
    return ctx.pos(x.line, x.column)


def _end(ctx: _Context, x) -> tuple[int, int]:
    if isinstance(x, ast.Node):
        outer = ctx.parens.get(id(x))
        if outer is not None and outer[0] is x:
            return outer[2]
        return x.span.end_line, x.span.end_column
    if isinstance(x, _Part):
        return x.last
    return ctx.pos(x.end_line, x.end_column)


class _Part:
    """An intermediate result that is not a node (an argument list, a clause...)."""

    __slots__ = ("kind", "value", "first", "last")

    def __init__(self, kind: str, value, first: tuple[int, int], last: tuple[int, int]):
        self.kind, self.value, self.first, self.last = kind, value, first, last


_BINOPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "//": "floordiv", "%": "mod", "@": "matmul",
           "**": "pow", "^": "pow"}
_AUGOPS = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "div", "//=": "floordiv", "%=": "mod",
           "**=": "pow", "^=": "pow", "@=": "matmul"}
_CMPOPS = {"<": "lt", ">": "gt", "==": "eq", ">=": "ge", "<=": "le", "!=": "ne", "in": "in",
           "notin": "not_in", "is": "is", "isnot": "is_not"}
_CONSTS = {"None": None, "True": True, "False": False}


class _Builder:
    """Lark callbacks, one per grammar rule: children in, AST node (or _Part) out.

    Children include every token (keep_all_tokens), so each node's span runs from
    its first token to its last.
    """

    # -- helpers --------------------------------------------------------------
    @staticmethod
    def _span(first, last) -> Span:
        ctx = _contexts[-1]
        a = _start(ctx, first)
        b = _end(ctx, last)
        return Span(a[0], a[1], b[0], b[1], ctx.filename)

    @staticmethod
    def _new(cls, *fields, span: Span):
        """Make a node and enforce MAX_DEPTH (deep trees would overflow the runner)."""
        node = cls(*fields, span=span)
        depth_of = _contexts[-1].depth
        deepest = 0
        for value in fields:
            if isinstance(value, ast.Node):
                deepest = max(deepest, depth_of.get(id(value), 1))
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, ast.Node):
                        deepest = max(deepest, depth_of.get(id(item), 1))
        if deepest >= MAX_DEPTH:
            raise GradcliSyntaxError(
                f"nesting too deep (more than {MAX_DEPTH} levels)",
                hint="split the expression into several assignments",
                span=span,
            )
        depth_of[id(node)] = deepest + 1
        return node

    def _node(self, cls, children, *fields):
        return self._new(cls, *fields, span=self._span(children[0], children[-1]))

    # -- module and statements -------------------------------------------------
    def file_input(self, c):
        body = _flatten(c)
        ctx = _contexts[-1]
        lines = ctx.source.split("\n")
        span = Span(1, 1, len(lines), len(lines[-1]) + 1, ctx.filename)
        return ast.Module(tuple(body), span=span)

    def eval_input(self, c):
        return c[0]

    def simple_stmt(self, c):
        return _flatten(c)

    def expr_stmt(self, c):
        return self._node(ast.ExprStmt, c, c[0])

    def assign(self, c):
        exprs = c[0::2]
        for target in exprs[:-1]:
            _check_target(target, "assign to")
        return self._node(ast.Assign, c, tuple(exprs[:-1]), exprs[-1])

    def aug_assign(self, c):
        target, op, value = c
        if not isinstance(target, (ast.Name, ast.Attribute, ast.Subscript)):
            raise GradcliSyntaxError(
                f"cannot use '{op}' on {_describe(target)}",
                hint="augmented assignment needs one name, attribute or item on the left",
                span=target.span,
            )
        return self._node(ast.AugAssign, c, target, _AUGOPS[str(op)], value)

    def pass_stmt(self, c):
        return self._node(ast.Pass, c)

    def break_stmt(self, c):
        return self._node(ast.Break, c)

    def continue_stmt(self, c):
        return self._node(ast.Continue, c)

    def return_stmt(self, c):
        return self._node(ast.Return, c, c[1] if len(c) > 1 else None)

    def raise_stmt(self, c):
        exc = c[1] if len(c) > 1 else None
        cause = c[3] if len(c) > 3 else None
        return self._node(ast.Raise, c, exc, cause)

    def del_stmt(self, c):
        target = c[1]
        targets = target.elts if isinstance(target, ast.TupleExpr) else (target,)
        for t in targets:
            _check_target(t, "delete")
        return self._node(ast.Delete, c, tuple(targets))

    def assert_stmt(self, c):
        return self._node(ast.Assert, c, c[1], c[3] if len(c) > 3 else None)

    def global_stmt(self, c):
        names = tuple(str(t) for t in c[1::2])
        return self._node(ast.Global, c, names, c[0] == "nonlocal")

    def import_stmt(self, c):
        return [x for x in c if isinstance(x, ast.Import)]

    def dotted_as_name(self, c):
        module = c[0]
        alias = str(c[2]) if len(c) > 2 else None
        return self._node(ast.Import, c, module.value, alias)

    def dotted_name(self, c):
        ctx = _contexts[-1]
        return _Part("dotted", "".join(c), _start(ctx, c[0]), _end(ctx, c[-1]))

    def import_from(self, c):
        module, level = c[1].value
        rest = c[3:]
        if _is_tok(rest[0]) and rest[0] == "*":
            names: tuple = (("*", None),)
        else:
            names = next(x for x in rest if isinstance(x, _Part)).value
        return self._node(ast.ImportFrom, c, module, names, level)

    def import_module(self, c):
        level = c[0].value if c[0].kind == "dots" else 0
        module = c[-1].value if c[-1].kind == "dotted" else ""
        return _Part("module", (module, level), c[0].first, c[-1].last)

    def import_dots(self, c):
        ctx = _contexts[-1]
        return _Part("dots", sum(len(t) for t in c), _start(ctx, c[0]), _end(ctx, c[-1]))

    def import_names(self, c):
        parts = [x for x in c if isinstance(x, _Part)]
        return _Part("names", tuple(p.value for p in parts), parts[0].first, parts[-1].last)

    def import_name(self, c):
        ctx = _contexts[-1]
        return _Part("name", (str(c[0]), str(c[2]) if len(c) > 2 else None), _start(ctx, c[0]), _end(ctx, c[-1]))

    # -- compound statements ---------------------------------------------------
    def suite(self, c):
        body = tuple(_flatten(c))
        return _Part("suite", body, _start(_contexts[-1], body[0]), _end(_contexts[-1], body[-1]))

    def elif_clause(self, c):
        return _Part("elif", (c[1], c[3].value), _start(_contexts[-1], c[0]), c[3].last)

    def else_clause(self, c):
        return _Part("else", c[2].value, _start(_contexts[-1], c[0]), c[2].last)

    def finally_clause(self, c):
        return _Part("finally", c[2].value, _start(_contexts[-1], c[0]), c[2].last)

    def if_stmt(self, c):
        clauses = [x for x in c[4:] if isinstance(x, _Part)]
        orelse: tuple = ()
        for clause in reversed(clauses):
            if clause.kind == "else":
                orelse = clause.value
            else:
                test, body = clause.value
                orelse = (self._new(ast.If, test, body, orelse, span=self._span(clause, orelse[-1] if orelse else clause)),)
        return self._new(ast.If, c[1], c[3].value, orelse, span=self._span(c[0], c[-1]))

    def while_stmt(self, c):
        orelse = c[4].value if len(c) > 4 else ()
        return self._node(ast.While, c, c[1], c[3].value, orelse)

    def for_stmt(self, c):
        _check_target(c[1], "assign to")
        orelse = c[6].value if len(c) > 6 else ()
        return self._node(ast.For, c, c[1], c[3], c[5].value, orelse)

    def with_stmt(self, c):
        items = [x.value for x in c if isinstance(x, _Part) and x.kind == "with_item"]
        body = c[-1].value
        span = self._span(c[0], c[-1])
        for context, target in reversed(items):
            body = (self._new(ast.With, context, target, body, span=span),)
        return body[0]

    def with_item(self, c):
        target = c[2] if len(c) > 2 else None
        if target is not None:
            _check_target(target, "assign to")
        return _Part("with_item", (c[0], target), _start(_contexts[-1], c[0]), _end(_contexts[-1], c[-1]))

    def try_stmt(self, c):
        handlers = tuple(x for x in c if isinstance(x, ast.ExceptHandler))
        orelse: tuple = ()
        final: tuple = ()
        for x in c:
            if isinstance(x, _Part) and x.kind == "else":
                orelse = x.value
            elif isinstance(x, _Part) and x.kind == "finally":
                final = x.value
        return self._node(ast.Try, c, c[2].value, handlers, orelse, final)

    def except_clause(self, c):
        exc_type = c[1] if isinstance(c[1], ast.Expr) else None
        name = str(c[3]) if len(c) > 4 and _is_tok(c[2]) and c[2] == "as" else None
        return self._node(ast.ExceptHandler, c, exc_type, name, c[-1].value)

    def funcdef(self, c):
        params = next((x.value for x in c if isinstance(x, _Part) and x.kind == "params"), ((), (), None, None))
        names, defaults, vararg, kwarg = params
        return self._node(ast.FunctionDef, c, str(c[1]), names, defaults, c[-1].value, vararg, kwarg)

    def parameters(self, c):
        items = [x for x in c if isinstance(x, _Part)]
        return _params(items, "params")

    def param(self, c):
        default = c[-1] if len(c) > 1 and _is_tok(c[-2]) and c[-2] == "=" else None
        ctx = _contexts[-1]
        return _Part("param", (c[0], default), _start(ctx, c[0]), _end(ctx, c[-1]))

    def star_param(self, c):
        ctx = _contexts[-1]
        return _Part("star", (c[1], None), _start(ctx, c[0]), _end(ctx, c[-1]))

    def starstar_param(self, c):
        ctx = _contexts[-1]
        return _Part("starstar", (c[1], None), _start(ctx, c[0]), _end(ctx, c[-1]))

    lambda_param = param
    lambda_star_param = star_param
    lambda_starstar_param = starstar_param

    def lambda_params(self, c):
        return _params([x for x in c if isinstance(x, _Part)], "params")

    def classdef(self, c):
        args = next((x for x in c if isinstance(x, _Part) and x.kind in ("args", "genexp")), None)
        bases, keywords = (), ()
        if args is not None:
            positional, keywords, star, starstar = self._call_args(args, c[2], c[4])
            if star or starstar:
                raise GradcliSyntaxError("'*' arguments are not allowed in a class statement",
                                         span=self._span(args, args))
            bases = positional
        return self._node(ast.ClassDef, c, str(c[1]), bases, keywords, c[-1].value)

    def decorated(self, c):
        node = c[-1].replace(decorators=tuple(c[:-1]))
        depth = _contexts[-1].depth
        depth[id(node)] = depth.get(id(c[-1]), 1)
        return node

    def decorator(self, c):
        return c[1]

    # -- expressions -----------------------------------------------------------
    def ifexp(self, c):
        return self._node(ast.IfExp, c, c[2], c[0], c[4])

    def lambdef(self, c):
        params = c[1].value if len(c) == 4 else ((), (), None, None)
        names, defaults, vararg, kwarg = params
        return self._node(ast.Lambda, c, names, defaults, c[-1], vararg, kwarg)

    def or_test(self, c):
        return self._node(ast.BoolOp, c, "or", tuple(c[0::2]))

    def and_test(self, c):
        return self._node(ast.BoolOp, c, "and", tuple(c[0::2]))

    def not_op(self, c):
        return self._node(ast.UnaryOp, c, "not", c[1])

    def comparison(self, c):
        return self._node(ast.Compare, c, tuple(c[1::2]), tuple(c[0::2]))

    def comp_op(self, c):
        return _CMPOPS["".join(c)]

    def _chain(self, c):
        node = c[0]
        for i in range(1, len(c), 2):
            node = self._new(ast.BinOp, _BINOPS[str(c[i])], node, c[i + 1], span=self._span(c[0], c[i + 1]))
        return node

    arith_expr = _chain
    term = _chain

    def power(self, c):
        return self._node(ast.BinOp, c, "pow", c[0], c[2])

    def unary(self, c):
        return self._node(ast.UnaryOp, c, "neg" if c[0] == "-" else "pos", c[1])

    def call(self, c):
        func = c[0]
        if isinstance(func, ast.Num):
            raise GradcliSyntaxError(
                "a number cannot be called",
                hint=f"to multiply, write {_source_text(func)}*(...)",
                span=self._span(c[0], c[-1]),
            )
        args = self._call_args(c[2], c[1], c[3]) if len(c) == 4 else ((), (), (), ())
        return self._node(ast.Call, c, func, *args)

    def _call_args(self, part: _Part, lpar, rpar) -> tuple:
        """The fields of a Call; a lone generator argument spans the call's parentheses."""
        if part.kind == "genexp":
            elt, gens = part.value
            return (self._new(ast.GeneratorExp, elt, gens, span=self._span(lpar, rpar)),), (), (), ()
        return part.value

    def subscript(self, c):
        return self._node(ast.Subscript, c, c[0], c[2])

    def attribute(self, c):
        return self._node(ast.Attribute, c, c[0], _identifier(c[2]))

    def paren(self, c):
        if len(c) == 2:
            return self._node(ast.TupleExpr, c, ())
        inner = c[1]
        if inner.kind == "gen":
            elt, gens = inner.value
            return self._node(ast.GeneratorExp, c, elt, gens)
        items, trailing_comma = inner.value
        if len(items) == 1 and not trailing_comma:
            ctx = _contexts[-1]
            ctx.parens[id(items[0])] = (items[0], _start(ctx, c[0]), _end(ctx, c[-1]))
            return items[0]
        return self._node(ast.TupleExpr, c, items)

    def list_display(self, c):
        if len(c) == 2:
            return self._node(ast.ListExpr, c, ())
        inner = c[1]
        if inner.kind == "gen":
            elt, gens = inner.value
            return self._node(ast.ListComp, c, elt, gens)
        return self._node(ast.ListExpr, c, inner.value[0])

    def dict_display(self, c):
        pairs = c[1].value if len(c) == 3 else ()
        return self._node(ast.DictExpr, c, tuple(k for k, _ in pairs), tuple(v for _, v in pairs))

    def dict_items(self, c):
        pairs = [x for x in c if isinstance(x, _Part)]
        return _Part("dict", tuple(p.value for p in pairs), pairs[0].first, pairs[-1].last)

    def dict_item(self, c):
        ctx = _contexts[-1]
        return _Part("pair", (c[0], c[2]), _start(ctx, c[0]), _end(ctx, c[2]))

    def testlist_comp(self, c):
        ctx = _contexts[-1]
        if isinstance(c[-1], _Part) and c[-1].kind == "comp":
            return _Part("gen", (c[0], c[-1].value), _start(ctx, c[0]), c[-1].last)
        items = tuple(x for x in c if not _is_tok(x))
        return _Part("seq", (items, _is_tok(c[-1])), _start(ctx, c[0]), _end(ctx, c[-1]))

    def name(self, c):
        return self._node(ast.Name, c, _identifier(c[0]))

    def number(self, c):
        return self._node(ast.Num, c, _number(c[0], self._span(c[0], c[0])))

    def strings(self, c):
        return _strings(self, c)

    def ellipsis(self, c):
        return self._node(ast.Ellipsis, c)

    def const(self, c):
        return self._node(ast.Const, c, _CONSTS[str(c[0])])

    def subscripts(self, c):
        items = tuple(x for x in c if not _is_tok(x))
        if len(items) == 1 and not _is_tok(c[-1]):
            return items[0]
        return self._node(ast.TupleExpr, c, items)

    def slice(self, c):
        bounds: list = [None, None, None]
        slot = 0
        for x in c:
            if _is_tok(x):
                slot += 1
            else:
                bounds[slot] = x
        return self._node(ast.Slice, c, *bounds)

    def arguments(self, c):
        positional: list = []
        keywords: list = []
        star: list = []
        starstar: list = []
        seen: set = set()
        for x in c:
            if _is_tok(x):
                continue
            if isinstance(x, ast.Keyword):
                if x.name in seen:
                    raise GradcliSyntaxError(f"keyword argument '{x.name}' repeated", span=x.span)
                seen.add(x.name)
                keywords.append(x)
            elif isinstance(x, _Part):
                (star if x.kind == "star" else starstar).append(x.value)
            else:
                if keywords or starstar:
                    raise GradcliSyntaxError(
                        "positional argument after a keyword argument",
                        hint="put positional arguments first",
                        span=x.span,
                    )
                if star:
                    raise GradcliSyntaxError(
                        "positional arguments after *args are not supported",
                        hint="put *args last among the positional arguments",
                        span=x.span,
                    )
                positional.append(x)
        value = (tuple(positional), tuple(keywords), tuple(star), tuple(starstar))
        return _Part("args", value, _start(_contexts[-1], c[0]), _end(_contexts[-1], c[-1]))

    def genexp_argument(self, c):
        return _Part("genexp", (c[0], c[1].value), _start(_contexts[-1], c[0]), c[1].last)

    def kwarg(self, c):
        return self._node(ast.Keyword, c, _identifier(c[0]), c[2])

    def star_arg(self, c):
        return _Part("star", c[1], _start(_contexts[-1], c[0]), _end(_contexts[-1], c[1]))

    def starstar_arg(self, c):
        return _Part("starstar", c[1], _start(_contexts[-1], c[0]), _end(_contexts[-1], c[1]))

    def comp_for(self, c):
        gens: list = []
        for clause in c:
            if clause.kind == "for":
                target, iterable = clause.value
                gens.append([target, iterable, [], clause])
            else:
                gens[-1][2].append(clause.value)
                gens[-1][3] = clause
        out = []
        for target, iterable, ifs, last in gens:
            out.append(self._new(ast.Comprehension, target, iterable, tuple(ifs), span=self._span(target, last)))
        return _Part("comp", tuple(out), c[0].first, c[-1].last)

    def comp_for_clause(self, c):
        _check_target(c[1], "assign to")
        return _Part("for", (c[1], c[3]), _start(_contexts[-1], c[0]), _end(_contexts[-1], c[3]))

    def comp_if_clause(self, c):
        return _Part("if", c[1], _start(_contexts[-1], c[0]), _end(_contexts[-1], c[1]))

    def testlist(self, c):
        return self._node(ast.TupleExpr, c, tuple(x for x in c if not _is_tok(x)))

    exprlist = testlist


def _flatten(children) -> list:
    out = []
    for x in children:
        if isinstance(x, list):
            out.extend(x)
        elif isinstance(x, ast.Stmt):
            out.append(x)
        elif isinstance(x, _Part) and x.kind == "suite":
            out.extend(x.value)
    return out


def _params(items: list, kind: str) -> _Part:
    """Check a parameter list the way Python does and split it into fields."""
    names: list[str] = []
    defaults: list = []
    vararg = kwarg = None
    seen: set = set()
    for item in items:
        tok, default = item.value
        name = _identifier(tok)
        span = _contexts[-1].span(tok.line, tok.column, tok.end_line, tok.end_column)
        if name in seen:
            raise GradcliSyntaxError(f"duplicate parameter '{name}'", span=span)
        seen.add(name)
        if kwarg is not None:
            raise GradcliSyntaxError(f"parameter '{name}' after '**{kwarg}'", hint="'**' must come last", span=span)
        if item.kind == "star":
            vararg = name
        elif item.kind == "starstar":
            kwarg = name
        else:
            if vararg is not None:
                raise GradcliSyntaxError(
                    f"parameter '{name}' after '*{vararg}' is not supported",
                    hint="put *args after the other parameters", span=span,
                )
            if default is not None:
                defaults.append(default)
            elif defaults:
                raise GradcliSyntaxError(
                    f"parameter '{name}' without a default follows one with a default",
                    hint="put parameters with defaults last", span=span,
                )
            names.append(name)
    return _Part(kind, (tuple(names), tuple(defaults), vararg, kwarg), items[0].first, items[-1].last)


def _identifier(tok) -> str:
    """Names are NFKC-normalised, as Python does (so 'ｘ' and 'x' are one name)."""
    text = str(tok)
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _describe(node) -> str:
    if isinstance(node, (ast.Num, ast.Str, ast.FString, ast.Const, ast.Ellipsis)):
        return "a literal"
    if isinstance(node, ast.Call):
        return "a function call"
    if isinstance(node, ast.Compare):
        return "a comparison"
    if isinstance(node, ast.Lambda):
        return "a lambda"
    if isinstance(node, (ast.TupleExpr, ast.ListExpr)):
        return "a tuple" if isinstance(node, ast.TupleExpr) else "a list"
    return "an expression"


def _check_target(node, what: str) -> None:
    """Reject `1 = x`, `f() = 3` and the like, pointing at the offending part."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Name, ast.Attribute, ast.Subscript)):
            continue
        if isinstance(n, (ast.TupleExpr, ast.ListExpr)):
            stack.extend(n.elts)
            continue
        hint = "did you mean '=='?" if isinstance(n, (ast.Call, ast.Compare)) and what == "assign to" else \
            "the left side must be a name, an attribute (x.grad) or an item (x[0])"
        raise GradcliSyntaxError(f"cannot {what} {_describe(n)}", hint=hint, span=n.span)


def _source_text(node: ast.Node) -> str:
    ctx = _contexts[-1]
    s = node.span
    if s.line != s.end_line:
        return "..."
    if ctx.base is None:
        line = ctx.source.split("\n")[s.line - 1]
        return line[s.column - 1:s.end_column - 1]
    return "..."


# ---------------------------------------------------------------- literals
_INT_DIGITS = 4300  # CPython's default limit for int literals


def _number(text: str, span: Span):
    t = text.replace("_", "")
    if t[-1] in "jJ":
        raise GradcliSyntaxError("complex numbers are not supported", span=span)
    try:
        if t[:2].lower() in ("0x", "0o", "0b"):
            return int(t, 0)
        if "." in t or "e" in t or "E" in t:
            return float(t)
        if len(t) > _INT_DIGITS:
            raise GradcliSyntaxError(
                f"integer literal too long ({len(t)} digits, the limit is {_INT_DIGITS})",
                hint="write it as a power, e.g. 10**5000",
                span=span,
            )
        if len(t) > 1 and t[0] == "0" and t.strip("0"):
            raise GradcliSyntaxError(
                "leading zeros are not allowed in integer literals",
                hint=f"write {t.lstrip('0')}, or 0o{t.lstrip('0')} for an octal number",
                span=span,
            )
        return int(t)
    except ValueError:
        raise GradcliSyntaxError(f"invalid number '{text}'", span=span) from None


_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n",
                   "r": "\r", "t": "\t", "v": "\v", "\n": ""}
_HEX = set("0123456789abcdefABCDEF")


def _unescape(s: str, span: Span) -> str:
    """Decode backslash escapes the way Python does for a str literal."""
    if "\\" not in s:
        return s
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        j = s.find("\\", i)
        if j < 0:
            out.append(s[i:])
            break
        out.append(s[i:j])
        if j + 1 >= n:
            out.append("\\")
            break
        c = s[j + 1]
        if c in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[c])
            i = j + 2
        elif c in "01234567":
            k = j + 1
            while k < n and k < j + 4 and s[k] in "01234567":
                k += 1
            out.append(chr(int(s[j + 1:k], 8)))
            i = k
        elif c in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[c]
            digits = s[j + 2:j + 2 + width]
            if len(digits) != width or not set(digits) <= _HEX:
                raise GradcliSyntaxError(f"truncated \\{c} escape in a string", span=span,
                                         hint=f"\\{c} needs exactly {width} hex digits")
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise GradcliSyntaxError(f"invalid \\{c} escape (beyond U+10FFFF)", span=span)
            out.append(chr(code))
            i = j + 2 + width
        elif c == "N":
            k = s.find("}", j)
            if not s.startswith("{", j + 2) or k < 0:
                raise GradcliSyntaxError("malformed \\N{...} escape in a string", span=span)
            try:
                out.append(unicodedata.lookup(s[j + 3:k]))
            except KeyError:
                raise GradcliSyntaxError(f"unknown Unicode character name '{s[j + 3:k]}'", span=span) from None
            i = k + 1
        else:  # unknown escapes keep their backslash, as in Python
            out.append("\\" + c)
            i = j + 2
    return "".join(out)


_PREFIX = re.compile(r"[A-Za-z]*")


def _strings(builder: _Builder, toks) -> ast.Expr:
    """Adjacent string literals, concatenated; any f-string makes it an FString."""
    ctx = _contexts[-1]
    parts: list = []
    is_f = False
    for tok in toks:
        value = str(tok)
        prefix = _PREFIX.match(value).group().lower()
        quote = 3 if value[len(prefix):len(prefix) + 3] in ('"""', "'''") else 1
        body_start, body_end = len(prefix) + quote, len(value) - quote
        tok_span = _tok_span(ctx, tok)
        if "b" in prefix:
            raise GradcliSyntaxError("bytes literals (b'...') are not supported", span=tok_span,
                                     hint="use a normal string")
        raw = "r" in prefix
        if "f" in prefix:
            is_f = True
            sub, _ = _fstring(builder, tok, body_start, body_end, raw, 0, False)
            parts.extend(sub)
        else:
            body = value[body_start:body_end]
            parts.append(builder._new(ast.Str, body if raw else _unescape(body, tok_span), span=tok_span))
    span = builder._span(toks[0], toks[-1])
    if not is_f:
        return builder._new(ast.Str, "".join(p.value for p in parts), span=span)
    return builder._new(ast.FString, _merge_str(builder, parts), span=span)


def _merge_str(builder: _Builder, parts: list) -> tuple:
    out: list = []
    for p in parts:
        if isinstance(p, ast.Str) and not p.value:
            continue
        if isinstance(p, ast.Str) and out and isinstance(out[-1], ast.Str):
            prev = out.pop()
            p = builder._new(ast.Str, prev.value + p.value, span=builder._span(prev, p))
        out.append(p)
    return tuple(out)


def _token_pos(tok, offset: int) -> tuple[int, int]:
    """(line, column) of character `offset` inside a token, in the current context."""
    value = str(tok)
    newlines = value.count("\n", 0, offset)
    if newlines == 0:
        return _contexts[-1].pos(tok.line, tok.column + offset)
    return _contexts[-1].pos(tok.line + newlines, offset - value.rfind("\n", 0, offset))


def _offset_span(tok, a: int, b: int) -> Span:
    p, q = _token_pos(tok, a), _token_pos(tok, b)
    return Span(p[0], p[1], q[0], q[1], _contexts[-1].filename)


def _fstring(builder: _Builder, tok, i: int, end: int, raw: bool, nesting: int, in_spec: bool):
    """Split an f-string body (or a format spec) into Str and FormattedValue parts.

    Returns the parts and the index where scanning stopped (the '}' that ends a
    format spec, or `end`).
    """
    v = str(tok)
    parts: list = []
    lit: list[str] = []
    lit_start = i

    def flush(upto: int) -> None:
        if lit:
            span = _offset_span(tok, lit_start, upto)
            text = "".join(lit)
            parts.append(builder._new(ast.Str, text if raw else _unescape(text, span), span=span))
            lit.clear()

    while i < end:
        c = v[i]
        if c == "\\" and not raw:
            if v.startswith("N{", i + 1):
                k = v.find("}", i, end)
                k = end - 1 if k < 0 else k
                lit.append(v[i:k + 1])
                i = k + 1
            elif i + 1 < end and v[i + 1] in "{}":
                lit.append("\\")
                i += 1
            else:
                lit.append(v[i:i + 2])
                i += 2
            continue
        if c == "{":
            if not in_spec and v.startswith("{", i + 1):
                lit.append("{")
                i += 2
                continue
            flush(i)
            field, i = _fstring_field(builder, tok, i, end, raw, nesting)
            parts.extend(field)
            lit_start = i
            continue
        if c == "}":
            if in_spec:
                break
            if v.startswith("}", i + 1):
                lit.append("}")
                i += 2
                continue
            raise GradcliSyntaxError("single '}' is not allowed in an f-string", hint="write '}}' for a literal brace",
                                     span=_offset_span(tok, i, i + 1))
        lit.append(c)
        i += 1
    flush(i)
    return parts, i


def _fstring_field(builder: _Builder, tok, i: int, end: int, raw: bool, nesting: int):
    """Parse one `{expr[=][!c][:spec]}` field starting at v[i] == '{'."""
    v = str(tok)
    open_span = _offset_span(tok, i, i + 1)
    if nesting >= 2:
        raise GradcliSyntaxError("f-string fields nested too deeply", span=open_span)
    j = i + 1
    depth = 0
    quote = None
    debug_end = None
    while j < end:
        c = v[j]
        if quote:
            if v.startswith(quote, j):
                j += len(quote)
                quote = None
            else:
                j += 2 if c == "\\" else 1
            continue
        if c in "'\"":
            quote = v[j:j + 3] if v[j:j + 3] in ("'''", '"""') else c
            j += len(quote)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                if c == "}":
                    break
                raise GradcliSyntaxError(f"unmatched '{c}' in an f-string", span=_offset_span(tok, j, j + 1))
            depth -= 1
        elif depth == 0:
            if c == "!" and not v.startswith("=", j + 1):
                break
            if c == ":":
                break
            if c == "=" and not v.startswith("=", j + 1) and v[j - 1] not in "=!<>":
                debug_end = j + 1
                while debug_end < end and v[debug_end] in " \t\n":
                    debug_end += 1
                if debug_end < end and v[debug_end] in "!:}":
                    break
                raise GradcliSyntaxError("'=' in an f-string field must be followed by '}', '!' or ':'",
                                         span=_offset_span(tok, j, j + 1))
            if c == "#":
                raise GradcliSyntaxError("an f-string field cannot contain '#'", span=_offset_span(tok, j, j + 1))
        j += 1
    if j >= end:
        raise GradcliSyntaxError("unclosed '{' in an f-string", hint="close the field with '}', or write '{{'",
                                 span=open_span)
    expr_text = v[i + 1:j]
    if not expr_text.strip():
        raise GradcliSyntaxError("empty expression in an f-string field", hint="put an expression between the braces",
                                 span=_offset_span(tok, i, j + 1))
    line, column = _token_pos(tok, i + 1)
    ctx = _contexts[-1]
    try:
        value = _run(expr_text, ctx.filename, "eval_input", base=(line, column), depth=ctx.depth)
    except (IncompleteInput, UnexpectedEnd) as e:  # the field is wrong, not the input unfinished
        raise GradcliSyntaxError(e.message, hint=e.hint, span=e.span) from None
    if debug_end is not None:
        j = debug_end
    conversion = None
    if v[j] == "!":
        conversion = v[j + 1:j + 2]
        if conversion not in ("r", "s", "a") or not conversion:
            raise GradcliSyntaxError("f-string conversion must be !r, !s or !a", span=_offset_span(tok, j, j + 2))
        j += 2
    spec = None
    if j < end and v[j] == ":":
        spec_parts, k = _fstring(builder, tok, j + 1, end, raw, nesting + 1, True)
        spec = builder._new(ast.FString, _merge_str(builder, spec_parts), span=_offset_span(tok, j + 1, k))
        j = k
    if j >= end or v[j] != "}":
        raise GradcliSyntaxError("expected '}' to close the f-string field", span=open_span)
    j += 1
    out: list = []
    if debug_end is not None:
        debug_text = v[i + 1:debug_end]
        out.append(builder._new(ast.Str, debug_text, span=_offset_span(tok, i + 1, debug_end)))
        if conversion is None and spec is None:
            conversion = "r"
    out.append(builder._new(ast.FormattedValue, value, conversion, spec, span=_offset_span(tok, i, j)))
    return out, j


# ------------------------------------------------------------ error messages
_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "FSTRING": "a string",
    "_NL": "end of line", "_INDENT": "an indented block", "_DEDENT": "end of the block",
    "$END": "end of input", "AUGOP": "an augmented assignment",
}
_EXPR_START = {"NAME", "NUMBER", "STRING", "FSTRING", "LPAR", "LSQB", "LBRACE", "MINUS", "PLUS", "NOT",
               "LAMBDA", "NONE", "TRUE", "FALSE"}
_ATOM_END = {"NAME", "NUMBER", "STRING", "FSTRING", "RPAR", "RSQB", "RBRACE", "NONE", "TRUE", "FALSE"}
_BOUNDARY = {None, "_NL", "_INDENT", "_DEDENT", "SEMICOLON"}
# tokens that would only continue an expression: left out when listing what was expected
_CONTINUATION = {"+", "-", "*", "/", "//", "%", "@", "**", "^", "<", ">", "==", ">=", "<=", "!=", "in", "not",
                 "is", "and", "or", "if", "(", "[", ".", "for", "->", "AUGOP"}
_CHAR_HINTS = {
    "×": "use '*' to multiply", "·": "use '*' to multiply", "÷": "use '/' to divide",
    "−": "use '-' (the ASCII minus)", "–": "use '-' (the ASCII minus)", "²": "use '^2' or '**2'",
    "³": "use '^3' or '**3'", "√": "use sqrt(...)", "π": "use pi", "“": "use straight quotes \"...\"",
    "”": "use straight quotes \"...\"", "‘": "use straight quotes '...'", "’": "use straight quotes '...'",
    "&": "bitwise operators are not supported; use 'and' for logic", "|": "bitwise operators are not supported; use 'or'",
    "~": "bitwise operators are not supported; use 'not'", "!": "use 'not' for negation, '!=' for not-equal",
    "$": "names use letters, digits and '_'", "?": "use 'a if cond else b' for a conditional",
    "`": "use quotes for strings", "\u00a0": "replace the no-break space with a normal space",
}


def _terminal_words(name: str) -> str:
    if name in _WORDS:
        return _WORDS[name]
    pattern = _terminal_text(name)
    return f"'{pattern}'" if pattern is not None else name.lower()


def _terminal_text(name: str) -> Optional[str]:
    return _parser().terminal_text.get(name)


def _describe_token(tok) -> str:
    kind = tok.type
    if kind == "NAME":
        return f"name '{tok}'"
    if kind == "NUMBER":
        return f"number {tok}"
    if kind in ("STRING", "FSTRING"):
        return "string"
    if kind in _WORDS:
        return _WORDS[kind]
    return f"'{tok}'"


def _translate(e: ParseError, ctx: _Context) -> GradcliSyntaxError:
    if isinstance(e, UnexpectedCharacters):
        return _bad_character(e, ctx)
    if isinstance(e, UnexpectedToken):
        return _unexpected_token(e, ctx)
    line, column = ctx.pos(getattr(e, "line", 1) or 1, getattr(e, "column", 1) or 1)
    return UnexpectedEnd("unexpected end of input", span=Span(line, column, line, column + 1, ctx.filename))


def _bad_character(e, ctx: _Context) -> GradcliSyntaxError:
    text = ctx.source + "\n"
    pos = e.pos_in_stream
    ch = text[pos] if 0 <= pos < len(text) else ""
    line, column = ctx.pos(e.line, e.column)
    span = Span(line, column, line, column + 1, ctx.filename)
    if ch in "'\"":
        if text.startswith(ch * 3, pos):
            span = Span(line, column, line, column + 3, ctx.filename)
            return IncompleteInput("unterminated triple-quoted string", hint=f"close it with {ch * 3}", span=span)
        return GradcliSyntaxError("unterminated string", hint=f"close it with {ch} on the same line", span=span)
    if ch == "\\":
        return GradcliSyntaxError("unexpected '\\'", hint="a line continuation '\\' must be the last character "
                                  "on its line", span=span)
    return _invalid_character(ch, span)


def _invalid_character(ch: str, span: Span) -> GradcliSyntaxError:
    name = unicodedata.name(ch, "") if ch else ""
    shown = f"'{ch}' " if ch.isprintable() and not ch.isspace() else ""
    code = f"U+{ord(ch):04X}" if ch else "?"
    label = f"{code} {name}".strip() if name else code
    hint = _CHAR_HINTS.get(ch)
    if hint is None and ch and ch.isalnum():
        hint = "digits in numbers must be 0-9, and names must start with a letter or '_'"
    return GradcliSyntaxError(f"invalid character {shown}({label})", hint=hint, span=span)


def _unexpected_token(e, ctx: _Context) -> GradcliSyntaxError:
    tok = e.token
    expected = {x for x in (e.expected or ()) if not x.startswith("__IGNORE")}
    same = ctx.last is not None and ctx.last.type == tok.type and ctx.last.start_pos == tok.start_pos
    prev = ctx.prev if same else ctx.last
    prev_type = prev.type if prev is not None else None
    kind = tok.type
    at_end = kind == "$END"
    error_cls = UnexpectedEnd if at_end else GradcliSyntaxError
    if at_end or kind == "_NL":
        span = _after(ctx, prev) if prev is not None and prev_type not in ("_NL", "_DEDENT", "_INDENT") \
            else _tok_span(ctx, tok)
    else:
        span = _tok_span(ctx, tok)

    if kind == "_INDENT":
        return GradcliSyntaxError("unexpected indent", span=span,
                                  hint="only the lines of a block (after a line ending in ':') are indented")
    if "_INDENT" in expected:
        head = ctx.prev_head if ctx.head is not None and ctx.head is tok else ctx.head
        where = ""
        if head is not None:
            line, _ = ctx.pos(head.line, head.column)
            where = f" after '{head}' on line {line}" if head.type != "NAME" else f" after line {line}"
        if (at_end or kind == "_NL") and ctx.real is not None:
            span = _after(ctx, ctx.real)
        return error_cls(f"expected an indented block{where}", span=span,
                         hint="indent the lines of the block, e.g. by 4 spaces")
    if kind == "EQUAL" and ctx.expression:
        return GradcliSyntaxError("unexpected '=' in an expression", span=span,
                                  hint="use '==' to compare; assignments go in a script or the REPL")

    wants_expr = "NAME" in expected and "NUMBER" in expected
    structural = sorted(x for x in expected if x not in ("_DEDENT", "_INDENT", "$END")
                        and (_terminal_text(x) or x) not in _CONTINUATION)
    listed = " or ".join(_terminal_words(x) for x in structural) if 0 < len(structural) <= 3 else None

    if wants_expr and kind not in _EXPR_START and prev_type not in _BOUNDARY:
        return error_cls(f"expected an expression after '{prev}'", span=span,
                         hint=None if at_end or kind == "_NL" else f"found {_describe_token(tok)}")
    if wants_expr and kind not in _EXPR_START and ctx.expression and prev is None:
        return error_cls("expected an expression", span=span)
    if kind in ("ELSE", "ELIF", "EXCEPT", "FINALLY") and prev_type in _BOUNDARY:
        return GradcliSyntaxError(f"'{tok}' without a matching block before it", span=span,
                                  hint=f"'{tok}' must follow its block ('if', 'for', 'while' or 'try') "
                                       "at the same indentation")
    if (at_end or kind == "_NL") and listed:
        return error_cls(f"expected {listed}", span=span)
    hint = _adjacent_hint(prev, tok) or (f"expected {listed}" if listed else None)
    return error_cls(f"unexpected {_describe_token(tok)}", span=span, hint=hint)


def _adjacent_hint(prev, tok) -> Optional[str]:
    if prev is None or prev.type not in _ATOM_END or tok.type not in _EXPR_START:
        return None
    if prev.type == "NUMBER" and tok.type == "NAME" and prev.end_pos == tok.start_pos:
        return f"to multiply, write {prev}*{tok}"
    if prev.type == "NAME" and prev == "print":
        return "print is a function: write print(...)"
    return "is a comma or an operator missing before it?"


def _after(ctx: _Context, tok) -> Span:
    if tok.end_line is None:
        return _tok_span(ctx, tok)
    line, column = ctx.pos(tok.end_line, tok.end_column)
    return Span(line, column, line, column + 1, ctx.filename)
