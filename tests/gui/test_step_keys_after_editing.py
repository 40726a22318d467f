"""The step keys after a teacher has typed a value or clicked the n / c selectors."""
from __future__ import annotations

from importlib.resources import files

from PySide6 import QtCore, QtWidgets

from tests.gui.conftest import type_into


def _channels_and_batch(window):
    lesson = files("convviz.resources.lessons") / "002-channels-and-batch.json"
    assert window.files.open_path(lesson, ask=False, lesson=True)
    window.doc.set_path("dw")
    window.doc.set_position(5)


def test_after_typing_a_value_and_enter_the_arrow_keys_step(window, qtbot):
    _channels_and_batch(window)
    groups = window.editors.config.fields["groups"].spin
    type_into(qtbot, groups, "1")                    # Enter sets it: the keys go back to the stage
    qtbot.waitUntil(lambda: QtWidgets.QApplication.focusWidget() is window.stage)
    at = window.doc.position
    qtbot.keyClick(window.stage, QtCore.Qt.Key_Right)
    assert window.doc.position == at + 1


def test_after_clicking_the_n_selector_left_and_right_step_and_up_down_change_it(window, qtbot):
    _channels_and_batch(window)
    n = window.path_bar.sel_n
    up = QtCore.QPoint(n.width() - 6, 4)                          # the ▲ button at the box's right
    qtbot.mouseClick(n, QtCore.Qt.LeftButton, pos=up)
    assert n.value() == 1 and not window.path_bar.follow.isChecked()
    assert QtWidgets.QApplication.focusWidget() in (n, n.lineEdit())
    at = window.doc.position
    qtbot.keyClick(QtWidgets.QApplication.focusWidget(), QtCore.Qt.Key_Right)
    assert window.doc.position == at + 1
    qtbot.keyClick(QtWidgets.QApplication.focusWidget(), QtCore.Qt.Key_Down)
    assert n.value() == 0 and window.doc.position == at + 1
