"""Exact certificates: whether two conditions on parameters are equivalent over a domain.

Where both conditions are semi-algebraic (Boolean combinations of polynomial or rational
comparisons), their equivalence over the parameter domain is a sentence of the first-order
theory of the reals, which is decidable (Tarski; in practice cylindrical algebraic
decomposition, as in z3's ``nlsat`` procedure). :func:`equivalence` asks z3 whether a point of
the domain exists where exactly one of the two conditions holds:

* ``proved``: no such point (unsat), the conditions are equivalent on the whole domain;
* ``disproved``: z3 found one; the witness is substituted back into both conditions exactly
  (sympy rationals) and reported;
* ``spot-checked``: a term is not polynomial or rational (a square root, an exponential, a
  symbolic power), or z3 did not answer within the budget; the two conditions are then compared
  at ``N`` exact rational points of the domain, and the certificate says ``N``. A disagreement
  found there is a ``disproved`` with that witness.

Rational terms are made polynomial with sign care: a comparison ``p/q > 0`` becomes
``p*q > 0`` together with ``q != 0`` (multiplying by ``q**2 > 0`` keeps the direction); points
where a denominator vanishes are outside the comparison and left out of the domain searched,
and the certificate says so.

The z3 query runs with z3's own timeout and inside
:func:`incentive_geometry.solvers.symbolic.budget.run_bounded`, so a hard query cannot hang the
caller.

References
----------
.. [1] A. Tarski, A Decision Method for Elementary Algebra and Geometry, RAND (1948).
.. [2] D. Jovanovic and L. de Moura, Solving non-linear arithmetic, IJCAR 2012, LNCS 7364,
   339-354.
.. [3] L. de Moura and N. Bjorner, Z3: an efficient SMT solver, TACAS 2008, LNCS 4963,
   337-340.

Examples
--------
>>> import sympy
>>> from incentive_geometry.solvers.symbolic.certificates import equivalence
>>> a, b = sympy.symbols("a b", real=True)
>>> equivalence(a * b > 0, (a > 0) & (b > 0) | (a < 0) & (b < 0), {a: (-1, 1), b: (-1, 1)}).status
'proved'
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy.core.relational import Relational

from incentive_geometry.errors import ModelError

from .budget import run_bounded

__all__ = ["STATUSES", "Certificate", "equivalence"]

#: The outcomes of a certificate.
STATUSES = ("proved", "disproved", "spot-checked")

Bound = tuple[Any, Any]


@dataclass(frozen=True)
class Certificate:
    """The outcome of :func:`equivalence`.

    Attributes
    ----------
    status : {"proved", "disproved", "spot-checked"}
    detail : str
        What was decided and how (the solver, the domain, the reason for a spot check).
    witness : dict of str to sympy Rational, or None
        ``disproved``: a point of the domain where exactly one condition holds.
    witness_checked : bool
        Whether substituting the witness exactly confirmed the disagreement.
    points : int
        ``spot-checked``: the number of exact rational points compared.
    seconds : float

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.certificates import Certificate
    >>> Certificate("proved", "unsat").proved
    True
    """

    status: str
    detail: str
    witness: dict[str, Any] | None = None
    witness_checked: bool = False
    points: int = 0
    seconds: float = 0.0
    excluded: tuple[str, ...] = field(default_factory=tuple)

    @property
    def proved(self) -> bool:
        """Whether equivalence was proved."""
        return self.status == "proved"

    def summary(self) -> str:
        """One line: the status with its witness or point count.

        Examples
        --------
        >>> from incentive_geometry.solvers.symbolic.certificates import Certificate
        >>> Certificate("spot-checked", "sqrt", points=200).summary()
        'spot-checked (200 points)'
        """
        if self.status == "spot-checked":
            return f"spot-checked ({self.points} points)"
        if self.status == "disproved" and self.witness is not None:
            shown = ", ".join(f"{k} = {v}" for k, v in self.witness.items())
            return f"disproved (witness {shown})"
        return self.status


class _NotAlgebraic(Exception):
    """A term that is not a polynomial or a rational function of the parameters."""


class _Translator:
    """sympy Boolean / relational with polynomial and rational terms -> z3 over the reals."""

    def __init__(self, z3: Any, symbols: Iterable[sympy.Symbol]) -> None:
        self.z3 = z3
        self.vars = {s: z3.Real(s.name) for s in symbols}
        self.denominators: list[Any] = []

    def poly(self, expr: Any) -> Any:
        z3 = self.z3
        if expr.is_Symbol:
            if expr not in self.vars:
                self.vars[expr] = z3.Real(expr.name)
            return self.vars[expr]
        if expr.is_Rational:
            return z3.RealVal(f"{expr.p}/{expr.q}")
        if expr.is_Float:
            r = sympy.Rational(expr)  # the exact binary value of the float
            return z3.RealVal(f"{r.p}/{r.q}")
        if expr.is_Add:
            return z3.Sum([self.poly(t) for t in expr.args])
        if expr.is_Mul:
            return z3.Product([self.poly(t) for t in expr.args])
        if expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
            base = self.poly(expr.base)
            out = z3.RealVal(1)
            for _ in range(int(expr.exp)):
                out = out * base
            return out
        raise _NotAlgebraic(f"{expr} is not a polynomial term")

    def relation(self, rel: Relational) -> Any:
        # lhs - rhs = p/q: compare p*q with 0 (the sign of p/q), with q != 0 recorded.
        num, den = sympy.fraction(sympy.together(rel.lhs - rel.rhs))
        p = self.poly(sympy.expand(num))
        if den.is_number:
            if den == 0:
                raise _NotAlgebraic(f"{rel} divides by zero")
            s = p if den > 0 else -p
        else:
            q = self.poly(sympy.expand(den))
            self.denominators.append((den, q))
            s = p * q
        op = rel.rel_op
        if op in ("==", "!="):
            return (p == 0) if op == "==" else (p != 0)
        return {"<": s < 0, "<=": s <= 0, ">": s > 0, ">=": s >= 0}[op]

    def boolean(self, cond: Any) -> Any:
        z3 = self.z3
        if cond is sympy.true or cond is True:
            return z3.BoolVal(True)
        if cond is sympy.false or cond is False:
            return z3.BoolVal(False)
        if isinstance(cond, Relational):
            return self.relation(cond)
        if isinstance(cond, sympy.And):
            return z3.And([self.boolean(a) for a in cond.args])
        if isinstance(cond, sympy.Or):
            return z3.Or([self.boolean(a) for a in cond.args])
        if isinstance(cond, sympy.Not):
            return z3.Not(self.boolean(cond.args[0]))
        if isinstance(cond, sympy.Implies):
            return z3.Implies(self.boolean(cond.args[0]), self.boolean(cond.args[1]))
        if isinstance(cond, sympy.Equivalent):
            parts = [self.boolean(a) for a in cond.args]
            return z3.And([parts[0] == p for p in parts[1:]])
        if isinstance(cond, sympy.Xor):
            return z3.Xor(self.boolean(cond.args[0]), self.boolean(sympy.Xor(*cond.args[1:])))
        raise _NotAlgebraic(f"{type(cond).__name__} is not a Boolean of comparisons")


def _bound_conditions(domain: Mapping[Any, Bound]) -> list[Any]:
    out = []
    for sym, (lo, hi) in domain.items():
        if lo is not None:
            out.append(sym >= sympy.nsimplify(lo, rational=True))
        if hi is not None:
            out.append(sym <= sympy.nsimplify(hi, rational=True))
    return out


def _truth(cond: Any, subs: Mapping[Any, Any]) -> bool | None:
    try:
        value = cond.xreplace(subs) if isinstance(cond, sympy.Basic) else cond
        value = (
            sympy.simplify(value)
            if not isinstance(value, bool | sympy.logic.boolalg.BooleanAtom)
            else value
        )
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if value in (sympy.true, True):
        return True
    if value in (sympy.false, False):
        return False
    return None


def _spot(
    a: Any,
    b: Any,
    symbols: list[Any],
    domain: Mapping[Any, Bound],
    assumptions: list[Any],
    points: int,
    seed: int,
    why: str,
    started: float,
    positive: tuple[Any, ...] = (),
    deadline: float = float("inf"),
) -> Certificate:
    """Compare at exact rational points of the domain (``spot-checked``, or ``disproved``)."""
    rng = random.Random(seed)
    compared = 0
    out_of_time = False
    for _ in range(20 * points):
        if compared >= points:
            break
        if time.perf_counter() > deadline:
            out_of_time = True  # exact substitution into large expressions is slow: bounded too
            break
        subs = {}
        for s in symbols:
            lo, hi = domain.get(s, (None, None))
            lo_r = sympy.Rational(0) if lo is None else sympy.nsimplify(lo, rational=True)
            hi_r = lo_r + 3 if hi is None else sympy.nsimplify(hi, rational=True)
            subs[s] = lo_r + (hi_r - lo_r) * sympy.Rational(rng.randint(1, 9999), 10000)
        if not all(_truth(c, subs) for c in assumptions) or any(
            (s.is_positive or s in positive) and subs[s] <= 0 for s in symbols
        ):
            continue
        ta, tb = _truth(a, subs), _truth(b, subs)
        if ta is None or tb is None:
            continue
        compared += 1
        if ta != tb:
            return Certificate(
                "disproved",
                f"{why}; at a spot-check point one condition holds and the other does not",
                {str(k): v for k, v in subs.items()},
                True,
                compared,
                time.perf_counter() - started,
            )
    return Certificate(
        "spot-checked",
        f"{why}; the conditions agree at {compared} exact rational points of the domain "
        + (f"(of {points} asked, stopped by the time budget) " if out_of_time else "")
        + "(not a proof)",
        points=compared,
        seconds=time.perf_counter() - started,
    )


def _decide(
    a: Any,
    b: Any,
    symbols: list[Any],
    domain: Mapping[Any, Bound],
    assumptions: list[Any],
    timeout: float,
    strict: frozenset[Any],
    *,
    budget: Any,
) -> tuple[str, dict[str, str] | None, str, tuple[str, ...]]:
    """The z3 query, in the bounded child: ('unsat' | 'sat' | 'unknown', model, reason)."""
    import z3

    budget.check("translate the conditions to z3")
    tr = _Translator(z3, symbols)
    try:
        za, zb = tr.boolean(a), tr.boolean(b)
        zdom = [tr.boolean(c) for c in (*_bound_conditions(domain), *assumptions)]
    except _NotAlgebraic as err:
        return "unknown", None, f"not semi-algebraic: {err}", ()
    dens = tuple(sympy.sstr(d) for d, _ in tr.denominators)
    # The symbols' own sympy assumptions are part of what the conditions mean (sympy already
    # simplifies `c > 0` to True for a positive `c`), so they bound the search too.
    for sym, var in tr.vars.items():
        if sym.is_positive or sym in strict:
            zdom.append(var > 0)
        elif sym.is_nonnegative:
            zdom.append(var >= 0)
        elif sym.is_negative:
            zdom.append(var < 0)
        elif sym.is_nonpositive:
            zdom.append(var <= 0)
    solver = z3.SolverFor("QF_NRA")
    solver.set("timeout", max(1, int(1000 * timeout)))
    solver.add(*zdom)
    solver.add(*[q != 0 for _, q in tr.denominators])
    solver.add(z3.Xor(za, zb))
    budget.check("z3 (QF_NRA) decides the equivalence")
    answer = solver.check()
    if answer == z3.unsat:
        return "unsat", None, "", dens
    if answer == z3.sat:
        model = solver.model()
        values: dict[str, str] = {}
        for sym, var in tr.vars.items():
            v = model.eval(var, model_completion=True)
            if z3.is_rational_value(v):
                values[sym.name] = f"{v.numerator_as_long()}/{v.denominator_as_long()}"
            else:  # an algebraic number: a 40-digit rational approximation
                values[sym.name] = "approx:" + v.approx(40).as_decimal(40).rstrip("?")
        return "sat", values, "", dens
    return "unknown", None, f"z3 answered unknown ({solver.reason_unknown()})", dens


def equivalence(
    a: Any,
    b: Any,
    domain: Mapping[Any, Bound],
    *,
    assumptions: Iterable[Any] = (),
    positive: Iterable[Any] = (),
    timeout: float = 10.0,
    points: int = 200,
    seed: int = 0,
) -> Certificate:
    """Decide whether conditions `a` and `b` are equivalent at every point of `domain`.

    Parameters
    ----------
    a, b : sympy Boolean
        Conditions on real parameters (relations joined by and / or / not).
    domain : mapping of sympy Symbol to (lo, hi)
        The closed box; ``None`` for an unbounded side. Symbols of `a` and `b` not in it range
        over all reals.
    assumptions : iterable of sympy Boolean
        Further conditions restricting the domain (e.g. ``a < b``).
    positive : iterable of sympy Symbol
        Symbols that are strictly positive (a symbol declared ``positive=True`` in sympy is so
        anyway, as are the signs sympy's assumptions give other symbols).
    timeout : float
        Seconds for the z3 query (z3's own limit and the process budget, with a margin of 5 s);
        the spot check, when needed, gets as much again.
    points : int
        Rational points of the spot check, when exactness is not available.
    seed : int
        Seed of the spot-check points.

    Returns
    -------
    Certificate

    Raises
    ------
    ModelError
        For bad arguments.

    References
    ----------
    .. [1] D. Jovanovic and L. de Moura, Solving non-linear arithmetic, IJCAR 2012.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.certificates import equivalence
    >>> t, c = sympy.symbols("theta c", real=True)
    >>> box = {t: (0, 1), c: (0, 2)}
    >>> equivalence(t * c > 1 - t, t > 1 / (1 + c), box, positive=[c]).status
    'proved'
    >>> cert = equivalence(t * c > 1 - t, t > 1 / (1 + 1.01 * c), box, positive=[c])
    >>> cert.status, cert.witness_checked
    ('disproved', True)
    >>> equivalence(sympy.sqrt(t) > c, t > c**2, box, positive=[c], points=50).summary()
    'spot-checked (50 points)'
    """
    started = time.perf_counter()
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ModelError(f"`timeout` must be a positive number of seconds, got {timeout!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ModelError(f"`points` must be a positive int, got {points!r}; e.g. points=200")
    try:
        a = sympy.sympify(a, strict=True)
        b = sympy.sympify(b, strict=True)
    except sympy.SympifyError as err:
        raise ModelError(
            f"`a` and `b` must be sympy conditions, got {a!r:.40} and {b!r:.40}; build them "
            "with sympy or parse them with incentive_geometry.language.parse_condition"
        ) from err
    if not isinstance(a, sympy.logic.boolalg.Boolean) or not isinstance(
        b, sympy.logic.boolalg.Boolean
    ):
        raise ModelError(f"`a` and `b` must be conditions (comparisons), got {a} and {b}")
    assumptions = [
        c for c in (sympy.sympify(c, strict=True) for c in assumptions) if c is not sympy.true
    ]
    positive = tuple(positive)
    dom = {}
    for sym, bounds in domain.items():
        if not isinstance(sym, sympy.Symbol):
            raise ModelError(f"`domain` keys must be sympy Symbols, got {sym!r:.40}")
        lo, hi = bounds
        dom[sym] = (lo, hi)
    symbols = sorted(
        a.free_symbols
        | b.free_symbols
        | set(dom)
        | {s for c in assumptions for s in c.free_symbols},
        key=lambda s: s.name,
    )
    try:
        answer, model, why, dens = run_bounded(
            _decide,
            a,
            b,
            symbols,
            dom,
            assumptions,
            timeout,
            frozenset(positive),
            timeout=timeout + 5.0,
            what="z3 equivalence of two conditions",
            partial_result=lambda _snap, step: ("unknown", None, f"out of time at {step}", ()),
        )
    except Exception as err:  # z3 refusing a term, a crashed child: fall back to spot checks
        answer, model, why, dens = "unknown", None, f"z3 failed: {type(err).__name__}: {err}", ()
    where = "over the domain " + (
        ", ".join(
            f"{s} in [{'-oo' if lo is None else lo}, {'oo' if hi is None else hi}]"
            for s, (lo, hi) in dom.items()
        )
        or "of all reals"
    )
    signs = [
        f"{s} > 0" if s.is_positive or s in positive else f"{s} >= 0"
        for s in symbols
        if s.is_positive or s in positive or s.is_nonnegative
    ]
    if assumptions or signs:
        where += " with " + ", ".join([*signs, *(sympy.sstr(c) for c in assumptions)])
    if dens:
        where += "; points where a denominator vanishes (" + ", ".join(dens) + ") left out"
    if answer == "unsat":
        return Certificate(
            "proved",
            f"z3 (QF_NRA): no point where exactly one holds {where}",
            seconds=time.perf_counter() - started,
            excluded=tuple(dens),
        )
    if answer == "sat" and model is not None:
        subs: dict[Any, Any] = {}
        for s in symbols:
            text = model.get(s.name, "0")
            subs[s] = (
                sympy.Rational(text[len("approx:") :])
                if text.startswith("approx:")
                else sympy.Rational(text)
            )
        ta, tb = _truth(a, subs), _truth(b, subs)
        checked = ta is not None and tb is not None and ta != tb
        return Certificate(
            "disproved",
            f"z3 (QF_NRA) found a point where exactly one holds {where}"
            + (
                "; checked by exact substitution"
                if checked
                else "; the substitution check could not confirm it (an algebraic witness, rounded)"
            ),
            {s.name: v for s, v in subs.items()},
            checked,
            seconds=time.perf_counter() - started,
            excluded=tuple(dens),
        )
    # The spot check gets the same budget again (so the whole call ends within about twice it).
    deadline = time.perf_counter() + timeout + 5.0
    return _spot(a, b, symbols, dom, assumptions, points, seed, why, started, positive, deadline)
