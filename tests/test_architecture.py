"""The architecture as checks that run with the tests: the layering (import-linter's contracts in
pyproject.toml), ruff's lint (complexity, unused arguments, line length) and the size of a room."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGES = sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))
CODE = [p for p in PACKAGES if p not in {"tests", "bench"}]


def test_every_package_is_in_the_layering() -> None:
    assert sorted(CONFIG["tool"]["importlinter"]["root_packages"]) == CODE


def test_the_layers_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert lint_imports(no_cache=True, no_logo=True) == 0, "a contract is broken (see above)"


def test_the_code_passes_its_lint() -> None:
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                          capture_output=True, text=True, check=False)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr


@pytest.mark.parametrize("package", CODE)
def test_no_module_outgrows_its_room(package: str) -> None:
    """About 400 lines at most: past that, a module holds more than one thing."""
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts}
    assert {name: n for name, n in sizes.items() if n > 420} == {}
