"""Periodic orbits: limit cycles, their continuation in one parameter and their bifurcations.

:func:`cycles` follows a family of periodic orbits of a flow in one parameter, started from a
Hopf point of a :class:`~.branch.Branch` (the first Lyapunov coefficient predicts on which side
of it the cycles lie), from a period-doubling point of another cycle branch (switching onto the
doubled orbit), from a trajectory that has settled on a cycle, or from a user's guess of one
period. Each orbit is the solution of the collocation problem of :mod:`.collocation` (orthogonal
collocation with an integral phase condition, as in AUTO); the family is followed by the same
pseudo-arclength corrector as branches of equilibria, in ``(orbit, period, parameter)``, with
the mesh adapted every few steps.

Along the branch the Floquet multipliers (from the collocation system's monodromy matrix, the
trivial multiplier 1 identified as the one nearest 1) decide stability with the one predicate of
:mod:`.stability` (a map's spectrum: the nontrivial multipliers inside the unit circle), and
three test functions locate the bifurcations of cycles (Kuznetsov 2004, chapter 10.3):

=================  ===========================================================================
``cycle_fold``     the parameter turns along the branch (a multiplier crosses +1)
``period_doubling`` a real multiplier crosses -1: ``Re prod (mu_i + 1)`` changes sign
``torus``          a complex pair crosses the unit circle: ``Re prod_{i<j} (mu_i mu_j - 1)``
                   changes sign and a pair of modulus 1 and nonzero angle is confirmed
                   (Neimark-Sacker of the cycle's return map)
``homoclinic``     the period grows without bound while the parameter converges: over the
                   last doubling of the period the parameter moved by less than 1% of the
                   distance the branch covered (the branch stops there)
=================  ===========================================================================

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   sections 1.5 (Floquet multipliers), 3.5 (Hopf), 10.3 (continuation of cycles).
.. [2] E. J. Doedel, H. B. Keller and J.-P. Kernevez, "Numerical analysis and control of
   bifurcation problems (II)", *Int. J. Bifurcation and Chaos* 1 (1991), 745-772.
.. [3] A. Dhooge, W. Govaerts and Yu. A. Kuznetsov, "MATCONT: a MATLAB package for numerical
   bifurcation analysis of ODEs", *ACM Trans. Math. Software* 29 (2003), 141-164.

Examples
--------
The Hopf normal form ``z' = (mu + i) z - |z|^2 z``: cycles of radius ``sqrt(mu)`` and period
``2 pi``, born at ``mu = 0``.

>>> import numpy as np
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations(
...     {"x": "mu*x - y - x*(x**2 + y**2)", "y": "x + mu*y - y*(x**2 + y**2)"},
...     parameters={"mu": -0.5})
>>> br = ig.continuation(m, "mu", x0={"x": 0, "y": 0}, p_range=(-0.5, 1))
>>> hopf = br.of_kind("hopf")[0]
>>> cy = ig.cycles(m, "mu", start=hopf, p_range=(-0.5, 1))
>>> bool(np.allclose(cy.amplitude, np.sqrt(cy.p), atol=1e-7))
True
>>> bool(np.allclose(cy.period, 2 * np.pi)), bool(cy.stable[-1]), cy.status
(True, True, 0)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.optimize

from incentive_geometry.errors import ConvergenceError, ModelError, ModelKindError
from incentive_geometry.model import Model

from .arclength import correct, setup_system, tangent
from .branch import STATUS_COMPLETE, STATUS_FAILED, STATUS_STOPPED, Bifurcation
from .collocation import CollocationMesh, CycleSystem
from .compile import CompiledModel, FloatArray
from .simulate import Trajectory, simulate
from .stability import NEUTRAL, STABLE, stability_codes

__all__ = [
    "CYCLE_KINDS",
    "CycleBifurcation",
    "CycleBranch",
    "PeriodicOrbit",
    "cycles",
    "detect_cycle",
]

ComplexArray = np.ndarray[Any, np.dtype[np.complex128]]

CYCLE_KINDS = ("cycle_fold", "period_doubling", "torus", "homoclinic")

#: The trivial Floquet multiplier of an exact cycle is 1; its computed distance from 1 measures
#: the discretization error (amplified for strongly contracting cycles, whose monodromy is a
#: product of very different scales: relaxation cycles keep 1e-4..1e-3 with periods good to
#: 1e-5, and 0.1 at mu = 30). A start is remeshed until it is below TRIVIAL_GOOD; a cycle whose distance exceeds
#: TRIVIAL_BAD is not resolved by the mesh (a coarse uniform mesh can converge to a spurious
#: "cycle" with a trivial multiplier near 0 or 2 and a period wrong by 40%): it is refused at
#: the start, and stops a branch.
TRIVIAL_GOOD = 1e-8
TRIVIAL_BAD = 0.5


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, eq=False)
class PeriodicOrbit:
    """One periodic orbit: the closed curve over one period, its period and multipliers.

    Attributes
    ----------
    t : numpy.ndarray of shape (K,)
        Times of the collocation nodes over one period, from 0 to `period`.
    x : numpy.ndarray of shape (K, n)
        The states at those times (``x[0] == x[-1]``).
    period : float
    param : str
    p : float
        The continuation parameter's value.
    params : dict of str to float
        The other parameters' values.
    multipliers : numpy.ndarray of shape (n,), complex
        Floquet multipliers; the trivial one (the direction of the flow) first.
    trivial_error : float
        ``|mu_0 - 1|`` of the trivial multiplier: the discretization error of the multipliers.
    stability : {"stable", "neutral", "unstable"}
        From the nontrivial multipliers (:mod:`.stability`, with `trivial_error` as their
        uncertainty).
    state_names : tuple of str
    mesh : CollocationMesh
        The mesh of the solution (scaled time ``t / period``).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations(
    ...     {"x": "x*(r - x**2 - y**2) - y", "y": "y*(r - x**2 - y**2) + x"}, parameters={"r": 1})
    >>> tr = ig.simulate(m, x0={"x": 0.5, "y": 0}, t=(0, 40), n_points=2001)
    >>> orbit = ig.cycles(m, "r", start=tr, max_steps=0).orbit(0)
    >>> round(orbit.period, 9), orbit.stability, round(float(orbit.amplitude), 9)
    (6.283185307, 'stable', 1.0)
    """

    t: FloatArray
    x: FloatArray
    period: float
    param: str
    p: float
    params: dict[str, float]
    multipliers: ComplexArray
    trivial_error: float
    stability: str
    state_names: tuple[str, ...]
    mesh: CollocationMesh

    @property
    def stable(self) -> bool:
        """True when every nontrivial multiplier lies inside the unit circle beyond the band."""
        return self.stability == "stable"

    @functools.cached_property
    def _extremes(self) -> tuple[FloatArray, FloatArray]:
        # The piecewise polynomial on 8 points per node spacing, each extreme refined by the
        # parabola through it and its neighbours (error far below the collocation error).
        K = 8 * (self.mesh.n_nodes - 1)
        s = np.arange(K) / K
        vals = self.mesh.evaluate(self.x, s)
        lo, hi = np.empty(vals.shape[1]), np.empty(vals.shape[1])
        for i in range(vals.shape[1]):
            for sign, out in ((1.0, hi), (-1.0, lo)):
                v = sign * vals[:, i]
                j = int(np.argmax(v))
                a, b, c = v[j - 1], v[j], v[(j + 1) % K]
                den = a - 2 * b + c
                peak = b - 0.125 * (a - c) ** 2 / den if den < 0 else b
                out[i] = sign * max(peak, b)
        return lo, hi

    @property
    def x_min(self) -> FloatArray:
        """The smallest value of each state over the orbit."""
        return self._extremes[0]

    @property
    def x_max(self) -> FloatArray:
        """The largest value of each state over the orbit."""
        return self._extremes[1]

    @property
    def amplitudes(self) -> FloatArray:
        """Half the peak-to-peak range of each state."""
        return np.asarray(0.5 * (self.x_max - self.x_min))

    @property
    def amplitude(self) -> float:
        """The largest of :attr:`amplitudes` (the radius of a circular cycle)."""
        return float(np.max(self.amplitudes))

    @property
    def norm(self) -> float:
        """The ``L2`` norm ``sqrt(int_0^1 |x(tau T)|^2 dtau)`` (AUTO's ``L2-NORM``)."""
        g, w = self.mesh.gauss()
        pts = (self.mesh.tau[:-1, None] + self.mesh.h[:, None] * g[None, :]).ravel()
        vals = self.mesh.evaluate(self.x, pts)
        weights = (self.mesh.h[:, None] * w[None, :]).ravel()
        return float(math.sqrt(np.sum(weights * np.sum(vals**2, axis=1))))

    def __call__(self, t: Any) -> FloatArray:
        """The state at times `t` (any real times: the orbit is periodic)."""
        return self.mesh.evaluate(self.x, np.asarray(t, dtype=float) / self.period)

    def __getitem__(self, name: str) -> FloatArray:
        """A state's values at the nodes, by name."""
        if name not in self.state_names:
            raise KeyError(f"`{name}` is not a state ({', '.join(self.state_names)})")
        return self.x[:, self.state_names.index(name)]

    def __repr__(self) -> str:
        return (
            f"<PeriodicOrbit {self.param}={self.p:.10g}: period {self.period:.10g}, "
            f"amplitude {self.amplitude:.6g}, {self.stability}>"
        )


@dataclass(frozen=True, eq=False)
class CycleBifurcation:
    """A bifurcation of cycles located on a :class:`CycleBranch`.

    Attributes
    ----------
    kind : {"cycle_fold", "period_doubling", "torus", "homoclinic"}
    param : str
    p : float
    period : float
    multipliers : numpy.ndarray, complex
        The Floquet multipliers at the point, trivial first.
    orbit : PeriodicOrbit
        The cycle at the point (the last cycle computed for ``homoclinic``).
    frequency : float or None
        ``torus``: the angle of the critical pair of multipliers (radians).
    message : str
        How the point was found, in words.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(mu + 2*(x**2 + y**2) - (x**2 + y**2)**2) - y",
    ...                               "y": "y*(mu + 2*(x**2 + y**2) - (x**2 + y**2)**2) + x"},
    ...                              parameters={"mu": -0.5})
    >>> tr = ig.simulate(m, x0={"x": 1.5, "y": 0}, params={"mu": -0.5}, t=(0, 60))
    >>> cy = ig.cycles(m, "mu", start=tr, p_range=(-1.5, 0.5))
    >>> fold = cy.bifurcations[0]
    >>> fold.kind, round(fold.p, 8)
    ('cycle_fold', -1.0)
    """

    kind: str
    param: str
    p: float
    period: float
    multipliers: ComplexArray
    orbit: PeriodicOrbit
    frequency: float | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CYCLE_KINDS:
            raise ModelError(
                f"cycle bifurcation `kind` {self.kind!r} is not one of {', '.join(CYCLE_KINDS)}"
            )

    def __repr__(self) -> str:
        return f"CycleBifurcation({self.kind!r}, {self.param}={self.p:.12g}, period={self.period:.10g})"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record.

        Returns
        -------
        dict
        """
        return {
            "kind": self.kind,
            "param": self.param,
            "p": float(self.p),
            "period": float(self.period),
            "multipliers": [[float(e.real), float(e.imag)] for e in self.multipliers],
            "frequency": self.frequency,
            "message": self.message,
        }


@dataclass(frozen=True, eq=False)
class CycleBranch:
    """A family of periodic orbits in one parameter (the cycle counterpart of a Branch).

    Attributes
    ----------
    param : str
    p, period, amplitude, norm : numpy.ndarray of shape (K,)
        Along the branch: the parameter, the period, the largest half peak-to-peak range of a
        state, and the ``L2`` norm of the orbit.
    x_min, x_max : numpy.ndarray of shape (K, n)
        Each state's extremes over each orbit (what a bifurcation diagram of cycles draws).
    stable : numpy.ndarray of bool, shape (K,)
    multipliers : numpy.ndarray of shape (K, n), complex
        Floquet multipliers, the trivial one first.
    bifurcations : tuple of CycleBifurcation
        In order along the branch.
    state_names : tuple of str
    params : dict of str to float
    status : int
        0: the branch ended normally (end of `p_range`); 1: stopped early (see `message`);
        -1: no branch (the start did not converge).
    message : str
    nsteps : int
    orbits : tuple of PeriodicOrbit
        Every orbit of the branch; ``orbit(i)`` is ``orbits[i]``.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations(
    ...     {"x": "x*(r - x**2 - y**2) - y", "y": "y*(r - x**2 - y**2) + x"}, parameters={"r": 1})
    >>> tr = ig.simulate(m, x0={"x": 0.5, "y": 0}, t=(0, 40), n_points=2001)
    >>> cy = ig.cycles(m, "r", start=tr, p_range=(0.25, 4))
    >>> cy.success, round(float(cy.amplitude.max()), 9), cy.bifurcations
    (True, 2.0, ())
    >>> cy.orbit(-1)
    <PeriodicOrbit r=4: period 6.283185307, amplitude 2, stable>
    """

    param: str
    orbits: tuple[PeriodicOrbit, ...]
    bifurcations: tuple[CycleBifurcation, ...] = ()
    state_names: tuple[str, ...] = ()
    params: dict[str, float] = field(default_factory=dict)
    status: int = STATUS_COMPLETE
    message: str = ""
    nsteps: int = 0

    @property
    def p(self) -> FloatArray:
        return np.array([o.p for o in self.orbits], dtype=float)

    @property
    def period(self) -> FloatArray:
        return np.array([o.period for o in self.orbits], dtype=float)

    @property
    def amplitude(self) -> FloatArray:
        return np.array([o.amplitude for o in self.orbits], dtype=float)

    @property
    def norm(self) -> FloatArray:
        return np.array([o.norm for o in self.orbits], dtype=float)

    @property
    def x_min(self) -> FloatArray:
        return np.array([o.x_min for o in self.orbits], dtype=float).reshape(len(self.orbits), -1)

    @property
    def x_max(self) -> FloatArray:
        return np.array([o.x_max for o in self.orbits], dtype=float).reshape(len(self.orbits), -1)

    @property
    def stable(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return np.array([o.stability == "stable" for o in self.orbits], dtype=bool)

    @property
    def neutral(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Orbits whose multipliers do not decide stability (on a located bifurcation)."""
        return np.array([o.stability == "neutral" for o in self.orbits], dtype=bool)

    @property
    def multipliers(self) -> ComplexArray:
        if not self.orbits:
            return np.zeros((0, len(self.state_names)), dtype=complex)
        return np.array([o.multipliers for o in self.orbits], dtype=complex)

    @property
    def success(self) -> bool:
        return self.status == STATUS_COMPLETE

    def orbit(self, i: int) -> PeriodicOrbit:
        """The `i`-th cycle of the branch (negative indices count from the end).

        Parameters
        ----------
        i : int

        Returns
        -------
        PeriodicOrbit
        """
        if not self.orbits:
            raise ModelError("the cycle branch is empty (its start did not converge): no orbit")
        if not isinstance(i, int | np.integer) or not -len(self.orbits) <= i < len(self.orbits):
            raise ModelError(
                f"`i` = {i!r} is not an index of the branch's {len(self.orbits)} orbits "
                f"(0..{len(self.orbits) - 1}, or negative from the end)"
            )
        return self.orbits[int(i)]

    def of_kind(self, kind: str) -> list[CycleBifurcation]:
        """The bifurcations of one kind."""
        return [b for b in self.bifurcations if b.kind == kind]

    def __len__(self) -> int:
        return len(self.orbits)

    def __repr__(self) -> str:
        if not self.orbits:
            return f"<CycleBranch in {self.param}: empty, status {self.status}>"
        return (
            f"<CycleBranch in {self.param}: {len(self.orbits)} cycles, {self.param} in "
            f"{self.p.min():.6g}..{self.p.max():.6g}, period {self.period.min():.6g}.."
            f"{self.period.max():.6g}, bifurcations {list(self.bifurcations)}, status {self.status}>"
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record (the orbits' extremes, not their meshes).

        Returns
        -------
        dict
        """
        return {
            "param": self.param,
            "p": self.p.tolist(),
            "period": self.period.tolist(),
            "amplitude": self.amplitude.tolist(),
            "norm": self.norm.tolist(),
            "x_min": {s: self.x_min[:, i].tolist() for i, s in enumerate(self.state_names)},
            "x_max": {s: self.x_max[:, i].tolist() for i, s in enumerate(self.state_names)},
            "stable": self.stable.tolist(),
            "multipliers": [
                [[float(e.real), float(e.imag)] for e in row] for row in self.multipliers
            ],
            "bifurcations": [b.as_dict() for b in self.bifurcations],
            "params": self.params,
            "status": self.status,
            "success": self.success,
            "message": self.message,
            "nsteps": self.nsteps,
        }


# --------------------------------------------------------------------------------------------
# Finding a cycle in a trajectory


@dataclass(frozen=True)
class DetectedCycle:
    """A cycle seen in a trajectory: its period, a state on it and how well it closes.

    Attributes
    ----------
    period : float
    x0 : numpy.ndarray of shape (n,)
        The state at the start of the last complete period (a crossing of the section).
    t0 : float
        The time of `x0` in the trajectory.
    loops : int
        Section crossings per period (1 for a simple cycle, 2 after a period doubling, ...).
    closure : float
        Distance between the states one period apart, relative to the cycle's size.
    """

    period: float
    x0: FloatArray
    t0: float
    loops: int
    closure: float


def detect_cycle(
    trajectory: Trajectory, *, tolerance: float = 1e-2, max_loops: int = 8
) -> DetectedCycle | None:
    """The periodic orbit a trajectory has settled on, or None.

    The section is the mean of the state that varies most over the second half of the
    trajectory, crossed upwards. Crossings are located by linear interpolation; the period is the
    smallest number of crossings (up to `max_loops`) after which the state returns to within
    `tolerance` (relative to the cycle's size) of itself, confirmed on two consecutive periods.
    An equilibrium (no variation), a trajectory that has not settled, or one shorter than three
    periods gives None.

    Parameters
    ----------
    trajectory : Trajectory
        One trajectory of a flow (not an ensemble).
    tolerance : float
        Relative closure required.
    max_loops : int
        Largest number of section crossings per period tried.

    Returns
    -------
    DetectedCycle or None

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "x*(1 - x**2 - y**2) - 2*y",
    ...                               "y": "y*(1 - x**2 - y**2) + 2*x"})
    >>> found = detect_cycle(ig.simulate(m, x0={"x": 0.1, "y": 0}, t=(0, 60), n_points=3001))
    >>> round(found.period, 3), found.loops
    (3.142, 1)
    >>> detect_cycle(ig.simulate(m, x0={"x": 0.0, "y": 0}, t=(0, 60))) is None
    True
    """
    if trajectory.is_ensemble:
        raise ModelError("`trajectory` must be one trajectory, not an ensemble")
    t = np.asarray(trajectory.t, dtype=float)
    x = np.asarray(trajectory.x, dtype=float)
    if len(t) < 8 or not trajectory.success:
        return None
    half = len(t) // 2
    tail_t, tail_x = t[half:], x[half:]
    spread = tail_x.max(axis=0) - tail_x.min(axis=0)
    size = float(np.max(spread))
    if not np.isfinite(size) or size <= 1e-9 * (1.0 + float(np.max(np.abs(tail_x)))):
        return None
    i = int(np.argmax(spread))
    level = float(np.mean(tail_x[:, i]))
    s = tail_x[:, i] - level
    up = np.nonzero((s[:-1] < 0) & (s[1:] >= 0))[0]
    if len(up) < 3:
        return None
    frac = -s[up] / (s[up + 1] - s[up])
    tc = tail_t[up] + frac * (tail_t[up + 1] - tail_t[up])
    xc = tail_x[up] + frac[:, None] * (tail_x[up + 1] - tail_x[up])
    for loops in range(1, max_loops + 1):
        if len(tc) < 2 * loops + 1:
            break
        last = len(tc) - 1
        d1 = np.linalg.norm(xc[last] - xc[last - loops]) / size
        d2 = np.linalg.norm(xc[last - loops] - xc[last - 2 * loops]) / size
        T1, T2 = tc[last] - tc[last - loops], tc[last - loops] - tc[last - 2 * loops]
        if d1 <= tolerance and d2 <= tolerance and abs(T1 - T2) <= tolerance * T1:
            k = last - loops
            return DetectedCycle(float(T1), xc[k].copy(), float(tc[k]), loops, float(max(d1, d2)))
    return None


# --------------------------------------------------------------------------------------------
# Continuation


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
    adapt: int
    detect: bool
    max_angle: float = 0.3


def _multipliers(sys: CycleSystem, z: FloatArray) -> tuple[ComplexArray, float]:
    """Floquet multipliers with the trivial one first, and its distance from 1."""
    mu = np.linalg.eigvals(sys.monodromy(z)).astype(complex)
    if not np.all(np.isfinite(mu)):
        return mu, math.inf
    i = int(np.argmin(np.abs(mu - 1.0)))
    order = [i] + [j for j in np.argsort(-np.abs(mu)) if j != i]
    return mu[order], float(abs(mu[i] - 1.0))


def _stability(mu: ComplexArray, err: float) -> str:
    rest = mu[1:]
    if len(rest) == 0:
        return "neutral"
    if not np.isfinite(err):
        return "neutral"
    code = stability_codes("discrete", rest, uncertainty=max(err, 0.0))
    return "stable" if code == STABLE else "neutral" if code == NEUTRAL else "unstable"


def _pd_test(mu: ComplexArray) -> float:
    return float(np.real(np.prod(mu[1:] + 1.0))) if len(mu) > 1 else 1.0


def _torus_test(mu: ComplexArray) -> float:
    rest = mu[1:]
    val = 1.0 + 0j
    for a in range(len(rest)):
        for b in range(a + 1, len(rest)):
            val *= rest[a] * rest[b] - 1.0
    return float(np.real(val))


def _torus_pair(mu: ComplexArray, err: float) -> float | None:
    """The angle of a complex pair on the unit circle, or None."""
    band = max(1e-5, 10 * err)
    for v in mu[1:]:
        if abs(v.imag) > 1e-6 and abs(abs(v) - 1.0) <= band:
            return float(abs(np.angle(v)))
    return None


class _Walker:
    """Follows one direction of a cycle branch; holds the system and the options."""

    def __init__(
        self,
        sys: CycleSystem,
        opts: _Options,
        names: tuple[str, ...],
        pname: str,
        others: dict[str, float],
    ) -> None:
        self.sys, self.opts, self.names, self.pname, self.others = sys, opts, names, pname, others

    # -- orbit records ---------------------------------------------------------------------

    def orbit(self, z: FloatArray) -> PeriodicOrbit:
        U, T, p = self.sys.unpack(z)
        mu, err = _multipliers(self.sys, z)
        nodes = self.sys.mesh.nodes()
        return PeriodicOrbit(
            nodes * T,
            U.copy(),
            T,
            self.pname,
            p,
            dict(self.others),
            mu,
            err,
            _stability(mu, err),
            self.names,
            self.sys.mesh,
        )

    def corrected(self, z0: FloatArray, t0: FloatArray, h: float) -> FloatArray | None:
        U0, _, _ = self.sys.unpack(z0)
        self.sys.set_reference(U0)
        z, ok, _ = correct(
            self.sys, z0 + h * t0, t0, tol=self.opts.tol, max_iter=self.opts.max_iter
        )
        return z if ok else None

    def locate(
        self, z0: FloatArray, t0: FloatArray, h_hi: float, g: Any, g0: float
    ) -> FloatArray | None:
        """The zero of g along the step from z0 (secant-bisection on the step length)."""
        cache: dict[float, FloatArray | None] = {}

        def val(h: float) -> float:
            z = self.corrected(z0, t0, h)
            cache[h] = z
            if z is None:
                raise ConvergenceError("corrector failed while locating a cycle bifurcation")
            return float(g(z, t0))

        try:
            g1 = val(h_hi)
            if g0 * g1 > 0:
                return None
            h = scipy.optimize.brentq(
                val, 0.0, h_hi, xtol=1e-12 * max(1.0, h_hi), rtol=1e-12, maxiter=60
            )
        except (ConvergenceError, ValueError, RuntimeError):
            return None
        return cache.get(h) if cache.get(h) is not None else self.corrected(z0, t0, h)

    # -- the walk --------------------------------------------------------------------------

    def run(
        self, z: FloatArray, t: FloatArray
    ) -> tuple[list[PeriodicOrbit], list[CycleBifurcation], str, bool, int]:
        opts, sys = self.opts, self.sys
        orbits = [self.orbit(z)]
        bifs: list[CycleBifurcation] = []
        ds = opts.ds
        steps = 0
        mu0 = orbits[0].multipliers
        tests = self._tests(z, t, mu0)
        since_adapt = 0
        periods = [orbits[0].period]
        ps = [orbits[0].p]
        while steps < opts.max_steps:
            z_new = self.corrected(z, t, ds)
            bad = True
            if z_new is not None:
                t_new = tangent(sys, z_new, t)
                dist = np.linalg.norm(z_new - (z + ds * t))
                bad = bool(
                    float(t_new @ t) < math.cos(opts.max_angle) or dist > opts.max_angle * ds * 2
                )
            if z_new is None or bad:
                ds *= 0.5
                if ds < opts.ds_min:
                    return (
                        orbits,
                        bifs,
                        f"stopped at {self.pname}={z[-1]:.10g}: the corrector failed with the step at its minimum",
                        True,
                        steps,
                    )
                continue
            steps += 1
            p_new = z_new[-1]
            # The end of p_range: the orbit on the edge, found by secant on the step length.
            if not opts.p_lo <= p_new <= opts.p_hi:
                edge = opts.p_hi if p_new > opts.p_hi else opts.p_lo
                z_edge = self.locate(z, t, ds, lambda zz, _t, e=edge: zz[-1] - e, z[-1] - edge)
                if z_edge is not None:
                    # Newton at p = edge exactly (the located step leaves p within round-off).
                    z_edge[-1] = edge
                    e_p = np.zeros(len(z_edge))
                    e_p[-1] = 1.0
                    z_fix, ok, _ = correct(sys, z_edge, e_p, tol=opts.tol, max_iter=opts.max_iter)
                    orbits.append(self.orbit(z_fix if ok else z_edge))
                return (
                    orbits,
                    bifs,
                    f"reached {self.pname} = {edge:g}, the end of `p_range`",
                    False,
                    steps,
                )
            U_new, T_new, _ = sys.unpack(z_new)
            if not np.all(np.isfinite(z_new)) or T_new <= 0:
                return (
                    orbits,
                    bifs,
                    f"stopped at {self.pname}={z[-1]:.10g}: the period became {T_new:g}",
                    True,
                    steps,
                )
            # Through zero amplitude: the cycles shrank onto an equilibrium (a Hopf point); beyond
            # it the collocation equations are solved by constant orbits, which are not cycles.
            U_old, _, _ = sys.unpack(z)
            dev_new, dev_old = U_new - U_new.mean(axis=0), U_old - U_old.mean(axis=0)
            if float(np.sum(dev_new * dev_old)) <= 0.0:
                return (
                    orbits,
                    bifs,
                    (
                        f"stopped at {self.pname}={z[-1]:.10g}: the cycles shrink to an equilibrium "
                        "(the branch ends at a Hopf point)"
                    ),
                    False,
                    steps,
                )
            orb = self.orbit(z_new)
            if orb.trivial_error > TRIVIAL_BAD:
                mesh_before = sys.mesh
                z_new, err = self.refine(z_new)
                if err > TRIVIAL_BAD:
                    return (
                        orbits,
                        bifs,
                        (
                            f"stopped at {self.pname}={z[-1]:.10g}: the mesh no longer resolves the "
                            f"cycle (trivial multiplier off 1 by {err:.2g}); increase `intervals`"
                        ),
                        True,
                        steps,
                    )
                # The previous point on the new mesh too, so that the test functions of this step
                # compare points of one discretization.
                if sys.mesh is not mesh_before:
                    z, t = self.on_mesh(z, t, mesh_before)
                t_new = tangent(sys, z_new, t)
                orb = self.orbit(z_new)
                tests = self._tests(z, t, self.orbit(z).multipliers)
            if opts.detect:
                new_tests = self._tests(z_new, t_new, orb.multipliers)
                for kind, g in self._test_funcs().items():
                    a, b = tests[kind], new_tests[kind]
                    if a != 0 and b != 0 and np.sign(a) != np.sign(b) and np.isfinite(a * b):
                        bif = self._bifurcation(kind, z, t, ds, g, a)
                        if bif is not None:
                            bifs.append(bif)
                tests = new_tests
            orbits.append(orb)
            periods.append(orb.period)
            ps.append(orb.p)
            # The period grows without bound while p converges: approach to a homoclinic orbit.
            hom = self._homoclinic(ps, periods)
            if hom is not None:
                bifs.append(
                    CycleBifurcation(
                        "homoclinic",
                        self.pname,
                        orb.p,
                        orb.period,
                        orb.multipliers,
                        orb,
                        message=hom,
                    )
                )
                return orbits, bifs, f"stopped at {self.pname}={orb.p:.10g}: {hom}", True, steps
            z, t = z_new, t_new
            since_adapt += 1
            if opts.adapt and since_adapt >= opts.adapt:
                z, t = self._adapt(z, t)
                since_adapt = 0
            ds = min(ds * 1.5, opts.ds_max)
        return (
            orbits,
            bifs,
            f"stopped at {self.pname}={z[-1]:.10g} after `max_steps` = {opts.max_steps} steps",
            True,
            steps,
        )

    def _test_funcs(self) -> dict[str, Any]:
        sys = self.sys

        def fold(z: FloatArray, t0: FloatArray) -> float:
            return float(tangent(sys, z, t0)[-1])

        def pd(z: FloatArray, _t0: FloatArray) -> float:
            return _pd_test(_multipliers(sys, z)[0])

        def torus(z: FloatArray, _t0: FloatArray) -> float:
            return _torus_test(_multipliers(sys, z)[0])

        funcs: dict[str, Any] = {"cycle_fold": fold, "period_doubling": pd}
        if sys.dim >= 3:
            funcs["torus"] = torus
        return funcs

    def _tests(self, z: FloatArray, t: FloatArray, mu: ComplexArray) -> dict[str, float]:
        out = {"cycle_fold": float(t[-1]), "period_doubling": _pd_test(mu)}
        if self.sys.dim >= 3:
            out["torus"] = _torus_test(mu)
        return out

    def _bifurcation(
        self, kind: str, z: FloatArray, t: FloatArray, ds: float, g: Any, g0: float
    ) -> CycleBifurcation | None:
        zb = self.locate(z, t, ds, g, g0)
        if zb is None:
            return None
        orb = self.orbit(zb)
        freq = None
        if kind == "torus":
            freq = _torus_pair(orb.multipliers, orb.trivial_error)
            if freq is None:
                return None  # a real pair with product 1 (a neutral saddle), not a torus
        if kind == "period_doubling" and not any(
            abs(v + 1.0) < max(1e-5, 10 * orb.trivial_error) for v in orb.multipliers[1:]
        ):
            return None
        msg = {
            "cycle_fold": "the parameter turns along the branch (a multiplier crosses +1)",
            "period_doubling": "a real multiplier crosses -1",
            "torus": "a complex pair of multipliers crosses the unit circle",
        }[kind]
        return CycleBifurcation(
            kind, self.pname, orb.p, orb.period, orb.multipliers, orb, freq, msg
        )

    def _homoclinic(self, ps: list[float], periods: list[float]) -> str | None:
        T = periods[-1]
        if len(periods) < 6 or 8.0 * min(periods) > T:
            return None
        # The last doubling of the period: how far did p move over it?
        j = len(periods) - 1
        while j > 0 and periods[j] > 0.5 * T:
            j -= 1
        if periods[j] > 0.5 * T:
            return None
        moved = abs(ps[-1] - ps[j])
        covered = max(ps) - min(ps)
        if (
            covered > 0
            and moved <= 0.01 * covered
            and all(b >= a for a, b in zip(periods[j:], periods[j + 1 :], strict=False))
        ):
            return (
                f"the period grew to {T:.6g} ({T / min(periods):.3g} times its smallest value on the "
                f"branch) while {self.pname} moved by {moved:.3g} over its last doubling: approach to "
                "a homoclinic orbit"
            )
        return None

    def carry(self, z: FloatArray, old: CollocationMesh) -> FloatArray:
        """A point on mesh `old` carried to the system's mesh: the orbit interpolated, then
        Newton at fixed p (the interpolated point where Newton does not converge)."""
        sys = self.sys
        U, T, p = sys.unpack(z)
        U2 = old.evaluate(U, sys.mesh.nodes())
        sys.set_reference(U2)
        z2 = sys.pack(U2, T, p)
        e_p = np.zeros(len(z2))
        e_p[-1] = 1.0
        z2c, ok, _ = correct(sys, z2, e_p, tol=self.opts.tol, max_iter=self.opts.max_iter)
        return z2c if ok else z2

    def on_mesh(
        self, z: FloatArray, t: FloatArray, old: CollocationMesh
    ) -> tuple[FloatArray, FloatArray]:
        """A point and its tangent on mesh `old` carried to the system's mesh."""
        sys = self.sys
        tU = (t[:-2] / sys.sigma).reshape(-1, sys.dim)
        z2 = self.carry(z, old)
        t2 = np.concatenate([old.evaluate(tU, sys.mesh.nodes()).ravel() * sys.sigma, t[-2:]])
        return z2, tangent(sys, z2, t2 / np.linalg.norm(t2))

    def remesh(self, z: FloatArray) -> FloatArray:
        """Move the mesh to equidistribute the error estimate (the system is left on it) and
        carry `z` there."""
        old = self.sys.mesh
        self.sys.set_mesh(old.adapted(self.sys.unpack(z)[0]))
        return self.carry(z, old)

    def refine(self, z: FloatArray, rounds: int = 6) -> tuple[FloatArray, float]:
        """Remesh until the trivial multiplier is within TRIVIAL_GOOD of 1 (or stops improving).

        Returns the best point and its trivial-multiplier error.
        """
        best, err = z, _multipliers(self.sys, z)[1]
        best_mesh = self.sys.mesh
        for _ in range(rounds):
            if err <= TRIVIAL_GOOD:
                break
            z2 = self.remesh(best)
            err2 = _multipliers(self.sys, z2)[1]
            if not err2 < err:
                break
            best, err, best_mesh = z2, err2, self.sys.mesh
        if self.sys.mesh is not best_mesh:
            self.sys.set_mesh(best_mesh)
        return best, err

    def _adapt(self, z: FloatArray, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        old = self.sys.mesh
        self.sys.set_mesh(old.adapted(self.sys.unpack(z)[0]))
        return self.on_mesh(z, t, old)


# --------------------------------------------------------------------------------------------
# Starting points


def _unit(v: FloatArray) -> FloatArray:
    nrm = float(np.linalg.norm(v))
    return v / nrm if nrm > 0 else v


def _start_from_hopf(
    walker: _Walker, cm: CompiledModel, hopf: Bifurcation, mesh: CollocationMesh, ds: float
) -> tuple[FloatArray, FloatArray, list[str]]:
    """The first cycle of amplitude about `ds` near a Hopf point, and the tangent away from it."""
    sys = walker.sys
    x_h, p_h = np.asarray(hopf.x, dtype=float), float(hopf.p)
    pv = sys.pvec(p_h)
    A = cm.jac(x_h, pv)
    lam, vecs = np.linalg.eig(A)
    omega = float(hopf.frequency or 0.0)
    if not omega > 0:
        imag = np.abs(lam.imag)
        omega = float(imag.max())
    i = int(np.argmin(np.abs(lam - 1j * omega)))
    q = vecs[:, i] / np.linalg.norm(vecs[:, i])
    T0 = 2.0 * math.pi / omega
    tau = mesh.nodes()
    shape = 2.0 * np.real(q[None, :] * np.exp(2j * math.pi * tau)[:, None])
    z_h = sys.pack(np.broadcast_to(x_h, shape.shape), T0, p_h)
    direction = np.concatenate([shape.ravel() * sys.sigma, [0.0, 0.0]])
    eps = ds / float(np.linalg.norm(direction))
    notes: list[str] = []
    # First Lyapunov coefficient (normalization <q, q> = 1, x = x_h + 2 Re(w q)): the cycles of
    # |w| = eps lie at p - p_h = -omega l1 eps^2 / Re lambda'(p_h) (Kuznetsov 2004, thm 3.3).
    dp = 0.0
    l1 = hopf.coefficient
    tan = np.asarray(hopf.tangent, dtype=float)
    if l1 is not None and len(tan) == len(x_h) + 1 and abs(tan[-1]) > 1e-8:
        h = 1e-6
        zp, zm = np.append(x_h, p_h) + h * tan, np.append(x_h, p_h) - h * tan

        def re_lam(zz: FloatArray) -> float:
            ev = np.linalg.eigvals(cm.jac(zz[:-1], sys.pvec(zz[-1])))
            return float(ev[np.argmin(np.abs(ev - 1j * omega))].real)

        dre = (re_lam(zp) - re_lam(zm)) / (2 * h * tan[-1])
        if dre != 0 and l1 != 0:
            dp = -omega * l1 * eps**2 / dre
            side = "above" if dp > 0 else "below"
            crit = hopf.criticality or ("supercritical" if l1 < 0 else "subcritical")
            notes.append(
                f"{crit} Hopf point at {walker.pname}={p_h:.10g} (l1 = {l1:.4g}): the cycles lie "
                f"{side} it"
            )
    guess = z_h + eps * direction
    guess[-1] = p_h + dp
    U_guess, _, _ = sys.unpack(guess)
    sys.set_reference(U_guess)
    t0 = _unit(direction)
    z1, ok, _ = correct(sys, guess, t0, tol=walker.opts.tol, max_iter=2 * walker.opts.max_iter)
    if not ok:
        raise ConvergenceError(
            f"no cycle found near the Hopf point at {walker.pname}={p_h:.10g}: the corrector did "
            f"not converge from a cycle of amplitude {ds:g}; try a smaller `ds`"
        )
    t1 = tangent(sys, z1, _unit(z1 - z_h))
    return z1, t1, notes


def _start_from_orbit(
    walker: _Walker,
    mesh: CollocationMesh,
    t_pts: FloatArray,
    x_pts: FloatArray,
    period: float,
    p: float,
    *,
    adapted: bool = False,
) -> FloatArray:
    """Newton at fixed p from a guess of one period given at times `t_pts` in [0, period]."""
    sys = walker.sys

    def sample(mesh_: CollocationMesh) -> FloatArray:
        tau = mesh_.nodes()
        U_ = np.column_stack(
            [np.interp(tau * period, t_pts, x_pts[:, i]) for i in range(x_pts.shape[1])]
        )
        U_[-1] = U_[0]
        return U_

    # A mesh fitted to the guess before Newton (a relaxation cycle on a uniform coarse mesh
    # does not converge): two rounds of equidistribution, unless the guess brings its own mesh.
    if not adapted:
        for _ in range(2):
            mesh = mesh.adapted(sample(mesh))
        sys.set_mesh(mesh)
    U = sample(mesh)
    sys.set_reference(U)
    z0 = sys.pack(U, period, p)
    e_p = np.zeros(len(z0))
    e_p[-1] = 1.0
    z, ok, _ = correct(sys, z0, e_p, tol=walker.opts.tol, max_iter=4 * walker.opts.max_iter)
    if not ok:
        raise ConvergenceError(
            f"the guess of period {period:.6g} at {walker.pname}={p:.10g} did not converge to a "
            f"periodic orbit on {mesh.intervals} mesh intervals; start from a trajectory that has "
            "settled on a stable cycle or from a Hopf point, or increase `intervals`"
        )
    U1, T1, _ = sys.unpack(z)
    if T1 <= 0 or np.max(np.ptp(U1, axis=0)) < 1e-8 * (1 + np.max(np.abs(U1))):
        raise ConvergenceError(
            f"the guess at {walker.pname}={p:.10g} converged to an equilibrium, not a cycle "
            f"(period {T1:.6g}, no variation); start nearer the cycle"
        )
    return z


def _doubled(
    orbit: PeriodicOrbit, sys_old: CycleSystem
) -> tuple[CollocationMesh, FloatArray, FloatArray, float]:
    """The orbit traversed twice on the doubled mesh, and the Floquet function of -1."""
    z = sys_old.pack(orbit.x, orbit.period, orbit.p)
    M = sys_old.monodromy(z)
    lam, vecs = np.linalg.eig(M)
    i = int(np.argmin(np.abs(lam + 1.0)))
    v0 = np.real(vecs[:, i])
    v = np.real(sys_old.floquet_function(z, v0))
    mesh = orbit.mesh
    tau2 = np.concatenate([0.5 * mesh.tau, 0.5 + 0.5 * mesh.tau[1:]])
    mesh2 = CollocationMesh(tau2, mesh.m)
    U2 = np.concatenate([orbit.x, orbit.x[1:]])
    V2 = np.concatenate([v, -v[1:]])
    return mesh2, U2, V2, 2.0 * orbit.period


def _default_range(model: Model, param: str, p: float) -> tuple[float, float]:
    """``p -+ 1`` kept inside the parameter's domain (half-way to an open bound)."""
    dom = model.parameter(param).domain
    lo, hi = p - 1.0, p + 1.0
    if dom.kind == "positive" and lo <= 0:
        lo = 0.5 * p
    elif dom.kind == "nonnegative":
        lo = max(lo, 0.0)
    elif dom.kind == "interval":
        a, b = float(dom.lo), float(dom.hi)  # type: ignore[arg-type]
        lo, hi = max(lo, a), min(hi, b)
    if not lo < hi:
        lo, hi = p - 1e-6 * (1 + abs(p)), p + 1e-6 * (1 + abs(p))
    return lo, hi


def _guess_trajectory(
    model: Model, param: str, guess: Mapping[str, Any], given: Mapping[str, float]
) -> Trajectory:
    """A user's guess ``{"t": times, "x": states}`` of one period, as a Trajectory."""
    if set(guess) != {"t", "x"}:
        raise ModelError(
            f"a guess `start` must have exactly the keys 't' and 'x', got {sorted(map(str, guess))}"
        )
    try:
        t = np.asarray(guess["t"], dtype=float)
        raw = guess["x"]
        if isinstance(raw, Mapping):
            missing = [s for s in model.state_names if s not in raw]
            if missing:
                raise ModelError(f"the guess `start['x']` has no values of {', '.join(missing)}")
            x = np.column_stack([np.asarray(raw[s], dtype=float) for s in model.state_names])
        else:
            x = np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"the guess `start` must hold numbers: {exc}") from None
    n = len(model.state_names)
    if t.ndim != 1 or len(t) < 4 or x.shape != (len(t), n):
        raise ModelError(
            f"the guess `start` needs t of shape (K,), K >= 4, and x of shape (K, {n}); got "
            f"{t.shape} and {x.shape}"
        )
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(x)) and np.all(np.diff(t) > 0)):
        raise ModelError("the guess `start` needs finite states at increasing times")
    if param in given:
        p0 = float(given[param])
    else:
        default = model.parameter(param).default
        if default is None:
            raise ModelError(f"give the guess's value of `{param}` in `params`")
        p0 = float(default)
    values = {pp.name: float(pp.default) for pp in model.parameters if pp.default is not None}
    values.update({k: float(v) for k, v in given.items()})
    values[param] = p0
    return Trajectory(t=t, x=x, state_names=tuple(model.state_names), params=values)


# --------------------------------------------------------------------------------------------
# The entry point


def cycles(
    model: Model,
    param: str,
    *,
    start: Bifurcation | CycleBifurcation | Trajectory | PeriodicOrbit | Mapping[str, Any],
    p_range: tuple[float, float] | None = None,
    params: Mapping[str, float] | None = None,
    ds: float = 0.02,
    ds_min: float = 1e-7,
    ds_max: float = 0.2,
    max_steps: int = 500,
    direction: str = "both",
    intervals: int = 40,
    degree: int = 4,
    tol: float = 1e-9,
    max_iter: int = 12,
    adapt: int = 3,
    detect: bool = True,
    raise_on_failure: bool = True,
) -> CycleBranch:
    """Follow a family of periodic orbits (limit cycles) of a flow in parameter `param`.

    Parameters
    ----------
    model : Model
        A continuous-time model (cycles of maps are fixed points of the iterate: use
        ``model.iterate(k)`` and :func:`~.continuation.continuation`).
    param : str
        The continuation parameter.
    start : Bifurcation, CycleBifurcation, Trajectory or PeriodicOrbit
        - a ``hopf`` point of a :class:`~.branch.Branch`: the branch of cycles born there
          (followed away from it, on the side its first Lyapunov coefficient predicts);
        - a ``period_doubling`` point of a :class:`CycleBranch`: the branch of doubled cycles;
        - a :class:`~.simulate.Trajectory` that has settled on a cycle (:func:`detect_cycle`),
          or one period of a guess (first and last states close): at the trajectory's
          parameter values;
        - a :class:`PeriodicOrbit` (``cy.orbit(i)`` of an earlier run);
        - a guess of one period ``{"t": times, "x": states}`` (states an array of shape
          ``(len(t), n)`` or a mapping of state name to values; first and last states close),
          at ``params[param]`` (or the parameter's default).
    p_range : (lo, hi), optional
        The branch is followed while ``lo <= p <= hi``. Default: the start's value plus and
        minus 1, kept inside the parameter's domain.
    params : mapping of str to float, optional
        The other parameters (default: those of the start, else the model's defaults).
    ds, ds_min, ds_max : float
        Initial, smallest and largest arclength step (the orbit part measured in the ``L2``
        norm); from a Hopf point `ds` is also the amplitude of the first cycle.
    max_steps : int
        Largest number of steps in each direction; 0 computes the starting cycle only.
    direction : {"both", "forward", "backward"}
        From a trajectory or orbit; a branch from a Hopf or period-doubling point is followed
        away from it.
    intervals, degree : int
        Mesh intervals and collocation points per interval (AUTO's ``NTST`` and ``NCOL``).
    tol, max_iter : float, int
        Newton tolerance and iterations of the corrector.
    adapt : int
        Adapt the mesh every `adapt` steps (0: never).
    detect : bool
        Detect and locate bifurcations of cycles.
    raise_on_failure : bool
        Raise :class:`ConvergenceError` when no starting cycle is found (default); otherwise
        return an empty branch with ``status = -1``.

    Returns
    -------
    CycleBranch

    Raises
    ------
    ModelKindError
        For a map.
    ModelError
        For a bad argument (named in the message).
    ConvergenceError
        When no starting cycle is found (unless ``raise_on_failure=False``).

    References
    ----------
    .. [1] E. J. Doedel, H. B. Keller and J.-P. Kernevez, "Numerical analysis and control of
       bifurcation problems (II)", *Int. J. Bifurcation and Chaos* 1 (1991), 745-772.
    .. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       sections 3.5 and 10.3.

    Examples
    --------
    The Brusselator's cycle, born at ``b = 1 + a**2`` (supercritical):

    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations(
    ...     {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"}, parameters={"a": 1, "b": 1.5})
    >>> br = ig.continuation(m, "b", x0={"x": 1, "y": 1.5}, p_range=(1.5, 3))
    >>> hopf = br.of_kind("hopf")[0]
    >>> round(hopf.p, 8), hopf.criticality
    (2.0, 'supercritical')
    >>> cy = ig.cycles(m, "b", start=hopf, p_range=(1.5, 2.5))
    >>> bool(cy.p.min() >= 2.0 - 1e-9), bool(cy.stable[1:].all()), round(float(cy.period[0]), 3)
    (True, True, 6.283)
    """
    if not isinstance(model, Model):
        raise ModelError(f"`model` must be a Model, got {type(model).__name__}")
    if model.time != "continuous":
        raise ModelKindError(
            f"`cycles` follows periodic orbits of flows; model `{model.name}` is a map: its "
            "periodic points are fixed points of `model.iterate(k)` (use `continuation`)"
        )
    if direction not in ("both", "forward", "backward"):
        raise ModelError(f"`direction` must be 'both', 'forward' or 'backward', got {direction!r}")
    for name, v in (("intervals", intervals), ("degree", degree), ("max_iter", max_iter)):
        if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
            raise ModelError(f"`{name}` must be a positive integer, got {v!r}")
    if degree > 7:
        raise ModelError(f"`degree` = {degree} is above 7: use more `intervals` instead")
    for name, v in (("max_steps", max_steps), ("adapt", adapt)):
        if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 0:
            raise ModelError(f"`{name}` must be a nonnegative integer, got {v!r}")
    for name, num in (("ds", ds), ("ds_min", ds_min), ("ds_max", ds_max), ("tol", tol)):
        if not (
            isinstance(num, int | float)
            and not isinstance(num, bool)
            and num > 0
            and math.isfinite(num)
        ):
            raise ModelError(f"`{name}` must be a positive number, got {num!r}")
    if not ds_min <= ds <= ds_max:
        raise ModelError(f"steps must satisfy ds_min <= ds <= ds_max, got {ds_min}, {ds}, {ds_max}")

    # The start's parameter value and the other parameters.
    given = dict(params or {})
    if isinstance(start, Bifurcation):
        if start.kind != "hopf":
            raise ModelError(
                f"`start` is a {start.kind} point; cycles start from a `hopf` point, a "
                "`period_doubling` point of cycles, a Trajectory or a PeriodicOrbit"
            )
        if start.param != param:
            raise ModelError(f"`start` is a Hopf point in `{start.param}`, not in `{param}`")
        p_start = float(start.p)
        given = {**start.params, **given}
    elif isinstance(start, CycleBifurcation):
        if start.kind != "period_doubling":
            raise ModelError(
                f"`start` is a {start.kind} point of cycles; only a `period_doubling` point starts "
                "a new branch (of the doubled cycles)"
            )
        p_start = float(start.p)
        given = {**start.orbit.params, **given}
    elif isinstance(start, PeriodicOrbit):
        p_start = float(start.p)
        given = {**start.params, **given}
    else:
        if isinstance(start, Mapping):
            start = _guess_trajectory(model, param, start, given)
        if not isinstance(start, Trajectory):
            raise ModelError(
                "`start` must be a Hopf Bifurcation, a period-doubling CycleBifurcation, a "
                "Trajectory, a PeriodicOrbit or a guess {'t': times, 'x': states}, got "
                f"{type(start).__name__}"
            )
        if start.is_ensemble:
            raise ModelError("`start` must be one trajectory, not an ensemble")
        if tuple(start.state_names) != tuple(model.state_names):
            raise ModelError(
                f"`start` is a trajectory of states {start.state_names}, not of model "
                f"`{model.name}` ({', '.join(model.state_names)})"
            )
        if param not in start.params:
            raise ModelError(f"the trajectory `start` has no value of `{param}`")
        p_start = float(start.params[param])
        given = {**{k: float(v) for k, v in start.params.items()}, **given}
    given.pop(param, None)
    if p_range is None:
        p_range = _default_range(model, param, p_start)
    given[param] = p_start
    cm, base, k, values, p_lo, p_hi = setup_system(model, param, given, p_range)
    others = {kk: float(v) for kk, v in values.items() if kk != param}
    if not p_lo - 1e-12 * (1 + abs(p_lo)) <= p_start <= p_hi + 1e-12 * (1 + abs(p_hi)):
        raise ModelError(
            f"the start's {param} = {p_start:.10g} lies outside `p_range` = ({p_lo:g}, {p_hi:g})"
        )
    opts = _Options(
        ds, ds_min, ds_max, int(max_steps), tol, int(max_iter), p_lo, p_hi, int(adapt), detect
    )
    names = tuple(model.state_names)

    def empty(msg: str) -> CycleBranch:
        if raise_on_failure:
            raise ConvergenceError(msg)
        return CycleBranch(param, (), (), names, others, STATUS_FAILED, msg, 0)

    notes: list[str] = []
    one_way = False
    if isinstance(start, Bifurcation):
        mesh = CollocationMesh.uniform(intervals, degree)
        sys = CycleSystem(cm, base, k, mesh, np.zeros((mesh.n_nodes, cm.n)))
        walker = _Walker(sys, opts, names, param, others)
        try:
            z0, t0, notes = _start_from_hopf(walker, cm, start, mesh, ds)
        except ConvergenceError as exc:
            return empty(str(exc))
        one_way = True
    elif isinstance(start, CycleBifurcation):
        orbit = start.orbit
        sys_old = CycleSystem(cm, base, k, orbit.mesh, orbit.x)
        mesh2, U2, V2, T2 = _doubled(orbit, sys_old)
        sys = CycleSystem(cm, base, k, mesh2, U2)
        walker = _Walker(sys, opts, names, param, others)
        z_pd = sys.pack(U2, T2, p_start)
        dvec = _unit(np.concatenate([V2.ravel() * sys.sigma, [0.0, 0.0]]))
        z_first = walker.corrected(z_pd, dvec, ds)
        if z_first is None:
            return empty(
                f"no doubled cycle found near the period-doubling point at {param}={p_start:.10g}; "
                "try a smaller `ds`"
            )
        z0 = z_first
        t0 = tangent(sys, z0, _unit(z0 - z_pd))
        notes.append(f"doubled cycles from the period-doubling point at {param}={p_start:.10g}")
        one_way = True
    else:
        mesh = CollocationMesh.uniform(intervals, degree)
        if isinstance(start, PeriodicOrbit) and (start.mesh.intervals, start.mesh.m) == (
            intervals,
            degree,
        ):
            mesh = start.mesh  # keep an adapted mesh
        if isinstance(start, PeriodicOrbit):
            period = start.period
            t_pts = (
                start.t if mesh is start.mesh else np.linspace(0.0, period, 16 * start.mesh.n_nodes)
            )
            x_pts = start.x if mesh is start.mesh else start(t_pts)
        else:
            found = detect_cycle(start)
            if found is not None:
                tr = simulate(
                    model,
                    x0=found.x0,
                    t=(0.0, found.period),
                    params={**others, param: p_start},
                    n_points=max(8 * mesh.n_nodes, 400),
                    rtol=1e-10,
                    atol=1e-12,
                )
                t_pts, x_pts, period = tr.t, tr.x, found.period
            else:
                x_all = np.asarray(start.x)
                size = float(np.max(np.ptp(x_all, axis=0))) if len(x_all) else 0.0
                if (
                    len(x_all) < 4
                    or size <= 0
                    or np.linalg.norm(x_all[-1] - x_all[0]) > 0.05 * size
                ):
                    return empty(
                        "`start`: the trajectory has not settled on a cycle (no period repeats "
                        "within 1%, and it does not close on itself); simulate longer, or start "
                        "from a Hopf point"
                    )
                t_pts = np.asarray(start.t, dtype=float) - float(start.t[0])
                x_pts, period = x_all, float(t_pts[-1])
        sys = CycleSystem(cm, base, k, mesh, np.asarray(x_pts[:1]).repeat(mesh.n_nodes, axis=0))
        walker = _Walker(sys, opts, names, param, others)
        try:
            z0 = _start_from_orbit(
                walker,
                mesh,
                np.asarray(t_pts, float),
                np.asarray(x_pts, float),
                float(period),
                p_start,
                adapted=isinstance(start, PeriodicOrbit) and mesh is start.mesh,
            )
        except ConvergenceError as exc:
            return empty(str(exc))
        e_p = np.zeros(len(z0))
        e_p[-1] = 1.0
        t0 = tangent(sys, z0, e_p)

    # The start must be resolved by the mesh (its trivial multiplier near 1): remesh it.
    mesh_z0 = sys.mesh
    z0, err0 = walker.refine(z0)
    if err0 > TRIVIAL_BAD:
        return empty(
            f"the starting cycle at {param}={float(z0[-1]):.10g} is not resolved by "
            f"{intervals} mesh intervals (its trivial Floquet multiplier is off 1 by {err0:.2g} "
            "after remeshing); increase `intervals`"
        )
    if sys.mesh is not mesh_z0:
        tU = (t0[:-2] / sys.sigma).reshape(-1, cm.n)
        t_moved = np.concatenate(
            [mesh_z0.evaluate(tU, sys.mesh.nodes()).ravel() * sys.sigma, t0[-2:]]
        )
        t0 = tangent(sys, z0, _unit(t_moved))

    # Walk: away from the start (one way), or both directions.
    def go(
        z: FloatArray, t: FloatArray
    ) -> tuple[list[PeriodicOrbit], list[CycleBifurcation], str, bool, int]:
        return walker.run(z.copy(), t.copy())

    mesh_start = sys.mesh
    orbits: list[PeriodicOrbit]
    bifs: list[CycleBifurcation]
    if opts.max_steps == 0:
        orbits, bifs, ended, early, steps = (
            [walker.orbit(z0)],
            [],
            "the starting cycle only (`max_steps` = 0)",
            False,
            0,
        )
        messages = [ended]
    elif one_way:
        orbits, bifs, ended, early, steps = go(z0, t0)
        messages = [ended]
    else:
        parts = []
        for sign, label in ((1.0, "forward"), (-1.0, "backward")):
            if direction not in ("both", label):
                continue
            sys.set_mesh(mesh_start)
            parts.append((label, go(z0, sign * t0)))
        orbits, bifs, messages, early, steps = [], [], [], False, 0
        for label, (o, b, e, er, st) in parts:
            if label == "backward" and len(parts) == 2:
                orbits = o[::-1][:-1] + orbits
                bifs = b[::-1] + bifs
            else:
                orbits = orbits + o
                bifs = bifs + b
            messages.append(f"{label}: {e}")
            early = early or er
            steps += st
    status = STATUS_STOPPED if early else STATUS_COMPLETE
    message = "; ".join(notes + messages)
    return CycleBranch(param, tuple(orbits), tuple(bifs), names, others, status, message, steps)
