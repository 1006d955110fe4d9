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
        args = ["eval", *args]
    if args[0] == "eval" and len(args) > 1 and args[1].startswith("-") and not _is_option(args[1]):
        args[1] = " " + args[1]  # `-x^2`: an expression, not an option
    from gradcli.cli.app import app

    app(args=args, prog_name="gradcli")


def _is_option(arg: str) -> bool:
    """`--json`, `--wrt=x`, `-h`: options; `-x^2`, `-2*x`, `--x`: expressions that happen to start with
    a minus (every long option has a name of two letters or more)."""
    return arg in ("--", "-h", "-o") or (arg[:2] == "--" and arg[2:4].isalpha() and len(arg) > 3
                                        and arg[2:].split("=")[0].replace("-", "").isalpha())


def _one_liner(expression: str, assignments: list[str]) -> int:
    from gradcli.cli import report
    from gradcli.cli.console import Streams
    from gradcli.cli.execute import guarded

    streams = Streams()
    return guarded(streams, lambda: report.calculator(streams, expression, assignments, report.CalcOptions()))
