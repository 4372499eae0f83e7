"""Two-parameter continuation: fold curves and their cusp, Hopf curves, Bogdanov-Takens points."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import sympy

import incentive_geometry as ig

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def diversity() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x) - theta*c) + mu*(1/2 - x)"},
        parameters={
            "alpha": 1.0,
            "theta": {"default": 0.3, "domain": [0, 1]},
            "b": 0.2,
            "gamma": 1.0,
            "c": 1.0,
            "mu": {"default": 0.02, "domain": "nonnegative"},
        },
        states={"x": {"domain": [0, 1]}},
        name="entrenchment_diversity",
    )


def symbolic_cusp() -> tuple[float, float, float]:
    """The cusp from f = f_x = f_xx = 0 (sympy, exact), as floats (x, theta, mu)."""
    x, th, mu = sympy.symbols("x theta mu")
    f = x * (1 - x) * ((1 - th) * (sympy.Rational(1, 5) + x) - th) + mu * (sympy.Rational(1, 2) - x)
    sols = sympy.solve([f, sympy.diff(f, x), sympy.diff(f, x, 2)], [x, th, mu], dict=True)
    real = [s for s in sols if all(v.is_real for v in s.values()) and 0 <= s[x] <= 1]
    assert len(real) == 1
    s = real[0]
    return float(s[x]), float(s[th]), float(s[mu])


def test_fold_curves_of_the_diversity_model_meet_at_the_symbolic_cusp() -> None:
    m = diversity()
    br = ig.continuation(
        m, "theta", x0={"x": 0.1}, params={"theta": 0.3, "mu": 0.02}, p_range=(0.0, 1.0)
    )
    lower, upper = sorted(br.of_kind("fold"), key=lambda f: f.p)
    x_c, theta_c, mu_c = symbolic_cusp()
    curves = [
        ig.bifurcation_curve(
            m,
            fold,
            "mu",
            p_range={"theta": (0, 1), "mu": (0, 0.5)},
            bounds={"x": (0, 1)},
            ds_max=0.01,
        )
        for fold in (lower, upper)
    ]
    for curve in curves:
        (cusp,) = [s for s in curve.special if s.kind == "cusp"]
        assert abs(cusp.params["theta"] - theta_c) < 1e-10
        assert abs(cusp.params["mu"] - mu_c) < 1e-10
        assert abs(cusp.x[0] - x_c) < 1e-6
        # Every point of the curve satisfies the fold conditions f = f_x = 0.
        xs, th, mu = curve["x"], curve["theta"], curve["mu"]
        G = (1 - th) * (0.2 + xs) - th
        f = xs * (1 - xs) * G + mu * (0.5 - xs)
        fx = (1 - 2 * xs) * G + xs * (1 - xs) * (1 - th) - mu
        assert np.abs(f).max() < 1e-9 and np.abs(fx).max() < 1e-8
        # Towards mu = 0 the curve ends near the transcritical points theta = 1/6 and 6/11.
        assert curve.p[:, 1].min() < 1e-3
    # The curve runs from the transcritical point theta = 1/6 (mu -> 0, x -> 0) through the
    # cusp to theta* = 6/11 (mu -> 0, x -> 1): the bistable region lies between its two arms.
    for curve in curves:
        ends = sorted(float(curve.p[k, 0]) for k in (0, -1))
        assert ends[0] == pytest.approx(1 / 6, abs=0.02)
        assert ends[1] == pytest.approx(6 / 11, abs=0.02)
    mid_theta = 0.5 * (lower.p + upper.p)
    assert len(ig.find_equilibria(m, params={"theta": mid_theta, "mu": 0.02})) == 3
    mu_above = mu_c * 1.2
    for theta in np.linspace(0.05, 0.95, 7):
        eqs = ig.find_equilibria(m, params={"theta": float(theta), "mu": mu_above})
        assert len(eqs) == 1


def test_cusp_of_the_normal_form_and_the_fold_curve_27a2_eq_4b3() -> None:
    m = ig.Model.from_equations({"x": "a + b*x - x**3"}, parameters={"a": 0.0, "b": 1.0})
    br = ig.continuation(m, "a", x0=[1.0], params={"b": 1.0}, p_range=(-1, 1))
    curve = ig.bifurcation_curve(
        m, br.bifurcations[0], "b", p_range={"a": (-1, 1), "b": (-0.5, 1.5)}
    )
    (cusp,) = curve.special
    assert cusp.kind == "cusp" and abs(cusp.params["a"]) < 1e-10 and abs(cusp.params["b"]) < 1e-10
    assert np.abs(27 * curve["a"] ** 2 - 4 * curve["b"] ** 3).max() < 1e-9


def test_bogdanov_takens_on_fold_and_hopf_curves() -> None:
    # Normal form x' = y, y' = b1 + b2 x + x^2 + x y: folds on b1 = b2^2/4, Hopf on b1 = 0, b2 < 0
    # ... BT at (0, 0).
    m = ig.Model.from_equations(
        {"x": "y", "y": "b1 + b2*x + x**2 + x*y"}, parameters={"b1": -1.0, "b2": 1.0}
    )
    br = ig.continuation(m, "b1", x0=[-1.0, 0.0], params={"b2": 1.0}, p_range=(-2, 2))
    fold = br.of_kind("fold")[0]
    assert abs(fold.p - 0.25) < 1e-9
    curve = ig.bifurcation_curve(m, fold, "b2", p_range={"b1": (-1, 1), "b2": (-1, 1.5)})
    bt = [s for s in curve.special if s.kind == "bogdanov_takens"]
    assert bt and abs(bt[0].params["b1"]) < 1e-8 and abs(bt[0].params["b2"]) < 1e-8
    assert np.abs(curve["b1"] - curve["b2"] ** 2 / 4).max() < 1e-9
    # Hopf points of the branch at b2 = -1: the equilibria x = (-b2 +- sqrt(b2^2 - 4 b1))/2,
    # trace = x = 0 at b1 = 0.
    br2 = ig.continuation(
        m, "b1", x0=[-0.4, 0.0], params={"b2": -1.0, "b1": -0.5}, p_range=(-1, 0.5)
    )
    hopf = br2.of_kind("hopf")
    assert hopf and abs(hopf[0].p) < 1e-9
    hcurve = ig.bifurcation_curve(m, hopf[0], "b2", p_range={"b1": (-1, 1), "b2": (-1.5, 0.5)})
    assert np.abs(hcurve["b1"]).max() < 1e-9
    bt2 = [s for s in hcurve.special if s.kind == "bogdanov_takens"]
    assert bt2 and abs(bt2[0].params["b2"]) < 1e-7


def test_hopf_curve_of_the_brusselator_is_b_eq_1_plus_a_squared() -> None:
    m = ig.load_model(EXAMPLES / "brusselator.toml")
    br = ig.continuation(m, "b", x0=[1.0, 1.0], params={"a": 1.0}, p_range=(0.5, 3))
    hcurve = ig.bifurcation_curve(
        m, br.of_kind("hopf")[0], "a", p_range={"b": (0.1, 6), "a": (0.2, 2.0)}
    )
    assert hcurve.kind == "hopf" and len(hcurve.p) > 10
    assert np.abs(hcurve["b"] - (1 + hcurve["a"] ** 2)).max() < 1e-9
    assert math.isclose(hcurve["a"].max(), 2.0, abs_tol=0.1)


def test_failure_paths() -> None:
    m = ig.Model.from_equations({"x": "a + b*x - x**3"}, parameters={"a": 0.0, "b": 1.0})
    br = ig.continuation(m, "a", x0=[1.0], params={"b": 1.0}, p_range=(-1, 1))
    fold = br.bifurcations[0]
    with pytest.raises(ig.ModelError, match="is the start's own parameter"):
        ig.bifurcation_curve(m, fold, "a", p_range={"a": (-1, 1)})
    with pytest.raises(ig.ModelError, match=r"`p_range` needs a \(lo, hi\) pair for `b`"):
        ig.bifurcation_curve(m, fold, "b", p_range={"a": (-1, 1)})
    with pytest.raises(ig.ModelError, match=r"`p_range\['b'\]` = \(0.0, nan\) must be finite"):
        ig.bifurcation_curve(m, fold, "b", p_range={"a": (-1, 1), "b": (0, math.nan)})
    with pytest.raises(ig.ModelError, match="must be a fold or hopf Bifurcation"):
        ig.bifurcation_curve(m, "fold", "b", p_range={"a": (-1, 1), "b": (0, 1)})  # type: ignore[arg-type]
    moved = ig.Bifurcation(
        kind="fold",
        param="a",
        p=0.9,
        x=np.array([3.0]),
        eigenvalues=np.zeros(1, complex),
        params={"b": 1.0},
    )
    # A start off the fold curve converges onto it (Newton on the defining system).
    curve = ig.bifurcation_curve(m, moved, "b", p_range={"a": (-1, 1), "b": (-1, 5)})
    assert np.abs(27 * curve["a"] ** 2 - 4 * curve["b"] ** 3).max() < 1e-8
    # x' = a - x has no fold anywhere: Newton on the fold system cannot converge.
    linear = ig.Model.from_equations({"x": "a - x"}, parameters={"a": 0.0, "b": 1.0})
    fake = ig.Bifurcation(
        kind="fold",
        param="a",
        p=0.0,
        x=np.array([0.0]),
        eigenvalues=np.zeros(1, complex),
        params={"b": 1.0},
    )
    with pytest.raises(
        ig.ConvergenceError, match="Newton on the fold defining system did not converge"
    ):
        ig.bifurcation_curve(linear, fake, "b", p_range={"a": (-1, 1), "b": (-1, 1)})


def test_a_fold_curve_of_a_simplex_model_stays_on_the_simplex() -> None:
    # w1' = w1 w2 g(u), u = w1 - 1/2, g = a + b u - 4 u^3: folds where g = g' = 0, i.e.
    # b = 12 u^2, a = -b u + 4 u^3; the cusp at a = b = 0, u = 0. The old code followed the full
    # Jacobian (the direction off the simplex included) and reported five cusps off the simplex.
    m = ig.Model.from_equations(
        {"w1": "w1*w2*(a + b*(w1 - 0.5) - 4*(w1 - 0.5)**3)",
         "w2": "-w1*w2*(a + b*(w1 - 0.5) - 4*(w1 - 0.5)**3)"},
        parameters={"a": 0.0, "b": 0.5}, simplex=True,
    )
    br = ig.continuation(m, "a", x0=[0.5, 0.5], p_range=(-1, 1))
    fold = br.of_kind("fold")[0]
    curve = ig.bifurcation_curve(m, fold, "b", p_range={"a": (-1, 1), "b": (-0.5, 1)})
    u = curve.x[:, 0] - 0.5
    assert np.allclose(curve.x.sum(axis=1), 1.0, atol=1e-12)
    assert np.abs(curve["b"] - 12 * u**2).max() < 1e-9
    assert np.abs(curve["a"] + curve["b"] * u - 4 * u**3).max() < 1e-9
    (cusp,) = curve.special
    assert cusp.kind == "cusp" and np.allclose(cusp.x, [0.5, 0.5], atol=1e-6)
    assert abs(cusp.params["a"]) < 1e-9 and abs(cusp.params["b"]) < 1e-9
