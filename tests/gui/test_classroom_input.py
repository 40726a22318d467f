"""Keys and the wheel as a teacher meets them: events go to the window, Qt finds the widget."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest


def _press(win, key, modifiers=QtCore.Qt.NoModifier):
    """A key press through the window, delivered by Qt to whatever holds the focus."""
    QTest.keyClick(win.windowHandle(), key, modifiers)


def _active(win, qtbot):
    win.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is win)


def test_the_step_keys_work_right_after_the_window_shows(window, qtbot):
    _active(window, qtbot)
    window.doc.set_path("forward")
    _press(window, QtCore.Qt.Key_Right)
    _press(window, QtCore.Qt.Key_Right)
    assert window.doc.position == 2
    _press(window, QtCore.Qt.Key_Left)
    assert window.doc.position == 1
    _press(window, QtCore.Qt.Key_End)
    assert window.doc.position == window.doc.path().n_positions - 1
    _press(window, QtCore.Qt.Key_Home)
    assert window.doc.position == 0


def test_the_step_keys_work_when_the_editors_panel_or_a_combo_box_holds_the_focus(window, qtbot):
    _active(window, qtbot)
    window.doc.set_path("forward")
    scroll = window.editors.widget()
    for holder in (scroll, window.editors.config.activation, window.editors.kernel.kernel_table):
        holder.setFocus()
        qtbot.waitUntil(holder.hasFocus)
        before, activation = window.doc.position, window.editors.config.activation.currentText()
        _press(window, QtCore.Qt.Key_Right)
        _press(window, QtCore.Qt.Key_Down)                    # the next stage, not the next activation
        assert window.doc.position > before + 1, holder
        assert window.editors.config.activation.currentText() == activation


def test_the_step_keys_work_right_after_a_dialog_closes(window, qtbot):
    _active(window, qtbot)
    window.doc.set_path("forward")

    def close_it():
        dialog = QtWidgets.QApplication.activeModalWidget()
        QTest.keyClick(dialog.windowHandle(), QtCore.Qt.Key_Escape)
    QtCore.QTimer.singleShot(100, close_it)
    window.exports.export_step_dialog()                  # modal: returns when Escape closed it
    _active(window, qtbot)
    _press(window, QtCore.Qt.Key_PageDown)
    _press(window, QtCore.Qt.Key_PageDown)
    assert window.doc.position == 2


def test_typing_in_a_spin_box_keeps_its_arrow_keys(window, qtbot):
    _active(window, qtbot)
    window.doc.set_path("forward")
    window.doc.set_position(3)
    window.editors.config.stride.setFocus()
    qtbot.waitUntil(window.editors.config.stride.hasFocus)
    _press(window, QtCore.Qt.Key_Left)
    _press(window, QtCore.Qt.Key_Home)
    assert window.doc.position == 3


def _wheel(widget, steps: int = -3) -> bool:
    """A wheel turn over the middle of ``widget``; True when something took it."""
    local = QtCore.QPointF(widget.width() / 2, widget.height() / 2)
    ev = QtGui.QWheelEvent(local, QtCore.QPointF(widget.mapToGlobal(local.toPoint())), QtCore.QPoint(),
                           QtCore.QPoint(0, 120 * steps), QtCore.Qt.NoButton, QtCore.Qt.NoModifier,
                           QtCore.Qt.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(widget, ev)
    return ev.isAccepted()


def test_the_wheel_over_an_unfocused_spin_box_or_combo_box_changes_no_value(window, qtbot):
    """Qt hands an ignored wheel event on to the scroll area under it (checked on a real X server)."""
    _active(window, qtbot)
    window.doc.set_path("forward")
    cfg = window.editors.config
    padding, mode, stride = cfg.padding.value(), cfg.mode.currentText(), cfg.stride.value()
    assert not _wheel(cfg.padding) and not _wheel(cfg.mode) and not _wheel(cfg.stride, +3)
    assert cfg.padding.value() == padding and cfg.mode.currentText() == mode
    assert cfg.stride.value() == stride and window.doc.scene.config.padding == (padding, padding)
    assert all(w.focusPolicy() == QtCore.Qt.StrongFocus for w in (cfg.padding, cfg.mode, window.editors.kernel.bias))
    cfg.stride.setFocus()                       # clicked on: now the wheel is the spin box's
    qtbot.waitUntil(cfg.stride.hasFocus)
    assert _wheel(window.editors.config.stride, +1) and window.editors.config.stride.value() == stride + 1


def test_undo_works_while_a_spin_box_holds_the_focus(window, qtbot):
    _active(window, qtbot)
    window.editors.config.padding.setFocus()
    qtbot.waitUntil(window.editors.config.padding.hasFocus)
    window.editors.config.padding.selectAll()
    _press(window, QtCore.Qt.Key_0)
    _press(window, QtCore.Qt.Key_Return)
    assert window.doc.scene.config.padding == (0, 0)
    _press(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert window.doc.scene.config.padding == (1, 1)
    qtbot.waitUntil(lambda: not window.doc.busy)          # a slow first compute goes to the worker
    assert window.editors.config.padding.value() == 1
    _press(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    assert window.doc.scene.config.padding == (0, 0)


def test_the_edit_menu_names_the_step_undo_and_redo_would_take_back(window, qtbot):
    _active(window, qtbot)
    undo, redo = (next(a for a in window.menuBar().actions() if a.text() == "&Edit").menu().actions()[:2])
    window.editors.config.padding.setFocus()
    qtbot.waitUntil(window.editors.config.padding.hasFocus)
    window.editors.config.padding.selectAll()
    _press(window, QtCore.Qt.Key_0)
    _press(window, QtCore.Qt.Key_Return)
    text = window.doc.session.history.undo_text()
    assert text and undo.isEnabled() and undo.text() == f"&Undo {text}" and not redo.isEnabled()
    _press(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    qtbot.waitUntil(lambda: not window.doc.busy)
    assert redo.isEnabled() and redo.text() == f"&Redo {text}"
    assert undo.isEnabled() == window.doc.session.history.can_undo()


def test_the_kernel_table_shows_every_value_whole(window, qtbot):
    _active(window, qtbot)
    w = window.doc.scene.w.copy()
    w[0, 0] = [[0.123456, -0.1234, 12.5], [-1234.5, 0.5, 1e-05], [3, -0.0625, 100.25]]
    window.doc.edit("kernel", tensors={"w": w})
    for _ in range(4):
        _press(window, QtCore.Qt.Key_Equal, QtCore.Qt.ControlModifier)       # Ctrl+= : larger, for the class
    assert window.font_scale > 1.7
    tab = window.editors.kernel.kernel_table
    metrics = tab.fontMetrics()
    for i in range(3):
        for j in range(3):
            text = tab.item(i, j).text()
            assert tab.columnWidth(j) >= metrics.horizontalAdvance(text) + 6, (text, tab.columnWidth(j))   # 3 px a side
