"""Numerical equilibria: roots against exact values, stability flags, periodic points, failures."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.compile import compile_model

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_canonical_entrenchment_equilibria_and_stability() -> None:
    m = ig.load_model(EXAMPLES / "entrenchment.toml")
    alpha, theta, b, gamma, c = 1.0, 0.3, 0.2, 1.0, 1.0
    eqs = ig.find_equilibria(m)
    x_star = (theta * c / (alpha * (1 - theta)) - b) / gamma
    assert [round(float(e.x[0]), 12) + 0.0 for e in eqs] == [0.0, round(x_star, 12), 1.0]
    # DESIGN.md: x = 0 stable iff alpha (1-theta) b < theta c; x = 1 iff alpha(1-theta)(b+gamma) > theta c.
    assert eqs[0].stable == (alpha * (1 - theta) * b < theta * c)
    assert eqs[2].stable == (alpha * (1 - theta) * (b + gamma) > theta * c)
    assert not eqs[1].stable
    for e in eqs:
        assert e.residual < 1e-12
        # The eigenvalue is f'(x), here computed independently by a central difference.
        f = compile_model(m).rhs
        p = compile_model(m).param_vector(m.defaults)  # type: ignore[arg-type]
        h = 1e-6
        slope = (f(e.x + h, p) - f(e.x - h, p))[0] / (2 * h)
        assert abs(e.eigenvalues[0].real - slope) < 1e-6


def test_lorenz_has_three_equilibria_with_the_textbook_stability() -> None:
    m = ig.Model.from_equations(
        {"x": "sigma*(y - x)", "y": "x*(r - z) - y", "z": "x*y - beta*z"},
        parameters={"sigma": 10.0, "r": 10.0, "beta": 8 / 3},
    )
    for r in (10.0, 28.0):
        eqs = ig.find_equilibria(
            m, params={"r": r}, bounds={"x": (-20, 20), "y": (-20, 20), "z": (-5, 40)}
        )
        s = math.sqrt(8 / 3 * (r - 1))
        xs = sorted(float(e.x[0]) for e in eqs)
        assert np.allclose(xs, [-s, 0.0, s], atol=1e-9)
        # The origin is a saddle for r > 1; C+- are stable below r_H = 470/19 and not above.
        for e in eqs:
            if abs(e.x[0]) < 1e-9:
                assert not e.stable
            else:
                assert e.stable == (r < 470 / 19)


def test_deflation_finds_every_root_from_few_starts() -> None:
    # Five roots of a quintic; with 2 Sobol starts Newton alone cannot find them all.
    m = ig.Model.from_equations({"x": "(x + 2)*(x + 1)*x*(x - 1)*(x - 2)"}, parameters={})
    eqs = ig.find_equilibria(m, bounds={"x": (-3, 3)}, n_starts=2, deflation_rounds=6)
    assert np.allclose(sorted(float(e.x[0]) for e in eqs), [-2, -1, 0, 1, 2], atol=1e-10)
    without = ig.find_equilibria(m, bounds={"x": (-3, 3)}, n_starts=2, deflation_rounds=0)
    assert len(without) < 5


def test_fixed_points_and_period_k_points_of_maps() -> None:
    m = ig.load_model(EXAMPLES / "logistic_map.toml")
    r = 3.2
    fixed = ig.find_equilibria(m, params={"r": r})
    assert np.allclose([e.x[0] for e in fixed], [0.0, 1 - 1 / r], atol=1e-12)
    # Multipliers f'(x) = r (1 - 2x): r at 0, 2 - r at 1 - 1/r; both unstable at r = 3.2.
    assert np.allclose([e.eigenvalues[0].real for e in fixed], [r, 2 - r])
    assert not any(e.stable for e in fixed)
    (two,) = ig.find_equilibria(m, params={"r": r}, period=2)
    # The 2-cycle: x = (r + 1 +- sqrt((r + 1)(r - 3))) / (2 r), multiplier 4 + 2r - r^2.
    expected = sorted((r + 1 + s * math.sqrt((r + 1) * (r - 3))) / (2 * r) for s in (-1, 1))
    assert np.allclose(sorted(two.orbit[:, 0]), expected, atol=1e-10)
    assert abs(two.eigenvalues[0].real - (4 + 2 * r - r * r)) < 1e-9
    assert two.stable and two.period == 2
    # At r = 3.5 the 2-cycle is unstable and a stable 4-cycle exists.
    (four,) = [e for e in ig.find_equilibria(m, params={"r": 3.5}, period=4) if e.stable]
    assert four.orbit.shape == (4, 1)
    f = compile_model(m).rhs
    pt = four.x
    for _ in range(4):
        pt = f(pt, np.array([3.5]))
    assert np.allclose(pt, four.x, atol=1e-10)


def test_brusselator_equilibrium_is_a_b_over_a() -> None:
    m = ig.load_model(EXAMPLES / "brusselator.toml")
    for a, b in ((1.0, 1.5), (2.0, 6.0)):
        (e,) = ig.find_equilibria(m, params={"a": a, "b": b})
        assert np.allclose(e.x, [a, b / a], atol=1e-10)
        assert e.stable == (b < 1 + a * a)


def test_failures() -> None:
    m = ig.Model.from_equations({"x": "x**2 + 1"}, parameters={})
    assert ig.find_equilibria(m) == []
    with pytest.raises(
        ig.ConvergenceError, match=r"Newton did not converge to any point.*tried 64 Sobol starts"
    ):
        ig.find_equilibria(m, raise_on_failure=True)
    fold = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": 0.0})
    with pytest.warns(RuntimeWarning, match=r"singular or ill-conditioned.*at the point \(x="):
        ig.find_equilibria(fold)
    k = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": 1.0})
    with pytest.raises(ig.ModelError, match=r"parameter `k` = nan is not a finite number"):
        ig.find_equilibria(k, params={"k": float("nan")})
    with pytest.raises(
        ig.ModelError, match=r"`bounds\['x'\]` = \(1.0, 0.0\) must be finite with lo < hi"
    ):
        ig.find_equilibria(k, bounds={"x": (1, 0)})
    with pytest.raises(ig.ModelError, match=r"`bounds` names `y`"):
        ig.find_equilibria(k, bounds={"y": (0, 1)})
    with pytest.raises(
        ig.ModelError, match=r"`period` = 2 asks for periodic points, which only maps have"
    ):
        ig.find_equilibria(k, period=2)


def coordination() -> ig.Model:
    # Replicator dynamics of the coordination game A = diag(1, 2, 3) on the simplex.
    phi = "(u**2 + 2*v**2 + 3*w**2)"
    return ig.Model.from_equations(
        {"u": f"u*(u - {phi})", "v": f"v*(2*v - {phi})", "w": f"w*(3*w - {phi})"},
        parameters={},
        simplex=True,
    )


def test_models_on_the_simplex_are_solved_on_the_simplex() -> None:
    eqs = ig.find_equilibria(coordination())
    # 3 vertices (stable: strict Nash), 3 edge points and the interior point (unstable).
    assert len(eqs) == 7
    for e in eqs:
        assert abs(e.x.sum() - 1) < 1e-12 and np.all(e.x > -1e-12)
        assert len(e.eigenvalues) == 2  # the dynamics on the simplex
        vertex = np.isclose(e.x.max(), 1.0)
        assert e.stable == vertex
    interior = [e for e in eqs if np.all(e.x > 1e-6)]
    # Interior point: u = 2 v = 3 w, i.e. (6, 3, 2) / 11.
    assert np.allclose(interior[0].x, np.array([6, 3, 2]) / 11, atol=1e-10)


def test_boundary_equilibrium_next_to_a_transcritical_point_is_found() -> None:
    # Just past theta_0 = b/(b + c) the interior point x* sits 1e-4 from x = 0: interior starts
    # all converge to x*, so the box corners must start Newton too (x = 0 is stable there).
    m = ig.Model.from_equations(
        {"x": "x*(1 - x)*((1 - theta)*(0.2 + x) - theta)"},
        parameters={"theta": {"default": 0.2 / 1.2 + 1e-4, "domain": [0, 1]}},
        states={"x": {"domain": [0, 1]}},
    )
    found = ig.find_equilibria(m)
    xs = sorted(round(float(e.x[0]), 6) for e in found)
    assert xs == [0.0, 0.000144, 1.0]
    assert [e.stable for e in sorted(found, key=lambda e: float(e.x[0]))] == [True, False, True]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"tol": float("nan")}, "`tol`"),
        ({"tol": -1.0}, "`tol`"),
        ({"tol": 0.0}, "`tol`"),
        ({"tol": 2.0}, "`tol`"),
        ({"max_iter": -1}, "`max_iter`"),
        ({"max_iter": 0}, "`max_iter`"),
        ({"max_iter": 2.5}, "`max_iter`"),
        ({"deflation_rounds": -1}, "`deflation_rounds`"),
        ({"n_starts": 0}, "`n_starts`"),
        ({"n_starts": True}, "`n_starts`"),
    ],
)
def test_invalid_options_are_refused_instead_of_finding_nothing(
    options: dict[str, object], named: str
) -> None:
    # Each of these used to return "no equilibria" (issue 11): x' = 1 - x has one, x = 1.
    m = ig.Model.from_equations({"x": "1 - x"}, parameters={})
    with pytest.raises(ig.ModelError, match=named):
        ig.find_equilibria(m, **options)  # type: ignore[arg-type]
    # The same call on the simplex reduction path is checked before the reduction too.
    s = ig.Model.from_equations({"x": "x*(1 - x)", "y": "-y*x"}, parameters={}, simplex=True)
    with pytest.raises(ig.ModelError, match=named):
        ig.find_equilibria(s, **options)  # type: ignore[arg-type]
    (e,) = ig.find_equilibria(m)
    assert e.x[0] == pytest.approx(1.0)
