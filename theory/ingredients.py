"""The four ingredients of the incentive geometry, where each model carries them, and ablation.

The theory's four ingredients are **local proxies**, **partial observability**, **asymmetric
reinforcement** and **recursive feedback**. In each of the paper's models an ingredient is carried
by one or more parameters and switched off by fixing them at a value (``theta = 1``: full
observability; ``gamma = 0``: no recursive feedback; ...). :func:`ingredients` reads the map of a
model; :func:`ablate` returns the model with one ingredient switched off, the parameters
substituted and removed.

Examples
--------
>>> from incentive_geometry.theory import ablate, entrenchment, ingredients
>>> sorted(ingredients(entrenchment()))
['asymmetric_reinforcement', 'local_proxies', 'partial_observability', 'recursive_feedback']
>>> ablate(entrenchment(), "partial_observability").rhs
(-c*x*(1 - x),)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

__all__ = ["INGREDIENTS", "Ingredient", "ablate", "ingredients"]

#: The four ingredients, in the order the theory names them.
INGREDIENTS: tuple[str, ...] = (
    "local_proxies",
    "partial_observability",
    "asymmetric_reinforcement",
    "recursive_feedback",
)


@dataclass(frozen=True)
class Ingredient:
    """Where a model carries one ingredient of the incentive geometry.

    Parameters
    ----------
    name : str
        One of :data:`INGREDIENTS`.
    parameters : tuple of str
        The parameters that carry it.
    off : float
        The value of every such parameter that switches the ingredient off.
    meaning : str
        What switching it off means.

    Examples
    --------
    >>> from incentive_geometry.theory import Ingredient
    >>> Ingredient("recursive_feedback", ("gamma",), 0.0, "influence no longer raises capture")
    Ingredient(name='recursive_feedback', parameters=('gamma',), off=0.0, meaning='influence no longer raises capture')
    """

    name: str
    parameters: tuple[str, ...]
    off: float
    meaning: str

    def __post_init__(self) -> None:
        if self.name not in INGREDIENTS:
            raise ModelError(
                f"`name` {self.name!r} is not an ingredient; use one of {', '.join(INGREDIENTS)}"
            )
        if not self.parameters:
            raise ModelError(f"ingredient `{self.name}` needs at least one parameter")


# Model name pattern -> ingredient -> (parameter pattern, off value, meaning). Parameter patterns
# are regular expressions over parameter names so that vector parameters (b_1, b_2, ...) match.
_MAPS: tuple[tuple[str, dict[str, tuple[str, float, str]]], ...] = (
    (
        r"entrenchment(_mw)?(_diversity)?|entrenchment_n\d+|managerial_entrenchment",
        {
            "local_proxies": (r"b(_\d+)?|private_benefit", 0.0,
                              "the proxy pays nothing without true value"),
            "partial_observability": (r"theta|monitoring", 1.0, "true outcomes are always observed"),
            "asymmetric_reinforcement": (r"alpha|benefit_weight", 1.0,
                                         "proxy gains and observed losses weigh the same"),
            "recursive_feedback": (r"gamma(_\d+)?|specificity", 0.0,
                                   "influence no longer raises proxy capture"),
        },
    ),
    (
        r"nested_objectives",
        {"local_proxies": (r"phi", 0.0, "every level's proxy is the objective above it")},
    ),
)


def _map_for(model: Model) -> dict[str, tuple[str, float, str]]:
    if not isinstance(model, Model):
        raise ModelError(f"`model` must be a Model, got {type(model).__name__}")
    for pattern, table in _MAPS:
        if re.fullmatch(pattern, model.name):
            return table
    raise ModelError(
        f"model `{model.name}` has no ingredients map; the map covers the paper's models "
        "(entrenchment, entrenchment_n, nested_objectives, managerial_entrenchment)"
    )


def ingredients(model: Model) -> dict[str, Ingredient]:
    """The ingredients a model still carries: name -> :class:`Ingredient`.

    An ingredient whose parameters were all fixed (by :func:`ablate` or
    :meth:`~incentive_geometry.Model.with_parameters`) is no longer listed.

    Parameters
    ----------
    model : Model
        One of the paper's models (or one derived from it by fixing parameters).

    Returns
    -------
    dict of str to Ingredient

    Raises
    ------
    ModelError
        For a model the map does not cover.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment_n, ingredients, nested_objectives
    >>> ingredients(entrenchment_n(2))["local_proxies"].parameters
    ('b_1', 'b_2')
    >>> list(ingredients(nested_objectives()))
    ['local_proxies']
    """
    out: dict[str, Ingredient] = {}
    for name, (pattern, off, meaning) in _map_for(model).items():
        carried = tuple(p for p in model.parameter_names if re.fullmatch(pattern, p))
        if carried:
            out[name] = Ingredient(name, carried, off, meaning)
    return out


def ablate(model: Model, ingredient: str) -> Model:
    """The model without one ingredient: its parameters fixed at their "off" values and removed.

    Parameters
    ----------
    model : Model
        One of the paper's models.
    ingredient : str
        One of :data:`INGREDIENTS`.

    Returns
    -------
    Model
        Same name, the carrying parameters substituted (exactly) and dropped.

    Raises
    ------
    ModelError
        For an unknown ingredient, or one the model does not (or no longer) carry.

    Examples
    --------
    >>> from incentive_geometry.theory import ablate, entrenchment
    >>> ablate(entrenchment(), "recursive_feedback").rhs
    (x*(1 - x)*(alpha*b*(1 - theta) - c*theta),)
    >>> ablate(entrenchment(), "feedback")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: `ingredient` 'feedback' is not an ingredient; use one of local_proxies, partial_observability, asymmetric_reinforcement, recursive_feedback
    """
    if ingredient not in INGREDIENTS:
        raise ModelError(
            f"`ingredient` {ingredient!r} is not an ingredient; use one of {', '.join(INGREDIENTS)}"
        )
    table = ingredients(model)
    if ingredient not in table:
        raise ModelError(
            f"model `{model.name}` does not carry `{ingredient}` (already ablated, or not part "
            f"of this model); it carries: {', '.join(table) or 'none'}"
        )
    entry = table[ingredient]
    return model.with_parameters(**dict.fromkeys(entry.parameters, entry.off))
