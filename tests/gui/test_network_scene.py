"""A network lesson in today's window: the selected block is shown, fed by the others, and an
autosave keeps the whole network (the window edits only the selected block's own tensors)."""
from __future__ import annotations

import numpy as np

from convviz.core.lessons import lessons_dir
from convviz.core.scene import load_scene


def test_a_network_lesson_shows_its_selected_block_and_autosaves_whole(window, tmp_path):
    lesson = lessons_dir() / "004-delta-chain.json"
    assert window.open_lesson(lesson)
    scene = load_scene(lesson)
    r = scene.network().compute("numpy")
    shown = window.doc.results
    np.testing.assert_allclose(shown.dz, r.blocks[0].dz, rtol=1e-5, atol=1e-6)   # block 1 fed from block 2
    window.doc.autosave(wait=True)
    back = load_scene(tmp_path / "data" / "autosave.json")
    assert len(back.blocks()) == 2 and back.selected == 0
    assert np.array_equal(back.x, scene.x) and np.array_equal(back.target, scene.target)
    assert back.blocks()[-1].config.loss == "half_squared_error" and back.config == scene.config
    assert back.network().compute("numpy").loss == r.loss
