"""``incgeo show MODEL``: print a model's equations, parameters and domains."""

from __future__ import annotations

import json

import click

from ._common import resolve_model

__all__ = ["show"]


@click.command()
@click.argument("model")
@click.option("--latex", "fmt", flag_value="latex", help="Print the equations as LaTeX.")
@click.option("--json", "fmt", flag_value="json", help="Print a JSON record of the model.")
def show(model: str, fmt: str | None) -> None:
    """Print MODEL (a .toml file or a library name): equations, parameters, domains."""
    m = resolve_model(model)
    if fmt == "json":
        click.echo(json.dumps(m.to_dict(), indent=2))
    elif fmt == "latex":
        click.echo(m.to_latex())
    else:
        click.echo(str(m))
        if m.description:
            click.echo("\n" + m.description)
        if m.references:
            click.echo("references:")
            for ref in m.references:
                click.echo(f"  - {ref}")
