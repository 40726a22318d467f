"""The delta-chain path: one stage per step of the chain from the loss down through every block,
each naming its layer, its formula and its numbers; its tensors are PyTorch's (stored fixture)."""
from __future__ import annotations

import numpy as np
import pytest

from convviz.core import lessons
from convviz.core.gradcheck import nudge
from convviz.core.paths.model import StepModel
from convviz.core.scene import Scene, load_scene
from convviz.core.session import Session
from tests.core.test_network import fixture_cases

SUP = "⁰¹²³⁴"


def chain_path(scene: Scene):
    s = Session(scene, "numpy")
    return StepModel(s.compute(), (scene.network(), s.fed())).path("delta-chain")


def test_the_lesson_opens_on_the_chain_whose_stages_name_their_layers():
    scene = load_scene(lessons.lessons_dir() / "004-delta-chain.json")
    assert scene.path == "delta-chain"
    path = chain_path(scene)
    layers = [st.text.split(". ")[0] + "." for st in path.stages]
    assert layers == ["Layer: loss."] + ["Layer: block 2."] * 3 + ["Layer: block 1."] * 4
    assert [st.title.split(":")[0] for st in path.stages[1:]] == ["Block 2"] * 3 + ["Block 1"] * 4
    assert path.stages[5].formula.startswith("δ¹ = dZ¹ = pool′(δ² ⋆ W′²) ⊙ σ′(z¹)")
    r = scene.network().compute("numpy")
    gate = path.stages[5]                                  # block 1's gate: σ′ of the sigmoid, by hand
    z = r.blocks[0].z.astype(np.float64)
    sig = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(gate.shown(gate.tensors[1].role), sig * (1 - sig), rtol=1e-5)
    step = gate.step(0)
    da, g = float(r.blocks[0].da[step.cell]), float((sig * (1 - sig))[step.cell])
    assert f"= {da:.4g} × {g:.4g} = " in step.formula
    assert step.value == pytest.approx(da * g, rel=1e-5)
    assert step.highlights == {s.role: [step.cell] for s in gate.tensors}      # dA, σ′(Z) and δ: one cell
    pool = path.stages[4].step(0)                      # a dA¹ cell and the dP¹ cell of its 2×2 window
    n, c, y, x = pool.cell
    assert pool.highlights[path.stages[4].tensors[0].role] == [(n, c, y // 2, x // 2)]


def test_every_blocks_numbers_on_the_path_are_pytorchs():
    for cid, net, want in list(fixture_cases())[:8]:
        scene = Scene(net.x, net.blocks[0].w, target=net.target).with_blocks(net.blocks, len(net.blocks) - 1)
        stages = chain_path(scene).stages
        for k in range(len(net.blocks)):
            l = SUP[k + 1]
            hand = next(st for st in stages if st.key == f"handover-block {k + 1}")
            np.testing.assert_allclose(hand.tensors[-1].data, want[f"{k}.dx"], rtol=1e-4, atol=1e-5, err_msg=cid)
            kern = next(st for st in stages if st.key == f"kernel-block {k + 1}")
            assert kern.tensors[0].role.name == f"dW{l}"
            np.testing.assert_allclose(kern.tensors[0].data, want[f"{k}.dw"], rtol=1e-4, atol=1e-5, err_msg=cid)


def test_a_one_block_scene_has_a_chain_of_one_block():
    path = StepModel(Session(lessons.activation_gate(), "numpy").compute()).path("delta-chain")
    assert [st.key for st in path.stages][0] == "loss-loss"
    assert all(st.text.startswith("Layer: block 1. ") for st in path.stages[1:])


def test_the_lesson_has_no_ties_in_its_pooling_windows_so_a_nudge_is_two_sided():
    net = lessons.delta_chain().network()
    r = net.compute("numpy")
    a = r.blocks[0].a[0]
    for c in range(a.shape[0]):
        for i in range(3):
            for j in range(3):
                top = np.sort(a[c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].ravel())
                assert top[-1] - top[-2] > 1e-3, (c, i, j)
    for cell in [(0, 0, y, x) for y in range(0, 6, 2) for x in range(1, 6, 2)]:
        up, down = (nudge(net, 0, "x", cell, eps=e, results=r) for e in (1e-4, -1e-4))
        assert up["delta_loss"] == pytest.approx(up["predicted"], rel=2e-2, abs=1e-8)
        assert down["delta_loss"] == pytest.approx(down["predicted"], rel=2e-2, abs=1e-8)
