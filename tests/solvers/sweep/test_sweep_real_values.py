"""Sweeps count only real equilibria (issue 10, "real means real").

A closed form from the symbolic engine is checked at every point: it counts only where it is
finite, real and a root of the right-hand side. The references here are independent of the
engine and of the sweep: ``numpy.roots`` of the cubic, the real cube root, the quadratic formula
and hand-written Jacobians. Some tests feed the sweep closed forms that are deliberately complex,
undefined or wrong (Cardano's formulas from ``sympy.solve``, a false root), so that they test the
sweep's checks whatever the engine returns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy

import incentive_geometry as ig
from incentive_geometry.solvers.numeric import sweep as sweep_module

METHODS = ["closed_form", "numeric"]


def run(model: ig.Model, points: dict[str, np.ndarray], method: str, **kw: Any) -> Any:
    """The sweep by `method`; the closed-form run is skipped when the engine offers none."""
    if method == "closed_form" and not ig.equilibria(model, timeout=60).complete:
        pytest.skip("the symbolic engine finds no complete set of closed forms for this model")
    return ig.sweep(model, points, method=method, executor="serial", **kw)


# --------------------------------------------------------------------------------------------
# The cusp r*x - x**3 + h


R_AXIS = np.linspace(-1.0, 1.0, 41)
H_AXIS = np.linspace(-1.0, 1.0, 41)


def cusp() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "r*x - x**3 + h"}, parameters={"r": 0.0, "h": 0.0}, name="cusp"
    )


def stable_count_by_numpy_roots(r: float, h: float) -> int:
    """Stable equilibria of x' = r x - x^3 + h: the real roots of -x^3 + r x + h (numpy.roots,
    companion-matrix eigenvalues) where f'(x) = r - 3 x^2 < 0. Roots closer than 1e-6 are one
    multiple root, where f' = 0: never stable. The grid meets the fold 4 r^3 = 27 h^2 exactly at
    (r, h) = (0.75, +-0.25), with a double root at x = -+0.5 and the simple one at +-1."""
    z = np.roots([-1.0, 0.0, r, h])
    xs = np.sort(z[np.abs(z.imag) <= 1e-6].real)
    count = 0
    for k, x in enumerate(xs):
        multiple = (k > 0 and xs[k] - xs[k - 1] < 1e-6) or (
            k + 1 < len(xs) and xs[k + 1] - xs[k] < 1e-6
        )
        if not multiple and r - 3 * x * x < 0:
            count += 1
    return count


def cusp_reference() -> np.ndarray:
    Rg, Hg = np.meshgrid(R_AXIS, H_AXIS, indexing="ij")
    return np.array(
        [stable_count_by_numpy_roots(r, h) for r, h in zip(Rg.ravel(), Hg.ravel(), strict=True)]
    )


def assert_counts_match(sm: Any, expected: np.ndarray) -> None:
    got = sm.stable.sum(axis=1)
    wrong = np.nonzero(got != expected)[0]
    assert wrong.size == 0, (
        f"{wrong.size} of {got.size} points wrong, e.g. (r, h, got, expected) = "
        f"{[(*sm.values[i], got[i], expected[i]) for i in wrong[:5]]}"
    )


@pytest.mark.parametrize("method", METHODS)
def test_cusp_stable_counts_agree_with_numpy_roots_at_every_point(method: str) -> None:
    sm = run(cusp(), {"r": R_AXIS, "h": H_AXIS}, method, bounds={"x": (-2.0, 2.0)})
    expected = cusp_reference()
    # The reference has both regions: one stable state (outside the cusp) and two (inside).
    assert set(expected.tolist()) == {0, 1, 2}
    assert_counts_match(sm, expected)
    # Every reported equilibrium is a real root of the cubic.
    r, h = sm.values[:, 0, None], sm.values[:, 1, None]
    x = sm.x[..., 0]
    residual = np.where(sm.exists, r * x - x**3 + h, 0.0)
    assert np.max(np.abs(residual)) < 1e-9


def cardano_forms(model: ig.Model) -> Any:
    """Closed forms made without the engine: sympy.solve's Cardano roots of the cubic, which
    contain I, are complex for two of the three roots wherever 4 r^3 < 27 h^2, and divide 0 by 0
    at r = 0 (for every h of one sign), all claimed to exist everywhere."""
    (x,) = model.states
    roots = sympy.solve(model.rhs[0], x)
    assert len(roots) == 3 and any(rt.has(sympy.I) for rt in roots)
    points = [(rt,) for rt in roots]
    return points, [sympy.true] * 3, ["C0", "C1", "C2"], True, ""


def test_cusp_with_cardano_closed_forms_counts_only_real_roots(monkeypatch: Any) -> None:
    """Whatever the engine returns: with Cardano's formulas (complex roots, 0/0 at r = 0) the
    sweep still counts exactly the stable real roots (the issue found 1,680 of 1,681 points wrong
    when complex values were cast to their real parts and cube roots of negatives were NaN)."""
    model = cusp()
    forms = cardano_forms(model)
    monkeypatch.setattr(sweep_module, "closed_form_equilibria", lambda m, timeout: forms)
    with pytest.warns(RuntimeWarning, match="does not solve the equations") as caught:
        sm = ig.sweep(model, {"r": R_AXIS, "h": H_AXIS}, method="closed_form", executor="serial")
    assert sm.method == "closed_form"
    assert_counts_match(sm, cusp_reference())
    # Complex values were refused (never their real parts), and said so in the notes.
    assert any("complex at" in note for note in sm.notes)
    # Near r = 0 Cardano's formulas are undefined or lose every digit: the roots there come
    # from Newton started at them, checked, and the notes say at how many points.
    assert any("undefined or inaccurate" in note for note in sm.notes)
    assert len(caught) >= 1


def test_cusp_closed_form_and_numeric_counts_agree() -> None:
    model = cusp()
    closed = run(model, {"r": R_AXIS, "h": H_AXIS}, "closed_form")
    numeric = run(model, {"r": R_AXIS, "h": H_AXIS}, "numeric", bounds={"x": (-2.0, 2.0)})
    assert np.array_equal(closed.stable.sum(axis=1), numeric.stable.sum(axis=1))
    assert np.array_equal(closed.exists.sum(axis=1), numeric.exists.sum(axis=1))


# --------------------------------------------------------------------------------------------
# x' = a - x**3: one real equilibrium, the real cube root

A_AXIS = np.linspace(-2.0, 2.0, 41)


def cube() -> ig.Model:
    return ig.Model.from_equations({"x": "a - x**3"}, parameters={"a": 1.0}, name="cube")


def check_one_real_cube_root(sm: Any) -> None:
    assert np.all(sm.exists.sum(axis=1) == 1), sm.exists.sum(axis=1)
    x = np.nanmax(sm.x[..., 0], axis=1)
    assert np.max(np.abs(x - np.cbrt(A_AXIS))) < 1e-12
    # f'(x) = -3 x^2 < 0 except at a = 0, where x = 0 is not hyperbolic (eigenvalue 0).
    stable = sm.stable.any(axis=1)
    assert np.all(stable[A_AXIS != 0.0])
    assert not stable[A_AXIS == 0.0].any()


@pytest.mark.parametrize("method", METHODS)
def test_cube_root_of_a_negative_number_is_the_real_root(method: str) -> None:
    sm = run(cube(), {"a": A_AXIS}, method, bounds={"x": (-3.0, 3.0)})
    check_one_real_cube_root(sm)


def test_principal_cube_roots_and_a_false_root_are_refused(monkeypatch: Any) -> None:
    """Closed forms fed directly: the principal cube root (complex for a < 0), its mirror
    -(-a)**(1/3) (complex for a > 0) and a false root x = a (a root only at a = -1, 0, 1), all
    claimed to exist. The sweep keeps the real root only, and says how many points the false
    root failed."""
    model = cube()
    (a,) = model.parameter_symbols
    forms = (
        [(a,), (a ** sympy.Rational(1, 3),), (-((-a) ** sympy.Rational(1, 3)),)],
        [sympy.true] * 3,
        ["false", "principal", "mirror"],
        True,
        "",
    )
    monkeypatch.setattr(sweep_module, "closed_form_equilibria", lambda m, timeout: forms)
    with pytest.warns(RuntimeWarning, match=r"`false` does not solve .* at 38 of 41 points"):
        sm = ig.sweep(model, {"a": A_AXIS}, method="closed_form", executor="serial")
    check_one_real_cube_root(sm)
    notes = " | ".join(sm.notes)
    assert (
        "`principal`: where the symbolic engine says it exists, it is complex at 20 of 41" in notes
    )
    assert "`mirror`: where the symbolic engine says it exists, it is complex at 20 of 41" in notes


# --------------------------------------------------------------------------------------------
# A closed form at a pole of the right-hand side

C_AXIS = np.linspace(0.5, 2.0, 7)


def pole_model() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "c - x - x*y/(x + 2)", "y": "c - y - x*y/(x + 2)"},
        parameters={"c": 1.0},
        name="pole",
    )


def pole_reference(c: float) -> tuple[np.ndarray, int]:
    """Equilibria by hand: f1 - f2 = y - x, so x = y, and (c - x)(x + 2) = x^2, i.e.
    2 x^2 + (2 - c) x - 2 c = 0 (two real roots for c > 0, neither at the pole x = -2). Stable
    ones by the eigenvalues of the Jacobian written out by hand."""
    xs = np.sort(np.roots([2.0, 2.0 - c, -2.0 * c]).real)
    stable = 0
    for x in xs:
        y, d = x, x + 2.0
        J = np.array([[-1 - 2 * y / d**2, -x / d], [-2 * y / d**2, -1 - x / d]])
        stable += int(np.max(np.linalg.eigvals(J).real) < 0)
    return xs, stable


@pytest.mark.parametrize("method", METHODS)
def test_a_pole_is_never_reported(method: str) -> None:
    sm = run(pole_model(), {"c": C_AXIS}, method, bounds={"x": (-4.0, 4.0), "y": (-4.0, 4.0)})
    for p, c in enumerate(C_AXIS):
        xs, stable = pole_reference(c)
        found = sm.x[p][sm.exists[p]]
        assert found.shape == (2, 2), (c, found)
        assert np.allclose(np.sort(found[:, 0]), xs, atol=1e-10)
        assert np.allclose(found[:, 0], found[:, 1], atol=1e-10)
        assert np.all(np.abs(found[:, 0] + 2.0) > 1e-3)
        assert sm.stable[p].sum() == stable


def test_a_closed_form_at_the_pole_is_refused_and_reported(monkeypatch: Any) -> None:
    """The issue's engine returned (-2, 0) with exists=True; fed that, the sweep does not count
    it (the right-hand side is 0/0 there) and warns at how many points."""
    model = pole_model()
    (c,) = model.parameter_symbols
    root = ((c - 2) + sympy.sqrt((2 - c) ** 2 + 16 * c)) / 4
    forms = (
        [(sympy.Integer(-2), sympy.Integer(0)), (root, root)],
        [sympy.true] * 2,
        ["pole", "root"],
        True,
        "",
    )
    monkeypatch.setattr(sweep_module, "closed_form_equilibria", lambda m, timeout: forms)
    with pytest.warns(RuntimeWarning, match=r"`pole` does not solve .* at 7 of 7 points"):
        sm = ig.sweep(model, {"c": C_AXIS}, method="closed_form", executor="serial")
    assert not sm.exists[:, 0].any()
    assert sm.exists[:, 1].all()
    assert any("right-hand side is undefined (a pole) at 7 of 7" in note for note in sm.notes)


# --------------------------------------------------------------------------------------------
# More equilibria than slots (issue 16): a line of equilibria must not cut off a stable one


def test_a_line_of_equilibria_marks_the_point_incomplete_instead_of_losing_a_stable_vertex(
    monkeypatch: Any,
) -> None:
    # Three routines on the simplex, payoffs s = (0, -c, -c) at theta = 1 (the costs tie): every
    # point of the edge w_1 = 0 is an equilibrium, and the vertex e_1 is stable with transverse
    # eigenvalues s_j(e_1) - s_1(e_1) = -1 (Hofbauer & Sigmund 1998, replicator at a vertex).
    # Newton from 24+ starts finds many points of the line; 8 slots hold only some of them.
    from incentive_geometry.theory import entrenchment_n

    got: list[dict[str, np.ndarray]] = []
    real = sweep_module.evaluate_chunk

    def capture(*args: Any, **kw: Any) -> dict[str, np.ndarray]:
        out = real(*args, **kw)
        got.append(out)
        return out

    monkeypatch.setattr(sweep_module, "evaluate_chunk", capture)
    m = entrenchment_n(3, b=[0, 0.2, 0.2], gamma=[0, 1, 1], c=[0, 1, 1])
    points = {"theta": np.array([0.5, 1.0]), "alpha": np.array([0.5, 2.0])}
    sm = ig.sweep(m, points, method="numeric", executor="serial", cycles=False)
    incomplete = np.concatenate([g["incomplete"] for g in got]).reshape(sm.shape)
    # theta = 0.5: isolated equilibria only (complete); theta = 1: the line overflows 8 slots.
    assert incomplete.tolist() == [[False, False], [True, True]]
    # Such points are never classed from the roots kept (they were "none stable" before).
    assert not any(str(c).startswith("none stable") for c in sm.classes[1])
    # With room for every root Newton finds, the same points are complete and e_1 is the stable
    # one, as the vertex condition says.
    got.clear()
    wide = ig.sweep(
        m, points, method="numeric", executor="serial", cycles=False, max_equilibria=128
    )
    assert not np.concatenate([g["incomplete"] for g in got]).any()
    assert wide.classes[1].tolist() == ["w_1=1, w_2=0 only"] * 2
