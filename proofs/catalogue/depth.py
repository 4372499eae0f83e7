"""C6 recursion depth: after L nested levels whose objectives each drift by an angle phi, the
expected alignment with the designer's objective is cos(phi)^L.

The observation draws the high-dimensional nested construction
(:func:`incentive_geometry.theory.nested_alignment_sample`) and the check tests the Monte Carlo
mean against the prediction with a t-test.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.depth import entries
>>> [e.claim.name for e in entries()]
['C6.depth_1', 'C6.depth_2', 'C6.depth_4', 'C6.depth_8']
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np

from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation
from incentive_geometry.theory import nested_alignment_sample, nested_objectives

from .entrenchment import PAPER

__all__ = ["alignment_draws", "entries"]


def alignment_draws(
    levels: int, values: Mapping[str, float], *, dim: int = 200, samples: int = 400
) -> Observation:
    """Monte Carlo alignments of the deepest level (seeded from the sample point).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.depth import alignment_draws
    >>> alignment_draws(2, {"phi": 0.3}).value.shape
    (400,)
    """
    seed = int(abs(hash(round(float(values["phi"]), 12))) % (2**32))
    rng = np.random.default_rng(seed)
    draws = nested_alignment_sample(
        levels, phi=float(values["phi"]), dim=dim, samples=samples, rng=rng
    )[:, -1]
    return Observation(
        draws, f"{samples} draws in dimension {dim}: mean {draws.mean():.5f}, sd {draws.std():.3g}"
    )


def entries() -> list[Entry]:
    """The C6 claims, one per depth.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.depth import entries
    >>> entries()[0].claim.kind
    'mean'
    """
    out = []
    for levels in (1, 2, 4, 8):
        model = nested_objectives(levels)
        out.append(
            Entry(
                "C6 recursion depth",
                Claim(
                    name=f"C6.depth_{levels}",
                    statement=f"After {levels} nested level(s), each drifting by phi, the expected alignment "
                    f"with the designer's objective is cos(phi)^{levels}.",
                    model=model,
                    prediction=f"cos(phi)**{levels}",
                    kind="mean",
                    domain={"phi": (0.05, 1.2)},
                    observe=functools.partial(alignment_draws, levels),
                    references=(PAPER,),
                ),
                weight=0.25,
            )
        )
    return out
