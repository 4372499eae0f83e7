"""Compiled continuation kernels against plain root solves at the same points (issue 18).

Continuation
    The Lorenz branch C+ (sigma = 10, beta = 8/3) for r in [0.5, 30] from C+ at r = 10 (it
    passes the Hopf point r = 470/19 and ends on the origin's branch at the pitchfork r = 1),
    and the origin's branch for r in [0, 30] (pitchfork at r = 1). Candidate:
    ``ig.continuation(..., compiled=True)`` with the kernel already compiled (its compile and
    cached-load costs are measured separately below). Baseline, the issue's: at the same r
    values, ``scipy.optimize.root`` (hybr) warm-started from the previous point, with the
    analytic Jacobian, and ``numpy.linalg.eigvals`` at each point; it detects and locates
    nothing. Also timed: the NumPy walk (``compiled=False``), the path without numba.
    Asserted: the same branch (points to 1e-10) and bifurcations by both paths, each at its
    exact value to 1e-10, and the compiled run at least 2x faster than the baseline.

Compile cost
    First call of :func:`continuation_kernel` on a new model in a fresh interpreter with an
    empty cache folder (numba compiles everything), and in a second interpreter (it loads the
    machine code numba cached there).

Wrapper
    One single-point call of ``compile_model(m).rhs`` against the raw lambdified NumPy function
    on NumPy scalars, and against the generated ``branch_F`` compiled by numba, called from
    Python.

Run: ``pytest benchmarks/bench_compiled.py -p no:cacheprovider -s``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy.optimize import root

import incentive_geometry as ig
from incentive_geometry.solvers.numeric import kernels
from incentive_geometry.solvers.numeric.compile import _lambdify, compile_model

pytest.importorskip("numba")

SIGMA, BETA = 10.0, 8 / 3
HOPF = SIGMA * (SIGMA + BETA + 3) / (SIGMA - BETA - 1)  # 470/19


def lorenz() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "sigma*(y - x)", "y": "x*(r - z) - y", "z": "x*y - beta*z"},
        parameters={"sigma": SIGMA, "r": 10.0, "beta": BETA},
        name="lorenz",
    )


def root_at(r_values: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """The issue's baseline: warm-started hybr with the analytic Jacobian, eigenvalues at each point."""
    x = x0.copy()
    out = np.empty((len(r_values), 3))
    for k, r in enumerate(r_values):

        def F(v: np.ndarray, r: float = float(r)) -> np.ndarray:
            return np.array(
                [SIGMA * (v[1] - v[0]), v[0] * (r - v[2]) - v[1], v[0] * v[1] - BETA * v[2]]
            )

        def J(v: np.ndarray, r: float = float(r)) -> np.ndarray:
            return np.array([[-SIGMA, SIGMA, 0.0], [r - v[2], -1.0, -v[0]], [v[1], v[0], -BETA]])

        x = root(F, x, jac=J, method="hybr", options={"xtol": 1e-12}).x
        out[k] = x
        np.linalg.eigvals(J(x))
    return out


CASES = {
    # name: (x0, p_range, exact bifurcations {kind: [values]})
    # C+ from r = 10 both ways: down to the pitchfork at r = 1, where it goes on as C-.
    "C+": (
        [math.sqrt(BETA * 9), math.sqrt(BETA * 9), 9.0],
        (0.5, 30.0),
        {"hopf": [HOPF, HOPF], "pitchfork": [1.0]},
    ),
    "origin": ([0.0, 0.0, 0.0], (0.0, 30.0), {"pitchfork": [1.0]}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_compiled_continuation_vs_root(
    case: str, ratio: Callable[..., float], benchmark: Any
) -> None:
    m = lorenz()
    x0, p_range, exact = CASES[case]
    assert kernels.continuation_kernel(m) is not None

    def run(compiled: bool) -> ig.Branch:
        return ig.continuation(
            m, "r", x0=x0, params={"r": 10.0}, p_range=p_range, compiled=compiled
        )

    fast, slow = run(True), run(False)
    # The same branch and bifurcations by both paths, at their exact values.
    assert len(fast.p) == len(slow.p) and np.abs(fast.x - slow.x).max() < 1e-10
    errors = {}
    for br in (fast, slow):
        assert sorted(b.kind for b in br.bifurcations) == sorted(
            k for k, v in exact.items() for _ in v
        )
        for b in br.bifurcations:
            err = min(abs(b.p - v) for v in exact[b.kind])
            assert err < 1e-10, (b, err)
            errors[b.kind] = max(errors.get(b.kind, 0.0), err)
    # The baseline at the same r values, in the order of the branch, each solve warm-started
    # from the previous one's solution.
    r_values, start = fast.p.copy(), fast.x[0].copy()
    numpy_walk = min(timeit.repeat(lambda: run(False), number=1, repeat=3))
    speedup = ratio(
        lambda: run(True),
        lambda: root_at(r_values, start),
        name="root at the same points",
        repeat=3,
        rounds=7,
    )
    t_fast = benchmark.stats.stats.min
    benchmark.extra_info.update(
        points=len(fast.p),
        numpy_walk_s=numpy_walk,
        ratio_numpy_walk=numpy_walk / t_fast,
        location_errors=errors,
    )
    print(
        f"\nLorenz {case}: {len(fast.p)} points; compiled {t_fast * 1e3:.1f} ms "
        f"({t_fast / len(fast.p) * 1e6:.1f} us/point), root baseline {speedup:.2f}x slower, "
        f"NumPy walk {numpy_walk * 1e3:.1f} ms ({numpy_walk / t_fast:.1f}x slower); location "
        f"errors {errors}"
    )
    assert speedup >= 2.0


_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import incentive_geometry as ig
from incentive_geometry.solvers.numeric.kernels import continuation_kernel
m = ig.Model.from_equations({"x": "sigma*(y - x)", "y": "x*(r - z) - y", "z": "x*y - beta*z"},
                            parameters={"sigma": 10.0, "r": 10.0, "beta": 8 / 3}, name="lorenz")
t1 = time.perf_counter()
k = continuation_kernel(m)
print(json.dumps({"kernel_s": time.perf_counter() - t1, "import_s": t1 - t0}))
"""


def test_compile_and_cached_load(benchmark: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, kernels.CACHE_ENV: folder}
        env.pop(kernels.NO_NUMBA_ENV, None)
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", _PROBE],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            for _ in range(2)
        ]
    benchmark.extra_info.update(compile_s=runs[0]["kernel_s"], cached_load_s=runs[1]["kernel_s"])
    print(
        f"\nkernel of Lorenz: first call {runs[0]['kernel_s']:.1f} s (compile), cached load "
        f"{runs[1]['kernel_s']:.2f} s"
    )
    benchmark.pedantic(lambda: None, rounds=1)


def test_single_point_call_overhead(benchmark: Any) -> None:
    m = lorenz()
    cm = compile_model(m)
    raw = _lambdify([*m.states, *m.parameter_symbols], list(m.rhs))
    kern = kernels.continuation_kernel(m)
    assert kern is not None
    mod = sys.modules[f"_ig_kernel_{kern.path.stem.removeprefix('ig_kernel_')}"]
    x, p, out = np.array([1.0, 2.0, 3.0]), np.array([SIGMA, 10.0, BETA]), np.empty(3)
    n = 20000

    def per_call(fn: Callable[[], Any]) -> float:
        return min(timeit.repeat(fn, number=n, repeat=7)) / n * 1e6

    figures = {
        "wrapped_rhs_us": per_call(lambda: cm.rhs(x, p)),
        "wrapped_jac_us": per_call(lambda: cm.jac(x, p)),
        "raw_lambdified_us": per_call(lambda: raw(*x, *p)),
        "numba_branch_F_us": per_call(lambda: mod.branch_F(x, p, out)),
    }
    benchmark.extra_info.update(figures)
    print("\nsingle-point calls: " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))
    benchmark.pedantic(lambda: cm.rhs(x, p), rounds=1)
