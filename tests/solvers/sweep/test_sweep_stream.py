"""Issues 16 and 18: a sweep with `out` streams its map to disk chunk by chunk (a map larger
than the memory limit completes, in bounded memory, and reads back lazily and equal); a sweep
that would not fit in memory, on disk or in its time budget is refused up front with the
estimate and what to do; the CLI keeps its exit codes (0 ok, 2 bad input, 1 internal)."""

from __future__ import annotations

import collections
import dataclasses
import shutil
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import incentive_geometry as ig
import incentive_geometry.solvers.numeric.sweep as sweep_module
from incentive_geometry.solvers.numeric.stability_map import StabilityMap
from incentive_geometry.solvers.numeric.sweep_stream import MapArrays

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
ENTRENCHMENT = EXAMPLES / "entrenchment.toml"
LABELS = {"aligned": {"x": 0}, "entrenched": {"x": 1}}
GRID = {"theta": np.linspace(0.0, 1.0, 30), "gamma": np.linspace(0.0, 2.0, 20)}


def _paper_code(theta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    # Independent of the sweep: the paper's conditions (DESIGN.md), alpha = 1, b = 0.2, c = 1.
    aligned = (1 - theta) * 0.2 < theta
    entrenched = (1 - theta) * (0.2 + gamma) > theta
    return aligned.astype(int) + 2 * entrenched.astype(int)


def _code(sm: ig.StabilityMap) -> np.ndarray:
    names = sm.classes.ravel()
    aligned = np.array(["aligned" in n and "aligned neutral" not in n for n in names])
    entrenched = np.array(["entrenched" in n and "entrenched neutral" not in n for n in names])
    return aligned.astype(int) + 2 * entrenched.astype(int)


def assert_same_map(a: ig.StabilityMap, b: ig.StabilityMap) -> None:
    """Every field equal, arrays bit for bit (NaN where NaN) and of the same dtype."""
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "seconds":
            continue
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, f.name
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=f.name)
        elif f.name == "axes" and x is not None:
            for u, v in zip(x, y, strict=True):
                np.testing.assert_array_equal(u, v)
        else:
            assert x == y, (f.name, x, y)


def test_streamed_closed_form_sweep_equals_the_in_memory_sweep(tmp_path: Path) -> None:
    m = ig.load_model(ENTRENCHMENT)
    kw: dict[str, Any] = {"labels": LABELS, "executor": "serial", "chunk_size": 70}
    in_memory = ig.sweep(m, GRID, **kw)
    streamed = ig.sweep(m, GRID, out=tmp_path / "map.npz", **kw)
    assert_same_map(in_memory, streamed)
    # Read lazily from the file (memory-mapped), and nothing but the file is left.
    assert isinstance(streamed.x, np.memmap)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.npz"]
    assert_same_map(in_memory, StabilityMap.load(tmp_path / "map.npz"))
    theta, gamma = np.meshgrid(GRID["theta"], GRID["gamma"], indexing="ij")
    assert np.array_equal(_code(streamed), _paper_code(theta, gamma).ravel())


def test_streamed_numeric_sweep_of_a_sample_equals_the_in_memory_sweep(tmp_path: Path) -> None:
    m = ig.load_model(ENTRENCHMENT)
    rng = np.random.default_rng(3)
    table = np.column_stack([rng.uniform(0.02, 0.98, 150), rng.uniform(0.0, 2.0, 150)])
    kw: dict[str, Any] = {
        "names": ["theta", "gamma"],
        "labels": LABELS,
        "method": "numeric",
        "executor": "serial",
        "chunk_size": 40,
        "timeout": None,
    }
    in_memory = ig.sweep(m, table, **kw)
    streamed = ig.sweep(m, table, out=tmp_path / "map.npz", **kw)
    assert_same_map(in_memory, streamed)
    assert np.array_equal(_code(streamed), _paper_code(table[:, 0], table[:, 1]))


def test_streamed_sweep_on_a_process_pool_equals_the_serial_one(tmp_path: Path) -> None:
    m = ig.load_model(ENTRENCHMENT)
    kw: dict[str, Any] = {"labels": LABELS, "chunk_size": 100}
    serial = ig.sweep(m, GRID, executor="serial", **kw)
    pooled = ig.sweep(m, GRID, executor="processes", out=tmp_path / "map.npz", **kw)
    assert_same_map(serial, pooled)


def test_sweep_above_the_memory_limit_streams_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = ig.load_model(ENTRENCHMENT)
    grid = {"theta": np.linspace(0.0, 1.0, 200), "gamma": np.linspace(0.0, 2.0, 100)}
    kw: dict[str, Any] = {
        "labels": LABELS,
        "method": "closed_form",
        "executor": "serial",
        "chunk_size": 1000,
        "timeout": None,
    }
    reference = ig.sweep(m, grid, **kw)
    map_bytes = sum(
        np.asarray(getattr(reference, k)).nbytes
        for k in ("values", "x", "exists", "stable", "neutral", "eigenvalues", "class_codes")
    )
    # 20,000 points, 3 closed-form slots: the in-memory estimate is 4.9 MB; streamed 1.3 MB.
    monkeypatch.setenv("INCENTIVE_GEOMETRY_MAX_MEMORY", "4M")
    with pytest.raises(ig.ModelError) as info:
        ig.sweep(m, grid, **kw)
    msg = str(info.value)
    assert "20,000 points (`points`) needs 4.9 MB of memory" in msg
    assert "pass `out` (CLI: --out FILE) to stream the map to disk" in msg
    tracemalloc.start()
    try:
        streamed = ig.sweep(m, grid, out=tmp_path / "map.npz", **kw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_same_map(reference, streamed)
    chunk_bytes = map_bytes / 20
    # Memory holds a few chunks at a time, never the map (measured: about 0.5 MB here,
    # against 2.3 MB of map and 0.11 MB per chunk; the sympy work of the sweep included).
    assert peak < 0.6 * map_bytes, (peak, map_bytes)
    assert peak < 12 * chunk_bytes, (peak, chunk_bytes)


def test_interrupted_streamed_sweep_resumes_to_the_same_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = ig.load_model(ENTRENCHMENT)
    out = tmp_path / "map.npz"
    kw: dict[str, Any] = {"labels": LABELS, "executor": "serial", "chunk_size": 50}
    reference = ig.sweep(m, GRID, **kw)  # 600 points: 12 chunks
    calls = collections.Counter[str]()
    real_put, real_eval = MapArrays.put, sweep_module.evaluate_chunk

    def put_then_stop(self: MapArrays, name: str, start: int, stop: int, block: Any) -> None:
        if name == "x" and self.folder is not None:
            calls["put"] += 1
            if calls["put"] == 6:
                raise KeyboardInterrupt  # Ctrl-C while the 6th chunk is written
        real_put(self, name, start, stop, block)

    def counted(*args: Any) -> Any:
        calls["eval"] += 1
        return real_eval(*args)

    with monkeypatch.context() as patch:
        patch.setattr(MapArrays, "put", put_then_stop)
        patch.setattr(sweep_module, "evaluate_chunk", counted)
        with pytest.raises(KeyboardInterrupt):
            ig.sweep(m, GRID, out=out, **kw)
    parts = tmp_path / "map.npz.parts"
    assert len(list(parts.glob("chunk-*.npz"))) == 6 and not out.exists()
    with monkeypatch.context() as patch:
        patch.setattr(sweep_module, "evaluate_chunk", counted)
        resumed = ig.sweep(m, GRID, out=out, **kw)
    assert calls["eval"] == 12, "the 6 kept chunks must be used, not recomputed"
    assert_same_map(reference, resumed)
    assert not parts.exists()


def test_memory_refusal_says_when_disk_would_not_hold_the_map_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = ig.load_model(ENTRENCHMENT)
    axis = np.linspace(0.0, 1.0, 10**5)
    with pytest.raises(ig.ModelError) as info:
        ig.sweep(m, {"theta": axis, "gamma": axis})
    msg = str(info.value)
    # 10^10 points, at least 114 bytes each, three times on disk: above any free space here.
    assert "10,000,000,000 points (`points`)" in msg and " TB of memory" in msg
    assert "streaming it to disk with `out` (CLI: --out FILE) would need about" in msg
    assert "TB, more than the" in msg and "fewer points" in msg


def test_streamed_sweep_that_would_not_fit_on_disk_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = ig.load_model(ENTRENCHMENT)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(
        "incentive_geometry.solvers.numeric.sweep_stream.shutil.disk_usage",
        lambda path: usage._replace(free=10_000),
    )
    with pytest.raises(ig.ModelError) as info:
        ig.sweep(m, GRID, out=tmp_path / "map.npz")
    msg = str(info.value)
    assert msg.startswith(f"`out` = {str(tmp_path / 'map.npz')!r}: a sweep of `entrenchment`")
    assert "of disk, more than the 10.0 kB free" in msg and "fewer points" in msg
    assert list(tmp_path.iterdir()) == [], "nothing may be written"


def test_sweep_over_its_time_budget_is_refused_after_a_pilot_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = ig.load_model(ENTRENCHMENT)
    out = tmp_path / "map.npz"
    kw: dict[str, Any] = {"method": "numeric", "executor": "serial", "chunk_size": 40}
    calls = collections.Counter[int]()
    real = sweep_module.roots_chunk

    def counted(*args: Any) -> Any:
        calls[args[-1]] += 1  # the chunk index
        return real(*args)

    monkeypatch.setattr(sweep_module, "roots_chunk", counted)
    # The budget (1 ms) is spent before the pilot ends, whatever the machine's speed.
    with pytest.raises(ig.ModelError) as info:
        ig.sweep(m, GRID, out=out, timeout=1e-3, **kw)
    msg = str(info.value)
    assert msg.startswith("`timeout` = 0.001 s: the sweep of `entrenchment` over 600 points")
    assert "would take at least about" in msg and "a pilot chunk of 40 points took" in msg
    assert "15 chunks x 3 stages on 1 worker(s)" in msg
    for fix in ("sweep fewer points", "more workers", "raise `timeout`", "pass `out`"):
        assert fix in msg
    # Nothing beyond the two pilot chunks was computed or written, and they are kept...
    assert sorted(calls) == [0, 1] and not out.exists()
    kept = sorted(p.name for p in (tmp_path / "map.npz.parts").glob("chunk-*.npz"))
    assert kept == ["chunk-000000.npz", "chunk-000001.npz"]
    assert "the pilot chunks are kept" in msg
    # ...so the rerun with no limit computes every other chunk once and uses them.
    calls.clear()
    resumed = ig.sweep(m, GRID, out=out, timeout=None, **kw)
    assert 0 not in calls and 1 not in calls and calls[2] == 1
    assert_same_map(ig.sweep(m, GRID, timeout=None, **kw), resumed)


def test_one_chunk_sweep_is_not_piloted_and_a_fast_sweep_passes() -> None:
    m = ig.load_model(ENTRENCHMENT)
    # One chunk: nothing to estimate from (the pilot would be the sweep).
    one = ig.sweep(m, GRID, executor="serial", timeout=1e-3, method="numeric")
    assert one.values.shape == (600, 2)
    # Well inside the budget: the pilot's result is part of the map, equal to a plain run.
    kw: dict[str, Any] = {"labels": LABELS, "executor": "serial", "chunk_size": 100}
    assert_same_map(ig.sweep(m, GRID, timeout=600, **kw), ig.sweep(m, GRID, timeout=None, **kw))


# --------------------------------------------------------------------------------------------
# CLI: exit codes 0, 2 (one message), 1


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_cli_streams_to_out_and_exits_0(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    out = tmp_path / "map.npz"
    code, stdout, err = incgeo(
        "sweep", str(ENTRENCHMENT), "--grid", "theta=0:1:30", "--grid", "gamma=0:2:20",
        "--label", "aligned:x=0", "--label", "entrenched:x=1",
        "--chunk-size", "70", "--workers", "0", "--out", str(out), "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    assert f"wrote {out}" in stdout
    sm = ig.StabilityMap.load(out)
    assert isinstance(sm.class_codes, np.memmap)
    theta, gamma = np.meshgrid(GRID["theta"], GRID["gamma"], indexing="ij")
    assert np.array_equal(_code(sm), _paper_code(theta, gamma).ravel())


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--timeout", "-1"], "--timeout must be >= 0 seconds (0: no limit), got -1"),
        (["--timeout", "0.001", "--method", "numeric"], "`timeout` = 0.001 s: the sweep"),
        (["--chunk-size", "0"], "`chunk_size` must be a positive int, got 0"),
    ],
)
def test_cli_refusals_exit_2_with_one_message(
    tmp_path: Path,
    incgeo: Callable[..., tuple[int, str, str]],
    extra: list[str],
    expected: str,
) -> None:
    code, stdout, err = incgeo(
        "sweep", str(ENTRENCHMENT), "--grid", "theta=0:1:30", "--grid", "gamma=0:2:20",
        "--chunk-size", "40", "--workers", "0", "--no-progress", *extra,
    )  # fmt: skip
    assert code == 2, (code, stdout, err)
    lines = _error_lines(err)
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], err
    assert stdout == ""


def test_cli_memory_refusal_exits_2_and_names_out(
    monkeypatch: pytest.MonkeyPatch, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    monkeypatch.setenv("INCENTIVE_GEOMETRY_MAX_MEMORY", "100k")
    code, _, err = incgeo(
        "sweep", str(ENTRENCHMENT), "--grid", "theta=0:1:30", "--grid", "gamma=0:2:20",
        "--no-progress",
    )  # fmt: skip
    assert code == 2, err
    lines = _error_lines(err)
    assert len(lines) == 1 and "600 points (`points`) needs" in lines[0]
    assert "pass `out` (CLI: --out FILE) to stream the map to disk" in lines[0]


def test_cli_internal_failure_exits_1(
    monkeypatch: pytest.MonkeyPatch, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug in a chunk")

    monkeypatch.setattr(sweep_module, "evaluate_chunk", broken)
    code, _, err = incgeo(
        "sweep", str(ENTRENCHMENT), "--grid", "theta=0:1:5", "--workers", "0", "--no-progress"
    )
    assert code == 1, err
    lines = _error_lines(err)
    assert lines[0] == "internal error: RuntimeError: a bug in a chunk", err
    assert "Traceback" not in err
