"""A task of the user's own is trained, saved, loaded and resumed like purernn's tasks."""

import json

import numpy as np
import pytest

import purernn as pr
from purernn.tasks import Batch


class Sign:
    """Report the sign of a noisy constant input at the last steps (a custom task)."""

    name = "sign_of_input"
    n_in, n_out = 1, 1
    criterion = 0.9
    dt, alpha = 1.0, 1.0

    def __init__(self, n_steps=12, noise=0.1):
        self.n_steps, self.noise = n_steps, noise

    def to_dict(self):
        return {"name": self.name, "n_steps": self.n_steps, "noise": self.noise}

    def sample(self, n_trials, rng=None):
        rng = np.random.default_rng(rng)
        s = rng.choice([-1.0, 1.0], size=n_trials)
        x = 0.5 * s[:, None, None] + self.noise * rng.standard_normal((n_trials, self.n_steps, 1))
        y = np.repeat(s[:, None, None], self.n_steps, axis=1)
        mask = np.zeros_like(y)
        mask[:, -4:] = 1.0
        return Batch(x=x, y=y, mask=mask, info={"condition": (s > 0).astype(int)})

    def score(self, z, batch):
        return np.sign(np.asarray(z)[:, -1, 0]) == np.where(batch.info["condition"] == 1, 1, -1)


class NoDict(Sign):
    name = "sign_no_dict"
    to_dict = None


def _config(**kw):
    return pr.TrainConfig(**{"n_steps": 40, "eval_every": 10, "checkpoint_every": 10, "lr": 1e-2,
                             "stop_at_criterion": False, "seed": 0, **kw})


def _net(task):
    return pr.Network.create(task.n_in, 8, task.n_out, seed=0)


def test_custom_task_round_trip_and_bitwise_resume(tmp_path):
    task = Sign(noise=0.2)
    whole = pr.train(_net(task), task, _config(), progress=False)

    def stop_at_15(event):
        if event.step == 15:
            raise KeyboardInterrupt

    part = pr.train(_net(task), task, _config(), progress=False, run_dir=tmp_path / "run",
                    callbacks=[stop_at_15])
    assert part.stop_reason == "interrupted"
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["task"] == {"name": "sign_of_input", "factory": f"{__name__}:Sign",
                            "kwargs": {"n_steps": 12, "noise": 0.2}}
    resumed = pr.resume(tmp_path / "run", progress=False)  # rebuilt from the factory
    assert isinstance(resumed.task, Sign) and resumed.task.noise == 0.2
    for k, v in whole.net.params.items():
        assert np.array_equal(resumed.net.params[k], v), k
    loaded = pr.load_run(tmp_path / "run")
    assert loaded.task.to_dict() == task.to_dict()


def test_a_task_without_to_dict_is_passed_again(tmp_path):
    task = NoDict()
    pr.train(_net(task), task, _config(n_steps=10), progress=False, run_dir=tmp_path / "run")
    with pytest.raises(pr.RunFileError, match="without to_dict.*task=") as info:
        pr.load_run(tmp_path / "run")
    assert "run.json" in str(info.value)
    loaded = pr.load_run(tmp_path / "run", task=NoDict())
    assert loaded.n_steps == 10
    with pytest.raises(pr.ValidationError, match="`task`"):
        pr.load_run(tmp_path / "run", task=pr.tasks.make("xor"))


def test_registered_tasks_are_written_as_before(tmp_path):
    from purernn.taskspec import task_from_json, task_to_json

    task = pr.tasks.make("xor", noise_sigma=0.05)
    d = task_to_json(task)
    assert d == task.to_dict() and "factory" not in d
    assert task_from_json(d) == task
