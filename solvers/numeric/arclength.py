"""The branch equation ``F(x, p) = 0`` and Keller's pseudo-arclength corrector.

``F = f`` for flows and ``F = f - x`` for maps (fixed points). From a point ``z = (x, p)`` with
unit tangent ``t`` the predictor is ``z + ds t``; Newton corrects it on
``F(z) = 0, t . (z - z_pred) = 0`` (Keller 1977). This corrector is the continuation's own
Newton (the equilibrium search and sweeps use :mod:`.newton`): it solves an augmented,
bordered system whose last row is the arclength condition. :class:`ContinuationOptions` holds
every tolerance and step bound of a continuation run in one place.

References
----------
.. [1] H. B. Keller, "Numerical solution of bifurcation and nonlinear eigenvalue problems",
   in *Applications of Bifurcation Theory*, Academic Press, 1977, 359-384.
.. [2] E. L. Allgower and K. Georg, *Introduction to Numerical Continuation Methods*, SIAM,
   2003, chapters 2 and 6 (predictor-corrector methods, step acceptance).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

from .branch import ComplexArray
from .compile import CompiledModel, FloatArray, check_value, compile_model, resolve_params
from .equilibria import multipliers_or_eigenvalues

__all__ = ["ArclengthSystem", "correct"]

# --------------------------------------------------------------------------------------------
# The branch equation F(z) = 0, z = (x, p)


class ArclengthSystem:
    """``F(z)`` and ``F_z(z)`` for z = (x, p) with the other parameters fixed.

    Parameters
    ----------
    cm : CompiledModel
    base : array of shape (m,)
        The parameter vector; entry `k` is replaced by the continuation parameter ``p``.
    k : int
        Index of the continuation parameter.

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> m = ig.Model.from_equations({"x": "p - x**2"}, parameters={"p": 1.0})
    >>> sys = ArclengthSystem(compile_model(m), np.array([1.0]), 0)
    >>> sys.F(np.array([2.0, 1.0])).tolist(), sys.Fz(np.array([2.0, 1.0])).tolist()
    ([-3.0], [[-4.0, 1.0]])
    """

    def __init__(self, cm: CompiledModel, base: FloatArray, k: int) -> None:
        self.cm = cm
        self.base = base
        self.k = k
        self.n = cm.n
        self.discrete = cm.model.time == "discrete"
        self.nfev = 0

    def pvec(self, p: Any) -> FloatArray:
        # One parameter vector, or a batch (..., m) when p is an array of values.
        if np.ndim(p) == 0:
            q1 = self.base.copy()
            q1[self.k] = p
            return q1
        q = np.broadcast_to(self.base, (*np.shape(p), len(self.base))).copy()
        q[..., self.k] = p
        return q

    def F(self, z: FloatArray) -> FloatArray:
        self.nfev += 1
        x, q = z[:-1], self.pvec(z[-1])
        val = self.cm.rhs(x, q)
        return val - x if self.discrete else val

    def Fx(self, z: FloatArray) -> FloatArray:
        J = self.cm.jac(z[:-1], self.pvec(z[-1]))
        return J - np.eye(self.n) if self.discrete else J

    def Fz(self, z: FloatArray) -> FloatArray:
        x, q = z[:-1], self.pvec(z[-1])
        J = self.cm.jac(x, q)
        if self.discrete:
            J = J - np.eye(self.n)
        return np.hstack([J, self.cm.dfdp(x, q)[:, self.k : self.k + 1]])

    def eig(self, z: FloatArray) -> ComplexArray:
        return multipliers_or_eigenvalues(self.cm, z[..., :-1], self.pvec(z[..., -1]))

    def D2(self, z: FloatArray, u: FloatArray, v: FloatArray) -> FloatArray:
        """Second derivative ``D^2 F(z)[u, v]`` by a central difference of the analytic ``F_z``."""
        eps = 1e-5 * (1.0 + float(np.max(np.abs(z))))
        return (self.Fz(z + eps * u) - self.Fz(z - eps * u)) @ v / (2 * eps)


def augmented(Fz: FloatArray, t: FloatArray) -> FloatArray:
    return np.vstack([Fz, t[None, :]])


def solve_bordered(
    sys: Any, z: FloatArray, t: FloatArray, rhs: FloatArray, *, least_squares: bool = True
) -> FloatArray:
    """Solve ``[[F_z(z)], [t^T]] dz = rhs``, by the system's own solver where it has one.

    A system with a structured Jacobian (the collocation equations of cycles, sparse) provides
    ``solve_bordered(z, t, rhs)``; otherwise the dense bordered matrix is factored, with the
    least-squares step where it is exactly singular (on a branch point), or
    ``numpy.linalg.LinAlgError`` raised there when `least_squares` is false.
    """
    own = getattr(sys, "solve_bordered", None)
    if own is not None:
        return np.asarray(own(z, t, rhs, least_squares=least_squares))
    A = augmented(sys.Fz(z), t)
    try:
        return np.asarray(np.linalg.solve(A, rhs))
    except np.linalg.LinAlgError:
        if not least_squares:
            raise
        return np.asarray(np.linalg.lstsq(A, rhs, rcond=None)[0])


def correct(
    sys: Any, z_pred: FloatArray, t: FloatArray, *, tol: float, max_iter: int
) -> tuple[FloatArray, bool, int]:
    """Newton on ``F(z) = 0, t . (z - z_pred) = 0`` (Keller's pseudo-arclength corrector).

    Parameters
    ----------
    sys : ArclengthSystem, or any system with ``n``, ``F(z)`` and ``Fz(z)`` (and optionally
        ``solve_bordered(z, t, rhs)``), such as the cycle system of :mod:`.collocation`
    z_pred : array of shape (n + 1,)
        The predicted point.
    t : array of shape (n + 1,)
        The unit tangent of the prediction (the normal of the hyperplane searched).
    tol, max_iter : float, int
        Newton tolerance (step relative to ``1 + max |z|``) and iterations.

    Returns
    -------
    z, converged, iterations

    References
    ----------
    .. [1] H. B. Keller, "Numerical solution of bifurcation and nonlinear eigenvalue problems",
       in *Applications of Bifurcation Theory*, Academic Press, 1977, 359-384.

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> m = ig.Model.from_equations({"x": "p - x**2"}, parameters={"p": 1.0})
    >>> sys = ArclengthSystem(compile_model(m), np.array([1.0]), 0)
    >>> z, ok, _ = correct(sys, np.array([1.1, 1.0]), np.array([0.0, 1.0]), tol=1e-12, max_iter=20)
    >>> ok, z.round(12).tolist()
    (True, [1.0, 1.0])
    """
    z = z_pred.copy()
    for it in range(1, max_iter + 1):
        rhs = np.append(sys.F(z), t @ (z - z_pred))
        if not np.all(np.isfinite(rhs)):
            return z, False, it
        dz = solve_bordered(sys, z, t, -rhs)
        if not np.all(np.isfinite(dz)):
            return z, False, it
        z = z + dz
        if np.max(np.abs(dz)) <= tol * (1.0 + np.max(np.abs(z))):
            resid = np.max(np.abs(sys.F(z)))
            if resid <= max(1e3 * tol, 1e-10):
                return z, True, it
    # Near a singular point round-off can keep the step above `tol`; accept a point whose
    # residual is at round-off level.
    resid = np.max(np.abs(np.append(sys.F(z), t @ (z - z_pred))))
    if resid <= 1e-13 * (1.0 + np.max(np.abs(z))):
        return z, True, max_iter
    return z, False, max_iter


def tangent(sys: Any, z: FloatArray, t_prev: FloatArray) -> FloatArray:
    """Unit tangent at z, oriented along t_prev: solve [[F_z], [t_prev^T]] t = e_{n+1}."""
    e = np.zeros(sys.n + 1)
    e[-1] = 1.0
    try:
        t = solve_bordered(sys, z, t_prev, e, least_squares=False)
    except np.linalg.LinAlgError:
        t = t_prev.copy()
    if not np.all(np.isfinite(t)) or not np.any(t):
        t = t_prev.copy()
    return np.asarray(t / np.linalg.norm(t))


@dataclass(frozen=True)
class ContinuationOptions:
    ds: float
    ds_min: float
    ds_max: float
    max_steps: int
    tol: float
    max_iter: int
    p_lo: float
    p_hi: float
    lo: FloatArray
    hi: FloatArray
    detect: bool
    # Step acceptance (Allgower and Georg 2003, sec. 6.1): the tangent may turn by at most
    # `max_angle` radians over a step, and the corrected point may lie at most `max_angle * ds`
    # from the prediction. On an arc of curvature kappa a step of length ds turns the tangent by
    # kappa ds and lands kappa ds^2 / 2 from the prediction, so a smooth step that meets the first
    # bound meets the second with a factor 2 to spare; a corrector that lands on another part of
    # the branch misses one of them, and the step is halved.
    max_angle: float = 0.2
    # A test function of one sign at three consecutive points whose interpolating parabola dips
    # towards zero between them may hide a pair of zeros; up to `pair_probes` corrected points
    # (successive parabolic interpolation of its minimum) are examined there before the
    # branch's message reports a possible missed pair.
    pair_probes: int = 12


def newton_at_fixed_p(sys: ArclengthSystem, z: FloatArray, opts: ContinuationOptions) -> FloatArray | None:
    """Newton in x at fixed p (the point of the branch on an edge of `p_range`)."""
    x = z[:-1].copy()
    p = z[-1]
    for _ in range(opts.max_iter):
        zz = np.append(x, p)
        Fv = sys.F(zz)
        if not np.all(np.isfinite(Fv)):
            return None
        if np.max(np.abs(Fv)) == 0.0:
            return zz
        try:
            dx = np.linalg.solve(sys.Fx(zz), -Fv)
        except np.linalg.LinAlgError:
            dx = np.linalg.lstsq(sys.Fx(zz), -Fv, rcond=None)[0]
        x = x + dx
        if np.max(np.abs(dx)) <= opts.tol * (1 + np.max(np.abs(x))):
            return np.append(x, p)
    return None


def format_point(sys: ArclengthSystem, z: FloatArray) -> str:
    model = sys.cm.model
    pname = model.parameters[sys.k].name
    states = ", ".join(f"{s}={v:.6g}" for s, v in zip(model.state_names, z[:-1], strict=True))
    return f"{pname}={z[-1]:.10g}, ({states})"


#: States may lie this far (relative to 1 + the bound) outside their declared domain before a
#: branch is stopped there: a branch on a boundary (x = 0 of a nonnegative share) stays inside.
DOMAIN_SLACK = 1e-9


def state_box(model: Model, bounds: Mapping[str, tuple[float, float]] | None) -> tuple[FloatArray, FloatArray]:
    """The box a branch must stay in: `bounds` where given, else the state's declared domain
    (``[0, 1]`` for a share, ``[0, inf)`` for a nonnegative state), widened by DOMAIN_SLACK."""
    lo = np.full(len(model.states), -np.inf)
    hi = np.full(len(model.states), np.inf)
    for i, dom in enumerate(model.state_domains):
        if dom.kind in ("positive", "nonnegative"):
            lo[i] = -DOMAIN_SLACK
        elif dom.kind == "interval":
            a, b = float(dom.lo), float(dom.hi)  # type: ignore[arg-type]
            lo[i], hi[i] = a - DOMAIN_SLACK * (1 + abs(a)), b + DOMAIN_SLACK * (1 + abs(b))
    for key, pair in (bounds or {}).items():
        if key not in model.state_names:
            raise ModelError(
                f"`bounds` names `{key}`, which is not a state of model `{model.name}` "
                f"(states: {', '.join(model.state_names)})"
            )
        i = model.state_names.index(key)
        lo[i], hi[i] = (float(v) for v in pair)
    return lo, hi


def check_steps(ds: float, ds_min: float, ds_max: float, tol: float) -> None:
    for name, v in (("ds", ds), ("ds_min", ds_min), ("ds_max", ds_max), ("tol", tol)):
        if not (isinstance(v, int | float) and v > 0 and math.isfinite(v)):
            raise ModelError(f"`{name}` must be a positive number, got {v!r}")
    if not ds_min <= ds <= ds_max:
        raise ModelError(f"steps must satisfy ds_min <= ds <= ds_max, got {ds_min}, {ds}, {ds_max}")


def setup_system(
    model: Model,
    param: str,
    params: Mapping[str, float] | None,
    p_range: tuple[float, float],
) -> tuple[CompiledModel, FloatArray, int, dict[str, float], float, float]:
    """Validate the continuation parameter and its range; compile the model.

    Returns ``(compiled model, parameter vector at the start, index of param, values of the
    other parameters, p_lo, p_hi)``; the start value is ``params[param]`` or the middle of the
    range.
    """
    if not isinstance(param, str):
        raise ModelError(f"`param` must be the name of a parameter, got {param!r:.60}")
    model.parameter(param)  # raises with the closest names
    try:
        p_lo, p_hi = (float(v) for v in p_range)
    except (TypeError, ValueError):
        raise ModelError(f"`p_range` = {p_range!r:.60} must be a pair (lo, hi) of numbers") from None
    if not (math.isfinite(p_lo) and math.isfinite(p_hi) and p_lo < p_hi):
        raise ModelError(
            f"`p_range` = ({p_lo}, {p_hi}) must be finite numbers with lo < hi"
        )
    values = resolve_params(model, params, free=(param,))
    given = dict(params or {})
    for edge in (p_lo, p_hi):
        check_value(param, edge, model)
    cm = compile_model(model)
    k = model.parameter_names.index(param)
    full = dict(values)
    full[param] = float(given.get(param, 0.5 * (p_lo + p_hi)))
    base = cm.param_vector(full)
    return cm, base, k, values, p_lo, p_hi
