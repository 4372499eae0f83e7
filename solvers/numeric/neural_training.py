"""Training step-function learners as vectorized ensembles, and where they tip.

Step-function learners (the neural learners of :mod:`incentive_geometry.theory.learners.neural`
and any learner built with ``Learner.from_step``) are read through their interface
(``states``, ``parameters``, ``init``, ``step``, ``observe``; see
:mod:`incentive_geometry.theory.learners.base`); this module imports nothing from the model
library.

* :func:`train_states` -- ``steps`` SGD steps of ``n`` learners in one vectorized ensemble,
  seeded; the final internal states (weights) and recorded states;
* :func:`tipping_scan` -- learners started at one state, trained at each value of a parameter;
  the fraction that escaped, with binomial confidence intervals, and where it crosses one half.

Examples
--------
>>> from incentive_geometry.solvers.numeric import neural_training
>>> neural_training.__name__
'incentive_geometry.solvers.numeric.neural_training'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Parameter

__all__ = ["StepLearnerLike", "TippingScan", "TrainedStates", "tipping_scan", "train_states"]


class StepLearnerLike(Protocol):
    """What this module reads of a step-function learner (see ``theory.learners.base.Learner``).

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import mixture_of_experts
    >>> from incentive_geometry.solvers.numeric.neural_training import StepLearnerLike
    >>> L: StepLearnerLike = mixture_of_experts()
    >>> L.state_names
    ('x',)
    """

    name: str
    parameters: tuple[Parameter, ...]
    step: Any
    init: Any
    observe: Any

    @property
    def state_names(self) -> tuple[str, ...]: ...

    @property
    def parameter_names(self) -> tuple[str, ...]: ...

    @property
    def defaults(self) -> dict[str, float | None]: ...


@dataclass(frozen=True)
class TrainedStates:
    """Final states of an ensemble after training.

    Attributes
    ----------
    z : numpy.ndarray, shape (n, size)
        Internal states (weights) of every learner.
    x : numpy.ndarray, shape (n, n_states)
        Recorded states, in the order of ``learner.states``.
    params : dict
        The parameter values used (defaults filled in; arrays for per-learner values).
    steps : int
        Steps taken.

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import mixture_of_experts
    >>> from incentive_geometry.solvers.numeric.neural_training import train_states
    >>> train_states(mixture_of_experts(), n=2, steps=3, x0={"x": 0.5}).z.shape
    (2, 3)
    """

    z: np.ndarray
    x: np.ndarray
    params: dict[str, Any]
    steps: int


def _merged(learner: StepLearnerLike, params: Mapping[str, Any] | None, n: int) -> dict[str, Any]:
    out: dict[str, Any] = dict(learner.defaults)
    for k, v in (params or {}).items():
        if k not in out:
            raise ModelError(
                f"`params` has `{k}`, which is not a parameter of learner `{learner.name}`; its "
                f"parameters: {', '.join(learner.parameter_names)}"
            )
        arr = np.asarray(v, dtype=float)
        if arr.ndim == 0:
            out[k] = float(arr)
        elif arr.shape == (n,):
            out[k] = arr
        else:
            raise ModelError(
                f"`params[{k!r}]` must be a float or an array of shape ({n},), got shape "
                f"{arr.shape}"
            )
    missing = [k for k, v in out.items() if v is None]
    if missing:
        raise ModelError(f"`params` needs values for {', '.join(missing)} (no defaults)")
    return out


def train_states(
    learner: StepLearnerLike,
    *,
    n: int,
    steps: int,
    params: Mapping[str, Any] | None = None,
    x0: Mapping[str, float] | None = None,
    z0: np.ndarray | None = None,
    seed: int = 0,
) -> TrainedStates:
    """Run ``steps`` SGD steps of ``n`` independent copies of a step-function learner.

    One vectorized call of the learner's ``step`` advances the whole ensemble; the only source
    of randomness is ``numpy.random.default_rng(seed)``, so a run is bit-reproducible.

    Parameters
    ----------
    learner : Learner
        A step-function learner (e.g. from :mod:`incentive_geometry.theory.learners.neural`).
    n : int
        Ensemble size.
    steps : int
        SGD steps.
    params : mapping, optional
        Parameter values (floats, or arrays of shape ``(n,)`` for per-learner values); the
        learner's defaults fill the rest.
    x0 : mapping, optional
        Initial recorded states by name (0 where not given); passed to the learner's ``init``.
    z0 : numpy.ndarray, shape (n, size), optional
        Internal states to continue from (e.g. ``previous.z``, to lower the step in stages);
        then `x0` is not used.
    seed : int, default 0

    Returns
    -------
    TrainedStates

    Raises
    ------
    ModelError
        For an outcome learner, unknown names or badly shaped parameters.

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import mixture_of_experts
    >>> from incentive_geometry.solvers.numeric.neural_training import train_states
    >>> run = train_states(mixture_of_experts(), n=4, steps=10, x0={"x": 0.9}, seed=1)
    >>> run.x.shape, bool(((run.x > 0) & (run.x < 1)).all())
    ((4, 1), True)
    """
    if learner.step is None:
        raise ModelError(
            f"`learner` {learner.name!r} is an outcome learner; train_states runs step-function "
            "learners (use incentive_geometry.train for outcome learners)"
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ModelError(f"`n` must be a positive int, got {n!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ModelError(f"`steps` must be a nonnegative int, got {steps!r}")
    p = _merged(learner, params, n)
    start = np.zeros((n, len(learner.state_names)))
    for k, v in (x0 or {}).items():
        if k not in learner.state_names:
            raise ModelError(
                f"`x0` has `{k}`, which is not a state of `{learner.name}`; states: "
                f"{', '.join(learner.state_names)}"
            )
        start[:, learner.state_names.index(k)] = float(v)
    rng = np.random.default_rng(seed)
    if z0 is not None:
        z = np.array(z0, dtype=float)
        if z.ndim != 2 or z.shape[0] != n:
            raise ModelError(f"`z0` must have shape ({n}, size), got {z.shape}")
    elif learner.init is not None:
        z = learner.init(start, p, rng)
    else:
        z = start.copy()
    for _ in range(steps):
        z = learner.step(z, p, rng)
    x = learner.observe(z, p) if learner.observe is not None else z
    return TrainedStates(z=np.asarray(z), x=np.asarray(x), params=p, steps=steps)


def _wilson(k: np.ndarray, n: int, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    # Wilson score interval for a binomial proportion (95 % by default).
    p = k / n
    den = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return centre - half, centre + half


@dataclass(frozen=True)
class TippingScan:
    """Where learners started at one state escape, as a parameter is raised.

    Attributes
    ----------
    parameter : str
        The parameter scanned.
    values : numpy.ndarray
        Its values (increasing).
    escaped : numpy.ndarray
        Fraction of learners whose recorded `state` ended below `below`, per value.
    low, high : numpy.ndarray
        95 % Wilson confidence interval of each fraction.
    tip : float
        Where the escaped fraction first crosses one half (linear interpolation between grid
        points; nan when it does not cross inside the grid).
    tip_low, tip_high : float
        The same crossing for the lower and the upper confidence bounds (an interval for the tip:
        the upper bound crosses first).
    n : int
        Learners per value.
    steps : int
        Steps per learner.
    final : numpy.ndarray, shape (len(values), n)
        Final value of `state` of every learner.

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import mixture_of_experts
    >>> from incentive_geometry.solvers.numeric.neural_training import tipping_scan
    >>> r = tipping_scan(mixture_of_experts(), parameter="theta", values=[0.3, 0.8], n=4,
    ...                  steps=800, x0={"x": 0.9})
    >>> r.final.shape, r.tip > 0.3
    ((2, 4), True)
    """

    parameter: str
    values: np.ndarray
    escaped: np.ndarray
    low: np.ndarray
    high: np.ndarray
    tip: float
    tip_low: float
    tip_high: float
    n: int
    steps: int
    final: np.ndarray


def _crossing(values: np.ndarray, frac: np.ndarray) -> float:
    for i in range(values.size - 1):
        f0, f1 = frac[i] - 0.5, frac[i + 1] - 0.5
        if f0 < 0 <= f1:
            return float(values[i] + (values[i + 1] - values[i]) * (-f0) / (f1 - f0))
    return float("nan")


def tipping_scan(
    learner: StepLearnerLike,
    *,
    parameter: str,
    values: Sequence[float],
    n: int,
    steps: int,
    x0: Mapping[str, float],
    state: str = "x",
    below: float = 0.5,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> TippingScan:
    """Train learners started at `x0` at each value of `parameter`; where do they escape?

    All ``len(values) * n`` learners run in one vectorized ensemble with per-learner values of
    `parameter`. A learner escaped when its recorded `state` ends below `below` (e.g. a
    mixture of experts whose gate share on the proxy expert fell from 0.9 to under one half).

    Parameters
    ----------
    learner : Learner
        A step-function learner.
    parameter : str
        The parameter raised (e.g. ``"theta"``).
    values : sequence of float
        Increasing values.
    n : int
        Learners per value.
    steps : int
        Steps per learner.
    x0 : mapping
        Start state.
    state : str, default "x"
        The recorded state that decides escape.
    below : float, default 0.5
    params : mapping, optional
        The other parameters (the learner's defaults otherwise).
    seed : int, default 0

    Returns
    -------
    TippingScan

    Raises
    ------
    ModelError
        For unknown names or a grid that is not increasing.

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import mixture_of_experts
    >>> from incentive_geometry.solvers.numeric.neural_training import tipping_scan
    >>> r = tipping_scan(mixture_of_experts(), parameter="theta", values=[0.4, 0.7], n=8,
    ...                  steps=1500, x0={"x": 0.9})
    >>> r.escaped.tolist()
    [0.0, 1.0]
    """
    grid = np.asarray(values, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or np.any(np.diff(grid) <= 0):
        raise ModelError(
            f"`values` must be at least two increasing numbers, got {values!r:.60}; pass e.g. "
            "values=[0.4, 0.5, 0.6]"
        )
    if parameter not in learner.parameter_names:
        raise ModelError(
            f"`parameter` {parameter!r} is not a parameter of `{learner.name}`; its parameters: "
            f"{', '.join(learner.parameter_names)}"
        )
    if state not in learner.state_names:
        raise ModelError(
            f"`state` {state!r} is not a state of `{learner.name}`; states: "
            f"{', '.join(learner.state_names)}"
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ModelError(f"`n` must be a positive int, got {n!r}")
    others = {k: v for k, v in (params or {}).items() if k != parameter}
    run = train_states(
        learner,
        n=grid.size * n,
        steps=steps,
        params={**others, parameter: np.repeat(grid, n)},
        x0=x0,
        seed=seed,
    )
    final = run.x[:, learner.state_names.index(state)].reshape(grid.size, n)
    k = (final < below).sum(axis=1)
    frac = k / n
    low, high = _wilson(k, n)
    return TippingScan(
        parameter=parameter,
        values=grid,
        escaped=frac,
        low=low,
        high=high,
        tip=_crossing(grid, frac),
        tip_low=_crossing(grid, high),
        tip_high=_crossing(grid, low),
        n=n,
        steps=steps,
        final=final,
    )
