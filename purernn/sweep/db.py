"""The results database of a study: one SQLite row per point.

The table ``points`` has one row per point, keyed by its UNIQUE point id, written with
upserts so that nothing is ever duplicated; the table ``meta`` holds the schema version
and what the last sweep resolved the study to. The database is in WAL mode (readers
never block the coordinator) and only the coordinating process writes it.

Every row read back is checked (:func:`check_row`): a value no sweep writes (an accuracy
above 1, a negative radius, text that is not JSON, a spectral radius that is not the
largest modulus of the stored eigenvalues) means the file is damaged, and is reported
like a corrupt file, with the way to rebuild it from the run directories.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sqlite3
from pathlib import Path

from ..analysis.spectrum import DOMINANT_CLASSES
from ..errors import PurernnError
from .study import DB_FILE, RUNS_DIR, STUDY_FILE, canonical_json, load_study

__all__ = ["SCHEMA_VERSION", "COLUMNS", "TIMING_COLUMNS", "ResultsDBError", "ResultsDB", "check_row",
           "rows_for_study"]

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


STATUSES = ("pending", "running", "done", "failed")
REBUILD_HINT = ("The run directories next to it are intact: move the file away and sweep again to "
                "rebuild the rows from them without retraining.")


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
        except (sqlite3.Error, UnicodeDecodeError) as err:  # quick_check may quote damaged text
            self._con.close()
            raise self._error(err) from err

    def _error(self, err: Exception) -> ResultsDBError:
        msg = str(err)
        hint = ""
        if "locked" in msg or "busy" in msg:
            hint = (" Another process holds a lock on it: is another sweep of this study "
                    "running? Wait for it or stop it.")
        elif any(w in msg for w in ("not a database", "malformed", "corrupt", "decode", "JSON")):
            hint = " The file is corrupt or not a purernn results database. " + REBUILD_HINT
        elif "disk is full" in msg or "readonly" in msg or "unable to open" in msg:
            hint = " Free space or make the study directory writable, then sweep again."
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
        try:
            row = self._exec("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            return default if row is None else json.loads(row[0])
        except (sqlite3.Error, ValueError, TypeError) as err:
            raise self._error(sqlite3.DatabaseError(f"meta entry {key!r} is not readable JSON ({err}); "
                                                    "database disk image is malformed")) from err

    def rows(self, status: str | None = None) -> list:
        """All rows (as dicts, in grid order), optionally only those with `status`.

        Raises
        ------
        ResultsDBError
            A row holds a value no sweep writes (:func:`check_row`): the file is damaged.
        """
        try:
            if status is None:
                cur = self._exec("SELECT * FROM points ORDER BY idx, point_id")
            else:
                cur = self._exec("SELECT * FROM points WHERE status = ? ORDER BY idx, point_id", (status,))
            rows = [dict(r) for r in cur.fetchall()]
        except sqlite3.Error as err:  # e.g. text that is no longer UTF-8
            raise self._error(err) from err
        bad = [(r.get("point_id"), problem) for r in rows if (problem := check_row(r))]
        if bad:
            pid, problem = bad[0]
            raise ResultsDBError(
                f"{str(self.path)!r}: {len(bad)} row(s) hold values no sweep writes (point {pid!r}: "
                f"{problem}); the database is damaged. {REBUILD_HINT}")
        return rows


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


_UNIT = ("accuracy", "val_accuracy", "target_accuracy")
_NON_NEGATIVE = ("loss", "val_loss", "spectral_radius", "bulk_radius", "inner_radius", "spectral_radius_init",
                 "bulk_radius_init", "inner_radius_init", "wall_time", "train_time", "dominant_im")
_REAL = ("gain", "dale", "dominant_re")
_COUNTS = ("idx", "attempts", "n_steps", "n_outliers", "seed")
_TEXT = ("point_id", "task", "init", "label", "error", "run_dir", "stop_reason", "started_utc",
         "finished_utc", "coordinator")
_CHOICES = {"status": STATUSES, "dominant_class": DOMINANT_CLASSES, "bulk_shape": ("disk", "ring"),
            "reached_criterion": (0, 1)}


def _is_real(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _json(row: dict, col: str, kind: type):
    try:
        value = json.loads(row[col])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{col} is not JSON ({err})") from None
    if not isinstance(value, kind):
        raise ValueError(f"{col} is not a JSON {kind.__name__}")
    return value


def _pairs(row: dict, col: str) -> list:
    pairs = _json(row, col, list)
    if not all(isinstance(p, list) and len(p) == 2 and all(map(_is_real, p)) for p in pairs):
        raise ValueError(f"{col} is not a list of finite [re, im] pairs")
    return pairs


def check_row(row: dict) -> str | None:
    """What is wrong with a result row read back from the database, or None.

    Checks each value against what a sweep writes: statuses and classes from their
    lists, accuracies in [0, 1], losses, radii and times >= 0, counts as integers,
    JSON columns parseable, ``reached_criterion`` equal to ``accuracy >= target_accuracy``,
    and ``spectral_radius`` the largest modulus of the stored eigenvalues.
    """
    try:
        for col, choices in _CHOICES.items():
            if row.get(col) is not None and row[col] not in choices:
                return f"{col} = {row[col]!r} is not one of {', '.join(map(repr, choices))}"
        for col in _TEXT:
            if row.get(col) is not None and not isinstance(row[col], str):
                return f"{col} = {row[col]!r} is not text"
        for col in _UNIT + _NON_NEGATIVE + _REAL:
            v = row.get(col)
            if v is None:
                continue
            if not _is_real(v):
                return f"{col} = {v!r} is not a finite number"
            if col in _UNIT and not 0.0 <= v <= 1.0:
                return f"{col} = {v!r} is outside [0, 1]"
            if col in _NON_NEGATIVE and v < 0:
                return f"{col} = {v!r} is negative"
        for col in _COUNTS + ("n_rec",):
            v = row.get(col)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < (col == "n_rec")):
                return f"{col} = {v!r} is not an integer >= {int(col == 'n_rec')}"
        for col in ("condition", "config", "worker", "degradation"):
            if row.get(col) is not None:
                _json(row, col, dict)
        if row.get("degradation") is not None:
            acc = _json(row, "degradation", dict).get("accuracy", [])
            flat = [a for r in acc for a in (r if isinstance(r, list) else [r])]
            if not all(_is_real(a) and 0.0 <= a <= 1.0 for a in flat):
                return "degradation holds an accuracy outside [0, 1]"
        eigs = {col: _pairs(row, col) for col in ("eigenvalues", "eigenvalues_init") if row.get(col) is not None}
        if row.get("spectral_radius") is not None and eigs.get("eigenvalues"):
            largest = max(math.hypot(re, im) for re, im in eigs["eigenvalues"])
            if not math.isclose(largest, row["spectral_radius"], rel_tol=1e-9, abs_tol=1e-12):
                return (f"spectral_radius = {row['spectral_radius']!r} is not the largest modulus of "
                        f"the stored eigenvalues ({largest!r})")
        acc, target, reached = row.get("accuracy"), row.get("target_accuracy"), row.get("reached_criterion")
        if None not in (acc, target, reached) and bool(reached) != (acc >= target):
            return (f"reached_criterion = {reached!r} disagrees with accuracy {acc!r} and "
                    f"target_accuracy {target!r}")
    except ValueError as err:
        return str(err)
    return None
