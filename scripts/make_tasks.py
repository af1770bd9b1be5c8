"""Regenerate a picture of every registered task into docs/tasks/NAME.png (and of each of
its presets whose trials differ, docs/tasks/NAME_PRESET.png), and the page docs/tasks.md
that shows them all.

Each picture shows one example trial per condition (inputs; targets with the mask
shaded; at most six conditions, named by the task), drawn with a fixed seed so reruns
give identical trials.

    python scripts/make_tasks.py [--out docs/tasks] [--dpi 90]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from purernn import plots
from purernn.figures import new_figure, save_png, task_figure
from purernn.tasks import TASKS, make

SEED = 1234
N_TRIALS = 400  # enough that every condition appears


def _differs(name: str, preset: str) -> dict:
    """Fields of the preset that differ from the task's defaults."""
    return {k: v[0] for k, v in make(name, preset=preset).preset_differences().items()}


def picture(task, title: str):
    """One trial per condition of `task` (at most six), the conditions named; one per rule
    of a ring task (Yang et al. 2019), as unit-by-time images."""
    if hasattr(task, "example_trials"):
        return task_figure(task, rng=SEED)
    batch = task.sample(N_TRIALS, rng=SEED)
    n_cols = min(len(set(batch.info["condition"].tolist())), 6)
    fig = new_figure(figsize=(2.4 * n_cols + 1.6, 3.9))
    axes = fig.subplots(2, n_cols, sharex=True, sharey="row", squeeze=False)
    plots.plot_trials(batch, dt=task.dt, axes=axes, max_conditions=6, labels=task.condition_labels(batch))
    fig.suptitle(title, fontsize=9)
    return fig


def _trials_differ(name: str, preset: str) -> bool:
    """Whether the preset's trials look different (not only its noise or a label)."""
    return bool(set(_differs(name, preset)) - {"noise_sigma", "protocol"}) or (
        name == "flipflop3" and preset != "default")


def tasks_page(names) -> str:
    """docs/tasks.md: every task with its numbers, the first paragraph of its docstring
    and its picture."""
    lines = [
        "# Tasks",
        "",
        "Every registered task with its picture (one trial per condition: inputs on top;",
        "targets dashed, with the steps the loss judges shaded). Regenerate the pictures and",
        "this page with `python scripts/make_tasks.py`; `purernn/tasks/README.md` tabulates",
        "the default timing and the success criterion of each task.",
        "",
        "A task may offer presets besides its defaults: `pr.tasks.make(name, preset=\"jarne\")`",
        "(`purernn train NAME --preset jarne`, `preset = \"jarne\"` in a TOML file or a study's",
        "task table) reproduces C. Jarne's data generator for every task she published networks",
        "for, so that her networks (`pr.io.load_keras_h5`) run on the trials they were trained",
        "on. Each task's docstring lists her generator's quirks and how the defaults differ.",
        "",
    ]
    for name in names:
        task = TASKS[name]()
        paragraphs = [" ".join(line.strip() for line in p.splitlines())
                      for p in (type(task).__doc__ or "").strip().split("\n\n")]
        doc = paragraphs[0]
        # a task that reimplements another code base also lists how it differs
        doc += "".join("\n\n" + p for p in paragraphs if p.startswith("Differences from the original"))
        steps = f"up to {task.n_steps}" if getattr(task, "variable_length", False) else f"{task.n_steps}"
        lines += [
            f"## `{name}`",
            "",
            f"{task.summary}",
            "",
            f"- inputs / outputs: {task.n_in} / {task.n_out}; steps: {steps} of "
            f"{task.dt:g} ms; recommended alpha: {task.alpha:g}; criterion: {task.criterion:g}",
            f"- source: {task.source}",
        ]
        for preset in type(task).preset_names()[1:]:
            diff = _differs(name, preset)
            what = ", ".join(f"`{k} = {v!r}`" for k, v in diff.items()) if diff else "the defaults"
            lines.append(f"- preset `{preset}`: {what}")
        lines += [
            "",
            doc,
            "",
            f"![{name}](tasks/{name}.png)",
            "",
        ]
        for preset in type(task).preset_names()[1:]:
            if _trials_differ(name, preset):
                lines += [f"Preset `{preset}`:", "", f"![{name} {preset}](tasks/{name}_{preset}.png)", ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=root / "docs" / "tasks")
    parser.add_argument("--dpi", type=int, default=80)
    parser.add_argument("names", nargs="*", help="tasks to draw (default: all)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or sorted(TASKS):
        task = TASKS[name]()
        print(save_png(picture(task, f"{name}: {task.summary}"), args.out / f"{name}.png", dpi=args.dpi))
        for preset in type(task).preset_names()[1:]:
            if _trials_differ(name, preset):
                fig = picture(make(name, preset=preset), f"{name}, preset {preset!r}")
                print(save_png(fig, args.out / f"{name}_{preset}.png", dpi=args.dpi))
    if not args.names:
        page = args.out.parent / "tasks.md"
        page.write_text(tasks_page(sorted(TASKS)))
        print(page)


if __name__ == "__main__":
    main()
