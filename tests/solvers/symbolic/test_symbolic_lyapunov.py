"""Normal-form coefficients (Hopf l1, flip, Neimark-Sacker) against values not derived here.

Independent references used: the planar normal form; the Guckenheimer-Holmes formula (sec. 3.4)
for planar systems in canonical linear form; centre-manifold reductions done by hand; the
logistic map's 2-cycle in closed form; the literature signs (Lorenz subcritical, Brusselator
and Sel'kov supercritical, FitzHugh-Nagumo at the standard parameters subcritical); and
direct simulation: near a Hopf point the cycle has mean-square distance
``2 |z|^2 = -2 alpha / (omega l1)`` from the equilibrium in this module's normalization
(``<q, q> = 1``, ``x = x* + z q + conj(z q)``), near a Neimark-Sacker point the invariant circle
has ``2 |z|^2 = -2 (|mu| - 1) / d``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy
from scipy.integrate import solve_bvp, solve_ivp

from incentive_geometry.errors import ModelError, SymbolicTimeout
from incentive_geometry.solvers.symbolic.lyapunov import (
    NormalFormCoefficient,
    first_lyapunov_coefficient,
    flip_coefficient,
    hopf_coefficient,
    neimark_sacker_coefficient,
)

R = sympy.Rational
x, y, z = sympy.symbols("x y z", real=True)
ORIGIN2 = {x: 0, y: 0}


def _rms_of_attractor(
    f: Callable[[float, np.ndarray], list[float]],
    center: np.ndarray,
    start: np.ndarray,
    t_end: float,
    keep: float,
) -> float:
    """Root-mean-square distance from `center` over the last `keep` time units."""
    t_eval = np.linspace(t_end - keep, t_end, 4000)
    sol = solve_ivp(f, (0.0, t_end), start, method="DOP853", rtol=1e-10, atol=1e-12, t_eval=t_eval)
    assert sol.success
    d = sol.y - center[:, None]
    return float(np.sqrt(np.mean(np.sum(d**2, axis=0))))


def _predicted_rms(jac: np.ndarray, l1: float) -> tuple[float, np.ndarray]:
    """``sqrt(-2 alpha/(omega l1))`` and the critical eigenvector, at a point near the Hopf set."""
    lam, V = np.linalg.eig(jac)
    k = int(np.argmax(lam.imag))
    return float(np.sqrt(-2 * lam[k].real / (lam[k].imag * l1))), V[:, k] / np.linalg.norm(V[:, k])


# --------------------------------------------------------------------------------------------
# Normal forms and planar formulas
# --------------------------------------------------------------------------------------------


def test_planar_normal_form_gives_2s_over_omega() -> None:
    s = sympy.Symbol("s", real=True)
    w = sympy.Symbol("w", positive=True)
    r2 = x**2 + y**2
    f = [-w * y + s * x * r2, w * x + s * y * r2]
    c = hopf_coefficient(f, (x, y), ORIGIN2)
    assert c.closed_form and c.origin == "closed form"
    assert sympy.simplify(c.value - 2 * s / w) == 0
    assert c.sign is None and c.degenerate is False  # s of unknown sign
    sp = sympy.Symbol("s", positive=True)
    c = hopf_coefficient([e.xreplace({s: sp}) for e in f], (x, y), ORIGIN2)
    assert c.sign == 1 and c.supercritical is False
    c = hopf_coefficient([e.xreplace({s: -sp}) for e in f], (x, y), ORIGIN2)
    assert c.sign == -1 and c.supercritical is True
    # The numerical route agrees, and says where it was evaluated.
    c = hopf_coefficient(f, (x, y), ORIGIN2, values={s: 0.3, w: 2.0}, size_limit=1)
    assert not c.closed_form and "numerical, at s=0.3" in c.origin and "w=2" in c.origin
    assert c.value == pytest.approx(0.3)


def test_bautin_normal_form_degenerate_exactly_and_numerically() -> None:
    # x' = b1 x - y + b2 x r^2 + s x r^4 (and y likewise): at b1 = 0, l1 = 2 b2; b2 = 0 is
    # the Bautin point whatever the quintic term.
    b2 = sympy.Symbol("beta2", real=True)
    s = sympy.Symbol("s", real=True)
    r2 = x**2 + y**2
    f = [-y + b2 * x * r2 + s * x * r2**2, x + b2 * y * r2 + s * y * r2**2]
    c = hopf_coefficient(f, (x, y), ORIGIN2)
    assert sympy.simplify(c.value - 2 * b2) == 0 and c.degenerate is False
    at = [e.xreplace({b2: 0}) for e in f]
    c = hopf_coefficient(at, (x, y), ORIGIN2)
    assert c.value == 0 and c.degenerate is True and c.sign == 0 and c.supercritical is None
    c = hopf_coefficient(at, (x, y), ORIGIN2, values={s: -1.0}, size_limit=1)
    assert not c.closed_form and c.degenerate is True and c.sign == 0
    # An exact tiny value survives the cross-check against rounding-level numerics.
    tiny = [e.xreplace({b2: R(1, 10**12), s: -7}) for e in f]
    c = hopf_coefficient(tiny, (x, y), ORIGIN2)
    assert c.closed_form and c.value == R(2, 10**12) and c.sign == 1 and not c.degenerate
    # A tiny but nonzero value is not degenerate.
    c = hopf_coefficient(f, (x, y), ORIGIN2, values={b2: 1e-6, s: -1.0}, size_limit=1)
    assert c.degenerate is False and c.value == pytest.approx(2e-6)


def _guckenheimer_holmes_l1(fx: Any, fy: Any, omega: Any) -> Any:
    """``2 a / omega`` with ``a`` of Guckenheimer-Holmes (sec. 3.4), for x' = -w y + f, y' = w x + g."""

    def d(e: Any, *v: Any) -> Any:
        return sympy.diff(e, *v).subs(ORIGIN2)

    a = (d(fx, x, x, x) + d(fx, x, y, y) + d(fy, x, x, y) + d(fy, y, y, y)) / 16 + (
        d(fx, x, y) * (d(fx, x, x) + d(fx, y, y))
        - d(fy, x, y) * (d(fy, x, x) + d(fy, y, y))
        - d(fx, x, x) * d(fy, x, x)
        + d(fx, y, y) * d(fy, y, y)
    ) / (16 * omega)
    return 2 * a / omega


def test_planar_against_guckenheimer_holmes_at_random_coefficients() -> None:
    rng = np.random.default_rng(1)
    monomials = [x**2, x * y, y**2, x**3, x**2 * y, x * y**2, y**3]
    for _ in range(5):
        omega = R(int(rng.integers(1, 5)), int(rng.integers(1, 4)))
        cf = [R(int(v), 4) for v in rng.integers(-8, 9, size=7)]
        cg = [R(int(v), 4) for v in rng.integers(-8, 9, size=7)]
        fx = sum(c * m for c, m in zip(cf, monomials, strict=True))
        fy = sum(c * m for c, m in zip(cg, monomials, strict=True))
        f = [-omega * y + fx, omega * x + fy]
        expected = _guckenheimer_holmes_l1(fx, fy, omega)
        assert first_lyapunov_coefficient(f, (x, y), ORIGIN2) == expected
        # The numerical route on the same system.
        c = hopf_coefficient(f, (x, y), ORIGIN2, values={}, size_limit=1)
        assert c.value == pytest.approx(float(expected), rel=1e-9, abs=1e-12)


def test_closed_form_and_numerical_route_agree_at_random_points() -> None:
    # A planar family on the Hopf set (trace 0) with symbolic linear and nonlinear terms.
    p, k, m1, m2, m3, m4 = sympy.symbols("p k m1:5", real=True)
    f = [
        p * x - (p**2 + k**2) * y + m1 * x**2 + m2 * x * y**2,
        x - p * y + m3 * x * y + m4 * y**3,
    ]
    c = hopf_coefficient(f, (x, y), ORIGIN2)
    assert c.closed_form
    rng = np.random.default_rng(2)
    for _ in range(10):
        vals = dict(zip((p, k, m1, m2, m3, m4), rng.uniform(-2, 2, size=6), strict=True))
        vals[k] = abs(vals[k]) + 0.2  # omega^2 = k^2 > 0
        exact = float(c.value.xreplace(vals))
        num = hopf_coefficient(f, (x, y), ORIGIN2, values=vals, size_limit=1)
        assert num.value == pytest.approx(exact, rel=1e-8, abs=1e-12)


def test_branch_dependent_coefficient_and_the_issue_normalization() -> None:
    # y' = -x + (mu^2 + nu^2 - 1) y + mu x^2 y: on the Hopf set the y-coefficient vanishes and
    # Guckenheimer-Holmes gives a = g_xxy/16 = mu/8, i.e. l1 = 2 a / omega = mu/4 with
    # <q, q> = 1 (this module): +0.24925 at mu = 0.997 (the issue's "+0.249"), -0.24925 on
    # the other branch. The convention <q, q> = 1/2 would give mu/8 = 0.1246.
    mu, nu = sympy.symbols("mu nu", real=True)
    rhs = [y, -x + (mu**2 + nu**2 - 1) * y + mu * x**2 * y]
    for branch in (1, -1):
        on_set = [e.xreplace({mu: branch * sympy.sqrt(1 - nu**2)}) for e in rhs]
        c = hopf_coefficient(on_set, (x, y), ORIGIN2, values={nu: 0.077})
        assert c.closed_form and sympy.simplify(c.value - branch * sympy.sqrt(1 - nu**2) / 4) == 0
        assert c.numeric_value == pytest.approx(branch * 0.997 / 4, abs=1e-5)
        assert c.numeric_sign == branch
        assert c.numeric_value == pytest.approx(branch * 0.24925, abs=1e-4)
    # y' = -x + (mu^2 - 1) y + mu x^2 y: +1/4 at mu = 1, -1/4 at mu = -1, exactly.
    rhs = [y, -x + (mu**2 - 1) * y + mu * x**2 * y]
    for m, expected in ((1, R(1, 4)), (-1, R(-1, 4))):
        c = hopf_coefficient([e.xreplace({mu: m}) for e in rhs], (x, y), ORIGIN2)
        assert c.value == expected and c.sign == (1 if m > 0 else -1)
    # Off the Hopf set, with numbers: the numerical check refuses it.
    with pytest.raises(ModelError, match="not a hopf point"):
        hopf_coefficient(rhs, (x, y), ORIGIN2, values={mu: 0.5})


# --------------------------------------------------------------------------------------------
# Textbook models
# --------------------------------------------------------------------------------------------


def test_brusselator_supercritical_for_every_a_and_the_cycle_amplitude() -> None:
    a = sympy.Symbol("a", positive=True)
    b = 1 + a**2
    rhs = [a - (b + 1) * x + x**2 * y, b * x - x**2 * y]
    c = hopf_coefficient(rhs, (x, y), {x: a, y: b / a})
    assert c.closed_form and c.sign == -1 and c.supercritical is True
    assert all(float(c.value.xreplace({a: v})) < 0 for v in np.linspace(0.05, 10, 40))
    # Simulation at a = 1, b = 2 + delta: the stable cycle's RMS distance matches l1.
    l1 = float(c.value.xreplace({a: 1}))
    bb = 2.01
    center = np.array([1.0, bb])
    jac = np.array([[bb - 1, 1.0], [-bb, -1.0]])
    expected, q = _predicted_rms(jac, l1)

    def f(t: float, u: np.ndarray) -> list[float]:
        return [1 - (bb + 1) * u[0] + u[0] ** 2 * u[1], bb * u[0] - u[0] ** 2 * u[1]]

    start = center + np.sqrt(2) * expected * np.real(q)
    rms = _rms_of_attractor(f, center, start, t_end=1200.0, keep=60.0)
    assert rms == pytest.approx(expected, rel=0.1)


def _selkov(b_value: Any) -> tuple[list[Any], dict[Any, Any], Any]:
    """Sel'kov on its Hopf curve: trace 0 solved for a (the root that is positive for b < 1)."""
    b = sympy.Symbol("b", positive=True)
    a = (-(2 * b**2 + 1) + sympy.sqrt(8 * b**2 + 1)) / 2
    rhs = [-x + a * y + x**2 * y, b - a * y - x**2 * y]
    return rhs, {x: b, y: b / (a + b**2)}, {b: b_value, "a": a.xreplace({b: b_value})}


def test_selkov_supercritical_against_simulation() -> None:
    rhs, point, vals = _selkov(0.6)
    b = next(iter(s for s in vals if isinstance(s, sympy.Symbol)))
    c = hopf_coefficient(rhs, (x, y), point, values={b: 0.6})
    assert c.numeric_sign == -1 and c.numeric_value is not None
    if c.closed_form:  # the closed form is small here; its value at b = 0.6 is the number
        assert float(c.value.xreplace({b: 0.6})) == pytest.approx(c.numeric_value, rel=1e-9)
    if c.closed_form:
        # Strogatz 7.3: a stable limit cycle wherever the equilibrium is unstable (0 < b < 1
        # on this branch): the closed form is negative all along the curve.
        assert all(float(c.value.xreplace({b: v})) < 0 for v in np.linspace(0.02, 0.98, 25))
    l1 = c.numeric_value
    # Just past the Hopf curve (a slightly below a_H, trace > 0): a small stable cycle.
    av = float(vals["a"]) - 0.004
    bv = 0.6
    center = np.array([bv, bv / (av + bv**2)])
    xs, ys = center
    jac = np.array([[-1 + 2 * xs * ys, av + xs**2], [-2 * xs * ys, -av - xs**2]])
    assert np.trace(jac) > 0
    expected, q = _predicted_rms(jac, l1)

    def f(t: float, u: np.ndarray) -> list[float]:
        return [-u[0] + av * u[1] + u[0] ** 2 * u[1], bv - av * u[1] - u[0] ** 2 * u[1]]

    start = center + np.sqrt(2) * expected * np.real(q)
    rms = _rms_of_attractor(f, center, start, t_end=1500.0, keep=80.0)
    assert rms == pytest.approx(expected, rel=0.15)


def test_selkov_without_closed_form_answers_numerically() -> None:
    rhs, point, _ = _selkov(0.6)
    b = next(iter(sympy.Add(*rhs).free_symbols - {x, y}))
    c = hopf_coefficient(rhs, (x, y), point, values={b: 0.6}, size_limit=20)
    assert not c.closed_form and c.origin.startswith("numerical, at b=0.6")
    assert "size_limit=20" in c.origin and c.sign == -1
    # Without values it says what is missing instead of guessing.
    c = hopf_coefficient(rhs, (x, y), point, size_limit=20)
    assert c.value is None and c.sign is None and c.degenerate is None
    assert c.origin.startswith("unavailable") and "`values=`" in c.origin and "b" in c.origin
    with pytest.raises(SymbolicTimeout, match="hopf_coefficient"):
        first_lyapunov_coefficient(rhs, (x, y), point, size_limit=20)


FHN = {"a": R(7, 10), "b": R(4, 5), "eps": R(2, 25)}  # FitzHugh's standard values


def _fhn_hopf() -> tuple[list[Any], dict[Any, Any], float]:
    """v' = v - v^3/3 - w + I, w' = eps (v + a - b w) at its lower Hopf point (trace 0)."""
    a, b, eps = FHN["a"], FHN["b"], FHN["eps"]
    vs = -sympy.sqrt(1 - eps * b)
    i_h = (vs + a) / b - vs + vs**3 / 3
    rhs = [x - x**3 / 3 - y + i_h, eps * (x + a - b * y)]
    return rhs, {x: vs, y: (vs + a) / b}, float(i_h)


def test_fitzhugh_nagumo_subcritical_against_simulation() -> None:
    rhs, point, i_h = _fhn_hopf()
    c = hopf_coefficient(rhs, (x, y), point)
    assert c.closed_form and c.sign == 1 and c.supercritical is False
    l1 = float(c.value)
    a, b, eps = (float(FHN[k]) for k in ("a", "b", "eps"))
    # On the stable side (I slightly below I_H) a small UNSTABLE cycle surrounds the
    # equilibrium: inside it orbits return, outside they leave for the relaxation oscillation.
    current = i_h - 1e-3
    roots = np.roots([-1 / 3, 0, 1 - 1 / b, current - a / b])
    v0 = float(min(r.real for r in roots if abs(r.imag) < 1e-9))
    center = np.array([v0, (v0 + a) / b])
    jac = np.array([[1 - v0**2, -1.0], [eps, -eps * b]])
    assert np.trace(jac) < 0
    radius, q = _predicted_rms(jac, l1)

    def f(t: float, u: np.ndarray) -> list[float]:
        return [u[0] - u[0] ** 3 / 3 - u[1] + current, eps * (u[0] + a - b * u[1])]

    def final_distance(k: float) -> float:
        start = center + np.sqrt(2) * k * radius * np.real(q)
        sol = solve_ivp(f, (0, 2000.0), start, method="DOP853", rtol=1e-10, atol=1e-12)
        return float(np.max(np.linalg.norm(sol.y[:, -100:] - center[:, None], axis=0)))

    assert final_distance(0.6) < 0.6 * radius
    assert final_distance(1.6) > 1.0


def test_fitzhugh_nagumo_cardano_point_answers_numerically() -> None:
    # As ig.bifurcations would pass it: the equilibrium from Cardano's formula in I, eps solved
    # from trace = 0. No closed form (cube roots); the numerical value matches the exact one.
    a, b, cur = sympy.symbols("a b I", positive=True)
    roots = sympy.solve(sympy.Eq(x - x**3 / 3 - (x + a) / b + cur, 0), x)
    rhs0, _, i_h = _fhn_hopf()
    exact = float(hopf_coefficient(rhs0, (x, y), _fhn_hopf()[1]).value)
    vals = {a: FHN["a"], b: FHN["b"], cur: i_h}
    real_roots = [r for r in roots if abs(complex(sympy.N(r.xreplace(vals))).imag) < 1e-9]
    v_star = min(real_roots, key=lambda r: float(sympy.re(sympy.N(r.xreplace(vals)))))
    eps = (1 - v_star**2) / b
    rhs = [x - x**3 / 3 - y + cur, eps * (x + a - b * y)]
    c = hopf_coefficient(rhs, (x, y), {x: v_star, y: (v_star + a) / b}, values=vals)
    assert not c.closed_form and "root" in c.origin
    assert c.value == pytest.approx(exact, rel=1e-6) and c.sign == 1


def _lorenz() -> tuple[list[Any], dict[Any, Any], Any, Any]:
    sigma, beta = sympy.symbols("sigma beta", positive=True)
    r_h = sigma * (sigma + beta + 3) / (sigma - beta - 1)
    xs = sympy.sqrt(beta * (r_h - 1))
    rhs = [sigma * (y - x), r_h * x - y - x * z, x * y - beta * z]
    return rhs, {x: xs, y: xs, z: r_h - 1}, sigma, beta


def test_lorenz_hopf_is_subcritical() -> None:
    # Subcritical wherever the Hopf point exists (sigma > beta + 1, positive parameters):
    # Marsden and McCracken (1976), Sparrow (1982).
    rhs, point, sigma, beta = _lorenz()
    c = hopf_coefficient(rhs, (x, y, z), point, values={sigma: 10, beta: R(8, 3)})
    assert c.numeric_sign == 1
    assert c.closed_form
    l1 = sympy.lambdify((sigma, beta), c.value)
    rng = np.random.default_rng(3)
    for _ in range(20):
        be = rng.uniform(0.1, 5.0)
        sg = be + 1 + rng.uniform(0.1, 20.0)
        assert l1(sg, be) > 0
    for sg, be in ((10.0, 8 / 3), (4.0, 1.0), (20.0, 0.5)):
        num = hopf_coefficient(rhs, (x, y, z), point, values={sigma: sg, beta: be}, size_limit=1)
        assert num.value == pytest.approx(l1(sg, be), rel=1e-7)


def test_lorenz_unstable_cycle_matches_l1() -> None:
    # Just below r_H the equilibrium is stable and surrounded by the small unstable cycle of
    # the subcritical Hopf point. Found by collocation (scipy's solve_bvp, started 30% off
    # the predicted size), its RMS distance from the equilibrium matches -2 alpha/(omega l1).
    rhs, point, sigma, beta = _lorenz()
    l1 = hopf_coefficient(rhs, (x, y, z), point, values={sigma: 10, beta: R(8, 3)}).numeric_value
    assert l1 is not None and l1 > 0
    sg, be = 10.0, 8 / 3
    r = sg * (sg + be + 3) / (sg - be - 1) - 0.02
    xe = np.sqrt(be * (r - 1))
    center = np.array([xe, xe, r - 1])
    jac = np.array([[-sg, sg, 0], [1.0, -1, -xe], [xe, xe, -be]])
    lam, V = np.linalg.eig(jac)
    k = int(np.argmax(lam.imag))
    alpha, omega = lam[k].real, lam[k].imag
    assert alpha < 0
    q = V[:, k] / np.linalg.norm(V[:, k])
    predicted = np.sqrt(-2 * alpha / (omega * l1))
    t = np.linspace(0, 1, 200)
    zc = 1.3 * 1j * predicted / np.sqrt(2) * np.conj(q[0]) / abs(q[0])  # starts at x = x*
    guess = center[:, None] + 2 * np.real(zc * q[:, None] * np.exp(2j * np.pi * t)[None, :])

    def f(_: Any, u: np.ndarray, p: np.ndarray) -> np.ndarray:
        return p[0] * np.array(
            [sg * (u[1] - u[0]), r * u[0] - u[1] - u[0] * u[2], u[0] * u[1] - be * u[2]]
        )

    def bc(ua: np.ndarray, ub: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.array([*(ua - ub), ua[0] - center[0]])

    sol = solve_bvp(f, bc, t, guess, p=[2 * np.pi / omega], tol=1e-8, max_nodes=20000)
    assert sol.status == 0
    u = sol.sol(np.linspace(0, 1, 2001)[:-1])
    rms = float(np.sqrt(np.mean(np.sum((u - center[:, None]) ** 2, axis=0))))
    assert rms == pytest.approx(predicted, rel=0.01)


def test_predator_prey_with_harvesting_six_parameters() -> None:
    # Rosenzweig-MacArthur with constant harvesting, r solved from trace = 0: the closed form
    # in six parameters is abandoned within the size guard; the numerical value at the given
    # parameters equals the exact closed form of the same system with those numbers put in.
    r, K, a, h, e, m, H = sympy.symbols("r K a h e m H", positive=True)
    fx = r * x * (1 - x / K) - a * x * y / (1 + a * h * x) - H
    fy = e * a * x * y / (1 + a * h * x) - m * y
    xs = m / (a * (e - m * h))
    (ys,) = sympy.solve(fx.subs(x, xs), y)
    jac = sympy.Matrix([fx, fy]).jacobian([x, y]).subs({x: xs, y: ys})
    (r_h,) = sympy.solve(sympy.numer(sympy.together(jac.trace())), r)
    rhs = [fx.subs(r, r_h), fy.subs(r, r_h)]
    point = {x: xs, y: ys.subs(r, r_h)}
    vals = {K: R(673, 100), a: R(117, 100), h: R(7, 50), e: R(31, 100), m: R(21, 50), H: R(9, 50)}
    assert float(r_h.subs(vals)) > 0 and float(point[y].subs(vals)) > 0
    c = hopf_coefficient(rhs, (x, y), point, values={k: float(v) for k, v in vals.items()})
    exact = hopf_coefficient(
        [g.subs(vals) for g in rhs], (x, y), {s: v.subs(vals) for s, v in point.items()}
    )
    assert exact.closed_form and exact.sign == -1
    assert c.numeric_value == pytest.approx(float(exact.value), rel=1e-8)
    assert c.numeric_sign == -1


def test_timeout_falls_back_to_the_numerical_route() -> None:
    rhs, point, sigma, beta = _lorenz()
    c = hopf_coefficient(rhs, (x, y, z), point, values={sigma: 10, beta: R(8, 3)}, timeout=1e-6)
    assert not c.closed_form and "time budget" in c.origin and c.sign == 1
    assert c.origin.startswith("numerical, at beta=8/3, sigma=10")


@pytest.mark.parametrize("lam3", [R(12, 25), R(-12, 25), 0.48])
def test_planar_hopf_coupled_to_a_third_direction(lam3: Any) -> None:
    # x' = -y + x z, y' = x + y z, z' = lam3 z + x^2 + y^2. Centre manifold z = k r^2 with
    # 0 = lam3 k + 1 (the rotation leaves r^2 invariant), so the reduced field is the normal
    # form with s = k = -1/lam3: l1 = 2 s / omega = -2/lam3, whether the third direction is
    # stable or unstable.
    rhs = [-y + x * z, x + y * z, lam3 * z + x**2 + y**2]
    c = hopf_coefficient(rhs, (x, y, z), {x: 0, y: 0, z: 0})
    expected = -2 / sympy.nsimplify(lam3)
    assert c.closed_form and c.value == expected
    num = hopf_coefficient(rhs, (x, y, z), {x: 0, y: 0, z: 0}, values={}, size_limit=1)
    assert num.value == pytest.approx(float(expected))


def test_four_dimensional_hopf_with_an_unstable_and_a_stable_direction() -> None:
    # The issue's spectrum: +-1.52 i, 0.48, -1.01. x1' = -w x2 + x1 (x3 + x4), x2' likewise,
    # x3' = 0.48 x3 + r^2, x4' = -1.01 x4 + r^2 (r^2 = x1^2 + x2^2). Centre manifold
    # x3 = -r^2/0.48, x4 = r^2/1.01, so s = -1/0.48 + 1/1.01 and l1 = 2 s / w.
    x1, x2, x3, x4 = sympy.symbols("x1:5", real=True)
    w, u, v = R(38, 25), R(12, 25), R(101, 100)
    r2 = x1**2 + x2**2
    rhs = [-w * x2 + x1 * (x3 + x4), w * x1 + x2 * (x3 + x4), u * x3 + r2, -v * x4 + r2]
    at = dict.fromkeys((x1, x2, x3, x4), 0)
    c = hopf_coefficient(rhs, (x1, x2, x3, x4), at, values={})
    assert c.closed_form and c.value == 2 * (-1 / u + 1 / v) / w
    assert c.numeric_value == pytest.approx(float(c.value))
    assert first_lyapunov_coefficient(rhs, (x1, x2, x3, x4), at) == c.value


def test_six_dimensional_hopf_goes_numerical_without_values() -> None:
    # Past the closed-form dimension, a system without parameters is evaluated numerically
    # on its own. Same centre-manifold construction: s = -sum(1/lambda_k), l1 = 2 s / w.
    xs = sympy.symbols("x1:7", real=True)
    lams = [0.48, -1.01, 2.0, -3.0]
    w = 1.52
    r2 = xs[0] ** 2 + xs[1] ** 2
    tail = sum(xs[2:])
    rhs = [-w * xs[1] + xs[0] * tail, w * xs[0] + xs[1] * tail]
    rhs += [lam * xk + r2 for lam, xk in zip(lams, xs[2:], strict=True)]
    c = hopf_coefficient(rhs, xs, dict.fromkeys(xs, 0))
    assert not c.closed_form and "dimension 6" in c.origin
    assert c.value == pytest.approx(2 * -sum(1 / lam for lam in lams) / w, rel=1e-9)


def test_first_lyapunov_coefficient_keeps_its_planar_answers() -> None:
    s = sympy.Symbol("s", real=True)
    r2 = x**2 + y**2
    assert first_lyapunov_coefficient([-y + s * x * r2, x + s * y * r2], (x, y), ORIGIN2) == 2 * s
    assert first_lyapunov_coefficient([-2 * y - x**3, 2 * x - y**3], (x, y), ORIGIN2) == R(-3, 4)


# --------------------------------------------------------------------------------------------
# Maps
# --------------------------------------------------------------------------------------------


def test_logistic_flip_matches_the_two_cycle() -> None:
    r = sympy.Symbol("r", positive=True)
    c = flip_coefficient([3 * x * (1 - x)], (x,), {x: R(2, 3)})
    assert c.value == 9 and c.sign == 1 and c.supercritical is True
    # The 2-cycle x = (r + 1 +- sqrt((r - 3)(r + 1)))/(2 r): its distance from x* = 1 - 1/r
    # squared over (r - 3) tends to 1/c, as the normal form eta -> -(1 + beta) eta + c eta^3
    # (beta = r - 3) predicts; the cycle exists for r > 3, where the fixed point is unstable.
    cycle = (r + 1 + sympy.sqrt((r - 3) * (r + 1))) / (2 * r)
    ratio = sympy.limit((cycle - (1 - 1 / r)) ** 2 / (r - 3), r, 3, "+")
    assert ratio == 1 / c.value
    # Its multiplier 4 + 2 r - r^2 is in (-1, 1) just past r = 3: a stable 2-cycle.
    assert abs(4 + 2 * 3.01 - 3.01**2) < 1


def test_henon_flip_is_supercritical() -> None:
    # (x, y) -> (1 - a x^2 + y, b x): flip at a = 3 (1 - b)^2 / 4, then the stable 2-cycle
    # x = (1 - b +- sqrt(4 a - 3 (1 - b)^2)) / (2 a) of the period-doubling cascade. Its two
    # points are x* +- eta q with eta^2 = beta / c, beta = -1 - (the multiplier near -1).
    b = sympy.Symbol("b", positive=True)
    a = 3 * (1 - b) ** 2 / 4
    xs = (-(1 - b) + sympy.sqrt((1 - b) ** 2 + 4 * a)) / (2 * a)
    c = flip_coefficient([1 - a * x**2 + y, b * x], (x, y), {x: xs, y: b * xs}, values={b: 0.3})
    assert c.numeric_sign == 1 and c.numeric_value is not None
    bv = 0.3
    for da in (1e-3, 1e-4):
        av = 3 * (1 - bv) ** 2 / 4 + da
        fixed = (-(1 - bv) + np.sqrt((1 - bv) ** 2 + 4 * av)) / (2 * av)
        beta = -1 - np.linalg.eigvals(np.array([[-2 * av * fixed, 1.0], [bv, 0.0]])).min()
        root = np.sqrt(4 * av - 3 * (1 - bv) ** 2)
        xp, xm = (1 - bv + root) / (2 * av), (1 - bv - root) / (2 * av)
        gap = np.hypot(xp - xm, bv * (xm - xp))
        assert gap / 2 == pytest.approx(np.sqrt(beta / c.numeric_value), rel=5 * da)
    # The 2-cycle attracts: iterating from near the fixed point lands on it.
    av = 3 * (1 - bv) ** 2 / 4 + 1e-2
    u = np.array([0.63, 0.19])
    for _ in range(5000):
        u = np.array([1 - av * u[0] ** 2 + u[1], bv * u[0]])
    root = np.sqrt(4 * av - 3 * (1 - bv) ** 2)
    assert min(abs(u[0] - (1 - bv + sg * root) / (2 * av)) for sg in (1, -1)) < 1e-8


def test_delayed_logistic_neimark_sacker_against_iteration() -> None:
    # (x, y) -> (y, r y (1 - x)) at r = 2: fixed point (1/2, 1/2), Jacobian determinant r - 1
    # (so |mu| = sqrt(r - 1)), supercritical: a stable invariant circle for r > 2 (Aronson,
    # Chory, Hall and McGehee 1982).
    half = sympy.S.Half
    c = neimark_sacker_coefficient([y, 2 * y * (1 - x)], (x, y), {x: half, y: half})
    assert c.closed_form and c.sign == -1 and c.supercritical is True
    d = float(c.value)
    rv = 2.02
    center = np.array([1 - 1 / rv, 1 - 1 / rv])
    expected = np.sqrt(-2 * (np.sqrt(rv - 1) - 1) / d)
    u = center + np.array([0.05, 0.0])
    pts = []
    for k in range(60000):
        u = np.array([u[1], rv * u[1] * (1 - u[0])])
        if k >= 50000:
            pts.append(u)
    rms = float(np.sqrt(np.mean(np.sum((np.array(pts) - center) ** 2, axis=1))))
    assert rms == pytest.approx(expected, rel=0.1)


def test_neimark_sacker_normal_form_and_resonance() -> None:
    s = sympy.Symbol("s", real=True)
    r2 = x**2 + y**2
    # Rotation by theta with cos(theta) = 3/5: z -> e^{i theta} z (1 + s |z|^2) has d = 2 s.
    co, si = R(3, 5), R(4, 5)
    f = [(co * x - si * y) * (1 + s * r2), (si * x + co * y) * (1 + s * r2)]
    c = neimark_sacker_coefficient(f, (x, y), ORIGIN2)
    assert c.closed_form and sympy.simplify(c.value - 2 * s) == 0
    num = neimark_sacker_coefficient(f, (x, y), ORIGIN2, values={s: -0.3}, size_limit=1)
    assert num.value == pytest.approx(-0.6) and num.supercritical is True
    # Rotation by pi/2 is the strong resonance 1:4: no coefficient.
    g = [-y * (1 + s * r2), x * (1 + s * r2)]
    with pytest.raises(ModelError, match="1:4"):
        neimark_sacker_coefficient(g, (x, y), ORIGIN2)


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def test_points_off_the_bifurcation_set_are_refused() -> None:
    with pytest.raises(ModelError, match="trace"):
        hopf_coefficient([x - y, x + y], (x, y), ORIGIN2)
    with pytest.raises(ModelError, match="not a flip point"):
        flip_coefficient([x / 2 + x**2], (x,), {x: 0})
    with pytest.raises(ModelError, match="not a neimark_sacker point"):
        neimark_sacker_coefficient([y, -x / 2], (x, y), ORIGIN2)
    with pytest.raises(ModelError, match="`rhs` has 1 expressions"):
        hopf_coefficient([x], (x, y), ORIGIN2)
    with pytest.raises(ModelError, match="`point`"):
        hopf_coefficient([-y, x], (x, y), {x: 0})


def test_result_is_frozen_and_carries_its_normalization() -> None:
    c = hopf_coefficient([-y - x**3, x - y**3], (x, y), ORIGIN2)
    assert isinstance(c, NormalFormCoefficient)
    assert "<q, q> = 1" in c.normalization and "Kuznetsov" in c.normalization
    with pytest.raises(AttributeError):
        c.value = 0  # type: ignore[misc]
