"""The main window: editors on the left, the current stage's tensors in the middle, the player below."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ..compute import describe
from ..core import links, presets
from ..core.lessons import lesson_titles
from ..core.tensorfiles import scene_tensors, write_tensors
from ..core.torchcode import torch_script
from ..core.activations import ACTIVATIONS
from ..core.losses import LOSSES
from ..core.pipeline import POOLS
from ..core.scene import load_scene
from ..core.schema import MAX_PARAM, MAX_SIDE, MAX_VALUES
from ..core.spec import PADDING_MODES, make_conv_spec
from ..core.paths import roles
from ..core.paths.registry import PATH_TITLES, PATHS
from . import exporting
from .document import Document
from .editors import CheckEditor, ChoiceEditor, NumberEditor, PaddingEditor, PairEditor, show_number, spin_box
from .exporting import PathExportDialog, StepExportDialog
from .keys import ClassroomKeys, guard_wheel
from .stage_view import StageView, role_scales
from .tensorview import TensorView




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


class InputCanvas(TensorView):
    """The input (or the target T, or dP) as a heatmap you paint on with the mouse."""

    stroke_started = QtCore.Signal()
    value_requested = QtCore.Signal(object)           # Ctrl+click: the cell whose value to type
    stroke_moved = QtCore.Signal(object, str)         # the array so far, its name (live preview)
    stroke_finished = QtCore.Signal(object, str)      # the painted array, its name

    def __init__(self, parent=None):
        super().__init__(roles.X, parent)
        self.setObjectName("inputView")
        self.setAccessibleName("input drawing")
        self.brush_value = 1.0
        self.brush_size = 1
        self.erase = False
        self.target_name = "x"
        self.array: np.ndarray | None = None
        self.plane_index = (0, 0)
        self._painting = False
        self.glw.viewport().installEventFilter(self)
        self.glw.setContextMenuPolicy(QtCore.Qt.NoContextMenu)     # the right button erases here

    def set_array(self, name: str, array: np.ndarray, label: str) -> None:
        self.target_name, self.array = name, array.copy()
        scale = float(np.abs(array).max(initial=0)) or 1.0
        self.set_tensor(self.role, self.array, label, self.plane_index, True, scale)

    def _paint_at(self, view_pos) -> bool:
        """Paint the brush at a point; False when that changed nothing."""
        cell = self.cell_at(self.glw.mapToScene(view_pos))
        if cell is None or self.array is None:
            return False
        y, x = cell[-2], cell[-1]
        r = self.brush_size // 2
        lead = tuple(min(i, s - 1) for i, s in zip(self.plane_index, self.array.shape[:2]))
        patch = self.array[lead][max(0, y - r):y - r + self.brush_size, max(0, x - r):x - r + self.brush_size]
        value = 0.0 if self.erase else self.brush_value
        if np.all(patch == value):
            return False
        patch[...] = value
        scale = max(1.0, float(np.abs(self.array).max(initial=0)))
        self.set_tensor(self.role, self.array, f"{self.role.name} (painting)", self.plane_index, True, scale)
        return True

    def _stroke_to(self, pos) -> None:
        erase, self.erase = self.erase, self.erase or self._erase_stroke
        changed = self._paint_at(pos)
        self.erase = erase
        if changed:
            self.stroke_moved.emit(self.array, self.target_name)     # Document.edit keeps a copy

    def eventFilter(self, obj, ev):
        t = ev.type()
        if (t == QtCore.QEvent.MouseButtonPress and ev.button() == QtCore.Qt.LeftButton
                and ev.modifiers() & QtCore.Qt.ControlModifier):
            cell = self.cell_at(self.glw.mapToScene(ev.position().toPoint()))
            if cell is not None:
                self.value_requested.emit(cell)
            return True
        if t == QtCore.QEvent.MouseButtonPress and ev.button() in (QtCore.Qt.LeftButton, QtCore.Qt.RightButton):
            self._painting = True
            self._erase_stroke = ev.button() == QtCore.Qt.RightButton
            self.stroke_started.emit()
            self._stroke_to(ev.position().toPoint())
            return True
        if t == QtCore.QEvent.MouseMove and self._painting:
            self._stroke_to(ev.position().toPoint())
            return True
        if t == QtCore.QEvent.MouseButtonRelease and self._painting:
            self._painting = False
            self.stroke_finished.emit(self.array.copy(), self.target_name)
            return True
        return False


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _dropped_kind(url: QtCore.QUrl) -> str | None:
    name = url.toLocalFile().lower()
    if not url.isLocalFile():
        return None
    return "image" if name.endswith(IMAGE_SUFFIXES) else ("scene" if name.endswith(".json") else None)


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


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, doc: Document, settings: QtCore.QSettings | None = None, autosave_path: Path | None = None):
        super().__init__()
        self.doc = doc
        self.settings = settings
        self.file_path: Path | None = None
        self.font_scale = 1.0
        self.presenting = False
        self._revealed, self._hidden_now = False, False
        self.setWindowTitle("convviz")
        self.setAcceptDrops(True)
        self._hover_source = None
        self._build_editors()
        self._build_centre()
        self._build_menus()
        self._base_font = QtGui.QFont(self.font())
        self._apply_scale(show=False)
        self.status_backend = QtWidgets.QLabel()
        self.busy_bar = QtWidgets.QProgressBar(maximumWidth=140, maximumHeight=16, textVisible=False)
        self.busy_bar.setRange(0, 0)                      # an indeterminate "working" bar
        self.busy_bar.setObjectName("busyIndicator")
        self.busy_bar.setAccessibleName("computing")
        self.busy_bar.setToolTip("computing on the worker thread; the newest change is computed next")
        self.busy_bar.hide()
        self.statusBar().addPermanentWidget(self.busy_bar)
        self.statusBar().addPermanentWidget(self.status_backend)
        self._busy_timer = QtCore.QTimer(self, singleShot=True, interval=200)
        self._busy_timer.timeout.connect(self._show_busy)
        doc.busy_changed.connect(self._on_busy)
        doc.changed.connect(self._on_changed)
        doc.position_changed.connect(self._show_position)
        doc.problem.connect(self._on_problem)
        if autosave_path is not None:
            doc.autosave_to(autosave_path)                # after every edit and stroke, on a thread
            doc.autosave_failed.connect(self.statusBar().showMessage)
        self._on_changed()
        self._on_problem(doc.message)
        self._show_position()
        self.resize(1600, 1000)
        guard_wheel(self)
        self.classroom_keys = ClassroomKeys(self)
        self.stage_area.setFocusPolicy(QtCore.Qt.StrongFocus)
        self.stage_area.setFocus()

    # ------------------------------------------------------------ building

    def _build_editors(self):
        dock = QtWidgets.QDockWidget("Editors", self)
        dock.setObjectName("editorsDock")
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetMovable | QtWidgets.QDockWidget.DockWidgetFloatable)
        panel = QtWidgets.QWidget()
        col = QtWidgets.QVBoxLayout(panel)

        # input
        box = QtWidgets.QGroupBox("Input")
        g = QtWidgets.QGridLayout(box)
        self.canvas = InputCanvas()
        self.canvas.setMinimumHeight(230)
        self.canvas.stroke_started.connect(self.doc.begin_stroke)
        self.canvas.stroke_moved.connect(self._stroke_moved)
        self.canvas.stroke_finished.connect(self._stroke)
        self.canvas.value_requested.connect(self._type_value)
        self.canvas.setToolTip("paint with the left button, erase with the right; Ctrl+click a cell to type its value;"
                               " drop an image here to load it")
        g.addWidget(self.canvas, 0, 0, 1, 4)
        self.paint_on = QtWidgets.QComboBox()
        self.paint_on.addItems(["X", "target T", "dP"])
        self.paint_on.setToolTip("what the mouse paints: the input, the loss's target, or dP directly")
        self.paint_on.currentIndexChanged.connect(self._refresh_canvas)
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
        self.channels, self.batch = spin_box(1, MAX_VALUES, 1, "input channels"), spin_box(1, MAX_VALUES, 1, "batch size")
        for i, (lab, w) in enumerate((("H", self.size_h), ("W", self.size_w), ("Cin", self.channels),
                                      ("N", self.batch))):
            g.addWidget(QtWidgets.QLabel(lab), 4 + i // 2, (i % 2) * 2)
            g.addWidget(w, 4 + i // 2, (i % 2) * 2 + 1)
            w.valueChanged.connect(self._resize_input)
        g.addWidget(load, 6, 0, 1, 2)
        col.addWidget(box)

        # kernel
        box = QtWidgets.QGroupBox("Kernel")
        g = QtWidgets.QGridLayout(box)
        self.kernel_table = QtWidgets.QTableWidget()
        self.kernel_table.setObjectName("kernelView")
        self.kernel_table.setAccessibleName("kernel values")
        self.kernel_table.horizontalHeader().setDefaultSectionSize(46)
        self.kernel_table.verticalHeader().setDefaultSectionSize(26)
        self.kernel_table.itemChanged.connect(self._kernel_cell_edited)
        g.addWidget(self.kernel_table, 0, 0, 1, 4)
        self.kh, self.kw = spin_box(1, MAX_SIDE, 3, "kernel height"), spin_box(1, MAX_SIDE, 3, "kernel width")
        self.cout = spin_box(1, MAX_VALUES, 1, "output channels (filters)")
        self.kq = spin_box(0, MAX_VALUES - 1, 0, "which filter q is shown")
        self.kc = spin_box(0, MAX_VALUES - 1, 0, "which input channel c")
        self.kernel_preset = QtWidgets.QComboBox()
        self.kernel_preset.addItems(["preset…"] + list(presets.KERNELS))
        self.kernel_preset.activated.connect(self._apply_kernel_preset)
        self.bias = QtWidgets.QDoubleSpinBox(minimum=-99, maximum=99, singleStep=0.1, toolTip="bias of filter q")
        self.bias.setKeyboardTracking(False)
        self.bias.valueChanged.connect(self._bias_edited)
        for i, (lab, w) in enumerate((("kh", self.kh), ("kw", self.kw), ("Cout", self.cout), ("bias", self.bias),
                                      ("q", self.kq), ("c", self.kc))):
            g.addWidget(QtWidgets.QLabel(lab), 1 + i // 2, (i % 2) * 2)
            g.addWidget(w, 1 + i // 2, (i % 2) * 2 + 1)
        for w in (self.kh, self.kw, self.cout):
            w.valueChanged.connect(self._resize_kernel)
        for w in (self.kq, self.kc):
            w.valueChanged.connect(self._refresh_kernel)
        g.addWidget(self.kernel_preset, 4, 0, 1, 4)
        col.addWidget(box)

        # parameters: one editor per config field, each writing back only its own field
        box = QtWidgets.QGroupBox("Parameters")
        f = QtWidgets.QFormLayout(box)
        eds = {"stride": PairEditor("stride", 1, MAX_PARAM, "stride"),
               "padding": PaddingEditor(MAX_PARAM),
               "padding_mode": ChoiceEditor("padding_mode", PADDING_MODES, "what the padded cells hold"),
               "dilation": PairEditor("dilation", 1, MAX_PARAM, "dilation"),
               "groups": NumberEditor("groups", 1, MAX_PARAM, "groups"),
               "true_convolution": CheckEditor("true_convolution", "true convolution (flip the kernel)"),
               "activation": ChoiceEditor("activation", ACTIVATIONS),
               "pool": ChoiceEditor("pool", POOLS),
               "pool_kernel": PairEditor("pool_kernel", 1, MAX_PARAM, "pool window (and stride)"),
               "loss": ChoiceEditor("loss", LOSSES, "sum; one_hot: click a P cell; half_squared_error: paint "
                                                    "the target T; given: paint dP")}
        self.param_editors = eds
        self.stride, self.dilation = eds["stride"].spin_h, eds["dilation"].spin_h     # the spin boxes themselves
        self.padding, self.mode = eds["padding"].number, eds["padding_mode"].combo
        self.activation, self.loss = eds["activation"].combo, eds["loss"].combo
        f.addRow("stride", eds["stride"])
        f.addRow("padding", eds["padding"])
        f.addRow("pad with", eds["padding_mode"])
        f.addRow("dilation", eds["dilation"])
        f.addRow("groups", eds["groups"])
        f.addRow(eds["true_convolution"])
        f.addRow("activation", eds["activation"])
        pool_row = QtWidgets.QHBoxLayout()
        pool_row.addWidget(eds["pool"])
        pool_row.addWidget(eds["pool_kernel"])
        f.addRow("pooling", pool_row)
        f.addRow("loss", eds["loss"])
        for ed in eds.values():
            ed.edited.connect(self._params_edited)
        col.addWidget(box)
        self.size_formula = QtWidgets.QLabel()
        self.size_formula.setObjectName("sizeFormula")
        self.size_formula.setStyleSheet("font-family: monospace;")
        col.addWidget(self.size_formula)
        self.problem_label = QtWidgets.QLabel(textFormat=QtCore.Qt.PlainText)
        self.problem_label.setObjectName("problemLabel")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b00020; font-weight: bold;")
        col.addWidget(self.problem_label)
        self.output_view = TensorView(roles.P)
        self.output_view.setObjectName("outputView")
        self.output_view.setAccessibleName("block output; click a cell for a one-hot loss")
        self.output_view.setMinimumHeight(180)
        self.output_view.clicked.connect(self._output_clicked)
        col.addWidget(self.output_view)
        col.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(360)
        dock.setWidget(scroll)
        self.addDockWidget(QtCore.Qt.LeftDockWidgetArea, dock)
        self.editors_dock = dock

    def _build_centre(self):
        centre = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(centre)
        top = QtWidgets.QHBoxLayout()
        self.path_selector = QtWidgets.QComboBox()
        self.path_selector.setObjectName("pathSelector")
        self.path_selector.setAccessibleName("path")
        for name in PATHS:
            self.path_selector.addItem(PATH_TITLES[name], name)
        self.path_selector.currentIndexChanged.connect(
            lambda i: self.doc.set_path(self.path_selector.itemData(i)))
        self.path_selector.setFocusPolicy(QtCore.Qt.NoFocus)
        top.addWidget(QtWidgets.QLabel("Path:"))
        top.addWidget(self.path_selector)
        top.addStretch(1)
        self.predict_badge = QtWidgets.QLabel("predict the next cell: press → to reveal")
        self.predict_badge.setStyleSheet("color: #6a1b9a; font-weight: bold;")
        self.predict_badge.hide()
        top.addWidget(self.predict_badge)
        self.sel_n, self.sel_c = spin_box(0, 15, 0, "batch index shown"), spin_box(0, 31, 0, "channel shown")
        for lab, w in (("n", self.sel_n), ("c", self.sel_c)):
            w.setFocusPolicy(QtCore.Qt.ClickFocus)          # arrow keys belong to the player
            top.addWidget(QtWidgets.QLabel(lab))
            top.addWidget(w)
            w.valueChanged.connect(self._show_position)
        lay.addLayout(top)
        # the stage: what a composite export shows (no controls in it); export draws the same widget
        self.stage = StageView()
        self.stage.hovered.connect(self._hover)
        self.stage_area, self.views = self.stage, self.stage.views
        self.stage_problem, self.stage_title, self.lesson_banner = (self.stage.problem, self.stage.title,
                                                                    self.stage.lesson_banner)
        self.stage_text, self.formula, self.legend = self.stage.text, self.stage.formula, self.stage.legend
        lay.addWidget(self.stage_area, 1)
        self.player = StepPlayer(self.doc)
        lay.addWidget(self.player)
        self.setCentralWidget(centre)

    def _build_menus(self):
        m = self.menuBar().addMenu("&File")
        for text, key, fn in (("&New", QtGui.QKeySequence.New, self.new_scene),
                              ("&Open…", QtGui.QKeySequence.Open, self.open_dialog),
                              ("&Save", QtGui.QKeySequence.Save, self.save),
                              ("Save &As…", QtGui.QKeySequence.SaveAs, self.save_as)):
            a = m.addAction(text, fn)
            a.setShortcut(key)
        self.recent_menu = m.addMenu("Recent")
        self._refresh_recent()
        m.addSeparator()
        m.addAction("Export step…", self.export_step_dialog).setShortcut(QtGui.QKeySequence("Ctrl+E"))
        m.addAction("Export every step of the path…", self.export_path_dialog)
        m.addAction("Export tensors (.npy, CSV)…", self.export_tensors_dialog)
        m.addSeparator()
        m.addAction("Quit", self.close).setShortcut(QtGui.QKeySequence.Quit)
        lessons_menu = self.menuBar().addMenu("&Lessons")
        lessons_menu.setObjectName("lessonsMenu")
        for f, title in lesson_titles():
            lessons_menu.addAction(title, lambda f=f: self.open_lesson(f))
        e = self.menuBar().addMenu("&Edit")
        undo = self.doc.undo_action(self)
        undo.setShortcut(QtGui.QKeySequence("Ctrl+Z"))
        undo.setShortcutContext(QtCore.Qt.WindowShortcut)      # keys.ClassroomKeys keeps spin boxes off it
        redo = self.doc.redo_action(self)
        redo.setShortcuts([QtGui.QKeySequence("Ctrl+Shift+Z"), QtGui.QKeySequence("Ctrl+Y")])
        redo.setShortcutContext(QtCore.Qt.WindowShortcut)
        e.addAction(undo)
        e.addAction(redo)
        e.addSeparator()
        e.addAction("Copy step as image", self.copy_step).setShortcut(QtGui.QKeySequence("Ctrl+Shift+C"))
        e.addAction("Copy as PyTorch code", self.copy_torch_code)
        v = self.menuBar().addMenu("&View")
        self.values_action = v.addAction("Values in cells", self._show_position)
        self.values_action.setCheckable(True)
        self.values_action.setChecked(True)
        self.values_action.setShortcut(QtGui.QKeySequence("V"))
        self.legend_action = v.addAction("Legend")
        self.legend_action.setCheckable(True)
        self.legend_action.setChecked(True)
        self.legend_action.toggled.connect(self.legend.setVisible)
        self.cb_action = v.addAction("Colour-blind-safe colours", self._show_position)
        self.cb_action.setCheckable(True)
        self.predict_action = v.addAction("Predict the next cell")
        self.predict_action.setCheckable(True)
        self.predict_action.toggled.connect(self._show_position)
        self.predict_action.setShortcut(QtGui.QKeySequence("P"))
        self.predict_action.setToolTip("hide the value each step computes until the next → (or PageDown, space)")
        v.addAction("Presentation mode", self.toggle_presentation).setShortcut(QtGui.QKeySequence("F11"))
        v.addAction("Larger", lambda: self.scale_fonts(1.15)).setShortcut(QtGui.QKeySequence("Ctrl+="))
        v.addAction("Smaller", lambda: self.scale_fonts(1 / 1.15)).setShortcut(QtGui.QKeySequence("Ctrl+-"))

    # ------------------------------------------------------------ model -> views

    def _on_changed(self):
        scene = self.doc.scene
        self.stage.set_lesson(scene.title, scene.text)      # a file's words are plain text
        self.setWindowTitle(f"convviz — {scene.title}" if scene.title else "convviz")
        c = self.doc.scene.config
        t = self.doc.scene
        for name, editor in self.param_editors.items():
            if name == "padding":
                editor.show_padding(c.padding, self._resolved_padding())
            else:
                editor.show_value(getattr(c, name))
        for spin, n in ((self.kh, t.w.shape[2]), (self.kw, t.w.shape[3]), (self.cout, t.w.shape[0]),
                        (self.size_h, t.x.shape[2]), (self.size_w, t.x.shape[3]), (self.channels, t.x.shape[1]),
                        (self.batch, t.x.shape[0])):
            show_number(spin, n)                  # no signal, and never clamped
        r = self.doc.results
        if r.spec is not None:
            self.size_formula.setText(r.spec.formula(self.doc.shown.tensors.x.shape[2:]))
        if r.p is not None:
            self.output_view.set_tensor(roles.P, r.p, f"P {'×'.join(map(str, r.p.shape))}", (0, 0),
                                        bool(r.p.min() < 0), float(np.abs(r.p).max(initial=0)) or 1.0)
            if c.loss == "one_hot":
                self.output_view.set_highlights("target", [tuple(c.one_hot_cell)])
            else:
                self.output_view.set_highlights("target", [])
        self._refresh_canvas()
        self._refresh_kernel()
        self._scales = None
        self.status_backend.setText(f"{describe(self.doc.backend)} · last recompute "
                                    f"{self.doc.last_seconds * 1e3:.1f} ms")

    def _resolved_padding(self) -> tuple | None:
        """(top, bottom, left, right) that 'same' / 'valid' come to for this kernel; None if they cannot."""
        c = self.doc.scene.config
        try:
            return make_conv_spec(self.doc.scene.w.shape[2:], **c.conv_args()).padding
        except ValueError:
            return None

    def _on_busy(self, busy: bool):
        """Show the busy indicator only when a computation takes longer than 200 ms."""
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy_bar.hide()

    def _show_busy(self):
        if self.doc.busy:
            self.busy_bar.show()

    def _computing(self, fn, *args, **kwargs):
        """Call ``fn`` (an edit); when the GUI thread will compute it, paint the busy bar first.

        A first-use kernel build can take seconds and no timer fires meanwhile, so the bar is
        shown and painted at once (``repaint`` handles no input, so nothing re-enters here).
        """
        on_gui_thread = not self.doc.goes_async()
        if on_gui_thread:
            self.busy_bar.show()
            self.statusBar().showMessage("computing…")
            self.statusBar().repaint()
        try:
            return fn(*args, **kwargs)
        finally:
            if on_gui_thread:
                self.statusBar().clearMessage()
                if not self.doc.busy:
                    self.busy_bar.hide()

    def _edit(self, text: str, **kwargs) -> bool:
        return self._computing(self.doc.edit, text, **kwargs)

    @property
    def stale(self) -> bool:
        """The scene asked for cannot be computed: the stage shows the last result that worked."""
        return bool(self.doc.message)

    def _on_problem(self, message: str):
        """A problem shows in the editors and over the stage (seen in presentation mode too)."""
        self.problem_label.setText(("⚠ " + message + "  (the last good result stays on screen)") if message else "")
        self.stage.set_problem(message, self.stale)

    def _refresh_canvas(self):
        t = self.doc.scene
        r = self.doc.results
        which = self.paint_on.currentText()
        if which == "X":
            arr, name = t.x, "x"
        elif which == "target T":
            arr = t.target if t.target is not None and r.p is not None and t.target.shape == r.p.shape else (
                np.zeros_like(r.p) if r.p is not None else None)
            name = "target"
        else:
            arr = t.dp if t.dp is not None and r.p is not None and t.dp.shape == r.p.shape else (
                r.dp if r.dp is not None else None)
            name = "dp"
        if arr is None:
            return
        self.canvas.role = {"x": roles.X, "target": roles.T, "dp": roles.DP}[name]
        self.canvas.plane_index = (self.sel_n.value(), self.sel_c.value())
        self.canvas.set_array(name, np.asarray(arr, np.float32), f"{self.canvas.role.name} {'×'.join(map(str, arr.shape))}")
        self.canvas.setObjectName("inputView")

    def _refresh_kernel(self):
        w = self.doc.scene.w
        q, c = min(self.kq.value(), w.shape[0] - 1), min(self.kc.value(), w.shape[1] - 1)
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
        b = self.doc.scene.b
        self.bias.blockSignals(True)
        self.bias.setValue(float(b[q]) if b is not None and q < len(b) else 0.0)
        self.bias.blockSignals(False)

    def _role_scales(self) -> dict[str, float]:
        """One colour scale per role across the whole path, so stepping never rescales."""
        if self._scales is None:
            self._scales = role_scales(self.doc.path())
        return self._scales

    def _show_position(self):
        if self.doc.model is None:
            return
        if getattr(self, "_scales_for", None) != (id(self.doc.model), self.doc.path_name):
            self._scales, self._scales_for = None, (id(self.doc.model), self.doc.path_name)
        self.path_selector.blockSignals(True)
        self.path_selector.setCurrentIndex(self.path_selector.findData(self.doc.path_name))
        self.path_selector.blockSignals(False)
        where = (id(self.doc.model), self.doc.path_name, self.doc.position)
        if where != getattr(self, "_where", None):           # a new step: its value starts hidden
            self._where, self._revealed = where, False
        self._hover_source = None
        step = self.stage.show_step(self.doc.path(), self.doc.position, self._role_scales(),
                                    plane=(self.sel_n.value(), self.sel_c.value()),
                                    values=self.values_action.isChecked(), colorblind=self.cb_action.isChecked())
        self._hide_prediction(step)
        self.player.refresh()

    # ------------------------------------------------------------ hover

    def _hover(self, view: TensorView, cell):
        key = (id(view), view.role, cell)
        if key == self._hover_source:          # mouse moved within the same cell: nothing to redo
            return
        self._hover_source = key
        for v in self.views:
            v.set_highlights("link", [])
        if cell is None or self.doc.model is None:
            self.statusBar().clearMessage()
            return
        r = self.doc.results
        spec = r.spec
        x_hw = self.doc.shown.tensors.x.shape[2:]
        self._show_hover_value(view, cell)
        kind = view.role.kind
        lit: dict = {}                  # Role -> cells; a view lights the cells of its role's kind
        try:
            if kind == roles.OUTPUT and len(cell) == 4:
                lit = {**links.receptive_field(spec, r.w_eff.shape, x_hw, cell), roles.Z: [cell]}
            elif kind in (roles.INPUT, roles.PADDED) and len(cell) == 4:
                if kind == roles.PADDED:
                    rows, cols = spec.pad_maps(x_hw)
                    if rows[cell[2]] < 0 or cols[cell[3]] < 0:
                        return
                    cell = (cell[0], cell[1], int(rows[cell[2]]), int(cols[cell[3]]))
                lit = {**links.influence(spec, r.w_eff.shape, x_hw, r.z.shape[2:], cell), roles.X: [cell]}
            elif kind == roles.KERNEL and len(cell) == 4:
                lit = {**links.tap_support(spec, r.w_eff.shape, r.dz.shape, cell), roles.W: [cell]}
            elif kind == roles.POOLED and r.pool_spec is not None:
                lit = {roles.A: links.pool_window(r.pool_spec, r.a.shape, cell), roles.P: [cell]}
            elif kind == roles.ACTIVATION and r.pool_spec is not None:
                lit = {roles.P: links.pool_targets(r.pool_spec, r.a.shape, r.p.shape, cell), roles.A: [cell],
                       roles.Z: [cell]}
        except (IndexError, ValueError):
            return
        by_kind = {role.kind: cells for role, cells in lit.items()}
        for v in self.views:
            cells = by_kind.get(v.role.kind) if v.role is not None else None
            if cells:
                v.set_highlights("link", cells)

    def _show_hover_value(self, view: TensorView, cell) -> None:
        """The status bar names the hovered cell by the indices of the tensor under the mouse."""
        value = float(np.asarray(view.data)[cell]) if view.data is not None and len(cell) == view.data.ndim else None
        shown = "" if value is None else (" = (not computed yet)" if value != value else f" = {value:.4g}")
        self.statusBar().showMessage(f"{view.role.cell_text(cell)}{shown}")

    # ------------------------------------------------------------ views -> model

    @staticmethod
    def _loss_for(name: str) -> dict | None:
        """Painting the target or dP chooses the loss that uses it."""
        return {"dp": {"loss": "given"}, "target": {"loss": "half_squared_error"}}.get(name)

    def _stroke_moved(self, array, name):
        """Every view follows the brush while the stroke goes on (one undo step for the stroke)."""
        self.doc.edit(f"paint {name}", tensors={name: array}, config=self._loss_for(name), record=False)

    def _stroke(self, array, name):
        self.doc.end_stroke(f"paint {name}", tensors={name: array}, config=self._loss_for(name))

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
                             config=self._loss_for(name))

    def _fill(self, value: float):
        arr = self.canvas.array
        if arr is not None:
            arr = np.full_like(arr, value)
            self._stroke(arr, self.canvas.target_name)

    def _apply_input_preset(self, i: int):
        if i == 0:
            return
        x = self.doc.scene.x
        plane = presets.input_preset(presets.INPUTS[i - 1], x.shape[2], x.shape[3])
        self._edit(f"input preset {presets.INPUTS[i - 1]}", tensors={"x": np.broadcast_to(plane, x.shape).copy()})
        self.input_preset.setCurrentIndex(0)

    def _resize_input(self):
        x = self.doc.scene.x
        h, w, c, n = self.size_h.value(), self.size_w.value(), self.channels.value(), self.batch.value()
        new = np.zeros((n, c, h, w), np.float32)
        hh, ww, cc, nn = min(h, x.shape[2]), min(w, x.shape[3]), min(c, x.shape[1]), min(n, x.shape[0])
        new[:nn, :cc, :hh, :ww] = x[:nn, :cc, :hh, :ww]
        self._edit("resize input", tensors=self._input_changes(new))

    def _input_changes(self, x: np.ndarray) -> dict:
        """A new input, and the kernel with as many input channels as it needs (new ones zero)."""
        changes = {"x": x}
        wt = self.doc.scene.w
        g, c = self.doc.scene.config.groups, x.shape[1]
        if c % g == 0 and wt.shape[1] * g != c:
            neww = np.zeros((wt.shape[0], c // g) + wt.shape[2:], np.float32)
            k = min(c // g, wt.shape[1])
            neww[:, :k] = wt[:, :k]
            changes["w"] = neww
        return changes

    def _resize_kernel(self):
        w = self.doc.scene.w
        kh, kw, cout = self.kh.value(), self.kw.value(), self.cout.value()
        new = np.zeros((cout, w.shape[1], kh, kw), np.float32)
        new[:min(cout, w.shape[0]), :, :min(kh, w.shape[2]), :min(kw, w.shape[3])] = \
            w[:min(cout, w.shape[0]), :, :min(kh, w.shape[2]), :min(kw, w.shape[3])]
        b = self.doc.scene.b
        newb = np.zeros(cout, np.float32)
        if b is not None:
            newb[:min(cout, len(b))] = b[:min(cout, len(b))]
        self._edit("resize kernel", tensors={"w": new, "b": newb})

    def _kernel_cell_edited(self, item):
        try:
            v = float(item.text().replace("−", "-"))
        except ValueError:
            self._on_problem(f"“{item.text()}” is not a number; type a value such as 0.5 or -1")
            self._refresh_kernel()
            return
        w = self.doc.scene.w.copy()
        q, c = min(self.kq.value(), w.shape[0] - 1), min(self.kc.value(), w.shape[1] - 1)
        w[q, c, item.row(), item.column()] = v
        self._edit("edit kernel", tensors={"w": w})

    def _bias_edited(self, v):
        w = self.doc.scene.w
        b = np.zeros(w.shape[0], np.float32) if self.doc.scene.b is None else self.doc.scene.b.copy()
        b[min(self.kq.value(), len(b) - 1)] = v
        self._edit("edit bias", tensors={"b": b})

    def _apply_kernel_preset(self, i: int):
        if i == 0:
            return
        w = self.doc.scene.w.copy()
        q, c = min(self.kq.value(), w.shape[0] - 1), min(self.kc.value(), w.shape[1] - 1)
        w[q, c] = presets.kernel_preset(presets.KERNELS[i - 1], w.shape[2], w.shape[3], seed=q * 16 + c)
        self._edit(f"kernel preset {presets.KERNELS[i - 1]}", tensors={"w": w})
        self.kernel_preset.setCurrentIndex(0)

    def _params_edited(self, field: str, value):
        """One editor changed its field: write that field alone (the others stay as the scene holds them)."""
        self._edit(f"change {field.replace('_', ' ')}", config={field: value})

    def _output_clicked(self, cell):
        self._edit("one-hot cell", config={"loss": "one_hot", "one_hot_cell": tuple(cell)})

    # ------------------------------------------------------------ keys

    def step_key(self, key) -> bool:
        """Do what a step key (or Escape) does; False if it does nothing here. ``keys.ClassroomKeys`` calls it."""
        actions = {QtCore.Qt.Key_Right: self.forward, QtCore.Qt.Key_Left: lambda: self.doc.step_by(-1),
                   QtCore.Qt.Key_PageDown: self.forward,
                   QtCore.Qt.Key_PageUp: lambda: self.doc.step_by(-1),
                   QtCore.Qt.Key_Down: lambda: self.doc.stage_by(1), QtCore.Qt.Key_Up: lambda: self.doc.stage_by(-1),
                   QtCore.Qt.Key_Home: lambda: self.doc.set_position(0),
                   QtCore.Qt.Key_End: lambda: self.doc.set_position(10 ** 12),
                   QtCore.Qt.Key_Space: lambda: self.forward() if self.predicting else self.player.toggle()}
        if key == QtCore.Qt.Key_Escape and self.presenting:
            self.toggle_presentation()
            return True
        if key in actions:
            actions[key]()
            return True
        return False

    # ------------------------------------------------------------ predict the next cell

    @property
    def predicting(self) -> bool:
        return self.predict_action.isChecked()

    def forward(self):
        """The next step; in predict mode the first press reveals the hidden value, the second moves on."""
        if self.predicting and self._hidden_now:
            self._revealed = True
            self._show_position()
            return
        self.doc.step_by(1)

    def _hide_prediction(self, step) -> None:
        """Cover the cells this step writes and the result of its formula, until revealed."""
        self._hidden_now = False
        self.predict_badge.setVisible(self.predicting)
        if not self.predicting or self._revealed or step is None:
            return
        self._hidden_now = self.stage.hide_result(step)

    # ------------------------------------------------------------ presentation

    def _apply_scale(self, show: bool = True) -> None:
        """Everything a student reads follows ``font_scale``: menus, titles, text, formula, every view."""
        def px(n: float) -> int:
            return max(6, round(n * self.font_scale))
        f, base = QtGui.QFont(self._base_font), self._base_font
        if base.pointSizeF() > 0:
            f.setPointSizeF(base.pointSizeF() * self.font_scale)
        else:
            f.setPixelSize(px(base.pixelSize()))
        self.setFont(f)
        self._style_stage()
        if show:
            self._refresh_kernel()                    # its columns fit the values at the new size
            self._show_position()

    def _style_stage(self) -> None:
        self.stage.set_style(self.font_scale, self.stale)

    def scale_fonts(self, factor: float):
        self.font_scale = float(np.clip(self.font_scale * factor, 0.6, 3.0))
        self._apply_scale()

    def toggle_presentation(self):
        """F11: full screen, no editors, everything at least 1.6× as large; leaving restores the scale."""
        self.presenting = not self.presenting
        self.editors_dock.setVisible(not self.presenting)
        if self.presenting:
            self._pre_scale = self.font_scale
            self.font_scale = max(1.6, self.font_scale)
            self._apply_scale()
            self.showFullScreen()
            self.setFocus()
        else:
            self.font_scale = getattr(self, "_pre_scale", 1.0)
            self._apply_scale()
            self.showNormal()

    # ------------------------------------------------------------ files

    def has_unsaved_work(self) -> bool:
        return not self.doc.session.history.is_clean()

    def keep_work(self) -> bool:
        """Before the scene is replaced: offer to save unsaved work. False means: stop, change nothing."""
        if not self.has_unsaved_work():
            return True
        answer = QtWidgets.QMessageBox.question(
            self, "Unsaved work", "The current scene has changes that are not saved in a file.\n"
            "Save them before opening another scene?",
            QtWidgets.QMessageBox.Save | QtWidgets.QMessageBox.Discard | QtWidgets.QMessageBox.Cancel,
            QtWidgets.QMessageBox.Save)
        if answer == QtWidgets.QMessageBox.Save:
            return self.save()
        return answer == QtWidgets.QMessageBox.Discard

    def new_scene(self):
        if not self.keep_work():
            return
        self._computing(self.doc.set_scene, presets.default_scene())
        self.file_path = None
        self.doc.session.history.set_clean()

    def open_path(self, path, *, ask: bool = True, lesson: bool = False) -> bool:
        """Open a scene (or a lesson: then it has no file to save back into)."""
        try:
            scene = load_scene(path)
        except ValueError as exc:
            QtWidgets.QMessageBox.warning(self, "Cannot open scene", "The scene cannot be opened; the current "
                                          f"scene is unchanged.\n{Path(path).name}: {exc}")  # plain: line 1
            return False
        if ask and not self.keep_work():
            return False
        self._computing(self.doc.set_scene, scene)
        self.file_path = None if lesson else Path(path)
        self.doc.session.history.set_clean()
        if not lesson:
            self._add_recent(path)
        return True

    def open_lesson(self, path) -> bool:
        return self.open_path(path, lesson=True)

    def open_dialog(self):
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open scene", "", "convviz scenes (*.json)")
        if path:
            self.open_path(path)

    def save(self) -> bool:
        if self.file_path is None:
            return self.save_as()
        try:
            self.doc.scene.save(self.file_path)
        except OSError as exc:
            QtWidgets.QMessageBox.warning(self, "Cannot save", f"{self.file_path}: {exc}")
            return False
        self.doc.session.history.set_clean()
        self._add_recent(self.file_path)
        return True

    def save_as(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save scene", "scene.json", "convviz scenes (*.json)")
        if not path:
            return False
        self.file_path = Path(path)
        return self.save()

    def _add_recent(self, path):
        if self.settings is None:
            return
        recent = [str(path)] + [p for p in (self.settings.value("recent", []) or []) if p != str(path)]
        self.settings.setValue("recent", recent[:8])
        self._refresh_recent()

    def _refresh_recent(self):
        self.recent_menu.clear()
        for p in (self.settings.value("recent", []) or []) if self.settings else []:
            self.recent_menu.addAction(p, lambda p=p: self.open_path(p))

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
            self._on_problem(f"cannot read the image {Path(path).name}: {exc}")
            return False
        dialog = ImageImportDialog(Path(path).name, size, self.doc.scene.x.shape[2:], self)
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
            self._on_problem(f"cannot read the image {Path(path).name}: {exc}")
            return False
        arr = np.asarray(img, np.float32) / 255.0
        arr = arr.transpose(2, 0, 1)[None] if colour else arr[None, None]
        arr = np.repeat(arr, x.shape[0], axis=0)
        return self._edit(f"load image {Path(path).name}", tensors=self._input_changes(arr))

    # ------------------------------------------------------------ drag and drop

    def dragEnterEvent(self, ev):
        if any(_dropped_kind(u) for u in ev.mimeData().urls()):
            ev.acceptProposedAction()

    def dropEvent(self, ev):
        for url in ev.mimeData().urls():
            kind = _dropped_kind(url)
            if kind == "image":
                self.import_image(url.toLocalFile())
            elif kind == "scene":
                self.open_path(url.toLocalFile())
            else:
                continue
            ev.acceptProposedAction()
            return

    # ------------------------------------------------------------ export

    def _report(self, message: str, ok: bool = True) -> None:
        if ok:
            self.statusBar().showMessage(message, 6000)
        else:
            QtWidgets.QMessageBox.warning(self, "Export", message)

    def export_step(self, path, fmt: str | None = None, width: int | None = None, dpi: int | None = None):
        """The whole current step (titles, text, formula, every tensor) as one PNG or SVG."""
        fmt = fmt or Path(path).suffix.lstrip(".").lower()
        if fmt == "svg":
            exporting.save_stage_svg(self.stage_area, path, f"convviz — {self.stage_title.text()}",
                                     self.formula.text())
        elif fmt == "png":
            exporting.save_stage_png(self.stage_area, path, width, dpi)
        else:
            raise ValueError(f"a step exports as png or svg, not {fmt!r}")

    def export_step_dialog(self):
        dialog = StepExportDialog(self)
        if dialog.exec() != QtWidgets.QDialog.Accepted:
            return
        fmt, width, dpi = dialog.choice()
        stem = f"{self.doc.path_name}-{self.doc.position:04d}"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export step", f"{stem}.{fmt}",
                                                        f"{fmt.upper()} (*.{fmt})")
        if path:
            try:
                self.export_step(path, fmt, width, dpi)
                self._report(f"wrote {path}")
            except OSError as exc:
                self._report(str(exc), ok=False)

    def copy_step(self):
        exporting.copy_image(exporting.render_stage(self.stage_area))
        self._report("the step is on the clipboard as an image")

    def export_path(self, folder, fmt: str = "png", width: int | None = None, show_progress: bool = True):
        """Every step of the current path; a progress dialog whose Cancel writes nothing. Returns the files."""
        dialog = progress = None
        if show_progress:
            n = self.doc.path().n_positions
            dialog = QtWidgets.QProgressDialog(f"Exporting {n} steps of the {self.doc.path_name} path…", "Cancel",
                                               0, n, self)
            dialog.setWindowModality(QtCore.Qt.WindowModal)
            dialog.setMinimumDuration(400)

            def step_done(i, total):
                dialog.setValue(i)
                QtWidgets.QApplication.processEvents()
                return not dialog.wasCanceled()
            progress = step_done
        try:
            return exporting.write_path(self, folder, fmt, width, progress=progress)
        finally:
            if dialog is not None:
                dialog.reset()
                dialog.deleteLater()

    def export_path_dialog(self):
        dialog = PathExportDialog(self, str(Path.home()))
        if dialog.exec() != QtWidgets.QDialog.Accepted:
            return
        folder, fmt, width = dialog.choice()
        try:
            files = self.export_path(folder, fmt, width)
            self._report(f"wrote {len(files)} file(s) to {folder}")
        except exporting.ExportCancelled:
            self._report("export cancelled; nothing was written")
        except (OSError, ValueError) as exc:
            self._report(f"the export failed, nothing was written: {exc}", ok=False)

    def export_tensors(self, folder) -> list[Path]:
        arrays = scene_tensors(self.doc.shown.tensors, self.doc.results)
        return write_tensors(folder, arrays)

    def export_tensors_dialog(self):
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Export the tensors into")
        if folder:
            try:
                files = self.export_tensors(folder)
                self._report(f"wrote {len(files)} files (.npy and .csv) to {folder}")
            except OSError as exc:
                self._report(f"the export failed, nothing was written: {exc}", ok=False)

    def copy_torch_code(self) -> str | None:
        try:
            code = torch_script(self.doc.scene)
        except ValueError as exc:
            self._on_problem(str(exc))
            return None
        QtWidgets.QApplication.clipboard().setText(code)
        self._report("PyTorch code for this scene is on the clipboard: run it to check every gradient")
        return code

    def autosave(self):
        """Write the autosave now and wait for it (the document saves after every edit, on a thread)."""
        self.doc.autosave(wait=True)

    def closeEvent(self, ev):
        self.doc.shutdown()
        self.autosave()
        if self.settings is not None:
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.setValue("state", self.saveState())
            self.settings.setValue("clean_exit", "1")
        super().closeEvent(ev)
