"""Squared error on a linear readout against cross-entropy on a sigmoid output, on the
seed's gates: steps to criterion and accuracy on fresh trials, same seeds.

Each gate's targets are 0 or 1 (0.01 at rest), which a sigmoid output can produce, so both
losses train the same network (each task's default: 50 orthogonal tanh units, Table 1
regime, Adam at lr 1e-3, early stop at the criterion) but for the output nonlinearity.

    python scripts/compare_losses.py [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse

import numpy as np

import purernn as pr

GATES = ("and", "or", "xor", "not")
VARIANTS = (("linear", "mse"), ("sigmoid", "cross_entropy"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="default: 0 1 2")
    args = parser.parse_args(argv)
    print("| task | output, loss | steps to criterion (per seed) | mean steps | accuracy on 1000 fresh trials (per seed) |")
    print("|---|---|---|---|---|")
    for name in GATES:
        task = pr.tasks.make(name)
        for output, loss in VARIANTS:
            steps, accs = [], []
            for seed in args.seeds:
                net = pr.default_network(task, seed=seed, output=output)
                cfg = pr.default_train_config(task, seed=seed, loss=loss)
                result = pr.train(net, task, cfg, progress=False)
                ev = pr.evaluate(result.net, task, n_trials=1000, rng=seed + 100)
                steps.append(result.n_steps if result.reached_criterion else None)
                accs.append(ev.accuracy)
            shown = ", ".join("-" if s is None else str(s) for s in steps)
            reached = [s for s in steps if s is not None]
            mean = f"{np.mean(reached):.0f}" if len(reached) == len(steps) else f"({len(reached)}/{len(steps)} reached)"
            print(f"| {name} | {output}, {loss} | {shown} | {mean} | {', '.join(f'{a:.3f}' for a in accs)} |",
                  flush=True)


if __name__ == "__main__":
    main()
