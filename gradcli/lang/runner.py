"""Runs programs: parse, compile once, execute statement by statement, keep state between inputs.

One Runner is one session (a script, or a whole REPL): its variables survive
errors. Output goes through `write`; warnings through `warn` with the span of
the statement that caused them, once per source location.
"""

from __future__ import annotations

import sys
import warnings

from gradcli.errors import GradcliError, GradcliWarning, Span
from gradcli.lang import builtins as B
from gradcli.lang.compiler import Compiler, Frame, run_body, translate
from gradcli.show.values import repr_value


# The parser accepts trees up to 500 levels deep; compiling and running them recurses a few frames a level.
RECURSION_LIMIT = 6000


class Runner:
    def __init__(self, write=None, warn=None, echo: bool = True):
        if sys.getrecursionlimit() < RECURSION_LIMIT:
            sys.setrecursionlimit(RECURSION_LIMIT)
        self.write = write or sys.stdout.write
        self.warn = warn or (lambda message, span: sys.stderr.write(f"warning: {message}\n"))
        self.echo = echo
        self.frame = Frame({})
        self.sources: dict[str, str] = {}
        self._warned: set = set()
        self._span: Span | None = None

    @property
    def variables(self) -> dict:
        return self.frame.vars

    def run(self, source: str, filename: str = "<input>") -> None:
        """Parse and run a whole program; the first error stops it (raised as GradcliError)."""
        from gradcli.lang.parser import parse

        self.sources[filename] = source
        module = parse(source, filename)
        compiler = Compiler(echo=self._echo if self.echo else None)
        statements = []
        for stmt in module.body:
            statements.append((compiler.stmt(stmt), stmt.span))
        self._execute(statements)

    def evaluate(self, source: str, filename: str = "<expr>"):
        """The value of one expression (the calculator, NAME=VALUE arguments)."""
        return self.expression(source, filename)()

    def expression(self, source: str, filename: str = "<expr>"):
        """Parse and compile an expression once; the returned function evaluates it with the current variables."""
        from gradcli.lang.parser import parse_expression

        self.sources[filename] = source
        node = parse_expression(source, filename)
        fn = Compiler().expr(node)
        span = node.span

        def value():
            result = []
            self._execute([(lambda frame: result.append(fn(frame)), span)])
            return result[0]
        value.node = node
        return value

    def _echo(self, value) -> None:
        self.write(repr_value(value) + "\n")

    def _execute(self, statements) -> None:
        B.output.write = self.write
        previous = warnings.showwarning
        warnings.showwarning = self._show_warning
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", GradcliWarning)
                warnings.showwarning = self._show_warning
                for fn, span in statements:
                    self._span = span
                    try:
                        fn(self.frame)
                    except GradcliError as err:
                        raise err.with_span(span) from None
                    except (KeyboardInterrupt, SystemExit):
                        raise
                    except Exception as exc:  # noqa: BLE001 - nothing may escape as a traceback
                        raise _internal(exc, span) from None
        finally:
            warnings.showwarning = previous

    def _show_warning(self, message, category, filename, lineno, file=None, line=None):
        key = (self._span.source, self._span.line) if self._span else None
        text = str(message)
        if (key, text) in self._warned:
            return
        self._warned.add((key, text))
        self.warn(text, self._span)


def _internal(exc: Exception, span) -> GradcliError:
    err = translate(exc, span)
    if isinstance(exc, (AttributeError, NameError, AssertionError, SystemError)):  # never a user's mistake
        err.message = f"internal error ({type(exc).__name__}): {err.message}"
        err.hint = "this is a bug in gradcli; please report it with the input that caused it"
    return err


__all__ = ["Runner", "run_body"]
