"""Sweeps that see cycles: points with no stable equilibrium are probed by simulation, and those
that settle on a cycle get the class `stable cycle` and its period."""

from __future__ import annotations

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.errors import ModelError

BRUSSELATOR = {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"}


def brusselator() -> ig.Model:
    return ig.Model.from_equations(BRUSSELATOR, parameters={"a": 1.0, "b": 1.5}, name="brusselator")


def test_brusselator_past_the_hopf_line_is_a_stable_cycle_with_the_collocation_period() -> None:
    m = brusselator()
    a = np.array([0.8, 1.0, 1.2])
    b = np.linspace(1.2, 3.4, 12)
    sm = ig.sweep(m, {"a": a, "b": b})
    A, B = np.meshgrid(a, b, indexing="ij")
    away = np.abs(B - 1 - A**2) > 0.05
    cls = sm.classes
    # b > 1 + a^2: the equilibrium is unstable and every probe finds the cycle; below, stable.
    assert np.all((cls == "stable cycle")[away] == (B > 1 + A**2)[away])
    period = sm.period.reshape(sm.shape)
    assert np.array_equal(np.isfinite(period), cls == "stable cycle")
    assert "stable cycle" in sm.counts and any("cycle probe" in n for n in sm.notes)
    # The period of the probe against the collocation cycle at the same point (independent
    # numerics: orthogonal collocation with Floquet multipliers).
    for i, j in ((1, 10), (2, 11)):
        p = {"a": float(a[i]), "b": float(b[j])}
        br = ig.continuation(
            m,
            "b",
            x0={"x": p["a"], "y": 1.0 / p["a"]},
            params={"a": p["a"], "b": 1.0},
            p_range=(1.0, 4.0),
        )
        hopf = br.of_kind("hopf")[0]
        assert abs(hopf.p - (1 + p["a"] ** 2)) < 1e-7
        cy = ig.cycles(m, "b", start=hopf, p_range=(hopf.p, p["b"]), max_steps=200)
        assert cy.p.max() == pytest.approx(p["b"], abs=1e-6)
        k = int(np.argmax(cy.p))
        assert cy.stable[k]
        assert abs(period[i, j] - cy.period[k]) < 1e-2 * cy.period[k]


def test_stuart_landau_cycle_period_is_two_pi_over_omega() -> None:
    # z' = (mu + i omega) z - |z|^2 z: a stable cycle of radius sqrt(mu), period 2 pi / omega.
    m = ig.Model.from_equations(
        {"x": "mu*x - w*y - x*(x**2 + y**2)", "y": "w*x + mu*y - y*(x**2 + y**2)"},
        parameters={"mu": 0.5, "w": 2.0},
    )
    mu = np.array([-0.5, -0.1, 0.2, 0.5, 1.0])
    w = np.array([1.0, 2.0, 3.0])
    sm = ig.sweep(m, {"mu": mu, "w": w})
    M, W = np.meshgrid(mu, w, indexing="ij")
    assert np.array_equal(sm.classes == "stable cycle", M > 0)
    period = sm.period.reshape(sm.shape)
    np.testing.assert_allclose(period[M > 0], (2 * np.pi / W)[M > 0], rtol=2e-3)
    assert np.all(np.isnan(period[M < 0]))


def test_an_unstable_cycle_only_is_not_a_stable_cycle() -> None:
    # Stuart-Landau in (x, y) times an unstable direction z: the cycle is a saddle (its
    # multiplier along z is e^{2 pi}); no equilibrium is stable; trajectories leave along z.
    m = ig.Model.from_equations(
        {"x": "mu*x - y - x*(x**2 + y**2)", "y": "x + mu*y - y*(x**2 + y**2)", "z": "z"},
        parameters={"mu": 0.5},
    )
    sm = ig.sweep(m, {"mu": np.array([0.3, 0.6])})
    assert sm.classes.tolist() == ["none stable", "none stable"]
    assert np.all(np.isnan(sm.period))
    note = next(n for n in sm.notes if n.startswith("cycle probe"))
    assert "2 simulated: 0 settle on a cycle" in note and "2 diverge" in note


def test_subcritical_point_with_a_stable_equilibrium_is_not_probed() -> None:
    # r' = r (mu + r^2): for mu < 0 the origin is stable inside an unstable cycle.
    m = ig.Model.from_equations(
        {"x": "mu*x - y + x*(x**2 + y**2)", "y": "x + mu*y + y*(x**2 + y**2)"},
        parameters={"mu": -0.5},
    )
    sm = ig.sweep(m, {"mu": np.array([-0.5, -0.2])})
    assert all(c.endswith("only") for c in sm.classes.tolist())
    assert not any("cycle probe" in n for n in sm.notes)


def test_probes_are_bounded_counted_and_can_be_turned_off(tmp_path) -> None:
    m = brusselator()
    b = np.linspace(2.5, 3.5, 6)
    sm = ig.sweep(m, {"b": b}, max_probes=2)
    assert sm.counts == {"stable cycle": 2, "none stable": 4}
    note = next(n for n in sm.notes if n.startswith("cycle probe"))
    assert "6 points with no stable equilibrium, 2 simulated" in note
    assert "4 not probed (past `max_probes` = 2)" in note
    # Evenly spread: the first and the last candidate are probed.
    assert sm.classes[0] == sm.classes[-1] == "stable cycle"
    off = ig.sweep(m, {"b": b}, cycles=False)
    assert off.counts == {"none stable": 6} and np.all(np.isnan(off.period))
    # The period survives save and load.
    back = ig.StabilityMap.load(sm.save(tmp_path / "map.npz"))
    assert np.array_equal(back.period, sm.period, equal_nan=True)
    assert back.classes.tolist() == sm.classes.tolist()


def test_maps_are_not_probed_and_bad_options_are_refused() -> None:
    logistic = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3.5}, time="discrete")
    sm = ig.sweep(logistic, {"r": np.array([3.5])}, method="numeric", bounds={"x": (-0.5, 1.5)})
    assert sm.classes.tolist() == ["none stable"]
    with pytest.raises(ModelError, match="`cycles=True` probes flows"):
        ig.sweep(logistic, {"r": np.array([3.5])}, cycles=True)
    with pytest.raises(ModelError, match="`max_probes`"):
        ig.sweep(brusselator(), {"b": np.array([3.0])}, max_probes=-1)
    with pytest.raises(ModelError, match="`cycle_time`"):
        ig.sweep(brusselator(), {"b": np.array([3.0])}, cycle_time=0.0)


# --------------------------------------------------------------------------------------------
# Look-alikes of a periodic orbit (issue 16): a heteroclinic cycle, integration noise


@pytest.mark.parametrize("cycle_time", [None, 1000.0])
def test_rock_paper_scissors_heteroclinic_cycle_is_not_a_stable_cycle(
    cycle_time: float | None,
) -> None:
    # win < loss: the centre repels and orbits spiral onto the heteroclinic cycle of the three
    # vertices (Zeeman 1980; Hofbauer & Sigmund 1998, section 7.7): no periodic orbit exists,
    # the time between returns grows without bound. Close to win = loss the spiral is slow and
    # over a finite run it repeats almost exactly (win = 0.999 returned "period 31.8" before).
    from incentive_geometry.theory import rock_paper_scissors

    m = rock_paper_scissors()
    sm = ig.sweep(
        m,
        {"win": np.array([0.6, 0.99, 0.999]), "loss": np.array([1.0])},
        executor="serial",
        cycle_time=cycle_time,
    )
    assert "stable cycle" not in sm.counts
    assert np.all(np.isnan(sm.period))
    note = next(n for n in sm.notes if n.startswith("cycle probe"))
    assert "3 simulated: 0 settle on a cycle" in note


def test_van_der_pol_limit_cycle_periods_match_the_literature() -> None:
    # x'' - mu (1 - x^2) x' + x = 0: one attracting limit cycle for mu > 0 (Lienard's theorem),
    # of period 6.38068 (mu = 0.5), 6.66329 (mu = 1), 7.62987 (mu = 2): the time between
    # successive y = 0 crossings of scipy's solve_ivp at rtol = atol = 1e-12 (independent of the
    # probe); 6.6632869 at mu = 1 is the value quoted in the literature.
    m = ig.Model.from_equations(
        {"x": "y", "y": "mu*(1 - x**2)*y - x"}, parameters={"mu": 1.0}, name="van_der_pol"
    )
    sm = ig.sweep(m, {"mu": np.array([0.5, 1.0, 2.0])}, executor="serial")
    assert sm.classes.tolist() == ["stable cycle"] * 3
    np.testing.assert_allclose(sm.period, [6.38068, 6.66329, 7.62987], rtol=1e-3)


def test_integration_noise_next_to_a_stable_vertex_is_not_a_cycle() -> None:
    # Three routines on the simplex at theta = 1: trajectories converge onto the stable vertex
    # e_1 (eigenvalues -1, -1), where LSODA's step-size pattern left wiggles of size 3e-7 that
    # repeat "with period 13.3"; all 11 probed points of an 11 x 11 sweep were called
    # `stable cycle` before. The same wiggle, written down, is refused as noise; a cycle of the
    # same period and size 0.3 is not.
    from incentive_geometry.solvers.numeric.simulate import Trajectory
    from incentive_geometry.solvers.numeric.sweep_cycles import _not_a_periodic_orbit
    from incentive_geometry.solvers.numeric.sweep_plan import SweepPlan
    from incentive_geometry.theory import entrenchment_n

    m = entrenchment_n(3, b=[0, 0.2, 0.2], gamma=[0, 1, 1], c=[0, 1, 1]).reduce_simplex()
    plan = SweepPlan(
        model=m,
        param_columns=(),
        base=(1.0, 1.0),
        method="numeric",
        closed_forms=(),
        closed_exists=(),
        starts=None,
        probes=np.zeros((1, 2)),
        max_equilibria=8,
        key="noise-test",
    )
    t = np.linspace(100.0, 200.0, 801)
    phase = 2 * np.pi * t / 13.3
    for amplitude, want in ((3e-7, "noise"), (0.15, None)):
        x = np.stack([0.35 + amplitude * np.cos(phase), 0.3 + amplitude * np.sin(phase)], -1)
        one = Trajectory(t=t, x=x, state_names=m.state_names)
        assert _not_a_periodic_orbit(plan, one, 1, np.array([1.0, 1.0])) == want
    # At theta = 1 the whole sweep says the equilibria are not all known (a line of them), and
    # probes nothing there (sweep.py classes such points `incomplete`).
    full = entrenchment_n(3, b=[0, 0.2, 0.2], gamma=[0, 1, 1], c=[0, 1, 1])
    sm = ig.sweep(
        full,
        {"theta": np.array([1.0]), "alpha": np.array([0.5, 1.0, 2.0])},
        method="numeric",
        executor="serial",
    )
    assert "stable cycle" not in sm.counts and np.all(np.isnan(sm.period))
