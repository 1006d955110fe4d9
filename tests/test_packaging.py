"""The wheel ships every package and data file: a non-editable install must work like the checkout."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def listed_packages() -> set[str]:
    text = (ROOT / "pyproject.toml").read_text()
    line = re.search(r"^packages = \[(.*)\]$", text, re.M).group(1)
    return set(re.findall(r'"([^"]+)"', line))


def test_every_python_package_is_listed_in_pyproject():
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "gradcli").rglob("__init__.py")}
    assert found <= listed_packages()


def test_the_grammar_ships_as_package_data():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"gradcli.grammar" = "grammar"' in text and '"gradcli.grammar" = ["*.lark"]' in text
    assert (ROOT / "grammar" / "gradcli.lark").is_file()
