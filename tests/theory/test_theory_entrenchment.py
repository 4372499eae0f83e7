"""The paper's models: their stated results derived with sympy and confirmed by simulation."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy.integrate import solve_ivp

from incentive_geometry import ModelError
from incentive_geometry.theory import (
    entrenchment,
    entrenchment_n,
    nested_alignment_sample,
    nested_objectives,
)


def _vector_field(model, params=None):
    """dx/dt (or the map) as a numpy function of the state vector, parameters fixed."""
    values = {**model.defaults, **(params or {})}
    subs = {p.symbol: sympy.nsimplify(values[p.name], rational=True) for p in model.parameters}
    exprs = [f.xreplace(subs) for f in model.rhs]
    f = sympy.lambdify(model.states, exprs, modules="numpy")
    return lambda x: np.array(f(*x), dtype=float)


def _flow_endpoint(model, x0, params=None, t_end=400.0):
    f = _vector_field(model, params)
    sol = solve_ivp(lambda t, x: f(x), (0.0, t_end), np.atleast_1d(x0), rtol=1e-9, atol=1e-12)
    assert sol.success
    return sol.y[:, -1]


# --------------------------------------------------------------------------------------------
# The canonical model

ALPHA, THETA, B, GAMMA, C = sympy.symbols("alpha theta b gamma c", positive=True)


def _canonical_symbols(m):
    return [m.symbol(n) for n in ("alpha", "theta", "b", "gamma", "c")]


def test_canonical_equilibria_and_their_stability_conditions():
    m = entrenchment()
    x = m.states[0]
    alpha, theta, b, gamma, c = _canonical_symbols(m)
    f = m.rhs[0]
    fp = sympy.diff(f, x)
    # Derived, not asserted: the fixed points solve f = 0.
    roots = set(sympy.solve(f, x))
    x_star = (theta * c / (alpha * (1 - theta)) - b) / gamma
    assert sympy.simplify(f.subs(x, x_star)) == 0
    assert {sympy.Integer(0), sympy.Integer(1)} <= roots
    # Multipliers (1-D Jacobians): f'(0) = G(0), f'(1) = -G(1).
    assert sympy.simplify(fp.subs(x, 0) - (alpha * (1 - theta) * b - theta * c)) == 0
    assert sympy.simplify(fp.subs(x, 1) + (alpha * (1 - theta) * (b + gamma) - theta * c)) == 0
    # At the interior point f' = x*(1-x*) G'(x*) with G' = alpha (1-theta) gamma > 0: unstable.
    interior = sympy.simplify(
        fp.subs(x, x_star) - x_star * (1 - x_star) * alpha * (1 - theta) * gamma
    )
    assert interior == 0
    # Stated conditions against numerical eigenvalues at random parameter points.
    rng = np.random.default_rng(1)
    fp_num = sympy.lambdify([x, alpha, theta, b, gamma, c], fp)
    for _ in range(200):
        a_, t_, b_, g_, c_ = rng.uniform([0.2, 0.0, 0.0, 0.0, 0.1], [3, 1, 1, 2, 2])
        aligned = a_ * (1 - t_) * b_ < t_ * c_
        entrenched = a_ * (1 - t_) * (b_ + g_) > t_ * c_
        assert (fp_num(0.0, a_, t_, b_, g_, c_) < 0) == aligned
        assert (fp_num(1.0, a_, t_, b_, g_, c_) < 0) == entrenched
        xs = (t_ * c_ / (a_ * (1 - t_)) - b_) / g_ if g_ > 0 and t_ < 1 else np.nan
        assert (0 < xs < 1) == (aligned and entrenched)


def test_canonical_bistability_by_simulation():
    m = entrenchment()  # defaults: alpha=1, theta=0.3, b=0.2, gamma=1, c=1 -> bistable
    x_star = (0.3 / 0.7 - 0.2) / 1.0
    low = _flow_endpoint(m, [x_star - 0.02])
    high = _flow_endpoint(m, [x_star + 0.02])
    assert low[0] == pytest.approx(0.0, abs=1e-6)
    assert high[0] == pytest.approx(1.0, abs=1e-6)


def test_theta_star_is_the_transcritical_point_and_hysteresis():
    m = entrenchment()
    x = m.states[0]
    alpha, theta, b, gamma, c = _canonical_symbols(m)
    # Solve f'(1) = 0 for theta: the derived boundary equals DESIGN.md's theta*.
    fp1 = sympy.diff(m.rhs[0], x).subs(x, 1)
    (theta_star,) = sympy.solve(fp1, theta)
    assert sympy.simplify(theta_star - alpha * (b + gamma) / (alpha * (b + gamma) + c)) == 0
    (theta_prevent,) = sympy.solve(sympy.diff(m.rhs[0], x).subs(x, 0), theta)
    assert sympy.simplify(theta_prevent - alpha * b / (alpha * b + c)) == 0
    # Simulation: with defaults theta* = 1.2/2.2; entrenchment persists just below, not above.
    ts = 1.2 / 2.2
    assert _flow_endpoint(m, [0.99], {"theta": ts - 0.02}, t_end=3000)[0] > 0.99
    assert _flow_endpoint(m, [0.99], {"theta": ts + 0.02}, t_end=3000)[0] < 1e-3
    # Hysteresis: between the two thresholds a start near 0 stays aligned.
    tp = 0.2 / 1.2
    assert _flow_endpoint(m, [0.01], {"theta": (tp + ts) / 2})[0] < 1e-3


def test_discrete_recursive_optimizer_has_the_same_boundaries():
    m = entrenchment(discrete=True, eta=0.5)
    assert m.time == "discrete"
    x = m.states[0]
    fp = sympy.diff(m.rhs[0], x)
    alpha, theta, b, gamma, c = _canonical_symbols(m)
    eta = m.symbol("eta")
    # Multipliers: e^{eta G(0)} at 0 and e^{-eta G(1)} at 1 -> |.| < 1 iff the flow conditions.
    g0 = alpha * (1 - theta) * b - theta * c
    g1 = alpha * (1 - theta) * (b + gamma) - theta * c
    assert sympy.simplify(fp.subs(x, 0) - sympy.exp(eta * g0)) == 0
    assert sympy.simplify(fp.subs(x, 1) - sympy.exp(-eta * g1)) == 0
    # Iterating the map from either side of x* reaches the two attractors.
    step = _vector_field(m)
    x_star = 0.3 / 0.7 - 0.2
    for x0, target in ((x_star - 0.02, 0.0), (x_star + 0.02, 1.0)):
        v = np.array([x0])
        for _ in range(3000):
            v = step(v)
        assert v[0] == pytest.approx(target, abs=1e-6)


def test_diversity_unfolds_the_transcritical_point_into_a_fold():
    m = entrenchment(diversity=True, mu=0.02)
    x = m.states[0]
    # With mu > 0 the vertices are no longer rest points: f(0) = mu/2 > 0, f(1) = -mu/2 < 0.
    f = m.rhs[0]
    assert sympy.simplify(f.subs(x, 0) - m.symbol("mu") / 2) == 0
    assert sympy.simplify(f.subs(x, 1) + m.symbol("mu") / 2) == 0
    # Count interior rest points across theta with numpy roots: 3 (bistable) then 1 past a fold
    # that occurs before the mu = 0 threshold theta* (the loop narrows).
    poly = sympy.Poly(
        sympy.expand(
            f.subs(
                {
                    p.symbol: sympy.nsimplify(v)
                    for p, v in zip(m.parameters, m.defaults.values(), strict=True)
                    if p.name != "theta"
                }
            )
        ),
        x,
    )

    def count(theta_value: float) -> int:
        coeffs = [float(cf.subs(m.symbol("theta"), theta_value)) for cf in poly.all_coeffs()]
        roots = np.roots(coeffs)
        real = roots[np.abs(roots.imag) < 1e-9].real
        return int(np.sum((real > 0) & (real < 1)))

    assert count(0.3) == 3
    theta_star = 1.2 / 2.2
    assert count(theta_star - 0.01) == 1
    thetas = np.linspace(0.3, theta_star, 400)
    counts = np.array([count(t) for t in thetas])
    fold = thetas[np.argmax(counts == 1)]
    assert 0.3 < fold < theta_star


def test_entrenchment_validates_its_options():
    with pytest.raises(ModelError, match="theta"):
        entrenchment(theta=1.5)
    with pytest.raises(ModelError, match="eta"):
        entrenchment(discrete=True, eta=-1.0)


# --------------------------------------------------------------------------------------------
# N routines


def test_two_routines_reduce_to_the_canonical_model():
    m2 = entrenchment_n(2, b=[0, 0.2], gamma=[0, 1], c=[0, 1])
    canon = entrenchment()
    x = canon.states[0]
    w1, w2 = m2.states
    sub = {m2.symbol("alpha"): canon.symbol("alpha"), m2.symbol("theta"): canon.symbol("theta")}
    target = canon.rhs[0].subs(
        {canon.symbol("b"): sympy.Rational(1, 5), canon.symbol("gamma"): 1, canon.symbol("c"): 1}
    )
    reduced = m2.rhs[1].xreplace(sub).subs({w1: 1 - x, w2: x})
    assert sympy.simplify(reduced - target) == 0


def test_vertex_stability_condition_matches_eigenvalues_and_simulation():
    rng = np.random.default_rng(7)
    for _ in range(6):
        b = rng.uniform(0, 1, 3)
        gamma = rng.uniform(0, 2, 3)
        c = rng.uniform(0, 1.5, 3)
        m = entrenchment_n(3, b=b, gamma=gamma, c=c, theta=0.4)
        vals = {p.symbol: sympy.nsimplify(p.default) for p in m.parameters}
        s = [
            sympy.lambdify(m.states, m.observables_map[f"s_{i + 1}"].xreplace(vals))
            for i in range(3)
        ]
        reduced = m.reduce_simplex()
        J = sympy.Matrix(reduced.rhs).jacobian(reduced.states).xreplace(vals)
        for k in range(3):
            e = [0.0, 0.0, 0.0]
            e[k] = 1.0
            predicted = all(s[j](*e) < s[k](*e) for j in range(3) if j != k)
            eig = np.linalg.eigvals(
                np.array(J.subs(dict(zip(reduced.states, e[:2], strict=True))), dtype=float)
            )
            assert (np.max(eig.real) < 0) == predicted
            if predicted:
                # A start near the stable vertex converges to it.
                x0 = np.array(e) * 0.96 + 0.02
                end = _flow_endpoint(m, x0, t_end=2000)
                assert end[k] == pytest.approx(1.0, abs=1e-4)


def test_entrenchment_n_symbolic_parameters_and_errors():
    m = entrenchment_n(4)
    assert m.simplex and len(m.states) == 4
    assert {"b_1", "gamma_4", "c_2"} <= set(m.parameter_names)
    with pytest.raises(ModelError, match="`b` must hold 3 numbers"):
        entrenchment_n(3, b=[0.1, 0.2])
    with pytest.raises(ModelError, match="`n` must be"):
        entrenchment_n(1)
    with pytest.raises(ModelError, match="outside its domain"):
        entrenchment_n(2, c=[0, -1])


# --------------------------------------------------------------------------------------------
# Nested objectives


def test_nested_equilibrium_is_cos_phi_to_the_l_and_stable():
    L = 4
    m = nested_objectives(L)
    phi = m.symbol("phi")
    point = {a: sympy.cos(phi) ** (i + 1) for i, a in enumerate(m.states)}
    assert all(sympy.simplify(f.xreplace(point)) == 0 for f in m.rhs)
    J = sympy.Matrix(m.rhs).jacobian(m.states)
    # Lower-triangular with diagonal -k: every eigenvalue is -k < 0.
    assert J.is_lower and all(J[i, i] == -m.symbol("k") for i in range(L))
    end = _flow_endpoint(m, np.zeros(L), {"phi": 0.4}, t_end=60)
    assert end == pytest.approx(np.cos(0.4) ** np.arange(1, L + 1), abs=1e-8)


def test_nested_alignment_monte_carlo_matches_cos_phi_to_the_l():
    # Sample size 400 in dimension 400: the cosine of level l has standard deviation about
    # 1/sqrt(dim); the mean is within 5 standard errors of cos(phi)**l (the high-dim limit).
    phi, L, samples, dim = 0.5, 5, 400, 400
    a = nested_alignment_sample(L, phi=phi, dim=dim, samples=samples, rng=np.random.default_rng(3))
    mean = a.mean(axis=0)
    se = a.std(axis=0, ddof=1) / np.sqrt(samples)
    expected = np.cos(phi) ** np.arange(1, L + 1)
    assert np.all(np.abs(mean - expected) < 5 * se + 1e-3)
    # Coherent drift in a plane would give cos(L phi), which the samples refute.
    assert abs(mean[-1] - np.cos(L * phi)) > 10 * se[-1]


def test_nested_objectives_rejects_bad_levels():
    with pytest.raises(ModelError, match="`levels`"):
        nested_objectives(0)
    with pytest.raises(ModelError, match="`levels`"):
        nested_objectives(True)  # type: ignore[arg-type]


def test_diversity_narrows_the_bistable_loop_and_removes_it_at_a_cusp():
    from scipy.optimize import fsolve

    m = entrenchment(diversity=True)
    x, theta, mu = m.states[0], m.symbol("theta"), m.symbol("mu")
    fixed = {
        m.symbol(k): sympy.nsimplify(v) for k, v in m.defaults.items() if k not in ("theta", "mu")
    }
    f = sympy.expand(m.rhs[0].xreplace(fixed))
    poly = sympy.Poly(f, x)
    coeffs = [sympy.lambdify([theta, mu], cf) for cf in poly.all_coeffs()]

    def bistable_range(mu_value: float) -> float:
        thetas = np.linspace(0.01, 0.99, 981)
        three = []
        for t in thetas:
            r = np.roots([c(t, mu_value) for c in coeffs])
            r = r[np.abs(r.imag) < 1e-9].real
            if np.sum((r > 0) & (r < 1)) == 3:
                three.append(t)
        return (max(three) - min(three)) if three else 0.0

    widths = [bistable_range(u) for u in (0.01, 0.04, 0.08, 0.15)]
    assert widths[0] > widths[1] > widths[2] > 0 and widths[3] == 0
    # The cusp: f = f_x = f_xx = 0, solved numerically; it lies between the last two mu.
    eqs = sympy.lambdify([x, theta, mu], [f, sympy.diff(f, x), sympy.diff(f, x, 2)])
    xc, tc, mc = fsolve(lambda v: eqs(*v), [0.5, 0.4, 0.12], xtol=1e-13)
    assert np.max(np.abs(eqs(xc, tc, mc))) < 1e-10
    assert 0.08 < mc < 0.15 and 0 < xc < 1
    assert bistable_range(mc * 0.9) > 0 and bistable_range(mc * 1.1) == 0
