"""The twenty rules of Yang et al. (2019) as one task: :class:`Yang2019`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..._validate import as_generator, check_choice, check_int, check_number, fail
from ..base import Batch, Task
from .._common import check_nonneg, check_output, make_batch
from ._common import DISPLAY_NAMES, EPOCHS, RULES, Draw, get_perf, render, steps
from .decision import GROUP as _DECISION
from .delay_decision import GROUP as _DELAY_DECISION
from .go import GROUP as _GO
from .matching import GROUP as _MATCHING

__all__ = ["Yang2019", "RULES", "DISPLAY_NAMES"]

_GROUPS = {rule: group for group in (_GO, _DECISION, _DELAY_DECISION, _MATCHING) for rule in group.rules}
_LONGEST_MS = {rule: group.longest_ms[rule] for rule, group in _GROUPS.items()}

#: How the cost mask is scaled (see the Notes of :class:`Yang2019`).
NORMALIZATIONS = ("original", "none")
#: Which steps the fixation judgment looks at.
FIXATION_CHECKS = ("final", "throughout")


def _concat(parts: list, order: np.ndarray):
    """One RuleTrials of all `parts`, rows put back in trial order (`order` = argsort)."""
    first = parts[0]
    out = {}
    for name in first.__dataclass_fields__:
        if name == "epochs":
            continue
        out[name] = np.concatenate([getattr(p, name) for p in parts])[order]
    epochs = {}
    for e in EPOCHS:
        rows = [p.epochs.get(e, np.full((p.n, 2), -1, dtype=np.int64)) for p in parts]
        epochs[e] = np.concatenate(rows)[order]
    return type(first)(**out, epochs=epochs)


@dataclass(frozen=True, kw_only=True)
class Yang2019(Task):
    """The twenty cognitive rules of Yang et al. (2019) as one task for one network: six
    Go and Anti rules, five decisions, five delayed decisions and four matching rules,
    each trial drawing its rule. Inputs (85): a fixation input, two stimulus rings of 32
    units and 20 one-hot rule inputs; outputs (33): a fixation output and a response
    ring. Epochs, random durations, tuning curves, input noise, targets, cost mask and
    scoring (fixation output > 0.5; otherwise the ring's population vector within 0.2 pi
    of the target, on each trial's last step) follow the original's ``task.py`` and
    ``get_perf``; the picture shows one trial per rule. ``scripts/compare_yang2019.py``
    checks this against the original ``task.py``: its mode ``'test'`` trials of all 20
    rules (inputs, targets, cost mask, response directions) agree to 2.3e-7 (it computes
    in float32), ``get_perf`` agrees with ``score`` on every trial, and its random trial
    lengths and epoch durations pass two-sample Kolmogorov-Smirnov tests against these
    (300 trials per rule, smallest p 0.07).

    Each trial draws its rule (uniformly from `rules`, or with `rule_prob`) and follows
    the original ``task.py`` (mode ``'random'``) of that rule: fixation input, stimuli on
    two rings of `n_eachring` = 32 units each, a one-hot rule input; a fixation output
    and a ring of `n_eachring` response outputs. Trials of different rules last
    different times; a batch is padded to its longest trial with mask 0. Inputs
    ``1 + 2 n_eachring + 20`` = 85 (fixation, ring 1, ring 2, the 20 rules in the
    original order, whatever `rules` holds); outputs ``1 + n_eachring`` = 33 (fixation,
    ring), as the original's, so a network trained on either generator runs on the
    other.

    Rules: fdgo, reactgo, delaygo, fdanti, reactanti, delayanti (:mod:`.go`); dm1, dm2,
    contextdm1, contextdm2, multidm (:mod:`.decision`); delaydm1, delaydm2,
    contextdelaydm1, contextdelaydm2, multidelaydm (:mod:`.delay_decision`); dmsgo,
    dmsnogo, dmcgo, dmcnogo (:mod:`.matching`); each module's docstring gives the epochs
    and random durations.

    Parameters
    ----------
    rules : tuple of str
        The rules drawn (default all twenty, in the original order).
    rule_prob : mapping or sequence of float, optional
        Relative probabilities: a mapping rule -> weight (rules left out weigh 1, as the
        original's ``rule_prob_map``) or one weight per rule of `rules`. None: uniform.
    n_eachring : int
        Units per ring (32).
    dt : float
        Milliseconds per step (20); every duration is ``int(ms / dt)`` steps.
    alpha : float
        The network's ``dt / tau`` (0.2: tau = 100 ms), also the input-noise scale.
    sigma_x : float
        Input noise (0.01): every input on every step gets N(0, (sigma_x sqrt(2 /
        alpha))^2), the original's ``_sigma_x``.
    easy_task : bool
        The original's ``easy_task``: coherences 10x (dm, contextdm, multidm) or 2x
        (the delayed ones).
    shared_timing : bool
        Draw each rule's epoch durations and stimulus rings once per batch (the
        original's draw; all trials of a rule in a batch then share them) instead of
        per trial.
    batch_rule : bool
        Training batches of one rule each (:meth:`training_batch`: the rule drawn with
        the rules' probabilities, then all trials of the batch from it), as the
        original's training loop draws them; ``sample`` (validation, evaluation, figures)
        still mixes the rules. At 256 ReLU units and Adam's lr 1e-3 this is what keeps
        training stable: with mixed batches the spectral radius of W_rec went from 0.5
        to 1.4 in 25 steps and the network saturated, with one rule per batch it was 1.2
        after 300 steps and learning (docs/studies/yang2019.md).
    loss_normalization : {"original", "none"}
        ``"original"``: each trial's mask is divided by ``length * n_out / 2`` so that
        purernn's loss ``sum 0.5 m (p - y)^2 / n_trials`` equals the original's
        ``mean((c (p - y))^2)`` (averaged over trials); ``"none"``: the weights ``c^2``.
    fixation_check : {"final", "throughout"}
        ``"final"``: the original's ``get_perf``, which judges only each trial's last
        step. ``"throughout"``: also require the fixation output > 0.5 on every judged
        step whose fixation target is 0.8 (fixation held before the response, and to
        the end of a No-Go trial).
    criterion : float
        Accuracy that counts as learned (0.9).

    Notes
    -----
    G. R. Yang, M. R. Joglekar, H. F. Song, W. T. Newsome & X.-J. Wang (2019), "Task
    representations in neural networks trained to perform many cognitive tasks", Nat.
    Neurosci. 22:297; code: github.com/gyyang/multitask (``task.py``; ``train.py``
    ``get_default_hp``; ``network.py`` ``get_perf``, ``popvec``), rewritten here, vectorized
    over trials.

    Stimulus input of a unit preferring direction ``phi_j = 2 pi j / n_eachring``:
    ``strength * 0.8 exp(-d^2 / 2)``, d the periodic distance |theta - phi_j| in units of
    pi / 8; stimuli in the same ring add. Targets (the ``'lsq'`` coding for a sigmoid
    output): every output 0.05, the fixation output 0.8 while fixating (not 0.85), the
    ring ``0.05 + 0.8 exp(-d^2 / 2)`` around the response direction during the response
    (Anti: the stimulus + pi). Cost mask: 0 for the first 100 ms, 1 until the response,
    0 for its first 100 ms, 5 after, the fixation output's weight doubled; the original
    multiplies the error by this before squaring, so ``mask = c^2`` (1, 25; 4, 100 on the
    fixation output), scaled as `loss_normalization` says. Scoring (`fixation_check` =
    ``"final"``) is the original's: on the last step, a trial that must fixate is
    correct when the fixation output is > 0.5; any other when it is <= 0.5 and the
    population vector of the ring outputs is within 0.2 pi of the target. ``score``
    must be given the sigmoid outputs (``traj.z`` of a network with
    ``output="sigmoid"``, as purernn's evaluation passes them).

    Differences from the original: each trial draws its own rule (the original trains
    on one rule per batch: `batch_rule` does that for training batches) and its own durations and
    stimulus rings (the original draws them once per batch; `shared_timing` does that
    for each rule of a batch); trials of different lengths are padded with mask 0 (the
    original's batches share one length); multidm's and multidelaydm's split of a
    stimulus between the rings comes from the task's seeded generator (the original
    draws it from numpy's unseeded global one); the input noise enters the inputs as
    in the original, but a purernn network adds its recurrent noise after the
    activation, ``sqrt(2 alpha) sigma_rec xi`` (the original adds ``sqrt(2 / alpha)
    sigma_rec xi`` to the pre-activation: the same for a linear unit, not for a ReLU);
    the cost mask holds the squares of the original's weights and its normalization
    (`loss_normalization`); the fixation target is 0.8 (the original's ``'lsq'`` value);
    only the ``'lsq'`` coding (sigmoid outputs, squared error) is offered, not the
    softmax one; the original clips each gradient entry to [-1, 1], a training setting
    rather than the task's; the original's ``'psychometric'`` mode is not offered.

    ``info``: ``condition`` (the rule's position in :data:`RULES`), ``length``, ``go``,
    ``target_loc`` (-1 for No-Go), ``stim_loc`` (n, 2), ``stim_strength`` (n, 2
    stimuli, 2 rings), ``match`` (-1: none), and the epochs of the original's
    ``trial.epochs`` as ``epoch_fix1`` ... ``epoch_go1`` (n, 2) [start, end) steps, -1 where
    a rule lacks the epoch. :meth:`stimulus_grid` gives the original's mode ``'test'``
    trials of a rule (for task variance).
    """

    name: ClassVar[str] = "yang2019"
    summary: ClassVar[str] = "the 20 cognitive rules of Yang et al. (Go, Anti, DM, Dly DM, DMS, DMC...)"
    source: ClassVar[str] = (
        "G. R. Yang et al. (2019), Nat. Neurosci. 22:297; code: github.com/gyyang/multitask (task.py)")
    noise_fields: ClassVar[tuple] = ("sigma_x",)
    quiet_fields: ClassVar[dict] = {"batch_rule": False}
    #: Trials differ in length; a batch is as long as its longest (``n_steps`` at most).
    variable_length: ClassVar[bool] = True
    #: The original's network (``get_default_hp``: 256 ReLU units, recurrent noise 0.05,
    #: W_rec 0.5 times a random orthogonal matrix) with a sigmoid output trained with
    #: squared error (its ``'lsq'`` loss), stopping on the worst rule. The learning rate is
    #: 2.5e-4, not the original's 1e-3, because the default task mixes the rules in every
    #: batch: so trained, 256 units saturated within 25 steps at 1e-3 and learned at 2.5e-4.
    #: With ``batch_rule=True`` (one rule per batch, the original's loop) 1e-3 trains
    #: (``studies/yang2019.toml``, docs/studies/yang2019.md).
    train_defaults: ClassVar[dict] = {
        "network": {"n_rec": 256, "activation": "relu", "gain": 0.5, "sigma_rec": 0.05, "output": "sigmoid"},
        "train": {"loss": "mse", "batch_size": 64, "lr": 2.5e-4, "stop_rule": "every_condition"}}

    rules: tuple = RULES
    rule_prob: tuple | None = None
    n_eachring: int = 32
    dt: float = 20.0
    alpha: float = 0.2
    sigma_x: float = 0.01
    easy_task: bool = False
    shared_timing: bool = False
    batch_rule: bool = False
    loss_normalization: str = "original"
    fixation_check: str = "final"
    criterion: float = 0.9

    def __post_init__(self) -> None:
        super().__post_init__()
        rules = (self.rules,) if isinstance(self.rules, str) else self.rules
        valid = "rule names of Yang et al. (2019), from " + ", ".join(RULES)
        if not isinstance(rules, (tuple, list)) or not rules:
            fail("rules", "a non-empty sequence of " + valid, self.rules)
        for r in rules:
            if r not in RULES:
                fail("rules", valid, r, "Unknown rule.")
        if len(set(rules)) != len(rules):
            fail("rules", "distinct rule names", self.rules)
        self._set("rules", tuple(rules))
        self._set("rule_prob", self._check_prob(self.rule_prob))
        self._set("n_eachring", check_int("n_eachring", self.n_eachring, lo=2))
        check_nonneg(self, "sigma_x")
        for flag in ("easy_task", "shared_timing", "batch_rule"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                fail(flag, "a bool", getattr(self, flag))
            self._set(flag, bool(getattr(self, flag)))
        check_choice("loss_normalization", self.loss_normalization, NORMALIZATIONS)
        check_choice("fixation_check", self.fixation_check, FIXATION_CHECKS)

    def _check_prob(self, prob):
        if prob is None:
            return None
        if isinstance(prob, Mapping):
            for r in prob:
                if r not in self.rules:
                    fail("rule_prob", "a mapping whose keys are among rules (" + ", ".join(self.rules) + ")", r)
            prob = [prob.get(r, 1.0) for r in self.rules]
        elif isinstance(prob, (str, bytes)) or not hasattr(prob, "__len__") or len(prob) != len(self.rules):
            fail("rule_prob", f"a mapping rule -> weight or {len(self.rules)} weights, one per rule", prob)
        out = tuple(check_number(f"rule_prob[{i}]", p, lo=0.0) for i, p in enumerate(prob))
        if sum(out) <= 0:
            fail("rule_prob", "weights with a positive sum", prob)
        return out

    # -- layout -------------------------------------------------------------------------

    @property
    def n_rules(self) -> int:
        """Rule inputs: always the original's twenty."""
        return len(RULES)

    @property
    def rule_start(self) -> int:
        """Index of the first rule input (the original's ``rule_start``)."""
        return 1 + 2 * self.n_eachring

    @property
    def n_in(self) -> int:
        return 1 + 2 * self.n_eachring + self.n_rules

    @property
    def n_out(self) -> int:
        return 1 + self.n_eachring

    @property
    def n_steps(self) -> int:
        """An upper bound on the trial length of `rules` (every duration at its largest
        choice or the top of its range); a batch is as long as its longest trial."""
        return max(sum(steps(ms, self.dt) for ms in _LONGEST_MS[r]) for r in self.rules)

    @property
    def probabilities(self) -> np.ndarray:
        """Probability of each rule of `rules`."""
        p = np.ones(len(self.rules)) if self.rule_prob is None else np.asarray(self.rule_prob)
        return p / p.sum()

    @property
    def noise_sd(self) -> float:
        """Standard deviation of the input noise per step: ``sigma_x sqrt(2 / alpha)``."""
        return self.sigma_x * float(np.sqrt(2.0 / self.alpha))

    # -- trials -------------------------------------------------------------------------

    def _batch(self, parts: list, rule_index: np.ndarray, order: np.ndarray, rng) -> Batch:
        tr = _concat(parts, order)
        x, y, mask = render(tr, rule_index, n_eachring=self.n_eachring, n_rules=self.n_rules, dt=self.dt,
                            noise_sd=self.noise_sd, normalize=self.loss_normalization == "original", rng=rng)
        info = {"condition": rule_index, "length": tr.length, "go": tr.go, "target_loc": tr.target_loc,
                "stim_loc": tr.stim_loc, "stim_strength": tr.stim_strength, "match": tr.match}
        info.update({f"epoch_{e}": tr.epochs[e] for e in EPOCHS})
        return make_batch(x, y, mask, info)

    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:
        pick = rng.choice(len(self.rules), size=n_trials, p=self.probabilities)
        parts, rows = [], []
        for k, rule in enumerate(self.rules):
            where = np.flatnonzero(pick == k)
            if where.size:
                d = Draw(rng, where.size, self.dt, self.shared_timing)
                parts.append(_GROUPS[rule].sample(rule, d, self.easy_task))
                rows.append(where)
        order = np.argsort(np.concatenate(rows), kind="stable")
        rule_index = np.array([RULES.index(r) for r in self.rules])[pick]
        return self._batch(parts, rule_index, order, rng)

    def training_batch(self, n_trials: int, rng=None) -> Batch:
        """The batch of one training step: with `batch_rule`, `n_trials` trials of one
        rule drawn with the rules' probabilities (the original's training loop); without,
        :meth:`sample`."""
        if not self.batch_rule or len(self.rules) == 1:
            return self.sample(n_trials, rng)
        rng = as_generator(rng)
        rule = self.rules[rng.choice(len(self.rules), p=self.probabilities)]
        return self.replace(rules=(rule,), rule_prob=None).sample(n_trials, rng)

    def stimulus_grid(self, rule: str, *, noise: bool = False, rng=None) -> Batch:
        """The original's mode ``'test'`` trials of `rule`: a fixed grid of stimulus
        directions (and rings or strengths) with fixed timing, noise-free by default (as
        the original's task-variance analysis draws them).

        Parameters
        ----------
        rule : str
            One of :data:`RULES` (need not be in `rules`).
        noise : bool
            Add the input noise.
        rng : numpy.random.Generator, int or None
            Draws the noise.

        Returns
        -------
        Batch
            40 (Go family), 100 or 500 (decisions) or 80 (matching) trials of one length.
        """
        check_choice("rule", rule, RULES)
        tr = _GROUPS[rule].grid(rule, self.dt)
        task = self if noise else self.replace(sigma_x=0.0)
        rule_index = np.full(tr.n, RULES.index(rule))
        return task._batch([tr], rule_index, np.arange(tr.n), as_generator(rng))

    def example_trials(self, rng=0) -> list[dict]:
        """One noise-free trial of each rule of `rules` (a Go trial where a rule has
        No-Go trials), for pictures (:func:`purernn.plots.plot_ring_trials`).

        Returns
        -------
        list of dict
            ``x`` (length, n_in), ``y``, ``mask`` (length, n_out), ``epochs`` (name ->
            (start, end) steps) and ``title`` (rule name and the paper's name).
        """
        rng = as_generator(rng)
        out = []
        for rule in self.rules:
            b = self.replace(rules=(rule,), rule_prob=None, sigma_x=0.0).sample(8, rng)
            i = int(np.argmax(b.info["go"]))
            n = int(b.info["length"][i])
            epochs = {e: tuple(int(v) for v in b.info[f"epoch_{e}"][i]) for e in EPOCHS
                      if b.info[f"epoch_{e}"][i, 0] >= 0}
            out.append({"x": b.x[i, :n], "y": b.y[i, :n], "mask": b.mask[i, :n], "epochs": epochs,
                        "title": f"{rule} ({DISPLAY_NAMES[rule]})"})
        return out

    # -- scoring ------------------------------------------------------------------------

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:
        """The original's ``get_perf`` on each trial's last step (see the Notes); with
        `fixation_check` = ``"throughout"`` also fixation held wherever it is asked for.

        `z` are the sigmoid outputs, shape (n_trials, n_steps, 1 + n_eachring).
        """
        z = check_output(self, z, batch)
        length = np.asarray(batch.info["length"])
        correct = get_perf(z[np.arange(batch.n_trials), length - 1], np.asarray(batch.info["target_loc"]))
        if self.fixation_check == "throughout":
            asked = (batch.y[:, :, 0] > 0.5) & (batch.mask[:, :, 0] > 0)  # (n_trials, n_steps)
            correct &= ~np.any(asked & ~(z[:, :, 0] > 0.5), axis=1)
        return correct

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """The rule of each condition: ``{condition: rule name}``."""
        return {int(c): RULES[int(c)] for c in np.unique(batch.info["condition"])}
