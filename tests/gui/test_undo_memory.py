"""Undo keeps references to the scene's arrays, bounded in bytes, and restores without parsing.

Expected values come from the edits themselves (the arrays painted, the settings given)
and from array sizes counted by hand; none from the undo code.
"""
from __future__ import annotations

import dataclasses
import gc
import weakref

import numpy as np
import pytest

from convviz.core.pipeline import BlockConfig, Pipeline, Tensors
from convviz.core.scene import Scene
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
    t = d.pipeline.tensors
    return {k: getattr(t, k) for k in ("x", "w", "b", "target", "dp")}


def _assert_state(d: Document, tensors: dict, config: BlockConfig) -> None:
    for k, v in tensors.items():
        got = getattr(d.pipeline.tensors, k)
        if v is None:
            assert got is None, k
        else:
            np.testing.assert_array_equal(got, v, err_msg=k)
    assert d.pipeline.config == config
    fresh = Pipeline(Tensors(**tensors), config, "numpy").compute()    # the results follow the state
    for name in ("z", "p", "dx", "dw"):
        np.testing.assert_array_equal(getattr(d.results, name), getattr(fresh, name), err_msg=name)


def test_undo_and_redo_round_trip_tensors_and_config_after_mixed_edits(doc):
    config0 = doc.pipeline.config
    x0, w0, b0 = (a.copy() for a in (doc.pipeline.tensors.x, doc.pipeline.tensors.w, doc.pipeline.tensors.b))
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

    assert doc.undo.count() == 4
    for tensors, config in reversed(expected[:-1]):
        doc.undo.undo()
        _assert_state(doc, tensors, config)
    for tensors, config in expected[1:]:
        doc.undo.redo()
        _assert_state(doc, tensors, config)


def test_arrays_an_edit_leaves_alone_are_shared_not_copied(doc):
    before = _tensors(doc)
    doc.edit("activation", config={"activation": "sigmoid"})
    doc.edit("pool", config={"pool": "avg"})
    for k, a in _tensors(doc).items():
        assert a is before[k], k
    cmd = doc.undo.command(1)
    assert all(a is b for a, b in zip(cmd.before.tensors, cmd.after.tensors))
    painted = before["x"].copy()
    painted[0, 0, 0, 0] = 5.0
    doc.edit("paint x", tensors={"x": painted})
    now = _tensors(doc)
    assert now["x"] is not before["x"] and now["w"] is before["w"] and now["b"] is before["b"]
    doc.undo.undo()
    assert doc.pipeline.tensors.x is before["x"]               # restored by reference, not rebuilt
    for _ in range(40):
        doc.edit("activation", config={"activation": "tanh"})
        doc.edit("activation", config={"activation": "relu"})
    # 12×12 + 3×3 + 1 float32 values held once each (the painted x was dropped with the redo step)
    assert doc.history_bytes() == 4 * (144 + 9 + 1)


def test_undo_recomputes_only_what_the_changed_field_needs(doc):
    doc.edit("activation", config={"activation": "tanh"})
    assert doc.results.recomputed == ["activation", "pool", "backward"]
    doc.undo.undo()
    assert doc.pipeline.config.activation == "relu"
    assert doc.results.recomputed == ["activation", "pool", "backward"]
    doc.edit("loss", config={"loss": "mean"})
    doc.undo.undo()
    assert doc.results.recomputed == ["backward"]


def test_the_documents_arrays_are_read_only_and_the_callers_stay_theirs(doc):
    mine = doc.pipeline.tensors.x.copy()
    mine[0, 0, 0, 0] = 2.0
    doc.edit("paint x", tensors={"x": mine})
    mine[0, 0, 0, 0] = 9.0                                      # the caller goes on using its array
    assert doc.pipeline.tensors.x[0, 0, 0, 0] == 2.0
    with pytest.raises(ValueError, match="read-only"):
        doc.pipeline.tensors.x[0, 0, 0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        doc.pipeline.tensors.w[...] = 0


def test_the_history_stays_under_its_byte_bound_and_frees_what_it_drops(qtbot):
    d = Document(_scene(32, 32), backend="numpy", asynchronous=False)
    x_bytes, fixed = 32 * 32 * 4, (9 + 1) * 4                   # one painted input; the kernel and bias
    d.history_limit = 6 * x_bytes + fixed                       # room for six inputs
    kept = []
    for i in range(30):
        x = d.pipeline.tensors.x.copy()
        x[0, 0, i, i] = 100.0 + i
        d.edit(f"paint {i}", tensors={"x": x})
        kept.append(weakref.ref(d.pipeline.tensors.x))
        assert d.history_bytes() <= d.history_limit
    # each step adds one input; five steps hold the current input and five before it
    assert d.undo.count() == 5 and d.history_bytes() == 6 * x_bytes + fixed
    gc.collect()
    assert all(r() is None for r in kept[:24]) and all(r() is not None for r in kept[24:])
    while d.undo.canUndo():
        d.undo.undo()
    assert d.pipeline.tensors.x[0, 0, 24, 24] == 124.0 and d.pipeline.tensors.x[0, 0, 25, 25] != 125.0
    assert d.pipeline.tensors.x[0, 0, 23, 23] == 123.0
    d.shutdown()


def test_one_step_bigger_than_the_bound_is_still_undoable(qtbot):
    d = Document(_scene(), backend="numpy", asynchronous=False)
    d.history_limit = 10
    x = d.pipeline.tensors.x.copy()
    d.edit("paint", tensors={"x": x + 1})
    d.edit("paint", tensors={"x": x + 2})
    assert d.undo.count() == 1
    d.undo.undo()
    np.testing.assert_array_equal(d.pipeline.tensors.x, x + 1)
    d.shutdown()


def test_the_clean_state_moves_with_the_steps_kept_and_is_lost_with_the_steps_dropped(qtbot):
    d = Document(_scene(16, 16), backend="numpy", asynchronous=False)
    x_bytes = 16 * 16 * 4
    d.history_limit = 4 * x_bytes + 40                          # three steps
    x = d.pipeline.tensors.x

    def paint(v):
        d.edit("paint", tensors={"x": x + v})

    paint(1), paint(2)
    d.undo.setClean()                                           # saved after the second paint
    paint(3), paint(4)                                          # the first paint is dropped
    assert d.undo.count() == 3 and not d.undo.isClean()
    d.undo.undo(), d.undo.undo()
    assert d.undo.isClean()
    np.testing.assert_array_equal(d.pipeline.tensors.x, x + 2)
    d.undo.redo(), d.undo.redo()
    paint(5), paint(6), paint(7)                                # now the saved state is gone
    while d.undo.canUndo():
        d.undo.undo()
        assert not d.undo.isClean()
    d.shutdown()


def test_undo_on_a_big_scene_is_computed_on_the_worker(qtbot):
    d = Document(_scene(160, 160), backend="numpy", asynchronous=True)
    qtbot.waitUntil(lambda: not d.busy, timeout=30000)
    x0 = d.pipeline.tensors.x
    painted = x0.copy()
    painted[0, 0, :10, :10] = 3.0
    d.edit("paint", tensors={"x": painted})
    qtbot.waitUntil(lambda: not d.busy, timeout=30000)
    with qtbot.waitSignal(d.busy_changed, timeout=30000, check_params_cb=lambda busy: not busy):
        d.undo.undo()
        assert d.busy
    assert d.pipeline.tensors.x is x0
    fresh = Pipeline(Tensors(x0, d.pipeline.tensors.w, d.pipeline.tensors.b), d.pipeline.config, "numpy").compute()
    np.testing.assert_array_equal(d.results.z, fresh.z)
    d.shutdown()
