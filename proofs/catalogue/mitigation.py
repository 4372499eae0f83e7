"""C5 mitigation: raising observability past theta*, capping feedback and adding diversity
restore the aligned state; hysteresis: undoing entrenchment needs more than preventing it.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.mitigation import entries
>>> [e.claim.name for e in entries()][0]
'C5.observability_past_theta_star'
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from incentive_geometry.errors import ConvergenceError
from incentive_geometry.model import Model
from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation
from incentive_geometry.proofs.derive import threshold_derivation
from incentive_geometry.proofs.observe import falls_below, stable_at, threshold_gap
from incentive_geometry.theory import entrenchment

from .entrenchment import DOMAIN, PAPER, THETA_STAR

__all__ = [
    "bistable_width",
    "entries",
    "hysteresis_width",
    "leaves_entrenchment",
    "narrower_with_diversity",
]


def leaves_entrenchment(
    model: Model, values: Mapping[str, float], *, window: float = 200.0, horizon: float = 40_000.0
) -> Observation:
    """Simulate from x = 0.999 (nearly entrenched); whether the system ends aligned (x < 1/2).

    The simulation runs in windows until the state has left (x < 1/2) or has settled (it moved
    less than 1e-10 over a window), so slow dynamics near a boundary get the time they need.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.mitigation import leaves_entrenchment
    >>> leaves_entrenchment(entrenchment(), {"theta": 0.9}).value
    True
    """
    import incentive_geometry as ig

    params = {k: float(v) for k, v in values.items() if k in model.parameter_names}
    x, t = 0.999, 0.0
    while t < horizon:
        tr = ig.simulate(model, x0={"x": x}, t=(0.0, window), params=params, n_points=3)
        end = float(tr.x[-1, 0])
        t += window
        settled = abs(end - x) < 1e-10
        x = end
        if x < 0.5 or settled:
            break
    return Observation(x < 0.5, f"x(0) = 0.999 -> x({t:g}) = {x:.4g}")


def _threshold(
    model: Model, values: Mapping[str, float], target: float, *, stable_below: bool
) -> float:
    """The theta where the equilibrium at x = `target` changes stability (bisection on the
    numerical stability of that equilibrium; a midpoint where it is neutral, its eigenvalue
    within the stability tolerance of 0, is the boundary)."""
    lo, hi = 0.0, 0.999

    def stable(theta: float) -> bool:
        return bool(stable_at(model, {"x": target}, {**values, "theta": theta}).value)

    if stable(lo) == stable(hi):
        return float("nan")
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        try:
            below = stable(mid) == stable(lo)
        except ConvergenceError:  # neutral at mid: on the boundary, within the tolerance
            return mid
        if below:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def hysteresis_width(model: Model, values: Mapping[str, float]) -> Observation:
    """Observability needed to undo entrenchment minus that needed to prevent it, numerically.

    Undoing: the theta past which x = 1 is no longer stable. Preventing: the theta past which
    x = 0 is stable. Both are located by bisection on numerical eigenvalues.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.mitigation import hysteresis_width
    >>> round(hysteresis_width(entrenchment(), {"alpha": 1, "b": 0.2, "gamma": 1, "c": 1}).value, 6)
    0.378788
    """
    undo = _threshold(model, values, 1.0, stable_below=True)
    prevent = _threshold(model, values, 0.0, stable_below=False)
    return Observation(
        undo - prevent, f"undo at theta = {undo:.8g}, prevent at theta = {prevent:.8g}"
    )


def bistable_width(model: Model, values: Mapping[str, float], *, points: int = 400) -> float:
    """Length of the theta-interval where two stable states coexist (a 1-D sweep).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.mitigation import bistable_width
    >>> round(bistable_width(entrenchment(), {"alpha": 1, "b": 0.2, "gamma": 1, "c": 1}), 2)
    0.38
    """
    import incentive_geometry as ig

    params = {k: float(v) for k, v in values.items() if k in model.parameter_names and k != "theta"}
    grid = np.linspace(0.0, 0.999, points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sm = ig.sweep(model, {"theta": grid}, params=params, method="numeric", executor="serial")
    multi = sm.stable.sum(axis=1) >= 2
    return float(multi.mean() * (grid[-1] - grid[0]))


def narrower_with_diversity(values: Mapping[str, float]) -> Observation:
    """Whether the bistable theta-window is narrower with diversity mu than without.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.mitigation import narrower_with_diversity
    >>> narrower_with_diversity({"alpha": 1, "b": 0.2, "gamma": 1, "c": 1, "mu": 0.05}).value
    True
    """
    base = bistable_width(entrenchment(), values)
    mixed = bistable_width(entrenchment(diversity=True), values)
    return Observation(
        mixed < base or base == 0.0,
        f"bistable theta-width {base:.4f} without diversity, {mixed:.4f} with mu = {values['mu']:.4g}",
    )


def _hysteresis_derivation(model: Model) -> list[Any]:
    """The two thresholds, each from the symbolic engine: undo at x = 1, prevent at x = 0."""
    return [
        *threshold_derivation(model, {"x": 1}, "theta", THETA_STAR),
        *threshold_derivation(model, {"x": 0}, "theta", "alpha*b/(alpha*b + c)"),
    ]


def entries() -> list[Entry]:
    """The C5 claims.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.mitigation import entries
    >>> len(entries())
    4
    """
    m = entrenchment()
    family = "C5 mitigation"
    undo_minus_prevent = f"{THETA_STAR} - alpha*b/(alpha*b + c)"
    return [
        Entry(
            family,
            Claim(
                name="C5.observability_past_theta_star",
                statement="Raising observability past theta* restores the aligned state: from near "
                "entrenchment the system returns to alignment iff theta > theta*.",
                model=m,
                prediction=f"theta > {THETA_STAR}",
                domain=DOMAIN,
                observe=functools.partial(falls_below, m, {"x": 0.999}, state="x", level=0.5),
                observer="simulation from x = 0.999 (batched ensemble): ends below x = 1/2",
                derivation=functools.partial(
                    threshold_derivation, m, {"x": 1}, "theta", THETA_STAR
                ),
                # Near theta* the return takes longer than the simulation: those points are left out.
                boundary_tol=0.02,
                references=(PAPER,),
            ),
            weight=0.5,
        ),
        Entry(
            family,
            Claim(
                name="C5.feedback_cap",
                statement="Capping recursive feedback below gamma_max = theta c / (alpha (1 - theta)) - b "
                "restores the aligned state: from near entrenchment the system returns iff gamma < gamma_max.",
                model=m,
                prediction="gamma < theta*c/(alpha*(1 - theta)) - b",
                domain=DOMAIN,
                observe=functools.partial(falls_below, m, {"x": 0.999}, state="x", level=0.5),
                observer="simulation from x = 0.999 (batched ensemble): ends below x = 1/2",
                boundary_tol=0.02,
                references=(PAPER,),
            ),
            weight=0.5,
        ),
        Entry(
            family,
            Claim(
                name="C5.diversity_narrows_hysteresis",
                statement="Adding diversity (mutation rate mu > 0) narrows the window of observability "
                "in which aligned and entrenched states coexist.",
                model=entrenchment(diversity=True),
                prediction="0 == 0",
                domain={
                    "alpha": (0.3, 2.0),
                    "b": (0.0, 0.5),
                    "gamma": (0.3, 2.0),
                    "c": (0.3, 2.0),
                    "mu": (0.005, 0.1),
                },
                observe=narrower_with_diversity,
                references=(PAPER,),
            ),
            weight=0.125,
        ),
        Entry(
            family,
            Claim(
                name="C5.hysteresis_width",
                statement="Hysteresis: undoing entrenchment needs observability theta* while preventing "
                "it needs only alpha b / (alpha b + c); the loop's width is their difference.",
                model=m,
                prediction=undo_minus_prevent,
                kind="value",
                tolerance=1e-6,
                domain={k: v for k, v in DOMAIN.items() if k != "theta"},
                constraints=("alpha*gamma > 0.05",),
                # Both thresholds located by simulated rates of return, not by the Jacobian.
                observe=functools.partial(threshold_gap, m, {"x": 1.0}, {"x": 0.0}, "theta"),
                observer="simulation: roots in theta of the rates of return at x = 1 and x = 0",
                derivation=functools.partial(_hysteresis_derivation, m),
                references=(PAPER,),
            ),
            weight=0.125,
        ),
    ]
