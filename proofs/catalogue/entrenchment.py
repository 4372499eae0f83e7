"""C1 entrenchment: proxy-capturing routines gain influence and, with recursive feedback, the
entrenched state becomes stable; bistability exactly in the window of DESIGN.md.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.entrenchment import entries
>>> [e.claim.name for e in entries()][:2]
['C1.aligned_stable', 'C1.entrenched_stable']
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from incentive_geometry.model import Model
from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation
from incentive_geometry.proofs.derive import (
    interior_derivation,
    stability_derivation,
    threshold_derivation,
    window_derivation,
)
from incentive_geometry.proofs.observe import (
    attractors_by_simulation,
    batch_for,
    count_stable,
    interior_unstable,
    returns,
)
from incentive_geometry.theory import entrenchment
from incentive_geometry.theory.capture import entrenchment_capture

__all__ = [
    "CAPTURE_TEXT",
    "DOMAIN",
    "capture_entries",
    "ends_entrenched",
    "entrenchment_with_feedback",
    "entries",
    "return_pattern",
    "transcritical_theta",
]

PAPER = "D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint, 2025"

#: The parameter box of the paper's claims (theta kept off 1, where 1 - theta vanishes).
DOMAIN: dict[str, tuple[float, float]] = {
    "alpha": (0.2, 3.0),
    "theta": (0.0, 0.98),
    "b": (0.0, 1.0),
    "gamma": (0.0, 2.0),
    "c": (0.1, 2.0),
}

ALIGNED = "alpha*(1 - theta)*b < theta*c"
ENTRENCHED = "alpha*(1 - theta)*(b + gamma) > theta*c"
WINDOW = f"{ALIGNED} and {ENTRENCHED}"
THETA_STAR = "alpha*(b + gamma)/(alpha*(b + gamma) + c)"
#: The feedback past which both ends attract, where the aligned state is stable (C1.no_feedback).
GAMMA_CRIT = "theta*c/(alpha*(1 - theta)) - b"
#: The window with its edges, where x* touches 0 or 1 ("x* in [0, 1]").
CLOSED_WINDOW = "alpha*(1 - theta)*b <= theta*c and theta*c <= alpha*(1 - theta)*(b + gamma)"

#: The capture functions g(x0) of :mod:`incentive_geometry.theory.capture`, as claim text.
CAPTURE_TEXT: dict[str, str] = {
    "linear": "x0",
    "saturating": "(1 - exp(-k*x0))/(1 - exp(-k))",
    "convex": "x0**k",
    "sigmoidal": "(1/(1 + exp(-k*(x0 - 1/2))) - 1/(1 + exp(k/2)))"
    "/(1/(1 + exp(-k/2)) - 1/(1 + exp(k/2)))",
}

#: The shape parameter's box per family (convex needs k >= 1 to be convex).
SHAPE: dict[str, tuple[float, float]] = {
    "saturating": (0.5, 6.0),
    "convex": (1.0, 6.0),
    "sigmoidal": (0.5, 12.0),
}


def ends_entrenched(
    model: Model, values: Mapping[str, float], *, near: float = 1e-2, horizon: float = 1e4
) -> Observation:
    """Simulate from ``x0``; whether the flow ends entrenched (x -> 1) rather than aligned.

    The flow is integrated (explicit Runge-Kutta 4(5)) until ``x`` comes within `near` of 1
    (True) or of 0 (False); neither within `horizon` raises (a start on, or very near, the
    separatrix: the observation cannot be made there).

    Examples
    --------
    >>> from incentive_geometry.theory.capture import entrenchment_capture
    >>> from incentive_geometry.proofs.catalogue.entrenchment import ends_entrenched
    >>> m = entrenchment_capture("convex")
    >>> ends_entrenched(m, {"x0": 0.9, "theta": 0.3}).value, ends_entrenched(m, {"x0": 0.5, "theta": 0.3}).value
    (True, False)
    """
    import numpy as np
    from scipy.integrate import solve_ivp

    from incentive_geometry.errors import ConvergenceError
    from incentive_geometry.solvers.numeric.compile import compile_model

    cm = compile_model(model)
    defaults = {p.name: float(p.default) for p in model.parameters if p.default is not None}
    p = cm.param_vector(
        defaults | {k: float(v) for k, v in values.items() if k in model.parameter_names}
    )
    x0 = float(values["x0"])

    def top(_t: float, x: np.ndarray) -> float:
        return float(x[0]) - (1.0 - near)

    def bottom(_t: float, x: np.ndarray) -> float:
        return float(x[0]) - near

    top.terminal = True  # type: ignore[attr-defined]
    bottom.terminal = True  # type: ignore[attr-defined]
    sol = solve_ivp(
        lambda _t, x: np.asarray(cm.rhs(x, p), dtype=float),
        (0.0, horizon),
        [x0],
        method="RK45",
        rtol=1e-7,
        atol=1e-10,
        events=(top, bottom),
    )
    if len(sol.t_events[0]):
        return Observation(
            True,
            f"simulation: x0 = {x0:.6g} reached x = {1 - near:g} at t = {sol.t_events[0][0]:.4g}",
        )
    if len(sol.t_events[1]):
        return Observation(
            False, f"simulation: x0 = {x0:.6g} reached x = {near:g} at t = {sol.t_events[1][0]:.4g}"
        )
    raise ConvergenceError(
        f"ends_entrenched: from x0 = {x0:.6g} the flow reached neither x = {near:g} nor "
        f"x = {1 - near:g} by t = {horizon:g} (x = {float(sol.y[0, -1]):.6g}); a start near the "
        "separatrix: the observation cannot be made at this point"
    )


Pattern = tuple[tuple[tuple[tuple[str, float], ...], bool], ...]


def _pattern_text(pattern: Pattern) -> str:
    return ", ".join(f"{dict(t)} {'returns' if want else 'repels'}" for t, want in pattern)


def return_pattern(model: Model, pattern: Pattern, values: Mapping[str, float]) -> Observation:
    """Whether each equilibrium of `pattern` attracts (True) or repels (False) as listed, by
    simulated rates of return of perturbed starts (:func:`~incentive_geometry.proofs.observe.returns`).

    Parameters
    ----------
    model : Model
        A flow.
    pattern : tuple of ((state, value) pairs, bool)
        Each equilibrium (as a tuple of ``(state, value)`` pairs, hashable and picklable) with
        whether it should attract.
    values : mapping of str to float
        Parameter values.

    Returns
    -------
    Observation
        True when every equilibrium behaves as listed.

    Raises
    ------
    ConvergenceError
        When one of them cannot be observed (not an equilibrium, or neutral to the precision of
        the simulation).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.entrenchment import return_pattern
    >>> both = (((("x", 0.0),), True), ((("x", 1.0),), True))
    >>> return_pattern(entrenchment(), both, {"theta": 0.3}).value  # inside the window
    True
    >>> return_pattern(entrenchment(), both, {"theta": 0.9}).value  # x = 1 repels
    False
    """
    (got,) = _return_pattern_many(model, pattern, [values])
    if isinstance(got, BaseException):
        raise got
    return got


def _return_pattern_many(
    model: Model, pattern: Pattern, points: list[Mapping[str, float]]
) -> list[Observation | BaseException]:
    """All points at once: one batched :func:`returns` ensemble per equilibrium."""
    seen = []
    for target, _ in pattern:
        batch = batch_for(functools.partial(returns, model, dict(target)))
        assert batch is not None  # returns has a batched form
        seen.append(batch([dict(p) for p in points]))
    out: list[Observation | BaseException] = []
    for k in range(len(points)):
        row = [s[k] for s in seen]
        failed = [r for r in row if isinstance(r, BaseException)]
        if failed:
            out.append(failed[0])
            continue
        ok = all(bool(r.value) == want for r, (_, want) in zip(row, pattern, strict=True))
        evidence = "; ".join(r.evidence for r in row)
        out.append(Observation(ok, f"{_pattern_text(pattern)}: {ok} ({evidence})"))
    return out


return_pattern.batch = _return_pattern_many  # type: ignore[attr-defined]

#: Both ends attract (bistability), and only the aligned end attracts.
BOTH_ATTRACT: Pattern = (((("x", 0.0),), True), ((("x", 1.0),), True))
ONLY_ALIGNED: Pattern = (((("x", 0.0),), True), ((("x", 1.0),), False))


def capture_entries() -> list[Entry]:
    """The C1 claims for nonlinear capture functions (saturating, convex, sigmoidal), each
    observed by simulation.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.entrenchment import capture_entries
    >>> [e.claim.name for e in capture_entries()][:2]
    ['C1.capture_saturating.bistability_window', 'C1.capture_convex.bistability_window']
    """
    family = "C1 entrenchment"
    out: list[Entry] = []
    for shape in ("saturating", "convex", "sigmoidal"):
        m = entrenchment_capture(shape)
        out.append(
            Entry(
                family,
                Claim(
                    name=f"C1.capture_{shape}.bistability_window",
                    statement=f"With a {shape} capture function g (increasing, g(0) = 0, g(1) = 1) "
                    "both x = 0 and x = 1 attract nearby starts exactly in the window "
                    "alpha (1 - theta) b < theta c < alpha (1 - theta) (b + gamma), whatever the "
                    "shape k.",
                    model=m,
                    prediction=WINDOW,
                    domain={**DOMAIN, "k": SHAPE[shape]},
                    observe=functools.partial(
                        attractors_by_simulation, m, ({"x": 0.0}, {"x": 1.0})
                    ),
                    observer="simulation of perturbed starts at x = 0 and x = 1",
                    boundary_tol=1e-3,
                    references=(PAPER,),
                ),
                weight=0.0625,
                reading="observed by simulating perturbed starts at both ends (no Jacobian)",
            )
        )
    for shape in ("sigmoidal",):
        m = entrenchment_capture(shape)
        g = CAPTURE_TEXT[shape]
        out.append(
            Entry(
                family,
                Claim(
                    name=f"C1.capture_{shape}.basin",
                    statement=f"With a {shape} capture function g, a start x0 entrenches (x -> 1) "
                    "iff M's net advantage there is positive: "
                    "alpha (1 - theta) (b + gamma g(x0)) > theta c.",
                    model=m,
                    prediction=f"alpha*(1 - theta)*(b + gamma*{g}) > theta*c",
                    domain={**DOMAIN, "k": SHAPE[shape], "x0": (0.01, 0.99)},
                    observe=functools.partial(ends_entrenched, m),
                    observer="simulation from x0 to within 0.01 of an end",
                    boundary_tol=1e-3,
                    references=(PAPER,),
                ),
                weight=0.0625,
                reading="observed by simulating from x0 (no formula, no Jacobian)",
            )
        )
    return out


def entrenchment_with_feedback() -> Model:
    """The canonical model with recursive feedback declared strictly positive (``gamma > 0``).

    At ``gamma = 0`` the interior point ``x* = (theta c / (alpha (1 - theta)) - b) / gamma`` is
    ``0/0`` on the line ``alpha (1 - theta) b = theta c``, and the symbolic engine's existence
    condition (``x*`` in ``[0, 1]``, which does not require ``gamma != 0``) holds there; the
    claim about ``x*`` is a claim about models with feedback.

    Returns
    -------
    Model
        Same equations and defaults as :func:`incentive_geometry.theory.entrenchment`; the
        symbol ``gamma`` is positive.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.entrenchment import entrenchment_with_feedback
    >>> m = entrenchment_with_feedback()
    >>> m.parameter("gamma").domain.kind, m.parameter("b").domain.kind
    ('positive', 'nonnegative')
    """
    base = entrenchment()
    params = {
        p.name: {
            "default": float(p.default if p.default is not None else 0.0),  # all have one
            "domain": "positive"
            if p.name == "gamma"
            else ([0, 1] if p.domain.kind == "interval" else p.domain.kind),
        }
        for p in base.parameters
    }
    return Model.from_equations(
        {"x": "x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x) - theta*c)"},
        parameters=params,
        states={"x": {"domain": [0, 1], "meaning": "influence share of M"}},
        name="entrenchment_with_feedback",
        references=base.references,
    )


def transcritical_theta(model: Model, values: Mapping[str, float]) -> Observation:
    """Where the entrenched branch x = 1 loses stability: continuation in theta from theta = 0.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.entrenchment import transcritical_theta
    >>> round(transcritical_theta(entrenchment(), {"alpha": 1, "b": 0.2, "gamma": 1, "c": 1}).value, 8)
    0.54545455
    """
    from incentive_geometry.solvers.numeric.continuation import continuation

    others = {k: float(v) for k, v in values.items() if k in model.parameter_names and k != "theta"}
    branch = continuation(
        model,
        "theta",
        x0={"x": 1.0},
        params={**others, "theta": 0.0},
        p_range=(0.0, 0.999),
        direction="forward",
    )
    points = [b for b in branch.bifurcations if b.kind in ("transcritical", "branch")]
    if not points:
        return Observation(
            float("nan"), f"no branch point on x = 1 for theta in [0, 0.999] ({branch.message})"
        )
    first = min(points, key=lambda b: b.p)
    return Observation(
        float(first.p), f"{first.kind} at theta = {first.p:.10g} (x = {float(first.x[0]):.3g})"
    )


def entries() -> list[Entry]:
    """The C1 claims.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.entrenchment import entries
    >>> len(entries())
    11
    """
    m = entrenchment()
    family = "C1 entrenchment"
    capture = capture_entries()
    with_feedback = entrenchment_with_feedback()
    return [
        Entry(
            family,
            Claim(
                name="C1.aligned_stable",
                statement="The aligned state x = 0 is stable iff alpha (1 - theta) b < theta c.",
                model=m,
                prediction=ALIGNED,
                domain=DOMAIN,
                # Observed by simulating perturbed starts (their rate of return), not from the
                # Jacobian the prediction is derived from.
                observe=functools.partial(returns, m, {"x": 0.0}),
                observer="simulation of perturbed starts (finite-time rate of return)",
                derivation=functools.partial(stability_derivation, m, {"x": 0}, ALIGNED),
                references=(PAPER,),
            ),
        ),
        Entry(
            family,
            Claim(
                name="C1.entrenched_stable",
                statement="The entrenched state x = 1 is stable iff alpha (1 - theta) (b + gamma) > theta c.",
                model=m,
                prediction=ENTRENCHED,
                domain=DOMAIN,
                observe=functools.partial(returns, m, {"x": 1.0}),
                observer="simulation of perturbed starts (finite-time rate of return)",
                derivation=functools.partial(stability_derivation, m, {"x": 1}, ENTRENCHED),
                references=(PAPER,),
            ),
        ),
        Entry(
            family,
            Claim(
                name="C1.bistability_window",
                statement="Aligned and entrenched states are both stable (lock-in depends on history) "
                "exactly when alpha (1 - theta) b < theta c < alpha (1 - theta) (b + gamma).",
                model=m,
                prediction=WINDOW,
                domain=DOMAIN,
                observe=functools.partial(count_stable, m),
                derivation=functools.partial(window_derivation, m, [{"x": 0}, {"x": 1}], WINDOW),
                references=(PAPER,),
            ),
        ),
        Entry(
            family,
            Claim(
                name="C1.interior_unstable",
                statement="With recursive feedback (gamma > 0), the interior point "
                "x* = (theta c / (alpha (1 - theta)) - b) / gamma lies in (0, 1) exactly in the "
                "(open) window, and is then unstable.",
                model=with_feedback,
                prediction=WINDOW,
                domain={**DOMAIN, "gamma": (0.01, 2.0)},
                observe=functools.partial(interior_unstable, with_feedback),
                # The engine's existence condition is "x* in [0, 1]" (closed): it is compared
                # with the closed window; the observation (an unstable point strictly inside)
                # is compared with the open one.
                derivation=functools.partial(interior_derivation, with_feedback, CLOSED_WINDOW),
                references=(PAPER,),
            ),
        ),
        Entry(
            family,
            Claim(
                name="C1.transcritical_theta_star",
                statement="Entrenchment loses stability in a transcritical point when observability "
                "exceeds theta* = alpha (b + gamma) / (alpha (b + gamma) + c).",
                model=m,
                prediction=THETA_STAR,
                kind="value",
                tolerance=1e-7,
                domain={k: v for k, v in DOMAIN.items() if k != "theta"},
                constraints=("alpha*(b + gamma) > 0.05",),
                observe=functools.partial(transcritical_theta, m),
                derivation=functools.partial(
                    threshold_derivation, m, {"x": 1}, "theta", THETA_STAR
                ),
                references=(PAPER,),
            ),
            weight=0.25,
        ),
        Entry(
            family,
            Claim(
                name="C1.no_feedback_no_bistability",
                statement="Bistability needs recursive feedback: where the aligned state is stable "
                "(alpha (1 - theta) b < theta c), both ends attract exactly when the feedback "
                "exceeds gamma_c = theta c / (alpha (1 - theta)) - b, which is then positive; so "
                "with no feedback (gamma = 0) there is never bistability.",
                model=m,
                prediction=f"gamma > {GAMMA_CRIT}",
                # gamma from 0 (no feedback) to past gamma_c; the aligned state stable throughout.
                domain=DOMAIN,
                constraints=(ALIGNED,),
                observe=functools.partial(return_pattern, m, BOTH_ATTRACT),
                observer="simulation of perturbed starts at x = 0 and x = 1 (rates of return)",
                derivation=functools.partial(
                    window_derivation,
                    m,
                    [{"x": 0}, {"x": 1}],
                    f"{ALIGNED} and gamma > {GAMMA_CRIT}",
                ),
                references=(PAPER,),
            ),
            reading="confirmed: the critical feedback gamma_c is right, and it is positive "
            "wherever the aligned state is stable, so gamma = 0 never gives bistability",
        ),
        Entry(
            family,
            Claim(
                name="C1.full_observability_aligned",
                statement="Observability past theta* = alpha (b + gamma) / (alpha (b + gamma) + c) "
                "leaves the aligned state as the only stable one (x = 0 attracts, x = 1 repels), "
                "and below theta* it is not the only one; since theta* < 1, full observability "
                "(theta = 1) always leaves only the aligned state.",
                model=m,
                prediction=f"theta > {THETA_STAR}",
                # theta up to 1 (full observability) itself.
                domain={**DOMAIN, "theta": (0.0, 1.0)},
                observe=functools.partial(return_pattern, m, ONLY_ALIGNED),
                observer="simulation of perturbed starts at x = 0 and x = 1 (rates of return)",
                derivation=functools.partial(
                    threshold_derivation, m, {"x": 1}, "theta", THETA_STAR
                ),
                references=(PAPER,),
            ),
            reading="confirmed: theta* is where the aligned state becomes the only stable one; "
            "theta* < 1 for every c > 0, so theta = 1 is always past it",
        ),
        *capture,
    ]
