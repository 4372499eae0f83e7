"""Periodic orbits as a boundary-value problem: orthogonal collocation, as in AUTO.

A cycle of period ``T`` of ``x' = f(x, p)`` is written in scaled time ``tau = t / T`` in
``[0, 1]``: ``u' = T f(u, p)``, ``u(0) = u(1)``, plus a phase condition that picks one point of
the family of time shifts (Doedel, Keller and Kernevez 1991):

- ``[0, 1]`` is divided by a mesh ``0 = tau_0 < ... < tau_N = 1`` into ``N`` intervals;
- on each interval ``u`` is the polynomial of degree ``m`` through its values at ``m + 1``
  equally spaced nodes (the last node of an interval is the first of the next), so the orbit is
  ``N m + 1`` node values;
- the differential equation holds at the ``m`` Gauss-Legendre points of each interval
  (orthogonal collocation: the error at the mesh points is ``O(h^{2m})``, de Boor and Swartz
  1973);
- the integral phase condition ``int_0^1 <u(tau), u_ref'(tau)> dtau = 0`` makes the orbit the
  time shift of ``u`` closest to a reference ``u_ref`` (the previous orbit of a continuation);
  Gauss quadrature with ``m`` points integrates it exactly.

Unknowns ``z = (U / sqrt(N m + 1), T, p)``: the node values (scaled so that the Euclidean norm of
the orbit part approximates the ``L2`` norm of the orbit), the period and the continuation
parameter. Equations: ``n N m`` collocation, ``n`` periodicity and one phase condition, one fewer
than the unknowns, so :class:`CycleSystem` is the branch equation of a pseudo-arclength
continuation exactly as :class:`~.arclength.ArclengthSystem` is for equilibria, and the same
corrector (:func:`~.arclength.correct`) follows it.

The Floquet multipliers come from the same linear system: eliminating the interior nodes of each
interval gives the matrix that maps ``du(tau_j)`` to ``du(tau_{j+1})``; their product over the
mesh is the monodromy matrix of the collocation solution (AUTO's condensation of parameters,
Fairgrieve and Jepson 1991). One multiplier is 1 (the direction of the flow); its distance from 1
measures the discretization error. The mesh is adapted by equidistributing an estimate of the
``(m + 1)``-th derivative of the orbit (Russell and Christiansen 1978, as AUTO's ``IAD``).

References
----------
.. [1] E. J. Doedel, H. B. Keller and J.-P. Kernevez, "Numerical analysis and control of
   bifurcation problems (II): bifurcation in infinite dimensions", *Int. J. Bifurcation and
   Chaos* 1 (1991), 745-772 (collocation of periodic orbits, the integral phase condition).
.. [2] C. de Boor and B. Swartz, "Collocation at Gaussian points", *SIAM J. Numer. Anal.* 10
   (1973), 582-606.
.. [3] T. F. Fairgrieve and A. D. Jepson, "O.K. Floquet multipliers", *SIAM J. Numer. Anal.* 28
   (1991), 1446-1462.
.. [4] R. D. Russell and J. Christiansen, "Adaptive mesh selection strategies for solving
   boundary value problems", *SIAM J. Numer. Anal.* 15 (1978), 59-80.
.. [5] E. J. Doedel et al., *AUTO-07P: continuation and bifurcation software for ordinary
   differential equations*, Concordia University, 2007 (manual, chapter 10).

Examples
--------
A circle of radius 1 and period ``2 pi`` solves ``x' = x (mu - r^2) - y, y' = y (mu - r^2) + x``
at ``mu = 1``: interpolated on the mesh, it leaves a collocation residual of the order of the
interpolation error, and the monodromy matrix has the multipliers 1 (trivial) and
``exp(-4 pi)`` (the radial contraction over one period).

>>> import numpy as np
>>> import incentive_geometry as ig
>>> from incentive_geometry.solvers.numeric.compile import compile_model
>>> m = ig.Model.from_equations(
...     {"x": "x*(mu - x**2 - y**2) - y", "y": "y*(mu - x**2 - y**2) + x"}, parameters={"mu": 1})
>>> mesh = CollocationMesh.uniform(20, 4)
>>> tau = mesh.nodes()
>>> U = np.column_stack([np.cos(2 * np.pi * tau), np.sin(2 * np.pi * tau)])
>>> sys = CycleSystem(compile_model(m), np.array([1.0]), 0, mesh, reference=U)
>>> z = sys.pack(U, 2 * np.pi, 1.0)
>>> bool(np.max(np.abs(sys.F(z))) < 1e-6)
True
>>> mu = np.sort(np.linalg.eigvals(sys.monodromy(z)).real)
>>> bool(abs(mu[1] - 1) < 1e-6), bool(abs(mu[0] / np.exp(-4 * np.pi) - 1) < 1e-4)
(True, True)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .compile import CompiledModel, FloatArray

__all__ = [
    "CollocationMesh",
    "CycleSystem",
    "lagrange_matrices",
]

ComplexArray = np.ndarray[Any, np.dtype[np.complex128]]


def lagrange_matrices(m: int, s: Any) -> tuple[FloatArray, FloatArray]:
    """Values and derivatives of the Lagrange basis on ``m + 1`` equally spaced nodes of [0, 1].

    Parameters
    ----------
    m : int
        The degree (``m + 1`` nodes ``k / m``).
    s : array of shape (q,)
        Points of [0, 1] where the basis is evaluated.

    Returns
    -------
    L, D : arrays of shape (q, m + 1)
        ``L[i, k] = l_k(s_i)`` and ``D[i, k] = l_k'(s_i)``.

    Examples
    --------
    >>> import numpy as np
    >>> L, D = lagrange_matrices(2, np.array([0.0, 0.25]))
    >>> (L.round(4) + 0.0).tolist(), D[0].round(4).tolist()
    ([[1.0, 0.0, 0.0], [0.375, 0.75, -0.125]], [-3.0, 4.0, -1.0])
    """
    s = np.atleast_1d(np.asarray(s, dtype=float))
    nodes = np.arange(m + 1) / m
    L = np.ones((len(s), m + 1))
    D = np.zeros((len(s), m + 1))
    for k in range(m + 1):
        others = [j for j in range(m + 1) if j != k]
        denom = np.prod([nodes[k] - nodes[j] for j in others])
        L[:, k] = np.prod([s - nodes[j] for j in others], axis=0) / denom
        # Derivative of the product: sum over the factor left out.
        acc = np.zeros(len(s))
        for leave in others:
            rest = [j for j in others if j != leave]
            acc += np.prod([s - nodes[j] for j in rest], axis=0) if rest else 1.0
        D[:, k] = acc / denom
    return L, D


@dataclass(frozen=True)
class CollocationMesh:
    """A mesh of [0, 1] and the collocation constants of degree `m`.

    Attributes
    ----------
    tau : array of shape (N + 1,)
        Mesh points, ``tau[0] = 0``, ``tau[-1] = 1``.
    m : int
        Collocation points per interval (the degree of the piecewise polynomial).

    Examples
    --------
    >>> mesh = CollocationMesh.uniform(4, 3)
    >>> mesh.intervals, mesh.n_nodes, mesh.nodes()[:4].round(4).tolist()
    (4, 13, [0.0, 0.0833, 0.1667, 0.25])
    """

    tau: FloatArray
    m: int

    @classmethod
    def uniform(cls, intervals: int, m: int) -> CollocationMesh:
        """`intervals` equal intervals with `m` collocation points each.

        Parameters
        ----------
        intervals, m : int

        Returns
        -------
        CollocationMesh

        Examples
        --------
        >>> CollocationMesh.uniform(2, 4).tau.tolist()
        [0.0, 0.5, 1.0]
        """
        return cls(np.linspace(0.0, 1.0, intervals + 1), m)

    @property
    def intervals(self) -> int:
        return len(self.tau) - 1

    @property
    def n_nodes(self) -> int:
        return self.intervals * self.m + 1

    @property
    def h(self) -> FloatArray:
        return np.diff(self.tau)

    def nodes(self) -> FloatArray:
        """The ``N m + 1`` node times of the orbit's values."""
        frac = np.arange(self.m) / self.m
        inner = (self.tau[:-1, None] + self.h[:, None] * frac[None, :]).ravel()
        return np.append(inner, 1.0)

    def gauss(self) -> tuple[FloatArray, FloatArray]:
        """Gauss-Legendre points and weights on [0, 1] (``m`` of them)."""
        g, w = np.polynomial.legendre.leggauss(self.m)
        return 0.5 * (g + 1.0), 0.5 * w

    def evaluate(self, U: FloatArray, t: Any) -> FloatArray:
        """The piecewise polynomial with node values `U` at the times `t` (taken modulo 1).

        Parameters
        ----------
        U : array of shape (n_nodes, n)
        t : array of shape (q,)

        Returns
        -------
        array of shape (q, n)
        """
        t = np.mod(np.atleast_1d(np.asarray(t, dtype=float)), 1.0)
        j = np.clip(np.searchsorted(self.tau, t, side="right") - 1, 0, self.intervals - 1)
        s = (t - self.tau[j]) / self.h[j]
        L, _ = lagrange_matrices(self.m, s)
        idx = j[:, None] * self.m + np.arange(self.m + 1)[None, :]
        return np.einsum("qk,qkn->qn", L, U[idx])

    def blocks(self, U: FloatArray) -> FloatArray:
        """The node values of each interval: shape (N, m + 1, n)."""
        idx = np.arange(self.intervals)[:, None] * self.m + np.arange(self.m + 1)[None, :]
        return U[idx]

    def error_density(self, U: FloatArray) -> FloatArray:
        """Per-interval estimate of ``|u^(m+1)|^(1/(m+1))`` (the density equidistributed).

        The ``m``-th derivative of the polynomial of an interval is a constant; its jumps between
        neighbouring intervals, divided by their mean width, estimate the ``(m + 1)``-th
        derivative (Russell and Christiansen 1978; AUTO's mesh adaptation).
        """
        m = self.m
        # m-th derivative of the Lagrange basis on [0, 1]: m! times the leading coefficients.
        nodes = np.arange(m + 1) / m
        lead = np.array(
            [
                1.0 / np.prod([nodes[k] - nodes[j] for j in range(m + 1) if j != k])
                for k in range(m + 1)
            ]
        )
        dm = math.factorial(m) * np.einsum("k,jkn->jn", lead, self.blocks(U)) / self.h[:, None] ** m
        jump = dm - np.roll(dm, 1, axis=0)  # at tau_j, between intervals j - 1 and j (periodic)
        width = 0.5 * (self.h + np.roll(self.h, 1))
        at_points = np.max(np.abs(jump), axis=1) / width
        per_interval = 0.5 * (at_points + np.roll(at_points, -1))
        return np.asarray(per_interval ** (1.0 / (m + 1)))

    def adapted(self, U: FloatArray, intervals: int | None = None) -> CollocationMesh:
        """A mesh equidistributing :meth:`error_density` (a floor keeps every interval finite)."""
        N = intervals or self.intervals
        rho = self.error_density(U)
        rho = np.maximum(rho, 0.05 * float(np.mean(rho)) + 1e-300)
        cum = np.concatenate([[0.0], np.cumsum(rho * self.h)])
        cum /= cum[-1]
        tau = np.interp(np.linspace(0.0, 1.0, N + 1), cum, self.tau)
        tau[0], tau[-1] = 0.0, 1.0
        # Neighbouring intervals may differ in width by a bounded factor only.
        return CollocationMesh(tau, self.m)


class CycleSystem:
    """The collocation equations of a cycle, ``F(z) = 0`` with ``z = (U / sigma, T, p)``.

    Duck-types :class:`~.arclength.ArclengthSystem` (``n``, ``F``, ``Fz``), so the
    pseudo-arclength corrector and tangent of equilibrium continuation follow cycles too.

    Parameters
    ----------
    cm : CompiledModel
    base : array of shape (m,)
        Parameter vector; entry `k` is the continuation parameter.
    k : int
    mesh : CollocationMesh
    reference : array of shape (n_nodes, n)
        The reference orbit of the phase condition.

    Examples
    --------
    The residual of a guess and its sparse Jacobian (one row fewer than unknowns):

    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> m = ig.Model.from_equations({"x": "-y", "y": "x"}, parameters={"k": 1})
    >>> mesh = CollocationMesh.uniform(8, 3)
    >>> tau = mesh.nodes()
    >>> U = np.column_stack([np.cos(2 * np.pi * tau), np.sin(2 * np.pi * tau)])
    >>> sys = CycleSystem(compile_model(m), np.array([1.0]), 0, mesh, reference=U)
    >>> z = sys.pack(U, 2 * np.pi, 1.0)
    >>> sys.F(z).shape, sys.Fz(z).shape
    ((51,), (51, 52))
    """

    def __init__(
        self,
        cm: CompiledModel,
        base: FloatArray,
        k: int,
        mesh: CollocationMesh,
        reference: FloatArray,
    ) -> None:
        self.cm = cm
        self.base = np.asarray(base, dtype=float).copy()
        self.k = k
        self.dim = cm.n
        self.set_mesh(mesh)
        self.set_reference(reference)

    # -- layout --------------------------------------------------------------------------

    def set_mesh(self, mesh: CollocationMesh) -> None:
        self.mesh = mesh
        g, w = mesh.gauss()
        self.L, self.D = lagrange_matrices(mesh.m, g)
        self.w = w
        self.sigma = 1.0 / math.sqrt(mesh.n_nodes)
        self.n = self.dim * mesh.n_nodes + 1  # equations (= unknowns - 1)
        # Row and column of every entry of the interval blocks, in blk.ravel() order.
        n, m, N = self.dim, mesh.m, mesh.intervals
        r = np.arange(N)[:, None, None] * m * n + np.arange(m * n)[None, :, None]
        c = np.arange(N)[:, None, None] * m * n + np.arange((m + 1) * n)[None, None, :]
        self._blk_rows = np.broadcast_to(r, (N, m * n, (m + 1) * n)).ravel()
        self._blk_cols = np.broadcast_to(c, (N, m * n, (m + 1) * n)).ravel()

    def set_reference(self, U_ref: FloatArray) -> None:
        """Phase condition against `U_ref`: the row ``d/dU int <u, u_ref'>``."""
        blocks = self.mesh.blocks(np.asarray(U_ref, dtype=float))
        dref = np.einsum("ik,jkn->jin", self.D, blocks)  # h_j * u_ref'(gauss point), (N, m, n)
        # int <u, u_ref'> = sum_j sum_i w_i <sum_k L_ik u_jk, dref_ji> (the h_j cancel)
        row = np.zeros((self.mesh.n_nodes, self.dim))
        contrib = np.einsum("i,ik,jin->jkn", self.w, self.L, dref)  # (N, m + 1, n)
        idx = np.arange(self.mesh.intervals)[:, None] * self.mesh.m + np.arange(self.mesh.m + 1)
        np.add.at(row, idx, contrib)
        self.phase_row = row.ravel()
        self.U_ref = np.asarray(U_ref, dtype=float).copy()

    def pack(self, U: FloatArray, T: float, p: float) -> FloatArray:
        return np.concatenate([np.asarray(U, dtype=float).ravel() * self.sigma, [T, p]])

    def unpack(self, z: FloatArray) -> tuple[FloatArray, float, float]:
        U = (z[:-2] / self.sigma).reshape(self.mesh.n_nodes, self.dim)
        return U, float(z[-2]), float(z[-1])

    def pvec(self, p: float) -> FloatArray:
        v = self.base.copy()
        v[self.k] = p
        return v

    # -- the equations -------------------------------------------------------------------

    def _at_gauss(self, U: FloatArray) -> tuple[FloatArray, FloatArray]:
        blocks = self.mesh.blocks(U)  # (N, m + 1, n)
        ug = np.einsum("ik,jkn->jin", self.L, blocks)  # (N, m, n)
        du = np.einsum("ik,jkn->jin", self.D, blocks)  # h_j u'
        return ug, du

    def F(self, z: FloatArray) -> FloatArray:
        U, T, p = self.unpack(z)
        ug, du = self._at_gauss(U)
        pv = self.pvec(p)
        f = self.cm.rhs(
            ug.reshape(-1, self.dim), np.broadcast_to(pv, (ug.shape[0] * ug.shape[1], len(pv)))
        )
        f = f.reshape(ug.shape)
        h = self.mesh.h[:, None, None]
        colloc = du - h * T * f
        periodic = U[0] - U[-1]
        phase = self.phase_row @ U.ravel()
        return np.concatenate([colloc.ravel(), periodic, [phase]])

    def _blocks(
        self, U: FloatArray, T: float, p: float
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Collocation blocks ``(N, m n, (m + 1) n)``, ``h f`` and ``h T f_p`` at the Gauss points."""
        mesh, n, m, N = self.mesh, self.dim, self.mesh.m, self.mesh.intervals
        ug, _ = self._at_gauss(U)
        pv = self.pvec(p)
        flat = ug.reshape(-1, n)
        P = np.broadcast_to(pv, (len(flat), len(pv)))
        J = self.cm.jac(flat, P).reshape(N, m, n, n)
        # blk[j, i, a, k, b] = D[i, k] delta_ab - h_j T L[i, k] J_ab(u_ji)
        blk = (
            self.D[None, :, None, :, None] * np.eye(n)[None, None, :, None, :]
            - (mesh.h * T)[:, None, None, None, None]
            * self.L[None, :, None, :, None]
            * J[:, :, :, None, :]
        ).reshape(N, m * n, (m + 1) * n)
        h = mesh.h[:, None, None]
        hf = (h * self.cm.rhs(flat, P).reshape(N, m, n)).ravel()
        hfp = (h * T * self.cm.dfdp(flat, P)[..., self.k].reshape(N, m, n)).ravel()
        return blk, hf, hfp

    def Fz(self, z: FloatArray) -> Any:
        """The Jacobian of :meth:`F`, sparse (``scipy.sparse.csr_matrix``, shape (n, n + 1))."""
        U, T, p = self.unpack(z)
        blk, hf, hfp = self._blocks(U, T, p)
        n, nn = self.dim, self.mesh.n_nodes
        ncol = self.mesh.intervals * self.mesh.m * n
        rows_T = np.arange(ncol)
        periodic_rows = ncol + np.arange(n)
        phase = ncol + n
        data = np.concatenate(
            [
                blk.ravel() / self.sigma,
                -hf,
                -hfp,
                np.full(n, 1.0 / self.sigma),
                np.full(n, -1.0 / self.sigma),
                self.phase_row / self.sigma,
            ]
        )
        rows = np.concatenate(
            [
                self._blk_rows,
                rows_T,
                rows_T,
                periodic_rows,
                periodic_rows,
                np.full(nn * n, phase),
            ]
        )
        cols = np.concatenate(
            [
                self._blk_cols,
                np.full(ncol, nn * n),
                np.full(ncol, nn * n + 1),
                np.arange(n),
                (nn - 1) * n + np.arange(n),
                np.arange(nn * n),
            ]
        )
        return scipy.sparse.csr_matrix((data, (rows, cols)), shape=(self.n, self.n + 1))

    def solve_bordered(
        self, z: FloatArray, t: FloatArray, rhs: FloatArray, *, least_squares: bool = True
    ) -> FloatArray:
        """Solve ``[[F_z], [t^T]] dz = rhs`` by sparse LU (SuperLU)."""
        A = scipy.sparse.vstack([self.Fz(z), scipy.sparse.csr_matrix(t[None, :])]).tocsc()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", scipy.sparse.linalg.MatrixRankWarning)
                out = scipy.sparse.linalg.splu(A).solve(np.asarray(rhs, dtype=float))
            if np.all(np.isfinite(out)):
                return np.asarray(out)
        except RuntimeError:  # "Factor is exactly singular"
            pass
        if not least_squares:
            raise np.linalg.LinAlgError("singular bordered collocation matrix")
        return np.asarray(np.linalg.lstsq(A.toarray(), rhs, rcond=None)[0])

    # -- linear stability ----------------------------------------------------------------

    def interval_maps(self, z: FloatArray) -> FloatArray:
        """For each interval, the matrix mapping ``du(tau_j)`` to the interval's other nodes
        ``du(tau_j + k h_j / m)``, ``k = 1..m`` (shape (N, m n, n)), of the linearized collocation
        equations at fixed ``T`` and ``p``: the condensation of parameters (Fairgrieve and
        Jepson 1991)."""
        U, T, p = self.unpack(z)
        blk, _, _ = self._blocks(U, T, p)
        n = self.dim
        left, right = blk[:, :, :n], blk[:, :, n:]
        return np.asarray(-np.linalg.solve(right, left))

    def monodromy(self, z: FloatArray) -> FloatArray:
        """The monodromy matrix of the collocation solution (product of the interval maps)."""
        maps = self.interval_maps(z)[:, -self.dim :, :]
        M = np.eye(self.dim)
        for Mj in maps:
            M = Mj @ M
        return M

    def floquet_function(self, z: FloatArray, v0: FloatArray) -> FloatArray:
        """The solution of the linearized equations at every node started from ``v0`` at tau = 0."""
        inner = self.interval_maps(z)
        n, m = self.dim, self.mesh.m
        out = np.zeros((self.mesh.n_nodes, n), dtype=np.result_type(v0, float))
        out[0] = v0
        v = np.asarray(v0)
        for j, Ij in enumerate(inner):
            vals = (Ij @ v).reshape(m, n)
            out[j * m + 1 : j * m + m + 1] = vals
            v = vals[-1]
        return out
