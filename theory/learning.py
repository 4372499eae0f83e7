"""Learning dynamics as entrenchment: multiplicative weights and deep linear networks.

Examples
--------
>>> from incentive_geometry.theory import mw_flip_threshold
>>> mw_flip_threshold(0.5)
8.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model, Parameter

from ._build import state

__all__ = [
    "deep_linear_network",
    "multiplicative_weights",
    "mw_flip_threshold",
    "saxe_learning_time",
    "saxe_mode_trajectory",
]

_CFMP20 = (
    "T. Chotibut, F. Falniowski, M. Misiurewicz and G. Piliouras, The route to chaos in routing "
    "games: When is price of anarchy too optimistic?, Advances in Neural Information Processing "
    "Systems 33 (NeurIPS 2020)"
)
_SMG14 = (
    "A. M. Saxe, J. L. McClelland and S. Ganguli, Exact solutions to the nonlinear dynamics of "
    "learning in deep linear neural networks, International Conference on Learning "
    "Representations (ICLR), 2014, arXiv:1312.6120"
)


def mw_flip_threshold(b: float) -> float:
    """The step ``a`` at which the two-route multiplicative-weights map period-doubles.

    The fixed point ``x = b`` of ``x' = x / (x + (1 - x) e^{a (x - b)})`` has multiplier
    ``1 - a b (1 - b)``: stable iff ``a < 2 / (b (1 - b))``, flip (period doubling) at equality.

    Parameters
    ----------
    b : float
        ``0 < b < 1``: equilibrium flow on route 1.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For ``b`` outside ``(0, 1)``.

    References
    ----------
    .. [1] T. Chotibut, F. Falniowski, M. Misiurewicz and G. Piliouras, The route to chaos in
       routing games: When is price of anarchy too optimistic?, Advances in Neural Information
       Processing Systems 33 (NeurIPS 2020).

    Examples
    --------
    >>> from incentive_geometry.theory import mw_flip_threshold
    >>> mw_flip_threshold(0.2)
    12.499999999999998
    """
    if not 0 < b < 1:
        raise ModelError(f"`b` must be in (0, 1), got {b!r}")
    return 2.0 / (b * (1.0 - b))


def multiplicative_weights(*, a: float = 5.0, b: float = 0.5) -> Model:
    r"""Multiplicative weights on two routes as a map: stable, then period doubling, then chaos.

    A population splits between two routes with linear costs; route 1 carries share ``x``.
    Exponential weights on the cost difference give, after rescaling (``a``: learning rate times
    total demand times cost slopes; ``b``: the equilibrium share of route 1)::

        x' = x / (x + (1 - x) e^{a (x - b)}).

    Parameters
    ----------
    a : float, default 5.0
        ``a > 0``: effective step size (learning rate times demand).
    b : float, default 0.5
        ``0 < b < 1``: equilibrium (Nash) flow on route 1.

    Returns
    -------
    Model
        Discrete time, state ``x`` in ``[0, 1]``; observable ``regret_gap = x - b``.

    Notes
    -----
    Fixed points ``0``, ``1`` (repelling for ``0 < b < 1``) and ``b`` with multiplier
    ``1 - a b (1 - b)``: ``b`` is stable iff ``a < 2 / (b (1 - b))`` (:func:`mw_flip_threshold`);
    past it a period-2 orbit appears (period doubling). For ``b = 1/2`` the period-2 orbit stays
    the attractor; for ``b != 1/2`` further doublings lead to Li-Yorke chaos, while time averages
    still converge to ``b``. The same map with the entrenchment payoff is
    ``entrenchment(discrete=True)``.

    References
    ----------
    .. [1] T. Chotibut, F. Falniowski, M. Misiurewicz and G. Piliouras, The route to chaos in
       routing games: When is price of anarchy too optimistic?, Advances in Neural Information
       Processing Systems 33 (NeurIPS 2020).
    .. [2] S. Arora, E. Hazan and S. Kale, The Multiplicative Weights Update Method: a
       Meta-Algorithm and Applications, Theory of Computing 8 (2012) 121-164.

    Examples
    --------
    >>> from incentive_geometry.theory import multiplicative_weights
    >>> multiplicative_weights().rhs
    (x/(x + (1 - x)*exp(a*(-b + x))),)
    """
    pa = Parameter("a", a, "positive", "effective step size (learning rate times demand)")
    pb = Parameter("b", b, [0, 1], "equilibrium flow on route 1")
    x = state("x")
    return Model.from_equations(
        {"x": x / (x + (1 - x) * sympy.exp(pa.symbol * (x - pb.symbol)))},
        parameters=[pa, pb],
        time="discrete",
        name="multiplicative_weights",
        states={"x": {"domain": [0, 1], "meaning": "share of the population on route 1"}},
        observables={"regret_gap": x - pb.symbol},
        description=(
            "Multiplicative weights in a two-route congestion game; the equilibrium flow loses "
            "stability by period doubling at a = 2/(b(1-b))."
        ),
        references=[_CFMP20, "S. Arora, E. Hazan and S. Kale, The Multiplicative Weights Update "
                    "Method: a Meta-Algorithm and Applications, Theory of Computing 8 (2012) "
                    "121-164"],
    )


def saxe_mode_trajectory(t: Any, *, s: float, u0: float, tau: float = 1.0) -> Any:
    r"""Closed-form strength of one mode in a two-layer linear network (Saxe et al.).

    With balanced weights the mode strength ``u = a b`` obeys ``tau du/dt = 2 u (s - u)``, so::

        u(t) = s e^{2 s t / tau} / (e^{2 s t / tau} - 1 + s / u0).

    Parameters
    ----------
    t : float or array_like
        Time(s), ``>= 0``.
    s : float
        ``s > 0``: singular value of the input-output correlation for this mode.
    u0 : float
        ``0 < u0``: initial mode strength.
    tau : float, default 1.0
        ``tau > 0``: time constant (inverse learning rate).

    Returns
    -------
    float or numpy.ndarray

    Raises
    ------
    ModelError
        For values outside their domains.

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, Exact solutions to the nonlinear
       dynamics of learning in deep linear neural networks, ICLR 2014, arXiv:1312.6120.

    Examples
    --------
    >>> from incentive_geometry.theory import saxe_mode_trajectory
    >>> round(saxe_mode_trajectory(0.0, s=2.0, u0=0.01), 12)
    0.01
    """
    if not (s > 0 and u0 > 0 and tau > 0):
        raise ModelError(f"`s`, `u0` and `tau` must be positive, got {s!r}, {u0!r}, {tau!r}")
    e = np.exp(2 * s * np.asarray(t, dtype=float) / tau)
    out = s * e / (e - 1 + s / u0)
    return float(out) if out.ndim == 0 else out


def saxe_learning_time(*, s: float, u0: float, uf: float, tau: float = 1.0) -> float:
    r"""Time for a mode to grow from ``u0`` to ``uf``: ``(tau / 2s) ln(uf (s - u0) / (u0 (s - uf)))``.

    Parameters
    ----------
    s : float
        ``s > 0``: mode strength of the data.
    u0, uf : float
        ``0 < u0 < uf < s``: initial and final mode strength.
    tau : float, default 1.0
        Time constant.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        Unless ``0 < u0 < uf < s``.

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, Exact solutions to the nonlinear
       dynamics of learning in deep linear neural networks, ICLR 2014, arXiv:1312.6120.

    Examples
    --------
    >>> from incentive_geometry.theory import saxe_learning_time
    >>> round(saxe_learning_time(s=1.0, u0=0.001, uf=0.5), 4)  # ~ (tau/2s) ln(s/u0)
    3.4534
    """
    if not (0 < u0 < uf < s and tau > 0):
        raise ModelError(f"need 0 < u0 < uf < s and tau > 0, got u0={u0}, uf={uf}, s={s}, tau={tau}")
    return float(tau / (2 * s) * np.log(uf * (s - u0) / (u0 * (s - uf))))


def deep_linear_network(*, s: float = 1.0, tau: float = 1.0) -> Model:
    r"""One mode of a two-layer linear network under gradient flow: rich-get-richer learning.

    Input-to-hidden strength ``a`` and hidden-to-output strength ``b`` of the mode with singular
    value ``s`` of the input-output correlation (whitened inputs) descend the squared error
    ``(s - a b)^2 / 2``::

        tau da/dt = b (s - a b),     tau db/dt = a (s - a b).

    Parameters
    ----------
    s : float, default 1.0
        ``s > 0``: strength of the mode in the data.
    tau : float, default 1.0
        ``tau > 0``: time constant (inverse learning rate).

    Returns
    -------
    Model
        States ``a, b``; observables ``u = a b`` (mode strength) and ``imbalance = a^2 - b^2``
        (conserved).

    Notes
    -----
    ``a^2 - b^2`` is conserved; for balanced starts ``u`` obeys the logistic (replicator) law
    ``tau du/dt = 2 u (s - u)``: the mode's growth rate is proportional to its own strength, the
    same rich-get-richer feedback as recursive entrenchment. Closed forms:
    :func:`saxe_mode_trajectory` and :func:`saxe_learning_time` (reaching ``s/2`` from a small
    ``u0`` takes about ``(tau / 2s) ln(s / u0)``: a long plateau, then a sigmoidal jump). The
    origin is a saddle (Jacobian eigenvalues ``+-s/tau``); the hyperbola ``a b = s`` is the set
    of minima.

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, Exact solutions to the nonlinear
       dynamics of learning in deep linear neural networks, ICLR 2014, arXiv:1312.6120.

    Examples
    --------
    >>> from incentive_geometry.theory import deep_linear_network
    >>> deep_linear_network().rhs
    (b*(-a*b + s)/tau, a*(-a*b + s)/tau)
    """
    ps = Parameter("s", s, "positive", "singular value of the input-output correlation (mode)")
    pt = Parameter("tau", tau, "positive", "time constant (inverse learning rate)")
    a, b = state("a"), state("b")
    S, T = ps.symbol, pt.symbol
    return Model.from_equations(
        {"a": b * (S - a * b) / T, "b": a * (S - a * b) / T},
        parameters=[ps, pt],
        name="deep_linear_network",
        states={"a": {"meaning": "input-to-hidden strength of the mode"},
                "b": {"meaning": "hidden-to-output strength of the mode"}},
        observables={"u": a * b, "imbalance": a**2 - b**2},
        description=(
            "Gradient flow on one mode of a two-layer linear network; the mode strength grows "
            "logistically (rich get richer) with a closed-form sigmoidal trajectory."
        ),
        references=[_SMG14],
    )
