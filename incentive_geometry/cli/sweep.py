"""``incgeo sweep MODEL --grid theta=0:1:201 ...``: a stability map over parameters."""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from incentive_geometry.errors import ModelError

from ._common import check_output_path, parse_assignments, resolve_model

__all__ = ["parse_grid", "parse_label", "sweep"]


def parse_grid(item: str) -> tuple[str, Any]:
    """Read ``name=lo:hi:n`` into a name and ``n`` evenly spaced values.

    Parameters
    ----------
    item : str

    Returns
    -------
    tuple of (str, numpy.ndarray)

    Raises
    ------
    ModelError
        For a malformed item.

    Examples
    --------
    >>> from incentive_geometry.cli.sweep import parse_grid
    >>> name, values = parse_grid("theta=0:1:5")
    >>> name, values.tolist()
    ('theta', [0.0, 0.25, 0.5, 0.75, 1.0])
    """
    import numpy as np

    name, sep, spec = item.partition("=")
    parts = spec.split(":")
    if not sep or not name.strip() or len(parts) != 3:
        raise ModelError(f"--grid {item}: expected name=lo:hi:n, e.g. --grid theta=0:1:201")
    try:
        lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ModelError(f"--grid {item}: lo and hi must be numbers and n an integer") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or n < 1 or n > 100_000:
        raise ModelError(f"--grid {item}: need finite lo, hi and 1 <= n <= 100000")
    return name.strip(), np.linspace(lo, hi, n)


def parse_label(item: str) -> tuple[str, dict[str, float]]:
    """Read ``name:state=value[,state=value]`` into a label for an equilibrium.

    Parameters
    ----------
    item : str

    Returns
    -------
    tuple of (str, dict)

    Raises
    ------
    ModelError
        For a malformed item.

    Examples
    --------
    >>> from incentive_geometry.cli.sweep import parse_label
    >>> parse_label("aligned:x=0")
    ('aligned', {'x': 0.0})
    """
    name, sep, spec = item.partition(":")
    if not sep or not name.strip():
        raise ModelError(f"--label {item}: expected name:state=value, e.g. aligned:x=0")
    coords: dict[str, float] = {}
    for part in spec.split(","):
        state, eq, value = part.partition("=")
        if not eq or not state.strip():
            raise ModelError(f"--label {item}: expected name:state=value, e.g. aligned:x=0")
        try:
            coords[state.strip()] = float(value)
        except ValueError:
            raise ModelError(f"--label {item}: `{value}` is not a number") from None
    return name.strip(), coords


def _echo_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    # `warnings.showwarning` for the command: the message alone, no source line.
    click.echo(f"warning: {message}", err=True)


@click.command()
@click.argument("model")
@click.option(
    "--grid",
    "grids",
    multiple=True,
    metavar="NAME=LO:HI:N",
    help="A grid axis; repeat for each swept parameter.",
)
@click.option(
    "--sample",
    "sample",
    type=click.Path(dir_okay=False),
    default=None,
    help="A CSV table of parameter sets (header: parameter names) instead of a grid.",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Value of a parameter that is not swept.",
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="NAME:STATE=VALUE",
    help="Name an equilibrium, e.g. --label aligned:x=0; classes use the names.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "closed_form", "numeric"]),
    default="auto",
    show_default=True,
    help="Closed-form equilibria from the symbolic engine, or Newton.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Stream the map to this .npz file as its chunks finish (a map larger than memory "
    "fits); finished chunks are kept and a rerun resumes.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="Draw the region map (2-D grids) to this PNG or SVG file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run the chunks on this Dask scheduler (e.g. tcp://127.0.0.1:8786).",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Process-pool workers (0: run in this process). Default: automatic.",
)
@click.option("--chunk-size", type=int, default=20_000, show_default=True)
@click.option(
    "--timeout",
    type=float,
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Time budget: a sweep whose pilot chunk says it would take longer is refused with "
    "the estimate (0: no limit). Also the symbolic engine's budget.",
)
@click.option(
    "--eigenvalues/--no-eigenvalues",
    default=True,
    show_default=True,
    help="Eigenvalues at every equilibrium; --no-eigenvalues decides flows of 3 or more "
    "states by Routh-Hurwitz (faster, same classes; eigenvalues only near boundaries).",
)
@click.option(
    "--compiled/--no-compiled",
    default=None,
    help="Compile the closed-form sweep into one numba pass per chunk (the same map); "
    "default: when the kernel is ready or the sweep has 2e7 points or more.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar (default: when stderr is a terminal).",
)
def sweep(
    model: str,
    grids: tuple[str, ...],
    sample: str | None,
    assignments: tuple[str, ...],
    labels: tuple[str, ...],
    method: str,
    out: str | None,
    plot: str | None,
    as_json: bool,
    scheduler: str | None,
    workers: int | None,
    chunk_size: int,
    timeout: float,
    eigenvalues: bool,
    compiled: bool | None,
    progress: bool | None,
) -> None:
    """Classify every parameter point of MODEL by its stable equilibria.

    Example: incgeo sweep examples/entrenchment.toml --grid theta=0:1:201 --grid gamma=0:2:201
    --label aligned:x=0 --label entrenched:x=1 --plot map.png --out map.npz
    """
    import concurrent.futures as cf

    import numpy as np

    from incentive_geometry.solvers.numeric.executors import process_pool
    from incentive_geometry.solvers.numeric.sweep import sweep as run_sweep

    check_output_path(out, option="--out")
    check_output_path(plot, option="--plot")
    m = resolve_model(model)
    fixed = parse_assignments(assignments, m)
    if bool(grids) == bool(sample):
        raise ModelError("give either --grid (one per swept parameter) or --sample FILE")
    names = None
    if grids:
        points: Any = {}
        for item in grids:
            name, axis = parse_grid(item)
            if name in points:
                # A second axis for one parameter would silently replace the first.
                raise ModelError(
                    f"--grid `{name}` is given twice; give one --grid per swept parameter"
                )
            points[name] = axis
    else:
        path = Path(str(sample))
        if not path.is_file():
            raise ModelError(f"--sample `{path}` does not exist")
        with path.open() as fh:
            header = fh.readline().strip().split(",")
        try:
            points = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        except ValueError as err:
            raise ModelError(f"--sample `{path}`: not a numeric CSV table ({err})") from None
        names = [h.strip() for h in header]
    label_map = dict(parse_label(item) for item in labels)
    executor: Any = None
    client = None
    if scheduler is not None:
        try:
            from dask.distributed import Client
        except ImportError:
            raise ModelError(
                "--scheduler needs Dask: pip install 'incentive-geometry[dask]'"
            ) from None
        client = Client(scheduler, timeout="20s")
        executor = client
    elif workers is not None:
        if workers < 0:
            raise ModelError(f"--workers must be >= 0, got {workers}")
        # Workers exit by themselves if this process is killed (kill -9 included).
        executor = "serial" if workers == 0 else process_pool(workers)
    if not timeout >= 0:  # also NaN
        raise ModelError(f"--timeout must be >= 0 seconds (0: no limit), got {timeout:g}")
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with warnings.catch_warnings():
            # A warning of the sweep (a damaged chunk file recomputed, a lost worker retried)
            # is one line on stderr, shown when it happens; the run goes on.
            warnings.showwarning = _echo_warning
            sm = run_sweep(
                m,
                points,
                names=names,
                params=fixed,
                labels=label_map or None,
                method=method,
                executor=executor,
                chunk_size=chunk_size,
                out=out,
                progress=show,
                timeout=timeout or None,
                eigenvalues=eigenvalues,
                compiled=compiled,
            )
    except KeyboardInterrupt:
        where = f" in {out}.parts" if out else ""
        click.echo(
            f"interrupted: finished chunks are kept{where}; rerun the same command to resume"
            if out
            else "interrupted (use --out FILE to keep finished chunks)",
            err=True,
        )
        sys.exit(130)
    finally:
        if isinstance(executor, cf.Executor):
            executor.shutdown(wait=False, cancel_futures=True)
        if client is not None:
            client.close()
    if plot:
        sm.plot(plot)
    summary = {
        "model": sm.model_name,
        "points": int(sm.values.shape[0]),
        "parameters": list(sm.parameter_names),
        "fixed": sm.fixed,
        "method": sm.method,
        "classes": sm.counts,
        "equilibria": list(sm.equilibrium_labels),
        "boundaries": [{"equilibrium": a, "zero_of": b} for a, b in sm.boundaries],
        "seconds": round(sm.seconds, 3),
        "out": os.fspath(out) if out else None,
        "plot": os.fspath(plot) if plot else None,
        "notes": list(sm.notes),
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(
        f"{sm.model_name}: {summary['points']} points over "
        f"{', '.join(sm.parameter_names)} ({sm.method}, {sm.seconds:.2f} s)"
    )
    width = max(len(k) for k in sm.counts)
    for name, count in sm.counts.items():
        click.echo(f"  {name:<{width}}  {count:>9}  {100 * count / sm.values.shape[0]:5.1f}%")
    for label, expr in sm.boundaries:
        click.echo(f"  boundary of {label}: {expr} = 0")
    for note in sm.notes:
        click.echo(f"  note: {note}")
    if out:
        click.echo(f"wrote {out}")
    if plot:
        click.echo(f"wrote {plot}")
