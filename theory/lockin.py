"""Classical analogues from technology lock-in: Arthur's adoption process and nonlinear Polya urns.

Both are stochastic processes: the models' equations give the mean dynamics (the expected change
per adoption or draw) and each model carries a seeded ``stochastic_step`` that accepts one state
or a batch of states (rows).

Examples
--------
>>> from incentive_geometry.theory import arthur_barriers
>>> arthur_barriers(a_r=1.0, b_r=0.75, a_s=0.6, b_s=0.95, r=0.1)
(-3, 4)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model, Parameter

from ._build import params_dict, state

__all__ = [
    "UrnPoint",
    "arthur_adoption",
    "arthur_barriers",
    "arthur_lockin_probability",
    "polya_urn",
    "power_urn_limits",
]

_ARTHUR = (
    "W. B. Arthur, Competing Technologies, Increasing Returns, and Lock-In by Historical Events, "
    "The Economic Journal 99(394) (1989) 116-131"
)
_HLS80 = (
    "B. M. Hill, D. Lane and W. Sudderth, A Strong Law for Some Generalized Urn Processes, "
    "The Annals of Probability 8(2) (1980) 214-226"
)
_AEK87 = (
    "W. B. Arthur, Yu. M. Ermoliev and Yu. M. Kaniovski, Path-dependent processes and the "
    "emergence of macro-structure, European Journal of Operational Research 30 (1987) 294-303"
)
_PEMANTLE = (
    "R. Pemantle, A survey of random processes with reinforcement, Probability Surveys 4 (2007) "
    "1-79"
)


# --------------------------------------------------------------------------------------------
# Arthur's increasing-returns adoption


def arthur_barriers(*, a_r: float, b_r: float, a_s: float, b_s: float, r: float) -> tuple[int, int]:
    """The absorbing barriers of Arthur's process in the adoption lead ``d = n_A - n_B``.

    R-agents (who prefer A, ``a_r > b_r``) switch to B once ``d < -(a_r - b_r)/r``; S-agents
    (who prefer B, ``b_s > a_s``) switch to A once ``d > (b_s - a_s)/r``.

    Parameters
    ----------
    a_r, b_r : float
        Natural payoffs of A and B to an R-agent (``a_r > b_r``).
    a_s, b_s : float
        Natural payoffs of A and B to an S-agent (``b_s > a_s``).
    r : float
        ``r > 0``: payoff increase per previous adopter (increasing returns), for both.

    Returns
    -------
    (int, int)
        ``(lower, upper)``: ``d = upper`` locks in A, ``d = lower`` locks in B.

    Raises
    ------
    ModelError
        For ``r <= 0`` or agents without their stated natural preference.

    References
    ----------
    .. [1] W. B. Arthur, Competing Technologies, Increasing Returns, and Lock-In by Historical
       Events, The Economic Journal 99(394) (1989) 116-131.

    Examples
    --------
    >>> from incentive_geometry.theory import arthur_barriers
    >>> arthur_barriers(a_r=1.0, b_r=0.85, a_s=0.75, b_s=1.0, r=0.1)
    (-2, 3)
    """
    if not r > 0:
        raise ModelError(f"`r` (increasing returns) must be positive, got {r!r}")
    if not (a_r > b_r and b_s > a_s):
        raise ModelError(
            f"R-agents must prefer A (a_r > b_r) and S-agents B (b_s > a_s); got a_r={a_r}, "
            f"b_r={b_r}, a_s={a_s}, b_s={b_s}"
        )
    # Smallest integer d with d > (b_s - a_s)/r; largest integer d with d < -(a_r - b_r)/r.
    # Ratios are rounded to 9 decimals so that 0.2/0.1 counts as the integer 2 (a tie, which the
    # agent resolves toward its natural preference).
    return (-(math.floor(round((a_r - b_r) / r, 9)) + 1),
            math.floor(round((b_s - a_s) / r, 9)) + 1)


def arthur_lockin_probability(*, lower: int, upper: int, p: float = 0.5, start: int = 0) -> float:
    r"""Probability that technology A locks in: the lead hits ``upper`` before ``lower``.

    Between the barriers each adopter is an R-agent (choosing A, ``d + 1``) with probability
    ``p`` and an S-agent (choosing B, ``d - 1``) otherwise: gambler's ruin. With
    ``rho = (1 - p)/p``::

        P(A) = (1 - rho^(start - lower)) / (1 - rho^(upper - lower))   (p != 1/2)
        P(A) = (start - lower) / (upper - lower)                       (p = 1/2)

    Parameters
    ----------
    lower, upper : int
        Barriers, ``lower < start < upper``.
    p : float, default 0.5
        ``0 < p < 1``: probability the next adopter is an R-agent.
    start : int, default 0
        Initial lead.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For barriers that do not bracket `start` or ``p`` outside ``(0, 1)``.

    References
    ----------
    .. [1] W. B. Arthur, Competing Technologies, Increasing Returns, and Lock-In by Historical
       Events, The Economic Journal 99(394) (1989) 116-131.

    Examples
    --------
    >>> from incentive_geometry.theory import arthur_lockin_probability
    >>> arthur_lockin_probability(lower=-3, upper=4)
    0.42857142857142855
    """
    if not lower < start < upper:
        raise ModelError(f"need lower < start < upper, got {lower}, {start}, {upper}")
    if not 0 < p < 1:
        raise ModelError(f"`p` must be in (0, 1), got {p!r}")
    if p == 0.5:
        return (start - lower) / (upper - lower)
    rho = (1 - p) / p
    return float((1 - rho ** (start - lower)) / (1 - rho ** (upper - lower)))


def _arthur_step(x: Any, params: Any, rng: np.random.Generator) -> np.ndarray:
    """One adopter arrives, R with probability p, and picks the technology that pays more."""
    a_r, b_r, a_s, b_s, r, p = params_dict(params, ["a_r", "b_r", "a_s", "b_s", "r", "p"])
    arr = np.array(x, dtype=float)
    single = arr.ndim == 1
    X = np.atleast_2d(arr).copy()
    nA, nB = X[:, 0], X[:, 1]
    is_r = rng.random(X.shape[0]) < p
    # Ties go to the agent's natural preference.
    r_picks_a = a_r + r * nA >= b_r + r * nB
    s_picks_a = a_s + r * nA > b_s + r * nB
    pick_a = np.where(is_r, r_picks_a, s_picks_a)
    X[:, 0] += pick_a
    X[:, 1] += ~pick_a
    return X[0] if single else X


def arthur_adoption(
    *,
    a_r: float = 1.0,
    b_r: float = 0.75,
    a_s: float = 0.6,
    b_s: float = 0.95,
    r: float = 0.1,
    p: float = 0.5,
) -> Model:
    r"""Arthur's increasing-returns adoption: history locks in one technology.

    Adopters arrive one at a time; an R-agent (probability ``p``) gets ``a_r + r n_A`` from A and
    ``b_r + r n_B`` from B, an S-agent ``a_s + r n_A`` and ``b_s + r n_B``; each picks the larger.
    The equations are the expected change per adopter::

        n_A' = n_A + p [a_r + r n_A >= b_r + r n_B] + (1 - p) [a_s + r n_A > b_s + r n_B]
        n_B' = n_B + 1 - (the same indicator sum)

    Parameters
    ----------
    a_r : float, default 1.0
        Natural payoff of A to R-agents (real).
    b_r : float, default 0.75
        Natural payoff of B to R-agents (``< a_r``).
    a_s : float, default 0.6
        Natural payoff of A to S-agents (real).
    b_s : float, default 0.95
        Natural payoff of B to S-agents (``> a_s``).
    r : float, default 0.1
        ``r > 0``: increasing returns per previous adopter.
    p : float, default 0.5
        ``0 < p < 1``: probability an adopter is an R-agent.

    Returns
    -------
    Model
        Discrete time, states ``n_A, n_B``; observables ``share_A`` and ``lead = n_A - n_B``;
        seeded ``stochastic_step``.

    Notes
    -----
    The lead ``d = n_A - n_B`` is a random walk between absorbing barriers
    (:func:`arthur_barriers`); beyond a barrier both agent types choose the same technology
    forever (lock-in), and A wins with the gambler's-ruin probability
    :func:`arthur_lockin_probability`. The market share of the loser tends to zero.

    References
    ----------
    .. [1] W. B. Arthur, Competing Technologies, Increasing Returns, and Lock-In by Historical
       Events, The Economic Journal 99(394) (1989) 116-131.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory import arthur_adoption
    >>> m = arthur_adoption()
    >>> m.stochastic_step(np.array([9.0, 0.0]), m.defaults, np.random.default_rng(1))
    array([10.,  0.])
    """
    params = [
        Parameter("a_r", a_r, "real", "natural payoff of A to R-agents"),
        Parameter("b_r", b_r, "real", "natural payoff of B to R-agents"),
        Parameter("a_s", a_s, "real", "natural payoff of A to S-agents"),
        Parameter("b_s", b_s, "real", "natural payoff of B to S-agents"),
        Parameter("r", r, "positive", "increasing returns per previous adopter"),
        Parameter("p", p, [0, 1], "probability an adopter is an R-agent"),
    ]
    arthur_barriers(a_r=a_r, b_r=b_r, a_s=a_s, b_s=b_s, r=r)  # validates the preferences
    AR, BR, AS, BS, R, P = (q.symbol for q in params)
    nA, nB = state("n_A"), state("n_B")
    r_a = sympy.Piecewise((1, AR + R * nA >= BR + R * nB), (0, True))
    s_a = sympy.Piecewise((1, AS + R * nA > BS + R * nB), (0, True))
    prob_a = P * r_a + (1 - P) * s_a
    model = Model.from_equations(
        {"n_A": nA + prob_a, "n_B": nB + 1 - prob_a},
        parameters=params,
        time="discrete",
        name="arthur_adoption",
        states={"n_A": {"domain": "nonnegative", "meaning": "adopters of technology A"},
                "n_B": {"domain": "nonnegative", "meaning": "adopters of technology B"}},
        observables={"share_A": nA / (nA + nB), "lead": nA - nB},
        description=(
            "R-agents prefer A, S-agents B; payoffs grow by r per previous adopter. The lead "
            "n_A - n_B is a random walk absorbed at barriers: lock-in by historical events."
        ),
        references=[_ARTHUR],
    )
    return replace(model, stochastic_step=_arthur_step)


# --------------------------------------------------------------------------------------------
# Nonlinear Polya urns


@dataclass(frozen=True)
class UrnPoint:
    """A fixed point of an urn function ``f(x) = x`` and whether the urn can converge there.

    Parameters
    ----------
    x : float
        The fixed point.
    downcrossing : bool
        ``f(x) - x`` crosses zero from above (``f'(x) < 1``): the urn share converges to ``x``
        with positive probability. Up-crossings are reached with probability zero.

    Examples
    --------
    >>> from incentive_geometry.theory import UrnPoint
    >>> UrnPoint(0.5, True).downcrossing
    True
    """

    x: float
    downcrossing: bool


def power_urn_limits(alpha: float) -> tuple[UrnPoint, ...]:
    """Fixed points of the urn function ``f(x) = x^alpha / (x^alpha + (1 - x)^alpha)``.

    ``f'(0) = f'(1) = 0`` for ``alpha > 1`` (0 and 1 attract, monopoly), ``f'(1/2) = alpha``.

    Parameters
    ----------
    alpha : float
        ``alpha > 0``, ``alpha != 1`` (for ``alpha = 1`` every point is fixed: the classical
        urn, whose limit share is Beta-distributed).

    Returns
    -------
    tuple of UrnPoint
        At ``0, 1/2, 1``.

    Raises
    ------
    ModelError
        For ``alpha <= 0`` or ``alpha == 1``.

    References
    ----------
    .. [1] B. M. Hill, D. Lane and W. Sudderth, A Strong Law for Some Generalized Urn
       Processes, The Annals of Probability 8(2) (1980) 214-226.

    Examples
    --------
    >>> from incentive_geometry.theory import power_urn_limits
    >>> [p.x for p in power_urn_limits(2.0) if p.downcrossing]
    [0.0, 1.0]
    """
    if not alpha > 0 or alpha == 1:
        raise ModelError(
            f"`alpha` must be positive and not 1 (every point is fixed at 1), got {alpha!r}"
        )
    strong = alpha > 1
    return (UrnPoint(0.0, strong), UrnPoint(0.5, not strong), UrnPoint(1.0, strong))


def _urn_step(x: Any, params: Any, rng: np.random.Generator) -> np.ndarray:
    """One ball is added: red with probability f(red share).

    With red and blue counts ``r, b``: ``f = r^alpha / (r^alpha + b^alpha) = 1 / (1 + (b/r)^alpha)``,
    one power per row (this step runs hundreds of thousands of times in a Monte Carlo check),
    and ``u < f`` is tested as ``u (1 + (b/r)^alpha) < 1``; an empty colour gets probability 0
    (``b/r = inf``) and a full one 1. ``alpha`` may be an array with one value per row, so that
    urns at many parameter points step together (a batched Monte Carlo observation).
    """
    if "alpha" not in params:
        params_dict(params, ["alpha"])  # the missing-parameter error
    alpha = params["alpha"]
    alpha = float(alpha) if np.ndim(alpha) == 0 else np.asarray(alpha, dtype=float)
    X = np.array(x, dtype=float)  # a copy: the caller's state is not changed
    single = X.ndim == 1
    if single:
        X = X[None, :]
    if X.min(initial=1.0) > 0.0:
        odds = (X[:, 1] / X[:, 0]) ** alpha
    else:  # an empty colour: b/r is 0 or inf (0/0, both empty, adds no red ball)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            odds = (X[:, 1] / X[:, 0]) ** alpha
    red = (rng.random(X.shape[0]) * (1.0 + odds) < 1.0).astype(float)
    X[:, 0] += red
    X[:, 1] += 1.0 - red
    return X[0] if single else X


def polya_urn(*, alpha: float = 2.0) -> Model:
    r"""Nonlinear Polya urn: a ball is added red with probability f(x), x the red share.

    Urn function ``f(x) = x^alpha / (x^alpha + (1 - x)^alpha)`` (``alpha > 1``: increasing
    returns; ``alpha = 1``: the classical Polya urn). The equations are the expected change per
    draw of the ball counts::

        red'  = red + f(x),   blue' = blue + 1 - f(x),   x = red / (red + blue).

    Parameters
    ----------
    alpha : float, default 2.0
        ``alpha > 0``: strength of the feedback of share on adoption.

    Returns
    -------
    Model
        Discrete time, states ``red, blue``; observables ``share`` and ``drift = f(x) - x`` (the
        vector field of the stochastic-approximation ODE ``dx/dt = f(x) - x``); seeded
        ``stochastic_step``.

    Notes
    -----
    The share converges almost surely to a fixed point of ``f``; each down-crossing point
    (``f(x) - x`` changes sign from + to -, stable for ``dx/dt = f(x) - x``) is a limit with
    positive probability, up-crossings with probability zero (Hill-Lane-Sudderth; Pemantle). For
    this ``f``: limits ``{0, 1}`` for ``alpha > 1`` (monopoly), ``{1/2}`` for ``alpha < 1``
    (:func:`power_urn_limits`); for ``alpha = 1`` the limit is ``Beta(red_0, blue_0)``.

    References
    ----------
    .. [1] B. M. Hill, D. Lane and W. Sudderth, A Strong Law for Some Generalized Urn Processes,
       The Annals of Probability 8(2) (1980) 214-226.
    .. [2] W. B. Arthur, Yu. M. Ermoliev and Yu. M. Kaniovski, Path-dependent processes and the
       emergence of macro-structure, European Journal of Operational Research 30 (1987)
       294-303.
    .. [3] R. Pemantle, A survey of random processes with reinforcement, Probability Surveys 4
       (2007) 1-79.

    Examples
    --------
    >>> from incentive_geometry.theory import polya_urn
    >>> polya_urn().observables_map["drift"]
    -red/(blue + red) + (red/(blue + red))**alpha/((red/(blue + red))**alpha + (-red/(blue + red) + 1)**alpha)
    """
    pa = Parameter("alpha", alpha, "positive", "strength of the feedback of share on adoption")
    red, blue = state("red"), state("blue")
    share = red / (red + blue)
    f = share**pa.symbol / (share**pa.symbol + (1 - share) ** pa.symbol)
    model = Model.from_equations(
        {"red": red + f, "blue": blue + 1 - f},
        parameters=[pa],
        time="discrete",
        name="polya_urn",
        states={"red": {"domain": "nonnegative", "meaning": "red balls (adopters of A)"},
                "blue": {"domain": "nonnegative", "meaning": "blue balls (adopters of B)"}},
        observables={"share": share, "drift": f - share},
        description=(
            "Generalized Polya urn with urn function x^alpha/(x^alpha + (1-x)^alpha); the share "
            "converges to a down-crossing fixed point of the urn function."
        ),
        references=[_HLS80, _AEK87, _PEMANTLE],
    )
    return replace(model, stochastic_step=_urn_step)
