"""Goodhart beyond the regressional case: extremal Goodhart and best-of-n over-optimization.

* **Best-of-n sampling**: draw ``n`` outputs from a base distribution and keep the one with the
  highest proxy score. For a continuous score with CDF ``F`` the kept score has CDF ``F**n``,
  and its Kullback-Leibler divergence from the base is exactly ``log n - (n - 1) / n`` whatever
  the base (a change of variables to ``u = F(y)`` turns the density ratio into ``n u**(n-1)``).
  The often-quoted ``log n`` is only an upper bound.
* **Extremal Goodhart**: select on ``U = V + X`` where the proxy error ``X`` has heavier tails
  than the true value ``V``. Then ``E[V | U >= t]`` rises at first and falls back toward
  ``E[V] = 0`` as the threshold ``t`` grows: the extreme proxy scores are extreme errors.

Examples
--------
>>> from incentive_geometry.theory.goodhart import best_of_n_kl
>>> round(best_of_n_kl(4), 6)
0.636294
"""

from __future__ import annotations

import math

import numpy as np

from incentive_geometry.errors import ModelError

__all__ = [
    "best_of_n_kl",
    "best_of_n_kl_quadrature",
    "extremal_selected_mean",
]

_BEIRAMI = (
    "A. Beirami, A. Agarwal, J. Berant, A. D'Amour, J. Eisenstein, C. Nagpal and A. T. Suresh, "
    "Theoretical guarantees on the best-of-n alignment policy, arXiv:2401.01879 (2024)"
)


def _check_n(n: float) -> float:
    if isinstance(n, bool) or not isinstance(n, int | float) or not math.isfinite(n) or n < 1:
        raise ModelError(f"`n` must be a number >= 1, got {n!r:.60}; pass e.g. n=4")
    return float(n)


def best_of_n_kl(n: float) -> float:
    """Exact KL divergence of best-of-n sampling from its base: ``log n - (n - 1) / n``.

    Parameters
    ----------
    n : float
        ``n >= 1`` (real ``n`` is the distribution with CDF ``F**n``).

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For ``n < 1`` or a non-number.

    References
    ----------
    .. [1] A. Beirami et al., Theoretical guarantees on the best-of-n alignment policy,
       arXiv:2401.01879 (2024), theorem 1 (the exact KL for a continuous score).

    Examples
    --------
    >>> from incentive_geometry.theory.goodhart import best_of_n_kl
    >>> best_of_n_kl(1)
    0.0
    >>> best_of_n_kl(0.5)
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: `n` must be a number >= 1, got 0.5; pass e.g. n=4
    """
    n = _check_n(n)
    return math.log(n) - (n - 1.0) / n


def best_of_n_kl_quadrature(n: float, base: str = "normal") -> float:
    """KL divergence of the best-of-n score distribution from a named base, by quadrature.

    Integrates ``p_n(y) log(p_n(y) / f(y))`` with ``p_n = n F**(n-1) f`` over the score's
    support (:func:`scipy.integrate.quad`) for a base density ``f`` with CDF ``F``: no closed
    form of the divergence is used.

    Parameters
    ----------
    n : float
        ``n >= 1``.
    base : {"normal", "exponential", "gumbel"}
        The score's base distribution (standard form).

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For ``n < 1`` or an unknown base.

    Examples
    --------
    >>> from incentive_geometry.theory.goodhart import best_of_n_kl, best_of_n_kl_quadrature
    >>> abs(best_of_n_kl_quadrature(8, "exponential") - best_of_n_kl(8)) < 1e-8
    True
    """
    from scipy import integrate, special

    n = _check_n(n)

    # (log f(y), log F(y)) of each base, in closed form (fast scalar code).
    def normal(y: float) -> tuple[float, float]:
        return -0.5 * y * y - 0.5 * math.log(2.0 * math.pi), float(special.log_ndtr(y))

    def exponential(y: float) -> tuple[float, float]:
        return -y, math.log(-math.expm1(-y)) if y > 0 else -math.inf

    def gumbel(y: float) -> tuple[float, float]:
        return -y - math.exp(-y), -math.exp(-y)

    bases = {
        "normal": (normal, -40.0, 40.0),
        "exponential": (exponential, 0.0, 800.0),
        "gumbel": (gumbel, -6.0, 800.0),
    }
    if base not in bases:
        raise ModelError(f"`base` must be one of {', '.join(bases)}, got {base!r:.60}")
    logs, lo, hi = bases[base]

    def integrand(y: float) -> float:
        logf, logF = logs(y)
        if not math.isfinite(logF):
            return 0.0
        logp = math.log(n) + (n - 1.0) * logF + logf
        return math.exp(logp) * (logp - logf)

    value, _err = integrate.quad(integrand, lo, hi, limit=400, epsabs=1e-13, epsrel=1e-11)
    return float(value)


def extremal_selected_mean(
    t: float, *, df: float = 2.0, scale: float = 1.0, points: int = 4001
) -> float:
    """``E[V | V + X >= t]`` for ``V ~ N(0, 1)`` and a Student-t error ``X`` (by quadrature).

    ``P(U >= t | V = v) = 1 - F_X(t - v)``, so ``E[V | U >= t] = E[V S(t - V)] / E[S(t - V)]``
    with ``S`` the survival function of ``X``; both expectations are integrals over ``v``.

    Parameters
    ----------
    t : float
        Selection threshold on the proxy ``U = V + X``.
    df : float
        Degrees of freedom of the error (heavy-tailed for small `df`).
    scale : float
        Scale of the error.
    points : int
        Grid points of the integral over ``v`` in ``[-12, 12]`` (Simpson's rule).

    Returns
    -------
    float

    References
    ----------
    .. [1] D. Manheim and S. Garrabrant, Categorizing variants of Goodhart's law,
       arXiv:1803.04585 (2018), section on extremal Goodhart.

    Examples
    --------
    >>> from incentive_geometry.theory.goodhart import extremal_selected_mean
    >>> extremal_selected_mean(3.0) > extremal_selected_mean(30.0) > 0
    True
    """
    from scipy import integrate, stats

    v = np.linspace(-12.0, 12.0, points)
    w = stats.norm.pdf(v) * stats.t.sf((t - v) / scale, df)
    return float(integrate.simpson(v * w, x=v) / integrate.simpson(w, x=v))
