"""A numeric sweep names each equilibrium it meets, so a sweep over many points can have more
identities than an int64 has bits. Their classes must still be right: before, the class bits
wrapped and a point with three equilibria was called `undefined` (Lorenz, r = 21.9)."""

from __future__ import annotations

import numpy as np

import incentive_geometry as ig


def test_more_identities_than_bits_keep_their_classes() -> None:
    lorenz = ig.Model.from_equations(
        {"x": "s*(y - x)", "y": "x*(r - z) - y", "z": "x*y - b*z"},
        parameters={"s": 10.0, "r": 0.5, "b": 8 / 3},
    )
    r = np.linspace(0.5, 40, 60)
    box = {"x": (-20.0, 20.0), "y": (-20.0, 20.0), "z": (-5.0, 50.0)}
    numeric = ig.sweep(lorenz, {"r": r}, method="numeric", cycles=False, bounds=box)
    closed = ig.sweep(lorenz, {"r": r}, method="closed_form", cycles=False)
    names = {n.split(" (")[0] for n in numeric.class_names}
    assert len(numeric.class_names) > 31 and "undefined" not in numeric.counts
    assert len(names) == len(numeric.class_names)  # one name per class
    # Each point's class names exactly its stable equilibria: C+- below rho_H, the origin
    # below r = 1, none between rho_H and 40 (Sparrow 1982).
    rho_h = 10 * (10 + 8 / 3 + 3) / (10 - 8 / 3 - 1)
    for i, rv in enumerate(r):
        cls = numeric.classes[i]
        if rv < 1:
            assert cls == "x=0, y=0, z=0 only"
        elif rv < rho_h:
            assert cls.endswith("(bistable)") and cls.count("x=") == 2, cls
        else:
            assert cls == "none stable"
    assert np.array_equal(numeric.stable.any(1), closed.stable.any(1))
    # The codes index the names, in the order of the class bits (as for few identities).
    assert numeric.class_codes.max() == len(numeric.class_names) - 1
