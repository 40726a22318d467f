"""The Training group: one descent step, or a run you pause; learning rate, plain or momentum SGD;
the loss curve (pyqtgraph) and every block's kernel, repainted as it learns.

The steps are the core's :class:`..core.training.Trainer` (the same engine). A run is one undo
step: it starts a stroke, the window's views follow it a few times a second (previews, not
recorded), and pausing records "train N steps" from where the run began.
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ..core.paths import roles
from ..core.training import MAX_LR, Trainer, Training
from .document import Document
from .tensorview import TensorView

PREVIEW_SECONDS = 0.25          # how often a run hands its network to the window's views


class LossAxis(pg.AxisItem):
    """The loss axis: on a log scale only 1, 2 and 5 of each decade are labelled (pyqtgraph
    labels every minor tick when the range is narrow, and they overlap)."""

    def tickStrings(self, values, scale, spacing):
        strings = super().tickStrings(values, scale, spacing)
        if not self.logMode:
            return strings
        mantissas = [10 ** (v - np.floor(v)) for v in values]
        return [s if min(abs(m - k) / k for k in (1, 2, 5, 10)) < 1e-6 else "" for s, m in zip(strings, mantissas)]


def kernel_mosaic(w: np.ndarray) -> np.ndarray:
    """W (Cout, Cin, kh, kw) as one plane of tiles W[q, c], q-major, in a near-square grid with
    NaN gaps: four 3×3 filters read as a 2×2 grid rather than a strip too thin to see."""
    q, c, kh, kw = w.shape
    tiles = [w[i, j] for i in range(q) for j in range(c)]
    cols = int(np.ceil(np.sqrt(len(tiles))))
    rows = int(np.ceil(len(tiles) / cols))
    out = np.full((rows * (kh + 1) - 1, cols * (kw + 1) - 1), np.nan, np.float32)
    for t, tile in enumerate(tiles):
        r, k = divmod(t, cols)
        out[r * (kh + 1):r * (kh + 1) + kh, k * (kw + 1):k * (kw + 1) + kw] = tile
    return out[None, None]


def mosaic_cell(shape, y: int, x: int) -> tuple | None:
    """The kernel cell (q, c, m, n) that cell (y, x) of :func:`kernel_mosaic` shows; None for a gap."""
    q, c, kh, kw = shape
    cols = int(np.ceil(np.sqrt(q * c)))
    r, m = divmod(int(y), kh + 1)
    k, n = divmod(int(x), kw + 1)
    t = r * cols + k
    if m == kh or n == kw or k >= cols or t >= q * c:
        return None
    return divmod(t, c) + (m, n)


def _equal(a, b) -> bool:
    return a is b or (a is not None and b is not None and a.shape == b.shape and np.array_equal(a, b))


def same_network(a, b) -> bool:
    """The two scenes hold the same network, whichever block is selected and whatever is shown
    (the session keeps copies of a scene's arrays, so values are compared, not objects)."""
    if a is None or b is None:
        return False
    blocks_a, blocks_b = a.blocks(), b.blocks()
    return (len(blocks_a) == len(blocks_b) and all(_equal(getattr(a, k), getattr(b, k)) for k in ("x", "target", "dp"))
            and all(p.config == q.config and _equal(p.w, q.w) and _equal(p.b, q.b) for p, q in zip(blocks_a, blocks_b)))


class TrainingPanel(QtWidgets.QGroupBox):
    """``problem(message)`` shows a message where the person looks; ``kernel_picked(block, cell)``
    when a kernel cell is clicked (block from 0, cell (q, c, m, n))."""

    kernel_picked = QtCore.Signal(int, tuple)

    def __init__(self, doc: Document, problem, parent=None):
        super().__init__("Training", parent)
        self.doc, self._problem = doc, problem
        self.trainer: Trainer | None = None
        self._mine = None                 # the last scene this panel handed the document
        self._run_steps = 0
        self._handing = False
        self._last_preview = 0.0
        g = QtWidgets.QGridLayout(self)
        self.lr = QtWidgets.QDoubleSpinBox(decimals=4, minimum=0.0001, maximum=MAX_LR, singleStep=0.01,
                                           toolTip="learning rate: p ← p − lr·g")
        self.lr.setObjectName("learningRate")
        self.lr.setKeyboardTracking(False)
        self.method = QtWidgets.QComboBox(toolTip="plain SGD, or SGD with momentum μ (v ← μ·v + g)")
        self.method.addItems(["plain SGD", "momentum SGD"])
        self.mu = QtWidgets.QDoubleSpinBox(decimals=2, minimum=0.0, maximum=0.99, singleStep=0.05, value=0.9,
                                           toolTip="momentum μ")
        self.mu.setKeyboardTracking(False)
        for w in (self.lr, self.mu):
            w.valueChanged.connect(self._settings_edited)
        self.method.activated.connect(self._settings_edited)
        self.step_button = QtWidgets.QPushButton("descent step", objectName="descentStep")
        self.step_button.clicked.connect(self.step_once)
        self.run_button = QtWidgets.QPushButton("run", checkable=True, objectName="runTraining")
        self.run_button.setToolTip("train step after step until paused; the whole run is one undo step")
        self.run_button.toggled.connect(self._run_toggled)
        self.status = QtWidgets.QLabel("loss —", objectName="trainingStatus")
        for i, (lab, w) in enumerate((("lr", self.lr), ("", self.method), ("μ", self.mu))):
            g.addWidget(QtWidgets.QLabel(lab), 0, 2 * i)
            g.addWidget(w, 0, 2 * i + 1)
        g.addWidget(self.step_button, 1, 0, 1, 2)
        g.addWidget(self.run_button, 1, 2, 1, 2)
        g.addWidget(self.status, 1, 4, 1, 2)
        self.curve_plot = pg.PlotWidget(title="loss", axisItems={"left": LossAxis("left")})
        self.curve_plot.setObjectName("lossCurve")
        self.curve_plot.setFixedHeight(190)
        self.curve_plot.setLogMode(y=True)
        self.curve_plot.setLabel("bottom", "step")
        self.curve = self.curve_plot.plot([], [], pen=pg.mkPen((200, 40, 40), width=2))
        g.addWidget(self.curve_plot, 2, 0, 1, 6)
        self.kernels = QtWidgets.QGridLayout()
        self.kernel_views: list[TensorView] = []
        g.addLayout(self.kernels, 3, 0, 1, 6)
        self.timer = QtCore.QTimer(self, interval=0)
        self.timer.timeout.connect(self._tick)

    # ------------------------------------------------------------ model -> panel

    def refresh(self) -> None:
        """Show the scene's training settings and kernels; a scene changed elsewhere starts a new curve."""
        scene = self.doc.scene
        t = scene.training
        for w, v in ((self.lr, t.lr), (self.mu, t.momentum or self.mu.value())):
            blocked = w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(blocked)
        self.method.setCurrentIndex(1 if t.momentum else 0)
        self.mu.setEnabled(bool(t.momentum))
        if not same_network(scene, self._mine) and not self.running and not self._handing:
            self.trainer = None
            self.curve.setData([], [])
            self.status.setText("loss —")
        self.show_kernels([b.w for b in scene.blocks()])

    def show_kernels(self, ws) -> None:
        while len(self.kernel_views) < len(ws):
            v = TensorView(roles.W)
            v.setFixedHeight(170)
            v.setToolTip("the kernel as tiles W[q, c], filter by filter, as it learns; click a cell to nudge it")
            v.clicked.connect(lambda cell, k=len(self.kernel_views): self._kernel_clicked(k, cell))
            v.show_values = True
            self.kernels.addWidget(v, len(self.kernel_views) // 2, len(self.kernel_views) % 2)
            self.kernel_views.append(v)
        for k, v in enumerate(self.kernel_views):
            v.setVisible(k < len(ws))
            if k < len(ws):
                w = ws[k]
                label = f"W{'¹²³⁴'[k]} {'×'.join(map(str, w.shape))}"
                v.set_tensor(roles.W, kernel_mosaic(w), label, (0, 0), True, float(np.abs(w).max(initial=0)) or 1.0)

    def _kernel_clicked(self, k: int, cell) -> None:
        blocks = self.doc.scene.blocks()
        if k < len(blocks):
            picked = mosaic_cell(blocks[k].w.shape, cell[-2], cell[-1])
            if picked is not None:
                self.kernel_picked.emit(k, picked)

    # ------------------------------------------------------------ settings

    def settings(self) -> Training:
        mu = self.mu.value() if self.method.currentIndex() == 1 else 0.0
        return Training(self.lr.value(), mu, self.doc.scene.training.steps)

    def _settings_edited(self, *_):
        try:
            t = self.settings()
        except ValueError as exc:
            self._problem(str(exc))
            return
        self.mu.setEnabled(self.method.currentIndex() == 1)
        if t != self.doc.scene.training:
            keep = same_network(self.doc.scene, self._mine)
            self.doc.replace("training settings", replace(self.doc.scene, training=t))
            if keep:                             # the same network: the curve goes on
                self._mine = self.doc.scene
        if self.trainer is not None:
            self.trainer.settings = t

    # ------------------------------------------------------------ stepping

    @property
    def running(self) -> bool:
        return self.timer.isActive()

    def _trainer(self) -> Trainer:
        if self.trainer is None or not same_network(self.doc.scene, self._mine):
            self._mine = self.doc.scene             # the trainer's network is this scene's until it steps
            self.trainer = Trainer(self._mine.network(), self.settings(), self.doc.backend)
        return self.trainer

    def _advance(self) -> str:
        """One step; the problem when it cannot go on, else ''."""
        try:
            self._trainer().step()
        except ValueError as exc:
            return str(exc)
        self.show_progress()
        return ""

    def _stopped(self, message: str) -> None:
        """Show why training stopped, in the panel and where the window shows problems."""
        self.status.setText(f"⚠ stopped: {message}")
        self.status.setStyleSheet("color: #b00020; font-weight: bold;")
        self._problem(message)

    def show_progress(self) -> None:
        t = self.trainer
        h = np.asarray(t.history, np.float64)
        positive = bool(np.all(h > 0))              # a loss that reaches 0 or below (a sum) is drawn linear
        if positive != self.curve_plot.getPlotItem().ctrl.logYCheck.isChecked():
            self.curve_plot.setLogMode(y=positive)
        self.curve.setData(np.arange(len(h)), h)
        self.status.setText(f"step {t.steps_done} · loss {h[-1]:.4g}")
        self.status.setStyleSheet("")
        self.show_kernels([b.w for b in t.network.blocks])

    def _hand_over(self, text: str, record: bool) -> None:
        """The trained network to the document: a preview inside the run's stroke, or a recorded step."""
        if not record and not self.doc.session.in_stroke:
            self.doc.begin_stroke()                  # the run's previews and its end are one undo step
        self._handing = True                         # the refresh this causes keeps the curve
        try:
            self.doc.replace(text, self.doc.scene.with_network(self.trainer.network), record)   # same block shown
        finally:
            self._handing = False
        self._mine = self.doc.scene

    def step_once(self) -> None:
        """One descent step: one undo step."""
        if self.running:
            return
        problem = self._advance()
        if problem:
            self._stopped(problem)
        else:
            self._hand_over("descent step", True)

    def _run_toggled(self, on: bool) -> None:
        self.run_button.setText("pause" if on else "run")
        if on:
            self._trainer()
            for w in (self.lr, self.method, self.mu, self.step_button):
                w.setEnabled(False)              # a run's settings stay as it started
            self._run_steps = 0
            self._last_preview = time.perf_counter()
            self.timer.start()
        elif self.running:
            self.timer.stop()
            self._end_run()

    def _tick(self) -> None:
        problem = self._advance()
        if problem:
            self.run_button.setChecked(False)            # ends the run: what it learnt is one undo step
            self._stopped(problem)
            return
        self._run_steps += 1
        if time.perf_counter() - self._last_preview >= PREVIEW_SECONDS:
            self._last_preview = time.perf_counter()
            self._hand_over("train", False)

    def _end_run(self) -> None:
        if self._run_steps:
            self._hand_over(f"train {self._run_steps} steps", True)
        for w in (self.lr, self.method, self.mu, self.step_button):
            w.setEnabled(True)
        self.mu.setEnabled(self.method.currentIndex() == 1)
