"""Runs that never lose work or lie: kills at every rename of a save, two writers on one
run directory, hand edits, full disks and read-only directories, Ctrl-C, leftovers.

The fast tests inject the faults in this process (the rename step of purernn._files made
to stop after its k-th call, OSErrors raised by the file helpers); the tests marked slow
SIGKILL and interrupt real processes. Sweeps are tested in tests/sweep.
"""

import errno
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import purernn as pr
from purernn import _files, cli, runfiles, runs
from purernn.figures import new_figure, save_png
from purernn.model import PARAM_NAMES
from purernn.optim import Adam

from .train_helpers import tiny_config, tiny_net, tiny_task

ROOT = Path(__file__).resolve().parents[1]


def _cfg(**kw):
    """6 steps, a checkpoint every 2: saves at steps 0, 2, 4 and the final one."""
    return tiny_config(**{"n_steps": 6, "eval_every": 2, "checkpoint_every": 2, "stop_at_criterion": False,
                          "seed": 7, **kw})


def _train(run_dir, **kw):
    task = tiny_task("xor")
    return pr.train(tiny_net(task, seed=7, n_rec=8), task, _cfg(), progress=False, run_dir=run_dir, **kw)


def _same_run(a, b):
    for k in PARAM_NAMES:
        assert np.array_equal(a.net.params[k], b.net.params[k]), k
    for k in a.history:
        assert np.array_equal(a.history[k], b.history[k]), k
    assert (a.n_steps, a.best_step, a.stop_reason) == (b.n_steps, b.best_step, b.stop_reason)


def _leftovers(path: Path) -> list:
    """What a finished run directory must not hold: checkpoints, temporary files, the lock."""
    names = [p.name for p in path.rglob("*") if p.is_file()]
    return sorted(n for n in names if n.startswith("checkpoint") or n.endswith(".tmp") or n == ".lock")


class _Killed(BaseException):
    """Raised where a SIGKILL would end the process (passes every `except Exception`)."""


def _kill_after_rename(monkeypatch, k):
    """Make the k-th rename of purernn._files the last thing the process does."""
    real, count = _files._rename, [0]

    def rename(tmp, final):
        real(tmp, final)
        count[0] += 1
        if count[0] == k:
            raise _Killed(final.name)

    monkeypatch.setattr(_files, "_rename", rename)
    return count


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The uninterrupted run, and the number of renames its saves make."""
    path = tmp_path_factory.mktemp("whole") / "run"
    with pytest.MonkeyPatch.context() as m:
        count = _kill_after_rename(m, 0)
        result = _train(path)
    assert count[0] == 9  # 3 checkpoints (npz + run.json) and the final save (2 npz + run.json)
    return result, count[0]


# -- 1. one commit point ------------------------------------------------------------------


def test_a_kill_after_any_rename_of_a_save_leaves_a_run_that_finishes_bit_for_bit(tmp_path, whole,
                                                                                   monkeypatch):
    result, n_renames = whole
    for k in range(1, n_renames + 1):
        path = tmp_path / f"k{k}"
        with monkeypatch.context() as m:
            _kill_after_rename(m, k)
            with pytest.raises(_Killed):
                _train(path)
        if (path / "run.json").exists():
            meta = runs.read_run_json(path)
            finished = pr.resume(path, progress=False)  # also when already complete
            assert meta["status"] in ("running", "complete"), k
        else:  # killed while saving the first checkpoint: nothing was committed
            with pytest.raises(pr.RunFileError, match="no committed run.*purernn train"):
                pr.resume(path, progress=False)
            finished = _train(path)  # accepted: the leftover checkpoint is no run
        _same_run(finished, result)
        _same_run(pr.load_run(path), result)
        assert _leftovers(path) == [], k


def test_saving_over_a_complete_run_leaves_the_old_run_or_the_new_one(tmp_path, whole, monkeypatch):
    new, _ = whole
    task = tiny_task("xor")
    old = pr.train(tiny_net(task, seed=1, n_rec=8), task, _cfg(seed=1), progress=False)
    seen = set()
    for k in range(1, 7):  # two commits: the new files under other names, then under their own
        path = tmp_path / f"k{k}"
        pr.save_run(path, old)
        with monkeypatch.context() as m:
            _kill_after_rename(m, k)
            with pytest.raises(_Killed):
                pr.save_run(path, new, overwrite=True)
        loaded = pr.load_run(path)
        which = "new" if np.array_equal(loaded.net.params["W_rec"], new.net.params["W_rec"]) else "old"
        _same_run(loaded, new if which == "new" else old)
        seen.add(which)
        pr.save_run(path, new, overwrite=True)  # and the next save cleans what was left
        assert sorted(p.name for p in path.iterdir()) == ["history.npz", "params.npz", "run.json"]
    assert seen == {"old", "new"}


def test_runs_of_purernn_0_1_0_still_load_and_resume(tmp_path, whole):
    """format_version 1 as 0.1.0 wrote it: checkpoint.npz, no entry digests."""
    result, _ = whole
    path = tmp_path / "old"
    task = tiny_task("xor")

    def stop(event):
        if event.step == 3:
            raise KeyboardInterrupt

    pr.train(tiny_net(task, seed=7, n_rec=8), task, _cfg(), progress=False, run_dir=path, callbacks=[stop])
    meta = json.loads((path / "run.json").read_text())
    (name,) = meta["files"]
    (path / name).rename(path / "checkpoint.npz")
    meta["files"] = {"checkpoint.npz": meta["files"][name]}
    del meta["entry_sha256"]
    (path / "run.json").write_text(json.dumps(meta, indent=2))
    assert pr.load_run(path).n_steps == 3  # the checkpoint saved at the interruption
    _same_run(pr.resume(path, progress=False), result)
    assert _leftovers(path) == []


def test_a_reader_racing_a_save_reads_the_new_state(tmp_path, monkeypatch):
    path = tmp_path / "run"
    _interrupted(path)
    real, raced = runfiles.load_state, []

    def load_state(run_dir, meta, *args):  # a writer commits between run.json and the checkpoint
        if not raced:
            state, writer = runs.RunWriter.open(run_dir)
            state.wall_time += 1.0  # other bytes: another file name
            try:
                writer.checkpoint(state, status="interrupted")  # the old checkpoint is deleted
            finally:
                writer.close()
            raced.append(meta["files"])
        return real(run_dir, meta, *args)

    monkeypatch.setattr(runfiles, "load_state", load_state)
    assert pr.load_run(path).n_steps == 3 and raced
    assert list(runs.read_run_json(path)["files"]) != list(raced[0])


@pytest.mark.slow
def test_sigkill_after_each_rename_of_a_save_then_resume_finishes_bit_for_bit(tmp_path, whole):
    result, n_renames = whole
    code = textwrap.dedent("""
        import os, sys
        sys.path.insert(0, {root!r})
        from purernn import _files
        from tests import test_reliability as t
        real, n = _files._rename, [0]
        def rename(tmp, final):
            real(tmp, final)
            n[0] += 1
            if n[0] == {k}:
                os._exit(137)  # like SIGKILL: no cleanup, the lock file stays
        _files._rename = rename
        t._train(sys.argv[1])
        """)
    for k in range(1, n_renames + 1):
        path = tmp_path / f"k{k}"
        proc = subprocess.run([sys.executable, "-c", code.format(root=str(ROOT), k=k), str(path)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 137, proc.stderr
        if (path / "run.json").exists():
            finished = pr.resume(path, progress=False)  # the dead process's lock is stale
        else:
            finished = _train(path)
        _same_run(finished, result)
        assert _leftovers(path) == [], k


# -- 2. one writer per run directory --------------------------------------------------------


def test_a_second_writer_is_refused_naming_the_first(tmp_path):
    path = tmp_path / "run"
    task = tiny_task("xor")
    refused = []

    def second_writer(event):
        if event.step == 3:
            for attempt in (lambda: _train(path, overwrite=True), lambda: pr.resume(path, progress=False),
                            lambda: runs.edit_run(path, train={"lr": 0.1})):
                with pytest.raises(pr.RunFileError, match="in use by another purernn process") as info:
                    attempt()
                refused.append(str(info.value))

    pr.train(tiny_net(task, seed=7, n_rec=8), task, _cfg(), progress=False, run_dir=path,
             callbacks=[second_writer])
    assert len(refused) == 3
    assert f"pid {os.getpid()} on {socket.gethostname()}" in refused[0]
    assert pr.load_run(path).n_steps == 6 and not (path / ".lock").exists()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path, whole, monkeypatch):
    result, _ = whole
    path = tmp_path / "run"
    path.mkdir()
    dead = {"pid": 2**22 + 12345, "host": socket.gethostname(), "since_utc": "2020-01-01T00:00:00Z"}
    (path / ".lock").write_text(json.dumps(dead))  # no process holds it
    _same_run(_train(path), result)
    # without flock: O_CREAT | O_EXCL, and a lock of a process that no longer runs is stale
    monkeypatch.setattr(_files, "fcntl", None)
    (path / ".lock").write_text(json.dumps(dead))
    assert pr.resume(path, progress=False).n_steps == 6
    alive = {"pid": os.getppid(), "host": socket.gethostname(), "command": "purernn train xor"}
    (path / ".lock").write_text(json.dumps(alive))
    with pytest.raises(pr.RunFileError, match=f"pid {os.getppid()} .*purernn train xor"):
        _train(path, overwrite=True)


def test_a_file_system_without_flock_falls_back_to_exclusive_create(tmp_path, monkeypatch):
    def no_flock(fd, operation):  # e.g. a network file system without a lock daemon
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(_files.fcntl, "flock", no_flock)
    lock = tmp_path / ".lock"
    with _files.exclusive_lock(lock):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
        with pytest.raises(BlockingIOError, match=f"locked by pid {os.getpid()}"):
            with _files.exclusive_lock(lock):
                pass
    assert not lock.exists()


@pytest.mark.slow
def test_two_train_commands_on_one_directory_save_one_run(tmp_path):
    args = [sys.executable, "-m", "purernn", "train", "xor", "--out", str(tmp_path / "run"), "--quiet",
            "--no-figures", "--n-rec", "16", "--n-steps", "400", "--stop-at-criterion", "false"]
    procs = [subprocess.Popen(args + ["--seed", str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for seed in (1, 2)]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = [p.returncode for p in procs]
    assert sorted(codes) == [0, 1], outs
    winner, loser = (0, 1) if codes[0] == 0 else (1, 0)
    err = outs[loser][1]
    (line,) = [x for x in err.splitlines() if x.startswith("purernn: error:")]
    assert "Traceback" not in err, err
    assert "in use by another purernn process (pid" in line or "already holds a run" in line, err
    assert pr.load_run(tmp_path / "run").seed == winner + 1


# -- 4. edits by hand are reported; edit_run makes them on purpose ----------------------------


def _interrupted(path, at=3, **net_kw):
    task = tiny_task("xor")

    def stop(event):
        if event.step == at:
            raise KeyboardInterrupt

    return pr.train(tiny_net(task, seed=7, n_rec=8, **net_kw), task, _cfg(), progress=False, run_dir=path,
                    callbacks=[stop])


def test_resume_refuses_a_hand_edited_configuration_and_edit_run_makes_it(tmp_path):
    path = tmp_path / "run"
    _interrupted(path)
    text = (path / "run.json").read_text()
    meta = json.loads(text)
    meta["train"]["lr"] = 0.5  # a valid value: only the digest shows the edit
    (path / "run.json").write_text(json.dumps(meta, indent=2))
    with pytest.raises(pr.RunFileError, match=r"run.json.*entry 'train' changed.*edit_run"):
        pr.resume(path, progress=False)
    with pytest.raises(pr.RunFileError, match="entry 'train'"):
        pr.load_run(path)
    (path / "run.json").write_text(text)  # restored

    assert runs.edit_run(path, train={"lr": 0.5}) == {"train.lr": [0.01, 0.5]}
    meta = runs.read_run_json(path)
    assert meta["edits"][0]["changed"] == {"train.lr": [0.01, 0.5]} and meta["status"] == "interrupted"
    resumed = pr.resume(path, progress=False)
    assert resumed.config.lr == 0.5 and resumed.n_steps == 6
    assert runs.read_run_json(path)["edits"] == meta["edits"]  # kept by later saves

    # the same steps by hand: the checkpoint's state, then Adam with lr 0.5
    other = tmp_path / "other"
    _interrupted(other)
    state, writer = runs.RunWriter.open(other)
    writer.close()
    task = tiny_task("xor")
    cfg = _cfg(lr=0.5)
    from purernn.training import _Data
    data = _Data(task, cfg, state.net)
    net, s = state.net, state.opt_state
    for k in range(state.step, 6):
        step = pr.train_step(net, data.batch(k), cfg.optimizer, s, rng=data.noise_rng(k))
        net, s = step.net, step.state
    assert np.array_equal(resumed.optimizer_state.m["W_rec"], s.m["W_rec"])


def test_edit_run_refuses_what_it_cannot_do(tmp_path, whole):
    path = tmp_path / "run"
    _interrupted(path)
    before = (path / "run.json").read_bytes()
    with pytest.raises(pr.ValidationError, match=r"`train\['learning_rate'\]` must be a field.*lr"):
        runs.edit_run(path, train={"learning_rate": 0.1})
    with pytest.raises(pr.ValidationError, match="`lr`"):
        runs.edit_run(path, train={"lr": -1.0})
    with pytest.raises(pr.ValidationError, match=r"checkpoint \(step 3\) does not fit .*n_rec.*\(9, 2\)"):
        runs.edit_run(path, network={"n_rec": 9})  # the checkpoint holds 8 units
    with pytest.raises(pr.ValidationError, match="`train`"):
        runs.edit_run(path, train=[("lr", 0.1)])
    assert (path / "run.json").read_bytes() == before
    assert runs.edit_run(path, train={"lr": 0.01}) == {}  # no change, nothing written
    assert (path / "run.json").read_bytes() == before
    done = tmp_path / "done"
    pr.save_run(done, whole[0])
    with pytest.raises(pr.RunFileError, match="complete run.*cannot be edited"):
        runs.edit_run(done, train={"lr": 0.1})


# -- 5. full disks, read-only directories, Ctrl-C: one line, the last good state kept ---------


def _enospc_at(monkeypatch, k):
    real, count = _files._stage, [0]

    def stage(path, data):
        count[0] += 1
        if count[0] == k:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, data)

    monkeypatch.setattr(_files, "_stage", stage)


def test_a_full_disk_keeps_the_last_checkpoint_and_says_so(tmp_path, whole, monkeypatch):
    result, _ = whole
    path = tmp_path / "run"
    with monkeypatch.context() as m:
        _enospc_at(m, 5)  # the npz of the checkpoint at step 4
        with pytest.raises(pr.RunFileError) as info:
            _train(path)
    msg = str(info.value)
    assert "cannot save the checkpoint of step 4 (No space left on device" in msg
    assert "keeps its last good checkpoint (step 2)" in msg and f"purernn resume {path}" in msg
    assert runs.read_run_json(path)["step"] == 2
    assert [p.name[:13] for p in path.glob("checkpoint*")] == ["checkpoint-2-"]  # nothing else left
    assert not list(path.glob(".*"))  # no temporary file, no lock
    _same_run(pr.resume(path, progress=False), result)


def _one_error_line(err: str) -> bool:
    """One line says what failed (other lines may be warnings), and no traceback."""
    return "Traceback" not in err and sum(x.startswith("purernn: error:") for x in err.splitlines()) == 1


def _cli(argv, capsys):
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


TRAIN = ["train", "xor", "--n-rec", "8", "--n-steps", "6", "--checkpoint-every", "2", "--seed", "7", "--quiet",
         "--no-figures"]


def test_cli_full_disk_read_only_directory_and_ctrl_c_are_one_line(tmp_path, capsys, monkeypatch):
    with monkeypatch.context() as m:  # a full disk during training
        _enospc_at(m, 3)
        code, _, err = _cli(TRAIN + ["--out", tmp_path / "full"], capsys)
    assert code == 1 and _one_error_line(err) and "No space left on device" in err
    assert "keeps its last good checkpoint (step 0)" in err

    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:  # root writes anyway: then the same error is simulated
        ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    else:
        def no_mkdir(self, *args, **kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        monkeypatch.setattr(Path, "mkdir", no_mkdir)
    try:
        code, _, err = _cli(TRAIN + ["--out", ro / "run"], capsys)
    finally:
        monkeypatch.undo()
        ro.chmod(0o755)
    assert code == 1 and _one_error_line(err) and "Permission denied" in err and str(ro / "run") in err

    def ctrl_c(args):  # e.g. while Numba loads, before training started
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "train", ctrl_c)
    code, _, err = _cli(TRAIN + ["--out", tmp_path / "startup"], capsys)
    assert code == 130 and err.endswith("purernn: interrupted (Ctrl-C); every file written is complete\n")

    def figures_disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "fig" / "figures" / "loss.png"))

    monkeypatch.undo()
    monkeypatch.setattr("purernn.figures.write_figures", figures_disk_full)
    code, _, err = _cli([a for a in TRAIN if a != "--no-figures"] + ["--out", tmp_path / "fig"], capsys)
    assert code == 1 and _one_error_line(err)
    assert err.endswith(f"purernn: error: No space left on device: {tmp_path / 'fig' / 'figures' / 'loss.png'}\n")
    assert pr.load_run(tmp_path / "fig").n_steps == 6  # the run itself was saved


@pytest.mark.slow
def test_ctrl_c_while_purernn_starts_prints_no_traceback(tmp_path):
    # a task that trains for a minute, so that the signal comes before the end on a fast
    # machine too; a directory per delay, so that no attempt meets the run of the one before
    for delay in (0.3, 1.0, 2.0):
        proc = subprocess.Popen([sys.executable, "-m", "purernn", "train", "sine_generator", "--out",
                                 str(tmp_path / f"r{delay}"), "--quiet"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode in (130, -signal.SIGINT), (delay, err)
        assert "Traceback" not in err, (delay, err)


# -- 6. leftovers and permissions -------------------------------------------------------------


def test_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        _train(tmp_path / "run")
        save_png(new_figure((1, 1)), tmp_path / "run" / "figures" / "f.png")
        for umask, mode in ((0o077, 0o600), (0o002, 0o664)):
            os.umask(umask)
            _files.write_json(tmp_path / f"{umask:o}.json", {})
            assert stat.S_IMODE((tmp_path / f"{umask:o}.json").stat().st_mode) == mode
    finally:
        os.umask(old)
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert sorted(p.name for p in files) == ["f.png", "history.npz", "params.npz", "run.json"]
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {p.name: "0o644" for p in files}


def test_temporary_files_and_stale_checkpoints_are_removed_by_the_next_writer(tmp_path, whole):
    result, _ = whole
    path = tmp_path / "run"
    _interrupted(path)
    (path / ".run.json.0badc0de.tmp").write_bytes(b"{")  # a killed save's leftovers
    (path / ".checkpoint-4-abc.npz.deadbeef.tmp").write_bytes(b"PK")
    (path / "checkpoint-4-0123456789ab.npz").write_bytes(b"PK")  # renamed, never committed
    (path / "params.npz").write_bytes(b"PK")  # a final save killed before its commit
    (path / "figures").mkdir()
    old_tmp = path / "figures" / ".loss.png.12345678.tmp"
    old_tmp.write_bytes(b"\x89PNG")
    os.utime(old_tmp, (time.time() - 7200, time.time() - 7200))
    new_tmp = path / "figures" / ".trials.png.12345678.tmp"  # may belong to a live write
    new_tmp.write_bytes(b"\x89PNG")
    assert pr.load_run(path).n_steps == 3  # readers touch nothing
    assert old_tmp.exists()
    _same_run(pr.resume(path, progress=False), result)
    assert sorted(p.name for p in path.iterdir()) == ["figures", "history.npz", "params.npz", "run.json"]
    assert [p.name for p in (path / "figures").iterdir()] == [new_tmp.name]
    # a complete run whose checkpoint survived its final save (a kill before the delete)
    (path / "checkpoint-6-0123456789ab.npz").write_bytes(b"PK")
    pr.resume(path, progress=False)
    assert not list(path.glob("checkpoint*"))


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        _files.write_bytes(tmp_path / "x.bin", b"data")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_analyze_with_a_bad_argument_creates_no_directory(tmp_path, capsys):
    pytest.importorskip("h5py")
    from .test_io import random_weights, write_keras_file

    write_keras_file(tmp_path / "model.hdf5", *random_weights(np.random.default_rng(0)))
    code, _, err = _cli(["analyze", tmp_path / "model.hdf5", "--task", "flipflop3"], capsys)
    assert code == 1 and "n_in=2" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.hdf5"]
    net = pr.Network.create(2, 4, 1, seed=0)
    from purernn.analysis.report import analyze_network
    with pytest.raises(pr.ValidationError, match=r"`x` must .*n_in=2"):
        analyze_network(net, x=np.zeros(3), out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


# -- 7. empty batches ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(0, 5, 2), (3, 0, 2)])
def test_empty_batches_are_a_validation_error_naming_x(shape):
    net = pr.Network.create(2, 4, 1, seed=0)
    x = np.zeros(shape)
    y = np.zeros(shape[:2] + (1,))
    for call in (lambda: pr.loss_and_grad(net, x, y), lambda: pr.loss_and_grad(net, x, y, l2_rates=0.1),
                 lambda: pr.simulate(net, x)):
        with pytest.raises(pr.ValidationError, match=r"`x` must .*n_trials >= 1 and n_steps >= 1; got \("):
            call()
    batch = tiny_task("xor").sample(4, rng=0).subset(slice(0, 0))
    opt = Adam(lr=1e-3)
    with pytest.raises(pr.ValidationError, match=r"`batch.x` must .*n_trials >= 1"):
        pr.train_step(tiny_net(tiny_task("xor")), batch, opt, opt.init(tiny_net(tiny_task("xor")).params))
    with pytest.raises(pr.ValidationError, match="`x`"):
        pr.evaluation.batch_metrics(tiny_net(tiny_task("xor")), tiny_task("xor"), batch, None)
