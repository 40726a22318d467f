"""The δ chain's steps and numbers, and the nudge check of any cell of any block."""
from __future__ import annotations

import numpy as np
import pytest

from convviz.core import lessons
from convviz.core.delta_chain import CHAIN_FORMULA, delta_chain
from convviz.core.gradcheck import nudge
from tests.core.test_network import fixture_cases
from tests.core.torchcode_cases import network_scene


def test_the_chain_steps_from_the_loss_down_through_every_block():
    s = lessons.delta_chain()
    net = s.network()
    steps = delta_chain(net, backend="numpy")
    assert [(st.layer, st.kind) for st in steps] == [
        ("loss", "loss"), ("block 2", "gate"), ("block 2", "kernel"), ("block 2", "handover"),
        ("block 1", "pool"), ("block 1", "gate"), ("block 1", "kernel"), ("block 1", "handover")]
    assert steps[3].title == "Block 2: dX² becomes block 1's dP¹"
    assert steps[5].formula.startswith("δ¹ = dZ¹ = pool′(δ² ⋆ W′²) ⊙ σ′(z¹)")
    assert CHAIN_FORMULA in s.title and "δˡ = (δˡ⁺¹ ⋆ W′ˡ⁺¹) ⊙ σ′(zˡ)" in s.text


def test_the_numbers_are_those_of_the_definition():
    """Each step's arrays and the one cell it writes out, against σ, the pooling and the loss by hand."""
    s = lessons.delta_chain()
    net = s.network()
    r = net.compute("numpy")
    steps = {(st.layer, st.kind): st for st in delta_chain(net, r)}
    p2 = r.blocks[1].p
    loss = steps[("loss", "loss")]
    np.testing.assert_allclose(loss.arrays["dP²"], p2 - 0, rtol=1e-6)               # ½‖P − T‖², T = 0
    c = loss.cell
    assert loss.numbers == f"dP²[{','.join(map(str, c))}] = P − T = {p2[c]:.4g} − 0 = {p2[c]:.4g}"
    gate = steps[("block 1", "gate")]
    z1 = r.blocks[0].z.astype(np.float64)
    sig = 1 / (1 + np.exp(-z1))
    np.testing.assert_allclose(gate.arrays["σ′(Z¹)"], sig * (1 - sig), rtol=1e-5)
    np.testing.assert_allclose(gate.arrays["δ¹ = dZ¹"], gate.arrays["dA¹"] * sig * (1 - sig), rtol=1e-5, atol=1e-7)
    c = gate.cell
    assert f"= {float(gate.arrays['dA¹'][c]):.4g} × {sig[c] * (1 - sig[c]):.4g} = " in gate.numbers
    pool = steps[("block 1", "pool")]                 # each 2×2 window's maximum takes the whole dP cell
    da, dp, a = pool.arrays["dA¹"], pool.arrays["dP¹"], r.blocks[0].a
    for i in range(dp.shape[2]):
        for j in range(dp.shape[3]):
            win = a[0, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].reshape(2, 4)
            for ch in range(2):
                k = int(np.argmax(win[ch]))
                assert da[0, ch, 2 * i + k // 2, 2 * j + k % 2] == dp[0, ch, i, j]
    hand = steps[("block 2", "handover")]
    np.testing.assert_array_equal(hand.arrays["dX²"], r.blocks[0].dp)               # dX² is dP¹
    kern = steps[("block 1", "kernel")]
    q = kern.cell[3]
    assert kern.arrays["db¹"][0, 0, 0, q] == pytest.approx(float(r.blocks[0].dz[:, q].sum()), rel=1e-5)


def test_the_chains_gradients_are_pytorchs():
    for cid, net, want in list(fixture_cases())[:6]:
        steps = [st for st in delta_chain(net, backend="numpy") if st.kind == "handover"]
        assert [st.layer for st in steps] == [f"block {k}" for k in range(len(net.blocks), 0, -1)]
        for st in steps:
            k = st.block
            np.testing.assert_allclose(st.arrays[f"dX{'¹²³⁴'[k]}"], want[f"{k}.dx"], rtol=1e-4, atol=1e-5,
                                       err_msg=cid)


@pytest.mark.parametrize("block,tensor,cell", [
    (0, "x", (0, 0, 3, 2)), (0, "w", (1, 0, 2, 1)), (1, "w", (0, 1, 1, 1)), (1, "x", (0, 1, 1, 2)), (0, "b", (0,)),
])
def test_a_nudge_changes_the_loss_by_the_gradient_times_epsilon(block, tensor, cell):
    net = network_scene("two-blocks-momentum").network()    # random values: no ties in a max-pool window
    r = net.compute("numpy")
    out = nudge(net, block, tensor, cell, eps=1e-4, results=r)
    assert out["delta_loss"] != 0
    assert out["delta_loss"] == pytest.approx(out["predicted"], rel=2e-2, abs=1e-9)
    assert out["predicted"] == pytest.approx(out["gradient"] * 1e-4)


def test_a_nudge_outside_the_network_is_refused():
    net = lessons.delta_chain().network()
    with pytest.raises(ValueError, match="there is no block 3; the network has 2"):
        nudge(net, 2, "w", (0, 0, 0, 0))
    with pytest.raises(ValueError, match=r"the cell \[0, 0, 9, 0\] is outside block 2's W"):
        nudge(net, 1, "w", (0, 0, 9, 0))
    with pytest.raises(ValueError, match="block 1 has no bias"):
        nudge(net, 0, "b", (0,))


def _reaching(spec, w_shape, dz_shape, cell):
    """By the definition: the (δ cell, W tap) pairs of Z = X_pad ⋆ W whose window reads X[cell]."""
    n, c, y, x = cell
    cout, cin_g, kh, kw = w_shape
    cout_g = cout // spec.groups
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    top, left = spec.padding[0], spec.padding[2]
    out = []
    for q in range(cout):
        if q // cout_g != c // cin_g:
            continue
        for i in range(dz_shape[2]):
            for j in range(dz_shape[3]):
                for m in range(kh):
                    for nn in range(kw):
                        if i * sh + m * dh - top == y and j * sw + nn * dw - left == x:
                            out.append(((n, q, i, j), (q, c % cin_g, m, nn)))
    return out


def test_a_hand_over_step_writes_out_and_outlines_every_product_of_its_sum():
    """The δ cells outlined are those whose window reads the dX cell (found by looping over the
    definition), each W′ cell is its W tap rotated, and the products add up to dX."""
    nets = [lessons.delta_chain().network()] + [net for _cid, net, _want in list(fixture_cases())[:8]]
    checked = 0
    for net in nets:
        r = net.compute("numpy")
        for st in delta_chain(net, r):
            if st.kind != "handover":
                continue
            br, s = r.blocks[st.block], "¹²³⁴"[st.block]
            if br.spec.padding_mode != "zeros":
                continue
            want = _reaching(br.spec, br.w_eff.shape, br.dz.shape, st.cell)
            assert sorted(st.reads[f"δ{s}"]) == sorted(z for z, _tap in want)
            kh, kw = br.w_eff.shape[2:]
            wf = st.arrays[f"W′{s}"]
            total = 0.0
            for (z, tap), zc, fc in zip(sorted(want), *zip(*sorted(zip(st.reads[f"δ{s}"], st.reads[f"W′{s}"])))):
                assert zc == z
                q, c, m, nn = tap
                assert wf[fc] == br.w_eff[q, c, m, nn] and fc[2:] == (kh - 1 - m, kw - 1 - nn)
                total += float(br.dz[z]) * float(br.w_eff[tap])
            assert total == pytest.approx(float(br.dx[st.cell]), rel=1e-4, abs=1e-6)
            assert st.numbers.endswith(f"= {float(br.dx[st.cell]):.4g}")
            checked += 1
    assert checked >= 6
