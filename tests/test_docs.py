"""The API's documentation: every example runs and prints what it says, every public
function is documented PyTorch-style, and docs/API.md carries the same text."""
from __future__ import annotations

import doctest
import inspect
from pathlib import Path

import pytest

from convviz import ops

ROOT = Path(__file__).resolve().parents[1]
API_MD = ROOT / "docs" / "API.md"
SECTIONS = ("Args:", "Shape:", "Returns:", "Raises:", "Example:")


@pytest.fixture(params=["numpy", "opencl"])
def backend(request, monkeypatch):
    if request.param == "opencl":
        request.getfixturevalue("cl_engine")
    monkeypatch.setenv("CONVVIZ_BACKEND", request.param)
    return request.param


def test_every_example_in_the_module_passes(backend):
    result = doctest.testmod(ops, extraglobs={"ops": ops}, report=True)
    assert result.failed == 0 and result.attempted > 0


def test_every_public_function_has_an_example():
    tests = {t.name: len(t.examples) for t in doctest.DocTestFinder().find(ops, extraglobs={"ops": ops})}
    assert tests.get("convviz.ops", 0) >= 1, "the module docstring's example"
    for name in ops.__all__:
        assert tests.get(f"convviz.ops.{name}", 0) >= 1, name


@pytest.mark.parametrize("name", ops.__all__)
def test_docstrings_have_every_section(name):
    doc = inspect.getdoc(getattr(ops, name))
    positions = [doc.find(section) for section in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), f"{name}: {SECTIONS} in this order"


def test_the_output_size_formula_is_written_out():
    assert "H_out = ⌊(H_in + p_top + p_bottom − d[0]·(kH − 1) − 1) / s[0]⌋ + 1" in ops.conv2d.__doc__
    assert "H_out = ⌊(H_in + 2·p[0] − k[0]) / s[0]⌋ + 1" in ops.max_pool2d.__doc__


def test_api_page_has_every_docstring_and_its_examples_pass(backend):
    text = API_MD.read_text(encoding="utf-8")
    for name in ops.__all__:
        assert f"## `ops.{name}`" in text, name
        assert inspect.getdoc(getattr(ops, name)) in text, f"docs/API.md's {name} differs from its docstring"
    for topic in ("CONVVIZ_BACKEND", "CONVVIZ_DEVICE", "CONVVIZ_MAX_BYTES", "## dtypes", "## Errors", "## Backends"):
        assert topic in text
    result = doctest.testfile(str(API_MD), module_relative=False, encoding="utf-8")
    assert result.failed == 0 and result.attempted >= 8


def test_readme_links_the_api_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    api = readme[readme.index("## The API"):readme.index("\n## ", readme.index("## The API") + 1)]
    assert "(docs/API.md)" in api
