"""Continuation with compiled steps: the walk of :mod:`.walk` with its plain steps in numba code.

:func:`compiled_walk` is :func:`.walk.walk` with one change: before each step, the model's
compiled kernel (:mod:`.kernels`) takes as many steps as it can that need nothing but the
predictor, the corrector, the step guards, the step-size rule and the test functions, and
stops before the first step that needs more (a sign change of a test function, a dip for the
pair probe, the end of the range or of the state box, a closed loop, a step size below
``ds_min``, an exactly singular matrix). That step is taken by the code of :func:`.walk.walk`
(copied here with its helpers, which :mod:`.walk` keeps private), so bifurcations are detected,
located and classified by the same Python code as before, to the same accuracy.

:func:`compiled_follow` is :func:`.walk.follow` on :func:`compiled_walk`.

When to compile (``continuation(..., compiled=...)``): compiling a model's kernel takes about
10 s (numba, once per model; measured 10-17 s for Lorenz on a shared two-core machine), and
loading it from the disk cache about 0.5 s, while the NumPy walk takes about 0.2 ms per point.
So ``compiled=None`` (the default) uses the kernel only when it is ready (compiled in this
process or cached on disk by an earlier ``compiled=True``), ``compiled=True`` builds it when
needed, ``compiled=False`` never uses it. See docs/numerics-compiled.md.

References
----------
.. [1] E. L. Allgower and K. Georg, *Introduction to Numerical Continuation Methods*, SIAM,
   2003, section 6.1 (step length control).
.. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   section 10.2 (locating bifurcations by their test functions).

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0})
>>> br = ig.continuation(m, "p", x0={"x": -1.0}, p_range=(-2, 1), compiled=False)
>>> [(b.kind, abs(b.p) < 1e-10) for b in br.bifurcations]
[('fold', True)]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import brentq

from incentive_geometry.errors import ConvergenceError

from .arclength import (
    ArclengthSystem,
    ContinuationOptions,
    augmented,
    correct,
    format_point,
    newton_at_fixed_p,
    tangent,
)
from .branch import Branch
from .compile import FloatArray
from .equilibria import singularity
from .kernels import BUDGET_SPENT, BUFFER_FULL, ContinuationKernel
from .monitors import MONITORS, Monitor, MonitorPoint, classify_branch_point, polish_branch_point
from .walk import RawPoint, Walk, assemble

__all__ = ["compiled_follow"]

# Points the kernel returns per call at most (it is called again when they are used up).
_CHUNK = 512

History = list[tuple[float, FloatArray, FloatArray, list[float]]]


class _Runner:
    """Calls the kernel's run_steps with a walk's state and takes back what it did."""

    def __init__(
        self,
        kernel: ContinuationKernel,
        sys: ArclengthSystem,
        opts: ContinuationOptions,
        z_start: FloatArray,
        t_start: FloatArray,
    ) -> None:
        self.kernel = kernel
        self.sys = sys
        self.opts = opts
        self.z_start = np.ascontiguousarray(z_start, dtype=float)
        self.t_start = np.ascontiguousarray(t_start, dtype=float)
        self.base = np.ascontiguousarray(sys.base, dtype=float)
        self.vec = np.array(
            [
                opts.ds_min,
                opts.ds_max,
                opts.tol,
                float(opts.max_iter),
                opts.p_lo,
                opts.p_hi,
                opts.max_angle,
            ]
        )
        self.lo = np.ascontiguousarray(opts.lo, dtype=float)
        self.hi = np.ascontiguousarray(opts.hi, dtype=float)
        self.nt = len(kernel.kinds)

    def run(
        self,
        z: FloatArray,
        t: FloatArray,
        ds: float,
        s: float,
        values: list[float],
        hist: History,
        probed: list[tuple[int, float, float]],
        pts: list[tuple[float, FloatArray, FloatArray]],
        budget: int,
    ) -> tuple[FloatArray, FloatArray, float, float, list[float], History, int, int, int]:
        n1 = self.sys.n + 1
        nh = len(hist)
        hs = np.zeros(3)
        hz = np.zeros((3, n1))
        ht = np.zeros((3, n1))
        hg = np.zeros((3, self.nt))
        for r, (s_r, z_r, t_r, g_r) in enumerate(hist):
            hs[r], hz[r], ht[r], hg[r] = s_r, z_r, t_r, g_r
        pr = np.array(probed, dtype=float).reshape(-1, 3) if probed else np.zeros((1, 3))
        cap = min(budget, _CHUNK)
        out_z = np.empty((cap, n1))
        out_t = np.empty((cap, n1))
        out_s = np.empty(cap)
        vals = np.array(values, dtype=float)
        code, used, acc, z1, t1, ds1, s1, nh1 = self.kernel.run_steps(
            np.ascontiguousarray(z, dtype=float),
            np.ascontiguousarray(t, dtype=float),
            float(ds),
            float(s),
            vals,
            hs,
            hz,
            ht,
            hg,
            nh,
            pr,
            len(probed),
            self.z_start,
            self.t_start,
            len(pts),
            budget,
            self.base,
            self.sys.k,
            self.vec,
            self.lo,
            self.hi,
            bool(self.opts.detect),
            out_z,
            out_t,
            out_s,
        )
        if not acc:
            return z, t, ds1, s, values, hist, int(used), 0, int(code)
        for i in range(acc):
            pts.append((float(out_s[i]), out_z[i].copy(), out_t[i].copy()))
        new_hist: History = [
            (float(hs[r]), hz[r].copy(), ht[r].copy(), [float(v) for v in hg[r]])
            for r in range(nh1)
        ]
        return (
            np.asarray(z1),
            np.asarray(t1),
            float(ds1),
            float(s1),
            [float(v) for v in vals],
            new_hist,
            int(used),
            int(acc),
            int(code),
        )


def compiled_walk(
    sys: ArclengthSystem,
    z_start: FloatArray,
    t_start: FloatArray,
    opts: ContinuationOptions,
    tests: list[Monitor],
    kernel: ContinuationKernel,
) -> Walk:
    """:func:`.walk.walk` with the plain steps taken by the compiled `kernel`.

    The same walk (points, step sizes, located bifurcations, messages): before each step the
    kernel takes as many steps as it can without needing Python (see :mod:`.kernels`); the step
    it stops before is taken here by the code of :func:`.walk.walk`, which detects and locates
    bifurcations, probes dips and ends the walk.
    """
    # Every point carries its arclength coordinate s (sum of the steps' projections on the
    # tangent), so that points located inside a step can be put in order at the end.
    pts: list[tuple[float, FloatArray, FloatArray]] = [(0.0, z_start, t_start)]
    bifs: list[tuple[float, RawPoint]] = []
    notes: list[str] = []
    values = [test.value(MonitorPoint(z_start, t_start, sys)) for test in tests]
    # The last three accepted points (s, z, t, test values), for the pair check.
    hist: list[tuple[float, FloatArray, FloatArray, list[float]]] = [
        (0.0, z_start, t_start, values)
    ]
    probed: list[tuple[int, float, float]] = []
    ds = opts.ds
    z, t, s = z_start, t_start, 0.0
    pname = sys.cm.model.parameters[sys.k].name

    def finish(ended: str, early: bool) -> Walk:
        order = sorted(range(len(pts)), key=lambda i: pts[i][0])
        return Walk(
            [pts[i][1] for i in order],
            [pts[i][2] for i in order],
            [raw for _, raw in sorted(bifs, key=lambda item: item[0])],
            ended,
            early,
            notes,
        )

    def record(raw: RawPoint, s_at: float, s_lo: float, s_hi: float) -> None:
        bifs.append((s_at, raw))
        if s_lo < s_at < s_hi:
            pts.append((s_at, raw[0], raw[1]))

    beyond: dict[str, FloatArray] = {}  # sign changes seen at rejected steps from the current z
    runner = _Runner(kernel, sys, opts, z_start, t_start)
    taken = 0
    while taken < opts.max_steps:
        # Plain steps in compiled code; it stops before a step that needs Python, which is
        # then taken below exactly as walk.walk takes it.
        z, t, ds, s, values, hist, used, accepted, code = runner.run(
            z, t, ds, s, values, hist, probed, pts, opts.max_steps - taken
        )
        taken += used
        if accepted:
            beyond.clear()  # the walk moved on: later rejections are judged from the new point
        if code == BUFFER_FULL:
            continue
        if code == BUDGET_SPENT or taken >= opts.max_steps:
            break
        taken += 1
        z_pred = z + ds * t
        z_new, ok, its = correct(sys, z_pred, t, tol=opts.tol, max_iter=opts.max_iter)
        t_new = tangent(sys, z_new, t) if ok else t
        turn = math.acos(min(1.0, max(-1.0, float(t_new @ t))))
        # Reject steps that jump (corrector far from the predictor) or turn sharply.
        guarded = False
        if ok and (np.linalg.norm(z_new - z_pred) > opts.max_angle * ds or turn > opts.max_angle):
            ok, guarded = False, True
            if opts.detect:
                # A rejected point is not used, but its test functions are looked at: when the
                # walk cannot get past here, a sign change seen across it is reported.
                seen = [test.value(MonitorPoint(z_new, t_new, sys)) for test in tests]
                for test, a, b in zip(tests, values, seen, strict=True):
                    if a * b < 0 and test.kind not in beyond:
                        beyond[test.kind] = z_new.copy()
        # Leaving the parameter range: end exactly on its boundary.
        leaving = False
        if ok:
            p_new = z_new[-1]
            leaving = bool(p_new < opts.p_lo or p_new > opts.p_hi)
        if leaving:
            edge = opts.p_lo if z_new[-1] < opts.p_lo else opts.p_hi
            frac = (edge - z[-1]) / (z_new[-1] - z[-1])
            z_mid = z + frac * (z_new - z)
            z_mid[-1] = edge  # exactly (the interpolation rounds)
            z_edge = newton_at_fixed_p(sys, z_mid, opts)
            if z_edge is not None and np.allclose(z_edge, z, rtol=0, atol=1e-12):
                # Already on the edge (a start on the boundary of `p_range`).
                return finish(f"reached {pname} = {z[-1]:.6g}, the end of `p_range`", False)
            if z_edge is None or np.linalg.norm(z_edge - z_mid) > opts.max_angle * ds:
                # Newton at the edge went elsewhere: not the point of this step.
                ok = False
            else:
                z_new, t_new = z_edge, tangent(sys, z_edge, t)
        if not ok:
            if ds / 2 < opts.ds_min:
                ratio = singularity(augmented(sys.Fz(z), t))
                if ratio < 1e-8:
                    warnings.warn(
                        f"continuation: the extended Jacobian [[F_z], [t]] of model "
                        f"`{sys.cm.model.name}` is singular or ill-conditioned (smallest singular "
                        f"value {ratio:.3g} relative) at {format_point(sys, z)}, where the branch stopped",
                        RuntimeWarning,
                        stacklevel=4,
                    )
                ended = _stuck(sys, z, ds, opts, guarded)
                for kind, zr in beyond.items():
                    ended += (
                        f"; the {kind} test function changed sign between here and a rejected "
                        f"step to {format_point(sys, zr)}: a {kind} point may lie where the "
                        "branch stopped"
                    )
                return finish(ended, True)
            ds /= 2
            continue
        h1 = float(t @ (z_new - z))
        s_new = s + h1
        new_values = [test.value(MonitorPoint(z_new, t_new, sys)) for test in tests]
        if opts.detect:
            changed = [
                j for j, (a, b) in enumerate(zip(values, new_values, strict=True)) if a * b < 0
            ]
            names = [tests[j].kind for j in changed]
            for j in changed:
                test = tests[j]
                if test.kind == "fold" and "branch" in names:
                    continue  # the parameter turns at a branch point (a pitchfork's side branch)
                raw = _zero_in(
                    sys, test, z, t, (0.0, z, values[j]), (h1, z_new, new_values[j]), t + t_new
                )
                if raw is not None:
                    record(raw, s + float(t @ (raw[0] - z)), s, s_new)
        pts.append((s_new, z_new, t_new))
        beyond.clear()  # the walk moved on: later rejections are judged from the new point
        hist = [*hist[-2:], (s_new, z_new, t_new, new_values)]
        if opts.detect and len(hist) == 3:
            for j, test in enumerate(tests):
                _probe_pair(
                    sys,
                    test,
                    j,
                    hist,
                    probed,
                    opts,
                    record,
                    lambda s_at, z_at, t_at: pts.append((s_at, z_at, t_at)),
                    notes,
                )
        values = new_values
        z, t, s = z_new, t_new, s_new
        if leaving:
            return finish(f"reached {pname} = {z[-1]:.6g}, the end of `p_range`", False)
        if np.any(z[:-1] < opts.lo) or np.any(z[:-1] > opts.hi):
            return finish(
                f"left the state box (`bounds`, by default the state domains) at {format_point(sys, z)}",
                False,
            )
        if len(pts) > 10 and np.linalg.norm(z - z_start) < ds and t @ t_start > 0.9:
            return finish("closed loop: the branch returned to its start", False)
        # Grow the step where the corrector is fast and the branch straight; shrink it where
        # Newton works hard or the tangent turns by more than half the allowed angle.
        if its <= 3 and turn < 0.25 * opts.max_angle:
            ds = min(ds * 1.5, opts.ds_max)
        elif its >= 6 or turn > 0.5 * opts.max_angle:
            ds = max(ds / 1.5, opts.ds_min)
    return finish(
        f"stopped after `max_steps` = {opts.max_steps} steps at "
        f"{format_point(sys, z)}; raise `max_steps` or `ds_max`",
        True,
    )


def compiled_follow(
    sys: ArclengthSystem,
    start: FloatArray,
    t0: FloatArray,
    opts: ContinuationOptions,
    direction: str,
    values: Mapping[str, float],
    kernel: ContinuationKernel,
) -> Branch:
    """:func:`.walk.follow` with the walks taken by :func:`compiled_walk`.

    Parameters
    ----------
    sys : ArclengthSystem
    start, t0 : arrays of shape (n + 1,)
        The first point and its tangent (towards increasing p).
    opts : ContinuationOptions
    direction : {"both", "forward", "backward"}
    values : mapping of str to float
        The other parameters' values.
    kernel : ContinuationKernel
        The model's kernel (:func:`.kernels.continuation_kernel`).

    Returns
    -------
    Branch

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.arclength import ArclengthSystem, ContinuationOptions
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> from incentive_geometry.solvers.numeric.kernels import continuation_kernel
    >>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0})
    >>> kern = continuation_kernel(m)
    >>> sys = ArclengthSystem(compile_model(m), np.array([-1.0]), 0)
    >>> opts = ContinuationOptions(0.05, 1e-8, 0.1, 200, 1e-10, 10, -2.0, 1.0,
    ...                            np.array([-np.inf]), np.array([np.inf]), True)
    >>> t0 = np.array([1.0, 2.0]) / 5**0.5
    >>> br = compiled_follow(sys, np.array([-1.0, -1.0]), t0, opts, "both", {}, kern) if kern else None
    >>> br is None or [(b.kind, abs(b.p) < 1e-10) for b in br.bifurcations] == [("fold", True)]
    True
    """
    model = sys.cm.model
    tests = [cls() for cls in MONITORS if cls.applies(model.time, sys.n)]
    if tuple(test.kind for test in tests) != kernel.kinds:
        raise AssertionError("kernel test functions differ from monitors.MONITORS")  # a bug
    walks: list[tuple[int, Walk]] = []
    if direction in ("both", "backward"):
        walks.append((-1, compiled_walk(sys, start, -t0, opts, tests, kernel)))
    if direction in ("both", "forward"):
        walks.append((1, compiled_walk(sys, start, t0, opts, tests, kernel)))
    return assemble(sys, walks, values)


# --------------------------------------------------------------------------------------------
# Detection and location, as in walk.py (private there)


def _point_at(
    sys: ArclengthSystem, z0: FloatArray, t0: FloatArray, h: float, radius: float
) -> tuple[FloatArray, FloatArray] | None:
    """The point of the branch on the hyperplane ``t0 . (z - z0) = h``, with its tangent."""
    z, ok, _ = correct(sys, z0 + h * t0, t0, tol=1e-14, max_iter=30)
    if not ok or np.linalg.norm(z - (z0 + h * t0)) > radius:
        return None
    return z, tangent(sys, z, t0)


def _locate(
    sys: ArclengthSystem,
    z0: FloatArray,
    t0: FloatArray,
    lo: tuple[float, float],
    hi: tuple[float, float],
    test: Monitor,
    radius: float,
) -> tuple[FloatArray, FloatArray] | None:
    """Brent's method on h in [h_lo, h_hi] (values g_lo, g_hi known): the point z(h) with
    ``t0 . (z - z0) = h`` where the test function vanishes."""
    cache: dict[float, tuple[FloatArray, FloatArray]] = {}
    known = {lo[0]: lo[1], hi[0]: hi[1]}

    def point(h: float) -> tuple[FloatArray, FloatArray]:
        if h not in cache:
            found = _point_at(sys, z0, t0, h, radius)
            if found is None:
                raise ConvergenceError("corrector failed while locating a bifurcation")
            cache[h] = found
        return cache[h]

    def g(h: float) -> float:
        if h in known:
            return known[h]
        z, t = point(h)
        return test.value(MonitorPoint(z, t, sys))

    try:
        h_star = brentq(g, lo[0], hi[0], xtol=1e-15, rtol=1e-14, maxiter=200)
        return point(h_star)
    except (ValueError, ConvergenceError):
        return None


def _zero_in(
    sys: ArclengthSystem,
    test: Monitor,
    z0: FloatArray,
    t0: FloatArray,
    lo: tuple[float, FloatArray, float],
    hi: tuple[float, FloatArray, float],
    t_in: FloatArray,
) -> RawPoint | None:
    """The bifurcation where `test` changes sign between the points `lo` and `hi` of a step.

    `lo` and `hi` are ``(h, z, g)``: the coordinate ``t0 . (z - z0)``, the point and the test
    value there. Returns the raw record ``(z, tangent, kind, other tangent, frequency)`` or None
    when the zero is not confirmed (a neutral saddle for the Hopf test, say).
    """
    span = float(np.linalg.norm(hi[1] - lo[1]))
    radius = max(2.0 * span, 1e-12)
    found = None
    if test.kind == "branch":
        # Moore's extended system from the secant guess: regular at the branch point, so it
        # avoids Newton on the branch, which slows down between two branches.
        g0, g1 = lo[2], hi[2]
        guess = lo[1] + g0 / (g0 - g1) * (hi[1] - lo[1])
        polished = polish_branch_point(sys, guess, radius)
        if polished is not None:
            found = (polished, t_in)
    if found is None:
        found = _locate(sys, z0, t0, (lo[0], lo[2]), (hi[0], hi[2]), test, radius)
    if found is None:
        return None
    zb, tb = found
    ok_kind, freq = test.confirm(MonitorPoint(zb, tb, sys))
    if not ok_kind:
        return None
    if test.kind != "branch":
        return zb, tb, test.kind, None, freq
    refined = polish_branch_point(sys, zb, max(0.1 * span, 1e-12))
    zb = zb if refined is None else refined
    kind, mine, other = classify_branch_point(sys, zb, t_in)
    return zb, mine, kind, other, freq


def _vertex(pts: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Vertex ``(s, g)`` of the parabola through three points ``(s, g)``, if it is a minimum."""
    (s0, g0), (s1, g1), (s2, g2) = pts
    if not s0 < s1 < s2:
        return None
    # Newton's divided differences: g(s) = g0 + d01 (s - s0) + d2 (s - s0)(s - s1).
    d01 = (g1 - g0) / (s1 - s0)
    d12 = (g2 - g1) / (s2 - s1)
    d2 = (d12 - d01) / (s2 - s0)
    if not d2 > 0:
        return None
    sv = 0.5 * (s0 + s1) - d01 / (2 * d2)  # g'(sv) = 0
    return sv, g0 + d01 * (sv - s0) + d2 * (sv - s0) * (sv - s1)


def _probe_pair(
    sys: ArclengthSystem,
    test: Monitor,
    j: int,
    hist: list[tuple[float, FloatArray, FloatArray, list[float]]],
    probed: list[tuple[int, float, float]],
    opts: ContinuationOptions,
    record: Any,
    insert: Any,
    notes: list[str],
) -> None:
    """Look for two zeros of test `j` between the last three points, where no step saw a change.

    A test function of one sign at three consecutive points, whose interpolating parabola dips
    to below a tenth of the smallest value between the outer points, may cross zero twice in
    between. Its minimum there is sought by successive parabolic interpolation on corrected
    points of the branch (each probe on the hyperplane ``t_a . (z - z_a) = h`` of the step
    ``(a, b)`` that holds it). A probe of the other sign splits the step into two sign
    changes, each located as usual; a minimum that the probes do not resolve from zero is
    reported in the branch's message.
    """
    sign = 1.0 if hist[1][3][j] > 0 else -1.0
    g = [sign * h[3][j] for h in hist]
    if not all(v > 0 for v in g):
        return
    fit = _vertex([(h[0], v) for h, v in zip(hist, g, strict=True)])
    if fit is None or not hist[0][0] < fit[0] < hist[2][0] or fit[1] >= 0.1 * min(g):
        return
    if any(k == j and a < fit[0] < b for k, a, b in probed):
        return
    probed.append((j, hist[0][0], hist[2][0]))
    pts = [(h[0], v) for h, v in zip(hist, g, strict=True)]
    sv = fit[0]
    for _ in range(opts.pair_probes):
        # The step (a, b) of the walk that holds sv.
        i = 0 if sv < hist[1][0] else 1
        (sa, za, ta, va), (sb, zb, _tb, vb) = hist[i], hist[i + 1]
        hb = float(ta @ (zb - za))
        found = _point_at(
            sys, za, ta, (sv - sa) / (sb - sa) * hb, 2.0 * float(np.linalg.norm(zb - za))
        )
        if found is None:
            break
        zp, tp = found
        gp = test.value(MonitorPoint(zp, tp, sys))
        if sign * gp < -1e-13 * max(g):
            # Two sign changes: (a, probe) and (probe, b), each located on the step from a.
            # (A probe at round-off below zero is not one: at a cusp the test function touches
            # zero without changing sign.)
            hp = float(ta @ (zp - za))
            insert(sv, zp, tp)  # the probe is a point of the branch, between the two zeros
            for lo, hi in (((0.0, za, va[j]), (hp, zp, gp)), ((hp, zp, gp), (hb, zb, vb[j]))):
                raw = _zero_in(sys, test, za, ta, lo, hi, ta)
                if raw is not None:
                    record(raw, sa + float(ta @ (raw[0] - za)), sa, sb)
            return
        pts = sorted([*pts, (sv, sign * gp)])
        m = int(np.argmin([v for _, v in pts]))
        if m == 0 or m == len(pts) - 1:
            return  # the minimum is at a point of the walk: no dip in between
        fit = _vertex(pts[m - 1 : m + 2])
        if fit is None or abs(fit[0] - pts[m][0]) <= 1e-15 * (1.0 + abs(pts[m][0])):
            break
        sv = fit[0]
    g_min = min(v for _, v in pts)
    if (fit is not None and fit[1] < 0) or g_min <= 1e-10 * max(v for _, v in pts):
        p_lo, p_hi = sorted((float(hist[0][1][-1]), float(hist[-1][1][-1])))
        notes.append(
            f"a pair of {test.kind} points may have been missed between "
            f"{sys.cm.model.parameters[sys.k].name} = {p_lo:.10g} and {p_hi:.10g} (the {test.kind} "
            "test function dips to zero there, but no corrected point resolved a sign change); "
            "rerun with a smaller `ds_max` over that interval"
        )


def _stuck(
    sys: ArclengthSystem, z: FloatArray, ds: float, opts: ContinuationOptions, guarded: bool
) -> str:
    why = (
        "the corrector converged, but only to points farther from the prediction than "
        f"{opts.max_angle:g} ds or with a tangent turned by more than {opts.max_angle:g} rad (a "
        "jump, or a corner sharper than the smallest step)"
        if guarded
        else f"the Newton corrector ({opts.max_iter} iterations, tol {opts.tol:g}) did not "
        "converge from any predictor"
    )
    return (
        f"step size fell below `ds_min` = {opts.ds_min:g} at {format_point(sys, z)}: {why}; the "
        "branch may end at a singular point or leave the model's domain. Try a smaller `ds_min` "
        "or `ds`, or start on the other side"
    )
