"""The chaos and structured-connectivity study scripts run end to end in their quick mode
(slow: subprocesses, about a minute each on 2 cores)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("script, figures", [
    ("study_chaos.py", {"lambda_vs_gain.png", "onset.png", "dimension_vs_gain.png", "spectra.png", "convergence.png"}),
    ("study_structured.py", {"coherence_vs_strength.png", "traces.png", "timescales_and_chaos.png"}),
])
def test_quick_study_writes_its_figures_and_numbers(tmp_path, script, figures):
    out, cache = tmp_path / "docs", tmp_path / "cache" / "results.json"
    cmd = [sys.executable, str(ROOT / "scripts" / script), "--quick", "--workers", "1", "--out", str(out),
           "--cache", str(cache)]
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=900)
    assert figures <= {p.name for p in out.glob("*.png")}
    text = (out / "numbers.md").read_text()
    assert "Cost" in text and "+/-" in text  # realizations summarized
    results = json.loads(cache.read_text())
    assert results and all(r["cpu_s"] >= 0 for r in results.values())
    # a second run computes nothing and redraws the same numbers (up to the cost line)
    again = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    assert "0 points to run" in again.stdout
