"""The task interface shared by every task (see docs/tasks.md for every task).

A task is a frozen, keyword-only dataclass holding its timing and noise. It draws trials
with :meth:`Task.sample` and judges a network's output with :meth:`Task.score`. Tasks
need only NumPy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .._validate import as_generator, check_choice, check_int, check_number, fail

__all__ = ["Batch", "Task", "DEFAULT_PRESET"]

#: The preset of a task built without one: its own defaults.
DEFAULT_PRESET = "default"


@dataclass(frozen=True)
class Batch:
    """A batch of trials, trial-major.

    Attributes
    ----------
    x : ndarray, shape (n_trials, n_steps, n_in)
        Inputs, noise included.
    y : ndarray, shape (n_trials, n_steps, n_out)
        Targets.
    mask : ndarray, shape (n_trials, n_steps, n_out)
        Loss weights (0 where the output is free, 1 where it is judged).
    info : dict of str -> ndarray, each of shape (n_trials, ...)
        Per-trial conditions (e.g. ``"bits"``, ``"coherence"``, ``"condition"``).
        ``info["condition"]`` is an int label per trial used to group trials in plots.
    """

    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    info: dict = field(default_factory=dict)

    @property
    def n_trials(self) -> int:
        return self.x.shape[0]

    @property
    def n_steps(self) -> int:
        return self.x.shape[1]

    def subset(self, index) -> "Batch":
        """The trials selected by `index` (an index array or a slice)."""
        return Batch(
            x=self.x[index],
            y=self.y[index],
            mask=self.mask[index],
            info={k: np.asarray(v)[index] for k, v in self.info.items()},
        )


@dataclass(frozen=True, kw_only=True)
class Task:
    """Base class of every task.

    Subclasses set the class attributes ``name``, ``source`` (paper and original code)
    and ``summary`` (one line), give ``n_in`` and ``n_out`` (class attributes, or
    properties when they depend on fields), a ``t_total`` field or an ``n_steps``
    property, and implement ``_sample`` and ``score``. Every timing or noise number is a
    dataclass field, so it can be overridden with ``pr.tasks.make(name, **overrides)``.

    **Presets.** ``presets`` maps a preset name to field values: ``make(name,
    preset="jarne")`` builds the task from those values (then the overrides), and the
    ``preset`` field records where it started, so ``to_dict`` (and a run's ``run.json``)
    rebuilds the same task. The fields are what the task does; ``preset`` is the label.
    Build preset tasks with :meth:`from_preset` (or ``make``): the constructor takes its
    fields as given.
    """

    name: ClassVar[str] = "task"
    summary: ClassVar[str] = ""
    source: ClassVar[str] = ""
    #: preset name -> field values that differ from the defaults
    presets: ClassVar[dict] = {}
    #: fields that add noise to the trials (set to 0 by :meth:`without_noise`); a task
    #: whose stimulus is itself noise (``perceptual_dm_zero``) lists none
    noise_fields: ClassVar[tuple] = ("noise_sigma",)
    #: fields added after the task was first released -> the value that reproduces what
    #: it did before: a task dict without such a field (an older run file) is read with
    #: that value (:func:`purernn.taskspec.task_from_json`)
    later_fields: ClassVar[dict] = {}
    #: fields left out of :meth:`to_dict` when they hold the given value, the one that
    #: reproduces what the task did before the field existed: run files and sweep point
    #: ids (hashes of that dict) of such tasks stay what they were
    quiet_fields: ClassVar[dict] = {}

    preset: str = DEFAULT_PRESET  # where the field values came from (see from_preset)
    dt: float = 1.0  # ms per step, for plots
    alpha: float = 1.0  # recommended network alpha = dt / tau

    @property
    def n_in(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def n_out(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def n_steps(self) -> int:
        """Steps per trial: the ``t_total`` field where the task has one."""
        return self.t_total

    #: fraction of trials that must be correct to call the task learned
    criterion: float = 0.95

    def __post_init__(self) -> None:
        check_choice("preset", self.preset, self.preset_names())
        self._set("dt", check_number("dt", self.dt, lo=0.0, lo_open=True))
        self._set("alpha", check_number("alpha", self.alpha, lo=0.0, hi=1.0, lo_open=True))
        self._set("criterion", check_number("criterion", self.criterion, lo=0.0, hi=1.0, lo_open=True))

    def _set(self, name: str, value) -> None:
        """Store a normalized field value (the dataclass is frozen)."""
        object.__setattr__(self, name, value)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Names of the fields that can be overridden."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def preset_names(cls) -> tuple[str, ...]:
        """The presets this task offers (``"default"`` first)."""
        return (DEFAULT_PRESET,) + tuple(k for k in cls.presets if k != DEFAULT_PRESET)

    @classmethod
    def from_preset(cls, preset: str = DEFAULT_PRESET, **overrides) -> "Task":
        """The task with the field values of `preset`, then `overrides`.

        Parameters
        ----------
        preset : str
            One of :meth:`preset_names` (``"default"``: the class defaults).
        **overrides
            Field values that replace the preset's.

        Returns
        -------
        Task
            With ``task.preset == preset``.
        """
        check_choice("preset", preset, cls.preset_names())
        cls.check_overrides(overrides)
        overrides.pop("preset", None)
        return cls(**{**cls.presets.get(preset, {}), **overrides, "preset": preset})

    def preset_differences(self, preset: str = DEFAULT_PRESET) -> dict[str, tuple]:
        """Fields whose value differs from `preset`'s: ``{field: (this value, preset's)}``."""
        other = type(self).from_preset(preset)
        out = {}
        for f in dataclasses.fields(self):
            if f.name != "preset" and getattr(self, f.name) != getattr(other, f.name):
                out[f.name] = (getattr(self, f.name), getattr(other, f.name))
        return out

    @classmethod
    def check_overrides(cls, overrides) -> None:
        """Refuse override names that are not fields, listing the valid ones."""
        valid = cls.field_names()
        for key in overrides:
            if key not in valid:
                fail(
                    key,
                    f"a field of task {cls.name!r}, one of " + ", ".join(sorted(valid)),
                    key,
                    "Unknown field.",
                )

    def sample(self, n_trials: int, rng=None) -> Batch:
        """Draw `n_trials` trials.

        Parameters
        ----------
        n_trials : int
        rng : numpy.random.Generator, int or None

        Returns
        -------
        Batch
        """
        n_trials = check_int("n_trials", n_trials, lo=1)
        return self._sample(n_trials, as_generator(rng))

    def _sample(self, n_trials: int, rng: np.random.Generator) -> Batch:  # pragma: no cover
        raise NotImplementedError

    def training_batch(self, n_trials: int, rng=None) -> Batch:
        """The batch of one training step (fresh regime): :meth:`sample`, unless the task
        draws its training batches differently (one rule per batch, say). Validation and
        evaluation always use :meth:`sample`."""
        return self.sample(n_trials, rng)

    def score(self, z: np.ndarray, batch: Batch) -> np.ndarray:  # pragma: no cover
        """Per-trial correctness (bool array of shape (n_trials,)) of outputs `z`
        of shape (n_trials, n_steps, n_out) under the task's success criterion."""
        raise NotImplementedError

    def accuracy(self, z: np.ndarray, batch: Batch) -> float:
        """Fraction of trials scored correct."""
        return float(np.mean(self.score(z, batch)))

    def replace(self, **overrides) -> "Task":
        """A copy with some fields changed (validated like the constructor).

        The ``preset`` label stays; to start from another preset use
        ``pr.tasks.make(name, preset=...)``.
        """
        self.check_overrides(overrides)
        if "preset" in overrides and overrides["preset"] != self.preset:
            fail("preset", f"unchanged by replace ({self.preset!r})", overrides["preset"],
                 f"Use pr.tasks.make({self.name!r}, preset={overrides['preset']!r}) instead.")
        return dataclasses.replace(self, **overrides)

    def resting_input(self) -> np.ndarray:
        """The input at rest, shape (n_in,): where the network sits before a trial's first
        event, for fixed points and linearization. By default the noise-free input on the
        first step (the median over trials); tasks whose first step is not at rest say so.
        """
        x = self.without_noise().sample(16, rng=0).x[:, 0, :]  # (16, n_in)
        return np.median(x, axis=0) + 0.0

    def without_noise(self) -> "Task":
        """The same task with its input (and target) noise switched off: trials that show
        the task's structure, for figures. Scoring a network still uses the noisy task."""
        fields = {f: 0.0 for f in self.noise_fields if f in self.field_names()}
        return self.replace(**fields) if fields else self

    def condition_labels(self, batch: Batch) -> dict[int, str]:
        """A readable name for each condition present in `batch`: ``{condition: label}``.

        Tasks give names from their trial info (``"bits +-+"``, ``"coh +12.8%"``,
        ``"context motion, choice +"``); the fallback is ``"condition k"``.
        """
        cond = np.asarray(batch.info.get("condition", np.zeros(batch.n_trials, dtype=int)))
        return {int(c): f"condition {int(c)}" for c in np.unique(cond)}

    def _labels_from(self, batch: Batch, describe) -> dict[int, str]:
        """``{condition: describe(i)}`` with ``i`` the first trial of each condition."""
        cond = np.asarray(batch.info["condition"])
        out = {}
        for c in np.unique(cond):
            out[int(c)] = describe(int(np.flatnonzero(cond == c)[0]))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The task's name and fields, JSON-serializable.

        ``preset`` is left out when it is the default one, and a field of
        :attr:`quiet_fields` when it holds its old behaviour's value, so that run files and
        sweep point ids (hashes of this dict) of tasks that behave as before stay what
        they were.
        """
        d = {"name": self.name}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "preset" and v == DEFAULT_PRESET:
                continue
            if f.name in self.quiet_fields and v == self.quiet_fields[f.name]:
                continue
            d[f.name] = list(v) if isinstance(v, tuple) else v
        return d
