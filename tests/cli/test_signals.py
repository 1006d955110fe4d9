"""Ctrl-C and --timeout stop a running script cleanly: a diagnostic, the right exit code, no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GRADCLI = str(Path(sys.executable).parent / "gradcli")
pytestmark = pytest.mark.skipif(not os.path.exists(GRADCLI), reason="gradcli is not installed")

FOREVER = "x = tensor(1.0, requires_grad=True)\nwhile True:\n    x = x * 1.0\n"


def test_ctrl_c_stops_a_script_with_exit_130(tmp_path):
    script = tmp_path / "forever.grad"
    script.write_text(FOREVER)
    proc = subprocess.Popen([GRADCLI, "run", str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.startswith("error: interrupted") and "Traceback" not in err


def test_timeout_stops_a_runaway_loop(tmp_path):
    script = tmp_path / "forever.grad"
    script.write_text(FOREVER)
    done = subprocess.run([GRADCLI, "run", "--timeout", "1", str(script)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert "--timeout" in done.stderr and "Traceback" not in done.stderr
