"""incentive-geometry: principal-agent feedback loops as dynamical systems.

Write down (or pick from :mod:`incentive_geometry.theory`) a model of a learning system that
reinforces its routines on imperfect proxies; derive its fixed points, stability and bifurcation
conditions symbolically, and confirm them numerically.

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations({"x": "x*(1 - x)*(g - c)"}, parameters={"g": 1, "c": 2})
>>> m.time
'continuous'
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import ConvergenceError as ConvergenceError
from .errors import IncentiveGeometryError as IncentiveGeometryError
from .errors import ModelError as ModelError
from .errors import ModelKindError as ModelKindError
from .errors import SymbolicTimeout as SymbolicTimeout
from .io import load_model as load_model
from .language import ParserLimits as ParserLimits
from .model import Domain as Domain
from .model import Model as Model
from .model import Parameter as Parameter

__version__ = "0.1.0"

# The solver and claim layers sit on top of the core (DESIGN.md: proofs -> solvers -> core), so
# the facade reaches them lazily (PEP 562): `import incentive_geometry` stays light, and the core
# modules never import a solver. Public name -> module that defines it.
_LAZY: dict[str, str] = {
    # solvers/symbolic (lazy entries)
    "equilibria": "incentive_geometry.solvers.symbolic",
    "stability": "incentive_geometry.solvers.symbolic",
    "bifurcations": "incentive_geometry.solvers.symbolic",
    "threshold": "incentive_geometry.solvers.symbolic",
    "Equilibrium": "incentive_geometry.solvers.symbolic",
    "EquilibriumSet": "incentive_geometry.solvers.symbolic",
    "Stability": "incentive_geometry.solvers.symbolic",
    "BifurcationCondition": "incentive_geometry.solvers.symbolic",
    "BifurcationConditions": "incentive_geometry.solvers.symbolic",
    "Threshold": "incentive_geometry.solvers.symbolic",
    "ImplicitForm": "incentive_geometry.solvers.symbolic",
    "check_stability": "incentive_geometry.solvers.symbolic",
    "StabilityCheck": "incentive_geometry.solvers.symbolic",
    "mean_field": "incentive_geometry.solvers.symbolic.mean_field",
    "diffusion": "incentive_geometry.solvers.symbolic.mean_field",
    "escape_estimate": "incentive_geometry.solvers.symbolic.mean_field",
    "EscapeEstimate": "incentive_geometry.solvers.symbolic.mean_field",
    "equivalence": "incentive_geometry.solvers.symbolic.certificates",
    "Certificate": "incentive_geometry.solvers.symbolic.certificates",
    # proofs
    "Claim": "incentive_geometry.proofs.claims",
    "Step": "incentive_geometry.proofs.claims",
    "Observation": "incentive_geometry.proofs.claims",
    "check": "incentive_geometry.proofs.check",
    "CheckReport": "incentive_geometry.proofs.check",
    "Counterexample": "incentive_geometry.proofs.check",
    # solvers/numeric (lazy entries)
    "find_equilibria": "incentive_geometry.solvers.numeric.equilibria",
    "NumericEquilibrium": "incentive_geometry.solvers.numeric.equilibria",
    "simulate": "incentive_geometry.solvers.numeric.simulate",
    "Trajectory": "incentive_geometry.solvers.numeric.simulate",
    "continuation": "incentive_geometry.solvers.numeric.continuation",
    "switch_branch": "incentive_geometry.solvers.numeric.branch_points",
    "Branch": "incentive_geometry.solvers.numeric.branch",
    "Bifurcation": "incentive_geometry.solvers.numeric.branch",
    "sweep": "incentive_geometry.solvers.numeric.sweep",
    "StabilityMap": "incentive_geometry.solvers.numeric.stability_map",
    "train": "incentive_geometry.solvers.numeric.train",
    "TrainingRun": "incentive_geometry.solvers.numeric.train",
    "tipping_observability": "incentive_geometry.solvers.numeric.train",
    "TippingPoint": "incentive_geometry.solvers.numeric.train",
    "entrenched_fraction": "incentive_geometry.solvers.numeric.train",
    "escape_times": "incentive_geometry.solvers.numeric.train",
    "mean_escape_time": "incentive_geometry.solvers.numeric.train",
    "EscapeTime": "incentive_geometry.solvers.numeric.train",
    "hysteresis": "incentive_geometry.solvers.numeric.train",
    "Hysteresis": "incentive_geometry.solvers.numeric.train",
    "proportion": "incentive_geometry.solvers.numeric.train",
    "Proportion": "incentive_geometry.solvers.numeric.train",
    "empirical_drift": "incentive_geometry.solvers.numeric.train",
    "cycles": "incentive_geometry.solvers.numeric.cycles",
    "CycleBranch": "incentive_geometry.solvers.numeric.cycles",
    "CycleBifurcation": "incentive_geometry.solvers.numeric.cycles",
    "PeriodicOrbit": "incentive_geometry.solvers.numeric.cycles",
    "detect_cycle": "incentive_geometry.solvers.numeric.cycles",
    "bifurcation_curve": "incentive_geometry.solvers.numeric.codim2",
    "BifurcationCurve": "incentive_geometry.solvers.numeric.codim2",
    "CodimTwoPoint": "incentive_geometry.solvers.numeric.codim2",
    "plot_bifurcation_diagram": "incentive_geometry.solvers.numeric.plots",
    "plot_cycles": "incentive_geometry.solvers.numeric.plots",
    "plot_stability_map": "incentive_geometry.solvers.numeric.plots",
    "plot_architecture": "incentive_geometry.solvers.numeric.graph_plots",
    "plot_interaction_graph": "incentive_geometry.solvers.numeric.graph_plots",
    # solvers: feedback structure and structural analogy
    "interaction_graph": "incentive_geometry.solvers.structure",
    "circuits": "incentive_geometry.solvers.structure",
    "thomas_report": "incentive_geometry.solvers.structure",
    "spectral_threshold": "incentive_geometry.solvers.structure",
    "Circuit": "incentive_geometry.solvers.structure",
    "ThomasReport": "incentive_geometry.solvers.structure",
    "SpectralThreshold": "incentive_geometry.solvers.structure",
    "analogy": "incentive_geometry.solvers.analogy",
    "Analogy": "incentive_geometry.solvers.analogy",
    "plot_bifurcation_curves": "incentive_geometry.solvers.numeric.plots",
    "plot_phase_portrait": "incentive_geometry.solvers.numeric.plots",
    "plot_time_series": "incentive_geometry.solvers.numeric.plots",
}


#: Subpackages (and the display module) reachable as attributes (``ig.theory.entrenchment()``),
#: imported on first use as SciPy does for its subpackages.
_SUBPACKAGES = ("theory", "solvers", "proofs", "cli", "display")


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        value = importlib.import_module(f"incentive_geometry.{name}")
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'incentive_geometry' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # The public names and the subpackages only (not the helpers this module imports).
    return sorted({*__all__, *_SUBPACKAGES})


__all__ = [
    "ConvergenceError",
    "Domain",
    "IncentiveGeometryError",
    "Model",
    "ModelError",
    "ModelKindError",
    "Parameter",
    "ParserLimits",
    "SymbolicTimeout",
    "__version__",
    "load_model",
    *_LAZY,  # the lazily imported names are public too
]
