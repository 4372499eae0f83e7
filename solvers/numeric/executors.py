"""Running chunks of work on any executor, keeping every finished chunk.

:func:`run_chunks` maps a picklable function over chunk indices on a
:class:`concurrent.futures.Executor` (a process pool, a thread pool, or the executor of a
``dask.distributed.Client``), or in this process. Finished chunks go to a :class:`ChunkStore`
on disk as they complete, so an interrupted run (Ctrl-C, a killed worker) keeps them and the same
call resumes where it stopped. A chunk whose worker died is retried, never dropped.

Results never depend on the executor: each chunk is a pure function of its index, and the caller
assembles chunks by index.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from incentive_geometry.errors import ConvergenceError, ModelError

__all__ = ["ChunkStore", "ExecutorSpec", "fingerprint", "open_executor", "run_chunks"]

ExecutorSpec = cf.Executor | Any | str | None


def _is_dask_client(obj: object) -> bool:
    return type(obj).__name__ == "Client" and hasattr(obj, "get_executor")


@contextlib.contextmanager
def open_executor(
    spec: ExecutorSpec, *, n_chunks: int, heavy: bool
) -> Iterator[cf.Executor | None]:
    """The executor to use for a job, closed afterwards if this function made it.

    Parameters
    ----------
    spec : Executor, dask Client, "serial", "processes", "auto" or None
        ``None``/``"auto"`` runs in this process unless the job is `heavy` and has several
        chunks, in which case a process pool with one worker per core is made. A
        ``dask.distributed.Client`` is used through its ``concurrent.futures`` executor.
    n_chunks : int
        Number of chunks of the job.
    heavy : bool
        Whether the job is large enough to be worth a process pool.

    Yields
    ------
    Executor or None
        None means: run in this process.

    Raises
    ------
    ModelError
        For an unknown spec.

    Examples
    --------
    >>> from incentive_geometry.solvers.numeric.executors import open_executor
    >>> with open_executor("serial", n_chunks=4, heavy=True) as ex:
    ...     ex is None
    True
    """
    if spec is None or spec == "auto":
        spec = "processes" if heavy and n_chunks > 1 and (os.cpu_count() or 1) > 1 else "serial"
    if spec == "serial":
        yield None
    elif spec == "processes":
        with cf.ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
            yield pool
    elif _is_dask_client(spec):
        client: Any = spec
        yield client.get_executor()
    elif isinstance(spec, cf.Executor):
        yield spec
    else:
        raise ModelError(
            f"`executor` must be None, 'auto', 'serial', 'processes', a concurrent.futures.Executor "
            f"or a dask.distributed.Client; got {spec!r:.60} ({type(spec).__name__})"
        )


@dataclass
class ChunkStore:
    """Finished chunks of one job, kept on disk beside the final output file.

    The chunks live in ``<out>.parts/`` as ``chunk-NNNNNN.npz`` files, each written to a
    temporary name and renamed, so a file is either whole or absent. ``manifest.json`` holds a
    fingerprint of the job; a store whose fingerprint differs is refused rather than mixed.

    Parameters
    ----------
    out : path
        The job's final output file (e.g. ``map.npz``).
    fingerprint : str
        A digest of everything that determines the results (model, points, options).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from incentive_geometry.solvers.numeric.executors import ChunkStore
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "map.npz"
    >>> store = ChunkStore(out, "abc")
    >>> store.save(3, {"x": np.arange(3.0)})
    >>> sorted(store.finished())
    [3]
    >>> store.load(3)["x"]
    array([0., 1., 2.])
    """

    out: Path
    fingerprint: str
    parts: Path = field(init=False)

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        self.parts = self.out.with_name(self.out.name + ".parts")
        manifest = self.parts / "manifest.json"
        if manifest.exists():
            recorded = json.loads(manifest.read_text()).get("fingerprint")
            if recorded != self.fingerprint:
                raise ModelError(
                    f"`{self.parts}` holds chunks of a different job (other model, points or "
                    "options); use another output file or delete that folder to start over"
                )
        else:
            self.parts.mkdir(parents=True, exist_ok=True)
            manifest.write_text(json.dumps({"fingerprint": self.fingerprint}))

    def _path(self, index: int) -> Path:
        return self.parts / f"chunk-{index:06d}.npz"

    def finished(self) -> set[int]:
        """Indices of the chunks already on disk."""
        return {int(p.stem.split("-")[1]) for p in self.parts.glob("chunk-*.npz")}

    def save(self, index: int, arrays: Mapping[str, np.ndarray]) -> None:
        """Write one chunk atomically (temporary file, then rename)."""
        tmp = self.parts / f".chunk-{index:06d}.tmp.npz"
        np.savez(tmp, **dict(arrays))  # type: ignore[arg-type]
        os.replace(tmp, self._path(index))

    def load(self, index: int) -> dict[str, np.ndarray]:
        """Read one chunk."""
        with np.load(self._path(index), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}

    def remove(self) -> None:
        """Delete the chunk folder once the final output is written."""
        shutil.rmtree(self.parts, ignore_errors=True)


def fingerprint(*parts: object) -> str:
    """A stable digest of the job description (for :class:`ChunkStore`).

    Examples
    --------
    >>> from incentive_geometry.solvers.numeric.executors import fingerprint
    >>> fingerprint("a", 1) == fingerprint("a", 1) != fingerprint("a", 2)
    True
    """
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(np.ascontiguousarray(part).tobytes())
            digest.update(str(part.shape).encode())
        else:
            digest.update(repr(part).encode())
        digest.update(b"|")
    return digest.hexdigest()


def run_chunks(
    func: Callable[..., dict[str, np.ndarray]],
    indices: Sequence[int],
    *,
    args: tuple[Any, ...] = (),
    payload: Callable[[int], tuple[Any, ...]] | None = None,
    executor: ExecutorSpec = None,
    heavy: bool = False,
    store: ChunkStore | None = None,
    retries: int = 2,
    progress: bool = False,
    description: str = "chunks",
) -> dict[int, dict[str, np.ndarray]]:
    """Run ``func(*args, *payload(index), index)`` for every chunk; return the results by index.

    Chunks already in `store` are loaded, not recomputed; new ones are saved as they finish.
    A chunk whose worker dies (a broken process pool, a lost Dask worker) is resubmitted up to
    `retries` times, on a fresh pool when this function made the pool, otherwise in this process.

    Parameters
    ----------
    func : callable
        A picklable, module-level function ``func(*args, index) -> dict of arrays``.
    indices : sequence of int
        The chunks to compute.
    args : tuple
        Leading arguments of `func`, the same for every chunk (the job's plan).
    payload : callable, optional
        ``payload(index)`` gives the chunk's own arguments (e.g. its rows), made in this process
        so that only the chunk's data travels to the worker.
    executor : see :func:`open_executor`
    heavy : bool
        Whether ``executor=None`` should make a process pool.
    store : ChunkStore, optional
        Where finished chunks are kept.
    retries : int
        How often a chunk whose worker died is retried.
    progress : bool
        Show a progress bar (tqdm, on stderr).
    description : str
        Label of the progress bar.

    Returns
    -------
    dict of int to dict of arrays

    Raises
    ------
    ConvergenceError
        When a chunk still fails after its retries (the finished chunks stay in `store`).
    KeyboardInterrupt
        Re-raised after pending work is cancelled; the finished chunks stay in `store`.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.solvers.numeric.executors import run_chunks
    >>> def square(scale, i):
    ...     return {"v": np.array([scale * i * i])}
    >>> out = run_chunks(square, [0, 1, 2], args=(10,))
    >>> [int(out[i]["v"][0]) for i in range(3)]
    [0, 10, 40]
    """
    from tqdm import tqdm

    results: dict[int, dict[str, np.ndarray]] = {}
    todo = list(indices)
    if store is not None:
        done = store.finished() & set(todo)
        for i in sorted(done):
            results[i] = store.load(i)
        todo = [i for i in todo if i not in done]
    bar = tqdm(
        total=len(indices),
        initial=len(results),
        desc=description,
        disable=not progress,
        unit="chunk",
        leave=False,
    )

    def call_args(i: int) -> tuple[Any, ...]:
        return (*args, *(payload(i) if payload is not None else ()), i)

    def finish(i: int, value: dict[str, np.ndarray]) -> None:
        results[i] = value
        if store is not None:
            store.save(i, value)
        bar.update(1)

    if not todo:
        # Everything was in the store (a finished run, resumed): no pool to start.
        bar.close()
        return results
    try:
        with open_executor(executor, n_chunks=len(todo), heavy=heavy) as pool:
            if pool is None:
                for i in todo:
                    finish(i, func(*call_args(i)))
            else:
                own = executor is None or (
                    isinstance(executor, str) and executor in ("auto", "processes")
                )
                _run_on_pool(pool, func, call_args, todo, finish, retries, own=own)
    finally:
        bar.close()
    return results


def _run_on_pool(
    pool: cf.Executor,
    func: Callable[..., dict[str, np.ndarray]],
    call_args: Callable[[int], tuple[Any, ...]],
    todo: list[int],
    finish: Callable[[int, dict[str, np.ndarray]], None],
    retries: int,
    *,
    own: bool,
) -> None:
    attempts = dict.fromkeys(todo, 0)
    pending = list(todo)
    current: cf.Executor = pool
    made: list[cf.Executor] = []
    try:
        while pending:
            futures = {current.submit(func, *call_args(i)): i for i in pending}
            failed: list[int] = []
            try:
                for fut in cf.as_completed(futures):
                    i = futures[fut]
                    try:
                        value = fut.result()
                    except cf.process.BrokenProcessPool:
                        failed.append(i)
                        continue
                    except Exception as err:
                        # A task that raises for its own reasons is a bug in the job, not a lost
                        # worker: report it with the chunk index.
                        if type(err).__name__ in ("KilledWorker", "CommClosedError"):
                            failed.append(i)
                            continue
                        raise
                    finish(i, value)
            except KeyboardInterrupt:
                for fut in futures:
                    fut.cancel()
                raise
            for i in failed:
                attempts[i] += 1
                if attempts[i] > retries:
                    raise ConvergenceError(
                        f"chunk {i} failed {attempts[i]} times (its worker died each time); the "
                        "finished chunks are kept, rerun to resume"
                    )
            pending = sorted(failed)
            if pending:
                warnings.warn(
                    f"{len(pending)} chunk(s) lost a worker; retrying them",
                    RuntimeWarning,
                    stacklevel=3,
                )
                if own:
                    current = cf.ProcessPoolExecutor(max_workers=os.cpu_count())
                    made.append(current)
                else:
                    # The caller's pool is broken and not ours to replace: finish here.
                    for i in pending:
                        finish(i, func(*call_args(i)))
                    pending = []
    finally:
        for extra in made:
            extra.shutdown(wait=False, cancel_futures=True)
