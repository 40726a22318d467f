"""The status bar's busy indicator (shown when a computation takes over 200 ms) and backend line."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .document import Document


class BusyStatus:
    """``bar`` and ``backend`` live in ``status_bar``; ``computing(fn, …)`` runs an edit with the bar shown."""

    def __init__(self, doc: Document, status_bar: QtWidgets.QStatusBar, parent: QtCore.QObject):
        self.doc, self.status_bar = doc, status_bar
        self.backend = QtWidgets.QLabel()
        self.bar = QtWidgets.QProgressBar(maximumWidth=140, maximumHeight=16, textVisible=False)
        self.bar.setRange(0, 0)                      # an indeterminate "working" bar
        self.bar.setObjectName("busyIndicator")
        self.bar.setAccessibleName("computing")
        self.bar.setToolTip("computing on the worker thread; the newest change is computed next")
        self.bar.hide()
        status_bar.addPermanentWidget(self.bar)
        status_bar.addPermanentWidget(self.backend)
        self.timer = QtCore.QTimer(parent, singleShot=True, interval=200)
        self.timer.timeout.connect(self._show)
        doc.busy_changed.connect(self._on_busy)

    def _on_busy(self, busy: bool):
        """Show the busy indicator only when a computation takes longer than 200 ms."""
        if busy:
            self.timer.start()
        else:
            self.timer.stop()
            self.bar.hide()

    def _show(self):
        if self.doc.busy:
            self.bar.show()

    def computing(self, fn, *args, **kwargs):
        """Call ``fn`` (an edit); when the GUI thread will compute it, paint the busy bar first.

        A first-use kernel build can take seconds and no timer fires meanwhile, so the bar is
        shown and painted at once (``repaint`` handles no input, so nothing re-enters here).
        """
        on_gui_thread = not self.doc.goes_async()
        if on_gui_thread:
            self.bar.show()
            self.status_bar.showMessage("computing…")
            self.status_bar.repaint()
        try:
            return fn(*args, **kwargs)
        finally:
            if on_gui_thread:
                self.status_bar.clearMessage()
                if not self.doc.busy:
                    self.bar.hide()
