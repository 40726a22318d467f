"""core/paths: the registry is complete, every path builds on every lesson, each term
names the two cells it multiplies, and the one receptive-field function agrees with
the definition of convolution."""
from __future__ import annotations

import pkgutil

import numpy as np
import pytest
from hypothesis import given, settings

from convviz.core import links, reference
from convviz.core import paths as paths_package
from convviz.core.geometry import dx_gather
from convviz.core.lessons import LESSONS
from convviz.core.paths import roles
from convviz.core.paths.model import StepModel
from convviz.core.paths.registry import PATH_TITLES, PATHS, REGISTRY
from convviz.core.spec import make_conv_spec
from tests.strategies import conv_configs

NOT_PATHS = {"common", "fold", "model", "registry", "roles"}


def test_the_registry_lists_every_path_module_once():
    modules = {m.name for m in pkgutil.iter_modules(paths_package.__path__)} - NOT_PATHS
    assert {m.__name__.rsplit(".", 1)[1] for m in REGISTRY.values()} == modules
    assert PATHS == ("forward", "pool", "activation", "db", "dw", "dx-gather", "dx-scatter", "im2col", "jacobian",
                     "delta-chain")
    for name, module in REGISTRY.items():
        assert callable(module.build) and PATH_TITLES[name] == module.TITLE and module.TITLE


def test_an_unknown_path_is_refused_with_the_names_there_are():
    sm = StepModel(LESSONS["00-start-here"]().pipeline())
    with pytest.raises(ValueError, match="the paths are: forward, pool"):
        sm.path("backward")


def _factor_cells_hold_their_values(stage, step):
    """Every term's factors are the values of the cells it names, in the tensors the stage shows."""
    for t in step.terms[:50]:
        for role, cell, value in ((t.a_role, t.a_cell, t.a), (t.b_role, t.b_cell, t.b)):
            if role is None:
                continue
            assert cell is not None
            shown = [s.data for s in stage.tensors if s.role == role]
            if shown:
                assert float(shown[0][cell]) == value, (stage.key, role.name, cell)


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_every_path_builds_on_every_lesson(lesson):
    sm = StepModel(LESSONS[lesson]().pipeline())
    for name in sm.available():
        path = sm.path(name)
        assert path.name == name and path.title == PATH_TITLES[name] and path.stages
        for stage in path.stages:
            assert stage.tensors and all(isinstance(s.role, roles.Role) for s in stage.tensors)
            for k in {0, stage.n_steps - 1} if stage.n_steps else ():
                step = stage.step(k)
                assert isinstance(step.role, roles.Role)
                assert all(isinstance(r, roles.Role) for r in step.highlights)
                _factor_cells_hold_their_values(stage, step)
                stage.tensors_at(k)


def _reference_z(x, w, spec):
    return reference.conv2d(x.astype(np.float64), w.astype(np.float64), None, spec)


@settings(max_examples=30, deadline=None)
@given(conv_configs(max_hw=6))
def test_the_receptive_field_pairs_each_x_pad_cell_with_the_tap_that_reads_it(cfg):
    """By the definition: with a kernel that is 1 at one tap and 0 elsewhere, Z[n,q,i,j] is
    the one X_pad cell that tap reads; so each (X_pad cell, tap) pair is checked on its own."""
    x_shape, w_shape, kwargs = cfg
    spec = make_conv_spec(w_shape[2:], **kwargs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape)
    x_pad = reference.pad(x, spec)
    out_hw = spec.output_size(x_shape[2:])
    for q in range(w_shape[0]):
        for c in range(w_shape[1]):
            for m in range(w_shape[2]):
                for nn in range(w_shape[3]):
                    w = np.zeros(w_shape)
                    w[q, c, m, nn] = 1.0
                    z = _reference_z(x, w, spec)
                    for i in range(out_hw[0]):
                        for j in range(out_hw[1]):
                            rf = links.receptive_field(spec, w_shape, x_shape[2:], (0, q, i, j))
                            pairs = dict(zip(rf[roles.W], rf[roles.X_PAD]))
                            assert z[0, q, i, j] == x_pad[pairs[(q, c, m, nn)]]


@settings(max_examples=30, deadline=None)
@given(conv_configs(max_hw=6))
def test_the_forward_slide_and_the_scatter_stamp_use_that_window(cfg):
    from convviz.core.pipeline import BlockConfig, Pipeline, Tensors
    x_shape, w_shape, kwargs = cfg
    rng = np.random.default_rng(1)
    t = Tensors(rng.standard_normal(x_shape).astype(np.float32), rng.standard_normal(w_shape).astype(np.float32))
    sm = StepModel(Pipeline(t, BlockConfig(pool="none", **kwargs), "numpy"))
    slide = next(s for s in sm.path("forward").stages if s.key == "slide")
    stamp = sm.path("dx-scatter").stages[0]
    for k in sorted({0, slide.n_steps // 2, slide.n_steps - 1}):
        cell = slide.step(k).cell
        rf = links.receptive_field(sm.spec, w_shape, x_shape[2:], cell)
        assert slide.step(k).highlights[roles.X_PAD] == rf[roles.X_PAD]
        assert [(t.a_cell, t.b_cell) for t in slide.step(k).terms] == list(zip(rf[roles.X_PAD], rf[roles.W]))
        assert [c for c, _ in stamp.step(k).writes] == rf[roles.X_PAD]


@settings(max_examples=40, deadline=None)
@given(conv_configs(max_hw=7))
def test_the_one_gather_recipe_gives_the_gradient_of_the_definition(cfg):
    """dX from geometry.dx_gather's recipe against dX by the chain rule, tap by tap."""
    x_shape, w_shape, kwargs = cfg
    spec = make_conv_spec(w_shape[2:], **kwargs)
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    dy = rng.standard_normal((x_shape[0], w_shape[0]) + spec.output_size(x_shape[2:]))
    recipe = dx_gather(spec, x_shape[2:], dy.shape[2:])
    assert recipe.flipped_shape(w_shape) == reference.flip_kernel(w, spec.groups).shape
    rows, cols = recipe.index_maps(dy.shape[2:], spec.stride)
    dz_pad = reference.pad_or_crop(reference.insert_zeros(dy, spec.stride), recipe.pads)
    assert dz_pad.shape[2:] == (len(rows), len(cols))
    want, _, _ = reference.conv2d_backward(x, w, dy, spec)
    np.testing.assert_allclose(reference.conv2d_dx_gather(dy, w, spec, x_shape[2:]), want, atol=1e-9)
