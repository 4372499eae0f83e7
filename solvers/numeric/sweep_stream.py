"""Sweeps larger than memory: the map's arrays filled chunk by chunk, in memory or on disk.

:class:`MapArrays` holds the per-point arrays of a sweep while its chunks arrive, in any order:
in memory (a sweep without ``out=``), or as ``.npy`` files memory-mapped with
:func:`numpy.lib.format.open_memmap` in a folder (a sweep with ``out=``), so that a chunk's
result goes to its rows on disk as soon as it is computed and the whole map is never held in
memory. :func:`grid_rows` makes the parameter rows of a grid for a range of points without
building the grid, and :func:`check_disk` refuses a streamed sweep whose files would not fit
on disk.

Examples
--------
>>> import numpy as np
>>> from incentive_geometry.solvers.numeric.sweep_stream import MapArrays, grid_rows
>>> axes = (np.array([0.0, 1.0]), np.array([10.0, 20.0, 30.0]))
>>> grid_rows(axes, (2, 3), 2, 5).tolist()
[[0.0, 30.0], [1.0, 10.0], [1.0, 20.0]]
>>> maps = MapArrays(4)
>>> maps.put("v", 2, 4, np.array([5.0, 6.0]))
>>> maps.put("v", 0, 2, np.array([3.0, 4.0]))
>>> maps["v"].tolist()
[3.0, 4.0, 5.0, 6.0]
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from incentive_geometry.errors import ModelError

from .resources import format_bytes

__all__ = ["MapArrays", "check_disk", "grid_rows", "spans"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def grid_rows(
    axes: tuple[FloatArray, ...], shape: tuple[int, ...], start: int, stop: int
) -> FloatArray:
    """Rows ``start:stop`` of the grid over `axes` (``"ij"`` order), without building the grid.

    Row ``r`` holds ``axes[j][i_j]`` with ``(i_0, i_1, ...) = unravel_index(r, shape)``: the
    same values, bit for bit, as row ``r`` of ``np.stack([g.ravel() for g in
    np.meshgrid(*axes, indexing="ij")], 1)``.

    Parameters
    ----------
    axes : tuple of 1-D arrays
    shape : tuple of int
        ``tuple(len(a) for a in axes)``.
    start, stop : int
        The rows (flat point indices).

    Returns
    -------
    numpy.ndarray, shape (stop - start, len(axes))

    Examples
    --------
    >>> import numpy as np
    >>> grid_rows((np.array([1.0, 2.0]), np.array([3.0, 4.0])), (2, 2), 0, 4).tolist()
    [[1.0, 3.0], [1.0, 4.0], [2.0, 3.0], [2.0, 4.0]]
    """
    index = np.unravel_index(np.arange(start, stop), shape)
    return np.stack([axis[i] for axis, i in zip(axes, index, strict=True)], axis=1)


def spans(n: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive blocks of `size` rows covering ``range(n)``.

    Examples
    --------
    >>> list(spans(5, 2))
    [(0, 2), (2, 4), (4, 5)]
    """
    for start in range(0, n, size):
        yield start, min(start + size, n)


class MapArrays:
    """Per-point arrays of a sweep, filled block by block, in memory or memory-mapped on disk.

    Each array is made when its first block arrives (its trailing shape and dtype are those of
    the block) with one row per point; :meth:`put` writes a block to its rows. With a `folder`
    every array is a ``.npy`` file there (:func:`numpy.lib.format.open_memmap`), so the map
    never has to fit in memory; an existing folder is emptied first.

    Parameters
    ----------
    n_points : int
        Rows of every array.
    folder : path, optional
        Where the ``.npy`` files go; None keeps the arrays in memory.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from incentive_geometry.solvers.numeric.sweep_stream import MapArrays
    >>> maps = MapArrays(3, folder=pathlib.Path(tempfile.mkdtemp()) / "map")
    >>> maps.put("x", 0, 3, np.arange(6.0).reshape(3, 2))
    >>> type(maps["x"]).__name__, maps["x"][2].tolist()
    ('memmap', [4.0, 5.0])
    """

    def __init__(self, n_points: int, folder: str | Path | None = None) -> None:
        self.n_points = int(n_points)
        self.folder = None if folder is None else Path(folder)
        self.arrays: dict[str, np.ndarray] = {}
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)

    def create(self, name: str, tail: tuple[int, ...], dtype: Any, fill: Any = None) -> np.ndarray:
        """Make the array `name` of shape ``(n_points, *tail)`` (filled with `fill` if given)."""
        shape = (self.n_points, *tail)
        if self.folder is None:
            arr = np.empty(shape, dtype=dtype) if fill is None else np.full(shape, fill, dtype)
        else:
            arr = np.lib.format.open_memmap(
                self.folder / f"{name}.npy", mode="w+", dtype=np.dtype(dtype), shape=shape
            )
            if fill is not None:
                # Block by block: a full-size temporary would defeat the point of the file.
                for a, b in spans(self.n_points, 1 << 20):
                    arr[a:b] = fill
        self.arrays[name] = arr
        return arr

    def put(self, name: str, start: int, stop: int, block: np.ndarray) -> None:
        """Write `block` to rows ``start:stop`` of the array `name` (made on first use)."""
        block = np.asarray(block)
        if name not in self.arrays:
            if self.folder is None and start == 0 and stop == self.n_points == len(block):
                # One block holds every row: it is the array (no second copy of the map).
                self.arrays[name] = block
                return
            self.create(name, block.shape[1:], block.dtype)
        self.arrays[name][start:stop] = block

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def __contains__(self, name: object) -> bool:
        return name in self.arrays

    def flush(self) -> None:
        """Write the memory-mapped arrays' dirty pages to their files."""
        for arr in self.arrays.values():
            if isinstance(arr, np.memmap):
                arr.flush()


def check_disk(need: float, folder: str | Path, *, what: str, fix: str) -> None:
    """Refuse a streamed job whose files need more than the free space of `folder`.

    Parameters
    ----------
    need : float
        Estimated bytes written.
    folder : path
        Where they go (an existing folder).
    what, fix : str
        The request and how to make it smaller.

    Raises
    ------
    ModelError

    Examples
    --------
    >>> check_disk(1.0, ".", what="a tiny map", fix="nothing")
    >>> try:
    ...     check_disk(1e30, ".", what="`out`: a huge map", fix="sweep fewer points")
    ... except Exception as exc:
    ...     print(str(exc).split(" of disk")[0])
    `out`: a huge map needs 1000000000000000000.0 TB
    """
    free = shutil.disk_usage(os.fspath(folder)).free
    if need > free:
        raise ModelError(
            f"{what} needs {format_bytes(need)} of disk, more than the {format_bytes(free)} "
            f"free in `{folder}`; {fix}"
        )
