"""The steps of issue #14 show pieces that add up to what they explain: group offsets,
marked cells, dW as a cropped correlation, im2col and Jᵀ·dZ row by row, the padding
fold-back, pooling totals, pad derivations, stamps and subtotals. Expected values come
from the definition (reference, written from it) or from hand arithmetic."""
from __future__ import annotations

import re

import numpy as np
import pytest

from convviz.core import reference, zeros
from convviz.core.geometry import ConvSpec
from convviz.core.paths import roles
from convviz.core.paths.model import StepModel
from convviz.core.pipeline import BlockConfig, Pipeline, Tensors
from convviz.core.three_ways import dx_three_ways


def _model(x, w, b=None, **config) -> StepModel:
    config.setdefault("pool", "none")
    config.setdefault("padding", 0)
    return StepModel(Pipeline(Tensors(np.asarray(x, np.float32), np.asarray(w, np.float32),
                                      None if b is None else np.asarray(b, np.float32)),
                              BlockConfig(**config), "numpy"))


def _stage(sm, path, key):
    return next(s for s in sm.path(path).stages if s.key == key)


def _steps(stage):
    return [stage.step(k) for k in range(stage.n_steps)]


def _definition(sm):
    """dX, dW and db by the chain rule on the definition (reference.conv2d_backward)."""
    x = np.asarray(sm.pipeline.tensors.x, np.float64)
    return reference.conv2d_backward(x, sm.r.w_eff.astype(np.float64), sm.r.dz.astype(np.float64), sm.spec)


def _subtotals(formula: str) -> dict[str, float]:
    """'[c=0] (−9) + [c=1] 10' -> {'c=0': −9, 'c=1': 10}."""
    return {k: float(v.strip("()").replace("−", "-")) for k, v in re.findall(r"\[(\w=\d+)\] (\S+)", formula)}


def _rng_model(seed=0, x_shape=(1, 1, 6, 6), w_shape=(1, 1, 3, 3), **config):
    rng = np.random.default_rng(seed)
    return _model(rng.integers(-3, 4, x_shape), rng.integers(-2, 3, w_shape), **config)


# ---------------------------------------------------------------- groups

def test_with_groups_w_prime_reads_only_cells_w_has_and_the_gather_pairs_within_the_group():
    """W of 4×1×3×3, groups 4: W′[c, 0, m, n′] = W[c, 0, 2−m, 2−n′] (never W[1, 1])."""
    rng = np.random.default_rng(3)
    w = rng.integers(-3, 4, (4, 1, 3, 3))
    sm = _model(rng.integers(-3, 4, (1, 4, 5, 5)), w, groups=4, padding=1)
    flip = _stage(sm, "dx-gather", "flip")
    w_flip = flip.shown(roles.W_FLIP)
    assert w_flip.shape == (4, 1, 3, 3) and flip.n_steps == w_flip.size
    for step in _steps(flip):
        c, qq, m, nn = step.cell
        assert step.highlights[roles.W] == [(c, 0, 2 - m, 2 - nn)] and qq == 0
        assert step.value == w[c, 0, 2 - m, 2 - nn] == w_flip[step.cell]
    assert "g·Cout_g + q′" in flip.formula
    correlate = _stage(sm, "dx-gather", "correlate")
    assert "dZ_pad[n, g·Cout_g + q′" in correlate.formula
    dx, _, _ = _definition(sm)
    for step in _steps(correlate):
        c = step.cell[1]
        assert all(t.a_cell[1] == c and t.b_cell[:2] == (c, 0) for t in step.terms)   # dZ_pad[q = c] · W′[c, 0]
        assert sum(t.product for t in step.terms) == pytest.approx(dx[step.cell])


def test_the_forward_step_reads_the_input_channels_of_its_group():
    rng = np.random.default_rng(4)
    sm = _model(rng.integers(-3, 4, (1, 4, 4, 4)), rng.integers(-2, 3, (6, 2, 2, 2)), groups=2)
    slide = _stage(sm, "forward", "slide")
    assert "g·Cin_g + c" in slide.formula
    for step in _steps(slide):
        g = step.cell[1] // 3
        assert {t.a_cell[1] for t in step.terms} == {2 * g, 2 * g + 1}


# ---------------------------------------------------------------- marked cells

def test_forward_max_pool_marks_its_first_maximum_on_a_and_the_slide_marks_the_bias():
    # 1×1 identity kernel and relu: A = X. Windows 1×2 of [2, 2, 1]: a tie at the start
    sm = _model([[[[2, 2, 1]]]], [[[[1]]]], b=[0.5], pool="max", pool_kernel=(1, 2), pool_stride=(1, 1))
    pool = _stage(sm, "forward", "pool")
    assert roles.A in {s.role for s in pool.tensors}
    first, second = pool.step(0), pool.step(1)
    assert first.marks == {roles.A: [(0, 0, 0, 0)]} and "tie" in first.note and "PyTorch" in first.note
    assert second.marks == {roles.A: [(0, 0, 0, 1)]} and second.note == ""
    slide = _stage(sm, "forward", "slide")
    assert roles.B in {s.role for s in slide.tensors} and slide.step(2).marks == {roles.B: [(0,)]}


# ---------------------------------------------------------------- pooling

def test_max_pooling_steps_show_the_increment_and_the_total():
    # A = [1, 3, 2], windows [1, 3] and [3, 2]: both maxima are A[1]; dP = 1 (sum loss): 1, then 2
    sm = _model([[[[1, 3, 2]]]], [[[[1]]]], pool="max", pool_kernel=(1, 2), pool_stride=(1, 1))
    stage = sm.path("pool").stages[0]
    assert stage.step(0).formula == "dA[0, 0, 0, 1] += 1·1 = 1 → 1"
    assert stage.step(1).formula == "dA[0, 0, 0, 1] += 1·1 = 1 → 2"
    assert stage.step(1).marks == {roles.A: [(0, 0, 0, 1)]}


def test_average_pooling_with_padding_explains_count_include_pad():
    # A = ones 2×2, 3×3 windows, padding 1: each window holds 4 cells and 5 padding zeros
    sm = _model(np.ones((1, 1, 2, 2)), [[[[1]]]], pool="avg", pool_kernel=(3, 3), pool_stride=(1, 1),
                pool_padding=(1, 1))
    forward = _stage(sm, "forward", "pool")
    assert "count_include_pad" in forward.text
    step = forward.step(0)
    assert step.value == pytest.approx(4 / 9) and "5 of the 9 window cells are padding" in step.note
    back = sm.path("pool").stages[0]
    assert "count_include_pad" in back.text
    b0 = back.step(0)
    assert "5 of the 9 shares fall on padding" in b0.note
    assert sum(a for _, a in b0.writes) == pytest.approx(4 / 9)       # what dA gets of dP = 1


# ---------------------------------------------------------------- zeros: pad derivation, unreached rows

def test_the_pad_stage_derives_the_pads_and_unreached_rows_say_why():
    """6×6, 3×3, stride 2, no padding: windows cover rows 0…4; a = 6 − (1·2 + 2 + 1) = 1."""
    sm = _rng_model(stride=(2, 2))
    pad = _stage(sm, "dx-gather", "pad")
    assert pad.formula.splitlines() == zeros.pad_derivation(sm.spec, (6, 6), (2, 2))
    assert "bottom = d(k−1) − p + a = 1·(3−1) − 0 + 1 = 3" in pad.formula
    correlate = _stage(sm, "dx-gather", "correlate")
    row5 = correlate.step(5 * 6 + 0)                 # dX[0, 0, 5, 0]
    assert row5.value == 0 and "row 5 lies after the last window" in row5.note
    assert "row" not in correlate.step(0).note


# ---------------------------------------------------------------- dW as a correlation

def test_dw_as_a_correlation_is_the_correlation_cropped_and_says_what_it_drops():
    sm = _rng_model(stride=(2, 2))
    stage = _stage(sm, "dw", "as-correlation")
    full = stage.shown(roles.CORRELATION_FULL)
    assert full.shape == (1, 1, 4, 4)
    _, dw, _ = _definition(sm)
    np.testing.assert_allclose(full[:, :, :3, :3], dw)
    assert "row 3: what the stride 2 left over (a = 1)" in stage.text and "dropped" in stage.text
    for step in _steps(stage):
        q, c, m, nn = step.cell
        assert sum(t.product for t in step.terms) == pytest.approx(dw[step.cell])
        assert all(t.b_role == roles.DZ_INSERTED and t.b_cell[2] % 2 == 0 for t in step.terms)
        assert "row 3; column 3 are dropped" in step.note and f"[{q}, {c}, {m}, {nn}]" in step.note


def test_with_dilation_dw_is_every_d_th_cell_of_the_correlation():
    sm = _rng_model(seed=5, x_shape=(2, 1, 7, 7), dilation=(2, 2))
    stage = _stage(sm, "dw", "as-correlation")
    full = stage.shown(roles.CORRELATION_PLAIN)
    _, dw, _ = _definition(sm)
    np.testing.assert_allclose(full[:, :, ::2, ::2], dw)
    assert "between the taps" in stage.text


# ---------------------------------------------------------------- im2col, Jᵀ·dZ, fold-back

def test_im2col_gradient_steps_add_up_and_col2im_gives_dx_pad():
    sm = _rng_model(seed=6, x_shape=(2, 2, 4, 4), w_shape=(2, 2, 2, 2), padding=1, stride=(2, 1))
    path = sm.path("im2col")
    dx, dw, _ = _definition(sm)
    dw_stage = next(s for s in path.stages if s.key == "dw")
    for step in _steps(dw_stage):
        assert sum(t.product for t in step.terms) == pytest.approx(step.value)
    np.testing.assert_allclose(dw_stage.shown(roles.DW_ROW).reshape(dw.shape), dw, atol=1e-5)
    cols = next(s for s in path.stages if s.key == "dx")
    for step in _steps(cols):
        assert sum(t.product for t in step.terms) == pytest.approx(step.value)
    col2im = next(s for s in path.stages if s.key == "col2im")
    dx_pad = np.array([sum(t.a for t in s.terms) for s in _steps(col2im)]).reshape(col2im.shown(roles.DX_PAD).shape)
    np.testing.assert_allclose(reference.pad_backward(dx_pad, sm.spec, (4, 4)), dx, atol=1e-5)
    np.testing.assert_allclose(path.last.shown(roles.DX), dx, atol=1e-5)


def test_each_row_of_jt_dotted_with_dz_is_that_dx_cell():
    sm = _rng_model(seed=7, x_shape=(1, 2, 4, 4), w_shape=(3, 2, 2, 2), stride=(2, 2), padding=1)
    stage = _stage(sm, "jacobian", "JT")
    dx, _, _ = _definition(sm)
    dz = sm.r.dz
    for step in _steps(stage):
        assert sum(t.a * float(dz[t.b_cell]) for t in step.terms) == pytest.approx(dx[0][step.cell[1:]], abs=1e-5)
        tw = dx_three_ways(sm.spec, sm.r.w_eff, dz, (4, 4), step.cell)
        assert {t.b_cell: t.a for t in step.terms} == pytest.approx(tw.jt_row)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "circular"])
def test_the_fold_back_adds_the_copies_of_each_cell(mode):
    sm = _rng_model(seed=8, x_shape=(1, 1, 4, 4), padding=1, padding_mode=mode)
    dx, _, _ = _definition(sm)
    rows, cols = sm.spec.pad_maps((4, 4))
    for path in ("dx-scatter", "im2col") + (("dx-gather",) if mode != "zeros" else ()):
        fold = sm.path(path).last
        assert fold.key == "fold"
        for step in _steps(fold):
            y, x = step.cell[2:]
            assert len(step.terms) == int((rows == y).sum() * (cols == x).sum())
            assert sum(t.a for t in step.terms) == pytest.approx(dx[step.cell], abs=1e-5)


# ---------------------------------------------------------------- scatter stamps

def test_the_stamps_add_up_to_dx_and_each_says_before_plus_stamp_equals_after():
    sm = _rng_model(seed=9, x_shape=(1, 2, 4, 4), w_shape=(2, 1, 2, 2), groups=2, stride=(2, 2), padding=1)
    stage = _stage(sm, "dx-scatter", "stamp")
    running = np.zeros(stage.shown(roles.DX_PAD).shape)
    for step in _steps(stage):
        first_cell, first_amount = step.writes[0]
        before = running[first_cell]
        assert first_amount == pytest.approx(step.terms[0].a * step.terms[0].b)
        line = step.note.splitlines()[1]
        assert line.startswith("before + stamp = after: ")
        shown = [float(v.strip("()").replace("−", "-")) for v in re.split(r" \+ | = ", line.split(": ", 1)[1].split(", ")[0])]
        assert shown == pytest.approx([before, first_amount, before + first_amount], abs=0.006)
        for cell, amount in step.writes:
            running[cell] += amount
    dx, _, _ = _definition(sm)
    np.testing.assert_allclose(reference.pad_backward(running, sm.spec, (4, 4)), dx, atol=1e-5)
    assert "onto channels 1…1 (group 1)" in stage.step(stage.n_steps - 1).note


# ---------------------------------------------------------------- subtotals in the formula

def test_sums_over_channels_and_samples_show_their_subtotals():
    rng = np.random.default_rng(10)
    x, w = rng.integers(-3, 4, (2, 2, 4, 4)), rng.integers(-2, 3, (3, 2, 2, 2))
    sm = _model(x, w)
    step = _stage(sm, "forward", "slide").step(5)
    n, q, i, j = step.cell
    sub = _subtotals(step.formula)
    for c in range(2):                   # a channel's subtotal is Z with the other channel zeroed
        only = np.zeros_like(x)
        only[:, c] = x[:, c]
        z = reference.conv2d(only.astype(np.float64), w.astype(np.float64), None, sm.spec)
        assert sub[f"c={c}"] == pytest.approx(z[step.cell], abs=0.006)
    assert step.note.startswith("products: ")
    dx, dw, db = _definition(sm)
    gather = _stage(sm, "dx-gather", "correlate").step(7)
    assert set(_subtotals(gather.formula)) == {"q=0", "q=1", "q=2"}
    assert sum(_subtotals(gather.formula).values()) == pytest.approx(dx[gather.cell], abs=0.02)
    tap = _stage(sm, "dw", "shift").step(3)
    for n in range(2):                   # a sample's subtotal is dW of that sample alone
        _, dw_n, _ = reference.conv2d_backward(x[n:n + 1].astype(np.float64), w.astype(np.float64),
                                               sm.r.dz[n:n + 1].astype(np.float64), sm.spec)
        assert _subtotals(tap.formula)[f"n={n}"] == pytest.approx(dw_n[tap.cell], abs=0.006)
    db_step = sm.path("db").stages[0].step(1)
    assert _subtotals(db_step.formula) == pytest.approx({f"n={n}": float(sm.r.dz[n, 1].sum()) for n in range(2)},
                                                       abs=0.006)


def test_cells_print_numbers_in_at_most_six_characters():
    """By hand: the exponent loses its leading zeros, so a small gradient fits its cell."""
    from convviz.core.paths.common import short_number
    assert short_number(0.0013) == "1.3e−3"
    assert short_number(-0.0027) == "−2.7e−3"
    assert short_number(123456.0) == "1.2e5"
    assert short_number(0.25) == "0.25" and short_number(-3.5) == "−3.5" and short_number(2446.0) == "2446"
