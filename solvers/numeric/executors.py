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
import threading
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from incentive_geometry.errors import ConvergenceError, ModelError

__all__ = [
    "ChunkStore",
    "ExecutorSpec",
    "fingerprint",
    "open_executor",
    "process_pool",
    "run_chunks",
]

ExecutorSpec = cf.Executor | Any | str | None


def _is_dask_client(obj: object) -> bool:
    return type(obj).__name__ == "Client" and hasattr(obj, "get_executor")


def _watch_parent(parent: int, interval: float) -> None:
    # A worker whose parent died (kill -9 leaves no chance to shut the pool down) is adopted
    # by another process: its parent pid changes. It then exits at once, losing nothing (the
    # parent, which would have collected its result, is gone).
    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            os._exit(0)


def _start_parent_watch(interval: float) -> None:
    # Pool initializer: runs once in each worker process. The parent is read here, in the
    # worker (the pool's process, or a fork server's under that start method).
    threading.Thread(target=_watch_parent, args=(os.getppid(), interval), daemon=True).start()


def process_pool(
    max_workers: int | None = None, *, interval: float = 0.5
) -> cf.ProcessPoolExecutor:
    """A process pool whose workers exit by themselves when this process dies.

    ``concurrent.futures`` workers outlive a parent killed by ``SIGKILL`` while they compute a
    task; each worker made here polls its parent pid every `interval` seconds and exits once
    it changes.

    Parameters
    ----------
    max_workers : int, optional
        Number of workers (default: one per core).
    interval : float
        Seconds between two checks of the parent pid.

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor

    Examples
    --------
    >>> from incentive_geometry.solvers.numeric.executors import process_pool
    >>> with process_pool(1) as pool:
    ...     pool.submit(abs, -3).result()
    3
    """
    return cf.ProcessPoolExecutor(
        max_workers=max_workers or os.cpu_count(),
        initializer=_start_parent_watch,
        initargs=(interval,),
    )


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
        with process_pool() as pool:
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
    temporary name and renamed. ``manifest.json`` holds a fingerprint of the job; a store whose
    fingerprint differs is refused rather than mixed. Each chunk file carries its own identity
    (the job's fingerprint, the chunk index and, when `span` is given, the rows it covers) and a
    SHA-256 checksum of its arrays: a chunk that is truncated, altered, empty or another chunk's
    file is not used (:meth:`load` returns None and the caller recomputes it).

    Parameters
    ----------
    out : path
        The job's final output file (e.g. ``map.npz``); its folder must exist.
    fingerprint : str
        A digest of everything that determines the results (model, points, options).
    span : callable, optional
        ``span(index) -> (start, stop)``: the rows of the job a chunk covers, recorded in the
        chunk and checked when it is read back.

    Raises
    ------
    ModelError
        When the folder of `out` does not exist, or ``manifest.json`` is unreadable or belongs
        to another job.

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
    span: Callable[[int], tuple[int, int]] | None = None
    parts: Path = field(init=False)

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        folder = self.out.parent
        if not folder.is_dir():
            raise ModelError(
                f"`out` = {os.fspath(self.out)!r}: the folder `{folder}` does not exist; "
                "create it first or write somewhere else"
            )
        self.parts = self.out.with_name(self.out.name + ".parts")
        manifest = self.parts / "manifest.json"
        if manifest.exists():
            try:
                recorded = json.loads(manifest.read_text()).get("fingerprint")
            except (OSError, UnicodeDecodeError, ValueError, AttributeError) as err:
                raise ModelError(
                    f"`{manifest}` is not a chunk manifest ({type(err).__name__}: {err}); "
                    f"delete the folder `{self.parts}` to start over"
                ) from None
            if recorded != self.fingerprint:
                raise ModelError(
                    f"`{self.parts}` holds chunks of a different job (other model, points or "
                    "options); use another output file or delete that folder to start over"
                )
        else:
            self.parts.mkdir(exist_ok=True)
            tmp = self.parts / ".manifest.tmp"
            tmp.write_text(json.dumps({"fingerprint": self.fingerprint}))
            os.replace(tmp, manifest)

    def _path(self, index: int) -> Path:
        return self.parts / f"chunk-{index:06d}.npz"

    def _identity(self, index: int) -> str:
        rows = None if self.span is None else [int(v) for v in self.span(index)]
        return json.dumps({"fingerprint": self.fingerprint, "index": int(index), "rows": rows})

    def finished(self) -> set[int]:
        """Indices of the chunks on disk (not yet checked; :meth:`load` checks them)."""
        found = set()
        for p in self.parts.glob("chunk-*.npz"):
            with contextlib.suppress(IndexError, ValueError):
                found.add(int(p.stem.split("-")[1]))
        return found

    def save(self, index: int, arrays: Mapping[str, np.ndarray]) -> None:
        """Write one chunk atomically (temporary file, then rename), with identity and checksum."""
        data = {k: np.asarray(v) for k, v in arrays.items()}
        identity = self._identity(index)
        data["__identity__"] = np.array(identity)
        data["__checksum__"] = np.array(_checksum(identity, data))
        tmp = self.parts / f".chunk-{index:06d}.tmp.npz"
        np.savez(tmp, **data)  # type: ignore[arg-type]
        os.replace(tmp, self._path(index))

    def load(self, index: int) -> dict[str, np.ndarray] | None:
        """Read one chunk; None (with a :class:`RuntimeWarning` naming the file) when it is bad.

        A bad chunk (unreadable, truncated, empty, altered, or the file of another chunk or
        another job) is deleted so that it is recomputed.
        """
        path = self._path(index)
        why = None
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            identity = str(arrays.pop("__identity__"))
            checksum = str(arrays.pop("__checksum__"))
            if identity != self._identity(index):
                why = f"it holds another chunk ({identity:.200})"
            elif checksum != _checksum(identity, arrays):
                why = "its checksum does not match its contents"
        except KeyError:
            why = "it has no identity or checksum"
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
            why = f"it is unreadable ({type(err).__name__}: {err})"
        if why is None:
            return arrays
        warnings.warn(
            f"chunk file `{path}` is not used: {why}; recomputing chunk {index}",
            RuntimeWarning,
            stacklevel=3,
        )
        with contextlib.suppress(OSError):
            path.unlink()
        return None

    def remove(self) -> None:
        """Delete the chunk folder once the final output is written."""
        shutil.rmtree(self.parts, ignore_errors=True)


def _checksum(identity: str, arrays: Mapping[str, np.ndarray]) -> str:
    # SHA-256 of the identity and of every array's name, dtype, shape and bytes, in name order.
    digest = hashlib.sha256(identity.encode())
    for key in sorted(k for k in arrays if k != "__checksum__"):
        if key == "__identity__":
            continue
        arr = np.ascontiguousarray(arrays[key])
        digest.update(f"|{key}|{arr.dtype.str}|{arr.shape}|".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


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
    sink: Callable[[int, dict[str, np.ndarray]], None] | None = None,
) -> dict[int, dict[str, np.ndarray]]:
    """Run ``func(*args, *payload(index), index)`` for every chunk; return the results by index.

    Chunks already in `store` are loaded, not recomputed; new ones are saved as they finish.
    With a `sink`, each chunk's result is handed to ``sink(index, result)`` as it arrives
    (loaded chunks included, in index order, before new ones) and is not kept: the returned
    dict is then empty, and at most the chunks in flight are in memory at once.
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
    sink : callable, optional
        ``sink(index, result)``, called in this process for every chunk as it arrives (e.g. to
        write it to its rows of an output file); the results are then not returned.

    Returns
    -------
    dict of int to dict of arrays
        Empty when a `sink` is given.

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
    >>> got = {}
    >>> run_chunks(square, [0, 1, 2], args=(10,), sink=lambda i, r: got.update({i: int(r["v"][0])}))
    {}
    >>> sorted(got.items())
    [(0, 0), (1, 10), (2, 40)]
    """
    from tqdm import tqdm

    results: dict[int, dict[str, np.ndarray]] = {}
    loaded: set[int] = set()
    todo = list(indices)
    if store is not None:
        for i in sorted(store.finished() & set(todo)):
            # A bad chunk file is named in a warning by `load` and recomputed below.
            value = store.load(i)
            if value is not None:
                loaded.add(i)
                if sink is None:
                    results[i] = value
                else:
                    sink(i, value)
        todo = [i for i in todo if i not in loaded]
    bar = tqdm(
        total=len(indices),
        initial=len(loaded),
        desc=description,
        disable=not progress,
        unit="chunk",
        leave=False,
    )

    def call_args(i: int) -> tuple[Any, ...]:
        return (*args, *(payload(i) if payload is not None else ()), i)

    def finish(i: int, value: dict[str, np.ndarray]) -> None:
        if store is not None:
            store.save(i, value)
        if sink is None:
            results[i] = value
        else:
            sink(i, value)
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
                # Streaming (a sink): only a few chunks in flight, so that neither their
                # arguments nor their results pile up in memory.
                window = None if sink is None else 4 * (os.cpu_count() or 1) + 4
                _run_on_pool(pool, func, call_args, todo, finish, retries, own=own, window=window)
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
    window: int | None = None,
) -> None:
    attempts = dict.fromkeys(todo, 0)
    pending = list(todo)
    current: cf.Executor = pool
    made: list[cf.Executor] = []
    try:
        while pending:
            queue = list(pending)
            futures: dict[cf.Future[Any], int] = {}
            failed: list[int] = []
            unsent: list[int] = []

            try:
                _top_up(current, func, call_args, queue, futures, unsent, window)
                while futures:
                    done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
                    for fut in sorted(done, key=futures.__getitem__):
                        # Popped, so that a finished chunk's result is not kept alive here.
                        i = futures.pop(fut)
                        try:
                            value = fut.result()
                        except cf.process.BrokenProcessPool:
                            failed.append(i)
                            continue
                        except Exception as err:
                            # A task that raises for its own reasons is a bug in the job, not
                            # a lost worker: report it with the chunk index.
                            if type(err).__name__ in ("KilledWorker", "CommClosedError"):
                                failed.append(i)
                                continue
                            raise
                        finish(i, value)
                    _top_up(current, func, call_args, queue, futures, unsent, window)
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
            pending = sorted(failed + unsent)
            if pending:
                warnings.warn(
                    f"{len(pending)} chunk(s) lost a worker; retrying them",
                    RuntimeWarning,
                    stacklevel=3,
                )
                if own:
                    current = process_pool()
                    made.append(current)
                else:
                    # The caller's pool is broken and not ours to replace: finish here.
                    for i in pending:
                        finish(i, func(*call_args(i)))
                    pending = []
    finally:
        for extra in made:
            extra.shutdown(wait=False, cancel_futures=True)


def _top_up(
    pool: cf.Executor,
    func: Callable[..., dict[str, np.ndarray]],
    call_args: Callable[[int], tuple[Any, ...]],
    queue: list[int],
    futures: dict[cf.Future[Any], int],
    unsent: list[int],
    window: int | None,
) -> None:
    # Submit from `queue` until `window` chunks are in flight (all of them without a window).
    while queue and (window is None or len(futures) < window):
        i = queue.pop(0)
        try:
            futures[pool.submit(func, *call_args(i))] = i
        except cf.process.BrokenProcessPool:
            # Not run at all: resubmitted without counting an attempt.
            unsent.extend([i, *queue])
            queue.clear()
