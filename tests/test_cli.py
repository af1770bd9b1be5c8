"""The purernn command line, end to end in subprocesses and in-process for error paths."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import purernn as pr
from purernn import cli
from purernn.tasks import TASKS

from .train_helpers import SHORT_GATE, tiny_config, tiny_net, tiny_task

TOML = """
n_rec = 16
lr = 1e-2
eval_every = 10
checkpoint_every = 10

[task]
stim_on = {stim_on}
stim_dur = {stim_dur}
response_on = {response_on}
t_total = {t_total}
""".format(**SHORT_GATE)


def _purernn(*args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="error")
    proc = subprocess.run([sys.executable, "-m", "purernn", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    return proc


def _end_to_end(tmp_path, run_cli):
    """train -> evaluate -> resume through the command line; `run_cli(*args)` returns
    (exit code, stdout, stderr)."""
    config = tmp_path / "tiny.toml"
    config.write_text(TOML)
    run = tmp_path / "run"
    code, out, err = run_cli("train", "xor", "--out", run, "--config", config, "--steps", 40,
                             "--seed", 5, "--quiet")
    assert code == 0, err
    assert "40 steps" in out and str(run) in out
    assert sorted(p.name for p in (run / "figures").iterdir()) == ["accuracy.png", "loss.png", "trials.png"]
    meta = json.loads((run / "run.json").read_text())
    assert meta["network"]["n_rec"] == 16 and meta["train"]["lr"] == 0.01
    assert meta["task"]["t_total"] == SHORT_GATE["t_total"] and meta["seed"] == 5
    # the CLI's network comes from the seed's init stream, like pr.default_network
    loaded = pr.load_run(run)
    expected_init = pr.default_network(loaded.task, seed=5, n_rec=16)
    assert np.array_equal(loaded.net_init.params["W_rec"], expected_init.params["W_rec"])

    code, out, err = run_cli("evaluate", run, "--n-trials", 300, "--seed", 1)
    assert code == 0, err
    ev = pr.evaluate(loaded.net, loaded.task, n_trials=300, rng=1)
    assert f"{ev.accuracy:.4f}" in out and "95% CI" in out and f"{ev.n_correct}/300 trials" in out

    # an interrupted run (Ctrl-C at step 13), resumed by the CLI, equals an uninterrupted one
    task = tiny_task("xor")
    cfg = tiny_config(n_steps=30, eval_every=10, checkpoint_every=10, stop_at_criterion=False)

    def ctrl_c(event):
        if event.step == 13:
            raise KeyboardInterrupt

    part = pr.train(tiny_net(task), task, cfg, progress=False, run_dir=tmp_path / "part",
                    callbacks=[ctrl_c])
    assert part.stop_reason == "interrupted"
    whole = pr.train(tiny_net(task), task, cfg, progress=False)
    code, out, err = run_cli("resume", tmp_path / "part", "--quiet", "--no-figures")
    assert code == 0, err
    resumed = pr.load_run(tmp_path / "part")
    for k, v in whole.net.params.items():
        assert np.array_equal(resumed.net.params[k], v), k


def test_train_evaluate_resume_in_process(tmp_path, capsys):
    _end_to_end(tmp_path, lambda *args: _main(args, capsys))


@pytest.mark.slow
def test_train_evaluate_resume_end_to_end_in_subprocesses(tmp_path):
    def run_cli(*args):
        proc = _purernn(*args, cwd=tmp_path)
        return proc.returncode, proc.stdout, proc.stderr

    _end_to_end(tmp_path, run_cli)


def test_version_in_a_subprocess(tmp_path):
    proc = _purernn("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == f"purernn {pr.__version__}"


def _main(argv, capsys):
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_unknown_toml_key_fails_listing_the_valid_keys(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("n_rec = 8\nlearning_rate = 0.1\n")
    code, _, err = _main(["train", "xor", "--out", tmp_path / "r", "--config", config], capsys)
    assert code == 2
    assert "unknown key 'learning_rate'" in err and "n_rec" in err and "batch_size" in err
    assert not (tmp_path / "r").exists()


def test_bad_values_and_task_fields_fail_loudly(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("[task]\nstim_onset = 3\n")
    code, _, err = _main(["train", "xor", "--out", tmp_path / "r", "--config", config], capsys)
    assert code == 1 and "stim_onset" in err and "stim_on" in err
    code, _, err = _main(["train", "xor", "--out", tmp_path / "r", "--epochs", 2, "--steps", 3], capsys)
    assert code == 2 and "not both" in err
    code, _, err = _main(["train", "xor", "--out", tmp_path / "r", "--lr", "-1"], capsys)
    assert code == 1 and "`lr` must be" in err


def test_overwrite_is_refused_without_the_flag(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(TOML)
    args = ["train", "xor", "--out", tmp_path / "r", "--config", config, "--steps", 3, "--quiet",
            "--no-figures"]
    assert _main(args, capsys)[0] == 0
    before = (tmp_path / "r" / "params.npz").read_bytes()
    code, _, err = _main(args + ["--seed", 9], capsys)
    assert code == 1 and "already holds a run" in err and "--overwrite" in err
    assert (tmp_path / "r" / "params.npz").read_bytes() == before
    assert _main(args + ["--seed", 9, "--overwrite"], capsys)[0] == 0
    assert (tmp_path / "r" / "params.npz").read_bytes() != before


def test_tasks_table_and_picture(tmp_path, capsys):
    code, out, _ = _main(["tasks"], capsys)
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert names == list(TASKS)
    code, out, _ = _main(["tasks", "show", "xor", "--out", tmp_path / "xor.png"], capsys)
    assert code == 0 and (tmp_path / "xor.png").read_bytes()[:4] == b"\x89PNG"


def test_evaluate_reports_damaged_runs(tmp_path, capsys):
    code, _, err = _main(["evaluate", tmp_path], capsys)
    assert code == 1 and "run.json" in err and "missing" in err


def test_analyze_without_the_analysis_module_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "purernn.analysis.report", None)  # import now fails
    code, _, err = _main(["analyze", tmp_path], capsys)
    assert code == 2 and "purernn.analysis.report" in err


def test_console_script_is_declared():
    setup_cfg = (Path(__file__).parents[1] / "setup.cfg").read_text()
    assert "purernn = purernn.cli:main" in setup_cfg
