"""The window driven by real mouse and key events on its widgets, checked against hand arithmetic.

The default scene: X 1×1×8×8 (a drawn 7), W the 3×3 Sobel-x kernel, b = 0, padding 1,
stride 1, ReLU, 2×2 max pooling, loss = ΣP. So Z is 8×8 and P is 4×4.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from tests.conftest import assert_close
from tests.gui.conftest import cell_point, choose, lit_cells, type_into

POPUP_WARNINGS = "This plugin does not support"      # the offscreen platform on a combo box's popup


def _view(window, role):
    return next(v for v in window.stage.views if v.role.name == role and v.isVisible())


def _hover(qtbot, view, y, x):
    qtbot.mouseMove(view.glw.viewport(), pos=cell_point(view, y, x))


def _correlate(xp: np.ndarray, w: np.ndarray, s: int = 1) -> np.ndarray:
    """Z[i,j] = Σ_m Σ_n W[m,n] · X_pad[s·i + m, s·j + n], written out term by term."""
    kh, kw = w.shape
    oh, ow = (xp.shape[0] - kh) // s + 1, (xp.shape[1] - kw) // s + 1
    return np.array([[sum(float(w[m, n]) * float(xp[s * i + m, s * j + n]) for m in range(kh) for n in range(kw))
                      for j in range(ow)] for i in range(oh)])


# ------------------------------------------------------------------ hover

@pytest.mark.parametrize("stride,dilation,cell,rows,cols", [
    (1, 1, (2, 3), range(1, 4), range(2, 5)),       # X rows 1..3, cols 2..4
    (2, 1, (1, 2), range(1, 4), range(3, 6)),       # rows 2·1−1 .. 2·1+1, cols 2·2−1 .. 2·2+1
    (1, 2, (2, 3), (1, 3, 5), (2, 4, 6)),           # every other cell: i−1 + 2m
])
def test_hovering_an_output_cell_lights_exactly_its_receptive_field(window, qtbot, stride, dilation, cell, rows,
                                                                       cols):
    type_into(qtbot, window.editors.config.stride, str(stride))
    type_into(qtbot, window.editors.config.dilation, str(dilation))
    assert window.doc.scene.config.stride == (stride, stride)
    assert window.doc.scene.config.dilation == (dilation, dilation)
    window.doc.set_path("forward")
    window.doc.set_position(1)                             # the sliding window: X_pad, W, Z, b
    _hover(qtbot, _view(window, "Z"), *cell)
    pad = 1                                                # X[y, x] is X_pad[y + 1, x + 1]
    assert lit_cells(_view(window, "X_pad")) == {(y + pad, x + pad) for y in rows for x in cols}
    assert lit_cells(_view(window, "W")) == {(m, n) for m in range(3) for n in range(3)}
    assert lit_cells(_view(window, "Z")) == {cell}
    assert window.statusBar().currentMessage().startswith(f"Z[0, 0, {cell[0]}, {cell[1]}]")


def test_hovering_an_input_cell_lights_its_scope_of_impact(window, qtbot):
    window.doc.set_path("forward")
    window.doc.set_position(1)
    xp, z, w = _view(window, "X_pad"), _view(window, "Z"), _view(window, "W")
    # X[0, 0] is X_pad[1, 1]; Z[i, j] reads X_pad[i + m, j + n], so only i = 1 − m, j = 1 − n ≥ 0
    _hover(qtbot, xp, 1, 1)
    assert lit_cells(z) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert lit_cells(w) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert lit_cells(xp) == {(1, 1)}
    # X[4, 5] is X_pad[5, 6]: Z rows 5 − m = 3..5, cols 6 − n = 4..6, through every tap
    _hover(qtbot, xp, 5, 6)
    assert lit_cells(z) == {(i, j) for i in range(3, 6) for j in range(4, 7)}
    assert lit_cells(w) == {(m, n) for m in range(3) for n in range(3)}
    # a padding cell is no input cell: nothing stays lit
    _hover(qtbot, xp, 0, 0)
    assert lit_cells(z) == lit_cells(w) == lit_cells(xp) == set()


def test_the_cell_the_mouse_rests_on_is_lit_after_a_quick_move(window, qtbot):
    window.doc.set_path("forward")
    window.doc.set_position(1)
    z, xp = _view(window, "Z"), _view(window, "X_pad")
    first, last = cell_point(z, 0, 0), cell_point(z, 5, 6)
    qtbot.mouseMove(z.glw.viewport(), pos=first)
    qtbot.mouseMove(z.glw.viewport(), pos=last)            # a few ms later: no event loop turn between
    assert lit_cells(z) == {(5, 6)}
    assert lit_cells(xp) == {(y, x) for y in range(5, 8) for x in range(6, 9)}


# ------------------------------------------------------------------ clicking

def test_clicking_an_output_cell_chooses_a_one_hot_loss_at_that_cell(window, qtbot):
    out = window.editors.output_view
    for i, j in ((1, 2), (3, 0)):
        qtbot.mouseClick(out.glw.viewport(), QtCore.Qt.LeftButton, pos=cell_point(out, i, j))
        c = window.doc.scene.config
        assert c.loss == "one_hot" and tuple(c.one_hot_cell) == (0, 0, i, j)
        assert window.editors.config.loss.currentText() == "one_hot"
        assert lit_cells(out, "target") == {(i, j)}
        r = window.doc.results
        expected_dp = np.zeros((1, 1, 4, 4), np.float32)
        expected_dp[0, 0, i, j] = 1.0                       # L = P[i, j]
        np.testing.assert_array_equal(r.dp, expected_dp)
        # max pooling hands the 1 to one cell of the 2×2 window at rows 2i, 2i+1, cols 2j, 2j+1
        nz = {tuple(int(v) for v in c[2:]) for c in np.argwhere(r.da != 0)}
        assert len(nz) == 1 and nz <= {(2 * i + a, 2 * j + b) for a in (0, 1) for b in (0, 1)}
        assert float(r.da.sum()) == 1.0


# ------------------------------------------------------------------ sizes

@pytest.mark.parametrize("spin,value,x_shape,p_shape", [
    ("size_h", 5, (1, 1, 5, 8), (1, 1, 2, 4)),       # Z: 5 + 2 − 3 + 1 = 5 rows; P: ⌊5/2⌋ = 2
    ("size_w", 11, (1, 1, 8, 11), (1, 1, 4, 5)),     # Z: 11 columns; P: ⌊11/2⌋ = 5
    ("channels", 2, (1, 2, 8, 8), (1, 1, 4, 4)),
    ("batch", 3, (3, 1, 8, 8), (3, 1, 4, 4)),
])
def test_typing_a_size_resizes_the_input_and_keeps_what_was_drawn(window, qtbot, spin, value, x_shape, p_shape):
    doc = window.doc
    x0, w0, z0, dw0 = (doc.scene.x.copy(), doc.scene.w.copy(), doc.results.z.copy(),
                       doc.results.dw.copy())
    type_into(qtbot, getattr(window.editors.input, spin), str(value))
    x, r = doc.scene.x, doc.results
    assert x.shape == x_shape and r.z.shape == x_shape[:1] + (1,) + x_shape[2:] and r.p.shape == p_shape
    keep = tuple(slice(0, min(a, b)) for a, b in zip(x.shape, x0.shape))
    np.testing.assert_array_equal(x[keep], x0[keep])                  # the drawing stays where it was
    assert float(np.abs(x).sum()) == float(np.abs(x0[keep]).sum())  # and the new cells are zero
    assert getattr(window.editors.input, spin).value() == value and window.editors.problem_label.text() == ""
    if spin == "channels":              # the kernel gets a zero slice for the new channel: Z is unchanged
        assert doc.scene.w.shape == (1, 2, 3, 3)
        np.testing.assert_array_equal(doc.scene.w[:, :1], w0)
        assert not doc.scene.w[:, 1].any()
        assert_close(r.z, z0, terms=18)
    if spin == "batch":                 # zero samples give Z = b = 0 and add nothing to dW
        assert_close(r.z[:1], z0, terms=9)
        assert not r.z[1:].any()
        assert_close(r.dw, dw0, terms=64)


# ------------------------------------------------------------------ kernel and bias

def test_typing_into_the_kernel_table_changes_that_tap(window, qtbot):
    doc, tab = window.doc, window.editors.kernel.kernel_table
    z0, xp = doc.results.z.copy(), doc.results.x_pad[0, 0].copy()
    assert doc.scene.w[0, 0, 1, 2] == 2.0                       # Sobel x
    qtbot.mouseClick(tab.viewport(), QtCore.Qt.LeftButton, pos=tab.visualItemRect(tab.item(1, 2)).center())
    qtbot.keyClick(tab, QtCore.Qt.Key_2)                # typing on a cell opens its editor
    editor = QtWidgets.QApplication.focusWidget()
    assert isinstance(editor, QtWidgets.QLineEdit) and editor.text() == "2"
    qtbot.keyClicks(editor, ".5")
    with qtbot.waitSignal(doc.changed):                 # the table commits on the next event loop turn
        qtbot.keyClick(editor, QtCore.Qt.Key_Return)
    assert doc.scene.w[0, 0, 1, 2] == 2.5 and tab.item(1, 2).text() == "2.5"
    # tap (1, 2) multiplies X_pad[i + 1, j + 2]: Z grows by 0.5 times that shifted input
    assert_close(doc.results.z[0, 0] - z0[0, 0], 0.5 * xp[1:9, 2:10], terms=9)
    # a word is no number: the person is told, the kernel stays
    qtbot.mouseClick(tab.viewport(), QtCore.Qt.LeftButton, pos=tab.visualItemRect(tab.item(0, 0)).center())
    qtbot.keyClick(tab, QtCore.Qt.Key_X)
    editor = QtWidgets.QApplication.focusWidget()
    qtbot.keyClick(editor, QtCore.Qt.Key_Return)
    qtbot.waitUntil(lambda: "not a number" in window.editors.problem_label.text())
    assert doc.scene.w[0, 0, 0, 0] == -1.0 and tab.item(0, 0).text() == "-1"


def test_typing_a_bias_adds_it_to_every_output(window, qtbot):
    doc = window.doc
    z0 = doc.results.z.copy()
    type_into(qtbot, window.editors.kernel.bias, f"0{QtCore.QLocale().decimalPoint()}5")
    assert doc.scene.b[0] == 0.5
    assert_close(doc.results.z, z0 + 0.5, terms=10)                      # Z = X ⋆ W + b
    assert_close(doc.results.a, np.maximum(z0 + 0.5, 0), terms=10)        # A = ReLU(Z)


# ------------------------------------------------------------------ presets

SEVEN = ["........",
         ".######.",
         "......#.",
         ".....#..",
         "....#...",
         "...#....",
         "...#....",
         "........"]


def _input_expected(name):
    y, x = np.mgrid[:8, :8]
    if name == "digit":
        return np.array([[c == "#" for c in row] for row in SEVEN], np.float32)
    if name == "impulse":
        return ((y == 4) & (x == 4)).astype(np.float32)
    if name == "checkerboard":
        return np.where((y + x) % 2, 1.0, -1.0)
    if name == "ramp":
        return -1.0 + 2.0 * x / 7
    return None


@pytest.mark.qt_log_ignore(POPUP_WARNINGS)
def test_choosing_each_input_preset(window, qtbot):
    combo = window.editors.input.input_preset
    names = [combo.itemText(i) for i in range(1, combo.count())]
    assert names == ["digit", "impulse", "checkerboard", "ramp", "random"]
    w = window.doc.scene.w[0, 0]
    for i, name in enumerate(names, start=1):
        choose(qtbot, combo, i)
        x = window.doc.scene.x[0, 0]
        expected = _input_expected(name)
        if expected is None:                            # random: uniform in [−1, 1], two decimals
            assert x.min() >= -1 and x.max() <= 1 and len(np.unique(x)) > 20, name
            np.testing.assert_allclose(x * 100, np.round(x * 100), atol=1e-4)
        else:
            assert_close(x, expected, what=name)
        assert_close(window.doc.results.z[0, 0], _correlate(np.pad(x, 1), w), terms=9, what=f"Z of {name}")
        assert combo.currentIndex() == 0, "the combo goes back to 'preset…' to allow choosing again"
        if name == "impulse":                           # correlating an impulse draws the kernel rotated 180°
            assert_close(window.doc.results.z[0, 0, 3:6, 3:6], w[::-1, ::-1])


def _kernel_expected(name):
    a = math.exp(-0.5 * (1 / 0.75) ** 2)                # the Gaussian 3 wide: σ = 3/4, taps at −1, 0, 1
    g = np.array([a, 1, a]) / (1 + 2 * a)
    return {
        "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "box": np.full((3, 3), 1 / 9),
        "gaussian": np.outer(g, g),
        "sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        "sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "K = [1 2 3; 4 5 6; 7 8 9]": [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
    }.get(name)


@pytest.mark.qt_log_ignore(POPUP_WARNINGS)
def test_choosing_each_kernel_preset(window, qtbot):
    combo = window.editors.kernel.kernel_preset
    names = [combo.itemText(i) for i in range(1, combo.count())]
    assert len(names) == 9
    xp = window.doc.results.x_pad[0, 0].copy()
    for i, name in enumerate(names, start=1):
        choose(qtbot, combo, i)
        w = window.doc.scene.w[0, 0]
        expected = _kernel_expected(name)
        if expected is None:                            # random: uniform in [−1, 1], two decimals
            assert name == "random" and w.min() >= -1 and w.max() <= 1 and len(np.unique(w)) > 3
        else:
            assert_close(w, np.asarray(expected, np.float64), what=name)
        assert window.editors.kernel.kernel_table.item(2, 0).text() == f"{float(w[2, 0]):.4g}", name
        assert_close(window.doc.results.z[0, 0], _correlate(xp, w), terms=9, what=f"Z with {name}")
        if name == "identity":
            assert_close(window.doc.results.z, window.doc.scene.x)


# ------------------------------------------------------------------ painting T and dP

def _drag(qtbot, canvas, cells, button=QtCore.Qt.LeftButton):
    vp = canvas.glw.viewport()
    qtbot.mousePress(vp, button, pos=cell_point(canvas, *cells[0]))
    for c in cells[1:]:
        qtbot.mouseMove(vp, pos=cell_point(canvas, *c))
    qtbot.mouseRelease(vp, button, pos=cell_point(canvas, *cells[-1]))


@pytest.mark.qt_log_ignore(POPUP_WARNINGS)
def test_painting_the_target_chooses_the_squared_error_and_dp_is_p_minus_t(window, qtbot):
    choose(qtbot, window.editors.input.paint_on, 1)                 # X → target T (↑/↓ on a closed box step)
    inputs = window.editors.input
    assert inputs.paint_on.currentText() == "target T" and inputs.canvas.data.shape == (1, 1, 4, 4)
    type_into(qtbot, window.editors.input.brush, "2")
    _drag(qtbot, window.editors.input.canvas, [(0, 0), (0, 1), (1, 1)])
    doc = window.doc
    t = np.zeros((1, 1, 4, 4), np.float32)
    t[0, 0, 0, 0] = t[0, 0, 0, 1] = t[0, 0, 1, 1] = 2.0
    np.testing.assert_array_equal(doc.scene.target, t)
    assert doc.scene.config.loss == "half_squared_error"
    assert window.editors.config.loss.currentText() == "half_squared_error"
    assert_close(doc.results.dp, doc.results.p - t)                # ∂(½‖P − T‖²)/∂P
    doc.session.undo()                                                # the stroke is one step
    assert doc.scene.config.loss == "sum"


@pytest.mark.qt_log_ignore(POPUP_WARNINGS)
def test_painting_dp_with_the_mouse_is_the_upstream_gradient(window, qtbot):
    choose(qtbot, window.editors.input.paint_on, 2)                             # X → T → dP
    assert window.editors.input.paint_on.currentText() == "dP"
    np.testing.assert_array_equal(window.editors.input.canvas.array, np.ones((1, 1, 4, 4)))     # L = ΣP: dP = 1
    _drag(qtbot, window.editors.input.canvas, [(1, 0), (1, 1), (1, 2), (1, 3)], QtCore.Qt.RightButton)   # erase row 1
    type_into(qtbot, window.editors.input.brush, "3")
    _drag(qtbot, window.editors.input.canvas, [(3, 3)])
    dp = np.ones((1, 1, 4, 4), np.float32)
    dp[0, 0, 1] = 0.0
    dp[0, 0, 3, 3] = 3.0
    doc = window.doc
    assert doc.scene.config.loss == "given"
    np.testing.assert_array_equal(doc.results.dp, dp)
    # max pooling sends each dP cell, whole, to one cell of its 2×2 window
    da = doc.results.da[0, 0]
    np.testing.assert_array_equal(da.reshape(4, 2, 4, 2).sum(axis=(1, 3)), dp[0, 0])
    assert ((da.reshape(4, 2, 4, 2) != 0).sum(axis=(1, 3)) <= 1).all()
