"""Stability of an equilibrium as a condition on the parameters.

The Jacobian at the equilibrium is split into blocks: the strongly connected components of its
sparsity graph (an edge ``j -> i`` when ``f_i`` depends on ``x_j`` there), in topological order,
make it block-triangular after a permutation, and its eigenvalues are those of the diagonal
blocks. A 1x1 block is an eigenvalue; a 2x2 block has closed-form eigenvalues; a larger block's
characteristic polynomial is factored and each factor tested with the Routh-Hurwitz
(Lienard-Chipart) conditions in continuous time or the Schur-Cohn conditions in discrete time.

On the simplex the equilibrium is studied in ``n - 1`` coordinates (:meth:`Model.reduce_simplex`
eliminates the last share), where the dynamics lives.

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "r*x - x**3"}, parameters={"r": 1})
>>> origin = ig.equilibria(m)[0]
>>> ig.stability(m, origin).condition
r < 0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import sympy

import incentive_geometry.display as display
from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

from .budget import Budget, run_bounded
from .conditions import ZeroTest, domain_map, expression_size, satisfiable, simplify_condition
from .equilibria import Equilibrium
from .hurwitz import coefficients, hurwitz_conditions, monic_coefficient, schur_cohn_conditions

__all__ = [
    "LAMBDA",
    "Stability",
    "characteristic_polynomial",
    "diagonal_blocks",
    "jacobian_at",
    "stability",
    "working_model",
]

#: The variable of characteristic polynomials.
LAMBDA = sympy.Symbol("lambda")

# Entries larger than this (expression tree nodes) are not passed through simplify.
_SIMPLIFY_LIMIT = 200


@dataclass(frozen=True)
class Stability:
    """The linear stability of one equilibrium, as conditions on the parameters.

    Parameters
    ----------
    condition : sympy Boolean
        Asymptotic stability: every eigenvalue in the open left half-plane (continuous time)
        or the open unit disk (discrete time). Generic in the parameters.
    jacobian : sympy.Matrix
        The Jacobian at the equilibrium (in ``states`` coordinates).
    charpoly : sympy.Expr
        The characteristic polynomial ``det(lambda I - J)`` in :data:`LAMBDA`, as the product
        of the blocks' polynomials.
    eigenvalues : tuple of sympy.Expr or None
        All eigenvalues (with multiplicity) when every block has them in closed form.
    blocks : tuple of tuple of Symbol
        The states of each diagonal block of the block-triangular form.
    block_conditions : tuple of sympy Boolean
        The stability condition of each block.
    planar_type : dict of str to sympy Boolean, or None
        For continuous-time systems with two coordinates: the conditions for a ``saddle``,
        ``node``, ``focus`` and ``centre`` (linear centre).
    states : tuple of Symbol
        The coordinates of the Jacobian.
    time : {"continuous", "discrete"}
    where_exists : sympy Boolean
        Stability read where the equilibrium exists: ``false`` when it is never stable
        where it exists, ``true`` when always, else `condition` (decided exactly, by
        :func:`~.conditions.satisfiable`; undecided questions leave `condition`).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "y", "y": "-k*x - c*y"},
    ...     parameters={"k": {"default": 1, "domain": "positive"}, "c": 1})
    >>> st = ig.stability(m, ig.equilibria(m)[0])
    >>> st.condition, st.planar_type["saddle"]
    (c > 0, False)
    """

    condition: Any
    jacobian: Any
    charpoly: Any
    eigenvalues: tuple[Any, ...] | None
    blocks: tuple[tuple[Any, ...], ...]
    block_conditions: tuple[Any, ...]
    planar_type: dict[str, Any] | None = field(default=None, hash=False)
    states: tuple[Any, ...] = ()
    time: str = "continuous"
    where_exists: Any = None

    def __hash__(self) -> int:
        return hash((self.condition, self.charpoly, self.blocks, self.time))

    # -- display ---------------------------------------------------------------------------
    def _where_words(self) -> str:
        if self.where_exists is sympy.true:
            return "stable wherever it exists"
        if self.where_exists is sympy.false:
            return "never stable where it exists"
        return ""

    def __repr__(self) -> str:
        cond = display.cond_text(self.condition, display.REPR_WIDTH)
        where = self._where_words()
        n = 0 if self.eigenvalues is None else len(self.eigenvalues)
        eig = f", {n} eigenvalue{'s' if n > 1 else ''} in closed form" if n else ""
        return f"<Stability: stable when {cond}{'; ' + where if where else ''}{eig}>"

    def __str__(self) -> str:
        lines = [f"asymptotically stable when {display.cond_text(self.condition)}"]
        if self._where_words():
            lines.append(f"  {self._where_words()} (decided exactly)")
        if self.eigenvalues is not None:
            lines.append("  eigenvalues: " + ", ".join(map(display.expr_text, self.eigenvalues)))
        else:
            lines.append(f"  characteristic polynomial: {display.expr_text(self.charpoly)}")
        if len(self.blocks) > 1:
            for b, c in zip(self.blocks, self.block_conditions, strict=True):
                lines.append(f"  block ({', '.join(map(str, b))}): {display.cond_text(c)}")
        for kind, c in (self.planar_type or {}).items():
            lines.append(f"  {kind} when {display.cond_text(c)}")
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        return f"$\\text{{stable}} \\iff {display.cond_latex(self.condition)}$"

    def _repr_html_(self) -> str:
        M = display.Math
        rows: list[list[Any]] = [["stable when", M(display.cond_latex(self.condition))]]
        if self._where_words():
            rows.append(["where it exists", self._where_words()])
        if self.eigenvalues is not None:
            rows.append(
                ["eigenvalues", M(", ".join(display.expr_latex(v) for v in self.eigenvalues))]
            )
        rows.append(["characteristic polynomial", M(display.expr_latex(self.charpoly))])
        rows.append(["Jacobian", M(display.expr_latex(self.jacobian))])
        for kind, c in (self.planar_type or {}).items():
            rows.append([kind, M(display.cond_latex(c))])
        caption = f"linear stability ({self.time} time)"
        return display.html_table(["", ""], rows, caption=caption)


def working_model(model: Model) -> Model:
    """The model in the coordinates where its dynamics lives (n - 1 shares on the simplex).

    Parameters
    ----------
    model : Model

    Returns
    -------
    Model

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.symbolic import working_model
    >>> m = ig.Model.from_equations(
    ...     {"x": "x*(x - (x**2 + y**2))", "y": "y*(y - (x**2 + y**2))"}, simplex=True)
    >>> working_model(m).state_names
    ('x',)
    """
    return model.reduce_simplex() if model.simplex else model


# Real roots written with Abs/sign/acos (Cardano and trigonometric forms): simplify spends
# minutes on them and rarely shortens them.
_NO_SIMPLIFY = (sympy.Abs, sympy.sign, sympy.acos, sympy.cos, sympy.sin)


def _simplify_entry(e: Any) -> Any:
    if e.is_rational_function():
        e = sympy.cancel(e)
    elif expression_size(e) <= _SIMPLIFY_LIMIT and not e.has(*_NO_SIMPLIFY):
        e = sympy.simplify(e)
    return e


def _interior(cond: Any) -> Any:
    """A condition with its non-strict relations made strict (the generic reading)."""
    return cond.replace(
        lambda n: isinstance(n, sympy.GreaterThan | sympy.LessThan),
        lambda n: (
            sympy.StrictGreaterThan if isinstance(n, sympy.GreaterThan) else sympy.StrictLessThan
        )(n.lhs, n.rhs, evaluate=False),
    )


def _where_exists(condition: Any, exists: Any, domains: Any) -> Any:
    """`condition` read where `exists` holds: never, always, or the condition itself."""
    exists = _interior(exists)
    if satisfiable(sympy.And(exists, condition), domains) is False:
        return sympy.false
    if satisfiable(sympy.And(exists, sympy.Not(condition)), domains) is False:
        return sympy.true
    return condition


def characteristic_polynomial(B: Any) -> Any:
    """``det(lambda I - B)`` in :data:`LAMBDA`, without expanding large entries.

    For blocks up to 3x3 the coefficients are the trace, the sum of the principal 2x2 minors
    and the determinant, multiplied out as they stand (sympy's general routine first converts
    every entry to a polynomial domain, which takes minutes for entries that hold Cardano
    roots); larger blocks use :meth:`sympy.Matrix.charpoly`.

    Parameters
    ----------
    B : sympy.Matrix
        A square matrix.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.stability import characteristic_polynomial
    >>> characteristic_polynomial(sympy.Matrix([[1, 2], [3, 4]]))
    lambda**2 - 5*lambda - 2
    """
    n = B.rows
    lam = LAMBDA
    if n == 1:
        return lam - B[0, 0]
    if n == 2:
        tr = B[0, 0] + B[1, 1]
        det = B[0, 0] * B[1, 1] - B[0, 1] * B[1, 0]
        return lam**2 - tr * lam + det
    if n == 3:
        tr = B.trace()
        minors = sum(
            (B[i, i] * B[j, j] - B[i, j] * B[j, i] for i in range(3) for j in range(i + 1, 3)),
            sympy.Integer(0),
        )
        return lam**3 - tr * lam**2 + minors * lam - B.det(method="berkowitz")
    return B.charpoly(lam).as_expr()


def jacobian_at(model: Model, eq: Equilibrium) -> tuple[Any, tuple[Any, ...]]:
    """The Jacobian of `model` at `eq`, simplified, with its coordinates.

    Parameters
    ----------
    model : Model
    eq : Equilibrium

    Returns
    -------
    (sympy.Matrix, tuple of Symbol)

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.symbolic import jacobian_at
    >>> m = ig.Model.from_equations({"x": "a*x*(1 - x)"}, parameters={"a": 1})
    >>> jacobian_at(m, ig.equilibria(m)[1])
    (Matrix([[-a]]), (x,))
    """
    work = working_model(model)
    states = work.states
    point = {s: eq.point[s] for s in states}
    # A piecewise model: the Jacobian of the smooth piece the equilibrium lies in.
    rhs = eq.rhs if eq.rhs and not model.simplex else work.rhs
    J = sympy.Matrix(rhs).jacobian(states).xreplace(point)
    return J.applyfunc(_simplify_entry), tuple(states)


def diagonal_blocks(J: Any, zero: ZeroTest) -> list[list[int]]:
    """Diagonal blocks of the block-triangular form: strongly connected components in order.

    Parameters
    ----------
    J : sympy.Matrix
        A square matrix.
    zero : ZeroTest
        Decides which entries vanish identically.

    Returns
    -------
    list of list of int
        The indices of each block; the eigenvalues of `J` are those of the blocks.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.conditions import ZeroTest
    >>> from incentive_geometry.solvers.symbolic.stability import diagonal_blocks
    >>> a = sympy.Symbol("a")
    >>> diagonal_blocks(sympy.Matrix([[1, 0], [a, 2]]), ZeroTest({}))
    [[0], [1]]
    """
    n = J.rows
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    for i in range(n):
        for j in range(n):
            if i != j and not (J[i, j] == 0 or zero.is_zero(J[i, j])):
                graph.add_edge(j, i)  # f_i depends on x_j
    cond = nx.condensation(graph)
    order = list(nx.topological_sort(cond))
    return [sorted(cond.nodes[c]["members"]) for c in order]


def _eigen_conditions(lam: Any, time: str) -> list[Any]:
    if time == "continuous":
        return [sympy.Lt(sympy.re(lam) if lam.has(sympy.I) else lam, 0)]
    return [sympy.Lt(lam, 1), sympy.Gt(lam, -1)]


def _factor_conditions(poly: Any, time: str) -> tuple[list[Any], list[Any] | None]:
    """Conditions for the roots of one factor of a characteristic polynomial, and its roots."""
    coeffs = coefficients(poly, LAMBDA)
    lead = coeffs[0]
    monic = [monic_coefficient(c, lead) for c in coeffs]
    n = len(monic) - 1
    roots: list[Any] | None = None
    if n == 1:
        roots = [-monic[1]]
    elif n == 2:
        tr, det = -monic[1], monic[2]
        disc = (
            sympy.factor(tr**2 - 4 * det)
            if expression_size(tr**2 - 4 * det) < 400
            else tr**2 - 4 * det
        )
        roots = [(tr - sympy.sqrt(disc)) / 2, (tr + sympy.sqrt(disc)) / 2]
    if n == 1 and roots is not None:
        return _eigen_conditions(roots[0], time), roots
    if time == "continuous":
        return hurwitz_conditions(monic), roots
    return schur_cohn_conditions(monic), roots


def _planar_type(J: Any, domains: Any) -> dict[str, Any]:
    T = J[0, 0] + J[1, 1]
    D = J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]
    small = expression_size(D, _SIMPLIFY_LIMIT) <= _SIMPLIFY_LIMIT
    if small:
        T, D = sympy.cancel(T), sympy.cancel(D)
    disc = sympy.expand(T**2 - 4 * D) if small else T**2 - 4 * D
    types = {
        # det < 0: real eigenvalues of opposite signs.
        "saddle": sympy.Lt(D, 0),
        # det > 0, real eigenvalues of one sign.
        "node": sympy.And(sympy.Gt(D, 0), sympy.Ge(disc, 0), sympy.Ne(T, 0)),
        # det > 0, complex pair off the imaginary axis.
        "focus": sympy.And(sympy.Gt(D, 0), sympy.Lt(disc, 0), sympy.Ne(T, 0)),
        # trace 0, det > 0: a purely imaginary pair (a linear centre).
        "centre": sympy.And(sympy.Eq(T, 0), sympy.Gt(D, 0)),
    }
    return {k: simplify_condition(v, domains) for k, v in types.items()}


def stability(model: Model, eq: Equilibrium, *, timeout: float | None = None) -> Stability:
    """Conditions on the parameters for `eq` to be asymptotically stable.

    Parameters
    ----------
    model : Model
    eq : Equilibrium
        An equilibrium of `model` (from :func:`equilibria`).
    timeout : float, optional
        Seconds allowed; past it :class:`~incentive_geometry.errors.SymbolicTimeout`.

    Returns
    -------
    Stability

    Raises
    ------
    ModelError
        When `eq` does not give every state of `model`.
    SymbolicTimeout
        Past `timeout`.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       sec. 1.4 (hyperbolic equilibria and fixed points).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, time="discrete",
    ...     parameters={"r": {"default": 3.2, "domain": [0, 4]}})
    >>> ig.stability(m, ig.equilibria(m)[1]).condition
    (r > 1) & (r < 3)
    """
    if not isinstance(eq, Equilibrium):
        raise ModelError(
            f"`eq` must be an Equilibrium from ig.equilibria, got {eq!r:.60} ({type(eq).__name__})"
        )
    missing = [s for s in model.states if s not in eq.point]
    if missing:
        raise ModelError(
            f"`eq` gives no value for state(s) {', '.join(f'`{s}`' for s in missing)} of model "
            f"`{model.name}`; pass an equilibrium of this model"
        )
    return run_bounded(_stability, model, eq, timeout=timeout, what=f"stability in `{model.name}`")


def _spectral_conditions(
    J: Any, blocks: list[list[int]], states: Any, model: Model, domains: Any, budget: Budget
) -> tuple[list[Any], list[Any], Any, list[Any] | None]:
    """Stability conditions of each diagonal block, the characteristic polynomial, eigenvalues."""
    conditions: list[Any] = []
    block_conditions: list[Any] = []
    eigenvalues: list[Any] | None = []
    charpoly = sympy.Integer(1)
    for block in blocks:
        budget.check(f"block {[str(states[i]) for i in block]}")
        B = J.extract(block, block)
        if B.rows == 1:
            lam = B[0, 0]
            conds = _eigen_conditions(lam, model.time)
            roots: list[Any] | None = [lam]
            poly = LAMBDA - lam
        else:
            poly = characteristic_polynomial(B)
            factored = (
                sympy.factor_list(poly, LAMBDA) if expression_size(poly) < 400 else (1, [(poly, 1)])
            )
            conds, roots = [], []
            for fac, mult in factored[1]:
                if not fac.has(LAMBDA):
                    continue
                c, r = _factor_conditions(fac, model.time)
                conds.extend(c)
                if roots is not None and r is not None:
                    roots.extend(r * mult)
                else:
                    roots = None
        charpoly = charpoly * poly
        block_cond = simplify_condition(sympy.And(*conds), domains)
        block_conditions.append(block_cond)
        conditions.append(block_cond)
        if eigenvalues is not None and roots is not None:
            eigenvalues.extend(roots)
        else:
            eigenvalues = None
    return conditions, block_conditions, charpoly, eigenvalues


def _stability(model: Model, eq: Equilibrium, *, budget: Budget) -> Stability:
    domains = domain_map(model)
    zero = ZeroTest(domains)
    budget.check("the Jacobian")
    J, states = jacobian_at(model, eq)
    blocks = diagonal_blocks(J, zero)
    conditions, block_conditions, charpoly, eigenvalues = _spectral_conditions(
        J, blocks, states, model, domains, budget
    )
    condition = sympy.And(*conditions)
    planar = None
    if model.time == "continuous" and len(states) == 2:
        planar = _planar_type(J, domains)
    budget.check("stability where the equilibrium exists")
    where = _where_exists(condition, eq.exists, domains)
    if where not in (sympy.true, sympy.false) and eq.implicit is not None:
        # Unreadable in radicals (Cardano roots): decided through the roots' polynomials.
        budget.check("stability through the roots' polynomials")
        form = eq.implicit
        Jr, _ = jacobian_at(model, Equilibrium(point=form.point, rhs=eq.rhs))
        implicit_conditions = _spectral_conditions(
            Jr, diagonal_blocks(Jr, zero), states, model, domains, budget
        )[0]
        decided = form.decide(sympy.And(*implicit_conditions), domains)
        if decided is not None:
            where = decided
    return Stability(
        where_exists=where,
        condition=condition,
        jacobian=J,
        charpoly=charpoly,
        eigenvalues=None if eigenvalues is None else tuple(eigenvalues),
        blocks=tuple(tuple(states[i] for i in b) for b in blocks),
        block_conditions=tuple(block_conditions),
        planar_type=planar,
        states=states,
        time=model.time,
    )
