"""Scene files that cannot hurt: every damaged or hostile file is a ValueError naming the field.

The hostile cases are the ones measured in the issue "Files and sizes that cannot hurt"
and their neighbours; the expected words in each message come from the schema the
README and the issue state (field names, limits), not from the loader's output.
"""
from __future__ import annotations

import base64
import copy
import json

import numpy as np
import pytest

from convviz.core import schema
from convviz.core.lessons import lessons_dir
from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene, load_scene, scene_from_dict

BASE = "003-forward-padding-1"          # x 1×1×5×5, w 1×1×3×3, padding 1


def base() -> dict:
    return json.loads((lessons_dir() / f"{BASE}.json").read_text())


def mutated(path: str, value, base_dict=None) -> dict:
    """The base lesson with the field at a dotted ``path`` set to ``value`` (``...`` deletes it)."""
    d = copy.deepcopy(base_dict or base())
    *head, last = path.split(".")
    o = d
    for k in head:
        o = o[k]
    if value is ...:
        del o[last]
    else:
        o[last] = value
    return d


def nested(depth: int, inner=1):
    for _ in range(depth):
        inner = [inner]
    return inner


INF = float("inf")

# (name, the changed field, its value, words the message must hold)
HOSTILE = [
    ("format missing", "format", ..., "not a convviz scene"),
    ("format wrong", "format", "png", "not a convviz scene"),
    ("version missing", "version", ..., "version: missing"),
    ("version as text", "version", "1", "version: must be a whole number"),
    ("version -7", "version", -7, "version: -7 is not a version"),
    ("version 1.5", "version", 1.5, "version: must be a whole number"),
    ("version true", "version", True, "version: must be a whole number"),
    ("version 4", "version", 4, "newer convviz"),
    ("title a number", "title", 5, "title: must be text"),
    ("title a megabyte", "title", "x" * 2**20, "title: is 1048576 characters long"),
    ("text a list", "text", ["a"], "text: must be text"),
    ("path unknown", "path", "sideways", "path: 'sideways' is not one of"),
    ("position -1", "position", -1, "position: -1 is too small"),
    ("position as text", "position", "3", "position: must be a whole number"),
    ("position 1e20", "position", 10**20, "position: 100000000000000000000 is too large"),
    ("config a list", "config", [1, 2], "config: must be a mapping"),
    ("config unknown", "config.colour", "red", "config: unknown setting"),
    ("stride 0", "config.stride", 0, "config.stride: 0 is too small; at least 1"),
    ("stride 2**31", "config.stride", 2147483648, "config.stride: 2147483648 is too large; at most 1024"),
    ("stride as text", "config.stride", "2", "config.stride: must be a whole number"),
    ("stride 1.5", "config.stride", 1.5, "config.stride: must be a whole number"),
    ("stride Infinity", "config.stride", INF, "config.stride: must be a whole number; got Infinity"),
    ("stride of 3", "config.stride", [1, 2, 3], "config.stride: must be one number or a pair"),
    ("stride pair of 2**31", "config.stride", [1, 2147483648], "config.stride[1]: 2147483648 is too large"),
    ("stride true", "config.stride", True, "config.stride: must be a whole number"),
    ("pool_stride 2**31", "config.pool_stride", 2147483648, "config.pool_stride: 2147483648 is too large"),
    ("pool_kernel 0", "config.pool_kernel", [0, 2], "config.pool_kernel[0]: 0 is too small"),
    ("pool_padding 5000", "config.pool_padding", 5000, "config.pool_padding: 5000 is too large"),
    ("dilation 1e9", "config.dilation", 10**9, "config.dilation: 1000000000 is too large"),
    ("padding 20000", "config.padding", [20000, 20000], "config.padding[0]: 20000 is too large; at most 1024"),
    ("padding -1", "config.padding", -1, "config.padding: -1 is too small"),
    ("padding 'full'", "config.padding", "full", "config.padding: 'full' is not one of same, valid"),
    ("padding 500 deep", "config.padding", nested(500), "config.padding"),
    ("padding per side, short", "config.padding", [[1, 2], [3]], "config.padding[1]: must be one number or a pair"),
    ("padding per side, negative", "config.padding", [[1, 2], [3, -4]], "config.padding[1][1]: -4 is too small"),
    ("groups 0", "config.groups", 0, "config.groups: 0 is too small"),
    ("groups 2 of 1 channel", "config.groups", 2, "groups=2 must divide the input channels"),
    ("padding_mode unknown", "config.padding_mode", "mirror", "config.padding_mode: 'mirror' is not one of"),
    ("true_convolution as text", "config.true_convolution", "yes", "config.true_convolution: must be true or false"),
    ("activation unknown", "config.activation", "softmax", "config.activation: 'softmax' is not one of"),
    ("slope NaN", "config.slope", float("nan"), "config.slope: NaN is out of range"),
    ("slope as text", "config.slope", "1.5", "config.slope: must be a number; got '1.5'"),
    ("slope Infinity", "config.slope", INF, "config.slope: Infinity is out of range"),
    ("pool unknown", "config.pool", "min", "config.pool: 'min' is not one of"),
    ("loss unknown", "config.loss", "hinge", "config.loss: 'hinge' is not one of"),
    ("one-hot cell of 2", "config.one_hot_cell", [0, 0], "config.one_hot_cell: must be four whole numbers"),
    ("one-hot cell outside", "config.one_hot_cell", [9, 9, 9, 9], None),     # valid: the loss is 'sum'
    ("tensors missing", "tensors", ..., "tensors: must be a mapping"),
    ("tensors a list", "tensors", [], "tensors: must be a mapping"),
    ("x missing", "tensors.x", ..., "tensors.x: missing"),
    ("x null", "tensors.x", None, "tensors.x: missing"),
    ("unknown tensor", "tensors.q", None, "tensors: unknown tensor(s) 'q'"),
    ("x a number", "tensors.x", 3, "tensors.x: must be"),
    ("x extra key", "tensors.x.dtype", "float16", "tensors.x: unknown key(s) 'dtype'"),
    ("shape holds Infinity", "tensors.x.shape", [1, 1, INF, 5], "tensors.x.shape[2]: must be a whole number; got Infinity"),
    ("shape holds a float", "tensors.x.shape", [1, 1, 5.0, 5], "tensors.x.shape[2]: must be a whole number"),
    ("shape holds text", "tensors.x.shape", [1, 1, "5", 5], "tensors.x.shape[2]: must be a whole number"),
    ("shape 3-D", "tensors.x.shape", [1, 5, 5], "tensors.x.shape: must be a list of 4"),
    ("shape 0", "tensors.x.shape", [1, 1, 0, 5], "tensors.x.shape[2]: 0 is too small"),
    ("shape negative", "tensors.x.shape", [1, 1, -5, -5], "tensors.x.shape[2]: -5 is too small"),
    ("shape 100000×1", "tensors.x.shape", [1, 1, 100000, 1], "tensors.x.shape: a 100000×1 plane is too large"),
    ("shape 2000²", "tensors.x.shape", [1, 1, 2000, 2000], "tensors.x.shape: a 2000×2000 plane is too large; at most 1024×1024"),
    ("shape 2**40 values", "tensors.x.shape", [2**20, 2**20, 1, 1], "tensors.x.shape: 1048576×1048576×1×1 is"),
    ("data too short", "tensors.x.data", [1.0] * 24, "tensors.x.data: has 24 values but the shape [1, 1, 5, 5] needs 25"),
    ("data as text numbers", "tensors.x.data", ["1.5"] * 25, "tensors.x.data[0]: must be a number; got '1.5'"),
    ("data NaN", "tensors.x.data", [float("nan")] * 25, "tensors.x: holds NaN at index [0, 0, 0, 0]"),
    ("data Infinity", "tensors.x.data", [0.0] * 24 + [INF], "tensors.x: holds Infinity at index [0, 0, 4, 4]"),
    ("data 1e39 (inf in float32)", "tensors.x.data", [1e39] * 25, "tensors.x: holds Infinity"),
    ("data 1e20", "tensors.x.data", [1e20] * 25, "values must be finite and within ±1e+15"),
    ("data a 400-digit int", "tensors.x.data", [10**400] * 25, "tensors.x: holds Infinity"),
    ("data nested", "tensors.x.data", [[1.0]] * 25, "tensors.x.data[0]: must be a number; got a list"),
    ("data booleans", "tensors.x.data", [True] * 25, "tensors.x.data[0]: must be a number; got true"),
    ("data null", "tensors.x.data", None, "tensors.x.data: must be a list of numbers"),
    ("base64 in version 1", "tensors.x.data", "AAAA", "tensors.x.data: must be a list of numbers; got 'AAAA'"),
    ("w 2 channels for 1", "tensors.w", {"shape": [1, 2, 3, 3], "data": [1.0] * 18}, "x has 1 channels"),
    ("w wider than the input", "tensors.w", {"shape": [1, 1, 9, 9], "data": [1.0] * 81}, "the kernel spans 9 px"),
    ("b of 2 for 1 filter", "tensors.b", {"shape": [2], "data": [1.0, 2.0]}, "b must have one value per output"),
    ("b 4-D", "tensors.b", {"shape": [1, 1, 1, 1], "data": [1.0]}, "tensors.b.shape: must be a list of 1"),
    ("unknown top-level field", "colour", "red", "unknown field(s) 'colour'"),
]


@pytest.mark.parametrize("name,field,value,words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_field_is_a_value_error_naming_it(name, field, value, words):
    d = mutated(field, value)
    if name == "base64 in version 1":
        d["version"] = 1
    if words is None:
        scene_from_dict(d)
        return
    with pytest.raises(ValueError) as info:
        scene_from_dict(d)
    assert words in str(info.value)
    assert len(str(info.value)) < 400 and "\n" not in str(info.value)


@pytest.mark.parametrize("text,words", [
    ("", "not valid JSON"),
    ("{not json", "not valid JSON"),
    ("[" * 100_000, "brackets nest 100000 deep; a scene nests at most 8"),
    ('{"a":' * 50_000 + "1" + "}" * 50_000, "brackets nest 50000 deep"),
    ('{"format": "convviz-scene", "title": "' + "[" * 5000 + '"}', "version: missing"),   # brackets in a string
    ("1" * 5000, "cannot be read as JSON"),
    ("null", "not a convviz scene"),
    ("[]", "not a convviz scene"),
])
def test_damaged_text_is_a_value_error(tmp_path, text, words):
    f = tmp_path / "s.json"
    f.write_text(text)
    with pytest.raises(ValueError) as info:
        load_scene(f)
    assert words in str(info.value)


def test_bytes_that_are_not_utf8_and_a_file_too_big(tmp_path, monkeypatch):
    f = tmp_path / "s.json"
    f.write_bytes(b"\xff\xfe\x00{")
    with pytest.raises(ValueError, match="cannot read the file"):
        load_scene(f)
    f.write_text(json.dumps(base()))
    monkeypatch.setattr(schema, "MAX_FILE_BYTES", 2**20)
    f.write_text(json.dumps(base()) + " " * 2**20)
    with pytest.raises(ValueError, match="the file is 1 MiB; a scene file is at most 1 MiB"):
        load_scene(f)


def test_the_memory_a_configuration_needs_is_capped_before_its_tensors_are_decoded():
    # 1024² input, 64 filters of 32×32, no padding: 993² outputs; im2col's X_col alone is
    # 993²·32·32 float32 = 3.8 GiB. x's data is 'A's: valid base64 of zeros, never decoded.
    d = base()
    n = 1024 * 1024
    d["version"] = 2
    d["tensors"]["x"] = {"shape": [1, 1, 1024, 1024], "data": "A" * (4 * -(-4 * n // 3))}
    d["tensors"]["w"] = {"shape": [64, 1, 32, 32], "data": [0.0] * (64 * 32 * 32)}
    d["config"]["padding"] = [0, 0]
    with pytest.raises(ValueError, match=r"^config: this scene needs about \d+\.\d GiB of memory .* at most 2 GiB"):
        scene_from_dict(d)
    memory, _ = schema.needs((1, 1, 1024, 1024), (64, 1, 32, 32), BlockConfig(padding=0))
    assert memory >= 993 * 993 * 32 * 32 * 4


def test_the_work_a_configuration_needs_is_capped():
    # 16 channels of 512², 64 filters of 5×5: 508² outputs × 64 filters × 16·5·5 taps = 6.6e9
    # multiply-adds, while the memory stays under 2 GiB (X_col 508²·400 floats = 0.4 GB)
    config = BlockConfig(padding=0, pool="none")
    memory, work = schema.needs((1, 16, 512, 512), (64, 16, 5, 5), config)
    assert work == 508 * 508 * 64 * 16 * 5 * 5 and memory < 2 * 2**30
    with pytest.raises(ValueError, match="needs 6.6e[+]09 multiply-adds per pass; at most 4e[+]09"):
        schema.check_needs((1, 16, 512, 512), (64, 16, 5, 5), config)
    schema.check_needs((1, 3, 1024, 1024), (16, 3, 5, 5), BlockConfig())     # a big but ordinary scene passes


def test_big_tensors_are_base64_float32_and_round_trip_exactly(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 40, 30)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    scene = Scene(x, w, b=np.array([1, 2, 3], np.float32), config=BlockConfig(padding=((1, 0), (2, 1))))
    f = tmp_path / "s.json"
    scene.save(f)
    d = json.loads(f.read_text())
    assert d["version"] == 2
    raw = base64.b64decode(d["tensors"]["x"]["data"])       # float32, little-endian, row-major
    assert raw == x.astype("<f4").tobytes()
    assert d["tensors"]["w"]["data"][:3] == [float(v) for v in w.ravel()[:3]]    # small tensors stay readable
    back = load_scene(f)
    np.testing.assert_array_equal(back.x, x)
    np.testing.assert_array_equal(back.w, w)
    assert back.config == scene.config
    assert f.stat().st_size < 4 * x.size * 1.4 + 4000


def test_a_version_1_file_still_opens(tmp_path):
    d = base()
    d["version"] = 1
    f = tmp_path / "old.json"
    f.write_text(json.dumps(d))
    scene = load_scene(f)
    assert scene.x[0, 0].tolist() == np.arange(1, 26).reshape(5, 5).tolist()
    assert scene.config.stride == (1, 1) and scene.config.padding == (1, 1)


@pytest.mark.parametrize("data,words", [
    ("A" * 99, "holds 99 base64 characters but 25 float32 values need 136"),
    ("!" * 136, "is not valid base64"),
])
def test_bad_base64(data, words):
    d = mutated("tensors.x.data", data)
    with pytest.raises(ValueError, match=words):
        scene_from_dict(d)


def test_a_number_or_a_pair_is_read_as_a_pair():
    d = mutated("config.stride", 1)
    d["config"]["pool_kernel"] = 2
    scene = scene_from_dict(d)
    assert scene.config.stride == (1, 1) and scene.config.pool_kernel == (2, 2)


def test_the_message_shows_a_value_briefly():
    assert schema.show("<img " + "x" * 1000) == repr("<img " + "x" * 35) + "…"
    assert schema.show(list(range(10**5))) == "a list of 100000 item(s)"
    assert schema.show(10**400) == "a 401-digit number"


def test_a_big_scene_is_checked_without_computing_it_and_still_rejects_a_mismatch(tmp_path):
    # above 128×128 the loader checks the convolution's shapes instead of computing the block
    x = np.zeros((1, 2, 200, 200), np.float32)
    Scene(x, np.ones((1, 1, 3, 3), np.float32)).save(tmp_path / "s.json")
    with pytest.raises(ValueError, match="x has 2 channels but w expects 1 per group"):
        load_scene(tmp_path / "s.json")
    Scene(x, np.ones((1, 2, 3, 3), np.float32)).save(tmp_path / "s.json")
    assert load_scene(tmp_path / "s.json").x.shape == (1, 2, 200, 200)


@pytest.mark.parametrize("title", ["big", "a title holding the marker \x00base64\x00"])
def test_a_big_tensor_is_written_as_one_base64_string_in_pieces_and_reads_back_exactly(tmp_path, title):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1, 1, 300, 301)).astype(np.float32)       # 361 200 bytes: two pieces
    w = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    Scene(x, w, title=title).save(tmp_path / "s.json")
    raw = json.loads((tmp_path / "s.json").read_text())
    assert raw["tensors"]["x"]["data"] == base64.b64encode(x.astype("<f4").tobytes()).decode("ascii")
    back = load_scene(tmp_path / "s.json")
    assert back.title == title and back.x.dtype == np.float32 and np.array_equal(back.x, x)
