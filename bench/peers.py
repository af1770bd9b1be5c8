"""purernn's training step written in PyTorch and in JAX, for honest side-by-side timings.

Both peers implement the same model and the same step as :func:`purernn.train_step`
(tanh, forward Euler, masked squared error, Adam with purernn's defaults)::

    h_t = (1 - alpha) h_{t-1} + alpha tanh(W_rec h_{t-1} + W_in x_t + b_rec),   h_0 = 0
    z_t = W_out h_t + b_out
    L   = 0.5 sum_{b,t,j} m (z - y)^2 / n_trials

each in the fastest form its library offers for this recurrence:

- **PyTorch (eager autograd).** The input drive ``W_in x + b_rec`` of all steps is one
  product, split into per-step views with ``unbind(0)`` (indexing ``u[t]`` inside the loop
  makes each index's backward write a full-size zero tensor, so the step's cost grows as
  n_steps^2); each step is one ``addmm`` (drive + h W_rec^T), ``tanh`` and ``lerp`` (the
  Euler update in one op); the states are stacked once and read out with one
  ``F.linear``; Adam is ``torch.optim.Adam(foreach=True)``. The thread count is picked
  per size by timing (:meth:`TorchPeer.pick_threads`): on an idle 2-core machine 2
  threads were faster at n_rec >= 256 and equal below, but with another process on one
  core a 2-thread step at the seed's size took 1.2-4 s against 0.3 s with 1 thread.
- **JAX (jit + lax.scan + optax).** ``jax.value_and_grad`` of a ``lax.scan`` over time, and
  ``optax.adam``, compiled as one XLA program (compiled ahead of time on the first call,
  parameters and optimizer state donated); float64 turns on ``jax_enable_x64``.

Neither library is a dependency of purernn: each peer imports its library when it is
built. The checks (:func:`check_against`) compare a peer's loss and the gradient of all
five parameters with :func:`purernn.loss_and_grad` before anything is timed; the gradient
a peer reports is the one its timed step computed (of the parameters before the update).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time

import numpy as np

import purernn as pr
from purernn.tasks import Batch

N_IN, N_OUT = 3, 2
ALPHA = 0.2  # dt / tau: exercises the leak term (1 - alpha) h in the forward pass and in BPTT
PARAMS = ("W_in", "W_rec", "b_rec", "W_out", "b_out")
SYSTEMS = ("purernn", "torch", "jax")
#: max |g_peer - g_purernn| / max |g_purernn| (per parameter) and |dL| / |L| allowed
TOLERANCE = {"float64": 1e-10, "float32": 1e-4}


def flops(size) -> float:
    """FLOPs of one step, ~ 6 n_trials n_rec^2 n_steps (forward, BPTT and dW_rec products)."""
    n_rec, n_steps, n_trials = size
    return 6.0 * n_trials * n_rec**2 * n_steps


def problem(size, dtype, seed=0):
    """A network and a batch of `size` = (n_rec, n_steps, n_trials): random inputs and
    targets, a mask that keeps about half of the outputs."""
    n_rec, n_steps, n_trials = size
    rng = np.random.default_rng(seed)
    net = pr.Network.create(N_IN, n_rec, N_OUT, init="orthogonal", gain=0.95, alpha=ALPHA, dtype=dtype,
                            seed=seed)
    x = rng.standard_normal((n_trials, n_steps, N_IN))
    y = rng.standard_normal((n_trials, n_steps, N_OUT))
    mask = (rng.random((n_trials, n_steps, N_OUT)) < 0.5).astype(float)
    return net, Batch(x, y, mask)


def _time_major(a, dtype):
    return np.ascontiguousarray(np.asarray(a, dtype=dtype).transpose(1, 0, 2))  # (n_steps, n_trials, k)


def check_against(net, batch, loss, grads, *, tol=None):
    """Compare a loss and gradient with :func:`purernn.loss_and_grad` on the same problem.

    Returns ``(loss_err, grad_err)``: the relative loss difference and the largest of
    ``max |g - g_purernn| / max |g_purernn|`` over the five parameters. Raises
    AssertionError, naming the parameter, when either exceeds `tol` (default: by dtype,
    :data:`TOLERANCE`).
    """
    tol = TOLERANCE[net.dtype.name] if tol is None else tol
    ref_loss, ref = pr.loss_and_grad(net, batch.x, batch.y, batch.mask)
    loss_err = abs(float(loss) - float(ref_loss)) / abs(float(ref_loss))
    if not loss_err <= tol:
        raise AssertionError(f"loss {float(loss)!r} differs from purernn's {float(ref_loss)!r} "
                             f"(relative {loss_err:.1e} > {tol:.0e})")
    errs = {}
    for k in PARAMS:
        g, r = np.asarray(grads[k], dtype=float), np.asarray(ref[k], dtype=float)
        if g.shape != r.shape:
            raise AssertionError(f"gradient of {k} has shape {g.shape}, purernn's {r.shape}")
        errs[k] = float(np.max(np.abs(g - r)) / np.max(np.abs(r)))
        if not errs[k] <= tol:
            raise AssertionError(f"gradient of {k} differs from purernn's: max |diff| / max |g| = "
                                 f"{errs[k]:.1e} > {tol:.0e}")
    return loss_err, max(errs.values())


class TorchPeer:
    """The step in PyTorch eager mode; :meth:`step` does forward, backward and Adam.

    Parameters
    ----------
    net : purernn.Network
        Its parameters, alpha and dtype are copied; it is not changed.
    batch : Batch
    threads : int, optional
        ``torch.set_num_threads`` (a process-wide setting); default: all cores.
    """

    name = "torch"

    def __init__(self, net, batch, *, threads=None, optimizer=None):
        import torch

        self.torch = torch
        self.threads = int(threads or os.cpu_count() or 1)
        torch.set_num_threads(self.threads)
        opt = optimizer or pr.Adam()
        tdt = {"float64": torch.float64, "float32": torch.float32}[net.dtype.name]
        self.p = {k: torch.tensor(np.array(net.params[k]), dtype=tdt, requires_grad=True) for k in PARAMS}
        self.x, self.y, self.m = (torch.from_numpy(_time_major(a, net.dtype)) for a in (batch.x, batch.y, batch.mask))
        self.alpha = float(net.alpha)
        self.n_trials = batch.x.shape[0]
        self.h0 = torch.zeros(self.n_trials, self.p["W_rec"].shape[0], dtype=tdt)
        self.opt = torch.optim.Adam(list(self.p.values()), lr=opt.lr, betas=(opt.beta1, opt.beta2), eps=opt.eps,
                                    foreach=True)

    def loss(self):
        """The loss as a 0-d tensor with its autograd graph."""
        torch, F, p = self.torch, self.torch.nn.functional, self.p
        u = F.linear(self.x, p["W_in"], p["b_rec"])  # (n_steps, n_trials, n_rec)
        w_t = p["W_rec"].t()
        h, hs = self.h0, []
        for u_t in u.unbind(0):
            # h = (1 - alpha) h + alpha tanh(u_t + h W_rec^T)
            h = torch.lerp(h, torch.tanh(torch.addmm(u_t, h, w_t)), self.alpha)
            hs.append(h)
        d = F.linear(torch.stack(hs), p["W_out"], p["b_out"]) - self.y  # (n_steps, n_trials, n_out)
        return torch.dot((self.m * d).flatten(), d.flatten()) * (0.5 / self.n_trials)

    def step(self) -> float:
        self.opt.zero_grad(set_to_none=True)
        loss = self.loss()
        loss.backward()
        self.opt.step()
        return loss.item()

    def grads(self) -> dict:
        """The gradient computed by the last :meth:`step` (before its update)."""
        return {k: v.grad.numpy().copy() for k, v in self.p.items()}

    def pick_threads(self, candidates=(1, 2), steps=2) -> dict:
        """Keep the thread count whose best of `steps` steps is fastest; returns the
        seconds per candidate. (With 2 threads, torch's per-op synchronization makes a
        small step several times slower when another process holds a core.)"""
        best = {}
        for n in candidates:
            self.torch.set_num_threads(n)
            times = []
            for _ in range(steps):
                t0 = time.perf_counter()
                self.step()
                times.append(time.perf_counter() - t0)
            best[n] = min(times)
        self.threads = min(best, key=best.get)
        self.torch.set_num_threads(self.threads)
        return best


@functools.lru_cache(maxsize=None)
def _jax_step(alpha, lr, b1, b2, eps, unroll):
    """The jitted step (one per hyperparameter set; XLA compiles it per shape and dtype)."""
    import jax
    import jax.numpy as jnp
    import optax
    from jax import lax

    adam = optax.adam(lr, b1=b1, b2=b2, eps=eps)

    def loss_fn(p, x, y, m):
        u = x @ p["W_in"].T + p["b_rec"]  # (n_steps, n_trials, n_rec)
        w_t = p["W_rec"].T

        def cell(h, u_t):
            h = (1 - alpha) * h + alpha * jnp.tanh(h @ w_t + u_t)
            return h, h

        _, hs = lax.scan(cell, jnp.zeros(u.shape[1:], u.dtype), u, unroll=unroll)
        d = hs @ p["W_out"].T + p["b_out"] - y
        return 0.5 * jnp.sum(m * d * d) / x.shape[1]

    def step(p, state, x, y, m):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y, m)
        updates, state = adam.update(g, state, p)
        return optax.apply_updates(p, updates), state, loss, g

    return adam, jax.jit(step, donate_argnums=(0, 1))


class JaxPeer:
    """The step in JAX: ``jit`` of value_and_grad over ``lax.scan``, then ``optax.adam``.

    The first :meth:`step` lowers and compiles the program (``compile_seconds``); later
    steps run the compiled program. `unroll` is ``lax.scan``'s.
    """

    name = "jax"

    def __init__(self, net, batch, *, unroll=1, optimizer=None):
        import jax

        jax.config.update("jax_enable_x64", True)  # float64 arrays stay float64; float32 is explicit
        self.jax = jax
        opt = optimizer or pr.Adam()
        self.adam, self._jitted = _jax_step(float(net.alpha), opt.lr, opt.beta1, opt.beta2, opt.eps, int(unroll))
        dt = net.dtype.name
        self.p = {k: jax.numpy.asarray(np.array(net.params[k]), dtype=dt) for k in PARAMS}
        self.state = self.adam.init(self.p)
        self.data = tuple(jax.numpy.asarray(_time_major(a, dt)) for a in (batch.x, batch.y, batch.mask))
        self._compiled = None
        self.compile_seconds = None
        self._grads = None

    def step(self) -> float:
        if self._compiled is None:
            t0 = time.perf_counter()
            self._compiled = self._jitted.lower(self.p, self.state, *self.data).compile()
            self.compile_seconds = time.perf_counter() - t0
        self.p, self.state, loss, self._grads = self._compiled(self.p, self.state, *self.data)
        self.jax.block_until_ready((self.p, self.state, loss))
        return float(loss)

    def grads(self) -> dict:
        return {k: np.asarray(v) for k, v in self._grads.items()}


class PurernnPeer:
    """purernn's own step, with the same interface (the network is not updated between
    steps: every timed call does the same step, as in bench/test_step.py)."""

    name = "purernn"

    def __init__(self, net, batch, *, optimizer=None):
        self.net, self.batch = net, batch
        self.opt = optimizer or pr.Adam()
        self.state = self.opt.init(net.params)

    def step(self) -> float:
        return pr.train_step(self.net, self.batch, self.opt, self.state).loss


PEER_CLASSES = {"purernn": PurernnPeer, "torch": TorchPeer, "jax": JaxPeer}


def versions() -> dict:
    """Versions of the systems that can be imported here (None when not installed)."""
    out = {"purernn": pr.__version__}
    for name in ("torch", "jax", "optax"):
        try:
            out[name] = __import__(name).__version__
        except ImportError:
            out[name] = None
    return out


_FIRST_CALL = r"""
import json, sys, time
t0 = time.perf_counter()
import purernn as pr
sys.path.insert(0, {root!r})
from bench.peers import problem
out = {{"import_s": time.perf_counter() - t0}}
for dtype in ("float64", "float32"):
    net, batch = problem({size!r}, dtype)
    opt = pr.Adam()
    state = opt.init(net.params)
    t0 = time.perf_counter()
    pr.train_step(net, batch, opt, state)
    out[dtype + "_first_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pr.train_step(net, batch, opt, state)
    out[dtype + "_second_s"] = time.perf_counter() - t0
print(json.dumps(out))
"""


def fresh_process_first_call(size, *, cache_dir=None, timeout=900) -> dict:
    """Time purernn's first steps in a new Python process.

    Returns seconds: ``import_s`` (``import purernn``), ``<dtype>_first_s`` (the first
    :func:`purernn.train_step` of that dtype: loading the compiled kernels from Numba's
    on-disk cache, or compiling them when `cache_dir` is a new, empty ``NUMBA_CACHE_DIR``,
    plus one step), ``<dtype>_second_s`` (the next step) and ``process_s`` (the whole
    process, interpreter start included).
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _FIRST_CALL.format(root=root, size=tuple(size))], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"the first-call process failed:\n{done.stderr[-2000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_s"] = wall
    return out


def _fmt(value, spec, width):
    return f"{'-' if value is None else format(value, spec):>{width}}"


def write_table(write_line, rows, peak, notes=()):
    """Print the peers table: one line per size and dtype.

    `rows`: dicts with system, dtype, size, ms, first_s (and for peers loss_err, grad_err);
    `peak`: dtype name -> measured BLAS GFLOP/s; `notes`: lines printed below.
    """
    write_line("")
    write_line("=" * 30 + " purernn and its peers: one training step (forward, gradient, Adam) " + "=" * 30)
    info = rows[0].get("env", {}) if rows else {}
    if info:
        write_line("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
                   + f"; {os.cpu_count()} cores")
    for dt, value in sorted(peak.items()):
        write_line(f"measured BLAS matmul peak ({dt}, 2048^2): {value:.1f} GFLOP/s")
    loads = [r["load"] for r in rows if r.get("load")]
    if loads:
        write_line(f"load average (1 min) during the runs: {min(loads):.2f} - {max(loads):.2f}")
    write_line("ms: median ms per step; ratio: purernn ms / peer ms (< 1: purernn faster); "
               "peak: GFLOP/s / measured BLAS peak; first: the first call of this size in this process (s); "
               "torch threads: the faster of 1 and 2, timed just before")
    write_line(f"{'dtype':<8}{'n_rec':>6}{'steps':>6}{'trials':>7} |{'ms purernn':>11}{'torch':>9}{'jax':>9} |"
               f"{'ratio torch':>12}{'jax':>6} |{'peak purernn':>13}{'torch':>6}{'jax':>6} |"
               f"{'first purernn':>14}{'torch':>7}{'jax':>7} |{'torch threads':>14}")
    by_key = {}
    for r in rows:
        by_key.setdefault((tuple(r["size"]), r["dtype"]), {})[r["system"]] = r
    for (size, dt), sys_rows in by_key.items():
        ms = {s: sys_rows[s]["ms"] if s in sys_rows else None for s in SYSTEMS}
        ratio = {s: ms["purernn"] / ms[s] if ms["purernn"] and ms[s] else None for s in ("torch", "jax")}
        frac = {s: flops(size) / (ms[s] * 1e-3) / 1e9 / peak[dt] if ms[s] and dt in peak else None for s in SYSTEMS}
        first = {s: sys_rows[s]["first_s"] if s in sys_rows else None for s in SYSTEMS}
        write_line(f"{dt:<8}{size[0]:>6}{size[1]:>6}{size[2]:>7} |{_fmt(ms['purernn'], '.1f', 11)}"
                   f"{_fmt(ms['torch'], '.1f', 9)}{_fmt(ms['jax'], '.1f', 9)} |{_fmt(ratio['torch'], '.2f', 12)}"
                   f"{_fmt(ratio['jax'], '.2f', 6)} |{_fmt(frac['purernn'], '.0%', 13)}{_fmt(frac['torch'], '.0%', 6)}"
                   f"{_fmt(frac['jax'], '.0%', 6)} |{_fmt(first['purernn'], '.2f', 14)}"
                   f"{_fmt(first['torch'], '.2f', 7)}{_fmt(first['jax'], '.2f', 7)} |"
                   f"{_fmt(sys_rows.get('torch', {}).get('threads'), 'd', 14)}")
    checked = [r for r in rows if r.get("grad_err") is not None]
    for s in ("torch", "jax"):
        for dt in ("float64", "float32"):
            errs = [r["grad_err"] for r in checked if r["system"] == s and r["dtype"] == dt]
            if errs:
                write_line(f"checked before timing, {s} {dt}: gradient max |g - g_purernn| / max |g_purernn| "
                           f"<= {max(errs):.1e} over the five parameters and {len(errs)} sizes")
    jax_compile = [r["compile_s"] for r in rows if r.get("compile_s") is not None]
    if jax_compile:
        write_line(f"jax first call = trace + XLA compile ({min(jax_compile):.1f} - {max(jax_compile):.1f} s) "
                   "+ one step; torch first call = one step with a new autograd graph and Adam state; "
                   "purernn first call = loading (or compiling) the kernels of the dtype + one step")
    for line in notes:
        write_line(line)
