"""C2 drift: along trajectories in the entrenched basin, alignment with the designer's objective
falls monotonically.

In the canonical model alignment is ``1 - x``; a start ``x0`` is in the entrenched basin when the
flow carries it towards ``x = 1``, i.e. when M's net advantage there is positive,
``alpha (1 - theta) (b + gamma x0) > theta c``. The observation simulates from ``x0`` and reads
the alignment observable along the trajectory, without the formula.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.drift import entries
>>> entries()[0].claim.name
'C2.alignment_falls_in_entrenched_basin'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np

from incentive_geometry.model import Model
from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation
from incentive_geometry.theory import entrenchment

from .entrenchment import DOMAIN, PAPER

__all__ = ["alignment_falls", "entries"]


def alignment_falls(
    model: Model, values: Mapping[str, float], *, horizon: float = 60.0
) -> Observation:
    """Simulate from ``x0``; whether alignment falls monotonically (and by more than noise).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.catalogue.drift import alignment_falls
    >>> alignment_falls(entrenchment(), {"x0": 0.9, "theta": 0.1}).value
    True
    """
    from incentive_geometry.solvers.numeric.simulate import simulate

    params = {k: float(v) for k, v in values.items() if k in model.parameter_names}
    tr = simulate(
        model, x0={"x": float(values["x0"])}, t=(0.0, horizon), params=params, n_points=301
    )
    alignment = tr.observables["alignment"]
    steps = np.diff(alignment)
    # Monotone up to the integrator's accuracy (atol 1e-9): rises below 1e-8 are round-off.
    monotone = bool(np.all(steps <= 1e-8))
    fell = bool(alignment[-1] < alignment[0] - 1e-6)
    return Observation(
        monotone and fell,
        f"alignment {alignment[0]:.4g} -> {alignment[-1]:.4g} over t in [0, {horizon:g}]; "
        f"largest rise {max(float(steps.max()), 0.0):.2g}",
    )


def entries() -> list[Entry]:
    """The C2 claims.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.drift import entries
    >>> entries()[0].claim.kind
    'condition'
    """
    m = entrenchment()
    domain = {**DOMAIN, "x0": (0.01, 0.99)}
    return [
        Entry(
            "C2 drift",
            Claim(
                name="C2.alignment_falls_in_entrenched_basin",
                statement="Along trajectories in the entrenched basin, alignment with the designer's "
                "objective (1 - x) falls monotonically; outside it, it does not fall.",
                model=m,
                prediction="alpha*(1 - theta)*(b + gamma*x0) > theta*c",
                domain=domain,
                observe=functools.partial(alignment_falls, m),
                # Points whose drift is slower than the simulation can show are left out.
                boundary_tol=1e-3,
                references=(PAPER,),
            ),
            weight=0.5,
        ),
    ]
