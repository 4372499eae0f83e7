"""The figures of the verification report, each computed by the toolkit's numerical solvers.

* ``bifurcation_theta.png``: the canonical model's equilibria against observability theta
  (continuation; stable solid, unstable dashed, transcritical points labelled);
* ``stability_map.png``: the (theta, gamma) map of stable states with the analytic boundaries;
* ``hysteresis.png``: the hysteresis loop, simulated quasi-statically up and down in theta;
* ``cusp.png``: the fold curves of the model with diversity in (theta, mu) meeting at a cusp;
* ``drift.png``: alignment falling along a trajectory in the entrenched basin;
* ``depth.png``: alignment against recursion depth, Monte Carlo against cos(phi)^L;
* ``audit_cycle.png``: the oscillating variant (lagged audits): the cycles born at the Hopf
  point in the phase plane, and their amplitude and period against the audit speed rho.

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

import numpy as np

__all__ = [
    "FIGURES",
    "audit_cycle",
    "bifurcation_theta",
    "cusp",
    "depth",
    "drift",
    "hysteresis",
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
    from incentive_geometry.solvers.numeric.plots import plot_bifurcation_diagram
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
    plot_bifurcation_diagram(
        branches, path=path, title="canonical model: equilibria against observability theta"
    )
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
    from incentive_geometry.solvers.numeric.sweep import sweep
    from incentive_geometry.theory import entrenchment

    sm = sweep(
        entrenchment(),
        {"theta": np.linspace(0, 0.99, 151), "gamma": np.linspace(0, 2, 151)},
        labels={"aligned": {"x": 0}, "entrenched": {"x": 1}},
        executor="serial",
    )
    sm.plot(path)
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
    from incentive_geometry.solvers.numeric.plots import plot_time_series
    from incentive_geometry.solvers.numeric.simulate import simulate
    from incentive_geometry.theory import entrenchment

    tr = simulate(entrenchment(), x0={"x": 0.4}, t=(0, 40), params={"theta": 0.3})
    plot_time_series(
        tr,
        names=["alignment"],
        path=path,
        title="drift: alignment with the designer falls in the entrenched basin (theta = 0.3, x0 = 0.4)",
    )
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
    from incentive_geometry.solvers.numeric.plots import figure_and_axes, save_figure
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
    fig.set_size_inches(12, 4.2)
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
    ax_phase.legend(fontsize=7)
    for ax, values, label in (
        (ax_amp, np.array([cy.orbit(i).amplitudes[0] for i in range(len(cy))]), "amplitude of x"),
        (ax_per, cy.period, "period"),
    ):
        stable = cy.stable
        ax.plot(cy.p[stable], values[stable], "-", color="C0", label="stable cycle")
        if (~stable).any():
            ax.plot(cy.p[~stable], values[~stable], "--", color="C3", label="unstable cycle")
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


#: Figure name -> function drawing it to a path.
FIGURES: dict[str, Callable[[Path], Path]] = {
    "bifurcation_theta": bifurcation_theta,
    "stability_map": stability_map,
    "hysteresis": hysteresis,
    "cusp": cusp,
    "drift": drift,
    "depth": depth,
    "audit_cycle": audit_cycle,
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
