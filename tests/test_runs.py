"""Run directories: save/load, checkpoints, bitwise resume, atomic writes, bad files."""

import json
import re

import numpy as np
import pytest

import purernn as pr
from purernn import _files, figures, runfiles
from purernn.model import PARAM_NAMES

from .train_helpers import tiny_config, tiny_net, tiny_task


def _stop_at(step):
    def cb(event):
        if event.step == step:
            raise KeyboardInterrupt  # what Ctrl-C does outside the signal handler
    return cb


def _assert_same_params(a, b):
    for k in PARAM_NAMES:
        assert np.array_equal(a.params[k], b.params[k]), k


@pytest.fixture
def saved_run(tmp_path):
    task = tiny_task("xor")
    result = pr.train(tiny_net(task), task, tiny_config(n_steps=30, eval_every=10), progress=False)
    path = pr.save_run(tmp_path / "run", result)
    return path, result


def test_save_load_roundtrip(saved_run):
    path, result = saved_run
    assert sorted(p.name for p in path.iterdir()) == ["history.npz", "params.npz", "run.json"]
    loaded = pr.load_run(path)
    _assert_same_params(loaded.net, result.net)
    _assert_same_params(loaded.net_init, result.net_init)
    assert loaded.net.config == result.net.config
    assert loaded.config == result.config and loaded.task == result.task
    for k in result.history:
        assert np.array_equal(loaded.history[k], result.history[k])
    assert (loaded.n_steps, loaded.best_step, loaded.stop_reason) == (30, result.best_step, "max_steps")
    assert loaded.val_accuracy == result.val_accuracy
    assert np.array_equal(loaded.optimizer_state.v["W_in"], result.optimizer_state.v["W_in"])
    meta = json.loads((path / "run.json").read_text())
    assert meta["seed"] == 0 and meta["status"] == "complete"
    assert set(meta["versions"]) >= {"purernn", "numpy", "numba", "scipy"}
    assert meta["created_utc"].endswith("Z")
    with np.load(path / "params.npz", allow_pickle=False) as z:
        assert {"W_rec", "init_W_rec", "adam_t"} <= set(z.files)


def test_masks_and_float32_roundtrip(tmp_path):
    task = tiny_task("xor")
    net = tiny_net(task, conn_prob=0.5, dale=0.8, e_only_readout=True, dtype="float32")
    result = pr.train(net, task, tiny_config(n_steps=5, eval_every=5), progress=False)
    loaded = pr.load_run(pr.save_run(tmp_path / "r", result))
    assert np.array_equal(loaded.net.rec_mask, net.rec_mask)
    assert np.array_equal(loaded.net.out_mask, net.out_mask)
    assert loaded.net.params["W_rec"].dtype == np.float32
    _assert_same_params(loaded.net, result.net)


def test_existing_run_is_never_overwritten_silently(saved_run):
    path, result = saved_run
    before = (path / "params.npz").read_bytes()
    with pytest.raises(pr.RunFileError, match="already holds a run.*overwrite"):
        pr.save_run(path, result)
    task = result.task
    with pytest.raises(pr.RunFileError, match="already holds a run"):
        pr.train(tiny_net(task), task, tiny_config(n_steps=2), progress=False, run_dir=path)
    assert (path / "params.npz").read_bytes() == before
    pr.save_run(path, result, overwrite=True)
    pr.load_run(path)


@pytest.mark.parametrize(
    "overrides, net_kw, stop",
    [
        ({}, {}, 37),  # fresh trials; interrupted between checkpoints
        ({"regime": "fixed", "n_samples": 100, "n_epochs": 6, "batch_size": 32}, {}, 9),  # mid-epoch
        ({}, {"sigma_rec": 0.05}, 20),  # recurrent noise stream; on a checkpoint step
    ],
)
def test_resume_is_bitwise_equal_to_an_uninterrupted_run(tmp_path, overrides, net_kw, stop):
    task = tiny_task("xor")
    cfg = tiny_config(n_steps=50, eval_every=7, checkpoint_every=10, stop_at_criterion=False,
                      seed=3, **overrides)
    whole = pr.train(tiny_net(task, seed=3, **net_kw), task, cfg, progress=False,
                     run_dir=tmp_path / "whole")
    assert not (tmp_path / "whole" / "checkpoint.npz").exists()  # dropped when complete

    part = pr.train(tiny_net(task, seed=3, **net_kw), task, cfg, progress=False,
                    run_dir=tmp_path / "part", callbacks=[_stop_at(stop)])
    assert part.stop_reason == "interrupted" and part.n_steps == stop
    meta = json.loads((tmp_path / "part" / "run.json").read_text())
    assert meta["status"] == "interrupted" and meta["step"] == stop
    interrupted = pr.load_run(tmp_path / "part")
    assert interrupted.stop_reason == "interrupted" and interrupted.n_steps == stop

    resumed = pr.resume(tmp_path / "part", progress=False)
    assert resumed.n_steps == whole.n_steps == cfg.total_steps
    _assert_same_params(resumed.net, whole.net)
    for k in whole.history:
        assert np.array_equal(resumed.history[k], whole.history[k]), k
    assert resumed.best_step == whole.best_step
    reloaded = pr.load_run(tmp_path / "part")
    _assert_same_params(reloaded.net, whole.net)
    # resuming a complete run trains nothing
    again = pr.resume(tmp_path / "part", progress=False)
    _assert_same_params(again.net, whole.net)


def test_a_crash_while_saving_leaves_the_previous_run_intact(saved_run, monkeypatch):
    path, result = saved_run
    before = {p.name: p.read_bytes() for p in path.iterdir()}
    staged = []
    real_stage = _files._stage

    def crash_on_second_file(target, data):
        staged.append(target.name)
        if len(staged) == 2:
            raise OSError("disk full (simulated)")
        return real_stage(target, data)

    monkeypatch.setattr(_files, "_stage", crash_on_second_file)
    with pytest.raises(OSError, match="simulated"):
        pr.save_run(path, result, overwrite=True)
    monkeypatch.undo()
    # params.npz, history.npz (or params-<hash>.npz ... when the bytes differ from the saved ones)
    assert [n.partition(".")[0].partition("-")[0] for n in staged] == ["params", "history"]
    assert {p.name: p.read_bytes() for p in path.iterdir()} == before  # no temp files either
    _assert_same_params(pr.load_run(path).net, result.net)


def test_divergence_keeps_the_last_good_checkpoint(tmp_path):
    task = tiny_task("xor")
    net = tiny_net(task, activation="linear")
    cfg = tiny_config(lr=30.0, checkpoint_every=2, eval_every=50)  # diverges at step 6
    with pytest.raises(pr.ConvergenceError, match=r"diverged at step (\d+).*last good checkpoint") as info:
        pr.train(net, task, cfg, progress=False, run_dir=tmp_path / "run")
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["status"] == "diverged" and "step" in meta["error"]
    loaded = pr.load_run(tmp_path / "run")
    assert loaded.stop_reason == "diverged"
    diverged_at = int(re.search(r"diverged at step (\d+)", str(info.value)).group(1))
    assert 2 <= loaded.n_steps < diverged_at
    assert all(np.all(np.isfinite(p)) for p in loaded.net.params.values())


# -- damaged files ----------------------------------------------------------------------------


def _truncate(p):
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _flip_byte(p):
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))


def _edit_json(change):
    def edit(p):
        meta = json.loads(p.read_text())
        change(meta)
        p.write_text(json.dumps(meta))
    return edit


@pytest.mark.parametrize(
    "name, damage, match",
    [
        ("params.npz", _truncate, "SHA-256"),
        ("history.npz", _flip_byte, "SHA-256"),
        ("params.npz", lambda p: p.unlink(), "missing"),
        ("run.json", lambda p: p.unlink(), "missing"),
        ("run.json", _truncate, "not valid JSON"),
        ("run.json", _edit_json(lambda m: m["train"].update(lr="fast")), "entry 'train'.*`lr`"),
        ("run.json", _edit_json(lambda m: m["train"].update(momentum=0.9)), "momentum"),
        ("run.json", _edit_json(lambda m: m["network"].update(n_rec=17)), "entry 'network' changed"),
        ("run.json", _edit_json(lambda m: m["train"].update(lr=0.5)), "entry 'train' changed.*edit_run"),
        ("run.json", _edit_json(lambda m: m["result"].update(val_accuracy=1.0)), "entry 'result' changed"),
        ("run.json", _edit_json(lambda m: m["task"].update(name="nand")), "entry 'task'"),
        ("run.json", _edit_json(lambda m: m.update(status="done")), "'status'"),
        ("run.json", _edit_json(lambda m: m.pop("files")), "'files'"),
        ("run.json", _edit_json(lambda m: m["result"].pop("n_steps")), "entry 'result'"),
    ],
)
def test_damaged_run_files_raise_run_file_error_naming_the_file(saved_run, name, damage, match):
    path, _ = saved_run
    damage(path / name)
    with pytest.raises(pr.RunFileError, match=match) as info:
        pr.load_run(path)
    assert name in str(info.value)


def test_pickled_arrays_are_refused(saved_run):
    path, _ = saved_run
    arrays = dict(np.load(path / "params.npz"))
    arrays["W_rec"] = np.array([{"evil": 1}], dtype=object)
    _files.write_files(path, {"params.npz": _files.npz_bytes(arrays)})
    meta = json.loads((path / "run.json").read_text())
    meta["files"]["params.npz"] = _files.sha256((path / "params.npz").read_bytes())
    meta["entry_sha256"] = runfiles.entry_digests(meta)  # as if purernn had written it
    (path / "run.json").write_text(json.dumps(meta))
    with pytest.raises(pr.RunFileError, match="params.npz.*plain arrays"):
        pr.load_run(path)


def test_not_a_run_directory(tmp_path):
    with pytest.raises(pr.RunFileError, match="not a run directory"):
        pr.load_run(tmp_path / "nothing")
    with pytest.raises(pr.RunFileError, match="run.json.*missing"):
        pr.resume(tmp_path)


def test_write_figures(saved_run):
    path, result = saved_run
    written = figures.write_figures(path, result)
    assert sorted(p.name for p in written) == ["accuracy.png", "loss.png", "trials.png"]
    for p in written:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
