"""One chunk of a sweep: equilibria, eigenvalues and stability at a block of parameter points.

Internal to :func:`~.sweep.sweep`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from incentive_geometry.model import Model

from .compile import compile_model
from .hurwitz import charpoly_coefficients, hurwitz_codes, schur_cohn_codes
from .kernels import lazy_kernel
from .stability import NEUTRAL, STABILITY_TOL, STABLE, UNSTABLE, stability_codes
from .sweep_fused import FUSED_MIN, PATTERN_SLOTS, drop_kernel, fused_kernel, run_fused
from .sweep_plan import (
    DOUBLE_ROOT_TOL,
    ROUNDING,
    UNCERTAIN_BAND,
    SweepPlan,
    claimed_at,
    closed_form_points,
    domain_ok,
    last_all,
    last_any,
    last_max,
    merge_coincident,
    newton_batch,
    param_rows,
    term_sizes,
)

__all__ = ["DOUBLE_ROOT_TOL", "spectra"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


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
    if J.size >= 4 * COMPILED_MIN and J.dtype == np.float64:
        compiled = _spectra2_compiled(J, "continuous")
        if compiled is not None:
            return compiled[0]
    a, b, c, d = J[..., 0, 0], J[..., 0, 1], J[..., 1, 0], J[..., 1, 1]
    out = np.empty((*J.shape[:-2], 2), dtype=complex)
    # Real and imaginary parts written in place through a float view (no complex temporaries).
    parts = out.view(float).reshape(*J.shape[:-2], 2, 2)
    with np.errstate(all="ignore"):
        m = a + d
        m *= 0.5
        det = a * d
        det -= b * c
        # m**2 - det = ((a - d) / 2)**2 + b c: written so, it has no cancellation when b c >= 0.
        disc = a - d
        disc *= 0.5
        disc *= disc
        disc += b * c
        real = disc > 0
        root = np.sqrt(np.abs(disc))
        big = np.copysign(root, m)
        big += m
        small = det / big
        small[big == 0.0] = 0.0
        np.copyto(parts[..., 0, 0], m)
        np.copyto(parts[..., 1, 0], m)
        np.copyto(parts[..., 0, 0], big, where=real)
        np.copyto(parts[..., 1, 0], small, where=real)
        np.copyto(parts[..., 0, 1], root)
        parts[..., 0, 1][real] = 0.0
        np.negative(parts[..., 0, 1], out=parts[..., 1, 1])
        scale = m * m
        scale += np.abs(det)
        scale *= DOUBLE_ROOT_TOL
        delicate = np.abs(disc) <= scale
        delicate |= ~np.isfinite(disc)
        delicate |= ~np.isfinite(m)
    if delicate.any():
        out[delicate] = np.linalg.eigvals(J[delicate])
    return out


#: Stacks of at least this many 2x2 Jacobians go through the compiled kernel (numba, when
#: installed): one pass over the data instead of about 25 NumPy passes; smaller stacks never pay
#: its compilation.
COMPILED_MIN = 50_000


@lazy_kernel
def _compiled_spectra2(numba: Any) -> Any:
    """The numba kernel of the closed-form 2x2 spectra (the same formulas as the NumPy route
    of `spectra`, element by element), or None without numba (:func:`~.kernels.lazy_kernel`)."""

    @numba.njit(cache=True, nogil=True)
    def kernel(
        J: Any, out: Any, delicate: Any, tol: float, margin: Any, size: Any, discrete: bool
    ) -> None:  # pragma: no cover
        for k in range(J.shape[0]):
            a, b, c, d = J[k, 0], J[k, 1], J[k, 2], J[k, 3]
            m = 0.5 * (a + d)
            det = a * d - b * c
            h = 0.5 * (a - d)
            disc = h * h + b * c
            root = math.sqrt(abs(disc))
            if disc > 0:
                big = m + math.copysign(root, m)  # no cancellation (Press et al. 5.6)
                small = det / big if big != 0.0 else 0.0
                out[k, 0] = complex(big, 0.0)
                out[k, 1] = complex(small, 0.0)
                size[k] = max(abs(big), abs(small))
                margin[k] = max(big, small)
            else:
                out[k, 0] = complex(m, root)
                out[k, 1] = complex(m, -root)
                size[k] = abs(out[k, 0])
                margin[k] = m
            if discrete:
                margin[k] = size[k] - 1.0
            delicate[k] = (
                not math.isfinite(disc)
                or not math.isfinite(m)
                or abs(disc) <= tol * (m * m + abs(det))
            )

    return kernel


def _spectra2_compiled(
    J: FloatArray, time: str
) -> tuple[np.ndarray, FloatArray, FloatArray] | None:
    """Eigenvalues, stability margins and sizes of a stack of 2x2 Jacobians from the compiled
    kernel (identical to the NumPy route of `spectra` and to `_margin_and_size`), or None
    without numba."""
    kernel = _compiled_spectra2()
    if kernel is None:
        return None
    lead = J.shape[:-2]
    flat = np.ascontiguousarray(J).reshape(-1, 4)
    out = np.empty((flat.shape[0], 2), dtype=complex)
    delicate = np.empty(flat.shape[0], dtype=np.bool_)
    margin = np.empty(flat.shape[0])
    size = np.empty(flat.shape[0])
    kernel(flat, out, delicate, DOUBLE_ROOT_TOL, margin, size, time == "discrete")
    if delicate.any():
        # NaN propagates as in the NumPy route (np.max over NaN is NaN; Python's max is not).
        out[delicate] = np.linalg.eigvals(flat[delicate].reshape(-1, 2, 2))
        margin[delicate], size[delicate] = _margin_and_size(time, out[delicate])
    return out.reshape(*lead, 2), margin.reshape(lead), size.reshape(lead)


def spectra_margins(J: FloatArray, time: str) -> tuple[np.ndarray, FloatArray, FloatArray]:
    """`spectra` of the stack `J` (..., n, n) with the stability margin and the largest modulus
    of each spectrum (as :func:`~.stability.stability_margin` defines the margin)."""
    if J.shape[-1] == 2 and J.size >= 4 * COMPILED_MIN and J.dtype == np.float64:
        compiled = _spectra2_compiled(J, time)
        if compiled is not None:
            return compiled
    eig = spectra(J)
    margin, size = _margin_and_size(time, eig)
    return eig, margin, size


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


def _margin_and_size(time: str, eig: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """The stability margin (largest real part, or largest modulus minus one) and the largest
    modulus of each spectrum, as :func:`~.stability.stability_margin` defines them (NaN
    propagates)."""
    if eig.shape[-1] == 0:
        shape = eig.shape[:-1]
        return np.full(shape, -np.inf), np.zeros(shape)
    with np.errstate(invalid="ignore"):
        modulus = np.abs(eig)
        size = last_max(modulus)
        if time == "discrete":
            return size - 1.0, size
        return last_max(eig.real), size


def _codes(margin: FloatArray, size: FloatArray) -> np.ndarray:
    """``STABLE``, ``NEUTRAL``, ``UNSTABLE`` from the margin and the size of each spectrum: the
    band ``STABILITY_TOL (1 + max |lambda|)`` of :func:`~.stability.stability_codes`, NaN
    neutral."""
    band = STABILITY_TOL * (1.0 + size)
    codes = np.full(margin.shape, NEUTRAL, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        codes[margin < -band] = STABLE
        codes[margin > band] = UNSTABLE
    return codes


def evaluate_chunk(
    plan: SweepPlan, values: FloatArray, seeds: FloatArray | None, index: int
) -> dict[str, np.ndarray]:
    """One chunk: equilibria, existence, eigenvalues and stability at the rows of `values`.

    For the numeric method, `seeds` (c, E', n) are the point's roots after the seeding passes
    (its own E first, then its neighbours'); Newton refines them and the point's stability
    follows. ``incomplete`` (c,) marks the points with more equilibria than the E slots hold
    (found in this pass, or the point's own E slots already full from the previous one).
    """
    if plan.method == "closed_form" and plan.compiled is not False and len(values) >= FUSED_MIN:
        kernel = fused_kernel(plan, build=plan.compiled is True)
        if kernel is not None:
            try:
                return _fused_rows(plan, kernel, values)
            except Exception:  # generated code that fails at run time: the NumPy route
                drop_kernel(plan)
    return evaluate_rows(plan, param_rows(plan, values), seeds)


def _fused_rows(plan: SweepPlan, kernel: Any, values: FloatArray) -> dict[str, np.ndarray]:
    """`evaluate_rows` through the plan's fused kernel (`.sweep_fused`): the kernel decides
    the points whose checks are all clear, and the NumPy route the points it flags."""
    out = run_fused(kernel, plan, values)
    flag = out.pop("flag")
    c, E = out["exists"].shape
    if "claimed" not in out:  # conditions the kernel has no code for
        out["claimed"] = claimed_at(plan, values)
    out["repaired"] = np.zeros((c, E), dtype=bool)
    out["incomplete"] = np.zeros(c, dtype=bool)
    if flag.any():
        rows = np.flatnonzero(flag)
        sub = evaluate_rows(plan, param_rows(plan, values[rows]), None)
        for key, arr in out.items():
            arr[rows] = sub[key]
    exists = out["exists"]
    has_equilibrium = last_any(exists)
    out["defined"] = has_equilibrium
    if not has_equilibrium.all():
        rows = np.flatnonzero(~has_equilibrium)
        cm = compile_model(plan.model)
        out["defined"] = has_equilibrium.copy()
        out["defined"][rows] = _defined(
            plan, cm, param_rows(plan, values[rows]), has_equilibrium[rows]
        )
    return out


def evaluate_rows(
    plan: SweepPlan, P: FloatArray, seeds: FloatArray | None
) -> dict[str, np.ndarray]:
    """`evaluate_chunk` at full parameter rows `P` (c, m), by NumPy."""
    model = plan.model
    cm = compile_model(model)
    c = P.shape[0]
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
    all_exist = bool(exists.all())
    J = cm.jac(X if all_exist else np.where(exists[..., None], X, 0.0), Pb)
    finite = np.isfinite(J)
    finite_J = last_all(finite.reshape(*J.shape[:-2], -1))
    if not finite_J.all():
        J = np.where(finite, J, 0.0)
    del finite
    # The rule of `.stability.stability_codes`, with the reductions over the short last axis
    # written as elementwise passes (see `last_max`): margin and size once, for both uses.
    if uses_hurwitz(plan):
        # Routh-Hurwitz (flows) or Schur-Cohn (maps) on the characteristic polynomial;
        # eigenvalues only where it is delicate, decided there as below (`.hurwitz`). NaN
        # elsewhere: not computed.
        test = hurwitz_codes if model.time == "continuous" else schur_cohn_codes
        codes, delicate = test(charpoly_coefficients(J), J=J)
        eig = np.full(J.shape[:-1], np.nan, dtype=complex)
        delicate &= exists
        if delicate.any():
            idx = np.nonzero(delicate)
            eig[idx], codes[idx] = _eigenvalue_codes(model, X[idx], Pb[idx], J[idx])
    else:
        eig, codes = _eigenvalue_codes(model, X, Pb, J, where=exists)
    codes[~finite_J] = NEUTRAL
    stable = exists & (codes == STABLE)
    neutral = exists & (codes == NEUTRAL)
    if not all_exist:
        eig[~exists] = np.nan
        X = np.where(exists[..., None], X, np.nan)
    has_equilibrium = last_any(exists)
    defined = _defined(plan, cm, P, has_equilibrium)
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
        **({"pattern": slot_pattern(stable, neutral)} if plan.method == "closed_form" else {}),
    }


def slot_pattern(stable: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """Per point, bit e for a stable slot e and bit E + e for a neutral one (int32; zeros for
    more than PATTERN_SLOTS slots, whose classes the sweep makes slot by slot)."""
    c, E = stable.shape
    pattern = np.zeros(c, dtype=np.int32)
    if E > PATTERN_SLOTS:
        return pattern
    for e in range(E):
        pattern |= stable[:, e].astype(np.int32) << e
        pattern |= neutral[:, e].astype(np.int32) << (E + e)
    return pattern


def uses_hurwitz(plan: SweepPlan) -> bool:
    """Whether the plan decides stability from the characteristic polynomial (`.hurwitz`:
    Routh-Hurwitz for flows, Schur-Cohn for maps) instead of eigenvalues: models of three or
    more states swept with ``eigenvalues=False``."""
    return not plan.spectra and len(plan.model.states) >= 3


def fill_spectra(
    plan: SweepPlan,
    values: FloatArray,
    rows: np.ndarray,
    X: FloatArray,
    exists: np.ndarray,
    eig: np.ndarray,
) -> None:
    """Write the eigenvalues of the existing equilibria at the points `rows` into `eig`
    (the map's array, (P, E, n)): for points a Routh-Hurwitz sweep decided without them."""
    P = param_rows(plan, np.asarray(values[rows]))
    Xr, ex = np.asarray(X[rows]), np.asarray(exists[rows])
    idx = np.nonzero(ex)
    J = compile_model(plan.model).jac(Xr[idx], P[idx[0]])
    finite = np.isfinite(J).all(axis=(-2, -1))
    found = np.full((len(idx[0]), Xr.shape[-1]), np.nan, dtype=complex)
    found[finite] = np.linalg.eigvals(J[finite])
    block = np.asarray(eig[rows]).copy()
    block[idx] = found
    eig[rows] = block


def _eigenvalue_codes(
    model: Model, X: FloatArray, P: FloatArray, J: FloatArray, where: np.ndarray | bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and stability codes of the Jacobians `J` (..., n, n) at the equilibria `X`
    (..., n): the eigenvalue route of `evaluate_rows` (and of the points where Routh-Hurwitz
    is delicate), neutral band and root uncertainty included; the uncertainty is bounded only
    `where` an equilibrium exists."""
    eig, margin, size = spectra_margins(J, model.time)
    codes = _codes(margin, size)
    # Stable only with a margin beyond what the rounding of F leaves uncertain (see ROUNDING).
    # That uncertainty is large only next to a singular J_F, where an eigenvalue is near 0
    # (flows) or near modulus 1 (maps), so the margin is near 0 too: it is computed only where
    # the margin is negative but within UNCERTAIN_BAND * (1 + max |lambda|) of 0.
    band = where & (codes == STABLE) & (margin > -UNCERTAIN_BAND * (1.0 + size))
    if band.any():
        idx = np.nonzero(band)
        spread = _eigenvalue_uncertainty(model, X[idx], P[idx], J[idx])
        codes[idx] = stability_codes(model.time, eig[idx], uncertainty=spread)
    return eig, codes


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
