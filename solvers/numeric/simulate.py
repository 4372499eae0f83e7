"""Simulation: ODEs through ``scipy.integrate.solve_ivp``, maps by iteration, SDEs by Euler-Maruyama.

One call simulates one trajectory or an *ensemble*: many initial states and/or many parameter
sets, integrated together as one stacked, vectorized system. For explicit Runge-Kutta methods the
ensemble uses scipy's own solver with one change, its error norm: the step is accepted only when
*every* member's RMS error estimate is below tolerance, which is exactly the criterion a single
``solve_ivp`` call applies to that member (so the ensemble is at least as accurate as a loop of
single calls with the same ``rtol``/``atol``). Implicit methods get the block-diagonal sparse
Jacobian and tolerances divided by ``sqrt(N)`` (then the RMS over the ensemble below tolerance
implies every member's RMS below the requested tolerance).

Blow-up is detected, not returned as NaN: a single trajectory stops at a terminal event when
``max |x_i|`` reaches `bound`; an ensemble member is frozen there, and the result reports which
members diverged and when.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse
from scipy.integrate import RK23, RK45, solve_ivp

from incentive_geometry.errors import ConvergenceError, ModelError
from incentive_geometry.model import Model

from .compile import (
    CompiledModel,
    FloatArray,
    check_in_domain,
    check_seed,
    compile_model,
    resolve_params,
    resolve_state,
)
from .resources import check_memory, check_steps

__all__ = ["Trajectory", "simulate"]

_METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")
#: Right-hand side evaluations one ODE solve may take before it is stopped and reported (a
#: stiff problem past what the method resolves in double precision, e.g. BDF on x' = -k x + 1
#: with k = 1e40, would otherwise run for hours at a step of 1e-25).
MAX_EVALS = 1_000_000
_IMPLICIT = ("Radau", "BDF", "LSODA")

STATUS_SUCCESS = 0
STATUS_DIVERGED = 1
STATUS_FAILED = -1


@dataclass(frozen=True, eq=False)  # array fields: identity equality, hashable
class Trajectory:
    """A simulated trajectory, or an ensemble of trajectories on a common time grid.

    Attributes
    ----------
    t : numpy.ndarray of shape (T,)
        Times (integer steps for maps and step rules).
    x : numpy.ndarray of shape (T, n), or (N, T, n) for an ensemble
        States in the order of `state_names`; always finite (a diverged member is held at its
        last finite state, see `diverged`).
    state_names : tuple of str
    observables : dict of str to numpy.ndarray of shape (T,) or (N, T)
    params : dict of str to float or array
    status : int
        0: reached the end; 1: (some member) diverged past `bound`; -1: the solver failed.
    message : str
        What happened, in words.
    nfev, njev, nlu : int
        Right-hand side evaluations (vectorized calls), Jacobian evaluations, LU decompositions.
    diverged : numpy.ndarray of bool, shape () or (N,)
    t_diverged : numpy.ndarray of float, shape () or (N,)
        Time of divergence, ``inf`` for members that did not diverge.
    method : str
        The integrator used (``"iteration"``, ``"euler-maruyama"``, ``"stochastic_step"``, or a
        ``solve_ivp`` method).
    seed : int or None
        Seed of the random generator of a stochastic simulation.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": 1.0})
    >>> tr = ig.simulate(m, x0={"x": 1.0}, t=(0, 2))
    >>> tr.success, round(float(tr["x"][-1]), 4), tr.x.shape
    (True, 0.1353, (201, 1))
    """

    t: FloatArray
    x: FloatArray
    state_names: tuple[str, ...]
    observables: dict[str, FloatArray] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    status: int = STATUS_SUCCESS
    message: str = ""
    nfev: int = 0
    njev: int = 0
    nlu: int = 0
    diverged: np.ndarray[Any, np.dtype[np.bool_]] = field(default_factory=lambda: np.array(False))
    t_diverged: FloatArray = field(default_factory=lambda: np.array(np.inf))
    method: str = ""
    seed: int | None = None

    @property
    def success(self) -> bool:
        """True when every trajectory reached the final time without diverging."""
        return self.status == STATUS_SUCCESS

    def __repr__(self) -> str:
        members = f"{self.x.shape[0]} trajectories, " if self.is_ensemble else ""
        return (
            f"<Trajectory: {members}t = {self.t[0]:g}..{self.t[-1]:g} ({len(self.t)} points), "
            f"states ({', '.join(self.state_names)}), {self.method}, status {self.status}>"
        )

    @property
    def is_ensemble(self) -> bool:
        """Whether `x` holds many trajectories (shape (N, T, n))."""
        return self.x.ndim == 3

    @property
    def final(self) -> FloatArray:
        """The last state: shape (n,), or (N, n) for an ensemble."""
        return self.x[..., -1, :]

    def __getitem__(self, name: str) -> FloatArray:
        """The time series of a state or an observable, by name."""
        if name in self.state_names:
            return self.x[..., self.state_names.index(name)]
        if name in self.observables:
            return self.observables[name]
        raise KeyError(
            f"`{name}` is neither a state ({', '.join(self.state_names)}) nor an observable "
            f"({', '.join(self.observables) or 'none'})"
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record (lists of floats).

        Returns
        -------
        dict

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "0.5*x"}, parameters={}, time="discrete")
        >>> ig.simulate(m, x0=[1.0], t=(0, 2)).as_dict()["x"]
        {'x': [1.0, 0.5, 0.25]}
        """
        def listed(a: Any) -> Any:
            return np.asarray(a).tolist()

        return {
            "t": listed(self.t),
            "x": {s: listed(self[s]) for s in self.state_names},
            "observables": {k: listed(v) for k, v in self.observables.items()},
            "params": {k: listed(v) for k, v in self.params.items()},
            "status": self.status,
            "success": self.success,
            "message": self.message,
            "nfev": self.nfev,
            "njev": self.njev,
            "nlu": self.nlu,
            "diverged": listed(self.diverged),
            "t_diverged": [v if math.isfinite(v) else None for v in np.ravel(self.t_diverged)],
            "method": self.method,
            "seed": self.seed,
        }


# --------------------------------------------------------------------------------------------
# Ensemble error control for scipy's explicit Runge-Kutta pairs


class _MemberwiseNorm:
    """Mixin: the error norm is the largest per-member RMS norm (members of size n, stacked)."""

    members: tuple[int, int]

    def _estimate_error_norm(self, K: Any, h: float, scale: Any) -> float:
        err = (self._estimate_error(K, h) / scale).reshape(self.members)  # type: ignore[attr-defined]
        N, n = self.members
        per_member = np.sqrt(np.einsum("ij,ij->i", err, err) / n)
        # Frozen (diverged) members and members past the bound carry no error information.
        per_member = np.where(np.isfinite(per_member), per_member, 0.0)
        return float(per_member.max()) if N else 0.0


class _EnsembleRK45(_MemberwiseNorm, RK45):
    def __init__(self, *args: Any, members: tuple[int, int], **kwargs: Any) -> None:
        self.members = members
        super().__init__(*args, **kwargs)


class _EnsembleRK23(_MemberwiseNorm, RK23):
    def __init__(self, *args: Any, members: tuple[int, int], **kwargs: Any) -> None:
        self.members = members
        super().__init__(*args, **kwargs)


_ENSEMBLE_RK = {"RK45": _EnsembleRK45, "RK23": _EnsembleRK23}


# --------------------------------------------------------------------------------------------
# BLAS threads. A stacked Runge-Kutta step forms K[:s].T @ a with s <= 7: a long, thin product
# for which OpenBLAS's thread start-up costs far more than the arithmetic (10x slower on a busy
# two-core machine). The ensemble integration runs with one BLAS thread, and restores the count.


def _openblas_thread_controls() -> list[tuple[Any, Any]]:
    """(get, set) pairs of the OpenBLAS libraries loaded in this process (Linux; else none)."""
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            fields = [line.split() for line in maps]
        paths = sorted({f[-1] for f in fields if len(f) >= 6 and "openblas" in f[-1].lower()
                        and ".so" in f[-1]})
    except OSError:
        return []
    controls = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"),
                               ("openblas", "")):
            get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                get.restype = ctypes.c_int
                put.argtypes = [ctypes.c_int]
                controls.append((get, put))
                break
    return controls


class _SingleThreadedBLAS:
    """Context manager: one OpenBLAS thread inside, the previous counts restored on exit."""

    def __enter__(self) -> None:
        self.saved = []
        for get, put in _openblas_thread_controls():
            self.saved.append((put, int(get())))
            put(1)

    def __exit__(self, *exc: object) -> None:
        for put, count in self.saved:
            put(count)


# --------------------------------------------------------------------------------------------
# Public entry point


def simulate(
    model: Model,
    *,
    x0: Mapping[str, Any] | Sequence[float] | FloatArray,
    t: tuple[float, float] | float = (0.0, 10.0),
    params: Mapping[str, Any] | None = None,
    t_eval: Sequence[float] | FloatArray | None = None,
    n_points: int = 201,
    method: str | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    stochastic: bool | None = None,
    seed: int | None = None,
    dt: float | None = None,
    bound: float = 1e8,
    raise_on_failure: bool = True,
    max_evals: int = MAX_EVALS,
) -> Trajectory:
    """Simulate a model from `x0`: one trajectory, or an ensemble in one vectorized call.

    Parameters
    ----------
    model : Model
    x0 : mapping of state name to value (or to arrays), or array of shape (n,) or (N, n)
        Initial state(s). Arrays of values make an ensemble.
    t : (t0, t1) or float
        Time span (a number means ``(0, t)``). Maps and step rules take integer steps.
    params : mapping of str to float or 1-D array, optional
        Parameter values (defaults otherwise); 1-D arrays make an ensemble of parameter sets
        (broadcast against the initial states). NaN/inf and out-of-domain values are refused.
    t_eval : sequence of float, optional
        Output times for ODEs (default: `n_points` equally spaced times).
    n_points : int
        Number of output times when `t_eval` is not given (ODEs and SDEs).
    method : str, optional
        A ``solve_ivp`` method. Default: ``"LSODA"`` (switches to a stiff method when needed,
        with the analytic Jacobian) for one trajectory, ``"RK45"`` for an ensemble; use
        ``"BDF"`` or ``"Radau"`` for a stiff ensemble.
    rtol, atol : float
        Tolerances of the ODE solver.
    stochastic : bool, optional
        Simulate the noise (Euler-Maruyama for SDEs, ``x_{t+1} = f + g xi`` for noisy maps) or
        the model's ``stochastic_step`` rule. Default: whenever the model has either.
    seed : int, optional
        Seed of ``numpy.random.default_rng`` for stochastic simulation.
    dt : float, optional
        Euler-Maruyama step (default: the span divided by ``10 * (n_points - 1)``).
    bound : float
        A trajectory with ``max |x_i| >= bound`` (or a non-finite state) has diverged.
    raise_on_failure : bool
        Raise :class:`ConvergenceError` when the ODE solver fails (default); otherwise return a
        trajectory with ``status = -1`` and the solver's message.
    max_evals : int
        Stop an ODE solve after this many right-hand side evaluations and report it (a
        problem too stiff for the method). When the default LSODA fails, the solve is repeated
        once with Radau (L-stable, robust to extreme stiffness) and the message says so.

    Returns
    -------
    Trajectory

    Raises
    ------
    ModelError
        For invalid states, parameters, spans or options.
    ConvergenceError
        When the solver fails and `raise_on_failure` is true.

    References
    ----------
    .. [1] P. E. Kloeden and E. Platen, *Numerical Solution of Stochastic Differential
       Equations*, Springer, 1992, section 9.1 (Euler-Maruyama).

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(1 - x)"}, parameters={})
    >>> ens = ig.simulate(m, x0=np.linspace(0.1, 0.9, 5)[:, None], t=(0, 30))
    >>> ens.x.shape, bool(np.allclose(ens.final, 1.0, atol=1e-6))
    ((5, 201, 1), True)
    >>> blow = ig.simulate(ig.Model.from_equations({"x": "x**2"}, parameters={}), x0=[1.0], t=(0, 2))
    >>> blow.status, blow.message.split(";")[0], round(float(blow.t_diverged), 3)
    (1, 'diverged: max |x| reached the bound 1e+08 at t = ...', 1.0)
    """
    _refuse_huge_ensemble(model, x0, params, n_points if t_eval is None else len(t_eval))
    x_init = resolve_state(model, x0, allow_batch=True)
    if model.simplex:
        check_in_domain(model, np.atleast_2d(np.asarray(x_init, dtype=float)))
    values = resolve_params(model, params, allow_arrays=True)
    t0, t1 = _span(t)
    if not isinstance(n_points, int) or n_points < 2:
        raise ModelError(f"`n_points` must be an int >= 2, got {n_points!r}")
    if not (isinstance(bound, int | float) and bound > 0 and math.isfinite(bound)):
        raise ModelError(f"`bound` must be a positive finite number, got {bound!r}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not (isinstance(tol, int | float) and tol > 0 and math.isfinite(tol)):
            raise ModelError(f"`{name}` must be a positive number, got {tol!r}")
    if method is not None and method not in _METHODS:
        raise ModelError(f"`method` = {method!r} is not one of {', '.join(_METHODS)}")
    if isinstance(max_evals, bool) or not isinstance(max_evals, int) or max_evals < 1:
        raise ModelError(f"`max_evals` must be a positive int, got {max_evals!r}")
    seed = check_seed(seed)

    cm = compile_model(model)
    array_params = {k: v for k, v in values.items() if np.ndim(v) == 1}
    ensemble = x_init.ndim == 2 or bool(array_params)
    sizes = {len(v) for v in array_params.values()} | ({len(x_init)} if x_init.ndim == 2 else set())
    if len(sizes - {1}) > 1:
        raise ModelError(
            f"ensemble sizes do not match: `x0` and array `params` have lengths {sorted(sizes)}; "
            "give arrays of one length (or length 1)"
        )
    N = max(sizes) if sizes else 1
    X0 = np.broadcast_to(np.atleast_2d(x_init), (N, cm.n)).copy()
    P = np.stack(
        [np.broadcast_to(np.asarray(values[p.name], dtype=float), (N,)) for p in model.parameters],
        axis=-1,
    ) if cm.m else np.zeros((N, 0))

    if stochastic is None:
        stochastic = model.stochastic_step is not None or model.is_stochastic
    if stochastic and model.stochastic_step is None and not model.is_stochastic:
        raise ModelError(
            f"`stochastic=True` but model `{model.name}` has neither noise terms nor a "
            "`stochastic_step`; add noise or pass stochastic=False"
        )
    n_out = len(t_eval) if t_eval is not None else n_points
    if (stochastic and model.stochastic_step is not None) or model.time == "discrete":
        k0, k1 = _steps(t0, t1)
        n_out = k1 - k0 + 1
        check_steps(
            float(N) * (k1 - k0), what=f"simulate: {N} member(s) x {k1 - k0} steps",
            fix="iterate fewer steps or members, in chunks",
            rate=2e5 if model.stochastic_step is not None else 2e7,
        )
    elif stochastic:
        span = t1 - t0
        step = dt if isinstance(dt, int | float) and dt > 0 else span / (10 * (n_points - 1))
        check_steps(
            float(N) * math.ceil(span / step),
            what=f"simulate: {N} member(s) x {math.ceil(span / step)} Euler-Maruyama steps",
            fix="use a larger `dt`, a shorter span or fewer members",
        )
    check_memory(
        8.0 * N * n_out * cm.n * (3 if ensemble else 1) + 8.0 * n_out,
        what=f"simulate: {N} member(s) x {n_out} times x {cm.n} state(s)",
        fix="save fewer times (`n_points`, `t_eval`) or simulate fewer members per call",
    )
    if stochastic and model.stochastic_step is not None:
        raw = _run_step_rule(model, X0, P, values, t0, t1, seed, bound)
    elif model.time == "discrete":
        raw = _run_map(cm, X0, P, t0, t1, stochastic=stochastic, seed=seed, bound=bound)
    elif stochastic:
        raw = _run_euler_maruyama(cm, X0, P, t0, t1, n_points, dt, seed, bound)
    else:
        grid = _grid(t0, t1, t_eval, n_points)
        method = _check_stiffness(cm, X0, P, t0, t1, method, max_evals)
        if ensemble:
            raw = _run_ode_ensemble(
                cm, X0, P, t0, t1, grid, method or "RK45", rtol, atol, bound, max_evals
            )
        else:
            raw = _run_ode_single(
                cm, X0[0], P[0], t0, t1, grid, method or "LSODA", rtol, atol, bound, max_evals
            )
            if raw.status == STATUS_FAILED and method is None:
                # LSODA gives up on extreme stiffness (x' = -k x with k = 1e16); Radau does not.
                try:
                    retry = _run_ode_single(
                        cm, X0[0], P[0], t0, t1, grid, "Radau", rtol, atol, bound, max_evals
                    )
                except (ValueError, ArithmeticError, np.linalg.LinAlgError):
                    retry = raw  # Radau cannot even start (an infinite Jacobian): keep LSODA's
                if retry.status != STATUS_FAILED:
                    retry.message = f"LSODA failed ({raw.message}); solved with Radau: {retry.message}"
                    raw = retry

    if raw.status == STATUS_FAILED and raise_on_failure:
        raise ConvergenceError(
            f"simulate: the {raw.method} solver failed on model `{model.name}` from "
            f"x0 = {_fmt(model, X0[0])} over t = ({t0:g}, {t1:g}) with rtol={rtol:g}, "
            f"atol={atol:g}: {raw.message}. Try method='BDF' or 'Radau' for stiff problems, "
            "looser tolerances, or a shorter span; pass raise_on_failure=False to get the "
            "partial trajectory"
        )
    X = raw.x  # (N, T, n)
    if ensemble:
        obs = {k: h(X, P[:, None, :]) for k, h in cm.observables.items()}
        x_out, div, tdiv = X, raw.diverged, raw.t_diverged
    else:
        obs = {k: h(X[0], P[0]) for k, h in cm.observables.items()}
        x_out, div, tdiv = X[0], raw.diverged[0], raw.t_diverged[0]
    return Trajectory(
        t=raw.t,
        x=x_out,
        state_names=model.state_names,
        observables=obs,
        params=dict(values),
        status=raw.status,
        message=raw.message,
        nfev=raw.nfev,
        njev=raw.njev,
        nlu=raw.nlu,
        diverged=np.asarray(div),
        t_diverged=np.asarray(tdiv),
        method=raw.method,
        seed=seed,
    )


# --------------------------------------------------------------------------------------------
# Back ends. Each returns a _Raw with x of shape (N, T, n).


@dataclass
class _Raw:
    t: FloatArray
    x: FloatArray
    status: int
    message: str
    diverged: np.ndarray[Any, np.dtype[np.bool_]]
    t_diverged: FloatArray
    method: str
    nfev: int = 0
    njev: int = 0
    nlu: int = 0


def _span(t: Any) -> tuple[float, float]:
    if isinstance(t, int | float) and not isinstance(t, bool):
        t0, t1 = 0.0, float(t)
    else:
        try:
            t0, t1 = (float(v) for v in t)
        except (TypeError, ValueError):
            raise ModelError(f"`t` = {t!r:.60} must be a number T or a pair (t0, t1)") from None
    if not (math.isfinite(t0) and math.isfinite(t1) and t1 > t0):
        raise ModelError(f"`t` = ({t0}, {t1}) must be finite with t0 < t1")
    return t0, t1


def _grid(t0: float, t1: float, t_eval: Any, n_points: int) -> FloatArray:
    if t_eval is None:
        return np.linspace(t0, t1, n_points)
    grid = np.asarray(t_eval, dtype=float)
    if grid.ndim != 1 or grid.size == 0 or np.any(np.diff(grid) <= 0) or grid[0] < t0 or grid[-1] > t1:
        raise ModelError(
            f"`t_eval` must be an increasing 1-D sequence inside t = ({t0:g}, {t1:g})"
        )
    return grid


def _fmt(model: Model, x: FloatArray) -> str:
    return "(" + ", ".join(f"{s}={v:.6g}" for s, v in zip(model.state_names, x, strict=True)) + ")"


def _divergence(
    t: FloatArray, X: FloatArray, bound: float
) -> tuple[FloatArray, np.ndarray[Any, np.dtype[np.bool_]], FloatArray]:
    """Mark members that left ``max|x| < bound`` or became non-finite; hold them at the last finite state."""
    bad = ~np.all(np.isfinite(X), axis=2) | (np.max(np.abs(np.nan_to_num(X, nan=np.inf)), axis=2) >= bound)
    diverged = bad.any(axis=1)
    first = np.where(diverged, np.argmax(bad, axis=1), len(t))
    t_div = np.where(diverged, t[np.minimum(first, len(t) - 1)], np.inf)
    X = X.copy()
    for i in np.flatnonzero(diverged):
        k = first[i]
        rows = X[i, :k + 1]
        finite = np.all(np.isfinite(rows), axis=1)
        last = rows[np.flatnonzero(finite)[-1]] if finite.any() else X[i, 0]
        X[i, k + 1:] = last
        if not finite[-1]:
            X[i, k] = last
    return X, diverged, t_div


def _divergence_message(
    diverged: Any, t_div: Any, bound: float, N: int, undefined: Any = None
) -> str:
    k = int(np.sum(diverged))
    undef = np.zeros(N, dtype=bool) if undefined is None else np.asarray(undefined, dtype=bool)
    if N == 1 and undef.any():
        return (
            f"the state became undefined (not a number) at t = {float(t_div[0]):.6g}: the map or "
            "noise left the domain of the model's functions (sqrt or log of a negative number, a "
            "division by zero); the trajectory is cut there"
        )
    if N > 1 and undef.any():
        first = int(np.argmin(t_div))
        return (
            f"{k} of {N} trajectories stopped: {int(undef.sum())} became undefined (not a number: "
            f"outside the domain of sqrt, log or a division) and {int((diverged & ~undef).sum())} "
            f"reached the bound {bound:g}; the first, member {first}, at "
            f"t = {float(t_div[first]):.6g}; see `diverged` and `t_diverged`"
        )
    if N == 1:
        return (
            f"diverged: max |x| reached the bound {bound:g} at t = {float(t_div[0]):.6g}; the "
            "trajectory is cut there (raise `bound` to follow it further)"
        )
    first = int(np.argmin(t_div))
    return (
        f"{k} of {N} trajectories diverged (max |x| reached the bound {bound:g}); the first, "
        f"member {first}, at t = {float(t_div[first]):.6g}; see `diverged` and `t_diverged`"
    )


class _TooManyEvals(Exception):
    pass


#: Above this stiffness ratio (spectral radius of the Jacobian at the start times the span)
#: BDF and LSODA stall in double precision (x' = -k x + 1: BDF takes 50,000 evaluations at
#: k = 1e20 and never ends at k = 1e40; LSODA fails from k = 1e14), while Radau solves it in
#: about 60 evaluations.
STIFF_BDF = 1e17


def _check_stiffness(
    cm: CompiledModel, X0: FloatArray, P: FloatArray, t0: float, t1: float, method: str | None,
    max_evals: int,
) -> str | None:
    """The method to use: refuse a stiffness the chosen method cannot resolve, up front."""
    with np.errstate(all="ignore"):
        J = cm.jac(X0, P)
    if not np.all(np.isfinite(J)):
        return method
    rho = float(np.max(np.abs(np.linalg.eigvals(J)))) if J.size else 0.0
    ratio = rho * abs(t1 - t0)
    if method is None and ratio > STIFF_BDF and X0.shape[0] == 1:
        return "Radau"
    if method in ("BDF", "LSODA") and ratio > STIFF_BDF:
        raise ModelError(
            f"the model is too stiff for {method} in double precision: the fastest rate at the "
            f"start is {rho:.3g} over a span of {abs(t1 - t0):g} (ratio {ratio:.3g} > "
            f"{STIFF_BDF:.0e}); use method='Radau' (L-stable), or rescale the parameters"
        )
    if method in ("RK45", "RK23", "DOP853") and ratio / 3.0 > max_evals:
        raise ModelError(
            f"the explicit method {method} would take about {ratio / 3.0:.3g} steps here (the "
            f"fastest rate at the start is {rho:.3g} over a span of {abs(t1 - t0):g}), above "
            f"`max_evals` = {max_evals}; use method='Radau' or 'BDF' for this stiff problem"
        )
    return method


def _refuse_huge_ensemble(model: Model, x0: Any, params: Any, n_out: Any) -> None:
    """Refuse before any copy an ensemble whose output cannot fit in memory."""
    sizes = [1]
    values = list(x0.values()) if isinstance(x0, Mapping) else [x0]
    for v in values:
        try:
            shape: tuple[int, ...] = tuple(np.shape(v)) if not isinstance(v, str) else ()
        except ValueError:  # ragged: resolve_state names it
            continue
        if (len(shape) == 1 and isinstance(x0, Mapping)) or len(shape) == 2:
            sizes.append(int(shape[0]))
    for v in (params or {}).values() if isinstance(params, Mapping) else ():
        if np.ndim(v) == 1:
            sizes.append(len(v))
    N = max(sizes)
    if isinstance(n_out, int) and N > 1:
        check_memory(
            8.0 * N * max(n_out, 1) * len(model.states) * 3,
            what=f"simulate: {N} members x {n_out} times x {len(model.states)} state(s)",
            fix="save fewer times (`n_points`, `t_eval`) or simulate fewer members per call",
        )


def _too_many(method: str, max_evals: int, t: float, t0: float, t1: float) -> str:
    return (
        f"stopped after {max_evals} right-hand side evaluations at t = {t:.6g} of ({t0:g}, "
        f"{t1:g}): the problem is too stiff for {method} at these tolerances (try "
        "method='Radau', rescale the parameters, or raise `max_evals`)"
    )


def _run_ode_single(
    cm: CompiledModel, x0: FloatArray, p: FloatArray, t0: float, t1: float, grid: FloatArray,
    method: str, rtol: float, atol: float, bound: float, max_evals: int = MAX_EVALS,
) -> _Raw:
    bad: list[tuple[float, FloatArray]] = []
    calls = [0, t0]

    def fun(t: float, y: FloatArray) -> FloatArray:
        calls[0] += 1
        calls[1] = t
        if calls[0] > max_evals:
            raise _TooManyEvals
        out = cm.rhs(y, p)
        if not np.all(np.isfinite(out)):
            # Outside the right-hand side's domain (sqrt, log of a negative, ...): record the
            # first such point; the zero derivative freezes the state (the output is cut there).
            if not bad:
                bad.append((t, y.copy()))
            return np.zeros_like(out)
        return out

    def jac(_t: float, y: FloatArray) -> FloatArray:
        J = cm.jac(y, p)
        return np.where(np.isfinite(J), J, 0.0)

    def blowup(_t: float, y: FloatArray) -> float:
        # Terminal event: max |x_i| reaches the bound.
        return float(bound - np.max(np.abs(y)))

    blowup.terminal = True  # type: ignore[attr-defined]
    options: dict[str, Any] = {}
    if method in _IMPLICIT:
        options["jac"] = jac
    try:
        sol = solve_ivp(
            fun, (t0, t1), x0, method=method, t_eval=grid, rtol=rtol, atol=atol, events=[blowup],
            **options,
        )
    except _TooManyEvals:
        msg = _too_many(method, max_evals, float(calls[1]), t0, t1)
        return _Raw(np.array([t0]), x0[None, None, :].copy(), STATUS_FAILED, msg,
                    np.array([False]), np.array([np.inf]), method, nfev=int(calls[0]))
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        # The method's own linear algebra cannot proceed (an infinite Jacobian entry, k = 1e308).
        msg = f"{method} could not proceed at t = {float(calls[1]):.6g}: {exc}"
        return _Raw(np.array([t0]), x0[None, None, :].copy(), STATUS_FAILED, msg,
                    np.array([False]), np.array([np.inf]), method, nfev=int(calls[0]))
    # A failed solve with t_eval can return y as an empty list (scipy): no output times then.
    Y = np.asarray(sol.y, dtype=float)
    Y = Y.T if Y.ndim == 2 else np.zeros((0, len(x0)))
    t = np.asarray(sol.t, dtype=float)[: len(Y)]
    if len(t) == 0:
        t, Y = np.array([t0]), x0[None, :].copy()
    stats = {"nfev": int(sol.nfev), "njev": int(sol.njev), "nlu": int(sol.nlu)}
    if bad:
        t_bad, y_bad = bad[0]
        keep = t < t_bad
        t, Y = t[keep], Y[keep]
        if len(t) == 0:
            t, Y = np.array([t0]), x0[None, :].copy()
        message = (
            f"the right-hand side is not finite at t = {t_bad:.6g}, state "
            f"{_fmt(cm.model, y_bad)}: the solver reached a point outside the domain of the "
            "model's functions (sqrt, log, division)"
        )
        return _Raw(t, Y[None], STATUS_FAILED, message, np.array([False]), np.array([np.inf]),
                    method, **stats)
    if sol.status == 1:  # the blow-up event fired
        t = np.append(t, sol.t_events[0][0])
        Y = np.vstack([Y, sol.y_events[0][0]])
        return _Raw(t, Y[None], STATUS_DIVERGED,
                    _divergence_message([True], [t[-1]], bound, 1),
                    np.array([True]), np.array([t[-1]]), method, **stats)
    if sol.status < 0:
        X, div, tdiv = _divergence(t, Y[None], bound)
        return _Raw(t, X, STATUS_FAILED, str(sol.message), div, tdiv, method, **stats)
    X, div, tdiv = _divergence(t, Y[None], bound)
    if div.any():
        return _Raw(t, X, STATUS_DIVERGED, _divergence_message(div, tdiv, bound, 1), div, tdiv,
                    method, **stats)
    return _Raw(t, X, STATUS_SUCCESS, str(sol.message), div, tdiv, method, **stats)


def _run_ode_ensemble(
    cm: CompiledModel, X0: FloatArray, P: FloatArray, t0: float, t1: float, grid: FloatArray,
    method: str, rtol: float, atol: float, bound: float, max_evals: int = MAX_EVALS,
) -> _Raw:
    N, n = X0.shape

    bad_t = np.full(N, np.inf)
    calls = [0, t0]

    def fun(t: float, y: FloatArray) -> FloatArray:
        calls[0] += 1
        calls[1] = t
        if calls[0] > max_evals:
            raise _TooManyEvals
        Y = y.reshape(N, n)
        F = cm.rhs(Y, P)
        # Fast path: every member finite and inside the bound (one reduction each).
        if np.isfinite(F).all() and np.abs(y).max() < bound:
            return F.ravel()
        finite = np.all(np.isfinite(F), axis=1)
        # Members whose right-hand side is not finite are recorded (first time) and frozen, as
        # are members past the bound: zero derivative.
        bad_t[~finite & np.isinf(bad_t)] = t
        active = finite & (np.max(np.abs(Y), axis=1) < bound)
        F[~active] = 0.0
        return F.ravel()

    options: dict[str, Any] = {}
    tol_scale = 1.0
    if method in _ENSEMBLE_RK:
        solver: Any = _ENSEMBLE_RK[method]
        options["members"] = (N, n)
    elif method in ("BDF", "Radau"):
        solver = method
        # Block-diagonal Jacobian: member k occupies rows and columns k*n ... k*n + n - 1.
        rows = (np.arange(N)[:, None, None] * n + np.arange(n)[None, :, None]) + np.zeros((1, 1, n), int)
        cols = (np.arange(N)[:, None, None] * n + np.arange(n)[None, None, :]) + np.zeros((1, n, 1), int)

        def jac(_t: float, y: FloatArray) -> Any:
            Jb = cm.jac(y.reshape(N, n), P)
            Jb = np.where(np.isfinite(Jb), Jb, 0.0)
            return scipy.sparse.csc_matrix((Jb.ravel(), (rows.ravel(), cols.ravel())), shape=(N * n, N * n))

        options["jac"] = jac
        tol_scale = 1.0 / math.sqrt(N)
    elif method == "DOP853":
        solver = method
        tol_scale = 1.0 / math.sqrt(N)
    else:
        raise ModelError(
            f"`method` = {method!r} cannot integrate an ensemble; use RK45, RK23, DOP853, BDF or "
            "Radau (or loop over single trajectories)"
        )
    try:
        with _SingleThreadedBLAS():
            sol = solve_ivp(
                fun, (t0, t1), X0.ravel(), method=solver, t_eval=grid, rtol=rtol * tol_scale,
                atol=atol * tol_scale, **options,
            )
    except _TooManyEvals:
        msg = _too_many(method, max_evals, float(calls[1]), t0, t1)
        return _Raw(np.array([t0]), X0[:, None, :].copy(), STATUS_FAILED, msg,
                    np.zeros(N, dtype=bool), np.full(N, np.inf), method, nfev=int(calls[0]))
    Yf = np.asarray(sol.y, dtype=float)
    t = np.asarray(sol.t, dtype=float)
    if Yf.ndim != 2 or Yf.shape[1] == 0:  # a failed solve with no output time
        t, Yf = np.array([t0]), X0.reshape(-1, 1)
    Y = Yf.T.reshape(len(t), N, n).transpose(1, 0, 2)
    X, div, tdiv = _divergence(t, Y, bound)
    stats = {"nfev": int(sol.nfev), "njev": int(sol.njev), "nlu": int(sol.nlu)}
    failed = np.isfinite(bad_t)
    if failed.any():
        div = div | failed
        tdiv = np.minimum(tdiv, bad_t)
        first = int(np.argmin(bad_t))
        message = (
            f"{int(failed.sum())} of {N} trajectories reached a point where the right-hand side "
            f"is not finite (outside the domain of sqrt, log, division); the first, member "
            f"{first}, at t = {bad_t[first]:.6g}. They are held there; see `diverged`"
        )
        return _Raw(t, X, STATUS_FAILED, message, div, tdiv, method, **stats)
    if sol.status < 0:
        return _Raw(t, X, STATUS_FAILED, str(sol.message), div, tdiv, method, **stats)
    if div.any():
        return _Raw(t, X, STATUS_DIVERGED, _divergence_message(div, tdiv, bound, N), div, tdiv,
                    method, **stats)
    return _Raw(t, X, STATUS_SUCCESS, str(sol.message), div, tdiv, method, **stats)


def _steps(t0: float, t1: float) -> tuple[int, int]:
    k0, k1 = round(t0), round(t1)
    if abs(k0 - t0) > 1e-12 or abs(k1 - t1) > 1e-12:
        raise ModelError(f"a map takes integer steps: `t` = ({t0:g}, {t1:g}) must be integers")
    return int(k0), int(k1)


def _run_map(
    cm: CompiledModel, X0: FloatArray, P: FloatArray, t0: float, t1: float, *,
    stochastic: bool, seed: int | None, bound: float,
) -> _Raw:
    k0, k1 = _steps(t0, t1)
    rng = np.random.default_rng(seed)
    N, n = X0.shape
    out = np.empty((N, k1 - k0 + 1, n))
    out[:, 0] = X0
    X = X0.copy()
    active = np.ones(N, dtype=bool)
    for k in range(1, k1 - k0 + 1):
        nxt = cm.rhs(X, P)
        if stochastic and cm.noise is not None:
            # x(t+1) = f(x) + g(x) xi with independent standard normal xi.
            nxt = nxt + cm.noise(X, P) * rng.standard_normal((N, n))
        X = np.where(active[:, None], nxt, X)
        active &= np.all(np.isfinite(X), axis=1) & (np.max(np.abs(X), axis=1) < bound)
        out[:, k] = X
    t = np.arange(k0, k1 + 1, dtype=float)
    Xo, div, tdiv = _divergence(t, out, bound)
    method = "iteration" + (" with noise" if stochastic else "")
    nfev = k1 - k0
    if div.any():
        undefined = ~np.all(np.isfinite(out), axis=(1, 2))
        return _Raw(t, Xo, STATUS_DIVERGED, _divergence_message(div, tdiv, bound, N, undefined),
                    div, tdiv, method, nfev=nfev)
    return _Raw(t, Xo, STATUS_SUCCESS, f"iterated the map {k1 - k0} steps", div, tdiv, method,
                nfev=nfev)


def _run_euler_maruyama(
    cm: CompiledModel, X0: FloatArray, P: FloatArray, t0: float, t1: float, n_points: int,
    dt: float | None, seed: int | None, bound: float,
) -> _Raw:
    span = t1 - t0
    if dt is None:
        dt = span / (10 * (n_points - 1))
    if not (isinstance(dt, int | float) and 0 < dt <= span):
        raise ModelError(f"`dt` must be a positive step no longer than the span {span:g}, got {dt!r}")
    # Record every `every` steps so that the output has about n_points times.
    n_steps = max(1, math.ceil(span / dt))
    h = span / n_steps
    every = max(1, n_steps // (n_points - 1))
    rng = np.random.default_rng(seed)
    N, n = X0.shape
    X = X0.copy()
    active = np.ones(N, dtype=bool)
    times, frames = [t0], [X0.copy()]
    sqrt_h = math.sqrt(h)
    assert cm.noise is not None
    for k in range(1, n_steps + 1):
        # Euler-Maruyama: x += f(x) h + g(x) dW, dW ~ N(0, h) per state (diagonal noise).
        dW = sqrt_h * rng.standard_normal((N, n))
        nxt = X + cm.rhs(X, P) * h + cm.noise(X, P) * dW
        X = np.where(active[:, None], nxt, X)
        active &= np.all(np.isfinite(X), axis=1) & (np.max(np.abs(X), axis=1) < bound)
        if k % every == 0 or k == n_steps:
            times.append(t0 + k * h)
            frames.append(X.copy())
    t = np.array(times)
    stacked = np.stack(frames, axis=1)
    Xo, div, tdiv = _divergence(t, stacked, bound)
    if div.any():
        undefined = ~np.all(np.isfinite(stacked), axis=(1, 2))
        return _Raw(t, Xo, STATUS_DIVERGED, _divergence_message(div, tdiv, bound, N, undefined),
                    div, tdiv, "euler-maruyama", nfev=n_steps)
    return _Raw(t, Xo, STATUS_SUCCESS, f"Euler-Maruyama: {n_steps} steps of {h:.3g}", div, tdiv,
                "euler-maruyama", nfev=n_steps)


def _run_step_rule(
    model: Model, X0: FloatArray, P: FloatArray, values: Mapping[str, Any], t0: float, t1: float,
    seed: int | None, bound: float,
) -> _Raw:
    k0, k1 = _steps(t0, t1)
    rng = np.random.default_rng(seed)
    step = model.stochastic_step
    assert step is not None
    N, n = X0.shape
    names = model.parameter_names
    out = np.empty((N, k1 - k0 + 1, n))
    out[:, 0] = X0
    for i in range(N):
        pdict = {name: float(P[i, j]) for j, name in enumerate(names)}
        x = X0[i].copy()
        for k in range(1, k1 - k0 + 1):
            x = np.asarray(step(x, pdict, rng), dtype=float)
            if x.shape != (n,):
                raise ModelError(
                    f"`stochastic_step` of model `{model.name}` returned shape {x.shape}, expected "
                    f"({n},) for the states {', '.join(model.state_names)}"
                )
            out[i, k] = x
            if not np.all(np.isfinite(x)) or np.max(np.abs(x)) >= bound:
                out[i, k + 1:] = x
                break
    t = np.arange(k0, k1 + 1, dtype=float)
    Xo, div, tdiv = _divergence(t, out, bound)
    if div.any():
        return _Raw(t, Xo, STATUS_DIVERGED, _divergence_message(div, tdiv, bound, N), div, tdiv,
                    "stochastic_step", nfev=N * (k1 - k0))
    return _Raw(t, Xo, STATUS_SUCCESS, f"applied the step rule {k1 - k0} times", div, tdiv,
                "stochastic_step", nfev=N * (k1 - k0))
