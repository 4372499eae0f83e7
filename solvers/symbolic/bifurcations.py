"""Bifurcation conditions at an equilibrium, as conditions on the parameters.

**Zero eigenvalue** (flows) or eigenvalue ``1`` (maps): the candidates are the factors of the
critical determinant ``det(J - c I)`` at the equilibrium that can vanish, and the boundaries of
the existence conditions of the model's equilibria (where branches are born or cross: the
only candidates when the equilibrium is given by a Cardano or trigonometric form). A candidate
is kept where the critical determinant of *this* equilibrium vanishes on it, and classified by
counting the equilibria that meet there, numerically on both sides of a point of the candidate
set: two branches that exist on one side only -> ``fold``; two on both sides -> ``transcritical``;
one on one side and three on the other -> ``pitchfork``; anything else -> ``branch`` (a branch
point not classified further). For a scalar polynomial right-hand side, the ``cusp`` where
``f = f' = f'' = 0`` is reported with the folds that meet there.

**A pair of eigenvalues crossing** the imaginary axis (flows: ``hopf``) or the unit circle
(maps: ``neimark_sacker``, through the Moebius map of the disk onto the half-plane), whatever
the rest of the spectrum does. By Orlando's formula the Hurwitz determinant ``Delta_{n-1}`` of a
block's characteristic polynomial is, up to sign, the product of the sums ``lambda_i + lambda_j``
over pairs of eigenvalues; it vanishes with ``omega**2 > 0`` exactly when ``+-i omega`` are
eigenvalues (closed forms of ``omega**2`` for blocks up to 4x4). ``others_stable`` says where the
rest of the spectrum is stable (the bifurcation is then seen from a stable state). The
criticality comes from :mod:`~.lyapunov`: the first Lyapunov coefficient for Hopf points (on
each branch of the Hopf set separately), the normal-form coefficients of flip and
Neimark-Sacker points; a zero coefficient is reported as degenerate, never as one side.

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   ch. 3, 4 and 5.
.. [2] W.-M. Liu, Criterion of Hopf bifurcations without using eigenvalues, J. Math. Anal.
   Appl. 182 (1994) 250-256.
.. [3] F. R. Gantmacher, *The Theory of Matrices*, vol. 2, Chelsea, 1959, ch. XV (Orlando's
   formula for the Hurwitz determinants).

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "r*x - x**3"}, parameters={"r": 1})
>>> [(b.kind, b.condition) for b in ig.bifurcations(m, ig.equilibria(m)[0])]
[('pitchfork', Eq(r, 0))]
"""

from __future__ import annotations

import cmath
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import sympy

import incentive_geometry.display as display
from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

from .budget import Budget, run_bounded
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
from .hurwitz import coefficients, hurwitz_determinants, moebius_transform, monic_coefficient
from .lyapunov import (
    NormalFormCoefficient,
    flip_coefficient,
    hopf_coefficient,
    neimark_sacker_coefficient,
)
from .stability import (
    LAMBDA,
    characteristic_polynomial,
    diagonal_blocks,
    jacobian_at,
    stability,
    working_model,
)
from .verify import sample_parameters

__all__ = ["KINDS", "BifurcationCondition", "BifurcationConditions", "bifurcations"]

#: The words for bifurcation kinds (DESIGN.md); ``cusp`` is of codimension two.
KINDS = ("fold", "transcritical", "pitchfork", "branch", "hopf", "flip", "neimark_sacker", "cusp")

LYAPUNOV_NORMALIZATION = (
    "Kuznetsov, Elements of Applied Bifurcation Theory, 3rd ed., sec. 3.5 and 5.4, with "
    "<q, q> = 1 and <p, q> = 1; l1 < 0 supercritical, l1 > 0 subcritical, l1 = 0 degenerate"
)

# Candidate sets and conditions larger than this (expression nodes) are not handled
# symbolically.
_CANDIDATE_LIMIT = 400
# Relative parameter offset on each side of a candidate point, and how close (relative to
# sqrt of the offset) two equilibria must be to "meet" there.
_OFFSET = 1e-7
_MEET = 30.0
# Random points tried on a candidate set before giving up on classifying it.
_TRIES = 8
# Points of a candidate set where the equilibria are counted.
_VOTES = 3


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
    lyapunov_coefficient : sympy.Expr, float or None
        Hopf, flip and Neimark-Sacker points: the criticality coefficient (``coefficient.value``).
    supercritical : sympy Boolean or None
        Where the bifurcation is supercritical (a closed-form coefficient: ``l1 < 0``,
        simplified; a numerical one: true or false at the point it was evaluated); None when
        the coefficient is degenerate or unavailable.
    normalization : str
        How the coefficient is normalized.
    on : dict
        The parameter solved out on the bifurcation set (the branch of the set the coefficient
        belongs to).
    coefficient : NormalFormCoefficient or None
        The criticality coefficient with its origin (closed form or numerical, and where).
    others_stable : sympy Boolean or None
        Hopf and Neimark-Sacker points: where the rest of the spectrum is stable.

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
    coefficient: NormalFormCoefficient | None = field(default=None, compare=False, repr=False)
    others_stable: Any = field(default=None, compare=False)

    def __hash__(self) -> int:
        return hash((self.kind, self.condition))

    # -- display ---------------------------------------------------------------------------
    def _at(self) -> str:
        return "" if self.equilibrium is None else f" of {self.equilibrium.coordinates(40)}"

    def __repr__(self) -> str:
        cond = display.cond_text(self.condition, display.REPR_WIDTH)
        extra = ""
        if self.lyapunov_coefficient is not None:
            extra = f"; supercritical when {display.cond_text(self.supercritical, 40)}"
        return f"<BifurcationCondition {self.kind}{self._at()} at {cond}{extra}>"

    def __str__(self) -> str:
        lines = [f"{self.kind}{self._at()} at {display.cond_text(self.condition)}"]
        if self.lyapunov_coefficient is not None:
            lines.append(
                f"  criticality coefficient {display.expr_text(self.lyapunov_coefficient)}"
            )
            lines.append(f"  supercritical when {display.cond_text(self.supercritical)}")
        if self.others_stable is not None:
            lines.append(
                f"  rest of the spectrum stable when {display.cond_text(self.others_stable)}"
            )
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        kind = self.kind.replace("_", "-")
        return f"$\\text{{{kind} at }} {display.cond_latex(self.condition)}$"

    def _repr_html_(self) -> str:
        M = display.Math
        rows: list[list[Any]] = [["kind", self.kind]]
        if self.equilibrium is not None:
            rows.append(["equilibrium", M(self.equilibrium.coordinates_latex())])
        rows.append(["condition", M(display.cond_latex(self.condition))])
        if self.lyapunov_coefficient is not None:
            rows.append(
                ["criticality coefficient", M(display.expr_latex(self.lyapunov_coefficient))]
            )
            rows.append(["supercritical when", M(display.cond_latex(self.supercritical))])
        if self.others_stable is not None:
            rows.append(
                ["rest of the spectrum stable when", M(display.cond_latex(self.others_stable))]
            )
        return display.html_table(["", ""], rows, caption="bifurcation condition")


class BifurcationConditions(list[BifurcationCondition]):
    """The bifurcation conditions of one equilibrium: a list that prints as a table.

    A plain ``list`` in every other respect (indexing, ``len``, iteration, equality with a
    list), so code written for the list that :func:`bifurcations` returned keeps working; in a
    terminal it reads as a table of kind, condition and criticality, and in Jupyter as an HTML
    table with formulas (``_repr_html_``) or a LaTeX array (``_repr_latex_``).

    Parameters
    ----------
    items : iterable of BifurcationCondition
    equilibrium : Equilibrium, optional
        The equilibrium they belong to (named in the title).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1})
    >>> bcs = ig.bifurcations(m, ig.equilibria(m)[0])
    >>> bcs
    <1 bifurcation condition of x = 0
      kind           at
      transcritical  r == 0>
    >>> isinstance(bcs, list), bcs[0].kind
    (True, 'transcritical')
    """

    def __init__(self, items: Any = (), *, equilibrium: Equilibrium | None = None) -> None:
        super().__init__(items)
        self.equilibrium = equilibrium

    def _title(self) -> str:
        n = len(self)
        at = "" if self.equilibrium is None else f" of {self.equilibrium.coordinates(40)}"
        return f"{n} bifurcation condition{'' if n == 1 else 's'}{at}"

    @staticmethod
    def _criticality(bc: BifurcationCondition) -> str:
        if bc.lyapunov_coefficient is None:
            return ""
        return f"supercritical when {display.cond_text(bc.supercritical, 40)}"

    def _coefficients(self) -> bool:
        return any(bc.lyapunov_coefficient is not None for bc in self)

    def __repr__(self) -> str:
        if not self:
            return f"<{self._title()}>"
        extra = self._coefficients()
        rows = [
            [bc.kind, display.cond_text(bc.condition, display.REPR_WIDTH)]
            + ([self._criticality(bc)] if extra else [])
            for bc in self
        ]
        headers = ["kind", "at"] + (["criticality"] if extra else [])
        lines = display.text_table(headers, rows, indent="  ")
        return "\n".join([f"<{self._title()}", *lines]) + ">"

    def __str__(self) -> str:
        return "\n".join([self._title(), *(str(bc) for bc in self)])

    def _repr_html_(self) -> str:
        M = display.Math
        extra = self._coefficients()
        rows: list[list[Any]] = []
        for bc in self:
            row: list[Any] = [bc.kind, M(display.cond_latex(bc.condition))]
            if extra:
                coef = bc.lyapunov_coefficient is not None
                row.append(M(display.cond_latex(bc.supercritical)) if coef else "")
            rows.append(row)
        headers = ["kind", "at"] + (["supercritical when"] if extra else [])
        return f"<div>{display.html_table(headers, rows, caption=self._title())}</div>"

    def _repr_latex_(self) -> str:
        rows = [
            f"\\text{{{bc.kind.replace('_', '-')}}} & {display.cond_latex(bc.condition)}"
            for bc in self
        ]
        body = " \\\\\n".join(rows) if rows else "\\text{none} & "
        return (
            "$\\begin{array}{ll}\n\\text{kind} & \\text{at} \\\\\n\\hline\n"
            f"{body}\n\\end{{array}}$"
        )


@lru_cache(maxsize=32)
def _all_equilibria(model: Model) -> EquilibriumSet:
    return equilibria(model, partial=False)


def _parameter_roots(g: Any, model: Model) -> list[dict[Any, Any]]:
    """``g = 0`` solved for one parameter in closed form (degree 1, else 2): each real branch."""
    params = [p for p in model.parameter_symbols if p in g.free_symbols]
    for degree in (1, 2):
        for p in params:
            try:
                if not g.is_polynomial(p):
                    continue
                poly = sympy.Poly(g, p)
                if poly.degree() != degree:
                    continue
                found = [r for r in sympy.roots(poly) if not r.has(sympy.I)]
            except (sympy.PolynomialError, sympy.polys.polyerrors.CoercionFailed):
                continue
            # A branch never inside the parameter's domain (e.g. negative for a positive
            # parameter) is no branch.
            dom = model.parameter(p.name).domain
            if dom.kind in ("positive", "nonnegative") or (
                dom.kind == "interval" and dom.lo is not None and dom.lo >= 0
            ):
                found = [r for r in found if generic_sign(r, domain_map(model)) != -1]
            if found:
                return [{p: r} for r in found]
    return []


def _expand_small(expr: Any) -> Any:
    return (
        sympy.expand(expr) if expression_size(expr, _CANDIDATE_LIMIT) <= _CANDIDATE_LIMIT else expr
    )


def _zero_factors(expr: Any, model: Model) -> list[Any]:
    """The factors of `expr` (in the parameters) that can vanish; radicals replaced by their
    radicands, factors that are not rational functions of the parameters left out."""
    if expression_size(expr, 4 * _CANDIDATE_LIMIT) > 4 * _CANDIDATE_LIMIT or expr.has(
        sympy.Abs, sympy.sign, sympy.acos
    ):
        return []  # not a rational function of the parameters: found as a boundary instead
    try:
        num = sympy.fraction(sympy.together(expr))[0]
        parts = sympy.Mul.make_args(sympy.factor(num) if expression_size(num) < 400 else num)
    except (sympy.PolynomialError, sympy.polys.polyerrors.CoercionFailed):
        return []
    out: list[Any] = []
    domains = domain_map(model)
    for fac in parts:
        base = fac.base if isinstance(fac, sympy.Pow) else fac
        if isinstance(fac, sympy.Pow) and not fac.exp.is_positive:
            continue
        if not base.free_symbols or generic_sign(base, domains) is not None:
            continue
        if isinstance(base, sympy.Pow) and not base.exp.is_integer:
            base = base.base
        if not base.is_polynomial():
            base = _rationalized(base)
            if base is None:
                continue
        if expression_size(base, _CANDIDATE_LIMIT) > _CANDIDATE_LIMIT:
            continue
        if len(base.free_symbols) == 1:
            try:
                if sympy.Poly(base).count_roots() == 0:
                    continue  # no real zero: never reached
            except (sympy.PolynomialError, sympy.polys.polyerrors.CoercionFailed):
                pass
        if base not in out:
            out.append(base)
    return out


def _rationalized(g: Any) -> Any:
    """A polynomial vanishing wherever ``g = A + B sqrt(R)`` does: ``A**2 - B**2 R``. It also
    vanishes on the conjugate branch, so ``g = 0`` is that polynomial's zero set where
    ``A B <= 0`` (recorded in `_SIDES`). None when `g` holds other radicals."""
    roots = [p for p in g.atoms(sympy.Pow) if p.exp == sympy.Rational(1, 2) and p.base.free_symbols]
    if len(roots) != 1 or expression_size(g, _CANDIDATE_LIMIT) > _CANDIDATE_LIMIT:
        return None
    (root,) = roots
    s = sympy.Dummy("s")
    h = sympy.expand(g.xreplace({root: s}))
    if not h.is_polynomial(s):
        return None
    R = root.base
    # Reduce by s**2 = R, then h = A + B s.
    coeffs = sympy.Poly(h, s).all_coeffs()[::-1]
    A, B = sympy.Integer(0), sympy.Integer(0)
    for k, c in enumerate(coeffs):
        term = c * R ** (k // 2)
        if k % 2:
            B += term
        else:
            A += term
    out = sympy.numer(sympy.together(sympy.expand(A**2 - B**2 * R)))
    if not (out.free_symbols and out.is_polynomial()):
        return None
    if not (A == 0 or B == 0):
        _SIDES[out] = sympy.Le(sympy.expand(A * B), 0)
    return out


# Side conditions of rationalized candidates (see _rationalized), by candidate polynomial.
_SIDES: dict[Any, Any] = {}


def _boundaries(found: EquilibriumSet) -> list[Any]:
    """Polynomials whose zero sets bound the existence region of some equilibrium."""
    out: list[Any] = []
    rels = (sympy.StrictLessThan, sympy.LessThan, sympy.StrictGreaterThan, sympy.GreaterThan)
    for other in found:
        for rel in sympy.preorder_traversal(other.exists):
            if not isinstance(rel, rels):
                continue
            g = sympy.fraction(sympy.together(rel.lhs - rel.rhs))[0]
            if g.free_symbols and g.is_polynomial() and expression_size(g) <= _CANDIDATE_LIMIT:
                for fac in sympy.Mul.make_args(sympy.factor(g)):
                    base = fac.base if isinstance(fac, sympy.Pow) else fac
                    if base.free_symbols and base not in out:
                        out.append(base)
    return out


# --------------------------------------------------------------------------------------------
# Numerical probes of the equilibrium set near a candidate point


def _floats(values: dict[Any, Any]) -> dict[Any, Any]:
    """Numeric values as sympy Floats (xreplace by a Python float can return a Python float)."""
    return {k: sympy.Float(v, 30) for k, v in values.items()}


def _num(expr: Any, values: dict[Any, float]) -> complex | None:
    try:
        v = strict(expr).xreplace(_floats(values))
        z = complex(v.evalf(30))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError):
        return None
    if not (cmath.isfinite(z)):
        return None
    return z


def _real_point(
    eq: Equilibrium,
    states: tuple[Any, ...],
    values: dict[Any, float],
    rhs: tuple[Any, ...] | None = None,
) -> np.ndarray | None:
    """The equilibrium at numeric parameters, when it is real and exists there; with `rhs`
    (the equations), when it is real and solves them, wherever the state domains put it."""
    if rhs is None:
        try:
            ok = eq.exists.xreplace(_floats(values))
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        if ok is not sympy.true:
            return None
    out = []
    for s in states:
        z = _num(eq.point[s], values)
        if z is None or abs(z.imag) > 1e-9 * (1 + abs(z.real)):
            return None
        out.append(z.real)
    x = np.array(out)
    if rhs is not None:
        at = {**values, **dict(zip(states, (float(v) for v in x), strict=True))}
        for f in rhs:
            r = _num(f, at)
            if r is None or abs(r) > 1e-6 * (1 + np.abs(x).max()):
                return None
    return x


class _Probe:
    """Numerical evaluation of one equilibrium and its critical determinant."""

    def __init__(self, model: Model, eq: Equilibrium, J: Any, critical: int, found: Any) -> None:
        self.model = model
        self.eq = eq
        self.states = tuple(model.states)
        self.det = J - critical * sympy.eye(J.rows)
        self.found = found
        self.rng = random.Random(20261201)
        self.symbols = {p.name: p.symbol for p in model.parameters}
        # Equilibria are counted where they solve the equations, inside the state domains or
        # not: a branch that crosses a domain boundary still crosses (a transcritical point).
        self.equations = tuple(
            f - s if model.time == "discrete" else f
            for f, s in zip(model.rhs, model.states, strict=True)
        )
        self.domains = {p.symbol: p.domain for p in model.parameters}

    def sample_on(self, g: Any) -> tuple[dict[Any, float], Any, float] | None:
        """A parameter point on ``g = 0`` inside the domains where the equilibrium exists near
        it: (values, solved parameter, offset)."""
        params = [p for p in self.model.parameter_symbols if p in g.free_symbols]
        if not params:
            return None
        for attempt in range(_TRIES):
            # Random points only: defaults are often special (0, 1) and may sit on a point of
            # higher codimension.
            values = {
                self.symbols[k]: v for k, v in sample_parameters(self.model, self.rng).items()
            }
            p = params[attempt % len(params)]
            rest = strict(g).xreplace({k: v for k, v in values.items() if k != p})
            try:
                if not rest.is_polynomial(p):
                    continue
                coeffs = [complex(c) for c in sympy.Poly(rest, p).all_coeffs()]
            except (TypeError, ValueError, sympy.PolynomialError):
                continue
            if len(coeffs) < 2:
                continue
            roots = [r.real for r in np.roots(coeffs) if abs(r.imag) <= 1e-10 * (1 + abs(r))]
            roots = [r for r in roots if self.domains[p].contains(r)]
            self.rng.shuffle(roots)
            for r in roots:
                values[p] = float(r)
                offset = _OFFSET * (1 + abs(r))
                near = [self._side(values, p, s * offset) for s in (-1, 1)]
                if any(x is not None for x in near):
                    return values, p, offset
        return None

    def _side(self, values: dict[Any, float], p: Any, delta: float) -> np.ndarray | None:
        return _real_point(self.eq, self.states, {**values, p: values[p] + delta})

    def critical_vanishes(self, values: dict[Any, float], p: Any, offset: float) -> bool:
        """Whether the critical determinant of the equilibrium tends to zero at the point: it
        is measured at the offset and at a hundredth of it, and must shrink (like the offset,
        or its square root at a fold), whatever its scale."""
        for s in (-1, 1):
            dets = []
            for k in (1.0, 1e-2):
                at = {**values, p: values[p] + s * offset * k}
                if _real_point(self.eq, self.states, at) is None:
                    break
                try:
                    M = np.array(self.det.xreplace(_floats(at)).evalf(30).tolist(), dtype=complex)
                except (TypeError, ValueError):
                    return False
                dets.append((abs(np.linalg.det(M)), (1 + np.abs(M).max()) ** M.shape[0]))
            if len(dets) < 2:
                continue
            (d1, _), (d2, scale) = dets
            return bool(d2 <= 1e-12 * scale or (d2 < 0.3 * d1 and d2 <= 1e-2 * scale))
        return False

    def count_near(self, values: dict[Any, float], p: Any, offset: float) -> tuple[int, int] | None:
        """Equilibria that meet this one at the point, counted on each side of it (None: this
        one is not there).

        A branch meets this one when their distance shrinks with the offset from the point
        (like the offset for a crossing, like its square root for a fold): it is measured at
        the offset and at a hundredth of it, so the test does not depend on the scale.
        """

        def at(s: int, scale: float) -> dict[Any, float]:
            return {**values, p: values[p] + s * offset * scale}

        counts = []
        seen_here = False
        for s in (-1, 1):
            near = [_real_point(self.eq, self.states, at(s, k), self.equations) for k in (1, 1e-2)]
            if near[0] is None or near[1] is None:
                counts.append(0)
                continue
            seen_here = True
            n = 1
            # Positions already counted: one point written in two closed forms (a Cardano
            # root continued into a trigonometric one) is one equilibrium.
            counted = [near[0]]
            for other in self.found:
                if other.free or other is self.eq or other == self.eq:
                    continue
                far = _real_point(other, self.states, at(s, 1), self.equations)
                close = _real_point(other, self.states, at(s, 1e-2), self.equations)
                if far is None or close is None:
                    continue
                d1 = float(np.abs(far - near[0]).max())
                d2 = float(np.abs(close - near[1]).max())
                scale = 1 + float(np.abs(near[1]).max())
                if any(float(np.abs(far - c).max()) <= 1e-9 * scale for c in counted):
                    continue
                if d2 <= 1e-9 * scale or (d2 < 0.3 * d1 and d2 < _MEET * scale):
                    n += 1
                    counted.append(far)
            counts.append(n)
        if not seen_here:
            return None
        return counts[0], counts[1]


def _classify(counts: tuple[int, int] | None) -> str | None:
    """The kind from the number of equilibria near the point on each side (None: no
    bifurcation of the equilibrium set there)."""
    if counts is None:
        return "branch"
    low, high = sorted(counts)
    kinds: dict[tuple[int, int], str | None] = {
        (0, 2): "fold",
        (2, 2): "transcritical",
        (1, 3): "pitchfork",  # seen from the branch that persists
        (0, 3): "pitchfork",  # seen from one of the two born there
        (1, 1): None,
    }
    return kinds.get((low, high), "branch")


# --------------------------------------------------------------------------------------------
# Pairs of eigenvalues on the imaginary axis


def _pair_condition(coeffs: list[Any], domains: Any) -> tuple[Any, Any, Any, Any]:
    """``+-i omega`` are roots of the polynomial: (condition, omega**2, where the other roots
    are in the open left half-plane, the expression whose zero set is the condition)."""
    lead = coeffs[0]
    a = [monic_coefficient(c, lead) for c in coeffs]
    n = len(a) - 1
    if n == 2:
        # lambda^2 + a1 lambda + a2: a pair +-i omega iff a1 = 0 and a2 > 0.
        delta = sympy.numer(sympy.together(a[1]))
        cond, omega2, others = sympy.Eq(delta, 0), a[2], sympy.true
    elif n == 3:
        # (lambda + a1)(lambda^2 + a2) when a1 a2 = a3.
        delta = sympy.numer(sympy.together(a[1] * a[2] - a[3]))
        cond, omega2, others = sympy.Eq(delta, 0), a[2], sympy.Gt(a[1], 0)
    elif n == 4:
        # (lambda^2 + omega^2)(lambda^2 + a1 lambda + a4/omega^2), omega^2 = a3/a1, when
        # Delta_3 = a1 a2 a3 - a1^2 a4 - a3^2 = 0.
        delta = sympy.numer(sympy.together(a[1] * a[2] * a[3] - a[1] ** 2 * a[4] - a[3] ** 2))
        omega2 = sympy.cancel(a[3] / a[1])
        cond = sympy.Eq(delta, 0)
        others = sympy.And(sympy.Gt(a[1], 0), sympy.Gt(sympy.cancel(a[4] * a[1] / a[3]), 0))
    else:
        # Liu (1994): Delta_{n-1} = 0 with a_n > 0 and Delta_1 .. Delta_{n-2} > 0 (the rest of
        # the spectrum stable); no closed form of omega here.
        deltas = hurwitz_determinants(a)
        parts = [sympy.Gt(d, 0) for d in deltas[: n - 2]]
        delta = sympy.numer(sympy.together(deltas[n - 2]))
        cond = sympy.Eq(delta, 0)
        return (
            simplify_condition(sympy.And(cond, sympy.Gt(a[n], 0), *parts), domains),
            None,
            sympy.true,
            delta,
        )
    full = simplify_condition(sympy.And(cond, sympy.Gt(omega2, 0)), domains)
    return full, omega2, simplify_condition(others, domains), delta


# --------------------------------------------------------------------------------------------
# The entry point


def bifurcations(
    model: Model, eq: Equilibrium, *, timeout: float | None = None
) -> BifurcationConditions:
    """The bifurcation conditions of `eq`: where an eigenvalue crosses the stability boundary.

    Parameters
    ----------
    model : Model
    eq : Equilibrium
        An equilibrium of `model` (from :func:`equilibria`).
    timeout : float, optional
        Seconds allowed; past it :class:`~incentive_geometry.errors.SymbolicTimeout`.

    Returns
    -------
    BifurcationConditions
        A list of :class:`BifurcationCondition` that prints as a table.

    Raises
    ------
    ModelError
        When `eq` is not an equilibrium of `model`.
    SymbolicTimeout
        Past `timeout`.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., sec. 3.5
       (first Lyapunov coefficient), ch. 4 (maps), sec. 5.4 (n dimensions).

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
    >>> m = ig.Model.from_equations({"x": "mu + x - x**3"}, parameters={"mu": 0})
    >>> sorted({(b.kind, str(b.condition)) for e in ig.equilibria(m) for b in ig.bifurcations(m, e)})
    [('fold', 'Eq(27*mu**2, 4)')]
    """
    if not isinstance(eq, Equilibrium):
        raise ModelError(
            f"`eq` must be an Equilibrium from ig.equilibria, got {eq!r:.60} ({type(eq).__name__})"
        )
    found = run_bounded(
        _bifurcations, model, eq, timeout=timeout, what=f"bifurcations in `{model.name}`"
    )
    return BifurcationConditions(found, equilibrium=eq)


def _bifurcations(model: Model, eq: Equilibrium, *, budget: Budget) -> list[BifurcationCondition]:
    domains = domain_map(model)
    zero = ZeroTest(domains)
    work = working_model(model)
    budget.check("the Jacobian")
    J, _ = jacobian_at(model, eq)
    critical = sympy.Integer(0 if model.time == "continuous" else 1)
    budget.check("the other equilibria")
    found = _all_equilibria(model)
    probe = _Probe(work, eq, J, critical, found)

    out: list[BifurcationCondition] = []
    seen: set[Any] = set()

    def add(kind: str, cond: Any, **extra: Any) -> None:
        if cond is sympy.false or cond is sympy.true or (kind, cond) in seen:
            return
        seen.add((kind, cond))
        out.append(BifurcationCondition(kind=kind, condition=cond, equilibrium=eq, **extra))

    blocks = diagonal_blocks(J, zero)
    polys = [characteristic_polynomial(J.extract(b, b)) for b in blocks]
    # -- zero eigenvalue (flows) / eigenvalue one (maps): the fold family --------------------
    candidates: list[Any] = []
    for poly in polys:
        budget.check("the critical determinant")
        candidates += _zero_factors(_expand_small(poly.xreplace({LAMBDA: critical})), model)
    candidates += _boundaries(found)
    folds: list[Any] = []
    for g in dict.fromkeys(candidates):
        budget.check(f"the candidate {g} = 0")
        # Counting needs only the equilibria that meet here: an incomplete set can still show
        # two branches colliding (fold) or crossing; anything else stays `branch`. Three
        # random points of the set are probed; a point near a degenerate one (a cusp) can
        # blur the count, so the kind most points agree on is taken.
        votes: list[str | None] = []
        for _ in range(_VOTES):
            at = probe.sample_on(g)
            if at is None or not probe.critical_vanishes(*at):
                continue
            votes.append(_classify(probe.count_near(*at)))
        if not votes:
            continue
        definite = [v for v in votes if v is not None and v != "branch"]
        if definite:
            kind = max(set(definite), key=definite.count)
        elif "branch" in votes:
            kind = "branch"
        else:
            continue  # the eigenvalue touches the axis; no branch is born or crosses
        sols = _parameter_roots(g, model)
        cond = normalize_relation(sympy.Eq(g, 0), domains)
        if g in _SIDES:
            cond = sympy.And(cond, simplify_condition(_SIDES[g], domains))
        add(kind, cond, on=sols[0] if sols else {})
        if kind == "fold":
            folds.append(g)
    if folds and len(work.states) == 1:
        for cond in _cusps(work, folds, domains):
            add("cusp", cond)
    # -- eigenvalue -1 (maps): flip ----------------------------------------------------------
    if model.time == "discrete":
        flip_probe = _Probe(work, eq, J, sympy.Integer(-1), found)
        for poly in polys:
            for g in _zero_factors(
                _expand_small(poly.xreplace({LAMBDA: sympy.Integer(-1)})), model
            ):
                budget.check(f"the flip candidate {g} = 0")
                at = flip_probe.sample_on(g)
                if at is None or not flip_probe.critical_vanishes(*at):
                    continue  # the conjugate branch's flip, or no flip of this point
                cond = normalize_relation(sympy.Eq(g, 0), domains)
                if g in _SIDES:
                    cond = sympy.And(cond, simplify_condition(_SIDES[g], domains))
                for extra in _criticality("flip", g, model, work, eq, probe, budget):
                    add("flip", _on_branch(cond, extra["on"], extra.pop("branches")), **extra)
    # -- a pair on the imaginary axis / the unit circle ---------------------------------------
    others_stable: list[Any] | None = None
    for k, (block, poly) in enumerate(zip(blocks, polys, strict=True)):
        if len(block) < 2:
            continue
        budget.check(f"pairs of eigenvalues of block {k + 1}")
        coeffs = coefficients(poly, LAMBDA)
        if model.time == "discrete":
            coeffs = moebius_transform(coeffs)
            if coeffs[0] == 0:
                continue
        cond, _, rest, g = _pair_condition(coeffs, domains)
        if cond is sympy.false or _never_in_implicit_form(model, eq, block, domains):
            continue
        if others_stable is None:
            others_stable = list(stability(model, eq).block_conditions) if len(blocks) > 1 else []
        rest = sympy.And(rest, *[c for j, c in enumerate(others_stable) if j != k])
        kind = "hopf" if model.time == "continuous" else "neimark_sacker"
        g = sympy.numer(sympy.together(g)) if g.free_symbols else None
        branches: list[dict[str, Any]] = (
            _criticality(kind, g, model, work, eq, probe, budget)
            if g is not None
            else [{"on": {}, "branches": 1}]
        )
        for extra in branches:
            restricted = _on_branch(cond, extra["on"], extra.pop("branches"))
            add(kind, restricted, others_stable=rest, **extra)
    return out


def _never_in_implicit_form(model: Model, eq: Equilibrium, block: list[int], domains: Any) -> bool:
    """No pair on the critical line where `eq` exists, decided through its roots' polynomials.

    A point built on Cardano roots has pair conditions pages long in radicals; written through
    the roots' symbols (:class:`~.equilibria.ImplicitForm`) they are polynomial, and z3 can
    prove that they never hold where the point exists (the Goodwin loop with exponent 2 has no
    Hopf point: Thron's secant condition).
    """
    form = eq.implicit
    if form is None:
        return False
    Jr, _ = jacobian_at(model, Equilibrium(point=form.point, rhs=eq.rhs))
    coeffs = coefficients(characteristic_polynomial(Jr.extract(block, block)), LAMBDA)
    if model.time == "discrete":
        coeffs = moebius_transform(coeffs)
        if coeffs[0] == 0:
            return False
    cond = _pair_condition(coeffs, domains)[0]
    return cond is sympy.false or form.decide(cond, domains) is sympy.false


def _on_branch(cond: Any, on: dict[Any, Any], branches: int) -> Any:
    """The bifurcation set restricted to one branch of its solution for a parameter."""
    if branches <= 1 or not on:
        return cond
    ((p, v),) = on.items()
    if not v.free_symbols:
        return sympy.Eq(p, v)  # a point of the set: the rest of the condition is implied
    return sympy.And(cond, sympy.Eq(p, v, evaluate=False))


def _criticality(
    kind: str,
    g: Any,
    model: Model,
    work: Model,
    eq: Equilibrium,
    probe: _Probe,
    budget: Budget,
) -> list[dict[str, Any]]:
    """The criticality coefficient on each branch of ``g = 0`` solved for a parameter."""
    compute = {
        "hopf": hopf_coefficient,
        "flip": flip_coefficient,
        "neimark_sacker": neimark_sacker_coefficient,
    }[kind]
    rhs = list(eq.rhs) if eq.rhs and not model.simplex else list(work.rhs)
    states = list(work.states)
    sols = _parameter_roots(g, model) or [{}]
    out: list[dict[str, Any]] = []
    for sol in sols:
        budget.check(f"the {kind} coefficient")
        point = {s: strict(eq.point[s]).xreplace(sol) for s in states}
        on_rhs = [strict(f).xreplace(sol) for f in rhs]
        values = _values_on(g, sol, probe)
        left = budget.remaining()
        remaining = None if left is None else max(left, 0.5)
        try:
            coef = compute(on_rhs, states, point, values=values, timeout=remaining)
        except (ValueError, ZeroDivisionError, TypeError) as err:
            coef = NormalFormCoefficient(
                kind=kind,
                value=None,
                closed_form=False,
                origin=f"unavailable: {err}",
                sign=None,
                degenerate=None,
                normalization=LYAPUNOV_NORMALIZATION,
            )
        out.append(
            {
                "coefficient": coef,
                "lyapunov_coefficient": coef.value,
                "supercritical": _supercritical(coef, probe),
                "normalization": coef.normalization,
                "on": sol,
                "branches": len(sols),
            }
        )
    return out


def _values_on(g: Any, sol: dict[Any, Any], probe: _Probe) -> dict[Any, float] | None:
    """Numeric parameter values on the bifurcation set (the branch `sol`), for a numerical
    coefficient when the closed form is too large."""
    at = probe.sample_on(g)
    if at is None:
        return None
    values = dict(at[0])
    if sol:
        ((p, v),) = sol.items()
        for _ in range(_TRIES):
            z = _num(v, values)
            if z is not None and abs(z.imag) < 1e-12 and probe.domains[p].contains(z.real):
                values[p] = z.real
                break
            values = {
                probe.symbols[k]: x for k, x in sample_parameters(probe.model, probe.rng).items()
            }
        else:
            return None
        values.pop(p, None)
    return values


def _supercritical(coef: NormalFormCoefficient, probe: _Probe) -> Any:
    if coef.value is None or coef.degenerate:
        return None
    want = -1 if coef.kind in ("hopf", "neimark_sacker") else 1
    if coef.closed_form:
        if coef.sign is not None:
            return sympy.true if coef.sign == want else sympy.false
        rel = sympy.Lt(coef.value, 0) if want < 0 else sympy.Gt(coef.value, 0)
        return simplify_condition(rel, probe.domains)
    # A numerical coefficient is the sign at one point of the set: no statement about the
    # whole set (the coefficient and its origin say where it was evaluated).
    return None


def _cusps(work: Model, folds: list[Any], domains: Any) -> list[Any]:
    """Cusp points of a scalar polynomial flow or map: ``f = f' = f'' = 0`` (maps: for
    ``f(x) - x``), as conditions on the parameters lying on a fold set."""
    (x,) = work.states
    f = work.rhs[0] - (x if work.time == "discrete" else 0)
    if not f.is_polynomial(x) or expression_size(f) > _CANDIDATE_LIMIT:
        return []
    out = []
    try:
        for x0 in sympy.roots(sympy.Poly(sympy.diff(f, x, 2), x)):
            if x0.has(sympy.I):
                continue
            eqs = [sympy.numer(sympy.together(e.xreplace({x: x0}))) for e in (f, sympy.diff(f, x))]
            params = sorted(set().union(*(e.free_symbols for e in eqs)), key=str)
            if not params or any(e == 0 for e in eqs):
                continue
            sols = sympy.solve(eqs, params, dict=True)
            for sol in sols:
                if any(v.has(sympy.I) for v in sol.values()) or not sol:
                    continue
                if not any(sympy.simplify(g.xreplace(sol)) == 0 for g in folds):
                    continue
                # A cusp needs a nonzero third derivative there (else it is more degenerate).
                if sympy.simplify(sympy.diff(f, x, 3).xreplace({x: x0}).xreplace(sol)) == 0:
                    continue
                out.append(sympy.And(*[sympy.Eq(k, v) for k, v in sol.items()]))
    except (NotImplementedError, sympy.PolynomialError):
        return []
    return out
