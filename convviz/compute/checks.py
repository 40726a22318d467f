"""The checks qualification runs in its child, one per kernel family: each family's
kernels on awkward cases (1×1 inputs, groups, partial vector blocks, strides larger
than the kernel, dilation, every padding mode) against the numpy reference.
"""
from __future__ import annotations

import numpy as np

from .errors import injected

# (x shape, w shape, keyword arguments): every awkward case the kernels must survive
CONV_CASES = (
    ((1, 1, 1, 1), (1, 1, 1, 1), {}),                                            # a 1×1 input
    ((2, 4, 9, 37), (6, 2, 3, 3), dict(groups=2, padding=1)),                    # groups, partial vector block
    ((1, 2, 11, 13), (3, 2, 2, 2), dict(stride=3)),                              # stride larger than the kernel
    ((1, 1, 12, 12), (2, 1, 3, 3), dict(dilation=3, padding=2, padding_mode="reflect")),
    ((1, 3, 20, 40), (16, 3, 3, 3), dict(stride=2, padding=1)),                  # a full channel block
    ((2, 3, 17, 33), (5, 3, 5, 3), dict(stride=(2, 1), padding=(2, 1), padding_mode="circular")),
    ((1, 1, 6, 70), (1, 1, 1, 4), dict(stride=(1, 2), dilation=(1, 2), padding_mode="replicate", padding=1)),
)
POOL_CASES = (((1, 1, 1, 1), 1, None, 0), ((2, 3, 9, 37), 3, 2, 1), ((1, 2, 8, 8), 2, None, 0),
              ((1, 1, 7, 5), (3, 2), (1, 3), (1, 1)))

def _close(got, want, terms: int, what: str) -> None:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{what}: shape {got.shape} instead of {want.shape}")
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    tol = 3.2e-6 * scale * max(1.0, np.sqrt(terms))
    err = float(np.nan_to_num(np.abs(got - want), nan=np.inf).max(initial=0.0))
    if err > tol:
        raise AssertionError(f"{what}: wrong numbers (max error {err:.3g}, allowed {tol:.3g})")


def _conv_data(seed: int = 0):
    from ..core.spec import check_conv
    rng = np.random.default_rng(seed)
    for xs, ws, kw in CONV_CASES:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        b = rng.standard_normal(ws[0]).astype(np.float32)
        x, w, b, spec = check_conv(x, w, b, kw)
        dy = rng.standard_normal((xs[0], ws[0]) + spec.output_size(xs[2:])).astype(np.float32)
        yield x, w, b, dy, spec


def _check_conv(engine, ref, *, direct: bool, forward: bool, backward: bool, name: str) -> None:
    engine.direct = direct
    try:
        for x, w, b, dy, spec in _conv_data():
            terms = int(np.prod(w.shape[1:]))
            if forward:
                _close(_maybe_wrong(name, engine.conv2d(x, w, b, spec)), ref.conv2d(x, w, b, spec), terms, "y")
            if backward:
                got = engine.conv2d_backward(x, w, dy, spec)
                want = ref.conv2d_backward(x, w, dy, spec)
                parts = ("dx", "dw", "db") if direct else ("dw",)
                for label, g, e in zip(("dx", "dw", "db"), got, want):
                    if label in parts:
                        _close(_maybe_wrong(name, g), e, dy.size, label)
    finally:
        engine.direct = None


def _maybe_wrong(name: str, a):
    """Injected fault 'wrong:NAME': a driver that returns wrong numbers."""
    return a + 1.0 if injected("wrong", name) else a


def _check_remap(engine, ref) -> None:
    from ..core.spec import ConvSpec
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 7)).astype(np.float32)
    for mode in ("zeros", "reflect", "replicate", "circular"):
        spec = ConvSpec((3, 3), padding=(2, 1, 0, 3), padding_mode=mode)
        _close(_maybe_wrong("remap2d", engine.pad(x, spec)), ref.pad(x, spec), 1, f"pad {mode}")
    _close(engine.insert_zeros(x, (2, 3)), ref.insert_zeros(x, (2, 3)), 1, "insert zeros")
    _close(engine.pad_or_crop(x, (-1, 2, 1, -2)), ref.pad_or_crop(x, (-1, 2, 1, -2)), 1, "crop")


def _check_remap_adjoint(engine, ref) -> None:
    from ..core.spec import ConvSpec
    rng = np.random.default_rng(2)
    for mode in ("zeros", "reflect", "replicate", "circular"):
        spec = ConvSpec((3, 3), padding=(2, 1, 0, 3), padding_mode=mode)
        dxp = rng.standard_normal((2, 3) + spec.padded_size((5, 7))).astype(np.float32)
        _close(_maybe_wrong("remap2d_adjoint", engine.pad_backward(dxp, spec, (5, 7))),
               ref.pad_backward(dxp, spec, (5, 7)), 4, f"pad backward {mode}")


def _check_flip(engine, ref) -> None:
    w = np.random.default_rng(3).standard_normal((6, 2, 3, 2)).astype(np.float32)
    for groups in (1, 2, 3):
        _close(_maybe_wrong("flip_kernel", engine.flip_kernel(w, groups)), ref.flip_kernel(w, groups), 1, "flip")


def _check_reduce(engine, ref) -> None:
    part = np.random.default_rng(4).standard_normal((5, 37)).astype(np.float32)
    got = engine.download(engine._reduce(engine.upload(part), 5, 37), (37,))
    _close(_maybe_wrong("reduce_partials", got), part.sum(0), 5, "reduce")


def _check_channel_sum(engine, ref) -> None:
    dy = np.random.default_rng(5).standard_normal((3, 4, 9, 11)).astype(np.float32)
    _close(_maybe_wrong("channel_sum", engine.bias_gradient(dy)), dy.sum(axis=(0, 2, 3)), dy.size // 4, "db")


def _check_scatter(engine, ref) -> None:
    for x, w, b, dy, spec in _conv_data(6):
        hw = x.shape[2:]
        _close(_maybe_wrong("conv2d_dx_scatter", engine.conv2d_dx_scatter(dy, w, spec, hw)),
               ref.conv2d_dx_scatter(dy, w, spec, hw), dy.size, "scatter")
        _close(engine.conv2d_dx_scatter(dy, w, spec, hw, 3), ref.conv2d_dx_scatter(dy, w, spec, hw, 3), 3,
               "partial scatter")


def _check_im2col(engine, ref) -> None:
    for x, w, b, dy, spec in _conv_data(7):
        _close(_maybe_wrong("im2col", engine.im2col(x, spec)), ref.im2col(x, spec), 1, "im2col")


def _check_col2im(engine, ref) -> None:
    for x, w, b, dy, spec in _conv_data(8):
        cols = ref.im2col(x, spec)
        _close(_maybe_wrong("col2im", engine.col2im(cols, spec, x.shape)), ref.col2im(cols, spec, x.shape),
               int(np.prod(w.shape[2:])), "col2im")


def _check_matmul(engine, ref) -> None:
    rng = np.random.default_rng(9)
    for g, m, k, n in ((1, 1, 1, 1), (2, 5, 27, 33), (3, 16, 9, 70)):
        a = rng.standard_normal((g, m, k)).astype(np.float32)
        b = rng.standard_normal((g, k, n)).astype(np.float32)
        _close(_maybe_wrong("matmul", engine.matmul(a, b)), ref.matmul(a, b), k, "matmul")


def _pool_data(seed: int):
    from ..core.spec import check_pool
    rng = np.random.default_rng(seed)
    for shape, k, s, p in POOL_CASES:
        x = rng.integers(-3, 4, shape).astype(np.float32)       # ties: PyTorch's first maximum
        x, spec = check_pool(x, k, s, p)
        dy = rng.standard_normal(x.shape[:2] + spec.output_size(x.shape[2:])).astype(np.float32)
        yield x, dy, spec


def _check_pool(name: str):
    def check(engine, ref) -> None:
        for x, dy, spec in _pool_data(10):
            if name == "max_pool2d_forward":
                got, want = engine.max_pool2d(x, spec), ref.max_pool2d(x, spec)
                _close(_maybe_wrong(name, got[0]), want[0], 1, "max")
                _close(got[1], want[1], 1, "argmax")
            elif name == "max_pool2d_backward":
                _close(_maybe_wrong(name, engine.max_pool2d_backward(x, dy, spec)),
                       ref.max_pool2d_backward(x, dy, spec), 9, "max backward")
            elif name == "avg_pool2d_forward":
                _close(_maybe_wrong(name, engine.avg_pool2d(x, spec)), ref.avg_pool2d(x, spec), 9, "avg")
            else:
                _close(_maybe_wrong(name, engine.avg_pool2d_backward(x.shape, dy, spec)),
                       ref.avg_pool2d_backward(x.shape, dy, spec), 9, "avg backward")
    return check


def _check_activation(name: str):
    def check(engine, ref) -> None:
        from ..core.activations import ACTIVATIONS
        rng = np.random.default_rng(11)
        z = rng.standard_normal((2, 3, 5, 7)).astype(np.float32) * 3
        da = rng.standard_normal(z.shape).astype(np.float32)
        for act in ACTIVATIONS:
            if name == "activation_forward":
                _close(_maybe_wrong(name, engine.activation(z, act, 0.1)), ref.activation(z, act, 0.1), 1, act)
            else:
                _close(_maybe_wrong(name, engine.activation_backward(z, da, act, 0.1)),
                       ref.activation_backward(z, da, act, 0.1), 1, act)
    return check


def _check_forward(engine, ref) -> None:
    _check_conv(engine, ref, direct=False, forward=True, backward=False, name="conv2d_forward")


def _check_dw(engine, ref) -> None:
    _check_conv(engine, ref, direct=False, forward=False, backward=True, name="conv2d_dw")


def _check_direct_forward(engine, ref) -> None:
    _check_conv(engine, ref, direct=True, forward=True, backward=False, name="conv2d_direct_forward")


def _check_direct_backward(engine, ref) -> None:
    _check_conv(engine, ref, direct=True, forward=False, backward=True, name="conv2d_direct_backward")


# In dependency order: a family is checked through the engine's operations, which use
# the families before it.
FAMILIES = {
    "remap2d": _check_remap,
    "remap2d_adjoint": _check_remap_adjoint,
    "flip_kernel": _check_flip,
    "reduce_partials": _check_reduce,
    "channel_sum": _check_channel_sum,
    "conv2d_forward": _check_forward,
    "conv2d_dw": _check_dw,
    "conv2d_direct_forward": _check_direct_forward,
    "conv2d_direct_backward": _check_direct_backward,
    "conv2d_dx_scatter": _check_scatter,
    "im2col": _check_im2col,
    "col2im": _check_col2im,
    "matmul": _check_matmul,
    "max_pool2d_forward": _check_pool("max_pool2d_forward"),
    "max_pool2d_backward": _check_pool("max_pool2d_backward"),
    "avg_pool2d_forward": _check_pool("avg_pool2d_forward"),
    "avg_pool2d_backward": _check_pool("avg_pool2d_backward"),
    "activation_forward": _check_activation("activation_forward"),
    "activation_backward": _check_activation("activation_backward"),
}
