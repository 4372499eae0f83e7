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

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from incentive_geometry.model import Model

from .claims import Observation

__all__ = [
    "OBSERVER_FAMILY",
    "attractors_by_simulation",
    "attracts",
    "count_stable",
    "equilibria_at",
    "interior_unstable",
    "observer_family",
    "only_stable_is",
    "oscillates",
    "stable_at",
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
    found = equilibria_at(model, values)
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
    found = equilibria_at(model, values)
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
    found = equilibria_at(model, values)
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
