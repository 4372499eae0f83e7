"""Two-parameter curves of maps (flip, Neimark-Sacker) and the codim-2 points on Hopf curves.

Every reference is exact: closed-form curves of the Henon, harvested logistic and
predator-prey maps, strong resonances where ``cos theta`` of the closed-form multipliers hits
1, -1/2, 0, -1, Bautin points of normal forms (Kuznetsov sec. 8.3; Guckenheimer-Holmes'
formula) and of a Brusselator with a cubic term (the symbolic engine's closed form of l1 on
the Hopf curve, solved exactly), and zero-Hopf points where a decoupled eigenvalue vanishes.
"""

from __future__ import annotations

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.errors import ModelError
from incentive_geometry.solvers.numeric.codim2 import CODIM2_KINDS, CodimTwoPoint, bifurcation_curve


def kinds(curve: ig.BifurcationCurve) -> list[str]:
    return [s.kind for s in curve.special]


def only(curve: ig.BifurcationCurve, kind: str) -> CodimTwoPoint:
    found = [s for s in curve.special if s.kind == kind]
    assert len(found) == 1, (kind, curve.special)
    return found[0]


# --------------------------------------------------------------------------------------------
# Hopf curves: generalized Hopf (Bautin) and zero-Hopf


def test_bautin_point_of_kuznetsovs_normal_form_is_at_the_origin() -> None:
    # Kuznetsov sec. 8.3: rho' = rho (b1 + b2 rho^2 - rho^4); Hopf at b1 = 0, l1 ~ b2.
    r2 = "(x**2 + y**2)"
    m = ig.Model.from_equations(
        {
            "x": f"b1*x - y + b2*x*{r2} - x*{r2}**2",
            "y": f"x + b1*y + b2*y*{r2} - y*{r2}**2",
        },
        parameters={"b1": -0.5, "b2": 0.5},
    )
    br = ig.continuation(m, "b1", x0=[0.0, 0.0], params={"b2": 0.5}, p_range=(-1, 1))
    curve = bifurcation_curve(
        m, br.of_kind("hopf")[0], "b2", p_range={"b1": (-1, 1), "b2": (-1, 1)}
    )
    gh = only(curve, "generalized_hopf")
    assert abs(gh.params["b1"]) < 1e-12 and abs(gh.params["b2"]) < 1e-12
    assert kinds(curve) == ["generalized_hopf"]


def test_bautin_point_from_the_guckenheimer_holmes_formula() -> None:
    # x' = b1 x - y + c x^2 + b2 x^3, y' = x + b1 y + x^2: 16 a = 6 b2 - 4 c, Bautin at b2 = 2c/3.
    m = ig.Model.from_equations(
        {"x": "b1*x - y + c*x**2 + b2*x**3", "y": "x + b1*y + x**2"},
        parameters={"b1": -0.5, "b2": 1.0, "c": 0.75},
    )
    br = ig.continuation(m, "b1", x0=[0.0, 0.0], params={"b2": 1.0}, p_range=(-1, 1))
    curve = bifurcation_curve(
        m, br.of_kind("hopf")[0], "b2", p_range={"b1": (-1, 1), "b2": (-1, 2)}
    )
    gh = only(curve, "generalized_hopf")
    assert abs(gh.params["b1"]) < 1e-12 and abs(gh.params["b2"] - 0.5) < 1e-10


def test_bautin_point_on_the_hopf_curve_of_a_brusselator_with_a_cubic_term() -> None:
    # x' = a - (b + 1) x + x^2 y + e (x - a)^3, y' = b x - x^2 y keeps the Brusselator's Hopf
    # curve b = 1 + a^2; the symbolic engine's l1 there is
    # (3 a^2 e - a^2 - 2) / (2 a (2 a^2 + 1)), zero at a^2 = 2 / (3 e - 1): (a, b) = (1, 2), e = 1.
    m = ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y + e*(x - a)**3", "y": "b*x - x**2*y"},
        parameters={"a": 0.5, "b": 1.0, "e": 1.0},
    )
    br = ig.continuation(m, "b", x0=[0.5, 2.0], params={"a": 0.5}, p_range=(0.5, 3))
    curve = bifurcation_curve(
        m, br.of_kind("hopf")[0], "a", p_range={"a": (0.2, 3), "b": (0.5, 11)}
    )
    assert np.abs(curve["b"] - (1 + curve["a"] ** 2)).max() < 1e-9
    gh = only(curve, "generalized_hopf")
    assert abs(gh.params["a"] - 1) < 1e-10 and abs(gh.params["b"] - 2) < 1e-10
    assert np.allclose(gh.x, [1.0, 2.0], atol=1e-10)


def test_zero_hopf_point_and_no_bautin_at_the_pole_of_l1() -> None:
    # On x = y = 0, z = b: the pair (b - a) +- i and the eigenvalue -b. Hopf curve a = b,
    # zero-Hopf at a = b = 0, where l1 = 2 / b has a pole (it changes sign there, but through
    # infinity: not a Bautin point).
    m = ig.Model.from_equations(
        {"x": "(z - a)*x - y", "y": "x + (z - a)*y", "z": "z*(b - z) + x**2 + y**2"},
        parameters={"a": 0.0, "b": 0.5},
    )
    br = ig.continuation(m, "a", x0=[0.0, 0.0, 0.5], params={"b": 0.5}, p_range=(0, 1))
    hopf = br.of_kind("hopf")[0]
    assert abs(hopf.p - 0.5) < 1e-10
    curve = bifurcation_curve(m, hopf, "b", p_range={"a": (-1, 1), "b": (-1, 1)})
    assert np.abs(curve["a"] - curve["b"]).max() < 1e-10
    zh = only(curve, "zero_hopf")
    assert abs(zh.params["a"]) < 1e-12 and abs(zh.params["b"]) < 1e-12
    assert kinds(curve) == ["zero_hopf"]


def test_zero_hopf_is_not_reported_at_a_bogdanov_takens_point() -> None:
    # The Bogdanov-Takens normal form's Hopf curve (n = 2): no zero-Hopf test at all, and the
    # Bautin test must not fire where omega -> 0 (l1 ~ 1/omega).
    m = ig.Model.from_equations(
        {"x": "y", "y": "b1 + b2*x + x**2 + x*y"}, parameters={"b1": -1.0, "b2": 1.0}
    )
    br = ig.continuation(
        m, "b1", x0=[-0.4, 0.0], params={"b2": -1.0, "b1": -0.5}, p_range=(-1, 0.5)
    )
    curve = bifurcation_curve(
        m, br.of_kind("hopf")[0], "b2", p_range={"b1": (-1, 1), "b2": (-1.5, 0.5)}
    )
    assert kinds(curve) == ["bogdanov_takens"]


# --------------------------------------------------------------------------------------------
# Flip curves of maps


def test_henon_flip_curve_is_a_eq_3_4_one_minus_b_squared_with_its_1_2_resonance() -> None:
    # Henon x -> 1 - a x^2 + y, y -> b x: flip on a = 3 (1 - b)^2 / 4, the other multiplier
    # is b (product -b), so the 1:2 resonance (double -1) is at b = -1, a = 3.
    m = ig.Model.from_equations(
        {"x": "1 - a*x**2 + y", "y": "b*x"}, parameters={"a": 0.1, "b": 0.3}, time="discrete"
    )
    br = ig.continuation(m, "a", x0=[0.5, 0.15], p_range=(0, 1))
    flip = br.of_kind("flip")[0]
    assert abs(flip.p - 0.3675) < 1e-10
    curve = bifurcation_curve(m, flip, "b", p_range={"a": (-1, 4), "b": (-1.5, 0.9)})
    assert curve.kind == "flip" and curve.success and len(curve.p) > 10
    assert np.abs(curve["a"] - 0.75 * (1 - curve["b"]) ** 2).max() < 1e-10
    assert curve["b"].min() < -1.3 and curve["b"].max() > 0.85
    r2 = only(curve, "resonance_1_2")
    assert abs(r2.params["a"] - 3) < 1e-9 and abs(r2.params["b"] + 1) < 1e-9
    assert np.allclose(r2.x, [1 / 3, -1 / 3], atol=1e-9)
    assert kinds(curve) == ["resonance_1_2"]


def test_harvested_logistic_flip_curve_is_closed_form() -> None:
    # x -> r x (1 - x) - h: f'(x) = -1 at x = (r + 1) / (2 r), on h = (r + 1)(r - 3) / (4 r).
    m = ig.Model.from_equations(
        {"x": "r*x*(1 - x) - h"}, parameters={"r": 2.5, "h": 0.1}, time="discrete"
    )
    br = ig.continuation(m, "r", x0=[0.5], params={"h": 0.1}, p_range=(2, 4))
    curve = bifurcation_curve(
        m, br.of_kind("flip")[0], "h", p_range={"r": (2, 4), "h": (-0.5, 0.5)}
    )
    r = curve["r"]
    assert np.abs(curve["h"] - (r + 1) * (r - 3) / (4 * r)).max() < 1e-10
    assert np.abs(curve["x"] - (r + 1) / (2 * r)).max() < 1e-10
    assert curve.special == ()


def test_generalized_flip_of_a_scalar_map() -> None:
    # x -> -(1 + a) x + b x^2 - x^3: flip curve a = 0 with c = b^2 - 1 (Kuznetsov sec. 4.4),
    # generalized flip at b = 1.
    m = ig.Model.from_equations(
        {"x": "-(1 + a)*x + b*x**2 - x**3"}, parameters={"a": -0.5, "b": 0.5}, time="discrete"
    )
    br = ig.continuation(m, "a", x0=[0.0], params={"b": 0.5}, p_range=(-1, 0.5))
    curve = bifurcation_curve(m, br.of_kind("flip")[0], "b", p_range={"a": (-1, 1), "b": (0, 2)})
    gpd = only(curve, "generalized_flip")
    assert abs(gpd.params["a"]) < 1e-12 and abs(gpd.params["b"] - 1) < 1e-10


def test_fold_flip_where_the_other_multiplier_passes_one() -> None:
    # x -> -(1 + a) x + x^2 + x y, y -> y + b - y^2: fixed points x = 0, y^2 = b; the flip curve
    # a = y, b = y^2 (the parabola b = a^2) meets the fold of y (multiplier 1 - 2 y = 1) at 0.
    m = ig.Model.from_equations(
        {"x": "-(1 + a)*x + x**2 + x*y", "y": "y + b - y**2"},
        parameters={"a": 0.0, "b": 0.25},
        time="discrete",
    )
    br = ig.continuation(m, "a", x0=[0.0, 0.5], params={"b": 0.25}, p_range=(-1, 1))
    flip = br.of_kind("flip")[0]
    assert abs(flip.p - 0.5) < 1e-10
    curve = bifurcation_curve(m, flip, "b", p_range={"a": (-1, 1), "b": (-0.5, 1)})
    assert np.abs(curve["b"] - curve["a"] ** 2).max() < 1e-10
    ff = only(curve, "fold_flip")
    assert abs(ff.params["a"]) < 1e-10 and abs(ff.params["b"]) < 1e-10


# --------------------------------------------------------------------------------------------
# Neimark-Sacker curves of maps


def test_predator_prey_neimark_sacker_curve_and_its_strong_resonances() -> None:
    # x -> r x (1 - x) - x y, y -> c x y: fixed point x = 1/c, y = r (1 - x) - 1, det = 1 on
    # r = c / (c - 2), where cos theta = 1 - 1 / (2 (c - 2)): 1:4 at c = 5/2, 1:3 at c = 7/3,
    # 1:2 at c = 9/4 (r = 5, 7, 9).
    m = ig.Model.from_equations(
        {"x": "r*x*(1 - x) - x*y", "y": "c*x*y"}, parameters={"r": 2.0, "c": 3.0}, time="discrete"
    )
    br = ig.continuation(m, "r", x0=[1 / 3, 0.5], params={"c": 3.0}, p_range=(1.6, 4))
    ns = br.of_kind("neimark_sacker")[0]
    assert abs(ns.p - 3) < 1e-10
    curve = bifurcation_curve(m, ns, "c", p_range={"r": (0.5, 10), "c": (2.1, 6)})
    assert curve.kind == "neimark_sacker"
    assert np.abs(curve["r"] - curve["c"] / (curve["c"] - 2)).max() < 1e-10
    expected = {
        "resonance_1_4": (2.5, 5.0),
        "resonance_1_3": (7 / 3, 7.0),
        "resonance_1_2": (2.25, 9.0),
    }
    assert sorted(kinds(curve)) == sorted(expected)
    for kind, (c, r) in expected.items():
        pt = only(curve, kind)
        assert abs(pt.params["c"] - c) < 1e-9 and abs(pt.params["r"] - r) < 1e-9


def test_neimark_sacker_curve_from_the_delayed_logistic_map_ends_in_resonances() -> None:
    # x -> a x (1 - y), y -> b x + (1 - b) y: x = y = 1 - 1/a, det = 1 + b (a - 2): NS on a = 2
    # (the delayed logistic map at b = 1), cos theta = (2 - b)/2: 1:1 at b = 0, 1:4 at b = 2,
    # 1:3 at b = 3, 1:2 at b = 4.
    m = ig.Model.from_equations(
        {"x": "a*x*(1 - y)", "y": "b*x + (1 - b)*y"},
        parameters={"a": 1.5, "b": 1.0},
        time="discrete",
    )
    br = ig.continuation(m, "a", x0=[1 / 3, 1 / 3], params={"b": 1.0}, p_range=(1.2, 2.5))
    ns = br.of_kind("neimark_sacker")[0]
    assert abs(ns.p - 2) < 1e-10
    curve = bifurcation_curve(m, ns, "b", p_range={"a": (1.5, 2.5), "b": (-0.5, 4.5)})
    assert np.abs(curve["a"] - 2).max() < 1e-10
    expected = {
        "resonance_1_1": 0.0,
        "resonance_1_4": 2.0,
        "resonance_1_3": 3.0,
        "resonance_1_2": 4.0,
    }
    assert sorted(kinds(curve)) == sorted(expected)
    for kind, b in expected.items():
        assert abs(only(curve, kind).params["b"] - b) < 1e-9


def test_chenciner_point_of_the_neimark_sacker_normal_form() -> None:
    # z -> (1 + a) e^{i} z (1 + b |z|^2): NS curve a = 0 with d = 2 b: Chenciner at b = 0.
    r2 = "(x**2 + y**2)"
    m = ig.Model.from_equations(
        {
            "x": f"(1 + a)*(1 + b*{r2})*(cos(1)*x - sin(1)*y)",
            "y": f"(1 + a)*(1 + b*{r2})*(sin(1)*x + cos(1)*y)",
        },
        parameters={"a": -0.5, "b": 0.5},
        time="discrete",
    )
    br = ig.continuation(m, "a", x0=[0.0, 0.0], params={"b": 0.5}, p_range=(-1, 1))
    curve = bifurcation_curve(
        m, br.of_kind("neimark_sacker")[0], "b", p_range={"a": (-1, 1), "b": (-1, 1)}
    )
    ch = only(curve, "chenciner")
    assert abs(ch.params["a"]) < 1e-12 and abs(ch.params["b"]) < 1e-12
    assert kinds(curve) == ["chenciner"]


def test_curve_kinds_are_checked_against_the_models_time() -> None:
    flow = ig.Model.from_equations(
        {"x": "-y + a*x", "y": "x + a*y - x**2*y"}, parameters={"a": -0.5, "b": 0.0}
    )
    br = ig.continuation(flow, "a", x0=[0.0, 0.0], p_range=(-1, 1))
    hopf = br.of_kind("hopf")[0]
    fake = ig.Bifurcation("flip", "a", hopf.p, hopf.x, hopf.eigenvalues, hopf.state_names)
    with pytest.raises(ModelError, match="curves are for maps"):
        bifurcation_curve(flow, fake, "b", p_range={"a": (-1, 1), "b": (-1, 1)})
    assert set(CODIM2_KINDS) >= {"generalized_hopf", "zero_hopf", "chenciner", "resonance_1_2"}
    with pytest.raises(ModelError, match="`kind`"):
        CodimTwoPoint("double_hopf", {"a": 0.0, "b": 0.0}, np.zeros(2))
