"""How a task is written into ``run.json`` and rebuilt from it, for purernn's own tasks and
for any user task that follows the task protocol.

A registered task (``pr.tasks.TASKS``) is written as its ``to_dict()`` and rebuilt with
``pr.tasks.make``. Any other task is written as a factory path and its keywords::

    "task": {"name": "my_task", "factory": "mylab.tasks:MyTask", "kwargs": {...}}

The factory is ``task.factory`` when the task defines it (a ``"module:callable"`` string),
else the task's own class; the keywords are ``task.to_dict()`` without ``"name"``. A
task without ``to_dict`` is written by name only: such a run loads and resumes when the
task is passed again, ``pr.load_run(path, task=...)``.
"""

from __future__ import annotations

import importlib

from ._validate import check_task, fail

__all__ = ["task_to_json", "task_from_json", "TaskSpecError"]


class TaskSpecError(Exception):
    """The task recorded in a run cannot be rebuilt (the caller says which file)."""


def _is_registered(task) -> bool:
    from . import tasks

    return type(task) is tasks.TASKS.get(getattr(task, "name", None))


def task_to_json(task) -> dict:
    """The JSON form of `task` (see the module docstring)."""
    if _is_registered(task):
        return task.to_dict()
    has_dict = callable(getattr(task, "to_dict", None))
    d = dict(task.to_dict()) if has_dict else {}
    d.pop("name", None)
    cls = type(task)
    factory = getattr(task, "factory", None) or f"{cls.__module__}:{cls.__qualname__}"
    return {"name": task.name, "factory": factory if has_dict else None, "kwargs": d}


def _import(path: str):
    module, _, attr = path.partition(":")
    if not module or not attr:
        raise TaskSpecError(f"factory {path!r} is not of the form 'module:callable'")
    try:
        obj = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as err:
        raise TaskSpecError(f"factory {path!r} cannot be imported ({err})") from err
    return obj


def task_from_json(d: dict, *, task=None, n_in=None, n_out=None):
    """Rebuild the task of a run, or check the `task` given for it.

    Raises
    ------
    TaskSpecError
        The recorded task cannot be rebuilt (unknown name, missing factory, bad keywords).
    ValidationError
        A given `task` does not fit the recorded one (name, inputs, outputs).
    """
    if task is not None:
        check_task(task)
        if d.get("name") not in (None, task.name):
            fail("task", f"the task the run was trained on, {d.get('name')!r}", task.name)
        if n_in is not None and (task.n_in, task.n_out) != (n_in, n_out):
            fail("task", f"a task with n_in={n_in} and n_out={n_out} like the run's network",
                 f"n_in={task.n_in}, n_out={task.n_out}")
        return task
    if "factory" in d:
        if d["factory"] is None:
            raise TaskSpecError(f"task {d.get('name')!r} was saved without to_dict(); pass it "
                                "again: pr.load_run(path, task=...) or pr.resume(path, task=...)")
        factory = _import(d["factory"])
        try:
            return factory(**d.get("kwargs", {}))
        except Exception as err:  # a user factory may raise anything
            raise TaskSpecError(f"factory {d['factory']!r} failed on the recorded keywords ({err}); "
                                "pass the task: pr.load_run(path, task=...)") from err
    from . import tasks

    d = dict(d)
    name = d.pop("name", None)
    if name not in tasks.TASKS:
        raise TaskSpecError(f"unknown task {name!r}; pass it: pr.load_run(path, task=...)")
    d = {**tasks.TASKS[name].later_fields, **d}  # a field the run's purernn did not have yet
    try:
        return tasks.make(name, **d)
    except (TypeError, ValueError) as err:
        raise TaskSpecError(f"not a valid {name!r} task ({err})") from err
