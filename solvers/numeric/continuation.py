"""Continuation of equilibria and fixed points in one parameter, with bifurcation detection.

The branch ``F(x, p) = 0`` (``F = f`` for flows, ``F = f - x`` for maps) is followed by
pseudo-arclength continuation (Keller 1977): from a point ``z = (x, p)`` with unit tangent ``t``
the predictor is ``z + ds t``; Newton corrects it on ``F(z) = 0, t . (z - z_pred) = 0``. Both
directions are followed from the start.

A corrected step is accepted only when it cannot have jumped to another part of the branch: the
tangent turns by at most ``max_angle`` (0.2 rad) and the corrected point lies within
``max_angle * ds`` of the prediction (on an arc of curvature kappa a step turns the tangent by
``kappa ds`` and lands ``kappa ds^2 / 2`` away). Otherwise the step is halved and retried. The
step grows where Newton converges fast and the branch is straight, and shrinks where it turns.

Bifurcations are detected by sign changes of *test functions* (each a small strategy class
below) and located by Brent's method on the arclength between the two points that bracket the
change, each evaluation being a corrected point of the branch, so the parameter is located to
about 1e-12. Two zeros inside one step show no sign change; when a test function has one sign at
three consecutive points but the parabola through its values dips towards zero between them, its
minimum is sought by successive parabolic interpolation on corrected points, and a minimum of the
other sign splits the step into two located zeros (two folds 7.7e-7 apart are found at the
default ``ds_max``). A dip that the probes cannot resolve from zero (a cusp, say) is named in the
branch's message as a place where a pair may have been missed.

=================  ================================================  ================
kind               test function                                     models
=================  ================================================  ================
fold               ``t_p``, the parameter part of the tangent         flows, maps
branch point       ``det [[F_z], [t^T]]`` (changes sign at a simple   flows, maps
                   branch point, not at a fold)
hopf               ``prod_{i<j} (l_i + l_j)`` (bialternate product),  flows, n >= 2
                   with a complex pair crossing
flip               ``prod (1 + mu_i) = det(D f + I)``                 maps
neimark_sacker     ``prod_{i<j} (mu_i mu_j - 1)``, with a complex     maps, n >= 2
                   pair on the unit circle
=================  ================================================  ================

A branch point is classified by the algebraic branching equation (the quadratic form of
``psi^T D^2 F`` on the two-dimensional kernel of ``F_z``): two branches whose tangents both move
the parameter make a ``transcritical`` point; one branch with no parameter component makes a
``pitchfork``; otherwise ``branch``. Of its two roots, the one nearer the direction the branch
arrived from is the branch being followed (that tangent is taken from regular points before and
after the branch point, since at the point itself ``[[F_z], [t^T]]`` is singular and its solve
returns the other kernel direction). The other root is kept, and :func:`switch_branch` continues
along it, each way with a first step that clears the branch point and is checked to lie on the
other branch.

References
----------
.. [1] H. B. Keller, "Numerical solution of bifurcation and nonlinear eigenvalue problems",
   in *Applications of Bifurcation Theory*, Academic Press, 1977, 359-384.
.. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   chapter 10 (test functions, branch switching).
.. [3] E. L. Allgower and K. Georg, *Introduction to Numerical Continuation Methods*, SIAM,
   2003, chapter 8 (the orientation test for branch points).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import brentq, root

from incentive_geometry.errors import ConvergenceError, ModelError
from incentive_geometry.model import Model

from .compile import (
    CompiledModel,
    FloatArray,
    check_in_domain,
    check_value,
    compile_model,
    resolve_params,
    resolve_state,
)
from .equilibria import multipliers_or_eigenvalues, singularity
from .normal_form import normal_form_coefficient
from .stability import NEUTRAL, is_stable, stability_codes

__all__ = ["Bifurcation", "Branch", "continuation", "switch_branch"]

KINDS = ("fold", "transcritical", "pitchfork", "branch", "hopf", "flip", "neimark_sacker")
ComplexArray = np.ndarray[Any, np.dtype[np.complex128]]


@dataclass(frozen=True, eq=False)  # array fields: identity equality, hashable
class Bifurcation:
    """A bifurcation point located on a branch.

    Attributes
    ----------
    kind : str
        One of ``fold``, ``transcritical``, ``pitchfork``, ``branch``, ``hopf``, ``flip``,
        ``neimark_sacker``.
    param : str
        The continuation parameter.
    p : float
        Its value at the point.
    x : numpy.ndarray of shape (n,)
        The state at the point.
    eigenvalues : numpy.ndarray of shape (n,), complex
        Eigenvalues (flow) or multipliers (map) at the point.
    state_names : tuple of str
    tangent : numpy.ndarray of shape (n + 1,)
        Unit tangent ``(dx, dp)`` of the branch through the point.
    direction : numpy.ndarray of shape (n + 1,) or None
        For branch points: the unit tangent of the other branch (for :func:`switch_branch`).
    params : dict of str to float
        The other parameters' values.
    frequency : float or None
        Hopf: the imaginary part ``omega`` of the critical pair (period ``2 pi / omega``).
        Neimark-Sacker: the angle of the critical multipliers.
    coefficient : float or None
        Hopf, flip, Neimark-Sacker: the criticality coefficient (first Lyapunov coefficient
        ``l1``, flip coefficient, Neimark-Sacker coefficient ``d``; normalization ``<q, q> = 1``)
        from :func:`~incentive_geometry.solvers.numeric.normal_form.normal_form_coefficient`.
        None for other kinds, and where it is not defined (a zero-Hopf or strong-resonance point).
    criticality : str or None
        ``"supercritical"`` (a stable cycle, invariant curve or period-2 orbit is born: ``l1 < 0``,
        ``d < 0``, flip coefficient ``> 0``), ``"subcritical"`` or ``"degenerate"`` (zero within
        its rounding: a codimension-two point nearby); None with `coefficient`.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0})
    >>> br = ig.continuation(m, "p", x0={"x": -1.0}, p_range=(-2, 1), ds=0.05)
    >>> fold = br.bifurcations[0]
    >>> fold.kind, abs(fold.p) < 1e-10, bool(abs(fold.x[0]) < 1e-4)
    ('fold', True, True)
    """

    kind: str
    param: str
    p: float
    x: FloatArray
    eigenvalues: ComplexArray
    state_names: tuple[str, ...] = ()
    tangent: FloatArray = field(default_factory=lambda: np.zeros(0))
    direction: FloatArray | None = None
    params: dict[str, float] = field(default_factory=dict)
    frequency: float | None = None
    coefficient: float | None = None
    criticality: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ModelError(f"bifurcation `kind` {self.kind!r} is not one of {', '.join(KINDS)}")

    @property
    def z(self) -> FloatArray:
        """The point as ``(x, p)``."""
        return np.append(self.x, self.p)

    def __repr__(self) -> str:
        state = ", ".join(f"{s}={v:.6g}" for s, v in zip(self.state_names, self.x, strict=False))
        tail = f", {self.criticality}" if self.criticality else ""
        return f"Bifurcation({self.kind!r}, {self.param}={self.p:.12g}, ({state}){tail})"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record.

        Returns
        -------
        dict

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
        >>> br = ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1))
        >>> br.bifurcations[0].as_dict()["kind"]
        'transcritical'
        """
        return {
            "kind": self.kind,
            "param": self.param,
            "p": float(self.p),
            "x": {k: float(v) for k, v in zip(self.state_names, self.x, strict=True)},
            "eigenvalues": [[float(e.real), float(e.imag)] for e in self.eigenvalues],
            "frequency": self.frequency,
            "coefficient": self.coefficient,
            "criticality": self.criticality,
        }


STATUS_COMPLETE = 0
STATUS_STOPPED = 1
STATUS_FAILED = -1


@dataclass(frozen=True, eq=False)  # array fields: identity equality, hashable
class Branch:
    """A branch of equilibria (flow) or fixed points (map) in one parameter.

    Attributes
    ----------
    param : str
        The continuation parameter.
    p : numpy.ndarray of shape (K,)
    x : numpy.ndarray of shape (K, n)
    stable : numpy.ndarray of bool, shape (K,)
    eigenvalues : numpy.ndarray of shape (K, n), complex
    bifurcations : tuple of Bifurcation
        Ordered along the branch.
    state_names : tuple of str
    params : dict of str to float
        The other parameters' values.
    time : {"continuous", "discrete"}
    status : int
        0: both directions ended normally (end of `p_range`, closed loop); 1: stopped early
        (see `message`); -1: no branch (the start did not converge).
    message : str
        How each direction ended, and where a pair of bifurcations may have been missed (a test
        function that dips to zero between three points without a sign change that probes
        could resolve).
    children : tuple of Branch
        Branches followed from branch points (``switch_branches=True``); their own `children`
        are the branches switched to from them.
    nsteps : int
        Accepted continuation steps.
    start : numpy.ndarray of shape (n + 1,)
        The equilibrium ``(x, p)`` the branch was started from (Newton at fixed `p` from
        `x0`); empty for a switched branch.
    start_distance : float
        How far (Euclidean, in the states) Newton moved `x0` to reach `start`; `message` says so
        when it is more than round-off, and a warning when it is more than ``1 + |start|`` (a
        start farther from the equilibrium reached than the equilibrium's own size).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "p - x"}, parameters={"p": 0.0})
    >>> br = ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1), ds=0.1)
    >>> br.success, float(br.p.min()), float(br.p.max()), bool(br.stable.all())
    (True, -1.0, 1.0, True)
    """

    param: str
    p: FloatArray
    x: FloatArray
    stable: np.ndarray[Any, np.dtype[np.bool_]]
    eigenvalues: ComplexArray
    bifurcations: tuple[Bifurcation, ...] = ()
    state_names: tuple[str, ...] = ()
    params: dict[str, float] = field(default_factory=dict)
    time: str = "continuous"
    status: int = STATUS_COMPLETE
    message: str = ""
    children: tuple[Branch, ...] = ()
    nsteps: int = 0
    start: FloatArray = field(default_factory=lambda: np.zeros(0))
    start_distance: float = 0.0

    @property
    def neutral(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Points whose linearization does not decide stability (an eigenvalue on the boundary
        within the tolerance of :mod:`.stability`: the located bifurcation points); neither
        stable nor unstable.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
        >>> br = ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1))
        >>> [round(float(p), 9) + 0.0 for p in br.p[br.neutral]]
        [0.0]
        """
        codes = stability_codes(self.time, self.eigenvalues)
        return np.asarray(codes == NEUTRAL, dtype=bool).reshape(len(self.p))

    @property
    def success(self) -> bool:
        """True when the branch was followed to its ends without stopping early."""
        return self.status == STATUS_COMPLETE

    def __repr__(self) -> str:
        span = f"{self.p.min():.6g}..{self.p.max():.6g}" if len(self.p) else "empty"
        return (
            f"<Branch in {self.param}: {len(self.p)} points, {self.param} in {span}, "
            f"bifurcations {list(self.bifurcations)}, status {self.status}>"
        )

    def __getitem__(self, name: str) -> FloatArray:
        """A state's values along the branch, by name."""
        if name == self.param:
            return self.p
        if name not in self.state_names:
            raise KeyError(f"`{name}` is not a state ({', '.join(self.state_names)})")
        return self.x[:, self.state_names.index(name)]

    def of_kind(self, kind: str) -> list[Bifurcation]:
        """The bifurcations of one kind.

        Parameters
        ----------
        kind : str

        Returns
        -------
        list of Bifurcation

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0})
        >>> br = ig.continuation(m, "p", x0={"x": -1.0}, p_range=(-2, 1))
        >>> len(br.of_kind("fold")), len(br.of_kind("hopf"))
        (1, 0)
        """
        return [b for b in self.bifurcations if b.kind == kind]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record.

        Returns
        -------
        dict

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "p - x"}, parameters={"p": 0.0})
        >>> sorted(ig.continuation(m, "p", x0=[0.0], p_range=(0, 1)).as_dict())[:4]
        ['bifurcations', 'children', 'eigenvalues', 'message']
        """
        return {
            "param": self.param,
            "p": self.p.tolist(),
            "x": {s: self[s].tolist() for s in self.state_names},
            "stable": self.stable.tolist(),
            "eigenvalues": [[[float(e.real), float(e.imag)] for e in row] for row in self.eigenvalues],
            "bifurcations": [b.as_dict() for b in self.bifurcations],
            "params": self.params,
            "time": self.time,
            "status": self.status,
            "success": self.success,
            "message": self.message,
            "nsteps": self.nsteps,
            "start": self.start.tolist(),
            "start_distance": self.start_distance,
            "children": [c.as_dict() for c in self.children],
        }


# --------------------------------------------------------------------------------------------
# The branch equation F(z) = 0, z = (x, p)


class _System:
    """``F(z)`` and ``F_z(z)`` for z = (x, p) with the other parameters fixed."""

    def __init__(self, cm: CompiledModel, base: FloatArray, k: int) -> None:
        self.cm = cm
        self.base = base
        self.k = k
        self.n = cm.n
        self.discrete = cm.model.time == "discrete"
        self.nfev = 0

    def pvec(self, p: Any) -> FloatArray:
        # One parameter vector, or a batch (..., m) when p is an array of values.
        if np.ndim(p) == 0:
            q1 = self.base.copy()
            q1[self.k] = p
            return q1
        q = np.broadcast_to(self.base, (*np.shape(p), len(self.base))).copy()
        q[..., self.k] = p
        return q

    def F(self, z: FloatArray) -> FloatArray:
        self.nfev += 1
        x, q = z[:-1], self.pvec(z[-1])
        val = self.cm.rhs(x, q)
        return val - x if self.discrete else val

    def Fx(self, z: FloatArray) -> FloatArray:
        J = self.cm.jac(z[:-1], self.pvec(z[-1]))
        return J - np.eye(self.n) if self.discrete else J

    def Fz(self, z: FloatArray) -> FloatArray:
        x, q = z[:-1], self.pvec(z[-1])
        J = self.cm.jac(x, q)
        if self.discrete:
            J = J - np.eye(self.n)
        return np.hstack([J, self.cm.dfdp(x, q)[:, self.k : self.k + 1]])

    def eig(self, z: FloatArray) -> ComplexArray:
        return multipliers_or_eigenvalues(self.cm, z[..., :-1], self.pvec(z[..., -1]))

    def D2(self, z: FloatArray, u: FloatArray, v: FloatArray) -> FloatArray:
        """Second derivative ``D^2 F(z)[u, v]`` by a central difference of the analytic ``F_z``."""
        eps = 1e-5 * (1.0 + float(np.max(np.abs(z))))
        return (self.Fz(z + eps * u) - self.Fz(z - eps * u)) @ v / (2 * eps)


def _augmented(Fz: FloatArray, t: FloatArray) -> FloatArray:
    return np.vstack([Fz, t[None, :]])


def _correct(
    sys: _System, z_pred: FloatArray, t: FloatArray, *, tol: float, max_iter: int
) -> tuple[FloatArray, bool, int]:
    """Newton on ``F(z) = 0, t . (z - z_pred) = 0`` (Keller's pseudo-arclength corrector)."""
    z = z_pred.copy()
    for it in range(1, max_iter + 1):
        rhs = np.append(sys.F(z), t @ (z - z_pred))
        if not np.all(np.isfinite(rhs)):
            return z, False, it
        A = _augmented(sys.Fz(z), t)
        try:
            dz = np.linalg.solve(A, -rhs)
        except np.linalg.LinAlgError:
            # Exactly singular (on a branch point): the least-squares step.
            dz = np.linalg.lstsq(A, -rhs, rcond=None)[0]
        if not np.all(np.isfinite(dz)):
            return z, False, it
        z = z + dz
        if np.max(np.abs(dz)) <= tol * (1.0 + np.max(np.abs(z))):
            resid = np.max(np.abs(sys.F(z)))
            if resid <= max(1e3 * tol, 1e-10):
                return z, True, it
    # Near a singular point round-off can keep the step above `tol`; accept a point whose
    # residual is at round-off level.
    resid = np.max(np.abs(np.append(sys.F(z), t @ (z - z_pred))))
    if resid <= 1e-13 * (1.0 + np.max(np.abs(z))):
        return z, True, max_iter
    return z, False, max_iter


def _tangent(sys: _System, z: FloatArray, t_prev: FloatArray) -> FloatArray:
    """Unit tangent at z, oriented along t_prev: solve [[F_z], [t_prev^T]] t = e_{n+1}."""
    e = np.zeros(sys.n + 1)
    e[-1] = 1.0
    try:
        t = np.linalg.solve(_augmented(sys.Fz(z), t_prev), e)
    except np.linalg.LinAlgError:
        t = t_prev.copy()
    if not np.all(np.isfinite(t)) or not np.any(t):
        t = t_prev.copy()
    return np.asarray(t / np.linalg.norm(t))


# --------------------------------------------------------------------------------------------
# Test functions: one small class each, one hook.


@dataclass
class _Point:
    """What test functions see at a point of the branch."""

    z: FloatArray
    t: FloatArray
    sys: _System
    _eig: ComplexArray | None = None

    @property
    def eig(self) -> ComplexArray:
        if self._eig is None:
            self._eig = self.sys.eig(self.z)
        return self._eig


class _TestFunction:
    """A test function that changes sign at one kind of bifurcation."""

    kind: ClassVar[str]
    time: ClassVar[tuple[str, ...]] = ("continuous", "discrete")
    min_states: ClassVar[int] = 1

    @classmethod
    def applies(cls, time: str, n: int) -> bool:
        return time in cls.time and n >= cls.min_states

    def value(self, pt: _Point) -> float:
        raise NotImplementedError

    def confirm(self, pt: _Point) -> tuple[bool, float | None]:
        """Whether a located zero is a bifurcation of this kind (and its frequency)."""
        return True, None


class _FoldTest(_TestFunction):
    # Fold (limit point): the parameter is extremal along the branch, dp/ds = 0.
    kind = "fold"

    def value(self, pt: _Point) -> float:
        return float(pt.t[-1])


class _BranchPointTest(_TestFunction):
    # Simple branch point: det [[F_z], [t^T]] changes sign (orientation test), not at a fold.
    kind = "branch"

    def value(self, pt: _Point) -> float:
        # Only the sign and the zero matter: the determinant from its logarithm, capped, does
        # not overflow on a branch that runs off to large states.
        sign, logdet = np.linalg.slogdet(_augmented(pt.sys.Fz(pt.z), pt.t))
        return float(sign * math.exp(min(float(logdet), 700.0)))


def _pair_products(lam: ComplexArray, op: str) -> tuple[float, tuple[int, int]]:
    n = len(lam)
    prod = 1.0 + 0j
    best, best_pair = math.inf, (0, 1)
    for i in range(n):
        for j in range(i + 1, n):
            v = lam[i] + lam[j] if op == "sum" else lam[i] * lam[j] - 1.0
            prod *= v
            if abs(v) < best:
                best, best_pair = abs(v), (i, j)
    return float(prod.real), best_pair


class _HopfTest(_TestFunction):
    # Hopf: a pair l, -l crosses; the bialternate product prod_{i<j} (l_i + l_j) vanishes.
    # It also vanishes at neutral saddles (real l, -l), which confirm() rejects.
    kind = "hopf"
    time = ("continuous",)
    min_states = 2

    def value(self, pt: _Point) -> float:
        return _pair_products(pt.eig, "sum")[0]

    def confirm(self, pt: _Point) -> tuple[bool, float | None]:
        lam = pt.eig
        _, (i, _j) = _pair_products(lam, "sum")
        omega = abs(lam[i].imag)
        scale = 1.0 + float(np.max(np.abs(lam)))
        return bool(omega > 1e-6 * scale and abs(lam[i].real) < 1e-6 * scale), float(omega)


class _FlipTest(_TestFunction):
    # Flip (period doubling): a multiplier crosses -1; det(D f + I) = prod (1 + mu_i) vanishes.
    kind = "flip"
    time = ("discrete",)

    def value(self, pt: _Point) -> float:
        return float(np.prod(1.0 + pt.eig).real)


class _NeimarkSackerTest(_TestFunction):
    # Neimark-Sacker: a complex pair crosses the unit circle, mu_i mu_j = |mu|^2 = 1.
    kind = "neimark_sacker"
    time = ("discrete",)
    min_states = 2

    def value(self, pt: _Point) -> float:
        return _pair_products(pt.eig, "product")[0]

    def confirm(self, pt: _Point) -> tuple[bool, float | None]:
        lam = pt.eig
        _, (i, _j) = _pair_products(lam, "product")
        angle = abs(float(np.angle(lam[i])))
        ok = abs(lam[i].imag) > 1e-6 and abs(abs(lam[i]) - 1.0) < 1e-6
        return bool(ok), angle


_TESTS: tuple[type[_TestFunction], ...] = (
    _BranchPointTest,
    _FoldTest,
    _HopfTest,
    _FlipTest,
    _NeimarkSackerTest,
)


def _polish_branch_point(sys: _System, z: FloatArray, radius: float) -> FloatArray | None:
    """Refine a branch point by Newton on Moore's regular extended system.

    Unknowns ``(z, psi, beta)``; equations ``F(z) + beta psi = 0``, ``F_z(z)^T psi = 0``,
    ``psi . psi = 1``. At a simple branch point the solution has ``beta = 0`` and the Jacobian
    is regular, so the point is found to round-off, unlike on the branch itself where Newton
    slows down between two crossing branches.
    """
    n = sys.n
    psi0 = np.linalg.svd(sys.Fz(z))[0][:, -1]

    def G(u: FloatArray) -> FloatArray:
        zz, psi, beta = u[: n + 1], u[n + 1 : 2 * n + 1], u[-1]
        return np.concatenate([sys.F(zz) + beta * psi, sys.Fz(zz).T @ psi, [psi @ psi - 1.0]])

    u0 = np.concatenate([z, psi0, [0.0]])
    sol = root(G, u0, method="hybr", options={"xtol": 1e-15})
    u = np.asarray(sol.x)
    if (
        np.all(np.isfinite(u))
        and np.max(np.abs(G(u))) < 1e-12
        and abs(u[-1]) < 1e-10
        and np.linalg.norm(u[: n + 1] - z) < radius
    ):
        return u[: n + 1]
    return None


def _classify_branch_point(
    sys: _System, z: FloatArray, t_in: FloatArray
) -> tuple[str, FloatArray, FloatArray | None]:
    """Algebraic branching equation on the kernel of F_z: kind, this tangent, the other tangent.

    `t_in` is the direction the branch arrived from (a tangent at a regular point before the
    branch point, not the tangent computed *at* it, where ``[[F_z], [t^T]]`` is singular and the
    solve returns the kernel direction orthogonal to ``t``, i.e. the other branch). Of the two
    roots of the branching equation, the one closer to `t_in` is the branch being followed
    (returned oriented along `t_in`); the other is the branch to switch to.
    """
    Fz = sys.Fz(z)
    U, _, Vt = np.linalg.svd(Fz)
    phi1, phi2 = Vt[-2], Vt[-1]
    psi = U[:, -1]
    # a_ij = psi^T D^2 F [phi_i, phi_j]; tangents (alpha phi1 + beta phi2) solve
    # a11 alpha^2 + 2 a12 alpha beta + a22 beta^2 = 0 (Kuznetsov 2004, sec. 10.2.2).
    a11 = psi @ sys.D2(z, phi1, phi1)
    a12 = psi @ sys.D2(z, phi1, phi2)
    a22 = psi @ sys.D2(z, phi2, phi2)
    A = np.array([[a11, a12], [a12, a22]])
    e, U2 = np.linalg.eigh(A)  # e[0] <= e[1]
    scale = float(np.max(np.abs(e)))
    # The branch being followed: t_in projected on the kernel (the kernel's direction nearest).
    along = (t_in @ phi1) * phi1 + (t_in @ phi2) * phi2
    along = along / np.linalg.norm(along) if np.linalg.norm(along) > 0 else t_in
    if scale < 1e-9 or e[0] * e[1] > 1e-9 * scale * scale:
        # Definite (isolated point) or degenerate quadratic form: not a simple branch point.
        return "branch", np.asarray(along), None
    # Q = e0 c0^2 + e1 c1^2 = 0  <=>  c0 : c1 = sqrt(e1) : +-sqrt(-e0).
    r0, r1 = math.sqrt(max(e[1], 0.0)), math.sqrt(max(-e[0], 0.0))
    cands = [r0 * U2[:, 0] + sgn * r1 * U2[:, 1] for sgn in (1.0, -1.0)]
    tangents = [(c[0] * phi1 + c[1] * phi2) / np.linalg.norm(c[0] * phi1 + c[1] * phi2) for c in cands]
    current = int(np.argmax([abs(tau @ t_in) for tau in tangents]))
    mine = tangents[current] * (1.0 if tangents[current] @ t_in >= 0 else -1.0)
    other = tangents[1 - current]
    # Orient the other branch towards increasing p (or its largest component when p is flat).
    if other[-1] < 0 or (abs(other[-1]) < 1e-12 and other[np.argmax(np.abs(other))] < 0):
        other = -other
    if min(abs(tau[-1]) for tau in tangents) < 1e-4:
        return "pitchfork", mine, other
    return "transcritical", mine, other


# --------------------------------------------------------------------------------------------
# Driver


_Raw = tuple[FloatArray, FloatArray, str, "FloatArray | None", "float | None"]


@dataclass(frozen=True)
class _Options:
    ds: float
    ds_min: float
    ds_max: float
    max_steps: int
    tol: float
    max_iter: int
    p_lo: float
    p_hi: float
    lo: FloatArray
    hi: FloatArray
    detect: bool
    # Step acceptance (Allgower and Georg 2003, sec. 6.1): the tangent may turn by at most
    # `max_angle` radians over a step, and the corrected point may lie at most `max_angle * ds`
    # from the prediction. On an arc of curvature kappa a step of length ds turns the tangent by
    # kappa ds and lands kappa ds^2 / 2 from the prediction, so a smooth step that meets the first
    # bound meets the second with a factor 2 to spare; a corrector that lands on another part of
    # the branch misses one of them, and the step is halved.
    max_angle: float = 0.2
    # A test function of one sign at three consecutive points whose interpolating parabola dips
    # towards zero between them may hide a pair of zeros; up to `pair_probes` corrected points
    # (successive parabolic interpolation of its minimum) are examined there before the
    # branch's message reports a possible missed pair.
    pair_probes: int = 12


@dataclass
class _Walk:
    zs: list[FloatArray]
    ts: list[FloatArray]
    bifs: list[_Raw]
    ended: str
    early: bool
    notes: list[str] = field(default_factory=list)


def _point_at(
    sys: _System, z0: FloatArray, t0: FloatArray, h: float, radius: float
) -> tuple[FloatArray, FloatArray] | None:
    """The point of the branch on the hyperplane ``t0 . (z - z0) = h``, with its tangent."""
    z, ok, _ = _correct(sys, z0 + h * t0, t0, tol=1e-14, max_iter=30)
    if not ok or np.linalg.norm(z - (z0 + h * t0)) > radius:
        return None
    return z, _tangent(sys, z, t0)


def _locate(
    sys: _System, z0: FloatArray, t0: FloatArray, lo: tuple[float, float], hi: tuple[float, float],
    test: _TestFunction, radius: float,
) -> tuple[FloatArray, FloatArray] | None:
    """Brent's method on h in [h_lo, h_hi] (values g_lo, g_hi known): the point z(h) with
    ``t0 . (z - z0) = h`` where the test function vanishes."""
    cache: dict[float, tuple[FloatArray, FloatArray]] = {}
    known = {lo[0]: lo[1], hi[0]: hi[1]}

    def point(h: float) -> tuple[FloatArray, FloatArray]:
        if h not in cache:
            found = _point_at(sys, z0, t0, h, radius)
            if found is None:
                raise ConvergenceError("corrector failed while locating a bifurcation")
            cache[h] = found
        return cache[h]

    def g(h: float) -> float:
        if h in known:
            return known[h]
        z, t = point(h)
        return test.value(_Point(z, t, sys))

    try:
        h_star = brentq(g, lo[0], hi[0], xtol=1e-15, rtol=1e-14, maxiter=200)
        return point(h_star)
    except (ValueError, ConvergenceError):
        return None


def _zero_in(
    sys: _System, test: _TestFunction, z0: FloatArray, t0: FloatArray,
    lo: tuple[float, FloatArray, float], hi: tuple[float, FloatArray, float], t_in: FloatArray,
) -> _Raw | None:
    """The bifurcation where `test` changes sign between the points `lo` and `hi` of a step.

    `lo` and `hi` are ``(h, z, g)``: the coordinate ``t0 . (z - z0)``, the point and the test
    value there. Returns the raw record ``(z, tangent, kind, other tangent, frequency)`` or None
    when the zero is not confirmed (a neutral saddle for the Hopf test, say).
    """
    span = float(np.linalg.norm(hi[1] - lo[1]))
    radius = max(2.0 * span, 1e-12)
    found = None
    if test.kind == "branch":
        # Moore's extended system from the secant guess: regular at the branch point, so it
        # avoids Newton on the branch, which slows down between two branches.
        g0, g1 = lo[2], hi[2]
        guess = lo[1] + g0 / (g0 - g1) * (hi[1] - lo[1])
        polished = _polish_branch_point(sys, guess, radius)
        if polished is not None:
            found = (polished, t_in)
    if found is None:
        found = _locate(sys, z0, t0, (lo[0], lo[2]), (hi[0], hi[2]), test, radius)
    if found is None:
        return None
    zb, tb = found
    ok_kind, freq = test.confirm(_Point(zb, tb, sys))
    if not ok_kind:
        return None
    if test.kind != "branch":
        return zb, tb, test.kind, None, freq
    refined = _polish_branch_point(sys, zb, max(0.1 * span, 1e-12))
    zb = zb if refined is None else refined
    kind, mine, other = _classify_branch_point(sys, zb, t_in)
    return zb, mine, kind, other, freq


def _walk(
    sys: _System, z_start: FloatArray, t_start: FloatArray, opts: _Options, tests: list[_TestFunction]
) -> _Walk:
    """Follow the branch from `z_start` along `t_start` (one direction).

    Returns the points in order along the branch (located bifurcation points inserted where they
    lie), the raw bifurcation records, and how the walk ended.
    """
    # Every point carries its arclength coordinate s (sum of the steps' projections on the
    # tangent), so that points located inside a step can be put in order at the end.
    pts: list[tuple[float, FloatArray, FloatArray]] = [(0.0, z_start, t_start)]
    bifs: list[tuple[float, _Raw]] = []
    notes: list[str] = []
    values = [test.value(_Point(z_start, t_start, sys)) for test in tests]
    # The last three accepted points (s, z, t, test values), for the pair check.
    hist: list[tuple[float, FloatArray, FloatArray, list[float]]] = [(0.0, z_start, t_start, values)]
    probed: list[tuple[int, float, float]] = []
    ds = opts.ds
    z, t, s = z_start, t_start, 0.0
    pname = sys.cm.model.parameters[sys.k].name

    def finish(ended: str, early: bool) -> _Walk:
        order = sorted(range(len(pts)), key=lambda i: pts[i][0])
        return _Walk(
            [pts[i][1] for i in order], [pts[i][2] for i in order],
            [raw for _, raw in sorted(bifs, key=lambda item: item[0])], ended, early, notes,
        )

    def record(raw: _Raw, s_at: float, s_lo: float, s_hi: float) -> None:
        bifs.append((s_at, raw))
        if s_lo < s_at < s_hi:
            pts.append((s_at, raw[0], raw[1]))

    for _ in range(opts.max_steps):
        z_pred = z + ds * t
        z_new, ok, its = _correct(sys, z_pred, t, tol=opts.tol, max_iter=opts.max_iter)
        t_new = _tangent(sys, z_new, t) if ok else t
        turn = math.acos(min(1.0, max(-1.0, float(t_new @ t))))
        # Reject steps that jump (corrector far from the predictor) or turn sharply.
        if ok and (np.linalg.norm(z_new - z_pred) > opts.max_angle * ds or turn > opts.max_angle):
            ok = False
        # Leaving the parameter range: end exactly on its boundary.
        leaving = False
        if ok:
            p_new = z_new[-1]
            leaving = bool(p_new < opts.p_lo or p_new > opts.p_hi)
        if leaving:
            edge = opts.p_lo if z_new[-1] < opts.p_lo else opts.p_hi
            frac = (edge - z[-1]) / (z_new[-1] - z[-1])
            z_mid = z + frac * (z_new - z)
            z_mid[-1] = edge  # exactly (the interpolation rounds)
            z_edge = _fixed_p(sys, z_mid, opts)
            if z_edge is not None and np.allclose(z_edge, z, rtol=0, atol=1e-12):
                # Already on the edge (a start on the boundary of `p_range`).
                return finish(f"reached {pname} = {z[-1]:.6g}, the end of `p_range`", False)
            if z_edge is None or np.linalg.norm(z_edge - z_mid) > opts.max_angle * ds:
                # Newton at the edge went elsewhere: not the point of this step.
                ok = False
            else:
                z_new, t_new = z_edge, _tangent(sys, z_edge, t)
        if not ok:
            if ds / 2 < opts.ds_min:
                ratio = singularity(_augmented(sys.Fz(z), t))
                if ratio < 1e-8:
                    warnings.warn(
                        f"continuation: the extended Jacobian [[F_z], [t]] of model "
                        f"`{sys.cm.model.name}` is singular or ill-conditioned (smallest singular "
                        f"value {ratio:.3g} relative) at {_fmt_z(sys, z)}, where the branch stopped",
                        RuntimeWarning,
                        stacklevel=4,
                    )
                return finish(_stuck(sys, z, ds, opts), True)
            ds /= 2
            continue
        h1 = float(t @ (z_new - z))
        s_new = s + h1
        new_values = [test.value(_Point(z_new, t_new, sys)) for test in tests]
        if opts.detect:
            changed = [j for j, (a, b) in enumerate(zip(values, new_values, strict=True)) if a * b < 0]
            names = [tests[j].kind for j in changed]
            for j in changed:
                test = tests[j]
                if test.kind == "fold" and "branch" in names:
                    continue  # the parameter turns at a branch point (a pitchfork's side branch)
                raw = _zero_in(sys, test, z, t, (0.0, z, values[j]), (h1, z_new, new_values[j]),
                               t + t_new)
                if raw is not None:
                    record(raw, s + float(t @ (raw[0] - z)), s, s_new)
        pts.append((s_new, z_new, t_new))
        hist = [*hist[-2:], (s_new, z_new, t_new, new_values)]
        if opts.detect and len(hist) == 3:
            for j, test in enumerate(tests):
                _probe_pair(sys, test, j, hist, probed, opts, record,
                            lambda s_at, z_at, t_at: pts.append((s_at, z_at, t_at)), notes)
        values = new_values
        z, t, s = z_new, t_new, s_new
        if leaving:
            return finish(f"reached {pname} = {z[-1]:.6g}, the end of `p_range`", False)
        if np.any(z[:-1] < opts.lo) or np.any(z[:-1] > opts.hi):
            return finish(
                f"left the state box (`bounds`, by default the state domains) at {_fmt_z(sys, z)}",
                False,
            )
        if len(pts) > 10 and np.linalg.norm(z - z_start) < ds and t @ t_start > 0.9:
            return finish("closed loop: the branch returned to its start", False)
        # Grow the step where the corrector is fast and the branch straight; shrink it where
        # Newton works hard or the tangent turns by more than half the allowed angle.
        if its <= 3 and turn < 0.25 * opts.max_angle:
            ds = min(ds * 1.5, opts.ds_max)
        elif its >= 6 or turn > 0.5 * opts.max_angle:
            ds = max(ds / 1.5, opts.ds_min)
    return finish(f"stopped after `max_steps` = {opts.max_steps} steps at "
                  f"{_fmt_z(sys, z)}; raise `max_steps` or `ds_max`", True)


def _vertex(pts: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Vertex ``(s, g)`` of the parabola through three points ``(s, g)``, if it is a minimum."""
    (s0, g0), (s1, g1), (s2, g2) = pts
    if not s0 < s1 < s2:
        return None
    # Newton's divided differences: g(s) = g0 + d01 (s - s0) + d2 (s - s0)(s - s1).
    d01 = (g1 - g0) / (s1 - s0)
    d12 = (g2 - g1) / (s2 - s1)
    d2 = (d12 - d01) / (s2 - s0)
    if not d2 > 0:
        return None
    sv = 0.5 * (s0 + s1) - d01 / (2 * d2)  # g'(sv) = 0
    return sv, g0 + d01 * (sv - s0) + d2 * (sv - s0) * (sv - s1)


def _probe_pair(
    sys: _System, test: _TestFunction, j: int,
    hist: list[tuple[float, FloatArray, FloatArray, list[float]]],
    probed: list[tuple[int, float, float]], opts: _Options,
    record: Any, insert: Any, notes: list[str],
) -> None:
    """Look for two zeros of test `j` between the last three points, where no step saw a change.

    A test function of one sign at three consecutive points, whose interpolating parabola dips
    to below a tenth of the smallest value between the outer points, may cross zero twice in
    between. Its minimum there is sought by successive parabolic interpolation on corrected
    points of the branch (each probe on the hyperplane ``t_a . (z - z_a) = h`` of the step
    ``(a, b)`` that holds it). A probe of the other sign splits the step into two sign
    changes, each located as usual; a minimum that the probes do not resolve from zero is
    reported in the branch's message.
    """
    sign = 1.0 if hist[1][3][j] > 0 else -1.0
    g = [sign * h[3][j] for h in hist]
    if not all(v > 0 for v in g):
        return
    fit = _vertex([(h[0], v) for h, v in zip(hist, g, strict=True)])
    if fit is None or not hist[0][0] < fit[0] < hist[2][0] or fit[1] >= 0.1 * min(g):
        return
    if any(k == j and a < fit[0] < b for k, a, b in probed):
        return
    probed.append((j, hist[0][0], hist[2][0]))
    pts = [(h[0], v) for h, v in zip(hist, g, strict=True)]
    sv = fit[0]
    for _ in range(opts.pair_probes):
        # The step (a, b) of the walk that holds sv.
        i = 0 if sv < hist[1][0] else 1
        (sa, za, ta, va), (sb, zb, _tb, vb) = hist[i], hist[i + 1]
        hb = float(ta @ (zb - za))
        found = _point_at(sys, za, ta, (sv - sa) / (sb - sa) * hb, 2.0 * float(np.linalg.norm(zb - za)))
        if found is None:
            break
        zp, tp = found
        gp = test.value(_Point(zp, tp, sys))
        if sign * gp < -1e-13 * max(g):
            # Two sign changes: (a, probe) and (probe, b), each located on the step from a.
            # (A probe at round-off below zero is not one: at a cusp the test function touches
            # zero without changing sign.)
            hp = float(ta @ (zp - za))
            insert(sv, zp, tp)  # the probe is a point of the branch, between the two zeros
            for lo, hi in (((0.0, za, va[j]), (hp, zp, gp)), ((hp, zp, gp), (hb, zb, vb[j]))):
                raw = _zero_in(sys, test, za, ta, lo, hi, ta)
                if raw is not None:
                    record(raw, sa + float(ta @ (raw[0] - za)), sa, sb)
            return
        pts = sorted([*pts, (sv, sign * gp)])
        m = int(np.argmin([v for _, v in pts]))
        if m == 0 or m == len(pts) - 1:
            return  # the minimum is at a point of the walk: no dip in between
        fit = _vertex(pts[m - 1 : m + 2])
        if fit is None or abs(fit[0] - pts[m][0]) <= 1e-15 * (1.0 + abs(pts[m][0])):
            break
        sv = fit[0]
    g_min = min(v for _, v in pts)
    if (fit is not None and fit[1] < 0) or g_min <= 1e-10 * max(v for _, v in pts):
        p_lo, p_hi = sorted((float(hist[0][1][-1]), float(hist[-1][1][-1])))
        notes.append(
            f"a pair of {test.kind} points may have been missed between "
            f"{sys.cm.model.parameters[sys.k].name} = {p_lo:.10g} and {p_hi:.10g} (the {test.kind} "
            "test function dips to zero there, but no corrected point resolved a sign change); "
            "rerun with a smaller `ds_max` over that interval"
        )


def _fixed_p(sys: _System, z: FloatArray, opts: _Options) -> FloatArray | None:
    """Newton in x at fixed p (the point of the branch on an edge of `p_range`)."""
    x = z[:-1].copy()
    p = z[-1]
    for _ in range(opts.max_iter):
        zz = np.append(x, p)
        Fv = sys.F(zz)
        if not np.all(np.isfinite(Fv)):
            return None
        if np.max(np.abs(Fv)) == 0.0:
            return zz
        try:
            dx = np.linalg.solve(sys.Fx(zz), -Fv)
        except np.linalg.LinAlgError:
            dx = np.linalg.lstsq(sys.Fx(zz), -Fv, rcond=None)[0]
        x = x + dx
        if np.max(np.abs(dx)) <= opts.tol * (1 + np.max(np.abs(x))):
            return np.append(x, p)
    return None


def _stuck(sys: _System, z: FloatArray, ds: float, opts: _Options) -> str:
    return (
        f"step size fell below `ds_min` = {opts.ds_min:g} at {_fmt_z(sys, z)}: the Newton "
        f"corrector ({opts.max_iter} iterations, tol {opts.tol:g}) did not converge from any "
        "predictor; the branch may end at a singular point or leave the model's domain. Try a "
        "smaller `ds_min` or `ds`, or start on the other side"
    )


def _fmt_z(sys: _System, z: FloatArray) -> str:
    model = sys.cm.model
    pname = model.parameters[sys.k].name
    states = ", ".join(f"{s}={v:.6g}" for s, v in zip(model.state_names, z[:-1], strict=True))
    return f"{pname}={z[-1]:.10g}, ({states})"


def _setup(
    model: Model,
    param: str,
    params: Mapping[str, float] | None,
    p_range: tuple[float, float],
) -> tuple[CompiledModel, FloatArray, int, dict[str, float], float, float]:
    if not isinstance(param, str):
        raise ModelError(f"`param` must be the name of a parameter, got {param!r:.60}")
    model.parameter(param)  # raises with the closest names
    try:
        p_lo, p_hi = (float(v) for v in p_range)
    except (TypeError, ValueError):
        raise ModelError(f"`p_range` = {p_range!r:.60} must be a pair (lo, hi) of numbers") from None
    if not (math.isfinite(p_lo) and math.isfinite(p_hi) and p_lo < p_hi):
        raise ModelError(
            f"`p_range` = ({p_lo}, {p_hi}) must be finite numbers with lo < hi"
        )
    values = resolve_params(model, params, free=(param,))
    given = dict(params or {})
    for edge in (p_lo, p_hi):
        check_value(param, edge, model)
    cm = compile_model(model)
    k = model.parameter_names.index(param)
    full = dict(values)
    full[param] = float(given.get(param, 0.5 * (p_lo + p_hi)))
    base = cm.param_vector(full)
    return cm, base, k, values, p_lo, p_hi


def continuation(
    model: Model,
    param: str,
    *,
    x0: Mapping[str, float] | Sequence[float] | FloatArray,
    params: Mapping[str, float] | None = None,
    p_range: tuple[float, float],
    p0: float | None = None,
    ds: float = 0.01,
    ds_min: float = 1e-8,
    ds_max: float = 0.1,
    max_steps: int = 2000,
    direction: str = "both",
    tol: float = 1e-10,
    max_iter: int = 10,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    detect: bool = True,
    switch_branches: bool = False,
    raise_on_failure: bool = True,
) -> Branch:
    """Follow a branch of equilibria (flow) or fixed points (map) in parameter `param`.

    Parameters
    ----------
    model : Model
    param : str
        The continuation parameter.
    x0 : mapping or array of shape (n,)
        A state near an equilibrium at the start value of the parameter.
    params : mapping of str to float, optional
        Values of the other parameters (defaults otherwise); may include `param` as the start.
    p_range : (lo, hi)
        The branch is followed while ``lo <= p <= hi`` (both ends inside the parameter's domain).
    p0 : float, optional
        Start value of `param` (default: ``params[param]``, else the parameter's default if it
        lies in `p_range`, else the middle of `p_range`).
    ds, ds_min, ds_max : float
        Initial, smallest and largest arclength step.
    max_steps : int
        Largest number of steps in each direction.
    direction : {"both", "forward", "backward"}
        Forward is increasing `param` at the start.
    tol : float
        Newton tolerance (scaled step) of the corrector.
    max_iter : int
        Newton iterations per corrector.
    bounds : mapping of state name to (lo, hi), optional
        Stop when the branch leaves this box. A state not named keeps to its declared domain
        (a share to ``[0, 1]``, a nonnegative state to ``[0, inf)``); give ``(-inf, inf)`` to
        follow it anywhere.
    detect : bool
        Detect and locate bifurcations.
    switch_branches : bool
        Also follow the other branch at every branch point, and so on at the branch points of
        the branches found (as a tree of `children`, with the same `p_range`, steps and
        `bounds`; see :func:`switch_branch`). Each branch through a branch point is followed
        once, and at most 32 branches are switched to.
    raise_on_failure : bool
        Raise :class:`ConvergenceError` when the start does not converge to an equilibrium
        (default); otherwise return an empty branch with ``status = -1``.

    Returns
    -------
    Branch

    Raises
    ------
    ModelError
        For an unknown parameter, a bad range or NaN/inf values.
    ConvergenceError
        When Newton does not reach an equilibrium from `x0` (message: what was tried).

    Warns
    -----
    RuntimeWarning
        When the Jacobian is singular or ill-conditioned at the start or along the branch,
        naming the point.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       chapter 10.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.load_model("examples/brusselator.toml")
    >>> br = ig.continuation(m, "b", x0={"x": 1.0, "y": 1.0}, params={"a": 1.0, "b": 1.0},
    ...                      p_range=(0.5, 3.0))
    >>> [(b.kind, round(b.p, 10)) for b in br.bifurcations]
    [('hopf', 2.0)]
    """
    if model.simplex:
        # Follow the branch on the simplex (the last share is 1 - the others), then lift it.
        reduced = model.reduce_simplex()
        x_full = resolve_state(model, x0)
        check_in_domain(model, x_full)
        branch = continuation(
            reduced, param, x0=x_full[:-1], params=params, p_range=p_range,
            p0=p0, ds=ds, ds_min=ds_min, ds_max=ds_max, max_steps=max_steps,
            direction=direction, tol=tol, max_iter=max_iter,
            bounds={k: v for k, v in dict(bounds or {}).items() if k != model.state_names[-1]},
            detect=detect, switch_branches=switch_branches, raise_on_failure=raise_on_failure,
        )
        return _lift(branch, model)
    cm, base, k, values, p_lo, p_hi = _setup(model, param, params, p_range)
    x_start = resolve_state(model, x0)
    check_in_domain(model, x_start)
    given = dict(params or {})
    if p0 is None:
        default = model.parameter(param).default
        if param in given:
            p0 = float(given[param])
        elif default is not None and p_lo <= default <= p_hi:
            p0 = default
        else:
            p0 = 0.5 * (p_lo + p_hi)
    p0 = check_value(param, p0, model)
    if not p_lo <= p0 <= p_hi:
        raise ModelError(f"start `{param}` = {p0} lies outside `p_range` = ({p_lo}, {p_hi})")
    if direction not in ("both", "forward", "backward"):
        raise ModelError(f"`direction` must be 'both', 'forward' or 'backward', got {direction!r}")
    _check_steps(ds, ds_min, ds_max, tol)
    lo, hi = _state_box(model, bounds)
    opts = _Options(float(ds), float(ds_min), float(ds_max), int(max_steps), float(tol),
                    int(max_iter), p_lo, p_hi, lo, hi, detect)
    sys = _System(cm, base, k)

    # Newton at fixed p from x0.
    z0 = np.append(x_start, p0)
    start = _fixed_p(sys, z0, _Options(**{**opts.__dict__, "max_iter": 50}))
    if start is None or not np.all(np.isfinite(start)):
        msg = (
            f"continuation: Newton at fixed {param} = {p0:g} did not converge to an equilibrium "
            f"of model `{model.name}` from x0 = {_fmt_z(sys, z0).split(', ', 1)[1]} (50 "
            f"iterations, tol {tol:g}); start closer to an equilibrium, e.g. from "
            "ig.find_equilibria(model, params=...)"
        )
        if raise_on_failure:
            raise ConvergenceError(msg)
        return _empty(model, param, values, msg)
    notes = _start_notes(sys, x_start, start)
    # Initial tangent: the kernel of F_z, oriented towards increasing p.
    t0 = np.linalg.svd(sys.Fz(start))[2][-1]
    if t0[-1] < 0 or (abs(t0[-1]) < 1e-12 and t0[np.argmax(np.abs(t0))] < 0):
        t0 = -t0
    ratio = singularity(sys.Fx(start))
    begin, t_begin = start, t0
    if ratio < 1e-8:
        # The start may be a bifurcation point. Test functions change sign *between* points, so
        # the walk is begun one step before it (behind it for `direction="backward"`): the
        # point then lies inside the first step and is detected and located like any other.
        sign = 1.0 if direction == "backward" else -1.0
        off = _step_off(sys, start, sign * t0, opts)
        if off is not None and opts.p_lo <= off[0][-1] <= opts.p_hi:
            begin, t_begin = off[0], sign * off[1]
    branch = _follow(sys, begin, t_begin, opts, direction, values)
    if ratio < 1e-8:
        at_start = [b for b in branch.bifurcations
                    if np.linalg.norm(b.z - start) <= 1e-6 * (1.0 + np.linalg.norm(start))]
        if at_start:
            notes.append(f"the start is a {at_start[0].kind} point ({_fmt_z(sys, start)})")
        else:
            warnings.warn(
                f"continuation: the Jacobian of model `{model.name}` is singular or "
                f"ill-conditioned (smallest singular value {ratio:.3g} relative) at the start "
                f"{_fmt_z(sys, start)}, and no bifurcation was located there; the start may be "
                "a degenerate point, where the branch direction is not unique",
                RuntimeWarning,
                stacklevel=2,
            )
    message = "; ".join([*notes, branch.message]) if notes else branch.message
    branch = replace(branch, message=message, start=start.copy(),
                     start_distance=float(np.linalg.norm(start[:-1] - x_start)))
    if switch_branches:
        branch = _switch_all(sys, branch, opts, values)
    return branch


def _step_off(
    sys: _System, z: FloatArray, tau: FloatArray, opts: _Options
) -> tuple[FloatArray, FloatArray] | None:
    """A corrected point one step from `z` along `tau` and its tangent (oriented along `tau`),
    accepted within the angle and distance of the step control; None if no step down to
    `ds_min` is accepted. The first try is half a step, so that the walk's first step (of `ds`)
    from the new point passes `z` instead of landing on it."""
    h = opts.ds / 2
    while h >= opts.ds_min:
        z_pred = z + h * tau
        z1, ok, _ = _correct(sys, z_pred, tau, tol=opts.tol, max_iter=max(opts.max_iter, 20))
        if ok and np.linalg.norm(z1 - z_pred) <= opts.max_angle * h:
            t1 = _tangent(sys, z1, tau)
            if t1 @ tau >= math.cos(opts.max_angle):
                return z1, t1
        h /= 4
    return None


def _start_notes(sys: _System, x0: FloatArray, start: FloatArray) -> list[str]:
    """What the branch's message says of its start: how far Newton moved `x0` (when beyond
    round-off) and a start outside the state domains; a warning when the start moved far."""
    model = sys.cm.model
    shown = ", ".join(f"{s}={v:.6g}" for s, v in zip(model.state_names, x0, strict=True))
    distance = float(np.linalg.norm(start[:-1] - x0))
    size = 1.0 + float(np.linalg.norm(x0))
    notes = []
    if distance > 1e-8 * size:
        notes.append(
            f"start: Newton moved x0 = ({shown}) by {distance:.3g} to the equilibrium "
            f"{_fmt_z(sys, start)}"
        )
        if distance > 1.0 + float(np.linalg.norm(start[:-1])):
            warnings.warn(
                f"continuation: x0 = ({shown}) is {distance:.3g} from the equilibrium Newton "
                f"found, {_fmt_z(sys, start)}; the branch is followed from there. Start nearer "
                "the equilibrium you mean (ig.find_equilibria lists them)",
                RuntimeWarning,
                stacklevel=3,
            )
    outside = [s for s, dom, v in zip(model.state_names, model.state_domains, start[:-1],
                                       strict=True) if not dom.contains(float(v))]
    if outside:
        notes.append(
            f"the start lies outside the domain of {', '.join(f'`{s}`' for s in outside)}"
        )
    return notes


# At most this many branches are switched to from one call (a lattice of branch points, as in
# models with many independent species, would otherwise grow without end).
_MAX_SWITCHES = 32


def _switch_all(sys: _System, root: Branch, opts: _Options, values: Mapping[str, float]) -> Branch:
    """Switch at every branch point of `root` and of the branches found, as a tree of children.

    Each branch through a branch point is followed once: a branch *covers* the pair (point, its
    own tangent there) at each of its branch points, and a switch along a direction already
    covered is skipped. So the branch point a child starts from, and a branch point where a
    child meets a branch already known (the second pitchfork of a symmetry-breaking loop),
    give no duplicate.
    """
    covered: list[tuple[FloatArray, FloatArray]] = []

    def cover(br: Branch) -> None:
        covered.extend((b.z, b.tangent) for b in br.bifurcations if b.direction is not None)

    def known(b: Bifurcation) -> bool:
        assert b.direction is not None
        d = b.direction / np.linalg.norm(b.direction)
        return any(
            zc.shape == b.z.shape and np.linalg.norm(zc - b.z) <= 1e-6 * (1.0 + np.linalg.norm(b.z))
            and tc.shape == d.shape and abs(float(tc @ d)) > 0.99
            for zc, tc in covered
        )

    switched = 0

    def grow(br: Branch) -> Branch:
        nonlocal switched
        kids: list[Branch] = []
        for b in br.bifurcations:
            if b.direction is None or known(b) or switched >= _MAX_SWITCHES:
                continue
            switched += 1
            child = _switch_at(sys, b, opts, values)
            cover(child)
            kids.append(child)
        # Siblings are all covered before any of them is grown, so that a point two of them
        # share is switched from once.
        return _with_children(br, tuple(grow(k) for k in kids))

    cover(root)
    return grow(root)


#: States may lie this far (relative to 1 + the bound) outside their declared domain before a
#: branch is stopped there: a branch on a boundary (x = 0 of a nonnegative share) stays inside.
DOMAIN_SLACK = 1e-9


def _state_box(model: Model, bounds: Mapping[str, tuple[float, float]] | None) -> tuple[FloatArray, FloatArray]:
    """The box a branch must stay in: `bounds` where given, else the state's declared domain
    (``[0, 1]`` for a share, ``[0, inf)`` for a nonnegative state), widened by DOMAIN_SLACK."""
    lo = np.full(len(model.states), -np.inf)
    hi = np.full(len(model.states), np.inf)
    for i, dom in enumerate(model.state_domains):
        if dom.kind in ("positive", "nonnegative"):
            lo[i] = -DOMAIN_SLACK
        elif dom.kind == "interval":
            a, b = float(dom.lo), float(dom.hi)  # type: ignore[arg-type]
            lo[i], hi[i] = a - DOMAIN_SLACK * (1 + abs(a)), b + DOMAIN_SLACK * (1 + abs(b))
    for key, pair in (bounds or {}).items():
        if key not in model.state_names:
            raise ModelError(
                f"`bounds` names `{key}`, which is not a state of model `{model.name}` "
                f"(states: {', '.join(model.state_names)})"
            )
        i = model.state_names.index(key)
        lo[i], hi[i] = (float(v) for v in pair)
    return lo, hi


def _empty(model: Model, param: str, values: Mapping[str, float], msg: str) -> Branch:
    n = len(model.states)
    return Branch(
        param=param, p=np.zeros(0), x=np.zeros((0, n)), stable=np.zeros(0, dtype=bool),
        eigenvalues=np.zeros((0, n), dtype=complex), state_names=model.state_names,
        params=dict(values), time=model.time, status=STATUS_FAILED, message=msg,
    )


def _follow(
    sys: _System, start: FloatArray, t0: FloatArray, opts: _Options, direction: str,
    values: Mapping[str, float],
) -> Branch:
    model = sys.cm.model
    tests = [cls() for cls in _TESTS if cls.applies(model.time, sys.n)]
    walks: list[tuple[int, _Walk]] = []
    if direction in ("both", "backward"):
        walks.append((-1, _walk(sys, start, -t0, opts, tests)))
    if direction in ("both", "forward"):
        walks.append((1, _walk(sys, start, t0, opts, tests)))
    return _assemble(sys, walks, values)


def _assemble(
    sys: _System, walks: Sequence[tuple[int, _Walk]], values: Mapping[str, float],
    joint: _Raw | None = None,
) -> Branch:
    """One branch from walks that share their first point (backward reversed, then forward).

    `joint` is a bifurcation record at the shared first point (the branch point a switched
    branch starts from).
    """
    model = sys.cm.model
    zs: list[FloatArray] = []
    bif_raw: list[_Raw] = [] if joint is None else [joint]
    for sign, w in walks:
        if sign < 0:
            zs = list(reversed(w.zs)) + zs
            bif_raw = list(reversed(w.bifs)) + bif_raw
        else:
            zs = zs + (w.zs[1:] if zs else w.zs)
            bif_raw = bif_raw + w.bifs
    Z = np.array(zs)
    lam = sys.eig(Z) if len(Z) else np.zeros((0, sys.n), complex)
    p_name = model.parameters[sys.k].name
    bifs: list[Bifurcation] = []
    for zb, tb, kind, direction_vec, freq in bif_raw:
        # The same point can be found from both directions when the walk starts on it.
        if any(b.kind == kind and abs(b.p - zb[-1]) < 1e-9 and np.allclose(b.x, zb[:-1], atol=1e-7)
               for b in bifs):
            continue
        coefficient, criticality = _criticality(sys, zb, kind)
        bifs.append(
            Bifurcation(
                kind=kind, param=p_name, p=float(zb[-1]), x=zb[:-1].copy(),
                eigenvalues=sys.eig(zb), state_names=model.state_names, tangent=tb,
                direction=direction_vec, params=dict(values), frequency=freq,
                coefficient=coefficient, criticality=criticality,
            )
        )
    early = any(w.early for _, w in walks)
    labels = {-1: "backward", 1: "forward"}
    message = "; ".join(f"{labels[s]}: {w.ended}" for s, w in walks)
    notes = [note for _, w in walks for note in w.notes]
    if notes:
        message += "; " + "; ".join(notes)
    return Branch(
        param=p_name, p=Z[:, -1].copy(), x=Z[:, :-1].copy(),
        stable=np.asarray(is_stable(model.time, lam), dtype=bool).reshape(len(Z)),
        eigenvalues=lam, bifurcations=tuple(bifs), state_names=model.state_names,
        params=dict(values), time=model.time,
        status=STATUS_STOPPED if early else STATUS_COMPLETE, message=message,
        nsteps=len(Z) - 1,
    )


def _criticality(sys: _System, zb: FloatArray, kind: str) -> tuple[float | None, str | None]:
    """The criticality coefficient and class of a Hopf, flip or Neimark-Sacker point; None
    for other kinds and where the coefficient is not defined (ModelError of the formula)."""
    if kind not in ("hopf", "flip", "neimark_sacker"):
        return None, None
    try:
        nf = normal_form_coefficient(sys.cm, zb[:-1], sys.pvec(zb[-1]), kind)
    except ModelError:
        return None, None
    return float(nf.coefficient), nf.criticality


def _clear(
    sys: _System, zb: FloatArray, tau: FloatArray, t_parent: FloatArray, opts: _Options
) -> tuple[FloatArray, FloatArray] | None:
    """The first point of the other branch: a corrected step along `tau` that clears the point.

    On the hyperplane ``tau . (z - zb) = h`` the other branch lies ``O(h^2)`` from the
    prediction and the parent branch ``h tan(angle)`` from it, so Newton from the prediction
    lands on the other branch. The step is accepted only when the corrected point stays within
    ``max_angle * h`` of the prediction and its tangent is closer to `tau` than to the parent's
    tangent (not back on the branch the switch came from).
    """
    h = max(opts.ds, 1e3 * opts.ds_min)
    while h >= opts.ds_min:
        z_pred = zb + h * tau
        z1, ok, _ = _correct(sys, z_pred, tau, tol=opts.tol, max_iter=max(opts.max_iter, 20))
        if ok and np.linalg.norm(z1 - z_pred) <= opts.max_angle * h:
            t1 = _tangent(sys, z1, tau)
            if abs(t1 @ tau) > abs(t1 @ t_parent) and t1 @ tau >= math.cos(opts.max_angle):
                return z1, t1
        h /= 4
    return None


def _switch(
    sys: _System, zb: FloatArray, tau: FloatArray, t_parent: FloatArray, kind: str,
    opts: _Options, values: Mapping[str, float],
) -> Branch:
    """Follow the other branch through the branch point `zb` both ways along its tangent `tau`.

    Each direction starts with a step that clears the branch point (:func:`_clear`), so neither
    stalls on it nor retraces the parent branch; the branch point joins the two halves and is
    recorded on the new branch too (its `direction` is then the parent branch's tangent).
    """
    model = sys.cm.model
    pname = model.parameters[sys.k].name
    tests = [cls() for cls in _TESTS if cls.applies(model.time, sys.n)]
    walks: list[tuple[int, _Walk]] = []
    failed = []
    for sign in (-1, 1):
        first = _clear(sys, zb, sign * tau, t_parent, opts)
        label = "backward" if sign < 0 else "forward"
        if first is None:
            failed.append(label)
            walks.append((sign, _Walk([zb], [sign * tau], [],
                                      "the corrector did not converge on the other branch", True)))
            continue
        z1, t1 = first
        if not opts.p_lo <= z1[-1] <= opts.p_hi:
            walks.append((sign, _Walk([zb], [sign * tau], [],
                                      f"reached {pname} = {zb[-1]:.6g}, the end of `p_range`", False)))
            continue
        w = _walk(sys, z1, t1, opts, tests)
        w.zs.insert(0, zb)
        w.ts.insert(0, sign * tau)
        walks.append((sign, w))
        if w.ended.startswith("closed loop"):
            break  # the other way round is the same loop
    if len(failed) == 2:
        return _empty(model, pname, values,
                      f"branch switching at the {kind} point {pname} = {zb[-1]:.10g} failed: "
                      "the corrector did not converge on the other branch")
    joint: _Raw = (zb, tau, kind, t_parent, None)
    return _assemble(sys, walks, values, joint)


def _switch_at(sys: _System, bif: Bifurcation, opts: _Options, values: Mapping[str, float]) -> Branch:
    assert bif.direction is not None
    tau = bif.direction / np.linalg.norm(bif.direction)
    t_parent = bif.tangent if bif.tangent.shape == tau.shape else np.zeros_like(tau)
    return _switch(sys, bif.z, tau, t_parent, bif.kind, opts, values)


def _with_children(branch: Branch, children: tuple[Branch, ...]) -> Branch:
    return replace(branch, children=children)


def _lift(branch: Branch, model: Model) -> Branch:
    """A branch of ``model.reduce_simplex()`` in the coordinates of the simplex model.

    States gain the eliminated last share ``1 - sum``; eigenvalues stay those of the dynamics
    on the simplex (n - 1 of them), tangents stay in the reduced coordinates.
    """

    def up(x: FloatArray) -> FloatArray:
        return np.concatenate([x, 1.0 - np.sum(x, axis=-1, keepdims=True)], axis=-1)

    return replace(
        branch,
        x=up(branch.x),
        start=np.append(up(branch.start[:-1]), branch.start[-1]) if branch.start.size else branch.start,
        state_names=model.state_names,
        bifurcations=tuple(
            replace(b, x=up(b.x), state_names=model.state_names) for b in branch.bifurcations
        ),
        children=tuple(_lift(c, model) for c in branch.children),
    )


def switch_branch(
    model: Model,
    bifurcation: Bifurcation,
    *,
    p_range: tuple[float, float],
    params: Mapping[str, float] | None = None,
    ds: float = 0.01,
    ds_min: float = 1e-8,
    ds_max: float = 0.1,
    max_steps: int = 2000,
    tol: float = 1e-10,
    max_iter: int = 10,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    detect: bool = True,
) -> Branch:
    """Follow the other branch through a branch point (transcritical, pitchfork).

    The other branch's tangent is a root of the algebraic branching equation at the point (kept
    in ``bifurcation.direction``). Both directions along it start with a corrected step that
    clears the branch point and is checked to lie on the other branch, not on the one the
    branch point was found on; the branch point itself is the joint of the two halves and is
    one of the new branch's bifurcations (with the first branch's tangent as its `direction`,
    so switching from it again returns to the first branch).

    Parameters
    ----------
    model : Model
    bifurcation : Bifurcation
        A branch point from :func:`continuation` (its `direction` is the other branch's tangent).
    p_range : (lo, hi)
    params : mapping, optional
        The other parameters (default: those of the bifurcation).
    ds, ds_min, ds_max, max_steps, tol, max_iter, bounds, detect
        As in :func:`continuation`; `ds` is also the length of the first step off the point.

    Returns
    -------
    Branch

    Raises
    ------
    ModelError
        When `bifurcation` is not a branch point with a known direction, or for a bad range,
        step or bound.

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       sec. 10.2.2 (the algebraic branching equation).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
    >>> trivial = ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1))
    >>> other = ig.switch_branch(m, trivial.bifurcations[0], p_range=(-1, 1),
    ...                          bounds={"x": (-0.5, 2)})
    >>> bool(abs(other.x[:, 0] - other.p).max() < 1e-9)   # the branch x = p
    True
    >>> round(float(other.p.min()), 1), other.bifurcations[0].kind   # stopped by `bounds`
    (-0.5, 'transcritical')
    """
    if not isinstance(bifurcation, Bifurcation) or bifurcation.direction is None:
        raise ModelError(
            f"`bifurcation` must be a branch point (transcritical or pitchfork) found by "
            f"continuation, got {getattr(bifurcation, 'kind', bifurcation)!r:.60}; only branch "
            "points have a second branch to switch to"
        )
    if model.simplex:
        reduced = model.reduce_simplex()
        down = replace(bifurcation, x=bifurcation.x[:-1], state_names=reduced.state_names)
        return _lift(
            switch_branch(reduced, down, p_range=p_range, params=params, ds=ds, ds_min=ds_min,
                          ds_max=ds_max, max_steps=max_steps, tol=tol, max_iter=max_iter,
                          bounds={k: v for k, v in dict(bounds or {}).items()
                                  if k != model.state_names[-1]},
                          detect=detect),
            model,
        )
    merged = {**bifurcation.params, **dict(params or {})}
    merged[bifurcation.param] = bifurcation.p
    cm, base, k, values, p_lo, p_hi = _setup(model, bifurcation.param, merged, p_range)
    _check_steps(ds, ds_min, ds_max, tol)
    lo, hi = _state_box(model, bounds)
    opts = _Options(float(ds), float(ds_min), float(ds_max), int(max_steps), float(tol),
                    int(max_iter), p_lo, p_hi, lo, hi, detect)
    return _switch_at(_System(cm, base, k), bifurcation, opts, values)


def _check_steps(ds: float, ds_min: float, ds_max: float, tol: float) -> None:
    for name, v in (("ds", ds), ("ds_min", ds_min), ("ds_max", ds_max), ("tol", tol)):
        if not (isinstance(v, int | float) and v > 0 and math.isfinite(v)):
            raise ModelError(f"`{name}` must be a positive number, got {v!r}")
    if not ds_min <= ds <= ds_max:
        raise ModelError(f"steps must satisfy ds_min <= ds <= ds_max, got {ds_min}, {ds}, {ds_max}")
