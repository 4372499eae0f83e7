"""Two-parameter continuation of fold, Hopf, flip and Neimark-Sacker points (codimension two).

A fold point of the branch ``F(x; p1, p2) = 0`` persists along a curve in the plane of two
parameters, the solutions ``w = (x, p1, p2)`` of

* fold: ``F(w) = 0``, ``g(w) = 0`` where ``g`` is the bordered test function
  ``[[F_x, b], [c^T, 0]] [v; g] = [0; 1]`` (zero exactly when ``F_x`` is singular; ``b``, ``c``
  approximate the left and right null vectors and are refreshed along the curve);
* Hopf (flows): ``F(w) = 0``, ``prod_{i<j} (l_i + l_j) = 0`` (the bialternate product of
  ``F_x``);
* flip (maps ``x -> f(x)``, ``F = f - x``): ``F(w) = 0`` and the bordered test function of
  ``D_x f + I`` (a multiplier ``-1``);
* Neimark-Sacker (maps): ``F(w) = 0``, ``prod_{i<j} (mu_i mu_j - 1) = 0`` (a pair of multipliers
  with product one: on the unit circle, or a neutral saddle ``mu, 1/mu``).

The curve is followed by the same pseudo-arclength predictor-corrector as one-parameter
continuation (the gradient of the scalar test function by central differences). Along a fold
curve the codimension-two points are detected by test functions and located by Brent's method:

* ``cusp``: the quadratic normal-form coefficient ``a = w^T D_x^2 F(v, v)`` vanishes
  (``v``, ``w`` the right and left null vectors of ``F_x``);
* ``bogdanov_takens``: ``w . v = 0`` (the zero eigenvalue becomes a Jordan block), n >= 2;

along a Hopf curve

* ``bogdanov_takens`` where the frequency ``omega^2 = l_i l_j`` of the critical pair passes
  through zero;
* ``zero_hopf`` (n >= 3): the product of the eigenvalues other than the critical pair,
  ``det F_x / (l_i l_j)``, passes through zero (a real eigenvalue crosses zero while the pair is
  still imaginary);
* ``generalized_hopf`` (Bautin): the first Lyapunov coefficient ``l1``
  (:func:`~incentive_geometry.solvers.numeric.normal_form.first_lyapunov`) changes sign; ``l1``
  has a pole (``A^{-1}``) at zero-Hopf and grows like ``1/omega`` at Bogdanov-Takens points, so a
  located zero of ``l1`` is kept only where ``|l1|`` is below ``1e-6`` times the size of its
  terms (a sign change through a pole is not a Bautin point);

along a flip curve (``mu_c = -1``, the other multipliers ``mu_k``)

* ``generalized_flip``: the flip coefficient ``c`` changes sign (kept as for ``l1``);
* ``fold_flip`` (n >= 2): ``prod_k (mu_k - 1)`` passes through zero (a multiplier ``+1``);
* ``resonance_1_2`` (n >= 2): ``prod_k (mu_k + 1)`` passes through zero (a double ``-1``);

and along a Neimark-Sacker curve, with ``kappa = (mu_i + mu_j) / 2 = cos theta`` of the critical
pair (real and smooth also past the ends of the circle, on the neutral-saddle part)

* ``resonance_1_1``, ``resonance_1_2``, ``resonance_1_3``, ``resonance_1_4``: ``kappa`` passes
  through ``1``, ``-1``, ``-1/2``, ``0`` (``e^{i k theta} = 1``);
* ``chenciner``: the Neimark-Sacker coefficient ``d`` changes sign (kept as for ``l1``).

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   sections 8.2-8.4 (cusp, Bogdanov-Takens) and 10.3 (continuation of codim-1 curves).
.. [2] W. Govaerts, *Numerical Methods for Bifurcations of Dynamical Equilibria*, SIAM, 2000,
   chapter 4 (bordered test functions).
.. [3] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., sections 8.3
   (Bautin), 8.5 (zero-Hopf), 9.2-9.5 (the codimension-two bifurcations of fixed points) and
   10.3.2 (their test functions).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.optimize import brentq

from incentive_geometry.errors import ConvergenceError, ModelError
from incentive_geometry.model import Model

from .arclength import state_box
from .branch import Bifurcation
from .compile import CompiledModel, FloatArray, check_value, compile_model, resolve_params
from .normal_form import normal_form_coefficient

__all__ = ["CODIM2_KINDS", "CURVE_KINDS", "BifurcationCurve", "CodimTwoPoint", "bifurcation_curve"]

#: The codimension-two points located on curves.
CODIM2_KINDS = (
    "cusp",
    "bogdanov_takens",
    "zero_hopf",
    "generalized_hopf",
    "generalized_flip",
    "fold_flip",
    "resonance_1_1",
    "resonance_1_2",
    "resonance_1_3",
    "resonance_1_4",
    "chenciner",
)

#: The kinds of codimension-one points that are continued in two parameters.
CURVE_KINDS = ("fold", "hopf", "flip", "neimark_sacker")

#: A located zero of a normal-form coefficient is kept when ``|coefficient|`` is below this
#: times the sum of the magnitudes of its terms (a sign change through a pole is not kept).
_COEFFICIENT_ZERO = 1e-6

#: Which normal-form coefficient's zero each kind is, and of which codim-1 kind.
_COEFFICIENT_ZEROS = {
    "generalized_hopf": "hopf",
    "generalized_flip": "flip",
    "chenciner": "neimark_sacker",
}

#: ``kappa = cos theta`` of the critical multipliers at the strong resonances 1:k.
_RESONANCES = {
    "resonance_1_1": 1.0,
    "resonance_1_2": -1.0,
    "resonance_1_3": -0.5,
    "resonance_1_4": 0.0,
}


@dataclass(frozen=True, eq=False)  # array fields: identity equality, hashable
class CodimTwoPoint:
    """A codimension-two point located on a curve of folds or Hopf points.

    Attributes
    ----------
    kind : str
        One of :data:`CODIM2_KINDS`: ``cusp``, ``bogdanov_takens`` (fold and Hopf curves),
        ``zero_hopf``, ``generalized_hopf`` (Hopf curves), ``generalized_flip``, ``fold_flip``,
        ``resonance_1_2`` (flip curves), ``resonance_1_1`` to ``resonance_1_4`` and
        ``chenciner`` (Neimark-Sacker curves).
    params : dict of str to float
        The two curve parameters' values at the point.
    x : numpy.ndarray of shape (n,)
    state_names : tuple of str

    Examples
    --------
    >>> from incentive_geometry.solvers.numeric.codim2 import CodimTwoPoint
    >>> import numpy as np
    >>> CodimTwoPoint("cusp", {"a": 0.0, "b": 0.0}, np.zeros(1), ("x",)).as_dict()["kind"]
    'cusp'
    """

    kind: str
    params: dict[str, float]
    x: FloatArray
    state_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in CODIM2_KINDS:
            raise ModelError(f"`kind` {self.kind!r} is not one of {', '.join(CODIM2_KINDS)}")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record.

        Returns
        -------
        dict

        Examples
        --------
        >>> from incentive_geometry.solvers.numeric.codim2 import CodimTwoPoint
        >>> import numpy as np
        >>> CodimTwoPoint("cusp", {"a": 1.0, "b": 2.0}, np.ones(1), ("x",)).as_dict()["x"]
        {'x': 1.0}
        """
        return {
            "kind": self.kind,
            "params": {k: float(v) for k, v in self.params.items()},
            "x": {k: float(v) for k, v in zip(self.state_names, self.x, strict=True)},
        }


@dataclass(frozen=True, eq=False)  # array fields: identity equality, hashable
class BifurcationCurve:
    """A curve of fold, Hopf, flip or Neimark-Sacker points in the plane of two parameters.

    Attributes
    ----------
    kind : {"fold", "hopf", "flip", "neimark_sacker"}
    params : tuple of str
        The two parameters ``(p1, p2)``.
    p : numpy.ndarray of shape (K, 2)
        Parameter values along the curve (columns p1, p2).
    x : numpy.ndarray of shape (K, n)
    special : tuple of CodimTwoPoint
        The codimension-two points located on the curve (see :data:`CODIM2_KINDS`).
    state_names : tuple of str
    fixed : dict of str to float
        The other parameters.
    status : int
        0 when both directions ended normally (edge of `p_range`, closed curve); 1 otherwise.
    message : str
    nsteps : int

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "a + b*x - x**3"}, parameters={"a": 0.0, "b": 1.0})
    >>> br = ig.continuation(m, "a", x0=[1.0], params={"b": 1.0}, p_range=(-1, 1))
    >>> curve = ig.bifurcation_curve(m, br.of_kind("fold")[0], "b",
    ...                              p_range={"a": (-1, 1), "b": (-0.5, 1.5)})
    >>> cusp = curve.special[0]
    >>> cusp.kind, abs(cusp.params["a"]) < 1e-9, abs(cusp.params["b"]) < 1e-9
    ('cusp', True, True)
    """

    kind: str
    params: tuple[str, str]
    p: FloatArray
    x: FloatArray
    special: tuple[CodimTwoPoint, ...] = ()
    state_names: tuple[str, ...] = ()
    fixed: dict[str, float] = field(default_factory=dict)
    status: int = 0
    message: str = ""
    nsteps: int = 0

    @property
    def success(self) -> bool:
        """True when the curve was followed to its ends without stopping early."""
        return self.status == 0

    def __getitem__(self, name: str) -> FloatArray:
        """Values of a curve parameter or a state along the curve, by name."""
        if name in self.params:
            return self.p[:, self.params.index(name)]
        if name in self.state_names:
            return self.x[:, self.state_names.index(name)]
        raise KeyError(f"`{name}` is neither a curve parameter nor a state")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record.

        Returns
        -------
        dict

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "a + b*x - x**3"}, parameters={"a": 0.0, "b": 1.0})
        >>> br = ig.continuation(m, "a", x0=[1.0], params={"b": 1.0}, p_range=(-1, 1))
        >>> c = ig.bifurcation_curve(m, br.bifurcations[0], "b", p_range={"a": (-1, 1), "b": (0.5, 1)})
        >>> c.as_dict()["kind"], c.as_dict()["params"]
        ('fold', ['a', 'b'])
        """
        return {
            "kind": self.kind,
            "params": list(self.params),
            "p": {name: self[name].tolist() for name in self.params},
            "x": {s: self[s].tolist() for s in self.state_names},
            "special": [s.as_dict() for s in self.special],
            "fixed": self.fixed,
            "status": self.status,
            "success": self.success,
            "message": self.message,
            "nsteps": self.nsteps,
        }


class _CurveSystem:
    """``G(w) = (F(x; p1, p2), g(w))`` on ``w = (x, p1, p2)`` and its Jacobian."""

    def __init__(self, cm: CompiledModel, base: FloatArray, k1: int, k2: int, kind: str) -> None:
        self.cm, self.base, self.k1, self.k2, self.kind = cm, base, k1, k2, kind
        self.n = cm.n
        self.discrete = cm.model.time == "discrete"
        self.b = np.ones(self.n) / math.sqrt(self.n)
        self.c = np.ones(self.n) / math.sqrt(self.n)

    def pvec(self, w: FloatArray) -> FloatArray:
        q = self.base.copy()
        q[self.k1], q[self.k2] = w[-2], w[-1]
        return q

    def F(self, w: FloatArray) -> FloatArray:
        x = w[: self.n]
        val = self.cm.rhs(x, self.pvec(w))
        return val - x if self.discrete else val

    def Fx(self, w: FloatArray) -> FloatArray:
        J = self.cm.jac(w[: self.n], self.pvec(w))
        return J - np.eye(self.n) if self.discrete else J

    def M(self, w: FloatArray) -> FloatArray:
        """The matrix that is singular on the curve: ``F_x`` (fold), ``D_x f + I`` (flip)."""
        if self.kind == "flip":
            return self.cm.jac(w[: self.n], self.pvec(w)) + np.eye(self.n)
        return self.Fx(w)

    def refresh_borders(self, w: FloatArray) -> None:
        # Borders: the left and right singular vectors of the smallest singular value of M.
        U, _, Vt = np.linalg.svd(self.M(w))
        b, c = U[:, -1], Vt[-1]
        self.b = b if b @ self.b >= 0 else -b
        self.c = c if c @ self.c >= 0 else -c

    def g(self, w: FloatArray) -> float:
        if self.kind in ("fold", "flip"):
            # Bordered test function: [[M, b], [c^T, 0]] [v; g] = [0; 1].
            A = np.zeros((self.n + 1, self.n + 1))
            A[: self.n, : self.n] = self.M(w)
            A[: self.n, self.n] = self.b
            A[self.n, : self.n] = self.c
            e = np.zeros(self.n + 1)
            e[-1] = 1.0
            return float(np.linalg.solve(A, e)[-1])
        lam = np.linalg.eigvals(self.cm.jac(w[: self.n], self.pvec(w)))
        out = 1.0 + 0j
        for i in range(self.n):
            for j in range(i + 1, self.n):
                # Hopf: the bialternate product prod_{i<j} (l_i + l_j); Neimark-Sacker: the
                # product prod_{i<j} (mu_i mu_j - 1) (both real: symmetric in the eigenvalues).
                out *= lam[i] * lam[j] - 1 if self.kind == "neimark_sacker" else lam[i] + lam[j]
        return float(out.real)

    def G(self, w: FloatArray) -> FloatArray:
        return np.append(self.F(w), self.g(w))

    def DG(self, w: FloatArray) -> FloatArray:
        x, q = w[: self.n], self.pvec(w)
        Fp = self.cm.dfdp(x, q)
        top = np.hstack([self.Fx(w), Fp[:, [self.k1]], Fp[:, [self.k2]]])
        # Gradient of the scalar test function by central differences.
        grad = np.empty(len(w))
        for i in range(len(w)):
            h = 1e-6 * (1.0 + abs(w[i]))
            e = np.zeros(len(w))
            e[i] = h
            grad[i] = (self.g(w + e) - self.g(w - e)) / (2 * h)
        return np.vstack([top, grad])

    def null_vectors(
        self, w: FloatArray, v_ref: FloatArray, u_ref: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        U, _, Vt = np.linalg.svd(self.M(w))
        v, u = Vt[-1], U[:, -1]
        return (v if v @ v_ref >= 0 else -v), (u if u @ u_ref >= 0 else -u)

    def _pair(self, lam: Any) -> tuple[int, int]:
        """The critical pair: ``l_i + l_j`` (Hopf) or ``mu_i mu_j - 1`` (Neimark-Sacker) nearest 0."""
        best, pair = math.inf, (0, 1)
        for i in range(self.n):
            for j in range(i + 1, self.n):
                d = lam[i] * lam[j] - 1 if self.kind == "neimark_sacker" else lam[i] + lam[j]
                if abs(d) < best:
                    best, pair = abs(d), (i, j)
        return pair

    def coefficient(self, w: FloatArray, kind: str) -> tuple[float, float]:
        """A normal-form coefficient at ``w`` and the size of its terms; NaN where undefined."""
        try:
            r = normal_form_coefficient(self.cm, w[: self.n], self.pvec(w), kind)
        except (ModelError, np.linalg.LinAlgError):
            # No complex pair (past a Bogdanov-Takens or 1:1 point), a zero eigenvalue or a
            # multiplier 1 (the formula's inverse does not exist).
            return math.nan, math.nan
        return r.coefficient, r.scale

    def special_tests(
        self, w: FloatArray, v_ref: FloatArray, u_ref: FloatArray
    ) -> dict[str, float]:
        out: dict[str, float] = {}
        x, q = w[: self.n], self.pvec(w)
        if self.kind == "fold":
            v, u = self.null_vectors(w, v_ref, u_ref)
            eps = 1e-5 * (1.0 + float(np.max(np.abs(x))))
            # Cusp: a = u^T D_x^2 F [v, v] = 0, by a central difference of the analytic F_x.
            Bvv = (self.cm.jac(x + eps * v, q) - self.cm.jac(x - eps * v, q)) @ v / (2 * eps)
            out["cusp"] = float(u @ Bvv)
            if self.n >= 2:
                # Bogdanov-Takens: the zero eigenvalue is defective, u . v = 0.
                out["bogdanov_takens"] = float(u @ v)
            return out
        lam = np.linalg.eigvals(self.cm.jac(x, q))
        if self.kind == "flip":
            crit = int(np.argmin(np.abs(lam + 1)))
            others = np.delete(lam, crit)
            out["generalized_flip"] = self.coefficient(w, "flip")[0]
            if self.n >= 2:
                # Fold-flip: another multiplier through +1; 1:2 resonance: through -1.
                out["fold_flip"] = float(np.prod(others - 1).real)
                out["resonance_1_2"] = float(np.prod(others + 1).real)
            return out
        i, j = self._pair(lam)
        if self.kind == "neimark_sacker":
            # kappa = (mu_i + mu_j)/2 = cos theta on the circle; real on the neutral-saddle part.
            kappa = float(((lam[i] + lam[j]) / 2).real)
            for kind, at in _RESONANCES.items():
                out[kind] = kappa - at
            out["chenciner"] = self.coefficient(w, "neimark_sacker")[0]
            return out
        # Bogdanov-Takens on a Hopf curve: omega^2 = l_i l_j of the critical pair through 0.
        out["bogdanov_takens"] = float((lam[i] * lam[j]).real)
        if self.n >= 3:
            # Zero-Hopf: the product of the other eigenvalues, det F_x / (l_i l_j), through 0.
            out["zero_hopf"] = float(np.prod(np.delete(lam, [i, j])).real)
        out["generalized_hopf"] = self.coefficient(w, "hopf")[0]
        return out

    def accept(self, kind: str, w: FloatArray) -> bool:
        """Whether a located zero of a test function is a codimension-two point of that kind."""
        if kind in _COEFFICIENT_ZEROS:
            # A zero, not a pole, of the normal-form coefficient.
            value, scale = self.coefficient(w, _COEFFICIENT_ZEROS[kind])
            return bool(math.isfinite(value) and abs(value) <= _COEFFICIENT_ZERO * scale)
        if kind == "zero_hopf":
            # The critical pair still imaginary (not a Bogdanov-Takens point).
            lam = np.linalg.eigvals(self.cm.jac(w[: self.n], self.pvec(w)))
            i, j = self._pair(lam)
            return bool((lam[i] * lam[j]).real > 1e-8 * max(1.0, float(np.max(np.abs(lam))) ** 2))
        return True


def _correct(
    sys: _CurveSystem, w_pred: FloatArray, t: FloatArray, tol: float, max_iter: int
) -> tuple[FloatArray, bool, int]:
    w = w_pred.copy()
    for it in range(1, max_iter + 1):
        r = np.append(sys.G(w), t @ (w - w_pred))
        if not np.all(np.isfinite(r)):
            return w, False, it
        A = np.vstack([sys.DG(w), t])
        try:
            dw = np.linalg.solve(A, -r)
        except np.linalg.LinAlgError:
            dw = np.linalg.lstsq(A, -r, rcond=None)[0]
        w = w + dw
        if np.max(np.abs(dw)) <= tol * (1.0 + np.max(np.abs(w))):
            return w, bool(np.max(np.abs(sys.G(w))) < 1e-8), it
    return w, bool(np.max(np.abs(sys.G(w))) < 1e-12), max_iter


def _tangent(sys: _CurveSystem, w: FloatArray, t_prev: FloatArray) -> FloatArray:
    e = np.zeros(len(w))
    e[-1] = 1.0
    try:
        t = np.linalg.solve(np.vstack([sys.DG(w), t_prev]), e)
    except np.linalg.LinAlgError:
        return t_prev
    return np.asarray(t / np.linalg.norm(t))


def bifurcation_curve(
    model: Model,
    start: Bifurcation,
    param2: str,
    *,
    p_range: Mapping[str, tuple[float, float]],
    params: Mapping[str, float] | None = None,
    ds: float = 0.01,
    ds_min: float = 1e-7,
    ds_max: float = 0.05,
    max_steps: int = 1000,
    tol: float = 1e-10,
    max_iter: int = 10,
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> BifurcationCurve:
    """Follow a fold, Hopf, flip or Neimark-Sacker point in two parameters; locate codim-2 points.

    Parameters
    ----------
    model : Model
    start : Bifurcation
        A ``fold``, ``hopf`` (flows), ``flip`` or ``neimark_sacker`` (maps) point from
        :func:`continuation` (its parameter is the first curve parameter).
    param2 : str
        The second parameter, free along the curve.
    p_range : mapping of the two parameter names to (lo, hi)
        The curve is followed inside this rectangle (each inside the parameter's domain).
    params : mapping, optional
        The other parameters (default: those of `start`), possibly including `param2`'s start
        value (default: as in `start`).
    ds, ds_min, ds_max : float
        Initial, smallest and largest arclength step.
    max_steps : int
        Largest number of steps in each direction.
    tol : float
        Newton tolerance of the corrector.
    max_iter : int
        Newton iterations per corrector.
    bounds : mapping of state name to (lo, hi), optional
        Stop where the curve's state leaves this box; a state not named keeps to its declared
        domain (a share to ``[0, 1]``), as in :func:`~.continuation.continuation`.

    Returns
    -------
    BifurcationCurve
        With the codimension-two points of the module docstring in ``special``: cusp and
        Bogdanov-Takens on fold curves; Bogdanov-Takens, zero-Hopf and generalized Hopf
        (Bautin) on Hopf curves; generalized flip, fold-flip and 1:2 resonance on flip curves;
        the strong resonances 1:1 to 1:4 and Chenciner points on Neimark-Sacker curves.

    Raises
    ------
    ModelError
        For a start point of another kind, unknown or equal parameters, or a bad range.
    ConvergenceError
        When the start does not converge on the defining system (message: what was tried).

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       sections 8.3, 8.5, 9.2-9.5 and 10.3.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "a + b*x - x**3"}, parameters={"a": 0.0, "b": 1.0})
    >>> br = ig.continuation(m, "a", x0=[1.0], params={"b": 1.0}, p_range=(-1, 1))
    >>> curve = ig.bifurcation_curve(m, br.bifurcations[0], "b",
    ...                              p_range={"a": (-1, 1), "b": (0.25, 1)})
    >>> # On the fold curve 27 a^2 = 4 b^3.
    >>> bool(abs(27 * curve["a"] ** 2 - 4 * curve["b"] ** 3).max() < 1e-9)
    True

    The flip curve of the Henon map ``x -> 1 - a x^2 + y``, ``y -> b x`` is
    ``a = 3 (1 - b)^2 / 4``, with a 1:2 resonance (a double multiplier -1) at ``b = -1``:

    >>> henon = ig.Model.from_equations({"x": "1 - a*x**2 + y", "y": "b*x"},
    ...                                 parameters={"a": 0.1, "b": 0.3}, time="discrete")
    >>> flip = ig.continuation(henon, "a", x0=[0.5, 0.15], p_range=(0, 1)).of_kind("flip")[0]
    >>> fc = ig.bifurcation_curve(henon, flip, "b", p_range={"a": (-1, 4), "b": (-1.5, 0.9)})
    >>> bool(abs(fc["a"] - 0.75 * (1 - fc["b"]) ** 2).max() < 1e-9)
    True
    >>> [(s.kind, round(s.params["a"], 9), round(s.params["b"], 9)) for s in fc.special]
    [('resonance_1_2', 3.0, -1.0)]
    """
    if model.simplex and isinstance(start, Bifurcation):
        # On the simplex, as continuation: the curve of the model in n - 1 shares (the direction
        # off the simplex is not a direction of the dynamics), lifted back.
        reduced = model.reduce_simplex()
        curve = bifurcation_curve(
            reduced, replace(start, x=start.x[:-1], state_names=reduced.state_names), param2,
            p_range=p_range, params=params, ds=ds, ds_min=ds_min, ds_max=ds_max,
            max_steps=max_steps, tol=tol, max_iter=max_iter,
            bounds={k: v for k, v in dict(bounds or {}).items() if k != model.state_names[-1]},
        )

        def up(x: FloatArray) -> FloatArray:
            return np.concatenate([x, 1.0 - np.sum(x, axis=-1, keepdims=True)], axis=-1)

        return replace(
            curve, x=up(curve.x), state_names=model.state_names,
            special=tuple(replace(c, x=up(c.x), state_names=model.state_names)
                          for c in curve.special),
        )
    if not isinstance(start, Bifurcation) or start.kind not in CURVE_KINDS:
        raise ModelError(
            "`start` must be a fold or hopf Bifurcation (flows), or a fold, flip or "
            f"neimark_sacker Bifurcation (maps), from ig.continuation, got "
            f"{getattr(start, 'kind', start)!r:.60}; other kinds have no two-parameter curve here"
        )
    if start.kind == "hopf" and model.time != "continuous":
        raise ModelError(
            "`start`: Hopf curves are for continuous-time models; a map's pair of multipliers on "
            "the unit circle is a neimark_sacker point"
        )
    if start.kind in ("flip", "neimark_sacker") and model.time != "discrete":
        raise ModelError(
            f"`start`: {start.kind} curves are for maps (time='discrete'); model "
            f"`{model.name}` is a flow"
        )
    p1 = start.param
    model.parameter(param2)
    if param2 == p1:
        raise ModelError(
            f"`param2` = `{param2}` is the start's own parameter; choose a second, different one"
        )
    ranges: dict[str, tuple[float, float]] = {}
    for name in (p1, param2):
        if name not in p_range:
            raise ModelError(f"`p_range` needs a (lo, hi) pair for `{name}`")
        try:
            lo, hi = (float(v) for v in p_range[name])
        except (TypeError, ValueError):
            raise ModelError(
                f"`p_range['{name}']` = {p_range[name]!r:.60} must be a pair of numbers"
            ) from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ModelError(f"`p_range['{name}']` = ({lo}, {hi}) must be finite with lo < hi")
        check_value(name, lo, model)
        check_value(name, hi, model)
        ranges[name] = (lo, hi)
    merged = {**start.params, **dict(params or {})}
    merged.pop(p1, None)
    values = resolve_params(model, merged, free=(p1,))
    cm = compile_model(model)
    full = dict(values)
    full[p1] = start.p
    base = cm.param_vector(full)
    k1, k2 = model.parameter_names.index(p1), model.parameter_names.index(param2)
    sys = _CurveSystem(cm, base, k1, k2, start.kind)
    w0 = np.concatenate([start.x, [start.p, values[param2]]])
    sys.refresh_borders(w0)
    # Tangent at the start: the kernel of DG, oriented towards increasing param2.
    w, ok, _ = _correct(sys, w0, np.eye(len(w0))[-1], tol, 30)
    if not ok:
        raise ConvergenceError(
            f"bifurcation_curve: Newton on the {start.kind} defining system did not converge "
            f"from {p1} = {start.p:.10g}, {param2} = {values[param2]:.10g} (30 iterations, tol "
            f"{tol:g}); locate the start again with ig.continuation at these parameters"
        )
    t0 = np.linalg.svd(sys.DG(w))[2][-1]
    if t0[-1] < 0:
        t0 = -t0
    # The states keep to `bounds`, by default to their declared domains (as in continuation).
    box_lo, box_hi = state_box(model, bounds)
    w_lo = np.concatenate([box_lo, [ranges[p1][0], ranges[param2][0]]])
    w_hi = np.concatenate([box_hi, [ranges[p1][1], ranges[param2][1]]])
    runs = [
        _run(sys, w, -t0, ds, ds_min, ds_max, max_steps, tol, max_iter, w_lo, w_hi),
        _run(sys, w, t0, ds, ds_min, ds_max, max_steps, tol, max_iter, w_lo, w_hi),
    ]
    back, fwd = runs
    W = np.array(list(reversed(back[0])) + fwd[0][1:])
    specials: list[CodimTwoPoint] = []
    for kind, wp in list(reversed(back[1])) + fwd[1]:
        pt = CodimTwoPoint(
            kind, {p1: float(wp[-2]), param2: float(wp[-1])}, wp[: cm.n].copy(), model.state_names
        )
        if not any(s.kind == kind and np.allclose(s.x, pt.x, atol=1e-7) for s in specials):
            specials.append(pt)
    early = back[3] or fwd[3]
    return BifurcationCurve(
        kind=start.kind,
        params=(p1, param2),
        p=W[:, -2:].copy(),
        x=W[:, : cm.n].copy(),
        special=tuple(specials),
        state_names=model.state_names,
        fixed={k: v for k, v in values.items() if k != param2},
        status=1 if early else 0,
        message=f"backward: {back[2]}; forward: {fwd[2]}",
        nsteps=len(W) - 1,
    )


def _run(
    sys: _CurveSystem,
    w: FloatArray,
    t: FloatArray,
    ds: float,
    ds_min: float,
    ds_max: float,
    max_steps: int,
    tol: float,
    max_iter: int,
    lo: FloatArray,
    hi: FloatArray,
) -> tuple[list[FloatArray], list[tuple[str, FloatArray]], str, bool]:
    """One direction: the points, the located codim-2 points, how it ended, whether early."""
    ws = [w]
    found: list[tuple[str, FloatArray]] = []
    v_ref, u_ref = sys.null_vectors(w, sys.c, sys.b)
    tests = sys.special_tests(w, v_ref, u_ref)
    start = w
    for _ in range(max_steps):
        w_pred = w + ds * t
        w_new, ok, its = _correct(sys, w_pred, t, tol, max_iter)
        t_new = _tangent(sys, w_new, t) if ok else t
        if ok and (np.linalg.norm(w_new - w_pred) > 0.5 * ds or t_new @ t < 0.9):
            ok = False
        if not ok:
            if ds / 2 < ds_min:
                return (
                    ws,
                    found,
                    (
                        f"step size fell below `ds_min` = {ds_min:g} at "
                        f"({w[-2]:.8g}, {w[-1]:.8g}): the corrector did not converge"
                    ),
                    True,
                )
            ds /= 2
            continue
        v_new, u_new = sys.null_vectors(w_new, v_ref, u_ref)
        new_tests = sys.special_tests(w_new, v_new, u_new)
        for kind, before in tests.items():
            after = new_tests[kind]
            if before * after < 0:
                located = _locate(sys, w, t, float(t @ (w_new - w)), kind, before, v_ref, u_ref)
                if located is not None:
                    found.append((kind, located))
        sys.refresh_borders(w_new)
        ws.append(w_new)
        w, t, tests, v_ref, u_ref = w_new, t_new, new_tests, v_new, u_new
        if np.any(w < lo) or np.any(w > hi):
            where = "`p_range`" if ((w < lo) | (w > hi))[-2:].any() else "`bounds`"
            return ws, found, f"left {where} at ({w[-2]:.6g}, {w[-1]:.6g})", False
        if len(ws) > 10 and np.linalg.norm(w - start) < ds:
            return ws, found, "closed curve", False
        if its <= 3:
            ds = min(1.5 * ds, ds_max)
    return ws, found, f"stopped after `max_steps` = {max_steps}", True


def _locate(
    sys: _CurveSystem,
    w0: FloatArray,
    t0: FloatArray,
    h1: float,
    kind: str,
    g0: float,
    v_ref: FloatArray,
    u_ref: FloatArray,
) -> FloatArray | None:
    cache: dict[float, FloatArray] = {}

    def point(h: float) -> FloatArray:
        if h not in cache:
            w, ok, _ = _correct(sys, w0 + h * t0, t0, 1e-14, 30)
            if not ok:
                raise ConvergenceError("corrector failed while locating a codimension-two point")
            cache[h] = w
        return cache[h]

    def g(h: float) -> float:
        if h == 0.0:
            return g0
        w = point(h)
        v, u = sys.null_vectors(w, v_ref, u_ref)
        value = sys.special_tests(w, v, u)[kind]
        if not math.isfinite(value):
            raise ConvergenceError("the test function is undefined inside the bracket")
        return value

    try:
        h_star = brentq(g, 0.0, h1, xtol=1e-15, rtol=1e-14, maxiter=200)
    except (ValueError, ConvergenceError):
        return None
    w_star = point(h_star) if h_star > 0 else w0
    return w_star if sys.accept(kind, w_star) else None
