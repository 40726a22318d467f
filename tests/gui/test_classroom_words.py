"""The words a class reads: lecture words, the views' names, numbers written as the cells write them."""
from __future__ import annotations

import re

import numpy as np
import pytest

from convviz.core import presets
from convviz.core.lessons import LESSONS, lesson_titles, lessons_dir
from convviz.core.pipeline import BlockConfig, Pipeline
from convviz.core.scene import Tensors, load_scene
from convviz.core.paths.model import StepModel
from convviz.core.paths.registry import PATHS
from convviz.core.paths.roles import K_FLIP


def _texts(sm: StepModel):
    """Every title, text and formula of every path, and the roles it shows."""
    out, roles = [], set()
    for name in sm.available():
        path = sm.path(name)
        out.append(path.title)
        for stage in path.stages:
            out += [stage.title, stage.text, stage.formula]
            roles |= {s.role.name for s in stage.tensors}
            if stage.n_steps:
                out.append(stage.step(0).formula)
    return out, roles


def _model(stride=1, padding=(1, 1), b=None, true_convolution=False):
    x = np.arange(36, dtype=np.float32).reshape(1, 1, 6, 6) / 10
    w = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3) - 4
    cfg = BlockConfig(stride=(stride, stride), padding=padding, true_convolution=true_convolution)
    return StepModel(Pipeline(Tensors(x, w, b), cfg))


def test_no_internal_names_reach_the_screen():
    texts, _ = _texts(_model())
    shipped = [t for _, t in lesson_titles()] + [load_scene(lessons_dir() / f"{n}.json").text for n in LESSONS]
    for t in texts + shipped + list(presets.KERNELS) + list(presets.INPUTS):
        assert "seed" not in t.lower(), t


def test_at_stride_1_nothing_is_said_about_inserting_zeros():
    texts, roles = _texts(_model(stride=1))
    joined = " ".join(texts)
    assert "0×0" not in joined and "insert" not in joined.lower() and "0 zero" not in joined
    assert "dZ↑0" not in roles
    texts, roles = _texts(_model(stride=2))
    assert "dZ↑0" in roles and "1 zero row and 1 zero column" in " ".join(texts)


def test_padding_is_said_per_side():
    sm = _model(padding=((1, 0), (1, 0)))
    text = sm.path("forward").stages[0].text
    assert "1 row above, 0 below; 1 column left, 0 right" in text
    assert "1,0" not in text


def test_the_k_k_prime_lesson_names_the_sliding_kernel_k_prime():
    scene = load_scene(lessons_dir() / "003-cross-correlation-and-convolution.json")
    forward = StepModel(scene.pipeline()).path("forward")
    roles = [{s.role.name for s in stage.tensors} for stage in forward.stages]
    assert any({"K", "K′"} <= r for r in roles) and not any("W" in r for r in roles)
    slide = next(s for s in forward.stages if s.title == "Slide the window")
    step = slide.step(0)
    assert "K′[" in slide.formula and step.terms[0].b_role.name == "K′" and K_FLIP in step.highlights


def test_lessons_use_the_names_the_views_use():
    for name in LESSONS:
        scene = load_scene(lessons_dir() / f"{name}.json")
        text = scene.title + " " + scene.text
        assert not re.search(r"\bdY\b|grad [xywzXYWZb]", text), (name, text)


def test_the_first_lesson_is_a_clear_start():
    assert lesson_titles()[0][1].startswith("Start here: ")


def test_a_zero_bias_is_left_out_of_the_formula_and_a_bias_is_named():
    slide = _model(b=np.zeros(1, np.float32)).path("forward").stages[1]
    assert "b 0" not in slide.step(0).formula and "(b[0])" not in slide.step(0).formula
    slide = _model(b=np.array([1.5], np.float32)).path("forward").stages[1]
    assert slide.step(0).formula.split(" = ")[1].endswith("+ 1.5 (b[0])")


def test_a_formula_writes_a_number_as_its_cell_does(window):
    x = np.zeros((1, 1, 8, 8), np.float32)
    x[0, 0, 3, 3] = 2446.0
    w = np.zeros((1, 1, 3, 3), np.float32)
    w[0, 0, 1, 1] = 1.0                                      # identity kernel, padding 1: Z = X
    window.doc.edit("set", tensors={"x": x, "w": w}, config={"activation": "relu"})
    window.doc.set_path("forward")
    path = window.doc.path()
    act = next(i for i, s in enumerate(path.stages) if s.title == "Activation")
    window.doc.set_position(sum(max(1, s.n_steps) for s in path.stages[:act]) + 3 * 8 + 3)
    assert window.formula.text().splitlines()[-1] == "A[0, 0, 3, 3] = σ(2446) = 2446"
    z = next(v for v in window.views if v.role.name == "Z")
    shown = [t.toPlainText() for t in z._texts if t.isVisible()]
    assert shown[3 * 8 + 3] == "2446"


@pytest.mark.parametrize("what", ["X", "W", "Z", "A", "P", "dZ", "dX", "dW"])
def test_the_legend_says_what_each_symbol_and_box_colour_means(window, what):
    text = re.sub(r"<[^>]+>", "", window.legend.text())
    assert re.search(rf"(^|[\s,·]){what}\b", text), what
    for meaning in ("the cell being computed", "the taps", "under the mouse"):
        assert meaning in text
    assert window.legend.isVisible()
    assert PATHS
