"""``incgeo graph MODEL``: the signed interaction graph, its circuits and Thomas' rules.

Prints every edge of the model's signed interaction graph (with the origin of its sign), every
circuit with its sign and loop gain, and what Thomas' rules conclude (multistationarity,
sustained oscillation); ``--plot FILE`` draws the graph (``.png``, ``.svg`` or ``.pdf``).
"""

from __future__ import annotations

import json

import click

from ._common import check_output_path, parse_assignments, resolve_model

__all__ = ["graph"]


@click.command()
@click.argument("model")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Parameter values for signs decided numerically (repeatable).",
)
@click.option(
    "--plot",
    "plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="Draw the signed interaction graph to FILE (.png, .svg or .pdf).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON record instead of text.")
def graph(model: str, assignments: tuple[str, ...], plot: str | None, as_json: bool) -> None:
    """Print the circuits of MODEL's signed interaction graph and Thomas' rules on them.

    MODEL is a .toml file or a library name. Signs are decided symbolically for parameters in
    their domains where possible, otherwise numerically at the defaults (or --set values).
    """
    from incentive_geometry.solvers.structure import thomas_report

    check_output_path(plot, option="--plot")
    m = resolve_model(model)
    params = parse_assignments(assignments, m)
    report = thomas_report(m, params or None)
    if as_json:
        g = report.graph
        record = {
            "model": report.model,
            "time": report.time,
            "edges": [
                {
                    "from": u,
                    "to": v,
                    "sign": d["sign"],
                    "origin": d["origin"],
                    "entry": str(d["entry"]),
                }
                for u, v, d in sorted(g.edges(data=True))
            ],
            "circuits": [
                {"nodes": list(c.nodes), "sign": c.sign, "gain": str(c.gain)}
                for c in report.circuits
            ],
            "multistationarity_excluded": report.multistationarity_excluded,
            "oscillation_excluded": report.oscillation_excluded,
            "conclusions": list(report.conclusions),
        }
        click.echo(json.dumps(record, indent=2))
    else:
        click.echo(str(report))
    if plot:
        from incentive_geometry.solvers.numeric.graph_plots import plot_interaction_graph

        plot_interaction_graph(report.graph, path=plot)
        if not as_json:
            click.echo(f"graph drawn to {plot}")
