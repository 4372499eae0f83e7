"""run_chunks: chunks whose worker dies are retried, not dropped; failures say what happened."""

from __future__ import annotations

import concurrent.futures as cf
import os
from pathlib import Path

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.executors import ChunkStore, run_chunks


def die_once(marker: str, index: int) -> dict[str, np.ndarray]:
    """Kill the worker process the first time chunk 2 runs (a marker file remembers)."""
    if index == 2 and not os.path.exists(marker):
        Path(marker).write_text("died")
        os._exit(1)
    return {"v": np.array([index * 10.0])}


def always_die(index: int) -> dict[str, np.ndarray]:
    os._exit(1)


def test_a_chunk_whose_worker_dies_is_retried(tmp_path: Path) -> None:
    marker = str(tmp_path / "died")
    with pytest.warns(RuntimeWarning, match="lost a worker"):
        out = run_chunks(die_once, range(5), args=(marker,), executor="processes", heavy=True)
    assert Path(marker).exists(), "the worker must really have died once"
    assert {i: float(out[i]["v"][0]) for i in out} == {i: i * 10.0 for i in range(5)}


def test_a_users_broken_pool_is_finished_in_process(tmp_path: Path) -> None:
    marker = str(tmp_path / "died")
    with cf.ProcessPoolExecutor(max_workers=2) as pool, pytest.warns(RuntimeWarning):
        out = run_chunks(die_once, range(4), args=(marker,), executor=pool)
    assert sorted(out) == [0, 1, 2, 3]


def test_a_chunk_that_keeps_dying_is_reported(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "out.npz", "job")
    with pytest.warns(RuntimeWarning), pytest.raises(ig.ConvergenceError, match="chunk 0 failed"):
        run_chunks(always_die, [0], executor="processes", heavy=True, store=store, retries=1)


def test_unknown_executor_is_refused() -> None:
    with pytest.raises(ig.ModelError, match="`executor` must be"):
        run_chunks(die_once, [0], args=("x",), executor="gpu")


def test_sink_gets_every_chunk_once_even_when_a_worker_dies(tmp_path: Path) -> None:
    # Streaming: each result goes to the sink as it arrives (a few in flight), none is kept.
    marker = str(tmp_path / "died")
    got: dict[int, float] = {}

    def sink(i: int, value: dict[str, np.ndarray]) -> None:
        assert i not in got, f"chunk {i} sunk twice"
        got[i] = float(value["v"][0])

    with pytest.warns(RuntimeWarning, match="lost a worker"):
        out = run_chunks(
            die_once, range(40), args=(marker,), executor="processes", heavy=True, sink=sink
        )
    assert out == {} and got == {i: i * 10.0 for i in range(40)}


def test_sink_gets_the_stored_chunks_too(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "out.npz", "job")
    store.save(1, {"v": np.array([-1.0])})  # not what chunk 1 computes: it must be loaded
    marker = tmp_path / "died"
    marker.write_text("already")  # chunk 2 runs normally, in this process
    got: dict[int, float] = {}
    run_chunks(
        die_once,
        range(3),
        args=(str(marker),),
        store=store,
        sink=lambda i, v: got.update({i: float(v["v"][0])}),
    )
    assert got == {0: 0.0, 1: -1.0, 2: 20.0} and sorted(store.finished()) == [0, 1, 2]
