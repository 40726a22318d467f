"""How long the stage takes to draw one step with small multiples and zero marks (issue #14).

A 64×64, 3→8, 5×5 forward step (three channel panels), a 30×30 stride-2 dX gather step (zero
marks on dZ_pad and dX), and a dW tap of a batch of 2 images 256×256 (two sample panels over
130 000 cells). Median of 10 draws after a warm-up.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_stage_show.py
"""
from __future__ import annotations

import statistics
import time

import numpy as np
from PySide6 import QtWidgets

from convviz.core.paths.model import StepModel
from convviz.core.pipeline import BlockConfig, Pipeline, Tensors
from convviz.gui.stage_view import StageView
from convviz.gui.zero_marks import geometry_of


def draw(stage: StageView, model: StepModel, path: str, position: int) -> float:
    p = model.path(path)
    stage.show_step(p, position, geometry=geometry_of(model))
    QtWidgets.QApplication.processEvents()
    times = []
    for k in range(10):
        t0 = time.perf_counter()
        stage.show_step(p, position + (k % 2), geometry=geometry_of(model))
        QtWidgets.QApplication.processEvents()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> None:
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    stage = StageView()
    stage.resize(1400, 900)
    stage.show()
    rng = np.random.default_rng(0)
    t = Tensors(rng.standard_normal((1, 3, 64, 64)).astype(np.float32),
                rng.standard_normal((8, 3, 5, 5)).astype(np.float32), None)
    m = StepModel(Pipeline(t, BlockConfig(padding=(2, 2), pool="none")))
    print(f"64×64 3→8 forward step, 3 channel panels: {draw(stage, m, 'forward', 1 + 500):.1f} ms")
    t = Tensors(rng.standard_normal((1, 1, 30, 30)).astype(np.float32),
                rng.standard_normal((2, 1, 3, 3)).astype(np.float32), None)
    m = StepModel(Pipeline(t, BlockConfig(stride=(2, 2), padding=(1, 1), pool="none")))
    p = m.path("dx-gather")
    start = sum(max(1, s.n_steps) for s in p.stages[:-1])
    print(f"30×30 stride 2 dX gather step, zero marks: {draw(stage, m, 'dx-gather', start + 100):.1f} ms")
    t = Tensors(rng.standard_normal((2, 1, 256, 256)).astype(np.float32),
                rng.standard_normal((1, 1, 3, 3)).astype(np.float32), None)
    m = StepModel(Pipeline(t, BlockConfig(padding=(1, 1), pool="none")))
    print(f"batch 2 of 256×256 dW tap, 2 sample panels: {draw(stage, m, 'dw', 4):.1f} ms")
    stage.close()
    del app


if __name__ == "__main__":
    main()
