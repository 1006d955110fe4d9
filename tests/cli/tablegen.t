Parser tables: `python -m gradcli.lang.tablegen` rebuilds gradcli/lang/tables.py from
grammar/gradcli.lark with lark (after a grammar edit); `--check` only says whether they match.

  $ python -m gradcli.lang.tablegen --check
