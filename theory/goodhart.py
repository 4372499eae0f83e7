"""Goodhart beyond the regressional case: extremal Goodhart and best-of-n over-optimization.

* **Best-of-n sampling**: draw ``n`` outputs from a base distribution and keep the one with the
  highest proxy score. For a continuous score with CDF ``F`` the kept score has CDF ``F**n``,
  and its Kullback-Leibler divergence from the base is exactly ``log n - (n - 1) / n`` whatever
  the base (a change of variables to ``u = F(y)`` turns the density ratio into ``n u**(n-1)``).
  The often-quoted ``log n`` is only an upper bound.
* **Extremal Goodhart**: select on ``U = V + X`` where the proxy error ``X`` has heavier tails
  than the true value ``V``. Then ``E[V | U >= t]`` rises at first and falls back toward
  ``E[V] = 0`` as the threshold ``t`` grows: the extreme proxy scores are extreme errors.
* **Causal Goodhart**: the proxy ``U`` is correlated with the true value ``V`` partly through a
  common cause ``Z``; intervening on ``U`` (``do(U = u)``) moves ``V`` only by the direct
  effect, not by the observational regression slope (:func:`causal_goodhart_draws`).
* **Adversarial Goodhart**: an agent optimizes a fixed principal's proxy ``U = V + X`` and
  puts effort into the error term ``X`` (gaming) as far as it is cheap
  (:func:`adversarial_response`).

The four variants are those of Manheim and Garrabrant (2018).

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
    "adversarial_response",
    "best_of_n_kl",
    "best_of_n_kl_quadrature",
    "causal_goodhart_draws",
    "extremal_selected_mean",
]

_MANHEIM = (
    "D. Manheim and S. Garrabrant, Categorizing variants of Goodhart's law, arXiv:1803.04585 (2018)"
)

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


def causal_goodhart_draws(
    u: float,
    *,
    a: float,
    k: float,
    s: float,
    samples: int = 20_000,
    intervene: bool = True,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """True values ``V`` of a structural causal model, under ``do(U = u)`` or given ``U ~ u``.

    The model: a common cause ``Z ~ N(0, 1)``, the proxy ``U = Z + s E_U`` and the true value
    ``V = a Z + k U + E_V`` (``E_U, E_V ~ N(0, 1)`` independent). Observationally
    ``E[V | U = u] = (k + a / (1 + s**2)) u``; under the intervention ``do(U = u)`` the proxy
    is set without touching ``Z``, so ``E[V | do(U = u)] = k u`` (only the direct effect).

    Parameters
    ----------
    u : float
        The proxy value set (or conditioned on).
    a : float
        Effect of the common cause on the true value.
    k : float
        Direct causal effect of the proxy on the true value.
    s : float
        Noise scale of the proxy (``s > 0`` for conditioning).
    samples : int
        Number of draws.
    intervene : bool
        ``True``: draw under ``do(U = u)``; ``False``: draw ``V`` given ``U`` in a window of
        width ``0.05`` around ``u`` (rejection from the joint distribution).
    rng : numpy.random.Generator, optional

    Returns
    -------
    numpy.ndarray
        The draws of ``V``.

    References
    ----------
    .. [1] D. Manheim and S. Garrabrant, Categorizing variants of Goodhart's law,
       arXiv:1803.04585 (2018), section on causal Goodhart.
    .. [2] J. Pearl, Causality, 2nd ed., Cambridge University Press, 2009 (the do-operator).

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory.goodhart import causal_goodhart_draws
    >>> rng = np.random.default_rng(0)
    >>> v = causal_goodhart_draws(2.0, a=1.0, k=0.0, s=1.0, rng=rng)
    >>> bool(abs(v.mean()) < 0.05)            # do(U = 2) leaves V where it was
    True
    >>> w = causal_goodhart_draws(2.0, a=1.0, k=0.0, s=1.0, intervene=False, rng=rng)
    >>> bool(abs(w.mean() - 1.0) < 0.1)       # observed U near 2: E[V | U] = 2 / 2
    True
    """
    if samples < 2:
        raise ModelError(f"`samples` must be at least 2, got {samples!r}")
    gen = rng if rng is not None else np.random.default_rng()
    if intervene:
        # do(U = u): Z keeps its distribution; the arrow Z -> U is cut.
        z = gen.standard_normal(samples)
        return np.asarray(a * z + k * u + gen.standard_normal(samples))
    if s <= 0:
        raise ModelError(f"`s` must be positive to condition on U, got {s!r}")
    out: list[np.ndarray] = []
    got = 0
    while got < samples:
        z = gen.standard_normal(8 * samples)
        uu = z + s * gen.standard_normal(z.size)
        keep = np.abs(uu - u) < 0.025
        v = a * z[keep] + k * uu[keep] + gen.standard_normal(int(keep.sum()))
        out.append(v)
        got += v.size
    return np.concatenate(out)[:samples]


def adversarial_response(
    w: float, *, kappa: float, steps: int = 20_000, lr: float = 0.05
) -> tuple[float, float]:
    """An agent's effort against a fixed principal who pays ``w`` per unit of proxy.

    The principal's proxy is ``U = e + g``: productive effort ``e`` (the true value ``V = e``)
    plus gaming ``g`` (the error term ``X = g``, worth nothing to the principal). The agent
    maximizes ``w (e + g) - e**2 / 2 - g**2 / (2 kappa)`` (gaming costs less when ``kappa`` is
    large). It is found here by projected gradient ascent from ``e = g = 0``, not from the
    first-order conditions (whose solution is ``e = w``, ``g = kappa w``, so ``V / U = 1 /
    (1 + kappa)``).

    Parameters
    ----------
    w : float
        The principal's fixed piece rate on the proxy (``w > 0``).
    kappa : float
        Ease of gaming (``kappa >= 0``; 0: the proxy cannot be gamed).
    steps : int
        Iterations of the ascent (it stops earlier once a step moves less than 1e-13).
    lr : float
        Step size.

    Returns
    -------
    tuple of float
        ``(V, U)``: the true value and the proxy the agent delivers.

    References
    ----------
    .. [1] D. Manheim and S. Garrabrant, Categorizing variants of Goodhart's law,
       arXiv:1803.04585 (2018), section on adversarial Goodhart.
    .. [2] G. P. Baker, Incentive contracts and performance measurement, J. Polit. Econ. 100,
       598-614 (1992) (effort diverted to what the measure rewards).

    Examples
    --------
    >>> from incentive_geometry.theory.goodhart import adversarial_response
    >>> v, u = adversarial_response(1.0, kappa=3.0)
    >>> round(v, 6), round(u, 6)
    (1.0, 4.0)
    """
    if not w > 0 or not kappa >= 0:
        raise ModelError(f"need `w` > 0 and `kappa` >= 0, got w = {w!r}, kappa = {kappa!r}")
    e = g = 0.0
    # The gaming coordinate is rescaled (g = kappa h) so the ascent is well conditioned.
    h = 0.0
    for _ in range(steps):
        de = w - e  # d/de of w (e + g) - e^2 / 2
        dh = kappa * (w - h)  # d/dh of w kappa h - kappa h^2 / 2
        e, h = max(e + lr * de, 0.0), max(h + lr * dh / max(kappa, 1.0), 0.0)
        if abs(de) + abs(dh) < 1e-13:
            break
    g = kappa * h
    return e, e + g
