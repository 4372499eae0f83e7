"""Technology lock-in: Arthur's adoption process and nonlinear Polya urns (Monte Carlo)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from incentive_geometry import ModelError
from incentive_geometry.theory import (
    arthur_adoption,
    arthur_barriers,
    arthur_lockin_probability,
    polya_urn,
    power_urn_limits,
)


def _run_arthur(model, runs, steps, rng):
    X = np.zeros((runs, 2))
    lead_path = np.empty((steps, runs))
    for t in range(steps):
        X = model.stochastic_step(X, model.defaults, rng)
        lead_path[t] = X[:, 0] - X[:, 1]
    return X, lead_path


@pytest.mark.parametrize("p", [0.5, 0.6])
def test_arthur_lock_in_probability_by_monte_carlo(p):
    # 4000 adoption histories of 400 adopters each; the share of histories locked into A is
    # within 4 standard errors of the gambler's-ruin probability.
    model = arthur_adoption(p=p)
    lower, upper = arthur_barriers(a_r=1.0, b_r=0.75, a_s=0.6, b_s=0.95, r=0.1)
    assert (lower, upper) == (-3, 4)
    runs = 4000
    X, lead = _run_arthur(model, runs, 400, np.random.default_rng(10))
    hit_upper = np.argmax(lead >= upper, axis=0)
    hit_lower = np.argmax(lead <= lower, axis=0)
    reached_u = (lead >= upper).any(axis=0)
    reached_l = (lead <= lower).any(axis=0)
    assert (reached_u | reached_l).all()
    a_wins = reached_u & (~reached_l | (hit_upper < hit_lower))
    prob = arthur_lockin_probability(lower=lower, upper=upper, p=p)
    se = np.sqrt(prob * (1 - prob) / runs)
    assert abs(a_wins.mean() - prob) < 4 * se
    # Absorbing: after the barrier every adopter picks the winner, so the lead is monotone.
    final = X[:, 0] - X[:, 1]
    assert np.all(final[a_wins] == upper + (400 - 1 - hit_upper[a_wins]))
    assert np.all(final[~a_wins] == lower - (400 - 1 - hit_lower[~a_wins]))


def test_arthur_mean_dynamics_are_the_expected_choice():
    m = arthur_adoption(p=0.6)
    rng = np.random.default_rng(11)
    # Three leads: inside the barriers (R picks A, S picks B), past each barrier.
    for state, p_a in (([2.0, 1.0], 0.6), ([6.0, 1.0], 1.0), ([0.0, 4.0], 0.0)):
        subs = {p.symbol: sympy.nsimplify(p.default) for p in m.parameters}
        subs.update(dict(zip(m.states, state, strict=True)))
        assert float(m.rhs[0].xreplace(subs)) - state[0] == pytest.approx(p_a)
        draws = m.stochastic_step(np.tile(state, (20_000, 1)), m.defaults, rng)[:, 0] - state[0]
        se = max(draws.std(ddof=1), 1e-12) / np.sqrt(draws.size)
        assert abs(draws.mean() - p_a) < 5 * se + 1e-12


def test_arthur_validation():
    with pytest.raises(ModelError, match="prefer"):
        arthur_adoption(a_r=0.5, b_r=0.9)
    with pytest.raises(ModelError, match="lower < start < upper"):
        arthur_lockin_probability(lower=0, upper=3)


def _urn_shares(model, runs, steps, rng, red=1.0, blue=1.0):
    X = np.tile([red, blue], (runs, 1))
    for _ in range(steps):
        X = model.stochastic_step(X, model.defaults, rng)
    return X[:, 0] / X.sum(axis=1)


def test_urn_limits_are_the_downcrossing_fixed_points():
    for alpha in (0.5, 2.0):
        m = polya_urn(alpha=alpha)
        x = sympy.Symbol("x", real=True)
        red, blue = m.states
        # The drift observable as a function of the share: f(x) - x.
        drift = (
            m.observables_map["drift"]
            .subs({red: x, blue: 1 - x})
            .subs(m.symbol("alpha"), sympy.nsimplify(alpha))
        )
        assert all(
            sympy.simplify(drift.subs(x, sympy.nsimplify(p.x))) == 0
            for p in power_urn_limits(alpha)
        )
        slope = sympy.diff(drift, x)
        # Down-crossing: the drift decreases through zero.
        for p in power_urn_limits(alpha):
            if 0 < p.x < 1:
                assert (float(slope.subs(x, p.x)) < 0) == p.downcrossing
        # Monte Carlo: 1000 urns, 3000 draws each.
        shares = _urn_shares(m, 1000, 3000, np.random.default_rng(12))
        if alpha > 1:
            # Monopoly: nearly every urn is near 0 or 1; both happen (symmetric start), each
            # with frequency within 4 standard errors of 1/2.
            assert np.mean(np.minimum(shares, 1 - shares) < 0.1) > 0.95
            high = np.mean(shares > 0.5)
            assert abs(high - 0.5) < 4 * np.sqrt(0.25 / shares.size)
        else:
            # Convergence to 1/2 (slow: 1 - f'(1/2) = 1/2 gives the rate sqrt(log n / n)): the
            # mean is within 4 standard errors of 1/2 and the spread shrinks with the draws.
            assert abs(shares.mean() - 0.5) < 4 * shares.std(ddof=1) / np.sqrt(shares.size)
            early = _urn_shares(m, 1000, 300, np.random.default_rng(14))
            assert np.mean(np.abs(shares - 0.5)) < 0.6 * np.mean(np.abs(early - 0.5))
            assert np.mean(np.abs(shares - 0.5) < 0.1) > 0.99


def test_classical_urn_limit_is_uniform():
    # alpha = 1, one red and one blue ball: the limit share is Beta(1, 1). 2000 urns of 2000
    # draws (finite-time share is uniform on {k/2002}); mean and variance within 5 standard
    # errors of 1/2 and 1/12.
    m = polya_urn(alpha=1.0)
    shares = _urn_shares(m, 2000, 2000, np.random.default_rng(13))
    assert abs(shares.mean() - 0.5) < 5 * np.sqrt(1 / 12 / shares.size)
    # Var of the sample variance of a uniform: (1/80 - 1/144) / n.
    assert abs(shares.var() - 1 / 12) < 5 * np.sqrt((1 / 80 - 1 / 144) / shares.size)


def test_power_urn_limits_validation():
    with pytest.raises(ModelError, match="alpha"):
        power_urn_limits(1.0)
