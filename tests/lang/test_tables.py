"""The generated parser tables and the run-time that drives them (`gradcli.lang.lalr`).

Lark is the oracle: the same grammar, builder and post-lexer run through lark's own LALR
front end must give the same tree (spans included) or the same diagnostic, input for input.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.errors import GradcliSyntaxError
from gradcli.lang import ast, lalr, tablegen
from gradcli.lang import parser as P
from gradcli.lang.tables import TABLES
from test_hostile import DEEP, KEYWORDS, SYNTAX, _example_programs, mutate
from test_parser import CASES_FILE, SEEDS
from test_parser_fuzz import ALPHABET


def test_committed_tables_match_the_grammar():
    """Fails after a grammar edit until `python -m gradcli.lang.tablegen` is run."""
    assert tablegen.render(tablegen.build(P.grammar_text())) == tablegen.TABLES_FILE.read_text(encoding="utf-8")
    assert tablegen.main(["--check"]) == 0


def test_stale_tables_are_rebuilt_from_the_grammar(monkeypatch):
    monkeypatch.setitem(TABLES, "grammar", TABLES["grammar"] + "// edited\n")
    monkeypatch.setattr(P, "_PARSER", None)
    rebuilt = P._parser()
    assert rebuilt.states is not TABLES["states"] and rebuilt.states == TABLES["states"]
    assert ast.dump(P.parse("y = x ^ 2\n")) == "(Module [(Assign [(Name 'y')] (BinOp 'pow' (Name 'x') (Num 2)))])"
    monkeypatch.setattr(P, "_PARSER", None)


def test_every_grammar_rule_has_a_builder_method():
    missing = {name for origin, size, name, expand1, picks in TABLES["rules"]
               if not name.startswith("_") and not (expand1 and size == 1) and not hasattr(P._Builder, name)}
    assert missing == set()


def test_parsing_does_not_import_lark():
    code = ("import sys\nfrom gradcli.lang.parser import parse\nparse('if x:\\n    y = f\"{x:>4}\" ^ -2\\n')\n"
            "try:\n    parse('x = = 1')\nexcept Exception as e:\n    print(e.message)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'lark'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "expected an expression after '='\n[]\n"


def test_token_is_its_text_with_a_position():
    tok = lalr.Token("NAME", "x", 0, 1, 1, 1, 2, 1)
    assert tok == "x" and isinstance(tok, str) and repr(tok) == "Token('NAME', 'x')" and hash(tok) == hash("x")
    assert (tok.line, tok.column, tok.end_line, tok.end_column, tok.start_pos, tok.end_pos) == (1, 1, 1, 2, 0, 1)


# ----------------------------------------------------------------- lark as the oracle
class LarkOracle:
    """`P._parser()`'s interface over lark's own front end, its errors mapped to ours.

    One deliberate difference: lark places `$END` at line 1, column 1 when the last
    token is empty (a dedent), because it tests the token's truth; the run-time places
    it at the last token, so the oracle does too.
    """

    def __init__(self):
        import lark

        self.last = None
        self.lark = lark.Lark(P.grammar_text(), postlex=self, transformer=P._Builder(), **tablegen.OPTIONS)
        self.terminal_text = TABLES["terminal_text"]

    always_accept = P._Blocks.always_accept

    def process(self, stream):
        for self.last in P._Blocks().process(stream):
            yield self.last

    def parse(self, text: str, start: str):
        from lark.exceptions import UnexpectedCharacters, UnexpectedToken

        outer, self.last = self.last, None  # f-string fields parse re-entrantly
        try:
            return self.lark.parse(text, start=start)
        except UnexpectedCharacters as e:
            raise lalr.UnexpectedCharacters(e.pos_in_stream, e.line, e.column) from None
        except UnexpectedToken as e:
            token = e.token
            if token.type == "$END" and self.last is not None:
                last = self.last
                token = lalr.Token("$END", "", last.start_pos, last.line, last.column, last.end_line,
                                   last.end_column, last.end_pos)
            raise lalr.UnexpectedToken(token, e.expected) from None
        finally:
            self.last = outer


@pytest.fixture(scope="module")
def oracle():
    return LarkOracle()


def outcome(fn, text):
    try:
        tree = fn(text)
    except GradcliSyntaxError as e:
        return ("error", type(e).__name__, e.message, e.hint, e.span)
    return ("tree", ast.dump(tree), [(type(n).__name__, n.span) for n in ast.walk(tree)])


def both(oracle, monkeypatch, text):
    """(run-time's outcome, lark's outcome) for `text` as a script and as an expression."""
    ours = [outcome(fn, text) for fn in (P.parse, P.parse_expression)]
    monkeypatch.setattr(P, "_PARSER", oracle)
    try:
        theirs = [outcome(fn, text) for fn in (P.parse, P.parse_expression)]
    finally:
        monkeypatch.undo()
    return ours, theirs


def _corpus() -> list:
    texts = [p.values[0] for p in SYNTAX + KEYWORDS]
    for path in SEEDS:
        for m in re.finditer(r"^([ \t]*)```python[^\n]*\n(.*?)^[ \t]*```", path.read_text(encoding="utf-8"),
                             re.S | re.M):
            texts.append(textwrap.dedent(m.group(2)))
    texts += [c["code"] for c in json.loads(CASES_FILE.read_text())["cases"]]
    import random

    for name, text in _example_programs().items():
        texts.append(text)
        rng = random.Random(f"tables: mutants of {name}")
        texts += [mutate(text, rng) for _ in range(40)]
    texts += [v for k, v in DEEP.items() if len(v) < 30_000 and not k.startswith(("10k-lambda", "10k-ifexp"))]
    return texts


CORPUS = _corpus()


def test_the_corpus_is_large_and_mixed():
    assert len(CORPUS) > 600


@pytest.mark.parametrize("chunk", range(8))
def test_same_trees_and_errors_as_lark_on_the_corpus(oracle, monkeypatch, chunk):
    for text in CORPUS[chunk::8]:
        ours, theirs = both(oracle, monkeypatch, text)
        assert ours == theirs, text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_same_trees_and_errors_as_lark_on_token_soup(oracle, monkeypatch, text):
    ours, theirs = both(oracle, monkeypatch, text)
    assert ours == theirs
