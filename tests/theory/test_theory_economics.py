"""Economics analogues: Holmstrom-Milgrom (single and multitask) and Baker's distortion."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy.integrate import solve_ivp

from incentive_geometry import ModelError
from incentive_geometry.theory import (
    baker_distortion,
    baker_optimal_weight,
    baker_surplus,
    hm_incentive_intensity,
    holmstrom_milgrom,
    multitask_agency,
    multitask_commissions,
)


def _simulate(model, x0, params=None, t_end=200.0):
    values = {**model.defaults, **(params or {})}
    subs = {p.symbol: sympy.nsimplify(values[p.name], rational=True) for p in model.parameters}
    f = sympy.lambdify(model.states, [g.xreplace(subs) for g in model.rhs])
    sol = solve_ivp(lambda t, x: f(*x), (0, t_end), x0, rtol=1e-10, atol=1e-12)
    assert sol.success
    return sol.y[:, -1]


def _observable(model, name, point, params=None):
    values = {**model.defaults, **(params or {})}
    expr = model.observables_map[name]
    subs = {p.symbol: values[p.name] for p in model.parameters}
    subs.update(dict(zip(model.states, point, strict=True)))
    return float(expr.xreplace(subs))


def test_holmstrom_milgrom_rest_point_is_the_published_intensity():
    m = holmstrom_milgrom()
    e, beta = m.states
    r, c, s2, k = (m.symbol(n) for n in ("r", "c", "sigma2", "k"))
    (sol,) = sympy.solve(m.rhs, [e, beta], dict=True)
    assert sympy.simplify(sol[beta] - 1 / (1 + r * c * s2)) == 0
    J = sympy.Matrix(m.rhs).jacobian(m.states)
    assert sympy.simplify(J.trace() + k * c + r * s2) == 0
    assert sympy.simplify(J.det() - k * (1 + r * c * s2)) == 0
    # Simulation from zero effort and zero incentive, several parameter points.
    for r_, c_, s_ in ((1.0, 1.0, 0.5), (3.0, 0.5, 2.0), (0.0, 2.0, 1.0)):
        end = _simulate(m, [0.0, 0.0], {"r": r_, "c": c_, "sigma2": s_})
        assert end[1] == pytest.approx(hm_incentive_intensity(r=r_, c=c_, sigma2=s_), abs=1e-7)
        assert end[0] == pytest.approx(end[1] / c_, abs=1e-7)


def test_hm_certainty_equivalent_by_monte_carlo():
    # The model's risk premium r beta^2 sigma^2 / 2 is the CARA certainty-equivalent discount
    # under Gaussian noise: E[-exp(-r w)] = -exp(-r CE). Sample size 200000; the estimate of
    # E[exp(-r w)] is within 5 standard errors of the closed form.
    rng = np.random.default_rng(4)
    m = holmstrom_milgrom(r=0.8, sigma2=0.6)
    beta = hm_incentive_intensity(r=0.8, c=1.0, sigma2=0.6)
    e = beta
    wage = beta * (e + np.sqrt(0.6) * rng.standard_normal(200_000)) - e**2 / 2
    u = np.exp(-0.8 * wage)
    ce = beta * e - e**2 / 2 - _observable(m, "risk_premium", [e, beta])
    se = u.std(ddof=1) / np.sqrt(u.size)
    assert abs(u.mean() - np.exp(-0.8 * ce)) < 5 * se


def test_hm_intensity_maximizes_the_surplus_observable():
    m = holmstrom_milgrom(r=2.0, c=1.5, sigma2=0.4)
    best = hm_incentive_intensity(r=2.0, c=1.5, sigma2=0.4)
    betas = np.linspace(0, 1, 2001)
    surplus = [_observable(m, "surplus", [b / 1.5, b]) for b in betas]
    assert betas[int(np.argmax(surplus))] == pytest.approx(best, abs=1e-3)


def test_multitask_rest_point_is_the_published_formula():
    B = np.array([1.0, 0.4])
    C = np.array([[1.0, 0.3], [0.3, 2.0]])
    Sigma = np.array([[0.5, 0.2], [0.2, 1.5]])
    m = multitask_agency(2, r=1.3, B=B, C=C, Sigma=Sigma)
    end = _simulate(m, np.zeros(4), t_end=400)
    alpha = multitask_commissions(B, C, Sigma, r=1.3)
    assert end[2:] == pytest.approx(alpha, abs=1e-7)
    assert end[:2] == pytest.approx(np.linalg.solve(C, alpha), abs=1e-7)
    # Symbolic: at the rest point (I + r C Sigma) alpha = B holds identically.
    _, _, a1, a2 = m.states
    sol = sympy.solve(m.rhs, m.states, dict=True)[0]
    Cs = sympy.Matrix([[m.symbol("C_11"), m.symbol("C_12")], [m.symbol("C_12"), m.symbol("C_22")]])
    Ss = sympy.Matrix([[m.symbol("S_11"), m.symbol("S_12")], [m.symbol("S_12"), m.symbol("S_22")]])
    a = sympy.Matrix([sol[a1], sol[a2]])
    resid = (sympy.eye(2) + m.symbol("r") * Cs * Ss) * a - sympy.Matrix(
        [m.symbol("B_1"), m.symbol("B_2")]
    )
    assert sympy.simplify(resid) == sympy.zeros(2, 1)


def test_multitask_single_task_reduces_to_holmstrom_milgrom_and_validates():
    a = multitask_commissions([1.0], [[2.0]], [[0.7]], r=1.5)
    assert a[0] == pytest.approx(hm_incentive_intensity(r=1.5, c=2.0, sigma2=0.7))
    with pytest.raises(ModelError, match="positive definite"):
        multitask_agency(2, C=[[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ModelError, match="2x2"):
        multitask_commissions([1, 2], [[1.0]], [[1.0]], r=1.0)


def test_baker_weight_and_surplus_by_simulation_across_angles():
    for angle in (0.0, 0.4, 1.0, 1.4, 2.0):
        for r, s2 in ((0.0, 0.0), (1.0, 0.5)):
            params = {"angle": angle, "f_norm": 1.5, "g_norm": 0.8, "r": r, "sigma2": s2}
            m = baker_distortion()
            end = _simulate(m, [0.0, 0.0, 0.0], params)
            b_star = baker_optimal_weight(angle, f_norm=1.5, g_norm=0.8, r=r, sigma2=s2)
            assert end[2] == pytest.approx(b_star, abs=1e-7)
            surplus = _observable(m, "surplus", end, params)
            assert surplus == pytest.approx(
                baker_surplus(angle, f_norm=1.5, g_norm=0.8, r=r, sigma2=s2), abs=1e-7
            )
    # Without risk the efficiency relative to first best |f|^2/2 is cos(angle)^2.
    assert baker_surplus(0.9, f_norm=2.0) / 2.0 == pytest.approx(np.cos(0.9) ** 2)


def test_baker_errors():
    with pytest.raises(ModelError, match="g_norm"):
        baker_optimal_weight(0.1, g_norm=0.0)
    with pytest.raises(ModelError, match="angle"):
        baker_distortion(angle=4.0)
