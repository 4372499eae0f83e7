"""Learners with a finite list of outcomes per step: Cross learning, policy gradient, Moran.

Two routines use the canonical model's names: routine A is aligned, routine M captures proxy
reward, ``x`` is M's share. At every step one routine is drawn by its share; with probability
``theta`` the principal observes the true outcome, otherwise it reinforces on the proxy:

=============  ===================  =================================
draw           observed (``theta``)  proxy (``1 - theta``)
=============  ===================  =================================
M (``x``)      0                    ``alpha (b + gamma x)``
A (``1 - x``)  ``c``                0
=============  ===================  =================================

So M's expected reward exceeds A's by ``G(x) = alpha (1 - theta) (b + gamma x) - theta c``, the
canonical model's payoff difference. An observed loss of M is written as a reward ``c`` of the
alternative A, which keeps every reward nonnegative (Cross learning needs rewards in
``[0, 1/eta]`` to keep shares in ``[0, 1]``) and changes no mean field, only the variance.
With K routines the rewards are ``alpha (b_i + gamma_i w_i)`` on the proxy and
``max_j c_j - c_i`` when observed, so that routine payoffs differ as in
:func:`incentive_geometry.theory.entrenchment_n`.

Examples
--------
>>> from incentive_geometry.theory import learners
>>> L = learners.cross_learning(k=2)
>>> [o.label for o in L.outcomes]
['M drawn, proxy', 'M drawn, observed', 'A drawn, proxy', 'A drawn, observed']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Domain, Parameter

from .._build import PAPER, check_int, vector_option
from .base import Learner, Outcome

__all__ = ["cross_learning", "moran", "moran_fixation", "policy_gradient"]

_BS97 = (
    "T. Borgers and R. Sarin, Learning through reinforcement and replicator dynamics, Journal "
    "of Economic Theory 77 (1997) 1-14"
)
_W92 = (
    "R. J. Williams, Simple statistical gradient-following algorithms for connectionist "
    "reinforcement learning, Machine Learning 8 (1992) 229-256"
)
_MORAN58 = (
    "P. A. P. Moran, Random processes in genetics, Mathematical Proceedings of the Cambridge "
    "Philosophical Society 54 (1958) 60-71"
)
_NSTF04 = (
    "M. A. Nowak, A. Sasaki, C. Taylor and D. Fudenberg, Emergence of cooperation and "
    "evolutionary stability in finite populations, Nature 428 (2004) 646-650"
)
_TCH05 = (
    "A. Traulsen, J. C. Claussen and C. Hauert, Coevolutionary dynamics: from finite to infinite "
    "populations, Physical Review Letters 95 (2005) 238701"
)

_UNIT = Domain.parse([0, 1])


def _meanings(k: int) -> tuple[str, ...]:
    if k == 2:
        return ("influence share of the proxy-capturing routine M",)
    return tuple(f"influence share of routine {i + 1}" for i in range(k))


def _canonical(
    alpha: float, theta: float, b: float, gamma: float, c: float, eta: float, *, eta_domain: Any
) -> list[Parameter]:
    return [
        Parameter(
            "alpha",
            alpha,
            "positive",
            "gain on proxy reinforcement relative to penalties (asymmetric reinforcement)",
        ),
        Parameter("theta", theta, [0, 1], "observability of true outcomes (partial observability)"),
        Parameter(
            "b", b, "nonnegative", "proxy reward M captures without true value (local proxy)"
        ),
        Parameter(
            "gamma",
            gamma,
            "nonnegative",
            "how much influence raises M's proxy capture (recursive feedback)",
        ),
        Parameter("c", c, "positive", "M's true cost to the principal"),
        Parameter("eta", eta, eta_domain, "step size of the learner"),
    ]


def _scalar(value: float | Sequence[float], name: str) -> float:
    if isinstance(value, int | float):
        return float(value)
    raise ModelError(
        f"`{name}` must be a number for two routines (the parameter's default), got {value!r:.60}"
    )


def _routine_table(
    k: int,
    b: float | Sequence[float] | None,
    gamma: float | Sequence[float] | None,
    c: float | Sequence[float] | None,
    alpha: float,
    theta: float,
    eta: float,
) -> tuple[list[sympy.Symbol], list[Any], list[Parameter], list[tuple[int, Any, Any, str]]]:
    """States, shares, parameters and the (routine, probability, reward, label) table."""
    x = sympy.Symbol("x", real=True)
    if k == 2:
        # Two routines: scalars are the canonical parameters' defaults (M's b, gamma, c).
        bm, gm, cm = (
            0.2 if b is None else _scalar(b, "b"),
            1.0 if gamma is None else _scalar(gamma, "gamma"),
            1.0 if c is None else _scalar(c, "c"),
        )
        params = _canonical(alpha, theta, bm, gm, cm, eta, eta_domain="positive")
        sym = {p.name: p.symbol for p in params}
        states = [x]
        shares: list[Any] = [1 - x, x]
        a, th = sym["alpha"], sym["theta"]
        proxy = [sympy.Integer(0), a * (sym["b"] + sym["gamma"] * x)]
        true = [sym["c"], sympy.Integer(0)]
        names = ["A", "M"]
    else:
        pa = Parameter(
            "alpha", alpha, "positive", "gain on proxy reinforcement relative to penalties"
        )
        pt = Parameter("theta", theta, [0, 1], "observability of true outcomes")
        bv, bp = vector_option(
            b,
            name="b",
            n=k,
            default=[0.0] + [0.2] * (k - 1),
            domain="nonnegative",
            meaning="proxy reward captured without true value",
        )
        gv, gp = vector_option(
            gamma,
            name="gamma",
            n=k,
            default=[0.0] + [1.0] * (k - 1),
            domain="nonnegative",
            meaning="recursive feedback",
        )
        cv, cp = vector_option(
            c,
            name="c",
            n=k,
            default=[0.0] + [1.0] * (k - 1),
            domain="nonnegative",
            meaning="true cost to the principal",
        )
        pe = Parameter("eta", eta, "positive", "step size of the learner")
        params = [pa, pt, *bp, *gp, *cp, pe]
        states = [sympy.Symbol(f"w_{i + 1}", real=True) for i in range(k)]
        shares = list(states)
        a, th = pa.symbol, pt.symbol
        proxy = [a * (bv[i] + gv[i] * states[i]) for i in range(k)]
        # Observed: the routine's true value relative to the costliest one (nonnegative).
        cmax = sympy.Max(*cv) if len(set(cv)) > 1 else cv[0]
        true = [cmax - cv[i] for i in range(k)]
        names = [str(i + 1) for i in range(k)]
    table = []
    for i in range(len(shares)):
        table.append((i, shares[i] * (1 - th), proxy[i], f"{names[i]} drawn, proxy"))
        table.append((i, shares[i] * th, true[i], f"{names[i]} drawn, observed"))
    if k == 2:
        # List M's outcomes first (the share that is recorded).
        table = table[2:] + table[:2]
    return states, shares, params, table


def _others(shares: list[Any], a: int) -> Any:
    return sum((w for i, w in enumerate(shares) if i != a), sympy.Integer(0))


def _recorded(k: int, shares: list[Any]) -> list[Any]:
    return [shares[1]] if k == 2 else shares


def cross_learning(
    k: int = 2,
    *,
    diversity: bool = False,
    alpha: float = 1.0,
    theta: float = 0.3,
    b: float | Sequence[float] | None = None,
    gamma: float | Sequence[float] | None = None,
    c: float | Sequence[float] | None = None,
    eta: float = 0.01,
    mu: float = 0.05,
) -> Learner:
    r"""Cross learning (Borgers and Sarin 1997) over ``k`` routines reinforced on proxies.

    One routine ``a`` is drawn with probability equal to its share; its reward ``r`` (true with
    probability ``theta``, proxy otherwise; module table) moves the shares toward it::

        w_a <- w_a + eta r (1 - w_a),    w_j <- w_j - eta r w_j   (j != a).

    The expected increment is ``eta w_i (pi_i - sum_j w_j pi_j)`` exactly (replicator dynamics,
    Borgers and Sarin 1997), so for ``k = 2`` the mean field is the canonical
    ``x (1 - x) G(x)`` with time ``eta * steps``. With ``diversity=True`` every step also moves
    the shares toward the even split by ``eta mu (1/K - w_i)`` (mitigation).

    Parameters
    ----------
    k : int, default 2
        Number of routines, ``2 <= k <= 16``. ``k = 2``: state ``x`` (M's share) and the canonical
        parameters; ``k >= 3``: states ``w_1..w_k`` and per-routine ``b_i, gamma_i, c_i`` as in
        :func:`incentive_geometry.theory.entrenchment_n` (routine 1 aligned by default).
    diversity : bool
        Add the diversity term with rate ``mu``.
    alpha, theta : float
        Canonical gain and observability.
    b, gamma, c : float or sequence of k floats, optional
        Proxy reward, feedback and true cost (defaults 0.2, 1, 1 for M; see ``entrenchment_n``
        for ``k >= 3``, where numbers given enter the outcomes and no parameter is made).
    eta : float, default 0.01
        Step size; shares stay in ``[0, 1]`` when ``eta * r <= 1`` for every reward ``r``.
    mu : float, default 0.05
        Diversity rate (``diversity=True`` only).

    Returns
    -------
    Learner
        ``2k`` outcomes (a routine drawn, observed or not).

    Raises
    ------
    ModelError
        For a bad ``k`` or vectors of the wrong length.

    References
    ----------
    .. [1] J. G. Cross, A stochastic learning model of economic behavior, Quarterly Journal of
       Economics 87 (1973) 239-266.
    .. [2] T. Borgers and R. Sarin, Learning through reinforcement and replicator dynamics,
       Journal of Economic Theory 77 (1997) 1-14.

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> L = learners.cross_learning(k=2)
    >>> L.parameter_names
    ('alpha', 'theta', 'b', 'gamma', 'c', 'eta')
    >>> print(L.outcomes[0].probability, "|", L.outcomes[0].increment[0])
    x*(1 - theta) | alpha*eta*(1 - x)*(b + gamma*x)
    >>> learners.cross_learning(k=3).state_names
    ('w_1', 'w_2', 'w_3')
    """
    k = check_int(k, name="k", low=2, high=16)
    states, shares, params, table = _routine_table(k, b, gamma, c, alpha, theta, eta)
    eta_s = params[-1].symbol
    recorded = _recorded(k, shares)
    mix: list[Any] = [sympy.Integer(0)] * len(recorded)
    if diversity:
        pm = Parameter("mu", mu, [0, 1], "diversity / mutation rate toward the even split")
        params.append(pm)
        mix = [eta_s * pm.symbol * (sympy.Rational(1, k) - w) for w in recorded]
    idx = [1] if k == 2 else list(range(k))
    outcomes = []
    for a, prob, reward, label in table:
        # w_a gains eta r (1 - w_a) = eta r sum_{i != a} w_i, written as the sum so that the
        # increments sum to zero identically (not only on the simplex) and a reward common to
        # all routines drops out of the mean field as it does of the process.
        inc = [
            eta_s * reward * (_others(shares, a) if j == a else -shares[j]) + m
            for j, m in zip(idx, mix, strict=True)
        ]
        outcomes.append(Outcome(prob, tuple(inc), label))
    return Learner(
        name=f"cross_learning{'' if k == 2 else k}{'_diversity' if diversity else ''}",
        states=tuple(states),
        parameters=tuple(params),
        outcomes=tuple(outcomes),
        state_domains=(_UNIT,) * len(states),
        state_meanings=_meanings(k),
        simplex=k > 2,
        description=(
            "Cross learning: one routine drawn by its share; its reward (true with probability "
            "theta, proxy otherwise) moves the shares toward it by eta * reward."
        ),
        references=(_BS97, PAPER),
    )


def policy_gradient(
    k: int = 2,
    *,
    alpha: float = 1.0,
    theta: float = 0.3,
    b: float | Sequence[float] | None = None,
    gamma: float | Sequence[float] | None = None,
    c: float | Sequence[float] | None = None,
    eta: float = 0.05,
) -> Learner:
    r"""Softmax policy gradient (REINFORCE with a baseline) on routine logits.

    Routine ``a`` is drawn from ``pi = softmax(l)`` (so ``pi`` are the shares), gets reward ``r``
    (module table) and the logits move along the score function (Williams 1992)::

        l_j <- l_j + eta (r - V) (1[j = a] - pi_j),    V = sum_i pi_i E[r_i]

    with the value of the current policy as baseline (it changes the variance, not the mean).
    The recorded states are the shares, ``w_j' = w_j e^{dl_j} / sum_i w_i e^{dl_i}``. For
    ``k = 2`` the logit difference moves by ``2 eta (r - V) (1 - x)`` when M is drawn and by
    ``-2 eta (r - V) x`` otherwise, so the mean field is ``2 x^2 (1 - x)^2 G(x)``: the canonical
    right-hand side times the positive factor ``2 x (1 - x)``, which vanishes at the vertices
    (the slow escape from near-deterministic softmax policies, Mei et al. 2020).

    Parameters
    ----------
    k : int, default 2
        Number of routines (as in :func:`cross_learning`).
    alpha, theta, b, gamma, c : float or sequences
        As in :func:`cross_learning`.
    eta : float, default 0.05
        Step size on the logits.

    Returns
    -------
    Learner

    References
    ----------
    .. [1] R. J. Williams, Simple statistical gradient-following algorithms for connectionist
       reinforcement learning, Machine Learning 8 (1992) 229-256.
    .. [2] J. Mei, C. Xiao, C. Szepesvari and D. Schuurmans, On the global convergence rates of
       softmax policy gradient methods, ICML 2020.

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> L = learners.policy_gradient()
    >>> L.state_names, len(L.outcomes)
    (('x',), 4)
    """
    k = check_int(k, name="k", low=2, high=16)
    states, shares, params, table = _routine_table(k, b, gamma, c, alpha, theta, eta)
    eta_s = params[-1].symbol
    # The value baseline: expected reward of the current policy (normalized by the sum of the
    # shares, one on the simplex, so that a reward common to all routines cancels exactly).
    V = sum((prob * reward for _, prob, reward, _ in table), sympy.Integer(0))
    if k > 2:
        V = V / sum(shares, sympy.Integer(0))
    idx = [1] if k == 2 else list(range(k))
    outcomes = []
    for a, prob, reward, label in table:
        dl = [eta_s * (reward - V) * ((1 if j == a else 0) - shares[j]) for j in range(len(shares))]
        weights = [shares[j] * sympy.exp(dl[j]) for j in range(len(shares))]
        total = sum(weights, sympy.Integer(0))
        outcomes.append(Outcome(prob, tuple(weights[j] / total - shares[j] for j in idx), label))
    learner = Learner(
        name="policy_gradient" if k == 2 else f"policy_gradient{k}",
        states=tuple(states),
        parameters=tuple(params),
        outcomes=tuple(outcomes),
        state_domains=(_UNIT,) * len(states),
        state_meanings=_meanings(k),
        simplex=k > 2,
        description=(
            "Softmax policy gradient (REINFORCE with the policy's value as baseline) on routine "
            "logits; states are the softmax shares."
        ),
        references=(_W92, PAPER),
    )
    return learner


def moran(
    N: int = 50,
    *,
    w: float = 0.5,
    alpha: float = 1.0,
    theta: float = 0.3,
    b: float = 0.2,
    gamma: float = 1.0,
    c: float = 1.0,
) -> Learner:
    r"""A finite population (Moran process) of A and M individuals playing the canonical model.

    With ``i = N x`` individuals of type M, an individual reproduces with probability
    proportional to its fitness and its offspring replaces a uniformly chosen one. Payoffs
    against the ``N - 1`` others: M earns ``alpha (1 - theta) (b + gamma y)`` where
    ``y = (i - 1) / (N - 1)`` is the share of M among the others, A earns ``theta c``; fitness
    is ``1 - w + w * payoff`` (Nowak et al. 2004). So::

        P(i -> i + 1) = x f_M / (x f_M + (1 - x) f_A) (1 - x),
        P(i -> i - 1) = (1 - x) f_A / (x f_M + (1 - x) f_A) x,

    each moving ``x`` by ``eta = 1/N``. The mean field (``N -> infinity``, one unit of time is
    ``N`` steps, one generation) is the adjusted replicator equation
    ``x (1 - x) w G(x) / (x f_M + (1 - x) f_A)`` (Traulsen, Claussen and Hauert 2005): the
    canonical right-hand side times a positive factor.

    Parameters
    ----------
    N : int, default 50
        Population size, ``N >= 2``; the step parameter ``eta`` defaults to ``1/N`` (keep it so:
        the state moves on the grid ``i/N``).
    w : float, default 0.5
        Intensity of selection, ``0 <= w <= 1``; fitnesses must stay positive.
    alpha, theta, b, gamma, c : float
        Canonical parameters.

    Returns
    -------
    Learner
        Three outcomes: M reproduces and replaces A, A replaces M, no change. Use
        :func:`moran_fixation` for the exact fixation probabilities.

    References
    ----------
    .. [1] P. A. P. Moran, Random processes in genetics, Mathematical Proceedings of the
       Cambridge Philosophical Society 54 (1958) 60-71.
    .. [2] M. A. Nowak, A. Sasaki, C. Taylor and D. Fudenberg, Emergence of cooperation and
       evolutionary stability in finite populations, Nature 428 (2004) 646-650.
    .. [3] A. Traulsen, J. C. Claussen and C. Hauert, Coevolutionary dynamics: from finite to
       infinite populations, Physical Review Letters 95 (2005) 238701.

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> L = learners.moran(N=20)
    >>> L.defaults["eta"], [o.label for o in L.outcomes]
    (0.05, ['M replaces A', 'A replaces M', 'no change'])
    """
    N = check_int(N, name="N", low=2, high=10**9)
    params = _canonical(alpha, theta, b, gamma, c, 1.0 / N, eta_domain=[0, 0.5])
    params.insert(5, Parameter("w", w, [0, 1], "intensity of selection"))
    sym = {p.name: p.symbol for p in params}
    x, eta = sympy.Symbol("x", real=True), sym["eta"]
    wsel = sym["w"]
    others = (x - eta) / (1 - eta)  # share of M among the N - 1 others of an M individual
    f_m = 1 - wsel + wsel * sym["alpha"] * (1 - sym["theta"]) * (sym["b"] + sym["gamma"] * others)
    f_a = 1 - wsel + wsel * sym["theta"] * sym["c"]
    mean = x * f_m + (1 - x) * f_a
    up = x * f_m / mean * (1 - x)
    down = (1 - x) * f_a / mean * x
    return Learner(
        name="moran",
        states=(x,),
        parameters=tuple(params),
        outcomes=(
            Outcome(up, (eta,), "M replaces A"),
            Outcome(down, (-eta,), "A replaces M"),
            Outcome(1 - up - down, (sympy.Integer(0),), "no change"),
        ),
        state_domains=(_UNIT,),
        state_meanings=("share of type M in the population",),
        description=(
            f"Moran process of N = {N} individuals (eta = 1/N): birth proportional to fitness "
            "1 - w + w * payoff, death uniform; payoffs of the canonical model."
        ),
        references=(_MORAN58, _NSTF04, _TCH05, PAPER),
    )


def moran_fixation(
    N: int,
    *,
    start: int = 1,
    w: float = 0.5,
    alpha: float = 1.0,
    theta: float = 0.3,
    b: float = 0.2,
    gamma: float = 1.0,
    c: float = 1.0,
) -> float:
    r"""Exact probability that M takes over the population of :func:`moran` from ``start`` M.

    The Moran process is a birth-death chain on ``i = 0..N`` with ratio
    ``P(i -> i-1) / P(i -> i+1) = f_A(i) / f_M(i)``, so (Karlin and Taylor 1975; Nowak 2006)::

        phi_start = sum_{k=0}^{start-1} prod_{j=1}^{k} f_A(j)/f_M(j)
                    / sum_{k=0}^{N-1} prod_{j=1}^{k} f_A(j)/f_M(j).

    Parameters
    ----------
    N : int
        Population size, ``N >= 2``.
    start : int, default 1
        Initial number of M individuals, ``0 <= start <= N``.
    w, alpha, theta, b, gamma, c : float
        As in :func:`moran`.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For a bad size or start, or a non-positive fitness.

    References
    ----------
    .. [1] S. Karlin and H. M. Taylor, A First Course in Stochastic Processes, 2nd ed.,
       Academic Press, 1975.
    .. [2] M. A. Nowak, Evolutionary Dynamics, Harvard University Press, 2006, chapter 6.

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> round(learners.moran_fixation(10, w=0.0), 12)  # neutral drift: start / N
    0.1
    """
    N = check_int(N, name="N", low=2)
    start = check_int(start, name="start", low=0, high=N)
    i = np.arange(1, N, dtype=float)
    f_m = 1 - w + w * alpha * (1 - theta) * (b + gamma * (i - 1) / (N - 1))
    f_a = np.full_like(i, 1 - w + w * theta * c)
    if np.any(f_m <= 0) or np.any(f_a <= 0):
        raise ModelError(f"selection intensity `w` = {w!r} makes a fitness non-positive; lower it")
    # Partial products in logs: q_k = prod_{j <= k} f_A(j)/f_M(j), q_0 = 1.
    logq = np.concatenate([[0.0], np.cumsum(np.log(f_a) - np.log(f_m))])
    top = logq.max()
    q = np.exp(logq - top)
    return float(q[:start].sum() / q.sum())
