"""The scene file's schema: every field's type and range, checked before anything is built.

A scene file comes from anywhere (a colleague, a download, a damaged disk), so nothing
in it is trusted: the file's size and bracket depth are checked before JSON parsing, then
every field's type and range, then the memory and work its configuration needs, and only
then are the tensors decoded. Every problem is a ``ValueError`` naming the field:
``config.stride: 2147483648 is too large; at most 1024``.

Tensors are ``{"shape": [...], "data": [numbers]}`` (version 1 and small tensors of
version 2) or ``{"shape": [...], "data": "<base64 of float32, little-endian>"}``
(big tensors of version 2).
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import re
from pathlib import Path

import numpy as np

FORMAT = "convviz-scene"
VERSION = 2                      # written for one block (3 for a network: schema_network.py)
VERSIONS = (1, 2, 3)

MAX_FILE_BYTES = 160 * 2**20     # a version-1 file of a 1024×1024 scene with target and dP fits
MAX_DEPTH = 8                    # a scene nests at most 4 deep: tensors.x.shape, config.padding [[t, b], [l, r]]
MAX_SIDE = 1024                  # height and width of an input plane (the README's "up to 1024×1024")
MAX_VALUES = 4 * MAX_SIDE**2     # values in one tensor
MAX_PARAM = 1024                 # stride, dilation, padding, pool window, groups
MAX_VALUE = 1e15                 # |tensor value|: products and sums stay finite in float32
MAX_SLOPE = 1e3
MAX_TITLE = 200
MAX_TEXT = 5000
MAX_POSITION = 10**9
MAX_BYTES_NEEDED = 2 * 2**30     # the memory a scene's tensors, paths and steps need
MAX_MULTIPLY_ADDS = 4 * 10**9    # per convolution pass (each path needs a few)
LIST_LIMIT = 256                 # tensors with at most this many values are written as readable lists

TENSORS = ("x", "w", "b", "target", "dp")
TENSOR_NDIM = {"x": 4, "w": 4, "b": 1, "target": 4, "dp": 4}
TOP_LEVEL = ("format", "version", "title", "text", "path", "position", "config", "tensors", "network")

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)      # "unrolled": fast on long strings


def show(v) -> str:
    """A short rendering of a value from a file, for a message (never its whole content)."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        s = str(v) if v.bit_length() < 200 else f"a {len(str(abs(v)))}-digit number"
        return s
    if isinstance(v, float):
        return json.dumps(v) if math.isfinite(v) else ("NaN" if v != v else ("Infinity" if v > 0 else "-Infinity"))
    if isinstance(v, str):
        return repr(v) if len(v) <= 40 else repr(v[:40]) + "…"
    if isinstance(v, list):
        return f"a list of {len(v)} item(s)"
    if isinstance(v, dict):
        return f"a mapping of {len(v)} key(s)"
    return type(v).__name__


def _fail(field: str, problem: str):
    raise ValueError(f"{field}: {problem}")


def mapping(v, field: str, names, noun: str) -> dict:
    """``v``, a mapping whose keys are among ``names``; else a ValueError naming ``field``."""
    if not isinstance(v, dict):
        _fail(field, f"must be a mapping of {', '.join(names)}; got {show(v)}")
    unknown = sorted(set(v) - set(names), key=str)
    if unknown:
        _fail(field, f"unknown {noun}(s) {', '.join(show(k) for k in unknown[:5])}; "
                     f"the {noun}s are {', '.join(names)}")
    return v


# ------------------------------------------------------------ reading the file

def bracket_depth(text: str) -> int:
    """How deep brackets nest, outside strings (so a file cannot exhaust the parser's recursion)."""
    code = _STRING.sub('""', text).encode("utf-8", "replace")
    b = np.frombuffer(code, np.uint8)
    opens, closes = np.isin(b, (ord("["), ord("{"))), np.isin(b, (ord("]"), ord("}")))
    idx = np.flatnonzero(opens | closes)
    if idx.size == 0:
        return 0
    return int(np.cumsum(np.where(opens[idx], 1, -1)).max())


def read_json(path) -> object:
    """The parsed JSON of a scene file, after checking its size and nesting."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"the file is {size / 2**20:.0f} MiB; a scene file is at most "
                             f"{MAX_FILE_BYTES // 2**20} MiB")
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ValueError(f"cannot read the file: {why}") from None
    return parse_json(text)


def parse_json(text: str) -> object:
    """JSON text as Python values, after checking its size and bracket depth."""
    if len(text) > MAX_FILE_BYTES:
        raise ValueError(f"the file is too large; a scene file is at most {MAX_FILE_BYTES // 2**20} MiB")
    depth = bracket_depth(text)
    if depth > MAX_DEPTH:
        raise ValueError(f"brackets nest {depth} deep; a scene nests at most {MAX_DEPTH} deep: "
                         f"the file is damaged or not a scene")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON (line {exc.lineno}): the file may be damaged") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"cannot be read as JSON ({str(exc)[:80]}): the file may be damaged") from None


# ------------------------------------------------------------ fields

def whole(v, field: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        _fail(field, f"must be a whole number; got {show(v)}")
    if v < lo:
        _fail(field, f"{show(v)} is too small; at least {lo}")
    if v > hi:
        _fail(field, f"{show(v)} is too large; at most {hi}")
    return v


def pair(v, field: str, lo: int, hi: int, *, as_pair: bool = True):
    """A whole number or [height, width]; returned as a pair (or kept a number when not ``as_pair``)."""
    if isinstance(v, list):
        if len(v) != 2:
            _fail(field, f"must be one number or a pair [height, width]; got {show(v)}")
        return whole(v[0], f"{field}[0]", lo, hi), whole(v[1], f"{field}[1]", lo, hi)
    v = whole(v, field, lo, hi)
    return (v, v) if as_pair else v


def choice(v, field: str, options) -> str:
    if not isinstance(v, str) or v not in options:
        _fail(field, f"{show(v)} is not one of {', '.join(options)}")
    return v


def string(v, field: str, limit: int) -> str:
    if not isinstance(v, str):
        _fail(field, f"must be text; got {show(v)}")
    if len(v) > limit:
        _fail(field, f"is {len(v)} characters long; at most {limit}")
    return v


def number(v, field: str, limit: float) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        _fail(field, f"must be a number; got {show(v)}")
    if not math.isfinite(v) or abs(v) > limit:
        _fail(field, f"{show(v)} is out of range; use a number between {-limit:g} and {limit:g}")
    return float(v)


def _padding(v, field: str):
    if isinstance(v, str):
        return choice(v, field, ("same", "valid"))
    if isinstance(v, list) and len(v) == 2 and all(isinstance(p, list) for p in v):
        return tuple(pair(p, f"{field}[{i}]", 0, MAX_PARAM) for i, p in enumerate(v))
    return pair(v, field, 0, MAX_PARAM, as_pair=False)


def check_config(cfg) -> dict:
    """The config section as BlockConfig keyword arguments (pairs as tuples)."""
    from .activations import ACTIVATIONS
    from .losses import LOSSES
    from .pipeline import POOLS, BlockConfig
    from .spec import PADDING_MODES

    mapping(cfg, "config", tuple(BlockConfig.__dataclass_fields__), "setting")
    out = {}
    for k, v in cfg.items():
        f = f"config.{k}"
        if k in ("stride", "dilation", "pool_kernel"):
            out[k] = pair(v, f, 1, MAX_PARAM)
        elif k == "pool_stride":
            out[k] = None if v is None else pair(v, f, 1, MAX_PARAM)
        elif k == "pool_padding":
            out[k] = pair(v, f, 0, MAX_PARAM // 2)
        elif k == "padding":
            out[k] = _padding(v, f)
        elif k == "groups":
            out[k] = whole(v, f, 1, MAX_PARAM)
        elif k == "padding_mode":
            out[k] = choice(v, f, PADDING_MODES)
        elif k == "true_convolution":
            if not isinstance(v, bool):
                _fail(f, f"must be true or false; got {show(v)}")
            out[k] = v
        elif k == "activation":
            out[k] = choice(v, f, ACTIVATIONS)
        elif k == "slope":
            out[k] = number(v, f, MAX_SLOPE)
        elif k == "pool":
            out[k] = choice(v, f, POOLS)
        elif k == "loss":
            out[k] = choice(v, f, LOSSES)
        elif k == "one_hot_cell":
            if not isinstance(v, list) or len(v) != 4:
                _fail(f, f"must be four whole numbers [n, c, i, j]; got {show(v)}")
            out[k] = tuple(whole(e, f"{f}[{i}]", 0, MAX_VALUES) for i, e in enumerate(v))
    return out


def check_shape(v, field: str, ndim: int) -> tuple:
    if not isinstance(v, list) or len(v) != ndim:
        what = "(N, C, H, W)" if ndim == 4 else "(C,)"
        _fail(field, f"must be a list of {ndim} whole number(s) {what}; got {show(v)}")
    shape = tuple(whole(s, f"{field}[{i}]", 1, MAX_VALUES) for i, s in enumerate(v))
    if ndim == 4 and max(shape[2:]) > MAX_SIDE:
        _fail(field, f"a {shape[2]}×{shape[3]} plane is too large; at most {MAX_SIDE}×{MAX_SIDE}")
    n = math.prod(shape)
    if n > MAX_VALUES:
        _fail(field, f"{'×'.join(map(str, shape))} is {n:,} values; at most {MAX_VALUES:,}")
    return shape


def check_tensor_entry(v, name: str, version: int):
    """(shape, data) of one tensor entry, data not yet decoded; None for an absent tensor."""
    field = f"tensors.{name}"
    if v is None:
        if name in ("x", "w"):
            _fail(field, "missing; a scene needs an input x and a kernel w")
        return None
    if not isinstance(v, dict):
        _fail(field, f"must be {{'shape': [...], 'data': [...]}}; got {show(v)}")
    unknown = sorted(set(v) - {"shape", "data"})
    if unknown:
        _fail(field, f"unknown key(s) {', '.join(show(k) for k in unknown[:5])}; a tensor has 'shape' and 'data'")
    if "shape" not in v or "data" not in v:
        _fail(field, "must have both 'shape' and 'data'")
    shape = check_shape(v["shape"], f"{field}.shape", TENSOR_NDIM[name])
    data = v["data"]
    n = math.prod(shape)
    if isinstance(data, list):
        if len(data) != n:
            _fail(f"{field}.data", f"has {len(data):,} values but the shape {list(shape)} needs {n:,}")
    elif isinstance(data, str) and version >= 2:
        if len(data) != 4 * math.ceil(4 * n / 3):
            _fail(f"{field}.data", f"holds {len(data):,} base64 characters but {n:,} float32 values need "
                                   f"{4 * math.ceil(4 * n / 3):,}")
    else:
        _fail(f"{field}.data", f"must be a list of numbers{' or base64 text' if version >= 2 else ''}; "
                               f"got {show(data)}")
    return shape, data


def decode_tensor(shape: tuple, data, name: str) -> np.ndarray:
    field = f"tensors.{name}.data"
    if isinstance(data, str):
        try:
            raw = base64.b64decode(data.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            _fail(field, "is not valid base64 text")
        arr = np.frombuffer(raw, "<f4").astype(np.float32)
    else:
        bad = next((i for i, e in enumerate(data) if isinstance(e, bool) or not isinstance(e, (int, float))), None)
        if bad is not None:
            _fail(f"{field}[{bad}]", f"must be a number; got {show(data[bad])}")
        try:
            arr = np.asarray(data, dtype=np.float64)
        except OverflowError:
            arr = np.array([float(e) if abs(e) < 1e300 else math.inf for e in data])
        with np.errstate(over="ignore"):
            arr = arr.astype(np.float32)
    arr = arr.reshape(shape)
    ok = np.isfinite(arr) & (np.abs(arr) <= MAX_VALUE)
    if not ok.all():
        at = tuple(int(i) for i in np.argwhere(~ok)[0])
        _fail(f"tensors.{name}", f"holds {show(float(arr[at]))} at index {list(at)}; values must be finite and "
                                 f"within ±{MAX_VALUE:g}")
    return arr


def check_scene(d) -> dict:
    """Check a parsed scene file; returns its fields (tensors as (shape, data), not decoded)."""
    from .paths.registry import PATHS

    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise ValueError("this is not a convviz scene file (no 'format': 'convviz-scene')")
    unknown = sorted(set(d) - set(TOP_LEVEL))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(show(k) for k in unknown[:5])}; a scene has "
                         f"{', '.join(TOP_LEVEL)}")
    if "version" not in d:
        _fail("version", f"missing; a scene file says which version of the format it uses "
                         f"({' or '.join(map(str, VERSIONS))})")
    version = d["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        _fail("version", f"must be a whole number; got {show(version)}")
    if version > max(VERSIONS):
        raise ValueError(f"this scene was written by a newer convviz (version {show(version)}); this one "
                         f"reads up to version {max(VERSIONS)}")
    if version not in VERSIONS:
        _fail("version", f"{show(version)} is not a version of the format; this convviz reads "
                         f"{' and '.join(map(str, VERSIONS))}")
    out = {"version": version,
           "title": string(d.get("title", ""), "title", MAX_TITLE),
           "text": string(d.get("text", ""), "text", MAX_TEXT),
           "path": choice(d.get("path", "forward"), "path", PATHS),
           "position": whole(d.get("position", 0), "position", 0, MAX_POSITION),
           "config": check_config(d.get("config", {}))}
    t = d.get("tensors")
    mapping(t, "tensors", TENSORS, "tensor")
    out["tensors"] = {k: check_tensor_entry(t.get(k), k, version) for k in TENSORS}
    if "network" in d:
        from .schema_network import check_section
        out["network"] = check_section(d["network"], version)
    return out


# ------------------------------------------------------------ what a configuration needs

def needs(x_shape: tuple, w_shape: tuple, config) -> tuple[int, int]:
    """(bytes, multiply-adds) a block needs, estimated from shapes and config alone.

    The bytes count the largest tensors the pipeline and the paths hold at once (float32):
    the padded input and its gradient, every output-sized tensor, the zero-inserted and
    padded dZ of dX by gather, and im2col's columns.
    """
    from .spec import make_conv_spec, output_length

    n, c, h, wd = x_shape
    cout, cin_g, kh, kw = w_shape
    spec = make_conv_spec((kh, kw), stride=config.stride, padding=config.padding, dilation=config.dilation,
                          groups=config.groups, padding_mode=config.padding_mode)
    t, b, l, r = spec.padding
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    hp, wp = h + t + b, wd + l + r
    oh = max(1, output_length(h, t, b, kh, sh, dh))
    ow = max(1, output_length(wd, l, r, kw, sw, dw))
    gh = (oh - 1) * sh + 1 + 2 * max(0, dh * (kh - 1))
    gw = (ow - 1) * sw + 1 + 2 * max(0, dw * (kw - 1))
    values = (4 * n * c * hp * wp              # X_pad, dX_pad (scatter, gather, im2col)
              + 10 * n * cout * oh * ow        # Z, A, P, dP, dA, dZ and copies
              + 2 * n * cout * gh * gw         # dZ with zeros inserted, padded
              + 2 * n * oh * ow * c * kh * kw)  # im2col's X_col and dX_col
    return 4 * values, n * cout * oh * ow * cin_g * kh * kw


def check_needs(x_shape: tuple, w_shape: tuple, config) -> None:
    memory, work = needs(x_shape, w_shape, config)
    if memory > MAX_BYTES_NEEDED:
        raise ValueError(f"this scene needs about {memory / 2**30:.1f} GiB of memory for its tensors and paths; "
                         f"at most {MAX_BYTES_NEEDED / 2**30:.0f} GiB: use a smaller input, kernel or padding")
    if work > MAX_MULTIPLY_ADDS:
        raise ValueError(f"this scene needs {work:.2g} multiply-adds per pass; at most {MAX_MULTIPLY_ADDS:.0g}: "
                         f"use a smaller input, kernel, padding or fewer channels")


def encode_tensor(a: np.ndarray) -> dict:
    """A tensor as the file holds it: readable numbers when small, base64 float32 when big."""
    if a.size <= LIST_LIMIT:
        return {"shape": list(a.shape), "data": a.astype(np.float64).ravel().tolist()}
    raw = memoryview(np.ascontiguousarray(a, dtype="<f4")).cast("B")
    step = 3 * 2**16        # whole base64 groups: pieces join into one encoding; each is short,
    #                         so an autosave thread never holds the interpreter long
    return {"shape": list(a.shape),
            "data": "".join(base64.b64encode(raw[i:i + step]).decode("ascii") for i in range(0, len(raw), step))}
