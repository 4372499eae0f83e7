"""The oscillating entrenchment model: its equilibria, its Hopf point (derived by hand in the
docstring) against continuation and the symbolic engine, and the stable cycle born there."""

from __future__ import annotations

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.cycles import detect_cycle
from incentive_geometry.theory import MODELS, entrenchment_oscillating


def interior(alpha: float, b: float, gamma: float, c: float, kappa: float) -> float:
    """The positive root of alpha (1 - kappa x)(b + gamma x) - kappa c x (the docstring)."""
    q = alpha * gamma - kappa * (alpha * b + c)
    return (q + np.sqrt(q * q + 4 * alpha**2 * b * gamma * kappa)) / (2 * alpha * gamma * kappa)


def rho_hopf(alpha: float, b: float, gamma: float, c: float, kappa: float) -> float:
    x = interior(alpha, b, gamma, c, kappa)
    return x * (1 - x) * alpha * gamma * (1 - kappa * x)


def random_points(n: int, seed: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        p = {
            "alpha": rng.uniform(0.5, 2.0),
            "b": rng.uniform(0.05, 0.5),
            "gamma": rng.uniform(0.5, 2.0),
            "c": rng.uniform(0.5, 2.0),
            "kappa": rng.uniform(0.3, 1.0),
        }
        theta_star = (
            p["alpha"] * (p["b"] + p["gamma"]) / (p["alpha"] * (p["b"] + p["gamma"]) + p["c"])
        )
        if p["kappa"] > theta_star + 0.05:
            out.append(p)
    return out


def test_registered_and_documented() -> None:
    assert MODELS["entrenchment_oscillating"] is entrenchment_oscillating
    m = entrenchment_oscillating()
    assert m.state_names == ("x", "theta")
    assert m.defaults["rho"] < rho_hopf(1.0, 0.2, 1.0, 1.0, 0.9)  # the default oscillates


def test_interior_equilibrium_solves_the_equations_and_lies_inside_iff_kappa_exceeds_theta_star() -> (
    None
):
    rng = np.random.default_rng(3)
    m = entrenchment_oscillating()
    for _ in range(40):
        p = {
            "alpha": rng.uniform(0.5, 2),
            "b": rng.uniform(0.05, 0.5),
            "gamma": rng.uniform(0.2, 2),
            "c": rng.uniform(0.5, 2),
            "kappa": rng.uniform(0.05, 1),
            "rho": rng.uniform(0.01, 1),
        }
        x = interior(*(p[k] for k in ("alpha", "b", "gamma", "c", "kappa")))
        point = {"x": x, "theta": p["kappa"] * x}
        subs = {m.symbol(k): v for k, v in {**p, **point}.items()}
        residual = [abs(float(f.subs(subs))) for f in m.rhs]
        assert max(residual) < 1e-12
        theta_star = (
            p["alpha"] * (p["b"] + p["gamma"]) / (p["alpha"] * (p["b"] + p["gamma"]) + p["c"])
        )
        assert (0 < x < 1) == (p["kappa"] > theta_star)


@pytest.mark.parametrize(
    "point", [*random_points(3, seed=0), dict(alpha=1.0, b=0.2, gamma=1.0, c=1.0, kappa=0.9)]
)
def test_hopf_point_of_continuation_is_rho_h(point: dict[str, float]) -> None:
    m = entrenchment_oscillating(**point)
    rh = rho_hopf(**point)
    x = interior(**point)
    br = ig.continuation(
        m,
        "rho",
        x0={"x": x, "theta": point["kappa"] * x},
        params={"rho": 2 * rh},
        p_range=(0.3 * rh, 3 * rh),
    )
    hopf = br.of_kind("hopf")
    assert len(hopf) == 1
    assert abs(hopf[0].p - rh) < 1e-7 * (1 + rh)
    # The frequency at the Hopf point is sqrt(det J) (the docstring's determinant).
    fprime = point["alpha"] * point["gamma"] * (1 - point["kappa"] * x) - point["kappa"] * (
        point["alpha"] * (point["b"] + point["gamma"] * x) + point["c"]
    )
    omega = np.sqrt(-rh * x * (1 - x) * fprime)
    assert np.isclose(np.max(np.abs(np.imag(hopf[0].eigenvalues))), omega, rtol=1e-6)


def test_default_hopf_is_supercritical_and_cycles_are_stable_with_the_linear_period() -> None:
    m = entrenchment_oscillating()
    rh = rho_hopf(1.0, 0.2, 1.0, 1.0, 0.9)
    x = interior(1.0, 0.2, 1.0, 1.0, 0.9)
    br = ig.continuation(
        m, "rho", x0={"x": x, "theta": 0.9 * x}, params={"rho": 0.3}, p_range=(0.05, 0.5)
    )
    hopf = br.of_kind("hopf")[0]
    assert hopf.criticality == "supercritical"
    cy = ig.cycles(m, "rho", start=hopf, p_range=(0.08, 0.5), max_steps=60)
    assert len(cy) > 10 and cy.p.max() <= rh + 1e-9
    assert bool(cy.stable.all())
    # Period at the birth: 2 pi / omega with omega^2 = det J at rho_H.
    fprime = (1 - 0.9 * x) - 0.9 * ((0.2 + x) + 1.0)
    T0 = 2 * np.pi / np.sqrt(-rh * x * (1 - x) * fprime)
    assert abs(cy.period[0] - T0) < 1e-2 * T0
    # Amplitude grows like sqrt(rho_H - rho) near the Hopf point (supercritical normal form).
    near = (rh - cy.p) < 0.01
    ratio = cy.amplitude[near] / np.sqrt(rh - cy.p[near])
    assert np.ptp(ratio[1:]) < 0.15 * ratio[1:].mean()


def test_simulation_at_the_default_settles_on_the_continued_cycle() -> None:
    # Independent numerics: a long simulation at rho = 0.1 and the collocation cycle there.
    m = entrenchment_oscillating()
    tr = ig.simulate(
        m, x0={"x": 0.3, "theta": 0.1}, t=(0, 1200), n_points=24001, rtol=1e-9, atol=1e-11
    )
    found = detect_cycle(tr)
    assert found is not None and found.loops == 1
    cy = ig.cycles(m, "rho", start=tr, p_range=(0.099, 0.101), max_steps=0)
    orbit = cy.orbit(0)
    assert orbit.stable
    assert abs(found.period - orbit.period) < 1e-3 * orbit.period
    # x spans most of [0, 1]: audits drive entrenchment almost out and let it back almost fully.
    assert orbit.x_min[0] < 0.05 and orbit.x_max[0] > 0.9


def test_no_recursive_feedback_no_cycle() -> None:
    # gamma = 0: rho_H = 0, the interior equilibrium is stable at every lag.
    m = entrenchment_oscillating(gamma=0.0)
    for rho in (0.01, 0.1, 1.0):
        found = ig.find_equilibria(m, params={"rho": rho})
        inner = [e for e in found if 1e-6 < e.x[0] < 1 - 1e-6]
        assert len(inner) == 1 and inner[0].stable


@pytest.mark.slow
def test_symbolic_threshold_in_rho_is_rho_h() -> None:
    # The symbolic engine (about 20 s): ig.threshold of the interior equilibrium in rho, and the
    # kind of its bifurcation, against the hand derivation at random points.
    m = entrenchment_oscillating()
    eqs = ig.equilibria(m)
    inner = [e for e in eqs if not e.point[m.symbol("x")].is_number]
    assert len(inner) == 1
    kinds = [b.kind for b in ig.bifurcations(m, inner[0])]
    assert "hopf" in kinds
    th = ig.threshold(m, inner[0], "rho")
    (value,) = th.values
    for p in random_points(8, seed=5):
        got = complex(value.subs({m.symbol(k): v for k, v in p.items()}).evalf())
        assert abs(got.imag) < 1e-9 and abs(got.real - rho_hopf(**p)) < 1e-9 * (1 + rho_hopf(**p))
