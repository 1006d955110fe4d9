"""A small runner for shell golden tests in the cram `.t` format.

We keep our own instead of depending on prysk/cram (prysk pins rich < 14).
The format, in short::

    Prose lines are not indented.
      $ echo hello        <- a command (two spaces, dollar, space)
      > continued         <- continuation of the command above
      hello               <- expected output (stdout and stderr merged)
      [1]                 <- exit code, when it is not 0

Expected lines may end in ` (re)` (Python regex, fullmatch), ` (glob)`
(`*`, `?`, backslash escapes) or ` (esc)` (backslash-escaped bytes); output
that lacks a final newline ends in ` (no-eol)`.  All commands of a file run
in one bash process, separated by marker echoes, like cram does.

The pytest glue lives in `conftest.py`; this module knows nothing of pytest.
"""

from __future__ import annotations

import difflib
import os
import re
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT = 120.0
KINDS = (" (re)", " (glob)", " (esc)")
NO_EOL = " (no-eol)"
_EXIT_LINE = re.compile(r"\[(\d+)\]")
_ENCODING = ("utf-8", "surrogateescape")  # undecodable bytes survive a round trip


class CramSyntaxError(Exception):
    """A `.t` file that cannot be read unambiguously; never guess at intent."""


# --------------------------------------------------------------------- parsing


@dataclass
class Command:
    """One `  $ ` command with the output and exit code the file expects."""

    line: int  # 1-based line of the `  $ ` line
    source_lines: list[str]  # raw file lines (`  $ ...`, `  > ...`)
    expected: list[str] = field(default_factory=list)  # bodies, indent removed
    exit_code: int | None = None  # None: no `[N]` line, which means 0

    @property
    def source(self) -> str:
        """The shell text, continuation lines joined with newlines."""
        return "\n".join(raw[4:] for raw in self.source_lines)


def parse(text: str) -> list:
    """Split a `.t` file into prose lines and commands, keeping prose verbatim."""
    blocks: list = []
    current: Command | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        if raw.startswith("  $ "):
            current = Command(number, [raw])
            blocks.append(current)
        elif current and not current.expected and (raw.startswith("  > ") or raw == "  >"):
            current.source_lines.append(raw)
        elif current and raw.startswith("  "):
            current.expected.append(raw[2:])
        elif raw.startswith("  ") and raw.strip():
            raise CramSyntaxError(
                f"line {number}: indented line with no `  $ ` command above it "
                "(an empty line ends a command's output; write an empty output "
                "line as two spaces)"
            )
        else:
            current = None
            blocks.append(raw)
    if blocks and blocks[-1] == "":
        blocks.pop()  # the split of a final newline, not a prose line
    for block in blocks:
        if isinstance(block, Command) and block.expected:
            found = _EXIT_LINE.fullmatch(block.expected[-1])
            if found:
                block.exit_code = int(found.group(1))
                block.expected.pop()
    return blocks


def commands(blocks: list) -> list[Command]:
    return [block for block in blocks if isinstance(block, Command)]


# -------------------------------------------------------------------- escaping

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\r": "\\r", "\n": "\\n"}
_UNESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[\\trn])")


def _as_bytes(ch: str) -> str:
    return "".join(f"\\x{byte:02x}" for byte in ch.encode(*_ENCODING))


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch == " " or (ch.isprintable() and not "\udc80" <= ch <= "\udcff"):
        return ch
    return _as_bytes(ch)  # controls, invisible chars, undecodable bytes


def escape(text: str, first: bool = False) -> str:
    """Backslash-escape what a `.t` file cannot hold; `first` also the 1st char."""
    if first and text and text[0] not in _ESCAPES:
        return _as_bytes(text[0]) + escape(text[1:])
    return "".join(_escape_char(ch) for ch in text)


def unescape(body: str) -> str:
    """Inverse of `escape`: `\\xNN` are bytes, so UTF-8 may be spelt in bytes."""
    data = bytearray()
    pos = 0
    for found in _UNESCAPE.finditer(body):
        data += body[pos:found.start()].encode(*_ENCODING)
        code = found.group(1)
        if code[0] == "x":
            data.append(int(code[1:], 16))
        elif code[0] == "u":
            data += chr(int(code[1:], 16)).encode("utf-8")
        else:
            data += {"\\": "\\", "t": "\t", "r": "\r", "n": "\n"}[code].encode()
        pos = found.end()
    data += body[pos:].encode(*_ENCODING)
    return data.decode(*_ENCODING)


def _needs_escape(text: str) -> bool:
    return any(_escape_char(ch) != ch for ch in text if ch != "\\") or text.endswith(
        KINDS + (NO_EOL,)
    )


def render_line(text: str, eol: bool, *, first: bool = False, last: bool = False) -> str:
    """How an actual output line is written into a `.t` file (without indent).

    Lines that would be misread are escaped: a leading `$ ` (a command), a
    leading `> ` on the first line (a continuation), `[N]` as the last line
    (an exit code) and a trailing marker such as ` (re)`.
    """
    suffix = "" if eol else NO_EOL
    plain = text + suffix
    ambiguous = plain.startswith("$ ") or (
        (first and (plain.startswith("> ") or plain == ">"))
        or (last and _EXIT_LINE.fullmatch(plain))
    )
    if ambiguous or _needs_escape(text):
        return escape(text, first=bool(ambiguous)) + suffix + " (esc)"
    return plain


# -------------------------------------------------------------------- matching


def _split_markers(body: str) -> tuple[str, str | None, bool]:
    """`'x* (no-eol) (glob)'` -> `('x*', 'glob', False)`; markers in any order."""
    kind, eol = None, True
    for _ in range(2):
        if eol and body.endswith(NO_EOL):
            body, eol = body[: -len(NO_EOL)], False
        for marker in KINDS:
            if kind is None and body.endswith(marker):
                body, kind = body[: -len(marker)], marker[2:-1]
    return body, kind, eol


def glob_to_regex(pattern: str) -> str:
    """cram globs: `*` any run, `?` one char, backslash makes the next literal."""
    out, chars = [], iter(pattern)
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def match_line(expected: str, text: str, eol: bool = True) -> bool:
    """Whether an expected line (indent removed) accepts one actual line."""
    if expected == render_line(text, eol):
        return True
    body, kind, want_eol = _split_markers(expected)
    if want_eol != eol:
        return False
    if kind == "esc":
        return unescape(body) == text
    if kind in ("re", "glob"):
        pattern = body if kind == "re" else glob_to_regex(body)
        try:
            return re.fullmatch(pattern, text, re.DOTALL) is not None
        except re.error:
            return False
    return body == text


def bad_regexes(command: Command) -> list[str]:
    """Notes for `(re)` lines that do not compile, so a failure says why."""
    notes = []
    for offset, line in enumerate(command.expected, start=1):
        body, kind, _ = _split_markers(line)
        if kind == "re":
            try:
                re.compile(body)
            except re.error as exc:
                notes.append(f"line {command.line + len(command.source_lines) + offset - 1}: "
                             f"bad regex {body!r}: {exc}")
    return notes


# --------------------------------------------------------------------- running


@dataclass
class Output:
    """What one command printed (lines of `(text, ends_with_newline)`) and its status."""

    lines: list[tuple[str, bool]]
    exit_code: int


@dataclass
class RunResult:
    outputs: list[Output | None]  # None: the command never ran
    timed_out: bool = False
    shell_status: int = 0
    lingering: bool = False  # the shell ended but a background job held the output open


def split_lines(text: str) -> list[tuple[str, bool]]:
    """Split on `\\n` only (not on `\\r` and friends), noting a missing final newline."""
    if not text:
        return []
    pieces = text.split("\n")
    lines = [(piece, True) for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append((pieces[-1], False))
    return lines


def build_env(root: Path, testdir: Path, testfile: str, cache_dir: Path,
              base: dict[str, str] | None = None) -> dict[str, str]:
    """A pinned environment, so output does not depend on who runs the tests."""
    base = dict(os.environ if base is None else base)
    env = {key: value for key, value in base.items()
           if key == "LD_LIBRARY_PATH" or key.startswith(("COV_CORE_", "COVERAGE_"))}
    home = root / "home"
    env.update(
        PATH=os.path.dirname(sys.executable) + os.pathsep + base.get("PATH", os.defpath),
        COLUMNS="80", LINES="24", NO_COLOR="1", TERM="dumb",
        LANG="C.UTF-8", LC_ALL="C.UTF-8", TZ="UTC",
        HOME=str(home), TMPDIR=str(root / "tmp"),
        XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"), XDG_CACHE_HOME=str(cache_dir),
        PYTHONHASHSEED="0", PYTHONUNBUFFERED="1",  # unbuffered keeps stdout/stderr in order
        TESTDIR=str(testdir), TESTFILE=testfile,
    )
    return env


def build_script(cmds: list[Command], salt: str) -> str:
    """One bash script: each command followed by a marker carrying its `$?`."""
    parts = []
    for index, command in enumerate(cmds):
        parts.append(command.source + "\n")
        parts.append(f"echo {salt} {index} $?\n")
    return "".join(parts)


def split_output(text: str, salt: str, count: int, shell_status: int) -> list[Output | None]:
    """Cut the merged stream at the markers; after the last marker the shell stopped."""
    marker = re.compile(re.escape(salt) + r" (\d+) (\d+)\n")
    outputs: list[Output | None] = []
    pos = 0
    for found in marker.finditer(text):
        outputs.append(Output(split_lines(text[pos:found.start()]), int(found.group(2))))
        pos = found.end()
    if len(outputs) < count:  # the shell exited (or was killed) inside a command
        outputs.append(Output(split_lines(text[pos:]), shell_status))
    return outputs + [None] * (count - len(outputs))


def run(cmds: list[Command], testdir: Path, testfile: str, cache_dir: Path,
        timeout: float = DEFAULT_TIMEOUT) -> RunResult:
    """Run all commands in one bash in a fresh temp dir; stdout+stderr merged."""
    salt = "CRAM" + uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="cram-") as tmp:
        root = Path(tmp)
        for sub in ("work", "home", "tmp"):
            (root / sub).mkdir()
        script = root / "script.sh"
        script.write_bytes(build_script(cmds, salt).encode(*_ENCODING))
        env = build_env(root, testdir, testfile, cache_dir)
        proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc", str(script)], cwd=root / "work", env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,  # so a timeout can kill the whole process group
        )
        timed_out = lingering = False
        try:
            data, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out, lingering = True, proc.poll() is not None
            _kill_group(proc)
            try:
                data, _ = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:  # a grandchild left the group
                data = b""
        _kill_group(proc)  # background jobs a test forgot
    status = proc.returncode if proc.returncode is not None else -9
    outputs = split_output(data.decode(*_ENCODING), salt, len(cmds), status)
    return RunResult(outputs, timed_out, status, lingering)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


# ------------------------------------------------------------------- comparing


def merge(expected: list[str], actual: list[tuple[str, bool]]) -> tuple[bool, list[str]]:
    """Compare one command's output; return (ok, lines to write for it).

    The lines to write are the actual output, except that an expected line
    which still matches (longest common subsequence under `match_line`) is
    kept as written, so `(re)` and `(glob)` lines survive `--update-golden`.
    """
    n, m = len(expected), len(actual)
    hits = [[match_line(e, *a) for a in actual] for e in expected]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best[i][j] = (best[i + 1][j + 1] + 1 if hits[i][j]
                          else max(best[i + 1][j], best[i][j + 1]))
    kept: dict[int, str] = {}  # actual index -> expected line that matches it
    i = j = 0
    while i < n and j < m:
        if hits[i][j]:  # taking a match is always optimal, whatever the predicate
            kept[j] = expected[i]
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    lines = [kept[j] if j in kept else render_line(text, eol, first=j == 0, last=j == m - 1)
             for j, (text, eol) in enumerate(actual)]
    return best[0][0] == n == m, lines


@dataclass
class Report:
    """Outcome of one `.t` file: texts for the diff and for `--update-golden`."""

    passed: bool
    expected_text: str
    actual_text: str
    notes: list[str]
    updatable: bool  # False when the run was cut short (timeout)

    def diff(self, name: str) -> str:
        return "".join(difflib.unified_diff(
            self.expected_text.splitlines(keepends=True),
            self.actual_text.splitlines(keepends=True),
            fromfile=f"{name} (expected)", tofile=f"{name} (actual)",
        ))


def render(blocks: list, bodies: dict[int, list[str]]) -> str:
    """Write a `.t` file back: prose as it was, each command with `bodies[id]`."""
    out = []
    for block in blocks:
        if isinstance(block, Command):
            out.extend(block.source_lines)
            out.extend("  " + body for body in bodies[id(block)])
        else:
            out.append(block)
    return "\n".join(out) + "\n" if out else ""


def _with_exit(lines: list[str], code: int | None) -> list[str]:
    return lines + [f"[{code}]"] if code is not None else lines


def check(text: str, testdir: Path, testfile: str, cache_dir: Path,
          timeout: float = DEFAULT_TIMEOUT) -> Report:
    """Parse, run and compare one `.t` file's text."""
    blocks = parse(text)
    cmds = commands(blocks)
    result = run(cmds, testdir, testfile, cache_dir, timeout)
    want, got, notes, passed = {}, {}, [], True
    for command, output in zip(cmds, result.outputs):
        want[id(command)] = _with_exit(command.expected, command.exit_code)
        if output is None:
            got[id(command)] = []
            passed = False
            continue
        ok, lines = merge(command.expected, output.lines)
        expected_code = command.exit_code or 0
        keep_code = command.exit_code if expected_code == output.exit_code else None
        code = keep_code if keep_code is not None else (output.exit_code or None)
        got[id(command)] = _with_exit(lines, code)
        what = [] if ok else ["output differs"]
        if expected_code != output.exit_code:
            what.append(f"exit code {output.exit_code}, expected {expected_code}")
        if what:
            passed = False
            notes.append(f"line {command.line}: {'; '.join(what)} "
                         f"for `{command.source_lines[0][4:]}`")
            notes.extend(bad_regexes(command))
    ran = [out for out in result.outputs if out is not None]
    if result.timed_out:
        where = cmds[len(ran) - 1].line if ran else 0
        notes.insert(0, f"timed out after {timeout:g} s (killed) " + (
            "after the last command: a background process kept the output open"
            if result.lingering else f"while running the command at line {where}"))
    elif len(ran) < len(cmds):
        notes.insert(0, f"the shell exited with status {result.shell_status} in the command "
                        f"at line {cmds[len(ran) - 1].line}; {len(cmds) - len(ran)} later "
                        "command(s) did not run")
    return Report(passed and not result.timed_out, render(blocks, want), render(blocks, got),
                  notes, updatable=not result.timed_out)


def check_file(path: Path, cache_dir: Path, timeout: float = DEFAULT_TIMEOUT) -> Report:
    path = Path(path).resolve()
    text = path.read_bytes().decode(*_ENCODING)
    return check(text, path.parent, path.name, cache_dir, timeout)


def write_file(path: Path, text: str) -> None:
    Path(path).write_bytes(text.encode(*_ENCODING))
