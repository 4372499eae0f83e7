"""Continuation with compiled steps: the walk of :mod:`.walk` with its plain steps in numba code.

:func:`compiled_walk` is :func:`.walk.walk` with one change: before each step, the model's
compiled kernel (:mod:`.kernels`) takes as many steps as it can that need nothing but the
predictor, the corrector, the step guards, the step-size rule and the test functions, and
stops before the first step that needs more (a sign change of a test function, a dip for the
pair probe, the end of the range or of the state box, a closed loop, a step size below
``ds_min``, an exactly singular matrix). That step is taken by :func:`.walk.walk` itself (the
kernel is its :class:`.walk.PlainSteps`), so bifurcations are detected, located and classified
by the same Python code as before, to the same accuracy.

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

from collections.abc import Mapping

import numpy as np

from .arclength import ArclengthSystem, ContinuationOptions
from .branch import Branch
from .compile import FloatArray
from .kernels import BUDGET_SPENT, BUFFER_FULL, ContinuationKernel
from .monitors import MONITORS, Monitor
from .walk import Walk, follow, walk

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
    ) -> tuple[FloatArray, FloatArray, float, float, list[float], History, int, int, str]:
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
        then = "again" if code == BUFFER_FULL else "spent" if code == BUDGET_SPENT else "step"
        if not acc:
            return z, t, ds1, s, values, hist, int(used), 0, then
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
            then,
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
    return walk(sys, z_start, t_start, opts, tests, _Runner(kernel, sys, opts, z_start, t_start))


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
    kinds = tuple(cls.kind for cls in MONITORS if cls.applies(model.time, sys.n))
    if kinds != kernel.kinds:
        raise AssertionError("kernel test functions differ from monitors.MONITORS")  # a bug
    return follow(
        sys, start, t0, opts, direction, values, lambda z, t: _Runner(kernel, sys, opts, z, t)
    )
