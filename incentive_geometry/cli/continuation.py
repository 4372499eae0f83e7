"""``incgeo continue MODEL PARAM``: follow equilibria in a parameter and list the bifurcations.

With ``--cycles`` the families of periodic orbits born at the Hopf points found are followed too
(:func:`~incentive_geometry.solvers.numeric.cycles.cycles`), with their period, amplitude,
stability and bifurcations (cycle folds, period doublings, tori, homoclinic ends).
"""

from __future__ import annotations

import json
import math
from typing import Any

import click

from incentive_geometry.errors import ModelError

from ._common import check_output_path, parse_assignments, resolve_model
from .simulate import parse_states

__all__ = ["continue_"]


@click.command(name="continue")
@click.argument("model")
@click.argument("param")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a parameter (repeatable); setting PARAM gives the start value.",
)
@click.option(
    "--range",
    "p_range",
    nargs=2,
    type=float,
    default=None,
    metavar="LO HI",
    help="Parameter range (default: PARAM's domain when it is an interval).",
)
@click.option(
    "--x0",
    "starts",
    multiple=True,
    metavar="STATE=VALUE",
    help="Start near this state (default: every equilibrium found at the start).",
)
@click.option("--ds", type=float, default=0.01, show_default=True, help="Initial step.")
@click.option("--ds-max", type=float, default=0.1, show_default=True, help="Largest step.")
@click.option(
    "--max-steps", type=int, default=2000, show_default=True, help="Steps in each direction."
)
@click.option("--switch", is_flag=True, help="Also follow the other branch at branch points.")
@click.option(
    "--cycles",
    "with_cycles",
    is_flag=True,
    help="Also follow the cycles born at each Hopf point (flows).",
)
@click.option(
    "--plot",
    "plot_path",
    default=None,
    metavar="OUT.png",
    help="Save the bifurcation diagram (.png, .svg or .pdf).",
)
@click.option(
    "--quantity",
    "--y",
    "quantity",
    default=None,
    metavar="STATE|norm",
    help="What --plot draws against PARAM: a state or `norm` (default: the first state that "
    "varies along the branches, else the norm).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the branches as JSON.")
def continue_(
    model: str,
    param: str,
    assignments: tuple[str, ...],
    p_range: tuple[float, float] | None,
    starts: tuple[str, ...],
    ds: float,
    ds_max: float,
    max_steps: int,
    switch: bool,
    with_cycles: bool,
    plot_path: str | None,
    quantity: str | None,
    as_json: bool,
) -> None:
    """Follow equilibria of MODEL in PARAM; list folds, branch points, Hopf, flip points.

    With --cycles, also follow the periodic orbits born at each Hopf point and list their
    period, amplitude and bifurcations.
    """
    from incentive_geometry.solvers.numeric.continuation import continuation
    from incentive_geometry.solvers.numeric.equilibria import find_equilibria

    check_output_path(plot_path, option="--plot")
    m = resolve_model(model)
    if quantity is not None and quantity != "norm" and quantity not in m.state_names:
        raise ModelError(
            f"--quantity {quantity!r}: not a state of `{m.name}`; give one of "
            f"{', '.join(m.state_names)} or `norm`"
        )
    p = m.parameter(param)
    params = parse_assignments(assignments, m)
    if p_range is None:
        if p.domain.kind != "interval":
            raise ModelError(
                f"`{param}` has domain {p.domain.to_spec()!r}; give the range with --range LO HI"
            )
        p_range = (float(p.domain.lo), float(p.domain.hi))  # type: ignore[arg-type]
    lo, hi = p_range
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ModelError(f"--range {lo} {hi}: needs finite LO < HI")
    if param not in params:
        default = p.default
        params[param] = default if default is not None and lo <= default <= hi else (lo + hi) / 2
    if starts:
        x0s = [parse_states(starts, m)]
    else:
        found = find_equilibria(m, params=params)
        if not found:
            raise ModelError(
                f"no equilibrium of `{m.name}` found at {param} = {params[param]:g}; give a start "
                "with --x0 STATE=VALUE"
            )
        x0s = [dict(zip(m.state_names, e.x.tolist(), strict=True)) for e in found]
    # Stop where a branch leaves the states' declared domains (shares outside [0, 1], ...).
    bounds = {}
    for name, dom in zip(m.state_names, m.state_domains, strict=True):
        if dom.kind == "interval":
            width = float(dom.hi - dom.lo)  # type: ignore[operator]
            bounds[name] = (float(dom.lo) - 1e-6 * width, float(dom.hi) + 1e-6 * width)  # type: ignore[arg-type]
        elif dom.kind in ("positive", "nonnegative"):
            bounds[name] = (-1e-9, math.inf)
    branches: list[Any] = []
    for x0 in x0s:
        br = continuation(
            m,
            param,
            x0=x0,
            params=params,
            p_range=(lo, hi),
            ds=ds,
            ds_max=max(ds_max, ds),
            max_steps=max_steps,
            switch_branches=switch,
            bounds=bounds,
        )
        # Starts on one branch give the same branch twice: keep one.
        if any(_same(br, other) for other in branches):
            continue
        branches.append(br)
    families: list[Any] = []
    if with_cycles:
        families = _follow_cycles(m, param, branches, (lo, hi))
    if plot_path:
        from incentive_geometry.solvers.numeric.plots import plot_bifurcation_diagram

        state = quantity or _varying_state(branches, m.state_names)
        plot_bifurcation_diagram(
            branches,
            cycles=families,
            state=state,
            path=plot_path,
            title=f"{m.name}: equilibria against {param}",
        )
    if as_json:
        out: dict[str, Any] = {
            "model": m.name,
            "param": param,
            "branches": [b.as_dict() for b in branches],
        }
        if with_cycles:
            out["cycles"] = [cy.as_dict() for cy in families]
        click.echo(json.dumps(out))
        return
    for k, br in enumerate(branches, 1):
        click.echo(
            f"branch {k}: {len(br.p)} points, {param} in [{br.p.min():.6g}, "
            f"{br.p.max():.6g}]; {br.message}"
        )
        seen: set[tuple[str, float, tuple[float, ...]]] = set()
        for b in [c for part in _tree(br) for c in part.bifurcations]:
            key = (b.kind, round(b.p, 8), tuple(round(float(v), 6) + 0.0 for v in b.x))
            if key in seen:
                continue
            seen.add(key)
            state = ", ".join(f"{s} = {v:.8g}" for s, v in zip(b.state_names, b.x, strict=True))
            crit = f"  {b.criticality}, coefficient {b.coefficient:.6g}" if b.criticality else ""
            click.echo(f"  {b.kind:<15} {param} = {b.p:.12g}  ({state}){crit}")
    for k, cy in enumerate(families, 1):
        if not len(cy):
            click.echo(f"cycles {k}: none; {cy.message}")
            continue
        stable = (
            "stable" if cy.stable.all() else "unstable" if not cy.stable.any() else "stable in part"
        )
        click.echo(
            f"cycles {k}: {len(cy)} orbits, {param} in [{cy.p.min():.6g}, {cy.p.max():.6g}], "
            f"period {cy.period.min():.6g}..{cy.period.max():.6g}, amplitude up to "
            f"{cy.amplitude.max():.6g}, {stable}; {cy.message}"
        )
        for b in cy.bifurcations:
            extra = f", angle {b.frequency:.6g}" if b.frequency is not None else ""
            click.echo(f"  {b.kind:<15} {param} = {b.p:.12g}  (period {b.period:.8g}{extra})")
    if plot_path:
        click.echo(f"plot saved to {plot_path}")


def _follow_cycles(
    m: Any, param: str, branches: list[Any], p_range: tuple[float, float]
) -> list[Any]:
    """The cycle families born at the Hopf points of `branches` (each point once)."""
    from incentive_geometry.errors import ConvergenceError, ModelKindError
    from incentive_geometry.solvers.numeric.cycles import cycles

    if m.time != "continuous":
        raise ModelKindError(
            f"--cycles follows periodic orbits of flows; `{m.name}` is a map (its periodic "
            "points are fixed points of an iterate)"
        )
    out: list[Any] = []
    seen: set[tuple[float, ...]] = set()
    for br in branches:
        for hopf in [b for part in _tree(br) for b in part.bifurcations if b.kind == "hopf"]:
            key = (round(hopf.p, 8), *(round(float(v), 6) for v in hopf.x))
            if key in seen:
                continue
            seen.add(key)
            try:
                out.append(cycles(m, param, start=hopf, p_range=p_range, raise_on_failure=False))
            except ConvergenceError as exc:  # pragma: no cover - raise_on_failure=False
                click.echo(f"cycles from the Hopf point at {param} = {hopf.p:.10g}: {exc}")
    return out


def _varying_state(branches: list[Any], names: tuple[str, ...]) -> str:
    """The first state that varies along `branches` (a constant one says nothing), else norm."""
    import numpy as np

    parts = [b for br in branches for b in _tree(br) if len(b.p)]
    for i, name in enumerate(names):
        values = np.concatenate([b.x[:, i] for b in parts]) if parts else np.zeros(1)
        if np.ptp(values) > 1e-9 * max(1.0, float(np.max(np.abs(values)))):
            return str(name)
    return "norm"


def _tree(branch: Any) -> list[Any]:
    """`branch` and every branch switched from it, at any depth (``switch_branches=True``)."""
    out, todo = [], [branch]
    while todo:
        b = todo.pop(0)
        out.append(b)
        todo.extend(b.children)
    return out


def _same(a: object, b: object) -> bool:
    import numpy as np

    pa, xa = a.p, a.x  # type: ignore[attr-defined]
    pb, xb = b.p, b.x  # type: ignore[attr-defined]
    if len(pa) == 0 or len(pb) == 0:
        return False
    # Same branch when every point of `a` lies on the polyline of `b` up to the step size.
    za = np.column_stack([xa, pa])
    zb = np.column_stack([xb, pb])
    d = np.min(np.linalg.norm(za[:, None, :] - zb[None, :, :], axis=2), axis=1)
    return bool(np.max(d) < 0.2)
