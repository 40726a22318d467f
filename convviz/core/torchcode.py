"""“Copy as PyTorch code”: a short script that rebuilds the scene with torch.nn.functional
and prints the same gradients, so every number on screen can be checked independently.

The script holds the scene's exact values (each float32 written in its shortest form
that reads back to the same float32).
"""
from __future__ import annotations

import numpy as np

from .pipeline import BlockConfig
from .scene import Scene
from .spec import check_conv, make_conv_spec

MAX_VALUES = 20_000          # beyond this the script is too long to paste: export .npy instead


def _num(v: float) -> str:
    s = np.format_float_positional(np.float32(v), unique=True, trim="-")
    return s


def _values(a: np.ndarray) -> str:
    def nested(x):
        if x.ndim == 1:
            return "[" + ", ".join(_num(v) for v in x) + "]"
        return "[" + ", ".join(nested(e) for e in x) + "]"
    return nested(np.asarray(a, np.float32))


def _tensor(name: str, a: np.ndarray, grad: bool) -> str:
    return (f"{name} = torch.tensor({_values(a)}, dtype=torch.float32"
            f"{', requires_grad=True' if grad else ''})")


def torch_script(scene: Scene) -> str:
    """The script for ``scene``; ValueError if the scene cannot work or is too big to paste.
    A scene of several blocks gets :func:`network_script` (the whole network and its training)."""
    if scene.below or scene.above:
        return network_script(scene)
    c: BlockConfig = scene.config
    n_values = sum(a.size for a in (scene.x, scene.w, scene.b, scene.target, scene.dp) if a is not None)
    if n_values > MAX_VALUES:
        raise ValueError(f"the scene has {n_values} values, too many to paste as code (at most {MAX_VALUES}); "
                         "export the tensors as .npy instead and load them with numpy")
    _, _, _, spec = check_conv(scene.x, scene.w, scene.b, c.conv_args())
    t, bo, l, r = spec.padding
    lines = ["# convviz scene as PyTorch: the same block, the same gradients.",
             "import torch", "import torch.nn.functional as F", "",
             "torch.set_printoptions(precision=6, sci_mode=False)",
             _tensor("x", scene.x, True), _tensor("w", scene.w, True)]
    lines.append(_tensor("b", scene.b, True) if scene.b is not None else "b = None")
    w_eff = "w"
    if c.true_convolution:
        lines.append("w_eff = torch.flip(w, dims=(2, 3))   # true convolution: the kernel rotated by 180°")
        w_eff = "w_eff"
    args = f"stride={tuple(spec.stride)}, dilation={tuple(spec.dilation)}, groups={spec.groups}"
    if spec.padding_mode == "zeros" and t == bo and l == r:
        lines.append(f"z = F.conv2d(x, {w_eff}, b, {args}, padding={(t, l)})")
    else:
        mode = {"zeros": "constant"}.get(spec.padding_mode, spec.padding_mode)
        lines.append(f"x_pad = F.pad(x, {(l, r, t, bo)}, mode={mode!r})   # (left, right, top, bottom)")
        lines.append(f"z = F.conv2d(x_pad, {w_eff}, b, {args})")
    act = {"identity": "a = z", "relu": "a = F.relu(z)", "sigmoid": "a = torch.sigmoid(z)",
           "tanh": "a = torch.tanh(z)", "leaky_relu": f"a = F.leaky_relu(z, negative_slope={_num(c.slope)})"}
    lines.append(act[c.activation])
    if c.pool == "none":
        lines.append("p = a")
    else:
        stride = tuple(c.pool_stride or c.pool_kernel)
        extra = ", count_include_pad=True" if c.pool == "avg" else ""
        lines.append(f"p = F.{c.pool}_pool2d(a, kernel_size={tuple(c.pool_kernel)}, stride={stride}, "
                     f"padding={tuple(c.pool_padding)}{extra})")
    if c.loss == "sum":
        lines.append("loss = p.sum()")
    elif c.loss == "one_hot":
        lines.append(f"loss = p[{', '.join(str(int(i)) for i in c.one_hot_cell)}]")
    elif c.loss == "half_squared_error":
        lines += [_tensor("target", scene.target, False), "loss = 0.5 * ((p - target) ** 2).sum()"]
    else:
        lines += [_tensor("dp", scene.dp, False), "loss = (p * dp).sum()   # its gradient dL/dp is the painted dp"]
    lines += ["for t in (z, a, p):", "    t.retain_grad()", "loss.backward()", "",
              "print('Z =', z.detach())", "print('P =', p.detach())", "print('L =', loss.item())",
              "print('dZ =', z.grad)", "print('dX =', x.grad)", "print('dW =', w.grad)"]
    if scene.b is not None:
        lines.append("print('db =', b.grad)")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------ a network and its training loop

def _block_function(k: int, blk) -> list[str]:
    """``def block<k>(x):`` computing that block's P from its input with w<k>, b<k>."""
    c = blk.config
    spec = make_conv_spec(blk.w.shape[2:], **c.conv_args())
    t, bo, l, r = spec.padding
    w, b = f"w{k}", (f"b{k}" if blk.b is not None else "None")
    if c.true_convolution:
        w = f"torch.flip(w{k}, dims=(2, 3))"
    args = f"stride={tuple(spec.stride)}, dilation={tuple(spec.dilation)}, groups={spec.groups}"
    lines = [f"def block{k}(x):"]
    if spec.padding_mode == "zeros" and t == bo and l == r:
        lines.append(f"    z = F.conv2d(x, {w}, {b}, {args}, padding={(t, l)})")
    else:
        mode = {"zeros": "constant"}.get(spec.padding_mode, spec.padding_mode)
        lines.append(f"    z = F.conv2d(F.pad(x, {(l, r, t, bo)}, mode={mode!r}), {w}, {b}, {args})")
    act = {"identity": "z", "relu": "F.relu(z)", "sigmoid": "torch.sigmoid(z)", "tanh": "torch.tanh(z)",
           "leaky_relu": f"F.leaky_relu(z, negative_slope={_num(c.slope)})"}[c.activation]
    if c.pool == "none":
        lines.append(f"    return {act}")
    else:
        stride = tuple(c.pool_stride or c.pool_kernel)
        extra = ", count_include_pad=True" if c.pool == "avg" else ""
        lines.append(f"    return F.{c.pool}_pool2d({act}, kernel_size={tuple(c.pool_kernel)}, stride={stride}, "
                     f"padding={tuple(c.pool_padding)}{extra})")
    return lines


def network_script(scene: Scene, steps: int | None = None) -> str:
    """The whole network of ``scene`` as PyTorch: each block a function, the loss, every block's
    gradients, then ``steps`` (default: the scene's training steps) of torch.optim.SGD with the
    scene's learning rate and momentum, printing the loss as ``convviz train`` does."""
    net = scene.network()
    net.shapes()
    n_values = sum(a.size for a in (net.x, net.target, net.dp) if a is not None)
    n_values += sum(b.w.size + (0 if b.b is None else b.b.size) for b in net.blocks)
    if n_values > MAX_VALUES:
        raise ValueError(f"the network has {n_values} values, too many to paste as code (at most {MAX_VALUES}); "
                         "export the tensors as .npy instead and load them with numpy")
    steps = scene.training.steps if steps is None else steps
    L = len(net.blocks)
    lines = [f"# convviz network of {L} block(s) as PyTorch: the same gradients, then the same training.",
             "import torch", "import torch.nn.functional as F", "",
             "torch.set_printoptions(precision=6, sci_mode=False)", _tensor("x", net.x, True)]
    params = []
    for k, blk in enumerate(net.blocks, 1):
        lines.append(_tensor(f"w{k}", blk.w, True))
        params.append(f"w{k}")
        if blk.b is not None:
            lines.append(_tensor(f"b{k}", blk.b, True))
            params.append(f"b{k}")
    c = net.loss_config
    if c.loss == "half_squared_error":
        lines.append(_tensor("target", net.target, False))
    elif c.loss == "given":
        lines.append(_tensor("dp", net.dp, False))
    lines.append("")
    for k, blk in enumerate(net.blocks, 1):
        lines += _block_function(k, blk) + [""]
    lines.append("def loss_of(p):")
    if c.loss == "sum":
        lines.append("    return p.sum()")
    elif c.loss == "one_hot":
        lines.append(f"    return p[{', '.join(str(int(i)) for i in c.one_hot_cell)}]")
    elif c.loss == "half_squared_error":
        lines.append("    return 0.5 * ((p - target) ** 2).sum()")
    else:
        lines.append("    return (p * dp).sum()   # its gradient dL/dp is the painted dp")
    chain = "x"
    for k in range(1, L + 1):
        chain = f"block{k}({chain})"
    lines += ["", "def network(x):", f"    return {chain}", "",
              "loss = loss_of(network(x))", "loss.backward()", "print('L =', loss.item())",
              "grads = {'dX': x.grad.clone(), "
              + ", ".join(f"'d{p[0].upper() if p[0] == 'w' else p[0]}{p[1:]}': {p}.grad.clone()" for p in params) + "}",
              "for name, g in grads.items():", "    print(name, '=', g)"]
    lines += ["", f"# training: {steps} step(s) of SGD, as convviz trains",
              "x.requires_grad_(False)",
              f"params = [{', '.join(params)}]",
              f"optimizer = torch.optim.SGD(params, lr={scene.training.lr!r}, momentum={scene.training.momentum!r})",
              "losses = []", f"for step in range({steps}):", "    optimizer.zero_grad()",
              "    loss = loss_of(network(x))", "    losses.append(loss.item())", "    loss.backward()",
              "    optimizer.step()", "with torch.no_grad():", "    losses.append(loss_of(network(x)).item())",
              "print(f'loss {losses[0]:.6g} -> {losses[-1]:.6g}')"]
    return "\n".join(lines) + "\n"
