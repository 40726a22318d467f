"""The device plumbing under :class:`.engine.ClEngine`: kernel sources and their
compile-time variants, program building (a failed build leaves as a :class:`BuildError`),
buffers that live until the next blocking read, kept constants and pad maps, launches.
"""
from __future__ import annotations

import re
import threading
import time
import warnings
from functools import lru_cache
from importlib.resources import files

import numpy as np

from ..core.spec import ROW_BLOCK, ConvSpec
from .devices import Choice, choose_device
from .errors import BuildError, OpenCLError, Unqualified, inject, wrap


VECTOR_WIDTHS = (ROW_BLOCK, 8, 4, 1)    # the vector kernels' variants, widest (fastest) first;
                                        # spec's memory estimate reads rows in blocks of the widest
VECTOR_KERNELS = ("conv2d_forward", "conv2d_dw")
CONSTANTS_KEPT = 64   # small read-only device arrays kept between calls
UNROLLED_KERNEL = 3   # the forward kernel has a variant for this square size, whose loops unroll
FWD_COB = 8    # output channels per work-item in the forward kernel (1 when a group has one)
DW_COB = 2     # output channels per dW work-item: each X vector serves them (1 when a group has one)
DW_ROW_TAPS = 8  # taps along a kernel row per dW work-item: COB × 8 vector accumulators
DW_COB_SQUARE = 2  # the same for the KS×KS variant, whose COB × 9 vector accumulators must fit registers
LOCAL0 = 16     # work-group size along the first dimension (the runtime vectorises across it)
DIRECT_MAX_TERMS = 2048     # N·OH·OW: the most terms one work-item of the direct dW sums
DIRECT_MAX_MACS = 1 << 15   # N·Cout·OH·OW·Cin/groups·KH·KW: the largest problem done directly
MAPS_KEPT = 32  # pad maps (and their inverses) kept on the device


@lru_cache(maxsize=None)
def kernel_source(name: str) -> str:
    """The source of ``name``.cl; the vector kernels get vectors.clh in front."""
    kernels = files("convviz.kernels")
    source = kernels.joinpath(f"{name}.cl").read_text()
    if name in VECTOR_KERNELS:
        source = kernels.joinpath("vectors.clh").read_text() + "\n" + source
    return source


def program_variants(name: str) -> list[dict]:
    """The compile-time constants each program of ``name`` is ever built with (besides the
    vector width, which :meth:`ClEngine.program` adds)."""
    if name == "conv2d_forward":
        return [dict(COB=c, **ks) for c in (1, FWD_COB) for ks in ({}, {"KS": UNROLLED_KERNEL})]
    if name == "conv2d_dw":
        return [dict(COB=1, JB=DW_ROW_TAPS), dict(COB=DW_COB, JB=DW_ROW_TAPS),
                dict(COB=1, KS=UNROLLED_KERNEL), dict(COB=DW_COB_SQUARE, KS=UNROLLED_KERNEL)]
    return [{}]


SCALAR_TYPES = {"int": np.int32, "long": np.int64, "float": np.float32}


@lru_cache(maxsize=None)
def scalar_arg_dtypes(name: str) -> tuple:
    """Per argument of the kernel ``name``: the numpy type of a scalar, None for a buffer.

    Told these, pyopencl sets a scalar argument directly; left to guess, it spent about
    4 µs per scalar per launch here (45 µs for a launch with five ints), more than the
    whole forward pass of a 28×28 image."""
    source = kernel_source(name)
    match = re.search(r"__kernel\s+void\s+" + name + r"\s*\(([^)]*)\)", source)
    if match is None:
        raise BuildError(f"{name}.cl has no kernel named {name}")
    dtypes = []
    for param in match.group(1).split(","):
        words = param.replace("*", " * ").split()
        if "*" in words:
            dtypes.append(None)
        else:
            scalar = [w for w in words if w in SCALAR_TYPES]
            if len(scalar) != 1:
                raise BuildError(f"{name}.cl: cannot tell the type of the argument {param.strip()!r}")
            dtypes.append(SCALAR_TYPES[scalar[0]])
    return tuple(dtypes)


def round_up(v: int, m: int) -> int:
    return (v + m - 1) // m * m


def _csr(index: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of a remap index: for each source position, the destinations that read it."""
    order = np.argsort(index, kind="stable")
    keys = index[order]
    valid = keys >= 0
    order, keys = order[valid], keys[valid]
    ptr = np.searchsorted(keys, np.arange(size + 1)).astype(np.int32)
    return ptr, order.astype(np.int32)


class DeviceBase:
    """An OpenCL context and queue on the chosen device, with what every operation needs."""
    name = "opencl"

    def __init__(self, choice: Choice | None = None, verdicts: dict | None = None):
        """``verdicts``: family -> {"ok", "why", "vw"} from qualification; None trusts every
        family at full width (the qualification child itself, and tests)."""
        import pyopencl as cl
        import pyopencl.tools

        self.cl = cl
        self.choice = choice or choose_device()
        if self.choice.chosen is None:
            raise OpenCLError(self.choice.reason)
        self.device = self.choice.chosen.device
        self.label = self.choice.chosen.label
        try:
            self.ctx = cl.Context([self.device])
            self.queue = cl.CommandQueue(self.ctx)
        except Exception as exc:
            raise wrap(exc, f"opening {self.label}") from exc
        self.pool = pyopencl.tools.MemoryPool(pyopencl.tools.ImmediateAllocator(self.queue))
        self.description = f"OpenCL · {self.label}"
        self.vw = {name: VECTOR_WIDTHS[0] for name in VECTOR_KERNELS}
        self.unusable: dict[str, str] = {}      # family -> why numpy computes it here
        for family, verdict in (verdicts or {}).items():
            if verdict.get("ok"):
                if family in VECTOR_KERNELS:
                    self.vw[family] = verdict.get("vw", VECTOR_WIDTHS[0])
            else:
                self.unusable[family] = verdict.get("why", "it failed qualification")
        self.build_seconds = 0.0
        self._programs: dict = {}
        self._names: dict = {}      # kernel -> its name (for fault injection)
        # host arrays and device buffers that queued commands may still use: kept until the
        # next blocking read. Freed earlier, Oclgrind (and any driver that does not defer a
        # release past the commands queued on it) hands the memory out again while a kernel
        # that reads it is still waiting in the queue.
        self._in_flight: list = []
        self._constants: dict = {}
        self._maps: dict = {}
        self._lock = threading.Lock()
        self.direct: bool | None = None     # None: by size; True / False force a path (tests, benchmarks)

    # ------------------------------------------------------------ plumbing

    def program(self, name: str, **defines):
        """The kernel of ``name``.cl built with its compile-time constants (cached). The
        vector kernels get this device's qualified width; a family that failed
        qualification raises :class:`Unqualified` (numpy computes it instead)."""
        if name in VECTOR_KERNELS:
            defines["VW"] = self.vw[name]
        key = (name, tuple(sorted(defines.items())))
        prg = self._programs.get(key)
        if prg is None:
            if name in self.unusable:
                raise Unqualified(f"{name} is not used on {self.label}: {self.unusable[name]}")
            opts = [f"-D{k}={v}" for k, v in sorted(defines.items())]
            if self.choice.chosen.simulator:
                # Oclgrind 21.10's uninitialised-value check cannot follow LLVM's `freeze`,
                # which the optimiser emits: it would abort each kernel
                opts.append("-cl-opt-disable")
            what = f"building {name}.cl with {' '.join(opts) or 'no options'} on {self.label}"
            t0 = time.perf_counter()
            try:
                inject("build", name)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    built = self.cl.Program(self.ctx, kernel_source(name)).build(options=opts)
                inject("kernel", name)
                prg = self.cl.Kernel(built, name)
                prg.set_scalar_arg_dtypes(list(scalar_arg_dtypes(name)))
            except Exception as exc:            # LogicError (INVALID_KERNEL_NAME) is no RuntimeError
                err = wrap(exc, what)
                raise BuildError(str(err), err.log) from exc
            self.build_seconds += time.perf_counter() - t0
            self._programs[key] = prg
            self._names[prg] = name
        return prg

    def build_all(self) -> float:
        """Build every program the engine can use (from pyopencl's on-disk cache once
        qualification built them), so that no operation compiles when first used; the
        seconds it took. Families that fail are left to fail (and fall back) when used."""
        from .checks import FAMILIES
        t0 = time.perf_counter()
        for name in FAMILIES:
            if name in self.unusable:
                continue
            for defines in program_variants(name):
                try:
                    self.program(name, **defines)
                except OpenCLError:
                    pass
        return time.perf_counter() - t0

    def upload(self, a: np.ndarray, dtype=np.float32):
        a = np.ascontiguousarray(a, dtype=dtype)
        buf = self.empty(a.nbytes)
        self.cl.enqueue_copy(self.queue, buf, a, is_blocking=False)
        self._in_flight.append(a)       # the copy reads it later: keep it until a blocking read
        return buf

    def constant(self, a: np.ndarray, dtype=np.float32):
        """A device copy of a small array that never changes (index maps, zero bias), kept
        between calls: a new upload per call cost more than the kernels on small images."""
        a = np.ascontiguousarray(a, dtype=dtype)
        key = (a.dtype.str, a.shape, a.tobytes())
        with self._lock:
            buf = self._constants.pop(key, None)
            if buf is None:
                buf = self.cl.Buffer(self.ctx, self.cl.mem_flags.READ_ONLY | self.cl.mem_flags.COPY_HOST_PTR,
                                     hostbuf=a if a.nbytes else np.zeros(1, dtype))
            self._constants[key] = buf                   # most recently used last
            while len(self._constants) > CONSTANTS_KEPT:
                self._in_flight.append(self._constants.pop(next(iter(self._constants))))
        return buf

    def pad_map_buffers(self, spec: ConvSpec, hw):
        """Device buffers (rows, cols, row_ptr, row_idx, col_ptr, col_idx): the pad maps of
        ``spec`` for an input of ``hw`` and their CSR inverses, kept between calls."""
        key = (spec.padding, spec.padding_mode, tuple(hw))
        with self._lock:
            bufs = self._maps.pop(key, None)
        if bufs is None:
            rows, cols = spec.pad_maps(hw)
            flags = self.cl.mem_flags.READ_ONLY | self.cl.mem_flags.COPY_HOST_PTR
            arrays = (rows, cols) + _csr(rows, hw[0]) + _csr(cols, hw[1])
            bufs = tuple(self.cl.Buffer(self.ctx, flags, hostbuf=np.ascontiguousarray(a, np.int32)) for a in arrays)
        with self._lock:
            self._maps[key] = bufs
            while len(self._maps) > MAPS_KEPT:
                self._in_flight.append(self._maps.pop(next(iter(self._maps))))
        return bufs

    def release(self) -> None:
        """Free the buffers kept between calls (at exit, while the runtime is whole)."""
        with self._lock:
            for buf in self._constants.values():
                buf.release()
            for bufs in self._maps.values():
                for buf in bufs:
                    buf.release()
            self._constants.clear()
            self._maps.clear()

    def empty(self, nbytes: int):
        inject("alloc", "*")
        buf = self.pool.allocate(max(int(nbytes), 4))
        self._in_flight.append(buf)     # queued commands may use it after its last Python reference
        return buf

    def download(self, buf, shape, dtype=np.float32) -> np.ndarray:
        out = np.empty(shape, dtype)
        self.cl.enqueue_copy(self.queue, out, buf)
        self._in_flight.clear()         # the queue is in order: every earlier command is done
        return out

    def run(self, kernel, gsize, *args, exact: bool = False, single: bool = False):
        """Launch over ``gsize``. Unless ``exact``, the first dimension is rounded up to a
        whole work-group (the kernel guards its bounds): left to itself the CPU runtime
        picks work-groups of one item for a size like 1038 = 2·3·173, which was ~40×
        slower for a pad of a 1024² image. ``single``: one-item work-groups, for kernels
        whose explicit vectors and many accumulators suffer when items share SIMD lanes."""
        g = [max(1, int(v)) for v in gsize]
        local = None
        if single:
            local = (1,) * len(g)
        elif not exact:
            l0 = min(LOCAL0, 1 << (g[0] - 1).bit_length())
            g[0] = round_up(g[0], l0)
            local = (l0,) + (1,) * (len(g) - 1)
        inject("launch", self._names.get(kernel, ""))
        inject("crash", self._names.get(kernel, ""))
        with self._lock:        # a Kernel object's arguments are shared state
            kernel(self.queue, tuple(g), local, *args)

    @staticmethod
    def i32(v):
        return np.int32(v)

    @staticmethod
    def geometry(w_shape, spec: ConvSpec) -> tuple:
        """kh, kw, sh, sw, dh, dw, cin_g, cout_g: the convolution kernels' last arguments."""
        return (w_shape[2], w_shape[3], spec.stride[0], spec.stride[1], spec.dilation[0], spec.dilation[1],
                w_shape[1], w_shape[0] // spec.groups)
