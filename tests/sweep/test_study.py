"""Study files: grid expansion, point ids, run order, validation messages."""

import pytest

from purernn.errors import ValidationError
from purernn.sweep import condition_label, format_value, load_study, parse_study, run_order
from purernn.sweep.study import default_study_dir

from .helpers import tiny_text


def test_study_grid_expands_with_stable_ids():
    text = tiny_text(n_seeds=3) + '\n[tasks.and]\nnoise_sigma = 0.0\n'
    study = parse_study(text.replace('task = ["and"]', 'task = ["and", "xor"]\ndale = ["none", 0.8]'))
    assert len(study.points) == 2 * 2 * 2 * 3
    ids = [p.point_id for p in study.points]
    assert len(set(ids)) == len(ids)
    assert ids == [p.point_id for p in parse_study(study.source).points]  # deterministic
    first = study.points[0]
    assert first.condition == {"task": "and", "init": "normal", "dale": None}
    assert first.config["network"]["n_rec"] == 8 and first.config["train"]["seed"] == 0
    assert first.config["task"]["noise_sigma"] == 0.0
    xor = next(p for p in study.points if p.condition["task"] == "xor")
    assert xor.config["task"]["noise_sigma"] != 0.0  # the override is per task
    assert study.axes == ("task", "dale", "init")  # the file's order


def test_point_ids_are_those_of_existing_study_directories():
    # ids written by earlier versions: a change here orphans every row and run
    # directory of the studies already swept (a new sweep would train them all again).
    # A configuration that trains as purernn 0.1 did keeps its id: since the validation set
    # is balanced by condition by default, that is `valid_balanced = false`.
    old = tiny_text().replace("checkpoint_every = 10", "checkpoint_every = 10\nvalid_balanced = false")
    study = parse_study(old)
    assert [p.point_id for p in study.points] == ["9ebf770847f5acf3", "8640b00492b61e60"]
    assert [p.label for p in study.points] == ["task=and, init=normal", "task=and, init=orthogonal"]
    # the default (balanced validation) is another run, with ids of its own
    assert [p.point_id for p in parse_study(tiny_text()).points] == ["b0a9f4924c4eb080", "173c263ac28acf1f"]


def test_points_run_realization_by_realization():
    study = parse_study(tiny_text(n_seeds=3).replace('task = ["and"]', 'task = ["and", "xor"]'))
    order = run_order(study.points, study.grid["seed"])
    assert sorted(p.index for p in order) == list(range(12))
    # seeds outermost: the first 4 points are seed 0 of the 4 conditions, in grid order
    assert [p.seed for p in order] == [0] * 4 + [1] * 4 + [2] * 4
    assert [p.index for p in order[:4]] == sorted(p.index for p in study.points if p.seed == 0)
    # a condition that already has seeds 0 and 1 done waits until the others caught up
    lead = study.points[0].condition
    left = [p for p in study.points if not (p.condition == lead and p.seed < 2)]
    firsts = run_order(left, study.grid["seed"])[:3]
    assert {p.seed for p in firsts} == {0} and lead not in [p.condition for p in firsts]


@pytest.mark.parametrize("bad, words", [
    ('[grid]\ntask = ["and"]\nlearning_rate = [0.1]\n', ["grid.learning_rate", "lr", "n_rec", "init"]),
    ('[grid]\ntask = ["and"]\n[train]\nseed = 3\n', ["train.seed", "n_steps"]),
    ('[grid]\ntask = ["and"]\n[grids]\n', ["grids", "record"]),
    ('[grid]\ntask = ["nand"]\n', ["grid.task", "xor"]),
    ('[grid]\ntask = ["and"]\n[record]\nspectra = true\n', ["record.spectra", "eigenvalues"]),
    ('[grid]\ntask = ["and"]\ngain = [1.0, 1.0]\n', ["grid.gain", "repeated"]),
    ('[grid]\ntask = ["and"]\ngain = [-1.0]\n', ["gain"]),
    ('[grid]\ntask = ["and"]\nlr = [0.1]\n[train]\nlr = 0.2\n', ["grid.lr", "one place"]),
    ('[grid]\ntask = ["and"]\n[record]\ndegradation = {draws = 2}\n', ["record.degradation.draws", "n_draws"]),
    ('[grid]\ntask = ["and"]\nseed = {first = 1}\n', ["grid.seed", "count"]),
    ('[grid]\ntask = ["and"]\n[tasks.and]\nwidth = 3\n', ["width"]),
    ('[grid\n', ["TOML"]),
])
def test_study_validation_errors_list_valid_keys(bad, words):
    with pytest.raises(ValidationError) as err:
        parse_study(bad)
    for w in words:
        assert w in str(err.value)


def test_two_grid_values_that_resolve_to_one_run_are_refused():
    # 1 and 1.0 are different TOML values but the same gain
    with pytest.raises(ValidationError, match="same run as grid point task=and, gain=1"):
        parse_study('[grid]\ntask = ["and"]\ngain = [1, 1.0]\n')


def test_labels_and_study_files(tmp_path):
    assert condition_label({"task": "xor", "dale": None, "lr": 1e-3, "n_rec": 50}) == \
        "task=xor, dale=none, lr=0.001, n_rec=50"
    assert format_value(0.8) == "0.8" and format_value(None) == "none"
    path = tmp_path / "gates.toml"
    path.write_text(tiny_text().replace('name = "tiny"\n', ""))
    assert load_study(path).name == "gates"  # the file's stem when [study] has no name
    assert default_study_dir(path) == tmp_path / "gates"
    with pytest.raises(ValidationError, match="missing.toml"):
        load_study(tmp_path / "missing.toml")
    path.write_text(tiny_text().replace("n_rec = 8", "n_rec = 0"))
    with pytest.raises(ValidationError, match=r"gates\.toml.*grid point task=and, init=normal"):
        load_study(path)


def test_the_documented_example_is_a_valid_study():
    import purernn.sweep.study as study_module

    example = study_module.__doc__.split("::")[1].split("A study directory")[0]
    study = parse_study("\n".join(line[4:] for line in example.splitlines()))
    assert len(study.points) == 4 * 2 * 20 * 2
    assert study.record["degradation"] == {"mode": "units", "fractions": [0.0, 0.1, 0.2], "n_draws": 5}


def test_old_spellings_of_train_fields_are_accepted_with_a_warning():
    """`steps` / `epochs`, as training TOML files accept them, in [train] and [grid]."""
    new = parse_study(tiny_text(n_steps=3))
    assert "n_steps = 3" in new.source
    with pytest.warns(DeprecationWarning, match=r"study file \[train\]: 'steps' is deprecated; use 'n_steps'"):
        old = parse_study(new.source.replace("n_steps = 3", "steps = 3"))
    assert [p.point_id for p in old.points] == [p.point_id for p in new.points]
    grid = '[grid]\ntask = ["and"]\nn_epochs = [1, 2]\n[train]\nregime = "fixed"\n'
    with pytest.warns(DeprecationWarning, match=r"\[grid\]: 'epochs'"):
        old = parse_study(grid.replace("n_epochs", "epochs"))
    assert [p.point_id for p in old.points] == [p.point_id for p in parse_study(grid).points]
    assert old.points[1].condition == {"task": "and", "n_epochs": 2}
    with pytest.raises(ValidationError, match="both 'steps' and 'n_steps'"):
        parse_study(new.source.replace("n_steps = 3", "n_steps = 3\nsteps = 3"))
    # a key that is no spelling of a field stays an unknown key, listing the valid ones
    with pytest.raises(ValidationError, match=r"`train.stepz`.*n_steps"):
        parse_study(new.source.replace("n_steps = 3", "stepz = 3"))
