"""Ensembles of learners: vectorized, seeded, chunked training runs and what they show.

:func:`train` runs ``n`` independent copies of a learner (:mod:`incentive_geometry.theory.learners`)
for ``steps`` steps in NumPy, vectorized over the learners. An outcome learner draws one outcome
per learner and step (one uniform number each) from its compiled probabilities and adds the
increment; a step-function learner calls its own ``step``. The learners are cut into chunks of
``chunk_size``; chunk ``i`` draws from ``SeedSequence(seed).spawn(n_chunks)[i]``, so the result is
a function of ``(seed, chunk_size)`` alone, bit for bit the same in this process, on a process
pool or on Dask (:func:`~incentive_geometry.solvers.numeric.executors.run_chunks`).

Observations for the claims on learners: :func:`entrenched_fraction` (a binomial proportion with
its Clopper-Pearson interval), :func:`escape_times`, :func:`tipping_observability` (bisection on
``theta`` of the escape fraction crossing one half), :func:`hysteresis` (a slow sweep of
``theta`` up and down), and :func:`empirical_drift` (the average one-step increment per unit
step, the Monte Carlo counterpart of the derived mean field).

Examples
--------
>>> from incentive_geometry.theory import learners
>>> from incentive_geometry.solvers.numeric.train import train
>>> run = train(learners.cross_learning(), n=500, steps=2000, params={"theta": 0.2},
...             x0={"x": 0.9}, seed=0)
>>> run.x.shape, float(run.final["x"].mean()) > 0.95
((500, 1001, 1), True)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.solvers.numeric.executors import ExecutorSpec, run_chunks
from incentive_geometry.solvers.symbolic.mean_field import LearnerLike

__all__ = [
    "EscapeTime",
    "Hysteresis",
    "Proportion",
    "TippingPoint",
    "TrainingRun",
    "empirical_drift",
    "entrenched_fraction",
    "escape_times",
    "hysteresis",
    "mean_escape_time",
    "proportion",
    "tipping_observability",
    "train",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Default most bytes the saved states of one run may take (2 GiB).
MAX_BYTES = 2**31


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class TrainingRun:
    """The saved states of an ensemble of learners.

    Attributes
    ----------
    t : ndarray of int
        The saved steps (``0``, every ``save_every`` steps, and the last step).
    x : ndarray, shape (n, len(t), n_states)
        States of every learner at the saved steps, in the order of `states`.
    states : tuple of str
        State names (the order of ``mean_field(learner).states``).
    params : dict of str to float or ndarray
        The parameter values used (per-learner arrays where given).
    learner : str
        The learner's name.
    seed : int
        The seed.
    chunk_size : int
        Learners per chunk (with `seed`, what the result depends on).

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> from incentive_geometry.solvers.numeric.train import train
    >>> run = train(learners.cross_learning(), n=3, steps=10, x0={"x": 0.5}, seed=1)
    >>> run.t
    array([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10])
    >>> sorted(run.final), run.final["x"].shape
    (['x'], (3,))
    """

    t: np.ndarray
    x: FloatArray
    states: tuple[str, ...]
    params: dict[str, Any]
    learner: str
    seed: int
    chunk_size: int

    @property
    def final(self) -> dict[str, FloatArray]:
        """The last saved value of each state, one entry per learner."""
        return {s: self.x[:, -1, i] for i, s in enumerate(self.states)}

    def state(self, name: str) -> FloatArray:
        """The saved values of one state, shape ``(n, len(t))``.

        Examples
        --------
        >>> from incentive_geometry.theory import learners
        >>> from incentive_geometry.solvers.numeric.train import train
        >>> train(learners.moran(N=10), n=2, steps=5, x0={"x": 0.5}).state("x").shape
        (2, 6)
        """
        if name not in self.states:
            raise ModelError(
                f"`{name}` is not a state of this run; states: {', '.join(self.states)}"
            )
        return self.x[:, :, self.states.index(name)]


@dataclass(frozen=True)
class Proportion:
    """A binomial proportion with its confidence interval (Clopper-Pearson).

    Examples
    --------
    >>> from incentive_geometry.solvers.numeric.train import proportion
    >>> p = proportion(30, 100)
    >>> p.estimate, round(p.low, 3), round(p.high, 3)
    (0.3, 0.212, 0.4)
    """

    count: int
    n: int
    estimate: float
    low: float
    high: float
    confidence: float

    def contains(self, value: float) -> bool:
        """Whether `value` lies in the interval."""
        return self.low <= value <= self.high


def proportion(count: int, n: int, *, confidence: float = 0.95) -> Proportion:
    """The proportion ``count / n`` with its exact (Clopper-Pearson) confidence interval.

    Parameters
    ----------
    count, n : int
        Successes and trials, ``0 <= count <= n``, ``n >= 1``.
    confidence : float
        Confidence level of the interval.

    Returns
    -------
    Proportion

    References
    ----------
    .. [1] C. J. Clopper and E. S. Pearson, The use of confidence or fiducial limits illustrated
       in the case of the binomial, Biometrika 26 (1934) 404-413.

    Examples
    --------
    >>> from incentive_geometry.solvers.numeric.train import proportion
    >>> proportion(0, 50).high < 0.08
    True
    """
    from scipy.stats import binomtest

    if n < 1 or not 0 <= count <= n:
        raise ModelError(f"`count` = {count} and `n` = {n} need 0 <= count <= n and n >= 1")
    ci = binomtest(int(count), int(n)).proportion_ci(confidence_level=confidence, method="exact")
    return Proportion(int(count), int(n), count / n, float(ci.low), float(ci.high), confidence)


@dataclass(frozen=True)
class TippingPoint:
    """The measured tipping observability: where the escape fraction crosses one half.

    Attributes
    ----------
    value : float
        Estimate (linear interpolation of the escape fraction in the last bracket).
    low, high : float
        Interval: the largest evaluated value whose escape fraction is significantly below one
        half and the smallest significantly above (monotone escape fraction assumed).
    evaluations : tuple of (float, Proportion)
        Every evaluated parameter value and its escape fraction, in order of evaluation.
    parameter : str
        The bisected parameter.

    Examples
    --------
    >>> from incentive_geometry.solvers.numeric.train import TippingPoint, proportion
    >>> tp = TippingPoint(0.5, 0.4, 0.6, ((0.4, proportion(1, 50)),), "theta")
    >>> tp.width
    0.2
    """

    value: float
    low: float
    high: float
    evaluations: tuple[tuple[float, Proportion], ...]
    parameter: str

    @property
    def width(self) -> float:
        """Width of the interval."""
        return round(self.high - self.low, 15)


@dataclass(frozen=True)
class Hysteresis:
    """A slow sweep of a parameter up and then down, with learners carried along.

    Attributes
    ----------
    values : ndarray
        The parameter values of the upward sweep (the downward one visits them in reverse).
    up, down : ndarray
        Mean of the state at the end of each value, up the sweep and down (in the order of
        `values`, so ``up[i]`` and ``down[i]`` belong to the same value).
    up_fraction, down_fraction : ndarray
        Fraction of learners above the threshold (entrenched) at the end of each value.
    parameter, state : str

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.solvers.numeric.train import Hysteresis
    >>> h = Hysteresis(np.array([0.1, 0.9]), np.array([1.0, 0.0]), np.array([0.9, 0.0]),
    ...                np.array([1.0, 0.0]), np.array([1.0, 0.0]), "theta", "x")
    >>> round(h.loop_area, 6)
    0.04
    """

    values: FloatArray
    up: FloatArray
    down: FloatArray
    up_fraction: FloatArray
    down_fraction: FloatArray
    parameter: str
    state: str

    @property
    def loop_area(self) -> float:
        """Area between the upward and downward branches of the mean (trapezoid rule)."""
        gap = np.abs(self.down - self.up)
        return float(np.sum((gap[1:] + gap[:-1]) / 2 * np.diff(self.values)))


# --------------------------------------------------------------------------------------------
# Argument checks


def _check_int(value: object, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < low:
        raise ModelError(
            f"`{name}` must be an int >= {low}, got {value!r:.60}; pass e.g. {name}={max(low, 1000)}"
        )
    return int(value)


def _resolve_params(
    learner: LearnerLike, params: Mapping[str, Any] | None, n: int
) -> dict[str, Any]:
    given = dict(params or {})
    known = {p.name: p for p in learner.parameters}
    for key in given:
        if key not in known:
            raise ModelError(
                f"`params` names `{key}`, which is not a parameter of learner `{learner.name}`; "
                f"its parameters: {', '.join(known)}"
            )
    out: dict[str, Any] = {}
    for name, p in known.items():
        value = given.get(name, p.default)
        if value is None:
            raise ModelError(
                f"parameter `{name}` of learner `{learner.name}` has no default; pass "
                f"params={{'{name}': ...}}"
            )
        arr = np.asarray(value, dtype=float)
        if arr.ndim == 0:
            v = float(arr)
            if not p.domain.contains(v):
                raise ModelError(
                    f"parameter `{name}` = {v!r} is outside its domain {p.domain.to_spec()!r}; "
                    "pass a value inside it"
                )
            out[name] = v
        elif arr.shape == (n,):
            bad = [float(v) for v in arr if not p.domain.contains(float(v))]
            if bad:
                raise ModelError(
                    f"parameter `{name}` has per-learner values outside its domain "
                    f"{p.domain.to_spec()!r}, e.g. {bad[0]!r}; pass values inside it"
                )
            out[name] = arr.copy()
        else:
            raise ModelError(
                f"parameter `{name}` must be a number or an array of one value per learner "
                f"(shape ({n},)), got shape {arr.shape}"
            )
    return out


def _resolve_x0(learner: LearnerLike, x0: Mapping[str, Any] | None, n: int) -> FloatArray:
    names = learner.state_names
    if not isinstance(x0, Mapping):
        raise ModelError(
            f"`x0` must map every state of `{learner.name}` ({', '.join(names)}) to a value or to "
            f"one value per learner, got {x0!r:.60}; e.g. x0={{'{names[0]}': 0.9}}"
        )
    extra = set(x0) - set(names)
    missing = [s for s in names if s not in x0]
    if extra or missing:
        raise ModelError(
            f"`x0` must give exactly the states {', '.join(names)} of `{learner.name}`; "
            + (f"unknown: {', '.join(sorted(extra))}. " if extra else "")
            + (f"missing: {', '.join(missing)}" if missing else "")
        )
    out = np.empty((n, len(names)))
    for i, s in enumerate(names):
        arr = np.asarray(x0[s], dtype=float)
        if arr.ndim not in (0, 1) or (arr.ndim == 1 and arr.shape != (n,)):
            raise ModelError(f"`x0['{s}']` must be a number or {n} numbers, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ModelError(f"`x0['{s}']` must be finite, got {x0[s]!r:.60}")
        dom = learner.state_domains[i]
        if not all(dom.contains(float(v)) for v in np.ravel(arr)):
            raise ModelError(
                f"`x0['{s}']` = {x0[s]!r:.60} lies outside the state's domain {dom.to_spec()!r}"
            )
        out[:, i] = arr
    return out


def _save_grid(steps: int, save_every: int | None) -> np.ndarray:
    if save_every is None:
        save_every = max(1, math.ceil(steps / 1000))
    save_every = _check_int(save_every, "save_every", 1)
    t = np.arange(0, steps + 1, save_every, dtype=np.int64)
    if t[-1] != steps:
        t = np.append(t, np.int64(steps))
    return t


# --------------------------------------------------------------------------------------------
# Compiled steps


@dataclass(frozen=True)
class _Compiled:
    """Vectorized probability and increment functions of an outcome learner."""

    probs: Callable[..., Any]
    incs: Callable[..., Any]
    n_outcomes: int
    n_states: int
    lo: FloatArray
    hi: FloatArray


def _bounds(learner: LearnerLike) -> tuple[FloatArray, FloatArray]:
    lo, hi = [], []
    for d in learner.state_domains:
        if d.kind == "interval":
            lo.append(-math.inf if d.lo is None else float(d.lo))
            hi.append(math.inf if d.hi is None else float(d.hi))
        elif d.kind in ("positive", "nonnegative"):
            lo.append(0.0)
            hi.append(math.inf)
        else:
            lo.append(-math.inf)
            hi.append(math.inf)
    return np.array(lo), np.array(hi)


@functools.lru_cache(maxsize=32)
def _compile(learner: LearnerLike) -> _Compiled:
    syms = [*learner.states, *(p.symbol for p in learner.parameters)]
    probs = sympy.lambdify(syms, [o.probability for o in learner.outcomes], "numpy", cse=True)
    incs = sympy.lambdify(syms, [list(o.increment) for o in learner.outcomes], "numpy", cse=True)
    lo, hi = _bounds(learner)
    return _Compiled(probs, incs, len(learner.outcomes), len(learner.states), lo, hi)


def _outcome_step(
    comp: _Compiled, x: FloatArray, pvals: Sequence[Any], u: FloatArray
) -> FloatArray:
    """One step of ``m`` outcome learners; ``x`` has shape (n_states, m), ``u`` uniform (m,).

    Inverse-CDF draw: outcome ``o`` happens when ``F_{o-1} <= u < F_o`` with ``F`` the running
    sums of the probabilities, built row by row (contiguous). Only outcomes that change some
    state need their mask; the last outcome takes whatever the others leave.
    """
    args = [*x, *pvals]
    probs = comp.probs(*args)
    raw = comp.incs(*args)
    out = x.copy()
    below = None  # u >= F_{o-1}, as a mask (None: F_{-1} = 0, always true)
    running = None
    last = comp.n_outcomes - 1
    for o in range(comp.n_outcomes):
        if o < last:
            running = probs[o] if running is None else running + probs[o]
            upper = u < running
            mask = upper if below is None else upper & below
            below = ~upper
        else:
            mask = below
        for i in range(comp.n_states):
            inc = raw[o][i]
            # Outcomes that leave a state unchanged come back from lambdify as the scalar 0.
            if not (np.isscalar(inc) and inc == 0):
                out[i] += np.where(mask, inc, 0.0)
    # Shares stay in their domain (rounding only; a valid step never leaves it).
    np.clip(out, comp.lo[:, None], comp.hi[:, None], out=out)
    return out


@dataclass(frozen=True)
class _Plan:
    learner: Any
    steps: int
    t: np.ndarray
    chunk_size: int
    n: int


def _chunk_params(params: Mapping[str, Any], sl: slice) -> dict[str, Any]:
    return {k: (v[sl] if isinstance(v, np.ndarray) else v) for k, v in params.items()}


def _run_chunk(
    plan: _Plan,
    x0: FloatArray,
    params: dict[str, Any],
    seed_seq: np.random.SeedSequence,
    index: int,
) -> dict[str, np.ndarray]:
    """Train one chunk of learners; a pure function of its arguments."""
    learner = plan.learner
    rng = np.random.default_rng(seed_seq)
    m, n_states = x0.shape
    # Saved as (len(t), n_states, m): each save writes contiguous rows; transposed at the end.
    saved = np.empty((len(plan.t), n_states, m))
    save_at = {int(s): j for j, s in enumerate(plan.t)}
    if learner.outcomes:
        comp = _compile(learner)
        pvals = [params[p.name] for p in learner.parameters]
        x = np.ascontiguousarray(x0.T)
        saved[0] = x
        with np.errstate(all="ignore"):
            for step in range(1, plan.steps + 1):
                x = _outcome_step(comp, x, pvals, rng.random(m))
                j = save_at.get(step)
                if j is not None:
                    saved[j] = x
    else:
        z = learner.init(x0.copy(), params, rng) if learner.init is not None else x0.copy()

        def observe(z: Any) -> FloatArray:
            return np.asarray(learner.observe(z, params) if learner.observe is not None else z)

        saved[0] = observe(z).T
        for step in range(1, plan.steps + 1):
            z = learner.step(z, params, rng)
            j = save_at.get(step)
            if j is not None:
                saved[j] = observe(z).T
    return {"x": np.ascontiguousarray(saved.transpose(2, 0, 1))}


def train(
    learner: LearnerLike,
    n: int,
    steps: int,
    *,
    params: Mapping[str, Any] | None = None,
    x0: Mapping[str, Any] | None = None,
    seed: int = 0,
    save_every: int | None = None,
    executor: ExecutorSpec = None,
    progress: bool = False,
    chunk_size: int = 5000,
    max_bytes: int = MAX_BYTES,
) -> TrainingRun:
    """Train ``n`` independent copies of a learner for ``steps`` steps, vectorized and seeded.

    Parameters
    ----------
    learner : Learner
        From :mod:`incentive_geometry.theory.learners`.
    n : int
        Number of learners.
    steps : int
        Number of steps of each.
    params : mapping, optional
        Parameter values (defaults of the learner for the rest); a value may be an array of one
        value per learner.
    x0 : mapping
        Initial value of every state: a number, or one value per learner.
    seed : int
        Seed; with `chunk_size` it determines the result bit for bit, whatever the executor.
    save_every : int, optional
        Save the states every this many steps (and at the last step); by default about 1000
        saved steps.
    executor : None, "serial", "processes", Executor or dask Client
        Where chunks run (:func:`~incentive_geometry.solvers.numeric.executors.open_executor`);
        None uses a process pool for large runs.
    progress : bool
        Show a progress bar over the chunks (tqdm, on stderr).
    chunk_size : int
        Learners per chunk (5000: 10,000 learners make two chunks, one per core of a small
        machine; larger chunks vectorize better, smaller ones spread over more workers).
    max_bytes : int
        Largest size of the saved states accepted (default 2 GiB); a larger request is refused
        before any work.

    Returns
    -------
    TrainingRun

    Raises
    ------
    ModelError
        For unknown parameters, values outside their domains, a missing or bad `x0`, or saved
        states that would exceed `max_bytes` (the message says which `save_every` fits).

    References
    ----------
    .. [1] M. E. O'Neill, PCG: A family of simple fast space-efficient statistically good
       algorithms for random number generation, HMC-CS-2014-0905, 2014 (NumPy's PCG64 and
       ``SeedSequence.spawn`` give the independent chunk streams).

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> from incentive_geometry.solvers.numeric.train import train
    >>> L = learners.cross_learning()
    >>> a = train(L, n=300, steps=50, x0={"x": 0.5}, seed=3, chunk_size=100)
    >>> b = train(L, n=300, steps=50, x0={"x": 0.5}, seed=3, chunk_size=100, executor="serial")
    >>> bool((a.x == b.x).all())
    True
    >>> train(L, n=10_000, steps=100_000, x0={"x": 0.9}, save_every=1)
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: train: saving 10000 learners x 100001 steps x 1 states takes 8.0 GB, above `max_bytes` = 2.1 GB; save fewer steps (save_every=4 or more) or train fewer learners
    """
    n = _check_int(n, "n", 1)
    steps = _check_int(steps, "steps", 0)
    chunk_size = _check_int(chunk_size, "chunk_size", 1)
    t = _save_grid(steps, save_every)
    n_states = len(learner.states)
    need = n * len(t) * n_states * 8
    if need > max_bytes:
        per_step = n * n_states * 8
        fit = max(1, math.ceil(steps / max(1, max_bytes // per_step - 2)))
        raise ModelError(
            f"train: saving {n} learners x {len(t)} steps x {n_states} states takes "
            f"{need / 1e9:.1f} GB, above `max_bytes` = {max_bytes / 1e9:.1f} GB; save fewer steps "
            f"(save_every={fit} or more) or train fewer learners"
        )
    values = _resolve_params(learner, params, n)
    start = _resolve_x0(learner, x0, n)
    n_chunks = math.ceil(n / chunk_size)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)
    plan = _Plan(learner, steps, t, chunk_size, n)

    def payload(i: int) -> tuple[Any, ...]:
        sl = slice(i * chunk_size, min(n, (i + 1) * chunk_size))
        return (start[sl], _chunk_params(values, sl), seeds[i])

    results = run_chunks(
        _run_chunk,
        list(range(n_chunks)),
        args=(plan,),
        payload=payload,
        executor=executor,
        heavy=n * steps >= 20_000_000,
        progress=progress,
        description=f"train {learner.name}",
    )
    x = np.concatenate([results[i]["x"] for i in range(n_chunks)], axis=0)
    return TrainingRun(
        t=t,
        x=x,
        states=tuple(learner.state_names),
        params=values,
        learner=learner.name,
        seed=int(seed),
        chunk_size=chunk_size,
    )


# --------------------------------------------------------------------------------------------
# Observations


def entrenched_fraction(
    run: TrainingRun,
    *,
    state: str = "x",
    threshold: float = 0.5,
    at: int = -1,
    confidence: float = 0.95,
) -> Proportion:
    """Fraction of learners whose state is above `threshold` (entrenched), with its interval.

    Parameters
    ----------
    run : TrainingRun
    state : str
        The share of the proxy-capturing routine.
    threshold : float
        Entrenched means ``state > threshold``.
    at : int
        Index into ``run.t`` (default: the last saved step).
    confidence : float

    Returns
    -------
    Proportion

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> from incentive_geometry.solvers.numeric.train import train, entrenched_fraction
    >>> run = train(learners.cross_learning(), n=200, steps=3000, params={"theta": 0.8},
    ...             x0={"x": 0.9}, seed=0)
    >>> entrenched_fraction(run).estimate  # far above theta*: every learner escapes
    0.0
    """
    values = run.state(state)[:, at]
    return proportion(int(np.count_nonzero(values > threshold)), len(values), confidence=confidence)


def escape_times(
    run: TrainingRun, *, state: str = "x", threshold: float = 0.5, below: bool = True
) -> FloatArray:
    """First saved step at which each learner's state crosses `threshold` (NaN: not in the run).

    Parameters
    ----------
    run : TrainingRun
    state : str
    threshold : float
    below : bool
        Escape means falling below `threshold` (from entrenchment); False: rising above it.

    Returns
    -------
    ndarray of float, shape (n,)
        Steps, resolved to the saving interval; NaN for learners that never crossed
        (right-censored at ``run.t[-1]``).

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> from incentive_geometry.solvers.numeric.train import train, escape_times
    >>> run = train(learners.cross_learning(), n=50, steps=3000, params={"theta": 0.8},
    ...             x0={"x": 0.9}, seed=0, save_every=10)
    >>> tau = escape_times(run)
    >>> bool((tau > 0).all() and (tau < 3000).all())
    True
    """
    values = run.state(state)
    crossed = values < threshold if below else values > threshold
    first = np.argmax(crossed, axis=1)
    out = run.t[first].astype(float)
    out[~crossed.any(axis=1)] = np.nan
    return out


@dataclass(frozen=True)
class EscapeTime:
    """Mean escape time of an ensemble, with censored learners counted (exponential model).

    Attributes
    ----------
    mean : float
        Maximum-likelihood mean ``S / d``: ``S`` the total steps at risk (escape step, or the
        run's end for learners that did not escape), ``d`` the number of escapes.
    low, high : float
        Confidence interval ``2 S / chi2_{1 - a/2}(2 d)``, ``2 S / chi2_{a/2}(2 d)``.
    escaped : int
        Number of learners that escaped.
    n : int
        Number of learners.

    Examples
    --------
    >>> from incentive_geometry.solvers.numeric.train import EscapeTime
    >>> EscapeTime(100.0, 80.0, 120.0, 50, 60).escaped
    50
    """

    mean: float
    low: float
    high: float
    escaped: int
    n: int


def mean_escape_time(
    run: TrainingRun,
    *,
    state: str = "x",
    threshold: float = 0.5,
    below: bool = True,
    confidence: float = 0.95,
) -> EscapeTime:
    """Mean steps to escape, from :func:`escape_times` with right-censoring (exponential law).

    Metastable escapes are memoryless to a good approximation (a Kramers rate), so the escape
    times are modelled as exponential and the learners still entrenched at the end of the run
    count as censored.

    Parameters
    ----------
    run : TrainingRun
    state, threshold, below
        As in :func:`escape_times`.
    confidence : float

    Returns
    -------
    EscapeTime

    Raises
    ------
    ModelError
        When no learner escaped (train longer).

    References
    ----------
    .. [1] J. F. Lawless, Statistical Models and Methods for Lifetime Data, 2nd ed., Wiley,
       2003, section 2.2 (the exponential distribution under censoring).

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> from incentive_geometry.solvers.numeric.train import train, mean_escape_time
    >>> run = train(learners.cross_learning(), n=40, steps=2000, params={"theta": 0.9},
    ...             x0={"x": 0.9}, save_every=5)
    >>> et = mean_escape_time(run)
    >>> et.escaped, et.low <= et.mean <= et.high
    (40, True)
    """
    from scipy.stats import chi2

    tau = escape_times(run, state=state, threshold=threshold, below=below)
    escaped = np.isfinite(tau)
    d = int(escaped.sum())
    if d == 0:
        raise ModelError(
            f"no learner crossed {threshold} within {int(run.t[-1])} steps; train longer"
        )
    total = float(np.where(escaped, tau, float(run.t[-1])).sum())
    a = 1 - confidence
    return EscapeTime(
        mean=total / d,
        low=2 * total / float(chi2.ppf(1 - a / 2, 2 * d)),
        high=2 * total / float(chi2.ppf(a / 2, 2 * d)),
        escaped=d,
        n=len(tau),
    )


def tipping_observability(
    learner: LearnerLike,
    *,
    n: int,
    steps: int,
    x0: Mapping[str, Any],
    bracket: tuple[float, float] = (0.0, 1.0),
    params: Mapping[str, Any] | None = None,
    parameter: str = "theta",
    state: str = "x",
    threshold: float = 0.5,
    tol: float = 0.005,
    max_evaluations: int = 20,
    confidence: float = 0.95,
    seed: int = 0,
    executor: ExecutorSpec = "serial",
) -> TippingPoint:
    """The observability at which learners started near entrenchment escape: bisection on theta.

    At each evaluated value, ``n`` learners start at `x0` and train for `steps`; the escape
    fraction is the fraction ending below `threshold`. Bisection keeps the bracket where the
    escape fraction crosses one half, until it is narrower than `tol`. Every evaluation uses the
    same seed (common random numbers), which makes the escape fraction vary smoothly with the
    parameter.

    Parameters
    ----------
    learner : Learner
    n, steps : int
        Learners per evaluation and their steps.
    x0 : mapping
        Start (e.g. ``{"x": 0.9}``).
    bracket : (float, float)
        Values of `parameter` with escape fraction below and above one half.
    params : mapping, optional
        Values of the other parameters.
    parameter : str
        The bisected parameter.
    state, threshold : str, float
        Escaped means ``state < threshold`` at the end.
    tol : float
        Bisection stops when the bracket is narrower.
    max_evaluations : int
    confidence : float
        Level of the binomial intervals.
    seed : int
    executor : see :func:`train`

    Returns
    -------
    TippingPoint

    Raises
    ------
    ModelError
        When the escape fractions at the bracket ends do not straddle one half.

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> from incentive_geometry.solvers.numeric.train import tipping_observability
    >>> tp = tipping_observability(learners.cross_learning(eta=0.05), n=200, steps=400,
    ...                            x0={"x": 0.9}, bracket=(0.3, 0.8), tol=0.02)
    >>> 0.4 < tp.value < 0.65, tp.low <= tp.value <= tp.high
    (True, True)
    """
    lo, hi = float(bracket[0]), float(bracket[1])
    evaluations: list[tuple[float, Proportion]] = []

    def escape(value: float) -> Proportion:
        run = train(
            learner,
            n,
            steps,
            params={**dict(params or {}), parameter: value},
            x0=x0,
            seed=seed,
            save_every=steps if steps > 0 else None,
            executor=executor,
        )
        values = run.state(state)[:, -1]
        p = proportion(int(np.count_nonzero(values < threshold)), n, confidence=confidence)
        evaluations.append((value, p))
        return p

    p_lo, p_hi = escape(lo), escape(hi)
    if not p_lo.estimate < 0.5 < p_hi.estimate:
        raise ModelError(
            f"`bracket` = ({lo}, {hi}): escape fractions {p_lo.estimate:.3g} and "
            f"{p_hi.estimate:.3g} do not straddle 1/2; widen the bracket or train longer"
        )
    while hi - lo > tol and len(evaluations) < max_evaluations:
        mid = (lo + hi) / 2
        p_mid = escape(mid)
        if p_mid.estimate < 0.5:
            lo, p_lo = mid, p_mid
        else:
            hi, p_hi = mid, p_mid
    # Linear interpolation of the escape fraction inside the final bracket.
    span = p_hi.estimate - p_lo.estimate
    value = lo + (0.5 - p_lo.estimate) / span * (hi - lo) if span > 0 else (lo + hi) / 2
    below = [v for v, p in evaluations if p.high < 0.5]
    above = [v for v, p in evaluations if p.low > 0.5]
    low = max(below) if below else float(bracket[0])
    high = min(above) if above else float(bracket[1])
    return TippingPoint(value, low, high, tuple(evaluations), parameter)


def hysteresis(
    learner: LearnerLike,
    *,
    values: Sequence[float],
    n: int,
    steps_per_value: int,
    x0: Mapping[str, Any],
    params: Mapping[str, Any] | None = None,
    parameter: str = "theta",
    state: str = "x",
    threshold: float = 0.5,
    seed: int = 0,
    executor: ExecutorSpec = "serial",
) -> Hysteresis:
    """Sweep a parameter slowly up through `values` and back down, carrying the learners along.

    At each value the ensemble trains `steps_per_value` steps from where the previous value left
    it (the recorded states; a step-function learner with hidden state restarts it from them).

    Parameters
    ----------
    learner : Learner
    values : sequence of float
        Increasing values of `parameter`.
    n, steps_per_value : int
    x0 : mapping
        Start of the upward sweep.
    params : mapping, optional
    parameter, state : str
    threshold : float
        Entrenched means ``state > threshold``.
    seed : int
        Each value of each sweep gets its own stream of ``SeedSequence(seed)``.
    executor : see :func:`train`

    Returns
    -------
    Hysteresis

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> from incentive_geometry.solvers.numeric.train import hysteresis
    >>> L = learners.cross_learning(eta=0.05, diversity=True, mu=0.02)
    >>> h = hysteresis(L, values=[0.1, 0.35, 0.7], n=100, steps_per_value=600, x0={"x": 0.9})
    >>> h.up_fraction.tolist(), h.down_fraction.tolist()  # at 0.35: entrenched up, aligned down
    ([1.0, 1.0, 0.0], [1.0, 0.0, 0.0])
    """
    grid = np.asarray(values, dtype=float)
    if grid.ndim != 1 or len(grid) < 2 or np.any(np.diff(grid) <= 0):
        raise ModelError(f"`values` must be at least two increasing numbers, got {values!r:.60}")
    seeds = np.random.SeedSequence(seed).generate_state(2 * len(grid))
    current: dict[str, Any] = dict(x0)
    means: list[float] = []
    fracs: list[float] = []
    order = [*range(len(grid)), *reversed(range(len(grid)))]
    for j, i in enumerate(order):
        run = train(
            learner,
            n,
            steps_per_value,
            params={**dict(params or {}), parameter: float(grid[i])},
            x0=current,
            seed=int(seeds[j]),
            save_every=max(1, steps_per_value),
            executor=executor,
        )
        current = dict(run.final)
        v = run.final[state]
        means.append(float(v.mean()))
        fracs.append(float(np.mean(v > threshold)))
    k = len(grid)
    return Hysteresis(
        values=grid,
        up=np.array(means[:k]),
        down=np.array(means[k:][::-1]),
        up_fraction=np.array(fracs[:k]),
        down_fraction=np.array(fracs[k:][::-1]),
        parameter=parameter,
        state=state,
    )


def empirical_drift(
    learner: LearnerLike,
    points: Mapping[str, Any],
    *,
    params: Mapping[str, Any] | None = None,
    samples: int = 10_000,
    seed: int = 0,
) -> tuple[FloatArray, FloatArray]:
    """Monte Carlo average of one step's increment per unit step, at given states.

    For each point, `samples` learners take one step from it; the result is
    ``mean(increment) / eta`` and its standard error, the numerical counterpart of the derived
    mean field (they agree up to ``O(eta)``).

    Parameters
    ----------
    learner : Learner
    points : mapping of state name to array of P values
        The states at which to measure.
    params : mapping, optional
        Parameter values (scalars).
    samples : int
        One-step samples per point.
    seed : int

    Returns
    -------
    mean, stderr : ndarray, shape (P, n_states)

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> from incentive_geometry.solvers.numeric.train import empirical_drift
    >>> mean, se = empirical_drift(learners.cross_learning(), {"x": [0.5]}, samples=20_000)
    >>> # mean field x (1 - x) G(x) at x = 0.5 with the defaults: 0.25 * (0.7 * 0.7 - 0.3) = 0.0475
    >>> bool(abs(mean[0, 0] - 0.0475) < 4 * se[0, 0])
    True
    """
    samples = _check_int(samples, "samples", 2)
    names = learner.state_names
    cols = [np.atleast_1d(np.asarray(points[s], dtype=float)) for s in names]
    P = len(cols[0])
    values = _resolve_params(learner, params, 1)
    eta = float(values[learner.step_parameter])
    start = np.repeat(np.stack(cols, axis=1), samples, axis=0)  # (P * samples, n_states)
    plan = _Plan(learner, 1, np.array([0, 1]), len(start), len(start))
    out = _run_chunk(plan, start, values, np.random.SeedSequence(seed), 0)["x"]
    inc = (out[:, 1, :] - out[:, 0, :]).reshape(P, samples, len(names)) / eta
    return inc.mean(axis=1), inc.std(axis=1, ddof=1) / math.sqrt(samples)
