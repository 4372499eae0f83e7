"""Hostile calls to the numerical entry points (issue 16): a clear ModelError up front, or an
answer; never a raw exception, a silent cut of a complex value, or a hang."""

from __future__ import annotations

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.resources import check_memory, memory_limit, step_limit


def decay() -> ig.Model:
    return ig.Model.from_equations({"x": "-k*x + 1"}, parameters={"k": 1.0})


def test_stiff_parameters_are_solved_or_refused_quickly() -> None:
    m = decay()
    # LSODA gives up at k = 1e16 (before: AttributeError from scipy's empty output); Radau solves.
    tr = ig.simulate(m, x0=[0], t=(0, 1), params={"k": 1e16})
    assert tr.success and "solved with Radau" in tr.message
    assert tr.x[-1, 0] == pytest.approx(1e-16, rel=1e-6)
    # k = 1e40: far past what LSODA or BDF resolve; the default goes to Radau directly.
    tr = ig.simulate(m, x0=[0], t=(0, 1), params={"k": 1e40})
    assert tr.success and tr.method == "Radau"
    assert tr.x[-1, 0] == pytest.approx(1e-40, rel=1e-6)
    # An explicit request for BDF there is refused with the reason (it ran for hours before).
    with pytest.raises(ig.ModelError, match=r"too stiff for BDF.*ratio 1e\+40.*Radau"):
        ig.simulate(m, x0=[0], t=(0, 1), params={"k": 1e40}, method="BDF")
    with pytest.raises(ig.ModelError, match="explicit method RK45 would take about"):
        ig.simulate(m, x0=[0], t=(0, 1), params={"k": 1e12}, method="RK45")
    # k = 1e308: the Jacobian overflows; a ConvergenceError that says so, not a ValueError.
    with pytest.raises(ig.ConvergenceError, match="could not proceed"):
        ig.simulate(m, x0=[0], t=(0, 1), params={"k": 1e308})


def test_evaluation_budget_stops_a_solve_and_says_why() -> None:
    m = ig.Model.from_equations({"x": "y", "y": "-x"})  # not stiff, but a long span
    tr = ig.simulate(m, x0=[1, 0], t=(0, 5000), method="RK45", max_evals=2000, raise_on_failure=False)
    assert tr.status == -1 and "stopped after 2000 right-hand side evaluations" in tr.message
    with pytest.raises(ig.ModelError, match="`max_evals`"):
        ig.simulate(m, x0=[0, 0], t=(0, 1), max_evals=0)


def test_requests_too_large_are_refused_with_the_estimate() -> None:
    m = decay()
    with pytest.raises(ig.ModelError, match=r"10000000000 times x 1 state.*160\.0 GB"):
        ig.simulate(m, x0=[0], t=(0, 1), n_points=10**10)
    huge = {"x": np.broadcast_to(0.0, (10**9,))}  # a view: the refusal comes before any copy
    with pytest.raises(ig.ModelError, match="1000000000 members x 201 times"):
        ig.simulate(m, x0=huge, t=(0, 1))
    halve = ig.Model.from_equations({"x": "x/2"}, time="discrete")
    with pytest.raises(ig.ModelError, match=r"1e\+12 steps.*hours"):
        ig.simulate(halve, x0=[0.5], t=10**12)
    sde = ig.Model.from_equations({"x": "-x"}, noise={"x": "0.1"})
    with pytest.raises(ig.ModelError, match=r"Euler-Maruyama steps.*larger `dt`"):
        ig.simulate(sde, x0=[0.5], t=(0, 1), dt=1e-12, seed=0)
    with pytest.raises(ig.ModelError, match="find_equilibria: 1099511627776 starting points"):
        ig.find_equilibria(m, n_starts=2**40)


def test_limits_can_be_raised_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCENTIVE_GEOMETRY_MAX_MEMORY", "1K")
    assert memory_limit() == 1024
    with pytest.raises(ig.ModelError, match=r"limit of 1\.0 kB"):
        check_memory(2048, what="x", fix="y")
    monkeypatch.setenv("INCENTIVE_GEOMETRY_MAX_STEPS", "2e3")
    assert step_limit() == 2000
    monkeypatch.setenv("INCENTIVE_GEOMETRY_MAX_STEPS", "lots")
    with pytest.raises(ig.ModelError, match="INCENTIVE_GEOMETRY_MAX_STEPS = 'lots' is not a number"):
        step_limit()


@pytest.mark.parametrize("seed", [-1, 1.5, "a", True])
def test_bad_seeds(seed: object) -> None:
    sde = ig.Model.from_equations({"x": "-x"}, noise={"x": "0.1"})
    with pytest.raises(ig.ModelError, match="must be None or a nonnegative integer"):
        ig.simulate(sde, x0=[0.5], t=(0, 1), seed=seed)  # type: ignore[arg-type]


def test_bad_states_and_parameters() -> None:
    m = decay()
    two = ig.Model.from_equations({"x": "-x", "y": "-y"})
    cases = [
        (lambda: ig.simulate(m, x0={"x": "abc"}, t=(0, 1)), "state `x` = 'abc' is not a number"),
        (lambda: ig.simulate(m, x0={"x": 1 + 2j}, t=(0, 1)), "is complex"),
        (lambda: ig.simulate(m, x0=np.array([1 + 1j]), t=(0, 1)), "is complex"),
        (lambda: ig.simulate(two, x0=[[1, 2], [3]], t=(0, 1)), "is not a state: give numbers"),
        (lambda: ig.simulate(m, x0=[0], params={"k": np.array([1 + 1j, 2])}), "is complex"),
        (lambda: ig.simulate(m, x0=[0], params={"k": 10**400}), "too large for a float"),
        (lambda: ig.continuation(m, "k", x0=[1], p_range=(0.5, 2), max_steps=-1), "`max_steps` must be an int >= 1"),
    ]
    for call, message in cases:
        with pytest.raises(ig.ModelError, match=message.replace("(", r"\(").replace(")", r"\)")):
            call()


def test_undefined_states_are_not_called_divergence() -> None:
    # x -> sqrt(x) - 1 from 0.5: x_1 < 0, x_2 = sqrt(negative): undefined, |x| never near 1e8.
    m = ig.Model.from_equations({"x": "sqrt(x) - 1"}, time="discrete")
    tr = ig.simulate(m, x0=[0.5], t=10)
    assert tr.status == 1 and "undefined" in tr.message and "bound" not in tr.message
    ens = ig.simulate(m, x0={"x": np.array([0.5, 4.0])}, t=10)  # 4 -> 1 -> 0 -> -1 -> NaN
    assert "2 of 2 trajectories stopped: 2 became undefined" in ens.message
