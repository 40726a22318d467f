"""The layer strip: the network's blocks in order, the selected one (the block every path and
editor shows), and buttons that add, remove and move blocks. Every change but a selection is
one undo step; a stack whose blocks do not chain is shown with the block and what to change."""
from __future__ import annotations

import re

from PySide6 import QtCore, QtWidgets

from ..core.network import MAX_BLOCKS
from ..core.stack_edits import add_block, describe, move_block, remove_block
from .document import Document

_BAD = "QPushButton { border: 2px solid #b00020; color: #b00020; }"


class LayerStrip(QtWidgets.QGroupBox):
    """``problem(message)`` shows a message where the person looks."""

    def __init__(self, doc: Document, problem, parent=None):
        super().__init__("Layers (input → loss)", parent)
        self.doc, self._problem = doc, problem
        lay = QtWidgets.QVBoxLayout(self)
        row = QtWidgets.QHBoxLayout()
        self.group = QtWidgets.QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: list[QtWidgets.QPushButton] = []
        for k in range(MAX_BLOCKS):
            b = QtWidgets.QPushButton(checkable=True)
            b.setObjectName(f"block{k + 1}")
            b.setToolTip(f"show and edit block {k + 1}")
            b.setMinimumHeight(48)
            b.setSizePolicy(QtWidgets.QSizePolicy.Expanding, QtWidgets.QSizePolicy.Preferred)
            self.group.addButton(b, k)
            row.addWidget(b)
            self.buttons.append(b)
        self.group.idClicked.connect(self.select)
        lay.addLayout(row)
        tools = QtWidgets.QHBoxLayout()
        self.add_button = QtWidgets.QPushButton("+ add", toolTip="add a pass-through block after the selected one")
        self.remove_button = QtWidgets.QPushButton("− remove", toolTip="remove the selected block")
        self.left_button = QtWidgets.QPushButton("◀ move", toolTip="move the selected block towards the input")
        self.right_button = QtWidgets.QPushButton("move ▶", toolTip="move the selected block towards the loss")
        self.add_button.clicked.connect(lambda: self._change("add block", add_block))
        self.remove_button.clicked.connect(lambda: self._change("remove block", remove_block))
        self.left_button.clicked.connect(lambda: self._change("move block", lambda s: move_block(s, -1)))
        self.right_button.clicked.connect(lambda: self._change("move block", lambda s: move_block(s, 1)))
        for b in (self.add_button, self.remove_button, self.left_button, self.right_button):
            tools.addWidget(b)
        lay.addLayout(tools)
        self.chain_label = QtWidgets.QLabel(wordWrap=True, textFormat=QtCore.Qt.PlainText)
        self.chain_label.setObjectName("chainProblem")
        self.chain_label.setStyleSheet("color: #b00020; font-weight: bold;")
        lay.addWidget(self.chain_label)

    def refresh(self) -> None:
        scene = self.doc.scene
        blocks = scene.blocks()
        try:
            shapes, bad, message = scene.network().shapes(), None, ""
        except ValueError as exc:
            message = str(exc)
            found = re.match(r"block (\d+):", message)
            shapes, bad = None, int(found.group(1)) - 1 if found else None
        for k, b in enumerate(self.buttons):
            b.setVisible(k < len(blocks))
            if k < len(blocks):
                b.setText(f"{k + 1}: " + describe(blocks[k], shapes[k] if shapes else None))
                b.setStyleSheet(_BAD if k == bad else "")
                b.setChecked(k == scene.selected)
        self.chain_label.setText(f"⚠ {message}" if message else "")
        self.chain_label.setVisible(bool(message))
        n, k = len(blocks), scene.selected
        self.add_button.setEnabled(n < MAX_BLOCKS)
        self.remove_button.setEnabled(n > 1)
        self.left_button.setEnabled(k > 0)
        self.right_button.setEnabled(k < n - 1)

    def select(self, k: int) -> None:
        """Show and edit block ``k`` (from 0); not an undo step."""
        if k != self.doc.scene.selected:
            self.doc.replace(f"select block {k + 1}", self.doc.scene.select(k), record=False)

    def _change(self, text: str, edit) -> None:
        try:
            scene = edit(self.doc.scene)
        except ValueError as exc:
            self._problem(str(exc))
            return
        self.doc.replace(text, scene)
