r"""Nested objectives learned from finite noisy data: the alignment after L fitted levels.

Level 0 is the designer's objective ``v_0`` (a unit vector in ``d`` dimensions). Level ``l``
does not receive the objective of the level above: it *fits* it. It observes ``n`` noisy
evaluations ``y = X t_l + sigma * eps`` of its target ``t_l`` (``eps`` standard normal), takes
the least-squares estimate ``beta = (X'X)^{-1} X'y`` and keeps its direction
``v_l = beta / |beta|`` as its own objective (an objective's scale does not change what it
favours). The target is the level above, possibly turned by a fixed rotation ``R`` (by the
angle ``phi`` in the plane of the first two axes, the same at every level)::

    t_l = R v_{l-1}.

Two kinds of drift compound differently:

* **independent drift** (the fitting noise, fresh at every level): when the error of one fit
  has a rotation-invariant distribution, ``E[v_l | v_{l-1}] = kappa R v_{l-1}`` with
  ``kappa = E[cos(beta, t)]`` the mean cosine of *one* fit, because the part of ``v_l``
  orthogonal to ``R v_{l-1}`` has a direction uniform on that orthogonal sphere (mean zero) and
  independent of its length. Taking means level by level, ``E[v_L] = kappa^L R^L v_0``, so the
  expected alignment with the designer is::

      E[cos(v_L, v_0)] = kappa^L cos(L phi);

* **coherent drift** (the rotation ``R``, the same plane and direction at every level)
  compounds *additively in the angle*: ``cos(L phi)``, not ``cos(phi)^L``; with no noise it is
  the exact alignment.

The factor ``kappa`` of an orthogonal design (``X'X = n I``, e.g. ``n`` balanced measurements)
has a closed form (:func:`fit_alignment`); with an isotropic Gaussian design (rows of ``X``
standard normal) the error is still rotation invariant, so ``kappa^L`` still holds, with a
``kappa`` that has no closed form (estimate it from one level).

Examples
--------
>>> from incentive_geometry.theory.selection_depth import fit_alignment
>>> round(fit_alignment(2.0, 1), 6)  # d = 1: E[sign(2 + Z)] = erf(2 / sqrt(2))
0.9545
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError

from ._build import check_int

__all__ = [
    "fit_alignment",
    "fit_alignment_expression",
    "fitted_chain_alignment",
    "fitted_chain_sample",
]

_MARDIA = "K. V. Mardia and P. E. Jupp, Directional Statistics, Wiley, 2000 (the projected normal)"
_DLMF = "NIST Digital Library of Mathematical Functions, chapter 13 (Kummer's function 1F1)"
_DESIGNS = ("orthogonal", "gaussian")


def _check_positive(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ModelError(f"`{name}` must be a number, got {value!r:.60} ({type(value).__name__})")
    out = float(value)
    if not (math.isfinite(out) and out > 0):
        raise ModelError(f"`{name}` must be a finite number > 0, got {out!r}")
    return out


def fit_alignment(snr: float, dim: int) -> float:
    r"""Mean cosine between a Gaussian estimate and the vector it estimates.

    For ``beta = t + s Z`` with ``|t| = 1``, ``Z`` standard normal in ``dim`` dimensions and
    signal-to-noise ratio ``snr = 1 / s`` (``lambda``)::

        kappa = E[cos(beta, t)]
              = lambda / sqrt(2 pi) * B(1/2, (d + 1)/2) * 1F1(1/2; d/2 + 1; -lambda^2 / 2).

    Derivation: with ``X = lambda t + Z`` (the same direction) and
    ``1/|X| = pi^{-1/2} int_0^inf u^{-1/2} exp(-u |X|^2) du``, the Gaussian integral
    ``E[X_1 exp(-u|X|^2)] = lambda (1 + 2u)^{-d/2 - 1} exp(-u lambda^2 / (1 + 2u))`` and the
    substitution ``s = 2u / (1 + 2u)`` turn ``E[X_1 / |X|]`` into Euler's integral of ``1F1``
    (DLMF 13.4.1). For ``d = 1`` it is ``erf(lambda / sqrt(2)) = E[sign(lambda + Z)]``; for large
    ``lambda``, ``1 - (d - 1) / (2 lambda^2)``. Least squares with an orthogonal design
    (``X'X = n I``) and noise ``sigma`` gives ``beta ~ N(t, sigma^2 / n I)``: ``snr = sqrt(n) /
    sigma``.

    Parameters
    ----------
    snr : float
        ``lambda = |t| / s > 0``.
    dim : int
        Dimension ``d >= 1``.

    Returns
    -------
    float
        ``kappa`` in ``(0, 1)``.

    Raises
    ------
    ModelError
        For a non-positive `snr` or a bad `dim`.

    References
    ----------
    .. [1] K. V. Mardia and P. E. Jupp, Directional Statistics, Wiley, 2000 (the projected
       normal distribution of the direction of a Gaussian vector).
    .. [2] NIST Digital Library of Mathematical Functions, 13.2 and 13.4.1 (Kummer's function
       and its integral representation).

    Examples
    --------
    >>> from incentive_geometry.theory.selection_depth import fit_alignment
    >>> round(fit_alignment(3.0, 5), 4)
    0.8146
    """
    from scipy.special import betaln, hyp1f1

    lam = _check_positive(snr, "snr")
    d = check_int(dim, name="dim", low=1)
    # scipy evaluates 1F1(1/2; b; -x) accurately for large x too (checked against mpmath).
    return float(
        lam
        / math.sqrt(2 * math.pi)
        * math.exp(betaln(0.5, (d + 1) / 2.0))
        * hyp1f1(0.5, d / 2 + 1, -lam * lam / 2.0)
    )


def fit_alignment_expression(dim: int, snr: Any) -> Any:
    """:func:`fit_alignment` as an elementary sympy expression (odd dimensions).

    For odd ``d``, ``1F1(1/2; d/2 + 1; -x)`` reduces to ``erf`` and ``exp`` (its second parameter
    is a half-integer), so the mean cosine is an expression of the model language.

    Parameters
    ----------
    dim : int
        Odd dimension ``d >= 1``.
    snr : sympy expression, str or float
        The signal-to-noise ratio ``lambda`` (e.g. ``sqrt(n)/sigma``), substituted in.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ModelError
        For an even dimension (the reduction gives Bessel functions, outside the language).

    References
    ----------
    .. [1] NIST Digital Library of Mathematical Functions, 13.6 (1F1 in terms of the error
       function for half-integer parameters).

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.theory.selection_depth import fit_alignment_expression
    >>> lam = sympy.Symbol("lam", positive=True)
    >>> fit_alignment_expression(1, lam)
    erf(sqrt(2)*lam/2)
    >>> round(float(fit_alignment_expression(5, 3)), 4)
    0.8146
    """
    d = check_int(dim, name="dim", low=1)
    if d % 2 == 0:
        raise ModelError(
            f"`dim` must be odd for an elementary expression, got {d}; use fit_alignment for a "
            "number in any dimension"
        )
    lam = sympy.Symbol("lam", positive=True)
    hyper = sympy.hyperexpand(
        sympy.hyper([sympy.S.Half], [sympy.Rational(d + 2, 2)], -(lam**2) / 2)
    )
    beta = (
        sympy.gamma(sympy.S.Half)
        * sympy.gamma(sympy.Rational(d + 1, 2))
        / sympy.gamma(sympy.Rational(d + 2, 2))
    )
    expr = sympy.simplify(lam / sympy.sqrt(2 * sympy.pi) * beta * hyper)
    value = sympy.sympify(snr, strict=True) if not isinstance(snr, str) else sympy.Symbol(snr)
    return expr.xreplace({lam: value})


def fitted_chain_alignment(
    levels: int, *, noise: float, samples: int, dim: int, phi: float = 0.0
) -> float:
    """Expected alignment after `levels` fitted levels: ``kappa^L cos(L phi)``.

    ``kappa`` is :func:`fit_alignment` at ``snr = sqrt(samples) / noise`` (least squares with an
    orthogonal design); see the module docstring for the derivation.

    Parameters
    ----------
    levels : int
        ``L >= 1``.
    noise : float
        ``sigma > 0``, standard deviation of one noisy evaluation.
    samples : int
        ``n >= dim`` evaluations per fit.
    dim : int
        Dimension ``d >= 2``.
    phi : float
        Coherent rotation per level (radians), 0 for pure independent drift.

    Returns
    -------
    float

    Raises
    ------
    ModelError
        For values outside their domains.

    Examples
    --------
    >>> from incentive_geometry.theory.selection_depth import fitted_chain_alignment
    >>> round(fitted_chain_alignment(2, noise=1.0, samples=9, dim=5), 4)
    0.6635
    """
    levels = check_int(levels, name="levels", low=1)
    d = check_int(dim, name="dim", low=2)
    n = check_int(samples, name="samples", low=d)
    sigma = _check_positive(noise, "noise")
    if not math.isfinite(phi):
        raise ModelError(f"`phi` must be a finite angle in radians, got {phi!r}")
    return fit_alignment(math.sqrt(n) / sigma, d) ** levels * math.cos(levels * phi)


def fitted_chain_sample(
    levels: int,
    *,
    noise: float,
    samples: int,
    dim: int,
    replicates: int,
    rng: np.random.Generator,
    phi: float = 0.0,
    design: str = "orthogonal",
) -> np.ndarray:
    """Simulate the fitted chain: every level fits its target by least squares on noisy data.

    At level ``l`` the target is ``t_l = R v_{l-1}`` (``R`` turns the first two axes by `phi`);
    the level draws a design ``X`` (``samples x dim``), observes ``y = X t_l + noise * eps`` and
    keeps ``v_l = beta / |beta|`` with ``beta`` the least-squares solution of the normal
    equations ``X'X beta = X'y``. No formula of the prediction is used.

    Parameters
    ----------
    levels : int
        ``L >= 1`` levels.
    noise : float
        ``sigma > 0``.
    samples : int
        ``n`` evaluations per fit (``n >= dim``; ``n > dim`` for the Gaussian design).
    dim : int
        ``d >= 2``.
    replicates : int
        Independent chains.
    rng : numpy.random.Generator
        Seeded random source.
    phi : float
        Coherent rotation per level (radians).
    design : {"orthogonal", "gaussian"}
        ``"orthogonal"``: ``X = sqrt(n) Q`` with ``Q`` a random matrix of orthonormal columns
        (``X'X = n I``), drawn once per level; ``"gaussian"``: rows of ``X`` i.i.d. standard
        normal, drawn for every chain.

    Returns
    -------
    numpy.ndarray, shape (replicates, levels)
        ``cos(v_l, v_0)`` for every chain and level.

    Raises
    ------
    ModelError
        For values outside their domains or an unknown design.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory.selection_depth import fitted_chain_sample
    >>> a = fitted_chain_sample(2, noise=1.0, samples=9, dim=5, replicates=4000,
    ...                         rng=np.random.default_rng(0))
    >>> a.shape, bool(abs(a[:, 1].mean() - 0.6635) < 0.02)
    ((4000, 2), True)
    """
    levels = check_int(levels, name="levels", low=1)
    d = check_int(dim, name="dim", low=2)
    n = check_int(samples, name="samples", low=d)
    reps = check_int(replicates, name="replicates", low=1)
    sigma = _check_positive(noise, "noise")
    if not math.isfinite(phi):
        raise ModelError(f"`phi` must be a finite angle in radians, got {phi!r}")
    if design not in _DESIGNS:
        raise ModelError(f"`design` must be one of {', '.join(_DESIGNS)}, got {design!r}")
    if design == "gaussian" and n <= d:
        raise ModelError(f"`samples` must exceed `dim` for the Gaussian design, got n={n}, d={d}")
    rot = np.eye(d)
    rot[:2, :2] = [[math.cos(phi), -math.sin(phi)], [math.sin(phi), math.cos(phi)]]
    v = np.zeros((reps, d))
    v[:, 0] = 1.0
    out = np.empty((reps, levels))
    for level in range(levels):
        target = v @ rot.T  # t_l = R v_{l-1}, one row per chain
        if design == "orthogonal":
            # One design per level, shared by the chains: X = sqrt(n) Q with orthonormal
            # columns, so X'X = n I and the error X'eps sigma / n is N(0, sigma^2/n I) whatever
            # Q is; the chains stay independent (their noise is).
            q, _ = np.linalg.qr(rng.standard_normal((n, d)))
            X = math.sqrt(n) * q
            y = target @ X.T + sigma * rng.standard_normal((reps, n))
            # Least squares: the normal equations X'X beta = X'y (the same X'X for every chain).
            beta = np.linalg.solve(X.T @ X, (y @ X).T).T
        else:
            Xs = rng.standard_normal((reps, n, d))
            y = np.einsum("rnd,rd->rn", Xs, target) + sigma * rng.standard_normal((reps, n))
            gram = np.einsum("rnd,rne->rde", Xs, Xs)
            beta = np.linalg.solve(gram, np.einsum("rnd,rn->rd", Xs, y)[..., None])[..., 0]
        v = beta / np.linalg.norm(beta, axis=1)[:, None]
        out[:, level] = v[:, 0]
    return out
