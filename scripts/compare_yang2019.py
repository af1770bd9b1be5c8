"""Compare ``pr.tasks.make("yang2019")`` with the original ``task.py`` of Yang et al. (2019).

The original (github.com/gyyang/multitask, ``task.py``) needs only NumPy and ``six``; give
the path of a copy of it. For every rule this script

- builds the original's mode ``'test'`` trials (noise off) and purernn's
  ``stimulus_grid(rule)``, and reports the largest difference of the inputs, targets,
  cost masks (purernn's mask is the original's ``c_mask`` squared, times
  ``2 / (T n_out)``) and response directions;
- scores two kinds of outputs (random sigmoid outputs, and noisy targets) with the
  original's ``get_perf`` (re-typed here from ``network.py``, which needs TensorFlow) and
  with ``task.score``, and says whether they agree on every trial;
- draws `--n` batches of one trial from the original's mode ``'random'`` (it draws the
  timing once per batch) and `--n` trials from purernn, and compares the lengths and
  the epoch durations with two-sample Kolmogorov-Smirnov tests.

    python scripts/compare_yang2019.py --original /path/to/multitask/task.py [--n 300]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import types
import warnings
from pathlib import Path

import numpy as np

import purernn as pr
from purernn.tasks.yang2019 import RULES


def load_original(path: Path):
    """The original task.py as a module (a stand-in ``six`` if it is not installed)."""
    if importlib.util.find_spec("six") is None:
        sys.modules["six"] = types.SimpleNamespace(string_types=(str,))
    spec = importlib.util.spec_from_file_location("yang_original_task", path)
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its `rule is 'testinit'`
        spec.loader.exec_module(module)
    return module


def original_hp(seed: int) -> dict:
    """The entries of the original's ``get_default_hp('all')`` that task.py reads."""
    return dict(dt=20, n_eachring=32, n_input=85, n_output=33, loss_type="lsq", sigma_x=0.01, alpha=0.2,
                rng=np.random.RandomState(seed), ruleset="all", rule_start=65)


def original_perf(y_hat, y_loc):
    """network.py's get_perf and popvec (time-major arrays), re-typed."""
    y_loc, y_hat = y_loc[-1], y_hat[-1]
    pref = np.arange(0, 2 * np.pi, 2 * np.pi / (y_hat.shape[-1] - 1))
    ring = y_hat[..., 1:]
    total = ring.sum(-1)
    loc = np.mod(np.arctan2((ring * np.sin(pref)).sum(-1) / total, (ring * np.cos(pref)).sum(-1) / total), 2 * np.pi)
    fixating = y_hat[..., 0] > 0.5
    d = np.abs(y_loc - loc)
    d = np.minimum(d, 2 * np.pi - d)
    should_fix = y_loc < 0
    return (should_fix * fixating + (1 - should_fix) * (d < 0.2 * np.pi) * (1 - fixating)).astype(bool)


def compare_grid(orig, task, rule: str) -> dict:
    tr = orig.generate_trials(rule, original_hp(0), "test", noise_on=False)
    g = task.stimulus_grid(rule)
    T, B = tr.x.shape[:2]
    x, y, m = (a.transpose(1, 0, 2) for a in (g.x, g.y, g.mask))  # time-major, as the original
    c = tr.c_mask.reshape(T, B, -1)
    rng = np.random.default_rng(0)
    outputs = [1 / (1 + np.exp(-rng.normal(0, 2, y.shape))), np.clip(tr.y + rng.normal(0, 0.2, y.shape), 0.01, 0.99)]
    agree = all(np.array_equal(original_perf(z, tr.y_loc), task.score(z.transpose(1, 0, 2), g)) for z in outputs)
    return {"shape": x.shape == tr.x.shape, "x": np.abs(x - tr.x).max(), "y": np.abs(y - tr.y).max(),
            "mask": np.abs(m - c**2 * 2 / (T * c.shape[2])).max(),
            "y_loc": np.abs(g.info["target_loc"] - tr.y_loc[-1]).max(), "get_perf": agree}


def compare_random(orig, rule: str, n: int) -> dict:
    from scipy.stats import ks_2samp

    hp = original_hp(1)
    lengths, durations = [], {}
    for _ in range(n):
        tr = orig.generate_trials(rule, hp, "random", batch_size=1)
        T = tr.x.shape[0]
        lengths.append(T)
        for e, (a, b) in tr.epochs.items():
            a = 0 if a is None else int(np.ravel(a)[0])
            b = T if b is None else int(np.ravel(b)[0])
            durations.setdefault(e, []).append(b - a)
    batch = pr.tasks.make("yang2019", rules=(rule,), sigma_x=0.0).sample(n, rng=1)
    p = {"length": ks_2samp(lengths, batch.info["length"], method="asymp").pvalue}
    for e, d in durations.items():
        ours = batch.info[f"epoch_{e}"]
        p[e] = ks_2samp(d, ours[:, 1] - ours[:, 0], method="asymp").pvalue
    return {"mean_length": (float(np.mean(lengths)), float(batch.info["length"].mean())), "min_p": min(p.values())}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--original", type=Path, required=True, help="path of the original task.py")
    parser.add_argument("--n", type=int, default=300, help="trials per rule in the random-mode comparison (default 300)")
    args = parser.parse_args(argv)
    orig = load_original(args.original)
    task = pr.tasks.make("yang2019")
    print("| rule | max abs diff x / y / mask / direction (mode 'test') | get_perf agrees | "
          "mean length orig / purernn (random) | smallest KS p |")
    print("|---|---|---|---|---|")
    worst, smallest = 0.0, 1.0
    for rule in RULES:
        g = compare_grid(orig, task, rule)
        r = compare_random(orig, rule, args.n)
        worst = max(worst, g["x"], g["y"], g["mask"], g["y_loc"])
        smallest = min(smallest, r["min_p"])
        print(f"| {rule} | {g['x']:.1e} / {g['y']:.1e} / {g['mask']:.1e} / {g['y_loc']:.1e} | "
              f"{'yes' if g['get_perf'] and g['shape'] else 'NO'} | {r['mean_length'][0]:.1f} / "
              f"{r['mean_length'][1]:.1f} | {r['min_p']:.3f} |")
    print(f"\nlargest difference {worst:.1e} (the original computes in float32); smallest KS p {smallest:.3f}")


if __name__ == "__main__":
    main()
