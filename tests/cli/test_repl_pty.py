"""The REPL driven through a real pseudo-terminal (pexpect): prompts, continuation, errors, Ctrl-C, completion."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

GRADCLI = shutil.which("gradcli", path=str(Path(sys.executable).parent)) or shutil.which("gradcli")
pytestmark = pytest.mark.skipif(GRADCLI is None, reason="gradcli is not installed")


@pytest.fixture
def repl(tmp_path):
    env = dict(os.environ, GRADCLI_HISTORY=str(tmp_path / "history"), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1",
               NO_COLOR="1", XDG_CACHE_HOME=os.environ.get("XDG_CACHE_HOME", str(tmp_path / "cache")))
    child = pexpect.spawn(GRADCLI, encoding="utf-8", env=env, timeout=30, dimensions=(40, 100))
    child.expect(">>>")
    yield child
    child.close(force=True)


def test_statement_then_echo(repl):
    repl.sendline("x = tensor(2.0, requires_grad=True)")
    repl.expect(">>>")
    repl.sendline("y = x ** 3; y.backward(); x.grad")
    repl.expect(r"tensor\(12\.\)")
    repl.expect(">>>")


def test_block_continues_until_an_empty_line(repl):
    repl.sendline("for i in range(3):")
    repl.expect(r"\.\.\.")
    repl.sendline("    print(i * 10)")
    repl.expect(r"\.\.\.")
    repl.sendline("")
    repl.expect("0\r?\n10\r?\n20")
    repl.expect(">>>")


def test_error_keeps_the_session_and_its_variables(repl):
    repl.sendline("a = 41")
    repl.expect(">>>")
    repl.sendline("a + undefined_name")
    repl.expect("name 'undefined_name' is not defined")
    repl.expect(">>>")
    repl.sendline("a + 1")
    repl.expect("42")


def test_ctrl_c_interrupts_a_computation_and_keeps_state(repl):
    repl.sendline("keep = 7")
    repl.expect(">>>")
    repl.sendline("while True: pass")
    repl.expect(r"\.\.\.")
    repl.sendline("")
    import time
    time.sleep(1.0)
    repl.sendintr()
    repl.expect("interrupted")
    repl.expect(">>>")
    repl.sendline("keep * 6")
    repl.expect("42")


def test_vars_table_and_help(repl):
    repl.sendline("w = ones(2, 3, requires_grad=True)")
    repl.expect(">>>")
    repl.sendline(":vars")
    repl.expect(r"w\s.*\[2, 3\]\s.*float32\s.*True")
    repl.expect(">>>")
    repl.sendline(":help")
    repl.expect(":reset")


def test_tab_completes_tensor_attributes(repl):
    repl.sendline("t = ones(2)")
    repl.expect(">>>")
    repl.send("t.requires_gr\t")
    repl.expect("requires_grad")
    repl.sendline("")
    repl.expect("False")


def test_ctrl_d_exits_cleanly(repl):
    repl.sendeof()
    repl.expect(pexpect.EOF)
    repl.close()
    assert repl.exitstatus == 0


def test_history_is_written(repl, tmp_path):
    repl.sendline("1 + 2")
    repl.expect("3")
    repl.sendeof()
    repl.expect(pexpect.EOF)
    assert "1 + 2" in (tmp_path / "history").read_text()
