"""The first Lyapunov coefficient of a planar Hopf point, in closed form.

Normalization (Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., sec. 3.5, eq.
(3.20)): with ``A`` the Jacobian at the equilibrium, ``A q = i omega q``,
``A^T p = -i omega p``, ``<q, q> = 1`` and ``<p, q> = 1`` (``<u, v> = conj(u)^T v``), and
``B``, ``C`` the second and third derivatives of ``f`` as multilinear forms,

    l1 = 1/(2 omega) Re( <p, C(q, q, conj q)> - 2 <p, B(q, A^{-1} B(q, conj q))>
                         + <p, B(conj q, (2 i omega I - A)^{-1} B(q, q))> ).

``l1 < 0``: supercritical (a stable limit cycle is born); ``l1 > 0``: subcritical. For the
normal form ``x' = mu x - omega y + s x (x^2 + y^2)``, ``y' = omega x + mu y + s y (x^2 + y^2)``
it gives ``l1 = 2 s / omega`` (the factor 2 is the price of ``<q, q> = 1``; with
``z = x + i y``, i.e. ``<q, q> = 1/2``, one would get ``s / omega``). Only the sign is invariant.

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

from collections.abc import Mapping, Sequence
from typing import Any

import sympy

__all__ = ["first_lyapunov_coefficient"]


def first_lyapunov_coefficient(
    rhs: Sequence[Any], states: Sequence[Any], point: Mapping[Any, Any]
) -> Any:
    """First Lyapunov coefficient ``l1`` of a planar vector field at a Hopf point.

    Parameters
    ----------
    rhs : sequence of two sympy.Expr
        ``f(x, y)``, with the parameters already on the Hopf set (trace of the Jacobian zero
        at `point`, determinant positive).
    states : sequence of two Symbols
    point : mapping of Symbol to Expr
        The equilibrium.

    Returns
    -------
    sympy.Expr
        ``l1`` in Kuznetsov's normalization (see the module docstring), simplified.

    Raises
    ------
    ValueError
        If the system is not planar.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       sec. 3.5, eq. (3.20).

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.symbolic.lyapunov import first_lyapunov_coefficient
    >>> x, y = sympy.symbols("x y", real=True)
    >>> first_lyapunov_coefficient([-2*y - x**3, 2*x - y**3], (x, y), {x: 0, y: 0})
    -3/4
    """
    if len(rhs) != 2 or len(states) != 2:
        raise ValueError(f"the first Lyapunov coefficient needs a planar system, got {len(rhs)} equations")
    xs = list(states)
    at = dict(point)
    A = sympy.Matrix(rhs).jacobian(xs).xreplace(at).applyfunc(sympy.cancel)
    a11, a12, a21, a22 = A[0, 0], A[0, 1], A[1, 0], A[1, 1]
    det = sympy.cancel(a11 * a22 - a12 * a21)
    # omega > 0 stands for sqrt(det A) while computing; substituted back at the end.
    w = sympy.Symbol("omega_", positive=True)
    i_ = sympy.I
    # A q = i w q and A^T p = -i w p, using trace A = 0 (a22 = -a11).
    if a12 != 0:
        q = sympy.Matrix([a12, i_ * w - a11])
        p0 = sympy.Matrix([a21, -i_ * w - a11])
    else:
        q = sympy.Matrix([i_ * w - a22, a21])
        p0 = sympy.Matrix([-i_ * w - a22, a12])

    # <q, q> = 1: |q1|^2 + |q2|^2 with the real and imaginary parts read off.
    qq = sum((sympy.expand(sympy.re(c) ** 2 + sympy.im(c) ** 2) for c in q), sympy.Integer(0))
    q = q / sympy.sqrt(qq)

    def inner(u: Any, v: Any) -> Any:
        return sum((sympy.conjugate(u[i]) * v[i] for i in range(2)), sympy.Integer(0))

    p = p0 / sympy.conjugate(inner(p0, q))
    second = [[[sympy.diff(f, xs[j], xs[k]).xreplace(at) for k in range(2)] for j in range(2)] for f in rhs]
    third = [
        [[[sympy.diff(f, xs[j], xs[k], xs[m]).xreplace(at) for m in range(2)] for k in range(2)] for j in range(2)]
        for f in rhs
    ]

    def B(u: Any, v: Any) -> Any:
        return sympy.Matrix(
            [sum(second[i][j][k] * u[j] * v[k] for j in range(2) for k in range(2)) for i in range(2)]
        )

    def C(u: Any, v: Any, z: Any) -> Any:
        return sympy.Matrix(
            [
                sum(
                    third[i][j][k][m] * u[j] * v[k] * z[m]
                    for j in range(2)
                    for k in range(2)
                    for m in range(2)
                )
                for i in range(2)
            ]
        )

    qbar = q.applyfunc(sympy.conjugate)
    term1 = inner(p, C(q, q, qbar))
    term2 = inner(p, B(q, A.inv() * B(q, qbar)))
    term3 = inner(p, B(qbar, (2 * i_ * w * sympy.eye(2) - A).inv() * B(q, q)))
    total = sympy.expand_complex(sympy.expand(term1 - 2 * term2 + term3))
    real = sympy.re(total)
    l1 = real / (2 * w)
    l1 = l1.subs(w, sympy.sqrt(det))
    return sympy.factor(sympy.cancel(sympy.radsimp(sympy.together(l1))))
