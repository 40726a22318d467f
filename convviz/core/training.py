"""Gradient descent on a :class:`.network.Network`: plain or momentum SGD, as torch.optim.SGD does it.

For every parameter p (each block's kernel W and bias b) with gradient g, step t:

    plain     p ← p − lr·g
    momentum  v ← g (t = 0),  v ← μ·v + g (t > 0);   p ← p − lr·v

(``torch.optim.SGD(params, lr, momentum=μ)``: no dampening, no Nesterov, no weight decay.)
A :class:`Trainer` keeps the velocities and the loss history; a loss that turns
non-finite or grows a millionfold raises a ValueError that says to lower the learning rate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .backend import Backend
from .network import Network, NetworkResults

MAX_LR = 10.0
MAX_STEPS = 100_000
DIVERGED = 1e6                 # a loss this many times its start means the descent has diverged


@dataclass(frozen=True)
class Training:
    """The settings of a training run: learning rate, momentum μ (0 = plain SGD) and steps."""
    lr: float = 0.01
    momentum: float = 0.0
    steps: int = 100

    def __post_init__(self):
        check_settings(self.lr, self.momentum, self.steps)


def check_settings(lr, momentum, steps) -> None:
    """ValueError naming the setting and its range."""
    for name, v in (("lr", lr), ("momentum", momentum)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number; got {v!r}")
    if not 0 < lr <= MAX_LR:
        raise ValueError(f"the learning rate must be above 0 and at most {MAX_LR:g}; got {lr:g}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be at least 0 (plain SGD) and below 1; got {momentum:g}. Try 0.9")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 1 to {MAX_STEPS}; got {steps!r}")


class Trainer:
    """Trains a network step by step; ``network`` is replaced (never changed in place) by each step."""

    def __init__(self, network: Network, settings: Training = Training(), backend: str | Backend | None = None):
        self.network = network
        self.settings = settings
        self.backend = backend
        self.velocity: list | None = None          # per block (v_W, v_b), after the first momentum step
        self.history: list[float] = []             # the loss before each step, then after the last
        self.steps_done = 0
        self._results: NetworkResults | None = None

    def results(self) -> NetworkResults:
        """The current network's forward and backward pass (computed once per state)."""
        if self._results is None:
            self._results = self.network.compute(self.backend)
        return self._results

    @property
    def loss(self) -> float:
        return self.results().loss

    def step(self) -> float:
        """One descent step; returns the loss before it."""
        try:
            r = self.results()
        except ValueError as exc:
            if "NaN or Inf" in str(exc) or "overflows" in str(exc):
                raise self._diverged(math.inf) from None
            raise
        loss = r.loss
        if not self.history:
            self.history.append(loss)
        self._check(loss)
        lr, mu = np.float32(self.settings.lr), np.float32(self.settings.momentum)
        grads = [(br.dw, br.db) for br in r.blocks]
        if mu != 0:
            if self.velocity is None:
                self.velocity = [(g.copy(), db.copy()) for g, db in grads]
            else:
                self.velocity = [(mu * v + g, mu * vb + db) for (v, vb), (g, db) in zip(self.velocity, grads)]
            grads = self.velocity
        blocks = []
        for blk, (gw, gb) in zip(self.network.blocks, grads):
            w = (blk.w - lr * gw).astype(np.float32)
            b = None if blk.b is None else (blk.b - lr * gb).astype(np.float32)
            blocks.append(blk.with_params(w, b))
        self.network = self.network.with_blocks(blocks)
        self._results = None
        self.steps_done += 1
        try:
            after = self.loss
        except ValueError as exc:
            if "NaN or Inf" in str(exc) or "overflows" in str(exc):
                raise self._diverged(math.inf) from None
            raise
        self.history.append(after)
        self._check(after)
        return loss

    def train(self, n: int, every: int = 0, report=None) -> list[float]:
        """``n`` steps; ``report(step, loss)`` is called every ``every`` steps and after the last.
        Returns the loss history (start, then after each step)."""
        check_settings(self.settings.lr, self.settings.momentum, n)
        for k in range(1, n + 1):
            self.step()
            if report is not None and ((every and k % every == 0) or k == n):
                report(self.steps_done, self.history[-1])
        return self.history

    def _check(self, loss: float) -> None:
        start = self.history[0] if self.history else loss
        if not math.isfinite(loss) or abs(loss) > DIVERGED * max(abs(start), 1e-12):
            raise self._diverged(loss)

    def _diverged(self, loss: float) -> ValueError:
        s = self.settings
        advice = f"lower the learning rate (now {s.lr:g}), e.g. to {s.lr / 10:g}"
        if s.momentum:
            advice += f", or the momentum (now {s.momentum:g})"
        start = self.history[0] if self.history else float("nan")
        return ValueError(f"training diverged at step {self.steps_done}: the loss went from {start:.4g} to "
                          f"{loss:.4g}; {advice}")


def train(network: Network, n: int, lr: float = 0.01, momentum: float = 0.0,
          backend: str | Backend | None = None) -> tuple[Network, list[float]]:
    """``n`` steps of SGD; returns the trained network and the loss history (n + 1 values)."""
    t = Trainer(network, Training(lr, momentum, n), backend)
    t.train(n)
    return t.network, t.history
