"""The console entry point. A plain one-liner (`gradcli EXPR NAME=VALUE...`, no options) is served
without loading the typer app, which keeps the calculator's start-up close to NumPy's own."""

from __future__ import annotations

import sys

COMMANDS = ("eval", "run", "repl", "graph", "check", "plot")
TOP_LEVEL_FLAGS = ("--help", "-h", "--version", "--install-completion", "--show-completion")


def main(argv: list[str] | None = None) -> None:
    import signal

    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `gradcli ... | head` ends quietly, like any Unix tool
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        args = ["repl"] if sys.stdin.isatty() else ["run", "-"]
    elif args[0] not in COMMANDS and args[0] not in TOP_LEVEL_FLAGS:
        expression = args[0]
        if not any(a.startswith("-") for a in args[1:]) and not _is_option(expression):
            sys.exit(_one_liner(expression, args[1:]))
        if expression.startswith("-") and not _is_option(expression):
            args[0] = " " + expression  # `-x^2`: an expression, not an option
        args = ["eval", *args]
    from gradcli.cli.app import app

    app(args=args, prog_name="gradcli")


def _is_option(arg: str) -> bool:
    """`--json`, `-h`: options; `-x^2`, `-2*x`: expressions that happen to start with a minus."""
    return arg.startswith("--") or arg in ("-h", "-o")


def _one_liner(expression: str, assignments: list[str]) -> int:
    from gradcli.cli import report
    from gradcli.cli.console import Streams
    from gradcli.cli.execute import guarded

    streams = Streams()
    return guarded(streams, lambda: report.calculator(streams, expression, assignments, report.CalcOptions()))
