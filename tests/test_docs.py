"""The guide cannot rot: every code link in docs/ lands on what it names, every relative
link points at a file that exists, and the tutorial's code blocks run."""

import importlib.util
import re
from pathlib import Path

import pytest

import purernn as pr

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("**/*.md")) + [ROOT / "README.md"]
RELATIVE_LINK = re.compile(r"\]\((?!https?:|mailto:|#)(?P<path>[^)#\s]+)(?:#L(?P<start>\d+)-L(?P<end>\d+))?\)")


def _links_module():
    spec = importlib.util.spec_from_file_location("update_doc_links", ROOT / "scripts" / "update_doc_links.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("md", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_existing_files_and_lines(md):
    text = md.read_text()
    for m in RELATIVE_LINK.finditer(text):
        target = (md.parent / m["path"]).resolve()
        assert target.exists(), f"{md.name}: link to missing {m['path']}"
        if m["start"]:
            n_lines = len(target.read_text().splitlines())
            assert 1 <= int(m["start"]) <= int(m["end"]) <= n_lines, f"{md.name}: {m[0]} is outside the file"


@pytest.mark.parametrize("md", [p for p in DOCS if p.parent.name == "docs"], ids=lambda p: p.name)
def test_code_links_land_on_the_named_definition(md):
    new, problems = _links_module().fix_links(md)
    assert not problems, problems
    assert new == md.read_text(), (
        f"{md.name} has stale line ranges: run `python scripts/update_doc_links.py`"
    )


def test_link_checker_detects_a_stale_range(tmp_path):
    mod = _links_module()
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "m.py").write_text("x = 1\n\n\ndef f():\n    return 1\n")
    md = docs / "a.md"
    md.write_text("see [`f`](../m.py#L1-L2)\n")
    new, problems = mod.fix_links(md)
    assert not problems and "#L4-L5" in new
    md.write_text("see [`g`](../m.py#L1-L2)\n")
    assert mod.fix_links(md)[1]


def test_tutorial_code_blocks_run(tmp_path):
    """Every block of docs/tutorial.md, in order, at reduced sizes."""
    spec = importlib.util.spec_from_file_location("run_tutorial", ROOT / "scripts" / "run_tutorial.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert len(mod.code_blocks()) >= 6
    ns = mod.run({"FIG_DIR": tmp_path, "STEPS": 10, "EPOCHS": 1, "N_SEEDS": 1})
    figures = sorted(p.name for p in tmp_path.glob("*.png"))
    # every figure the page shows was written by its code
    shown = set(re.findall(r"\(tutorial/([\w.]+\.png)\)", (ROOT / "docs" / "tutorial.md").read_text()))
    assert shown and shown <= set(figures)
    assert ns["fps"].h.shape[1] == ns["ff"].net.n_rec
    ff_eval = ns["ff_eval"]  # the page's evaluation is of the trained network, on its 500 trials
    assert ff_eval.n_trials == 500
    assert ff_eval.accuracy == pr.evaluate(ns["ff"].net, ns["ff_task"], n_trials=500, rng=1).accuracy


def test_custom_task_page_runs(tmp_path, monkeypatch):
    """The worked example of docs/custom_tasks.md (fewer steps), and its load/resume block."""
    text = (ROOT / "docs" / "custom_tasks.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    example = next(b for b in blocks if "class PulseOrder" in b)
    assert "n_steps=600" in example
    monkeypatch.chdir(tmp_path)
    ns = {"__name__": "__main__"}
    exec(example.replace("n_steps=600", "n_steps=30"), ns)
    meta = __import__("json").loads((tmp_path / "runs" / "pulse_order" / "run.json").read_text())
    assert meta["task"]["factory"] == "__main__:PulseOrder"
    exec(next(b for b in blocks if "pr.load_run(\"runs/pulse_order\"" in b), ns)
    assert ns["result"].task.name == "pulse_order" and ns["result"].n_steps == 30
