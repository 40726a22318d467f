"""The dock on the right: the layer strip, training and the nudge check, each following the scene."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .document import Document
from .layer_strip import LayerStrip
from .nudge_panel import NudgePanel
from .training_panel import TrainingPanel


class NetworkDock(QtWidgets.QDockWidget):
    def __init__(self, doc: Document, problem, parent=None):
        super().__init__("Network", parent)
        self.setObjectName("networkDock")
        self.setFeatures(QtWidgets.QDockWidget.DockWidgetMovable | QtWidgets.QDockWidget.DockWidgetFloatable)
        panel = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(panel)
        self.layers = LayerStrip(doc, problem)
        self.training = TrainingPanel(doc, problem)
        self.nudge = NudgePanel(doc)
        self.training.kernel_picked.connect(lambda k, cell: self.nudge.pick(k, "w", cell))
        for w in (self.layers, self.training, self.nudge):
            col.addWidget(w)
        col.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(340)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self.setWidget(scroll)
        doc.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.layers.refresh()
        self.training.refresh()
        self.nudge.refresh()
