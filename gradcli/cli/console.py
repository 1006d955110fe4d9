"""Output streams and colour: Rich on a terminal, plain text in pipes, NO_COLOR and --plain honoured.

Rich is imported only when colour will actually be used, which keeps the
one-liner's start-up fast.
"""

from __future__ import annotations

import os
import sys

from gradcli.errors import GradcliError
from gradcli.show.diagnostics import render, render_error


class Streams:
    """Where results (stdout) and diagnostics (stderr) go, and whether they may be coloured."""

    def __init__(self, plain: bool = False):
        self.plain = plain
        self.sources: dict[str, str] = {}

    def colour(self, stream) -> bool:
        if self.plain or os.environ.get("NO_COLOR"):
            return False
        if os.environ.get("FORCE_COLOR"):
            return True
        try:
            return stream.isatty() and os.environ.get("TERM") != "dumb"
        except (AttributeError, ValueError):
            return False

    def out(self, text: str) -> None:
        sys.stdout.write(text)

    def print(self, text: str = "") -> None:
        sys.stdout.write(text + "\n")

    def rich(self, renderable) -> None:
        """Print a Rich renderable to stdout (tables, trees), coloured only on a terminal."""
        self.console(sys.stdout).print(renderable)

    def console(self, stream):
        from rich.console import Console

        colour = self.colour(stream)
        return Console(file=stream, color_system="auto" if colour else None, no_color=not colour,
                       highlight=False, soft_wrap=False, emoji=False)

    def error(self, err: GradcliError) -> None:
        text = render_error(err, self.sources.get(err.span.source) if err.span else None)
        self._diagnostic(text, "red")

    def warning(self, message: str, span=None, hint: str | None = None) -> None:
        text = render(message, span, self.sources.get(span.source) if span else None, hint, label="warning")
        self._diagnostic(text, "yellow")

    def _diagnostic(self, text: str, style: str) -> None:
        sys.stdout.flush()
        if self.colour(sys.stderr):
            from rich.markup import escape
            head, _, rest = text.partition(":")
            self.console(sys.stderr).print(f"[bold {style}]{escape(head)}[/]:{escape(rest)}")
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()
