"""Coherent chaos from a structured component (Landau & Sompolinsky 2018): the coherence
of the chaotic activity along the input mode xi against the strength J1 of the
feedforward structure, with and without row balance of the random part.

    python scripts/study_structured.py            # N = 1000, g = 2, 10 strengths x 4 realizations (minutes)
    python scripts/study_structured.py --quick    # N = 300, 4 strengths x 2 realizations
    python scripts/study_structured.py --no-run   # redraw from the cached results only

Networks: ``purernn.structured.feedforward_modes(N, g=2, J1=J1, row_balance=b, rng=s)``
(xi uniform, nu +1 / -1 on the two halves), run with ``alpha = 0.1`` (dt = tau / 10)
from a random state, no input. The variables of the paper's equation
``dh/dt = -h + J tanh(h)`` are purernn's pre-activations ``a = W_rec h``. Realization s
has the same random matrix with and without balance (the balanced one is its projection).
Results are cached in ``studies/structured[_quick]/results.json`` (not in git); figures
and numbers go to ``docs/studies/structured[_quick]/``.
"""

from __future__ import annotations

import os

for _k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_k, "1")

import concurrent.futures as cf  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _chaos_theory  # noqa: E402
import purernn as pr  # noqa: E402
from purernn import structured  # noqa: E402
from _study import cached_study, finish_numbers, last_run_info  # noqa: E402


ALPHA = 0.1
G = 2.0
#: A run whose mean single-unit variance (of a, over the recorded time) is below this has
#: settled on a fixed point: its coherence is undefined (0.02 is 1% of the chaotic variance at J1 = 0).
VAR_MIN = 0.02

FULL = dict(N=1000, strengths=(0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0), seeds=4,
            steps=4000, discard=500,  # 400 tau recorded after 50 tau
            lyapunov_strengths=(0.0, 1.0, 2.0, 4.0, 8.0), lyapunov_seeds=2, lyapunov_steps=(2000, 500),
            sizes=(500, 2000), size_strengths=(1.0, 4.0),
            extra_seeds=(4, 5, 6, 7), extra_strength=4.0, loop_strength=1.0,
            trace_strengths=(0.0, 1.0, 4.0))
QUICK = dict(N=300, strengths=(0.0, 1.0, 2.0, 4.0), seeds=2, steps=1500, discard=300,
             lyapunov_strengths=(0.0, 4.0), lyapunov_seeds=1, lyapunov_steps=(600, 200),
             sizes=(), size_strengths=(), extra_seeds=(), extra_strength=4.0, loop_strength=1.0,
             trace_strengths=(0.0, 4.0))


def autocorrelation_time(x: np.ndarray, dt: float) -> float:
    """Lag (in tau) at which the autocorrelation of `x` first falls below 1/e."""
    x = x - x.mean()
    n = x.size
    f = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(f * np.conj(f))[:n]
    if ac[0] <= 0:
        return float("nan")
    ac = ac / ac[0]
    below = np.flatnonzero(ac < np.exp(-1.0))
    return float(below[0] * dt) if below.size else float("nan")


def run_point(p) -> dict:
    """Simulate one network and measure the coherence (and, if asked, lambda_1)."""
    t0 = time.process_time()
    C = structured.feedforward_modes(p["N"], g=G, J1=p["J1"], row_balance=p["balance"], rng=p["seed"])
    net = C.network(alpha=ALPHA, seed=0)
    xi, nu = C.left[:, 0], C.right[:, 0]
    out = dict(p)
    # the loop the random part closes: its row sums r = chi xi carry the coherent activity
    # into a fixed pattern that the output mode reads back with weight z = nu . r / sqrt(N)
    chi = structured.feedforward_modes(p["N"], g=1.0, J1=0.0, rng=p["seed"]).random
    out["z"] = float(nu @ (chi @ xi) / np.sqrt(p["N"]))
    if p.get("lyapunov"):
        n_steps, n_discard = p["lyapunov"]
        spec = pr.analysis.lyapunov_spectrum(net, n_exponents=1, n_steps=n_steps, n_discard=n_discard,
                                             rng=np.random.default_rng([p["seed"], 11]))
        out.update(lambda1_tau=spec.largest_tau, lambda1_stderr_tau=float(spec.stderr_tau[0]))
    else:
        h0 = np.random.default_rng([p["seed"], 5]).standard_normal(p["N"])
        H = pr.simulate(net, np.zeros((1, p["steps"] + p["discard"], 1)), h0=h0).h[0, p["discard"]:]
        A = H @ C.W_rec.T  # (n_steps, N): the pre-activations, the paper's variables
        abar = A @ xi / (xi @ xi)  # (n_steps,): the coherent mode
        dt = ALPHA
        out.update(
            coherence=structured.coherence(A, xi),
            coherence_rate=structured.coherence(np.tanh(A), xi),
            unit_var=float(A.var(axis=0).mean()),
            mode_mean=float(abar.mean()), mode_rms=float(np.sqrt(np.mean(abar**2))),
            mode_time=autocorrelation_time(abar, dt),
            unit_time=float(np.nanmedian([autocorrelation_time(A[:, i], dt) for i in range(0, p["N"], p["N"] // 20)])),
        )
        spec = np.abs(np.fft.rfft(abar - abar.mean())) ** 2
        freqs = np.fft.rfftfreq(abar.size, d=dt)  # cycles per tau
        out["mode_peak_frequency"] = float(freqs[1 + np.argmax(spec[1:])])
        if p.get("eig"):
            ev = np.linalg.eigvals(C.W_rec)
            lead = ev[np.argmax(ev.real)]
            out["leading_eigenvalue"] = [float(lead.real), abs(float(lead.imag))]
        if p.get("trace"):
            sl = slice(0, int(100 / dt), 2)  # 100 tau, every other step
            out["trace_t"] = (np.arange(abar.size)[sl] * dt).tolist()
            out["trace_units"] = A[sl, :5].tolist()
            out["trace_mode"] = abar[sl].tolist()
    out["cpu_s"] = time.process_time() - t0
    return out


def points(cfg) -> list:
    pts = []
    for b in (False, True):
        for J1 in cfg["strengths"]:
            for s in range(cfg["seeds"]):
                pts.append(dict(N=cfg["N"], J1=J1, balance=b, seed=s, steps=cfg["steps"], discard=cfg["discard"],
                                trace=(s == 0 and J1 in cfg["trace_strengths"]),
                                eig=(b and J1 == cfg["extra_strength"])))
        for J1 in cfg["lyapunov_strengths"]:
            for s in range(cfg["lyapunov_seeds"]):
                pts.append(dict(N=cfg["N"], J1=J1, balance=b, seed=s, lyapunov=cfg["lyapunov_steps"]))
        for N in cfg["sizes"]:
            for J1 in cfg["size_strengths"]:
                pts.append(dict(N=N, J1=J1, balance=b, seed=0, steps=cfg["steps"], discard=cfg["discard"]))
    for s in cfg["extra_seeds"]:
        pts.append(dict(N=cfg["N"], J1=cfg["extra_strength"], balance=True, seed=s, steps=cfg["steps"],
                        discard=cfg["discard"], eig=True))
        for b in (False, True):
            pts.append(dict(N=cfg["N"], J1=cfg["loop_strength"], balance=b, seed=s, steps=cfg["steps"],
                            discard=cfg["discard"]))
    return pts


def key(p) -> str:
    kind = "lyap" if p.get("lyapunov") else "sim"
    return f"{kind}_N{p['N']}_J{p['J1']}_b{int(p['balance'])}_s{p['seed']}"


def run_all(todo, workers, cache_path, cache) -> float:
    t0 = time.time()
    if not todo:
        return 0.0
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run_point, p): p for p in todo}
        for i, fut in enumerate(cf.as_completed(futures), 1):
            p = futures[fut]
            cache[key(p)] = fut.result()
            tmp = cache_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(cache))
            tmp.replace(cache_path)
            print(f"[{i}/{len(todo)}] {key(p)}: {cache[key(p)]['cpu_s']:.1f} s CPU, {time.time() - t0:.0f} s elapsed",
                  flush=True)
    return time.time() - t0


def grid(cache, cfg, field, balance, kind="sim", N=None, strengths=None, seeds=None):
    strengths = cfg["strengths"] if strengths is None else strengths
    seeds = range(cfg["seeds"]) if seeds is None else seeds
    v = np.full((len(strengths), len(seeds)), np.nan)
    for i, J1 in enumerate(strengths):
        for j, s in enumerate(seeds):
            r = cache.get(key(dict(N=N or cfg["N"], J1=J1, balance=balance, seed=s, lyapunov=kind == "lyap")))
            if r is None or (field != "fixed" and r.get(field) is None):
                continue
            if field == "fixed":
                v[i, j] = float(r["unit_var"] < VAR_MIN)
            elif kind == "sim" and r["unit_var"] < VAR_MIN:
                continue  # a fixed point: no fluctuations to be coherent
            else:
                v[i, j] = r[field]
    return np.asarray(strengths, dtype=float), v


def figures(cache, cfg, docs):
    from matplotlib.figure import Figure

    from purernn import plots
    from purernn.figures import save_png

    names = {False: "random part as drawn", True: "row balance"}
    fig = Figure(figsize=(9.6, 3.7), layout="constrained")
    ax, ax_z = fig.subplots(1, 2, width_ratios=(1.4, 1))
    J_th = np.linspace(0.0, 2.0, 41)
    ax.plot(J_th, _chaos_theory.weak_coherence(G, J_th, cfg["N"]), "k--", lw=1.0,
            label="first order in J1 (mean field)")
    for b, c in ((False, "C0"), (True, "C3")):
        J, v = grid(cache, cfg, "coherence", b)
        plots.plot_realizations(J, v, ax, label=f"{names[b]} (N = {cfg['N']})", color=c)
        for N, m in zip(cfg["sizes"], ("s", "^")):
            Js, vs = grid(cache, cfg, "coherence", b, N=N, strengths=cfg["size_strengths"], seeds=[0])
            ax.scatter(Js, vs[:, 0], marker=m, s=28, facecolors="none", edgecolors=c, lw=1.0,
                       label=f"{names[b]}, N = {N}")
    ax.axhline(1 / np.sqrt(cfg["N"]), color="0.5", lw=0.7, ls=":", label="1/sqrt(N): independent units")
    ax.set_xlabel("strength of the structure J1")
    ax.set_ylabel("coherence along xi")
    ax.set_ylim(0, 1)
    ax.set_title(f"g = {G}, alpha = {ALPHA}; {cfg['seeds']} realizations (band: range; runs on a fixed point "
                 "left out)", fontsize=8)
    ax.legend(fontsize=6.5, frameon=False)
    seeds = list(range(cfg["seeds"])) + list(cfg["extra_seeds"])
    for J1, m in ((cfg["loop_strength"], "o"), (cfg["extra_strength"], "s")):
        for b, c in ((False, "C0"), (True, "C3")):
            rs = [cache.get(key(dict(N=cfg["N"], J1=J1, balance=b, seed=s))) for s in seeds]
            rs = [r for r in rs if r is not None]
            moving = [r for r in rs if r["unit_var"] >= VAR_MIN]
            ax_z.scatter([r["z"] for r in moving], [r["coherence"] for r in moving], marker=m, s=22, color=c,
                         label=f"J1 = {J1}, {names[b]}")
            fixed = [r["z"] for r in rs if r["unit_var"] < VAR_MIN]
            ax_z.scatter(fixed, [0.02] * len(fixed), marker="x", s=30, color=c)
    ax_z.text(0.02, 0.05, "x: settled on a fixed point", transform=ax_z.transAxes, fontsize=7)
    ax_z.set_xlabel("z = nu . (chi xi) / sqrt(N) of the realization")
    ax_z.set_ylabel("coherence")
    ax_z.set_ylim(0, 1)
    ax_z.set_title("as drawn, the random part closes a loop of weight z", fontsize=8)
    ax_z.legend(fontsize=6.5, frameon=False)
    save_png(fig, docs / "coherence_vs_strength.png", dpi=110)

    strengths = [J for J in cfg["trace_strengths"]]
    fig = Figure(figsize=(3.0 * len(strengths) + 0.4, 4.6), layout="constrained")
    axes = fig.subplots(2, len(strengths), sharex=True, squeeze=False)
    for row, b in enumerate((False, True)):
        for col, J1 in enumerate(strengths):
            r = cache.get(key(dict(N=cfg["N"], J1=J1, balance=b, seed=0)))
            ax = axes[row, col]
            if r is None or "trace_t" not in r:
                continue
            a = np.asarray(r["trace_units"])
            # the uniform mode: its coefficient is the mean over units; drawn from the stored mean
            ax.plot(r["trace_t"], a, lw=0.6, alpha=0.7)
            ax.plot(r["trace_t"], r["trace_mode"], color="k", lw=1.6, label="mean over units (xi)")
            ax.set_title(f"{names[b]}, J1 = {J1}: coherence {r['coherence']:.2f}", fontsize=8)
            ax.set_ylim(-6, 6)
            if col == 0:
                ax.set_ylabel("pre-activation a")
            if row == 1:
                ax.set_xlabel("time (tau)")
    axes[0, 0].legend(fontsize=6.5, frameon=False, loc="upper right")
    save_png(fig, docs / "traces.png", dpi=110)

    fig = Figure(figsize=(9.0, 3.3), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for b, c in ((False, "C0"), (True, "C3")):
        J, v = grid(cache, cfg, "mode_time", b)
        plots.plot_realizations(J, v, ax1, label=f"{names[b]}: the mode", color=c)
        J, v = grid(cache, cfg, "unit_time", b)
        plots.plot_realizations(J, v, ax1, label=f"{names[b]}: single units", color=c, marker="x", points=False)
        J, v = grid(cache, cfg, "lambda1_tau", b, kind="lyap", strengths=cfg["lyapunov_strengths"],
                    seeds=range(cfg["lyapunov_seeds"]))
        plots.plot_realizations(J, v, ax2, label=names[b], color=c)
    ax1.set_xlabel("J1")
    ax1.set_ylabel("autocorrelation time (tau, 1/e)")
    ax1.set_yscale("log")
    ax1.legend(fontsize=6.5, frameon=False)
    ax2.axhline(0, color="0.6", lw=0.6)
    ax2.set_xlabel("J1")
    ax2.set_ylabel("largest Lyapunov exponent (1/tau)")
    ax2.set_title("with row balance the chaos persists; as drawn it can stop", fontsize=8)
    ax2.legend(fontsize=6.5, frameon=False)
    save_png(fig, docs / "timescales_and_chaos.png", dpi=110)


def fmt(v, d=3):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "-"
    return f"{v.mean():.{d}f} +/- {v.std(ddof=1):.{d}f}" if v.size > 1 else f"{v[0]:.{d}f}"


def numbers(cache, cfg, args, info: dict) -> str:
    L = [f"Measured by `python scripts/study_structured.py{' --quick' if args.quick else ''}`: N = {cfg['N']}, "
         f"g = {G}, alpha = {ALPHA}, {cfg['steps'] * ALPHA:.0f} tau recorded after {cfg['discard'] * ALPHA:.0f} tau; "
         f"mean +/- sd over {cfg['seeds']} realizations.", ""]
    L.append("| J1 | first order in J1 | coherence, as drawn | coherence, row balance | fixed points, as drawn | "
             "with balance | mode autocorr. time (tau), as drawn | with balance | rate coherence (tanh a), as drawn "
             "| with balance |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    weak = _chaos_theory.weak_coherence(G, cfg["strengths"], cfg["N"])
    for i, J1 in enumerate(cfg["strengths"]):
        row = [f"{J1}", f"{weak[i]:.3f}" if J1 <= 2 else "-"]
        for field in ("coherence", "fixed", "mode_time", "coherence_rate"):
            for b in (False, True):
                v = grid(cache, cfg, field, b)[1][i]
                if field == "fixed":
                    row.append(f"{int(np.nansum(v))}/{int(np.isfinite(v).sum())}")
                else:
                    row.append(fmt(v, 3 if field != "mode_time" else 2))
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    L.append(f"Independent units would give coherence 1/sqrt(N) = {1 / np.sqrt(cfg['N']):.3f}. A run counts as a "
             f"fixed point when its mean single-unit variance is below {VAR_MIN}; its coherence is left out.")
    if cfg["sizes"]:
        L.append("")
        def other(N, J1, b):
            r = cache.get(key(dict(N=N, J1=J1, balance=b, seed=0)))
            if r is None:
                return "-"
            return "fixed point" if r["unit_var"] < VAR_MIN else f"{r['coherence']:.3f} (z = {r['z']:+.2f})"

        L.append("Other sizes (realization 0): " + "; ".join(
            f"N = {N}, J1 = {J1}, {'balance' if b else 'as drawn'}: {other(N, J1, b)}"
            for b in (False, True) for N in cfg["sizes"] for J1 in cfg["size_strengths"]))
    L.append("")
    L.append("Largest Lyapunov exponent (1/tau): " + "; ".join(
        f"J1 = {J1}: as drawn {fmt(grid(cache, cfg, 'lambda1_tau', False, 'lyap', strengths=[J1], seeds=range(cfg['lyapunov_seeds']))[1][0], 4)}, "
        f"balance {fmt(grid(cache, cfg, 'lambda1_tau', True, 'lyap', strengths=[J1], seeds=range(cfg['lyapunov_seeds']))[1][0], 4)}"
        for J1 in cfg["lyapunov_strengths"]))
    L.append("")
    J1 = cfg["loop_strength"]
    seeds = list(range(cfg["seeds"])) + list(cfg["extra_seeds"])
    pairs = [(cache.get(key(dict(N=cfg["N"], J1=J1, balance=False, seed=s))),
              cache.get(key(dict(N=cfg["N"], J1=J1, balance=True, seed=s)))) for s in seeds]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    if pairs:
        L.append(f"## J1 = {J1}: each realization's loop weight z = nu . (chi xi) / sqrt(N) and its coherence")
        L.append("")
        L.append("| seed | z | coherence, as drawn | coherence, row balance |")
        L.append("|---|---|---|---|")

        def cell(r):
            return "fixed point" if r["unit_var"] < VAR_MIN else f"{r['coherence']:.3f}"

        for a, b in sorted(pairs, key=lambda ab: ab[0]["z"]):
            L.append(f"| {a['seed']} | {a['z']:+.2f} | {cell(a)} | {cell(b)} |")
        if len(pairs) > 2:
            moving = [a for a, _ in pairs if a["unit_var"] >= VAR_MIN]
            zz = np.array([a["z"] for a in moving])
            cc = np.array([a["coherence"] for a in moving])
            L.append("")
            L.append(f"Correlation of z with the coherence as drawn: {np.corrcoef(zz, cc)[0, 1]:+.2f} "
                     f"({len(moving)} realizations not on a fixed point).")
        L.append("")
    J1 = cfg["extra_strength"]
    rows = [r for r in cache.values() if r.get("eig") and r["N"] == cfg["N"] and r["J1"] == J1 and r["balance"]]
    if rows:
        L.append(f"## Row balance, J1 = {J1}: each realization's leading eigenvalue and its coherent mode")
        L.append("")
        L.append("| seed | leading eigenvalue of W_rec (re, abs im) | mode mean / rms (broken symmetry) | "
                 "mode peak frequency (cycles/tau) | Im / (2 pi) of the leading eigenvalue | coherence |")
        L.append("|---|---|---|---|---|---|")
        for r in sorted(rows, key=lambda r: r["seed"]):
            re, im = r["leading_eigenvalue"]
            L.append(f"| {r['seed']} | {re:.3f}, {im:.3f} | {r['mode_mean'] / r['mode_rms']:+.2f} | "
                     f"{r['mode_peak_frequency']:.4f} | {im / (2 * np.pi):.4f} | {r['coherence']:.3f} |")
        L.append("")
    cpu = sum(r["cpu_s"] for r in cache.values())
    L.append(f"Cost: {len(cache)} runs, {cpu:.0f} s of CPU in the workers; the last run that computed points "
             f"({info['n_run']} of them) took {info['wall_s']:.0f} s wall on {info['workers']} worker processes "
             f"with one BLAS thread each, {platform.machine()}, {os.cpu_count()} cores, 1-minute load average "
             f"{info['load'][0]:.1f} at the start and {info['load'][1]:.1f} at the end (other jobs shared the "
             f"machine).")
    return "\n".join(L) + "\n"


def main(argv=None) -> int:
    args, stem, docs, cache_path, cache = cached_study(__doc__, "structured", "the reduced study (N = 300, four strengths)",
                                                       argv)
    cfg = QUICK if args.quick else FULL
    load0 = os.getloadavg()[0]
    todo = [p for p in points(cfg) if key(p) not in cache]
    todo.sort(key=lambda p: -p["N"] ** 2 * (sum(p["lyapunov"]) * 2 if p.get("lyapunov") else p["steps"] + p["discard"]))
    wall = 0.0
    if not args.no_run:
        print(f"{stem}: {len(todo)} points to run on {args.workers} workers")
        wall = run_all(todo, args.workers, cache_path, cache)
    figures(cache, cfg, docs)
    info = last_run_info(cache_path, len(todo) if not args.no_run else 0, wall, load0, args.workers)
    return finish_numbers(docs, numbers(cache, cfg, args, info), [key(p) for p in points(cfg) if key(p) not in cache])


if __name__ == "__main__":
    raise SystemExit(main())
