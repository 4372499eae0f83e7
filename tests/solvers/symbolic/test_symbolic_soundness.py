"""Regression tests for the confident wrong answers of issue 10 (each failed on the old engine).

Every check compares with a value that was not derived by the engine: exact roots, textbook
bifurcation points, direct numerical evaluation of the right-hand side.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import sympy

import incentive_geometry as ig
from incentive_geometry.solvers.symbolic.conditions import ZeroTest

POS = {"default": 1.0, "domain": "positive"}


def _model(eqs: dict[str, str], params: dict[str, object], **kw: object) -> ig.Model:
    return ig.Model.from_equations(eqs, parameters=params, **kw)  # type: ignore[arg-type]


def _value(expr: object, **values: float) -> complex:
    e = sympy.sympify(expr, strict=True)
    subs = {s: sympy.Float(values[s.name], 30) for s in e.free_symbols}
    return complex(e.xreplace(subs).evalf(30))


def _exists(eq: ig.Equilibrium, **values: float) -> bool:
    subs = {s: sympy.Float(values[s.name], 30) for s in sympy.sympify(eq.exists).free_symbols}
    return bool(eq.exists.xreplace(subs))


def test_a_minus_x_cubed_has_one_real_equilibrium_for_every_a() -> None:
    m = _model({"x": "a - x**3"}, {"a": 1})
    eqs = ig.equilibria(m)
    assert eqs.complete and len(eqs) == 1
    for a in (-8.0, -0.3, 0.7, 27.0):
        assert _exists(eqs[0], a=a)
        assert _value(eqs[0].point[m.symbol("x")], a=a) == pytest.approx(
            math.copysign(abs(a) ** (1 / 3), a)
        )
    # No pitchfork at a = 0: the single equilibrium is stable on both sides.
    assert ig.bifurcations(m, eqs[0]) == []


def test_poles_are_not_equilibria() -> None:
    m = _model({"x": "1 - x - x*y/(x + 2)", "y": "1 - y - x*y/(x + 2)"}, {})
    for eq in ig.equilibria(m):
        assert eq.exists is not sympy.false
        assert abs(_value(eq.point[m.symbol("x")]) + 2) > 1e-6


def test_log_argument_is_part_of_existence() -> None:
    m = _model({"x": "log(a) - x"}, {"a": 1})
    (eq,) = ig.equilibria(m)
    assert not _exists(eq, a=-1.0) and _exists(eq, a=2.0)


def test_zero_test_redraws_undefined_points() -> None:
    a = sympy.Symbol("a", real=True)
    # Undefined (0/0) at a = 1 only, nonzero everywhere else.
    z = ZeroTest({})
    z.points = [{a: sympy.Integer(1)}, {a: sympy.Integer(1)}]
    assert not z.is_zero((a**2 - 1) / (a - 1) - a)
    assert z.is_zero((a**2 - 1) / (a - 1) - a - 1)


def test_zero_test_of_large_rational_functions_is_exact_modulo_a_prime() -> None:
    # Differences far below any floating-point resolution are still seen (exact residues).
    a, b, c = sympy.symbols("a b c", positive=True)
    big = (a + b + c + 1) ** 12
    expanded = sympy.expand(big)
    z = ZeroTest({})
    assert z.is_zero(big - expanded)
    assert not z.is_zero(big - expanded + sympy.Rational(1, 10**60))
    assert not z.is_zero((big - expanded) / (a - b) + a * sympy.Rational(1, 10**50))
    # A pole (a = b) at every residue drawn cannot happen: the quotient is decided.
    assert z.is_zero(sympy.expand((a**2 - b**2) * big) / (a - b) - (a + b) * expanded)
    # Substituted values are honoured without building the substituted expression.
    x = sympy.Symbol("x", real=True)
    e = x * expanded - x * big + x**2 * (a - 1)
    assert z.is_zero_in(e, {x}, at={x: sympy.Integer(0)})
    assert not z.is_zero_in(e, {x}, at={x: sympy.Integer(1)})
    assert z.is_zero_in(e, {x, a}, at={x: sympy.Integer(1), a: sympy.Integer(1)})


def test_goodwin_oscillator_is_stable_wherever_it_exists() -> None:
    # Goodwin's negative-feedback loop with Hill exponent 2: the single state (the real root of
    # x**3 + x = a, written by Cardano) exists for every a > 0 and is always stable; the secant
    # condition (Tyson and Othmer 1978; Thron 1991) needs an exponent above 8 for instability.
    m = _model(
        {"x": "a/(1 + z**2) - x", "y": "x - y", "z": "y - z"},
        {"a": POS},
        states={s: {"domain": "nonnegative"} for s in "xyz"},
    )
    eqs = ig.equilibria(m)
    assert eqs.complete and len(eqs) == 1
    (eq,) = eqs
    assert eq.exists is sympy.true
    ((r, closed, poly),) = eq.implicit.roots
    for a in (0.1, 2.0, 50.0):
        assert abs(_value(poly.xreplace({r: closed}), a=a)) < 1e-20
    st = ig.stability(m, eq)
    assert st.where_exists is sympy.true
    for a in (0.1, 2.0, 50.0):
        x = float(sympy.nsolve(sympy.Symbol("x") ** 3 + sympy.Symbol("x") - a, 1))
        jac = np.array([[-1, 0, -2 * a * x / (1 + x**2) ** 2], [1, -1, 0], [0, 1, -1]])
        assert np.linalg.eigvals(jac).real.max() < 0


def test_three_real_roots_written_by_cardano_are_kept() -> None:
    m = _model({"x": "x**3 - 3*x + 1"}, {})
    eqs = ig.equilibria(m)
    values = sorted(_value(e.point[m.symbol("x")]).real for e in eqs)
    exact = sorted(2 * math.cos(2 * math.pi * k / 9) for k in (1, 2, 4))
    assert eqs.complete and values == pytest.approx(exact, abs=1e-12)


def test_one_real_root_of_x_cubed_plus_x_minus_a() -> None:
    m = _model({"x": "x**3 + x - a"}, {"a": 1})
    eqs = ig.equilibria(m)
    assert len(eqs) == 1
    for a in (-3.0, 0.5, 2.0):
        x = _value(eqs[0].point[m.symbol("x")], a=a)
        assert abs(x.imag) < 1e-12 and x.real**3 + x.real - a == pytest.approx(0, abs=1e-10)


def test_threshold_of_a_cubic_with_three_real_roots() -> None:
    m = _model({"x": "-(a**3 - 3*a + 1)*x"}, {"a": 1})
    th = ig.threshold(m, ig.equilibria(m)[0], "a")
    values = sorted(complex(v.evalf()).real for v in th.values)
    assert values == pytest.approx(sorted(2 * math.cos(2 * math.pi * k / 9) for k in (1, 2, 4)))


@pytest.mark.slow  # ~17 s of one CPU
def test_toggle_switch_symmetric_state_and_pitchfork_at_two() -> None:
    m = _model({"u": "a/(1 + v**2) - u", "v": "a/(1 + u**2) - v"}, {"a": POS})
    eqs = ig.equilibria(m)
    assert eqs.complete
    u, v = m.symbol("u"), m.symbol("v")
    for a in (0.5, 1.5, 3.0):
        pts = [e for e in eqs if _exists(e, a=a)]
        expected = 1 if a < 2 else 3
        assert len(pts) == expected, a
        for e in pts:
            x, y = _value(e.point[u], a=a).real, _value(e.point[v], a=a).real
            assert a / (1 + y**2) - x == pytest.approx(0, abs=1e-9)
            assert a / (1 + x**2) - y == pytest.approx(0, abs=1e-9)
    symmetric = [e for e in eqs if _exists(e, a=1.0)]
    kinds = {(b.kind, b.condition) for b in ig.bifurcations(m, symmetric[0])}
    assert ("pitchfork", sympy.Eq(m.symbol("a"), 2)) in kinds


def test_cusp_roots_exist_exactly_where_they_are_real() -> None:
    m = _model({"x": "h + r*x - x**3"}, {"h": 0, "r": 1})
    eqs = ig.equilibria(m)
    x = m.symbol("x")
    rng = np.random.default_rng(0)
    for h, r in rng.uniform(-1, 1, size=(60, 2)):
        real = sorted(z.real for z in np.roots([-1, 0, r, h]) if abs(z.imag) < 1e-9)
        found = sorted(_value(e.point[x], h=h, r=r).real for e in eqs if _exists(e, h=h, r=r))
        assert found == pytest.approx(real, abs=1e-8), (h, r)


def test_spruce_budworm_three_positive_states() -> None:
    m = _model(
        {"x": "r*x*(1 - x/k) - x**2/(1 + x**2)"},
        {"r": POS, "k": {"default": 16.0, "domain": "positive"}},
        states={"x": {"domain": "nonnegative"}},
    )
    eqs = ig.equilibria(m)
    x = m.symbol("x")
    positive = [e for e in eqs if _exists(e, r=0.2939, k=16.51)]
    values = sorted(_value(e.point[x], r=0.2939, k=16.51).real for e in positive)
    assert len([v for v in values if v > 1e-9]) == 3


def test_piecewise_right_hand_side_gives_both_states() -> None:
    m = _model({"x": "(a - x) if x > 0 else (-a - x)"}, {"a": 1})
    eqs = ig.equilibria(m)
    assert eqs.complete
    for a in (0.5, 2.0):
        found = sorted(_value(e.point[m.symbol("x")], a=a).real for e in eqs if _exists(e, a=a))
        assert found == pytest.approx([-a, a])
    for e in eqs:
        assert ig.stability(m, e).condition == sympy.true  # f' = -1 on both pieces


def test_zero_over_zero_is_not_an_equilibrium() -> None:
    m = _model(
        {"u": "u*(1 - u) - a*u*v/(u + d)", "v": "b*v*(1 - v/u)"},
        {"a": POS, "b": POS, "d": POS},
    )
    for e in ig.equilibria(m):
        assert not all(v == 0 for v in e.values)
        ig.stability(m, e)  # no NaN comparison


def test_lambert_w_roots_exist_only_where_real() -> None:
    m = _model({"x": "exp(x) - c*x"}, {"c": POS})
    eqs = ig.equilibria(m, partial=True)
    assert not eqs.complete  # transcendental: said so
    assert not any(_exists(e, c=2.0) for e in eqs)  # c < e: no real root
    assert sum(_exists(e, c=4.0) for e in eqs) == 2  # both branches of W


def test_fold_of_mu_plus_x_minus_x_cubed() -> None:
    m = _model({"x": "mu + x - x**3"}, {"mu": 0})
    kinds = {(b.kind, b.condition) for e in ig.equilibria(m) for b in ig.bifurcations(m, e)}
    mu = m.symbol("mu")
    assert kinds == {("fold", sympy.Eq(27 * mu**2, 4))}


def test_griffith_fold() -> None:
    m = _model({"x": "-a*x + y", "y": "x**2/(1 + x**2) - b*y"}, {"a": POS, "b": POS})
    a, b = m.symbol("a"), m.symbol("b")
    kinds = {(bc.kind, bc.condition) for e in ig.equilibria(m) for bc in ig.bifurcations(m, e)}
    assert ("fold", sympy.Eq(2 * a * b, 1)) in kinds
    assert all(k == "fold" for k, _ in kinds)


def test_hopf_criticality_on_each_branch() -> None:
    m = _model({"x": "y", "y": "-x + (mu**2 - 1)*y + mu*x**2*y"}, {"mu": 1})
    bifs = ig.bifurcations(m, ig.equilibria(m)[0])
    by_mu = {b.on[m.symbol("mu")]: b for b in bifs if b.kind == "hopf"}
    # l1 = mu/4 in this normalization: +1/4 (subcritical) at mu = 1, -1/4 at mu = -1.
    assert (
        by_mu[1].lyapunov_coefficient == sympy.Rational(1, 4)
        and by_mu[1].supercritical is sympy.false
    )
    assert (
        by_mu[-1].lyapunov_coefficient == sympy.Rational(-1, 4)
        and by_mu[-1].supercritical is sympy.true
    )
    m2 = _model({"x": "y", "y": "-x + (mu**2 + nu**2 - 1)*y + mu*x**2*y"}, {"mu": 1, "nu": 0})
    hopf = [b for b in ig.bifurcations(m2, ig.equilibria(m2)[0]) if b.kind == "hopf"]
    at = {"mu": 0.997, "nu": 0.077}
    signs = []
    for b in hopf:
        ((_p, v),) = b.on.items()
        if abs(_value(v, nu=at["nu"]).real - at["mu"]) < 1e-3:
            signs.append(_value(b.lyapunov_coefficient, **at).real)
    assert len(signs) == 1 and signs[0] == pytest.approx(0.249, abs=1e-3)


def test_a_zero_lyapunov_coefficient_is_degenerate() -> None:
    m = _model({"x": "mu*x - y", "y": "x + mu*y"}, {"mu": 0})
    (hopf,) = [b for b in ig.bifurcations(m, ig.equilibria(m)[0]) if b.kind == "hopf"]
    assert hopf.coefficient is not None and hopf.coefficient.degenerate
    assert hopf.supercritical is None


def test_hopf_found_while_another_eigenvalue_is_positive() -> None:
    # A planar Hopf pair coupled to an unstable third direction.
    m = _model(
        {"x": "mu*x - y - x*(x**2 + y**2)", "y": "x + mu*y - y*(x**2 + y**2)", "z": "z/2 + x*y"},
        {"mu": 0},
    )
    eq = next(e for e in ig.equilibria(m) if all(v == 0 for v in e.values))
    hopf = [b for b in ig.bifurcations(m, eq) if b.kind == "hopf"]
    assert hopf and hopf[0].others_stable == sympy.false
    assert hopf[0].supercritical is sympy.true


def test_bifurcations_of_a_model_with_a_pole_do_not_crash() -> None:
    m = _model({"x": "1 - x - x*y/(x + 2)", "y": "a - y - x*y/(x + 2)"}, {"a": 1})
    for e in ig.equilibria(m):
        ig.bifurcations(m, e)


@pytest.mark.parametrize(
    "eqs",
    [
        {"x": "-x + a*y + x**2*y", "y": "b - a*y - x**2*y"},  # Sel'kov
        {"v": "v - v**3/3 - w + j", "w": "e*(v + a - b*w)"},  # FitzHugh-Nagumo
    ],
    ids=["selkov", "fitzhugh_nagumo"],
)
def test_timeout_holds_where_sympy_would_run_for_minutes(eqs: dict[str, str]) -> None:
    names = sorted({n for e in eqs.values() for n in ("a", "b", "e", "j") if n in e})
    m = _model(eqs, {n: POS for n in names})
    eqs_found = ig.equilibria(m, timeout=20, partial=True)
    for eq in eqs_found:
        start = time.perf_counter()
        try:
            ig.bifurcations(m, eq, timeout=3)
        except ig.SymbolicTimeout as err:
            assert "numerical" in str(err) or "ig." in str(err)
        assert time.perf_counter() - start < 3 + 3
