"""The step model: final stages equal the direct gradients, terms add up, links are exact."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz.core import links
from convviz.core.pipeline import BlockConfig, Pipeline, Tensors
from convviz.core.paths.model import StepModel
from convviz.core.paths.roles import DZ, W, X, X_PAD
from tests.conftest import assert_close
from tests.strategies import conv_configs

LAST_ROLE = {"forward": "dP", "pool": "dA", "activation": "dZ", "db": "db", "dw": "dW", "dx-gather": "dX",
             "dx-scatter": "dX", "im2col": "dX", "jacobian": "dX", "delta-chain": "dX¹"}


def _model(cfg, *, act="tanh", pool="avg", loss="sum", true_conv=False, backend="opencl", seed=0):
    x_shape, w_shape, kwargs = cfg
    rng = np.random.default_rng(seed)
    t = Tensors(rng.standard_normal(x_shape).astype(np.float32), rng.standard_normal(w_shape).astype(np.float32),
                rng.standard_normal(w_shape[0]).astype(np.float32))
    c = BlockConfig(activation=act, pool=pool, pool_kernel=(1, 1) if pool != "none" else (2, 2), loss=loss,
                    true_convolution=true_conv, **kwargs)
    return StepModel(Pipeline(t, c, backend))


def _shown(stage, role):
    return next(s.data for s in stage.tensors if role in (s.role, s.role.name))


@settings(max_examples=40)
@given(conv_configs(max_hw=7), st.sampled_from(["relu", "sigmoid", "leaky_relu"]),
       st.sampled_from(["avg", "max", "none"]), st.booleans())
def test_last_stage_of_every_path_is_the_direct_gradient(cl_engine, cfg, act, pool, true_conv):
    sm = _model(cfg, act=act, pool=pool, true_conv=true_conv)
    r = sm.r
    direct = {"dP": r.dp, "dA": r.da, "dZ": r.dz, "db": r.db, "dW": r.dw, "dX": r.dx, "dX¹": r.dx}
    for name in sm.available():
        path = sm.path(name)
        got = _shown(path.last, LAST_ROLE[name])
        want = direct[LAST_ROLE[name]][:1] if name == "jacobian" else direct[LAST_ROLE[name]]
        assert_close(got, want, terms=r.dz.size * 4, what=name)
        # a stepped stage's last step writes the value its final tensor holds
        for stage in path.stages:
            if stage.n_steps and stage.state_fn is None:
                step = stage.step(stage.n_steps - 1)
                assert_close(step.value, np.asarray(_shown(stage, step.role))[step.cell], terms=len(step.terms))


def _number(text: str) -> float:
    return float(text.strip().strip("()").replace("−", "-"))


SIGMOID = (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2)   # σ, σ′ by hand


def _half_unit(exact: float) -> float:
    """Half a unit of the last digit a cell shows (two decimals below 100, whole numbers up
    to 10⁵, two significant digits beyond either): the most a shown number can be off."""
    a = abs(exact)
    if a == 0:
        return 0.0
    if 100 <= a < 99999.5:
        return 0.5
    if 0.01 <= a < 100:
        return 0.005
    return 0.05 * a


def _near(shown: float, exact: float, slack: float = 0.0) -> bool:
    """A number as the formula shows it against the exact one."""
    return abs(shown - exact) <= _half_unit(exact) + slack + 1e-6


def _assert_formula_numbers(step, stage, act=(*SIGMOID, 0.25, 0.1)):
    """The numbers a step's formula shows, worked out by hand (this test's activation is the sigmoid).

    Gather steps: the result is the cell's value; the shown factors are the step's terms in
    order (or the subtotals per channel or sample, or single values added up); when every
    term is shown, their products (and the bias) add up to the result;
    σ(z) and σ′(z) equal the definitions at the shown z: ``act`` is (σ, σ′, a bound on |σ′|,
    a bound on |σ″|) written by hand, the sigmoid's unless given. Scatter steps: dP·share = the stamp, and the totals are dA after the step."""
    f = step.formula
    if " += " in f:
        m = re.fullmatch(r"dA\[.*\] \+= (\S+)·(\S+) = (\S+)(?: each)? → (.+)", f)
        if m:
            g, share, v = (_number(x) for x in m.groups()[:3])
            totals = [_number(t) for t in m[4].split(", ") if t != "…"]
            da = stage.tensors_at(step.index)[-1].data          # dA after this step
            assert all(_near(t, float(da[c])) for t, (c, _) in zip(totals, step.writes)), f
            assert _near(g, step.terms[0].a) and _near(share, step.terms[0].b) and _near(v, step.value), f
            eg, es = _half_unit(g), _half_unit(share)              # each shown factor is off by at most this
            assert _near(v, g * share, abs(g) * es + abs(share) * eg + eg * es), f
        else:
            m = re.fullmatch(r"dX_pad\[window of Z\[(.*)\]\] \+= (\S+)·(?:W|K′)\[(\d+)\]", f)
            assert m and _near(_number(m[2]), step.value) and int(m[3]) == step.cell[1], f
            assert m[1] == ", ".join(str(i) for i in step.cell), f
        return
    sides = f.split(" = ")
    result = _number(sides[-1])
    shown = [s.data for s in stage.tensors if s.role == step.role]
    assert _near(result, float(np.asarray(shown[0])[step.cell]) if shown else step.value), f
    rhs = sides[-2]
    if rhs.startswith("σ("):
        z = _number(rhs[2:-1])
        assert _near(result, act[0](z), act[2] * _half_unit(z)), f
        return
    if rhs.startswith("max("):
        assert max(_number(v) for v in rhs[4:-1].split(", ")) == result, f
        return
    if len(sides) == 4 and "σ′(" in sides[1]:                   # dZ = dA·σ′(z) = dA·σ′ = result
        z = _number(sides[1].split("σ′(", 1)[1][:-1])
        if z != 0 or act[3] != 0:                               # ReLU′ at a z shown as 0: either side
            assert _near(_number(rhs.split("·")[1]), act[1](z), act[3] * _half_unit(z)), f
    total, bound, complete = 0.0, _half_unit(result) + 1e-6, True
    for i, part in enumerate(rhs.split(" + ")):
        if part.startswith("…"):
            complete = False
        elif part.endswith(")") and "(b[" in part:             # the bias: '0.64 (b[0])'
            v = _number(part.split(" (b[")[0])
            total += v
            bound += _half_unit(v)
        elif part.startswith("["):                               # a subtotal: '[c=1] (−9)'
            v = _number(part.split("] ", 1)[1])
            total += v
            bound += _half_unit(v) + 1e-4 * len(step.terms)
        elif not len(step.terms):                               # nothing adds to it: '= 0 = 0'
            assert _number(part) == 0, f
        elif "·" not in part:                                    # one value: a cell as it stands, or a copy
            v = step.terms[i].a if "[" in part else _number(part)
            assert _near(v, step.terms[i].a), f
            total += step.terms[i].a
            bound += _half_unit(v)
        else:
            a, b = (_number(v) for v in part.split("·"))
            assert _near(a, step.terms[i].a) and _near(b, step.terms[i].b), f
            total += a * b
            ea, eb = _half_unit(a), _half_unit(b)                # each factor is off by at most this
            bound += abs(a) * eb + abs(b) * ea + ea * eb
    if complete:
        assert abs(total - result) <= bound, f


def _assert_size_formula(formula: str, cfg, out_hw):
    """'Hout = ⌊(i + pb + pa − d·(k−1) − 1) / s⌋ + 1 = o': worked out by hand from its own numbers,
    o is the output size, and i, k, s, d are the input's and the configuration's."""
    x_shape, w_shape, kwargs = cfg
    stride = np.broadcast_to(kwargs["stride"], 2)
    dilation = np.broadcast_to(kwargs["dilation"], 2)
    lines = formula.splitlines()
    assert len(lines) == 2
    for axis, line in enumerate(lines):
        m = re.fullmatch(r"[HW]out = ⌊\((\d+) \+ (\d+) \+ (\d+) − (\d+)·\((\d+)−1\) − 1\) / (\d+)⌋ "
                         r"\+ 1 = (-?\d+)", line)
        assert m and line[0] == "HW"[axis], line
        i, pb, pa, d, k, s, o = (int(v) for v in m.groups())
        assert (i, k, s, d) == (x_shape[2 + axis], w_shape[2 + axis], stride[axis], dilation[axis]), line
        assert (i + pb + pa - d * (k - 1) - 1) // s + 1 == o == out_hw[axis], line


@settings(max_examples=30)
@given(conv_configs(max_hw=7), st.data())
def test_terms_of_every_step_sum_to_what_it_writes(cl_engine, cfg, data):
    sm = _model(cfg, pool="max", act="sigmoid", loss="sum")
    for name in sm.available():
        for stage in sm.path(name).stages:
            if name == "forward" and stage.key == "pad":
                _assert_size_formula(stage.formula, cfg, sm.r.z.shape[2:])
            if not stage.n_steps:
                continue
            k = data.draw(st.integers(0, stage.n_steps - 1), label=f"{name}/{stage.key}")
            step = stage.step(k)
            if step.writes:
                for (cell, amount), term in zip(step.writes, step.terms):
                    assert amount == pytest.approx(term.product)
                # the partial picture after step k is the stamps so far
                before = stage.tensors_at(k - 1)[-1].data if k else 0
                after = stage.tensors_at(k)[-1].data
                delta = np.zeros_like(after, dtype=np.float64)
                for cell, amount in step.writes:
                    delta[cell] += amount
                assert_close(after - before, delta, terms=len(step.terms))
            elif step.terms:
                assert step.value == pytest.approx(sum(t.product for t in step.terms) + step.constant,
                                                   rel=1e-4, abs=1e-4 * max(1, len(step.terms)))
                assert step.partial_sums[-1] == pytest.approx(step.value, rel=1e-4, abs=1e-4 * len(step.terms))
            if name != "delta-chain":            # its one-cell lines are checked in test_chain_path
                _assert_formula_numbers(step, stage)


def test_a_huge_scene_builds_no_steps_up_front(cl_engine):
    t = Tensors(np.zeros((1, 1, 1024, 1024), np.float32), np.ones((1, 1, 3, 3), np.float32))
    sm = StepModel(Pipeline(t, BlockConfig(pool="none", activation="identity", padding=(1, 1))))
    stage = sm.path("forward").stages[1]
    assert stage.n_steps == 1024 * 1024
    step = stage.step(1024 * 1024 - 1)
    assert step.cell == (0, 0, 1023, 1023) and len(step.terms) == 9
    assert sm.path("forward").position(sm.path("forward").n_positions - 1)[0] == len(sm.path("forward").stages) - 1
    assert "jacobian" not in sm.available()


def test_a_new_upstream_gradient_does_not_rerun_the_forward_pass():
    rng = np.random.default_rng(0)
    p = Pipeline(Tensors(rng.standard_normal((1, 1, 6, 6)), rng.standard_normal((2, 1, 3, 3))),
                 BlockConfig(loss="one_hot"), backend="numpy")
    z = p.compute().z
    p.set_config(one_hot_cell=(0, 1, 1, 1))
    r = p.compute()
    assert r.recomputed == ["backward"] and r.z is z
    p.set_config(activation="tanh")
    assert p.compute().recomputed == ["activation", "pool", "backward"]


def test_a_failed_change_keeps_the_last_good_results():
    p = Pipeline(Tensors(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))), BlockConfig(pool="none"), backend="numpy")
    good = p.compute()
    p.set_config(dilation=(3, 3))
    with pytest.raises(ValueError, match="spans 7 px"):
        p.compute()
    assert p._r is good


# ---------------------------------------------------------------- links

def test_receptive_field_and_influence_by_hand():
    from convviz.core.spec import make_conv_spec
    spec = make_conv_spec((2, 2), padding=((1, 0), (1, 0)))
    rf = links.receptive_field(spec, (1, 1, 2, 2), (3, 3), (0, 0, 0, 0))
    assert rf[X_PAD] == [(0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 0), (0, 0, 1, 1)]
    assert rf[X] == [(0, 0, 0, 0)]                      # the other three cells are padding
    pairs = links.influence_pairs(spec, (1, 1, 2, 2), (3, 3), (3, 3), (0, 0, 0, 0))
    assert {(z[2:], tap[2:]) for z, tap, _ in pairs} == {((0, 0), (1, 1)), ((0, 1), (1, 0)),
                                                             ((1, 0), (0, 1)), ((1, 1), (0, 0))}


@settings(max_examples=40)
@given(conv_configs(max_hw=7))
def test_influence_is_the_exact_inverse_of_receptive_field(cfg):
    from convviz.core.spec import make_conv_spec
    x_shape, w_shape, kwargs = cfg
    spec = make_conv_spec(w_shape[2:], **kwargs)
    hw = x_shape[2:]
    out_hw = spec.output_size(hw)
    forward = set()
    for q in range(w_shape[0]):
        for i in range(out_hw[0]):
            for j in range(out_hw[1]):
                rf = links.receptive_field(spec, w_shape, hw, (0, q, i, j))
                for xp, tap in zip(rf[X_PAD], rf[W]):
                    forward.add(((0, q, i, j), tap, xp))
    inverse = set()
    for c in range(x_shape[1]):
        for y in range(hw[0]):
            for x in range(hw[1]):
                inverse.update(links.influence_pairs(spec, w_shape, hw, out_hw, (0, c, y, x)))
    rows, cols = spec.pad_maps(hw)
    reads_input = {f for f in forward if rows[f[2][2]] >= 0 and cols[f[2][3]] >= 0}
    assert inverse == reads_input


def test_tap_support_and_pool_links_by_hand():
    from convviz.core.spec import PoolSpec, make_conv_spec
    spec = make_conv_spec((3, 3), stride=2)
    sup = links.tap_support(spec, (1, 1, 3, 3), (1, 1, 2, 2), (0, 0, 1, 2))
    assert sup[X_PAD] == [(0, 0, 1, 2), (0, 0, 1, 4), (0, 0, 3, 2), (0, 0, 3, 4)]
    assert sup[DZ] == [(0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 0), (0, 0, 1, 1)]
    ps = PoolSpec((2, 2), (2, 2), (0, 0))
    assert links.pool_window(ps, (1, 1, 4, 4), (0, 0, 1, 0)) == [(0, 0, 2, 0), (0, 0, 2, 1), (0, 0, 3, 0), (0, 0, 3, 1)]
    assert links.pool_targets(ps, (1, 1, 4, 4), (1, 1, 2, 2), (0, 0, 3, 1)) == [(0, 0, 1, 0)]
    overlapping = PoolSpec((3, 3), (1, 1), (0, 0))
    assert len(links.pool_targets(overlapping, (1, 1, 5, 5), (1, 1, 3, 3), (0, 0, 2, 2))) == 9


def test_gradient_check_of_a_scene():
    from convviz.core.gradcheck import gradient_check
    rng = np.random.default_rng(5)
    p = Pipeline(Tensors(rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3),
                         target=rng.standard_normal((1, 3, 3, 3))),
                 BlockConfig(activation="tanh", pool="avg", loss="half_squared_error", padding=1), backend="numpy")
    worst = gradient_check(p)
    assert set(worst) == {"dX", "dW", "db"} and max(worst.values()) < 1e-4
    p.tensors.w = p.tensors.w.copy()
    r = p.compute()
    r.dw[0, 0, 0, 0] += 0.1                 # a wrong analytic gradient is caught
    assert gradient_check(p)["dW"] > 0.05


def test_a_gather_stage_shows_its_tensor_filling_up_in_step_order():
    from convviz.core.presets import default_scene
    sm = StepModel(default_scene().pipeline("numpy"))
    slide = sm.path("forward").stages[1]
    z_full = next(s.data for s in slide.tensors if s.role.name == "Z")
    for k in (0, 5, slide.n_steps - 1):
        z = next(s.data for s in slide.tensors_at(k) if s.role.name == "Z")
        flat = z.reshape(-1)
        assert np.isfinite(flat[:k + 1]).all() and np.isnan(flat[k + 1:]).all()
        np.testing.assert_array_equal(flat[:k + 1], z_full.reshape(-1)[:k + 1])
    assert not np.isnan(z_full).any()                       # the stage's own tensors stay whole
    dw = sm.path("dw").stages[0]
    last = next(s.data for s in dw.tensors_at(dw.n_steps - 1) if s.role.name == "dW")
    np.testing.assert_array_equal(last, sm.r.dw)
