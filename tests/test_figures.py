"""purernn.figures.save_figure: one saver for PNG, PDF and SVG, atomic, at a chosen resolution."""

import pytest

from purernn.errors import ValidationError
from purernn.figures import new_figure, save_figure, save_png


def _fig():
    fig = new_figure((2.0, 1.5))
    fig.subplots().plot([0, 1], [1, 0])
    return fig


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF"), ("svg", b"<?xml")])
def test_each_format_is_written_under_its_suffix(tmp_path, fmt, magic):
    path = save_figure(_fig(), tmp_path / "sub" / "plot.png", fmt=fmt)
    assert path == tmp_path / "sub" / f"plot.{fmt}" and path.read_bytes().startswith(magic)
    assert save_figure(_fig(), tmp_path / f"again.{fmt}").read_bytes().startswith(magic)  # format from the suffix
    if fmt != "png":  # no time stamp in vector files: the same figure is the same file
        assert save_figure(_fig(), tmp_path / "twice", fmt=fmt).read_bytes() == \
            save_figure(_fig(), tmp_path / "twice2", fmt=fmt).read_bytes()


def test_resolution_and_bad_arguments(tmp_path):
    import struct

    def width(p):
        return struct.unpack(">I", p.read_bytes()[16:20])[0]

    assert width(save_figure(_fig(), tmp_path / "a.png", dpi=100)) == 200
    assert width(save_figure(_fig(), tmp_path / "b.png", dpi=50)) == 100
    assert width(save_png(_fig(), tmp_path / "c", dpi=50)) == 100  # save_png: the path as given
    with pytest.raises(ValidationError, match="`fmt`"):
        save_figure(_fig(), tmp_path / "a.jpg")
    with pytest.raises(ValidationError, match="`dpi`"):
        save_figure(_fig(), tmp_path / "a.png", dpi=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png", "c"]


def test_trials_figures_name_the_task_conditions(tmp_path, monkeypatch):
    """trials.png of a run (write_figures) and `purernn tasks NAME --out` (task_figure)
    title their columns with the task's condition names, not "condition k"."""
    import purernn as pr
    from purernn import figures

    from .train_helpers import tiny_config, tiny_net, tiny_task

    drawn = {}

    def keep(fig, path, **kw):  # the figure instead of the file
        drawn[path.name] = fig
        return path

    monkeypatch.setattr(figures, "save_png", keep)
    task = tiny_task("xor")
    result = pr.train(tiny_net(task), task, tiny_config(n_steps=2, eval_every=1, n_valid=8), progress=False)
    figures.write_figures(tmp_path, result, n_trials=64)
    names = task.condition_labels(task.sample(64, rng=0))
    assert sorted(names.values()) == ["A=0 B=0", "A=0 B=1", "A=1 B=0", "A=1 B=1"]
    titles = [ax.get_title() for ax in drawn["trials.png"].axes if ax.get_title()]
    assert sorted(titles) == sorted(names.values())

    fig = figures.task_figure(tiny_task("and"), rng=0)
    assert sorted(ax.get_title() for ax in fig.axes if ax.get_title()) == sorted(names.values())
    # the test can fail: without labels the columns are "condition k"
    fig = figures.trials_figure(task.sample(64, rng=0))
    assert all(ax.get_title().startswith("condition ") for ax in fig.axes if ax.get_title())


def test_trials_figure_of_a_ring_task_run_shows_the_network_output(tmp_path, monkeypatch):
    """trials.png of a yang2019 run: one trial per rule as images, with a third image, the
    network's output, under the inputs and the target; the untrained picture has two."""
    import purernn as pr
    from purernn import figures

    from .train_helpers import tiny_config

    drawn = {}
    monkeypatch.setattr(figures, "save_png", lambda fig, path, **kw: drawn.setdefault(path.name, fig) and path)
    task = pr.tasks.make("yang2019", rules=("fdgo", "dm1", "dmsnogo"))
    net = pr.Network.create(task.n_in, 8, task.n_out, seed=0, output="sigmoid")
    result = pr.train(net, task, tiny_config(n_steps=1, eval_every=1, n_valid=6), progress=False)
    figures.write_figures(tmp_path, result)
    labels = [ax.get_ylabel() for ax in drawn["trials.png"].axes]
    assert labels.count("output") == 3 and labels.count("target") == 3
    assert "output" not in [ax.get_ylabel() for ax in figures.task_figure(task).axes]
    titles = [ax.get_title() for ax in drawn["trials.png"].axes if ax.get_title()]
    assert [t.split()[0] for t in titles] == ["fdgo", "dm1", "dmsnogo"]
