"""``incgeo simulate MODEL``: simulate a model from an initial state; print, plot or emit JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable

import click

from incentive_geometry.model import Model

from ._common import check_output_path, parse_assignments, parse_state_values, resolve_model

__all__ = ["parse_states", "simulate"]


def parse_states(values: Iterable[str], model: Model) -> dict[str, float]:
    """Read ``state=value`` pairs (``--x0``); states not given start at the middle of their domain.

    On the simplex, the shares not given split equally what the given ones leave.

    Parameters
    ----------
    values : iterable of str
    model : Model

    Returns
    -------
    dict of str to float
        A value for every state.

    Raises
    ------
    ModelError
        For a malformed item, an unknown state or a non-finite value.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.cli.simulate import parse_states
    >>> m = ig.load_model("examples/entrenchment.toml")
    >>> parse_states([], m), parse_states(["x=0.9"], m)
    ({'x': 0.5}, {'x': 0.9})
    >>> n3 = ig.Model.from_equations({"x": "x*(1 - x)", "y": "-x*y", "z": "-x*z"},
    ...     parameters={}, simplex=True)
    >>> parse_states([], n3), parse_states(["x=0.5"], n3)
    ({'x': 0.3333333333333333, 'y': 0.3333333333333333, 'z': 0.3333333333333333}, {'x': 0.5, 'y': 0.25, 'z': 0.25})
    >>> parse_states(["y=1"], m)
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: --x0 y=1: `y` is not a state of model `entrenchment` (states: x)
    """
    out: dict[str, float] = {}
    for name, dom in zip(model.state_names, model.state_domains, strict=True):
        if dom.kind == "interval":
            out[name] = float((dom.lo + dom.hi) / 2)  # type: ignore[operator]
        elif dom.kind in ("positive", "nonnegative"):
            out[name] = 1.0
        else:
            out[name] = 0.1
    given = parse_state_values(values, model, option="--x0")
    if model.simplex:
        # Shares: those not given split what the given ones leave, so the start is on the
        # simplex (the barycentre when none is given).
        rest = [n for n in model.state_names if n not in given]
        left = 1.0 - sum(given.values())
        for name in rest:
            out[name] = left / len(rest)
    out.update(given)
    return out


@click.command()
@click.argument("model")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a parameter (repeatable).",
)
@click.option(
    "--x0",
    "starts",
    multiple=True,
    metavar="STATE=VALUE",
    help="Initial value of a state (repeatable; default: middle of its domain).",
)
@click.option(
    "--t",
    "t_end",
    type=float,
    default=50.0,
    show_default=True,
    help="Final time (number of steps for a map).",
)
@click.option("--points", type=int, default=201, show_default=True, help="Output times.")
@click.option("--method", default=None, help="solve_ivp method (default LSODA).")
@click.option("--seed", type=int, default=None, help="Seed of a stochastic simulation.")
@click.option("--deterministic", is_flag=True, help="Ignore noise and step rules.")
@click.option(
    "--plot",
    "plot_path",
    default=None,
    metavar="OUT.png",
    help="Save a time-series plot (.png, .svg or .pdf).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the trajectory as JSON.")
def simulate(
    model: str,
    assignments: tuple[str, ...],
    starts: tuple[str, ...],
    t_end: float,
    points: int,
    method: str | None,
    seed: int | None,
    deterministic: bool,
    plot_path: str | None,
    as_json: bool,
) -> None:
    """Simulate MODEL (a .toml file or a library name) from --x0 over (0, --t)."""
    from incentive_geometry.solvers.numeric.simulate import simulate as run

    check_output_path(plot_path, option="--plot")
    m = resolve_model(model)
    params = parse_assignments(assignments, m)
    x0 = parse_states(starts, m)
    span = (0, int(t_end)) if m.time == "discrete" else (0.0, t_end)
    tr = run(
        m,
        x0=x0,
        t=span,
        params=params,
        n_points=points,
        method=method,
        seed=seed,
        stochastic=False if deterministic else None,
    )
    if plot_path:
        from incentive_geometry.solvers.numeric.plots import plot_time_series

        plot_time_series(tr, path=plot_path, title=m.name)
    if as_json:
        click.echo(json.dumps(tr.as_dict()))
        return
    click.echo(f"{m.name}: {tr.method}, t = {tr.t[0]:g} .. {tr.t[-1]:g}, {len(tr.t)} points")
    click.echo(f"status: {'ok' if tr.success else 'stopped'} - {tr.message}")
    final = ", ".join(f"{s} = {v:.6g}" for s, v in zip(tr.state_names, tr.final, strict=True))
    click.echo(f"final state: {final}")
    for name, series in tr.observables.items():
        click.echo(f"final {name} = {float(series[-1]):.6g}")
    if plot_path:
        click.echo(f"plot saved to {plot_path}")
