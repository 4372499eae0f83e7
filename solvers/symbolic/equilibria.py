"""Equilibria of any model, with the conditions under which each exists.

For a continuous-time model the equilibria solve ``f(x) = 0``; for a discrete-time model the
fixed points solve ``f(x) = x``. On the simplex the equation ``sum(x) = 1`` joins the system.

The system is not handed to :func:`sympy.solve`. Each equation is split into its factors and the
solution set is enumerated case by case (a product vanishes when one of its factors does); each
case is worked in a good order, every step a small strategy with one hook (STYLE.md, item 3):

1. an equation linear in its only unknown is solved and substituted everywhere (triangular
   steps first);
2. an equation that is a product splits into cases; case ``k`` assumes the earlier factors are
   not zero, so the cases are disjoint and a point is found once;
3. a polynomial in one unknown is solved by radicals (:func:`sympy.roots`);
4. linear combinations of the polynomial equations that cancel every nonlinear monomial (one
   elimination step of a Macaulay matrix) are added to the linear equations, and all linear
   equations are solved jointly over the parameters' fraction field (:func:`sympy.linsolve`);
5. an equation linear in an unknown with a coefficient free of the unknowns is solved for it;
6. an equation linear in an unknown whose coefficient depends on other unknowns splits into the
   case "coefficient not zero" (divide) and "coefficient and remainder both zero";
7. two polynomial equations in a common unknown are replaced by their resultant;
8. :func:`sympy.solve` is the last resort; solutions of non-polynomial equations found that
   way flag the result incomplete (they may be missing some).

Splitting an equation also tries cheap factors before a full factorization: a common monomial
(``x`` divides every term) and the roots ``x = 1`` and ``x = -1`` (divided out by synthetic
division).

Each equilibrium's existence condition says when it is real (radicands nonnegative, denominators
not zero), inside the state domains and the model's constraints.

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "r*x - x**3"}, parameters={"r": 1})
>>> eqs = ig.equilibria(m)
>>> [e.point for e in eqs]
[{x: 0}, {x: sqrt(r)}, {x: -sqrt(r)}]
>>> eqs[1].exists
r >= 0
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import sympy

import incentive_geometry.display as display
from incentive_geometry.errors import ModelError
from incentive_geometry.model import Domain, Model

from .budget import Budget, map_forked, run_bounded
from .conditions import (
    ZeroTest,
    definition_conditions,
    domain_map,
    expression_size,
    generic_sign,
    real_root,
    refine_abs,
    satisfiable,
    simplify_condition,
    strict,
)

__all__ = [
    "Equilibrium",
    "EquilibriumSet",
    "ImplicitForm",
    "equilibria",
    "equilibrium_equations",
    "real_roots",
]

# Case steps print expressions up to this size.
_STEP_LIMIT = 40
# Piecewise right-hand sides are solved piece by piece: at most this many combinations.
_PIECE_LIMIT = 64
# Full factorization when splitting equations: only below this size (expression tree nodes).
_SPLIT_FACTOR_LIMIT = 120
# Equilibrium coordinates are printed factored below this size.
_CANONICAL_FACTOR_LIMIT = 120


@dataclass(frozen=True)
class ImplicitForm:
    """An equilibrium written through the roots it is built from, instead of their radicals.

    A point whose coordinates hold the root of a cubic (Cardano's or the trigonometric form)
    is, read this way, a point in symbols ``r_k`` with ``p_k(r_k) = 0``: conditions on it are
    polynomial, short, and decided exactly by :func:`~.conditions.satisfiable` (a condition
    that holds at every real root of every ``p_k`` holds at the one the point uses).

    Parameters
    ----------
    point : dict of Symbol to Expr
        The coordinates, with each root replaced by its symbol.
    exists : sympy Boolean
        The existence condition in the same symbols (unsimplified), with the realness
        conditions of the closed forms.
    roots : tuple of (Dummy, Expr, Expr)
        Each root's symbol, its closed form, and the polynomial in the symbol it solves.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "a - x - x**3"},
    ...     parameters={"a": {"default": 1, "domain": "positive"}})
    >>> (r, closed, poly), = ig.equilibria(m)[0].implicit.roots
    >>> poly
    -_r0**3 - _r0 + a
    """

    point: dict[Any, Any]
    exists: Any
    roots: tuple[tuple[Any, Any, Any], ...]

    def constraints(self) -> Any:
        """The roots' defining equations ``p_k(r_k) = 0``, as one condition.

        Returns
        -------
        sympy Boolean

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "a - x - x**3"}, parameters={"a": 1})
        >>> ig.equilibria(m)[0].implicit.constraints()
        Eq(-_r0**3 - _r0 + a, 0)
        """
        return sympy.And(*(sympy.Eq(p, 0, evaluate=False) for _, _, p in self.roots))

    def decide(self, condition: Any, domains: Mapping[Any, Domain]) -> Any:
        """`condition` (in the roots' symbols) where the point exists: true, false, or None.

        Parameters
        ----------
        condition : sympy Boolean
        domains : mapping of Symbol to Domain

        Returns
        -------
        sympy.true, sympy.false or None
            Decided exactly (z3); None when undecided.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "a - x - x**3"},
        ...     parameters={"a": {"default": 1, "domain": "positive"}})
        >>> form = ig.equilibria(m)[0].implicit
        >>> (r, _, _), = form.roots
        >>> form.decide(r > 0, {}), form.decide(r > 1, {})
        (True, None)
        """
        where = sympy.And(self.constraints(), self.exists)
        if satisfiable(sympy.And(where, condition), domains) is False:
            return sympy.false
        if satisfiable(sympy.And(where, sympy.Not(condition)), domains) is False:
            return sympy.true
        return None


@dataclass(frozen=True)
class Equilibrium:
    """One equilibrium (fixed point) of a model, in closed form.

    Parameters
    ----------
    point : dict of Symbol to Expr
        The value of every state, in the model's state order, as expressions in the parameters.
    exists : sympy Boolean
        When the point is an equilibrium of the model as posed: real, with every denominator
        nonzero, inside the state domains and the constraints. Generic: it holds for parameters
        inside their domains, up to the measure-zero set where one sits on its boundary.
    case : str
        The factors set to zero to reach it (e.g. ``"x = 0"``).
    free : tuple of Symbol
        States left free (a continuum of equilibria); empty for an isolated point.
    rhs : tuple of sympy.Expr
        For a piecewise model: the smooth right-hand sides of the piece the point lies in
        (what its Jacobian is taken of); empty when the model's own right-hand sides are smooth.
    implicit : ImplicitForm or None
        The point written through the roots of the polynomials it is built from (set when a
        coordinate holds the closed-form root of a polynomial equation); stability conditions
        that are unreadable in radicals are decided in this form.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(1 - x)"}, parameters={})
    >>> e = ig.equilibria(m)[1]
    >>> e.point, e.values, e.case
    ({x: 1}, (1,), '1 - x = 0 ; x = 1')
    """

    point: dict[Any, Any]
    exists: Any = sympy.true
    case: str = ""
    free: tuple[Any, ...] = ()
    rhs: tuple[Any, ...] = field(default=(), repr=False)
    implicit: ImplicitForm | None = field(default=None, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash((tuple(self.point.items()), self.exists, self.case, self.free, self.rhs))

    @property
    def values(self) -> tuple[Any, ...]:
        """The state values, in the model's state order."""
        return tuple(self.point.values())

    def coordinates(self, width: int | None = None) -> str:
        """The point as text, ``x = 0, y = b/a`` (each value cut to `width` when given).

        Parameters
        ----------
        width : int, optional

        Returns
        -------
        str

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "a - x", "y": "x - y"}, parameters={"a": 1})
        >>> ig.equilibria(m)[0].coordinates()
        'x = a, y = a'
        """
        return ", ".join(f"{s} = {display.expr_text(v, width)}" for s, v in self.point.items())

    def coordinates_latex(self) -> str:
        """The point as LaTeX, ``x = 0, \\ y = \\frac{b}{a}`` (no dollars).

        Returns
        -------
        str

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "theta - x"}, parameters={"theta": 1})
        >>> print(ig.equilibria(m)[0].coordinates_latex())
        x = \\theta
        """
        return ", ".join(
            f"{display.expr_latex(s)} = {display.expr_latex(v)}" for s, v in self.point.items()
        )

    def __repr__(self) -> str:
        free = f", free {', '.join(map(str, self.free))}" if self.free else ""
        exists = display.cond_text(self.exists, display.REPR_WIDTH)
        return (
            f"<Equilibrium {self.coordinates(display.REPR_WIDTH)}{free}; "
            f"{'exists ' if exists in ('always', 'never') else 'exists when '}{exists}>"
        )

    def __str__(self) -> str:
        exists = display.cond_text(self.exists)
        when = "exists " if exists in ("always", "never") else "exists when "
        free = f" (a continuum: {', '.join(map(str, self.free))} free)" if self.free else ""
        return f"({self.coordinates()}){free}  {when}{exists}"

    def _repr_latex_(self) -> str:
        return (
            f"$\\left({self.coordinates_latex()}\\right)\\quad\\text{{exists when }}"
            f"{display.cond_latex(self.exists)}$"
        )


@dataclass(frozen=True)
class EquilibriumSet(Sequence[Equilibrium]):
    """The equilibria of a model: a sequence of :class:`Equilibrium` that knows if it is whole.

    Parameters
    ----------
    items : tuple of Equilibrium
    complete : bool
        True when every equilibrium was found (for generic parameters).
    message : str
        Why the set is incomplete (empty when complete).
    model : Model
        The model the equilibria belong to.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x - exp(-x)*a"}, parameters={"a": 1})
    >>> eqs = ig.equilibria(m, partial=True)
    >>> eqs.complete, len(eqs) >= 0
    (False, True)
    >>> "transcendental" in eqs.message or "sympy.solve" in eqs.message
    True
    """

    items: tuple[Equilibrium, ...]
    complete: bool = True
    message: str = ""
    model: Model | None = field(default=None, repr=False, compare=False)

    @overload
    def __getitem__(self, index: int) -> Equilibrium: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Equilibrium]: ...
    def __getitem__(self, index: int | slice) -> Equilibrium | Sequence[Equilibrium]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Equilibrium]:
        return iter(self.items)

    # -- display ---------------------------------------------------------------------------
    def _title(self) -> str:
        name = f" of {self.model.name!r}" if self.model is not None else ""
        n = len(self.items)
        whole = "complete" if self.complete else "incomplete"
        return f"{n} equilibri{'um' if n == 1 else 'a'}{name} ({whole})"

    def __repr__(self) -> str:
        lines = [f"<EquilibriumSet: {self._title()}"]
        rows: list[list[str]] = [["", "equilibrium", "exists when"]]
        rows += [
            [f"[{k}]", e.coordinates(40), display.cond_text(e.exists, display.REPR_WIDTH)]
            for k, e in enumerate(self.items)
        ]
        lines.extend(display.text_table(None, rows, indent="  "))
        if not self.complete and self.message:
            lines.append("  " + display.shorten(self.message, 200))
        return "\n".join(lines) + ">"

    def __str__(self) -> str:
        lines = [self._title()]
        for k, e in enumerate(self.items):
            lines.append(f"  [{k}] {e}")
        if not self.complete and self.message:
            lines.append("  " + self.message)
        return "\n".join(lines)

    def stability_column(self, timeout: float = 2.0) -> list[str | None]:
        """Where each equilibrium is stable, as text, each derived within `timeout` seconds.

        What the HTML table shows: ``stable where it exists``, ``never stable``, a condition,
        or None where the derivation did not finish in time (or the set has no model).

        Parameters
        ----------
        timeout : float
            Seconds for each equilibrium's stability.

        Returns
        -------
        list of str or None

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "x*(1 - x)"}, parameters={})
        >>> ig.equilibria(m).stability_column()
        ['never stable', 'stable where it exists']
        """
        return [None if st is None else _stability_words(st) for st in self._stabilities(timeout)]

    def _stabilities(self, timeout: float) -> list[Any]:
        from .stability import stability  # stability imports this module

        out: list[Any] = []
        for e in self.items:
            if self.model is None:
                out.append(None)
                continue
            try:
                out.append(stability(self.model, e, timeout=timeout))
            except (TimeoutError, RuntimeError, NotImplementedError, ValueError):
                out.append(None)
        return out

    def _repr_html_(self) -> str:
        rows = []
        for k, (e, st) in enumerate(zip(self.items, self._stabilities(2.0), strict=True)):
            if st is None:
                stable: Any = "not derived in time: ig.stability(model, eq)"
            elif st.where_exists is sympy.true or st.where_exists is sympy.false:
                stable = _stability_words(st)
            else:
                stable = display.Math(display.cond_latex(st.condition))
            rows.append(
                [
                    k,
                    display.Math(e.coordinates_latex()),
                    display.Math(display.cond_latex(e.exists)),
                    stable,
                ]
            )
        table = display.html_table(
            ["", "equilibrium", "exists when", "stable when"], rows, caption=self._title()
        )
        note = (
            f"<br><i>{display.escape(self.message)}</i>"
            if self.message and not self.complete
            else ""
        )
        return f"<div>{table}{note}</div>"

    def _repr_latex_(self) -> str:
        rows = [f"{e.coordinates_latex()} & {display.cond_latex(e.exists)}" for e in self.items]
        body = " \\\\\n".join(rows)
        return (
            "$\\begin{array}{ll}\n\\text{equilibrium} & \\text{exists when} \\\\\n\\hline\n"
            f"{body}\n\\end{{array}}$"
        )


def _stability_words(st: Any) -> str:
    """A stability result in the words of the equilibrium table."""
    where = st.where_exists
    if where is sympy.true:
        return "stable where it exists"
    if where is sympy.false:
        return "never stable"
    return display.cond_text(st.condition, 300)


# --------------------------------------------------------------------------------------------
# The system


def equilibrium_equations(model: Model) -> list[Any]:
    """The equations whose common zeros are the equilibria of `model`.

    ``f(x)`` (continuous time) or ``f(x) - x`` (discrete time), and ``sum(x) - 1`` on the
    simplex.

    Parameters
    ----------
    model : Model

    Returns
    -------
    list of sympy.Expr

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.symbolic import equilibrium_equations
    >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3}, time="discrete")
    >>> equilibrium_equations(m)
    [r*x*(1 - x) - x]
    """
    if model.time == "discrete":
        eqs = [f - s for s, f in zip(model.states, model.rhs, strict=True)]
    else:
        eqs = list(model.rhs)
    if model.simplex:
        eqs.append(sympy.Add(*model.states) - 1)
    return eqs


@dataclass
class _Case:
    """One branch of the case split."""

    eqs: list[Any]
    subs: dict[Any, Any]
    unknowns: list[Any]
    prune: list[Any]  # expressions this case assumes nonzero (earlier factors of a split)
    steps: list[str]
    # Roots substituted with the condition under which each is real (from `real_roots`).
    real: list[tuple[Any, Any]] = field(default_factory=list)


class _Solver:
    def __init__(self, model: Model, budget: Budget) -> None:
        self.model = model
        self.budget = budget
        self.domains = domain_map(model)
        self.zero = ZeroTest(self.domains)
        self.params = set(model.parameter_symbols)
        # (values, free states, case steps, piece index, roots with their realness).
        self.leaves: list[tuple[dict[Any, Any], tuple[Any, ...], str, int, list[Any]]] = []
        self.piece = 0  # index of the piece combination being solved (Piecewise models)
        self.pieces: list[_Piece] = []
        self.incomplete: list[str] = []
        self._split_cache: dict[Any, list[Any]] = {}
        self.cases = 0
        # Each closed-form root substituted, with the polynomial and unknown it solves.
        self.root_polys: dict[Any, tuple[Any, Any]] = {}
        self.offering = True  # off while a worker process collects a subtree's leaves
        self.pid = os.getpid()  # the process whose offers reach the caller

    # -- equation hygiene ------------------------------------------------------------------
    def _numerator(self, e: Any, unknowns: set[Any] | None = None) -> Any:
        # Only a denominator in the unknowns changes the zero set; one in the parameters alone
        # is nonzero for generic parameters and may stay.
        if any(
            p.exp.is_negative and (unknowns is None or p.base.free_symbols & unknowns)
            for p in e.atoms(sympy.Pow)
        ):
            e = sympy.fraction(sympy.together(e))[0]
        return e

    def _split(self, e: Any, unknowns: set[Any]) -> list[Any]:
        """The factors of `e` that involve the unknowns (a product is zero iff one is)."""
        key = (e, frozenset(unknowns))
        cached = self._split_cache.get(key)
        if cached is None:
            cached = self._split_cache[key] = self._split_uncached(e, unknowns)
        return cached

    def _split_uncached(self, e: Any, unknowns: set[Any]) -> list[Any]:
        if not (e.free_symbols & unknowns):
            return [e]
        if isinstance(e, sympy.Mul):
            out: list[Any] = []
            for a in e.args:
                if a.free_symbols & unknowns:
                    out.extend(self._split(a, unknowns))
            return out
        if isinstance(e, sympy.Pow) and e.exp.is_positive:
            return self._split(e.base, unknowns)
        if not isinstance(e, sympy.Add):
            return [e]
        gens = sorted(e.free_symbols & unknowns, key=str)
        if all(not (e.diff(g).free_symbols & unknowns) for g in gens):
            return [e]  # linear in the unknowns: irreducible
        # Monomial content: an unknown x divides e iff e vanishes at x = 0 (the common case
        # x*(...) written out); then divide term by term.
        for g in gens:
            if self.zero.is_zero_in(e, unknowns, at={g: sympy.Integer(0)}):
                parts = [t.as_coeff_exponent(g) for t in sympy.Add.make_args(sympy.expand(e))]
                if all(k.is_Integer and k >= 1 and g not in c.free_symbols for c, k in parts):
                    rest = sympy.Add(*(c * g ** (k - 1) for c, k in parts))
                    return [g, *self._split(rest, unknowns)]
        # Roots at 1 and -1 (the vertices of shares): divide out (x - 1) by synthetic
        # division, which is far cheaper than a full factorization.
        for g in gens:
            for root in (sympy.Integer(1), sympy.Integer(-1)):
                if not self.zero.is_zero_in(e, unknowns, at={g: root}):
                    continue
                if not e.is_polynomial(g):
                    continue
                coeffs = sympy.Poly(e, g).all_coeffs()
                if len(coeffs) > 2:  # degree >= 2 in g (a linear factor is irreducible)
                    quotient, carry = [], sympy.Integer(0)
                    for c in coeffs[:-1]:
                        carry = sympy.expand(c + carry * root)
                        quotient.append(carry)
                    rest = sympy.Add(*(q * g**k for k, q in enumerate(reversed(quotient))))
                    return [g - root, *self._split(rest, unknowns)]
        # Full factorization over the parameters' polynomial ring costs more than it saves
        # on large multivariate equations: only a single unknown, or few symbols in all.
        small = expression_size(e, _SPLIT_FACTOR_LIMIT) <= _SPLIT_FACTOR_LIMIT
        affordable = (
            len(gens) == 1
            and len(e.free_symbols) <= 9
            and expression_size(e, 5 * _SPLIT_FACTOR_LIMIT) <= 5 * _SPLIT_FACTOR_LIMIT
        ) or (small and len(e.free_symbols) <= 6)
        if not affordable or not e.is_polynomial(*gens):
            return [e]
        # Full factorization over the parameters' polynomial ring, when small enough to pay.
        _, factors = sympy.factor_list(e, *gens)
        if len(factors) > 1 or (factors and factors[0][1] > 1):
            return [f for f, _ in factors if f.free_symbols & unknowns]
        return [e]

    def _normalize(self, case: _Case) -> list[list[Any]] | None:
        """Each equation as its list of factors; None when the case is inconsistent."""
        unknowns = set(case.unknowns)
        out: list[list[Any]] = []
        seen: set[Any] = set()
        for e in case.eqs:
            e = self._numerator(e, unknowns)
            if not (e.free_symbols & unknowns):
                if self.zero.is_zero(e):
                    continue
                return None  # a nonzero expression in the parameters: no generic solution
            factors = tuple(dict.fromkeys(self._split(e, unknowns)))
            if factors not in seen:
                seen.add(factors)
                out.append(list(factors))
        return out

    # -- substitution ----------------------------------------------------------------------
    def _substitute(self, case: _Case, var: Any, value: Any, step: str) -> _Case | None:
        return self._substitute_all(case, {var: value}, [step])

    def _substitute_all(
        self, case: _Case, mapping: dict[Any, Any], steps: list[str]
    ) -> _Case | None:
        """Substitute the values of several unknowns at once (values free of each other)."""
        prune = [p.xreplace(mapping) for p in case.prune]
        unknowns = [u for u in case.unknowns if u not in mapping]
        uset = set(unknowns)
        for p in prune:
            # Undecided counts as "not zero": at worst a point is found twice (merged later).
            if not (p.free_symbols & uset) and self.zero.is_zero(p, record=False):
                return None  # this point belongs to an earlier case of a split
        subs = {k: v.xreplace(mapping) for k, v in case.subs.items()}
        subs.update(mapping)
        return _Case(
            eqs=[e.xreplace(mapping) for e in case.eqs],
            subs=subs,
            unknowns=unknowns,
            prune=prune,
            steps=[*case.steps, *steps],
            real=case.real,
        )

    # -- strategies (each returns the cases that replace this one, or None) ------------------
    def _triangular(self, case: _Case, eqs: list[list[Any]]) -> list[_Case | None] | None:
        """Solve an equation linear in its only unknown (a triangular step)."""
        unknowns = set(case.unknowns)
        single = [f for f in eqs if len(f) == 1 and len(f[0].free_symbols & unknowns) == 1]
        return self._linear(case, single)

    def _linear(self, case: _Case, eqs: list[list[Any]]) -> list[_Case | None] | None:
        """Solve an equation linear in an unknown with a parameter-only coefficient."""
        unknowns = set(case.unknowns)
        best: tuple[int, Any, Any, Any] | None = None
        for factors in eqs:
            if len(factors) != 1:
                continue
            e = factors[0]
            for v in sorted(e.free_symbols & unknowns, key=str):
                coeff = e.diff(v)
                if coeff.free_symbols & unknowns or self.zero.is_zero(coeff):
                    continue
                size = expression_size(coeff)
                if best is None or size < best[0]:
                    best = (size, e, v, coeff)
            if best is not None and best[0] == 0:
                break
        if best is None:
            return None
        _, e, v, coeff = best
        rest = e.xreplace({v: 0})
        value = sympy.cancel(-rest / coeff)
        return [self._substitute(case, v, value, _step(v, value))]

    def _split_case(self, case: _Case, eqs: list[list[Any]]) -> list[_Case | None] | None:
        """A product equation: one case per factor, earlier factors assumed nonzero."""
        multi = [f for f in eqs if len(f) > 1]
        if not multi:
            return None

        def cost(factors: list[Any]) -> tuple[int, int]:
            return (len(factors), sum(expression_size(f) for f in factors))

        factors = min(multi, key=cost)
        others = [f for f in eqs if f is not factors]
        # Simple factors first: a case that substitutes quickly prunes the later ones.
        order = sorted(factors, key=lambda f: (expression_size(f), str(f)))
        out: list[_Case | None] = []
        for k, f in enumerate(order):
            rest_eqs = [_product(o) for o in others]
            new = _Case(
                eqs=[f, *rest_eqs],
                subs=dict(case.subs),
                unknowns=list(case.unknowns),
                prune=[*case.prune, *order[:k]],
                steps=[*case.steps, _step(f, sympy.Integer(0))],
                real=case.real,
            )
            out.append(new)
        return out

    def _univariate(self, case: _Case, eqs: list[list[Any]]) -> list[_Case | None] | None:
        """A polynomial equation in a single unknown: its real roots in closed form."""
        unknowns = set(case.unknowns)
        for factors in eqs:
            e = factors[0]
            present = e.free_symbols & unknowns
            if len(present) != 1:
                continue
            (v,) = present
            if not e.is_polynomial(v):
                continue
            rts, note = real_roots(e, v, self.domains, self.zero)
            if note:
                self.incomplete.append(note)
            # The roots solve `e` by construction (where real): `e` leaves the case, so that
            # it is never zero-tested at parameters where a root is complex.
            rest = [_product(f) for f in eqs if f is not factors]
            out: list[_Case | None] = []
            for r, real in rts:
                if not r.is_Atom:
                    self.root_polys.setdefault(r, (e, v))
                known = case.real if real is None else [*case.real, (r, real)]
                base = _Case(rest, case.subs, case.unknowns, case.prune, case.steps, known)
                out.append(self._substitute(base, v, r, _step(v, r)))
            return out
        return None

    def _linear_combination(self, case: _Case, eqs: list[list[Any]]) -> list[_Case | None] | None:
        """Combine polynomial equations so that every nonlinear monomial cancels; solve all the
        linear equations (found so, or given) jointly."""
        unknowns = sorted(set(case.unknowns), key=str)
        single = [f[0] for f in eqs if len(f) == 1 and f[0].is_polynomial(*unknowns)]
        if not single:
            return None
        rows = [_monomial_terms(e, unknowns) for e in single]
        nonlinear = sorted({m for r in rows for m in r if sum(m) >= 2}, key=lambda m: (-sum(m), m))
        # Gaussian elimination, pivoting on the nonlinear monomials (fraction-free rows are
        # normalized by cancel after each step).
        pivots: list[dict[Any, Any]] = []
        for mono in nonlinear:
            pivot = next((r for r in rows if mono in r and not self.zero.is_zero(r[mono])), None)
            if pivot is None:
                continue
            rows.remove(pivot)
            pc = pivot[mono]
            new_rows = []
            for r in rows:
                c = r.get(mono)
                if c is None:
                    new_rows.append(r)
                    continue
                factor = sympy.cancel(c / pc)
                combined: dict[Any, Any] = dict(r)
                for m, v in pivot.items():
                    combined[m] = _reduce(combined.get(m, 0) - factor * v)
                new_rows.append({m: v for m, v in combined.items() if v != 0})
            rows = new_rows
            pivots.append(pivot)
        found = []
        for r in rows:
            if r and all(sum(m) <= 1 for m in r) and any(sum(m) == 1 for m in r):
                gens = [sympy.Mul(*(u**k for u, k in zip(unknowns, m, strict=True))) for m in r]
                found.append(sympy.Add(*(c * g for c, g in zip(r.values(), gens, strict=True))))
        if not found:
            return None
        self.budget.check("linear combinations")
        return [self._solve_linear_system(case, found)]

    def _solve_linear_system(self, case: _Case, linear: list[Any]) -> _Case | None:
        """Solve linear equations jointly (fraction-free elimination over the parameters'
        fraction field), substitute every solved unknown, keep the others free."""
        unknowns = [u for u in case.unknowns if any(u in e.free_symbols for e in linear)]
        A, b = sympy.linear_eq_to_matrix(linear, unknowns)
        solution = sympy.linsolve((A, b), unknowns)
        if solution == sympy.EmptySet:
            return None  # inconsistent for generic parameters
        (values,) = list(solution)
        # linsolve's values are in the parameters and the unknowns it leaves free (v == u):
        # substituted all at once.
        mapping = {u: v for u, v in zip(unknowns, values, strict=True) if v != u}
        return self._substitute_all(case, mapping, [_step(u, v) for u, v in mapping.items()])

    def _linear_dependent(self, case: _Case, eqs: list[list[Any]]) -> list[_Case | None] | None:
        """Linear in an unknown with a coefficient that depends on other unknowns."""
        unknowns = set(case.unknowns)
        for factors in eqs:
            e = factors[0]
            for v in sorted(e.free_symbols & unknowns, key=str):
                coeff = e.diff(v)
                if v in coeff.free_symbols:
                    continue
                rest = e.xreplace({v: 0})
                others = [_product(f) for f in eqs if f is not factors]
                divide = _Case(
                    eqs=list(others),
                    subs=dict(case.subs),
                    unknowns=list(case.unknowns),
                    prune=[*case.prune, coeff],
                    steps=list(case.steps),
                    real=case.real,
                )
                zero = _Case(
                    eqs=[coeff, rest, *others],
                    subs=dict(case.subs),
                    unknowns=list(case.unknowns),
                    prune=list(case.prune),
                    steps=[*case.steps, f"{coeff} = 0"],
                    real=case.real,
                )
                value = sympy.cancel(-rest / coeff)
                return [self._substitute(divide, v, value, _step(v, value)), zero]
        return None

    def _resultant(self, case: _Case, eqs: list[list[Any]]) -> list[_Case | None] | None:
        """Eliminate an unknown from two polynomial equations by their resultant."""
        unknowns = sorted(set(case.unknowns), key=str)
        polys = [f[0] for f in eqs if f[0].is_polynomial(*unknowns)]
        for i, p in enumerate(polys):
            for q in polys[i + 1 :]:
                for v in unknowns:
                    if v in p.free_symbols and v in q.free_symbols:
                        res = sympy.resultant(p, q, v)
                        if res == 0 or self.zero.is_zero(res):
                            continue
                        new = _Case(
                            eqs=[res, *[_product(f) for f in eqs]],
                            subs=case.subs,
                            unknowns=case.unknowns,
                            prune=case.prune,
                            steps=case.steps,
                            real=case.real,
                        )
                        # Progress: the resultant has fewer unknowns than p and q together.
                        if len(res.free_symbols & set(unknowns)) < len(
                            (p.free_symbols | q.free_symbols) & set(unknowns)
                        ):
                            return [new]
        return None

    def _last_resort(self, case: _Case, eqs: list[list[Any]]) -> list[_Case | None]:
        system = [_product(f) for f in eqs]
        polynomial = all(e.is_polynomial(*case.unknowns) for e in system)
        try:
            sols = sympy.solve(system, case.unknowns, dict=True)
        except NotImplementedError:
            sols = []
            self.incomplete.append(f"sympy.solve cannot solve {system}")
        if not polynomial:
            self.incomplete.append(
                f"transcendental equations {system}: sympy.solve was the last resort and may "
                "miss solutions"
            )
        # sympy.solve gives the principal branch of the Lambert W function only; on
        # -1/e < z < 0 the branch k = -1 is a second real solution of the same equation.
        for sol in list(sols):
            if any(
                w.func == sympy.LambertW and len(w.args) == 1
                for v in sol.values()
                for w in v.atoms(sympy.LambertW)
            ):
                sols.append(
                    {
                        k: v.replace(
                            lambda w: isinstance(w, sympy.LambertW) and len(w.args) == 1,
                            lambda w: sympy.LambertW(w.args[0], -1),
                        )
                        for k, v in sol.items()
                    }
                )
        out: list[_Case | None] = []
        for sol in sols:
            current: _Case | None = case
            for v, val in sol.items():
                if current is None:
                    break
                current = self._substitute(current, v, val, _step(v, val))
            if current is not None:
                # sympy.solve's solutions of non-polynomial equations are not always solutions
                # (a - sqrt(x) = 0 gives x = a**2 also for a < 0): the equations evaluated at
                # the point must vanish, and that is part of where it exists.
                residuals = []
                for e in system:
                    r = e.xreplace(sol)
                    if expression_size(r, _STEP_LIMIT * 4) <= _STEP_LIMIT * 4:
                        r = sympy.simplify(r)
                    # Zero wherever it is defined (the zero test samples only there): no
                    # condition; else the point exists only where the residual vanishes.
                    if r != 0 and not self.zero.is_zero(r, record=False):
                        residuals.append(sympy.Eq(r, 0))
                real = current.real
                if residuals:
                    real = [*real, (sympy.Integer(0), sympy.And(*residuals))]
                current = _Case(
                    [], current.subs, current.unknowns, current.prune, current.steps, real
                )
            out.append(current)
        return out

    def _offer(self, leaf: tuple[dict[Any, Any], tuple[Any, ...], str, int, list[Any]]) -> None:
        """Hand the points found so far to a parent process (kept if the budget runs out)."""
        if self.budget.timeout is None or not self.pieces or not self.offering:
            return
        subs, free, case, k, real = leaf
        point = {s: strict(subs.get(s, s)) for s in self.model.states}
        piece = self.pieces[k]
        exists = _existence(
            self.model, point, self.domains, defined=piece.defined, real=real, simplify=False
        )
        # Sent light: a pickled relation is re-decided when unpickled (sympy rebuilds it with
        # evaluation, a sign query on a large expression), so the parent rebuilds it unevaluated.
        self.budget.offer_more(((point, _frozen(exists), case, free, piece.rhs),))

    # -- the search ------------------------------------------------------------------------
    def run(self, eqs: list[Any], unknowns: list[Any]) -> None:
        """Solve the case tree of one piece: the first cases here, breadth first, until there
        are FANOUT independent subtrees; those are solved on the cores this process may use
        (:func:`map_forked`), and their leaves taken in the order of the stack."""
        stack: list[_Case] = [_Case(list(eqs), {}, list(unknowns), [], [])]
        while stack and len(stack) < FANOUT and self.cases < FANOUT_CASES:
            # The shallowest case first: it holds the largest subtree.
            self._step(stack, stack.pop(0))
        if len(stack) >= 2:
            subtrees = list(reversed(stack))  # the order a depth-first search would take them
            for leaves, incomplete, polys, undecided, cases, offered in map_forked(
                self._subtree, subtrees
            ):
                self.incomplete.extend(incomplete)
                self.root_polys.update(polys)
                self.zero.undecided.extend(undecided)
                self.cases += cases
                for leaf in leaves:
                    self.leaves.append(leaf)
                    if not offered:  # found by a worker: offered now, when it came back
                        self._offer(leaf)
        else:
            self._search(stack)

    def _subtree(
        self, case: _Case
    ) -> tuple[list[Any], list[str], dict[Any, Any], list[Any], int, bool]:
        """The leaves (and notes, roots, undecided zero tests, case count) of one subtree, and
        whether they were offered as found; the solver's own lists are left as they were (this
        runs in this process, offering each point as it is found, or in a worker process, whose
        points are offered when they come back)."""
        marks = (len(self.leaves), len(self.incomplete), len(self.zero.undecided), self.cases)
        polys = dict(self.root_polys)
        here = os.getpid() == self.pid
        self.offering = here
        try:
            self._search([case])
            new_polys = {k: v for k, v in self.root_polys.items() if k not in polys}
            return (
                self.leaves[marks[0] :],
                self.incomplete[marks[1] :],
                new_polys,
                self.zero.undecided[marks[2] :],
                self.cases - marks[3],
                here,
            )
        finally:
            del self.leaves[marks[0] :], self.incomplete[marks[1] :]
            del self.zero.undecided[marks[2] :]
            self.cases = marks[3]
            self.root_polys = polys
            self.offering = True

    def _search(self, stack: list[_Case]) -> None:
        """Depth first through the cases on `stack`."""
        while stack:
            self._step(stack, stack.pop())

    def _step(self, stack: list[_Case], case: _Case) -> None:
        """Process one case: a leaf, nothing, or its sub-cases pushed on the end of `stack`."""
        # Triangular steps first, then case splits, then linear systems solved jointly (with
        # the linear combinations of the nonlinear equations), then the nonlinear strategies.
        strategies = (
            self._triangular,
            self._split_case,
            self._univariate,
            self._linear_combination,
            self._linear,
            self._linear_dependent,
            self._resultant,
        )
        # Past the budget: the points offered so far make the partial result (built by the
        # caller from the snapshot, without recomputing anything past the deadline).
        self.budget.check(f"case {' ; '.join(case.steps) or 'start'}")
        self.cases += 1
        normalized = self._normalize(case)
        if normalized is None:
            return
        if not normalized:
            self.leaves.append(
                (case.subs, tuple(case.unknowns), " ; ".join(case.steps), self.piece, case.real)
            )
            self._offer(self.leaves[-1])
            return
        if not case.unknowns:
            return
        new: list[_Case | None] | None = None
        for strategy in strategies:
            new = strategy(case, normalized)
            if new is not None:
                break
        if new is None:
            new = self._last_resort(case, normalized)
        stack.extend(reversed([c for c in new if c is not None]))


#: The case tree is opened breadth first until it has this many independent subtrees (or has
#: processed FANOUT_CASES cases); the subtrees are then solved on the available cores. The
#: same opening is used with one core, so the leaves come in the same order either way.
FANOUT = 16
FANOUT_CASES = 64


def _reduce(e: Any) -> Any:
    """Canonical form of a coefficient: expanded if polynomial, else cancelled."""
    if any(p.exp.is_negative for p in e.atoms(sympy.Pow)):
        return sympy.cancel(e)
    return sympy.expand(e)


def _monomial_terms(e: Any, unknowns: list[Any]) -> dict[tuple[int, ...], Any]:
    """``e`` (a polynomial in the unknowns) as exponent tuple -> coefficient."""
    out: dict[tuple[int, ...], Any] = {}
    index = {u: k for k, u in enumerate(unknowns)}
    for term in sympy.Add.make_args(sympy.expand(e)):
        coeff, mono = term.as_independent(*unknowns, as_Add=False)
        exps = [0] * len(unknowns)
        for base, power in mono.as_powers_dict().items():
            if base in index:
                exps[index[base]] += int(power)
        key = tuple(exps)
        out[key] = out.get(key, 0) + coeff
    return {k: v for k, v in out.items() if v != 0}


def _product(factors: list[Any]) -> Any:
    return sympy.Mul(*factors)


def _step(lhs: Any, rhs: Any) -> str:
    """A case step for `Equilibrium.case`; large expressions are elided (printing costs)."""
    left = str(lhs) if expression_size(lhs, _STEP_LIMIT) <= _STEP_LIMIT else "(...)"
    right = str(rhs) if expression_size(rhs, _STEP_LIMIT) <= _STEP_LIMIT else "(...)"
    return f"{left} = {right}"


# --------------------------------------------------------------------------------------------
# Real roots of a polynomial in one unknown


def real_roots(
    expr: Any, v: Any, domains: Mapping[Any, Domain], zero: ZeroTest | None = None
) -> tuple[list[Any], str]:
    """Closed forms of the real roots of a polynomial in `v` whose coefficients are parameters.

    Each root is written so that it is real wherever it is defined: quadratics by the usual
    formula (real where the discriminant is nonnegative); binomials ``c x**n + d`` by the real
    ``n``-th root; cubics by the trigonometric form (three real roots, where
    ``4 p**3 + 27 q**2 < 0`` for the depressed cubic ``t**3 + p t + q``) and by Cardano's form
    with real cube roots (one real root, where ``4 p**3 + 27 q**2 > 0``). When the parameters'
    domains do not decide the sign of the discriminant, both forms are returned: the
    definition conditions of each (:func:`~.conditions.definition_conditions`: radicands
    nonnegative, ``acos`` arguments in ``[-1, 1]``) are exactly where it is a real root.
    Polynomials with numeric coefficients have their real roots exactly
    (:meth:`sympy.Poly.real_roots`). A root never given through complex numbers.

    Parameters
    ----------
    expr : sympy.Expr
        A polynomial in `v`.
    v : sympy.Symbol
    domains : mapping of Symbol to Domain
        The parameters' domains (they decide signs).
    zero : ZeroTest, optional

    Returns
    -------
    (list of (sympy.Expr, sympy Boolean or None), str)
        Each root with the condition on the parameters under which it is real (None: where
        its definition conditions hold), and a note (empty when every real root is among
        them) saying what is missing.

    References
    ----------
    .. [1] R. W. D. Nickalls, A new approach to solving the cubic: Cardan's solution
       revealed, Math. Gazette 77 (1993) 354-359 (the trigonometric form).

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.equilibria import real_roots
    >>> x, a = sympy.Symbol("x", real=True), sympy.Symbol("a", real=True)
    >>> [r for r, _ in real_roots(x**3 - 3*x + 1, x, {})[0]]
    [2*cos(2*pi/9), 2*cos(4*pi/9), -2*cos(pi/9)]
    >>> real_roots(a - x**3, x, {})[0]
    [(Abs(a)**(1/3)*sign(a), True)]
    >>> [c for _, c in real_roots(x**2 - a, x, {})[0]]
    [a >= 0, a >= 0]
    """
    zero = zero or ZeroTest(domains)
    poly = sympy.Poly(expr, v)
    n = poly.degree()
    coeffs = poly.all_coeffs()
    if n <= 0:
        return [], ""
    if n == 1:
        return [(sympy.cancel(-coeffs[1] / coeffs[0]), sympy.true)], ""
    if not (expr.free_symbols - {v}):
        return [(r, sympy.true) for r in _numeric_real_roots(poly)], ""
    inner = [c for c in coeffs[1:-1]]
    if all(c == 0 or zero.is_zero(c) for c in inner):
        return _binomial_roots(coeffs[0], coeffs[-1], n, domains), ""
    if n == 2:
        a, b, c = coeffs
        disc = sympy.expand(b**2 - 4 * a * c)
        if generic_sign(disc, domains) == -1:
            return [], ""
        disc = sympy.factor(disc) if expression_size(disc) <= 60 else disc
        root = refine_abs(sympy.sqrt(disc), domains)  # sqrt((theta - 1)**2) is 1 - theta
        real = sympy.Ge(disc, 0)
        return [((-b - root) / (2 * a), real), ((-b + root) / (2 * a), real)], ""
    if n == 3:
        return _cubic_roots(coeffs, domains, zero), ""
    found = sympy.roots(poly, multiple=False)
    real = [(r, None) for r in found if not r.has(sympy.I)]
    missing = n - sum(m for r, m in found.items() if not r.has(sympy.I))
    note = ""
    if missing:
        note = (
            f"a polynomial of degree {n} in `{v}` with parameter coefficients has {missing} "
            "root(s) that have no closed form free of complex numbers (their realness is not "
            "decided here); use ig.find_equilibria at numeric parameters"
        )
    return real, note


def _numeric_real_roots(poly: Any) -> list[Any]:
    """Exact real roots of a polynomial with numeric coefficients, in radicals or as
    trigonometric forms when those are real, else as ``CRootOf``."""
    out: list[Any] = []
    for fac, _ in sympy.factor_list(poly)[1]:
        if fac.degree() == 0:
            continue
        coeffs = fac.all_coeffs()
        if fac.degree() <= 2:
            out.extend(r for r in sympy.roots(fac, multiple=True) if r.is_real)
        elif fac.degree() == 3:
            out.extend(r for r, _ in _cubic_roots(coeffs, {}, ZeroTest({})))
        else:
            out.extend(fac.real_roots())
    return list(dict.fromkeys(out))


def _binomial_roots(
    lead: Any, const: Any, n: int, domains: Mapping[Any, Domain]
) -> list[tuple[Any, Any]]:
    """Real roots of ``lead x**n + const``: ``x**n = c`` with ``c = -const/lead``."""
    c = sympy.cancel(-const / lead)
    if n % 2:
        return [(real_root(c, n, domains), sympy.true)]
    if generic_sign(c, domains) == -1:
        return []
    r = c ** sympy.Rational(1, n)
    return [(r, sympy.Ge(c, 0)), (-r, sympy.Ge(c, 0))]


def _cubic_roots(
    coeffs: Sequence[Any], domains: Mapping[Any, Domain], zero: ZeroTest
) -> list[tuple[Any, Any]]:
    """Real roots of a cubic ``a x**3 + b x**2 + c x + d`` (trigonometric and Cardano forms)."""
    a, b, c, d = coeffs
    B, C, D = (sympy.cancel(k / a) for k in (b, c, d))
    shift = -B / 3
    # Depressed cubic t**3 + p t + q with x = t - B/3.
    p = sympy.cancel(C - B**2 / 3)
    q = sympy.cancel(2 * B**3 / 27 - B * C / 3 + D)
    if p == 0 or zero.is_zero(p):
        return [(sympy.cancel(shift) + real_root(-q, 3, domains), sympy.true)]
    disc = sympy.factor(4 * p**3 + 27 * q**2)
    sign = generic_sign(disc, domains)
    out: list[tuple[Any, Any]] = []
    three, one = sympy.Lt(disc, 0), sympy.Gt(disc, 0)
    if sign is None or sign == -1:
        # Three real roots (Vieta's trigonometric form): t_k = 2 sqrt(-p/3) cos(phi/3 - 2 pi k/3),
        # cos(phi) = (3 q / (2 p)) sqrt(-3/p).
        r = sympy.sqrt(-p / 3)
        phi = sympy.acos(sympy.Rational(3, 2) * q / p * sympy.sqrt(-3 / p))
        for k in range(3):
            out.append((shift + 2 * r * sympy.cos(phi / 3 - 2 * sympy.pi * k / 3), three))
    if sign is None or sign == 1:
        # One real root (Cardano with real cube roots).
        s = sympy.sqrt(q**2 / 4 + p**3 / 27)
        root = shift + real_root(-q / 2 + s, 3, domains) + real_root(-q / 2 - s, 3, domains)
        out.append((root, one))
    if sign == 0:
        # A double root -3q/(2p) and a simple root 3q/p.
        out = [(shift + 3 * q / p, sympy.true), (shift - 3 * q / (2 * p), sympy.true)]
    return out


# --------------------------------------------------------------------------------------------
# Piecewise right-hand sides: solved piece by piece


@dataclass(frozen=True)
class _Piece:
    """One combination of pieces of a piecewise system, with where it is active."""

    equations: tuple[Any, ...]
    defined: tuple[Any, ...]  # conditions in states and parameters: defined and active
    case: str = ""
    rhs: tuple[Any, ...] = ()  # the smooth right-hand sides (empty: the model's own)


def _as_piecewise(e: Any, states: set[Any]) -> Any:
    """Abs, sign, Min and Max of the states written as Piecewise (they are piecewise smooth)."""
    kinds = (sympy.Abs, sympy.sign, sympy.Min, sympy.Max, sympy.Heaviside)
    return e.replace(
        lambda n: isinstance(n, kinds) and bool(n.free_symbols & states),
        lambda n: n.rewrite(sympy.Piecewise),
    )


def _pieces(model: Model) -> tuple[list[_Piece], str]:
    """The smooth systems a piecewise model is made of (one for a smooth model), and a note
    when there are too many combinations to enumerate."""
    states = set(model.states)
    eqs = [_as_piecewise(e, states) for e in equilibrium_equations(model)]
    rhs = [_as_piecewise(f, states) for f in model.rhs]
    if not any(e.has(sympy.Piecewise) for e in eqs):
        smooth = tuple(dict.fromkeys(c for e in eqs for c in definition_conditions(e)))
        return [_Piece(tuple(eqs), smooth)], ""
    # Each Piecewise splits the system into its pieces; piece i holds where its condition
    # does and the earlier ones do not.
    work: list[tuple[list[Any], list[Any], list[Any], list[str]]] = [(eqs, rhs, [], [])]
    done: list[tuple[list[Any], list[Any], list[Any], list[str]]] = []
    while work:
        cur_eqs, cur_rhs, conds, words = work.pop()
        pw = next(
            (
                p
                for e in cur_eqs
                for p in sympy.preorder_traversal(e)
                if isinstance(p, sympy.Piecewise)
            ),
            None,
        )
        if pw is None:
            done.append((cur_eqs, cur_rhs, conds, words))
            continue
        earlier: list[Any] = []
        for expr, cond in pw.args:
            active = sympy.And(cond, *[sympy.Not(c) for c in earlier])
            earlier.append(cond)
            if active is sympy.false:
                continue
            sub = {pw: expr}
            work.append(
                (
                    [e.xreplace(sub) for e in cur_eqs],
                    [f.xreplace(sub) for f in cur_rhs],
                    [*conds, active],
                    [
                        *words,
                        str(cond)
                        if cond is not sympy.true
                        else f"not ({earlier[-2] if len(earlier) > 1 else cond})",
                    ],
                )
            )
        if len(work) + len(done) > _PIECE_LIMIT:
            return [], (
                f"the piecewise right-hand side has more than {_PIECE_LIMIT} combinations of "
                "pieces; use ig.find_equilibria at numeric parameters"
            )
    out = []
    for cur_eqs, cur_rhs, conds, words in reversed(done):
        defined = [c for e in cur_eqs for c in definition_conditions(e)]
        out.append(
            _Piece(
                tuple(cur_eqs),
                tuple(dict.fromkeys([*conds, *defined])),
                case="piece " + " & ".join(words),
                rhs=tuple(cur_rhs),
            )
        )
    return out, ""


# --------------------------------------------------------------------------------------------
# Existence and merging


def _nested(num: Any, den: Any) -> bool:
    """Whether a numerator or denominator still holds a fraction."""
    return any(p.exp.is_negative for part in (num, den) for p in part.atoms(sympy.Pow))


def _canonical(value: Any) -> Any:
    if value.is_rational_function():
        num, den = sympy.fraction(value)
        nested = _nested(num, den)
        # A value that is already one fraction (the linear solver and the triangular steps
        # return cancelled ones) is kept; a nested form is brought to one by cancel.
        if nested:
            value = sympy.cancel(value)
        if len(value.free_symbols) <= 6 and expression_size(value) <= _CANONICAL_FACTOR_LIMIT:
            value = sympy.factor(value)
    elif expression_size(value) <= _CANONICAL_FACTOR_LIMIT:
        value = sympy.radsimp(value)
    return value


def _existence(
    model: Model,
    point: dict[Any, Any],
    domains: Mapping[Any, Domain],
    *,
    defined: Sequence[Any] = (),
    real: Sequence[tuple[Any, Any]] = (),
    simplify: bool = True,
) -> Any:
    """Where `point` is an equilibrium of `model` as posed, as a condition on the parameters.

    `defined` holds the conditions, in the states and parameters, under which the right-hand
    sides are defined (denominators nonzero, logarithms of positive numbers, the active pieces
    of a piecewise right-hand side); they are evaluated at the point. `real` pairs a root
    substituted into the point with the condition under which it is real: that condition
    replaces the definition conditions of the root's own radicals (the same set, readable).
    """
    parts: list[Any] = []
    values = list(point.values())
    masks: dict[Any, Any] = {}
    for k, (root, cond) in enumerate(real):
        parts.append(cond)
        if not root.is_Atom:
            masks[root] = sympy.Dummy(f"root{k}", real=True)
    if masks:
        masked = [v.xreplace(masks) for v in values]
        # A root that no longer appears intact: its radicals are checked directly.
        for root, dummy in masks.items():
            if not any(dummy in m.free_symbols for m in masked):
                parts.extend(definition_conditions(root))
        values_for_defs = masked
    else:
        values_for_defs = values
    unmask = {d: r for r, d in masks.items()}
    for v in values_for_defs:
        parts.extend(c.xreplace(unmask) for c in definition_conditions(v))
    for v in values:
        if v.has(sympy.I):
            # Written with complex numbers (sympy.solve's radicals): real only where the
            # imaginary part vanishes; stated as such, never assumed.
            if v.is_number:
                if abs(complex(v.evalf(30)).imag) > 1e-25:
                    return sympy.false
            else:
                parts.append(sympy.Eq(sympy.im(v, evaluate=False), 0, evaluate=False))
    for cond in defined:
        parts.append(cond.xreplace(point))
    # Inside the state domains and the constraints. On the simplex, shares that are all
    # nonnegative and sum to one are at most one, so only ``x >= 0`` is needed there.
    for (s, v), dom in zip(point.items(), model.state_domains, strict=True):
        if model.simplex and dom.kind == "interval" and dom.lo == 0 and dom.hi == 1:
            parts.append(sympy.Ge(v, 0, evaluate=not v.free_symbols))
        else:
            parts.append(dom.condition(s).xreplace({s: v}))
    for c in model.constraints:
        parts.append(c.xreplace(point))
    cond = sympy.And(*parts)
    return simplify_condition(cond, domains) if simplify else cond


def _merge(
    leaves: list[tuple[dict[Any, Any], tuple[Any, ...], str, int, list[Any]]],
    model: Model,
    pieces: Sequence[_Piece],
    zero: ZeroTest,
    domains: Mapping[Any, Domain],
    budget: Budget,
    root_polys: Mapping[Any, tuple[Any, Any]],
) -> list[Equilibrium]:
    def conditions(leaf: tuple[dict[Any, Any], tuple[Any, ...], str, int, list[Any]]) -> Any:
        """Where the leaf's point exists, and its implicit form (None for a pole)."""
        subs, _free, _case, k, real = leaf
        budget.check("existence conditions")
        if any(
            _canonical(subs.get(s, s)).has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
            for s in model.states
        ):
            return None
        piece = pieces[k]
        raw = {s: strict(subs.get(s, s)) for s in model.states}
        exists = _existence(model, raw, domains, defined=piece.defined, real=real)
        implicit = _implicit(model, raw, domains, piece.defined, real, root_polys)
        if implicit is not None and exists not in (sympy.true, sympy.false):
            budget.check("existence conditions")
            decided = implicit.decide(sympy.true, domains)
            if decided is sympy.false:
                exists = sympy.false  # no real root of the polynomials makes the point exist
            elif _always(implicit, [cond for _, cond in real], domains):
                exists = sympy.true
        return exists, implicit

    # The conditions of every leaf are independent of each other: computed on the cores this
    # process may use (see map_forked), then the leaves are merged in order, as before.
    decided = map_forked(conditions, list(leaves))
    found: list[Equilibrium] = []
    prints: list[tuple[complex | None, ...]] = []
    for (subs, free, case, k, _real), known in zip(leaves, decided, strict=True):
        budget.check("existence conditions")
        if known is None:
            continue
        point = {s: _canonical(subs.get(s, s)) for s in model.states}
        piece = pieces[k]
        # A fingerprint (the point at one random parameter point) rules out most duplicates
        # at once; equal fingerprints are confirmed by zero tests of the differences.
        fingerprint = tuple(_fingerprint(zero.value(v)) for v in point.values())
        duplicate = any(
            _same_print(fp, fingerprint)
            and other.free == free
            and other.rhs == piece.rhs
            and all(zero.is_zero(point[s] - other.point[s], record=False) for s in model.states)
            for fp, other in zip(prints, found, strict=True)
        )
        if duplicate:
            continue
        exists, implicit = known
        if exists is sympy.false:
            # Never real, never defined or never in the domain (e.g. x = -1 for a share, a
            # pole of the right-hand side).
            continue
        if piece.case:
            case = f"{piece.case} ; {case}" if case else piece.case
        found.append(
            Equilibrium(
                point=point, exists=exists, case=case, free=free, rhs=piece.rhs, implicit=implicit
            )
        )
        prints.append(fingerprint)
    return found


def _always(form: ImplicitForm, real: Sequence[Any], domains: Mapping[Any, Domain]) -> bool:
    """Whether the point exists at every parameter point of the domains.

    Its roots must be real everywhere (`real`, conditions on the parameters alone: a real root
    of the polynomials somewhere says nothing where there is none), and no real root of the
    polynomials may fail the existence condition (the point's root is one of them).
    """
    if real and satisfiable(sympy.Not(sympy.And(*real)), domains) is not False:
        return False
    return satisfiable(sympy.And(form.constraints(), sympy.Not(form.exists)), domains) is False


def _implicit(
    model: Model,
    raw: dict[Any, Any],
    domains: Mapping[Any, Domain],
    defined: Sequence[Any],
    real: Sequence[tuple[Any, Any]],
    root_polys: Mapping[Any, tuple[Any, Any]],
) -> ImplicitForm | None:
    """The point through the roots it holds (see :class:`ImplicitForm`); None without roots."""
    used = [r for r, _ in real if r in root_polys]
    if not used:
        return None
    mask = {r: sympy.Dummy(f"r{k}", real=True) for k, r in enumerate(used)}
    point = {s: v.xreplace(mask) for s, v in raw.items()}
    if not any(d in v.free_symbols for v in point.values() for d in mask.values()):
        return None  # the roots no longer appear intact in the point
    roots = []
    for r, d in mask.items():
        e, v = root_polys[r]
        roots.append((d, r, sympy.expand(e.xreplace({v: d}).xreplace(mask))))
    conditions = [(sympy.Integer(0), cond) for _, cond in real]
    exists = _existence(model, point, domains, defined=defined, real=conditions, simplify=False)
    return ImplicitForm(point=point, exists=exists, roots=tuple(roots))


def _fingerprint(value: Any) -> complex | None:
    if value.is_number and not value.has(sympy.zoo, sympy.nan):
        try:
            return complex(value.evalf(20))
        except (TypeError, ValueError):
            return None
    return None


def _same_print(a: tuple[complex | None, ...], b: tuple[complex | None, ...]) -> bool:
    return all(
        x is None or y is None or abs(x - y) <= 1e-9 * (1 + abs(x))
        for x, y in zip(a, b, strict=True)
    )


def _sort_key(e: Equilibrium, zero: ZeroTest) -> tuple[Any, ...]:
    # Points free of parameters first (in numeric order), then by size and text.
    numeric = all(not v.free_symbols for v in e.values)
    nums = tuple(float(v) if not v.free_symbols and v.is_real else 0.0 for v in e.values)
    # Ties broken by the point's values at the zero test's first random point (seeded, so the
    # order is reproducible); printing large coordinates to compare them as text costs seconds.
    fingerprints = (_fingerprint(zero.value(v)) for v in e.values)
    prints = tuple((f.real, f.imag) if f is not None else (0.0, 0.0) for f in fingerprints)
    return (not numeric, sum(expression_size(v) for v in e.values), nums, prints)


def equilibria(
    model: Model, *, timeout: float | None = None, partial: bool = False
) -> EquilibriumSet:
    """All equilibria (fixed points) of `model` in closed form, with existence conditions.

    Parameters
    ----------
    model : Model
        Any model; on the simplex the constraint ``sum(x) = 1`` is added.
    timeout : float, optional
        Seconds allowed (default: no limit).
    partial : bool
        Past the timeout, return what was found, flagged incomplete, instead of raising.

    Returns
    -------
    EquilibriumSet
        A sequence of :class:`Equilibrium` with ``.complete`` and ``.message``.

    Raises
    ------
    SymbolicTimeout
        Past `timeout` (unless `partial`).
    ModelError
        When `model` is not a Model.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations(
    ...     {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
    ...     parameters={"a": {"default": 1, "domain": "positive"},
    ...                 "b": {"default": 2.5, "domain": "positive"}})
    >>> eqs = ig.equilibria(m)
    >>> [e.point for e in eqs], eqs.complete
    ([{x: a, y: b/a}], True)
    """
    if not isinstance(model, Model):
        raise ModelError(
            f"`model` must be an incentive_geometry Model, got {model!r:.60} "
            f"({type(model).__name__}); build one with Model.from_equations or load_model"
        )
    return run_bounded(
        _equilibria,
        model,
        timeout=timeout,
        what=f"equilibria of `{model.name}`",
        partial=partial,
        partial_result=_stopped_set(model, timeout) if partial else None,
    )


def _frozen(cond: Any) -> Any:
    """`cond` as nested tuples of its connectives and relations (see :func:`_thawed`)."""
    if isinstance(cond, sympy.And | sympy.Or):
        return (type(cond).__name__, tuple(_frozen(a) for a in cond.args))
    if isinstance(cond, sympy.Not):
        return ("Not", (_frozen(cond.args[0]),))
    if isinstance(cond, sympy.core.relational.Relational):
        return (cond.rel_op, cond.lhs, cond.rhs)
    return cond


def _thawed(frozen: Any) -> Any:
    """The condition :func:`_frozen` wrote, rebuilt without evaluation (nothing re-decided)."""
    if not isinstance(frozen, tuple):
        return frozen
    head, *rest = frozen
    if head in ("And", "Or"):
        return getattr(sympy, head)(*(_thawed(a) for a in rest[0]), evaluate=False)
    if head == "Not":
        return sympy.Not(_thawed(rest[0][0]), evaluate=False)
    return sympy.Rel(rest[0], rest[1], head, evaluate=False)


def _stopped_set(model: Model, timeout: float | None) -> Any:
    """What a stopped computation returns when partial results were asked for."""

    def build(found: Any, step: str) -> EquilibriumSet:
        points = tuple(
            Equilibrium(point=point, exists=_thawed(exists), case=case, free=free, rhs=rhs)
            for point, exists, case, free, rhs in found or ()
        )
        return EquilibriumSet(
            points,
            complete=False,
            model=model,
            message=(
                f"stopped at the time budget ({timeout} s) during {step or 'the first step'}; "
                "the points found so far are listed with unsimplified existence conditions"
            ),
        )

    return build


def _equilibria(model: Model, *, budget: Budget, partial: bool) -> EquilibriumSet:
    # `partial` is the caller's: a stopped run raises, and run_bounded builds the partial set.
    del partial
    solver = _Solver(model, budget)
    pieces, note = _pieces(model)
    solver.pieces = pieces
    if note:
        solver.incomplete.append(note)
    # Past the budget a SymbolicTimeout leaves here: with `partial`, the caller builds the
    # partial set from the points offered (see `_stopped_set`).
    for k, piece in enumerate(pieces):
        solver.piece = k
        solver.run(list(piece.equations), list(model.states))
    items = _merge(
        solver.leaves, model, pieces, solver.zero, solver.domains, budget, solver.root_polys
    )
    if solver.zero.undecided:
        solver.incomplete.append(
            f"{len(solver.zero.undecided)} zero test(s) could not be decided (the expression "
            "was undefined or complex at every random point drawn); cases may be missing"
        )
    items.sort(key=lambda e: _sort_key(e, solver.zero))
    message = "; ".join(dict.fromkeys(solver.incomplete))
    return EquilibriumSet(
        tuple(items), complete=not solver.incomplete, message=message, model=model
    )
