"""Sweeps: classes agree with the analytic conditions, and results never depend on how the work
is split or where it runs."""

from __future__ import annotations

import concurrent.futures as cf
from pathlib import Path

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.solvers.numeric import sweep as sweep_module

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
LABELS = {"aligned": {"x": 0}, "entrenched": {"x": 1}}


def entrenchment() -> ig.Model:
    return ig.load_model(EXAMPLES / "entrenchment.toml")


def analytic_class(theta: np.ndarray, gamma: np.ndarray, alpha=1.0, b=0.2, c=1.0) -> np.ndarray:
    """DESIGN.md: x=0 stable iff alpha(1-theta)b < theta c; x=1 stable iff
    alpha(1-theta)(b+gamma) > theta c. Returns the class name and the distance to a boundary."""
    g0 = theta * c - alpha * (1 - theta) * b
    g1 = alpha * (1 - theta) * (b + gamma) - theta * c
    names = np.where(
        (g0 > 0) & (g1 > 0),
        "aligned + entrenched (bistable)",
        np.where(g0 > 0, "aligned only", np.where(g1 > 0, "entrenched only", "none stable")),
    )
    return names, np.minimum(np.abs(g0), np.abs(g1))


@pytest.mark.parametrize("method", ["auto", "numeric"])
def test_entrenchment_regions_agree_with_the_analytic_boundaries(method: str) -> None:
    theta = np.linspace(0.0, 1.0, 41)
    gamma = np.linspace(0.0, 2.0, 41)
    sm = ig.sweep(entrenchment(), {"theta": theta, "gamma": gamma}, labels=LABELS, method=method)
    T, G = np.meshgrid(theta, gamma, indexing="ij")
    expected, distance = analytic_class(T, G)
    away = distance > 1e-6
    assert away.sum() > 1500
    mismatch = (sm.classes != expected) & away
    assert not mismatch.any(), list(
        zip(T[mismatch], G[mismatch], sm.classes[mismatch], strict=True)
    )[:5]
    main = {"aligned only", "entrenched only", "aligned + entrenched (bistable)"}
    assert main <= set(sm.counts)
    # Grid points exactly on a boundary (alpha (1 - theta)(b + gamma) = theta c, e.g. theta = 0.6,
    # gamma = 1.3) have an equilibrium with eigenvalue 0: neutral, named in the class, and only
    # there.
    on_boundary = np.isin(sm.classes, sorted(set(sm.counts) - main))
    assert on_boundary.any() and np.all(distance[on_boundary] < 1e-12)
    assert all("neutral" in name for name in set(sm.counts) - main)
    assert np.array_equal(sm.neutral.any(axis=1).reshape(sm.shape), on_boundary)


def test_brusselator_is_stable_below_the_hopf_line() -> None:
    m = ig.load_model(EXAMPLES / "brusselator.toml")
    a = np.linspace(0.5, 2.0, 16)
    b = np.linspace(0.1, 5.0, 25)
    sm = ig.sweep(m, {"a": a, "b": b}, method="numeric", bounds={"x": (0, 3), "y": (0, 12)})
    A, B = np.meshgrid(a, b, indexing="ij")
    # One equilibrium (a, b/a) everywhere; stable iff b < 1 + a^2.
    assert np.all(sm.exists.sum(axis=1) == 1)
    i = np.argmax(sm.exists, axis=1)
    X = sm.x[np.arange(len(i)), i]
    np.testing.assert_allclose(X[:, 0], A.ravel(), atol=1e-9)
    np.testing.assert_allclose(X[:, 1], (B / A).ravel(), atol=1e-9)
    stable = sm.stable.any(axis=1).reshape(A.shape)
    away = np.abs(B - 1 - A**2) > 1e-6
    assert np.array_equal(stable[away], (B < 1 + A**2)[away])


def _same(a: ig.StabilityMap, b: ig.StabilityMap) -> None:
    for name in ("values", "x", "exists", "stable", "eigenvalues", "class_codes"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert a.class_names == b.class_names
    assert a.equilibrium_labels == b.equilibrium_labels


GRID = {"theta": np.linspace(0.05, 0.95, 23), "gamma": np.linspace(0.0, 2.0, 17)}


def test_results_do_not_depend_on_chunking() -> None:
    m = entrenchment()
    one = ig.sweep(m, GRID, method="numeric", executor="serial", chunk_size=10_000)
    many = ig.sweep(m, GRID, method="numeric", executor="serial", chunk_size=7)
    _same(one, many)


def test_process_pool_gives_the_serial_result() -> None:
    m = entrenchment()
    serial = ig.sweep(m, GRID, method="numeric", executor="serial", chunk_size=50)
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        pooled = ig.sweep(m, GRID, method="numeric", executor=pool, chunk_size=50)
    _same(serial, pooled)


@pytest.mark.slow
def test_dask_local_cluster_gives_the_serial_result() -> None:
    distributed = pytest.importorskip("dask.distributed")
    m = entrenchment()
    serial = ig.sweep(m, GRID, method="numeric", executor="serial", chunk_size=50)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = ig.sweep(m, GRID, method="numeric", executor=client, chunk_size=50)
    _same(serial, on_dask)


def test_interrupted_sweep_resumes_to_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = entrenchment()
    fresh = ig.sweep(m, GRID, method="numeric", executor="serial", chunk_size=40)
    out = tmp_path / "map.npz"
    parts_dir = tmp_path / "map.npz.parts"
    real_chunk = sweep_module.evaluate_chunk
    seen: list[int] = []

    # Stop at the fifth chunk of the final pass (after the root-finding passes are saved).
    def interrupted(plan, values, seeds, index):  # type: ignore[no-untyped-def]
        seen.append(index)
        if len(seen) == 5:
            raise KeyboardInterrupt
        return real_chunk(plan, values, seeds, index)

    monkeypatch.setattr(sweep_module, "evaluate_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ig.sweep(m, GRID, method="numeric", executor="serial", chunk_size=40, out=out)
    stop = seen[-1]
    kept = sorted(int(p.stem.split("-")[1]) for p in parts_dir.glob("chunk-*.npz"))
    assert kept == list(range(stop)), "every chunk before the interruption is kept, none after"
    assert not out.exists()

    # The rerun computes only the missing chunks.
    calls: list[int] = []

    def counting(plan, values, seeds, index):  # type: ignore[no-untyped-def]
        calls.append(index)
        return real_chunk(plan, values, seeds, index)

    monkeypatch.setattr(sweep_module, "evaluate_chunk", counting)
    resumed = ig.sweep(m, GRID, method="numeric", executor="serial", chunk_size=40, out=out)
    assert calls and min(calls) == stop and len(calls) == len(set(calls))
    _same(fresh, resumed)
    assert out.exists() and not parts_dir.exists()
    _same(fresh, ig.StabilityMap.load(out))


def test_parts_of_another_job_are_refused(tmp_path: Path) -> None:
    m = entrenchment()
    out = tmp_path / "map.npz"
    store = sweep_module.ChunkStore(out, "some other job")
    store.save(0, {"x": np.zeros(1)})
    with pytest.raises(ig.ModelError, match="different job"):
        ig.sweep(m, GRID, method="numeric", out=out)


def test_sample_tables_and_errors() -> None:
    m = entrenchment()
    table = np.array([[0.05, 1.0], [0.5, 0.1], [0.9, 2.0]])
    sm = ig.sweep(m, table, names=["theta", "gamma"], labels=LABELS, method="numeric")
    assert sm.shape == (3,) and sm.axes is None
    expected, _ = analytic_class(table[:, 0], table[:, 1])
    assert sm.classes.tolist() == expected.tolist()
    with pytest.raises(ig.ModelError, match="needs `names`"):
        ig.sweep(m, table)
    with pytest.raises(ig.ModelError, match="unknown parameter `thetta`"):
        ig.sweep(m, {"thetta": [0.1]})
    with pytest.raises(ig.ModelError, match="NaN or infinity"):
        ig.sweep(m, {"theta": [0.1, np.nan]})
    with pytest.raises(ig.ModelError, match="outside its domain") as err:
        ig.sweep(m, {"theta": [0.1, 1.5]})
    assert "`theta` = 1.5 is outside" in str(err.value)  # a plain number, not np.float64(1.5)
    with pytest.raises(ig.ModelError, match="not a state"):
        ig.sweep(m, {"theta": [0.1]}, labels={"aligned": {"y": 0}})
    with pytest.raises(ig.ModelError, match="`method`"):
        ig.sweep(m, {"theta": [0.1]}, method="magic")


def test_plot_and_save_round_trip(tmp_path: Path) -> None:
    sm = ig.sweep(entrenchment(), GRID, labels=LABELS)
    png = tmp_path / "map.png"
    fig = sm.plot(png)
    assert png.stat().st_size > 10_000
    assert len(fig.axes[0].images) == 1
    back = ig.StabilityMap.load(sm.save(tmp_path / "map.npz"))
    _same(sm, back)
    assert back.counts == sm.counts and back.boundaries == sm.boundaries


def test_closed_forms_and_analytic_boundaries_of_the_entrenchment_map() -> None:
    import sympy

    from incentive_geometry.language import parse_expression

    m = entrenchment()
    sm = ig.sweep(m, GRID, labels=LABELS)
    assert sm.method == "closed_form"
    assert sm.equilibrium_labels[:2] == ("aligned", "entrenched")
    # The boundaries are DESIGN.md's: theta c = alpha (1 - theta) b and
    # theta c = alpha (1 - theta) (b + gamma), up to sign.
    names = m.symbols
    alpha, theta, b, gamma, c = (names[k] for k in ("alpha", "theta", "b", "gamma", "c"))
    expected = {
        "aligned": theta * c - alpha * (1 - theta) * b,
        "entrenched": theta * c - alpha * (1 - theta) * (b + gamma),
    }
    found = {label: parse_expression(text, names) for label, text in sm.boundaries}
    assert set(found) == set(expected)
    for label, expr in found.items():
        assert (
            sympy.expand(expr - expected[label]) == 0 or sympy.expand(expr + expected[label]) == 0
        )


def test_neighbours_seed_the_roots_that_the_shared_starts_miss() -> None:
    # x' = x (1 - x) (x - r) on [0, 1]: the corners always find 0 and 1; with one Sobol start the
    # interior root r is found only where that start lies in its basin. Each seeding pass starts
    # Newton from the neighbours' roots and carries r one grid step further.
    m = ig.Model.from_equations(
        {"x": "x*(1 - x)*(x - r)"},
        parameters={"r": {"default": 0.5, "domain": [0, 1]}},
        states={"x": {"domain": [0, 1]}},
    )
    r = np.linspace(0.02, 0.98, 97)

    def missing(sm: ig.StabilityMap) -> int:
        near = np.abs(np.nan_to_num(sm.x[:, :, 0], nan=9.0) - r[:, None]) < 1e-9
        return int((~near.any(axis=1)).sum())

    alone = ig.sweep(m, {"r": r}, method="numeric", n_starts=1, seed_passes=0, executor="serial")
    seeded = ig.sweep(m, {"r": r}, method="numeric", n_starts=1, seed_passes=8, executor="serial")
    assert missing(alone) > 20, "the shared start alone must miss r, or this test proves nothing"
    # Eight passes carry r eight steps out of the region where it was found.
    assert missing(seeded) == missing(alone) - 8
    # The passes do not make the result depend on the chunking.
    _same(
        seeded,
        ig.sweep(
            m,
            {"r": r},
            method="numeric",
            n_starts=1,
            seed_passes=8,
            executor="serial",
            chunk_size=5,
        ),
    )
