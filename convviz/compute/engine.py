"""The OpenCL backend: the same operations as :mod:`convviz.core.reference`, on a device.

Every size, stride, dilation and channel count is a kernel argument. The only
compile-time constants are a vector width per family (chosen by qualification: the
widest that builds, runs and agrees with numpy on this device) and a channel blocking
of 1 or a fixed block, so the set of programs is finite: :mod:`.qualify` builds and
checks every one of them in a child process before this engine uses the device, and no
configuration a person picks ever compiles anything here. pyopencl keeps the built
binaries on disk between runs. Every driver failure leaves as an :class:`OpenCLError`.
"""
from __future__ import annotations

import numpy as np

from ..core.activations import ACTIVATION_CODES, DEFAULT_SLOPE
from ..core.geometry import dx_gather, insert_zeros_index
from ..core.spec import ConvSpec, PoolSpec
from .device_base import (DIRECT_MAX_MACS, DIRECT_MAX_TERMS, DW_COB, DW_COB_SQUARE, DW_ROW_TAPS, FWD_COB,
                          UNROLLED_KERNEL, DeviceBase, round_up)


class ClEngine(DeviceBase):
    """The operations of :mod:`convviz.core.reference`, each as kernels on the device."""

    # ------------------------------------------------------------ remaps (pad, crop, zeros)

    def remap_buf(self, src, planes: int, src_hw, rows: np.ndarray, cols: np.ndarray):
        """Device buffer of remap2d(src); returns (buffer, (dst_h, dst_w))."""
        dst_h, dst_w = len(rows), len(cols)
        dst = self.empty(planes * dst_h * dst_w * 4)
        self.run(self.program("remap2d"), (dst_h, planes), src, dst,
                 self.constant(rows, np.int32), self.constant(cols, np.int32),
                 self.i32(src_hw[0]), self.i32(src_hw[1]), self.i32(dst_h), self.i32(dst_w))
        return dst, (dst_h, dst_w)

    def pad_backward_buf(self, src, planes: int, src_hw, spec: ConvSpec, hw):
        """The adjoint of padding on the device: each padded cell's value sent home (summed)."""
        dst = self.empty(planes * hw[0] * hw[1] * 4)
        self.run(self.program("remap2d_adjoint"), (hw[1], hw[0], planes), src, dst, *self.pad_map_buffers(spec, hw)[2:],
                 src_hw[0], src_hw[1], hw[0], hw[1])
        return dst

    def _remap(self, x: np.ndarray, rows, cols) -> np.ndarray:
        n, c = x.shape[:2]
        buf, hw = self.remap_buf(self.upload(x), n * c, x.shape[2:], rows, cols)
        return self.download(buf, (n, c) + hw)

    def pad(self, x: np.ndarray, spec: ConvSpec) -> np.ndarray:
        rows, cols = spec.pad_maps(x.shape[2:])
        return self._remap(x, rows, cols)

    def pad_backward(self, dxp: np.ndarray, spec: ConvSpec, hw) -> np.ndarray:
        n, c = dxp.shape[:2]
        buf = self.pad_backward_buf(self.upload(dxp), n * c, dxp.shape[2:], spec, hw)
        return self.download(buf, (n, c) + tuple(hw))

    def insert_zeros(self, x: np.ndarray, stride) -> np.ndarray:
        return self._remap(x, insert_zeros_index(x.shape[2], stride[0]), insert_zeros_index(x.shape[3], stride[1]))

    def dilate_kernel(self, w: np.ndarray, dilation) -> np.ndarray:
        return self.insert_zeros(w, dilation)

    def pad_or_crop(self, x: np.ndarray, pads) -> np.ndarray:
        t, b, l, r = pads
        return self._remap(x, insert_zeros_index(x.shape[2], 1, t, b), insert_zeros_index(x.shape[3], 1, l, r))

    def flip_kernel_buf(self, w_buf, w_shape, groups: int):
        cout, cin_g, kh, kw = w_shape
        total = cout * cin_g * kh * kw
        dst = self.empty(total * 4)
        self.run(self.program("flip_kernel"), (total,), w_buf, dst, self.i32(cin_g), self.i32(cout // groups),
                 self.i32(kh), self.i32(kw), exact=True)
        return dst

    def flip_kernel(self, w: np.ndarray, groups: int = 1) -> np.ndarray:
        cout, cin_g, kh, kw = w.shape
        buf = self.flip_kernel_buf(self.upload(w), w.shape, groups)
        return self.download(buf, (cin_g * groups, cout // groups, kh, kw))

    # ------------------------------------------------------------ convolution

    def _padded_input(self, x_buf, x_shape, spec: ConvSpec, out_hw):
        """X_pad on the device, with zero slack columns so 8-wide loads stay inside."""
        n, c, h, w = x_shape
        rows, cols = spec.pad_maps((h, w))
        vw = self.vw["conv2d_forward"]
        need = (round_up(out_hw[1], vw) - 1) * spec.stride[1] + spec.dilation[1] * (spec.kernel[1] - 1) + 1
        if need > len(cols):
            cols = np.concatenate([cols, np.full(need - len(cols), -1)])
        return self.remap_buf(x_buf, n * c, (h, w), rows, cols)

    def _forward_buf(self, xp, xp_hw, n, w_buf, w_shape, b_buf, spec: ConvSpec, out_hw):
        cout = w_shape[0]
        cout_g = cout // spec.groups
        cob = 1 if cout_g == 1 else FWD_COB
        y = self.empty(n * cout * out_hw[0] * out_hw[1] * 4)
        square = {"KS": UNROLLED_KERNEL} if w_shape[2] == w_shape[3] == UNROLLED_KERNEL else {}
        k = self.program("conv2d_forward", COB=cob, **square)
        blocks = -(-cout_g // cob)
        self.run(k, (-(-out_hw[1] // self.vw["conv2d_forward"]), out_hw[0], n * spec.groups * blocks),
                 xp, w_buf, b_buf, y, xp_hw[0], xp_hw[1], out_hw[0], out_hw[1], spec.groups,
                 *self.geometry(w_shape, spec))
        return y

    def use_direct(self, x_shape, w_shape, spec: ConvSpec, out_hw) -> bool:
        """The one-launch kernels (conv2d_direct_*) for small problems, where launches and
        copies cost more than the arithmetic; the tiled ones otherwise."""
        if self.direct is not None:
            return self.direct
        terms = x_shape[0] * out_hw[0] * out_hw[1]
        return terms <= DIRECT_MAX_TERMS and terms * int(np.prod(w_shape)) <= DIRECT_MAX_MACS

    def upload_packed(self, *arrays):
        """One device buffer holding ``arrays`` one after another (float32), and the offset
        of each: one copy costs about as much as three small ones."""
        sizes = [a.size for a in arrays]
        offsets = np.cumsum([0] + sizes[:-1]).tolist()
        packed = np.empty(sum(sizes), np.float32)
        for a, at, size in zip(arrays, offsets, sizes):
            packed[at:at + size] = a.reshape(-1)
        return self.upload(packed), offsets

    def _conv2d_direct(self, x, w, b, spec: ConvSpec, out_hw) -> np.ndarray:
        n, _, h, wd = x.shape
        rows, cols = self.pad_map_buffers(spec, (h, wd))[:2]
        packed, (_, w_at, b_at) = self.upload_packed(x, w, np.zeros(w.shape[0], np.float32) if b is None else b)
        y = self.empty(n * w.shape[0] * out_hw[0] * out_hw[1] * 4)
        self.run(self.program("conv2d_direct_forward"), (out_hw[1], out_hw[0], n * w.shape[0]),
                 packed, rows, cols, y, w_at, b_at, h, wd, out_hw[0], out_hw[1], spec.groups,
                 *self.geometry(w.shape, spec))
        return self.download(y, (n, w.shape[0]) + out_hw)

    def _conv2d_backward_direct(self, x, w, dy, spec: ConvSpec):
        n, cin, h, wd = x.shape
        sizes = (x.size, w.size, w.shape[0])
        packed, (_, w_at, dy_at) = self.upload_packed(x, w, dy)
        out = self.empty(sum(sizes) * 4)
        self.run(self.program("conv2d_direct_backward"), (sum(sizes),),
                 packed, w_at, dy_at, *self.pad_map_buffers(spec, (h, wd)), out,
                 n, h, wd, dy.shape[2], dy.shape[3], spec.groups, *self.geometry(w.shape, spec))
        flat = self.download(out, (sum(sizes),))
        return (flat[:sizes[0]].reshape(x.shape), flat[sizes[0]:sizes[0] + sizes[1]].reshape(w.shape),
                flat[sizes[0] + sizes[1]:])

    def conv2d(self, x: np.ndarray, w: np.ndarray, b, spec: ConvSpec) -> np.ndarray:
        out_hw = spec.output_size(x.shape[2:])
        if self.use_direct(x.shape, w.shape, spec, out_hw):
            return self._conv2d_direct(x, w, b, spec, out_hw)
        xp, xp_hw = self._padded_input(self.upload(x), x.shape, spec, out_hw)
        b = np.zeros(w.shape[0], np.float32) if b is None else b
        y = self._forward_buf(xp, xp_hw, x.shape[0], self.upload(w), w.shape, self.upload(b), spec, out_hw)
        return self.download(y, (x.shape[0], w.shape[0]) + out_hw)

    def _chunks(self, rows_total: int, work_items: int) -> tuple[int, int]:
        """Split N·OH rows so that a reduction has enough work-items for every core."""
        want = max(1, -(-64 // max(work_items, 1)))
        n_chunks = min(rows_total, want)
        per = -(-rows_total // n_chunks)
        return -(-rows_total // per), per

    def _reduce(self, part, n_chunks: int, n_elems: int):
        out = self.empty(n_elems * 4)
        self.run(self.program("reduce_partials"), (n_elems,), part, out, self.i32(n_elems), self.i32(n_chunks))
        return out

    def conv2d_backward(self, x: np.ndarray, w: np.ndarray, dy: np.ndarray, spec: ConvSpec):
        """(dx, dw, db). dX is the gather path: zeros inserted into dY, padded, correlated with W′."""
        n, cin, h, wd = x.shape
        cout, cin_g, kh, kw = w.shape
        cout_g = cout // spec.groups
        out_hw = dy.shape[2:]
        if self.use_direct(x.shape, w.shape, spec, out_hw):
            return self._conv2d_backward_direct(x, w, dy, spec)
        x_buf, w_buf, dy_buf = self.upload(x), self.upload(w), self.upload(dy)
        xp, xp_hw = self._padded_input(x_buf, x.shape, spec, out_hw)

        # dW: two-stage reduction over the (n, oh) rows
        rows_total = n * out_hw[0]
        square = kh == kw == UNROLLED_KERNEL            # every tap in one work-item
        cob = 1 if cout_g == 1 else (DW_COB_SQUARE if square else DW_COB)
        co_items = spec.groups * -(-cout_g // cob)
        items = cin_g * (1 if square else kh * -(-kw // DW_ROW_TAPS))
        n_chunks, per = self._chunks(rows_total, co_items * items)
        part = self.empty(n_chunks * cout * cin_g * kh * kw * 4)
        k = self.program("conv2d_dw", COB=cob, **({"KS": UNROLLED_KERNEL} if square else {"JB": DW_ROW_TAPS}))
        self.run(k, (items, co_items, n_chunks), xp, dy_buf, part,
                 xp_hw[0], xp_hw[1], out_hw[0], out_hw[1], rows_total, per, spec.groups,
                 *self.geometry(w.shape, spec), exact=True, single=True)
        dw = self._reduce(part, n_chunks, cout * cin_g * kh * kw)

        db = self._db_buf(dy_buf, dy.shape)
        dx = self._dx_gather_buf(dy_buf, dy.shape, w_buf, w.shape, spec, (h, wd))
        return (self.download(dx, x.shape), self.download(dw, w.shape), self.download(db, (cout,)))

    def _db_buf(self, dy_buf, dy_shape):
        """db[co] = Σ dy[:, co]: partial sums over chunks of (n, oh) rows, then reduced."""
        n, cout, oh, ow = dy_shape
        b_chunks, b_per = self._chunks(n * oh, cout)
        bpart = self.empty(b_chunks * cout * 4)
        self.run(self.program("channel_sum"), (cout, b_chunks), dy_buf, bpart, self.i32(cout),
                 self.i32(oh), self.i32(ow), self.i32(n * oh), self.i32(b_per), exact=True)
        return self._reduce(bpart, b_chunks, cout)

    def bias_gradient(self, dy: np.ndarray) -> np.ndarray:
        """db = Σ dy over the batch and the plane, per output channel."""
        return self.download(self._db_buf(self.upload(dy), dy.shape), (dy.shape[1],))

    def _dx_gather_buf(self, dy_buf, dy_shape, w_buf, w_shape, spec: ConvSpec, hw):
        """dX (or dX_pad for non-zero modes, then folded): geometry.dx_gather's recipe."""
        n, cout, oh, ow = dy_shape
        recipe = dx_gather(spec, hw, (oh, ow))
        wf_shape = recipe.flipped_shape(w_shape)
        span_h, span_w = (d * (k - 1) for k, d in zip(spec.kernel, spec.dilation))
        rows, cols = recipe.index_maps((oh, ow), spec.stride)
        target = (len(rows) - span_h, len(cols) - span_w)
        # slack columns for the vector loads; only outputs past target[1] ever read them
        vw = self.vw["conv2d_forward"]
        _, cols = recipe.index_maps((oh, ow), spec.stride, round_up(target[1], vw) - target[1])
        dz, dz_hw = self.remap_buf(dy_buf, n * cout, (oh, ow), rows, cols)
        wf = self.flip_kernel_buf(w_buf, w_shape, spec.groups)
        dx = self._forward_buf(dz, dz_hw, n, wf, wf_shape, self.constant(np.zeros(wf_shape[0], np.float32)),
                               recipe.spec, target)
        if not recipe.folds:
            return dx
        return self.pad_backward_buf(dx, n * wf_shape[0], target, spec, hw)

    def conv2d_dx_gather(self, dy: np.ndarray, w: np.ndarray, spec: ConvSpec, hw) -> np.ndarray:
        buf = self._dx_gather_buf(self.upload(dy), dy.shape, self.upload(w), w.shape, spec, hw)
        return self.download(buf, (dy.shape[0], w.shape[1] * spec.groups) + tuple(hw))

    def conv2d_dx_scatter(self, dy: np.ndarray, w: np.ndarray, spec: ConvSpec, hw, upto=None) -> np.ndarray:
        n, cout, oh, ow = dy.shape
        cin_g = w.shape[1]
        cin = cin_g * spec.groups
        hp, wp = spec.padded_size(hw)
        out = self.empty(n * cin * hp * wp * 4)
        self.run(self.program("conv2d_dx_scatter"), (wp, hp, n * cin), self.upload(dy), self.upload(w), out,
                 self.i32(hp), self.i32(wp), self.i32(oh), self.i32(ow),
                 self.i32(spec.kernel[0]), self.i32(spec.kernel[1]), self.i32(spec.stride[0]),
                 self.i32(spec.stride[1]), self.i32(spec.dilation[0]), self.i32(spec.dilation[1]),
                 self.i32(cin_g), self.i32(cout // spec.groups), self.i32(spec.groups),
                 np.int64(dy.size if upto is None else upto))
        return self.download(out, (n, cin, hp, wp))

    # ------------------------------------------------------------ im2col

    def _geometry_args(self, spec: ConvSpec, n, hp, wp, out_hw, cin_g):
        return (self.i32(n), self.i32(hp), self.i32(wp), self.i32(out_hw[0]), self.i32(out_hw[1]),
                self.i32(spec.kernel[0]), self.i32(spec.kernel[1]), self.i32(spec.stride[0]),
                self.i32(spec.stride[1]), self.i32(spec.dilation[0]), self.i32(spec.dilation[1]),
                self.i32(cin_g), self.i32(spec.groups))

    def im2col(self, x: np.ndarray, spec: ConvSpec) -> np.ndarray:
        n, cin, h, w = x.shape
        out_hw = spec.output_size((h, w))
        rows, cols_map = spec.pad_maps((h, w))
        xp, (hp, wp) = self.remap_buf(self.upload(x), n * cin, (h, w), rows, cols_map)
        cin_g = cin // spec.groups
        nrows, ncols = cin_g * spec.kernel[0] * spec.kernel[1], n * out_hw[0] * out_hw[1]
        out = self.empty(spec.groups * nrows * ncols * 4)
        self.run(self.program("im2col"), (ncols, nrows, spec.groups), xp, out,
                 *self._geometry_args(spec, n, hp, wp, out_hw, cin_g))
        return self.download(out, (spec.groups, nrows, ncols))

    def col2im(self, cols: np.ndarray, spec: ConvSpec, x_shape) -> np.ndarray:
        n, cin, h, w = x_shape
        out_hw = spec.output_size((h, w))
        hp, wp = spec.padded_size((h, w))
        out = self.empty(n * cin * hp * wp * 4)
        self.run(self.program("col2im"), (wp, hp, n * cin), self.upload(cols), out,
                 *self._geometry_args(spec, n, hp, wp, out_hw, cin // spec.groups))
        return self.download(out, (n, cin, hp, wp))

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Batched matrix product (G, M, K) @ (G, K, N) -> (G, M, N)."""
        g, m, k = a.shape
        n = b.shape[2]
        out = self.empty(g * m * n * 4)
        self.run(self.program("matmul"), (n, m, g), self.upload(a), self.upload(b), out,
                 self.i32(m), self.i32(n), self.i32(k), self.i32(m * k), self.i32(k), self.i32(1),
                 self.i32(k * n), self.i32(n), self.i32(1))
        return self.download(out, (g, m, n))

    # ------------------------------------------------------------ pooling

    def _pool_args(self, h, w, out_hw, spec: PoolSpec):
        return (self.i32(h), self.i32(w), self.i32(out_hw[0]), self.i32(out_hw[1]),
                self.i32(spec.kernel[0]), self.i32(spec.kernel[1]), self.i32(spec.stride[0]),
                self.i32(spec.stride[1]), self.i32(spec.padding[0]), self.i32(spec.padding[1]))

    def avg_pool2d(self, x: np.ndarray, spec: PoolSpec) -> np.ndarray:
        n, c, h, w = x.shape
        out_hw = spec.output_size((h, w))
        y = self.empty(n * c * out_hw[0] * out_hw[1] * 4)
        self.run(self.program("avg_pool2d_forward"), (out_hw[1], out_hw[0], n * c), self.upload(x), y,
                 *self._pool_args(h, w, out_hw, spec))
        return self.download(y, (n, c) + out_hw)

    def avg_pool2d_backward(self, x_shape, dy: np.ndarray, spec: PoolSpec) -> np.ndarray:
        n, c, h, w = x_shape
        dx = self.empty(n * c * h * w * 4)
        self.run(self.program("avg_pool2d_backward"), (w, h, n * c), self.upload(dy), dx,
                 *self._pool_args(h, w, dy.shape[2:], spec))
        return self.download(dx, tuple(x_shape))

    def _max_forward_bufs(self, x: np.ndarray, spec: PoolSpec):
        n, c, h, w = x.shape
        out_hw = spec.output_size((h, w))
        y = self.empty(n * c * out_hw[0] * out_hw[1] * 4)
        arg = self.empty(n * c * out_hw[0] * out_hw[1] * 4)
        self.run(self.program("max_pool2d_forward"), (out_hw[1], out_hw[0], n * c), self.upload(x), y, arg,
                 *self._pool_args(h, w, out_hw, spec))
        return y, arg, (n, c) + out_hw

    def max_pool2d(self, x: np.ndarray, spec: PoolSpec):
        y, arg, shape = self._max_forward_bufs(x, spec)
        return self.download(y, shape), self.download(arg, shape, np.int32)

    def max_pool2d_backward(self, x: np.ndarray, dy: np.ndarray, spec: PoolSpec) -> np.ndarray:
        n, c, h, w = x.shape
        _, arg, shape = self._max_forward_bufs(x, spec)
        dx = self.empty(n * c * h * w * 4)
        self.run(self.program("max_pool2d_backward"), (w, h, n * c), self.upload(dy), arg, dx,
                 *self._pool_args(h, w, shape[2:], spec))
        return self.download(dx, x.shape)

    # ------------------------------------------------------------ activations

    def activation(self, z: np.ndarray, name: str, slope: float = DEFAULT_SLOPE) -> np.ndarray:
        out = self.empty(z.size * 4)
        self.run(self.program("activation_forward"), (z.size,), self.upload(z), out,
                 self.i32(ACTIVATION_CODES[name]), np.float32(slope), self.i32(z.size))
        return self.download(out, z.shape)

    def activation_backward(self, z: np.ndarray, da: np.ndarray, name: str, slope: float = DEFAULT_SLOPE):
        out = self.empty(z.size * 4)
        self.run(self.program("activation_backward"), (z.size,), self.upload(z), self.upload(da), out,
                 self.i32(ACTIVATION_CODES[name]), np.float32(slope), self.i32(z.size))
        return self.download(out, z.shape)

