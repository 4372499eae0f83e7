"""Biology analogues: replicator dynamics, rock-paper-scissors, Price, multilevel selection."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy.integrate import solve_ivp

from incentive_geometry import ModelError
from incentive_geometry.theory import (
    moran_fixation_probability,
    multilevel_selection,
    price_decomposition,
    price_selection,
    replicator,
    rock_paper_scissors,
    traulsen_nowak_fixation,
    traulsen_nowak_threshold,
)


def _numeric(model, params=None):
    values = {**model.defaults, **(params or {})}
    subs = {p.symbol: sympy.nsimplify(values[p.name], rational=True) for p in model.parameters}
    f = sympy.lambdify(model.states, [g.xreplace(subs) for g in model.rhs])
    return lambda x: np.array(f(*x), dtype=float)


def _simulate(model, x0, params=None, t_end=200.0):
    f = _numeric(model, params)
    sol = solve_ivp(lambda t, x: f(x), (0, t_end), x0, rtol=1e-10, atol=1e-12, dense_output=True)
    assert sol.success
    return sol


# --------------------------------------------------------------------------------------------
# Replicator dynamics


def test_hawk_dove_mixed_equilibrium_is_v_over_c_and_attracts():
    m = replicator()  # Hawk-Dove, V = 2, C = 3
    V, C = sympy.symbols("V C", positive=True)
    r = m.reduce_simplex()
    (x1,) = r.states
    payoff = {
        m.symbol("a_11"): (V - C) / 2,
        m.symbol("a_12"): V,
        m.symbol("a_21"): 0,
        m.symbol("a_22"): V / 2,
    }
    f = r.rhs[0].xreplace(payoff)
    interior = [s for s in sympy.solve(f, x1) if s not in (0, 1)]
    assert len(interior) == 1 and sympy.simplify(interior[0] - V / C) == 0
    slope = sympy.simplify(sympy.diff(f, x1).subs(x1, V / C))
    # f'(V/C) = -V (C - V) / (2 C) < 0 when V < C: the mixed ESS is stable.
    assert sympy.simplify(slope + V * (C - V) / (2 * C)) == 0
    for x0 in (0.05, 0.5, 0.95):
        end = _simulate(m, [x0, 1 - x0]).y[:, -1]
        assert end[0] == pytest.approx(2 / 3, abs=1e-7)


def test_strict_nash_vertices_of_a_coordination_game_are_stable():
    m = replicator([[2, 0], [0, 1]])
    # Interior rest point at x1 = 1/3 separates the basins of the two strict equilibria.
    assert _simulate(m, [0.3, 0.7]).y[0, -1] == pytest.approx(0.0, abs=1e-6)
    assert _simulate(m, [0.36, 0.64]).y[0, -1] == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ModelError, match="square"):
        replicator([[1, 2, 3]])


def test_rock_paper_scissors_stability_condition():
    m = rock_paper_scissors()
    W, L = m.symbol("win"), m.symbol("loss")
    x1, x2, x3 = m.states
    third = sympy.Rational(1, 3)
    centre = {x1: third, x2: third, x3: third}
    assert all(sympy.simplify(f.xreplace(centre)) == 0 for f in m.rhs)
    # Lyapunov identity: d/dt log(x1 x2 x3) = (win - loss)(1 - 3 (x1x2 + x2x3 + x3x1)) on the
    # simplex.
    dlog = sum(f / x for f, x in zip(m.rhs, m.states, strict=True))
    identity = dlog - (W - L) * (1 - 3 * (x1 * x2 + x2 * x3 + x3 * x1))
    assert sympy.simplify(identity.subs(x3, 1 - x1 - x2)) == 0
    # Eigenvalues at the centre of the reduced system: ((loss - win) +- i sqrt(3)(win + loss))/6.
    r = m.reduce_simplex()
    J = sympy.Matrix(r.rhs).jacobian(r.states).subs({s: third for s in r.states})
    eig = list(J.eigenvals())
    expected = [
        (L - W + sympy.I * sympy.sqrt(3) * (W + L)) / 6,
        (L - W - sympy.I * sympy.sqrt(3) * (W + L)) / 6,
    ]
    assert all(any(sympy.simplify(e - t) == 0 for t in expected) for e in eig)
    # Simulation: stable, neutral and unstable cases.
    x0 = [0.5, 0.3, 0.2]
    for win, loss, trend in ((1.0, 0.5, "in"), (1.0, 1.0, "cycle"), (0.5, 1.0, "out")):
        sol = _simulate(m, x0, {"win": win, "loss": loss}, t_end=150)
        prod_start = np.prod(x0)
        prod_end = np.prod(sol.y[:, -1])
        if trend == "in":
            assert sol.y[:, -1] == pytest.approx([1 / 3] * 3, abs=1e-4)
        elif trend == "cycle":
            assert prod_end == pytest.approx(prod_start, rel=1e-6)
        else:
            assert prod_end < prod_start / 10


# --------------------------------------------------------------------------------------------
# The Price equation


def test_price_model_observables_sum_to_the_change():
    m = price_selection()
    (x,) = m.states
    terms = m.observables_map["selection"] + m.observables_map["transmission"]
    assert sympy.simplify(terms - (m.rhs[0] - x)) == 0


def test_price_equation_holds_in_a_simulated_population():
    # A finite population: Poisson offspring numbers with means w_type, offspring switch type
    # with probability m. Price's identity holds exactly for every realization; the mean change
    # over 2000 realizations matches the model map within 5 standard errors.
    rng = np.random.default_rng(5)
    w = {1: 1.3, 0: 0.9}
    m_switch = 0.1
    model = price_selection(w_1=w[1], w_2=w[0], m=m_switch)
    step = _numeric(model)
    N, x0 = 400, 0.3
    z = (np.arange(N) < int(x0 * N)).astype(float)
    changes = []
    for _ in range(2000):
        fitness = rng.poisson(np.where(z == 1, w[1], w[0])).astype(float)
        switched = rng.binomial(fitness.astype(int), m_switch)
        # Mean offspring trait of each parent: switched offspring take the other trait.
        with np.errstate(invalid="ignore", divide="ignore"):
            zp = np.where(fitness > 0, (z * (fitness - switched) + (1 - z) * switched) / fitness, z)
        t = price_decomposition(fitness, z, zp)
        assert t.selection + t.transmission == pytest.approx(t.change, abs=1e-12)
        changes.append(t.change)
    changes_arr = np.array(changes)
    expected = step([x0])[0] - x0
    # The realized change is a ratio of sums; its mean approaches the map as N grows (bias
    # O(1/N)), well inside the Monte Carlo error here.
    se = changes_arr.std(ddof=1) / np.sqrt(changes_arr.size)
    assert abs(changes_arr.mean() - expected) < 5 * se + 1e-3


def test_price_decomposition_validates():
    with pytest.raises(ModelError, match="same positive length"):
        price_decomposition([1, 2], [1], [1])
    with pytest.raises(ModelError, match="nonnegative"):
        price_decomposition([-1, 2], [1, 0], [1, 0])


# --------------------------------------------------------------------------------------------
# Multilevel selection


def test_traulsen_nowak_condition_from_the_weak_selection_expansion():
    w, b, c = sympy.symbols("w b c", positive=True)
    for n, m in ((3, 6), (4, 5), (5, 12)):
        # rho_in: Moran fixation with the prisoner's dilemma payoffs, exact in w.
        f = [1 - w + w * ((b - c) * (i - 1) - c * (n - i)) / (n - 1) for i in range(1, n)]
        g = [1 - w + w * b * i / (n - 1) for i in range(1, n)]
        total = 1 + sum(sympy.prod([g[i] / f[i] for i in range(k)]) for k in range(1, n))
        r = (1 - w + w * (b - c)) / (1 - w)
        # (1 - 1/r) / (1 - r^-m) written without the removable 0/0 at r = 1 (w = 0).
        rho_between = r ** (m - 1) / sum(r**k for k in range(m))
        rho = rho_between / total
        # First-order coefficient of rho * N in w (rho * N = 1 at w = 0).
        first = sympy.factor(sympy.diff(rho * n * m, w).subs(w, 0))
        # rho > 1/N to first order iff the w-coefficient is positive: its root in b is the
        # threshold (1 + n/(m-2)) c.
        (root,) = sympy.solve(first, b)
        assert sympy.simplify(root / c - 1 - sympy.Rational(n, m - 2)) == 0
        assert float(root / c) == pytest.approx(traulsen_nowak_threshold(n, m))
        # The closed-form function agrees with this symbolic expression.
        val = float(rho.subs({w: 0.05, b: 3, c: 1}))
        assert traulsen_nowak_fixation(b=3.0, c=1.0, n=n, m=m, w=0.05) == pytest.approx(val)
    # Many groups: the threshold tends to 1 + n/m.
    assert traulsen_nowak_threshold(10, 10_000) == pytest.approx(
        traulsen_nowak_threshold(10, 10_000, many_groups=True), rel=1e-3
    )
    with pytest.raises(ModelError, match="exceed 2"):
        traulsen_nowak_threshold(4, 2)


def test_moran_fixation_matches_its_neutral_and_constant_fitness_limits():
    assert moran_fixation_probability([[1, 1], [1, 1]], 7, 0.3) == pytest.approx(1 / 7)
    # Constant fitness r vs 1: (1 - 1/r) / (1 - r^-N).
    rr = 1.5
    wv = 0.5
    got = moran_fixation_probability([[(rr - 1 + wv) / wv, (rr - 1 + wv) / wv], [1, 1]], 6, wv)
    assert got == pytest.approx((1 - 1 / rr) / (1 - rr**-6))


def _fixation(model, groups, size, runs, seed):
    rng = np.random.default_rng(seed)
    X = np.zeros((runs, 2 * groups))
    X[:, groups:] = size
    X[:, 0], X[:, groups] = 1, size - 1  # one cooperator in group 1, all groups full
    done = np.zeros(runs, dtype=bool)
    won = np.zeros(runs, dtype=bool)
    for _ in range(200_000):
        if done.all():
            break
        active = ~done
        X[active] = model.stochastic_step(X[active], model.defaults, rng)
        coop, defe = X[:, :groups].sum(axis=1), X[:, groups:].sum(axis=1)
        ended = active & ((coop == 0) | (defe == 0))
        won |= ended & (defe == 0)
        done |= ended
    assert done.all()
    return won.mean()


@pytest.mark.parametrize(
    ("groups", "size", "b", "w", "q", "runs", "seed"),
    [(5, 2, 6.0, 0.15, 0.01, 2000, 21), (4, 4, 1.5, 0.3, 0.005, 2000, 22)],
)
def test_multilevel_fixation_by_monte_carlo(groups, size, b, w, q, runs, seed):
    # Sample size `runs`; the estimate lies within 4 standard errors of the rare-splitting
    # closed form, and on the predicted side of the neutral 1/N.
    model = multilevel_selection(groups=groups, size=size, b=b, c=1.0, w=w, q=q)
    est = _fixation(model, groups, size, runs, seed)
    rho = traulsen_nowak_fixation(b=b, c=1.0, n=size, m=groups, w=w)
    se = np.sqrt(rho * (1 - rho) / runs)
    assert abs(est - rho) < 4 * se
    neutral = 1 / (groups * size)
    assert (est > neutral) == (rho > neutral)
    assert abs(rho - neutral) > 4 * se  # the parameters discriminate


def test_multilevel_mean_dynamics_match_the_stochastic_step():
    # One event from a fixed state, 100000 samples: the mean next state equals the model's
    # equations (the expected change) within 5 standard errors, splitting included (q = 0.3).
    model = multilevel_selection(groups=3, size=3, q=0.3, w=0.4)
    x0 = np.array([1.0, 3.0, 0.0, 2.0, 0.0, 2.0])  # group 2 full (3), groups 1 and 3 growing
    f = _numeric(model)
    rng = np.random.default_rng(8)
    samples = model.stochastic_step(np.tile(x0, (100_000, 1)), model.defaults, rng)
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    assert np.all(np.abs(mean - f(x0)) < 5 * se + 1e-12)
    one = model.stochastic_step(x0, model.defaults, np.random.default_rng(0))
    assert one.shape == x0.shape


def test_multilevel_selection_validates():
    with pytest.raises(ModelError, match="`groups`"):
        multilevel_selection(groups=1)
    with pytest.raises(ModelError, match="`w`"):
        traulsen_nowak_fixation(b=2.0, c=1.0, n=3, m=4, w=1.5)


def test_price_identity_holds_for_any_population():
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    floats = st.floats(-10, 10, allow_nan=False)

    @settings(max_examples=200, deadline=None)
    @given(
        st.integers(1, 30).flatmap(
            lambda n: st.tuples(
                arrays(float, n, elements=st.floats(0, 5, allow_nan=False)),
                arrays(float, n, elements=floats),
                arrays(float, n, elements=floats),
            )
        )
    )
    def check(data):
        w, z, zp = data
        if w.sum() <= 1e-6:
            return
        t = price_decomposition(w, z, zp)
        assert t.selection + t.transmission == pytest.approx(t.change, abs=1e-8)

    check()
