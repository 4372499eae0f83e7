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
]
