"""The worked examples of the four reference texts, with their own numbers."""
from __future__ import annotations

import numpy as np
import pytest

from convviz import ops
from convviz.core import links
from convviz.core.pipeline import BlockConfig, Pipeline, Tensors
from convviz.core.spec import make_conv_spec
from convviz.core.paths.model import StepModel

K = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
K_FLIP = np.array([[9, 8, 7], [6, 5, 4], [3, 2, 1]], np.float32)


@pytest.fixture(params=["numpy", "opencl"])
def backend(request):
    if request.param == "opencl":
        request.getfixturevalue("cl_engine")
    return request.param


def loops(a, w, b, stride, padding, dilation):
    """Seed 003's z_ij = Σ_m Σ_n a_{i+m, j+n} ω′_{m,n} + b, written as plain loops."""
    n_, cin, h, wd = a.shape
    cout, _, kh, kw = w.shape
    a = np.pad(a, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (h + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    z = np.zeros((n_, cout, oh, ow))
    for q in range(cout):
        for i in range(oh):
            for j in range(ow):
                z[0, q, i, j] = b[q] + sum(a[0, p, stride * i + dilation * m, stride * j + dilation * nn] * w[q, p, m, nn]
                                           for p in range(cin) for m in range(kh) for nn in range(kw))
    return z


def test_seed_003_flip_and_true_convolution(backend):
    sm = StepModel(Pipeline(Tensors(np.zeros((1, 1, 5, 5)), K[None, None]), BlockConfig(), backend))
    wf = sm.path("dx-gather").stages[2]
    np.testing.assert_array_equal(next(t.data for t in wf.tensors if t.role.name == "W′")[0, 0], K_FLIP)
    x = np.random.default_rng(0).standard_normal((1, 1, 5, 5)).astype(np.float32)
    true_conv = Pipeline(Tensors(x, K[None, None]), BlockConfig(true_convolution=True, pool="none",
                                                                activation="identity"), backend).compute().z
    np.testing.assert_allclose(true_conv, ops.conv2d(x, K_FLIP[None, None], padding=1, backend=backend), rtol=1e-6)


@pytest.mark.parametrize("cin,cout,size,stride,padding,dilation,bias,out", [
    (1, 1, 5, 1, 1, 1, False, 5),
    (1, 1, 5, 2, 0, 1, False, 2),
    (1, 1, 7, 1, 0, 2, False, 3),
    (2, 3, 5, 1, 0, 1, True, 3),
])
def test_seed_003_forward_configurations(backend, cin, cout, size, stride, padding, dilation, bias, out):
    rng = np.random.default_rng(cin * 10 + stride)
    a = rng.integers(-3, 4, (1, cin, size, size)).astype(np.float32)
    w = np.stack([np.stack([K + 9 * (q * cin + p) for p in range(cin)]) for q in range(cout)])
    b = np.arange(1, cout + 1, dtype=np.float32) if bias else np.zeros(cout, np.float32)
    p = Pipeline(Tensors(a, w, b if bias else None),
                 BlockConfig(stride=(stride, stride), padding=padding, dilation=(dilation, dilation),
                             activation="identity", pool="none"), backend)
    z = p.compute().z
    assert z.shape == (1, cout, out, out)
    np.testing.assert_allclose(z, loops(a, w, b, stride, padding, dilation), rtol=1e-6)
    step = StepModel(p).path("forward").stages[1].step(0)
    assert len(step.terms) == cin * 9 and step.value == pytest.approx(float(z[0, 0, 0, 0]))


def test_seed_002_average_pooling_and_inserted_zeros(backend):
    a = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    dz = np.array([[[[1.0, -2.0], [3.0, 4.0]]]], np.float32)
    p = Pipeline(Tensors(a, np.ones((1, 1, 1, 1), np.float32), dp=dz),
                 BlockConfig(padding=0, activation="identity", pool="avg", loss="given"), backend)
    dist = StepModel(p).path("pool").last
    np.testing.assert_array_equal(next(t.data for t in dist.tensors if t.role.name == "dA")[0, 0],
                                  0.25 * np.kron(dz[0, 0], np.ones((2, 2))))
    assert dist.step(1).writes[0][1] == pytest.approx(0.25 * -2.0)

    # 5×5, kernel 3, stride 2 -> 2×2; the inserted-zero gradient is 7×7 with dY at (2,2) (2,4) (4,2) (4,4)
    x = np.random.default_rng(1).standard_normal((1, 1, 5, 5)).astype(np.float32)
    dy = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], np.float32)
    p = Pipeline(Tensors(x, K[None, None], dp=dy), BlockConfig(stride=(2, 2), padding=0, activation="identity",
                                                               pool="none", loss="given"), backend)
    path = StepModel(p).path("dx-gather")
    padded = next(t.data for t in path.stages[1].tensors if t.role.name == "dZ_pad")[0, 0]
    expected = np.zeros((7, 7), np.float32)
    expected[2::2, 2::2][:2, :2] = dy[0, 0]
    np.testing.assert_array_equal(padded, expected)
    # grad x = Inserted grad y ⋆ rot180(w), and grad w = rot180(Inserted grad y ⋆ x) (seed 002's summary)
    np.testing.assert_allclose(next(t.data for t in path.last.tensors if t.role.name == "dX"), p.compute().dx, atol=1e-5)


def test_seed_002_channels_and_batch(backend):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    dy = rng.standard_normal((2, 4, 4, 4)).astype(np.float32)
    dx, dw, db = ops.conv2d_backward(x, w, dy, backend=backend)
    from convviz.core import reference as ref
    for q in range(4):      # grad W_qp = Σ_n rot180(inserted dY_nq ⋆ X_np) with stride 1: plain correlation
        for p_ in range(3):
            want = sum(ops.conv2d(x[n:n + 1, p_:p_ + 1], dy[n:n + 1, q:q + 1], backend="numpy")[0, 0] for n in range(2))
            np.testing.assert_allclose(dw[q, p_], want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, dy.sum(axis=(0, 2, 3)), rtol=1e-5)
    wf = ref.flip_kernel(w)
    np.testing.assert_allclose(dx, ops.conv2d(dy, wf, padding=2, backend="numpy"), rtol=1e-4, atol=1e-4)


def test_seed_001_one_pixel_reaches_four_outputs(backend):
    a, b_, c, d = 2.0, 3.0, 5.0, 7.0
    w = np.array([[[[a, b_], [c, d]]]], np.float32)
    spec = make_conv_spec((2, 2), padding=((1, 0), (1, 0)))
    pairs = links.influence_pairs(spec, w.shape, (3, 3), (3, 3), (0, 0, 0, 0))
    by_output = {z[2:]: float(w[tap]) for z, tap, _ in pairs}
    assert [by_output[k] for k in ((0, 0), (0, 1), (1, 0), (1, 1))] == [d, c, b_, a]   # pd, pc, pb, pa
    # the scatter path: dZ = 1 everywhere, so the stamps onto p add up to a + b + c + d
    x = np.zeros((1, 1, 3, 3), np.float32)
    p = Pipeline(Tensors(x, w), BlockConfig(padding=((1, 0), (1, 0)), activation="identity", pool="none"), backend)
    scatter = StepModel(p).path("dx-scatter")
    assert scatter.last.tensors[-1].data[0, 0, 0, 0] == pytest.approx(a + b_ + c + d)
    assert scatter.stages[0].step(0).writes[-1] == ((0, 0, 1, 1), pytest.approx(d))


def test_seed_000_same_padding_flipped_kernel_and_centre_tap(backend):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 1, 6, 6)).astype(np.float32)
    w = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    dy = rng.standard_normal((1, 1, 6, 6)).astype(np.float32)
    dx, dw, _ = ops.conv2d_backward(x, w, dy, padding="same", backend=backend)
    w_flip = w[:, :, ::-1, ::-1]
    np.testing.assert_allclose(dx, ops.conv2d(dy, w_flip, padding="same", backend=backend), rtol=1e-5, atol=1e-5)
    assert dw[0, 0, 1, 1] == pytest.approx(float((dy * x).sum()), rel=1e-5)          # dW_centre = dY ⊙ X
    shifted = np.zeros_like(dy)
    shifted[0, 0, 1:, 1:] = dy[0, 0, :-1, :-1]                                         # dY shifted by (1, 1)
    assert dw[0, 0, 2, 2] == pytest.approx(float((shifted * x).sum()), rel=1e-5)
