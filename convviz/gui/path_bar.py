"""Above the stage: the path, the predict-mode badge, and the n / c selectors of the plane shown."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..core.paths.registry import PATH_TITLES, PATHS
from .editors import spin_box
from .keys import PASSES_STEP_KEYS


NOTICE_MS = 8000      # how long a refusal stays beside the path list


class PathBar(QtWidgets.QWidget):
    """``path_chosen(name)`` when the person picks a path; ``plane_changed`` when n, c or "follow" change.

    With "follow step" on, each view shows the plane the step works in and n / c show the
    written cell's; choosing n or c turns it off, and every view then shows that plane.
    """

    path_chosen = QtCore.Signal(str)
    plane_changed = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        top = QtWidgets.QHBoxLayout(self)
        top.setContentsMargins(0, 0, 0, 0)
        self.selector = QtWidgets.QComboBox()
        self.selector.setObjectName("pathSelector")
        self.selector.setAccessibleName("path")
        for name in PATHS:
            self.selector.addItem(PATH_TITLES[name], name)
        self.selector.currentIndexChanged.connect(lambda i: self.path_chosen.emit(self.selector.itemData(i)))
        self.selector.setFocusPolicy(QtCore.Qt.NoFocus)
        top.addWidget(QtWidgets.QLabel("Path:"))
        top.addWidget(self.selector)
        self.notice = QtWidgets.QLabel(objectName="pathNotice")
        self.notice.setStyleSheet("color: #b00020; font-weight: bold;")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self._notice_timer = QtCore.QTimer(self, singleShot=True, interval=NOTICE_MS)
        self._notice_timer.timeout.connect(self.notice.hide)
        top.addWidget(self.notice, 1)
        top.addStretch(1)
        self.predict_badge = QtWidgets.QLabel("predict the next cell: press → to reveal")
        self.predict_badge.setStyleSheet("color: #6a1b9a; font-weight: bold;")
        self.predict_badge.hide()
        top.addWidget(self.predict_badge)
        self.follow = QtWidgets.QCheckBox("follow step", checked=True, objectName="followStep")
        self.follow.setToolTip("each view shows the plane the step works in; choose n or c to show one plane")
        self.follow.setFocusPolicy(QtCore.Qt.NoFocus)
        self.follow.toggled.connect(self.plane_changed)
        top.addWidget(self.follow)
        self.sel_n, self.sel_c = spin_box(0, 0, 0, "sample n shown"), spin_box(0, 0, 0, "channel c shown (a kernel: "
                                                                                        "filter c)")
        for lab, w in (("n", self.sel_n), ("c", self.sel_c)):
            w.setFocusPolicy(QtCore.Qt.ClickFocus)          # arrow keys belong to the player
            w.setProperty(PASSES_STEP_KEYS, True)              # ←/→, space, Home/End step even when clicked
            top.addWidget(QtWidgets.QLabel(lab))
            top.addWidget(w)
            w.valueChanged.connect(self._chosen)
        self._choice = (0, 0)

    @property
    def plane(self) -> tuple[int, int]:
        """The (n, c) the person chose; kept through stages whose tensors have fewer (they show the last)."""
        return self._choice

    def _chosen(self) -> None:
        self._choice = (self.sel_n.value(), self.sel_c.value())
        if self.follow.isChecked():
            self.follow.setChecked(False)              # emits plane_changed
        else:
            self.plane_changed.emit()

    def set_available(self, why_not) -> None:
        """Grey out the paths this scene lacks; ``why_not(name)`` says why (their tooltip), or None."""
        model = self.selector.model()
        for i in range(self.selector.count()):
            reason = why_not(self.selector.itemData(i))
            model.item(i).setEnabled(reason is None)
            self.selector.setItemData(i, reason, QtCore.Qt.ToolTipRole)

    def refuse(self, message: str, current: str) -> None:
        """Say beside the path list why a path cannot be shown (for a while), and show ``current`` again."""
        self.show_path(current)
        self.notice.setText(message)
        self.notice.show()
        self._notice_timer.start()

    def show_path(self, name: str) -> None:
        blocked = self.selector.blockSignals(True)
        self.selector.setCurrentIndex(self.selector.findData(name))
        self.selector.blockSignals(blocked)

    def show_plane(self, plane: tuple[int, int], ranges: tuple[int, int]) -> None:
        """Show the plane drawn, within 0 … count − 1 of the tensors' samples and channels; never emits."""
        if self.follow.isChecked():
            self._choice = tuple(plane)
        for spin, value, count in ((self.sel_n, plane[0], ranges[0]), (self.sel_c, plane[1], ranges[1])):
            blocked = spin.blockSignals(True)
            spin.setRange(0, max(0, count - 1))
            spin.setValue(value)
            spin.blockSignals(blocked)
