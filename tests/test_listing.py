"""purernn.listing (``purernn runs DIR``): plain directories of runs and study directories."""

import json

import pytest

from purernn.errors import ValidationError
from purernn import cli
from purernn.listing import filter_rows, format_rows, list_runs, study_rows
from purernn.sweep import DB_FILE, ResultsDB, parse_study, rows_for_study

from .sweep.helpers import tiny_text


def _fake_run(path, *, task="xor", init="normal", n_rec=16, seed=3, status="complete", steps=40, acc=0.75):
    path.mkdir(parents=True)
    meta = {"format": "purernn-run", "format_version": 1, "status": status, "step": steps,
            "task": {"name": task}, "network": {"n_rec": n_rec, "init": init},
            "train": {"seed": seed}, "seed": seed}
    if status == "complete":
        meta["result"] = {"n_steps": steps, "val_accuracy": acc}
    (path / "run.json").write_text(json.dumps(meta))


def test_plain_directory_lists_nested_runs_and_survives_a_broken_one(tmp_path):
    _fake_run(tmp_path / "xor" / "seed1", seed=1, init="orthogonal")
    _fake_run(tmp_path / "xor" / "seed2", seed=2, status="interrupted", steps=10)
    _fake_run(tmp_path / "and", task="and", seed=7, acc=1.0)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("{not json")
    rows = list_runs(tmp_path)
    assert [r["run"] for r in rows] == ["and", "broken", "xor/seed1", "xor/seed2"]
    by = {r["run"]: r for r in rows}
    expected = {"task": "xor", "init": "orthogonal", "n_rec": 16, "seed": 1, "steps": 40, "accuracy": 0.75,
                "status": "complete"}
    assert {k: by["xor/seed1"][k] for k in expected} == expected
    assert by["xor/seed2"]["status"] == "interrupted" and by["xor/seed2"]["steps"] == 10
    assert by["xor/seed2"]["accuracy"] is None and by["broken"]["status"] == "unreadable"
    # find "xor, orthogonal, seed 1" without SQL
    assert [r["run"] for r in filter_rows(rows, ["task=xor", "init=orthogonal", "seed=1"])] == ["xor/seed1"]
    text = format_rows(rows)
    assert text.splitlines()[0].split() == ["run", "task", "init", "n_rec", "seed", "steps", "accuracy", "status"]
    assert "xor/seed1  xor   orthogonal  16     1     40     0.750     complete" in text
    assert "on the validation set" in text.splitlines()[-1]
    with pytest.raises(ValidationError, match="`where`"):
        filter_rows(rows, ["color=blue"])
    with pytest.raises(ValidationError, match="KEY=VALUE"):
        filter_rows(rows, ["task"])
    with pytest.raises(ValidationError, match="`path`"):
        list_runs(tmp_path / "absent")


def test_study_directory_is_listed_from_its_database_with_every_point(tmp_path, capsys):
    study = parse_study(tiny_text(n_seeds=2))
    with ResultsDB(tmp_path / DB_FILE) as db:
        db.add_points(study.points)
        first = study.points[0]
        db.record({"point_id": first.point_id, "status": "done", "accuracy": 0.9375, "val_accuracy": 1.0,
                   "n_steps": 2})
    rows = study_rows(rows_for_study(tmp_path))
    assert len(rows) == 4 and {r["status"] for r in rows} == {"done", "pending"}
    done = [r for r in rows if r["status"] == "done"]
    assert done[0]["run"] == f"runs/{first.point_id}" and done[0]["accuracy"] == 0.9375
    assert done[0]["task"] == "and" and done[0]["seed"] == first.seed and done[0]["condition"] == first.label
    assert "condition" in format_rows(rows).splitlines()[0]
    assert "fresh trials" in format_rows(rows).splitlines()[-1]
    assert len(filter_rows(rows, ["init=orthogonal", "seed=1"])) == 1
    assert cli.main(["runs", str(tmp_path), "--where", "status=done", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["point_id"] for r in listed] == [first.point_id]
