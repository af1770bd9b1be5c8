"""Yang et al. (2019) at 256 units and the original's lr 1e-3: batches that mix the rules
against batches of one rule each (the original's training loop, ``batch_rule``).

Trains the original's network (256 relu units, W_rec 0.5 times a random orthogonal
matrix, alpha 0.2, sigma_rec 0.05, sigmoid outputs, Adam lr 1e-3, batch 64, gradient
norm clipped to 1) for 300 steps both ways from the same initial network and seed, and
records the spectral radius of W_rec, the loss and the gradient norm every 25 steps.
Writes ``docs/studies/yang2019/batches.png`` and ``batches.md``; about 3 minutes on 2 cores.

    python scripts/yang2019_batches.py [--steps 300]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import purernn as pr
from purernn._files import write_text
from purernn.figures import save_png

ROOT = Path(__file__).resolve().parents[1]
EVERY = 25


def run(batch_rule: bool, n_steps: int) -> dict:
    task = pr.tasks.make("yang2019", rule_prob={"contextdm1": 5.0, "contextdm2": 5.0},
                         batch_rule=batch_rule, shared_timing=batch_rule)
    net = pr.default_network(task, n_rec=256, activation="relu", init="orthogonal", gain=0.5, alpha=0.2,
                             sigma_rec=0.05, output="sigmoid", dtype="float32", seed=0)
    cfg = pr.TrainConfig(n_steps=n_steps, batch_size=64, lr=1e-3, loss="mse", clip_norm=1.0, n_valid=200,
                         eval_every=n_steps, stop_at_criterion=False, seed=0)
    rec = {"step": [0], "radius": [float(np.abs(np.linalg.eigvals(net.params["W_rec"].astype(float))).max())],
           "loss": [np.nan], "grad_norm": [np.nan]}

    def record(event):
        if event.step % EVERY == 0:
            W = event.net.params["W_rec"].astype(float)
            rec["step"].append(event.step)
            rec["radius"].append(float(np.abs(np.linalg.eigvals(W)).max()))
            rec["loss"].append(event.loss)
            rec["grad_norm"].append(event.grad_norm)

    t0 = time.perf_counter()
    result = pr.train(net, task, cfg, progress=True, callbacks=[record])
    rec["wall_s"] = time.perf_counter() - t0
    ev = pr.evaluate(result.net, task, n_trials=2000, rng=1)  # mixed rules, 100 per rule
    rec["accuracy"] = ev.accuracy
    rec["worst"] = min(c.accuracy for c in ev.by_condition)
    return rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "studies" / "yang2019")
    args = ap.parse_args(argv)
    runs = {"rules mixed in every batch": run(False, args.steps),
            "one rule per batch (batch_rule)": run(True, args.steps)}

    fig = Figure(figsize=(9.0, 3.0), layout="constrained")
    ax = fig.subplots(1, 3)
    for label, rec in runs.items():
        ax[0].plot(rec["step"], rec["radius"], marker=".", label=label)
        ax[1].plot(rec["step"][1:], rec["loss"][1:], marker=".", label=label)
        ax[2].semilogy(rec["step"][1:], rec["grad_norm"][1:], marker=".", label=label)
    for a, name in zip(ax, ("spectral radius of W_rec", "training loss (batch)", "gradient norm before clipping")):
        a.set_xlabel("optimizer step (batch of 64 trials)", fontsize=8)
        a.set_title(name, fontsize=9)
        a.tick_params(labelsize=7)
    ax[0].legend(fontsize=7, frameon=False)
    fig.suptitle("256 relu units, Adam lr 1e-3 (the original's): mixed batches against one rule per batch",
                 fontsize=9)
    print(save_png(fig, args.out / "batches.png"))

    lines = [f"Measured by scripts/yang2019_batches.py ({args.steps} steps, seed 0).", "",
             "| batches | radius at step 25 | at 100 | at the end | loss at the end | gradient norm at the end "
             "| accuracy (2000 fresh trials) | worst rule | wall (s) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, rec in runs.items():
        at = dict(zip(rec["step"], rec["radius"]))
        lines.append(f"| {label} | {at.get(25, np.nan):.2f} | {at.get(100, np.nan):.2f} | {rec['radius'][-1]:.2f} "
                     f"| {rec['loss'][-1]:.3f} | {rec['grad_norm'][-1]:.3g} | {rec['accuracy']:.3f} "
                     f"| {rec['worst']:.2f} | {rec['wall_s']:.0f} |")
    text = "\n".join(lines) + "\n"
    write_text(args.out / "batches.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
