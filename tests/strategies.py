"""Hypothesis strategies for configurations PyTorch accepts."""
from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st

from convviz.core.spec import make_conv_spec


@st.composite
def conv_configs(draw, max_hw: int = 12, max_batch: int = 2):
    """(x_shape, w_shape, kwargs) for a valid conv2d call."""
    groups = draw(st.sampled_from([1, 1, 1, 2, 3]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    h, w = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
    n = draw(st.integers(1, max_batch))
    kind = draw(st.sampled_from(["int", "pair", "asym", "same", "valid"]))
    if kind == "int":
        padding = draw(st.integers(0, 3))
    elif kind == "pair":
        padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    elif kind == "asym":
        padding = ((draw(st.integers(0, 3)), draw(st.integers(0, 3))),
                   (draw(st.integers(0, 3)), draw(st.integers(0, 3))))
    elif kind == "same":
        sh = sw = 1
        padding = "same"
    else:
        padding = "valid"
    kwargs = dict(stride=(sh, sw), padding=padding, dilation=(dh, dw), groups=groups, padding_mode=mode)
    spec = make_conv_spec((kh, kw), **kwargs)
    t, b, l, r = spec.padding
    if mode == "reflect":
        assume(max(t, b) < h and max(l, r) < w)
    if mode == "circular":
        assume(max(t, b) <= h and max(l, r) <= w)
    oh, ow = spec.output_size((h, w))
    assume(oh >= 1 and ow >= 1)
    return (n, cin, h, w), (cout, cin // groups, kh, kw), kwargs


@st.composite
def pool_configs(draw, max_hw: int = 12):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    h, w = draw(st.integers(kh, max_hw)), draw(st.integers(kw, max_hw))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return (n, c, h, w), dict(kernel_size=(kh, kw), stride=stride, padding=padding)
