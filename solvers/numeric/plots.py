"""Plots: bifurcation diagrams, two-parameter diagrams, phase portraits and time series.

Each function draws on a new :class:`matplotlib.figure.Figure` (rendered by the Agg backend,
with no pyplot global state) or on a given ``ax``, returns the figure, and saves it when `path`
is given (``.png``, ``.svg`` or ``.pdf``).

Conventions: stable parts of a branch are solid, unstable parts dashed; bifurcation points are
marked and labelled (``LP`` fold, ``TC`` transcritical, ``PF`` pitchfork, ``BP`` branch point,
``H`` Hopf, ``PD`` flip / period doubling, ``NS`` Neimark-Sacker, ``CP`` cusp, ``BT``
Bogdanov-Takens; of cycles ``LPC`` cycle fold, ``PD`` period doubling, ``TR`` torus, ``HC``
homoclinic, as in AUTO and MatCont). Families of cycles are drawn by their extremes (the maximum
and minimum of a state over each orbit, the envelope of the oscillation), or by their period,
amplitude or norm against the parameter (:func:`plot_cycles`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

from .branch import Branch
from .codim2 import BifurcationCurve
from .compile import compile_model, resolve_params
from .cycles import CycleBranch
from .equilibria import find_equilibria
from .simulate import Trajectory, simulate

if TYPE_CHECKING:
    from .stability_map import StabilityMap

__all__ = [
    "LABELS",
    "draw_by_stability",
    "plot_bifurcation_curves",
    "plot_bifurcation_diagram",
    "plot_cycles",
    "plot_phase_portrait",
    "plot_stability_map",
    "plot_time_series",
]

#: Short labels of bifurcation kinds on diagrams.
LABELS: dict[str, str] = {
    "fold": "LP",
    "transcritical": "TC",
    "pitchfork": "PF",
    "branch": "BP",
    "hopf": "H",
    "flip": "PD",
    "neimark_sacker": "NS",
    "cusp": "CP",
    "bogdanov_takens": "BT",
    "zero_hopf": "ZH",
    "generalized_hopf": "GH",
    "generalized_flip": "GPD",
    "fold_flip": "LPPD",
    "resonance_1_1": "R1",
    "resonance_1_2": "R2",
    "resonance_1_3": "R3",
    "resonance_1_4": "R4",
    "chenciner": "CH",
    "cycle_fold": "LPC",
    "period_doubling": "PD",
    "torus": "TR",
    "homoclinic": "HC",
}
_FORMATS = (".png", ".svg", ".pdf")


def figure_and_axes(ax: Any) -> tuple[Figure, Any]:
    """The figure of `ax`, or a new figure (Agg canvas, no pyplot state) with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def save_figure(fig: Figure, path: str | Path | None) -> None:
    """Save `fig` to `path` (PNG, SVG or PDF by the suffix); nothing when `path` is None."""
    if path is None:
        return
    target = Path(path)
    if target.suffix.lower() not in _FORMATS:
        raise ModelError(
            f"`path` = {str(path)!r} must end in {', '.join(_FORMATS)} (the file format)"
        )
    fig.savefig(target)


def _runs(
    stable: np.ndarray[Any, np.dtype[np.bool_]], neutral: np.ndarray[Any, np.dtype[np.bool_]]
) -> list[tuple[int, int, bool]]:
    """Maximal runs ``(i, j, stable)`` of the segments between points i..j (j inclusive).

    A segment takes the stability of its endpoints; a neutral endpoint (a located bifurcation
    point, where an eigenvalue is on the boundary) takes the other endpoint's, so the change of
    style falls exactly on the bifurcation point. Consecutive runs share their boundary point.
    """
    K = len(stable)
    if K < 2:
        return []
    seg = np.where(neutral[:-1] & ~neutral[1:], stable[1:], stable[:-1])
    out = []
    start = 0
    for k in range(1, K):
        if k == K - 1 or seg[k] != seg[start]:
            out.append((start, k, bool(seg[start])))
            start = k
    return out


def plot_bifurcation_diagram(
    branches: Branch | Sequence[Branch],
    *,
    cycles: CycleBranch | Sequence[CycleBranch] = (),
    state: str | None = None,
    ax: Any = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Draw branches against their parameter: stable solid, unstable dashed, bifurcations labelled.

    Parameters
    ----------
    branches : Branch or sequence of Branch
        Their `children` (switched branches) are drawn too.
    cycles : CycleBranch or sequence of CycleBranch, optional
        Families of cycles (:func:`~.cycles.cycles`) in the same parameter, drawn by the
        maximum and minimum of `state` over each orbit (stable solid, unstable dashed, in a
        second colour), their bifurcations labelled.
    state : str, optional
        The state on the vertical axis (default: the first), or ``"norm"`` for the Euclidean
        norm of the equilibrium (of a cycle: its ``L2`` norm).
    ax : matplotlib Axes, optional
    path : str or Path, optional
        Save the figure there (.png, .svg or .pdf).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelError
        For an unknown state, branches in different parameters, or a bad file suffix.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.plots import plot_bifurcation_diagram
    >>> m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
    >>> br = ig.continuation(m, "p", x0=[0.0], p_range=(-1, 1), switch_branches=True)
    >>> fig = plot_bifurcation_diagram(br)
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['TC']

    With the cycles born at a Hopf point:

    >>> m = ig.Model.from_equations(
    ...     {"x": "mu*x - y - x*(x**2 + y**2)", "y": "x + mu*y - y*(x**2 + y**2)"},
    ...     parameters={"mu": -0.5})
    >>> br = ig.continuation(m, "mu", x0=[0, 0], p_range=(-0.5, 1))
    >>> cy = ig.cycles(m, "mu", start=br.of_kind("hopf")[0], p_range=(-0.5, 1))
    >>> fig = plot_bifurcation_diagram(br, cycles=cy)
    >>> [t.get_text() for t in fig.axes[0].texts], fig.axes[0].get_legend_handles_labels()[1]
    (['H'], ['stable', 'unstable', 'stable cycle (max, min)', 'unstable cycle'])
    """
    todo = [branches] if isinstance(branches, Branch) else list(branches)
    flat: list[Branch] = []
    while todo:
        b = todo.pop(0)
        if not isinstance(b, Branch):
            raise ModelError(f"`branches` must hold Branch objects, got {type(b).__name__}")
        flat.append(b)
        todo.extend(b.children)
    if not flat:
        raise ModelError("`branches` is empty; pass at least one Branch from ig.continuation")
    params = {b.param for b in flat}
    if len(params) > 1:
        raise ModelError(
            f"branches are in different parameters {sorted(params)}; draw one at a time"
        )
    names = flat[0].state_names
    state = state or names[0]
    if state != "norm" and state not in names:
        raise ModelError(f"`state` = `{state}` is not a state ({', '.join(names)}) nor `norm`")

    def height(x: Any) -> Any:
        """The plotted quantity of equilibria `x` (rows): a state, or the Euclidean norm."""
        x = np.asarray(x, dtype=float)
        return np.linalg.norm(x, axis=-1) if state == "norm" else x[..., names.index(state)]

    fig, ax = figure_and_axes(ax)
    seen: set[tuple[float, float]] = set()
    for b in flat:
        if len(b.p) == 0:
            continue
        _draw_by_stability(ax, b.p, [height(b.x)], b.stable, b.neutral, ("C0", "C3"), 1.6)
        for bif in b.bifurcations:
            h = float(height(bif.x))
            key = (round(bif.p, 9), round(h, 9))
            if key in seen:
                continue
            seen.add(key)
            ax.plot([bif.p], [h], "o", color="k", markersize=5)
            ax.annotate(
                LABELS[bif.kind], (bif.p, h), textcoords="offset points", xytext=(5, 5), fontsize=9
            )
    ax.plot([], [], "-", color="C0", label="stable")
    ax.plot([], [], "--", color="C3", label="unstable")
    families = _cycle_families(cycles, flat[0].param, names)
    col = None if state == "norm" else names.index(state)

    def top(bif: Any) -> tuple[float]:
        """Where a cycle bifurcation is labelled: the orbit's norm, or its maximum of `state`."""
        return (float(bif.orbit.norm) if col is None else float(bif.orbit.x_max[col]),)

    if families:
        for cy in families:
            if col is None:
                extremes = [np.asarray(cy.norm)]
            else:
                extremes = [cy.x_max[:, col], cy.x_min[:, col]]
            _draw_by_stability(ax, cy.p, extremes, cy.stable, cy.neutral, ("C2", "C1"), 1.4)
            _label_cycle_bifurcations(ax, cy, top, seen)
        ax.plot(
            [],
            [],
            "-",
            color="C2",
            label="stable cycle (norm)" if state == "norm" else "stable cycle (max, min)",
        )
        ax.plot([], [], "--", color="C1", label="unstable cycle")
    ax.legend(loc="best", fontsize=8)
    ax.set_xlabel(flat[0].param)
    ax.set_ylabel("norm of the state |x|" if state == "norm" else state)
    if title:
        ax.set_title(wrap_label(title, 70))
    save_figure(fig, path)
    return fig


def draw_by_stability(
    ax: Any,
    p: Any,
    curves: Sequence[Any],
    stable: Any,
    neutral: Any = None,
    colors: tuple[str, str] = ("C0", "C3"),
    linewidth: float = 1.6,
) -> None:
    """Draw each curve against `p` by runs of stability: stable solid, unstable dashed.

    A segment between two points takes their stability (a neutral endpoint, a located
    bifurcation, takes the other's), so the change of style falls on the bifurcation point and
    no segment joins two stable runs across an unstable one (as masking ``p[stable]`` would).

    Parameters
    ----------
    ax : matplotlib Axes
    p : array of float, shape (K,)
    curves : sequence of arrays of shape (K,)
    stable : array of bool, shape (K,)
    neutral : array of bool, shape (K,), optional
    colors : (str, str)
        Colours of the stable and the unstable runs.
    linewidth : float

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.solvers.numeric.plots import draw_by_stability, figure_and_axes
    >>> fig, ax = figure_and_axes(None)
    >>> draw_by_stability(ax, np.arange(5.0), [np.zeros(5)], np.array([1, 1, 0, 0, 1], bool))
    >>> [(ln.get_linestyle(), ln.get_xdata().tolist()) for ln in ax.lines]
    [('-', [0.0, 1.0, 2.0]), ('--', [2.0, 3.0, 4.0])]

A segment takes the stability of its first point: 1 -> 2 is stable, 3 -> 4 unstable.
    """
    stable = np.asarray(stable, dtype=bool)
    neutral = np.zeros_like(stable) if neutral is None else np.asarray(neutral, dtype=bool)
    _draw_by_stability(ax, np.asarray(p), curves, stable, neutral, colors, linewidth)


def _draw_by_stability(
    ax: Any,
    p: Any,
    curves: Sequence[Any],
    stable: Any,
    neutral: Any,
    colors: tuple[str, str],
    linewidth: float,
) -> None:
    """Each curve against `p`: stable runs solid in colors[0], unstable dashed in colors[1]."""
    for j, k, is_stable in _runs(stable, neutral):
        for y in curves:
            ax.plot(
                p[j : k + 1],
                y[j : k + 1],
                color=colors[0] if is_stable else colors[1],
                linestyle="-" if is_stable else "--",
                linewidth=linewidth,
            )


def _cycle_families(
    cycles: CycleBranch | Sequence[CycleBranch], param: str | None, names: Sequence[str] | None
) -> list[CycleBranch]:
    items = [cycles] if isinstance(cycles, CycleBranch) else list(cycles)
    for cy in items:
        if not isinstance(cy, CycleBranch):
            raise ModelError(f"`cycles` must hold CycleBranch objects, got {type(cy).__name__}")
        if param is not None and cy.param != param:
            raise ModelError(f"`cycles` is a family in `{cy.param}`, the branches are in `{param}`")
        if names is not None and tuple(cy.state_names) != tuple(names):
            raise ModelError(f"`cycles` has states {cy.state_names}, the branches {tuple(names)}")
    return [cy for cy in items if len(cy)]


def _label_cycle_bifurcations(
    ax: Any, cy: CycleBranch, heights: Any, seen: set[tuple[float, float]]
) -> None:
    for bif in cy.bifurcations:
        for h in heights(bif):
            key = (round(bif.p, 9), round(h, 9))
            if key in seen:
                continue
            seen.add(key)
            ax.plot([bif.p], [h], "s", color="k", markersize=4)
            ax.annotate(
                LABELS[bif.kind], (bif.p, h), textcoords="offset points", xytext=(5, 5), fontsize=9
            )


def _cycle_height(bif: Any, quantity: str, names: Sequence[str]) -> float:
    """Where a cycle bifurcation sits on the axis of :func:`plot_cycles`."""
    if quantity == "period":
        return float(bif.period)
    if quantity in ("amplitude", "norm"):
        return float(getattr(bif.orbit, quantity))
    return float(bif.orbit.x_max[list(names).index(quantity)])


def plot_cycles(
    cycles: CycleBranch | Sequence[CycleBranch],
    *,
    quantity: str = "period",
    ax: Any = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Draw families of cycles by their period, amplitude or norm against the parameter.

    Parameters
    ----------
    cycles : CycleBranch or sequence of CycleBranch
        Families in one parameter (:func:`~.cycles.cycles`).
    quantity : {"period", "amplitude", "norm"} or a state name
        The vertical axis: the period, the amplitude (largest half peak-to-peak range of a
        state), the ``L2`` norm of the orbit, or the maximum and minimum of a state.
    ax : matplotlib Axes, optional
    path : str or Path, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelError
        For an unknown quantity, families in different parameters, or a bad file suffix.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.plots import plot_cycles
    >>> m = ig.Model.from_equations({"x": "x*(mu + 2*(x**2 + y**2) - (x**2 + y**2)**2) - y",
    ...                               "y": "y*(mu + 2*(x**2 + y**2) - (x**2 + y**2)**2) + x"},
    ...                              parameters={"mu": -0.5})
    >>> tr = ig.simulate(m, x0={"x": 1.5, "y": 0}, t=(0, 60), n_points=3001)
    >>> cy = ig.cycles(m, "mu", start=tr, p_range=(-1.5, 0.5))
    >>> fig = plot_cycles(cy, quantity="amplitude")
    >>> [t.get_text() for t in fig.axes[0].texts], fig.axes[0].get_ylabel()
    (['LPC'], 'amplitude')
    """
    families = _cycle_families(cycles, None, None)
    if not families:
        raise ModelError("`cycles` is empty; pass a non-empty CycleBranch from ig.cycles")
    params = {cy.param for cy in families}
    if len(params) > 1:
        raise ModelError(
            f"`cycles` are in different parameters {sorted(params)}; draw one at a time"
        )
    names = families[0].state_names
    scalar = ("period", "amplitude", "norm")
    if quantity not in scalar and quantity not in names:
        raise ModelError(
            f"`quantity` = {quantity!r} must be one of {', '.join(scalar)} or a state "
            f"({', '.join(names)})"
        )
    fig, ax = figure_and_axes(ax)
    seen: set[tuple[float, float]] = set()
    for cy in families:
        if quantity in scalar:
            curves = [np.asarray(getattr(cy, quantity))]
        else:
            i = names.index(quantity)
            curves = [cy.x_max[:, i], cy.x_min[:, i]]
        _draw_by_stability(ax, cy.p, curves, cy.stable, cy.neutral, ("C2", "C1"), 1.6)
        _label_cycle_bifurcations(ax, cy, lambda b: (_cycle_height(b, quantity, names),), seen)
    ax.plot([], [], "-", color="C2", label="stable cycle")
    ax.plot([], [], "--", color="C1", label="unstable cycle")
    ax.legend(loc="best", fontsize=8)
    ax.set_xlabel(families[0].param)
    ax.set_ylabel(quantity if quantity in scalar else f"{quantity} (max, min over the cycle)")
    if title:
        ax.set_title(wrap_label(title, 70))
    save_figure(fig, path)
    return fig


def plot_bifurcation_curves(
    curves: BifurcationCurve | Sequence[BifurcationCurve],
    *,
    ax: Any = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Draw fold and Hopf curves in their two-parameter plane, with cusp and BT points labelled.

    Parameters
    ----------
    curves : BifurcationCurve or sequence of BifurcationCurve
    ax : matplotlib Axes, optional
    path : str or Path, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelError
        For curves in different parameter planes, or a bad file suffix.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.plots import plot_bifurcation_curves
    >>> m = ig.Model.from_equations({"x": "a + b*x - x**3"}, parameters={"a": 0.0, "b": 1.0})
    >>> br = ig.continuation(m, "a", x0=[1.0], params={"b": 1.0}, p_range=(-1, 1))
    >>> c = ig.bifurcation_curve(m, br.bifurcations[0], "b", p_range={"a": (-1, 1), "b": (-0.5, 1)})
    >>> [t.get_text() for t in plot_bifurcation_curves(c).axes[0].texts]
    ['CP']
    """
    items = [curves] if isinstance(curves, BifurcationCurve) else list(curves)
    if not items:
        raise ModelError("`curves` is empty; pass curves from ig.bifurcation_curve")
    planes = {c.params for c in items}
    if len(planes) > 1:
        raise ModelError(f"curves lie in different parameter planes {sorted(planes)}")
    fig, ax = figure_and_axes(ax)
    for c in items:
        ax.plot(
            c.p[:, 0], c.p[:, 1], color="C0" if c.kind == "fold" else "C2", label=f"{c.kind} curve"
        )
        for s in c.special:
            u, v = s.params[c.params[0]], s.params[c.params[1]]
            ax.plot([u], [v], "o", color="k", markersize=5)
            ax.annotate(
                LABELS[s.kind], (u, v), textcoords="offset points", xytext=(5, 5), fontsize=9
            )
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), loc="best", fontsize=8)
    ax.set_xlabel(items[0].params[0])
    ax.set_ylabel(items[0].params[1])
    if title:
        ax.set_title(wrap_label(title, 70))
    save_figure(fig, path)
    return fig


def plot_phase_portrait(
    model: Model,
    *,
    params: Mapping[str, float] | None = None,
    xlim: tuple[float, float] = (0.0, 1.0),
    ylim: tuple[float, float] = (0.0, 1.0),
    starts: Sequence[Sequence[float]] | None = None,
    t: float = 20.0,
    trajectories: Sequence[Trajectory] = (),
    density: int = 21,
    ax: Any = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Phase portrait of a planar model: vector field, orbits, equilibria (filled when stable).

    Parameters
    ----------
    model : Model
        Two states. For a map the arrows show the displacement ``f(x) - x`` and orbits are
        drawn as points.
    params : mapping, optional
    xlim, ylim : (lo, hi)
        The window (first state horizontal).
    starts : sequence of (x, y), optional
        Initial states of orbits to simulate over `t` (one ensemble call).
    t : float
        Length of the simulated orbits (steps for a map).
    trajectories : sequence of Trajectory
        Already simulated orbits to draw.
    density : int
        Arrows per side of the grid.
    ax : matplotlib Axes, optional
    path : str or Path, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelError
        For a model that is not planar, a bad window or a bad file suffix.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.plots import plot_phase_portrait
    >>> m = ig.load_model("examples/brusselator.toml")
    >>> fig = plot_phase_portrait(m, xlim=(0, 3), ylim=(0, 4), starts=[(0.5, 0.5)], t=10)
    >>> len(fig.axes[0].lines) >= 2   # an orbit and the equilibrium
    True
    """
    if len(model.states) != 2:
        raise ModelError(
            f"a phase portrait needs a planar model; `{model.name}` has {len(model.states)} "
            "states (use plot_time_series, or fix parameters to reduce it)"
        )
    for name, lim in (("xlim", xlim), ("ylim", ylim)):
        if not (len(lim) == 2 and np.all(np.isfinite(lim)) and lim[0] < lim[1]):
            raise ModelError(f"`{name}` = {lim!r} must be finite (lo, hi) with lo < hi")
    values = resolve_params(model, params)
    cm = compile_model(model)
    p = cm.param_vector(values)
    fig, ax = figure_and_axes(ax)
    gx, gy = np.meshgrid(np.linspace(*xlim, density), np.linspace(*ylim, density))
    X = np.stack([gx, gy], axis=-1)
    V = cm.rhs(X, p)
    if model.time == "discrete":
        V = V - X
    speed = np.hypot(V[..., 0], V[..., 1])
    scale = np.where(speed > 0, speed, 1.0)
    # Unit arrows: the direction of the flow (or of the map's displacement).
    ax.quiver(gx, gy, V[..., 0] / scale, V[..., 1] / scale, color="0.6", angles="xy", pivot="mid")
    orbits = list(trajectories)
    if starts is not None and len(starts):
        span: Any = (0, int(t)) if model.time == "discrete" else (0.0, float(t))
        ens = simulate(
            model,
            x0=np.asarray(starts, dtype=float),
            t=span,
            params=values,
            n_points=1001,
            raise_on_failure=False,
        )
        orbits.extend(
            Trajectory(t=ens.t, x=ens.x[k], state_names=ens.state_names) for k in range(len(ens.x))
        )
    for k, tr in enumerate(orbits):
        style = "." if model.time == "discrete" else "-"
        ax.plot(tr.x[:, 0], tr.x[:, 1], style, color=f"C{k % 10}", linewidth=1.2, markersize=3)
    eqs = find_equilibria(
        model, params=values, bounds={model.state_names[0]: xlim, model.state_names[1]: ylim}
    )
    for e in eqs:
        ax.plot(
            [e.x[0]],
            [e.x[1]],
            "o",
            markersize=7,
            color="k",
            markerfacecolor="k" if e.stable else "white",
        )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(model.state_names[0])
    ax.set_ylabel(model.state_names[1])
    if title:
        ax.set_title(wrap_label(title, 70))
    save_figure(fig, path)
    return fig


def plot_time_series(
    trajectory: Trajectory,
    *,
    names: Sequence[str] | None = None,
    max_members: int = 50,
    ax: Any = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Time series of states and observables (an ensemble as thin lines, at most `max_members`).

    Parameters
    ----------
    trajectory : Trajectory
    names : sequence of str, optional
        States and observables to draw (default: every state).
    max_members : int
        For an ensemble, the number of members drawn.
    ax : matplotlib Axes, optional
    path : str or Path, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelError
        For an unknown name or a bad file suffix.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.plots import plot_time_series
    >>> m = ig.Model.from_equations({"x": "-x"}, parameters={}, observables={"double": "2*x"})
    >>> fig = plot_time_series(ig.simulate(m, x0=[1.0], t=(0, 3)), names=["x", "double"])
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['x', 'double']
    """
    if not isinstance(trajectory, Trajectory):
        raise ModelError(f"`trajectory` must be a Trajectory, got {type(trajectory).__name__}")
    chosen = list(names) if names is not None else list(trajectory.state_names)
    for name in chosen:
        if name not in trajectory.state_names and name not in trajectory.observables:
            raise ModelError(
                f"`names` holds `{name}`, neither a state ({', '.join(trajectory.state_names)}) "
                f"nor an observable ({', '.join(trajectory.observables) or 'none'})"
            )
    fig, ax = figure_and_axes(ax)
    discrete = trajectory.method in ("iteration", "iteration with noise", "stochastic_step")
    for k, name in enumerate(chosen):
        series = np.asarray(trajectory[name])
        style = ".-" if discrete else "-"
        if trajectory.is_ensemble:
            for row in series[:max_members]:
                ax.plot(
                    trajectory.t,
                    row,
                    style,
                    color=f"C{k % 10}",
                    linewidth=0.6,
                    alpha=0.5,
                    markersize=2,
                )
            ax.plot([], [], color=f"C{k % 10}", label=name)
        else:
            ax.plot(trajectory.t, series, style, color=f"C{k % 10}", label=name, markersize=3)
    ax.legend(loc="best", fontsize=8)
    ax.set_xlabel("t")
    ax.set_ylabel(wrap_label(", ".join(chosen), 50))
    if title:
        ax.set_title(wrap_label(title, 70))
    save_figure(fig, path)
    return fig


# Dark line colours for boundaries (one per equilibrium), readable over the tab10 regions.
_BOUNDARY_COLORS = ("black", "#5a1a6e", "#7a3b00", "#003f5c", "#1b4d1b", "#8b0000")
# Dash patterns, one per boundary of one equilibrium: (colour, pattern) is unique per entry.
_BOUNDARY_DASHES: tuple[Any, ...] = (
    "solid",
    (0, (5, 2)),
    (0, (1, 1.5)),
    (0, (6, 2, 1, 2)),
    (0, (10, 3)),
    (0, (3, 1, 1, 1, 1, 1)),
)


def wrap_label(text: str, width: int) -> str:
    """`text` broken into lines of at most about `width` characters (a title, a legend entry)."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def plot_stability_map(
    smap: StabilityMap, path: str | Path | None = None, *, ax: Any = None, title: str | None = None
) -> Figure:
    """Draw the region map of a 2-D sweep, with the analytic boundaries on top.

    Each class of points is a colour. Each analytic boundary (the zero set of a factor of an
    equilibrium's stability condition) is drawn only where its equilibrium exists, in a colour
    of its equilibrium and a dash pattern of its own, so that every legend entry differs in
    (colour, line style). Long titles and legend entries are wrapped to stay in the figure.

    Parameters
    ----------
    smap : StabilityMap
        A sweep over a 2-D grid (:func:`~.sweep.sweep` with two axes).
    path : str or Path, optional
        Save the figure there (.png, .svg or .pdf).
    ax : matplotlib Axes, optional
        Draw into these axes.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ModelError
        When the sweep is not a 2-D grid, or for a bad file suffix.

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.plots import plot_stability_map
    >>> m = ig.Model.from_equations({"x": "x*(r - s*x)"}, parameters={"r": 1.0, "s": 1.0})
    >>> sm = ig.sweep(m, {"r": np.linspace(-1, 1, 5), "s": np.linspace(0.5, 1, 3)})
    >>> fig = plot_stability_map(sm)
    >>> len(fig.axes[0].images), fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    (1, 'r', 's')
    """
    import matplotlib
    import sympy
    from matplotlib import patheffects
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from incentive_geometry.language import parse_expression

    if smap.axes is None or len(smap.axes) != 2:
        raise ModelError(
            "`plot` draws 2-D grids; this sweep has "
            f"{'a sample' if smap.axes is None else f'{len(smap.axes)} axes'}"
        )
    created = ax is None
    fig, ax = figure_and_axes(ax)
    if created:
        fig.set_size_inches(9.0, 5.2)  # room for the legend beside the map
    a_axis, b_axis = smap.axes
    codes = np.asarray(smap.class_codes).reshape(smap.shape)
    used = sorted(set(np.unique(codes).tolist()))
    # One colour per class: tab10, or tab20 when there are more classes than ten.
    n_colors = 10 if len(smap.class_names) <= 10 else 20
    palette = matplotlib.colormaps[f"tab{n_colors}"]
    colors = [palette(i % n_colors) for i in range(len(smap.class_names))]
    ax.imshow(
        codes.T,
        origin="lower",
        aspect="auto",
        extent=(a_axis[0], a_axis[-1], b_axis[0], b_axis[-1]),
        cmap=ListedColormap(colors),
        norm=BoundaryNorm(np.arange(len(colors) + 1) - 0.5, len(colors)),
        interpolation="nearest",
    )
    handles: list[Any] = [
        Patch(color=colors[i], label=wrap_label(smap.class_names[i], 38)) for i in used
    ]
    names = smap.parameter_names
    grid = np.meshgrid(a_axis, b_axis, indexing="ij")
    symbols = {n: sympy.Symbol(n, real=True) for n in (*names, *smap.fixed)}
    labels = list(smap.equilibrium_labels)
    exists = np.asarray(smap.exists, dtype=bool)
    per_label: dict[str, int] = {}
    for label, text in smap.boundaries:
        expr = parse_expression(text, symbols, where=f"boundary `{label}`")
        expr = expr.subs({symbols[n]: v for n, v in smap.fixed.items()})
        f = sympy.lambdify([symbols[names[0]], symbols[names[1]]], expr, modules="numpy")
        with np.errstate(all="ignore"):
            values = np.array(np.broadcast_to(np.asarray(f(*grid), dtype=float), grid[0].shape))
        # A stability boundary of an equilibrium means nothing where it does not exist: the zero
        # set is drawn only over the points where some slot of that label holds an equilibrium.
        slots = [e for e, name in enumerate(labels) if name == label]
        if slots:
            where = exists[:, slots].any(axis=1).reshape(smap.shape)
            values[~where] = np.nan
        finite = values[np.isfinite(values)]
        if not (finite.size and finite.min() < 0 < finite.max()):
            continue
        k = per_label.setdefault(label, 0)
        per_label[label] = k + 1
        color = _BOUNDARY_COLORS[list(per_label).index(label) % len(_BOUNDARY_COLORS)]
        dashes = _BOUNDARY_DASHES[k % len(_BOUNDARY_DASHES)]
        # A white halo keeps a dark line readable over a region of a similar colour.
        cs = ax.contour(
            grid[0],
            grid[1],
            np.ma.masked_invalid(values),
            levels=[0.0],
            colors=[color],
            linestyles=[dashes],
            linewidths=1.6,
        )
        cs.set_path_effects([patheffects.withStroke(linewidth=3.2, foreground="white")])
        # The entry shows the boundary at the fixed parameters (shorter than the general form).
        shown = sympy.sstr(sympy.nsimplify(expr, rational=False)) if smap.fixed else text
        handles.append(
            Line2D(
                [],
                [],
                color=color,
                linestyle=dashes,
                linewidth=1.6,
                label=wrap_label(f"{label} stability: {shown} = 0", 38),
            )
        )
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    fixed = ", ".join(f"{k}={v:g}" for k, v in smap.fixed.items())
    heading = title or f"{smap.model_name}: stable equilibria" + (f" ({fixed})" if fixed else "")
    ax.set_title(wrap_label(heading, 70), fontsize=10)
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
        handlelength=3.0,
    )
    save_figure(fig, path)
    return fig
