"""Branch switching: following the other branch through a branch point.

The other branch's tangent is a root of the algebraic branching equation at the point (kept in
``Bifurcation.direction`` by :mod:`.monitors`). Each direction along it starts with a corrected
step that clears the branch point and is checked to lie on the other branch, not on the one the
point was found on. :func:`switch_branch` does this once; ``continuation(...,
switch_branches=True)`` does it at every branch point of every branch found, as a tree.

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   section 10.2.2 (branch switching).

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
>>> br = ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1))
>>> other = switch_branch(m, br.bifurcations[0], p_range=(-1, 1))
>>> bool(abs(other.x[:, 0] - other.p).max() < 1e-9)   # the branch x = p
True
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

from .arclength import (
    ArclengthSystem,
    ContinuationOptions,
    check_steps,
    correct,
    setup_system,
    state_box,
    tangent,
)
from .branch import Bifurcation, Branch, lift_to_simplex
from .compile import (
    FloatArray,
)
from .compiled_continuation import compiled_walk
from .kernels import ContinuationKernel, continuation_kernel
from .monitors import MONITORS
from .walk import RawPoint, Walk, assemble, empty_branch, walk

__all__ = ["switch_branch"]

# At most this many branches are switched to from one call (a lattice of branch points, as in
# models with many independent species, would otherwise grow without end).
_MAX_SWITCHES = 32


def switch_all(
    sys: ArclengthSystem, root: Branch, opts: ContinuationOptions, values: Mapping[str, float],
    kernel: ContinuationKernel | None = None,
) -> Branch:
    """Switch at every branch point of `root` and of the branches found, as a tree of children.

    Each branch through a branch point is followed once: a branch *covers* the pair (point, its
    own tangent there) at each of its branch points, and a switch along a direction already
    covered is skipped. So the branch point a child starts from, and a branch point where a
    child meets a branch already known (the second pitchfork of a symmetry-breaking loop),
    give no duplicate.
    """
    covered: list[tuple[FloatArray, FloatArray]] = []

    def cover(br: Branch) -> None:
        covered.extend((b.z, b.tangent) for b in br.bifurcations if b.direction is not None)

    def known(b: Bifurcation) -> bool:
        assert b.direction is not None
        d = b.direction / np.linalg.norm(b.direction)
        return any(
            zc.shape == b.z.shape and np.linalg.norm(zc - b.z) <= 1e-6 * (1.0 + np.linalg.norm(b.z))
            and tc.shape == d.shape and abs(float(tc @ d)) > 0.99
            for zc, tc in covered
        )

    switched = 0

    def grow(br: Branch) -> Branch:
        nonlocal switched
        kids: list[Branch] = []
        for b in br.bifurcations:
            if b.direction is None or known(b) or switched >= _MAX_SWITCHES:
                continue
            switched += 1
            child = _switch_at(sys, b, opts, values, kernel)
            cover(child)
            kids.append(child)
        # Siblings are all covered before any of them is grown, so that a point two of them
        # share is switched from once.
        return _with_children(br, tuple(grow(k) for k in kids))

    cover(root)
    return grow(root)


def _clear(
    sys: ArclengthSystem, zb: FloatArray, tau: FloatArray, t_parent: FloatArray, opts: ContinuationOptions
) -> tuple[FloatArray, FloatArray] | None:
    """The first point of the other branch: a corrected step along `tau` that clears the point.

    On the hyperplane ``tau . (z - zb) = h`` the other branch lies ``O(h^2)`` from the
    prediction and the parent branch ``h tan(angle)`` from it, so Newton from the prediction
    lands on the other branch. The step is accepted only when the corrected point stays within
    ``max_angle * h`` of the prediction and its tangent is closer to `tau` than to the parent's
    tangent (not back on the branch the switch came from).
    """
    h = max(opts.ds, 1e3 * opts.ds_min)
    while h >= opts.ds_min:
        z_pred = zb + h * tau
        z1, ok, _ = correct(sys, z_pred, tau, tol=opts.tol, max_iter=max(opts.max_iter, 20))
        if ok and np.linalg.norm(z1 - z_pred) <= opts.max_angle * h:
            t1 = tangent(sys, z1, tau)
            if abs(t1 @ tau) > abs(t1 @ t_parent) and t1 @ tau >= math.cos(opts.max_angle):
                return z1, t1
        h /= 4
    return None


def _switch(
    sys: ArclengthSystem, zb: FloatArray, tau: FloatArray, t_parent: FloatArray, kind: str,
    opts: ContinuationOptions, values: Mapping[str, float], kernel: ContinuationKernel | None = None,
) -> Branch:
    """Follow the other branch through the branch point `zb` both ways along its tangent `tau`.

    Each direction starts with a step that clears the branch point (:func:`_clear`), so neither
    stalls on it nor retraces the parent branch; the branch point joins the two halves and is
    recorded on the new branch too (its `direction` is then the parent branch's tangent).
    """
    model = sys.cm.model
    pname = model.parameters[sys.k].name
    tests = [cls() for cls in MONITORS if cls.applies(model.time, sys.n)]
    walks: list[tuple[int, Walk]] = []
    failed = []
    for sign in (-1, 1):
        first = _clear(sys, zb, sign * tau, t_parent, opts)
        label = "backward" if sign < 0 else "forward"
        if first is None:
            failed.append(label)
            walks.append((sign, Walk([zb], [sign * tau], [],
                                      "the corrector did not converge on the other branch", True)))
            continue
        z1, t1 = first
        if not opts.p_lo <= z1[-1] <= opts.p_hi:
            walks.append((sign, Walk([zb], [sign * tau], [],
                                      f"reached {pname} = {zb[-1]:.6g}, the end of `p_range`", False)))
            continue
        w = (walk(sys, z1, t1, opts, tests) if kernel is None
             else compiled_walk(sys, z1, t1, opts, tests, kernel))
        w.zs.insert(0, zb)
        w.ts.insert(0, sign * tau)
        walks.append((sign, w))
        if w.ended.startswith("closed loop"):
            break  # the other way round is the same loop
    if len(failed) == 2:
        return empty_branch(model, pname, values,
                      f"branch switching at the {kind} point {pname} = {zb[-1]:.10g} failed: "
                      "the corrector did not converge on the other branch")
    joint: RawPoint = (zb, tau, kind, t_parent, None)
    return assemble(sys, walks, values, joint)


def _switch_at(
    sys: ArclengthSystem, bif: Bifurcation, opts: ContinuationOptions, values: Mapping[str, float],
    kernel: ContinuationKernel | None = None,
) -> Branch:
    assert bif.direction is not None
    tau = bif.direction / np.linalg.norm(bif.direction)
    t_parent = bif.tangent if bif.tangent.shape == tau.shape else np.zeros_like(tau)
    return _switch(sys, bif.z, tau, t_parent, bif.kind, opts, values, kernel)


def _with_children(branch: Branch, children: tuple[Branch, ...]) -> Branch:
    return replace(branch, children=children)


def switch_branch(
    model: Model,
    bifurcation: Bifurcation,
    *,
    p_range: tuple[float, float],
    params: Mapping[str, float] | None = None,
    ds: float = 0.01,
    ds_min: float = 1e-8,
    ds_max: float = 0.1,
    max_steps: int = 2000,
    tol: float = 1e-10,
    max_iter: int = 10,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    detect: bool = True,
    compiled: bool | None = None,
) -> Branch:
    """Follow the other branch through a branch point (transcritical, pitchfork).

    The other branch's tangent is a root of the algebraic branching equation at the point (kept
    in ``bifurcation.direction``). Both directions along it start with a corrected step that
    clears the branch point and is checked to lie on the other branch, not on the one the
    branch point was found on; the branch point itself is the joint of the two halves and is
    one of the new branch's bifurcations (with the first branch's tangent as its `direction`,
    so switching from it again returns to the first branch).

    Parameters
    ----------
    model : Model
    bifurcation : Bifurcation
        A branch point from :func:`continuation` (its `direction` is the other branch's tangent).
    p_range : (lo, hi)
    params : mapping, optional
        The other parameters (default: those of the bifurcation).
    ds, ds_min, ds_max, max_steps, tol, max_iter, bounds, detect, compiled
        As in :func:`continuation`; `ds` is also the length of the first step off the point.

    Returns
    -------
    Branch

    Raises
    ------
    ModelError
        When `bifurcation` is not a branch point with a known direction, or for a bad range,
        step or bound.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       sec. 10.2.2 (the algebraic branching equation).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
    >>> trivial = ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1))
    >>> other = ig.switch_branch(m, trivial.bifurcations[0], p_range=(-1, 1),
    ...                          bounds={"x": (-0.5, 2)})
    >>> bool(abs(other.x[:, 0] - other.p).max() < 1e-9)   # the branch x = p
    True
    >>> round(float(other.p.min()), 1), other.bifurcations[0].kind   # stopped by `bounds`
    (-0.5, 'transcritical')
    """
    if not isinstance(bifurcation, Bifurcation) or bifurcation.direction is None:
        raise ModelError(
            f"`bifurcation` must be a branch point (transcritical or pitchfork) found by "
            f"continuation, got {getattr(bifurcation, 'kind', bifurcation)!r:.60}; only branch "
            "points have a second branch to switch to"
        )
    if model.simplex:
        reduced = model.reduce_simplex()
        down = replace(bifurcation, x=bifurcation.x[:-1], state_names=reduced.state_names)
        return lift_to_simplex(
            switch_branch(reduced, down, p_range=p_range, params=params, ds=ds, ds_min=ds_min,
                          ds_max=ds_max, max_steps=max_steps, tol=tol, max_iter=max_iter,
                          bounds={k: v for k, v in dict(bounds or {}).items()
                                  if k != model.state_names[-1]},
                          detect=detect, compiled=compiled),
            model,
        )
    merged = {**bifurcation.params, **dict(params or {})}
    merged[bifurcation.param] = bifurcation.p
    cm, base, k, values, p_lo, p_hi = setup_system(model, bifurcation.param, merged, p_range)
    check_steps(ds, ds_min, ds_max, tol)
    lo, hi = state_box(model, bounds)
    opts = ContinuationOptions(float(ds), float(ds_min), float(ds_max), int(max_steps), float(tol),
                    int(max_iter), p_lo, p_hi, lo, hi, detect)
    if compiled is not None and not isinstance(compiled, bool):
        raise ModelError(f"`compiled` must be True, False or None, got {compiled!r:.60}")
    kernel = None if compiled is False else continuation_kernel(model, build=bool(compiled))
    return _switch_at(ArclengthSystem(cm, base, k), bifurcation, opts, values, kernel)
