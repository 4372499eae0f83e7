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
    "MU_REF",
    "bistable_width",
    "entries",
    "hysteresis_width",
    "leaves_entrenchment",
    "loop_width",
    "narrower_than",
    "narrower_with_diversity",
]

#: The reference diversity rate of ``C5.diversity_narrows_hysteresis``.
MU_REF = 0.03


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
    from incentive_geometry.solvers.numeric.simulate import simulate

    params = {k: float(v) for k, v in values.items() if k in model.parameter_names}
    x, t = 0.999, 0.0
    while t < horizon:
        tr = simulate(model, x0={"x": x}, t=(0.0, window), params=params, n_points=3)
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
    from incentive_geometry.solvers.numeric.sweep import sweep

    params = {k: float(v) for k, v in values.items() if k in model.parameter_names and k != "theta"}
    grid = np.linspace(0.0, 0.999, points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sm = sweep(model, {"theta": grid}, params=params, method="numeric", executor="serial")
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


def _three_roots(alpha: float, theta: float, b: float, gamma: float, c: float, mu: float) -> bool:
    """Whether the diversity model has three equilibria in (0, 1) (then two are stable).

    With ``A = alpha (1 - theta) b - theta c`` and ``B = alpha (1 - theta) gamma`` the right-hand
    side ``x (1 - x)(A + B x) + mu (1/2 - x)`` is the cubic
    ``-B x^3 + (B - A) x^2 + (A - mu) x + mu/2``; for ``mu > 0`` it is positive at 0 and
    negative at 1, so it has one or three roots in (0, 1), and three means bistability.
    """
    A = alpha * (1 - theta) * b - theta * c
    B = alpha * (1 - theta) * gamma
    r = np.roots([-B, B - A, A - mu, mu / 2])
    r = r[np.abs(r.imag) < 1e-9].real
    return int(np.sum((r > 0) & (r < 1))) == 3


def loop_width(values: Mapping[str, float], *, grid: int = 200) -> float:
    """Width in theta (over [0, 0.999]) of the hysteresis loop of the diversity model: where
    three equilibria coexist in (0, 1), two of them stable.

    A grid in theta brackets each edge (a fold), which is then bisected to 1e-13 on the number
    of real roots in (0, 1) of the cubic right-hand side (numpy's companion-matrix roots): no
    formula for the folds is used.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.mitigation import loop_width
    >>> w0 = 6 / 11 - 1 / 6  # theta* - alpha b / (alpha b + c) without diversity
    >>> w = loop_width({"alpha": 1, "b": 0.2, "gamma": 1, "c": 1, "mu": 0.03})
    >>> 0 < w < w0
    True
    """
    a, b, g, c, mu = (float(values[k]) for k in ("alpha", "b", "gamma", "c", "mu"))
    th = np.linspace(0.0, 0.999, grid)
    inside = [_three_roots(a, t, b, g, c, mu) for t in th]
    width, start = 0.0, (0.0 if inside[0] else None)
    for i in range(grid - 1):
        if inside[i] == inside[i + 1]:
            continue
        lo, hi = float(th[i]), float(th[i + 1])
        while hi - lo > 1e-13:
            mid = 0.5 * (lo + hi)
            if _three_roots(a, mid, b, g, c, mu) == inside[i]:
                lo = mid
            else:
                hi = mid
        edge = 0.5 * (lo + hi)
        if inside[i + 1]:
            start = edge
        elif start is not None:
            width += edge - start
            start = None
    if start is not None:
        width += 0.999 - start
    return width


def narrower_than(mu_ref: float, values: Mapping[str, float]) -> Observation:
    """Whether the hysteresis loop at diversity ``values["mu"]`` is narrower than at `mu_ref`
    (:func:`loop_width`, numerically located folds).

    Raises
    ------
    ConvergenceError
        When there is no loop at either rate (nothing to compare: the observation cannot be
        made).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.mitigation import narrower_than
    >>> p = {"alpha": 1, "b": 0.2, "gamma": 1, "c": 1}
    >>> narrower_than(0.03, {**p, "mu": 0.05}).value, narrower_than(0.03, {**p, "mu": 0.01}).value
    (True, False)
    """
    here = loop_width(values)
    ref = loop_width({**values, "mu": mu_ref})
    if here == 0.0 and ref == 0.0:
        raise ConvergenceError(
            f"narrower_than: no hysteresis loop at mu = {float(values['mu']):.4g} nor at "
            f"mu = {mu_ref:g}; the observation cannot be made at this point"
        )
    return Observation(
        here < ref,
        f"loop width {here:.8f} at mu = {float(values['mu']):.6g}, {ref:.8f} at mu = {mu_ref:g} "
        "(folds located numerically)",
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
                statement="Adding diversity narrows the hysteresis loop, the more the stronger: "
                "the window of observability in which aligned and entrenched states coexist is "
                f"narrower at mutation rate mu than at the reference mu_0 = {MU_REF:g} exactly "
                "when mu > mu_0 (the loop width falls strictly with mu).",
                model=entrenchment(diversity=True),
                prediction=f"mu > {MU_REF!r}",
                domain={
                    "alpha": (0.3, 2.0),
                    "b": (0.0, 0.5),
                    "gamma": (0.3, 2.0),
                    "c": (0.3, 2.0),
                    "mu": (0.005, 0.06),
                },
                observe=functools.partial(narrower_than, MU_REF),
                observer="folds located numerically (roots of the right-hand side), both widths",
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
