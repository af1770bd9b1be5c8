"""What runs are under a directory: one row per run, for ``purernn runs DIR``.

Two kinds of directory are listed:

- any directory holding run directories (at any depth): each run's ``run.json`` gives
  its task, network, seed, steps, validation accuracy and status;
- a study directory (it holds ``results.sqlite``, written by ``purernn sweep``): one row
  per point of the study from its results database (:func:`study_rows` of the rows of
  :func:`purernn.sweep.rows_for_study`; this module does not import the sweep package,
  which sits above it), with the accuracy on fresh trials that the sweep measured,
  including the points not run yet or failed.

Reading is tolerant: a run whose ``run.json`` cannot be read is listed with status
``unreadable`` instead of stopping the listing (``purernn evaluate`` or ``load_run`` then
say what is wrong with it). Only JSON and SQLite are read, so listing is fast.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ._validate import fail

__all__ = ["COLUMNS", "DB_FILE", "list_runs", "study_rows", "filter_rows", "format_rows"]

#: Columns of the table, in order (a study adds ``condition``).
COLUMNS = ("run", "task", "init", "n_rec", "seed", "steps", "accuracy", "status")
_RUN_JSON = "run.json"  # purernn.runs.RUN_JSON (not imported: that pulls in Numba)
_FORMAT = "purernn-run"
#: The results database that marks a study directory (``purernn.sweep.DB_FILE``).
DB_FILE = "results.sqlite"


def _run_row(path: Path, root: Path) -> dict:
    row = {"run": os.path.relpath(path, root), "task": None, "init": None, "n_rec": None, "seed": None,
           "steps": None, "accuracy": None, "status": "unreadable", "accuracy_kind": "validation"}
    try:
        meta = json.loads((path / _RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return row
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        return row
    net, task, res = meta.get("network") or {}, meta.get("task") or {}, meta.get("result") or {}
    row.update(task=task.get("name"), init=net.get("init"), n_rec=net.get("n_rec"),
               seed=meta.get("seed", (meta.get("train") or {}).get("seed")),
               steps=res.get("n_steps", meta.get("step")), accuracy=res.get("val_accuracy"),
               status=meta.get("status", "unreadable"))
    return row


def study_rows(db_rows) -> list:
    """Listing rows (as :func:`list_runs`) from the rows of a study's results database
    (``purernn.sweep.rows_for_study(study_dir)``), with ``condition``, ``point_id`` and
    ``val_accuracy``; ``accuracy`` is the accuracy on fresh trials measured by the sweep."""
    rows = []
    for r in db_rows:
        rows.append({"run": r["run_dir"], "task": r["task"], "init": r["init"], "n_rec": r["n_rec"],
                     "seed": r["seed"], "steps": r["n_steps"], "accuracy": r["accuracy"],
                     "status": r["status"], "condition": r["label"], "point_id": r["point_id"],
                     "val_accuracy": r["val_accuracy"], "accuracy_kind": "fresh trials"})
    return rows


def list_runs(path) -> list:
    """The runs under `path`, one dict per run (keys :data:`COLUMNS` and a few more).

    Parameters
    ----------
    path : str or path-like
        A run directory or a directory holding run directories at any depth (in a study
        directory, its run directories; :func:`study_rows` lists its points).

    Returns
    -------
    list of dict
        Keys ``run`` (the run directory, relative to `path`), ``task``, ``init``,
        ``n_rec``, ``seed``, ``steps``, ``accuracy``, ``status`` and ``accuracy_kind``
        (``"validation"``: the validation accuracy of ``run.json``). Sorted by run path.

    Raises
    ------
    ValidationError
        `path` is not a directory.
    """
    root = Path(path)
    if not root.is_dir():
        fail("path", "a directory of runs or a study directory", str(root))
    found = sorted({p.parent for p in root.rglob(_RUN_JSON)})
    return [_run_row(p, root) for p in found]


def filter_rows(rows, where) -> list:
    """The rows whose columns match every ``"KEY=VALUE"`` of `where` (as displayed).

    Examples
    --------
    >>> rows = [{"task": "xor", "seed": 1}, {"task": "and", "seed": 1}]
    >>> filter_rows(rows, ["task=xor", "seed=1"])
    [{'task': 'xor', 'seed': 1}]
    """
    tests = []
    for item in where:
        key, sep, value = str(item).partition("=")
        if not sep or not key:
            fail("where", "KEY=VALUE (e.g. task=xor)", item)
        if rows and key not in rows[0]:
            fail("where", "a column, one of " + ", ".join(rows[0]), key)
        tests.append((key, value))
    return [r for r in rows if all(_cell(r.get(k)) == v for k, v in tests)]


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}" if v <= 1.0 else f"{v:g}"
    return str(v)


def format_rows(rows) -> str:
    """`rows` as an aligned text table (the columns of :data:`COLUMNS`, and ``condition``
    for a study), with a line saying which accuracy is shown."""
    if not rows:
        return "no runs found"
    cols = list(COLUMNS) + (["condition"] if "condition" in rows[0] else [])
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    kinds = sorted({r.get("accuracy_kind", "validation") for r in rows})
    lines.append(f"{len(rows)} runs; accuracy: " + " / ".join(
        "on fresh trials (the study's results database)" if k == "fresh trials"
        else "on the validation set (run.json)" for k in kinds))
    return "\n".join(lines)
