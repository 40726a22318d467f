"""A lecturer's sweep: many random valid scenes, every path, every position.

For each scene (seeded): every position of every path builds; each step's formula shows
the numbers of the cell it writes (``_assert_formula_numbers``, worked out by hand);
the terms or the subtotals add up to the value; every highlighted or marked cell lies
inside the tensor of its role that the stage shows; and each path's last stage equals
the gradient computed here from the definitions (:mod:`convviz.core.reference`, the
activations and losses written out by hand below).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from convviz.core import predict, reference, zeros
from convviz.core.paths import roles
from convviz.core.three_ways import dw_three_ways, dx_three_ways
from convviz.core.paths.model import StepModel
from convviz.core.pipeline import BlockConfig, Pipeline, Tensors
from convviz.core.spec import PoolSpec, make_conv_spec
from tests.conftest import assert_close
from tests.core.test_steps import LAST_ROLE, _assert_formula_numbers

SLOPE = 0.01
# σ, σ′, a bound on |σ′| and on |σ″|, by hand
ACTS = {
    "identity": (lambda z: z, lambda z: 1.0, 1.0, 0.0),
    "relu": (lambda z: max(z, 0.0), lambda z: float(z > 0), 1.0, 0.0),
    "leaky_relu": (lambda z: z if z > 0 else SLOPE * z, lambda z: 1.0 if z > 0 else SLOPE, 1.0, 0.0),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, 0.25, 0.1),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2, 1.0, 0.77),
}
LOSSES = ("sum", "one_hot", "half_squared_error", "given")
MODES = ("zeros", "reflect", "replicate", "circular")
N_SCENES = 120


def _padding(rng, kind):
    if kind == "int":
        return int(rng.integers(0, 4))
    if kind == "pair":
        return (int(rng.integers(0, 4)), int(rng.integers(0, 4)))
    if kind == "asym":
        return tuple((int(rng.integers(0, 4)), int(rng.integers(0, 4))) for _ in range(2))
    return kind


def scene(seed: int):
    """A random valid scene: (Tensors, BlockConfig), drawn until PyTorch would accept it."""
    rng = np.random.default_rng(seed)
    while True:
        groups = int(rng.choice([1, 1, 2, 3, 4]))
        cin = groups * int(rng.integers(1, 4 // groups + 1))
        cout = groups * int(rng.integers(1, 4 // groups + 1))
        kh, kw = (int(v) for v in rng.integers(1, 6, 2))
        stride = tuple(int(v) for v in rng.integers(1, 4, 2))
        dilation = tuple(int(v) for v in rng.integers(1, 4, 2))
        kind = str(rng.choice(["int", "pair", "asym", "same", "valid"]))
        if kind == "same":
            stride = (1, 1)
        padding = _padding(rng, kind)
        mode = str(rng.choice(MODES))
        n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 9))
        try:
            spec = make_conv_spec((kh, kw), stride=stride, padding=padding, dilation=dilation, groups=groups,
                                  padding_mode=mode)
        except ValueError:
            continue
        t, b, l, r = spec.padding
        if mode == "reflect" and not (max(t, b) < h and max(l, r) < w):
            continue
        if mode == "circular" and not (max(t, b) <= h and max(l, r) <= w):
            continue
        oh, ow = spec.output_size((h, w))
        if oh < 1 or ow < 1:
            continue
        pool = str(rng.choice(["none", "max", "avg"]))
        pk = (int(rng.integers(1, min(oh, 3) + 1)), int(rng.integers(1, min(ow, 3) + 1)))
        ps = None if rng.random() < 0.3 else tuple(int(v) for v in rng.integers(1, 3, 2))
        pp = (int(rng.integers(0, pk[0] // 2 + 1)), int(rng.integers(0, pk[1] // 2 + 1)))
        if pool != "none" and min(PoolSpec(pk, ps or pk, pp).output_size((oh, ow))) < 1:
            continue
        loss = str(rng.choice(LOSSES))
        x = rng.integers(-3, 4, (n, cin, h, w)).astype(np.float32)
        if rng.random() < 0.5:                       # also fractions, where rounding shows
            x = rng.standard_normal((n, cin, h, w)).astype(np.float32)
        if rng.random() < 0.25:                      # large and tiny numbers, where formats change
            x = (x * 10.0 ** int(rng.integers(-4, 5))).astype(np.float32)
        wt = rng.integers(-2, 3, (cout, cin // groups, kh, kw)).astype(np.float32)
        bias = None if rng.random() < 0.3 else rng.integers(-2, 3, cout).astype(np.float32)
        cfg = BlockConfig(stride=stride, padding=padding, dilation=dilation, groups=groups, padding_mode=mode,
                          true_convolution=bool(rng.random() < 0.3), activation=str(rng.choice(list(ACTS))),
                          pool=pool, pool_kernel=pk, pool_stride=ps, pool_padding=pp, loss=loss)
        p_shape = (n, cout) + (PoolSpec(pk, ps or pk, pp).output_size((oh, ow)) if pool != "none" else (oh, ow))
        target = rng.integers(-2, 3, p_shape).astype(np.float32) if loss == "half_squared_error" else None
        dp = rng.integers(-2, 3, p_shape).astype(np.float32) if loss == "given" else None
        if loss == "one_hot":
            cfg = BlockConfig(**{**cfg.__dict__, "one_hot_cell": tuple(int(rng.integers(0, s)) for s in p_shape)})
        return Tensors(x, wt, bias, target, dp), cfg


def direct(t: Tensors, c: BlockConfig) -> dict:
    """Every gradient of the block from the definitions, in float64 (A rounded to float32)."""
    x = t.x.astype(np.float64)
    w = t.w.astype(np.float64)[:, :, ::-1, ::-1] if c.true_convolution else t.w.astype(np.float64)
    spec = make_conv_spec(w.shape[2:], **c.conv_args())
    z = reference.conv2d(x, w, None if t.b is None else t.b.astype(np.float64), spec)
    f, fp = np.vectorize(ACTS[c.activation][0]), np.vectorize(ACTS[c.activation][1])
    a = f(z).astype(np.float32).astype(np.float64)    # as PyTorch holds it: a max pool's ties are float32 ties
    if c.pool != "none":
        ps = PoolSpec(tuple(c.pool_kernel), tuple(c.pool_stride or c.pool_kernel), tuple(c.pool_padding))
        p = reference.max_pool2d(a, ps)[0] if c.pool == "max" else reference.avg_pool2d(a, ps)
    else:
        p = a
    dp = {"sum": np.ones_like(p), "half_squared_error": p - (t.target if t.target is not None else 0),
          "given": t.dp, "one_hot": np.zeros_like(p)}[c.loss].astype(np.float64)
    if c.loss == "one_hot":
        dp[tuple(c.one_hot_cell)] = 1.0
    if c.pool == "max":
        da = reference.max_pool2d_backward(a, dp, ps)
    elif c.pool == "avg":
        da = reference.avg_pool2d_backward(a.shape, dp, ps)
    else:
        da = dp
    dz = da * fp(z)
    dx, dw, db = reference.conv2d_backward(x, w, dz, spec)
    if c.true_convolution:
        dw = dw[:, :, ::-1, ::-1]
    return {"dP": dp, "dA": da, "dZ": dz, "dX": dx, "dW": dw, "db": db, "dX¹": dx}


def _check_cells(step, stage, k, where):
    """Each highlighted or marked cell lies inside the tensor of its role the stage shows."""
    shown = {s.role: np.shape(s.data) for s in stage.tensors_at(k)}
    for what, cells in (("highlight", step.highlights), ("mark", step.marks)):
        for role, cs in cells.items():
            assert role in shown, f"{where}: a {what} of {role.name}, which the stage does not show"
            shape = shown[role]
            for cell in cs:
                assert len(cell) == len(shape) and all(0 <= i < s for i, s in zip(cell, shape)), \
                    f"{where}: {what} {role.name}{tuple(cell)} outside {shape}"


def sweep_scene(seed: int):
    t, c = scene(seed)
    sm = StepModel(Pipeline(t, c, "numpy"))
    want = direct(t, c)
    for name in sm.available():
        path = sm.path(name)
        for pos in range(path.n_positions):
            si, k = path.position(pos)
            stage = path.stages[si]
            where = f"seed {seed} {c} path {name} stage {stage.key} step {k}"
            tensors = stage.tensors_at(k)
            assert all(np.shape(s.data) for s in tensors), where
            if k is None:
                continue
            step = stage.step(k)
            _check_cells(step, stage, k, where)
            if step.writes:
                for (cell, amount), term in zip(step.writes, step.terms):
                    assert amount == pytest.approx(term.product), where
            elif len(step.terms) and name != "delta-chain":
                assert step.value == pytest.approx(sum(t.product for t in step.terms) + step.constant,
                                                   rel=1e-4, abs=1e-4 * max(1, len(step.terms))), where
            if name != "delta-chain":
                try:
                    _assert_formula_numbers(step, stage, ACTS[c.activation])
                except AssertionError as e:
                    raise AssertionError(f"{where}: {e}") from None
        for stage in path.stages:          # a kernel is named as the person wrote it: W (or K), and K′ = rot180(K)
            for shown in stage.tensors:
                if shown.role in (roles.W, roles.K):
                    np.testing.assert_array_equal(shown.data, t.w, err_msg=f"{where}: {stage.key} {shown.role.name}")
                if shown.role == roles.K_FLIP:
                    np.testing.assert_array_equal(shown.data, t.w[:, :, ::-1, ::-1], err_msg=f"{where}: {stage.key}")
        if name == "dx-gather":
            _check_pad_derivation(next(s for s in path.stages if s.key == "pad"), sm, where)
        role = LAST_ROLE[name]
        got = next(s.data for s in path.last.tensors if role in (s.role, s.role.name))
        expected = want[role][:1] if name == "jacobian" else want[role]
        assert_close(got, expected, terms=sm.r.dz.size * 4, what=f"seed {seed} {name}")


def _check_pad_derivation(stage, sm, where):
    """'top = d(k−1) − p = 2·(3−1) − 1 = 3' and 'bottom = d(k−1) − p + a = … = 4   (a = 9 − ((3−1)·2 + 2·(3−1) + 1) = …)':
    the arithmetic holds, p is the padding (0 with a copying mode), a is what the stride left over
    (worked out here), and the amounts pad dZ↑0 to the dZ_pad shown."""
    spec, hw, out_hw = sm.spec, sm.x_hw, sm.r.dz.shape[2:]
    lines = stage.formula.splitlines()
    assert len(lines) == 4, where
    dz_pad = stage.shown(roles.DZ_PAD)
    for axis in (0, 1):
        before, after = lines[2 * axis], lines[2 * axis + 1]
        k, s, d = spec.kernel[axis], spec.stride[axis], spec.dilation[axis]
        pb, pa = spec.padding[2 * axis:2 * axis + 2] if spec.padding_mode == "zeros" else (0, 0)
        m = re.match(r"\w+ = d\(k−1\) − p = (\d+)·\((\d+)−1\) − (\d+) = (-?\d+)", before)
        assert m and [int(v) for v in m.groups()] == [d, k, pb, d * (k - 1) - pb], f"{where}: {before}"
        m = re.match(r"\w+ = d\(k−1\) − p \+ a = (\d+)·\((\d+)−1\) − (\d+) \+ (\d+) = (-?\d+)", after)
        size_p = hw[axis] + sum(spec.padding[2 * axis:2 * axis + 2])
        a = size_p - ((out_hw[axis] - 1) * s + d * (k - 1) + 1)
        assert m and [int(v) for v in m.groups()] == [d, k, pa, a, d * (k - 1) - pa + a], f"{where}: {after}"
        if a:
            assert f"(a = {size_p} − (({out_hw[axis]}−1)·{s} + {d}·({k}−1) + 1) = {a} " in after, f"{where}: {after}"
        top, bottom = d * (k - 1) - pb, d * (k - 1) - pa + a
        assert dz_pad.shape[2 + axis] == (out_hw[axis] - 1) * s + 1 + top + bottom, where


@pytest.mark.parametrize("seed", range(N_SCENES))
def test_every_position_of_every_path(seed):
    sweep_scene(seed)


def _reach(spec, hw, out_hw):
    """By brute force: which padded rows/columns some tap reads, and which input cells they copy."""
    rows, cols = spec.pad_maps(hw)
    hp, wp = len(rows), len(cols)
    read = np.zeros((hp, wp), bool)
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            for m in range(spec.kernel[0]):
                for nn in range(spec.kernel[1]):
                    read[spec.stride[0] * i + spec.dilation[0] * m, spec.stride[1] * j + spec.dilation[1] * nn] = True
    got = np.zeros(hw, bool)
    for a, b in zip(*np.nonzero(read)):
        if rows[a] >= 0 and cols[b] >= 0:
            got[rows[a], cols[b]] = True
    return read, got


@pytest.mark.parametrize("seed", range(N_SCENES))
def test_three_ways_and_zero_kinds_agree_with_the_definition(seed):
    """Every dX cell three ways and every dW tap three ways add up to the definition, each
    product's factors are the cells it names; the zero kinds match a brute-force reach."""
    t, c = scene(seed)
    sm = StepModel(Pipeline(t, c, "numpy"))
    r, spec, want = sm.r, sm.spec, direct(t, c)
    hw, out_hw = t.x.shape[2:], r.dz.shape[2:]
    where = f"seed {seed} {c}"
    gather = {s.key: s for s in sm.path("dx-gather").stages}
    dz_pad, w_flip = gather["correlate"].shown(roles.DZ_PAD), gather["flip"].shown(roles.W_FLIP)
    for cell in np.ndindex(*r.dx.shape):
        tw = dx_three_ways(spec, r.w_eff, r.dz, hw, cell)
        for v in (tw.gathered, tw.stamped, tw.jt_dot(r.dz)):
            assert v == pytest.approx(want["dX"][cell], rel=1e-4, abs=1e-4), where
        for p in tw.gather:
            assert dz_pad[p.a_cell] == p.a and w_flip[p.b_cell] == p.b, f"{where} dX{cell}: {p}"
        for s_ in tw.stamps:
            assert s_.after == pytest.approx(s_.before + s_.dz * s_.w) and r.dz[s_.dz_cell] == s_.dz, where
            assert r.w_eff[s_.tap] == s_.w, where
    x_col = reference.im2col(t.x.astype(np.float64), spec)
    dz_ins = reference.insert_zeros(r.dz, spec.stride)
    for tap in np.ndindex(*r.dw_eff.shape):
        ways = dw_three_ways(spec, r.w_eff.shape, r.x_pad, r.dz, tap)
        want_w = want["dW"][:, :, ::-1, ::-1] if c.true_convolution else want["dW"]
        for name, products in ways.items():
            assert sum(p.value for p in products) == pytest.approx(want_w[tap], rel=1e-4, abs=1e-4), where
        for p in ways["correlation"]:
            assert dz_ins[p.b_cell] == p.b and r.x_pad[p.a_cell] == p.a, where
        for p in ways["im2col"]:
            g, qq, col = p.a_cell
            assert r.dz[col // (out_hw[0] * out_hw[1]), g * (r.dz.shape[1] // spec.groups) + qq,
                        col // out_hw[1] % out_hw[0], col % out_hw[1]] == p.a, where
            assert x_col[p.b_cell] == pytest.approx(p.b), where
    _check_predict_answers(sm, where)
    read, got = _reach(spec, hw, out_hw)
    kinds = zeros.dx_kinds(spec, hw, out_hw)
    assert ((kinds == zeros.UNREACHED) == ~got).all(), where
    for axis, index in enumerate(spec.pad_maps(hw)):          # per axis: some tap reads a copy of row/column i
        hit = read.any(axis=1 - axis)
        for i in range(hw[axis]):
            reached_any = hit[index == i].any()
            assert (zeros.unreached_reason(spec, hw, out_hw, axis, i) is None) == reached_any, where
    xk = zeros.x_pad_kinds(spec, hw, out_hw)
    pads = np.ones(read.shape, bool)
    tp, _, lp, _ = spec.padding
    pads[tp:tp + hw[0], lp:lp + hw[1]] = False
    assert (np.isin(xk, [zeros.PADDING, zeros.COPY]) == pads).all(), where
    assert not (read & (xk == zeros.UNREACHED)).any(), where
    dk = zeros.dz_pad_kinds(spec, hw, out_hw, dz_pad)
    assert (dz_pad[~np.isin(dk, [zeros.VALUE])] == 0).all(), where


def _check_predict_answers(sm, where):
    """Predict mode's answers against a brute-force walk over every output cell and tap."""
    r, spec = sm.r, sm.spec
    hw = sm.x_hw
    rows, cols = spec.pad_maps(hw)
    cout, cin_g, kh, kw = r.w_eff.shape
    reaches, reads = {}, {}
    for z in np.ndindex(*r.dz.shape):
        n, q, i, j = z
        g = q // (cout // spec.groups)
        for c, m, nn in np.ndindex(cin_g, kh, kw):
            y, x = spec.stride[0] * i + spec.dilation[0] * m, spec.stride[1] * j + spec.dilation[1] * nn
            reads.setdefault((q, c, m, nn), set()).add((n, g * cin_g + c, y, x))
            if rows[y] >= 0 and cols[x] >= 0:
                reaches.setdefault((n, g * cin_g + c, int(rows[y]), int(cols[x])), set()).add(z)
    for cell in np.ndindex(*r.dx.shape):
        q = predict.reaching_dz(spec, r.w_eff, r.dz, hw, cell)
        assert set(q.answer) == reaches.get(cell, set()), f"{where} dX{cell}"
    for tap in np.ndindex(*r.w_eff.shape):
        q = predict.tap_support(spec, r.w_eff.shape, r.x_pad, r.dz, tap)
        assert set(q.answer) == reads[tap], f"{where} dW{tap}"


def test_the_jacobian_path_of_a_batch_says_it_shows_sample_0():
    """A batch of 2: Jᵀ·dZ gives dX of the first sample only (1×… on screen), and the stages say so."""
    rng = np.random.default_rng(1)
    t = Tensors(rng.integers(-3, 4, (2, 1, 4, 4)).astype(np.float32),
                rng.integers(-2, 3, (1, 1, 2, 2)).astype(np.float32))
    path = StepModel(Pipeline(t, BlockConfig(pool="none", padding=0), "numpy")).path("jacobian")
    assert path.last.shown(roles.DX).shape == (1, 1, 4, 4)
    for stage in path.stages:
        assert "sample 0 of the batch of 2" in stage.text
    one = StepModel(Pipeline(Tensors(t.x[:1], t.w), BlockConfig(pool="none", padding=0), "numpy")).path("jacobian")
    assert all("sample" not in s.text for s in one.stages)
