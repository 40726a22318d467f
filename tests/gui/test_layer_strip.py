"""The layer strip with real mouse and key events: select, add, remove and move blocks; every
block's numbers against PyTorch's (stored fixture); a stack that does not chain is named, never a
crash; the changes are undoable; block 2's input is shown read-only as block 1's P."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from convviz.core import lessons
from convviz.core.scene import Scene
from tests.core.test_network import fixture_cases
from tests.gui.conftest import cell_point


def shown(window):
    """The Network dock, its tab brought to the front as a person does."""
    window.network.raise_()
    QtWidgets.QApplication.processEvents()
    assert not window.network.visibleRegion().isEmpty() and window.editors.visibleRegion().isEmpty()
    return window.network


def shown_editors(window):
    window.editors.raise_()
    QtWidgets.QApplication.processEvents()
    assert not window.editors.visibleRegion().isEmpty()
    return window.editors


def click(qtbot, button):
    qtbot.mouseClick(button, QtCore.Qt.LeftButton)


def undo(qtbot, window):
    qtbot.keyClick(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)


def open_fixture(window, index=None, blocks=None):
    """Case ``index`` of the PyTorch fixture, or its first with ``blocks`` blocks, block 1 selected."""
    cases = list(fixture_cases())
    cid, net, want = cases[index] if index is not None else next(c for c in cases if len(c[1].blocks) == blocks)
    scene = Scene(net.x, net.blocks[0].w, target=net.target).with_blocks(net.blocks, 0)
    window.doc.set_scene(scene)
    return net, want


def test_clicking_a_block_shows_that_blocks_numbers_which_are_pytorchs(window, qtbot):
    net, want = open_fixture(window, blocks=3)
    strip = shown(window).layers
    assert [b.isVisible() for b in strip.buttons] == [k < len(net.blocks) for k in range(4)]
    for k in range(len(net.blocks) - 1, -1, -1):
        click(qtbot, strip.buttons[k])
        assert window.doc.scene.selected == k and strip.buttons[k].isChecked()
        r = window.doc.results
        np.testing.assert_allclose(r.dw, want[f"{k}.dw"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(r.dx, want[f"{k}.dx"], rtol=1e-4, atol=1e-5)
        assert strip.buttons[k].text().startswith(f"{k + 1}: conv {net.blocks[k].w.shape[2]}×")


def test_adding_a_block_passes_its_input_through_and_undo_takes_it_back(window, qtbot):
    net, want = open_fixture(window, blocks=2)
    n = len(net.blocks)
    strip = shown(window).layers
    click(qtbot, strip.buttons[n - 1])
    click(qtbot, strip.add_button)
    scene = window.doc.scene
    assert len(scene.blocks()) == n + 1 and scene.selected == n
    assert window.doc.session.history.undo_text() == "add block"
    r = window.doc.results                                    # a pass-through block: P = its input
    np.testing.assert_allclose(r.p, want[f"{n - 1}.p"], rtol=1e-4, atol=1e-5)
    assert scene.blocks()[-1].config.loss == net.loss_config.loss         # the loss stays at the end
    undo(qtbot, window)
    assert len(window.doc.scene.blocks()) == n
    click(qtbot, strip.buttons[0])
    for _ in range(4 - n):
        click(qtbot, strip.add_button)
    assert len(window.doc.scene.blocks()) == 4 and not strip.add_button.isEnabled()


def test_a_stack_that_does_not_chain_is_named_on_its_block_and_undo_mends_it(window, qtbot):
    assert window.files.open_lesson(lessons.lessons_dir() / "004-delta-chain.json")
    strip = shown(window).layers
    click(qtbot, strip.buttons[1])
    click(qtbot, strip.left_button)                            # block 2 (reads 2 channels) first: X has 1
    assert window.doc.scene.selected == 0 and window.doc.session.history.undo_text() == "move block"
    message = "block 1: its kernel reads 2 channel(s)"
    assert strip.chain_label.text().startswith("⚠ " + message)
    assert "border: 2px solid #b00020" in strip.buttons[0].styleSheet()
    assert message in window.editors.problem_label.text() and window.stage.problem.isVisible()
    undo(qtbot, window)
    assert not strip.chain_label.text() and not window.doc.message
    assert window.doc.scene.selected == 1
    click(qtbot, strip.remove_button)
    assert len(window.doc.scene.blocks()) == 1
    assert window.doc.scene.config.loss == "half_squared_error"       # block 1 ends the network now
    assert not strip.remove_button.isEnabled()


def test_block_2_shows_its_input_read_only_and_an_edit_of_block_1_is_felt_above(window, qtbot):
    assert window.files.open_lesson(lessons.lessons_dir() / "004-delta-chain.json")
    strip, panel = shown(window).layers, window.editors.input
    click(qtbot, strip.buttons[1])
    assert shown_editors(window).windowTitle() == "Editors: block 2 of 2"
    net = window.doc.scene.network()
    x = net.x.astype(np.float64)
    p1 = net.compute("numpy").blocks[0].p                    # block 1's P
    np.testing.assert_allclose(panel.canvas.array, p1, rtol=1e-6)
    assert panel.canvas.read_only and not panel.size_h.isEnabled()
    assert panel.whose.text().startswith("X of block 2 is P of block 1")
    vp = panel.canvas.glw.viewport()
    qtbot.mouseClick(vp, QtCore.Qt.LeftButton, pos=cell_point(panel.canvas, 1, 1))
    np.testing.assert_array_equal(window.doc.scene.x, x.astype(np.float32))     # nothing painted
    click(qtbot, shown(window).layers.buttons[0])
    shown_editors(window)
    assert not panel.canvas.read_only and panel.size_h.isEnabled()
    dp_before = window.doc.results.dp.copy()
    panel.brush.setValue(3.0)
    qtbot.mouseClick(vp, QtCore.Qt.LeftButton, pos=cell_point(panel.canvas, 2, 3))
    assert window.doc.scene.x[0, 0, 2, 3] == 3.0
    truth = window.doc.scene.network().compute("numpy")
    assert not np.allclose(truth.blocks[0].dp, dp_before)      # block 2 above sends another dP¹ back
    np.testing.assert_allclose(window.doc.results.dp, truth.blocks[0].dp, rtol=1e-5, atol=1e-6)
