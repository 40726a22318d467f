"""Tensors as .npy/CSV, and the PyTorch script that reproduces a scene."""
from __future__ import annotations

import csv
import io
import re
from contextlib import redirect_stdout

import numpy as np
import pytest

from convviz.core import presets
from convviz.core.lessons import LESSONS
from convviz.core.pipeline import BlockConfig
from convviz.core.tensorfiles import scene_tensors, write_tensors
from convviz.core.torchcode import MAX_VALUES, torch_script


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
    big = presets.default_scene()
    big.x = np.zeros((1, 1, 200, 200), np.float32)
    with pytest.raises(ValueError, match=f"at most {MAX_VALUES}"):
        torch_script(big)


def _configs():
    yield "default", {}
    yield "reflect-asymmetric", dict(padding=((1, 2), (0, 1)), padding_mode="reflect", activation="tanh")
    yield "true-conv-stride", dict(true_convolution=True, stride=(2, 2), pool="avg", pool_kernel=(2, 2),
                                   activation="leaky_relu")
    yield "circular-same", dict(padding="same", padding_mode="circular", activation="sigmoid", pool="none",
                                loss="one_hot", one_hot_cell=(0, 0, 2, 3))
    yield "dilated-mse", dict(dilation=(2, 2), padding=(2, 2), loss="half_squared_error", pool="max")


@pytest.mark.parametrize("name,config", list(_configs()), ids=[n for n, _ in _configs()])
def test_the_script_gives_pytorchs_numbers_equal_to_ours(name, config):
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch to compare with it)")
    scene = presets.default_scene()
    rng = np.random.default_rng(len(name))
    scene.x = rng.standard_normal((2, 2, 7, 8)).astype(np.float32)
    scene.w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    scene.b = rng.standard_normal(3).astype(np.float32)
    scene.config = BlockConfig(**config)
    if scene.config.loss == "half_squared_error":
        p_shape = (2, 3, 3, 4)                  # P of a 7×8 input, dilation 2, padding 2, 2×2 max pool
        scene.target = rng.standard_normal(p_shape).astype(np.float32)
    r = scene.pipeline("numpy").compute()
    ns: dict = {}
    with redirect_stdout(io.StringIO()) as out:
        exec(torch_script(scene), ns)
    assert "dX =" in out.getvalue()
    for ours, theirs in ((r.z, ns["z"]), (r.p, ns["p"]), (r.dx, ns["x"].grad), (r.dw, ns["w"].grad),
                         (r.db, ns["b"].grad)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-4, atol=1e-5)
    printed = re.search(r"^L = (\S+)$", out.getvalue(), re.M)          # the loss the script prints is ours
    assert printed and float(printed[1]) == pytest.approx(float(r.loss), rel=1e-5, abs=1e-6), out.getvalue()
    np.testing.assert_allclose(r.dz, ns["z"].grad.numpy(), rtol=1e-4, atol=1e-5)
