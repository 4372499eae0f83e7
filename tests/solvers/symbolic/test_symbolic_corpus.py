"""The symbolic engine against a corpus of textbook models (issue 10, "Done when").

For every model of ``corpus.py`` the engine's entry points run once per session, each call in a
forked child process that is killed at ``timeout + MARGIN + 1`` seconds, so that a call that
overruns its budget is reported instead of hanging the suite. The checks, per model:

1. ``test_substitution``: every returned equilibrium makes the right-hand side vanish
   (numerically, at 200 random parameter points where its existence condition holds);
2. ``test_complete``: when the set says ``complete=True``, every real equilibrium found
   independently (``numpy.roots`` on the numerator polynomial, a sign-change scan for other
   1-D equations, multistart ``scipy.optimize.root`` in n-D; never the toolkit's solvers) at
   random parameters is matched by a returned equilibrium whose existence condition holds;
3. ``test_existence_and_stability``: at 200 random points, the existence condition holds exactly
   where the formula is a real, finite, defined equilibrium inside the state domains, and the
   stability condition agrees with the eigenvalues of the Jacobian (numpy) there; points within a
   relative 1e-7 of a relation's boundary, or with a critical eigenvalue, are skipped and
   counted;
4. ``test_literature_equilibria`` (counts and known states), ``test_bifurcations`` (a returned
   condition of the literature's kind holds at the literature points and not off them),
   ``test_criticality`` (Hopf/flip/Neimark-Sacker sign), ``test_thresholds``;
5. ``test_budget`` (no call over ``timeout + MARGIN``; wall time measured in the child) and
   ``test_no_errors`` (no exception, and a ``SymbolicTimeout`` only where the entry says it may
   time out).

``test_corpus_fact`` checks the corpus itself with independent numerics (counts, known states
and their stability, a critical eigenvalue at every literature bifurcation point), so that a
wrong fact fails as a corpus error and not as an engine error.

Environment: ``CORPUS_TIMEOUT`` (seconds per call, default 30); ``CORPUS_FULL=1`` runs every call
of a model even after one was killed (by default the rest of that model is not run, to keep the
suite short; the report says so); ``CORPUS_RUNS_PICKLE=path`` stores the engine's results there
and reuses them on the next run (for work on the harness only: it does not see engine changes).
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import math
import multiprocessing as mp
import os
import pickle
import random
import re
import sys
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as mp_wait
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest
import scipy.optimize
import sympy

import incentive_geometry as ig
from incentive_geometry.errors import SymbolicTimeout


def _load_corpus() -> Any:
    name = "_ig_symbolic_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("corpus.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


corpus = _load_corpus()
CORPUS: list[Any] = corpus.CORPUS

TIMEOUT = float(os.environ.get("CORPUS_TIMEOUT", "30"))
MARGIN = 5.0  # the budget: a call returns within timeout + MARGIN seconds
FULL = os.environ.get("CORPUS_FULL", "") not in ("", "0")
WORKERS = 2
MAX_EQ = 16  # equilibria per model that get stability/bifurcation calls
N_POINTS = 200  # random parameter points for checks 1 and 3
N_COMPLETE_1D = 200  # random parameter points for check 2, one state
N_COMPLETE_ND = 20  # ... several states (multistart root finding)
N_STARTS = 30  # multistart starts per parameter point
NEAR = 1e-7  # relative distance to a relation's boundary (or a critical eigenvalue) skipped
MATCH = 1e-5  # relative distance of a numerical root to a returned equilibrium
EXACT_DIGITS = 50
LINES = 5  # random lines per parameter axis searched for points on a bifurcation set


# ============================================================================================
# Running the engine: each call in a forked child, killed past its budget


@dataclass
class CallRecord:
    """One engine call: status "ok", "timeout" (SymbolicTimeout), "error", "killed", "not run"."""

    label: str
    seconds: float
    status: str
    value: Any = None
    error: str = ""

    def brief(self) -> str:
        first = self.error.strip().splitlines()[0][:160] if self.error else ""
        return f"{self.label}: {self.status} after {self.seconds:.1f} s {first}".rstrip()


@dataclass
class Call:
    label: str
    fn: Callable[[], Any]


@dataclass
class ModelRun:
    """Everything the engine returned for one model."""

    name: str
    model: ig.Model
    calls: list[CallRecord] = field(default_factory=list)
    eqs: Any = None
    stability: dict[int, CallRecord] = field(default_factory=dict)
    bifs: dict[int, CallRecord] = field(default_factory=dict)
    thresholds: dict[int, CallRecord] = field(default_factory=dict)

    @property
    def killed(self) -> int:
        return sum(c.status == "killed" for c in self.calls)

    def equilibria_record(self) -> CallRecord:
        return self.calls[0]


def _child(conn: Connection, fn: Callable[[], Any]) -> None:
    t0 = time.perf_counter()
    try:
        payload: tuple[str, Any, str] = ("ok", fn(), "")
    except SymbolicTimeout as exc:
        payload = ("timeout", None, f"SymbolicTimeout: {exc}")
    except BaseException as exc:
        tb = "".join(traceback.format_exception(exc)[-4:])
        payload = ("error", None, f"{type(exc).__name__}: {exc}\n{tb}")
    seconds = time.perf_counter() - t0
    try:
        conn.send((*payload, seconds))
    except Exception as exc:
        conn.send(("error", None, f"result not picklable: {type(exc).__name__}: {exc}", seconds))
    conn.close()


def _model_job(entry: Any, run: ModelRun) -> Generator[Call, CallRecord, None]:
    model = run.model
    rec = yield Call("equilibria", lambda: ig.equilibria(model, timeout=TIMEOUT))
    run.calls.append(rec)
    if rec.status != "ok":
        return
    eqs = run.eqs = rec.value

    def guarded(label: str, fn: Callable[[], Any]) -> Generator[Call, CallRecord, CallRecord]:
        if run.killed and not FULL:
            out = CallRecord(
                label, 0.0, "not run", error="an earlier call of this model was killed"
            )
        else:
            out = yield Call(label, fn)
        run.calls.append(out)
        return out

    for i, eq in enumerate(list(eqs)[:MAX_EQ]):
        run.stability[i] = yield from guarded(
            f"stability[{i}]", lambda eq=eq: ig.stability(model, eq, timeout=TIMEOUT)
        )
    for i, eq in enumerate(list(eqs)[:MAX_EQ]):
        run.bifs[i] = yield from guarded(
            f"bifurcations[{i}]", lambda eq=eq: ig.bifurcations(model, eq, timeout=TIMEOUT)
        )
    for k, fact in enumerate(entry.thresholds):
        i = _select(eqs, model, fact.at, fact.state)
        if i is None:
            run.thresholds[k] = CallRecord(
                f"threshold[{k}]", 0.0, "not run", error="no returned equilibrium equals the state"
            )
            continue
        run.thresholds[k] = yield from guarded(
            f"threshold[{fact.parameter}] of equilibrium {i}",
            lambda i=i, p=fact.parameter: ig.threshold(model, eqs[i], p, timeout=TIMEOUT),
        )


def run_corpus(entries: Sequence[Any]) -> dict[str, ModelRun]:
    """Run the engine on `entries`, WORKERS calls at a time, each in a child killed past its budget."""
    ctx = mp.get_context("fork")
    hard = TIMEOUT + MARGIN + 1.0
    # Warm the engine's lazy imports and caches once here, so that each forked child does not
    # pay them again (about 1 s per call otherwise).
    warm = ig.Model.from_equations({"x": "r*x - x**2"}, parameters={"r": 1.0}, name="warm")
    for eq in ig.equilibria(warm):
        ig.stability(warm, eq)
        ig.bifurcations(warm, eq)
    runs = {e.name: ModelRun(e.name, e.build()) for e in entries}
    queue = deque((e.name, _model_job(e, runs[e.name])) for e in entries)
    active: dict[Connection, tuple[str, Any, Any, Call, float]] = {}

    def advance(name: str, job: Any, rec: CallRecord | None) -> None:
        try:
            call = next(job) if rec is None else job.send(rec)
        except StopIteration:
            return
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(child, call.fn), daemon=True)
        proc.start()
        child.close()
        active[parent] = (name, job, proc, call, time.perf_counter())

    while queue or active:
        while queue and len(active) < WORKERS:
            advance(*queue.popleft(), None)
        if not active:
            continue
        ready = set(mp_wait(list(active), timeout=0.2))
        now = time.perf_counter()
        for conn in list(active):
            name, job, proc, call, t0 = active[conn]
            rec: CallRecord | None = None
            if conn in ready:
                try:
                    status, value, error, seconds = conn.recv()
                except (EOFError, OSError):
                    proc.join(1)
                    status, value, seconds = "error", None, now - t0
                    error = f"child process died (exit code {proc.exitcode})"
                rec = CallRecord(call.label, seconds, status, value, error)
            elif now - t0 > hard:
                proc.kill()
                rec = CallRecord(
                    call.label,
                    now - t0,
                    "killed",
                    None,
                    f"no answer after {now - t0:.0f} s with timeout={TIMEOUT:g}; killed",
                )
            if rec is None:
                continue
            del active[conn]
            conn.close()
            proc.join(2)
            advance(name, job, rec)
    return runs


# ============================================================================================
# Numerical evaluation of sympy expressions and conditions (vectorized, sympy semantics)

_LAMBDA_CACHE: dict[tuple[Any, tuple[Any, ...]], Any] = {}
_VERIFIED: set[tuple[Any, tuple[Any, ...]]] = set()  # numpy agreed with evalf at five points
_RELATIONAL = (sympy.StrictLessThan, sympy.LessThan, sympy.StrictGreaterThan, sympy.GreaterThan)


def _lambdify(syms: tuple[Any, ...], expr: Any) -> Any:
    key = (repr(expr) if isinstance(expr, list) else expr, syms)
    f = _LAMBDA_CACHE.get(key)
    if f is None:
        try:
            f = sympy.lambdify(syms, expr, modules=["scipy", "numpy"])
        except Exception:
            f = False
        _LAMBDA_CACHE[key] = f
    return f


def _sympy_number(z: complex) -> Any:
    re, im = sympy.Float(float(np.real(z)), 30), float(np.imag(z))
    return re if im == 0 else re + sympy.I * sympy.Float(im, 30)


def _evalf_point(expr: Any, syms: tuple[Any, ...], point: Sequence[complex]) -> complex:
    try:
        v = sympy.N(expr.xreplace(dict(zip(syms, map(_sympy_number, point), strict=True))), 30)
        return complex(v)
    except (TypeError, ValueError, ZeroDivisionError, AttributeError):
        return complex(math.nan, math.nan)


def _close(a: complex, b: complex, rel: float = 1e-6) -> bool:
    fa, fb = np.isfinite(a), np.isfinite(b)
    if not (fa and fb):
        return bool(fa == fb)
    return bool(abs(a - b) <= rel * (1 + abs(b)))


def _is_real(z: complex) -> bool:
    return bool(np.isfinite(z) and abs(z.imag) <= 1e-9 * (1 + abs(z.real)))


def _same_semantics(a: complex, b: complex) -> bool:
    """numpy's `a` and sympy's `b` agree for every use here: both undefined, both non-real
    (branch cuts may differ in the sign of the imaginary part), or the same number."""
    if not (np.isfinite(a) and np.isfinite(b)):
        return bool(np.isfinite(a) == np.isfinite(b))
    if not _is_real(b) and not _is_real(a):
        return True
    return _close(a, b)


def _mpmath_values(
    expr: Any, syms: tuple[Any, ...], cols: Sequence[np.ndarray]
) -> np.ndarray | None:
    try:
        f = sympy.lambdify(syms, expr, modules="mpmath")
    except Exception:
        return None
    n = len(cols[0])
    out = np.empty(n, dtype=complex)
    for k in range(n):
        try:
            out[k] = complex(f(*[mpmath.mpc(complex(c[k])) for c in cols]))
        except Exception:
            out[k] = complex(math.nan, math.nan)
    return out


def values(expr: Any, syms: tuple[Any, ...], cols: Sequence[np.ndarray]) -> np.ndarray:
    """`expr` at N points (complex; nan where undefined), with sympy's principal branches.

    numpy evaluation is cross-checked against sympy's evalf at five points; on a mismatch
    every point is evaluated with evalf.
    """
    n = len(cols[0]) if cols else 1
    expr = sympy.sympify(expr, strict=True)
    if not expr.free_symbols & set(syms):
        try:
            c = complex(sympy.N(expr, 30))
        except (TypeError, ValueError):
            c = complex(math.nan, math.nan)
        return np.full(n, c, dtype=complex)
    f = _lambdify(syms, expr)
    out: np.ndarray | None = None
    if f is not False:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                raw = np.asarray(f(*[np.asarray(c, dtype=complex) for c in cols]), dtype=complex)
                out = np.array(np.broadcast_to(raw, (n,)), dtype=complex)
            except Exception:
                out = None
    key = (expr, syms)
    bad_at: int | None = None
    if out is not None:
        for k in range(min(1 if key in _VERIFIED else 5, n)):
            if not _same_semantics(out[k], _evalf_point(expr, syms, [c[k] for c in cols])):
                bad_at, out = k, None
                break
    if out is not None:
        _VERIFIED.add(key)
    else:
        # numpy's branch cuts differ from sympy's here: mpmath (what evalf uses), checked
        # against evalf where numpy disagreed; evalf at every point if that fails too.
        out = _mpmath_values(expr, syms, cols)
        k = bad_at or 0
        if out is None or not _same_semantics(
            out[k], _evalf_point(expr, syms, [c[k] for c in cols])
        ):
            out = np.array(
                [_evalf_point(expr, syms, [c[k] for c in cols]) for k in range(n)], dtype=complex
            )
    out[~np.isfinite(out)] = complex(math.nan, math.nan)
    return out


def truth(
    cond: Any, syms: tuple[Any, ...], cols: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Three-valued truth of a condition at N points (1 true, 0 false, -1 undecidable), and
    where a relation sits within NEAR of its boundary."""
    n = len(cols[0]) if cols else 1
    if cond is True or cond is sympy.true:
        return np.ones(n, dtype=int), np.zeros(n, dtype=bool)
    if cond is False or cond is sympy.false:
        return np.zeros(n, dtype=int), np.zeros(n, dtype=bool)
    if isinstance(cond, (sympy.And, sympy.Or)):
        parts = [truth(a, syms, cols) for a in cond.args]
        vals = np.array([p[0] for p in parts])
        near = np.any([p[1] for p in parts], axis=0)
        if isinstance(cond, sympy.And):
            out = np.where((vals == 0).any(0), 0, np.where((vals == -1).any(0), -1, 1))
        else:
            out = np.where((vals == 1).any(0), 1, np.where((vals == -1).any(0), -1, 0))
        return out, near
    if isinstance(cond, sympy.Not):
        v, near = truth(cond.args[0], syms, cols)
        return np.where(v == -1, -1, 1 - v), near
    if isinstance(cond, (*_RELATIONAL, sympy.Equality, sympy.Unequality)):
        a, b = values(cond.lhs, syms, cols), values(cond.rhs, syms, cols)
        d = a - b
        scale = 1 + np.abs(a) + np.abs(b)
        bad = ~np.isfinite(d)
        if isinstance(cond, (sympy.Equality, sympy.Unequality)):
            eq = np.abs(d) <= 1e-9 * scale
            v = eq if isinstance(cond, sympy.Equality) else ~eq
            return np.where(bad, -1, v.astype(int)), np.zeros(n, dtype=bool)
        bad |= np.abs(d.imag) > 1e-9 * scale
        re = d.real
        near = np.abs(re) <= NEAR * scale
        if isinstance(cond, sympy.StrictGreaterThan):
            v = re > 0
        elif isinstance(cond, sympy.GreaterThan):
            v = re >= 0
        elif isinstance(cond, sympy.StrictLessThan):
            v = re < 0
        else:
            v = re <= 0
        return np.where(bad, -1, v.astype(int)), near & ~bad
    # Anything else (Contains, ...): sympy decides point by point.
    out = np.full(n, -1, dtype=int)
    for k in range(n):
        try:
            r = cond.xreplace({s: _sympy_number(c[k]) for s, c in zip(syms, cols, strict=True)})
        except Exception:
            continue
        if r is sympy.true or r is True:
            out[k] = 1
        elif r is sympy.false or r is False:
            out[k] = 0
    return out, np.zeros(n, dtype=bool)


def exact_number(expr: Any, subs: Mapping[Any, Any]) -> complex:
    """`expr` at exact parameter values, to EXACT_DIGITS digits (nan when undefined)."""
    try:
        v = sympy.N(sympy.sympify(expr, strict=True).xreplace(dict(subs)), EXACT_DIGITS)
        return complex(v)
    except (TypeError, ValueError, ZeroDivisionError, AttributeError):
        return complex(math.nan, math.nan)


def exact_truth(cond: Any, subs: Mapping[Any, Any]) -> bool | None:
    """`cond` at exact parameter values: True, False, or None (undecidable or on a boundary)."""
    if cond is True or cond is sympy.true:
        return True
    if cond is False or cond is sympy.false:
        return False
    if isinstance(cond, (sympy.And, sympy.Or)):
        parts = [exact_truth(a, subs) for a in cond.args]
        if isinstance(cond, sympy.And):
            return False if False in parts else (None if None in parts else True)
        return True if True in parts else (None if None in parts else False)
    if isinstance(cond, sympy.Not):
        v = exact_truth(cond.args[0], subs)
        return None if v is None else not v
    if isinstance(cond, (*_RELATIONAL, sympy.Equality, sympy.Unequality)):
        a, b = exact_number(cond.lhs, subs), exact_number(cond.rhs, subs)
        d = a - b
        if not np.isfinite(d):
            return None
        tol = 1e-30 * (1 + abs(a) + abs(b))
        if isinstance(cond, (sympy.Equality, sympy.Unequality)):
            return (abs(d) <= tol) == isinstance(cond, sympy.Equality)
        if abs(d.imag) > tol:
            return None
        if abs(d.real) <= tol:  # on the boundary: only the non-strict relations hold
            return isinstance(cond, (sympy.GreaterThan, sympy.LessThan))
        return (
            d.real > 0
            if isinstance(cond, (sympy.StrictGreaterThan, sympy.GreaterThan))
            else d.real < 0
        )
    try:
        r = cond.xreplace(dict(subs))
    except Exception:
        return None
    return True if r is sympy.true else False if r is sympy.false else None


# ============================================================================================
# The model, numerically and independently of the toolkit's solvers


class Numerics:
    """Equations, right-hand side, term scales and Jacobian of a model, as numpy functions."""

    def __init__(self, model: ig.Model, entry: Any) -> None:
        self.model = model
        self.entry = entry
        self.states = tuple(model.states)
        self.params = tuple(model.parameter_symbols)
        self.syms = self.states + self.params
        rhs = list(model.rhs)
        disc = model.time == "discrete"
        self.eqs = [f - s if disc else f for s, f in zip(self.states, rhs, strict=True)]
        if model.simplex:
            self.eqs.append(sympy.Add(*self.states) - 1)
        self.terms = [sympy.Add(*(sympy.Abs(t) for t in sympy.Add.make_args(e))) for e in self.eqs]
        self.rhs = rhs
        # Denominators of the right-hand side: where one vanishes (or nearly, for a numerical
        # root converging onto a singular point such as v/u at u = 0) the model is undefined.
        dens: set[Any] = set()
        for f in rhs:
            for part in sympy.preorder_traversal(f):
                if isinstance(part, sympy.Pow) and part.exp.is_negative:
                    dens.add(part.base)
        self.dens = sorted(dens, key=str)
        # Working coordinates: on the simplex the last share is 1 - (the others).
        if model.simplex:
            last = self.states[-1]
            sub = {last: 1 - sympy.Add(*self.states[:-1])}
            self.red = self.states[:-1]
            self.red_eqs = [e.xreplace(sub) for e in self.eqs[: len(self.red)]]
            fs = [f.xreplace(sub) for f in rhs[: len(self.red)]]
        else:
            self.red = self.states
            self.red_eqs = list(self.eqs)
            fs = rhs
        self.jac = sympy.Matrix(fs).jacobian(list(self.red))
        self.red_jac = sympy.Matrix(self.red_eqs).jacobian(list(self.red))
        self.domains = list(model.state_domains)
        # One state: the numerator polynomial's coefficients, once (numpy.roots per point).
        self.poly_coeffs: list[Any] | None = None
        if len(self.states) == 1 and not model.simplex:
            x = self.states[0]
            num, den = sympy.fraction(sympy.together(self.eqs[0]))
            if num.is_polynomial(x) and (not den.has(x) or den.is_polynomial(x)):
                self.poly_coeffs = sympy.Poly(sympy.expand(num), x).all_coeffs()

    # -- parameter points ------------------------------------------------------------------
    def sample(self, n: int, tag: str) -> list[np.ndarray]:
        """`n` random points in the ranges, one column per parameter (none without parameters)."""
        rng = random.Random(f"{self.entry.name}:{tag}")
        cols = []
        for p in self.model.parameters:
            lo, hi = self.entry.ranges[p.name]
            cols.append(np.array([rng.uniform(lo, hi) for _ in range(n)], dtype=complex))
        return cols

    # -- validity of a candidate point ---------------------------------------------------------
    def in_domain(self, v: np.ndarray) -> np.ndarray:
        """v: (n_states, N) real. True inside every state domain (closed, 1e-9 slack)."""
        ok = np.ones(v.shape[1], dtype=bool)
        for k, d in enumerate(self.domains):
            x = v[k]
            if d.kind == "positive":
                ok &= x > 0
            elif d.kind == "nonnegative":
                ok &= x >= -1e-9
            elif d.kind == "interval":
                lo, hi = float(d.lo), float(d.hi)
                ok &= (x >= lo - 1e-9 * (1 + abs(lo))) & (x <= hi + 1e-9 * (1 + abs(hi)))
        return ok

    def check_points(
        self, v: np.ndarray, pcols: Sequence[np.ndarray]
    ) -> tuple[np.ndarray, list[str]]:
        """Is each column of v (complex, (n_states, N)) a real, finite, defined equilibrium
        inside the domains? Returns (ok, reason per point)."""
        n = v.shape[1]
        reasons = [""] * n
        finite = np.all(np.isfinite(v), axis=0)
        real = finite & np.all(np.abs(v.imag) <= 1e-8 * (1 + np.abs(v.real)), axis=0)
        vr = np.where(real, v.real, 0.0)
        cols = [vr[k].astype(complex) for k in range(len(self.states))] + list(pcols)
        rhs_ok = np.ones(n, dtype=bool)
        for f in self.rhs:
            fv = values(f, self.syms, cols)
            rhs_ok &= np.isfinite(fv) & (np.abs(fv.imag) <= 1e-9 * (1 + np.abs(fv.real)))
        for d in self.dens:
            dv = values(d, self.syms, cols)
            rhs_ok &= np.abs(dv) > 1e-9
        resid_ok = np.ones(n, dtype=bool)
        for e, t in zip(self.eqs, self.terms, strict=True):
            ev, tv = values(e, self.syms, cols), values(t, self.syms, cols)
            resid_ok &= np.abs(ev) <= 1e-7 * (1 + np.abs(tv.real))
        dom = self.in_domain(vr)
        for k in range(n):
            if not finite[k]:
                reasons[k] = "not finite"
            elif not real[k]:
                reasons[k] = f"complex ({v[:, k].round(6).tolist()})"
            elif not rhs_ok[k]:
                reasons[k] = "right-hand side undefined there (pole, log/sqrt domain)"
            elif not dom[k]:
                reasons[k] = "outside the state domains"
            elif not resid_ok[k]:
                reasons[k] = "right-hand side not zero there"
        ok = finite & real & rhs_ok & dom & resid_ok
        return ok, reasons

    def eigenvalues(self, v: np.ndarray, pcols: Sequence[np.ndarray]) -> np.ndarray:
        """Eigenvalues of the Jacobian (working coordinates) at each point, (N, m); nan rows
        where it is undefined."""
        n = v.shape[1]
        cols = [v[k].real.astype(complex) for k in range(len(self.states))] + list(pcols)
        m = len(self.red)
        jac = np.empty((n, m, m), dtype=complex)
        for i in range(m):
            for j in range(m):
                jac[:, i, j] = values(self.jac[i, j], self.syms, cols)
        out = np.full((n, m), complex(math.nan, math.nan))
        good = np.all(np.isfinite(jac), axis=(1, 2))
        if good.any():
            out[good] = np.linalg.eigvals(jac[good])
        return out

    def margin(self, v: np.ndarray, pcols: Sequence[np.ndarray]) -> np.ndarray:
        """Spectral abscissa (flows) or radius minus 1 (maps) of the Jacobian; nan if undefined."""
        lam = self.eigenvalues(v, pcols)
        with np.errstate(invalid="ignore"):
            if self.model.time == "continuous":
                return lam.real.max(axis=1)
            return np.abs(lam).max(axis=1) - 1

    def eigenvalues_at(self, state: Mapping[str, Any], params: Mapping[str, Any]) -> np.ndarray:
        sub = {s: state[s.name] for s in self.states}
        sub.update({p: params[p.name] for p in self.params})
        J = np.array(
            [
                [complex(sympy.N(self.jac[i, j].xreplace(sub), 30)) for j in range(len(self.red))]
                for i in range(len(self.red))
            ]
        )
        return np.linalg.eigvals(J)

    # -- independent root finding -------------------------------------------------------------
    def roots_all(self, pcols: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
        """Every real equilibrium found numerically at each parameter point (full state vectors,
        validated: real, defined, inside the domains, residual zero)."""
        n = len(pcols[0]) if pcols else 1
        if len(self.red) == 1 and not self.model.simplex:
            cands = self._roots_1d(pcols)
        else:
            cands = [self._roots_nd([float(c[k].real) for c in pcols]) for k in range(n)]
        flat = [(k, self._full(np.asarray(c, dtype=float))) for k in range(n) for c in cands[k]]
        out: list[list[np.ndarray]] = [[] for _ in range(n)]
        if not flat:
            return out
        v = np.array([f for _, f in flat], dtype=complex).T
        cols = [np.array([pcols[j][k] for k, _ in flat]) for j in range(len(pcols))]
        ok, _ = self.check_points(v, cols)
        for (k, full), good in zip(flat, ok, strict=True):
            if good and not any(np.allclose(full, o, rtol=1e-7, atol=1e-9) for o in out[k]):
                out[k].append(full)
        return out

    def _full(self, red: np.ndarray) -> np.ndarray:
        if self.model.simplex:
            return np.append(red, 1 - red.sum())
        return red

    def _roots_1d(self, pcols: Sequence[np.ndarray]) -> list[list[list[float]]]:
        n = len(pcols[0]) if pcols else 1
        x = self.states[0]
        lo, hi = self.entry.box[x.name]
        if self.poly_coeffs is not None:
            coeffs = np.array([values(c, self.params, pcols) for c in self.poly_coeffs])
            out: list[list[list[float]]] = []
            for k in range(n):
                ck = coeffs[:, k]
                nz = np.flatnonzero(ck != 0)
                ck = ck[nz[0] :] if nz.size else ck[:0]
                rts = np.roots(ck) if len(ck) > 1 else []
                out.append([[r.real] for r in rts if abs(r.imag) <= 1e-6 * (1 + abs(r.real))])
            return out
        f = _lambdify((x, *self.params), self.eqs[0])
        xs = np.linspace(lo, hi, 40001)
        res = []
        for k in range(n):
            pv = [complex(c[k].real) for c in pcols]
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fv = np.asarray(f(xs.astype(complex), *pv), dtype=complex) * np.ones_like(xs)
            fr = np.where(
                np.isfinite(fv) & (np.abs(fv.imag) < 1e-12 * (1 + np.abs(fv.real))), fv.real, np.nan
            )
            found: list[list[float]] = [[xs[j]] for j in np.flatnonzero(fr == 0)]

            def g(t: float, pv: list[complex] = pv) -> float:
                with np.errstate(all="ignore"):
                    return float(np.real(f(complex(t), *pv)))

            for j in np.flatnonzero(np.sign(fr[:-1]) * np.sign(fr[1:]) < 0):
                with contextlib.suppress(ValueError, RuntimeError):
                    found.append(
                        [scipy.optimize.brentq(g, xs[j], xs[j + 1], xtol=1e-15, rtol=1e-14)]
                    )
            res.append(found)
        return res

    def _roots_nd(self, pvals: Sequence[float]) -> list[np.ndarray]:
        syms = self.red + self.params
        F = _lambdify(syms, self.red_eqs)
        Jf = _lambdify(syms, self.red_jac.tolist())
        rng = random.Random(f"{self.entry.name}:starts:{pvals}")
        box = [self.entry.box[s.name] for s in self.red]

        def fun(z: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.asarray(F(*z, *pvals), dtype=float)

        def jac(z: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                return np.asarray(Jf(*z, *pvals), dtype=float)

        # Starts: random in the box, and on every coordinate face through 0 (boundary
        # equilibria x_i = 0 have small basins for a random start).
        starts = [np.array([rng.uniform(lo, hi) for lo, hi in box]) for _ in range(N_STARTS)]
        for mask in itertools.product((False, True), repeat=len(box)):
            if any(mask) and all(lo <= 0 <= hi for (lo, hi), m in zip(box, mask, strict=True) if m):
                for _ in range(3):
                    starts.append(
                        np.array(
                            [
                                0.0 if m else rng.uniform(lo, hi)
                                for (lo, hi), m in zip(box, mask, strict=True)
                            ]
                        )
                    )
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for z0 in starts:
                try:
                    sol = scipy.optimize.root(fun, z0, jac=jac, method="hybr", tol=1e-13)
                except (ValueError, ZeroDivisionError, OverflowError):
                    continue
                if np.all(np.isfinite(sol.x)) and np.all(np.abs(fun(sol.x)) < 1e-8):
                    out.append(sol.x)
        return out


_NUMERICS: dict[str, Numerics] = {}


def numerics(name: str, model: ig.Model) -> Numerics:
    if name not in _NUMERICS:
        _NUMERICS[name] = Numerics(model, corpus.by_name(name))
    return _NUMERICS[name]


def eq_values(eq: Any, num: Numerics, pcols: Sequence[np.ndarray]) -> np.ndarray:
    return np.array([values(eq.point[s], num.params, pcols) for s in num.states])


def psubs(model: ig.Model, point: Mapping[str, Any]) -> dict[Any, Any]:
    return {p.symbol: point[p.name] for p in model.parameters}


def _select(
    eqs: Any, model: ig.Model, at: Mapping[str, Any], state: Mapping[str, Any]
) -> int | None:
    """Index of the returned equilibrium equal to `state` at parameters `at` (existing there)."""
    subs = psubs(model, at)
    for i, eq in enumerate(list(eqs)[:MAX_EQ]):
        if eq.free or exact_truth(eq.exists, subs) is not True:
            continue
        if all(
            _close(exact_number(eq.point[s], subs), complex(sympy.N(state[s.name], 30)), 1e-8)
            for s in model.states
        ):
            return i
    return None


def _fmt(point: Mapping[Any, Any]) -> str:
    return ", ".join(f"{k}={float(sympy.re(sympy.N(v))):.4g}" for k, v in point.items())


def _cols_point(cols: Sequence[np.ndarray], names: Sequence[str], k: int) -> str:
    return ", ".join(f"{n}={c[k].real:.4g}" for n, c in zip(names, cols, strict=True))


# ============================================================================================
# Fixtures and parametrization


def _params(pred: Callable[[Any], bool] = lambda e: True) -> list[Any]:
    return [
        pytest.param(e.name, id=e.name, marks=[pytest.mark.slow] if e.slow else [])
        for e in CORPUS
        if pred(e)
    ]


@pytest.fixture(scope="session")
def runs(request: pytest.FixtureRequest) -> dict[str, ModelRun]:
    here = Path(__file__).resolve()
    wanted = set()
    for item in request.session.items:
        cs = getattr(item, "callspec", None)
        if cs is not None and "name" in cs.params and Path(str(item.path)).resolve() == here:
            wanted.add(cs.params["name"])
    cache = os.environ.get("CORPUS_RUNS_PICKLE", "")
    if cache and Path(cache).exists():
        with open(cache, "rb") as fh:
            saved: dict[str, ModelRun] = pickle.load(fh)
        if wanted <= set(saved):
            return saved
    out = run_corpus([e for e in CORPUS if e.name in wanted])
    if cache:
        with open(cache, "wb") as fh:
            pickle.dump(out, fh)
    return out


def _run(runs: dict[str, ModelRun], name: str) -> ModelRun:
    return runs[name]


def _eqs_or_fail(run: ModelRun) -> Any:
    rec = run.equilibria_record()
    if rec.status != "ok":
        pytest.fail(f"ig.equilibria did not return: {rec.brief()}")
    return run.eqs


# ============================================================================================
# The tests


def test_corpus_is_large_and_sourced() -> None:
    assert len(CORPUS) >= 30
    assert len({e.name for e in CORPUS}) == len(CORPUS)
    for e in CORPUS:
        assert e.source, e.name
        model = e.build()
        assert set(e.ranges) == set(model.parameter_names), e.name
        assert set(e.box) == set(model.state_names), e.name
        for p in model.parameters:
            lo, hi = e.ranges[p.name]
            assert p.domain.contains(lo) and p.domain.contains(hi), (e.name, p.name)


@pytest.mark.parametrize("name", _params())
def test_corpus_fact(name: str) -> None:
    """The corpus's own facts hold under independent numerics (a failure is a corpus error)."""
    entry = corpus.by_name(name)
    model = entry.build()
    num = numerics(name, model)
    problems = []
    for c in entry.counts:
        pv = [float(sympy.N(c.params[p.name])) for p in model.parameters]
        found = num.roots_all([np.array([v], dtype=complex) for v in pv])[0]
        if len(found) != c.n:
            problems.append(
                f"count at {_fmt(c.params)}: numerics find {len(found)} ({[r.round(5).tolist() for r in found]}), corpus says {c.n}"
            )
    for k in entry.known:
        pv = [float(sympy.N(k.params[p.name])) for p in model.parameters]
        sv = np.array([[complex(sympy.N(k.state[s.name], 30))] for s in num.states])
        ok, why = num.check_points(sv, [np.array([v], dtype=complex) for v in pv])
        if not ok[0]:
            problems.append(f"known state {_fmt(k.state)} at {_fmt(k.params)}: {why[0]}")
        elif k.stable is not None:
            m = num.margin(sv, [np.array([v], dtype=complex) for v in pv])[0]
            if (m < 0) != k.stable or abs(m) < NEAR:
                problems.append(
                    f"known state {_fmt(k.state)} at {_fmt(k.params)}: margin {m:.3g}, corpus says stable={k.stable}"
                )
    crit = (
        {"fold": 0, "transcritical": 0, "pitchfork": 0}
        if model.time == "continuous"
        else {"fold": 1, "transcritical": 1, "pitchfork": 1, "flip": -1}
    )
    for b in entry.bifs:
        for params, state in b.on:
            if state is None:
                continue
            lam = num.eigenvalues_at(state, params)
            if b.kind in crit:
                d = np.min(np.abs(lam - crit[b.kind]))
            elif b.kind == "hopf":
                pair = lam[np.abs(lam.imag) > 1e-9]
                d = np.min(np.abs(pair.real)) if pair.size else math.inf
            else:  # neimark_sacker
                pair = lam[np.abs(lam.imag) > 1e-9]
                d = np.min(np.abs(np.abs(pair) - 1)) if pair.size else math.inf
            if d > 1e-9:
                problems.append(
                    f"{b.kind} at {_fmt(params)}, state {_fmt(state)}: eigenvalues {lam.round(6)}"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", _params())
def test_no_errors(name: str, runs: dict[str, ModelRun]) -> None:
    """No engine call raises; a SymbolicTimeout only where the entry may time out."""
    entry = corpus.by_name(name)
    run = _run(runs, name)
    bad = [c for c in run.calls if c.status == "error"]
    if not entry.may_time_out:
        bad += [c for c in run.calls if c.status == "timeout"]
    assert not bad, "\n".join(c.brief() for c in bad)


@pytest.mark.parametrize("name", _params())
def test_budget(name: str, runs: dict[str, ModelRun]) -> None:
    """Every call returns (or raises) within timeout + MARGIN seconds."""
    run = _run(runs, name)
    over = [
        c for c in run.calls if c.status in ("killed", "not run") or c.seconds > TIMEOUT + MARGIN
    ]
    assert not over, "\n".join(c.brief() for c in over)


@pytest.mark.parametrize("name", _params())
def test_substitution(name: str, runs: dict[str, ModelRun]) -> None:
    """Check 1: every equilibrium makes the equations vanish wherever it is said to exist."""
    run = _run(runs, name)
    eqs = _eqs_or_fail(run)
    num = numerics(name, run.model)
    pcols = num.sample(N_POINTS, "substitution")
    problems = []
    for i, eq in enumerate(list(eqs)[:MAX_EQ]):
        if eq.free:
            continue
        ex, _ = truth(eq.exists, num.params, pcols)
        where = np.flatnonzero(ex == 1)
        if where.size == 0:
            continue
        v = eq_values(eq, num, pcols)
        cols = [v[k] for k in range(len(num.states))] + list(pcols)
        bad = np.zeros(len(pcols[0]) if pcols else 1, dtype=bool)
        for e, t in zip(num.eqs, num.terms, strict=True):
            ev, tv = values(e, num.syms, cols), values(t, num.syms, cols)
            bad |= ~(np.abs(ev) <= 1e-7 * (1 + np.abs(tv)))
        bad_at = [k for k in where if bad[k]]
        if bad_at:
            k = bad_at[0]
            problems.append(
                f"equilibrium {i} {eq.point}: residual not 0 at {len(bad_at)}/{where.size} points "
                f"where it exists, e.g. {_cols_point(pcols, model_names(run), k)}"
            )
    assert not problems, "\n".join(problems)


def model_names(run: ModelRun) -> list[str]:
    return [p.name for p in run.model.parameters]


@pytest.mark.parametrize("name", _params())
def test_complete(name: str, runs: dict[str, ModelRun]) -> None:
    """Check 2: complete=True only when every numerically found equilibrium is returned."""
    run = _run(runs, name)
    eqs = _eqs_or_fail(run)
    if not eqs.complete:
        warnings.warn(
            f"{name}: complete=False ({eqs.message}); completeness not claimed", stacklevel=1
        )
        return
    num = numerics(name, run.model)
    n = N_COMPLETE_1D if len(num.red) == 1 and not run.model.simplex else N_COMPLETE_ND
    n = n if num.params else 1
    pcols = num.sample(n, "complete")
    listed = [eq for eq in list(eqs) if not eq.free]
    exist = [truth(eq.exists, num.params, pcols)[0] for eq in listed]
    vals = [eq_values(eq, num, pcols) for eq in listed]
    missing: list[str] = []
    checked = 0
    found = num.roots_all(pcols)
    for k in range(n):
        for r in found[k]:
            checked += 1
            hit = False
            for ex, v in zip(exist, vals, strict=True):
                if ex[k] == 1 and np.all(np.abs(v[:, k] - r) <= MATCH * (1 + np.abs(r))):
                    hit = True
                    break
            if not hit:
                near = [
                    f"eq {j} (exists={'undecidable' if ex[k] == -1 else bool(ex[k])})"
                    for j, (ex, v) in enumerate(zip(exist, vals, strict=True))
                    if np.all(np.abs(v[:, k] - r) <= MATCH * (1 + np.abs(r)))
                ]
                missing.append(
                    f"{dict(zip(num.model.state_names, r.round(6).tolist(), strict=True))} at "
                    f"{_cols_point(pcols, model_names(run), k)}"
                    + (f" (value matches {', '.join(near)})" if near else " (no formula matches)")
                )
    assert not missing, (
        f"complete=True but {len(missing)} of {checked} real equilibria found numerically are not "
        f"returned as existing; e.g.\n" + "\n".join(missing[:5])
    )


@pytest.mark.parametrize("name", _params())
def test_existence_and_stability(name: str, runs: dict[str, ModelRun]) -> None:
    """Check 3: existence and stability conditions agree with direct numerics at 200 points."""
    run = _run(runs, name)
    eqs = _eqs_or_fail(run)
    num = numerics(name, run.model)
    pcols = num.sample(N_POINTS, "existence")
    names = model_names(run)
    listed = list(eqs)[:MAX_EQ]
    info = []
    for eq in listed:
        if eq.free:
            info.append(None)
            continue
        ex, near = truth(eq.exists, num.params, pcols)
        v = eq_values(eq, num, pcols)
        ok, why = num.check_points(v, pcols)
        info.append((ex, near, v, ok, why))
    problems = []
    skipped_total = 0
    for i, eq in enumerate(listed):
        if info[i] is None:
            continue
        ex, near, v, ok, why = info[i]
        counts: dict[str, list[int]] = {}

        def note(kind: str, k: int, counts: dict[str, list[int]] = counts) -> None:
            counts.setdefault(kind, []).append(k)

        st_rec = run.stability.get(i)
        st_truth = st_near = None
        if st_rec is not None and st_rec.status == "ok":
            st_truth, st_near = truth(st_rec.value.condition, num.params, pcols)
        margin = num.margin(v, pcols)
        skipped = 0
        for k in range(len(ex)):
            if near[k]:
                skipped += 1
                continue
            if ex[k] == -1:
                note("existence condition undecidable (complex or undefined comparison)", k)
            elif ex[k] == 1 and not ok[k]:
                note(f"exists, but {why[k].split(' (')[0]}", k)
            elif ex[k] == 0 and ok[k]:
                dup = any(
                    info[j] is not None
                    and info[j][0][k] == 1
                    and np.allclose(info[j][2][:, k], v[:, k], rtol=1e-7, atol=1e-9)
                    for j in range(len(listed))
                    if j != i
                )
                if not dup:
                    note("a valid equilibrium there, but exists is False", k)
            elif ex[k] == 1 and ok[k]:
                if st_truth is None:
                    continue
                if st_near[k] or not np.isfinite(margin[k]) or abs(margin[k]) <= NEAR:
                    skipped += 1
                    continue
                if st_truth[k] == -1:
                    note("stability condition undecidable", k)
                elif bool(st_truth[k]) != (margin[k] < 0):
                    note(
                        f"stability condition says {bool(st_truth[k])}, eigenvalues say {margin[k] < 0}",
                        k,
                    )
        skipped_total += skipped
        for kind, ks in counts.items():
            problems.append(
                f"eq {i} {eq.point}: {kind} at {len(ks)}/{len(ex)} points, e.g. "
                f"{_cols_point(pcols, names, ks[0])}"
            )
        if (st_rec is None or st_rec.status != "ok") and np.any((ex == 1) & ok):
            problems.append(
                f"eq {i}: no stability result ({st_rec.brief() if st_rec else 'not called'})"
            )
    if skipped_total:
        warnings.warn(f"{name}: {skipped_total} point-checks skipped near a boundary", stacklevel=1)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", _params(lambda e: e.counts or e.known))
def test_literature_equilibria(name: str, runs: dict[str, ModelRun]) -> None:
    """Counts of real equilibria and known equilibria (with stability) at literature points."""
    entry = corpus.by_name(name)
    run = _run(runs, name)
    eqs = _eqs_or_fail(run)
    model = run.model
    listed = list(eqs)[:MAX_EQ]
    problems = []
    for c in entry.counts:
        subs = psubs(model, c.params)
        pts: list[list[complex]] = []
        for i, eq in enumerate(listed):
            t = exact_truth(eq.exists, subs)
            if t is None:
                problems.append(
                    f"count at {_fmt(c.params)}: eq {i} existence undecidable ({eq.exists})"
                )
                continue
            if t:
                v = [exact_number(eq.point[s], subs) for s in model.states]
                if not all(np.isfinite(z) and abs(z.imag) < 1e-20 for z in v):
                    problems.append(f"count at {_fmt(c.params)}: eq {i} exists but is {v}")
                    continue
                if not any(
                    all(_close(a, b, 1e-12) for a, b in zip(v, w, strict=True)) for w in pts
                ):
                    pts.append(v)
        if len(pts) < c.n and not eqs.complete and eqs.message:
            # Fewer points from a set flagged incomplete, with its reason: no answer, not a
            # wrong one (the principle of issue 10). Extra points are always wrong.
            continue
        if len(pts) != c.n:
            flagged = "" if eqs.complete else f"; the set says complete=False: {eqs.message[:120]}"
            problems.append(
                f"at {_fmt(c.params)}: {len(pts)} existing equilibria returned "
                f"{[[round(z.real, 5) for z in p] for p in pts]}, literature: {c.n} ({c.source})"
                + flagged
            )
    for kn in entry.known:
        subs = psubs(model, kn.params)
        i = _select(eqs, model, kn.params, kn.state)
        if i is None and not eqs.complete and eqs.message:
            continue  # missing from a set flagged incomplete, with its reason
        if i is None:
            problems.append(
                f"known equilibrium {_fmt(kn.state)} at {_fmt(kn.params)} not returned as existing ({kn.source})"
            )
            continue
        if kn.stable is None:
            continue
        rec = run.stability.get(i)
        if rec is None or rec.status != "ok":
            problems.append(
                f"known equilibrium {_fmt(kn.state)}: no stability ({rec.brief() if rec else 'not called'})"
            )
            continue
        t = exact_truth(rec.value.condition, subs)
        if t is not kn.stable:
            problems.append(
                f"known equilibrium {_fmt(kn.state)} at {_fmt(kn.params)}: stability condition gives "
                f"{t}, literature: stable={kn.stable} ({kn.source})"
            )
    assert not problems, "\n".join(problems)


def _bif_candidates(run: ModelRun, kind: str) -> tuple[list[tuple[int, Any]], list[str]]:
    cands, notes = [], []
    for i, rec in sorted(run.bifs.items()):
        if rec.status != "ok":
            notes.append(rec.brief())
            continue
        cands.extend((i, bc) for bc in rec.value if bc.kind == kind)
    return cands, notes


def _returned(run: ModelRun) -> str:
    out = []
    for i, rec in sorted(run.bifs.items()):
        if rec.status == "ok":
            out += [f"eq {i}: {bc.kind} {str(bc.condition)[:80]}" for bc in rec.value]
        else:
            out.append(rec.brief())
    return "; ".join(out) or "nothing"


def _state_matches(
    run: ModelRun, i: int, params: Mapping[str, Any], state: Mapping[str, Any] | None
) -> bool:
    if state is None:
        return True
    eq = list(run.eqs)[i]
    subs = psubs(run.model, params)
    return all(
        _close(exact_number(eq.point[s], subs), complex(sympy.N(state[s.name], 30)), 1e-6)
        for s in run.model.states
    )


@pytest.mark.parametrize("name", _params(lambda e: e.bifs or e.nobifs))
def test_bifurcations(name: str, runs: dict[str, ModelRun]) -> None:
    """Check 4: a returned condition of the literature's kind holds at the literature points,
    at the bifurcating state, and not at the points off the bifurcation set."""
    entry = corpus.by_name(name)
    run = _run(runs, name)
    _eqs_or_fail(run)
    model = run.model
    problems = []
    for b in entry.bifs:
        cands, notes = _bif_candidates(run, b.kind)
        good: set[int] | None = None
        for params, state in b.on:
            subs = psubs(model, params)
            hit = {
                n
                for n, (i, bc) in enumerate(cands)
                if exact_truth(bc.condition, subs) is True and _state_matches(run, i, params, state)
            }
            if not hit:
                problems.append(
                    f"no `{b.kind}` condition holds at {_fmt(params)}"
                    + (f" at state {_fmt(state)}" if state else "")
                    + f" ({b.source}); returned: {_returned(run)}"
                )
            good = hit if good is None else good | hit
        if good:
            offs = [psubs(model, off) for off in b.off]
            clean = [
                n for n in good if all(exact_truth(cands[n][1].condition, o) is False for o in offs)
            ]
            if not clean:
                n = min(good)
                at = [
                    _fmt(off)
                    for off, o in zip(b.off, offs, strict=True)
                    if exact_truth(cands[n][1].condition, o) is not False
                ]
                problems.append(
                    f"`{b.kind}` condition {cands[n][1].condition} also holds (or is undecidable) "
                    f"off the bifurcation set, at {'; '.join(at)}"
                )
        if notes and not cands:
            problems.append("bifurcation calls failed: " + "; ".join(notes))
    num = numerics(name, model)
    for nb in entry.nobifs:
        for i, bc in _bif_candidates(run, nb.kind)[0]:
            pts = _points_on(bc.condition, num, f"nobif:{i}")
            if not pts or not pts[0].size:
                continue
            t, _ = truth(bc.condition, num.params, pts)
            ex, _ = truth(list(run.eqs)[i].exists, num.params, pts)
            hold = np.flatnonzero((t != 0) & (ex == 1))
            if hold.size:
                problems.append(
                    f"`{nb.kind}` condition of eq {i} ({str(bc.condition)[:120]}) holds (or is "
                    f"undecidable) where eq {i} exists, at {hold.size} points found on its "
                    f"equality set, e.g. {_cols_point(pts, model_names(run), int(hold[0]))}; "
                    f"literature: none ({nb.source})"
                )
    assert not problems, "\n".join(problems)


#: The sign of the normal-form coefficient that makes each kind supercritical (Kuznetsov:
#: l1 < 0 for Hopf, sec. 3.5; c > 0 for flip, sec. 4.4, the stable 2-cycle; d < 0 for
#: Neimark-Sacker, sec. 4.7). Used only when a result gives a coefficient but no flag.
SUPERCRITICAL_SIGN = {"hopf": -1, "flip": 1, "neimark_sacker": -1}


def _origin_point(origin: str) -> dict[str, float]:
    """Parameter values named in a numerical coefficient's `origin` ("numerical, at a=0.5, ...")."""
    return {k: float(v) for k, v in re.findall(r"([A-Za-z_]\w*)\s*=\s*([-+0-9.eE]+)", origin)}


def _points_on(cond: Any, num: Numerics, tag: str) -> list[np.ndarray]:
    """Points in the ranges on the zero sets of the equalities in `cond` (or random points when
    it has none): along LINES random lines parallel to each parameter axis, sign changes of
    ``lhs - rhs`` refined by 60 bisection steps."""
    eqs = [e for e in sympy.preorder_traversal(cond) if isinstance(e, sympy.Equality)]
    if not eqs:
        return num.sample(N_POINTS, tag)
    rng = random.Random(f"{num.entry.name}:{tag}")
    names = [p.name for p in num.model.parameters]
    found: list[list[float]] = []
    grid = 400
    for e in eqs:
        g = e.lhs - e.rhs
        for j, name in enumerate(names):
            lo, hi = num.entry.ranges[name]
            for _ in range(LINES):
                base = [rng.uniform(*num.entry.ranges[n]) for n in names]
                ts = np.linspace(lo, hi, grid)
                cols = [np.full(grid, b, dtype=complex) for b in base]
                cols[j] = ts.astype(complex)
                gv = values(g, num.params, cols)
                gr = np.where(np.abs(gv.imag) <= 1e-9 * (1 + np.abs(gv.real)), gv.real, np.nan)
                idx = np.flatnonzero(np.sign(gr[:-1]) * np.sign(gr[1:]) < 0)
                if not idx.size:
                    continue
                a, b = ts[idx], ts[idx + 1]
                ga = gr[idx]
                for _ in range(60):
                    m = (a + b) / 2
                    c2 = [np.full(m.size, v, dtype=complex) for v in base]
                    c2[j] = m.astype(complex)
                    gm = values(g, num.params, c2).real
                    left = np.sign(gm) == np.sign(ga)
                    a, ga = np.where(left, m, a), np.where(left, gm, ga)
                    b = np.where(left, b, m)
                for r in (a + b) / 2:
                    pt = list(base)
                    pt[j] = float(r)
                    found.append(pt)
    return [np.array([p[k] for p in found], dtype=complex) for k in range(len(names))]


def _criticality(bc: Any, subs: Mapping[Any, Any]) -> tuple[str | None, str]:
    """What `bc` says at `subs`: "supercritical", "subcritical", "degenerate", None (not said),
    or "inconsistent" (its flag and its coefficient's sign disagree there).

    Reads `coefficient` (an object with `.value`, `.degenerate`, `.origin`), the older
    `lyapunov_coefficient` (an expression) and the `supercritical` flag (a Boolean in the
    parameters). A numerical coefficient counts only when its `origin` names parameter values
    equal to `subs` (harness uncertainty: the origin text is parsed by a regular expression).
    """
    coef = getattr(bc, "coefficient", None)
    raw = getattr(coef, "value", None) if coef is not None else None
    if raw is None:
        raw = getattr(bc, "lyapunov_coefficient", None)
    flag = getattr(bc, "supercritical", None)
    origin = str(getattr(coef, "origin", ""))
    detail = f"coefficient={raw!s:.80} ({origin[:80]}), supercritical={flag!s:.80}"
    value: complex | None = None
    if isinstance(raw, float):
        # Parameters fixed by the bifurcation condition (`on`) need not be named in `origin`.
        at = _origin_point(origin)
        names = {str(k): complex(sympy.N(v)) for k, v in subs.items()}
        fixed = {str(k) for k in (getattr(bc, "on", None) or {})}
        if any(n not in at and n not in fixed for n in names) or any(
            k in names and not _close(v, names[k], 1e-6) for k, v in at.items()
        ):
            return None, detail + " (numerical coefficient, not at these parameters)"
        value = complex(raw)
        if getattr(coef, "degenerate", None) is True:
            return "degenerate", detail
    elif raw is not None:
        value = exact_number(raw, subs)
        if np.isfinite(value) and abs(value) <= 1e-25:
            return "degenerate", detail
    by_sign = None
    if value is not None and np.isfinite(value) and abs(value.imag) <= 1e-20:
        by_sign = "supercritical" if value.real * SUPERCRITICAL_SIGN[bc.kind] > 0 else "subcritical"
    by_flag = None
    if flag is not None:
        t = exact_truth(sympy.sympify(flag, strict=True), subs)
        by_flag = None if t is None else ("supercritical" if t else "subcritical")
    if by_flag and by_sign and by_flag != by_sign:
        return "inconsistent", detail
    said = by_flag or by_sign
    return said, detail + ("" if said else " (no criticality given, or undecidable there)")


@pytest.mark.parametrize("name", _params(lambda e: any(b.critical for b in e.bifs)))
def test_criticality(name: str, runs: dict[str, ModelRun]) -> None:
    """Hopf / flip / Neimark-Sacker criticality at literature points."""
    entry = corpus.by_name(name)
    run = _run(runs, name)
    _eqs_or_fail(run)
    problems = []
    for b in entry.bifs:
        cands, _ = _bif_candidates(run, b.kind)
        for params, expected in b.critical:
            subs = psubs(run.model, params)
            here = [bc for _, bc in cands if exact_truth(bc.condition, subs) is True]
            if not here:
                problems.append(f"{b.kind} at {_fmt(params)}: no returned condition holds there")
                continue
            said = [_criticality(bc, subs) for bc in here]
            unclaimed = all(
                s is None and bc.coefficient is not None and not bc.coefficient.closed_form
                for (s, _), bc in zip(said, here, strict=True)
            )
            if unclaimed:
                # A numerical coefficient at another point of the set makes no claim here
                # (supercritical is None): no answer, never a wrong one.
                continue
            if not any(s == expected for s, _ in said):
                problems.append(
                    f"{b.kind} at {_fmt(params)}: engine says {[s for s, _ in said]}, literature: "
                    f"{expected} ({b.source}); {said[0][1]}"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", _params(lambda e: e.thresholds))
def test_thresholds(name: str, runs: dict[str, ModelRun]) -> None:
    """The literature's threshold value is among ig.threshold's values at 20 random points."""
    entry = corpus.by_name(name)
    run = _run(runs, name)
    _eqs_or_fail(run)
    num = numerics(name, run.model)
    pcols = num.sample(20, "threshold")
    names = model_names(run)
    problems = []
    for k, fact in enumerate(entry.thresholds):
        rec = run.thresholds.get(k)
        if rec is None or rec.status != "ok":
            problems.append(
                f"threshold in {fact.parameter}: {rec.brief() if rec else 'not called'}"
            )
            continue
        sols = [values(s.value, num.params, pcols) for s in rec.value]
        for j in range(len(pcols[0])):
            want = fact.value({n: c[j].real for n, c in zip(names, pcols, strict=True)})
            if not any(abs(s[j] - want) <= 1e-8 * (1 + abs(want)) for s in sols):
                problems.append(
                    f"threshold in `{fact.parameter}`: {want:.6g} expected ({fact.source}) at "
                    f"{_cols_point(pcols, names, j)}; returned {[str(s.value) for s in rec.value]}"
                )
                break
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", _params(lambda e: e.thresholds))
def test_threshold_values_are_boundaries(name: str, runs: dict[str, ModelRun]) -> None:
    """Soundness of ig.threshold: at every returned value (real, in the parameter's range,
    the equilibrium existing and valid there) some eigenvalue is critical (on the imaginary
    axis or the unit circle), at 20 random points of the other parameters."""
    entry = corpus.by_name(name)
    run = _run(runs, name)
    eqs = _eqs_or_fail(run)
    num = numerics(name, run.model)
    names = model_names(run)
    problems = []
    for k, fact in enumerate(entry.thresholds):
        rec = run.thresholds.get(k)
        if rec is None or rec.status != "ok":
            continue  # reported by test_thresholds
        i = _select(eqs, run.model, fact.at, fact.state)
        assert i is not None
        eq = list(eqs)[i]
        j = names.index(fact.parameter)
        lo, hi = entry.ranges[fact.parameter]
        for sol in rec.value:
            pcols = num.sample(20, f"boundary:{k}")
            val = values(sol.value, num.params, pcols)
            keep = np.flatnonzero(
                (np.abs(val.imag) <= 1e-9 * (1 + np.abs(val.real)))
                & (val.real > lo)
                & (val.real < hi)
            )
            if not keep.size:
                continue
            cols = [c[keep] for c in pcols]
            cols[j] = val[keep].real.astype(complex)
            ex, ex_near = truth(eq.exists, num.params, cols)
            v = eq_values(eq, num, cols)
            ok, _ = num.check_points(v, cols)
            where = np.flatnonzero((ex == 1) & ok & ~ex_near)
            if not where.size:
                continue
            sel = [c[where] for c in cols]
            lam = num.eigenvalues(v[:, where], sel)
            scale = 1 + np.abs(lam).max(axis=1)
            d = (
                np.abs(lam.real).min(axis=1)
                if run.model.time == "continuous"
                else np.abs(np.abs(lam) - 1).min(axis=1)
            ) / scale
            bad = np.flatnonzero(~(d <= 1e-6))
            if bad.size:
                b = int(bad[0])
                problems.append(
                    f"threshold {fact.parameter} = {sol.value} of eq {i}: no critical eigenvalue at "
                    f"{bad.size}/{where.size} points, e.g. {_cols_point(sel, names, b)}: "
                    f"eigenvalues {np.round(lam[b], 4).tolist()}"
                )
    assert not problems, "\n".join(problems)


def _critical_distance(kind: str, lam: np.ndarray, time_: str) -> np.ndarray:
    """How far each row of eigenvalues is from the critical spectrum of `kind` (relative)."""
    scale = 1 + np.abs(lam).max(axis=1)
    if kind in ("fold", "transcritical", "pitchfork", "branch"):
        target = 0.0 if time_ == "continuous" else 1.0
        return np.abs(lam - target).min(axis=1) / scale
    if kind == "flip":
        return np.abs(lam + 1).min(axis=1) / scale
    pair = np.where(np.abs(lam.imag) > 1e-9 * scale[:, None], lam, np.nan)
    with np.errstate(invalid="ignore"):
        d = np.abs(pair.real) if kind == "hopf" else np.abs(np.abs(pair) - 1)
        return (
            np.where(
                np.all(np.isnan(d), axis=1), np.inf, np.nanmin(np.nan_to_num(d, nan=np.inf), axis=1)
            )
            / scale
        )


@pytest.mark.parametrize("name", _params())
def test_bifurcation_conditions_are_critical(name: str, runs: dict[str, ModelRun]) -> None:
    """Soundness of every returned bifurcation condition: at points found on its equality set
    (in the ranges, where the condition holds and the equilibrium exists and is valid), the
    Jacobian has the critical spectrum of its kind (eigenvalue 0 / 1 for the fold family, -1
    for flip, a non-real pair on the imaginary axis for Hopf, on the unit circle for
    Neimark-Sacker)."""
    run = _run(runs, name)
    eqs = _eqs_or_fail(run)
    num = numerics(name, run.model)
    names = model_names(run)
    problems = []
    known = ("fold", "transcritical", "pitchfork", "branch", "flip", "hopf", "neimark_sacker")
    for i, rec in sorted(run.bifs.items()):
        if rec.status != "ok":
            continue
        eq = list(eqs)[i]
        for bc in rec.value:
            if bc.kind not in known or eq.free:
                continue
            if not any(
                isinstance(e, sympy.Equality) for e in sympy.preorder_traversal(bc.condition)
            ):
                continue
            pts = _points_on(bc.condition, num, f"critical:{i}:{bc.kind}")
            if not pts or not pts[0].size:
                continue
            t, _ = truth(bc.condition, num.params, pts)
            ex, ex_near = truth(eq.exists, num.params, pts)
            v = eq_values(eq, num, pts)
            ok, _ = num.check_points(v, pts)
            where = np.flatnonzero((t == 1) & (ex == 1) & ok & ~ex_near)
            if not where.size:
                continue
            sel = [c[where] for c in pts]
            lam = num.eigenvalues(v[:, where], sel)
            d = _critical_distance(bc.kind, lam, run.model.time)
            bad = np.flatnonzero(~(d <= 1e-6))
            if bad.size:
                k = int(bad[0])
                problems.append(
                    f"eq {i} `{bc.kind}` {str(bc.condition)[:100]}: at {bad.size}/{where.size} "
                    f"points on it the spectrum is not critical, e.g. "
                    f"{_cols_point(sel, names, k)}: eigenvalues {np.round(lam[k], 4).tolist()}"
                )
    assert not problems, "\n".join(problems)


def test_harness_refutes_wrong_answers() -> None:
    """The checks fail on answers known to be wrong (issue 10's first defect, hand-made)."""
    from types import SimpleNamespace

    name = "cube_root"
    model = corpus.by_name(name).build()
    (x,) = model.states
    (a,) = model.parameter_symbols
    w = sympy.exp(2 * sympy.pi * sympy.I / 3)
    cube = sympy.Pow(a, sympy.Rational(1, 3))
    roots = [cube, w * cube, w**2 * cube]  # principal-branch Cardano: two complex for all a
    wrong = ig.EquilibriumSet(
        tuple(ig.Equilibrium(point={x: r}, exists=sympy.true) for r in roots), model=model
    )
    ok = lambda v: CallRecord("x", 0.0, "ok", v)  # noqa: E731
    run = ModelRun(name, model, [ok(wrong)], wrong)
    run.stability = {i: ok(SimpleNamespace(condition=a < 0)) for i in range(3)}
    run.bifs = {0: ok([SimpleNamespace(kind="pitchfork", condition=sympy.Eq(a, 0))])}
    runs = {name: run}
    for check in (test_existence_and_stability, test_literature_equilibria, test_bifurcations):
        with pytest.raises(AssertionError):
            check(name, runs)
    # complete=True with the real root missing for a < 0 (only the principal root kept).
    missing = ig.EquilibriumSet((ig.Equilibrium(point={x: cube}, exists=a > 0),), model=model)
    with pytest.raises(AssertionError, match="not returned"):
        test_complete(name, {name: ModelRun(name, model, [ok(missing)], missing)})
    # ... and the same set passes once the real root's existence says so.
    real = ig.EquilibriumSet(
        (
            ig.Equilibrium(point={x: cube}, exists=a > 0),
            ig.Equilibrium(point={x: -sympy.Pow(-a, sympy.Rational(1, 3))}, exists=a < 0),
        ),
        model=model,
    )
    test_complete(name, {name: ModelRun(name, model, [ok(real)], real)})
