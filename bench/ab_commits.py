"""This commit's training step against an older commit's, in alternating processes.

    python bench/ab_commits.py 3b32d89                      # (50, 400, 1), both dtypes
    python bench/ab_commits.py 3b32d89 --size 50,400,64 --dtype float64 --rounds 6
    python bench/ab_commits.py 3b32d89 --one-process --rounds 40 --steps 20
    python bench/ab_commits.py 8ebc20d --one-process --part backward   # one kernel and its wrapper

A speed-up claimed against an earlier version is only meaningful when both are timed
under the same conditions, and on a shared machine the conditions move by tens of percent
within minutes. So the older commit is checked out (``git worktree``) beside this one,
and each round runs one process per commit, one after the other, each timing the median
of ``--steps`` calls of ``purernn.train_step`` on the same network and batch (wall time,
compile time excluded). The rounds alternate which commit goes first; the table gives
the median over rounds of each commit's median and of the per-round ratio, and the load
before and after. With ``--busy`` a process spinning on one core runs throughout (the
conditions of a machine shared with one other job).

Two processes of the same code can differ by 30% on a shared virtual machine (where their
memory lands, what the host runs meanwhile). With ``--one-process`` both commits run in
one process instead, the older one imported under another name (``purernn_base``: the
package imports itself relatively), and each round times ``--steps`` steps of each, in
alternating order, on the same network and batch.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

# run inside each process: import purernn from the given tree and time train_step
_CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
import purernn as pr
from purernn.tasks import Batch
dtype, (n_rec, n_steps, n_trials), reps = sys.argv[2], map(int, sys.argv[3].split(",")), int(sys.argv[4])
rng = np.random.default_rng(0)
net = pr.Network.create(3, n_rec, 2, init="orthogonal", gain=0.95, dtype=dtype, seed=0)
x, y = rng.standard_normal((n_trials, n_steps, 3)), rng.standard_normal((n_trials, n_steps, 2))
batch = Batch(x, y, (rng.random((n_trials, n_steps, 2)) < 0.5).astype(float))
opt = pr.Adam(lr=1e-3)
state = opt.init(net.params)
for _ in range(10):  # compiles (or loads) the kernels, warms the buffers
    result = pr.train_step(net, batch, opt, state)
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    result = pr.train_step(net, batch, opt, state)
    times.append(time.perf_counter() - t0)
assert pr.__file__.startswith(sys.argv[1]), pr.__file__
print(np.median(times) * 1e3, result.loss)
"""


# both trees in one process: the older one as the package purernn_base
_ONE_PROCESS = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
sys.path.insert(0, sys.argv[1])
import numpy as np
import purernn, purernn_base
dtype, (n_rec, n_steps, n_trials) = sys.argv[3], map(int, sys.argv[4].split(","))
rounds, reps, part = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
assert purernn.__file__.startswith(sys.argv[1]) and purernn_base.__file__.startswith(sys.argv[2])
runs = {}
for name, pr in (("base", purernn_base), ("this", purernn)):
    rng = np.random.default_rng(0)
    net = pr.Network.create(3, n_rec, 2, init="orthogonal", gain=0.95, dtype=dtype, seed=0)
    x, y = rng.standard_normal((n_trials, n_steps, 3)), rng.standard_normal((n_trials, n_steps, 2))
    batch = pr.tasks.Batch(x, y, (rng.random((n_trials, n_steps, 2)) < 0.5).astype(float))
    opt = pr.Adam(lr=1e-3)
    state = opt.init(net.params)
    p, cfg = net.params, net.config
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype)
    h0 = np.zeros((n_trials, n_rec), dtype=dtype)
    H, DS, _ = (a.copy() for a in pr.kernels.forward(p, x_tm, h0, None, alpha=cfg.alpha, sigma_rec=0.0,
                                                      activation=cfg.activation))
    DS0, dz = DS.copy(), (0.01 * rng.standard_normal((n_steps, n_trials, 2))).astype(dtype)
    calls = {  # the whole step, or one kernel with its wrapper (BPTT from the same stored states)
        "step": lambda pr=pr, net=net, batch=batch, opt=opt, state=state: pr.train_step(net, batch, opt, state),
        "forward": lambda K=pr.kernels, p=p, x_tm=x_tm, h0=h0, cfg=cfg: K.forward(
            p, x_tm, h0, None, alpha=cfg.alpha, sigma_rec=0.0, activation=cfg.activation),
        "backward": lambda K=pr.kernels, p=p, x_tm=x_tm, H=H, DS=DS, DS0=DS0, dz=dz, cfg=cfg: (
            np.copyto(DS, DS0), K.backward(p, x_tm, H, DS, dz, alpha=cfg.alpha, rate_scale=1e-4)),
    }
    for _ in range(10):  # compiles (or loads) the kernels, warms the buffers
        result = pr.train_step(net, batch, opt, state)
        calls[part]()
    runs[name] = (calls[part], result.loss)
for r in range(rounds):
    for name in (("base", "this") if r % 2 == 0 else ("this", "base")):
        call, loss = runs[name]
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        print(name, np.median(times) * 1e3, loss, flush=True)
"""


def _one_process(base_tree: Path, tmp: str, dtype: str, args) -> list[tuple[float, float]]:
    """(base, this) median ms per round, both commits timed in one process."""
    alias = Path(tmp) / "alias"
    alias.mkdir(exist_ok=True)
    if not (alias / "purernn_base").exists():
        (alias / "purernn_base").symlink_to(base_tree / "purernn")
    out = subprocess.run([sys.executable, "-c", _ONE_PROCESS, str(ROOT), str(alias), dtype, args.size,
                          str(args.rounds), str(args.steps), args.part], check=True, capture_output=True, text=True,
                         cwd=tempfile.gettempdir()).stdout.split("\n")
    got = {"base": [], "this": []}
    for line in filter(None, out):
        name, ms, loss = line.split()
        got[name].append((float(ms), float(loss)))
    return [(b[0], t[0]) for b, t in zip(got["base"], got["this"])], got["base"][0][1], got["this"][0][1]


def _time(tree: Path, dtype: str, size: str, steps: int) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tree), dtype, size, str(steps)], check=True,
                         capture_output=True, text=True, cwd=tempfile.gettempdir()).stdout.split()
    return float(out[0]), float(out[1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", help="the older commit (any git revision)")
    parser.add_argument("--size", default="50,400,1", help="n_rec,n_steps,n_trials (default 50,400,1)")
    parser.add_argument("--dtype", choices=["float32", "float64", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=300, help="timed steps per process (default 300)")
    parser.add_argument("--busy", action="store_true", help="keep one core busy with a spinning process")
    parser.add_argument("--one-process", action="store_true",
                        help="time both commits in one process, in alternating rounds of --steps steps")
    parser.add_argument("--part", choices=["step", "forward", "backward"], default="step",
                        help="with --one-process: time the training step (default), or kernels.forward or "
                             "kernels.backward alone (BPTT from the same stored states each call)")
    args = parser.parse_args(argv)
    if args.part != "step" and not args.one_process:
        parser.error(f"--part {args.part} needs --one-process")
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    here = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base_tree), args.base], cwd=ROOT, check=True,
                       capture_output=True)
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
        try:
            load0 = os.getloadavg()[0]
            for dtype in dtypes:
                rows = []
                if args.one_process:
                    rows, base_loss, this_loss = _one_process(base_tree, tmp, dtype, args)
                    print(f"  one process, {args.rounds} rounds of {args.steps} steps each (losses "
                          f"{base_loss:.7g} / {this_loss:.7g})", flush=True)
                for r in range(0 if args.one_process else args.rounds):
                    order = [("base", base_tree), ("this", ROOT)][:: 1 if r % 2 == 0 else -1]
                    got = {name: _time(tree, dtype, args.size, args.steps) for name, tree in order}
                    rows.append((got["base"][0], got["this"][0]))
                    print(f"  round {r + 1}: {args.base} {got['base'][0]:.3f} ms, {here} {got['this'][0]:.3f} ms "
                          f"(losses {got['base'][1]:.7g} / {got['this'][1]:.7g})", flush=True)
                base_ms, this_ms = np.array(rows).T
                what = "step" if args.part == "step" else f"kernels.{args.part} call (its copy of DS included)" \
                    if args.part == "backward" else "kernels.forward call"
                print(f"({args.size}) {dtype}: {args.base} {np.median(base_ms):.3f} ms, {here} {np.median(this_ms):.3f} "
                      f"ms per {what} (medians over {args.rounds} rounds); {here}/{args.base} = "
                      f"{np.median(this_ms / base_ms):.2f} (per-round ratios {np.min(this_ms / base_ms):.2f}-"
                      f"{np.max(this_ms / base_ms):.2f})", flush=True)
            print(f"load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after"
                  + ("; one core kept busy throughout" if busy else ""))
        finally:
            if busy is not None:
                busy.kill()
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False,
                           capture_output=True)


if __name__ == "__main__":
    main()
