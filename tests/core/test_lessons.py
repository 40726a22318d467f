"""Every lesson loads, is exactly what its builder makes, and holds the numbers of its text."""
from __future__ import annotations

import json

import numpy as np
import pytest

from convviz.core import lessons, links
from convviz.core.lessons import LESSONS
from convviz.core.scene import load_scene
from convviz.core.paths.model import StepModel

K = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
K_PRIME = [[9, 8, 7], [6, 5, 4], [3, 2, 1]]


def lesson(name):
    scene = load_scene(lessons.lessons_dir() / f"{name}.json")
    return scene, StepModel(scene.pipeline())


def test_every_file_loads_with_a_title_and_text_and_is_what_its_builder_makes():
    files = {f.stem for f in lessons.lesson_files()}
    assert files == set(LESSONS)
    for name, build in LESSONS.items():
        f = lessons.lessons_dir() / f"{name}.json"
        scene = load_scene(f)
        assert scene.title and len(scene.text) > 60, name
        assert json.loads(f.read_text()) == build().to_dict(), f"{f.name} is stale: python -m convviz.core.lessons"
        sm = StepModel(scene.pipeline())
        assert scene.path in sm.available(), name
    assert any("stride" in f for f in files)
    assert [t for _, t in lessons.lesson_titles()] and len(lessons.lesson_titles()) == len(LESSONS)


def test_003_k_and_k_prime(cl_engine):
    scene, sm = lesson("003-cross-correlation-and-convolution")
    r = sm.r
    assert scene.w[0, 0].tolist() == K and scene.config.true_convolution
    assert r.w_eff[0, 0].tolist() == K_PRIME                    # K(m, n) = K′(M−1−m, N−1−n)
    assert r.z[0, 0, 1:4, 1:4].tolist() == K                    # the impulse prints K′ rotated: K


@pytest.mark.parametrize("name,stride,padding,dilation,cin,cout,bias,in_hw,out_hw", [
    ("003-forward-padding-1", 1, 1, 1, 1, 1, False, 5, 5),
    ("003-forward-stride-2", 2, 0, 1, 1, 1, False, 5, 2),
    ("003-forward-dilation-2", 1, 0, 2, 1, 1, False, 7, 3),
    ("003-forward-channels-and-bias", 1, 0, 1, 2, 3, True, 5, 3),
])
def test_003_the_four_forward_configurations(cl_engine, name, stride, padding, dilation, cin, cout, bias, in_hw,
                                             out_hw):
    scene, sm = lesson(name)
    c = scene.config
    assert c.stride == (stride, stride) and c.dilation == (dilation, dilation)
    assert c.padding == (padding, padding)
    assert scene.w.shape == (cout, cin, 3, 3) and scene.x.shape == (1, cin, in_hw, in_hw)
    assert (scene.b is not None and scene.b.tolist() == [1, 2, 3]) == bias
    assert scene.w[0, 0].tolist() == K_PRIME
    z = sm.r.z
    assert z.shape == (1, cout, out_hw, out_hw)
    a = np.pad(scene.x[0].astype(np.float64), ((0, 0), (padding, padding), (padding, padding)))
    for q in range(cout):                                        # z = Σ_m Σ_n a[i+m, j+n]·ω′[m, n] + b
        for i in range(out_hw):
            for j in range(out_hw):
                want = sum(a[p, stride * i + dilation * m, stride * j + dilation * n] * scene.w[q, p, m, n]
                           for p in range(cin) for m in range(3) for n in range(3))
                assert z[0, q, i, j] == pytest.approx(want + (scene.b[q] if bias else 0))


def test_003_the_activation_gate(cl_engine):
    scene, sm = lesson("003-activation-gate")
    r = sm.r
    np.testing.assert_array_equal(r.z, scene.x)                 # the identity kernel
    s = 1 / (1 + np.exp(-scene.x.astype(np.float64)))
    np.testing.assert_allclose(r.dz, s * (1 - s), rtol=1e-6)    # δ = 1 ⊙ σ′(z)
    assert r.dz[0, 0, 0, 3] == pytest.approx(0.25)              # largest, ¼, at z = 0


def test_000_same_padding(cl_engine):
    scene, sm = lesson("000-same-padding-gradients")
    r = sm.r
    x, w, dy = scene.x[0, 0].astype(np.float64), scene.w[0, 0].astype(np.float64), scene.dp[0, 0]
    assert r.z.shape == scene.x.shape and np.array_equal(r.dz, scene.dp)
    w_rev = w[::-1, ::-1]                                        # W′: all elements reversed
    dyp = np.pad(dy, 1)
    want_dx = np.array([[(dyp[i:i + 3, j:j + 3] * w_rev).sum() for j in range(5)] for i in range(5)])
    np.testing.assert_allclose(r.dx[0, 0], want_dx, atol=1e-5)
    assert r.dw[0, 0, 1, 1] == pytest.approx((dy * x).sum())    # dW centre = dY ⊙ X
    xp = np.pad(x, 1)
    for a in range(3):                                          # dW[x+1, y+1] = dY shifted by (x, y) ⊙ X
        for b in range(3):
            assert r.dw[0, 0, a, b] == pytest.approx((dy * xp[a:a + 5, b:b + 5]).sum())


def test_001_scope_of_impact_pd_pc_pb_pa(cl_engine):
    scene, sm = lesson("001-scope-of-impact")
    a, b, c, d = scene.w[0, 0].ravel().tolist()
    pairs = links.influence_pairs(sm.spec, scene.w.shape, scene.x.shape[2:], sm.r.z.shape[2:], (0, 0, 0, 0))
    reach = {z[2:]: float(scene.w[tap]) for z, tap, _ in pairs}
    assert [reach[k] for k in ((0, 0), (0, 1), (1, 0), (1, 1))] == [d, c, b, a]
    p = float(scene.x[0, 0, 0, 0])
    assert sm.r.z[0, 0, :2, :2].ravel().tolist() == [p * d, p * c, p * b, p * a]


def test_001_im2col_gives_dw_as_dy_times_x_transposed(cl_engine):
    scene, sm = lesson("001-im2col")
    stage = sm.path("im2col").stages[2]
    cols = next(t.data for t in stage.tensors if t.role.name == "X_col")[0]          # 4 taps × 9 positions
    assert cols[:, 4].tolist() == [1, 2, 4, 5]                                   # the field of Z[1, 1]
    dz = sm.r.dz.reshape(1, -1)
    np.testing.assert_allclose((dz @ cols.T).reshape(sm.r.dw.shape), sm.r.dw, rtol=1e-6)
    np.testing.assert_allclose(next(t.data for t in stage.tensors if t.role.name == "dW_row").ravel(), sm.r.dw.ravel())


def test_002_stride_2_inserted_zeros(cl_engine):
    scene, sm = lesson("002-stride-2-inserted-zeros")
    assert scene.x.shape[2:] == (5, 5) and sm.r.z.shape[2:] == (2, 2)
    grid = next(t.data for t in sm.path("dx-gather").stages[1].tensors if t.role.name == "dZ_pad")[0, 0]
    want = np.zeros((7, 7))
    want[2, 2], want[2, 4], want[4, 2], want[4, 4] = 1, 2, 3, 4
    np.testing.assert_array_equal(grid, want)


def test_002_average_pooling_spreads_a_quarter(cl_engine):
    scene, sm = lesson("002-average-pooling")
    assert scene.x.shape[2:] == (4, 4) and sm.r.p.shape[2:] == (2, 2)
    np.testing.assert_array_equal(sm.r.da[0, 0], 0.25 * np.kron([[1, -2], [3, 4]], np.ones((2, 2))))
    assert sm.r.p[0, 0].tolist() == [[2.5, 4.5], [10.5, 12.5]]   # ¼ Σ of each 2×2 block of 0…15


def test_002_channels_and_batch(cl_engine):
    scene, sm = lesson("002-channels-and-batch")
    r = sm.r
    assert scene.x.shape[:2] == (2, 2) and scene.w.shape[:2] == (3, 2)
    dy = r.dz.astype(np.float64)
    np.testing.assert_allclose(r.db, dy.sum(axis=(0, 2, 3)), rtol=1e-6)      # grad b_q = Σ_n sum(grad Y_nq)
    x = scene.x.astype(np.float64)
    for q in range(3):
        for p in range(2):
            want = sum(np.array([[(dy[n, q] * x[n, p, m:m + 3, k:k + 3]).sum() for k in range(3)] for m in range(3)])
                       for n in range(2))
            np.testing.assert_allclose(r.dw[q, p], want, rtol=1e-5)
