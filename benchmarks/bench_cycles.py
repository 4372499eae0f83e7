"""Benchmark of the continuation of periodic orbits, as a ratio against repeated shooting.

Candidate: ``ig.cycles`` follows the Brusselator's cycles (a = 1) from b = 2.1 to b = 3.5,
orthogonal collocation (40 intervals, 4 points each), Floquet multipliers at every point, test
functions on, started from a computed orbit.

Baseline, at the same parameter values: single shooting, what a user would write with SciPy:
Newton on ``phi(T, x0) - x0 = 0`` with the phase condition ``f(x_ref) . (x0 - x_ref) = 0``
(the Poincare section through the previous orbit's point), the monodromy matrix from the
variational equations integrated with the orbit by ``solve_ivp`` (DOP853, rtol 1e-10,
atol 1e-12), warm-started from the previous parameter value; the monodromy's eigenvalues are the
multipliers. Accuracy: both agree on every period to 1e-7 (checked outside the timings).

Recorded: time per continued cycle point of each, and their ratio.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

import incentive_geometry as ig

A = 1.0


def brusselator() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
        parameters={"a": A, "b": 2.1},
        name="brusselator",
    )


def f(x: np.ndarray, b: float) -> np.ndarray:
    return np.array([A - (b + 1) * x[0] + x[0] ** 2 * x[1], b * x[0] - x[0] ** 2 * x[1]])


def jac(x: np.ndarray, b: float) -> np.ndarray:
    return np.array([[-(b + 1) + 2 * x[0] * x[1], x[0] ** 2], [b - 2 * x[0] * x[1], -(x[0] ** 2)]])


def flow(x0: np.ndarray, T: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        x, Phi = y[:2], y[2:].reshape(2, 2)
        return np.concatenate([f(x, b), (jac(x, b) @ Phi).ravel()])

    sol = solve_ivp(
        rhs,
        (0, T),
        np.concatenate([x0, np.eye(2).ravel()]),
        method="DOP853",
        rtol=1e-10,
        atol=1e-12,
    )
    return sol.y[:2, -1], sol.y[2:, -1].reshape(2, 2)


def shooting_branch(x0: np.ndarray, T: float, bs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Periods and nontrivial multipliers by Newton-shooting at each b (warm start)."""
    periods, mults = [], []
    for b in bs:
        x_ref = x0.copy()
        n_ref = f(x_ref, b)
        for _ in range(30):
            end, M = flow(x0, T, b)
            G = np.concatenate([end - x0, [n_ref @ (x0 - x_ref)]])
            J = np.zeros((3, 3))
            J[:2, :2] = M - np.eye(2)
            J[:2, 2] = f(end, b)
            J[2, :2] = n_ref
            d = np.linalg.solve(J, -G)
            x0, T = x0 + d[:2], T + d[2]
            if np.max(np.abs(d)) < 1e-11:
                break
        _, M = flow(x0, T, b)
        mu = np.linalg.eigvals(M)
        periods.append(T)
        mults.append(mu[np.argmax(np.abs(mu - 1))])
    return np.array(periods), np.array(mults)


def test_cycle_continuation_vs_repeated_shooting(
    ratio: Callable[..., float], benchmark: Any
) -> None:
    m = brusselator()
    tr = ig.simulate(m, x0=[1.0, 2.0], t=(0, 200), n_points=8001, rtol=1e-10, atol=1e-12)
    start = ig.cycles(m, "b", start=tr, max_steps=0).orbit(0)

    def candidate() -> ig.CycleBranch:
        cy = ig.cycles(m, "b", start=start, p_range=(2.1, 3.5), direction="forward")
        assert cy.success
        return cy

    cy = candidate()
    bs = cy.p

    def baseline() -> tuple[np.ndarray, np.ndarray]:
        return shooting_branch(start.x[0].copy(), start.period, bs)

    periods, mults = baseline()
    err = float(np.max(np.abs(periods - cy.period)))
    assert err < 1e-7, err
    mu_err = float(np.max(np.abs(mults.real - cy.multipliers[:, 1].real)))
    per_point = ratio(candidate, baseline, name="repeated shooting (solve_ivp)", repeat=1, rounds=3)
    n = len(bs)
    benchmark.extra_info["points"] = n
    benchmark.extra_info["max_period_difference"] = err
    benchmark.extra_info["max_multiplier_difference"] = mu_err
    t_cand = benchmark.stats.stats.min / n
    print(
        f"cycles: {n} points, {1e3 * t_cand:.2f} ms per point; repeated shooting is {per_point:.1f}x "
        f"slower per point (periods agree to {err:.1e}, multipliers to {mu_err:.1e})"
    )
