"""Low-rank networks: the phase diagram of Mastrogiuseppe & Ostojic (2018, Neuron 99:609,
Fig. 1) from mean-field theory and from simulated finite networks, and low-rank networks
trained on seed tasks.

    python scripts/study_lowrank.py              # about 12 min on 2 cores
    python scripts/study_lowrank.py --quick      # about 2 min: coarse grids, N = 500
    python scripts/study_lowrank.py --no-run     # redraw from the cached results only

The networks are ``W = g chi + m n^T / N`` with ``chi_ij ~ N(0, 1/N)`` and connectivity
vectors with the statistics of the paper's Fig. 1 (its published code): ``m_i ~ N(1.1, 1)``,
``n_i ~ N(M_n, 1)``, uncorrelated fluctuations; the structure strength ``m . n / N =
1.1 M_n`` is set through M_n. Each realization's standard-normal draws are standardized
(sample mean 0, variance 1, the two vectors' fluctuations orthogonal), so a finite network
has exactly the theory's structure strength and only the random part is finite; the same
draws serve every (structure, g) point of a realization. Activity: the Euler update of
``dx/dt = -x + W tanh(x)`` with dt = 0.1 tau, which is what purernn's pre-activation
``a = W_rec h`` follows at alpha = 0.1 (tests/analysis/test_meanfield.py checks the two
against each other); a run is *heterogeneous* when its activity along m,
``kappa = n . tanh(x) / N``, keeps a sign (``|mean kappa| > max(0.1, 2 sd kappa)`` over the
measured window) and *chaotic* when its units fluctuate in time (mean temporal variance
above 1e-3). Results are cached point by point in ``studies/lowrank[_quick]/results.json``
(not in git); figures and numbers go to ``docs/studies/lowrank[_quick]/``.
"""

from __future__ import annotations

import os

# one BLAS and one Numba thread per worker process (set before NumPy loads)
for _k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_k, "1")

import concurrent.futures as cf  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _study import cached_study, finish_numbers  # noqa: E402
from purernn._files import utc_now  # noqa: E402

M_M = 1.1  # mean of m (the paper's Fig. 1)
PAPER = dict(overlap=2.2, g_chaos=1.796, g_collapse=2.136)  # Fig. 1C, from the authors' code
K_THR, Q_THR = 0.1, 1e-3  # heterogeneous: |mean kappa| above; chaotic: temporal variance above
FULL = dict(
    N=1000, seeds=2, alpha=0.1, n_steps=1000, n_discard=400,
    overlaps=(0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8), gs=(0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8),
    line_N=2000, line_seeds=2, line_gs=(0.6, 1.2, 1.6, 1.8, 1.9, 2.0, 2.1, 2.2, 2.4, 2.8),
    theory_overlaps=np.round(np.linspace(0.0, 3.0, 25), 4), theory_gs=np.round(np.linspace(0.05, 3.05, 25), 4),
    onset_overlaps=(1.05, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0),
    bif_gs=(1.02, 1.05, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0, 3.2),
    chaos_gs=(1.8, 1.85, 1.9, 2.0, 2.05, 2.1, 2.2, 2.4, 2.8),
    # (task, rank, seed, init of U and V): "orthogonal" is the task default
    train=(("not", 1, 0, "orthogonal"), ("and", 1, 0, "orthogonal"), ("or", 1, 0, "orthogonal"),
           ("xor", 1, 0, "orthogonal"), ("and", 1, 1, "orthogonal"), ("and", 2, 0, "orthogonal"),
           ("and", 2, 4, "orthogonal"), ("and", 2, 0, "identity"), ("xor", 2, 0, "identity")),
    size_Ns=(1000, 2000, 4000), size_seeds=2, size_g=2.0,
)
QUICK = dict(
    N=500, seeds=1, alpha=0.1, n_steps=600, n_discard=300,
    overlaps=(0.5, 1.5, 2.5), gs=(0.5, 1.5, 2.5),
    line_N=500, line_seeds=1, line_gs=(1.2, 2.0, 2.8),
    theory_overlaps=np.round(np.linspace(0.0, 3.0, 7), 4), theory_gs=np.round(np.linspace(0.05, 3.05, 7), 4),
    onset_overlaps=(1.2, 2.2, 3.0), bif_gs=(1.2, 2.0, 3.0), chaos_gs=(2.0,),
    train=(("not", 1, 0, "orthogonal"),),
    size_Ns=(500, 1000), size_seeds=1, size_g=2.0,
)
EXAMPLES = ((0.8, 0.8), (2.0, 0.8), (0.8, 2.0), (2.8, 2.0))  # (overlap, g): one per region


# -- the work items (each runs in a worker process) -------------------------------------


def _draws(N: int, seed: int):
    """chi (N, N), standardized fluctuations z (N, 2) of m and n, and x_0 of a realization."""
    rng = np.random.default_rng([18, N, seed])
    chi = rng.standard_normal((N, N)) / np.sqrt(N)
    z = rng.standard_normal((N, 2))
    z -= z.mean(axis=0)
    z[:, 1] -= z[:, 0] * (z[:, 0] @ z[:, 1]) / (z[:, 0] @ z[:, 0])
    z /= z.std(axis=0)
    return chi, z, rng.standard_normal(N)


def run_sim(p: dict) -> dict:
    """One finite network: kappa, Delta_0, Delta_inf and the temporal variance."""
    t0 = time.process_time()
    N = p["N"]
    chi, z, x = _draws(N, p["seed"])
    m, n = M_M + z[:, 0], p["overlap"] / M_M + z[:, 1]
    W = p["g"] * chi + np.outer(m, n) / N
    a = p["alpha"]
    kappa, var_i, trace = [], [], []
    s1, s2 = np.zeros(N), np.zeros(N)
    for t in range(p["n_steps"]):
        x = (1 - a) * x + a * (W @ np.tanh(x))
        if t >= p["n_discard"]:
            kappa.append(n @ np.tanh(x) / N)
            var_i.append(np.var(x))
            s1 += x
            s2 += x * x
        if p.get("trace") and t % 5 == 0:
            trace.append([float(n @ np.tanh(x) / N)] + x[:5].tolist())
    T = p["n_steps"] - p["n_discard"]
    mean = s1 / T
    kappa = np.asarray(kappa)
    out = dict(kappa_mean=float(kappa.mean()), kappa_sd=float(kappa.std()),
               kappa_abs=float(np.abs(kappa).mean()), delta0=float(np.mean(var_i)),
               temporal=float(np.mean(s2 / T - mean**2)), delta_inf=float(np.var(mean)),
               cpu_s=time.process_time() - t0)
    if trace:
        out["trace"] = trace
    return out


def classify_sim(r: dict) -> str:
    het = abs(r["kappa_mean"]) > max(K_THR, 2 * r["kappa_sd"])
    chaotic = r["temporal"] > Q_THR
    return f"{'heterogeneous' if het else 'homogeneous'} {'chaotic' if chaotic else 'stationary'}"


def run_theory(item: tuple) -> dict:
    """Mean-field results: a row of phases, a boundary point, or the Fig. 1C line."""
    from purernn.analysis import meanfield as mf

    t0 = time.process_time()
    kind, arg = item
    base = mf.RankOneStats(g=1.0)
    if kind == "row":
        g, overlaps = arg
        out = {"codes": [mf.PHASES.index(mf.phase(base.replace(g=g).with_overlap(o))) for o in overlaps]}
    elif kind == "onset":
        out = {"g": mf.chaos_onset(base.with_overlap(arg))}
    elif kind == "bif":
        out = {"overlap": mf.chaotic_bifurcation(arg), "delta0": mf.scs_delta0(arg)}
    elif kind == "point":
        o, g = arg
        out = {"phase": mf.phase(base.replace(g=g).with_overlap(o))}
    elif kind == "collapse":  # the g at which the heterogeneous chaos collapses onto kappa = 0
        from scipy.optimize import brentq
        out = {"g": brentq(lambda g: mf.chaotic_bifurcation(g) - arg, 1.0 + 1e-6, 6.0, xtol=1e-8)}
    elif kind == "stationary":
        out = {"sols": [s.__dict__ for s in mf.stationary_solutions(base.replace(g=arg).with_overlap(PAPER["overlap"]))]}
    else:  # chaotic
        out = {"sols": [s.__dict__ for s in mf.chaotic_solutions(base.replace(g=arg).with_overlap(PAPER["overlap"]))]}
    out["cpu_s"] = time.process_time() - t0
    return out


def run_train(item: tuple) -> dict:
    """A rank-r network with the task's default settings, trained to criterion."""
    import purernn as pr

    t0, w0 = time.process_time(), time.time()
    task_name, rank, seed, init = item
    task = pr.tasks.make(task_name)
    net = pr.default_network(task, seed=seed, rank=rank, init=init)
    eig0 = np.linalg.eigvals(pr.analysis.connectivity_overlaps(net).nm)
    result = pr.train(net, task, pr.default_train_config(task_name, seed=seed), progress=False)
    ev = pr.evaluate(result.net, task, n_trials=500, rng=seed)
    ov = pr.analysis.connectivity_overlaps(result.net, basis="svd")
    h = result.history
    return dict(n_rec=net.n_rec, alpha=net.alpha, n_steps=result.n_steps, best_step=result.best_step,
                stop_reason=result.stop_reason, val_accuracy=float(result.val_accuracy),
                accuracy=float(ev.accuracy), criterion=result.target_accuracy,
                eval_step=h["eval_step"].tolist(), val_acc=h["val_accuracy"].tolist(),
                ci=[float(ev.ci_low), float(ev.ci_high)], overlaps=ov.to_dict(),
                eig=[[float(v.real), float(v.imag)] for v in np.linalg.eigvals(ov.nm)],
                eig0=[[float(v.real), float(v.imag)] for v in eig0],
                cpu_s=time.process_time() - t0, wall_s=time.time() - w0)


def dispatch(item):
    kind = item[0]
    if kind == "sim":
        return run_sim(item[1])
    if kind == "train":
        return run_train(item[1])
    return run_theory(item[1])


def key(item) -> str:
    kind, arg = item
    if kind == "sim":
        return "sim_N{N}_g{g}_o{overlap}_s{seed}".format(**arg)
    if kind == "train":
        return "train_{}_r{}_s{}_{}".format(*arg)
    sub, val = arg
    if sub == "point":
        return "theory_point_o{}_g{}".format(*val)
    return f"theory_{sub}_{val[0] if sub == 'row' else val}"


def work_items(cfg) -> list:
    items = []
    sim = dict(alpha=cfg["alpha"], n_steps=cfg["n_steps"], n_discard=cfg["n_discard"])
    for o in cfg["overlaps"]:
        for g in cfg["gs"]:
            for s in range(cfg["seeds"]):
                items.append(("sim", dict(N=cfg["N"], g=g, overlap=o, seed=s,
                                          trace=(o, g) in EXAMPLES and s == 0, **sim)))
    for g in cfg["line_gs"]:
        for s in range(cfg["line_seeds"]):
            items.append(("sim", dict(N=cfg["line_N"], g=g, overlap=PAPER["overlap"], seed=s, **sim)))
    long = dict(alpha=cfg["alpha"], n_steps=3 * cfg["n_steps"], n_discard=cfg["n_steps"])
    for N in cfg["size_Ns"]:
        for s in range(cfg["size_seeds"]):
            items.append(("sim", dict(N=N, g=cfg["size_g"], overlap=PAPER["overlap"], seed=100 + s, **long)))
    items += [("theory", ("row", (float(g), [float(o) for o in cfg["theory_overlaps"]]))) for g in cfg["theory_gs"]]
    items += [("theory", ("onset", o)) for o in cfg["onset_overlaps"]]
    items += [("theory", ("bif", g)) for g in cfg["bif_gs"]]
    items += [("theory", ("stationary", float(g))) for g in np.round(np.linspace(0.05, 3.0, 60), 4)]
    items += [("theory", ("chaotic", g)) for g in cfg["chaos_gs"]]
    items += [("theory", ("point", (o, g))) for o in cfg["overlaps"] for g in cfg["gs"]]
    items += [("theory", ("collapse", PAPER["overlap"]))]
    items += [("train", t) for t in cfg["train"]]
    return items


def run_all(todo, workers: int, cache_path: Path, cache: dict) -> float:
    """Run the missing items on `workers` processes; the cache is written after each one."""
    t0 = time.time()
    if not todo:
        return 0.0
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(dispatch, it): it for it in todo}
        for i, fut in enumerate(cf.as_completed(futures), 1):
            name = key(futures[fut])
            cache[name] = res = fut.result()
            tmp = cache_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(cache))
            tmp.replace(cache_path)
            print(f"[{i}/{len(todo)}] {name}: {res['cpu_s']:.1f} s CPU, {time.time() - t0:.0f} s elapsed", flush=True)
    return time.time() - t0


# -- figures and numbers ------------------------------------------------------------------

COLORS = {"homogeneous stationary": "#4C72B0", "heterogeneous stationary": "#55A868",
          "homogeneous chaotic": "#C44E52", "heterogeneous chaotic": "#DD8452"}


def _sim(cache, N, g, o, seeds):
    return [cache[k] for s in range(seeds) if (k := f"sim_N{N}_g{g}_o{o}_s{s}") in cache]


def _curves(cache, cfg):
    """Boundary curves as (overlap, g) arrays, each starting at (1, 1)."""
    onset = [(1.0, 1.0)] + [(o, cache[f"theory_onset_{o}"]["g"]) for o in cfg["onset_overlaps"]
                            if f"theory_onset_{o}" in cache]
    bif = [(1.0, 1.0)] + [(cache[f"theory_bif_{g}"]["overlap"], g) for g in cfg["bif_gs"]
                          if f"theory_bif_{g}" in cache]
    return np.array(onset), np.array(bif)


def figures(cache, cfg, docs: Path) -> dict:
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from purernn.analysis.meanfield import PHASES
    from purernn.figures import save_png

    written = {}
    # 1. the phase diagram
    fig = Figure(figsize=(7.2, 5.6), layout="constrained")
    ax = fig.add_subplot()
    to, tg = cfg["theory_overlaps"], cfg["theory_gs"]
    codes = np.full((len(tg), len(to)), np.nan)
    for i, g in enumerate(tg):
        r = cache.get(f"theory_row_{float(g)}")
        if r is not None:
            codes[i] = r["codes"]
    cmap = ListedColormap([COLORS[p] for p in PHASES])
    ax.pcolormesh(to, tg, codes, cmap=cmap, vmin=-0.5, vmax=3.5, alpha=0.28, shading="nearest")
    onset, bif = _curves(cache, cfg)
    ax.plot([0, 1], [1, 1], "k-", lw=1.5)
    ax.plot([1, 1], [0, 1], "k-", lw=1.5)
    ax.plot(onset[:, 0], onset[:, 1], "k-", lw=1.5)
    ax.plot(bif[:, 0], bif[:, 1], "k--", lw=1.5)
    for o in cfg["overlaps"]:
        for g in cfg["gs"]:
            runs = _sim(cache, cfg["N"], g, o, cfg["seeds"])
            if not runs:
                continue
            labels = [classify_sim(r) for r in runs]
            for j, lab in enumerate(labels):
                dx = (j - (len(labels) - 1) / 2) * 0.07
                ax.scatter([o + dx], [g], s=70, color=COLORS[lab], edgecolor="k", lw=0.8, zorder=3)
    ax.axvline(PAPER["overlap"], color="0.4", lw=0.8, ls=":")
    ax.text(PAPER["overlap"] + 0.03, 0.08, "Fig. 1C", fontsize=8, color="0.3")
    ax.set_xlim(to[0] - 0.05, to[-1] + 0.05)
    ax.set_ylim(0.0, tg[-1])
    ax.set_xlabel("structure strength m . n / N (= M_m M_n)")
    ax.set_ylabel("random strength g")
    handles = [Line2D([], [], marker="s", ls="", ms=10, color=COLORS[p], alpha=0.5, label=p) for p in PHASES]
    handles += [Line2D([], [], color="k", label="fixed points lose stability"),
                Line2D([], [], color="k", ls="--", label="kappa = 0 chaos unstable along m"),
                Line2D([], [], marker="o", ls="", color="0.6", mec="k",
                       label=f"simulated, N = {cfg['N']} (one dot per realization)")]
    ax.legend(handles=handles, fontsize=7.5, loc="upper left", framealpha=0.9)
    ax.set_title("Rank-one network plus random part: theory (shading, lines) and simulations")
    written["phase"] = save_png(fig, docs / "phase_diagram.png", dpi=110)

    # 2. the paper's Fig. 1C line
    fig = Figure(figsize=(10, 4.0), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    gs = np.round(np.linspace(0.05, 3.0, 60), 4)
    for sign in (1, -1):
        for stable in (True, False):
            pts = [(g, s["kappa"]) for g in gs for s in cache.get(f"theory_stationary_{float(g)}", {}).get("sols", [])
                   if np.sign(s["kappa"]) == sign and s["stable"] == stable and abs(s["kappa"]) > 1e-7]
            if pts:
                a = np.array(pts)
                ax1.plot(a[:, 0], a[:, 1], color=COLORS["heterogeneous stationary"], lw=2 if stable else 1,
                         alpha=1 if stable else 0.4, label=("stationary, stable" if stable else "stationary, unstable")
                         if sign == 1 else None)
    ch = [(g, s) for g in cfg["chaos_gs"] for s in cache.get(f"theory_chaotic_{g}", {}).get("sols", [])]
    het = np.array([(g, s["kappa"]) for g, s in ch if abs(s["kappa"]) > 1e-7]).reshape(-1, 2)
    ax1.plot(het[:, 0], het[:, 1], "o", color=COLORS["heterogeneous chaotic"], ms=4, label="chaotic, kappa != 0")
    ax1.axhline(0.0, color=COLORS["homogeneous chaotic"], lw=1, ls="--", label="kappa = 0")
    for ax in (ax1, ax2):
        ax.axvline(cache.get("theory_onset_2.2", {}).get("g", np.nan), color="0.5", lw=0.8, ls=":")
        ax.axvline(cache.get("theory_collapse_2.2", {}).get("g", np.nan), color="0.5", lw=0.8, ls=":")
    sims = {g: _sim(cache, cfg["line_N"], g, PAPER["overlap"], cfg["line_seeds"]) for g in cfg["line_gs"]}
    for g, runs in sims.items():
        for r in runs:
            ax1.plot([g], [abs(r["kappa_mean"])], "kx", ms=6)
            ax2.plot([g], [r["delta0"]], "kx", ms=6)
            ax2.plot([g], [r["temporal"]], "k+", ms=7)
    ax1.plot([], [], "kx", label=f"simulated |mean kappa|, N = {cfg['line_N']}")
    ax1.set_xlabel("random strength g")
    ax1.set_ylabel("activity along m, kappa")
    ax1.legend(fontsize=7.5)
    stat = np.array([(g, s["delta0"]) for g in gs for s in cache.get(f"theory_stationary_{float(g)}", {}).get("sols", [])
                     if s["kappa"] > 1e-7]).reshape(-1, 2)
    ax2.plot(stat[:, 0], stat[:, 1], color=COLORS["heterogeneous stationary"], label="Delta_0, stationary kappa > 0")
    chp = np.array([(g, s["delta0"], s["delta0"] - s["delta_inf"]) for g, s in ch if s["kappa"] > 1e-7]).reshape(-1, 3)
    ch0 = np.array([(g, s["delta0"]) for g, s in ch if abs(s["kappa"]) <= 1e-7]).reshape(-1, 2)
    ax2.plot(chp[:, 0], chp[:, 1], "o", color=COLORS["heterogeneous chaotic"], ms=4, label="Delta_0, chaotic kappa > 0")
    ax2.plot(chp[:, 0], chp[:, 2], "s", color=COLORS["heterogeneous chaotic"], ms=4, mfc="none",
             label="Delta_0 - Delta_inf (temporal), chaotic")
    ax2.plot(ch0[:, 0], ch0[:, 1], "^", color=COLORS["homogeneous chaotic"], ms=4, label="Delta_0 = temporal, kappa = 0")
    ax2.plot([], [], "kx", label="simulated Delta_0")
    ax2.plot([], [], "k+", label="simulated temporal variance")
    ax2.set_xlabel("random strength g")
    ax2.set_ylabel("variance of the input x")
    ax2.legend(fontsize=7)
    fig.suptitle(f"Structure strength {PAPER['overlap']} (the paper's Fig. 1C); dotted: onset of chaos and "
                 "collapse of kappa, this theory", fontsize=9)
    written["line"] = save_png(fig, docs / "fig1c.png", dpi=110)

    # 3. one example per region
    fig = Figure(figsize=(10, 5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True).ravel()
    for ax, (o, g) in zip(axes, EXAMPLES):
        r = cache.get(f"sim_N{cfg['N']}_g{g}_o{o}_s0")
        if r is None or "trace" not in r:
            continue
        tr = np.array(r["trace"])
        t = np.arange(len(tr)) * 5 * cfg["alpha"]
        ax.plot(t, tr[:, 1:], lw=0.7, color="0.6")
        ax.plot(t, tr[:, 0], lw=2, color="k", label="kappa")
        ax.set_title(f"m.n/N = {o}, g = {g}: {classify_sim(r)}", fontsize=9)
        ax.set_ylabel("x_i (grey), kappa")
    for ax in axes[2:]:
        ax.set_xlabel("time (tau)")
    axes[0].legend(fontsize=8)
    written["examples"] = save_png(fig, docs / "regimes.png", dpi=110)

    # 4. trained low-rank networks
    trained = [(t, cache[key(("train", t))]) for t in cfg["train"] if key(("train", t)) in cache]
    if trained:
        fig = Figure(figsize=(6, 3.6), layout="constrained")
        ax = fig.add_subplot()
        for (task, rank, seed, init), r in trained:
            ax.plot(r["eval_step"], r["val_acc"], label=f"{task}, rank {rank}, seed {seed}, {init}")
        ax.axhline(trained[0][1]["criterion"], color="0.5", ls=":", lw=0.8)
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("validation accuracy")
        ax.legend(fontsize=8)
        ax.set_title("Low-rank networks (W_rec = U V^T / N) trained with the task defaults", fontsize=9)
        written["train"] = save_png(fig, docs / "training.png", dpi=110)
    return written


def fmt(v, d=3):
    return "nan" if v is None or not np.isfinite(v) else f"{v:.{d}f}"


def numbers(cache, cfg) -> str:
    from purernn.analysis import meanfield as mf

    L = ["# Low-rank networks: measured numbers", "",
         "Written by `scripts/study_lowrank.py`; the page is [../lowrank.md](../lowrank.md).", ""]
    cpu = {}
    for k, v in cache.items():
        if not k.startswith("_"):
            part = k.split("_")[0]
            cpu[part] = cpu.get(part, 0.0) + v["cpu_s"]
    L += ["## Cost", "",
          f"CPU seconds (summed over the cached items): simulations {cpu.get('sim', 0):.0f}, theory "
          f"{cpu.get('theory', 0):.0f}, training {cpu.get('train', 0):.0f}. The runs that filled the cache, "
          f"on 2 worker processes and {os.cpu_count()} cores shared with other jobs:", ""]
    L += [f"- {r['utc']}: {r['items']} items in {r['wall_s']:.0f} s wall time, 1-minute load average "
          f"{r['load'][0]:.1f} at the start and {r['load'][1]:.1f} at the end" for r in cache.get("_runs", [])]
    L += [""]
    gc, gbb = cache.get("theory_onset_2.2", {}).get("g"), cache.get("theory_collapse_2.2", {}).get("g")
    L += ["## The paper's Fig. 1C (structure strength 2.2: M_m = 1.1, M_n = 2, sigma_m = sigma_n = 1)", "",
          "| | this theory | the paper (authors' code) |", "|---|---|---|",
          f"| g where the heterogeneous fixed points turn chaotic | {fmt(gc)} | {PAPER['g_chaos']} |",
          f"| g where the heterogeneous chaos collapses onto kappa = 0 | {fmt(gbb)} | {PAPER['g_collapse']} |", ""]
    L += ["## Boundaries", "", "Onset of chaos of the heterogeneous fixed points (`chaos_onset`):", "",
          "| m.n/N | " + " | ".join(str(o) for o in cfg["onset_overlaps"]) + " |",
          "|---" * (len(cfg["onset_overlaps"]) + 1) + "|",
          "| g | " + " | ".join(fmt(cache.get(f"theory_onset_{o}", {}).get("g")) for o in cfg["onset_overlaps"]) + " |",
          "", "Instability along m of the homogeneous chaos (`chaotic_bifurcation`) and its Delta_0 (SCS):", "",
          "| g | " + " | ".join(str(g) for g in cfg["bif_gs"]) + " |", "|---" * (len(cfg["bif_gs"]) + 1) + "|",
          "| m.n/N | " + " | ".join(fmt(cache.get(f"theory_bif_{g}", {}).get("overlap")) for g in cfg["bif_gs"]) + " |",
          "| Delta_0 | " + " | ".join(fmt(cache.get(f"theory_bif_{g}", {}).get("delta0")) for g in cfg["bif_gs"]) + " |",
          ""]
    L += [f"## Simulated grid (N = {cfg['N']}, {cfg['seeds']} realizations, {cfg['n_steps'] - cfg['n_discard']} "
          f"steps of dt = {cfg['alpha']} tau measured after {cfg['n_discard']})", "",
          "| m.n/N | g | theory | simulated (each realization) | mean kappa | temporal variance |",
          "|---|---|---|---|---|---|"]
    agree = total = 0
    for o in cfg["overlaps"]:
        for g in cfg["gs"]:
            runs = _sim(cache, cfg["N"], g, o, cfg["seeds"])
            th = cache.get(f"theory_point_o{o}_g{g}", {}).get("phase", "?")
            labs = [classify_sim(r) for r in runs]
            agree += sum(lab == th for lab in labs)
            total += len(labs)
            kap = ", ".join(fmt(r["kappa_mean"], 2) for r in runs)
            temp = ", ".join(f"{r['temporal']:.2g}" for r in runs)
            L.append(f"| {o} | {g} | {th} | {'; '.join(labs)} | {kap} | {temp} |")
    L += ["", f"Agreement of the simulated regime with the theory's: {agree} of {total} runs.", ""]
    L += [f"## Along the paper's line (m.n/N = 2.2; N = {cfg['line_N']}, {cfg['line_seeds']} realizations)", "",
          "| g | theory: regime | kappa | Delta_0 | temporal | simulated: abs(mean kappa) | Delta_0 | temporal |",
          "|---|---|---|---|---|---|---|---|"]
    for g in cfg["line_gs"]:
        st = mf.RankOneStats(g=g).with_overlap(PAPER["overlap"])
        ph = mf.phase(st)
        if ph.endswith("stationary"):
            s = max(mf.stationary_solutions(st), key=lambda s: s.kappa)
            k, d0, q = s.kappa, s.delta0, 0.0
        else:
            sols = cache.get(f"theory_chaotic_{g}", {}).get("sols")
            if sols is None:
                sols = [s.__dict__ for s in mf.chaotic_solutions(st)]
            s = max(sols, key=lambda s: s["kappa"]) if ph.startswith("het") else min(sols, key=lambda s: abs(s["kappa"]))
            k, d0, q = s["kappa"], s["delta0"], s["delta0"] - s["delta_inf"]
        runs = _sim(cache, cfg["line_N"], g, PAPER["overlap"], cfg["line_seeds"])
        L.append(f"| {g} | {ph} | {fmt(k)} | {fmt(d0)} | {fmt(q)} | "
                 f"{', '.join(fmt(abs(r['kappa_mean'])) for r in runs)} | {', '.join(fmt(r['delta0']) for r in runs)} | "
                 f"{', '.join(fmt(r['temporal']) for r in runs)} |")
    st = mf.RankOneStats(g=cfg["size_g"]).with_overlap(PAPER["overlap"])
    sols = cache.get(f"theory_chaotic_{cfg['size_g']}", {}).get("sols") or []
    het = [s for s in sols if s["kappa"] > 1e-7]
    L += ["", f"## Finite size at m.n/N = 2.2, g = {cfg['size_g']} ({mf.phase(st)}; "
          f"{3 * cfg['n_steps'] - cfg['n_steps']} steps measured after {cfg['n_steps']})", "",
          "| N | realization | abs(mean kappa) | sd of kappa(t) | Delta_0 | temporal | Delta_inf |", "|---|---|---|---|---|---|---|"]
    if het:
        h = het[0]
        L.append(f"| theory | | {fmt(h['kappa'])} | 0 | {fmt(h['delta0'])} | {fmt(h['delta0'] - h['delta_inf'])} | "
                 f"{fmt(h['delta_inf'])} |")
    for N in cfg["size_Ns"]:
        for s in range(cfg["size_seeds"]):
            r = cache.get(f"sim_N{N}_g{cfg['size_g']}_o{PAPER['overlap']}_s{100 + s}")
            if r is not None:
                L.append(f"| {N} | {100 + s} | {fmt(abs(r['kappa_mean']))} | {fmt(r['kappa_sd'])} | {fmt(r['delta0'])} | "
                         f"{fmt(r['temporal'])} | {fmt(r['delta_inf'])} |")
    trained = [(t, cache[key(("train", t))]) for t in cfg["train"] if key(("train", t)) in cache]
    if trained:
        L += ["", "## Trained low-rank networks (task defaults: `default_network(task, rank=r)`, "
              "`default_train_config`)", "",
              "| task | rank | seed | init | n_rec | alpha | steps | stop | val. accuracy | accuracy on 500 fresh "
              "trials (95% CI) | eigenvalues of n.m/N: initial, trained | cos(n, inputs) | cos(m, readout) | CPU s |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

        def eigs(v):
            return ", ".join(f"{a:.2f}{b:+.2f}i" if abs(b) > 1e-9 else f"{a:.2f}" for a, b in v)

        for (task, rank, seed, init), r in trained:
            ov = r["overlaps"]
            eig = f"{eigs(r['eig0'])}; {eigs(r['eig'])}"
            L.append(f"| {task} | {rank} | {seed} | {init} | {r['n_rec']} | {r['alpha']} | {r['n_steps']} | "
                     f"{r['stop_reason']} | {fmt(r['val_accuracy'])} | {fmt(r['accuracy'])} "
                     f"({fmt(r['ci'][0])}-{fmt(r['ci'][1])}) | {eig} | "
                     f"{np.round(np.array(ov['cos_n_in']), 2).tolist()} | {np.round(np.array(ov['cos_m_out']), 2).tolist()} | "
                     f"{r['cpu_s']:.0f} |")
    return "\n".join(L) + "\n"


def main(argv=None) -> int:
    args, stem, docs, cache_path, cache = cached_study(
        __doc__, "lowrank", "coarse grids, N = 500, no training (about 2 min)", argv,
        lambda ap: ap.add_argument("--only", choices=("sim", "theory", "train"), default=None,
                                   help="run only this part (default: all)"))
    cfg = QUICK if args.quick else FULL
    load0 = os.getloadavg()[0]
    todo = [it for it in work_items(cfg) if key(it) not in cache and args.only in (None, it[0])]
    # the longest first: training, the chaotic theory, the large simulations
    order = {"train": 0, "theory": 1, "sim": 2}
    todo.sort(key=lambda it: (order[it[0]] if not (it[0] == "theory" and it[1][0] == "chaotic") else 0.5,
                              -(it[1]["N"] if it[0] == "sim" else 0)))
    wall = 0.0
    if not args.no_run and todo:
        print(f"{stem}: {len(todo)} items to run on {args.workers} workers", flush=True)
        wall = run_all(todo, args.workers, cache_path, cache)
        cache.setdefault("_runs", []).append(dict(utc=utc_now(), items=len(todo), wall_s=wall,
                                                  load=[load0, os.getloadavg()[0]]))
        cache_path.write_text(json.dumps(cache))
    figures(cache, cfg, docs)
    return finish_numbers(docs, numbers(cache, cfg), [key(it) for it in work_items(cfg) if key(it) not in cache],
                          "items")


if __name__ == "__main__":
    raise SystemExit(main())
