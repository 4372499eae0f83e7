"""C4 analogy: the economics, biology, organizational, learning and lock-in analogues share the
canonical model's structure.

"Structure" is checked numerically at the point corresponding to the canonical model's
transcritical point: following the branch of the analogue's entrenched (or contract) state in its
control parameter, the first bifurcation met is a branch point (transcritical), the analogue's
feedback structure (its signed interaction graph,
:func:`~incentive_geometry.solvers.structure.interaction_graph`, the one representation of
feedback structure in the toolkit) has a circuit that is or may be positive at that point, the
one Thomas' rule requires for lock-in, and for share models the feedback is self-reinforcing
(the per-capita advantage ``f(x) / (x (1 - x))`` rises with the share). The evidence of each
observation names the circuits and the structural comparison with the canonical model
(:func:`~incentive_geometry.solvers.analogy.analogy`: the state and parameter correspondence, or
the first difference). Each claim's domain is the analogue's regime that corresponds to
recursive feedback.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.analogy import entries
>>> sorted(e.claim.name for e in entries())[:2]
['C4.biology.replicator_coordination', 'C4.economics.holmstrom_milgrom']
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping

import numpy as np
import sympy

from incentive_geometry.model import Model
from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation, Step
from incentive_geometry.theory import (
    entrenchment,
    holmstrom_milgrom,
    managerial_entrenchment,
    polya_urn,
    replicator,
)

from .entrenchment import PAPER, return_pattern
from .ingredients import ENTRENCHED_ONLY

__all__ = [
    "canonical_analogy",
    "entries",
    "iterates_to",
    "shares_structure",
    "structure_derivation",
    "urn_share_model",
]


def _feedback_sign(model: Model, params: Mapping[str, float]) -> float | None:
    """d/dx of f(x) / (x (1 - x)) at x = 1/2 for a one-share model (None otherwise)."""
    if len(model.states) != 1:
        return None
    from incentive_geometry.solvers.numeric.compile import compile_model

    cm = compile_model(model)
    p = cm.param_vector({k: params[k] for k in model.parameter_names})
    h = 1e-4

    def g(x: float) -> float:
        return float(cm.rhs(np.array([x]), p)[0]) / (x * (1 - x))

    return (g(0.5 + h) - g(0.5 - h)) / (2 * h)


@functools.lru_cache(maxsize=16)
def canonical_analogy(model: Model) -> str:
    """The structural comparison of `model` with the canonical model, in words (cached).

    Parameters
    ----------
    model : Model

    Returns
    -------
    str
        ``analogous ...`` with the state and parameter correspondence, or ``not analogous``
        with the first difference (:func:`~incentive_geometry.solvers.analogy.analogy`).

    Examples
    --------
    >>> from incentive_geometry.theory import managerial_entrenchment
    >>> from incentive_geometry.proofs.catalogue.analogy import canonical_analogy
    >>> print(canonical_analogy(managerial_entrenchment()))  # doctest: +ELLIPSIS
    analogous to `entrenchment` (exact renaming): states x <-> x; parameters alpha <-> ...
    """
    from incentive_geometry.solvers.analogy import analogy

    a = analogy(entrenchment(), model, timeout=10.0)
    if not a.analogous:
        return f"not analogous to `entrenchment`: {a.difference}"
    states = ", ".join(f"{k} <-> {v}" for k, v in a.states.items())
    params = ", ".join(f"{k} <-> {v}" for k, v in a.parameters.items()) or "none paired one to one"
    kind = " (exact renaming)" if a.exact else ""
    return f"analogous to `entrenchment`{kind}: states {states}; parameters {params}"


def _feedback_structure(model: Model, params: Mapping[str, float]) -> tuple[bool, str]:
    """Whether a circuit of the signed interaction graph may be positive, and the circuits."""
    from incentive_geometry.solvers.structure import thomas_report

    report = thomas_report(model, dict(params))
    text = "; ".join(f"{' -> '.join(c.nodes)} ({c.sign})" for c in report.circuits) or "none"
    return bool(report.positive), f"circuits {text}"


def shares_structure(
    model: Model,
    control: str,
    p_range: tuple[float, float],
    target: Mapping[str, float] | None,
    values: Mapping[str, float],
) -> Observation:
    """Whether the branch through `target` (or the stable equilibrium at the start of
    `p_range`) meets a transcritical point in `control`, with positive feedback.

    The branch is followed from ``p_range[0]`` towards ``p_range[1]`` (either order).

    Examples
    --------
    >>> from incentive_geometry.theory import managerial_entrenchment
    >>> from incentive_geometry.proofs.catalogue.analogy import shares_structure
    >>> shares_structure(managerial_entrenchment(), "monitoring", (0.0, 0.999), {"x": 1.0}, {}).value
    True
    """
    from incentive_geometry.solvers.numeric.continuation import continuation
    from incentive_geometry.solvers.numeric.equilibria import find_equilibria

    params = {p.name: float(values.get(p.name, p.default)) for p in model.parameters}  # type: ignore[arg-type]
    start = {**params, control: p_range[0]}
    if target is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            stable = [e for e in find_equilibria(model, params=start) if e.stable]
        if not stable:
            return Observation(False, f"no stable equilibrium at {control} = {p_range[0]}")
        x0 = dict(zip(model.state_names, map(float, stable[0].x), strict=True))
    else:
        x0 = dict(target)
    lo, hi = sorted(p_range)
    # Follow the branch from the first end of `p_range` towards the second.
    direction = "forward" if p_range[1] > p_range[0] else "backward"
    branch = continuation(
        model, control, x0=x0, params=start, p_range=(lo, hi), p0=p_range[0], direction=direction
    )
    kinds = [(b.kind, float(b.p)) for b in branch.bifurcations]
    transcritical = [p for k, p in kinds if k in ("transcritical", "branch")]
    at = params | {control: transcritical[0]} if transcritical else params
    feedback = _feedback_sign(model, at)
    positive, circuits = _feedback_structure(model, at)
    ok = bool(transcritical) and positive and (feedback is None or feedback > 0)
    found = ", ".join(f"{k} at {control} = {p:.6g}" for k, p in kinds) or "no bifurcation"
    fb = "" if feedback is None else f"; feedback d/dx[f/(x(1-x))] = {feedback:.3g}"
    return Observation(
        ok,
        f"{found} on the branch from {control} = {p_range[0]:g} to {p_range[1]:g}{fb}; "
        f"signed interaction graph: {circuits}"
        + ("" if positive else " (no circuit may be positive)")
        + f"; {canonical_analogy(model)}",
    )


def urn_share_model() -> Model:
    """The mean dynamics ``dx/dt = f(x) - x`` of the nonlinear Polya urn, in the share x.

    Built from :func:`incentive_geometry.theory.polya_urn`'s ``drift`` observable with
    ``red = x``, ``blue = 1 - x`` (stochastic approximation, Pemantle 2007).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.analogy import urn_share_model
    >>> urn_share_model().state_names
    ('x',)
    """
    urn = polya_urn()
    drift = urn.observables_map["drift"]
    x = sympy.Symbol("x", real=True)
    red, blue = urn.states
    return Model.from_equations(
        {"x": drift.xreplace({red: x, blue: 1 - x})},
        parameters=list(urn.parameters),
        states={"x": {"domain": [0, 1], "meaning": "share of red balls"}},
        name="polya_urn_share",
        references=urn.references,
    )


def iterates_to(
    model: Model,
    target: Mapping[str, float],
    values: Mapping[str, float],
    *,
    radius: float = 1e-8,
    factor: float = 100.0,
    steps: int = 5_000,
) -> Observation:
    """Whether iterating a one-state map from a start `radius` inside its domain next to the
    fixed point `target` comes back to it, without any derivative.

    The start returns (True) when its distance shrinks by `factor`, leaves (False) when it grows
    by `factor`; if neither happens within `steps` iterations, the finite-time rate
    ``log(d_k / d_0) / k`` decides when it is farther than 1e-6 from 0 (the nonlinear terms
    shift it by about `radius`, rounding by far less). Its batched form iterates all points of a
    claim at once (numpy, the map lambdified).

    Raises
    ------
    ConvergenceError
        When `target` is not a fixed point, or the rate is within 1e-6 of 0 (a multiplier too
        close to 1: the observation cannot be made).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.analogy import iterates_to
    >>> mw = entrenchment(discrete=True)
    >>> iterates_to(mw, {"x": 1.0}, {"theta": 0.1}).value, iterates_to(mw, {"x": 1.0}, {"theta": 0.9}).value
    (True, False)
    """
    (got,) = _iterates_to_many(model, target, [values], radius=radius, factor=factor, steps=steps)
    if isinstance(got, BaseException):
        raise got
    return got


def _iterates_to_many(
    model: Model,
    target: Mapping[str, float],
    points: list[Mapping[str, float]],
    *,
    radius: float = 1e-8,
    factor: float = 100.0,
    steps: int = 5_000,
) -> list[Observation | BaseException]:
    from incentive_geometry.errors import ConvergenceError, ModelError

    if model.time != "discrete" or len(model.states) != 1:
        raise ModelError(f"`iterates_to` iterates one-state maps; `{model.name}` is not one")
    (name,) = model.state_names
    x_star = float(target[name])
    dom = model.state_domains[0]
    # Inward from a bound of the state domain, else from above.
    inward = -1.0 if dom.hi is not None and x_star + radius > float(dom.hi) else 1.0
    f = sympy.lambdify([model.states[0], *model.parameter_symbols], model.rhs[0], "numpy")
    defaults = {p.name: float(p.default) for p in model.parameters if p.default is not None}
    P = [
        np.array([float({**defaults, **pt}.get(q, np.nan)) for pt in points])
        for q in model.parameter_names
    ]
    with np.errstate(all="ignore"):
        residual = np.abs(f(np.full(len(points), x_star), *P) - x_star)
        x = np.full(len(points), x_star + inward * radius)
        verdict = np.zeros(len(points), dtype=int)  # 1 returned, -1 left, 0 undecided
        used = np.zeros(len(points), dtype=int)
        live = np.flatnonzero(residual <= 1e-9)
        for k in range(steps):
            if live.size == 0:
                break
            x[live] = f(x[live], *(q[live] for q in P))
            d = np.abs(x[live] - x_star)
            back, away = d < radius / factor, ~(d <= radius * factor)
            verdict[live[back]], verdict[live[away]] = 1, -1
            used[live[back | away]] = k + 1
            live = live[~(back | away)]
        # Undecided after `steps`: the sign of the finite-time rate decides, away from 0.
        rate = np.log(np.abs(x[live] - x_star) / radius) / steps
        verdict[live[rate < -1e-6]], verdict[live[rate > 1e-6]] = 1, -1
        used[live] = steps
    out: list[Observation | BaseException] = []
    for i in range(len(points)):
        if not residual[i] <= 1e-9:
            out.append(
                ConvergenceError(
                    f"iterates_to: {dict(target)} is not a fixed point here (residual "
                    f"{residual[i]:.3g}); the observation cannot be made at this point"
                )
            )
        elif verdict[i] == 0:
            out.append(
                ConvergenceError(
                    f"iterates_to: from {name} = {x_star + inward * radius:.10g} the rate of return "
                    f"over {steps} steps is within 1e-6 of 0; the observation cannot be made at "
                    "this point"
                )
            )
        else:
            word = "returned to" if verdict[i] == 1 else "left"
            out.append(
                Observation(
                    bool(verdict[i] == 1),
                    f"iteration: from {name} = {x_star + inward * radius:.10g}, {word} "
                    f"{dict(target)} (factor {factor:g}, or the sign of the rate) in {used[i]} steps",
                )
            )
    return out


iterates_to.batch = _iterates_to_many  # type: ignore[attr-defined]


def structure_derivation(
    model: Model,
    control: str,
    p_range: tuple[float, float],
    target: Mapping[str, float] | None,
    values: Mapping[str, float] | None = None,
) -> list[Step]:
    """The structural comparison behind a C4 claim, as derivation steps that could fail.

    1. the correspondence with the canonical model (:func:`canonical_analogy`): verified when
       one exists;
    2. at `values` (default: the model's defaults), the branch through `target` followed in `control`
       meets a transcritical (branch) point, and a circuit of the signed interaction graph may
       be positive there (:func:`shares_structure`): verified when both hold.

    Examples
    --------
    >>> from incentive_geometry.theory import managerial_entrenchment
    >>> from incentive_geometry.proofs.catalogue.analogy import structure_derivation
    >>> steps = structure_derivation(managerial_entrenchment(), "monitoring", (0.0, 0.999), {"x": 1.0})
    >>> [s.verified for s in steps]
    [True, True]
    """
    text = canonical_analogy(model)
    seen = shares_structure(model, control, p_range, target, dict(values or {}))
    return [
        Step("correspondence with the canonical model", text, text.startswith("analogous")),
        Step(
            f"the same bifurcation type (transcritical) in {control} at {dict(values or {}) or 'the defaults'}, with a "
            "circuit that may be positive",
            seen.evidence,
            bool(seen.value),
        ),
    ]


def entries() -> list[Entry]:
    """The C4 claims, one per analogue.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.analogy import entries
    >>> len(entries())
    5
    """
    family = "C4 analogy"
    reading = "confirmed: the analogue has the canonical structure; refuted: it does not (see the evidence)"
    manager = managerial_entrenchment()
    coord = replicator().reduce_simplex()
    mw = entrenchment(discrete=True)
    hm = holmstrom_milgrom()
    urn = urn_share_model()
    true = "0 == 0"
    mgr_star = (
        "benefit_weight*(private_benefit + specificity)"
        "/(benefit_weight*(private_benefit + specificity) + cost)"
    )
    return [
        Entry(
            family,
            Claim(
                name="C4.organizations.managerial_entrenchment",
                statement="Managerial entrenchment: the entrenched manager (x = 1) keeps his position "
                "exactly while board monitoring is below the image of theta* under the "
                "correspondence with the canonical model (alpha, theta, b, gamma, c <-> "
                "benefit_weight, monitoring, private_benefit, specificity, cost), and loses it "
                "there through a transcritical point, with self-reinforcing rents.",
                model=manager,
                prediction=f"monitoring < {mgr_star}",
                domain={
                    "benefit_weight": (0.3, 2.0),
                    "monitoring": (0.0, 0.999),
                    "private_benefit": (0.0, 1.0),
                    "specificity": (0.1, 2.0),
                    "cost": (0.2, 2.0),
                },
                observe=functools.partial(return_pattern, manager, ENTRENCHED_ONLY),
                observer="simulation of perturbed starts at x = 1 (rates of return)",
                derivation=functools.partial(
                    structure_derivation, manager, "monitoring", (0.0, 0.999), {"x": 1.0}
                ),
                references=(
                    PAPER,
                    "A. Shleifer and R. W. Vishny, J. Financ. Econ. 25, 123-139 (1989)",
                ),
            ),
            weight=0.25,
            reading=reading,
        ),
        Entry(
            family,
            Claim(
                name="C4.biology.replicator_coordination",
                statement="Replicator dynamics of a coordination game: the monomorphic state x_1 = 1 "
                "attracts exactly when its payoff against itself beats the invader's, a_11 > a_21 "
                "(the image of the canonical x = 1 condition, with gamma <-> a_11), and loses "
                "stability there through a transcritical point, with positive frequency "
                "dependence.",
                model=coord,
                prediction="a_11 > a_21",
                domain={
                    "a_11": (-1.5, 2.0),
                    "a_12": (-1.0, 0.4),
                    "a_21": (0.2, 1.0),
                    "a_22": (0.5, 2.0),
                },
                observe=functools.partial(return_pattern, coord, (((("x_1", 1.0),), True),)),
                observer="simulation of perturbed starts at x_1 = 1 (rates of return)",
                derivation=functools.partial(
                    structure_derivation,
                    coord,
                    "a_11",
                    (2.0, -1.5),
                    {"x_1": 1.0},
                    {"a_12": -0.3, "a_21": 0.6, "a_22": 1.25},  # the box's centre
                ),
                references=(
                    "J. Hofbauer and K. Sigmund, Evolutionary Games and Population Dynamics, CUP, 1998",
                ),
            ),
            weight=0.25,
            reading=reading,
        ),
        Entry(
            family,
            Claim(
                name="C4.learning.multiplicative_weights",
                statement="The discrete-time recursive optimizer (multiplicative weights, any step "
                "eta): entrenchment x = 1 attracts exactly where it does in the flow, "
                "alpha (1 - theta) (b + gamma) > theta c, and is lost through a transcritical "
                "point in observability.",
                model=mw,
                prediction="alpha*(1 - theta)*(b + gamma) > theta*c",
                domain={
                    "alpha": (0.3, 2.0),
                    "theta": (0.0, 0.98),
                    "b": (0.0, 1.0),
                    "gamma": (0.1, 2.0),
                    "c": (0.2, 2.0),
                    "eta": (0.1, 2.0),
                },
                observe=functools.partial(iterates_to, mw, {"x": 1.0}),
                observer="iteration of the map from perturbed starts at x = 1",
                # Next to the boundary the multiplier is within 1e-3 of 1: too slow to decide.
                boundary_tol=1e-3,
                derivation=functools.partial(
                    structure_derivation, mw, "theta", (0.0, 0.999), {"x": 1.0}
                ),
                references=(PAPER,),
            ),
            weight=0.25,
            reading=reading,
        ),
        Entry(
            family,
            Claim(
                name="C4.economics.holmstrom_milgrom",
                statement="Linear contracts (Holmstrom-Milgrom, gradient dynamics of effort and "
                "commission): the contract equilibrium meets a transcritical point as risk grows.",
                model=hm,
                # Constant: no threshold exists to state (the equilibrium is stable at every r:
                # trace -k c - r sigma2 < 0, determinant k (1 + c r sigma2) > 0), so the claim
                # can only be refuted (it is) or inconclusive, never confirmed.
                prediction=true,
                domain={"c": (0.3, 3.0), "sigma2": (0.1, 2.0)},
                observe=functools.partial(shares_structure, hm, "r", (0.0, 10.0), None),
                references=("B. Holmstrom and P. Milgrom, J. Law Econ. Organ. 7, 24-52 (1991)",),
            ),
            weight=0.25,
            reading=reading,
        ),
        Entry(
            family,
            Claim(
                name="C4.lockin.polya_urn",
                statement="Increasing-returns urn (share dynamics dx/dt = f(x) - x): its tipping point "
                "x = 1/2 attracts exactly when returns are decreasing (alpha < 1) and repels "
                "under increasing returns (alpha > 1), as the canonical interior point x* "
                "repels; the structural steps say whether it changes stability through a "
                "transcritical point as the canonical threshold does.",
                model=urn,
                prediction="alpha < 1",
                domain={"alpha": (0.5, 3.0)},
                observe=functools.partial(return_pattern, urn, (((("x", 0.5),), True),)),
                observer="simulation of perturbed starts at x = 1/2 (rates of return)",
                derivation=functools.partial(
                    structure_derivation, urn, "alpha", (3.0, 0.5), {"x": 0.5}
                ),
                references=("R. Pemantle, Probab. Surveys 4, 1-79 (2007)",),
            ),
            weight=0.25,
            reading=reading,
        ),
    ]
