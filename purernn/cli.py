"""The ``purernn`` command line: a thin layer of argparse over the library.

    purernn tasks                                   table of tasks
    purernn tasks NAME [--out FILE.png]             one task: timing, conditions, presets
    purernn train TASK --out RUN_DIR [options]      train and write the run + figures
    purernn resume RUN_DIR                          continue an interrupted run
    purernn runs DIR [--json]                       the runs under a directory or study
    purernn evaluate RUN_DIR [--json]               accuracy (Wilson 95% CI) per condition
    purernn analyze RUN_DIR [--format pdf]          analysis report (purernn.analysis)
    purernn export RUN_DIR --format mat|keras       the network for MATLAB or Keras
    purernn sweep STUDY.toml / report STUDY_DIR     studies of many realizations

Every option of ``purernn train`` can also be given in a TOML file (``--config``) under
the same name (``n_rec = 50``, ``lr = 1e-3``, ``n_steps = 500``); a ``[task]`` table
overrides task fields. Options on the command line win over the file, the file over the
task's defaults (:data:`purernn.presets.TRAIN_DEFAULTS`). The names, their allowed values
and defaults are :mod:`purernn.options`.

Heavy modules (Numba kernels, SciPy, matplotlib) are imported inside the subcommands that
need them, so that ``purernn --version``, ``--help`` and ``purernn tasks`` answer at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import time
import warnings
from pathlib import Path

from .options import DEPRECATED_FLAGS, NETWORK, OPTIONS, PARSERS, TRAINING, help_line, parse_assignments

__all__ = ["main", "build_parser"]

OTHER_KEYS = ("task", "preset")  # the [task] table of a TOML file, the task's preset
FIGURE_FORMATS = ("png", "pdf", "svg")  # purernn.figures.FORMATS (not imported: matplotlib)


def _add_option(group, option) -> None:
    group.add_argument(option.flag, dest=option.name, type=PARSERS[option.type], default=None,
                       metavar=option.name.upper(), choices=option.choices or None, help=help_line(option))


def _add_figure_options(parser, what: str) -> None:
    parser.add_argument("--format", dest="fig_format", choices=FIGURE_FORMATS, default="png",
                        help=f"file format of the {what} figures: png, pdf or svg (default: png)")
    parser.add_argument("--dpi", type=int, default=120,
                        help="resolution of the figures in dots per inch (default: 120)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    from purernn import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(prog="purernn", formatter_class=fmt, description=(
        "Train and study small continuous-time rate RNNs.\n\n"
        "A first session:\n"
        "  purernn tasks                      the tasks; purernn tasks xor for one\n"
        "  purernn train xor --out runs/xor   train (prints the seed and how to repeat the run)\n"
        "  purernn runs runs                  what has been trained\n"
        "  purernn evaluate runs/xor          accuracy per condition (--json for a script)\n"
        "  purernn COMMAND --help             the options of a command"))
    p.add_argument("--version", action="version", version=f"purernn {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress messages (default: warnings only)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pt = sub.add_parser("tasks", help="list the tasks, or describe one (purernn tasks NAME)",
                        description="Without NAME: a table of the tasks. With NAME: its inputs, "
                                    "outputs, timing, conditions, fields and recommended settings; "
                                    "--out also draws sample trials, one per condition.")
    pt.add_argument("words", nargs="*", metavar="NAME", help="a task name ('show NAME' also works)")
    pt.add_argument("--out", type=Path, default=None, help="also draw sample trials into this PNG file (default: no picture)")
    pt.add_argument("--seed", type=int, default=0, help="seed of the sample trials (default: 0)")

    tr = sub.add_parser("train", help="train a network on a task into a run directory",
                        description="Train the task's recommended network with its recommended "
                                    "settings, or with the options below, into a run directory. "
                                    "Every option also goes in the --config TOML file under its "
                                    "name with underscores (n_rec = 100).")
    tg = tr.add_argument_group("task")
    tg.add_argument("task", nargs="?", help="task name (see `purernn tasks`)")
    tg.add_argument("--neurogym", metavar="ENV_ID", help="train on a NeuroGym environment instead "
                    "(e.g. PerceptualDecisionMaking-v0; --task-field passes its keywords, dt=20; "
                    "needs neurogym; default: none)")
    tg.add_argument("--config", type=Path, metavar="FILE.toml",
                    help="TOML file with any option below (command-line options win over it) "
                         "and a [task] table of task fields (default: none)")
    tg.add_argument("--task-field", action="append", default=[], metavar="NAME=VALUE",
                    help="set a field of the task, e.g. noise_sigma=0.05 (repeatable; default: "
                         "the task's defaults, see `purernn tasks TASK`)")
    tg.add_argument("--preset", default=None, metavar="NAME",
                    help="start the task's fields from a preset: 'jarne' reproduces C. Jarne's data "
                         "generator (the --task-field values apply on top; default: 'default')")
    net = tr.add_argument_group("network (Network.create; defaults: the task's preset)")
    for option in NETWORK:
        _add_option(net, option)
    opt = tr.add_argument_group("training (TrainConfig; defaults: the task's preset)")
    for option in TRAINING:
        _add_option(opt, option)
    for old, new in DEPRECATED_FLAGS.items():  # purernn 0.1 spellings, hidden from --help
        opt.add_argument("--" + old, dest="deprecated_" + old, type=int, default=None, help=argparse.SUPPRESS)
    out = tr.add_argument_group("output")
    out.add_argument("--out", required=True, type=Path, help="run directory to create (required)")
    out.add_argument("--overwrite", action="store_true", help="replace a run already in --out (default: refuse)")
    out.add_argument("--quiet", action="store_true", help="no progress bar (default: a bar with loss and accuracy)")
    out.add_argument("--no-figures", action="store_true",
                     help="do not write figures/ (default: loss, accuracy and sample trials as PNG)")

    rs = sub.add_parser("resume", help="continue an interrupted run exactly where it stopped",
                        description="Continue a run stopped by Ctrl-C (or killed) from its last "
                                    "checkpoint; the result is bitwise that of an uninterrupted run.")
    rs.add_argument("run_dir", type=Path, help="the run directory (from purernn train --out)")
    rs.add_argument("--quiet", action="store_true", help="no progress bar (default: a bar)")
    rs.add_argument("--no-figures", action="store_true", help="do not write figures/ (default: write them)")

    ls = sub.add_parser("runs", help="list the runs under a directory or a study",
                        description="One row per run: task, init, n_rec, seed, steps, accuracy, "
                                    "status. DIR may hold run directories at any depth, or be a "
                                    "study directory (purernn sweep), listed from its results database.")
    ls.add_argument("dir", type=Path, help="a directory of runs, or a study directory")
    ls.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                    help="only the rows with this value, e.g. --where task=xor --where seed=1 "
                         "(repeatable; default: all rows)")
    ls.add_argument("--json", action="store_true", help="print JSON, a list of rows (default: a table)")

    ev = sub.add_parser("evaluate", help="accuracy and loss of a run's network on fresh trials, per condition",
                        description="Accuracy with its Wilson 95%% interval and the loss on fresh "
                                    "trials, overall and for each condition of the task.")
    ev.add_argument("run_dir", type=Path, help="the run directory")
    ev.add_argument("--n-trials", type=int, default=1000, help="number of fresh trials (default: 1000)")
    ev.add_argument("--seed", type=int, default=None,
                    help="seed of the fresh trials (default: drawn at random and printed)")
    ev.add_argument("--json", action="store_true", help="print JSON (default: text)")
    ev.add_argument("--psychometric", action="store_true", help="also the psychometric curve of a decision "
                    "task: choices vs the signed stimulus, Wilson intervals, logistic fit with 95%% CIs (default: no)")

    an = sub.add_parser("analyze", help="analysis report of a trained network",
                        description="Spectrum, weights, linearization, fixed points, activity and "
                                    "degradation of a network, as figures and summary.json.")
    an.add_argument("source", type=Path, help="run directory, or a Keras .h5/.hdf5 weight file")
    an.add_argument("--task", help="task name for a Keras file (enables the trial-based analyses; default: none)")
    an.add_argument("--preset", default="default", metavar="NAME", help="preset of --task, e.g. 'jarne' "
                    "for C. Jarne's published networks (default: 'default')")
    an.add_argument("--quiet", action="store_true", help="no progress bars (default: one bar per stage)")
    an.add_argument("--quick", action="store_true", help="fewer trials and starting states (default: the full analysis)")
    an.add_argument("--out", type=Path, help="output directory (default: RUN_DIR, or the file's path without suffix)")
    _add_figure_options(an, "analysis")

    ex = sub.add_parser("export", help="write a run's network for MATLAB (.mat) or Keras (.h5)",
                        description="mat: one named array per parameter (W_in, W_rec, b_rec, W_out, "
                                    "b_out), the configuration and the model equation (scipy.io; "
                                    "read back with purernn.io.load_mat). keras: a SimpleRNN + Dense "
                                    "HDF5 weight file for model.load_weights (read back with "
                                    "purernn.io.load_keras_h5; needs alpha = 1 and tanh).")
    ex.add_argument("run_dir", type=Path, help="the run directory")
    ex.add_argument("--format", dest="export_format", required=True, choices=("mat", "keras"),
                    help="mat or keras (required)")
    ex.add_argument("--out", type=Path, default=None,
                    help="file to write (default: RUN_DIR/network.mat or RUN_DIR/network.h5)")
    ex.add_argument("--initial", action="store_true", help="export the network before training (default: the trained one)")
    _add_sweep_parsers(sub)
    return p


class CliError(Exception):
    """A usage error reported as ``purernn: error: ...`` with exit code 2."""


def _join_negative_numbers(argv: list) -> list:
    """``--lr -1e-3`` -> ``--lr=-1e-3``: argparse takes ``-1e-3`` for an option, so a
    negative value would be reported missing instead of reaching its validation."""
    out = []
    for tok in argv:
        prev = out[-1] if out else ""
        if tok.startswith("-") and prev.startswith("--") and "=" not in prev:
            try:
                float(tok)
            except ValueError:
                pass
            else:
                out[-1] = f"{prev}={tok}"
                continue
        out.append(tok)
    return out


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
    valid = list(OPTIONS) + list(OTHER_KEYS)
    out = {}
    for key, value in data.items():
        k = key.replace("-", "_")
        if k in DEPRECATED_FLAGS:
            _deprecated(f"key {key!r} in {str(path)!r}", repr(DEPRECATED_FLAGS[k]))
            if DEPRECATED_FLAGS[k] in data:
                raise CliError(f"{str(path)!r} sets both {key!r} and {DEPRECATED_FLAGS[k]!r}; keep {DEPRECATED_FLAGS[k]!r}")
            k = DEPRECATED_FLAGS[k]
        elif k not in valid:
            raise CliError(f"unknown key {key!r} in {str(path)!r}; valid keys: {', '.join(valid)}")
        if k == "task" and not isinstance(value, dict):
            raise CliError(f"key 'task' in {str(path)!r} must be a table of task fields ([task])")
        if isinstance(value, str) and value.lower() == "none" and OPTIONS.get(k) is not None \
                and OPTIONS[k].type.endswith("_or_none"):
            value = None  # TOML has no null
        out[k] = value
    return out


def _deprecated(what: str, instead: str) -> None:
    """Say that an old spelling was used (a DeprecationWarning, shown as one line)."""
    warnings.warn(f"{what} is deprecated; use {instead} (one name in the CLI, TOML files, study "
                  "files and Python)", DeprecationWarning, stacklevel=2)


def _configs(args):
    """(task, network kwargs, TrainConfig) from defaults < TOML file < command line."""
    import purernn as pr
    from purernn.presets import default_network_kwargs

    given = _read_toml(args.config) if args.config else {}
    for old, new in DEPRECATED_FLAGS.items():
        value = getattr(args, "deprecated_" + old, None)
        if value is not None:
            _deprecated("--" + old, "--" + new.replace("_", "-"))
            if getattr(args, new) is not None:
                raise CliError(f"give --{new.replace('_', '-')} only (--{old} is its old spelling)")
            setattr(args, new, value)
    for name in OPTIONS:
        value = getattr(args, name)
        if value is not None:
            given[name] = value
    try:
        task_fields = {**given.pop("task", {}), **parse_assignments(args.task_field)}
    except ValueError as err:
        raise CliError(f"--task-field: {err}") from err
    if (args.task is None) == (args.neurogym is None):
        raise CliError("give a task name or --neurogym ENV_ID (one of the two)")
    preset = args.preset or given.pop("preset", None) or task_fields.pop("preset", "default")
    if args.neurogym is not None:
        task = pr.tasks.from_neurogym(args.neurogym, **task_fields)
    else:
        task = pr.tasks.make(args.task, preset=preset, **task_fields)
    net_kw = {o.name: given[o.name] for o in NETWORK if o.name in given}
    train_kw = {o.name: given[o.name] for o in TRAINING if o.name in given}
    if "n_epochs" in train_kw and "n_steps" in train_kw and "regime" not in train_kw:
        raise CliError("give either --n-epochs (fixed training set) or --n-steps (fresh trials), "
                       "not both (or say which with --regime)")
    if "n_epochs" in train_kw:
        train_kw.setdefault("regime", "fixed")
    if "n_steps" in train_kw:
        train_kw.setdefault("regime", "fresh")
    config = pr.default_train_config(task, **train_kw)
    return task, default_network_kwargs(task, **net_kw), config


def _cmd_tasks(args) -> int:
    import purernn as pr

    words = list(args.words)
    if words and words[0] == "show":  # purernn 0.1: tasks show NAME --out FILE
        words = words[1:]
        if args.out is None:
            raise CliError("tasks show NAME needs --out FILE.png")
    if len(words) > 1:
        raise CliError(f"give one task name; got {' '.join(words)}")
    if words:
        from purernn.presets import describe_task

        print(describe_task(words[0]))
        if args.out is not None:
            from purernn.figures import save_png, task_figure

            save_png(task_figure(pr.tasks.make(words[0]), rng=args.seed), args.out)
            print(f"wrote {args.out}")
        return 0
    rows = [(name, cls.summary, cls.source) for name, cls in pr.tasks.TASKS.items()]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"{'name':<{w0}}  {'summary':<{w1}}  source")
    for name, summary, source in rows:
        print(f"{name:<{w0}}  {summary:<{w1}}  {source.split(';')[0]}")
    return 0


class _CompileNotice:
    """Says on stderr when Numba compiles kernels (a cache miss), once, and how long it took."""

    def __enter__(self):
        from purernn.jit_events import CompileWatch

        self.watch = CompileWatch(lambda: print("compiling kernels once for this machine (the next runs "
                                                "load them from the cache) ...", file=sys.stderr, flush=True))
        return self.watch.__enter__()

    def __exit__(self, *exc):
        self.watch.__exit__(*exc)
        if self.watch.compiled:
            print(f"kernels compiled in {self.watch.seconds:.1f} s", file=sys.stderr)
        return False


def _repeat_command(args, seed: int) -> str:
    """The command line of this run with its seed (so that it can be repeated)."""
    argv = list(getattr(args, "argv", None) or ["train", args.task, "--out", str(args.out)])
    cleaned, skip = [], False
    for tok in argv:
        if skip:
            skip = False
            continue
        if tok == "--seed":
            skip = True
            continue
        if tok.startswith("--seed=") or tok == "--overwrite":
            continue
        cleaned.append(tok)
    return "purernn " + " ".join(shlex.quote(t) for t in cleaned + ["--seed", str(seed)])


def _finish(run_dir: Path, result, *, figures: bool, repeat: str | None = None) -> int:
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
          f"{result.target_accuracy:g}; seed {result.config.seed}; run saved in {run_dir}")
    if repeat:
        print(f"repeat it (in another --out, or with --overwrite): {repeat}")
    return 0


def _cmd_train(args) -> int:
    import purernn as pr
    from purernn.config import resolve_seed

    task, net_kw, config = _configs(args)
    drawn = config.seed is None
    config = resolve_seed(config)  # the init stream needs the seed before training starts
    repeat = _repeat_command(args, config.seed)
    print(f"seed {config.seed} ({'drawn at random; ' if drawn else ''}stored in {args.out / 'run.json'}); "
          f"to repeat this run: {repeat}", flush=True)
    net = pr.default_network(task, seed=config.seed, **net_kw)
    with _CompileNotice():
        result = pr.train(net, task, config, progress=not args.quiet, run_dir=args.out,
                          overwrite=args.overwrite)
    return _finish(args.out, result, figures=not args.no_figures, repeat=repeat)


def _cmd_resume(args) -> int:
    import purernn as pr

    with _CompileNotice():
        result = pr.resume(args.run_dir, progress=not args.quiet)
    return _finish(args.run_dir, result, figures=not args.no_figures)


def _cmd_runs(args) -> int:
    from purernn.listing import DB_FILE, filter_rows, format_rows, list_runs, study_rows

    if (args.dir / DB_FILE).is_file():  # a study directory: every point, from its database
        from purernn.sweep import rows_for_study

        rows = study_rows(rows_for_study(args.dir))
    else:
        rows = list_runs(args.dir)
    rows = filter_rows(rows, args.where)
    print(json.dumps(rows, indent=1) if args.json else format_rows(rows))
    return 0


def _cmd_evaluate(args) -> int:
    import numpy as np

    import purernn as pr

    result = pr.load_run(args.run_dir)
    seed = args.seed if args.seed is not None else int(np.random.SeedSequence().entropy % 2**32)
    with _CompileNotice():
        ev = pr.evaluate(result.net, result.task, n_trials=args.n_trials, rng=seed)
    psy = pr.analysis.psychometric(result.net, result.task, n_trials=args.n_trials, rng=seed) \
        if args.psychometric else None  # a ValidationError for a task without one
    if args.json:
        out = {"run": str(args.run_dir), "task": result.task.name, "trials_seed": seed,
               "criterion": result.target_accuracy, **ev.to_dict()}
        out.update({"psychometric": psy.to_dict()} if psy is not None else {})
        print(json.dumps(out, indent=1))
        return 0
    print(f"task {result.task.name}: accuracy {ev.accuracy:.4f} "
          f"(95% CI {ev.ci_low:.4f}-{ev.ci_high:.4f}, Wilson; {ev.n_correct}/{ev.n_trials} trials), "
          f"loss {ev.loss:.6g}; criterion {result.target_accuracy:g}; trials seed {seed}")
    if len(ev.by_condition) > 1:
        width = max(len(c.name) for c in ev.by_condition)
        print(f"  {'condition':<{width}}  trials  accuracy  95% CI")
        for c in ev.by_condition:
            print(f"  {c.name:<{width}}  {c.n_trials:>6}  {c.accuracy:8.4f}  {c.ci_low:.4f}-{c.ci_high:.4f}")
    if psy is not None:
        print(psy.format())
    return 0


def _cmd_export(args) -> int:
    import purernn as pr
    from purernn.io import save_keras_h5, save_mat

    result = pr.load_run(args.run_dir)
    net = result.net_init if args.initial else result.net
    if args.export_format == "mat":
        out = args.out or args.run_dir / "network.mat"
        save_mat(net, out, extra={"task": result.task.name, "train_seed": int(result.config.seed),
                                  "trained_steps": 0 if args.initial else int(result.n_steps)})
        print(f"wrote {out}: W_in, W_rec, b_rec, W_out, b_out, the configuration and the equation "
              f"(MATLAB: m = load('{Path(out).name}'); Python: purernn.io.load_mat)")
    else:
        out = args.out or args.run_dir / "network.h5"
        save_keras_h5(net, out)
        print(f"wrote {out}: Keras SimpleRNN({net.n_rec}) + Dense({net.n_out}) weights "
              f"(Keras: model.load_weights; purernn: purernn.io.load_keras_h5 or purernn analyze {out})")
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
        task = pr.tasks.make(args.task, preset=args.preset) if args.task else None
        out = args.out or src.with_suffix("")
    out = Path(out)  # created by analyze_network once its arguments are checked
    with _CompileNotice():
        analyze_network(net, task, net_before=net_before, out_dir=out / "figures",
                        summary_path=out / "summary.json", quick=args.quick, fig_format=args.fig_format,
                        dpi=args.dpi, label=src.name, progress=not args.quiet)
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
                    help="also run the points that failed before (training error, or a worker that "
                         "died twice on them), as the summary lists them (default: skip them)")
    sw.add_argument("--limit", type=int, default=None,
                    help="run at most this many points, in run order (default: all)")
    sw.add_argument("--quiet", action="store_true", help="no progress bar (default: a bar with an ETA)")

    rp = sub.add_parser(
        "report", help="tables and figures of a study directory",
        description="Success rates per condition, spectra and degradation of a study's "
                    "realizations, from its results database (no training).")
    rp.add_argument("study_dir", help="study directory (holds results.sqlite)")
    rp.add_argument("--out", default=None, help="output directory (default: STUDY_DIR/report)")
    rp.add_argument("--tables", choices=("markdown", "text"), default="markdown",
                    help="table format printed and written to report.md / report.txt (default: markdown)")
    rp.add_argument("--format", dest="fig_format", choices=FIGURE_FORMATS + ("markdown", "text"), default="png",
                    help="file format of the figures: png, pdf or svg (default: png; markdown and "
                         "text, its meaning in purernn 0.1, are the old spelling of --tables)")
    rp.add_argument("--dpi", type=int, default=120, help="resolution of the figures in dots per inch (default: 120)")
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

    if args.fig_format in ("markdown", "text"):
        _deprecated(f"--format {args.fig_format}", f"--tables {args.fig_format}")
        args.tables, args.fig_format = args.fig_format, "png"
    rep = report(args.study_dir, out=args.out, fmt=args.tables, figures=not args.no_figures,
                 fig_format=args.fig_format, dpi=args.dpi)
    print(rep.text)
    print(f"written to {rep.out}")
    return 0


COMMANDS = {
    "tasks": _cmd_tasks,
    "train": _cmd_train,
    "resume": _cmd_resume,
    "runs": _cmd_runs,
    "evaluate": _cmd_evaluate,
    "analyze": _cmd_analyze,
    "export": _cmd_export,
    "sweep": _cmd_sweep,
    "report": _cmd_report,
}


#: Optional dependencies -> the extra that installs them.
EXTRAS = {"dask": "cluster", "distributed": "cluster", "neurogym": "neurogym"}


def _show_deprecation(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"purernn: warning: {message}", file=sys.stderr)


def main(argv=None) -> int:
    """Entry point of the ``purernn`` console script and ``python -m purernn``."""
    argv = _join_negative_numbers([str(a) for a in (sys.argv[1:] if argv is None else argv)])
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from purernn.errors import ConvergenceError, PurernnError

    try:
        with warnings.catch_warnings():
            # an old spelling is one line on stderr, not a traceback-like warning
            warnings.filterwarnings("always", message=r".* is deprecated; use ", category=DeprecationWarning)
            warnings.showwarning = _show_deprecation
            return COMMANDS[args.command](args)
    except CliError as err:
        parser.exit(2, f"purernn: error: {err}\n")
    except ConvergenceError as err:
        print(f"purernn: training failed: {err}", file=sys.stderr)
        return 1
    except PurernnError as err:
        print(f"purernn: error: {err}", file=sys.stderr)
        return 1
    except ImportError as err:
        if err.name not in EXTRAS:
            raise
        print(f"purernn: error: this needs {err.name}, an optional dependency: "
              f"pip install 'purernn[{EXTRAS[err.name]}]'", file=sys.stderr)
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
