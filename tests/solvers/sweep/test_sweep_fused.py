"""The fused sweep kernel (solvers/numeric/sweep_fused.py) gives the NumPy route's map.

Each model is swept twice, ``compiled=True`` and ``compiled=False``, over grids that cross its
bifurcations (where the kernel flags points for the NumPy route), and every array of the two
maps is compared: classes, existence, stability, neutrality and definedness identical, the
equilibria and eigenvalues equal to a few ulps (1e-13 relative), the notes identical.
"""

from __future__ import annotations

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.solvers.numeric import sweep_chunk, sweep_fused, sweep_plan
from incentive_geometry.solvers.numeric.kernels import numba_enabled

pytestmark = pytest.mark.skipif(not numba_enabled(), reason="numba is the extra `fast`")


@pytest.fixture(autouse=True)
def small_chunks_use_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel serves chunks of FUSED_MIN points and more; the grids here are smaller.
    monkeypatch.setattr(sweep_chunk, "FUSED_MIN", 1)


def _both(
    model: ig.Model, axes: dict[str, np.ndarray], **kw: object
) -> tuple[ig.StabilityMap, ig.StabilityMap, dict[str, int]]:
    seen = {"kernel": 0, "flagged": 0, "claims": 0}
    real = sweep_chunk.run_fused

    def spy(kernel: object, plan: object, values: np.ndarray) -> dict[str, np.ndarray]:
        out = real(kernel, plan, values)  # type: ignore[arg-type]
        seen["kernel"] += len(values)
        seen["flagged"] += int(out["flag"].sum())
        if "claimed" in out:
            # The existence conditions the kernel evaluated: those of the NumPy evaluation.
            want = sweep_plan.claimed_at(plan, values)  # type: ignore[arg-type]
            assert np.array_equal(out["claimed"], want)
            seen["claims"] += int(np.count_nonzero(~want))
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sweep_chunk, "run_fused", spy)
        fused = ig.sweep(model, axes, compiled=True, executor="serial", cycles=False, **kw)  # type: ignore[arg-type]
    plain = ig.sweep(model, axes, compiled=False, executor="serial", cycles=False, **kw)  # type: ignore[arg-type]
    return fused, plain, seen


def _same(fused: ig.StabilityMap, plain: ig.StabilityMap) -> None:
    for key in ("exists", "stable", "neutral", "defined"):
        assert np.array_equal(getattr(fused, key), getattr(plain, key)), key
    assert fused.classes.tolist() == plain.classes.tolist()
    assert fused.class_names == plain.class_names
    # The kernel evaluates a checked formula in real arithmetic where it stays real, the NumPy
    # route in complex arithmetic: a few ulps apart.
    np.testing.assert_allclose(fused.x, plain.x, rtol=1e-13, atol=1e-300, equal_nan=True)
    np.testing.assert_allclose(
        fused.eigenvalues, plain.eigenvalues, rtol=1e-12, atol=1e-300, equal_nan=True
    )
    assert fused.notes == plain.notes


def test_brusselator_across_its_hopf_line() -> None:
    m = ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
        parameters={"a": {"default": 1.0, "domain": "positive"}, "b": 1.5},
        states={"x": {"domain": "nonnegative"}, "y": {"domain": "nonnegative"}},
    )
    # b = 1 + a**2 crosses the grid; a = 1, b = 2 lies on it exactly (a neutral point).
    axes = {"a": np.linspace(0.5, 2.0, 61), "b": np.linspace(0.1, 5.0, 50)}
    axes["a"][20], axes["b"][19] = 1.0, 2.0
    fused, plain, seen = _both(m, axes)
    _same(fused, plain)
    assert seen["kernel"] == 61 * 50
    # The points at the Hopf line (neutral band, near double roots) went to the NumPy route,
    # and the kernel decided the rest.
    assert 0 < seen["flagged"] < seen["kernel"] // 4
    assert plain.counts.get("none stable (x=a, y=b/a neutral)", 0) >= 1
    assert set(plain.counts) >= {"x=a, y=b/a only", "none stable"}


def test_checked_closed_forms_complex_and_coincident_slots() -> None:
    # x' = r x - x**3 + h: Cardano's roots (checked in complex arithmetic), one or three real
    # equilibria, folds where two of them meet (coincident slots, flagged).
    m = ig.Model.from_equations({"x": "r*x - x**3 + h"}, parameters={"r": 1.0, "h": 0.1})
    axes = {"r": np.linspace(-1.0, 2.0, 40), "h": np.linspace(-0.5, 0.5, 41)}
    fused, plain, seen = _both(m, axes)
    _same(fused, plain)
    assert seen["kernel"] == 40 * 41 and seen["flagged"] < seen["kernel"]
    assert len(plain.counts) >= 2  # one stable point, and bistability between the folds


def test_routh_hurwitz_in_the_kernel_lorenz_and_a_chain() -> None:
    # n >= 3 with eigenvalues=False: the kernel's unrolled Routh table (`routh_source`) gives
    # the NumPy route's map across the Lorenz pitchfork (rho = 1, exactly on the grid) and
    # Hopf line rho_H = sigma (sigma + beta + 3) / (sigma - beta - 1), and across the Routh-
    # Hurwitz threshold of a 5-variable feedback chain (det(l I - J) = prod (l + k_i) + g c^4).
    lorenz = ig.Model.from_equations(
        {"x": "s*(y - x)", "y": "x*(r - z) - y", "z": "x*y - b*z"},
        parameters={"s": 10.0, "r": 0.5, "b": 8 / 3},
    )
    axes = {"s": np.linspace(4.0, 20.0, 41), "r": np.r_[np.linspace(0.5, 60.0, 60), 1.0]}
    fused, plain, seen = _both(lorenz, axes, eigenvalues=False)
    _same(fused, plain)
    assert seen["kernel"] == 41 * 61 and 0 < seen["flagged"] < seen["kernel"] // 10
    # C+- are claimed only for rho >= 1 (b (r - 1) >= 0): the kernel evaluated that.
    assert seen["claims"] > 0
    beta, s, r = 8 / 3, fused.values[:, 0], fused.values[:, 1]
    rho_h = s * (s + beta + 3) / (s - beta - 1)
    away = (np.abs(r - rho_h) > 1e-6 * rho_h) & (np.abs(r - 1) > 1e-9) & (s > beta + 1)
    c_stable = fused.stable[:, 1] & fused.stable[:, 2]
    assert np.array_equal(c_stable[away], ((r > 1) & (r < rho_h))[away])
    k = (1.0, 1.5, 2.0, 2.5, 3.0)
    eqs = {"x1": f"-g*x5 - {k[0]}*x1"}
    eqs.update({f"x{i + 1}": f"c*x{i} - {k[i]}*x{i + 1}" for i in range(1, 5)})
    chain = ig.Model.from_equations(eqs, parameters={"g": 1.0, "c": 1.0})
    fused, plain, seen = _both(
        chain, {"g": np.linspace(0.0, 40.0, 50), "c": np.linspace(0.2, 3.0, 40)}, eigenvalues=False
    )
    _same(fused, plain)
    assert seen["kernel"] == 2000 and len(plain.counts) == 2


def test_a_map_with_a_domain_and_a_transcritical_point() -> None:
    # The logistic map on x >= 0: x = 0 and x = 1 - 1/r exchange stability at r = 1, where the
    # two slots coincide; x = 1 - 1/r leaves the domain below r = 1; flip at r = 3.
    m = ig.Model.from_equations(
        {"x": "r*x*(1 - x)"},
        parameters={"r": 2.0},
        states={"x": {"domain": "nonnegative"}},
        time="discrete",
    )
    r = np.concatenate([np.linspace(0.2, 3.6, 3000), [1.0, 3.0]])
    fused, plain, seen = _both(m, {"r": r})
    _same(fused, plain)
    assert seen["flagged"] >= 2  # r = 1 and r = 3 at least
    assert {"x=0 only", "none stable"} <= set(plain.counts)


def test_flags_leave_the_decision_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A kernel that flags every point gives the NumPy route's map as well: the flagged rows
    # are decided there, none is lost.
    m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    real = sweep_chunk.run_fused

    flagged: list[int] = []

    def flag_all(kernel: object, plan: object, values: np.ndarray) -> dict[str, np.ndarray]:
        out = real(kernel, plan, values)  # type: ignore[arg-type]
        flagged.append(len(values))
        out["flag"][:] = True
        out["x"][:] = 123.0  # garbage where flagged: must be overwritten
        return out

    monkeypatch.setattr(sweep_chunk, "run_fused", flag_all)
    r = np.linspace(-1.0, 1.0, 201)
    fused = ig.sweep(m, {"r": r}, compiled=True, executor="serial", cycles=False)
    plain = ig.sweep(m, {"r": r}, compiled=False, executor="serial", cycles=False)
    assert flagged == [201]  # the kernel ran, and every row went to the NumPy route
    _same(fused, plain)


def test_when_the_kernel_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    calls: list[int] = []
    real = sweep_chunk.run_fused
    monkeypatch.setattr(
        sweep_chunk, "run_fused", lambda k, p, v: calls.append(len(v)) or real(k, p, v)
    )
    r = np.linspace(-1.0, 1.0, 11)
    ig.sweep(m, {"r": r}, compiled=False, executor="serial")
    assert calls == []  # compiled=False: the NumPy route
    ig.sweep(m, {"r": r}, compiled=True, executor="serial")
    assert calls == [11]
    # Three states: no kernel (the spectra are LAPACK's); the sweep still works.
    lorenz = ig.Model.from_equations(
        {"x": "s*(y - x)", "y": "x*(r - z) - y", "z": "x*y - b*z"},
        parameters={"s": 10.0, "r": 0.5, "b": 8 / 3},
    )
    calls.clear()
    sm = ig.sweep(
        lorenz, {"r": np.array([0.5, 2.0])}, compiled=True, executor="serial", cycles=False
    )
    assert calls == [] and sm.counts
    with pytest.raises(ig.ModelError, match="`compiled` must be True, False or None"):
        ig.sweep(m, {"r": r}, compiled="yes")  # type: ignore[arg-type]
    monkeypatch.setenv("INCENTIVE_GEOMETRY_NO_NUMBA", "1")
    calls.clear()
    ig.sweep(m, {"r": r}, compiled=True, executor="serial")
    assert calls == []


def test_claims_without_scalar_code_stay_in_numpy() -> None:
    m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    r = m.parameter_symbols[0]
    assert sweep_fused.claim_source(m, [r >= 0, r - 1]) is None  # not a condition
    assert "C[0] = (q0 >= 0)" in (sweep_fused.claim_source(m, [r >= 0]) or "")


def test_the_generated_source_is_the_models() -> None:
    m = ig.Model.from_equations({"x": "a - x*y", "y": "x - b"}, parameters={"a": 1.0, "b": 2.0})
    a, b = m.parameter_symbols
    text = sweep_fused.slot_source(m, [b, a / b], 0, complex_=False)
    assert "z[0] = q1" in text and "z[1] = q0/q1" in text
    complex_text = sweep_fused.slot_source(m, [a**0.5], 1, complex_=True)
    assert "numpy.sqrt(q0)" in complex_text or "q0**0.5" in complex_text


def test_threads_and_a_process_pool_give_the_same_map(monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel runs on threads in this process (the pilot chunk), then a process pool forks
    # workers that run it too: numba's OpenMP threading layer aborted such a fork, which is
    # why the threads are Python's. The map is the NumPy route's either way.
    monkeypatch.setattr(sweep_fused, "THREAD_MIN", 1)
    monkeypatch.setattr(sweep_fused, "THREAD_BLOCK", 7)  # 16 blocks, a shorter last one
    m = ig.Model.from_equations({"x": "x*(r - x)", "y": "-y + x"}, parameters={"r": 1.0})
    r = np.linspace(-1.0, 1.0, 4001)
    pooled = ig.sweep(
        m, {"r": r}, compiled=True, executor="processes", chunk_size=1000, cycles=False
    )
    rows: list[int] = []
    real = sweep_chunk.run_fused
    monkeypatch.setattr(
        sweep_chunk, "run_fused", lambda k, p, v: rows.append(len(v)) or real(k, p, v)
    )
    threaded = ig.sweep(m, {"r": r}, compiled=True, executor="serial", cycles=False)
    assert sum(rows) == r.size  # the kernel ran here, on threads (THREAD_MIN = 1)
    calls: list[tuple[int, int]] = []
    kernel = sweep_fused.fused_kernel
    monkeypatch.setattr(
        sweep_fused,
        "fused_kernel",
        lambda plan, build: (
            lambda *a: calls.append((a[-2], a[-1])) or kernel(plan, build=build)(*a)
        ),
    )
    monkeypatch.setattr(sweep_chunk, "fused_kernel", sweep_fused.fused_kernel)
    again = ig.sweep(m, {"r": r}, compiled=True, executor="serial", cycles=False)
    # The threads' blocks, seen from the kernel: every row in exactly one of them.
    covered = np.zeros(r.size, dtype=int)
    for a, b in calls:
        covered[a:b] += 1
    assert len(calls) > 2 and np.all(covered == 1)
    _same(again, threaded)
    plain = ig.sweep(m, {"r": r}, compiled=False, executor="serial", cycles=False)
    _same(pooled, plain)
    _same(threaded, plain)


def test_a_two_state_map_with_checked_roots() -> None:
    # The Henon map: fixed points x = (-(1 - b) +- sqrt((1 - b)**2 + 4 a)) / (2 a), y = b x,
    # complex below a = -(1 - b)**2 / 4 (a fold), the stable one losing stability in a flip at
    # a = 3 (1 - b)**2 / 4 (Henon 1976; textbook values, not derived here).
    m = ig.Model.from_equations(
        {"x": "1 - a*x**2 + y", "y": "b*x"}, parameters={"a": 1.4, "b": 0.3}, time="discrete"
    )
    a = np.linspace(-0.5, 1.2, 300)
    b = np.array([0.3])
    fused, plain, seen = _both(m, {"a": a, "b": b})
    _same(fused, plain)
    assert seen["kernel"] == 300 and seen["flagged"] < 300
    fold, flip = -(0.7**2) / 4, 3 * 0.7**2 / 4
    stable = plain.stable.any(-1).ravel()
    clear = (np.abs(a - fold) > 1e-3) & (np.abs(a - flip) > 1e-3)
    assert np.array_equal(stable[clear], ((a > fold) & (a < flip))[clear])


def test_no_compilation_under_a_short_timeout(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    # A compilation cannot be stopped: under a budget shorter than COMPILE_SECONDS the sweep
    # does not start one (the cache is empty here), says so, and gives the NumPy route's map.
    monkeypatch.setenv("INCENTIVE_GEOMETRY_CACHE", str(tmp_path))
    monkeypatch.setattr("incentive_geometry.solvers.numeric.sweep.FUSED_MIN", 1)
    m = ig.Model.from_equations({"x": "x*(r - x) + 0.125"}, parameters={"r": 1.0})
    r = np.linspace(-1.0, 1.0, 101)
    calls: list[int] = []
    real = sweep_chunk.run_fused
    monkeypatch.setattr(
        sweep_chunk, "run_fused", lambda k, p, v: calls.append(len(v)) or real(k, p, v)
    )
    short = ig.sweep(m, {"r": r}, compiled=True, timeout=5, executor="serial", cycles=False)
    assert calls == []
    assert any("compiled sweep kernel was not built" in n for n in short.notes)
    plain = ig.sweep(m, {"r": r}, compiled=False, executor="serial", cycles=False)
    assert short.classes.tolist() == plain.classes.tolist()
    built = ig.sweep(m, {"r": r}, compiled=True, timeout=60, executor="serial", cycles=False)
    assert calls == [101]
    _same(built, plain)
