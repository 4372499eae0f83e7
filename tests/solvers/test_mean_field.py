"""Mean fields and diffusions derived from learners' outcome lists (solvers/symbolic/mean_field).

The derived drift is checked against the canonical model's right-hand side (sympy), against the
learners' own average one-step increment (Monte Carlo, with a standard-error bound), and the
Kramers escape estimate against the exact mean first-passage time of the diffusion (quadrature).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from scipy import integrate

from incentive_geometry.errors import ModelError
from incentive_geometry.solvers.numeric.train import empirical_drift, train
from incentive_geometry.solvers.symbolic.mean_field import diffusion, escape_estimate, mean_field
from incentive_geometry.theory import entrenchment, entrenchment_n, learners
from incentive_geometry.theory.learners.base import Learner


def _canonical(mf: object) -> sympy.Expr:
    # The canonical rhs written in the mean field's own symbols.
    m = entrenchment()
    table = mf.symbols  # type: ignore[attr-defined]
    return m.rhs[0].xreplace({s: table[s.name] for s in m.rhs[0].free_symbols})


def test_cross_learning_mean_field_is_the_canonical_rhs() -> None:
    mf = mean_field(learners.cross_learning(k=2))
    assert mf.state_names == ("x",)
    assert mf.parameter_names == ("alpha", "theta", "b", "gamma", "c")
    assert sympy.simplify(mf.rhs[0] / _canonical(mf)) == 1


def test_diversity_adds_the_mutation_term() -> None:
    mf = mean_field(learners.cross_learning(k=2, diversity=True))
    x, mu = mf.symbol("x"), mf.symbol("mu")
    assert sympy.simplify(mf.rhs[0] - _canonical(mf) - mu * (sympy.Rational(1, 2) - x)) == 0


def test_policy_gradient_mean_field_is_canonical_times_positive_factor() -> None:
    mf = mean_field(learners.policy_gradient(k=2))
    x = mf.symbol("x")
    ratio = sympy.factor(sympy.simplify(mf.rhs[0] / _canonical(mf)))
    assert sympy.simplify(ratio - 2 * x * (1 - x)) == 0


def test_moran_mean_field_is_the_adjusted_replicator() -> None:
    L = learners.moran(N=30)
    mf = mean_field(L)
    s = mf.symbols
    x, w = s["x"], s["w"]
    f_m = 1 - w + w * s["alpha"] * (1 - s["theta"]) * (s["b"] + s["gamma"] * x)
    f_a = 1 - w + w * s["theta"] * s["c"]
    expected = w * _canonical(mf) / (x * f_m + (1 - x) * f_a)  # Traulsen et al. 2005
    assert sympy.simplify(mf.rhs[0] - expected) == 0


def test_k_routines_mean_field_is_entrenchment_n_on_the_simplex() -> None:
    L = learners.cross_learning(k=3)
    mf = mean_field(L)
    ref = entrenchment_n(3)
    rng = np.random.default_rng(5)
    for _ in range(5):
        w = rng.dirichlet(np.ones(3))
        vals = {p.name: float(rng.uniform(0.1, 1.5)) for p in ref.parameters}
        vals["theta"] = float(rng.uniform(0, 1))
        point_mf = {mf.symbol(f"w_{i + 1}"): w[i] for i in range(3)}
        point_mf.update({mf.symbol(k): v for k, v in vals.items()})
        point_ref = {ref.symbol(f"w_{i + 1}"): w[i] for i in range(3)}
        point_ref.update({ref.symbol(k): v for k, v in vals.items()})
        got = [float(e.xreplace(point_mf)) for e in mf.rhs]
        want = [float(e.xreplace(point_ref)) for e in ref.rhs]
        assert np.allclose(got, want, atol=1e-12)


@pytest.mark.parametrize(
    ("factory", "eta"),
    [
        (lambda eta: learners.cross_learning(eta=eta), 0.05),
        (lambda eta: learners.cross_learning(diversity=True, eta=eta), 0.05),
        (lambda eta: learners.policy_gradient(eta=eta), 0.002),
        (lambda eta: learners.moran(N=round(1 / eta), w=0.8), 0.001),
    ],
)
def test_mean_field_matches_average_one_step_drift(factory: object, eta: float) -> None:
    # Monte Carlo: 40,000 one-step samples at each of 6 random states; the derived drift must lie
    # within 4.5 standard errors (plus the O(eta) finite-step term for the nonlinear updates).
    L = factory(eta)  # type: ignore[operator]
    mf = mean_field(L)
    rng = np.random.default_rng(11)
    xs = rng.uniform(0.05, 0.95, size=6)
    params = {"theta": 0.4, "gamma": 1.3, "b": 0.3}
    mean, se = empirical_drift(L, {"x": xs}, params=params, samples=40_000, seed=2)
    values = {**{p.name: p.default for p in mf.parameters}, **params}
    f = sympy.lambdify(mf.symbol("x"), mf.rhs[0].subs({mf.symbol(k): v for k, v in values.items()}))
    predicted = np.array([f(x) for x in xs])
    bias = 0.0 if L.name.startswith("cross") else 5 * eta
    assert np.all(np.abs(mean[:, 0] - predicted) <= 4.5 * se[:, 0] + bias), (
        mean[:, 0],
        predicted,
        se[:, 0],
    )


def test_diffusion_matches_one_step_variance() -> None:
    # Cross learning: Cov[increment]/eta**2 = D exactly (increments are linear in eta); the
    # sample variance of 200,000 increments agrees within 3 % (its relative s.e. is ~0.5 %).
    eta = 0.05
    L = learners.cross_learning(eta=eta)
    D = diffusion(L)[0, 0]
    x = L.states[0]
    d = sympy.lambdify(x, D.subs({L.symbols[p.name]: p.default for p in L.parameters}))
    for x0 in (0.2, 0.5, 0.8):
        out = train(L, n=200_000, steps=1, x0={"x": x0}, seed=4, executor="serial").x
        inc = (out[:, 1, 0] - out[:, 0, 0]) / eta
        assert abs(inc.var() / d(x0) - 1) < 0.03


def test_moran_neutral_diffusion_is_the_textbook_one() -> None:
    # Neutral Moran process: per-step variance 2 x (1 - x) / N**2 (Ewens 2004, section 3.4).
    L = learners.moran(N=10)
    D = diffusion(L)[0, 0].subs(L.symbols["w"], 0)
    x = L.states[0]
    assert sympy.simplify(D - 2 * x * (1 - x)) == 0


def test_step_learner_has_no_derived_mean_field() -> None:
    def step(z: np.ndarray, params: dict, rng: np.random.Generator) -> np.ndarray:
        return z

    L = Learner.from_step(["x"], step, parameters={"eta": 0.1}, name="still")
    with pytest.raises(ModelError, match="empirical_drift"):
        mean_field(L)
    with pytest.raises(ModelError, match="step function"):
        diffusion(L)


def _exact_mfpt(f: object, d: object, start: float, target: float, top: float, eps: float) -> float:
    """Mean first-passage time of dX = f dt + sqrt(eps D) dW from `start` down to `target`,
    reflecting at `top`: T = int_target^start (1/phi(y)) int_y^top 2 phi(z)/(eps D(z)) dz dy with
    phi = exp(int 2 f/(eps D)) (Gardiner 2004, section 5.5.1). Computed on a fine grid in logs."""
    grid = np.linspace(target, top, 20001)
    fv = np.broadcast_to(f(grid), grid.shape)  # type: ignore[operator]
    dv = np.broadcast_to(d(grid), grid.shape)  # type: ignore[operator]
    dv = np.maximum(dv, 1e-300)
    log_phi = integrate.cumulative_trapezoid(2 * fv / (eps * dv), grid, initial=0.0)
    shift = log_phi.max()
    inner_integrand = 2 * np.exp(log_phi - shift) / (eps * dv)
    tail = integrate.cumulative_trapezoid(inner_integrand[::-1], grid[::-1], initial=0.0)[::-1]
    tail = -tail  # int_y^top
    with np.errstate(divide="ignore"):
        log_outer = np.log(tail) - (log_phi - shift)  # tail vanishes only at y = top
    mask = grid <= start
    top_log = log_outer[mask].max()
    return float(
        np.exp(top_log) * integrate.trapezoid(np.exp(log_outer[mask] - top_log), grid[mask])
    )


def test_kramers_estimate_approaches_the_exact_mean_first_passage_time() -> None:
    L = learners.cross_learning(k=2, diversity=True)
    params = {"theta": 0.35, "mu": 0.02}
    est = escape_estimate(L, stable=0.976, saddle=0.311, params=params)
    mf = mean_field(L)
    D = diffusion(L)[0, 0]
    vals = {**{p.name: p.default for p in L.parameters}, **params}
    x = L.states[0]
    sub = {L.symbols[k]: v for k, v in vals.items() if k in L.symbols}
    f = sympy.lambdify(
        x, mf.rhs[0].xreplace({mf.symbol(k): v for k, v in vals.items() if k != "eta"})
    )
    d = sympy.lambdify(x, D.xreplace(sub))
    ratios = []
    for eps in (0.04, 0.02, 0.01):
        # From the stable state to well past the saddle (towards the aligned state).
        exact = _exact_mfpt(f, d, est.stable, 0.15, 1.0, eps)
        ratios.append(est.time(eps) / exact)
    # Kramers' relative error is O(eta): it shrinks as eta halves and is small at the end.
    assert abs(ratios[-1] - 1) < abs(ratios[0] - 1)
    assert abs(ratios[-1] - 1) < 0.1, ratios
    print("Kramers / exact MFPT at eta = 0.04, 0.02, 0.01:", ratios)
    # Freidlin-Wentzell: eta log T -> barrier.
    exact = _exact_mfpt(f, d, est.stable, 0.15, 1.0, 0.005)
    print("eta log T at eta = 0.005:", 0.005 * math.log(exact), "barrier:", est.barrier)
    assert abs(0.005 * math.log(exact) - est.barrier) < 0.05


def test_escape_estimate_refuses_bad_points() -> None:
    L = learners.cross_learning(k=2, diversity=True)
    with pytest.raises(ModelError, match="stable"):
        escape_estimate(L, stable=0.311, saddle=0.976, params={"theta": 0.35, "mu": 0.02})
    with pytest.raises(ModelError, match="one-state"):
        escape_estimate(learners.cross_learning(k=3), stable=0.0, saddle=0.5)


def test_symbolic_work_keeps_its_time_budget() -> None:
    from incentive_geometry.errors import SymbolicTimeout

    # Its mean field takes about 1 s here (10 s on a slower machine, earlier): a budget of
    # 0.02 s is short of it on any machine. The derivatives are taken inside the bounded work,
    # not before it (they used to run unbounded in the caller, past the budget).
    L = learners.policy_gradient(k=3)
    with pytest.raises(SymbolicTimeout, match="mean field of `policy_gradient3`"):
        mean_field(L, timeout=0.02)
