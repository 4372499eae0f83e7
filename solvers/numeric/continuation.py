"""Continuation of equilibria and fixed points in one parameter, with bifurcation detection.

The branch ``F(x, p) = 0`` (``F = f`` for flows, ``F = f - x`` for maps) is followed by
pseudo-arclength continuation (Keller 1977): from a point ``z = (x, p)`` with unit tangent ``t``
the predictor is ``z + ds t``; Newton corrects it on ``F(z) = 0, t . (z - z_pred) = 0``. Both
directions are followed from the start.

A corrected step is accepted only when it cannot have jumped to another part of the branch: the
tangent turns by at most ``max_angle`` (0.2 rad) and the corrected point lies within
``max_angle * ds`` of the prediction (on an arc of curvature kappa a step turns the tangent by
``kappa ds`` and lands ``kappa ds^2 / 2`` away). Otherwise the step is halved and retried. The
step grows where Newton converges fast and the branch is straight, and shrinks where it turns.

Bifurcations are detected by sign changes of *test functions* (each a small strategy class
in :mod:`.monitors`) and located by Brent's method on the arclength between the two points that bracket the
change, each evaluation being a corrected point of the branch, so the parameter is located to
about 1e-12. Two zeros inside one step show no sign change; when a test function has one sign at
three consecutive points but the parabola through its values dips towards zero between them, its
minimum is sought by successive parabolic interpolation on corrected points, and a minimum of the
other sign splits the step into two located zeros (two folds 7.7e-7 apart are found at the
default ``ds_max``). A dip that the probes cannot resolve from zero (a cusp, say) is named in the
branch's message as a place where a pair may have been missed.

The test functions (fold, branch point, Hopf, flip, Neimark-Sacker) and the classification of
branch points by the algebraic branching equation are in :mod:`.monitors`; switching to the other
branch at a branch point in :mod:`.branch_points`.

The work is split by what it holds: :mod:`.branch` (the results :class:`Branch` and
:class:`Bifurcation`), :mod:`.arclength` (the branch equation, the corrector and
:class:`~.arclength.ContinuationOptions`, every tolerance of a run), :mod:`.monitors` (test
functions and the classification of branch points), :mod:`.walk` (stepping, location, assembly)
and :mod:`.branch_points` (switching); this module is the entry point and the start.

References
----------
.. [1] H. B. Keller, "Numerical solution of bifurcation and nonlinear eigenvalue problems",
   in *Applications of Bifurcation Theory*, Academic Press, 1977, 359-384.
.. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   chapter 10 (test functions, branch switching).
.. [3] E. L. Allgower and K. Georg, *Introduction to Numerical Continuation Methods*, SIAM,
   2003, chapter 8 (the orientation test for branch points).
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from incentive_geometry.errors import ConvergenceError, ModelError
from incentive_geometry.model import Model

from .arclength import (
    ArclengthSystem,
    ContinuationOptions,
    check_steps,
    correct,
    format_point,
    newton_at_fixed_p,
    setup_system,
    state_box,
    tangent,
)
from .branch import Branch, lift_to_simplex
from .branch_points import switch_all
from .compile import (
    FloatArray,
    check_in_domain,
    check_value,
    resolve_state,
)
from .compiled_continuation import compiled_follow
from .equilibria import singularity
from .kernels import continuation_kernel
from .walk import empty_branch, follow

__all__ = ["continuation"]

def continuation(
    model: Model,
    param: str,
    *,
    x0: Mapping[str, float] | Sequence[float] | FloatArray,
    params: Mapping[str, float] | None = None,
    p_range: tuple[float, float],
    p0: float | None = None,
    ds: float = 0.01,
    ds_min: float = 1e-8,
    ds_max: float = 0.1,
    max_steps: int = 2000,
    direction: str = "both",
    tol: float = 1e-10,
    max_iter: int = 10,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    detect: bool = True,
    switch_branches: bool = False,
    raise_on_failure: bool = True,
    compiled: bool | None = None,
) -> Branch:
    """Follow a branch of equilibria (flow) or fixed points (map) in parameter `param`.

    Parameters
    ----------
    model : Model
    param : str
        The continuation parameter.
    x0 : mapping or array of shape (n,)
        A state near an equilibrium at the start value of the parameter.
    params : mapping of str to float, optional
        Values of the other parameters (defaults otherwise); may include `param` as the start.
    p_range : (lo, hi)
        The branch is followed while ``lo <= p <= hi`` (both ends inside the parameter's domain).
    p0 : float, optional
        Start value of `param` (default: ``params[param]``, else the parameter's default if it
        lies in `p_range`, else the middle of `p_range`).
    ds, ds_min, ds_max : float
        Initial, smallest and largest arclength step.
    max_steps : int
        Largest number of steps in each direction.
    direction : {"both", "forward", "backward"}
        Forward is increasing `param` at the start.
    tol : float
        Newton tolerance (scaled step) of the corrector.
    max_iter : int
        Newton iterations per corrector.
    bounds : mapping of state name to (lo, hi), optional
        Stop when the branch leaves this box. A state not named keeps to its declared domain
        (a share to ``[0, 1]``, a nonnegative state to ``[0, inf)``); give ``(-inf, inf)`` to
        follow it anywhere.
    detect : bool
        Detect and locate bifurcations.
    switch_branches : bool
        Also follow the other branch at every branch point, and so on at the branch points of
        the branches found (as a tree of `children`, with the same `p_range`, steps and
        `bounds`; see :func:`switch_branch`). Each branch through a branch point is followed
        once, and at most 32 branches are switched to.
    raise_on_failure : bool
        Raise :class:`ConvergenceError` when the start does not converge to an equilibrium
        (default); otherwise return an empty branch with ``status = -1``.
    compiled : bool or None
        Take the plain steps in the model's compiled kernel (numba, the extra ``fast``; see
        :mod:`.compiled_continuation`): the same branch, 5-10x faster per point. True compiles
        the kernel when needed (about 10 s once per model, then cached on disk); None (default)
        uses it when it is ready (compiled earlier in this process or cached on disk); False
        never. Without numba, or with ``INCENTIVE_GEOMETRY_NO_NUMBA=1``, the NumPy walk runs.

    Returns
    -------
    Branch

    Raises
    ------
    ModelError
        For an unknown parameter, a bad range or NaN/inf values.
    ConvergenceError
        When Newton does not reach an equilibrium from `x0` (message: what was tried).

    Warns
    -----
    RuntimeWarning
        When the Jacobian is singular or ill-conditioned at the start or along the branch,
        naming the point.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       chapter 10.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.load_model("examples/brusselator.toml")
    >>> br = ig.continuation(m, "b", x0={"x": 1.0, "y": 1.0}, params={"a": 1.0, "b": 1.0},
    ...                      p_range=(0.5, 3.0))
    >>> [(b.kind, round(b.p, 10)) for b in br.bifurcations]
    [('hopf', 2.0)]
    """
    if model.simplex:
        # Follow the branch on the simplex (the last share is 1 - the others), then lift it.
        reduced = model.reduce_simplex()
        x_full = resolve_state(model, x0)
        check_in_domain(model, x_full)
        branch = continuation(
            reduced, param, x0=x_full[:-1], params=params, p_range=p_range,
            p0=p0, ds=ds, ds_min=ds_min, ds_max=ds_max, max_steps=max_steps,
            direction=direction, tol=tol, max_iter=max_iter,
            bounds={k: v for k, v in dict(bounds or {}).items() if k != model.state_names[-1]},
            detect=detect, switch_branches=switch_branches, raise_on_failure=raise_on_failure,
            compiled=compiled,
        )
        return lift_to_simplex(branch, model)
    cm, base, k, values, p_lo, p_hi = setup_system(model, param, params, p_range)
    x_start = resolve_state(model, x0)
    check_in_domain(model, x_start)
    given = dict(params or {})
    if p0 is None:
        default = model.parameter(param).default
        if param in given:
            p0 = float(given[param])
        elif default is not None and p_lo <= default <= p_hi:
            p0 = default
        else:
            p0 = 0.5 * (p_lo + p_hi)
    p0 = check_value(param, p0, model)
    if not p_lo <= p0 <= p_hi:
        raise ModelError(f"start `{param}` = {p0} lies outside `p_range` = ({p_lo}, {p_hi})")
    if direction not in ("both", "forward", "backward"):
        raise ModelError(f"`direction` must be 'both', 'forward' or 'backward', got {direction!r}")
    check_steps(ds, ds_min, ds_max, tol)
    for name, value, least in (("max_steps", max_steps, 1), ("max_iter", max_iter, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise ModelError(f"`{name}` must be an int >= {least}, got {value!r}")
    lo, hi = state_box(model, bounds)
    opts = ContinuationOptions(float(ds), float(ds_min), float(ds_max), int(max_steps), float(tol),
                    int(max_iter), p_lo, p_hi, lo, hi, detect)
    sys = ArclengthSystem(cm, base, k)
    if compiled is not None and not isinstance(compiled, bool):
        raise ModelError(f"`compiled` must be True, False or None, got {compiled!r:.60}")
    kernel = None if compiled is False else continuation_kernel(model, build=bool(compiled))

    # Newton at fixed p from x0.
    z0 = np.append(x_start, p0)
    start = newton_at_fixed_p(sys, z0, ContinuationOptions(**{**opts.__dict__, "max_iter": 50}))
    if start is None or not np.all(np.isfinite(start)):
        msg = (
            f"continuation: Newton at fixed {param} = {p0:g} did not converge to an equilibrium "
            f"of model `{model.name}` from x0 = {format_point(sys, z0).split(', ', 1)[1]} (50 "
            f"iterations, tol {tol:g}); start closer to an equilibrium, e.g. from "
            "ig.find_equilibria(model, params=...)"
        )
        if raise_on_failure:
            raise ConvergenceError(msg)
        return empty_branch(model, param, values, msg)
    notes = _start_notes(sys, x_start, start)
    # Initial tangent: the kernel of F_z, oriented towards increasing p.
    t0 = np.linalg.svd(sys.Fz(start))[2][-1]
    if t0[-1] < 0 or (abs(t0[-1]) < 1e-12 and t0[np.argmax(np.abs(t0))] < 0):
        t0 = -t0
    ratio = singularity(sys.Fx(start))
    begin, t_begin = start, t0
    if ratio < 1e-8:
        # The start may be a bifurcation point. Test functions change sign *between* points, so
        # the walk is begun one step before it (behind it for `direction="backward"`): the
        # point then lies inside the first step and is detected and located like any other.
        sign = 1.0 if direction == "backward" else -1.0
        off = _step_off(sys, start, sign * t0, opts)
        if off is not None and opts.p_lo <= off[0][-1] <= opts.p_hi:
            begin, t_begin = off[0], sign * off[1]
    if kernel is None:
        branch = follow(sys, begin, t_begin, opts, direction, values)
    else:
        branch = compiled_follow(sys, begin, t_begin, opts, direction, values, kernel)
    if ratio < 1e-8:
        at_start = [b for b in branch.bifurcations
                    if np.linalg.norm(b.z - start) <= 1e-6 * (1.0 + np.linalg.norm(start))]
        if at_start:
            notes.append(f"the start is a {at_start[0].kind} point ({format_point(sys, start)})")
        else:
            warnings.warn(
                f"continuation: the Jacobian of model `{model.name}` is singular or "
                f"ill-conditioned (smallest singular value {ratio:.3g} relative) at the start "
                f"{format_point(sys, start)}, and no bifurcation was located there; the start may be "
                "a degenerate point, where the branch direction is not unique",
                RuntimeWarning,
                stacklevel=2,
            )
    message = "; ".join([*notes, branch.message]) if notes else branch.message
    branch = replace(branch, message=message, start=start.copy(),
                     start_distance=float(np.linalg.norm(start[:-1] - x_start)))
    if switch_branches:
        branch = switch_all(sys, branch, opts, values, kernel)
    return branch


def _step_off(
    sys: ArclengthSystem, z: FloatArray, tau: FloatArray, opts: ContinuationOptions
) -> tuple[FloatArray, FloatArray] | None:
    """A corrected point one step from `z` along `tau` and its tangent (oriented along `tau`),
    accepted within the angle and distance of the step control; None if no step down to
    `ds_min` is accepted. The first try is half a step, so that the walk's first step (of `ds`)
    from the new point passes `z` instead of landing on it."""
    h = opts.ds / 2
    while h >= opts.ds_min:
        z_pred = z + h * tau
        z1, ok, _ = correct(sys, z_pred, tau, tol=opts.tol, max_iter=max(opts.max_iter, 20))
        if ok and np.linalg.norm(z1 - z_pred) <= opts.max_angle * h:
            t1 = tangent(sys, z1, tau)
            if t1 @ tau >= math.cos(opts.max_angle):
                return z1, t1
        h /= 4
    return None


def _start_notes(sys: ArclengthSystem, x0: FloatArray, start: FloatArray) -> list[str]:
    """What the branch's message says of its start: how far Newton moved `x0` (when beyond
    round-off) and a start outside the state domains; a warning when the start moved far."""
    model = sys.cm.model
    shown = ", ".join(f"{s}={v:.6g}" for s, v in zip(model.state_names, x0, strict=True))
    distance = float(np.linalg.norm(start[:-1] - x0))
    size = 1.0 + float(np.linalg.norm(x0))
    notes = []
    if distance > 1e-8 * size:
        notes.append(
            f"start: Newton moved x0 = ({shown}) by {distance:.3g} to the equilibrium "
            f"{format_point(sys, start)}"
        )
        if distance > 1.0 + float(np.linalg.norm(start[:-1])):
            warnings.warn(
                f"continuation: x0 = ({shown}) is {distance:.3g} from the equilibrium Newton "
                f"found, {format_point(sys, start)}; the branch is followed from there. Start nearer "
                "the equilibrium you mean (ig.find_equilibria lists them)",
                RuntimeWarning,
                stacklevel=3,
            )
    outside = [s for s, dom, v in zip(model.state_names, model.state_domains, start[:-1],
                                       strict=True) if not dom.contains(float(v))]
    if outside:
        notes.append(
            f"the start lies outside the domain of {', '.join(f'`{s}`' for s in outside)}"
        )
    return notes
