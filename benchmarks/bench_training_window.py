"""Training at 64×64 in the window (offscreen): the run button's loop, repainting the loss curve and
every block's kernel after each step, with the window's views following a few times a second.

Target (issue 15, 2-core CPU device): ≥ 30 steps/s. Prints the steps per second of a timed run.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_training_window.py [numpy|opencl] [seconds]
"""
from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from bench_network import network  # noqa: E402
from convviz.compute import describe  # noqa: E402
from convviz.core.scene import Scene  # noqa: E402
from convviz.core.training import Training  # noqa: E402
from convviz.gui.app import make_window  # noqa: E402


class PaintCounter(QtCore.QObject):
    """Counts the paint events a widget gets: the repaints really done, not merely asked for."""

    def __init__(self, widget):
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, ev):
        if ev.type() == QtCore.QEvent.Paint:
            self.count += 1
        return False


def main() -> None:
    backend = sys.argv[1] if len(sys.argv) > 1 else None
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    net = network()
    scene = Scene(net.x, net.blocks[0].w, target=net.target, training=Training(1e-3, 0.9, 100))
    win = make_window(scene=scene.with_blocks(net.blocks, 0), fresh=True, autosave=False)
    if backend:
        win.doc.backend = win.doc.session.backend = backend
    win.show()
    win.network.raise_()                                             # its tab in front: the curve and kernels paint
    app.processEvents()
    panel = win.network.training
    curve_paints = PaintCounter(panel.curve_plot.viewport())
    kernel_paints = PaintCounter(panel.kernel_views[-1].glw.viewport())
    QTest.mouseClick(panel.step_button, QtCore.Qt.LeftButton)         # warm-up: kernels built
    QTest.mouseClick(panel.run_button, QtCore.Qt.LeftButton)
    t0 = time.perf_counter()
    start = panel.trainer.steps_done
    curve_paints.count = kernel_paints.count = 0
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
    QTest.mouseClick(panel.run_button, QtCore.Qt.LeftButton)
    elapsed = time.perf_counter() - t0
    steps = panel.trainer.steps_done - start
    h = panel.trainer.history
    print(f"device: {describe()}" + (f" (backend {backend})" if backend else ""))
    print(f"3 blocks (1→8→8→1, 3×3, max pool in block 2), 64×64, momentum SGD in the window: {steps} steps in "
          f"{elapsed:.2f} s = {steps / elapsed:.1f} steps/s (target ≥ 30); paints: curve {curve_paints.count}, "
          f"block 3's kernel {kernel_paints.count}; loss {h[0]:.4g} → {h[-1]:.4g}; "
          f"undo: {win.doc.session.history.undo_text()!r}")
    win.close()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    main()
