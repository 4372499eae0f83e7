"""Root-location tests for polynomials with symbolic coefficients.

Released SymPy has no Routh-Hurwitz or Schur-Cohn routine; these are written here.

* :func:`hurwitz_determinants` and :func:`hurwitz_conditions` (Lienard-Chipart form): every
  root of ``p`` in the open left half-plane (continuous-time stability).
* :func:`schur_cohn_conditions`: every root in the open unit disk (discrete-time stability), by
  the Schur-Cohn recursion.
* :func:`moebius_transform`: ``(1 - w)^n p((1 + w)/(1 - w))``, which maps the unit disk to the
  left half-plane; a Hopf condition of the transformed polynomial is a Neimark-Sacker condition
  of ``p``.

References
----------
.. [1] F. R. Gantmacher, *The Theory of Matrices*, vol. 2, Chelsea, 1959, ch. XV
   (Hurwitz determinants; Lienard-Chipart criterion, sec. 13).
.. [2] P. Henrici, *Applied and Computational Complex Analysis*, vol. 1, Wiley, 1974,
   sec. 6.8 (the Schur-Cohn algorithm).

Examples
--------
>>> import sympy

>>> from incentive_geometry.solvers.symbolic.hurwitz import hurwitz_conditions
>>> a, b, lam = sympy.symbols("a b lambda")
>>> hurwitz_conditions([1, a, b])
[a > 0, b > 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from .conditions import expression_size, strict

# Polynomials larger than this (expression nodes) are not expanded.
_EXPAND_LIMIT = 400

__all__ = [
    "coefficients",
    "hurwitz_conditions",
    "hurwitz_determinants",
    "moebius_transform",
    "monic_coefficient",
    "schur_cohn_conditions",
]


def coefficients(poly: Any, var: Any) -> list[Any]:
    """Coefficients of `poly` in `var`, highest degree first.

    Parameters
    ----------
    poly : sympy.Expr
        A polynomial in `var`.
    var : sympy.Symbol

    Returns
    -------
    list of sympy.Expr

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.hurwitz import coefficients
    >>> x, a = sympy.symbols("x a")
    >>> coefficients(x**2 + a*x - 1, x)
    [1, a, -1]
    """
    poly = strict(poly)
    if expression_size(poly, _EXPAND_LIMIT) <= _EXPAND_LIMIT:
        return [sympy.expand(c) for c in sympy.Poly(poly, var).all_coeffs()]
    # Large coefficients (Cardano roots): Taylor coefficients at 0, never expanded, since
    # building a polynomial domain over them takes minutes.
    if not poly.is_polynomial(var):
        raise ValueError(f"`poly` must be a polynomial in {var}")
    out = []
    d = poly
    k = 0
    while d.has(var):
        out.append(d.xreplace({var: 0}) / sympy.factorial(k))
        d = sympy.diff(d, var)
        k += 1
    out.append(d / sympy.factorial(k))
    return list(reversed(out))


def monic_coefficient(c: Any, lead: Any) -> Any:
    """``c / lead``, cancelled when small (a coefficient of the monic polynomial).

    Parameters
    ----------
    c, lead : sympy.Expr

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.hurwitz import monic_coefficient
    >>> a = sympy.Symbol("a")
    >>> monic_coefficient(a**2 - 1, a - 1)
    a + 1
    """
    c, lead = strict(c), strict(lead)
    if lead == 1:
        return c
    if expression_size(c / lead, _EXPAND_LIMIT) <= _EXPAND_LIMIT:
        return sympy.cancel(c / lead)
    return c / lead


def hurwitz_determinants(coeffs: Sequence[Any]) -> list[Any]:
    """The Hurwitz determinants ``Delta_1 .. Delta_n`` of ``a_0 s^n + a_1 s^(n-1) + ... + a_n``.

    ``H[i, j] = a_{2j - i + 1}`` (1-based, ``a_k = 0`` outside ``0..n``); ``Delta_k`` is the
    k-th leading principal minor.

    Parameters
    ----------
    coeffs : sequence of sympy.Expr
        ``a_0, ..., a_n``, highest degree first.

    Returns
    -------
    list of sympy.Expr

    References
    ----------
    .. [1] F. R. Gantmacher, *The Theory of Matrices*, vol. 2, ch. XV, sec. 6.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.hurwitz import hurwitz_determinants
    >>> a1, a2, a3 = sympy.symbols("a1 a2 a3")
    >>> hurwitz_determinants([1, a1, a2, a3])
    [a1, a1*a2 - a3, a3*(a1*a2 - a3)]
    """
    a = [strict(c) for c in coeffs]
    n = len(a) - 1

    def coef(k: int) -> Any:
        return a[k] if 0 <= k <= n else sympy.Integer(0)

    H = sympy.Matrix(n, n, lambda i, j: coef(2 * (j + 1) - (i + 1)))
    out: list[Any] = []
    for k in range(1, n + 1):
        # Delta_n = a_n Delta_{n-1}: the last column of H holds a_n alone.
        if k == n and n > 1:
            out.append(sympy.factor(a[n] * out[-1]) if out else a[n])
            continue
        out.append(sympy.expand(H[:k, :k].det(method="berkowitz")))
    return out


def hurwitz_conditions(coeffs: Sequence[Any]) -> list[Any]:
    """Conditions for every root of a real polynomial to lie in the open left half-plane.

    Lienard-Chipart form for a polynomial normalized to ``a_0 > 0``: every coefficient
    positive, and the Hurwitz determinants ``Delta_{n-1}, Delta_{n-3}, ...`` positive.
    (Together these are equivalent to all Hurwitz determinants positive.)

    Parameters
    ----------
    coeffs : sequence of sympy.Expr
        ``a_0, ..., a_n``, highest degree first; ``a_0`` must be a positive number.

    Returns
    -------
    list of sympy relational
        Conditions ``expr > 0``, not yet simplified.

    Raises
    ------
    ValueError
        If the leading coefficient is not a positive number.

    References
    ----------
    .. [1] F. R. Gantmacher, *The Theory of Matrices*, vol. 2, ch. XV, sec. 13 (Lienard-Chipart).

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.hurwitz import hurwitz_conditions
    >>> a1, a2, a3 = sympy.symbols("a1 a2 a3")
    >>> hurwitz_conditions([1, a1, a2, a3])
    [a1 > 0, a2 > 0, a3 > 0, a1*a2 - a3 > 0]
    """
    a = [strict(c) for c in coeffs]
    if not (a[0].is_number and a[0] > 0):
        raise ValueError(f"`coeffs` must start with a positive number, got {a[0]}")
    n = len(a) - 1
    conds = [sympy.Gt(c, 0) for c in a[1:]]
    if n >= 3:
        deltas = hurwitz_determinants(a[:])
        # Lienard-Chipart: with all a_i > 0, Delta_{n-1} > 0, Delta_{n-3} > 0, ... suffice.
        for k in range(n - 1, 1, -2):
            conds.append(sympy.Gt(deltas[k - 1], 0))
    return [c for c in conds if c is not sympy.true]


def schur_cohn_conditions(coeffs: Sequence[Any]) -> list[Any]:
    """Conditions for every root of a real polynomial to lie in the open unit disk.

    The Schur-Cohn recursion: with ``p*(z) = z^n p(1/z)`` (coefficients reversed),
    ``p`` has all its roots in the unit disk iff ``|a_n| < |a_0|`` and
    ``p_1(z) = (a_0 p(z) - a_n p*(z)) / z`` (degree n - 1) has too. On ``|z| = 1``,
    ``|p*| = |p|``, so by Rouche ``a_0 p - a_n p*`` has as many roots inside as ``p``. Each step
    gives ``a_0^2 - a_n^2 > 0``.

    Parameters
    ----------
    coeffs : sequence of sympy.Expr
        ``a_0, ..., a_n``, highest degree first.

    Returns
    -------
    list of sympy relational

    References
    ----------
    .. [1] P. Henrici, *Applied and Computational Complex Analysis*, vol. 1, sec. 6.8.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.hurwitz import schur_cohn_conditions
    >>> a = sympy.Symbol("a")
    >>> schur_cohn_conditions([1, -a])
    [1 - a**2 > 0]
    """
    a = [strict(c) for c in coeffs]
    conds: list[Any] = []
    while len(a) > 1:
        lead, last = a[0], a[-1]
        conds.append(sympy.Gt(sympy.expand(lead**2 - last**2), 0))
        rev = a[::-1]
        # (a_0 p - a_n p*) / z: the constant term a_0 a_n - a_n a_0 vanishes.
        combo = [sympy.expand(lead * x - last * y) for x, y in zip(a, rev, strict=True)]
        a = combo[:-1]
        # A factor common to every coefficient moves no root (and enters the next condition
        # squared), so it is divided out to keep the coefficients small.
        common = sympy.gcd_list(a) if all(c.is_polynomial() for c in a) else sympy.Integer(1)
        if common != 0 and common.free_symbols:
            a = [sympy.cancel(c / common) for c in a]
    return [c for c in conds if c is not sympy.true]


def moebius_transform(coeffs: Sequence[Any]) -> list[Any]:
    """Coefficients of ``(1 - w)^n p((1 + w)/(1 - w))``: the unit disk mapped to the left half-plane.

    Parameters
    ----------
    coeffs : sequence of sympy.Expr
        ``a_0, ..., a_n`` of ``p``, highest degree first.

    Returns
    -------
    list of sympy.Expr
        Coefficients of the transformed polynomial in ``w``, highest degree first.

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.hurwitz import moebius_transform
    >>> moebius_transform([1, 0])   # z -> (1 + w)
    [1, 1]
    """
    w = sympy.Dummy("w")
    n = len(coeffs) - 1
    q = sum(
        (strict(c) * (1 + w) ** (n - i) * (1 - w) ** i for i, c in enumerate(coeffs)),
        sympy.Integer(0),
    )
    return [sympy.expand(c) for c in sympy.Poly(sympy.expand(q), w).all_coeffs()]
