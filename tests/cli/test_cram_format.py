"""Tests for our cram `.t` collector: parsing, matching, running, updating.

They use plain shell commands (echo, printf, false, exit), never gradcli, so
they hold before the CLI exists and fail only when the collector is wrong.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

try:
    from . import cram
except ImportError:
    import cram

HERE = Path(__file__).parent


@pytest.fixture
def cache(tmp_path):
    path = tmp_path / "cache"
    path.mkdir()
    return path


def check(text, tmp_path, cache, timeout=30.0):
    return cram.check(text, tmp_path, "x.t", cache, timeout)


# --------------------------------------------------------------------- parsing


def test_parse_keeps_prose_and_splits_commands():
    blocks = cram.parse("Intro.\n\n  $ echo a\n  a\nMore prose.\n  $ true\n")
    assert blocks[:2] == ["Intro.", ""]
    first, prose, second = blocks[2:]
    assert (first.line, first.source, first.expected, first.exit_code) == (3, "echo a", ["a"], None)
    assert prose == "More prose."
    assert (second.line, second.source, second.expected) == (6, "true", [])


def test_continuation_lines_join_into_one_command():
    [command] = cram.parse("  $ cat <<EOF\n  > one\n  >\n  > EOF\n  one\n  \n")
    assert command.source == "cat <<EOF\none\n\nEOF"
    assert command.expected == ["one", ""]


def test_gt_line_after_output_is_output_not_continuation():
    [command] = cram.parse("  $ echo x\n  x\n  > y\n")
    assert command.source == "echo x"
    assert command.expected == ["x", "> y"]


def test_last_bracket_line_is_the_exit_code():
    [command] = cram.parse("  $ f\n  [2]\n  out\n  [3]\n")
    assert command.expected == ["[2]", "out"]
    assert command.exit_code == 3


def test_empty_line_ends_a_command_and_orphan_output_is_an_error():
    with pytest.raises(cram.CramSyntaxError, match="line 4"):
        cram.parse("  $ printf 'a\\n\\nb\\n'\n  a\n\n  b\n")


def test_render_of_parsed_file_is_unchanged():
    text = "Prose.\n  $ a\n  > b\n  out\n  [1]\n\nEnd.\n"
    blocks = cram.parse(text)
    bodies = {id(c): c.expected + [f"[{c.exit_code}]"] for c in cram.commands(blocks)}
    assert cram.render(blocks, bodies) == text


# -------------------------------------------------------------------- matching


@pytest.mark.parametrize("expected, text, eol", [
    ("hello", "hello", True),
    ("took \\d+ ms (re)", "took 12 ms", True),
    ("a.* (re)", "a\\b", True),
    ("id=*-??3 (glob)", "id=abc-123", True),
    ("a \\* b \\? (glob)", "a * b ?", True),
    ("tab\\there\\x01 (esc)", "tab\there\x01", True),
    ("caf\\xc3\\xa9 (esc)", "café", True),
    ("no newline (no-eol)", "no newline", False),
    ("n.* (no-eol) (re)", "no newline", False),
    ("n* (glob) (no-eol)", "no newline", False),
    ("x\\ty (no-eol) (esc)", "x\ty", False),
])
def test_match_line_accepts(expected, text, eol):
    assert cram.match_line(expected, text, eol)


@pytest.mark.parametrize("expected, text, eol", [
    ("hello", "hello ", True),
    ("hello", "hello", False),  # missing (no-eol)
    ("hello (no-eol)", "hello", True),
    ("took \\d+ ms (re)", "took 12 ms!", True),  # fullmatch, not search
    ("took \\d+ ms (re)", "xtook 12 ms", True),
    ("took \\d+ (re)", "took \\d+", True),
    ("id=*-??3 (glob)", "id=abc-1234", True),
    ("a \\* b (glob)", "a x b", True),
    ("tab\\there (esc)", "tab here", True),
    ("bad [regex (re)", "bad [regex", True),
    ("n.* (re)", "no newline", False),
])
def test_match_line_rejects(expected, text, eol):
    assert not cram.match_line(expected, text, eol)


def test_glob_to_regex():
    assert cram.glob_to_regex("a*b?c\\*d.") == "a.*b.c\\*d\\."


line_text = st.text(alphabet="ab $>[]1()reglobscn-\\\t\x01\x7f\u200bé€\udcff ", max_size=12)


@given(st.lists(st.tuples(line_text, st.booleans()), max_size=5))
def test_rendered_output_reads_back_as_the_same_output(lines):
    """Whatever a command prints, the written `.t` must parse back and match."""
    actual = [(text, True) for text, _ in lines[:-1]] + [(t, eol) for t, eol in lines[-1:]]
    ok, written = cram.merge([], actual)
    assert ok == (not actual)
    [command] = cram.parse("  $ cmd\n" + "".join(f"  {line}\n" for line in written))
    assert command.exit_code is None
    ok, rewritten = cram.merge(command.expected, actual)
    assert ok and rewritten == written


@given(line_text)
def test_escape_round_trips(text):
    assert cram.unescape(cram.escape(text)) == text
    assert cram.unescape(cram.escape(text, first=True)) == text


def test_merge_keeps_matching_patterns_and_replaces_the_rest():
    expected = ["a\\d (re)", "gone", "c* (glob)"]
    actual = [("a1", True), ("new", True), ("cat", True), ("extra", True)]
    ok, lines = cram.merge(expected, actual)
    assert not ok
    assert lines == ["a\\d (re)", "new", "c* (glob)", "extra"]


# --------------------------------------------------------------------- running

GOOD = """\
Prose is kept.

  $ echo out; echo err >&2; echo out2
  out
  err
  out2
  $ false
  [1]
  $ (exit 3)
  [3]
  $ printf 'x'
  x (no-eol)
  $ printf '\\377\\n'
  \\xff (esc)
  $ echo "took 5 ms"
  took \\d+ ms (re)
  $ echo 'file-42.txt'
  file-*.txt (glob)
  $ cat > f.txt <<EOF
  > kept
  > EOF
  $ v=shared; cd "$HOME"; cd - >/dev/null
  $ cat f.txt; echo "$v"
  kept
  shared
"""


def test_correct_file_passes(tmp_path, cache):
    report = check(GOOD, tmp_path, cache)
    assert report.passed, report.diff("x.t") + "\n".join(report.notes)
    assert report.actual_text == report.expected_text == GOOD


@pytest.mark.parametrize("old, new", [
    ("  out2\n", "  out3\n"),  # wrong text
    ("  err\n  out2\n", "  out2\n  err\n"),  # wrong order of stdout/stderr
    ("  [1]\n", ""),  # missing exit code
    ("  [3]\n", "  [4]\n"),  # wrong exit code
    ("  x (no-eol)\n", "  x\n"),  # missing no-eol
    ("  \\xff (esc)\n", "  \\xfe (esc)\n"),  # wrong byte
    ("  kept\n  shared\n", "  kept\n"),  # missing line
    ("  kept\n", "  kept\n  kept\n"),  # extra line
])
def test_wrong_expectation_fails_and_update_restores_it(tmp_path, cache, old, new):
    assert old in GOOD
    report = check(GOOD.replace(old, new, 1), tmp_path, cache)
    assert not report.passed and report.notes
    assert report.updatable
    assert report.actual_text == GOOD  # what --update-golden would write
    assert report.diff("x.t")


@pytest.mark.parametrize("old, new, written", [
    ("  $ false\n", "  $ true\n", "  $ true\n  $ (exit 3)"),
    ("\\d+ ms (re)", "\\d+ s (re)", "  took 5 ms\n"),
    ("file-*.txt (glob)", "file-?.txt (glob)", "  file-42.txt\n"),
])
def test_wrong_pattern_or_command_fails(tmp_path, cache, old, new, written):
    assert old in GOOD
    report = check(GOOD.replace(old, new, 1), tmp_path, cache)
    assert not report.passed
    assert written in report.actual_text
    assert check(report.actual_text, tmp_path, cache).passed


def test_every_expected_line_of_the_sample_is_checked(cache):
    """Change any one expected line or exit code of shell-basics.t: it must fail."""
    path = HERE / "shell-basics.t"
    blocks = cram.parse(path.read_text())
    cmds = cram.commands(blocks)
    result = cram.run(cmds, HERE, path.name, cache, timeout=60)
    mutations = 0
    for command, output in zip(cmds, result.outputs):
        assert output is not None
        assert cram.merge(command.expected, output.lines)[0], command.source
        assert (command.exit_code or 0) == output.exit_code, command.source
        for index, line in enumerate(command.expected):
            for wrong in ("X" + line, line + "X (no-eol)"):
                changed = command.expected[:index] + [wrong] + command.expected[index + 1:]
                assert not cram.merge(changed, output.lines)[0], (command.source, wrong)
                mutations += 1
        assert not cram.merge(command.expected + [""], output.lines)[0]
    assert mutations > 40


def test_update_rewrites_and_then_passes(tmp_path, cache):
    text = ("Top prose.\n  $ echo one; echo 'v 2.0'; echo three\n  zero\n  v \\d.\\d (re)\n"
            "  $ echo same\n  same\n  [1]\nBottom prose.\n")
    report = check(text, tmp_path, cache)
    assert not report.passed
    assert report.actual_text == ("Top prose.\n  $ echo one; echo 'v 2.0'; echo three\n"
                                  "  one\n  v \\d.\\d (re)\n  three\n"
                                  "  $ echo same\n  same\nBottom prose.\n")
    assert check(report.actual_text, tmp_path, cache).passed


def test_shell_exit_stops_later_commands(tmp_path, cache):
    report = check("  $ echo a; exit 3\n  a\n  [3]\n  $ echo never\n  never\n", tmp_path, cache)
    assert not report.passed
    assert "did not run" in report.notes[0]
    assert check("  $ echo a\n  a\n  $ exit 3\n  [3]\n", tmp_path, cache).passed


def test_timeout_kills_the_shell_and_fails_clearly(tmp_path, cache):
    start = time.monotonic()
    report = check("  $ echo before\n  before\n  $ sleep 30\n", tmp_path, cache, timeout=1)
    assert time.monotonic() - start < 10
    assert not report.passed and not report.updatable
    assert "timed out after 1 s" in report.notes[0] and "line 3" in report.notes[0]


def test_environment_is_pinned(tmp_path, cache):
    text = ("  $ echo \"$COLUMNS $LINES $NO_COLOR $TERM $LC_ALL $TZ $PYTHONHASHSEED\"\n"
            "  80 24 1 dumb C.UTF-8 UTC 0\n"
            "  $ echo \"${FORCE_COLOR-unset} $TESTDIR\"; pwd\n"
            f"  unset {tmp_path}\n  */work (glob)\n"
            "  $ command -v python\n"
            f"  {Path(sys.executable).parent}/python\n")
    report = check(text, tmp_path, cache)
    assert report.passed, report.diff("x.t")


def test_build_env_drops_host_settings(tmp_path):
    env = cram.build_env(tmp_path, tmp_path, "x.t", tmp_path / "c",
                         base={"PATH": "/usr/bin", "FORCE_COLOR": "1", "GRADCLI_X": "1",
                               "PYTHONPATH": "/x", "COV_CORE_SOURCE": "gradcli"})
    assert env["PATH"] == os.path.dirname(sys.executable) + os.pathsep + "/usr/bin"
    assert "FORCE_COLOR" not in env and "GRADCLI_X" not in env and "PYTHONPATH" not in env
    assert env["COV_CORE_SOURCE"] == "gradcli"
    assert env["XDG_CACHE_HOME"] == str(tmp_path / "c")
    assert env["HOME"].startswith(str(tmp_path)) and env["XDG_CONFIG_HOME"].startswith(env["HOME"])


def test_cache_dir_is_shared_between_files(tmp_path, cache):
    write = "  $ echo built > \"$XDG_CACHE_HOME/parser\"\n"
    read = "  $ cat \"$XDG_CACHE_HOME/parser\"; ls\n  built\n"
    assert check(write, tmp_path, cache).passed
    assert check(read, tmp_path, cache).passed  # and the working dir is fresh


# ------------------------------------------------------------ pytest plugin


@pytest.fixture
def project(tmp_path):
    """A copy of our conftests in a scratch project, run by a real pytest."""
    (tmp_path / "tests" / "cli").mkdir(parents=True)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (tmp_path / "tests" / "conftest.py").write_bytes((HERE.parent / "conftest.py").read_bytes())
    for name in ("conftest.py", "cram.py"):
        (tmp_path / "tests" / "cli" / name).write_bytes((HERE / name).read_bytes())
    return tmp_path


def pytest_in(root, *args):
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=root, capture_output=True, text=True, timeout=120)


def test_plugin_fails_shows_diff_and_updates(project):
    golden = project / "tests" / "cli" / "demo.t"
    golden.write_text("Demo.\n  $ echo hi\n  bye\n")
    failed = pytest_in(project)
    assert failed.returncode == 1, failed.stdout
    assert "-  bye\n+  hi" in failed.stdout
    assert "--update-golden" in failed.stdout

    updated = pytest_in(project, "--update-golden")  # from the root, no path
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "updated 1 golden file" in updated.stdout
    assert golden.read_text() == "Demo.\n  $ echo hi\n  hi\n"
    assert pytest_in(project, "tests/cli", "--update-golden").returncode == 0
    assert pytest_in(project).returncode == 0


def test_plugin_reports_syntax_errors(project):
    (project / "tests" / "cli" / "broken.t").write_text("prose\n  orphan\n")
    result = pytest_in(project, "--update-golden")
    assert result.returncode == 1
    assert "line 2: indented line with no" in result.stdout
