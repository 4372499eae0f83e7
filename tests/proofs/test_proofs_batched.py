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
