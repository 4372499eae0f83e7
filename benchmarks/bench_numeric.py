"""Benchmarks of the numerical solvers; every figure is a ratio against a baseline of the same run.

Ensemble simulation
    10,000 trajectories of the Brusselator (2 states, a = 1, b = 1.5, t in [0, 10], random
    starts in [0.5, 2]^2) in one ``ig.simulate`` call, against a loop of 10,000 single
    ``scipy.integrate.solve_ivp`` calls with a hand-written NumPy right-hand side. Both use
    RK45 with rtol = 1e-6 and atol = 1e-9. Accuracy is matched by construction: the ensemble
    accepts a step only when *every* member's RMS error estimate is below 1 (scaled by the same
    rtol/atol), which is the acceptance test a single call applies, with a common step no longer
    than any member's own; the benchmark also checks that both give the same final states to
    1e-5. Target: at least 20x.

Continuation
    The Lorenz branch C+ for r in [0.5, 30] (Hopf at 470/19, pitchfork at 1), against solving
    the same equilibria by ``scipy.optimize.root`` (hybr, analytic Jacobian, warm start) at the
    same parameter values, which detects and locates nothing; recorded: points per second and
    the location errors of the Hopf and pitchfork points.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import root

import incentive_geometry as ig

N_TRAJ = 10_000


def brusselator() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
        parameters={"a": 1.0, "b": 1.5},
        name="brusselator",
    )


def starts() -> np.ndarray:
    return np.random.default_rng(0).uniform(0.5, 2.0, size=(N_TRAJ, 2))


def rhs(_t: float, y: np.ndarray) -> np.ndarray:
    x, v = y
    return np.array([1.0 - 2.5 * x + x * x * v, 1.5 * x - x * x * v])


def loop_of_single_calls(x0: np.ndarray) -> np.ndarray:
    out = np.empty_like(x0)
    for k in range(len(x0)):
        sol = solve_ivp(rhs, (0.0, 10.0), x0[k], method="RK45", rtol=1e-6, atol=1e-9)
        out[k] = sol.y[:, -1]
    return out


def test_ensemble_vs_loop_of_solve_ivp(ratio: Callable[..., float], benchmark: Any) -> None:
    m = brusselator()
    x0 = starts()

    def candidate() -> np.ndarray:
        tr = ig.simulate(m, x0=x0, t=(0.0, 10.0), n_points=2, method="RK45", rtol=1e-6, atol=1e-9)
        assert tr.success
        return np.asarray(tr.final)

    def baseline() -> np.ndarray:
        return loop_of_single_calls(x0)

    # Same answer first (outside the timings).
    diff = float(np.abs(candidate() - baseline()[:]).max())
    assert diff < 1e-5, diff
    speedup = ratio(candidate, baseline, name="loop of 10k solve_ivp", repeat=1, rounds=3)
    benchmark.extra_info["max_final_state_difference"] = diff
    benchmark.extra_info["trajectories"] = N_TRAJ
    print(f"ensemble of {N_TRAJ} vs loop of solve_ivp: {speedup:.1f}x (final states agree to {diff:.1e})")


def lorenz() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "sigma*(y - x)", "y": "x*(r - z) - y", "z": "x*y - beta*z"},
        parameters={"sigma": 10.0, "r": 10.0, "beta": 8 / 3},
        name="lorenz",
    )


def test_continuation_points_per_second(ratio: Callable[..., float], benchmark: Any) -> None:
    m = lorenz()
    s = math.sqrt(8 / 3 * 9)
    ref = ig.continuation(m, "r", x0=[s, s, 9.0], params={"r": 10.0}, p_range=(0.5, 30.0))
    r_values = ref.p.copy()
    hopf_err = max(abs(b.p - 470 / 19) for b in ref.of_kind("hopf"))
    pf_err = max(abs(b.p - 1.0) for b in ref.of_kind("pitchfork"))
    n_points = len(ref.p)

    def candidate() -> Any:
        return ig.continuation(m, "r", x0=[s, s, 9.0], params={"r": 10.0}, p_range=(0.5, 30.0))

    def baseline() -> np.ndarray:
        # Natural-parameter solves at the same r values, warm started, with the analytic
        # Jacobian: the work of computing the points, without detection or location.
        sigma, beta = 10.0, 8 / 3
        x = np.array([s, s, 9.0])
        out = np.empty((len(r_values), 3))
        for k, r in enumerate(r_values):
            def F(v: np.ndarray, r: float = float(r)) -> np.ndarray:
                return np.array([sigma * (v[1] - v[0]), v[0] * (r - v[2]) - v[1],
                                 v[0] * v[1] - beta * v[2]])

            def J(v: np.ndarray, r: float = float(r)) -> np.ndarray:
                return np.array([[-sigma, sigma, 0.0], [r - v[2], -1.0, -v[0]],
                                 [v[1], v[0], -beta]])

            x = root(F, x, jac=J, method="hybr").x
            out[k] = x
            np.linalg.eigvals(J(x))
        return out

    speedup = ratio(candidate, baseline, name="root at the same points", repeat=3, rounds=5)
    seconds = benchmark.stats.stats.min
    benchmark.extra_info["points"] = n_points
    benchmark.extra_info["points_per_second"] = n_points / seconds
    benchmark.extra_info["hopf_location_error"] = hopf_err
    benchmark.extra_info["pitchfork_location_error"] = pf_err
    print(f"continuation: {n_points / seconds:.0f} points/s, ratio to plain root solves "
          f"{speedup:.2f}, Hopf error {hopf_err:.1e}, pitchfork error {pf_err:.1e}")
    assert hopf_err < 1e-10 and pf_err < 1e-10
