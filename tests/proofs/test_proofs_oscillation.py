"""Claims that observe "oscillates": the observation, claims about the Brusselator's Hopf
condition (a true and a false one), and the catalogue's audit-cycle claim with its figure."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import pytest

import incentive_geometry as ig
from incentive_geometry.errors import ConvergenceError, ModelKindError
from incentive_geometry.proofs.catalogue import catalogue
from incentive_geometry.proofs.catalogue.oscillation import (
    audit_cycle_derivation,
    entries,
    hopf_rho,
)
from incentive_geometry.proofs.observe import oscillates

BRUSSELATOR = ig.Model.from_equations(
    {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
    parameters={
        "a": {"default": 1.0, "domain": "positive"},
        "b": {"default": 2.0, "domain": "positive"},
    },
    name="brusselator",
)


def near_equilibrium(values: Mapping[str, float]) -> dict[str, float]:
    return {"x": values["a"] + 0.1, "y": values["b"] / values["a"]}


def test_oscillates_true_false_and_undecided() -> None:
    seen = oscillates(BRUSSELATOR, {"a": 1.0, "b": 3.0}, x0=near_equilibrium)
    assert seen.value is True and "stable cycle" in seen.evidence
    assert oscillates(BRUSSELATOR, {"a": 1.0, "b": 1.5}, x0=near_equilibrium).value is False
    # Next to the Hopf point (b = 2) the spiral decays too slowly to tell within one short window.
    with pytest.raises(ConvergenceError, match="neither an equilibrium nor a stable cycle"):
        oscillates(
            BRUSSELATOR, {"a": 1.0, "b": 1.999}, x0=near_equilibrium, horizon=20.0, windows=1
        )
    logistic = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3.2}, time="discrete")
    with pytest.raises(ModelKindError):
        oscillates(logistic, {"r": 3.2}, x0={"x": 0.3})


def hopf_claim(prediction: str) -> ig.Claim:
    return ig.Claim(
        name="brusselator.oscillates",
        statement="The Brusselator oscillates exactly past its Hopf line.",
        model=BRUSSELATOR,
        prediction=prediction,
        observe=functools.partial(
            oscillates,
            BRUSSELATOR,
            x0=near_equilibrium,
            horizon=40.0,
            windows=3,
            n_points=1001,
            rtol=1e-6,
        ),
        domain={"a": (0.5, 1.5), "b": (1.0, 3.5)},
        boundary_tol=0.05,
    )


def test_true_hopf_condition_is_confirmed() -> None:
    report = ig.check(hopf_claim("b > 1 + a**2"), samples=12, seed=0, rays=0)
    assert report.verdict == "confirmed", report.reason
    assert (
        report.confusion.get("pred T / obs T", 0) >= 3
        and report.confusion.get("pred F / obs F", 0) >= 3
    )


def test_false_hopf_condition_is_refuted() -> None:
    # The trace's constant dropped: wrong wherever a**2 < b < 1 + a**2.
    report = ig.check(hopf_claim("b > a**2"), samples=12, seed=0, rays=0, max_counterexamples=1)
    assert report.verdict == "refuted", report.reason
    ce = report.counterexamples[0]
    a, b = ce.params["a"], ce.params["b"]
    assert a**2 < b < 1 + a**2
    assert ce.observed is False


def test_catalogue_lists_the_audit_cycle_and_its_derivation_is_verified() -> None:
    assert [e.claim.name for e in catalogue("oscillation")] == ["oscillation.audit_cycle"]
    steps = audit_cycle_derivation()
    assert len(steps) == 4 and all(s.verified for s in steps)
    _, rho_h, _ = hopf_rho()
    subs = {"alpha": 1.0, "b": 0.2, "gamma": 1.0, "c": 1.0, "kappa": 0.9}
    value = float(rho_h.subs({s: subs[s.name] for s in rho_h.free_symbols}))
    assert abs(value - 0.15037358745919) < 1e-12  # continuation's Hopf point (theory tests)


@pytest.mark.slow
def test_audit_cycle_claim_is_confirmed() -> None:
    entry = entries()[0]
    report = ig.check(entry.claim, samples=12, seed=0, rays=0)
    assert report.verdict == "confirmed", report.reason
    assert (
        report.confusion.get("pred T / obs T", 0) >= 2
        and report.confusion.get("pred F / obs F", 0) >= 2
    )


def test_audit_cycle_figure_is_drawn(tmp_path) -> None:
    from incentive_geometry.proofs.figures import FIGURES, audit_cycle

    assert FIGURES["audit_cycle"] is audit_cycle
    path = audit_cycle(tmp_path / "audit_cycle.png")
    assert path.stat().st_size > 20_000
