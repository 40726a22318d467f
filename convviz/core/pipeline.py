"""One block, X -> pad -> Z = X ⋆ W + b -> A = σ(Z) -> P = pool(A) -> L, computed by a backend.

A change recomputes only what depends on it: a new upstream gradient does not rerun
the forward pass, a new activation does not rerun the convolution.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .activations import check_activation
from .backend import Backend, resolve
from .losses import loss_and_gradient
from .spec import ConvSpec, PoolSpec, check_conv, check_pool

POOLS = ("none", "max", "avg")


@dataclass(frozen=True)
class BlockConfig:
    """Everything about a block but its tensors."""
    stride: tuple = (1, 1)
    padding: object = (1, 1)               # int, pair, ((t, b), (l, r)), "same", "valid"
    dilation: tuple = (1, 1)
    groups: int = 1
    padding_mode: str = "zeros"
    true_convolution: bool = False         # correlate with the kernel rotated 180°
    activation: str = "relu"
    slope: float = 0.01
    pool: str = "max"
    pool_kernel: tuple = (2, 2)
    pool_stride: tuple | None = None
    pool_padding: tuple = (0, 0)
    loss: str = "sum"
    one_hot_cell: tuple = (0, 0, 0, 0)

    def conv_args(self) -> dict:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups, padding_mode=self.padding_mode)


# which computed levels a changed field invalidates
_FORWARD, _ACT, _POOL, _LOSS = 0, 1, 2, 3
_LEVEL = {f.name: _FORWARD for f in fields(BlockConfig)}
_LEVEL.update(activation=_ACT, slope=_ACT, pool=_POOL, pool_kernel=_POOL, pool_stride=_POOL,
              pool_padding=_POOL, loss=_LOSS, one_hot_cell=_LOSS)


UNCHANGED = _LOSS + 1          # what stale_level returns when nothing changed


def stale_level(old_t: "Tensors", old_c: BlockConfig, new_t: "Tensors", new_c: BlockConfig) -> int:
    """The first level that the change from (old_t, old_c) to (new_t, new_c) invalidates
    (one past the last level when nothing changed). Arrays count as changed when they are
    other objects; target and dP only reach the loss."""
    level = UNCHANGED
    for f in fields(Tensors):
        if getattr(old_t, f.name) is not getattr(new_t, f.name):
            level = min(level, _LOSS if f.name in ("target", "dp") else _FORWARD)
    for f in fields(BlockConfig):
        if getattr(old_c, f.name) != getattr(new_c, f.name):
            level = min(level, _LEVEL[f.name])
    return level


@dataclass
class Tensors:
    """What the user gives: input, kernel, bias, and the target or painted dP."""
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray | None = None
    target: np.ndarray | None = None
    dp: np.ndarray | None = None


@dataclass
class Results:
    spec: ConvSpec | None = None
    pool_spec: PoolSpec | None = None
    w_eff: np.ndarray | None = None        # the kernel actually correlated (flipped for true convolution)
    x_pad: np.ndarray | None = None
    z: np.ndarray | None = None
    a: np.ndarray | None = None
    p: np.ndarray | None = None
    argmax: np.ndarray | None = None
    loss: float | None = None
    dp: np.ndarray | None = None
    da: np.ndarray | None = None
    dz: np.ndarray | None = None
    dx: np.ndarray | None = None
    dw_eff: np.ndarray | None = None
    dw: np.ndarray | None = None           # gradient of the kernel as the user wrote it
    db: np.ndarray | None = None
    seconds: float = 0.0
    recomputed: list = field(default_factory=list)


class Pipeline:
    """Holds the block's inputs and computes its tensors on demand through its backend."""

    def __init__(self, tensors: Tensors, config: BlockConfig = BlockConfig(),
                 backend: str | Backend | None = None):
        """``backend``: "numpy", "opencl", None (automatic) or a :class:`Backend` object."""
        self.backend = backend
        self.tensors = tensors
        self.config = config
        self._r = Results()
        self._valid = -1                   # highest level that is up to date
        self.engine: Backend = resolve(backend)

    # ------------------------------------------------------------ changes

    def set_config(self, **changes) -> None:
        self._change(self.tensors, replace(self.config, **changes))

    def set_tensors(self, **changes) -> None:
        self._change(replace(self.tensors, **changes), self.config)

    def _change(self, tensors: Tensors, config: BlockConfig) -> None:
        self._valid = min(self._valid, stale_level(self.tensors, self.config, tensors, config) - 1)
        self.tensors, self.config = tensors, config

    def with_inputs(self, tensors: Tensors, config: BlockConfig) -> "Pipeline":
        """A new pipeline on ``tensors`` and ``config`` that keeps this one's results as far
        as they still hold: the cache is keyed on the inputs, arrays by identity (they are
        replaced by a change, never written in place) and the configuration by value.

        The two pipelines share nothing that either writes, so the new one can be computed
        on another thread while this one stays on screen.
        """
        p = Pipeline.__new__(Pipeline)
        p.backend, p.engine, p.tensors, p.config = self.backend, self.engine, tensors, config
        p._r = self._r
        p._valid = min(self._valid, stale_level(self.tensors, self.config, tensors, config) - 1)
        return p

    @property
    def up_to_date(self) -> bool:
        """Every level is computed for the current inputs (``compute`` has nothing to do)."""
        return self._valid >= _LOSS

    # ------------------------------------------------------------ computing

    def compute(self) -> Results:
        """Bring every level up to date; raises ValueError for an impossible configuration."""
        if self._valid >= _LOSS:
            return self._r
        t0 = time.perf_counter()
        r, c, t = replace(self._r), self.config, self.tensors     # the old results stay whole on failure
        done = []
        if self._valid < _FORWARD:
            w_eff = np.ascontiguousarray(t.w[:, :, ::-1, ::-1]) if c.true_convolution else t.w
            x, w, b, spec = check_conv(t.x, w_eff, t.b, c.conv_args())
            r.spec, r.w_eff = spec, w
            r.x_pad = self.engine.pad(x, spec)
            r.z = self.engine.conv2d(x, w, b, spec)
            done.append("conv")
        if self._valid < _ACT:
            check_activation(c.activation)
            r.a = self.engine.activation(r.z, c.activation, c.slope)
            done.append("activation")
        if self._valid < _POOL:
            if c.pool == "none":
                r.pool_spec, r.p, r.argmax = None, r.a, None
            elif c.pool in ("max", "avg"):
                _, r.pool_spec = check_pool(r.a, c.pool_kernel, c.pool_stride, c.pool_padding)
                if c.pool == "max":
                    r.p, r.argmax = self.engine.max_pool2d(r.a, r.pool_spec)
                else:
                    r.p, r.argmax = self.engine.avg_pool2d(r.a, r.pool_spec), None
            else:
                raise ValueError(f"unknown pooling {c.pool!r}; use one of {', '.join(POOLS)}")
            done.append("pool")
        if self._valid < _LOSS:
            r.loss, r.dp = loss_and_gradient(c.loss, r.p, cell=c.one_hot_cell, target=t.target, grad=t.dp)
            if c.pool == "max":
                r.da = self.engine.max_pool2d_backward(r.a, r.dp, r.pool_spec)
            elif c.pool == "avg":
                r.da = self.engine.avg_pool2d_backward(r.a.shape, r.dp, r.pool_spec)
            else:
                r.da = r.dp
            r.dz = self.engine.activation_backward(r.z, r.da, c.activation, c.slope)
            x = np.ascontiguousarray(t.x, dtype=np.float32)
            r.dx, r.dw_eff, r.db = self.engine.conv2d_backward(x, r.w_eff, r.dz, r.spec)
            r.dw = np.ascontiguousarray(r.dw_eff[:, :, ::-1, ::-1]) if c.true_convolution else r.dw_eff
            done.append("backward")
        self._r, self._valid = r, _LOSS
        r.seconds = time.perf_counter() - t0
        r.recomputed = done
        return r

    @property
    def results(self) -> Results:
        return self.compute()

    def op(self, name: str, *args):
        """Any operation of :mod:`.reference`, by name, on the pipeline's backend (for the step model)."""
        return getattr(self.engine, name)(*args)
