"""Collect `tests/cli/*.t` cram-format golden files: one pytest item per file.

The format and the runner live in `cram.py`; this file is only pytest glue.
`--update-golden` (registered in `tests/conftest.py`) rewrites failing files.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

try:
    from . import cram  # tests/cli as a package
except ImportError:
    import cram  # tests/cli on sys.path (pytest's default rootdir/prepend mode)

TIMEOUT = 120.0  # seconds per .t file
_UPDATED = pytest.StashKey[list]()
_CACHE = pytest.StashKey[Path]()


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".t":
        return CramFile.from_parent(parent, path=file_path)
    return None


class CramFile(pytest.File):
    def collect(self):
        yield CramItem.from_parent(self, name=self.path.name)


class CramMismatch(Exception):
    """Raised with the finished failure text (notes plus unified diff)."""


class CramItem(pytest.Item):
    def runtest(self) -> None:
        report = cram.check_file(self.path, _cache_dir(self.config), TIMEOUT)
        if report.passed:
            return
        if self.config.getoption("update_golden", default=False) and report.updatable:
            cram.write_file(self.path, report.actual_text)
            self.config.stash.setdefault(_UPDATED, []).append(self.path)
            return
        hint = "" if report.updatable else " (not updatable: the run was cut short)"
        raise CramMismatch("\n".join(
            report.notes
            + [f"run `pytest {self.path} --update-golden` to accept the actual output{hint}",
               "", report.diff(self.path.name)]))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (CramMismatch, cram.CramSyntaxError)):
            return f"{self.path.name}: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"cram: {self.name}"


def _cache_dir(config: pytest.Config) -> Path:
    """One XDG_CACHE_HOME per session: the cases never touch the user's cache."""
    if _CACHE not in config.stash:
        path = Path(tempfile.mkdtemp(prefix="cram-cache-"))
        config.stash[_CACHE] = path
        config.add_cleanup(lambda: shutil.rmtree(path, ignore_errors=True))
    return config.stash[_CACHE]


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    updated = config.stash.get(_UPDATED, [])
    if updated:
        terminalreporter.write_sep("=", f"updated {len(updated)} golden file(s)")
        for path in updated:
            terminalreporter.write_line(str(path))
