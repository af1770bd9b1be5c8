"""purernn against an equivalent PyTorch CPU model: same equation, same sizes, Adam,
autograd. Runs only where PyTorch is installed (it is never a dependency of purernn):

    python bench/compare_torch.py            # prints ms per step and purernn's speed-up

Both sides do one full training step (forward, gradient, Adam update) on the same
network, batch and dtype; compile/warm-up calls are excluded; the median of several
rounds is reported. The first step's losses are checked to agree.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

SIZES = [(50, 400, 64), (50, 400, 1), (256, 200, 64), (1000, 100, 64)]
N_IN, N_OUT = 3, 2


def _median_ms(fn, rounds):
    fn()  # warm-up
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e3


def torch_step_factory(torch, params, x, y, mask, alpha, dtype):
    """An autograd version of purernn's model (tanh, Euler, masked squared error)."""
    tdt = torch.float64 if dtype == "float64" else torch.float32
    p = {k: torch.tensor(np.array(v), dtype=tdt, requires_grad=True) for k, v in params.items()}
    xt = torch.tensor(x.transpose(1, 0, 2).copy(), dtype=tdt)  # (n_steps, n_trials, n_in)
    yt = torch.tensor(y.transpose(1, 0, 2).copy(), dtype=tdt)
    mt = torch.tensor(mask.transpose(1, 0, 2).copy(), dtype=tdt)
    opt = torch.optim.Adam(list(p.values()), lr=1e-3)
    n_trials = x.shape[0]

    def loss_fn():
        h = torch.zeros(n_trials, p["W_rec"].shape[0], dtype=tdt)
        u = xt @ p["W_in"].T + p["b_rec"]
        hs = []
        for t in range(xt.shape[0]):
            h = (1 - alpha) * h + alpha * torch.tanh(h @ p["W_rec"].T + u[t])
            hs.append(h)
        z = torch.stack(hs) @ p["W_out"].T + p["b_out"]
        return 0.5 * torch.sum(mt * (z - yt) ** 2) / n_trials

    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        return float(loss.detach())

    return step, loss_fn


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: nothing to compare (this benchmark is optional).")
        return 0
    torch.set_num_threads(args.threads)
    import purernn as pr
    from purernn.tasks import Batch

    print(f"torch {torch.__version__} ({args.threads} threads), purernn {pr.__version__}")
    print(f"{'dtype':<9}{'n_rec':>6}{'n_steps':>8}{'n_trials':>9}{'purernn ms':>12}{'torch ms':>10}{'speed-up':>10}")
    for dtype in ("float32", "float64"):
        for n_rec, n_steps, n_trials in SIZES:
            rng = np.random.default_rng(0)
            net = pr.Network.create(N_IN, n_rec, N_OUT, init="orthogonal", gain=0.95, dtype=dtype, seed=0)
            x = rng.standard_normal((n_trials, n_steps, N_IN))
            y = rng.standard_normal((n_trials, n_steps, N_OUT))
            mask = np.ones_like(y)
            batch = Batch(x, y, mask)
            opt = pr.Adam(lr=1e-3)
            state = opt.init(net.params)
            ours_loss = pr.train_step(net, batch, opt, state).loss
            rounds = max(1, args.rounds // (3 if n_rec >= 1000 else 1))
            ours = _median_ms(lambda: pr.train_step(net, batch, opt, state), rounds)
            step, loss_fn = torch_step_factory(torch, net.params, x, y, mask, net.alpha, dtype)
            theirs_loss = float(loss_fn().detach())
            rel = abs(theirs_loss - ours_loss) / abs(ours_loss)
            if rel > (1e-10 if dtype == "float64" else 1e-4):
                print(f"loss mismatch: purernn {ours_loss} torch {theirs_loss}", file=sys.stderr)
                return 1
            theirs = _median_ms(step, rounds)
            print(f"{dtype:<9}{n_rec:>6}{n_steps:>8}{n_trials:>9}{ours:>12.2f}{theirs:>10.2f}{theirs / ours:>9.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
