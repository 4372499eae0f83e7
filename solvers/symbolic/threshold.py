"""Thresholds: the values of one parameter on the stability boundary of an equilibrium.

Each relation of the stability condition is an inequality ``g > 0`` (or ``<``); its boundary
``g = 0`` is solved for the parameter (by radicals for a polynomial of degree at most four,
:func:`sympy.solve` otherwise). Solutions outside the parameter's domain, or never real, are
dropped.

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, time="discrete",
...     parameters={"r": {"default": 2, "domain": [0, 4]}})
>>> [s.value for s in ig.threshold(m, ig.equilibria(m)[1], "r")]
[1, 3]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import sympy

import incentive_geometry.display as display
from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

from .budget import Budget, run_bounded
from .conditions import domain_map, expression_size, generic_sign
from .equilibria import Equilibrium, real_roots
from .stability import stability

__all__ = ["Threshold", "ThresholdSolution", "threshold"]

_RELATIONS = (sympy.StrictLessThan, sympy.LessThan, sympy.StrictGreaterThan, sympy.GreaterThan)


@dataclass(frozen=True)
class ThresholdSolution:
    """One value of the parameter on the stability boundary.

    Parameters
    ----------
    value : sympy.Expr
        The parameter value (an expression in the other parameters).
    source : sympy relational
        The stability condition whose boundary it is.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.threshold import ThresholdSolution
    >>> r = sympy.Symbol("r")
    >>> ThresholdSolution(sympy.Integer(3), r < 3).value
    3
    """

    value: Any
    source: Any

    def __repr__(self) -> str:
        return (
            f"<ThresholdSolution {display.expr_text(self.value, display.REPR_WIDTH)} "
            f"(boundary of {display.cond_text(self.source, display.REPR_WIDTH)})>"
        )


@dataclass(frozen=True)
class Threshold(Sequence[ThresholdSolution]):
    """The parameter values on the stability boundary of an equilibrium.

    Parameters
    ----------
    parameter : sympy.Symbol
    solutions : tuple of ThresholdSolution
    condition : sympy Boolean
        The stability condition the boundary belongs to.
    complete : bool
        False when a boundary could not be solved for the parameter in closed form.
    message : str

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "(a - k)*x"}, parameters={"a": 1, "k": 2})
    >>> th = ig.threshold(m, ig.equilibria(m)[0], "k")
    >>> th.values, th.complete
    ((a,), True)
    """

    parameter: Any
    solutions: tuple[ThresholdSolution, ...]
    condition: Any
    complete: bool = True
    message: str = ""

    @overload
    def __getitem__(self, index: int) -> ThresholdSolution: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[ThresholdSolution]: ...
    def __getitem__(self, index: int | slice) -> ThresholdSolution | Sequence[ThresholdSolution]:
        return self.solutions[index]

    def __len__(self) -> int:
        return len(self.solutions)

    def __iter__(self) -> Iterator[ThresholdSolution]:
        return iter(self.solutions)

    @property
    def values(self) -> tuple[Any, ...]:
        """The parameter values, in order of the solutions."""
        return tuple(s.value for s in self.solutions)

    # -- display ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        p = str(self.parameter)
        if not self.solutions:
            body = f"no {p}* found"
        else:
            body = ", ".join(
                f"{p}* = {display.expr_text(v, display.REPR_WIDTH)}" for v in self.values
            )
        tail = "" if self.complete else "; incomplete"
        return f"<Threshold {body}{tail}>"

    def __str__(self) -> str:
        p = str(self.parameter)
        lines = [f"threshold in {p} of: stable when {display.cond_text(self.condition)}"]
        lines.extend(
            f"  {p}* = {display.expr_text(s.value)}   (boundary of {display.cond_text(s.source)})"
            for s in self.solutions
        )
        if not self.solutions:
            lines.append(f"  no {p}* found")
        if not self.complete and self.message:
            lines.append("  " + self.message)
        return "\n".join(lines)

    def _latex_rows(self) -> list[str]:
        p = display.expr_latex(self.parameter)
        return [f"{p}^* = {display.expr_latex(v)}" for v in self.values]

    def _repr_latex_(self) -> str:
        rows = self._latex_rows() or [rf"\text{{no }}{display.expr_latex(self.parameter)}^*"]
        return "$" + r",\quad ".join(rows) + "$"

    def _repr_html_(self) -> str:
        rows = [
            [display.Math(r), display.Math(display.cond_latex(s.source))]
            for r, s in zip(self._latex_rows(), self.solutions, strict=True)
        ]
        table = display.html_table(
            ["threshold", "boundary of"], rows, caption=f"stability threshold in {self.parameter}"
        )
        note = "" if self.complete else f"<br><i>{display.escape(self.message)}</i>"
        return f"<div>{table}{note}</div>"


def _never_in(value: Any, domain: Any, domains: Any) -> bool:
    """A value that cannot lie in a nonnegative domain: negative, or minus a square root."""
    if domain.kind not in ("positive", "nonnegative") and not (
        domain.kind == "interval" and domain.lo >= 0
    ):
        return False
    neg = -value
    if isinstance(neg, sympy.Pow) and neg.exp == sympy.Rational(1, 2):
        return True
    if value.is_nonpositive:  # e.g. -sqrt(2)*sqrt(u)/2: zero at most, never inside
        return True
    return generic_sign(value, domains) == -1


def threshold(
    model: Model, eq: Equilibrium, parameter: str, *, timeout: float | None = None
) -> Threshold:
    """Solve the stability boundary of `eq` for one parameter.

    Parameters
    ----------
    model : Model
    eq : Equilibrium
    parameter : str
        The parameter's name.
    timeout : float, optional
        Seconds allowed; past it :class:`~incentive_geometry.errors.SymbolicTimeout`.

    Returns
    -------
    Threshold

    Raises
    ------
    ModelError
        For an unknown parameter name.
    SymbolicTimeout
        Past `timeout`.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations(
    ...     {"x": "x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x) - theta*c)"},
    ...     parameters={"alpha": {"default": 1, "domain": "positive"},
    ...                 "theta": {"default": 0.3, "domain": [0, 1]},
    ...                 "b": {"default": 0.2, "domain": "nonnegative"},
    ...                 "gamma": {"default": 1, "domain": "nonnegative"},
    ...                 "c": {"default": 1, "domain": "positive"}})
    >>> ig.threshold(m, ig.equilibria(m)[1], "theta").values
    (alpha*(b + gamma)/(alpha*b + alpha*gamma + c),)
    """
    if not isinstance(parameter, str):
        raise ModelError(f"`parameter` must be a parameter name (str), got {parameter!r:.60}")
    p = model.parameter(parameter)
    return run_bounded(
        _threshold,
        model,
        eq,
        p,
        timeout=timeout,
        what=f"threshold in `{parameter}` for `{model.name}`",
    )


def _threshold(model: Model, eq: Equilibrium, p: Any, *, budget: Budget) -> Threshold:
    parameter = p.name
    sym = p.symbol
    st = stability(model, eq)  # nested: runs here, within this budget
    domains = domain_map(model)
    solutions: list[ThresholdSolution] = []
    seen: set[Any] = set()
    notes: list[str] = []
    relations = [r for r in sympy.preorder_traversal(st.condition) if isinstance(r, _RELATIONS)]
    for rel in relations:
        budget.check(f"boundary of {rel}")
        g = sympy.fraction(sympy.together(rel.lhs - rel.rhs))[0]
        if sym not in g.free_symbols:
            continue
        if g.is_polynomial(sym):
            # Real roots in closed form (real branches, trigonometric cubics): the same
            # routine as for equilibria.
            found, note = real_roots(g, sym, domains)
            values = [v for v, _ in found]
            if note:
                notes.append(note)
        else:
            try:
                values = sympy.solve(g, sym)
            except NotImplementedError:
                notes.append(f"cannot solve {g} = 0 for `{parameter}`")
                continue
        for v in values:
            v = sympy.factor(v) if expression_size(v) < 200 else v
            if v.has(sympy.I) or v in seen:
                continue
            if not v.free_symbols and (not v.is_real or not p.domain.contains(float(v))):
                continue
            if _never_in(v, p.domain, domains):
                continue
            seen.add(v)
            solutions.append(ThresholdSolution(value=v, source=rel))
    solutions.sort(
        key=lambda s: (
            bool(s.value.free_symbols),
            float(s.value) if not s.value.free_symbols else 0.0,
            str(s.value),
        )
    )
    return Threshold(
        parameter=sym,
        solutions=tuple(solutions),
        condition=st.condition,
        complete=not notes,
        message="; ".join(notes),
    )
