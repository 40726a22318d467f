"""The n / c selectors choose the plane every view shows, during steps too (issue #14, item 1)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene
from convviz.core.paths import roles
from tests.gui.conftest import type_into

N, CIN, COUT = 2, 2, 3


def _scene() -> Scene:
    rng = np.random.default_rng(7)
    x = rng.integers(-3, 4, (N, CIN, 6, 6)).astype(np.float32)
    w = rng.integers(-2, 3, (COUT, CIN, 3, 3)).astype(np.float32)
    return Scene(x, w, np.arange(COUT, dtype=np.float32), config=BlockConfig(padding=(1, 1), loss="sum"))


def _next(window, qtbot) -> None:
    """The player's "next" button (the arrow keys belong to a spin box that was just typed into)."""
    qtbot.mouseClick(window.player.buttons["next"], QtCore.Qt.LeftButton)


def _to_a_step(window, qtbot) -> None:
    """Press → until the player is inside a stage's steps that show a batch of activations (N × C × H × W)."""
    doc = window.doc
    for _ in range(200):
        batched = any(v.data.ndim == 4 and v.role.axes[0] == "n" for v in _shown(window).values())
        if doc.path().position(doc.position)[1] is not None and batched:
            return
        _next(window, qtbot)
    raise AssertionError("no such step within 200 clicks of next")


def _shown(window) -> dict:
    return {v.role.name: v for v in window.stage.views if v.isVisible()}


@pytest.mark.parametrize("path", ["forward", "dw", "dx-gather", "dx-scatter"])
def test_the_selectors_choose_the_plane_of_every_view_during_steps(window, qtbot, path):
    window.doc.set_scene(_scene())
    window.doc.set_path(path)
    _to_a_step(window, qtbot)
    bar = window.path_bar
    assert bar.follow.isChecked()
    # the ranges are the tensors' own: 2 samples, and 3 channels (Cout) at most
    assert bar.sel_n.maximum() == N - 1 and bar.sel_c.maximum() == COUT - 1
    type_into(qtbot, bar.sel_n, "1")
    type_into(qtbot, bar.sel_c, "2")
    assert not bar.follow.isChecked() and (bar.sel_n.value(), bar.sel_c.value()) == (1, 2)
    for moves in range(2):                         # the choice stays while the player moves on
        views = _shown(window)
        four_d = {name: v for name, v in views.items() if v.data.ndim == 4}
        assert four_d, path
        for name, v in four_d.items():
            data = v.data
            if v.role.kind in (roles.KERNEL, roles.FLIPPED):                   # a kernel: its first axis at c (W′ is Cin × Cout: 1)
                q = min(2, data.shape[0] - 1)
                assert v.index[0] == q, name
                expected = data[q, v.index[1]]
            else:                                      # an activation: sample 1, channel 2 (Cin 2: channel 1)
                expected = data[1, min(2, data.shape[1] - 1)]
            np.testing.assert_array_equal(v.image.image, expected.astype(np.float32), err_msg=name)
        before = window.doc.position
        _next(window, qtbot)
        _to_a_step(window, qtbot)
        assert window.doc.position > before


def test_choosing_n_then_following_the_step_again(window, qtbot):
    window.doc.set_scene(_scene())
    window.doc.set_path("forward")
    _to_a_step(window, qtbot)
    for _ in range(100):                               # to a step that writes Z[n, q] with q ≠ 0 or n ≠ 0
        si, k = window.doc.path().position(window.doc.position)
        step = window.doc.path().stages[si].step(k) if k is not None else None
        if step is not None and step.role == roles.Z and step.cell[:2] != (0, 0):
            break
        qtbot.keyClick(window, QtCore.Qt.Key_Right)
    assert step is not None and step.role == roles.Z and step.cell[:2] != (0, 0)
    bar = window.path_bar
    n, q = step.cell[:2]
    assert (bar.sel_n.value(), bar.sel_c.value()) == (n, q)        # following: the written cell's plane
    z = _shown(window)["Z"]
    np.testing.assert_array_equal(z.image.image, z.data[n, q])
    type_into(qtbot, bar.sel_c, "0")
    np.testing.assert_array_equal(z.image.image, z.data[n, 0])
    assert not bar.follow.isChecked()
    qtbot.mouseClick(bar.follow, QtCore.Qt.LeftButton)
    assert bar.follow.isChecked() and (bar.sel_n.value(), bar.sel_c.value()) == (n, q)
    np.testing.assert_array_equal(z.image.image, z.data[n, q])


def test_the_input_canvas_paints_in_the_plane_chosen(window, qtbot):
    window.doc.set_scene(_scene())
    type_into(qtbot, window.path_bar.sel_n, "1")
    type_into(qtbot, window.path_bar.sel_c, "1")
    canvas = window.editors.input.canvas
    np.testing.assert_array_equal(canvas.image.image, window.doc.scene.x[1, 1])


def test_a_chosen_sample_survives_a_stage_without_samples(window, qtbot):
    """dX gather: choose n = 1, step through the flip stage (W and W′ only: no samples), and on."""
    window.doc.set_scene(_scene())
    window.doc.set_path("dx-gather")
    _to_a_step(window, qtbot)
    bar = window.path_bar
    type_into(qtbot, bar.sel_n, "1")
    qtbot.mouseClick(window.player.buttons["home"], QtCore.Qt.LeftButton)
    assert window.doc.position == 0
    saw_no_samples = False
    for _ in range(300):
        views = _shown(window)
        if not any(v.role.axes[0] == "n" for v in views.values()):
            saw_no_samples = True
            assert bar.sel_n.maximum() == 0
        elif saw_no_samples and window.doc.path().position(window.doc.position)[1] is not None:
            break
        _next(window, qtbot)
    assert saw_no_samples and bar.sel_n.value() == 1
    for name, v in _shown(window).items():
        if v.data.ndim == 4 and v.role.axes[0] == "n":
            np.testing.assert_array_equal(v.image.image, v.data[1, min(v.index[1], v.data.shape[1] - 1)],
                                          err_msg=name)
            assert v.index[0] == 1, name
