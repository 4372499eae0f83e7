"""Numerical equilibria: multi-start Newton with the analytic Jacobian, de-duplication, deflation.

For a flow ``dx/dt = f(x)`` an equilibrium solves ``f(x) = 0``; for a map ``x_{t+1} = f(x_t)`` a
fixed point solves ``f(x) - x = 0`` and a period-k point is a fixed point of ``f^k`` that is not a
fixed point of any ``f^j`` with ``j`` a proper divisor of ``k``. Starts are a scrambled Sobol
sample of the search box (``scipy.stats.qmc``); the Newton solver of :mod:`.newton` runs on all
starts at once (batched linear solves). Once some roots are known, further roots are sought by
*deflation* (Farrell, Birkisson and Funke 2015): Newton on ``M(x) F(x)`` with
``M(x) = prod_k (1/|x - r_k|^2 + 1)``, which removes the known roots ``r_k`` without changing the
others.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.stats import qmc

from incentive_geometry.errors import ConvergenceError, ModelError
from incentive_geometry.model import Model

from .compile import CompiledModel, FloatArray, compile_model, resolve_params
from .newton import NewtonOptions, newton, search_box
from .resources import check_memory
from .stability import STABILITY_CLASSES, STABLE, stability_codes

__all__ = [
    "NumericEquilibrium",
    "find_equilibria",
    "multipliers_or_eigenvalues",
    "singularity",
]

@dataclass(frozen=True, eq=False)  # array fields: identity equality, hashable
class NumericEquilibrium:
    """An equilibrium (flow), fixed point or periodic point (map) found numerically.

    Attributes
    ----------
    x : numpy.ndarray of shape (n,)
        The point, in the order of ``model.states``.
    eigenvalues : numpy.ndarray of shape (n,), complex
        Eigenvalues of ``D_x f`` (flow) or multipliers of ``D_x f^k`` (map), by decreasing real
        part (flow) or modulus (map). For a model on the simplex, the n - 1 eigenvalues of the
        dynamics on the simplex.
    stable : bool
        Flow: every eigenvalue has negative real part. Map: every multiplier has modulus < 1.
        Beyond the neutral band of :mod:`~incentive_geometry.solvers.numeric.stability`.
    residual : float
        ``max |F(x)|`` at the point.
    period : int
        1 for equilibria and fixed points, k for a point of minimal period k of a map.
    orbit : numpy.ndarray of shape (period, n)
        The periodic orbit through `x` (one row for an equilibrium).
    state_names : tuple of str
    params : dict of str to float
        The parameter values used.
    stability : {"stable", "neutral", "unstable"}
        ``"neutral"`` when an eigenvalue lies on the stability boundary within the tolerance
        (a semi-stable point, a centre, a bifurcation point): the linearization does not decide,
        and `stable` is False.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(1 - x)"}, parameters={})
    >>> [(round(float(e.x[0]), 6) + 0.0, e.stable) for e in ig.find_equilibria(m, bounds={"x": (-1, 2)})]
    [(0.0, False), (1.0, True)]
    """

    x: FloatArray
    eigenvalues: np.ndarray[Any, np.dtype[np.complex128]]
    stable: bool
    residual: float
    period: int = 1
    orbit: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    state_names: tuple[str, ...] = ()
    params: dict[str, float] = field(default_factory=dict)
    stability: str = ""

    def __post_init__(self) -> None:
        if not self.stability:
            object.__setattr__(self, "stability", "stable" if self.stable else "unstable")
        elif self.stability not in STABILITY_CLASSES:
            raise ModelError(
                f"`stability` must be one of {', '.join(STABILITY_CLASSES)}, got {self.stability!r}"
            )
        elif (self.stability == "stable") != bool(self.stable):
            raise ModelError(f"`stable`={self.stable} contradicts `stability`={self.stability!r}")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record.

        Returns
        -------
        dict

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "1 - x"}, parameters={})
        >>> ig.find_equilibria(m)[0].as_dict()["x"]
        {'x': 1.0}
        """
        return {
            "x": {k: float(v) for k, v in zip(self.state_names, self.x, strict=True)},
            "eigenvalues": [[float(e.real), float(e.imag)] for e in self.eigenvalues],
            "stable": self.stable,
            "stability": self.stability,
            "residual": self.residual,
            "period": self.period,
        }


def multipliers_or_eigenvalues(
    cm: CompiledModel, x: FloatArray, p: FloatArray
) -> np.ndarray[Any, np.dtype[np.complex128]]:
    """Eigenvalues of ``D_x f`` at ``(x, p)``, sorted by decreasing real part (flow) or modulus (map).

    Parameters
    ----------
    cm : CompiledModel
    x : array of shape (..., n)
    p : array of shape (..., m)

    Returns
    -------
    complex array of shape (..., n)

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> m = ig.Model.from_equations({"x": "y", "y": "-x"}, parameters={})
    >>> multipliers_or_eigenvalues(compile_model(m), np.zeros(2), np.zeros(0))
    array([0.+1.j, 0.-1.j])
    """
    lam: Any = np.linalg.eigvals(cm.jac(x, p)).astype(complex)
    key = np.abs(lam) if cm.model.time == "discrete" else lam.real
    # Ties (complex pairs) ordered by decreasing imaginary part.
    order = np.lexsort((-lam.imag, -key), axis=-1)
    return np.asarray(np.take_along_axis(lam, order, axis=-1))


def _residual_system(cm: CompiledModel) -> tuple[Any, Any]:
    """``F`` and ``D_x F``: ``F = f`` for flows, ``F = f - x`` for maps (fixed points)."""
    if cm.model.time == "discrete":
        eye = np.eye(cm.n)

        def F(x: FloatArray, p: FloatArray) -> FloatArray:
            return cm.rhs(x, p) - x

        def DF(x: FloatArray, p: FloatArray) -> FloatArray:
            return cm.jac(x, p) - eye

        return F, DF
    return cm.rhs, cm.jac


def _unique(points: list[FloatArray], tol: float) -> list[FloatArray]:
    out: list[FloatArray] = []
    for q in points:
        if all(np.max(np.abs(q - r) / (1.0 + np.abs(r))) > tol for r in out):
            out.append(q)
    return out


def _check_options(*, tol: Any, max_iter: Any, deflation_rounds: Any, n_starts: Any) -> None:
    """Refuse options that would silently find nothing (NaN or negative tolerances, no steps)."""
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not (0 < tol < 1):
        raise ModelError(
            f"`tol` must be a number in (0, 1), got {tol!r}; the default 1e-10 suits most models"
        )
    for name, value, least in (
        ("max_iter", max_iter, 1),
        ("deflation_rounds", deflation_rounds, 0),
        ("n_starts", n_starts, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ModelError(f"`{name}` must be an int >= {least}, got {value!r}")
    # The starts, their residuals and Jacobians are held at once: refuse what cannot fit.
    check_memory(
        8.0 * n_starts * 64, what=f"find_equilibria: {n_starts} starting points",
        fix="use fewer `n_starts` (the default 64 with deflation finds most equilibria)",
    )


def find_equilibria(
    model: Model,
    *,
    params: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    period: int = 1,
    n_starts: int = 64,
    deflation_rounds: int = 3,
    tol: float = 1e-10,
    max_iter: int = 60,
    seed: int = 0,
    raise_on_failure: bool = False,
) -> list[NumericEquilibrium]:
    """Equilibria (flows), fixed points or period-k points (maps) inside a box of states.

    Parameters
    ----------
    model : Model
    params : mapping of str to float, optional
        Parameter values (defaults otherwise); NaN/inf or out-of-domain values are refused.
    bounds : mapping of state name to (lo, hi), optional
        The search box. Defaults: interval domains as declared, ``[0, 10]`` for positive and
        nonnegative states, ``[-10, 10]`` otherwise. Only points inside the box are returned.
    period : int
        Maps only: find points of minimal period `period` (fixed points of ``f^period``).
    n_starts : int
        Number of Sobol starting points (rounded up to a power of two).
    deflation_rounds : int
        Rounds of deflated Newton from the same starts after the first round.
    tol : float
        Convergence tolerance (scaled Newton step) and de-duplication distance (its square root).
    max_iter : int
        Newton iterations per round.
    seed : int
        Seed of the scrambled Sobol sequence.
    raise_on_failure : bool
        Raise :class:`ConvergenceError` when no point is found (default: return an empty list).

    Returns
    -------
    list of NumericEquilibrium
        Sorted by the states (lexicographically). For ``period > 1`` one entry per orbit. For
        a model on the simplex the search runs on :meth:`Model.reduce_simplex` and the points
        are lifted back (points with a negative last share are dropped).

    Raises
    ------
    ModelError
        For invalid parameters, bounds or period.
    ConvergenceError
        When `raise_on_failure` and nothing converged; the message says what was tried.

    References
    ----------
    .. [1] P. E. Farrell, A. Birkisson and S. W. Funke, "Deflation techniques for finding
       distinct solutions of nonlinear partial differential equations", SIAM J. Sci. Comput. 37
       (2015), A2026-A2045.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3.2}, time="discrete")
    >>> [round(float(e.x[0]), 6) + 0.0 for e in ig.find_equilibria(m)]
    [0.0, 0.6875]
    >>> orbit = ig.find_equilibria(m, period=2)[0]
    >>> orbit.period, orbit.stable, sorted(round(float(v), 6) for v in orbit.orbit[:, 0])
    (2, True, [0.513045, 0.799455])
    """
    _check_options(tol=tol, max_iter=max_iter, deflation_rounds=deflation_rounds, n_starts=n_starts)
    if model.simplex:
        # Shares summing to one: solve on the simplex (the last share is 1 - the others), so
        # that stability is that of the dynamics on the simplex, then lift the points back.
        reduced = model.reduce_simplex()
        kept = {k: v for k, v in dict(bounds or {}).items() if k != model.state_names[-1]}
        found_reduced = find_equilibria(
            reduced, params=params, bounds=kept, period=period, n_starts=n_starts,
            deflation_rounds=deflation_rounds, tol=tol, max_iter=max_iter, seed=seed,
            raise_on_failure=raise_on_failure,
        )
        out = []
        for e in found_reduced:
            last = 1.0 - float(np.sum(e.x))
            if last < -1e-9:
                continue  # outside the simplex
            lifted = np.column_stack([e.orbit, 1.0 - e.orbit.sum(axis=1)])
            out.append(replace(e, x=np.append(e.x, last), orbit=lifted,
                               state_names=model.state_names))
        return out
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ModelError(f"`period` must be an int >= 1, got {period!r}")
    if period > 1 and model.time != "discrete":
        raise ModelError(
            f"`period` = {period} asks for periodic points, which only maps have; model "
            f"`{model.name}` is continuous (use period=1)"
        )
    values = resolve_params(model, params)
    lo, hi = search_box(model, bounds)
    target = model.iterate(period) if period > 1 else model
    cm = compile_model(target)
    p = cm.param_vector(values)
    F, DF = _residual_system(cm)

    sampler = qmc.Sobol(d=cm.n, scramble=True, seed=seed)
    m_exp = int(np.ceil(np.log2(max(n_starts, 2))))
    starts = qmc.scale(sampler.random_base2(m_exp), lo, hi) if cm.n > 0 else np.zeros((1, 0))
    n_corners = 0
    if 0 < cm.n <= 6:
        # The corners of the box start Newton too: equilibria on the boundary (shares at 0 or 1)
        # are common, and near a transcritical point interior starts all converge to the
        # neighbouring equilibrium instead of the boundary one.
        corners = np.array(list(itertools.product(*zip(lo, hi, strict=True))), dtype=float)
        starts = np.vstack([corners, starts])
        n_corners = len(corners)
    # Damped by half the box; converged at a scaled step below `tol` with a residual below
    # sqrt(tol) (a multiple root is found only to about sqrt of the working precision).
    options = NewtonOptions(tol=tol, residual_tol=float(np.sqrt(tol)), max_iter=max_iter,
                            max_step=0.5)
    width = np.maximum(hi - lo, 1.0)
    dedup = np.sqrt(tol)
    slack = 1e-9 * (hi - lo)

    def inside(q: FloatArray) -> bool:
        return bool(np.all(q >= lo - slack) & np.all(q <= hi + slack))

    found: list[FloatArray] = []
    for round_ in range(deflation_rounds + 1):
        x, ok = newton(
            F, DF, starts, p, options, scale=width, known=found if round_ else [], box=(lo, hi)
        )
        new = [q for q in x[ok] if inside(q)]
        before = len(found)
        found = _unique(found + new, dedup)
        if round_ and len(found) == before:
            break  # deflation found nothing new

    if not found:
        if raise_on_failure:
            raise ConvergenceError(
                f"find_equilibria: Newton did not converge to any point of model `{target.name}` "
                f"inside the box {dict(zip(model.state_names, zip(lo, hi, strict=True), strict=True))}"
                f"; tried {len(starts) - n_corners} Sobol starts (seed {seed}) and {n_corners} box "
                f"corners, {max_iter} iterations each, "
                f"and {deflation_rounds} deflation rounds, tol {tol:g}. Widen `bounds`, raise "
                "`n_starts`, or check the parameters"
            )
        return []

    base = compile_model(model)
    results: list[NumericEquilibrium] = []
    seen_orbits: list[FloatArray] = []
    for q in sorted(found, key=lambda r: tuple(r)):
        orbit = [q]
        if period > 1:
            for _ in range(period - 1):
                orbit.append(base.rhs(orbit[-1], p))
            # Newton converged to ~tol, so 1e-6 separates true returns from near misses.
            close = 1e-6 * (1.0 + float(np.max(np.abs(q))))
            minimal = next(
                k for k in range(1, period + 1)
                if period % k == 0 and np.max(np.abs(_power(base, q, p, k) - q)) < close
            )
            if minimal != period:
                continue  # a point of smaller period
            if any(min(np.max(np.abs(o - r)) for o in orbit) < close for r in seen_orbits):
                continue  # another point of an orbit already reported
            seen_orbits.append(q)
        ratio = singularity(DF(q, p))
        if ratio < 1e-8:
            warnings.warn(
                f"find_equilibria: the Jacobian of model `{target.name}` is singular or "
                f"ill-conditioned (smallest singular value {ratio:.3g} relative) at the point "
                f"{_fmt_point(model, q)}; the point may be non-hyperbolic (a bifurcation point) and "
                "its stability is not decided by the linearization",
                RuntimeWarning,
                stacklevel=2,
            )
        lam = multipliers_or_eigenvalues(cm, q, p)
        code = stability_codes(model.time, lam)
        results.append(
            NumericEquilibrium(
                x=q,
                eigenvalues=lam,
                stable=code == STABLE,
                stability=STABILITY_CLASSES[code],
                residual=float(np.max(np.abs(F(q, p)))) if cm.n else 0.0,
                period=period,
                orbit=np.array(orbit),
                state_names=model.state_names,
                params=dict(values),
            )
        )
    return results


def singularity(A: FloatArray) -> float:
    """How close a square matrix is to singular: ``sigma_min / max(sigma_max, 1)``.

    Relative to 1 as well as to the largest singular value, so that a 1x1 Jacobian ``[1e-12]``
    counts as singular (its condition number is 1).

    Parameters
    ----------
    A : array of shape (n, n)

    Returns
    -------
    float
        0 for a singular matrix, NaN/inf entries give 0.

    Examples
    --------
    >>> import numpy as np
    >>> singularity(np.array([[1e-12]])) < 1e-8, singularity(np.eye(2))
    (True, 1.0)
    """
    if not np.all(np.isfinite(A)):
        return 0.0
    sv = np.linalg.svd(A, compute_uv=False)
    return float(sv[-1] / max(float(sv[0]), 1.0)) if sv.size else 1.0


def _power(cm: CompiledModel, x: FloatArray, p: FloatArray, k: int) -> FloatArray:
    for _ in range(k):
        x = cm.rhs(x, p)
    return x


def _fmt_point(model: Model, x: FloatArray) -> str:
    return "(" + ", ".join(f"{s}={v:.6g}" for s, v in zip(model.state_names, x, strict=True)) + ")"
