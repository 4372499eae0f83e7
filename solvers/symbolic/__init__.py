"""Symbolic analysis: equilibria, stability conditions, bifurcation conditions, thresholds.

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1})
>>> len(ig.equilibria(m))
2
"""

from __future__ import annotations

from .equilibria import Equilibrium as Equilibrium
from .equilibria import EquilibriumSet as EquilibriumSet
from .equilibria import equilibria as equilibria
from .equilibria import equilibrium_equations as equilibrium_equations

__all__ = [
    "Equilibrium",
    "EquilibriumSet",
    "equilibria",
    "equilibrium_equations",
]
