"""Vectorized Routh-Hurwitz decisions (issue 18) against eigenvalues and textbook conditions, and
the rule that lets a sweep skip the per-point checks of an exact closed form."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.hurwitz import (
    charpoly_coefficients,
    hurwitz_codes,
    hurwitz_stability_codes,
)
from incentive_geometry.solvers.numeric.stability import NEUTRAL, STABLE, UNSTABLE, stability_codes
from incentive_geometry.solvers.numeric.sweep_plan import exact_by_construction


def random_jacobians(n: int, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((count, n, n)) - rng.uniform(0, 2.5, (count, 1, 1)) * np.eye(n)
    return J * rng.choice([1e-3, 1.0, 1e3], (count, 1, 1))


@pytest.mark.parametrize("n", [3, 5])
def test_charpoly_coefficients_match_numpy_poly(n: int) -> None:
    J = random_jacobians(n, 200, n)
    got = charpoly_coefficients(J)
    want = np.array([np.poly(j)[1:] for j in J])  # numpy: from the eigenvalues
    scale = np.abs(J).sum(-1).max(-1)[:, None] ** np.arange(1, n + 1)
    np.testing.assert_allclose(got / scale, want / scale, rtol=0, atol=1e-10)


@pytest.mark.parametrize("n", [3, 5])
def test_hurwitz_codes_are_the_eigenvalue_codes_at_random_points(n: int) -> None:
    J = random_jacobians(n, 20_000, 10 + n)
    want = stability_codes("continuous", np.linalg.eigvals(J))
    codes, delicate = hurwitz_stability_codes(J)
    np.testing.assert_array_equal(codes, want)
    # Away from the boundary Routh's table decides alone (and agrees, as checked above).
    first, _ = hurwitz_codes(charpoly_coefficients(J), J=J)
    np.testing.assert_array_equal(first[~delicate], want[~delicate])
    assert delicate.mean() < 0.05
    assert {STABLE, UNSTABLE} <= set(np.unique(want).tolist())


def test_an_eigenvalue_on_the_imaginary_axis_goes_to_eigenvalues_and_is_neutral() -> None:
    # Spectra {d +- 2i, -1, -3, -0.5} with d = +-1e-10: neutral by the eigenvalue route's band;
    # Routh's Delta_4 is of relative size 1e-10 there, so the point is delicate.
    rng = np.random.default_rng(3)
    out = []
    for d in (1e-10, -1e-10, 0.0):
        S = rng.standard_normal((5, 5))
        D = np.zeros((5, 5))
        D[0, 0], D[0, 1], D[1, 0], D[1, 1] = d, 2.0, -2.0, d
        D[2, 2], D[3, 3], D[4, 4] = -1.0, -3.0, -0.5
        out.append(S @ D @ np.linalg.inv(S))
    codes, delicate = hurwitz_stability_codes(np.array(out))
    assert delicate.all()
    assert codes.tolist() == [NEUTRAL] * 3


def test_third_degree_matches_the_textbook_condition() -> None:
    # Gantmacher 1959, ch. XV: l^3 + a1 l^2 + a2 l + a3 is stable iff a1 > 0, a3 > 0, a1 a2 > a3.
    rng = np.random.default_rng(5)
    a = rng.uniform(-2, 2, (50_000, 3))
    a1, a2, a3 = a.T
    margin = np.minimum(np.minimum(np.abs(a1), np.abs(a3)), np.abs(a1 * a2 - a3))
    away = margin > 1e-3
    codes, delicate = hurwitz_codes(a)
    assert not delicate[away].any()
    want = np.where((a1 > 0) & (a3 > 0) & (a1 * a2 > a3), STABLE, UNSTABLE)
    np.testing.assert_array_equal(codes[away], want[away])


def test_lorenz_c_plus_is_stable_below_the_subcritical_hopf_value() -> None:
    # The nontrivial equilibria of the Lorenz system are stable iff
    # 1 < rho < rho_H = sigma (sigma + beta + 3) / (sigma - beta - 1) (sigma > beta + 1);
    # Sparrow, The Lorenz Equations, 1982; Strogatz, Nonlinear Dynamics and Chaos, sec. 9.2.
    beta = 8 / 3
    sigma, rho = np.meshgrid(np.linspace(4, 20, 120), np.linspace(1.5, 60, 150), indexing="ij")
    sigma, rho = sigma.ravel(), rho.ravel()
    x = np.sqrt(beta * (rho - 1))
    J = np.zeros((sigma.size, 3, 3))
    J[:, 0, 0], J[:, 0, 1] = -sigma, sigma
    J[:, 1, 0], J[:, 1, 1], J[:, 1, 2] = 1.0, -1.0, -x
    J[:, 2, 0], J[:, 2, 1], J[:, 2, 2] = x, x, -beta
    rho_h = sigma * (sigma + beta + 3) / (sigma - beta - 1)
    away = np.abs(rho - rho_h) > 1e-3 * rho_h
    codes, _ = hurwitz_stability_codes(J)
    want = np.where(rho < rho_h, STABLE, UNSTABLE)
    np.testing.assert_array_equal(codes[away], want[away])


def test_exact_by_construction_accepts_monomials_that_solve_a_polynomial_flow_only() -> None:
    bru = ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"}, parameters={"a": 1.0, "b": 2.0}
    )
    a, b = bru.parameter_symbols
    assert exact_by_construction(bru, (a, b / a))
    assert not exact_by_construction(bru, (a, b))  # a monomial that is no root
    cusp = ig.Model.from_equations({"x": "r*x - x**3 + h"}, parameters={"r": 1.0, "h": 0.0})
    r, h = cusp.parameter_symbols
    cardano = sympy.solve(r * cusp.states[0] - cusp.states[0] ** 3 + h, cusp.states[0])
    assert not any(exact_by_construction(cusp, (root,)) for root in cardano)  # radicals
    log = ig.Model.from_equations({"x": "log(x) - a"}, parameters={"a": 1.0})
    assert not exact_by_construction(log, (sympy.exp(log.parameter_symbols[0]),))


@pytest.mark.parametrize("n", [3, 5])
def test_compiled_charpoly_matches_the_numpy_recursion(
    monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    pytest.importorskip("numba")
    from incentive_geometry.solvers.numeric import hurwitz

    J = random_jacobians(n, 500, 20 + n)
    monkeypatch.setattr(hurwitz, "COMPILED_MIN", 10**12)
    want = charpoly_coefficients(J)
    monkeypatch.setattr(hurwitz, "COMPILED_MIN", 1)
    got = charpoly_coefficients(J)
    scale = np.abs(J).sum(-1).max(-1)[:, None] ** np.arange(1, n + 1)
    np.testing.assert_allclose(got / scale, want / scale, rtol=0, atol=1e-13)
