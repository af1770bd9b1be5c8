"""Evaluate C. Jarne's published Keras networks on the "jarne" preset of their task.

Her repositories (github.com/katejarne/RNN_study_with_keras, 3-bit-FF-tutorial,
multitasking_RNN) ship trained networks as Keras HDF5 files; their files carry no licence,
so they are not copied into purernn. Clone the repositories (or copy their .hdf5 files)
under one folder and run

    python scripts/jarne_networks.py FOLDER [--n-trials 1000] [--out table.md]

Each file is loaded with ``pr.io.load_keras_h5``, matched to its task by its path (below)
and evaluated on ``n_trials`` fresh trials of ``pr.tasks.make(task, preset="jarne")``
with ``pr.evaluate`` (accuracy with its Wilson 95% interval). Initial states
(``*initial*.hdf5``) are listed as such; epoch checkpoints are evaluated like the final
networks (the final one of a training run is the last epoch, or the file under ``ok/``).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np

import purernn as pr

#: (pattern on the path relative to FOLDER, task name); the first match wins
RULES = (
    (r"networks/AND/", "and"),
    (r"networks/OR/", "or"),
    (r"networks/XOR/", "xor"),
    (r"networks/NOT/", "not"),
    (r"networks/FF/", "flipflop"),
    (r"networks/time/", "time_reproduction"),
    (r"networks/OSC/", "oscillation"),
    (r"3-bit-FF-tutorial/", "flipflop3"),
    (r"multitasking_RNN/", "multitask_gates"),
)


def task_of(rel: str):
    for pattern, name in RULES:
        if re.search(pattern, rel):
            return name
    return None


def flipflop3_breakdown(net, n_trials: int = 1000, seed: int = 0) -> dict:
    """Where a 3-bit flip-flop network loses the task's score (the right level, rounded to
    -1/0/+1, on >= 99% of the 3 x 340 steps, the ``settle`` steps from each change of the
    target counting as right), and whether its output is aligned with her target.

    ``lag_*``: for each change of the target (the last step's drop to 0 left out), the
    step at which the output last crosses the midpoint between the old and the new level
    in the new direction, minus the change's step (0: the output switches on the step
    the target does; a consistent 1 would mean a target or an import off by one step).
    ``wrong_steps_per_trial``, ``wrong_last_step_per_trial``: every wrong step (and those on
    the last step, where her target is 0); ``wrong_per_trial_output_shifted_d``: the same
    with ``z[t + d]`` judged against ``y[t]`` (the last step left out).
    ``wrong_*_per_trial``: wrong steps per trial, inside the settle windows (excused)
    and, scored, 1 to 3 steps before a change (an early switch), 3 to 9 steps after one (a
    late switch) and elsewhere (a level held wrong). ``accuracy_settle_k``: the
    score with ``settle = k``;
    ``accuracy_settle_3_and_k_before``: a rule that also excused the k steps before each
    change (not the task's rule: it would excuse an output that leaves its level early).
    ``accuracy_more_trials``: the task's score on 4 x `n_trials` other fresh trials.
    """
    task = pr.tasks.make("flipflop3", preset="jarne")
    batch = task.sample(n_trials, rng=np.random.default_rng(seed))
    z = pr.simulate(net, batch.x, rng=np.random.default_rng(seed + 1)).z  # (n_trials, n_steps, 3)
    y = task.level(batch.y)
    wrong = task.level(z) != y
    scored = task.scored_steps(batch)
    T = batch.n_steps
    change = np.zeros_like(wrong)
    change[:, 1:T - 1] = y[:, 1:T - 1] != y[:, :T - 2]  # the drop on the last step left out
    lags = []
    for b, t, j in zip(*np.nonzero(change)):
        old, new = y[b, t - 1, j], y[b, t, j]
        lo, hi = max(t - 10, 1), min(t + 11, T - 1)
        side = (z[b, lo:hi, j] - 0.5 * (old + new)) * np.sign(new - old) > 0  # on the new level's side
        behind = np.flatnonzero(~side)
        lags.append(lo + (behind[-1] + 1 if behind.size else 0) - t)
    lags = np.asarray(lags)
    before = np.zeros_like(wrong)  # 1 to 3 steps before a change
    for d in range(1, 4):
        before[:, :-d] |= change[:, d:]
    # steps since the last change of the target (T when there was none)
    t = np.arange(T)[None, :, None]
    last = np.maximum.accumulate(np.where(change, t, -T), axis=1)
    late = (t - last >= task.settle) & (t - last < 10)
    per_trial = {
        "in_settle_windows": wrong & ~scored,
        "scored_1_to_3_steps_before_a_change": wrong & scored & before,
        "scored_3_to_9_steps_after_a_change": wrong & scored & ~before & late,
        "scored_elsewhere": wrong & scored & ~before & ~late,
    }
    out = {"accuracy": float(task.accuracy(z, batch)), "mse": float(np.mean((z - batch.y) ** 2)),
           "lag_median": float(np.median(lags)), "lag_mean": float(np.mean(lags)),
           "lag_zero_fraction": float(np.mean(lags == 0)),
           "wrong_steps_per_trial": float(wrong.sum(axis=(1, 2)).mean()),
           "wrong_last_step_per_trial": float(wrong[:, -1].sum(axis=1).mean())}
    for d in (-1, 0, 1):  # z[t + d] against y[t], the last step left out
        zs, ys = (z[:, d:T - 1], y[:, :T - 1 - d]) if d >= 0 else (z[:, :T - 1 + d], y[:, -d:T - 1])
        out[f"wrong_per_trial_output_shifted_{d:+d}"] = float((task.level(zs) != ys).sum(axis=(1, 2)).mean())
    out.update({f"wrong_{k}_per_trial": float(v.sum(axis=(1, 2)).mean()) for k, v in per_trial.items()})
    for k in range(6):
        out[f"accuracy_settle_{k}"] = float(task.replace(settle=k).accuracy(z, batch))
    for k in (1, 2):  # a rule that also excused k steps before each change (not the task's)
        ahead = np.zeros_like(change)
        for d in range(1, k + 1):
            ahead[:, :-d] |= change[:, d:]
        frac = 1.0 - (wrong & scored & ~ahead).sum(axis=(1, 2)) / wrong[0].size
        out[f"accuracy_settle_{task.settle}_and_{k}_before"] = float(np.mean(frac >= task.step_criterion))
    more = pr.evaluate(net, task, n_trials=4 * n_trials, rng=np.random.default_rng(seed + 2))
    out.update({"accuracy_more_trials": more.accuracy, "more_trials": more.n_trials,
                "more_trials_ci_low": more.ci_low, "more_trials_ci_high": more.ci_high})
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder holding her repositories (or their .hdf5 files)")
    parser.add_argument("--n-trials", type=int, default=1000, help="fresh trials per network (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the trials (default: 0)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this file (default: no)")
    parser.add_argument("--skip-initial", action="store_true", help="leave out the untrained initial states")
    parser.add_argument("--breakdown", action="store_true",
                        help="also where the last 3-bit flip-flop network misses the score (default: no)")
    args = parser.parse_args(argv)

    rows = ["| file | task | n_rec | accuracy | 95% CI (Wilson) | note |", "|---|---|---|---|---|---|"]
    for path in sorted(args.folder.rglob("*.hdf5")):
        rel = str(path.relative_to(args.folder))
        name = task_of(rel)
        if name is None:
            continue
        initial = "initial" in path.name
        if initial and args.skip_initial:
            continue
        net = pr.io.load_keras_h5(path)
        task = pr.tasks.make(name, preset="jarne")
        t0 = time.perf_counter()
        ev = pr.evaluate(net, task, n_trials=args.n_trials, rng=np.random.default_rng(args.seed))
        note = "initial (untrained)" if initial else ("final (ok/)" if "/ok/" in rel else "")
        row = (f"| `{rel}` | {name} | {net.n_rec} | {ev.accuracy:.3f} | {ev.ci_low:.3f}-{ev.ci_high:.3f} | "
               f"{note} |")
        rows.append(row)
        print(row, f"  ({time.perf_counter() - t0:.1f} s)", flush=True)
    text = "\n".join(rows) + "\n"
    if args.breakdown:
        last = sorted(p for p in args.folder.rglob("ff_3b_weights-*.hdf5"))[-1:]
        for path in last:
            text += f"\n{path.name}: " + ", ".join(f"{k} {v:.4g}" for k, v in
                                                  flipflop3_breakdown(pr.io.load_keras_h5(path)).items()) + "\n"
        print(text.splitlines()[-1])
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
