"""README's training table is what scripts/train_table.py produces on this machine: the
step counts of its first rows (seed 0) are recomputed and compared."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("train_table", ROOT / "scripts" / "train_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _readme_rows() -> dict:
    """task -> the README row's cells."""
    text = (ROOT / "README.md").read_text()
    table = text.split("<!-- train-table:start -->")[1].split("<!-- train-table:end -->")[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 11 and cells[0] not in ("task", "---"):
            rows[cells[0]] = cells
    return rows


def _check(names):
    mod = _script()
    note = (ROOT / "README.md").read_text().split("<!-- train-table:end -->")[0].splitlines()[-1]
    if mod.cpu_model() not in note:
        pytest.skip(f"README's table was measured on another processor ({note.split(' on ')[1].split(' (')[0]}; "
                    f"this is {mod.cpu_model()}): regenerate it with python scripts/train_table.py --readme")
    rows = _readme_rows()
    header = "| task | n_rec | alpha | regime | wall time (s) | steps |"
    assert header in (ROOT / "README.md").read_text()
    for name in names:
        text, _ = mod.row(name, 0)
        cells = [c.strip() for c in text.strip().strip("|").split("|")]
        # the optimizer steps taken and why training stopped
        assert cells[5:7] == rows[name][5:7], (name, cells, rows[name])


def test_readme_states_the_cpu_it_was_measured_on():
    note = (ROOT / "README.md").read_text().split("<!-- train-table:end -->")[0].splitlines()[-1]
    assert re.match(r"Measured with `python scripts/train_table.py` \(seed 0\) on \S.* with \S+ \(\d+ cores",
                    note), note


def test_first_rows_reproduce_here():
    """The two quickest rows of the table (Jarne's gates, 50 steps each)."""
    _check(["or", "not"])


@pytest.mark.slow
def test_seed_task_rows_reproduce_here():
    _check(["and", "or", "xor", "not", "time_reproduction", "oscillation", "romo"])
