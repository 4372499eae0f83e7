"""Numerical criticality coefficients (first Lyapunov, flip, Neimark-Sacker) against references.

The references are textbook closed forms (normal forms, Guckenheimer-Holmes' planar formula,
Kuznetsov's scalar flip formula), signs known from the literature (Brusselator supercritical,
Lorenz subcritical, delayed logistic map supercritical) and the symbolic engine's closed forms
(an independent implementation: exact derivatives and exact eigenvectors).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

import incentive_geometry as ig
from incentive_geometry.errors import ModelError
from incentive_geometry.solvers.numeric.compile import compile_model
from incentive_geometry.solvers.numeric.normal_form import (
    first_lyapunov,
    flip_coefficient,
    neimark_sacker_coefficient,
    normal_form_coefficient,
)
from incentive_geometry.solvers.symbolic.lyapunov import hopf_coefficient

METHODS = ("exact", "fd")
#: Relative accuracy asserted for each method (measured: 1e-15 exact, 1e-10 to 1e-12 fd).
RTOL = {"exact": 1e-12, "fd": 1e-8}


def hopf_normal_form(omega: float, s: float) -> ig.Model:
    r2 = "(x**2 + y**2)"
    return ig.Model.from_equations(
        {"x": f"a*x - w*y + s*x*{r2}", "y": f"w*x + a*y + s*y*{r2}"},
        parameters={"a": 0.0, "w": omega, "s": s},
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("omega", "s"), [(1.0, 1.0), (1.0, -0.3), (2.5, -1.0), (0.4, 2.0)])
def test_hopf_normal_form_l1_is_2s_over_omega_and_s_over_omega_planar(
    method: str, omega: float, s: float
) -> None:
    cm = compile_model(hopf_normal_form(omega, s))
    p = [0.0, omega, s]
    l1 = first_lyapunov(cm, [0.0, 0.0], p, method=method)
    assert l1 == pytest.approx(2 * s / omega, rel=RTOL[method])
    # Kuznetsov sec. 3.4-3.5: z' = (mu + i omega) z + s z |z|^2 has l1 = s / omega.
    planar = first_lyapunov(cm, [0.0, 0.0], p, method=method, normalization="planar")
    assert planar == pytest.approx(s / omega, rel=RTOL[method])
    r = normal_form_coefficient(cm, [0.0, 0.0], p, "hopf", method=method)
    assert r.criticality == ("supercritical" if s < 0 else "subcritical")
    assert r.frequency == pytest.approx(omega, rel=1e-14)


def guckenheimer_holmes_a(
    omega: float, f: sympy.Expr, g: sympy.Expr, x: sympy.Symbol, y: sympy.Symbol
) -> float:
    """G&H (3.4.11) for x' = -omega y + f, y' = omega x + g: the coefficient ``a``."""

    def d(h: sympy.Expr, *v: sympy.Symbol) -> float:
        return float(sympy.diff(h, *v).subs({x: 0, y: 0}))

    return (
        d(f, x, x, x)
        + d(f, x, y, y)
        + d(g, x, x, y)
        + d(g, y, y, y)
        + (
            d(f, x, y) * (d(f, x, x) + d(f, y, y))
            - d(g, x, y) * (d(g, x, x) + d(g, y, y))
            - d(f, x, x) * d(g, x, x)
            + d(f, y, y) * d(g, y, y)
        )
        / omega
    ) / 16


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planar_l1_agrees_with_the_guckenheimer_holmes_formula(seed: int) -> None:
    # Random quadratic and cubic terms; G&H's a relates to the unit-q l1 by l1 = 2 a / omega.
    rng = np.random.default_rng(seed)
    x, y = sympy.symbols("x y")
    monomials = [x**2, x * y, y**2, x**3, x**2 * y, x * y**2, y**3]
    cf, cg = rng.normal(size=7).round(3), rng.normal(size=7).round(3)
    f = sum(sympy.Float(c) * mono for c, mono in zip(cf, monomials, strict=True))
    g = sum(sympy.Float(c) * mono for c, mono in zip(cg, monomials, strict=True))
    omega = float(rng.uniform(0.5, 2.0))
    m = ig.Model.from_equations({"x": f"-w*y + {f}", "y": f"w*x + {g}"}, parameters={"w": omega})
    a = guckenheimer_holmes_a(omega, f, g, x, y)
    for method in METHODS:
        l1 = first_lyapunov(compile_model(m), [0.0, 0.0], [omega], method=method)
        assert l1 == pytest.approx(2 * a / omega, rel=RTOL[method], abs=1e-12)


def test_planar_l1_of_transcendental_terms_agrees_with_guckenheimer_holmes() -> None:
    # Non-polynomial right-hand side: central differences are not exact here, so this checks
    # the finite-difference route's truncation error (Richardson) as well as the polarization.
    x, y = sympy.symbols("x y")
    omega = 1.7
    f = x * (sympy.exp(y) - 1) + sympy.sin(x) ** 2 - sympy.Rational(1, 3) * sympy.sinh(x * y) * y
    g = sympy.log(1 + x * y) - sympy.cos(x) * y**3 + sympy.atan(x**2)
    m = ig.Model.from_equations({"x": f"-w*y + {f}", "y": f"w*x + {g}"}, parameters={"w": omega})
    a = guckenheimer_holmes_a(omega, f, g, x, y)
    for method in METHODS:
        l1 = first_lyapunov(compile_model(m), [0.0, 0.0], [omega], method=method)
        assert l1 == pytest.approx(2 * a / omega, rel=RTOL[method])


def brusselator() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"}, parameters={"a": 1.0, "b": 2.0}
    )


@pytest.mark.parametrize("a", [0.5, 1.0, 2.0, 3.7])
def test_brusselator_is_supercritical_and_agrees_with_the_symbolic_closed_form(a: float) -> None:
    cm = compile_model(brusselator())
    b = 1 + a**2
    # The symbolic engine's closed form on the Hopf curve b = 1 + a^2, unit q.
    reference = -(a**2 + 2) / (2 * a * (2 * a**2 + 1))
    for method in METHODS:
        r = normal_form_coefficient(cm, [a, b / a], [a, b], "hopf", method=method)
        assert r.criticality == "supercritical"
        assert r.coefficient == pytest.approx(reference, rel=RTOL[method])


def test_lorenz_hopf_point_is_subcritical_with_the_symbolic_value() -> None:
    sigma, b = 10.0, 8.0 / 3.0
    r = sigma * (sigma + b + 3) / (sigma - b - 1)  # r_H = 470/19
    m = ig.Model.from_equations(
        {"x": "sigma*(y - x)", "y": "r*x - y - x*z", "z": "x*y - b*z"},
        parameters={"sigma": sigma, "r": r, "b": b},
    )
    cm = compile_model(m)
    xe = math.sqrt(b * (r - 1))
    point, p = [xe, xe, r - 1], {"sigma": sigma, "r": r, "b": b}
    # Closed form from the symbolic engine, exact arithmetic with sqrt(2090).
    X, Y, Z = sympy.symbols("x y z", real=True)
    S, B = sympy.Integer(10), sympy.Rational(8, 3)
    R = S * (S + B + 3) / (S - B - 1)
    xs = sympy.sqrt(B * (R - 1))
    sym = hopf_coefficient(
        [S * (Y - X), R * X - Y - X * Z, X * Y - B * Z], (X, Y, Z), {X: xs, Y: xs, Z: R - 1}
    )
    assert sym.closed_form
    reference = float(sym.value)
    assert reference == pytest.approx(6857916639 * math.sqrt(2090) / 1180782168088325, rel=1e-14)
    for method in METHODS:
        c = normal_form_coefficient(cm, point, p, "hopf", method=method)
        assert c.criticality == "subcritical"
        assert c.coefficient == pytest.approx(reference, rel=RTOL[method])
        # At the Hopf point of the cubic l^3 + (sigma + b + 1) l^2 + b (sigma + r) l + ...: omega^2 = b (sigma + r).
        assert c.frequency == pytest.approx(math.sqrt(b * (sigma + r)), rel=1e-12)


def test_three_dimensional_rotated_system_with_a_centre_manifold() -> None:
    # u' = -w v + s u r^2 + k u z, v' = w u + s v r^2 + k v z, z' = -lam z + r^2: the centre
    # manifold z = r^2 / lam + O(r^4) (rotational symmetry), so l1 = 2 (s + k / lam) / omega,
    # and l1 is invariant under an orthogonal change of coordinates, here a random rotation.
    omega, s, k, lam = 1.3, -0.4, 0.9, 2.0
    Q, _ = np.linalg.qr(np.random.default_rng(7).normal(size=(3, 3)))
    y = sympy.symbols("y0 y1 y2")
    u, v, z = (sum(sympy.Float(Q[j, i]) * y[j] for j in range(3)) for i in range(3))
    r2 = u**2 + v**2
    g = [-omega * v + s * u * r2 + k * u * z, omega * u + s * v * r2 + k * v * z, -lam * z + r2]
    rhs = [sum(sympy.Float(Q[i, j]) * g[j] for j in range(3)) for i in range(3)]
    m = ig.Model.from_equations({f"y{i}": str(rhs[i]) for i in range(3)}, parameters={})
    cm = compile_model(m)
    for method in METHODS:
        l1 = first_lyapunov(cm, [0.0, 0.0, 0.0], np.zeros(0), method=method)
        assert l1 == pytest.approx(2 * (s + k / lam) / omega, rel=RTOL[method])


def test_bautin_point_is_degenerate() -> None:
    # x' = -y + c x^2 + b2 x^3, y' = x + x^2: G&H 16 a = 6 b2 - 4 c, zero at b2 = 2 c / 3.
    m = ig.Model.from_equations(
        {"x": "-y + c*x**2 + b2*x**3", "y": "x + x**2"}, parameters={"c": 0.75, "b2": 0.5}
    )
    r = normal_form_coefficient(compile_model(m), [0.0, 0.0], [0.75, 0.5], "hopf")
    assert r.criticality == "degenerate" and r.supercritical is None
    assert abs(r.coefficient) < 1e-14
    r2 = normal_form_coefficient(compile_model(m), [0.0, 0.0], {"b2": 0.6}, "hopf")
    assert r2.coefficient == pytest.approx(2 * (6 * 0.6 - 3) / 16, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Maps


@pytest.mark.parametrize(("A", "B"), [(-3.0, 0.0), (0.5, -2.0), (1.2, 0.7)])
def test_scalar_flip_coefficient_is_a2_plus_b(A: float, B: float) -> None:
    # Kuznetsov sec. 4.4: x -> -x + A x^2 + B x^3 has c = A^2 + B (logistic at r = 3: A = -3).
    m = ig.Model.from_equations(
        {"x": "-x + A*x**2 + B*x**3"}, parameters={"A": A, "B": B}, time="discrete"
    )
    for method in METHODS:
        c = flip_coefficient(compile_model(m), [0.0], [A, B], method=method)
        assert c == pytest.approx(A**2 + B, rel=RTOL[method])


def test_logistic_flip_is_supercritical_with_c_9() -> None:
    m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3.0}, time="discrete")
    r = normal_form_coefficient(compile_model(m), {"x": 2 / 3}, {"r": 3.0}, "flip")
    assert r.criticality == "supercritical" and r.coefficient == pytest.approx(9.0, rel=1e-13)
    assert r.frequency is None


@pytest.mark.parametrize("b", [0.3, -0.5, 0.8])
def test_henon_flip_coefficient_agrees_with_the_symbolic_closed_form(b: float) -> None:
    a = 0.75 * (1 - b) ** 2  # the flip curve
    m = ig.Model.from_equations(
        {"x": "1 - a*x**2 + y", "y": "b*x"}, parameters={"a": a, "b": b}, time="discrete"
    )
    xf = (1 - b) / (2 * a)
    reference = -9 * (b - 1) ** 3 / (16 * (b + 1) * (b**2 + 1))  # symbolic engine, factored
    for method in METHODS:
        c = flip_coefficient(compile_model(m), [xf, b * xf], [a, b], method=method)
        assert c == pytest.approx(reference, rel=RTOL[method])


@pytest.mark.parametrize(("theta", "s"), [(1.0, -0.7), (2.0, 0.3), (0.5, 1.5)])
def test_neimark_sacker_normal_form_d_is_2s(theta: float, s: float) -> None:
    # z -> e^{i theta} z (1 + s |z|^2) in real coordinates: d = 2 s (unit), s (planar).
    r2 = "(x**2 + y**2)"
    m = ig.Model.from_equations(
        {
            "x": f"(1 + s*{r2})*(cos(t)*x - sin(t)*y)",
            "y": f"(1 + s*{r2})*(sin(t)*x + cos(t)*y)",
        },
        parameters={"t": theta, "s": s},
        time="discrete",
    )
    cm = compile_model(m)
    for method in METHODS:
        r = normal_form_coefficient(cm, [0.0, 0.0], [theta, s], "neimark_sacker", method=method)
        assert r.coefficient == pytest.approx(2 * s, rel=RTOL[method])
        assert r.frequency == pytest.approx(theta, rel=1e-13)
        assert r.criticality == ("supercritical" if s < 0 else "subcritical")
        d = neimark_sacker_coefficient(
            cm, [0.0, 0.0], [theta, s], method=method, normalization="planar"
        )
        assert d == pytest.approx(s, rel=RTOL[method])


def test_delayed_logistic_neimark_sacker_is_supercritical() -> None:
    m = ig.Model.from_equations(
        {"x": "a*x*(1 - y)", "y": "x"}, parameters={"a": 2.0}, time="discrete"
    )
    for method in METHODS:
        r = normal_form_coefficient(
            compile_model(m), [0.5, 0.5], [2.0], "neimark_sacker", method=method
        )
        assert r.criticality == "supercritical"
        assert r.coefficient == pytest.approx(-1.0, rel=RTOL[method])  # symbolic engine: -1
        assert r.frequency == pytest.approx(math.pi / 3, rel=1e-13)


@pytest.mark.parametrize("c", [2.3, 3.0, 5.0])
def test_predator_prey_map_neimark_sacker_agrees_with_the_symbolic_closed_form(c: float) -> None:
    r = c / (c - 2)  # the Neimark-Sacker curve of x -> r x (1 - x) - x y, y -> c x y
    m = ig.Model.from_equations(
        {"x": "r*x*(1 - x) - x*y", "y": "c*x*y"}, parameters={"r": r, "c": c}, time="discrete"
    )
    point = [1 / c, r * (1 - 1 / c) - 1]
    reference = -(c**3) / (2 * (c - 2) * (c - 1) * (c + 2))
    for method in METHODS:
        d = neimark_sacker_coefficient(compile_model(m), point, [r, c], method=method)
        assert d == pytest.approx(reference, rel=RTOL[method])


# --------------------------------------------------------------------------------------------
# Failure paths


def test_refusals_name_the_argument() -> None:
    flow = compile_model(brusselator())
    with pytest.raises(ModelError, match="is for maps"):
        normal_form_coefficient(flow, [1.0, 2.0], [1.0, 2.0], "flip")
    with pytest.raises(ModelError, match="imaginary axis"):
        first_lyapunov(flow, [1.0, 1.5], [1.0, 1.5])  # b = 1.5 < 1 + a^2: not a Hopf point
    with pytest.raises(ModelError, match="`method`"):
        first_lyapunov(flow, [1.0, 2.0], [1.0, 2.0], method="symbolic")
    with pytest.raises(ModelError, match="`normalization`"):
        first_lyapunov(flow, [1.0, 2.0], [1.0, 2.0], normalization="half")
    with pytest.raises(ModelError, match="`p` has shape"):
        first_lyapunov(flow, [1.0, 2.0], [1.0])
    with pytest.raises(ModelError, match="`kind`"):
        normal_form_coefficient(flow, [1.0, 2.0], [1.0, 2.0], "fold")
    with pytest.raises(ModelError, match="`tol`"):
        normal_form_coefficient(flow, [1.0, 2.0], [1.0, 2.0], "hopf", tol=float("nan"))
    zh = ig.Model.from_equations(
        {"x": "-y + x*z", "y": "x + y*z", "z": "x**2 + y**2 - z**2"}, parameters={}
    )
    with pytest.raises(ModelError, match="zero-Hopf"):
        first_lyapunov(compile_model(zh), [0.0, 0.0, 0.0], np.zeros(0))
    logistic = compile_model(
        ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 2.5}, time="discrete")
    )
    with pytest.raises(ModelError, match="no multiplier -1"):
        flip_coefficient(logistic, [0.6], [2.5])
    with pytest.raises(ModelError, match="is for flows"):
        normal_form_coefficient(logistic, [0.6], [2.5], "hopf")
    square = compile_model(
        ig.Model.from_equations({"x": "-y", "y": "x"}, parameters={}, time="discrete")
    )
    with pytest.raises(ModelError, match="strong resonance 1:4"):
        neimark_sacker_coefficient(square, [0.0, 0.0], np.zeros(0))
