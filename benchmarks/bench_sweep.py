"""Sweep throughput and Dask scaling, each as a ratio against a baseline timed in the same run.

* Brusselator, 10^5 parameter points, no cycle probe: `ig.sweep` against a naive per-point loop
  (`scipy.optimize.root`, then `numpy.linalg.eigvals`) and against a hand-vectorized NumPy
  reference (equilibrium (a, b/a), stacked 2x2 Jacobians, one `eigvals` call), the practical limit.
  Targets: at least 30x the naive loop and at least half the reference.
* Brusselator, 10^6 (and, marked slow, 10^7) points: `ig.sweep` (the fused compiled kernel,
  `solvers/numeric/sweep_fused.py`) against the trace/det limit, ``tr < 0 and det > 0`` on the
  closed-form equilibrium in NumPy, and in numba when installed. Target (issue 18): within 2x of
  the NumPy trace/det reference (session 8: 1.2x-1.5x at 10^6 in a fresh process, 1.94x after
  the Dask benchmark has warmed the allocator for the reference; 1.2x at 10^7).
* n x n stability decisions, 10^6 points: vectorized Routh-Hurwitz from stacked Jacobians
  (`solvers/numeric/hurwitz.py`) against a hand-written Hurwitz reference on closed-form
  coefficients (Lorenz at C+ for n = 3; a 5-variable linear chain with feedback for n = 5) and
  against stacked eigvals (recorded: the building block, not a sweep).
* n x n sweeps (n = 3, 5), 10^6 points, ``eigenvalues=False``: `ig.sweep` against a hand-written
  vectorized Hurwitz reference doing the sweep's job (every equilibrium in closed form, its
  Jacobian entries, the coefficients by hand, the Hurwitz conditions). Target (issue 18): within
  2x, asserted for both. Session 8: n = 3 (Lorenz: three equilibria, two checked closed forms
  with residuals) at 1.4x-1.9x, n = 5 at 0.8x-0.9x.
* A sweep heavy enough to need it (Newton from many starts on every point) on a Dask LocalCluster
  with 2 workers against 1 worker. Target: at least 1.6x.

Run: ``pytest benchmarks/bench_sweep.py -p no:cacheprovider``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import root

import incentive_geometry as ig

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
N_POINTS = 100_000


def brusselator() -> ig.Model:
    return ig.load_model(EXAMPLES / "brusselator.toml")


def grid(n: int) -> dict[str, np.ndarray]:
    side = round(n**0.5)
    return {"a": np.linspace(0.5, 2.0, side), "b": np.linspace(0.1, 5.0, side)}


def naive_points_per_second(n_points: int = 2_000) -> float:
    """The per-point loop: root finding then eigenvalues, one point at a time."""
    axes = grid(n_points)
    A, B = np.meshgrid(axes["a"], axes["b"], indexing="ij")
    start = time.perf_counter()
    for a, b in zip(A.ravel(), B.ravel(), strict=True):

        def f(z: np.ndarray, a: float = a, b: float = b) -> list[float]:
            x, y = z
            return [a - (b + 1) * x + x * x * y, b * x - x * x * y]

        def jac(z: np.ndarray, a: float = a, b: float = b) -> list[list[float]]:
            x, y = z
            return [[-(b + 1) + 2 * x * y, x * x], [b - 2 * x * y, -x * x]]

        sol = root(f, [a, b / a + 0.1], jac=jac)
        np.linalg.eigvals(np.array(jac(sol.x)))
    return A.size / (time.perf_counter() - start)


def reference(axes: dict[str, np.ndarray]) -> np.ndarray:
    """The hand-vectorized reference: closed-form equilibrium, stacked Jacobians, one eigvals."""
    A, B = np.meshgrid(axes["a"], axes["b"], indexing="ij")
    a, b = A.ravel(), B.ravel()
    x, y = a, b / a
    J = np.empty((a.size, 2, 2))
    J[:, 0, 0] = -(b + 1) + 2 * x * y
    J[:, 0, 1] = x * x
    J[:, 1, 0] = b - 2 * x * y
    J[:, 1, 1] = -x * x
    eig = np.linalg.eigvals(J)
    return np.max(eig.real, axis=1) < 0


def test_sweep_throughput_brusselator(benchmark: Any, ratio: Callable[..., float]) -> None:
    m = brusselator()
    axes = grid(N_POINTS)
    cold_start = time.perf_counter()
    first = ig.sweep(m, axes, executor="serial", chunk_size=N_POINTS)
    cold = time.perf_counter() - cold_start
    assert first.method == "closed_form", first.notes
    # The map agrees with the reference everywhere off the Hopf line.
    A, B = np.meshgrid(axes["a"], axes["b"], indexing="ij")
    away = np.abs(B - 1 - A**2).ravel() > 1e-9
    assert np.array_equal(first.stable.any(axis=1)[away], reference(axes)[away])

    # Without the cycle probe (`cycles=False`): neither baseline looks for periodic orbits.
    # The probe is a simulation of at most `max_probes` points, whatever the grid's size
    # (beyond the Hopf line it costs about 1 s here); it is timed apart, for the record.
    def candidate() -> None:
        ig.sweep(m, axes, executor="serial", chunk_size=N_POINTS, cycles=False)

    speedup_vs_reference = ratio(candidate, lambda: reference(axes), name="hand-vectorized")
    naive = naive_points_per_second()
    sweep_rate = N_POINTS / benchmark.stats.stats.min
    start = time.perf_counter()
    with_probe = ig.sweep(m, axes, executor="serial", chunk_size=N_POINTS)
    benchmark.extra_info.update(
        {
            "points": N_POINTS,
            "sweep_points_per_s": sweep_rate,
            "naive_points_per_s": naive,
            "ratio[naive loop]": sweep_rate / naive,
            "cold_first_call_s": cold,
            "with_cycle_probe_s": time.perf_counter() - start,
        }
    )
    assert "stable cycle" in with_probe.counts  # the probe ran, and found the Hopf cycle
    assert sweep_rate / naive >= 30, f"{sweep_rate / naive:.1f}x the naive loop (target 30x)"
    assert speedup_vs_reference >= 0.5, (
        f"{speedup_vs_reference:.2f} of the hand-vectorized reference (target 0.5)"
    )


@pytest.mark.slow
def test_dask_scaling_two_workers_over_one(benchmark: Any) -> None:
    distributed = pytest.importorskip("dask.distributed")
    # One BLAS thread per worker process, for both runs: two workers with two BLAS threads each
    # would oversubscribe the two cores and measure contention, not scaling.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    m = ig.load_model(EXAMPLES / "entrenchment.toml")
    # Heavy: Newton from 64 starts at each of 90,000 points (22,500 were enough before the
    # shared Newton solver made the numeric sweep 5x faster; then the serial parts dominated).
    axes = {"theta": np.linspace(0, 1, 300), "gamma": np.linspace(0, 2, 300)}

    def timed(workers: int) -> float:
        with (
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            # Warm the workers (imports, compilation) before timing.
            ig.sweep(
                m,
                {"theta": axes["theta"][:4], "gamma": axes["gamma"][:4]},
                method="numeric",
                n_starts=64,
                executor=client,
                chunk_size=2,
            )
            start = time.perf_counter()
            ig.sweep(m, axes, method="numeric", n_starts=64, executor=client, chunk_size=4_000)
            return time.perf_counter() - start

    one = timed(1)
    two_s = benchmark.pedantic(lambda: timed(2), rounds=1, iterations=1)
    scaling = one / two_s
    benchmark.extra_info.update(
        {"one_worker_s": one, "two_workers_s": two_s, "ratio[2 over 1]": scaling}
    )
    assert scaling >= 1.6, f"2 workers are {scaling:.2f}x 1 worker (target 1.6x)"


def trace_det_reference(axes: dict[str, np.ndarray]) -> np.ndarray:
    """The limit of a 2x2 stability decision: trace and determinant of the closed-form
    Jacobian at (a, b/a), vectorized in NumPy."""
    A, B = np.meshgrid(axes["a"], axes["b"], indexing="ij")
    a, b = A.ravel(), B.ravel()
    x, y = a, b / a
    j00, j01, j10, j11 = -(b + 1) + 2 * x * y, x * x, b - 2 * x * y, -x * x
    return (j00 + j11 < 0) & (j00 * j11 - j01 * j10 > 0)


def decide_available() -> bool:
    """Whether the compiled kernels can run (numba installed and not switched off): the
    targets are for the compiled route."""
    from incentive_geometry.solvers.numeric.kernels import numba_enabled

    return numba_enabled()


def _numba_reference() -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=False)
    def decide(a_axis: np.ndarray, b_axis: np.ndarray) -> np.ndarray:
        out = np.empty(a_axis.size * b_axis.size, dtype=np.bool_)
        k = 0
        for a in a_axis:
            for b in b_axis:
                x, y = a, b / a
                j00, j01, j10, j11 = -(b + 1) + 2 * x * y, x * x, b - 2 * x * y, -x * x
                out[k] = (j00 + j11 < 0) and (j00 * j11 - j01 * j10 > 0)
                k += 1
        return out

    return decide


@pytest.mark.parametrize(
    "n_points", [10**6, pytest.param(10**7, marks=pytest.mark.slow)], ids=["1e6", "1e7"]
)
def test_sweep_against_trace_det(
    benchmark: Any, ratio: Callable[..., float], n_points: int
) -> None:
    m = brusselator()
    axes = grid(n_points)
    # compiled=True builds the fused kernel here, outside the timing (once per machine: it is
    # cached on disk); the timed sweeps take it as a ready kernel (compiled=None).
    sm = ig.sweep(m, axes, executor="serial", chunk_size=n_points, cycles=False, compiled=True)
    A, B = np.meshgrid(axes["a"], axes["b"], indexing="ij")
    away = np.abs(B - 1 - A**2).ravel() > 1e-9
    assert np.array_equal(sm.stable.any(axis=1)[away], trace_det_reference(axes)[away])
    del sm, A, B, away

    def candidate() -> None:
        ig.sweep(m, axes, executor="serial", chunk_size=n_points, cycles=False)

    speedup = ratio(
        candidate, lambda: trace_det_reference(axes), name="trace/det numpy", repeat=3, rounds=3
    )
    benchmark.extra_info["sweep_over_trace_det"] = 1.0 / speedup
    if decide_available():
        assert 1.0 / speedup <= 2.0, f"sweep at {1 / speedup:.2f}x the trace/det reference"
    # The NumPy route of the same sweep (no numba kernel), for the record.
    start = time.perf_counter()
    ig.sweep(m, axes, executor="serial", chunk_size=n_points, cycles=False, compiled=False)
    benchmark.extra_info["numpy_route_s"] = time.perf_counter() - start
    decide = _numba_reference()
    if decide is not None:
        decide(axes["a"][:2], axes["b"][:2])  # compile outside the timing
        start = time.perf_counter()
        decide(axes["a"], axes["b"])
        benchmark.extra_info["baseline_s[trace/det numba]"] = time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# n x n stability decisions (n = 3, 5): vectorized Routh-Hurwitz against a hand-written
# Hurwitz reference and against stacked eigenvalues (issue 18)

N_HURWITZ = 10**6
BETA = 8 / 3
CHAIN_K = (1.0, 1.5, 2.0, 2.5, 3.0)


def _lorenz_params() -> tuple[np.ndarray, np.ndarray]:
    side = round(N_HURWITZ**0.5)
    s, r = np.meshgrid(np.linspace(4, 20, side), np.linspace(1.5, 60, side), indexing="ij")
    return s.ravel(), r.ravel()


def lorenz_jacobians(sigma: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Jacobians of the Lorenz system at C+ = (x, x, rho - 1), x = sqrt(beta (rho - 1))."""
    x = np.sqrt(BETA * (rho - 1))
    J = np.zeros((sigma.size, 3, 3))
    J[:, 0, 0], J[:, 0, 1] = -sigma, sigma
    J[:, 1, 0], J[:, 1, 1], J[:, 1, 2] = 1.0, -1.0, -x
    J[:, 2, 0], J[:, 2, 1], J[:, 2, 2] = x, x, -BETA
    return J


def lorenz_reference(sigma: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Hand-written Hurwitz for n = 3: a1 > 0, a3 > 0, a1 a2 > a3 with the closed-form
    coefficients of the Lorenz Jacobian at C+."""
    a1 = sigma + 1 + BETA
    a2 = BETA * (sigma + rho)
    a3 = 2 * BETA * sigma * (rho - 1)
    return (a1 > 0) & (a3 > 0) & (a1 * a2 > a3)


def _chain_params() -> tuple[np.ndarray, np.ndarray]:
    side = round(N_HURWITZ**0.5)
    g, c = np.meshgrid(np.linspace(0.0, 40.0, side), np.linspace(0.2, 3.0, side), indexing="ij")
    return g.ravel(), c.ravel()


def chain_jacobians(g: np.ndarray, c: np.ndarray) -> np.ndarray:
    """A 5-variable linear chain x_i' = c x_(i-1) - k_i x_i with feedback x_1' = -g x_5 - k_1 x_1:
    det(l I - J) = prod (l + k_i) + g c^4."""
    J = np.zeros((g.size, 5, 5))
    for i, k in enumerate(CHAIN_K):
        J[:, i, i] = -k
        if i:
            J[:, i, i - 1] = c
    J[:, 0, 4] = -g
    return J


def chain_coefficients(g: np.ndarray, c: np.ndarray) -> np.ndarray:
    e = np.poly(-np.array(CHAIN_K))[1:]  # elementary symmetric functions of the k_i
    a = np.broadcast_to(e, (g.size, 5)).copy()
    a[:, 4] += g * c**4
    return a


def chain_reference(g: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Hand-written Lienard-Chipart for n = 5 (Gantmacher 1959, XV sec. 13): all a_i > 0 and
    Delta_2 > 0, Delta_4 > 0."""
    a1, a2, a3, a4, a5 = chain_coefficients(g, c).T
    d2 = a1 * a2 - a3
    d4 = (a1 * a2 - a3) * (a3 * a4 - a2 * a5) - (a1 * a4 - a5) ** 2
    return (a1 > 0) & (a2 > 0) & (a3 > 0) & (a4 > 0) & (a5 > 0) & (d2 > 0) & (d4 > 0)


@pytest.mark.parametrize("n", [3, 5])
def test_hurwitz_against_hand_written_reference(
    benchmark: Any, ratio: Callable[..., float], n: int
) -> None:
    from incentive_geometry.solvers.numeric.hurwitz import hurwitz_codes, hurwitz_stability_codes
    from incentive_geometry.solvers.numeric.stability import STABLE, stability_codes

    params, jac, ref = (
        (_lorenz_params, lorenz_jacobians, lorenz_reference)
        if n == 3
        else (_chain_params, chain_jacobians, chain_reference)
    )
    p, q = params()
    codes, delicate = hurwitz_stability_codes(jac(p, q))
    want = ref(p, q)
    assert np.array_equal((codes == STABLE)[~delicate], want[~delicate])
    some = slice(0, None, 97)
    eig_codes = stability_codes("continuous", np.linalg.eigvals(jac(p[some], q[some])))
    assert np.array_equal(codes[some], eig_codes)

    def candidate() -> None:
        hurwitz_stability_codes(jac(*params()))

    speedup = ratio(candidate, lambda: ref(*params()), name=f"hand-written Hurwitz n={n}")
    benchmark.extra_info["candidate_over_reference"] = 1.0 / speedup
    benchmark.extra_info["delicate_fraction"] = float(delicate.mean())
    start = time.perf_counter()
    np.linalg.eigvals(jac(*params()))
    benchmark.extra_info["baseline_s[stacked eigvals]"] = time.perf_counter() - start
    if n == 5:
        start = time.perf_counter()
        hurwitz_codes(chain_coefficients(*params()))
        benchmark.extra_info["routh_from_closed_form_coefficients_s"] = time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# n x n sweeps (n = 3, 5) with eigenvalues=False: `ig.sweep` against a hand-written vectorized
# Hurwitz reference doing the sweep's job (every equilibrium in closed form, its Jacobian
# entries, the coefficients written out by hand, the Hurwitz conditions), as the trace/det
# reference does for 2x2 (issue 18).


def lorenz_model() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "s*(y - x)", "y": "x*(r - z) - y", "z": "x*y - b*z"},
        parameters={"s": {"default": 10.0, "domain": "positive"}, "r": 0.5, "b": BETA},
    )


def lorenz_sweep_reference(axes: dict[str, np.ndarray]) -> np.ndarray:
    """Hand-written: the origin and C+- = (+-x, +-x, rho - 1), x = sqrt(beta (rho - 1)) (for
    rho > 1), each with its Jacobian entries, a1 = -tr J, a2 = the sum of the principal 2x2
    minors, a3 = -det J, and stable iff a1 > 0, a3 > 0, a1 a2 > a3. Returns stable (P, 3)."""
    S, R = np.meshgrid(axes["s"], axes["r"], indexing="ij")
    s, r = S.ravel(), R.ravel()
    out = np.zeros((s.size, 3), dtype=bool)
    with np.errstate(invalid="ignore"):
        xs = np.sqrt(BETA * (r - 1))
    for k, (x, z) in enumerate(((0.0, 0.0), (xs, r - 1), (-xs, r - 1))):
        # J = [[-s, s, 0], [r - z, -1, -x], [y, x, -b]] with y = x.
        j10, j12, j20, j21 = r - z, -x, x, x
        a1 = s + 1 + BETA
        a2 = s + s * BETA + BETA - s * j10 - j12 * j21
        a3 = s * BETA - s * j12 * j20 - s * j10 * BETA - s * j12 * j21  # -det J
        ok = (a1 > 0) & (a3 > 0) & (a1 * a2 > a3)
        out[:, k] = ok if k == 0 else ok & (r > 1)
    return out


def chain_model() -> ig.Model:
    eqs = {"x1": f"-g*x5 - {CHAIN_K[0]}*x1"}
    eqs.update({f"x{i + 1}": f"c*x{i} - {CHAIN_K[i]}*x{i + 1}" for i in range(1, 5)})
    return ig.Model.from_equations(eqs, parameters={"g": 1.0, "c": 1.0})


@pytest.mark.parametrize("n", [3, 5])
def test_nxn_sweep_against_hand_written_hurwitz(
    benchmark: Any, ratio: Callable[..., float], n: int
) -> None:
    if n == 3:
        m = lorenz_model()
        side = round(N_HURWITZ**0.5)
        axes = {"s": np.linspace(4, 20, side), "r": np.linspace(0.5, 60, side)}

        def ref() -> np.ndarray:
            return lorenz_sweep_reference(axes)
    else:
        m = chain_model()
        side = round(N_HURWITZ**0.5)
        axes = {"g": np.linspace(0.0, 40.0, side), "c": np.linspace(0.2, 3.0, side)}

        def ref() -> np.ndarray:
            G, C = np.meshgrid(axes["g"], axes["c"], indexing="ij")
            return chain_reference(G.ravel(), C.ravel())[:, None]

    kw = {"executor": "serial", "chunk_size": N_HURWITZ, "cycles": False, "eigenvalues": False}
    sm = ig.sweep(m, axes, compiled=True, **kw)  # builds the kernel, outside the timing
    want = ref()
    # The same stable equilibria as the reference away from the boundaries, and the same
    # classes as the eigenvalue route everywhere (on a subsample of the grid: eigvals is slow).
    delicate = ~np.isnan(sm.eigenvalues).any(-1) & sm.exists
    away = ~delicate.any(-1)
    assert np.array_equal(sm.stable[away], want[away])
    rows = np.arange(0, sm.values.shape[0], 97)
    names = list(axes)
    eig_route = ig.sweep(m, sm.values[rows], names=names, cycles=False, compiled=False)
    assert sm.class_names and np.array_equal(
        np.asarray(sm.classes).ravel()[rows], np.asarray(eig_route.classes)
    )
    del sm

    def candidate() -> None:
        ig.sweep(m, axes, **kw)

    speedup = ratio(candidate, ref, name=f"hand-written Hurwitz sweep n={n}", repeat=3, rounds=3)
    benchmark.extra_info["sweep_over_reference"] = 1.0 / speedup
    if decide_available():
        assert 1.0 / speedup <= 2.0, f"n = {n} sweep at {1 / speedup:.2f}x the reference"
    start = time.perf_counter()
    ig.sweep(m, axes, compiled=False, **kw)
    benchmark.extra_info["numpy_route_s"] = time.perf_counter() - start
    start = time.perf_counter()
    ig.sweep(m, axes, executor="serial", chunk_size=N_HURWITZ, cycles=False, compiled=False)
    benchmark.extra_info["eigenvalue_route_s"] = time.perf_counter() - start
