"""Bifurcation conditions at an equilibrium, as conditions on the parameters.

Continuous time: a zero eigenvalue (the determinant of a diagonal block vanishes), classified
by the branches of equilibria that meet there: two other branches -> ``pitchfork``, one branch
whose coordinates carry a radical vanishing there -> ``fold`` (the two branches are born
together), one rational branch -> ``transcritical``, none -> ``branch``. A Hopf point: the
Hurwitz determinant ``Delta_{n-1}`` of a block vanishes while ``a_n`` and ``Delta_1 ..
Delta_{n-2}`` stay positive (Liu 1994); for planar systems with the first Lyapunov coefficient.

Discrete time: eigenvalue ``1`` (fold family, classified as above), ``-1`` (``flip``), and a
complex pair on the unit circle (``neimark_sacker``: the Hopf condition of the block's
polynomial after the Moebius map of the unit disk onto the left half-plane).

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   ch. 3 and 4.
.. [2] W.-M. Liu, Criterion of Hopf bifurcations without using eigenvalues, J. Math. Anal.
   Appl. 182 (1994) 250-256.

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "r*x - x**3"}, parameters={"r": 1})
>>> [(b.kind, b.condition) for b in ig.bifurcations(m, ig.equilibria(m)[0])]
[('pitchfork', Eq(r, 0))]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy

from incentive_geometry.model import Model

from .budget import Budget
from .conditions import (
    ZeroTest,
    domain_map,
    expression_size,
    generic_sign,
    normalize_relation,
    simplify_condition,
    strict,
)
from .equilibria import Equilibrium, EquilibriumSet, equilibria
from .hurwitz import coefficients, hurwitz_determinants, moebius_transform
from .lyapunov import first_lyapunov_coefficient
from .stability import LAMBDA, diagonal_blocks, jacobian_at, working_model

__all__ = ["KINDS", "BifurcationCondition", "bifurcations"]

#: The words for bifurcation kinds (DESIGN.md).
KINDS = ("fold", "transcritical", "pitchfork", "branch", "hopf", "flip", "neimark_sacker")

LYAPUNOV_NORMALIZATION = (
    "Kuznetsov, Elements of Applied Bifurcation Theory, 3rd ed., sec. 3.5, eq. (3.20), with "
    "<q, q> = 1 and <p, q> = 1; l1 < 0 supercritical, l1 > 0 subcritical"
)


@dataclass(frozen=True)
class BifurcationCondition:
    """A condition on the parameters under which an equilibrium bifurcates.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    condition : sympy Boolean
        Where the bifurcation happens (e.g. ``Eq(r, 1)``).
    equilibrium : Equilibrium
        The equilibrium that bifurcates.
    lyapunov_coefficient : sympy.Expr or None
        For planar Hopf points: the first Lyapunov coefficient on the Hopf set, in the
        normalization of ``normalization``.
    supercritical : sympy Boolean or None
        For planar Hopf points: ``l1 < 0``, simplified.
    normalization : str
        How ``lyapunov_coefficient`` is normalized.
    on : dict
        The parameter solved out on the bifurcation set (used for ``lyapunov_coefficient``).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1})
    >>> sorted({b.kind for e in ig.equilibria(m) for b in ig.bifurcations(m, e)})
    ['fold']
    """

    kind: str
    condition: Any
    equilibrium: Equilibrium | None = field(default=None, compare=False)
    lyapunov_coefficient: Any = None
    supercritical: Any = None
    normalization: str = ""
    on: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False)

    def __hash__(self) -> int:
        return hash((self.kind, self.condition))


@lru_cache(maxsize=32)
def _all_equilibria(model: Model) -> EquilibriumSet:
    return equilibria(model)


def _solve_for_parameter(g: Any, model: Model) -> dict[Any, Any] | None:
    """``g = 0`` solved for a parameter in which it is linear (else quadratic), if any."""
    params = [p for p in model.parameter_symbols if p in g.free_symbols]
    for degree in (1, 2):
        for p in params:
            if not g.is_polynomial(p):
                continue
            poly = sympy.Poly(g, p)
            if poly.degree() != degree:
                continue
            roots = sympy.roots(poly)
            for r in roots:
                if not r.has(sympy.I):
                    return {p: r}
    return None


def _zero_factors(expr: Any, model: Model) -> list[Any]:
    """The factors of `expr` (in the parameters) that can vanish, radicals replaced by radicands."""
    num = sympy.fraction(sympy.together(expr))[0]
    out: list[Any] = []
    domains = domain_map(model)
    for fac in sympy.Mul.make_args(sympy.factor(num) if expression_size(num) < 400 else num):
        base = fac.base if isinstance(fac, sympy.Pow) else fac
        if isinstance(fac, sympy.Pow) and not fac.exp.is_positive:
            continue
        if not base.free_symbols or generic_sign(base, domains) is not None:
            continue
        if isinstance(base, sympy.Pow) and not base.exp.is_integer:
            base = base.base
        free = base.free_symbols
        if len(free) == 1 and base.is_polynomial() and sympy.Poly(base).count_roots() == 0:
            continue  # no real zero: never reached
        if base not in out:
            out.append(base)
    return out


def _classify(g: Any, model: Model, eq: Equilibrium, zero: ZeroTest) -> tuple[str, dict[Any, Any]]:
    sol = _solve_for_parameter(g, model)
    if sol is None:
        return "branch", {}
    meeting = []
    for other in _all_equilibria(model):
        if other.free or other.point == eq.point:
            continue
        diffs = [strict(other.point[s] - eq.point[s]).xreplace(sol) for s in model.states]
        if all(zero.is_zero(d) for d in diffs):
            meeting.append(other)
    if len(meeting) >= 2:
        return "pitchfork", sol
    if len(meeting) == 1:
        radicands = [
            p.base
            for e in (eq, meeting[0])
            for v in e.values
            for p in strict(v).atoms(sympy.Pow)
            if not p.exp.is_integer
        ]
        if any(zero.is_zero(r.xreplace(sol)) for r in radicands):
            return "fold", sol
        return "transcritical", sol
    return "branch", sol


def _hopf_condition(coeffs: list[Any], domains: Any) -> Any:
    """Delta_{n-1} = 0 with a_n > 0 and Delta_1 .. Delta_{n-2} > 0 (Liu 1994)."""
    lead = coeffs[0]
    monic = [sympy.cancel(c / lead) for c in coeffs]
    n = len(monic) - 1
    deltas = hurwitz_determinants(monic)
    parts = [sympy.Eq(sympy.numer(sympy.together(deltas[n - 2])), 0), sympy.Gt(monic[n], 0)]
    parts += [sympy.Gt(d, 0) for d in deltas[: n - 2]]
    return simplify_condition(sympy.And(*parts), domains)


def bifurcations(
    model: Model, eq: Equilibrium, *, timeout: float | None = None
) -> list[BifurcationCondition]:
    """The bifurcation conditions of `eq`: where an eigenvalue crosses the stability boundary.

    Parameters
    ----------
    model : Model
    eq : Equilibrium
    timeout : float, optional
        Seconds allowed; past it :class:`~incentive_geometry.errors.SymbolicTimeout`.

    Returns
    -------
    list of BifurcationCondition

    Raises
    ------
    SymbolicTimeout
        Past `timeout`.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., sec. 3.5
       (first Lyapunov coefficient), ch. 4 (maps).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations(
    ...     {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
    ...     parameters={"a": {"default": 1, "domain": "positive"},
    ...                 "b": {"default": 2.5, "domain": "positive"}})
    >>> (hopf,) = ig.bifurcations(m, ig.equilibria(m)[0])
    >>> hopf.kind, hopf.condition, hopf.supercritical
    ('hopf', Eq(a**2 + 1, b), True)
    """
    budget = Budget(timeout, what=f"bifurcations in `{model.name}`")
    domains = domain_map(model)
    zero = ZeroTest(domains)
    J, states = jacobian_at(model, eq)

    out: list[BifurcationCondition] = []
    seen: set[Any] = set()

    def add(kind: str, cond: Any, **extra: Any) -> None:
        if cond is sympy.false or cond is sympy.true or (kind, cond) in seen:
            return
        seen.add((kind, cond))
        out.append(BifurcationCondition(kind=kind, condition=cond, equilibrium=eq, **extra))

    for block in diagonal_blocks(J, zero):
        budget.check(f"block {[str(states[i]) for i in block]}")
        B = J.extract(block, block)
        poly = B.charpoly(LAMBDA).as_expr()
        # Eigenvalue 0 (flows) or 1 (maps): the fold family.
        critical = 0 if model.time == "continuous" else 1
        at_crit = sympy.expand(poly.xreplace({LAMBDA: critical}))
        for g in _zero_factors(at_crit, model):
            kind, sol = _classify(g, model, eq, zero)
            add(kind, normalize_relation(sympy.Eq(g, 0), domains), on=sol)
        if model.time == "discrete":
            at_flip = sympy.expand(poly.xreplace({LAMBDA: -1}))
            for g in _zero_factors(at_flip, model):
                add("flip", normalize_relation(sympy.Eq(g, 0), domains))
        if B.rows < 2:
            continue
        coeffs = coefficients(poly, LAMBDA)
        if model.time == "continuous":
            cond = _hopf_condition(coeffs, domains)
            extra: dict[str, Any] = {}
            if B.rows == 2 and len(states) == 2:
                extra = _lyapunov(model, eq, cond, domains)
            add("hopf", cond, **extra)
        else:
            transformed = moebius_transform(coeffs)
            if transformed[0] != 0:
                add("neimark_sacker", _hopf_condition(transformed, domains))
    return out


def _lyapunov(model: Model, eq: Equilibrium, cond: Any, domains: Any) -> dict[str, Any]:
    eqs = [c for c in sympy.And.make_args(cond) if isinstance(c, sympy.Equality)]
    if not eqs:
        return {}
    sol = _solve_for_parameter(eqs[0].lhs - eqs[0].rhs, model)
    if sol is None:
        return {}
    work = working_model(model)
    rhs = [f.xreplace(sol) for f in work.rhs]
    point = {s: strict(eq.point[s]).xreplace(sol) for s in work.states}
    l1 = first_lyapunov_coefficient(rhs, work.states, point)
    return {
        "lyapunov_coefficient": l1,
        "supercritical": simplify_condition(sympy.Lt(l1, 0), domains),
        "normalization": LYAPUNOV_NORMALIZATION,
        "on": sol,
    }
