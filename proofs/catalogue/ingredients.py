"""C3 ingredients: is each of the four ingredients necessary for entrenchment, or an amplifier?

For each ingredient two claims are checked on the mixed-proxy, signed-gains model
(:func:`~incentive_geometry.theory.capture.entrenchment_capture`), where each ingredient is
removed by one value of one parameter (``rho = 1``: the proxy is the true reward; ``theta = 1``;
``alpha = 1``: the unbiased learning rule; ``gamma = 0``). Each claim states the outcome
(entrenchment: x = 1 attracts; bistability: both ends attract) as a threshold in the
ingredient's strength, over a box that contains the value removing it, so the prediction takes
both values and a wrong threshold is refuted. Whether the ingredient is *necessary* is where
that threshold lies at the off value, decided exactly by an SMT certificate in the derivation
(:func:`necessity_derivation`).

Examples
--------
>>> from incentive_geometry.proofs.catalogue.ingredients import entries
>>> len(entries())
9
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from incentive_geometry.errors import ConvergenceError
from incentive_geometry.model import Model
from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation, Step
from incentive_geometry.proofs.observe import attracts
from incentive_geometry.theory import INGREDIENTS
from incentive_geometry.theory.capture import entrenchment_capture

from .entrenchment import BOTH_ATTRACT, DOMAIN, PAPER, Pattern, return_pattern

__all__ = [
    "P0",
    "P1",
    "THRESHOLDS",
    "ablation_entries",
    "amplifier_entries",
    "entrenchment_threshold",
    "entries",
    "escape_rate",
    "necessity_derivation",
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

    The amplifier claims (:func:`amplifier_entries`) are costly, so they are built only with
    ``extended=True``.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.ingredients import ablation_entries
    >>> [e.claim.name for e in ablation_entries(extended=True)][:2]
    ['C3.local_proxies.proxy_equals_truth', 'C3.asymmetric_reinforcement.amplifier']
    """
    m = entrenchment_capture("linear", mixed_proxy=True, signed_gains=True)
    family = "C3 ingredients"
    box = {**DOMAIN, "rho": (0.0, 1.0)}
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
    if extended:
        out.extend(amplifier_entries())
    return out


def amplifier_entries() -> list[Entry]:
    """C3's "only an amplifier" claims: raising an ingredient's strength raises the observability
    needed to undo entrenchment wherever entrenchment is possible after the change.

    Each locates two thresholds by simulation at every point it observes (about 10 s per claim
    at 8 samples on a loaded 2-core machine), more than the default ``incgeo verify`` can spend
    within its 3-minute budget: ``incgeo verify --extended`` (or ``catalogue(extended=True)``)
    checks them.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.ingredients import amplifier_entries
    >>> [e.claim.name for e in amplifier_entries()]  # doctest: +NORMALIZE_WHITESPACE
    ['C3.asymmetric_reinforcement.amplifier', 'C3.recursive_feedback.amplifier',
     'C3.local_proxies.amplifier']
    """
    m = entrenchment_capture("linear", mixed_proxy=True, signed_gains=True)
    family = "C3 ingredients"
    no_theta = {k: v for k, v in {**DOMAIN, "rho": (0.0, 1.0)}.items() if k != "theta"}
    out: list[Entry] = []
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


#: x = 1 attracts (whatever x = 0 does).
ENTRENCHED_ONLY: Pattern = (((("x", 1.0),), True),)

#: M's proxy advantage at no influence in the mixed-proxy model.
P0 = "(1 - rho)*b - rho*c"
#: theta c / (alpha (1 - theta)): the proxy advantage the observed cost outweighs.
_K = "theta*c/(alpha*(1 - theta))"

#: Per ingredient: its strength parameter, the value that removes it, the box of that
#: parameter (containing the off value), and the outcome conditions as thresholds in it
#: (entrenchment: x = 1 attracts; bistability: x = 0 and x = 1 both attract), with whether
#: the ingredient is necessary for each (the prediction is false at the off value on the whole
#: box). In the signed-gains model G(0) = (1 - theta)(P0 + (alpha - 1) max(P0, 0)) - theta c,
#: so x = 0 attracts iff alpha (1 - theta) P0 < theta c and x = 1 iff alpha (1 - theta) P1 >
#: theta c; each row solves these for the ingredient's strength.
THRESHOLDS: dict[str, dict[str, Any]] = {
    "local_proxies": {
        "param": "rho",
        "off": 1.0,
        "box": (0.0, 1.0),
        "words": "the weight rho of the true reward in the proxy (rho = 1: the proxy is the truth)",
        "entrenchment": f"rho < (b + gamma - {_K})/(b + gamma + c)",
        "bistability": f"rho > (b - {_K})/(b + c) and rho < (b + gamma - {_K})/(b + gamma + c)",
        "necessary": (True, True),
    },
    "partial_observability": {
        "param": "theta",
        "off": 1.0,
        "box": (0.0, 1.0),
        "words": "the observability theta (theta = 1: true outcomes always observed)",
        "entrenchment": f"{P1} > 0 and theta < alpha*({P1})/(alpha*({P1}) + c)",
        "bistability": f"({P0} <= 0 or theta > alpha*({P0})/(alpha*({P0}) + c)) and {P1} > 0 "
        f"and theta < alpha*({P1})/(alpha*({P1}) + c)",
        "necessary": (True, True),
    },
    "asymmetric_reinforcement": {
        "param": "alpha",
        "off": 1.0,
        "box": (0.2, 3.0),
        "words": "the gain alpha on positive errors (alpha = 1: the unbiased rule)",
        "entrenchment": f"{P1} > 0 and alpha > theta*c/((1 - theta)*({P1}))",
        "bistability": f"({P0} <= 0 or alpha < theta*c/((1 - theta)*({P0}))) and {P1} > 0 "
        f"and alpha > theta*c/((1 - theta)*({P1}))",
        "necessary": (False, False),
    },
    "recursive_feedback": {
        "param": "gamma",
        "off": 0.0,
        "box": (0.0, 2.0),
        "words": "the feedback gamma (gamma = 0: influence does not raise proxy capture)",
        "entrenchment": f"gamma > ({_K} - ({P0}))/(1 - rho)",
        "bistability": f"alpha*(1 - theta)*({P0}) < theta*c and gamma > ({_K} - ({P0}))/(1 - rho)",
        "necessary": (False, True),
    },
}


def necessity_derivation(
    model: Model, prediction: str, param: str, off: float, necessary: bool
) -> list[Step]:
    """The step "with the ingredient off the outcome is impossible" (or possible), decided
    exactly: the prediction with `param` at `off` against ``False``, by an SMT certificate over
    the model's parameter domains.

    The step is verified when the certificate says what the claim says: ``proved`` (the
    prediction is false everywhere at the off value) for a necessary ingredient, ``disproved``
    with its witness substituted back for an amplifier.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.ingredients import necessity_derivation
    >>> (step,) = necessity_derivation(entrenchment(), "theta < alpha*(b + gamma)/(alpha*(b + gamma) + c)", "theta", 1.0, True)
    >>> step.verified, step.certificate
    (True, 'proved')
    """
    import sympy

    from incentive_geometry.language import parse_condition

    from .. import derive

    parsed = parse_condition(prediction, model.symbols, where="prediction")
    cond = parsed.subs(model.symbol(param), sympy.Rational(str(off)))
    cert = derive.certify(model, cond, sympy.false)
    ok = cert.proved if necessary else (cert.status == "disproved" and cert.witness_checked)
    said = "never holds" if necessary else "still holds somewhere"
    return [
        Step(
            f"with {param} = {off:g} (the ingredient off) the outcome {said}",
            f"{cond} vs False: {cert.summary()}; {cert.detail}",
            bool(ok),
            cert.summary(),
        )
    ]


def entries() -> list[Entry]:
    """The C3 claims: per ingredient, the outcome (entrenchment, bistability) as a threshold in
    the ingredient's strength over a box that contains the value removing it, then
    :func:`ablation_entries`.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.ingredients import entries
    >>> entries()[0].claim.name
    'C3.local_proxies.needed_for_entrenchment'
    """
    m = entrenchment_capture("linear", mixed_proxy=True, signed_gains=True)
    out = []
    for name in INGREDIENTS:
        row = THRESHOLDS[name]
        param, off = row["param"], float(row["off"])
        box = {**DOMAIN, "rho": (0.0, 0.9), param: row["box"]}
        words = name.replace("_", " ")
        for outcome, pattern, necessary in (
            ("entrenchment", ENTRENCHED_ONLY, row["necessary"][0]),
            ("bistability", BOTH_ATTRACT, row["necessary"][1]),
        ):
            what = "x = 1 attracts" if outcome == "entrenchment" else "x = 0 and x = 1 both attract"
            verdict = (
                f"never at {param} = {off:g}: {words} is necessary for {outcome}"
                if necessary
                else f"also at {param} = {off:g} somewhere in the box: {words} is only an amplifier of {outcome}"
            )
            out.append(
                Entry(
                    "C3 ingredients",
                    Claim(
                        name=f"C3.{name}.needed_for_{outcome}",
                        statement=f"In the mixed-proxy, signed-gains model, {what} exactly when "
                        f"{row['words']} is past the threshold of the prediction; so {verdict}.",
                        model=m,
                        prediction=row[outcome],
                        domain=box,
                        observe=functools.partial(return_pattern, m, pattern),
                        observer="simulation of perturbed starts (rates of return)",
                        derivation=functools.partial(
                            necessity_derivation, m, row[outcome], param, off, necessary
                        ),
                        references=(PAPER,),
                    ),
                    weight=0.25,
                    reading="confirmed: the threshold in the ingredient's strength is right; "
                    "whether the ingredient is necessary is where that threshold lies at the "
                    "value removing it (the derivation's certificate decides it exactly)",
                )
            )
    return [*out, *ablation_entries()]
