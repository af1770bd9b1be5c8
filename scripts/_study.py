"""Shared plumbing of the study scripts (scripts/study_*.py): arguments, sweep, report.

Every study script sweeps its study file (points already done are skipped, so a second
run only redraws the figures from the results database), writes the generic report into
the study directory and its own figures and number tables into ``docs/studies/<name>/``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from purernn._files import write_json, write_text  # noqa: E402
from purernn.figures import save_png  # noqa: E402
from purernn.sweep import (  # noqa: E402
    condition_table,
    eigenvalues_of,
    format_table,
    group_rows,
    report,
    rows_for_study,
    sweep,
)

__all__ = ["parse_args", "run_study", "cached_study", "finish_numbers", "save", "condition_table",
           "eigenvalues_of", "format_table", "group_rows", "mean_sd"]


def parse_args(doc: str, argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="the reduced study (studies/<name>_quick.toml)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument("--scheduler", default=None, help="HOST:PORT of a Dask scheduler, or local-dask")
    p.add_argument("--no-sweep", action="store_true", help="only redraw from the results database")
    p.add_argument("--retry-failed", action="store_true")
    return p.parse_args(argv)


def cached_study(doc: str, name: str, quick_help: str, argv=None, add_options=None) -> tuple:
    """The options and the results cache of a study that computes its own points (no
    study file: chaos, structured, low rank): ``--quick``, ``--workers``, ``--no-run``,
    ``--out``, ``--cache`` and what `add_options` (a function of the parser) adds.

    Returns (args, stem, docs, cache_path, cache): ``stem`` is `name` or ``name_quick``,
    ``docs`` the figures' directory, ``cache`` the results computed so far (a dict).
    """
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help=quick_help)
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--no-run", action="store_true", help="only redraw from the cached results")
    ap.add_argument("--out", type=Path, default=None,
                    help=f"directory for figures and numbers (default docs/studies/{name}[_quick])")
    ap.add_argument("--cache", type=Path, default=None,
                    help=f"results cache (default studies/{name}[_quick]/results.json)")
    if add_options is not None:
        add_options(ap)
    args = ap.parse_args(argv)
    stem = name + ("_quick" if args.quick else "")
    docs = args.out or ROOT / "docs" / "studies" / stem
    cache_path = args.cache or ROOT / "studies" / stem / "results.json"
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    return args, stem, docs, cache_path, cache


def last_run_info(cache_path: Path, n_run: int, wall_s: float, load0: float, workers: int) -> dict:
    """The cost of the last run that computed points, kept beside the cache: recorded
    when `n_run` points were just computed, read back otherwise (a redraw computes
    nothing)."""
    import os

    info_path = cache_path.parent / "run_info.json"
    if n_run:
        info = {"wall_s": wall_s, "load": [load0, os.getloadavg()[0]], "workers": workers, "n_run": n_run}
        info_path.write_text(json.dumps(info))
    if info_path.exists():
        return json.loads(info_path.read_text())
    return {"wall_s": 0.0, "load": [0.0, 0.0], "workers": workers, "n_run": 0}


def finish_numbers(docs: Path, text: str, missing, what: str = "points") -> int:
    """Write and print a cached study's numbers.md; exit status 1 if `missing` is not empty."""
    write_text(docs / "numbers.md", text)
    print(text)
    if missing:
        print(f"{len(missing)} {what} missing (run again without --no-run)")
        return 1
    return 0


def run_study(name: str, args) -> tuple:
    """Sweep ``studies/<name>[_quick].toml`` and write its report; returns
    (stem, study_dir, docs_dir, rows of done and failed points)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    stem = name + ("_quick" if args.quick else "")
    study_file = ROOT / "studies" / f"{stem}.toml"
    study_dir = ROOT / "studies" / stem
    if not args.no_sweep:
        s = sweep(study_file, study_dir, workers=args.workers, scheduler=args.scheduler,
                  retry_failed=args.retry_failed)
        print(f"{stem}: {s.n_run} points run ({s.runs_per_minute:.2f} runs/min), {s.n_skipped} "
              f"skipped, {s.n_done} done, {s.n_failed} failed")
    report(study_dir)
    docs = ROOT / "docs" / "studies" / stem
    docs.mkdir(parents=True, exist_ok=True)
    rows = [r for r in rows_for_study(study_dir) if r["status"] in ("done", "failed")]
    return stem, study_dir, docs, rows


def save(fig, path: Path, dpi: int = 110) -> Path:
    save_png(fig, path, dpi=dpi)
    print("wrote", path.relative_to(ROOT))
    return path


def mean_sd(values) -> str:
    v = np.asarray([x for x in values if x is not None], dtype=float)
    if v.size == 0:
        return "-"
    return f"{v.mean():.3f} +/- {v.std(ddof=1) if v.size > 1 else 0.0:.3f}"


def write_numbers(docs: Path, script: str, args, stem: str, head, table, rows, extra: str = "") -> str:
    """Write docs/<study>/numbers.md (the table, then `extra`) and conditions.json; print it."""
    text = (f"Measured by scripts/{script}{' --quick' if args.quick else ''} ({stem}); "
            "mean +/- sd over realizations.\n\n" + format_table(head, table) + "\n")
    if extra:
        text += "\n" + extra + "\n"
    write_text(docs / "numbers.md", text)
    write_json(docs / "conditions.json", condition_table(rows), indent=1)
    print(text)
    return text
