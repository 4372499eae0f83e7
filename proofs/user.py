"""A user's own claims about a model file: ``[[claims]]`` tables, or ``incgeo check --claim``.

A claim table names a prediction (a condition on parameters, in the model language), an
observation kind, and the parameter box to sample::

    [[claims]]
    name = "aligned stable"
    statement = "x = 0 is stable iff alpha (1 - theta) b < theta c"
    prediction = "alpha*(1 - theta)*b < theta*c"
    observe = "stable"          # stable | unstable | bistable | only_stable | converges
    at = { x = 0 }              # the equilibrium (stable, unstable, only_stable)
    domain = { theta = [0, 0.98], b = [0, 1] }
    samples = 128               # optional

``converges`` simulates from ``from = {...}`` for ``horizon`` (default 100) and asks whether the
end lies within ``tolerance`` (default 1e-3) of ``to = {...}``.

Examples
--------
>>> from incentive_geometry.theory import entrenchment
>>> from incentive_geometry.proofs.user import claim_from_spec
>>> c = claim_from_spec(entrenchment(), {"name": "a", "prediction": "theta > 0.5",
...                     "observe": "stable", "at": {"x": 0}, "domain": {"theta": [0, 0.98]}})
>>> c.kind
'condition'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

from .claims import Claim, Observation
from .observe import count_stable, only_stable_is, stable_at

__all__ = ["OBSERVATIONS", "claim_from_spec", "converges_to", "unstable_at"]

#: The observation kinds a claim table may name.
OBSERVATIONS = ("stable", "unstable", "bistable", "only_stable", "converges")

_KEYS = {
    "name",
    "statement",
    "prediction",
    "observe",
    "at",
    "from",
    "to",
    "horizon",
    "tolerance",
    "domain",
    "samples",
    "kind",
    "constraints",
    "references",
}


def unstable_at(
    model: Model, target: Mapping[str, float], values: Mapping[str, float]
) -> Observation:
    """The negation of :func:`incentive_geometry.proofs.observe.stable_at` (same evidence).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.user import unstable_at
    >>> unstable_at(entrenchment(), {"x": 0.0}, {"theta": 0.1}).value
    True
    """
    seen = stable_at(model, target, values)
    return Observation(not seen.value, seen.evidence)


def converges_to(
    model: Model,
    start: Mapping[str, float],
    end: Mapping[str, float],
    horizon: float,
    tolerance: float,
    values: Mapping[str, float],
) -> Observation:
    """Simulate from `start` for `horizon`; whether the end lies within `tolerance` of `end`.

    False only when the state has come to rest elsewhere; a state still moving at the horizon
    (its speed times the horizon above `tolerance`: it could still arrive) is not decided, and
    the observation raises :class:`ConvergenceError` (a failed point, never a false one).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.user import converges_to
    >>> converges_to(entrenchment(), {"x": 0.9}, {"x": 1.0}, 200.0, 1e-3, {"theta": 0.1}).value
    True
    """
    from incentive_geometry.errors import ConvergenceError
    from incentive_geometry.solvers.numeric.compile import compile_model
    from incentive_geometry.solvers.numeric.simulate import simulate

    params = {k: float(v) for k, v in values.items() if k in model.parameter_names}
    tr = simulate(model, x0=dict(start), t=(0.0, horizon), params=params, n_points=3)
    final = tr.x[-1]
    idx = [model.state_names.index(k) for k in end]
    gap = float(np.max(np.abs(final[idx] - np.array([float(v) for v in end.values()]))))
    shown = ", ".join(f"{k} = {v:.5g}" for k, v in zip(model.state_names, final, strict=True))
    if gap >= tolerance and model.time == "continuous":
        cm = compile_model(model)
        full = {p.name: float(p.default) for p in model.parameters if p.default is not None}
        full.update(params)
        speed = float(np.max(np.abs(cm.rhs(final, cm.param_vector(full)))))
        if speed * horizon > tolerance:
            raise ConvergenceError(
                f"after t = {horizon:g} the state ({shown}) is {gap:.3g} from the target and still "
                f"moving (speed {speed:.3g}): not decided; raise `horizon`"
            )
    return Observation(gap < tolerance, f"after t = {horizon:g}: {shown} (distance {gap:.3g})")


def _states(model: Model, spec: Any, where: str, key: str) -> dict[str, float]:
    if not isinstance(spec, Mapping) or not spec:
        raise ModelError(
            f"{where}: `{key}` must be a table of state = value, e.g. {key} = {{ x = 0 }}"
        )
    out = {}
    for k, v in spec.items():
        if k not in model.state_names:
            raise ModelError(
                f"{where}: `{key}` names `{k}`, which is not a state (states: {', '.join(model.state_names)})"
            )
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ModelError(f"{where}: `{key}.{k}` must be a number, got {v!r:.40}")
        out[k] = float(v)
    return out


def claim_from_spec(model: Model, spec: Mapping[str, Any], *, where: str = "claim") -> Claim:
    """Build a :class:`Claim` about `model` from a claim table.

    Parameters
    ----------
    model : Model
    spec : mapping
        The table (see the module docstring).
    where : str
        Where the table comes from, for messages.

    Returns
    -------
    Claim

    Raises
    ------
    ModelError
        For unknown keys, observation kinds, states or parameters, with `where` in the message.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.user import claim_from_spec
    >>> claim_from_spec(entrenchment(), {"name": "a", "prediction": "theta > 0.5",
    ...                 "observe": "sometimes", "domain": {"theta": [0, 1]}})
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: claim `a`: `observe` must be one of stable, unstable, bistable, only_stable, converges; got 'sometimes'
    """
    if not isinstance(spec, Mapping):
        raise ModelError(f"{where}: a claim must be a table, got {spec!r:.60}")
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ModelError(f"{where}: `name` must be non-empty text")
    where = f"{where} `{name}`" if where != "claim" else f"claim `{name}`"
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise ModelError(
            f"{where}: unknown key `{unknown[0]}`; allowed: {', '.join(sorted(_KEYS))}"
        )
    kind = spec.get("observe")
    if kind not in OBSERVATIONS:
        raise ModelError(
            f"{where}: `observe` must be one of {', '.join(OBSERVATIONS)}; got {kind!r}"
        )
    domain_spec = spec.get("domain", {})
    if not isinstance(domain_spec, Mapping):
        raise ModelError(f"{where}: `domain` must be a table of parameter = [lo, hi]")
    domain = {}
    for key, bounds in domain_spec.items():
        model.parameter(key)
        if not isinstance(bounds, list | tuple) or len(bounds) != 2:
            raise ModelError(f"{where}: domain of `{key}` must be [lo, hi], got {bounds!r:.40}")
        domain[key] = (float(bounds[0]), float(bounds[1]))
    if kind in ("stable", "unstable", "only_stable"):
        target = _states(model, spec.get("at"), where, "at")
        func = {"stable": stable_at, "unstable": unstable_at, "only_stable": only_stable_is}[kind]
        observe: Any = functools.partial(func, model, target)
    elif kind == "bistable":
        observe = functools.partial(count_stable, model)
    else:
        start = _states(model, spec.get("from"), where, "from")
        end = _states(model, spec.get("to"), where, "to")
        horizon = float(spec.get("horizon", 100.0))
        tolerance = float(spec.get("tolerance", 1e-3))
        observe = functools.partial(converges_to, model, start, end, horizon, tolerance)
    try:
        return Claim(
            name=name,
            statement=str(spec.get("statement", "")),
            prediction=spec.get("prediction"),
            observe=observe,
            domain=domain,
            model=model,
            kind=spec.get("kind"),
            constraints=tuple(spec.get("constraints", ())),
            references=tuple(spec.get("references", ())),
        )
    except ModelError as err:
        # The Claim's own messages already name it: add the prefix only where it is missing.
        summary = err.summary if err.summary.startswith(where) else f"{where}: {err.summary}"
        raise ModelError(summary, context=err.context) from None
