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
    """Where a 3-bit flip-flop network misses the task's score (right level, rounded to
    -1/0/+1, on >= 99% of the 3 x 340 steps): the zero last step of her target, the steps
    next to a change of the target, the rest."""
    task = pr.tasks.make("flipflop3", preset="jarne")
    batch = task.sample(n_trials, rng=np.random.default_rng(seed))
    z = pr.simulate(net, batch.x, rng=np.random.default_rng(seed + 1)).z
    wrong = np.rint(np.clip(z, -1, 1)) != np.rint(batch.y)  # (n_trials, n_steps, 3)
    T = batch.n_steps
    change = np.zeros_like(wrong)
    change[:, 1:] = np.diff(batch.y, axis=1) != 0
    change[:, -1] = False  # the drop to 0 on the last step is counted apart
    out = {"accuracy": float(task.accuracy(z, batch)), "mse": float(np.mean((z - batch.y) ** 2)),
           "wrong_steps_per_trial": float(wrong.sum(axis=(1, 2)).mean()),
           "wrong_last_step_per_trial": float(wrong[:, -1].sum(axis=1).mean())}
    for tol in (2, 3, 5):
        near = np.zeros_like(wrong)
        for d in range(-tol, tol + 1):  # steps within tol of a target change
            near |= np.roll(change, d, axis=1)
        far = wrong.copy()
        far[:, -1] = False
        out[f"wrong_within_{tol}_of_a_change_per_trial"] = float((far & near).sum(axis=(1, 2)).mean())
        out[f"trials_right_elsewhere_tol{tol}"] = float(np.mean(~(far & ~near).any(axis=(1, 2))))
    last_ok = wrong.copy()
    last_ok[:, -1] = False
    out["accuracy_without_last_step"] = float(np.mean(last_ok.sum(axis=(1, 2)) <= (1 - task.step_criterion)
                                                     * 3 * T))
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
