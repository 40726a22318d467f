"""The lessons: one scene per idea of the reference texts, with the texts' own numbers.

Each builder returns a Scene with a title and a short text. The files in
``resources/lessons/`` are written from these builders:

    python -m convviz.core.lessons resources/lessons

and a test checks that the shipped files are exactly what the builders make, and
that their tensors hold the numbers the texts give.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .network import Block
from .pipeline import BlockConfig
from .reference import conv2d
from .scene import Scene
from .schema import read_json
from .spec import make_conv_spec
from .training import Training

K = np.arange(1, 10, dtype=np.float32).reshape(3, 3)          # seed 003's K
K_PRIME = K[::-1, ::-1].copy()                                 # and K′ = K rotated by 180°

PLAIN = dict(activation="identity", pool="none")               # a bare convolution


def _grid(h: int, w: int, start: int = 1) -> np.ndarray:
    """1, 2, 3, … row by row: inputs whose every value can be followed by eye."""
    return np.arange(start, start + h * w, dtype=np.float32).reshape(h, w)


def _x(*planes) -> np.ndarray:
    return np.stack(planes)[None].astype(np.float32)


def cross_correlation() -> Scene:
    x = np.zeros((1, 1, 5, 5), np.float32)
    x[0, 0, 2, 2] = 1.0
    return Scene(x, K[None, None].copy(), config=BlockConfig(padding=(1, 1), true_convolution=True, **PLAIN),
                 path="forward", title="Cross-correlation and true convolution (K and K′)",
                 text="The kernel is K = [1 2 3; 4 5 6; 7 8 9]. True convolution I∗K slides K rotated by 180°, "
                      "K′ = [9 8 7; 6 5 4; 3 2 1], so (I∗K) = (I⊗K′). The input is one impulse: correlating it "
                      "with a kernel prints the kernel rotated; untick 'true convolution' to see Z change from K "
                      "to K′. Most CNN pictures show the cross-correlation with K′.")


def start_here() -> Scene:
    return Scene(_x(_grid(5, 5)), K_PRIME[None, None].copy(),
                 config=BlockConfig(stride=(1, 1), padding=(1, 1), dilation=(1, 1), **PLAIN), path="forward",
                 title="Start here: one convolution, step by step",
                 text="X is a 5×5 input numbered 1 to 25 and W a 3×3 kernel. Press → to take one step (← goes "
                      "back, ↓ jumps to the next stage, Home/End to the start and end). Each step computes one "
                      "cell of Z: the 3×3 window of X_pad (X with a ring of zeros) under the kernel, multiplied "
                      "cell by cell and added up — the "
                      "formula above the views shows the numbers. Hover any cell to see what it is linked to. "
                      "Then open the next lessons in the Lessons menu.")


def forward_padding() -> Scene:
    return Scene(_x(_grid(5, 5)), K_PRIME[None, None].copy(),
                 config=BlockConfig(stride=(1, 1), padding=(1, 1), dilation=(1, 1), **PLAIN), path="forward",
                 title="Forward pass: padding 1",
                 text="in_channels=1, out_channels=1, kernel_size=3, stride=1, padding=1, dilation=1, bias=False. "
                      "Z[i,j] = Σ_m Σ_n X_pad[i+m, j+n]·W[m,n]: one ring of zeros keeps the 5×5 input 5×5.")


def forward_stride() -> Scene:
    return Scene(_x(_grid(5, 5)), K_PRIME[None, None].copy(),
                 config=BlockConfig(stride=(2, 2), padding=(0, 0), dilation=(1, 1), **PLAIN), path="forward",
                 title="Forward pass: stride 2",
                 text="in_channels=1, out_channels=1, kernel_size=3, stride=2, padding=0, dilation=1, bias=False. "
                      "The window jumps two cells at a time: 5×5 → 2×2.")


def forward_dilation() -> Scene:
    return Scene(_x(_grid(7, 7)), K_PRIME[None, None].copy(),
                 config=BlockConfig(stride=(1, 1), padding=(0, 0), dilation=(2, 2), **PLAIN), path="forward",
                 title="Forward pass: dilation 2",
                 text="in_channels=1, out_channels=1, kernel_size=3, stride=1, padding=0, dilation=2, bias=False. "
                      "The taps are two cells apart, so the 3×3 kernel spans 5×5: 7×7 → 3×3.")


def forward_channels() -> Scene:
    w = np.stack([np.stack([K_PRIME + 9 * (q * 2 + p) for p in range(2)]) for q in range(3)]).astype(np.float32)
    return Scene(_x(_grid(5, 5), _grid(5, 5)[::-1].copy()), w, b=np.array([1, 2, 3], np.float32),
                 config=BlockConfig(stride=(1, 1), padding=(0, 0), dilation=(1, 1), **PLAIN), path="forward",
                 title="Forward pass: 2 input channels, 3 filters, bias",
                 text="in_channels=2, out_channels=3, kernel_size=3, stride=1, padding=0, dilation=1, bias=True. "
                      "Each of the 3 filters has one 3×3 kernel per input channel; Z[q] sums both channels and "
                      "adds b[q] (1, 2, 3). Pick q and c in the editors to see each kernel.")


def same_padding() -> Scene:
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, (1, 1, 5, 5)).astype(np.float32)
    dy = rng.integers(-2, 3, (1, 1, 5, 5)).astype(np.float32)
    return Scene(x, K[None, None].copy(), dp=dy, config=BlockConfig(padding="same", loss="given", **PLAIN),
                 path="dx-gather", title="'same' padding: dX = dZ ⋆ W′ and dW as shifted dZ",
                 text="With padding 'same' the output has the input's shape. The gradient of X is again a 'same' "
                      "correlation, of dZ with W′, the kernel with all elements reversed. For the centre tap, "
                      "dW[1,1] = Σ dZ ⊙ X; every other tap sums dZ shifted by its offset against X "
                      "(see the dW path).")


def scope_of_impact() -> Scene:
    x = np.zeros((1, 1, 3, 3), np.float32)
    x[0, 0, 0, 0] = 1.0                                              # the pixel p
    w = np.array([[[[1, 2], [3, 4]]]], np.float32)                   # a, b, c, d
    return Scene(x, w, config=BlockConfig(padding=((1, 0), (1, 0)), **PLAIN), path="dx-scatter",
                 title="One pixel's scope of impact (2×2 kernel)",
                 text="The kernel is [a b; c d] = [1 2; 3 4], padded on the top and left so the output keeps the "
                      "input's 3×3 size. The pixel p = X[0,0] = 1 reaches four outputs, as pd, pc, pb, pa "
                      "(4, 3, 2, 1): p times the flipped kernel. Hover X[0,0] to light them; step the scatter "
                      "path to see each dZ cell stamp dZ·W back.")


def im2col() -> Scene:
    return Scene(_x(_grid(3, 3)), np.array([[[[1, 2], [3, 4]]]], np.float32),
                 config=BlockConfig(padding=((1, 0), (1, 0)), **PLAIN), path="im2col",
                 title="im2col: convolution as a matrix product",
                 text="im2col copies every receptive field into a column, so the convolution becomes one matrix "
                      "product and ∂L/∂w = ∂L/∂y · xᵀ. With one kernel the product is a Jacobian: each output "
                      "is a dot product x·w, whose gradient by w is xᵀ.")


def stride_inserted_zeros() -> Scene:
    rng = np.random.default_rng(1)
    x = rng.integers(-2, 3, (1, 1, 5, 5)).astype(np.float32)
    dy = np.array([[[[1, 2], [3, 4]]]], np.float32)
    return Scene(x, K[None, None].copy(), dp=dy,
                 config=BlockConfig(stride=(2, 2), padding=(0, 0), loss="given", **PLAIN), path="dx-gather",
                 title="Stride 2: inserted zeros (5×5 → 2×2)",
                 text="Kernel size 3, stride 2 takes 5×5 to 2×2. For the backward pass, insert s−1 = 1 zero "
                      "between the dZ cells (dZ↑0) and pad by k−1 = 2: a 7×7 grid dZ_pad with dZ at (2,2), (2,4), "
                      "(4,2), (4,4). Then dX = dZ_pad ⋆ W′ (W rotated 180°), and dW = X ⋆ dZ↑0.")


def average_pooling() -> Scene:
    return Scene(_x(_grid(4, 4, start=0)), np.ones((1, 1, 1, 1), np.float32),
                 dp=np.array([[[[1, -2], [3, 4]]]], np.float32),
                 config=BlockConfig(padding=(0, 0), activation="identity", pool="avg", pool_kernel=(2, 2),
                                    loss="given"), path="pool",
                 title="Average pooling: the gradient is spread by ¼",
                 text="Average pooling is a convolution with kernel size = stride = 2 and every weight ¼. "
                      "Backward, each cell of A gets ¼ of the gradient of the one output its window feeds: "
                      "dA[i,j] = ¼ · dP[i/2, j/2], so dP = [1 −2; 3 4] becomes a 4×4 of blocks.")


def channels_and_batch() -> Scene:
    rng = np.random.default_rng(2)
    x = rng.integers(-2, 3, (2, 2, 5, 5)).astype(np.float32)
    w = rng.integers(-1, 2, (3, 2, 3, 3)).astype(np.float32)
    return Scene(x, w, b=np.zeros(3, np.float32), config=BlockConfig(padding=(0, 0), **PLAIN), path="dw",
                 title="Channels and a batch",
                 text="A batch of 2 inputs with 2 channels, 3 filters. dW[q,c] = Σ_n X[n,c] ⋆ dZ[n,q] "
                      "(each sample adds its own); dX[n,c] = Σ_q dZ_pad[n,q] ⋆ W′[c,q] (W′: W rotated 180°); "
                      "db[q] = Σ_n sum(dZ[n,q]). Use n and c above the views to walk the batch and "
                      "the channels.")


def activation_gate() -> Scene:
    x = np.array([[[[-3, -2, -1, 0], [0, 1, 2, 3], [-1, 0, 1, 0], [2, -2, 2, -2]]]], np.float32)
    w = np.array([[[[0, 0, 0], [0, 1, 0], [0, 0, 0]]]], np.float32)
    return Scene(x, w, config=BlockConfig(padding=(1, 1), activation="sigmoid", pool="none", loss="sum"),
                 path="activation", title="The activation gate σ′ in the δ chain",
                 text="dZ = dA ⊙ σ′(Z): the gradient reaching a layer is gated by the derivative of its "
                      "activation (the δ chain's δ[l] = (δ[l+1] ⋆ W′) ⊙ σ′(z[l]), with δ = dZ). Here A = σ(Z) "
                      "with σ′(z) = σ(z)(1 − σ(z)), largest (¼) at z = 0 and small for large |z|; the identity "
                      "kernel makes Z equal to X.")


SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
SOBEL_Y = SOBEL_X.T.copy()
LEARN = dict(padding=(1, 1), activation="identity", pool="none", loss="half_squared_error")


def drawn(n: int = 16) -> np.ndarray:
    """A drawn 16×16 input: a rectangle, a disc and a bar of three grey levels."""
    yy, xx = np.mgrid[0:n, 0:n]
    img = np.zeros((n, n), np.float32)
    img[3:9, 3:11] = 1.0
    img[(yy - 10.5) ** 2 + (xx - 9.5) ** 2 <= 16] = 0.5
    img[12:15, 1:5] = 0.75
    return img[None, None]


def _correlate(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    return conv2d(x, k[None, None], None, make_conv_spec(k.shape, padding=1))


def learn_sobel() -> Scene:
    x = drawn()
    w0 = np.random.default_rng(0).uniform(-1, 1, (1, 1, 3, 3)).astype(np.float32)
    return Scene(x, w0, target=_correlate(x, SOBEL_X), config=BlockConfig(**LEARN), path="dw",
                 training=Training(lr=0.002, momentum=0.9, steps=200),
                 title="Learning the Sobel kernel by gradient descent",
                 text="The target T is Sobel(X): the drawn input correlated with [−1 0 1; −2 0 2; −1 0 1]. The "
                      "kernel W starts random. Each descent step moves W against dW = X ⋆ (P − T), the gradient of "
                      "L = ½‖P − T‖². Press the descent step, or run training (learning rate 0.002, momentum 0.9), "
                      "and watch W become the Sobel kernel while the loss falls a thousandfold in under 100 steps.")


def two_layers_learn_edges() -> Scene:
    x = drawn()
    target = np.abs(_correlate(x, SOBEL_X)) + np.abs(_correlate(x, SOBEL_Y))
    rng = np.random.default_rng(1)
    w1 = rng.uniform(-1, 1, (4, 1, 3, 3)).astype(np.float32)
    w2 = rng.uniform(0, 1, (1, 4, 1, 1)).astype(np.float32)
    top = Block(w2, None, BlockConfig(padding=(0, 0), activation="identity", pool="none", loss="half_squared_error"))
    return Scene(x, w1, target=target, config=BlockConfig(padding=(1, 1), activation="relu", pool="none"),
                 above=(top,), path="dw", training=Training(lr=0.0005, momentum=0.9, steps=500),
                 title="Two layers learn an edge map",
                 text="Block 1 has four 3×3 filters and a ReLU; block 2 adds them with a 1×1 kernel. The target is "
                      "the edge map |Sobel_x(X)| + |Sobel_y(X)|, which no single linear kernel can make: a ReLU "
                      "can, since |g| = relu(g) + relu(−g). Train and watch the four filters turn into edge "
                      "detectors of opposite signs while block 2's weights settle; the δ chain carries the "
                      "gradient from the loss through block 2 into block 1.")


def delta_chain() -> Scene:
    # x[i, j] = ((3i + 5j) mod 7) / 4: diagonal stripes whose every 2×2 pooling window of A¹
    # has one clear maximum (no ties), so nudging any cell moves the loss by the gradient's amount
    x = _x((np.add.outer(3 * np.arange(6), 5 * np.arange(6)) % 7).astype(np.float32) / 4)
    w1 = np.array([[[[0, 1, 0], [1, -4, 1], [0, 1, 0]]], [[[1, 0, -1], [1, 0, -1], [1, 0, -1]]]], np.float32) / 2
    w2 = np.array([[[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0], [1, 0, 0]]]], np.float32) / 2
    target = np.zeros((1, 1, 3, 3), np.float32)
    top = Block(w2, None, BlockConfig(padding=(1, 1), activation="tanh", pool="none", loss="half_squared_error"))
    return Scene(x, w1, target=target, above=(top,),
                 config=BlockConfig(padding=(1, 1), activation="sigmoid", pool="max", pool_kernel=(2, 2)),
                 path="delta-chain", title="The δ chain: δˡ = (δˡ⁺¹ ⋆ W′ˡ⁺¹) ⊙ σ′(zˡ)",
                 text="Two blocks: block 1 (two filters, sigmoid, 2×2 max pooling) feeds block 2 (tanh), and the "
                      "loss is ½‖P² − T‖². Going back, block 2's δ² = dZ² becomes dX² = δ² ⋆ W′² (W′: W rotated "
                      "180°), which is block 1's dP¹; max pooling hands each cell to its window's maximum, and "
                      "the σ′ gate makes δ¹ = pool′(δ² ⋆ W′²) ⊙ σ′(z¹): the chain of deltas δˡ = (δˡ⁺¹ ⋆ W′ˡ⁺¹) ⊙ "
                      "σ′(zˡ). Step through the δ chain path from the loss down; choose block 1 in the layer "
                      "strip to see its gate on the Activation path, fed the gradient that comes back from block 2.")


LESSONS = {
    "00-start-here": start_here,                     # sorts first: the Lessons menu's first entry
    "003-cross-correlation-and-convolution": cross_correlation,
    "003-forward-padding-1": forward_padding,
    "003-forward-stride-2": forward_stride,
    "003-forward-dilation-2": forward_dilation,
    "003-forward-channels-and-bias": forward_channels,
    "003-activation-gate": activation_gate,
    "000-same-padding-gradients": same_padding,
    "001-scope-of-impact": scope_of_impact,
    "001-im2col": im2col,
    "002-stride-2-inserted-zeros": stride_inserted_zeros,
    "002-average-pooling": average_pooling,
    "002-channels-and-batch": channels_and_batch,
    "004-learn-sobel": learn_sobel,
    "004-two-layers-learn-edges": two_layers_learn_edges,
    "004-delta-chain": delta_chain,
}


def lessons_dir() -> Path:
    from .. import resources
    return Path(resources.__file__).parent / "lessons"


def lesson_files() -> list[Path]:
    return sorted(lessons_dir().glob("*.json"))


def lesson_titles() -> list[tuple[Path, str]]:
    """(file, title) of every shipped lesson, in file order, for the menu.

    Only the titles are read (the window builds its menu at start-up); a lesson is
    checked in full when it is opened, and a broken one is reported then. A title is
    plain text: at most 80 characters, one line, '&' doubled (a menu reads '&x' as a shortcut).
    """
    out = []
    for f in lesson_files():
        try:
            title = read_json(f).get("title")
        except (ValueError, AttributeError):
            title = None
        if not isinstance(title, str) or not title.strip():
            title = f.stem
        title = " ".join(title.split())
        title = title if len(title) <= 80 else title[:79] + "…"
        out.append((f, title.replace("&", "&&")))
    return out


def write_all(folder) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in LESSONS.items():
        f = folder / f"{name}.json"
        build().save(f)
        written.append(f)
    return written


if __name__ == "__main__":
    for f in write_all(sys.argv[1] if len(sys.argv) > 1 else lessons_dir()):
        print(f)
