"""Routh-Hurwitz (Lienard-Chipart), Schur-Cohn and the Lyapunov coefficient against numerics."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from incentive_geometry.solvers.symbolic.hurwitz import (
    hurwitz_conditions,
    hurwitz_determinants,
    moebius_transform,
    schur_cohn_conditions,
)
from incentive_geometry.solvers.symbolic.lyapunov import first_lyapunov_coefficient


def _holds(conds: list[sympy.Basic], subs: dict[sympy.Symbol, float]) -> bool:
    return all(bool(c.subs(subs)) for c in conds)


@pytest.mark.parametrize("degree", [2, 3, 4, 5])
def test_hurwitz_matches_numpy_roots(degree: int) -> None:
    a = sympy.symbols(f"a1:{degree + 1}")
    conds = hurwitz_conditions([1, *a])
    rng = np.random.default_rng(degree)
    checked = stable = 0
    for _ in range(300):
        # Coefficients of a polynomial with random real roots and complex pairs.
        pairs = degree // 2
        re = rng.uniform(-2.0, 0.6, size=pairs + degree % 2)
        im = rng.uniform(0.0, 2.0, size=pairs)
        chosen = [complex(r, i) for r, i in zip(re, im, strict=False)]
        chosen = chosen + [z.conjugate() for z in chosen] + list(re[pairs:])
        values = np.real(np.poly(chosen))[1:]
        roots = np.roots([1.0, *values])
        margin = np.max(roots.real)
        if abs(margin) < 1e-6:
            continue
        checked += 1
        stable += margin < 0
        assert _holds(conds, dict(zip(a, values, strict=True))) == (margin < 0), values
    assert checked > 250 and 10 < stable < checked


# degree 4 takes ~22 s of one CPU: slow; degrees 1-3 check the same rule.
@pytest.mark.parametrize("degree", [1, 2, 3, pytest.param(4, marks=pytest.mark.slow)])
def test_schur_cohn_matches_numpy_roots(degree: int) -> None:
    a = sympy.symbols(f"a1:{degree + 1}")
    conds = schur_cohn_conditions([1, *a])
    rng = np.random.default_rng(10 + degree)
    checked = stable = 0
    for _ in range(300):
        values = rng.uniform(-1.2, 1.2, size=degree)
        roots = np.roots([1.0, *values])
        margin = np.max(np.abs(roots)) - 1
        if abs(margin) < 1e-6:
            continue
        checked += 1
        stable += margin < 0
        assert _holds(conds, dict(zip(a, values, strict=True))) == (margin < 0), values
    assert checked > 250 and 10 < stable < checked


def test_hurwitz_determinants_and_moebius() -> None:
    a1, a2, a3 = sympy.symbols("a1 a2 a3")
    assert hurwitz_determinants([1, a1, a2, a3])[1] == a1 * a2 - a3
    # z^2 - 1 (roots +-1): (1 + w)^2 - (1 - w)^2 = 4 w, the root -1 gone to infinity.
    assert moebius_transform([1, 0, -1]) == [4, 0]
    with pytest.raises(ValueError, match="positive"):
        hurwitz_conditions([-1, a1])


def test_lyapunov_coefficient_of_the_normal_form() -> None:
    x, y = sympy.symbols("x y", real=True)
    s = sympy.Symbol("s", real=True)
    w = sympy.Symbol("w", positive=True)
    f = [-w * y + s * x * (x**2 + y**2), w * x + s * y * (x**2 + y**2)]
    # <q, q> = 1 normalization: l1 = 2 s / omega.
    assert sympy.simplify(first_lyapunov_coefficient(f, (x, y), {x: 0, y: 0}) - 2 * s / w) == 0
    # Quadratic terms matter: a numeric cross-check against the Guckenheimer-Holmes formula
    # a = (f_xxx + f_xyy + g_xxy + g_yyy)/16 + (f_xy (f_xx + f_yy) - g_xy (g_xx + g_yy)
    #      - f_xx g_xx + f_yy g_yy) / (16 omega), with l1 = 2 a / omega.
    fq = [-2 * y + x**2 - x * y + 3 * y**2 - x**3, 2 * x + 2 * x * y - y**2 + x * y**2]
    fx, fy = fq[0] + 2 * y, fq[1] - 2 * x

    def d(e: sympy.Expr, *v: sympy.Symbol) -> sympy.Expr:
        return sympy.diff(e, *v).subs({x: 0, y: 0})

    omega = 2
    a = (d(fx, x, x, x) + d(fx, x, y, y) + d(fy, x, x, y) + d(fy, y, y, y)) / 16 + (
        d(fx, x, y) * (d(fx, x, x) + d(fx, y, y))
        - d(fy, x, y) * (d(fy, x, x) + d(fy, y, y))
        - d(fx, x, x) * d(fy, x, x)
        + d(fx, y, y) * d(fy, y, y)
    ) / (16 * omega)
    l1 = first_lyapunov_coefficient(fq, (x, y), {x: 0, y: 0})
    assert sympy.simplify(l1 - 2 * a / omega) == 0
