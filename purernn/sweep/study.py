"""What a study is: the study file, its grid expanded into points, and the study directory.

A study file (TOML) names a grid; every point of the grid is one training run::

    [study]
    name = "init"

    [grid]                      # every value is a list (a scalar means one value)
    task = ["and", "or", "xor", "flipflop"]
    init = ["normal", "orthogonal"]
    seed = {start = 0, count = 20}
    dale = ["none", 0.8]        # "none": no Dale's law
    lr = [1e-3]                 # any TrainConfig field; any Network.create keyword

    [network]                   # fixed Network.create keywords of every point
    [train]                     # fixed TrainConfig fields of every point
    [tasks.flipflop]            # field overrides of one task
    [record]                    # what to measure after training
    evaluate_trials = 500
    eigenvalues = true
    degradation = {mode = "units", fractions = [0.0, 0.1, 0.2], n_draws = 5}

A study directory holds::

    study.toml        copy of the study file used by the last sweep
    results.sqlite    one row per point (:mod:`purernn.sweep.db`)
    runs/<point_id>/  one run directory per point (the format of :mod:`purernn.runs`)
    report/           tables and figures written by ``purernn report``

Point ids are the first 16 hex digits of the SHA-256 of the point's fully resolved
configuration (task fields, network keywords, TrainConfig with its seed), so they, and
the rows, are the same whichever backend runs the points.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .. import tasks as _tasks
from .._validate import check_int, fail
from ..config import RENAMED, TrainConfig, rename_deprecated
from ..errors import ValidationError
from ..model import Network
from ..presets import default_network_kwargs, default_train_config

__all__ = [
    "STUDY_FILE",
    "DB_FILE",
    "RUNS_DIR",
    "NETWORK_KEYS",
    "TRAIN_KEYS",
    "RECORD_DEFAULTS",
    "DEGRADATION_KEYS",
    "Point",
    "Study",
    "format_value",
    "condition_label",
    "canonical_json",
    "point_id",
    "parse_study",
    "load_study",
    "run_order",
    "default_study_dir",
]

#: Names inside a study directory.
STUDY_FILE = "study.toml"
DB_FILE = "results.sqlite"
RUNS_DIR = "runs"

#: ``Network.create`` keywords a study may set (in ``[grid]`` or ``[network]``).
NETWORK_KEYS = ("n_rec", "init", "gain", "activation", "alpha", "dale", "dale_mode", "dale_init",
                "autapses", "e_only_readout", "conn_prob", "sigma_rec", "dtype", "output")
_FLOAT_NETWORK_KEYS = ("gain", "alpha", "dale", "conn_prob", "sigma_rec")
#: TrainConfig fields a study may set (the seed is the grid's ``seed`` axis).
TRAIN_KEYS = tuple(k for k in TrainConfig.field_names() if k != "seed")
_GRID_KEYS = ("task", "seed") + NETWORK_KEYS + TRAIN_KEYS
_TABLES = ("study", "grid", "network", "train", "tasks", "record")
#: What is measured after training unless the study's ``[record]`` says otherwise.
RECORD_DEFAULTS = {"evaluate_trials": 500, "eigenvalues": True, "degradation": False}
#: Keywords of ``record.degradation`` (passed to :func:`purernn.analysis.degradation`).
DEGRADATION_KEYS = ("mode", "fractions", "n_draws", "n_trials")


@dataclass(frozen=True)
class Point:
    """One training run of a study.

    Attributes
    ----------
    point_id : str
        16 hex digits of the SHA-256 of `config` (canonical JSON).
    index : int
        Position in the study's grid.
    config : dict
        ``{"task": task.to_dict(), "network": Network.create keywords (n_rec included),
        "train": TrainConfig.to_dict() (seed included)}``, fully resolved.
    condition : dict
        The grid values of this point except the seed (what the report groups by).
    """

    point_id: str
    index: int
    config: dict
    condition: dict

    @property
    def seed(self) -> int:
        return int(self.config["train"]["seed"])

    @property
    def label(self) -> str:
        return condition_label(self.condition)


@dataclass(frozen=True)
class Study:
    """A parsed, validated study file.

    Attributes
    ----------
    name : str
    description : str
    grid : dict of str -> tuple
        Axis name -> values, in the file's order.
    network, train : dict
        Fixed ``Network.create`` keywords and TrainConfig fields of every point.
    tasks : dict of str -> dict
        Field overrides per task name.
    record : dict
        What to measure after training (:data:`RECORD_DEFAULTS` filled in).
    points : tuple of Point
        The expanded grid (the first axis outermost, seeds innermost).
    source : str
        The TOML text the study was parsed from.
    """

    name: str
    description: str
    grid: dict
    network: dict
    train: dict
    tasks: dict
    record: dict
    points: tuple
    source: str

    @property
    def axes(self) -> tuple:
        """Grid axes that define conditions (every axis but the seed)."""
        return tuple(k for k in self.grid if k != "seed")


def format_value(v) -> str:
    """A grid value as it appears in condition labels and tables.

    Examples
    --------
    >>> [format_value(v) for v in (None, 0.80, 1e-3, "normal", 50)]
    ['none', '0.8', '0.001', 'normal', '50']
    """
    if v is None:
        return "none"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def condition_label(condition: dict) -> str:
    """``"task=xor, init=normal"`` for a condition dict (insertion order)."""
    return ", ".join(f"{k}={format_value(v)}" for k, v in condition.items())


def canonical_json(obj) -> str:
    """JSON with sorted keys and no spaces: the text a point id hashes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def point_id(config: dict) -> str:
    """16 hex digits of the SHA-256 of the canonical JSON of `config`."""
    return hashlib.sha256(canonical_json(config).encode("ascii")).hexdigest()[:16]


def _renamed(table: dict, owner: str) -> dict:
    """`table` with the old spellings of TrainConfig fields (``steps``, ``epochs``) replaced
    by the current names, as training TOML files accept them (a DeprecationWarning each)."""
    if not any(k in RENAMED for k in table):
        return dict(table)
    return rename_deprecated(table, f"study file [{owner}]")


def _bad_key(owner: str, key: str, valid) -> None:
    fail(f"{owner}.{key}", "a known key, one of " + ", ".join(valid), key, "Unknown key.")


def _as_values(key: str, value) -> tuple:
    """A grid axis value -> tuple of values (seed ranges expanded)."""
    if isinstance(value, dict):
        if key != "seed" or set(value) - {"start", "count"} or "count" not in value:
            fail(f"grid.{key}", "a list of values (or, for seed, {start = S, count = N})", value)
        start = check_int("grid.seed.start", value.get("start", 0), lo=0)
        count = check_int("grid.seed.count", value["count"], lo=1)
        return tuple(range(start, start + count))
    values = tuple(value) if isinstance(value, list) else (value,)
    if not values:
        fail(f"grid.{key}", "a non-empty list", value)
    if len(set(map(repr, values))) != len(values):
        fail(f"grid.{key}", "a list without repeated values", list(values))
    return values


def _none(v):
    """TOML has no null: the string "none" stands for None (e.g. dale = ["none", 0.8])."""
    return None if isinstance(v, str) and v.lower() == "none" else v


def _network_kw(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        v = _none(v)
        if k in _FLOAT_NETWORK_KEYS and v is not None and not isinstance(v, bool) and isinstance(v, (int, float)):
            v = float(v)
        out[k] = v
    return out


def _check_record(given: dict) -> dict:
    record = dict(RECORD_DEFAULTS)
    for key, value in given.items():
        if key not in RECORD_DEFAULTS:
            _bad_key("record", key, tuple(RECORD_DEFAULTS))
        record[key] = value
    check_int("record.evaluate_trials", record["evaluate_trials"], lo=1)
    if not isinstance(record["eigenvalues"], bool):
        fail("record.eigenvalues", "true or false", record["eigenvalues"])
    if record["degradation"] is True:
        record["degradation"] = {}
    if record["degradation"] is not False and not isinstance(record["degradation"], dict):
        fail("record.degradation", "false, true or a table of keywords", record["degradation"])
    for key in record["degradation"] or {}:
        if key not in DEGRADATION_KEYS:
            _bad_key("record.degradation", key, DEGRADATION_KEYS)
    return record


def parse_study(text: str, *, name: str = "study") -> Study:
    """Parse and validate a study (TOML text) and expand its grid.

    Parameters
    ----------
    text : str
        The study file's content.
    name : str
        Default study name (the file's stem) when ``[study] name`` is absent.

    Returns
    -------
    Study

    Raises
    ------
    ValidationError
        Invalid TOML, an unknown table or key (the message lists the valid ones) or a
        bad value (the message names the point and the field).

    Notes
    -----
    ``[grid]`` and ``[train]`` accept the old spellings ``steps`` and ``epochs`` of
    ``n_steps`` and ``n_epochs`` with a DeprecationWarning, as training TOML files do
    (:func:`purernn.config.rename_deprecated`); the points are those of the new names.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValidationError(f"the study file is not valid TOML: {err}") from err
    for key in doc:
        if key not in _TABLES:
            _bad_key("study file", key, _TABLES)
    for key in _TABLES:
        if key in doc and not isinstance(doc[key], dict):
            fail(key, "a table ([" + key + "])", doc[key])
    head = doc.get("study", {})
    for key in head:
        if key not in ("name", "description"):
            _bad_key("study", key, ("name", "description"))

    grid_in = _renamed(doc.get("grid", {}), "grid")
    if "task" not in grid_in:
        fail("grid.task", "present (a list of task names)", None)
    grid = {}
    for key, value in grid_in.items():
        if key not in _GRID_KEYS:
            _bad_key("grid", key, _GRID_KEYS)
        grid[key] = tuple(_none(v) for v in _as_values(key, value))
    grid.setdefault("seed", (0,))
    for t in grid["task"]:
        if t not in _tasks.TASKS:
            fail("grid.task", "a list of task names, each one of " + ", ".join(sorted(_tasks.TASKS)), t)
    for s in grid["seed"]:
        check_int("grid.seed", s, lo=0)

    network = dict(doc.get("network", {}))
    for key in network:
        if key not in NETWORK_KEYS:
            _bad_key("network", key, NETWORK_KEYS)
    train = _renamed(doc.get("train", {}), "train")
    for key in train:
        if key not in TRAIN_KEYS:
            _bad_key("train", key, TRAIN_KEYS + (("(seed is a grid axis)",) if key == "seed" else ()))
    for key in grid:
        if key in network or key in train:
            fail(f"grid.{key}", "set in one place only (the grid or a fixed table)", key)
    task_over = dict(doc.get("tasks", {}))
    for t, over in task_over.items():
        if t not in _tasks.TASKS:
            _bad_key("tasks", t, sorted(_tasks.TASKS))
        if not isinstance(over, dict):
            fail(f"tasks.{t}", "a table of task fields", over)
        _tasks.TASKS[t].check_overrides(dict(over))
    record = _check_record(doc.get("record", {}))

    points = _expand(grid, network, train, task_over)
    return Study(name=str(head.get("name", name)), description=str(head.get("description", "")),
                 grid=grid, network=network, train=train, tasks=task_over, record=record,
                 points=points, source=text)


def _expand(grid: dict, network: dict, train: dict, task_over: dict) -> tuple:
    """Every combination of the grid's values, resolved against the task defaults."""
    keys = list(grid)
    axes = [k for k in keys if k != "seed"]
    points = []
    seen: dict = {}
    checked_nets: set = set()
    for index, values in enumerate(itertools.product(*(grid[k] for k in keys))):
        combo = dict(zip(keys, values))
        net_over = _network_kw({**network, **{k: v for k, v in combo.items() if k in NETWORK_KEYS}})
        train_over = {**train, **{k: v for k, v in combo.items() if k in TRAIN_KEYS}}
        where = f"grid point {condition_label(combo)}"
        try:
            task = _tasks.make(combo["task"], **task_over.get(combo["task"], {}))
            net_kw = default_network_kwargs(task, **net_over)
            cfg = default_train_config(task, **train_over, seed=int(combo["seed"]))
            key = canonical_json(net_kw) + task.name
            if key not in checked_nets:  # validate each network configuration once
                kw = dict(net_kw)
                n_rec = kw.pop("n_rec")
                Network.create(task.n_in, n_rec, task.n_out, seed=0, **kw)
                checked_nets.add(key)
        except (ValidationError, TypeError) as err:
            raise ValidationError(f"{where}: {err}") from err
        config = {"task": task.to_dict(), "network": net_kw, "train": cfg.to_dict()}
        pid = point_id(config)
        if pid in seen:
            fail("grid", "a grid whose points differ", where, f"It resolves to the same run as {seen[pid]}.")
        seen[pid] = where
        condition = {k: combo[k] for k in axes}
        points.append(Point(point_id=pid, index=index, config=config, condition=condition))
    return tuple(points)


def load_study(path) -> Study:
    """Read and validate a study file (or the ``study.toml`` of a study directory)."""
    path = Path(path)
    if path.is_dir():
        path = path / STUDY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ValidationError(f"cannot read the study file {str(path)!r}: {err}") from err
    try:
        return parse_study(text, name=path.stem if path.name != STUDY_FILE else path.parent.name)
    except ValidationError as err:
        raise ValidationError(f"{str(path)!r}: {err}") from err


def run_order(points, seeds) -> list:
    """`points` realization-major: every condition's first seed, then every second seed...

    Sorted by the position of the point's seed in `seeds` (the grid's seed axis), then by
    grid index. Points already done are simply absent, so the conditions that lag behind
    catch up first.
    """
    rank = {int(s): i for i, s in enumerate(seeds)}
    return sorted(points, key=lambda p: (rank.get(p.seed, len(rank)), p.index))


def default_study_dir(study_file) -> Path:
    """``studies/init.toml`` -> ``studies/init``."""
    p = Path(study_file)
    return p.with_suffix("") if p.suffix else p.with_name(p.name + ".study")
