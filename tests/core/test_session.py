"""The Qt-free session: frozen scenes that share arrays, undo by reference bounded in bytes,
events, and the pipeline cache keyed on the scene.

Expected values come from the edits themselves (the arrays and settings given), from array
sizes counted by hand and from the block's definition worked by hand on tiny inputs.
"""
from __future__ import annotations

import dataclasses
import gc
import weakref

from dataclasses import replace

import numpy as np
import pytest

from convviz.core.events import Event
from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene
from convviz.core.session import Session

PLAIN = BlockConfig(padding=(0, 0), activation="identity", pool="none", loss="sum")


def _scene(h: int = 6, w: int = 6) -> Scene:
    rng = np.random.default_rng(3)
    return Scene(rng.standard_normal((1, 1, h, w)).astype(np.float32),
                 rng.standard_normal((1, 1, 3, 3)).astype(np.float32), np.zeros(1, np.float32),
                 config=BlockConfig(padding=(1, 1), activation="relu", pool="max", loss="sum"))


def _counter(event: Event) -> list:
    seen = []
    event.connect(lambda *args: seen.append(args))
    return seen


# ------------------------------------------------------------ frozen scenes, shared arrays

def test_an_edit_makes_a_new_scene_that_shares_the_arrays_it_did_not_change():
    s = Session(_scene())
    first = s.scene
    s.edit("activation", config={"activation": "tanh"})
    assert s.scene is not first and s.scene.config.activation == "tanh" and first.config.activation == "relu"
    for k in ("x", "w", "b"):
        assert getattr(s.scene, k) is getattr(first, k), k
    painted = np.array(first.x)
    painted[0, 0, 1, 2] = 7.0
    s.edit("paint x", tensors={"x": painted})
    assert s.scene.x is not first.x and s.scene.w is first.w and s.scene.b is first.b
    assert s.scene.x[0, 0, 1, 2] == 7.0 and first.x[0, 0, 1, 2] != 7.0


def test_scenes_are_frozen_their_arrays_read_only_and_the_callers_arrays_stay_theirs():
    mine = _scene()
    s = Session(mine)
    assert s.scene.x is not mine.x and mine.x.flags.writeable          # the session took a copy
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.scene.x = mine.x
    with pytest.raises(ValueError, match="read-only"):
        s.scene.x[0, 0, 0, 0] = 1.0
    painted = mine.x.copy()
    painted[0, 0, 0, 0] = 2.0
    s.edit("paint", tensors={"x": painted})
    painted[0, 0, 0, 0] = 9.0
    assert s.scene.x[0, 0, 0, 0] == 2.0


def test_an_unknown_field_is_refused_with_the_fields_there_are():
    s = Session(_scene())
    with pytest.raises(ValueError, match="unknown field.*actvation.*activation"):
        s.edit("oops", config={"actvation": "tanh"})
    with pytest.raises(ValueError, match="unknown field.*bias"):
        s.edit("oops", tensors={"bias": np.zeros(1)})


# ------------------------------------------------------------ undo and redo

def test_undo_and_redo_restore_exactly_the_scenes_of_each_step():
    s = Session(_scene())
    x0, w0, config0 = s.scene.x.copy(), s.scene.w.copy(), s.scene.config
    painted = x0.copy()
    painted[0, 0, 2:4, 3] = 7.0
    kernel = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3) - 4
    s.edit("paint x", tensors={"x": painted})
    s.edit("settings", config={"activation": "tanh", "stride": (2, 1)})
    s.begin_stroke()
    s.edit("paint w", tensors={"w": kernel * 0}, record=False)          # a preview: not a step of its own
    s.navigate("dw", 3)
    s.end_stroke("paint w", tensors={"w": kernel})
    # what each step leaves, from the edits themselves
    expected = [(x0, w0, config0, "forward", 0),
                (painted, w0, config0, "forward", 0),
                (painted, w0, dataclasses.replace(config0, activation="tanh", stride=(2, 1)), "forward", 0),
                (painted, kernel, dataclasses.replace(config0, activation="tanh", stride=(2, 1)), "dw", 3)]

    def check(k):
        x, w, config, path, position = expected[k]
        sc = s.scene
        np.testing.assert_array_equal(sc.x, x)
        np.testing.assert_array_equal(sc.w, w)
        assert (sc.config, sc.path, sc.position, sc.target, sc.dp) == (config, path, position, None, None)

    assert s.history.count == 3 and s.history.undo_text() == "paint w"
    kept = [None, None, None, s.scene]
    for k in (2, 1, 0):
        s.undo()
        check(k)
        kept[k] = s.scene
    assert not s.history.can_undo() and s.history.redo_text() == "paint x"
    for k in (1, 2, 3):
        s.redo()
        check(k)
    s.undo()
    assert s.scene is kept[2]                  # by reference: nothing is rebuilt
    s.edit("pool", config={"pool": "avg"})     # a new step drops the one that was undone
    assert not s.history.can_redo() and s.history.count == 3


def test_the_history_stays_under_its_byte_bound_and_frees_the_oldest_steps():
    s = Session(_scene(32, 32))
    x_bytes, fixed = 32 * 32 * 4, (9 + 1) * 4                   # one input; the kernel and the bias
    s.history.limit = 6 * x_bytes + fixed                       # room for six inputs
    kept = []
    for i in range(30):
        x = s.scene.x.copy()
        x[0, 0, i, i] = 100.0 + i
        s.edit(f"paint {i}", tensors={"x": x})
        kept.append(weakref.ref(s.scene.x))
        assert s.history.nbytes() <= s.history.limit
    # each step adds one input; five steps hold the current input and the five before it
    assert s.history.count == 5 and s.history.nbytes() == 6 * x_bytes + fixed
    gc.collect()
    assert all(r() is None for r in kept[:24]) and all(r() is not None for r in kept[24:])
    while s.history.can_undo():
        s.undo()
    assert s.scene.x[0, 0, 24, 24] == 124.0 and s.scene.x[0, 0, 25, 25] != 125.0   # paint 24 is the oldest left
    assert s.scene.x[0, 0, 23, 23] == 123.0


def test_arrays_shared_between_steps_count_once():
    s = Session(_scene(12, 12))
    for _ in range(40):
        s.edit("activation", config={"activation": "tanh"})
        s.edit("activation", config={"activation": "relu"})
    assert s.history.count == 80 and s.history.nbytes() == 4 * (144 + 9 + 1)


def test_one_step_bigger_than_the_bound_is_still_undoable():
    s = Session(_scene())
    s.history.limit = 10
    x = np.array(s.scene.x)
    s.edit("paint", tensors={"x": x + 1})
    s.edit("paint", tensors={"x": x + 2})
    assert s.history.count == 1
    s.undo()
    np.testing.assert_array_equal(s.scene.x, x + 1)


def test_the_clean_state_moves_with_the_steps_kept_and_is_lost_with_the_steps_dropped():
    s = Session(_scene(16, 16))
    s.history.limit = 4 * 16 * 16 * 4 + 40                      # three steps
    x = np.array(s.scene.x)
    assert s.history.is_clean()

    def paint(v):
        s.edit("paint", tensors={"x": x + v})

    paint(1), paint(2)
    s.history.set_clean()                                       # saved after the second paint
    paint(3), paint(4)                                          # the first paint is dropped
    assert s.history.count == 3 and not s.history.is_clean()
    s.undo(), s.undo()
    assert s.history.is_clean()
    np.testing.assert_array_equal(s.scene.x, x + 2)
    s.redo(), s.redo()
    paint(5), paint(6), paint(7)                                # now the saved state is gone
    while s.history.can_undo():
        s.undo()
        assert not s.history.is_clean()
    s.history.reset_clean()
    assert not s.history.is_clean()


# ------------------------------------------------------------ events

def test_events_fire_once_per_edit_and_navigation_is_its_own_event():
    s = Session(_scene())
    changed, moved, history = _counter(s.events.changed), _counter(s.events.moved), _counter(s.history.events.changed)
    s.edit("activation", config={"activation": "tanh"})
    assert (len(changed), len(moved), len(history)) == (1, 0, 1) and changed[0] == (s.scene,)
    s.begin_stroke()
    s.edit("paint", tensors={"x": np.zeros((1, 1, 6, 6))}, record=False)
    s.end_stroke("paint", tensors={"x": np.ones((1, 1, 6, 6))})
    assert (len(changed), len(moved), len(history)) == (3, 0, 2)
    s.navigate("dx-gather", 2)
    s.navigate("dx-gather", 2)                                  # no change, no event
    assert (len(changed), len(moved)) == (3, 1) and moved[0][0].position == 2
    s.undo()
    s.redo()
    assert (len(changed), len(moved), len(history)) == (5, 1, 4)


def test_an_event_calls_each_callback_once_in_order_and_says_what_was_not_connected():
    e, calls = Event("changed"), []

    def first(v):
        calls.append(("first", v))

    e.connect(first), e.connect(lambda v: calls.append(("second", v))), e.connect(first)
    e.emit(1)
    assert calls == [("first", 1), ("second", 1)]
    e.disconnect(first)
    e.emit(2)
    assert calls[2:] == [("second", 2)]
    with pytest.raises(ValueError, match="not connected to the 'changed' event"):
        e.disconnect(first)


# ------------------------------------------------------------ the pipeline cache

def test_the_pipeline_cache_hits_for_the_scene_computed_and_misses_by_level_otherwise():
    x = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    s = Session(Scene(x, np.full((1, 1, 1, 1), 2, np.float32), np.ones(1, np.float32), config=PLAIN), "numpy")
    assert not s.pipeline().up_to_date                          # nothing cached yet
    r = s.compute().results
    np.testing.assert_array_equal(r.z[0, 0], 2 * x[0, 0] + 1)  # Z = 2·X + 1, by hand
    assert r.loss == sum(2 * v + 1 for v in range(9))           # L = Σ Z = 2·36 + 9 = 81
    assert s.pipeline().up_to_date and s.pipeline().results is r     # a hit: the same results, nothing computed

    s.edit("activation", config={"activation": "relu"})
    assert not s.pipeline().up_to_date
    assert s.compute().results.recomputed == ["activation", "pool", "backward"]
    s.edit("target", tensors={"target": np.zeros((1, 1, 3, 3))}, config={"loss": "half_squared_error"})
    assert s.compute().results.recomputed == ["backward"]
    s.edit("paint", tensors={"x": -x})
    r = s.compute().results
    assert r.recomputed == ["conv", "activation", "pool", "backward"]
    np.testing.assert_array_equal(r.a[0, 0], np.maximum(-2 * x[0, 0] + 1, 0))   # relu(−2·X + 1)
    s.navigate("dw", 1)                                         # not an input of the block: still a hit
    assert s.pipeline().up_to_date


def test_a_pipeline_for_another_scene_leaves_the_cached_one_alone():
    s = Session(_scene(), "numpy")
    cached = s.compute()
    z = cached.results.z
    s.edit("stride", config={"stride": (2, 2)})
    job = s.pipeline()
    job.compute()                                               # as a worker thread would
    assert cached.up_to_date and cached.results.z is z and cached.config.stride == (1, 1)
    assert job.results.z.shape[2:] == (3, 3)                    # (6 + 2 − 3) // 2 + 1 = 3
    with pytest.raises(ValueError, match="only a computed pipeline"):
        s.keep(s.pipeline(dataclasses.replace(s.scene, config=PLAIN)))
    s.keep(job)
    assert s.pipeline().up_to_date


def test_undoing_recent_steps_finds_their_results_in_the_cache():
    s = Session(_scene(), "numpy")
    computed = [s.compute().results]
    for activation in ("tanh", "sigmoid"):
        s.edit("activation", config={"activation": activation})
        computed.append(s.compute().results)
    s.undo()
    assert s.pipeline().results is computed[1]                 # hits: nothing is computed again
    s.undo()
    assert s.pipeline().results is computed[0]
    for k in (1, 2, 3, 4):                                      # more scenes than the cache holds
        s.edit("stride", config={"stride": (k, k)})
        s.compute()
    while s.history.can_undo():
        s.undo()
    assert not s.pipeline().up_to_date
    assert s.compute().results.recomputed == ["conv", "activation", "pool", "backward"]   # stride is a conv field


def test_a_network_scene_computes_its_selected_block_fed_by_the_others():
    from convviz.core.network import Block
    rng = np.random.default_rng(8)
    first = Block(rng.standard_normal((2, 1, 3, 3)).astype(np.float32), None, BlockConfig(padding=(1, 1), pool="none"))
    last = Block(rng.standard_normal((1, 2, 3, 3)).astype(np.float32), np.zeros(1, np.float32),
                 replace(PLAIN, activation="tanh", loss="half_squared_error"))
    scene = Scene(rng.standard_normal((1, 1, 6, 6)).astype(np.float32), first.w,
                  target=np.full((1, 1, 4, 4), 0.5, np.float32)).with_blocks((first, last), 0)
    s = Session(scene, "numpy")
    r = s.compute().results
    net = scene.network().compute("numpy")              # the network's own computation
    np.testing.assert_allclose(r.dz, net.blocks[0].dz, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.dw, net.blocks[0].dw, rtol=1e-5, atol=1e-6)
    s.edit("activation", config={"activation": "tanh"})
    after = s.compute().results
    assert after.recomputed == ["activation", "pool", "backward"]      # block 1's input is kept
    truth = s.scene.network().compute("numpy")          # block 2 above was computed again: dP¹ is true
    assert not np.allclose(truth.blocks[0].dp, net.blocks[0].dp)
    np.testing.assert_allclose(after.dp, truth.blocks[0].dp, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(after.dw, truth.blocks[0].dw, rtol=1e-5, atol=1e-6)
    s.undo()
    assert s.scene == scene and s.pipeline().results is r


def test_replace_records_a_whole_scene_and_inside_a_stroke_one_step_from_where_it_began():
    from convviz.core import lessons
    from convviz.core.stack_edits import add_block
    scene = lessons.delta_chain()
    s = Session(scene, "numpy")
    s.replace("add block", add_block(s.scene))
    assert len(s.scene.blocks()) == 3 and s.history.undo_text() == "add block"
    s.undo()
    assert s.scene == scene
    s.begin_stroke()
    for k in (1, 0, 1):
        s.replace("select", s.scene.select(k), record=False)
    assert s.history.count == 1                                   # previews are not steps
    s.replace("train 3 steps", s.scene.select(0))
    assert s.history.count == 1 and s.history.undo_text() == "train 3 steps" and not s.in_stroke
    s.undo()
    assert s.scene == scene
