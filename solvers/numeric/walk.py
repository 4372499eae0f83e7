"""Walking a branch: predictor-corrector steps with step control, detection and location of
bifurcations, probing for close pairs, and assembling the walks into a :class:`Branch`.

A corrected step is accepted only when it cannot have jumped to another part of the branch: the
tangent turns by at most ``max_angle`` (0.2 rad) and the corrected point lies within
``max_angle * ds`` of the prediction. Test functions (:mod:`.monitors`) are evaluated at every
accepted point; a sign change is located by Brent's method on the arclength, each evaluation a
corrected point. A test function of one sign at three consecutive points whose parabola dips
towards zero is probed by successive parabolic interpolation; a minimum of the other sign splits
the step into two located zeros, and a dip that cannot be resolved is named in the message.

References
----------
.. [1] E. L. Allgower and K. Georg, *Introduction to Numerical Continuation Methods*, SIAM,
   2003, section 6.1 (step length control).
.. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   section 10.2 (locating bifurcations by their test functions).

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "p + 1e-4*x - x**3"}, parameters={"p": 0.0})
>>> br = ig.continuation(m, "p", x0=[0.0], p_range=(-1, 1))
>>> [b.kind for b in br.bifurcations]   # two folds 7.7e-7 apart
['fold', 'fold']
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy.optimize import brentq

from incentive_geometry.errors import ConvergenceError, ModelError
from incentive_geometry.model import Model

from .arclength import (
    ArclengthSystem,
    ContinuationOptions,
    augmented,
    correct,
    format_point,
    newton_at_fixed_p,
    tangent,
)
from .branch import STATUS_COMPLETE, STATUS_FAILED, STATUS_STOPPED, Bifurcation, Branch
from .compile import (
    FloatArray,
)
from .equilibria import singularity
from .monitors import MONITORS, Monitor, MonitorPoint, classify_branch_point, polish_branch_point
from .normal_form import normal_form_coefficient
from .stability import is_stable

__all__ = ["walk"]

# --------------------------------------------------------------------------------------------
# Driver


RawPoint = tuple[FloatArray, FloatArray, str, "FloatArray | None", "float | None"]


@dataclass
class Walk:
    zs: list[FloatArray]
    ts: list[FloatArray]
    bifs: list[RawPoint]
    ended: str
    early: bool
    notes: list[str] = field(default_factory=list)


def _point_at(
    sys: ArclengthSystem, z0: FloatArray, t0: FloatArray, h: float, radius: float
) -> tuple[FloatArray, FloatArray] | None:
    """The point of the branch on the hyperplane ``t0 . (z - z0) = h``, with its tangent."""
    z, ok, _ = correct(sys, z0 + h * t0, t0, tol=1e-14, max_iter=30)
    if not ok or np.linalg.norm(z - (z0 + h * t0)) > radius:
        return None
    return z, tangent(sys, z, t0)


def _locate(
    sys: ArclengthSystem, z0: FloatArray, t0: FloatArray, lo: tuple[float, float], hi: tuple[float, float],
    test: Monitor, radius: float,
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
    sys: ArclengthSystem, test: Monitor, z0: FloatArray, t0: FloatArray,
    lo: tuple[float, FloatArray, float], hi: tuple[float, FloatArray, float], t_in: FloatArray,
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


class PlainSteps(Protocol):
    """Takes the plain steps of a walk elsewhere (compiled code), see :func:`walk`.

    ``run(z, t, ds, s, values, hist, probed, pts, budget)`` takes up to `budget` steps that
    need nothing but the predictor, the corrector, the step guards, the step-size rule and the
    test functions, appends the accepted points to `pts`, and returns the walk's new state
    ``(z, t, ds, s, values, hist, used, accepted, then)``: `used` iterations taken, `accepted`
    points, and `then` one of ``"step"`` (the next step needs :func:`walk`'s own code),
    ``"again"`` (call again) or ``"spent"`` (the budget is used up).
    """

    def run(
        self,
        z: FloatArray,
        t: FloatArray,
        ds: float,
        s: float,
        values: list[float],
        hist: list[tuple[float, FloatArray, FloatArray, list[float]]],
        probed: list[tuple[int, float, float]],
        pts: list[tuple[float, FloatArray, FloatArray]],
        budget: int,
    ) -> tuple[
        FloatArray, FloatArray, float, float, list[float],
        list[tuple[float, FloatArray, FloatArray, list[float]]], int, int, str,
    ]: ...


def walk(
    sys: ArclengthSystem, z_start: FloatArray, t_start: FloatArray, opts: ContinuationOptions,
    tests: list[Monitor], plain: PlainSteps | None = None,
) -> Walk:
    """Follow the branch from `z_start` along `t_start` (one direction).

    Returns the points in order along the branch (located bifurcation points inserted where they
    lie), the raw bifurcation records, and how the walk ended.

    Parameters
    ----------
    sys : ArclengthSystem
    z_start, t_start : arrays of shape (n + 1,)
        A point of the branch and the unit tangent to walk along.
    opts : ContinuationOptions
    tests : list of Monitor
        The test functions to watch (``[m() for m in MONITORS if m.applies(time, n)]``).
    plain : PlainSteps, optional
        Takes the plain steps before each step (the compiled kernel of
        :mod:`.compiled_continuation`); the step it stops before is taken here, so bifurcations
        are detected, located and classified by this code whichever takes the plain steps.

    Returns
    -------
    Walk

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.arclength import ArclengthSystem, ContinuationOptions
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> from incentive_geometry.solvers.numeric.monitors import MONITORS
    >>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0})
    >>> sys = ArclengthSystem(compile_model(m), np.array([-1.0]), 0)
    >>> opts = ContinuationOptions(0.05, 1e-8, 0.1, 200, 1e-10, 10, -1.0, 1.0,
    ...                            np.array([-np.inf]), np.array([np.inf]), True)
    >>> w = walk(sys, np.array([-1.0, -1.0]), np.array([1.0, 2.0]) / 5**0.5, opts,
    ...          [t() for t in MONITORS if t.applies("continuous", 1)])
    >>> [(kind, round(float(z[-1]), 12) + 0.0) for z, _, kind, _, _ in w.bifs], w.ended
    ([('fold', 0.0)], 'reached p = -1, the end of `p_range`')
    """
    # Every point carries its arclength coordinate s (sum of the steps' projections on the
    # tangent), so that points located inside a step can be put in order at the end.
    pts: list[tuple[float, FloatArray, FloatArray]] = [(0.0, z_start, t_start)]
    bifs: list[tuple[float, RawPoint]] = []
    notes: list[str] = []
    values = [test.value(MonitorPoint(z_start, t_start, sys)) for test in tests]
    # The last three accepted points (s, z, t, test values), for the pair check.
    hist: list[tuple[float, FloatArray, FloatArray, list[float]]] = [(0.0, z_start, t_start, values)]
    probed: list[tuple[int, float, float]] = []
    ds = opts.ds
    z, t, s = z_start, t_start, 0.0
    pname = sys.cm.model.parameters[sys.k].name

    def finish(ended: str, early: bool) -> Walk:
        order = sorted(range(len(pts)), key=lambda i: pts[i][0])
        return Walk(
            [pts[i][1] for i in order], [pts[i][2] for i in order],
            [raw for _, raw in sorted(bifs, key=lambda item: item[0])], ended, early, notes,
        )

    def record(raw: RawPoint, s_at: float, s_lo: float, s_hi: float) -> None:
        bifs.append((s_at, raw))
        if s_lo < s_at < s_hi:
            pts.append((s_at, raw[0], raw[1]))

    beyond: dict[str, FloatArray] = {}  # sign changes seen at rejected steps from the current z
    taken = 0
    while taken < opts.max_steps:
        if plain is not None:
            z, t, ds, s, values, hist, used, accepted, then = plain.run(
                z, t, ds, s, values, hist, probed, pts, opts.max_steps - taken
            )
            taken += used
            if accepted:
                beyond.clear()  # the walk moved on: later rejections are judged from the new point
            if then == "again":
                continue
            if then == "spent" or taken >= opts.max_steps:
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
            changed = [j for j, (a, b) in enumerate(zip(values, new_values, strict=True)) if a * b < 0]
            names = [tests[j].kind for j in changed]
            for j in changed:
                test = tests[j]
                if test.kind == "fold" and "branch" in names:
                    continue  # the parameter turns at a branch point (a pitchfork's side branch)
                raw = _zero_in(sys, test, z, t, (0.0, z, values[j]), (h1, z_new, new_values[j]),
                               t + t_new)
                if raw is not None:
                    record(raw, s + float(t @ (raw[0] - z)), s, s_new)
        pts.append((s_new, z_new, t_new))
        beyond.clear()  # the walk moved on: later rejections are judged from the new point
        hist = [*hist[-2:], (s_new, z_new, t_new, new_values)]
        if opts.detect and len(hist) == 3:
            for j, test in enumerate(tests):
                _probe_pair(sys, test, j, hist, probed, opts, record,
                            lambda s_at, z_at, t_at: pts.append((s_at, z_at, t_at)), notes)
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
    return finish(f"stopped after `max_steps` = {opts.max_steps} steps at "
                  f"{format_point(sys, z)}; raise `max_steps` or `ds_max`", True)


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
    sys: ArclengthSystem, test: Monitor, j: int,
    hist: list[tuple[float, FloatArray, FloatArray, list[float]]],
    probed: list[tuple[int, float, float]], opts: ContinuationOptions,
    record: Any, insert: Any, notes: list[str],
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
        found = _point_at(sys, za, ta, (sv - sa) / (sb - sa) * hb, 2.0 * float(np.linalg.norm(zb - za)))
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


def empty_branch(model: Model, param: str, values: Mapping[str, float], msg: str) -> Branch:
    n = len(model.states)
    return Branch(
        param=param, p=np.zeros(0), x=np.zeros((0, n)), stable=np.zeros(0, dtype=bool),
        eigenvalues=np.zeros((0, n), dtype=complex), state_names=model.state_names,
        params=dict(values), time=model.time, status=STATUS_FAILED, message=msg,
    )


def follow(
    sys: ArclengthSystem, start: FloatArray, t0: FloatArray, opts: ContinuationOptions, direction: str,
    values: Mapping[str, float], plain: Callable[[FloatArray, FloatArray], PlainSteps] | None = None,
) -> Branch:
    """The branch through `start` in the given direction(s); `plain(z, t)` makes the
    :class:`PlainSteps` of a walk starting at ``(z, t)`` (None: every step taken here)."""
    model = sys.cm.model
    tests = [cls() for cls in MONITORS if cls.applies(model.time, sys.n)]
    walks: list[tuple[int, Walk]] = []
    for sign in ((-1,) if direction == "backward" else (1,) if direction == "forward" else (-1, 1)):
        t_start = sign * t0
        runner = None if plain is None else plain(start, t_start)
        walks.append((sign, walk(sys, start, t_start, opts, tests, runner)))
    return assemble(sys, walks, values)


def assemble(
    sys: ArclengthSystem, walks: Sequence[tuple[int, Walk]], values: Mapping[str, float],
    joint: RawPoint | None = None,
) -> Branch:
    """One branch from walks that share their first point (backward reversed, then forward).

    `joint` is a bifurcation record at the shared first point (the branch point a switched
    branch starts from).
    """
    model = sys.cm.model
    zs: list[FloatArray] = []
    bif_raw: list[RawPoint] = [] if joint is None else [joint]
    for sign, w in walks:
        if sign < 0:
            zs = list(reversed(w.zs)) + zs
            bif_raw = list(reversed(w.bifs)) + bif_raw
        else:
            zs = zs + (w.zs[1:] if zs else w.zs)
            bif_raw = bif_raw + w.bifs
    Z = np.array(zs)
    lam = sys.eig(Z) if len(Z) else np.zeros((0, sys.n), complex)
    p_name = model.parameters[sys.k].name
    bifs: list[Bifurcation] = []
    for zb, tb, kind, direction_vec, freq in bif_raw:
        # The same point can be found from both directions when the walk starts on it.
        if any(b.kind == kind and abs(b.p - zb[-1]) < 1e-9 and np.allclose(b.x, zb[:-1], atol=1e-7)
               for b in bifs):
            continue
        coefficient, criticality = _criticality(sys, zb, kind)
        bifs.append(
            Bifurcation(
                kind=kind, param=p_name, p=float(zb[-1]), x=zb[:-1].copy(),
                eigenvalues=sys.eig(zb), state_names=model.state_names, tangent=tb,
                direction=direction_vec, params=dict(values), frequency=freq,
                coefficient=coefficient, criticality=criticality,
            )
        )
    early = any(w.early for _, w in walks)
    labels = {-1: "backward", 1: "forward"}
    message = "; ".join(f"{labels[s]}: {w.ended}" for s, w in walks)
    notes = [note for _, w in walks for note in w.notes]
    if notes:
        message += "; " + "; ".join(notes)
    return Branch(
        param=p_name, p=Z[:, -1].copy(), x=Z[:, :-1].copy(),
        stable=np.asarray(is_stable(model.time, lam), dtype=bool).reshape(len(Z)),
        eigenvalues=lam, bifurcations=tuple(bifs), state_names=model.state_names,
        params=dict(values), time=model.time,
        status=STATUS_STOPPED if early else STATUS_COMPLETE, message=message,
        nsteps=len(Z) - 1,
    )


def _criticality(sys: ArclengthSystem, zb: FloatArray, kind: str) -> tuple[float | None, str | None]:
    """The criticality coefficient and class of a Hopf, flip or Neimark-Sacker point; None
    for other kinds and where the coefficient is not defined (ModelError of the formula)."""
    if kind not in ("hopf", "flip", "neimark_sacker"):
        return None, None
    try:
        nf = normal_form_coefficient(sys.cm, zb[:-1], sys.pvec(zb[-1]), kind)
    except ModelError:
        return None, None
    return float(nf.coefficient), nf.criticality
