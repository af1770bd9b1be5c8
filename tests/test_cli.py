"""The purernn command line: a newcomer's session, help, names, seeds and errors; in-process
through purernn.cli.main, with the subprocess versions marked slow."""

import argparse
import dataclasses
import inspect
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

import purernn as pr
import purernn.io as pio
from purernn import cli, options
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


def _purernn(*args, cwd, env=None):
    env = dict(os.environ, PYTHONWARNINGS="error", **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "purernn", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    return proc


def _main(argv, capsys):
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _in_process(capsys):
    return lambda *args: _main(args, capsys)


def _in_subprocesses(cwd):
    def run_cli(*args):
        proc = _purernn(*args, cwd=cwd)
        return proc.returncode, proc.stdout, proc.stderr

    return run_cli


# -- the newcomer's session ------------------------------------------------------------


def _newcomer_session(tmp_path, run_cli):
    """--help, train without a seed, repeat it with the printed seed, list the runs,
    evaluate as JSON, export for MATLAB and Keras and read both back."""
    code, out, _ = run_cli("--help")
    assert code == 0 and "purernn train xor --out runs/xor" in out
    for command in ("tasks", "train", "resume", "runs", "evaluate", "analyze", "export", "sweep", "report"):
        assert re.search(rf"^\s+{command}\s+\S", out, re.M), command  # each command has a help line

    config = tmp_path / "tiny.toml"
    config.write_text(TOML)
    runs = tmp_path / "runs"
    code, out, err = run_cli("train", "xor", "--out", runs / "first", "--config", config, "--n-steps", 30, "--quiet",
                             "--no-figures")
    assert code == 0, err
    seed = int(re.search(r"^seed (\d+) \(drawn at random", out, re.M)[1])
    repeat = re.search(r"to repeat this run: (purernn .*)$", out, re.M)[1]
    assert f"--seed {seed}" in repeat and json.loads((runs / "first" / "run.json").read_text())["seed"] == seed
    argv = shlex.split(repeat)[1:]
    argv[argv.index("--out") + 1] = str(runs / "again")
    code, out, err = run_cli(*argv)
    assert code == 0, err
    assert f"seed {seed} (stored" in out  # given, not drawn
    first, again = pr.load_run(runs / "first"), pr.load_run(runs / "again")
    # a lucky drawn seed may reach the criterion at an evaluation before step 30
    assert first.n_steps == again.n_steps and first.n_steps in (10, 20, 30)
    for k, v in first.net.params.items():
        assert np.array_equal(again.net.params[k], v), k
    assert np.array_equal(first.history["loss"], again.history["loss"])

    code, out, err = run_cli("runs", runs)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:8] == ["run", "task", "init", "n_rec", "seed", "steps", "accuracy", "status"]
    assert any(line.split()[:2] == ["first", "xor"] and str(seed) in line for line in lines)
    code, out, err = run_cli("runs", runs, "--json", "--where", "run=again")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 1 and rows[0]["seed"] == seed and rows[0]["steps"] == again.n_steps

    code, out, err = run_cli("evaluate", runs / "first", "--n-trials", 300, "--seed", 1, "--json")
    assert code == 0, err
    ev = json.loads(out)
    expected = pr.evaluate(first.net, first.task, n_trials=300, rng=1)
    assert ev["accuracy"] == expected.accuracy and ev["trials_seed"] == 1 and ev["task"] == "xor"
    assert len(ev["by_condition"]) == 4  # the four input patterns of XOR
    assert sum(c["n_trials"] for c in ev["by_condition"]) == 300
    assert sum(c["n_correct"] for c in ev["by_condition"]) == ev["n_correct"]

    x = first.task.sample(8, rng=2).x
    z = pr.simulate(first.net, x).z
    code, out, err = run_cli("export", runs / "first", "--format", "mat")
    assert code == 0 and "network.mat" in out, err
    assert np.array_equal(pr.simulate(pio.load_mat(runs / "first" / "network.mat"), x).z, z)
    code, out, err = run_cli("export", runs / "first", "--format", "keras", "--out", tmp_path / "xor.h5")
    assert code == 0, err
    assert np.array_equal(pr.simulate(pio.load_keras_h5(tmp_path / "xor.h5"), x).z, z)


def test_newcomer_session_in_process(tmp_path, capsys):
    _newcomer_session(tmp_path, _in_process(capsys))


@pytest.mark.slow
def test_newcomer_session_in_subprocesses(tmp_path):
    _newcomer_session(tmp_path, _in_subprocesses(tmp_path))


# -- train, evaluate, resume -----------------------------------------------------------


def _end_to_end(tmp_path, run_cli):
    """train -> evaluate -> resume through the command line; `run_cli(*args)` returns
    (exit code, stdout, stderr)."""
    config = tmp_path / "tiny.toml"
    config.write_text(TOML)
    run = tmp_path / "run"
    code, out, err = run_cli("train", "xor", "--out", run, "--config", config, "--n-steps", 40,
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
    for c in ev.by_condition:  # one line per condition
        assert re.search(rf"^\s+{re.escape(c.name)}\s+{c.n_trials}\s+{c.accuracy:.4f}", out, re.M), c

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
    _end_to_end(tmp_path, _in_process(capsys))


@pytest.mark.slow
def test_train_evaluate_resume_end_to_end_in_subprocesses(tmp_path):
    _end_to_end(tmp_path, _in_subprocesses(tmp_path))


def test_version_in_a_subprocess(tmp_path):
    proc = _purernn("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == f"purernn {pr.__version__}"


# -- help and names ----------------------------------------------------------------------


def _subparsers(parser):
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action


def test_every_command_and_option_explains_itself():
    parser = cli.build_parser()
    sub = _subparsers(parser)
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert set(helps) == set(sub.choices) and all(helps.values()), helps
    for name, p in sub.choices.items():
        assert p.description, f"{name} has no description"
        for action in p._actions:
            if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
                continue
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
            if action.option_strings and not action.required:
                assert "default" in action.help, f"{name} {action.option_strings} does not give its default"
            if action.choices and action.option_strings:
                assert all(str(c) in action.help for c in action.choices if c not in ("markdown", "text")) or \
                    action.metavar is None, f"{name} {action.option_strings} does not list its values"
    groups = [g.title for g in sub.choices["train"]._action_groups]
    for title in ("task", "network", "training", "output"):
        assert any(g.startswith(title) for g in groups), (title, groups)


def test_option_table_matches_the_library():
    from purernn import config as config_mod
    from purernn import kernels, model, outputs, presets

    create = inspect.signature(pr.Network.create).parameters
    net_names = [o.name for o in options.NETWORK]
    assert set(net_names) == {k for k in create if k not in ("n_in", "n_out", "seed", "trainable")} | {"n_rec"}
    assert sorted(o.name for o in options.TRAINING) == sorted(pr.TrainConfig.field_names())
    choices = {o.name: o.choices for o in options.OPTIONS.values()}
    assert set(choices["init"]) == set(model.INITS) - {"user"}
    assert choices["activation"] == tuple(kernels.ACTIVATIONS)
    assert choices["dtype"] == model.DTYPES and choices["output"] == outputs.OUTPUTS
    assert choices["dale_mode"] == model.DALE_MODES and choices["dale_init"] == model.DALE_INITS
    assert choices["regime"] == config_mod.REGIMES and choices["loss"] == outputs.LOSSES
    # the defaults shown are those of a task without a preset of its own
    cfg = {**{f.name: f.default for f in dataclasses.fields(pr.TrainConfig)}, **presets.DEFAULT_TRAIN}
    for o in options.TRAINING:
        assert o.default == cfg[o.name], o.name
    net = {**{f.name: f.default for f in dataclasses.fields(pr.NetworkConfig) if f.default is not dataclasses.MISSING},
           **presets.DEFAULT_NETWORK}
    for o in options.NETWORK:
        assert o.default == net[o.name], o.name


def test_the_names_are_the_same_everywhere_and_the_old_ones_warn(tmp_path, capsys):
    config = tmp_path / "new.toml"
    config.write_text(TOML + "\n")
    config.write_text(TOML.replace("n_rec = 16", "n_rec = 16\nn_steps = 3"))
    args = ["train", "xor", "--out", tmp_path / "a", "--config", config, "--quiet", "--no-figures", "--seed", 1]
    code, out, err = _main(args, capsys)
    assert code == 0 and "3 steps" in out and "deprecated" not in err, err
    # purernn 0.1 spellings: accepted, with one line saying what to write instead
    old = tmp_path / "old.toml"
    old.write_text(TOML.replace("n_rec = 16", "n_rec = 16\nsteps = 4"))
    code, out, err = _main(["train", "xor", "--out", tmp_path / "b", "--config", old, "--quiet", "--no-figures"], capsys)
    assert code == 0 and "4 steps" in out
    assert "purernn: warning: key 'steps' in" in err and "use 'n_steps'" in err
    code, out, err = _main(["train", "xor", "--out", tmp_path / "c", "--config", config, "--steps", 2, "--quiet",
                            "--no-figures"], capsys)
    assert code == 0 and "2 steps" in out and "purernn: warning: --steps is deprecated; use --n-steps" in err
    # Python: the same names, the old ones warn
    with pytest.warns(DeprecationWarning, match="'epochs' is deprecated; use 'n_epochs'"):
        assert pr.default_train_config("xor", epochs=3).n_epochs == 3
    with pytest.warns(DeprecationWarning, match="'steps'"):
        assert pr.TrainConfig.from_dict({"steps": 7}).n_steps == 7
    with pytest.raises(pr.ValidationError, match="both 'steps' and 'n_steps'"):
        pr.TrainConfig.from_dict({"steps": 7, "n_steps": 8})


def test_negative_numbers_reach_the_validator(tmp_path, capsys):
    assert cli._join_negative_numbers(["--lr", "-1e-3", "--quiet", "-v", "--gain", "-2"]) == \
        ["--lr=-1e-3", "--quiet", "-v", "--gain=-2"]
    code, _, err = _main(["train", "xor", "--out", tmp_path / "r", "--lr", "-1e-3"], capsys)
    assert code == 1 and "`lr` must be" in err and "-0.001" in err
    assert not (tmp_path / "r").exists()


# -- seeds, tasks, errors ------------------------------------------------------------------


def test_unknown_toml_key_fails_listing_the_valid_keys(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("n_rec = 8\nlearning_rate = 0.1\n")
    code, _, err = _main(["train", "xor", "--out", tmp_path / "r", "--config", config], capsys)
    assert code == 2
    assert "unknown key 'learning_rate'" in err and "n_rec" in err and "n_steps" in err
    assert not (tmp_path / "r").exists()


def test_bad_values_and_task_fields_fail_loudly(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("[task]\nstim_onset = 3\n")
    code, _, err = _main(["train", "xor", "--out", tmp_path / "r", "--config", config], capsys)
    assert code == 1 and "stim_onset" in err and "stim_on" in err
    code, _, err = _main(["train", "xor", "--out", tmp_path / "r", "--task-field", "stim_onset=3"], capsys)
    assert code == 1 and "stim_onset" in err
    code, _, err = _main(["train", "xor", "--out", tmp_path / "r", "--n-epochs", 2, "--n-steps", 3], capsys)
    assert code == 2 and "not both" in err
    code, _, err = _main(["train", "xor", "--out", tmp_path / "r", "--keep-best", "maybe"], capsys)
    assert code == 2 and "true or false" in err


def test_task_fields_on_the_command_line(tmp_path, capsys):
    fields = [f"--task-field={k}={v}" for k, v in SHORT_GATE.items()]
    code, out, err = _main(["train", "xor", "--out", tmp_path / "r", "--n-rec", 8, "--n-steps", 2, "--seed", 0,
                            "--quiet", "--no-figures", *fields, "--task-field", "noise_sigma=0.05"], capsys)
    assert code == 0, err
    task = json.loads((tmp_path / "r" / "run.json").read_text())["task"]
    assert task["t_total"] == SHORT_GATE["t_total"] and task["noise_sigma"] == 0.05


def test_overwrite_is_refused_without_the_flag(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(TOML)
    args = ["train", "xor", "--out", tmp_path / "r", "--config", config, "--n-steps", 3, "--quiet",
            "--no-figures"]
    assert _main(args, capsys)[0] == 0
    before = (tmp_path / "r" / "params.npz").read_bytes()
    code, _, err = _main(args + ["--seed", 9], capsys)
    assert code == 1 and "already holds a run" in err and "--overwrite" in err
    assert (tmp_path / "r" / "params.npz").read_bytes() == before
    assert _main(args + ["--seed", 9, "--overwrite"], capsys)[0] == 0
    assert (tmp_path / "r" / "params.npz").read_bytes() != before


def test_tasks_table_one_task_and_picture(tmp_path, capsys):
    code, out, _ = _main(["tasks"], capsys)
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert names == list(TASKS)
    code, out, _ = _main(["tasks", "flipflop"], capsys)
    assert code == 0 and out.startswith("flipflop: ")
    for part in ("inputs 2, outputs 1", "conditions (2)", "recommended network: n_rec=50",
                 "recommended training: fresh trials", "purernn train flipflop"):
        assert part in out, part
    code, out, _ = _main(["tasks", "show", "xor", "--out", tmp_path / "xor.png"], capsys)
    assert code == 0 and (tmp_path / "xor.png").read_bytes()[:4] == b"\x89PNG"
    code, _, err = _main(["tasks", "flipflip"], capsys)
    assert code == 1 and "flipflop" in err  # the valid names are listed


def test_evaluate_reports_damaged_runs(tmp_path, capsys):
    code, _, err = _main(["evaluate", tmp_path], capsys)
    assert code == 1 and "run.json" in err and "missing" in err


def test_analyze_without_the_analysis_module_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "purernn.analysis.report", None)  # import now fails
    code, _, err = _main(["analyze", tmp_path], capsys)
    assert code == 2 and "purernn.analysis.report" in err


def test_a_missing_optional_dependency_is_one_line_naming_the_extra(tmp_path, capsys, monkeypatch):
    def needs_dask(args):
        raise ModuleNotFoundError("No module named 'distributed'", name="distributed")

    monkeypatch.setitem(cli.COMMANDS, "runs", needs_dask)
    code, out, err = _main(["runs", tmp_path], capsys)
    assert code == 1 and err == "purernn: error: this needs distributed, an optional dependency: " \
                                "pip install 'purernn[cluster]'\n"
    setup_cfg = (Path(__file__).parents[1] / "setup.cfg").read_text()
    requires = setup_cfg.split("install_requires =")[1].split("\n\n")[0]
    assert "h5py" in requires  # Keras files are a regular feature
    extras = setup_cfg.split("[options.extras_require]")[1].split("\n[")[0]
    assert re.search(r"^cluster =\n\s+dask", extras, re.M) and re.search(r"^neurogym =\n\s+neurogym", extras, re.M)


def test_figure_format_and_resolution_reach_analyze_and_report(tmp_path, capsys, monkeypatch):
    import purernn.analysis.report as report_mod
    import purernn.sweep as sweep_mod

    seen = {}
    monkeypatch.setattr(report_mod, "analyze_network", lambda *a, **kw: seen.setdefault("analyze", kw))
    run = tmp_path / "run"
    pr.save_run(run, pr.train(tiny_net(tiny_task()), tiny_task(), tiny_config(n_steps=2), progress=False))
    code, _, err = _main(["analyze", run, "--format", "svg", "--dpi", 200], capsys)
    assert code == 0, err
    assert seen["analyze"]["fig_format"] == "svg" and seen["analyze"]["dpi"] == 200

    class Rep:
        text, out = "table", tmp_path

    monkeypatch.setattr(sweep_mod, "report", lambda *a, **kw: seen.setdefault("report", kw) and Rep)
    code, _, err = _main(["report", tmp_path, "--format", "pdf", "--dpi", 300, "--tables", "text"], capsys)
    assert code == 0 and (seen["report"]["fig_format"], seen["report"]["dpi"], seen["report"]["fmt"]) == \
        ("pdf", 300, "text")
    seen.pop("report")
    code, _, err = _main(["report", tmp_path, "--format", "text"], capsys)  # purernn 0.1 meaning
    assert code == 0 and seen["report"]["fmt"] == "text" and seen["report"]["fig_format"] == "png"
    assert "--format text is deprecated; use --tables text" in err


@pytest.mark.slow
def test_analyze_and_report_write_the_chosen_format(tmp_path, capsys):
    from .sweep.helpers import write_study

    run = tmp_path / "run"
    pr.save_run(run, pr.train(tiny_net(tiny_task()), tiny_task(), tiny_config(n_steps=20), progress=False))
    code, _, err = _main(["analyze", run, "--quick", "--format", "pdf", "--dpi", 60], capsys)
    assert code == 0, err
    written = sorted(p.suffix for p in (run / "figures").iterdir())
    assert written and set(written) == {".pdf"}
    study = write_study(tmp_path)
    code, _, err = _main(["sweep", study, "--workers", 1, "--quiet"], capsys)
    assert code == 0, err
    code, _, err = _main(["report", tmp_path / "tiny", "--format", "svg", "--tables", "text"], capsys)
    assert code == 0, err
    figures = [p for p in (tmp_path / "tiny" / "report").iterdir() if p.suffix in (".png", ".svg")]
    assert figures and all(p.suffix == ".svg" for p in figures)
    assert (tmp_path / "tiny" / "report" / "report.txt").exists()


def test_the_compile_is_announced_once_and_timed(capsys):
    @numba.njit  # a fresh function: compiling it is a real compile, like an empty cache
    def fresh(x):
        return x + 1

    with cli._CompileNotice():
        fresh(1)
        fresh.py_func(1)
    err = capsys.readouterr().err
    assert err.count("compiling kernels once for this machine") == 1
    assert re.search(r"kernels compiled in \d+\.\d s", err)
    with cli._CompileNotice():
        fresh(2)  # compiled already: nothing to say
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_first_run_on_an_empty_cache_announces_the_compile(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    args = ["train", "xor", "--out", tmp_path / "a", "--n-rec", 16, "--n-steps", 2, "--seed", 0, "--quiet",
            "--no-figures"]
    first = _purernn(*args, cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "compiling kernels once for this machine" in first.stderr and "kernels compiled in" in first.stderr
    args[args.index("--out") + 1] = tmp_path / "b"
    second = _purernn(*args, cwd=tmp_path, env=env)
    assert second.returncode == 0 and "compiling" not in second.stderr, second.stderr


def test_console_script_is_declared():
    setup_cfg = (Path(__file__).parents[1] / "setup.cfg").read_text()
    assert "purernn = purernn.cli:main" in setup_cfg
