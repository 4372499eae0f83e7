"""The result of a parameter sweep: :class:`StabilityMap` (classes, counts, save, load, plot).

Output file format: a NumPy ``.npz`` archive holding the arrays of :class:`StabilityMap` and a
``meta`` entry (JSON text) with names, labels, classes and the analytic boundaries. Small maps
are compressed; large ones (above :data:`COMPRESS_LIMIT` bytes, e.g. a streamed sweep's) are
stored uncompressed, written array by array in blocks (never a full copy in memory) and read
back lazily: :meth:`StabilityMap.load` memory-maps each stored array where it lies in the file.

Examples
--------
>>> import numpy as np
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
>>> ig.sweep(m, {"r": np.array([-1.0, 1.0])}).counts
{'x=0 only': 1, 'x=r only': 1}
"""

from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import incentive_geometry.display as display
from incentive_geometry.errors import ModelError

__all__ = ["COMPRESS_LIMIT", "StabilityMap"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Maps whose arrays hold more bytes than this are saved uncompressed (and load lazily).
COMPRESS_LIMIT = 64 * 2**20


#: Bytes per block when an uncompressed map is written (a memory-mapped array is read from its
#: file a block at a time, never copied whole).
WRITE_BLOCK = 2**20


def _save_stored(path: Path, arrays: dict[str, Any]) -> None:
    """Write `arrays` as an uncompressed ``.npz`` (each entry a ``.npy`` file of format 1.0,
    as :func:`numpy.savez` writes it), in blocks of rows of about :data:`WRITE_BLOCK` bytes."""
    with zipfile.ZipFile(path, mode="w", compression=zipfile.ZIP_STORED) as zf:
        for key, value in arrays.items():
            arr = np.asanyarray(value)
            header = {
                "descr": np.lib.format.dtype_to_descr(arr.dtype),
                "fortran_order": False,
                "shape": arr.shape,
            }
            with zf.open(f"{key}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array_header_1_0(fh, header)
                if arr.ndim == 0:
                    fh.write(np.ascontiguousarray(arr).tobytes())
                    continue
                row = max(1, arr[:1].nbytes)
                step = max(1, WRITE_BLOCK // row)
                for a in range(0, arr.shape[0], step):
                    fh.write(np.ascontiguousarray(arr[a : a + step]).data.cast("B"))


def _stored_arrays(path: Path) -> dict[str, np.ndarray]:
    """The uncompressed ``.npy`` entries of the archive `path`, memory-mapped read-only where
    they lie in the file (a stored zip entry is the ``.npy`` bytes themselves, after its local
    header of 30 bytes, the name and the extra field). Entries that are compressed, or whose
    ``.npy`` header is not of version 1 or 2, are left to :func:`numpy.load`."""
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                continue
            fh.seek(info.header_offset)
            local = fh.read(30)
            if len(local) != 30 or local[:4] != b"PK\x03\x04":
                raise ValueError(f"entry {info.filename!r} has no local header")
            name_len = int.from_bytes(local[26:28], "little")
            extra_len = int.from_bytes(local[28:30], "little")
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                continue
            if dtype.hasobject:
                raise ValueError(f"entry {info.filename!r} holds Python objects")
            key = info.filename[: -len(".npy")]
            if 0 in shape or not shape:
                continue  # numpy.memmap cannot map empty or 0-d arrays: np.load reads them
            out[key] = np.memmap(
                path,
                dtype=dtype,
                mode="r",
                offset=fh.tell(),
                shape=shape,
                order="F" if fortran else "C",
            )
    return out


@dataclass(frozen=True)
class StabilityMap:
    """Equilibria, stability and a class at every point of a parameter sweep.

    Attributes
    ----------
    model_name : str
    parameter_names : tuple of str
        The swept parameters, in the order of the columns of `values`.
    values : numpy.ndarray, shape (P, k)
        The swept parameter values at each point.
    shape : tuple of int
        Shape of the grid (``(len(a), len(b))`` for a grid over a and b; ``(P,)`` for a sample).
    axes : tuple of numpy.ndarray or None
        The grid axes, None for a sample.
    fixed : dict of str to float
        Values of the parameters that were not swept.
    equilibrium_labels : tuple of str
        A label per equilibrium slot (closed form) or per labelled equilibrium (numeric).
    x : numpy.ndarray, shape (P, E, n)
        Equilibria (NaN where a slot holds none).
    exists, stable : numpy.ndarray of bool, shape (P, E)
        Stable beyond the neutral band of :mod:`~incentive_geometry.solvers.numeric.stability`.
    eigenvalues : numpy.ndarray of complex, shape (P, E, n)
    class_codes : numpy.ndarray of int, shape (P,)
        Index into `class_names` at each point.
    class_names : tuple of str
    boundaries : tuple of (str, str)
        Analytic stability boundaries ``(label, expression)``, zero on the boundary, from the
        symbolic engine (empty when none is known).
    neutral : numpy.ndarray of bool, shape (P, E)
        Equilibria whose linearization does not decide stability (an eigenvalue on the boundary
        within the tolerance, or a Jacobian that is not finite); neither stable nor unstable.
        Named in the class: ``"x=r only (x=0 neutral)"``.
    defined : numpy.ndarray of bool, shape (P,)
        False where the model is undefined (no equilibrium, and the right-hand side is not
        finite at any probe state: ``log(a)`` with ``a <= 0``); such points have the class
        ``"undefined"``.
    period : numpy.ndarray of float, shape (P,)
        The period of the cycle a simulation probe settled on, at points of class
        ``"stable cycle"``; NaN elsewhere (see :func:`sweep`'s `cycles`).
    method : str
        ``"closed_form"`` or ``"numeric"``.
    seconds : float
        Wall time of the sweep.
    notes : tuple of str
        What the sweep noticed on the way: why it used numerics, and, per closed form, at how
        many points its value was refused (complex, undefined, not a root, a pole) where the
        engine says it exists, where it is an equilibrium the engine says does not exist, and
        where Newton recovered a root the formula lost to cancellation.

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    >>> sm = ig.sweep(m, {"r": np.array([-1.0, 1.0])})
    >>> sm.counts
    {'x=0 only': 1, 'x=r only': 1}
    """

    model_name: str
    parameter_names: tuple[str, ...]
    values: FloatArray
    shape: tuple[int, ...]
    axes: tuple[FloatArray, ...] | None
    fixed: dict[str, float]
    equilibrium_labels: tuple[str, ...]
    x: FloatArray
    exists: np.ndarray
    stable: np.ndarray
    eigenvalues: np.ndarray
    class_codes: np.ndarray
    class_names: tuple[str, ...]
    boundaries: tuple[tuple[str, str], ...] = ()
    method: str = "closed_form"
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    neutral: np.ndarray | None = None
    defined: np.ndarray | None = None
    period: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.neutral is None:
            object.__setattr__(self, "neutral", np.zeros_like(np.asarray(self.stable), dtype=bool))
        if self.defined is None:
            object.__setattr__(self, "defined", np.ones(np.shape(self.class_codes), dtype=bool))
        if self.period is None:
            object.__setattr__(self, "period", np.full(np.shape(self.class_codes), np.nan))

    @property
    def classes(self) -> np.ndarray:
        """The class name at each point, in the grid's shape."""
        names = np.array(self.class_names, dtype=object)
        return names[self.class_codes].reshape(self.shape)

    @property
    def counts(self) -> dict[str, int]:
        """Number of points in each class (classes with no point left out)."""
        tally = np.bincount(self.class_codes, minlength=len(self.class_names))
        return {name: int(k) for name, k in zip(self.class_names, tally, strict=True) if k}

    def save(self, path: str | Path, *, compress: bool | None = None) -> Path:
        """Write the map to a ``.npz`` file (see the module docstring for the format).

        Parameters
        ----------
        path : str or Path
        compress : bool, optional
            Compress the arrays. Default: only when they hold at most :data:`COMPRESS_LIMIT`
            bytes; an uncompressed file is read back lazily by :meth:`load`.

        Returns
        -------
        Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import numpy as np
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
        >>> sm = ig.sweep(m, {"r": np.array([-1.0, 1.0])})
        >>> path = sm.save(pathlib.Path(tempfile.mkdtemp()) / "map.npz")
        >>> ig.StabilityMap.load(path).counts == sm.counts
        True
        """
        path = Path(path)
        meta = {
            "model_name": self.model_name,
            "parameter_names": list(self.parameter_names),
            "shape": list(self.shape),
            "fixed": self.fixed,
            "equilibrium_labels": list(self.equilibrium_labels),
            "class_names": list(self.class_names),
            "boundaries": [list(b) for b in self.boundaries],
            "method": self.method,
            "seconds": self.seconds,
            "notes": list(self.notes),
            "n_axes": 0 if self.axes is None else len(self.axes),
        }
        arrays: dict[str, Any] = {
            "values": self.values,
            "x": self.x,
            "exists": self.exists,
            "stable": self.stable,
            "neutral": self.neutral,
            "defined": self.defined,
            "period": self.period,
            "eigenvalues": self.eigenvalues,
            "class_codes": self.class_codes,
            "meta": np.array(json.dumps(meta)),
        }
        for i, axis in enumerate(self.axes or ()):
            arrays[f"axis_{i}"] = axis
        if compress is None:
            compress = sum(np.asarray(v).nbytes for v in arrays.values()) <= COMPRESS_LIMIT
        tmp = path.with_name(path.name + ".tmp.npz")
        if compress:
            np.savez_compressed(tmp, **arrays)
        else:
            _save_stored(tmp, arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> StabilityMap:
        """Read a map written by :meth:`save`; the arrays of an uncompressed file are
        memory-mapped read-only (read from disk as they are used), so a map larger than memory
        loads. (A memory-mapped array bypasses the archive's CRC check, which would read it
        whole; a compressed file is read and checked.)

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        StabilityMap

        Raises
        ------
        ModelError
            When the file is missing or not a stability map.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> ig.StabilityMap.load("missing.npz")
        Traceback (most recent call last):
        ...
        incentive_geometry.errors.ModelError: stability map file `missing.npz` does not exist
        """
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"stability map file `{path}` does not exist")
        try:
            lazy = _stored_arrays(path)
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {k: lazy[k] if k in lazy else data[k] for k in data.files if k != "meta"}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as err:
            # A truncated, empty or altered file: named, never a raw BadZipFile.
            raise ModelError(
                f"`{path}` is not a stability map file ({type(err).__name__}: {err}); "
                "write it again (rerun the sweep)"
            ) from None
        try:
            axes = tuple(arrays[f"axis_{i}"] for i in range(meta["n_axes"])) or None
            return cls(
                model_name=meta["model_name"],
                parameter_names=tuple(meta["parameter_names"]),
                values=arrays["values"],
                shape=tuple(meta["shape"]),
                axes=axes,
                fixed=meta["fixed"],
                equilibrium_labels=tuple(meta["equilibrium_labels"]),
                x=arrays["x"],
                exists=arrays["exists"],
                stable=arrays["stable"],
                eigenvalues=arrays["eigenvalues"],
                class_codes=arrays["class_codes"],
                class_names=tuple(meta["class_names"]),
                boundaries=tuple((a, b) for a, b in meta["boundaries"]),
                method=meta["method"],
                seconds=meta["seconds"],
                notes=tuple(meta["notes"]),
                neutral=arrays.get("neutral"),
                defined=arrays.get("defined"),
                period=arrays.get("period"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            # Readable, but not what `save` writes (fields missing or of the wrong kind).
            raise ModelError(
                f"`{path}` is not a stability map file ({type(err).__name__}: {err}); "
                "write it again (rerun the sweep)"
            ) from None

    def plot(
        self, path: str | Path | None = None, *, ax: Any = None, title: str | None = None
    ) -> Any:
        """Draw the region map of a 2-D grid, with the analytic boundaries on top.

        Parameters
        ----------
        path : str or Path, optional
            Save the figure there (PNG or SVG by the suffix).
        ax : matplotlib Axes, optional
            Draw into these axes.
        title : str, optional

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ModelError
            When the sweep is not a 2-D grid.

        Examples
        --------
        >>> import numpy as np
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "x*(r - s*x)"}, parameters={"r": 1.0, "s": 1.0})
        >>> sm = ig.sweep(m, {"r": np.linspace(-1, 1, 5), "s": np.linspace(0.5, 1, 3)})
        >>> fig = sm.plot()
        >>> len(fig.axes[0].images)
        1
        """
        from .plots import plot_stability_map  # matplotlib only when drawing

        return plot_stability_map(self, path, ax=ax, title=title)

    def __repr__(self) -> str:
        return display.stability_map_text(self)

    def _repr_html_(self) -> str:
        return display.stability_map_html(self)
