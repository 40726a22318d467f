"""The tensors of a scene as files: one .npy and one .csv per tensor.

CSV files are in long form, one row per cell with its full index, so a 4-D tensor
reads back without guessing its layout:  n,c,y,x,value  (or q,c,m,n for kernels).
Everything is written into a temporary folder first and moved at the end, so a
failure leaves nothing partial.
"""
from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .pipeline import Results, Tensors

INDEX_NAMES = {"w": ("q", "c", "m", "n"), "dw": ("q", "c", "m", "n"), "b": ("q",), "db": ("q",)}


def scene_tensors(tensors: Tensors, r: Results) -> dict[str, np.ndarray]:
    """What the user gave and everything the block computed, by name."""
    out = {"x": tensors.x, "w": tensors.w, "b": tensors.b, "target": tensors.target,
           "x_pad": r.x_pad, "z": r.z, "a": r.a, "p": r.p, "dp": r.dp, "da": r.da, "dz": r.dz,
           "dx": r.dx, "dw": r.dw, "db": r.db}
    return {k: np.asarray(v, np.float32) for k, v in out.items() if v is not None}


def write_csv(path: Path, a: np.ndarray, index_names=None) -> None:
    names = index_names or (("n", "c", "y", "x") if a.ndim == 4 else tuple(f"i{k}" for k in range(a.ndim)))
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(list(names) + ["value"])
        for idx in np.ndindex(a.shape):
            out.writerow(list(idx) + [np.format_float_positional(a[idx], unique=True, trim="-")])


def write_tensors(folder, arrays: dict[str, np.ndarray], formats=("npy", "csv")) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(dir=folder, prefix=".convviz-tensors-") as tmp:
        staged = []
        for name, a in arrays.items():
            if "npy" in formats:
                np.save(Path(tmp) / f"{name}.npy", a)
                staged.append(f"{name}.npy")
            if "csv" in formats:
                write_csv(Path(tmp) / f"{name}.csv", a, INDEX_NAMES.get(name))
                staged.append(f"{name}.csv")
        for f in staged:
            shutil.move(str(Path(tmp) / f), folder / f)
            written.append(folder / f)
    return written
