"""The model library: the paper's entrenchment models and their classical analogues.

Every entry is a factory returning a :class:`~incentive_geometry.Model`; nothing here calls a
solver. :data:`MODELS` maps the name used on the command line (``incgeo show NAME``) to its
factory; each factory can be called with no arguments.

Examples
--------
>>> from incentive_geometry.theory import MODELS
>>> isinstance(MODELS, dict)
True
"""

from __future__ import annotations

from collections.abc import Callable

from incentive_geometry.model import Model

__all__ = ["MODELS"]

#: Name -> factory of every model in the library (filled by the modules of this package).
MODELS: dict[str, Callable[[], Model]] = {}
