"""Fused sweep kernels: a closed-form chunk in one compiled pass over its points.

For a closed-form sweep (:mod:`.sweep`) the NumPy route of :func:`~.sweep_chunk.evaluate_chunk`
makes some thirty passes over each chunk (the formulas, their checks, the domains, the
Jacobians, the spectra, the codes), each through memory. :func:`fused_kernel` writes one
module of scalar code per plan instead (the closed forms, the right-hand side, its term sizes
and its Jacobian, printed from the sympy expressions with common subexpressions shared, as
:mod:`.kernels` does for continuation), appends the point loop of this module, and compiles it
with numba; the module is cached on disk by a fingerprint of its source
(:func:`~.kernels.load_generated`), so a later process loads the machine code.

The kernel makes the same checks as the NumPy route, point by point, and **decides a point only
where every one of them is clear**; every other point is flagged and handed, alone, to the NumPy
route, which then decides it exactly as it would have. A check is clear when its quantity is at
least a factor of two from its threshold (:data:`CLEAR`); for the stability band and the domain
edges, when it is more than :data:`EDGE` (relative) from it: the two routes evaluate the same
formulas in the same order, but their elementary functions (``pow``, ``sqrt``) may round
differently in the last bit, and a decision that a last bit could change is not the kernel's to
make. Flagged are the points where a formula is not finite (the NumPy route repairs it by
Newton), its imaginary part or residual is near its tolerance or it is not a root, a state is
at a domain edge, two slots nearly coincide, a Jacobian is not finite, a 2x2 spectrum has a
near double root, a margin is near the neutral band, or a stable margin is close enough to 0
that the rounding of the root must be bounded (``UNCERTAIN_BAND``). So the map is the NumPy
route's: classes, existence and stability identical, equilibria and eigenvalues equal to a few
ulps (a checked formula is evaluated in real arithmetic where it stays real, where the NumPy route
uses complex arithmetic; ``tests/solvers/sweep/test_sweep_fused.py`` compares the two on every
point).

The kernel covers deterministic flows and maps with one or two states (spectra in closed form,
as `~.sweep_chunk.spectra`), and flows of three to eight states swept with
``eigenvalues=False``: there it runs Routh's table, written out for the model's n
(:func:`routh_source`), on the characteristic polynomial's coefficients, derived symbolically
(Berkowitz) and printed as scalar code, with the tests of :func:`~.hurwitz.hurwitz_codes` each
required to pass by CLEAR (a delicate point goes to the
NumPy route, which computes its eigenvalues). Models with constraints, and any model whose
expressions numba cannot compile (or whose coefficients exceed :data:`MAX_COEFF_OPS`), keep the
NumPy route; so does a chunk on which the compiled code fails at run time.

The existence conditions of the closed forms (for the notes) are evaluated in the loop too
(:func:`claim_source`; in NumPy when one has no scalar code).

A chunk of at least :data:`THREAD_MIN` points is split into blocks of rows, handed in turn to
one Python thread per core, the calling thread among them. The kernel releases the GIL; numba's
own ``parallel=True`` was not used, because its OpenMP layer aborts a process pool's ``fork``.
Each point depends only on its own row, so the map does not depend on the number of threads.

When it is used (`sweep`'s ``compiled``): ``True`` builds the kernel (about 1-3 s the first time
on a machine, then loaded from the cache); ``None`` (the default) uses it when it is ready
(built in this process or cached on disk) or when the sweep has at least
:data:`BUILD_POINTS` points (where compiling pays for itself); ``False`` never. Chunks of fewer
than :data:`FUSED_MIN` points always take the NumPy route. Without numba, or with
``INCENTIVE_GEOMETRY_NO_NUMBA=1``, there is no kernel.

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
...                             parameters={"a": 1.0, "b": 1.5})
>>> print(slot_source(m, [m.parameter_symbols[0], m.parameter_symbols[1] / m.parameter_symbols[0]],
...                   0, complex_=False).strip())
def k_slot_0(q, z):
    q0 = q[0]
    q1 = q[1]
    z[0] = q0
    z[1] = q1/q0
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import math
import multiprocessing
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import pycode

from incentive_geometry.model import Model

from .hurwitz import HURWITZ_TOL
from .kernels import cached_on_disk, load_generated, numba_enabled, scalar_function
from .stability import STABILITY_TOL
from .sweep_plan import (
    COINCIDE_TOL,
    DOMAIN_TOL,
    IMAG_TOL,
    RESIDUAL_TOL,
    UNCERTAIN_BAND,
    SweepPlan,
    exact_by_construction,
    residual_terms,
)
from .sweep_plan import (
    DOUBLE_ROOT_TOL as DOUBLE_ROOT_TOL_,
)

__all__ = [
    "BUILD_POINTS",
    "CLEAR",
    "COMPILE_SECONDS",
    "EDGE",
    "FUSED_MIN",
    "PATTERN_SLOTS",
    "fused_kernel",
    "slot_source",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Chunks of fewer points take the NumPy route (they never pay a kernel call's setup).
FUSED_MIN = 50_000
#: The characteristic polynomial's coefficients are printed as scalar code only when their
#: expressions hold at most this many operations (else the plan keeps the NumPy route).
MAX_COEFF_OPS = 4000
#: Closed-form plans with at most this many slots get a per-point slot pattern
#: (`.sweep_chunk.slot_pattern`), and the sweep's classes from a table of all 4**E patterns.
PATTERN_SLOTS = 10
#: Chunks of at least this many points are split over threads (the kernel releases the GIL).
THREAD_MIN = 200_000
#: The fewest rows a thread takes at a time (a kernel call costs some 10 us to dispatch).
THREAD_BLOCK = 50_000
#: The longest a kernel's compilation is allowed to take (seen: 2-6 s, more under load). It
#: cannot be stopped, so a sweep whose `timeout` is shorter does not compile one.
COMPILE_SECONDS = 30.0
#: With ``compiled=None`` a sweep of at least this many points builds the kernel (2-6 s).
BUILD_POINTS = 20_000_000
#: A ratio test (imaginary part, residual, coincidence) is clear when its quantity is at most
#: 1/CLEAR or at least CLEAR times its threshold.
CLEAR = 2.0
#: A comparison with an edge (a domain bound, the neutral band) is clear when it is more than
#: EDGE (relative to the size of the compared quantities) away from the edge.
EDGE = 1e-9
# Bumped whenever the point loop changes in a way the source fingerprint would not show.
_VERSION = "2"

# The verdicts of `sweep_plan.closed_form_points` the kernel gives (the others are flagged).
_ACCEPTED, _COMPLEX, _POLE = 0, 2, 4
_DOMAIN_CODES = {"real": 0, "positive": 1, "nonnegative": 2, "interval": 3}


# --------------------------------------------------------------------------------------------
# Code generation


class _ComplexPrinter(NumPyPrinter):
    """NumPy function names (``numpy.sqrt``), which numba types for complex scalars as well."""


def _printer(complex_: bool) -> Any:
    if complex_:
        printer = _ComplexPrinter({"fully_qualified_modules": True})
        return printer.doprint
    return lambda e: pycode(e, fully_qualified_modules=True)


def _function(
    name: str,
    args: str,
    head: Sequence[str],
    targets: Sequence[str],
    exprs: Sequence[Any],
    complex_: bool,
) -> str:
    """`kernels.scalar_function` with the real (`math`) or complex (NumPy) printer."""
    return scalar_function(name, args, head, targets, exprs, _printer(complex_))


def _symbols(model: Model) -> tuple[dict[Any, Any], list[str], list[str]]:
    n, m = len(model.states), len(model.parameters)
    sub = {
        **{s: sympy.Symbol(f"s{i}") for i, s in enumerate(model.states)},
        **{p: sympy.Symbol(f"q{j}") for j, p in enumerate(model.parameter_symbols)},
    }
    return sub, [f"    s{i} = s[{i}]" for i in range(n)], [f"    q{j} = q[{j}]" for j in range(m)]


def slot_source(
    model: Model, point: Sequence[Any], e: int, *, complex_: bool, prefix: str = "k_slot_"
) -> str:
    """The scalar source of closed-form slot `e`: ``<prefix><e>(q, z)`` writes the point's
    coordinates at the parameters `q` into `z` (complex arithmetic with `complex_`).

    Parameters
    ----------
    model : Model
    point : sequence of sympy expressions
        The coordinates, in the parameters.
    e : int
        The slot's index (names the function).
    complex_ : bool
        Print NumPy functions (typed by numba for complex arguments) instead of `math`.
    prefix : str
        The function's name, before the slot's index.

    Returns
    -------
    str

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    >>> print(slot_source(m, [m.parameter_symbols[0] ** 2], 3, complex_=True).strip())
    def k_slot_3(q, z):
        q0 = q[0]
        z[0] = q0**2
    """
    sub, _, head = _symbols(model)
    exprs = [sympy.sympify(c, strict=True).xreplace(sub) for c in point]
    return _function(
        f"{prefix}{e}", "q, z", head, [f"z[{i}]" for i in range(len(exprs))], exprs, complex_
    )


def _model_source(model: Model) -> str:
    """``k_F(s, q, F)`` (F = f, or f - x for maps), ``k_T(s, q, T)`` (the size of F's terms,
    ``sum_k |t_ik|``, as `sweep_plan.term_sizes`) and ``k_J(s, q, J)`` (D_x f)."""
    sub, sx, sq = _symbols(model)
    n = len(model.states)
    f = [sympy.sympify(e, strict=True).xreplace(sub) for e in model.rhs]
    states = [sympy.Symbol(f"s{i}") for i in range(n)]
    F, T = ([e.xreplace(sub) for e in part] for part in residual_terms(model))
    J = sympy.Matrix(f).jacobian(states)
    head = [*sx, *sq]
    if n >= 3:
        # The characteristic polynomial det(l I - J) = l**n + a_1 l**(n-1) + ... + a_n of the
        # symbolic Jacobian (Berkowitz), its coefficients in the states and parameters.
        lam = sympy.Dummy("l")
        coeffs = J.charpoly(lam).all_coeffs()[1:]
        if sum(sympy.count_ops(c) for c in coeffs) > MAX_COEFF_OPS:
            raise ValueError("the characteristic polynomial is too large for scalar code")
        a_source = _function("k_A", "s, q, A", head, [f"A[{i}]" for i in range(n)], coeffs, False)
    else:
        a_source = "def k_A(s, q, A):\n    pass\n"
    return "\n\n".join(
        [
            a_source,
            _function("k_F", "s, q, F", head, [f"F[{i}]" for i in range(n)], F, False),
            _function("k_T", "s, q, T", head, [f"T[{i}]" for i in range(n)], T, False),
            _function(
                "k_J",
                "s, q, J",
                head,
                [f"J[{i}, {j}]" for i in range(n) for j in range(n)],
                list(J),
                False,
            ),
        ]
    )


def claim_source(model: Model, conditions: Sequence[Any]) -> str | None:
    """``k_claim(q, C)``: whether each closed form's existence condition holds at the
    parameters `q` (C[e], as `.sweep_plan.claimed_at`), or None when a condition is not a
    sympy boolean or has no scalar code (then the caller evaluates them in NumPy).

    Examples
    --------
    >>> import sympy
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    >>> r = m.parameter_symbols[0]
    >>> print(claim_source(m, [sympy.true, r >= 0]).strip())
    def k_claim(q, C):
        q0 = q[0]
        C[0] = True
        C[1] = (q0 >= 0)
    """
    if not all(isinstance(c, sympy.logic.boolalg.Boolean) for c in conditions):
        return None
    sub, _, head = _symbols(model)
    exprs = [c.xreplace(sub) for c in conditions]
    targets = [f"C[{e}]" for e in range(len(exprs))]
    try:
        return _function("k_claim", "q, C", head, targets, exprs, False)
    except ValueError:
        return None


def _dispatch(name: str, count: int) -> str:
    # ``name(e, q, z)`` calls the slot function ``name_<e>(q, z)``.
    lines = [f"def {name}(e, q, z):"]
    for e in range(count):
        lines.append(f"    {'if' if e == 0 else 'elif'} e == {e}:\n        {name}_{e}(q, z)")
    if count == 0:
        lines.append("    pass")
    return "\n".join(lines) + "\n"


def supported(plan: SweepPlan) -> bool:
    """Whether the plan's chunks can run in a fused kernel (see the module docstring)."""
    model = plan.model
    n = len(model.states)
    hurwitz = n >= 3 and model.time == "continuous" and not plan.spectra
    return (
        plan.method == "closed_form"
        and (1 <= n <= 2 or (hurwitz and n <= 8))
        and bool(plan.closed_forms)
        and not model.constraints
        and not model.is_stochastic
        and model.stochastic_step is None
    )


def module_source(plan: SweepPlan) -> str:
    """The generated module of a plan's fused kernel (raises ValueError when an expression has
    no scalar code)."""
    model = plan.model
    exact = [exact_by_construction(model, c) for c in plan.closed_forms]
    slots = []
    for e, point in enumerate(plan.closed_forms):
        real = slot_source(model, point, e, complex_=False, prefix="k_rslot_")
        cplx = slot_source(model, point, e, complex_=True, prefix="k_cslot_")
        slots += [real, cplx]
    n = len(model.states)
    kinds = [_DOMAIN_CODES[d.kind] for d in model.state_domains]
    lo = [float(d.lo) if d.kind == "interval" else 0.0 for d in model.state_domains]  # type: ignore[arg-type]
    hi = [float(d.hi) if d.kind == "interval" else 0.0 for d in model.state_domains]  # type: ignore[arg-type]
    consts = "\n".join(
        [
            f"N = {n}",
            f"M = {len(model.parameters)}",
            f"E = {len(plan.closed_forms)}",
            f"DISCRETE = {model.time == 'discrete'}",
            # As `sweep_plan.closed_form_points`: the checks are skipped only when every slot is
            # exact by construction.
            f"EXACT = np.array({[bool(exact) and all(exact)] * len(exact)!r} + [False])",
            f"DOM_KIND = np.array({kinds!r}, dtype=np.int64)",
            f"DOM_LO = np.array({lo!r})",
            f"DOM_HI = np.array({hi!r})",
            f"IMAG_TOL = {IMAG_TOL!r}",
            f"RESIDUAL_TOL = {RESIDUAL_TOL!r}",
            f"DOMAIN_TOL = {DOMAIN_TOL!r}",
            f"COINCIDE_TOL = {COINCIDE_TOL!r}",
            f"STABILITY_TOL = {STABILITY_TOL!r}",
            f"UNCERTAIN_BAND = {UNCERTAIN_BAND!r}",
            f"DOUBLE_ROOT_TOL = {DOUBLE_ROOT_TOL_!r}",
            f"CLEAR = {CLEAR!r}",
            f"EDGE = {EDGE!r}",
            f"ACCEPTED, COMPLEX, POLE = {_ACCEPTED}, {_COMPLEX}, {_POLE}",
        ]
    )
    claims = claim_source(model, plan.closed_exists)
    consts += f"\nCLAIMS = {claims is not None}"
    jit = "numba.njit(cache=True, nogil=True, error_model='numpy')"
    names = [f"k_rslot_{e}" for e in range(len(slots) // 2)]
    names += [f"k_cslot_{e}" for e in range(len(slots) // 2)]
    parts = [
        f"# Generated by incentive_geometry.solvers.numeric.sweep_fused (version {_VERSION}, "
        f"numba {importlib.metadata.version('numba')}) for model {model.name!r}.",
        "from __future__ import annotations\n\nimport math\n\nimport numba\nimport numpy\nimport numpy as np",
        consts,
        *slots,
        _model_source(model),
        _dispatch("k_rslot", len(plan.closed_forms)),
        _dispatch("k_cslot", len(plan.closed_forms)),
        claims or "def k_claim(q, C):\n    pass\n",
    ]
    # (numba's own inliner, inline='always', made the loop 1.1 to 2.1 times slower than
    # LLVM's inlining of these small functions: measured on the Brusselator, Lorenz, a chain.)
    for name in [*names, "k_F", "k_T", "k_J", "k_A", "k_rslot", "k_cslot", "k_claim"]:
        parts.append(f"{name} = {jit}({name})")
    parts.append(f"HURWITZ_TOL = {HURWITZ_TOL!r}\nPATTERN_SLOTS = {PATTERN_SLOTS}")
    parts.append(routh_source(n))
    # (Here numba's inliner is faster: 81 -> 75 ms per 10^6 Lorenz points, one call site.)
    parts.append(f"routh = {jit[:-1]}, inline='always')(routh)")
    parts.append(inspect.getsource(fused_run))
    parts.append(f"fused_run = {jit}(fused_run)")
    return "\n\n".join(parts) + "\n"


def routh_source(n: int) -> str:
    """The source of ``routh(A, J)`` for n states, Routh's table unrolled into scalar code.

    ``routh(A, J)`` returns 1 (stable), 0 (unstable) or -1 (delicate) for the coefficients
    ``A`` = (a_1, ..., a_n) of the monic characteristic polynomial of the Jacobian ``J``: the
    tests of :func:`.hurwitz.hurwitz_codes` (a coefficient against the bound e_k(r) of its
    terms, r the absolute row sums of J; each first-column entry of the table against the two
    products it is the difference of; a later entry likewise unless both products are 0), each
    required to pass by the factor :data:`CLEAR`. The table's rows are [1, a_2, a_4, ...] and
    [a_1, a_3, ...]; each next row is (r'[0] r''[j+1] - r''[0] r'[j+1]) / r'[0] from the two
    above, and the polynomial is stable iff the first column is positive (Gantmacher, *The
    Theory of Matrices*, vol. 2, ch. XV, sec. 6). The loop over the table, written out for a
    given n, is about twice as fast in the compiled sweep as a loop over small arrays.

    Parameters
    ----------
    n : int
        The number of states (the degree of the polynomial), at least 1.

    Returns
    -------
    str
        A function that needs ``math``, ``CLEAR`` and ``HURWITZ_TOL`` in its module.

    Examples
    --------
    >>> import math
    >>> from incentive_geometry.solvers.numeric.hurwitz import HURWITZ_TOL
    >>> space = {"math": math, "CLEAR": CLEAR, "HURWITZ_TOL": HURWITZ_TOL}
    >>> exec(routh_source(3), space)
    >>> J = np.diag([-1.0, -2.0, -3.0])
    >>> # (l + 1)(l + 2)(l + 3) = l^3 + 6 l^2 + 11 l + 6: stable; l^3 + l^2 + l + 2 is not.
    >>> space["routh"]([6.0, 11.0, 6.0], J), space["routh"]([1.0, 1.0, 2.0], J)
    (1, 0)
    """
    lines = [
        "def routh(A, J):",
        f'    """Routh-Hurwitz for {n} states (generated by `sweep_fused.routh_source`)."""',
    ]
    lines += [f"    a{k + 1} = A[{k}]" for k in range(n)]
    lines += [
        f"    r{i} = " + " + ".join(f"abs(J[{i}, {j}])" for j in range(n)) for i in range(n)
    ]
    # e_k(r), the bound on the terms of a_k, by the recursion of `hurwitz_codes` (an e_k that
    # is still 0 or 1 is not multiplied or added: the values are those of the recursion).
    known: list[str | None] = ["1.0"] + [None] * n
    for i in range(n):
        for k in range(i + 1, 0, -1):
            term = f"r{i}" if known[k - 1] == "1.0" else f"r{i} * e{k - 1}"
            lines.append(f"    e{k} = {term}" if known[k] is None else f"    e{k} = e{k} + {term}")
            known[k] = f"e{k}"
    for k in range(1, n + 1):
        lines.append(
            f"    if not math.isfinite(a{k}) or abs(a{k}) <= CLEAR * HURWITZ_TOL * e{k}:\n"
            "        return -1"
        )
    width = n // 2 + 1
    prev = ["1.0"] + [f"a{2 * j}" if 2 * j <= n else "0.0" for j in range(1, width)]
    cur = [f"a{2 * j + 1}" if 2 * j + 1 <= n else "0.0" for j in range(width)]
    lines.append("    positive = a1 > 0")
    for row in range(n - 1):
        head_prev, head_cur = prev[0], cur[0]
        nxt = []
        for j in range(width - 1):
            lines += [
                f"    left = {head_cur} * {prev[j + 1]}",
                f"    right = {head_prev} * {cur[j + 1]}",
                "    diff = left - right",
                "    terms = HURWITZ_TOL * (abs(left) + abs(right))",
                # The sign of a first-column entry decides; a later entry that lost its digits
                # to cancellation spoils the rows below it (an exact zero does not).
                "    if not abs(diff) > CLEAR * terms:"
                if j == 0
                else "    if terms > 0 and not abs(diff) > CLEAR * terms:",
                "        return -1",
                f"    t{row}_{j} = diff / {head_cur}",
            ]
            nxt.append(f"t{row}_{j}")
        nxt.append("0.0")
        lines += [
            f"    if not math.isfinite(t{row}_0):",
            "        return -1",
            f"    positive = positive and t{row}_0 > 0",
        ]
        prev, cur = cur, nxt
    lines.append("    return 1 if positive else 0")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# The point loop (copied into each generated module after the model's functions and the
# constants; these stand-ins only let it be read and linted here).

N = M = E = 1
DISCRETE = False
EXACT = np.array([True, False])
DOM_KIND = np.zeros(1, dtype=np.int64)
DOM_LO = DOM_HI = np.zeros(1)
DOUBLE_ROOT_TOL = 1e-8
CLAIMS = True
ACCEPTED, COMPLEX, POLE = _ACCEPTED, _COMPLEX, _POLE


def k_rslot(e: int, q: FloatArray, z: FloatArray) -> None:
    raise NotImplementedError("generated per plan")


def k_cslot(e: int, q: np.ndarray, z: np.ndarray) -> None:
    raise NotImplementedError("generated per plan")


def k_F(s: FloatArray, q: FloatArray, F: FloatArray) -> None:
    raise NotImplementedError("generated per plan")


def k_T(s: FloatArray, q: FloatArray, T: FloatArray) -> None:
    raise NotImplementedError("generated per plan")


def k_J(s: FloatArray, q: FloatArray, J: FloatArray) -> None:
    raise NotImplementedError("generated per plan")


def k_A(s: FloatArray, q: FloatArray, A: FloatArray) -> None:
    raise NotImplementedError("generated per plan")


def routh(A: FloatArray, J: FloatArray) -> int:
    raise NotImplementedError("generated per plan (`routh_source`)")


def k_claim(q: FloatArray, C: np.ndarray) -> None:
    raise NotImplementedError("generated per plan (`claim_source`)")


def fused_run(  # pragma: no cover - runs compiled
    V: FloatArray,
    cols: np.ndarray,
    base: FloatArray,
    X: FloatArray,
    exists: np.ndarray,
    stable: np.ndarray,
    neutral: np.ndarray,
    eig: np.ndarray,
    why: np.ndarray,
    claimed: np.ndarray,
    flag: np.ndarray,
    pattern: np.ndarray,
    start: int,
    stop: int,
) -> None:
    """The points ``start:stop`` of a chunk: their closed-form slots checked, their domains,
    coincidences and spectra, or each point flagged for the NumPy route (see the module
    docstring). `V` holds the swept values (c, k), in the model's parameter columns `cols`,
    the others at `base`."""
    z = np.empty(N, dtype=np.complex128)
    zr = np.empty(N)
    qc = np.empty(M, dtype=np.complex128)
    F = np.empty(N)
    T = np.empty(N)
    J = np.empty((N, N))
    JS = np.empty((E, N, N))  # each slot's Jacobian from its root check, reused for stability
    have_J = np.zeros(E, dtype=np.bool_)
    A = np.empty(N)
    C = np.empty(E, dtype=np.bool_)
    q = base.copy()
    nan = math.nan
    for k in range(start, stop):
        # A copy, not a view: a view of V per point costs a reference count (atomic) each.
        for j in range(cols.size):
            q[cols[j]] = V[k, j]
        if CLAIMS:
            # The existence conditions (`sweep_plan.claimed_at`), for the notes only.
            k_claim(q, C)
            for e in range(E):
                claimed[k, e] = C[e]
        bad = False
        for e in range(E):
            have_J[e] = False
        for e in range(E):
            ok = True
            if EXACT[e]:
                k_rslot(e, q, zr)
                for i in range(N):
                    if not math.isfinite(zr[i]):
                        bad = True  # undefined here: the NumPy route repairs it by Newton
            else:
                # Real arithmetic first: where every step of the formula stays real and finite
                # its value is the principal branch's (imaginary part 0); else complex.
                k_rslot(e, q, zr)
                real = True
                for i in range(N):
                    if not math.isfinite(zr[i]):
                        real = False
                imag = 0.0
                size = 1.0
                if not real:
                    for j in range(M):
                        qc[j] = q[j]
                    k_cslot(e, qc, z)
                    size = 0.0
                    for i in range(N):
                        if not (math.isfinite(z[i].real) and math.isfinite(z[i].imag)):
                            bad = True
                        size = max(size, abs(z[i]))
                        imag = max(imag, abs(z[i].imag))
                        zr[i] = z[i].real
                    if bad:
                        break
                    size += 1.0
                if imag >= CLEAR * IMAG_TOL * size:
                    ok = False
                    why[k, e] = COMPLEX
                elif imag > IMAG_TOL * size / CLEAR:
                    bad = True  # near the realness tolerance
                    break
                else:
                    k_F(zr, q, F)
                    finite = True
                    for i in range(N):
                        if not math.isfinite(F[i]):
                            finite = False
                    if not finite:
                        ok = False
                        why[k, e] = POLE
                    else:
                        k_T(zr, q, T)
                        k_J(zr, q, J)
                        for i in range(N):
                            for j in range(N):
                                JS[e, i, j] = J[i, j]
                        have_J[e] = True
                        for i in range(N):
                            jx = 0.0
                            for j in range(N):
                                d = J[i, j] - (1.0 if DISCRETE and i == j else 0.0)
                                jx += abs(d) * abs(zr[j])
                            tol = RESIDUAL_TOL * (1.0 + T[i] + jx)
                            if not abs(F[i]) <= tol / CLEAR:
                                bad = True  # not a root, or near the tolerance: NumPy route
                        if bad:
                            break
            if bad:
                break
            if not ok:
                exists[k, e] = False
                for i in range(N):
                    X[k, e, i] = nan
                continue
            why[k, e] = ACCEPTED
            inside = True
            for i in range(N):
                x = zr[i]
                X[k, e, i] = x
                kind = DOM_KIND[i]
                if kind == 0:
                    continue
                edge = 1e300
                if kind == 1 or kind == 2:
                    edge = x + DOMAIN_TOL
                    out = x <= -DOMAIN_TOL if kind == 1 else x < -DOMAIN_TOL
                else:
                    lo = x - (DOM_LO[i] - DOMAIN_TOL)
                    hi = (DOM_HI[i] + DOMAIN_TOL) - x
                    edge = min(abs(lo), abs(hi))
                    out = lo < 0.0 or hi < 0.0
                if abs(edge) <= EDGE * (1.0 + abs(x)):
                    bad = True  # at a domain edge
                if out:
                    inside = False
            if bad:
                break
            exists[k, e] = inside
        if bad:
            flag[k] = True
            continue
        # Slots holding the same point: the first is kept (`sweep_plan.merge_coincident`).
        for e in range(E):
            for f in range(e + 1, E):
                if not (exists[k, e] and exists[k, f]):
                    continue
                size = 0.0
                dist = 0.0
                for i in range(N):
                    size = max(size, abs(X[k, e, i]), abs(X[k, f, i]))
                    dist = max(dist, abs(X[k, e, i] - X[k, f, i]))
                tol = COINCIDE_TOL * (1.0 + size)
                if dist <= tol / CLEAR:
                    exists[k, f] = False
                elif dist < CLEAR * tol:
                    bad = True
        if bad:
            flag[k] = True
            continue
        # Spectra and stability (`sweep_chunk.spectra_margins`, `_codes`, `stability_codes`).
        for e in range(E):
            stable[k, e] = False
            neutral[k, e] = False
            if not exists[k, e]:
                for i in range(N):
                    X[k, e, i] = nan
                    eig[k, e, i] = complex(nan, nan)
                continue
            for i in range(N):
                zr[i] = X[k, e, i]
            if have_J[e]:
                for i in range(N):
                    for j in range(N):
                        J[i, j] = JS[e, i, j]
            else:
                k_J(zr, q, J)
            for i in range(N):
                for j in range(N):
                    if not math.isfinite(J[i, j]):
                        bad = True
            if bad:
                break
            if N >= 3:
                # Routh-Hurwitz (`.hurwitz.hurwitz_codes`), each test clear by CLEAR.
                k_A(zr, q, A)
                verdict = routh(A, J)
                if verdict < 0:
                    bad = True  # delicate: the NumPy route computes eigenvalues
                    break
                for i in range(N):
                    eig[k, e, i] = complex(nan, nan)
                stable[k, e] = verdict == 1
                continue
            if N == 1:
                lam = J[0, 0]
                eig[k, e, 0] = complex(lam, 0.0)
                size = abs(lam)
                margin = lam
                hi = size
                m = root = 0.0
            else:
                a, b, c, d = J[0, 0], J[0, 1], J[1, 0], J[1, 1]
                m = 0.5 * (a + d)
                det = a * d - b * c
                h = 0.5 * (a - d)
                disc = h * h + b * c
                if (
                    not (math.isfinite(disc) and math.isfinite(m))
                    or abs(disc) <= DOUBLE_ROOT_TOL * (m * m + abs(det)) * CLEAR
                ):
                    bad = True  # a near double root: LAPACK decides it in the NumPy route
                    break
                root = math.sqrt(abs(disc))
                if disc > 0:
                    big = m + math.copysign(root, m)
                    small = det / big if big != 0.0 else 0.0
                    eig[k, e, 0] = complex(big, 0.0)
                    eig[k, e, 1] = complex(small, 0.0)
                    size = max(abs(big), abs(small))
                    margin = max(big, small)
                    hi = size
                else:
                    eig[k, e, 0] = complex(m, root)
                    eig[k, e, 1] = complex(m, -root)
                    margin = m
                    # |m + i root| is computed below only where a threshold needs it; up to
                    # here it is known to lie below hi (rounding included).
                    size = -1.0
                    hi = (abs(m) + root) * (1.0 + 1e-12)
            if not DISCRETE:
                # Clear of every threshold for any |lambda| up to hi (the neutral band, its
                # edges and the uncertain band grow with |lambda|): decided without it. (Its
                # square root was half of the loop's time on the Brusselator.)
                if margin < -UNCERTAIN_BAND * (1.0 + hi):
                    stable[k, e] = True
                    continue
                if margin > (STABILITY_TOL + EDGE) * (1.0 + hi):
                    continue  # unstable
            if size < 0.0:
                # Without hypot (4 of 19 ms at 10^6 points); hypot only where the squares
                # overflow.
                size = math.sqrt(m * m + root * root)
                if not math.isfinite(size):
                    size = math.hypot(m, root)
            if DISCRETE:
                margin = size - 1.0
            band = STABILITY_TOL * (1.0 + size)
            scale = EDGE * (1.0 + size)
            if abs(margin + band) <= scale or abs(margin - band) <= scale:
                bad = True  # at the edge of the neutral band
                break
            if margin < -band:
                if margin > -UNCERTAIN_BAND * (1.0 + size):
                    bad = True  # the rounding of the root must be bounded: NumPy route
                    break
                stable[k, e] = True
            elif margin <= band:
                neutral[k, e] = True
        if bad:
            flag[k] = True
        elif E <= PATTERN_SLOTS:
            bits = 0
            for e in range(E):
                if stable[k, e]:
                    bits |= 1 << e
                if neutral[k, e]:
                    bits |= 1 << (E + e)
            pattern[k] = bits


# --------------------------------------------------------------------------------------------
# Loading

_KERNELS: dict[str, Any] = {}


def _source(plan: SweepPlan) -> tuple[str, str]:
    key = plan.key + ":fused-source"
    if key not in _KERNELS:
        try:
            source = module_source(plan)
        except Exception:  # an expression with no scalar code: the NumPy route
            source = ""
        digest = hashlib.sha256(source.encode()).hexdigest()[:24] if source else ""
        _KERNELS[key] = (source, digest)
    return _KERNELS[key]


def _warm_up(mod: Any, n: int, m: int, e: int) -> None:
    mod.fused_run(
        np.ones((1, m)),
        np.arange(m, dtype=np.int64),
        np.ones(m),
        np.empty((1, e, n)),
        np.empty((1, e), dtype=np.bool_),
        np.empty((1, e), dtype=np.bool_),
        np.empty((1, e), dtype=np.bool_),
        np.empty((1, e, n), dtype=np.complex128),
        np.zeros((1, e), dtype=np.int8),
        np.ones((1, e), dtype=np.bool_),
        np.zeros(1, dtype=np.bool_),
        np.zeros(1, dtype=np.int32),
        0,
        1,
    )


def fused_kernel(plan: SweepPlan, *, build: bool) -> Any:
    """The compiled point loop of a closed-form plan, or None (see the module docstring).

    Parameters
    ----------
    plan : SweepPlan
    build : bool
        Compile it when it is neither loaded in this process nor cached on disk; with False
        such a plan gets None at once.

    Returns
    -------
    callable or None
        ``fused_run(V, cols, base, X, exists, stable, neutral, eig, why, claimed, flag,
        pattern, start, stop)``, the points ``start:stop``.

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    >>> sm = ig.sweep(m, {"r": np.linspace(0.5, 1.5, 3)}, compiled=False)
    >>> sm.classes.tolist()
    ['x=r only', 'x=r only', 'x=r only']
    """
    if not numba_enabled() or not supported(plan):
        return None
    key = plan.key + ":fused"
    if key in _KERNELS:
        return _KERNELS[key]
    source, digest = _source(plan)
    if not source:
        _KERNELS[key] = None
        return None
    if not build and not cached_on_disk(digest, "fused_run"):
        return None
    model = plan.model
    n, m, e = len(model.states), len(model.parameters), len(plan.closed_forms)
    mod = load_generated(source, digest, lambda mod: _warm_up(mod, n, m, e))
    _KERNELS[key] = None if mod is None else mod.fused_run
    return _KERNELS[key]


def drop_kernel(plan: SweepPlan) -> None:
    """Never use the plan's kernel again in this process (it failed at run time)."""
    _KERNELS[plan.key + ":fused"] = None


def run_fused(kernel: Any, plan: SweepPlan, values: FloatArray) -> dict[str, np.ndarray]:
    """The kernel's arrays at the swept `values` (c, k): ``x``, ``exists``, ``stable``,
    ``neutral``, ``eigenvalues``, ``why``, ``pattern`` (`.sweep_chunk.slot_pattern`),
    ``claimed`` (when the kernel evaluates the existence conditions, `claim_source`) and
    ``flag`` (the points left to the NumPy route; their other entries are meaningless)."""
    c, n, e = values.shape[0], len(plan.model.states), len(plan.closed_forms)
    claims = "\nCLAIMS = True\n" in _source(plan)[0]
    out = {
        "x": np.empty((c, e, n)),
        "exists": np.empty((c, e), dtype=np.bool_),
        "stable": np.empty((c, e), dtype=np.bool_),
        "neutral": np.empty((c, e), dtype=np.bool_),
        "eigenvalues": np.empty((c, e, n), dtype=np.complex128),
        "why": np.zeros((c, e), dtype=np.int8),
        "flag": np.zeros(c, dtype=np.bool_),
        "pattern": np.zeros(c, dtype=np.int32),
    }
    claimed = np.empty((c if claims else 0, e), dtype=np.bool_)
    if claims:
        out["claimed"] = claimed
    args = (
        np.ascontiguousarray(values, dtype=np.float64),
        np.asarray(plan.param_columns, dtype=np.int64),
        np.asarray(plan.base, dtype=np.float64),
        out["x"],
        out["exists"],
        out["stable"],
        out["neutral"],
        out["eigenvalues"],
        out["why"],
        claimed,
        out["flag"],
        out["pattern"],
    )
    threads = _thread_count() if c >= THREAD_MIN else 1
    if threads == 1:
        kernel(*args, 0, c)
        return out
    # Blocks of rows handed out in turn to the threads (the kernel holds no GIL; each row is
    # written by one thread and depends on its own row only, so the result does not depend on
    # the split). Blocks, not one range per thread: a thread that is slowed (another process,
    # costlier rows) takes fewer of them, and none waits at the end for a long range.
    size = max(THREAD_BLOCK, -(-c // (8 * threads)))
    blocks = iter(range(0, c, size))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while not errors:
                with lock:
                    a = next(blocks, None)
                if a is None:
                    return
                kernel(*args, a, min(a + size, c))
        except BaseException as exc:  # re-raised in the caller
            errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads - 1)]
    for t in pool:
        t.start()
    work()  # this thread works too: one thread fewer to start
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return out


def _thread_count() -> int:
    """Cores this process may use; 1 in a worker of a process pool (the pool already spreads
    chunks over the cores)."""
    if multiprocessing.parent_process() is not None:
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
