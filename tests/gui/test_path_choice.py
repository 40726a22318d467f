"""Paths a scene lacks: greyed out in the list with the reason, and refused in words beside it."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene
from convviz.gui.path_bar import NOTICE_MS


def _scene(size: int, pool: str) -> Scene:
    x = np.arange(size * size, dtype=np.float32).reshape(1, 1, size, size) % 5
    return Scene(x, np.ones((1, 1, 3, 3), np.float32), None, config=BlockConfig(pool=pool, padding="valid"))


def _item(bar, name):
    i = bar.selector.findData(name)
    return bar.selector.model().item(i), bar.selector.itemData(i, QtCore.Qt.ToolTipRole)


def test_without_pooling_the_pool_path_is_greyed_out_and_says_why(window, qtbot):
    window.doc.set_scene(_scene(6, "none"))
    item, tip = _item(window.path_bar, "pool")
    assert not item.isEnabled() and "no pooling" in tip
    assert _item(window.path_bar, "forward")[0].isEnabled()
    window.doc.set_path("dw")
    window.doc.set_path("pool")                        # asked for anyway (a lesson, a script)
    bar = window.path_bar
    assert window.doc.path_name == "dw" and bar.selector.currentData() == "dw"
    assert bar.notice.isVisible() and "no pooling" in bar.notice.text()
    assert not window.stage.problem.isVisible()        # the scene itself is fine: no banner
    qtbot.waitUntil(lambda: not bar.notice.isVisible(), timeout=NOTICE_MS + 2000)
    window.doc.set_scene(_scene(6, "max"))              # with pooling the path is there again
    assert _item(bar, "pool")[0].isEnabled()
    window.doc.set_path("pool")
    assert window.doc.path_name == "pool"


def test_a_big_input_greys_out_the_jacobian_and_gives_the_numbers(window):
    window.doc.set_scene(_scene(70, "none"))           # 70·70 = 4900 inputs and, "valid", 68·68 = 4624 outputs
    item, tip = _item(window.path_bar, "jacobian")
    assert not item.isEnabled()
    assert "at most 4096 each" in tip and "4624 outputs and 4900 inputs" in tip
