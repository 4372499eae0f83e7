"""``incgeo models``: list the model library."""

from __future__ import annotations

import click

from ._common import library

__all__ = ["models"]


@click.command()
def models() -> None:
    """List the models of the library, one line each."""
    entries = library()
    if not entries:
        click.echo("The model library is empty.")
        return
    width = max(len(name) for name in entries)
    for name, factory in sorted(entries.items()):
        doc = (getattr(factory, "__doc__", None) or "").strip().splitlines()
        summary = doc[0].strip() if doc else ""
        click.echo(f"{name:<{width}}  {summary}")
