"""A lecturer's sweep of the stage: awkward scenes and every shipped lesson, every position
of every path drawn with zero marks and small multiples (a Qt warning fails the test), and
a click on a dX cell and on a dW tap opening the three-ways dock with the definition's numbers."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from convviz.core import lessons
from convviz.core.paths.model import StepModel
from convviz.core.pipeline import BlockConfig, Tensors
from convviz.core.scene import Scene, load_scene
from convviz.gui.stage_view import StageView
from convviz.gui.tensorview import plane_of
from convviz.gui.zero_marks import geometry_of
from tests.core.test_path_sweep import direct
from tests.gui.conftest import cell_point


def _tensors(seed, x_shape, w_shape, bias=True, loss_shape=None):
    rng = np.random.default_rng(seed)
    return Tensors(rng.integers(-3, 4, x_shape).astype(np.float32), rng.integers(-2, 3, w_shape).astype(np.float32),
                   rng.integers(-2, 3, w_shape[0]).astype(np.float32) if bias else None)


AWKWARD = {   # name: (x shape, w shape, config)
    "groups-batch-stride-reflect-maxpool": ((2, 4, 7, 8), (2, 2, 3, 2), dict(
        groups=2, stride=(2, 3), dilation=(2, 1), padding=((1, 2), (0, 1)), padding_mode="reflect",
        activation="tanh", pool="max", pool_kernel=(2, 2), pool_stride=(1, 2), pool_padding=(1, 0),
        loss="one_hot", one_hot_cell=(1, 1, 0, 0))),
    "same-circular-tall-kernel": ((1, 1, 2, 5), (2, 1, 5, 1), dict(
        padding="same", padding_mode="circular", activation="sigmoid", pool="none", loss="sum")),
    "stride-over-kernel-avgpool-pad": ((1, 2, 8, 7), (3, 2, 2, 2), dict(
        stride=(3, 3), padding=(1, 0), activation="leaky_relu", pool="avg", pool_kernel=(2, 3),
        pool_stride=(1, 1), pool_padding=(1, 1), loss="sum")),
    "depthwise-1x1-valid": ((2, 4, 3, 4), (4, 1, 1, 1), dict(
        groups=4, padding="valid", activation="identity", pool="max", pool_kernel=(3, 3), pool_stride=(2, 2),
        pool_padding=(1, 1), loss="sum")),
    "true-conv-replicate-dilation-3": ((1, 3, 6, 7), (1, 3, 2, 3), dict(
        true_convolution=True, dilation=(3, 2), padding=((0, 3), (2, 1)), padding_mode="replicate",
        activation="relu", pool="none", loss="sum")),
    "s2-d2-p1-every-other-row": ((2, 1, 6, 6), (3, 1, 2, 2), dict(
        stride=(2, 2), dilation=(2, 2), padding=1, activation="tanh", pool="avg", pool_kernel=(1, 2), loss="sum")),
}


def _awkward(name) -> Scene:
    x_shape, w_shape, config = AWKWARD[name]
    t = _tensors(len(name), x_shape, w_shape)
    return Scene(t.x, t.w, t.b, config=BlockConfig(**config))


SCENES = {**{f"awkward/{k}": (lambda k=k: _awkward(k)) for k in AWKWARD},
          **{f"lesson/{f.stem}": (lambda f=f: load_scene(f)) for f in lessons.lesson_files()}}


def _check_outlines(stage, step):
    """Every outline a view or small multiple draws lies on the plane it shows; the subtotals
    of the small multiples add up to the step's value (with the bias)."""
    panels = [view for view, _ in stage.multiples.panels]
    if stage.multiples.subtotals and len(stage.multiples.subtotals) < 8:
        total = sum(stage.multiples.subtotals) + step.constant
        assert total == pytest.approx(step.value, rel=1e-4, abs=1e-4 * len(step.terms)), step.formula
    for v in stage.views + panels:
        if not v.isVisible() or v.data is None:
            continue
        h, w = plane_of(v.data, v.index).shape
        for kind, item in v._outlines.items():
            if item.isVisible():
                rect = item.path().boundingRect()
                assert rect.left() >= -0.01 and rect.top() >= -0.01, (v.role, kind, rect)
                assert rect.right() <= w + 0.01 and rect.bottom() <= h + 0.01, (v.role, kind, rect, (h, w))


@pytest.mark.parametrize("name", list(SCENES))
def test_every_position_of_every_path_draws(qtbot, name):
    scene = SCENES[name]()
    model = StepModel(scene.pipeline("numpy"))
    stage = StageView()
    qtbot.addWidget(stage)
    stage.resize(1100, 800)
    stage.show()
    geometry = geometry_of(model)
    for pname in model.available():
        path = model.path(pname)
        n = path.n_positions
        # every position of a small path; a big one (a lesson's 16×16 planes) every stage's ends and a stride
        positions = range(n) if n <= 400 else sorted({0, n - 1} | set(range(0, n, max(1, n // 80))) | {
            sum(max(1, s.n_steps) for s in path.stages[:i]) + d for i in range(len(path.stages)) for d in (0, -1)
            if 0 <= sum(max(1, s.n_steps) for s in path.stages[:i]) + d < n})
        for pos in positions:
            step = stage.show_step(path, pos, geometry=geometry)
            _check_outlines(stage, step)
            lo_n, lo_c = stage.plane_ranges                 # the last sample and channel, not followed
            step = stage.show_step(path, pos, plane=(lo_n - 1, lo_c - 1), follow=False, geometry=geometry)
            _check_outlines(stage, step)


def _view(window, name):
    return next(v for v in window.stage.views if v.isVisible() and v.role.name == name)


def _num(text: str) -> float:
    return float(text.replace("−", "-"))


@pytest.mark.parametrize("name", list(AWKWARD))
def test_clicking_dx_and_dw_opens_three_ways_with_the_definitions_numbers(window, qtbot, name):
    scene = _awkward(name)
    window.doc.set_scene(scene)
    want = direct(Tensors(scene.x, scene.w, scene.b), scene.config)
    for path, role in (("dx-gather", "dX"), ("dw", "dW")):
        window.doc.set_path(path)
        qtbot.keyClick(window, QtCore.Qt.Key_End)
        view = _view(window, role)
        h, w = plane_of(view.data, view.index).shape
        y, x = h - 1, w // 2
        qtbot.mouseClick(view.glw.viewport(), QtCore.Qt.LeftButton, pos=cell_point(view, y, x))
        dock = window.three_ways
        assert dock.isVisible()
        cell = tuple(view.index[:2]) + (y, x)
        expected = float(want[role][cell])
        title = dock.title.text()
        assert title.startswith(f"{role}[{', '.join(map(str, cell))}] = "), title
        assert _num(title.split(" = ")[1].split()[0]) == pytest.approx(expected, abs=0.006, rel=0.01), title
        for way in range(3):
            rows = dock.table_rows(way)
            products = [_num(r[-1].rsplit(" = ", 1)[-1]) if (way, role) != (1, "dX") else _num(r[2].rsplit(" = ", 1)[1])
                        for r in rows]
            assert sum(products) == pytest.approx(expected, abs=0.006 * max(1, len(rows))), (way, rows)
