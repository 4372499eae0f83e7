"""C3 ingredients: is each of the four ingredients necessary for entrenchment, or an amplifier?

For each ingredient two claims are checked on the canonical model with that ingredient switched
off (:func:`incentive_geometry.theory.ablate`): "without it the entrenched state is never stable"
and "without it there is never bistability". A confirmed claim means the ingredient is
necessary for that outcome; a refuted one (with a counterexample) means it is only an amplifier.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.ingredients import entries
>>> len(entries())
9
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from incentive_geometry.errors import ConvergenceError
from incentive_geometry.model import Model
from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation
from incentive_geometry.proofs.derive import stability_derivation, window_derivation
from incentive_geometry.proofs.observe import attracts, count_stable, stable_at
from incentive_geometry.theory import INGREDIENTS, ablate, entrenchment, ingredients
from incentive_geometry.theory.capture import entrenchment_capture

from .entrenchment import DOMAIN, PAPER

__all__ = [
    "P1",
    "ablation_entries",
    "entrenchment_threshold",
    "entries",
    "escape_rate",
    "threshold_rises",
]

#: M's proxy advantage at full influence in the mixed-proxy model (weight rho on the truth).
P1 = "(1 - rho)*(b + gamma) - rho*c"


def escape_rate(
    model: Model, values: Mapping[str, float], *, radius: float = 1e-6, horizon: float = 20.0
) -> float:
    """Finite-time rate ``log(d(T) / d(0)) / T`` at which a start at distance `radius` below
    ``x = 1`` moves away from it (negative: it returns), by simulation (explicit Runge-Kutta
    4(5), no derivative of the right-hand side).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.ingredients import escape_rate
    >>> round(escape_rate(entrenchment(), {"theta": 0.3}), 3)  # G(1) = 0.54: returns at rate 0.54
    -0.54
    """
    import math

    import numpy as np
    from scipy.integrate import solve_ivp

    from incentive_geometry.solvers.numeric.compile import compile_model

    cm = compile_model(model)
    defaults = {p.name: float(p.default) for p in model.parameters if p.default is not None}
    p = cm.param_vector(
        defaults | {k: float(v) for k, v in values.items() if k in model.parameter_names}
    )

    # Integrate the distance d = 1 - x itself (d' = -f(1 - d)), so that its relative accuracy
    # does not degrade as it shrinks; stop once it has changed by e^{+-4}.
    def deviation(_t: float, d: np.ndarray) -> np.ndarray:
        return -np.asarray(cm.rhs(1.0 - d, p), dtype=float)

    def moved(_t: float, d: np.ndarray) -> float:
        return abs(math.log(max(float(d[0]), 1e-300) / radius)) - 4.0

    moved.terminal = True  # type: ignore[attr-defined]
    sol = solve_ivp(
        deviation, (0.0, horizon), [radius], method="RK45", rtol=1e-8, atol=1e-300, events=moved
    )
    if sol.status < 0:
        raise ConvergenceError(f"escape_rate: the integration failed: {sol.message}")
    d = max(float(sol.y[0, -1]), 1e-300)
    return math.log(d / radius) / float(sol.t[-1])


def entrenchment_threshold(model: Model, values: Mapping[str, float]) -> float:
    """The observability past which ``x = 1`` no longer attracts nearby starts, by simulation.

    The root in ``theta`` of :func:`escape_rate` (Brent's method on ``[0, 0.999]``); 0 when a
    start near ``x = 1`` escapes even at ``theta = 0``, 0.999 when it still returns there.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.ingredients import entrenchment_threshold
    >>> round(entrenchment_threshold(entrenchment(), {}), 5)  # theta* = 6/11, to O(radius)
    0.54545
    """
    from scipy.optimize import brentq

    def rate(theta: float) -> float:
        return escape_rate(model, {**values, "theta": theta})

    lo, hi = 0.0, 0.999
    r_lo, r_hi = rate(lo), rate(hi)
    if r_lo >= 0:
        return 0.0
    if r_hi < 0:
        return hi
    return float(brentq(rate, lo, hi, xtol=1e-7))


def threshold_rises(
    model: Model, param: str, factor: float, values: Mapping[str, float]
) -> Observation:
    """Whether the entrenchment threshold rises when `param` is multiplied by `factor`
    (an ingredient made stronger), both thresholds located by simulation.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.ingredients import threshold_rises
    >>> threshold_rises(entrenchment(), "alpha", 1.5, {"alpha": 1.0}).value
    True
    """
    before = entrenchment_threshold(model, values)
    after = entrenchment_threshold(model, {**values, param: float(values[param]) * factor})
    return Observation(
        after > before + 1e-6,
        f"simulation: theta* {before:.7f} at {param} = {float(values[param]):.4g}, "
        f"{after:.7f} at {param} x {factor:g}",
    )


def ablation_entries(*, extended: bool = False) -> list[Entry]:
    """The C3 claims whose ablations remove the ingredient (not only a parameter), and the
    "only an amplifier" claims as monotonicity of the threshold in the ingredient's strength.

    The model is :func:`~incentive_geometry.theory.capture.entrenchment_capture` with a mixed
    proxy (weight ``rho`` on the true reward: ``rho = 1`` means the proxy equals the truth) and
    reinforcement by the sign of the error (gain ``alpha`` on positive errors, 1 on negative:
    ``alpha = 1`` is the unbiased rule).

    Each amplifier claim locates two thresholds by simulation at every point it observes
    (about 10 s per claim at 8 samples on a loaded 2-core machine, more than ``incgeo verify``
    can spend within its 3-minute budget), so they are built only with ``extended=True``.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.ingredients import ablation_entries
    >>> [e.claim.name for e in ablation_entries(extended=True)][:2]
    ['C3.local_proxies.proxy_equals_truth', 'C3.asymmetric_reinforcement.amplifier']
    """
    m = entrenchment_capture("linear", mixed_proxy=True, signed_gains=True)
    family = "C3 ingredients"
    box = {**DOMAIN, "rho": (0.0, 1.0)}
    no_theta = {k: v for k, v in box.items() if k != "theta"}
    out = [
        Entry(
            family,
            Claim(
                name="C3.local_proxies.proxy_equals_truth",
                statement="With a proxy that mixes the true reward (weight rho) into the "
                "misspecified one and reinforcement by the sign of the error, x = 1 attracts "
                f"iff P1 = {P1} > 0 and alpha (1 - theta) P1 > theta c; at rho = 1 (the proxy "
                "equals the truth) never, whatever the feedback gamma.",
                model=m,
                prediction=f"{P1} > 0 and alpha*(1 - theta)*({P1}) > theta*c",
                domain=box,
                observe=functools.partial(attracts, m, {"x": 1.0}),
                observer="simulation of perturbed starts at x = 1",
                boundary_tol=1e-3,
                references=(PAPER,),
            ),
            weight=0.125,
            reading="observed by simulation; local proxies are necessary: without a proxy that "
            "differs from the truth the entrenched state never attracts",
        )
    ]
    # Where the threshold rises: where entrenchment is possible at the strengthened point
    # (P1 there > 0); raising gamma or lowering rho can make it possible where it was not.
    for ingredient, param, factor, words, p1 in (
        ("asymmetric_reinforcement", "alpha", 1.5, "the gain alpha on positive errors", P1),
        (
            "recursive_feedback",
            "gamma",
            1.5,
            "the feedback gamma (x 1.5)",
            "(1 - rho)*(b + 3*gamma/2) - rho*c",
        ),
        (
            "local_proxies",
            "rho",
            2 / 3,
            "the misspecification (rho x 2/3)",
            "(1 - 2*rho/3)*(b + gamma) - 2*rho*c/3",
        ),
    ):
        if not extended:
            continue
        out.append(
            Entry(
                family,
                Claim(
                    name=f"C3.{ingredient}.amplifier",
                    statement=f"Only an amplifier: raising {words} raises the observability "
                    "needed to undo entrenchment wherever entrenchment is possible after the "
                    f"change ({p1} > 0), and changes nothing where it is not.",
                    model=m,
                    prediction=f"{p1} > 0",
                    domain={**no_theta, "gamma": (0.05, 2.0), "rho": (0.3, 1.0)},
                    observe=functools.partial(threshold_rises, m, param, factor),
                    observer="simulation: both thresholds by Brent's method on escape rates",
                    boundary_tol=0.02,
                    references=(PAPER,),
                ),
                weight=0.03125,
                reading="both thresholds located by simulation (bisection on perturbed starts)",
            )
        )
    return out


_READING = (
    "confirmed: the ingredient is necessary for this outcome; refuted: it is only an amplifier "
    "(the counterexample shows the outcome without it)"
)


def entries() -> list[Entry]:
    """The C3 claims: two per ingredient on the ablated canonical model, then :func:`ablation_entries`.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.ingredients import entries
    >>> entries()[0].claim.name
    'C3.local_proxies.needed_for_entrenchment'
    """
    m = entrenchment()
    carried = ingredients(m)
    out = []
    for name in INGREDIENTS:
        off = ablate(m, name)
        what = carried[name]
        switch = ", ".join(f"{p} = {what.off:g}" for p in what.parameters)
        domain = {k: v for k, v in DOMAIN.items() if k in off.parameter_names}
        words = name.replace("_", " ")
        out.append(
            Entry(
                "C3 ingredients",
                Claim(
                    name=f"C3.{name}.needed_for_entrenchment",
                    statement=f"Without {words} ({switch}) the entrenched state x = 1 is never stable.",
                    model=off,
                    prediction="0 == 1",
                    domain=domain,
                    observe=functools.partial(stable_at, off, {"x": 1.0}),
                    derivation=functools.partial(stability_derivation, off, {"x": 1}, "0 == 1"),
                    references=(PAPER,),
                ),
                weight=0.5,
                reading=_READING,
            )
        )
        out.append(
            Entry(
                "C3 ingredients",
                Claim(
                    name=f"C3.{name}.needed_for_bistability",
                    statement=f"Without {words} ({switch}) aligned and entrenched states are never both stable.",
                    model=off,
                    prediction="0 == 1",
                    domain=domain,
                    observe=functools.partial(count_stable, off),
                    derivation=functools.partial(
                        window_derivation, off, [{"x": 0}, {"x": 1}], "0 == 1"
                    ),
                    references=(PAPER,),
                ),
                weight=0.5,
                reading=_READING,
            )
        )
    return [*out, *ablation_entries()]
