"""Conditions in the parameters: signs under the parameters' domains, readable relations.

Symbolic results are *generic*: they hold for parameters in the interior of their domains
(``theta`` in the open interval ``(0, 1)``, a ``nonnegative`` parameter taken positive), up to
the measure-zero set where a parameter sits on its domain boundary. Under that reading a factor
such as ``1 - theta`` or ``gamma`` has a known sign and drops out of an inequality, so that
``alpha*(1 - theta)*x < 0`` becomes ``x < 0``.

Examples
--------
>>> import sympy
>>> from incentive_geometry.solvers.symbolic.conditions import normalize_relation
>>> a, t = sympy.Symbol("a", positive=True), sympy.Symbol("t", nonnegative=True)
>>> normalize_relation(sympy.Lt(a*(t - 2), 0), {})
t < 2
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy

from incentive_geometry.model import Domain, Model

__all__ = [
    "ZeroTest",
    "definition_conditions",
    "domain_map",
    "expression_size",
    "generic_sign",
    "interior_substitution",
    "normalize_relation",
    "real_root",
    "refine_abs",
    "satisfiable",
    "simplify_condition",
    "strict",
]

# Expressions larger than this are not factored: factoring cost grows fast with size.
_FACTOR_OPS_LIMIT = 200
# Sign decisions through the interior substitution factor only expressions below this size.
_SIGN_FACTOR_LIMIT = 60
# Signs are decided only for expressions below this size.
_SIGN_SIZE_LIMIT = 400
# Relations larger than this (or in more symbols than _FACTOR_SYMBOLS) are not factored.
_LIGHT_LIMIT = 300
# The interior substitution is tried on factors in at most this many symbols.
_INTERIOR_SYMBOLS = 4
# Sides of a relation are printed factored below this size.
_SIDE_FACTOR_LIMIT = 60
# Full factorization only of expressions in at most this many symbols.
_FACTOR_SYMBOLS = 8

_REL_OPS: dict[type, str] = {
    sympy.StrictLessThan: "<",
    sympy.LessThan: "<=",
    sympy.StrictGreaterThan: ">",
    sympy.GreaterThan: ">=",
    sympy.Equality: "==",
    sympy.Unequality: "!=",
}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def expression_size(expr: Any, limit: int = 10**9) -> int:
    """Number of nodes of an expression tree, counted up to `limit` (a cheap size measure).

    Parameters
    ----------
    expr : sympy.Basic
    limit : int
        Counting stops past this many nodes.

    Returns
    -------
    int

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.conditions import expression_size
    >>> x, y = sympy.symbols("x y")
    >>> expression_size(x*y + 1)
    5
    """
    count = 0
    stack = [strict(expr)]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        stack.extend(node.args)
    return count


def strict(value: Any) -> Any:
    """A number or sympy object as a sympy object; text is refused (never parsed).

    Parameters
    ----------
    value : int, float, Fraction, sympy.Basic

    Returns
    -------
    sympy.Basic

    Raises
    ------
    sympy.SympifyError
        For text or any other object sympy would have to parse.

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.conditions import strict
    >>> strict(3)
    3
    >>> strict("x + 1")
    Traceback (most recent call last):
    ...
    sympy.core.sympify.SympifyError: SympifyError: 'x + 1'
    """
    return sympy.sympify(value, strict=True)


# Random points for zero tests (Schwartz-Zippel: a nonzero polynomial of degree d vanishes at a
# random point of a grid of side ~10^4 with probability <= d/10^4).
_ZERO_POINTS = 2
# A point where the expression is undefined (a pole, 0/0, log of a negative number, a real
# expression that is complex there) is redrawn, at most this many times for each point.
_ZERO_REDRAWS = 40
# Zero tests are confirmed exactly (cancel) below this size, for rational functions.
_CONFIRM_LIMIT = 80
# Digits for evaluating non-rational sample values, and the magnitude below which one is zero.
_ZERO_DIGITS = 60
_ZERO_EPS = 1e-40


class _NotRational(Exception):
    """An expression node outside the rational functions (a radical, a function call)."""


def _exact_rational(expr: Any, values: Mapping[Any, Fraction]) -> Fraction:
    """`expr`, a rational function, at `values`, in exact Python fractions.

    Far cheaper than ``expr.xreplace(values)``, which builds and auto-simplifies a sympy
    object at every node. Shared subexpressions are evaluated once.

    Raises
    ------
    _NotRational
        If `expr` has a node other than a sum, product, integer power, rational or symbol.
    ZeroDivisionError
        If a denominator vanishes at `values` (the expression is undefined there).
    """
    memo: dict[Any, Fraction] = {}

    def ev(node: Any) -> Fraction:
        got = memo.get(node)
        if got is not None:
            return got
        if node.is_Symbol:
            if node not in values:
                raise _NotRational
            out = values[node]
        elif node.is_Rational:
            out = Fraction(int(node.p), int(node.q))
        elif node.is_Add:
            out = sum((ev(a) for a in node.args), Fraction(0))
        elif node.is_Mul:
            out = Fraction(1)
            for a in node.args:
                out *= ev(a)
        elif node.is_Pow and node.exp.is_Integer:
            base, k = ev(node.base), int(node.exp)
            if abs(k) > 4096:
                raise _NotRational  # a huge power: let sympy decide
            out = base**k
        else:
            raise _NotRational
        memo[node] = out
        return out

    return ev(expr)


# The prime of the modular zero test of rational functions (a Mersenne prime near 2.3e18).
_PRIME = 2**61 - 1


def _modular_value(expr: Any, values: Mapping[Any, int]) -> int:
    """`expr`, a rational function, at `values` (residues), modulo :data:`_PRIME`.

    Raises
    ------
    _NotRational
        If `expr` has a node other than a sum, product, integer power, rational or symbol.
    ZeroDivisionError
        If a denominator vanishes modulo the prime at `values`.
    """
    memo: dict[Any, int] = {}
    prime = _PRIME

    def ev(node: Any) -> int:
        got = memo.get(node)
        if got is not None:
            return got
        if node.is_Symbol:
            out = values[node]
        elif node.is_Rational:
            q = int(node.q) % prime
            if q == 0:
                raise _NotRational
            out = int(node.p) * pow(q, -1, prime) % prime
        elif node.is_Add:
            out = sum(ev(a) for a in node.args) % prime
        elif node.is_Mul:
            out = 1
            for a in node.args:
                out = out * ev(a) % prime
        elif node.is_Pow and node.exp.is_Integer:
            base, k = ev(node.base), int(node.exp)
            if k < 0:
                if base == 0:
                    raise ZeroDivisionError
                base, k = pow(base, -1, prime), -k
            out = pow(base, k, prime)
        else:
            raise _NotRational
        memo[node] = out
        return out

    return ev(expr)


def _rational_values(values: Mapping[Any, Any]) -> dict[Any, Fraction] | None:
    out: dict[Any, Fraction] = {}
    for k, v in values.items():
        v = strict(v)
        if not v.is_Rational:
            return None
        out[k] = Fraction(int(v.p), int(v.q))
    return out


class ZeroTest:
    """Is an expression identically zero, as a function of the parameters (and unknowns)?

    The one zero test of the symbolic engine. An expression is evaluated exactly at random
    rational points inside the parameter domains: a nonzero value proves "not zero"; zero at
    every point means zero with probability one (Schwartz-Zippel), and a small rational
    function is confirmed by :func:`sympy.cancel`. Values that are not rational (radicals) are
    evaluated to 60 digits and count as zero below 1e-40. A point where the expression is
    undefined (division by zero, ``nan``, or a complex value of an expression written without
    ``I``: outside its real domain, where principal branches break real identities) proves
    nothing: it is redrawn; when no defined point is found, the question is decided exactly
    (:func:`sympy.simplify`), or, for a large expression, answered "not zero" and recorded in
    ``undecided`` (the caller flags its result incomplete).

    Parameters
    ----------
    domains : mapping of Symbol to Domain
        Where each parameter lives.
    seed : int
        Seed of the random points (results are reproducible).

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.conditions import ZeroTest
    >>> a = sympy.Symbol("a", positive=True)
    >>> z = ZeroTest({})
    >>> z.is_zero(sympy.sqrt(a)**2 - a), z.is_zero(a - 1)
    (True, False)
    >>> z.is_zero((a**2 - 1)/(a - 1) - a - 1)
    True
    """

    def __init__(self, domains: Mapping[Any, Domain], seed: int = 20260101) -> None:
        self.domains = dict(domains)
        self.rng = random.Random(seed)
        self._mod_rng = random.Random(seed + 1)  # residues of the modular zero test
        self.points: list[dict[Any, Any]] = [self._draw() for _ in range(_ZERO_POINTS)]
        # Expressions the test could not decide (undefined or complex at every point drawn,
        # too large to decide exactly); they were answered "not zero".
        self.undecided: list[Any] = []

    def _draw(self) -> dict[Any, Any]:
        point: dict[Any, Any] = {}
        rng = self.rng
        for sym, dom in self.domains.items():
            frac = sympy.Rational(rng.randint(101, 9901), 10007)
            if dom.kind == "interval":
                point[sym] = dom.lo + (dom.hi - dom.lo) * frac
            elif dom.kind == "real":
                point[sym] = sympy.Rational(rng.randint(-997, 997), rng.randint(101, 997))
            else:
                point[sym] = frac * rng.randint(1, 7)
        return point

    def value(self, expr: Any, k: int = 0) -> Any:
        """`expr` at the `k`-th random point.

        Parameters
        ----------
        expr : sympy.Expr
        k : int

        Returns
        -------
        sympy.Expr

        Examples
        --------
        >>> import sympy
        >>> from incentive_geometry.solvers.symbolic.conditions import ZeroTest
        >>> ZeroTest({}).value(sympy.Integer(2) + 1)
        3
        """
        values = self.points[k]
        exact = _rational_values(values)
        if exact is not None:
            try:
                q = _exact_rational(expr, exact)
                return sympy.Rational(q.numerator, q.denominator)
            except (_NotRational, ZeroDivisionError, RecursionError):
                pass
        return expr.xreplace(values)

    @staticmethod
    def _sample(v: Any, complex_ok: bool = True) -> bool | None:
        """True: zero at this point; False: not zero; None: undefined or undecided here."""
        if v.free_symbols:
            return None
        if v.is_Rational:
            return bool(v == 0)
        if v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            return None
        try:
            num = complex(v.evalf(_ZERO_DIGITS))
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            return None
        if not (math.isfinite(num.real) and math.isfinite(num.imag)):
            return None
        if abs(num) <= _ZERO_EPS:
            return True
        if not complex_ok and abs(num.imag) > _ZERO_EPS * (1 + abs(num.real)):
            # A real expression (radicals, acos, logs) that is complex here: this point is
            # outside its real domain, where principal branches break real identities.
            return None
        return False

    @staticmethod
    def _holds(conditions: list[Any], values: dict[Any, Any]) -> bool:
        for c in conditions:
            try:
                v = c.xreplace(values)
            except (TypeError, ValueError, ZeroDivisionError):
                return False
            if v is not sympy.true:
                return False
        return True

    def _decide_rational(
        self,
        expr: Any,
        record: bool,
        fixed: Mapping[Any, Fraction] | None = None,
        symbols: Any = None,
        confirm: bool = True,
    ) -> bool | None:
        """The zero test of a rational function, modulo a large prime; None if not one.

        A rational function that vanishes on an open set vanishes everywhere, so its zero test
        needs no domain: it is evaluated at random residues modulo the prime 2**61 - 1. A
        nonzero value proves "not zero"; zero at every point is zero with probability at least
        1 - (d/2**61)**2 for numerator degree d (Schwartz-Zippel). A residue where a
        denominator vanishes is redrawn.
        """
        order = sorted(expr.free_symbols if symbols is None else symbols, key=str)
        pinned: dict[Any, int] = {}
        for u, q in (fixed or {}).items():
            if q.denominator % _PRIME == 0:
                return None
            pinned[u] = q.numerator * pow(q.denominator, -1, _PRIME) % _PRIME
        defined = 0
        for _ in range(_ZERO_POINTS):
            for _ in range(_ZERO_REDRAWS):
                values = {u: self._mod_rng.randrange(1, _PRIME) for u in order}
                values.update(pinned)
                try:
                    value = _modular_value(expr, values)
                except ZeroDivisionError:
                    continue  # a pole of the expression at this residue: redraw
                except (_NotRational, RecursionError):
                    return None
                if value != 0:
                    return False
                defined += 1
                break
        if defined == 0 and fixed:
            return None  # undefined at the pinned values: the caller substitutes and retries
        if defined == 0:
            # Undefined wherever we looked: decide exactly instead of guessing.
            if expression_size(expr, 4 * _CONFIRM_LIMIT) <= 4 * _CONFIRM_LIMIT:
                return bool(sympy.cancel(expr) == 0)
            if record:
                self.undecided.append(expr)
            return False
        if confirm and expression_size(expr, _CONFIRM_LIMIT) <= _CONFIRM_LIMIT:
            return bool(sympy.cancel(expr) == 0)
        return True

    def _decide(self, expr: Any, draw: Any, record: bool) -> bool:
        fast = self._decide_rational(expr, record)
        if fast is not None:
            return fast
        complex_ok = expr.has(sympy.I)
        # Sample only where the expression is defined and real (radicands nonnegative, acos
        # arguments in [-1, 1], ...): outside, principal branches break real identities.
        conditions = definition_conditions(expr)
        defined = 0
        for k in range(_ZERO_POINTS):
            values = draw(k)
            for _ in range(_ZERO_REDRAWS):
                verdict = None
                if self._holds(conditions, values):
                    verdict = self._sample(expr.xreplace(values), complex_ok)
                if verdict is not None:
                    break
                values = draw(None)
            else:
                continue
            if verdict is False:
                return False
            defined += 1
        if defined == 0:
            # Undefined wherever we looked: decide exactly instead of guessing.
            if (
                expr.is_rational_function()
                and expression_size(expr, 4 * _CONFIRM_LIMIT) <= 4 * _CONFIRM_LIMIT
            ):
                return bool(sympy.cancel(expr) == 0)
            if record:
                self.undecided.append(expr)
            return False
        if expr.is_rational_function() and expression_size(expr, _CONFIRM_LIMIT) <= _CONFIRM_LIMIT:
            return bool(sympy.cancel(expr) == 0)
        return True

    def is_zero(self, expr: Any, *, record: bool = True) -> bool:
        """Whether `expr`, an expression in the parameters, is identically zero.

        Parameters
        ----------
        expr : sympy.Expr
        record : bool
            Record an undecided test in ``undecided`` (False where "not zero" is the safe
            answer, as when two points are compared that never exist together).

        Returns
        -------
        bool

        Examples
        --------
        >>> import sympy
        >>> from incentive_geometry.solvers.symbolic.conditions import ZeroTest
        >>> x = sympy.Symbol("x", real=True)
        >>> ZeroTest({}).is_zero(x / x - 1)
        True
        """
        expr = strict(expr)
        if expr == 0:
            return True
        if expr.is_number:
            return bool(self._sample(expr))
        extra = sorted(expr.free_symbols - set(self.domains), key=str)

        def draw(k: int | None) -> dict[Any, Any]:
            base = self.points[k] if k is not None else self._draw()
            if not extra:
                return base
            rng = self.rng
            more = {u: sympy.Rational(rng.randint(-997, 997), rng.randint(101, 997)) for u in extra}
            return {**base, **more}

        return self._decide(expr, draw, record)

    def is_zero_in(
        self, expr: Any, unknowns: set[Any], at: Mapping[Any, Any] | None = None
    ) -> bool:
        """Zero as a function of the parameters and the `unknowns` together.

        Parameters
        ----------
        expr : sympy.Expr
        unknowns : set of Symbol
        at : mapping of Symbol to rational number, optional
            Test ``expr.xreplace(at)`` instead (for a rational function, without building it).

        Returns
        -------
        bool

        Examples
        --------
        >>> import sympy
        >>> from incentive_geometry.solvers.symbolic.conditions import ZeroTest
        >>> x, y = sympy.symbols("x y", real=True)
        >>> ZeroTest({}).is_zero_in(x*(x - 1) - x**2 + x, {x})
        True
        >>> ZeroTest({}).is_zero_in(x*y + x**2 - 1, {x, y}, at={x: 1})
        False
        """
        if at:
            fixed = _rational_values(at)
            if fixed is not None:
                symbols = expr.free_symbols - set(fixed)
                verdict = self._decide_rational(
                    expr, record=True, fixed=fixed, symbols=symbols, confirm=False
                )
                if verdict is not None:
                    return verdict
            expr = expr.xreplace(dict(at))
        return self.is_zero(expr)


def real_root(value: Any, n: int, domains: Mapping[Any, Domain] | None = None) -> Any:
    """The real `n`-th root of `value` (the real branch for odd `n`).

    sympy's ``value**(1/3)`` is the principal branch, complex for negative ``value``; the real
    cube root of ``-8`` is ``-2``. For odd `n` the result is ``value**(1/n)`` where the domains
    make ``value`` positive, ``-(-value)**(1/n)`` where they make it negative, and
    ``sign(value)*Abs(value)**(1/n)`` otherwise. For even `n` it is ``value**(1/n)`` (real
    where ``value >= 0``).

    Parameters
    ----------
    value : sympy.Expr
    n : int
    domains : mapping of Symbol to Domain, optional

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.conditions import real_root
    >>> a = sympy.Symbol("a", real=True)
    >>> real_root(sympy.Integer(-8), 3), real_root(a, 3)
    (-2, Abs(a)**(1/3)*sign(a))
    """
    value = strict(value)
    root = sympy.Rational(1, n)
    if n % 2 == 0:
        return value**root
    if value.is_number:
        return sympy.real_root(value, n)
    s = generic_sign(value, domains or {})
    if s == 1:
        return value**root
    if s == -1:
        return -((-value) ** root)
    if s == 0:
        return sympy.Integer(0)
    return sympy.sign(value) * sympy.Abs(value) ** root


def definition_conditions(expr: Any) -> list[Any]:
    """Where `expr` is defined and real: denominators nonzero, arguments in their domains.

    ``1/d`` needs ``d != 0``; ``log(u)`` needs ``u > 0``; a fractional power ``u**(p/q)``
    (sympy's principal branch) needs ``u >= 0`` (``u > 0`` for a negative exponent);
    ``asin(u)`` and ``acos(u)`` need ``-1 <= u <= 1``; ``LambertW(u)`` needs
    ``u >= -1/e`` (and ``u < 0`` on the branch ``k = -1``).

    Parameters
    ----------
    expr : sympy.Expr

    Returns
    -------
    list of sympy relational
        Conditions that hold where `expr` is defined (unevaluated for symbolic arguments).

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.conditions import definition_conditions
    >>> x, a = sympy.symbols("x a", real=True)
    >>> definition_conditions(sympy.log(a) + 1/(x + 2))
    [Ne(x + 2, 0), a > 0]
    """
    out: list[Any] = []
    seen: set[Any] = set()

    def add(rel: Any) -> None:
        if rel is sympy.true or rel in seen:
            return
        seen.add(rel)
        out.append(rel)

    for node in sympy.preorder_traversal(strict(expr)):
        if isinstance(node, sympy.Pow):
            base, e = node.base, node.exp
            if not base.free_symbols:
                continue
            if base.is_positive or base.is_negative:
                continue  # e.g. 1 + x**2: never zero, every real power defined
            if e.is_negative:
                add(_relation(base, "!=", sympy.Integer(0)))
            if e.is_Rational and not e.is_integer:
                if not base.is_nonnegative:
                    add(_relation(base, ">" if e.is_negative else ">=", sympy.Integer(0)))
            elif not e.is_number:
                add(_relation(base, ">", sympy.Integer(0)))
        elif isinstance(node, sympy.log) and node.args[0].free_symbols:
            if not node.args[0].is_positive:
                add(_relation(node.args[0], ">", sympy.Integer(0)))
        elif isinstance(node, sympy.asin | sympy.acos) and node.args[0].free_symbols:
            add(_relation(node.args[0], "<=", sympy.Integer(1)))
            add(_relation(node.args[0], ">=", sympy.Integer(-1)))
        elif isinstance(node, sympy.LambertW) and node.args[0].free_symbols:
            u = node.args[0]
            add(_relation(u, ">=", -sympy.exp(-1)))
            if len(node.args) > 1 and node.args[1] == -1:
                add(_relation(u, "<", sympy.Integer(0)))
    return out


def domain_map(model: Model) -> dict[Any, Domain]:
    """Each parameter symbol of `model` with its domain.

    Parameters
    ----------
    model : Model

    Returns
    -------
    dict of sympy.Symbol to Domain

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.symbolic.conditions import domain_map
    >>> m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": {"default": 1, "domain": [0, 2]}})
    >>> domain_map(m)
    {k: Domain(kind='interval', lo=0, hi=2)}
    """
    return {p.symbol: p.domain for p in model.parameters}


def interior_substitution(domains: Mapping[Any, Domain]) -> dict[Any, Any]:
    """A substitution that maps each parameter onto the interior of its domain.

    ``[lo, hi]`` becomes ``lo + (hi - lo) u/(1 + u)`` with ``u > 0``; a nonnegative parameter
    becomes a positive one. sympy's assumptions then decide the sign of factors such as
    ``1 - theta``.

    Parameters
    ----------
    domains : mapping of symbol to Domain

    Returns
    -------
    dict
        Symbol to expression in fresh positive symbols (real parameters are left alone).

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry import Domain
    >>> from incentive_geometry.solvers.symbolic.conditions import interior_substitution
    >>> t = sympy.Symbol("t", nonnegative=True)
    >>> sub = interior_substitution({t: Domain.parse([0, 1])})
    >>> sympy.together((1 - t).xreplace(sub)).is_positive
    True
    """
    out: dict[Any, Any] = {}
    for sym, dom in domains.items():
        if dom.kind in ("positive", "nonnegative"):
            out[sym] = sympy.Symbol(f"_{sym.name}_i", positive=True)
        elif dom.kind == "interval":
            u = sympy.Symbol(f"_{sym.name}_u", positive=True)
            out[sym] = dom.lo + (dom.hi - dom.lo) * u / (1 + u)  # type: ignore[operator]
    return out


def generic_sign(expr: Any, domains: Mapping[Any, Domain]) -> int | None:
    """The sign of `expr` for parameters inside their domains, when assumptions decide it.

    Parameters
    ----------
    expr : sympy.Expr
        An expression in the parameters.
    domains : mapping of symbol to Domain

    Returns
    -------
    int or None
        ``1`` (positive), ``-1`` (negative), ``0`` (zero) or ``None`` (undecided).

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry import Domain
    >>> from incentive_geometry.solvers.symbolic.conditions import generic_sign
    >>> t = sympy.Symbol("t", nonnegative=True)
    >>> generic_sign(t - 1, {t: Domain.parse([0, 1])}), generic_sign(t - 1, {})
    (-1, None)
    """
    expr = strict(expr)
    if expression_size(expr, _SIGN_SIZE_LIMIT) > _SIGN_SIZE_LIMIT:
        return None  # the assumptions system is slow on large expressions, and rarely decides
    if expr.is_zero:
        return 0
    for candidate in (expr, _interior(expr, domains)):
        if candidate.is_positive:
            return 1
        if candidate.is_negative:
            return -1
    return None


def _interior(expr: Any, domains: Mapping[Any, Domain]) -> Any:
    # Only interval and nonnegative parameters change under the substitution.
    moved = {s for s, d in domains.items() if d.kind in ("interval", "nonnegative")}
    if not (expr.free_symbols & moved) or len(expr.free_symbols) > _INTERIOR_SYMBOLS:
        return expr
    sub = {s: v for s, v in interior_substitution(domains).items() if s in expr.free_symbols}
    if not sub:
        return expr
    out = expr.xreplace(sub)
    if expression_size(out) <= _SIGN_FACTOR_LIMIT:
        out = sympy.factor(sympy.together(out))
    return out


def _has_fraction(expr: Any) -> bool:
    return any(p.exp.is_negative for p in expr.atoms(sympy.Pow))


def _factors(expr: Any) -> tuple[Any, list[tuple[Any, int]]]:
    """Constant and (base, exponent) factors of a rational function in factored form."""
    num, den = sympy.fraction(expr)
    if _has_fraction(num) or _has_fraction(den):
        num, den = sympy.fraction(sympy.together(expr))
    out: list[tuple[Any, int]] = []
    const = sympy.Integer(1)
    for part, sign in ((num, 1), (den, -1)):
        if (
            len(part.free_symbols) <= _FACTOR_SYMBOLS
            and expression_size(part, _FACTOR_OPS_LIMIT) <= _FACTOR_OPS_LIMIT
            and part.is_polynomial()
        ):
            try:
                c, fl = sympy.factor_list(part)
            except sympy.PolynomialError:  # e.g. a + exp(-1): a number that is not rational
                c, fl = sympy.Integer(1), [(part, 1)]
        elif part.is_polynomial():
            # Large: only the common monomial and numeric content (cheap).
            c, rest = sympy.factor_terms(part).as_coeff_Mul()
            fl = [
                (b, int(e)) if e.is_Integer else (b**e, 1)
                for b, e in (f.as_base_exp() for f in sympy.Mul.make_args(rest))
            ]
        else:
            c, fl = sympy.Integer(1), [(part, 1)]
        const = const * c**sign
        out.extend((base, sign * e) for base, e in fl)
    return const, out


def _split_sides(expr: Any, op: str) -> Any:
    """``expr op 0`` written with positive terms on each side: ``a - b < 0`` -> ``a < b``."""
    if not isinstance(expr, sympy.Add):
        if expr.could_extract_minus_sign():
            return _relation(-expr, _FLIP[op], sympy.Integer(0))
        return _relation(expr, op, sympy.Integer(0))
    pos = [t for t in expr.args if not t.could_extract_minus_sign()]
    neg = [-t for t in expr.args if t.could_extract_minus_sign()]
    lhs, rhs = sympy.Add(*pos), sympy.Add(*neg)
    # Factoring each side is for the reader only: small sides alone.
    lhs, rhs = _readable(lhs), _readable(rhs)
    if lhs == 0:
        return _relation(rhs, _FLIP[op], sympy.Integer(0))
    return _relation(lhs, op, rhs)


def _readable(side: Any) -> Any:
    """Factored when small (full factorization), else its common factors pulled out."""
    if (
        len(side.free_symbols) <= _FACTOR_SYMBOLS - 3
        and expression_size(side, _SIDE_FACTOR_LIMIT) <= _SIDE_FACTOR_LIMIT
    ):
        return sympy.factor(side)
    return sympy.factor_terms(side)


def _relation(lhs: Any, op: str, rhs: Any) -> Any:
    # Relations between expressions are built unevaluated: evaluating asks the assumptions
    # system about the difference, which is slow on large expressions and decided earlier.
    lhs, rhs = strict(lhs), strict(rhs)
    if lhs.free_symbols or rhs.free_symbols:
        kind = {
            "<": sympy.StrictLessThan,
            "<=": sympy.LessThan,
            ">": sympy.StrictGreaterThan,
            ">=": sympy.GreaterThan,
            "==": sympy.Equality,
            "!=": sympy.Unequality,
        }[op]
        return kind(lhs, rhs, evaluate=False)
    return {
        "<": sympy.Lt,
        "<=": sympy.Le,
        ">": sympy.Gt,
        ">=": sympy.Ge,
        "==": sympy.Eq,
        "!=": sympy.Ne,
    }[op](lhs, rhs)


def normalize_relation(rel: Any, domains: Mapping[Any, Domain]) -> Any:
    """A relation ``lhs op rhs`` in a simplest equivalent form, for generic parameters.

    The difference ``lhs - rhs`` is put over a common denominator and factored; factors whose
    sign the parameters' domains decide drop out (flipping the relation when negative); an
    unknown-sign denominator moves into the numerator (``n/d < 0`` iff ``n d < 0``). A single
    remaining factor is written with its positive terms on the left and negative ones on the
    right.

    Parameters
    ----------
    rel : sympy Relational
    domains : mapping of symbol to Domain

    Returns
    -------
    sympy Boolean
        An equivalent relation, a conjunction or disjunction of relations, or true/false.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.conditions import normalize_relation
    >>> a, b, c = sympy.symbols("a b c", positive=True)
    >>> normalize_relation(sympy.Gt(a*b - a*c, 0), {})
    b > c
    >>> normalize_relation(sympy.Lt(-a, 0), {})
    True
    """
    op = _REL_OPS.get(type(rel))
    if op is None:
        return rel
    expr = rel.lhs - rel.rhs
    if expr.is_number:
        return _relation(expr, op, 0)
    if len(expr.free_symbols) > _FACTOR_SYMBOLS or (
        expression_size(expr, _LIGHT_LIMIT) > _LIGHT_LIMIT
    ):
        # Large: no factoring; only the denominator moves up (n/d op 0 iff n d op 0) unless
        # it is a number.
        num, den = sympy.fraction(expr)
        if _has_fraction(num) or _has_fraction(den):
            num, den = sympy.fraction(sympy.together(expr))
        if den.is_number:
            return _split_sides(num, op if den > 0 else _FLIP[op])
        den_sign = generic_sign(den, domains)
        if den_sign is not None and den_sign != 0:
            return _split_sides(num, op if den_sign > 0 else _FLIP[op])
        return _relation(num * den, op, sympy.Integer(0))
    const, factors = _factors(expr)
    sign = 1 if const > 0 else -1 if const < 0 else 0
    if sign == 0:
        return _relation(sympy.Integer(0), op, 0)
    kept: list[tuple[Any, int]] = []
    for base, e in factors:
        s = generic_sign(base, domains)
        if s == 0:
            return _relation(sympy.Integer(0), op, 0)
        if s is None and e % 2 == 0 and op not in ("==", "!="):
            # An even power is positive wherever it is not zero (generic).
            continue
        if s is None:
            kept.append((base, 1 if e % 2 else 2))
        elif e % 2 and s < 0:
            sign = -sign
    if sign < 0:
        op = _FLIP[op]
    if not kept:
        return _relation(sympy.Integer(1), op, 0)
    if op in ("==", "!="):
        if len(kept) == 1:
            return _split_sides(kept[0][0], op)
        parts = [_relation(base, "==", 0) for base, _ in kept]
        return sympy.Or(*parts) if op == "==" else sympy.Not(sympy.Or(*parts))
    if len(kept) == 1:
        base, e = kept[0]
        return _split_sides(base**e, op)
    product = sympy.Mul(*(b**e for b, e in kept))
    return _relation(product, op, sympy.Integer(0))


def simplify_condition(cond: Any, domains: Mapping[Any, Domain]) -> Any:
    """Normalize every relation inside a Boolean condition (see :func:`normalize_relation`).

    Parameters
    ----------
    cond : sympy Boolean
    domains : mapping of symbol to Domain

    Returns
    -------
    sympy Boolean

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.conditions import simplify_condition
    >>> a, b = sympy.symbols("a b", positive=True)
    >>> simplify_condition(sympy.And(sympy.Gt(a, 0), sympy.Lt(2*a*b - 2*a, 0)), {})
    b < 1
    """
    if cond is sympy.true or cond is sympy.false or isinstance(cond, bool):
        return (
            sympy.true
            if cond is True or cond is sympy.true
            else (sympy.false if cond is False or cond is sympy.false else cond)
        )
    if isinstance(cond, sympy.And | sympy.Or):
        parts = [simplify_condition(a, domains) for a in cond.args]
        return type(cond)(*parts)
    if isinstance(cond, sympy.Not):
        return sympy.Not(simplify_condition(cond.args[0], domains))
    if type(cond) in _REL_OPS:
        return normalize_relation(cond, domains)
    return cond


# --------------------------------------------------------------------------------------------
# Exact decisions: satisfiability of conditions over the reals (z3)

# Milliseconds z3 may spend on one question before it answers "unknown".
_Z3_TIMEOUT_MS = 3000


class _Untranslatable(Exception):
    """An expression outside polynomial arithmetic with square roots and Abs."""


def satisfiable(
    cond: Any, domains: Mapping[Any, Domain], *, timeout_ms: int = _Z3_TIMEOUT_MS
) -> bool | None:
    """Whether `cond` holds at some parameter point inside the (open) domains, decided exactly.

    The condition is handed to z3's nonlinear real arithmetic (a complete decision procedure
    for polynomial conditions); square roots become fresh variables ``s >= 0`` with
    ``s**2 = u``, ``Abs`` becomes a case split. Parameters range over the interiors of their
    domains (the generic reading of every symbolic result).

    Parameters
    ----------
    cond : sympy Boolean
    domains : mapping of Symbol to Domain
    timeout_ms : int
        z3's own time limit.

    Returns
    -------
    bool or None
        True (a witness exists), False (no parameter point satisfies `cond`: a proof), or
        None (undecided: z3 gave up, or the condition is not polynomial).

    References
    ----------
    .. [1] D. Jovanovic and L. de Moura, Solving non-linear arithmetic, IJCAR 2012 (z3's
       nlsat procedure).

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.conditions import satisfiable
    >>> a, b = sympy.symbols("a b", positive=True)
    >>> satisfiable(sympy.And(a*b < 1, a*b > 2), {}), satisfiable(a**2 < 2, {})
    (False, True)
    """
    if cond is sympy.true:
        return True
    if cond is sympy.false:
        return False
    try:
        import z3
    except ImportError:  # pragma: no cover - z3-solver is a declared dependency
        return None
    names: dict[Any, Any] = {}
    side: list[Any] = []

    def var(sym: Any) -> Any:
        if sym not in names:
            v = z3.Real(f"v{len(names)}_{sym.name}")
            names[sym] = v
            dom = domains.get(sym)
            if dom is not None and dom.kind == "interval":
                side.append(v > z3.RealVal(str(dom.lo)))
                side.append(v < z3.RealVal(str(dom.hi)))
            elif (dom is not None and dom.kind in ("positive", "nonnegative")) or sym.is_positive:
                side.append(v > 0)
            elif sym.is_nonnegative:
                side.append(v >= 0)
        return names[sym]

    def expr(e: Any) -> Any:
        if e.is_Symbol:
            return var(e)
        if e.is_Rational:
            return z3.RealVal(str(e))
        if e.is_Add:
            return z3.Sum([expr(a) for a in e.args])
        if e.is_Mul:
            out = expr(e.args[0])
            for a in e.args[1:]:
                out = out * expr(a)
            return out
        if e.is_Pow and e.exp.is_Integer:
            base = expr(e.base)
            k = int(e.exp)
            if abs(k) > 12:
                raise _Untranslatable(e)
            power = base
            for _ in range(abs(k) - 1):
                power = power * base
            if k == 0:
                return z3.RealVal(1)
            if k < 0:
                side.append(base != 0)
                return 1 / power
            return power
        if e.is_Pow and e.exp == sympy.Rational(1, 2):
            s = z3.Real(f"s{len(side)}")
            u = expr(e.base)
            side.extend([s >= 0, s * s == u])
            return s
        if isinstance(e, sympy.Abs):
            u = expr(e.args[0])
            return z3.If(u >= 0, u, -u)
        raise _Untranslatable(e)

    ops = {
        sympy.StrictLessThan: lambda a, b: a < b,
        sympy.LessThan: lambda a, b: a <= b,
        sympy.StrictGreaterThan: lambda a, b: a > b,
        sympy.GreaterThan: lambda a, b: a >= b,
        sympy.Equality: lambda a, b: a == b,
        sympy.Unequality: lambda a, b: a != b,
    }

    def boolean(c: Any) -> Any:
        if c is sympy.true:
            return z3.BoolVal(True)
        if c is sympy.false:
            return z3.BoolVal(False)
        if isinstance(c, sympy.And):
            return z3.And([boolean(a) for a in c.args])
        if isinstance(c, sympy.Or):
            return z3.Or([boolean(a) for a in c.args])
        if isinstance(c, sympy.Not):
            return z3.Not(boolean(c.args[0]))
        op = ops.get(type(c))
        if op is None:
            raise _Untranslatable(c)
        return op(expr(c.lhs), expr(c.rhs))

    try:
        formula = boolean(cond)
    except (_Untranslatable, TypeError, ValueError):
        return None
    solver = z3.Solver()
    solver.set("timeout", int(timeout_ms))
    solver.add(formula, *side)
    answer = solver.check()
    if answer == z3.sat:
        return True
    if answer == z3.unsat:
        return False
    return None


def refine_abs(expr: Any, domains: Mapping[Any, Domain]) -> Any:
    """``Abs(u)`` replaced by ``u`` or ``-u`` where the domains decide the sign of ``u``.

    Parameters
    ----------
    expr : sympy.Expr
    domains : mapping of Symbol to Domain

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry import Domain
    >>> from incentive_geometry.solvers.symbolic.conditions import refine_abs
    >>> t = sympy.Symbol("t", nonnegative=True)
    >>> refine_abs(sympy.Abs(t - 1) + 1, {t: Domain.parse([0, 1])})
    2 - t
    """

    def decide(a: Any) -> Any:
        s = generic_sign(a.args[0], domains)
        if s is None:
            return a
        return a.args[0] if s >= 0 else -a.args[0]

    return strict(expr).replace(lambda n: isinstance(n, sympy.Abs), decide)
