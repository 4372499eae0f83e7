"""Mean fields and diffusion approximations of learners, derived from their outcome lists.

A learner whose step is a finite list of outcomes ``o`` (probability ``p_o``, increment
``Delta_o`` of the states, both in states and parameters, the increments vanishing at
``eta = 0``) has, with ``delta_o = d Delta_o / d eta`` at ``eta = 0``,

* the **mean field** ``f = lim_{eta -> 0} E[Delta] / eta = sum_o p_o delta_o`` (probabilities
  at ``eta = 0``), the drift of the ODE that the learner follows on the time scale
  ``t = eta * steps`` (stochastic approximation: Kushner and Yin 2003, Benaim 1999);
* the **diffusion** ``D = lim_{eta -> 0} Cov[Delta] / eta**2 = sum_o p_o delta_o delta_o^T - f
  f^T``, so that on that time scale ``dX = f dt + sqrt(eta D) dW`` (the diffusion approximation,
  Kushner and Yin 2003, chapter 10);
* for one state, the **quasi-potential** ``U(x) = -2 int f / D`` and the escape estimate of
  Freidlin and Wentzell (``eta log T -> U(saddle) - U(stable)``) with the Kramers prefactor
  (:func:`escape_estimate`).

This module reads learners by their attributes (``states``, ``parameters``, ``outcomes``,
``step_parameter``, ...), the interface of :mod:`incentive_geometry.theory.learners.base`; it
imports nothing from the model library.

Examples
--------
>>> import incentive_geometry as ig
>>> from incentive_geometry.theory import learners
>>> from incentive_geometry.solvers.symbolic.mean_field import mean_field
>>> print(mean_field(learners.cross_learning(k=2)).rhs[0])
x*(x - 1)*(alpha*b*theta - alpha*b + alpha*gamma*theta*x - alpha*gamma*x + c*theta)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import sympy

from incentive_geometry.errors import ConvergenceError, ModelError
from incentive_geometry.model import Domain, Model, Parameter

from .budget import Budget, run_bounded

__all__ = ["EscapeEstimate", "LearnerLike", "diffusion", "escape_estimate", "mean_field"]

_HINT = (
    "pass a larger `timeout=`, or measure the drift numerically at given states with "
    "`incentive_geometry.solvers.numeric.train.empirical_drift`"
)

_FW = (
    "M. I. Freidlin and A. D. Wentzell, Random Perturbations of Dynamical Systems, Springer, "
    "1984 (3rd ed. 2012), chapter 4"
)
_KY03 = (
    "H. J. Kushner and G. G. Yin, Stochastic Approximation and Recursive Algorithms and "
    "Applications, 2nd ed., Springer, 2003"
)


class LearnerLike(Protocol):
    """What the solvers read of a learner (see :class:`incentive_geometry.theory.learners.Learner`).

    The solvers never import the model library; any object with these attributes is a learner.

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> L = learners.cross_learning()
    >>> all(hasattr(L, a) for a in ("states", "parameters", "outcomes", "step_parameter"))
    True
    """

    name: str
    states: tuple[sympy.Symbol, ...]
    parameters: tuple[Parameter, ...]
    outcomes: tuple[Any, ...]
    step_parameter: str
    state_domains: tuple[Domain, ...]
    state_meanings: tuple[str, ...]
    simplex: bool
    drift: Model | None
    description: str
    references: tuple[str, ...]
    step: Any
    init: Any
    observe: Any

    @property
    def state_names(self) -> tuple[str, ...]: ...

    @property
    def parameter_names(self) -> tuple[str, ...]: ...

    @property
    def step_symbol(self) -> sympy.Symbol: ...


def _simplify(expr: Any, n_states: int) -> Any:
    # Rational functions of states and parameters: cancel, then (one state) factor, which is
    # cheap there and shows the factor x (1 - x); with several states factoring is slow.
    expr = sympy.cancel(sympy.together(expr))
    return sympy.factor(expr) if n_states == 1 else expr


def _require_outcomes(learner: LearnerLike) -> None:
    """Refuse a step-function learner (no outcomes) up front: a cheap check, run before the
    bounded work (which is where the derivatives are taken)."""
    if not getattr(learner, "outcomes", ()):
        raise ModelError(
            f"learner `{learner.name}` is given by a step function (it samples continuous data), "
            "so it has no derived mean field; compare it numerically with "
            "`incentive_geometry.solvers.numeric.train.empirical_drift`"
        )


def _derivatives(learner: LearnerLike) -> tuple[list[Any], list[list[Any]]]:
    """Probabilities at eta = 0 and first-order increments ``delta_o`` of every outcome."""
    _require_outcomes(learner)
    eta = learner.step_symbol
    probs, deltas = [], []
    for o in learner.outcomes:
        probs.append(o.probability.subs(eta, 0))
        deltas.append([sympy.diff(d, eta).subs(eta, 0) for d in o.increment])
    return probs, deltas


def mean_field(learner: LearnerLike, *, timeout: float | None = 60.0) -> Model:
    r"""The learner's mean field: the ODE of its expected increment per unit step, as eta -> 0.

    ``f_i = lim_{eta -> 0} E[Delta x_i] / eta = sum_o p_o(eta=0) dDelta_{o,i}/deta (eta=0)``,
    a continuous-time Model in the learner's states and its parameters without the step; one
    unit of its time is ``1/eta`` steps.

    Parameters
    ----------
    learner : Learner
        An outcome learner (:mod:`incentive_geometry.theory.learners`); a step-function learner
        that declares its mean field (`drift`) returns that Model.
    timeout : float or None, default 60
        Seconds for the symbolic work (:mod:`.budget`); None: no limit.

    Returns
    -------
    Model
        Named ``<learner>_mean_field``; states, domains and meanings of the learner.

    Raises
    ------
    ModelError
        For a step-function learner without a declared mean field.
    SymbolicTimeout
        Past `timeout`.

    References
    ----------
    .. [1] H. J. Kushner and G. G. Yin, Stochastic Approximation and Recursive Algorithms and
       Applications, 2nd ed., Springer, 2003, chapters 5 and 8 (the ODE method).
    .. [2] T. Borgers and R. Sarin, Learning through reinforcement and replicator dynamics,
       Journal of Economic Theory 77 (1997) 1-14.

    Examples
    --------
    >>> import sympy
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.theory import entrenchment, learners
    >>> from incentive_geometry.solvers.symbolic.mean_field import mean_field
    >>> mf = mean_field(learners.cross_learning(k=2))
    >>> sympy.simplify(mf.rhs[0] - entrenchment().rhs[0])
    0
    >>> mf.parameter_names
    ('alpha', 'theta', 'b', 'gamma', 'c')
    """
    if not getattr(learner, "outcomes", ()) and getattr(learner, "drift", None) is not None:
        drift: Model = learner.drift  # type: ignore[assignment]
        return drift
    # Refused here, cheaply; the derivatives themselves (sympy, unbounded in time) are taken
    # inside the bounded work, so `timeout` covers them.
    _require_outcomes(learner)
    return run_bounded(
        _mean_field_work,
        learner,
        timeout=timeout,
        what=f"mean field of `{learner.name}`",
        hint=_HINT,
    )


def _mean_field_work(learner: LearnerLike, *, budget: Budget) -> Model:
    probs, deltas = _derivatives(learner)
    budget.check("derivatives")
    n = len(learner.states)
    rhs = [
        _simplify(sum((p * d[i] for p, d in zip(probs, deltas, strict=True)), sympy.Integer(0)), n)
        for i in range(n)
    ]
    params = [p for p in learner.parameters if p.name != learner.step_parameter]
    used = set().union(*(e.free_symbols for e in rhs))
    if learner.step_symbol in used:
        raise ModelError(f"learner `{learner.name}`: the mean field still depends on the step")
    return Model(
        states=tuple(learner.states),
        parameters=tuple(params),
        rhs=tuple(rhs),
        time="continuous",
        name=f"{learner.name}_mean_field",
        simplex=learner.simplex,
        state_domains=tuple(learner.state_domains),
        state_meanings=tuple(learner.state_meanings),
        description=(
            f"Mean field of the learner `{learner.name}` (expected increment per unit step as "
            f"{learner.step_parameter} -> 0); time t = {learner.step_parameter} * steps. "
            + learner.description
        ).strip(),
        references=(*learner.references, _KY03),
    )


def diffusion(learner: LearnerLike, *, timeout: float | None = 60.0) -> sympy.Matrix:
    r"""The learner's diffusion matrix ``D = lim Cov[Delta] / eta**2`` (states x states).

    On the time scale ``t = eta * steps`` the learner follows
    ``dX = f dt + sqrt(eta) sigma dW`` with ``sigma sigma^T = D``: the diffusion approximation.

    Parameters
    ----------
    learner : Learner
        An outcome learner.
    timeout : float or None, default 60
        Seconds for the symbolic work; None: no limit.

    Returns
    -------
    sympy.Matrix
        Symmetric, in states and parameters (without the step).

    Raises
    ------
    ModelError
        For a step-function learner.
    SymbolicTimeout
        Past `timeout`.

    References
    ----------
    .. [1] H. J. Kushner and G. G. Yin, Stochastic Approximation and Recursive Algorithms and
       Applications, 2nd ed., Springer, 2003, chapter 10.
    .. [2] C. W. Gardiner, Handbook of Stochastic Methods, 3rd ed., Springer, 2004, section 7.2
       (the Kramers-Moyal expansion).

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> from incentive_geometry.solvers.symbolic.mean_field import diffusion
    >>> import sympy
    >>> L = learners.moran(N=10)
    >>> D = diffusion(L)
    >>> sympy.factor(D[0, 0].subs(L.symbols["w"], 0))  # neutral drift: 2 x (1 - x)
    -2*x*(x - 1)
    """
    _require_outcomes(learner)
    return run_bounded(
        _diffusion_work,
        learner,
        timeout=timeout,
        what=f"diffusion of `{learner.name}`",
        hint=_HINT,
    )


def _diffusion_work(learner: LearnerLike, *, budget: Budget) -> sympy.Matrix:
    probs, deltas = _derivatives(learner)
    n = len(learner.states)
    f = [
        sum((p * d[i] for p, d in zip(probs, deltas, strict=True)), sympy.Integer(0))
        for i in range(n)
    ]
    D = sympy.zeros(n, n)
    for i in range(n):
        for j in range(i, n):
            second = sum(
                (p * d[i] * d[j] for p, d in zip(probs, deltas, strict=True)), sympy.Integer(0)
            )
            budget.check(f"D[{i}, {j}]")
            D[i, j] = D[j, i] = _simplify(second - f[i] * f[j], n)
    return D


@dataclass(frozen=True)
class EscapeEstimate:
    """Escape from a stable state of a one-state learner over a saddle, small-noise estimate.

    Attributes
    ----------
    stable, saddle : float
        The stable equilibrium left and the unstable one crossed.
    barrier : float
        ``Delta U = U(saddle) - U(stable)``, ``U = -2 int f / D``: ``eta log T -> Delta U``
        (Freidlin-Wentzell).
    prefactor : float or None
        Kramers' ``2 pi sqrt(D(saddle) / D(stable)) / sqrt(|f'(stable)| f'(saddle))`` (time units);
        None when the noise vanishes at the stable state (a boundary such as ``x = 1``), where
        the Kramers form does not hold.
    params : dict of str to float
        The parameter values used.

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.mean_field import EscapeEstimate
    >>> e = EscapeEstimate(stable=1.0, saddle=0.5, barrier=0.1, prefactor=6.0, params={})
    >>> round(e.steps(0.05) / e.steps(0.1), 2)  # halving eta: e^{0.1/0.05 - 0.1/0.1} * 2
    5.44
    """

    stable: float
    saddle: float
    barrier: float
    prefactor: float | None
    params: dict[str, float]

    def time(self, eta: float) -> float:
        """Mean escape time ``prefactor * exp(barrier / eta)`` in mean-field time units.

        Raises
        ------
        ModelError
            Without a Kramers prefactor (noise vanishing at the stable state).
        """
        if self.prefactor is None:
            raise ModelError(
                f"no Kramers prefactor: the noise vanishes at the stable state x = {self.stable}; "
                "only the exponential rate `barrier` (eta log T -> barrier) is estimated"
            )
        return self.prefactor * math.exp(self.barrier / eta)

    def steps(self, eta: float) -> float:
        """Mean escape time in learner steps, ``time(eta) / eta``."""
        return self.time(eta) / eta


def escape_estimate(
    learner: LearnerLike,
    *,
    stable: float,
    saddle: float,
    params: Mapping[str, float] | None = None,
    timeout: float | None = 60.0,
) -> EscapeEstimate:
    r"""Small-noise escape estimate for a one-state learner: quasi-potential and Kramers time.

    With the mean field ``f`` and diffusion ``D`` of the learner, the process on the time scale
    ``t = eta * steps`` is ``dX = f dt + sqrt(eta D) dW``; its stationary density is
    ``exp(-U/eta) / D`` with the quasi-potential ``U(x) = -2 int f / D``. The mean time to cross
    the saddle from the stable state is (Kramers 1940; Hanggi, Talkner and Borkovec 1990)::

        T = 2 pi sqrt(D(saddle) / D(stable)) / sqrt(|f'(stable)| f'(saddle))
            * exp((U(saddle) - U(stable)) / eta),

    and in any case ``eta log T -> U(saddle) - U(stable)`` (Freidlin and Wentzell 1984).

    Parameters
    ----------
    learner : Learner
        An outcome learner with one state.
    stable, saddle : float
        A stable equilibrium of the mean field and the unstable one next to it.
    params : mapping, optional
        Parameter values; defaults of the learner for the rest.
    timeout : float or None, default 60
        Seconds for each of the symbolic mean field and diffusion.

    Returns
    -------
    EscapeEstimate

    Raises
    ------
    ModelError
        For a learner with several states, missing parameter values, or points that are not a
        stable state and a saddle of the mean field.

    References
    ----------
    .. [1] M. I. Freidlin and A. D. Wentzell, Random Perturbations of Dynamical Systems,
       Springer, 1984, chapter 4.
    .. [2] P. Hanggi, P. Talkner and M. Borkovec, Reaction-rate theory: fifty years after
       Kramers, Reviews of Modern Physics 62 (1990) 251-341.
    .. [3] C. W. Gardiner, Handbook of Stochastic Methods, 3rd ed., Springer, 2004, section 5.5.

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> from incentive_geometry.solvers.symbolic.mean_field import escape_estimate
    >>> L = learners.cross_learning(k=2, diversity=True)
    >>> e = escape_estimate(L, stable=0.976, saddle=0.311, params={"theta": 0.35, "mu": 0.02})
    >>> round(e.stable, 4), round(e.saddle, 4), e.barrier > 0, e.prefactor is not None
    (0.9765, 0.3114, True, True)
    """
    from scipy import integrate, optimize

    if len(learner.states) != 1:
        raise ModelError(
            f"`learner` {learner.name!r} has {len(learner.states)} states; escape_estimate is "
            "for one-state learners (the quasi-potential is an integral along the line)"
        )
    mf = mean_field(learner, timeout=timeout)
    D = diffusion(learner, timeout=timeout)[0, 0]
    values: dict[str, float] = {
        p.name: p.default for p in learner.parameters if p.default is not None
    }
    values.update({k: float(v) for k, v in (params or {}).items()})
    subs = {}
    for p in mf.parameters:
        if p.name not in values:
            raise ModelError(
                f"`params` lacks a value for `{p.name}`; pass params={{'{p.name}': ...}}"
            )
        subs[p.symbol] = values[p.name]
    x = learner.states[0]
    f_expr = mf.rhs[0].subs(subs)
    d_expr = D.subs(subs)
    f = sympy.lambdify(x, f_expr, "math")
    fp = sympy.lambdify(x, sympy.diff(f_expr, x), "math")
    dd = sympy.lambdify(x, d_expr, "math")

    def refine(x0: float, what: str) -> float:
        try:
            root = float(optimize.newton(f, x0, fprime=fp, tol=1e-13, maxiter=100))
        except (RuntimeError, ZeroDivisionError) as err:
            raise ConvergenceError(
                f"`{what}` = {x0}: no equilibrium of the mean field near it"
            ) from err
        if abs(root - x0) > 0.05:
            raise ModelError(
                f"`{what}` = {x0} is not near an equilibrium of the mean field (nearest found: "
                f"{root:.6g}); pass the equilibrium"
            )
        return root

    xs, xu = refine(stable, "stable"), refine(saddle, "saddle")
    if not fp(xs) < 0 < fp(xu):
        raise ModelError(
            f"`stable` = {xs:.6g} (f' = {fp(xs):.3g}) and `saddle` = {xu:.6g} (f' = {fp(xu):.3g}) "
            "must be a stable (f' < 0) and an unstable (f' > 0) equilibrium"
        )

    def integrand(y: float) -> float:
        dv = dd(y)
        return -2.0 * f(y) / dv if dv > 0 else 0.0

    # Delta U = U(saddle) - U(stable) = -2 int_{stable}^{saddle} f / D.
    barrier, _ = integrate.quad(integrand, xs, xu, limit=200)
    d_s, d_u = dd(xs), dd(xu)
    prefactor: float | None = None
    if d_s > 1e-12 and d_u > 0:
        prefactor = 2 * math.pi * math.sqrt(d_u / d_s) / math.sqrt(abs(fp(xs)) * fp(xu))
    return EscapeEstimate(
        stable=xs, saddle=xu, barrier=float(barrier), prefactor=prefactor, params=values
    )
