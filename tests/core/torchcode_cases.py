"""The scenes whose 'Copy as PyTorch code' scripts are checked against PyTorch: shared by
the test and by tools/make_torchcode_fixture.py, which runs the scripts with torch."""
from __future__ import annotations

import hashlib
from dataclasses import replace
import re
from dataclasses import replace

import numpy as np

from convviz.core import presets
from convviz.core.pipeline import BlockConfig
from convviz.core.network import Block
from convviz.core.torchcode import network_script, torch_script
from convviz.core.training import Training

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


# ------------------------------------------------------------ networks and their training loop

NETWORKS = ("two-blocks-momentum", "three-blocks-plain")
TRAIN_STEPS = 12


def network_scene(name: str):
    """A stacked scene whose network script (gradients and TRAIN_STEPS of SGD) is checked."""
    rng = np.random.default_rng(len(name) + 7)
    s = replace(presets.default_scene(), x=rng.standard_normal((2, 2, 9, 10)).astype(np.float32))
    if name == "two-blocks-momentum":
        b1 = Block(rng.standard_normal((3, 2, 3, 3)).astype(np.float32) / 4, rng.standard_normal(3).astype(np.float32),
                   BlockConfig(activation="tanh", pool="max", pool_kernel=(2, 2)))
        b2 = Block(rng.standard_normal((1, 3, 3, 3)).astype(np.float32) / 4, None,
                   BlockConfig(padding=(1, 1), activation="identity", pool="none", loss="half_squared_error"))
        s = replace(s, target=rng.standard_normal((2, 1, 4, 5)).astype(np.float32))
        return replace(s.with_blocks((b1, b2), 1), training=Training(0.003, 0.9, TRAIN_STEPS))
    b1 = Block(rng.standard_normal((2, 2, 3, 2)).astype(np.float32) / 4, None,
               BlockConfig(padding=((1, 0), (0, 1)), padding_mode="reflect", true_convolution=True,
                           activation="leaky_relu", slope=0.1, pool="none"))
    b2 = Block(rng.standard_normal((4, 1, 2, 2)).astype(np.float32) / 3, rng.standard_normal(4).astype(np.float32),
               BlockConfig(groups=2, stride=(2, 1), dilation=(1, 2), padding=(1, 1), activation="sigmoid",
                           pool="avg", pool_kernel=(3, 3), pool_stride=(2, 2), pool_padding=(1, 1)))
    b3 = Block(rng.standard_normal((2, 4, 1, 1)).astype(np.float32), rng.standard_normal(2).astype(np.float32),
               BlockConfig(padding=(0, 0), activation="tanh", pool="none", loss="sum"))
    return replace(s.with_blocks((b1, b2, b3), 0), training=Training(0.05, 0.0, TRAIN_STEPS))


def run_network_script(script: str) -> dict:
    """Execute a network script (needs torch): the loss, dX and every block's dW and db before
    training, the loss history of the training loop, and the trained kernels and biases."""
    import io
    from contextlib import redirect_stdout
    ns: dict = {}
    with redirect_stdout(io.StringIO()) as out:
        exec(script, ns)
    assert re.search(r"^loss \S+ -> \S+$", out.getvalue(), re.M), out.getvalue()
    got = {k: v.numpy().astype(np.float32) for k, v in ns["grads"].items()}
    got["losses"] = np.array(ns["losses"], np.float64)
    for k in range(1, 5):
        for p in ("w", "b"):
            if f"{p}{k}" in ns:
                got[f"{p}{k}"] = ns[f"{p}{k}"].detach().numpy().astype(np.float32)
    return got


def network_scripts() -> dict:
    return {name: network_script(network_scene(name)) for name in NETWORKS}
