"""The fitted chain of nested objectives (C6 with selection) and the weak-selection gradient of
the Traulsen-Nowak fixation products.

References not derived by the code under test: ``E[sign(lambda + Z)] = erf(lambda / sqrt(2))``
(d = 1); the mean cosine as a two-dimensional quadrature over the definition (the component
along the truth and the chi-distributed orthogonal length); Monte Carlo with a t confidence
interval; the large-signal limit ``1 - (d - 1) / (2 lambda^2)``; the library's float
fixation product (a finite difference in ``w``) and the first-order formula of Nowak et al. (2004)
for the Moran process with the constant-fitness Moran formula between groups.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from scipy import integrate, stats

from incentive_geometry.errors import ModelError
from incentive_geometry.theory.biology import (
    traulsen_nowak_fixation,
    traulsen_nowak_selection_gradient,
)
from incentive_geometry.theory.selection_depth import (
    fit_alignment,
    fit_alignment_expression,
    fitted_chain_alignment,
    fitted_chain_sample,
)


def _mean_cosine_by_quadrature(lam: float, d: int) -> float:
    """E[(lam + z) / sqrt((lam + z)^2 + r^2)], z ~ N(0, 1), r ~ chi_{d-1}: the definition."""
    k = d - 1
    log_norm = (k / 2 - 1) * math.log(2) + math.lgamma(k / 2) + 0.5 * math.log(2 * math.pi)

    def integrand(r: float, z: float) -> float:
        # Normal density of z times the chi density of r (k degrees of freedom).
        weight = math.exp((k - 1) * math.log(r) - (r * r + z * z) / 2 - log_norm) if r > 0 else 0.0
        return (lam + z) / math.hypot(lam + z, r) * weight

    value, _ = integrate.dblquad(integrand, -10.0, 10.0, 0.0, 12.0, epsabs=1e-10, epsrel=1e-10)
    return value


@pytest.mark.parametrize("lam", [0.2, 1.0, 2.5, 6.0])
def test_one_dimension_is_the_mean_sign(lam: float) -> None:
    assert fit_alignment(lam, 1) == pytest.approx(math.erf(lam / math.sqrt(2)), rel=1e-12)


@pytest.mark.parametrize(("lam", "d"), [(0.5, 2), (2.0, 3), (3.0, 5), (1.5, 8), (4.0, 12)])
def test_mean_cosine_matches_quadrature_of_the_definition(lam: float, d: int) -> None:
    assert fit_alignment(lam, d) == pytest.approx(_mean_cosine_by_quadrature(lam, d), abs=1e-7)


@pytest.mark.parametrize("d", [2, 5, 30])
def test_large_signal_limit(d: int) -> None:
    lam = 100.0
    assert fit_alignment(lam, d) == pytest.approx(1 - (d - 1) / (2 * lam**2), abs=d**2 / lam**4)


def test_mean_cosine_within_monte_carlo_interval() -> None:
    rng = np.random.default_rng(7)
    lam, d = 2.0, 5
    x = rng.standard_normal((200_000, d))
    x[:, 0] += lam
    cos = x[:, 0] / np.linalg.norm(x, axis=1)
    lo, hi = stats.t.interval(0.999, cos.size - 1, loc=cos.mean(), scale=stats.sem(cos))
    assert lo < fit_alignment(lam, d) < hi


@pytest.mark.parametrize("d", [1, 3, 5, 7])
def test_elementary_expression_agrees_with_kummer_function(d: int) -> None:
    lam = sympy.Symbol("lam", positive=True)
    expr = fit_alignment_expression(d, lam)
    assert all(isinstance(f, sympy.erf | sympy.exp) for f in expr.atoms(sympy.Function))
    f = sympy.lambdify([lam], expr, modules="numpy")
    for value in (0.5, 1.0, 3.0, 8.0):
        assert float(f(value)) == pytest.approx(fit_alignment(value, d), rel=1e-9)


def test_even_dimension_has_no_elementary_expression() -> None:
    with pytest.raises(ModelError, match="`dim` must be odd"):
        fit_alignment_expression(4, 2.0)


def _within(draws: np.ndarray, value: float, level: float = 0.999) -> bool:
    lo, hi = stats.t.interval(level, draws.size - 1, loc=draws.mean(), scale=stats.sem(draws))
    return bool(lo < value < hi)


@pytest.mark.parametrize(("sigma", "phi"), [(0.6, 0.0), (2.0, 0.0), (1.0, 0.35)])
def test_orthogonal_design_chain_compounds_as_kappa_power_times_cos(
    sigma: float, phi: float
) -> None:
    draws = fitted_chain_sample(
        4, noise=sigma, samples=10, dim=5, replicates=20_000, rng=np.random.default_rng(3), phi=phi
    )
    kappa = fit_alignment(math.sqrt(10) / sigma, 5)
    for level in range(1, 5):
        assert _within(draws[:, level - 1], kappa**level * math.cos(level * phi))
        assert fitted_chain_alignment(
            level, noise=sigma, samples=10, dim=5, phi=phi
        ) == pytest.approx(kappa**level * math.cos(level * phi))


def test_coherent_drift_adds_angles_not_cosine_powers() -> None:
    # Almost no noise: the alignment after L levels is cos(L phi), far from cos(phi)**L.
    draws = fitted_chain_sample(
        6, noise=1e-6, samples=8, dim=4, replicates=10, rng=np.random.default_rng(0), phi=0.4
    )
    assert np.allclose(draws[:, 5], math.cos(6 * 0.4), atol=1e-5)
    assert abs(math.cos(6 * 0.4) - math.cos(0.4) ** 6) > 1.0


def test_gaussian_design_is_multiplicative_with_a_smaller_kappa() -> None:
    # Isotropic random design: the fit's error is still rotation invariant, so E[cos_L] is the
    # L-th power of E[cos_1]; the random design fits worse than the orthogonal one
    # (E[(X'X)^-1] = I / (n - d - 1) > I / n).
    rng = np.random.default_rng(11)
    one = fitted_chain_sample(
        1, noise=1.0, samples=12, dim=5, replicates=40_000, rng=rng, design="gaussian"
    )[:, 0]
    chain = fitted_chain_sample(
        3, noise=1.0, samples=12, dim=5, replicates=40_000, rng=rng, design="gaussian"
    )
    kappa = one.mean()
    # Level 3 against kappa**3 with the uncertainty of both estimates.
    se = math.hypot(stats.sem(chain[:, 2]), 3 * kappa**2 * stats.sem(one))
    assert abs(chain[:, 2].mean() - kappa**3) < 3.3 * se
    assert kappa < fit_alignment(math.sqrt(12), 5) - 10 * stats.sem(one)


def test_fitted_chain_rejects_bad_options() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ModelError, match="`design`"):
        fitted_chain_sample(1, noise=1.0, samples=6, dim=3, replicates=2, rng=rng, design="x")
    with pytest.raises(ModelError, match="`samples`"):
        fitted_chain_sample(1, noise=1.0, samples=2, dim=3, replicates=2, rng=rng)
    with pytest.raises(ModelError, match="`noise`"):
        fitted_chain_sample(1, noise=0.0, samples=6, dim=3, replicates=2, rng=rng)
    with pytest.raises(ModelError, match="`snr`"):
        fit_alignment(-1.0, 3)


# -- Traulsen-Nowak: the weak-selection gradient ----------------------------------------------


@pytest.mark.parametrize(
    ("b", "c", "n", "m"),
    [(3.0, 1.0, 4, 8), (1.5, 1.0, 20, 40), (7.0, 1.0, 5, 3), (1.2, 0.7, 10, 12)],
)
def test_gradient_matches_finite_difference_of_float_product(
    b: float, c: float, n: int, m: int
) -> None:
    w = 1e-5
    fd = (n * m * traulsen_nowak_fixation(b=b, c=c, n=n, m=m, w=w) - 1) / w
    assert traulsen_nowak_selection_gradient(b=b, c=c, n=n, m=m) == pytest.approx(fd, abs=1e-3)


@pytest.mark.parametrize(
    ("b", "c", "n", "m"),
    [(3.0, 1.0, 4, 8), (2.0, 1.5, 10, 12), (9.0, 1.0, 30, 5), (1.0, 1.0, 3, 2)],
)
def test_gradient_matches_first_order_theory(b: float, c: float, n: int, m: int) -> None:
    # Within the group (Nowak et al. 2004): rho_in = (1 + w (alpha n - beta) / 6) / n with
    # alpha = a + 2b' - c' - 2d, beta = 2a + b' + c' - 4d for the game [[b - c, -c], [b, 0]];
    # between groups, fitness ratio 1 + w (b - c): rho = (1 + (m - 1) w (b - c) / 2) / m.
    a_, b_, c_, d_ = b - c, -c, b, 0.0
    alpha, beta = a_ + 2 * b_ - c_ - 2 * d_, 2 * a_ + b_ + c_ - 4 * d_
    expected = (alpha * n - beta) / 6 + (m - 1) * (b - c) / 2
    got = traulsen_nowak_selection_gradient(b=b, c=c, n=n, m=m)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_gradient_rejects_strong_selection_and_low_precision() -> None:
    with pytest.raises(ModelError, match="`w`"):
        traulsen_nowak_selection_gradient(b=3.0, c=1.0, n=4, m=8, w=0.1)
    with pytest.raises(ModelError, match="`digits`"):
        traulsen_nowak_selection_gradient(b=3.0, c=1.0, n=4, m=8, w=1e-20, digits=30)
