"""Train purernn on NeuroGym environments and compare with an ideal observer on the same
trials (needs ``pip install 'purernn[neurogym]'``; NeuroGym 2.3 itself imports torch).

For each environment: a 64-unit leaky tanh network (alpha = dt / tau, tau = 100 ms) with a
softmax output, trained with cross-entropy on one-hot actions (``pr.tasks.from_neurogym``,
the decision period weighted 5 times the other steps, as Yang et al. 2019 weight theirs)
for the whole step budget (no early stop; the best validation evaluation is kept), then
scored NeuroGym's way (the action at the end of the decision period, fixation breaks
are errors) on 1000 fresh trials, next to an observer that sees the same noisy inputs
without a network:

- PerceptualDecisionMaking: the channel with the larger summed stimulus;
- DelayComparison: the larger of the two stimulus means (first vs second);
- ContextDecisionMaking (context 0): the larger summed stimulus of modality 1;
- DelayMatchSample: match when the mean sample and test stimuli favour the same channel.

    python scripts/neurogym_table.py [--steps 3000] [--seed 0] [--decision-weight 5]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import purernn as pr
from purernn.config import stream_rng
from purernn.evaluation import wilson_interval

ENVS = ("PerceptualDecisionMaking-v0", "DelayMatchSample-v0", "DelayComparison-v0",
        "ContextDecisionMaking-v0")


def _mean_over(batch, channels, period):
    """Per-trial mean of the inputs `channels` over the steps of `period`."""
    start, end = batch.info[f"start_{period}"], batch.info[f"end_{period}"]
    out = np.zeros((batch.n_trials, len(channels)))
    for b in range(batch.n_trials):
        out[b] = batch.x[b, start[b]:end[b]][:, channels].mean(axis=0)
    return out


def ideal_choice(env_id: str, batch) -> np.ndarray:
    """The ideal observer's action per trial (1 or 2)."""
    if env_id.startswith("PerceptualDecisionMaking"):
        m = _mean_over(batch, [1, 2], "stimulus")
        return np.where(m[:, 0] > m[:, 1], 1, 2)
    if env_id.startswith("DelayComparison"):
        v1 = _mean_over(batch, [1], "stimulus1")[:, 0]
        v2 = _mean_over(batch, [1], "stimulus2")[:, 0]
        return np.where(v1 > v2, 1, 2)
    if env_id.startswith("ContextDecisionMaking"):
        m = _mean_over(batch, [1, 2], "stimulus")
        return np.where(m[:, 0] > m[:, 1], 1, 2)
    if env_id.startswith("DelayMatchSample"):
        s = _mean_over(batch, [1, 2], "sample")
        t = _mean_over(batch, [1, 2], "test")
        # the stimuli are 0.5 + 0.5 cos(theta - preferred): compare the channel differences
        return np.where((s[:, 0] - s[:, 1]) * (t[:, 0] - t[:, 1]) > 0, 1, 2)
    raise ValueError(env_id)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="training steps (default 3000)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    parser.add_argument("--dt", type=float, default=20.0, help="ms per step (default 20)")
    parser.add_argument("--decision-weight", type=float, default=5.0,
                        help="loss weight of the decision period's steps (default 5, as Yang et al.)")
    parser.add_argument("--envs", nargs="+", default=list(ENVS), help="environments (default: all four)")
    args = parser.parse_args(argv)
    rows = []
    for env_id in args.envs:
        with warnings.catch_warnings():  # gymnasium's chatter about wrapper attributes
            warnings.simplefilter("ignore")
            task = pr.tasks.from_neurogym(env_id, dt=args.dt, decision_weight=args.decision_weight)
            net = pr.Network.create(task.n_in, 64, task.n_out, alpha=task.alpha, output="softmax",
                                    seed=stream_rng(args.seed, "init"))
            # no early stop: train the full budget and keep the best validation accuracy
            cfg = pr.TrainConfig(loss="cross_entropy", n_steps=args.steps, lr=3e-3, batch_size=32,
                                 clip_norm=1.0, eval_every=100, stop_at_criterion=False, seed=args.seed)
            t0 = time.perf_counter()
            result = pr.train(net, task, cfg, progress=False)
            wall = time.perf_counter() - t0
            batch = task.sample(1000, rng=np.random.default_rng(args.seed + 1))
        z = pr.simulate(result.net, batch.x).z
        acc = task.score(z, batch).mean()
        b = np.arange(batch.n_trials)
        gt = batch.info["gt"][b, batch.info["decision_step"]]
        ideal = np.mean(ideal_choice(env_id, batch) == gt)
        lo, hi = wilson_interval(int(round(acc * 1000)), 1000)
        rows.append((env_id, result.n_steps, wall, acc, lo, hi, ideal))
        print(f"{env_id}: {result.n_steps} steps in {wall:.0f} s; purernn {acc:.3f} "
              f"[{lo:.3f}, {hi:.3f}], ideal observer {ideal:.3f}", flush=True)
    print("\n| environment | steps | wall time (s) | purernn accuracy [95% CI] | ideal observer |")
    print("|---|---|---|---|---|")
    for env_id, n, wall, acc, lo, hi, ideal in rows:
        print(f"| {env_id} | {n} | {wall:.0f} | {acc:.3f} [{lo:.3f}, {hi:.3f}] | {ideal:.3f} |")


if __name__ == "__main__":
    main()
