"""A small LALR(1) run-time: lexer and parser driven by the tables `tablegen` builds with lark.

It does at run time exactly what lark's `parser="lalr", lexer="basic"` front end does with
the same grammar (same tokens, positions, reductions and tree shaping), without importing
lark, whose import and lexer set-up cost more than the one-liner's whole start-up budget.
`tests/lang/test_tables.py` runs both on a corpus and compares the results.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Iterator, Optional


class Token(str):
    """A token's text, with its terminal name and where it is (lines and columns count from 1)."""

    __slots__ = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")

    def __new__(cls, type: str, value: str, start_pos: Optional[int] = None, line: Optional[int] = None,
                column: Optional[int] = None, end_line: Optional[int] = None, end_column: Optional[int] = None,
                end_pos: Optional[int] = None):
        self = super().__new__(cls, value)
        self.type, self.value, self.start_pos, self.line, self.column = type, value, start_pos, line, column
        self.end_line, self.end_column, self.end_pos = end_line, end_column, end_pos
        return self

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r})"


class ParseError(Exception):
    """Raised by the lexer or the parser; `gradcli.lang.parser` turns it into a diagnostic."""


class UnexpectedCharacters(ParseError):
    """No terminal matches the text at `pos_in_stream`."""

    def __init__(self, pos: int, line: int, column: int):
        super().__init__(f"no token at line {line}, column {column}")
        self.pos_in_stream, self.line, self.column = pos, line, column


class UnexpectedToken(ParseError):
    """`token` cannot follow what came before; `expected` names the terminals that could."""

    def __init__(self, token: Token, expected: set):
        super().__init__(f"unexpected {token.type} at line {token.line}, column {token.column}")
        self.token, self.expected = token, expected
        self.line, self.column = token.line, token.column


class Lexer:
    """The text as tokens: one master regex, tried in lark's terminal order; names become keywords."""

    def __init__(self, tables: dict):
        self.match = re.compile(tables["token_pattern"]).match
        self.keywords = tables["keywords"]
        self.ignore = frozenset(tables["ignore"])
        self.newline_types = frozenset(tables["newline_types"])

    def tokens(self, text: str) -> Iterator[Token]:
        match, keywords, ignore, newline_types = self.match, self.keywords, self.ignore, self.newline_types
        pos, line, line_start, end = 0, 1, 0, len(text)
        while pos < end:
            m = match(text, pos)
            if m is None:
                raise UnexpectedCharacters(pos, line, pos - line_start + 1)
            value, kind = m.group(), m.lastgroup
            first_line, column = line, pos - line_start + 1
            if kind in newline_types:
                newlines = value.count("\n")
                if newlines:
                    line += newlines
                    line_start = pos + value.rindex("\n") + 1
            start, pos = pos, pos + len(value)
            if kind not in ignore:
                names = keywords.get(kind)
                if names is not None:
                    kind = names.get(value, kind)
                yield Token(kind, value, start, first_line, column, line, pos - line_start + 1, pos)


class Parser:
    """Shift-reduce over the tables. Each reduction calls `builder.<rule name>(children)`.

    Tree shaping is lark's: `?rule` with one child passes the child through, and the
    helper rules lark makes for `*` and `+` (names starting with `_`) are spliced into
    their parent's children.
    """

    def __init__(self, tables: dict, builder: Any, postlex: Optional[Callable[[Iterable[Token]], Iterable[Token]]]):
        self.lexer = Lexer(tables)
        self.postlex = postlex
        self.states = tables["states"]
        self.start_states = tables["start_states"]
        self.end_states = tables["end_states"]
        self.terminal_text = tables["terminal_text"]
        self.rules = tuple((origin, size, _callback(builder, name), expand1, picks)
                           for origin, size, name, expand1, picks in tables["rules"])

    def parse(self, text: str, start: str) -> Any:
        tokens = self.lexer.tokens(text)
        if self.postlex is not None:
            tokens = self.postlex(tokens)
        state_stack = [self.start_states[start]]
        value_stack: list = []
        token = None
        for token in tokens:
            self._feed(token, state_stack, value_stack)
        if token is None:
            end = Token("$END", "", 0, 1, 1)
        else:
            end = Token("$END", "", token.start_pos, token.line, token.column, token.end_line, token.end_column,
                        token.end_pos)
        self._feed(end, state_stack, value_stack, self.end_states[start])
        return value_stack[-1]

    def _feed(self, token: Token, state_stack: list, value_stack: list, end_state: int = -1) -> None:
        """Reduce while the table says so, then shift `token`; `$END` stops at `end_state` instead."""
        states, rules, kind = self.states, self.rules, token.type
        while True:
            actions = states[state_stack[-1]]
            action = actions.get(kind)
            if action is None:
                raise UnexpectedToken(token, {s for s in actions if s.isupper()})
            if action >= 0:
                state_stack.append(action)
                value_stack.append(token)
                return
            origin, size, callback, expand1, picks = rules[~action]
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            if picks is not None:
                children = _pick(children, picks)
            value = children[0] if expand1 and len(children) == 1 else callback(children)
            state_stack.append(states[state_stack[-1]][origin])
            value_stack.append(value)
            if state_stack[-1] == end_state:
                return


def _pick(children: list, picks: tuple) -> list:
    """Drop filtered tokens and splice in the children of helper rules.

    A leading helper's list is extended in place, not copied: `a + b + c ...` grows
    one list through its left-recursive helper rule in linear time.
    """
    out: list = []
    for i, splice in picks:
        if not splice:
            out.append(children[i])
        elif out:
            out.extend(children[i])
        else:
            out = children[i]
    return out


def _callback(builder: Any, name: str) -> Callable[[list], Any]:
    if name.startswith("_"):
        return _same  # a helper rule's value is its children, spliced into the parent
    method = getattr(builder, name, None)
    if method is None:
        return lambda children: _missing(name)
    return method


def _same(children: list) -> list:
    return children


def _missing(name: str):
    raise ParseError(f"the grammar rule {name!r} has no builder method")
