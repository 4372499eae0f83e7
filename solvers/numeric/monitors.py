"""Test functions of one-parameter continuation: one small class each, one hook.

A bifurcation is detected where its test function changes sign between two points of the
branch, and located by Brent's method on corrected points between them (:mod:`.walk`).

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
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   chapter 10 (test functions, branch switching).
.. [2] E. L. Allgower and K. Georg, *Introduction to Numerical Continuation Methods*, SIAM,
   2003, chapter 8 (the orientation test for branch points).

Examples
--------
>>> [m.kind for m in MONITORS]
['branch', 'fold', 'hopf', 'flip', 'neimark_sacker']
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.optimize import root

from .arclength import ArclengthSystem, augmented
from .branch import ComplexArray
from .compile import (
    FloatArray,
)

__all__ = ["MONITORS"]

# --------------------------------------------------------------------------------------------
# Test functions: one small class each, one hook.


@dataclass
class MonitorPoint:
    """What test functions see at a point of the branch."""

    z: FloatArray
    t: FloatArray
    sys: ArclengthSystem
    _eig: ComplexArray | None = None

    @property
    def eig(self) -> ComplexArray:
        if self._eig is None:
            self._eig = self.sys.eig(self.z)
        return self._eig


class Monitor:
    """A test function that changes sign at one kind of bifurcation."""

    kind: ClassVar[str]
    time: ClassVar[tuple[str, ...]] = ("continuous", "discrete")
    min_states: ClassVar[int] = 1

    @classmethod
    def applies(cls, time: str, n: int) -> bool:
        return time in cls.time and n >= cls.min_states

    def value(self, pt: MonitorPoint) -> float:
        raise NotImplementedError

    def confirm(self, pt: MonitorPoint) -> tuple[bool, float | None]:
        """Whether a located zero is a bifurcation of this kind (and its frequency)."""
        return True, None


class _FoldTest(Monitor):
    # Fold (limit point): the parameter is extremal along the branch, dp/ds = 0.
    kind = "fold"

    def value(self, pt: MonitorPoint) -> float:
        return float(pt.t[-1])


class _BranchPointTest(Monitor):
    # Simple branch point: det [[F_z], [t^T]] changes sign (orientation test), not at a fold.
    kind = "branch"

    def value(self, pt: MonitorPoint) -> float:
        # Only the sign and the zero matter: the determinant from its logarithm, capped, does
        # not overflow on a branch that runs off to large states.
        sign, logdet = np.linalg.slogdet(augmented(pt.sys.Fz(pt.z), pt.t))
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


class _HopfTest(Monitor):
    # Hopf: a pair l, -l crosses; the bialternate product prod_{i<j} (l_i + l_j) vanishes.
    # It also vanishes at neutral saddles (real l, -l), which confirm() rejects.
    kind = "hopf"
    time = ("continuous",)
    min_states = 2

    def value(self, pt: MonitorPoint) -> float:
        return _pair_products(pt.eig, "sum")[0]

    def confirm(self, pt: MonitorPoint) -> tuple[bool, float | None]:
        lam = pt.eig
        _, (i, _j) = _pair_products(lam, "sum")
        omega = abs(lam[i].imag)
        scale = 1.0 + float(np.max(np.abs(lam)))
        return bool(omega > 1e-6 * scale and abs(lam[i].real) < 1e-6 * scale), float(omega)


class _FlipTest(Monitor):
    # Flip (period doubling): a multiplier crosses -1; det(D f + I) = prod (1 + mu_i) vanishes.
    kind = "flip"
    time = ("discrete",)

    def value(self, pt: MonitorPoint) -> float:
        return float(np.prod(1.0 + pt.eig).real)


class _NeimarkSackerTest(Monitor):
    # Neimark-Sacker: a complex pair crosses the unit circle, mu_i mu_j = |mu|^2 = 1.
    kind = "neimark_sacker"
    time = ("discrete",)
    min_states = 2

    def value(self, pt: MonitorPoint) -> float:
        return _pair_products(pt.eig, "product")[0]

    def confirm(self, pt: MonitorPoint) -> tuple[bool, float | None]:
        lam = pt.eig
        _, (i, _j) = _pair_products(lam, "product")
        angle = abs(float(np.angle(lam[i])))
        ok = abs(lam[i].imag) > 1e-6 and abs(abs(lam[i]) - 1.0) < 1e-6
        return bool(ok), angle


MONITORS: tuple[type[Monitor], ...] = (
    _BranchPointTest,
    _FoldTest,
    _HopfTest,
    _FlipTest,
    _NeimarkSackerTest,
)


def polish_branch_point(sys: ArclengthSystem, z: FloatArray, radius: float) -> FloatArray | None:
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


def classify_branch_point(
    sys: ArclengthSystem, z: FloatArray, t_in: FloatArray
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
