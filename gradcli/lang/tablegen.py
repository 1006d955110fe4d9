"""Build the lexer and LALR(1) tables from `grammar/gradcli.lark` with lark, and write them
as `gradcli/lang/tables.py`.

Lark is the grammar compiler; `gradcli.lang.lalr` is the small run-time that drives the
tables. Importing lark and rebuilding its lexer costs ~35 ms per process, which the
one-liner cannot afford, so the tables are generated once and committed. They hold the
grammar text they came from; the parser compares it with the grammar file and rebuilds
in memory when they differ, so an edited grammar takes effect at once (and
`tests/lang/test_tables.py` fails until the tables are regenerated).

    python -m gradcli.lang.tablegen        # rewrite gradcli/lang/tables.py
    python -m gradcli.lang.tablegen --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

OPTIONS = dict(parser="lalr", lexer="basic", start=["file_input", "eval_input"], keep_all_tokens=True,
               maybe_placeholders=False)
TABLES_FILE = Path(__file__).with_name("tables.py")


def build(text: str) -> dict:
    """The tables for grammar `text`, as plain data (see `gradcli.lang.lalr.Tables`)."""
    import lark
    from lark.lexer import PatternStr, _create_unless
    from lark.parsers.lalr_analysis import Shift

    parser = lark.Lark(text, **OPTIONS)
    lexer = parser.parser.lexer
    terminals, callbacks = _create_unless(lexer.terminals, lexer.g_regex_flags, lexer.re, lexer.use_bytes)
    if lexer.g_regex_flags or any(t.pattern.flags for t in lexer.terminals):
        raise ValueError("regex flags on terminals are not supported by gradcli.lang.lalr")
    keywords = {name: {t.pattern.value: t.name for t in cb.scanner.terminals} for name, cb in callbacks.items()}
    table = parser.parser.parser.parser.parse_table
    rule_index = {}
    rules = []
    for rule in parser.rules:
        rule_index[rule] = len(rules)
        keep = rule.options.keep_all_tokens
        picks = [(i, not sym.is_term and sym.name.startswith("_")) for i, sym in enumerate(rule.expansion)
                 if keep or not (sym.is_term and sym.filter_out)]
        plain = len(picks) == len(rule.expansion) and not any(expand for _, expand in picks)
        rules.append((str(rule.origin.name), len(rule.expansion),
                      str(rule.alias or rule.options.template_source or rule.origin.name),
                      bool(rule.options.expand1 and not rule.alias),
                      None if plain else tuple(picks)))
    # lark numbers states in set order, which changes from run to run: renumber them
    # breadth-first from the start states, symbols in sorted order, so the file is stable.
    order = {}
    queue = [table.start_states[name] for name in sorted(table.start_states)]
    for state in queue:
        if state not in order:
            order[state] = len(order)
            queue += [arg for _, (action, arg) in sorted(table.states[state].items()) if action is Shift]
    states = [None] * len(order)
    for state, number in order.items():
        states[number] = {str(symbol): order[arg] if action is Shift else ~rule_index[arg]
                          for symbol, (action, arg) in sorted(table.states[state].items())}
    return {
        "grammar": text,
        "token_pattern": "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals),
        "keywords": keywords,
        "ignore": tuple(sorted(lexer.ignore_types)),
        "newline_types": tuple(sorted(lexer.newline_types)),
        "terminal_text": {t.name: t.pattern.value for t in parser.terminals if isinstance(t.pattern, PatternStr)},
        "rules": tuple(rules),
        "states": tuple(states),
        "start_states": {str(k): order[v] for k, v in sorted(table.start_states.items())},
        "end_states": {str(k): order[v] for k, v in sorted(table.end_states.items())},
    }


def render(tables: dict) -> str:
    """`tables` as the source of a Python module: its .pyc, plain literals, loads in about a millisecond."""
    lines = ['"""Lexer and LALR(1) tables for gradcli.lang.lalr, generated from grammar/gradcli.lark by',
             '`python -m gradcli.lang.tablegen`. Do not edit."""', "", "# fmt: off", "TABLES = {"]
    for key, value in tables.items():
        if key in ("rules", "states"):
            lines.append(f"    {key!r}: (")
            lines.extend(f"        {item!r}," for item in value)
            lines.append("    ),")
        else:
            lines.append(f"    {key!r}: {value!r},")
    return "\n".join(lines + ["}"]) + "\n"


def main(argv: list[str] | None = None) -> int:
    from gradcli.lang.parser import grammar_text

    argv = sys.argv[1:] if argv is None else argv
    source = render(build(grammar_text()))
    current = TABLES_FILE.read_text(encoding="utf-8") if TABLES_FILE.is_file() else ""
    if "--check" in argv:
        if source != current:
            print(f"{TABLES_FILE} is out of date: run python -m gradcli.lang.tablegen", file=sys.stderr)
            return 1
        return 0
    if source != current:
        TABLES_FILE.write_text(source, encoding="utf-8")
        print(f"wrote {TABLES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
