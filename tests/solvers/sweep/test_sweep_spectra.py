"""Closed-form 2x2 spectra of the sweep against LAPACK and against the Brusselator's Hopf line."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.stability import stability_codes
from incentive_geometry.solvers.numeric.sweep_chunk import spectra


def test_spectra_agree_with_eigvals_and_decide_stability_the_same() -> None:
    rng = np.random.default_rng(1)
    J = rng.standard_normal((20_000, 2, 2)) * rng.uniform(1e-3, 1e3, (20_000, 1, 1))
    # Double roots and a stiff diagonal, where the quadratic formula is delicate.
    J[:50] = np.array([[1.0, 1.0], [0.0, 1.0]]) * rng.uniform(-2, 2, (50, 1, 1))
    J[50:100] = np.diag([-1e8, -1e-7])
    ours, lapack = spectra(J), np.linalg.eigvals(J)
    a, b = np.sort_complex(ours), np.sort_complex(lapack)
    scale = 1.0 + np.abs(lapack).max(-1, keepdims=True)
    assert np.max(np.abs(a - b) / scale) < 1e-10
    # The small root of the stiff Jacobian keeps its digits (no cancellation).
    np.testing.assert_allclose(np.sort(ours[50:100].real, axis=1)[:, 1], -1e-7, rtol=1e-12)
    same = stability_codes("continuous", ours) == stability_codes("continuous", lapack)
    assert same.all()
    assert (stability_codes("discrete", ours) == stability_codes("discrete", lapack)).all()


def test_brusselator_map_is_stable_exactly_below_the_hopf_line() -> None:
    # Equilibrium (a, b/a) is stable iff b < 1 + a**2 (tr = b - 1 - a**2, det = a**2 > 0).
    m = ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"}, parameters={"a": 1.0, "b": 1.0}
    )
    axes = {"a": np.linspace(0.5, 2.0, 61), "b": np.linspace(0.1, 5.0, 67)}
    sm = ig.sweep(m, axes, executor="serial", cycles=False)
    A, B = np.meshgrid(axes["a"], axes["b"], indexing="ij")
    expected = (B < 1 + A**2).ravel()
    away = np.abs(B - 1 - A**2).ravel() > 1e-9
    assert np.array_equal(sm.stable.any(axis=1)[away], expected[away])
    # And the stored eigenvalues are those of LAPACK at the same Jacobians.
    x, y = A.ravel(), (B / A).ravel()
    J = np.empty((x.size, 2, 2))
    J[:, 0, 0], J[:, 0, 1] = -(B.ravel() + 1) + 2 * x * y, x * x
    J[:, 1, 0], J[:, 1, 1] = B.ravel() - 2 * x * y, -x * x
    np.testing.assert_allclose(
        np.sort_complex(sm.eigenvalues[:, 0]), np.sort_complex(np.linalg.eigvals(J)), atol=1e-9
    )


def test_auto_sweep_of_a_three_routine_simplex_model_caps_the_symbolic_budget() -> None:
    # Issue 17: the symbolic equilibria of entrenchment_n(3) do not finish in 60 s; an "auto"
    # sweep waited all of it. It now gives them AUTO_SYMBOLIC_BUDGET and says so.
    from incentive_geometry.solvers.numeric.sweep import AUTO_SYMBOLIC_BUDGET
    from incentive_geometry.theory.entrenchment import entrenchment_n

    m = entrenchment_n(3)
    thetas = np.array([0.2, 0.5, 0.9])
    sm = ig.sweep(m, {"theta": thetas, "alpha": np.array([1.0])}, executor="serial", cycles=False)
    assert sm.method == "numeric"
    assert f"method='auto' gives the symbolic engine {AUTO_SYMBOLIC_BUDGET:g} s" in sm.notes[0]
    # Vertex e_1 is stable iff s_j(e_1) < s_1(e_1) for all j != 1 (DESIGN.md), with
    # s_j(e_1) = alpha (1 - theta) (b_j + gamma_j [j = 1]) - theta c_j.
    p = {name: float(m.parameter(name).default) for name in m.parameter_names}  # type: ignore[arg-type]
    for k, theta in enumerate(thetas):
        s = [
            (1 - theta) * (p[f"b_{j}"] + (p[f"gamma_{j}"] if j == 1 else 0.0)) - theta * p[f"c_{j}"]
            for j in (1, 2, 3)
        ]
        want = s[0] > max(s[1:])
        stable_x = sm.x[k][sm.stable[k]]
        got = bool(np.any(np.all(np.abs(stable_x - [1.0, 0.0]) < 1e-6, axis=-1)))
        assert got == want, (theta, s)


def test_compiled_2x2_kernel_is_identical_to_the_numpy_route(monkeypatch: Any) -> None:
    # Large stacks go through the numba kernel (one pass); it must give the same bits as the
    # NumPy formulas, and eigenvalues within rounding of LAPACK's, margins as stability.py's.
    pytest.importorskip("numba")
    from incentive_geometry.solvers.numeric import sweep_chunk
    from incentive_geometry.solvers.numeric.stability import stability_margin

    rng = np.random.default_rng(7)
    J = rng.standard_normal((3_000, 2, 2)) * rng.choice([1e-6, 1.0, 1e6], (3_000, 1, 1))
    J[:5] = np.eye(2)  # double roots: the delicate route (LAPACK)
    J[5:10] = 0.0
    J[10] = [[-0.0, 1.0], [0.0, -0.0]]
    monkeypatch.setattr(sweep_chunk, "COMPILED_MIN", 10**12)
    want = sweep_chunk.spectra(J)
    monkeypatch.setattr(sweep_chunk, "COMPILED_MIN", 1)
    got = sweep_chunk.spectra(J)
    np.testing.assert_array_equal(got, want)
    for time in ("continuous", "discrete"):
        eig, margin, size = sweep_chunk.spectra_margins(J, time)
        np.testing.assert_array_equal(eig, want)
        # |lambda| of a complex pair: numba's abs and NumPy's hypot may differ by an ulp.
        np.testing.assert_allclose(margin, stability_margin(time, want), rtol=1e-15, atol=1e-15)
        np.testing.assert_allclose(size, np.max(np.abs(want), axis=-1), rtol=1e-15)
    ref = np.linalg.eigvals(J)
    scale = 1.0 + np.abs(ref).max(-1, keepdims=True)
    np.testing.assert_allclose(
        np.sort_complex(got) / scale, np.sort_complex(ref) / scale, rtol=0, atol=1e-12
    )
