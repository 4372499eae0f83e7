"""The ingredients map, ablation, and the gradient-angle measure."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy.integrate import solve_ivp

from incentive_geometry import ModelError
from incentive_geometry.theory import (
    INGREDIENTS,
    ablate,
    entrenchment,
    entrenchment_n,
    gradient_angle,
    gradient_angle_along,
    gradient_cosine,
    ingredients,
    managerial_entrenchment,
    nested_objectives,
)


def _stable_rest_points(model, samples):
    """For each parameter sample: the rest points in [0, 1] of a 1-D flow and their stability.

    The rest points are solved once symbolically (in the parameters), then evaluated.
    """
    x = model.states[0]
    f = model.rhs[0]
    roots = sympy.solve(f, x)
    args = [*model.parameter_symbols]
    root_fns = [sympy.lambdify(args, r) for r in roots]
    fp = sympy.lambdify([x, *args], sympy.diff(f, x))
    out = []
    for values in samples:
        vals = [values[p.name] for p in model.parameters]
        points = sorted(
            {float(r(*vals)) for r in root_fns if np.isfinite(r(*vals)) and 0 <= r(*vals) <= 1}
        )
        out.append([(p, float(fp(p, *vals)) < 0) for p in points])
    return out


def test_the_map_names_every_ingredient_of_the_canonical_model():
    table = ingredients(entrenchment())
    assert tuple(table) == INGREDIENTS
    assert {k: (v.parameters, v.off) for k, v in table.items()} == {
        "local_proxies": (("b",), 0.0),
        "partial_observability": (("theta",), 1.0),
        "asymmetric_reinforcement": (("alpha",), 1.0),
        "recursive_feedback": (("gamma",), 0.0),
    }
    assert set(ingredients(entrenchment(discrete=True, diversity=True))) == set(INGREDIENTS)
    assert ingredients(entrenchment_n(3))["recursive_feedback"].parameters == (
        "gamma_1",
        "gamma_2",
        "gamma_3",
    )
    assert ingredients(managerial_entrenchment())["partial_observability"].parameters == (
        "monitoring",
    )
    assert list(ingredients(nested_objectives())) == ["local_proxies"]


def test_ablating_partial_observability_leaves_only_the_aligned_state_stable():
    m = ablate(entrenchment(), "partial_observability")
    assert "theta" not in m.parameter_names
    rng = np.random.default_rng(11)
    samples = [
        dict(
            zip(
                ["alpha", "b", "gamma", "c"],
                rng.uniform([0.1, 0, 0, 0.1], [4, 2, 3, 2]),
                strict=True,
            )
        )
        for _ in range(200)
    ]
    for points in _stable_rest_points(m, samples):
        assert [p for p, stable in points if stable] == [0.0]
    # Without the ablation the same samples (theta = 0.3) often entrench.
    full = [{**v, "theta": 0.3} for v in samples]
    assert any(
        any(p == 1.0 and st for p, st in pts) for pts in _stable_rest_points(entrenchment(), full)
    )


def test_ablating_recursive_feedback_leaves_no_bistability():
    m = ablate(entrenchment(), "recursive_feedback")
    assert "gamma" not in m.parameter_names
    rng = np.random.default_rng(12)
    f = sympy.lambdify([m.states[0], *m.parameter_symbols], m.rhs[0])
    samples = []
    while len(samples) < 30:
        values = dict(
            zip(
                ["alpha", "theta", "b", "c"],
                rng.uniform([0.1, 0, 0, 0.1], [4, 1, 2, 2]),
                strict=True,
            )
        )
        # Keep |G| >= 0.05 so that the logistic flow settles within the simulated time.
        G = values["alpha"] * (1 - values["theta"]) * values["b"] - values["theta"] * values["c"]
        if abs(G) >= 0.05:
            samples.append(values)
    for values, points in zip(samples, _stable_rest_points(m, samples), strict=True):
        assert len([p for p, stable in points if stable]) == 1
        # Simulation: starts near both ends reach the same state.
        ends = []
        for x0 in (0.05, 0.95):
            args = [values[p.name] for p in m.parameters]
            sol = solve_ivp(lambda t, x, a=args: [f(x[0], *a)], (0, 800), [x0], rtol=1e-8)
            ends.append(sol.y[0, -1])
        assert abs(ends[0] - ends[1]) < 1e-2
    # With feedback, the same sampler finds bistability: the test can fail.
    full = entrenchment()
    assert sum(st for _, st in _stable_rest_points(full, [full.defaults])[0]) == 2


def test_ablation_is_exact_and_composes():
    m = ablate(ablate(entrenchment(), "asymmetric_reinforcement"), "local_proxies")
    x = m.states[0]
    theta, gamma, c = (m.symbol(n) for n in ("theta", "gamma", "c"))
    assert sympy.simplify(m.rhs[0] - x * (1 - x) * ((1 - theta) * gamma * x - theta * c)) == 0
    assert set(ingredients(m)) == {"partial_observability", "recursive_feedback"}
    vec = ablate(entrenchment_n(3), "local_proxies")
    assert not any(p.startswith("b_") for p in vec.parameter_names)


def test_ablate_errors_name_the_problem():
    m = ablate(entrenchment(), "recursive_feedback")
    with pytest.raises(ModelError, match="does not carry `recursive_feedback`"):
        ablate(m, "recursive_feedback")
    with pytest.raises(ModelError, match="not an ingredient"):
        ablate(entrenchment(), "observability")
    with pytest.raises(ModelError, match="has no ingredients map"):
        ingredients(sympy_model())


def sympy_model():
    from incentive_geometry import Model

    return Model.from_equations({"x": "-x"}, name="decay")


# --------------------------------------------------------------------------------------------
# The gradient-angle measure


def test_gradient_angle_symbolic_and_checked_numerically():
    cos = gradient_cosine("x*y", "x + 2*y", ["x", "y"])
    x, y = sympy.symbols("x y", real=True)
    rng = np.random.default_rng(2)
    f = sympy.lambdify([x, y], cos)
    for _ in range(20):
        px, py = rng.normal(size=2)
        gv, gp = np.array([py, px]), np.array([1.0, 2.0])
        expected = gv @ gp / np.linalg.norm(gv) / np.linalg.norm(gp)
        assert f(px, py) == pytest.approx(expected, rel=1e-12)
    assert gradient_angle("x", "-x", ["x"]) == sympy.pi
    assert gradient_cosine("a*x + y", "x", ["x", "y"], parameters=["a"]).free_symbols == {
        sympy.Symbol("a", real=True)
    }


def test_gradient_angle_along_a_trajectory():
    t = np.linspace(0.1, 2.0, 50)
    traj = np.column_stack([np.cos(t), np.sin(t)])
    # V = x, P = x*cos(w) + y*sin(w): constant angle w between gradients.
    got = gradient_angle_along("x", "x*cos(w) + y*sin(w)", ["x", "y"], traj, parameters={"w": 0.7})
    assert got == pytest.approx(np.full(50, 0.7), abs=1e-12)
    # A state-dependent angle: V = x^2 + y^2, P = x -> angle = polar angle of the point.
    got = gradient_angle_along("x**2 + y**2", "x", ["x", "y"], {"x": traj[:, 0], "y": traj[:, 1]})
    assert got == pytest.approx(t, abs=1e-9)


def test_gradient_angle_input_errors():
    with pytest.raises(ModelError, match="unknown name"):
        gradient_cosine("x + z", "x", ["x"])
    with pytest.raises(ModelError, match="differ in length"):
        gradient_angle_along("x + y", "x", ["x", "y"], {"x": [1, 2], "y": [1]})
    with pytest.raises(ModelError, match="shape"):
        gradient_angle_along("x + y", "x", ["x", "y"], np.zeros((3, 3)))
    with pytest.raises(ModelError, match="`variables`"):
        gradient_cosine("x", "x", "x")


def test_gradient_angle_along_a_simulated_trajectory():
    # Gradient ascent on the proxy P = x + 0.5 y from the origin: the state moves along
    # grad P, so V = x has the constant angle atan(0.5) with it, whatever the trajectory times.
    import incentive_geometry as ig

    m = ig.Model.from_equations({"x": "1", "y": "0.5"}, parameters={})
    tr = ig.simulate(m, x0={"x": 0.0, "y": 0.0}, t=(0, 3), n_points=31)
    got = gradient_angle_along("x", "x + 0.5*y", ["x", "y"], tr)
    assert got.shape == (31,)
    assert got == pytest.approx(np.full(31, np.arctan(0.5)), abs=1e-12)
    # A state-dependent measure along the same trajectory: V = x*y, P = x.
    got = gradient_angle_along("x*y", "x", ["x", "y"], tr)
    x, y = tr.x[:, 0], tr.x[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.arccos(y / np.hypot(x, y))
    assert np.allclose(got[1:], expected[1:]) and np.isnan(got[0])
