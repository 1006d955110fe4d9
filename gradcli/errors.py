"""One exception family for everything gradcli reports to a user.

The engine raises these without a span; the language layer attaches the span of
the statement that failed; the command line prints them and picks the exit code.
No other exception type may reach a user.
"""

from __future__ import annotations

class Span:
    """A region of source text, 1-based lines and columns, end exclusive. Immutable by convention.

    A plain class rather than a dataclass: it is imported on every start, and start-up time counts."""

    __slots__ = ("line", "column", "end_line", "end_column", "source")

    def __init__(self, line: int, column: int, end_line: int, end_column: int, source: str = "<input>"):
        self.line, self.column, self.end_line, self.end_column = line, column, end_line, end_column
        self.source = source  # file name shown after `-->`

    def _key(self) -> tuple:
        return (self.line, self.column, self.end_line, self.end_column, self.source)

    def __eq__(self, other) -> bool:
        return type(other) is Span and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "Span(line={}, column={}, end_line={}, end_column={}, source={!r})".format(*self._key())


class GradcliError(Exception):
    """Base of every user-facing error: a message, a hint, and where it happened."""

    kind = "error"  # short label, e.g. "autograd error"
    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, span: Span | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.span = span

    def with_span(self, span: Span | None) -> "GradcliError":
        """Attach a span unless a more precise one is already known."""
        if self.span is None and span is not None:
            self.span = span
        return self


class GradcliSyntaxError(GradcliError):
    kind = "syntax error"
    exit_code = 2


class UsageError(GradcliError):
    kind = "usage error"
    exit_code = 2


class AutogradError(GradcliError):
    """What PyTorch reports as a RuntimeError about graphs and gradients."""

    kind = "autograd error"


class ShapeError(GradcliError):
    kind = "shape error"


class DTypeError(GradcliError):
    kind = "dtype error"


class ValueTypeError(GradcliError):
    """Wrong kind of value for an operation (Python's TypeError)."""

    kind = "type error"


class ArgumentError(GradcliError):
    """A bad argument value (Python's ValueError)."""

    kind = "value error"


class IndexOutOfRange(GradcliError):
    kind = "index error"


class UnknownName(GradcliError):
    kind = "name error"


class UnknownAttribute(GradcliError):
    kind = "attribute error"


class LimitExceeded(GradcliError):
    """A configured safety limit (tensor size, time, nesting) was hit."""

    kind = "limit exceeded"


class Interrupted(GradcliError):
    kind = "interrupted"
    exit_code = 130


class NumericError(GradcliError):
    """A NaN or infinity appeared where anomaly detection was asked for."""

    kind = "numeric error"


class GradcliWarning(UserWarning):
    """A warning worth showing the user (non-leaf .grad access, unused NAME=VALUE, ...)."""
