"""Compiled continuation kernels: a model's branch equation as generated scalar code, compiled by numba.

For one model, :func:`continuation_kernel` writes a Python module of scalar code (the branch
equation ``F(x, p)``, ``F = f`` for flows and ``f - x`` for maps, and its derivative
``[D_x F | D_p F]``, both from the sympy expressions with common subexpressions shared), appends
the step kernels of this module (Keller's predictor-corrector, the tangent, the test functions
and the step control of :mod:`.walk`), and compiles it with ``numba.njit(cache=True)``. The
module is written to a cache folder named by a fingerprint of its source, so a later process
loads the machine code numba cached there instead of compiling again (numba caches only
functions defined in a file, never source built in memory):

* folder: ``$INCENTIVE_GEOMETRY_CACHE`` if set, else ``$XDG_CACHE_HOME/incentive-geometry/kernels``
  (``~/.cache/...``); when it cannot be written, a temporary folder (compiled once per process);
* fingerprint: SHA-256 of the generated source (equations, kernel code) and numba's version.

numba is the optional extra ``fast``. Without it, or with the environment variable
``INCENTIVE_GEOMETRY_NO_NUMBA=1``, :func:`continuation_kernel` returns None and continuation
runs the pure-NumPy walk of :mod:`.walk`; the same happens for a model whose expressions have no
scalar code numba compiles (a function sympy cannot print, a compile error).

The kernel :func:`run_steps` takes a run of steps exactly as :func:`.walk.walk` does (same
predictor, corrector, acceptance guards, step-size rule and test functions) and returns to
Python before any step that needs more than that: a sign change of a test function at an
accepted or a rejected point, a dip that the pair probe examines, the end of ``p_range``, the
state box, a closed loop, a step size below ``ds_min``, an exactly singular corrector matrix,
or non-finite values. Python then takes that one step by the code of the NumPy walk (which
locates the bifurcation), and hands back to the kernel.

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0})
>>> print(branch_source(m).split("def branch_F")[1].split("def ")[0].strip())
(x, p, out):
    s0 = x[0]
    q0 = p[0]
    out[0] = q0 + s0**2
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import sympy
from sympy.printing.pycode import pycode

from incentive_geometry.model import Model

from .compile import FloatArray

__all__ = [
    "COMPILE_ENV",
    "NO_NUMBA_ENV",
    "ContinuationKernel",
    "branch_source",
    "cached_on_disk",
    "continuation_kernel",
    "kernel_cache_dir",
    "lazy_kernel",
    "load_generated",
    "numba_enabled",
    "scalar_function",
]

#: Set to ``1`` to use the NumPy walk even when numba is installed.
NO_NUMBA_ENV = "INCENTIVE_GEOMETRY_NO_NUMBA"
#: Set to ``1`` to compile kernels wherever ``continuation(..., compiled=None)`` would only use
#: ready ones (to run a test suite on the compiled path).
COMPILE_ENV = "INCENTIVE_GEOMETRY_COMPILE"
#: Folder of the generated kernel modules and numba's cache (overrides the user cache).
CACHE_ENV = "INCENTIVE_GEOMETRY_CACHE"
# Bumped whenever the kernels change in a way the source fingerprint would not show.
_KERNEL_VERSION = "1"

# Return codes of run_steps.
BUDGET_SPENT = 0  # every iteration of the budget was taken
EVENT = 1  # the next iteration needs Python (the state is the one before it)
BUFFER_FULL = 2  # the output arrays are full; call again


def numba_enabled() -> bool:
    """Whether compiled kernels are used: numba imports and ``INCENTIVE_GEOMETRY_NO_NUMBA`` is unset.

    Returns
    -------
    bool

    Examples
    --------
    >>> import os
    >>> os.environ["INCENTIVE_GEOMETRY_NO_NUMBA"] = "1"
    >>> numba_enabled()
    False
    >>> del os.environ["INCENTIVE_GEOMETRY_NO_NUMBA"]
    """
    if os.environ.get(NO_NUMBA_ENV, "").strip() not in ("", "0"):
        return False
    return importlib.util.find_spec("numba") is not None


def lazy_kernel(build: Callable[[ModuleType], Any]) -> Callable[[], Any]:
    """A hand-written numba kernel, built on first use: ``build(numba)`` returns it.

    The returned function gives the kernel, or None when :func:`numba_enabled` is False (numba
    missing, or ``INCENTIVE_GEOMETRY_NO_NUMBA=1``), so every caller keeps its NumPy route. The
    kernel is built once per process (its ``cache=True`` compilation is numba's own).

    Parameters
    ----------
    build : callable
        Takes the numba module, returns the compiled function.

    Returns
    -------
    callable
        No arguments; the kernel or None.

    Examples
    --------
    >>> from incentive_geometry.solvers.numeric.kernels import lazy_kernel
    >>> @lazy_kernel
    ... def double(numba):
    ...     return numba.njit(lambda x: 2 * x)
    >>> kernel = double()
    >>> kernel is None or kernel(21) == 42
    True
    """
    built: list[Any] = []

    @functools.wraps(build)
    def get() -> Any:
        if not numba_enabled():
            return None
        if not built:
            import numba

            built.append(build(numba))
        return built[0]

    return get


def kernel_cache_dir() -> Path:
    """The folder of generated kernel modules: ``$INCENTIVE_GEOMETRY_CACHE``, else the user cache.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> kernel_cache_dir().name
    'kernels'
    """
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given) / "kernels"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "incentive-geometry" / "kernels"


# --------------------------------------------------------------------------------------------
# Code generation: sympy expressions -> scalar Python source


def scalar_function(
    name: str,
    args: str,
    head: Sequence[str],
    targets: Sequence[str],
    exprs: Sequence[Any],
    print_: Callable[[Any], str] | None = None,
) -> str:
    """Source of a scalar function that writes `exprs` to `targets`, common subexpressions
    shared (sympy's ``cse``, named ``c0, c1, ...``), for numba to compile.

    Parameters
    ----------
    name, args : str
        The function's name and argument list.
    head : sequence of str
        Its first lines (indented), e.g. unpacking the arguments into the expressions' symbols.
    targets : sequence of str
        Where each expression goes (``"out[0]"``).
    exprs : sequence of sympy expressions
    print_ : callable, optional
        The printer (default: sympy's ``pycode`` with the ``math`` module).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For an expression that has no scalar code.

    Examples
    --------
    >>> import sympy
    >>> a, b = sympy.symbols("a b")
    >>> print(scalar_function("f", "p, out", ["    a = p[0]", "    b = p[1]"],
    ...                       ["out[0]", "out[1]"], [(a + b)**2, (a + b)**3]).strip())
    def f(p, out):
        a = p[0]
        b = p[1]
        c0 = a + b
        out[0] = c0**2
        out[1] = c0**3
    """
    if print_ is None:
        print_ = lambda e: pycode(e, fully_qualified_modules=True)  # noqa: E731
    reps, reduced = sympy.cse(list(exprs), symbols=sympy.numbered_symbols("c"), optimizations=None)
    body = list(head)
    for target, expr in [*((str(sym), e) for sym, e in reps), *zip(targets, reduced, strict=True)]:
        text = str(print_(expr))
        if "Not supported" in text or "# " in text:
            raise ValueError(f"no scalar code for {expr}")
        body.append(f"    {target} = {text}")
    return "\n".join([f"def {name}({args}):", *body]) + "\n"


def branch_source(model: Model) -> str:
    """The generated scalar source of a model's branch equation and its derivative.

    ``branch_F(x, p, out)`` writes ``F(x, p)`` (``f`` for a flow, ``f - x`` for a map) into
    ``out`` of shape (n,); ``branch_J(x, p, out)`` writes ``[D_x F | D_p F]`` into ``out`` of
    shape (n, n + m). Common subexpressions are shared (sympy's ``cse``).

    Parameters
    ----------
    model : Model

    Returns
    -------
    str
        Python source (``import math`` and the two functions), or ``""`` when an expression
        has no scalar code.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3}, time="discrete")
    >>> print(branch_source(m).split("def branch_J")[1].strip())
    (x, p, out):
        s0 = x[0]
        q0 = p[0]
        c0 = 1 - s0
        out[0, 0] = c0*q0 - q0*s0 - 1
        out[0, 1] = c0*s0
    """
    states = list(model.states)
    params = list(model.parameter_symbols)
    n = len(states)
    sx = [sympy.Symbol(f"s{i}") for i in range(n)]
    sq = [sympy.Symbol(f"q{j}") for j in range(len(params))]
    sub = dict(zip([*states, *params], [*sx, *sq], strict=True))
    F = sympy.Matrix([sympy.sympify(e, strict=True).xreplace(sub) for e in model.rhs])
    if model.time == "discrete":
        F = F - sympy.Matrix(sx)
    DF = F.jacobian([*sx, *sq])
    head = [
        *(f"    s{i} = x[{i}]" for i in range(n)),
        *(f"    q{j} = p[{j}]" for j in range(len(sq))),
    ]
    lines = ["import math", ""]
    for name, entries, targets in (
        ("branch_F", list(F), [f"out[{i}]" for i in range(n)]),
        ("branch_J", list(DF), [f"out[{i}, {j}]" for i in range(n) for j in range(DF.shape[1])]),
    ):
        try:
            source = scalar_function(name, "x, p, out", head, targets, entries)
        except ValueError:  # an expression with no scalar code: the NumPy walk
            return ""
        lines += ["", source.rstrip("\n"), ""]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Kernel templates. Their source is copied into each generated module, after the model's
# `branch_F` and `branch_J` and the constants `N` (states), `M` (parameters), `DISCRETE` and
# `NTESTS`; these stand-ins only let the templates be read (and linted) here.

N = 1
M = 1
NTESTS = 2
DISCRETE = False


def branch_F(x: FloatArray, p: FloatArray, out: FloatArray) -> None:
    raise NotImplementedError("generated per model")


def branch_J(x: FloatArray, p: FloatArray, out: FloatArray) -> None:
    raise NotImplementedError("generated per model")


def k_eval(
    z: FloatArray, base: FloatArray, k: int, F: FloatArray, J: FloatArray, jac: bool
) -> tuple[bool, bool]:
    # F(z) (and [D_x F | D_p F] when `jac`) at z = (x, p); whether each is finite.
    q = base.copy()
    q[k] = z[N]
    branch_F(z[:N], q, F)
    f_ok = True
    for i in range(N):
        if not math.isfinite(F[i]):
            f_ok = False
    j_ok = True
    if jac:
        branch_J(z[:N], q, J)
        for i in range(N):
            for j in range(N + M):
                if not math.isfinite(J[i, j]):
                    j_ok = False
    return f_ok, j_ok


def k_bordered(J: FloatArray, k: int, t: FloatArray, A: FloatArray) -> None:
    # The bordered matrix [[F_z], [t^T]], F_z = [D_x F | dF/dp_k].
    for i in range(N):
        for j in range(N):
            A[i, j] = J[i, j]
        A[i, N] = J[i, N + k]
    for j in range(N + 1):
        A[N, j] = t[j]


def k_solve(A: FloatArray, b: FloatArray, x: FloatArray) -> bool:
    # Gaussian elimination with partial pivoting (LAPACK's dgesv does the same); False on an
    # exactly zero pivot, where numpy.linalg.solve raises LinAlgError.
    n = A.shape[0]
    LU = A.copy()
    for i in range(n):
        x[i] = b[i]
    for c in range(n):
        piv = c
        big = abs(LU[c, c])
        for r in range(c + 1, n):
            if abs(LU[r, c]) > big:
                big = abs(LU[r, c])
                piv = r
        if not big > 0.0:
            return False
        if piv != c:
            for cc in range(n):
                LU[c, cc], LU[piv, cc] = LU[piv, cc], LU[c, cc]
            x[c], x[piv] = x[piv], x[c]
        for r in range(c + 1, n):
            f = LU[r, c] / LU[c, c]
            if f != 0.0:
                for cc in range(c + 1, n):
                    LU[r, cc] -= f * LU[c, cc]
                x[r] -= f * x[c]
    for c in range(n - 1, -1, -1):
        acc = x[c]
        for cc in range(c + 1, n):
            acc -= LU[c, cc] * x[cc]
        x[c] = acc / LU[c, c]
    return True


def k_logdet(A: FloatArray) -> tuple[float, float]:
    # (sign, log |det A|) by elimination with partial pivoting, as numpy.linalg.slogdet.
    n = A.shape[0]
    LU = A.copy()
    sign = 1.0
    logdet = 0.0
    for c in range(n):
        piv = c
        big = abs(LU[c, c])
        for r in range(c + 1, n):
            if abs(LU[r, c]) > big:
                big = abs(LU[r, c])
                piv = r
        if not big > 0.0:
            return 0.0, -math.inf
        if piv != c:
            sign = -sign
            for cc in range(n):
                LU[c, cc], LU[piv, cc] = LU[piv, cc], LU[c, cc]
        if LU[c, c] < 0.0:
            sign = -sign
        logdet += math.log(abs(LU[c, c]))
        for r in range(c + 1, n):
            f = LU[r, c] / LU[c, c]
            if f != 0.0:
                for cc in range(c + 1, n):
                    LU[r, cc] -= f * LU[c, cc]
    return sign, logdet


def k_maxabs(v: FloatArray) -> float:
    out = 0.0
    for i in range(v.shape[0]):
        a = abs(v[i])
        if a > out or a != a:
            out = a
    return out


def k_correct(
    z_pred: FloatArray, t: FloatArray, base: FloatArray, k: int, tol: float, max_iter: int
) -> tuple[FloatArray, bool, int, bool]:
    # Keller's corrector, as arclength.correct: Newton on F(z) = 0, t . (z - z_pred) = 0.
    # Returns (z, converged, iterations, needs_python); the last is True where NumPy would take
    # the least-squares step (an exactly singular bordered matrix).
    F = np.empty(N)
    J = np.empty((N, N + M))
    A = np.empty((N + 1, N + 1))
    rhs = np.empty(N + 1)
    dz = np.empty(N + 1)
    z = z_pred.copy()
    for it in range(1, max_iter + 1):
        f_ok, j_ok = k_eval(z, base, k, F, J, True)
        gap = 0.0
        for j in range(N + 1):
            gap += t[j] * (z[j] - z_pred[j])
        if not f_ok or not math.isfinite(gap):
            return z, False, it, False
        if not j_ok:
            return z, False, it, False  # NumPy's solve gives a non-finite step
        for i in range(N):
            rhs[i] = -F[i]
        rhs[N] = -gap
        k_bordered(J, k, t, A)
        if not k_solve(A, rhs, dz):
            return z, False, it, True
        for j in range(N + 1):
            if not math.isfinite(dz[j]):
                return z, False, it, False
        z = z + dz
        if k_maxabs(dz) <= tol * (1.0 + k_maxabs(z)):
            k_eval(z, base, k, F, J, False)
            if k_maxabs(F) <= max(1e3 * tol, 1e-10):
                return z, True, it, False
    # Near a singular point round-off can keep the step above `tol`; accept a point whose
    # residual is at round-off level.
    k_eval(z, base, k, F, J, False)
    gap = 0.0
    for j in range(N + 1):
        gap += t[j] * (z[j] - z_pred[j])
    resid = max(k_maxabs(F), abs(gap))
    if resid <= 1e-13 * (1.0 + k_maxabs(z)):
        return z, True, max_iter, False
    return z, False, max_iter, False


def k_tangent(z: FloatArray, t_prev: FloatArray, base: FloatArray, k: int) -> FloatArray:
    # Unit tangent at z oriented along t_prev: [[F_z], [t_prev^T]] t = e_{n+1} (arclength.tangent).
    F = np.empty(N)
    J = np.empty((N, N + M))
    A = np.empty((N + 1, N + 1))
    e = np.zeros(N + 1)
    e[N] = 1.0
    t = np.empty(N + 1)
    k_eval(z, base, k, F, J, True)
    k_bordered(J, k, t_prev, A)
    if not k_solve(A, e, t):
        t = t_prev.copy()
    finite = True
    nonzero = False
    for j in range(N + 1):
        if not math.isfinite(t[j]):
            finite = False
        if t[j] != 0.0:
            nonzero = True
    if not finite or not nonzero:
        t = t_prev.copy()
    norm = 0.0
    for j in range(N + 1):
        norm += t[j] * t[j]
    return t / math.sqrt(norm)


def k_bialternate(A: FloatArray, square: bool) -> FloatArray:
    # 2 A (.) I (eigenvalues l_i + l_j), or A (.) A - I (eigenvalues mu_i mu_j - 1) when
    # `square`, on the pairs (p, q), p > q: (A (.) B)_{(p,q),(r,s)} = 1/2 (|a_pr a_ps; b_qr b_qs|
    # + |b_pr b_ps; a_qr a_qs|) (Govaerts 2000, sec. 4.4.4; Kuznetsov 2004, sec. 10.2.2).
    size = N * (N - 1) // 2
    out = np.empty((size, size))
    row = 0
    for p in range(1, N):
        for q in range(p):
            col = 0
            for r in range(1, N):
                for s in range(r):
                    if square:
                        v = A[p, r] * A[q, s] - A[p, s] * A[q, r]
                        if row == col:
                            v -= 1.0
                    else:
                        # 2 A (.) I: |a_pr a_ps; d_qr d_qs| + |d_pr d_ps; a_qr a_qs|
                        dqr = 1.0 if q == r else 0.0
                        dqs = 1.0 if q == s else 0.0
                        dpr = 1.0 if p == r else 0.0
                        dps = 1.0 if p == s else 0.0
                        v = A[p, r] * dqs - A[p, s] * dqr + dpr * A[q, s] - dps * A[q, r]
                    out[row, col] = v
                    col += 1
            row += 1
    return out


def k_tests(z: FloatArray, t: FloatArray, base: FloatArray, k: int, out: FloatArray) -> bool:
    # The test functions of monitors.MONITORS that apply, in their order: branch point
    # (det [[F_z], [t^T]], from its logarithm capped at 700), fold (t_p), then for flows Hopf
    # (bialternate product prod_{i<j} (l_i + l_j)), for maps flip (prod (1 + mu_i)) and
    # Neimark-Sacker (prod_{i<j} (mu_i mu_j - 1)). False when the Jacobian is not finite.
    J = np.empty((N, N + M))
    A = np.empty((N + 1, N + 1))
    q = base.copy()
    q[k] = z[N]
    branch_J(z[:N], q, J)
    for i in range(N):
        for j in range(N + M):
            if not math.isfinite(J[i, j]):
                return False
    k_bordered(J, k, t, A)
    sign, logdet = k_logdet(A)
    out[0] = sign * math.exp(min(logdet, 700.0))
    out[1] = t[N]
    if NTESTS > 2:
        # Products over eigenvalues as determinants (no eigenvalue solver): the eigenvalues
        # of 2 A (.) I are l_i + l_j and those of A (.) A are mu_i mu_j (i < j), the bialternate
        # products of Kuznetsov (2004), sec. 10.2.2; A is D_x f (D_x F + I for a map).
        Ax = np.empty((N, N))
        for i in range(N):
            for j in range(N):
                Ax[i, j] = J[i, j] + (1.0 if DISCRETE and i == j else 0.0)
        if DISCRETE:
            B = Ax.copy()
            for i in range(N):
                B[i, i] += 1.0
            sign, logdet = k_logdet(B)
            out[2] = sign * math.exp(logdet)
        if N >= 2:
            sign, logdet = k_logdet(k_bialternate(Ax, DISCRETE))
            out[NTESTS - 1] = sign * math.exp(logdet)
    return True


def k_dip(hist_s: FloatArray, hist_g: FloatArray, j: int, probed: FloatArray, nprobed: int) -> bool:
    # Whether walk's pair probe would examine test j at the last three points: one sign at all
    # three, a parabola whose vertex lies between the outer points below a tenth of the least
    # value, in no interval probed before.
    sign = 1.0 if hist_g[1, j] > 0 else -1.0
    g0, g1, g2 = sign * hist_g[0, j], sign * hist_g[1, j], sign * hist_g[2, j]
    if not (g0 > 0 and g1 > 0 and g2 > 0):
        return False
    s0, s1, s2 = hist_s[0], hist_s[1], hist_s[2]
    if not s0 < s1 < s2:
        return False
    d01 = (g1 - g0) / (s1 - s0)
    d12 = (g2 - g1) / (s2 - s1)
    d2 = (d12 - d01) / (s2 - s0)
    if not d2 > 0:
        return False
    sv = 0.5 * (s0 + s1) - d01 / (2 * d2)
    gv = g0 + d01 * (sv - s0) + d2 * (sv - s0) * (sv - s1)
    if not s0 < sv < s2 or gv >= 0.1 * min(g0, g1, g2):
        return False
    for r in range(nprobed):
        if int(probed[r, 0]) == j and probed[r, 1] < sv < probed[r, 2]:
            return False
    return True


def run_steps(
    z: FloatArray,
    t: FloatArray,
    ds: float,
    s: float,
    values: FloatArray,
    hist_s: FloatArray,
    hist_z: FloatArray,
    hist_t: FloatArray,
    hist_g: FloatArray,
    nh: int,
    probed: FloatArray,
    nprobed: int,
    z_start: FloatArray,
    t_start: FloatArray,
    npts: int,
    budget: int,
    base: FloatArray,
    k: int,
    opts: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    detect: bool,
    out_z: FloatArray,
    out_t: FloatArray,
    out_s: FloatArray,
) -> tuple[int, int, int, FloatArray, FloatArray, float, float, int]:
    # Steps of walk.walk while each is plain (see the module docstring). `opts` holds
    # (ds_min, ds_max, tol, max_iter, p_lo, p_hi, max_angle). The last three accepted points
    # are kept in hist_* (nh of them), `values` holds the test values at z; both are updated
    # in place. Returns (code, iterations taken, points accepted, z, t, ds, s, nh).
    ds_min, ds_max, tol = opts[0], opts[1], opts[2]
    max_iter = int(opts[3])
    p_lo, p_hi, max_angle = opts[4], opts[5], opts[6]
    new_values = np.empty(NTESTS)
    seen = np.empty(NTESTS)
    used = 0
    acc = 0
    while used < budget:
        if acc == out_z.shape[0]:
            return BUFFER_FULL, used, acc, z, t, ds, s, nh
        z_pred = z + ds * t
        z_new, ok, its, python = k_correct(z_pred, t, base, k, tol, max_iter)
        if python:
            return EVENT, used, acc, z, t, ds, s, nh
        t_new = k_tangent(z_new, t, base, k) if ok else t
        dot = 0.0
        for j in range(N + 1):
            dot += t_new[j] * t[j]
        turn = math.acos(min(1.0, max(-1.0, dot)))
        if ok:
            dist = 0.0
            for j in range(N + 1):
                dist += (z_new[j] - z_pred[j]) ** 2
            if math.sqrt(dist) > max_angle * ds or turn > max_angle:
                ok = False
                if detect:
                    # A sign change seen at a rejected point is noted by Python.
                    if not k_tests(z_new, t_new, base, k, seen):
                        return EVENT, used, acc, z, t, ds, s, nh
                    for j in range(NTESTS):
                        if values[j] * seen[j] < 0:
                            return EVENT, used, acc, z, t, ds, s, nh
        if ok and (z_new[N] < p_lo or z_new[N] > p_hi):
            return EVENT, used, acc, z, t, ds, s, nh  # leaving p_range
        if not ok:
            if ds / 2 < ds_min:
                return EVENT, used, acc, z, t, ds, s, nh  # the walk stops here
            ds /= 2
            used += 1
            continue
        if not k_tests(z_new, t_new, base, k, new_values):
            return EVENT, used, acc, z, t, ds, s, nh
        if detect:
            for j in range(NTESTS):
                if values[j] * new_values[j] < 0:
                    return EVENT, used, acc, z, t, ds, s, nh
        h1 = 0.0
        for j in range(N + 1):
            h1 += t[j] * (z_new[j] - z[j])
        s_new = s + h1
        # The history as it would be after this step, for the pair check.
        ks_s = np.empty(3)
        ks_g = np.empty((3, NTESTS))
        m = min(nh, 2)
        for r in range(m):
            ks_s[r] = hist_s[nh - m + r]
            ks_g[r] = hist_g[nh - m + r]
        ks_s[m] = s_new
        ks_g[m] = new_values
        if detect and m == 2:
            for j in range(NTESTS):
                if k_dip(ks_s, ks_g, j, probed, nprobed):
                    return EVENT, used, acc, z, t, ds, s, nh
        inside = True
        for i in range(N):
            if z_new[i] < lo[i] or z_new[i] > hi[i]:
                inside = False
        if not inside:
            return EVENT, used, acc, z, t, ds, s, nh
        gap = 0.0
        dot = 0.0
        for j in range(N + 1):
            gap += (z_new[j] - z_start[j]) ** 2
            dot += t_new[j] * t_start[j]
        if npts + acc + 1 > 10 and math.sqrt(gap) < ds and dot > 0.9:
            return EVENT, used, acc, z, t, ds, s, nh  # closed loop
        # Accept the step.
        used += 1
        out_z[acc] = z_new
        out_t[acc] = t_new
        out_s[acc] = s_new
        acc += 1
        if nh == 3:
            for r in range(2):
                hist_s[r] = hist_s[r + 1]
                hist_z[r] = hist_z[r + 1]
                hist_t[r] = hist_t[r + 1]
                hist_g[r] = hist_g[r + 1]
            nh = 2
        hist_s[nh] = s_new
        hist_z[nh] = z_new
        hist_t[nh] = t_new
        hist_g[nh] = new_values
        nh += 1
        for j in range(NTESTS):
            values[j] = new_values[j]
        z, t, s = z_new, t_new, s_new
        # Grow the step where the corrector is fast and the branch straight, shrink it where
        # Newton works hard or the tangent turns by more than half the allowed angle.
        if its <= 3 and turn < 0.25 * max_angle:
            ds = min(ds * 1.5, ds_max)
        elif its >= 6 or turn > 0.5 * max_angle:
            ds = max(ds / 1.5, ds_min)
    return BUDGET_SPENT, used, acc, z, t, ds, s, nh


_TEMPLATES = (
    k_eval,
    k_bordered,
    k_solve,
    k_logdet,
    k_maxabs,
    k_correct,
    k_tangent,
    k_bialternate,
    k_tests,
    k_dip,
    run_steps,
)


# --------------------------------------------------------------------------------------------
# Building and loading a model's kernel


@dataclass(frozen=True)
class ContinuationKernel:
    """A model's compiled continuation kernel (from :func:`continuation_kernel`).

    Attributes
    ----------
    run_steps : callable
        The compiled :func:`run_steps`.
    correct, tangent, tests : callable
        The compiled corrector, tangent and test functions (``k_correct``, ``k_tangent``,
        ``k_tests``), for checks against the NumPy path.
    kinds : tuple of str
        The test functions' kinds in the order of the kernel's values.
    path : pathlib.Path
        The generated module.
    compile_seconds : float
        Time this process spent loading or compiling it (a cached load is much shorter).

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0})
    >>> kern = continuation_kernel(m)
    >>> # Keller's corrector on the hyperplane p = -1 from x = 1.1: the equilibrium x = 1
    >>> z, ok, its, _ = kern.correct(np.array([1.1, -1.0]), np.array([0.0, 1.0]), np.array([-1.0]),
    ...                              0, 1e-12, 20) if kern else (np.array([1.0, -1.0]), True, 4, 0)
    >>> bool(ok), z.round(12).tolist()
    (True, [1.0, -1.0])
    """

    run_steps: Any
    correct: Any
    tangent: Any
    tests: Any
    kinds: tuple[str, ...]
    path: Path
    compile_seconds: float


def _kinds(time_kind: str, n: int) -> tuple[str, ...]:
    if time_kind == "discrete":
        return (
            ("branch", "fold", "flip", "neimark_sacker") if n >= 2 else ("branch", "fold", "flip")
        )
    return ("branch", "fold", "hopf") if n >= 2 else ("branch", "fold")


def _module_source(model: Model) -> str:
    import inspect

    body = branch_source(model)
    if not body:
        return ""
    kinds = _kinds(model.time, len(model.states))
    consts = (
        f"N = {len(model.states)}\nM = {len(model.parameters)}\nNTESTS = {len(kinds)}\n"
        f"DISCRETE = {model.time == 'discrete'}\nBUDGET_SPENT = {BUDGET_SPENT}\nEVENT = {EVENT}\n"
        f"BUFFER_FULL = {BUFFER_FULL}\n"
    )
    parts = [
        f"# Generated by incentive_geometry.solvers.numeric.kernels (kernel version "
        f"{_KERNEL_VERSION}, numba {importlib.metadata.version('numba')}) for model {model.name!r}.",
        "from __future__ import annotations\n\nimport numba\nimport numpy as np",
        body,
        consts,
    ]
    jit = "numba.njit(cache=True, nogil=True)"
    for name in ("branch_F", "branch_J"):
        parts.append(f"{name} = {jit}({name})")
    for fn in _TEMPLATES:
        parts.append(inspect.getsource(fn))
        parts.append(f"{fn.__name__} = {jit}({fn.__name__})")
    return "\n\n".join(parts) + "\n"


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError:
        return False
    return True


def _warm_up(mod: ModuleType, n: int, m: int) -> None:
    # One call of every entry point with the argument types continuation passes, so that
    # compilation (or the cached load) happens here, once, and is timed.
    nt = int(mod.NTESTS)
    z = np.zeros(n + 1)
    t = np.zeros(n + 1)
    t[-1] = 1.0
    base = np.zeros(m)
    opts = np.array([1e-8, 0.1, 1e-10, 10.0, -1.0, 1.0, 0.2])
    mod.run_steps(
        z,
        t,
        0.01,
        0.0,
        np.zeros(nt),
        np.zeros(3),
        np.zeros((3, n + 1)),
        np.zeros((3, n + 1)),
        np.zeros((3, nt)),
        1,
        np.zeros((1, 3)),
        0,
        z,
        t,
        1,
        0,
        base,
        0,
        opts,
        np.full(n, -np.inf),
        np.full(n, np.inf),
        True,
        np.zeros((1, n + 1)),
        np.zeros((1, n + 1)),
        np.zeros(1),
    )
    mod.k_correct(z, t, base, 0, 1e-10, 1)
    mod.k_tangent(z, t, base, 0)
    mod.k_tests(z, t, base, 0, np.zeros(nt))


@functools.lru_cache(maxsize=128)
def _source(model: Model) -> tuple[str, str]:
    """The generated module and its fingerprint; ``("", "")`` when the model has no scalar code."""
    try:
        source = _module_source(model)
    except Exception:  # sympy could not print an expression: the NumPy path is used
        return "", ""
    return source, (hashlib.sha256(source.encode()).hexdigest()[:24] if source else "")


def load_generated(
    source: str, digest: str, warm_up: Callable[[ModuleType], None]
) -> ModuleType | None:
    """Import a generated kernel module from the kernel cache folder, compiled by numba.

    The module is written to :func:`kernel_cache_dir` as ``ig_kernel_<digest>.py`` (a temporary
    folder when that one cannot be written), so that numba's ``cache=True`` keeps its machine
    code beside it and a later process loads that instead of compiling; ``warm_up(module)``
    then calls every entry point once (compiling, or loading the cache, here).

    Parameters
    ----------
    source : str
        The module's Python source.
    digest : str
        Its fingerprint (names the file).
    warm_up : callable
        Called with the imported module.

    Returns
    -------
    module or None
        None when the module does not import or numba cannot compile it (the caller keeps its
        NumPy route).

    Examples
    --------
    >>> import hashlib
    >>> src = "import numba\\n\\n@numba.njit(cache=True)\\ndef twice(x):\\n    return 2 * x\\n"
    >>> digest = hashlib.sha256(src.encode()).hexdigest()[:24]
    >>> mod = load_generated(src, digest, lambda m: m.twice(1.0))
    >>> mod is None or mod.twice(21.0) == 42.0
    True
    """
    folder = kernel_cache_dir()
    if not _writable(folder):
        folder = Path(tempfile.mkdtemp(prefix="incentive-geometry-kernels-"))
    path = folder / f"ig_kernel_{digest}.py"
    name = f"_ig_kernel_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
        warm_up(mod)
    except Exception:  # numba could not compile the generated code: the NumPy route is used
        sys.modules.pop(name, None)
        return None
    return mod


def cached_on_disk(digest: str, entry: str) -> bool:
    """Whether numba's cache holds the machine code of the function `entry` of the generated
    module `digest` (so that loading it costs no compilation).

    Examples
    --------
    >>> cached_on_disk("0" * 24, "run_steps")
    False
    """
    folder = kernel_cache_dir()
    if not (folder / f"ig_kernel_{digest}.py").exists():
        return False
    pattern = f"ig_kernel_{digest}.{entry}-*.nbi"
    elsewhere = os.environ.get("NUMBA_CACHE_DIR")
    if elsewhere:
        # numba then keeps its cache under that folder, in a tree named after the source's
        # folder, not in __pycache__ beside the source.
        return any(Path(elsewhere).rglob(pattern))
    return any((folder / "__pycache__").glob(pattern))


_LOADED: dict[Model, ContinuationKernel | None] = {}


def _load(model: Model) -> ContinuationKernel | None:
    if model in _LOADED:
        return _LOADED[model]
    start = time.perf_counter()
    source, digest = _source(model)
    if not source:
        _LOADED[model] = None
        return None
    n, m = len(model.states), len(model.parameters)
    mod = load_generated(source, digest, lambda mod: _warm_up(mod, n, m))
    if mod is None:
        _LOADED[model] = None
        return None
    kernel = ContinuationKernel(
        mod.run_steps,
        mod.k_correct,
        mod.k_tangent,
        mod.k_tests,
        _kinds(model.time, len(model.states)),
        Path(mod.__file__ or ""),
        time.perf_counter() - start,
    )
    _LOADED[model] = kernel
    return kernel


def continuation_kernel(model: Model, *, build: bool = True) -> ContinuationKernel | None:
    """The compiled continuation kernel of a model, built once per model and cached on disk.

    Parameters
    ----------
    model : Model
    build : bool
        Compile the kernel when it is neither loaded in this process nor cached on disk
        (about 10 s); with False (unless ``INCENTIVE_GEOMETRY_COMPILE=1``) such a model gets
        None at once.

    Returns
    -------
    ContinuationKernel or None
        None when numba is not installed, when ``INCENTIVE_GEOMETRY_NO_NUMBA`` is set, when the
        model's expressions do not compile, or (``build=False``) when the kernel is not ready
        (continuation then runs the NumPy walk).

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0})
    >>> kern = continuation_kernel(m)
    >>> kern is None or kern.kinds == ("branch", "fold")
    True
    """
    if not numba_enabled():
        return None
    build = build or os.environ.get(COMPILE_ENV, "").strip() not in ("", "0")
    if not build and model not in _LOADED:
        _, digest = _source(model)
        if not digest or not cached_on_disk(digest, "run_steps"):
            return None
    return _load(model)
