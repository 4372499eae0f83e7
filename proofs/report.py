"""Running the catalogue and writing its report (Markdown, JSON, figures).

:func:`verify` checks every entry of the catalogue and :func:`write_report` writes
``report.md`` (a summary table, then each claim with its derivation, counterexamples and notes,
and the figures), ``report.json`` (every report as data) and ``figures/*.png``.

Examples
--------
>>> import tempfile, pathlib
>>> from incentive_geometry.proofs.report import verify
>>> result = verify(samples=8, only="C1.aligned", figures=False, out=pathlib.Path(tempfile.mkdtemp()))
>>> result.reports[0].verdict
'confirmed'
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import Entry, catalogue
from .check import CheckReport, check

__all__ = ["Verification", "verify", "write_report"]


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`.

    Attributes
    ----------
    entries : tuple of Entry
    reports : tuple of CheckReport
    figures : dict of str to Path
    figure_errors : dict of str to str
    markdown, json_path : Path or None
        The files written (None when no output folder was given).
    seconds : float

    Examples
    --------
    >>> from incentive_geometry.proofs.report import Verification
    >>> Verification((), ()).counts
    {}
    """

    entries: tuple[Entry, ...]
    reports: tuple[CheckReport, ...]
    figures: dict[str, Path] = field(default_factory=dict)
    figure_errors: dict[str, str] = field(default_factory=dict)
    markdown: Path | None = None
    json_path: Path | None = None
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        """Number of claims per verdict."""
        out: dict[str, int] = {}
        for r in self.reports:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out


def verify(
    *,
    samples: int = 256,
    seed: int = 0,
    only: str | None = None,
    out: Path | None = None,
    figures: bool = True,
    executor: Any = None,
    progress: Callable[[Entry], None] | None = None,
) -> Verification:
    """Check the catalogue (or the claims matching `only`) and write the report into `out`.

    Parameters
    ----------
    samples : int
        Samples per claim (each entry takes its share, see :meth:`Entry.samples`).
    seed : int
    only : str, optional
        Keep claims whose name or family contains this text.
    out : Path, optional
        Folder for ``report.md``, ``report.json`` and ``figures/``.
    figures : bool
        Draw the figures (only with `out`).
    executor : optional
        Passed to :func:`incentive_geometry.check`.
    progress : callable, optional
        Called with each entry after it is checked.

    Returns
    -------
    Verification

    Raises
    ------
    ModelError
        When `only` matches no claim.

    Examples
    --------
    >>> from incentive_geometry.proofs.report import verify
    >>> verify(samples=8, only="C6.depth_1", figures=False).counts
    {'confirmed': 1}
    """
    from incentive_geometry.errors import ModelError

    started = time.perf_counter()
    entries = catalogue(only)
    if not entries:
        names = ", ".join(e.claim.name for e in catalogue())
        raise ModelError(f"--only {only!r} matches no claim; the claims are: {names}")
    reports = []
    for entry in entries:
        reports.append(
            check(entry.claim, samples=entry.samples(samples), seed=seed, executor=executor)
        )
        if progress is not None:
            progress(entry)
    drawn: dict[str, Path] = {}
    failed: dict[str, str] = {}
    md = js = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        if figures:
            from .figures import make_figures

            drawn, failed = make_figures(out / "figures")
        result = Verification(
            tuple(entries), tuple(reports), drawn, failed, seconds=time.perf_counter() - started
        )
        md, js = write_report(result, out, samples=samples, seed=seed)
    return Verification(
        tuple(entries), tuple(reports), drawn, failed, md, js, time.perf_counter() - started
    )


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}g}"


def _ci(r: CheckReport) -> str:
    lo, hi = r.interval
    return f"{r.agreement:.3f} [{lo:.3f}, {hi:.3f}]"


def _table(reports: Sequence[CheckReport], entries: Sequence[Entry]) -> list[str]:
    lines = [
        "| claim | family | verdict | agreement [95% CI] | samples (compared) | boundary error | max rel. error | min p | time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e, r in zip(entries, reports, strict=True):
        lines.append(
            f"| [{r.claim}](#{_anchor(r.claim)}) | {e.family} | **{r.verdict}** | {_ci(r)} | "
            f"{r.samples} ({r.evaluated}) | {_fmt(r.boundary_error)} | {_fmt(r.max_relative_error)} | "
            f"{_fmt(r.min_p_value)} | {r.seconds:.1f} s |"
        )
    return lines


def _anchor(name: str) -> str:
    return name.lower().replace(".", "")


def _params(values: dict[str, float]) -> str:
    return ", ".join(f"{k} = {v:.6g}" for k, v in values.items()) or "(the model's fixed values)"


def write_report(result: Verification, out: Path, *, samples: int, seed: int) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.json`` for a verification into `out`.

    Parameters
    ----------
    result : Verification
    out : Path
    samples, seed : int
        The settings, recorded in the report.

    Returns
    -------
    tuple of Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.proofs.report import verify
    >>> res = verify(samples=8, only="C6.depth_1", figures=False, out=pathlib.Path(tempfile.mkdtemp()))
    >>> "C6.depth_1" in res.markdown.read_text()
    True
    """
    counts = result.counts
    lines = [
        "# incentive-geometry: verification report",
        "",
        f"{len(result.reports)} claims checked against numerical observations "
        f"(base samples {samples}, seed {seed}, {result.seconds:.0f} s): "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + ".",
        "",
        "Each claim pairs an analytic prediction with a numerical observation that decides the same "
        "thing without the formula. *Agreement* is the share of compared samples where the two agree "
        "(95% Wilson interval); *boundary error* is the largest gap, in units of the sampled box, "
        "between the observed and the predicted boundary along rays; value claims report the largest "
        "relative error, stochastic claims the smallest p-value (exact binomial or t-test per point, "
        "Bonferroni over the points). Points closer to the predicted boundary than the claim's "
        "tolerance are left out and counted.",
        "",
        *_table(result.reports, result.entries),
        "",
    ]
    if result.figures or result.figure_errors:
        lines += ["## Figures", ""]
        for name, path in result.figures.items():
            lines += [
                f"### {name.replace('_', ' ')}",
                "",
                f"![{name}]({path.relative_to(out).as_posix()})",
                "",
            ]
        for name, why in result.figure_errors.items():
            lines += [f"- figure `{name}` could not be drawn: {why}"]
        lines.append("")
    lines += ["## Claims", ""]
    for e, r in zip(result.entries, result.reports, strict=True):
        lines += [
            f"### {r.claim}",
            "",
            f"*{e.family}.* {r.statement}",
            "",
            f"- prediction ({r.kind}): `{r.prediction}`",
            f"- verdict: **{r.verdict}**: {r.reason}",
        ]
        if e.reading:
            lines.append(f"- how to read it: {e.reading}")
        lines.append(
            f"- samples {r.samples}, compared {r.evaluated}, left out near the boundary {r.excluded}, "
            f"observation failed {r.failed}; boundary rays {r.boundary_rays}"
        )
        if r.confusion:
            lines.append(
                "- confusion: " + ", ".join(f"{k}: {v}" for k, v in sorted(r.confusion.items()))
            )
        if e.claim.references:
            lines.append("- references: " + "; ".join(e.claim.references))
        if r.derivation:
            lines += ["", "Derivation:", ""]
            for i, step in enumerate(r.derivation, 1):
                mark = "verified" if step.verified else "NOT verified"
                lines.append(f"{i}. {step.description} ({mark}): {step.detail}")
        if r.counterexamples:
            lines += ["", "Counterexamples:", ""]
            for ce in r.counterexamples:
                lines.append(
                    f"- at {_params(ce.params)}: predicted {ce.predicted!r}, observed "
                    f"{ce.observed if not hasattr(ce.observed, 'shape') else 'Monte Carlo draws'}"
                    f"; {ce.evidence} (refinement: {ce.refinement}; found at {_params(ce.original)})"
                )
        for note in r.notes:
            lines.append(f"- note: {note}")
        lines.append("")
    md = out / "report.md"
    md.write_text("\n".join(lines))
    record = {
        "samples": samples,
        "seed": seed,
        "seconds": result.seconds,
        "counts": counts,
        "claims": [
            dict(r.to_dict(), family=e.family, reading=e.reading)
            for e, r in zip(result.entries, result.reports, strict=True)
        ],
        "figures": {k: v.relative_to(out).as_posix() for k, v in result.figures.items()},
        "figure_errors": result.figure_errors,
    }
    js = out / "report.json"
    js.write_text(json.dumps(record, indent=2))
    return md, js
