"""Numerical observations shared by the catalogue's claims.

Each function decides something about a model at one parameter point *without* the analytic
formula: from numerically found equilibria and their eigenvalues, or from simulation. They are
module-level functions (picklable with :func:`functools.partial`), so claims can be checked on a
process pool.

Examples
--------
>>> from incentive_geometry.theory import entrenchment
>>> from incentive_geometry.proofs.observe import stable_at
>>> stable_at(entrenchment(), {"x": 1.0}, {"theta": 0.1, "alpha": 1.0, "b": 0.2, "gamma": 1.0, "c": 1.0}).value
True
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from incentive_geometry.model import Model

from .claims import Observation

__all__ = [
    "count_stable",
    "equilibria_at",
    "interior_unstable",
    "only_stable_is",
    "stable_at",
]

#: Equilibria closer than this to a target point are "at" it.
NEAR = 1e-6


def _params(model: Model, values: Mapping[str, float]) -> dict[str, float]:
    return {p.name: float(values[p.name]) for p in model.parameters if p.name in values}


def equilibria_at(model: Model, values: Mapping[str, float], *, n_starts: int = 16) -> list[Any]:
    """Numerical equilibria (with eigenvalues and stability) in the state domain.

    Parameters
    ----------
    model : Model
    values : mapping of str to float
        Parameter values (extra names are ignored).
    n_starts : int
        Quasi-random Newton starts.

    Returns
    -------
    list of NumericEquilibrium

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.proofs.observe import equilibria_at
    >>> m = ig.Model.from_equations({"x": "x*(1 - x)"}, parameters={}, states={"x": {"domain": [0, 1]}})
    >>> sorted(round(float(e.x[0]), 6) + 0.0 for e in equilibria_at(m, {}))
    [0.0, 1.0]
    """
    from incentive_geometry.solvers.numeric.equilibria import find_equilibria

    with warnings.catch_warnings():
        # Near a boundary of the claim the Jacobian is nearly singular: expected, not news.
        warnings.simplefilter("ignore", RuntimeWarning)
        return find_equilibria(
            model, params=_params(model, values), n_starts=n_starts, deflation_rounds=1
        )


def _describe(found: list[Any]) -> str:
    parts = []
    for e in found:
        lam = ", ".join(
            f"{complex(v).real:.3g}"
            + (f"{complex(v).imag:+.3g}i" if abs(complex(v).imag) > 1e-12 else "")
            for v in e.eigenvalues
        )
        point = ", ".join(f"{float(v):.4g}" for v in e.x)
        parts.append(f"({point}) {'stable' if e.stable else 'unstable'} [{lam}]")
    return "; ".join(parts) or "no equilibrium found"


def stable_at(
    model: Model, target: Mapping[str, float], values: Mapping[str, float]
) -> Observation:
    """Whether the point `target` is an equilibrium and linearly stable, numerically.

    The residual of the right-hand side (flows) or of ``f(x) - x`` (maps) is evaluated at the
    point, and the eigenvalues of the Jacobian there are computed numerically (compiled model):
    stable iff every real part is negative (flows) or every modulus below one (maps). Looking at
    the point itself avoids a root finder, which near a transcritical point may converge to the
    neighbouring equilibrium instead.

    Parameters
    ----------
    model : Model
    target : mapping of state name to value
        Every state's value.
    values : mapping of str to float

    Returns
    -------
    Observation

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import stable_at
    >>> stable_at(entrenchment(), {"x": 0.0}, {"theta": 0.1}).value
    False
    """
    from incentive_geometry.solvers.numeric.compile import compile_model

    cm = compile_model(model)
    x = np.array([float(target[s]) for s in model.state_names])
    defaults = {p.name: float(p.default) for p in model.parameters if p.default is not None}
    p = cm.param_vector(defaults | _params(model, values))
    f = cm.rhs(x, p) - (x if model.time == "discrete" else 0.0)
    residual = float(np.max(np.abs(f)))
    lam = np.linalg.eigvals(cm.jac(x, p))
    if model.time == "continuous":
        stable = bool(np.max(lam.real) < 0)
    else:
        stable = bool(np.max(np.abs(lam)) < 1)
    shown = ", ".join(
        f"{complex(v).real:.4g}"
        + (f"{complex(v).imag:+.3g}i" if abs(complex(v).imag) > 1e-12 else "")
        for v in lam
    )
    return Observation(
        residual < 1e-9 and stable,
        f"residual {residual:.2g} at {dict(target)}; eigenvalues [{shown}]",
    )


def count_stable(model: Model, values: Mapping[str, float], *, at_least: int = 2) -> Observation:
    """Whether at least `at_least` stable equilibria coexist (multistability), numerically.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import count_stable
    >>> count_stable(entrenchment(), {"theta": 0.3}).value
    True
    """
    found = equilibria_at(model, values)
    return Observation(sum(e.stable for e in found) >= at_least, _describe(found))


def only_stable_is(
    model: Model, target: Mapping[str, float], values: Mapping[str, float]
) -> Observation:
    """Whether the equilibrium at `target` is the only stable one, numerically.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import only_stable_is
    >>> only_stable_is(entrenchment(), {"x": 0.0}, {"theta": 0.9}).value
    True
    """
    found = equilibria_at(model, values)
    idx = [model.state_names.index(k) for k in target]
    want = np.array([float(v) for v in target.values()])
    stable = [e for e in found if e.stable]
    ok = len(stable) == 1 and float(np.max(np.abs(stable[0].x[idx] - want))) < NEAR
    return Observation(ok, _describe(found))


def interior_unstable(
    model: Model, values: Mapping[str, float], *, margin: float = 1e-7
) -> Observation:
    """Whether an interior equilibrium (all states strictly inside their interval domains)
    exists and every interior equilibrium is unstable, numerically.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.observe import interior_unstable
    >>> interior_unstable(entrenchment(), {"theta": 0.3}).value
    True
    """
    found = equilibria_at(model, values)
    lo = np.array([float(d.lo) if d.lo is not None else -np.inf for d in model.state_domains])
    hi = np.array([float(d.hi) if d.hi is not None else np.inf for d in model.state_domains])
    inner = [e for e in found if np.all(e.x > lo + margin) and np.all(e.x < hi - margin)]
    return Observation(bool(inner) and not any(e.stable for e in inner), _describe(found))
