"""The import-linter contracts in pyproject.toml (``make test`` runs them) hold, and can fail."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:              # the copy, ahead of the installed package
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([str(LINT), "--no-cache", "--no-logo", "--config", str(cwd / "pyproject.toml")],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_real_tree_keeps_its_contracts():
    r = _lint(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


@pytest.mark.parametrize("module,line", [("core/spec.py", "import PySide6"),
                                         ("compute/__init__.py", "import pyqtgraph"),
                                         ("ops.py", "from convviz.gui import mainwindow")])
def test_a_forbidden_import_breaks_the_contract(tmp_path, module, line):
    shutil.copytree(ROOT / "convviz", tmp_path / "convviz", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    clean = _lint(tmp_path, tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr       # the copy alone passes
    target = tmp_path / "convviz" / module
    target.write_text(target.read_text() + f"\n{line}\n")
    broken = _lint(tmp_path, tmp_path)
    assert broken.returncode != 0
    forbidden = line.split()[1]
    assert f"convviz.{module.removesuffix('.py').replace('/', '.').removesuffix('.__init__')} -> {forbidden}" \
        in broken.stdout, broken.stdout
