"""What does a group of units, or a rule input, do in a network trained on many rules?
Lesions of unit groups and composed rule inputs, after Yang et al. (2019), Figs. 4 and 6.

G. R. Yang, M. R. Joglekar, H. F. Song, W. T. Newsome & X.-J. Wang (2019), Nat. Neurosci.
22:297; their code, github.com/gyyang/multitask (``network.py``: ``Model.lesion_units``;
``analysis/clustering.py``: ``lesions``; ``analysis/taskset.py``: ``replace_rule``). The
definitions are theirs; the code is purernn's own. The clusters come from
:func:`purernn.analysis.cluster_units`::

    les = lesion_performance(net, task, cl.groups(), rules=RULES, rng=0)
    comp = composition_performance(net, task, "delayanti",
                                   [{"fdanti": 1, "delaygo": 1, "fdgo": -1}], rng=0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import as_generator, check_choice, check_int, fail
from ..simulation import simulate
from ._common import check_net
from .taskvariance import RULE_NAMES, RULES, _rule_task, _rules


__all__ = ["LesionEffects", "Composition", "silence_units", "rule_performance", "lesion_performance",
           "compose_rule_input", "composition_name", "composition_performance"]


# -- lesions --------------------------------------------------------------------------


def silence_units(net, units):
    """A copy of `net` whose `units` no longer act: their outgoing recurrent weights
    (columns of W_rec) and readout weights (columns of W_out) are zero.

    Their inputs and biases are kept, so they still respond, as in the original's
    ``Model.lesion_units`` (which zeroes the same weights).
    """
    net = check_net(net)
    units = np.asarray(units, dtype=int).reshape(-1)
    if units.size and (units.min() < 0 or units.max() >= net.n_rec):
        fail("units", f"indices in 0..{net.n_rec - 1}", units)
    p = {k: np.array(v) for k, v in net.params.items()}
    p["W_rec"][:, units] = 0.0
    p["W_out"][:, units] = 0.0
    return net.with_params(p)


def rule_performance(net, task, rules=None, *, n_trials: int = 256, rng=0, combination=None) -> np.ndarray:
    """Fraction of correct trials of each rule (the task's score, the original's get_perf),
    on fresh noisy trials with the network's recurrent noise, shape (n_rules,).

    `combination` (a dict rule -> weight) replaces each trial's rule input by that mix
    (:func:`compose_rule_input`).
    """
    net = check_net(net)
    rules = _rules(rules, task)
    n_trials = check_int("n_trials", n_trials, lo=1)
    rng = as_generator(rng)
    out = np.empty(len(rules))
    for i, r in enumerate(rules):
        t = _rule_task(task, r)
        b = t.sample(n_trials, rng)
        x = b.x if combination is None else compose_rule_input(b.x, r, combination)
        z = simulate(net, x, rng=rng).z
        out[i] = float(np.mean(t.score(z, b)))
    return out


@dataclass(frozen=True)
class LesionEffects:
    """Performance of each rule after silencing each group of units (Yang et al. 2019, Fig. 4).

    Attributes
    ----------
    rules : tuple of str
    intact : ndarray, shape (n_rules,)
    lesioned : ndarray, shape (n_groups, n_rules)
    group_sizes : tuple of int
    """

    rules: tuple
    intact: np.ndarray
    lesioned: np.ndarray
    group_sizes: tuple

    @property
    def change(self) -> np.ndarray:
        """Lesioned minus intact performance, (n_groups, n_rules)."""
        return self.lesioned - self.intact[None, :]


def lesion_performance(net, task, groups, rules=None, *, n_trials: int = 256, rng=0) -> LesionEffects:
    """Every rule's performance with each group of units silenced (:func:`silence_units`).

    Parameters
    ----------
    net : Network
    task : multi-rule Task
    groups : sequence of index arrays
        E.g. ``UnitClusters.groups()``.
    rules : sequence of str, optional
    n_trials : int
        Trials per rule and group; every group sees the same trials and noise.
    rng : int
        Seed of the trials (the same for every group, so differences are the lesion's).
    """
    rules = _rules(rules, task)
    seed = int(as_generator(rng).integers(2**31))
    intact = rule_performance(net, task, rules, n_trials=n_trials, rng=seed)
    les = [rule_performance(silence_units(net, g), task, rules, n_trials=n_trials, rng=seed) for g in groups]
    return LesionEffects(rules=rules, intact=intact,
                         lesioned=np.array(les).reshape(len(les), len(rules)),
                         group_sizes=tuple(int(np.size(g)) for g in groups))


# -- compositional rule inputs ----------------------------------------------------------


def compose_rule_input(x, rule: str, combination: dict, *, rules=RULES) -> np.ndarray:
    """Inputs `x` with the rule input of `rule` replaced by a weighted mix of rule inputs.

    Parameters
    ----------
    x : array_like, shape (n_trials, n_steps, n_in)
        Trials of `rule`; the last ``len(rules)`` inputs are the rule inputs, in the order
        of `rules`. The rule input is 1 while a trial lasts (0 on the padding after a
        shorter trial's end), plus input noise.
    rule : str
        The rule of the trials.
    combination : dict of str -> float
        Weights of the rule inputs to use instead, e.g. ``{"fdanti": 1, "delaygo": 1,
        "fdgo": -1}`` (Anti + (Dly Go - Go), the paper's Fig. 6 for Dly Anti).

    Returns
    -------
    ndarray, shape of `x`
        ``x`` with ``1`` taken off the rule's own input and ``w_s`` added to the input of
        each rule s of `combination` at every step where the rule's own input is on
        (above 0.5); the input noise is kept.
    """
    x = np.array(x, dtype=np.float64 if np.asarray(x).dtype.kind != "f" else np.asarray(x).dtype)
    rules = tuple(rules)
    if x.ndim != 3 or x.shape[2] < len(rules):
        fail("x", f"an array of shape (n_trials, n_steps, n_in >= {len(rules)})", x.shape)
    check_choice("rule", rule, rules)
    if not isinstance(combination, dict) or not combination:
        fail("combination", "a non-empty dict rule -> weight", combination)
    start = x.shape[2] - len(rules)
    v = np.zeros(len(rules))
    for r, w in combination.items():
        check_choice("combination", r, rules)
        v[rules.index(r)] += float(w)
    own = start + rules.index(rule)
    v[rules.index(rule)] -= 1.0
    on = (x[..., own] > 0.5)[..., None]  # (n_trials, n_steps, 1)
    x[..., start:] += on * v.astype(x.dtype)
    return x


def composition_name(combination: dict) -> str:
    """``"Anti + Dly Go - Go"`` for ``{"fdanti": 1, "delaygo": 1, "fdgo": -1}``."""
    parts = []
    for i, (r, w) in enumerate(combination.items()):
        name = RULE_NAMES.get(r, r)
        w = float(w)
        mag = "" if abs(w) == 1 else f"{abs(w):g} "
        sign = ("- " if w < 0 else "+ ") if i else ("-" if w < 0 else "")
        parts.append(f"{sign}{mag}{name}")
    return " ".join(parts)


@dataclass(frozen=True)
class Composition:
    """Performance of one rule with composed rule inputs (Yang et al. 2019, Fig. 6).

    Attributes
    ----------
    rule : str
    combinations : tuple of dict
    names : tuple of str
    accuracy : ndarray, shape (n_combinations,)
    """

    rule: str
    combinations: tuple
    names: tuple
    accuracy: np.ndarray


def composition_performance(net, task, rule: str, combinations, *, n_trials: int = 500,
                            rng=0) -> Composition:
    """Performance on `rule`'s trials with each rule-input mix of `combinations`.

    Notes
    -----
    The original's ``analysis/taskset.py`` (``replace_rule``, ``rule_strength``): e.g.
    Dly Anti trials given ``Dly Anti`` (the trained input), ``Anti``, ``Anti + Dly Go``,
    ``Anti + Dly Go - Go``. Every mix sees the same trials and noise.
    """
    combinations = tuple(dict(c) for c in combinations)
    if not combinations:
        fail("combinations", "at least one dict rule -> weight", combinations)
    seed = int(as_generator(rng).integers(2**31))
    acc = np.array([rule_performance(net, task, (rule,), n_trials=n_trials, rng=seed, combination=c)[0]
                    for c in combinations])
    return Composition(rule=rule, combinations=combinations,
                       names=tuple(composition_name(c) for c in combinations), accuracy=acc)
