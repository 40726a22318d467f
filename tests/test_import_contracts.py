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



def _clean_copy(tmp_path: Path) -> Path:
    """A copy of the package and its contracts, checked to pass as it is."""
    shutil.copytree(ROOT / "convviz", tmp_path / "convviz", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    clean = _lint(tmp_path, tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    return tmp_path / "convviz"


def _append(package: Path, module: str, line: str) -> None:
    target = package / module                        # created when new
    target.write_text((target.read_text() if target.exists() else "") + f"\n{line}\n")


@pytest.mark.parametrize("module,line,verdict,edge", [
    ("core/pipeline.py", "from convviz import compute",
     "convviz.core is not allowed to import convviz.compute", "convviz.core.pipeline -> convviz.compute"),
    ("core/scene.py", "from convviz.compute import call",
     "convviz.core is not allowed to import convviz.compute", "convviz.core.scene -> convviz.compute"),
    ("compute/engine.py", "from convviz import ops",
     "convviz.compute is not allowed to import convviz.ops", "convviz.compute.engine -> convviz.ops"),
    ("gui/document.py", "from convviz import ops",
     "convviz.gui is not allowed to import convviz.ops", "convviz.gui.document -> convviz.ops"),
    ("export.py", "from convviz import cli",
     "convviz.export is not allowed to import convviz.cli", "convviz.export -> convviz.cli"),
    ("core/geometry.py", "from convviz.core import spec",
     "convviz.core.geometry is not allowed to import convviz.core.spec", "convviz.core.geometry -> convviz.core.spec"),
])
def test_an_upward_import_breaks_the_layers(tmp_path, module, line, verdict, edge):
    package = _clean_copy(tmp_path)
    _append(package, module, line)
    broken = _lint(tmp_path, tmp_path)
    assert broken.returncode != 0
    assert verdict in broken.stdout and edge in broken.stdout, broken.stdout


def test_an_indirect_upward_import_breaks_the_layers(tmp_path):
    """geometry reaching spec through a core module listed in no layer is still caught."""
    package = _clean_copy(tmp_path)
    _append(package, "core/helper.py", "from convviz.core import spec")
    _append(package, "core/geometry.py", "from convviz.core import helper")
    broken = _lint(tmp_path, tmp_path)
    assert broken.returncode != 0
    assert "convviz.core.geometry is not allowed to import convviz.core.spec" in broken.stdout, broken.stdout
    assert "convviz.core.helper -> convviz.core.spec" in broken.stdout, broken.stdout


def test_a_new_top_level_module_must_be_placed_in_the_layers(tmp_path):
    package = _clean_copy(tmp_path)
    _append(package, "session.py", "import numpy")
    broken = _lint(tmp_path, tmp_path)
    assert broken.returncode != 0
    assert "convviz.session" in broken.stdout + broken.stderr, broken.stdout + broken.stderr
