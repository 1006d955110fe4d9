"""Errors and warnings as short rustc-style blocks: message, location, source line, caret, hint."""

from __future__ import annotations

from gradcli.errors import GradcliError, Span

MAX_SOURCE_WIDTH = 200  # a longer source line is cut around the caret


def render(message: str, span: Span | None = None, source: str | None = None,
           hint: str | None = None, label: str = "error") -> str:
    lines = [f"{label}: {message}"]
    if span is not None:
        lines.append(f"  --> {span.source}:{span.line}:{span.column}")
        text = _source_line(source, span.line)
        if text is not None:
            num = str(span.line)
            pad = " " * len(num)
            start = span.column - 1
            if span.end_line == span.line and span.end_column > span.column:
                width = span.end_column - span.column
            else:
                width = max(1, len(text) - start)
            text, start = _clip(text, start)
            width = max(1, min(width, max(1, len(text) - start)))
            lines.append(f"{pad} |")
            lines.append(f"{num} | {text}")
            lines.append(f"{pad} | {' ' * start}{'^' * width}")
    if hint:
        lines.append(f"  = help: {hint}")
    return "\n".join(lines)


def render_error(err: GradcliError, source: str | None = None) -> str:
    text = render(err.message, err.span, source, err.hint)
    for call in getattr(err, "calls", ()):  # set by the language for errors inside functions
        text += f"\n  = note: in {call}" if call != "…" else "\n  = note: …"
    return text


def _source_line(source: str | None, line: int) -> str | None:
    if source is None:
        return None
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1].rstrip("\r").expandtabs(1)
    return "".join(c if c.isprintable() else "?" for c in text)


def _clip(text: str, start: int):
    """Keep a window of a very long line around the caret."""
    if len(text) <= MAX_SOURCE_WIDTH:
        return text, start
    lo = max(0, start - MAX_SOURCE_WIDTH // 2)
    piece = text[lo:lo + MAX_SOURCE_WIDTH]
    prefix = "…" if lo else ""
    return prefix + piece + ("…" if lo + MAX_SOURCE_WIDTH < len(text) else ""), start - lo + len(prefix)
