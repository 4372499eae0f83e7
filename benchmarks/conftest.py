"""Shared helper: every speed figure is a ratio against a baseline timed in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Benchmarks run in one process: pytest-benchmark switches itself off under pytest-xdist,
    which the test run's ``addopts`` turn on (``-n auto``)."""
    if getattr(config.option, "numprocesses", None):
        config.option.numprocesses = 0


def best_time(fn: Callable[[], Any], *, repeat: int = 5, min_time: float = 0.05) -> float:
    """Best wall time of `fn` over `repeat` rounds (each round loops until `min_time`)."""
    best = float("inf")
    for _ in range(repeat):
        loops, start = 0, time.perf_counter()
        while True:
            fn()
            loops += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        best = min(best, elapsed / loops)
    return best


@pytest.fixture
def ratio(benchmark: Any) -> Callable[..., float]:
    """Time `candidate` with pytest-benchmark and `baseline` in the same session; return the
    speed-up baseline_time / candidate_time, recorded in the benchmark's extra_info.

    Usage: ``speedup = ratio(candidate, baseline, name="vs sympy.solve", repeat=3)``.
    Inputs must be built inside the callables so that every round does the full work.
    """

    def run(
        candidate: Callable[[], Any],
        baseline: Callable[[], Any],
        *,
        name: str = "baseline",
        repeat: int = 5,
        rounds: int = 5,
    ) -> float:
        base = best_time(baseline, repeat=repeat)
        benchmark.pedantic(candidate, rounds=rounds, iterations=1, warmup_rounds=1)
        cand = benchmark.stats.stats.min
        speedup = base / cand
        benchmark.extra_info[f"baseline_s[{name}]"] = base
        benchmark.extra_info[f"ratio[{name}]"] = speedup
        return speedup

    return run
