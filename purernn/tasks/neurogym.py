"""NeuroGym environments as purernn tasks: :func:`from_neurogym`.

NeuroGym (M. Molano-Mazon, J. Barbosa, ... G. R. Yang 2022; github.com/neurogym/neurogym)
keeps dozens of cognitive tasks as trial-based environments. A supervised network
needs whole trials, so the adapter asks the environment for trials through its public
attributes only, and never imports neurogym itself:

- ``env.new_trial()`` draws a trial and returns its dict of conditions;
- ``env.ob`` (trial_len, n_in) and ``env.gt`` (trial_len,) are its inputs and its
  ground-truth action per step;
- ``env.start_ind`` / ``env.end_ind`` give the steps of its periods, ``env.dt`` the step in
  ms, ``env.action_space.n`` the number of actions (0 is fixation), ``env.seed(s)`` seeds it.

A wrapped environment (``gymnasium`` wrappers) is unwrapped first. Trials of different
lengths are right-padded to the longest of the batch (or to `n_steps`) with mask 0.

Scoring follows the environment's own rule, so accuracies are comparable with
NeuroGym's ``performance``: the choice is the action at the last step of the decision
period (argmax of the outputs, or the nearest action for ``target="value"``), and a
trial whose fixation period holds any non-fixation action is an error (NeuroGym aborts
such a trial).
"""

from __future__ import annotations

import numpy as np

from .._validate import as_generator, check_choice, check_int, check_number, fail
from .base import Batch

__all__ = ["NeuroGymTask", "from_neurogym", "TARGETS"]

#: How the ground-truth action becomes a target: a one-hot vector over the actions (for a
#: softmax output and cross-entropy, or squared error), or the action's value itself
#: (one output, for a linear readout).
TARGETS = ("onehot", "value")


def _unwrap(env):
    seen = set()
    while hasattr(env, "unwrapped") and env.unwrapped is not env and id(env) not in seen:
        seen.add(id(env))
        env = env.unwrapped
    return env


class NeuroGymTask:
    """A NeuroGym environment behind purernn's task protocol (see :func:`from_neurogym`).

    Attributes
    ----------
    env : object
        The (unwrapped) environment.
    n_in, n_out : int
    dt : float
        Milliseconds per step (the environment's ``dt``).
    alpha : float
        Recommended network ``alpha = dt / tau`` with tau = 100 ms.
    criterion : float
    target : {"onehot", "value"}
    n_steps : int or None
        Fixed padded length, or None for the longest trial of each batch.
    """

    source = "NeuroGym (Molano-Mazon et al. 2022), github.com/neurogym/neurogym"
    summary = "a NeuroGym environment (trials from env.new_trial())"

    #: How run.json rebuilds the task (:mod:`purernn.taskspec`): from_neurogym(**to_dict()).
    factory = "purernn.tasks.neurogym:from_neurogym"
    #: The recommended network and training (:func:`purernn.default_network`): a softmax
    #: over the actions trained with cross-entropy, with the decision period weighted.
    train_defaults = {"network": {"n_rec": 64, "output": "softmax"},
                      "train": {"loss": "cross_entropy", "lr": 3e-3, "n_steps": 1500, "eval_every": 100}}

    def __init__(self, env, *, n_steps=None, target="onehot", criterion=0.8, tau=100.0, env_id=None,
                 make_kwargs=None, decision_weight=1.0):
        self.env = _unwrap(env)
        self.decision_weight = check_number("decision_weight", decision_weight, lo=0.0, lo_open=True)
        self.tau = float(tau)
        self.make_kwargs = dict(make_kwargs or {})
        for attr in ("new_trial", "action_space", "observation_space", "dt"):  # ob, gt: per trial
            if not hasattr(self.env, attr):
                fail("env", "a NeuroGym environment (with new_trial(), ob, gt, dt, action_space, "
                     "observation_space)", type(env).__name__, f"It has no {attr!r}.")
        check_choice("target", target, TARGETS)
        self.target = target
        self.n_steps = None if n_steps is None else check_int("n_steps", n_steps, lo=1)
        self.criterion = check_number("criterion", criterion, lo=0.0, hi=1.0, lo_open=True)
        self.dt = float(self.env.dt)
        self.alpha = min(1.0, self.dt / check_number("tau", tau, lo=0.0, lo_open=True))
        self.env_id = env_id
        self.name = f"neurogym:{env_id}" if env_id else f"neurogym:{type(self.env).__name__}"
        self.n_in = int(np.prod(self.env.observation_space.shape))
        n_actions = getattr(self.env.action_space, "n", None)
        if target == "onehot" and n_actions is None:
            fail("target", "'value' for an environment with a continuous action space", target)
        self.n_actions = n_actions
        self.n_out = int(n_actions) if target == "onehot" else 1

    def __repr__(self):
        return f"NeuroGymTask({self.name!r}, n_in={self.n_in}, n_out={self.n_out}, target={self.target!r})"

    def to_dict(self) -> dict:
        """The keywords of :func:`from_neurogym` that rebuild this task (with ``name``).

        An environment given as an object (not by id) has no JSON form: its run then
        loads with ``pr.load_run(path, task=...)``.
        """
        return {"name": self.name, "env": self.env_id, "n_steps": self.n_steps,
                "target": self.target, "criterion": self.criterion, "tau": self.tau,
                "decision_weight": self.decision_weight, **self.make_kwargs}

    # -- trials -------------------------------------------------------------------------

    def _trial(self):
        cond = self.env.new_trial()
        ob = np.asarray(self.env.ob, dtype=np.float64).reshape(-1, self.n_in)  # (trial_len, n_in)
        gt = np.asarray(self.env.gt)  # (trial_len,)
        length = ob.shape[0]
        ends = getattr(self.env, "end_ind", {}) or {}
        starts = getattr(self.env, "start_ind", {}) or {}
        decision = int(ends.get("decision", length)) - 1  # last step of the decision period
        fixation_end = int(ends.get("fixation", 0)) if "fixation" in starts else 0
        periods = {f"start_{k}": int(v) for k, v in starts.items()}
        periods.update({f"end_{k}": int(v) for k, v in ends.items()})
        return cond or {}, ob, gt, length, decision, fixation_end, periods

    def sample(self, n_trials, rng=None) -> Batch:
        """`n_trials` trials, right-padded with mask 0.

        Parameters
        ----------
        n_trials : int
        rng : numpy.random.Generator, int or None
            Seeds the environment (``env.seed``), so a seed gives the same trials.

        Returns
        -------
        Batch
            ``info`` holds the trial dicts' scalar entries, ``gt`` (n_trials, n_steps),
            ``decision_step``, ``fixation_end``, ``length``, the steps ``start_<period>``
            and ``end_<period>`` of every period (-1 where a trial lacks it) and an int
            ``condition`` (one per combination of the trial dicts' scalar entries).
        """
        n_trials = check_int("n_trials", n_trials, lo=1)
        rng = as_generator(rng)
        if hasattr(self.env, "seed"):
            self.env.seed(int(rng.integers(2**31 - 1)))
        trials = [self._trial() for _ in range(n_trials)]
        longest = max(t[3] for t in trials)
        period_keys = sorted(set().union(*(t[6] for t in trials)))
        n_steps = self.n_steps or longest
        if longest > n_steps:
            fail("n_steps", f"at least the longest trial, {longest} steps", n_steps)
        x = np.zeros((n_trials, n_steps, self.n_in))
        y = np.zeros((n_trials, n_steps, self.n_out))
        mask = np.zeros((n_trials, n_steps, self.n_out))
        gt_all = np.zeros((n_trials, n_steps), dtype=np.asarray(trials[0][2]).dtype)
        info: dict = {"decision_step": [], "fixation_end": [], "length": []}
        keys = [k for k, v in trials[0][0].items() if np.ndim(v) == 0 and np.isreal(v)]
        for k in keys + period_keys:
            info[k] = []
        for b, (cond, ob, gt, length, decision, fixation_end, periods) in enumerate(trials):
            x[b, :length] = ob
            gt_all[b, :length] = gt
            if self.target == "onehot":
                y[b, np.arange(length), gt.astype(int)] = 1.0
            else:
                y[b, :length, 0] = gt
            mask[b, :length] = 1.0
            if "start_decision" in periods:
                mask[b, periods["start_decision"]:periods.get("end_decision", length)] *= self.decision_weight
            info["decision_step"].append(decision)
            info["fixation_end"].append(fixation_end)
            info["length"].append(length)
            for k in keys:
                info[k].append(cond.get(k, np.nan))
            for k in period_keys:
                info[k].append(periods.get(k, -1))
        info = {k: np.asarray(v) for k, v in info.items()}
        info["gt"] = gt_all
        label_keys = [k for k in keys if k != "ground_truth"] + (["ground_truth"] if "ground_truth" in keys else [])
        if label_keys:
            combos = np.stack([info[k].astype(float) for k in label_keys], axis=1)
            _, info["condition"] = np.unique(combos, axis=0, return_inverse=True)
            info["condition"] = info["condition"].reshape(-1)
        else:
            info["condition"] = np.zeros(n_trials, dtype=int)
        return Batch(x=x, y=y, mask=mask, info=info)

    # -- scoring ------------------------------------------------------------------------

    def actions(self, z) -> np.ndarray:
        """The action per trial and step, (n_trials, n_steps): argmax of one-hot outputs, or
        the nearest action to a value output."""
        z = np.asarray(z)
        if self.target == "onehot":
            return np.argmax(z, axis=-1)
        return np.rint(z[..., 0]).astype(int)

    def score(self, z, batch: Batch) -> np.ndarray:
        """Per-trial correctness, NeuroGym's way (see the module docstring)."""
        z = np.asarray(z)
        if z.shape[:2] != batch.x.shape[:2] or z.shape[2] != self.n_out:
            fail("z", f"an array of shape (n_trials={batch.n_trials}, n_steps={batch.n_steps}, "
                 f"n_out={self.n_out})", z.shape)
        act = self.actions(z)  # (n_trials, n_steps)
        b = np.arange(batch.n_trials)
        t_dec = batch.info["decision_step"]
        correct = act[b, t_dec] == batch.info["gt"][b, t_dec]
        steps = np.arange(batch.n_steps)[None, :]
        in_fixation = steps < batch.info["fixation_end"][:, None]
        broke = np.any(in_fixation & (act != 0), axis=1)
        return correct & ~broke

    def check_overrides(self, overrides: dict) -> None:  # the task protocol of study files
        if overrides:
            fail("overrides", "empty for a NeuroGym task (configure the environment itself)", overrides)


def from_neurogym(env, *, n_steps=None, target="onehot", criterion=0.8, tau=100.0, decision_weight=1.0,
                  **make_kwargs):
    """A purernn task whose trials come from a NeuroGym environment.

    Parameters
    ----------
    env : str or environment
        An environment, or a NeuroGym id (``"PerceptualDecisionMaking-v0"``), made with
        ``neurogym.make(env, **make_kwargs)`` (neurogym must then be installed).
    n_steps : int, optional
        Pad every batch to this many steps (default: the longest trial of the batch).
    target : {"onehot", "value"}
        One-hot actions (train with ``output="softmax"`` and ``loss="cross_entropy"``),
        or the action's value on one linear output.
    criterion : float
        Accuracy that counts as learned.
    tau : float
        Time constant in ms for the recommended ``alpha = dt / tau``.
    decision_weight : float
        Weight of the decision period's steps in the loss mask (1: every step alike). A
        decision of a few steps after a long fixation otherwise weighs little: Yang et al.
        (2019) weight the response period 5 times the fixation period.

    Returns
    -------
    NeuroGymTask

    Examples
    --------
    ::

        task = pr.tasks.from_neurogym("PerceptualDecisionMaking-v0", dt=20)
        net = pr.Network.create(task.n_in, 64, task.n_out, alpha=task.alpha, output="softmax")
        result = pr.train(net, task, pr.TrainConfig(loss="cross_entropy", n_steps=2000))
    """
    env_id = None
    if isinstance(env, str):
        env_id = env
        try:
            import neurogym
        except ImportError:
            fail("env", "an environment object, or an id with neurogym installed "
                 "(pip install 'purernn[neurogym]')", env)
        env = neurogym.make(env, **make_kwargs)
    elif make_kwargs:
        fail("make_kwargs", "empty when an environment object is given", sorted(make_kwargs))
    return NeuroGymTask(env, n_steps=n_steps, target=target, criterion=criterion, tau=tau,
                        env_id=env_id, make_kwargs=make_kwargs if env_id else None,
                        decision_weight=decision_weight)
