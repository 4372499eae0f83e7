"""C6 with selection and the multilevel-selection claim: true claims confirmed, planted false
ones refuted, on several seeds.

The fitted-chain observation is a Monte Carlo simulation of least-squares fits (never the
formula); the multilevel observation is the sign of the exact Moran fixation products at a tiny
selection intensity (never the threshold). The planted formulas are the plausible mistakes: the
coherent law ``cos(L acos(kappa))`` for independent drift, the independent law
``(kappa cos(phi))^L`` for coherent drift, kappa off by 5%, and the thresholds ``1 + m/n``,
``b/c > 1`` and the many-groups ``1 + n/m`` at finite ``m``.
"""

from __future__ import annotations

import dataclasses

import pytest
import sympy

import incentive_geometry as ig
import incentive_geometry.theory.biology as biology
from incentive_geometry.language import parse_expression
from incentive_geometry.proofs.catalogue import Entry, depth, selection
from incentive_geometry.proofs.catalogue.depth import kappa_text

SEEDS = (0, 1, 2)


def _entry(name: str) -> Entry:
    (entry,) = [e for e in (*depth.entries(), *selection.entries()) if e.claim.name == name]
    return entry


def _claim(name: str) -> ig.Claim:
    return _entry(name).claim


def _planted(name: str, prediction: str) -> ig.Claim:
    return dataclasses.replace(_claim(name), name=name + ".planted", prediction=prediction)


FITTED = [e.claim.name for e in depth.entries() if e.claim.name.startswith("C6.fitted.")]
SLOW = pytest.mark.slow  # the full grid; a fast subset runs by default


def _grid(values: list[object], fast: set[object]) -> list[object]:
    """`values` as parameters, those outside `fast` marked slow."""
    return [v if v in fast else pytest.param(v, marks=SLOW) for v in values]


FAST_FITTED = {"C6.fitted.independent_1", "C6.fitted.independent_8", "C6.fitted.coherent_4"}


def test_fitted_claims_are_listed_and_identity_claims_say_so() -> None:
    assert FITTED == [
        "C6.fitted.independent_1",
        "C6.fitted.independent_2",
        "C6.fitted.independent_4",
        "C6.fitted.independent_8",
        "C6.fitted.coherent_2",
        "C6.fitted.coherent_4",
        "C6.fitted.coherent_8",
    ]
    for e in depth.entries():
        if e.claim.name.startswith("C6.depth_"):
            assert "exact identity" in e.reading
        else:
            assert e.claim.observer == "Monte Carlo simulation of the fitted chain"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", _grid(list(FITTED), FAST_FITTED))
def test_fitted_claims_confirmed(name: str, seed: int) -> None:
    report = ig.check(_claim(name), samples=24, seed=seed)
    assert report.verdict == "confirmed", report.reason


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("levels", _grid([2, 4, 8], {4}))
def test_coherent_law_for_independent_drift_refuted(levels: int, seed: int) -> None:
    claim = _planted(f"C6.fitted.independent_{levels}", f"cos({levels}*acos({kappa_text()}))")
    assert ig.check(claim, samples=16, seed=seed).verdict == "refuted"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("levels", _grid([2, 4, 8], {2}))
def test_independent_law_for_coherent_drift_refuted(levels: int, seed: int) -> None:
    claim = _planted(f"C6.fitted.coherent_{levels}", f"(({kappa_text()})*cos(phi))**{levels}")
    assert ig.check(claim, samples=16, seed=seed).verdict == "refuted"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("factor", ["1.05", "0.95"])
@pytest.mark.parametrize("levels", _grid([1, 2, 4, 8], {1}))
def test_kappa_off_by_five_percent_refuted(levels: int, factor: str, seed: int) -> None:
    claim = _planted(f"C6.fitted.independent_{levels}", f"({factor}*({kappa_text()}))**{levels}")
    assert ig.check(claim, samples=16, seed=seed).verdict == "refuted"


# -- multilevel selection ---------------------------------------------------------------------

SELECTION = [e.claim.name for e in selection.entries()]
FAST_SELECTION = {"selection.traulsen_nowak_n4_m8", "selection.traulsen_nowak_n5_m3"}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", _grid(list(SELECTION), FAST_SELECTION))
def test_multilevel_threshold_confirmed_with_both_classes(name: str, seed: int) -> None:
    report = ig.check(_claim(name), samples=48, seed=seed)
    assert report.verdict == "confirmed", report.reason
    assert report.confusion.get("pred T / obs T", 0) > 0
    assert report.confusion.get("pred F / obs F", 0) > 0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", _grid(list(SELECTION), {"selection.traulsen_nowak_n10_m12"}))
@pytest.mark.parametrize(
    "wrong", ["b/c > 1 + m/n", "b/c > 1", "b/c > 1 + n/m", "b/c > 1.01*(1 + n/(m - 2))"]
)
def test_multilevel_planted_thresholds_refuted(name: str, wrong: str, seed: int) -> None:
    assert ig.check(_planted(name, wrong), samples=48, seed=seed).verdict == "refuted"


def test_multilevel_observation_does_not_use_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> float:
        raise AssertionError("the observation used the threshold formula")

    monkeypatch.setattr(biology, "traulsen_nowak_threshold", forbidden)
    claim = _claim("selection.traulsen_nowak_n4_m8")
    # b/c = 1.7 just above 1 + 4/6 = 1.667, and 1.6 just below.
    assert claim.observe({"b": 1.7, "c": 1.0}).value is True
    assert claim.observe({"b": 1.6, "c": 1.0}).value is False


@pytest.mark.parametrize(("n", "m"), selection.GROUPS)
def test_multilevel_derivation_is_verified_and_certified(n: int, m: int) -> None:
    steps = selection.derivation(n, m)
    assert [s.verified for s in steps] == [True, True, True]
    assert steps[-1].certificate == "proved"
    # The symbolic coefficient agrees with the 60-digit numerical gradient of the products.
    text = steps[1].detail.split(" = ")[2]
    b, c = sympy.Symbol("b", real=True), sympy.Symbol("c", real=True)
    coefficient = parse_expression(text, {"b": b, "c": c})
    numeric = biology.traulsen_nowak_selection_gradient(b=2.5, c=0.8, n=n, m=m)
    assert float(coefficient.subs({b: 2.5, c: 0.8})) == pytest.approx(numeric, rel=1e-12)
