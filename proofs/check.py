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

import incentive_geometry.display as display
from incentive_geometry.errors import ModelError

from .claims import Claim, Observation, Step

__all__ = [
    "MAX_EXCLUDED",
    "MIN_OBSERVED",
    "CheckReport",
    "Counterexample",
    "check",
    "disagreement_bound",
    "wilson_interval",
]


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
        Points where the observation failed: it raised, or returned None, NaN or a value of the
        wrong type (the first message is in `reason` or `notes`).
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
    rule : str
        The verdict rule that applied (e.g. "fewer than 95% of the points observed").
    disagreement_bound : float or None
        With no disagreement: the 95% upper bound on the share of the box where prediction and
        observation disagree, from the global (uniform) pass (about 3/N; see
        :func:`disagreement_bound`).
    boundary_samples : int
        Points placed next to the predicted boundary (condition claims).
    boundary_error_params : dict of str to float
        The boundary error in parameter units: per parameter, the largest gap between the
        observed and the predicted crossing along the rays.

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
    rule: str = ""
    disagreement_bound: float | None = None
    boundary_samples: int = 0
    boundary_error_params: dict[str, float] = field(default_factory=dict)

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

    def __repr__(self) -> str:
        return display.check_report_text(self)

    def _repr_html_(self) -> str:
        return display.check_report_html(self)


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


def _invalid(claim: Claim, value: Any) -> str:
    """Why an observed value cannot be compared with the prediction ('' when it can).

    A condition needs a real truth value (``bool`` or ``numpy.bool_``: never ``None``, NaN, a
    number or the text ``'False'``); a value a finite real number; a probability a pair
    ``(successes, trials)`` with ``0 <= successes <= trials`` and ``trials > 0``; a mean at least
    one finite draw.
    """
    kind = claim.kind
    if kind == "condition":
        if isinstance(value, bool | np.bool_):
            return ""
        return f"a condition observation must be True or False, got {value!r:.40} ({type(value).__name__})"
    if kind == "value":
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
            return f"a value observation must be a real number, got {value!r:.40} ({type(value).__name__})"
        if not math.isfinite(float(value)):
            return f"a value observation must be finite, got {value!r}"
        return ""
    if kind == "mean":
        try:
            draws = np.asarray(value, dtype=float).ravel()
        except (TypeError, ValueError):
            return f"a mean observation must be an array of draws, got {value!r:.40}"
        if draws.size == 0 or not np.all(np.isfinite(draws)):
            return "a mean observation needs at least one draw, all finite"
        return ""
    ok = (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value)
        and 0 <= int(value[0]) <= int(value[1])
        and int(value[1]) > 0
    )
    return "" if ok else f"a probability observation must be (successes, trials), got {value!r:.40}"


def _observe_safe(claim: Claim, point: dict[str, float]) -> tuple[bool, Any, str]:
    """(ok, value, evidence-or-error): an observation that raised, or returned something that
    is not a verdict (None, NaN, a non-boolean), is a failed point, never agreement."""
    try:
        value, evidence = _observe(claim, point)
    except Exception as err:  # any failure of user code is a failed point
        return False, None, f"{type(err).__name__}: {err}"
    why = _invalid(claim, value)
    if why:
        return False, None, why
    return True, value, evidence


def _agree(claim: Claim, predicted: Any, observed: Any) -> tuple[bool, float]:
    """Whether an observation agrees with the prediction, and a score (error or p-value)."""
    if claim.kind == "condition":
        return bool(predicted) == bool(observed), 0.0
    if claim.kind == "value":
        # |obs - pred| <= tolerance |pred| + atol: relative away from zero, absolute near it
        # (a true value 0 is not refuted by round-off). The score is the error relative to
        # |pred| + atol / tolerance, so that score <= tolerance is the same test.
        obs, pred = float(observed), float(predicted)
        atol = float(getattr(claim, "atol", 1e-12))
        err = abs(obs - pred) / (abs(pred) + atol / claim.tolerance)
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


#: Set to ``0`` to observe sample by sample even where a batched observation exists (the
#: per-sample route, for comparisons; the verdict rules are the same on both routes).
BATCH_ENV = "INCENTIVE_GEOMETRY_BATCH"
#: Points per batch when a batched observation runs on an executor (fixed, so that the
#: result does not depend on the number of workers).
BATCH_CHUNK = 64


def _batched(claim: Claim) -> Callable[[list[dict[str, float]]], list[Any]] | None:
    """The claim's batched observation (:func:`.observe.batch_for`), or None (none exists, or
    the environment variable :data:`BATCH_ENV` is ``0``)."""
    import os

    if os.environ.get(BATCH_ENV, "1").strip() == "0":
        return None
    from .observe import batch_for

    return batch_for(claim.observe)


def _outcome(claim: Claim, got: Any) -> tuple[bool, Any, str]:
    """One member of a batch as (ok, value, evidence-or-error): an exception in place of the
    member's result is a failed point, as is a value that is not a verdict."""
    if isinstance(got, BaseException):
        return False, None, f"{type(got).__name__}: {got}"
    value, evidence = (got.value, got.evidence) if isinstance(got, Observation) else (got, "")
    why = _invalid(claim, value)
    if why:
        return False, None, why
    return True, value, evidence


def _observe_batch_safe(
    claim: Claim, points: Sequence[dict[str, float]]
) -> list[tuple[bool, Any, str]]:
    """Observe `points` in one batch; every member is judged on its own (a member that failed
    is a failed point). A batch that fails as a whole falls back to one observation per point."""
    batch = _batched(claim)
    if batch is None or len(points) < 2:
        return [_observe_safe(claim, p) for p in points]
    try:
        got = batch(list(points))
    except Exception:  # the batch machinery failed: observe point by point instead
        return [_observe_safe(claim, p) for p in points]
    if len(got) != len(points):
        return [_observe_safe(claim, p) for p in points]
    return [_outcome(claim, g) for g in got]


def _map_observations(
    claim: Claim, points: Sequence[dict[str, float]], executor: Any
) -> list[tuple[bool, Any, str]]:
    batched = _batched(claim) is not None
    if executor is None or executor == "serial":
        if batched:
            return _observe_batch_safe(claim, points)
        return [_observe_safe(claim, p) for p in points]
    from incentive_geometry.solvers.numeric.executors import open_executor

    if batched:
        chunks = [list(points[i : i + BATCH_CHUNK]) for i in range(0, len(points), BATCH_CHUNK)]
        with open_executor(executor, n_chunks=len(chunks), heavy=True) as pool:
            if pool is None:
                parts = [_observe_batch_safe(claim, c) for c in chunks]
            else:
                parts = list(pool.map(_observe_batch_safe, [claim] * len(chunks), chunks))
        return [r for part in parts for r in part]
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
) -> tuple[float | None, int, dict[str, float]]:
    """Locate the observed and predicted boundaries along rays: the largest gap (box units) and,
    per parameter, the largest gap in parameter units."""
    names = list(claim.domain)
    if not names:
        return None, 0, {}
    lo = np.array([claim.domain[k][0] for k in names], dtype=float)
    width = np.array([claim.domain[k][1] - claim.domain[k][0] for k in names], dtype=float)
    U = np.array([[(p[k] - lo[i]) / width[i] for i, k in enumerate(names)] for p in points])
    obs = np.array([bool(o) for o in observed])
    yes, no = np.flatnonzero(obs), np.flatnonzero(~obs)
    if not len(yes) or not len(no):
        return None, 0, {}
    gaps: list[float] = []
    units = dict.fromkeys(names, 0.0)
    # Each ray joins a point observed true to the nearest one observed false. The observed
    # crossings of all rays are bisected in lockstep: one batch of observations per halving
    # (:func:`_observe_batch_safe`), each ray on its own account exactly as if alone. A ray on
    # which an observation fails locates no boundary.
    pairs = [
        (int(i), int(no[np.argmin(np.linalg.norm(U[no] - U[i], axis=1))]))
        for i in rng.permutation(yes)[:rays]
    ]

    def at(t: float, i: int, j: int) -> dict[str, float]:
        u = U[i] + t * (U[j] - U[i])
        return {k: float(lo[n] + u[n] * width[n]) for n, k in enumerate(names)}

    def observe_all(ts: list[tuple[int, float]]) -> dict[int, bool | None]:
        got = _observe_batch_safe(claim, [claim.point(at(t, *pairs[r])) for r, t in ts])
        return {r: (bool(v) if ok else None) for (r, _), (ok, v, _) in zip(ts, got, strict=True)}

    ends = [(r, t) for r in range(len(pairs)) for t in (0.0, 1.0)]
    seen = _observe_batch_safe(claim, [claim.point(at(t, *pairs[r])) for r, t in ends])
    side: dict[int, list[Any]] = {r: [] for r in range(len(pairs))}
    for (r, _), (ok, v, _) in zip(ends, seen, strict=True):
        side[r].append(bool(v) if ok else None)
    bracket: dict[int, list[float]] = {}
    first: dict[int, bool] = {}
    for r, (fa, fb) in side.items():
        if fa is None or fb is None or fa == fb:
            continue  # failed, or the same at both ends: no crossing to bisect
        bracket[r], first[r] = [0.0, 1.0], fa
    for _ in range(18):
        if not bracket:
            break
        mids = [(r, 0.5 * (ab[0] + ab[1])) for r, ab in bracket.items()]
        for (r, mid), (_, value) in zip(mids, observe_all(mids).items(), strict=True):
            if value is None:
                del bracket[r]  # an observation failed on this ray: no boundary located on it
            elif value == first[r]:
                bracket[r][0] = mid
            else:
                bracket[r][1] = mid

    for r, (a_obs, b_obs) in sorted(bracket.items()):
        i, j = pairs[r]
        t_obs = 0.5 * (a_obs + b_obs)

        # The predicted crossing nearest to the observed one: widen a window around t_obs until
        # the prediction changes across it, then bisect inside (a segment may cross twice).
        def predicted_at(t: float, i: int = i, j: int = j) -> bool:
            return bool(claim.predict(at(t, i, j)))

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
        for n_, k in enumerate(names):
            gap = abs(t_obs - t_pred) * abs(float(U[j][n_] - U[i][n_])) * float(width[n_])
            units[k] = max(units[k], gap)
    return (max(gaps) if gaps else None), len(gaps), (units if gaps else {})


#: Confirmed needs at least this share of the attempted points observed.
MIN_OBSERVED = 0.95
#: Confirmed needs at most this share of the samples left out near the predicted boundary.
MAX_EXCLUDED = 0.25
#: Offsets from the predicted boundary (box units) of the concentrated samples, a geometric ladder.
_LADDER = tuple(float(v) for v in np.geomspace(1e-4, 3e-2, 8))


def _box(claim: Claim) -> tuple[list[str], np.ndarray, np.ndarray]:
    names = list(claim.domain)
    lo = np.array([float(claim.domain[k][0]) for k in names])
    width = np.array([float(claim.domain[k][1]) - float(claim.domain[k][0]) for k in names])
    return names, lo, width


def _boundary_samples(
    claim: Claim, points: Sequence[dict[str, float]], count: int, rng: np.random.Generator
) -> list[dict[str, float]]:
    """Samples on both sides of the predicted boundary, at offsets from a geometric ladder.

    Segments join a random point predicted true to a random point predicted false; the predicted
    crossing is found by bisection on the prediction (no observation), and one sample is placed
    at a ladder offset (box units) on one side of it, alternating sides and cycling through the
    ladder. A sample inside the claim's `boundary_tol` band is pushed out (offset doubled). A
    threshold moved by a share ``s`` of its value makes a shell of width about ``s`` (box units)
    where prediction and truth disagree; the ladder puts samples inside any shell wider than
    1e-4.
    """
    names, lo, width = _box(claim)
    U = np.array([[(p[k] - lo[i]) / width[i] for i, k in enumerate(names)] for p in points])
    pred = np.array([bool(claim.predict(p)) for p in points])
    yes, no = np.flatnonzero(pred), np.flatnonzero(~pred)
    if not len(yes) or not len(no):
        return []

    def at(u: np.ndarray) -> dict[str, float]:
        u = np.clip(u, 0.0, 1.0)
        return {k: float(lo[n] + u[n] * width[n]) for n, k in enumerate(names)}

    out: list[dict[str, float]] = []
    attempts = 0
    while len(out) < count and attempts < 4 * count:
        attempts += 1
        i, j = int(rng.choice(yes)), int(rng.choice(no))
        a, b = 0.0, 1.0  # prediction true at a, false at b
        for _ in range(40):
            mid = 0.5 * (a + b)
            if claim.predict(at(U[i] + mid * (U[j] - U[i]))):
                a = mid
            else:
                b = mid
        length = float(np.linalg.norm(U[j] - U[i]))
        if length == 0.0:
            continue
        t0 = 0.5 * (a + b)
        side = 1.0 if len(out) % 2 else -1.0
        offset = _LADDER[(len(out) // 2) % len(_LADDER)]
        while offset < 0.25:
            cand = at(U[i] + (t0 + side * offset / length) * (U[j] - U[i]))
            if claim.admissible(cand) and claim.margin(cand) > claim.boundary_tol:
                out.append(cand)
                break
            offset *= 2.0
    return out


def disagreement_bound(compared: int, level: float = 0.95) -> float:
    """Upper confidence bound on the disagreeing share of the box after `compared` uniform
    samples with no disagreement (exact, one-sided Clopper-Pearson: ``1 - (1 - level)**(1/N)``,
    about ``3/N`` at 95%).

    Parameters
    ----------
    compared : int
        Points compared, none disagreeing.
    level : float
        Confidence level.

    Returns
    -------
    float

    References
    ----------
    .. [1] C. J. Clopper and E. S. Pearson, The use of confidence or fiducial limits illustrated
       in the case of the binomial, Biometrika 26, 404-413 (1934).
    .. [2] B. D. Jovanovic and P. S. Levy, A look at the rule of three, Am. Stat. 51, 137-139
       (1997).

    Examples
    --------
    >>> from incentive_geometry.proofs.check import disagreement_bound
    >>> round(disagreement_bound(100), 4), round(3 / 100, 4)
    (0.0295, 0.03)
    """
    from scipy.stats import beta

    if compared <= 0:
        return 1.0
    return float(beta.ppf(level, 1, compared))


def check(
    claim: Claim,
    *,
    samples: int = 256,
    seed: int = 0,
    executor: Any = None,
    rays: int = 6,
    max_counterexamples: int = 3,
    concentrate: float = 0.5,
) -> CheckReport:
    """Check a claim's prediction against its observation at quasi-random samples.

    Verdict rules (options never change a verdict):

    * an observation that raises, or returns None, NaN or a non-boolean (for a condition) is a
      *failed* point, never agreement;
    * ``refuted`` when any compared point disagrees (stochastic claims: a per-point test below
      the Bonferroni level); `max_counterexamples` limits only how many are refined and shown;
    * ``confirmed`` needs no disagreement, at least 95% of the attempted points observed, at most
      25% of the samples left out near the boundary, and (a condition) both predicted classes
      among the compared points: a constant condition (``0 == 0``, ``0 == 1``) can be refuted
      but never confirmed;
    * otherwise ``inconclusive``, with the reason.

    Condition claims spend a share `concentrate` of the samples next to the predicted boundary
    (after a global scrambled Sobol pass); the confirmation bound
    :attr:`CheckReport.disagreement_bound` uses the global pass only.

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
        How many counterexamples are refined and reported (never changes the verdict).
    concentrate : float
        Share of `samples` placed near the predicted boundary (condition claims), in [0, 0.9].

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
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ModelError(f"`samples` must be a positive int, got {samples!r}; e.g. samples=256")
    if (
        isinstance(max_counterexamples, bool)
        or not isinstance(max_counterexamples, int)
        or max_counterexamples < 0
    ):
        raise ModelError(f"`max_counterexamples` must be an int >= 0, got {max_counterexamples!r}")
    if not isinstance(concentrate, int | float) or not 0.0 <= concentrate <= 0.9:
        raise ModelError(
            f"`concentrate` must be a share in [0, 0.9], got {concentrate!r}; e.g. 0.5"
        )
    rng = np.random.default_rng(seed)
    derivation: tuple[Step, ...] = ()
    notes: list[str] = []
    if claim.derivation is not None:
        try:
            derivation = tuple(claim.derivation())
        except Exception as err:  # reported as an unverified step
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
    constant = claim.kind == "condition" and not claim.prediction.free_symbols
    focused = claim.kind == "condition" and not constant and bool(claim.domain) and samples >= 16
    n_global = samples - int(samples * concentrate) if focused else samples
    drawn = _samples(claim, n_global, seed)
    if claim.domain and len(drawn) < n_global:
        notes.append(f"only {len(drawn)} of {n_global} samples satisfy the constraints")
    extra: list[dict[str, float]] = []
    if focused and drawn:
        extra = _boundary_samples(claim, drawn, samples - n_global, rng)
    if len(drawn) + len(extra) < samples and len(drawn) == n_global:
        # No predicted boundary found to concentrate on: the rest are global points too.
        drawn = _samples(claim, samples - len(extra), seed)
    kept, excluded = [], 0
    for p in drawn:
        if claim.margin(p) <= claim.boundary_tol:
            excluded += 1
        else:
            kept.append(p)
    n_kept_global = len(kept)
    kept += extra
    results = _map_observations(claim, [claim.point(p) for p in kept], executor)
    evaluated: list[tuple[dict[str, float], Any, Any, str, bool, float]] = []
    failures: list[str] = []
    global_compared = 0
    for idx, (p, (ok, value, evidence)) in enumerate(zip(kept, results, strict=True)):
        if not ok:
            failures.append(evidence)
            continue
        pred = claim.predict(p)
        if claim.kind != "condition" and not math.isfinite(pred):
            failures.append(f"the prediction is undefined here ({pred})")
            continue
        agree, score = _agree(claim, pred, value)
        evaluated.append((p, pred, value, evidence, agree, score))
        global_compared += idx < n_kept_global
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
    boundary_error: float | None = None
    n_rays = 0
    gaps: dict[str, float] = {}
    if claim.kind == "condition" and rays > 0 and n:
        boundary_error, n_rays, gaps = _boundary_error(
            claim, [e[0] for e in evaluated], [e[2] for e in evaluated], rays, rng
        )
    if failures:
        notes.append(f"the observation failed at {len(failures)} point(s); first: {failures[0]}")
    if extra:
        notes.append(
            f"{len(extra)} of the points were placed next to the predicted boundary (offsets "
            f"{_LADDER[0]:.0e} to {_LADDER[-1]:.0e} box units) after {len(drawn)} global points"
        )
    attempted = len(kept)
    observed_share = n / attempted if attempted else 0.0
    classes = {bool(e[1]) for e in evaluated}
    bound = disagreement_bound(global_compared) if not bad else None
    if bad:
        verdict, rule = "refuted", "a compared point disagrees"
        if counterexamples:
            ce = counterexamples[0]
            shown = ", ".join(f"{k}={v:.6g}" for k, v in ce.params.items()) or (
                "the model's own parameter values"  # a claim with no sampled parameter
            )
            example = (
                f"; e.g. at {shown} the prediction says {_show(ce.predicted)} but the "
                f"observation found {_show(ce.observed)}"
                + (f" ({ce.evidence})" if ce.evidence else "")
            )
        else:
            example = " (max_counterexamples=0: none refined or shown)"
        reason = f"{len(bad)} of {n} compared points disagree{example}"
    elif claim.kind == "condition" and constant and n:
        # A constant prediction ("always", "never") has one class by construction: agreement
        # only says the observation never saw the other outcome. It can be refuted, never
        # confirmed.
        verdict, rule = "inconclusive", "constant prediction"
        reason = (
            "the prediction takes one value over the box, so the check cannot tell it from a "
            f"constant (it agrees at all {n} compared points); state it as a condition that "
            "holds on one side of a threshold in the box and fails on the other"
        )
    elif not claim.domain and n == 1:
        verdict, rule = "confirmed", "a single point, observed and agreeing"
        reason = "prediction and observation agree at the one point checked"
    elif n == 0 or observed_share < MIN_OBSERVED:
        verdict, rule = "inconclusive", f"fewer than {MIN_OBSERVED:.0%} of the points observed"
        reason = (
            f"only {n} of {attempted} attempted points could be observed ({observed_share:.0%} < "
            f"{MIN_OBSERVED:.0%}); the observation failed at {len(failures)}"
            + (f" (first: {failures[0]})" if failures else "")
        )
    elif drawn and excluded > MAX_EXCLUDED * len(drawn):
        verdict, rule = "inconclusive", f"more than {MAX_EXCLUDED:.0%} left out near the boundary"
        reason = (
            f"{excluded} of {len(drawn)} global samples lie within the boundary tolerance "
            f"{claim.boundary_tol:g} and were left out (more than {MAX_EXCLUDED:.0%})"
        )
    elif claim.kind == "condition" and len(classes) < 2:
        verdict, rule = "inconclusive", "only one predicted class compared"
        only = "true" if classes == {True} else "false"
        reason = (
            f"the prediction is {only} at every one of the {n} compared points, so the check "
            "cannot tell it from a constant; widen the domain so both sides are sampled"
        )
    else:
        verdict, rule = (
            "confirmed",
            (
                "no disagreement; >= 95% observed"
                + ("; both predicted classes compared" if claim.kind == "condition" else "")
            ),
        )
        reason = f"prediction and observation agree at all {n} compared points"
        if stochastic:
            test = "binomial tests" if claim.kind == "probability" else "t-tests of the mean"
            reason += f" ({test} at level {claim.level}, Bonferroni over {n} points)"
        if claim.kind == "value":
            reason += (
                f" (error at most {max_rel:.2g} <= {claim.tolerance:g} relative, "
                f"absolute floor {claim.atol:g})"
            )
        if bound is not None and claim.domain:
            reason += (
                f"; with {global_compared} global points and no disagreement, the disagreeing "
                f"share of the box is below {bound:.2g} (95%)"
            )
    return CheckReport(
        claim=claim.name,
        statement=claim.statement,
        kind=str(claim.kind),
        prediction=claim.prediction_text(),
        verdict=verdict,
        reason=reason,
        samples=len(drawn) + len(extra),
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
        rule=rule,
        disagreement_bound=bound,
        boundary_samples=len(extra),
        boundary_error_params=gaps,
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
