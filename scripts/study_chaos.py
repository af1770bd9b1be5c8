"""Transition to chaos in random tanh networks: the largest Lyapunov exponent and the
Kaplan-Yorke dimension against the gain g, for several sizes, at alpha = 0.1 (close to
the continuous-time limit) and alpha = 1 (the discrete map), next to mean-field theory.

    python scripts/study_chaos.py              # N = 200, 500, 1000, 2000 (about 10 min on 2 cores)
    python scripts/study_chaos.py --quick      # N = 100, 200, four gains (under a minute)
    python scripts/study_chaos.py --no-run     # redraw from the cached results only

Networks are ``pr.Network.create(1, N, 1, init="normal", gain=g, alpha=alpha, seed=s)``
with zero input and bias: realization s has the same unit-gain matrix for every g and
alpha (W_rec = g W_1). Exponents come from ``pr.analysis.lyapunov_spectrum``. Results
are cached point by point in ``studies/chaos[_quick]/results.json`` (not in git), so an
interrupted run continues; figures and numbers go to ``docs/studies/chaos[_quick]/``.
"""

from __future__ import annotations

import os

# one BLAS and one Numba thread per worker process (set before NumPy loads)
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
import scipy.optimize  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import purernn as pr  # noqa: E402
from _chaos_theory import continuous_exponent, map_exponent  # noqa: E402
from _study import cached_study, finish_numbers, last_run_info  # noqa: E402


ALPHAS = (0.1, 1.0)

FULL = dict(
    sizes=(200, 500, 1000, 2000),
    gains=(0.5, 0.8, 0.9, 1.0, 1.1, 1.2, 1.35, 1.5, 2.0, 2.5, 3.0),
    gains_by_size={2000: (0.8, 1.0, 1.1, 1.2, 1.5, 2.0, 3.0)},
    seeds_by_size={200: 3, 500: 3, 1000: 2, 2000: 2},
    # (n_steps, n_discard) per alpha; the largest network gets shorter runs
    steps={0.1: (2000, 500), 1.0: (1000, 200)},
    steps_by_size={2000: {0.1: (1000, 300), 1.0: (600, 150)}},
    # how many exponents (for the dimension) where g > 1; elsewhere only the largest
    spectrum={200: {0.1: 60, 1.0: 100}, 500: {0.1: 60, 1.0: 175}},
    spectrum_gains={200: None, 500: (1.5, 2.0, 3.0)},
)
QUICK = dict(
    sizes=(100, 200),
    gains=(0.5, 1.0, 1.5, 2.5),
    gains_by_size={},
    seeds_by_size={100: 2, 200: 2},
    steps={0.1: (600, 200), 1.0: (300, 100)},
    steps_by_size={},
    spectrum={100: {0.1: 30, 1.0: 50}},
    spectrum_gains={100: None},
)
QR_EVERY = {0.1: 10, 1.0: 4}


# ---------------------------------------------------------------------------------------
# Points
# ---------------------------------------------------------------------------------------


def n_exponents(cfg, N: int, alpha: float, g: float) -> int:
    """Exponents computed at a point: a spectrum for the dimension where g > 1 (on the
    gains chosen for it), otherwise only the largest."""
    sel = cfg["spectrum_gains"].get(N)
    if N in cfg["spectrum"] and g > 1.0 and (sel is None or g in sel):
        return cfg["spectrum"][N][alpha]
    return 1


def points(cfg) -> list:
    out = []
    for N in cfg["sizes"]:
        for alpha in ALPHAS:
            n_steps, n_discard = cfg["steps_by_size"].get(N, cfg["steps"])[alpha]
            for g in cfg["gains_by_size"].get(N, cfg["gains"]):
                k = n_exponents(cfg, N, alpha, g)
                for s in range(cfg["seeds_by_size"][N]):
                    out.append(dict(N=N, alpha=alpha, g=g, seed=s, k=k, n_steps=n_steps, n_discard=n_discard,
                                    qr_every=QR_EVERY[alpha] if k > 1 else 1))
    return out


def key(p) -> str:
    return f"N{p['N']}_a{p['alpha']}_g{p['g']}_s{p['seed']}_k{p['k']}"


def run_point(p) -> dict:
    """One network, one Lyapunov run."""
    t0 = time.process_time()
    net = pr.Network.create(1, p["N"], 1, init="normal", gain=p["g"], alpha=p["alpha"], seed=p["seed"])
    rng = np.random.default_rng([p["N"], p["seed"], round(1000 * p["g"]), round(1000 * p["alpha"])])
    spec = pr.analysis.lyapunov_spectrum(net, n_exponents=p["k"], n_steps=p["n_steps"], n_discard=p["n_discard"],
                                         qr_every=p["qr_every"], rng=rng)
    return dict(p, lambda_tau=spec.exponents_tau.tolist(), stderr_tau=spec.stderr_tau.tolist(),
                running_tau=(spec.running[:, 0] / p["alpha"]).tolist(), kaplan_yorke=spec.kaplan_yorke,
                cpu_s=time.process_time() - t0)


def run_origin(N: int, seed: int, gains=()) -> dict:
    """Where the origin of realization (N, seed) loses stability: the smallest g with an
    eigenvalue of the Euler map's Jacobian, 1 - alpha + alpha g nu, outside the unit circle."""
    t0 = time.process_time()
    W1 = pr.Network.create(1, N, 1, init="normal", gain=1.0, seed=seed).params["W_rec"]
    nu = np.linalg.eigvals(W1)
    out, linear = {}, {}
    for alpha in ALPHAS:
        out[str(alpha)] = scipy.optimize.brentq(
            lambda g: np.abs(1 - alpha + alpha * g * nu).max() - 1.0, 1e-3, 10.0)
        # below that gain the trajectory settles at the origin: lambda_1 is its log-modulus
        linear[str(alpha)] = {str(g): float(np.log(np.abs(1 - alpha + alpha * g * nu).max()) / alpha)
                              for g in gains}
    return dict(N=N, seed=seed, g_origin=out, origin_lambda=linear, max_re=float(nu.real.max()),
                radius=float(np.abs(nu).max()), cpu_s=time.process_time() - t0)


def run_all(todo, workers: int, cache_path: Path, cache: dict) -> float:
    """Run the missing points on `workers` processes; the cache is written after each one."""
    t0 = time.time()
    if not todo:
        return 0.0
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {}
        for kind, arg in todo:
            fut = pool.submit(run_point, arg) if kind == "point" else pool.submit(run_origin, *arg)
            futures[fut] = (kind, arg)
        for i, fut in enumerate(cf.as_completed(futures), 1):
            kind, arg = futures[fut]
            res = fut.result()
            name = key(arg) if kind == "point" else f"origin_N{arg[0]}_s{arg[1]}"
            cache[name] = res
            tmp = cache_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(cache))
            tmp.replace(cache_path)
            print(f"[{i}/{len(todo)}] {name}: {res['cpu_s']:.1f} s CPU, {time.time() - t0:.0f} s elapsed", flush=True)
    return time.time() - t0


# ---------------------------------------------------------------------------------------
# Figures and numbers
# ---------------------------------------------------------------------------------------


def table_of(cache, cfg, N, alpha, field="lambda1"):
    """(gains, values (n_g, n_seeds)) of one size and alpha."""
    gains = cfg["gains_by_size"].get(N, cfg["gains"])
    S = cfg["seeds_by_size"][N]
    v = np.full((len(gains), S), np.nan)
    for i, g in enumerate(gains):
        for s in range(S):
            r = cache.get(key(dict(N=N, alpha=alpha, g=g, seed=s, k=n_exponents(cfg, N, alpha, g))))
            if r is None:
                continue
            if field == "lambda1":
                v[i, s] = r["lambda_tau"][0]
            elif field == "stderr1":
                v[i, s] = r["stderr_tau"][0]
            elif field == "dimension" and (r["k"] > 1 or (g <= 1.0 and r["lambda_tau"][0] < 0)):
                d = r["kaplan_yorke"]  # 0 when lambda_1 < 0; nan (None) when k exponents do not suffice
                v[i, s] = np.nan if d is None else d / N
    return np.asarray(gains, dtype=float), v


def onset(gains, lam, se) -> tuple:
    """(g where the mean exponent last crosses 0 upward, by linear interpolation;
    smallest g from which every realization at every larger gain is chaotic)."""
    mean = np.nanmean(lam, axis=1)
    cross = float("nan")
    for i in range(len(gains) - 1):
        if mean[i] <= 0 < mean[i + 1]:
            cross = gains[i] + (gains[i + 1] - gains[i]) * (-mean[i]) / (mean[i + 1] - mean[i])
    chaotic = np.all((lam > np.maximum(3 * se, 0.005)) | np.isnan(lam), axis=1) & np.any(np.isfinite(lam), axis=1)
    first = float("nan")
    for i in range(len(gains)):
        if chaotic[i:].all():
            first = float(gains[i])
            break
    return cross, first


def figures(cache, cfg, theory, docs: Path) -> dict:
    from matplotlib.figure import Figure

    from purernn import plots
    from purernn.figures import save_png

    colors = {N: f"C{i}" for i, N in enumerate(cfg["sizes"])}
    written = {}
    g_th = np.array(sorted(theory["continuous"]), dtype=float)

    fig = Figure(figsize=(9.0, 3.6), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, alpha in zip(axes, ALPHAS):
        for N in cfg["sizes"]:
            gains, lam = table_of(cache, cfg, N, alpha)
            plots.plot_realizations(gains, lam, ax, label=f"N = {N}", color=colors[N])
        th = theory["continuous" if alpha < 1 else "map"]
        ax.plot(g_th, [th[str(g)] if str(g) in th else th[g] for g in g_th], "k--", lw=1.0,
                label="mean field, N -> inf" + (" (ODE)" if alpha < 1 else " (map)"))
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axvline(1, color="0.6", lw=0.6, ls=":")
        ax.set_xlabel("gain g")
        ax.set_ylabel("largest exponent lambda_1 (1/tau)")
        ax.set_title(f"alpha = {alpha}" + (" (tau = 10 steps)" if alpha < 1 else " (the map; tau = 1 step)"), fontsize=9)
        ax.legend(fontsize=7, frameon=False)
    written["lambda"] = save_png(fig, docs / "lambda_vs_gain.png", dpi=110)

    fig = Figure(figsize=(9.0, 3.4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, alpha in zip(axes, ALPHAS):
        for N in cfg["sizes"]:
            gains, lam = table_of(cache, cfg, N, alpha)
            keep = (gains >= 0.8) & (gains <= 1.6)
            plots.plot_realizations(gains[keep], lam[keep], ax, label=f"N = {N}", color=colors[N])
            og = [cache[f"origin_N{N}_s{s}"]["g_origin"][str(alpha)] for s in range(cfg["seeds_by_size"][N])
                  if f"origin_N{N}_s{s}" in cache]
            for g0 in og:
                ax.axvline(g0, color=colors[N], lw=0.7, ls="--", alpha=0.7)
        th = theory["continuous" if alpha < 1 else "map"]
        gz = [g for g in g_th if 0.8 <= g <= 1.6]
        ax.plot(gz, [th[str(g)] if str(g) in th else th[g] for g in gz], "k--", lw=1.0, label="mean field")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set_xlabel("gain g (dashed verticals: origin unstable, per realization)")
        ax.set_ylabel("lambda_1 (1/tau)")
        ax.set_title(f"near the onset, alpha = {alpha}", fontsize=9)
        ax.legend(fontsize=7, frameon=False)
    written["onset"] = save_png(fig, docs / "onset.png", dpi=110)

    dims = [N for N in cfg["sizes"] if N in cfg["spectrum"]]
    fig = Figure(figsize=(9.0, 3.4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, alpha in zip(axes, ALPHAS):
        for N in dims:
            gains, d = table_of(cache, cfg, N, alpha, "dimension")
            plots.plot_realizations(gains, d, ax, label=f"N = {N}", color=colors[N])
        ax.set_xlabel("gain g")
        ax.set_ylabel("Kaplan-Yorke dimension / N")
        ax.set_title(f"attractor dimension, alpha = {alpha}", fontsize=9)
        ax.legend(fontsize=7, frameon=False)
    written["dimension"] = save_png(fig, docs / "dimension_vs_gain.png", dpi=110)

    fig = Figure(figsize=(9.0, 3.4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, alpha in zip(axes, ALPHAS):
        ax.axhline(0, color="0.6", lw=0.6)
        # the two largest gains with a spectrum at every size
        common = sorted(set.intersection(*[{g for g in cfg["gains_by_size"].get(N, cfg["gains"])
                                             if n_exponents(cfg, N, alpha, g) > 1} for N in dims]))
        for N in dims:
            k = cfg["spectrum"][N][alpha]
            for g, ls in zip(common[-2:], ("-", "--")):
                r = cache.get(key(dict(N=N, alpha=alpha, g=g, seed=0, k=k)))
                if r is None:
                    continue
                lam = np.asarray(r["lambda_tau"])
                ax.plot(np.arange(1, lam.size + 1) / N, lam, ls=ls, color=colors[N], lw=1.0, label=f"N = {N}, g = {g}")
        ax.set_xlabel("i / N")
        ax.set_ylabel("lambda_i (1/tau)")
        ax.set_title(f"leading Lyapunov spectrum, alpha = {alpha} (realization 0)", fontsize=9)
        ax.legend(fontsize=7, frameon=False)
    written["spectra"] = save_png(fig, docs / "spectra.png", dpi=110)

    fig = Figure(figsize=(4.6, 3.2), layout="constrained")
    ax = fig.subplots()
    N = cfg["sizes"][-1]
    above = [g for g in cfg["gains_by_size"].get(N, cfg["gains"]) if g > 1.0]
    for g in sorted({above[min(1, len(above) - 1)], above[-2] if len(above) > 2 else above[-1]}):
        r = cache.get(key(dict(N=N, alpha=0.1, g=g, seed=0, k=1)))
        if r is None:
            continue
        nb = len(r["running_tau"])
        t_tau = np.arange(1, nb + 1) * r["n_steps"] / nb * r["alpha"]  # end of each segment
        ax.plot(t_tau, r["running_tau"], marker="o", ms=3, label=f"g = {g}: {r['lambda_tau'][0]:.4f} "
                f"+/- {r['stderr_tau'][0]:.4f}")
        ax.axhline(theory["continuous"][str(g)], color="k", ls="--", lw=0.8)
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set_xlabel("averaging time (tau)")
    ax.set_ylabel("running lambda_1 (1/tau)")
    ax.set_title(f"convergence, N = {N}, alpha = 0.1 (dashed: mean field)", fontsize=8)
    ax.legend(fontsize=7, frameon=False)
    written["convergence"] = save_png(fig, docs / "convergence.png", dpi=110)
    return written


def fmt(v, d=3):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "-"
    if v.size == 1:
        return f"{v[0]:.{d}f}"
    return f"{v.mean():.{d}f} +/- {v.std(ddof=1):.{d}f}"


def numbers(cache, cfg, theory, args, info: dict) -> tuple:
    lines = [f"Measured by `python scripts/study_chaos.py{' --quick' if args.quick else ''}`; "
             "mean +/- sd over realizations (per unit of tau; at alpha = 1 a step is one tau).", ""]
    for alpha in ALPHAS:
        lines.append(f"## Largest exponent lambda_1 (1/tau), alpha = {alpha}")
        lines.append("")
        gains = sorted({g for N in cfg["sizes"] for g in cfg["gains_by_size"].get(N, cfg["gains"])})
        th = theory["continuous" if alpha < 1 else "map"]
        lines.append("| g | mean field | " + " | ".join(f"N = {N}" for N in cfg["sizes"]) + " |")
        lines.append("|---" * (len(cfg["sizes"]) + 2) + "|")
        for g in gains:
            row = [f"{g}", f"{th[str(g)]:.4f}"]
            for N in cfg["sizes"]:
                gs, lam = table_of(cache, cfg, N, alpha)
                i = np.flatnonzero(np.isclose(gs, g))
                row.append(fmt(lam[i[0]], 4) if i.size else "")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    lines.append("## Onset of chaos")
    lines.append("")
    lines.append("| alpha | N | mean lambda_1 crosses 0 at g | all realizations chaotic from g | origin unstable at g (per realization) |")
    lines.append("|---|---|---|---|---|")
    onsets = {}
    for alpha in ALPHAS:
        for N in cfg["sizes"]:
            gains, lam = table_of(cache, cfg, N, alpha)
            _, se = table_of(cache, cfg, N, alpha, "stderr1")
            cross, first = onset(gains, lam, se)
            onsets[(alpha, N)] = (cross, first)
            og = [cache[f"origin_N{N}_s{s}"]["g_origin"][str(alpha)] for s in range(cfg["seeds_by_size"][N])
                  if f"origin_N{N}_s{s}" in cache]
            lines.append(f"| {alpha} | {N} | {cross:.3f} | {first} | {', '.join(f'{g:.3f}' for g in og)} |")
    lines.append("")
    lines.append("Theory (N -> infinity): lambda_1 crosses 0 at g = 1 for both; the origin loses stability at g = 1.")
    lines.append("'All realizations chaotic' means lambda_1 > max(3 standard errors, 0.005/tau) at that gain and "
                 "at every larger gain of the grid.")
    lines.append("")
    lines.append("Below the gain where the origin loses stability the trajectory settles at the origin, and "
                 "lambda_1 must equal the log-modulus of the origin's leading map eigenvalue, log |1 - alpha + "
                 "alpha g nu| / alpha over the eigenvalues nu of the realization's W_1 (a known answer per "
                 "realization). Largest |measured - known| over the gains < 1:")
    lines.append("")
    for alpha in ALPHAS:
        cells = []
        for N in cfg["sizes"]:
            diffs = [abs(r["lambda_tau"][0] - cache[f"origin_N{N}_s{r['seed']}"]["origin_lambda"][str(alpha)][str(r["g"])])
                     for k, r in cache.items() if not k.startswith("origin") and r["N"] == N and r["alpha"] == alpha
                     and r["g"] < 1.0 and f"origin_N{N}_s{r['seed']}" in cache]
            if diffs:
                cells.append(f"N = {N}: {max(diffs):.4f} ({len(diffs)} runs)")
        lines.append(f"- alpha = {alpha}: " + "; ".join(cells))
    lines.append("")
    lines.append("## Kaplan-Yorke dimension / N")
    lines.append("")
    for alpha in ALPHAS:
        for N in [N for N in cfg["sizes"] if N in cfg["spectrum"]]:
            gains, d = table_of(cache, cfg, N, alpha, "dimension")
            cells = [f"g = {g}: {fmt(d[i], 3)}" for i, g in enumerate(gains) if np.any(np.isfinite(d[i]))]
            lines.append(f"- alpha = {alpha}, N = {N} (k = {cfg['spectrum'][N][alpha]} exponents): " + "; ".join(cells))
    lines.append("")
    pts = [r for k, r in cache.items() if not k.startswith("origin")]
    cpu = sum(r["cpu_s"] for r in cache.values())
    by_n = {N: sum(r["cpu_s"] for r in pts if r["N"] == N) for N in cfg["sizes"]}
    lines.append("## Cost")
    lines.append("")
    lines.append(f"{len(pts)} Lyapunov runs and {len(cache) - len(pts)} eigendecompositions: {cpu:.0f} s of CPU in "
                 f"the workers (" + ", ".join(f"N = {N}: {c:.0f} s" for N, c in by_n.items()) + f"); the last run "
                 f"that computed points ({info['n_run']} of them) took {info['wall_s']:.0f} s wall on "
                 f"{info['workers']} worker processes with one BLAS thread each, {platform.machine()}, "
                 f"{os.cpu_count()} cores, 1-minute load average {info['load'][0]:.1f} at the start and "
                 f"{info['load'][1]:.1f} at the end (other jobs shared the machine). Mean-field curves: "
                 f"{theory['cpu_s']:.0f} s of CPU, once.")
    return "\n".join(lines) + "\n", onsets


def main(argv=None) -> int:
    args, stem, docs, cache_path, cache = cached_study(__doc__, "chaos", "the reduced study (N = 100, 200; four gains)",
                                                       argv)
    cfg = QUICK if args.quick else FULL
    load0 = os.getloadavg()[0]

    todo = [("point", p) for p in points(cfg) if key(p) not in cache]
    todo += [("origin", (N, s, [g for g in cfg["gains_by_size"].get(N, cfg["gains"]) if g < 1.0]))
             for N in cfg["sizes"] for s in range(cfg["seeds_by_size"][N])
             if f"origin_N{N}_s{s}" not in cache]
    todo.sort(key=lambda t: -(t[1]["N"] ** 2 * (t[1]["n_steps"] + t[1]["n_discard"]) * (1 + t[1]["k"] / 4))
              if t[0] == "point" else -t[1][0] ** 3 / 50)
    wall = 0.0
    if not args.no_run:
        print(f"{stem}: {len(todo)} points to run on {args.workers} workers")
        wall = run_all(todo, args.workers, cache_path, cache)

    theory_path = cache_path.parent / "theory.json"
    theory = json.loads(theory_path.read_text()) if theory_path.exists() else {}
    grid = np.linspace(0.5, 3.0, 11 if args.quick else 26)
    g_th = sorted(set(np.round(np.concatenate([grid, [1.05, 1.15, 1.35]]), 3).tolist())
                  | {g for N in cfg["sizes"] for g in cfg["gains_by_size"].get(N, cfg["gains"])})
    if set(map(str, g_th)) - set(theory.get("map", {})):
        t0 = time.process_time()
        theory = {"map": {}, "continuous": {}, "check_E1": {}}
        for g in g_th:
            theory["map"][str(g)] = map_exponent(g)
            lam, e1 = continuous_exponent(g)
            theory["continuous"][str(g)] = lam
            theory["check_E1"][str(g)] = e1
        theory["cpu_s"] = time.process_time() - t0
        theory_path.write_text(json.dumps(theory))
    worst = max(abs(v) for v in theory["check_E1"].values())
    print(f"theory: {len(g_th)} gains, {theory['cpu_s']:.0f} s CPU; |E1| <= {worst:.1e} (0 in exact arithmetic)")

    figures(cache, cfg, theory, docs)
    info = last_run_info(cache_path, len(todo) if not args.no_run else 0, wall, load0, args.workers)
    text, onsets = numbers(cache, cfg, theory, args, info)
    return finish_numbers(docs, text, [key(p) for p in points(cfg) if key(p) not in cache])


if __name__ == "__main__":
    raise SystemExit(main())
