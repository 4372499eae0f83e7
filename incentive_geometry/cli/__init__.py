"""The ``incgeo`` command line.

Each command lives in a module of this package and is added to :data:`cli` below. Exit codes:
0 success, 2 bad input (the message on stderr, no traceback), 1 internal failure.

Examples
--------
>>> from click.testing import CliRunner
>>> from incentive_geometry.cli import cli
>>> result = CliRunner().invoke(cli, ["--help"])
>>> result.exit_code, "show" in result.output
(0, True)
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

import click

from incentive_geometry import __version__
from incentive_geometry.errors import IncentiveGeometryError, ModelError

from .check import check
from .continuation import continue_
from .derive import derive
from .graph import graph
from .models import models
from .show import show
from .simulate import simulate
from .sweep import sweep
from .verify import verify

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "cli", "main"]

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="incgeo")
def cli() -> None:
    """incentive-geometry: derive the conditions of a feedback model, then confirm them.

    A MODEL argument is a model file (.toml) or the name of a model of the library
    (see `incgeo models`).
    """


cli.add_command(check)
cli.add_command(models)
cli.add_command(show)
cli.add_command(derive)
cli.add_command(sweep)
cli.add_command(verify)
cli.add_command(simulate)
cli.add_command(continue_)
cli.add_command(graph)


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``incgeo`` and exit with 0 (ok), 2 (bad input) or 1 (internal failure).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Examples
    --------
    >>> from incentive_geometry.cli import main
    >>> try:
    ...     main(["show", "no/such/model.toml"])
    ... except SystemExit as stop:
    ...     stop.code
    2
    """
    try:
        code = cli.main(
            args=list(argv) if argv is not None else None, prog_name="incgeo", standalone_mode=False
        )
    except click.exceptions.Exit as stop:
        code = stop.exit_code
    except click.ClickException as err:
        err.show()
        code = EXIT_BAD_INPUT
    except (click.Abort, KeyboardInterrupt):
        click.echo("incgeo: interrupted", err=True)
        code = 130
    except ModelError as err:
        click.echo(f"error: {err}", err=True)
        code = EXIT_BAD_INPUT
    except IncentiveGeometryError as err:
        click.echo(f"error: {err}", err=True)
        code = EXIT_INTERNAL
    except Exception as err:  # the last guard of the CLI: report, never a raw traceback
        click.echo(f"internal error: {type(err).__name__}: {err}", err=True)
        if os.environ.get("INCGEO_DEBUG"):
            traceback.print_exc()
        else:
            click.echo("(set INCGEO_DEBUG=1 to see the traceback)", err=True)
        code = EXIT_INTERNAL
    sys.exit(code if isinstance(code, int) else 0)
