"""The main window assembles the parts: the editors dock on the left, the path bar, the stage and
the player in the middle, menus, status bar, hover, files and exports. It holds what belongs to no
part: presentation scaling and predict mode."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ..compute import describe
from .busy import BusyStatus
from .document import Document
from .editors_dock import EditorsDock
from .export_actions import ExportActions
from .hover import Hover
from .keys import ClassroomKeys, guard_wheel
from .menus import Menus
from .network_dock import NetworkDock
from .path_bar import PathBar
from .player import StepPlayer
from .predict_mode import PredictPanel
from .scene_files import SceneFiles, dropped_kind
from .stage_view import StageView
from .three_ways_panel import ThreeWaysDock
from .zero_marks import geometry_of


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, doc: Document, settings: QtCore.QSettings | None = None, autosave_path: Path | None = None):
        super().__init__()
        self.doc = doc
        self.settings = settings
        self.font_scale = 1.0
        self.presenting = False
        self._revealed, self._hidden_now = False, False
        self._where = None
        self.setWindowTitle("convviz")
        self.setAcceptDrops(True)
        self.busy = BusyStatus(doc, self.statusBar(), self)
        self.editors = EditorsDock(doc, self._edit, self.show_problem, self)
        self.addDockWidget(QtCore.Qt.LeftDockWidgetArea, self.editors)
        self.network = NetworkDock(doc, self.show_problem, self)
        self.addDockWidget(QtCore.Qt.LeftDockWidgetArea, self.network)
        self.tabifyDockWidget(self.editors, self.network)       # the stage keeps its width
        self.setTabPosition(QtCore.Qt.LeftDockWidgetArea, QtWidgets.QTabWidget.North)
        self.editors.raise_()
        self._build_centre()
        self.hover = Hover(doc, self.stage, self._hover_message)
        self.three_ways = ThreeWaysDock(doc, self.stage, self)      # click a dX cell or a dW tap
        self.addDockWidget(QtCore.Qt.RightDockWidgetArea, self.three_ways)
        self.three_ways.hide()
        self.stage.clicked.connect(self._cell_clicked)
        self.files = SceneFiles(self, doc, settings, self._new_scene)
        self.exports = ExportActions(self, self.show_problem)
        self.menus = Menus(self)
        self._base_font = QtGui.QFont(self.font())
        self._apply_scale(show=False)
        doc.changed.connect(self._on_changed)
        doc.position_changed.connect(self.show_position)
        doc.problem.connect(self.show_problem)
        if autosave_path is not None:
            doc.autosave_to(autosave_path)                # after every edit and stroke, on a thread
            doc.autosave_failed.connect(self.statusBar().showMessage)
        self._on_changed()
        self.show_problem(doc.message)
        self.show_position()
        self.resize(1600, 1000)
        guard_wheel(self)
        self.classroom_keys = ClassroomKeys(self)
        self.stage.setFocusPolicy(QtCore.Qt.StrongFocus)
        self.stage.setFocus()

    def _build_centre(self):
        centre = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(centre)
        self.path_bar = PathBar()
        self.path_bar.path_chosen.connect(self.doc.set_path)
        self.doc.refused.connect(lambda message: self.path_bar.refuse(message, self.doc.path_name))
        self.path_bar.plane_changed.connect(self._plane_chosen)
        lay.addWidget(self.path_bar)
        self.stage = StageView()                       # what export draws too: no controls in it
        self.predict = PredictPanel(self.stage, self._reveal)        # predict mode's question
        lay.addWidget(self.predict)
        lay.addWidget(self.stage, 1)
        self.player = StepPlayer(self.doc)
        lay.addWidget(self.player)
        self.setCentralWidget(centre)

    # ------------------------------------------------------------ model -> views

    def _on_changed(self):
        scene = self.doc.scene
        self.stage.set_lesson(scene.title, scene.text)      # a file's words are plain text
        self.setWindowTitle(f"convviz — {scene.title}" if scene.title else "convviz")
        self.editors.show_scene(self.stage.plane)
        n = len(scene.blocks())
        self.editors.setWindowTitle(f"Editors: block {scene.selected + 1} of {n}" if n > 1 else "Editors")
        if self.doc.model is not None:
            self.path_bar.set_available(self.doc.model.unavailable)
        self.busy.backend.setText(f"{describe(self.doc.backend)} · last recompute "
                                  f"{self.doc.last_seconds * 1e3:.1f} ms")

    def _edit(self, text: str, **kwargs) -> bool:
        return self.busy.computing(self.doc.edit, text, **kwargs)

    @property
    def stale(self) -> bool:
        """The scene asked for cannot be computed: the stage shows the last result that worked."""
        return bool(self.doc.message)

    def _new_scene(self, change, *args):
        """A scene opened or made new: its views follow the step again (a chosen n / c was the old scene's)."""
        self.path_bar.follow.setChecked(True)
        self.busy.computing(change, *args)

    def show_problem(self, message: str):
        """A problem shows in the editors and over the stage (seen in presentation mode too)."""
        self.editors.show_problem(message)
        self.stage.set_problem(message, self.stale)

    def _hover_message(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def _cell_clicked(self, view, cell) -> None:
        """A click answers the question predict mode asks, or shows a dX cell or dW tap three ways."""
        if not self.predict.take_click(view, cell):
            self.three_ways.show_click(view.role, cell)

    def _plane_chosen(self):
        self.show_position()
        if self.editors.input.plane != self.stage.plane:
            self.editors.input.show_scene(self.stage.plane)

    def show_position(self):
        if self.doc.model is None:
            return
        self.path_bar.show_path(self.doc.path_name)
        where = (id(self.doc.model), self.doc.path_name, self.doc.position)
        if where != self._where:                             # a new step: its value starts hidden
            self._where, self._revealed = where, False
        self.hover.reset()
        bar = self.path_bar
        step = self.stage.show_step(self.doc.path(), self.doc.position, plane=bar.plane,
                                    follow=bar.follow.isChecked(), values=self.menus.values_action.isChecked(),
                                    colorblind=self.menus.cb_action.isChecked(), geometry=geometry_of(self.doc.model))
        bar.show_plane(self.stage.plane, self.stage.plane_ranges)
        self._hide_prediction(step)
        self.player.refresh()

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
        return self.menus.predict_action.isChecked()

    def forward(self):
        """The next step; in predict mode the first press reveals the hidden value, the second moves on."""
        if self.predicting and self._hidden_now:
            self._reveal()
            return
        self.doc.step_by(1)

    def _reveal(self) -> None:
        self._revealed = True
        self.show_position()

    def _hide_prediction(self, step) -> None:
        """Cover the cells this step writes and the result of its formula, until revealed."""
        self._hidden_now = False
        self.path_bar.predict_badge.setVisible(self.predicting)
        if not self.predicting or step is None:
            self.predict.clear()
            return
        if self._revealed:
            self.predict.revealed()
            return
        self._hidden_now = self.stage.hide_result(step)
        self.predict.ask(step, self.doc.model)

    # ------------------------------------------------------------ presentation

    def _apply_scale(self, show: bool = True) -> None:
        """Everything a student reads follows ``font_scale``: menus, titles, text, formula, every view."""
        f, base = QtGui.QFont(self._base_font), self._base_font
        if base.pointSizeF() > 0:
            f.setPointSizeF(base.pointSizeF() * self.font_scale)
        else:
            f.setPixelSize(max(6, round(base.pixelSize() * self.font_scale)))
        self.setFont(f)
        self.stage.set_style(self.font_scale, self.stale)
        if show:
            self.editors.kernel.refresh()                 # its columns fit the values at the new size
            self.show_position()

    def scale_fonts(self, factor: float):
        self.font_scale = float(np.clip(self.font_scale * factor, 0.6, 3.0))
        self._apply_scale()

    def toggle_presentation(self):
        """F11: full screen, no editors, everything at least 1.6× as large; leaving restores the scale."""
        self.presenting = not self.presenting
        docks = (self.editors, self.network, self.three_ways)
        if self.presenting:                     # the stage alone fills the screen
            self._pre_docks = [d for d in docks if d.isVisible()]
            for d in docks:
                d.hide()
        else:
            for d in getattr(self, "_pre_docks", [self.editors, self.network]):
                d.show()
            self.editors.raise_()               # the Editors tab in front again
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

    # ------------------------------------------------------------ drag and drop, closing

    def dragEnterEvent(self, ev):
        if any(dropped_kind(u) for u in ev.mimeData().urls()):
            ev.acceptProposedAction()

    def dropEvent(self, ev):
        for url in ev.mimeData().urls():
            kind = dropped_kind(url)
            if kind == "image":
                self.editors.input.import_image(url.toLocalFile())
            elif kind == "scene":
                self.files.open_path(url.toLocalFile())
            else:
                continue
            ev.acceptProposedAction()
            return

    def closeEvent(self, ev):
        self.doc.shutdown()
        self.files.autosave()
        if self.settings is not None:
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.setValue("state", self.saveState())
            self.settings.setValue("clean_exit", "1")
        super().closeEvent(ev)
