"""An optimizing principal: monitoring chosen at a cost (:mod:`incentive_geometry.theory.principal`).

The observation minimizes the principal's simulated long-run cost
``kappa theta + ell x(T; theta)`` over a grid of observabilities, each ``x(T)`` found by
simulating the canonical flow from an entrenched start, and reports whether the minimizer
leaves M entrenched. No threshold formula is used.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.principal import entries
>>> [e.claim.name for e in entries()]
['principal.tolerates_entrenchment']
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np

from incentive_geometry.errors import ConvergenceError
from incentive_geometry.model import Model
from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation
from incentive_geometry.theory import entrenchment

from .entrenchment import PAPER, THETA_STAR

__all__ = ["entries", "optimal_monitoring"]


def _end_state(model: Model, values: Mapping[str, float], theta: float, x0: float) -> float:
    """Where the flow from `x0` ends (within 1e-3 of 0 or 1), by simulation."""
    from incentive_geometry.proofs.catalogue.entrenchment import ends_entrenched

    seen = ends_entrenched(model, {**values, "theta": theta, "x0": x0}, near=1e-3)
    return 1.0 if seen.value else 0.0


def optimal_monitoring(
    model: Model, values: Mapping[str, float], *, x0: float = 0.99, grid: int = 11
) -> Observation:
    """Whether the principal's cost-minimizing observability leaves M entrenched, by simulation.

    The long-run cost ``kappa theta + ell x_end(theta)`` is evaluated on `grid` observabilities
    in ``[0, 0.98]`` (each end state simulated from `x0`), and the step of ``x_end`` is then
    located by bisection on the simulation, so the candidate "just past the step" is exact to
    1e-5; the cheapest candidate wins. About 0.4 s per point, so the claim is not part of the
    default ``incgeo verify`` (it is not registered in the catalogue's families).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.principal import optimal_monitoring
    >>> optimal_monitoring(entrenchment(), {"kappa": 1.0, "ell": 0.5}).value
    True
    >>> optimal_monitoring(entrenchment(), {"kappa": 0.5, "ell": 0.5}).value
    False
    """
    kappa, ell = float(values["kappa"]), float(values["ell"])
    thetas = np.linspace(0.0, 0.98, grid)
    ends = [_end_state(model, values, float(t), x0) for t in thetas]
    candidates = {float(t): kappa * float(t) + ell * e for t, e in zip(thetas, ends, strict=True)}
    # The end state steps from 1 to 0 once: locate the step between grid points.
    steps = [i for i in range(grid - 1) if ends[i] != ends[i + 1]]
    if steps:
        lo, hi = float(thetas[steps[0]]), float(thetas[steps[0] + 1])
        while hi - lo > 1e-5:
            mid = 0.5 * (lo + hi)
            try:
                same = _end_state(model, values, mid, x0) == ends[steps[0]]
            except ConvergenceError:  # too slow to end: the step itself, within the tolerance
                break
            lo, hi = (mid, hi) if same else (lo, mid)
        candidates[hi] = kappa * hi + ell * ends[steps[0] + 1]
    best = min(candidates, key=lambda t: candidates[t])
    # The cost is kappa theta + ell x_end: the cheapest candidate is entrenched iff it pays ell.
    entrenched = candidates[best] - kappa * best > 0.5 * ell
    return Observation(
        entrenched,
        f"simulation: cheapest theta = {best:.6f} (cost {candidates[best]:.5g}) over {len(candidates)} "
        f"candidates; M {'stays entrenched' if entrenched else 'is removed'}",
    )


def entries() -> list[Entry]:
    """The optimizing-principal claims.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.principal import entries
    >>> entries()[0].claim.kind
    'condition'
    """
    m = entrenchment()
    return [
        Entry(
            "principal",
            Claim(
                name="principal.tolerates_entrenchment",
                statement="A principal paying kappa per unit of observability and losing ell per "
                "unit of M's influence leaves an entrenched M in place (its optimal monitoring "
                "is none) iff kappa theta* > ell: entrenchment is an equilibrium outcome.",
                model=m,
                prediction=f"kappa*{THETA_STAR} > ell",
                domain={
                    "alpha": (0.2, 3.0),
                    "b": (0.0, 1.0),
                    "gamma": (0.2, 2.0),
                    "c": (0.1, 2.0),
                    "kappa": (0.1, 2.0),
                    "ell": (0.05, 1.0),
                },
                observe=functools.partial(optimal_monitoring, m),
                observer="simulation: minimum of kappa theta + ell x_end(theta) over theta",
                boundary_tol=0.01,
                references=(PAPER,),
            ),
            weight=0.03125,
        )
    ]
