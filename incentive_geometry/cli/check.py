"""``incgeo check FILE``: check a user's own claims about a model file."""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from incentive_geometry.errors import ModelError
from incentive_geometry.io import locate_in_file

from ._common import parse_assignments, parse_state_values, resolve_model

__all__ = ["AT_RESIDUAL", "check", "observe_at_equilibrium"]


def _domain(items: tuple[str, ...]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for item in items:
        key, sep, rng = item.partition("=")
        parts = rng.split(":")
        try:
            lo, hi = (float(v) for v in parts)
        except ValueError:
            raise ModelError(
                f"--domain {item}: expected name=lo:hi, e.g. --domain theta=0:1"
            ) from None
        if not sep or not key.strip():
            raise ModelError(f"--domain {item}: expected name=lo:hi, e.g. --domain theta=0:1")
        out[key.strip()] = [lo, hi]
    return out


#: The right-hand side must vanish to this (max-norm) at an `--at` point.
AT_RESIDUAL = 1e-9


def observe_at_equilibrium(
    model: Any,
    target: Mapping[str, float],
    inner: Callable[[dict[str, float]], Any],
    values: dict[str, float],
) -> Any:
    """Run `inner` only where `target` is an equilibrium; elsewhere raise (a failed point).

    An ``--at`` point that is not an equilibrium at some parameter values cannot be observed
    there: the check counts those points as failed, so the verdict is ``inconclusive``, not
    ``refuted``.

    Raises
    ------
    ModelError
        When the right-hand side does not vanish at `target` (residual over 1e-9).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.cli.check import observe_at_equilibrium
    >>> observe_at_equilibrium(entrenchment(), {"x": 0.0}, lambda p: True, {"theta": 0.5})
    True
    """
    import numpy as np

    from incentive_geometry.solvers.numeric.compile import compile_model

    cm = compile_model(model)
    x = np.array([float(target[s]) for s in model.state_names])
    defaults = {p.name: float(p.default) for p in model.parameters if p.default is not None}
    known = {k: float(v) for k, v in values.items() if k in model.parameter_names}
    f = cm.rhs(x, cm.param_vector(defaults | known)) - (x if model.time == "discrete" else 0.0)
    residual = float(np.max(np.abs(f))) if f.size else 0.0
    if not residual <= AT_RESIDUAL:
        shown = ", ".join(f"{k}={v:.6g}" for k, v in known.items())
        raise ModelError(
            f"`--at` {dict(target)} is not an equilibrium of `{model.name}` at {shown}: the "
            f"right-hand side is {residual:.3g} there (needs <= {AT_RESIDUAL:g}); give a point "
            "where it vanishes for every sampled parameter value, or narrow `--domain`"
        )
    return inner(values)


@click.command()
@click.argument("model")
@click.option(
    "--claim", "prediction", default=None, help="The prediction (a condition on parameters)."
)
@click.option(
    "--observe",
    type=click.Choice(["stable", "unstable", "bistable", "only_stable", "converges"]),
    default=None,
    help="What the observation decides (with --claim).",
)
@click.option(
    "--at",
    "at",
    multiple=True,
    metavar="STATE=VALUE",
    help="The equilibrium (stable, unstable, only_stable).",
)
@click.option(
    "--from",
    "start",
    multiple=True,
    metavar="STATE=VALUE",
    help="Start of the simulation (converges).",
)
@click.option(
    "--to",
    "end",
    multiple=True,
    metavar="STATE=VALUE",
    help="Expected end of the simulation (converges).",
)
@click.option(
    "--domain", "domain", multiple=True, metavar="NAME=LO:HI", help="A sampled parameter range."
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Fix a parameter that is not sampled (with --claim; repeatable).",
)
@click.option(
    "--horizon",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Simulated time of a `converges` claim (default 100).",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Distance to --to that counts as arrived, for `converges` (default 1e-3).",
)
@click.option("--name", default="claim", show_default=True, help="Name of the --claim.")
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=None,
    help="Samples per claim (default: the claim's `samples`, else 128).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--strict", is_flag=True, help="Exit with 1 unless every claim is confirmed.")
def check(
    model: str,
    prediction: str | None,
    observe: str | None,
    at: tuple[str, ...],
    start: tuple[str, ...],
    end: tuple[str, ...],
    domain: tuple[str, ...],
    assignments: tuple[str, ...],
    horizon: float | None,
    tolerance: float | None,
    name: str,
    samples: int | None,
    seed: int,
    as_json: bool,
    strict: bool,
) -> None:
    """Check claims about MODEL: its [[claims]] tables, or one given with --claim.

    Example: incgeo check examples/entrenchment.toml --claim "alpha*(1 - theta)*b < theta*c"
    --observe stable --at x=0 --domain theta=0:0.98 --domain b=0:1 --set c=1

    --at, --from, --to, --domain, --set, --horizon, --tolerance and --observe describe the one
    --claim; without --claim they are refused (exit 2).
    """
    import warnings

    import incentive_geometry as ig
    from incentive_geometry.proofs.user import claim_from_spec

    given = [
        option
        for option, value in (
            ("--observe", observe),
            ("--at", at),
            ("--from", start),
            ("--to", end),
            ("--domain", domain),
            ("--set", assignments),
            ("--horizon", horizon),
            ("--tolerance", tolerance),
        )
        if value
    ]
    if prediction is None and given:
        raise ModelError(
            f"{', '.join(given)} {'describes' if len(given) == 1 else 'describe'} a claim given "
            "with --claim, but no --claim was given; "
            'add --claim "CONDITION" (or drop them to check the file\'s [[claims]])'
        )
    m = resolve_model(model)
    specs: list[dict[str, Any]]
    fixed: dict[str, float] = {}
    if prediction is not None:
        if observe is None:
            raise ModelError(
                "--claim needs --observe (stable, unstable, bistable, only_stable or converges)"
            )
        spec: dict[str, Any] = {
            "name": name,
            "prediction": prediction,
            "observe": observe,
            "domain": _domain(domain),
        }
        if at:
            spec["at"] = parse_state_values(at, m, option="--at")
        if start:
            spec["from"] = parse_state_values(start, m, option="--from")
        if end:
            spec["to"] = parse_state_values(end, m, option="--to")
        if (horizon is not None or tolerance is not None) and observe != "converges":
            raise ModelError(
                f"--horizon and --tolerance apply to --observe converges, not --observe {observe}; "
                "drop them or observe converges (with --from and --to)"
            )
        if horizon is not None:
            spec["horizon"] = horizon
        if tolerance is not None:
            spec["tolerance"] = tolerance
        fixed = parse_assignments(assignments, m)
        both = sorted(set(fixed) & set(spec["domain"]))
        if both:
            raise ModelError(
                f"--set {both[0]}=... and --domain {both[0]}=...: a parameter is either fixed or "
                "sampled; drop one of them"
            )
        specs = [spec]
    else:
        if not m.claims:
            raise ModelError(
                f"`{model}` declares no [[claims]]; give one with --claim and --observe"
            )
        specs = [dict(c) for c in m.claims]
    reports = []
    for i, spec in enumerate(specs):
        try:
            claim = claim_from_spec(
                m, spec, where=f"{model}: [[claims]] {i + 1}" if prediction is None else "claim"
            )
        except ModelError as err:
            # A [[claims]] expression error points at the file's line and column.
            placed = None
            if prediction is None and Path(model).is_file():
                placed = locate_in_file(err, Path(model).read_text(encoding="utf-8"), model)
            if placed is None:
                raise
            raise placed from None
        if fixed:
            # Not sampled: the prediction and the observation see these values (Claim.fixed).
            claim = dataclasses.replace(claim, fixed={**dict(claim.fixed), **fixed})
        if spec.get("observe") in ("stable", "unstable", "only_stable") and spec.get("at"):
            # An `at` point that is not an equilibrium cannot be observed: a failed point.
            target = {k: float(v) for k, v in dict(spec["at"]).items()}
            claim = dataclasses.replace(
                claim,
                observe=functools.partial(observe_at_equilibrium, m, target, claim.observe),
            )
        n = samples or int(spec.get("samples", 128))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            reports.append(ig.check(claim, samples=n, seed=seed))
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        for r in reports:
            lo, hi = r.interval
            click.echo(
                f"{r.claim}: {r.verdict} (agreement {r.agreement:.3f} [{lo:.3f}, {hi:.3f}], "
                f"{r.evaluated} compared)"
            )
            click.echo(f"  {r.reason}")
            click.echo(f"  rule: {r.rule}")
            if r.boundary_error is not None:
                units = ", ".join(f"{k} {v:.3g}" for k, v in r.boundary_error_params.items())
                click.echo(
                    f"  boundary error {r.boundary_error:.3g} (box units, {r.boundary_rays} rays)"
                    + (f"; in parameter units: {units}" if units else "")
                )
            for note in r.notes:
                click.echo(f"  note: {note}")
    if strict and any(r.verdict != "confirmed" for r in reports):
        sys.exit(1)
