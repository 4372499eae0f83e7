"""One chunk of a sweep: equilibria, eigenvalues and stability at a block of parameter points.

Internal to :func:`~.sweep.sweep`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from incentive_geometry.model import Model

from .compile import compile_model
from .stability import NEUTRAL, STABLE, stability_codes, stability_margin
from .sweep_plan import (
    ROUNDING,
    UNCERTAIN_BAND,
    SweepPlan,
    closed_form_points,
    domain_ok,
    merge_coincident,
    newton_batch,
    param_rows,
    term_sizes,
)

__all__ = ["DOUBLE_ROOT_TOL", "spectra"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


#: Relative size below which the discriminant of a 2x2 characteristic polynomial counts as zero
#: (a double eigenvalue): there ``sqrt(disc)`` loses half the digits, so those Jacobians go to
#: LAPACK instead of the closed form.
DOUBLE_ROOT_TOL = 1e-8


def spectra(J: FloatArray) -> np.ndarray:
    """Eigenvalues of a stack of Jacobians ``(..., n, n)``: closed form for n <= 2, else LAPACK.

    For n = 2 the characteristic polynomial is ``l**2 - tr l + det`` (tr, det of the stack, no
    sort and no LAPACK call). With ``m = tr / 2`` and ``disc = m**2 - det``:

    * ``disc < 0``: ``m +- i sqrt(-disc)`` (both digits exact);
    * ``disc > 0``: ``l1 = m + sign(m) sqrt(disc)`` and ``l2 = det / l1`` (no cancellation, the
      small root of a stiff Jacobian keeps its digits);
    * ``|disc| <= DOUBLE_ROOT_TOL (m**2 + |det|)``, or anything not finite: a near double root,
      numerically delicate; these Jacobians alone go to :func:`numpy.linalg.eigvals`.

    Stability is then decided from these eigenvalues by :mod:`.stability`, with the same band
    as before, so the map agrees with the eigenvalue route wherever both are accurate. It is
    the Routh-Hurwitz test of degree 2 (stable flow iff ``tr < 0 < det``) with a margin.

    Parameters
    ----------
    J : numpy.ndarray, shape (..., n, n)

    Returns
    -------
    numpy.ndarray of complex, shape (..., n)

    References
    ----------
    .. [1] W. H. Press et al., *Numerical Recipes*, 3rd ed., Cambridge, 2007, section 5.6
       (roots of a quadratic without cancellation).

    Examples
    --------
    >>> import numpy as np
    >>> J = np.array([[[0.0, 1.0], [-2.0, -2.0]], [[-1.0, 0.0], [0.0, -1e-9]]])
    >>> lam = spectra(J)
    >>> lam[0].tolist(), lam[1].real.tolist()
    ([(-1+1j), (-1-1j)], [-1.0, -1e-09])
    """
    n = J.shape[-1]
    if n == 1:
        return J[..., 0, :].astype(complex)
    if n != 2:
        return np.linalg.eigvals(J)
    a, b, c, d = J[..., 0, 0], J[..., 0, 1], J[..., 1, 0], J[..., 1, 1]
    with np.errstate(all="ignore"):
        m = 0.5 * (a + d)
        det = a * d - b * c
        # m**2 - det = ((a - d) / 2)**2 + b c: written so, it has no cancellation when b c >= 0.
        disc = (0.5 * (a - d)) ** 2 + b * c
        root = np.sqrt(np.abs(disc))
        out = np.empty((*J.shape[:-2], 2), dtype=complex)
        big = m + np.copysign(root, m)
        small = np.where(big != 0.0, det / np.where(big != 0.0, big, 1.0), 0.0)
        real = disc > 0
        out[..., 0] = np.where(real, big, m + 1j * root)
        out[..., 1] = np.where(real, small, m - 1j * root)
        delicate = (
            ~np.isfinite(disc)
            | ~np.isfinite(m)
            | (np.abs(disc) <= DOUBLE_ROOT_TOL * (m * m + np.abs(det)))
        )
    if delicate.any():
        out[delicate] = np.linalg.eigvals(J[delicate])
    return out


def _eigenvalue_uncertainty(
    model: Model, X: FloatArray, P: FloatArray, J: FloatArray
) -> FloatArray:
    """How far the eigenvalues of the Jacobian `J` (..., n, n) at the computed equilibria `X`
    may be from the true ones: ``||J(x + dx) - J(x)||_F`` with ``dx = J_F^-1 e`` (see ROUNDING).
    Zero where J_F is singular (there the margin is not negative anyway)."""
    n = X.shape[-1]
    JF = J - (np.eye(n) if model.time == "discrete" else 0.0)
    with np.errstate(all="ignore"):
        det = np.asarray(np.linalg.det(JF))
    singular = ~np.isfinite(det) | (np.abs(det) < 1e-300)
    noise = ROUNDING * (1.0 + term_sizes(model, X, P))
    noise = np.where(np.isfinite(noise) & ~singular[..., None], noise, 0.0)
    dx = np.linalg.solve(np.where(singular[..., None, None], np.eye(n), JF), noise[..., None])
    J2 = compile_model(model).jac(X + dx[..., 0], P)
    with np.errstate(all="ignore"):
        spread = np.sqrt(np.sum((J2 - J) ** 2, axis=(-2, -1)))
    return np.where(np.isfinite(spread), spread, np.inf)


def evaluate_chunk(
    plan: SweepPlan, values: FloatArray, seeds: FloatArray | None, index: int
) -> dict[str, np.ndarray]:
    """One chunk: equilibria, existence, eigenvalues and stability at the rows of `values`.

    For the numeric method, `seeds` (c, E', n) are the point's roots after the seeding passes
    (its own E first, then its neighbours'); Newton refines them and the point's stability
    follows. ``incomplete`` (c,) marks the points with more equilibria than the E slots hold
    (found in this pass, or the point's own E slots already full from the previous one).
    """
    model = plan.model
    cm = compile_model(model)
    c = values.shape[0]
    P = param_rows(plan, values)
    out: dict[str, np.ndarray] = {}
    if plan.method == "closed_form":
        X, why, claimed, repaired = closed_form_points(plan, P)
        E = X.shape[1]
        out = {"why": why, "claimed": claimed, "repaired": repaired}
        incomplete = np.zeros(c, dtype=bool)
    else:
        X, incomplete = newton_batch(plan, P, seeds)
        E = X.shape[1]
        if seeds is not None:
            # A point whose own roots of the previous pass filled every slot may have lost some
            # there (cut at `max_equilibria`), which this pass cannot see when it refinds only
            # E: the list is known complete only when it has room left.
            own_full = np.isfinite(seeds[:, :E]).all(-1).all(-1)
            incomplete |= own_full & (np.isfinite(X).all(-1).sum(-1) >= E)
    Pb = np.broadcast_to(P[:, None, :], (c, E, P.shape[1]))
    exists = domain_ok(model, X, Pb)
    if plan.method == "closed_form":
        exists = merge_coincident(X, exists)
    # Flows: stable iff every Re(lambda) < 0; maps: iff every |lambda| < 1 (Jacobian of the map),
    # beyond the neutral band of `.stability`. A Jacobian that is not finite at an equilibrium
    # (sqrt(x) at x = 0) does not decide: that equilibrium is neutral.
    J = cm.jac(np.where(exists[..., None], X, 0.0), Pb)
    finite_J = np.isfinite(J).all(axis=(-2, -1))
    J = np.where(np.isfinite(J), J, 0.0)
    eig = spectra(J)
    codes = np.asarray(stability_codes(model.time, eig))
    # Stable only with a margin beyond what the rounding of F leaves uncertain (see ROUNDING).
    # That uncertainty is large only next to a singular J_F, where an eigenvalue is near 0
    # (flows) or near modulus 1 (maps), so the margin is near 0 too: it is computed only where
    # the margin is negative but within UNCERTAIN_BAND * (1 + max |lambda|) of 0.
    margin = stability_margin(model.time, eig)
    band = (
        exists
        & (codes == STABLE)
        & (margin > -UNCERTAIN_BAND * (1.0 + np.max(np.abs(eig), axis=-1)))
    )
    if band.any():
        idx = np.nonzero(band)
        spread = _eigenvalue_uncertainty(model, X[idx], Pb[idx], J[idx])
        codes[idx] = stability_codes(model.time, eig[idx], uncertainty=spread)
    codes = np.where(finite_J, codes, NEUTRAL)
    stable = exists & (codes == STABLE)
    neutral = exists & (codes == NEUTRAL)
    eig = np.where(exists[..., None], eig, np.nan)
    X = np.where(exists[..., None], X, np.nan)
    defined = _defined(plan, cm, P, np.asarray(exists.any(axis=1)))
    return {
        "x": X,
        "exists": exists,
        "stable": stable,
        "neutral": neutral,
        "eigenvalues": eig,
        "defined": defined,
        # Where the equilibria are not all known (more than `max_equilibria`): such a point
        # must not be classed from the ones kept (see `newton_batch`).
        "incomplete": incomplete,
        **out,
    }


def _defined(plan: SweepPlan, cm: Any, P: FloatArray, has_equilibrium: np.ndarray) -> np.ndarray:
    """Whether the model is defined at each parameter point: it has an equilibrium, or its
    right-hand side is finite at one of the plan's probe states (``log(a)`` with ``a <= 0`` is
    finite nowhere)."""
    defined = has_equilibrium.copy()
    rows = np.flatnonzero(~defined)
    if rows.size:
        K = plan.probes.shape[0]
        Xp = np.broadcast_to(plan.probes, (rows.size, K, plan.probes.shape[1]))
        Pp = np.broadcast_to(P[rows, None, :], (rows.size, K, P.shape[1]))
        with np.errstate(all="ignore"):
            F = np.asarray(cm.rhs(Xp, Pp), dtype=float)
        defined[rows] = np.isfinite(F).all(axis=-1).any(axis=-1)
    return defined
