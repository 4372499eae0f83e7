"""Periodic orbits: exact cycles, published orbits, and checks by independent shooting.

References used here, none derived from the collocation code:

- Hopf normal form (Stuart-Landau) ``z' = (mu + i w) z - |z|^2 z``: radius ``sqrt(mu)``, period
  ``2 pi / w``, nontrivial multiplier ``exp(-2 mu T)``.
- Bautin normal form ``r' = r (mu + 2 r^2 - r^4)``: cycles at ``r^2 = 1 +- sqrt(1 + mu)``, their
  fold at ``mu = -1``, the outer stable and the inner unstable (Kuznetsov 2004, section 8.3).
- van der Pol ``x'' - mu (1 - x^2) x' + x = 0``: ``T(1) = 6.6632868593`` and, for large mu,
  Dorodnitsyn's relaxation asymptotics (Bender and Orszag 1978, section 11.x; Grasman 1987):
  ``T = (3 - 2 ln 2) mu + 3 a mu^(-1/3) - (2/3) ln(mu) / mu + (3 ln 2 - ln 3 - 3/2 + b0 - 2 d) / mu``
  with ``a = 2.338107`` (first zero of Ai(-x)), ``b0 = 0.1723``, ``d = 0.4889``.
- Brusselator: Hopf at ``b = 1 + a^2`` with frequency ``a``, supercritical.
- Rossler ``a = b = 0.2``, ``c = 5.7``: the period-1 and period-2 orbits published by Cvitanovic
  et al., ChaosBook (T = 5.88108845586, multiplier -2.403953527; T = 11.7586260717, -3.512006980).
- A cycle of two uncoupled oscillators (torus bifurcation at ``mu = 0`` exactly) and a
  saddle-node on the invariant circle ``phi' = mu - sin(phi)`` (period ``2 pi / sqrt(mu^2 - 1)``,
  unbounded as mu -> 1).
- Floquet multipliers and periods are checked against the monodromy matrix of the variational
  equations integrated by ``scipy.integrate.solve_ivp`` (rtol 1e-11), not by the collocation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.compile import compile_model

R2 = "(x**2 + y**2)"


def stuart_landau(sign: str = "-", w: float = 1.0) -> ig.Model:
    return ig.Model.from_equations(
        {"x": f"mu*x - w*y {sign} x*{R2}", "y": f"w*x + mu*y {sign} y*{R2}"},
        parameters={"mu": -0.5, "w": w},
    )


def bautin() -> ig.Model:
    g = f"(mu + 2*{R2} - {R2}**2)"
    return ig.Model.from_equations({"x": f"x*{g} - y", "y": f"y*{g} + x"}, parameters={"mu": -0.5})


def vdp() -> ig.Model:
    return ig.Model.from_equations({"x": "y", "y": "mu*(1 - x**2)*y - x"}, parameters={"mu": 1.0})


def rossler() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "-y - z", "y": "x + a*y", "z": "b + z*(x - c)"},
        parameters={"a": 0.2, "b": 0.2, "c": 2.5},
    )


def shooting(model: ig.Model, orbit: ig.PeriodicOrbit) -> tuple[np.ndarray, np.ndarray]:
    """The state after one period and the monodromy matrix, by solve_ivp on the variational
    equations from the orbit's first point (independent of the collocation)."""
    cm = compile_model(model)
    n = cm.n
    p = cm.param_vector({**orbit.params, orbit.param: orbit.p})

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        x, Phi = y[:n], y[n:].reshape(n, n)
        return np.concatenate([cm.rhs(x, p), (cm.jac(x, p) @ Phi).ravel()])

    y0 = np.concatenate([orbit.x[0], np.eye(n).ravel()])
    sol = solve_ivp(rhs, (0, orbit.period), y0, method="DOP853", rtol=1e-11, atol=1e-13)
    return sol.y[:n, -1], sol.y[n:, -1].reshape(n, n)


def nontrivial(mu: np.ndarray) -> np.ndarray:
    """The multipliers other than the one nearest 1."""
    mu = np.asarray(mu)
    i = int(np.argmin(np.abs(mu - 1)))
    return np.delete(mu, i)


# --------------------------------------------------------------------------------------------
# Exact cycles


@pytest.mark.parametrize("w", [1.0, 2.0])
def test_stuart_landau_from_hopf(w: float) -> None:
    m = stuart_landau("-", w)
    br = ig.continuation(m, "mu", x0={"x": 0, "y": 0}, p_range=(-0.5, 1))
    hopf = br.of_kind("hopf")[0]
    assert hopf.criticality == "supercritical"
    cy = ig.cycles(m, "mu", start=hopf, p_range=(-0.5, 1))
    assert cy.success and len(cy) > 5
    assert np.all(cy.p > 0)  # the supercritical side
    np.testing.assert_allclose(cy.amplitude, np.sqrt(cy.p), atol=1e-8)
    np.testing.assert_allclose(cy.period, 2 * np.pi / w, rtol=1e-9)
    np.testing.assert_allclose(cy.norm, np.sqrt(cy.p), rtol=1e-8)  # a circle: L2 norm = radius
    assert cy.stable.all()
    # The nontrivial multiplier exp(-2 mu T); the trivial one 1.
    mu_nt = np.array([nontrivial(row)[0] for row in cy.multipliers])
    np.testing.assert_allclose(mu_nt.real, np.exp(-2 * cy.p * 2 * np.pi / w), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(cy.multipliers[:, 0], 1.0, atol=1e-7)
    assert cy.p[-1] == pytest.approx(1.0, abs=1e-12)
    assert "supercritical" in cy.message


def test_subcritical_hopf_cycles_lie_below_and_are_unstable() -> None:
    m = stuart_landau("+")
    br = ig.continuation(m, "mu", x0={"x": 0, "y": 0}, p_range=(-0.5, 0.5))
    hopf = br.of_kind("hopf")[0]
    assert hopf.criticality == "subcritical"
    cy = ig.cycles(m, "mu", start=hopf, p_range=(-0.5, 0.5))
    assert np.all(cy.p < 0)
    np.testing.assert_allclose(cy.amplitude, np.sqrt(-cy.p), atol=1e-8)
    assert not cy.stable.any()


def test_bautin_fold_of_cycles() -> None:
    m = bautin()
    tr = ig.simulate(m, x0={"x": 1.5, "y": 0}, params={"mu": -0.5}, t=(0, 60), n_points=3001)
    cy = ig.cycles(m, "mu", start=tr, p_range=(-1.5, 0.5))
    folds = cy.of_kind("cycle_fold")
    assert len(folds) == 1 and len(cy.bifurcations) == 1
    assert folds[0].p == pytest.approx(-1.0, abs=1e-8)
    assert folds[0].orbit.amplitude == pytest.approx(1.0, abs=1e-6)
    r2 = cy.amplitude**2
    outer = r2 > 1 + 1e-6
    inner = r2 < 1 - 1e-6
    assert outer.sum() > 5 and inner.sum() > 5
    np.testing.assert_allclose(r2[outer], 1 + np.sqrt(1 + cy.p[outer]), atol=1e-8)
    np.testing.assert_allclose(r2[inner], 1 - np.sqrt(1 + cy.p[inner]), atol=1e-8)
    assert cy.stable[outer].all() and not cy.stable[inner].any()
    # The inner cycles shrink onto the origin at the subcritical Hopf point mu = 0.
    assert "Hopf point" in cy.message
    assert cy.p[inner].max() < 0


# --------------------------------------------------------------------------------------------
# Published and asymptotic values


def test_van_der_pol_periods() -> None:
    m = vdp()
    tr = ig.simulate(m, x0=[2, 0], t=(0, 60), params={"mu": 1.0}, n_points=3000)
    cy = ig.cycles(m, "mu", start=tr, p_range=(1.0, 30.0), ds_max=2.0, direction="forward")
    assert cy.success
    assert cy.period[0] == pytest.approx(6.6632868593, abs=1e-8)
    mu = cy.p[-1]
    assert mu == pytest.approx(30.0)
    a, b0, d = 2.338107, 0.1723, 0.4889
    asym = (
        (3 - 2 * math.log(2)) * mu
        + 3 * a * mu ** (-1 / 3)
        - (2 / 3) * math.log(mu) / mu
        + (3 * math.log(2) - math.log(3) - 1.5 + b0 - 2 * d) / mu
    )
    assert cy.period[-1] == pytest.approx(asym, rel=2e-4)
    # The orbit's period and multipliers by shooting (independent of the collocation).
    orbit = cy.orbit(-1)
    end, _ = shooting(m, orbit)
    assert np.linalg.norm(end - orbit.x[0]) < 1e-6 * np.max(np.abs(orbit.x))
    assert orbit.stable
    assert orbit.amplitudes[0] == pytest.approx(2.0, abs=0.02)  # relaxation amplitude ~2


def test_brusselator_hopf_and_cycle() -> None:
    for a in (1.0, 2.0):
        m = ig.Model.from_equations(
            {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"}, parameters={"a": a, "b": 1.0}
        )
        bh = 1 + a**2
        br = ig.continuation(
            m, "b", x0={"x": a, "y": 1 / a}, p_range=(1.0, bh + 1), params={"b": 1.0}
        )
        hopf = br.of_kind("hopf")[0]
        assert hopf.p == pytest.approx(bh, abs=1e-8)
        assert hopf.criticality == "supercritical"
        cy = ig.cycles(m, "b", start=hopf, p_range=(1.0, bh + 0.5))
        assert cy.success and np.all(cy.p >= bh - 1e-9) and cy.stable.all()
        assert cy.period[0] == pytest.approx(2 * np.pi / a, rel=1e-3)
        # Amplitude grows like sqrt(b - b_H) near the Hopf point.
        near = (cy.p > bh) & (cy.p < bh + 0.05)
        ratio = cy.amplitude[near] / np.sqrt(cy.p[near] - bh)
        assert np.ptp(ratio) < 0.1 * ratio.mean()


def test_rossler_period_doubling_cascade() -> None:
    m = rossler()
    tr = ig.simulate(
        m, x0=[1, 1, 0], t=(0, 300), params={"c": 2.5}, n_points=20001, rtol=1e-9, atol=1e-12
    )
    cy = ig.cycles(m, "c", start=tr, p_range=(2.5, 5.7), direction="forward", ds_max=0.5)
    pds = cy.of_kind("period_doubling")
    assert len(pds) == 1
    pd1 = pds[0]
    assert pd1.p == pytest.approx(2.83, abs=0.01)  # the first doubling, c ~ 2.83
    # Independent check: the monodromy by shooting has the multiplier -1 there.
    _, M = shooting(m, pd1.orbit)
    assert np.min(np.abs(np.linalg.eigvals(M) + 1)) < 1e-6
    # Switch onto the doubled branch: its own doubling at c ~ 3.84.
    cy2 = ig.cycles(m, "c", start=pd1, p_range=(2.5, 5.7), ds_max=0.5)
    assert cy2.period[0] == pytest.approx(2 * pd1.period, rel=1e-6)
    pd2 = cy2.of_kind("period_doubling")[0]
    assert pd2.p == pytest.approx(3.84, abs=0.01)
    _, M2 = shooting(m, pd2.orbit)
    assert np.min(np.abs(np.linalg.eigvals(M2) + 1)) < 1e-6
    # The period-1 and period-2 orbits at c = 5.7 against ChaosBook's published values.
    o1, o2 = cy.orbit(-1), cy2.orbit(-1)
    assert o1.p == o2.p == pytest.approx(5.7)
    assert o1.period == pytest.approx(5.88108845586, abs=2e-9)
    assert o2.period == pytest.approx(11.7586260717, abs=2e-9)
    assert o1.multipliers[1].real == pytest.approx(-2.403953527, abs=2e-8)
    assert o2.multipliers[1].real == pytest.approx(-3.512006980, abs=2e-8)
    assert o1.stability == o2.stability == "unstable"


def test_torus_bifurcation_of_two_oscillators() -> None:
    w = math.sqrt(2)
    m = ig.Model.from_equations(
        {
            "x1": "x1*(1 - x1**2 - y1**2) - y1",
            "y1": "y1*(1 - x1**2 - y1**2) + x1",
            "x2": "x2*(mu - x2**2 - y2**2) - w*y2",
            "y2": "y2*(mu - x2**2 - y2**2) + w*x2",
        },
        parameters={"mu": -0.5, "w": w},
    )
    tr = ig.simulate(m, x0=[1, 0, 0, 0], t=(0, 40), n_points=4001)
    cy = ig.cycles(m, "mu", start=tr, p_range=(-0.5, 0.5))
    (tor,) = cy.bifurcations
    assert tor.kind == "torus"
    assert tor.p == pytest.approx(0.0, abs=1e-9)
    # The critical multipliers exp(+-i w T) with T = 2 pi: angle 2 pi (w - 1).
    assert tor.frequency == pytest.approx(2 * np.pi * (w - 1), abs=1e-8)
    assert cy.stable[cy.p < -1e-6].all() and not cy.stable[cy.p > 1e-6].any()


def test_period_grows_without_bound_is_reported_homoclinic() -> None:
    # r' = r (1 - r^2), phi' = mu - sin(phi) on r = 1: period 2 pi / sqrt(mu^2 - 1).
    m = ig.Model.from_equations(
        {"x": f"x*(1 - {R2}) - y*(mu - y)", "y": f"y*(1 - {R2}) + x*(mu - y)"},
        parameters={"mu": 3.0},
    )
    tr = ig.simulate(m, x0=[1, 0], t=(0, 40), n_points=4001)
    cy = ig.cycles(m, "mu", start=tr, p_range=(0.5, 3.0), direction="backward", ds_max=0.5)
    np.testing.assert_allclose(cy.period, 2 * np.pi / np.sqrt(cy.p**2 - 1), rtol=1e-6)
    assert cy.status == 1
    (hom,) = cy.of_kind("homoclinic")
    assert hom.period > 20 and 1.0 < hom.p < 1.05
    assert "homoclinic" in cy.message


# --------------------------------------------------------------------------------------------
# Cross-checks with independent integration


def test_trajectory_started_on_the_cycle_stays_on_it_and_multipliers_match() -> None:
    m = rossler()
    tr = ig.simulate(
        m, x0=[1, 1, 0], t=(0, 300), params={"c": 3.0}, n_points=20001, rtol=1e-9, atol=1e-12
    )
    cy = ig.cycles(m, "c", start=tr, max_steps=0, intervals=80)
    orbit = cy.orbit(0)
    end, M = shooting(m, orbit)
    assert np.linalg.norm(end - orbit.x[0]) < 1e-7
    mu_shoot = np.sort_complex(np.linalg.eigvals(M))
    mu_coll = np.sort_complex(orbit.multipliers)
    np.testing.assert_allclose(mu_coll, mu_shoot, atol=1e-7)
    assert cy.orbit(0).stable  # at c = 3 the attractor is the doubled cycle (loops = 2)
    # Five periods later the trajectory is still on the computed orbit (to the accuracy of the
    # degree-4 polynomials between the nodes, during the fast rise of z).
    t = np.linspace(0, 5 * orbit.period, 400)
    sim = ig.simulate(
        m, x0=orbit.x[0], t=(0, t[-1]), t_eval=t, params={"c": 3.0}, rtol=1e-11, atol=1e-13
    )
    np.testing.assert_allclose(sim.x, orbit(t), atol=1e-5 * np.max(np.abs(orbit.x)))


def vdp_period_by_events(mu: float) -> float:
    """The van der Pol period from upward zero crossings of x (solve_ivp, rtol 1e-12)."""

    def f(_t: float, u: np.ndarray) -> list[float]:
        return [u[1], mu * (1 - u[0] ** 2) * u[1] - u[0]]

    def up(_t: float, u: np.ndarray) -> float:
        return float(u[0])

    up.direction = 1  # type: ignore[attr-defined]
    sol = solve_ivp(
        f, (0, 5 * mu + 60), [2.0, 0.0], method="LSODA", rtol=1e-11, atol=1e-12, events=up
    )
    crossings = sol.t_events[0]
    return float(crossings[-1] - crossings[-2])


def test_the_mesh_is_adapted_to_a_relaxation_cycle() -> None:
    m = vdp()
    tr = ig.simulate(
        m, x0=[2, 0], t=(0, 200), params={"mu": 10.0}, n_points=20001, rtol=1e-10, atol=1e-12
    )
    cy = ig.cycles(
        m, "mu", start=tr, p_range=(9.0, 10.0), intervals=30, max_steps=4, direction="backward"
    )
    start = cy.orbit(-1) if cy.p[-1] == 10.0 else cy.orbit(0)
    assert start.p == 10.0
    h = np.diff(start.mesh.tau)
    assert h.max() > 10 * h.min()  # the fast jumps get short intervals
    assert start.trivial_error < 1e-4
    assert start.period == pytest.approx(vdp_period_by_events(10.0), rel=1e-5)  # 30 intervals
    # Adapted along the branch too: every orbit resolved.
    assert all(o.trivial_error < 1e-3 for o in cy.orbits)


def test_a_cycle_the_mesh_cannot_resolve_is_refused() -> None:
    m = vdp()
    tr = ig.simulate(m, x0=[2, 0], t=(0, 200), params={"mu": 30.0}, n_points=20001)
    with pytest.raises(ig.ConvergenceError, match="increase `intervals`"):
        ig.cycles(m, "mu", start=tr, intervals=4, degree=2, max_steps=0)


# --------------------------------------------------------------------------------------------
# Errors and bad input


def test_bad_starts_and_arguments() -> None:
    m = stuart_landau("-")
    eq = ig.simulate(m, x0=[0.0, 0.0], t=(0, 20), params={"mu": -0.5})
    with pytest.raises(ig.ConvergenceError, match="not settled on a cycle"):
        ig.cycles(m, "mu", start=eq)
    empty = ig.cycles(m, "mu", start=eq, raise_on_failure=False)
    assert empty.status == -1 and len(empty) == 0 and "not settled" in empty.message
    with pytest.raises(ig.ModelError, match="empty"):
        empty.orbit(0)
    br = ig.continuation(m, "mu", x0={"x": 0, "y": 0}, p_range=(-0.5, 1))
    hopf = br.of_kind("hopf")[0]
    with pytest.raises(ig.ModelError, match="Hopf point in `mu`, not in `w`"):
        ig.cycles(m, "w", start=hopf)
    with pytest.raises(ig.ModelError, match="`start` must be"):
        ig.cycles(m, "mu", start=42)  # type: ignore[arg-type]
    with pytest.raises(ig.ModelError, match="exactly the keys 't' and 'x'"):
        ig.cycles(m, "mu", start={"x": 1})
    with pytest.raises(ig.ModelError, match=r"x of shape \(K, 2\)"):
        ig.cycles(m, "mu", start={"t": [0, 1, 2, 3], "x": [1, 2, 3, 4]})
    with pytest.raises(ig.ModelError, match="`intervals`"):
        ig.cycles(m, "mu", start=hopf, intervals=0)
    with pytest.raises(ig.ModelError, match="ds_min <= ds <= ds_max"):
        ig.cycles(m, "mu", start=hopf, ds=1.0)
    with pytest.raises(ig.ModelError, match="outside `p_range`"):
        ig.cycles(m, "mu", start=hopf, p_range=(0.5, 1.0))
    with pytest.raises(ig.ModelError, match="`nope`"):
        ig.cycles(m, "nope", start=hopf)
    logistic = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3.2}, time="discrete")
    with pytest.raises(ig.ModelKindError, match="iterate"):
        ig.cycles(logistic, "r", start=hopf)
    cy = ig.cycles(m, "mu", start=hopf, p_range=(-0.5, 0.2))
    with pytest.raises(ig.ModelError, match="not an index"):
        cy.orbit(len(cy))
    fold = ig.continuation(
        ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0}),
        "p",
        x0=[-1.0],
        p_range=(-2, 1),
    ).bifurcations[0]
    with pytest.raises(ig.ModelError, match="fold point"):
        ig.cycles(m, "mu", start=fold)


def test_a_users_guess_of_one_period() -> None:
    # An ellipse of the wrong size and period, at mu = 1: Newton finds the unit circle.
    m = stuart_landau("-")
    t = np.linspace(0, 7.0, 50)
    guess = {"t": t, "x": {"x": 1.4 * np.cos(2 * np.pi * t / 7), "y": 0.8 * np.sin(2 * np.pi * t / 7)}}
    cy = ig.cycles(m, "mu", start=guess, params={"mu": 1.0}, max_steps=0)
    orbit = cy.orbit(0)
    assert orbit.p == 1.0
    assert orbit.period == pytest.approx(2 * np.pi, rel=1e-9)
    assert orbit.amplitude == pytest.approx(1.0, abs=1e-8)
    # A guess that is not closed is refused with the reason.
    with pytest.raises(ig.ConvergenceError, match="does not close on itself"):
        ig.cycles(m, "mu", start={"t": t[:25], "x": np.column_stack([t[:25], t[:25]])}, params={"mu": 1.0})


def test_as_dict_and_repr() -> None:
    m = stuart_landau("-")
    br = ig.continuation(m, "mu", x0={"x": 0, "y": 0}, p_range=(-0.5, 1))
    cy = ig.cycles(m, "mu", start=br.of_kind("hopf")[0], p_range=(-0.5, 1))
    d = cy.as_dict()
    assert d["success"] and len(d["p"]) == len(cy) and set(d["x_max"]) == {"x", "y"}
    assert "CycleBranch in mu" in repr(cy) and "PeriodicOrbit mu=1" in repr(cy.orbit(-1))
    orbit = cy.orbit(-1)
    np.testing.assert_allclose(orbit(orbit.t), orbit.x, atol=1e-12)
    np.testing.assert_allclose(orbit["x"], orbit.x[:, 0])


def test_default_range_stays_in_the_parameters_domain() -> None:
    # alpha is positive: the default range alpha -+ 1 would reach 0 (reported by a helper).
    from incentive_geometry.theory import entrenchment_oscillating

    m = entrenchment_oscillating()
    tr = ig.simulate(m, x0={"x": 0.3, "theta": 0.1}, t=(0, 1200), params={"rho": 0.1}, n_points=6001)
    orbit = ig.cycles(m, "alpha", start=tr, max_steps=0).orbit(0)
    assert orbit.stable and orbit.p == 1.0
