"""Numerical criticality coefficients at Hopf, flip and Neimark-Sacker points, in n dimensions.

The coefficient that decides whether a codimension-one bifurcation of an equilibrium (fixed
point) is supercritical or subcritical comes from Kuznetsov's projection formulas. With ``A`` the
Jacobian at the point, ``B`` and ``C`` the second and third derivatives of the right-hand side as
symmetric multilinear forms, ``<u, v> = conj(u)^T v``, ``q`` and ``p`` the critical right and
adjoint eigenvectors normalized by ``<q, q> = 1`` and ``<p, q> = 1``:

* **Hopf** (flows), ``A q = i omega q``, ``A^T p = -i omega p``, ``omega > 0``::

      l1 = 1/(2 omega) Re( <p, C(q, q, qbar)> - 2 <p, B(q, A^{-1} B(q, qbar))>
                           + <p, B(qbar, (2 i omega I - A)^{-1} B(q, q))> )

  ``l1 < 0`` supercritical (a stable cycle is born), ``l1 > 0`` subcritical.
* **Flip** (maps), ``A q = -q``, ``A^T p = -p``, ``q`` real::

      c = 1/6 <p, C(q, q, q)> + 1/2 <p, B(q, (I - A)^{-1} B(q, q))>

  ``c > 0`` supercritical (a stable 2-cycle is born), ``c < 0`` subcritical.
* **Neimark-Sacker** (maps), ``A q = e^{i theta} q``, ``0 < theta < pi``::

      d = 1/2 Re( e^{-i theta} [ <p, C(q, q, qbar)> + 2 <p, B(q, (I - A)^{-1} B(q, qbar))>
                                 + <p, B(qbar, (e^{2 i theta} I - A)^{-1} B(q, q))> ] )

  ``d < 0`` supercritical (a stable invariant circle is born), ``d > 0`` subcritical.

These are the formulas and the normalization of the symbolic engine
(:mod:`incentive_geometry.solvers.symbolic.lyapunov`), so the two agree number for number. Only
the sign is invariant: ``l1`` and ``d`` scale with ``<q, q>``. For the planar normal form
``x' = mu x - omega y + s x (x^2 + y^2)``, ``y' = omega x + mu y + s y (x^2 + y^2)`` the unit
normalization gives ``l1 = 2 s / omega``; Kuznetsov's planar sections 3.4-3.5 work in the complex
coordinate ``z = x + i y`` (``<q, q> = 1/2``) and get ``l1 = s / omega``, which
``normalization="planar"`` returns.

The multilinear forms come from one of two sources (``method``):

* ``"exact"`` (what the default ``"auto"`` uses when it can): the directional derivatives ``Q(v) = D^2 f(x)[v, v]`` and
  ``T(v) = D^3 f(x)[v, v, v]`` are differentiated symbolically from the model's equations once
  per model (``d^k/dt^k f(x + t v)`` at ``t = 0``, lambdified and cached), and ``B``, ``C`` follow
  by polarization, ``B(u, v) = (Q(u + v) - Q(u - v)) / 4`` and
  ``C(u, u, w) = (T(u + w) - T(u - w) - 2 T(w)) / 6``. Accurate to rounding (relative 1e-13 on
  the examples of the tests).
* ``"fd"``: finite differences of the compiled analytic Jacobian ``cm.jac`` along real
  directions, ``D_x J[v] = (J(x + h v) - J(x - h v)) / (2 h)`` and
  ``D_x^2 J[v, v] = (J(x + h v) - 2 J(x) + J(x - h v)) / h^2``, each Richardson-extrapolated
  from the steps ``h`` and ``h / 2`` (truncation error ``O(h^4)``); with the steps
  ``h = 1e-3 (1 + |x|)`` and ``h = 4e-3 (1 + |x|)`` that balance truncation against rounding the
  coefficient is accurate to about 1e-9 relative to the size of its terms (measured 1e-10 to
  1e-12 on the examples of the tests). No symbolic work: the route for large models.

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   sec. 3.5 (Hopf, planar), 4.4 (flip), 4.7 (Neimark-Sacker), 5.4 (the n-dimensional projection
   formulas) and 10.2 (their numerical evaluation).
.. [2] Yu. A. Kuznetsov, "Numerical normalization techniques for all codim 2 bifurcations of
   equilibria in ODE's", *SIAM J. Numer. Anal.* 36 (1999), 1104-1124.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

from .compile import CompiledModel, FloatArray, resolve_params, resolve_state

__all__ = [
    "CRITICALITIES",
    "Criticality",
    "first_lyapunov",
    "flip_coefficient",
    "neimark_sacker_coefficient",
    "normal_form_coefficient",
]

ComplexArray = np.ndarray[Any, np.dtype[np.complex128]]
#: Vectors that are real or complex (the arguments of the multilinear forms).
_Vector = np.ndarray[Any, Any]

#: The classes of :attr:`Criticality.criticality`.
CRITICALITIES = ("supercritical", "subcritical", "degenerate")

_KINDS = ("hopf", "flip", "neimark_sacker")
_METHODS = ("auto", "exact", "fd")
_NORMALIZATIONS = ("unit", "planar")

#: The sign of the coefficient that makes each kind supercritical.
_SUPERCRITICAL_SIGN = {"hopf": -1, "flip": 1, "neimark_sacker": -1}

#: Finite-difference steps (relative to ``1 + |x|``) for the first and second directional
#: derivatives of the Jacobian, Richardson-extrapolated: truncation ``O(h^4)`` against rounding
#: ``eps / h`` and ``eps / h^2`` respectively.
_H1 = 1e-3
_H2 = 4e-3


@dataclass(frozen=True)
class Criticality:
    """A criticality coefficient evaluated numerically at a bifurcation point.

    Attributes
    ----------
    kind : {"hopf", "flip", "neimark_sacker"}
    coefficient : float
        ``l1`` (Hopf), ``c`` (flip) or ``d`` (Neimark-Sacker), in the normalization of the module
        docstring.
    criticality : {"supercritical", "subcritical", "degenerate"}
        ``degenerate`` when ``|coefficient| <= tol * scale`` (e.g. a Bautin point for ``hopf``).
    frequency : float or None
        Hopf: ``omega``; Neimark-Sacker: the angle ``theta`` of the critical multipliers; flip:
        None.
    scale : float
        The sum of the magnitudes of the terms of the formula: the size against which rounding
        and finite-difference errors (and degeneracy) are measured.
    method : {"exact", "fd"}
        Where the multilinear forms came from.

    Examples
    --------
    >>> from incentive_geometry.solvers.numeric.normal_form import Criticality
    >>> Criticality("hopf", -1.5, "supercritical", 1.0, 1.5, "exact").supercritical
    True
    """

    kind: str
    coefficient: float
    criticality: str
    frequency: float | None
    scale: float
    method: str

    @property
    def supercritical(self) -> bool | None:
        """True (supercritical), False (subcritical), None (degenerate)."""
        if self.criticality == "degenerate":
            return None
        return self.criticality == "supercritical"


# --------------------------------------------------------------------------------------------
# Multilinear forms


class _Forms:
    """``B(u, v)`` and ``C(q, q, qbar)`` at one point, for complex vectors."""

    def B(self, u: _Vector, v: _Vector) -> ComplexArray:
        raise NotImplementedError

    def Cqqqb(self, q: _Vector) -> ComplexArray:
        raise NotImplementedError


@functools.lru_cache(maxsize=32)
def _directional(model: Model) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``Q(x, p, v) = D^2 f(x)[v, v]`` and ``T(x, p, v) = D^3 f(x)[v, v, v]``, lambdified once."""
    states = list(model.states)
    n = len(states)
    t = sympy.Dummy("t")
    v = [sympy.Dummy(f"v{i}") for i in range(n)]
    shift = {s: s + t * vi for s, vi in zip(states, v, strict=True)}
    Q: list[Any] = []
    T: list[Any] = []
    for f in model.rhs:
        g = sympy.sympify(f, strict=True).xreplace(shift)
        g2 = sympy.diff(g, t, 2)
        Q.append(g2.xreplace({t: 0}))
        T.append(sympy.diff(g2, t).xreplace({t: 0}))
    symbols = [*states, *model.parameter_symbols, *v]
    q_fun = sympy.lambdify(symbols, Q, modules="numpy", cse=True)
    t_fun = sympy.lambdify(symbols, T, modules="numpy", cse=True)
    return q_fun, t_fun


class _ExactForms(_Forms):
    """Forms by polarization of the symbolic directional derivatives ``Q`` and ``T``."""

    def __init__(self, cm: CompiledModel, x: FloatArray, p: FloatArray) -> None:
        self.q_fun, self.t_fun = _directional(cm.model)
        self.args = [*(float(v) for v in x), *(float(v) for v in p)]
        self.n = cm.n

    def _eval(self, fun: Callable[..., Any], v: _Vector) -> ComplexArray:
        with np.errstate(all="ignore"):
            out = fun(*self.args, *v)
        return np.array([complex(o) for o in out], dtype=complex).reshape(self.n)

    def B(self, u: _Vector, v: _Vector) -> ComplexArray:
        # Polarization of the quadratic form: B(u, v) = (Q(u + v) - Q(u - v)) / 4.
        return (self._eval(self.q_fun, u + v) - self._eval(self.q_fun, u - v)) / 4

    def Cqqqb(self, q: _Vector) -> ComplexArray:
        # Polarization of the cubic form: C(u, u, w) = (T(u + w) - T(u - w) - 2 T(w)) / 6.
        qb = np.conj(q)
        T = self.t_fun
        return (self._eval(T, q + qb) - self._eval(T, q - qb) - 2 * self._eval(T, qb)) / 6


class _FDForms(_Forms):
    """Forms by Richardson-extrapolated central differences of the analytic Jacobian."""

    def __init__(self, cm: CompiledModel, x: FloatArray, p: FloatArray) -> None:
        self.cm, self.x, self.p = cm, x, p
        self.J0 = cm.jac(x, p)
        self.size = 1.0 + float(np.max(np.abs(x)))
        self._d1: dict[bytes, FloatArray] = {}
        self._d2: dict[bytes, FloatArray] = {}

    def _J(self, y: FloatArray) -> FloatArray:
        return np.asarray(self.cm.jac(y, self.p), dtype=float)

    def dJ(self, v: FloatArray) -> FloatArray:
        """``D_x J(x)[v]`` (a matrix), v real."""
        key = v.tobytes()
        if key not in self._d1:
            nv = float(np.linalg.norm(v))
            if nv == 0.0:
                return np.zeros_like(self.J0)
            u = v / nv
            h = _H1 * self.size

            def d(hh: float) -> FloatArray:
                return (self._J(self.x + hh * u) - self._J(self.x - hh * u)) / (2 * hh)

            # Richardson: the central difference has error c h^2 + O(h^4).
            self._d1[key] = nv * (4 * d(h / 2) - d(h)) / 3
        return self._d1[key]

    def d2J(self, v: FloatArray) -> FloatArray:
        """``D_x^2 J(x)[v, v]`` (a matrix), v real."""
        key = v.tobytes()
        if key not in self._d2:
            nv = float(np.linalg.norm(v))
            if nv == 0.0:
                return np.zeros_like(self.J0)
            u = v / nv
            h = _H2 * self.size

            def d(hh: float) -> FloatArray:
                return (self._J(self.x + hh * u) - 2 * self.J0 + self._J(self.x - hh * u)) / hh**2

            self._d2[key] = nv**2 * (4 * d(h / 2) - d(h)) / 3
        return self._d2[key]

    def B(self, u: _Vector, v: _Vector) -> ComplexArray:
        # B(u, v) = D_x J[v] u, complex-linear in v: split v into real and imaginary parts.
        vr, vi = np.real(v).astype(float), np.imag(v).astype(float)
        return np.asarray(self.dJ(vr) @ u + 1j * (self.dJ(vi) @ u), dtype=complex)

    def Cqqqb(self, q: _Vector) -> ComplexArray:
        # q = a + i b: C(q, q, qbar) = C(q, a, a) + C(q, b, b) = (D^2 J[a, a] + D^2 J[b, b]) q.
        a, b = np.real(q).astype(float), np.imag(q).astype(float)
        return np.asarray((self.d2J(a) + self.d2J(b)) @ q, dtype=complex)


# --------------------------------------------------------------------------------------------
# The coefficients


def _point(cm: CompiledModel, x: Any, p: Any) -> tuple[FloatArray, FloatArray]:
    """The state and the parameter vector as float arrays (mappings resolved by name)."""
    xs = resolve_state(cm.model, x, what="x")
    if isinstance(p, Mapping):
        pv = cm.param_vector(resolve_params(cm.model, p))
    else:
        try:
            pv = np.asarray(p, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise ModelError(f"`p` = {p!r:.60} is not a parameter vector: give numbers") from None
        if pv.shape != (cm.m,) or not np.all(np.isfinite(pv)):
            raise ModelError(
                f"`p` has shape {pv.shape}, expected ({cm.m},) finite values in the order "
                f"{', '.join(cm.model.parameter_names)}; or pass a mapping of name to value"
            )
    return xs, pv


def _inner(u: _Vector, v: _Vector) -> complex:
    """``<u, v> = conj(u)^T v``."""
    return complex(np.sum(np.conj(u) * v))


def _adjoint(A: FloatArray, lam: complex, q: ComplexArray) -> ComplexArray:
    """The adjoint eigenvector ``A^T p = conj(lam) p`` normalized by ``<p, q> = 1``."""
    # The left singular vector of the smallest singular value of A - lam I: A^H p = conj(lam) p.
    n = A.shape[0]
    U, _, _ = np.linalg.svd(A - lam * np.eye(n))
    p = U[:, -1]
    return np.asarray(p / np.conj(_inner(p, q)), dtype=complex)


def _critical(kind: str, A: FloatArray, on_set_tol: float) -> tuple[complex, ComplexArray, float]:
    """The critical eigenvalue (or multiplier), its unit eigenvector, and frequency / angle."""
    ev, V = np.linalg.eig(A)
    scale = max(1.0, float(np.linalg.norm(A)))
    shown = np.round(ev, 6).tolist()
    if kind == "flip":
        idx = int(np.argmin(np.abs(ev + 1)))
        if abs(ev[idx] + 1) > on_set_tol * scale:
            raise ModelError(
                f"`x`, `p`: not a flip point, no multiplier -1 (multipliers {shown}); pass a "
                "point located by continuation"
            )
        if np.min(np.abs(ev - 1)) < on_set_tol * scale:
            raise ModelError("`x`, `p`: a multiplier 1 as well (fold-flip): I - A is singular")
        # The eigenvector of a real eigenvalue, rotated to be real.
        v = V[:, idx]
        k = int(np.argmax(np.abs(v)))
        q = np.real(v * abs(v[k]) / v[k])
        return -1.0 + 0j, np.asarray(q / np.linalg.norm(q), dtype=complex), math.nan
    upper = np.where(ev.imag > on_set_tol * scale)[0]
    if upper.size == 0:
        raise ModelError(
            f"`x`, `p`: no complex pair of eigenvalues (eigenvalues {shown}); not a "
            f"{kind.replace('_', '-')} point (a Bogdanov-Takens or 1:1 point if a double one)"
        )
    if kind == "hopf":
        idx = int(upper[np.argmin(np.abs(ev[upper].real))])
        lam = complex(ev[idx])
        if abs(lam.real) > on_set_tol * scale:
            raise ModelError(
                f"`x`, `p`: no pair on the imaginary axis (eigenvalues {shown}); not a Hopf "
                "point, pass one located by continuation"
            )
        omega = lam.imag
        if np.min(np.abs(ev)) < on_set_tol * scale:
            raise ModelError(
                "`x`, `p`: a zero eigenvalue as well (a zero-Hopf point): A is singular"
            )
        if np.min(np.abs(ev - 2j * omega)) < on_set_tol * scale:
            raise ModelError("`x`, `p`: an eigenvalue 2 i omega as well (1:2 resonant double Hopf)")
        freq = omega
    else:
        idx = int(upper[np.argmin(np.abs(np.abs(ev[upper]) - 1))])
        lam = complex(ev[idx])
        if abs(abs(lam) - 1) > on_set_tol * scale:
            raise ModelError(
                f"`x`, `p`: no pair on the unit circle (multipliers {shown}); not a "
                "Neimark-Sacker point, pass one located by continuation"
            )
        for k in (1, 2, 3, 4):
            if abs((lam / abs(lam)) ** k - 1) < on_set_tol:
                raise ModelError(f"`x`, `p`: a strong resonance 1:{k} (multiplier {lam:.6g})")
        if np.min(np.abs(ev - 1)) < on_set_tol * scale:
            raise ModelError("`x`, `p`: a multiplier 1 as well: I - A is singular")
        freq = math.atan2(lam.imag, lam.real)
    q = V[:, idx] / np.linalg.norm(V[:, idx])
    return lam, np.asarray(q, dtype=complex), freq


def _coefficient(
    kind: str, A: FloatArray, forms: _Forms, lam: complex, q: ComplexArray
) -> tuple[float, float]:
    """The coefficient and the sum of the magnitudes of its terms."""
    n = A.shape[0]
    eye = np.eye(n)
    p = _adjoint(A, lam, q)
    qb = np.conj(q)
    if kind == "flip":
        # q real: B(q, q) is real, and C(q, q, qbar) = C(q, q, q).
        Bqq_real = np.real(forms.B(q, q))
        terms = [
            _inner(p, forms.Cqqqb(q)) / 6,
            _inner(p, forms.B(q, np.linalg.solve(eye - A, Bqq_real))) / 2,
        ]
        value = float(sum(t.real for t in terms))
        return value, float(sum(abs(t.real) for t in terms))
    Bqq, Bqqb = forms.B(q, q), forms.B(q, qb)
    t1 = _inner(p, forms.Cqqqb(q))
    if kind == "hopf":
        omega = lam.imag
        t2 = -2 * _inner(p, forms.B(q, np.linalg.solve(A, np.real(Bqqb))))
        t3 = _inner(p, forms.B(qb, np.linalg.solve(2j * omega * eye - A, Bqq)))
        terms = [t / (2 * omega) for t in (t1, t2, t3)]
    else:
        mu = lam / abs(lam)
        t2 = 2 * _inner(p, forms.B(q, np.linalg.solve(eye - A, np.real(Bqqb))))
        t3 = _inner(p, forms.B(qb, np.linalg.solve(mu**2 * eye - A, Bqq)))
        terms = [np.conj(mu) * t / 2 for t in (t1, t2, t3)]
    return float(sum(terms).real), float(sum(abs(t) for t in terms))


def _check_options(method: str, normalization: str, tol: float, on_set_tol: float) -> None:
    if method not in _METHODS:
        raise ModelError(f"`method` = {method!r:.40} is not one of {', '.join(_METHODS)}")
    if normalization not in _NORMALIZATIONS:
        raise ModelError(
            f"`normalization` = {normalization!r:.40} is not one of {', '.join(_NORMALIZATIONS)}"
        )
    for name, value in (("tol", tol), ("on_set_tol", on_set_tol)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise ModelError(f"`{name}` = {value!r:.40} must be a number in (0, 1)")


def normal_form_coefficient(
    cm: CompiledModel,
    x: Any,
    p: Any,
    kind: str,
    *,
    method: str = "auto",
    normalization: str = "unit",
    tol: float = 1e-7,
    on_set_tol: float = 1e-6,
) -> Criticality:
    """The criticality coefficient of a Hopf, flip or Neimark-Sacker point, and its class.

    Parameters
    ----------
    cm : CompiledModel
        From :func:`~incentive_geometry.solvers.numeric.compile.compile_model`.
    x : array of shape (n,) or mapping of state name to float
        The equilibrium (fixed point), e.g. ``Bifurcation.x`` from continuation.
    p : array of shape (m,) in model order, or mapping of parameter name to float
        The parameters (a mapping is completed from the defaults).
    kind : {"hopf", "flip", "neimark_sacker"}
        ``hopf`` for flows, ``flip`` and ``neimark_sacker`` for maps.
    method : {"auto", "exact", "fd"}
        Multilinear forms from symbolic directional derivatives (``exact``, cached per model)
        or from finite differences of the compiled Jacobian (``fd``; see the module docstring
        for the accuracy of each). ``auto`` is ``exact``, falling back to ``fd`` when the
        symbolic forms cannot be built or evaluated (non-differentiable or unsupported
        functions); :attr:`Criticality.method` says which was used.
    normalization : {"unit", "planar"}
        ``<q, q> = 1`` (as the symbolic engine and MatCont) or ``<q, q> = 1/2`` (the complex
        coordinate ``z = x + i y`` of Kuznetsov's planar normal forms: half the unit value).
        Ignored for ``flip``, whose ``q`` is real with ``<q, q> = 1``.
    tol : float
        ``degenerate`` when ``|coefficient| <= tol * scale`` (the sum of the term magnitudes).
    on_set_tol : float
        Largest distance of the critical eigenvalue from the bifurcation set (imaginary axis,
        ``-1``, unit circle), relative to ``max(1, |A|)``.

    Returns
    -------
    Criticality

    Raises
    ------
    ModelError
        For a wrong kind for the model's time, a point that is not on the bifurcation set (or is
        a codimension-two point where the formula breaks down: zero-Hopf, fold-flip, strong
        resonance), or bad options.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       sec. 5.4 and 10.2.

    Examples
    --------
    The Brusselator at its Hopf point ``b = 1 + a^2`` is supercritical:

    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> from incentive_geometry.solvers.numeric.normal_form import normal_form_coefficient
    >>> m = ig.Model.from_equations({"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
    ...                             parameters={"a": 1.0, "b": 2.0})
    >>> r = normal_form_coefficient(compile_model(m), [1.0, 2.0], {"a": 1.0, "b": 2.0}, "hopf")
    >>> r.criticality, round(r.coefficient, 10), round(r.frequency, 10)
    ('supercritical', -0.5, 1.0)
    """
    _check_options(method, normalization, tol, on_set_tol)
    if kind not in _KINDS:
        raise ModelError(f"`kind` = {kind!r:.40} is not one of {', '.join(_KINDS)}")
    discrete = cm.model.time == "discrete"
    if discrete != (kind != "hopf"):
        raise ModelError(
            f"`kind` = {kind!r} is for {'maps' if kind != 'hopf' else 'flows'}, but model "
            f"`{cm.model.name}` is {'a map' if discrete else 'a flow'}"
            + ("; use 'flip' or 'neimark_sacker'" if discrete else "; use 'hopf'")
        )
    xs, pv = _point(cm, x, p)
    A = np.asarray(cm.jac(xs, pv), dtype=float)
    if not np.all(np.isfinite(A)):
        raise ModelError("`x`, `p`: the Jacobian is not finite there")
    lam, q, freq = _critical(kind, A, on_set_tol)
    value, scale, used = math.nan, math.nan, method
    if method in ("auto", "exact"):
        try:
            value, scale = _coefficient(kind, A, _ExactForms(cm, xs, pv), lam, q)
            used = "exact"
        except Exception as exc:  # sympy or the lambdified code may raise anything
            if method == "exact":
                raise ModelError(
                    f"`method` = 'exact': the symbolic multilinear forms of model "
                    f"`{cm.model.name}` could not be evaluated ({type(exc).__name__}: {exc}); "
                    "use method='fd'"
                ) from exc
        if method == "auto" and not (math.isfinite(value) and math.isfinite(scale)):
            used = "fd"
    if used == "fd":
        value, scale = _coefficient(kind, A, _FDForms(cm, xs, pv), lam, q)
    if normalization == "planar" and kind != "flip":
        value, scale = value / 2, scale / 2
    if not math.isfinite(value):
        raise ModelError("`x`, `p`: the coefficient is not finite (the forms overflow there)")
    if abs(value) <= tol * scale:
        crit = "degenerate"
    else:
        crit = "supercritical" if np.sign(value) == _SUPERCRITICAL_SIGN[kind] else "subcritical"
    return Criticality(kind, value, crit, None if kind == "flip" else freq, scale, used)


def first_lyapunov(
    cm: CompiledModel,
    x: Any,
    p: Any,
    *,
    method: str = "auto",
    normalization: str = "unit",
    on_set_tol: float = 1e-6,
) -> float:
    """First Lyapunov coefficient ``l1`` at a Hopf point of an n-dimensional flow.

    Parameters
    ----------
    cm : CompiledModel
    x : array of shape (n,) or mapping of state name to float
        The equilibrium.
    p : array of shape (m,) or mapping of parameter name to float
    method : {"auto", "exact", "fd"}
        As in :func:`normal_form_coefficient`.
    normalization : {"unit", "planar"}
        ``<q, q> = 1`` (default; agrees with the symbolic engine's ``hopf_coefficient``) or
        ``<q, q> = 1/2`` (Kuznetsov's planar normal form in ``z = x + i y``).
    on_set_tol : float
        As in :func:`normal_form_coefficient`.

    Returns
    -------
    float
        ``l1``: negative supercritical, positive subcritical.

    Raises
    ------
    ModelError
        As in :func:`normal_form_coefficient`.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       sec. 3.5, 5.4 (eq. (5.39)-(5.40)) and 10.2.

    Examples
    --------
    The Hopf normal form ``x' = a x - y + s x r^2``, ``y' = x + a y + s y r^2`` at ``a = 0``:
    ``l1 = 2 s`` (unit ``q``), ``l1 = s`` in Kuznetsov's planar normalization.

    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> from incentive_geometry.solvers.numeric.normal_form import first_lyapunov
    >>> m = ig.Model.from_equations(
    ...     {"x": "a*x - y + s*x*(x**2 + y**2)", "y": "x + a*y + s*y*(x**2 + y**2)"},
    ...     parameters={"a": 0.0, "s": -0.5})
    >>> cm = compile_model(m)
    >>> round(first_lyapunov(cm, [0.0, 0.0], [0.0, -0.5]), 12)
    -1.0
    >>> round(first_lyapunov(cm, [0.0, 0.0], [0.0, -0.5], normalization="planar"), 12)
    -0.5
    >>> round(first_lyapunov(cm, [0.0, 0.0], [0.0, -0.5], method="fd"), 8)
    -1.0
    """
    return normal_form_coefficient(
        cm, x, p, "hopf", method=method, normalization=normalization, on_set_tol=on_set_tol
    ).coefficient


def flip_coefficient(
    cm: CompiledModel, x: Any, p: Any, *, method: str = "auto", on_set_tol: float = 1e-6
) -> float:
    """Normal-form coefficient ``c`` at a flip (period-doubling) point of a map.

    Parameters
    ----------
    cm : CompiledModel
    x : array of shape (n,) or mapping of state name to float
        The fixed point (a multiplier ``-1`` there).
    p : array of shape (m,) or mapping of parameter name to float
    method : {"auto", "exact", "fd"}
        As in :func:`normal_form_coefficient`.
    on_set_tol : float
        As in :func:`normal_form_coefficient`.

    Returns
    -------
    float
        ``c``: positive supercritical (a stable 2-cycle is born), negative subcritical. For a
        scalar map ``x -> -x + a x^2 + b x^3``, ``c = a^2 + b``.

    Raises
    ------
    ModelError
        As in :func:`normal_form_coefficient`.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       sec. 4.4 and 5.4.

    Examples
    --------
    The logistic map at ``r = 3``, fixed point ``2/3``: ``x -> 2/3 - u - 3 u^2``, so ``c = 9``.

    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> from incentive_geometry.solvers.numeric.normal_form import flip_coefficient
    >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3.0}, time="discrete")
    >>> round(flip_coefficient(compile_model(m), [2 / 3], [3.0]), 10)
    9.0
    """
    return normal_form_coefficient(
        cm, x, p, "flip", method=method, on_set_tol=on_set_tol
    ).coefficient


def neimark_sacker_coefficient(
    cm: CompiledModel,
    x: Any,
    p: Any,
    *,
    method: str = "auto",
    normalization: str = "unit",
    on_set_tol: float = 1e-6,
) -> float:
    """Normal-form coefficient ``d`` at a Neimark-Sacker point of a map.

    Parameters
    ----------
    cm : CompiledModel
    x : array of shape (n,) or mapping of state name to float
        The fixed point (multipliers ``e^{+-i theta}``, no strong resonance).
    p : array of shape (m,) or mapping of parameter name to float
    method : {"auto", "exact", "fd"}
        As in :func:`normal_form_coefficient`.
    normalization : {"unit", "planar"}
        As in :func:`first_lyapunov`: ``z -> e^{i theta} z (1 + s |z|^2)`` gives ``d = 2 s``
        (unit) or ``d = s`` (planar).
    on_set_tol : float

    Returns
    -------
    float
        ``d``: negative supercritical (a stable invariant circle is born), positive subcritical.

    Raises
    ------
    ModelError
        As in :func:`normal_form_coefficient`.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       sec. 4.7 and 5.4.

    Examples
    --------
    The delayed logistic map ``x -> a x (1 - y)``, ``y -> x`` at ``a = 2`` is supercritical:

    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> from incentive_geometry.solvers.numeric.normal_form import neimark_sacker_coefficient
    >>> m = ig.Model.from_equations({"x": "a*x*(1 - y)", "y": "x"}, parameters={"a": 2.0},
    ...                             time="discrete")
    >>> neimark_sacker_coefficient(compile_model(m), [0.5, 0.5], [2.0]) < 0
    True
    """
    return normal_form_coefficient(
        cm,
        x,
        p,
        "neimark_sacker",
        method=method,
        normalization=normalization,
        on_set_tol=on_set_tol,
    ).coefficient
