"""The scenes whose 'Copy as PyTorch code' scripts are checked against PyTorch: shared by
the test and by tools/make_torchcode_fixture.py, which runs the scripts with torch."""
from __future__ import annotations

import hashlib
from dataclasses import replace
import re

import numpy as np

from convviz.core import presets
from convviz.core.pipeline import BlockConfig
from convviz.core.torchcode import torch_script

CONFIGS = {
    "default": {},
    "reflect-asymmetric": dict(padding=((1, 2), (0, 1)), padding_mode="reflect", activation="tanh"),
    "true-conv-stride": dict(true_convolution=True, stride=(2, 2), pool="avg", pool_kernel=(2, 2),
                             activation="leaky_relu"),
    "circular-same": dict(padding="same", padding_mode="circular", activation="sigmoid", pool="none",
                          loss="one_hot", one_hot_cell=(0, 0, 2, 3)),
    "dilated-mse": dict(dilation=(2, 2), padding=(2, 2), loss="half_squared_error", pool="max"),
}
OUTPUTS = ("z", "p", "dx", "dw", "db", "dz", "loss")


def scene(name: str):
    rng = np.random.default_rng(len(name))
    s = replace(presets.default_scene(), x=rng.standard_normal((2, 2, 7, 8)).astype(np.float32),
                w=rng.standard_normal((3, 2, 3, 3)).astype(np.float32), b=rng.standard_normal(3).astype(np.float32),
                config=BlockConfig(**CONFIGS[name]))
    if s.config.loss == "half_squared_error":
        p_shape = (2, 3, 3, 4)                  # P of a 7×8 input, dilation 2, padding 2, 2×2 max pool
        s = replace(s, target=rng.standard_normal(p_shape).astype(np.float32))
    return s


def script_key(script: str) -> str:
    return hashlib.sha256(script.encode()).hexdigest()[:16]


def run_script(script: str) -> dict:
    """Execute a generated script (needs torch); PyTorch's z, p and gradients as numpy."""
    import io
    from contextlib import redirect_stdout
    ns: dict = {}
    with redirect_stdout(io.StringIO()) as out:
        exec(script, ns)
    printed = re.search(r"^L = (\S+)$", out.getvalue(), re.M)
    assert printed and "dX =" in out.getvalue(), out.getvalue()
    got = {"z": ns["z"], "p": ns["p"], "dx": ns["x"].grad, "dw": ns["w"].grad, "db": ns["b"].grad,
           "dz": ns["z"].grad}
    got = {k: v.detach().numpy().astype(np.float32) for k, v in got.items()}
    got["loss"] = np.float32(printed[1])        # the loss as the script prints it
    return got


def scripts() -> dict:
    return {name: torch_script(scene(name)) for name in CONFIGS}
