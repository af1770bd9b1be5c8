"""The training loop: configuration, random streams, regimes, stopping, Ctrl-C, divergence."""

import math
import os
import signal

import numpy as np
import pytest

import purernn as pr
from purernn import training
from purernn.tasks import TASKS
from purernn.config import STREAMS, TrainConfig, stream_rng, stream_seed
from purernn.evaluation import wilson_interval
from purernn.presets import default_network_kwargs
from purernn.training import _Data

from .train_helpers import tiny_config, tiny_net, tiny_task


# -- configuration -----------------------------------------------------------------------


def test_config_defaults_and_derived():
    cfg = TrainConfig(regime="fixed", n_samples=100, n_epochs=3, batch_size=32)
    assert cfg.steps_per_epoch == 4  # ceil(100 / 32): the last batch holds 4 trials
    assert cfg.total_steps == 12
    assert TrainConfig(n_steps=7).total_steps == 7
    assert cfg.optimizer.lr == cfg.lr
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"regime": "online"}, "`regime` must be one of 'fixed', 'fresh'"),
        ({"batch_size": 0}, "`batch_size` must be an integer >= 1"),
        ({"lr": -1.0}, "`lr` must be in"),
        ({"keep_best": 1}, "`keep_best` must be True or False"),
        ({"target_accuracy": 1.5}, "`target_accuracy` must be in"),
        ({"seed": -3}, "`seed` must be an integer >= 0"),
    ],
)
def test_config_validation(kw, match):
    with pytest.raises(pr.ValidationError, match=match):
        TrainConfig(**kw)


def test_config_unknown_key_lists_valid_keys():
    with pytest.raises(pr.ValidationError, match="one of regime, n_steps") as info:
        TrainConfig.from_dict({"learning_rate": 0.1})
    assert "learning_rate" in str(info.value)


def test_every_registered_task_has_a_valid_default():
    for name, cls in TASKS.items():
        cfg = pr.default_train_config(name)
        assert isinstance(cfg, TrainConfig)
        kw = default_network_kwargs(name)
        task = pr.tasks.make(name)
        net = pr.Network.create(task.n_in, kw.pop("n_rec"), task.n_out, **kw)  # a valid network
        assert net.n_rec == 50 or name not in pr.tasks.SEED_TASKS  # the seed's Table 1 size
    with pytest.raises(pr.ValidationError, match="'xor'"):
        pr.default_train_config("xro")


def test_train_rejects_mismatched_network():
    task = tiny_task("xor")
    net = pr.Network.create(3, 8, 1, seed=0)
    with pytest.raises(pr.ValidationError, match="n_in=2"):
        pr.train(net, task, tiny_config(), progress=False)


# -- random streams ----------------------------------------------------------------------


def test_streams_are_spawned_children_of_the_seed():
    children = np.random.SeedSequence(11).spawn(len(STREAMS))
    for name, i in STREAMS.items():
        assert np.array_equal(stream_seed(11, name).generate_state(4), children[i].generate_state(4))
    step7 = children[STREAMS["data"]].spawn(8)[7]
    assert np.array_equal(stream_seed(11, "data", 7).generate_state(4), step7.generate_state(4))


def test_noise_level_does_not_change_init_or_data():
    task = tiny_task("xor")
    quiet = tiny_net(task, seed=4)
    noisy = tiny_net(task, seed=4, sigma_rec=0.2)
    for k in quiet.params:
        assert np.array_equal(quiet.params[k], noisy.params[k])
    cfg = tiny_config(seed=4)
    b_quiet, b_noisy = _Data(task, cfg, quiet).batch(3), _Data(task, cfg, noisy).batch(3)
    assert np.array_equal(b_quiet.x, b_noisy.x)
    # and another seed does change them
    other = tiny_net(task, seed=5)
    assert not np.array_equal(other.params["W_rec"], quiet.params["W_rec"])


def test_fixed_regime_shuffles_each_epoch_over_one_training_set():
    task = tiny_task("and")
    cfg = tiny_config(regime="fixed", n_samples=40, n_epochs=2, batch_size=16)
    data = _Data(task, cfg, tiny_net(task))
    epoch0 = np.concatenate([data.batch(k).x for k in range(3)])  # 16 + 16 + 8 trials
    epoch1 = np.concatenate([data.batch(k).x for k in range(3, 6)])
    assert epoch0.shape[0] == epoch1.shape[0] == 40

    def rows(a):
        return sorted(map(bytes, a.reshape(40, -1)))

    assert rows(epoch0) == rows(epoch1) == rows(data.train_set.x)  # same trials
    assert not np.array_equal(epoch0, epoch1)  # another order


def test_seed_none_is_resolved_and_recorded():
    task = tiny_task("xor")
    r = pr.train(tiny_net(task), task, tiny_config(seed=None, n_steps=3), progress=False)
    assert isinstance(r.seed, int) and r.config.seed == r.seed


# -- training reaches the criterion ----------------------------------------------------------


def test_fresh_regime_learns_tiny_xor():
    rng = np.random.default_rng(0)
    task = tiny_task("xor")
    r = pr.train(tiny_net(task, seed=0), task, tiny_config(seed=0), progress=False)
    assert r.stop_reason == "criterion" and r.reached_criterion
    assert r.n_steps < 400
    ev = pr.evaluate(r.net, task, n_trials=1000, rng=rng)
    assert ev.accuracy >= 0.95  # stated accuracy on fresh trials
    h = r.history
    assert h["loss"].shape == h["grad_norm"].shape == (r.n_steps,)
    assert h["eval_step"][0] == 0 and h["eval_step"][-1] == r.n_steps
    assert h["val_loss"].shape == h["val_accuracy"].shape == h["eval_step"].shape
    # judged on the fixed validation set: the per-batch training loss of fresh trials is
    # too noisy to compare 20-step windows (it depends on the last bits of the arithmetic)
    assert h["val_loss"][-1] < 0.5 * h["val_loss"][0]
    # the initial network is returned untouched
    assert np.array_equal(r.net_init.params["W_rec"], tiny_net(task, seed=0).params["W_rec"])


def test_fixed_regime_learns_tiny_and_with_loss_threshold():
    rng = np.random.default_rng(1)
    task = tiny_task("and")
    cfg = tiny_config(regime="fixed", n_samples=320, n_epochs=20, batch_size=32, seed=2,
                      stop_at_criterion=False, loss_threshold=0.3, patience=2)
    r = pr.train(tiny_net(task, seed=2), task, cfg, progress=False)
    assert r.stop_reason == "loss_threshold"
    assert r.history["val_loss"][-1] <= 0.3 and r.history["val_loss"][-2] <= 0.3  # patience 2
    assert pr.evaluate(r.net, task, n_trials=1000, rng=rng).accuracy >= 0.95


def test_keep_best_returns_the_best_evaluation():
    task = tiny_task("xor")
    cfg = tiny_config(n_steps=60, eval_every=10, stop_at_criterion=False, seed=3)
    r = pr.train(tiny_net(task, seed=3), task, cfg, progress=False)
    h = r.history
    i = int(np.flatnonzero(h["eval_step"] == r.best_step)[0])
    assert h["val_accuracy"][i] == h["val_accuracy"].max() == r.val_accuracy
    last = pr.train(tiny_net(task, seed=3), task, cfg.replace(keep_best=False), progress=False)
    assert last.best_step == last.n_steps == 60
    # same draws: the last parameters of both runs agree
    assert np.array_equal(last.optimizer_state.m["W_rec"], r.optimizer_state.m["W_rec"])


def test_callbacks_see_every_step_and_can_stop():
    task = tiny_task("xor")
    seen = []

    def cb(event):
        seen.append((event.step, event.val_accuracy is not None))
        return event.step == 25

    r = pr.train(tiny_net(task), task, tiny_config(), progress=False, callbacks=[cb])
    assert r.stop_reason == "callback" and r.n_steps == 25
    assert [s for s, _ in seen] == list(range(1, 26))
    assert [s for s, evaluated in seen if evaluated] == [20]


def test_noisy_network_trains_deterministically():
    task = tiny_task("xor")
    cfg = tiny_config(n_steps=15, eval_every=5)
    a = pr.train(tiny_net(task, sigma_rec=0.05), task, cfg, progress=False)
    b = pr.train(tiny_net(task, sigma_rec=0.05), task, cfg, progress=False)
    c = pr.train(tiny_net(task, sigma_rec=0.05), task, cfg.replace(seed=1), progress=False)
    assert np.array_equal(a.history["loss"], b.history["loss"])
    assert not np.array_equal(a.history["loss"], c.history["loss"])


class _WatchedTask:
    """A task that records whether two threads ever draw from it at once, and fails on
    its `fail_at`-th draw."""

    def __init__(self, task, fail_at=None):
        import threading

        self._task, self._lock, self.fail_at = task, threading.Lock(), fail_at
        self.draws, self.overlaps = 0, 0

    def __getattr__(self, name):
        return getattr(self._task, name)

    def sample(self, n, rng):
        if not self._lock.acquire(blocking=False):
            self.overlaps += 1
            self._lock.acquire()
        try:
            self.draws += 1
            if self.draws == self.fail_at:
                raise RuntimeError(f"draw {self.draws} failed")
            return self._task.sample(n, rng)
        finally:
            self._lock.release()


def test_loop_equals_train_step_on_the_streams_and_draws_one_batch_at_a_time(monkeypatch):
    """The loop draws step k+1's batch and noise on a second thread while step k runs:
    the result is bitwise that of calling train_step with the streams' draws in order."""
    monkeypatch.setattr(training, "WORTH_AHEAD", 0.0)  # draw ahead after the probe, however quick
    task = tiny_task("xor")
    cfg = tiny_config(n_steps=12, eval_every=4, seed=3)
    net0 = tiny_net(task, sigma_rec=0.05)
    watched = _WatchedTask(task)
    r = pr.train(net0, watched, cfg, progress=False, callbacks=[lambda e: watched.sample(2, 0) and None])
    assert watched.overlaps == 0  # callbacks (user code) never run beside a draw
    net, opt = net0, cfg.optimizer
    state = opt.init(net.variables)
    for k in range(cfg.n_steps):
        batch = task.sample(cfg.batch_size, stream_rng(3, "data", k))
        res = pr.train_step(net, batch, opt, state, rng=stream_rng(3, "noise", k))
        net, state = res.net, res.state
        assert res.loss == r.history["loss"][k]
    for name, value in net.variables.items():
        assert np.array_equal(value, r.net.variables[name]), name


def test_the_loop_draws_ahead_only_where_a_draw_costs_a_fair_part_of_a_step():
    task = tiny_task("xor")
    net = tiny_net(task)
    for step_s, expected in ((10.0, False), (1e-9, True)):  # a draw takes microseconds to ms
        draws = training._Prefetch(training._Data(task, tiny_config(), net))
        for k in range(training.PROBE_STEPS):
            draws.ahead(k + 1, net)  # not yet: the probe draws in the step
            assert draws._next is None and draws.drawing_ahead is None
            draws.take(k, net)
            draws.record_step(step_s)
        assert draws.drawing_ahead is expected
        draws.ahead(training.PROBE_STEPS, net)
        assert (draws._next is not None) is expected
        draws.close()


def test_a_failing_draw_is_raised_at_its_step(monkeypatch):
    monkeypatch.setattr(training, "WORTH_AHEAD", 0.0)
    task = _WatchedTask(tiny_task("xor"), fail_at=6)  # the validation set is draw 1
    steps = []
    with pytest.raises(RuntimeError, match="draw 6 failed"):
        pr.train(tiny_net(task), task, tiny_config(n_steps=20), progress=False,
                 callbacks=[lambda e: steps.append(e.step)])
    # draw 6 is the batch of step 5: drawn ahead during step 4 (the probe drew those of
    # steps 0-2 in their steps), which still completes
    assert steps == [1, 2, 3, 4]


def test_ctrl_c_stops_after_the_current_step():
    task = tiny_task("xor")

    def press_ctrl_c(event):
        if event.step == 5:
            os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when pytest runs as a background job
    r = pr.train(tiny_net(task), task, tiny_config(), progress=False, callbacks=[press_ctrl_c])
    assert r.stop_reason == "interrupted" and r.n_steps == 5
    assert signal.getsignal(signal.SIGINT) is before  # handler restored


def test_divergence_names_the_step():
    task = tiny_task("xor")
    net = tiny_net(task, activation="linear", gain=1.0)
    with pytest.raises(pr.ConvergenceError, match=r"diverged at step \d+ of 400.*learning rate"):
        pr.train(net, task, tiny_config(lr=1e4), progress=False)


# -- evaluation --------------------------------------------------------------------------------


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    with pytest.raises(pr.ValidationError, match="`n_correct` must be an integer <= 10"):
        wilson_interval(11, 10)


def test_evaluate_reports_accuracy_with_interval():
    rng = np.random.default_rng(5)
    task = tiny_task("xor")
    ev = pr.evaluate(tiny_net(task), task, n_trials=200, rng=rng)
    assert ev.n_trials == 200 and 0 <= ev.n_correct <= 200
    assert ev.ci_low <= ev.accuracy <= ev.ci_high
    assert math.isfinite(ev.loss) and ev.loss > 0


# -- the Table 1 sizes, slow -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["and", "xor", "flipflop", "perceptual_dm"])
def test_default_config_reaches_criterion_at_50_units(name):
    if name not in TASKS:
        pytest.skip(f"task {name!r} not registered")
    rng = np.random.default_rng(0)
    task = pr.tasks.make(name)
    cfg = pr.default_train_config(name, seed=0)
    net = pr.default_network(task, seed=0)
    assert net.n_rec == 50
    r = pr.train(net, task, cfg, progress=False)
    assert r.reached_criterion, (r.stop_reason, r.val_accuracy)
    ev = pr.evaluate(r.net, task, n_trials=1000, rng=rng)
    assert ev.ci_high >= task.criterion  # fresh trials agree with the validation set


def test_running_out_of_steps_below_criterion_warns_with_a_hint(caplog):
    task = tiny_task("xor")
    with caplog.at_level("WARNING", logger="purernn.training"):
        r = pr.train(tiny_net(task, n_rec=60), task, tiny_config(n_steps=2, eval_every=1, lr=1e-3),
                     progress=False)
    assert r.stop_reason == "max_steps" and r.val_accuracy < task.criterion
    text = caplog.text
    assert "below the criterion 0.95 after 2 steps" in text and "lr = 0.0008" in text  # 1e-3 * 50 / 60
    caplog.clear()
    with caplog.at_level("WARNING", logger="purernn.training"):
        pr.train(tiny_net(task), task, tiny_config(n_steps=2, eval_every=1, lr=1e-3), progress=False)
    assert "more steps" in caplog.text and "n_rec" not in caplog.text  # 16 units: no lr hint
    caplog.clear()
    with caplog.at_level("WARNING", logger="purernn.training"):
        pr.train(tiny_net(task), task, tiny_config(n_steps=2, eval_every=1, stop_at_criterion=False),
                 progress=False)
    assert "below the criterion" not in caplog.text  # no criterion asked for, no warning


# -- continuing from a given optimizer state ---------------------------------------------


def test_train_continues_from_a_given_adam_state():
    task = tiny_task("xor")
    cfg = tiny_config(n_steps=10, eval_every=5, stop_at_criterion=False, keep_best=False)
    first = pr.train(tiny_net(task), task, cfg, progress=False)
    state = first.optimizer_state
    assert state.t == 10
    second = pr.train(first.net, task, cfg.replace(n_steps=4, eval_every=2), progress=False, state=state)
    # the same four steps by hand: the batches of this call, Adam from the given state
    data = _Data(task, cfg.replace(n_steps=4, eval_every=2), first.net)
    net, s = first.net, state
    for k in range(4):
        res = pr.train_step(net, data.batch(k), cfg.optimizer, s, rng=data.noise_rng(k))
        net, s = res.net, res.state
    assert second.optimizer_state.t == 14
    for k, v in net.params.items():
        assert np.array_equal(second.net.params[k], v), k
    # a fresh state gives a different network: the state was really used
    fresh = pr.train(first.net, task, cfg.replace(n_steps=4, eval_every=2), progress=False)
    assert not np.array_equal(fresh.net.params["W_rec"], second.net.params["W_rec"])
    with pytest.raises(pr.ValidationError, match="`state`"):
        pr.train(first.net, task, cfg, progress=False, state="adam")
    other = pr.Network.create(task.n_in, 7, task.n_out, seed=0)
    with pytest.raises(pr.ValidationError, match="`state` does not fit"):
        pr.train(other, task, cfg, progress=False, state=state)


# -- validation by condition ---------------------------------------------------------------


def test_validation_is_balanced_and_accuracy_is_recorded_per_condition(tmp_path):
    task = tiny_task("xor")
    cfg = tiny_config(n_steps=20, eval_every=10, stop_at_criterion=False)
    data = _Data(task, cfg, tiny_net(task))
    _, counts = np.unique(data.valid.info["condition"], return_counts=True)
    assert counts.size == 4 and counts.max() - counts.min() <= 1  # 200 = 4 x 50
    r = pr.train(tiny_net(task), task, cfg, progress=False, run_dir=tmp_path / "run")
    by = r.history["val_accuracy_by_condition"]
    assert by.shape == (len(r.history["eval_step"]), 4)
    np.testing.assert_array_equal(r.history["valid_conditions"], [0, 1, 2, 3])
    # balanced: the mean of the conditions is the overall accuracy
    np.testing.assert_allclose(by.mean(axis=1), r.history["val_accuracy"])
    loaded = pr.load_run(tmp_path / "run")
    np.testing.assert_array_equal(loaded.history["val_accuracy_by_condition"], by)
    plain = _Data(task, cfg.replace(valid_balanced=False), tiny_net(task))
    assert not np.array_equal(plain.valid.x, data.valid.x)


def test_stop_rule_every_condition_waits_for_the_worst_condition():
    task = tiny_task("xor")
    cfg = tiny_config(n_steps=400, eval_every=10, target_accuracy=0.9)
    mean = pr.train(tiny_net(task), task, cfg, progress=False)
    worst = pr.train(tiny_net(task), task, cfg.replace(stop_rule="every_condition"), progress=False)
    by = worst.history["val_accuracy_by_condition"]
    assert worst.stop_reason == "criterion" and by[-1].min() >= 0.9
    # the mean rule stopped at the first evaluation whose mean reached 0.9
    k = list(mean.history["eval_step"]).index(mean.n_steps)
    assert mean.history["val_accuracy"][k] >= 0.9
    first_all = next(i for i, row in enumerate(by) if row.min() >= 0.9)
    assert worst.history["eval_step"][first_all] == worst.n_steps >= mean.n_steps
    with pytest.raises(pr.ValidationError, match="`stop_rule`"):
        TrainConfig(stop_rule="median")


def test_run_files_without_the_new_fields_read_as_the_first_release():
    cfg = TrainConfig(seed=1)
    d = cfg.to_dict()
    assert d["valid_balanced"] is True and "loss" not in d and "stop_rule" not in d
    old = {k: v for k, v in d.items() if k != "valid_balanced"}  # what purernn 0.1 wrote
    assert TrainConfig.from_dict(old, legacy=True).valid_balanced is False
    assert TrainConfig.from_dict(old).valid_balanced is True
    assert TrainConfig.from_dict(cfg.replace(valid_balanced=False).to_dict(), legacy=True) == \
        cfg.replace(valid_balanced=False)
