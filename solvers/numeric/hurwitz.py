"""Stability of flows at many points from the characteristic polynomial: vectorized Routh-Hurwitz.

An equilibrium of a flow is stable when every root of the characteristic polynomial
``p(l) = det(l I - J) = l**n + a_1 l**(n-1) + ... + a_n`` of its Jacobian has a negative real
part. By the Routh-Hurwitz criterion this holds iff every Hurwitz determinant
``Delta_1, ..., Delta_n`` is positive (Gantmacher 1959, ch. XV, sec. 6); the first column of the
Routh table is ``Delta_1, Delta_2 / Delta_1, ..., Delta_n / Delta_(n-1)``, so the test is that
the n + 1 entries of that column are positive, and the number of sign changes along it is the
number of roots in the right half-plane (sec. 6, Routh's theorem) when no entry vanishes.

:func:`charpoly_coefficients` gives the coefficients of stacks of Jacobians (Faddeev-LeVerrier,
elementwise over the points); :func:`hurwitz_codes` decides ``STABLE`` / ``UNSTABLE`` from them
with a few elementwise passes per table entry, and says where the decision is numerically
delicate: there (and only there) the caller computes eigenvalues and decides by
:mod:`.stability`'s band, so the codes are those of the eigenvalue route everywhere.

When is a decision delicate? Each Routh entry is a difference ``(r u - s v) / r``; its sign is
trusted only when the difference is larger than ``HURWITZ_TOL`` times ``|r u| + |s v|`` (the
size of the terms it cancels). The coefficients themselves must pass the same test against the
size of the terms they are sums of (``C(n, k) ||J||_inf**k``, a bound on a sum of k x k
principal minors). An eigenvalue within ``d`` of the imaginary axis makes ``Delta_(n-1)`` (a
complex pair) or ``a_n`` (a real root) of relative size about ``d / ||J||``; with HURWITZ_TOL
= 1e-6, far above the neutral band of :mod:`.stability` (1e-8 relative), every point that the
eigenvalue route would call neutral is delicate here, and every point that passes is decided as
the eigenvalue route decides it.

Maps: an equilibrium of a map is stable when every root lies inside the unit circle;
:func:`schur_cohn_codes` decides that by the Schur-Cohn recursion, with the same rule for
delicate points.

References
----------
.. [1] F. R. Gantmacher, *The Theory of Matrices*, vol. 2, Chelsea, 1959, ch. XV, sec. 6
   (Routh's algorithm, Hurwitz determinants) and sec. 13 (Lienard-Chipart).
.. [2] D. K. Faddeev and V. N. Faddeeva, *Computational Methods of Linear Algebra*, Freeman,
   1963, sec. 26 (the Faddeev-LeVerrier recursion for the characteristic polynomial).

Examples
--------
>>> import numpy as np
>>> J = np.array([[[-1.0, 2.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -3.0]],
...               [[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])
>>> codes, delicate = hurwitz_codes(charpoly_coefficients(J), J=J)
>>> codes.tolist(), delicate.tolist()
([0, 2], [False, True])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from incentive_geometry.errors import ModelError

from .kernels import lazy_kernel
from .stability import STABLE, UNSTABLE, stability_codes

__all__ = [
    "COMPILED_MIN",
    "HURWITZ_TOL",
    "charpoly_coefficients",
    "hurwitz_codes",
    "hurwitz_stability_codes",
    "schur_cohn_codes",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: A Routh entry or a coefficient decides its sign only when it is larger than this fraction of
#: the terms it is computed from (see the module docstring).
HURWITZ_TOL = 1e-6


#: Stacks of at least this many Jacobians go through the compiled kernel (numba, when
#: installed); the NumPy recursion below makes n**4 passes over the points' temporaries.
COMPILED_MIN = 50_000


@lazy_kernel
def _compiled_charpoly(numba: Any) -> Any:
    """The numba kernel of the Faddeev-LeVerrier recursion, point by point (the same recursion
    as the NumPy route), or None without numba (:func:`~.kernels.lazy_kernel`)."""

    @numba.njit(cache=True, nogil=True)
    def kernel(J: Any, out: Any) -> None:  # pragma: no cover
        n = J.shape[1]
        M = np.empty((n, n))
        JM = np.empty((n, n))
        for p in range(J.shape[0]):
            for i in range(n):
                for j in range(n):
                    M[i, j] = 1.0 if i == j else 0.0
            for k in range(1, n + 1):
                trace = 0.0
                for i in range(n):
                    for j in range(n):
                        acc = 0.0
                        for m in range(n):
                            acc += J[p, i, m] * M[m, j]
                        JM[i, j] = acc
                    trace += JM[i, i]
                c = -trace / k
                out[p, k - 1] = c
                for i in range(n):
                    for j in range(n):
                        M[i, j] = JM[i, j] + (c if i == j else 0.0)

    return kernel


def charpoly_coefficients(J: FloatArray) -> FloatArray:
    """Coefficients ``a_1, ..., a_n`` of ``det(l I - J) = l**n + a_1 l**(n-1) + ... + a_n`` for
    a stack of Jacobians ``J`` (..., n, n).

    The Faddeev-LeVerrier recursion ``M_1 = I``, ``a_k = -tr(J M_k) / k``,
    ``M_(k+1) = J M_k + a_k I``, with the matrix products written as n elementwise multiply-adds
    over the points (points on the last axis), not as a batched matmul of small matrices.

    Parameters
    ----------
    J : numpy.ndarray, shape (..., n, n)

    Returns
    -------
    numpy.ndarray, shape (..., n)

    References
    ----------
    .. [1] D. K. Faddeev and V. N. Faddeeva, *Computational Methods of Linear Algebra*,
       Freeman, 1963, sec. 26.

    Examples
    --------
    >>> import numpy as np
    >>> J = np.diag([-1.0, -2.0, -3.0])[None]   # (l + 1)(l + 2)(l + 3)
    >>> charpoly_coefficients(J).tolist()
    [[6.0, 11.0, 6.0]]
    """
    J = np.asarray(J, dtype=float)
    n = J.shape[-1]
    lead = J.shape[:-2]
    if J.shape[-2:] != (n, n):
        raise ModelError(f"`J` must be a stack of square matrices, got shape {J.shape}")
    kernel = _compiled_charpoly()
    if kernel is not None and J.size >= COMPILED_MIN * n * n:
        flat = np.ascontiguousarray(J.reshape(-1, n, n))
        out = np.empty((flat.shape[0], n))
        kernel(flat, out)
        return out.reshape(*lead, n)
    # Points last: every entry J[i, j] is one contiguous array over the points.
    A = np.ascontiguousarray(np.moveaxis(J.reshape(-1, n, n), 0, -1))
    count = A.shape[-1]
    M = np.zeros((n, n, count))
    for i in range(n):
        M[i, i] = 1.0
    coeffs = np.empty((n, count))
    for k in range(1, n + 1):
        # JM = J @ M, entry by entry.
        JM = np.zeros((n, n, count))
        for m in range(n):
            JM += A[:, m, None, :] * M[None, m, :, :]
        trace = JM[0, 0].copy()
        for i in range(1, n):
            trace += JM[i, i]
        coeffs[k - 1] = -trace / k
        if k < n:
            M = JM
            for i in range(n):
                M[i, i] += coeffs[k - 1]
    return np.moveaxis(coeffs, 0, -1).reshape(*lead, n)


def _term_bounds(J: FloatArray, count: int, n: int) -> list[np.ndarray]:
    """``e_0, ..., e_n`` over the points: e_k(r), the k-th elementary symmetric function of the
    absolute row sums r_i of J. The terms of a_k (all k x k principal minors, expanded) sum to
    at most e_k(r): each term takes one entry from each of its k rows."""
    r = np.abs(np.asarray(J, dtype=float).reshape(count, n, n)).sum(axis=-1).T
    e = [np.ones(count)] + [np.zeros(count) for _ in range(n)]
    for i in range(n):
        for k in range(i + 1, 0, -1):
            e[k] += r[i] * e[k - 1]
    return e


def hurwitz_codes(coeffs: FloatArray, *, J: FloatArray | None = None) -> tuple[Any, Any]:
    """``STABLE`` or ``UNSTABLE`` per characteristic polynomial by Routh's table, and where that
    decision is delicate (see the module docstring).

    Parameters
    ----------
    coeffs : numpy.ndarray, shape (..., n)
        ``a_1, ..., a_n`` of the monic polynomial ``l**n + a_1 l**(n-1) + ... + a_n``.
    J : numpy.ndarray, shape (..., n, n), optional
        The Jacobians the coefficients come from: their absolute row sums set the scale of the
        coefficients' rounding. Without it the coefficients are taken as exact (given in
        closed form), and only the table's cancellations are tested.

    Returns
    -------
    codes : numpy.ndarray of int8, shape (...)
        ``STABLE`` (every Routh entry positive) or ``UNSTABLE``; meaningless where delicate.
    delicate : numpy.ndarray of bool, shape (...)
        Where a Routh entry or a coefficient is within HURWITZ_TOL of the terms it cancels, or
        not finite: the caller decides those points from eigenvalues.

    References
    ----------
    .. [1] F. R. Gantmacher, *The Theory of Matrices*, vol. 2, Chelsea, 1959, ch. XV, sec. 6.

    Examples
    --------
    >>> import numpy as np
    >>> # l^3 + a1 l^2 + a2 l + a3 is stable iff a1 > 0, a3 > 0 and a1 a2 > a3.
    >>> codes, delicate = hurwitz_codes(np.array([[1.0, 1.0, 0.5], [1.0, 1.0, 2.0]]))
    >>> codes.tolist(), delicate.tolist()
    ([0, 2], [False, False])
    """
    a_in = np.asarray(coeffs, dtype=float)
    n = a_in.shape[-1]
    lead = a_in.shape[:-1]
    # Points last: each coefficient and each table entry is one contiguous array.
    a = np.ascontiguousarray(a_in.reshape(-1, n).T)
    count = a.shape[1]
    with np.errstate(all="ignore"):
        delicate = ~np.isfinite(a).all(axis=0)
        if J is not None:
            e = _term_bounds(J, count, n)
            for k in range(1, n + 1):
                delicate |= np.abs(a[k - 1]) <= HURWITZ_TOL * e[k]
        # Routh's table: rows of coefficients [1, a2, a4, ...] and [a1, a3, a5, ...]; the next
        # row from the two above, r_i[j] = (r_(i-1)[0] r_(i-2)[j+1] - r_(i-2)[0] r_(i-1)[j+1])
        # / r_(i-1)[0]. Stable iff the first column (1, a1, ...) is positive.
        width = n // 2 + 1
        zero = np.zeros(count)
        full = [np.ones(count), *a, zero, zero]
        prev = [full[2 * j] for j in range(width)]
        cur = [full[2 * j + 1] for j in range(width)]
        positive = cur[0] > 0
        delicate |= cur[0] == 0
        for _ in range(n - 1):
            nxt = [zero] * width
            head_prev, head_cur = prev[0], cur[0]
            for j in range(width - 1):
                left = head_cur * prev[j + 1]
                right = head_prev * cur[j + 1]
                diff = left - right
                terms = np.abs(left)
                terms += np.abs(right)
                terms *= HURWITZ_TOL
                if j == 0:
                    # The sign of the next first-column entry is that of diff / head_cur.
                    delicate |= ~(np.abs(diff) > terms)
                else:
                    # An entry that lost its digits to cancellation spoils the rows below it
                    # (an exact zero, both terms zero, does not).
                    delicate |= (terms > 0) & ~(np.abs(diff) > terms)
                diff /= head_cur
                nxt[j] = diff
            positive &= nxt[0] > 0
            delicate |= ~np.isfinite(nxt[0])
            prev, cur = cur, nxt
    codes = np.where(positive, STABLE, UNSTABLE).astype(np.int8)
    return codes.reshape(lead), delicate.reshape(lead)


def hurwitz_stability_codes(J: FloatArray) -> tuple[Any, Any]:
    """Stability codes of flows at a stack of Jacobians (..., n, n): Routh-Hurwitz where it is
    decisive, eigenvalues (:func:`~.stability.stability_codes`, with its neutral band) where it
    is delicate. Returns the codes (``STABLE``, ``NEUTRAL``, ``UNSTABLE``, as the eigenvalue
    route gives them) and the delicate mask.

    Parameters
    ----------
    J : numpy.ndarray, shape (..., n, n)

    Returns
    -------
    codes : numpy.ndarray of int8, shape (...)
    delicate : numpy.ndarray of bool, shape (...)

    References
    ----------
    .. [1] F. R. Gantmacher, *The Theory of Matrices*, vol. 2, Chelsea, 1959, ch. XV, sec. 6.

    Examples
    --------
    >>> import numpy as np
    >>> sigma, beta, rho = 10.0, 8 / 3, 28.0   # Lorenz at C+: unstable past rho_H = 24.74
    >>> x = np.sqrt(beta * (rho - 1))
    >>> J = np.array([[[-sigma, sigma, 0], [1, -1, -x], [x, x, -beta]]])
    >>> hurwitz_stability_codes(J)[0].tolist()
    [2]
    """
    J = np.asarray(J, dtype=float)
    codes, delicate = hurwitz_codes(charpoly_coefficients(J), J=J)
    if delicate.any():
        idx = np.nonzero(delicate)
        sub = J[idx]
        finite = np.isfinite(sub).all(axis=(-2, -1))
        eig = np.full(sub.shape[:-1], np.nan, dtype=complex)
        eig[finite] = np.linalg.eigvals(sub[finite])
        codes[idx] = stability_codes("continuous", eig)
    return codes, delicate


#: Maps: the coefficients' rounding (a few ulps of the bound e_k(r) on their terms) must stay
#: this far below HURWITZ_TOL for the Schur-Cohn test to decide (see `schur_cohn_codes`).
ROUNDING_MARGIN = 1e3


def schur_cohn_codes(coeffs: FloatArray, *, J: FloatArray | None = None) -> tuple[Any, Any]:
    """``STABLE`` or ``UNSTABLE`` per characteristic polynomial of a map (every root inside the
    unit circle, or not) by the Schur-Cohn recursion, and where that decision is delicate.

    For ``p(z) = c_0 z**n + c_1 z**(n-1) + ... + c_n`` (c_0 = 1) the reflection coefficient is
    ``k = c_n / c_0``; when ``|k| < 1``, p is stable iff ``r(z) = sum_i (c_i - k c_(n-i))
    z**(n-1-i)`` (degree n - 1) is; when ``|k| >= 1`` p is not stable (the product of its roots
    has modulus ``|k|``). So p is stable iff every ``|k|`` of the recursion is below 1. A
    decision is **delicate** where a ``|k|`` is within HURWITZ_TOL of 1 before the first
    ``|k| >= 1`` (a root near the unit circle: the eigenvalue route's neutral band is 1e-8), where
    an entry ``c_i - k c_(n-i)`` lost its digits to cancellation (as in `hurwitz_codes`), where a
    value is not finite, or, with `J`, where the coefficients' rounding (``n eps e_k(r)``, r the
    absolute row sums of J) is not ROUNDING_MARGIN times below HURWITZ_TOL.

    Parameters
    ----------
    coeffs : numpy.ndarray, shape (..., n)
        ``a_1, ..., a_n`` of the monic polynomial ``z**n + a_1 z**(n-1) + ... + a_n``.
    J : numpy.ndarray, shape (..., n, n), optional
        The Jacobians of the map the coefficients come from.

    Returns
    -------
    codes : numpy.ndarray of int8, shape (...)
    delicate : numpy.ndarray of bool, shape (...)

    References
    ----------
    .. [1] A. Cohn, "Ueber die Anzahl der Wurzeln einer algebraischen Gleichung in einem
       Kreise", *Math. Z.* 14 (1922) 110-148; I. Schur, *J. reine angew. Math.* 147 (1917).
    .. [2] E. I. Jury, *Theory and Application of the z-Transform Method*, Wiley, 1964, ch. 3
       (the stability table of discrete systems).

    Examples
    --------
    >>> import numpy as np
    >>> # (z - 0.5)(z + 0.2)(z - 0.9) is stable; z**3 - 0.5 z**2 + 0.3 z - 1.1 is not.
    >>> a = np.array([np.poly([0.5, -0.2, 0.9])[1:], [-0.5, 0.3, -1.1]])
    >>> codes, delicate = schur_cohn_codes(a)
    >>> codes.tolist(), delicate.tolist()
    ([0, 2], [False, False])
    """
    a_in = np.asarray(coeffs, dtype=float)
    n = a_in.shape[-1]
    lead = a_in.shape[:-1]
    a = np.ascontiguousarray(a_in.reshape(-1, n).T)  # points last
    count = a.shape[1]
    with np.errstate(all="ignore"):
        delicate = ~np.isfinite(a).all(axis=0)
        if J is not None:
            worst = np.max(np.stack(_term_bounds(J, count, n)[1:]), axis=0)
            delicate |= ~(ROUNDING_MARGIN * n * np.finfo(float).eps * worst < HURWITZ_TOL)
        c = [np.ones(count), *a]
        stable = np.ones(count, dtype=bool)
        open_ = np.ones(count, dtype=bool)  # no |k| >= 1 yet: the decision is still open
        for j in range(n, 0, -1):
            k = c[j] / c[0]
            size = np.abs(k)
            delicate |= open_ & ~(np.abs(size - 1.0) > HURWITZ_TOL)
            out = size >= 1.0
            stable &= ~out
            nxt = []
            for i in range(j):
                term = k * c[j - i]
                entry = c[i] - term
                terms = HURWITZ_TOL * (np.abs(c[i]) + np.abs(term))
                if i > 0:
                    delicate |= open_ & ~out & (terms > 0) & ~(np.abs(entry) > terms)
                nxt.append(entry)
            open_ &= ~out
            c = nxt
    codes = np.where(stable, STABLE, UNSTABLE).astype(np.int8)
    return codes.reshape(lead), delicate.reshape(lead)
