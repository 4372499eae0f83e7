"""Normal-form (criticality) coefficients at local bifurcations, in any dimension.

Three coefficients decide on which side of a codimension-one bifurcation the new invariant set
appears and whether it attracts. All three come from the projection formulas of Kuznetsov,
*Elements of Applied Bifurcation Theory*, 3rd ed. (2004), sec. 5.4 (derived there in sec. 3.5
and 4.4-4.7 for the planar and one-dimensional cases), in which ``A`` is the Jacobian at the
equilibrium (fixed point), ``B`` and ``C`` are its second and third derivatives as symmetric
multilinear forms, ``<u, v> = conj(u)^T v``, and ``q``, ``p`` are the critical right and
adjoint eigenvectors normalized by ``<q, q> = 1`` and ``<p, q> = 1``:

* **Hopf** (flows), ``A q = i omega q``, ``A^T p = -i omega p``, ``omega > 0``::

      l1 = 1/(2 omega) Re( <p, C(q, q, qbar)> - 2 <p, B(q, A^{-1} B(q, qbar))>
                           + <p, B(qbar, (2 i omega I - A)^{-1} B(q, q))> )

  ``l1 < 0``: supercritical (a stable cycle is born), ``l1 > 0``: subcritical, ``l1 = 0``: a
  Bautin point (degenerate). For the normal form ``x' = mu x - omega y + s x (x^2 + y^2)``,
  ``y' = omega x + mu y + s y (x^2 + y^2)`` it gives ``l1 = 2 s / omega``: the factor 2 is the
  price of ``<q, q> = 1`` (with ``z = x + i y``, i.e. ``<q, q> = 1/2``, one gets ``s / omega``),
  and ``l1 = 2 a / omega`` with ``a`` the coefficient of Guckenheimer and Holmes (sec. 3.4). Only
  the sign is invariant under the choice of ``q``.
* **Flip** (maps), ``A q = -q``, ``A^T p = -p``::

      c = 1/6 <p, C(q, q, q)> + 1/2 <p, B(q, (I - A)^{-1} B(q, q))>

  On the centre manifold the map is ``eta -> -eta + c eta^3 + ...`` after the quadratic term is
  removed, so its second iterate is ``eta -> eta - 2 c eta^3 + ...``: ``c > 0`` is
  supercritical (a stable 2-cycle is born), ``c < 0`` subcritical. For a scalar map
  ``x -> -x + a x^2 + b x^3`` it gives ``c = a^2 + b`` (the logistic map at ``r = 3``: ``c = 9``).
* **Neimark-Sacker** (maps), ``A q = e^{i theta} q``, ``A^T p = e^{-i theta} p``, no strong
  resonance (``e^{i k theta} != 1`` for ``k = 1 .. 4``)::

      d = 1/2 Re( e^{-i theta} [ <p, C(q, q, qbar)> + 2 <p, B(q, (I - A)^{-1} B(q, qbar))>
                                 + <p, B(qbar, (e^{2 i theta} I - A)^{-1} B(q, q))> ] )

  ``d < 0``: supercritical (a stable invariant circle is born), ``d > 0``: subcritical. For
  ``z -> e^{i theta} z (1 + s |z|^2)`` in real coordinates it gives ``d = 2 s``.

The coefficients are computed in closed form when that stays small: the derivatives at the
point become rational functions of the parameters (each square root ``sqrt(R)`` an extra
generator reduced by ``s^2 = R`` after every product, other non-rational atoms such as
``exp(a)`` free generators), the critical eigenvalue is found exactly (``omega^2`` or
``cos theta`` as the root of a gcd of two polynomials), and the complex arithmetic is done
with ``omega`` and ``i`` as algebraic generators. sympy's ``expand``, ``simplify`` and its
multivariate gcd are what made these computations hang; here every product is size-checked
*before* it is formed, a gcd is only cancelled when it is cheap (dense size at most
``_GCD_LIMIT``; an uncancelled fraction is still exact), and past ``size_limit`` terms or the
``timeout`` the closed form is abandoned. Then (and, as a cross-check, also next to a closed
form) the coefficient is evaluated numerically at the parameter ``values`` given, with
numerical eigenvectors; ``origin`` says which route produced the value and at which
parameter values. A closed form that disagrees with the numbers is discarded, not returned.

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   sec. 3.5 (Hopf, planar), 4.4 (flip), 4.7 (Neimark-Sacker) and 5.4 (the n-dimensional
   projection formulas).
.. [2] J. Guckenheimer and P. Holmes, *Nonlinear Oscillations, Dynamical Systems, and
   Bifurcations of Vector Fields*, Springer, 1983, sec. 3.4.

Examples
--------
>>> import sympy
>>> from incentive_geometry.solvers.symbolic.lyapunov import first_lyapunov_coefficient
>>> x, y = sympy.symbols("x y", real=True)
>>> s = sympy.Symbol("s", real=True)
>>> f = [-y + s*x*(x**2 + y**2), x + s*y*(x**2 + y**2)]
>>> first_lyapunov_coefficient(f, (x, y), {x: 0, y: 0})
2*s
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
import sympy.polys.rings

from incentive_geometry.errors import ModelError, SymbolicTimeout

from .budget import Budget
from .conditions import expression_size

__all__ = [
    "DEFAULT_SIZE_LIMIT",
    "DEFAULT_TOL",
    "NORMALIZATIONS",
    "NormalFormCoefficient",
    "first_lyapunov_coefficient",
    "flip_coefficient",
    "hopf_coefficient",
    "neimark_sacker_coefficient",
]

#: Largest closed form attempted: nodes of one derivative entry at the point, and terms of one
#: numerator or denominator of an intermediate result.
DEFAULT_SIZE_LIMIT = 2000

#: Largest dimension for which a closed form is attempted (cofactor expansion of minors).
_MAX_CLOSED_DIMENSION = 5

#: Largest dense size (product of ``degree + 1`` over the variables) of a fraction whose gcd
#: is cancelled; larger fractions stay uncancelled (sympy's multivariate gcd is too slow there).
_GCD_LIMIT = 20000

#: Relative tolerance under which a numerical coefficient counts as zero (degenerate).
DEFAULT_TOL = 1e-9

#: Relative distance from the critical eigenvalue accepted as "on the bifurcation set".
_ON_SET_TOL = 1e-6

_REF = "Kuznetsov, Elements of Applied Bifurcation Theory, 3rd ed., 2004, sec. 5.4"

#: The formula and normalization of each kind (stored on every result).
NORMALIZATIONS = {
    "hopf": (
        "first Lyapunov coefficient l1 = 1/(2 omega) Re(<p, C(q,q,qbar)> - 2 <p, B(q, A^-1 "
        "B(q,qbar))> + <p, B(qbar, (2 i omega I - A)^-1 B(q,q))>), A q = i omega q, omega > 0, "
        "<q, q> = 1, <p, q> = 1 (" + _REF + "; sec. 3.5 for planar systems); normal form "
        "x' = -omega y + s x (x^2 + y^2), y' = omega x + s y (x^2 + y^2) gives l1 = 2 s / omega; "
        "only the sign is invariant: l1 < 0 supercritical, l1 > 0 subcritical, l1 = 0 Bautin"
    ),
    "flip": (
        "flip coefficient c = 1/6 <p, C(q,q,q)> + 1/2 <p, B(q, (I - A)^-1 B(q,q))>, A q = -q, "
        "<q, q> = 1, <p, q> = 1 (" + _REF + "; sec. 4.4 for scalar maps); x -> -x + a x^2 + b x^3 "
        "gives c = a^2 + b; only the sign is invariant: c > 0 supercritical (stable 2-cycle), "
        "c < 0 subcritical, c = 0 degenerate"
    ),
    "neimark_sacker": (
        "Neimark-Sacker coefficient d = 1/2 Re(e^{-i theta} [<p, C(q,q,qbar)> + 2 <p, B(q, "
        "(I - A)^-1 B(q,qbar))> + <p, B(qbar, (e^{2 i theta} I - A)^-1 B(q,q))>]), "
        "A q = e^{i theta} q, 0 < theta < pi, <q, q> = 1, <p, q> = 1 (" + _REF + "; sec. 4.7 "
        "for planar maps); z -> e^{i theta} z (1 + s |z|^2) gives d = 2 s; only the sign is "
        "invariant: d < 0 supercritical (stable invariant circle), d > 0 subcritical"
    ),
}

#: The sign of the coefficient that makes each kind supercritical.
_SUPERCRITICAL_SIGN = {"hopf": -1, "flip": 1, "neimark_sacker": -1}


@dataclass(frozen=True)
class NormalFormCoefficient:
    """A criticality coefficient at a bifurcation point, with where it comes from.

    Parameters
    ----------
    kind : str
        ``"hopf"`` (first Lyapunov coefficient ``l1``), ``"flip"`` or ``"neimark_sacker"``.
    value : sympy.Expr, float or None
        The coefficient: a sympy expression in the parameters (closed form), a Python float
        (numerical, at the parameter values in `origin`), or None when it is unavailable
        (`origin` says why).
    closed_form : bool
        Whether `value` is an exact expression.
    origin : str
        ``"closed form"``; ``"numerical, at a=0.5, b=1.2 (...)"`` with the parameter values
        used and why the closed form was not used; or ``"unavailable: ..."`` with the reason
        and what to pass.
    sign : int or None
        -1, 0 or +1; None when undecided (a closed form whose sign the assumptions on its
        symbols do not decide, or an unavailable value).
    degenerate : bool or None
        Whether the coefficient vanishes: exactly zero (closed form) or ``|value|`` below
        ``tol`` times the size of the terms that cancel in it (numerical), e.g. a Bautin point
        for ``"hopf"``. None when `value` is None.
    normalization : str
        The formula, normalization and reference (see :data:`NORMALIZATIONS`).
    numeric_value : float or None
        The coefficient evaluated numerically at the parameter values passed as ``values``
        (also next to a closed form, e.g. for its sign there); None without ``values``.
    numeric_degenerate : bool or None
        Whether `numeric_value` is zero within the tolerance; None without it.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.lyapunov import hopf_coefficient
    >>> x, y = sympy.symbols("x y", real=True)
    >>> c = hopf_coefficient([-y - x**3, x - y**3], (x, y), {x: 0, y: 0})
    >>> c.value, c.sign, c.degenerate, c.supercritical
    (-3/2, -1, False, True)
    """

    kind: str
    value: Any
    closed_form: bool
    origin: str
    sign: int | None
    degenerate: bool | None
    normalization: str
    numeric_value: float | None = None
    numeric_degenerate: bool | None = None

    @property
    def numeric_sign(self) -> int | None:
        """The sign of `numeric_value` (0 when degenerate), None without it.

        Returns
        -------
        int or None

        Examples
        --------
        >>> import sympy
        >>> from incentive_geometry.solvers.symbolic.lyapunov import hopf_coefficient
        >>> x, y, s = sympy.symbols("x y s", real=True)
        >>> f = [-y + s*x*(x**2 + y**2), x + s*y*(x**2 + y**2)]
        >>> c = hopf_coefficient(f, (x, y), {x: 0, y: 0}, values={s: 0.5})
        >>> c.value, c.sign, c.numeric_sign
        (2*s, None, 1)
        """
        if self.numeric_value is None:
            return None
        if self.numeric_degenerate:
            return 0
        return 1 if self.numeric_value > 0 else -1

    @property
    def supercritical(self) -> bool | None:
        """True (supercritical), False (subcritical), None (degenerate or undecided).

        Returns
        -------
        bool or None

        Examples
        --------
        >>> import sympy
        >>> from incentive_geometry.solvers.symbolic.lyapunov import flip_coefficient
        >>> x = sympy.Symbol("x", real=True)
        >>> flip_coefficient([3*x*(1 - x)], (x,), {x: sympy.Rational(2, 3)}).supercritical
        True
        """
        if self.sign is None or self.sign == 0:
            return None
        return self.sign == _SUPERCRITICAL_SIGN[self.kind]


class _GiveUp(Exception):
    """The closed form was abandoned (the message says why); the numerical route may follow."""


class _NotCritical(Exception):
    """The point is (formally) not on the bifurcation set, or is a strong resonance."""


# --------------------------------------------------------------------------------------------
# Closed form: arithmetic over K(omega, i), K = Q(parameters, atoms, square roots)
# --------------------------------------------------------------------------------------------


class _Field:
    """``Q(gens)`` with guarded arithmetic: the elements are :class:`_F`.

    sympy's own rational-function field cancels a gcd after every operation, and its
    multivariate gcd (heuristic or modular) can take minutes on polynomials of a few dozen
    terms in six or seven parameters of high degree. Here a gcd is only attempted when the
    dense size of the pair (the product of ``degree + 1`` over the variables) is at most
    ``gcd_limit``; past it the fraction is kept uncancelled, which is still exact. Products
    whose term count would pass ``limit**2 / 4`` and results past ``limit`` terms give up.
    """

    def __init__(self, gens: Sequence[Any], limit: int, budget: Budget) -> None:
        self.ring, *_ = sympy.polys.rings.ring(list(gens), sympy.QQ)
        self.limit = limit
        self.budget = budget
        self.gcd_limit = _GCD_LIMIT
        self.zero = _F(self, self.ring.zero, self.ring.one)
        self.one = _F(self, self.ring.one, self.ring.one)
        self.gens = [_F(self, g, self.ring.one) for g in self.ring.gens]

    def __call__(self, value: Any) -> _F:
        if isinstance(value, _F):
            return value
        if isinstance(value, sympy.polys.rings.PolyElement):
            return _F(self, value, self.ring.one)
        return _F(self, self.ring(sympy.QQ.convert(value)), self.ring.one)

    def product(self, a: Any, b: Any) -> Any:
        if len(a) * len(b) > self.limit * self.limit // 4:
            raise _GiveUp(f"a product of {len(a)} by {len(b)} terms (size_limit={self.limit})")
        return a * b

    def make(self, num: Any, den: Any) -> _F:
        """``num / den`` in lowest terms when the gcd is affordable."""
        if not den:
            raise ZeroDivisionError("zero denominator in the closed form")
        if not num:
            return self.zero
        if den.is_ground:
            return _F(self, num.mul_ground(1 / den.LC), self.ring.one)
        if not num.is_ground:
            degs = [max(a, b) for a, b in zip(num.degrees(), den.degrees(), strict=True)]
            if math.prod(d + 1 for d in degs) <= self.gcd_limit:
                num, den = num.cancel(den)
        if len(num) + len(den) > self.limit:
            raise _GiveUp(
                f"an intermediate expression has {len(num) + len(den)} terms "
                f"(size_limit={self.limit})"
            )
        self.budget.check("closed-form normal-form coefficient")
        return _F(self, num, den)


class _F:
    """An element ``numer / denom`` of :class:`_Field` (not necessarily in lowest terms)."""

    __slots__ = ("denom", "field", "numer")

    def __init__(self, field: _Field, numer: Any, denom: Any) -> None:
        self.field = field
        self.numer = numer
        self.denom = denom

    def _lift(self, other: Any) -> _F:
        return other if isinstance(other, _F) else self.field(other)

    def __bool__(self) -> bool:
        return bool(self.numer)

    def __eq__(self, other: object) -> bool:
        o = self._lift(other)
        if not o.numer:
            return not self.numer
        if self.denom == o.denom:
            return bool(self.numer == o.numer)
        return bool(self.numer * o.denom == o.numer * self.denom)

    __hash__ = None  # type: ignore[assignment]

    def __neg__(self) -> _F:
        return _F(self.field, -self.numer, self.denom)

    def __add__(self, other: Any) -> _F:
        o = self._lift(other)
        if not o.numer:
            return self
        if not self.numer:
            return o
        K = self.field
        if self.denom == o.denom:
            return K.make(self.numer + o.numer, self.denom)
        return K.make(
            K.product(self.numer, o.denom) + K.product(o.numer, self.denom),
            K.product(self.denom, o.denom),
        )

    __radd__ = __add__

    def __sub__(self, other: Any) -> _F:
        return self + (-self._lift(other))

    def __rsub__(self, other: Any) -> _F:
        return self._lift(other) + (-self)

    def __mul__(self, other: Any) -> _F:
        o = self._lift(other)
        if not self.numer or not o.numer:
            return self.field.zero
        K = self.field
        return K.make(K.product(self.numer, o.numer), K.product(self.denom, o.denom))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> _F:
        o = self._lift(other)
        if not o.numer:
            raise ZeroDivisionError("division by zero in the closed form")
        K = self.field
        return K.make(K.product(self.numer, o.denom), K.product(self.denom, o.numer))

    def __rtruediv__(self, other: Any) -> _F:
        return self._lift(other) / self

    def __pow__(self, k: int) -> _F:
        if k < 0:
            return self.field.one / (self**-k)
        out = self.field.one
        for _ in range(k):
            out = out * self
        return out

    def as_expr(self) -> Any:
        return self.numer.as_expr() / self.denom.as_expr()


class _Context:
    """The field ``K`` of the closed form, its square-root generators, and the size guard.

    ``K = Q(g_1, ..., g_m, s_1, ..., s_k)`` where the ``g`` are the parameters and the
    non-rational atoms at the point (e.g. ``exp(a)``) and each ``s_j`` stands for
    ``sqrt(R_j)``, ``R_j`` free of square roots. Elements are reduced by ``s_j^2 = R_j``
    before every zero test, so that test is exact for independent square roots.
    """

    def __init__(self, exprs: Sequence[Any], limit: int, budget: Budget) -> None:
        self.limit = limit
        self.budget = budget
        atoms: dict[Any, Any] = {}  # non-rational atom -> Dummy
        radicals: dict[Any, Any] = {}  # radicand -> Dummy
        prepared = [self._prepare(sympy.sympify(e, strict=True), atoms) for e in exprs]
        replaced = [self._radicals(e, radicals) for e in prepared]
        symbols = set().union(
            *(e.free_symbols for e in replaced), *(r.free_symbols for r in radicals)
        )
        plain = sorted(symbols - set(radicals.values()), key=str)
        rad_dummies = list(radicals.values())
        gens = [*plain, *rad_dummies]
        if not gens:
            gens = [sympy.Dummy("unused")]
        self.K = _Field(gens, limit, budget)
        self.gens = gens
        self.rad_index = [gens.index(d) for d in rad_dummies]
        self.plain = set(plain)
        atom_back = {d: a for a, d in atoms.items()}
        self.back = dict(atom_back)
        self.back.update({d: sympy.sqrt(r.xreplace(atom_back)) for r, d in radicals.items()})
        self.radicand = {gens.index(d): self._convert(r, check=False) for r, d in radicals.items()}
        self.exact = not atoms and not radicals
        self.values = [self._convert(e) for e in replaced]

    # -- conversion --------------------------------------------------------------------------

    @staticmethod
    def _prepare(expr: Any, atoms: dict[Any, Any]) -> Any:
        """Floats to exact rationals, function applications (``exp(a)``, ...) to symbols."""
        floats = {f: sympy.Rational(str(f)) for f in expr.atoms(sympy.Float)}
        if floats:
            expr = expr.xreplace(floats)
        funcs = {}
        for f in expr.atoms(sympy.Function):
            if f not in atoms:
                atoms[f] = sympy.Dummy("atom", real=True)
            funcs[f] = atoms[f]
        # xreplace replaces the outermost application; the inner ones vanish with it.
        return expr.xreplace(funcs) if funcs else expr

    @staticmethod
    def _radicals(expr: Any, radicals: dict[Any, Any]) -> Any:
        """``R^(k/2)`` to ``s^k`` with a generator ``s`` for ``sqrt(R)``; other roots give up."""
        subs = {}
        for p in expr.atoms(sympy.Pow):
            e = p.exp
            if e.is_Integer:
                continue
            if not (e.is_Rational and e.q == 2):
                raise _GiveUp(f"the point has a root `{p}` that is not a square root")
            if any(
                isinstance(a, sympy.Pow) and not a.exp.is_Integer for a in p.base.atoms(sympy.Pow)
            ):
                raise _GiveUp(f"the point has a nested radical `{p}`")
            base = p.base
            if base not in radicals:
                radicals[base] = sympy.Dummy("sqrt", positive=True)
            subs[p] = radicals[base] ** e.p
        return expr.xreplace(subs) if subs else expr

    def _convert(self, expr: Any, check: bool = True) -> Any:
        """A sympy expression in the generators as an element of K (guarded arithmetic)."""
        K = self.K
        index = {g: k for k, g in enumerate(self.gens)}

        def walk(e: Any) -> _F:
            if e.is_Rational:
                return K(sympy.QQ(int(e.p), int(e.q)))
            if e.is_Symbol and e in index:
                return K.gens[index[e]]
            if e.is_Add:
                acc = K.zero
                for a in e.args:
                    acc = acc + walk(a)
                return acc
            if e.is_Mul:
                acc = K.one
                for a in e.args:
                    acc = acc * walk(a)
                return acc
            if e.is_Pow and e.exp.is_Integer:
                return walk(e.base) ** int(e.exp)
            raise _GiveUp(f"`{e}` is not a rational function of the parameters and atoms")

        try:
            out = walk(sympy.sympify(expr, strict=True))
        except ZeroDivisionError as err:
            raise _GiveUp(f"`{expr}` divides by zero") from err
        if check:
            self.guard(out)
        return out

    # -- size guard and reduction ------------------------------------------------------------

    def guard(self, f: Any) -> None:
        size = len(f.numer) + len(f.denom)
        if size > self.limit:
            raise _GiveUp(f"an intermediate expression has {size} terms (size_limit={self.limit})")

    def _reduce_poly(self, poly: Any) -> Any:
        """A polynomial of the ring of ``K`` with each ``s_j^2`` replaced by ``R_j``."""
        K = self.K
        if not self.rad_index or max(self._degrees(poly)) <= 1:
            return K(poly)
        groups: dict[tuple[int, ...], dict[tuple[int, ...], Any]] = {}
        for monom, coeff in poly.terms():
            key = tuple(monom[j] for j in self.rad_index)
            m = list(monom)
            for j in self.rad_index:
                m[j] = 0
            groups.setdefault(key, {})[tuple(m)] = coeff
        out = K.zero
        for key, terms in groups.items():
            factor = K.one
            for j, e in zip(self.rad_index, key, strict=True):
                factor *= self.radicand[j] ** (e // 2) * K.gens[j] ** (e % 2)
            out += K(poly.ring.from_dict(terms)) * factor
        return out

    def _flip_sign(self, f: Any, j: int) -> Any:
        """``f`` with the generator ``s_j`` replaced by ``-s_j``."""

        def flip(poly: Any) -> Any:
            return poly.ring.from_dict({m: c * (-1) ** m[j] for m, c in poly.terms()})

        return _F(self.K, flip(f.numer), flip(f.denom))

    def _degrees(self, poly: Any) -> list[int]:
        """The degree of `poly` in each square-root generator."""
        out = [0] * len(self.rad_index)
        for monom in poly.monoms():
            for t, j in enumerate(self.rad_index):
                out[t] = max(out[t], monom[j])
        return out

    def reduce(self, f: Any) -> Any:
        """``f`` with square roots of degree at most one and none in the denominator."""
        if not self.rad_index:
            return f
        dens = self._degrees(f.denom)
        if max(self._degrees(f.numer)) <= 1 and max(dens) == 0:
            return f  # already reduced (the common case)
        num, den = self._reduce_poly(f.numer), self._reduce_poly(f.denom)
        for j in self.rad_index:
            if (
                self._degrees(den.numer)[self.rad_index.index(j)] == 0
                and self._degrees(den.denom)[self.rad_index.index(j)] == 0
            ):
                continue
            conj = self._flip_sign(den, j)
            num = self._reduce_poly((num * conj).numer) / self._reduce_poly((num * conj).denom)
            den = self._reduce_poly((den * conj).numer) / self._reduce_poly((den * conj).denom)
        out = num / den
        self.guard(out)
        return out

    def is_zero(self, f: Any) -> bool:
        return not f.numer or not self._reduce_poly(f.numer).numer

    def to_expr(self, f: Any) -> Any:
        return f.as_expr().xreplace(self.back)


class _Alg:
    """Elements ``(p0 + p1 w) + (q0 + q1 w) i`` of ``K(w, i)``, ``w^2 = u0``, ``i^2 = -1``.

    ``w`` is ``omega`` (Hopf) or ``sin theta`` (Neimark-Sacker); ``u0 = None`` means no ``w``.
    """

    def __init__(self, ctx: _Context, u0: Any) -> None:
        self.ctx = ctx
        self.u0 = u0
        z = ctx.K.zero
        self.zero = (z, z, z, z)
        self.one = (ctx.K.one, z, z, z)

    def real(self, a: Any) -> tuple[Any, Any, Any, Any]:
        z = self.ctx.K.zero
        return (a, z, z, z)

    def add(self, x: Sequence[Any], y: Sequence[Any]) -> tuple[Any, Any, Any, Any]:
        return (x[0] + y[0], x[1] + y[1], x[2] + y[2], x[3] + y[3])

    def sub(self, x: Sequence[Any], y: Sequence[Any]) -> tuple[Any, Any, Any, Any]:
        return (x[0] - y[0], x[1] - y[1], x[2] - y[2], x[3] - y[3])

    def scale(self, x: Sequence[Any], c: Any) -> tuple[Any, Any, Any, Any]:
        return (x[0] * c, x[1] * c, x[2] * c, x[3] * c)

    def _wmul(self, a0: Any, a1: Any, b0: Any, b1: Any) -> tuple[Any, Any]:
        if self.u0 is None:
            return a0 * b0, self.ctx.K.zero
        return a0 * b0 + a1 * b1 * self.u0, a0 * b1 + a1 * b0

    def mul(self, x: Sequence[Any], y: Sequence[Any]) -> tuple[Any, Any, Any, Any]:
        # (P + Q i)(R + S i) = (P R - Q S) + (P S + Q R) i, P..S in K[w]/(w^2 - u0)
        pr = self._wmul(x[0], x[1], y[0], y[1])
        qs = self._wmul(x[2], x[3], y[2], y[3])
        ps = self._wmul(x[0], x[1], y[2], y[3])
        qr = self._wmul(x[2], x[3], y[0], y[1])
        out = (pr[0] - qs[0], pr[1] - qs[1], ps[0] + qr[0], ps[1] + qr[1])
        # Square roots reduced after every product: degree one in each, none in denominators.
        out = (
            self.ctx.reduce(out[0]),
            self.ctx.reduce(out[1]),
            self.ctx.reduce(out[2]),
            self.ctx.reduce(out[3]),
        )
        for c in out:
            self.ctx.guard(c)
        self.ctx.budget.check("closed-form normal-form coefficient")
        return out

    def conj(self, x: Sequence[Any]) -> tuple[Any, Any, Any, Any]:
        return (x[0], x[1], -x[2], -x[3])

    def is_zero(self, x: Sequence[Any]) -> bool:
        return all(self.ctx.is_zero(c) for c in x)

    def inv(self, x: Sequence[Any]) -> tuple[Any, Any, Any, Any]:
        # 1/(P + Q i) = (P - Q i)/(P^2 + Q^2); 1/(n0 + n1 w) = (n0 - n1 w)/(n0^2 - n1^2 u0)
        if not x[1] and not x[2] and not x[3]:
            if self.ctx.is_zero(x[0]):
                raise _GiveUp("a pivot of the closed form vanishes (dependent square roots?)")
            return self.real(self.ctx.reduce(self.ctx.K.one / x[0]))  # the common, real case
        n = self.add(self.mul(x, self.conj(x)), self.zero)
        n0, n1 = n[0], n[1]
        if self.u0 is None:
            norm = n0
            winv = (self.ctx.K.one, self.ctx.K.zero)
        else:
            norm = n0 * n0 - n1 * n1 * self.u0
            winv = (n0, -n1)
        norm = self.ctx.reduce(norm)
        if self.ctx.is_zero(norm):
            raise _GiveUp("a pivot of the closed form vanishes (dependent square roots?)")
        inv_n = (winv[0] / norm, winv[1] / norm, self.ctx.K.zero, self.ctx.K.zero)
        return self.mul(self.conj(x), inv_n)


def _det(alg: _Alg, M: list[list[Any]]) -> Any:
    """Determinant by cofactor expansion along the first row (no division)."""
    n = len(M)
    if n == 1:
        return M[0][0]
    if n == 2:
        return alg.sub(alg.mul(M[0][0], M[1][1]), alg.mul(M[0][1], M[1][0]))
    out = alg.zero
    for j in range(n):
        if alg.is_zero(M[0][j]):
            continue
        minor = [row[:j] + row[j + 1 :] for row in M[1:]]
        term = alg.mul(M[0][j], _det(alg, minor))
        out = alg.add(out, term) if j % 2 == 0 else alg.sub(out, term)
    return out


def _kernel(alg: _Alg, M: list[list[Any]]) -> list[Any]:
    """A nonzero vector with ``M v = 0`` for ``M`` of rank ``n - 1``: a column of adj(M)."""
    n = len(M)
    if n == 1:
        return [alg.one]
    for j in range(n):
        # Column j of the adjugate: (-1)^(i+j) det(M without row j and column i).
        col = []
        for i in range(n):
            minor = [row[:i] + row[i + 1 :] for k, row in enumerate(M) if k != j]
            d = _det(alg, minor)
            col.append(d if (i + j) % 2 == 0 else alg.sub(alg.zero, d))
        if not all(alg.is_zero(c) for c in col):
            return col
    raise _GiveUp("the critical eigenvalue is not simple (the adjugate vanishes)")


def _solve(alg: _Alg, M: list[list[Any]], b: list[Any]) -> list[Any]:
    """``M x = b`` by Gaussian elimination with exact pivots."""
    n = len(M)
    rows = [[*M[i], b[i]] for i in range(n)]
    for col in range(n):
        piv = next((r for r in range(col, n) if not alg.is_zero(rows[r][col])), None)
        if piv is None:
            raise _GiveUp("a matrix of the closed form is singular (a resonance?)")
        rows[col], rows[piv] = rows[piv], rows[col]
        inv = alg.inv(rows[col][col])
        rows[col] = [alg.mul(inv, v) for v in rows[col]]
        for r in range(n):
            if r != col and not alg.is_zero(rows[r][col]):
                f = rows[r][col]
                rows[r] = [
                    alg.sub(v, alg.mul(f, w)) for v, w in zip(rows[r], rows[col], strict=True)
                ]
    return [rows[i][n] for i in range(n)]


def _inner(alg: _Alg, u: Sequence[Any], v: Sequence[Any]) -> Any:
    out = alg.zero
    for a, b in zip(u, v, strict=True):
        out = alg.add(out, alg.mul(alg.conj(a), b))
    return out


class _Forms:
    """The Jacobian and the multilinear forms ``B``, ``C`` at the point (entries of K)."""

    def __init__(self, ctx: _Context, n: int, keys2: list[Any], keys3: list[Any]) -> None:
        self.n = n
        vals = ctx.values
        self.A = [[vals[i * n + j] for j in range(n)] for i in range(n)]
        off = n * n
        self.second = {
            (i, key): vals[off + i * len(keys2) + t]
            for i in range(n)
            for t, key in enumerate(keys2)
        }
        off += n * len(keys2)
        self.third = {
            (i, key): vals[off + i * len(keys3) + t]
            for i in range(n)
            for t, key in enumerate(keys3)
        }

    def B(self, alg: _Alg, u: Sequence[Any], v: Sequence[Any]) -> list[Any]:
        n = self.n
        out = []
        for i in range(n):
            acc = alg.zero
            for j in range(n):
                for k in range(n):
                    c = self.second[(i, tuple(sorted((j, k))))]
                    if c == 0:
                        continue
                    acc = alg.add(acc, alg.scale(alg.mul(u[j], v[k]), c))
            out.append(acc)
        return out

    def C(self, alg: _Alg, u: Sequence[Any], v: Sequence[Any], z: Sequence[Any]) -> list[Any]:
        n = self.n
        out = []
        for i in range(n):
            acc = alg.zero
            for j, k, m in itertools.product(range(n), repeat=3):
                c = self.third[(i, tuple(sorted((j, k, m))))]
                if c == 0:
                    continue
                acc = alg.add(acc, alg.scale(alg.mul(alg.mul(u[j], v[k]), z[m]), c))
            out.append(acc)
        return out


def _derivatives(
    rhs: Sequence[Any], states: Sequence[Any], point: Mapping[Any, Any]
) -> tuple[list[Any], list[Any], list[Any]]:
    """Entries of the Jacobian, the second and the third derivatives at the point (sympy)."""
    xs = list(states)
    n = len(xs)
    keys2 = [k for k in itertools.combinations_with_replacement(range(n), 2)]
    keys3 = [k for k in itertools.combinations_with_replacement(range(n), 3)]
    at = dict(point)
    out: list[Any] = []
    for f in rhs:
        out.extend(sympy.diff(f, xs[j]) for j in range(n))
    for f in rhs:
        out.extend(sympy.diff(f, *(xs[j] for j in key)) for key in keys2)
    for f in rhs:
        out.extend(sympy.diff(f, *(xs[j] for j in key)) for key in keys3)
    return [e.xreplace(at) for e in out], keys2, keys3


def _poly_rem(a: list[Any], b: list[Any], ctx: _Context) -> list[Any]:
    """Remainder of polynomials over K given as coefficient lists, lowest degree first."""
    a = list(a)
    while len(a) >= len(b):
        if ctx.is_zero(a[-1]):
            a.pop()
            continue
        f = a[-1] / b[-1]
        shift = len(a) - len(b)
        for k, c in enumerate(b):
            a[shift + k] = ctx.reduce(a[shift + k] - f * c)
        a.pop()
    while a and ctx.is_zero(a[-1]):
        a.pop()
    return a


def _poly_gcd(a: list[Any], b: list[Any], ctx: _Context) -> list[Any]:
    a = [ctx.reduce(c) for c in a]
    b = [ctx.reduce(c) for c in b]
    while a and ctx.is_zero(a[-1]):
        a.pop()
    while b and ctx.is_zero(b[-1]):
        b.pop()
    while b:
        a, b = b, _poly_rem(a, b, ctx)
    return a


def _critical_root(A: list[list[Any]], ctx: _Context, kind: str) -> Any:
    """``u0 = omega^2`` (Hopf) or ``c0 = cos theta`` (Neimark-Sacker), exactly.

    The characteristic polynomial ``P`` has the pair ``+-i omega`` (or ``e^{+-i theta}``) iff it
    is divisible by ``lambda^2 + u`` (or ``lambda^2 - 2 c lambda + 1``): the remainder
    ``alpha(u) lambda + beta(u)`` vanishes, so ``u0`` is the root of ``gcd(alpha, beta)``.
    """
    K = ctx.K
    p = _char_poly(A, ctx)
    # lambda^k = a_k(u) lambda + b_k(u) modulo the quadratic; polynomials in u, lowest first.
    a: list[Any] = []
    b: list[Any] = [K.one]
    alpha: list[Any] = []
    beta: list[Any] = []

    def axpy(acc: list[Any], c: Any, poly: list[Any]) -> list[Any]:
        acc = acc + [K.zero] * (len(poly) - len(acc))
        for k, v in enumerate(poly):
            acc[k] = acc[k] + c * v
        return acc

    for k, pk in enumerate(p):
        if k > 0:
            if kind == "hopf":
                # lambda^{k+1} = a lambda^2 + b lambda = b lambda - u a
                a, b = b, [K.zero, *(-v for v in a)]
            else:
                # mu^{k+1} = a mu^2 + b mu = (2 c a + b) mu - a
                a, b = axpy(list(b), K.one * 2, [K.zero, *a]), [-v for v in a]
        alpha = axpy(alpha, pk, a)
        beta = axpy(beta, pk, b)
    g = _poly_gcd(alpha, beta, ctx)
    if len(g) == 2:
        return ctx.reduce(-g[0] / g[1])
    if len(g) < 2:
        raise _NotCritical("the characteristic polynomial has no critical pair (checked exactly)")
    raise _GiveUp(f"{len(g) - 1} candidate critical pairs (a degree-{len(g) - 1} gcd)")


def _closed_form(
    kind: str,
    rhs: Sequence[Any],
    states: Sequence[Any],
    point: Mapping[Any, Any],
    limit: int,
    budget: Budget,
) -> Any:
    n = len(states)
    if n > _MAX_CLOSED_DIMENSION:
        raise _GiveUp(f"dimension {n} > {_MAX_CLOSED_DIMENSION}")
    for f in rhs:
        if expression_size(f, limit) > limit:
            raise _GiveUp(f"a right-hand side has more than {limit} nodes (size_limit={limit})")
    entries, keys2, keys3 = _derivatives(rhs, states, point)
    for e in entries:
        if expression_size(e, limit) > limit:
            raise _GiveUp(
                f"a derivative at the point has more than {limit} nodes (size_limit={limit})"
            )
    budget.check("derivatives")
    ctx = _Context(entries, limit, budget)
    try:
        return _closed_form_in(kind, ctx, _Forms(ctx, n, keys2, keys3), budget)
    except _NotCritical as err:
        if ctx.exact:
            raise
        # With square roots or other atoms an exact "no" may come from a dependence between
        # them that the reduction does not see: leave the question to the numerical route.
        raise _GiveUp(
            f"{err}, formally (with the atoms {sorted(map(str, ctx.back.values()))})"
        ) from err


def _char_poly(A: list[list[Any]], ctx: _Context) -> list[Any]:
    """Coefficients of det(lambda I - A) over K, lowest degree first (Faddeev-LeVerrier).

    ``M_1 = I``, ``c_{n-k} = -tr(A M_k) / k``, ``M_{k+1} = A M_k + c_{n-k} I``: only
    products, sums and divisions by integers, so every step goes through the size guard.
    """
    K = ctx.K
    n = len(A)
    coeffs = [K.zero] * (n + 1)
    coeffs[n] = K.one
    M = [[K.one if i == j else K.zero for j in range(n)] for i in range(n)]
    for k in range(1, n + 1):
        AM = [
            [
                sum((A[i][t] * M[t][j] for t in range(n) if A[i][t] and M[t][j]), K.zero)
                for j in range(n)
            ]
            for i in range(n)
        ]
        c = sum((AM[i][i] for i in range(n)), K.zero) * K(sympy.QQ(-1, k))
        coeffs[n - k] = ctx.reduce(c)
        M = [[AM[i][j] + (c if i == j else K.zero) for j in range(n)] for i in range(n)]
    return coeffs


def _closed_form_in(kind: str, ctx: _Context, forms: _Forms, budget: Budget) -> Any:
    n = forms.n
    K = ctx.K
    A = forms.A
    sign_factor = sympy.Integer(1)
    if kind == "flip":
        alg = _Alg(ctx, None)
        lam = alg.real(-K.one)
        at_minus_one = sum((c * (-1) ** k for k, c in enumerate(_char_poly(A, ctx))), K.zero)
        if not ctx.is_zero(ctx.reduce(at_minus_one)):
            raise _NotCritical("-1 is not an eigenvalue of the Jacobian (checked exactly)")
    else:
        if kind == "hopf" and n == 2:
            # trace 0 and omega^2 = det A, directly.
            if not ctx.is_zero(A[0][0] + A[1][1]):
                raise _NotCritical("the trace of the Jacobian is not zero (checked exactly)")
            root = ctx.reduce(A[0][0] * A[1][1] - A[0][1] * A[1][0])
        else:
            root = _critical_root(A, ctx, kind)
        budget.check("critical eigenvalue")
        if kind == "hopf":
            u0 = root
            if ctx.is_zero(u0):
                raise _NotCritical("a double zero eigenvalue (Bogdanov-Takens), not a Hopf point")
        else:
            c0 = root
            for value, name in (
                (1, "1:1"),
                (-1, "1:2"),
                (0, "1:4"),
                (sympy.Rational(-1, 2), "1:3"),
            ):
                if ctx.is_zero(c0 - K(value)):
                    raise _NotCritical(f"a strong resonance {name} (cos theta = {value})")
            u0 = ctx.reduce(1 - c0 * c0)
        u0_expr = ctx.to_expr(u0)
        sign = u0_expr.is_positive if expression_size(u0_expr, 3000) <= 3000 else None
        if sign is False:
            raise _NotCritical(
                "the critical pair is real (omega^2 = "
                f"{u0_expr} is not positive): a neutral saddle, not a Hopf point"
                if kind == "hopf"
                else f"no pair on the unit circle (sin(theta)^2 = {u0_expr})"
            )
        # A perfect square u0 = g^2 makes w = |g| an element of K (no generator needed).
        alg = _Alg(ctx, u0)
        w = (K.zero, K.one, K.zero, K.zero)
        g = _square_root(u0_expr, u0, ctx)
        if g is not None:
            alg = _Alg(ctx, None)
            w = alg.real(ctx._convert(g))
            sign_factor = sympy.Abs(g) / g  # the formulas need omega = |g| > 0
        i_w = alg.mul((K.zero, K.zero, K.one, K.zero), w)
        lam = i_w if kind == "hopf" else alg.add(alg.real(c0), i_w)
    Az = [[alg.real(e) for e in row] for row in A]
    eye = [[alg.one if i == j else alg.zero for j in range(n)] for i in range(n)]

    def shifted(M: list[list[Any]], mu: Any, transpose: bool = False) -> list[list[Any]]:
        # M - mu I (or M^T - mu I)
        return [
            [
                alg.sub(M[j][i] if transpose else M[i][j], mu if i == j else alg.zero)
                for j in range(n)
            ]
            for i in range(n)
        ]

    q = _kernel(alg, shifted(Az, lam))
    p0 = _kernel(alg, shifted(Az, alg.conj(lam), transpose=True))
    budget.check("eigenvectors")
    pq = _inner(alg, p0, q)
    # <p, q> = 1: p = p0 / conj(<p0, q>)
    factor = alg.inv(alg.conj(pq))
    p = [alg.mul(v, factor) for v in p0]
    qq = _inner(alg, q, q)
    if kind == "flip":
        Bqq = forms.B(alg, q, q)
        ImA = [[alg.sub(eye[i][j], Az[i][j]) for j in range(n)] for i in range(n)]
        total = alg.add(
            alg.scale(_inner(alg, p, forms.C(alg, q, q, q)), K.one / 6),
            alg.scale(_inner(alg, p, forms.B(alg, q, _solve(alg, ImA, Bqq))), K.one / 2),
        )
    else:
        qbar = [alg.conj(v) for v in q]
        Bqqb = forms.B(alg, q, qbar)
        Bqq = forms.B(alg, q, q)
        t1 = _inner(alg, p, forms.C(alg, q, q, qbar))
        lam2 = alg.mul(lam, lam)
        if kind == "hopf":
            t2 = _inner(alg, p, forms.B(alg, q, _solve(alg, Az, Bqqb)))
            # (2 i omega I - A) x = b  <=>  (A - 2 i omega I) x = -b; lam^2 = -omega^2, so use 2 lam
            t3 = _inner(
                alg,
                p,
                forms.B(
                    alg,
                    qbar,
                    _solve(
                        alg, shifted(Az, alg.add(lam, lam)), [alg.sub(alg.zero, v) for v in Bqq]
                    ),
                ),
            )
            total = alg.add(alg.sub(t1, alg.scale(t2, K(2))), t3)
            # l1 = Re(total) / (2 omega)
            total = alg.mul(total, alg.inv(alg.scale(w, K(2))))
        else:
            ImA = [[alg.sub(eye[i][j], Az[i][j]) for j in range(n)] for i in range(n)]
            t2 = _inner(alg, p, forms.B(alg, q, _solve(alg, ImA, Bqqb)))
            # (e^{2 i theta} I - A) x = b  <=>  (A - mu^2 I) x = -b
            t3 = _inner(
                alg,
                p,
                forms.B(
                    alg, qbar, _solve(alg, shifted(Az, lam2), [alg.sub(alg.zero, v) for v in Bqq])
                ),
            )
            total = alg.add(alg.add(t1, alg.scale(t2, K(2))), t3)
            total = alg.scale(alg.mul(alg.conj(lam), total), K.one / 2)
    # Divide by <q, q> (the coefficient scales with |q|^2); then the real part.
    total = alg.mul(total, alg.inv(qq))
    re0, re1 = ctx.reduce(total[0]), ctx.reduce(total[1])
    budget.check("simplifying the closed form")
    expr = _as_expression(ctx, re0) + (
        _as_expression(ctx, re1) * sympy.sqrt(ctx.to_expr(u0))
        if not ctx.is_zero(re1) and alg.u0 is not None
        else 0
    )
    return expr * sign_factor


def _square_root(u0: Any, element: Any, ctx: _Context) -> Any:
    """``g`` with ``g^2 = u0``, a rational function of the plain generators, or None."""
    if expression_size(u0, 400) >= 400 or not u0.free_symbols <= ctx.plain:
        return None
    if _dense_size(element) > _GCD_LIMIT:
        return None  # factoring would cost as much as the gcds we avoid
    if u0.atoms(sympy.Function) or any(not p.exp.is_Integer for p in u0.atoms(sympy.Pow)):
        return None
    root = sympy.sqrt(sympy.factor(u0))
    if isinstance(root, sympy.Abs):
        root = root.args[0]
    if root.atoms(sympy.Abs) or any(not p.exp.is_Integer for p in root.atoms(sympy.Pow)):
        return None
    return root


def _dense_size(f: Any) -> int:
    """Product of ``degree + 1`` over the variables of a fraction (a cost measure)."""
    num, den = f.numer, f.denom
    return math.prod(max(a, b) + 1 for a, b in zip(num.degrees(), den.degrees(), strict=True))


def _as_expression(ctx: _Context, f: Any) -> Any:
    """A K element as a sympy expression, factored when small."""
    if ctx.is_zero(f):
        return sympy.Integer(0)
    num, den = f.numer, f.denom
    if len(num) + len(den) <= 80 and _dense_size(f) <= _GCD_LIMIT:
        nexpr = sympy.factor(num.as_expr())
        dexpr = sympy.factor(den.as_expr())
    else:
        nexpr, dexpr = num.as_expr(), den.as_expr()
    return (nexpr / dexpr).xreplace(ctx.back)


# --------------------------------------------------------------------------------------------
# Numerical route
# --------------------------------------------------------------------------------------------


def _values_map(values: Mapping[Any, Any] | None, free: set[Any]) -> dict[Any, Any]:
    if values is None:
        return {}
    by_name = {str(s): s for s in free}
    out: dict[Any, Any] = {}
    for key, v in values.items():
        sym = by_name.get(key) if isinstance(key, str) else key
        if sym is None:
            continue
        try:
            out[sym] = sympy.sympify(v, strict=True)
        except sympy.SympifyError as err:
            raise ModelError(
                f"`values[{key!r}]` must be a number, got {v!r} ({type(v).__name__})"
            ) from err
    return out


def _to_float(expr: Any, what: str) -> float:
    z = complex(sympy.N(expr, 30))
    if not (math.isfinite(z.real) and math.isfinite(z.imag)):
        raise ModelError(f"{what} is not finite at the given `values`: {expr}")
    if abs(z.imag) > 1e-10 * max(1.0, abs(z.real)):
        raise ModelError(f"{what} is not real at the given `values`: {z}")
    return z.real


def _numeric_arrays(
    rhs: Sequence[Any], states: Sequence[Any], point: Mapping[Any, Any], vals: Mapping[Any, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = list(states)
    n = len(xs)
    fs = [sympy.sympify(f, strict=True).xreplace(vals) for f in rhs]
    at = {
        s: sympy.Float(
            _to_float(sympy.sympify(point[s], strict=True).xreplace(vals), f"the point's `{s}`"), 30
        )
        for s in xs
    }
    A = np.zeros((n, n))
    B = np.zeros((n, n, n))
    C = np.zeros((n, n, n, n))
    for i, f in enumerate(fs):
        for j in range(n):
            fj = sympy.diff(f, xs[j])
            A[i, j] = _to_float(fj.xreplace(at), "the Jacobian")
            for k in range(j, n):
                fjk = sympy.diff(fj, xs[k])
                B[i, j, k] = B[i, k, j] = _to_float(fjk.xreplace(at), "a second derivative")
                for m in range(k, n):
                    v = _to_float(sympy.diff(fjk, xs[m]).xreplace(at), "a third derivative")
                    for perm in set(itertools.permutations((j, k, m))):
                        C[(i, *perm)] = v
    return A, B, C


def _numeric(
    kind: str, A: np.ndarray, B: np.ndarray, C: np.ndarray, tol: float
) -> tuple[float, bool, float]:
    """The coefficient from numerical eigenvectors, whether it is zero within `tol`, and the
    sum of the magnitudes of its terms (the scale of its rounding error)."""
    n = A.shape[0]
    eye = np.eye(n)

    def Bf(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.einsum("ijk,j,k->i", B, u, v)

    def Cf(u: np.ndarray, v: np.ndarray, z: np.ndarray) -> np.ndarray:
        return np.einsum("ijkl,j,k,l->i", C, u, v, z)

    ev, V = np.linalg.eig(A)
    evt, W = np.linalg.eig(A.T)
    scale_a = max(1.0, float(np.linalg.norm(A)))
    if kind == "flip":
        idx = int(np.argmin(np.abs(ev + 1)))
        if abs(ev[idx] + 1) > _ON_SET_TOL * scale_a:
            raise _NotCritical(f"no eigenvalue -1 (eigenvalues {np.round(ev, 6).tolist()})")
        if np.min(np.abs(ev - 1)) < _ON_SET_TOL * scale_a:
            raise _NotCritical("an eigenvalue 1 as well (I - A is singular)")
        q = _real_vector(V[:, idx])
        p = _real_vector(W[:, int(np.argmin(np.abs(evt + 1)))])
        p = p / (p @ q)
        terms = [Cf(q, q, q) @ p / 6, p @ Bf(q, np.linalg.solve(eye - A, Bf(q, q))) / 2]
        value = float(sum(terms))
        size = float(sum(abs(t) for t in terms))
        return value, abs(value) <= tol * size, size
    upper = np.where(ev.imag > _ON_SET_TOL * scale_a)[0]
    if kind == "hopf":
        if upper.size == 0:
            raise _NotCritical(f"no complex pair (eigenvalues {np.round(ev, 6).tolist()})")
        idx = int(upper[np.argmin(np.abs(ev[upper].real))])
        if abs(ev[idx].real) > _ON_SET_TOL * scale_a:
            raise _NotCritical(
                f"no pair on the imaginary axis (eigenvalues {np.round(ev, 6).tolist()})"
            )
        omega = float(ev[idx].imag)
        lam = 1j * omega
        if np.min(np.abs(ev)) < _ON_SET_TOL * scale_a:
            raise _NotCritical("a zero eigenvalue as well (a zero-Hopf point)")
        if np.min(np.abs(ev - 2j * omega)) < _ON_SET_TOL * scale_a:
            raise _NotCritical("an eigenvalue 2 i omega as well (a 1:2 resonant double Hopf)")
    else:
        if upper.size == 0:
            raise _NotCritical(f"no complex pair (eigenvalues {np.round(ev, 6).tolist()})")
        idx = int(upper[np.argmin(np.abs(np.abs(ev[upper]) - 1))])
        if abs(abs(ev[idx]) - 1) > _ON_SET_TOL * scale_a:
            raise _NotCritical(
                f"no pair on the unit circle (eigenvalues {np.round(ev, 6).tolist()})"
            )
        lam = ev[idx] / abs(ev[idx])
        for k in (1, 2, 3, 4):
            if abs(lam**k - 1) < _ON_SET_TOL:
                raise _NotCritical(f"a strong resonance 1:{k} (e^(i theta) = {lam:.6g})")
        for mu, what in ((1.0, "1"), (lam**2, "e^(2 i theta)")):
            if np.min(np.abs(ev - mu)) < _ON_SET_TOL * scale_a:
                raise _NotCritical(f"an eigenvalue {what} as well (a resonance)")
    q = V[:, idx] / np.linalg.norm(V[:, idx])
    jdx = int(np.argmin(np.abs(evt - np.conj(lam))))
    p = W[:, jdx]
    p = p / np.conj(np.vdot(p, q))
    qb = np.conj(q)
    t1 = np.vdot(p, Cf(q, q, qb))
    if kind == "hopf":
        t2 = -2 * np.vdot(p, Bf(q, np.linalg.solve(A, Bf(q, qb))))
        t3 = np.vdot(p, Bf(qb, np.linalg.solve(2j * omega * eye - A, Bf(q, q))))
        terms = [t1 / (2 * omega), t2 / (2 * omega), t3 / (2 * omega)]
        value = float(sum(terms).real)
    else:
        t2 = 2 * np.vdot(p, Bf(q, np.linalg.solve(eye - A, Bf(q, qb))))
        t3 = np.vdot(p, Bf(qb, np.linalg.solve(lam**2 * eye - A, Bf(q, q))))
        terms = [np.conj(lam) * t / 2 for t in (t1, t2, t3)]
        value = float(sum(terms).real)
    size = float(sum(abs(t) for t in terms))
    return value, abs(value) <= tol * size, size


def _real_vector(v: np.ndarray) -> np.ndarray:
    """An eigenvector of a real eigenvalue, rotated to be real, unit length."""
    k = int(np.argmax(np.abs(v)))
    r = np.real(v * abs(v[k]) / v[k])
    return r / np.linalg.norm(r)


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def _check_input(rhs: Sequence[Any], states: Sequence[Any], point: Mapping[Any, Any]) -> None:
    if len(rhs) != len(states) or not states:
        raise ModelError(
            f"`rhs` has {len(rhs)} expressions for {len(states)} `states`; give one right-hand "
            "side per state"
        )
    missing = [s for s in states if s not in point]
    if missing:
        raise ModelError(f"`point` has no value for the states {missing}; give every state")


def _show(v: Any) -> str:
    """A parameter value for `origin`: floats in short form, exact numbers as they are."""
    return f"{float(v):.12g}" if isinstance(v, sympy.Float) else str(v)


def _sign_of(expr: Any) -> int | None:
    """The sign of a closed form from the assumptions on its symbols, or None."""
    if expr == 0:
        return 0
    if expression_size(expr, 3000) > 3000:
        return None
    if expr.is_positive:
        return 1
    if expr.is_negative:
        return -1
    return None


def _coefficient(
    kind: str,
    rhs: Sequence[Any],
    states: Sequence[Any],
    point: Mapping[Any, Any],
    values: Mapping[Any, Any] | None,
    size_limit: int,
    tol: float,
    timeout: float | None,
) -> NormalFormCoefficient:
    _check_input(rhs, states, point)
    rhs = [sympy.sympify(f, strict=True) for f in rhs]
    point = {s: sympy.sympify(point[s], strict=True) for s in states}
    free = set().union(*(f.free_symbols for f in rhs), *(v.free_symbols for v in point.values()))
    free -= set(states)
    vals = _values_map(values, free)
    if values is None and not free:
        values = {}  # nothing to choose: the numerical route needs no values
    norm = NORMALIZATIONS[kind]
    budget = Budget(timeout, what=f"the {kind} coefficient")
    reason = ""
    closed: Any = None
    try:
        closed = _closed_form(kind, rhs, states, point, size_limit, budget)
    except _GiveUp as err:
        reason = f"closed form abandoned: {err}"
    except SymbolicTimeout:
        reason = f"closed form abandoned: past the time budget of {timeout} s"
    except _NotCritical as err:
        if values is None or not free:  # exact, and no parameter values could change it
            raise ModelError(
                f"`point` is not a {kind} point of `rhs`: {err}; pass a point on the "
                "bifurcation set"
            ) from err
        reason = f"closed form abandoned: {err} (formally; checked numerically below)"

    numeric: float | None = None
    numeric_zero = False
    numeric_scale = 0.0
    missing = sorted(free - set(vals), key=str)
    if values is not None and not missing:
        A, B, C = _numeric_arrays(rhs, states, point, vals)
        try:
            numeric, numeric_zero, numeric_scale = _numeric(kind, A, B, C, tol)
        except _NotCritical as err:
            if closed is None:
                raise ModelError(
                    f"`point` is not a {kind} point of `rhs` at `values` {vals}: {err}"
                ) from err
            numeric = None
        except np.linalg.LinAlgError as err:
            raise ModelError(
                f"a singular matrix in the {kind} coefficient at `values`: {err}"
            ) from err
    at = ", ".join(f"{s}={_show(vals[s])}" for s in sorted(vals, key=str))

    if closed is not None and numeric is not None:
        # Cross-check: a closed form that disagrees with the numbers is not returned.
        check = _to_float(closed.xreplace(vals), "the closed form")
        if abs(check - numeric) > 1e-6 * (numeric_scale + abs(check)) + 1e-12:
            reason = (
                f"closed form discarded: it gives {check:.12g} at {at}, the numerical "
                f"route {numeric:.12g}"
            )
            closed = None
    if closed is not None:
        s = _sign_of(closed)
        return NormalFormCoefficient(
            kind=kind,
            value=closed,
            closed_form=True,
            origin="closed form",
            sign=s,
            degenerate=bool(closed == 0),
            normalization=norm,
            numeric_value=numeric,
            numeric_degenerate=None if numeric is None else numeric_zero,
        )
    if numeric is not None:
        return NormalFormCoefficient(
            kind=kind,
            value=numeric,
            closed_form=False,
            origin=f"numerical, at {at} ({reason})",
            sign=0 if numeric_zero else (1 if numeric > 0 else -1),
            degenerate=numeric_zero,
            normalization=norm,
            numeric_value=numeric,
            numeric_degenerate=numeric_zero,
        )
    need = ", ".join(str(m) for m in missing) if missing else "the parameters"
    return NormalFormCoefficient(
        kind=kind,
        value=None,
        closed_form=False,
        origin=f"unavailable: {reason}; pass `values=` with numbers for {need} to evaluate it numerically",
        sign=None,
        degenerate=None,
        normalization=norm,
        numeric_value=None,
    )


def hopf_coefficient(
    rhs: Sequence[Any],
    states: Sequence[Any],
    point: Mapping[Any, Any],
    *,
    values: Mapping[Any, Any] | None = None,
    size_limit: int = DEFAULT_SIZE_LIMIT,
    tol: float = DEFAULT_TOL,
    timeout: float | None = None,
) -> NormalFormCoefficient:
    """First Lyapunov coefficient ``l1`` at a Hopf point of an n-dimensional flow.

    Parameters
    ----------
    rhs : sequence of sympy.Expr
        ``f(x)`` of ``x' = f(x)``, in the states and parameters, already on the Hopf set.
    states : sequence of Symbols
    point : mapping of Symbol to Expr
        The equilibrium (a pair ``+-i omega``, ``omega > 0``, in the Jacobian there; the rest
        of the spectrum may be anything except ``0`` and ``+-2 i omega``).
    values : mapping of Symbol (or name) to number, optional
        Numbers for the remaining parameters: used when the closed form is abandoned, to
        cross-check a closed form, and for ``numeric_value``.
    size_limit : int
        Largest closed form attempted (nodes of one derivative, terms of one intermediate
        numerator or denominator); past it the closed form is abandoned.
    tol : float
        A numerical value is degenerate when ``|l1|`` is below `tol` times the sum of the
        magnitudes of the terms of the formula.
    timeout : float, optional
        Seconds for the closed form (checked between arithmetic steps); past it the numerical
        route is taken.

    Returns
    -------
    NormalFormCoefficient
        ``kind="hopf"``; the normalization of :data:`NORMALIZATIONS` (``<q, q> = 1``).

    Raises
    ------
    ModelError
        If `point` is not a Hopf point (checked exactly, or numerically at `values`), or the
        inputs do not match.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer,
       2004, sec. 3.5 and 5.4.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.lyapunov import hopf_coefficient
    >>> x, y = sympy.symbols("x y", real=True)
    >>> mu = sympy.Symbol("mu", real=True)
    >>> # y' = -x + (mu**2 - 1) y + mu x**2 y on its Hopf set mu**2 = 1:
    >>> f = [y, -x + mu*x**2*y]
    >>> c = hopf_coefficient(f, (x, y), {x: 0, y: 0})
    >>> c.value, c.sign
    (mu/4, None)
    >>> c = hopf_coefficient(f, (x, y), {x: 0, y: 0}, values={mu: -1})
    >>> c.sign, round(c.numeric_value, 12), c.numeric_sign
    (None, -0.25, -1)
    """
    return _coefficient("hopf", rhs, states, point, values, size_limit, tol, timeout)


def flip_coefficient(
    rhs: Sequence[Any],
    states: Sequence[Any],
    point: Mapping[Any, Any],
    *,
    values: Mapping[Any, Any] | None = None,
    size_limit: int = DEFAULT_SIZE_LIMIT,
    tol: float = DEFAULT_TOL,
    timeout: float | None = None,
) -> NormalFormCoefficient:
    """Normal-form coefficient ``c`` at a flip (period-doubling) point of a map.

    Parameters
    ----------
    rhs : sequence of sympy.Expr
        The map ``x -> f(x)``, already on the flip set (an eigenvalue ``-1`` at `point`).
    states : sequence of Symbols
    point : mapping of Symbol to Expr
        The fixed point.
    values, size_limit, tol, timeout
        As in :func:`hopf_coefficient`.

    Returns
    -------
    NormalFormCoefficient
        ``kind="flip"``; ``c > 0`` supercritical (a stable 2-cycle is born).

    Raises
    ------
    ModelError
        If `point` is not a flip point or the inputs do not match.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer,
       2004, sec. 4.4 and 5.4.

    Examples
    --------
    The logistic map at ``r = 3`` (a stable 2-cycle is born):

    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.lyapunov import flip_coefficient
    >>> x = sympy.Symbol("x", real=True)
    >>> c = flip_coefficient([3*x*(1 - x)], (x,), {x: sympy.Rational(2, 3)})
    >>> c.value, c.supercritical
    (9, True)
    """
    return _coefficient("flip", rhs, states, point, values, size_limit, tol, timeout)


def neimark_sacker_coefficient(
    rhs: Sequence[Any],
    states: Sequence[Any],
    point: Mapping[Any, Any],
    *,
    values: Mapping[Any, Any] | None = None,
    size_limit: int = DEFAULT_SIZE_LIMIT,
    tol: float = DEFAULT_TOL,
    timeout: float | None = None,
) -> NormalFormCoefficient:
    """Normal-form coefficient ``d`` at a Neimark-Sacker point of a map.

    Parameters
    ----------
    rhs : sequence of sympy.Expr
        The map ``x -> f(x)``, already on the Neimark-Sacker set (a pair ``e^{+-i theta}`` at
        `point`, no strong resonance: ``theta`` not ``2 pi/3`` or ``pi/2``).
    states : sequence of Symbols
    point : mapping of Symbol to Expr
        The fixed point.
    values, size_limit, tol, timeout
        As in :func:`hopf_coefficient`.

    Returns
    -------
    NormalFormCoefficient
        ``kind="neimark_sacker"``; ``d < 0`` supercritical (a stable invariant circle).

    Raises
    ------
    ModelError
        If `point` is not a Neimark-Sacker point (or is a strong resonance), or the inputs
        do not match.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer,
       2004, sec. 4.7 and 5.4.

    Examples
    --------
    The delayed logistic map at ``r = 2``:

    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.lyapunov import neimark_sacker_coefficient
    >>> x, y = sympy.symbols("x y", real=True)
    >>> c = neimark_sacker_coefficient([y, 2*y*(1 - x)], (x, y), {x: sympy.S.Half, y: sympy.S.Half})
    >>> c.supercritical, c.closed_form
    (True, True)
    """
    return _coefficient("neimark_sacker", rhs, states, point, values, size_limit, tol, timeout)


def first_lyapunov_coefficient(
    rhs: Sequence[Any],
    states: Sequence[Any],
    point: Mapping[Any, Any],
    *,
    size_limit: int = DEFAULT_SIZE_LIMIT,
    timeout: float | None = None,
) -> Any:
    """First Lyapunov coefficient ``l1`` at a Hopf point, in closed form (any dimension).

    Parameters
    ----------
    rhs : sequence of sympy.Expr
        ``f(x)``, with the parameters already on the Hopf set.
    states : sequence of Symbols
    point : mapping of Symbol to Expr
        The equilibrium.
    size_limit : int
        As in :func:`hopf_coefficient`.
    timeout : float, optional
        Seconds allowed for the closed form.

    Returns
    -------
    sympy.Expr
        ``l1`` in the normalization of the module docstring (``<q, q> = 1``).

    Raises
    ------
    ModelError
        If `point` is not a Hopf point of `rhs` (checked exactly).
    SymbolicTimeout
        If the closed form is abandoned (too large, past `timeout`, or not expressible, e.g.
        with cube roots at the point); the message says why.
        :func:`hopf_coefficient` with ``values=`` evaluates ``l1`` numerically instead.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer,
       2004, sec. 3.5 and 5.4.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.lyapunov import first_lyapunov_coefficient
    >>> x, y = sympy.symbols("x y", real=True)
    >>> first_lyapunov_coefficient([-2*y - x**3, 2*x - y**3], (x, y), {x: 0, y: 0})
    -3/4
    """
    c = _coefficient("hopf", rhs, states, point, None, size_limit, DEFAULT_TOL, timeout)
    if not c.closed_form:
        raise SymbolicTimeout(
            f"first Lyapunov coefficient: {c.origin.removeprefix('unavailable: ')}; use "
            "`hopf_coefficient(rhs, states, point, values=...)` for the numerical value"
        )
    return c.value
