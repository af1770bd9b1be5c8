"""The results database: its schema (old files must keep opening), upserts, bad files."""

import shutil
import sqlite3
import struct

import numpy as np
import pytest

from purernn.errors import PurernnError
from purernn.sweep import DB_FILE, ResultsDB, ResultsDBError, check_row, parse_study, report, rows_for_study

from .helpers import fixture_study, tiny_text

# The table every results.sqlite written so far has (schema version 1). ResultsDB
# refuses a table with other columns, so changing the layout breaks existing studies.
SCHEMA_1 = """CREATE TABLE points (
  point_id TEXT PRIMARY KEY,
  idx INTEGER,
  task TEXT,
  init TEXT,
  gain REAL,
  dale REAL,
  n_rec INTEGER,
  seed INTEGER,
  condition TEXT,
  label TEXT,
  config TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_dir TEXT,
  accuracy REAL,
  val_accuracy REAL,
  loss REAL,
  val_loss REAL,
  target_accuracy REAL,
  reached_criterion INTEGER,
  n_steps INTEGER,
  stop_reason TEXT,
  spectral_radius REAL,
  dominant_re REAL,
  dominant_im REAL,
  dominant_class TEXT,
  bulk_radius REAL,
  inner_radius REAL,
  bulk_shape TEXT,
  n_outliers INTEGER,
  spectral_radius_init REAL,
  bulk_radius_init REAL,
  inner_radius_init REAL,
  eigenvalues TEXT,
  eigenvalues_init TEXT,
  degradation TEXT,
  wall_time REAL,
  train_time REAL,
  started_utc TEXT,
  finished_utc TEXT,
  worker TEXT,
  coordinator TEXT
)"""
META_1 = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)"


def _schema(path) -> dict:
    con = sqlite3.connect(path)
    try:
        return dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    finally:
        con.close()


def test_schema_is_unchanged_and_an_old_database_opens(tmp_path):
    new = tmp_path / "new.sqlite"
    ResultsDB(new).close()
    assert _schema(new) == {"points": SCHEMA_1, "meta": META_1}
    with ResultsDB(new) as db:
        assert db.get_meta("schema_version") == 1

    # a database as an earlier purernn left it, with one finished row
    old = tmp_path / "old.sqlite"
    con = sqlite3.connect(old)
    con.executescript(f"{SCHEMA_1};\n{META_1};\nINSERT INTO meta VALUES ('schema_version', '1');\n"
                      "INSERT INTO points (point_id, idx, status, accuracy, eigenvalues) VALUES "
                      "('abc', 0, 'done', 0.75, '[[0.5,0.0]]');")
    con.close()
    with ResultsDB(old, readonly=True) as db:
        (row,) = db.rows()
    assert (row["point_id"], row["status"], row["accuracy"], row["attempts"]) == ("abc", "done", 0.75, 0)


def test_rows_are_upserted_once_per_point(tmp_path):
    study = parse_study(tiny_text(n_seeds=2))
    with ResultsDB(tmp_path / DB_FILE) as db:
        assert db.add_points(study.points) == 4
        assert db.add_points(study.points) == 0  # already there: nothing duplicated
        ids = [p.point_id for p in study.points]
        db.mark_running(ids[:2], "host:1")
        assert db.counts() == {"pending": 2, "running": 2}
        db.record({"point_id": ids[0], "status": "done", "accuracy": float("nan"), "eigenvalues": [[1.0, 0.0]],
                   "reached_criterion": True})
        db.record({"point_id": ids[0], "status": "done", "accuracy": 0.5})  # a rerun replaces
        db.mark_pending(ids[:2])  # only the row still running goes back
        assert db.status(ids) == {ids[0]: "done", ids[1]: "pending", ids[2]: "pending", ids[3]: "pending"}
        db.mark_running(ids[1:3], "host:1")
        assert db.reset_running() == 2 and db.count("pending") == 3
        row = db.rows("done")[0]
        with pytest.raises(ValueError, match="unknown result columns"):
            db.record({"point_id": ids[0], "status": "done", "accuracyy": 1.0})
        with pytest.raises(ValueError, match="status 'done' or 'failed'"):
            db.record({"point_id": ids[0], "status": "running"})
    assert (row["accuracy"], row["eigenvalues"], row["reached_criterion"], row["attempts"]) == (0.5, "[[1.0,0.0]]", 1, 1)
    assert row["run_dir"] == f"runs/{ids[0]}" and row["label"] == "task=and, init=normal"


def test_rows_for_study_are_those_of_the_last_sweep(tmp_path):
    study = parse_study(tiny_text(n_seeds=2))
    with ResultsDB(tmp_path / DB_FILE) as db:
        db.add_points(study.points)
        db.set_meta("points", [p.point_id for p in study.points[:3]])
    assert [r["point_id"] for r in rows_for_study(tmp_path)] == [p.point_id for p in study.points[:3]]
    with pytest.raises(ResultsDBError, match="run purernn sweep first"):
        rows_for_study(tmp_path / "elsewhere")


def test_corrupt_database_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "results.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(ResultsDBError, match="results.sqlite") as err:
        ResultsDB(path)
    assert isinstance(err.value, PurernnError) and "corrupt" in str(err.value)
    with pytest.raises(ResultsDBError, match="results.sqlite"):
        ResultsDB(path, readonly=True)


def test_foreign_table_layout_is_refused(tmp_path):
    path = tmp_path / "results.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE points (a INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(ResultsDBError, match="layout"):
        ResultsDB(path)


def test_locked_database_is_a_clear_error(tmp_path):
    path = tmp_path / "results.sqlite"
    ResultsDB(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(ResultsDBError, match="results.sqlite.*locked"):
            ResultsDB(path, timeout=0.1)
    finally:
        other.execute("ROLLBACK")
        other.close()


# -- damaged files: the rebuild hint, never a raw sqlite3 error, never a wrong number --------


def _damaged_copy(study_dir, tmp_path, name, change):
    dest = tmp_path / name
    shutil.copytree(study_dir, dest)
    db = dest / DB_FILE
    db.write_bytes(change(bytearray(db.read_bytes())))
    return dest


def test_a_database_with_flipped_bytes_gets_the_rebuild_hint(tmp_path):
    study_dir = fixture_study(tmp_path)
    data = (study_dir / DB_FILE).read_bytes()

    def flip_64_in_a_config(b):
        at = data.index(b'{"network"')
        b[at:at + 64] = bytes(x ^ 0xFF for x in b[at:at + 64])  # no longer UTF-8
        return bytes(b)

    damaged = _damaged_copy(study_dir, tmp_path, "flipped", flip_64_in_a_config)
    with pytest.raises(ResultsDBError, match=r"results.sqlite.*move the file away and sweep again"):
        report(damaged, figures=False)

    # 64 bytes flipped at random places: a clear error, or (where the bytes held nothing)
    # the very same rows; never a raw sqlite3 error and never a changed value
    rng = np.random.default_rng(0)
    good = rows_for_study(study_dir)
    outcomes = set()
    for k in range(30):
        at = int(rng.integers(0, len(data) - 64))
        noise = rng.integers(1, 256, 64).astype(np.uint8)

        def flip(b, at=at, noise=noise):
            b[at:at + 64] = (np.frombuffer(bytes(b[at:at + 64]), np.uint8) ^ noise).tobytes()
            return bytes(b)

        try:
            rows = rows_for_study(_damaged_copy(study_dir, tmp_path, f"r{k}", flip))
        except ResultsDBError as err:
            assert "sweep again" in str(err), str(err)
            outcomes.add("error")
        else:
            assert rows == good, at
            outcomes.add("same")
    assert outcomes == {"error", "same"}


def test_values_read_back_are_range_checked(tmp_path):
    study_dir = fixture_study(tmp_path)

    def flip_an_exponent_bit(b):  # 0.9 -> 1.8 in one stored accuracy
        at = bytes(b).index(struct.pack(">d", 0.9))
        b[at + 1] ^= 0x10
        return bytes(b)

    damaged = _damaged_copy(study_dir, tmp_path, "bit", flip_an_exponent_bit)
    with pytest.raises(ResultsDBError, match=r"accuracy = 1.8 is outside \[0, 1\].*damaged.*sweep again"):
        report(damaged, figures=False)

    (row,) = [r for r in rows_for_study(study_dir) if r["status"] == "done"][:1]
    assert check_row(row) is None
    for change, problem in [
        ({"accuracy": 1.5}, "accuracy = 1.5 is outside"),
        ({"bulk_radius": -0.1}, "bulk_radius = -0.1 is negative"),
        ({"status": "donf"}, "status = 'donf' is not one of"),
        ({"n_steps": 2.5}, "n_steps = 2.5 is not an integer"),
        ({"eigenvalues": "[[1.2, 0.0], [0.5"}, "eigenvalues is not JSON"),
        ({"spectral_radius": 1.3}, "spectral_radius = 1.3 is not the largest modulus"),
        ({"accuracy": 0.5, "target_accuracy": 0.9, "reached_criterion": 1}, "reached_criterion = 1 disagrees"),
        ({"degradation": '{"accuracy": [[1.0, 3.0]]}'}, "degradation holds an accuracy outside"),
    ]:
        assert problem in (check_row({**row, **change}) or ""), change
