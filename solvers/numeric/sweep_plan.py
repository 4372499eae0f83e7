"""The plan of a sweep and the equilibria at its points: closed forms checked point by point, or
batched Newton from shared starts (see :mod:`.sweep` for what each check means).

Internal to :func:`~.sweep.sweep`; the names here are used only by the sweep modules.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.language import to_text
from incentive_geometry.model import Model

from .compile import compile_model
from .newton import NewtonOptions, newton, search_box

__all__ = [
    "COINCIDE_TOL",
    "DOMAIN_TOL",
    "DOUBLE_ROOT_TOL",
    "IMAG_TOL",
    "RESIDUAL_TOL",
    "ROUNDING",
    "SAME_TOL",
    "UNCERTAIN_BAND",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Tolerances of the sweep: equilibria closer than this are one; states may lie this far
#: outside their domain. Stability is decided by :mod:`.stability` (one band for the numerics).
SAME_TOL = 1e-7
DOMAIN_TOL = 1e-9

#: Checks of a closed form at each point. Its value is real where every coordinate has
#: ``|Im z| <= IMAG_TOL * (1 + max |z|)`` (Cardano-type formulas evaluated in complex arithmetic
#: leave about sqrt(eps) ~ 1.5e-8 of imaginary part next to a double root). It is a root where
#: every ``|F_i(x)| <= RESIDUAL_TOL * (1 + sum_k |t_ik| + sum_j |dF_i/dx_j| |x_j|)``, with
#: ``F = f`` (flows) or ``F = f - id`` (maps) and ``t_ik`` the additive terms of ``F_i``: the first
#: sum bounds the rounding of evaluating F, the second a relative error of the root itself.
IMAG_TOL = 1e-6
RESIDUAL_TOL = 1e-8
#: Two closed-form slots closer than this (relative to 1 + the size of the point) are one
#: equilibrium (two branches of roots meet where the Jacobian of F is singular: a multiple root,
#: which formulas and Newton find only to about sqrt(eps) ~ 1.5e-8).
COINCIDE_TOL = 1e-6
#: Relative size below which the discriminant of a 2x2 characteristic polynomial counts as zero
#: (a double eigenvalue): there ``sqrt(disc)`` loses half the digits, so those Jacobians go to
#: LAPACK instead of the closed form.
DOUBLE_ROOT_TOL = 1e-8
#: Relative rounding of evaluating F: a computed root is uncertain by about
#: ``dx = J_F^-1 e`` with ``e_i = ROUNDING * (1 + sum_k |t_ik|)``, and its eigenvalues by about
#: ``||J(x + dx) - J(x)||``. An equilibrium is stable only with a margin beyond that: at a
#: multiple root (a fold) dx is about sqrt(eps) and the sign of the computed margin is noise.
ROUNDING = 1e-15
#: The eigenvalue uncertainty is computed only where the margin is within this much (relative
#: to 1 + max |lambda|) below 0: elsewhere J_F is far from singular and it is negligible.
UNCERTAIN_BAND = 1e-3

#: Newton of the numeric method: damped to a step of 1 (max norm) so starts far away do not fly
#: off; a root at a step below 1e-14 relative with max |F| below 1e-9, or, after 60 iterations
#: (next to a multiple root the step stays at round-off), wherever max |F| is below 1e-9.
NEWTON = NewtonOptions(
    tol=1e-14, residual_tol=1e-9, max_iter=60, max_step=1.0, final_residual_tol=1e-9
)

#: Where a closed form is undefined at a point (a removable 0/0), Newton at the point starts
#: from its value at parameters moved by this much (relative); see `_repair`.
NUDGE = 1e-4

# The verdict on a closed form's value at a point (codes of `closed_form_points`).
_ACCEPTED, _UNDEFINED, _COMPLEX, _NOT_A_ROOT, _POLE = 0, 1, 2, 3, 4


def last_max(A: np.ndarray) -> np.ndarray:
    """``np.max(A, axis=-1)`` (NaN propagates) as a chain of elementwise maxima over the last
    axis: for the short last axes of a sweep (states, n <= 8) a NumPy reduction over a strided
    axis of length 2 costs 10 times an elementwise pass (measured: 1.2 of 4.2 s at 10^6
    Brusselator points)."""
    if A.shape[-1] == 0:
        return np.max(A, axis=-1)
    out = np.array(A[..., 0], copy=True)
    for i in range(1, A.shape[-1]):
        np.maximum(out, A[..., i], out=out)
    return out


def last_all(A: np.ndarray) -> np.ndarray:
    """``np.all(A, axis=-1)`` as a chain of elementwise ands (see `last_max`)."""
    if A.shape[-1] == 0:
        return np.ones(A.shape[:-1], dtype=bool)
    out = np.array(A[..., 0], dtype=bool, copy=True)
    for i in range(1, A.shape[-1]):
        out &= A[..., i]
    return out


def last_any(A: np.ndarray) -> np.ndarray:
    """``np.any(A, axis=-1)`` as a chain of elementwise ors (see `last_max`; measured: 11 ms
    against 1 ms for 10^6 points of three slots).

    Examples
    --------
    >>> last_any(np.array([[False, True], [False, False]])).tolist()
    [True, False]
    """
    if A.shape[-1] == 0:
        return np.zeros(A.shape[:-1], dtype=bool)
    out = np.array(A[..., 0], dtype=bool, copy=True)
    for i in range(1, A.shape[-1]):
        out |= A[..., i]
    return out


def finite_rows(A: np.ndarray) -> np.ndarray:
    """Where every entry along the last axis is finite."""
    out = np.isfinite(A[..., 0]) if A.shape[-1] else np.ones(A.shape[:-1], dtype=bool)
    for i in range(1, A.shape[-1]):
        out &= np.isfinite(A[..., i])
    return out


def _is_monomial(expr: Any, symbols: set[Any]) -> bool:
    """A rational number times integer powers of `symbols`: evaluated in floating point it is
    real and within a few ulps of its value wherever it is finite (no sum, so no cancellation)."""
    coeff, rest = sympy.sympify(expr, strict=True).as_coeff_Mul()
    if not coeff.is_Rational:
        return False
    for factor in sympy.Mul.make_args(rest):
        base, power = factor.as_base_exp()
        if factor == 1:
            continue
        if base not in symbols or not (power.is_Integer):
            return False
    return True


def exact_by_construction(model: Model, point: Sequence[Any]) -> bool:
    """Whether a closed-form equilibrium needs no check at each point of a sweep.

    True when (1) every coordinate is a monomial in the parameters (a rational times integer
    powers: real wherever finite, and accurate to a few ulps, see `_is_monomial`); (2) the
    right-hand side F (f, or f - x for maps) is a polynomial in the states and parameters; and
    (3) F at the point cancels to 0 identically as a rational function of the parameters
    (``sympy.cancel``). Then, at any parameter point where the coordinates are finite, they are
    real and F vanishes there up to its own rounding: the realness and root checks of
    `closed_form_points` cannot refuse the value (its residual is ~1e-16 of the terms against
    a tolerance of RESIDUAL_TOL), so they are skipped. Where a coordinate is not finite (a
    removable 0/0 or a pole of the formula) the point goes to `_repair` as before. The
    Brusselator's ``(a, b/a)`` is such a point; Cardano's roots of a cubic are not.
    """
    params = set(model.parameter_symbols)
    if not all(_is_monomial(c, params) for c in point):
        return False
    gens = [*model.states, *model.parameter_symbols]
    F = [
        f - x if model.time == "discrete" else f
        for f, x in zip(model.rhs, model.states, strict=True)
    ]
    if not all(sympy.sympify(f, strict=True).is_polynomial(*gens) for f in F):
        return False
    subs = dict(zip(model.states, point, strict=True))
    try:
        return all(sympy.cancel(sympy.sympify(f, strict=True).subs(subs)) == 0 for f in F)
    except Exception:  # a failure to cancel only keeps the checks
        return False


# --------------------------------------------------------------------------------------------
# The plan sent to workers


@dataclass(frozen=True)
class SweepPlan:
    """Everything a worker needs for a chunk; picklable, and identical for every chunk."""

    model: Model
    param_columns: tuple[int, ...]  # column of each swept parameter in the model's order
    base: tuple[float, ...]  # full parameter vector (fixed values; swept ones overwritten)
    method: str
    closed_forms: tuple[tuple[Any, ...], ...]
    closed_exists: tuple[Any, ...]  # the engine's existence condition of each closed form
    starts: FloatArray | None
    probes: FloatArray  # states at which a point with no equilibrium is tested for being defined
    max_equilibria: int
    key: str
    # The fused kernel (`.sweep_fused`): True builds it, None uses it when ready, False never.
    compiled: bool | None = None
    # Eigenvalues at every equilibrium; False: flows of n >= 3 states by Routh-Hurwitz.
    spectra: bool = True

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SweepPlan) and other.key == self.key


# Compiled closures, cached per process by plan key (a process pool unpickles the plan for each
# chunk; the lambdified functions are made once per worker).
CACHE: dict[Any, Any] = {}


def _compiled_points(plan: SweepPlan) -> dict[str, Any]:
    """The lambdified closed forms, their existence conditions and the residual scale."""
    key = plan.key + ":points"
    if key not in CACHE:
        model = plan.model
        syms = list(model.parameter_symbols)
        # scipy first: LambertW, gamma, ... map to scipy.special, which takes complex arguments.
        modules = ["scipy", "numpy"]
        points = [
            sympy.lambdify(syms, list(c), modules=modules, cse=True) for c in plan.closed_forms
        ]
        # One function per distinct condition (C+ and C- of Lorenz share theirs): `_claimed`
        # evaluates each once.
        distinct: dict[Any, Any] = {}
        for cond in plan.closed_exists:
            if cond not in distinct:
                distinct[cond] = _lambdify_condition(syms, cond)
        exists = [distinct[cond] for cond in plan.closed_exists]
        exact = [exact_by_construction(model, c) for c in plan.closed_forms]
        CACHE[key] = {"points": points, "exists": exists, "exact": exact}
    return CACHE[key]


def _lambdify_condition(syms: list[Any], cond: Any) -> Any:
    """The existence condition as a NumPy function, or None when it does not compile (it is
    only used for the notes, so it never decides anything)."""
    try:
        return sympy.lambdify(syms, cond, modules=["scipy", "numpy"])
    except Exception:  # a condition NumPy cannot express is reported as unknown (claimed)
        return None


def residual_terms(model: Model) -> tuple[list[Any], list[Any]]:
    """``F`` (f for flows, f - x for maps), whose roots are the equilibria, and the size of
    each component's additive terms ``sum_k |t_ik|`` (the scale of its rounding), as sympy
    expressions in the model's states and parameters."""
    F = [
        sympy.sympify(f, strict=True) - x if model.time == "discrete" else sympy.sympify(f, strict=True)
        for f, x in zip(model.rhs, model.states, strict=True)
    ]
    return F, [sympy.Add(*(sympy.Abs(t) for t in sympy.Add.make_args(f))) for f in F]


def term_sizes(model: Model, X: FloatArray, P: FloatArray) -> FloatArray:
    """``sum_k |t_ik|`` over the additive terms of each component of F = f (flows) or f - x
    (maps), at states `X` (..., n) and parameters `P` (..., m): the scale of F's rounding."""
    key = ("term sizes", model)
    if key not in CACHE:
        _, sizes = residual_terms(model)
        CACHE[key] = sympy.lambdify(
            [*model.states, *model.parameter_symbols], sizes, modules="numpy", cse=True
        )
    n, m = X.shape[-1], P.shape[-1]
    lead = np.broadcast_shapes(X.shape[:-1], P.shape[:-1])
    with np.errstate(all="ignore"):
        terms = CACHE[key](*(X[..., i] for i in range(n)), *(P[..., j] for j in range(m)))
    return np.stack([np.broadcast_to(np.asarray(t, dtype=float), lead) for t in terms], -1)


def closed_form_points(
    plan: SweepPlan, P: FloatArray
) -> tuple[FloatArray, np.ndarray, np.ndarray, np.ndarray]:
    """Closed-form equilibria at the parameter rows `P`, each checked at each point.

    Returns ``X`` (c, E, n), real and NaN where a slot holds no equilibrium; ``why`` (c, E),
    ``_ACCEPTED`` or the reason the formula's value was refused (undefined, complex, not a
    root); ``claimed`` (c, E), where the engine's existence condition holds (True where it
    cannot be evaluated); and ``repaired`` (c, E), where an undefined or inaccurate value was
    replaced by the root Newton found from it (see `_repair`). The condition is only used to
    report disagreements: existence is decided by the checks, never by the condition.
    """
    model = plan.model
    compiled = _compiled_points(plan)
    c = P.shape[0]
    E = len(compiled["points"])
    if E and all(compiled["exact"]):
        return _exact_points(plan, compiled, P)
    Z = np.empty((c, E, len(model.states)), dtype=complex)
    claimed = np.ones((c, E), dtype=bool)
    real_cols = [P[:, j] for j in range(P.shape[1])]
    for e, (func, cond) in enumerate(zip(compiled["points"], compiled["exists"], strict=True)):
        Z[:, e, :] = _evaluate(func, P)
        holds = np.ones(c, dtype=bool)
        if cond is not None:
            # A condition that cannot be evaluated is unknown: counted as claimed.
            errors = (TypeError, ValueError, ArithmeticError, AttributeError, NameError)
            with np.errstate(all="ignore"), contextlib.suppress(*errors):
                holds = np.broadcast_to(np.asarray(cond(*real_cols)), (c,))
        if holds.dtype == bool:
            claimed[:, e] = holds
    finite: np.ndarray = np.asarray(np.isfinite(Z).all(-1))
    size = 1.0 + np.max(np.abs(np.where(finite[..., None], Z, 0.0)), axis=-1)
    real = finite & np.all(np.abs(Z.imag) <= IMAG_TOL * size[..., None], axis=-1)
    # Only the real part of a value that is real to tolerance is ever used.
    X = np.where(real[..., None], Z.real, np.nan)
    is_root, defined = _is_root(plan, X, P)
    root = real & is_root
    why = np.full((c, E), _ACCEPTED, dtype=np.int8)
    why[~finite] = _UNDEFINED
    why[finite & ~real] = _COMPLEX
    why[real & ~root] = _NOT_A_ROOT
    why[real & ~defined] = _POLE
    X = np.where(root[..., None], X, np.nan)
    repaired = _repair(plan, P, Z, X, why)
    return X, why, claimed, repaired


def claimed_at(plan: SweepPlan, values: FloatArray) -> np.ndarray:
    """Where each closed form's existence condition holds at the swept `values` (c, k) (c, E);
    True where it cannot be evaluated (unknown counts as claimed)."""
    swept = dict(zip(plan.param_columns, range(values.shape[1]), strict=True))
    # The parameters not swept as scalars (the conditions broadcast): no column per point.
    cols = [
        values[:, swept[j]] if j in swept else np.float64(plan.base[j])
        for j in range(len(plan.base))
    ]
    return _claimed(_compiled_points(plan), cols, values.shape[0])


def _claimed(compiled: dict[str, Any], real_cols: Sequence[Any], c: int) -> np.ndarray:
    """Where each closed form's existence condition holds (c, E) at the parameter columns
    `real_cols` (arrays of c points, or scalars); True where it cannot be evaluated (unknown
    counts as claimed). A condition shared by several slots is evaluated once."""
    claimed = np.ones((c, len(compiled["exists"])), dtype=bool)
    errors = (TypeError, ValueError, ArithmeticError, AttributeError, NameError)
    done: dict[int, int] = {}
    for e, cond in enumerate(compiled["exists"]):
        if cond is None:
            continue
        if id(cond) in done:
            claimed[:, e] = claimed[:, done[id(cond)]]
            continue
        done[id(cond)] = e
        holds: Any = None
        with np.errstate(all="ignore"), contextlib.suppress(*errors):
            holds = np.broadcast_to(np.asarray(cond(*real_cols)), (c,))
        if holds is not None and holds.dtype == bool:
            claimed[:, e] = holds
    return claimed


def _exact_points(
    plan: SweepPlan, compiled: dict[str, Any], P: FloatArray
) -> tuple[FloatArray, np.ndarray, np.ndarray, np.ndarray]:
    """`closed_form_points` for closed forms that are exact by construction (see
    `exact_by_construction`): evaluated in real arithmetic, accepted wherever finite; where not
    finite, undefined and repaired by Newton as in the checked route."""
    c, n = P.shape[0], len(plan.model.states)
    E = len(compiled["points"])
    X = np.empty((c, E, n))
    cols = [P[:, j] for j in range(P.shape[1])]
    for e, func in enumerate(compiled["points"]):
        with np.errstate(all="ignore"):
            values = func(*cols)
        for i, v in enumerate(values):
            X[:, e, i] = v
    finite = finite_rows(X)
    why = np.where(finite, _ACCEPTED, _UNDEFINED).astype(np.int8)
    claimed = _claimed(compiled, cols, c)
    if finite.all():
        return X, why, claimed, np.zeros((c, E), dtype=bool)
    X[~finite] = np.nan
    # The formula's value is not finite: Newton from the value at nudged parameters.
    Z = X.astype(complex)
    repaired = _repair(plan, P, Z, X, why)
    return X, why, claimed, repaired


def _evaluate(func: Any, P: FloatArray) -> np.ndarray:
    """Values (c, n) of one lambdified closed form at the parameter rows `P`, in complex
    arithmetic (principal branches). A function that refuses complex input (a real-only special
    function) is evaluated at the real parameters instead; nothing is ever cast to real."""
    c = P.shape[0]
    with np.errstate(all="ignore"):
        try:
            values = func(*(P[:, j].astype(complex) for j in range(P.shape[1])))
        except (TypeError, ValueError, ArithmeticError, AttributeError):
            values = func(*(P[:, j] for j in range(P.shape[1])))
    return np.stack([np.broadcast_to(np.asarray(v, dtype=complex), (c,)) for v in values], -1)


def _is_root(plan: SweepPlan, X: FloatArray, P: FloatArray) -> tuple[np.ndarray, np.ndarray]:
    """Where the real points `X` (c, E, n) solve F = 0 at the rows `P` (c, m), to RESIDUAL_TOL
    relative to the size of F's terms and of J x (see RESIDUAL_TOL); and where F is defined
    (finite) at them."""
    model = plan.model
    cm = compile_model(model)
    n = len(model.states)
    Pb = np.broadcast_to(P[:, None, :], (*X.shape[:2], P.shape[1]))
    X0 = np.where(np.isfinite(X), X, 0.0)
    discrete = model.time == "discrete"
    F = cm.rhs(X0, Pb) - (X0 if discrete else 0.0)
    J = cm.jac(X0, Pb) - (np.eye(n) if discrete else 0.0)
    sizes = term_sizes(model, X0, Pb)
    with np.errstate(all="ignore"):
        jx = np.einsum("...ij,...j->...i", np.abs(J), np.abs(X0))  # sum_j |dF_i/dx_j| |x_j|
        # max_i (|F_i| - tol_i) <= 0; NaN (F undefined) compares False.
        root = np.max(np.abs(F) - RESIDUAL_TOL * (1.0 + sizes + jx), axis=-1) <= 0.0
    defined = np.asarray(np.isfinite(F).all(-1))
    return np.asarray(root & np.isfinite(X).all(-1)), defined


def _repair(
    plan: SweepPlan, P: FloatArray, Z: np.ndarray, X: FloatArray, why: np.ndarray
) -> np.ndarray:
    """Newton at the point where a closed form is undefined or inaccurate there; returns where
    a root was recovered (c, E) and fills `X` in place.

    Near the set where a formula divides 0 by 0 (Cardano's at r = 0 for ``r*x - x**3 + h``) it
    loses every digit to cancellation: its value is undefined or finite but not a root. Newton
    at the point then starts from that value (when finite and nearly real), else from the
    formula's value at parameters moved by NUDGE (1 + |p|) along one fixed direction or its
    opposite (the same for every point, so chunking does not matter). A start only seeds
    Newton: what is kept is a root checked at the point itself, as every closed-form value is.
    The slot's verdict in `why` is left as it was, so the notes still count the failures.
    """
    repaired = np.zeros(why.shape, dtype=bool)
    funcs = _compiled_points(plan)["points"]
    E = why.shape[1]
    n, m = len(plan.model.states), P.shape[1]
    direction = np.array([(-1.0) ** j * (1.0 + j / max(m, 1)) for j in range(m)])

    def usable(W: np.ndarray) -> np.ndarray:
        scale = 1.0 + np.abs(np.where(np.isfinite(W), W, 0.0)).max(-1, keepdims=True)
        return np.isfinite(W).all(-1) & np.all(np.abs(W.imag) <= 1e-2 * scale, axis=-1)

    for e in range(E):
        (r,) = np.nonzero((why[:, e] == _UNDEFINED) | (why[:, e] == _NOT_A_ROOT))
        if r.size == 0:
            continue
        starts = np.full((r.size, n), np.nan)
        own = usable(Z[r, e])
        starts[own] = Z[r, e][own].real
        for sign in (1.0, -1.0):
            todo = ~np.isfinite(starts).all(-1)
            if not todo.any():
                break
            Zn = _evaluate(funcs[e], P[r] + sign * NUDGE * (1.0 + np.abs(P[r])) * direction)
            fill = todo & usable(Zn)
            starts[fill] = Zn[fill].real
        seeded = np.isfinite(starts).all(-1)
        r = r[seeded]
        if r.size == 0:
            continue
        # One start per point: at most one root, never an overflow.
        found = newton_batch(plan, P[r], starts[seeded][:, None, :])[0][:, 0, :]
        ok = _is_root(plan, found[:, None, :], P[r])[0][:, 0]
        X[r[ok], e] = found[ok]
        repaired[r[ok], e] = True
    return repaired


def merge_coincident(X: FloatArray, exists: np.ndarray) -> np.ndarray:
    """Keep the first of closed-form slots that hold the same point (within COINCIDE_TOL);
    returns the new `exists`."""
    exists = exists.copy()
    E = X.shape[1]
    for e in range(E):
        for k in range(e + 1, E):
            both = exists[:, e] & exists[:, k]
            if not both.any():
                continue
            size = 1.0 + np.maximum(np.abs(X[:, e]).max(-1), np.abs(X[:, k]).max(-1))
            with np.errstate(invalid="ignore"):
                same = both & (np.abs(X[:, e] - X[:, k]).max(-1) <= COINCIDE_TOL * size)
            exists[same, k] = False
    return exists


def domain_ok(model: Model, X: FloatArray, P: FloatArray) -> np.ndarray:
    """Which states (last axis) are finite and inside the state domains and constraints."""
    ok = finite_rows(X)
    for i, dom in enumerate(model.state_domains):
        xi = X[..., i]
        if dom.kind == "positive":
            ok &= xi > -DOMAIN_TOL
        elif dom.kind == "nonnegative":
            ok &= xi >= -DOMAIN_TOL
        elif dom.kind == "interval":
            ok &= (xi >= float(dom.lo) - DOMAIN_TOL) & (xi <= float(dom.hi) + DOMAIN_TOL)  # type: ignore[arg-type]
    if model.constraints:
        key = ("constraints", model)
        if key not in CACHE:
            CACHE[key] = [_relation_margin(model, c) for c in model.constraints]
        for margin in CACHE[key]:
            ok &= margin(X, P) >= -DOMAIN_TOL
    return ok


def _relation_margin(model: Model, cond: Any) -> Any:
    """A function >= 0 where a relational constraint holds (lhs - rhs with the right sign)."""
    if isinstance(cond, sympy.And):
        parts = [_relation_margin(model, c) for c in cond.args]
        return lambda X, P: np.min([p(X, P) for p in parts], axis=0)
    if isinstance(cond, (sympy.Le, sympy.Lt)):
        expr = cond.rhs - cond.lhs
    elif isinstance(cond, (sympy.Ge, sympy.Gt)):
        expr = cond.lhs - cond.rhs
    else:
        raise ModelError(
            f"model `{model.name}`: constraint `{to_text(cond)}` is not an inequality; sweeps "
            "support constraints made of <, <=, >, >= joined by `and`"
        )
    f = sympy.lambdify([*model.states, *model.parameter_symbols], expr, modules="numpy")
    n = len(model.states)

    def margin(X: FloatArray, P: FloatArray) -> FloatArray:
        with np.errstate(all="ignore"):
            value = f(*(X[..., i] for i in range(n)), *(P[..., j] for j in range(P.shape[-1])))
        return np.broadcast_to(np.asarray(value, dtype=float), X.shape[:-1])

    return margin


def newton_batch(
    plan: SweepPlan, P: FloatArray, starts: FloatArray | None = None
) -> tuple[FloatArray, np.ndarray]:
    """All equilibria at each parameter point: Newton from the starts, de-duplicated.

    `starts` is one set (K, n) shared by every point (default: the plan's) or one set per point
    (c, K, n), where NaN rows are no start. Returns an array (c, E, n), ``E =
    plan.max_equilibria``, with NaN rows where a point has fewer than E equilibria, and
    ``overflow`` (c,): where Newton found more than E distinct equilibria. Only E of them fit,
    so the list of such a point is incomplete (a line of equilibria gives one root per start):
    its stability cannot be decided from it, and it must not be classed (issue 16: the stable
    vertex of a 3-routine simplex model at theta = 1 was cut off and the point called "none
    stable").
    """
    cm = compile_model(plan.model)
    if starts is None:
        starts = plan.starts
    assert starts is not None
    n = len(plan.model.states)
    c, K = P.shape[0], starts.shape[-2]
    discrete = plan.model.time == "discrete"
    X0 = np.broadcast_to(starts, (c, K, n))
    Pb = np.broadcast_to(P[:, None, :], (c, K, P.shape[1]))
    eye = np.eye(n)

    def F(x: FloatArray, q: FloatArray) -> FloatArray:
        return np.asarray(cm.rhs(x, q) - (x if discrete else 0.0))

    def DF(x: FloatArray, q: FloatArray) -> FloatArray:
        return np.asarray(cm.jac(x, q) - (eye if discrete else 0.0))

    # The Newton solver of `.newton`; each start stops on its own (never on the batch's
    # account), so a point's result does not depend on which other points share its chunk.
    X, converged = newton(F, DF, X0, Pb, NEWTON)
    converged &= domain_ok(plan.model, X, Pb)
    X = np.where(converged[..., None], X, np.nan)
    # De-duplicate per point: sort roots by rounded coordinates; drop a root equal to the one
    # before it. Unconverged (NaN) rows sort last.
    keys = np.round(np.nan_to_num(X, nan=np.inf) / SAME_TOL)
    order = np.lexsort(tuple(keys[..., i] for i in reversed(range(n))), axis=-1)
    Xs = np.take_along_axis(X, order[..., None], axis=1)
    dup = np.zeros((c, K), dtype=bool)
    dup[:, 1:] = np.all(np.abs(Xs[:, 1:] - Xs[:, :-1]) < 10 * SAME_TOL, axis=-1)
    Xs = np.where(dup[..., None], np.nan, Xs)
    # Compact: valid roots first, in sorted order, then NaN.
    valid = np.isfinite(Xs).all(-1)
    compact = np.argsort(~valid, axis=1, kind="stable")
    Xs = np.take_along_axis(Xs, compact[..., None], axis=1)
    E = plan.max_equilibria
    out = np.full((c, E, n), np.nan)
    out[:, : min(E, K)] = Xs[:, :E]
    # Distinct roots beyond the E slots are dropped: say so, per point.
    overflow = np.count_nonzero(valid, axis=1) > E
    return out, overflow


def roots_chunk(
    plan: SweepPlan, values: FloatArray, seeds: FloatArray | None, index: int
) -> dict[str, np.ndarray]:
    """A pass of the numeric method: the roots Newton finds from the shared starts (first pass)
    or from each point's seeds (its own and its neighbours' roots of the previous pass), and
    ``incomplete``: where more than ``max_equilibria`` were found (see `newton_batch`)."""
    X, overflow = newton_batch(plan, param_rows(plan, values), seeds)
    return {"x": X, "incomplete": overflow}


def param_rows(plan: SweepPlan, values: FloatArray) -> FloatArray:
    P = np.tile(np.asarray(plan.base, dtype=float), (values.shape[0], 1))
    P[:, list(plan.param_columns)] = values
    return P


@functools.lru_cache(maxsize=32)
def closed_form_equilibria(
    model: Model, timeout: float | None
) -> tuple[list[Any], list[Any], list[str], bool, str]:
    """Equilibria from the symbolic engine: (points, existence conditions, default labels,
    complete?, note).

    Cached per model, as compiled functions are: a second sweep of a model derives nothing.
    """
    from ..symbolic import equilibria

    try:
        found = equilibria(model, timeout=timeout)
    except Exception as err:  # any failure of the symbolic path falls back to numerics, noted
        return [], [], [], False, f"symbolic equilibria failed ({type(err).__name__}: {err})"
    if not getattr(found, "complete", False):
        return [], [], [], False, "the symbolic engine did not find all equilibria in closed form"
    points, conditions, labels = [], [], []
    for j, eq in enumerate(found):
        # Strict conversion: sympy objects and numbers only, never text.
        coords = tuple(sympy.sympify(eq.point[s], strict=True) for s in model.states)
        if any(c.has(sympy.RootOf, sympy.CRootOf) for c in coords):
            return [], [], [], False, "an equilibrium is only known implicitly (RootOf)"
        points.append(coords)
        exists = getattr(eq, "exists", sympy.true)
        conditions.append(exists if isinstance(exists, sympy.logic.boolalg.Boolean) else sympy.true)
        text = ", ".join(f"{s}={to_text(c)}" for s, c in zip(model.states, coords, strict=True))
        labels.append(text if len(text) <= 24 else f"E{j}")
    return points, conditions, labels, True, ""


@functools.lru_cache(maxsize=32)
def stability_boundaries(
    model: Model, labels: tuple[str, ...], timeout: float | None
) -> list[tuple[str, str]]:
    """Zero-level expressions of the symbolic stability conditions, one per relational atom."""
    from ..symbolic import equilibria, stability

    out: list[tuple[str, str]] = []
    seen: set[Any] = set()
    try:
        for eq, label in zip(equilibria(model, timeout=timeout), labels, strict=False):
            cond = stability(model, eq, timeout=timeout).condition
            for rel in cond.atoms(sympy.core.relational.Relational):
                # Each factor of lhs - rhs is a boundary of its own (a product's zero set is the
                # union of its factors'); the same curve is drawn once, whatever its sign.
                _, factors = sympy.factor_list(rel.lhs - rel.rhs)
                for factor, _power in factors:
                    if factor.free_symbols & set(model.states) or factor.is_number:
                        continue
                    if factor in seen or -factor in seen:
                        continue
                    seen.add(factor)
                    out.append((label, to_text(factor)))
    except Exception:  # boundaries are a drawing aid; a failure leaves them out, with no guess
        return out
    return out


def _per_slot(mask: np.ndarray) -> np.ndarray:
    """``np.count_nonzero(mask, axis=0)`` for a (c, E) mask, by the positions of its True
    entries (the reduction over axis 0 took 60 ms at 10^6 points of three slots, this 1 ms)."""
    E = mask.shape[1]
    return np.bincount(np.flatnonzero(mask) % E, minlength=E)


def closed_form_notes(
    model_name: str,
    labels: Sequence[str],
    why: np.ndarray,
    claimed: np.ndarray,
    repaired: np.ndarray,
    exists: np.ndarray,
) -> list[str]:
    """Say, per closed-form slot, at how many points it was refused although the engine says it
    exists there, and why; at how many it is an equilibrium (counted in the map) the engine says
    does not exist; and at how many its formula is undefined and its limit was used. A closed
    form that is not a root of the right-hand side also raises a RuntimeWarning."""
    notes = []
    total, E = why.shape
    # Every count per slot at once, block by block (the arrays may be memory-mapped files of
    # any length; a block of 2**20 rows bounds the temporaries), each verdict counted only in
    # blocks where some value was refused.
    counts = np.zeros((E, _POLE + 1), dtype=np.int64)
    unclaimed_e = np.zeros(E, dtype=np.int64)
    fixed_e = np.zeros(E, dtype=np.int64)
    for a in range(0, total, 1 << 20):
        b = min(a + (1 << 20), total)
        w, said, there = np.asarray(why[a:b]), np.asarray(claimed[a:b]), np.asarray(exists[a:b])
        if w.any():
            for code in (_UNDEFINED, _COMPLEX, _NOT_A_ROOT, _POLE):
                counts[:, code] += _per_slot((w == code) & said)
        unclaimed_e += _per_slot(there & ~said)
        fix = np.asarray(repaired[a:b])
        if fix.any():
            fixed_e += _per_slot(there & fix)
    for e, label in enumerate(labels):
        parts = []
        for code, words in (
            (_UNDEFINED, "undefined (not finite)"),
            (_COMPLEX, "complex"),
            (_NOT_A_ROOT, "not a root of the right-hand side"),
            (_POLE, "a point where the right-hand side is undefined (a pole)"),
        ):
            k = int(counts[e, code])
            if k:
                parts.append(f"{words} at {k}")
        unclaimed, fixed = int(unclaimed_e[e]), int(fixed_e[e])
        if parts:
            notes.append(
                f"closed form `{label}`: where the symbolic engine says it exists, it is "
                f"{', '.join(parts)} of {total} points; its value is not used there"
            )
        if unclaimed:
            notes.append(
                f"closed form `{label}`: a real equilibrium at {unclaimed} of {total} points "
                "where the symbolic engine says it does not exist; counted there"
            )
        if fixed:
            notes.append(
                f"closed form `{label}`: undefined or inaccurate at {fixed} of {total} points, "
                "where the root Newton finds from it (checked) is used"
            )
        wrong = int(counts[e, _NOT_A_ROOT] + counts[e, _POLE])
        if wrong:
            warnings.warn(
                f"sweep of `{model_name}`: closed-form equilibrium `{label}` does not solve the "
                f"equations at {wrong} of {total} points where the symbolic engine says it "
                "exists; its value is not used there (only a root Newton finds from it, "
                "checked, is); compare with method='numeric'",
                RuntimeWarning,
                stacklevel=3,
            )
    return notes


def neighbour_seeds(
    roots: FloatArray, values: FloatArray, shape: tuple[int, ...], grid: bool
) -> FloatArray:
    """Each point's roots followed by its neighbours' roots: (P, E * (1 + neighbours), n).

    Grid neighbours differ by one step along one axis; in a sample they are the 2k nearest
    points (k swept parameters) in coordinates scaled to the unit box.
    """
    P, _, n = roots.shape
    if grid:
        index = np.arange(P).reshape(shape)
        neighbours = []
        for axis in range(len(shape)):
            for step in (-1, 1):
                shifted = np.roll(index, -step, axis=axis)
                # No wrap-around: a point at the edge has no neighbour beyond it.
                edge = [slice(None)] * len(shape)
                edge[axis] = slice(-1, None) if step == 1 else slice(0, 1)
                shifted[tuple(edge)] = -1
                neighbours.append(shifted.ravel())
        nb = np.stack(neighbours, axis=1)
    else:
        from scipy.spatial import cKDTree

        lo, span = values.min(axis=0), np.ptp(values, axis=0)
        unit = (values - lo) / np.where(span > 0, span, 1.0)
        k = min(P - 1, 2 * values.shape[1])
        nb = cKDTree(unit).query(unit, k=k + 1)[1][:, 1:] if k > 0 else np.zeros((P, 0), dtype=int)
    gathered = np.where((nb >= 0)[..., None, None], roots[np.maximum(nb, 0)], np.nan)
    return np.concatenate([roots[:, None], gathered], axis=1).reshape(P, -1, n)


def shared_starts(
    model: Model, bounds: Mapping[str, tuple[float, float]] | None, n_starts: int, seed: int
) -> FloatArray:
    """One set of scrambled Sobol starts in the bounding box, shared by every point."""
    from scipy.stats import qmc

    if not isinstance(n_starts, int) or n_starts < 1:
        raise ModelError(f"`n_starts` must be a positive int, got {n_starts!r}")
    lo, hi = search_box(model, bounds)
    sampler = qmc.Sobol(d=len(lo), scramble=True, seed=seed)
    # Sobol points balance in powers of two: round the number of starts up to one.
    unit = sampler.random_base2(max(0, math.ceil(math.log2(n_starts))))
    starts = qmc.scale(unit, lo, hi)
    if len(lo) <= 6:
        # The corners of the box hold equilibria often (shares at 0 or 1): start there too.
        corners = np.array(list(itertools.product(*zip(lo, hi, strict=True))), dtype=float)
        starts = np.vstack([corners, starts])
    return starts
