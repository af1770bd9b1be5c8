"""Task library: every task returns trials through the same interface (:mod:`purernn.tasks.base`).

    task = purernn.tasks.make("xor", noise_sigma=0.05)
    batch = task.sample(64, rng=0)       # batch.x, batch.y, batch.mask, batch.info
    correct = task.score(z, batch)       # bool, one per trial

See ``purernn/tasks/README.md`` for the list of tasks, their sources, default timing and
success criteria.
"""

from __future__ import annotations

from .._validate import check_choice
from .base import Batch, Task
from .decisions import ContextDM, PerceptualDM, PerceptualDMZero
from .flipflop import FlipFlop, FlipFlop3
from .gates import And, GateTask, Not, Or, Xor
from .memory import DelayedMatchToSample, Romo
from .multitask import MultitaskGates
from .oscillators import Oscillation, SineGenerator
from .timing import IntervalReproduction, TimeReproduction

__all__ = [
    "Batch",
    "Task",
    "TASKS",
    "SEED_TASKS",
    "make",
    "GateTask",
    "And",
    "Or",
    "Xor",
    "Not",
    "TimeReproduction",
    "IntervalReproduction",
    "Oscillation",
    "SineGenerator",
    "FlipFlop",
    "FlipFlop3",
    "PerceptualDM",
    "PerceptualDMZero",
    "ContextDM",
    "DelayedMatchToSample",
    "Romo",
    "MultitaskGates",
]

#: Registry: task name -> Task subclass. Presets (``flipflop3``) are subclasses that only
#: change defaults, so every entry has ``summary``, ``source`` and its fields.
TASKS: dict = {
    cls.name: cls
    for cls in (
        And,
        Or,
        Xor,
        Not,
        TimeReproduction,
        Oscillation,
        SineGenerator,
        FlipFlop,
        FlipFlop3,
        PerceptualDM,
        PerceptualDMZero,
        ContextDM,
        DelayedMatchToSample,
        Romo,
        MultitaskGates,
        IntervalReproduction,
    )
}

#: The seed's tasks (Table 1: 50 units, each trained to criterion in under a minute).
SEED_TASKS = ("and", "or", "xor", "not", "flipflop", "time_reproduction", "oscillation")


def make(name: str, **overrides) -> Task:
    """Build the task called `name` with some of its fields overridden.

    Parameters
    ----------
    name : str
        A key of :data:`TASKS`.
    **overrides
        New values for some of the task's fields (timing, noise, criterion, ...).

    Returns
    -------
    Task

    Raises
    ------
    ValidationError
        Unknown name (the message lists the valid names), unknown field (the message
        lists the task's fields) or a bad value.

    Examples
    --------
    >>> task = make("xor", noise_sigma=0.0)
    >>> task.sample(8, rng=0).x.shape
    (8, 200, 2)
    """
    check_choice("name", name, TASKS)
    cls = TASKS[name]
    cls.check_overrides(overrides)
    return cls(**overrides)
