"""Organizations and measurement: regressional Goodhart and managerial entrenchment."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy.integrate import solve_ivp

from incentive_geometry import ModelError
from incentive_geometry.theory import (
    CANONICAL_NAMES,
    entrenchment,
    goodhart_conditional_mean,
    goodhart_truncated_mean,
    managerial_entrenchment,
    regressional_goodhart,
    selection_intensity,
)


def test_goodhart_closed_forms_by_monte_carlo():
    # 400000 draws of V ~ N(0, 1.2^2), X ~ N(0, 0.9^2); conditional means within 5 standard
    # errors of the closed forms.
    rng = np.random.default_rng(6)
    sv, sx, n = 1.2, 0.9, 400_000
    value = sv * rng.standard_normal(n)
    proxy = value + sx * rng.standard_normal(n)
    for t in (0.0, 1.0, 2.5):
        sel = value[proxy >= t]
        se = sel.std(ddof=1) / np.sqrt(sel.size)
        assert abs(sel.mean() - goodhart_truncated_mean(t, sigma_v=sv, sigma_x=sx)) < 5 * se
    # E[V | U = u]: local average in a thin bin around u.
    for u in (-1.0, 0.5, 2.0):
        sel = value[np.abs(proxy - u) < 0.02]
        se = sel.std(ddof=1) / np.sqrt(sel.size)
        assert abs(sel.mean() - goodhart_conditional_mean(u, sigma_v=sv, sigma_x=sx)) < 5 * se
    # The truncated mean is the proxy gain scaled by sigma_v^2 / sigma_u^2 (the Goodhart gap).
    su = np.hypot(sv, sx)
    assert goodhart_truncated_mean(1.0, sigma_v=sv, sigma_x=sx) == pytest.approx(
        su * selection_intensity(1.0 / su) * sv**2 / su**2
    )


def test_goodhart_model_step_and_stochastic_step_agree():
    # The model's map v' = v + i sigma_v^2 / sigma_u against 300 generations of the seeded
    # stochastic step (population 1000 each): mean gain within 5 standard errors.
    m = regressional_goodhart(sigma_v=1.0, sigma_x=2.0, intensity=1.4, population=1000)
    values = m.defaults
    subs = {p.symbol: sympy.nsimplify(values[p.name]) for p in m.parameters}
    predicted = float((m.rhs[0] - m.states[0]).xreplace(subs))
    assert predicted == pytest.approx(1.4 / np.sqrt(5.0))
    assert float(m.observables_map["goodhart_ratio"].xreplace(subs)) == pytest.approx(0.2)
    rng = np.random.default_rng(9)
    x = np.zeros((300, 1))
    gains = m.stochastic_step(x, values, rng)[:, 0]
    se = gains.std(ddof=1) / np.sqrt(gains.size)
    assert abs(gains.mean() - predicted) < 5 * se
    assert m.stochastic_step(np.array([0.0]), values, rng).shape == (1,)


def test_goodhart_validation():
    with pytest.raises(ModelError, match="sigma_v"):
        goodhart_conditional_mean(1.0, sigma_v=0.0, sigma_x=1.0)
    with pytest.raises(ModelError, match="population"):
        regressional_goodhart(population=2)


def test_managerial_entrenchment_is_the_canonical_model_renamed():
    m = managerial_entrenchment()
    canon = entrenchment()
    mapping = {m.symbol(k): canon.symbol(v) for k, v in CANONICAL_NAMES.items()}
    assert sympy.simplify(m.rhs[0].xreplace(mapping) - canon.rhs[0]) == 0
    assert {k: m.parameter(k).default for k in CANONICAL_NAMES} == {
        k: canon.parameter(v).default for k, v in CANONICAL_NAMES.items()
    }


def test_managerial_entrenchment_thresholds_by_simulation():
    m = managerial_entrenchment(benefit_weight=1.5, private_benefit=0.1, specificity=0.8, cost=1.0)
    x = m.states[0]
    monitoring = m.symbol("monitoring")
    # Undoing entrenchment: the monitoring level where x = 1 loses stability.
    (undo,) = sympy.solve(sympy.diff(m.rhs[0], x).subs(x, 1), monitoring)
    (prevent,) = sympy.solve(sympy.diff(m.rhs[0], x).subs(x, 0), monitoring)
    ab = 1.5 * 0.9
    assert float(
        undo.subs({p.symbol: p.default for p in m.parameters if p.name != "monitoring"})
    ) == pytest.approx(ab / (ab + 1.0))
    assert float(
        prevent.subs({p.symbol: p.default for p in m.parameters if p.name != "monitoring"})
    ) == pytest.approx(0.15 / 1.15)

    def end(mon: float, x0: float) -> float:
        vals = {p.symbol: (mon if p.name == "monitoring" else p.default) for p in m.parameters}
        f = sympy.lambdify(x, m.rhs[0].xreplace(vals))
        return float(solve_ivp(lambda t, y: [f(y[0])], (0, 3000), [x0], rtol=1e-9).y[0, -1])

    mid = (0.15 / 1.15 + ab / (ab + 1.0)) / 2
    assert end(mid, 0.99) > 0.99  # entrenched manager stays (hysteresis)
    assert end(mid, 0.01) < 1e-3  # but a board at this level prevents entrenchment
    assert end(ab / (ab + 1.0) + 0.03, 0.99) < 1e-3


def test_goodhart_step_rejects_an_impossible_intensity():
    m = regressional_goodhart()
    with pytest.raises(ModelError, match="intensity"):
        m.stochastic_step(
            np.array([0.0]), {**m.defaults, "intensity": 50.0}, np.random.default_rng(0)
        )
