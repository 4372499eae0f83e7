"""Small helpers the factories of the library share (private)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Parameter

__all__: list[str] = []

#: The reference for the paper's own models.
PAPER = (
    "D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint, 2025"
)


def state(name: str) -> sympy.Symbol:
    """A state symbol as the Model core builds it (real)."""
    return sympy.Symbol(name, real=True)


def check_int(value: object, *, name: str, low: int, high: int | None = None) -> int:
    """Validate an integer option (not a bool) inside ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ModelError(
            f"`{name}` must be an int, got {value!r:.60} ({type(value).__name__}); pass e.g. "
            f"{name}={low}"
        )
    ivalue = int(value)
    if ivalue < low or (high is not None and ivalue > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ModelError(f"`{name}` must be {bound}, got {ivalue}")
    return ivalue


def vector_option(
    value: float | Sequence[float] | None,
    *,
    name: str,
    n: int,
    default: Sequence[float],
    domain: str,
    meaning: str,
) -> tuple[list[Any], list[Parameter]]:
    """Per-routine coefficients: symbolic parameters ``name_1..name_n`` or given numbers.

    ``None`` gives symbolic parameters with the defaults; a sequence of ``n`` numbers gives
    exact numbers substituted into the equations (no parameters).
    """
    if value is None:
        params = [
            Parameter(f"{name}_{i + 1}", float(default[i]), domain, f"{meaning} of routine {i + 1}")
            for i in range(n)
        ]
        return [p.symbol for p in params], params
    values = list(np.atleast_1d(np.asarray(value, dtype=float)))
    if len(values) != n:
        raise ModelError(
            f"`{name}` must hold {n} numbers (one per routine), got {len(values)}: {value!r:.60}"
        )
    out: list[Any] = []
    for i, v in enumerate(values):
        # Validate each number against the domain the symbolic parameter would have.
        p = Parameter(f"{name}_{i + 1}", float(v), domain)
        out.append(sympy.nsimplify(p.default, rational=True))
    return out, []


def params_dict(params: Mapping[str, float], names: Sequence[str]) -> list[float]:
    """The values of `names` from a parameter mapping, with a clear error when one is missing."""
    out = []
    for nm in names:
        if nm not in params:
            raise ModelError(
                f"stochastic step: parameter `{nm}` has no value; pass params with keys "
                f"{', '.join(names)}"
            )
        out.append(float(params[nm]))
    return out
