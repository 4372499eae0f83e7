"""Property tests: located bifurcations and equilibria against closed forms at random parameters."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

import incentive_geometry as ig

FOLD = ig.Model.from_equations({"x": "p + a*(x - c)**2"}, parameters={"p": 0.0, "a": 1.0, "c": 0.0})
BRUSSELATOR = ig.Model.from_equations(
    {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"}, parameters={"a": 1.0, "b": 1.0}
)
LINEAR = ig.Model.from_equations(
    {"x": "a11*x + a12*y + b1", "y": "a21*x + a22*y + b2"},
    parameters={"a11": -1.0, "a12": 0.0, "a21": 0.0, "a22": -1.0, "b1": 0.0, "b2": 0.0},
)


@settings(max_examples=20, deadline=None)
@given(a=st.floats(0.2, 5.0) | st.floats(-5.0, -0.2), c=st.floats(-2.0, 2.0))
def test_fold_of_random_quadratics(a: float, c: float) -> None:
    # p + a (x - c)^2 = 0 has a fold at p = 0, x = c; start on the branch at p = -a.
    br = ig.continuation(
        FOLD, "p", x0=[c + 1.0], params={"p": -a, "a": a, "c": c}, p_range=(-abs(a) - 1, abs(a) + 1)
    )
    (fold,) = br.bifurcations
    assert fold.kind == "fold" and abs(fold.p) < 1e-10 and abs(fold.x[0] - c) < 1e-4


@settings(max_examples=15, deadline=None)
@given(a=st.floats(0.3, 3.0))
def test_brusselator_hopf_for_random_a(a: float) -> None:
    br = ig.continuation(
        BRUSSELATOR, "b", x0=[a, 1.0], params={"a": a, "b": 1.0}, p_range=(0.1, 1.0 + a * a + 2.0)
    )
    (hopf,) = br.of_kind("hopf")
    assert abs(hopf.p - (1 + a * a)) < 1e-10 * (1 + a * a)


@settings(max_examples=25, deadline=None)
@given(
    entries=st.lists(st.floats(-3.0, 3.0), min_size=4, max_size=4),
    rhs=st.lists(st.floats(-3.0, 3.0), min_size=2, max_size=2),
)
@example(entries=[0.0, 0.5, -1.0, -2.2422756797306598e-45], rhs=[0.0, 0.0])  # a centre: neutral
def test_linear_equilibrium_and_stability(entries: list[float], rhs: list[float]) -> None:
    A = np.array(entries).reshape(2, 2)
    if abs(np.linalg.det(A)) < 0.1:
        return  # nearly singular: the equilibrium is not isolated enough to compare
    b = np.array(rhs)
    x_star = np.linalg.solve(A, -b)
    params = dict(zip(("a11", "a12", "a21", "a22"), entries, strict=True)) | {
        "b1": rhs[0],
        "b2": rhs[1],
    }
    box = {"x": (x_star[0] - 1, x_star[0] + 1), "y": (x_star[1] - 1, x_star[1] + 1)}
    (e,) = ig.find_equilibria(LINEAR, params=params, bounds=box)
    assert np.allclose(e.x, x_star, atol=1e-9)
    # The largest real part from the trace and determinant (not from an eigenvalue solver):
    # stable below -1e-7, unstable above 1e-7, neutral (a centre: trace 0, det > 0) in between.
    tr, det = float(np.trace(A)), float(np.linalg.det(A))
    disc = tr * tr / 4 - det
    margin = tr / 2 if disc < 0 else tr / 2 + math.sqrt(disc)
    if margin < -1e-7:
        assert e.stability == "stable" and e.stable
    elif margin > 1e-7:
        assert e.stability == "unstable" and not e.stable
    else:
        assert e.stability == "neutral" and not e.stable
