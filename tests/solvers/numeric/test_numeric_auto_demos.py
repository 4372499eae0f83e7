"""Continuation on demos of AUTO-07p, against references recomputed at high precision.

Equations and constants are those of the demos' ``*.f90`` and ``c.*`` files in AUTO-07p's
``demos`` folder (ab, dd2, pp2, pp3, enz). AUTO prints six digits and locates points only to
its own tolerance, so every reference here is recomputed with mpmath (30 digits) from the
defining equations of the point: closed forms where the branch is explicit, otherwise the
roots of the test condition along an explicit parametrization of the branch, or Newton on
the extended system ``F = 0, det F_x = 0``. Every labelled point must be located within 1e-8
with the right kind, with no other points, on the first branch and on the switched ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import mpmath as mp
import numpy as np
import pytest

import incentive_geometry as ig

TOL = 1e-8  # the "Done when": every labelled point located within 1e-8
mp.mp.dps = 30


def kinds(branch: ig.Branch) -> list[str]:
    return sorted(b.kind for b in branch.bifurcations)


def near(branch: ig.Branch, kind: str, p: float) -> ig.Bifurcation:
    """The one bifurcation of `kind` within TOL of `p` (fails if none)."""
    found = [b for b in branch.of_kind(kind) if abs(b.p - p) < TOL]
    assert len(found) == 1, f"no {kind} at {p!r} (found {branch.of_kind(kind)})"
    return found[0]


def roots_on(
    g: Callable[[mp.mpf], mp.mpf], lo: float, hi: float, n: int = 4000
) -> list[mp.mpf]:
    """All sign changes of g on a fine grid of [lo, hi], each refined to 30 digits."""
    xs = [mp.mpf(lo) + (mp.mpf(hi) - lo) * k / n for k in range(n + 1)]
    vals = [g(x) for x in xs]
    return [
        mp.findroot(g, (a, b), solver="anderson")
        for a, b, va, vb in zip(xs, xs[1:], vals, vals[1:], strict=False)
        if va * vb < 0
    ]


# ---------------------------------------------------------------------------------------------
# ab: the A -> B reaction in a CSTR, u1' = -u1 + p1 (1 - u1) e^{u2},
#     u2' = -u2 + p1 p2 (1 - u1) e^{u2} - p3 u2, p3 = 3, continued in p1 from u = 0.


def ab() -> ig.Model:
    return ig.Model.from_equations(
        {"u1": "-u1 + p1*(1 - u1)*exp(u2)", "u2": "-u2 + p1*p2*(1 - u1)*exp(u2) - p3*u2"},
        parameters={"p1": 0.0, "p2": 8.0, "p3": 3.0},
        name="ab",
    )


def ab_references(p2: float, p3: float = 3.0) -> dict[str, list[tuple[float, float]]]:
    """Folds and Hopf points (p1, u1) in closed form.

    On the branch u2 = p2 u1 / a (a = 1 + p3) and p1 = u1 e^{-u2} / (1 - u1); the Jacobian has
    trace -1/(1 - u1) + p2 u1 - a and determinant (p2 u1^2 - p2 u1 + a) / (1 - u1). Folds:
    det = 0; Hopf: trace = 0 with det > 0.
    """
    a = 1 + mp.mpf(p3)
    p2m = mp.mpf(p2)

    def point(u: mp.mpf) -> tuple[float, float]:
        return float(u * mp.exp(-p2m * u / a) / (1 - u)), float(u)

    def quad_roots(b: mp.mpf, c: mp.mpf) -> list[mp.mpf]:  # roots of p2 u^2 + b u + c in (0, 1)
        disc = b * b - 4 * p2m * c
        if disc <= 0:
            return []
        return [u for u in ((-b + s * mp.sqrt(disc)) / (2 * p2m) for s in (-1, 1)) if 0 < u < 1]

    folds = quad_roots(-p2m, a)
    hopf = [u for u in quad_roots(-(p2m + a), a + 1) if p2m * u**2 - p2m * u + a > 0]
    return {"fold": [point(u) for u in folds], "hopf": [point(u) for u in hopf]}


@pytest.mark.parametrize("p2", [8.0, 14.0, 15.0, 16.0, 17.0, 18.0])
def test_ab_folds_and_hopf_points(p2: float) -> None:
    ref = ab_references(p2)
    br = ig.continuation(ab(), "p1", x0=[0.0, 0.0], params={"p1": 0.0, "p2": p2}, p_range=(0.0, 1.0))
    assert br.success, br.message
    assert kinds(br) == sorted(k for k, pts in ref.items() for _ in pts)
    for kind, pts in ref.items():
        for p1, u1 in pts:
            b = near(br, kind, p1)
            assert abs(b.x[0] - u1) < 1e-7
    # The branch itself: u2 = p2 u1 / 4 and p1 = u1 e^{-u2} / (1 - u1).
    u1, u2 = br["u1"], br["u2"]
    assert np.allclose(u2, p2 * u1 / 4, atol=1e-9)
    assert np.allclose(br.p * (1 - u1) * np.exp(u2), u1, atol=1e-9)
    if p2 == 16.0:
        # p2 = 4 (1 + p3) is the cusp: the two folds meet at u1 = 1/2, p1 = e^{-2}, where the
        # fold test function touches zero without a sign change. No fold is reported, and the
        # message says where a pair may have been missed.
        note = re.search(r"a pair of fold points may have been missed between p1 = (\S+) and (\S+) ",
                         br.message)
        assert note is not None, br.message
        assert float(note.group(1)) <= math.exp(-2) <= float(note.group(2))
    else:
        assert "may have been missed" not in br.message


def test_ab_large_steps_do_not_jump_over_the_hopf_point() -> None:
    # Regression: with ds_max = 2 a step jumped from the upper sheet to p1 < 0, skipped the
    # Hopf point at p1 = 0.21708 and reported "reached p1 = 0" with status 0.
    ref = ab_references(17.0)
    br = ig.continuation(
        ab(), "p1", x0=[0.0, 0.0], params={"p1": 0.0, "p2": 17.0}, p_range=(0.0, 0.3), ds_max=2.0
    )
    assert br.success, br.message
    assert "forward: reached p1 = 0.3" in br.message
    assert kinds(br) == ["fold", "fold", "hopf", "hopf"]
    for kind, pts in ref.items():
        for p1, _u1 in pts:
            near(br, kind, p1)
    assert abs(max(p for p, _ in ref["hopf"]) - 0.21708) < 1e-5  # AUTO's six digits
    # Every point is on the branch (no point from a jump).
    u1, u2 = br["u1"], br["u2"]
    assert np.allclose(u2, 17 * u1 / 4, atol=1e-9)
    assert np.allclose(br.p * (1 - u1) * np.exp(u2), u1, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# dd2: the map u1 -> p1 u1 (1 - u1) - p2 u1 u2, u2 -> (1 - p3) u2 + p2 u1 u2 with p2 = 0.2,
#      p3 = 0.1, continued in p1 in [0, 5] from the origin.


def dd2() -> ig.Model:
    return ig.Model.from_equations(
        {"u1": "p1*u1*(1 - u1) - p2*u1*u2", "u2": "(1 - p3)*u2 + p2*u1*u2"},
        parameters={"p1": 0.0, "p2": 0.2, "p3": 0.1},
        time="discrete",
        name="dd2",
    )


DD2_BOUNDS = {"u1": (-10.0, 10.0), "u2": (-10.0, 10.0)}


def test_dd2_every_branch_and_every_point() -> None:
    m = dd2()
    origin = ig.continuation(
        m, "p1", x0=[0.0, 0.0], params={"p1": 0.0}, p_range=(0.0, 5.0), bounds=DD2_BOUNDS,
        switch_branches=True,
    )
    # The origin: multipliers p1 and 0.9, a branch point at p1 = 1 only.
    assert kinds(origin) == ["transcritical"] and abs(origin.bifurcations[0].p - 1) < TOL
    assert np.abs(origin.x).max() == 0.0
    # Switched: u1 = 1 - 1/p1, u2 = 0, multipliers 2 - p1 and 1.1 - 0.2/p1: branch points at
    # p1 = 1 (the origin) and 2, flips at p1 = 3 and 2/21 (where u1 = -9.5).
    (fixed,) = origin.children
    assert fixed.success, fixed.message
    assert np.allclose(fixed["u1"], 1 - 1 / fixed.p, atol=1e-9) and np.abs(fixed["u2"]).max() < 1e-9
    assert kinds(fixed) == ["flip", "flip", "transcritical", "transcritical"]
    near(fixed, "transcritical", 1.0)
    bp = near(fixed, "transcritical", 2.0)
    assert np.allclose(bp.x, [0.5, 0.0], atol=1e-9)
    near(fixed, "flip", 3.0)
    near(fixed, "flip", 2 / 21)
    # Switching at p1 = 2 gives the other branch, u1 = p3/p2 = 0.5, u2 = 2.5 p1 - 5 (from the
    # fixed-point equations), not u2 = 0 again; its flip is at 1 + tr + det = 0, u2 = 100/19.
    other = ig.switch_branch(m, bp, p_range=(0.0, 5.0), bounds=DD2_BOUNDS)
    assert other.success, other.message
    assert float(other.p.min()) == 0.0 and float(other.p.max()) == 5.0
    assert np.allclose(other["u1"], 0.5, atol=1e-9)
    assert np.allclose(other["u2"], 2.5 * other.p - 5, atol=1e-9)
    assert np.abs(other["u2"]).max() > 5  # really off u2 = 0
    assert kinds(other) == ["flip", "transcritical"]
    near(other, "flip", 78 / 19)
    # Automatic switching reached the same branch, as the child of the child (and only it: the
    # joint at p1 = 1 is not switched from twice).
    (auto,) = fixed.children
    assert not auto.children
    assert np.allclose(auto["u2"], 2.5 * auto.p - 5, atol=1e-9) and kinds(auto) == kinds(other)
    back = near(other, "transcritical", 2.0)
    # Its `direction` points back along the first branch: switching again retraces it.
    again = ig.switch_branch(m, back, p_range=(1.5, 2.5), bounds=DD2_BOUNDS)
    assert np.allclose(again["u1"], 1 - 1 / again.p, atol=1e-9)
    assert np.abs(again["u2"]).max() < 1e-9


# ---------------------------------------------------------------------------------------------
# pp2: predator-prey with harvesting, u1' = p2 u1 (1 - u1) - u1 u2 - p1 (1 - e^{-p3 u1}),
#      u2' = -u2 + p4 u1 u2, (p2, p3, p4) = (3, 5, 3), p1 in [0, 1.2] from the origin.


def pp2() -> ig.Model:
    return ig.Model.from_equations(
        {"u1": "p2*u1*(1 - u1) - u1*u2 - p1*(1 - exp(-p3*u1))", "u2": "-u2 + p4*u1*u2"},
        parameters={"p1": 0.0, "p2": 3.0, "p3": 5.0, "p4": 3.0},
        name="pp2",
    )


PP2_BOUNDS = {"u1": (-2.5, 2.5), "u2": (-2.5, 2.5)}


def test_pp2_three_branches() -> None:
    m = pp2()
    e = mp.exp(mp.mpf(-5) / 3)
    # u2 = 0: p1 = 3 u1 (1 - u1) / (1 - e^{-5 u1}); the fold is where d p1 / d u1 = 0.
    p_of = lambda u: 3 * u * (1 - u) / (1 - mp.exp(-5 * u))  # noqa: E731
    u_fold = mp.findroot(lambda u: mp.diff(p_of, u), 0.4)
    refs = {
        "bp_origin": 0.6,  # d f1/d u1 = 3 - 5 p1 at the origin
        "bp_prey": float(p_of(mp.mpf(1) / 3)),  # u1 = 1/p4 on u2 = 0
        "fold": float(p_of(u_fold)),
        # u1 = 1/3, u2 = 2 - 3 p1 (1 - e): trace 1 - u2 - 5 p1 e = 0.
        "hopf": float(1 / (3 - 8 * e)),
    }
    origin = ig.continuation(
        m, "p1", x0=[0.0, 0.0], params={"p1": 0.0}, p_range=(0.0, 1.2), bounds=PP2_BOUNDS,
        switch_branches=True,
    )
    assert origin.success and kinds(origin) == ["transcritical"]
    near(origin, "transcritical", refs["bp_origin"])
    (prey,) = origin.children
    assert prey.success, prey.message  # ends on `bounds` and p1 = 0, not after max_steps
    assert np.abs(prey["u2"]).max() < 1e-9
    assert kinds(prey) == ["fold", "transcritical", "transcritical"]
    near(prey, "transcritical", refs["bp_origin"])
    bp = near(prey, "transcritical", refs["bp_prey"])
    fold = near(prey, "fold", refs["fold"])
    assert abs(fold.x[0] - float(u_fold)) < 1e-7
    coexist = ig.switch_branch(m, bp, p_range=(0.0, 1.2), bounds=PP2_BOUNDS)
    assert coexist.success, coexist.message
    assert np.allclose(coexist["u1"], 1 / 3, atol=1e-9)
    assert np.allclose(coexist["u2"], 2 - 3 * coexist.p * float(1 - e), atol=1e-9)
    assert kinds(coexist) == ["hopf", "transcritical"]
    hopf = near(coexist, "hopf", refs["hopf"])
    assert hopf.frequency is not None and hopf.frequency > 0
    # switch_branches=True reaches it by itself, one level further down.
    (auto,) = prey.children
    assert np.allclose(auto["u1"], 1 / 3, atol=1e-9) and kinds(auto) == kinds(coexist)
    near(auto, "hopf", refs["hopf"])


# ---------------------------------------------------------------------------------------------
# pp3: a three-species food chain, (p2, ..., p6) = (0.25, 0.5, 4, 3, 5), p1 in [0, 2] from
#      u = (1, 0, 0); AUTO bounds the norm by 1.2.


def pp3() -> ig.Model:
    return ig.Model.from_equations(
        {
            "u1": "u1*(1 - u1) - p4*u1*u2",
            "u2": "-p2*u2 + p4*u1*u2 - p5*u2*u3 - p1*(1 - exp(-p6*u2))",
            "u3": "-p3*u3 + p5*u2*u3",
        },
        parameters={"p1": 0.0, "p2": 0.25, "p3": 0.5, "p4": 4.0, "p5": 3.0, "p6": 5.0},
        name="pp3",
    )


PP3_BOUNDS = {s: (-1.2, 1.2) for s in ("u1", "u2", "u3")}


def pp3_references() -> dict[str, list[float]]:
    one = mp.mpf(1)
    # u3 = 0: u1 = 1 - 4 u2, p1 = u2 (3.75 - 16 u2) / (1 - e^{-5 u2}); the Jacobian is block
    # triangular, the (u1, u2) block below and the eigenvalue 3 u2 - 0.5 in the u3 direction.
    def p_of(u2: mp.mpf) -> mp.mpf:
        return u2 * (mp.mpf("3.75") - 16 * u2) / (1 - mp.exp(-5 * u2))

    def block(u2: mp.mpf) -> mp.matrix:
        u1, p1 = 1 - 4 * u2, p_of(u2)
        return mp.matrix([[1 - 2 * u1 - 4 * u2, -4 * u1],
                          [4 * u2, mp.mpf("-0.25") + 4 * u1 - 5 * p1 * mp.exp(-5 * u2)]])

    def trace(u2: mp.mpf) -> mp.mpf:
        j = block(u2)
        return j[0, 0] + j[1, 1]

    # u1 = 1 - 4 u2 >= -1.2 and p1 in [0, 2]: u2 in (0, 3.75/16).
    hopf_prey = [float(p_of(u)) for u in roots_on(trace, 1e-6, 3.75 / 16 - 1e-9)
                 if mp.det(block(u)) > 0]
    bp = float(p_of(one / 6))  # 3 u2 - 0.5 = 0
    # u1 = 1/3, u2 = 1/6, u3 = 2 (-1/24 + 2/9 - p1 (1 - e^{-5/6})): Hopf where the
    # characteristic polynomial l^3 + a1 l^2 + a2 l + a3 has a1 a2 = a3 with a2 > 0.
    e = mp.exp(-one * 5 / 6)

    def jac(p1: mp.mpf) -> mp.matrix:
        u1, u2 = one / 3, one / 6
        u3 = 2 * (-one / 24 + one * 2 / 9 - p1 * (1 - e))
        return mp.matrix([
            [1 - 2 * u1 - 4 * u2, -4 * u1, 0],
            [4 * u2, mp.mpf("-0.25") + 4 * u1 - 3 * u3 - 5 * p1 * e, -3 * u2],
            [0, 3 * u3, mp.mpf("-0.5") + 3 * u2],
        ])

    def hurwitz(p1: mp.mpf) -> tuple[mp.mpf, mp.mpf]:
        j = jac(p1)
        a1 = -(j[0, 0] + j[1, 1] + j[2, 2])
        a2 = sum(j[i, i] * j[k, k] - j[i, k] * j[k, i] for i in range(3) for k in range(i + 1, 3))
        a3 = -mp.det(j)
        return a1 * a2 - a3, a2

    # u3 within the bounds: p1 from 0 to where u3 = -1.2.
    p_end = float((-one / 24 + one * 2 / 9 + mp.mpf("0.6")) / (1 - e))
    hopf_top = [float(p) for p in roots_on(lambda p: hurwitz(p)[0], 0.0, p_end)
                if hurwitz(p)[1] > 0]
    return {"bp": [0.75, bp], "hopf_prey": hopf_prey, "hopf_top": hopf_top}


def test_pp3_hopf_points_on_switched_branches() -> None:
    m = pp3()
    ref = pp3_references()
    assert len(ref["hopf_prey"]) == 2 and len(ref["hopf_top"]) == 2
    first = ig.continuation(
        m, "p1", x0=[1.0, 0.0, 0.0], params={"p1": 0.0}, p_range=(0.0, 2.0), bounds=PP3_BOUNDS,
        switch_branches=True,
    )
    assert first.success and kinds(first) == ["transcritical"]
    near(first, "transcritical", 0.75)
    (prey,) = first.children
    assert prey.success, prey.message
    assert np.abs(prey["u3"]).max() < 1e-9
    assert np.allclose(prey["u1"], 1 - 4 * prey["u2"], atol=1e-9)
    assert kinds(prey) == ["hopf", "hopf", "transcritical", "transcritical"]
    for p in ref["hopf_prey"]:
        near(prey, "hopf", p)
    bp = near(prey, "transcritical", ref["bp"][1])
    top = ig.switch_branch(m, bp, p_range=(0.0, 2.0), bounds=PP3_BOUNDS)
    assert top.success, top.message
    assert np.allclose(top["u1"], 1 / 3, atol=1e-9) and np.allclose(top["u2"], 1 / 6, atol=1e-9)
    assert kinds(top) == ["hopf", "hopf", "transcritical"]
    for p in ref["hopf_top"]:
        near(top, "hopf", p)
    (auto,) = prey.children
    assert np.allclose(auto["u2"], 1 / 6, atol=1e-9) and kinds(auto) == kinds(top)
    for p in ref["hopf_top"]:
        near(auto, "hopf", p)


# ---------------------------------------------------------------------------------------------
# enz: two coupled enzyme cells, s0 in [0, 35], rm = 0, rh = 100, rk = 1; the symmetric branch
#      s1 = s2 loses symmetry at two pitchforks joined by one asymmetric loop.


def enz() -> ig.Model:
    return ig.Model.from_equations(
        {
            "s1": "(s0 - s1) + (s2 - s1) - rh*s1/(1 + s1 + rk*s1**2)",
            "s2": "(s0 + rm - s2) + (s1 - s2) - rh*s2/(1 + s2 + rk*s2**2)",
        },
        parameters={"s0": 0.0, "rm": 0.0, "rh": 100.0, "rk": 1.0},
        name="enz",
    )


def enz_symmetric(k: int) -> list[float]:
    """s0 where the symmetric branch has a fold (k = 1) or a pitchfork (k = 3).

    On s1 = s2 = s, s0 = s + 100 R(s) with R(s) = s / (1 + s + s^2), R' = (1 - s^2)/(1 + s + s^2)^2;
    the symmetric mode has eigenvalue -1 - 100 R' (fold), the antisymmetric one -3 - 100 R'
    (pitchfork): the positive roots of 100 (1 - s^2) + k (1 + s + s^2)^2.
    """
    coeffs = [k, 2 * k, 3 * k - 100, 2 * k, k + 100]  # k (1 + s + s^2)^2 + 100 (1 - s^2)
    roots = [r.real for r in mp.polyroots(coeffs, maxsteps=200, extraprec=60) if abs(r.imag) < 1e-20]
    return sorted(float(s + 100 * s / (1 + s + s * s)) for s in roots if s > 0)


def test_enz_symmetric_branch_and_the_asymmetric_loop() -> None:
    m = enz()
    folds, pitchforks = enz_symmetric(1), enz_symmetric(3)
    assert len(folds) == 2 and len(pitchforks) == 2
    br = ig.continuation(
        m, "s0", x0=[0.0, 0.0], params={"s0": 0.0}, p_range=(0.0, 35.0), ds_max=0.25,
        switch_branches=True,
    )
    assert br.success, br.message
    assert np.allclose(br["s1"], br["s2"], atol=1e-9)
    assert kinds(br) == ["fold", "fold", "pitchfork", "pitchfork"]
    for p in folds:
        near(br, "fold", p)
    for p in pitchforks:
        near(br, "pitchfork", p)
    # The asymmetric loop: its folds solve F = 0, det F_x = 0 (mpmath Newton from the located
    # points); mirror images (s1 <-> s2) in pairs.
    # Both pitchforks lie on the one loop: it is followed once, not once from each.
    (loop,) = br.children
    assert "closed loop" in loop.message and not loop.children
    assert kinds(loop) == ["fold"] * 4 + ["pitchfork"] * 2
    for p in pitchforks:
        near(loop, "pitchfork", p)

    def extended(s1: mp.mpf, s2: mp.mpf, s0: mp.mpf) -> list[mp.mpf]:
        def r(s: mp.mpf) -> mp.mpf:
            return s / (1 + s + s * s)

        def dr(s: mp.mpf) -> mp.mpf:
            return (1 - s * s) / (1 + s + s * s) ** 2

        f1 = (s0 - s1) + (s2 - s1) - 100 * r(s1)
        f2 = (s0 - s2) + (s1 - s2) - 100 * r(s2)
        det = (-2 - 100 * dr(s1)) * (-2 - 100 * dr(s2)) - 1
        return [f1, f2, det]

    for fold in loop.of_kind("fold"):
        s1, s2, s0 = mp.findroot(extended, (fold.x[0], fold.x[1], fold.p))
        assert abs(fold.p - float(s0)) < TOL
        assert abs(fold.x[0] - float(s1)) < 1e-7 and abs(fold.x[1] - float(s2)) < 1e-7
    assert len({round(f.p, 6) for f in loop.of_kind("fold")}) == 2
    for child in br.children:
        assert np.all(np.isfinite(child.x)) and child.success, child.message
