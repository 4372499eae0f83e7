"""Planted false claims of the families C4, C5 and the classical claims: each family's true
claim is confirmed and a plausible wrong formula (a moved threshold, the wrong direction, the
wrong value) is refuted, on several seeds.

The references are not derived by the code under test: the C5 thresholds are the paper's
(theta* for undoing entrenchment, alpha b / (alpha b + c) for preventing it, observed by
simulating from x = 0.999); the classical closed forms are Holmstrom and Milgrom (1987), Baker
(1992, 2002), the Gaussian selected mean (Manheim and Garrabrant 2018), and the multiplicative
weights stability bound ``a < 2 / (b (1 - b))``.
"""

from __future__ import annotations

import dataclasses
import functools

import pytest

import incentive_geometry as ig
from incentive_geometry.model import Model
from incentive_geometry.proofs.catalogue import catalogue
from incentive_geometry.proofs.catalogue.analogy import shares_structure

SEEDS = (0, 1, 2)


def _claim(name: str) -> ig.Claim:
    (entry,) = [e for e in catalogue(name) if e.claim.name == name]
    return entry.claim


def _planted(name: str, prediction: str) -> ig.Claim:
    return dataclasses.replace(_claim(name), name=name + ".planted", prediction=prediction)


# -- C4: structure ---------------------------------------------------------------------------


@pytest.mark.slow  # simulation or continuation at every point
@pytest.mark.parametrize("seed", (0, 1))
def test_c4_managerial_true_confirmed_negated_refuted(seed: int) -> None:
    name = "C4.organizations.managerial_entrenchment"
    assert ig.check(_claim(name), samples=8, seed=seed).verdict == "confirmed"
    # Planted: "the managerial model does not share the structure".
    assert ig.check(_planted(name, "0 == 1"), samples=8, seed=seed).verdict == "refuted"


@pytest.mark.slow  # simulation or continuation at every point
def test_c4_an_analogue_with_negative_feedback_is_refuted() -> None:
    # Influence *lowers* M's proxy capture (b - gamma x): x = 1 still changes stability through
    # a transcritical point in theta, but no circuit is positive and the per-capita advantage
    # falls with the share, so the claimed structure is absent.
    negative = Model.from_equations(
        {"x": "x*(1 - x)*(alpha*(1 - theta)*(b + 2 - gamma*x) - theta*c)"},
        parameters={"alpha": 1.0, "theta": 0.3, "b": 0.2, "gamma": 1.0, "c": 1.0},
        states={"x": {"domain": [0, 1]}},
        name="negative_feedback",
    )
    planted = dataclasses.replace(
        _claim("C4.learning.multiplicative_weights"),
        name="C4.planted.negative_feedback",
        model=negative,
        domain={"alpha": (0.5, 2.0), "b": (0.0, 1.0), "gamma": (0.2, 1.0), "c": (0.2, 2.0)},
        observe=functools.partial(shares_structure, negative, "theta", (0.0, 0.999), {"x": 1.0}),
    )
    for seed in (0, 1):
        assert ig.check(planted, samples=8, seed=seed).verdict == "refuted"


# -- C5: mitigation thresholds ------------------------------------------------------------------


@pytest.mark.slow  # simulation or continuation at every point
@pytest.mark.parametrize("seed", SEEDS)
def test_c5_undo_threshold_true_confirmed_prevention_threshold_refuted(seed: int) -> None:
    name = "C5.observability_past_theta_star"
    assert ig.check(_claim(name), samples=24, seed=seed).verdict == "confirmed"
    # Planted: the threshold that prevents entrenchment (hysteresis ignored).
    planted = _planted(name, "theta > alpha*b/(alpha*b + c)")
    assert ig.check(planted, samples=24, seed=seed).verdict == "refuted"


@pytest.mark.slow  # simulation or continuation at every point
@pytest.mark.parametrize("seed", SEEDS)
def test_c5_feedback_cap_wrong_direction_and_moved_cap_refuted(seed: int) -> None:
    name = "C5.feedback_cap"
    # Planted: the wrong direction (raising the feedback restores alignment).
    wrong = _planted(name, "gamma > theta*c/(alpha*(1 - theta)) - b")
    assert ig.check(wrong, samples=16, seed=seed).verdict == "refuted"
    # Planted: a cap moved by 10%.
    moved = _planted(name, "gamma < 1.1*(theta*c/(alpha*(1 - theta)) - b)")
    assert ig.check(moved, samples=16, seed=seed).verdict == "refuted"


@pytest.mark.slow  # simulation or continuation at every point
@pytest.mark.parametrize("seed", SEEDS)
def test_c5_hysteresis_width_true_confirmed_wrong_value_refuted(seed: int) -> None:
    name = "C5.hysteresis_width"
    assert ig.check(_claim(name), samples=8, seed=seed).verdict == "confirmed"
    # Planted: the width taken as theta* alone (as if prevention needed no observability).
    planted = _planted(name, "alpha*(b + gamma)/(alpha*(b + gamma) + c)")
    assert ig.check(planted, samples=8, seed=seed).verdict == "refuted"


# -- classical claims ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_holmstrom_milgrom_true_confirmed_wrong_value_refuted(seed: int) -> None:
    name = "classical.holmstrom_milgrom_intensity"
    assert ig.check(_claim(name), samples=16, seed=seed).verdict == "confirmed"
    # Planted: risk aversion entering without the cost of effort.
    assert ig.check(_planted(name, "1/(1 + r*sigma2)"), samples=16, seed=seed).verdict == "refuted"


@pytest.mark.parametrize("seed", SEEDS)
def test_baker_true_confirmed_wrong_value_refuted(seed: int) -> None:
    name = "classical.baker_optimal_weight"
    assert ig.check(_claim(name), samples=16, seed=seed).verdict == "confirmed"
    # Planted: the weight of an undistorted measure (the angle ignored).
    planted = _planted(name, "f_norm*g_norm/(g_norm**2 + r*sigma2)")
    assert ig.check(planted, samples=16, seed=seed).verdict == "refuted"


@pytest.mark.parametrize("seed", SEEDS)
def test_regressional_goodhart_true_confirmed_proxy_at_face_value_refuted(seed: int) -> None:
    name = "classical.regressional_goodhart"
    assert ig.check(_claim(name), samples=16, seed=seed).verdict == "confirmed"
    # Planted: the selected true value equal to the selected proxy (no regression to the mean).
    planted = _planted(
        name,
        "sqrt(sigma_v**2 + sigma_x**2)*exp(-t**2/(2*(sigma_v**2 + sigma_x**2)))"
        "/sqrt(2*pi)/(erfc(t/sqrt(2*(sigma_v**2 + sigma_x**2)))/2)",
    )
    assert ig.check(planted, samples=16, seed=seed).verdict == "refuted"


@pytest.mark.parametrize("seed", SEEDS)
def test_multiplicative_weights_true_confirmed_moved_threshold_refuted(seed: int) -> None:
    name = "classical.multiplicative_weights_stability"
    assert ig.check(_claim(name), samples=32, seed=seed).verdict == "confirmed"
    # Planted: the bound moved by 5%, and the wrong direction.
    moved = _planted(name, "a < 2.1/(b*(1 - b))")
    assert ig.check(moved, samples=32, seed=seed).verdict == "refuted"
    assert ig.check(_planted(name, "a > 2/(b*(1 - b))"), samples=32, seed=seed).verdict == "refuted"


# -- causal and adversarial Goodhart (Manheim and Garrabrant 2018) ---------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_causal_goodhart_true_confirmed_regression_slope_refuted(seed: int) -> None:
    name = "classical.causal_goodhart"
    assert ig.check(_claim(name), samples=32, seed=seed).verdict == "confirmed"
    # Planted: the intervention moves V by the observational slope E[V | U = u].
    planted = _planted(name, "(k + a/(1 + s**2))*u")
    assert ig.check(planted, samples=32, seed=seed).verdict == "refuted"


def test_causal_goodhart_observational_slope_is_the_regression() -> None:
    # The observational conditional mean is the bivariate-normal regression (k + a/(1 + s^2)) u.
    import numpy as np

    from incentive_geometry.theory.goodhart import causal_goodhart_draws

    v = causal_goodhart_draws(
        1.5, a=1.0, k=0.25, s=0.5, intervene=False, rng=np.random.default_rng(5)
    )
    assert v.mean() == pytest.approx((0.25 + 1.0 / 1.25) * 1.5, abs=0.05)


@pytest.mark.parametrize("seed", SEEDS)
def test_adversarial_goodhart_true_confirmed_face_value_refuted(seed: int) -> None:
    name = "classical.adversarial_goodhart"
    assert ig.check(_claim(name), samples=32, seed=seed).verdict == "confirmed"
    # Planted: the proxy taken at face value, and a wrong power of kappa.
    assert ig.check(_planted(name, "1"), samples=32, seed=seed).verdict == "refuted"
    assert ig.check(_planted(name, "1/(1 + kappa**2)"), samples=32, seed=seed).verdict == "refuted"
