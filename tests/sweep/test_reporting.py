"""The report of a study (from its database only) and the sweep / report commands."""

import json
import math
import subprocess
import sys

import pytest

import purernn as pr
import purernn.sweep.coordinator as coordinator
from purernn import cli
from purernn.sweep import condition_table, format_table, report

from .helpers import InProcessBackend, fixture_study, write_study


def test_report_on_fixture_database(tmp_path):
    study_dir = fixture_study(tmp_path)
    rep = report(study_dir, fmt="markdown", figures=False)
    table = {e["condition"]: e for e in rep.tables["conditions"]}
    assert len(table) == 8
    first = table["task=xor, init=normal, dale=0.5, n_rec=10"]
    assert (first["n"], first["n_done"], first["success"]) == (3, 3, 2)
    assert (first["ci_low"], first["ci_high"]) == pytest.approx((0.2077, 0.9385), abs=1e-4)  # Wilson, 2 of 3
    assert first["bulk_radius"] == pytest.approx(0.8) and first["real_outside"] == 3
    failed_cond = table["task=xor, init=normal, dale=0.5, n_rec=20"]
    assert (failed_cond["n_done"], failed_cond["n_failed"]) == (2, 1)
    assert rep.tables["failed"][0]["error"] == "ConvergenceError: boom"
    assert "| task=xor, init=orthogonal, dale=0.8, n_rec=20 | 3/3 |" in rep.text
    assert "Accuracy vs fraction removed" in rep.text and "| 1.00 | 0.50 |" in rep.text
    assert (study_dir / "report" / "report.md").read_text() == rep.text
    saved = json.loads((study_dir / "report" / "conditions.json").read_text())
    assert saved["conditions"][0]["condition"] == "task=xor, init=normal, dale=0.5, n_rec=10"
    text_rep = report(study_dir, fmt="text", figures=False, out=tmp_path / "txt")
    assert text_rep.figures == () and "success" in text_rep.text
    assert condition_table([]) == []


@pytest.mark.slow  # eight figures drawn: 4-5 s of CPU
def test_report_figures_on_fixture_database(tmp_path):
    rep = report(fixture_study(tmp_path), fmt="markdown")
    names = {p.name for p in rep.figures}
    assert {"eigenvalues.png", "dominant_classes.png", "bulk_radius_vs_dale.png",
            "bulk_radius_vs_n_rec.png", "degradation.png"} <= names
    for p in rep.figures:
        assert p.stat().st_size > 1000 and p.read_bytes()[:4] == b"\x89PNG"


def test_a_condition_without_done_points_has_no_rate():
    rows = [{"label": "task=xor", "status": "failed", "condition": "{}"}]
    (entry,) = condition_table(rows)
    assert (entry["n"], entry["n_done"], entry["n_failed"]) == (1, 0, 1)
    assert math.isnan(entry["success_rate"]) and math.isnan(entry["ci_low"])


def test_format_table_markdown_and_text():
    assert format_table(["a", "bb"], [[1, "x"]]) == "| a | bb |\n|---|---|\n| 1 | x |"
    assert format_table(["a", "bb"], [[100, "x"]], "text") == "a    bb\n---  --\n100  x "


def test_cli_commands_parse_and_report(tmp_path, capsys):
    study_dir = fixture_study(tmp_path)
    parser = cli.build_parser()
    args = parser.parse_args(["sweep", "s.toml", "--workers", "2", "--scheduler", "local-dask",
                              "--retry-failed"])
    assert (args.workers, args.scheduler, args.retry_failed, args.study_dir, args.limit) == \
        (2, "local-dask", True, None, None)
    assert cli.main(["report", str(study_dir), "--format", "text", "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "task=xor, init=normal, dale=0.5, n_rec=10" in out and "written to" in out
    for command in ("sweep", "report"):  # every option says its default
        sub = parser._subparsers._group_actions[0].choices[command]
        for action in sub._actions:
            if action.option_strings and action.dest != "help":
                assert "default" in (action.help or ""), (command, action.option_strings)


def test_cli_sweep_then_report_in_process(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(coordinator, "make_backend", lambda **kw: InProcessBackend())
    study = write_study(tmp_path)
    assert cli.main(["sweep", str(study), "--workers", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2 points, 2 run now" in out and "2 done, 0 failed" in out and "in-process" in out
    assert cli.main(["report", str(tmp_path / "tiny"), "--format", "text"]) == 0
    assert "task=and, init=orthogonal" in capsys.readouterr().out
    assert (tmp_path / "tiny" / "report" / "eigenvalues.png").exists()
    assert cli.main(["sweep", str(tmp_path / "missing.toml")]) == 1
    assert "missing.toml" in capsys.readouterr().err
    bad = write_study(tmp_path, name="bad", extra="[tasks.and]\nnoise_sigma = 0.0\n")
    bad.write_text(bad.read_text().replace("n_rec = 8", "n_rec = 8\ngain = 1e6"))
    assert cli.main(["sweep", str(bad), "--quiet"]) == 1  # failed points: exit code 1
    assert "0 done, 2 failed" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_sweep_then_report_end_to_end(tmp_path):
    study = write_study(tmp_path)
    run = lambda *a: subprocess.run([sys.executable, "-m", "purernn", *a], capture_output=True, text=True,
                                    timeout=120, cwd=tmp_path)
    res = run("sweep", str(study), "--workers", "1", "--quiet")
    assert res.returncode == 0, res.stderr
    assert "2 points, 2 run now" in res.stdout and "2 done, 0 failed" in res.stdout
    res = run("report", str(tmp_path / "tiny"), "--format", "text")
    assert res.returncode == 0, res.stderr
    assert "task=and, init=orthogonal" in res.stdout
    assert (tmp_path / "tiny" / "report" / "eigenvalues.png").exists()
    res = run("sweep", str(tmp_path / "missing.toml"))
    assert res.returncode == 1 and "missing.toml" in res.stderr


def test_rows_of_older_sweeps_rebuild_their_tasks_as_they_ran():
    """A database row written before the flip-flop's `settle` window existed rebuilds its
    task with the window off (how that sweep scored), a newer row with its own value."""
    import json

    from purernn.sweep import reporting

    old = reporting._task_of({"config": json.dumps({"task": {"name": "flipflop", "t_total": 200}})})
    new = reporting._task_of({"config": json.dumps({"task": {"name": "flipflop", "t_total": 200, "settle": 3}})})
    assert (old.settle, new.settle, old.t_total) == (0, 3, 200)
    assert pr.tasks.make("flipflop").settle == 3  # what a new task gets
