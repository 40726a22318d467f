"""Networks of blocks: PyTorch's gradients for every block on both backends, the chain checks,
the scene file's network section, and the selected block's pipeline."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from convviz.core.network import MAX_BLOCKS, Block, Network
from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene, load_scene, scene_from_dict
from convviz.core.paths.model import StepModel
from convviz.core.training import Training
from tests.conftest import assert_close

FIXTURE = Path(__file__).parents[1] / "data" / "network_fixture.npz"


def fixture_cases():
    d = np.load(FIXTURE)
    meta = json.loads(bytes(d["meta"]).decode())
    for m in meta:
        cid = m["id"]
        blocks = []
        for k, c in enumerate(m["blocks"]):
            cfg = {key: (tuple(v) if isinstance(v, list) else v) for key, v in c.items()}
            loss = dict(loss=m["loss"], one_hot_cell=tuple(m["one_hot_cell"])) if k == len(m["blocks"]) - 1 else {}
            blocks.append(Block(d[f"{cid}.{k}.w"], d.get(f"{cid}.{k}.b"), BlockConfig(**cfg, **loss)))
        target = d[f"{cid}.target"] if f"{cid}.target" in d.files else None
        expected = {key[len(cid) + 1:]: d[key] for key in d.files if key.startswith(cid + ".")}
        yield cid, Network(d[f"{cid}.x"], tuple(blocks), target), expected


def test_the_fixture_covers_stacks_of_every_height_pooling_and_loss():
    cases = list(fixture_cases())
    assert {len(n.blocks) for _, n, _ in cases} == {1, 2, 3, 4}
    assert {b.config.pool for _, n, _ in cases for b in n.blocks} == {"none", "max", "avg"}
    assert {n.loss_config.loss for _, n, _ in cases} == {"sum", "one_hot", "half_squared_error"}


def test_every_blocks_gradients_match_pytorch(backend):
    """dW, db, dX and P of every block of 24 random stacks, against PyTorch's (float64) numbers."""
    for cid, net, want in fixture_cases():
        r = net.compute(backend)
        assert float(r.loss) == pytest.approx(float(want["loss"]), rel=1e-4, abs=1e-4), cid
        for k, (blk, br) in enumerate(zip(net.blocks, r.blocks)):
            terms = int(np.prod(blk.w.shape[1:])) * 4 ** (len(net.blocks) - k)
            assert_close(br.p, want[f"{k}.p"], terms=terms, what=f"{cid} block {k + 1} P")
            assert_close(br.dw, want[f"{k}.dw"], terms=terms * br.dz[0, 0].size, what=f"{cid} block {k + 1} dW")
            assert_close(br.dx, want[f"{k}.dx"], terms=terms, what=f"{cid} block {k + 1} dX")
            if blk.b is not None:
                assert_close(br.db, want[f"{k}.db"], terms=terms * br.dz[0, 0].size, what=f"{cid} block {k + 1} db")
            if k:
                assert np.array_equal(r.blocks[k - 1].dp, br.dx)        # dX hands over as the dP below
                assert np.array_equal(r.inputs[k], r.blocks[k - 1].p)


def _block(cin, cout, **cfg):
    rng = np.random.default_rng(cin * 10 + cout)
    return Block(rng.standard_normal((cout, cin, 3, 3)).astype(np.float32), None, BlockConfig(**cfg))


X = np.random.default_rng(5).standard_normal((1, 2, 12, 12)).astype(np.float32)


def test_a_block_that_does_not_fit_the_one_below_is_named_with_what_to_change():
    with pytest.raises(ValueError, match=r"block 2: its kernel reads 4 channel\(s\).*block 1 gives 3.*"
                                         r"of shape \(1, 3, 3, 3\) or give block 1 4 filter\(s\)"):
        Network(X, (_block(2, 3), _block(4, 1))).compute("numpy")
    with pytest.raises(ValueError, match=r"block 1: .*the input x has 2"):
        Network(X, (_block(3, 1),)).shapes()
    small = (_block(2, 2, padding=0, pool="max"), _block(2, 2, padding=0, pool="max"),
             _block(2, 1, padding=1, pool="max", pool_kernel=(3, 3)))
    with pytest.raises(ValueError, match=r"block 3: its 3×3 pool window does not fit"):
        Network(X, small).shapes()
    with pytest.raises(ValueError, match=f"1 to {MAX_BLOCKS} blocks; got 5"):
        Network(X, (_block(2, 2),) * 5)
    with pytest.raises(ValueError, match="1 to 4 blocks; got 0: add a block"):
        Network(X, ())


def test_shapes_follow_the_chain():
    net = Network(X, (_block(2, 3, padding=1, pool="max"), _block(3, 2, padding=0, pool="none"),
                      _block(2, 1, padding=1, stride=(2, 2), pool="none")))
    assert net.shapes() == [((1, 2, 12, 12), (1, 3, 6, 6)), ((1, 3, 6, 6), (1, 2, 4, 4)),
                            ((1, 2, 4, 4), (1, 1, 2, 2))]


def two_block_scene(selected=1):
    b1 = _block(2, 3, padding=1, pool="max", activation="tanh")
    b2 = _block(3, 1, padding=1, pool="none", activation="identity", loss="half_squared_error")
    s = Scene(X, b1.w, config=b1.config, target=np.ones((1, 1, 6, 6), np.float32), above=(b2,))
    return s.select(selected)


def test_the_selected_block_is_a_one_block_pipeline_fed_by_the_network():
    s = two_block_scene(0)
    r = s.network().compute("numpy")
    bottom = s.pipeline("numpy").compute()                        # fed the dP that comes back from block 2
    assert s.pipeline("numpy").config.loss == "given"
    assert np.array_equal(bottom.dw, r.blocks[0].dw) and np.array_equal(bottom.dx, r.blocks[0].dx)
    top = s.select(1)
    assert top.selected == 1 and top.w.shape == (1, 3, 3, 3)
    t = top.pipeline("numpy")
    assert np.array_equal(t.tensors.x, r.blocks[0].p) and t.config.loss == "half_squared_error"
    assert np.array_equal(t.compute().dw, r.blocks[1].dw) and t.compute().loss == pytest.approx(r.loss)
    sm = StepModel(top.pipeline("numpy"))                         # every one-block path works on any block
    for name in sm.available():
        assert sm.path(name).n_positions >= 1


def test_every_setting_of_every_block_round_trips():
    from tests.core.torchcode_cases import NETWORKS, network_scene
    for name in NETWORKS:
        s = network_scene(name)
        back = scene_from_dict(json.loads(json.dumps(s.to_dict())))
        assert [b.config for b in back.blocks()] == [b.config for b in s.blocks()] and back.selected == s.selected
        assert back.training == s.training and back.network().compute("numpy").loss == s.network().compute("numpy").loss


def test_a_network_scene_round_trips_as_version_3_and_one_block_stays_version_2(tmp_path):
    s = replace(two_block_scene(1), training=Training(0.02, 0.9, 300))
    s.save(tmp_path / "net.json")
    d = json.loads((tmp_path / "net.json").read_text())
    assert d["version"] == 3 and len(d["network"]["below"]) == 1 and d["network"]["above"] == []
    back = load_scene(tmp_path / "net.json")
    assert back.selected == 1 and back.training == Training(0.02, 0.9, 300)
    assert [b.config for b in back.blocks()] == [b.config for b in s.blocks()]
    assert all(np.array_equal(a.w, b.w) for a, b in zip(back.blocks(), s.blocks()))
    one = Scene(X, _block(2, 1).w)
    assert one.to_dict()["version"] == 2 and "network" not in one.to_dict()
    assert scene_from_dict(one.to_dict()).blocks()[0].w.shape == (1, 2, 3, 3)


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["tensors"].update(w={"shape": [1, 5, 3, 3], "data": [0.0] * 45}),
     r"block 2: its kernel reads 5 channel\(s\) \(5 × 1 group\(s\)\) but block 1 gives 3"),
    (lambda d: d["network"]["below"][0]["w"].update(shape=[3, 2, 3]), r"network.below\[0\].w.shape: must be"),
    (lambda d: d["network"]["below"][0]["config"].update(stride=0), r"network.below\[0\].config.stride: 0 is too"),
    (lambda d: d["network"]["training"].update(lr=-1), r"network.training.lr: -1 must be above 0"),
    (lambda d: d["network"]["training"].update(momentum=1.5), r"network.training.momentum"),
    (lambda d: d["network"]["training"].update(steps=0), r"network.training.steps: 0 is too small"),
    (lambda d: d["network"].update(above=[d["network"]["below"][0]] * 3), r"network: holds 5 blocks.*at most 4"),
    (lambda d: d["network"].update(sideways=[]), r"network: unknown field"),
    (lambda d: d.update(version=2), r"network: needs version 3"),
    (lambda d: d["network"]["below"][0].update(b={"shape": [2], "data": [0.0, 1.0]}),
     r"network.below\[0\].b.shape: \[2\] must be \[3\]"),
])
def test_a_bad_network_section_names_the_field(edit, message):
    d = two_block_scene(1).to_dict()
    edit(d)
    with pytest.raises(ValueError, match=message):
        scene_from_dict(d)
