"""Sweeps of flows with n >= 3 states decided by Routh-Hurwitz (``eigenvalues=False``).

The classes must be those of the eigenvalue route everywhere, boundaries included (there the
Hurwitz test is delicate and eigenvalues decide); checked against the textbook boundaries:
the Lorenz system's Hopf value rho_H = sigma (sigma + beta + 3) / (sigma - beta - 1)
(Sparrow 1982, sec. 1.2) and the Routh-Hurwitz threshold of a 5-variable feedback chain.
"""

from __future__ import annotations

import numpy as np
import pytest

import incentive_geometry as ig

BETA = 8 / 3


def lorenz() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "s*(y - x)", "y": "x*(r - z) - y", "z": "x*y - b*z"},
        parameters={"s": 10.0, "r": 0.5, "b": BETA},
    )


def chain() -> ig.Model:
    # x1' = -g x5 - x1, x_i' = c x_(i-1) - k_i x_i: det(l I - J) = prod (l + k_i) + g c**4.
    k = (1.0, 1.5, 2.0, 2.5, 3.0)
    eqs = {"x1": f"-g*x5 - {k[0]}*x1"}
    eqs.update({f"x{i + 1}": f"c*x{i} - {k[i]}*x{i + 1}" for i in range(1, 5)})
    return ig.Model.from_equations(eqs, parameters={"g": 1.0, "c": 1.0})


def _compare(model: ig.Model, axes: dict[str, np.ndarray], **kw: object) -> tuple[ig.StabilityMap, ig.StabilityMap]:
    fast = ig.sweep(model, axes, eigenvalues=False, cycles=False, compiled=False, **kw)  # type: ignore[arg-type]
    full = ig.sweep(model, axes, cycles=False, compiled=False, **kw)  # type: ignore[arg-type]
    assert fast.classes.tolist() == full.classes.tolist()
    for key in ("exists", "stable", "neutral", "defined"):
        assert np.array_equal(getattr(fast, key), getattr(full, key)), key
    np.testing.assert_array_equal(fast.x, full.x)
    # Eigenvalues only where they were needed; those agree with the full map's.
    have = ~np.isnan(fast.eigenvalues).any(-1)
    np.testing.assert_allclose(fast.eigenvalues[have], full.eigenvalues[have], rtol=1e-12)
    return fast, full


def test_lorenz_across_its_hopf_line() -> None:
    s = np.linspace(4.0, 20.0, 41)
    r = np.linspace(0.5, 60.0, 60)
    fast, full = _compare(lorenz(), {"s": s, "r": r})
    assert {"x=0, y=0, z=0 only", "E1 + E2 (bistable)", "none stable"} <= set(full.counts)
    # Off the boundaries no eigenvalue was computed for an existing equilibrium.
    assert np.isnan(fast.eigenvalues[fast.exists]).all()
    # C+ is stable exactly below rho_H (sigma > beta + 1); textbook value, not derived here.
    S, R = np.meshgrid(s, r, indexing="ij")
    rho_h = S * (S + BETA + 3) / (S - BETA - 1)
    clear = (S > BETA + 1.5) & (R > 1.0) & (np.abs(R - rho_h) > 1e-6 * rho_h)
    bistable = (full.classes == "E1 + E2 (bistable)")
    assert np.array_equal(bistable[clear], (rho_h > R)[clear])


def test_points_on_the_boundaries_take_eigenvalues() -> None:
    # rho exactly at 1 (the origin's pitchfork) and at rho_H for sigma = 10: delicate for
    # Routh-Hurwitz, decided from eigenvalues with the neutral band, as the full route does.
    rho_h = 10 * (10 + BETA + 3) / (10 - BETA - 1)
    sample = np.array([[10.0, 1.0], [10.0, rho_h], [10.0, 0.7 * rho_h], [10.0, 1.3 * rho_h]])
    fast, full = _compare(lorenz(), sample, names=["s", "r"])
    computed = ~np.isnan(fast.eigenvalues).any(-1) & fast.exists
    assert computed[0].any() and computed[1].any()  # the two boundary points
    assert not computed[2].any() and not computed[3].any()
    assert "neutral" in full.classes[1]


def test_five_variable_chain_threshold() -> None:
    # Stable iff the Lienard-Chipart determinants are positive; the boundary in g for c = 1
    # is where Delta_4 = 0 (a Hopf pair), found here from the coefficients, not the sweep.
    m = chain()
    g = np.linspace(0.0, 40.0, 201)
    c = np.array([0.5, 1.0, 1.5])
    _fast, full = _compare(m, {"g": g, "c": c})
    e = np.poly(-np.array([1.0, 1.5, 2.0, 2.5, 3.0]))[1:]
    G, C = np.meshgrid(g, c, indexing="ij")
    a1, a2, a3, a4 = e[:4]
    a5 = e[4] + G * C**4
    d4 = (a1 * a2 - a3) * (a3 * a4 - a2 * a5) - (a1 * a4 - a5) ** 2
    want = (d4 > 0) & (a5 > 0)
    clear = np.abs(d4) > 1e-6 * ((a1 * a2 + a3) * (a3 * a4 + a2 * a5) + (a1 * a4 + a5) ** 2)
    stable = full.stable.any(-1).reshape(G.shape)
    assert np.array_equal(stable[clear], want[clear])
    assert want.any() and (~want).any()


def test_eigenvalues_option_is_checked_and_two_states_keep_spectra() -> None:
    m = lorenz()
    with pytest.raises(ig.ModelError, match="`eigenvalues` must be True or False"):
        ig.sweep(m, {"r": np.array([0.5])}, eigenvalues="no")  # type: ignore[arg-type]
    # Two states: eigenvalues are kept whatever the option (closed-form spectra).
    br = ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"}, parameters={"a": 1.0, "b": 1.5}
    )
    sm = ig.sweep(br, {"b": np.array([1.5, 3.0])}, eigenvalues=False, cycles=False)
    assert np.isfinite(sm.eigenvalues).all()


def test_cycle_probe_gets_the_spectra_it_needs() -> None:
    # Past rho_H no equilibrium is stable: the probe's horizon comes from the eigenvalues,
    # which the Hurwitz route computes for those points only.
    rho_h = 10 * (10 + BETA + 3) / (10 - BETA - 1)
    sm = ig.sweep(
        lorenz(), {"s": np.array([10.0]), "r": np.array([0.9 * rho_h, 1.2 * rho_h])},
        eigenvalues=False, max_probes=1,
    )
    # (The values are the map's rows: point 0 below rho_H, point 1 above, where the orbit is
    # chaotic, not a cycle.)
    assert sm.classes.ravel().tolist() == ["E1 + E2 (bistable)", "none stable"]
    assert np.isfinite(sm.eigenvalues[1][sm.exists[1]]).all()
    assert np.isnan(sm.eigenvalues[0][sm.exists[0]]).all()


@pytest.mark.parametrize("n", range(1, 9))
def test_the_kernels_unrolled_routh_table(n: int) -> None:
    # The compiled sweep's Routh table, written out per n (`sweep_fused.routh_source`), run
    # as plain Python: against the roots of each polynomial (numpy.roots, not the table), and
    # never deciding a point `hurwitz_codes` calls delicate.
    import math

    from incentive_geometry.solvers.numeric.hurwitz import HURWITZ_TOL, hurwitz_codes
    from incentive_geometry.solvers.numeric.stability import STABLE
    from incentive_geometry.solvers.numeric.sweep_fused import CLEAR, routh_source

    space: dict[str, object] = {"math": math, "CLEAR": CLEAR, "HURWITZ_TOL": HURWITZ_TOL}
    exec(routh_source(n), space)
    routh = space["routh"]
    rng = np.random.default_rng(n)
    verdicts, truth, coeffs, jacs = [], [], [], []
    for _ in range(400):
        # Roots with real parts away from 0 (a clear verdict), in conjugate pairs.
        pairs = rng.integers(0, n // 2 + 1)
        re = rng.uniform(0.1, 2.0, n - pairs) * rng.choice([-1.0, 1.0], n - pairs)
        roots = list(re[: n - 2 * pairs]) if n - 2 * pairs > 0 else []
        for k in range(pairs):
            im = rng.uniform(0.1, 2.0)
            roots += [complex(re[n - 2 * pairs + k], im), complex(re[n - 2 * pairs + k], -im)]
        a = np.poly(roots).real[1:]
        J = np.zeros((n, n))  # the companion matrix: det(l I - J) = l^n + a_1 l^(n-1) + ...
        J[0] = -a
        J[np.arange(1, n), np.arange(n - 1)] = 1.0
        coeffs.append(a)
        jacs.append(J)
        verdicts.append(routh(a, J))
        truth.append(bool(np.all(np.real(roots) < 0)))
    # Delicate ones too: a_1 a_2 = a_3 (n = 3), a coefficient 0, NaN.
    if n >= 3:
        extra = [np.r_[1.0, 2.0, 2.0, np.ones(n - 3)], np.r_[1.0, 0.0, np.ones(n - 2)]]
        for a in [*extra, np.r_[np.nan, np.ones(n - 1)]]:
            J = np.zeros((n, n))
            J[0] = -a
            J[np.arange(1, n), np.arange(n - 1)] = 1.0
            coeffs.append(a)
            jacs.append(J)
            verdicts.append(routh(a, J))
            truth.append(False)
            assert verdicts[-1] == -1
    verdicts_a = np.array(verdicts)
    codes, delicate = hurwitz_codes(np.array(coeffs), J=np.array(jacs))
    assert not np.any(delicate & (verdicts_a >= 0))
    decided = verdicts_a >= 0
    assert decided.mean() > 0.9
    assert np.array_equal(verdicts_a[decided] == 1, np.array(truth)[decided])
    assert np.array_equal(verdicts_a[decided] == 1, codes[decided] == STABLE)
    assert {0, 1} <= set(verdicts_a[decided].tolist()) or n == 1


@pytest.mark.parametrize("n", range(1, 9))
def test_schur_cohn_against_the_roots(n: int) -> None:
    # Maps: every root inside the unit circle, by the Schur-Cohn recursion, against numpy.roots
    # of polynomials built from their roots (moduli away from 1), and delicate at roots on it.
    from incentive_geometry.solvers.numeric.hurwitz import schur_cohn_codes
    from incentive_geometry.solvers.numeric.stability import STABLE

    rng = np.random.default_rng(100 + n)
    coeffs, truth = [], []
    for _ in range(400):
        pairs = rng.integers(0, n // 2 + 1)
        radius = rng.uniform(0.05, 0.95, n - pairs)
        radius[rng.random(n - pairs) < 0.3] += rng.uniform(0.1, 1.0)  # some outside
        roots: list[complex] = list(radius[: n - 2 * pairs] * rng.choice([-1.0, 1.0], n - 2 * pairs))
        for k in range(pairs):
            z = radius[n - 2 * pairs + k] * np.exp(1j * rng.uniform(0.1, np.pi - 0.1))
            roots += [z, np.conj(z)]
        roots_a = np.array(roots)
        if np.any(np.abs(np.abs(roots_a) - 1) < 0.02):
            continue
        coeffs.append(np.poly(roots_a).real[1:])
        truth.append(bool(np.all(np.abs(roots_a) < 1)))
    codes, delicate = schur_cohn_codes(np.array(coeffs))
    decided = ~delicate
    assert decided.mean() > 0.9
    assert np.array_equal((codes == STABLE)[decided], np.array(truth)[decided])
    assert {True, False} <= set(np.array(truth)[decided].tolist())
    # A root on the unit circle (1, -1, or a pair e^(+-i theta)) inside an otherwise stable
    # polynomial: delicate, never decided. A NaN coefficient: delicate.
    inner = list(np.linspace(0.3, 0.6, n - 1))
    edge = [np.poly([1.0, *inner]).real[1:], np.poly([-1.0, *inner]).real[1:]]
    if n >= 2:
        edge.append(np.poly([np.exp(1.1j), np.exp(-1.1j), *inner[1:]]).real[1:])
    _, on_circle = schur_cohn_codes(np.array(edge))
    assert on_circle.all()
    assert schur_cohn_codes(np.full((1, n), np.nan))[1].all()


def delayed_logistic_3d() -> ig.Model:
    # The delayed logistic map x' = r x (1 - y), y' = x (Neimark-Sacker at r = 2: Kuznetsov,
    # Elements of Applied Bifurcation Theory, 3rd ed., sec. 4.7), with z' = c z + x (one more
    # eigenvalue, c: a flip at c = -1).
    return ig.Model.from_equations(
        {"x": "r*x*(1 - y)", "y": "x", "z": "c*z + x"},
        parameters={"r": 1.5, "c": 0.5},
        time="discrete",
    )


def test_a_three_state_map_by_schur_cohn() -> None:
    r = np.r_[np.linspace(0.5, 2.5, 41), 1.0, 2.0]
    c = np.r_[np.linspace(-1.4, 0.9, 24), -1.0]
    fast, _ = _compare(delayed_logistic_3d(), {"r": np.sort(r), "c": np.sort(c)})
    # Textbook regions, away from r = 1, r = 2 and c = -1: the fixed point (1 - 1/r, 1 - 1/r,
    # x / (1 - c)) is stable iff 1 < r < 2 and |c| < 1; the origin iff r < 1 and |c| < 1.
    R, C = fast.values[:, 0], fast.values[:, 1]
    away = (np.abs(R - 1) > 1e-9) & (np.abs(R - 2) > 1e-9) & (np.abs(C + 1) > 1e-9)
    origin = fast.equilibrium_labels.index("x=0, y=0, z=0")
    inner = (np.abs(C) < 1)
    assert np.array_equal(fast.stable[away, origin], ((R < 1) & inner)[away])
    assert np.array_equal(fast.stable[away, 1 - origin], ((R > 1) & (R < 2) & inner)[away])
    # Eigenvalues were computed only at the delicate points: on r = 1, r = 2, c = -1 and
    # next to them, and at a few points where two roots are reciprocal (0.8 and 1.25 at the
    # origin for r = 1.25, c = 0.8), which gives a reflection coefficient of modulus 1 exactly.
    have = ~np.isnan(fast.eigenvalues).any(-1) & fast.exists
    assert 0 < have.sum() < 0.2 * fast.exists.sum()
    far = away & (np.abs(R - 2) > 0.1) & (np.abs(R - 1) > 0.1) & (np.abs(C + 1) > 0.1)
    assert have[far].sum() < 0.02 * fast.exists[far].sum()
