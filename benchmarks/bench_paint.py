"""Mouse event to repainted views, in the real window, painting on a 64×64 input.

Drives the window offscreen as a person would: a press, then mouse moves across the
canvas, each one a new cell. For each move it times from sending the mouse event to
the moment every visible tensor view has painted again (the event loop has run dry),
and checks that each view really did repaint. Target: ≤ 16 ms (one frame at 60 Hz).

Also a 1024×1024 scene: how long a mouse move keeps the GUI thread busy there (the
computation runs on the worker; the latest request wins).

Run: .venv/bin/python benchmarks/bench_paint.py
"""
from __future__ import annotations

import os
from dataclasses import replace
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from convviz.core import presets  # noqa: E402
from convviz.gui.document import Document  # noqa: E402
from convviz.gui.mainwindow import MainWindow  # noqa: E402


class PaintCounter(QtCore.QObject):
    def __init__(self):
        super().__init__()
        self.painted: set[int] = set()

    def eventFilter(self, obj, ev):
        if ev.type() == QtCore.QEvent.Paint:
            self.painted.add(id(obj))
        return False


def cell_point(view, y, x):
    return view.glw.mapFromScene(view.plot.vb.mapViewToScene(QtCore.QPointF(x + 0.5, y + 0.5)))


def mouse(kind, vp, pos, buttons):
    btn = QtCore.Qt.LeftButton if kind != QtCore.QEvent.MouseMove else QtCore.Qt.NoButton
    ev = QtGui.QMouseEvent(kind, QtCore.QPointF(pos), vp.mapToGlobal(QtCore.QPointF(pos)), btn, buttons,
                           QtCore.Qt.NoModifier)
    QtWidgets.QApplication.sendEvent(vp, ev)


def settle(app, counter: PaintCounter, views) -> None:
    """Run the event loop until every view has painted and nothing more is pending.

    A graphics scene announces its changes through a queued call, so one pass of the
    loop is not always enough; stop after a pass that paints nothing new.
    """
    for _ in range(20):
        before = len(counter.painted)
        app.processEvents()
        if all(id(v) in counter.painted for v in views) and len(counter.painted) == before:
            return


def drive(win: MainWindow, n_moves: int, wait_views: bool = True) -> list[float]:
    app = QtWidgets.QApplication.instance()
    canvas, vp = win.editors.input.canvas, win.editors.input.canvas.glw.viewport()
    h, w = win.doc.scene.x.shape[2:]
    counter = PaintCounter()
    brush = win.editors.input.brush
    brush.setValue(0.25 + (brush.value() + 0.25) % 2)    # a value new to every cell it crosses
    mouse(QtCore.QEvent.MouseButtonPress, vp, cell_point(canvas, h // 4, 2), QtCore.Qt.LeftButton)
    app.processEvents()
    times = []
    for i in range(n_moves):
        y, x = h // 4 + ((i + 1) // (w - 4)) % (h // 2), 2 + (i + 1) % (w - 4)   # a new cell each move
        views = [v.glw.viewport() for v in win.stage.views + [win.editors.output_view, canvas]
                 if not v.glw.viewport().visibleRegion().isEmpty()]      # on screen, not scrolled away
        for v in views:
            v.installEventFilter(counter)
        counter.painted.clear()
        t0 = time.perf_counter()
        mouse(QtCore.QEvent.MouseMove, vp, cell_point(canvas, y, x), QtCore.Qt.LeftButton)
        settle(app, counter, views if wait_views else [])
        times.append(time.perf_counter() - t0)
        if wait_views:
            missing = [v for v in views if id(v) not in counter.painted]
            if missing:
                names = {id(v.glw.viewport()): v.role.name for v in win.stage.views + [win.editors.output_view, canvas]}
                sys.exit(f"bench_paint: {', '.join(names[id(v)] for v in missing)} did not repaint after "
                         f"mouse move {i} to {(y, x)}")
        for v in views:
            v.removeEventFilter(counter)
    mouse(QtCore.QEvent.MouseButtonRelease, vp, cell_point(canvas, h // 4, 2), QtCore.Qt.LeftButton)
    win.doc.wait()
    return times


def report(name: str, times: list[float]) -> None:
    ms = sorted(t * 1e3 for t in times)
    print(f"{name:44} median {statistics.median(ms):6.2f} ms   p90 {ms[int(0.9 * len(ms))]:6.2f} ms   "
          f"max {ms[-1]:6.2f} ms   ({len(ms)} moves)")


def window_for(size: int, path: str, position: int) -> MainWindow:
    scene = replace(presets.default_scene(), x=presets.input_preset("digit", size, size)[None, None].astype(np.float32))
    win = MainWindow(Document(scene))
    win.resize(1600, 1000)
    win.show()
    win.doc.wait()
    win.doc.set_path(path)
    win.doc.set_position(position)
    QtWidgets.QApplication.processEvents()
    return win


def main() -> None:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["bench_paint"])
    from convviz.compute import describe
    print(f"backend: {describe()}; Qt platform: {app.platformName()}")
    for path, position in (("forward", 1), ("dx-gather", 0), ("dw", 0)):
        win = window_for(64, path, position)
        drive(win, 10)                                   # warm-up
        times = drive(win, 120)
        n_views = sum(v.isVisible() for v in win.stage.views)
        report(f"64×64, {path} ({n_views} views + input)", times)
        win.close()
    win = window_for(1024, "forward", 1)
    drive(win, 3, wait_views=False)
    times = drive(win, 20, wait_views=False)
    report("1024×1024: GUI thread per move (worker computes)", times)
    t0 = time.perf_counter()
    win.doc.wait()
    print(f"1024×1024: last recompute on the worker {win.doc.last_seconds * 1e3:.0f} ms; "
          f"settled {1e3 * (time.perf_counter() - t0):.0f} ms after the stroke")
    win.close()
    print("target: ≤ 16 ms from the mouse event to the repainted views (64×64)")


if __name__ == "__main__":
    main()
