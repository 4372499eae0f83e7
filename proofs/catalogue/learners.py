"""The paper's claims observed on learning systems (issue 13): C1, C2, C5 and C6 on learners.

Every other family of the catalogue observes the ODE it was derived from. Here the observation
is an ensemble of learners (:mod:`incentive_geometry.theory.learners`) trained by
:func:`~incentive_geometry.solvers.numeric.train.train`, and the prediction is derived from the
canonical model, which is the learners' mean field (a derivation step checks that with sympy).
The finite-step error is part of each statement:

* **C1 threshold** (one claim per step ``eta``, and one for the lower end of the window):
  Cross learners are trained at the mean field's threshold ``theta_tip(x0) = alpha (b + gamma
  x0) / (alpha (b + gamma x0) + c)``, where the start ``x0`` is the unstable equilibrium
  (``theta_tip -> theta*`` as ``x0 -> 1``, ``-> alpha b / (alpha b + c)`` as ``x0 -> 0``). The
  mean field stays at ``x0``; the learners' mean share after ``T`` moves by the finite-step
  shift of the linear-noise expansion, ``eta kappa D (exp(lambda T) - 1)^2 / (4 lambda^2)``
  (:data:`SHIFT`, with the local coefficients of the derived drift and diffusion), which vanishes as ``eta -> 0``.
  A t-test of 10,000 learners decides; the threshold figure converts each mean into the
  learners' threshold in ``theta`` at each ``eta``.
* **C2 drift** (mean claims): the learners' average one-step increment per unit step is the
  canonical drift ``x (1 - x) G(x)`` (Cross learning, exactly) and ``2 x^2 (1 - x)^2 G(x)``
  (policy gradient, up to ``O(eta)``), t-tested at random parameter points; alignment ``1 - x``
  falls exactly where the drift is positive, the entrenched basin.
* **C5 hysteresis** (one point): learners carried slowly up and down in ``theta`` leave
  entrenchment at a larger observability than the one at which they stay aligned.
* **C6 nested levels** (mean claims): in-context learners (linear self-attention trained by SGD)
  nested on proxies at angle ``phi``: the mean alignment of level ``l`` is ``cos(phi)**l``.

Runs are cached per setting (:func:`tipping_run`, :func:`hysteresis_run`,
:func:`in_context_run`), so the figures of :mod:`incentive_geometry.proofs.figures` reuse them.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.learners import entries
>>> [e.claim.name for e in entries()][:2]
['C1.learners.threshold_eta_0.04', 'C1.learners.threshold_eta_0.02']
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation, Step

from .entrenchment import PAPER

__all__ = [
    "CANONICAL",
    "ETAS",
    "HORIZON",
    "SHIFT",
    "TIP",
    "DerivedAtPoint",
    "drift_draws",
    "entries",
    "hysteresis_edges",
    "hysteresis_order",
    "hysteresis_run",
    "in_context_draws",
    "in_context_run",
    "linear_noise_solves",
    "local_coefficients",
    "mean_field_derivation",
    "ode_hysteresis",
    "share_run",
    "shares_at",
    "threshold_at",
    "tipping_run",
]

BORGERS_SARIN = (
    "T. Borgers and R. Sarin, Learning through reinforcement and replicator dynamics, "
    "J. Econ. Theory 77 (1997) 1-14"
)
WILLIAMS = (
    "R. J. Williams, Simple statistical gradient-following algorithms for connectionist "
    "reinforcement learning, Machine Learning 8 (1992) 229-256"
)
KUSHNER_YIN = (
    "H. J. Kushner and G. G. Yin, Stochastic Approximation and Recursive Algorithms and "
    "Applications, 2nd ed., Springer, 2003 (the ODE method)"
)
VAN_KAMPEN = (
    "N. G. van Kampen, Stochastic Processes in Physics and Chemistry, 3rd ed., Elsevier, 2007, "
    "ch. X (the linear-noise approximation)"
)
VON_OSWALD = "J. von Oswald et al., Transformers learn in-context by gradient descent, ICML 2023"

#: The canonical parameters of the learner claims (the learners' defaults).
CANONICAL: dict[str, float] = {"alpha": 1.0, "b": 0.2, "gamma": 1.0, "c": 1.0}
#: Steps of the learners in the C1 threshold claims.
ETAS: tuple[float, ...] = (0.04, 0.02, 0.01)
#: Horizon in mean-field time units (``eta * steps``) of the tipping measurements.
HORIZON = 5.0
#: The observability at which a start x0 is the unstable point (G(x0) = 0).
TIP = "alpha*(b + gamma*x0)/(alpha*(b + gamma*x0) + c)"

#: Learners in each C1 threshold claim.
_SHARE_N = 10_000


def _key(values: Mapping[str, float], names: tuple[str, ...]) -> tuple[float, ...]:
    return tuple(round(float(values[k]), 12) for k in names)


@functools.lru_cache(maxsize=64)
def tipping_run(
    eta: float,
    x0: float,
    params: tuple[tuple[str, float], ...] = tuple(CANONICAL.items()),
    *,
    horizon: float = HORIZON,
    n: int = 200,
    seed: int = 0,
) -> Any:
    """The median-criterion tipping observability of Cross learners started at `x0` (cached).

    Bisection on ``theta``
    (:func:`~incentive_geometry.solvers.numeric.train.tipping_observability`) of the fraction
    of `n` learners whose share after ``horizon / eta`` steps is below `x0`, with common random
    numbers at every ``theta``. Not a claim (its finite-step error has no derived first-order
    term here); drawn in the threshold figure beside the mean criterion.

    Returns
    -------
    TippingPoint

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import tipping_run
    >>> tp = tipping_run(0.05, 0.9, horizon=2.0, n=100)
    >>> 0.45 < tp.value < 0.65
    True
    """
    from incentive_geometry.solvers.numeric.train import tipping_observability
    from incentive_geometry.theory import learners

    steps = max(1, round(horizon / eta))
    # Any: mypy does not see Learner as the solvers' LearnerLike protocol (see the report).
    learner: Any = learners.cross_learning(eta=eta)
    return tipping_observability(
        learner,
        n=n,
        steps=steps,
        x0={"x": x0},
        params=dict(params),
        bracket=(0.02, 0.9),
        threshold=x0,
        tol=0.004,
        seed=seed,
    )


@functools.lru_cache(maxsize=64)
def share_run(
    eta: float,
    x0: float,
    theta: float,
    params: tuple[tuple[str, float], ...] = tuple(CANONICAL.items()),
    *,
    horizon: float = HORIZON,
    n: int = _SHARE_N,
    seed: int = 0,
) -> np.ndarray:
    """Shares of `n` Cross learners after ``horizon / eta`` steps from `x0` at `theta` (cached).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import share_run
    >>> share_run(0.05, 0.9, 0.5, n=100).shape
    (100,)
    """
    from incentive_geometry.solvers.numeric.train import train
    from incentive_geometry.theory import learners

    steps = max(1, round(horizon / eta))
    learner: Any = learners.cross_learning(eta=eta)
    run = train(
        learner,
        n,
        steps,
        params={**dict(params), "theta": theta},
        x0={"x": x0},
        seed=seed,
        save_every=steps,
    )
    return np.asarray(run.x[:, -1, 0], dtype=float)


def shares_at(values: Mapping[str, float], *, seed: int = 0) -> Observation:
    """The shares after ``T`` of Cross learners at the point's ``theta``, ``eta``, ``x0`` (a
    mean claim's draws).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import shares_at
    >>> obs = shares_at({"eta": 0.05, "x0": 0.9, "theta": 0.52, "T": 5.0,
    ...                  "alpha": 1, "b": 0.2, "gamma": 1, "c": 1})
    >>> obs.value.shape
    (10000,)
    """
    params = tuple((k, float(values[k])) for k in CANONICAL)
    eta, x0, theta = float(values["eta"]), float(values["x0"]), float(values["theta"])
    draws = share_run(eta, x0, theta, params, horizon=float(values["T"]), seed=seed)
    se = float(draws.std(ddof=1) / np.sqrt(len(draws)))
    return Observation(
        draws,
        f"{len(draws)} Cross learners, eta = {eta:g}, {round(float(values['T']) / eta)} steps "
        f"from x0 = {x0:g} at theta = {theta:.6g}: mean share {draws.mean():.5f} +- {se:.2g} "
        f"(x0 {'+' if draws.mean() >= x0 else '-'} {abs(draws.mean() - x0):.4f})",
    )


@functools.lru_cache(maxsize=1)
def _derived_coefficients() -> tuple[Any, tuple[str, ...], tuple[str, ...]]:
    """f'(x), f''(x), D(x) and df/dtheta of Cross learning, from its derived mean field and
    diffusion, lambdified once (texts kept for the derivation)."""
    import sympy

    from incentive_geometry.language import to_text
    from incentive_geometry.solvers.symbolic.mean_field import diffusion, mean_field
    from incentive_geometry.theory import learners

    learner: Any = learners.cross_learning()
    # A fixed learner of the library: its derivation is known to finish (no child process).
    mf = mean_field(learner, timeout=None)
    f = mf.rhs[0]
    d = diffusion(learner, timeout=None)[0, 0]
    x, theta = mf.symbol("x"), mf.symbol("theta")
    exprs = (sympy.diff(f, x), sympy.diff(f, x, 2), d, sympy.diff(f, theta))
    args = [mf.symbol(k) for k in ("x", "alpha", "theta", "b", "gamma", "c")]
    fn = sympy.lambdify(args, exprs, modules="numpy")
    return fn, tuple(to_text(e) for e in exprs), tuple(str(a) for a in args)


def local_coefficients(values: Mapping[str, float]) -> dict[str, float]:
    """``lam = f'(x0)``, ``kappa = f''(x0)``, ``D0 = D(x0)`` and ``f_theta = df/dtheta (x0)``
    of Cross learning at a parameter point, from its derived mean field ``f`` and diffusion
    ``D`` (:mod:`incentive_geometry.solvers.symbolic.mean_field`, not hand-written).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import local_coefficients
    >>> k = local_coefficients({"x0": 0.9, "alpha": 1, "theta": 0.5238095, "b": 0.2,
    ...                         "gamma": 1, "c": 1})
    >>> round(k["lam"], 4), round(k["kappa"], 4), round(k["D0"], 4)
    (0.0429, -0.7619, 0.0476)
    """
    fn, _, _ = _derived_coefficients()
    lam, kappa, d0, f_theta = (
        float(v)
        for v in fn(*(float(values[k]) for k in ("x0", "alpha", "theta", "b", "gamma", "c")))
    )
    return {"lam": lam, "kappa": kappa, "D0": d0, "f_theta": f_theta}


class DerivedAtPoint(Mapping[str, float]):
    """The fixed values of a one-point learner claim: the given parameters, and the local
    coefficients of :func:`local_coefficients` computed from them when first read (so that
    building the catalogue derives nothing).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import DerivedAtPoint
    >>> fixed = DerivedAtPoint({"x0": 0.9, "alpha": 1, "theta": 0.5238095, "b": 0.2,
    ...                         "gamma": 1, "c": 1})
    >>> sorted(fixed)[:3], round(fixed["lam"], 4)
    (['D0', 'alpha', 'b'], 0.0429)
    """

    _DERIVED = ("lam", "kappa", "D0")

    def __init__(self, given: Mapping[str, float]) -> None:
        self._given = {k: float(v) for k, v in given.items()}
        self._derived: dict[str, float] | None = None

    def _all(self) -> dict[str, float]:
        if self._derived is None:
            local = local_coefficients(self._given)
            self._derived = {k: local[k] for k in self._DERIVED}
        return {**self._given, **self._derived}

    def __getitem__(self, key: str) -> float:
        if key in self._given:
            return self._given[key]
        if key in self._DERIVED:
            return self._all()[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter((*self._given, *self._DERIVED))

    def __len__(self) -> int:
        return len(self._given) + len(self._DERIVED)

    def with_values(self, **changes: float) -> DerivedAtPoint:
        """The same with some given values changed (the derived ones recomputed).

        Examples
        --------
        >>> from incentive_geometry.proofs.catalogue.learners import DerivedAtPoint
        >>> DerivedAtPoint({"x0": 0.9}).with_values(x0=0.5)["x0"]
        0.5
        """
        return DerivedAtPoint({**self._given, **changes})


#: The learners' mean share after T at an equilibrium x0 of the mean field, to first order.
SHIFT = "x0 + eta*kappa*D0*(exp(lam*T) - 1)**2/(4*lam**2)"


def drift_draws(
    kind: str, values: Mapping[str, float], *, samples: int = 20_000, eta: float | None = None
) -> Observation:
    """One-step increments per unit step of `samples` learners at ``x = x0`` (a mean claim's
    draws).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import drift_draws
    >>> obs = drift_draws("cross", {"x0": 0.5, "theta": 0.3, **{"alpha": 1, "b": 0.2, "gamma": 1, "c": 1}})
    >>> obs.value.shape
    (20000,)
    """
    from incentive_geometry.solvers.numeric.train import train
    from incentive_geometry.theory import learners

    learner: Any
    if kind == "cross":
        learner = learners.cross_learning(eta=0.01 if eta is None else eta)
    else:
        learner = learners.policy_gradient(eta=0.001 if eta is None else eta)
    names = ("alpha", "theta", "b", "gamma", "c")
    params = {k: float(values[k]) for k in names}
    step = float(learner.defaults["eta"] if eta is None else eta)
    seed = int(abs(hash(_key(values, (*names, "x0")))) % (2**32))
    run = train(
        learner, samples, 1, params=params, x0={"x": float(values["x0"])}, seed=seed, save_every=1
    )
    draws = (run.x[:, 1, 0] - run.x[:, 0, 0]) / step
    return Observation(
        draws,
        f"{samples} {kind} learners, one step at eta = {step:g} from x = {values['x0']:.4g}: "
        f"mean increment/eta {draws.mean():.5g} +- {draws.std(ddof=1) / np.sqrt(samples):.2g}",
    )


#: The slow sweep of the C5 claim: values of theta, learners, steps per value, eta, diversity.
SWEEP: dict[str, Any] = {
    "values": tuple(round(v, 3) for v in np.arange(0.05, 0.751, 0.05)),
    "n": 100,
    "eta": 0.05,
    "steps_per_value": 200,
    "mu": 0.02,
}


@functools.lru_cache(maxsize=8)
def hysteresis_run(seed: int = 0) -> Any:
    """The learners' slow sweep of ``theta`` up and down (Cross learning with diversity, so that
    the ends are not absorbing), cached.

    Returns
    -------
    Hysteresis

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import hysteresis_run
    >>> h = hysteresis_run()
    >>> float(h.up_fraction[0]), float(h.down_fraction[-1])
    (1.0, 0.0)
    """
    from incentive_geometry.solvers.numeric.train import hysteresis
    from incentive_geometry.theory import learners

    learner: Any = learners.cross_learning(eta=SWEEP["eta"], diversity=True, mu=SWEEP["mu"])
    return hysteresis(
        learner,
        values=list(SWEEP["values"]),
        n=SWEEP["n"],
        steps_per_value=SWEEP["steps_per_value"],
        x0={"x": 0.95},
        seed=seed,
    )


@functools.lru_cache(maxsize=2)
def ode_hysteresis() -> Any:
    """The mean field's sweep on the learners' schedule: the canonical model with diversity
    ``mu`` (the mean field of Cross learning with diversity), ``eta * steps_per_value`` time
    units per value, up from ``x = 0.95`` and back down (cached).

    Returns
    -------
    Hysteresis
        With one "learner" (fractions 0 or 1).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import ode_hysteresis
    >>> h = ode_hysteresis()
    >>> float(h.up_fraction[0]), float(h.down_fraction[-1])
    (1.0, 0.0)
    """
    from incentive_geometry.solvers.numeric.simulate import simulate
    from incentive_geometry.solvers.numeric.train import Hysteresis
    from incentive_geometry.theory import entrenchment

    model = entrenchment(diversity=True)
    values = np.asarray(SWEEP["values"], dtype=float)
    span = float(SWEEP["eta"]) * int(SWEEP["steps_per_value"])
    x, finals = 0.95, []
    for th in (*values, *values[::-1]):
        tr = simulate(
            model,
            x0={"x": x},
            t=(0.0, span),
            params={"theta": float(th), "mu": SWEEP["mu"]},
            n_points=3,
        )
        x = float(tr.x[-1, 0])
        finals.append(x)
    k = len(values)
    up, down = np.array(finals[:k]), np.array(finals[k:][::-1])
    return Hysteresis(
        values, up, down, (up > 0.5).astype(float), (down > 0.5).astype(float), "theta", "x"
    )


def hysteresis_edges(h: Any) -> tuple[float, float]:
    """``(undo, prevent)``: the first ``theta`` of the upward sweep with most learners aligned,
    and the largest ``theta`` of the downward sweep with most learners entrenched, plus half a
    grid step (the midpoints of the jumps).

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.solvers.numeric.train import Hysteresis
    >>> from incentive_geometry.proofs.catalogue.learners import hysteresis_edges
    >>> h = Hysteresis(np.array([0.1, 0.2, 0.3]), np.ones(3), np.ones(3),
    ...                np.array([1.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0]), "theta", "x")
    >>> [round(v, 3) for v in hysteresis_edges(h)]
    [0.25, 0.15]
    """
    values = np.asarray(h.values, dtype=float)
    half = 0.5 * float(np.min(np.diff(values)))
    up = np.flatnonzero(np.asarray(h.up_fraction) < 0.5)
    down = np.flatnonzero(np.asarray(h.down_fraction) > 0.5)
    undo = float(values[up[0]]) - half if len(up) else float("nan")
    prevent = float(values[down[-1]]) + half if len(down) else float("nan")
    return undo, prevent


def hysteresis_order(values: Mapping[str, float], *, seed: int = 0) -> Observation:
    """Whether the learners' slow sweep leaves entrenchment (going up) at a larger ``theta``
    than the one at which it entrenches (going down).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import hysteresis_order
    >>> hysteresis_order({}).value
    True
    """
    h = hysteresis_run(seed)
    undo, prevent = hysteresis_edges(h)
    if not (np.isfinite(undo) and np.isfinite(prevent)):
        return Observation(
            float("nan"), f"the sweep did not jump both ways (undo {undo}, prevent {prevent})"
        )
    return Observation(
        bool(undo > prevent),
        f"{SWEEP['n']} Cross learners (eta = {SWEEP['eta']}, diversity mu = {SWEEP['mu']}) swept "
        f"theta over {SWEEP['values'][0]}..{SWEEP['values'][-1]}, {SWEEP['steps_per_value']} steps "
        f"per value: they leave entrenchment at theta ~ {undo:.3f} going up and entrench at "
        f"theta ~ {prevent:.3f} going down",
    )


#: The in-context stack of the C6 claims: dimension, context, levels, drift, learners, steps.
IN_CONTEXT: dict[str, Any] = {
    "dim": 4,
    "n_context": 10,
    "levels": 2,
    "phi": 0.5,
    "batch": 32,
    "n": 8,
    "steps": (600, 300),
}


@functools.lru_cache(maxsize=4)
def in_context_run(seed: int = 2) -> Any:
    """Train the nested in-context learners of the C6 claims (cached).

    SGD at ``eta = 0.04`` for the first phase, then at 0.01 (as in ``docs/learners-neural.md``).

    Returns
    -------
    InContextAlignment

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import in_context_run
    >>> in_context_run().measured.shape
    (8, 2)
    """
    from incentive_geometry.solvers.numeric.neural_training import train_states
    from incentive_geometry.theory.learners import neural

    cfg = IN_CONTEXT
    learner: Any = neural.in_context(
        dim=cfg["dim"],
        n_context=cfg["n_context"],
        levels=cfg["levels"],
        phi=cfg["phi"],
        batch=cfg["batch"],
    )
    first, second = cfg["steps"]
    run = train_states(learner, n=cfg["n"], steps=first, seed=seed)
    run = train_states(
        learner, n=cfg["n"], steps=second, z0=run.z, params={"eta": 0.01}, seed=seed + 1
    )
    return neural.in_context_alignment(learner, run.z, phi=cfg["phi"])


def in_context_draws(level: int, values: Mapping[str, float], *, seed: int = 2) -> Observation:
    """Alignments with the designer of level `level` of the trained in-context learners.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import in_context_draws
    >>> in_context_draws(1, {}).value.shape
    (8,)
    """
    al = in_context_run(seed)
    draws = np.asarray(al.measured[:, level - 1], dtype=float)
    drawn = np.asarray(al.drawn[:, level - 1], dtype=float)
    return Observation(
        draws,
        f"{len(draws)} in-context learners: level {level} alignment {draws.mean():.4f} +- "
        f"{draws.std(ddof=1) / np.sqrt(len(draws)):.2g}; their drawn proxies give "
        f"{drawn.mean():.4f}",
    )


def mean_field_derivation(kind: str = "cross") -> list[Step]:
    """The learner's mean field, derived from its outcomes, against the canonical drift.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import mean_field_derivation
    >>> mean_field_derivation()[0].verified
    True
    """
    return list(_mean_field_steps(kind))


@functools.lru_cache(maxsize=4)
def _mean_field_steps(kind: str) -> tuple[Step, ...]:
    import sympy

    from incentive_geometry.language import to_text
    from incentive_geometry.solvers.symbolic.mean_field import mean_field
    from incentive_geometry.theory import entrenchment, learners

    learner: Any = learners.cross_learning() if kind == "cross" else learners.policy_gradient()
    # A fixed learner of the library: its derivation is known to finish (no child process).
    mf = mean_field(learner, timeout=None)
    canonical = entrenchment().rhs[0]
    # The same names in the learner's mean field (symbols may carry other assumptions).
    canonical = canonical.xreplace({s: mf.symbol(s.name) for s in canonical.free_symbols})
    x = mf.symbol("x")
    factor = sympy.Integer(1) if kind == "cross" else 2 * x * (1 - x)
    same = sympy.simplify(mf.rhs[0] - factor * canonical) == 0
    label = "Cross learning" if kind == "cross" else "softmax policy gradient"
    return (
        Step(
            f"the mean field of {label} (lim E[increment]/eta, derived from its outcomes) is "
            + (
                "the canonical drift"
                if kind == "cross"
                else "2 x (1 - x) times the canonical drift"
            ),
            f"dx/dt = {to_text(mf.rhs[0])}",
            bool(same),
        ),
    )


@functools.lru_cache(maxsize=1)
def linear_noise_solves() -> bool:
    """Whether ``u = eta kappa D (exp(lambda t) - 1)^2 / (4 lambda^2)`` and
    ``V = eta D (exp(2 lambda t) - 1) / (2 lambda)`` solve the linearized moment equations
    ``du/dt = lambda u + kappa V / 2``, ``dV/dt = 2 lambda V + eta D`` from ``u = V = 0``
    (sympy; the derivation of :data:`SHIFT`, the linear-noise expansion of N. G. van Kampen,
    *Stochastic Processes in Physics and Chemistry*, 3rd ed., 2007, ch. X).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import linear_noise_solves
    >>> linear_noise_solves()
    True
    """
    import sympy

    eta, t = sympy.Symbol("eta", positive=True), sympy.Symbol("t", positive=True)
    lm, kp, dv = (sympy.Symbol(k, positive=True) for k in ("lambda", "kappa", "D"))
    u = eta * kp * dv * (sympy.exp(lm * t) - 1) ** 2 / (4 * lm**2)
    v = eta * dv * (sympy.exp(2 * lm * t) - 1) / (2 * lm)
    return bool(
        sympy.simplify(sympy.diff(u, t) - lm * u - kp * v / 2) == 0
        and sympy.simplify(sympy.diff(v, t) - 2 * lm * v - eta * dv) == 0
        and u.subs(t, 0) == 0
        and v.subs(t, 0) == 0
    )


def threshold_at(x0: float, params: Mapping[str, float] = CANONICAL) -> float:
    """``theta_tip(x0) = alpha (b + gamma x0) / (alpha (b + gamma x0) + c)``: where ``G(x0) = 0``.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import threshold_at
    >>> round(threshold_at(0.9), 4), round(threshold_at(1.0), 4)
    (0.5238, 0.5455)
    """
    a, b, g, c = (float(params[k]) for k in ("alpha", "b", "gamma", "c"))
    return a * (b + g * x0) / (a * (b + g * x0) + c)


def _threshold_derivation() -> list[Step]:
    steps = _tip_derivation()
    ok = linear_noise_solves()
    _, texts, _ = _derived_coefficients()
    steps.append(
        Step(
            "linear-noise expansion of the learners' mean m and variance V from the equilibrium "
            "x0 (time eta * steps): dm/dt = f(m) + f''(m) V/2, dV/dt = 2 f'(m) V + eta D(m), so "
            "m(T) - x0 = eta kappa D0 (e^(lam T) - 1)^2 / (4 lam^2) + O(eta^2)",
            "u = m - x0 and V solve du/dt = lam u + kappa V/2, dV/dt = 2 lam V + eta D0 from "
            "u(0) = V(0) = 0 (checked by sympy)",
            ok,
        )
    )
    steps.append(
        Step(
            "lam = f'(x0), kappa = f''(x0), D0 = D(x0) from the derived mean field f and "
            "diffusion D of Cross learning, evaluated at the claim's point (an evaluation, not a "
            "check; the tests compare them with finite differences and Monte Carlo)",
            f"f'(x) = {texts[0]}; f''(x) = {texts[1]}; D(x) = {texts[2]}",
            False,
        )
    )
    return steps


def _tip_derivation() -> list[Step]:
    import sympy

    steps = mean_field_derivation("cross")
    alpha, theta, b, gamma, c, x0 = sympy.symbols("alpha theta b gamma c x0", positive=True)
    g = alpha * (1 - theta) * (b + gamma * x0) - theta * c
    root = sympy.solve(sympy.Eq(g, 0), theta)
    tip = alpha * (b + gamma * x0) / (alpha * (b + gamma * x0) + c)
    ok = len(root) == 1 and sympy.simplify(root[0] - tip) == 0
    steps.append(
        Step(
            "G(x0) = 0 exactly at theta_tip(x0); G(x0) < 0 (the flow from x0 falls, at every "
            "horizon) iff theta > theta_tip, since G decreases in theta",
            f"solve alpha (1 - theta)(b + gamma x0) = theta c: theta = {sympy.sstr(tip)}",
            bool(ok)
            and bool(sympy.simplify(sympy.diff(g, theta) + alpha * (b + gamma * x0) + c) == 0),
        )
    )
    return steps


def entries() -> list[Entry]:
    """The learner claims of C1, C2, C5 and C6.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.learners import entries
    >>> len(entries())
    9
    """
    from incentive_geometry.theory import entrenchment

    m = entrenchment()
    out: list[Entry] = []
    for eta, x0, name in (
        *((eta, 0.9, f"C1.learners.threshold_eta_{eta:g}") for eta in ETAS),
        (0.02, 0.1, "C1.learners.window_low_eta_0.02"),
    ):
        theta_tip = threshold_at(x0)
        end = (
            "it tends to theta* as x0 -> 1, the top of the bistable window"
            if x0 > 0.5
            else "it tends to alpha b/(alpha b + c) as x0 -> 0, the bottom of the bistable window"
        )
        out.append(
            Entry(
                "C1 entrenchment",
                Claim(
                    name=name,
                    statement=f"Cross learners (step eta = {eta:g}) started at x0 = {x0:g}, at the "
                    f"mean field's threshold theta_tip(x0) = alpha (b + gamma x0)/(alpha (b + "
                    f"gamma x0) + c) = {theta_tip:.4f} ({end}), where x0 is the unstable "
                    "equilibrium: after T = 5 mean-field time units their mean share is x0 plus "
                    "the finite-step shift eta kappa D0 (exp(lam T) - 1)^2/(4 lam^2) of the "
                    "linear-noise expansion (lam = f'(x0), kappa = f''(x0), D0 = D(x0) from the "
                    "derived mean field f and diffusion D), which vanishes as eta -> 0.",
                    model=m,
                    prediction=SHIFT,
                    kind="mean",
                    domain={},
                    fixed=DerivedAtPoint(
                        {**CANONICAL, "theta": theta_tip, "x0": x0, "eta": eta, "T": HORIZON}
                    ),
                    observe=shares_at,
                    derivation=_threshold_derivation,
                    references=(PAPER, BORGERS_SARIN, KUSHNER_YIN, VAN_KAMPEN),
                    observer=f"{_SHARE_N} Cross learners, {round(HORIZON / eta)} steps "
                    "(t-test of their mean share)",
                ),
                reading="the threshold figure converts the measured mean into the learners' "
                "threshold in theta (linear response) at each eta; a refutation says the learners' "
                "mean moves away from the mean field's threshold by more than the first-order "
                "finite-step shift allows",
            )
        )
    drift_domain = {
        "alpha": (0.2, 3.0),
        "theta": (0.0, 0.95),
        "b": (0.0, 1.0),
        "gamma": (0.0, 2.0),
        "c": (0.1, 2.0),
        "x0": (0.02, 0.98),
    }
    canonical_drift = "x0*(1 - x0)*(alpha*(1 - theta)*(b + gamma*x0) - theta*c)"
    for kind, factor, ref, note in (
        ("cross", "", BORGERS_SARIN, "exactly at every eta (eta = 0.01 here)"),
        (
            "policy_gradient",
            "2*x0*(1 - x0)*",
            WILLIAMS,
            "as eta -> 0 (eta = 0.001 here, where the O(eta) term is below the Monte Carlo error)",
        ),
    ):
        out.append(
            Entry(
                "C2 drift",
                Claim(
                    name=f"C2.learners.drift_{kind}",
                    statement=f"The {kind.replace('_', ' ')} learners' expected increment per unit step at "
                    f"share x0 is {factor or ''}x0 (1 - x0) G(x0), {note}: alignment 1 - x falls "
                    "exactly where G(x0) > 0, the entrenched basin.",
                    model=m,
                    prediction=f"{factor}{canonical_drift}",
                    kind="mean",
                    domain=drift_domain,
                    observe=functools.partial(drift_draws, kind),
                    derivation=functools.partial(
                        mean_field_derivation, "cross" if kind == "cross" else "pg"
                    ),
                    references=(PAPER, ref, KUSHNER_YIN),
                    observer="20,000 learners, one step each (t-test of their mean increment)",
                ),
                weight=0.03125,
                reading="refuted means the learners' average step is not the derived drift",
            )
        )
    out.append(
        Entry(
            "C5 mitigation",
            Claim(
                name="C5.learners.hysteresis_order",
                statement="Hysteresis on learners: swept slowly up in theta, entrenched learners leave "
                "entrenchment at a larger observability than the one below which, swept down, "
                "aligned learners entrench (undoing needs theta* = alpha (b + gamma)/(alpha (b + "
                "gamma) + c), preventing alpha b/(alpha b + c)).",
                model=m,
                prediction="alpha*(b + gamma)/(alpha*(b + gamma) + c) > alpha*b/(alpha*b + c)",
                domain={},
                fixed=dict(CANONICAL),
                observe=hysteresis_order,
                references=(PAPER, BORGERS_SARIN),
                observer="a slow sweep of 100 Cross learners with diversity mu = 0.02 (not absorbed "
                "at the ends)",
            ),
            reading="with diversity the edges are the folds of the mean field with diversity "
            "(0.486 and 0.297 at mu = 0.02), not theta* and alpha b/(alpha b + c); the claim is "
            "the ordering (the loop exists and runs the predicted way); see the learner "
            "hysteresis figure",
        )
    )
    for level in range(1, int(IN_CONTEXT["levels"]) + 1):
        out.append(
            Entry(
                "C6 recursion depth",
                Claim(
                    name=f"C6.learners.in_context_depth_{level}",
                    statement=f"In-context learners (linear self-attention trained by SGD, an inner "
                    f"optimizer) nested {IN_CONTEXT['levels']} deep, each level trained on a proxy "
                    f"at angle phi of the level above: level {level}'s mean alignment with the "
                    f"designer is cos(phi)^{level}.",
                    model=None,
                    prediction=f"cos(phi)**{level}",
                    kind="mean",
                    domain={},
                    fixed={"phi": float(IN_CONTEXT["phi"])},
                    observe=functools.partial(in_context_draws, level),
                    references=(PAPER, VON_OSWALD),
                    observer=f"{IN_CONTEXT['n']} in-context learners, d = {IN_CONTEXT['dim']}, "
                    f"N = {IN_CONTEXT['n_context']}, {sum(IN_CONTEXT['steps'])} SGD steps "
                    "(t-test of the mean)",
                ),
                reading="the t-test includes the spread of the drawn rotations; a refutation at the "
                "deepest level can mean training had not settled there",
            )
        )
    return out
