"""Simulation: exact solutions, convergence to the stable equilibria, ensembles, noise, failures."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import incentive_geometry as ig

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def logistic_ode() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "r*x*(1 - x)"}, parameters={"r": 1.0}, observables={"gap": "1 - x"}
    )


def exact_logistic(t: np.ndarray, x0: np.ndarray, r: np.ndarray | float) -> np.ndarray:
    return x0 / (x0 + (1 - x0) * np.exp(-np.multiply(r, t)))


def test_single_trajectory_matches_the_exact_solution_within_tolerance() -> None:
    m = logistic_ode()
    for method in ("LSODA", "RK45", "DOP853", "BDF", "Radau"):
        tr = ig.simulate(m, x0={"x": 0.1}, t=(0, 10), method=method, rtol=1e-8, atol=1e-10)
        err = np.abs(tr["x"] - exact_logistic(tr.t, 0.1, 1.0)).max()
        assert err < 1e-6, (method, err)
        assert tr.success and tr.nfev > 0 and tr.nfev < 5000
        assert np.allclose(tr["gap"], 1 - tr["x"])
    implicit = ig.simulate(m, x0=[0.1], t=(0, 10), method="BDF")
    assert implicit.njev > 0  # the analytic Jacobian was used


def test_ensemble_matches_the_exact_solutions_member_by_member() -> None:
    m = logistic_ode()
    rng = np.random.default_rng(1)
    x0 = rng.uniform(0.01, 0.99, 500)
    r = rng.uniform(0.2, 3.0, 500)
    ens = ig.simulate(m, x0={"x": x0}, params={"r": r}, t=(0, 8), rtol=1e-6, atol=1e-9)
    assert ens.x.shape == (500, 201, 1) and ens.is_ensemble
    exact = exact_logistic(ens.t[None, :], x0[:, None], r[:, None])
    # Each member meets the tolerance a single solve_ivp call would give it.
    single_errors = []
    for k in range(0, 500, 100):
        one = ig.simulate(m, x0=[x0[k]], params={"r": float(r[k])}, t=(0, 8), method="RK45")
        single_errors.append(np.abs(one["x"] - exact[k]).max())
    assert np.abs(ens["x"] - exact).max() <= 10 * max(max(single_errors), 1e-7)
    for method in ("BDF", "Radau", "DOP853", "RK23"):
        sub = ig.simulate(m, x0={"x": x0[:50]}, params={"r": r[:50]}, t=(0, 8), method=method)
        assert np.abs(sub["x"] - exact[:50]).max() < 1e-4, method


def test_ensemble_of_ten_thousand_trajectories_in_one_call() -> None:
    m = ig.load_model(EXAMPLES / "brusselator.toml")
    rng = np.random.default_rng(0)
    starts = rng.uniform(0.5, 1.5, size=(10_000, 2)) * np.array([1.0, 1.5])
    ens = ig.simulate(m, x0=starts, params={"a": 1.0, "b": 1.5}, t=(0, 40), n_points=5)
    assert ens.x.shape == (10_000, 5, 2) and ens.success
    # All converge to the stable focus (a, b/a) = (1, 1.5).
    assert np.abs(ens.final - np.array([1.0, 1.5])).max() < 1e-4


def lorenz() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "sigma*(y - x)", "y": "x*(r - z) - y", "z": "x*y - beta*z"},
        parameters={"sigma": 10.0, "r": 10.0, "beta": 8 / 3},
    )


@pytest.mark.parametrize(
    ("name", "params", "bounds"),
    [
        ("brusselator", {"a": 1.0, "b": 1.7}, None),
        ("lorenz", {"r": 10.0}, {"x": (-10, 10), "y": (-10, 10), "z": (0, 20)}),
        ("fold", {"p": -1.0}, None),
        ("logistic_map", {"r": 2.8}, None),
        ("logistic_map_2cycle", {"r": 3.2}, None),
        ("entrenchment", {}, None),
    ],
)
def test_simulation_converges_to_each_stable_equilibrium_from_nearby(
    name: str, params: dict[str, float], bounds: dict[str, tuple[float, float]] | None
) -> None:
    models = {
        "brusselator": lambda: ig.load_model(EXAMPLES / "brusselator.toml"),
        "lorenz": lorenz,
        "fold": lambda: ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0}),
        "logistic_map": lambda: ig.load_model(EXAMPLES / "logistic_map.toml"),
        "logistic_map_2cycle": lambda: ig.load_model(EXAMPLES / "logistic_map.toml"),
        "entrenchment": lambda: ig.load_model(EXAMPLES / "entrenchment.toml"),
    }
    m = models[name]()
    period = 2 if name.endswith("2cycle") else 1
    eqs = [
        e for e in ig.find_equilibria(m, params=params, bounds=bounds, period=period) if e.stable
    ]
    assert eqs, "the test model must have a stable equilibrium"
    rng = np.random.default_rng(3)
    for e in eqs:
        starts = e.x + 0.02 * rng.standard_normal((8, len(e.x)))
        if m.time == "discrete":
            ens = ig.simulate(m, x0=starts, params=params, t=(0, 400 * period))
            final = (
                ens.x[:, -1, :] if period == 1 else ens.x[:, -1 - (ens.x.shape[1] - 1) % period, :]
            )
            # For a cycle, compare with the closest point of the orbit.
            dist = np.min(np.abs(final[:, None, :] - e.orbit[None, :, :]).max(axis=2), axis=1)
        else:
            ens = ig.simulate(m, x0=starts, params=params, t=(0, 60))
            dist = np.abs(ens.final - e.x).max(axis=1)
        assert ens.success
        assert dist.max() < 1e-5, (name, e.x, dist.max())


def test_entrenchment_bistability_depends_on_the_start() -> None:
    m = ig.load_model(EXAMPLES / "entrenchment.toml")
    x_star = (0.3 / 0.7 - 0.2) / 1.0
    ens = ig.simulate(m, x0={"x": np.array([x_star - 0.01, x_star + 0.01])}, t=(0, 200))
    assert np.allclose(ens.final[:, 0], [0.0, 1.0], atol=1e-6)
    assert np.allclose(ens["alignment"][:, -1], [1.0, 0.0], atol=1e-6)


def test_parameter_ensembles_broadcast_against_one_start() -> None:
    m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": 1.0})
    k = np.linspace(0.5, 2.0, 7)
    ens = ig.simulate(m, x0=[1.0], params={"k": k}, t=(0, 2))
    assert ens.x.shape == (7, 201, 1)
    assert np.allclose(ens.final[:, 0], np.exp(-2 * k), rtol=1e-5)
    with pytest.raises(ig.ModelError, match=r"ensemble sizes do not match"):
        ig.simulate(m, x0=np.ones((3, 1)), params={"k": k}, t=(0, 2))


def test_blow_up_is_reported_not_returned_as_nan() -> None:
    m = ig.Model.from_equations({"x": "x**2"}, parameters={})
    tr = ig.simulate(m, x0=[1.0], t=(0, 2))
    assert tr.status == 1 and not tr.success
    assert "diverged: max |x| reached the bound 1e+08" in tr.message
    assert np.all(np.isfinite(tr.x)) and abs(float(tr.t_diverged) - 1.0) < 1e-4
    assert tr.t[-1] < 1.0 + 1e-6
    ens = ig.simulate(m, x0={"x": np.array([-1.0, 0.5, 1.0])}, t=(0, 3), bound=1e6)
    assert ens.diverged.tolist() == [False, True, True]
    assert np.all(np.isfinite(ens.x))
    assert "2 of 3 trajectories diverged" in ens.message
    assert abs(ens.t_diverged[1] - 2.0) < 0.05 and math.isinf(ens.t_diverged[0])
    # The survivor still matches x(t) = -1/(1 + t).
    assert np.allclose(ens.x[0, :, 0], -1 / (1 + ens.t), atol=1e-6)
    # Maps too.
    mp = ig.Model.from_equations({"x": "x**2"}, parameters={}, time="discrete")
    blown = ig.simulate(mp, x0={"x": np.array([0.5, 2.0])}, t=(0, 20))
    assert blown.diverged.tolist() == [False, True] and np.all(np.isfinite(blown.x))


def test_solver_failure_raises_with_what_was_tried_or_returns_a_status() -> None:
    m = ig.Model.from_equations({"x": "-sqrt(x - 1)"}, parameters={})
    with pytest.raises(
        ig.ConvergenceError,
        match=r"the RK45 solver failed .* from x0 = \(x=2\) "
        r"over t = \(0, 5\) with rtol=1e-06, atol=1e-09: the right-hand side is not finite",
    ):
        ig.simulate(m, x0=[2.0], t=(0, 5), method="RK45")
    tr = ig.simulate(m, x0=[2.0], t=(0, 5), method="RK45", raise_on_failure=False)
    assert tr.status == -1 and "not finite at t = " in tr.message
    assert np.all(np.isfinite(tr.x)) and tr.x.min() >= 1.0 - 1e-3
    ens = ig.simulate(m, x0={"x": np.array([2.0, 5.0])}, t=(0, 3), raise_on_failure=False)
    assert (
        ens.status == -1
        and "1 of 2 trajectories reached a point where the right-hand side" in ens.message
    )
    assert ens.diverged.tolist() == [True, False]


def test_euler_maruyama_is_seeded_and_has_the_right_statistics() -> None:
    # Ornstein-Uhlenbeck dx = -k x dt + s dW: mean x0 e^{-k t}, variance s^2 (1 - e^{-2kt})/(2k).
    m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": 1.0, "s": 0.5}, noise={"x": "s"})
    a = ig.simulate(m, x0={"x": np.full(4000, 2.0)}, t=(0, 1), seed=7, dt=1e-3, n_points=11)
    b = ig.simulate(m, x0={"x": np.full(4000, 2.0)}, t=(0, 1), seed=7, dt=1e-3, n_points=11)
    c = ig.simulate(m, x0={"x": np.full(4000, 2.0)}, t=(0, 1), seed=8, dt=1e-3, n_points=11)
    assert np.array_equal(a.x, b.x) and not np.array_equal(a.x, c.x)
    assert a.method == "euler-maruyama" and a.x.shape == (4000, 11, 1)
    final = a.final[:, 0]
    mean, var = 2 * math.exp(-1), 0.25 * (1 - math.exp(-2)) / 2
    # 5 standard errors.
    assert abs(final.mean() - mean) < 5 * math.sqrt(var / 4000) + 2e-3
    assert abs(final.var() - var) < 5 * var * math.sqrt(2 / 4000) + 2e-3
    det = ig.simulate(m, x0=[2.0], t=(0, 1), stochastic=False)
    assert abs(det.final[0] - mean) < 1e-5  # rtol 1e-6


def test_noisy_map_and_step_rule() -> None:
    # x(t+1) = a x + s xi: stationary variance s^2 / (1 - a^2).
    m = ig.Model.from_equations(
        {"x": "a*x"}, parameters={"a": 0.5, "s": 1.0}, noise={"x": "s"}, time="discrete"
    )
    ens = ig.simulate(m, x0={"x": np.zeros(5000)}, t=(0, 30), seed=1)
    assert abs(ens.final[:, 0].var() - 1 / 0.75) < 0.1
    # A Polya urn through `stochastic_step`: the share of red balls is a martingale.
    import dataclasses

    def polya(x: np.ndarray, params: dict[str, float], rng: np.random.Generator) -> np.ndarray:
        red, total = x
        draw_red = rng.random() < red / total
        return np.array([red + params["add"] * draw_red, total + params["add"]])

    urn = dataclasses.replace(
        ig.Model.from_equations(
            {"red": "red", "total": "total"}, parameters={"add": 1.0}, time="discrete"
        ),
        stochastic_step=polya,
    )
    runs = ig.simulate(urn, x0=np.tile([1.0, 2.0], (400, 1)), t=(0, 100), seed=3)
    assert runs.method == "stochastic_step" and runs.x.shape == (400, 101, 2)
    share = runs["red"][:, -1] / runs["total"][:, -1]
    # Uniform limit share for one red and one blue ball: mean 1/2, variance about 1/12.
    assert abs(share.mean() - 0.5) < 0.05 and abs(share.var() - 1 / 12) < 0.03
    again = ig.simulate(urn, x0=np.tile([1.0, 2.0], (400, 1)), t=(0, 100), seed=3)
    assert np.array_equal(runs.x, again.x)
    with pytest.raises(ig.ModelError, match="neither noise terms nor a `stochastic_step`"):
        ig.simulate(logistic_ode(), x0=[0.5], stochastic=True)


def test_invalid_input_is_refused_up_front() -> None:
    m = logistic_ode()
    with pytest.raises(ig.ModelError, match=r"parameter `r` = nan is not a finite number"):
        ig.simulate(m, x0=[0.5], params={"r": float("nan")})
    with pytest.raises(ig.ModelError, match=r"parameter `r` has a non-finite value inf at index 0"):
        ig.simulate(m, x0=[0.5], params={"r": [math.inf, 1.0]})
    with pytest.raises(ig.ModelError, match=r"`t` = \(5.0, 1.0\) must be finite with t0 < t1"):
        ig.simulate(m, x0=[0.5], t=(5, 1))
    with pytest.raises(ig.ModelError, match=r"`method` = 'Euler' is not one of"):
        ig.simulate(m, x0=[0.5], method="Euler")
    with pytest.raises(ig.ModelError, match=r"cannot integrate an ensemble"):
        ig.simulate(m, x0={"x": np.array([0.1, 0.2])}, method="LSODA")
    with pytest.raises(ig.ModelError, match=r"a map takes integer steps"):
        ig.simulate(ig.load_model(EXAMPLES / "logistic_map.toml"), x0=[0.5], t=(0, 2.5))
    with pytest.raises(ig.ModelError, match=r"`x0` holds a non-finite value"):
        ig.simulate(m, x0=[math.inf])


def _symbolically_stable_points(m: ig.Model, values: dict[str, float]) -> list[np.ndarray]:
    """Equilibria by sympy.solve, kept when sympy's Jacobian eigenvalues say stable."""
    import sympy

    sub = {m.symbol(k): sympy.nsimplify(v) for k, v in values.items()}
    F = sympy.Matrix(m.rhs).subs(sub)
    residual = F if m.time == "continuous" else F - sympy.Matrix(m.states)
    J = F.jacobian(m.states)
    out = []
    for sol in sympy.solve(list(residual), list(m.states), dict=True):
        if not all(sol[s].is_real for s in m.states):
            continue
        lam = [complex(v) for v in J.subs(sol).eigenvals(multiple=True)]
        stable = (
            (max(abs(v) for v in lam) < 1) if m.time == "discrete" else max(v.real for v in lam) < 0
        )
        if stable:
            out.append(np.array([float(sol[s]) for s in m.states]))
    return out


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("brusselator", {"a": 1.0, "b": 1.5}),
        ("entrenchment", {"alpha": 1.0, "theta": 0.3, "b": 0.2, "gamma": 1.0, "c": 1.0}),
        ("entrenchment", {"alpha": 1.0, "theta": 0.7, "b": 0.2, "gamma": 1.0, "c": 1.0}),
        ("logistic_map", {"r": 2.9}),
        ("lorenz", {"sigma": 10.0, "r": 15.0, "beta": 8 / 3}),
    ],
)
def test_simulation_converges_to_the_symbolically_stable_equilibria(
    name: str, values: dict[str, float]
) -> None:
    m = lorenz() if name == "lorenz" else ig.load_model(EXAMPLES / f"{name}.toml")
    targets = _symbolically_stable_points(m, values)
    assert targets
    rng = np.random.default_rng(11)
    for target in targets:
        starts = target + 0.01 * rng.standard_normal((16, len(target)))
        span = (0, 600) if m.time == "discrete" else (0.0, 80.0)
        ens = ig.simulate(m, x0=starts, params=values, t=span, n_points=3)
        assert ens.success
        assert np.abs(ens.final - target).max() < 1e-5, (name, target)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("brusselator", {"a": 1.0, "b": 1.5}),
        ("entrenchment", {"alpha": 1.0, "theta": 0.3, "b": 0.2, "gamma": 1.0, "c": 1.0}),
        ("logistic_map", {"r": 2.8}),
        ("fold", {"p": -1.0}),
    ],
)
def test_simulation_converges_to_what_the_symbolic_engine_calls_stable(
    name: str, values: dict[str, float]
) -> None:
    if "stability" not in dir(ig):
        pytest.skip("the symbolic engine (ig.equilibria, ig.stability) is not registered yet")
    import sympy

    if name == "fold":
        m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0})
    else:
        m = ig.load_model(EXAMPLES / f"{name}.toml")
    fixed = m.with_parameters(**values)
    stable = []
    for eq in ig.equilibria(fixed):
        if eq.exists in (True, sympy.true) and ig.stability(fixed, eq).condition in (
            True,
            sympy.true,
        ):
            stable.append(np.array([float(eq.point[s]) for s in fixed.states]))
    assert stable, "the symbolic engine finds a stable equilibrium"
    rng = np.random.default_rng(5)
    for target in stable:
        starts = target + 0.01 * rng.standard_normal((8, len(target)))
        span = (0, 600) if m.time == "discrete" else (0.0, 80.0)
        ens = ig.simulate(m, x0=starts, params=values, t=span, n_points=3)
        assert ens.success and np.abs(ens.final - target).max() < 1e-5


def test_simplex_starts_must_lie_on_the_simplex() -> None:
    # Shares of three routines: a start off the simplex is refused with the sum it has; on the
    # simplex the trajectory stays there (sum 1 to integration accuracy).
    m = ig.Model.from_equations(
        {
            "x": "x*(1 - (x + 2*y + 3*z))",
            "y": "y*(2 - (x + 2*y + 3*z))",
            "z": "z*(3 - (x + 2*y + 3*z))",
        },
        parameters={},
        simplex=True,
    )
    with pytest.raises(ig.ModelError, match=r"not on the simplex.*sum to 1.5"):
        ig.simulate(m, x0={"x": 0.5, "y": 0.5, "z": 0.5}, t=(0, 1))
    with pytest.raises(ig.ModelError, match=r"start 1 of 2"):
        ig.simulate(m, x0=np.array([[0.2, 0.3, 0.5], [0.6, 0.6, -0.2]]), t=(0, 1))
    tr = ig.simulate(m, x0={"x": 0.2, "y": 0.3, "z": 0.5}, t=(0, 5))
    assert np.allclose(tr.x.sum(axis=1), 1.0, atol=1e-5)


def test_cli_default_simplex_start_is_the_barycentre(tmp_path: Path) -> None:
    from incentive_geometry.cli.simulate import parse_states

    m = ig.Model.from_equations(
        {"x": "x*(1 - x)", "y": "-x*y", "z": "-x*z"}, parameters={}, simplex=True
    )
    start = parse_states([], m)
    assert start == pytest.approx({"x": 1 / 3, "y": 1 / 3, "z": 1 / 3})
    assert sum(parse_states(["x=0.7"], m).values()) == pytest.approx(1.0)
