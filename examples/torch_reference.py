"""Run a gradcli example under real PyTorch, the way `gradcli run` runs it.

This is the source of truth for the expected outputs in `tests/cli/examples.t`:

    python examples/torch_reference.py examples/05_polynomial.grad

gradcli runs a script as if its lines were typed at Python's interactive
prompt, so this does the same: each top-level statement of the module is
compiled whole in "single" mode (as `code.InteractiveConsole` would), which
makes a bare expression statement echo its repr, at module level and inside
loops, `with` and `if` blocks (not inside `def`).

Normalisations, each one a documented difference between PyTorch and gradcli:
- `<AddBackward0 object at 0x7f...>` prints as `<AddBackward0>`: gradcli never
  prints addresses (SPEC §2), so output is deterministic.
- `torch.manual_seed(...)` echoes nothing (SPEC §2); Python would echo the
  returned `<torch._C.Generator object at 0x...>`.

Streams: the program's stdout goes to stdout. Warnings go to stderr as
`warning: Category: message` lines; an exception stops the run (as in gradcli),
its `Type: message` line goes to stderr and the exit status is 1 (2 for a
syntax error). `--merged` writes both to stdout in the order they happened,
the way a `.t` file shows them.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import warnings
from contextlib import redirect_stdout

ADDRESS = re.compile(r"<([\w.]+) object at 0x[0-9a-fA-F]+>")


def normalise(text: str) -> str:
    """Drop memory addresses from object reprs, as gradcli prints them."""
    return ADDRESS.sub(r"<\1>", text)


def _displayhook(value) -> None:
    """Python's echo at the prompt, minus the Generator that manual_seed returns."""
    if value is None:
        return
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Generator):
        return
    print(repr(value))


def statements(source: str, filename: str):
    """Each top-level statement compiled as if typed at the interactive prompt."""
    module = ast.parse(source, filename)
    for node in module.body:
        yield compile(ast.Interactive(body=[node]), filename, "single")


class _Recorder(io.TextIOBase):
    """A text stream that keeps (stream name, text) chunks in the order written."""

    def __init__(self, chunks: list, name: str):
        self.chunks, self.name = chunks, name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.chunks.append((self.name, text))
        return len(text)


def run_chunks(source: str, filename: str = "<stdin>") -> tuple[list, int]:
    """Run a script; return its ("out"|"err", text) chunks in order and the exit status."""
    chunks: list = []
    out, err = _Recorder(chunks, "out"), _Recorder(chunks, "err")
    namespace: dict = {"__name__": "__main__"}
    status = 0

    def show_warning(message, category, filename, lineno, file=None, line=None):
        err.write(f"warning: {category.__name__}: {message}\n")

    saved_hook = sys.displayhook
    sys.displayhook = _displayhook
    try:
        with warnings.catch_warnings(), redirect_stdout(out):
            warnings.simplefilter("always")
            warnings.showwarning = show_warning
            try:
                for code in statements(source, filename):
                    exec(code, namespace)
            except SyntaxError as exc:
                err.write(f"SyntaxError: {exc.msg}\n")
                status = 2
            except Exception as exc:  # noqa: BLE001 - report it the way a prompt would
                first = str(exc).split("\n")[0]
                err.write(f"{type(exc).__name__}: {first}\n")
                status = 1
    finally:
        sys.displayhook = saved_hook
    return chunks, status


def run(source: str, filename: str = "<stdin>") -> tuple[str, str, int]:
    """Run a script; return (stdout, stderr, exit status), both texts normalised."""
    chunks, status = run_chunks(source, filename)
    text = {"out": "", "err": ""}
    for name, piece in chunks:
        text[name] += piece
    return normalise(text["out"]), normalise(text["err"]), status


def main(argv: list[str]) -> int:
    merged = "--merged" in argv
    paths = [arg for arg in argv if arg != "--merged"]
    if len(paths) != 1:
        print("usage: python examples/torch_reference.py [--merged] FILE.grad|-", file=sys.stderr)
        return 2
    path = paths[0]
    source = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    chunks, status = run_chunks(source, path)
    for name, piece in chunks:
        stream = sys.stdout if merged or name == "out" else sys.stderr
        stream.write(normalise(piece))
        stream.flush()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
