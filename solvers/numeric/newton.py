"""The Newton solver of the numerics: damped, batched, optionally deflated; and its search box.

:func:`find_equilibria` (many starts at one parameter point, with deflation) and :func:`sweep`
(many starts at each of many parameter points) both solve ``F(x) = 0`` here (``F = f`` for
flows, ``f - x`` for maps). The continuation corrector keeps its own Newton, on the augmented
pseudo-arclength system ``F(z) = 0, t . (z - z_pred) = 0`` (see :mod:`.continuation`).

Each start is a row of a batch of any shape ``(..., n)``; all rows step at once (one stacked
linear solve per iteration) and each stops on its own account, never on the batch's, so a row's
result does not depend on the other rows it shares a batch with. A step is damped so that its
largest component, in units of `scale`, is at most ``max_step``; an exactly singular Jacobian
gives the least-squares (pseudo-inverse) step. A row has *converged* when its last step was
below ``tol`` (relative to ``1 + max |x|``) and ``max |F| <= residual_tol``; a row whose step is
that small with a larger residual (a local minimum of ``|F|``) stops, not converged.

Deflation (Farrell, Birkisson and Funke 2015) removes known roots ``r_k`` without changing the
others: Newton runs on ``M(x) F(x)`` with ``M(x) = prod_k (1 / |x - r_k|^2 + 1)``.

References
----------
.. [1] P. E. Farrell, A. Birkisson and S. W. Funke, "Deflation techniques for finding distinct
   solutions of nonlinear partial differential equations", SIAM J. Sci. Comput. 37 (2015),
   A2026-A2045.
.. [2] P. Deuflhard, *Newton Methods for Nonlinear Problems*, Springer, 2004, chapter 3
   (damped Newton).

Examples
--------
>>> import numpy as np
>>> F = lambda x, p: x**2 - p
>>> DF = lambda x, p: 2 * x[..., None] * np.eye(1)
>>> x, ok = newton(F, DF, np.array([[1.0], [-3.0]]), np.array([2.0]), NewtonOptions())
>>> x[:, 0].round(12).tolist(), ok.tolist()
([1.414213562373, -1.414213562373], [True, True])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

__all__ = ["NewtonOptions", "newton", "search_box"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Half-width of the default search box of a state with no bounded domain.
DEFAULT_HALF_WIDTH = 10.0


@dataclass(frozen=True)
class NewtonOptions:
    """The tolerances of :func:`newton`, in one place.

    Attributes
    ----------
    tol : float
        A row has converged when its last step is below ``tol * (1 + max |x|)`` (max norm) ...
    residual_tol : float
        ... and ``max |F(x)| <= residual_tol``.
    max_iter : int
        Newton iterations.
    max_step : float
        Largest step, in units of the solver's `scale` (max norm): damping.
    final_residual_tol : float or None
        Rows still stepping after `max_iter` iterations count as converged when
        ``max |F| <= final_residual_tol`` (None: never). Next to a multiple root the step stays at
        the round-off of ``F / F'`` (about sqrt(eps)) and never falls below `tol`, while the
        residual is at round-off; the sweeps accept such points (their stability is then
        decided with the rounding of the root, see :mod:`.sweep`).

    Examples
    --------
    >>> NewtonOptions(tol=1e-12).residual_tol
    1e-09
    >>> NewtonOptions(max_iter=0)
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: Newton `max_iter` must be an int >= 1, got 0
    """

    tol: float = 1e-12
    residual_tol: float = 1e-9
    max_iter: int = 60
    max_step: float = 1.0
    final_residual_tol: float | None = None

    def __post_init__(self) -> None:
        for name in ("tol", "residual_tol", "max_step"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not (
                math.isfinite(v) and v > 0
            ):
                raise ModelError(f"Newton `{name}` must be a positive finite number, got {v!r}")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise ModelError(f"Newton `max_iter` must be an int >= 1, got {self.max_iter!r}")
        v = self.final_residual_tol
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not v > 0):
            raise ModelError(f"Newton `final_residual_tol` must be None or positive, got {v!r}")


def _deflate(
    Fi: FloatArray, Ji: FloatArray, xi: FloatArray, known: Sequence[FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """``G = M F`` and ``DG = M DF + F (grad M)^T`` with ``M = prod_k (1/|x - r_k|^2 + 1)``."""
    M = np.ones(len(xi))
    gradlogM = np.zeros_like(xi)
    # A start sitting on a known root overflows here; it is dropped as non-finite.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for r in known:
            d = xi - r
            d2 = np.maximum(np.sum(d * d, axis=1), 1e-300)
            factor = 1.0 / d2 + 1.0
            M *= factor
            gradlogM += (-2.0 * d / d2[:, None] ** 2) / factor[:, None]
        Ji = M[:, None, None] * Ji + M[:, None, None] * Fi[:, :, None] * gradlogM[:, None, :]
        Fi = M[:, None] * Fi
    return Fi, Ji


def _solve(J: FloatArray, F: FloatArray) -> FloatArray:
    """``J^{-1} F`` for a stack; rows whose J is exactly singular get the pseudo-inverse."""
    try:
        return np.asarray(np.linalg.solve(J, F[..., None])[..., 0])
    except np.linalg.LinAlgError:
        with np.errstate(all="ignore"):
            det = np.asarray(np.linalg.det(J))
        singular = ~np.isfinite(det) | (det == 0.0)
        out = np.empty_like(F)
        if (~singular).any():
            try:
                out[~singular] = np.linalg.solve(J[~singular], F[~singular][..., None])[..., 0]
            except np.linalg.LinAlgError:  # singular to working precision only: row by row
                for k in np.flatnonzero(~singular):
                    out[k] = np.linalg.lstsq(J[k], F[k], rcond=None)[0]
        if singular.any():
            out[singular] = (np.linalg.pinv(J[singular]) @ F[singular][..., None])[..., 0]
        return out


def newton(
    F: Callable[[FloatArray, FloatArray], FloatArray],
    DF: Callable[[FloatArray, FloatArray], FloatArray],
    x0: FloatArray,
    p: FloatArray,
    options: NewtonOptions,
    *,
    scale: Any = 1.0,
    known: Sequence[FloatArray] = (),
    box: tuple[FloatArray, FloatArray] | None = None,
) -> tuple[FloatArray, np.ndarray[Any, np.dtype[np.bool_]]]:
    """Damped Newton on every row of `x0` at once; deflated by the `known` roots when given.

    Parameters
    ----------
    F, DF : callable
        ``F(x, p)`` of shape (k, n) and ``DF(x, p)`` of shape (k, n, n) for rows ``x`` (k, n)
        and parameters ``p``: one vector (m,) shared by every row, or rows (k, m).
    x0 : array of shape (..., n)
        The starts; rows that are not finite are no start (not converged).
    p : array of shape (m,) or (..., m)
        Shared parameters, or one parameter vector per row (the leading shape of `x0`).
    options : NewtonOptions
    scale : float or array of shape (n,)
        Units of the damping: no step is longer than ``options.max_step * scale`` in any
        coordinate.
    known : sequence of arrays of shape (n,)
        Roots to deflate (shared parameters only).
    box : (lo, hi), optional
        Rows that wander more than 10 box widths outside it are abandoned.

    Returns
    -------
    x : array of the shape of `x0`
        The last iterates.
    converged : boolean array of the leading shape of `x0`

    Examples
    --------
    >>> import numpy as np
    >>> F = lambda x, p: x**2 + p          # no real root for p = 1
    >>> DF = lambda x, p: 2 * x[..., None] * np.eye(1)
    >>> newton(F, DF, np.array([[0.5]]), np.array([1.0]), NewtonOptions())[1].tolist()
    [False]
    """
    x0 = np.asarray(x0, dtype=float)
    lead, n = x0.shape[:-1], x0.shape[-1]
    X = x0.reshape(-1, n).copy()
    N = len(X)
    p = np.asarray(p, dtype=float)
    shared = p.ndim == 1
    if not shared:
        p = np.broadcast_to(p, (*lead, p.shape[-1])).reshape(N, -1)
    if known and not shared:
        raise ModelError("deflation (`known`) needs parameters shared by every row")
    unit = np.broadcast_to(np.asarray(scale, dtype=float), (n,))
    alive: np.ndarray[Any, np.dtype[np.bool_]] = np.asarray(np.isfinite(X).all(axis=1))
    X = np.where(alive[:, None], X, 0.0)
    small = np.zeros(N, dtype=bool)  # the row's last step was below tol
    done = np.zeros(N, dtype=bool)
    for it in range(options.max_iter + 1):
        idx = np.flatnonzero(alive & ~done)
        if idx.size == 0:
            break
        xi = X[idx]
        pi = p if shared else p[idx]
        with np.errstate(all="ignore"):
            Fi = np.asarray(F(xi, pi), dtype=float)
        finite = np.isfinite(Fi).all(axis=1)
        # Converged: a small last step and a small residual. Stuck: a small step without it.
        resid = np.where(finite, np.max(np.abs(np.where(finite[:, None], Fi, 0.0)), axis=1), np.inf)
        if n == 0:
            resid = np.zeros(len(idx))
        reached = small[idx] & (resid <= options.residual_tol)
        done[idx[reached]] = True
        alive[idx[small[idx] & ~reached]] = False
        alive[idx[~finite]] = False
        if it == options.max_iter:
            if options.final_residual_tol is not None:
                done[idx[finite & (resid <= options.final_residual_tol)]] = True
            break
        go = finite & ~small[idx]
        idx, xi, Fi = idx[go], xi[go], Fi[go]
        if idx.size == 0:
            continue
        pi = p if shared else p[idx]
        with np.errstate(all="ignore"):
            Ji = np.asarray(DF(xi, pi), dtype=float)
        if known:
            Fi, Ji = _deflate(Fi, Ji, xi, known)
        ok = np.isfinite(Fi).all(axis=1) & np.isfinite(Ji).all(axis=(1, 2))
        step = np.zeros_like(xi)
        if ok.any():
            step[ok] = _solve(Ji[ok], Fi[ok])
        ok &= np.isfinite(step).all(axis=1)
        alive[idx[~ok]] = False
        length = np.max(np.abs(step) / unit, axis=1) if n else np.zeros(len(idx))
        damp = np.minimum(1.0, options.max_step / np.maximum(length, 1e-300))
        xi = xi - damp[:, None] * step
        X[idx] = np.where(ok[:, None], xi, X[idx])
        size = 1.0 + np.max(np.abs(xi), axis=1) if n else np.ones(len(idx))
        small[idx] = ok & (np.max(np.abs(damp[:, None] * step), axis=1, initial=0.0) < options.tol * size)
        if box is not None:
            lo, hi = box
            width = np.maximum(hi - lo, 1.0)
            far = np.any((xi < lo - 10 * width) | (xi > hi + 10 * width), axis=1)
            alive[idx[far]] = False
    return X.reshape(x0.shape), (done & alive).reshape(lead)


def search_box(
    model: Model, bounds: Mapping[str, tuple[float, float]] | None
) -> tuple[FloatArray, FloatArray]:
    """The box the starts of a root search are drawn from: `bounds` where given, else each
    state's interval domain, ``[0, 10]`` for a positive or nonnegative state and ``[-10, 10]``
    otherwise.

    Parameters
    ----------
    model : Model
    bounds : mapping of state name to (lo, hi), optional

    Returns
    -------
    lo, hi : arrays of shape (n,)

    Raises
    ------
    ModelError
        For an unknown state, or bounds that are not finite numbers with lo < hi.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "-x", "y": "-y"}, parameters={},
    ...                             states={"y": {"domain": "nonnegative"}})
    >>> [v.tolist() for v in search_box(m, {"x": (-1, 1)})]
    [[-1.0, 0.0], [1.0, 10.0]]
    """
    given = dict(bounds or {})
    for key in given:
        if key not in model.state_names:
            raise ModelError(
                f"`bounds` names `{key}`, which is not a state of model `{model.name}` "
                f"(states: {', '.join(model.state_names)})"
            )
    lo, hi = [], []
    for name, dom in zip(model.state_names, model.state_domains, strict=True):
        if name in given:
            try:
                a, b = (float(v) for v in given[name])
            except (TypeError, ValueError):
                raise ModelError(
                    f"`bounds['{name}']` = {given[name]!r:.60} must be a pair (lo, hi) of numbers"
                ) from None
            if not (math.isfinite(a) and math.isfinite(b) and a < b):
                raise ModelError(f"`bounds['{name}']` = ({a}, {b}) must be finite with lo < hi")
        elif dom.kind == "interval":
            a, b = float(dom.lo), float(dom.hi)  # type: ignore[arg-type]
        elif dom.kind in ("positive", "nonnegative"):
            a, b = 0.0, DEFAULT_HALF_WIDTH
        else:
            a, b = -DEFAULT_HALF_WIDTH, DEFAULT_HALF_WIDTH
        lo.append(a)
        hi.append(b)
    return np.array(lo, dtype=float), np.array(hi, dtype=float)
