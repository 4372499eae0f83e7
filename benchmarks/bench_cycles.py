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


def test_one_orbit_vs_solve_bvp(ratio: Callable[..., float], benchmark: Any) -> None:
    """One periodic orbit of van der Pol (mu = 5) from the same guess: our collocation (80
    intervals, adapted) against ``scipy.integrate.solve_bvp`` (period as unknown parameter,
    phase condition y(0) = 0, tol 1e-8); errors against a 400-interval reference."""
    from scipy.integrate import solve_bvp

    mu = 5.0
    m = ig.Model.from_equations({"x": "y", "y": "mu*(1 - x**2)*y - x"}, parameters={"mu": mu})
    tr = ig.simulate(m, x0=[2.0, 0.0], t=(0, 100), n_points=10001, rtol=1e-10, atol=1e-12)
    found = ig.detect_cycle(tr)
    assert found is not None
    guess_tr = ig.simulate(m, x0=found.x0, t=(0, found.period), n_points=400, rtol=1e-6)
    guess = {"t": guess_tr.t, "x": guess_tr.x}
    reference = ig.cycles(m, "mu", start=guess, max_steps=0, intervals=400).orbit(0).period

    def candidate() -> float:
        return ig.cycles(m, "mu", start=guess, max_steps=0, intervals=80).orbit(0).period

    def baseline() -> float:
        T0 = guess_tr.t[-1]
        tau = guess_tr.t / T0
        # Phase: start where y = 0 (x at its maximum): shift the guess there.
        k = int(np.argmax(guess_tr.x[:, 0]))
        y0 = np.roll(guess_tr.x[:-1], -k, axis=0)
        y0 = np.vstack([y0, y0[:1]]).T

        def fun(s: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
            return p[0] * np.vstack([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])

        def bc(ya: np.ndarray, yb: np.ndarray, p: np.ndarray) -> np.ndarray:
            return np.array([ya[0] - yb[0], ya[1] - yb[1], ya[1]])

        sol = solve_bvp(fun, bc, tau, y0, p=[T0], tol=1e-8, max_nodes=100_000)
        assert sol.success, sol.message
        return float(sol.p[0])

    err_c, err_b = abs(candidate() - reference), abs(baseline() - reference)
    speed = ratio(candidate, baseline, name="scipy solve_bvp", repeat=1, rounds=3)
    benchmark.extra_info["period_error_collocation"] = err_c
    benchmark.extra_info["period_error_solve_bvp"] = err_b
    print(
        f"one van der Pol orbit (mu = 5): collocation {speed:.1f}x faster than solve_bvp; "
        f"period errors {err_c:.1e} (collocation) and {err_b:.1e} (solve_bvp)"
    )
