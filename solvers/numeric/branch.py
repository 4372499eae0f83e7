"""Results of one-parameter continuation: :class:`Branch` (the points, their eigenvalues and
stability, how each direction ended) and :class:`Bifurcation` (a located point, its kind and,
for Hopf, flip and Neimark-Sacker points, its criticality).

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
>>> br = ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1))
>>> type(br).__name__, [b.kind for b in br.bifurcations]
('Branch', ['transcritical'])
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

import incentive_geometry.display as display
from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

from .compile import (
    FloatArray,
)
from .stability import NEUTRAL, stability_codes

__all__ = ["KINDS", "STATUS_COMPLETE", "STATUS_FAILED", "STATUS_STOPPED", "Bifurcation", "Branch"]

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
        return display.branch_text(self)

    def _repr_html_(self) -> str:
        return display.branch_html(self)

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


def lift_to_simplex(branch: Branch, model: Model) -> Branch:
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
        children=tuple(lift_to_simplex(c, model) for c in branch.children),
    )
