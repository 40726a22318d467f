"""The Input group: the canvas and its drawing tools, presets, the input's size, loading an image.

Edits go through ``edit(text, **changes)`` (the window's, which shows the busy bar);
problems through ``problem(message)``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtWidgets

from ..core import presets
from ..core.paths import roles
from ..core.schema import MAX_SIDE, MAX_VALUES
from ..core.tensor_edits import image_input, input_changes, resized
from .document import Document
from .editors import show_number, spin_box
from .image_dialog import ImageImportDialog
from .input_canvas import InputCanvas

PAINTED = {"X": ("x", roles.X), "target T": ("target", roles.T), "dP": ("dp", roles.DP)}  # combo text: tensor, role
LOSS_FOR = {"dp": {"loss": "given"}, "target": {"loss": "half_squared_error"}}  # painting it chooses this loss


class InputPanel(QtWidgets.QGroupBox):
    def __init__(self, doc: Document, edit, problem, parent=None):
        super().__init__("Input", parent)
        self.doc, self._edit, self._problem = doc, edit, problem
        self.plane = (0, 0)
        g = QtWidgets.QGridLayout(self)
        self.canvas = InputCanvas()
        self.canvas.setMinimumHeight(230)
        self.canvas.stroke_started.connect(doc.begin_stroke)
        self.canvas.stroke_moved.connect(self._stroke_moved)
        self.canvas.stroke_finished.connect(self._stroke)
        self.canvas.value_requested.connect(self._type_value)
        self.canvas.setToolTip("paint with the left button, erase with the right; Ctrl+click a cell to type its value;"
                               " drop an image here to load it")
        g.addWidget(self.canvas, 0, 0, 1, 4)
        self.paint_on = QtWidgets.QComboBox()
        self.paint_on.addItems(list(PAINTED))
        self.paint_on.setToolTip("what the mouse paints: the input, the loss's target, or dP directly")
        self.paint_on.currentIndexChanged.connect(self.refresh)
        self.brush = QtWidgets.QDoubleSpinBox(minimum=-9, maximum=9, value=1.0, singleStep=0.25, toolTip="brush value")
        self.brush.valueChanged.connect(lambda v: setattr(self.canvas, "brush_value", v))
        self.brush_size = spin_box(1, 9, 1, "brush size (cells)")
        self.brush_size.valueChanged.connect(lambda v: setattr(self.canvas, "brush_size", v))
        self.erase = QtWidgets.QCheckBox("erase")
        self.erase.toggled.connect(lambda v: setattr(self.canvas, "erase", v))
        for i, (lab, w) in enumerate((("paint", self.paint_on), ("value", self.brush), ("size", self.brush_size))):
            g.addWidget(QtWidgets.QLabel(lab), 1 + i // 2, (i % 2) * 2)
            g.addWidget(w, 1 + i // 2, (i % 2) * 2 + 1)
        g.addWidget(self.erase, 2, 2, 1, 2)
        self.input_preset = QtWidgets.QComboBox()
        self.input_preset.addItems(["preset…"] + list(presets.INPUTS))
        self.input_preset.activated.connect(self._apply_input_preset)
        clear = QtWidgets.QPushButton("clear")
        clear.clicked.connect(lambda: self._fill(0.0))
        fill = QtWidgets.QPushButton("fill")
        fill.clicked.connect(lambda: self._fill(self.brush.value()))
        load = QtWidgets.QPushButton("image…")
        load.clicked.connect(self.load_image_dialog)
        g.addWidget(self.input_preset, 3, 0, 1, 2)
        g.addWidget(clear, 3, 2)
        g.addWidget(fill, 3, 3)
        self.size_h, self.size_w = spin_box(1, MAX_SIDE, 8, "input height"), spin_box(1, MAX_SIDE, 8, "input width")
        self.channels = spin_box(1, MAX_VALUES, 1, "input channels")
        self.batch = spin_box(1, MAX_VALUES, 1, "batch size")
        for i, (lab, w) in enumerate((("H", self.size_h), ("W", self.size_w), ("Cin", self.channels),
                                      ("N", self.batch))):
            g.addWidget(QtWidgets.QLabel(lab), 4 + i // 2, (i % 2) * 2)
            g.addWidget(w, 4 + i // 2, (i % 2) * 2 + 1)
            w.valueChanged.connect(self._resize_input)
        g.addWidget(load, 6, 0, 1, 2)
        self.load_button, self.clear_button, self.fill_button = load, clear, fill
        self.whose = QtWidgets.QLabel(wordWrap=True, objectName="inputWhose")
        self.whose.setStyleSheet("color: #6a1b9a; font-weight: bold;")
        self.whose.hide()
        g.addWidget(self.whose, 7, 0, 1, 4)

    # ------------------------------------------------------------ model -> panel

    def show_scene(self, plane: tuple[int, int]) -> None:
        """Show the input's shape and what the canvas paints, in plane ``plane`` (n, c).

        Block 1 reads the network's input, which the panel edits; a later block reads the block
        before it's P, shown read-only. Only the last block has the loss's target and dP."""
        scene = self.doc.scene
        x = self.shown_x()
        first = scene.selected == 0
        for w in (self.size_h, self.size_w, self.channels, self.batch, self.input_preset, self.load_button):
            w.setEnabled(first)
        for spin, n in ((self.size_h, x.shape[2]), (self.size_w, x.shape[3]), (self.channels, x.shape[1]),
                        (self.batch, x.shape[0])):
            show_number(spin, n)                  # no signal, and never clamped
        self.plane = plane
        self.refresh()

    def refresh(self) -> None:
        t, r = self.doc.scene, self.doc.results
        name, role = PAINTED[self.paint_on.currentText()]
        k = t.selected
        if name == "x":
            arr = self.shown_x()
            read_only = k > 0
            why = (f"X of block {k + 1} is P of block {k}: shown, not painted (select block 1 to edit "
                   f"the network's input)")
        else:
            read_only = bool(t.above)
            why = (f"block {k + 1} is fed its dP by block {k + 2}: the loss's target and dP belong to the "
                   f"last block, block {len(t.blocks())}")
        self.canvas.read_only = read_only
        for w in (self.clear_button, self.fill_button):
            w.setEnabled(not read_only)
        self.whose.setText(why if read_only else "")
        self.whose.setVisible(read_only)
        if name == "target":
            arr = t.target if t.target is not None and r.p is not None and t.target.shape == r.p.shape else (
                np.zeros_like(r.p) if r.p is not None else None)
        elif name == "dp":
            arr = t.dp if t.dp is not None and r.p is not None and t.dp.shape == r.p.shape else r.dp
        if arr is None:
            return
        self.canvas.role = role
        self.canvas.plane_index = self.plane
        label = f"{role.name}{'¹²³⁴'[k] if t.stacked else ''} {'×'.join(map(str, arr.shape))}"
        self.canvas.set_array(name, np.asarray(arr, np.float32), label + (" (read-only)" if read_only else ""))

    def shown_x(self):
        """The selected block's input: the network's X for block 1, else what the block below gives."""
        scene, shown = self.doc.scene, self.doc.shown
        if scene.selected == 0 or shown is None:
            return scene.x
        return shown.tensors.x

    # ------------------------------------------------------------ panel -> model

    def _stroke_moved(self, array, name):
        """Every view follows the brush while the stroke goes on (one undo step for the stroke)."""
        self.doc.edit(f"paint {name}", tensors={name: array}, config=LOSS_FOR.get(name), record=False)

    def _stroke(self, array, name):
        self.doc.end_stroke(f"paint {name}", tensors={name: array}, config=LOSS_FOR.get(name))

    def _type_value(self, cell):
        arr = self.canvas.array
        if arr is None:
            return
        value, ok = QtWidgets.QInputDialog.getDouble(
            self, "Type a value", f"{self.canvas.role.cell_text(cell)} =",
            float(arr[tuple(cell)]), -1e6, 1e6, 4)
        if ok:
            self.set_cell_value(cell, value)

    def set_cell_value(self, cell, value: float) -> bool:
        """Set one cell of what the canvas paints (X, the target or dP); undoable."""
        arr = self.canvas.array.copy()
        arr[tuple(cell)] = value
        name = self.canvas.target_name
        return self._edit(f"type {self.canvas.role.cell_text(cell)}", tensors={name: arr},
                          config=LOSS_FOR.get(name))

    def _fill(self, value: float):
        arr = self.canvas.array
        if arr is not None:
            self._stroke(np.full_like(arr, value), self.canvas.target_name)

    def _apply_input_preset(self, i: int):
        if i == 0:
            return
        x = self.doc.scene.x
        plane = presets.input_preset(presets.INPUTS[i - 1], x.shape[2], x.shape[3])
        self._edit(f"input preset {presets.INPUTS[i - 1]}", tensors={"x": np.broadcast_to(plane, x.shape).copy()})
        self.input_preset.setCurrentIndex(0)

    def _resize_input(self):
        shape = (self.batch.value(), self.channels.value(), self.size_h.value(), self.size_w.value())
        self._edit("resize input", tensors=self._with_kernel(resized(self.doc.scene.x, shape)))

    def _with_kernel(self, x: np.ndarray) -> dict:
        return input_changes(x, self.doc.scene.w, self.doc.scene.config.groups)

    # ------------------------------------------------------------ images

    def load_image_dialog(self):
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Load image", "", "Images (*.png *.jpg *.jpeg)")
        if path:
            self.import_image(path)

    def import_image(self, path) -> bool:
        """Ask how to resize an image (and grayscale or colour), then load it as the input."""
        from PIL import Image, UnidentifiedImageError
        try:
            with Image.open(path) as img:
                size = img.size
        except (OSError, UnidentifiedImageError) as exc:
            self._problem(f"cannot read the image {Path(path).name}: {exc}")
            return False
        dialog = ImageImportDialog(Path(path).name, size, self.doc.scene.x.shape[2:], self.window())
        if dialog.exec() != QtWidgets.QDialog.Accepted:
            return False
        h, w, colour = dialog.choice()
        return self.load_image(path, (h, w), colour)

    def load_image(self, path, size: tuple[int, int] | None = None, colour: bool = False) -> bool:
        """Load a PNG/JPEG, resized to ``size`` (else the input's size), grayscale or one channel per colour."""
        from PIL import Image, UnidentifiedImageError
        x = self.doc.scene.x
        h, w = size or x.shape[2:]
        try:
            with Image.open(path) as img:
                img = img.convert("RGB" if colour else "L").resize((w, h), Image.BILINEAR)
        except (OSError, UnidentifiedImageError) as exc:
            self._problem(f"cannot read the image {Path(path).name}: {exc}")
            return False
        return self._edit(f"load image {Path(path).name}", tensors=self._with_kernel(image_input(img, x.shape[0])))
