"""How an image becomes the input: its size, and grayscale or one channel per colour."""
from __future__ import annotations

from PySide6 import QtWidgets

from .editors import spin_box


class ImageImportDialog(QtWidgets.QDialog):
    """How an image becomes the input: its size, and grayscale or one channel per colour."""

    def __init__(self, name: str, image_size: tuple[int, int], input_hw: tuple[int, int], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Load image")
        self.setObjectName("imageImportDialog")
        iw, ih = image_size
        form = QtWidgets.QFormLayout(self)
        form.addRow(QtWidgets.QLabel(f"<b>{name}</b>: {iw}×{ih} px"))
        self.h, self.w = spin_box(1, 1024, int(input_hw[0]), "rows of the input"), spin_box(1, 1024, int(input_hw[1]),
                                                                                         "columns of the input")
        size_row = QtWidgets.QHBoxLayout()
        size_row.addWidget(self.h)
        size_row.addWidget(QtWidgets.QLabel("×"))
        size_row.addWidget(self.w)
        form.addRow("resize to (H × W)", size_row)
        presets_row = QtWidgets.QHBoxLayout()
        for text, hw in (("the input's size", input_hw), ("the image's size", self._capped(ih, iw)),
                         ("28 × 28", (28, 28)), ("64 × 64", (64, 64))):
            b = QtWidgets.QPushButton(text)
            b.setAutoDefault(False)
            b.clicked.connect(lambda _=False, hw=hw: (self.h.setValue(int(hw[0])), self.w.setValue(int(hw[1]))))
            presets_row.addWidget(b)
        form.addRow(presets_row)
        self.gray = QtWidgets.QRadioButton("grayscale (1 channel)", checked=True)
        self.colour = QtWidgets.QRadioButton("one channel per colour (R, G, B: 3 channels)")
        form.addRow(self.gray)
        form.addRow(self.colour)
        form.addRow(QtWidgets.QLabel("Values are scaled to 0…1. Every sample of the batch gets the image."))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _capped(h: int, w: int, limit: int = 1024) -> tuple[int, int]:
        f = min(1.0, limit / max(h, w))
        return max(1, round(h * f)), max(1, round(w * f))

    def choice(self) -> tuple[int, int, bool]:
        return self.h.value(), self.w.value(), self.colour.isChecked()
