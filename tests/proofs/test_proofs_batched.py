"""Batched observations: the same verdicts as one observation per sample, failed members are
failed points, and the simulation observers agree with exact values."""

from __future__ import annotations

import functools
import math
from typing import Any

import pytest

import incentive_geometry as ig
from incentive_geometry.errors import ConvergenceError
from incentive_geometry.proofs.check import BATCH_ENV, _map_observations, _samples
from incentive_geometry.proofs.claims import Observation
from incentive_geometry.proofs.observe import (
    BATCHED,
    batch_for,
    count_stable,
    falls_below,
    interior_unstable,
    returns,
    threshold_gap,
)
from incentive_geometry.theory import entrenchment

DOMAIN = {
    "alpha": (0.2, 3.0),
    "theta": (0.0, 0.98),
    "b": (0.0, 1.0),
    "gamma": (0.0, 2.0),
    "c": (0.1, 2.0),
}
WINDOW = "alpha*(1 - theta)*b < theta*c and alpha*(1 - theta)*(b + gamma) > theta*c"


def _claim(observe: Any, prediction: str = WINDOW, **kw: Any) -> ig.Claim:
    return ig.Claim(
        name="t",
        statement="",
        model=entrenchment(),
        prediction=prediction,
        observe=observe,
        domain=DOMAIN,
        **kw,
    )


@pytest.mark.parametrize("fn", [count_stable, interior_unstable])
def test_batched_equilibria_give_the_per_sample_verdicts(
    fn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = _claim(functools.partial(fn, entrenchment()))
    points = [c.point(p) for p in _samples(c, 64, 5)]
    batched = _map_observations(c, points, None)
    monkeypatch.setenv(BATCH_ENV, "0")
    single = _map_observations(c, points, None)
    assert [(a[0], a[1]) for a in batched] == [(b[0], b[1]) for b in single]
    # and both agree with the window of DESIGN.md (derived by hand, not by the toolkit)
    assert all(v == c.predict(p) for p, (_, v, _) in zip(points, batched, strict=True))


def test_a_member_that_fails_is_a_failed_point_and_the_rest_are_judged() -> None:
    m = entrenchment()

    def many(points: list[dict[str, float]]) -> list[object]:
        return [ConvergenceError("no") if p["theta"] > 0.5 else Observation(True) for p in points]

    # A batch attribute on a partial's function is honoured like an entry of BATCHED.
    def observe_fn(model: object, values: dict[str, float]) -> Observation:
        raise AssertionError("not called")

    observe_fn.batch = lambda model, pts: many(pts)  # type: ignore[attr-defined]
    c = _claim(functools.partial(observe_fn, m), prediction="theta < 2")
    rep = ig.check(c, samples=64, seed=0, rays=0)
    share_failed = rep.failed / (rep.failed + rep.evaluated)
    assert rep.failed > 0 and rep.verdict == "inconclusive" and share_failed > 0.05
    assert "fewer than 95%" in rep.rule


def test_batch_for_unwraps_partials_only() -> None:
    assert batch_for(len) is None
    assert batch_for(functools.partial(count_stable, entrenchment())) is not None
    assert count_stable in BATCHED


def test_returns_decides_stability_by_simulation_as_the_exact_eigenvalue_says() -> None:
    m = entrenchment()
    # Exact: x = 1 is stable iff G(1) = alpha (1 - theta)(b + gamma) - theta c > 0; theta* = 6/11.
    theta_star = 6 / 11
    for theta, stable in ((theta_star - 1e-5, True), (theta_star + 1e-5, False)):
        assert returns(m, {"x": 1.0}, {"theta": theta}).value is stable
    with pytest.raises(ConvergenceError, match="not an equilibrium"):
        returns(m, {"x": 0.5}, {"theta": 0.3})


def test_threshold_gap_is_the_hysteresis_width_to_1e_8() -> None:
    m = entrenchment()
    values = {"alpha": 1.3, "b": 0.35, "gamma": 0.9, "c": 0.7}
    a, b, g, c = 1.3, 0.35, 0.9, 0.7
    exact = a * (b + g) / (a * (b + g) + c) - a * b / (a * b + c)  # DESIGN.md: undo - prevent
    seen = threshold_gap(m, {"x": 1.0}, {"x": 0.0}, "theta", values)
    assert math.isclose(seen.value, exact, rel_tol=0, abs_tol=1e-8), (seen.value, exact)


def test_falls_below_agrees_with_theta_star() -> None:
    m = entrenchment()
    theta_star = 6 / 11  # defaults alpha = 1, b = 0.2, gamma = 1, c = 1
    assert falls_below(m, {"x": 0.999}, {"theta": theta_star + 0.02}, state="x", level=0.5).value
    assert not falls_below(
        m, {"x": 0.999}, {"theta": theta_star - 0.02}, state="x", level=0.5
    ).value


def test_batched_simulation_observers_confirm_the_c1_and_c5_claims() -> None:
    m = entrenchment()
    stable = _claim(
        functools.partial(returns, m, {"x": 1.0}),
        prediction="alpha*(1 - theta)*(b + gamma) > theta*c",
    )
    rep = ig.check(stable, samples=64, seed=1)
    assert rep.verdict == "confirmed" and rep.failed == 0, rep.reason
    theta_star = "alpha*(b + gamma)/(alpha*(b + gamma) + c)"
    width = ig.Claim(
        name="w",
        statement="",
        model=m,
        kind="value",
        tolerance=1e-6,
        prediction=f"{theta_star} - alpha*b/(alpha*b + c)",
        domain={k: v for k, v in DOMAIN.items() if k != "theta"},
        constraints=("alpha*gamma > 0.05",),
        observe=functools.partial(threshold_gap, m, {"x": 1.0}, {"x": 0.0}, "theta"),
    )
    rep = ig.check(width, samples=16, seed=2)
    assert rep.verdict == "confirmed", rep.reason
    wrong = ig.Claim(
        name="w2",
        statement="",
        model=m,
        kind="value",
        tolerance=1e-6,
        prediction=f"1.001*({theta_star}) - alpha*b/(alpha*b + c)",
        domain=width.domain,
        constraints=width.constraints,
        observe=width.observe,
    )
    assert ig.check(wrong, samples=16, seed=2).verdict == "refuted"


# -- the batched catalogue observers (urn, map, replicator) ----------------------------------


def test_batched_urn_is_the_per_point_urn_draw_for_draw() -> None:
    from incentive_geometry.proofs.catalogue.classical import urn_limits
    from incentive_geometry.theory import polya_urn

    m = polya_urn()
    points = [{"alpha": a} for a in (2.0, 2.7, 3.9, 1.5)] + [{"alpha": 0.5}]
    many = batch_for(functools.partial(urn_limits, m, draws=400, runs=30))
    assert many is not None
    got = many(points)
    for p, g in zip(points, got, strict=True):
        one = urn_limits(m, p, draws=400, runs=30)
        assert (g.value, g.evidence) == (one.value, one.evidence)
    # Hill-Lane-Sudderth: for alpha > 1 the share tends to 0 or 1; at alpha >= 2 every run is
    # within 0.1 of one after 400 draws (slower near alpha = 1 and for alpha < 1, limit 1/2).
    assert all(g.value == (30, 30) for g in got[:3])


def test_batched_urn_fails_a_member_without_alpha_alone() -> None:
    from incentive_geometry.proofs.catalogue.classical import _urn_limits_many
    from incentive_geometry.theory import polya_urn

    got = _urn_limits_many(polya_urn(), [{"alpha": 3.0}, {}], draws=50, runs=4)
    assert isinstance(got[1], KeyError) and got[0].value[1] == 4


def test_batched_map_is_the_per_point_map_and_the_exact_threshold() -> None:
    from incentive_geometry.proofs.catalogue.classical import map_converges
    from incentive_geometry.theory import multiplicative_weights

    m = multiplicative_weights()
    # Exact (Chotibut et al. 2020): b is stable iff a < 2 / (b (1 - b)); points 10% off it.
    points = [
        {"a": f * 2 / (b * (1 - b)), "b": b} for b in (0.2, 0.5, 0.7) for f in (0.9, 1.1, 0.3)
    ]
    many = batch_for(functools.partial(map_converges, m))
    assert many is not None
    got = many(points)
    for p, g in zip(points, got, strict=True):
        one = map_converges(m, p)
        assert (g.value, g.evidence) == (one.value, one.evidence)
        assert g.value is (p["a"] < 2 / (p["b"] * (1 - p["b"])))


def test_batched_replicator_agrees_with_win_over_loss() -> None:
    from incentive_geometry.proofs.catalogue.classical import rps_centre_attracts
    from incentive_geometry.theory import rock_paper_scissors

    m = rock_paper_scissors()
    # Hofbauer-Sigmund 7.7: the centre attracts iff win > loss (1% off the neutral game here).
    points = [{"win": w, "loss": w * f} for w in (0.3, 1.0, 1.9) for f in (0.99, 1.01, 0.5, 2.0)]
    many = batch_for(functools.partial(rps_centre_attracts, m))
    assert many is not None
    for p, g in zip(points, many(points), strict=True):
        assert g.value is (p["win"] > p["loss"]) is rps_centre_attracts(m, p).value


@pytest.mark.slow
def test_the_batched_classical_report_is_the_same_serial_and_on_two_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from incentive_geometry.proofs.report import verify

    runs = []
    for workers in ("1", "2"):
        monkeypatch.setenv("INCENTIVE_GEOMETRY_SYMBOLIC_WORKERS", workers)
        reports = verify(samples=16, only="classical.", figures=False).reports
        runs.append([{k: v for k, v in r.to_dict().items() if k != "seconds"} for r in reports])
    assert runs[0] == runs[1]
