"""Numerical observations shared by the catalogue's claims.

Each function decides something about a model at one parameter point *without* the analytic
formula: from numerically found equilibria and their eigenvalues, or from simulation. They are
module-level functions (picklable with :func:`functools.partial`), so claims can be checked on a
process pool.

Examples
--------
>>> from incentive_geometry.theory import entrenchment
>>> from incentive_geometry.proofs.observe import stable_at
>>> stable_at(entrenchment(), {"x": 1.0}, {"theta": 0.1, "alpha": 1.0, "b": 0.2, "gamma": 1.0, "c": 1.0}).value
True
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from incentive_geometry.model import Model

from .claims import Observation

__all__ = [
    "BATCHED",
    "OBSERVER_FAMILY",
    "attractors_by_simulation",
    "attracts",
    "batch_for",
    "count_stable",
    "equilibria_at",
    "equilibria_many",
    "falls_below",
    "interior_unstable",
    "observer_family",
    "only_stable_is",
    "oscillates",
    "returns",
    "stable_at",
    "threshold_gap",
]

#: Equilibria closer than this to a target point are "at" it.
NEAR = 1e-6


def _params(model: Model, values: Mapping[str, float]) -> dict[str, float]:
    return {p.name: float(values[p.name]) for p in model.parameters if p.name in values}


def equilibria_at(model: Model, values: Mapping[str, float], *, n_starts: int = 16) -> list[Any]:
    """Numerical equilibria (with eigenvalues and stability) in the state domain.

    Parameters
    ----------
    model : Model
    values : mapping of str to float
        Parameter values (extra names are ignored).
    n_starts : int
        Quasi-random Newton starts.

    Returns
    -------
    list of NumericEquilibrium

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.proofs.observe import equilibria_at
    >>> m = ig.Model.from_equations({"x": "x*(1 - x)"}, parameters={}, states={"x": {"domain": [0, 1]}})
    >>> sorted(round(float(e.x[0]), 6) + 0.0 for e in equilibria_at(m, {}))
    [0.0, 1.0]
    """
    from incentive_geometry.solvers.numeric.equilibria import find_equilibria

    with warnings.catch_warnings():
        # Near a boundary of the claim the Jacobian is nearly singular: expected, not news.
        warnings.simplefilter("ignore", RuntimeWarning)
        return find_equilibria(
            model, params=_params(model, values), n_starts=n_starts, deflation_rounds=1
        )


def _describe(found: list[Any]) -> str:
    parts = []
    for e in found:
        lam = ", ".join(
            f"{complex(v).real:.3g}"
            + (f"{complex(v).imag:+.3g}i" if abs(complex(v).imag) > 1e-12 else "")
            for v in e.eigenvalues
        )
        point = ", ".join(f"{float(v):.4g}" for v in e.x)
        parts.append(f"({point}) {e.stability} [{lam}]")
    return "; ".join(parts) or "no equilibrium found"


def stable_at(
    model: Model, target: Mapping[str, float], values: Mapping[str, float]
) -> Observation:
    """Whether the point `target` is an equilibrium and linearly stable, numerically.

    The residual of the right-hand side (flows) or of ``f(x) - x`` (maps) is evaluated at the
    point, and the eigenvalues of the Jacobian there are computed numerically (compiled model)
    and judged by the one stability predicate of the numerics
    (:mod:`incentive_geometry.solvers.numeric.stability`). For a model on the simplex the
    eigenvalues are those of the dynamics on the simplex (the model in n - 1 shares,
    :meth:`~incentive_geometry.model.Model.reduce_simplex`): the direction off the simplex is not
    a direction the shares can move in. Looking at the point itself avoids a root finder, which
    near a transcritical point may converge to the neighbouring equilibrium instead.

    Parameters
    ----------
    model : Model
    target : mapping of state name to value
        Every state's value (on the simplex for a simplex model).
    values : mapping of str to float

    Returns
    -------
    Observation

    Raises
    ------
    ModelError
        When a state is missing from `target`, or a simplex model's target is off the simplex.
    ConvergenceError
        When the point is an equilibrium whose linearization does not decide its stability (an
        eigenvalue on the boundary: neutral); the observation cannot be made there.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment, entrenchment_n
    >>> from incentive_geometry.proofs.observe import stable_at
    >>> stable_at(entrenchment(), {"x": 0.0}, {"theta": 0.1}).value
    False
    >>> seen = stable_at(entrenchment_n(3), {"w_1": 0.0, "w_2": 1.0, "w_3": 0.0}, {})
    >>> seen.value, seen.evidence.split("; ")[1]
    (True, 'eigenvalues on the simplex [-0.7, -0.54]')
    """
    from incentive_geometry.errors import ConvergenceError, ModelError
    from incentive_geometry.solvers.numeric.compile import compile_model
    from incentive_geometry.solvers.numeric.stability import stability_class

    missing = [s for s in model.state_names if s not in target]
    if missing:
        raise ModelError(
            f"the observed point names no value for {', '.join(f'`{s}`' for s in missing)} "
            f"(model `{model.name}` has states {', '.join(model.state_names)})"
        )
    point = {s: float(target[s]) for s in model.state_names}
    where = "eigenvalues"
    if model.simplex:
        total = sum(point.values())
        if abs(total - 1.0) > 1e-9 or min(point.values()) < -1e-9:
            raise ModelError(
                f"the observed point {point} of simplex model `{model.name}` is not on the "
                f"simplex (shares sum to {total:.12g}); give shares >= 0 that sum to 1"
            )
        model = model.reduce_simplex()
        where = "eigenvalues on the simplex"
    cm = compile_model(model)
    x = np.array([point[s] for s in model.state_names])
    defaults = {p.name: float(p.default) for p in model.parameters if p.default is not None}
    p = cm.param_vector(defaults | _params(model, values))
    f = cm.rhs(x, p) - (x if model.time == "discrete" else 0.0)
    residual = float(np.max(np.abs(f))) if f.size else 0.0
    lam = np.linalg.eigvals(cm.jac(x, p)) if x.size else np.zeros(0, dtype=complex)
    verdict = stability_class(model.time, lam)
    shown = ", ".join(
        f"{complex(v).real:.4g}"
        + (f"{complex(v).imag:+.3g}i" if abs(complex(v).imag) > 1e-12 else "")
        for v in lam
    )
    evidence = f"residual {residual:.2g} at {dict(target)}; {where} [{shown}]"
    if residual < 1e-9 and verdict == "neutral":
        raise ConvergenceError(
            f"stable_at: {evidence}: an eigenvalue lies on the stability boundary, so the "
            "linearization does not decide stability there (neutral); the observation cannot be "
            "made at this point"
        )
    return Observation(residual < 1e-9 and verdict == "stable", evidence)


def count_stable(model: Model, values: Mapping[str, float], *, at_least: int = 2) -> Observation:
    """Whether at least `at_least` stable equilibria coexist (multistability), numerically.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import count_stable
    >>> count_stable(entrenchment(), {"theta": 0.3}).value
    True
    """
    return _count_stable(equilibria_at(model, values), at_least)


def _count_stable(found: list[Any], at_least: int) -> Observation:
    return Observation(sum(e.stable for e in found) >= at_least, _describe(found))


def only_stable_is(
    model: Model, target: Mapping[str, float], values: Mapping[str, float]
) -> Observation:
    """Whether the equilibrium at `target` is the only stable one, numerically.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import only_stable_is
    >>> only_stable_is(entrenchment(), {"x": 0.0}, {"theta": 0.9}).value
    True
    """
    return _only_stable_is(model, target, equilibria_at(model, values))


def _only_stable_is(model: Model, target: Mapping[str, float], found: list[Any]) -> Observation:
    idx = [model.state_names.index(k) for k in target]
    want = np.array([float(v) for v in target.values()])
    stable = [e for e in found if e.stable]
    ok = len(stable) == 1 and float(np.max(np.abs(stable[0].x[idx] - want))) < NEAR
    return Observation(ok, _describe(found))


def interior_unstable(
    model: Model, values: Mapping[str, float], *, margin: float = 1e-7
) -> Observation:
    """Whether an interior equilibrium (all states strictly inside their interval domains)
    exists and every interior equilibrium is unstable, numerically.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import interior_unstable
    >>> interior_unstable(entrenchment(), {"theta": 0.3}).value
    True
    """
    return _interior_unstable(model, equilibria_at(model, values), margin)


def _interior_unstable(model: Model, found: list[Any], margin: float) -> Observation:
    lo = np.array([float(d.lo) if d.lo is not None else -np.inf for d in model.state_domains])
    hi = np.array([float(d.hi) if d.hi is not None else np.inf for d in model.state_domains])
    inner = [e for e in found if np.all(e.x > lo + margin) and np.all(e.x < hi - margin)]
    return Observation(bool(inner) and not any(e.stable for e in inner), _describe(found))


def oscillates(
    model: Model,
    values: Mapping[str, float],
    *,
    x0: Mapping[str, float] | Callable[[Mapping[str, float]], Mapping[str, float]],
    horizon: float = 200.0,
    windows: int = 4,
    settle: float = 1e-7,
    n_points: int = 4001,
    rtol: float = 1e-8,
) -> Observation:
    """Whether a trajectory from `x0` settles on a stable cycle (True) or on an equilibrium
    (False), by simulation; neither within the horizon raises, never a guess.

    The flow is simulated in windows, each from where the last ended and twice as long as the
    last (`horizon`, ``2 horizon``, ``4 horizon``, ...), at most `windows` of them, so slow
    cycles get enough periods. After each window:

    * an **equilibrium** if every state varies by less than ``settle * (1 + max |x|)`` over the
      window's second half: False;
    * a **cycle** if :func:`~incentive_geometry.solvers.numeric.cycles.detect_cycle` finds a
      closed orbit in the window and the collocation solver of
      :func:`~incentive_geometry.solvers.numeric.cycles.cycles` converges from it to a periodic
      orbit whose Floquet multipliers say it is stable: True (a slowly decaying spiral, which
      closes to within the detection tolerance near a Hopf point, converges to no stable
      orbit and is not taken for one);
    * otherwise the next window.

    Parameters
    ----------
    model : Model
        A flow (continuous time).
    values : mapping of str to float
        Parameter values (extra names are ignored).
    x0 : mapping of state name to value, or callable
        The start, or ``x0(values)`` giving it (a start that depends on the parameters).
    horizon : float
        Length of the first window, in model time (a few periods of the expected cycle).
    windows : int
        Most windows simulated (the last one ``2**(windows - 1) * horizon`` long).
    settle : float
        Relative spread below which the trajectory is at rest.
    n_points : int
        Output points per window.
    rtol : float
        Relative tolerance of the integrator (the absolute one is ``rtol / 100``).

    Returns
    -------
    Observation
        ``value`` True (a stable cycle; evidence: period, amplitude, multipliers) or False
        (an equilibrium; evidence: the state it rests at).

    Raises
    ------
    ModelKindError
        For a map.
    ConvergenceError
        When the trajectory settles on neither within ``windows * horizon``, diverges, or the
        integrator fails: the observation cannot be made at this point.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       section 1.5 (Floquet multipliers of a cycle).

    Examples
    --------
    The Brusselator oscillates past its Hopf line ``b = 1 + a**2`` and rests below it:

    >>> import incentive_geometry as ig
    >>> from incentive_geometry.proofs.observe import oscillates
    >>> m = ig.Model.from_equations({"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
    ...                             parameters={"a": 1.0, "b": 2.5})
    >>> seen = oscillates(m, {"a": 1.0, "b": 2.5}, x0={"x": 1.0, "y": 2.0})
    >>> seen.value, seen.evidence.split(";")[0]
    (True, 'stable cycle, period 6.57728')
    >>> oscillates(m, {"a": 1.0, "b": 1.5}, x0={"x": 1.0, "y": 2.0}).value
    False
    """
    import math

    from incentive_geometry.errors import ConvergenceError, ModelError, ModelKindError
    from incentive_geometry.solvers.numeric.cycles import cycles, detect_cycle
    from incentive_geometry.solvers.numeric.simulate import simulate

    if model.time != "continuous":
        raise ModelKindError(
            f"`oscillates` simulates flows; `{model.name}` is a map (its cycles are fixed points "
            "of `model.iterate(k)`: observe those with `stable_at`)"
        )
    if not (isinstance(horizon, int | float) and math.isfinite(horizon) and horizon > 0):
        raise ModelError(f"`horizon` must be a positive number, got {horizon!r}")
    if isinstance(windows, bool) or not isinstance(windows, int) or windows < 1:
        raise ModelError(f"`windows` must be a positive int, got {windows!r}")
    # Every parameter's value (defaults filled in): the cycle solver starts from the
    # trajectory's parameters.
    defaults = {p.name: float(p.default) for p in model.parameters if p.default is not None}
    params = defaults | _params(model, values)
    start = dict(x0(values) if callable(x0) else x0)
    # The collocation solver needs a parameter to stand on (it does not move along it here):
    # the first one, with a tiny range around its value inside its domain.
    param = model.parameter_names[0] if model.parameter_names else None
    p_range = None
    if param is not None:
        pv, dom = params[param], model.parameter(param).domain
        width = 1e-6 * (1.0 + abs(pv))
        lo = pv - width if dom.contains(pv - width) else pv
        hi = pv + width if dom.contains(pv + width) else pv
        p_range = (lo, hi) if hi > lo else None
    last = "no window simulated"
    t_start = 0.0
    for w in range(windows):
        span = float(horizon) * 2.0**w
        tr = simulate(
            model,
            x0=start,
            t=(0.0, span),
            params=params,
            n_points=n_points,
            rtol=rtol,
            atol=1e-2 * rtol,
            raise_on_failure=False,
        )
        when = f"t in [{t_start:g}, {t_start + span:g}]"
        t_start += span
        if not tr.success:
            raise ConvergenceError(
                f"oscillates: the simulation from {start} at {params} did not run to the end "
                f"({when}): {tr.message}; the observation cannot be made at this point"
            )
        tail = tr.x[len(tr.t) // 2 :]
        spread = float(np.max(np.ptp(tail, axis=0)))
        scale = 1.0 + float(np.max(np.abs(tail)))
        rest = ", ".join(
            f"{s}={float(v):.6g}" for s, v in zip(model.state_names, tr.x[-1], strict=True)
        )
        if spread <= settle * scale:
            return Observation(
                False, f"equilibrium: rests at ({rest}), spread {spread:.2g} over {when}"
            )
        found = detect_cycle(tr)
        if found is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    branch = cycles(
                        model,
                        param,  # type: ignore[arg-type]  # None: a model with no parameters
                        start=tr,
                        p_range=p_range,
                        max_steps=0,
                        raise_on_failure=False,
                    )
            except ConvergenceError as err:
                branch, last = None, f"a closed orbit seen ({when}) but collocation failed: {err}"
            if branch is not None and len(branch):
                orbit = branch.orbit(0)
                mu = ", ".join(f"{abs(complex(v)):.4g}" for v in orbit.multipliers[1:])
                if orbit.stability == "stable":
                    return Observation(
                        True,
                        f"stable cycle, period {orbit.period:.6g}; amplitude {orbit.amplitude:.4g}; "
                        f"nontrivial multipliers |mu| [{mu}]; seen over {when}",
                    )
                last = f"an orbit of period {orbit.period:.6g} seen ({when}), {orbit.stability} (|mu| [{mu}])"
            elif branch is not None:
                last = (
                    f"a closed orbit seen ({when}) but collocation found no cycle: {branch.message}"
                )
        else:
            last = f"still moving over {when} (spread {spread:.3g}), no closed orbit"
        start = dict(zip(model.state_names, (float(v) for v in tr.x[-1]), strict=True))
    raise ConvergenceError(
        f"oscillates: from {dict(x0(values) if callable(x0) else x0)} at {params} the trajectory "
        f"settled on neither an equilibrium nor a stable cycle within t = {t_start:g}: "
        f"{last}; simulate longer (`horizon`, `windows`) or leave this point out"
    )


# -- simulation-based stability observers (independent of the Jacobian) ------------------------

#: The observer family of each observation function: "jacobian" (decided from eigenvalues of the
#: Jacobian, the object the symbolic prediction is derived from) or "simulation" (decided by
#: integrating the flow from perturbed starts, never looking at a derivative).
OBSERVER_FAMILY: dict[str, str] = {
    "stable_at": "jacobian",
    "count_stable": "jacobian",
    "only_stable_is": "jacobian",
    "interior_unstable": "jacobian",
    "equilibria_at": "jacobian",
    "oscillates": "simulation",
    "attracts": "simulation",
    "attractors_by_simulation": "simulation",
    "returns": "simulation",
    "threshold_gap": "simulation",
    "falls_below": "simulation",
    # Catalogue observers (defined in proofs/catalogue/): the family is stated here, in one table.
    "return_pattern": "simulation",  # catalogue/entrenchment.py: rates of return at both ends
    "iterates_to": "simulation",  # catalogue/analogy.py: where a map's iterates go
}


def observer_family(observe: Callable[..., Any]) -> str:
    """The observer family of an observation function ("jacobian", "simulation" or "other").

    Unwraps :func:`functools.partial` and looks the function's name up in
    :data:`OBSERVER_FAMILY`.

    Examples
    --------
    >>> import functools
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import attracts, observer_family, stable_at
    >>> observer_family(functools.partial(stable_at, entrenchment(), {"x": 0.0}))
    'jacobian'
    >>> observer_family(functools.partial(attracts, entrenchment(), {"x": 0.0}))
    'simulation'
    >>> observer_family(len)
    'other'
    """
    import functools

    fn: Any = observe
    while isinstance(fn, functools.partial):
        fn = fn.func
    return OBSERVER_FAMILY.get(getattr(fn, "__name__", ""), "other")


def _perturbed_starts(
    model: Model, point: np.ndarray, radius: float, starts: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Starts at distance about `radius` from `point`, inside the state domain (for a simplex
    model: on the simplex, moved towards random points of it)."""
    n = point.size
    out: list[np.ndarray] = []
    if model.simplex:
        for _ in range(starts):
            towards = rng.dirichlet(np.ones(n))
            step = towards - point
            norm = float(np.linalg.norm(step))
            if norm > 0:
                out.append(point + radius * step / norm)
        return out
    lo = np.array([float(d.lo) if d.lo is not None else -np.inf for d in model.state_domains])
    hi = np.array([float(d.hi) if d.hi is not None else np.inf for d in model.state_domains])
    for _ in range(starts):
        d = rng.normal(size=n)
        d /= float(np.linalg.norm(d)) or 1.0
        # A state at (or within `radius` of) a bound of its domain is moved inwards only.
        d = np.where(point - radius <= lo, np.abs(d), d)
        d = np.where(point + radius >= hi, -np.abs(d), d)
        out.append(point + radius * d)
    return out


def attracts(
    model: Model,
    target: Mapping[str, float],
    values: Mapping[str, float],
    *,
    radius: float = 1e-4,
    starts: int | None = None,
    factor: float = 100.0,
    horizon: float = 1e5,
    seed: int = 0,
) -> Observation:
    """Whether trajectories from perturbed starts near `target` return to it, by simulation.

    Starts are drawn at distance `radius` from the target inside the state domain (one inward
    start per free direction of a state at a bound, or random directions; ``2 n`` starts by
    default, one for a one-state model). Each is integrated (explicit Runge-Kutta 4(5),
    :func:`scipy.integrate.solve_ivp`, ``rtol`` 1e-8) until its distance from the target has
    shrunk by `factor` (**attracted**) or grown by `factor` (**repelled**). The target is
    stable when every start is attracted and unstable when one is repelled. No derivative of
    the right-hand side is used, so this decides stability independently of the Jacobian the
    symbolic prediction comes from (for maps, the map is iterated instead).

    Parameters
    ----------
    model : Model
    target : mapping of state name to value
    values : mapping of str to float
        Parameter values (extra names are ignored).
    radius : float
        Distance of the starts from the target.
    starts : int, optional
        Number of starts (default: 1 for one state, ``2 n`` otherwise).
    factor : float
        Shrinking or growth of the distance that decides.
    horizon : float
        Longest time simulated (steps, for a map).
    seed : int
        Seed of the start directions.

    Returns
    -------
    Observation

    Raises
    ------
    ModelError
        When a state is missing from `target`.
    ConvergenceError
        When `target` is not an equilibrium (the right-hand side there exceeds 1e-9: the
        observation cannot be made), or when some start is neither attracted nor repelled
        within `horizon` (a neutral or very slow point), or the integration fails.

    References
    ----------
    .. [1] A. M. Lyapunov, The general problem of the stability of motion (1892); stability
       as return of perturbed motions, e.g. S. H. Strogatz, *Nonlinear Dynamics and Chaos*,
       2nd ed., Westview Press, 2015, section 5.2.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import attracts
    >>> attracts(entrenchment(), {"x": 0.0}, {"theta": 0.1}).value
    False
    >>> seen = attracts(entrenchment(), {"x": 1.0}, {"theta": 0.1})
    >>> seen.value, seen.evidence.split(":")[0]
    (True, 'simulation')
    """
    from scipy.integrate import solve_ivp

    from incentive_geometry.errors import ConvergenceError, ModelError
    from incentive_geometry.solvers.numeric.compile import compile_model

    missing = [s for s in model.state_names if s not in target]
    if missing:
        raise ModelError(
            f"the observed point names no value for {', '.join(f'`{s}`' for s in missing)} "
            f"(model `{model.name}` has states {', '.join(model.state_names)})"
        )
    cm = compile_model(model)
    point = np.array([float(target[s]) for s in model.state_names])
    defaults = {p.name: float(p.default) for p in model.parameters if p.default is not None}
    p = cm.param_vector(defaults | _params(model, values))
    discrete = model.time == "discrete"

    def f(x: np.ndarray) -> np.ndarray:
        return np.asarray(cm.rhs(x, p), dtype=float)

    residual = float(np.max(np.abs(f(point) - (point if discrete else 0.0))))
    if not np.isfinite(residual) or residual > 1e-9:
        raise ConvergenceError(
            f"attracts: {dict(target)} is not an equilibrium at these parameters (residual "
            f"{residual:.3g}); the observation cannot be made at this point"
        )
    n = point.size
    count = starts if starts is not None else (1 if n == 1 else 2 * n)
    rng = np.random.default_rng(seed)
    verdicts: list[str] = []
    for x0 in _perturbed_starts(model, point, radius, count, rng):
        d0 = float(np.linalg.norm(x0 - point))
        if discrete:
            x, verdict = x0, ""
            for _k in range(int(horizon)):
                x = f(x)
                d = float(np.linalg.norm(x - point))
                if not np.isfinite(d) or d > d0 * factor:
                    verdict = "repelled"
                elif d < d0 / factor:
                    verdict = "attracted"
                if verdict:
                    break
            verdicts.append(verdict or "undecided")
            continue

        def inside(_t: float, x: np.ndarray, d0: float = d0) -> float:
            return float(np.linalg.norm(x - point)) - d0 / factor

        def outside(_t: float, x: np.ndarray, d0: float = d0) -> float:
            return float(np.linalg.norm(x - point)) - d0 * factor

        inside.terminal = True  # type: ignore[attr-defined]
        outside.terminal = True  # type: ignore[attr-defined]
        sol = solve_ivp(
            lambda _t, x: f(x),
            (0.0, float(horizon)),
            x0,
            method="RK45",
            rtol=1e-8,
            atol=1e-4 * d0 / factor,
            events=(inside, outside),
        )
        if sol.status < 0:
            raise ConvergenceError(
                f"attracts: the integration from {x0.tolist()} failed: {sol.message}; the "
                "observation cannot be made at this point"
            )
        if len(sol.t_events[0]):
            verdicts.append("attracted")
        elif len(sol.t_events[1]):
            verdicts.append("repelled")
        else:
            verdicts.append("undecided")
    tally = ", ".join(f"{verdicts.count(v)} {v}" for v in dict.fromkeys(verdicts))
    evidence = (
        f"simulation: {len(verdicts)} start(s) at distance {radius:g} from {dict(target)}: "
        f"{tally} (factor {factor:g})"
    )
    if "repelled" in verdicts:
        return Observation(False, evidence)
    if "undecided" in verdicts:
        raise ConvergenceError(
            f"attracts: {evidence} within t = {horizon:g}: too slow to decide (a point near a "
            "stability boundary); the observation cannot be made at this point"
        )
    return Observation(True, evidence)


def attractors_by_simulation(
    model: Model, targets: tuple[Mapping[str, float], ...], values: Mapping[str, float]
) -> Observation:
    """Whether every point of `targets` attracts perturbed starts (:func:`attracts`): e.g.
    bistability of two equilibria, decided by simulation.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import attractors_by_simulation
    >>> attractors_by_simulation(entrenchment(), ({"x": 0.0}, {"x": 1.0}), {"theta": 0.3}).value
    True
    """
    seen = [attracts(model, t, values) for t in targets]
    return Observation(all(s.value for s in seen), "; ".join(s.evidence for s in seen))


# -- batched observations: many parameter points of one claim in one solver call ----------------


def _param_rows(model: Model, points: list[Mapping[str, float]]) -> list[Any]:
    """Each point's parameter vector in model order (defaults filled in, domains checked), or
    the exception that refused it (that member is a failed point)."""
    from incentive_geometry.solvers.numeric.compile import compile_model, resolve_params

    cm = compile_model(model)
    rows: list[Any] = []
    for values in points:
        try:
            rows.append(cm.param_vector(resolve_params(model, _params(model, values))))
        except Exception as err:  # an inadmissible point fails alone
            rows.append(err)
    return rows


def equilibria_many(
    model: Model,
    points: list[Mapping[str, float]],
    *,
    n_starts: int = 16,
    deflation_rounds: int = 1,
    tol: float = 1e-10,
    max_iter: int = 60,
    seed: int = 0,
) -> list[Any]:
    """:func:`equilibria_at` at many parameter points in one batched Newton solve.

    The starts of :func:`~incentive_geometry.solvers.numeric.equilibria.find_equilibria` (the
    same scrambled Sobol points and box corners) are repeated at every parameter point, and
    all rows step together in :func:`~incentive_geometry.solvers.numeric.newton.newton`, each
    with its own parameters and on its own account (a row's iterates do not depend on the other
    rows). Deflation (Farrell, Birkisson and Funke 2015) of each point's known roots is carried
    in the rows' parameter vectors: the step is that of ``M(x) F(x)`` with
    ``M = prod_k (1/|x - r_k|^2 + 1)``, i.e. ``(DF + F (grad log M)^T)^{-1} F``.

    Parameters
    ----------
    model : Model
    points : list of mapping of str to float
        Parameter values per point (extra names are ignored).
    n_starts, deflation_rounds, tol, max_iter, seed
        As for ``find_equilibria`` (the defaults are those of :func:`equilibria_at`).

    Returns
    -------
    list
        Per point, the list of NumericEquilibrium (sorted by the states), or the exception that
        made the point unobservable.

    References
    ----------
    .. [1] P. E. Farrell, A. Birkisson and S. W. Funke, Deflation techniques for finding
       distinct solutions of nonlinear partial differential equations, SIAM J. Sci. Comput. 37
       (2015), A2026-A2045.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import equilibria_many
    >>> found = equilibria_many(entrenchment(), [{"theta": 0.3}, {"theta": 0.9}])
    >>> [[round(float(e.x[0]), 4) + 0.0 for e in f] for f in found]  # x* = 0.3/0.7 - 0.2
    [[0.0, 0.2286, 1.0], [0.0, 1.0]]
    >>> [[e.stable for e in f] for f in found]
    [[True, False, True], [True, False]]
    """
    import itertools
    from dataclasses import replace

    from scipy.stats import qmc

    from incentive_geometry.solvers.numeric.compile import compile_model
    from incentive_geometry.solvers.numeric.equilibria import (
        NumericEquilibrium,
        multipliers_or_eigenvalues,
    )
    from incentive_geometry.solvers.numeric.newton import NewtonOptions, newton, search_box
    from incentive_geometry.solvers.numeric.stability import (
        STABILITY_CLASSES,
        STABLE,
        stability_codes,
    )

    if model.simplex:
        # As find_equilibria: solve on the simplex (n - 1 shares), lift the points back.
        reduced = equilibria_many(
            model.reduce_simplex(),
            points,
            n_starts=n_starts,
            deflation_rounds=deflation_rounds,
            tol=tol,
            max_iter=max_iter,
            seed=seed,
        )
        lifted: list[Any] = []
        for found in reduced:
            if isinstance(found, BaseException):
                lifted.append(found)
                continue
            out = []
            for e in found:
                last = 1.0 - float(np.sum(e.x))
                if last >= -1e-9:
                    orbit = np.column_stack([e.orbit, 1.0 - e.orbit.sum(axis=1)])
                    out.append(
                        replace(
                            e, x=np.append(e.x, last), orbit=orbit, state_names=model.state_names
                        )
                    )
            lifted.append(out)
        return lifted
    cm = compile_model(model)
    n, m = cm.n, cm.m
    rows = _param_rows(model, points)
    good = [k for k, r in enumerate(rows) if not isinstance(r, BaseException)]
    results: list[Any] = list(rows)
    if not good:
        return results
    lo, hi = search_box(model, None)
    discrete = model.time == "discrete"
    eye = np.eye(n)
    sampler = qmc.Sobol(d=n, scramble=True, seed=seed)
    starts = qmc.scale(sampler.random_base2(int(np.ceil(np.log2(max(n_starts, 2))))), lo, hi)
    if 0 < n <= 6:
        corners = np.array(list(itertools.product(*zip(lo, hi, strict=True))), dtype=float)
        starts = np.vstack([corners, starts])
    S = len(starts)
    P = np.array([rows[k] for k in good], dtype=float).reshape(len(good), m)
    options = NewtonOptions(
        tol=tol, residual_tol=float(np.sqrt(tol)), max_iter=max_iter, max_step=0.5
    )
    width = np.maximum(hi - lo, 1.0)
    dedup = np.sqrt(tol)
    slack = 1e-9 * (hi - lo)

    def F(x: np.ndarray, q: np.ndarray) -> np.ndarray:
        f = cm.rhs(x, q[..., :m])
        return f - x if discrete else f

    def deflated_jac(x: np.ndarray, q: np.ndarray) -> np.ndarray:
        # Roots r_k (NaN padding: none) ride in the parameter vector after the parameters.
        J = cm.jac(x, q[..., :m]) - (eye if discrete else 0.0)
        roots = q[..., m:].reshape(len(x), -1, n)
        d = x[:, None, :] - roots
        known = np.isfinite(roots).all(axis=2)
        d2 = np.maximum(np.sum(np.where(known[..., None], d, 0.0) ** 2, axis=2), 1e-300)
        factor = 1.0 / d2 + 1.0
        grad = np.where(known[..., None], -2.0 * d / (d2**2 * factor)[..., None], 0.0).sum(axis=1)
        return J + F(x, q)[:, :, None] * grad[:, None, :]

    roots_of: list[list[np.ndarray]] = [[] for _ in good]
    for round_ in range(deflation_rounds + 1):
        width_known = max((len(f) for f in roots_of), default=0)
        if round_ and width_known == 0:
            break  # nothing to deflate: the round would repeat the first
        pad = np.full((len(good), width_known, n), np.nan)
        for g, roots in enumerate(roots_of):
            if roots:
                pad[g, : len(roots)] = roots
        Q = np.concatenate([P, pad.reshape(len(good), -1)], axis=1)
        X0 = np.broadcast_to(starts, (len(good), S, n)).copy()
        Qr = np.broadcast_to(Q[:, None, :], (len(good), S, Q.shape[1])).copy()
        with np.errstate(all="ignore"):
            x, ok = newton(
                F,
                deflated_jac
                if round_
                else (lambda x, q: cm.jac(x, q[..., :m]) - (eye if discrete else 0.0)),
                X0,
                Qr,
                options,
                scale=width,
                box=(lo, hi),
            )
        grew = False
        for g in range(len(good)):
            new = [
                r for r in x[g][ok[g]] if bool(np.all(r >= lo - slack) & np.all(r <= hi + slack))
            ]
            before = len(roots_of[g])
            merged = list(roots_of[g])
            for r in new:
                if all(np.max(np.abs(r - q) / (1.0 + np.abs(q))) > dedup for q in merged):
                    merged.append(r)
            roots_of[g] = merged
            grew |= len(merged) > before
        if round_ and not grew:
            break
    values_of = {
        k: {q: float(v) for q, v in zip(model.parameter_names, rows[k], strict=True)} for k in good
    }
    for g, k in enumerate(good):
        out = []
        for q in sorted(roots_of[g], key=lambda r: tuple(r)):
            lam = multipliers_or_eigenvalues(cm, q, P[g])
            code = stability_codes(model.time, lam)
            out.append(
                NumericEquilibrium(
                    x=q,
                    eigenvalues=lam,
                    stable=code == STABLE,
                    stability=STABILITY_CLASSES[code],
                    residual=float(np.max(np.abs(F(q, P[g])))) if n else 0.0,
                    period=1,
                    orbit=np.array([q]),
                    state_names=model.state_names,
                    params=values_of[k],
                )
            )
        results[k] = out
    return results


def _count_stable_many(
    model: Model, points: list[Mapping[str, float]], *, at_least: int = 2
) -> list[Any]:
    return [
        f if isinstance(f, BaseException) else _count_stable(f, at_least)
        for f in equilibria_many(model, points)
    ]


def _only_stable_is_many(
    model: Model, target: Mapping[str, float], points: list[Mapping[str, float]]
) -> list[Any]:
    return [
        f if isinstance(f, BaseException) else _only_stable_is(model, target, f)
        for f in equilibria_many(model, points)
    ]


def _interior_unstable_many(
    model: Model, points: list[Mapping[str, float]], *, margin: float = 1e-7
) -> list[Any]:
    return [
        f if isinstance(f, BaseException) else _interior_unstable(model, f, margin)
        for f in equilibria_many(model, points)
    ]


# -- simulation of deviations from a point (independent of the Jacobian) ------------------------


def _deviation_model(model: Model, target: tuple[tuple[str, float], ...]) -> Model:
    """The model in the deviation ``y = x - target``: ``y' = f(target + y)`` (flows) or
    ``y_{t+1} = f(target + y) - target`` (maps), substituted symbolically, so that a tiny
    deviation keeps its relative precision (``1 - (1 - y)`` is never formed in floating point).
    """
    return _deviation_cached(model, target)


@functools.lru_cache(maxsize=64)
def _deviation_cached(model: Model, target: tuple[tuple[str, float], ...]) -> Model:
    import sympy

    at = dict(target)
    shift = {s: sympy.nsimplify(at[s.name], rational=True) + s for s in model.states}
    exprs = {}
    for s, f in zip(model.states, model.rhs, strict=True):
        g = f.xreplace(shift)
        if model.time == "discrete":
            g = g - shift[s] + s
        exprs[s.name] = sympy.expand(g) if g.is_polynomial(*model.states) else g
    return Model.from_equations(
        exprs,
        parameters=list(model.parameters),
        time=model.time,
        name=f"{model.name} (deviation)",
    )


def _start_rows(
    model: Model, target: Mapping[str, float], radius: float, starts: int | None, seed: int
) -> tuple[Model, np.ndarray, np.ndarray]:
    """(model to simulate, the target in its states, the start deviations): the perturbed
    starts of :func:`attracts` (for a simplex model, on the simplex, in n - 1 shares)."""
    from incentive_geometry.errors import ModelError

    missing = [s for s in model.state_names if s not in target]
    if missing:
        raise ModelError(
            f"the observed point names no value for {', '.join(f'`{s}`' for s in missing)} "
            f"(model `{model.name}` has states {', '.join(model.state_names)})"
        )
    point = np.array([float(target[s]) for s in model.state_names])
    n = point.size
    count = starts if starts is not None else (1 if n == 1 else 2 * n)
    rng = np.random.default_rng(seed)
    rows = np.array(_perturbed_starts(model, point, radius, count, rng)) - point
    if model.simplex:
        return model.reduce_simplex(), point[:-1], rows[:, :-1]
    return model, point, rows


def _simulate_deviations(
    dev: Model,
    Y0: np.ndarray,
    P: np.ndarray,
    *,
    near: np.ndarray,
    far: np.ndarray,
    horizon: float,
    first: float,
    rtol: float,
    n_points: int = 41,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ensemble simulation of deviations until each member's distance from 0 falls below
    `near` (code -1) or exceeds `far` (code +1), in windows doubling from `first` up to
    `horizon` (members decided in a window leave the ensemble). Returns (codes, times, log of
    distance over start distance at the decision or at the horizon); code 0: undecided.

    Explicit Runge-Kutta 4(5) on the stacked members (error control member by member,
    :func:`~incentive_geometry.solvers.numeric.simulate.simulate`); the decision is read on the
    output grid of each window."""
    from incentive_geometry.errors import ConvergenceError
    from incentive_geometry.solvers.numeric.simulate import simulate

    N = len(Y0)
    code = np.zeros(N, dtype=int)
    when = np.full(N, np.inf)
    logr = np.zeros(N)
    d0 = np.linalg.norm(Y0, axis=1)
    Y = Y0.astype(float).copy()
    live = np.arange(N)
    t, span = 0.0, float(first)
    names = dev.parameter_names
    atol = float(np.min(near)) * 1e-4
    while live.size and t < horizon:
        span = min(span, horizon - t)
        tr = simulate(
            dev,
            x0=Y[live],
            t=(0.0, span),
            n_points=n_points,
            method="RK45",
            rtol=rtol,
            atol=atol,
            params={q: P[live, j] for j, q in enumerate(names)},
            raise_on_failure=False,
        )
        if tr.status < 0:
            raise ConvergenceError(f"the ensemble simulation failed: {tr.message}")
        X = tr.x.reshape(len(live), len(tr.t), -1)
        dist = np.linalg.norm(X, axis=2)
        dist = np.where(np.isfinite(dist), dist, np.inf)
        inside = dist <= near[live, None]
        outside = dist >= far[live, None]
        hit = inside | outside
        any_hit = hit.any(axis=1)
        k = np.argmax(hit, axis=1)
        rows = np.arange(len(live))
        decided = live[any_hit]
        code[decided] = np.where(outside[rows, k][any_hit], 1, -1)
        when[decided] = t + tr.t[k[any_hit]]
        with np.errstate(divide="ignore"):
            logr[decided] = np.log(dist[rows, k][any_hit] / d0[decided])
        rest = live[~any_hit]
        Y[rest] = X[~any_hit, -1]
        with np.errstate(divide="ignore"):
            logr[rest] = np.log(dist[~any_hit, -1] / d0[rest])
        when[rest] = t + span
        live = rest
        t += span
        span *= 2.0
    return code, when, logr


def _attracts_many(
    model: Model,
    target: Mapping[str, float],
    points: list[Mapping[str, float]],
    *,
    radius: float = 1e-4,
    starts: int | None = None,
    factor: float = 100.0,
    horizon: float = 1e5,
    seed: int = 0,
) -> list[Any]:
    """:func:`attracts` at many parameter points: the perturbed starts of every point in one
    ensemble of deviations (the verdict rules of :func:`attracts`, member by member)."""
    from incentive_geometry.errors import ConvergenceError
    from incentive_geometry.solvers.numeric.compile import compile_model

    if model.time == "discrete":
        return [
            _safe(
                attracts,
                model,
                target,
                v,
                radius=radius,
                starts=starts,
                factor=factor,
                horizon=horizon,
                seed=seed,
            )
            for v in points
        ]
    sim, point, rows0 = _start_rows(model, target, radius, starts, seed)
    cm = compile_model(model)
    prow = _param_rows(model, points)
    out: list[Any] = list(prow)
    good = []
    full = np.array([float(target[s]) for s in model.state_names])
    for k, p in enumerate(prow):
        if isinstance(p, BaseException):
            continue
        residual = float(np.max(np.abs(cm.rhs(full, p))))
        if not np.isfinite(residual) or residual > 1e-9:
            out[k] = ConvergenceError(
                f"attracts: {dict(target)} is not an equilibrium at these parameters (residual "
                f"{residual:.3g}); the observation cannot be made at this point"
            )
        else:
            good.append(k)
    if not good:
        return out
    dev = _deviation_model(sim, tuple(zip(sim.state_names, map(float, point), strict=True)))
    S = len(rows0)
    Y0 = np.tile(rows0, (len(good), 1))
    P = np.repeat(np.array([prow[k] for k in good], dtype=float), S, axis=0)
    d0 = np.linalg.norm(Y0, axis=1)
    codes, _, _ = _simulate_deviations(
        dev, Y0, P, near=d0 / factor, far=d0 * factor, horizon=horizon, first=1.0, rtol=1e-8
    )
    words = {-1: "attracted", 1: "repelled", 0: "undecided"}
    for g, k in enumerate(good):
        verdicts = [words[int(c)] for c in codes[g * S : (g + 1) * S]]
        out[k] = _attracts_verdict(verdicts, radius, target, factor, horizon)
    return out


def _attracts_verdict(
    verdicts: list[str],
    radius: float,
    target: Mapping[str, float],
    factor: float,
    horizon: float,
) -> Any:
    from incentive_geometry.errors import ConvergenceError

    tally = ", ".join(f"{verdicts.count(v)} {v}" for v in dict.fromkeys(verdicts))
    evidence = (
        f"simulation: {len(verdicts)} start(s) at distance {radius:g} from {dict(target)}: "
        f"{tally} (factor {factor:g})"
    )
    if "repelled" in verdicts:
        return Observation(False, evidence)
    if "undecided" in verdicts:
        return ConvergenceError(
            f"attracts: {evidence} within t = {horizon:g}: too slow to decide (a point near a "
            "stability boundary); the observation cannot be made at this point"
        )
    return Observation(True, evidence)


def _safe(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except Exception as err:  # a member that fails is a failed point, not a failed batch
        return err


def _attractors_many(
    model: Model, targets: tuple[Mapping[str, float], ...], points: list[Mapping[str, float]]
) -> list[Any]:
    seen = [_attracts_many(model, t, points) for t in targets]
    out: list[Any] = []
    for k in range(len(points)):
        parts = [s[k] for s in seen]
        bad = next((p for p in parts if isinstance(p, BaseException)), None)
        if bad is not None:
            out.append(bad)
        else:
            out.append(
                Observation(all(p.value for p in parts), "; ".join(p.evidence for p in parts))
            )
    return out


def _rates(
    model: Model,
    target: Mapping[str, float],
    rows: list[Any],
    *,
    radius: float,
    horizon: float,
    starts: int | None,
    seed: int,
) -> np.ndarray:
    """Finite-time rates ``log(d(T)/d(0)) / T`` of the perturbed starts (rows: points, columns:
    starts), each read when its distance has changed by ``e^4`` or at `horizon`."""
    sim, point, rows0 = _start_rows(model, target, radius, starts, seed)
    dev = _deviation_model(sim, tuple(zip(sim.state_names, map(float, point), strict=True)))
    S = len(rows0)
    Y0 = np.tile(rows0, (len(rows), 1))
    P = np.repeat(np.array(rows, dtype=float).reshape(len(rows), -1), S, axis=0)
    d0 = np.linalg.norm(Y0, axis=1)
    _, when, logr = _simulate_deviations(
        dev,
        Y0,
        P,
        near=d0 * np.exp(-4.0),
        far=d0 * np.exp(4.0),
        horizon=horizon,
        first=horizon,
        rtol=1e-10,
        n_points=401,
    )
    return (logr / when).reshape(len(rows), S)


#: Rates closer to 0 than this (per unit time) do not decide :func:`returns`.
RATE_FLOOR = 1e-8


def returns(
    model: Model,
    target: Mapping[str, float],
    values: Mapping[str, float],
    *,
    radius: float = 1e-10,
    horizon: float = 20.0,
    starts: int | None = None,
    seed: int = 0,
) -> Observation:
    """Whether perturbed starts near the equilibrium `target` return to it, by simulation of
    their deviation: the finite-time rate ``log(d(T)/d(0)) / T`` of every start is negative.

    Each start (those of :func:`attracts`, at distance `radius`) is integrated in the
    deviation ``y = x - target`` (the right-hand side substituted symbolically, so a deviation
    of 1e-10 keeps its relative precision; explicit Runge-Kutta 4(5), ``rtol`` 1e-10) until
    its distance has changed by a factor ``e^4`` or until `horizon`. For a hyperbolic point the
    rate tends to the real part of an eigenvalue of the linearization (Lyapunov's first
    method) without any derivative being computed; the nonlinear terms shift it by about
    `radius`. Unlike :func:`attracts` the decision needs no long run near a stability
    boundary: a rate of 1e-6 is measured in a time of 20. Its batched form (one ensemble for
    all points of a claim) is what :func:`incentive_geometry.check` runs.

    Parameters
    ----------
    model : Model
        A flow.
    target : mapping of state name to value
    values : mapping of str to float
    radius : float
        Distance of the starts from `target`.
    horizon : float
        Longest time simulated.
    starts : int, optional
        Number of starts (default: 1 for one state, ``2 n`` otherwise).
    seed : int
        Seed of the start directions.

    Returns
    -------
    Observation

    Raises
    ------
    ConvergenceError
        When `target` is not an equilibrium, or every rate is within :data:`RATE_FLOOR` of 0
        with none positive (a neutral point: the observation cannot be made).

    References
    ----------
    .. [1] A. M. Lyapunov, The general problem of the stability of motion (1892); S. H.
       Strogatz, *Nonlinear Dynamics and Chaos*, 2nd ed., Westview Press, 2015, section 5.2.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import returns
    >>> returns(entrenchment(), {"x": 0.0}, {"theta": 0.1}).value
    False
    >>> seen = returns(entrenchment(), {"x": 1.0}, {"theta": 0.1})
    >>> seen.value, seen.evidence.split(" in ")[1].split(";")[0]  # -G(1) = -(0.9 * 1.2 - 0.1)
    (True, '[-0.98, -0.98]')
    """
    (got,) = _returns_many(
        model, target, [values], radius=radius, horizon=horizon, starts=starts, seed=seed
    )
    if isinstance(got, BaseException):
        raise got
    return got


def _returns_many(
    model: Model,
    target: Mapping[str, float],
    points: list[Mapping[str, float]],
    *,
    radius: float = 1e-10,
    horizon: float = 20.0,
    starts: int | None = None,
    seed: int = 0,
) -> list[Any]:
    from incentive_geometry.errors import ConvergenceError, ModelKindError
    from incentive_geometry.solvers.numeric.compile import compile_model

    if model.time != "continuous":
        raise ModelKindError(f"`returns` simulates flows; `{model.name}` is a map")
    cm = compile_model(model)
    prow = _param_rows(model, points)
    out: list[Any] = list(prow)
    full = np.array([float(target.get(s, np.nan)) for s in model.state_names])
    good = []
    for k, p in enumerate(prow):
        if isinstance(p, BaseException):
            continue
        residual = float(np.max(np.abs(cm.rhs(full, p)))) if full.size else 0.0
        if not np.isfinite(residual) or residual > 1e-9:
            out[k] = ConvergenceError(
                f"returns: {dict(target)} is not an equilibrium at these parameters (residual "
                f"{residual:.3g}); the observation cannot be made at this point"
            )
        else:
            good.append(k)
    if not good:
        return out
    rates = _rates(
        model,
        target,
        [prow[k] for k in good],
        radius=radius,
        horizon=horizon,
        starts=starts,
        seed=seed,
    )
    for g, k in enumerate(good):
        r = rates[g]
        evidence = (
            f"simulation: rates of {r.size} start(s) at distance {radius:g} from "
            f"{dict(target)} in [{r.min():.3g}, {r.max():.3g}]; read when the distance changed "
            f"by e^4 or at t = {horizon:g}"
        )
        if not np.all(np.isfinite(r)):
            out[k] = ConvergenceError(f"returns: {evidence}: a rate is not finite")
        elif r.max() > RATE_FLOOR:
            out[k] = Observation(False, evidence)
        elif r.max() < -RATE_FLOOR:
            out[k] = Observation(True, evidence)
        else:
            out[k] = ConvergenceError(
                f"returns: {evidence}: within {RATE_FLOOR:g} of 0 (neutral to the precision of "
                "the simulation); the observation cannot be made at this point"
            )
    return out


def _thresholds(
    model: Model,
    target: Mapping[str, float],
    param: str,
    rows: list[np.ndarray],
    bracket: tuple[float, float],
    *,
    radius: float = 1e-10,
    horizon: float = 20.0,
    xtol: float = 1e-12,
) -> np.ndarray:
    """Per parameter row, the value of `param` in `bracket` where the largest simulated rate
    of return to `target` (:func:`returns`) crosses 0 (NaN: no sign change): the
    Illinois variant of regula falsi, all rows in lockstep (one ensemble per iteration)."""
    j = model.parameter_names.index(param)
    K = len(rows)
    base = np.array(rows, dtype=float).reshape(K, -1)

    def rate(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
        P = base[idx].copy()
        P[:, j] = values
        return _rates(
            model, target, list(P), radius=radius, horizon=horizon, starts=None, seed=0
        ).max(axis=1)

    a = np.full(K, float(bracket[0]))
    b = np.full(K, float(bracket[1]))
    fa = rate(a, np.arange(K))
    fb = rate(b, np.arange(K))
    root = np.full(K, np.nan)
    live = np.flatnonzero(np.sign(fa) != np.sign(fb))
    side = np.zeros(K, dtype=int)
    for _ in range(100):
        if live.size == 0:
            break
        c = (a[live] * fb[live] - b[live] * fa[live]) / (fb[live] - fa[live])
        c = np.where(np.isfinite(c), c, 0.5 * (a[live] + b[live]))
        fc = rate(c, live)
        left = np.sign(fc) == np.sign(fa[live])
        # Illinois: halve the function value at the end kept twice in a row.
        for n_, k in enumerate(live):
            if fc[n_] == 0.0:
                a[k] = b[k] = c[n_]
            elif left[n_]:
                a[k], fa[k] = c[n_], fc[n_]
                if side[k] == -1:
                    fb[k] *= 0.5
                side[k] = -1
            else:
                b[k], fb[k] = c[n_], fc[n_]
                if side[k] == 1:
                    fa[k] *= 0.5
                side[k] = 1
        done = np.abs(b[live] - a[live]) <= xtol * (1.0 + np.abs(c))
        done |= np.abs(fc) < 1e-15
        root[live[done]] = c[done]
        live = live[~done]
    return root


def threshold_gap(
    model: Model,
    first: Mapping[str, float],
    second: Mapping[str, float],
    param: str,
    values: Mapping[str, float],
    *,
    bracket: tuple[float, float] = (0.0, 0.999),
) -> Observation:
    """The value of `param` where `first` changes stability minus where `second` does, both
    located by simulation: each is the root in `param` of the largest finite-time rate of
    return of perturbed starts (:func:`returns`), found by regula falsi (Illinois) in
    `bracket`. For the entrenchment model, ``threshold_gap(m, {"x": 1}, {"x": 0}, "theta")``
    is the width of the hysteresis loop (undo minus prevent), without a Jacobian.

    Parameters
    ----------
    model : Model
    first, second : mapping of state name to value
        Equilibria (at every value of `param` in the bracket).
    param : str
    values : mapping of str to float
    bracket : (float, float)

    Returns
    -------
    Observation
        NaN when a rate does not change sign in the bracket (no threshold there).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import threshold_gap
    >>> seen = threshold_gap(entrenchment(), {"x": 1.0}, {"x": 0.0}, "theta",
    ...                      {"alpha": 1, "b": 0.2, "gamma": 1, "c": 1})
    >>> round(seen.value, 6)  # 6/11 - 1/6
    0.378788
    """
    (got,) = _threshold_gap_many(model, first, second, param, [values], bracket=bracket)
    if isinstance(got, BaseException):
        raise got
    return got


def _threshold_gap_many(
    model: Model,
    first: Mapping[str, float],
    second: Mapping[str, float],
    param: str,
    points: list[Mapping[str, float]],
    *,
    bracket: tuple[float, float] = (0.0, 0.999),
) -> list[Any]:
    prow = _param_rows(model, points)
    out: list[Any] = list(prow)
    good = [k for k, p in enumerate(prow) if not isinstance(p, BaseException)]
    if not good:
        return out
    rows = [prow[k] for k in good]
    one = _thresholds(model, first, param, rows, bracket)
    two = _thresholds(model, second, param, rows, bracket)
    for g, k in enumerate(good):
        out[k] = Observation(
            float(one[g] - two[g]),
            f"simulation: {dict(first)} changes stability at {param} = {one[g]:.10g}, "
            f"{dict(second)} at {param} = {two[g]:.10g} (roots of the simulated rates of return)",
        )
    return out


def falls_below(
    model: Model,
    start: Mapping[str, float],
    values: Mapping[str, float],
    *,
    state: str,
    level: float,
    window: float = 200.0,
    horizon: float = 40_000.0,
    settle: float = 1e-10,
) -> Observation:
    """Simulate from `start`; whether `state` ends below `level`.

    The flow is followed on a grid of `window` time units until `state` is below `level`
    (True), or it moved less than `settle` over one window (settled: True exactly when below),
    or `horizon` is reached. Its batched form simulates all points of a claim as one ensemble
    (BDF with the block-diagonal Jacobian of the ensemble: members that return fast to an
    attracting end are stiff over a long horizon and would hold an explicit method to tiny
    steps).

    Parameters
    ----------
    model : Model
        A flow.
    start : mapping of state name to value
    values : mapping of str to float
    state : str
    level : float
    window, horizon, settle : float

    Returns
    -------
    Observation

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import falls_below
    >>> falls_below(entrenchment(), {"x": 0.999}, {"theta": 0.9}, state="x", level=0.5).value
    True
    >>> falls_below(entrenchment(), {"x": 0.999}, {"theta": 0.1}, state="x", level=0.5).value
    False
    """
    (got,) = _falls_below_many(
        model,
        start,
        [values],
        state=state,
        level=level,
        window=window,
        horizon=horizon,
        settle=settle,
    )
    if isinstance(got, BaseException):
        raise got
    return got


def _falls_below_many(
    model: Model,
    start: Mapping[str, float],
    points: list[Mapping[str, float]],
    *,
    state: str,
    level: float,
    window: float = 200.0,
    horizon: float = 40_000.0,
    settle: float = 1e-10,
) -> list[Any]:
    from incentive_geometry.errors import ConvergenceError
    from incentive_geometry.solvers.numeric.simulate import simulate

    prow = _param_rows(model, points)
    out: list[Any] = list(prow)
    good = [k for k, p in enumerate(prow) if not isinstance(p, BaseException)]
    if not good:
        return out
    i = model.state_names.index(state)
    x0 = np.array([float(start[s]) for s in model.state_names])
    X = np.tile(x0, (len(good), 1))
    P = np.array([prow[k] for k in good], dtype=float).reshape(len(good), -1)
    final = np.full(len(good), np.nan)
    stop = np.full(len(good), np.nan)
    live = np.arange(len(good))
    t, windows, total = 0.0, 5, round(horizon / window)
    done_windows = 0
    while live.size and done_windows < total:
        k = int(min(windows, total - done_windows))
        tr = simulate(
            model,
            x0=X[live],
            t=(0.0, k * window),
            n_points=k + 1,
            method="BDF",
            params={q: P[live, j] for j, q in enumerate(model.parameter_names)},
            raise_on_failure=False,
        )
        if tr.status < 0:
            for row in live:
                out[good[int(row)]] = ConvergenceError(
                    f"falls_below: the simulation failed: {tr.message}"
                )
            return out
        Z = tr.x.reshape(len(live), k + 1, -1)[:, :, i]
        moved = np.abs(np.diff(Z, axis=1)) < settle
        below = Z[:, 1:] < level
        hit = moved | below
        any_hit = hit.any(axis=1)
        first = np.argmax(hit, axis=1)
        rows = np.arange(len(live))
        final[live[any_hit]] = Z[rows, first + 1][any_hit]
        stop[live[any_hit]] = t + (first[any_hit] + 1) * window
        rest = ~any_hit
        final[live[rest]] = Z[rest, -1]
        stop[live[rest]] = t + k * window
        X[live[rest]] = tr.x.reshape(len(live), k + 1, -1)[rest, -1]
        live = live[rest]
        t += k * window
        done_windows += k
        windows *= 4
    for g, member in enumerate(good):
        out[member] = Observation(
            bool(final[g] < level),
            f"{state}(0) = {x0[i]:.6g} -> {state}({stop[g]:g}) = {final[g]:.4g}",
        )
    return out


#: Batched form of each observation function: ``batch(*args, points, **kwargs)`` returns, per
#: point, what ``fn(*args, point, **kwargs)`` would (an Observation) or the exception it would
#: raise. :func:`incentive_geometry.check` uses it for all points of a claim at once.
BATCHED: dict[Callable[..., Any], Callable[..., list[Any]]] = {
    count_stable: _count_stable_many,
    only_stable_is: _only_stable_is_many,
    interior_unstable: _interior_unstable_many,
    attracts: _attracts_many,
    attractors_by_simulation: _attractors_many,
    returns: _returns_many,
    threshold_gap: _threshold_gap_many,
    falls_below: _falls_below_many,
}


def batch_for(observe: Callable[..., Any]) -> Callable[[list[dict[str, float]]], list[Any]] | None:
    """The batched form of an observation, or None: `observe` is a :func:`functools.partial`
    of a function with an entry in :data:`BATCHED` (or a ``batch`` attribute of the same
    signature), whose last positional argument is the point.

    Examples
    --------
    >>> import functools
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import batch_for, count_stable
    >>> many = batch_for(functools.partial(count_stable, entrenchment()))
    >>> [o.value for o in many([{"theta": 0.3}, {"theta": 0.9}])]
    [True, False]
    >>> batch_for(len) is None
    True
    """
    if not isinstance(observe, functools.partial):
        return None
    fn = observe.func
    batch = BATCHED.get(fn) or getattr(fn, "batch", None)
    if batch is None:
        return None
    args, keywords = observe.args, dict(observe.keywords)

    def run(points: list[dict[str, float]]) -> list[Any]:
        return list(batch(*args, points, **keywords))

    return run
