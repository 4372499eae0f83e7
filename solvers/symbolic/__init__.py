"""Symbolic analysis: equilibria, stability conditions, bifurcation conditions, thresholds.

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1})
>>> len(ig.equilibria(m))
2
"""

from __future__ import annotations

from .bifurcations import KINDS as KINDS
from .bifurcations import BifurcationCondition as BifurcationCondition
from .bifurcations import BifurcationConditions as BifurcationConditions
from .bifurcations import bifurcations as bifurcations
from .equilibria import Equilibrium as Equilibrium
from .equilibria import EquilibriumSet as EquilibriumSet
from .equilibria import ImplicitForm as ImplicitForm
from .equilibria import equilibria as equilibria
from .equilibria import equilibrium_equations as equilibrium_equations
from .stability import LAMBDA as LAMBDA
from .stability import Stability as Stability
from .stability import jacobian_at as jacobian_at
from .stability import stability as stability
from .stability import working_model as working_model
from .threshold import Threshold as Threshold
from .threshold import ThresholdSolution as ThresholdSolution
from .threshold import threshold as threshold
from .verify import StabilityCheck as StabilityCheck
from .verify import check_stability as check_stability

__all__ = [
    "KINDS",
    "LAMBDA",
    "BifurcationCondition",
    "BifurcationConditions",
    "Equilibrium",
    "EquilibriumSet",
    "ImplicitForm",
    "Stability",
    "StabilityCheck",
    "Threshold",
    "ThresholdSolution",
    "bifurcations",
    "check_stability",
    "equilibria",
    "equilibrium_equations",
    "jacobian_at",
    "stability",
    "threshold",
    "working_model",
]
