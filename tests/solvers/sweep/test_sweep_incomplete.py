"""Points whose equilibria overflow `max_equilibria` are classed `incomplete`, never classed
from the roots that were kept (issue 16: the simplex at theta = 1 was classed "none stable")."""

from __future__ import annotations

import numpy as np

import incentive_geometry as ig
from incentive_geometry.theory import entrenchment_n


def test_overflowing_points_are_class_incomplete_with_a_note() -> None:
    # Three routines on the simplex, payoffs (0, -c, -c) at theta = 1: the costs tie and the edge
    # w_1 = 0 is a line of equilibria, while the vertex e_1 is stable (transverse eigenvalues
    # s_j(e_1) - s_1(e_1) = -1; Hofbauer & Sigmund 1998, replicator at a vertex).
    m = entrenchment_n(3, b=[0, 0.2, 0.2], gamma=[0, 1, 1], c=[0, 1, 1])
    points = {"theta": np.array([0.5, 1.0]), "alpha": np.array([0.5, 2.0])}
    sm = ig.sweep(m, points, method="numeric", executor="serial", cycles=False)
    classes = np.asarray(sm.classes)
    assert classes[1].tolist() == ["incomplete", "incomplete"]
    # theta = 0.5 has isolated equilibria only: classed as usual, not incomplete.
    assert "incomplete" not in classes[0].tolist()
    (note,) = [n for n in sm.notes if "max_equilibria" in n]
    assert "at 2 of 4 points" in note and "theta = 1" in note
    assert "raise `max_equilibria`" in note
    # With room for every root, the same points are classed, and e_1 is the stable one.
    wide = ig.sweep(
        m, points, method="numeric", executor="serial", cycles=False, max_equilibria=128
    )
    assert np.asarray(wide.classes)[1].tolist() == ["w_1=1, w_2=0 only"] * 2
    assert not any("max_equilibria" in n for n in wide.notes)
