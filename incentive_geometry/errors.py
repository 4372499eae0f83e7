"""The one error hierarchy of incentive-geometry.

Every failure the toolkit raises on purpose derives from :class:`IncentiveGeometryError` and
also from the builtin exception that matches it, so callers may catch either:

>>> import incentive_geometry as ig
>>> try:
...     ig.Model.from_equations({"x": "x +"}, parameters={})
... except ValueError as err:
...     isinstance(err, ig.ModelError)
True

A message names the input in backticks, shows the offending value, and says what to do.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceError",
    "IncentiveGeometryError",
    "ModelError",
    "ModelKindError",
    "SymbolicTimeout",
]


class IncentiveGeometryError(Exception):
    """Root of every error raised on purpose by incentive-geometry.

    Examples
    --------
    >>> from incentive_geometry.errors import IncentiveGeometryError, ModelError
    >>> issubclass(ModelError, IncentiveGeometryError)
    True
    """


class ModelError(IncentiveGeometryError, ValueError):
    """A model, its text, a model file or a parameter value is invalid.

    Attributes
    ----------
    summary : str
        The first line of the message: what is wrong, in one line.

    Examples
    --------
    >>> from incentive_geometry.errors import ModelError
    >>> err = ModelError("equation for `x`: unknown name `z`", context="x + z\\n    ^")
    >>> err.summary
    'equation for `x`: unknown name `z`'
    >>> print(err)
    equation for `x`: unknown name `z`
    x + z
        ^
    """

    def __init__(self, summary: str, *, context: str = "") -> None:
        self.summary = summary
        self.context = context
        super().__init__(f"{summary}\n{context}" if context else summary)


class ModelKindError(ModelError):
    """An operation was asked of a model of the wrong kind.

    For example ``iterate`` of a continuous-time model, or ``discretize`` of a map.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "-x"}, parameters={})
    >>> try:
    ...     m.iterate(2)
    ... except ig.ModelKindError as err:
    ...     print(err.summary)
    `iterate` needs a discrete-time model, but model `model` has time='continuous'; use `discretize(step)` to get a map first
    """


class ConvergenceError(IncentiveGeometryError, RuntimeError):
    """A numerical procedure did not converge; the message says what was tried.

    Examples
    --------
    >>> from incentive_geometry.errors import ConvergenceError
    >>> isinstance(ConvergenceError("Newton did not converge"), RuntimeError)
    True
    """


class SymbolicTimeout(IncentiveGeometryError, TimeoutError):
    """A symbolic computation went past its time budget (the ``timeout=`` argument).

    Examples
    --------
    >>> from incentive_geometry.errors import SymbolicTimeout
    >>> isinstance(SymbolicTimeout("equilibria: 5 s budget exceeded"), TimeoutError)
    True
    """
