"""Parameter sweeps: every equilibrium, its eigenvalues and stability, at many parameter points.

:func:`sweep` evaluates a model over a grid or a sample of parameter points. For each point it
finds all equilibria, their eigenvalues (one stacked :func:`numpy.linalg.eigvals` call per chunk)
and stability, and gives the point a class named after its stable equilibria (``"aligned only"``,
``"aligned + entrenched (bistable)"``, ``"none stable"``). Equilibria come

* from the symbolic engine's closed forms (``method="closed_form"``), compiled once and evaluated
  vectorized over the parameters, when the engine finds all equilibria in closed form. A closed
  form is never trusted blindly: it is evaluated in complex arithmetic, and a slot holds an
  equilibrium at a point only where its value is finite, real (imaginary part below
  :data:`IMAG_TOL` relative to its size, then the real value is used) and a root of the
  right-hand side there (residual below :data:`RESIDUAL_TOL` relative to the size of the terms).
  Points where a slot the engine says exists fails these checks are counted in the map's
  ``notes`` (a closed form that is not a root also raises a :class:`RuntimeWarning`); or
* numerically (``method="numeric"``): a batched Newton iteration with the analytic Jacobian from
  one fixed set of starts (the box corners and scrambled Sobol points, the same for every point),
  then seeding passes in which each point starts Newton from its own and its neighbouring
  points' roots, until no point gains a root.

Points of a flow with no stable (and no neutral) equilibrium are probed by simulation
(``cycles=True``, the default for flows): from a few seeded starts next to the point's
equilibria, one vectorized ensemble of trajectories, and :func:`~.cycles.detect_cycle` on the
second half of each. A point where a trajectory settles on a periodic orbit gets the class
``"stable cycle"`` and the orbit's period (:attr:`StabilityMap.period`); a probe that diverges,
fails or does not settle leaves the point ``"none stable"``; every outcome is counted in the
map's ``notes``, and so are the points left unprobed past the bound `max_probes`.

Each pass makes a point's result a function of the previous pass's results, never of how the
points were split into chunks, so results are identical whatever the chunking, the executor or
the number of workers. Work is chunked and runs on any
:class:`concurrent.futures.Executor` or a ``dask.distributed.Client``; with ``out=`` finished
chunks are kept on disk and an interrupted sweep resumes.

Output file format: a NumPy ``.npz`` archive holding the arrays of :class:`StabilityMap` and a
``meta`` entry (JSON text) with names, labels, classes and the analytic boundaries.

Examples
--------
>>> import numpy as np
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
>>> sm = ig.sweep(m, {"r": np.linspace(-1, 1, 5)}, labels={"extinct": {"x": 0}})
>>> sm.classes.tolist()
['extinct only', 'extinct only', 'none stable (extinct neutral)', 'x=r only', 'x=r only']
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import math
import os
import time
import warnings
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.language import parse_expression, to_text
from incentive_geometry.model import Model

from .compile import compile_model, resolve_params
from .executors import ChunkStore, ExecutorSpec, fingerprint, run_chunks
from .newton import NewtonOptions, newton, search_box
from .resources import check_memory
from .stability import NEUTRAL, STABLE, stability_codes, stability_margin

__all__ = ["StabilityMap", "sweep"]

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

# The verdict on a closed form's value at a point (codes of `_closed_form_points`).
_ACCEPTED, _UNDEFINED, _COMPLEX, _NOT_A_ROOT, _POLE = 0, 1, 2, 3, 4


# --------------------------------------------------------------------------------------------
# The plan sent to workers


@dataclass(frozen=True)
class _Plan:
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

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Plan) and other.key == self.key


# Compiled closures, cached per process by plan key (a process pool unpickles the plan for each
# chunk; the lambdified functions are made once per worker).
_CACHE: dict[Any, Any] = {}


def _compiled_points(plan: _Plan) -> dict[str, Any]:
    """The lambdified closed forms, their existence conditions and the residual scale."""
    key = plan.key + ":points"
    if key not in _CACHE:
        model = plan.model
        syms = list(model.parameter_symbols)
        # scipy first: LambertW, gamma, ... map to scipy.special, which takes complex arguments.
        modules = ["scipy", "numpy"]
        points = [
            sympy.lambdify(syms, list(c), modules=modules, cse=True) for c in plan.closed_forms
        ]
        exists = [_lambdify_condition(syms, cond) for cond in plan.closed_exists]
        _CACHE[key] = {"points": points, "exists": exists}
    return _CACHE[key]


def _lambdify_condition(syms: list[Any], cond: Any) -> Any:
    """The existence condition as a NumPy function, or None when it does not compile (it is
    only used for the notes, so it never decides anything)."""
    try:
        return sympy.lambdify(syms, cond, modules=["scipy", "numpy"])
    except Exception:  # a condition NumPy cannot express is reported as unknown (claimed)
        return None


def _term_sizes(model: Model, X: FloatArray, P: FloatArray) -> FloatArray:
    """``sum_k |t_ik|`` over the additive terms of each component of F = f (flows) or f - x
    (maps), at states `X` (..., n) and parameters `P` (..., m): the scale of F's rounding."""
    key = ("term sizes", model)
    if key not in _CACHE:
        F = [
            f - x if model.time == "discrete" else f
            for f, x in zip(model.rhs, model.states, strict=True)
        ]
        sizes = [sympy.Add(*(sympy.Abs(t) for t in sympy.Add.make_args(f))) for f in F]
        _CACHE[key] = sympy.lambdify(
            [*model.states, *model.parameter_symbols], sizes, modules="numpy", cse=True
        )
    n, m = X.shape[-1], P.shape[-1]
    lead = np.broadcast_shapes(X.shape[:-1], P.shape[:-1])
    with np.errstate(all="ignore"):
        terms = _CACHE[key](*(X[..., i] for i in range(n)), *(P[..., j] for j in range(m)))
    return np.stack([np.broadcast_to(np.asarray(t, dtype=float), lead) for t in terms], -1)


def _closed_form_points(
    plan: _Plan, P: FloatArray
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


def _is_root(plan: _Plan, X: FloatArray, P: FloatArray) -> tuple[np.ndarray, np.ndarray]:
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
    sizes = _term_sizes(model, X0, Pb)
    with np.errstate(all="ignore"):
        jx = np.einsum("...ij,...j->...i", np.abs(J), np.abs(X0))  # sum_j |dF_i/dx_j| |x_j|
        # max_i (|F_i| - tol_i) <= 0; NaN (F undefined) compares False.
        root = np.max(np.abs(F) - RESIDUAL_TOL * (1.0 + sizes + jx), axis=-1) <= 0.0
    defined = np.asarray(np.isfinite(F).all(-1))
    return np.asarray(root & np.isfinite(X).all(-1)), defined


def _repair(
    plan: _Plan, P: FloatArray, Z: np.ndarray, X: FloatArray, why: np.ndarray
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
        found = _newton_batch(plan, P[r], starts[seeded][:, None, :])[:, 0, :]
        ok = _is_root(plan, found[:, None, :], P[r])[0][:, 0]
        X[r[ok], e] = found[ok]
        repaired[r[ok], e] = True
    return repaired


def _merge_coincident(X: FloatArray, exists: np.ndarray) -> np.ndarray:
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
    noise = ROUNDING * (1.0 + _term_sizes(model, X, P))
    noise = np.where(np.isfinite(noise) & ~singular[..., None], noise, 0.0)
    dx = np.linalg.solve(np.where(singular[..., None, None], np.eye(n), JF), noise[..., None])
    J2 = compile_model(model).jac(X + dx[..., 0], P)
    with np.errstate(all="ignore"):
        spread = np.sqrt(np.sum((J2 - J) ** 2, axis=(-2, -1)))
    return np.where(np.isfinite(spread), spread, np.inf)


def _domain_ok(model: Model, X: FloatArray, P: FloatArray) -> np.ndarray:
    """Which states (last axis) are finite and inside the state domains and constraints."""
    ok = np.all(np.isfinite(X), axis=-1)
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
        if key not in _CACHE:
            _CACHE[key] = [_relation_margin(model, c) for c in model.constraints]
        for margin in _CACHE[key]:
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


def _newton_batch(plan: _Plan, P: FloatArray, starts: FloatArray | None = None) -> FloatArray:
    """All equilibria at each parameter point: Newton from the starts, de-duplicated.

    `starts` is one set (K, n) shared by every point (default: the plan's) or one set per point
    (c, K, n), where NaN rows are no start. Returns an array (c, E, n) with NaN rows where a
    point has fewer than E equilibria.
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
    converged &= _domain_ok(plan.model, X, Pb)
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
    return out


def _roots_chunk(
    plan: _Plan, values: FloatArray, seeds: FloatArray | None, index: int
) -> dict[str, np.ndarray]:
    """A pass of the numeric method: the roots Newton finds from the shared starts (first pass)
    or from each point's seeds (its own and its neighbours' roots of the previous pass)."""
    return {"x": _newton_batch(plan, _param_rows(plan, values), seeds)}


def _param_rows(plan: _Plan, values: FloatArray) -> FloatArray:
    P = np.tile(np.asarray(plan.base, dtype=float), (values.shape[0], 1))
    P[:, list(plan.param_columns)] = values
    return P


def _chunk(
    plan: _Plan, values: FloatArray, seeds: FloatArray | None, index: int
) -> dict[str, np.ndarray]:
    """One chunk: equilibria, existence, eigenvalues and stability at the rows of `values`.

    For the numeric method, `seeds` (c, E, n) are the point's roots after the seeding passes;
    Newton refines them and the point's stability follows.
    """
    model = plan.model
    cm = compile_model(model)
    c = values.shape[0]
    P = _param_rows(plan, values)
    out: dict[str, np.ndarray] = {}
    if plan.method == "closed_form":
        X, why, claimed, repaired = _closed_form_points(plan, P)
        E = X.shape[1]
        out = {"why": why, "claimed": claimed, "repaired": repaired}
    else:
        X = _newton_batch(plan, P, seeds)
        E = X.shape[1]
    Pb = np.broadcast_to(P[:, None, :], (c, E, P.shape[1]))
    exists = _domain_ok(model, X, Pb)
    if plan.method == "closed_form":
        exists = _merge_coincident(X, exists)
    # Flows: stable iff every Re(lambda) < 0; maps: iff every |lambda| < 1 (Jacobian of the map),
    # beyond the neutral band of `.stability`. A Jacobian that is not finite at an equilibrium
    # (sqrt(x) at x = 0) does not decide: that equilibrium is neutral.
    J = cm.jac(np.where(exists[..., None], X, 0.0), Pb)
    finite_J = np.isfinite(J).all(axis=(-2, -1))
    J = np.where(np.isfinite(J), J, 0.0)
    eig = np.linalg.eigvals(J)
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
        **out,
    }


def _defined(plan: _Plan, cm: Any, P: FloatArray, has_equilibrium: np.ndarray) -> np.ndarray:
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


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class StabilityMap:
    """Equilibria, stability and a class at every point of a parameter sweep.

    Attributes
    ----------
    model_name : str
    parameter_names : tuple of str
        The swept parameters, in the order of the columns of `values`.
    values : numpy.ndarray, shape (P, k)
        The swept parameter values at each point.
    shape : tuple of int
        Shape of the grid (``(len(a), len(b))`` for a grid over a and b; ``(P,)`` for a sample).
    axes : tuple of numpy.ndarray or None
        The grid axes, None for a sample.
    fixed : dict of str to float
        Values of the parameters that were not swept.
    equilibrium_labels : tuple of str
        A label per equilibrium slot (closed form) or per labelled equilibrium (numeric).
    x : numpy.ndarray, shape (P, E, n)
        Equilibria (NaN where a slot holds none).
    exists, stable : numpy.ndarray of bool, shape (P, E)
        Stable beyond the neutral band of :mod:`~incentive_geometry.solvers.numeric.stability`.
    eigenvalues : numpy.ndarray of complex, shape (P, E, n)
    class_codes : numpy.ndarray of int, shape (P,)
        Index into `class_names` at each point.
    class_names : tuple of str
    boundaries : tuple of (str, str)
        Analytic stability boundaries ``(label, expression)``, zero on the boundary, from the
        symbolic engine (empty when none is known).
    neutral : numpy.ndarray of bool, shape (P, E)
        Equilibria whose linearization does not decide stability (an eigenvalue on the boundary
        within the tolerance, or a Jacobian that is not finite); neither stable nor unstable.
        Named in the class: ``"x=r only (x=0 neutral)"``.
    defined : numpy.ndarray of bool, shape (P,)
        False where the model is undefined (no equilibrium, and the right-hand side is not
        finite at any probe state: ``log(a)`` with ``a <= 0``); such points have the class
        ``"undefined"``.
    period : numpy.ndarray of float, shape (P,)
        The period of the cycle a simulation probe settled on, at points of class
        ``"stable cycle"``; NaN elsewhere (see :func:`sweep`'s `cycles`).
    method : str
        ``"closed_form"`` or ``"numeric"``.
    seconds : float
        Wall time of the sweep.
    notes : tuple of str
        What the sweep noticed on the way: why it used numerics, and, per closed form, at how
        many points its value was refused (complex, undefined, not a root, a pole) where the
        engine says it exists, where it is an equilibrium the engine says does not exist, and
        where Newton recovered a root the formula lost to cancellation.

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    >>> sm = ig.sweep(m, {"r": np.array([-1.0, 1.0])})
    >>> sm.counts
    {'x=0 only': 1, 'x=r only': 1}
    """

    model_name: str
    parameter_names: tuple[str, ...]
    values: FloatArray
    shape: tuple[int, ...]
    axes: tuple[FloatArray, ...] | None
    fixed: dict[str, float]
    equilibrium_labels: tuple[str, ...]
    x: FloatArray
    exists: np.ndarray
    stable: np.ndarray
    eigenvalues: np.ndarray
    class_codes: np.ndarray
    class_names: tuple[str, ...]
    boundaries: tuple[tuple[str, str], ...] = ()
    method: str = "closed_form"
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    neutral: np.ndarray | None = None
    defined: np.ndarray | None = None
    period: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.neutral is None:
            object.__setattr__(self, "neutral", np.zeros_like(np.asarray(self.stable), dtype=bool))
        if self.defined is None:
            object.__setattr__(self, "defined", np.ones(np.shape(self.class_codes), dtype=bool))
        if self.period is None:
            object.__setattr__(self, "period", np.full(np.shape(self.class_codes), np.nan))

    @property
    def classes(self) -> np.ndarray:
        """The class name at each point, in the grid's shape."""
        names = np.array(self.class_names, dtype=object)
        return names[self.class_codes].reshape(self.shape)

    @property
    def counts(self) -> dict[str, int]:
        """Number of points in each class (classes with no point left out)."""
        tally = np.bincount(self.class_codes, minlength=len(self.class_names))
        return {name: int(k) for name, k in zip(self.class_names, tally, strict=True) if k}

    def save(self, path: str | Path) -> Path:
        """Write the map to a ``.npz`` file (see the module docstring for the format).

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import numpy as np
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
        >>> sm = ig.sweep(m, {"r": np.array([-1.0, 1.0])})
        >>> path = sm.save(pathlib.Path(tempfile.mkdtemp()) / "map.npz")
        >>> ig.StabilityMap.load(path).counts == sm.counts
        True
        """
        path = Path(path)
        meta = {
            "model_name": self.model_name,
            "parameter_names": list(self.parameter_names),
            "shape": list(self.shape),
            "fixed": self.fixed,
            "equilibrium_labels": list(self.equilibrium_labels),
            "class_names": list(self.class_names),
            "boundaries": [list(b) for b in self.boundaries],
            "method": self.method,
            "seconds": self.seconds,
            "notes": list(self.notes),
            "n_axes": 0 if self.axes is None else len(self.axes),
        }
        arrays: dict[str, Any] = {
            "values": self.values,
            "x": self.x,
            "exists": self.exists,
            "stable": self.stable,
            "neutral": self.neutral,
            "defined": self.defined,
            "period": self.period,
            "eigenvalues": self.eigenvalues,
            "class_codes": self.class_codes,
            "meta": np.array(json.dumps(meta)),
        }
        for i, axis in enumerate(self.axes or ()):
            arrays[f"axis_{i}"] = axis
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> StabilityMap:
        """Read a map written by :meth:`save`.

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        StabilityMap

        Raises
        ------
        ModelError
            When the file is missing or not a stability map.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> ig.StabilityMap.load("missing.npz")
        Traceback (most recent call last):
        ...
        incentive_geometry.errors.ModelError: stability map file `missing.npz` does not exist
        """
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"stability map file `{path}` does not exist")
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {k: data[k] for k in data.files if k != "meta"}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as err:
            # A truncated, empty or altered file: named, never a raw BadZipFile.
            raise ModelError(
                f"`{path}` is not a stability map file ({type(err).__name__}: {err}); "
                "write it again (rerun the sweep)"
            ) from None
        try:
            axes = tuple(arrays[f"axis_{i}"] for i in range(meta["n_axes"])) or None
            return cls(
                model_name=meta["model_name"],
                parameter_names=tuple(meta["parameter_names"]),
                values=arrays["values"],
                shape=tuple(meta["shape"]),
                axes=axes,
                fixed=meta["fixed"],
                equilibrium_labels=tuple(meta["equilibrium_labels"]),
                x=arrays["x"],
                exists=arrays["exists"],
                stable=arrays["stable"],
                eigenvalues=arrays["eigenvalues"],
                class_codes=arrays["class_codes"],
                class_names=tuple(meta["class_names"]),
                boundaries=tuple((a, b) for a, b in meta["boundaries"]),
                method=meta["method"],
                seconds=meta["seconds"],
                notes=tuple(meta["notes"]),
                neutral=arrays.get("neutral"),
                defined=arrays.get("defined"),
                period=arrays.get("period"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            # Readable, but not what `save` writes (fields missing or of the wrong kind).
            raise ModelError(
                f"`{path}` is not a stability map file ({type(err).__name__}: {err}); "
                "write it again (rerun the sweep)"
            ) from None

    def plot(
        self, path: str | Path | None = None, *, ax: Any = None, title: str | None = None
    ) -> Any:
        """Draw the region map of a 2-D grid, with the analytic boundaries on top.

        Parameters
        ----------
        path : str or Path, optional
            Save the figure there (PNG or SVG by the suffix).
        ax : matplotlib Axes, optional
            Draw into these axes.
        title : str, optional

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ModelError
            When the sweep is not a 2-D grid.

        Examples
        --------
        >>> import numpy as np
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "x*(r - s*x)"}, parameters={"r": 1.0, "s": 1.0})
        >>> sm = ig.sweep(m, {"r": np.linspace(-1, 1, 5), "s": np.linspace(0.5, 1, 3)})
        >>> fig = sm.plot()
        >>> len(fig.axes[0].images)
        1
        """
        import matplotlib
        from matplotlib.colors import BoundaryNorm, ListedColormap
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        from .plots import figure_and_axes, save_figure

        if self.axes is None or len(self.axes) != 2:
            raise ModelError(
                "`plot` draws 2-D grids; this sweep has "
                f"{'a sample' if self.axes is None else f'{len(self.axes)} axes'}"
            )
        created = ax is None
        fig, ax = figure_and_axes(ax)
        if created:
            fig.set_size_inches(7.5, 5.0)  # room for the legend beside the map
        a_axis, b_axis = self.axes
        codes = self.class_codes.reshape(self.shape)
        used = sorted(set(np.unique(codes).tolist()))
        palette = matplotlib.colormaps["tab10"]
        colors = [palette(i % 10) for i in range(len(self.class_names))]
        cmap = ListedColormap(colors)
        norm = BoundaryNorm(np.arange(len(colors) + 1) - 0.5, len(colors))
        ax.imshow(
            codes.T,
            origin="lower",
            aspect="auto",
            extent=(a_axis[0], a_axis[-1], b_axis[0], b_axis[-1]),
            cmap=cmap,
            norm=norm,
            interpolation="nearest",
        )
        handles: list[Any] = [Patch(color=colors[i], label=self.class_names[i]) for i in used]
        # Analytic boundaries: the zero level of each boundary expression over the grid.
        if self.boundaries:
            names = self.parameter_names
            grid = np.meshgrid(a_axis, b_axis, indexing="ij")
            symbols = {n: sympy.Symbol(n, real=True) for n in (*names, *self.fixed)}
            styles = ["-", "--", ":", "-."]
            for k, (label, text) in enumerate(self.boundaries):
                expr = parse_expression(text, symbols, where=f"boundary `{label}`")
                expr = expr.subs({symbols[n]: v for n, v in self.fixed.items()})
                f = sympy.lambdify([symbols[names[0]], symbols[names[1]]], expr, modules="numpy")
                with np.errstate(all="ignore"):
                    values = np.broadcast_to(np.asarray(f(*grid), dtype=float), grid[0].shape)
                if np.nanmin(values) < 0 < np.nanmax(values):
                    ax.contour(
                        grid[0],
                        grid[1],
                        values,
                        levels=[0.0],
                        colors="black",
                        linestyles=styles[k % len(styles)],
                        linewidths=1.5,
                    )
                    handles.append(
                        Line2D(
                            [],
                            [],
                            color="black",
                            linestyle=styles[k % len(styles)],
                            label=f"boundary: {label}",
                        )
                    )
        ax.set_xlabel(self.parameter_names[0])
        ax.set_ylabel(self.parameter_names[1])
        fixed = ", ".join(f"{k}={v:g}" for k, v in self.fixed.items())
        ax.set_title(
            title or f"{self.model_name}: stable equilibria" + (f" ({fixed})" if fixed else ""),
            fontsize=10,
        )
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False
        )
        save_figure(fig, path)
        return fig


# --------------------------------------------------------------------------------------------
# The sweep


def _point_count(points: Any) -> int:
    """Number of points of a grid or a sample table, without building it."""
    if isinstance(points, Mapping):
        count = 1
        for axis in points.values():
            count *= int(np.size(axis)) if not isinstance(axis, range) else len(axis)
        return count
    shape = np.shape(points)
    return int(shape[0]) if shape else 0


def _points(
    model: Model, points: Any, names: Sequence[str] | None
) -> tuple[tuple[str, ...], FloatArray, tuple[int, ...], tuple[FloatArray, ...] | None]:
    """Normalize `points` to (names, values (P, k), shape, axes)."""
    if isinstance(points, Mapping):
        if not points:
            raise ModelError("`points` is empty; give at least one parameter axis")
        keys = tuple(points)
        axes = []
        for key in keys:
            model.parameter(key)
            arr = np.asarray(points[key], dtype=float)
            if arr.ndim != 1 or arr.size == 0:
                raise ModelError(
                    f"grid axis `{key}` must be a non-empty 1-D array, got shape {arr.shape}"
                )
            axes.append(arr)
        mesh = np.meshgrid(*axes, indexing="ij")
        values = np.stack([g.ravel() for g in mesh], axis=1)
        shape = tuple(len(a) for a in axes)
        return keys, values, shape, tuple(axes)
    arr = np.asarray(points, dtype=float)
    if arr.ndim != 2:
        raise ModelError(
            f"`points` must be a grid (dict of 1-D arrays) or a sample table of shape (P, k); "
            f"got an array of shape {arr.shape}"
        )
    if names is None or len(names) != arr.shape[1]:
        raise ModelError(
            f"a sample table of shape {arr.shape} needs `names` with {arr.shape[1]} parameter names"
        )
    for key in names:
        model.parameter(key)
    return tuple(names), arr, (arr.shape[0],), None


@functools.lru_cache(maxsize=32)
def _closed_forms(
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
def _boundaries(
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


def _match_labels(
    model: Model, labels: Mapping[str, Mapping[str, float]] | None
) -> list[tuple[str, dict[int, float]]]:
    out = []
    for name, spec in (labels or {}).items():
        if not isinstance(spec, Mapping) or not spec:
            raise ModelError(
                f"label `{name}` must map state names to values, e.g. {{'x': 0}}; got {spec!r:.60}"
            )
        coords = {}
        for state, value in spec.items():
            if state not in model.state_names:
                raise ModelError(
                    f"label `{name}` names `{state}`, which is not a state of `{model.name}` "
                    f"(states: {', '.join(model.state_names)})"
                )
            coords[model.state_names.index(state)] = float(value)
        out.append((str(name), coords))
    return out


def _class_name(names: list[str], neutral: Sequence[str] = ()) -> str:
    """``"a only"``, ``"a + b (bistable)"``, ``"none stable"``, with the neutral equilibria
    after it: ``"a only (b neutral)"``."""
    if not names:
        base = "none stable"
    elif len(names) == 1:
        base = f"{names[0]} only"
    else:
        kind = "bistable" if len(names) == 2 else "multistable"
        base = " + ".join(names) + f" ({kind})"
    if neutral:
        base += f" ({', '.join(neutral)} neutral)"
    return base


def sweep(
    model: Model,
    points: Mapping[str, Sequence[float] | np.ndarray] | np.ndarray,
    *,
    names: Sequence[str] | None = None,
    params: Mapping[str, float] | None = None,
    labels: Mapping[str, Mapping[str, float]] | None = None,
    method: str = "auto",
    executor: ExecutorSpec = None,
    chunk_size: int = 20_000,
    out: str | Path | None = None,
    progress: bool = False,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    n_starts: int = 24,
    seed_passes: int = 8,
    max_equilibria: int = 8,
    seed: int = 0,
    retries: int = 2,
    timeout: float | None = 60.0,
    cycles: bool | None = None,
    max_probes: int = 32,
    cycle_starts: int = 2,
    cycle_time: float | None = None,
) -> StabilityMap:
    """Equilibria, eigenvalues, stability and a class at every point of a grid or a sample.

    Parameters
    ----------
    model : Model
        Any model; a simplex model is reduced to n-1 coordinates first.
    points : dict of str to 1-D array, or array of shape (P, k)
        A grid (the product of the axes, in ``"ij"`` order) or a sample table with `names`.
    names : sequence of str, optional
        Column names of a sample table.
    params : dict, optional
        Values of the parameters that are not swept (default: their defaults).
    labels : dict of str to dict, optional
        Names for equilibria, e.g. ``{"aligned": {"x": 0}, "entrenched": {"x": 1}}``; an
        equilibrium matching all given coordinates gets the name. Classes are named after the
        stable ones.
    method : {"auto", "closed_form", "numeric"}
        ``"auto"`` uses closed forms when the symbolic engine finds all equilibria.
    executor : None, "serial", "processes", Executor or dask Client
        Where chunks run; None runs large sweeps on a process pool.
    chunk_size : int
        Points per chunk.
    out : path, optional
        Final ``.npz`` file; finished chunks are kept beside it and a rerun resumes.
    progress : bool
        Show a progress bar.
    bounds : dict of state -> (lo, hi), optional
        Box of the Newton starts (numeric method); default from the state domains.
    n_starts : int
        Number of Newton starts shared by every point (numeric method), besides the corners of
        the box.
    seed_passes : int
        Numeric method: at most this many passes in which each point starts Newton from its
        own and its grid neighbours' roots (nearest points, for a sample), until no point gains
        a root. Fills in roots the shared starts missed at a point but found next to it.
    max_equilibria : int
        Most equilibria kept per point (numeric method).
    seed : int
        Seed of the quasi-random starts; one set for every point, so chunking does not matter.
    retries : int
        Retries of a chunk whose worker died.
    timeout : float, optional
        Budget of the symbolic steps, in seconds.
    cycles : bool, optional
        Probe the points with no stable and no neutral equilibrium by simulation for a stable
        cycle (class ``"stable cycle"``, its period in :attr:`StabilityMap.period`). Default:
        on for deterministic flows (maps and stochastic models are not probed). It costs
        nothing where an equilibrium is stable; where none is, it costs simulations: about
        0.05 s per point for mild cycles, 0.3 s for stiff relaxation cycles (measured on the
        Brusselator, in batches of 64 points of like spectrum).
    max_probes : int
        At most this many points are probed (evenly spread over the candidates, in grid
        order); the others stay ``"none stable"`` and are counted in the notes. The default
        (32) keeps the probe to seconds; raise it to map a cycle region point by point.
    cycle_starts : int
        Starts per probed point: the point's equilibria, each moved by 1% in a seeded random
        direction (the plan's probe states where it has none).
    cycle_time : float, optional
        Length of each probe simulation; the second half is searched for a cycle. Default:
        from the linearization, 12 periods ``2 pi / omega`` of the slowest rotation among the
        batch's points (``omega``: a point's largest ``|Im lambda|`` over its equilibria; 200
        time units where none rotates), between 30 and 1000.

    Returns
    -------
    StabilityMap

    Raises
    ------
    ModelError
        For unknown parameters, bad points, labels or options.

    References
    ----------
    .. [1] Y. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       section 1.4 (stability of equilibria from the eigenvalues of the Jacobian).

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 2.0}, time="discrete")
    >>> sm = ig.sweep(m, {"r": np.array([0.5, 2.0, 3.5])}, method="numeric",
    ...               bounds={"x": (-0.5, 1.5)})
    >>> sm.classes.tolist()
    ['x=0 only', 'x=0.5 only', 'none stable']

    Past the Brusselator's Hopf line ``b = 1 + a**2`` the equilibrium is unstable and a
    simulation probe finds the stable cycle:

    >>> m = ig.Model.from_equations({"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
    ...                             parameters={"a": 1.0, "b": 1.5})
    >>> sm = ig.sweep(m, {"b": np.array([1.5, 3.0])})
    >>> sm.classes.tolist(), np.round(sm.period, 1).tolist()
    (['x=a, y=b/a only', 'stable cycle'], [nan, 7.2])
    """
    started = time.perf_counter()
    if model.simplex:
        model = model.reduce_simplex()
    if method not in ("auto", "closed_form", "numeric"):
        raise ModelError(f"`method` must be 'auto', 'closed_form' or 'numeric', got {method!r}")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ModelError(f"`chunk_size` must be a positive int, got {chunk_size!r}")
    if timeout is not None and not (
        isinstance(timeout, int | float)
        and not isinstance(timeout, bool)
        and not math.isnan(timeout)
        and timeout > 0
    ):
        raise ModelError(
            f"`timeout` must be a positive number of seconds or None (no limit), got {timeout!r}"
        )
    if out is not None and not Path(out).parent.is_dir():
        raise ModelError(
            f"`out` = {os.fspath(out)!r}: the folder `{Path(out).parent}` does not exist; "
            "create it first or write somewhere else"
        )
    for key, v in (("max_probes", max_probes), ("cycle_starts", cycle_starts)):
        if (
            isinstance(v, bool)
            or not isinstance(v, int | np.integer)
            or v < (1 if key == "cycle_starts" else 0)
        ):
            raise ModelError(
                f"`{key}` must be a {'positive' if key == 'cycle_starts' else 'nonnegative'} int, got {v!r}"
            )
    if cycle_time is not None and not (
        isinstance(cycle_time, int | float)
        and not isinstance(cycle_time, bool)
        and math.isfinite(cycle_time)
        and cycle_time > 0
    ):
        raise ModelError(
            f"`cycle_time` must be a positive number of time units, got {cycle_time!r}"
        )
    flow = model.time == "continuous" and not model.is_stochastic and model.stochastic_step is None
    probe_cycles = flow if cycles is None else bool(cycles)
    if probe_cycles and not flow:
        raise ModelError(
            f"`cycles=True` probes flows; `{model.name}` is "
            f"{'a map' if model.time != 'continuous' else 'stochastic'} (cycles of maps are fixed "
            "points of `model.iterate(k)`: sweep that instead)"
        )
    # Refuse up front what cannot fit: every point keeps its parameter values, up to
    # `max_equilibria` equilibria (states as float64, eigenvalues as complex128, three flags),
    # a class code, a period and a flag, held twice while the chunks are concatenated; a
    # numeric sweep also holds about three more arrays of roots (its seed passes), and the
    # grid is built through a meshgrid (three copies of the values).
    n_states = max(1, len(model.states))
    n_eq = max_equilibria if isinstance(max_equilibria, int) and max_equilibria > 0 else 8
    n_points = _point_count(points)
    k_cols = len(points) if isinstance(points, Mapping) else max(1, len(names or ()))
    per_point = (
        3 * 8 * k_cols
        + 2 * (n_eq * (n_states * (8 + 16) + 3) + 8 + 8 + 1)
        + (0 if method == "closed_form" else 3 * 8 * n_eq * n_states)
    )
    check_memory(
        n_points * per_point,
        what=f"sweep of `{model.name}` over {n_points:,} points",
        fix="sweep fewer points (a coarser grid, or a region at a time), or lower `max_equilibria`",
    )
    swept, values, shape, axes = _points(model, points, names)
    fixed = resolve_params(model, params, free=swept)
    columns = tuple(model.parameter_names.index(s) for s in swept)
    for j, key in enumerate(swept):
        # Refuse NaN, infinities and values outside the domain up front.
        col = values[:, j]
        if not np.all(np.isfinite(col)):
            raise ModelError(f"parameter `{key}`: the sweep values include NaN or infinity")
        dom = model.parameter(key).domain
        outside = [v for v in (col.min(), col.max()) if not dom.contains(float(v))]
        if outside:
            raise ModelError(
                f"parameter `{key}` = {outside[0]!r} is outside its domain {dom.to_spec()!r}; "
                "sweep inside it"
            )
    base = tuple(float(fixed.get(p, 0.0)) for p in model.parameter_names)
    label_specs = _match_labels(model, labels)
    notes: list[str] = []

    closed: list[Any] = []
    conditions: list[Any] = []
    slot_labels: list[str] = []
    if method in ("auto", "closed_form"):
        closed, conditions, slot_labels, complete, note = _closed_forms(model, timeout)
        if not complete:
            if method == "closed_form":
                raise ModelError(
                    f"`method='closed_form'` is not possible for `{model.name}`: {note}"
                )
            notes.append(f"numeric equilibria: {note}")

    def make_plan(use_closed: bool) -> _Plan:
        starts = None if use_closed else _starts(model, bounds, n_starts, seed)
        probes = _starts(model, bounds, 8, seed) if starts is None else starts
        return _Plan(
            model=model,
            param_columns=columns,
            base=base,
            method="closed_form" if use_closed else "numeric",
            closed_forms=tuple(closed) if use_closed else (),
            closed_exists=tuple(conditions) if use_closed else (),
            starts=starts,
            probes=probes,
            max_equilibria=max_equilibria,
            key=fingerprint(
                model.to_toml() if model.stochastic_step is None else repr(model),
                columns,
                base,
                use_closed,
                closed if use_closed else [],
                conditions if use_closed else [],
                starts,
                probes,
                max_equilibria,
            ),
        )

    use_closed = bool(closed)
    plan = make_plan(use_closed)
    if use_closed:
        # The closed forms must evaluate numerically (compiled here once; workers compile their
        # own): try them on the first points, before any chunk is sent.
        try:
            _closed_form_points(plan, _param_rows(plan, values[:4]))
        except Exception as err:  # any failure to evaluate falls back to numerics, noted
            reason = f"the closed forms do not evaluate numerically ({type(err).__name__}: {err})"
            if method == "closed_form":
                raise ModelError(
                    f"`method='closed_form'` is not possible for `{model.name}`: {reason}"
                ) from None
            notes.append(f"numeric equilibria: {reason}")
            use_closed = False
            plan = make_plan(use_closed)
    n_chunks = max(1, math.ceil(values.shape[0] / chunk_size))
    store = None
    if out is not None:
        n_rows = values.shape[0]

        def span(j: int) -> tuple[int, int]:
            # Chunk j (of any stage) covers these rows of the points.
            i = j % n_chunks
            return i * chunk_size, min((i + 1) * chunk_size, n_rows)

        store = ChunkStore(Path(out), fingerprint(plan.key, values, chunk_size), span=span)
    heavy = values.shape[0] * (1 if use_closed else n_starts) > 400_000

    def rows(i: int) -> FloatArray:
        return values[i * chunk_size : (i + 1) * chunk_size]

    common = {
        "executor": executor,
        "heavy": heavy,
        "store": store,
        "retries": retries,
        "progress": progress,
    }
    seeds: FloatArray | None = None
    stage = 0

    def run_stage(
        func: Any, k: int, stage_seeds: FloatArray | None, label: str
    ) -> list[dict[str, Any]]:
        # Chunk indices of stage k are k * n_chunks + i, so a resumed run finds its files.
        base = k * n_chunks

        def payload(j: int) -> tuple[Any, ...]:
            i = j - base
            part = (
                None if stage_seeds is None else stage_seeds[i * chunk_size : (i + 1) * chunk_size]
            )
            return (rows(i), part)

        got = run_chunks(
            func,
            [base + i for i in range(n_chunks)],
            args=(plan,),
            payload=payload,
            description=label,
            **common,
        )
        return [got[base + i] for i in range(n_chunks)]

    if not use_closed:
        # Pass 0: Newton from the shared starts. Then each point is seeded with its own and its
        # grid neighbours' roots, pass after pass, until no point gains a root (at most
        # `seed_passes` passes). Every pass is a function of the previous pass's results, which
        # do not depend on the chunking, so neither does the map.
        def roots_of(k: int, stage_seeds: FloatArray | None) -> FloatArray:
            found = run_stage(_roots_chunk, k, stage_seeds, f"sweep {model.name} (pass {k + 1})")
            return np.concatenate([c["x"] for c in found])

        roots = roots_of(0, None)
        for k in range(1, seed_passes + 1):
            grown = roots_of(k, _neighbour_seeds(roots, values, shape, axes is not None))
            gained = np.isfinite(grown).all(-1).sum(axis=1) > np.isfinite(roots).all(-1).sum(axis=1)
            roots, stage = grown, k
            if not gained.any():
                break
        seeds = roots
        stage += 1
    parts = run_stage(_chunk, stage, seeds, f"sweep {model.name}")
    X = np.concatenate([p["x"] for p in parts])
    exists = np.concatenate([p["exists"] for p in parts])
    stable = np.concatenate([p["stable"] for p in parts])
    neutral = np.concatenate([p["neutral"] for p in parts])
    defined = np.concatenate([p["defined"] for p in parts])
    eig = np.concatenate([p["eigenvalues"] for p in parts])
    if use_closed:
        notes.extend(
            _closed_form_notes(
                model.name,
                slot_labels,
                np.concatenate([p["why"] for p in parts]),
                np.concatenate([p["claimed"] for p in parts]),
                np.concatenate([p["repaired"] for p in parts]),
                exists,
            )
        )

    # Identity of each slot: a user label when the equilibrium matches one.
    if use_closed:
        slot_names = list(slot_labels)
        for e in range(X.shape[1]):
            for name, coords in label_specs:
                # A closed-form slot matches a label where it exists (checked on its points).
                hit = exists[:, e]
                if hit.any() and all(
                    np.allclose(X[hit, e, i], v, atol=1e-9) for i, v in coords.items()
                ):
                    slot_names[e] = name
        ident_names = list(dict.fromkeys(slot_names))
        ident = np.array([ident_names.index(s) for s in slot_names])
        which = np.where(stable | neutral, ident[None, :], -1)
    else:
        ident_names, which = _numeric_identities(model, X, stable | neutral, label_specs)
        slot_names = ident_names
    # A class is the set of stable identities, the set of neutral ones, and whether the model
    # is undefined there: one bit each (stable bits, then neutral bits, then undefined).
    # Points with no stable and no neutral equilibrium, where the model is defined: a
    # simulation probe looks for a stable cycle there (flows only).
    period = np.full(X.shape[0], np.nan)
    if probe_cycles:
        candidates = np.flatnonzero(defined & ~stable.any(axis=1) & ~neutral.any(axis=1))
        if candidates.size:
            period, note = _probe_cycles(
                plan,
                values,
                candidates,
                X,
                exists,
                eig,
                max_probes=int(max_probes),
                starts=int(cycle_starts),
                horizon=cycle_time,
                seed=seed,
            )
            notes.append(note)
    k_ids = len(ident_names)
    member = np.zeros((X.shape[0], 2 * k_ids + 2), dtype=bool)
    rows_, cols_ = np.nonzero(which >= 0)
    ids = which[rows_, cols_]
    member[rows_[stable[rows_, cols_]], ids[stable[rows_, cols_]]] = True
    member[rows_[neutral[rows_, cols_]], k_ids + ids[neutral[rows_, cols_]]] = True
    member[:, 2 * k_ids] = ~defined
    member[:, 2 * k_ids + 1] = np.isfinite(period)
    bits = member.astype(np.int64) @ (1 << np.arange(member.shape[1], dtype=np.int64))
    uniq, codes = np.unique(bits, return_inverse=True)
    class_names = tuple(
        "undefined"
        if (int(b) >> (2 * k_ids)) & 1
        else "stable cycle"
        if (int(b) >> (2 * k_ids + 1)) & 1
        else _class_name(
            [ident_names[k] for k in range(k_ids) if (int(b) >> k) & 1],
            [ident_names[k] for k in range(k_ids) if (int(b) >> (k_ids + k)) & 1],
        )
        for b in uniq
    )
    n_undefined = int(np.count_nonzero(~defined))
    if n_undefined:
        first = ", ".join(
            f"{name} = {v:g}" for name, v in zip(swept, values[np.argmax(~defined)], strict=True)
        )
        notes.append(
            f"the model is undefined at {n_undefined} of {len(defined)} points (no equilibrium, "
            f"and the right-hand side is not finite at any probe state; first at {first}): "
            "class `undefined`"
        )
    boundaries: list[tuple[str, str]] = []
    if use_closed and axes is not None and len(axes) == 2:
        boundaries = list(_boundaries(model, tuple(slot_names), timeout))
    result = StabilityMap(
        model_name=model.name,
        parameter_names=swept,
        values=values,
        shape=shape,
        axes=axes,
        fixed={k: float(v) for k, v in fixed.items()},
        equilibrium_labels=tuple(slot_names),
        x=X,
        exists=exists,
        stable=stable,
        eigenvalues=eig,
        class_codes=codes.astype(np.int64).reshape(-1),
        class_names=class_names,
        boundaries=tuple(boundaries),
        method=plan.method,
        seconds=time.perf_counter() - started,
        notes=tuple(notes),
        neutral=neutral,
        defined=defined,
        period=period,
    )
    if store is not None:
        # The whole map is written before the finished chunks are dropped: nothing is lost.
        result.save(Path(out))  # type: ignore[arg-type]
        store.remove()
    return result


#: Points per ensemble of probe simulations (neighbours in grid order share step sizes).
PROBE_BATCH = 64


def _probe_starts(
    plan: _Plan,
    X: FloatArray,
    exists: np.ndarray,
    point: int,
    starts: int,
    rng: np.random.Generator,
) -> list[FloatArray]:
    """Starts of a point's probe: its equilibria moved by 1% (relative to 1 + their size) in a
    random direction, inside the state domains; the plan's probe states when it has none."""
    domains = plan.model.state_domains

    def inside(v: FloatArray) -> bool:
        return all(d.contains(float(x)) for d, x in zip(domains, v, strict=True))

    eqs = [X[point, e] for e in np.flatnonzero(exists[point])]
    out: list[FloatArray] = []
    for k in range(starts if eqs else 0):
        base = eqs[k % len(eqs)]
        u = rng.standard_normal(base.shape)
        delta = (
            1e-2 * (1.0 + float(np.max(np.abs(base)))) * u / max(float(np.linalg.norm(u)), 1e-300)
        )
        for cand in (base + delta, base - delta, base + np.abs(delta), base - np.abs(delta)):
            if inside(cand):
                out.append(cand)
                break
    if not out:
        out = [p for p in plan.probes if inside(p)][:starts]
    return out


def _probe_cycles(
    plan: _Plan,
    values: FloatArray,
    candidates: np.ndarray,
    X: FloatArray,
    exists: np.ndarray,
    eig: np.ndarray,
    *,
    max_probes: int,
    starts: int,
    horizon: float | None,
    seed: int,
) -> tuple[FloatArray, str]:
    """Simulate from a few starts at each candidate point; the period of a cycle one of them
    settles on (NaN where none does), and a note counting every outcome.

    A point with no stable equilibrium whose bounded trajectory returns to itself, period
    after period (:func:`~.cycles.detect_cycle` on the second half), has an attracting cycle.
    Nothing is inferred where a probe diverges, fails or does not settle: the point stays
    ``"none stable"``.
    """
    from .cycles import detect_cycle
    from .simulate import Trajectory, simulate

    model = plan.model
    period = np.full(values.shape[0], np.nan)
    chosen = candidates
    if candidates.size > max_probes:
        # Evenly spread over the candidates, so that a bound does not cut the map at one side.
        chosen = candidates[
            np.unique(np.linspace(0, candidates.size - 1, max_probes).round().astype(int))
        ]
    tally = {"cycle": 0, "diverged": 0, "failed": 0, "no cycle": 0}
    names = model.parameter_names
    # An ensemble steps at the pace of its stiffest member and runs as long as its slowest
    # rotation needs: batch points of like rotation and like spectral radius together.
    with np.errstate(invalid="ignore"):
        omega = np.nanmax(np.abs(np.imag(eig[chosen])), axis=(1, 2), initial=0.0)
        radius = np.nanmax(np.abs(eig[chosen]), axis=(1, 2), initial=0.0)
    chosen = chosen[np.lexsort((radius, np.round(np.log2(np.maximum(omega, 1e-12)))))]
    for lo in range(0, chosen.size, PROBE_BATCH):
        batch = chosen[lo : lo + PROBE_BATCH]
        members: list[int] = []
        x0: list[FloatArray] = []
        for point in batch:
            # One generator per point (seeded by its index): the probe of a point does not
            # depend on the batching or on the other points.
            rng = np.random.default_rng([seed, int(point)])
            for start in _probe_starts(plan, X, exists, int(point), starts, rng):
                members.append(int(point))
                x0.append(start)
        if not members:
            tally["failed"] += batch.size
            continue
        P = _param_rows(plan, values[members])
        span = horizon
        if span is None:
            # 12 turns of the slowest linear rotation among the batch's points (each point's
            # fastest rotation, max |Im lambda| over its equilibria); 200 without rotation.
            with np.errstate(invalid="ignore"):
                omega = np.nanmax(np.abs(np.imag(eig[batch])), axis=(1, 2), initial=0.0)
            turning = omega[omega > 1e-9]
            span = 200.0 if not turning.size else 12 * 2 * math.pi / float(turning.min())
            span = min(max(span, 30.0), 1000.0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                tr = simulate(
                    model,
                    x0=np.array(x0),
                    t=(0.0, span),
                    params={name: P[:, j] for j, name in enumerate(names)},
                    t_eval=np.linspace(0.5 * span, span, 801),
                    rtol=1e-5,
                    atol=1e-8,
                    raise_on_failure=False,
                )
        except Exception:  # a probe that cannot run classifies nothing: counted as failed
            tally["failed"] += batch.size
            continue
        found: dict[int, float] = {}
        bad: dict[int, str] = {}
        for k, point in enumerate(members):
            if tr.status == -1:
                bad.setdefault(point, "failed")
                continue
            if bool(np.asarray(tr.diverged).reshape(-1)[k]):
                bad.setdefault(point, "diverged")
                continue
            one = Trajectory(t=tr.t, x=tr.x[k], state_names=tr.state_names)
            cyc = detect_cycle(one)
            if cyc is not None and point not in found:
                found[point] = cyc.period
        for point in batch:
            p = int(point)
            if p in found:
                period[p] = found[p]
                tally["cycle"] += 1
            else:
                tally[bad.get(p, "no cycle")] += 1
    skipped = candidates.size - chosen.size
    note = (
        f"cycle probe: {candidates.size} points with no stable equilibrium, {chosen.size} "
        f"simulated: {tally['cycle']} settle on a cycle (class `stable cycle`), "
        f"{tally['no cycle']} do not settle on one, {tally['diverged']} diverge, "
        f"{tally['failed']} could not be simulated"
        + (f"; {skipped} not probed (past `max_probes` = {max_probes})" if skipped else "")
        + "; all but the cycles stay `none stable`"
    )
    return period, note


def _closed_form_notes(
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
    total = why.shape[0]
    for e, label in enumerate(labels):
        parts = []
        for code, words in (
            (_UNDEFINED, "undefined (not finite)"),
            (_COMPLEX, "complex"),
            (_NOT_A_ROOT, "not a root of the right-hand side"),
            (_POLE, "a point where the right-hand side is undefined (a pole)"),
        ):
            k = int(np.count_nonzero(claimed[:, e] & (why[:, e] == code)))
            if k:
                parts.append(f"{words} at {k}")
        unclaimed = int(np.count_nonzero(~claimed[:, e] & exists[:, e]))
        fixed = int(np.count_nonzero(exists[:, e] & repaired[:, e]))
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
        wrong = int(np.count_nonzero(claimed[:, e] & np.isin(why[:, e], (_NOT_A_ROOT, _POLE))))
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


def _neighbour_seeds(
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


def _numeric_identities(
    model: Model,
    X: FloatArray,
    chosen: np.ndarray,
    label_specs: list[tuple[str, dict[int, float]]],
) -> tuple[list[str], np.ndarray]:
    """Name each `chosen` numeric equilibrium (P, E): by a matching label, else by its
    coordinates rounded to 3 decimals. Returns the names and a (P, E) array of the index of each
    equilibrium's name (-1 where not chosen)."""
    names = [name for name, _ in label_specs]
    index = {name: k for k, name in enumerate(names)}
    which = np.full(chosen.shape, -1, dtype=np.int64)
    for p_i, e in zip(*np.nonzero(chosen), strict=True):
        point = X[p_i, e]
        key = next(
            (
                name
                for name, coords in label_specs
                if all(abs(point[i] - v) < 1e-6 for i, v in coords.items())
            ),
            None,
        )
        if key is None:
            key = ", ".join(f"{s}={_short(point[i])}" for i, s in enumerate(model.state_names))
        if key not in index:
            index[key] = len(names)
            names.append(key)
        which[p_i, e] = index[key]
    return names, which


def _short(v: float) -> str:
    r = round(float(v), 3)
    return f"{r:g}" if r != 0 else "0"


def _starts(
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
