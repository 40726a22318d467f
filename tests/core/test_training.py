"""Training: SGD by hand arithmetic and against torch.optim.SGD, divergence, the learning lessons,
the network's PyTorch script, and `convviz train`."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from convviz.cli import main
from convviz.core import lessons
from convviz.core.network import single
from convviz.core.pipeline import BlockConfig
from convviz.core.scene import load_scene
from convviz.core.torchcode import network_script, torch_script
from convviz.core.training import Trainer, Training, train
from tests.core.torchcode_cases import NETWORKS, network_scene, network_scripts, run_network_script, script_key

LINEAR = BlockConfig(padding=0, activation="identity", pool="none", loss="half_squared_error")


def one_weight(w=0.5):
    """P = 2·w, L = ½(P − 3)², so dL/dw = 2·(2w − 3)."""
    return single(np.array([[[[2.0]]]], np.float32), np.array([[[[w]]]], np.float32), None, LINEAR,
                  target=np.array([[[[3.0]]]], np.float32))


def test_plain_and_momentum_sgd_by_hand():
    net, h = train(one_weight(), 3, lr=0.1, momentum=0.0, backend="numpy")
    # w: 0.5 → 0.5 + 0.1·4 = 0.9 → 0.9 + 0.1·2.4 = 1.14 → 1.14 + 0.1·1.44 = 1.284
    assert float(net.blocks[0].w[0, 0, 0, 0]) == pytest.approx(1.284, rel=1e-6)
    assert h == pytest.approx([2.0, 0.72, 0.2592, 0.093312], rel=1e-5)
    net, h = train(one_weight(), 3, lr=0.1, momentum=0.5, backend="numpy")
    # v: −4, 0.5·(−4) − 2.4 = −4.4, 0.5·(−4.4) − 0.64 = −2.84;  w: 0.9, 1.34, 1.624
    assert float(net.blocks[0].w[0, 0, 0, 0]) == pytest.approx(1.624, rel=1e-6)
    assert h == pytest.approx([2.0, 0.72, 0.0512, 0.030752], rel=1e-5)


def test_a_diverging_run_says_to_lower_the_learning_rate():
    s = lessons.learn_sobel()
    t = Trainer(s.network(), Training(lr=0.05, momentum=0.0, steps=100), "numpy")
    with pytest.raises(ValueError, match=r"diverged at step \d+: the loss went from 205.1 to .*lower the learning "
                                         r"rate \(now 0.05\), e.g. to 0.005"):
        t.train(100)
    with pytest.raises(ValueError, match="momentum must be at least 0"):
        Training(momentum=1.0)
    with pytest.raises(ValueError, match="learning rate must be above 0"):
        Training(lr=0.0)


def test_learn_sobel_reaches_a_thousandth_of_its_start_within_500_steps_and_finds_sobel(backend):
    s = lessons.learn_sobel()
    assert not np.allclose(s.w, lessons.SOBEL_X, atol=0.5)              # it starts random
    t = Trainer(s.network(), s.training, backend)
    t.train(500)
    first = next(k for k, loss in enumerate(t.history) if loss <= 1e-3 * t.history[0])
    assert first <= 500 and s.training.steps <= 500
    assert t.history[s.training.steps] <= 1e-3 * t.history[0]          # the lesson's own run gets there
    np.testing.assert_allclose(t.network.blocks[0].w[0, 0], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], atol=1e-3)


def test_two_layers_learn_an_edge_map():
    s = lessons.two_layers_learn_edges()
    assert len(s.blocks()) == 2 and s.blocks()[0].config.activation == "relu"
    t = Trainer(s.network(), s.training, "numpy")
    t.train(s.training.steps)
    assert t.history[-1] <= t.history[0] / 50


@pytest.mark.parametrize("name", NETWORKS)
def test_the_network_script_gives_pytorchs_gradients_and_training(name):
    """PyTorch runs the exported script (live with torch, else from the stored fixture of the
    identical script): its gradients, its loss at every SGD step and its trained kernels are ours."""
    script = network_scripts()[name]
    try:
        import torch  # noqa: F401
        theirs = run_network_script(script)
    except ImportError:
        stored = np.load(Path(__file__).parents[1] / "data" / "torchcode_fixture.npz")
        assert str(stored[f"{name}.key"]) == script_key(script), "run tools/make_torchcode_fixture.py with torch"
        theirs = {k[len(name) + 1:]: stored[k] for k in stored.files if k.startswith(name + ".")}
    scene = network_scene(name)
    r = scene.network().compute("numpy")
    np.testing.assert_allclose(r.blocks[0].dx, theirs["dX"], rtol=1e-4, atol=1e-5)
    for k, (blk, br) in enumerate(zip(scene.blocks(), r.blocks), 1):
        np.testing.assert_allclose(br.dw, theirs[f"dW{k}"], rtol=1e-4, atol=1e-5, err_msg=f"dW{k}")
        if blk.b is not None:
            np.testing.assert_allclose(br.db, theirs[f"db{k}"], rtol=1e-4, atol=1e-5, err_msg=f"db{k}")
    t = Trainer(scene.network(), scene.training, "numpy")
    t.train(scene.training.steps)
    np.testing.assert_allclose(t.history, theirs["losses"], rtol=1e-4, atol=1e-4)
    for k, blk in enumerate(t.network.blocks, 1):
        np.testing.assert_allclose(blk.w, theirs[f"w{k}"], rtol=1e-4, atol=1e-5, err_msg=f"w{k}")


def test_every_lesson_exports_a_script_and_a_network_script_has_its_training_loop():
    s = lessons.two_layers_learn_edges()
    script = torch_script(s)
    compile(script, "<script>", "exec")
    assert "def block2(x):" in script and "torch.optim.SGD(params, lr=0.0005, momentum=0.9)" in script
    assert "for step in range(500):" in network_script(s)
    assert "for step in range(7):" in network_script(lessons.learn_sobel(), steps=7)


def _run(capsys, *argv):
    code = main(["train", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_convviz_train_prints_the_loss_and_writes_the_trained_scene(tmp_path, capsys):
    lesson = lessons.lessons_dir() / "004-learn-sobel.json"
    out_file = tmp_path / "trained.json"
    code, out, err = _run(capsys, lesson, "--steps", 100, "--out", out_file)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 11 and lines[0].startswith("step     10  loss ")
    m = re.fullmatch(r"loss (\S+) -> (\S+)", lines[-1])
    start = load_scene(lesson).network().compute("numpy").loss
    assert m and float(m[1]) == pytest.approx(start, rel=1e-5)
    trained = load_scene(out_file)
    assert trained.network().compute("numpy").loss == pytest.approx(float(m[2]), rel=1e-3)
    assert float(m[2]) <= 1e-3 * start
    assert trained.training == replace(load_scene(lesson).training, steps=100)


@pytest.mark.parametrize("argv,message", [
    (["--steps", "0"], "--steps must be a whole number from 1 to 100000; got 0"),
    (["--steps", "5", "--lr", "-1"], "--lr must be above 0"),
    (["--steps", "5", "--momentum", "1"], "momentum must be at least 0"),
    (["--steps", "50", "--lr", "0.05", "--momentum", "0"], "diverged at step"),
    (["--steps", "many"], "argument --steps: invalid int value: 'many'"),
    ([], "the following arguments are required: --steps"),
])
def test_convviz_train_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    lesson = lessons.lessons_dir() / "004-learn-sobel.json"
    try:
        code, out, err = _run(capsys, lesson, *argv)
    except SystemExit as exc:                 # argparse's own errors
        code, (out, err) = exc.code, capsys.readouterr()
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err and err.startswith("convviz train: ")


def test_convviz_train_names_a_missing_file(capsys, tmp_path):
    code, out, err = _run(capsys, tmp_path / "none.json", "--steps", 3)
    assert code == 2 and "none.json: cannot read the file" in err and len(err.strip().splitlines()) == 1
