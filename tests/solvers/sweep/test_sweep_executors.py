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
