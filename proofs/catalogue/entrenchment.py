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
    count_stable,
    interior_unstable,
    only_stable_is,
    stable_at,
)
from incentive_geometry.theory import ablate, entrenchment

__all__ = ["DOMAIN", "entries", "transcritical_theta"]

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


def transcritical_theta(model: Model, values: Mapping[str, float]) -> Observation:
    """Where the entrenched branch x = 1 loses stability: continuation in theta from theta = 0.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.entrenchment import transcritical_theta
    >>> round(transcritical_theta(entrenchment(), {"alpha": 1, "b": 0.2, "gamma": 1, "c": 1}).value, 8)
    0.54545455
    """
    import incentive_geometry as ig

    others = {k: float(v) for k, v in values.items() if k in model.parameter_names and k != "theta"}
    branch = ig.continuation(
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
    7
    """
    m = entrenchment()
    family = "C1 entrenchment"
    no_feedback = ablate(m, "recursive_feedback")
    full_obs = ablate(m, "partial_observability")
    return [
        Entry(
            family,
            Claim(
                name="C1.aligned_stable",
                statement="The aligned state x = 0 is stable iff alpha (1 - theta) b < theta c.",
                model=m,
                prediction=ALIGNED,
                domain=DOMAIN,
                observe=functools.partial(stable_at, m, {"x": 0.0}),
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
                observe=functools.partial(stable_at, m, {"x": 1.0}),
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
                statement="The interior point x* = (theta c / (alpha (1 - theta)) - b) / gamma lies in "
                "(0, 1) exactly in the window, and is then unstable.",
                model=m,
                prediction=WINDOW,
                domain=DOMAIN,
                observe=functools.partial(interior_unstable, m),
                derivation=functools.partial(interior_derivation, m, WINDOW),
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
                statement="With no recursive feedback (gamma = 0) there is never bistability.",
                model=no_feedback,
                prediction="0 == 1",
                domain={k: v for k, v in DOMAIN.items() if k != "gamma"},
                observe=functools.partial(count_stable, no_feedback),
                derivation=functools.partial(
                    window_derivation, no_feedback, [{"x": 0}, {"x": 1}], "0 == 1"
                ),
                references=(PAPER,),
            ),
        ),
        Entry(
            family,
            Claim(
                name="C1.full_observability_aligned",
                statement="With full observability (theta = 1) the aligned state is the only stable one.",
                model=full_obs,
                prediction="0 == 0",
                domain={k: v for k, v in DOMAIN.items() if k != "theta"},
                observe=functools.partial(only_stable_is, full_obs, {"x": 0.0}),
                derivation=functools.partial(window_derivation, full_obs, [{"x": 0}], "0 == 0"),
                references=(PAPER,),
            ),
        ),
    ]
