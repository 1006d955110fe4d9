"""Rendering Rich objects to plain text for the language's print-like builtins (tree, chain, ledger)."""

from __future__ import annotations

import io
import os
import shutil
import sys


def output_width() -> int:
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    try:
        return max(20, int(os.environ.get("COLUMNS", "80")))
    except ValueError:
        return 80


def utf8_output() -> bool:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding.startswith("utf8")


def to_text(renderable) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=output_width(), color_system=None, highlight=False, emoji=False,
            legacy_windows=False).print(renderable)
    return buffer.getvalue()
