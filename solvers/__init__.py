"""Solvers that take any :class:`~incentive_geometry.Model` and know no particular model.

``symbolic`` derives equilibria, stability and bifurcation conditions with sympy; ``numeric``
confirms them with scipy (simulation, continuation, sweeps).
"""

from __future__ import annotations

__all__: list[str] = []
