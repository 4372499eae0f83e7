"""The figures of the verification report, each computed by the toolkit's numerical solvers.

* ``bifurcation_theta.png``: the canonical model's equilibria against observability theta
  (continuation; stable solid, unstable dashed, transcritical points labelled);
* ``stability_map.png``: the (theta, gamma) map of stable states with the analytic boundaries;
* ``hysteresis.png``: the hysteresis loop, simulated quasi-statically up and down in theta;
* ``cusp.png``: the fold curves of the model with diversity in (theta, mu) meeting at a cusp;
* ``drift.png``: alignment falling along a trajectory in the entrenched basin;
* ``depth.png``: alignment against recursion depth, Monte Carlo against cos(phi)^L;
* ``audit_cycle.png``: the oscillating variant (lagged audits): the cycles born at the Hopf
  point in the phase plane, and their amplitude and period against the audit speed rho;
* ``learner_trajectories.png``: Cross learners' shares from four starts over the mean field's
  solution (issue 13);
* ``learner_threshold.png``: the learners' threshold in theta at each step eta against the mean
  field's and its first-order finite-step shift (the C1 learner claims);
* ``learner_escape.png``: mean escape time from entrenchment against 1/eta (log scale), beside
  Kramers' estimate of the derived diffusion;
* ``learner_hysteresis.png``: the learners' hysteresis loop beside the mean field's (C5).

Examples
--------
>>> from incentive_geometry.proofs.figures import FIGURES
>>> sorted(FIGURES)[:3]
['audit_cycle', 'bifurcation_theta', 'cusp']
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FIGURES",
    "audit_cycle",
    "bifurcation_theta",
    "cusp",
    "depth",
    "drift",
    "hysteresis",
    "learner_escape",
    "learner_hysteresis",
    "learner_threshold",
    "learner_trajectories",
    "make_figures",
    "stability_map",
]


def bifurcation_theta(path: Path) -> Path:
    """Equilibria of the canonical model against theta, by continuation.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import bifurcation_theta
    >>> bifurcation_theta(pathlib.Path(tempfile.mkdtemp()) / "b.png").stat().st_size > 0
    True
    """
    from incentive_geometry.solvers.numeric.continuation import continuation
    from incentive_geometry.solvers.numeric.plots import plot_bifurcation_diagram, save_figure
    from incentive_geometry.theory import entrenchment

    m = entrenchment()
    branches = []
    for x0, theta0 in ((0.0, 0.5), (1.0, 0.3), (0.5, 0.3)):
        branches.append(
            continuation(
                m,
                "theta",
                x0={"x": x0},
                params={"theta": theta0},
                p_range=(0.0, 0.95),
                bounds={"x": (-0.05, 1.05)},
            )
        )
    fig = plot_bifurcation_diagram(
        branches, title="canonical model: equilibria against observability theta"
    )
    # The branches are followed a little past the state space (x in [0, 1]) to cross the
    # transcritical points; what lies outside is shaded, not read as an equilibrium.
    ax = fig.axes[0]
    ax.set_ylim(-0.08, 1.08)
    ax.axhspan(-0.08, 0.0, color="0.88", zorder=0)
    ax.axhspan(1.0, 1.08, color="0.88", zorder=0, label="outside the state space")
    ax.legend(loc="center right", fontsize=8)
    ax.set_ylabel("x (share of the proxy-capturing routine)")
    ax.set_xlabel("theta (observability)")
    save_figure(fig, path)
    return path


def stability_map(path: Path) -> Path:
    """The (theta, gamma) map of stable states with the analytic boundaries on top.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import stability_map
    >>> stability_map(pathlib.Path(tempfile.mkdtemp()) / "m.png").stat().st_size > 0
    True
    """
    from incentive_geometry.solvers.numeric.plots import plot_stability_map
    from incentive_geometry.solvers.numeric.sweep import sweep
    from incentive_geometry.theory import entrenchment

    sm = sweep(
        entrenchment(),
        {"theta": np.linspace(0, 0.99, 151), "gamma": np.linspace(0, 2, 151)},
        labels={"aligned": {"x": 0}, "entrenched": {"x": 1}},
        executor="serial",
    )
    plot_stability_map(sm, path)
    return path


def hysteresis(path: Path) -> Path:
    """Quasi-static simulation up and down in theta: the hysteresis loop.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import hysteresis
    >>> hysteresis(pathlib.Path(tempfile.mkdtemp()) / "h.png").stat().st_size > 0
    True
    """
    from incentive_geometry.solvers.numeric.simulate import simulate
    from incentive_geometry.theory import entrenchment

    m = entrenchment()
    thetas = np.linspace(0.0, 0.9, 91)
    runs = {}
    for label, order, start in (
        ("raising theta (from entrenched)", thetas, 0.999),
        ("lowering theta (from aligned)", thetas[::-1], 0.001),
    ):
        x, finals = start, []
        for th in order:
            # Each step starts where the last ended, nudged off the invariant ends x = 0, 1.
            tr = simulate(
                m,
                x0={"x": min(max(x, 1e-3), 1 - 1e-3)},
                t=(0, 300),
                params={"theta": th},
                n_points=3,
            )
            x = float(tr.x[-1, 0])
            finals.append(x)
        runs[label] = (order, np.array(finals))
    from incentive_geometry.solvers.numeric.plots import figure_and_axes, save_figure

    fig, ax = figure_and_axes(None)
    fig.set_size_inches(7, 4.5)
    for (label, (order, curve)), style in zip(runs.items(), ("-o", "-s"), strict=True):
        ax.plot(order, curve, style, ms=3, label=label)
    alpha, b, gamma, c = 1.0, 0.2, 1.0, 1.0
    prevent = alpha * b / (alpha * b + c)
    undo = alpha * (b + gamma) / (alpha * (b + gamma) + c)
    ax.axvline(
        prevent, color="grey", ls=":", label=f"prevent: alpha b/(alpha b + c) = {prevent:.3f}"
    )
    ax.axvline(undo, color="black", ls="--", label=f"undo: theta* = {undo:.3f}")
    ax.set_xlabel("theta (observability)")
    ax.set_ylabel("x (share of the proxy-capturing routine)")
    ax.set_title(
        "hysteresis: undoing entrenchment needs more observability than preventing it", fontsize=10
    )
    ax.legend(fontsize=8)
    save_figure(fig, path)
    return path


def cusp(path: Path) -> Path:
    """Fold curves of the model with diversity in (theta, mu), meeting at a cusp.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import cusp
    >>> cusp(pathlib.Path(tempfile.mkdtemp()) / "c.png").stat().st_size > 0
    True
    """
    from incentive_geometry.solvers.numeric.codim2 import bifurcation_curve
    from incentive_geometry.solvers.numeric.continuation import continuation
    from incentive_geometry.solvers.numeric.plots import plot_bifurcation_curves
    from incentive_geometry.theory import entrenchment

    m = entrenchment(diversity=True)
    br = continuation(
        m, "theta", x0={"x": 0.1}, params={"theta": 0.3, "mu": 0.02}, p_range=(0.0, 0.99)
    )
    folds = sorted(br.of_kind("fold"), key=lambda f: f.p)
    curves = [
        bifurcation_curve(
            m,
            fold,
            "mu",
            p_range={"theta": (0, 0.99), "mu": (0, 0.5)},
            bounds={"x": (0, 1)},
            ds_max=0.01,
        )
        for fold in folds
    ]
    plot_bifurcation_curves(
        curves, path=path, title="diversity mu: the bistable window closes at a cusp"
    )
    return path


def drift(path: Path) -> Path:
    """Alignment (1 - x) along a trajectory starting in the entrenched basin.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import drift
    >>> drift(pathlib.Path(tempfile.mkdtemp()) / "d.png").stat().st_size > 0
    True
    """
    from incentive_geometry.solvers.numeric.plots import plot_time_series, save_figure
    from incentive_geometry.solvers.numeric.simulate import simulate
    from incentive_geometry.theory import entrenchment

    tr = simulate(entrenchment(), x0={"x": 0.4}, t=(0, 40), params={"theta": 0.3})
    fig = plot_time_series(
        tr,
        names=["alignment"],
        title="drift: alignment with the designer falls in the entrenched basin (theta = 0.3, x0 = 0.4)",
    )
    fig.axes[0].set_ylabel("alignment 1 - x")
    fig.axes[0].set_xlabel("time t")
    save_figure(fig, path)
    return path


def depth(path: Path) -> Path:
    """Mean alignment after L nested levels against cos(phi)^L.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import depth
    >>> depth(pathlib.Path(tempfile.mkdtemp()) / "a.png").stat().st_size > 0
    True
    """
    from incentive_geometry.solvers.numeric.plots import figure_and_axes, save_figure
    from incentive_geometry.theory import nested_alignment_sample

    fig, ax = figure_and_axes(None)
    fig.set_size_inches(7, 4.5)
    levels = np.arange(1, 13)
    rng = np.random.default_rng(0)
    for phi in (0.2, 0.4, 0.7):
        draws = nested_alignment_sample(int(levels[-1]), phi=phi, dim=200, samples=300, rng=rng)
        mean = draws.mean(axis=0)
        err = 1.96 * draws.std(axis=0) / np.sqrt(draws.shape[0])
        ax.errorbar(levels, mean, yerr=err, fmt="o", ms=4, label=f"Monte Carlo, phi = {phi}")
        ax.plot(levels, np.cos(phi) ** levels, "k-", lw=1)
    ax.plot([], [], "k-", lw=1, label="cos(phi)^L")
    ax.set_xlabel("recursion depth L")
    ax.set_ylabel("alignment with the designer's objective")
    ax.set_title("alignment decays geometrically with recursion depth", fontsize=10)
    ax.legend(fontsize=8)
    save_figure(fig, path)
    return path


def audit_cycle(path: Path) -> Path:
    """The audit cycle of :func:`~incentive_geometry.theory.entrenchment_oscillating`.

    Continuation in the audit speed ``rho`` locates the Hopf point of the interior equilibrium;
    :func:`~incentive_geometry.solvers.numeric.cycles.cycles` follows the cycles born there.
    Left: some of them in the ``(x, theta)`` plane with the equilibrium; middle and right: the
    amplitude of ``x`` and the period against ``rho`` (stable solid), with the analytic Hopf
    point ``rho_H`` marked.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import audit_cycle
    >>> audit_cycle(pathlib.Path(tempfile.mkdtemp()) / "a.png").stat().st_size > 0
    True
    """
    from incentive_geometry.proofs.catalogue.oscillation import hopf_rho
    from incentive_geometry.solvers.numeric.continuation import continuation
    from incentive_geometry.solvers.numeric.cycles import cycles
    from incentive_geometry.solvers.numeric.plots import (
        draw_by_stability,
        figure_and_axes,
        save_figure,
    )
    from incentive_geometry.theory import entrenchment_oscillating

    m = entrenchment_oscillating()
    defaults = {k: float(v) for k, v in m.defaults.items() if v is not None}
    xs_expr, rh_expr, _ = hopf_rho()
    subs = {sym: defaults[sym.name] for sym in rh_expr.free_symbols}
    rho_h, xs = float(rh_expr.subs(subs)), float(xs_expr.subs(subs))
    kappa = defaults["kappa"]
    br = continuation(
        m,
        "rho",
        x0={"x": xs, "theta": kappa * xs},
        params={"rho": 1.2 * rho_h},
        p_range=(0.8 * rho_h, 1.3 * rho_h),
    )
    hopf = br.of_kind("hopf")[0]
    # 40 steps reach rho ~ 0.09 (the verification report's time budget: a few seconds).
    cy = cycles(
        m, "rho", start=hopf, p_range=(0.05, rho_h + 0.01), max_steps=40, ds_max=1.0, intervals=30
    )
    fig, ax0 = figure_and_axes(None)
    fig.delaxes(ax0)
    fig.set_size_inches(13, 4.2)
    ax_phase, ax_amp, ax_per = fig.subplots(1, 3)
    picks = sorted({int(i) for i in np.linspace(0, len(cy) - 1, 6).round()})
    colors = [f"C{k}" for k in range(len(picks))]
    for i, color in zip(picks, colors, strict=True):
        orbit = cy.orbit(i)
        ax_phase.plot(orbit["x"], orbit["theta"], color=color, lw=1.2, label=f"rho = {orbit.p:.3f}")
    ax_phase.plot([xs], [kappa * xs], "k+", ms=9, label="interior equilibrium")
    ax_phase.set_xlabel("x (share of the proxy-capturing routine)")
    ax_phase.set_ylabel("theta (audit intensity)")
    ax_phase.set_title("cycles born at the Hopf point", fontsize=10)
    # Outside the data, to the right of the panel: inside, it covered the outer orbits.
    ax_phase.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    for ax, values, label in (
        (ax_amp, np.array([cy.orbit(i).amplitudes[0] for i in range(len(cy))]), "amplitude of x"),
        (ax_per, cy.period, "period"),
    ):
        # By runs of stability: masking p[stable] would join stable runs across unstable ones.
        draw_by_stability(ax, cy.p, [values], cy.stable, cy.neutral)
        ax.plot([], [], "-", color="C0", label="stable cycle")
        if (~cy.stable).any():
            ax.plot([], [], "--", color="C3", label="unstable cycle")
        ax.axvline(rho_h, color="black", ls=":", label=f"rho_H = {rho_h:.4f} (analytic)")
        ax.set_xlabel("rho (audit speed; 1/rho is the audit lag)")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
    ax_amp.set_title("amplitude grows as sqrt(rho_H - rho)", fontsize=10)
    ax_per.set_title("slower audits, longer cycles", fontsize=10)
    fig.suptitle(
        "lagged audits (kappa = 0.9): entrenchment and audits cycle below the Hopf point",
        fontsize=11,
    )
    save_figure(fig, path)
    return path


# -- learners (issue 13): ensembles against the mean field ------------------------------------


def learner_trajectories(path: Path) -> Path:
    """Cross learners' shares x(t) from four starts over the mean field's solution (1-D: the
    phase portrait is the time course), in the bistable window.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import learner_trajectories
    >>> learner_trajectories(pathlib.Path(tempfile.mkdtemp()) / "t.png").stat().st_size > 0
    True
    """
    from incentive_geometry.solvers.numeric.plots import figure_and_axes, save_figure
    from incentive_geometry.solvers.numeric.simulate import simulate
    from incentive_geometry.solvers.numeric.train import train
    from incentive_geometry.theory import entrenchment, learners

    theta, eta, horizon, per_start = 0.4, 0.05, 40.0, 30
    steps = round(horizon / eta)
    x_star = (theta / (1 - theta) - 0.2) / 1.0  # (theta c / (alpha (1 - theta)) - b) / gamma
    starts = (0.15, 0.4, 0.55, 0.9)
    # One ensemble: per_start learners from each start, trained together.
    learner: Any = learners.cross_learning(eta=eta)  # Any: see proofs/catalogue/learners.py
    run = train(
        learner,
        per_start * len(starts),
        steps,
        params={"theta": theta},
        x0={"x": np.repeat(starts, per_start)},
        seed=1,
        save_every=4,
    )
    t = run.t * eta
    fig, ax = figure_and_axes(None)
    fig.set_size_inches(10.5, 4.8)
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:red")
    for i, (x0, colour) in enumerate(zip(starts, colours, strict=True)):
        for path_x in run.x[i * per_start : (i + 1) * per_start, :, 0]:
            ax.plot(t, path_x, color=colour, lw=0.5, alpha=0.35)
        tr = simulate(entrenchment(), x0={"x": x0}, t=(0, horizon), params={"theta": theta})
        ax.plot(tr.t, tr.x[:, 0], color="black", lw=1.6)
    ax.axhline(x_star, color="grey", ls="--", lw=1, label=f"unstable x* = {x_star:.3f}")
    ax.plot(
        [], [], color="grey", lw=0.5, label=f"{per_start} Cross learners per start (eta = {eta})"
    )
    ax.plot([], [], color="black", lw=1.6, label="mean field (canonical model)")
    ax.set_xlabel("mean-field time eta * steps")
    ax.set_ylabel("x (share of the proxy-capturing routine)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(
        f"learners follow their mean field: theta = {theta} (bistable), starts either side of x*",
        fontsize=10,
    )
    # Beside the axes: inside, it covered the learners' paths on their way to 0 and 1.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    save_figure(fig, path)
    return path


def learner_threshold(path: Path) -> Path:
    """The learners' threshold in theta at each step eta, against the mean field's theta_tip
    and its first-order finite-step prediction, with 95% intervals.

    Mean criterion (the C1 learner claims): the theta where the learners' mean share after
    T = 5 returns to x0 = 0.9, from the claims' runs at theta_tip by linear response (the
    derived dm(T)/dtheta); median criterion: the same for the median share (no first-order
    prediction drawn for it: the skewness of the learners' distribution moves it the other way).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import learner_threshold
    >>> learner_threshold(pathlib.Path(tempfile.mkdtemp()) / "th.png").stat().st_size > 0
    True
    """
    from incentive_geometry.proofs.catalogue import learners as lc
    from incentive_geometry.solvers.numeric.plots import figure_and_axes, save_figure

    x0 = 0.9
    tip = lc.threshold_at(x0)
    theta_star = lc.threshold_at(1.0)
    k = lc.local_coefficients({**lc.CANONICAL, "theta": tip, "x0": x0})
    growth = float(np.expm1(k["lam"] * lc.HORIZON))
    # First order: m(T) - x0 = eta * shift_per_eta; dm(T)/dtheta = f_theta growth / lam (linear
    # response), so the mean criterion's threshold moves by -(m - x0) / (dm/dtheta).
    shift_per_eta = k["kappa"] * k["D0"] * growth**2 / (4 * k["lam"] ** 2)
    per_mean = -k["lam"] / (k["f_theta"] * growth)

    etas = (0.08, *lc.ETAS)
    mean_est, mean_err, med = [], [], []
    for eta in etas:
        # The same call as the claims' observation, so verify reuses their cached runs.
        draws = lc.share_run(eta, x0, tip, tuple(lc.CANONICAL.items()), horizon=lc.HORIZON, seed=0)
        se = float(draws.std(ddof=1) / np.sqrt(len(draws)))
        mean_est.append(tip + per_mean * (float(draws.mean()) - x0))
        mean_err.append(1.96 * abs(per_mean) * se)
        med.append(tip + per_mean * (float(np.median(draws)) - x0))
    fig, ax = figure_and_axes(None)
    fig.set_size_inches(7.5, 4.8)
    grid = np.linspace(0.0, max(etas) * 1.05, 50)
    ax.plot(
        grid,
        tip + per_mean * shift_per_eta * grid,
        "k-",
        lw=1.2,
        label="mean field + first-order finite-step shift (mean criterion)",
    )
    ax.errorbar(
        etas,
        mean_est,
        yerr=mean_err,
        fmt="o",
        ms=5,
        capsize=3,
        label="learners, mean criterion (10,000; 95%)",
    )
    ax.plot(etas, med, "s", ms=4, label="learners, median criterion (same runs, linear response)")
    ax.axhline(
        tip, color="grey", ls="--", lw=1, label=f"mean field from x0 = {x0}: theta_tip = {tip:.4f}"
    )
    ax.axhline(
        theta_star,
        color="grey",
        ls=":",
        lw=1,
        label=f"mean field from x0 -> 1: theta* = {theta_star:.4f}",
    )
    ax.set_xlabel("learner step eta")
    ax.set_ylabel("threshold observability theta")
    ax.set_title(
        "C1 on learners: the measured threshold approaches the mean field's as eta -> 0",
        fontsize=10,
    )
    ax.legend(fontsize=7.5, loc="upper left")
    save_figure(fig, path)
    return path


def learner_escape(path: Path) -> Path:
    """Mean escape time of Cross learners with diversity from entrenchment, against 1/eta (log
    scale), beside Kramers' estimate of their derived diffusion.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import learner_escape
    >>> learner_escape(pathlib.Path(tempfile.mkdtemp()) / "e.png").stat().st_size > 0
    True
    """
    from scipy.optimize import brentq
    from scipy.stats import chi2

    from incentive_geometry.solvers.numeric.plots import figure_and_axes, save_figure
    from incentive_geometry.solvers.numeric.train import escape_times, train
    from incentive_geometry.solvers.symbolic.mean_field import escape_estimate
    from incentive_geometry.theory import learners

    theta, mu = 0.42, 0.03
    a, b, g, c = 1.0, 0.2, 1.0, 1.0

    def drift(x: float) -> float:  # the mean field of Cross learning with diversity
        return x * (1 - x) * (a * (1 - theta) * (b + g * x) - theta * c) + mu * (0.5 - x)

    saddle = brentq(drift, 0.3, 0.8)
    stable = brentq(drift, 0.85, 0.999)
    probe: Any = learners.cross_learning(diversity=True, mu=mu)
    est = escape_estimate(probe, stable=stable, saddle=saddle, params={"theta": theta, "mu": mu})
    etas = (0.15, 0.125, 0.1)
    per_eta = 200
    steps = round(2 * est.steps(min(etas)))
    # One ensemble, one step size per block of learners (a parameter may vary per learner).
    run = train(
        probe,
        per_eta * len(etas),
        steps,
        params={"theta": theta, "eta": np.repeat(etas, per_eta)},
        x0={"x": stable},
        seed=0,
        save_every=max(1, steps // 2000),
    )
    times = escape_times(run, threshold=0.2)
    means, lo, hi = [], [], []
    for i in range(len(etas)):
        block = times[i * per_eta : (i + 1) * per_eta]
        done = block[np.isfinite(block)]
        # Exponential law with right-censoring at `steps`: total time over escapes, with the
        # exact chi-square interval of the mean (2 k mean_hat / mean ~ chi2(2 k)).
        total = float(done.sum() + (len(block) - len(done)) * steps)
        k = max(len(done), 1)
        means.append(total / k)
        lo.append(total / k - 2 * total / chi2.ppf(0.975, 2 * k))
        hi.append(2 * total / chi2.ppf(0.025, 2 * k) - total / k)
    fig, ax = figure_and_axes(None)
    fig.set_size_inches(7.5, 4.8)
    inv = np.linspace(1 / max(etas) * 0.95, 1 / min(etas) * 1.05, 50)
    ax.semilogy(
        inv,
        [est.steps(1 / v) for v in inv],
        "k-",
        lw=1.2,
        label=f"Kramers (derived diffusion), barrier {est.barrier:.3f}",
    )
    ax.errorbar(
        1 / np.array(etas),
        means,
        yerr=[lo, hi],
        fmt="o",
        ms=5,
        capsize=3,
        label=f"{per_eta} learners per eta: mean escape (censored, 95%)",
    )
    # Plain step counts on the log axis (1000, 2000, ...), not 10^3 and 2 x 10^3.
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda v, _: f"{v:,.0f}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel("1 / eta")
    ax.set_ylabel("mean steps to escape entrenchment (x < 0.2)")
    ax.set_title(
        f"escape from entrenchment grows as exp(barrier / eta) (theta = {theta}, mu = {mu})",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    save_figure(fig, path)
    return path


def learner_hysteresis(path: Path) -> Path:
    """The learners' hysteresis loop (slow sweep of theta up and down) beside the mean field's
    on the same schedule (claim C5 on learners).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.figures import learner_hysteresis
    >>> learner_hysteresis(pathlib.Path(tempfile.mkdtemp()) / "lh.png").stat().st_size > 0
    True
    """
    from incentive_geometry.proofs.catalogue import learners as lc
    from incentive_geometry.solvers.numeric.plots import figure_and_axes, save_figure

    h, ode = lc.hysteresis_run(0), lc.ode_hysteresis()  # the claim's cached sweep
    cfg = lc.SWEEP
    fig, ax = figure_and_axes(None)
    fig.set_size_inches(10.5, 4.8)
    ax.plot(h.values, h.up, "o-", color="tab:red", ms=4, label="learners, theta raised (mean x)")
    ax.plot(h.values, h.down, "s-", color="tab:blue", ms=4, label="learners, theta lowered")
    ax.plot(ode.values, ode.up, "--", color="darkred", lw=1.2, label="mean field, raised")
    ax.plot(ode.values, ode.down, "--", color="navy", lw=1.2, label="mean field, lowered")
    undo, prevent = lc.hysteresis_edges(h)
    ax.axvline(
        undo, color="tab:red", ls=":", lw=1, label=f"learners leave entrenchment: {undo:.3f}"
    )
    ax.axvline(prevent, color="tab:blue", ls=":", lw=1, label=f"learners entrench: {prevent:.3f}")
    lo, hi = _bistable_window(float(cfg["mu"]))
    ax.axvspan(
        lo,
        hi,
        color="0.9",
        zorder=0,
        label=f"mean field bistable (quasi-static): {lo:.3f}-{hi:.3f}",
    )
    ax.set_xlabel("theta (observability), swept slowly")
    ax.set_ylabel("x (share of the proxy-capturing routine)")
    ax.set_title(
        f"C5 on learners: {cfg['n']} Cross learners (eta = {cfg['eta']}, mu = {cfg['mu']}, "
        f"{cfg['steps_per_value']} steps per value)\nleave entrenchment at theta ~ {undo:.3f} "
        f"and entrench at theta ~ {prevent:.3f}: undoing needs more than preventing",
        fontsize=9,
    )
    # Beside the axes: inside the loop it covered the window and the raised branch's jump.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    save_figure(fig, path)
    return path


def _bistable_window(mu: float, *, points: int = 801) -> tuple[float, float]:
    """The theta interval where the canonical model with diversity `mu` has three equilibria
    (two stable, one saddle) at its defaults: the quasi-static hysteresis window.

    Counts the sign changes of ``f(x) = x (1 - x) G(x) + mu (1/2 - x)`` on a grid of x, for a
    grid of theta (both ends of the window are folds, where two roots meet).
    """
    a, b, g, c = 1.0, 0.2, 1.0, 1.0
    thetas = np.linspace(0.0, 0.99, points)[:, None]
    xs = np.linspace(0.0, 1.0, 2001)[None, :]
    f = xs * (1 - xs) * (a * (1 - thetas) * (b + g * xs) - thetas * c) + mu * (0.5 - xs)
    roots = np.sum(np.sign(f[:, 1:]) != np.sign(f[:, :-1]), axis=1)
    three = thetas[roots >= 3, 0]
    return (float(three.min()), float(three.max())) if three.size else (np.nan, np.nan)


#: Figure name -> function drawing it to a path.
FIGURES: dict[str, Callable[[Path], Path]] = {
    "bifurcation_theta": bifurcation_theta,
    "stability_map": stability_map,
    "hysteresis": hysteresis,
    "cusp": cusp,
    "drift": drift,
    "depth": depth,
    "audit_cycle": audit_cycle,
    "learner_trajectories": learner_trajectories,
    "learner_threshold": learner_threshold,
    "learner_escape": learner_escape,
    "learner_hysteresis": learner_hysteresis,
}


def make_figures(folder: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """Draw every figure into `folder`; return the paths and, for any that failed, why.

    Examples
    --------
    >>> from incentive_geometry.proofs.figures import make_figures
    >>> callable(make_figures)
    True
    """
    folder.mkdir(parents=True, exist_ok=True)
    done: dict[str, Path] = {}
    failed: dict[str, str] = {}
    for name, draw in FIGURES.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                done[name] = draw(folder / f"{name}.png")
        except Exception as err:  # a figure that cannot be drawn is reported, the rest go on
            failed[name] = f"{type(err).__name__}: {err}"
    return done, failed
