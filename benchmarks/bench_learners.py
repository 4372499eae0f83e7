"""Learner ensembles: steps per second of ``train`` against two baselines timed in the same run.

Cross learning on two routines (alpha = 1, theta = 0.4, b = 0.2, gamma = 1, c = 1, eta = 0.01,
start x = 0.9), measured in learner-steps per second:

* candidate: ``train`` on 10,000 learners for 2,000 steps (serial, default chunks, saving every
  100 steps), which compiles the outcome list once and draws one outcome per learner and step;
* per-learner Python loops over 200 learners for 2,000 steps: the same engine called once per
  learner (``train(n=1)``), and a hand-written pure-Python loop (``random.random``, floats), the
  way one would write a single learner by hand;
* a NumPy reference hand-written for this learner type only (two uniforms per learner and step,
  ``np.where`` on the two non-zero outcomes), 10,000 learners for 2,000 steps.

The three are checked to agree in distribution first (mean final share within 0.02).
"""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np

from incentive_geometry.solvers.numeric.train import train
from incentive_geometry.theory import learners

N, STEPS = 10_000, 2_000
N_LOOP = 200
P = {"alpha": 1.0, "theta": 0.4, "b": 0.2, "gamma": 1.0, "c": 1.0, "eta": 0.01}


def candidate() -> np.ndarray:
    run = train(
        learners.cross_learning(),
        n=N,
        steps=STEPS,
        params=P,
        x0={"x": 0.9},
        seed=0,
        save_every=100,
        executor="serial",
    )
    return run.final["x"]


def python_loop(n: int = N_LOOP) -> np.ndarray:
    rnd = random.Random(0)
    a, th, b, g, c, eta = (P[k] for k in ("alpha", "theta", "b", "gamma", "c", "eta"))
    out = np.empty(n)
    for i in range(n):
        x = 0.9
        for _ in range(STEPS):
            if rnd.random() < x:  # M drawn
                if rnd.random() >= th:  # proxy: reward alpha (b + gamma x)
                    x += eta * a * (b + g * x) * (1 - x)
            elif rnd.random() < th:  # A drawn and observed: reward c
                x -= eta * c * x
        out[i] = x
    return out


def engine_per_learner(n: int = N_LOOP) -> np.ndarray:
    L = learners.cross_learning()
    return np.array(
        [
            train(
                L,
                n=1,
                steps=STEPS,
                params=P,
                x0={"x": 0.9},
                seed=i,
                save_every=STEPS,
                executor="serial",
            ).final["x"][0]
            for i in range(n)
        ]
    )


def numpy_reference() -> np.ndarray:
    rng = np.random.default_rng(0)
    a, th, b, g, c, eta = (P[k] for k in ("alpha", "theta", "b", "gamma", "c", "eta"))
    x = np.full(N, 0.9)
    for _ in range(STEPS):
        u, v = rng.random(N), rng.random(N)
        m = u < x
        obs = v < th
        x = (
            x
            + np.where(m & ~obs, eta * a * (b + g * x) * (1 - x), 0.0)
            - np.where(~m & obs, eta * c * x, 0.0)
        )
    return x


def _best(fn: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def test_learner_steps_per_second(benchmark: Any) -> None:
    means = [
        float(candidate().mean()),
        float(numpy_reference().mean()),
        float(python_loop().mean()),
    ]
    assert max(means) - min(means) < 0.02, means
    t_loop = _best(python_loop, 2)
    t_engine = _best(engine_per_learner, 1)
    t_ref = _best(numpy_reference, 3)
    benchmark.pedantic(candidate, rounds=3, iterations=1, warmup_rounds=1)
    t_cand = benchmark.stats.stats.min
    rate_cand = N * STEPS / t_cand
    rate_ref = N * STEPS / t_ref
    rate_loop = N_LOOP * STEPS / t_loop
    rate_engine = N_LOOP * STEPS / t_engine
    benchmark.extra_info.update(
        {
            "learner_steps_per_s": rate_cand,
            "numpy_reference_steps_per_s": rate_ref,
            "python_loop_steps_per_s": rate_loop,
            "engine_per_learner_steps_per_s": rate_engine,
            "ratio_vs_engine_per_learner": rate_cand / rate_engine,
            "ratio_vs_python_loop": rate_cand / rate_loop,
            "ratio_vs_numpy_reference": rate_cand / rate_ref,
            "mean_final_x": means,
        }
    )
    print(
        f"train: {rate_cand / 1e6:.2f} M learner-steps/s; NumPy reference {rate_ref / 1e6:.2f} M/s "
        f"(ratio {rate_cand / rate_ref:.2f}); Python loop {rate_loop / 1e6:.3f} M/s "
        f"(ratio {rate_cand / rate_loop:.1f}x); engine per learner {rate_engine / 1e6:.3f} M/s "
        f"(ratio {rate_cand / rate_engine:.0f}x)"
    )
    assert rate_cand / rate_engine >= 100
    assert rate_cand / rate_loop >= 2
    assert rate_cand / rate_ref >= 0.25
