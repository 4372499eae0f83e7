"""The library's published results derived by the toolkit's symbolic engine.

``ig.equilibria``, ``ig.stability``, ``ig.threshold`` and ``ig.bifurcations`` receive the library
models as any user's; their output is compared with the closed forms by substitution and at
random parameter points.
"""

from __future__ import annotations

import numpy as np
import sympy

import incentive_geometry as ig
from incentive_geometry.theory import (
    ablate,
    entrenchment,
    entrenchment_n,
    holmstrom_milgrom,
    managerial_entrenchment,
    multiplicative_weights,
    replicator,
    rock_paper_scissors,
)


def _holds(condition, model, values):
    """A sympy Boolean at a parameter point, as a Python bool (evaluated in floating point)."""
    if condition in (sympy.true, sympy.false):
        return bool(condition)
    names = sorted(values)
    f = sympy.lambdify([model.symbol(k) for k in names], condition, modules="numpy")
    return bool(f(*[float(values[k]) for k in names]))


def _samples(rng, n):
    lo, hi = [0.2, 0.02, 0.0, 0.1, 0.2], [2.5, 0.95, 1.0, 2.0, 2.0]
    return [
        dict(zip(["alpha", "theta", "b", "gamma", "c"], rng.uniform(lo, hi), strict=True))
        for _ in range(n)
    ]


def _by_point(model, *, complete=True):
    eqs = ig.equilibria(model, timeout=60)
    # Transcendental fixed-point equations (exp in the map) are flagged incomplete, honestly.
    assert eqs.complete == complete, eqs.message
    return {tuple(e.point[s] for s in model.states): e for e in eqs}


def test_canonical_equilibria_stability_threshold_and_bifurcation():
    m = entrenchment()
    alpha, theta, b, gamma, c = (m.symbol(n) for n in ("alpha", "theta", "b", "gamma", "c"))
    eqs = _by_point(m)
    x_star = (theta * c / (alpha * (1 - theta)) - b) / gamma
    assert set(eqs) >= {(0,), (1,)} and len(eqs) == 3
    (interior,) = [p for p in eqs if p not in ((0,), (1,))]
    assert sympy.simplify(interior[0] - x_star) == 0
    aligned = ig.stability(m, eqs[(0,)]).condition
    entrenched = ig.stability(m, eqs[(1,)]).condition
    inner = ig.stability(m, eqs[interior])
    rng = np.random.default_rng(40)
    for values in _samples(rng, 60):
        a_, t_, b_, g_, c_ = values.values()
        ok0 = a_ * (1 - t_) * b_ < t_ * c_
        ok1 = a_ * (1 - t_) * (b_ + g_) > t_ * c_
        assert _holds(aligned, m, values) == ok0
        assert _holds(entrenched, m, values) == ok1
        assert _holds(eqs[interior].exists, m, values) == (ok0 and ok1)
        if ok0 and ok1:
            assert not _holds(inner.condition, m, values)  # bistability: x* unstable
    th = ig.threshold(m, eqs[(1,)], "theta")
    values = [sol.value for sol in th.solutions]
    assert any(
        sympy.simplify(v - alpha * (b + gamma) / (alpha * (b + gamma) + c)) == 0 for v in values
    )
    kinds = {bc.kind for bc in ig.bifurcations(m, eqs[(1,)])}
    assert "transcritical" in kinds


def test_ablations_derived_symbolically():
    rng = np.random.default_rng(41)
    no_obs = ablate(entrenchment(), "partial_observability")
    eqs = _by_point(no_obs)
    stable = {p: ig.stability(no_obs, e).condition for p, e in eqs.items()}
    assert stable[(0,)] == sympy.true
    assert all(cond == sympy.false for p, cond in stable.items() if p != (0,))
    no_fb = ablate(entrenchment(), "recursive_feedback")
    eqs = _by_point(no_fb)
    assert set(eqs) == {(0,), (1,)}  # no interior rest point without feedback
    c0 = ig.stability(no_fb, eqs[(0,)]).condition
    c1 = ig.stability(no_fb, eqs[(1,)]).condition
    for values in _samples(rng, 40):
        values.pop("gamma")
        assert not (_holds(c0, no_fb, values) and _holds(c1, no_fb, values))


def test_discrete_optimizer_boundaries_match_the_flow():
    flow, mw = entrenchment(), entrenchment(discrete=True)
    ef, em = _by_point(flow), _by_point(mw, complete=False)
    rng = np.random.default_rng(42)
    for point in ((0,), (1,)):
        cf = ig.stability(flow, ef[point]).condition
        cm = ig.stability(mw, em[point]).condition
        for values in _samples(rng, 25):
            assert _holds(cf, flow, values) == _holds(cm, mw, {**values, "eta": 0.7})


def test_holmstrom_milgrom_optimum_and_its_stability():
    m = holmstrom_milgrom()
    (eq,) = ig.equilibria(m)
    r, c, s2 = m.symbol("r"), m.symbol("c"), m.symbol("sigma2")
    assert sympy.simplify(eq.point[m.symbol("beta")] - 1 / (1 + r * c * s2)) == 0
    assert ig.stability(m, eq).condition == sympy.true


def test_multiplicative_weights_flip_condition_derived():
    m = multiplicative_weights()
    eqs = _by_point(m, complete=False)
    b_pt = (m.symbol("b"),)
    cond = ig.stability(m, eqs[b_pt]).condition
    rng = np.random.default_rng(43)
    for _ in range(40):
        a_, b_ = rng.uniform(0.1, 30), rng.uniform(0.05, 0.95)
        assert _holds(cond, m, {"a": a_, "b": b_}) == (a_ < 2 / (b_ * (1 - b_)))
    assert "flip" in {bc.kind for bc in ig.bifurcations(m, eqs[b_pt])}


def test_rock_paper_scissors_centre_condition_derived():
    m = rock_paper_scissors()
    third = sympy.Rational(1, 3)
    (centre,) = [e for e in ig.equilibria(m) if all(e.point[s] == third for s in m.states)]
    cond = ig.stability(m, centre).condition
    for win, loss in ((1.0, 0.5), (0.5, 1.0), (2.0, 1.9), (1.9, 2.0)):
        assert _holds(cond, m, {"win": win, "loss": loss}) == (win > loss)


def test_managerial_entrenchment_threshold_derived():
    m = managerial_entrenchment()
    eqs = _by_point(m)
    th = ig.threshold(m, eqs[(1,)], "monitoring")
    A, B, G, C = (m.symbol(n) for n in ("benefit_weight", "private_benefit", "specificity", "cost"))
    assert any(sympy.simplify(s.value - A * (B + G) / (A * (B + G) + C)) == 0 for s in th.solutions)


def test_n_routine_vertex_conditions_derived():
    b, gamma, c = [0, 0.2, 0.5], [0, 1, 0.5], [0, 1, 0.8]
    m = entrenchment_n(3, b=b, gamma=gamma, c=c)
    eqs = ig.equilibria(m, timeout=60)
    assert eqs.complete
    rng = np.random.default_rng(44)
    for k in range(3):
        (vertex,) = [e for e in eqs if e.point[m.states[k]] == 1]
        cond = ig.stability(m, vertex).condition
        for _ in range(30):
            a_, t_ = rng.uniform(0.2, 3.0), rng.uniform(0.02, 0.98)

            def s(i, w_i, a_=a_, t_=t_):
                return a_ * (1 - t_) * (b[i] + gamma[i] * w_i) - t_ * c[i]

            # DESIGN.md: e_k is stable iff s_j(e_k) < s_k(e_k) for all j != k.
            predicted = all(s(j, 0.0) < s(k, 1.0) for j in range(3) if j != k)
            assert _holds(cond, m, {"alpha": a_, "theta": t_}) == predicted


def test_hawk_dove_interior_condition_derived():
    m = replicator()
    eqs = _by_point(m)
    (interior,) = [e for p, e in eqs.items() if p not in ((0, 1), (1, 0))]
    cond = ig.stability(m, interior).condition
    hd = {"a_11": -0.5, "a_12": 2.0, "a_21": 0.0, "a_22": 1.0}  # V = 2, C = 3
    assert _holds(cond, m, hd) and _holds(interior.exists, m, hd)
    x1 = interior.point[m.states[0]].xreplace(
        {m.symbol(k): sympy.nsimplify(v) for k, v in hd.items()}
    )
    assert x1 == sympy.Rational(2, 3)
    coordination = {"a_11": 2.0, "a_12": 0.0, "a_21": 0.0, "a_22": 1.0}
    assert not _holds(cond, m, coordination)
