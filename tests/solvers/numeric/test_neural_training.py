"""Ensemble training of step-function learners, and the mixture of experts' tipping
observability against its slow-gate model (issue 13, part B)."""

from __future__ import annotations

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.errors import ModelError
from incentive_geometry.solvers.numeric.neural_training import tipping_scan, train_states
from incentive_geometry.theory.learners import neural


def test_training_is_seeded_and_bit_reproducible() -> None:
    L = neural.mixture_of_experts()
    a = train_states(L, n=6, steps=50, x0={"x": 0.7}, seed=11)
    b = train_states(L, n=6, steps=50, x0={"x": 0.7}, seed=11)
    c = train_states(L, n=6, steps=50, x0={"x": 0.7}, seed=12)
    assert np.array_equal(a.z, b.z) and not np.array_equal(a.z, c.z)
    # continuing from z0 is the same as one longer run only in distribution, but zero steps
    # from z0 return z0 itself
    d = train_states(L, n=6, steps=0, z0=a.z)
    assert np.array_equal(d.z, a.z)
    assert a.x.shape == (6, 1) and a.steps == 50


def test_per_learner_parameters_reach_the_step() -> None:
    # theta = 0 (always proxy) and theta = 1 (always true) pull the gate opposite ways.
    L = neural.mixture_of_experts(batch=32)
    run = train_states(L, n=2, steps=400, x0={"x": 0.5}, params={"theta": [0.0, 1.0]}, seed=0)
    assert run.x[0, 0] > 0.6 > 0.4 > run.x[1, 0]


def _finite_horizon_tip(L: object, horizon: float, x0: float = 0.9) -> float:
    # The slow-gate model's prediction for the same time eta * steps: the theta at which the
    # share, started at x0, is at one half at the end (bisection on ig.simulate).
    drift = L.drift  # type: ignore[attr-defined]
    lo, hi = 0.50, 0.62
    for _ in range(18):
        mid = 0.5 * (lo + hi)
        tr = ig.simulate(drift, x0={"x": x0}, t=(0.0, horizon), params={"theta": mid})
        lo, hi = (lo, mid) if tr.x[-1, 0] < 0.5 else (mid, hi)
    return 0.5 * (lo + hi)


def test_mixture_of_experts_tips_where_its_slow_gate_model_does() -> None:
    # Measured (100 learners per theta, grid step 0.0025, same horizon eta * steps = 600):
    # tip 0.5589, 0.5620, 0.5628, 0.5626 at eta = 0.4, 0.2, 0.1, 0.05 against the model's 0.5627
    # (docs/learners-neural.md). The canonical chord predicts 0.5631 and theta* = 0.5788.
    L = neural.mixture_of_experts()
    eta, steps = 0.4, 1500
    scan = tipping_scan(
        L,
        parameter="theta",
        values=[0.54, 0.55, 0.56, 0.57, 0.58],
        n=60,
        steps=steps,
        x0={"x": 0.9},
        params={"eta": eta},
        seed=0,
    )
    predicted = _finite_horizon_tip(L, eta * steps)
    assert predicted == pytest.approx(0.5627, abs=2e-3)
    assert scan.escaped[0] < 0.2 and scan.escaped[-1] > 0.8
    assert abs(scan.tip - predicted) < 0.01
    assert scan.tip_low <= scan.tip <= scan.tip_high
    th = neural.moe_thresholds({"alpha": 1.0, "decay": 0.5}, x0=0.9)
    assert th.theta_tip < predicted < th.theta_star  # a finite horizon tips later than T = inf


def test_mixture_of_experts_is_bistable_inside_the_window() -> None:
    # theta = 0.5 lies in (theta_low, theta*) = (0.25, 0.579): learners that start entrenched
    # stay entrenched, learners that start aligned stay aligned (history decides). (At 0.4 the
    # interior unstable point is near x = 0.1, and learners started there split.)
    L = neural.mixture_of_experts()
    hi = train_states(L, n=20, steps=1500, x0={"x": 0.9}, params={"theta": 0.5, "eta": 0.4})
    lo = train_states(L, n=20, steps=1500, x0={"x": 0.1}, params={"theta": 0.5, "eta": 0.4})
    assert hi.x.min() > 0.9 and lo.x.max() < 0.1


def test_errors_name_the_argument() -> None:
    L = neural.mixture_of_experts()
    with pytest.raises(ModelError, match="`params`"):
        train_states(L, n=2, steps=1, params={"beta": 1.0})
    with pytest.raises(ModelError, match="`x0`"):
        train_states(L, n=2, steps=1, x0={"y": 1.0})
    with pytest.raises(ModelError, match="shape"):
        train_states(L, n=2, steps=1, params={"theta": [0.1, 0.2, 0.3]})
    with pytest.raises(ModelError, match="increasing"):
        tipping_scan(L, parameter="theta", values=[0.5, 0.4], n=2, steps=1, x0={"x": 0.9})
    with pytest.raises(ModelError, match="`parameter`"):
        tipping_scan(L, parameter="b", values=[0.4, 0.5], n=2, steps=1, x0={"x": 0.9})
