"""Learning dynamics: the multiplicative-weights map and deep linear network modes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy.integrate import solve_ivp

from incentive_geometry import ModelError
from incentive_geometry.theory import (
    deep_linear_network,
    entrenchment,
    multiplicative_weights,
    mw_flip_threshold,
    saxe_learning_time,
    saxe_mode_trajectory,
)


def _map(model, params):
    values = {**model.defaults, **params}
    subs = {p.symbol: sympy.nsimplify(values[p.name], rational=True) for p in model.parameters}
    return sympy.lambdify(model.states[0], model.rhs[0].xreplace(subs))


def _orbit(f, x0, n):
    out = np.empty(n)
    x = x0
    for i in range(n):
        x = f(x)
        out[i] = x
    return out


def test_mw_multiplier_and_flip_condition_derived():
    m = multiplicative_weights()
    (x,) = m.states
    a, b = m.symbol("a"), m.symbol("b")
    f = m.rhs[0]
    assert sympy.simplify(f.subs(x, b) - b) == 0
    multiplier = sympy.simplify(sympy.diff(f, x).subs(x, b))
    assert sympy.simplify(multiplier - (1 - a * b * (1 - b))) == 0
    # Flip: multiplier = -1 exactly at the published threshold.
    (a_flip,) = sympy.solve(multiplier + 1, a)
    assert sympy.simplify(a_flip - 2 / (b * (1 - b))) == 0


@pytest.mark.parametrize("b", [0.5, 0.3])
def test_mw_period_doubling_past_the_threshold(b):
    m = multiplicative_weights()
    a_c = mw_flip_threshold(b)
    below = _orbit(_map(m, {"a": 0.9 * a_c, "b": b}), 0.2, 3000)
    assert below[-1] == pytest.approx(b, abs=1e-8)
    above = _orbit(_map(m, {"a": 1.05 * a_c, "b": b}), 0.2, 4000)
    # A period-2 orbit: x_{t+2} = x_t, x_{t+1} != x_t, straddling b.
    assert above[-1] == pytest.approx(above[-3], abs=1e-8)
    assert abs(above[-1] - above[-2]) > 1e-2
    assert min(above[-2:]) < b < max(above[-2:])
    # The period-2 points solve f(f(x)) = x and are stable for the second iterate.
    f2 = m.iterate(2)
    g = _map(f2, {"a": 1.05 * a_c, "b": b})
    assert g(above[-1]) == pytest.approx(above[-1], abs=1e-10)


def test_entrenchment_map_period_doubles_under_negative_feedback():
    # DESIGN.md: the discrete optimizer period-doubles once negative feedback is added and eta
    # is large. With gamma < 0 substituted, the interior multiplier is 1 + eta x*(1-x*) G'.
    m = entrenchment(discrete=True)
    x = m.states[0]
    f = m.rhs[0].xreplace(
        {
            m.symbol("gamma"): -2,
            m.symbol("b"): 1,
            m.symbol("alpha"): 1,
            m.symbol("theta"): 0,
            m.symbol("c"): 1,
        }
    )
    # G(x) = 1 - 2x, interior point x* = 1/2, multiplier 1 - eta/2: flip at eta = 4.
    assert sympy.simplify(sympy.diff(f, x).subs(x, sympy.Rational(1, 2))) == 1 - m.symbol("eta") / 2
    for eta, period in ((3.0, 1), (4.5, 2)):
        fn = sympy.lambdify(x, f.subs(m.symbol("eta"), eta))
        orb = _orbit(fn, 0.3, 3000)
        assert abs(orb[-1] - orb[-1 - period]) < 1e-8
        assert (abs(orb[-1] - orb[-2]) > 1e-3) == (period == 2)


def test_saxe_closed_form_matches_gradient_flow():
    m = deep_linear_network()
    s, tau = 2.0, 0.5
    vals = {m.symbol("s"): s, m.symbol("tau"): tau}
    f = sympy.lambdify(m.states, [g.xreplace(vals) for g in m.rhs])
    u0 = 1e-3
    t = np.linspace(0, 4, 81)
    sol = solve_ivp(
        lambda _t, y: f(*y), (0, 4), [np.sqrt(u0)] * 2, t_eval=t, rtol=1e-11, atol=1e-13
    )
    u = sol.y[0] * sol.y[1]
    assert u == pytest.approx(saxe_mode_trajectory(t, s=s, u0=u0, tau=tau), rel=1e-7, abs=1e-10)
    # Learning time to reach uf: the simulated crossing time agrees.
    uf = 0.9 * s
    t_learn = saxe_learning_time(s=s, u0=u0, uf=uf, tau=tau)
    crossing = np.interp(uf, u, t)
    assert crossing == pytest.approx(t_learn, abs=2e-3)
    # Conserved imbalance a^2 - b^2 and the logistic law tau du/dt = 2u(s - u) on balanced
    # starts, derived symbolically.
    a, b = m.states
    imb = m.observables_map["imbalance"]
    assert (
        sympy.simplify(sum(sympy.diff(imb, v) * g for v, g in zip(m.states, m.rhs, strict=True)))
        == 0
    )
    du = sympy.diff(a * b, a) * m.rhs[0] + sympy.diff(a * b, b) * m.rhs[1]
    balanced = du.subs(b, a)
    assert sympy.simplify(balanced - 2 * a**2 * (m.symbol("s") - a**2) / m.symbol("tau")) == 0


def test_saxe_origin_is_a_saddle():
    m = deep_linear_network()
    J = sympy.Matrix(m.rhs).jacobian(m.states).subs({v: 0 for v in m.states})
    s, tau = m.symbol("s"), m.symbol("tau")
    assert set(J.eigenvals()) == {s / tau, -s / tau}


def test_learning_validation():
    with pytest.raises(ModelError, match="`b`"):
        mw_flip_threshold(1.0)
    with pytest.raises(ModelError, match="u0 < uf < s"):
        saxe_learning_time(s=1.0, u0=0.5, uf=2.0)
