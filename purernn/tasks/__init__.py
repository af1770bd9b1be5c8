"""Task library: every task returns trials through the same interface (SPEC section 3)."""

from __future__ import annotations

from .._validate import check_choice
from .base import Batch, Task

__all__ = ["Batch", "Task", "TASKS", "make"]

#: Registry: task name -> Task subclass (or preset factory).
TASKS: dict = {}


def make(name: str, **overrides) -> Task:
    """Build the task called `name` with some of its fields overridden.

    Raises
    ------
    ValidationError
        Unknown name (the message lists the valid names) or a bad override.
    """
    check_choice("name", name, TASKS)
    return TASKS[name](**overrides)
