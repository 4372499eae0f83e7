"""Numerical checks of symbolic results: substitution and eigenvalues at random parameters.

:func:`check_stability` draws parameter points inside the parameters' domains, evaluates the
equilibrium and the Jacobian numerically (numpy), and compares "every eigenvalue in the open
left half-plane (unit disk)" with the symbolic stability condition. Points within ``boundary``
of the condition's boundary (any relation's two sides, or the spectral abscissa, that close) are
skipped. A wrong condition is refuted by the points where the two disagree.

Examples
--------
>>> import incentive_geometry as ig
>>> from incentive_geometry.solvers.symbolic.verify import check_stability
>>> m = ig.Model.from_equations({"x": "r*x - x**3"}, parameters={"r": 1})
>>> eq = ig.equilibria(m)[0]
>>> check_stability(m, eq, ig.stability(m, eq).condition, samples=50).agree
True
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from incentive_geometry.model import Model

from .conditions import strict
from .equilibria import Equilibrium
from .stability import working_model

__all__ = ["StabilityCheck", "check_stability", "sample_parameters"]

_RELATIONS = (
    sympy.StrictLessThan,
    sympy.LessThan,
    sympy.StrictGreaterThan,
    sympy.GreaterThan,
    sympy.Equality,
    sympy.Unequality,
)


@dataclass(frozen=True)
class StabilityCheck:
    """The outcome of :func:`check_stability`.

    Parameters
    ----------
    checked : int
        Parameter points compared.
    skipped : int
        Points near the boundary, or where the equilibrium is not real and finite.
    disagreements : tuple of dict
        Parameter points (name -> value) where condition and eigenvalues disagree.

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.verify import StabilityCheck
    >>> StabilityCheck(10, 0, ()).agree
    True
    """

    checked: int
    skipped: int
    disagreements: tuple[dict[str, float], ...]

    @property
    def agree(self) -> bool:
        """True when no checked point disagrees (and at least one was checked)."""
        return self.checked > 0 and not self.disagreements


def sample_parameters(
    model: Model,
    rng: random.Random,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, float]:
    """One random point inside the parameters' domains.

    Parameters
    ----------
    model : Model
    rng : random.Random
    ranges : mapping of name to (lo, hi), optional
        Ranges that override the default ones (``(0.05, 3)`` for positive parameters,
        ``(0, 3)`` nonnegative, ``(-3, 3)`` real, the interval itself otherwise).

    Returns
    -------
    dict of str to float

    Examples
    --------
    >>> import random
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.symbolic.verify import sample_parameters
    >>> m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": {"default": 1, "domain": [0, 2]}})
    >>> 0 <= sample_parameters(m, random.Random(0))["k"] <= 2
    True
    """
    out = {}
    for p in model.parameters:
        if ranges and p.name in ranges:
            lo, hi = ranges[p.name]
        elif p.domain.kind == "interval":
            lo, hi = float(p.domain.lo), float(p.domain.hi)  # type: ignore[arg-type]
        elif p.domain.kind == "positive":
            lo, hi = 0.05, 3.0
        elif p.domain.kind == "nonnegative":
            lo, hi = 0.0, 3.0
        else:
            lo, hi = -3.0, 3.0
        out[p.name] = rng.uniform(lo, hi)
    return out


def check_stability(
    model: Model,
    eq: Equilibrium,
    condition: Any,
    *,
    samples: int = 200,
    seed: int = 0,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    boundary: float = 1e-9,
    max_draws: int = 20,
) -> StabilityCheck:
    """Compare a stability condition with numerical eigenvalues at random parameter points.

    Parameters
    ----------
    model : Model
    eq : Equilibrium
    condition : sympy Boolean
        The claimed condition for asymptotic stability of `eq`.
    samples : int
        Number of points to compare (points skipped do not count).
    seed : int
    ranges : mapping, optional
        Parameter ranges (see :func:`sample_parameters`).
    boundary : float
        Points whose relations or spectral abscissa lie within this of zero are skipped.
    max_draws : int
        At most ``max_draws * samples`` points are drawn.

    Returns
    -------
    StabilityCheck

    Examples
    --------
    >>> import sympy
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.symbolic.verify import check_stability
    >>> m = ig.Model.from_equations({"x": "r*x - x**3"}, parameters={"r": 1})
    >>> r = m.symbol("r")
    >>> check_stability(m, ig.equilibria(m)[0], r > 0, samples=50).agree   # wrong on purpose
    False
    """
    work = working_model(model)
    params = list(model.parameter_symbols)
    point = [strict(eq.point[s]) for s in work.states]
    J = sympy.Matrix(work.rhs).jacobian(work.states)
    f_point = sympy.lambdify(params, point, modules="numpy")
    f_jac = sympy.lambdify([*work.states, *params], J, modules="numpy")
    relations = [r for r in sympy.preorder_traversal(condition) if isinstance(r, _RELATIONS)]
    f_gaps = [sympy.lambdify(params, r.lhs - r.rhs, modules="numpy") for r in relations]
    f_cond = sympy.lambdify(params, condition, modules="numpy")
    rng = random.Random(seed)
    checked = skipped = 0
    bad: list[dict[str, float]] = []
    with np.errstate(all="ignore"):
        for _ in range(samples * max_draws):
            if checked >= samples:
                break
            values = sample_parameters(model, rng, ranges)
            args = [values[p.name] for p in params]
            try:
                x = np.array(f_point(*args), dtype=complex)
            except (ZeroDivisionError, ValueError, TypeError):
                skipped += 1
                continue
            if not np.all(np.isfinite(x)) or np.any(np.abs(x.imag) > 1e-12):
                skipped += 1
                continue
            gaps = [complex(g(*args)) for g in f_gaps]
            if any(abs(g) < boundary or abs(g.imag) > 1e-12 for g in gaps):
                skipped += 1
                continue
            jac = np.array(f_jac(*x.real, *args), dtype=float)
            eig = np.linalg.eigvals(jac)
            if model.time == "continuous":
                margin = float(np.max(eig.real))
                numeric_stable = margin < 0
            else:
                margin = float(np.max(np.abs(eig))) - 1.0
                numeric_stable = margin < 0
            if abs(margin) < boundary:
                skipped += 1
                continue
            claimed = bool(f_cond(*args))
            checked += 1
            if claimed != numeric_stable:
                bad.append(values)
    return StabilityCheck(checked=checked, skipped=skipped, disagreements=tuple(bad))
