"""The results database of a study: one SQLite row per point.

The table ``points`` has one row per point, keyed by its UNIQUE point id, written with
upserts so that nothing is ever duplicated; the table ``meta`` holds the schema version
and what the last sweep resolved the study to. The database is in WAL mode (readers
never block the coordinator) and only the coordinating process writes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sqlite3
from pathlib import Path

from ..errors import PurernnError
from .study import DB_FILE, RUNS_DIR, STUDY_FILE, canonical_json, load_study

__all__ = ["SCHEMA_VERSION", "COLUMNS", "TIMING_COLUMNS", "ResultsDBError", "ResultsDB", "rows_for_study"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1

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
#: Column names of the table ``points``, in order.
COLUMNS = tuple(c for c, _ in _COLUMNS)
_RESULT_COLUMNS = COLUMNS[COLUMNS.index("status"):]
#: Columns that depend on when and where a point ran (left out when comparing backends).
TIMING_COLUMNS = ("wall_time", "train_time", "started_utc", "finished_utc", "worker", "coordinator")


class ResultsDBError(PurernnError, OSError):
    """A results database (or a study directory) that is corrupt, locked or in use."""


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
    """A result value as SQLite stores it: JSON text for containers, NULL for NaN and inf."""
    if isinstance(v, (dict, list, tuple)):
        return canonical_json(v)
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


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
