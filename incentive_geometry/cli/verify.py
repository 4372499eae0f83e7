"""``incgeo verify``: check the catalogue of claims and write the report."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["verify"]


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for report.md, report.json and figures/ [default: verify-report; with --only, "
    "verify-report/only-<TEXT>, so a partial run never overwrites the full report].",
)
@click.option(
    "--samples",
    type=click.IntRange(min=8),
    default=256,
    show_default=True,
    help="Samples per claim (expensive claims take a share of it).",
)
@click.option(
    "--only", default=None, help="Check only claims whose name or family contains this text."
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--concentrate",
    type=click.FloatRange(0.0, 0.9),
    default=0.5,
    show_default=True,
    help="Share of each condition claim's samples placed next to its predicted boundary.",
)
@click.option("--figures/--no-figures", default=True, show_default=True)
@click.option(
    "--extended",
    is_flag=True,
    help="Also check the claims too costly for the default 3-minute run (C3's amplifier claims).",
)
@click.option("--strict", is_flag=True, help="Exit with 1 when a claim is refuted or inconclusive.")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
def verify(
    out: str | None,
    samples: int,
    only: str | None,
    seed: int,
    concentrate: float,
    figures: bool,
    extended: bool,
    strict: bool,
    progress: bool | None,
) -> None:
    """Check the paper's and the classical claims against simulation; write a report."""
    import shlex
    import warnings

    from tqdm import tqdm

    from incentive_geometry.proofs.catalogue import catalogue
    from incentive_geometry.proofs.report import only_folder
    from incentive_geometry.proofs.report import verify as run

    folder = Path(out) if out is not None else Path("verify-report")
    if out is None and only:
        folder = only_folder(folder, only)
    # The command that reproduces this report, every setting spelled out (defaults included).
    words = ["incgeo", "verify", "--out", folder.as_posix(), "--samples", str(samples)]
    words += ["--seed", str(seed), "--concentrate", f"{concentrate:g}"]
    words += ["--only", only] if only else []
    words.append("--figures" if figures else "--no-figures")
    words += ["--extended"] if extended else []
    command = shlex.join(words)

    show = sys.stderr.isatty() if progress is None else progress
    total = len(catalogue(only, extended=extended))
    # No tqdm monitor thread: the claims are checked in forked processes, which stay serial
    # while other threads run (proofs.report.verify, solvers.symbolic.budget.map_forked).
    tqdm.monitor_interval = 0
    bar = tqdm(total=total, desc="claims", unit="claim", disable=not show, leave=False)

    def advance(entry: object) -> None:
        bar.set_postfix_str(getattr(getattr(entry, "claim", None), "name", ""), refresh=False)
        bar.update(1)

    with warnings.catch_warnings():
        # Solvers warn near bifurcation points, which checks visit on purpose.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = run(
            samples=samples,
            seed=seed,
            only=only,
            out=folder,
            figures=figures,
            progress=advance,
            command=command,
            concentrate=concentrate,
            extended=extended,
        )
    bar.close()
    width = max(len(r.claim) for r in result.reports)
    for r in result.reports:
        click.echo(
            f"{r.claim:<{width}}  {r.verdict:<12}  agreement {r.agreement:.3f}  "
            f"({r.evaluated} compared)  [{r.rule}]"
        )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
    click.echo(f"\n{len(result.reports)} claims in {result.seconds:.0f} s: {counts}")
    for name, why in result.figure_errors.items():
        click.echo(f"figure {name} failed: {why}", err=True)
    click.echo(f"wrote {result.markdown} and {result.json_path}")
    if strict and any(r.verdict != "confirmed" for r in result.reports):
        sys.exit(1)
