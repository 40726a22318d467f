"""What a shown tensor is in the mathematics: its ``Role``.

A role has a name (as the formulas write it), the names of its axes, whether it is
always drawn on a signed (diverging) scale, and a *kind*: the index space its cells
live in. Z, dZ and σ′(Z) share the kind OUTPUT, so a hover link computed for Z cells
lights all three; W, K, K′, dW and dW_eff share KERNEL. Code asks a role for its kind
and never takes its name apart.
"""
from __future__ import annotations

from dataclasses import dataclass

# kinds: the index space of a tensor's cells
INPUT, PADDED, OUTPUT, ACTIVATION, POOLED = "input", "padded input", "output", "activation", "pooled"
KERNEL, FLIPPED, BIAS, INSERTED, GATHER, MATRIX = ("kernel", "flipped kernel", "bias", "zero-inserted",
                                                   "gather input", "matrix")
CORRELATION = "correlation"          # X_pad ⋆ dZ↑0 at every offset, of which dW is every d-th cell

NCHW = ("n", "c", "y", "x")
QCMN = ("q", "c", "m", "n′")


@dataclass(frozen=True)
class Role:
    name: str
    axes: tuple[str, ...]
    signed: bool          # a gradient: always on the diverging scale, centred on 0
    kind: str

    def __str__(self) -> str:
        return self.name

    def cell_text(self, cell) -> str:
        """'dZ[0, 1, 2, 2]': the role with a cell's indices."""
        return f"{self.name}[{', '.join(str(int(i)) for i in cell)}]"

    @property
    def leading_axes(self) -> int:
        """How many axes pick the 2-D plane (n, c of an NCHW tensor; g of a matrix)."""
        return max(0, len(self.axes) - 2)


X = Role("X", NCHW, False, INPUT)
X_PAD = Role("X_pad", NCHW, False, PADDED)
T = Role("T", NCHW, False, POOLED)
W = Role("W", QCMN, False, KERNEL)
K = Role("K", QCMN, False, KERNEL)
K_FLIP = Role("K′", QCMN, False, KERNEL)
W_FLIP = Role("W′", ("c", "q", "m", "n′"), False, FLIPPED)
W_FLIP_DILATED = Role("W′ dilated", ("c", "q", "m", "n′"), False, FLIPPED)
B = Role("b", ("q",), False, BIAS)
Z = Role("Z", NCHW, False, OUTPUT)
A = Role("A", NCHW, False, ACTIVATION)
P = Role("P", NCHW, False, POOLED)
DP = Role("dP", NCHW, True, POOLED)
DA = Role("dA", NCHW, True, ACTIVATION)
DZ = Role("dZ", NCHW, True, OUTPUT)
GATE = Role("σ′(Z)", NCHW, True, OUTPUT)
DZ_INSERTED = Role("dZ↑0", NCHW, True, INSERTED)
DZ_PAD = Role("dZ_pad", NCHW, True, GATHER)
DW = Role("dW", QCMN, True, KERNEL)
CORRELATION_FULL = Role("X_pad ⋆ dZ↑0", ("q", "c", "u", "v"), True, CORRELATION)
CORRELATION_PLAIN = Role("X_pad ⋆ dZ", ("q", "c", "u", "v"), True, CORRELATION)
DW_EFF = Role("dW_eff", QCMN, True, KERNEL)
DB = Role("db", ("q",), True, BIAS)
DX = Role("dX", NCHW, True, INPUT)
DX_PAD = Role("dX_pad", NCHW, True, PADDED)
X_COL = Role("X_col", ("g", "t", "col"), False, MATRIX)
W_ROW = Role("W_row", ("g", "q", "t"), False, MATRIX)
Z_ROW = Role("Z_row", ("g", "q", "col"), False, MATRIX)
DZ_ROW = Role("dZ_row", ("g", "q", "col"), False, MATRIX)
DW_ROW = Role("dW_row", ("g", "q", "t"), False, MATRIX)
DX_COL = Role("dX_col", ("g", "t", "col"), True, MATRIX)
J = Role("J", ("n", "r", "c"), False, MATRIX)
JT = Role("Jᵀ", ("n", "c", "r"), False, MATRIX)
