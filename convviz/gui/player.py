"""The step player: previous / next / play / speed / scrubber over the document's positions."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .document import Document


class StepPlayer(QtWidgets.QWidget):
    """previous / next / play / speed / scrubber over the document's positions."""

    def __init__(self, doc: Document, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.setObjectName("stepPlayer")
        self.setAccessibleName("step player")
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        self.buttons = {}
        style = self.style()
        icons = {"home": QtWidgets.QStyle.SP_MediaSkipBackward, "prev": QtWidgets.QStyle.SP_MediaSeekBackward,
                 "play": QtWidgets.QStyle.SP_MediaPlay, "next": QtWidgets.QStyle.SP_MediaSeekForward,
                 "end": QtWidgets.QStyle.SP_MediaSkipForward}
        self._icons = {"play": style.standardIcon(QtWidgets.QStyle.SP_MediaPlay),
                       "pause": style.standardIcon(QtWidgets.QStyle.SP_MediaPause)}
        for key, text, tip in (("home", "first", "first step (Home)"), ("prev", "prev", "previous step (←)"),
                               ("play", "play", "play / pause (space)"), ("next", "next", "next step (→)"),
                               ("end", "last", "last step (End)")):
            b = QtWidgets.QToolButton(toolTip=tip)
            b.setIcon(style.standardIcon(icons[key]))
            b.setAccessibleName(text)
            b.setFocusPolicy(QtCore.Qt.NoFocus)
            lay.addWidget(b)
            self.buttons[key] = b
        self.speed = QtWidgets.QComboBox()
        self.speed.addItems(["1 step/s", "2 steps/s", "5 steps/s", "20 steps/s"])
        self.speed.setCurrentIndex(1)
        self.speed.setFocusPolicy(QtCore.Qt.NoFocus)
        lay.addWidget(self.speed)
        self.scrubber = QtWidgets.QSlider(QtCore.Qt.Horizontal)
        self.scrubber.setFocusPolicy(QtCore.Qt.NoFocus)
        lay.addWidget(self.scrubber, 1)
        self.label = QtWidgets.QLabel()
        lay.addWidget(self.label)
        self.timer = QtCore.QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.buttons["home"].clicked.connect(lambda: doc.set_position(0))
        self.buttons["end"].clicked.connect(lambda: doc.set_position(10 ** 12))
        self.buttons["prev"].clicked.connect(lambda: doc.step_by(-1))
        self.buttons["next"].clicked.connect(lambda: doc.step_by(1))
        self.buttons["play"].clicked.connect(self.toggle)
        self.speed.currentIndexChanged.connect(self._set_speed)
        self.scrubber.valueChanged.connect(doc.set_position)
        doc.position_changed.connect(self.refresh)
        self.refresh()

    def _set_speed(self):
        self.timer.setInterval(int(1000 / (1, 2, 5, 20)[self.speed.currentIndex()]))

    def toggle(self):
        if self.timer.isActive():
            self.timer.stop()
        else:
            self._set_speed()
            self.timer.start()
        self.buttons["play"].setIcon(self._icons["pause" if self.timer.isActive() else "play"])

    def _tick(self):
        if self.doc.model is None or self.doc.position >= self.doc.path().n_positions - 1:
            self.toggle()
        else:
            self.doc.step_by(1)

    def refresh(self):
        if self.doc.model is None:
            return
        n = self.doc.path().n_positions
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, n - 1)
        self.scrubber.setValue(self.doc.position)
        self.scrubber.blockSignals(False)
        self.label.setText(f"{self.doc.position + 1} / {n}")
