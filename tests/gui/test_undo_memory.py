"""The window's undo: it restores the session's arrays by reference, and the results follow.

Expected values come from the edits themselves (the arrays painted, the settings given),
array sizes counted by hand and a fresh pipeline; none from the undo code. The history's
byte bound and clean state are tested without Qt in tests/core/test_session.py.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from convviz.core.pipeline import BlockConfig, Pipeline, Tensors
from convviz.core.scene import Scene
from convviz.core.session import CACHED_PIPELINES
from convviz.gui.document import Document


def _scene(h: int = 12, w: int = 12) -> Scene:
    rng = np.random.default_rng(3)
    return Scene(rng.standard_normal((1, 1, h, w)).astype(np.float32),
                 rng.standard_normal((1, 1, 3, 3)).astype(np.float32), np.zeros(1, np.float32),
                 config=BlockConfig(padding=(1, 1), activation="relu", pool="max", loss="sum"))


@pytest.fixture
def doc(qtbot):
    d = Document(_scene(), backend="numpy", asynchronous=False)
    yield d
    d.shutdown()


def _tensors(d: Document) -> dict:
    t = d.scene
    return {k: getattr(t, k) for k in ("x", "w", "b", "target", "dp")}


def _assert_state(d: Document, tensors: dict, config: BlockConfig) -> None:
    for k, v in tensors.items():
        got = getattr(d.scene, k)
        if v is None:
            assert got is None, k
        else:
            np.testing.assert_array_equal(got, v, err_msg=k)
    assert d.scene.config == config
    fresh = Pipeline(Tensors(**tensors), config, "numpy").compute()    # the results follow the state
    for name in ("z", "p", "dx", "dw"):
        np.testing.assert_array_equal(getattr(d.results, name), getattr(fresh, name), err_msg=name)


def test_undo_and_redo_round_trip_tensors_and_config_after_mixed_edits(doc):
    config0 = doc.scene.config
    x0, w0, b0 = (a.copy() for a in (doc.scene.x, doc.scene.w, doc.scene.b))
    expected = [({"x": x0, "w": w0, "b": b0, "target": None, "dp": None}, config0)]

    painted = x0.copy()
    painted[0, 0, 2:5, 3] = 7.0
    doc.edit("paint x", tensors={"x": painted})
    expected.append(({**expected[-1][0], "x": painted.copy()}, config0))

    doc.edit("activation", config={"activation": "tanh", "stride": (2, 1)})
    expected.append((expected[-1][0], dataclasses.replace(config0, activation="tanh", stride=(2, 1))))

    kernel = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3) - 4
    doc.begin_stroke()
    doc.edit("paint w", tensors={"w": kernel * 0}, record=False)         # a preview: not a step of its own
    doc.end_stroke("paint w", tensors={"w": kernel})
    expected.append(({**expected[-1][0], "w": kernel.copy()}, expected[-1][1]))

    target = np.full(doc.results.p.shape, 0.25, np.float32)
    doc.edit("paint target", tensors={"target": target}, config={"loss": "half_squared_error"})
    expected.append(({**expected[-1][0], "target": target.copy()},
                     dataclasses.replace(expected[-1][1], loss="half_squared_error")))

    assert doc.session.history.count == 4
    for tensors, config in reversed(expected[:-1]):
        doc.session.undo()
        _assert_state(doc, tensors, config)
    for tensors, config in expected[1:]:
        doc.session.redo()
        _assert_state(doc, tensors, config)


def test_arrays_an_edit_leaves_alone_are_shared_not_copied(doc):
    before = _tensors(doc)
    doc.edit("activation", config={"activation": "sigmoid"})
    doc.edit("pool", config={"pool": "avg"})
    for k, a in _tensors(doc).items():
        assert a is before[k], k
    step = doc.session.history.step(1)
    assert all(getattr(step.before, k) is getattr(step.after, k) for k in before)
    painted = before["x"].copy()
    painted[0, 0, 0, 0] = 5.0
    doc.edit("paint x", tensors={"x": painted})
    now = _tensors(doc)
    assert now["x"] is not before["x"] and now["w"] is before["w"] and now["b"] is before["b"]
    doc.session.undo()
    assert doc.scene.x is before["x"]               # restored by reference, not rebuilt
    for _ in range(40):
        doc.edit("activation", config={"activation": "tanh"})
        doc.edit("activation", config={"activation": "relu"})
    # 12×12 + 3×3 + 1 float32 values held once each (the painted x was dropped with the redo step)
    assert doc.session.history.nbytes() == 4 * (144 + 9 + 1)


def test_undo_recomputes_only_what_the_changed_field_needs(doc):
    before = doc.results
    doc.edit("activation", config={"activation": "tanh"})
    assert doc.results.recomputed == ["activation", "pool", "backward"]
    doc.session.undo()
    assert doc.scene.config.activation == "relu"
    assert doc.results is before                 # the scene before the step was computed: nothing to do
    doc.edit("loss", config={"loss": "one_hot"})
    assert doc.results.recomputed == ["backward"]
    for kernel in ((3, 3), (1, 1), (2, 1)):      # more steps than the cache keeps
        doc.edit("pool", config={"pool_kernel": kernel})
    for _ in range(3):
        doc.session.undo()
    assert doc.scene.config.pool_kernel == (2, 2) and doc.scene.config.loss == "one_hot"
    doc.session.undo()                           # back past the cache: only the loss differs
    assert doc.scene.config.loss == "sum" and doc.results.recomputed == ["backward"]


def test_the_documents_arrays_are_read_only_and_the_callers_stay_theirs(doc):
    mine = doc.scene.x.copy()
    mine[0, 0, 0, 0] = 2.0
    doc.edit("paint x", tensors={"x": mine})
    mine[0, 0, 0, 0] = 9.0                                      # the caller goes on using its array
    assert doc.scene.x[0, 0, 0, 0] == 2.0
    with pytest.raises(ValueError, match="read-only"):
        doc.scene.x[0, 0, 0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        doc.scene.w[...] = 0


def test_undo_on_a_big_scene_is_computed_on_the_worker(qtbot):
    d = Document(_scene(160, 160), backend="numpy", asynchronous=True)
    qtbot.waitUntil(lambda: not d.busy, timeout=30000)
    x0 = d.scene.x
    for k in range(CACHED_PIPELINES + 1):        # x0's results leave the session's cache
        painted = d.scene.x.copy()
        painted[0, 0, k, :10] = 3.0
        d.edit("paint", tensors={"x": painted})
        qtbot.waitUntil(lambda: not d.busy, timeout=30000)
    for _ in range(CACHED_PIPELINES):
        d.session.undo()
        qtbot.waitUntil(lambda: not d.busy, timeout=30000)
    with qtbot.waitSignal(d.busy_changed, timeout=30000, check_params_cb=lambda busy: not busy):
        d.session.undo()
        assert d.busy
    assert d.scene.x is x0
    fresh = Pipeline(Tensors(x0, d.scene.w, d.scene.b), d.scene.config, "numpy").compute()
    np.testing.assert_array_equal(d.results.z, fresh.z)
    d.shutdown()


def test_undoing_the_newest_step_of_a_big_scene_shows_the_cached_results_at_once(qtbot):
    d = Document(_scene(160, 160), backend="numpy", asynchronous=True)
    qtbot.waitUntil(lambda: not d.busy, timeout=30000)
    before, x0 = d.results, d.scene.x
    d.edit("activation", config={"activation": "tanh"})
    assert d.busy                                # a new scene: computed on the worker
    qtbot.waitUntil(lambda: not d.busy, timeout=30000)
    assert d.results is not before
    d.session.undo()
    assert not d.busy and d.results is before and d.scene.x is x0 and d.scene.config.activation == "relu"
    d.shutdown()
