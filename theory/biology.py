"""Classical analogues from evolutionary biology: replicators, the Price equation, group selection.

Examples
--------
>>> from incentive_geometry.theory import rock_paper_scissors
>>> rock_paper_scissors().simplex
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model, Parameter

from ._build import check_int, params_dict, state

__all__ = [
    "PriceTerms",
    "moran_fixation_probability",
    "multilevel_selection",
    "price_decomposition",
    "price_selection",
    "replicator",
    "rock_paper_scissors",
    "traulsen_nowak_fixation",
    "traulsen_nowak_selection_gradient",
    "traulsen_nowak_threshold",
]

_HS98 = (
    "J. Hofbauer and K. Sigmund, Evolutionary Games and Population Dynamics, Cambridge "
    "University Press, 1998"
)
_TJ78 = (
    "P. D. Taylor and L. B. Jonker, Evolutionarily stable strategies and game dynamics, "
    "Mathematical Biosciences 40 (1978) 145-156"
)
_MSP73 = "J. Maynard Smith and G. R. Price, The logic of animal conflict, Nature 246 (1973) 15-18"
_PRICE70 = "G. R. Price, Selection and covariance, Nature 227 (1970) 520-521"
_TN06 = (
    "A. Traulsen and M. A. Nowak, Evolution of cooperation by multilevel selection, Proceedings "
    "of the National Academy of Sciences USA 103(29) (2006) 10952-10955"
)
_NSTF04 = (
    "M. A. Nowak, A. Sasaki, C. Taylor and D. Fudenberg, Emergence of cooperation and "
    "evolutionary stability in finite populations, Nature 428 (2004) 646-650"
)


# --------------------------------------------------------------------------------------------
# Replicator dynamics


def replicator(A: Any = None, *, n: int = 2) -> Model:
    r"""Replicator dynamics of a symmetric matrix game: dx_i/dt = x_i ((A x)_i - x . A x).

    Parameters
    ----------
    A : n x n array_like, optional
        Payoff matrix (row strategy against column strategy), numbers entering the equations.
        Left out, the entries are symbolic parameters ``a_ij`` with defaults: for ``n = 2`` the
        Hawk-Dove game with ``V = 2``, ``C = 3`` (``[[(V - C)/2, V], [0, V/2]]``), otherwise the
        identity (pure coordination).
    n : int, default 2
        Number of strategies when `A` is left out (``2 <= n <= 8``).

    Returns
    -------
    Model
        On the simplex; states ``x_1..x_n``; observable ``mean_payoff``.

    Raises
    ------
    ModelError
        For a matrix that is not square or has non-finite entries.

    Notes
    -----
    Rest points are the points where every strategy in the support earns the mean payoff; an
    interior rest point solves ``A x = (x . A x) 1``; strict Nash equilibria are asymptotically
    stable; an interior ESS is globally stable (Hofbauer-Sigmund). In Hawk-Dove
    (``V < C``) the mixed equilibrium with hawk share ``V / C`` is the global attractor.

    References
    ----------
    .. [1] P. D. Taylor and L. B. Jonker, Evolutionarily stable strategies and game dynamics,
       Mathematical Biosciences 40 (1978) 145-156.
    .. [2] J. Hofbauer and K. Sigmund, Evolutionary Games and Population Dynamics, Cambridge
       University Press, 1998.
    .. [3] J. Maynard Smith and G. R. Price, The logic of animal conflict, Nature 246 (1973)
       15-18.

    Examples
    --------
    >>> from incentive_geometry.theory import replicator
    >>> replicator([[0, 1], [1, 0]]).rhs
    (x_1*(-2*x_1*x_2 + x_2), x_2*(-2*x_1*x_2 + x_1))
    """
    params: list[Parameter] = []
    if A is None:
        n = check_int(n, name="n", low=2, high=8)
        defaults = (np.array([[-0.5, 2.0], [0.0, 1.0]]) if n == 2 else np.eye(n))
        M = sympy.zeros(n, n)
        for i in range(n):
            for j in range(n):
                p = Parameter(f"a_{i + 1}{j + 1}", float(defaults[i, j]), "real",
                              f"payoff of strategy {i + 1} against strategy {j + 1}")
                params.append(p)
                M[i, j] = p.symbol
    else:
        arr = np.asarray(A, dtype=float)
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] < 2:
            raise ModelError(f"`A` must be a square matrix of size >= 2, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ModelError("`A` has non-finite entries; give finite payoffs")
        n = arr.shape[0]
        M = sympy.Matrix(n, n, lambda i, j: sympy.nsimplify(arr[i, j], rational=True))
    x = sympy.Matrix([state(f"x_{i + 1}") for i in range(n)])
    fit = M * x
    mean = (x.T * fit)[0, 0]
    return Model.from_equations(
        {f"x_{i + 1}": x[i] * (fit[i] - mean) for i in range(n)},
        parameters=params,
        name="replicator",
        simplex=True,
        states={f"x_{i + 1}": {"meaning": f"share of strategy {i + 1}"} for i in range(n)},
        observables={"mean_payoff": mean},
        description="Replicator dynamics of a symmetric matrix game (Taylor-Jonker).",
        references=[_TJ78, _HS98, _MSP73],
    )


def rock_paper_scissors(*, win: float = 1.0, loss: float = 0.5) -> Model:
    r"""Rock-paper-scissors replicator: the centre is stable iff a win pays more than a loss costs.

    Payoff matrix (rows rock, paper, scissors)::

        A = [[0, -loss, win], [win, 0, -loss], [-loss, win, 0]]

    and ``dx_i/dt = x_i ((A x)_i - x . A x)``.

    Parameters
    ----------
    win : float, default 1.0
        ``win > 0``: payoff of a winning strategy.
    loss : float, default 0.5
        ``loss > 0``: what a losing strategy loses.

    Returns
    -------
    Model
        On the simplex, states ``x_1, x_2, x_3``; observables ``product = x_1 x_2 x_3`` and
        ``mean_payoff``.

    Notes
    -----
    The centre ``(1/3, 1/3, 1/3)`` is the unique interior rest point. Along orbits
    ``d/dt log(x_1 x_2 x_3) = (win - loss) (1 - 3 (x_1 x_2 + x_2 x_3 + x_3 x_1))``, so the centre
    is globally asymptotically stable iff ``win > loss`` (``det A = win^3 - loss^3 > 0``),
    surrounded by closed orbits at ``win = loss``, and repelling towards the heteroclinic cycle
    of the vertices iff ``win < loss``. The Jacobian at the centre, on the simplex, has
    eigenvalues ``((loss - win) +- i sqrt(3) (win + loss)) / 6``.

    References
    ----------
    .. [1] E. C. Zeeman, Population dynamics from game theory, in Global Theory of Dynamical
       Systems, Lecture Notes in Mathematics 819, Springer, 1980, 471-497.
    .. [2] J. Hofbauer and K. Sigmund, Evolutionary Games and Population Dynamics, Cambridge
       University Press, 1998.

    Examples
    --------
    >>> from incentive_geometry.theory import rock_paper_scissors
    >>> rock_paper_scissors().parameter_names
    ('win', 'loss')
    """
    pw = Parameter("win", win, "positive", "payoff of a winning strategy")
    pl = Parameter("loss", loss, "positive", "what a losing strategy loses")
    W, L = pw.symbol, pl.symbol
    M = sympy.Matrix([[0, -L, W], [W, 0, -L], [-L, W, 0]])
    x = sympy.Matrix([state(f"x_{i + 1}") for i in range(3)])
    fit = M * x
    mean = sympy.expand((x.T * fit)[0, 0])
    return Model.from_equations(
        {f"x_{i + 1}": x[i] * (fit[i] - mean) for i in range(3)},
        parameters=[pw, pl],
        name="rock_paper_scissors",
        simplex=True,
        states={"x_1": {"meaning": "share of rock"}, "x_2": {"meaning": "share of paper"},
                "x_3": {"meaning": "share of scissors"}},
        observables={"product": x[0] * x[1] * x[2], "mean_payoff": mean},
        description="Cyclic dominance; the mixed equilibrium is stable iff win > loss.",
        references=[
            "E. C. Zeeman, Population dynamics from game theory, in Global Theory of Dynamical "
            "Systems, Lecture Notes in Mathematics 819, Springer, 1980, 471-497",
            _HS98,
        ],
    )


# --------------------------------------------------------------------------------------------
# The Price equation


@dataclass(frozen=True)
class PriceTerms:
    """The terms of the Price equation ``Delta z_bar = Cov(w, z)/w_bar + E(w Delta z)/w_bar``.

    Parameters
    ----------
    selection : float
        ``Cov(w, z) / w_bar``: change due to differential fitness.
    transmission : float
        ``E(w Delta z) / w_bar``: change between parent and offspring trait.
    change : float
        The observed change in the mean trait, computed directly.

    Examples
    --------
    >>> from incentive_geometry.theory import PriceTerms
    >>> PriceTerms(0.1, -0.02, 0.08).selection
    0.1
    """

    selection: float
    transmission: float
    change: float


def price_decomposition(fitness: Any, trait: Any, offspring_trait: Any) -> PriceTerms:
    r"""Price's decomposition of the change in a mean trait over one generation.

    With parents ``i`` of trait ``z_i`` and fitness (offspring number) ``w_i``, and ``z'_i`` the
    mean trait of parent ``i``'s offspring::

        Delta z_bar = Cov(w, z) / w_bar + E(w Delta z) / w_bar,

    ``Cov`` and ``E`` taken over parents (population moments), ``Delta z_i = z'_i - z_i``, and
    the offspring mean ``z_bar' = sum w_i z'_i / sum w_i``.

    Parameters
    ----------
    fitness : array_like, shape (N,)
        ``w_i >= 0``, not all zero.
    trait : array_like, shape (N,)
        Parent traits ``z_i``.
    offspring_trait : array_like, shape (N,)
        Mean offspring traits ``z'_i`` (any value where ``w_i = 0``).

    Returns
    -------
    PriceTerms
        ``selection + transmission == change`` up to rounding.

    Raises
    ------
    ModelError
        For arrays of different lengths, negative fitness or zero total fitness.

    References
    ----------
    .. [1] G. R. Price, Selection and covariance, Nature 227 (1970) 520-521.

    Examples
    --------
    >>> from incentive_geometry.theory import price_decomposition
    >>> t = price_decomposition([2, 0], [1, 0], [1, 0])
    >>> t.selection, t.transmission, t.change
    (0.5, 0.0, 0.5)
    """
    w = np.asarray(fitness, dtype=float).ravel()
    z = np.asarray(trait, dtype=float).ravel()
    zp = np.asarray(offspring_trait, dtype=float).ravel()
    if not (w.size == z.size == zp.size) or w.size == 0:
        raise ModelError(
            f"`fitness`, `trait`, `offspring_trait` must have the same positive length, got "
            f"{w.size}, {z.size}, {zp.size}"
        )
    if np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise ModelError("`fitness` must be finite, nonnegative and not all zero")
    wbar = w.mean()
    dz = np.where(w > 0, zp - z, 0.0)
    selection = float((np.mean(w * z) - wbar * z.mean()) / wbar)
    transmission = float(np.mean(w * dz) / wbar)
    change = float(np.sum(w * np.where(w > 0, zp, 0.0)) / w.sum() - z.mean())
    return PriceTerms(selection, transmission, change)


def price_selection(*, w_1: float = 1.2, w_2: float = 1.0, m: float = 0.05) -> Model:
    r"""Selection with imperfect transmission: two types, and the Price equation for their trait.

    Type 1 (trait ``z = 1``, fitness ``w_1``) and type 2 (``z = 0``, fitness ``w_2``); each
    offspring switches type with probability ``m``. With ``x`` the share of type 1::

        x' = (x w_1 (1 - m) + (1 - x) w_2 m) / (x w_1 + (1 - x) w_2).

    Parameters
    ----------
    w_1 : float, default 1.2
        ``w_1 > 0``: fitness of type 1.
    w_2 : float, default 1.0
        ``w_2 > 0``: fitness of type 2.
    m : float, default 0.05
        ``0 <= m <= 1``: probability an offspring switches type (imperfect transmission).

    Returns
    -------
    Model
        Discrete time, state ``x``; observables ``selection`` and ``transmission``: the two
        Price terms, whose sum is ``x' - x``.

    Notes
    -----
    Price: ``Delta x = Cov(w, z)/w_bar + E(w Delta z)/w_bar`` with
    ``Cov(w, z) = x (1 - x) (w_1 - w_2)`` and ``E(w Delta z) = -m x w_1 + m (1 - x) w_2``
    (:func:`price_decomposition` computes both for any population). For ``m = 0`` the rest
    points are ``x = 0, 1`` (``x = 1`` stable iff ``w_1 > w_2``).

    References
    ----------
    .. [1] G. R. Price, Selection and covariance, Nature 227 (1970) 520-521.
    .. [2] S. A. Frank, Natural selection. IV. The Price equation, Journal of Evolutionary
       Biology 25 (2012) 1002-1019.

    Examples
    --------
    >>> from incentive_geometry.theory import price_selection
    >>> price_selection().time
    'discrete'
    """
    p1 = Parameter("w_1", w_1, "positive", "fitness of type 1 (trait 1)")
    p2 = Parameter("w_2", w_2, "positive", "fitness of type 2 (trait 0)")
    pm = Parameter("m", m, [0, 1], "probability an offspring switches type")
    W1, W2, M = p1.symbol, p2.symbol, pm.symbol
    x = state("x")
    wbar = x * W1 + (1 - x) * W2
    return Model.from_equations(
        {"x": (x * W1 * (1 - M) + (1 - x) * W2 * M) / wbar},
        parameters=[p1, p2, pm],
        time="discrete",
        name="price_selection",
        states={"x": {"domain": [0, 1], "meaning": "share of type 1 (mean trait)"}},
        observables={
            "selection": x * (1 - x) * (W1 - W2) / wbar,
            "transmission": (-M * x * W1 + M * (1 - x) * W2) / wbar,
        },
        description="Two types with fitness w_1, w_2 and type switching m; Price decomposition.",
        references=[_PRICE70, "S. A. Frank, Natural selection. IV. The Price equation, Journal "
                    "of Evolutionary Biology 25 (2012) 1002-1019"],
    )


# --------------------------------------------------------------------------------------------
# Multilevel selection (Traulsen-Nowak)


def moran_fixation_probability(payoffs: Any, N: int, w: float) -> float:
    r"""Fixation probability of one A mutant among ``N - 1`` B in the frequency-dependent Moran process.

    Payoffs ``[[a, b], [c, d]]`` (A vs A, A vs B; B vs A, B vs B) averaged over the ``N - 1``
    others; fitness ``1 - w + w * payoff``. With ``i`` A-individuals,
    ``f_i = (a (i-1) + b (N-i)) / (N-1)``, ``g_i = (c i + d (N-i-1)) / (N-1)`` and::

        rho = 1 / (1 + sum_{k=1}^{N-1} prod_{i=1}^{k} g_i / f_i)   (fitnesses, not payoffs)

    Parameters
    ----------
    payoffs : 2 x 2 array_like
        The game.
    N : int
        Population size, ``N >= 2``.
    w : float
        Intensity of selection, ``0 <= w < 1`` with all fitnesses positive.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For a bad matrix, size, or a non-positive fitness.

    References
    ----------
    .. [1] M. A. Nowak, A. Sasaki, C. Taylor and D. Fudenberg, Emergence of cooperation and
       evolutionary stability in finite populations, Nature 428 (2004) 646-650.

    Examples
    --------
    >>> from incentive_geometry.theory import moran_fixation_probability
    >>> moran_fixation_probability([[1, 1], [1, 1]], 10, 0.5)  # neutral: 1/N
    0.1
    """
    P = np.asarray(payoffs, dtype=float)
    if P.shape != (2, 2) or not np.all(np.isfinite(P)):
        raise ModelError(f"`payoffs` must be a finite 2x2 matrix, got shape {P.shape}")
    N = check_int(N, name="N", low=2)
    i = np.arange(1, N, dtype=float)
    f = 1 - w + w * (P[0, 0] * (i - 1) + P[0, 1] * (N - i)) / (N - 1)
    g = 1 - w + w * (P[1, 0] * i + P[1, 1] * (N - i - 1)) / (N - 1)
    if np.any(f <= 0) or np.any(g <= 0):
        raise ModelError(f"selection intensity `w` = {w!r} makes a fitness non-positive; lower it")
    # Sum of products computed in logs for stability: prod_{i<=k} g_i/f_i.
    logs = np.cumsum(np.log(g) - np.log(f))
    return float(1.0 / (1.0 + np.exp(logs).sum()))


def traulsen_nowak_fixation(*, b: float, c: float, n: int, m: int, w: float) -> float:
    r"""Fixation probability of one cooperator under multilevel selection, rare group splitting.

    For ``q -> 0`` a cooperator first fixes in its group of ``n`` (frequency-dependent Moran
    process of the prisoner's dilemma ``[[b - c, -c], [b, 0]]``), then the all-cooperator group
    fixes among ``m`` groups (Moran process of groups with constant fitness ratio
    ``r = (1 - w + w (b - c)) / (1 - w)``)::

        rho = rho_in * rho_between,   rho_between = (1 - 1/r) / (1 - r^-m).

    Parameters
    ----------
    b, c : float
        Benefit and cost of the altruistic act, ``b > c > 0`` typically.
    n : int
        Group size (``n >= 2``).
    m : int
        Number of groups (``m >= 2``).
    w : float
        Intensity of selection, ``0 < w < 1``.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For values outside their domains.

    Notes
    -----
    To first order in ``w``, ``rho > 1/(n m)`` iff ``b / c > 1 + n / (m - 2)``, which is
    ``b/c > 1 + n/m`` for many groups (:func:`traulsen_nowak_threshold`).

    References
    ----------
    .. [1] A. Traulsen and M. A. Nowak, Evolution of cooperation by multilevel selection,
       Proceedings of the National Academy of Sciences USA 103(29) (2006) 10952-10955.

    Examples
    --------
    >>> from incentive_geometry.theory import traulsen_nowak_fixation
    >>> rho = traulsen_nowak_fixation(b=3.0, c=1.0, n=4, m=8, w=0.01)
    >>> bool(rho > 1 / 32)
    True
    """
    n = check_int(n, name="n", low=2)
    m = check_int(m, name="m", low=2)
    if not 0 < w < 1:
        raise ModelError(f"`w` must be in (0, 1), got {w!r}")
    rho_in = moran_fixation_probability([[b - c, -c], [b, 0.0]], n, w)
    r = (1 - w + w * (b - c)) / (1 - w)
    if r <= 0:
        raise ModelError(f"`w` = {w!r} makes the fitness of a cooperator group non-positive")
    rho_between = 1.0 / m if r == 1 else (1 - 1 / r) / (1 - r ** (-m))
    return rho_in * rho_between


def traulsen_nowak_threshold(n: float, m: float, *, many_groups: bool = False) -> float:
    """The benefit-to-cost ratio above which group selection favours cooperation.

    ``1 + n / (m - 2)`` in the limit of weak selection and rare group splitting; with
    ``many_groups=True`` the further limit ``m >> 1``: ``1 + n / m`` (the paper's headline
    condition ``b/c > 1 + n/m``).

    Parameters
    ----------
    n : float
        Group size.
    m : float
        Number of groups (``m > 2``).
    many_groups : bool
        Return the ``m >> 1`` form.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For ``m <= 2`` without `many_groups`.

    References
    ----------
    .. [1] A. Traulsen and M. A. Nowak, Evolution of cooperation by multilevel selection,
       Proceedings of the National Academy of Sciences USA 103(29) (2006) 10952-10955.

    Examples
    --------
    >>> from incentive_geometry.theory import traulsen_nowak_threshold
    >>> traulsen_nowak_threshold(10, 12), traulsen_nowak_threshold(10, 10, many_groups=True)
    (2.0, 2.0)
    """
    if many_groups:
        return 1.0 + n / m
    if m <= 2:
        raise ModelError(f"`m` must exceed 2 for the finite-m threshold, got {m!r}")
    return 1.0 + n / (m - 2)


def traulsen_nowak_selection_gradient(
    *, b: float, c: float, n: int, m: int, w: float = 1e-20, digits: int = 60
) -> float:
    r"""``(N rho(w) - 1) / w`` at a tiny selection intensity: the sign of weak selection on cooperators.

    The same two Moran products as :func:`traulsen_nowak_fixation` (within the group, then of
    the groups), evaluated in `digits`-digit arithmetic (mpmath) at ``w`` so small that the
    quotient is the derivative ``N d rho / dw`` at ``w = 0`` to within ``O(w)``; ``N = n m``.
    Positive: weak selection favours one cooperator over a neutral mutant (``rho > 1/N``).
    No threshold formula is used, so the sign is an observation of the condition of
    :func:`traulsen_nowak_threshold`.

    Parameters
    ----------
    b, c : float
        Benefit and cost, ``b, c > 0``.
    n : int
        Group size ``n >= 2``.
    m : int
        Number of groups ``m >= 2``.
    w : float
        Selection intensity of the evaluation, ``0 < w <= 1e-6``.
    digits : int
        Working precision in decimal digits, at least ``-2 log10(w) + 15``.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For values outside their domains.

    Notes
    -----
    To first order (Nowak et al. 2004 within the group, ``rho ~ (1 + (N - 1) eps / 2) / N`` for a
    constant fitness ratio ``1 + eps`` between groups) the gradient is
    ``(b (m - 2) - c (m - 2 + n)) / 2``, positive iff ``b / c > 1 + n / (m - 2)``.

    References
    ----------
    .. [1] A. Traulsen and M. A. Nowak, Evolution of cooperation by multilevel selection,
       Proceedings of the National Academy of Sciences USA 103(29) (2006) 10952-10955.
    .. [2] M. A. Nowak, A. Sasaki, C. Taylor and D. Fudenberg, Emergence of cooperation and
       evolutionary stability in finite populations, Nature 428 (2004) 646-650.

    Examples
    --------
    >>> from incentive_geometry.theory.biology import traulsen_nowak_selection_gradient
    >>> round(traulsen_nowak_selection_gradient(b=3.0, c=1.0, n=4, m=8), 9)  # (18 - 10) / 2
    4.0
    """
    import mpmath

    n = check_int(n, name="n", low=2)
    m = check_int(m, name="m", low=2)
    digits = check_int(digits, name="digits", low=20)
    for name, value in (("b", b), ("c", c)):
        if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
            raise ModelError(f"`{name}` must be a finite number > 0, got {value!r}")
    if not (isinstance(w, int | float) and 0 < w <= 1e-6):
        raise ModelError(f"`w` must be in (0, 1e-6] (weak selection), got {w!r}")
    if digits < -2 * np.log10(w) + 15:
        raise ModelError(
            f"`digits` = {digits} is too few for `w` = {w:g}; use at least "
            f"{int(np.ceil(-2 * np.log10(w) + 15))}"
        )
    with mpmath.workdps(digits):
        W, B, C = mpmath.mpf(w), mpmath.mpf(b), mpmath.mpf(c)
        # Within a group of n: prisoner's dilemma [[b - c, -c], [b, 0]], fitness 1 - w + w pi.
        total, prod = mpmath.mpf(1), mpmath.mpf(1)
        for i in range(1, n):
            f_i = 1 - W + W * ((B - C) * (i - 1) - C * (n - i)) / (n - 1)
            g_i = 1 - W + W * (B * i) / (n - 1)
            prod *= g_i / f_i
            total += prod
        rho_in = 1 / total
        # Between m groups: constant fitness ratio r of an all-cooperator group.
        r = (1 - W + W * (B - C)) / (1 - W)
        rho_between = 1 / mpmath.mpf(m) if r == 1 else (1 - 1 / r) / (1 - r ** (-m))
        return float((n * m * rho_in * rho_between - 1) / W)


def _payoffs(C: Any, D: Any, b: Any, c: Any, pw: Any) -> tuple[Any, Any]:
    """Cooperator and defector fitness in each group (numpy arrays)."""
    s = C + D
    others = np.maximum(s - 1, 1)
    pi_c = (b * np.maximum(C - 1, 0) - c * (s - 1)) / others
    pi_d = b * C / others
    pi_c = np.where(s > 1, pi_c, 0.0)
    pi_d = np.where(s > 1, pi_d, 0.0)
    return 1 - pw + pw * pi_c, 1 - pw + pw * pi_d


def _multilevel_step(n: int, m: int) -> Any:
    def step(x: Any, params: Any, rng: np.random.Generator) -> np.ndarray:
        """One birth event of the Traulsen-Nowak process; `x` is (2m,) or a batch (R, 2m)."""
        b, c, pw, q = params_dict(params, ["b", "c", "w", "q"])
        arr = np.array(x, dtype=float)
        single = arr.ndim == 1
        X = np.atleast_2d(arr).copy()
        R = X.shape[0]
        rows = np.arange(R)
        C, D = X[:, :m], X[:, m:]
        fc, fd = _payoffs(C, D, b, c, pw)
        # Reproducer chosen with probability proportional to fitness over the population.
        weights = np.concatenate([C * fc, D * fd], axis=1)
        total = weights.sum(axis=1)
        alive = total > 0
        u = rng.random(R) * total
        idx = np.minimum((np.cumsum(weights, axis=1) < u[:, None]).sum(axis=1), 2 * m - 1)
        j = idx % m
        is_c = idx < m
        idx_c = rows[alive & is_c]
        idx_d = rows[alive & ~is_c]
        C[idx_c, j[idx_c]] += 1
        D[idx_d, j[idx_d]] += 1
        size = C[rows, j] + D[rows, j]
        over = alive & (size > n)
        split = over & (rng.random(R) < q)
        die = over & ~split
        # No split: a random member of the over-full group dies (the group returns to n).
        r_die = rows[die]
        kill_c = rng.random(r_die.size) * size[r_die] < C[r_die, j[r_die]]
        C[r_die[kill_c], j[r_die[kill_c]]] -= 1
        D[r_die[~kill_c], j[r_die[~kill_c]]] -= 1
        # Split: members divided at random into halves; one half stays, the other replaces a
        # group chosen uniformly among the other m - 1 (that group is eliminated).
        r_sp = rows[split]
        if r_sp.size:
            js = j[r_sp]
            cj, dj = C[r_sp, js].astype(np.int64), D[r_sp, js].astype(np.int64)
            half = (cj + dj) // 2
            c_half = rng.hypergeometric(np.maximum(cj, 0), np.maximum(dj, 0), half)
            d_half = half - c_half
            stay_first = rng.random(r_sp.size) < 0.5
            c_stay = np.where(stay_first, c_half, cj - c_half)
            d_stay = np.where(stay_first, d_half, dj - d_half)
            k = (js + 1 + rng.integers(0, m - 1, r_sp.size)) % m
            C[r_sp, k], D[r_sp, k] = cj - c_stay, dj - d_stay
            C[r_sp, js], D[r_sp, js] = c_stay, d_stay
        X[:, :m], X[:, m:] = C, D
        return X[0] if single else X

    return step


def multilevel_selection(
    *,
    groups: int = 4,
    size: int = 4,
    b: float = 3.0,
    c: float = 1.0,
    w: float = 0.1,
    q: float = 0.01,
) -> Model:
    r"""Traulsen-Nowak multilevel selection: groups that grow faster split more often.

    ``m = groups`` groups of at most ``n = size`` members play the prisoner's dilemma (a
    cooperator pays ``c`` so that the others share ``b``; payoffs averaged over the other group
    members; fitness ``1 - w + w * payoff``). Each event, an individual is chosen to reproduce
    with probability proportional to fitness; the offspring joins its group. A group that grows
    past ``n`` splits with probability ``q`` (members divided at random into two halves, one
    replacing a random other group); otherwise a random member of it dies.

    The equations are the mean dynamics (the expected change per event) of the counts
    ``C_j, D_j``; the process itself is the model's seeded ``stochastic_step``, which accepts one
    state or a batch of states (rows).

    Parameters
    ----------
    groups : int, default 4
        Number of groups ``m`` (``2 <= m <= 12``).
    size : int, default 4
        Maximum group size ``n`` (``2 <= n <= 50``).
    b : float, default 3.0
        ``b > 0``: benefit of the altruistic act.
    c : float, default 1.0
        ``c > 0``: its cost.
    w : float, default 0.1
        ``0 <= w < 1``: intensity of selection.
    q : float, default 0.01
        ``0 <= q <= 1``: probability that an over-full group splits.

    Returns
    -------
    Model
        Discrete time (one event per step), states ``C_1..C_m, D_1..D_m``; observable
        ``cooperators`` (their share).

    Notes
    -----
    For weak selection and rare splitting, the fixation probability of one cooperator exceeds
    the neutral ``1/(n m)`` iff ``b/c > 1 + n/(m - 2)``, i.e. ``b/c > 1 + n/m`` for many groups
    (:func:`traulsen_nowak_fixation`, :func:`traulsen_nowak_threshold`). Here ``n`` is the size
    a group holds between events (it splits on reaching ``n + 1``).

    References
    ----------
    .. [1] A. Traulsen and M. A. Nowak, Evolution of cooperation by multilevel selection,
       Proceedings of the National Academy of Sciences USA 103(29) (2006) 10952-10955.
    .. [2] M. A. Nowak, A. Sasaki, C. Taylor and D. Fudenberg, Emergence of cooperation and
       evolutionary stability in finite populations, Nature 428 (2004) 646-650.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory import multilevel_selection
    >>> m = multilevel_selection(groups=2, size=3)
    >>> x = np.array([1.0, 0.0, 2.0, 3.0])          # C_1, C_2, D_1, D_2
    >>> y = m.stochastic_step(x, m.defaults, np.random.default_rng(0))
    >>> float(y.sum()) in (5.0, 6.0)                 # one birth, perhaps one death
    True
    """
    m = check_int(groups, name="groups", low=2, high=12)
    n = check_int(size, name="size", low=2, high=50)
    pb = Parameter("b", b, "positive", "benefit of the altruistic act")
    pc = Parameter("c", c, "positive", "cost of the altruistic act")
    pw = Parameter("w", w, [0, 0.999], "intensity of selection")
    pq = Parameter("q", q, [0, 1], "probability that an over-full group splits")
    B, Cc, W, Q = pb.symbol, pc.symbol, pw.symbol, pq.symbol
    Cs = [state(f"C_{j + 1}") for j in range(m)]
    Ds = [state(f"D_{j + 1}") for j in range(m)]
    fit_c, fit_d = [], []
    for j in range(m):
        s = Cs[j] + Ds[j]
        others = sympy.Max(s - 1, 1)
        fit_c.append(1 - W + W * (B * (Cs[j] - 1) - Cc * (s - 1)) / others)
        fit_d.append(1 - W + W * B * Cs[j] / others)
    F = sum((Cs[j] * fit_c[j] + Ds[j] * fit_d[j] for j in range(m)), sympy.Integer(0))
    dC: list[Any] = [sympy.Integer(0)] * m
    dD: list[Any] = [sympy.Integer(0)] * m
    for j in range(m):
        full = sympy.Ge(Cs[j] + Ds[j], n)
        for prob, c_new, d_new in ((Cs[j] * fit_c[j] / F, Cs[j] + 1, Ds[j]),
                                   (Ds[j] * fit_d[j] / F, Cs[j], Ds[j] + 1)):
            # Expected change of every group given this birth in group j.
            for k in range(m):
                if k == j:
                    grow_c, grow_d = c_new - Cs[j], d_new - Ds[j]
                    die_c = c_new - c_new / (n + 1) - Cs[j]
                    die_d = d_new - d_new / (n + 1) - Ds[j]
                    split_c, split_d = c_new / 2 - Cs[j], d_new / 2 - Ds[j]
                    ec = sympy.Piecewise(((1 - Q) * die_c + Q * split_c, full), (grow_c, True))
                    ed = sympy.Piecewise(((1 - Q) * die_d + Q * split_d, full), (grow_d, True))
                else:
                    ec = sympy.Piecewise((Q * (c_new / 2 - Cs[k]) / (m - 1), full), (0, True))
                    ed = sympy.Piecewise((Q * (d_new / 2 - Ds[k]) / (m - 1), full), (0, True))
                dC[k] += prob * ec
                dD[k] += prob * ed
    eqs: dict[str, Any] = {f"C_{j + 1}": Cs[j] + dC[j] for j in range(m)}
    eqs.update({f"D_{j + 1}": Ds[j] + dD[j] for j in range(m)})
    total_c = sum(Cs, sympy.Integer(0))
    model = Model.from_equations(
        eqs,
        parameters=[pb, pc, pw, pq],
        time="discrete",
        name="multilevel_selection",
        states={**{f"C_{j + 1}": {"domain": [0, n + 1], "meaning": f"cooperators in group {j + 1}"}
                   for j in range(m)},
                **{f"D_{j + 1}": {"domain": [0, n + 1], "meaning": f"defectors in group {j + 1}"}
                   for j in range(m)}},
        observables={"cooperators": total_c / (total_c + sum(Ds, sympy.Integer(0)))},
        description=(
            f"{m} groups of up to {n} playing the prisoner's dilemma; groups split with "
            "probability q when over-full. Equations: expected change per birth event."
        ),
        references=[_TN06, _NSTF04],
    )
    return replace(model, stochastic_step=_multilevel_step(n, m))
