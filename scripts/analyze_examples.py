"""Train two example runs and write their ``purernn analyze`` figures into docs/analysis/,
with the page docs/analysis.md that shows them.

    python scripts/analyze_examples.py        # a few minutes on 2 cores

The runs: the 3-bit flip-flop (Sussillo & Barak's protocol, the task's recommended
network and settings, seed 0), whose 8 memories are stable fixed points at the corners
of the output cube, and the perceptual decision (random dots), which gets its
psychometric curve. Each is trained with ``pr.train`` into a temporary run directory and
analyzed with ``pr.analysis.analyze_network`` exactly as ``purernn analyze RUN_DIR`` does.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import purernn as pr
from purernn.analysis import analyze_network

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("flipflop3", "perceptual_dm")
FIGURES = {
    "spectrum.png": "eigenvalues of W_rec before and after training, every circle named",
    "linearization.png": "the Jacobian at the resting state, the free activity from it (predicted and "
                         "measured frequencies), and the modes at each stable fixed point",
    "fixed_points.png": "fixed points in state space (over noise-free trials) and in output space",
    "pca_trajectories.png": "noise-free trials of each named condition in the plane of two PCs",
    "unit_traces.png": "four units, one panel per condition",
    "psychometric.png": "choices against signed coherence, Wilson intervals, logistic fit with its band",
    "degradation.png": "accuracy with 0.5% to 50% of units or connections removed, several draws",
    "weights.png": "weight histograms before and after training",
    "pca_variance.png": "variance explained by each PC of the noise-free trials",
}


def run_one(name: str, out: Path, seed: int = 0) -> dict:
    task = pr.tasks.make(name)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = pr.train(pr.default_network(task, seed=seed), task, pr.default_train_config(task, seed=seed),
                          run_dir=Path(tmp) / name)
        t_train = time.perf_counter() - t0
        run = pr.load_run(Path(tmp) / name)
    t1 = time.perf_counter()
    summary = analyze_network(run.net, run.task, net_before=run.net_init, out_dir=out, rng=0,
                              summary_path=out / "summary.json", label=f"{name} run (seed {seed})",
                              progress=True)
    summary["cost"] = {"train_s": round(t_train, 1), "analyze_s": round(time.perf_counter() - t1, 1),
                       "train_steps": int(result.n_steps)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def _g(v) -> str:
    return "none" if v is None else f"{v:.4g}"


def page(summaries: dict) -> str:
    lines = ["# What `purernn analyze` shows", "",
             "Figures of `purernn analyze RUN_DIR` on two runs trained here (the task's recommended",
             "network and settings, seed 0). Regenerate with `python scripts/analyze_examples.py`; the",
             "numbers below are read from each run's `summary.json`.", ""]
    for name, s in summaries.items():
        fp = {k: v for k, v in s["fixed_points"]["counts"].items() if v}
        lin = s["linearization"]
        lines += [f"## `{name}`", "",
                  f"- accuracy on 128 trials: {s['accuracy']:.3f}; cost: training {s['cost']['train_s']} s "
                  f"({s['cost']['train_steps']} steps), analysis {s['cost']['analyze_s']} s (2 cores, shared)",
                  f"- fixed points at the resting input {s['input_for_fixed_points']}: "
                  + ", ".join(f"{v} {k}" for k, v in fp.items()),
                  f"- resting state: {'a fixed point' if s['resting_state']['is_fixed_point'] else 'not a fixed point'}"
                  f", {'stable' if lin['stable'] else 'unstable'}; frequency of the dominant mode "
                  f"{_g(lin['dominant_frequency'])} cycles per step, of the largest-|mu| mode "
                  f"{_g(lin['largest_modulus_frequency'])}, measured in the free activity after a kick "
                  f"{_g(lin['measured_frequency'])}"]
        if "psychometric" in s:
            c = s["psychometric"]["curves"][0]
            lines.append(f"- psychometric fit ({c['model']}): slope {c['slope']:.3g} per % coherence "
                         f"(95% CI {c['ci']['slope'][0]:.3g} to {c['ci']['slope'][1]:.3g}), bias "
                         f"{c['threshold']:.3g}% (95% CI {c['ci']['threshold'][0]:.3g} to "
                         f"{c['ci']['threshold'][1]:.3g})")
        lines.append("")
        for fig in s["figures"]:
            lines += [f"![{name} {fig}](analysis/{name}/{fig})", "", f"*{FIGURES.get(fig, fig)}*", ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "analysis")
    args = parser.parse_args(argv)
    summaries = {name: run_one(name, args.out / name) for name in EXAMPLES}
    (args.out.parent / "analysis.md").write_text(page(summaries))
    print(args.out.parent / "analysis.md")


if __name__ == "__main__":
    main()
