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

from collections.abc import Mapping
from typing import Any

import sympy
from sympy.core.sympify import _sympify  # strict: converts sympy objects and numbers, never text

from incentive_geometry.model import Domain, Model

__all__ = [
    "domain_map",
    "expression_size",
    "generic_sign",
    "interior_substitution",
    "normalize_relation",
    "simplify_condition",
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
    stack = [expr]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        stack.extend(node.args)
    return count


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
    expr = _sympify(expr)
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
            c, fl = sympy.factor_list(part)
        elif part.is_polynomial():
            # Large: only the common monomial and numeric content (cheap).
            c, rest = sympy.factor_terms(part).as_coeff_Mul()
            fl = [(b, int(e)) if e.is_Integer else (b**e, 1)
                  for b, e in (f.as_base_exp() for f in sympy.Mul.make_args(rest))]
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
    lhs, rhs = _sympify(lhs), _sympify(rhs)
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
        return sympy.true if cond is True or cond is sympy.true else (
            sympy.false if cond is False or cond is sympy.false else cond
        )
    if isinstance(cond, sympy.And | sympy.Or):
        parts = [simplify_condition(a, domains) for a in cond.args]
        return type(cond)(*parts)
    if isinstance(cond, sympy.Not):
        return sympy.Not(simplify_condition(cond.args[0], domains))
    if type(cond) in _REL_OPS:
        return normalize_relation(cond, domains)
    return cond
