"""Training, the nudge check and Copy as PyTorch in the window, with real mouse and key events.

Training runs on P = 2·w, L = ½(P − 3)², whose steps are hand arithmetic (dL/dw = 2·(2w − 3));
the nudge check's ΔL is compared with PyTorch's gradient (stored fixture) times ε."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from convviz.core.network import single
from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene
from convviz.core.training import Training
from convviz.gui.training_panel import kernel_mosaic, mosaic_cell
from tests.gui.conftest import cell_point, choose, type_into
from tests.gui.test_layer_strip import click, open_fixture, shown, undo

LINEAR = BlockConfig(padding=0, activation="identity", pool="none", loss="half_squared_error")


def one_weight_scene(lr=0.1, momentum=0.0):
    net = single(np.array([[[[2.0]]]], np.float32), np.array([[[[0.5]]]], np.float32), None, LINEAR,
                 target=np.array([[[[3.0]]]], np.float32))
    return Scene(net.x, net.blocks[0].w, target=net.target, config=LINEAR, training=Training(lr, momentum, 100))


def w_of(window) -> float:
    return float(window.doc.scene.w[0, 0, 0, 0])


@pytest.mark.qt_log_ignore("This plugin does not support")     # the offscreen platform on a popup
def test_descent_steps_follow_plain_and_momentum_sgd_by_hand(window, qtbot):
    window.doc.set_scene(one_weight_scene())
    tp = shown(window).training
    assert tp.lr.value() == pytest.approx(0.1)
    click(qtbot, tp.step_button)
    assert w_of(window) == pytest.approx(0.9, rel=1e-6)                 # 0.5 + 0.1·4
    assert window.doc.session.history.undo_text() == "descent step"
    ys = tp.curve.yData                                                 # the values, not their logs
    assert list(ys) == pytest.approx([2.0, 0.72], rel=1e-5)             # ½(1 − 3)², ½(1.8 − 3)²
    assert tp.curve_plot.getPlotItem().ctrl.logYCheck.isChecked()             # losses above 0: a log scale
    undo(qtbot, window)
    assert w_of(window) == pytest.approx(0.5)
    choose(qtbot, tp.method, 1)                                          # momentum SGD
    type_into(qtbot, tp.mu, "0.5")
    assert window.doc.scene.training == Training(0.1, 0.5, 100)
    for _ in range(3):
        click(qtbot, tp.step_button)
    # v: −4, 0.5·(−4) − 2.4 = −4.4, 0.5·(−4.4) − 0.64 = −2.84;  w: 0.9, 1.34, 1.624
    assert w_of(window) == pytest.approx(1.624, rel=1e-5)
    ys = tp.curve.yData                                                 # the values, not their logs
    assert list(ys) == pytest.approx([2.0, 0.72, 0.0512, 0.030752], rel=1e-4)
    np.testing.assert_array_equal(tp.kernel_views[0].data, kernel_mosaic(window.doc.scene.w))
    assert tp.status.text().startswith("step 3 · loss 0.03075")


def test_a_run_until_paused_is_one_undo_step_and_finds_the_minimum(window, qtbot):
    window.doc.set_scene(one_weight_scene(0.1, 0.5))
    tp = shown(window).training
    before = window.doc.session.history.count
    click(qtbot, tp.run_button)
    assert tp.run_button.text() == "pause" and not tp.step_button.isEnabled()
    qtbot.waitUntil(lambda: tp.trainer.steps_done >= 60, timeout=20000)
    click(qtbot, tp.run_button)
    n = tp.trainer.steps_done
    assert not tp.running and tp.run_button.text() == "run"
    assert window.doc.session.history.count == before + 1
    assert window.doc.session.history.undo_text() == f"train {n} steps"
    assert w_of(window) == pytest.approx(1.5, abs=1e-3)                 # P = 2w = 3: the loss's minimum
    h = tp.trainer.history
    assert len(h) == n + 1 and h[0] == pytest.approx(2.0)
    np.testing.assert_array_equal(tp.curve.yData, h)
    assert not tp.curve_plot.getPlotItem().ctrl.logYCheck.isChecked()          # L reached 0: a linear scale
    undo(qtbot, window)
    assert w_of(window) == pytest.approx(0.5)


def test_a_diverging_run_stops_and_says_to_lower_the_learning_rate(window, qtbot):
    window.doc.set_scene(one_weight_scene(2.0))                        # w ← w − 2·2·(2w − 3): grows ×7
    tp = shown(window).training
    click(qtbot, tp.run_button)
    qtbot.waitUntil(lambda: not tp.running, timeout=20000)
    assert "lower the learning rate (now 2)" in window.editors.problem_label.text()
    assert tp.status.text().startswith("⚠ stopped: training diverged at step")
    assert tp.run_button.text() == "run" and tp.step_button.isEnabled()


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_the_nudge_check_moves_the_loss_by_pytorchs_gradient_times_epsilon(window, qtbot):
    net, want = open_fixture(window, blocks=2)
    panel = shown(window).nudge
    type_into(qtbot, panel.block, "2")
    choose(qtbot, panel.tensor, 1)                                      # W
    type_into(qtbot, panel.eps, "0.0001")
    dw = want["1.dw"]
    cell = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(dw)), dw.shape))   # a clear gradient
    text = ",".join(map(str, cell))
    panel.cell.clear()
    qtbot.keyClicks(panel.cell, text)
    qtbot.keyClick(panel.cell, QtCore.Qt.Key_Return)
    out = panel.last
    g = float(dw[cell])
    assert out["gradient"] == pytest.approx(g, rel=1e-4, abs=1e-6)
    assert out["delta_loss"] == pytest.approx(g * 1e-4, rel=2e-2, abs=1e-9)
    assert f"ΔL = L(θ+ε) − L(θ) = {out['delta_loss']:.6g}" in panel.result.text()
    assert panel.result.text().startswith(f"W²[{text}] = ")
    panel.cell.clear()
    qtbot.keyClicks(panel.cell, "0,9,1,0")
    click(qtbot, panel.button)
    assert panel.last is None and "outside block 2's W" in panel.result.text()


def test_copy_as_pytorch_exports_the_whole_network_and_its_training_loop(window, qtbot):
    open_fixture(window, blocks=3)
    action = next(a for m in window.menuBar().actions() if m.menu() for a in m.menu().actions()
                  if a.text() == "Copy as PyTorch code")
    action.trigger()
    code = QtWidgets.QApplication.clipboard().text()
    assert all(f"def block{k}(x):" in code for k in (1, 2, 3))
    assert "optimizer = torch.optim.SGD(params" in code and "optimizer.step()" in code
    compile(code, "<clipboard>", "exec")


def test_every_kernel_cell_is_where_the_mosaic_draws_it():
    w = np.arange(5 * 2 * 3 * 2, dtype=np.float32).reshape(5, 2, 3, 2)
    m = kernel_mosaic(w)[0, 0]
    seen = {}
    for y in range(m.shape[0]):
        for x in range(m.shape[1]):
            cell = mosaic_cell(w.shape, y, x)
            assert (cell is None) == np.isnan(m[y, x])
            if cell is not None:
                assert m[y, x] == w[cell]
                seen[cell] = True
    assert len(seen) == w.size


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_clicking_a_kernel_cell_nudges_it(window, qtbot):
    net, want = open_fixture(window, blocks=2)
    tp = shown(window).training
    w = net.blocks[0].w
    dw = want["0.dw"]
    cell = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(dw)), dw.shape))
    q, c, m, n = cell
    cols = int(np.ceil(np.sqrt(w.shape[0] * w.shape[1])))
    r, k = divmod(q * w.shape[1] + c, cols)
    view = tp.kernel_views[0]
    qtbot.mouseClick(view.glw.viewport(), QtCore.Qt.LeftButton,
                     pos=cell_point(view, r * (w.shape[2] + 1) + m, k * (w.shape[3] + 1) + n))
    panel = window.network.nudge
    assert panel.block.value() == 1 and panel.tensor.currentText().startswith("W")
    assert panel.cell.text() == ",".join(map(str, cell))
    assert panel.last["gradient"] == pytest.approx(float(dw[cell]), rel=1e-4, abs=1e-6)
    assert panel.last["delta_loss"] == pytest.approx(panel.last["predicted"], rel=5e-2, abs=1e-8)


def test_choosing_another_block_keeps_the_curve_and_an_edit_starts_a_new_one(window, qtbot):
    open_fixture(window, blocks=2)
    net = shown(window)
    click(qtbot, net.training.step_button)
    click(qtbot, net.training.step_button)
    assert len(net.training.curve.yData) == 3
    click(qtbot, net.layers.buttons[1])
    assert len(net.training.curve.yData) == 3 and net.training.trainer.steps_done == 2
    click(qtbot, net.training.step_button)
    assert window.doc.scene.selected == 1 and len(net.training.curve.yData) == 4     # block 2 stays shown
    click(qtbot, net.layers.add_button)                  # another network: another curve
    assert net.training.trainer is None and net.training.curve.yData is None


def test_the_loss_axis_labels_only_1_2_and_5_of_each_decade_on_a_log_scale(qtbot):
    import math

    from convviz.gui.training_panel import LossAxis
    axis = LossAxis("left")
    values = [math.log10(v) for v in (20, 30, 40, 50, 60, 100, 300)]
    axis.setLogMode(True)
    shown = axis.tickStrings(values, 1.0, 1.0)
    assert [bool(s) for s in shown] == [True, False, False, True, False, True, False]
    axis.setLogMode(False)
    assert all(axis.tickStrings([1.0, 2.0, 3.0], 1.0, 1.0))
