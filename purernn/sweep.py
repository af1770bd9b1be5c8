"""Studies of many realizations: a grid of training runs executed on a local process pool
or a Dask cluster, with one row per run in a SQLite results database (issue 7).

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
    degradation = {kind = "units", fractions = [0.0, 0.1, 0.2], n_draws = 5}

A study directory holds::

    study.toml        copy of the study file used by the last sweep
    results.sqlite    one row per point (WAL mode; only the coordinating process writes)
    runs/<point_id>/  one run directory per point (SPEC section 4)
    report/           tables and figures written by ``purernn report``

Point ids are the first 16 hex digits of the SHA-256 of the point's fully resolved
configuration (task fields, network keywords, TrainConfig with its seed), so they, and
the rows, are the same whichever backend runs the points.

Fault tolerance: one coordinator per study directory (a lock file); rows are upserted on
their UNIQUE point id, so nothing is duplicated; rows left 'running' by a coordinator
that died are run again; a run directory left by a killed worker is resumed from its
checkpoint (or only measured, if complete); a killed pool worker is replaced and its
points resubmitted; Ctrl-C leaves unfinished points pending.

Dependencies point one way: this module uses :mod:`purernn.train`, :mod:`purernn.runs`
and :mod:`purernn.analysis`; none of them imports it.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import math
import os
import socket
import sqlite3
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from .errors import PurernnError, ValidationError
from ._validate import check_int, fail

__all__ = [
    "NETWORK_KEYS",
    "RECORD_DEFAULTS",
    "TIMING_COLUMNS",
    "ResultsDB",
    "ResultsDBError",
    "Point",
    "Study",
    "SweepSummary",
    "load_study",
    "parse_study",
    "run_point",
    "sweep",
    "add_sweep_commands",
]

logger = logging.getLogger(__name__)

STUDY_FILE = "study.toml"
DB_FILE = "results.sqlite"
RUNS_DIR = "runs"
LOCK_FILE = ".coordinator.lock"
SCHEMA_VERSION = 1

#: ``Network.create`` keywords a study may set (in ``[grid]`` or ``[network]``).
NETWORK_KEYS = ("n_rec", "init", "gain", "activation", "alpha", "dale", "dale_mode", "dale_init",
                "autapses", "e_only_readout", "conn_prob", "sigma_rec", "dtype")
_FLOAT_NETWORK_KEYS = ("gain", "alpha", "dale", "conn_prob", "sigma_rec")
#: What is measured after training unless the study's ``[record]`` says otherwise.
RECORD_DEFAULTS = {"evaluate_trials": 500, "eigenvalues": True, "degradation": False}
#: Keywords of ``record.degradation`` (passed to :func:`purernn.analysis.degradation`).
DEGRADATION_KEYS = ("mode", "fractions", "n_draws", "n_trials")
#: Columns that depend on when and where a point ran (left out when comparing backends).
TIMING_COLUMNS = ("wall_time", "train_time", "started_utc", "finished_utc", "worker", "coordinator")
#: Thread-count variables set for every worker (one Numba and one BLAS thread each).
THREAD_ENV = {"NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}
_EVAL_KEY = 0x5E7  # spawn key of the final evaluation's trials (independent of training)


class ResultsDBError(PurernnError, OSError):
    """A results database (or a study directory) that is corrupt, locked or in use."""


def _train_keys() -> tuple:
    from .train import TrainConfig

    return tuple(k for k in TrainConfig.field_names() if k != "seed")


def _grid_keys() -> tuple:
    return ("task", "seed") + NETWORK_KEYS + _train_keys()


# =======================================================================================
# The study file
# =======================================================================================


@dataclass(frozen=True)
class Point:
    """One training run of a study.

    Attributes
    ----------
    point_id : str
        16 hex digits of the SHA-256 of `config` (canonical JSON).
    index : int
        Position in the study's grid (its order of execution).
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
        The expanded grid (tasks outermost, seeds innermost).
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


def condition_label(condition: dict) -> str:
    """``"task=xor, init=normal"`` for a condition dict (insertion order)."""
    return ", ".join(f"{k}={_fmt(v)}" for k, v in condition.items())


def _fmt(v) -> str:
    if v is None:
        return "none"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def canonical_json(obj) -> str:
    """JSON with sorted keys and no spaces: the text a point id hashes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def point_id(config: dict) -> str:
    """16 hex digits of the SHA-256 of the canonical JSON of `config`."""
    return hashlib.sha256(canonical_json(config).encode("ascii")).hexdigest()[:16]


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
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValidationError(f"the study file is not valid TOML: {err}") from err
    tables = ("study", "grid", "network", "train", "tasks", "record")
    for key in doc:
        if key not in tables:
            _bad_key("study file", key, tables)
    for key in tables:
        if key in doc and not isinstance(doc[key], dict):
            fail(key, "a table ([" + key + "])", doc[key])
    head = doc.get("study", {})
    for key in head:
        if key not in ("name", "description"):
            _bad_key("study", key, ("name", "description"))
    train_keys = _train_keys()

    grid_in = doc.get("grid", {})
    if "task" not in grid_in:
        fail("grid.task", "present (a list of task names)", None)
    grid = {}
    for key, value in grid_in.items():
        if key not in _grid_keys():
            _bad_key("grid", key, _grid_keys())
        grid[key] = tuple(_none(v) for v in _as_values(key, value))
    grid.setdefault("seed", (0,))
    from . import tasks as _tasks

    for t in grid["task"]:
        if t not in _tasks.TASKS:
            fail("grid.task", "a list of task names, each one of " + ", ".join(sorted(_tasks.TASKS)), t)
    for s in grid["seed"]:
        check_int("grid.seed", s, lo=0)

    network = dict(doc.get("network", {}))
    for key in network:
        if key not in NETWORK_KEYS:
            _bad_key("network", key, NETWORK_KEYS)
    train = dict(doc.get("train", {}))
    for key in train:
        if key not in train_keys:
            _bad_key("train", key, train_keys + (("(seed is a grid axis)",) if key == "seed" else ()))
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
    record = dict(RECORD_DEFAULTS)
    for key, value in doc.get("record", {}).items():
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

    points = _expand(grid, network, train, task_over)
    return Study(name=str(head.get("name", name)), description=str(head.get("description", "")),
                 grid=grid, network=network, train=train, tasks=task_over, record=record,
                 points=points, source=text)


def run_order(points, seeds) -> list:
    """`points` realization-major: every condition's first seed, then every second seed...

    Sorted by the position of the point's seed in `seeds` (the grid's seed axis), then by
    grid index. Points already done are simply absent, so the conditions that lag behind
    catch up first.
    """
    rank = {int(s): i for i, s in enumerate(seeds)}
    return sorted(points, key=lambda p: (rank.get(p.seed, len(rank)), p.index))


def _expand(grid: dict, network: dict, train: dict, task_over: dict) -> tuple:
    """Every combination of the grid's values, resolved against the task defaults."""
    from . import tasks as _tasks
    from .model import Network
    from .train import default_network_kwargs, default_train_config

    keys = list(grid)
    axes = [k for k in keys if k != "seed"]
    points = []
    seen: dict = {}
    checked_nets: set = set()
    for index, values in enumerate(itertools.product(*(grid[k] for k in keys))):
        combo = dict(zip(keys, values))
        net_over = _network_kw({**network, **{k: v for k, v in combo.items() if k in NETWORK_KEYS}})
        train_over = {**train, **{k: v for k, v in combo.items() if k in _train_keys()}}
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


# =======================================================================================
# The results database
# =======================================================================================

_COLUMNS = (
    ("point_id", "TEXT PRIMARY KEY"),
    ("idx", "INTEGER"),
    ("task", "TEXT"),
    ("init", "TEXT"),
    ("gain", "REAL"),
    ("dale", "REAL"),
    ("n_rec", "INTEGER"),
    ("seed", "INTEGER"),
    ("condition", "TEXT"),          # JSON of the grid values but the seed
    ("label", "TEXT"),
    ("config", "TEXT"),             # JSON of the resolved configuration
    ("status", "TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed'))"),
    ("error", "TEXT"),
    ("attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("run_dir", "TEXT"),            # relative to the study directory
    ("accuracy", "REAL"),           # on record.evaluate_trials fresh trials
    ("val_accuracy", "REAL"),
    ("loss", "REAL"),               # on the same fresh trials
    ("val_loss", "REAL"),
    ("target_accuracy", "REAL"),
    ("reached_criterion", "INTEGER"),
    ("n_steps", "INTEGER"),
    ("stop_reason", "TEXT"),
    ("spectral_radius", "REAL"),
    ("dominant_re", "REAL"),
    ("dominant_im", "REAL"),
    ("dominant_class", "TEXT"),
    ("bulk_radius", "REAL"),
    ("inner_radius", "REAL"),
    ("bulk_shape", "TEXT"),
    ("n_outliers", "INTEGER"),
    ("spectral_radius_init", "REAL"),
    ("bulk_radius_init", "REAL"),
    ("inner_radius_init", "REAL"),
    ("eigenvalues", "TEXT"),        # JSON [[re, im], ...] of the trained W_rec
    ("eigenvalues_init", "TEXT"),
    ("degradation", "TEXT"),        # JSON, when recorded
    ("wall_time", "REAL"),          # seconds in the worker (training + measurements)
    ("train_time", "REAL"),         # seconds of training (TrainResult.wall_time)
    ("started_utc", "TEXT"),
    ("finished_utc", "TEXT"),
    ("worker", "TEXT"),             # JSON: host, pid, Numba and BLAS threads
    ("coordinator", "TEXT"),        # host:pid of the coordinator that ran the point
)
COLUMNS = tuple(c for c, _ in _COLUMNS)
_RESULT_COLUMNS = COLUMNS[COLUMNS.index("status"):]


class ResultsDB:
    """The SQLite results database of a study (one row per point).

    Parameters
    ----------
    path : str or path-like
        The database file (created if missing).
    timeout : float
        Seconds to wait for a lock held by another connection before failing.
    readonly : bool
        Open for reading only (``purernn report``); the file must exist.

    Raises
    ------
    ResultsDBError
        The file is not a SQLite database, is corrupt, is locked by another process, or
        holds a table with another layout; the message names the file.

    Notes
    -----
    WAL journal mode, so readers (a report) never block the coordinator. Rows are
    written with an upsert on the UNIQUE point id: a point appears once whatever happens.
    """

    def __init__(self, path, *, timeout: float = 10.0, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        if readonly and not self.path.is_file():
            raise ResultsDBError(f"{str(self.path)!r}: no results database there (run purernn sweep first)")
        try:
            if readonly:
                uri = self.path.resolve().as_uri() + "?mode=ro"
                self._con = sqlite3.connect(uri, uri=True, timeout=timeout)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._con = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as err:
            raise self._error(err) from err
        self._con.row_factory = sqlite3.Row
        try:
            self._setup()
        except sqlite3.Error as err:
            self._con.close()
            raise self._error(err) from err

    def _error(self, err: Exception) -> ResultsDBError:
        msg = str(err)
        hint = ""
        if "locked" in msg or "busy" in msg:
            hint = (" Another process holds a lock on it: is another sweep of this study "
                    "running? Wait for it or stop it.")
        elif "not a database" in msg or "malformed" in msg or "corrupt" in msg:
            hint = (" The file is corrupt or not a purernn results database. The run "
                    "directories next to it are intact: move the file away and sweep again "
                    "to rebuild the rows from them without retraining.")
        return ResultsDBError(f"{str(self.path)!r}: {msg}.{hint}")

    def _setup(self) -> None:
        con = self._con
        ok = con.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed ({ok})")
        if self.readonly:
            self._check_layout()
            return
        mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            logger.warning("%s: WAL mode unavailable (journal mode %s)", self.path, mode)
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("BEGIN IMMEDIATE")
        try:
            cols = ",\n  ".join(f"{c} {t}" for c, t in _COLUMNS)
            con.execute(f"CREATE TABLE IF NOT EXISTS points (\n  {cols}\n)")
            con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self._check_layout()

    def _check_layout(self) -> None:
        have = [r[1] for r in self._con.execute("PRAGMA table_info(points)")]
        if have != list(COLUMNS):
            raise ResultsDBError(
                f"{str(self.path)!r}: the table 'points' does not have the purernn layout "
                f"(schema {SCHEMA_VERSION}); got columns {have}")

    # -- access ---------------------------------------------------------------------

    def close(self) -> None:
        self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _exec(self, sql: str, params=(), *, many: bool = False):
        try:
            if many:
                with self._transaction():
                    return self._con.executemany(sql, params)
            return self._con.execute(sql, params)
        except sqlite3.Error as err:
            raise self._error(err) from err

    @contextlib.contextmanager
    def _transaction(self):
        self._con.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")

    def add_points(self, points, run_root: str = RUNS_DIR) -> int:
        """Insert the points that are not in the table yet (status 'pending')."""
        rows = []
        for p in points:
            net, train = p.config["network"], p.config["train"]
            init = net.get("init")
            rows.append((p.point_id, p.index, p.config["task"]["name"],
                         init if isinstance(init, str) else "user", net.get("gain"), net.get("dale"),
                         net["n_rec"], train["seed"], canonical_json(p.condition), p.label,
                         canonical_json(p.config), "pending", f"{run_root}/{p.point_id}"))
        before = self.count()
        self._exec("INSERT INTO points (point_id, idx, task, init, gain, dale, n_rec, seed, "
                   "condition, label, config, status, run_dir) VALUES "
                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(point_id) DO NOTHING",
                   rows, many=True)
        return self.count() - before

    def count(self, status: str | None = None) -> int:
        if status is None:
            return int(self._exec("SELECT COUNT(*) FROM points").fetchone()[0])
        return int(self._exec("SELECT COUNT(*) FROM points WHERE status = ?", (status,)).fetchone()[0])

    def counts(self) -> dict:
        """Number of rows per status."""
        rows = self._exec("SELECT status, COUNT(*) FROM points GROUP BY status").fetchall()
        return {r[0]: int(r[1]) for r in rows}

    def status(self, ids) -> dict:
        """point_id -> status for the given ids (missing ids are absent)."""
        out = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = "SELECT point_id, status FROM points WHERE point_id IN (%s)" % ",".join("?" * len(chunk))
            out.update({r[0]: r[1] for r in self._exec(q, chunk)})
        return out

    def reset_running(self) -> int:
        """Rows left 'running' by a coordinator that died -> 'pending'. Returns their number."""
        cur = self._exec("UPDATE points SET status = 'pending' WHERE status = 'running'")
        return cur.rowcount

    def mark_running(self, ids, coordinator: str) -> None:
        self._exec("UPDATE points SET status = 'running', coordinator = ?, attempts = attempts + 1 "
                   "WHERE point_id = ?", [(coordinator, i) for i in ids], many=True)

    def mark_pending(self, ids) -> None:
        self._exec("UPDATE points SET status = 'pending' WHERE point_id = ? AND status = 'running'",
                   [(i,) for i in ids], many=True)

    def record(self, row: dict) -> None:
        """Write a point's result (upsert on its id; only result columns change)."""
        unknown = set(row) - set(_RESULT_COLUMNS) - {"point_id"}
        if unknown:
            raise ValueError(f"unknown result columns {sorted(unknown)}")
        if row.get("status") not in ("done", "failed"):
            raise ValueError(f"a result row needs status 'done' or 'failed'; got {row.get('status')!r}")
        cols = [c for c in _RESULT_COLUMNS if c in row and c != "attempts"]
        vals = [_sql_value(row[c]) for c in cols]
        sets = ", ".join(f"{c} = excluded.{c}" for c in cols)
        self._exec(f"INSERT INTO points (point_id, {', '.join(cols)}) "
                   f"VALUES (?, {', '.join('?' * len(cols))}) "
                   f"ON CONFLICT(point_id) DO UPDATE SET {sets}",
                   (row["point_id"], *vals))

    def set_meta(self, key: str, value) -> None:
        self._exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                   "SET value = excluded.value", (key, canonical_json(value)))

    def get_meta(self, key: str, default=None):
        row = self._exec("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def rows(self, status: str | None = None) -> list:
        """All rows (as dicts, in grid order), optionally only those with `status`."""
        if status is None:
            cur = self._exec("SELECT * FROM points ORDER BY idx, point_id")
        else:
            cur = self._exec("SELECT * FROM points WHERE status = ? ORDER BY idx, point_id", (status,))
        return [dict(r) for r in cur.fetchall()]


def _sql_value(v):
    if isinstance(v, (dict, list, tuple)):
        return canonical_json(v)
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


# =======================================================================================
# The worker: one point
# =======================================================================================


def _limit_threads() -> dict:
    """One Numba and one BLAS thread in this process; returns what is in force."""
    info = {"host": socket.gethostname(), "pid": os.getpid(),
            "env": {k: os.environ.get(k) for k in THREAD_ENV}}
    try:
        import numba

        if numba.get_num_threads() != 1:
            numba.set_num_threads(1)
        info["numba_threads"] = int(numba.get_num_threads())
    except Exception as err:  # noqa: BLE001 - diagnostics only
        info["numba_threads"] = f"unknown ({err})"
    try:
        import threadpoolctl

        # what the environment gave at import (THREAD_ENV took effect iff this is [1])
        info["blas_threads_at_start"] = sorted({int(p["num_threads"]) for p in threadpoolctl.threadpool_info()})
        threadpoolctl.threadpool_limits(limits=1)
        info["blas_threads"] = sorted({int(p["num_threads"]) for p in threadpoolctl.threadpool_info()})
    except ImportError:
        info["blas_threads"] = "unknown (threadpoolctl not installed)"
    return info


def _init_worker() -> None:
    """Process-pool initializer (the pool is started with THREAD_ENV in the environment).

    Also starts a watchdog that ends this worker when its coordinator dies: an idle
    worker would otherwise wait on its task queue forever (it holds that pipe's write end
    itself, so it never sees end-of-file), and a busy one would finish a point that the
    next coordinator runs again. Training writes only atomic checkpoints, so ending a
    worker at any moment leaves a run directory that the next attempt resumes.
    """
    import threading

    _limit_threads()
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="purernn-orphan-watchdog", daemon=True).start()


@contextlib.contextmanager
def _run_dir_lock(run_dir: Path):
    """Exclusive lock on a run directory, so a leftover worker and a new one never
    write it together (the second waits, then finds the run complete)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(run_dir / ".sweep.lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _utc_now() -> str:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _complex_pairs(z) -> list:
    return [[float(v.real), float(v.imag)] for v in z]


def _train_or_resume(run_dir: Path, config: dict) -> tuple:
    """The TrainResult of a point: load a complete run, resume an interrupted one, or
    train from scratch. Returns (result, how)."""
    from . import runs, tasks
    from .errors import RunFileError
    from .model import Network
    from .train import TrainConfig, train

    status = None
    if (run_dir / runs.RUN_JSON).exists():
        try:
            status = runs.read_run_json(run_dir)["status"]
        except RunFileError as err:
            logger.warning("%s: unreadable run (%s); training again", run_dir, err)
    if status == "complete":
        try:
            return runs.load_run(run_dir), "loaded"
        except RunFileError as err:
            logger.warning("%s: %s; training again", run_dir, err)
    elif status in ("running", "interrupted"):
        try:
            return runs.resume(run_dir, progress=False), "resumed"
        except RunFileError as err:
            logger.warning("%s: cannot resume (%s); training again", run_dir, err)
    task_d = dict(config["task"])
    task = tasks.make(task_d.pop("name"), **task_d)
    kw = dict(config["network"])
    n_rec = kw.pop("n_rec")
    cfg = TrainConfig.from_dict(config["train"])
    from .train import stream_rng

    net = Network.create(task.n_in, n_rec, task.n_out, seed=stream_rng(cfg.seed, "init"), **kw)
    result = train(net, task, cfg, progress=False, run_dir=run_dir, overwrite=True)
    return result, "trained"


def _degradation(net, task, options: dict, seed: int):
    """Accuracy vs fraction removed, through :func:`purernn.analysis.degradation`."""
    from . import analysis

    fn = getattr(analysis, "degradation", None)
    if fn is None:
        raise PurernnError("record.degradation needs purernn.analysis.degradation, which this "
                           "version of purernn does not have")
    import numpy as np

    res = fn(net, task, rng=np.random.default_rng([seed, _EVAL_KEY, 1]), **options)
    return {"mode": str(res.mode), "fractions": [float(f) for f in res.fractions],
            "accuracy": np.asarray(res.accuracy, dtype=float).tolist(),  # (n_fractions, n_draws)
            "baseline": float(res.baseline), "n_trials": int(res.n_trials)}


def run_point(spec: dict) -> dict:
    """Train one point and measure it; runs in a worker process (pool or Dask).

    Parameters
    ----------
    spec : dict
        ``{"point_id", "config", "run_dir" (absolute), "record"}``.

    Returns
    -------
    dict
        The point's result row (columns of the results table). Errors do not raise:
        they give ``status = "failed"`` and the error text. A training stopped by Ctrl-C
        gives ``status = "interrupted"`` (not recorded; the point stays pending).

    Notes
    -----
    A run directory left by an earlier attempt is reused: a complete run is loaded (no
    retraining), an interrupted one resumed from its checkpoint (bitwise the same
    result as an uninterrupted run), anything else trained again.
    """
    import numpy as np

    t0 = time.perf_counter()
    started = _utc_now()
    worker = _limit_threads()
    row = {"point_id": spec["point_id"], "started_utc": started}
    try:
        from . import tasks
        from .analysis import spectrum
        from .train import evaluate

        run_dir = Path(spec["run_dir"])
        config = spec["config"]
        record = spec["record"]
        with _run_dir_lock(run_dir):
            result, how = _train_or_resume(run_dir, config)
        worker["how"] = how
        if result.stop_reason == "interrupted":
            # Ctrl-C reached the worker too: training saved a checkpoint; the point stays
            # pending and the next sweep resumes it
            row.update(status="interrupted", worker=worker)
            return row
        seed = int(config["train"]["seed"])
        task_d = dict(config["task"])
        task = tasks.make(task_d.pop("name"), **task_d)
        ev = evaluate(result.net, task, n_trials=int(record["evaluate_trials"]),
                      rng=np.random.default_rng([seed, _EVAL_KEY]))
        spec_t = spectrum(result.net.params["W_rec"])
        spec_0 = spectrum(result.net_init.params["W_rec"])
        dom = spec_t.dominant[0]
        row.update(
            status="done", error=None,
            accuracy=ev.accuracy, loss=ev.loss,
            val_accuracy=result.val_accuracy, val_loss=result.val_loss,
            target_accuracy=result.target_accuracy, reached_criterion=bool(ev.accuracy >= result.target_accuracy),
            n_steps=result.n_steps, stop_reason=result.stop_reason,
            spectral_radius=spec_t.radius, dominant_re=float(dom.real), dominant_im=abs(float(dom.imag)),
            dominant_class=spec_t.dominant_class, bulk_radius=spec_t.bulk_radius,
            inner_radius=spec_t.inner_radius, bulk_shape=spec_t.shape, n_outliers=spec_t.n_outliers,
            spectral_radius_init=spec_0.radius, bulk_radius_init=spec_0.bulk_radius,
            inner_radius_init=spec_0.inner_radius,
            train_time=result.wall_time,
        )
        if record.get("eigenvalues", True):
            row["eigenvalues"] = _complex_pairs(spec_t.eigenvalues)
            row["eigenvalues_init"] = _complex_pairs(spec_0.eigenvalues)
        if record.get("degradation"):
            row["degradation"] = _degradation(result.net, task, dict(record["degradation"]), seed)
    except Exception as err:  # noqa: BLE001 - a failed point is a row, not a crash
        logger.warning("point %s failed: %s", spec["point_id"], err)
        row.update(status="failed", error=f"{type(err).__name__}: {err}\n"
                   + "".join(traceback.format_exception(err)[-3:]))
    row["wall_time"] = time.perf_counter() - t0
    row["finished_utc"] = _utc_now()
    row["worker"] = worker
    return row


# =======================================================================================
# Backends
# =======================================================================================


@contextlib.contextmanager
def _thread_env():
    """THREAD_ENV in os.environ while worker processes are spawned (they inherit it and
    read it when they import NumPy and Numba, before any code of ours runs)."""
    old = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update(THREAD_ENV)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class ProcessPoolBackend:
    """Run points on a local ``concurrent.futures.ProcessPoolExecutor``.

    Parameters
    ----------
    workers : int or None
        Number of worker processes (default: the number of cores).
    max_crashes : int
        A point whose worker died this many times (killed, out of memory) is marked
        failed instead of being retried.
    worker_fn : callable, optional
        What each worker runs for a point (default :func:`run_point`); a module-level
        function, so that spawned workers can import it.

    Notes
    -----
    Workers are started with the ``spawn`` method, with :data:`THREAD_ENV` in their
    environment, so each uses one Numba and one BLAS thread (checked in each worker and
    recorded in the row's ``worker`` column). A killed worker breaks the pool
    (``BrokenProcessPool``): the points it was running or had queued are resubmitted to
    a new pool. Each worker ends itself when its coordinator dies (a watchdog thread).
    """

    name = "process-pool"

    def __init__(self, workers: int | None = None, max_crashes: int = 2, *, worker_fn=None):
        self.workers = (os.cpu_count() or 1) if workers is None else check_int("workers", workers, lo=1)
        self.max_crashes = check_int("max_crashes", max_crashes, lo=1)
        self.worker_fn = run_point if worker_fn is None else worker_fn

    def describe(self) -> str:
        return f"local process pool, {self.workers} worker(s)"

    def run(self, specs: list):
        """Yield (spec, row) for every spec as the points finish."""
        with _thread_env():  # workers are spawned lazily, at submit: keep it all along
            yield from self._run(specs)

    def _run(self, specs: list):
        import concurrent.futures as cf
        import multiprocessing
        from concurrent.futures.process import BrokenProcessPool

        crashes: dict = {}
        todo = list(specs)
        while todo:
            pool = cf.ProcessPoolExecutor(max_workers=min(self.workers, len(todo)),
                                          mp_context=multiprocessing.get_context("spawn"),
                                          initializer=_init_worker)
            broken = []
            finished = False
            try:
                futures = {pool.submit(self.worker_fn, s): s for s in todo}
                for fut in cf.as_completed(futures):
                    spec = futures[fut]
                    try:
                        row = fut.result()
                    except BrokenProcessPool:
                        broken.append(spec)
                        continue
                    except Exception as err:  # noqa: BLE001 - e.g. a result that cannot be pickled
                        row = _failed_row(spec, f"{type(err).__name__}: {err}")
                    yield spec, row
                finished = True
            finally:
                if not finished:
                    # Ctrl-C or an error in the coordinator: stop the points under way
                    # now (queued ones would otherwise start); their run directories keep
                    # the last checkpoint, which the next sweep resumes
                    for proc in list((getattr(pool, "_processes", None) or {}).values()):
                        proc.terminate()
                pool.shutdown(wait=True, cancel_futures=True)
            todo = []
            if broken:
                logger.warning("a worker process died; %d point(s) are run again", len(broken))
            for spec in broken:
                n = crashes[spec["point_id"]] = crashes.get(spec["point_id"], 0) + 1
                if n >= self.max_crashes:
                    yield spec, _failed_row(spec, f"WorkerDied: the worker process died {n} times "
                                                  "while this point was running or queued (killed, "
                                                  "or out of memory)")
                else:
                    todo.append(spec)


class DaskBackend:
    """Run points on a Dask distributed cluster (optional extra ``purernn[cluster]``).

    Parameters
    ----------
    scheduler : str or dask.distributed.Client
        ``"HOST:PORT"`` (or ``"tcp://HOST:PORT"``) of a running scheduler,
        ``"local-dask"`` for a LocalCluster of `workers` single-threaded processes on
        this machine, or a connected Client.
    workers : int or None
        Workers of the local cluster (default: the number of cores).

    Notes
    -----
    The workers must see the study directory at the same path (a shared file system)
    and have purernn installed. Dask retries a point whose worker died (its
    ``allowed-failures`` setting); a point that kills workers repeatedly comes back as
    ``KilledWorker`` and is marked failed. Dask's nannies start workers with one
    OpenMP / BLAS thread; :func:`run_point` also limits Numba and BLAS to one thread.
    """

    name = "dask"

    def __init__(self, scheduler, workers: int | None = None):
        self.scheduler = scheduler
        self.workers = (os.cpu_count() or 1) if workers is None else check_int("workers", workers, lo=1)

    def describe(self) -> str:
        s = self.scheduler if isinstance(self.scheduler, str) else "given client"
        return f"Dask ({s})"

    @contextlib.contextmanager
    def _client(self):
        try:
            import distributed
        except ImportError as err:
            raise PurernnError(
                "the Dask backend needs dask.distributed, which is not installed. Install the "
                "optional extra: pip install 'purernn[cluster]' (or run without --scheduler to "
                "use the local process pool)") from err
        if not isinstance(self.scheduler, str):
            yield self.scheduler
            return
        if self.scheduler == "local-dask":
            with _thread_env():
                cluster = distributed.LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address=None)
            try:
                with distributed.Client(cluster) as client:
                    yield client
            finally:
                cluster.close()
            return
        addr = self.scheduler if "://" in self.scheduler else f"tcp://{self.scheduler}"
        with distributed.Client(addr, timeout="30s") as client:
            yield client

    def run(self, specs: list):
        """Yield (spec, row) for every spec as the points finish."""
        with self._client() as client:
            from distributed import as_completed

            futures = {}
            for s in specs:
                fut = client.submit(run_point, s, key=f"purernn-point-{s['point_id']}", pure=False)
                futures[fut] = s
            try:
                for fut in as_completed(list(futures)):
                    spec = futures[fut]
                    try:
                        row = fut.result()
                    except Exception as err:  # noqa: BLE001 - KilledWorker, lost data, ...
                        row = _failed_row(spec, f"{type(err).__name__}: {err}")
                    yield spec, row
            finally:
                client.cancel(list(futures))


def _failed_row(spec: dict, error: str) -> dict:
    return {"point_id": spec["point_id"], "status": "failed", "error": error,
            "finished_utc": _utc_now()}


def make_backend(*, workers=None, scheduler=None):
    """The backend for the CLI options: a process pool, or Dask when `scheduler` is set."""
    if scheduler is None:
        return ProcessPoolBackend(workers)
    if isinstance(scheduler, str) and scheduler != "local-dask":
        host, _, port = scheduler.rpartition("://")[2].rpartition(":")
        if not host or not port.isdigit():
            fail("scheduler", "'HOST:PORT' of a Dask scheduler or 'local-dask'", scheduler)
    return DaskBackend(scheduler, workers)


# =======================================================================================
# The coordinator
# =======================================================================================


@dataclass(frozen=True)
class SweepSummary:
    """What :func:`sweep` did.

    Attributes
    ----------
    study_dir : pathlib.Path
    n_points : int
        Points of the study.
    n_skipped : int
        Points already done (or failed, without ``retry_failed``) before this sweep.
    n_run : int
        Points run by this sweep.
    n_done, n_failed : int
        Rows of the study's points with each status after the sweep.
    n_reset : int
        Rows left 'running' by a coordinator that died, run again.
    wall_time : float
        Seconds.
    backend : str
    """

    study_dir: Path
    n_points: int
    n_skipped: int
    n_run: int
    n_done: int
    n_failed: int
    n_reset: int
    wall_time: float
    backend: str

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.n_run / self.wall_time if self.wall_time > 0 else math.nan


@contextlib.contextmanager
def coordinator_lock(study_dir: Path):
    """Exclusive lock of a study directory: one coordinator at a time. Released by the
    OS when the coordinator dies, so rows it left 'running' are known to be stale."""
    study_dir.mkdir(parents=True, exist_ok=True)
    path = study_dir / LOCK_FILE
    try:
        import fcntl
    except ImportError:
        yield
        return
    f = open(path, "a+")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            owner = f.read().strip() or "unknown"
            raise ResultsDBError(f"{str(path)!r}: the study directory is being swept by another "
                                 f"coordinator ({owner}); wait for it to finish or stop it") from None
        f.seek(0)
        f.truncate()
        f.write(f"{socket.gethostname()}:{os.getpid()}\n")
        f.flush()
        yield
    finally:
        f.close()


def default_study_dir(study_file) -> Path:
    """``studies/init.toml`` -> ``studies/init``."""
    p = Path(study_file)
    return p.with_suffix("") if p.suffix else p.with_name(p.name + ".study")


def sweep(study, study_dir=None, *, backend=None, workers: int | None = None, scheduler=None,
          retry_failed: bool = False, progress: bool = True, limit: int | None = None) -> SweepSummary:
    """Run every point of a study that is not done yet, and record the results.

    Parameters
    ----------
    study : str, path-like or Study
        A study file, a study directory (its ``study.toml``) or a parsed study.
    study_dir : str or path-like, optional
        Where the database and the run directories go. Default: the study file's path
        without its suffix (``studies/init.toml`` -> ``studies/init/``).
    backend : ProcessPoolBackend or DaskBackend, optional
        Default: :func:`make_backend` (`workers`, `scheduler`).
    workers : int, optional
        Worker processes (default: the number of cores).
    scheduler : str, optional
        ``"HOST:PORT"`` of a Dask scheduler, or ``"local-dask"``.
    retry_failed : bool
        Also run the points that failed before.
    progress : bool
        A tqdm bar over points, with an ETA.
    limit : int, optional
        Run at most this many points (the first ones in run order, see below), e.g. for a
        trial.

    Points run realization by realization: the first seed of every condition, then the
    second, and so on (grid order within a seed). A study stopped half-way therefore has
    the same number of realizations, give or take one, in every condition.

    Returns
    -------
    SweepSummary

    Raises
    ------
    ValidationError
        Invalid study file.
    ResultsDBError
        The database is corrupt or locked, or another coordinator is sweeping the same
        study directory.

    Notes
    -----
    Points already 'done' are skipped; 'failed' ones are skipped unless
    `retry_failed`. Rows left 'running' by a coordinator that died are run again: the
    coordinator holds an exclusive lock on the study directory while it works, so at
    start any 'running' row is stale. Each row is keyed by its point id (UNIQUE, upsert),
    so nothing is duplicated; a run directory left by a killed worker is resumed from its
    checkpoint or, if complete, just measured.
    """
    from tqdm.auto import tqdm

    if not isinstance(study, Study):
        src = Path(study)
        if study_dir is None:
            study_dir = src if src.is_dir() else default_study_dir(src)
        study = load_study(src)
    elif study_dir is None:
        fail("study_dir", "given when `study` is a parsed Study", None)
    study_dir = Path(study_dir)
    backend = backend or make_backend(workers=workers, scheduler=scheduler)
    if limit is not None:
        limit = check_int("limit", limit, lo=0)
    t0 = time.perf_counter()
    me = f"{socket.gethostname()}:{os.getpid()}"
    with coordinator_lock(study_dir), ResultsDB(study_dir / DB_FILE) as db:
        _write_study_copy(study_dir, study)
        n_reset = db.reset_running()
        if n_reset:
            logger.warning("%d point(s) left 'running' by a coordinator that died: running them again",
                           n_reset)
        db.add_points(study.points)
        # what this sweep resolved the study to: a report redraws exactly these points,
        # even after a library upgrade changes a default (and with it the point ids)
        db.set_meta("points", [p.point_id for p in study.points])
        db.set_meta("study_name", study.name)
        status = db.status(p.point_id for p in study.points)
        wanted = ("pending", "failed") if retry_failed else ("pending",)
        todo = run_order([p for p in study.points if status.get(p.point_id) in wanted],
                         study.grid["seed"])
        n_skipped = len(study.points) - len(todo)
        if limit is not None:
            todo = todo[:limit]
        logger.info("study %s: %d points, %d to run, %d skipped, on %s", study.name,
                    len(study.points), len(todo), n_skipped, backend.describe())
        specs = [{"point_id": p.point_id, "config": p.config,
                  "run_dir": str((study_dir / RUNS_DIR / p.point_id).resolve()),
                  "record": study.record} for p in todo]
        pending = {s["point_id"] for s in specs}
        n_run = 0
        bar = tqdm(total=len(specs), disable=not progress, desc=study.name, unit="run",
                   dynamic_ncols=True)
        try:
            if specs:
                db.mark_running(list(pending), me)
            for spec, row in backend.run(specs):
                if row["status"] == "interrupted":
                    continue  # left pending (below); resumed from its checkpoint next time
                row["coordinator"] = me
                db.record(row)
                pending.discard(spec["point_id"])
                n_run += 1
                bar.update(1)
                if row["status"] == "failed":
                    logger.warning("point %s failed: %s", spec["point_id"],
                                   (row.get("error") or "").splitlines()[0])
        finally:
            bar.close()
            if pending:  # interrupted: these can run next time
                with contextlib.suppress(ResultsDBError):
                    db.mark_pending(list(pending))
        final = db.status(p.point_id for p in study.points)
    vals = list(final.values())
    return SweepSummary(study_dir=study_dir, n_points=len(study.points), n_skipped=n_skipped,
                        n_run=n_run, n_done=vals.count("done"), n_failed=vals.count("failed"),
                        n_reset=n_reset, wall_time=time.perf_counter() - t0,
                        backend=backend.describe())


def _write_study_copy(study_dir: Path, study: Study) -> None:
    path = study_dir / STUDY_FILE
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if old == study.source:
            return
        logger.warning("%s differs from the study being swept; replacing it (rows of the old "
                       "points stay in the database)", path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(study.source, encoding="utf-8")
    os.replace(tmp, path)


def rows_for_study(study_dir) -> list:
    """Rows of the points of a study directory's last sweep (read-only).

    The point ids the last sweep resolved the study to are recorded in the database, so
    the rows are those of that sweep even if a newer purernn resolves the study file to
    other points (a changed default changes the ids, and a new sweep would train them).
    """
    study_dir = Path(study_dir)
    with ResultsDB(study_dir / DB_FILE, readonly=True) as db:
        rows = db.rows()
        ids = db.get_meta("points")
    if ids is None and (study_dir / STUDY_FILE).exists():
        ids = [p.point_id for p in load_study(study_dir / STUDY_FILE).points]
    if ids is not None:
        ids = set(ids)
        rows = [r for r in rows if r["point_id"] in ids]
    return rows


# =======================================================================================
# Command line (hooked into purernn.cli)
# =======================================================================================


def add_sweep_commands(subparsers, commands: dict | None = None) -> None:
    """Add ``sweep`` and ``report`` to the ``purernn`` command line.

    Parameters
    ----------
    subparsers
        From ``parser.add_subparsers()``. Each command stores its handler as
        ``args.func``; it takes the parsed arguments and returns an exit code.
    commands : dict, optional
        A command-name -> handler table (``purernn.cli.COMMANDS``) to register the two
        handlers in as well.
    """
    if commands is not None:
        commands["sweep"] = _cmd_sweep
        commands["report"] = _cmd_report
    p = subparsers.add_parser(
        "sweep", help="train every point of a study grid (resumable; process pool or Dask)",
        description="Train every point of a study (TOML grid) not done yet; results go to "
                    "STUDY_DIR/results.sqlite and one run directory per point.")
    p.add_argument("study", help="study file (TOML) or an existing study directory")
    p.add_argument("--dir", dest="study_dir", default=None,
                   help="study directory (default: the study file's path without .toml)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument("--scheduler", default=None,
                   help="HOST:PORT of a Dask scheduler, or 'local-dask' (needs purernn[cluster])")
    p.add_argument("--retry-failed", action="store_true", help="run failed points again")
    p.add_argument("--limit", type=int, default=None, help="run at most this many points")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sweep)

    r = subparsers.add_parser(
        "report", help="tables and figures of a study directory",
        description="Success rates per condition, spectra and degradation of a study's "
                    "realizations, from its results database (no training).")
    r.add_argument("study_dir", help="study directory (holds results.sqlite)")
    r.add_argument("--out", default=None, help="output directory (default: STUDY_DIR/report)")
    r.add_argument("--format", choices=("markdown", "text"), default="markdown",
                   help="table format printed and written to report.md / report.txt")
    r.add_argument("--no-figures", action="store_true", help="tables only")
    r.set_defaults(func=_cmd_report)


def _cmd_sweep(args) -> int:
    summary = sweep(args.study, args.study_dir, workers=args.workers, scheduler=args.scheduler,
                    retry_failed=args.retry_failed, progress=not args.quiet, limit=args.limit)
    print(f"{summary.study_dir}: {summary.n_points} points, {summary.n_run} run now "
          f"({summary.runs_per_minute:.2f} runs/min on {summary.backend}), {summary.n_skipped} "
          f"skipped; {summary.n_done} done, {summary.n_failed} failed")
    return 0 if summary.n_failed == 0 else 1


def _cmd_report(args) -> int:
    from .report import report

    rep = report(args.study_dir, out=args.out, fmt=args.format, figures=not args.no_figures)
    print(rep.text)
    print(f"written to {rep.out}")
    return 0
