"""The checker: true claims are confirmed, planted false claims are refuted with a
counterexample, and the statistics it reports are right."""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import functools

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.proofs.catalogue import catalogue
from incentive_geometry.proofs.check import wilson_interval


def entry(name: str) -> ig.Claim:
    (found,) = [e for e in catalogue(name) if e.claim.name == name]
    return found.claim


def planted(name: str, **changes: object) -> ig.Claim:
    return dataclasses.replace(entry(name), **changes)


# -- true claims ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "C1.aligned_stable",
        "C1.entrenched_stable",
        "C1.bistability_window",
        "C1.transcritical_theta_star",
        "classical.holmstrom_milgrom_intensity",
        "classical.arthur_lockin",
        "C6.depth_4",
    ],
)
def test_true_claims_are_confirmed(name: str) -> None:
    report = ig.check(entry(name), samples=48, seed=3)
    assert report.verdict == "confirmed", report.reason
    assert report.agreement == 1.0 and not report.counterexamples
    assert report.interval[0] > 0.9


def test_boundary_error_of_a_true_condition_is_small() -> None:
    report = ig.check(entry("C1.entrenched_stable"), samples=64, seed=1)
    assert report.boundary_rays >= 3
    assert report.boundary_error is not None and report.boundary_error < 1e-4


# -- planted false claims ---------------------------------------------------------------------


def test_threshold_moved_by_five_percent_is_refuted() -> None:
    claim = planted("C1.aligned_stable", prediction="alpha*(1 - theta)*b < 1.05*theta*c")
    report = ig.check(claim, samples=256, seed=0)
    assert report.verdict == "refuted"
    ce = report.counterexamples[0]
    # The refined counterexample still is one, and lies between the two thresholds.
    assert (
        claim.predict(ce.params)
        != ig.proofs.observe.stable_at(claim.model, {"x": 0.0}, claim.point(ce.params)).value
    )
    p = claim.point(ce.params)
    lhs, rhs = p["alpha"] * (1 - p["theta"]) * p["b"], p["theta"] * p["c"]
    assert rhs <= lhs < 1.05 * rhs


def test_reversed_inequality_is_refuted_almost_everywhere() -> None:
    claim = planted("C1.entrenched_stable", prediction="alpha*(1 - theta)*(b + gamma) < theta*c")
    report = ig.check(claim, samples=64, seed=0)
    assert report.verdict == "refuted"
    assert report.agreement < 0.05
    assert (
        report.confusion.get("pred T / obs F", 0) + report.confusion.get("pred F / obs T", 0) >= 60
    )


def test_quantitative_formula_off_by_a_factor_is_refuted() -> None:
    claim = planted("classical.holmstrom_milgrom_intensity", prediction="1.02/(1 + r*c*sigma2)")
    report = ig.check(claim, samples=16, seed=0)
    assert report.verdict == "refuted"
    assert report.max_relative_error is not None and 0.019 < report.max_relative_error < 0.021


def test_stochastic_claim_with_the_wrong_probability_is_refuted() -> None:
    true = entry("classical.arthur_lockin")
    wrong = dataclasses.replace(true, prediction=f"{true.prediction_text()} + 0.15")
    report = ig.check(wrong, samples=16, seed=0)
    assert report.verdict == "refuted"
    assert report.min_p_value is not None and report.min_p_value < 1e-6
    # The same Monte Carlo with the right probability passes the same test.
    assert ig.check(true, samples=16, seed=0).verdict == "confirmed"


def test_wrong_mean_is_refuted_by_the_t_test() -> None:
    claim = planted("C6.depth_2", prediction="cos(phi)**2 + 0.01")
    report = ig.check(claim, samples=16, seed=0)
    assert report.verdict == "refuted"


# -- mechanics --------------------------------------------------------------------------------


def test_wilson_interval_matches_the_formula() -> None:
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_points_near_the_boundary_are_left_out() -> None:
    claim = ig.Claim(
        name="edge",
        statement="",
        prediction="a < 0.5",
        observe=lambda p: p["a"] < 0.5,
        domain={"a": (0.0, 1.0)},
        boundary_tol=0.2,
    )
    report = ig.check(claim, samples=64)
    assert report.excluded > 0 and report.evaluated + report.excluded == report.samples


def test_failing_observations_make_the_claim_inconclusive() -> None:
    def broken(p: dict[str, float]) -> bool:
        raise ig.ConvergenceError("Newton did not converge")

    claim = ig.Claim(
        name="broken", statement="", prediction="a > 0", observe=broken, domain={"a": (0.0, 1.0)}
    )
    report = ig.check(claim, samples=16)
    assert report.verdict == "inconclusive"
    assert report.failed == 16 and "Newton did not converge" in " ".join(report.notes)


def test_constraints_restrict_the_samples() -> None:
    claim = ig.Claim(
        name="c",
        statement="",
        prediction="a < b",
        observe=lambda p: p["a"] < p["b"],
        domain={"a": (0.0, 1.0), "b": (0.0, 1.0)},
        constraints=["a < b"],
    )
    report = ig.check(claim, samples=32)
    assert report.confusion == {"pred T / obs T": 32}


def test_a_process_pool_gives_the_serial_report() -> None:
    claim = entry("C1.aligned_stable")
    serial = ig.check(claim, samples=32, seed=2, rays=0)
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        pooled = ig.check(claim, samples=32, seed=2, rays=0, executor=pool)
    assert serial.confusion == pooled.confusion and serial.verdict == pooled.verdict


def test_claims_validate_their_input() -> None:
    ok = {"name": "c", "statement": "", "observe": abs, "domain": {"a": (0.0, 1.0)}}
    with pytest.raises(ig.ModelError, match="unknown name `zz`"):
        ig.Claim(prediction="a < zz", **ok)
    with pytest.raises(ig.ModelError, match="lo < hi"):
        ig.Claim(prediction="a < 1", **{**ok, "domain": {"a": (1.0, 0.0)}})
    with pytest.raises(ig.ModelError, match="`kind`"):
        ig.Claim(prediction="a < 1", kind="maybe", **ok)
    with pytest.raises(ig.ModelError, match="needs an expression"):
        ig.Claim(prediction="a < 1", kind="value", **ok)
    with pytest.raises(ig.ModelError, match="callable"):
        ig.Claim(prediction="a < 1", **{**ok, "observe": 3})
    with pytest.raises(ig.ModelError, match="`samples`"):
        ig.check(ig.Claim(prediction="a < 1", **ok), samples=0)


def test_reports_are_json_ready() -> None:
    import json

    report = ig.check(entry("C6.depth_1"), samples=8)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["verdict"] == "confirmed" and data["kind"] == "mean"


def test_observations_are_deterministic() -> None:
    claim = entry("classical.arthur_lockin")
    a = claim.observe({**claim.point({"p": 0.55})})
    b = claim.observe({**claim.point({"p": 0.55})})
    assert a.value == b.value
    draws = entry("C6.depth_2").observe({"phi": 0.4}).value
    assert np.array_equal(draws, entry("C6.depth_2").observe({"phi": 0.4}).value)
    assert isinstance(functools.partial, type)
