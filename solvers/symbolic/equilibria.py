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

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import sympy
from sympy.core.sympify import _sympify  # strict: converts sympy objects and numbers, never text

from incentive_geometry.errors import ModelError, SymbolicTimeout
from incentive_geometry.model import Domain, Model

from .budget import Budget
from .conditions import domain_map, expression_size, simplify_condition

__all__ = ["Equilibrium", "EquilibriumSet", "equilibria", "equilibrium_equations"]

# Zero tests are confirmed by cancel below this size.
_CONFIRM_LIMIT = 80
# Case steps print expressions up to this size.
_STEP_LIMIT = 40
# Random parameter points for zero tests (Schwartz-Zippel: a nonzero polynomial of degree d
# vanishes at a random point of a grid of side ~10^4 with probability <= d/10^4; see _ZeroTest).
_ZERO_POINTS = 2
# Full factorization when splitting equations: only below this size (expression tree nodes).
_SPLIT_FACTOR_LIMIT = 120
# Equilibrium coordinates are printed factored below this size.
_CANONICAL_FACTOR_LIMIT = 120


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

    def __hash__(self) -> int:
        return hash((tuple(self.point.items()), self.exists, self.case, self.free))

    @property
    def values(self) -> tuple[Any, ...]:
        """The state values, in the model's state order."""
        return tuple(self.point.values())

    def __str__(self) -> str:
        coords = ", ".join(f"{s} = {v}" for s, v in self.point.items())
        return f"({coords})  exists when {self.exists}"


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


class _ZeroTest:
    """Is an expression in the parameters identically zero?

    Exact evaluation at random rational points inside the parameter domains: a nonzero value
    proves "not zero"; zero at several independent points means zero with probability one
    (Schwartz-Zippel), confirmed by ``cancel`` when the expression is small.
    """

    def __init__(self, domains: Mapping[Any, Domain], seed: int = 20260101) -> None:
        rng = random.Random(seed)
        self.points: list[dict[Any, Any]] = []
        for _ in range(_ZERO_POINTS):
            point = {}
            for sym, dom in domains.items():
                frac = sympy.Rational(rng.randint(101, 9901), 10007)
                if dom.kind == "interval":
                    point[sym] = dom.lo + (dom.hi - dom.lo) * frac  # type: ignore[operator]
                elif dom.kind == "real":
                    point[sym] = sympy.Rational(rng.randint(-997, 997), rng.randint(101, 997))
                else:
                    point[sym] = frac * rng.randint(1, 7)
            self.points.append(point)

    def value(self, expr: Any, k: int = 0) -> Any:
        return expr.xreplace(self.points[k])

    def is_zero_in(self, expr: Any, unknowns: set[Any]) -> bool:
        """Zero as a function of the parameters and the unknowns together."""
        names = sorted(expr.free_symbols & unknowns, key=str)
        if not names:
            return self.is_zero(expr)
        rng = random.Random(len(names))
        for point in self.points:
            values = {u: sympy.Rational(rng.randint(-997, 997), rng.randint(101, 997)) for u in names}
            v = expr.xreplace(values).xreplace(point)
            if v.free_symbols or not v.is_number:
                return bool(sympy.cancel(expr) == 0)
            if v.is_Rational:
                if v != 0:
                    return False
                continue
            if v.has(sympy.zoo, sympy.nan):
                continue
            if abs(complex(v.evalf(30))) > 1e-20:
                return False
        return True

    def is_zero(self, expr: Any) -> bool:
        if expr == 0:
            return True
        for point in self.points:
            v = expr.xreplace(point)
            if v.free_symbols:
                return bool(sympy.cancel(expr) == 0)
            if v.is_Rational:
                if v != 0:
                    return False
                continue
            if v.has(sympy.zoo, sympy.nan):
                continue
            num = complex(v.evalf(30))
            if abs(num) > 1e-20:
                return False
        # Zero at every random point: zero with probability one (Schwartz-Zippel); small
        # expressions are confirmed exactly.
        if expression_size(expr, _CONFIRM_LIMIT) <= _CONFIRM_LIMIT:
            return bool(sympy.cancel(expr) == 0)
        return True


@dataclass
class _Case:
    """One branch of the case split."""

    eqs: list[Any]
    subs: dict[Any, Any]
    unknowns: list[Any]
    prune: list[Any]  # expressions this case assumes nonzero (earlier factors of a split)
    steps: list[str]


class _Solver:
    def __init__(self, model: Model, budget: Budget, partial: bool) -> None:
        self.model = model
        self.budget = budget
        self.partial = partial
        self.domains = domain_map(model)
        self.zero = _ZeroTest(self.domains)
        self.params = set(model.parameter_symbols)
        self.leaves: list[tuple[dict[Any, Any], tuple[Any, ...], str]] = []
        self.incomplete: list[str] = []
        self._split_cache: dict[Any, list[Any]] = {}
        self.cases = 0

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
            at_zero = e.xreplace({g: 0})
            if at_zero == 0 or self.zero.is_zero_in(at_zero, unknowns):
                parts = [t.as_coeff_exponent(g) for t in sympy.Add.make_args(sympy.expand(e))]
                if all(k.is_Integer and k >= 1 and g not in c.free_symbols for c, k in parts):
                    rest = sympy.Add(*(c * g ** (k - 1) for c, k in parts))
                    return [g, *self._split(rest, unknowns)]
        # Roots at 1 and -1 (the vertices of shares): divide out (x - 1) by synthetic
        # division, which is far cheaper than a full factorization.
        for g in gens:
            for root in (sympy.Integer(1), sympy.Integer(-1)):
                if not self.zero.is_zero_in(e.xreplace({g: root}), unknowns):
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
        mapping = {var: value}
        prune = [p.xreplace(mapping) for p in case.prune]
        unknowns = [u for u in case.unknowns if u != var]
        uset = set(unknowns)
        for p in prune:
            if not (p.free_symbols & uset) and self.zero.is_zero(p):
                return None  # this point belongs to an earlier case of a split
        subs = {k: v.xreplace(mapping) for k, v in case.subs.items()}
        subs[var] = value
        return _Case(
            eqs=[e.xreplace(mapping) for e in case.eqs],
            subs=subs,
            unknowns=unknowns,
            prune=prune,
            steps=[*case.steps, step],
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
            )
            out.append(new)
        return out

    def _univariate(self, case: _Case, eqs: list[list[Any]]) -> list[_Case | None] | None:
        """A polynomial equation in a single unknown: its roots by radicals."""
        unknowns = set(case.unknowns)
        for factors in eqs:
            e = factors[0]
            present = e.free_symbols & unknowns
            if len(present) != 1:
                continue
            (v,) = present
            if not e.is_polynomial(v):
                continue
            poly = sympy.Poly(e, v)
            rts = sympy.roots(poly, multiple=False)
            if sum(rts.values()) < poly.degree():
                self.incomplete.append(
                    f"a polynomial of degree {poly.degree()} in `{v}` has no solution by "
                    f"radicals ({e})"
                )
                if not rts:
                    return []
            out: list[_Case | None] = []
            for r in rts:
                if r.has(sympy.I) and not r.free_symbols:
                    continue  # a complex root for every parameter value
                out.append(self._substitute(case, v, r, _step(v, r)))
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
        nonlinear = sorted(
            {m for r in rows for m in r if sum(m) >= 2}, key=lambda m: (-sum(m), m)
        )
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
        current: _Case | None = case
        for u, v in zip(unknowns, values, strict=True):
            if current is None:
                return None
            if v == u:
                continue  # left free by the linear equations
            current = self._substitute(current, u, v, _step(u, v))
        return current

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
                )
                zero = _Case(
                    eqs=[coeff, rest, *others],
                    subs=dict(case.subs),
                    unknowns=list(case.unknowns),
                    prune=list(case.prune),
                    steps=[*case.steps, f"{coeff} = 0"],
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
        out: list[_Case | None] = []
        for sol in sols:
            current: _Case | None = case
            for v, val in sol.items():
                if current is None:
                    break
                current = self._substitute(current, v, val, _step(v, val))
            if current is not None:
                current = _Case([], current.subs, current.unknowns, current.prune, current.steps)
            out.append(current)
        return out

    # -- the search ------------------------------------------------------------------------
    def run(self, eqs: list[Any], unknowns: list[Any]) -> None:
        stack: list[_Case] = [_Case(list(eqs), {}, list(unknowns), [], [])]
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
        while stack:
            if self.budget.expired():
                if not self.partial:
                    self.budget.check(f"case {' ; '.join(stack[-1].steps) or 'start'}")
                self.incomplete.append(
                    f"stopped at the time budget ({self.budget.timeout} s) with "
                    f"{len(stack)} case(s) left"
                )
                return
            case = stack.pop()
            self.cases += 1
            normalized = self._normalize(case)
            if normalized is None:
                continue
            if not normalized:
                self.leaves.append((case.subs, tuple(case.unknowns), " ; ".join(case.steps)))
                continue
            if not case.unknowns:
                continue
            new: list[_Case | None] | None = None
            for strategy in strategies:
                new = strategy(case, normalized)
                if new is not None:
                    break
            if new is None:
                new = self._last_resort(case, normalized)
            stack.extend(reversed([c for c in new if c is not None]))


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
    model: Model, point: dict[Any, Any], domains: Mapping[Any, Domain], *, simplify: bool = True
) -> Any:
    parts: list[Any] = []
    values = list(point.values())
    # Real: every even root of the point has a nonnegative radicand.
    for v in values:
        for p in v.atoms(sympy.Pow):
            if p.exp.is_Rational and not p.exp.is_integer and p.exp.q % 2 == 0:
                parts.append(sympy.Ge(p.base, 0))
    # Defined: no denominator vanishes.
    for v in values:
        num, den = sympy.fraction(v)
        if _nested(num, den):
            den = sympy.fraction(sympy.together(v))[1]
        if den.free_symbols:
            parts.append(sympy.Ne(den, 0))
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
    leaves: list[tuple[dict[Any, Any], tuple[Any, ...], str]],
    model: Model,
    zero: _ZeroTest,
    domains: Mapping[Any, Domain],
    budget: Budget,
) -> list[Equilibrium]:
    found: list[Equilibrium] = []
    prints: list[tuple[complex | None, ...]] = []
    for subs, free, case in leaves:
        budget.check("existence conditions")
        point = {s: _canonical(subs.get(s, s)) for s in model.states}
        if any(v.has(sympy.zoo, sympy.nan, sympy.oo) for v in point.values()):
            continue
        # A fingerprint (the point at one random parameter point) rules out most duplicates
        # at once; equal fingerprints are confirmed by zero tests of the differences.
        fingerprint = tuple(_fingerprint(zero.value(v)) for v in point.values())
        duplicate = any(
            _same_print(fp, fingerprint)
            and other.free == free
            and all(zero.is_zero(point[s] - other.point[s]) for s in model.states)
            for fp, other in zip(prints, found, strict=True)
        )
        if duplicate:
            continue
        exists = _existence(model, point, domains)
        if exists is sympy.false:
            # Never real or never in the domain (e.g. x = -1 for a share).
            continue
        found.append(Equilibrium(point=point, exists=exists, case=case, free=free))
        prints.append(fingerprint)
    return found


def _fingerprint(value: Any) -> complex | None:
    if value.is_number and not value.has(sympy.zoo, sympy.nan):
        return complex(value.evalf(20))
    return None


def _same_print(a: tuple[complex | None, ...], b: tuple[complex | None, ...]) -> bool:
    return all(
        x is None or y is None or abs(x - y) <= 1e-9 * (1 + abs(x)) for x, y in zip(a, b, strict=True)
    )


def _sort_key(e: Equilibrium) -> tuple[Any, ...]:
    # Points free of parameters first (in numeric order), then by size and text.
    numeric = all(not v.free_symbols for v in e.values)
    nums = tuple(float(v) if not v.free_symbols and v.is_real else 0.0 for v in e.values)
    return (not numeric, sum(expression_size(v) for v in e.values), nums, str(e.values))


def equilibria(model: Model, *, timeout: float | None = None, partial: bool = False) -> EquilibriumSet:
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
    budget = Budget(timeout, what=f"equilibria of `{model.name}`")
    solver = _Solver(model, budget, partial)
    try:
        solver.run(equilibrium_equations(model), list(model.states))
        items = _merge(solver.leaves, model, solver.zero, solver.domains, budget)
    except SymbolicTimeout:
        if not partial:
            raise
        solver.incomplete.append(
            f"stopped at the time budget ({timeout} s); existence conditions of the points "
            "found are not simplified"
        )
        items = []
        for subs, free, case in solver.leaves:
            point = {s: _sympify(subs.get(s, s)) for s in model.states}
            exists = _existence(model, point, solver.domains, simplify=False)
            items.append(Equilibrium(point=point, exists=exists, case=case, free=free))
    items.sort(key=_sort_key)
    message = "; ".join(dict.fromkeys(solver.incomplete))
    return EquilibriumSet(tuple(items), complete=not solver.incomplete, message=message, model=model)
