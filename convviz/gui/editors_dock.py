"""The editors on the left: Input, Kernel and Parameters groups, the size formula, the problem line, P."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from ..core.paths import roles
from ..core.spec import make_conv_spec
from .config_panel import ConfigPanel
from .document import Document
from .input_panel import InputPanel
from .kernel_panel import KernelPanel
from .tensorview import TensorView


class EditorsDock(QtWidgets.QDockWidget):
    """Edits go through ``edit(text, **changes)``; ``problem(message)`` shows a message where the person looks."""

    def __init__(self, doc: Document, edit, problem, parent=None):
        super().__init__("Editors", parent)
        self.doc, self._edit = doc, edit
        self.setObjectName("editorsDock")
        self.setFeatures(QtWidgets.QDockWidget.DockWidgetMovable | QtWidgets.QDockWidget.DockWidgetFloatable)
        panel = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(panel)
        self.input = InputPanel(doc, edit, problem)
        self.kernel = KernelPanel(doc, edit, problem)
        self.config = ConfigPanel()
        self.config.edited.connect(self._field_edited)
        self.size_formula = QtWidgets.QLabel()
        self.size_formula.setObjectName("sizeFormula")
        self.size_formula.setStyleSheet("font-family: monospace;")
        self.problem_label = QtWidgets.QLabel(textFormat=QtCore.Qt.PlainText)
        self.problem_label.setObjectName("problemLabel")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.output_view = TensorView(roles.P)
        self.output_view.setObjectName("outputView")
        self.output_view.setAccessibleName("block output; click a cell for a one-hot loss")
        self.output_view.setMinimumHeight(180)
        self.output_view.clicked.connect(self._output_clicked)
        self.input.canvas.setMaximumHeight(280)         # the Parameters stay in sight at 1600 × 1000
        for w in (self.input, self.config, self.size_formula, self.problem_label, self.kernel, self.output_view):
            col.addWidget(w)
        col.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(360)
        self.setWidget(scroll)

    def show_scene(self, plane: tuple[int, int]) -> None:
        """Every editor shows the scene as the document holds it; the canvas paints plane ``plane``."""
        c, t, r = self.doc.scene.config, self.doc.scene, self.doc.results
        self.config.show_config(c, t.w.shape[2:])
        self.size_formula.setText(self._size_formula())
        if r.p is not None:
            self.output_view.set_tensor(roles.P, r.p, f"P {'×'.join(map(str, r.p.shape))}", (0, 0),
                                        bool(r.p.min() < 0), float(np.abs(r.p).max(initial=0)) or 1.0)
            self.output_view.set_highlights("target", [tuple(c.one_hot_cell)] if c.loss == "one_hot" else [])
        self.input.show_scene(plane)
        self.kernel.show_scene()

    def _size_formula(self) -> str:
        """The output-size formula for the parameters as entered, even when they do not work
        (then it says so); the block's input is the network's below the first block."""
        t, shown = self.doc.scene, self.doc.shown
        fed = t.stacked and t.selected > 0 and shown is not None
        hw = (shown.tensors.x if fed else t.x).shape[2:]
        try:
            spec = make_conv_spec(t.w.shape[2:], **t.config.conv_args())
        except ValueError:
            r = self.doc.results
            return r.spec.formula(hw) if r is not None and r.spec is not None else ""
        text = spec.formula(hw).replace("= -", "= −")
        if min(spec.output_size(hw)) < 1:
            text += "\n→ no output cell: make the kernel, dilation or stride smaller, or pad more"
        return text

    def show_problem(self, message: str) -> None:
        self.problem_label.setText(("⚠ " + message + "  (the last good result stays on screen)") if message else "")

    def _field_edited(self, field: str, value) -> None:
        """One editor changed its field: write that field alone (the others stay as the scene holds them)."""
        self._edit(f"change {field.replace('_', ' ')}", config={field: value})

    def _output_clicked(self, cell) -> None:
        self._edit("one-hot cell", config={"loss": "one_hot", "one_hot_cell": tuple(cell)})
