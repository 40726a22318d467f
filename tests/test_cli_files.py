"""Damaged and hostile scene files through every entry: the CLI, the window, the autosave.

Every CLI entry answers a bad scene with one line and exit code 2 and writes nothing
outside its output folder; the window keeps its scene and shows the message; a file's
words are plain text; the autosave is written off the GUI thread after every edit and
stroke and on focus loss, and a damaged one is kept aside. The hostile cases are those of
tests/core/test_scene_files.py; a hypothesis test mutates the shipped lessons.
"""
from __future__ import annotations

import copy
import json
import math
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6 import QtCore, QtWidgets

from convviz import cli
from convviz.core import lessons
from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene, load_scene
from convviz.core.paths.registry import PATHS
from convviz.gui.app import make_window, screenshot
from tests.core.test_scene_files import HOSTILE, mutated

IMG = '<img src="tiny.png" width="30000" height="30000">'


@pytest.fixture
def env(tmp_path, monkeypatch, qapp):
    """Settings, autosave and the current folder in the test's folder."""
    monkeypatch.setenv("CONVVIZ_DATA_DIR", str(tmp_path / "data"))
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.IniFormat, QtCore.QSettings.UserScope, str(tmp_path / "settings"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


def run(capsys, *args) -> tuple[int, str]:
    """convviz.cli.main in this process: (exit code, stderr)."""
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:            # argparse's own errors
        code = exc.code
    return code, capsys.readouterr().err


def written(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip() and "propagateSizeHints" not in ln]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ------------------------------------------------------------ the CLI on every hostile case

def file_words(name: str, words: str) -> str:
    """Written to a file, the 500-deep padding is found by the bracket scan before parsing."""
    return "brackets nest 502 deep" if name == "padding 500 deep" else words


@pytest.mark.parametrize("name,field,value,words", [h for h in HOSTILE if h[3] is not None],
                         ids=[h[0] for h in HOSTILE if h[3] is not None])
def test_export_and_screenshot_of_a_hostile_scene_exit_2_with_one_line(env, capsys, name, field, value, words):
    d = mutated(field, value)
    if name == "base64 in version 1":
        d["version"] = 1
    f = env / "scene.json"
    f.write_text(json.dumps(d))
    words = file_words(name, words)
    code, err = run(capsys, "export", f, "--path", "forward", "--out", "out")
    assert code == 2 and words in one_line(err) and one_line(err).startswith("convviz export: scene.json: ")
    code, err = run(capsys, "--scene", f, "--screenshot", "shot.png")
    assert code == 2 and words in one_line(err) and one_line(err).startswith("convviz: scene.json: ")
    assert written(env / "work") <= {"out"} and not list((env / "work").glob("out/*"))


def test_deep_brackets_through_every_command(env, capsys):
    f = env / "deep.json"
    f.write_text("[" * 100_000)
    for args in (("export", f, "--path", "db", "--out", "o"), ("--scene", f, "--screenshot", "s.png"),
                 ("--scene", f)):
        code, err = run(capsys, *args)
        assert code == 2 and "brackets nest 100000 deep" in one_line(err)


def test_an_empty_out_is_an_error_and_writes_nothing(env, capsys):
    lesson = lessons.lessons_dir() / "003-forward-stride-2.json"
    code, err = run(capsys, "export", lesson, "--path", "db", "--out", "")
    assert code == 2 and "--out is empty" in one_line(err)
    code, err = run(capsys, "--scene", lesson, "--screenshot", "")
    assert code == 2 and "--screenshot is empty" in one_line(err)
    assert written(env / "work") == set()


def test_a_step_off_the_path_and_an_unwritable_screenshot_exit_2(env, capsys):
    lesson = lessons.lessons_dir() / "003-forward-stride-2.json"      # 5×5 → 2×2: the db path has 1 step
    code, err = run(capsys, "--scene", lesson, "--screenshot", "s.png", "--path", "db", "--step", 10**30)
    assert code == 2 and f"step {10**30} is not on the db path" in one_line(err)
    code, err = run(capsys, "--scene", lesson, "--screenshot", env / "no" / "such" / "s.png")
    assert code == 2 and "cannot write" in one_line(err)
    code, err = run(capsys, "export", lesson, "--path", "db", "--step", -1, "--out", "o")
    assert code == 2 and "--step must be 0 or more" in one_line(err)
    assert written(env / "work") == set()


def test_an_export_of_too_many_frames_is_refused(env, capsys):
    # 40×40 input, padding 1: the forward path steps through 40·40 outputs, more than 500 frames
    scene = Scene(np.ones((1, 1, 40, 40), np.float32), np.ones((1, 1, 3, 3), np.float32),
                  config=BlockConfig(pool="none"))
    scene.save(env / "s.json")
    code, err = run(capsys, "export", env / "s.json", "--path", "forward", "--out", "o")
    assert code == 2 and "at most 500 at once" in one_line(err)


def test_the_screenshot_waits_for_the_computation(env, qtbot):
    # 256² is computed on the worker thread; the screenshot must show its results
    x = np.random.default_rng(0).standard_normal((1, 1, 256, 256)).astype(np.float32)
    scene = Scene(x, np.ones((1, 1, 3, 3), np.float32), config=BlockConfig(padding=(1, 1), pool="none"))
    win = make_window(scene=scene, autosave=False)
    qtbot.addWidget(win)
    assert win.doc.busy                               # the computation runs on the worker
    screenshot(win, str(env / "s.png"), "forward", 0)
    assert not win.doc.busy and win.doc.model is not None
    shapes = [v.data.shape for v in win.stage.views if v.isVisible()]
    assert (1, 1, 258, 258) in shapes and (1, 1, 256, 256) in shapes       # X_pad and Z, by hand
    assert (env / "s.png").stat().st_size > 0


# ------------------------------------------------------------ the window

@pytest.fixture
def window(env, qtbot):
    win = make_window(fresh=True)
    qtbot.addWidget(win)
    return win


def test_a_hostile_file_leaves_the_window_unchanged_and_says_why(window, env, monkeypatch):
    said = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a: said.append(a[2]))
    before = window.doc.scene
    for name, field, value, words in HOSTILE[::4]:
        if words is None:
            continue
        f = env / "hostile.json"
        f.write_text(json.dumps(mutated(field, value)))
        assert not window.files.open_path(f), name
        assert file_words(name, words) in said[-1] and "unchanged" in said[-1].splitlines()[0], name
        assert not Qt_might_be_rich(said[-1])
    assert window.doc.scene == before


def Qt_might_be_rich(text: str) -> bool:
    from PySide6 import QtGui
    return QtGui.Qt.mightBeRichText(text)


def test_titles_texts_and_messages_from_files_are_plain_text(window, env):
    scene = replace(lessons.forward_stride(), title=IMG, text=IMG + " & <b>bold</b>")
    scene.save(env / "html.json")
    assert window.files.open_path(env / "html.json", ask=False)
    banner = window.stage.lesson_banner
    assert IMG not in banner.text() and "&lt;img" in banner.text()        # escaped: shown, not drawn
    label = QtWidgets.QLabel()
    label.setText(banner.text())
    assert "<img" in QtGui_plain(label.text())
    window.doc.problem.emit(IMG)
    assert window.editors.problem_label.textFormat() == QtCore.Qt.PlainText
    window.grab()                                                          # drawn without a crash


def QtGui_plain(html_text: str) -> str:
    from PySide6 import QtGui
    doc = QtGui.QTextDocument()
    doc.setHtml(html_text)
    return doc.toPlainText()


def test_an_export_of_a_scene_with_an_html_title_draws_it_as_text(env, capsys):
    scene = replace(lessons.forward_stride(), title=IMG, text=IMG)
    scene.save(env / "html.json")
    code, err = run(capsys, "export", env / "html.json", "--path", "db", "--out", "out", "--format", "svg")
    assert code == 0, err
    svg = (env / "work" / "out" / "db-0000.svg").read_text()
    assert "&lt;img" in svg and 'width="30000"' not in svg


def test_lesson_menu_titles_are_plain_and_a_broken_lesson_keeps_its_name(env, monkeypatch):
    folder = env / "lessons"
    folder.mkdir()
    scene = replace(lessons.forward_stride(), title="K & K′ " + IMG + " x" * 100)
    scene.save(folder / "a.json")
    (folder / "b.json").write_text("[" * 100_000)
    monkeypatch.setattr(lessons, "lessons_dir", lambda: folder)
    (fa, ta), (fb, tb) = lessons.lesson_titles()
    assert ta.startswith("K && K′ <img") and len(ta) <= 81 and ta.endswith("…")
    assert tb == "b"


# ------------------------------------------------------------ the autosave

def test_a_stroke_is_on_disk_when_it_ends_not_after_a_timer(window, env):
    doc, autosave = window.doc, env / "data" / "autosave.json"
    x = doc.scene.x.copy()
    doc.begin_stroke()
    x[0, 0, 0, 0] = 7.0
    doc.edit("paint x", tensors={"x": x.copy()}, record=False)            # a preview: not yet saved
    doc._autosaver.flush()
    assert not autosave.exists() or load_scene(autosave).x[0, 0, 0, 0] != 7.0
    x[0, 0, 1, 1] = 9.0
    doc.end_stroke("paint x", tensors={"x": x.copy()})
    doc._autosaver.flush()                     # the writer thread only: no event loop, so no timer ran
    saved = load_scene(autosave).x
    assert saved[0, 0, 0, 0] == 7.0 and saved[0, 0, 1, 1] == 9.0


def test_a_parameter_edit_is_saved_on_another_thread_once_edits_pause(window, env, monkeypatch, qtbot):
    """Not while edits follow each other (the writer would hold up the GUI thread), but
    AUTOSAVE_PAUSE_MS after the last one; a stroke's end is saved at once (test below)."""
    from convviz.gui.document import AUTOSAVE_PAUSE_MS
    threads = []
    save = Scene.save
    monkeypatch.setattr(Scene, "save", lambda self, p: threads.append(threading.current_thread()) or save(self, p))
    window.doc.edit("stride", config={"stride": (2, 2)})
    window.doc.edit("dilation", config={"dilation": (2, 2)})
    window.doc._autosaver.flush()
    assert threads == []
    qtbot.waitUntil(lambda: bool(threads), timeout=AUTOSAVE_PAUSE_MS + 2000)
    window.doc._autosaver.flush()
    assert len(threads) == 1 and threading.main_thread() not in threads
    saved = load_scene(env / "data" / "autosave.json").config
    assert saved.stride == (2, 2) and saved.dilation == (2, 2)


def test_an_edit_not_yet_saved_is_saved_when_the_window_closes(window, env):
    window.doc.edit("stride", config={"stride": (3, 3)})
    window.close()
    assert load_scene(env / "data" / "autosave.json").config.stride == (3, 3)


def test_losing_focus_saves_the_step(window, env, qapp):
    window.doc.set_path("db")                     # a step change is no edit: saved when focus goes
    qapp.applicationStateChanged.emit(QtCore.Qt.ApplicationInactive)
    window.doc._autosaver.flush()
    assert load_scene(env / "data" / "autosave.json").path == "db"


@pytest.mark.parametrize("content", ["[" * 100_000, '{"format": "convviz-scene", "version": 2, "tensors": '
                                     '{"x": {"shape": [1, 1, 100000, 1], "data": []}}}', "\xff garbage"])
def test_a_damaged_autosave_is_kept_aside_and_never_stops_a_start(env, qtbot, content):
    data = env / "data"
    data.mkdir()
    (data / "autosave.json").write_text(content)
    win = make_window(ask_restore=lambda p: True)
    qtbot.addWidget(win)
    kept = list(data.glob("autosave-damaged-*.json"))
    assert len(kept) == 1 and kept[0].read_text() == content
    assert "kept as " + kept[0].name in win.editors.problem_label.text()
    win.doc.edit("stride", config={"stride": (2, 2)})
    win.doc.autosave(wait=True)
    assert load_scene(data / "autosave.json").config.stride == (2, 2)


def test_an_autosave_the_window_cannot_show_is_kept_aside_too(env, qtbot, monkeypatch):
    from convviz.gui.mainwindow import MainWindow
    (env / "data").mkdir()
    scene = replace(lessons.forward_stride(), title="boom")
    scene.save(env / "data" / "autosave.json")
    shown = MainWindow._on_changed

    def on_changed(self):
        if self.doc.scene.title == "boom":
            raise RuntimeError("a view failed")
        shown(self)

    monkeypatch.setattr(MainWindow, "_on_changed", on_changed)
    win = make_window(ask_restore=lambda p: True)
    qtbot.addWidget(win)
    assert win.doc.scene.title == ""
    assert "a view failed; it is kept as autosave-damaged-" in win.editors.problem_label.text()
    assert len(list((env / "data").glob("autosave-damaged-*.json"))) == 1


def test_an_autosave_with_an_html_title_restores_as_plain_text(env, qtbot):
    (env / "data").mkdir()
    scene = replace(lessons.forward_stride(), title=IMG)
    scene.save(env / "data" / "autosave.json")
    win = make_window(ask_restore=lambda p: True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.doc.scene.title == IMG and "&lt;img" in win.stage.lesson_banner.text()


# ------------------------------------------------------------ fuzz: mutated lessons through every entry

LESSON_DICTS = [json.loads(f.read_text()) for f in lessons.lesson_files()]
FIELDS = ["format", "version", "title", "text", "path", "position", "config", "tensors",
          *(f"config.{k}" for k in BlockConfig.__dataclass_fields__),
          *(f"tensors.{t}" for t in ("x", "w", "b", "target", "dp")),
          *(f"tensors.{t}.{k}" for t in ("x", "w") for k in ("shape", "data"))]

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(-2**70, 2**70),
    st.sampled_from([0, 1, 2, 1024, 1025, 2**31, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["", "1", "1.5", "same", "valid", IMG]),
    st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)
plausible = st.sampled_from([1, 2, 3, [1, 2], [2, 2], [[1, 0], [0, 2]], "same", "valid", "max", "avg", "none",
                             "relu", "sigmoid", "leaky_relu", "tanh", "reflect", "circular", "replicate", "one_hot",
                             "half_squared_error", "given", True, False, 0.5, -3.0, [0, 0, 1, 1], IMG])
CONFIG_FIELDS = [f for f in FIELDS if f.startswith("config.")]


def _get(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _set(d, path, value):
    *head, last = path.split(".")
    for k in head:
        if not isinstance(d.get(k), dict):
            return
        d = d[k]
    if value is ...:
        d.pop(last, None)
    else:
        d[last] = value


@st.composite
def mutated_files(draw) -> str:
    d = copy.deepcopy(draw(st.sampled_from(LESSON_DICTS)))
    for _ in range(draw(st.integers(0, 2))):
        field = draw(st.sampled_from(FIELDS) | st.sampled_from(CONFIG_FIELDS) | st.sampled_from(CONFIG_FIELDS))
        kind = draw(st.sampled_from(["plausible", "plausible", "value", "delete", "nest", "scale", "resize"]))
        old = _get(d, field)
        if kind == "plausible":
            _set(d, field, draw(plausible))
        elif kind == "value":
            _set(d, field, draw(json_values))
        elif kind == "delete":
            _set(d, field, ...)
        elif kind == "nest":
            _set(d, field, [old] if draw(st.booleans()) else {"v": old})
        elif kind == "scale" and isinstance(old, list) and old and all(isinstance(v, int) for v in old):
            f = draw(st.sampled_from([0, -1, 2, 1000, 10**6]))
            _set(d, field, [v * f for v in old])
        elif kind == "resize":                    # a consistent bigger or smaller tensor
            t = draw(st.sampled_from(["x", "w", "dp", "target"]))
            entry = _get(d, f"tensors.{t}")
            if isinstance(entry, dict) and isinstance(entry.get("shape"), list) and len(entry["shape"]) == 4:
                side = draw(st.sampled_from([1, 2, 7, 64, 1025]))
                shape = entry["shape"][:2] + [side, side]
                n = math.prod(s for s in shape if isinstance(s, int))
                d["tensors"][t] = {"shape": shape, "data": [0.5] * min(n, 2**21)}
    text = json.dumps(d)
    damage = draw(st.sampled_from(["none"] * 8 + ["truncate", "brackets"]))
    if damage == "truncate":
        text = text[:draw(st.integers(0, len(text)))]
    elif damage == "brackets":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + "[" * draw(st.sampled_from([3, 20, 5000])) + text[at:]
    return text


@settings(max_examples=200)
@given(text=mutated_files())
def test_fuzz_the_loader_answers_a_scene_or_a_value_error(tmp_path_factory, text):
    f = tmp_path_factory.mktemp("fuzz") / "s.json"
    f.write_text(text)
    try:
        load_scene(f)
    except ValueError as exc:
        assert str(exc) and len(str(exc)) < 600


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])   # one folder for all
@given(text=mutated_files(), path=st.sampled_from(PATHS), fmt=st.sampled_from(["png", "svg"]))
def test_fuzz_both_commands_exit_0_or_2_and_write_only_into_the_output_folder(env, capsys, text, path, fmt):
    scene = env / "in" / "s.json"
    scene.parent.mkdir(exist_ok=True)
    scene.write_text(text)
    work = env / "work"
    for args in (["export", scene, "--path", path, "--out", "out", "--step", 0, "--format", fmt, "--width", 400],
                 ["--scene", scene, "--screenshot", "out/shot.png", "--path", path]):
        code, err = run(capsys, *args)
        assert code in (0, 2) and "Traceback" not in err, err
        if code == 2:
            one_line(err)
        assert all(p.startswith("out") for p in written(work)), written(work)
    assert scene.read_text() == text
