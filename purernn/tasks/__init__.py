"""Task library: every task returns trials through the same interface (:mod:`purernn.tasks.base`).

    task = purernn.tasks.make("xor", noise_sigma=0.05)
    batch = task.sample(64, rng=0)       # batch.x, batch.y, batch.mask, batch.info
    correct = task.score(z, batch)       # bool, one per trial
    jarne = purernn.tasks.make("flipflop3", preset="jarne")   # her data generator

See ``purernn/tasks/README.md`` for the list of tasks, their sources, default timing and
success criteria.
"""

from __future__ import annotations

from .._validate import check_choice
from .base import DEFAULT_PRESET, Batch, Task
from .decisions import ContextDM, PerceptualDM, PerceptualDMZero
from .flipflop import FlipFlop, FlipFlop3
from .gates import And, GateTask, Not, Or, Xor
from .memory import DelayedMatchToSample, Romo
from .multitask import MultitaskGates
from .neurogym import NeuroGymTask, from_neurogym
from .oscillators import Oscillation, SineGenerator
from .timing import IntervalReproduction, TimeReproduction
from .yang2019 import Yang2019

__all__ = [
    "Batch",
    "Task",
    "TASKS",
    "SEED_TASKS",
    "PRESETS",
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
    "NeuroGymTask",
    "from_neurogym",
    "Yang2019",
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
        Yang2019,
    )
}

#: The seed's tasks (Table 1: 50 units, each trained to criterion in under a minute).
SEED_TASKS = ("and", "or", "xor", "not", "flipflop", "time_reproduction", "oscillation")


#: preset name -> the tasks that offer it. ``"jarne"``: C. Jarne's published data
#: generators (github.com/katejarne), for every task she published networks for, so that
#: her networks (``pr.io.load_keras_h5``) run on the trials they were trained on.
PRESETS: dict = {}
for _name, _cls in TASKS.items():
    for _preset in _cls.preset_names():
        PRESETS.setdefault(_preset, []).append(_name)
PRESETS = {k: tuple(v) for k, v in PRESETS.items()}


def make(name: str, preset: str = DEFAULT_PRESET, **overrides) -> Task:
    """Build the task called `name`, from one of its presets, with some fields overridden.

    Parameters
    ----------
    name : str
        A key of :data:`TASKS`.
    preset : str
        ``"default"`` (purernn's defaults) or a preset the task offers
        (``TASKS[name].preset_names()``; :data:`PRESETS` lists them all). ``"jarne"``
        reproduces C. Jarne's data generator; each task's docstring says how its defaults
        differ from it.
    **overrides
        New values for some of the task's fields (timing, noise, criterion, ...), applied
        after the preset's.

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
    >>> make("and", preset="jarne").n_steps  # her AND trials are 210 steps long
    210
    """
    check_choice("name", name, TASKS)
    return TASKS[name].from_preset(preset, **overrides)
