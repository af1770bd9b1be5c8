"""The report's distance section on a tiny study with real run directories."""

import json

import numpy as np
import pytest

from purernn.sweep import report, rows_for_study, sweep
from purernn.sweep.reporting import network_distance_groups

from .helpers import InProcessBackend, write_study


@pytest.fixture
def tiny_runs(tmp_path):
    study = write_study(tmp_path, n_seeds=2)  # 2 inits x 2 seeds of 8-unit AND networks
    sweep(study, tmp_path / "tiny", backend=InProcessBackend(), progress=False)
    return tmp_path / "tiny"


def test_distance_groups_of_a_study(tiny_runs, tmp_path):
    rows = rows_for_study(tiny_runs)
    groups = network_distance_groups(rows, tiny_runs, metrics=("cka", "procrustes"), cache_dir=tmp_path)
    g = groups["and"]
    assert len(g.rows) == 4 and not g.solutions and g.distances.labels[0].endswith("seed 0")
    D = g.distances.matrices["procrustes"]
    assert D.shape == (4, 4) and np.all(np.diag(D) == 0) and np.allclose(D, D.T) and D[0, 1] > 0
    assert g.embeddings["cka"].coords.shape == (4, 2) and g.clusters["cka"].labels.shape == (4,)
    saved = json.loads((tmp_path / "distances_and.json").read_text())
    assert saved["matrices"]["procrustes"][0][1] == pytest.approx(D[0, 1])
    # cached: the same matrices, even with the run directories gone
    for r in rows:
        (tiny_runs / r["run_dir"] / "params.npz").unlink()
    again = network_distance_groups(rows, tiny_runs, metrics=("cka", "procrustes"), cache_dir=tmp_path)
    np.testing.assert_array_equal(again["and"].distances.matrices["procrustes"], D)
    # a subset of the cached points: the sub-matrix, without recomputing
    sub = network_distance_groups(rows[1:], tiny_runs, metrics=("cka", "procrustes"), cache_dir=tmp_path)
    ids = [r["point_id"] for r in g.rows]
    keep = [ids.index(r["point_id"]) for r in sub["and"].rows]
    assert len(keep) == 3
    np.testing.assert_array_equal(sub["and"].distances.matrices["procrustes"], D[np.ix_(keep, keep)])
    # fewer than 3 networks of a task: no group
    assert network_distance_groups(rows[:2], tiny_runs, metrics=("cka",)) == {}


@pytest.mark.slow
def test_report_shows_distances_matrices_mds_and_clusters(tiny_runs):
    rep = report(tiny_runs)
    assert "How different the solutions are" in rep.text
    for metric in ("1 - linear CKA", "Procrustes angle (rad)", "DMD operator distance"):
        assert f"| and | {metric} | 4 done |" in rep.text  # 2 steps: none reached the criterion
    p = [p for p in rep.figures if p.name == "distances_and.png"][0]
    assert p.read_bytes()[:4] == b"\x89PNG"
    assert report(tiny_runs, figures=False).text == rep.text  # from the cache
    assert "How different" not in report(tiny_runs, figures=False, distances=False).text
