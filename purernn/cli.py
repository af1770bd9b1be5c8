"""The ``purernn`` command line: a thin layer of argparse over the library.

    purernn tasks                                   table of tasks
    purernn tasks show NAME --out FILE.png          picture of sample trials
    purernn train TASK --out RUN_DIR [options]      train and write the run + figures
    purernn resume RUN_DIR                          continue an interrupted run
    purernn evaluate RUN_DIR [--n-trials 1000]      accuracy (Wilson 95% CI) and loss
    purernn analyze RUN_DIR                         analysis report (purernn.analysis)

Every option of ``purernn train`` can also be given in a TOML file (``--config``) under
the same name (``n_rec = 50``, ``lr = 1e-3``); a ``[task]`` table overrides task fields.
Options on the command line win over the file, the file over the task's defaults
(:data:`purernn.presets.TRAIN_DEFAULTS`).

Heavy modules (Numba kernels, SciPy, matplotlib) are imported inside the subcommands that
need them, so that ``purernn --version`` and ``purernn tasks`` answer at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]

# CLI option -> (section, field); section "network" feeds Network.create, "train" TrainConfig.
NETWORK_OPTIONS = {
    "n_rec": int,
    "init": str,
    "gain": float,
    "activation": str,
    "alpha": float,
    "dale": float,
    "dale_mode": str,
    "dale_init": str,
    "conn_prob": float,
    "sigma_rec": float,
    "dtype": str,
}
TRAIN_OPTIONS = {
    "regime": str,
    "epochs": int,  # -> n_epochs, regime "fixed"
    "n_samples": int,
    "steps": int,  # -> n_steps, regime "fresh"
    "batch_size": int,
    "lr": float,
    "beta1": float,
    "beta2": float,
    "clip_norm": float,
    "l2_weights": float,
    "l2_rates": float,
    "n_valid": int,
    "eval_every": int,
    "target_accuracy": float,
    "loss_threshold": float,
    "patience": int,
    "keep_best": bool,
    "stop_at_criterion": bool,
    "checkpoint_every": int,
    "seed": int,
}
OTHER_KEYS = ("task",)  # the [task] table of a TOML file


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    from purernn import __version__

    p = argparse.ArgumentParser(prog="purernn", description="Train and study small rate RNNs.")
    p.add_argument("--version", action="version", version=f"purernn {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress messages")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pt = sub.add_parser("tasks", help="list the tasks, or draw one (tasks show NAME)")
    tsub = pt.add_subparsers(dest="tasks_command", metavar="show")
    ps = tsub.add_parser("show", help="draw sample trials of a task, one per condition")
    ps.add_argument("name")
    ps.add_argument("--out", required=True, type=Path, help="PNG file to write")
    ps.add_argument("--seed", type=int, default=0)

    tr = sub.add_parser("train", help="train a network on a task into a run directory")
    tr.add_argument("task", help="task name (see `purernn tasks`)")
    tr.add_argument("--out", required=True, type=Path, help="run directory to create")
    tr.add_argument("--config", type=Path, help="TOML file with the options below")
    tr.add_argument("--overwrite", action="store_true", help="replace a run already in --out")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.add_argument("--no-figures", action="store_true", help="do not write figures/")
    net = tr.add_argument_group("network (Network.create)")
    for name, typ in NETWORK_OPTIONS.items():
        net.add_argument("--" + name.replace("_", "-"), type=typ, default=None)
    opt = tr.add_argument_group("training (TrainConfig)")
    for name, typ in TRAIN_OPTIONS.items():
        opt.add_argument("--" + name.replace("_", "-"), type=_bool if typ is bool else typ, default=None,
                         help={"epochs": "passes over a fixed training set (regime fixed)",
                               "steps": "steps with fresh trials (regime fresh)"}.get(name))

    rs = sub.add_parser("resume", help="continue an interrupted run")
    rs.add_argument("run_dir", type=Path)
    rs.add_argument("--quiet", action="store_true")
    rs.add_argument("--no-figures", action="store_true")

    ev = sub.add_parser("evaluate", help="accuracy and loss of a run's network on fresh trials")
    ev.add_argument("run_dir", type=Path)
    ev.add_argument("--n-trials", type=int, default=1000)
    ev.add_argument("--seed", type=int, default=None, help="seed of the fresh trials")

    an = sub.add_parser("analyze", help="analysis report of a trained network")
    an.add_argument("source", type=Path, help="run directory or Keras .hdf5 file")
    an.add_argument("--task", help="task name for an .hdf5 file (enables the trial-based analyses)")
    an.add_argument("--quick", action="store_true", help="fewer trials and starting states")
    an.add_argument("--out", type=Path, help="output directory (default: RUN_DIR)")
    _add_sweep_parsers(sub)
    return p


class CliError(Exception):
    """A usage error reported as ``purernn: error: ...`` with exit code 2."""


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as err:
        raise CliError(f"cannot read --config {str(path)!r}: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise CliError(f"--config {str(path)!r} is not valid TOML: {err}") from err
    valid = list(NETWORK_OPTIONS) + list(TRAIN_OPTIONS) + list(OTHER_KEYS)
    out = {}
    for key, value in data.items():
        k = key.replace("-", "_")
        if k not in valid:
            raise CliError(f"unknown key {key!r} in {str(path)!r}; valid keys: {', '.join(valid)}")
        if k == "task" and not isinstance(value, dict):
            raise CliError(f"key 'task' in {str(path)!r} must be a table of task fields ([task])")
        out[k] = value
    return out


def _configs(args):
    """(task, network kwargs, TrainConfig) from defaults < TOML file < command line."""
    import purernn as pr
    from purernn.presets import default_network_kwargs

    given = _read_toml(args.config) if args.config else {}
    for name in list(NETWORK_OPTIONS) + list(TRAIN_OPTIONS):
        value = getattr(args, name)
        if value is not None:
            given[name] = value
    task = pr.tasks.make(args.task, **given.pop("task", {}))
    net_kw = {k: given[k] for k in NETWORK_OPTIONS if k in given}
    train_kw = {k: given[k] for k in TRAIN_OPTIONS if k in given}
    if "epochs" in train_kw and "steps" in train_kw:
        raise CliError("give either --epochs (fixed training set) or --steps (fresh trials), not both")
    if "epochs" in train_kw:
        train_kw["n_epochs"] = train_kw.pop("epochs")
        train_kw.setdefault("regime", "fixed")
    if "steps" in train_kw:
        train_kw["n_steps"] = train_kw.pop("steps")
        train_kw.setdefault("regime", "fresh")
    config = pr.default_train_config(task, **train_kw)
    return task, default_network_kwargs(task, **net_kw), config


def _cmd_tasks(args) -> int:
    import purernn as pr

    if args.tasks_command == "show":
        from purernn.figures import save_png, trials_figure

        task = pr.tasks.make(args.name)
        batch = task.sample(200, rng=args.seed)
        save_png(trials_figure(batch, dt=task.dt, title=f"{task.name}: {task.summary}"), args.out)
        print(f"wrote {args.out}")
        return 0
    rows = [(name, cls.summary, cls.source) for name, cls in pr.tasks.TASKS.items()]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"{'name':<{w0}}  {'summary':<{w1}}  source")
    for name, summary, source in rows:
        print(f"{name:<{w0}}  {summary:<{w1}}  {source.split(';')[0]}")
    return 0


def _finish(run_dir: Path, result, *, figures: bool) -> int:
    """Report a finished or interrupted training and write its figures."""
    if result.stop_reason == "interrupted":
        print(f"interrupted at step {result.n_steps}; checkpoint saved. "
              f"Continue with: purernn resume {run_dir}", file=sys.stderr)
        return 130
    if figures:
        from purernn.figures import write_figures

        written = write_figures(run_dir, result)
        print(f"figures: {', '.join(str(p) for p in written)}")
    verdict = "reached" if result.reached_criterion else "did NOT reach"
    print(f"{result.task.name}: {result.n_steps} steps in {result.wall_time:.1f} s ({result.stop_reason}); "
          f"validation accuracy {result.val_accuracy:.3f} {verdict} the criterion "
          f"{result.target_accuracy:g}; run saved in {run_dir}")
    return 0


def _cmd_train(args) -> int:
    import purernn as pr
    from purernn.config import resolve_seed

    task, net_kw, config = _configs(args)
    config = resolve_seed(config)  # the init stream needs the seed before training starts
    net = pr.default_network(task, seed=config.seed, **net_kw)
    result = pr.train(net, task, config, progress=not args.quiet, run_dir=args.out,
                      overwrite=args.overwrite)
    return _finish(args.out, result, figures=not args.no_figures)


def _cmd_resume(args) -> int:
    import purernn as pr

    result = pr.resume(args.run_dir, progress=not args.quiet)
    return _finish(args.run_dir, result, figures=not args.no_figures)


def _cmd_evaluate(args) -> int:
    import purernn as pr

    result = pr.load_run(args.run_dir)
    ev = pr.evaluate(result.net, result.task, n_trials=args.n_trials, rng=args.seed)
    print(f"task {result.task.name}: accuracy {ev.accuracy:.4f} "
          f"(95% CI {ev.ci_low:.4f}-{ev.ci_high:.4f}, Wilson; {ev.n_correct}/{ev.n_trials} trials), "
          f"loss {ev.loss:.6g}; criterion {result.target_accuracy:g}")
    return 0


def _cmd_analyze(args) -> int:
    import purernn as pr

    try:
        from purernn.analysis.report import analyze_network
    except ImportError as err:
        raise CliError(f"`purernn analyze` needs purernn.analysis.report, which is not "
                       f"available in this installation ({err})") from err
    src = args.source
    if src.is_dir():
        result = pr.load_run(src)
        net, net_before, task = result.net, result.net_init, result.task
        out = args.out or src
    else:
        from purernn.io import load_keras_h5

        net, net_before = load_keras_h5(src), None
        task = pr.tasks.make(args.task) if args.task else None
        out = args.out or src.with_suffix("")
    out = Path(out)  # created by analyze_network once its arguments are checked
    analyze_network(net, task, net_before=net_before, out_dir=out / "figures",
                    summary_path=out / "summary.json", quick=args.quick)
    print(f"analysis written to {out / 'figures'} and {out / 'summary.json'}")
    return 0


# -- studies: purernn sweep, purernn report (purernn.sweep) -------------------------------


def _add_sweep_parsers(sub) -> None:
    """The ``sweep`` and ``report`` subcommands."""
    sw = sub.add_parser(
        "sweep", help="train every point of a study grid (resumable; process pool or Dask)",
        description="Train every point of a study (TOML grid) not done yet; results go to "
                    "STUDY_DIR/results.sqlite and one run directory per point.")
    sw.add_argument("study", help="study file (TOML) or an existing study directory")
    sw.add_argument("--dir", dest="study_dir", default=None,
                    help="study directory (default: the study file's path without .toml)")
    sw.add_argument("--workers", type=int, default=None,
                    help="worker processes (default: the number of cores)")
    sw.add_argument("--scheduler", default=None,
                    help="HOST:PORT of a Dask scheduler, or 'local-dask' for a Dask cluster on "
                         "this machine; needs purernn[cluster] (default: a local process pool)")
    sw.add_argument("--retry-failed", action="store_true",
                    help="run the points that failed before again (default: skip them)")
    sw.add_argument("--limit", type=int, default=None,
                    help="run at most this many points, in run order (default: all)")
    sw.add_argument("--quiet", action="store_true", help="no progress bar (default: a bar with an ETA)")

    rp = sub.add_parser(
        "report", help="tables and figures of a study directory",
        description="Success rates per condition, spectra and degradation of a study's "
                    "realizations, from its results database (no training).")
    rp.add_argument("study_dir", help="study directory (holds results.sqlite)")
    rp.add_argument("--out", default=None, help="output directory (default: STUDY_DIR/report)")
    rp.add_argument("--format", choices=("markdown", "text"), default="markdown",
                    help="table format printed and written to report.md / report.txt (default: markdown)")
    rp.add_argument("--no-figures", action="store_true", help="tables only (default: tables and figures)")


def _cmd_sweep(args) -> int:
    from purernn.sweep import sweep

    summary = sweep(args.study, args.study_dir, workers=args.workers, scheduler=args.scheduler,
                    retry_failed=args.retry_failed, progress=not args.quiet, limit=args.limit)
    print(summary.describe())  # counts, the failed points, how to retry or continue
    if summary.interrupted:
        return 130
    return 0 if summary.n_failed == 0 else 1


def _cmd_report(args) -> int:
    from purernn.sweep import report

    rep = report(args.study_dir, out=args.out, fmt=args.format, figures=not args.no_figures)
    print(rep.text)
    print(f"written to {rep.out}")
    return 0


COMMANDS = {
    "tasks": _cmd_tasks,
    "train": _cmd_train,
    "resume": _cmd_resume,
    "evaluate": _cmd_evaluate,
    "analyze": _cmd_analyze,
    "sweep": _cmd_sweep,
    "report": _cmd_report,
}


def main(argv=None) -> int:
    """Entry point of the ``purernn`` console script and ``python -m purernn``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from purernn.errors import ConvergenceError, PurernnError

    try:
        return COMMANDS[args.command](args)
    except CliError as err:
        parser.exit(2, f"purernn: error: {err}\n")
    except ConvergenceError as err:
        print(f"purernn: training failed: {err}", file=sys.stderr)
        return 1
    except PurernnError as err:
        print(f"purernn: error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # a full disk, a read-only directory, ... outside a run directory
        where = f": {err.filename}" if err.filename else ""
        print(f"purernn: error: {err.strerror or err}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # during start-up, or a second Ctrl-C
        run_dir = getattr(args, "out", None) if args.command == "train" else getattr(args, "run_dir", None)
        hint = ""
        if args.command in ("train", "resume") and run_dir is not None and (Path(run_dir) / "run.json").exists():
            hint = f"; the run keeps its last checkpoint: purernn resume {run_dir}"
        print(f"purernn: interrupted (Ctrl-C); every file written is complete{hint}", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
