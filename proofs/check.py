"""Checking a claim: its prediction against its observation over quasi-random samples.

:func:`check` draws scrambled Sobol samples in the claim's domain (``scipy.stats.qmc``),
evaluates the prediction and the observation at each, and reports

* the agreement rate with a 95% Wilson interval, and (conditions) the confusion table;
* counterexamples, each refined: pushed away from the predicted boundary while it stays a
  counterexample, then shrunk to the simplest parameter values that keep it one;
* the boundary error: along rays between samples observed on both sides, the observed boundary
  (bisection on the observation) against the predicted one (bisection on the prediction);
* for value claims, relative errors against the claim's tolerance; for probability claims, an
  exact two-sided binomial test at every point at the claim's level, Bonferroni-corrected.

The verdict is ``confirmed``, ``refuted`` (with a counterexample) or ``inconclusive`` (with the
reason).

References
----------
.. [1] E. B. Wilson, Probable inference, the law of succession, and statistical inference,
   J. Am. Stat. Assoc. 22, 209-212 (1927).
.. [2] I. M. Sobol', On the distribution of points in a cube and the approximate evaluation of
   integrals, USSR Comput. Math. Math. Phys. 7, 86-112 (1967).

Examples
--------
>>> import incentive_geometry as ig
>>> c = ig.Claim(name="half", statement="a*a < a exactly when a < 1",
...              prediction="a < 1", observe=lambda p: p["a"] ** 2 < p["a"],
...              domain={"a": (0.1, 2.0)})
>>> report = ig.check(c, samples=64, seed=1)
>>> report.verdict, report.agreement
('confirmed', 1.0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from incentive_geometry.errors import IncentiveGeometryError, ModelError

from .claims import Claim, Observation, Step

__all__ = ["CheckReport", "Counterexample", "check", "wilson_interval"]


def wilson_interval(
    successes: int, trials: int, z: float = 1.959963984540054
) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95% by default).

    Parameters
    ----------
    successes, trials : int
    z : float
        Normal quantile of the two-sided level.

    Returns
    -------
    tuple of float

    References
    ----------
    .. [1] E. B. Wilson, J. Am. Stat. Assoc. 22, 209-212 (1927).

    Examples
    --------
    >>> from incentive_geometry.proofs.check import wilson_interval
    >>> lo, hi = wilson_interval(100, 100)
    >>> round(lo, 4), hi
    (0.963, 1.0)
    """
    if trials <= 0:
        return (0.0, 1.0)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Counterexample:
    """A parameter point where the prediction and the observation disagree.

    Attributes
    ----------
    params : dict of str to float
        The refined point (sampled parameters).
    predicted, observed : Any
        What the prediction says and what was observed there.
    evidence : str
        What the observation saw.
    original : dict of str to float
        The sample the counterexample was found at, before refinement.
    margin : float
        Relative distance of `params` to the predicted boundary.
    refinement : str
        What refinement did.

    Examples
    --------
    >>> from incentive_geometry.proofs.check import Counterexample
    >>> Counterexample({"a": 1.0}, True, False).params
    {'a': 1.0}
    """

    params: dict[str, float]
    predicted: Any
    observed: Any
    evidence: str = ""
    original: dict[str, float] = field(default_factory=dict)
    margin: float = 0.0
    refinement: str = ""


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`check`.

    Attributes
    ----------
    claim, statement, kind, prediction : str
    verdict : {"confirmed", "refuted", "inconclusive"}
    reason : str
        Why the verdict (the counterexample, or what made it inconclusive).
    samples : int
        Points drawn.
    evaluated : int
        Points where prediction and observation were compared.
    excluded : int
        Points within the boundary tolerance of the prediction, left out.
    failed : int
        Points where the observation raised an error (the first message is in `reason` or
        `notes`).
    agreement : float
        Share of evaluated points where prediction and observation agree.
    interval : tuple of float
        95% Wilson interval of the agreement.
    confusion : dict of str to int
        Condition claims: counts of (predicted, observed) pairs, keys like ``"pred T / obs F"``.
    counterexamples : tuple of Counterexample
    boundary_error : float or None
        Largest distance, in units of the domain box (each axis scaled to [0, 1]), between the
        observed and the predicted boundary along the rays.
    boundary_rays : int
        Rays on which the boundary was located.
    max_relative_error : float or None
        Value claims: the largest relative error.
    min_p_value : float or None
        Probability and mean claims: the smallest p-value of the per-point tests.
    derivation : tuple of Step
    seconds : float
    notes : tuple of str

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> c = ig.Claim(name="c", statement="", prediction="a > 0", observe=lambda p: p["a"] > 0,
    ...              domain={"a": (-1.0, 1.0)})
    >>> ig.check(c, samples=16).success
    True
    """

    claim: str
    statement: str
    kind: str
    prediction: str
    verdict: str
    reason: str
    samples: int
    evaluated: int
    excluded: int
    failed: int
    agreement: float
    interval: tuple[float, float]
    confusion: dict[str, int]
    counterexamples: tuple[Counterexample, ...]
    boundary_error: float | None
    boundary_rays: int
    max_relative_error: float | None
    min_p_value: float | None
    derivation: tuple[Step, ...]
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def success(self) -> bool:
        """Whether the claim was confirmed."""
        return self.verdict == "confirmed"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record of the report.

        Examples
        --------
        >>> import json
        >>> import incentive_geometry as ig
        >>> c = ig.Claim(name="c", statement="", prediction="a > 0", observe=lambda p: p["a"] > 0,
        ...              domain={"a": (-1.0, 1.0)})
        >>> json.loads(json.dumps(ig.check(c, samples=8).to_dict()))["verdict"]
        'confirmed'
        """
        out = asdict(self)
        out["interval"] = list(self.interval)
        return _jsonable(out)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return repr(value)


# --------------------------------------------------------------------------------------------


def _observe(claim: Claim, point: dict[str, float]) -> tuple[Any, str]:
    got = claim.observe(point)
    if isinstance(got, Observation):
        return got.value, got.evidence
    return got, ""


def _observe_safe(claim: Claim, point: dict[str, float]) -> tuple[bool, Any, str]:
    """(ok, value, evidence-or-error): an observation that raised is a failure, not a verdict."""
    try:
        value, evidence = _observe(claim, point)
    except (IncentiveGeometryError, ArithmeticError, ValueError, np.linalg.LinAlgError) as err:
        return False, None, f"{type(err).__name__}: {err}"
    return True, value, evidence


def _agree(claim: Claim, predicted: Any, observed: Any) -> tuple[bool, float]:
    """Whether an observation agrees with the prediction, and a score (error or p-value)."""
    if claim.kind == "condition":
        return bool(predicted) == bool(observed), 0.0
    if claim.kind == "value":
        obs = float(observed)
        scale = max(abs(float(predicted)), 1e-12)
        err = abs(obs - float(predicted)) / scale
        return err <= claim.tolerance, err
    if claim.kind == "mean":
        from scipy.stats import ttest_1samp

        draws = np.asarray(observed, dtype=float).ravel()
        # Draws that do not vary (a deterministic quantity) cannot be t-tested: compare exactly.
        if draws.size < 2 or float(np.std(draws)) <= 1e-12 * (1.0 + abs(float(np.mean(draws)))):
            same = bool(np.allclose(draws, float(predicted), rtol=1e-9, atol=1e-12))
            return same, 1.0 if same else 0.0
        pvalue = float(ttest_1samp(draws, float(predicted)).pvalue)
        return pvalue >= claim.level, pvalue
    from scipy.stats import binomtest

    k, n = (int(v) for v in observed)
    p = min(max(float(predicted), 0.0), 1.0)
    pvalue = float(binomtest(k, n, p).pvalue)
    return pvalue >= claim.level, pvalue


def _samples(claim: Claim, samples: int, seed: int) -> list[dict[str, float]]:
    from scipy.stats import qmc

    names = list(claim.domain)
    if not names:
        return [{}] if claim.admissible({}) else []
    lo = np.array([float(claim.domain[k][0]) for k in names])
    hi = np.array([float(claim.domain[k][1]) for k in names])
    sampler = qmc.Sobol(d=len(names), scramble=True, seed=seed)
    out: list[dict[str, float]] = []
    draws = 0
    m = max(3, math.ceil(math.log2(samples)))
    while len(out) < samples and draws < 16 * samples:
        # Sobol points balance in powers of two: draw 2^m, then as many again (doubling).
        unit = sampler.random_base2(m)
        draws += len(unit)
        m = int(math.log2(draws))
        for row in qmc.scale(unit, lo, hi):
            point = {k: float(v) for k, v in zip(names, row, strict=True)}
            if claim.admissible(point):
                out.append(point)
                if len(out) == samples:
                    break
    return out


def _map_observations(
    claim: Claim, points: Sequence[dict[str, float]], executor: Any
) -> list[tuple[bool, Any, str]]:
    if executor is None or executor == "serial":
        return [_observe_safe(claim, p) for p in points]
    from incentive_geometry.solvers.numeric.executors import open_executor

    with open_executor(executor, n_chunks=len(points), heavy=True) as pool:
        if pool is None:
            return [_observe_safe(claim, p) for p in points]
        return list(pool.map(_observe_safe, [claim] * len(points), points))


def _refine(
    claim: Claim,
    point: dict[str, float],
    predicted: Any,
    observed: Any,
    evidence: str,
    rng: np.random.Generator,
) -> Counterexample:
    """Push a counterexample away from the boundary, then round it to simple values."""
    names = list(claim.domain)
    width = np.array([claim.domain[k][1] - claim.domain[k][0] for k in names], dtype=float)

    def still(candidate: dict[str, float]) -> tuple[bool, Any, Any, str]:
        # A refined point stays admissible and outside the band the check leaves out.
        if not claim.admissible(candidate) or claim.margin(candidate) <= claim.boundary_tol:
            return False, None, None, ""
        ok, obs, ev = _observe_safe(claim, claim.point(candidate))
        if not ok:
            return False, None, None, ""
        pred = claim.predict(candidate)
        return (not _agree(claim, pred, obs)[0]), pred, obs, ev

    best = dict(point)
    best_margin = claim.margin(best)
    steps = []
    # Push: random moves that keep the disagreement and increase the margin.
    if claim.kind == "condition":
        radius = 0.1
        for _ in range(4):
            improved = False
            for _ in range(6):
                delta = rng.normal(size=len(names)) * radius * width
                cand = {
                    k: float(np.clip(best[k] + d, claim.domain[k][0], claim.domain[k][1]))
                    for k, d in zip(names, delta, strict=True)
                }
                m = claim.margin(cand)
                if m > best_margin:
                    hit, pred, obs, ev = still(cand)
                    if hit:
                        best, best_margin, predicted, observed, evidence = cand, m, pred, obs, ev
                        improved = True
            radius *= 0.5 if not improved else 1.0
        if best != point:
            steps.append("moved away from the predicted boundary")
    # Shrink: round each parameter to the fewest decimals that keep the counterexample.
    for k in names:
        for digits in (0, 1, 2, 3):
            value = round(best[k], digits)
            if value == best[k] or not claim.domain[k][0] <= value <= claim.domain[k][1]:
                continue
            cand = {**best, k: value}
            hit, pred, obs, ev = still(cand)
            if hit:
                best, predicted, observed, evidence = cand, pred, obs, ev
                steps.append(f"{k} rounded to {digits} decimals")
                break
    return Counterexample(
        params=best,
        predicted=predicted,
        observed=observed,
        evidence=evidence,
        original=dict(point),
        margin=claim.margin(best),
        refinement="; ".join(steps) or "none needed",
    )


def _boundary_error(
    claim: Claim,
    points: Sequence[dict[str, float]],
    observed: Sequence[Any],
    rays: int,
    rng: np.random.Generator,
) -> tuple[float | None, int]:
    """Locate the observed and predicted boundaries along rays; the largest gap (box units)."""
    names = list(claim.domain)
    if not names:
        return None, 0
    lo = np.array([claim.domain[k][0] for k in names], dtype=float)
    width = np.array([claim.domain[k][1] - claim.domain[k][0] for k in names], dtype=float)
    U = np.array([[(p[k] - lo[i]) / width[i] for i, k in enumerate(names)] for p in points])
    obs = np.array([bool(o) for o in observed])
    yes, no = np.flatnonzero(obs), np.flatnonzero(~obs)
    if not len(yes) or not len(no):
        return None, 0
    gaps: list[float] = []
    for i in rng.permutation(yes)[:rays]:
        j = no[np.argmin(np.linalg.norm(U[no] - U[i], axis=1))]

        def at(t: float, i: int = i, j: int = j) -> dict[str, float]:
            u = U[i] + t * (U[j] - U[i])
            return {k: float(lo[n] + u[n] * width[n]) for n, k in enumerate(names)}

        def bisect(f: Callable[[float], bool], iters: int) -> float | None:
            a, b = 0.0, 1.0
            fa, fb = f(a), f(b)
            if fa == fb:
                return None
            for _ in range(iters):
                mid = 0.5 * (a + b)
                if f(mid) == fa:
                    a = mid
                else:
                    b = mid
            return 0.5 * (a + b)

        def observed_at(t: float) -> bool:
            ok, value, _ = _observe_safe(claim, claim.point(at(t)))
            return bool(value) if ok else False

        t_obs = bisect(observed_at, 18)
        if t_obs is None:
            continue

        # The predicted crossing nearest to the observed one: widen a window around t_obs until
        # the prediction changes across it, then bisect inside (a segment may cross twice).
        def predicted_at(t: float) -> bool:
            return bool(claim.predict(at(t)))

        delta = 2.0**-18
        while delta < 1.0:
            lo_t, hi_t = max(0.0, t_obs - delta), min(1.0, t_obs + delta)
            if predicted_at(lo_t) != predicted_at(hi_t):
                break
            delta *= 2.0
        else:
            continue
        a, b = lo_t, hi_t
        fa = predicted_at(a)
        for _ in range(50):
            mid = 0.5 * (a + b)
            if predicted_at(mid) == fa:
                a = mid
            else:
                b = mid
        t_pred = 0.5 * (a + b)
        gaps.append(abs(t_obs - t_pred) * float(np.linalg.norm(U[j] - U[i])))
    return (max(gaps) if gaps else None), len(gaps)


def check(
    claim: Claim,
    *,
    samples: int = 256,
    seed: int = 0,
    executor: Any = None,
    rays: int = 6,
    max_counterexamples: int = 3,
) -> CheckReport:
    """Check a claim's prediction against its observation at quasi-random samples.

    Parameters
    ----------
    claim : Claim
    samples : int
        Number of sample points in the claim's domain.
    seed : int
        Seed of the scrambled Sobol sequence and of the refinement.
    executor : None, "serial", "processes", Executor or dask Client
        Where the observations run (the observation must be picklable for processes).
    rays : int
        Rays along which the boundary is located (condition claims); 0 skips this.
    max_counterexamples : int
        How many counterexamples are refined and reported.

    Returns
    -------
    CheckReport

    Raises
    ------
    ModelError
        For bad arguments.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> wrong = ig.Claim(name="wrong", statement="a*a < a when a < 1.05",
    ...                  prediction="a < 1.05", observe=lambda p: p["a"] ** 2 < p["a"],
    ...                  domain={"a": (0.1, 2.0)})
    >>> report = ig.check(wrong, samples=128, seed=0)
    >>> report.verdict
    'refuted'
    >>> 1.0 <= report.counterexamples[0].params["a"] < 1.05
    True
    """
    started = time.perf_counter()
    if not isinstance(claim, Claim):
        raise ModelError(f"`claim` must be a Claim, got {claim!r:.60} ({type(claim).__name__})")
    if not isinstance(samples, int) or samples < 1:
        raise ModelError(f"`samples` must be a positive int, got {samples!r}")
    rng = np.random.default_rng(seed)
    derivation: tuple[Step, ...] = ()
    notes: list[str] = []
    if claim.derivation is not None:
        try:
            derivation = tuple(claim.derivation())
        except (
            IncentiveGeometryError,
            AttributeError,
            ArithmeticError,
            ValueError,
            TypeError,
        ) as err:
            # A derivation that cannot be produced is reported as such, never silently dropped.
            derivation = (
                Step(
                    "derive the prediction symbolically",
                    f"failed: {type(err).__name__}: {err}",
                    False,
                ),
            )
        unverified = [s.description for s in derivation if not s.verified]
        if unverified:
            notes.append(f"derivation steps not verified: {'; '.join(unverified)}")
    drawn = _samples(claim, samples, seed)
    if claim.domain and len(drawn) < samples:
        notes.append(f"only {len(drawn)} of {samples} samples satisfy the constraints")
    kept, excluded = [], 0
    for p in drawn:
        if claim.margin(p) <= claim.boundary_tol:
            excluded += 1
        else:
            kept.append(p)
    results = _map_observations(claim, [claim.point(p) for p in kept], executor)
    evaluated: list[tuple[dict[str, float], Any, Any, str, bool, float]] = []
    failures: list[str] = []
    for p, (ok, value, evidence) in zip(kept, results, strict=True):
        if not ok:
            failures.append(evidence)
            continue
        pred = claim.predict(p)
        agree, score = _agree(claim, pred, value)
        evaluated.append((p, pred, value, evidence, agree, score))
    n = len(evaluated)
    agreeing = sum(1 for e in evaluated if e[4])
    confusion: dict[str, int] = {}
    if claim.kind == "condition":
        for _, pred, obs, *_ in evaluated:
            key = f"pred {'T' if pred else 'F'} / obs {'T' if obs else 'F'}"
            confusion[key] = confusion.get(key, 0) + 1
    max_rel = max((e[5] for e in evaluated), default=None) if claim.kind == "value" else None
    stochastic = claim.kind in ("probability", "mean")
    min_p = min((e[5] for e in evaluated), default=None) if stochastic else None

    # Disagreements; for stochastic claims a point disagrees only below the Bonferroni level.
    if stochastic:
        threshold = claim.level / max(n, 1)
        bad = [e for e in evaluated if e[5] < threshold]
        agreeing = n - len(bad)
    else:
        bad = [e for e in evaluated if not e[4]]

    # Worst first: the largest error, the smallest p-value, the farthest from the boundary.
    def severity(e: tuple[Any, ...]) -> float:
        if claim.kind == "value":
            return -float(e[5])
        if stochastic:
            return float(e[5])
        return -claim.margin(e[0])

    order = sorted(bad, key=severity)
    counterexamples = []
    for p, pred, obs, evidence, _, _ in order[:max_counterexamples]:
        if claim.kind == "condition":
            counterexamples.append(_refine(claim, p, pred, obs, evidence, rng))
        else:
            counterexamples.append(
                Counterexample(
                    p, pred, obs, evidence, dict(p), claim.margin(p), "none (as sampled)"
                )
            )
    boundary_error, n_rays = (None, 0)
    if claim.kind == "condition" and rays > 0 and n:
        boundary_error, n_rays = _boundary_error(
            claim, [e[0] for e in evaluated], [e[2] for e in evaluated], rays, rng
        )
    if failures:
        notes.append(f"the observation failed at {len(failures)} point(s); first: {failures[0]}")
    minimum = max(4, samples // 4) if claim.domain else 1
    if counterexamples:
        ce = counterexamples[0]
        shown = ", ".join(f"{k}={v:.6g}" for k, v in ce.params.items())
        verdict = "refuted"
        reason = (
            f"{len(bad)} of {n} points disagree; e.g. at {shown} the prediction says "
            f"{_show(ce.predicted)} but the observation found {_show(ce.observed)}"
            + (f" ({ce.evidence})" if ce.evidence else "")
        )
    elif n < minimum:
        verdict = "inconclusive"
        reason = (
            f"only {n} of {len(drawn)} points could be compared (excluded near the boundary: "
            f"{excluded}, observation failed: {len(failures)})"
        )
    else:
        verdict = "confirmed"
        reason = f"prediction and observation agree at all {n} points"
        if stochastic:
            test = "binomial tests" if claim.kind == "probability" else "t-tests of the mean"
            reason += f" ({test} at level {claim.level}, Bonferroni over {n} points)"
        if claim.kind == "value":
            reason += f" (relative error at most {max_rel:.2g} <= {claim.tolerance:g})"
    return CheckReport(
        claim=claim.name,
        statement=claim.statement,
        kind=str(claim.kind),
        prediction=claim.prediction_text(),
        verdict=verdict,
        reason=reason,
        samples=len(drawn),
        evaluated=n,
        excluded=excluded,
        failed=len(failures),
        agreement=(agreeing / n) if n else 0.0,
        interval=wilson_interval(agreeing, n),
        confusion=confusion,
        counterexamples=tuple(counterexamples),
        boundary_error=boundary_error,
        boundary_rays=n_rays,
        max_relative_error=max_rel,
        min_p_value=min_p,
        derivation=derivation,
        seconds=time.perf_counter() - started,
        notes=tuple(notes),
    )


def _show(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, tuple) and len(value) == 2:
        return f"{value[0]}/{value[1]}"
    if isinstance(value, np.ndarray) and value.size > 1:
        return f"mean {float(np.mean(value)):.6g} of {value.size} draws"
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return str(value)
