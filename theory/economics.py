"""Classical analogues from economics: linear incentive contracts, multitask agency, distortion.

Each contract model is written as a learning dynamic whose rest point is the published optimum:
the agent climbs its certainty equivalent (effort), the principal climbs total surplus given the
agent's current effort (incentive weight). The closed forms are the functions of this module.

Examples
--------
>>> from incentive_geometry.theory import hm_incentive_intensity
>>> hm_incentive_intensity(r=2.0, c=1.0, sigma2=0.5)
0.5
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model, Parameter

from ._build import check_int, state

__all__ = [
    "baker_distortion",
    "baker_optimal_weight",
    "baker_surplus",
    "hm_incentive_intensity",
    "holmstrom_milgrom",
    "multitask_agency",
    "multitask_commissions",
]

_HM87 = (
    "B. Holmstrom and P. Milgrom, Aggregation and Linearity in the Provision of Intertemporal "
    "Incentives, Econometrica 55(2) (1987) 303-328"
)
_HM91 = (
    "B. Holmstrom and P. Milgrom, Multitask Principal-Agent Analyses: Incentive Contracts, Asset "
    "Ownership, and Job Design, Journal of Law, Economics, and Organization 7 (1991) 24-52"
)
_BAKER = (
    "G. Baker, Distortion and Risk in Optimal Incentive Contracts, Journal of Human Resources "
    "37(4) (2002) 728-751"
)
_BAKER92 = (
    "G. P. Baker, Incentive Contracts and Performance Measurement, Journal of Political Economy "
    "100(3) (1992) 598-614"
)


def _positive(value: float, name: str) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ModelError(f"`{name}` must be a positive finite number, got {value!r}")
    return v


def _nonnegative(value: float, name: str) -> float:
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ModelError(f"`{name}` must be a nonnegative finite number, got {value!r}")
    return v


def hm_incentive_intensity(*, r: float, c: float, sigma2: float) -> float:
    """Optimal linear incentive intensity ``beta* = 1 / (1 + r c sigma^2)`` (Holmstrom-Milgrom).

    Parameters
    ----------
    r : float
        ``r >= 0``: the agent's coefficient of absolute risk aversion.
    c : float
        ``c > 0``: curvature of the effort cost ``c e^2 / 2``.
    sigma2 : float
        ``sigma^2 >= 0``: variance of the noise on measured output.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For values outside their domains.

    References
    ----------
    .. [1] B. Holmstrom and P. Milgrom, Aggregation and Linearity in the Provision of
       Intertemporal Incentives, Econometrica 55(2) (1987) 303-328.

    Examples
    --------
    >>> from incentive_geometry.theory import hm_incentive_intensity
    >>> hm_incentive_intensity(r=0.0, c=3.0, sigma2=1.0)
    1.0
    """
    return 1.0 / (1.0 + _nonnegative(r, "r") * _positive(c, "c") * _nonnegative(sigma2, "sigma2"))


def holmstrom_milgrom(
    *, r: float = 1.0, c: float = 1.0, sigma2: float = 0.5, k: float = 1.0
) -> Model:
    r"""Holmstrom-Milgrom linear contract: the incentive intensity learns 1 / (1 + r c sigma^2).

    Output ``y = e + eps`` with ``eps ~ N(0, sigma^2)``; the agent (CARA ``r``) is paid
    ``s + beta y`` and bears the cost ``c e^2 / 2``; its certainty equivalent is
    ``s + beta e - c e^2 / 2 - r beta^2 sigma^2 / 2``. Learning dynamics::

        de/dt    = k (beta - c e)                           (agent: gradient of its CE)
        dbeta/dt = (1 - c e) / c - r sigma^2 beta           (principal: gradient of surplus)

    The principal's step is ``d/dbeta`` of total surplus ``e - c e^2/2 - r beta^2 sigma^2 / 2``
    through the agent's response ``de*/dbeta = 1/c``, evaluated at the current effort.

    Parameters
    ----------
    r : float, default 1.0
        ``r >= 0``: agent's absolute risk aversion.
    c : float, default 1.0
        ``c > 0``: effort-cost curvature.
    sigma2 : float, default 0.5
        ``sigma^2 >= 0``: variance of measured output.
    k : float, default 1.0
        ``k > 0``: speed of the agent's adjustment relative to the principal's.

    Returns
    -------
    Model
        States ``e`` (effort) and ``beta`` (incentive intensity); observables ``surplus`` and
        ``risk_premium``.

    Notes
    -----
    Unique rest point ``beta* = 1 / (1 + r c sigma^2)``, ``e* = beta*/c``; it is stable
    (trace ``-(k c + r sigma^2) < 0``, determinant ``k (1 + r c sigma^2) > 0``).

    References
    ----------
    .. [1] B. Holmstrom and P. Milgrom, Aggregation and Linearity in the Provision of
       Intertemporal Incentives, Econometrica 55(2) (1987) 303-328.

    Examples
    --------
    >>> from incentive_geometry.theory import holmstrom_milgrom
    >>> holmstrom_milgrom().rhs
    (k*(beta - c*e), -beta*r*sigma2 + (-c*e + 1)/c)
    """
    pr = Parameter("r", r, "nonnegative", "agent's coefficient of absolute risk aversion")
    pc = Parameter("c", c, "positive", "curvature of the effort cost c e^2 / 2")
    ps = Parameter("sigma2", sigma2, "nonnegative", "variance of the noise on measured output")
    pk = Parameter("k", k, "positive", "speed of the agent's adjustment")
    R, C, S, K = pr.symbol, pc.symbol, ps.symbol, pk.symbol
    e, beta = state("e"), state("beta")
    return Model.from_equations(
        {"e": K * (beta - C * e), "beta": (1 - C * e) / C - R * S * beta},
        parameters=[pr, pc, ps, pk],
        name="holmstrom_milgrom",
        states={"e": {"domain": "nonnegative", "meaning": "agent's effort"},
                "beta": {"meaning": "incentive intensity (share of measured output paid)"}},
        observables={"surplus": e - C * e**2 / 2 - R * S * beta**2 / 2,
                     "risk_premium": R * S * beta**2 / 2},
        description=(
            "Linear contract s + beta*y with CARA agent and Gaussian noise; the rest point of the "
            "learning dynamics is the optimal intensity 1/(1 + r c sigma2)."
        ),
        references=[_HM87],
    )


def multitask_commissions(B: Any, C: Any, Sigma: Any, *, r: float) -> np.ndarray:
    """Optimal multitask commission rates ``alpha* = (I + r C Sigma)^{-1} B'``.

    Parameters
    ----------
    B : array_like, shape (n,)
        Marginal value ``B'`` of each task to the principal (linear benefit).
    C : array_like, shape (n, n)
        Hessian of the agent's effort cost (symmetric positive definite).
    Sigma : array_like, shape (n, n)
        Covariance of the measurement noise (symmetric positive semidefinite).
    r : float
        ``r >= 0``: absolute risk aversion.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    ModelError
        For inconsistent shapes or a singular system.

    References
    ----------
    .. [1] B. Holmstrom and P. Milgrom, Multitask Principal-Agent Analyses: Incentive Contracts,
       Asset Ownership, and Job Design, Journal of Law, Economics, and Organization 7 (1991)
       24-52.

    Examples
    --------
    >>> from incentive_geometry.theory import multitask_commissions
    >>> multitask_commissions([1.0], [[1.0]], [[0.5]], r=2.0)
    array([0.5])
    """
    b = np.asarray(B, dtype=float).ravel()
    Cm = np.asarray(C, dtype=float)
    Sm = np.asarray(Sigma, dtype=float)
    n = b.size
    if Cm.shape != (n, n) or Sm.shape != (n, n):
        raise ModelError(
            f"`C` and `Sigma` must be {n}x{n} for {n} tasks, got {Cm.shape} and {Sm.shape}"
        )
    try:
        return np.asarray(np.linalg.solve(np.eye(n) + _nonnegative(r, "r") * Cm @ Sm, b))
    except np.linalg.LinAlgError:
        raise ModelError("`I + r C Sigma` is singular; check `C` and `Sigma`") from None


def multitask_agency(
    n: int = 2,
    *,
    r: float = 1.0,
    B: Any = (1.0, 0.5),
    C: Any = ((1.0, 0.3), (0.3, 1.0)),
    Sigma: Any = ((1.0, 0.0), (0.0, 2.0)),
) -> Model:
    r"""Holmstrom-Milgrom multitask agency: commissions learn (I + r C Sigma)^-1 B'.

    Efforts ``t`` on ``n`` tasks, measured with noise ``x = t + eps``, ``eps ~ N(0, Sigma)``; the
    agent is paid ``alpha . x`` and bears the cost ``t' C t / 2``; the principal values
    ``B' . t``. Learning dynamics::

        dt/dt     = alpha - C t                          (agent: gradient of its CE)
        dalpha/dt = C^{-1} (B' - C t) - r Sigma alpha    (principal: gradient of surplus)

    Parameters
    ----------
    n : int, default 2
        Number of tasks (``1 <= n <= 6``); ``B``, ``C``, ``Sigma`` give its default values.
    r : float, default 1.0
        ``r >= 0``: absolute risk aversion.
    B : sequence of n floats, default (1, 0.5)
        Marginal value of each task: parameters ``B_1..B_n`` (real).
    C : n x n, default ((1, 0.3), (0.3, 1))
        Cost Hessian (symmetric positive definite): parameters ``C_ij`` for ``i <= j``.
    Sigma : n x n, default ((1, 0), (0, 2))
        Noise covariance (symmetric positive semidefinite): parameters ``S_ij`` for ``i <= j``.

    Returns
    -------
    Model
        States ``t_1..t_n`` and ``alpha_1..alpha_n``.

    Raises
    ------
    ModelError
        For inconsistent shapes or a singular default ``C``.

    Notes
    -----
    Rest point ``t* = C^{-1} alpha*``, ``alpha* = (I + r C Sigma)^{-1} B'``
    (:func:`multitask_commissions`). The Jacobian ``[[-C, I], [-I, -r Sigma]]`` has negative
    definite symmetric part, so the rest point is stable.

    References
    ----------
    .. [1] B. Holmstrom and P. Milgrom, Multitask Principal-Agent Analyses: Incentive Contracts,
       Asset Ownership, and Job Design, Journal of Law, Economics, and Organization 7 (1991)
       24-52.

    Examples
    --------
    >>> from incentive_geometry.theory import multitask_agency
    >>> multitask_agency(1, B=[1.0], C=[[2.0]], Sigma=[[1.0]]).rhs
    (-C_11*t_1 + alpha_1, B_1/C_11 - S_11*alpha_1*r - t_1)
    """
    n = check_int(n, name="n", low=1, high=6)
    b = np.asarray(B, dtype=float).ravel()
    Cm = np.asarray(C, dtype=float)
    Sm = np.asarray(Sigma, dtype=float)
    if b.size != n or Cm.shape != (n, n) or Sm.shape != (n, n):
        raise ModelError(
            f"for n={n} tasks give `B` with {n} numbers and `C`, `Sigma` as {n}x{n}; got "
            f"{b.size}, {Cm.shape}, {Sm.shape}"
        )
    if not np.allclose(Cm, Cm.T) or np.linalg.eigvalsh(Cm).min() <= 0:
        raise ModelError(f"`C` must be symmetric positive definite, got {Cm.tolist()}")
    if not np.allclose(Sm, Sm.T) or np.linalg.eigvalsh(Sm).min() < -1e-12:
        raise ModelError(f"`Sigma` must be symmetric positive semidefinite, got {Sm.tolist()}")
    pr = Parameter("r", r, "nonnegative", "agent's coefficient of absolute risk aversion")
    params = [pr]
    Bs = []
    for i in range(n):
        p = Parameter(f"B_{i + 1}", float(b[i]), "real", f"marginal value of task {i + 1}")
        params.append(p)
        Bs.append(p.symbol)
    Csym = sympy.zeros(n, n)
    Ssym = sympy.zeros(n, n)
    for label, mat, target, what in (("C", Cm, Csym, "effort-cost Hessian"),
                                     ("S", Sm, Ssym, "noise covariance")):
        for i in range(n):
            for j in range(i, n):
                dom = "positive" if (i == j and label == "C") else (
                    "nonnegative" if i == j else "real")
                p = Parameter(f"{label}_{i + 1}{j + 1}", float(mat[i, j]), dom,
                              f"{what}, entry ({i + 1}, {j + 1})")
                params.append(p)
                target[i, j] = target[j, i] = p.symbol
    t = sympy.Matrix([state(f"t_{i + 1}") for i in range(n)])
    a = sympy.Matrix([state(f"alpha_{i + 1}") for i in range(n)])
    dt = a - Csym * t
    da = Csym.inv() * (sympy.Matrix(Bs) - Csym * t) - pr.symbol * Ssym * a
    eqs: dict[str, Any] = {f"t_{i + 1}": dt[i] for i in range(n)}
    eqs.update({f"alpha_{i + 1}": sympy.simplify(da[i]) for i in range(n)})
    return Model.from_equations(
        eqs,
        parameters=params,
        name="multitask_agency",
        states={**{f"t_{i + 1}": {"meaning": f"effort on task {i + 1}"} for i in range(n)},
                **{f"alpha_{i + 1}": {"meaning": f"commission rate on task {i + 1}"}
                   for i in range(n)}},
        description=(
            f"{n}-task linear agency with CARA agent; rest point alpha* = (I + r C Sigma)^-1 B'."
        ),
        references=[_HM91],
    )


def baker_optimal_weight(
    angle: float, *, f_norm: float = 1.0, g_norm: float = 1.0, r: float = 0.0, sigma2: float = 0.0
) -> float:
    """Baker's optimal weight on a distorted measure: ``|f||g| cos(angle) / (|g|^2 + r sigma^2)``.

    Parameters
    ----------
    angle : float
        Angle (radians) between the value vector ``f`` and the measure vector ``g``.
    f_norm, g_norm : float
        ``|f| > 0`` and ``|g| > 0``.
    r, sigma2 : float
        Risk aversion and measurement-noise variance (``>= 0``); 0 gives the risk-neutral case
        ``b* = |f| cos(angle) / |g|``.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For values outside their domains.

    References
    ----------
    .. [1] G. Baker, Distortion and Risk in Optimal Incentive Contracts, Journal of Human
       Resources 37(4) (2002) 728-751.
    .. [2] G. P. Baker, Incentive Contracts and Performance Measurement, Journal of Political
       Economy 100(3) (1992) 598-614.

    Examples
    --------
    >>> import math
    >>> from incentive_geometry.theory import baker_optimal_weight
    >>> round(baker_optimal_weight(math.pi / 3), 12)
    0.5
    """
    F, G = _positive(f_norm, "f_norm"), _positive(g_norm, "g_norm")
    return F * G * float(np.cos(angle)) / (G**2 + _nonnegative(r, "r") * _nonnegative(sigma2, "sigma2"))


def baker_surplus(
    angle: float, *, f_norm: float = 1.0, g_norm: float = 1.0, r: float = 0.0, sigma2: float = 0.0
) -> float:
    """Surplus at Baker's optimal weight: ``(|f||g| cos(angle))^2 / (2 (|g|^2 + r sigma^2))``.

    First best is ``|f|^2 / 2``; with no risk the efficiency is ``cos(angle)^2``.

    Parameters
    ----------
    angle : float
        Angle between value and measure vectors (radians).
    f_norm, g_norm : float
        Norms of value and measure vectors.
    r, sigma2 : float
        Risk aversion and noise variance.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For values outside their domains.

    References
    ----------
    .. [1] G. Baker, Distortion and Risk in Optimal Incentive Contracts, Journal of Human
       Resources 37(4) (2002) 728-751.

    Examples
    --------
    >>> from incentive_geometry.theory import baker_surplus
    >>> baker_surplus(0.0, f_norm=2.0)
    2.0
    """
    F, G = _positive(f_norm, "f_norm"), _positive(g_norm, "g_norm")
    den = G**2 + _nonnegative(r, "r") * _nonnegative(sigma2, "sigma2")
    return (F * G * float(np.cos(angle))) ** 2 / (2 * den)


def baker_distortion(
    *,
    angle: float = 0.5,
    f_norm: float = 1.0,
    g_norm: float = 1.0,
    r: float = 0.0,
    sigma2: float = 0.0,
    k: float = 1.0,
) -> Model:
    r"""Baker's distortion: incentive weight on a measure whose direction differs from value.

    Effort ``a`` in the plane; value ``V = f . a + eps`` with ``f = |f| (1, 0)``; measure
    ``P = g . a + phi`` with ``g = |g| (cos(angle), sin(angle))``, noise variance ``sigma^2``.
    The agent, paid ``beta P``, climbs ``beta g . a - |a|^2 / 2``; the principal climbs total
    surplus ``f . a - |a|^2/2 - r beta^2 sigma^2 / 2`` through ``da*/dbeta = g``::

        da/dt    = k (beta g - a)
        dbeta/dt = g . (f - a) - r sigma^2 beta

    Parameters
    ----------
    angle : float, default 0.5
        ``0 <= angle <= pi``: angle between value and measure (distortion).
    f_norm : float, default 1.0
        ``|f| > 0``: marginal value of effort.
    g_norm : float, default 1.0
        ``|g| > 0``: sensitivity of the measure to effort.
    r : float, default 0.0
        ``r >= 0``: agent's risk aversion.
    sigma2 : float, default 0.0
        ``sigma^2 >= 0``: noise variance of the measure (risk).
    k : float, default 1.0
        ``k > 0``: agent's adjustment speed.

    Returns
    -------
    Model
        States ``a_1, a_2, beta``; observables ``value`` (``f . a``) and ``surplus``.

    Notes
    -----
    Rest point ``beta* = |f||g| cos(angle) / (|g|^2 + r sigma^2)``, ``a* = beta* g``, with
    surplus ``(|f||g| cos(angle))^2 / (2 (|g|^2 + r sigma^2))`` (:func:`baker_optimal_weight`,
    :func:`baker_surplus`); without risk the efficiency relative to first best ``|f|^2/2`` is
    ``cos(angle)^2``: distortion alone costs value even for a risk-neutral agent.

    References
    ----------
    .. [1] G. Baker, Distortion and Risk in Optimal Incentive Contracts, Journal of Human
       Resources 37(4) (2002) 728-751.
    .. [2] G. P. Baker, Incentive Contracts and Performance Measurement, Journal of Political
       Economy 100(3) (1992) 598-614.

    Examples
    --------
    >>> from incentive_geometry.theory import baker_distortion
    >>> baker_distortion().state_names
    ('a_1', 'a_2', 'beta')
    """
    pang = Parameter("angle", angle, [0, float(np.pi)], "angle between value and measure vectors")
    pf = Parameter("f_norm", f_norm, "positive", "marginal value of effort |f|")
    pg = Parameter("g_norm", g_norm, "positive", "sensitivity of the measure |g|")
    pr = Parameter("r", r, "nonnegative", "agent's absolute risk aversion")
    ps = Parameter("sigma2", sigma2, "nonnegative", "noise variance of the measure")
    pk = Parameter("k", k, "positive", "agent's adjustment speed")
    F, G, R, S, K = pf.symbol, pg.symbol, pr.symbol, ps.symbol, pk.symbol
    g1, g2 = G * sympy.cos(pang.symbol), G * sympy.sin(pang.symbol)
    a1, a2, beta = state("a_1"), state("a_2"), state("beta")
    return Model.from_equations(
        {
            "a_1": K * (beta * g1 - a1),
            "a_2": K * (beta * g2 - a2),
            "beta": g1 * (F - a1) - g2 * a2 - R * S * beta,
        },
        parameters=[pang, pf, pg, pr, ps, pk],
        name="baker_distortion",
        states={"a_1": {"meaning": "effort along the value direction"},
                "a_2": {"meaning": "effort orthogonal to value (gaming the measure)"},
                "beta": {"meaning": "incentive weight on the measure"}},
        observables={"value": F * a1,
                     "surplus": F * a1 - (a1**2 + a2**2) / 2 - R * S * beta**2 / 2},
        description=(
            "Incentive weight on a distorted, noisy measure; the optimal weight and surplus "
            "shrink with the angle between value and measure."
        ),
        references=[_BAKER, _BAKER92],
    )
