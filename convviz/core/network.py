"""A stack of 1 to MAX_BLOCKS blocks, each conv → activation → optional pooling, with a loss at the end.

    X = P⁰ → [block 1] → P¹ → [block 2] → P² … → Pᴸ → L

Every block has its own kernel, bias and :class:`.pipeline.BlockConfig`; the loss is the
last block's ``config.loss`` (its ``one_hot_cell``) with the network's ``target`` or
painted ``dp``; the loss settings of the other blocks are not used. Block numbers in
messages count from 1 ("block 2"), as the window names them.

:meth:`Network.compute` runs the forward pass block by block and then the backward pass
from the loss down, every operation through the same backend a one-block
:class:`.pipeline.Pipeline` uses (OpenCL when available, the numpy reference otherwise);
each block's dX is the dP of the block below it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from .activations import check_activation
from .backend import Backend, resolve
from .losses import loss_and_gradient
from .pipeline import POOLS, BlockConfig, Results
from .spec import check_conv, check_padding_fits, check_pool, make_conv_spec

MAX_BLOCKS = 4


@dataclass(frozen=True, eq=False)
class Block:
    """One layer: kernel ``w`` (Cout, Cin/groups, kh, kw), bias ``b`` (Cout,) or None, and its settings."""
    w: np.ndarray
    b: np.ndarray | None = None
    config: BlockConfig = field(default_factory=BlockConfig)

    def with_params(self, w: np.ndarray, b: np.ndarray | None) -> "Block":
        return replace(self, w=w, b=b)


@dataclass
class NetworkResults:
    """What :meth:`Network.compute` gives: per block its input and its :class:`Results`
    (z, a, p, dp, da, dz, dx, dw, db; ``x_pad`` is not kept), and the loss."""
    inputs: list                      # inputs[l] is what block l+1 reads: X, then P¹, P², …
    blocks: list                      # Results per block, first to last
    loss: float
    seconds: float = 0.0

    @property
    def output(self) -> np.ndarray:
        return self.blocks[-1].p


@dataclass(frozen=True, eq=False)
class Network:
    """The input ``x`` (N, C, H, W), the blocks first to last, and what the loss needs."""
    x: np.ndarray
    blocks: tuple
    target: np.ndarray | None = None
    dp: np.ndarray | None = None

    def __post_init__(self):
        blocks = tuple(self.blocks)
        if not 1 <= len(blocks) <= MAX_BLOCKS:
            raise ValueError(f"a network has 1 to {MAX_BLOCKS} blocks; got {len(blocks)}: "
                             f"{'add a block' if not blocks else 'remove a block'}")
        for i, b in enumerate(blocks):
            if not isinstance(b, Block):
                raise ValueError(f"block {i + 1} must be a Block(w, b, config); got {type(b).__name__}")
        object.__setattr__(self, "blocks", blocks)

    @property
    def loss_config(self) -> BlockConfig:
        """The settings the loss is taken from: the last block's."""
        return self.blocks[-1].config

    def with_blocks(self, blocks) -> "Network":
        return replace(self, blocks=tuple(blocks))

    def shapes(self) -> list[tuple[tuple, tuple]]:
        """(input shape, output shape) of every block, from shapes alone; a block whose input
        does not fit raises a ValueError that names the block and what to change."""
        shape = tuple(np.shape(self.x))
        if len(shape) != 4:
            raise ValueError(f"the network's input x must be 4-D (N, C, H, W); got shape {shape}")
        out = []
        for i, blk in enumerate(self.blocks):
            c = blk.config
            w_shape = tuple(np.shape(blk.w))
            if len(w_shape) != 4:
                raise ValueError(f"block {i + 1}: its kernel must be 4-D (Cout, Cin/groups, kh, kw); "
                                 f"got shape {w_shape}")
            n, cin, h, wd = shape
            need = w_shape[1] * c.groups
            if need != cin:
                feeds = "the input x has" if i == 0 else f"block {i} gives"
                raise ValueError(f"block {i + 1}: its kernel reads {need} channel(s) ({w_shape[1]} × {c.groups} "
                                 f"group(s)) but {feeds} {cin}; make block {i + 1}'s kernel of shape "
                                 f"({w_shape[0]}, {cin // c.groups if cin % c.groups == 0 else cin}, "
                                 f"{w_shape[2]}, {w_shape[3]})"
                                 + ("" if i == 0 else f" or give block {i} {need} filter(s)"))
            try:
                spec = make_conv_spec(w_shape[2:], **c.conv_args())
                check_padding_fits(spec, (h, wd))
            except ValueError as exc:
                raise ValueError(f"block {i + 1}: {exc}") from None
            oh, ow = spec.output_size((h, wd))
            if oh < 1 or ow < 1:
                raise ValueError(f"block {i + 1}: its {h}×{wd} input is too small for its kernel; "
                                 f"add padding or use a smaller kernel in block {i + 1} or fewer poolings below it")
            if c.pool in ("max", "avg"):
                k = c.pool_kernel
                s = c.pool_stride or k
                p = c.pool_padding
                oh, ow = ((oh + 2 * p[0] - k[0]) // s[0] + 1, (ow + 2 * p[1] - k[1]) // s[1] + 1)
                if oh < 1 or ow < 1:
                    raise ValueError(f"block {i + 1}: its {k[0]}×{k[1]} pool window does not fit the "
                                     f"{spec.output_size((h, wd))} output of its convolution; use a smaller "
                                     f"window or pool 'none' in block {i + 1}")
            elif c.pool != "none":
                raise ValueError(f"block {i + 1}: unknown pooling {c.pool!r}; use one of {', '.join(POOLS)}")
            out.append((shape, (n, w_shape[0], oh, ow)))
            shape = (n, w_shape[0], oh, ow)
        return out

    # ------------------------------------------------------------ computing

    def compute(self, backend: str | Backend | None = None) -> NetworkResults:
        """Forward through every block, the loss, then backward down to dX of the input."""
        engine = resolve(backend)
        t0 = time.perf_counter()
        self.shapes()
        inputs, results = [], []
        a_in = self.x
        for i, blk in enumerate(self.blocks):
            inputs.append(np.ascontiguousarray(a_in, dtype=np.float32))
            try:
                r = _forward(engine, inputs[-1], blk)
            except ValueError as exc:
                raise ValueError(f"block {i + 1}: {exc}") from None
            results.append(r)
            a_in = r.p
        c = self.loss_config
        try:
            loss, dp = loss_and_gradient(c.loss, a_in, cell=c.one_hot_cell, target=self.target, grad=self.dp)
        except ValueError as exc:
            raise ValueError(f"the loss after block {len(self.blocks)}: {exc}") from None
        for i in range(len(self.blocks) - 1, -1, -1):
            _backward(engine, inputs[i], self.blocks[i], results[i], dp)
            dp = results[i].dx
        for r in results:
            r.loss = loss
        return NetworkResults(inputs, results, loss, time.perf_counter() - t0)


def _forward(engine, x: np.ndarray, blk: Block) -> Results:
    c = blk.config
    r = Results()
    w_eff = np.ascontiguousarray(blk.w[:, :, ::-1, ::-1]) if c.true_convolution else blk.w
    x, w, b, spec = check_conv(x, w_eff, blk.b, c.conv_args())
    r.spec, r.w_eff = spec, w
    r.z = engine.conv2d(x, w, b, spec)
    check_activation(c.activation)
    r.a = engine.activation(r.z, c.activation, c.slope)
    if c.pool == "none":
        r.p = r.a
    else:
        _, r.pool_spec = check_pool(r.a, c.pool_kernel, c.pool_stride, c.pool_padding)
        if c.pool == "max":
            r.p, r.argmax = engine.max_pool2d(r.a, r.pool_spec)
        else:
            r.p = engine.avg_pool2d(r.a, r.pool_spec)
    return r


def _backward(engine, x: np.ndarray, blk: Block, r: Results, dp: np.ndarray) -> None:
    c = blk.config
    r.dp = dp
    if c.pool == "max":
        r.da = engine.max_pool2d_backward(r.a, dp, r.pool_spec)
    elif c.pool == "avg":
        r.da = engine.avg_pool2d_backward(r.a.shape, dp, r.pool_spec)
    else:
        r.da = dp
    r.dz = engine.activation_backward(r.z, r.da, c.activation, c.slope)
    r.dx, r.dw_eff, r.db = engine.conv2d_backward(x, r.w_eff, r.dz, r.spec)
    r.dw = np.ascontiguousarray(r.dw_eff[:, :, ::-1, ::-1]) if c.true_convolution else r.dw_eff


def single(x, w, b=None, config: BlockConfig = BlockConfig(), target=None, dp=None) -> Network:
    """A one-block network: the same block a one-block scene shows."""
    return Network(x, (Block(w, b, config),), target, dp)
