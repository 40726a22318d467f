"""The Kernel group: one filter's taps as a table you type into, its bias, the kernel's size, presets."""
from __future__ import annotations

from PySide6 import QtWidgets

from ..core import presets
from ..core.schema import MAX_SIDE, MAX_VALUES
from ..core.tensor_edits import kernel_changes, with_bias
from .document import Document
from .editors import show_number, spin_box


class KernelPanel(QtWidgets.QGroupBox):
    """Shows W[q, c] and b[q]; edits go through ``edit(text, **changes)``, problems through ``problem``."""

    def __init__(self, doc: Document, edit, problem, parent=None):
        super().__init__("Kernel", parent)
        self.doc, self._edit, self._problem = doc, edit, problem
        g = QtWidgets.QGridLayout(self)
        self.kernel_table = QtWidgets.QTableWidget()
        self.kernel_table.setObjectName("kernelView")
        self.kernel_table.setAccessibleName("kernel values")
        self.kernel_table.horizontalHeader().setDefaultSectionSize(46)
        self.kernel_table.verticalHeader().setDefaultSectionSize(26)
        self.kernel_table.itemChanged.connect(self._cell_edited)
        g.addWidget(self.kernel_table, 0, 0, 1, 4)
        self.kh, self.kw = spin_box(1, MAX_SIDE, 3, "kernel height"), spin_box(1, MAX_SIDE, 3, "kernel width")
        self.cout = spin_box(1, MAX_VALUES, 1, "output channels (filters)")
        self.kq = spin_box(0, MAX_VALUES - 1, 0, "which filter q is shown")
        self.kc = spin_box(0, MAX_VALUES - 1, 0, "which input channel c")
        self.kernel_preset = QtWidgets.QComboBox()
        self.kernel_preset.addItems(["preset…"] + list(presets.KERNELS))
        self.kernel_preset.activated.connect(self._apply_preset)
        self.bias = QtWidgets.QDoubleSpinBox(minimum=-99, maximum=99, singleStep=0.1, toolTip="bias of filter q")
        self.bias.setKeyboardTracking(False)
        self.bias.valueChanged.connect(self._bias_edited)
        for i, (lab, w) in enumerate((("kh", self.kh), ("kw", self.kw), ("Cout", self.cout), ("bias", self.bias),
                                      ("q", self.kq), ("c", self.kc))):
            g.addWidget(QtWidgets.QLabel(lab), 1 + i // 2, (i % 2) * 2)
            g.addWidget(w, 1 + i // 2, (i % 2) * 2 + 1)
        for w in (self.kh, self.kw, self.cout):
            w.valueChanged.connect(self._resize)
        for w in (self.kq, self.kc):
            w.valueChanged.connect(self.refresh)
        g.addWidget(self.kernel_preset, 4, 0, 1, 4)

    def _filter(self) -> tuple[int, int]:
        """(q, c) shown, within the kernel's shape."""
        w = self.doc.scene.w
        return min(self.kq.value(), w.shape[0] - 1), min(self.kc.value(), w.shape[1] - 1)

    def show_scene(self) -> None:
        w = self.doc.scene.w
        for spin, n in ((self.kh, w.shape[2]), (self.kw, w.shape[3]), (self.cout, w.shape[0])):
            show_number(spin, n)                  # no signal, and never clamped
        self.refresh()

    def refresh(self) -> None:
        w, b = self.doc.scene.w, self.doc.scene.b
        q, c = self._filter()
        tab = self.kernel_table
        tab.blockSignals(True)
        tab.setRowCount(w.shape[2])
        tab.setColumnCount(w.shape[3])
        tab.setVerticalHeaderLabels([str(i) for i in range(w.shape[2])])       # 0-based, like the heatmaps
        tab.setHorizontalHeaderLabels([str(j) for j in range(w.shape[3])])
        for i in range(w.shape[2]):
            for j in range(w.shape[3]):
                tab.setItem(i, j, QtWidgets.QTableWidgetItem(f"{float(w[q, c, i, j]):.4g}"))
        tab.resizeColumnsToContents()                 # every value whole: never "0.12…"
        tab.resizeRowsToContents()
        for j in range(w.shape[3]):
            tab.setColumnWidth(j, max(tab.columnWidth(j), 40))
        tab.setFixedHeight(sum(tab.rowHeight(i) for i in range(min(8, w.shape[2])))
                           + tab.horizontalHeader().sizeHint().height() + 2 * tab.frameWidth() + 2)
        tab.blockSignals(False)
        self.bias.blockSignals(True)
        self.bias.setValue(float(b[q]) if b is not None and q < len(b) else 0.0)
        self.bias.blockSignals(False)

    def _resize(self):
        t = self.doc.scene
        self._edit("resize kernel", tensors=kernel_changes(t.w, t.b, self.cout.value(), self.kh.value(),
                                                           self.kw.value()))

    def _cell_edited(self, item):
        try:
            v = float(item.text().replace("−", "-"))
        except ValueError:
            self._problem(f"“{item.text()}” is not a number; type a value such as 0.5 or -1")
            self.refresh()
            return
        w = self.doc.scene.w.copy()
        q, c = self._filter()
        w[q, c, item.row(), item.column()] = v
        self._edit("edit kernel", tensors={"w": w})

    def _bias_edited(self, v):
        t = self.doc.scene
        self._edit("edit bias", tensors={"b": with_bias(t.w, t.b, self.kq.value(), v)})

    def _apply_preset(self, i: int):
        if i == 0:
            return
        w = self.doc.scene.w.copy()
        q, c = self._filter()
        w[q, c] = presets.kernel_preset(presets.KERNELS[i - 1], w.shape[2], w.shape[3], seed=q * 16 + c)
        self._edit(f"kernel preset {presets.KERNELS[i - 1]}", tensors={"w": w})
        self.kernel_preset.setCurrentIndex(0)
