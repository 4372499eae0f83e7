"""Parameter sweeps: every equilibrium, its eigenvalues and stability, at many parameter points.

:func:`sweep` evaluates a model over a grid or a sample of parameter points. For each point it
finds all equilibria, their eigenvalues (one stacked :func:`numpy.linalg.eigvals` call per chunk)
and stability, and gives the point a class named after its stable equilibria (``"aligned only"``,
``"aligned + entrenched (bistable)"``, ``"none stable"``). Equilibria come

* from the symbolic engine's closed forms (``method="closed_form"``), compiled once and evaluated
  vectorized over the parameters, when the engine finds all equilibria in closed form. A closed
  form is never trusted blindly: it is evaluated in complex arithmetic, and a slot holds an
  equilibrium at a point only where its value is finite, real (imaginary part below
  :data:`IMAG_TOL` relative to its size, then the real value is used) and a root of the
  right-hand side there (residual below :data:`RESIDUAL_TOL` relative to the size of the terms).
  Points where a slot the engine says exists fails these checks are counted in the map's
  ``notes`` (a closed form that is not a root also raises a :class:`RuntimeWarning`); or
* numerically (``method="numeric"``): a batched Newton iteration with the analytic Jacobian from
  one fixed set of starts (the box corners and scrambled Sobol points, the same for every point),
  then seeding passes in which each point starts Newton from its own and its neighbouring
  points' roots, until no point gains a root.

Points of a flow with no stable (and no neutral) equilibrium are probed by simulation
(``cycles=True``, the default for flows): from a few seeded starts next to the point's
equilibria, one vectorized ensemble of trajectories, and :func:`~.cycles.detect_cycle` on the
second half of each. A point where a trajectory settles on a periodic orbit gets the class
``"stable cycle"`` and the orbit's period (:attr:`StabilityMap.period`); a probe that diverges,
fails or does not settle leaves the point ``"none stable"``; every outcome is counted in the
map's ``notes``, and so are the points left unprobed past the bound `max_probes`.

Each pass makes a point's result a function of the previous pass's results, never of how the
points were split into chunks, so results are identical whatever the chunking, the executor or
the number of workers. Work is chunked and runs on any
:class:`concurrent.futures.Executor` or a ``dask.distributed.Client``; with ``out=`` finished
chunks are kept on disk and an interrupted sweep resumes.

Sweeps larger than memory: with ``out=`` the map is streamed. Each chunk's arrays go to their
rows of memory-mapped ``.npy`` files beside `out` as the chunk arrives (a grid's parameter rows
are made per chunk from its axes, never as a whole grid), the map's classes are computed block
by block, and the map is then written to `out` uncompressed and returned read lazily from it,
so memory holds a few chunks at a time. (The numeric method's seeding passes still hold every
point's roots in memory: a point's neighbours may lie in any chunk.) Without ``out=`` the same
code runs on arrays in memory, and gives the same map bit for bit.

Refused up front, with the estimate and what to do: a sweep whose map would not fit in memory
(half of it by default, see :mod:`.resources`; the message says whether streaming it with
``out=`` would fit on disk), a streamed sweep whose files would not fit on the disk of `out`,
and a sweep of several chunks whose first chunk, timed in this process (the pilot), says the
whole would take longer than `timeout`. The pilot's result is part of the map (and is kept in
``out``'s chunk folder when the sweep is refused), so nothing is computed twice.

Output file format: a NumPy ``.npz`` archive holding the arrays of :class:`StabilityMap` and a
``meta`` entry (JSON text) with names, labels, classes and the analytic boundaries (see
:mod:`.stability_map`; a streamed map is stored uncompressed).

Examples
--------
>>> import numpy as np
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
>>> sm = ig.sweep(m, {"r": np.linspace(-1, 1, 5)}, labels={"extinct": {"x": 0}})
>>> sm.classes.tolist()
['extinct only', 'extinct only', 'none stable (extinct neutral)', 'x=r only', 'x=r only']
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

from .compile import resolve_params
from .executors import ChunkStore, ExecutorSpec, fingerprint, run_chunks
from .resources import check_memory, format_bytes, memory_limit
from .stability_map import StabilityMap
from .sweep_chunk import evaluate_chunk, fill_spectra, uses_hurwitz
from .sweep_cycles import cycle_probe
from .sweep_fused import BUILD_POINTS, COMPILE_SECONDS, FUSED_MIN, PATTERN_SLOTS, fused_kernel
from .sweep_plan import (
    SweepPlan,
    closed_form_equilibria,
    closed_form_notes,
    closed_form_points,
    neighbour_seeds,
    param_rows,
    roots_chunk,
    shared_starts,
    stability_boundaries,
)
from .sweep_stream import MapArrays, check_disk, grid_rows, spans

__all__ = ["StabilityMap", "sweep"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Seconds the symbolic engine gets for the equilibria of a ``method="auto"`` sweep before the
#: sweep takes the numeric route (which costs seconds for models of a few states).
AUTO_SYMBOLIC_BUDGET = 10.0

# --------------------------------------------------------------------------------------------
# The sweep


def _point_count(points: Any) -> int:
    """Number of points of a grid or a sample table, without building it."""
    if isinstance(points, Mapping):
        count = 1
        for axis in points.values():
            count *= int(np.size(axis)) if not isinstance(axis, range) else len(axis)
        return count
    shape = np.shape(points)
    return int(shape[0]) if shape else 0


def _points(
    model: Model, points: Any, names: Sequence[str] | None, *, build: bool = True
) -> tuple[tuple[str, ...], FloatArray | None, tuple[int, ...], tuple[FloatArray, ...] | None]:
    """Normalize `points` to (names, values (P, k), shape, axes); a grid's values are None
    unless `build` (a streamed sweep makes the rows of each chunk from the axes)."""
    if isinstance(points, Mapping):
        if not points:
            raise ModelError("`points` is empty; give at least one parameter axis")
        keys = tuple(points)
        axes = []
        for key in keys:
            model.parameter(key)
            arr = np.asarray(points[key], dtype=float)
            if arr.ndim != 1 or arr.size == 0:
                raise ModelError(
                    f"grid axis `{key}` must be a non-empty 1-D array, got shape {arr.shape}"
                )
            axes.append(arr)
        shape = tuple(len(a) for a in axes)
        if not build:
            return keys, None, shape, tuple(axes)
        # The rows of ``np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], 1)``,
        # written in one pass (no meshgrid copies).
        values = np.empty((math.prod(shape), len(axes)))
        grid = values.reshape(*shape, len(axes))
        for j, axis in enumerate(axes):
            grid[..., j] = axis.reshape([-1 if i == j else 1 for i in range(len(axes))])
        return keys, values, shape, tuple(axes)
    arr = np.asarray(points, dtype=float)
    if arr.ndim != 2:
        raise ModelError(
            f"`points` must be a grid (dict of 1-D arrays) or a sample table of shape (P, k); "
            f"got an array of shape {arr.shape}"
        )
    if names is None or len(names) != arr.shape[1]:
        raise ModelError(
            f"a sample table of shape {arr.shape} needs `names` with {arr.shape[1]} parameter names"
        )
    for key in names:
        model.parameter(key)
    return tuple(names), arr, (arr.shape[0],), None


def _match_labels(
    model: Model, labels: Mapping[str, Mapping[str, float]] | None
) -> list[tuple[str, dict[int, float]]]:
    out = []
    for name, spec in (labels or {}).items():
        if not isinstance(spec, Mapping) or not spec:
            raise ModelError(
                f"label `{name}` must map state names to values, e.g. {{'x': 0}}; got {spec!r:.60}"
            )
        coords = {}
        for state, value in spec.items():
            if state not in model.state_names:
                raise ModelError(
                    f"label `{name}` names `{state}`, which is not a state of `{model.name}` "
                    f"(states: {', '.join(model.state_names)})"
                )
            coords[model.state_names.index(state)] = float(value)
        out.append((str(name), coords))
    return out


def _class_name(names: list[str], neutral: Sequence[str] = ()) -> str:
    """``"a only"``, ``"a + b (bistable)"``, ``"none stable"``, with the neutral equilibria
    after it: ``"a only (b neutral)"``."""
    if not names:
        base = "none stable"
    elif len(names) == 1:
        base = f"{names[0]} only"
    else:
        kind = "bistable" if len(names) == 2 else "multistable"
        base = " + ".join(names) + f" ({kind})"
    if neutral:
        base += f" ({', '.join(neutral)} neutral)"
    return base


def sweep(
    model: Model,
    points: Mapping[str, Sequence[float] | np.ndarray] | np.ndarray,
    *,
    names: Sequence[str] | None = None,
    params: Mapping[str, float] | None = None,
    labels: Mapping[str, Mapping[str, float]] | None = None,
    method: str = "auto",
    executor: ExecutorSpec = None,
    chunk_size: int = 20_000,
    out: str | Path | None = None,
    progress: bool = False,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    n_starts: int = 24,
    seed_passes: int = 8,
    max_equilibria: int = 8,
    seed: int = 0,
    retries: int = 2,
    timeout: float | None = 60.0,
    cycles: bool | None = None,
    max_probes: int = 32,
    cycle_starts: int = 2,
    cycle_time: float | None = None,
    compiled: bool | None = None,
    eigenvalues: bool = True,
) -> StabilityMap:
    """Equilibria, eigenvalues, stability and a class at every point of a grid or a sample.

    Parameters
    ----------
    model : Model
        Any model; a simplex model is reduced to n-1 coordinates first.
    points : dict of str to 1-D array, or array of shape (P, k)
        A grid (the product of the axes, in ``"ij"`` order) or a sample table with `names`.
    names : sequence of str, optional
        Column names of a sample table.
    params : dict, optional
        Values of the parameters that are not swept (default: their defaults).
    labels : dict of str to dict, optional
        Names for equilibria, e.g. ``{"aligned": {"x": 0}, "entrenched": {"x": 1}}``; an
        equilibrium matching all given coordinates gets the name. Classes are named after the
        stable ones.
    method : {"auto", "closed_form", "numeric"}
        ``"auto"`` uses closed forms when the symbolic engine finds all equilibria.
    executor : None, "serial", "processes", Executor or dask Client
        Where chunks run; None runs large sweeps on a process pool.
    chunk_size : int
        Points per chunk.
    out : path, optional
        Final ``.npz`` file. The map is streamed to disk chunk by chunk (a map larger than
        memory fits) and the map returned is read lazily from this file; finished chunks are
        kept beside it (``<out>.parts/``) until the end, and a rerun resumes.
    progress : bool
        Show a progress bar.
    bounds : dict of state -> (lo, hi), optional
        Box of the Newton starts (numeric method); default from the state domains.
    n_starts : int
        Number of Newton starts shared by every point (numeric method), besides the corners of
        the box.
    seed_passes : int
        Numeric method: at most this many passes in which each point starts Newton from its
        own and its grid neighbours' roots (nearest points, for a sample), until no point gains
        a root. Fills in roots the shared starts missed at a point but found next to it.
    max_equilibria : int
        Most equilibria kept per point (numeric method).
    seed : int
        Seed of the quasi-random starts; one set for every point, so chunking does not matter.
    retries : int
        Retries of a chunk whose worker died.
    timeout : float, optional
        Time budget of the sweep, in seconds (None: no limit). A sweep of more than one chunk
        times its first chunk in this process and is refused when its estimated total (time
        spent so far, then every remaining chunk as slow as the pilot, as many at once as
        there are workers; for the numeric method at least three stages) exceeds it. It is
        also the budget of the symbolic steps: with ``method="auto"`` the symbolic equilibria
        get at most :data:`AUTO_SYMBOLIC_BUDGET` of it (then the numeric route is taken, and
        the notes say so); ``method="closed_form"`` gives them all of it.
    cycles : bool, optional
        Probe the points with no stable and no neutral equilibrium by simulation for a stable
        cycle (class ``"stable cycle"``, its period in :attr:`StabilityMap.period`). Default:
        on for deterministic flows (maps and stochastic models are not probed). It costs
        nothing where an equilibrium is stable; where none is, it costs simulations: about
        0.05 s per point for mild cycles, 0.3 s for stiff relaxation cycles (measured on the
        Brusselator, in batches of 64 points of like spectrum).
    max_probes : int
        At most this many points are probed (evenly spread over the candidates, in grid
        order); the others stay ``"none stable"`` and are counted in the notes. The default
        (32) keeps the probe to seconds; raise it to map a cycle region point by point.
    cycle_starts : int
        Starts per probed point: the point's equilibria, each moved by 1% in a seeded random
        direction (the plan's probe states where it has none).
    cycle_time : float, optional
        Length of each probe simulation; the second half is searched for a cycle. Default:
        from the linearization, 12 periods ``2 pi / omega`` of the slowest rotation among the
        batch's points (``omega``: a point's largest ``|Im lambda|`` over its equilibria; 200
        time units where none rotates), between 30 and 1000.
    compiled : bool or None
        Closed-form sweeps of flows and maps with one or two states, and of flows of three to
        eight states with ``eigenvalues=False``: evaluate each chunk in one compiled pass (numba, the extra ``fast``; see :mod:`.sweep_fused`), which decides the
        points whose checks are all clear and hands the others to the NumPy route, so the map
        is the same. True compiles the kernel (2-6 s, once per machine: it is cached on disk;
        not under a `timeout` below :data:`~.sweep_fused.COMPILE_SECONDS`, where it says so in
        the notes);
        None (the default) uses it when it is ready, or compiles it for a sweep of at least
        :data:`~.sweep_fused.BUILD_POINTS` points; False keeps the NumPy route.
    eigenvalues : bool
        Compute every equilibrium's eigenvalues (the default). With False, flows of three or
        more states are decided by the Routh-Hurwitz criterion on the characteristic
        polynomial (:mod:`.hurwitz`), 5-6 times faster than eigenvalues at n = 3 to 5, and
        eigenvalues are computed only where that decision is numerically delicate (a Routh
        entry or a coefficient within 1e-6 of the terms it cancels: near a stability
        boundary), which decide there with the same neutral band; the map's `eigenvalues`
        are NaN elsewhere. Maps of three or more states likewise by the Schur-Cohn recursion
        (every root inside the unit circle; delicate where a reflection coefficient is within
        1e-6 of modulus 1). The classes are those of the eigenvalue route. (Models of one or
        two states always get eigenvalues, in closed form.)

    Returns
    -------
    StabilityMap

    Raises
    ------
    ModelError
        For unknown parameters, bad points, labels or options; for a sweep that would not
        fit in memory (or, streamed, on disk) or in `timeout` (each with the estimate and
        how to make the sweep smaller).

    References
    ----------
    .. [1] Y. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       section 1.4 (stability of equilibria from the eigenvalues of the Jacobian).

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 2.0}, time="discrete")
    >>> sm = ig.sweep(m, {"r": np.array([0.5, 2.0, 3.5])}, method="numeric",
    ...               bounds={"x": (-0.5, 1.5)})
    >>> sm.classes.tolist()
    ['x=0 only', 'x=0.5 only', 'none stable']

    Past the Brusselator's Hopf line ``b = 1 + a**2`` the equilibrium is unstable and a
    simulation probe finds the stable cycle:

    >>> m = ig.Model.from_equations({"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
    ...                             parameters={"a": 1.0, "b": 1.5})
    >>> sm = ig.sweep(m, {"b": np.array([1.5, 3.0])})
    >>> sm.classes.tolist(), np.round(sm.period, 1).tolist()
    (['x=a, y=b/a only', 'stable cycle'], [nan, 7.2])

    With `out` the map is streamed to the file and read back from it lazily:

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "map.npz"
    >>> sm = ig.sweep(m, {"b": np.array([1.5, 2.5, 3.0])}, out=path, cycles=False)
    >>> type(sm.x).__name__, sm.counts
    ('memmap', {'none stable': 2, 'x=a, y=b/a only': 1})
    """
    started = time.perf_counter()
    if model.simplex:
        model = model.reduce_simplex()
    if method not in ("auto", "closed_form", "numeric"):
        raise ModelError(f"`method` must be 'auto', 'closed_form' or 'numeric', got {method!r}")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ModelError(f"`chunk_size` must be a positive int, got {chunk_size!r}")
    if timeout is not None and not (
        isinstance(timeout, int | float)
        and not isinstance(timeout, bool)
        and not math.isnan(timeout)
        and timeout > 0
    ):
        raise ModelError(
            f"`timeout` must be a positive number of seconds or None (no limit), got {timeout!r}"
        )
    if out is not None and not Path(out).parent.is_dir():
        raise ModelError(
            f"`out` = {os.fspath(out)!r}: the folder `{Path(out).parent}` does not exist; "
            "create it first or write somewhere else"
        )
    for key, v in (("max_probes", max_probes), ("cycle_starts", cycle_starts)):
        if (
            isinstance(v, bool)
            or not isinstance(v, int | np.integer)
            or v < (1 if key == "cycle_starts" else 0)
        ):
            raise ModelError(
                f"`{key}` must be a {'positive' if key == 'cycle_starts' else 'nonnegative'} int, got {v!r}"
            )
    if not isinstance(eigenvalues, bool):
        raise ModelError(f"`eigenvalues` must be True or False, got {eigenvalues!r:.60}")
    if compiled is not None and not isinstance(compiled, bool):
        raise ModelError(f"`compiled` must be True, False or None, got {compiled!r:.60}")
    if cycle_time is not None and not (
        isinstance(cycle_time, int | float)
        and not isinstance(cycle_time, bool)
        and math.isfinite(cycle_time)
        and cycle_time > 0
    ):
        raise ModelError(
            f"`cycle_time` must be a positive number of time units, got {cycle_time!r}"
        )
    flow = model.time == "continuous" and not model.is_stochastic and model.stochastic_step is None
    probe_cycles = flow if cycles is None else bool(cycles)
    if probe_cycles and not flow:
        raise ModelError(
            f"`cycles=True` probes flows; `{model.name}` is "
            f"{'a map' if model.time != 'continuous' else 'stochastic'} (cycles of maps are fixed "
            "points of `model.iterate(k)`: sweep that instead)"
        )
    # Refuse up front what cannot fit. In memory, every point keeps its parameter values (the
    # grid is built through a meshgrid: three copies), up to `max_equilibria` equilibria
    # (states as float64, eigenvalues as complex128, three flags), a class code, a period and
    # a flag, with room for a second copy; a numeric sweep also holds about three more arrays
    # of roots (its seed passes). Streamed to `out`, the map is on disk (about three copies:
    # the finished chunks, the memory-mapped arrays, the final file) and memory holds a few
    # chunks at a time, the numeric roots (the seeding passes need every point's), and a
    # period per point.
    n_states = max(1, len(model.states))
    n_points = _point_count(points)
    k_cols = len(points) if isinstance(points, Mapping) else max(1, len(names or ()))
    what = f"a sweep of `{model.name}` over {n_points:,} points (`points`)"
    fewer = "sweep fewer points (a coarser grid, or a region at a time), or lower `max_equilibria`"

    def check_fit(n_eq: int, numeric: bool) -> None:
        # Checked twice: up front with the least it can need (one equilibrium slot, closed
        # forms), before any work; then with the plan's slots (the closed forms', or
        # `max_equilibria` for the numeric method).
        numeric_roots = 3 * 8 * n_eq * n_states if numeric else 0
        map_point = 8 * k_cols + n_eq * (n_states * (8 + 16) + 3) + 8 + 8 + 1
        per_point = 3 * 8 * k_cols + 2 * (map_point - 8 * k_cols) + numeric_roots
        disk_need = n_points * (3 * map_point + 3 * n_eq + 2 * numeric_roots // 3)
        if out is None:
            if n_points * per_point > memory_limit():
                free = shutil.disk_usage(os.getcwd()).free
                fix = (
                    f"pass `out` (CLI: --out FILE) to stream the map to disk instead (about "
                    f"{format_bytes(disk_need)} of files, {format_bytes(free)} free here), "
                    f"or {fewer}"
                    if disk_need <= free
                    else f"streaming it to disk with `out` (CLI: --out FILE) would need about "
                    f"{format_bytes(disk_need)}, more than the {format_bytes(free)} free here; "
                    f"{fewer}"
                )
                check_memory(n_points * per_point, what=what, fix=fix)
            return
        # A chunk in flight, its results and its temporaries: four times its share of the map.
        closed_only = "use method='closed_form', " if numeric else ""
        check_memory(
            n_points * (16 + numeric_roots) + 4 * chunk_size * per_point,
            what=what + " streamed to `out`",
            fix=f"lower `chunk_size` (now {chunk_size:,}), {closed_only}or {fewer}",
        )
        check_disk(
            disk_need,
            Path(out).parent,
            what=f"`out` = {os.fspath(out)!r}: {what}",
            fix=f"{fewer}, or write `out` to a disk with more space",
        )

    check_fit(1, False)
    swept, values, shape, axes = _points(model, points, names, build=out is None)
    fixed = resolve_params(model, params, free=swept)
    columns = tuple(model.parameter_names.index(s) for s in swept)
    for j, key in enumerate(swept):
        # Refuse NaN, infinities and values outside the domain up front (a grid's extremes
        # are its axes' extremes).
        col = axes[j] if axes is not None else values[:, j]  # type: ignore[index]
        if not np.all(np.isfinite(col)):
            raise ModelError(f"parameter `{key}`: the sweep values include NaN or infinity")
        dom = model.parameter(key).domain
        outside = [v for v in (col.min(), col.max()) if not dom.contains(float(v))]
        if outside:
            raise ModelError(
                f"parameter `{key}` = {float(outside[0])!r} is outside its domain "
                f"{dom.to_spec()!r}; "
                "sweep inside it"
            )
    n_rows = n_points if values is None else int(values.shape[0])
    n_chunks = max(1, math.ceil(n_rows / chunk_size))

    def rows(i: int) -> FloatArray:
        # The parameter rows of chunk i; a streamed grid makes them from its axes.
        a, b = i * chunk_size, min((i + 1) * chunk_size, n_rows)
        if values is None:
            return grid_rows(axes, shape, a, b)  # type: ignore[arg-type]
        return values[a:b]

    base = tuple(float(fixed.get(p, 0.0)) for p in model.parameter_names)
    label_specs = _match_labels(model, labels)
    notes: list[str] = []

    closed: list[Any] = []
    conditions: list[Any] = []
    slot_labels: list[str] = []
    if method in ("auto", "closed_form"):
        # With method="auto" the numeric route is always there, and for most models it costs
        # seconds: the symbolic engine gets at most AUTO_SYMBOLIC_BUDGET (a 3-routine simplex
        # model spent the whole 60 s default in `equilibria` before falling back).
        budget = timeout
        if method == "auto":
            budget = AUTO_SYMBOLIC_BUDGET if timeout is None else min(timeout, AUTO_SYMBOLIC_BUDGET)
        closed, conditions, slot_labels, complete, note = closed_form_equilibria(model, budget)
        if not complete and method == "auto" and budget != timeout:
            note += (
                f" (method='auto' gives the symbolic engine {AUTO_SYMBOLIC_BUDGET:g} s; pass "
                "method='closed_form' to give it the whole `timeout`)"
            )
        if not complete:
            if method == "closed_form":
                raise ModelError(
                    f"`method='closed_form'` is not possible for `{model.name}`: {note}"
                )
            notes.append(f"numeric equilibria: {note}")

    # The fused kernel: built when asked, or when the sweep is large enough to repay it.
    build = True if compiled or (compiled is None and n_points >= BUILD_POINTS) else None

    def make_plan(use_closed: bool) -> SweepPlan:
        starts = None if use_closed else shared_starts(model, bounds, n_starts, seed)
        probes = shared_starts(model, bounds, 8, seed) if starts is None else starts
        return SweepPlan(
            model=model,
            param_columns=columns,
            base=base,
            method="closed_form" if use_closed else "numeric",
            closed_forms=tuple(closed) if use_closed else (),
            closed_exists=tuple(conditions) if use_closed else (),
            starts=starts,
            probes=probes,
            max_equilibria=max_equilibria,
            compiled=build or compiled,
            spectra=eigenvalues,
            key=fingerprint(
                model.to_toml() if model.stochastic_step is None else repr(model),
                columns,
                base,
                use_closed,
                _expr_text(tuple(map(tuple, closed))) if use_closed else "",
                _expr_text(tuple(conditions)) if use_closed else "",
                starts,
                probes,
                max_equilibria,
                eigenvalues,
            ),
        )

    use_closed = bool(closed)
    plan = make_plan(use_closed)
    if use_closed:
        # The closed forms must evaluate numerically (compiled here once; workers compile their
        # own): try them on the first points, before any chunk is sent.
        try:
            closed_form_points(plan, param_rows(plan, rows(0)[:4]))
        except Exception as err:  # any failure to evaluate falls back to numerics, noted
            reason = f"the closed forms do not evaluate numerically ({type(err).__name__}: {err})"
            if method == "closed_form":
                raise ModelError(
                    f"`method='closed_form'` is not possible for `{model.name}`: {reason}"
                ) from None
            notes.append(f"numeric equilibria: {reason}")
            use_closed = False
            plan = make_plan(use_closed)
    check_fit(len(closed) if use_closed else max(1, int(max_equilibria)), not use_closed)
    # A kernel to build is compiled here, once: workers of a pool then load it from the disk
    # cache instead of each compiling it at the same time. A compilation cannot be stopped, so
    # it is not started under a time budget shorter than COMPILE_SECONDS (the NumPy route
    # gives the same map).
    wanted = use_closed and bool(plan.compiled) and n_rows >= FUSED_MIN
    if wanted and fused_kernel(plan, build=False) is None:
        if timeout is not None and timeout < COMPILE_SECONDS:
            notes.append(
                f"the compiled sweep kernel was not built: compiling it takes up to "
                f"{COMPILE_SECONDS:g} s, more than `timeout` = {timeout:g} s allows; the "
                "NumPy route gives the same map (raise `timeout`, or build it once with "
                "a larger one: it is then cached on disk)"
            )
            plan = dataclasses.replace(plan, compiled=False)
        else:
            fused_kernel(plan, build=True)
    store = None
    if out is not None:

        def span(j: int) -> tuple[int, int]:
            # Chunk j (of any stage) covers these rows of the points.
            i = j % n_chunks
            return i * chunk_size, min((i + 1) * chunk_size, n_rows)

        # The job's identity: the plan and the points (a grid by its axes, never built).
        where = (*axes, shape) if values is None else (values,)  # type: ignore[misc]
        store = ChunkStore(Path(out), fingerprint(plan.key, *where, chunk_size), span=span)
    heavy = n_rows * (1 if use_closed else n_starts) > 400_000
    common = {
        "executor": executor,
        "heavy": heavy,
        "store": store,
        "retries": retries,
        "progress": progress,
    }
    # Full stages of chunks still to come after the first: none for closed forms; for the
    # numeric method at least one seeding pass (when allowed) and the final evaluation.
    later = 0 if use_closed else 1 + min(1, seed_passes)
    seeds: FloatArray | None = None
    stage = 0

    def run_stage(
        func: Any,
        k: int,
        stage_seeds: FloatArray | None,
        label: str,
        sink: Any,
    ) -> None:
        # Chunk indices of stage k are k * n_chunks + i, so a resumed run finds its files.
        base = k * n_chunks

        def payload(j: int) -> tuple[Any, ...]:
            i = j - base
            part = (
                None if stage_seeds is None else stage_seeds[i * chunk_size : (i + 1) * chunk_size]
            )
            return (rows(i), part)

        indices = [base + i for i in range(n_chunks)]
        if k == 0 and timeout is not None and n_chunks > 1:
            pilots = _pilot(
                func,
                plan,
                payload,
                indices,
                store,
                sink,
                timeout=timeout,
                started=started,
                workers=_worker_count(executor, heavy=heavy, n_chunks=n_chunks),
                later=later,
                n_chunks=n_chunks,
                chunk_rows=chunk_size,
                what=f"the sweep of `{model.name}` over {n_rows:,} points",
            )
            indices = [j for j in indices if j not in pilots]
        run_chunks(
            func,
            indices,
            args=(plan,),
            payload=payload,
            description=label,
            sink=sink,
            **common,  # type: ignore[arg-type]
        )

    if not use_closed:
        # Pass 0: Newton from the shared starts. Then each point is seeded with its own and its
        # grid neighbours' roots, pass after pass, until no point gains a root (at most
        # `seed_passes` passes). Every pass is a function of the previous pass's results, which
        # do not depend on the chunking, so neither does the map. The roots stay in memory
        # (the neighbours of a point may lie in any chunk).
        def roots_of(k: int, stage_seeds: FloatArray | None) -> FloatArray:
            found = MapArrays(n_rows)

            def keep(j: int, part: Mapping[str, np.ndarray]) -> None:
                a = (j % n_chunks) * chunk_size
                found.put("x", a, a + len(part["x"]), part["x"])

            run_stage(roots_chunk, k, stage_seeds, f"sweep {model.name} (pass {k + 1})", keep)
            return found["x"]

        roots = roots_of(0, None)
        for k in range(1, seed_passes + 1):
            # (A grid's neighbours come from its shape alone: its rows are not needed.)
            where_ = values if values is not None else np.zeros((n_rows, 0))
            grown = roots_of(k, neighbour_seeds(roots, where_, shape, axes is not None))
            gained = np.isfinite(grown).all(-1).sum(axis=1) > np.isfinite(roots).all(-1).sum(axis=1)
            roots, stage = grown, k
            if not gained.any():
                break
        seeds = roots
        stage += 1

    # The final stage: each chunk's arrays go to their rows as they arrive, in memory or, with
    # `out`, to memory-mapped files beside it (the map is never assembled in memory).
    maps = MapArrays(n_rows, folder=None if store is None else store.parts / "map")
    keys = ["x", "exists", "stable", "neutral", "eigenvalues", "defined"]
    if use_closed:
        keys += ["why", "claimed", "repaired", "pattern"]
    else:
        # Only Newton's root lists can overflow their slots (closed forms have one per slot).
        keys.append("incomplete")

    def put(j: int, part: Mapping[str, np.ndarray]) -> None:
        a = (j % n_chunks) * chunk_size
        b = a + len(part["x"])
        if values is None:
            maps.put("values", a, b, grid_rows(axes, shape, a, b))  # type: ignore[arg-type]
        for key in keys:
            maps.put(key, a, b, part[key])

    run_stage(evaluate_chunk, stage, seeds, f"sweep {model.name}", put)
    maps.flush()
    all_values = maps["values"] if values is None else values
    X, exists, stable, neutral = maps["x"], maps["exists"], maps["stable"], maps["neutral"]
    defined, eig = maps["defined"], maps["eigenvalues"]
    # Points with more equilibria than `max_equilibria` slots (a line of equilibria gives one
    # root per start): their list is cut, so they are not classed from the roots kept.
    incomplete = None if use_closed else maps["incomplete"]
    if use_closed:
        notes.extend(
            closed_form_notes(
                model.name, slot_labels, maps["why"], maps["claimed"], maps["repaired"], exists
            )
        )
    blocks = list(spans(n_rows, chunk_size))

    # Identity of each slot: a user label when the equilibrium matches one.
    if use_closed:
        slot_names = list(slot_labels)
        for e in range(X.shape[1]):
            for name, coords in label_specs:
                # A closed-form slot matches a label where it exists (checked on its points,
                # block by block: all blocks close is the whole column close).
                seen, close = False, True
                for a, b in blocks:
                    hit = exists[a:b, e]
                    if hit.any():
                        seen = True
                        close = close and all(
                            np.allclose(X[a:b][hit, e, i], v, atol=1e-9) for i, v in coords.items()
                        )
                if seen and close:
                    slot_names[e] = name
        ident_names = list(dict.fromkeys(slot_names))
        ident = np.array([ident_names.index(s) for s in slot_names])
    else:
        # Named block by block in row order: the same names, in the same order, as at once.
        ident_names = [name for name, _ in label_specs]
        index = {name: k for k, name in enumerate(ident_names)}
        for a, b in blocks:
            maps.put(
                "which",
                a,
                b,
                _numeric_identities(
                    model, X[a:b], stable[a:b] | neutral[a:b], label_specs, ident_names, index
                ),
            )
        slot_names = ident_names

    def which_of(a: int, b: int) -> np.ndarray:
        # The identity of each numeric slot at the rows a:b (-1 where it has none).
        return np.asarray(maps["which"][a:b])

    # A class is the set of stable identities, the set of neutral ones, whether the model is
    # undefined there, whether a stable cycle was found, and whether the equilibria are not all
    # known: one bit each (stable bits, then neutral bits, undefined, cycle, incomplete).
    # Points with no stable and no neutral equilibrium, where the model is defined: a
    # simulation probe looks for a stable cycle there (flows only).
    period_in: np.ndarray | None = None
    if probe_cycles:
        candidates = np.concatenate(
            [
                a
                + np.flatnonzero(
                    defined[a:b]
                    & (True if incomplete is None else ~incomplete[a:b])
                    & ~stable[a:b].any(axis=1)
                    & ~neutral[a:b].any(axis=1)
                )
                for a, b in blocks
            ]
        )
        if candidates.size and uses_hurwitz(plan):
            # Decided by Routh-Hurwitz, these points have no eigenvalues yet: the probe's
            # horizon comes from them (the map keeps them).
            fill_spectra(plan, all_values, candidates, X, exists, eig)
        if candidates.size:
            period_in, note = cycle_probe(
                plan,
                all_values,
                candidates,
                X,
                exists,
                eig,
                max_probes=int(max_probes),
                starts=int(cycle_starts),
                horizon=cycle_time,
                seed=seed,
            )
            notes.append(note)
    if period_in is not None:
        period = maps.create("period", (), float, fill=np.nan)
        for a, b in blocks:
            period[a:b] = period_in[a:b]
    else:
        # No cycle was probed: NaN everywhere, as a read-only view (no array per point).
        period = np.broadcast_to(np.float64(np.nan), (n_rows,))
    k_ids = len(ident_names)
    n_bits = 2 * k_ids + 3
    codes = maps.create("class_codes", (), np.int64)
    # Class bits block by block, then each point's rank among the patterns present (as
    # ``np.unique(bits, return_inverse=True)`` gives, without a sort of the points: with at
    # most 20 bits a table of all 2**n_bits patterns marks those present; at 10^7 points the
    # sort cost a quarter of the sweep).
    present = np.zeros(1 << n_bits, dtype=bool) if n_bits <= 20 else None
    lut = None
    if use_closed and X.shape[1] <= PATTERN_SLOTS:
        # The identity bits of every slot pattern (`slot_pattern`: stable slot e at bit e,
        # neutral at bit E + e).
        E_ = X.shape[1]
        pats = np.arange(1 << (2 * E_), dtype=np.int64)
        lut = np.zeros(pats.size, dtype=np.int64)
        for e in range(E_):
            lut |= ((pats >> e) & 1) << int(ident[e])
            lut |= ((pats >> (E_ + e)) & 1) << (int(ident[e]) + k_ids)
    lut_is_identity = lut is not None and bool(np.array_equal(lut, np.arange(lut.size)))
    found: np.ndarray = np.zeros(0, dtype=np.int64)
    n_undefined, first_undefined = 0, -1
    n_incomplete, first_incomplete = 0, -1
    # More identities than an int64 has bits (a numeric sweep names each equilibrium it meets,
    # so a sweep over many points can have hundreds): each point's bits as a row of a bit
    # matrix, packed to bytes, highest bit first (so the bytes sort as the numbers do).
    wide = n_bits > 62
    wide_blocks: list[tuple[int, int, list[bytes], np.ndarray]] = []
    wide_keys: set[bytes] = set()
    by_pattern: set[int] = set()  # blocks whose codes come from their slot patterns
    for a, b in blocks:
        st, ne, de = stable[a:b], neutral[a:b], defined[a:b]
        # Points whose equilibria are not all known: their class is `incomplete` alone.
        cut = None if incomplete is None else np.asarray(incomplete[a:b]) & de
        if cut is not None and not cut.any():
            cut = None
        if cut is not None:
            if first_incomplete < 0:
                first_incomplete = a + int(np.argmax(cut))
            n_incomplete += int(np.count_nonzero(cut))
        undefined_here = int(np.count_nonzero(~de))
        if undefined_here and first_undefined < 0:
            first_undefined = a + int(np.argmax(~de))
        n_undefined += undefined_here
        which = None if use_closed else which_of(a, b)
        if wide:
            member = np.zeros((b - a, n_bits), dtype=bool)
            member[:, 2 * k_ids] = ~de
            if period_in is not None:
                member[:, 2 * k_ids + 1] = np.isfinite(period[a:b])
            for e in range(st.shape[1]):
                w = np.full(b - a, int(ident[e])) if which is None else which[:, e]
                for flags, offset in ((st[:, e], 0), (ne[:, e], k_ids)):
                    rows_ = np.flatnonzero(flags & (w >= 0))
                    member[rows_, w[rows_] + offset] = True
            if cut is not None:
                member[cut] = False
                member[cut, 2 * k_ids + 2] = True
            packed = np.ascontiguousarray(np.packbits(member[:, ::-1], axis=1))
            row_keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
            local, inverse = np.unique(row_keys, return_inverse=True)
            as_bytes = [bytes(k) for k in local]
            wide_keys.update(as_bytes)
            wide_blocks.append((a, b, as_bytes, inverse.ravel()))
            continue
        fast = lut is not None and present is not None and period_in is None
        if fast and cut is None and not undefined_here:
            # Closed forms, every point defined: the class is the slot pattern's alone. The
            # patterns present (a count over at most 4**E values) mark their classes; the
            # codes are looked up from the patterns below (1 ms, against 2.4 ms for the bits
            # of every point at 10^6 points).
            tally = np.bincount(maps["pattern"][a:b], minlength=lut.size)  # type: ignore[union-attr]
            present[lut[np.flatnonzero(tally)]] = True  # type: ignore[index]
            by_pattern.add(a)
            continue
        # One elementwise pass per slot (a bit per identity; two slots of one identity set
        # the same bit). A closed-form slot has one identity; a numeric slot one per point.
        bits, term = codes[a:b], np.empty(b - a, dtype=np.int64)
        np.left_shift(~de, 2 * k_ids, out=bits, dtype=np.int64)
        if period_in is not None:
            _or_shifted(bits, term, np.isfinite(period[a:b]), 2 * k_ids + 1)
        if lut is not None:
            # Closed forms: each point's slot pattern to its identity bits, one table look-up
            # (none when every slot is its own identity: the pattern is the bits).
            if lut_is_identity:
                np.bitwise_or(bits, maps["pattern"][a:b], out=bits)
            else:
                np.take(lut, maps["pattern"][a:b], out=term, mode="wrap")
                np.bitwise_or(bits, term, out=bits)
        for e in range(0 if lut is not None else st.shape[1]):
            if which is None:
                _or_shifted(bits, term, st[:, e], int(ident[e]))
                _or_shifted(bits, term, ne[:, e], int(ident[e]) + k_ids)
            else:
                w = which[:, e]
                shift = np.maximum(w, 0).astype(np.int64)
                _or_shifted(bits, term, st[:, e] & (w >= 0), shift)
                _or_shifted(bits, term, ne[:, e] & (w >= 0), shift + k_ids)
        if cut is not None:
            bits[cut] = 1 << (2 * k_ids + 2)
        if present is not None:
            present[bits] = True
        else:
            found = np.union1d(found, bits)
    uniq: Any
    if wide:
        ordered = sorted(wide_keys)
        rank_of = {k: i for i, k in enumerate(ordered)}
        pad = 8 * len(ordered[0]) - n_bits if ordered else 0
        uniq = [int.from_bytes(k, "big") >> pad for k in ordered]
        for a, b, local_keys, inverse in wide_blocks:
            codes[a:b] = np.array([rank_of[k] for k in local_keys], dtype=np.int64)[inverse]
    elif present is not None:
        uniq = np.flatnonzero(present)
        rank = np.cumsum(present, dtype=np.int64) - 1
    else:
        uniq = found
    rank_of_pattern = rank[lut] if by_pattern and lut is not None else None
    for a, b in [] if wide else blocks:
        if rank_of_pattern is not None and a in by_pattern:
            np.take(rank_of_pattern, maps["pattern"][a:b], out=codes[a:b], mode="wrap")
        elif present is not None:
            # In place: each code is read before its own slot is written (no buffer).
            np.take(rank, codes[a:b], out=codes[a:b], mode="wrap")
        else:
            codes[a:b] = np.searchsorted(uniq, codes[a:b])
    class_names = tuple(
        "undefined"
        if (int(bit) >> (2 * k_ids)) & 1
        else "incomplete"
        if (int(bit) >> (2 * k_ids + 2)) & 1
        else "stable cycle"
        if (int(bit) >> (2 * k_ids + 1)) & 1
        else _class_name(
            [ident_names[k] for k in range(k_ids) if (int(bit) >> k) & 1],
            [ident_names[k] for k in range(k_ids) if (int(bit) >> (k_ids + k)) & 1],
        )
        for bit in uniq
    )

    def point(i: int) -> str:
        return ", ".join(f"{name} = {v:g}" for name, v in zip(swept, all_values[i], strict=True))

    if n_undefined:
        first = point(first_undefined)
        notes.append(
            f"the model is undefined at {n_undefined} of {n_rows} points (no equilibrium, "
            f"and the right-hand side is not finite at any probe state; first at {first}): "
            "class `undefined`"
        )
    if n_incomplete:
        first = point(first_incomplete)
        notes.append(
            f"more equilibria than the {int(max_equilibria)} slots of `max_equilibria` at "
            f"{n_incomplete} of {n_rows} points (first at {first}; a line or surface of "
            "equilibria gives one root per start): class `incomplete`, not classed from the "
            "roots kept; raise `max_equilibria`, or check such points with `ig.find_equilibria`"
        )
    boundaries: list[tuple[str, str]] = []
    if use_closed and axes is not None and len(axes) == 2:
        boundaries = list(stability_boundaries(model, tuple(slot_names), timeout))
    maps.flush()
    result = StabilityMap(
        model_name=model.name,
        parameter_names=swept,
        values=all_values,
        shape=shape,
        axes=axes,
        fixed={k: float(v) for k, v in fixed.items()},
        equilibrium_labels=tuple(slot_names),
        x=X,
        exists=exists,
        stable=stable,
        eigenvalues=eig,
        class_codes=codes,
        class_names=class_names,
        boundaries=tuple(boundaries),
        method=plan.method,
        seconds=time.perf_counter() - started,
        notes=tuple(notes),
        neutral=neutral,
        defined=defined,
        period=period,
    )
    if store is None:
        return result
    # The whole map is written (from the memory-mapped arrays, block by block) before the
    # finished chunks are dropped: nothing is lost. The map returned is the file's, read lazily.
    result.save(Path(out), compress=False)  # type: ignore[arg-type]
    store.remove()
    return StabilityMap.load(Path(out))  # type: ignore[arg-type]


@functools.lru_cache(maxsize=256)
def _expr_text(exprs: tuple[Any, ...]) -> str:
    """The printed closed forms or conditions of a plan's fingerprint, printed once per
    process (printing them took 2.5 ms of each sweep)."""
    return repr(exprs)


def _or_shifted(bits: np.ndarray, term: np.ndarray, flags: np.ndarray, shift: Any) -> None:
    """``bits |= flags << shift`` through the buffer `term` (no temporaries per slot)."""
    np.left_shift(flags, shift, out=term, dtype=np.int64)
    np.bitwise_or(bits, term, out=bits)


def _worker_count(executor: ExecutorSpec, *, heavy: bool, n_chunks: int) -> int:
    """How many chunks run at once on `executor` (as :func:`~.executors.open_executor` picks)."""
    cpus = os.cpu_count() or 1
    if executor is None or executor == "auto":
        return cpus if heavy and n_chunks > 1 and cpus > 1 else 1
    if executor == "serial":
        return 1
    if executor == "processes":
        return cpus
    if type(executor).__name__ == "Client" and hasattr(executor, "nthreads"):
        try:
            return max(1, int(sum(executor.nthreads().values())))
        except Exception:  # a client that cannot say: assume one
            return 1
    # concurrent.futures pools record their size as `_max_workers` (thread and process pools).
    return max(1, int(getattr(executor, "_max_workers", 1) or 1))


def _span_text(seconds: float) -> str:
    if seconds > 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds > 7200:
        return f"{seconds / 3600:.1f} hours"
    if seconds > 120:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} s"


def _pilot(
    func: Any,
    plan: SweepPlan,
    payload: Any,
    indices: list[int],
    store: ChunkStore | None,
    sink: Any,
    *,
    timeout: float,
    started: float,
    workers: int,
    later: int,
    n_chunks: int,
    chunk_rows: int,
    what: str,
) -> list[int]:
    """Time the first chunk not yet on disk, in this process, and refuse the sweep when the
    estimate of its total time exceeds `timeout`. A first chunk also pays for compiling the
    model in this process, so when its estimate is over the budget a second chunk is timed
    and decides. Each pilot's result is kept (handed to the sink, and saved to the store):
    it is counted, never computed twice. Returns the pilots' indices."""
    done = store.finished() if store is not None else set()
    todo = [j for j in indices if j not in done]
    pilots: list[int] = []
    took, estimate = 0.0, 0.0
    for j in todo[:2]:
        t0 = time.perf_counter()
        value = func(plan, *payload(j), j)
        took = time.perf_counter() - t0
        if store is not None:
            store.save(j, value)
        sink(j, value)
        pilots.append(j)
        left = len(todo) - len(pilots)
        # Lower bound: what is spent so far, the rest of this stage, and `later` full stages,
        # each chunk as slow as the pilot, `workers` chunks at a time.
        estimate = (
            time.perf_counter()
            - started
            + took * (math.ceil(left / workers) + later * math.ceil(n_chunks / workers))
        )
        if estimate <= timeout:
            return pilots
    if not pilots:
        return pilots
    kept = (
        f"; the pilot chunks are kept in `{store.parts}`, so raising `timeout` and rerunning "
        "resumes"
        if store is not None
        else ""
    )
    stages = f"{1 + later} stages" if later else "1 stage"
    raise ModelError(
        f"`timeout` = {timeout:g} s: {what} would take {'at least ' if later else ''}about "
        f"{_span_text(estimate)} (a pilot chunk of {chunk_rows:,} points took {took:.3g} s; "
        f"{n_chunks:,} chunks x {stages} on {workers} worker(s)); sweep fewer points (a "
        "coarser grid, or a region at a time), use more workers (`executor`; CLI "
        "--workers), raise `timeout` (None for no limit; CLI --timeout 0), or pass `out` "
        f"(CLI --out FILE) to keep finished chunks and resume an interrupted run later{kept}"
    )


def _numeric_identities(
    model: Model,
    X: FloatArray,
    chosen: np.ndarray,
    label_specs: list[tuple[str, dict[int, float]]],
    names: list[str],
    index: dict[str, int],
) -> np.ndarray:
    """Name each `chosen` numeric equilibrium (P, E) of a block of points: by a matching label,
    else by its coordinates rounded to 3 decimals. New names are appended to `names` (and
    `index`, name -> position), so blocks named in row order give the names a single call
    would. Returns a (P, E) array of the index of each equilibrium's name (-1 where not
    chosen)."""
    which = np.full(chosen.shape, -1, dtype=np.int64)
    for p_i, e in zip(*np.nonzero(chosen), strict=True):
        point = X[p_i, e]
        key = next(
            (
                name
                for name, coords in label_specs
                if all(abs(point[i] - v) < 1e-6 for i, v in coords.items())
            ),
            None,
        )
        if key is None:
            key = ", ".join(f"{s}={_short(point[i])}" for i, s in enumerate(model.state_names))
        if key not in index:
            index[key] = len(names)
            names.append(key)
        which[p_i, e] = index[key]
    return which


def _short(v: float) -> str:
    r = round(float(v), 3)
    return f"{r:g}" if r != 0 else "0"
