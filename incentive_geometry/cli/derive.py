"""``incgeo derive MODEL``: equilibria, existence, stability, bifurcations and thresholds."""

from __future__ import annotations

import json
from typing import Any

import click
import sympy

from incentive_geometry.language import to_text

from ._common import parse_assignments, resolve_model

__all__ = ["derivation", "derive"]


def derivation(model: Any, *, timeout: float | None = None) -> dict[str, Any]:
    """The four symbolic results for `model` as a plain record (expressions as model text).

    Parameters
    ----------
    model : Model
    timeout : float, optional
        Seconds allowed for each symbolic step.

    Returns
    -------
    dict
        ``{"model", "time", "complete", "message", "equilibria": [...]}``; each equilibrium has
        ``point``, ``exists``, ``stable``, ``eigenvalues``, ``bifurcations`` and ``thresholds``.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.cli.derive import derivation
    >>> m = ig.Model.from_equations({"x": "r*x - x**3"}, parameters={"r": 1})
    >>> rec = derivation(m)
    >>> rec["equilibria"][0]["point"], rec["equilibria"][0]["stable"]
    ({'x': '0'}, 'r < 0')
    """
    from incentive_geometry.solvers.symbolic import bifurcations, equilibria, stability, threshold

    eqs = equilibria(model, timeout=timeout, partial=True)
    out: list[dict[str, Any]] = []
    for eq in eqs:
        st = stability(model, eq, timeout=timeout)
        bifs = []
        for b in bifurcations(model, eq, timeout=timeout):
            item: dict[str, Any] = {"kind": b.kind, "condition": to_text(b.condition)}
            if b.lyapunov_coefficient is not None:
                item["lyapunov_coefficient"] = to_text(b.lyapunov_coefficient)
                item["supercritical"] = to_text(b.supercritical)
                item["on"] = {str(k): to_text(v) for k, v in b.on.items()}
                item["normalization"] = b.normalization
            bifs.append(item)
        thresholds: dict[str, list[dict[str, str]]] = {}
        for p in model.parameters:
            if p.symbol not in st.condition.free_symbols:
                continue
            th = threshold(model, eq, p.name, timeout=timeout)
            if th.solutions:
                thresholds[p.name] = [
                    {"value": to_text(s.value), "from": to_text(s.source)} for s in th.solutions
                ]
        out.append(
            {
                "point": {str(s): to_text(v) for s, v in eq.point.items()},
                "exists": to_text(eq.exists),
                "stable": to_text(st.condition),
                "eigenvalues": None
                if st.eigenvalues is None
                else [to_text(v) for v in st.eigenvalues],
                "bifurcations": bifs,
                "thresholds": thresholds,
            }
        )
    return {
        "model": model.name,
        "time": model.time,
        "complete": eqs.complete,
        "message": eqs.message,
        "equilibria": out,
    }


def _words(text: str) -> str:
    """Conditions that are always true or false, in words (the record keeps parseable text)."""
    return {"0 == 0": "always", "0 == 1": "never"}.get(text, text)


def _latex_condition(cond: Any) -> str:
    if cond is sympy.true:
        return "\\text{always}"
    if cond is sympy.false:
        return "\\text{never}"
    return str(sympy.latex(cond))


def _latex(model: Any, record: dict[str, Any], eqs: Any) -> str:
    from incentive_geometry.solvers.symbolic import bifurcations, stability, threshold

    lines = [f"% incgeo derive: {model.name}", "\\begin{itemize}"]
    for eq in eqs:
        st = stability(model, eq)
        point = ", ".join(f"{sympy.latex(s)} = {sympy.latex(v)}" for s, v in eq.point.items())
        lines.append(f"\\item Equilibrium $\\left({point}\\right)$.")
        lines.append(f"  Exists when ${_latex_condition(eq.exists)}$;")
        lines.append(f"  asymptotically stable when ${_latex_condition(st.condition)}$.")
        for b in bifurcations(model, eq):
            extra = ""
            if b.lyapunov_coefficient is not None:
                extra = f", first Lyapunov coefficient $\\ell_1 = {sympy.latex(b.lyapunov_coefficient)}$"
            lines.append(
                f"  {b.kind.replace('_', '-').capitalize()} at ${sympy.latex(b.condition)}${extra}."
            )
        for p in model.parameters:
            if p.symbol not in st.condition.free_symbols:
                continue
            for s in threshold(model, eq, p.name):
                lines.append(f"  Threshold ${sympy.latex(p.symbol)}^* = {sympy.latex(s.value)}$.")
    lines.append("\\end{itemize}")
    return "\n".join(lines)


@click.command()
@click.argument("model")
@click.option("--latex", "fmt", flag_value="latex", help="Print a LaTeX fragment for a paper.")
@click.option(
    "--json", "fmt", flag_value="json", help="Print a JSON record (expressions as model text)."
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Fix a parameter at a value before deriving (repeatable).",
)
@click.option("--timeout", type=float, default=None, help="Seconds allowed per symbolic step.")
def derive(
    model: str, fmt: str | None, assignments: tuple[str, ...], timeout: float | None
) -> None:
    """Derive MODEL's equilibria, existence and stability conditions, bifurcations, thresholds."""
    from incentive_geometry.solvers.symbolic import equilibria

    m = resolve_model(model)
    values = parse_assignments(assignments, m)
    if values:
        m = m.with_parameters(**values)
    record = derivation(m, timeout=timeout)
    if fmt == "json":
        click.echo(json.dumps(record, indent=2))
        return
    if fmt == "latex":
        click.echo(_latex(m, record, equilibria(m, timeout=timeout, partial=True)))
        return
    click.echo(
        f"{m.name} ({m.time} time): {len(record['equilibria'])} equilibria"
        + ("" if record["complete"] else f" (INCOMPLETE: {record['message']})")
    )
    for k, e in enumerate(record["equilibria"], 1):
        point = ", ".join(f"{s} = {v}" for s, v in e["point"].items())
        click.echo(f"\n[{k}] equilibrium  {point}")
        click.echo(f"    exists when   {_words(e['exists'])}")
        click.echo(f"    stable when   {_words(e['stable'])}")
        if e["eigenvalues"] is not None:
            click.echo(f"    eigenvalues   {', '.join(e['eigenvalues'])}")
        for b in e["bifurcations"]:
            click.echo(f"    {b['kind']:<14}{b['condition']}")
            if "lyapunov_coefficient" in b:
                click.echo(
                    f"    {'':<14}first Lyapunov coefficient l1 = {b['lyapunov_coefficient']}"
                    f"  (supercritical: {_words(b['supercritical'])})"
                )
        for name, sols in e["thresholds"].items():
            for s in sols:
                click.echo(f"    threshold     {name}* = {s['value']}   (boundary of {s['from']})")
