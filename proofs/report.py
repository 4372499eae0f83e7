"""Running the catalogue and writing its report (Markdown, JSON, figures).

:func:`verify` checks every entry of the catalogue and :func:`write_report` writes
``report.md`` (a summary table, how to reproduce it (command, seed, versions), the verdict
rules, then each claim with its model, box, verdict rule, derivation and certificates,
counterexamples and notes, and the figures), ``report.json`` (every report as data) and
``figures/*.png``. ``incgeo verify --only TEXT`` writes into ``<out>/only-<TEXT>/`` by default
(:func:`only_folder`), so a partial run never overwrites the full report.

Examples
--------
>>> import tempfile, pathlib
>>> from incentive_geometry.proofs.report import verify
>>> result = verify(samples=8, only="C1.aligned", figures=False, out=pathlib.Path(tempfile.mkdtemp()))
>>> result.reports[0].verdict
'confirmed'
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import incentive_geometry.display as display

from .catalogue import Entry, catalogue
from .check import CheckReport, check

__all__ = ["Verification", "environment", "model_record", "only_folder", "verify", "write_report"]


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


def environment() -> dict[str, str]:
    """Versions of the toolkit and of what its results depend on (Python, sympy, scipy, numpy,
    z3), for the report.

    Examples
    --------
    >>> from incentive_geometry.proofs.report import environment
    >>> sorted(environment())[:3]
    ['incentive_geometry', 'numpy', 'platform']
    """
    from importlib.metadata import version

    import numpy
    import scipy
    import sympy

    out = {
        # The installed distribution's version (proofs/ does not import the package facade).
        "incentive_geometry": version("incentive-geometry"),
        "python": platform.python_version(),
        "sympy": sympy.__version__,
        "scipy": scipy.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
    }
    try:
        import z3

        out["z3"] = z3.get_version_string()
    except ImportError:  # a declared dependency; recorded as missing rather than failing
        out["z3"] = "not installed"
    return out


def model_record(model: Any) -> dict[str, str]:
    """A model as text (its equations and parameter defaults) and the SHA-256 of that text.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.report import model_record
    >>> rec = model_record(entrenchment())
    >>> rec["text"].splitlines()[1], len(rec["sha256"])
    ('dx/dt = x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x) - c*theta)', 64)
    """
    from incentive_geometry.language import to_text

    if model is None:
        return {"name": "(no model)", "text": "", "sha256": ""}
    lhs = "d{}/dt" if model.time == "continuous" else "{}_next"
    lines = [f"model {model.name} ({model.time} time)"]
    lines += [
        f"{lhs.format(s)} = {to_text(f)}" for s, f in zip(model.state_names, model.rhs, strict=True)
    ]
    lines += [f"parameter {p.name} = {p.default} ({p.domain.kind})" for p in model.parameters]
    text = "\n".join(lines)
    return {
        "name": str(model.name),
        "text": text,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def only_folder(base: Path, only: str) -> Path:
    """Where ``incgeo verify --only TEXT`` writes by default: ``base/only-<TEXT>`` (so a partial
    run never overwrites the full report in `base`).

    Examples
    --------
    >>> from pathlib import Path
    >>> from incentive_geometry.proofs.report import only_folder
    >>> only_folder(Path("verify-report"), "C1.").as_posix()
    'verify-report/only-C1'
    """
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", only).strip("._-") or "claims"
    return base / f"only-{slug}"


#: What each verdict says about the paper's (or the textbook's) statement.
MEANING = {
    "confirmed": "the statement survived a check that could have refuted it: no sampled point "
    "disagrees, and the disagreeing share of the box is below the stated bound (95%)",
    "refuted": "the statement is false as stated at the counterexample shown (re-run the point "
    "to see it)",
    "inconclusive": "the check could not decide: it says nothing for or against the statement",
}


def verify(
    *,
    samples: int = 256,
    seed: int = 0,
    only: str | None = None,
    out: Path | None = None,
    figures: bool = True,
    executor: Any = None,
    progress: Callable[[Entry], None] | None = None,
    command: str | None = None,
    concentrate: float = 0.5,
    extended: bool = False,
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
    command : str, optional
        The command line recorded in the report (default: this process's ``sys.argv``).
    concentrate : float
        Share of each condition claim's samples placed next to its predicted boundary (see
        :func:`incentive_geometry.check`); these points cost more to observe where the
        observation simulates (slow dynamics near a threshold).
    extended : bool
        Also the claims too costly for the default budget (see
        :func:`~incentive_geometry.proofs.catalogue.catalogue`).

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
    entries = catalogue(only, extended=extended)
    if not entries:
        if not extended and catalogue(only, extended=True):
            raise ModelError(
                f"--only {only!r} matches only claims of the extended catalogue (too costly for "
                "the default run): pass --extended (Python: extended=True)"
            )
        names = ", ".join(e.claim.name for e in catalogue())
        raise ModelError(f"--only {only!r} matches no claim; the claims are: {names}")
    # The claims are independent: with no executor they are checked on every core (forked
    # processes taking the next claim when done, results in catalogue order, so the report is
    # the same as a serial run's; serial with one core or INCENTIVE_GEOMETRY_SYMBOLIC_WORKERS=1).
    parent = os.getpid()
    shown: set[int] = set()

    def one(i: int) -> Any:
        entry = entries[i]
        report = check(
            entry.claim,
            samples=entry.samples(samples),
            seed=seed,
            executor=executor,
            concentrate=concentrate,
        )
        if progress is not None and os.getpid() == parent:
            progress(entry)
            shown.add(i)
        return report

    indices = list(range(len(entries)))
    if executor is None:
        from incentive_geometry.solvers.symbolic.budget import map_forked

        reports = map_forked(one, indices, min_items=2)
    else:
        reports = [one(i) for i in indices]
    if progress is not None:
        for i in indices:
            if i not in shown:  # checked in another process
                progress(entries[i])
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
        md, js = write_report(
            result,
            out,
            samples=samples,
            seed=seed,
            only=only,
            command=command,
            concentrate=concentrate,
        )
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


def _words(prediction: str) -> str:
    """A prediction as the report prints it: constant conditions in words.

    Examples
    --------
    >>> from incentive_geometry.proofs.report import _words
    >>> _words("0 == 1"), _words("0 == 0"), _words("theta > 0.5")
    ('never', 'always', 'theta > 0.5')
    """
    return {"0 == 0": "always", "0 == 1": "never"}.get(prediction.strip(), prediction)


def _params(values: dict[str, float]) -> str:
    return ", ".join(f"{k} = {v:.6g}" for k, v in values.items()) or "(the model's fixed values)"


def write_report(
    result: Verification,
    out: Path,
    *,
    samples: int,
    seed: int,
    only: str | None = None,
    command: str | None = None,
    concentrate: float = 0.5,
) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.json`` for a verification into `out`.

    The report is reproducible: it records the versions (:func:`environment`), the command and
    seed, and per claim the model (text and SHA-256, :func:`model_record`), the sampled box, the
    verdict rule that applied and what the verdict says about the statement.

    Parameters
    ----------
    result : Verification
    out : Path
    samples, seed : int
        The settings, recorded in the report.
    only : str, optional
        The ``--only`` filter, recorded.
    command : str, optional
        The command line (default: ``sys.argv``).
    concentrate : float
        The share of samples placed next to the predicted boundary, recorded.

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
    env = environment()
    cmd = command if command is not None else shlex.join(["incgeo", *sys.argv[1:]])
    lines = [
        "# incentive-geometry: verification report",
        "",
        f"{len(result.reports)} claims checked against numerical observations "
        f"(base samples {samples}, seed {seed}, {result.seconds:.0f} s): "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + ".",
        "",
        "## Reproducing this report",
        "",
        f"- command: `{cmd}`",
        f"- seed {seed}, base samples {samples}"
        + (f", only claims matching `{only}`" if only else ", the whole catalogue"),
        "- versions: " + ", ".join(f"{k} {v}" for k, v in env.items()),
        "",
        "## Verdict rules",
        "",
        "An observation that raises, or returns None, NaN or a non-boolean, is a failed point, never "
        "agreement. A claim is *refuted* when any compared point disagrees (stochastic claims: a "
        "per-point test below the Bonferroni level). It is *confirmed* only with no disagreement, "
        "at least 95% of the attempted points observed, at most 25% of the samples left out near "
        "the predicted boundary and, for a condition, both predicted classes among the compared "
        "points (a constant condition is never confirmed, though it can be refuted); otherwise "
        "*inconclusive*. Options never change a verdict. "
        f"Condition claims spend a share {concentrate:g} of the samples next to the predicted "
        "boundary after a global "
        "scrambled Sobol pass; the bound on what a confirmation rules out (with N global points and "
        "no disagreement, the disagreeing share of the box is below 1 - 0.05^(1/N), about 3/N, at "
        "95%) uses the global points only. Derivation steps comparing conditions carry an exact "
        "certificate (z3): proved, disproved with a witness, or spot-checked at N points.",
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
            f"- prediction ({r.kind}): "
            + (
                f"*{_words(r.prediction)}*"
                if _words(r.prediction) != r.prediction
                else f"`{r.prediction}`"
            ),
            f"- verdict: **{r.verdict}**: {r.reason}",
        ]
        if e.reading:
            lines.append(f"- how to read it: {e.reading}")
        lines.append(f"- verdict rule: {r.rule or '-'}; what it says: {MEANING.get(r.verdict, '')}")
        rec = model_record(e.claim.model)
        lines.append(f"- model: `{rec['name']}` (SHA-256 `{rec['sha256'][:16]}`)")
        box = ", ".join(f"{k} in [{lo:g}, {hi:g}]" for k, (lo, hi) in e.claim.domain.items())
        lines.append(f"- sampled box: {box or '(one point)'}")
        if e.claim.fixed:
            lines.append("- fixed: " + _params(dict(e.claim.fixed)))
        if e.claim.constraints:
            lines.append("- constraints: " + "; ".join(str(c) for c in e.claim.constraints))
        if e.claim.observer:
            lines.append(f"- observer: {e.claim.observer}")
        lines.append(
            f"- samples {r.samples} ({r.boundary_samples} next to the predicted boundary), compared "
            f"{r.evaluated}, left out near the boundary {r.excluded}, observation failed "
            f"{r.failed}; boundary rays {r.boundary_rays}"
        )
        if r.disagreement_bound is not None and e.claim.domain:
            lines.append(
                f"- a confirmation rules out disagreement on more than {r.disagreement_bound:.2g} "
                "of the box (95%, global points)"
            )
        if r.boundary_error_params:
            lines.append(
                "- boundary error in parameter units: "
                + ", ".join(f"{k} {v:.3g}" for k, v in r.boundary_error_params.items())
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
                cert = f"; certificate: {step.certificate}" if step.certificate else ""
                lines.append(f"{i}. {step.description} ({mark}{cert}): {step.detail}")
        if r.counterexamples:
            # Distinct points only (refinement may push two samples to one corner), with the
            # digits that tell them apart, and how many disagreements there were in all.
            shown = display.distinct_counterexamples(r, sep=" = ")
            lines += ["", f"Counterexamples ({display.counterexample_caption(r, len(shown))}):", ""]
            for point, ce in shown:
                evidence = f"; {ce.evidence}" if ce.evidence else ""
                lines.append(
                    f"- at {point}: predicted {display.show_value(ce.predicted)}, observed "
                    f"{display.show_value(ce.observed)}{evidence} (refinement: {ce.refinement}; "
                    f"found at {_params(ce.original)})"
                )
        for note in r.notes:
            lines.append(f"- note: {note}")
        lines.append("")
    md = out / "report.md"
    md.write_text("\n".join(lines))
    record = {
        "command": cmd,
        "versions": env,
        "only": only,
        "concentrate": concentrate,
        "samples": samples,
        "seed": seed,
        "seconds": result.seconds,
        "counts": counts,
        "claims": [
            dict(
                r.to_dict(),
                family=e.family,
                reading=e.reading,
                meaning=MEANING.get(r.verdict, ""),
                model=model_record(e.claim.model),
                box={k: [float(lo), float(hi)] for k, (lo, hi) in e.claim.domain.items()},
                fixed={k: float(v) for k, v in e.claim.fixed.items()},
                observer=e.claim.observer,
            )
            for e, r in zip(result.entries, result.reports, strict=True)
        ],
        "figures": {k: v.relative_to(out).as_posix() for k, v in result.figures.items()},
        "figure_errors": result.figure_errors,
    }
    js = out / "report.json"
    js.write_text(json.dumps(record, indent=2))
    return md, js
