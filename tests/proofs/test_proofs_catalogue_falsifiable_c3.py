"""A catalogue that could fail, C3 (the ingredients' ablations and amplifiers): each true claim
is confirmed and a planted false one (a boundary blind to the ingredient) is refuted.

Split from ``test_proofs_catalogue_falsifiable.py`` (same checks) so that ``--dist loadfile``,
which runs a file on one worker, can put the two halves of that catalogue on different cores.
"""

from __future__ import annotations

import dataclasses

import pytest

import incentive_geometry as ig
from incentive_geometry.proofs.observe import attracts
from incentive_geometry.theory import entrenchment

SEEDS = (0, 1, 2)


# -- C3: ablations that remove the ingredient; amplifiers as monotone thresholds ---------------


def _c3(name: str, *, extended: bool = False) -> ig.Claim:
    from incentive_geometry.proofs.catalogue.ingredients import ablation_entries

    (entry,) = [e for e in ablation_entries(extended=extended) if e.claim.name == name]
    return entry.claim


# Seed 0 in the default run; seeds 1 and 2 (20-24 s of CPU each) with -m slow (CI).
@pytest.mark.parametrize(
    "seed", [SEEDS[0], *(pytest.param(s, marks=pytest.mark.slow) for s in SEEDS[1:])]
)
def test_proxy_equals_truth_true_confirmed_canonical_formula_refuted(seed: int) -> None:
    claim = _c3("C3.local_proxies.proxy_equals_truth")
    assert ig.check(claim, samples=32, seed=seed).verdict == "confirmed"
    # Planted: the canonical boundary, blind to the truth mixed into the proxy.
    planted = dataclasses.replace(
        claim, name="planted", prediction="alpha*(1 - theta)*(b + gamma) > theta*c"
    )
    assert ig.check(planted, samples=32, seed=seed).verdict == "refuted"


def test_proxy_equals_truth_never_entrenches_whatever_the_feedback() -> None:
    from incentive_geometry.theory.capture import entrenchment_capture

    m = entrenchment_capture("linear", mixed_proxy=True, signed_gains=True)
    for gamma in (0.5, 2.0, 10.0):
        values = {"rho": 1.0, "gamma": gamma, "alpha": 3.0, "theta": 0.0, "b": 1.0}
        assert attracts(m, {"x": 1.0}, values).value is False
    # The ablation the catalogue used before (b = 0) leaves entrenchment possible: gamma x
    # alone is a misspecified proxy.
    assert attracts(entrenchment(), {"x": 1.0}, {"b": 0.0, "theta": 0.1}).value is True


def test_alpha_is_no_longer_a_rescaling_of_c_with_a_mixed_proxy() -> None:
    # theta* = alpha P1 / (alpha P1 + c), P1 = (1 - rho)(b + gamma) - rho c, by hand:
    # canonical (rho = 0): (alpha, c) = (2, 1) and (1, 1/2) give the same 12/17;
    # rho = 0.3: 1.08/2.08 = 0.51923 versus 0.69/1.19 = 0.57983.
    from incentive_geometry.proofs.catalogue.ingredients import entrenchment_threshold
    from incentive_geometry.theory.capture import entrenchment_capture

    m = entrenchment_capture("linear", mixed_proxy=True, signed_gains=True)
    base = {"b": 0.2, "gamma": 1.0}
    got = {
        (rho, alpha): entrenchment_threshold(m, {**base, "rho": rho, "alpha": alpha, "c": c})
        for rho in (0.0, 0.3)
        for alpha, c in ((2.0, 1.0), (1.0, 0.5))
    }
    assert got[(0.0, 2.0)] == pytest.approx(12 / 17, abs=1e-5)
    assert got[(0.0, 1.0)] == pytest.approx(12 / 17, abs=1e-5)
    assert got[(0.3, 2.0)] == pytest.approx(1.08 / 2.08, abs=1e-5)
    assert got[(0.3, 1.0)] == pytest.approx(0.69 / 1.19, abs=1e-5)


@pytest.mark.parametrize("seed", (0, 2))
def test_asymmetric_amplifier_true_confirmed_planted_refuted(seed: int) -> None:
    claim = _c3("C3.asymmetric_reinforcement.amplifier", extended=True)
    assert ig.check(claim, samples=8, seed=seed).verdict == "confirmed"
    # Planted: "alpha raises the threshold wherever b + gamma > c" (ignores the mixed proxy).
    planted = dataclasses.replace(claim, name="planted", prediction="b + gamma > c")
    assert ig.check(planted, samples=8, seed=seed).verdict == "refuted"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["C3.recursive_feedback.amplifier", "C3.local_proxies.amplifier"])
def test_extended_amplifiers_true_confirmed_unshifted_boundary_refuted(name: str) -> None:
    claim = _c3(name, extended=True)
    assert ig.check(claim, samples=8, seed=1).verdict == "confirmed"
    # Planted: the boundary before the change (misses points the change makes entrenchable).
    from incentive_geometry.proofs.catalogue.ingredients import P1

    planted = dataclasses.replace(claim, name="planted", prediction=f"{P1} > 1/4")
    assert ig.check(planted, samples=8, seed=1).verdict == "refuted"
