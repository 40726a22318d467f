"""Undo and the session on a 1024×1024 scene: what an edit costs the GUI thread, and memory.

A Document alone (no window, so no view repaints are counted), numpy backend (or --backend), autosaving
to a temporary file as the application does. Figures:

- GUI-thread time of a parameter edit (``doc.edit`` with a config change) and of a
  stroke's end (``end_stroke``), undo recording and autosave scheduling included; the
  computation itself runs on the worker and is waited for between edits, not timed;
- GUI-thread time of one Edit → Undo, and the time until its result is computed (20 undos
  in a row: most are not in the session's pipeline cache), and of undoing the step just
  made (its scene before is cached: nothing to compute);
- resident memory growth over N edits (default 200), alternating parameter edits and
  small strokes (a 5×5 patch each), and the undo history's size when it reports one.

Targets (issue "The session model and a window made of small parts"): an edit ≤ 16 ms on
the GUI thread, undo ≤ 50 ms, 200 edits ≤ 500 MB. Prints figures; asserts nothing.

Run: .venv/bin/python benchmarks/bench_session.py [--edits N] [--size S] [--backend numpy|opencl]
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6 import QtWidgets  # noqa: E402

from convviz.core.pipeline import BlockConfig  # noqa: E402
from convviz.core.scene import Scene  # noqa: E402
from convviz.gui.document import Document  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def scene(size: int) -> Scene:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, size, size)).astype(np.float32)
    w = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    return Scene(x, w, np.zeros(1, np.float32), config=BlockConfig(padding=(1, 1), pool="max", loss="sum"))


def timed(f, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    f(*args, **kwargs)
    return (time.perf_counter() - t0) * 1e3


def report(label: str, ms: list[float]) -> None:
    p90 = statistics.quantiles(ms, n=10)[-1] if len(ms) > 1 else ms[0]
    print(f"{label:<40} median {statistics.median(ms):6.1f} ms  p90 {p90:6.1f} ms  max {max(ms):6.1f} ms  (n={len(ms)})")


class Editing:
    def __init__(self, doc: Document, rng):
        self.doc, self.rng, self.activations = doc, rng, ("relu", "tanh")
        self.n = 0

    def parameter_edit(self) -> float:
        self.n += 1
        ms = timed(self.doc.edit, "activation", config={"activation": self.activations[self.n % 2]})
        self.doc.wait(120)
        return ms

    def stroke(self) -> tuple[float, float]:
        """A small stroke: two previews and the end; returns (begin, end) GUI-thread ms."""
        doc = self.doc
        x = doc.scene.x.copy()
        y0, x0 = self.rng.integers(0, x.shape[2] - 5, 2)
        begin = timed(doc.begin_stroke)
        for k in range(2):
            x[0, 0, y0 + k, x0:x0 + 5] = 1.0
            doc.edit("paint x", tensors={"x": x.copy()}, record=False)
        x[0, 0, y0:y0 + 5, x0:x0 + 5] = 1.0
        end = timed(doc.end_stroke, "paint x", tensors={"x": x.copy()})
        doc.wait(120)
        return begin, end


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edits", type=int, default=200)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--backend", choices=("numpy", "opencl"), default="numpy")
    args = ap.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])  # noqa: F841
    with tempfile.TemporaryDirectory() as tmp:
        doc = Document(scene(args.size), backend=args.backend)
        doc.autosave_to(Path(tmp) / "autosave.json")
        doc.wait(120)
        s = Editing(doc, np.random.default_rng(1))
        s.parameter_edit(), s.stroke()                     # warm up
        doc.session.history.clear()
        gc.collect()
        rss0 = rss_mb()
        params, begins, ends = [], [], []
        for i in range(args.edits):
            if i % 2 == 0:
                params.append(s.parameter_edit())
            else:
                b, e = s.stroke()
                begins.append(b), ends.append(e)
        doc.autosave(wait=True)
        gc.collect()
        rss1 = rss_mb()
        undo_gui, undo_done = {"parameter": [], "stroke": []}, {"parameter": [], "stroke": []}
        for _ in range(min(20, doc.session.history.index)):
            kind = "stroke" if doc.session.history.undo_text().startswith("paint") else "parameter"
            t0 = time.perf_counter()
            doc.session.undo()
            undo_gui[kind].append((time.perf_counter() - t0) * 1e3)
            doc.wait(120)
            undo_done[kind].append((time.perf_counter() - t0) * 1e3)
        newest = []                                  # the step just made: its scene before is cached
        for _ in range(10):
            s.parameter_edit()
            t0 = time.perf_counter()
            doc.session.undo()
            doc.wait(120)
            newest.append((time.perf_counter() - t0) * 1e3)
        print(f"scene {args.size}×{args.size}, {args.backend} backend, {args.edits} edits "
              f"(alternating parameter edits and 5×5 strokes)")
        report("parameter edit, GUI thread", params)
        report("stroke begin, GUI thread", begins)
        report("stroke end, GUI thread", ends)
        for kind in ("parameter", "stroke"):
            report(f"undo a {kind} edit, GUI thread", undo_gui[kind])
            report(f"undo a {kind} edit, until computed", undo_done[kind])
        report("undo the newest step, until shown", newest)
        print(f"resident memory growth over {args.edits} edits: {rss1 - rss0:.0f} MB "
              f"({rss0:.0f} → {rss1:.0f} MB); undo steps kept: {doc.session.history.count}")
        h = doc.session.history
        print(f"undo history: {h.nbytes() / 2**20:.0f} MB (bound {h.limit / 2**20:.0f} MB)")
        print("targets: an edit ≤ 16 ms on the GUI thread, undo ≤ 50 ms, 200 edits ≤ 500 MB")
        doc.shutdown()


if __name__ == "__main__":
    main()
