"""Write `tests/cli/examples.t` from PyTorch's output for every example.

    python examples/make_golden.py > tests/cli/examples.t     (needs torch)

Each example's expected stdout is what real PyTorch prints for it
(`torch_reference.py`: prompt-style echo, addresses removed). Warnings and
errors are the one place where gradcli words things its own way, so where
PyTorch printed a warning or an error, the lines written are gradcli's own
diagnostic for it (the i-th PyTorch warning/error is paired with gradcli's
i-th diagnostic block; a count mismatch is reported on stderr and PyTorch's
line is written instead, so the test fails). Never edit examples.t by hand
or with `--update-golden`: rerun this.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests" / "cli"))

import cram  # noqa: E402  (tests/cli/cram.py: how a line is written into a .t file)
import torch_reference  # noqa: E402

HEADER = """\
Every example in examples/, run with `gradcli run`. The expected output is not
gradcli's: it is what PyTorch 2.13 prints for the same file, produced by
`python examples/make_golden.py > tests/cli/examples.t`, which runs each file under real PyTorch with examples/torch_reference.py
(statements run as typed at Python's prompt, so bare expressions echo;
`<AddBackward0 object at 0x...>` is written `<AddBackward0>`; manual_seed
echoes nothing). Where PyTorch prints a warning or raises an error, gradcli
says the same in its own words on stderr (merged here), so those lines are
gradcli's diagnostic text, checked by hand to mean what PyTorch's does; the
file path in them is matched with a glob. Do not --update-golden this file.
"""

DIAGNOSTIC = re.compile(r"(warning|error): ")


def examples() -> list[Path]:
    """The numbered examples in order, then the rest."""
    return sorted(HERE.glob("*.grad"), key=lambda p: (not p.name[:2].isdigit(), p.name))


def gradcli_diagnostics(path: Path) -> list[list[str]]:
    """gradcli's stderr for a file, cut into warning/error blocks."""
    env = dict(os.environ, NO_COLOR="1", COLUMNS="80", TERM="dumb", PYTHONUNBUFFERED="1")
    proc = subprocess.run(["gradcli", "run", str(path)], capture_output=True, text=True, env=env)
    blocks: list[list[str]] = []
    for line in proc.stderr.splitlines():
        if DIAGNOSTIC.match(line) or not blocks:
            blocks.append([])
        blocks[-1].append(line)
    return blocks


def render_diagnostic(block: list[str], path: Path) -> list[str]:
    """gradcli's lines as .t expectations; the `-->` line's directory becomes a glob."""
    out = []
    for line in block:
        if line.lstrip().startswith("--> ") and str(path) in line:
            head, tail = line.split(str(path), 1)
            glob = (head + "*/examples/" + path.name + tail)
            out.append(glob + " (glob)")
        else:
            out.append(cram.render_line(line, True))
    return out


def expected(path: Path) -> tuple[list[str], int]:
    """The .t body for one example: PyTorch's stdout, gradcli's diagnostics."""
    chunks, status = torch_reference.run_chunks(path.read_text(encoding="utf-8"), path.name)
    diagnostics = gradcli_diagnostics(path)
    body: list[str] = []
    errors = [torch_reference.normalise(text) for name, text in chunks if name == "err"]
    if len(errors) != len(diagnostics):
        print(f"{path.name}: PyTorch printed {len(errors)} warning/error(s), "
              f"gradcli {len(diagnostics)}", file=sys.stderr)
    pending = ""
    used = 0
    for name, text in chunks:
        if name == "out":
            pending += torch_reference.normalise(text)
            continue
        lines, pending = _complete_lines(pending)
        body.extend(lines)
        if used < len(diagnostics):
            body.extend(render_diagnostic(diagnostics[used], path))
        else:
            body.extend(cram.render_line(line, True) for line in text.splitlines())
        used += 1
    if pending:
        body.extend(cram.render_line(text, eol) for text, eol in cram.split_lines(pending))
    return body, status


def _complete_lines(text: str) -> tuple[list[str], str]:
    """Render the finished lines of `text`; keep an unfinished last line pending."""
    if "\n" not in text:
        return [], text
    done, _, rest = text.rpartition("\n")
    return [cram.render_line(line, True) for line in done.split("\n")], rest


def main() -> int:
    parts = [HEADER]
    for path in examples():
        body, status = expected(path)
        lines = [f"{path.name} (its comments say what it shows):", "",
                 f"  $ gradcli run $TESTDIR/../../examples/{path.name}"]
        lines += ["  " + line for line in body]
        if status:
            lines.append(f"  [{status}]")
        parts.append("\n".join(lines) + "\n")
    sys.stdout.write("\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
