"""The symbolic engine on the reference models: substitution, numerical eigenvalues, exact results."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import sympy

import incentive_geometry as ig
from incentive_geometry.solvers.symbolic import check_stability, equilibrium_equations

NAMES = [
    "entrenchment",
    "pitchfork",
    "fold",
    "brusselator",
    "lorenz",
    "logistic",
    "logistic^2",
    "n_routine_3",
]


def _agree_at_random(cond_a: Any, cond_b: Any, model: ig.Model, n: int = 300, seed: int = 1) -> int:
    """Number of random parameter points (inside the domains) where two conditions differ."""
    from incentive_geometry.solvers.symbolic.verify import sample_parameters

    params = list(model.parameter_symbols)
    fa = sympy.lambdify(params, cond_a)
    fb = sympy.lambdify(params, cond_b)
    rng = random.Random(seed)
    bad = 0
    for _ in range(n):
        v = sample_parameters(model, rng)
        args = [v[p.name] for p in model.parameters]
        bad += bool(fa(*args)) != bool(fb(*args))
    return bad


@pytest.mark.parametrize("name", NAMES)
def test_every_equilibrium_substitutes_to_zero(name: str, models: Any, solved: Any) -> None:
    model, eqs = models[name], solved[name]
    assert eqs.complete, eqs.message
    assert len(eqs) >= 1
    for eq in eqs:
        for e in equilibrium_equations(model):
            assert sympy.simplify(e.xreplace(eq.point)) == 0, (name, eq.point, e)


@pytest.mark.parametrize("name", NAMES)
def test_stability_agrees_with_numerical_eigenvalues(
    name: str, models: Any, solved: Any, ranges: Any
) -> None:
    model = models[name]
    for eq in solved[name]:
        if name.startswith("n_routine") and sympy.Integer(1) not in eq.values:
            continue  # interior faces: see the vertex test; their conditions are large
        st = ig.stability(model, eq)
        check = check_stability(
            model, eq, st.condition, samples=200, seed=3, ranges=ranges.get(name)
        )
        assert check.checked == 200, (name, eq.point, check)
        assert check.agree, (name, eq.point, st.condition, check.disagreements[:3])


def test_checker_refutes_a_wrong_condition(models: Any, solved: Any) -> None:
    model = models["entrenchment"]
    alpha, theta, b, gamma, c = (model.symbol(n) for n in ("alpha", "theta", "b", "gamma", "c"))
    x0 = solved["entrenchment"][0]
    # Right: alpha (1 - theta) b < theta c. Wrong: gamma added to b (the x = 1 condition).
    assert check_stability(model, x0, alpha * (1 - theta) * b < theta * c).agree
    wrong = check_stability(model, x0, alpha * (1 - theta) * (b + gamma) < theta * c)
    assert not wrong.agree and len(wrong.disagreements) > 10
    flipped = check_stability(model, x0, alpha * (1 - theta) * b > theta * c)
    assert flipped.checked > 0 and len(flipped.disagreements) == flipped.checked


def test_entrenchment_reproduces_design(models: Any, solved: Any) -> None:
    model, eqs = models["entrenchment"], solved["entrenchment"]
    alpha, theta, b, gamma, c = (model.symbol(n) for n in ("alpha", "theta", "b", "gamma", "c"))
    x = model.states[0]
    by_point = {eq.point[x]: eq for eq in eqs}
    assert set(by_point) >= {0, 1} and len(eqs) == 3
    aligned, entrenched = by_point[0], by_point[1]
    (interior,) = [e for e in eqs if e.point[x] not in (0, 1)]
    x_star = (theta * c / (alpha * (1 - theta)) - b) / gamma
    assert sympy.simplify(interior.point[x] - x_star) == 0
    stable0 = alpha * (1 - theta) * b < theta * c
    stable1 = alpha * (1 - theta) * (b + gamma) > theta * c
    assert _agree_at_random(ig.stability(model, aligned).condition, stable0, model) == 0
    assert _agree_at_random(ig.stability(model, entrenched).condition, stable1, model) == 0
    # Interior in (0, 1) exactly when both hold, and then unstable.
    assert _agree_at_random(interior.exists, sympy.And(stable0, stable1), model) == 0
    unstable_when_exists = sympy.Or(
        sympy.Not(interior.exists), sympy.Not(ig.stability(model, interior).condition)
    )
    assert _agree_at_random(unstable_when_exists, sympy.true, model) == 0
    # The transcritical point at x = 1 and the threshold theta*.
    theta_star = alpha * (b + gamma) / (alpha * (b + gamma) + c)
    kinds = {bc.kind: bc for bc in ig.bifurcations(model, entrenched)}
    assert "transcritical" in kinds
    cond = kinds["transcritical"].condition
    assert sympy.simplify((cond.lhs - cond.rhs).xreplace({theta: theta_star})) == 0
    th = ig.threshold(model, entrenched, "theta")
    assert [sympy.simplify(v - theta_star) for v in th.values] == [0]
    # Preventing entrenchment needs theta > alpha b / (alpha b + c) (the aligned state's threshold).
    assert [
        sympy.simplify(v - alpha * b / (alpha * b + c))
        for v in ig.threshold(model, aligned, "theta").values
    ] == [0]


def test_pitchfork_and_fold_normal_forms(models: Any, solved: Any) -> None:
    m = models["pitchfork"]
    r = m.symbol("r")
    eqs = solved["pitchfork"]
    assert len(eqs) == 3
    origin = next(e for e in eqs if e.point[m.states[0]] == 0)
    assert ig.stability(m, origin).condition == (r < 0)
    (bc,) = ig.bifurcations(m, origin)
    assert bc.kind == "pitchfork" and bc.condition == sympy.Eq(r, 0)
    branches = [e for e in eqs if e is not origin]
    assert all(e.exists == (r >= 0) for e in branches)
    f = models["fold"]
    p = f.symbol("p")
    eqs = solved["fold"]
    assert len(eqs) == 2 and all(e.exists == (p <= 0) for e in eqs)
    for e in eqs:
        assert [(b.kind, b.condition) for b in ig.bifurcations(f, e)] == [("fold", sympy.Eq(p, 0))]


def test_brusselator_hopf_is_supercritical(models: Any, solved: Any) -> None:
    m = models["brusselator"]
    a, b = m.symbol("a"), m.symbol("b")
    (eq,) = solved["brusselator"]
    assert eq.point == {m.states[0]: a, m.states[1]: b / a}
    (hopf,) = ig.bifurcations(m, eq)
    assert hopf.kind == "hopf"
    assert sympy.simplify((hopf.condition.lhs - hopf.condition.rhs).xreplace({b: 1 + a**2})) == 0
    assert hopf.supercritical == sympy.true
    # l1 < 0 for every a > 0, checked numerically as well.
    l1 = sympy.lambdify(a, hopf.lyapunov_coefficient)
    assert all(l1(v) < 0 for v in np.linspace(0.05, 10, 50))
    st = ig.stability(m, eq)
    assert _agree_at_random(st.condition, b < 1 + a**2, m) == 0
    assert st.planar_type is not None and st.planar_type["saddle"] == sympy.false


def test_lorenz_pitchfork_and_hopf(models: Any, solved: Any) -> None:
    m = models["lorenz"]
    sigma, r, beta = m.symbol("sigma"), m.symbol("r"), m.symbol("beta")
    eqs = solved["lorenz"]
    assert len(eqs) == 3
    origin = eqs[0]
    assert all(v == 0 for v in origin.values)
    assert [(b.kind, b.condition) for b in ig.bifurcations(m, origin)] == [
        ("pitchfork", sympy.Eq(r, 1))
    ]
    r_hopf = sigma * (sigma + beta + 3) / (sigma - beta - 1)
    for eq in eqs[1:]:
        hopf = [b for b in ig.bifurcations(m, eq) if b.kind == "hopf"]
        assert len(hopf) == 1
        (rel,) = [c for c in sympy.And.make_args(hopf[0].condition) if isinstance(c, sympy.Eq)]
        assert sympy.simplify((rel.lhs - rel.rhs).xreplace({r: r_hopf})) == 0
        values = ig.threshold(m, eq, "r").values
        assert any(sympy.simplify(v - r_hopf) == 0 for v in values)


def test_logistic_flip_and_period_two(models: Any, solved: Any) -> None:
    m = models["logistic"]
    r = m.symbol("r")
    nontrivial = solved["logistic"][1]
    kinds = {b.kind: b.condition for b in ig.bifurcations(m, nontrivial)}
    assert kinds["flip"] == sympy.Eq(r, 3)
    m2 = models["logistic^2"]
    cycle = [e for e in solved["logistic^2"] if e.values[0].has(sympy.sqrt(r - 3))]
    assert len(cycle) == 2
    for eq in cycle:
        assert ig.threshold(m2, eq, "r").values[-1] == 1 + sympy.sqrt(6)
        flips = [b for b in ig.bifurcations(m2, eq) if b.kind == "flip"]
        rel = flips[0].condition
        assert sympy.simplify((rel.lhs - rel.rhs).xreplace({r: 1 + sympy.sqrt(6)})) == 0


@pytest.mark.parametrize("n", [2, 3])
def test_n_routine_vertices_and_supports(
    n: int, make_n_routine: Any, solved: Any, models: Any
) -> None:
    m = models["n_routine_3"] if n == 3 else make_n_routine(n)
    eqs = solved["n_routine_3"] if n == 3 else ig.equilibria(m)
    assert eqs.complete and len(eqs) == 2**n - 1
    supports = {tuple(v != 0 for v in e.values) for e in eqs}
    assert len(supports) == 2**n - 1
    alpha, theta = m.symbol("alpha"), m.symbol("theta")

    def s(i: int, point: dict[Any, Any]) -> Any:
        b, c, g = (m.symbol(f"{k}{i}") for k in ("b", "c", "gamma"))
        return alpha * (1 - theta) * (b + g * point[m.states[i - 1]]) - theta * c

    for k in range(1, n + 1):
        vertex = next(e for e in eqs if e.values[k - 1] == 1)
        assert vertex.exists == sympy.true
        claim = sympy.And(
            *[s(j, vertex.point) < s(k, vertex.point) for j in range(1, n + 1) if j != k]
        )
        assert _agree_at_random(ig.stability(m, vertex).condition, claim, m) == 0


def test_blocks_are_read_off_triangular_jacobians(models: Any, solved: Any) -> None:
    m = models["lorenz"]
    st = ig.stability(m, solved["lorenz"][0])
    assert [len(b) for b in st.blocks] == [2, 1]
    assert st.eigenvalues is not None and -m.symbol("beta") in st.eigenvalues


def test_timeout_and_partial(make_n_routine: Any) -> None:
    m = make_n_routine(4)
    with pytest.raises(ig.SymbolicTimeout):
        ig.equilibria(m, timeout=0.05)
    partial = ig.equilibria(m, timeout=0.05, partial=True)
    assert not partial.complete and "time budget" in partial.message
    # What a partial run returns is still right: every point solves the equations.
    some = ig.equilibria(make_n_routine(5), timeout=0.4, partial=True)
    assert not some.complete and len(some) < 31
    for eq in some:
        for e in equilibrium_equations(some.model):  # type: ignore[arg-type]
            assert sympy.cancel(e.xreplace(eq.point)) == 0


def test_transcendental_equations_are_flagged_incomplete() -> None:
    m = ig.Model.from_equations({"x": "x - a*exp(-x)"}, parameters={"a": 1})
    eqs = ig.equilibria(m)
    assert not eqs.complete and eqs.message


def test_bad_input_is_reported() -> None:
    m = ig.Model.from_equations({"x": "-x"})
    with pytest.raises(ig.ModelError, match="`model`"):
        ig.equilibria("not a model")  # type: ignore[arg-type]
    with pytest.raises(ig.ModelError, match="`timeout`"):
        ig.equilibria(m, timeout=-1)
    with pytest.raises(ig.ModelError, match="`eq`"):
        ig.stability(m, {"x": 0})  # type: ignore[arg-type]


def test_neimark_sacker_of_the_delayed_logistic_map() -> None:
    # x' = y, y' = r y (1 - x): the fixed point (1 - 1/r, 1 - 1/r) has det J = r - 1 and
    # trace 1, so a complex pair crosses the unit circle at r = 2.
    m = ig.Model.from_equations(
        {"x": "y", "y": "r*y*(1 - x)"},
        parameters={"r": {"default": 1.5, "domain": "positive"}},
        time="discrete", name="delayed_logistic",
    )
    r = m.symbol("r")
    eqs = ig.equilibria(m)
    inner = next(e for e in eqs if e.values[0] != 0)
    st = ig.stability(m, inner)
    assert _agree_at_random(st.condition, sympy.And(r > 1, r < 2), m) == 0
    check = check_stability(m, inner, st.condition, samples=200, ranges={"r": (0.05, 4.0)})
    assert check.checked == 200 and check.agree
    kinds = {b.kind: b.condition for b in ig.bifurcations(m, inner)}
    assert set(kinds) == {"transcritical", "neimark_sacker"}
    (eq_part,) = [c for c in sympy.And.make_args(kinds["neimark_sacker"]) if isinstance(c, sympy.Eq)]
    assert eq_part == sympy.Eq(r, 2)
    assert ig.threshold(m, inner, "r").values == (1, 2)


def test_every_entry_point_honours_its_timeout(models: Any, solved: Any) -> None:
    import time as _time

    from incentive_geometry.solvers.symbolic.budget import Budget

    budget = Budget(1e-6, what="test")
    _time.sleep(0.001)
    with pytest.raises(ig.SymbolicTimeout, match="test"):
        budget.check("a step")
    m = models["lorenz"]
    eq = solved["lorenz"][1]
    for call in (ig.stability, ig.bifurcations):
        with pytest.raises(ig.SymbolicTimeout):
            call(m, eq, timeout=1e-9)
    with pytest.raises(ig.SymbolicTimeout):
        ig.threshold(m, eq, "r", timeout=1e-9)


def test_entrenchment_limits_of_design(models: Any) -> None:
    m = models["entrenchment"]
    # No recursive feedback: no interior equilibrium, so never bistability.
    no_feedback = m.with_parameters(gamma=0)
    eqs = ig.equilibria(no_feedback)
    assert sorted(e.values[0] for e in eqs) == [0, 1]
    both = sympy.And(*(ig.stability(no_feedback, e).condition for e in eqs))
    assert _agree_at_random(both, sympy.false, no_feedback) == 0
    # Full observability: the aligned state is the only stable one.
    observed = m.with_parameters(theta=1)
    conditions = {e.values[0]: ig.stability(observed, e).condition for e in ig.equilibria(observed)}
    assert conditions[0] == sympy.true and conditions[1] == sympy.false


@pytest.mark.parametrize("name", NAMES)
def test_existence_conditions_agree_with_the_numerical_point(
    name: str, models: Any, solved: Any, ranges: Any
) -> None:
    """`exists` holds iff the point is real and inside the state domains (random parameters)."""
    from incentive_geometry.solvers.symbolic.verify import sample_parameters

    model = models[name]
    params = list(model.parameter_symbols)
    rng = random.Random(7)
    for eq in solved[name]:
        f_point = sympy.lambdify(params, list(eq.point.values()), modules="numpy")
        f_exists = sympy.lambdify(params, eq.exists, modules="numpy")
        checked = 0
        for _ in range(400):
            values = sample_parameters(model, rng, ranges.get(name))
            args = [values[p.name] for p in model.parameters]
            with np.errstate(all="ignore"):
                # Complex arguments: a square root of a negative number is complex, not nan.
                x = np.array(f_point(*[complex(a) for a in args]), dtype=complex)
            real = bool(np.all(np.isfinite(x)) and np.all(np.abs(x.imag) < 1e-12))
            margins = [
                min(abs(v - float(d.lo)), abs(v - float(d.hi))) if d.kind == "interval"
                else abs(v) if d.kind in ("positive", "nonnegative") else 1.0
                for v, d, sym in zip(x.real, model.state_domains, eq.values, strict=True)
                if sympy.sympify(sym).free_symbols  # constant coordinates are exact
            ] or [1.0]
            if not np.all(np.isfinite(x)) or (real and min(margins) < 1e-9) or (
                not real and np.min(np.abs(x.imag)) < 1e-6
            ):
                continue  # on the boundary of the domain or of realness
            inside = real and all(d.contains(float(v)) for v, d in
                                  zip(x.real, model.state_domains, strict=True))
            with np.errstate(all="ignore"):
                claimed = bool(f_exists(*args))
            assert claimed == inside, (name, eq.point, values)
            checked += 1
        assert checked > 100, (name, eq.point, checked)
