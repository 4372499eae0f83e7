"""The incentive-geometry measure: the angle between the gradients of a true objective and a proxy.

When a learner climbs a proxy ``P`` instead of the true objective ``V``, each step moves along
``grad P``; the true objective gains ``grad V . grad P``, i.e. ``|grad V| |grad P| cos(angle)``.
The angle between the two gradients is the local misalignment of the incentive (0: aligned,
``pi/2``: the proxy's steepest ascent is orthogonal to value, ``> pi/2``: it destroys value).

Examples
--------
>>> from incentive_geometry.theory import gradient_cosine
>>> gradient_cosine("x + y", "x", ["x", "y"])
sqrt(2)/2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.language import check_expression, parse_expression, validate_name

__all__ = ["gradient_angle", "gradient_angle_along", "gradient_cosine"]


def _table(variables: Sequence[str | sympy.Symbol], parameters: Sequence[str]) -> dict[str, Any]:
    if isinstance(variables, str) or not variables:
        raise ModelError(
            f"`variables` must be a non-empty list of names, got {variables!r:.60}; e.g. ['x', 'y']"
        )
    table: dict[str, Any] = {}
    for v in [*variables, *parameters]:
        name = v.name if isinstance(v, sympy.Symbol) else validate_name(v, what="variable")
        if name in table:
            raise ModelError(f"the name `{name}` is given twice among variables and parameters")
        table[name] = v if isinstance(v, sympy.Symbol) else sympy.Symbol(name, real=True)
    return table


def _expr(value: object, table: Mapping[str, Any], what: str) -> Any:
    if isinstance(value, str):
        return parse_expression(value, table, where=what)
    if isinstance(value, sympy.Basic):
        # Bind symbols to the table's by name, so assumptions do not split one name in two.
        value = value.xreplace(
            {s: table[s.name] for s in value.free_symbols if s.name in table}
        )
    return check_expression(value, table, where=what)


def gradient_cosine(
    true: str | sympy.Expr,
    proxy: str | sympy.Expr,
    variables: Sequence[str | sympy.Symbol],
    *,
    parameters: Sequence[str] = (),
) -> Any:
    r"""Cosine of the angle between ``grad V`` and ``grad P`` as a sympy expression.

    ``cos(angle) = (grad V . grad P) / (|grad V| |grad P|)``, gradients taken over `variables`.

    Parameters
    ----------
    true, proxy : str or sympy.Expr
        The true objective ``V`` and the proxy ``P`` (model-language text or sympy) in the same
        variables.
    variables : sequence of str or Symbol
        The variables the gradient is taken over.
    parameters : sequence of str
        Further names the expressions may use (held constant).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ModelError
        For text that does not parse or uses undeclared names.

    References
    ----------
    .. [1] G. Baker, Distortion and Risk in Optimal Incentive Contracts, Journal of Human
       Resources 37(4) (2002) 728-751 (the angle between value and measure as distortion).

    Examples
    --------
    >>> from incentive_geometry.theory import gradient_cosine
    >>> gradient_cosine("x**2 + y**2", "x", ["x", "y"])
    x/sqrt(x**2 + y**2)
    """
    table = _table(variables, parameters)
    V = _expr(true, table, "`true`")
    P = _expr(proxy, table, "`proxy`")
    xs = [table[v.name if isinstance(v, sympy.Symbol) else v] for v in variables]
    gv = [sympy.diff(V, x) for x in xs]
    gp = [sympy.diff(P, x) for x in xs]
    dot = sum((a * b for a, b in zip(gv, gp, strict=True)), sympy.Integer(0))
    nv = sympy.sqrt(sum((a**2 for a in gv), sympy.Integer(0)))
    np_ = sympy.sqrt(sum((b**2 for b in gp), sympy.Integer(0)))
    return sympy.simplify(dot / (nv * np_))


def gradient_angle(
    true: str | sympy.Expr,
    proxy: str | sympy.Expr,
    variables: Sequence[str | sympy.Symbol],
    *,
    parameters: Sequence[str] = (),
) -> Any:
    """The angle (radians, in ``[0, pi]``) between ``grad V`` and ``grad P``, as an expression.

    Parameters
    ----------
    true, proxy : str or sympy.Expr
        True objective and proxy.
    variables : sequence of str or Symbol
        Gradient variables.
    parameters : sequence of str
        Further names, held constant.

    Returns
    -------
    sympy.Expr
        ``acos`` of :func:`gradient_cosine`.

    Raises
    ------
    ModelError
        For invalid expressions.

    Examples
    --------
    >>> from incentive_geometry.theory import gradient_angle
    >>> gradient_angle("x", "y", ["x", "y"])
    pi/2
    """
    return sympy.acos(gradient_cosine(true, proxy, variables, parameters=parameters))


def gradient_angle_along(
    true: str | sympy.Expr,
    proxy: str | sympy.Expr,
    variables: Sequence[str],
    trajectory: Mapping[str, Any] | Any,
    *,
    parameters: Mapping[str, float] | None = None,
) -> np.ndarray:
    """The angle between ``grad V`` and ``grad P`` at every point of a trajectory.

    Parameters
    ----------
    true, proxy : str or sympy.Expr
        True objective and proxy.
    variables : sequence of str
        Gradient variables.
    trajectory : mapping of name to array, array of shape (T, len(variables)), or Trajectory
        The points, one row (or one entry of each array) per time; a trajectory of
        ``ig.simulate`` (anything with ``state_names`` and ``x`` of shape (T, n)) is read by
        state name.
    parameters : mapping of str to float, optional
        Values of further names.

    Returns
    -------
    numpy.ndarray, shape (T,)
        Angles in radians; ``nan`` where a gradient vanishes.

    Raises
    ------
    ModelError
        For arrays of different lengths, a missing variable or a wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory import gradient_angle_along
    >>> t = np.linspace(0, 1, 3)
    >>> gradient_angle_along("x + y", "x", ["x", "y"], {"x": t, "y": t}).round(4)
    array([0.7854, 0.7854, 0.7854])
    """
    values = dict(parameters or {})
    names = list(variables)
    cos = gradient_cosine(true, proxy, names, parameters=list(values))
    table = _table(names, list(values))
    if hasattr(trajectory, "state_names") and hasattr(trajectory, "x"):
        states = np.asarray(trajectory.x, dtype=float)
        if states.ndim != 2:
            raise ModelError(
                f"`trajectory` must be a single trajectory (x of shape (T, n)), got shape "
                f"{states.shape}; pass one member of an ensemble"
            )
        trajectory = {name: states[:, i] for i, name in enumerate(trajectory.state_names)}
    if isinstance(trajectory, Mapping):
        missing = [v for v in names if v not in trajectory]
        if missing:
            raise ModelError(
                f"`trajectory` has no values for {', '.join(f'`{m}`' for m in missing)}; give one "
                "array per variable"
            )
        cols = [np.asarray(trajectory[v], dtype=float).ravel() for v in names]
    else:
        arr = np.asarray(trajectory, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != len(names):
            raise ModelError(
                f"`trajectory` array must have shape (T, {len(names)}), got {arr.shape}"
            )
        cols = [arr[:, i] for i in range(len(names))]
    if len({c.shape[0] for c in cols}) != 1:
        raise ModelError(
            f"`trajectory` arrays differ in length: {[c.shape[0] for c in cols]}; give one value "
            "per time for every variable"
        )
    expr = cos.xreplace({table[k]: sympy.nsimplify(v, rational=True) for k, v in values.items()})
    f = sympy.lambdify([table[v] for v in names], expr, modules="numpy")
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.asarray(f(*cols), dtype=float) * np.ones(cols[0].shape)
    return np.arccos(np.clip(c, -1.0, 1.0))
