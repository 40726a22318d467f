"""Tensors as .npy/CSV, and the PyTorch script that reproduces a scene."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path
from contextlib import redirect_stdout

import numpy as np
import pytest

from convviz.core import presets
from convviz.core.lessons import LESSONS
from convviz.core.pipeline import BlockConfig
from convviz.core.tensorfiles import scene_tensors, write_tensors
from convviz.core.torchcode import MAX_VALUES, torch_script
from tests.core.torchcode_cases import CONFIGS, OUTPUTS, run_script, scene, script_key, scripts


def test_tensors_round_trip_as_npy_and_csv(tmp_path):
    scene = presets.default_scene()
    p = scene.pipeline("numpy")
    arrays = scene_tensors(p.tensors, p.compute())
    assert {"x", "w", "z", "p", "dx", "dw", "db"} <= set(arrays)
    written = write_tensors(tmp_path / "out", arrays)
    assert len(written) == 2 * len(arrays) and not list((tmp_path / "out").glob(".convviz-*"))
    for name, a in arrays.items():
        np.testing.assert_array_equal(np.load(tmp_path / "out" / f"{name}.npy"), a)
        with open(tmp_path / "out" / f"{name}.csv") as f:
            rows = list(csv.reader(f))
        back = np.zeros(a.shape, np.float32)
        for row in rows[1:]:
            back[tuple(int(i) for i in row[:-1])] = np.float32(row[-1])
        np.testing.assert_array_equal(back, a)
    assert rows[0][-1] == "value"


def test_the_script_is_python_and_a_big_scene_is_refused():
    for build in LESSONS.values():
        compile(torch_script(build()), "<script>", "exec")
    big = replace(presets.default_scene(), x=np.zeros((1, 1, 200, 200), np.float32))
    with pytest.raises(ValueError, match=f"at most {MAX_VALUES}"):
        torch_script(big)


FIXTURE = Path(__file__).parents[1] / "data" / "torchcode_fixture.npz"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_script_gives_pytorchs_numbers_equal_to_ours(name):
    """PyTorch's numbers come from running the script: live when torch is installed, else
    from the fixture tools/make_torchcode_fixture.py stored, which holds only scripts
    identical to the one generated now."""
    script = scripts()[name]
    try:
        import torch  # noqa: F401
        theirs = run_script(script)
    except ImportError:
        stored = np.load(FIXTURE)
        assert str(stored[f"{name}.key"]) == script_key(script), (
            "the generated script changed since PyTorch last ran it: run tools/make_torchcode_fixture.py "
            "with torch installed")
        theirs = {k: stored[f"{name}.{k}"] for k in OUTPUTS}
    r = scene(name).pipeline("numpy").compute()
    for k, ours in zip(OUTPUTS, (r.z, r.p, r.dx, r.dw, r.db, r.dz)):
        np.testing.assert_allclose(ours, theirs[k], rtol=1e-4, atol=1e-5, err_msg=k)
    assert float(theirs["loss"]) == pytest.approx(float(r.loss), rel=1e-5, abs=1e-6)   # the printed loss
