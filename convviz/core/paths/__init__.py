"""The gradient paths as stages and steps: what to show, in what order, which cells light up.

- :mod:`.roles`: the ``Role`` of every tensor a path shows (name, axes, signed, kind).
- :mod:`.common`: Shown, Term, Step, Stage, Path and the number formats of the formula lines.
- one module per path (:mod:`.forward`, :mod:`.pool`, …), each with ``build(model) -> Path``.
- :mod:`.registry`: the explicit ``REGISTRY`` of those modules, ``PATHS`` and ``PATH_TITLES``.
- :mod:`.model`: ``StepModel``, the façade that builds a pipeline's paths on demand.

This package imports nothing itself, so :mod:`convviz.core.links` can use the roles
without pulling in the paths that use links.
"""
