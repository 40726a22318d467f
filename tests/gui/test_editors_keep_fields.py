"""Each parameter editor writes back only its own field: every other field of every lesson survives.

Every edit is made with real events (typing into a spin box + Enter, choosing from an open
list, clicking a check box) on a freshly opened lesson. The expected value of the edited
field comes from what was typed or chosen; the others must be exactly what the file holds.
"""
from __future__ import annotations

import dataclasses
from importlib.resources import files

import numpy as np
import pytest
from PySide6 import QtCore

from convviz.core.lessons import LESSONS
from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene
from tests.gui.conftest import type_into

POPUP_WARNINGS = "This plugin does not support"      # the offscreen platform on a combo box's popup
LESSON_FILES = sorted(p.name for p in files("convviz.resources.lessons").iterdir() if p.name.endswith(".json"))
FIELDS = [f.name for f in dataclasses.fields(BlockConfig)]


def choose_item(qtbot, combo, index: int) -> None:
    """Open the list with the mouse, walk to item ``index`` with ↑ / ↓ and press Enter."""
    qtbot.mouseClick(combo, QtCore.Qt.LeftButton)
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    delta = index - combo.currentIndex()
    for _ in range(abs(delta)):
        qtbot.keyClick(view, QtCore.Qt.Key_Down if delta > 0 else QtCore.Qt.Key_Up)
    qtbot.keyClick(view, QtCore.Qt.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible())


def click_check(qtbot, check) -> None:
    """Click a check box on its indicator."""
    qtbot.mouseClick(check, QtCore.Qt.LeftButton, pos=QtCore.QPoint(8, check.height() // 2))


def _other(combo) -> int:
    return (combo.currentIndex() + 1) % combo.count()


def _sides(padding, same_top: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) by the definition of each form (for 'same': the kernel's half span)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        return (same_top,) * 4
    if isinstance(padding, int):
        return (padding,) * 4
    if all(isinstance(p, int) for p in padding):
        return (padding[0], padding[0], padding[1], padding[1])
    return (*padding[0], *padding[1])


def edits(qtbot, win, c: BlockConfig):
    """(what, action, field, expected value) for every edit the panel offers on a scene with config ``c``."""
    eds = win.editors.config.fields
    out = []
    for name in ("stride", "dilation", "pool_kernel"):
        ed, (h, w) = eds[name], getattr(c, name)
        out.append((f"{name} h", lambda ed=ed, h=h: type_into(qtbot, ed.spin_h, str(h + 1)), name,
                    (h + 1, w) if h != w else (h + 1, h + 1)))

        def split_then_width(ed=ed, w=w):
            if not ed.split.isChecked():
                click_check(qtbot, ed.split)
            type_into(qtbot, ed.spin_w, str(w + 2))
        out.append((f"{name} w", split_then_width, name, (h, w + 2)))
    pad = eds["padding"]
    kh = win.doc.scene.w.shape[2]
    t, b, l, r = _sides(c.padding, c.dilation[0] * (kh - 1) // 2)
    mode = pad.mode.currentText()
    if mode == "number":
        out.append(("padding number", lambda: type_into(qtbot, pad.number, str(t + 1)), "padding",
                    (t + 1, t + 1)))
    if mode == "per side":
        for i in range(4):
            new = [t, b, l, r]
            new[i] += 1
            out.append((f"padding side {i}", lambda i=i, v=new[i]: type_into(qtbot, pad.sides[i], str(v)),
                        "padding", ((new[0], new[1]), (new[2], new[3]))))
    for i, target in enumerate(("number", "per side", "same", "valid")):
        if target != mode:
            expected = {"number": (t, t), "per side": ((t, b), (l, r))}.get(target, target)
            out.append((f"padding mode {target}", lambda i=i: choose_item(qtbot, pad.mode, i), "padding",
                        expected))
    for name in ("padding_mode", "activation", "pool", "loss"):
        combo = eds[name].combo
        out.append((name, lambda combo=combo: choose_item(qtbot, combo, _other(combo)), name,
                    combo.itemText(_other(combo))))
    out.append(("groups", lambda: type_into(qtbot, eds["groups"].spin, str(c.groups + 1)), "groups",
                c.groups + 1))
    out.append(("true convolution", lambda: click_check(qtbot, eds["true_convolution"].check),
                "true_convolution", not c.true_convolution))
    ph, pw = c.pool_padding
    out.append(("pool padding", lambda: type_into(qtbot, eds["pool_padding"].spin_h, str(ph + 1)), "pool_padding",
                (ph + 1, ph + 1) if ph == pw else (ph + 1, pw)))
    stride = eds["pool_stride"]
    out.append(("pool stride = window", lambda: click_check(qtbot, stride.auto), "pool_stride",
                tuple(c.pool_kernel) if c.pool_stride is None else None))
    if c.activation == "leaky_relu":
        out.append(("slope", lambda: type_into(qtbot, eds["slope"].spin, "0.25"), "slope", 0.25))
    return out


def _open(window, name: str) -> None:
    assert window.files.open_path(files("convviz.resources.lessons") / name, ask=False, lesson=True)


def test_every_lesson_file_is_checked():
    assert len(LESSON_FILES) == len(LESSONS) > 0


@pytest.mark.qt_log_ignore(POPUP_WARNINGS)
@pytest.mark.parametrize("lesson", LESSON_FILES)
def test_each_editor_changes_only_its_own_field(window, qtbot, lesson):
    _open(window, lesson)
    planned = edits(qtbot, window, window.doc.scene.config)
    assert len(planned) >= 14
    for what, action, field, expected in planned:
        _open(window, lesson)
        before = window.doc.scene.config
        x, w = window.doc.scene.x.copy(), window.doc.scene.w.copy()
        action()
        after = window.doc.scene.config
        assert repr(getattr(after, field)) == repr(expected), f"{lesson}: {what}"
        for other in FIELDS:
            if other != field:
                assert repr(getattr(after, other)) == repr(getattr(before, other)), f"{lesson}: {what} changed {other}"
        np.testing.assert_array_equal(window.doc.scene.x, x)
        np.testing.assert_array_equal(window.doc.scene.w, w)


@pytest.mark.qt_log_ignore(POPUP_WARNINGS)
def test_scope_of_impact_activation_change_keeps_per_side_padding_and_z_3x3(window, qtbot):
    _open(window, "001-scope-of-impact.json")
    assert window.doc.scene.config.padding == ((1, 0), (1, 0))
    combo = window.editors.config.activation
    choose_item(qtbot, combo, combo.findText("relu"))
    c = window.doc.scene.config
    assert c.activation == "relu"
    assert c.padding == ((1, 0), (1, 0))
    # X 3×3, W 2×2, one row/column of zeros before only: (3 + 1 + 0 − 2) / 1 + 1 = 3
    assert window.doc.results.z.shape[2:] == (3, 3)
    assert "3×3" in window.stage.lesson_banner.text()


@pytest.mark.qt_log_ignore(POPUP_WARNINGS)
def test_values_beyond_the_old_spin_ranges_are_shown_and_kept(window, qtbot):
    """A scene with stride 50, padding 17/20, a 20×20 kernel and 20 channels: nothing clamps."""
    x = np.ones((1, 20, 64, 64), np.float32)
    w = np.ones((1, 20, 20, 3), np.float32)
    config = BlockConfig(stride=(50, 3), padding=((17, 0), (0, 20)), dilation=(1, 9), pool_kernel=(9, 1),
                         groups=1, activation="identity", pool="none")
    window.doc.set_scene(Scene(x, w, config=config, path="forward"))
    eds = window.editors.config.fields
    assert (eds["stride"].spin_h.value(), eds["stride"].spin_w.value()) == (50, 3)
    assert eds["stride"].split.isChecked() and eds["dilation"].split.isChecked()
    assert [s.value() for s in eds["padding"].sides] == [17, 0, 0, 20]
    assert eds["padding"].mode.currentText() == "per side"
    kernel, inputs = window.editors.kernel, window.editors.input
    assert (kernel.kh.value(), kernel.kw.value(), inputs.channels.value()) == (20, 3, 20)
    type_into(qtbot, eds["groups"].spin, "20")                   # 20 input channels, 1 filter: PyTorch rejects it
    c = window.doc.scene.config
    assert c.groups == 20
    assert (c.stride, c.padding, c.dilation, c.pool_kernel) == ((50, 3), ((17, 0), (0, 20)), (1, 9), (9, 1))
    choose_item(qtbot, window.editors.config.activation, window.editors.config.activation.findText("relu"))
    c = window.doc.scene.config
    assert (c.stride, c.padding, c.dilation, c.pool_kernel, c.groups) == ((50, 3), ((17, 0), (0, 20)), (1, 9),
                                                                          (9, 1), 20)
    assert window.doc.scene.w.shape == (1, 20, 20, 3)


@pytest.mark.qt_log_ignore(POPUP_WARNINGS)
def test_slope_pool_stride_and_pool_padding_are_shown_and_edited_alone(window, qtbot):
    x = np.ones((1, 1, 9, 9), np.float32)
    w = np.ones((1, 1, 3, 3), np.float32)
    config = BlockConfig(activation="leaky_relu", slope=0.05, pool="avg", pool_kernel=(3, 3), pool_stride=(2, 1),
                         pool_padding=(1, 0))
    window.doc.set_scene(Scene(x, w, config=config, path="forward"))
    eds = window.editors.config.fields
    assert eds["slope"].spin.value() == 0.05 and eds["slope"].isEnabled()
    stride = eds["pool_stride"]
    assert not stride.auto.isChecked() and (stride.spin_h.value(), stride.spin_w.value()) == (2, 1)
    assert (eds["pool_padding"].spin_h.value(), eds["pool_padding"].spin_w.value()) == (1, 0)
    for what, action, field, expected in edits(qtbot, window, config):
        window.doc.set_scene(Scene(x, w, config=config, path="forward"))
        action()
        after = window.doc.scene.config
        assert repr(getattr(after, field)) == repr(expected), what
        for other in FIELDS:
            if other != field:
                assert repr(getattr(after, other)) == repr(getattr(config, other)), f"{what} changed {other}"
    window.doc.set_scene(Scene(x, w, config=dataclasses.replace(config, pool_stride=None), path="forward"))
    assert stride.auto.isChecked() and not stride.spin_h.isEnabled() and stride.spin_h.value() == 3
    type_into(qtbot, stride.spin_h, "1")                 # greyed: "= window" holds until it is unticked
    assert window.doc.scene.config.pool_stride is None
    click_check(qtbot, stride.auto)
    assert window.doc.scene.config.pool_stride == (3, 3)
