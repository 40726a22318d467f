"""The nudge check: pick one cell of any block's input X, kernel W or bias b, nudge it by ε, and
compare the change of the loss with the gradient's prediction, ΔL against ∂L/∂θ · ε
(:func:`..core.gradcheck.nudge`: the loss again in float64 with the numpy reference)."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..core.gradcheck import nudge
from .document import Document
from .editors import spin_box

TENSORS = {"X (block input)": "x", "W (kernel)": "w", "b (bias)": "b"}


def parse_cell(text: str) -> tuple:
    """'0, 1, 2, 3' → (0, 1, 2, 3); ValueError saying what to type."""
    try:
        return tuple(int(p) for p in text.replace(" ", "").split(","))
    except ValueError:
        raise ValueError(f"type the cell as whole numbers separated by commas, e.g. 0,0,1,2; got {text!r}") from None


class NudgePanel(QtWidgets.QGroupBox):
    def __init__(self, doc: Document, parent=None):
        super().__init__("Nudge check", parent)
        self.doc = doc
        g = QtWidgets.QGridLayout(self)
        self.block = spin_box(1, 1, 1, "which block")
        self.block.setObjectName("nudgeBlock")
        self.tensor = QtWidgets.QComboBox(objectName="nudgeTensor")
        self.tensor.addItems(list(TENSORS))
        self.cell = QtWidgets.QLineEdit("0,0,0,0", objectName="nudgeCell")
        self.cell.setToolTip("the cell: n,c,y,x of X; q,c,m,n of W; q of b")
        self.cell.returnPressed.connect(self.check)
        self.eps = QtWidgets.QDoubleSpinBox(decimals=6, minimum=-1.0, maximum=1.0, singleStep=0.0001, value=0.001)
        self.eps.setObjectName("nudgeEps")
        self.eps.setToolTip("ε, the nudge")
        self.button = QtWidgets.QPushButton("nudge", objectName="nudgeButton")
        self.button.clicked.connect(self.check)
        for i, (lab, w) in enumerate((("block", self.block), ("of", self.tensor), ("cell", self.cell),
                                      ("ε", self.eps))):
            g.addWidget(QtWidgets.QLabel(lab), i // 2, (i % 2) * 2)
            g.addWidget(w, i // 2, (i % 2) * 2 + 1)
        g.addWidget(self.button, 2, 0, 1, 4)
        self.result = QtWidgets.QLabel(wordWrap=True, textFormat=QtCore.Qt.PlainText, objectName="nudgeResult")
        self.result.setStyleSheet("font-family: monospace;")
        self.result.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        g.addWidget(self.result, 3, 0, 1, 4)
        self.last: dict | None = None

    def refresh(self) -> None:
        n = len(self.doc.scene.blocks())
        self.block.setMaximum(n)

    def pick(self, block: int, tensor: str, cell) -> dict | None:
        """Choose block ``block`` (from 0), tensor "x", "w" or "b" and ``cell``, then nudge it."""
        self.block.setValue(block + 1)
        self.tensor.setCurrentIndex(list(TENSORS.values()).index(tensor))
        self.cell.setText(",".join(str(int(i)) for i in cell))
        return self.check()

    def check(self) -> dict | None:
        """Nudge the chosen cell; shows and returns what :func:`nudge` gives (None on bad input)."""
        scene = self.doc.scene
        k, name = self.block.value() - 1, TENSORS[self.tensor.currentText()]
        try:
            cell = parse_cell(self.cell.text())
            network = scene.network()
            results = self.doc.session.fed(scene) if scene.stacked else network.compute(self.doc.backend)
            out = nudge(network, k, name, cell, self.eps.value(), results)
        except ValueError as exc:
            self.last = None
            self.result.setStyleSheet("font-family: monospace; color: #b00020; font-weight: bold;")
            self.result.setText(f"⚠ {exc}")
            return None
        self.last = out
        ratio = out["delta_loss"] / out["predicted"] if out["predicted"] else float("nan")
        what = f"{name.upper() if name != 'b' else 'b'}{'¹²³⁴'[k]}[{','.join(map(str, cell))}]"
        self.result.setStyleSheet("font-family: monospace;")
        self.result.setText(f"{what} = {out['value']:.6g} → {out['value'] + out['eps']:.6g}\n"
                            f"ΔL = L(θ+ε) − L(θ) = {out['delta_loss']:.6g}\n"
                            f"∂L/∂θ·ε = {out['gradient']:.6g} × {out['eps']:.6g} = {out['predicted']:.6g}\n"
                            f"ratio ΔL / (∂L/∂θ·ε) = {ratio:.4f}")
        return out
