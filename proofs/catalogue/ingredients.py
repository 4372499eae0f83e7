"""C3 ingredients: is each of the four ingredients necessary for entrenchment, or an amplifier?

For each ingredient two claims are checked on the canonical model with that ingredient switched
off (:func:`incentive_geometry.theory.ablate`): "without it the entrenched state is never stable"
and "without it there is never bistability". A confirmed claim means the ingredient is
necessary for that outcome; a refuted one (with a counterexample) means it is only an amplifier.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.ingredients import entries
>>> len(entries())
8
"""

from __future__ import annotations

import functools

from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim
from incentive_geometry.proofs.derive import stability_derivation, window_derivation
from incentive_geometry.proofs.observe import count_stable, stable_at
from incentive_geometry.theory import INGREDIENTS, ablate, entrenchment, ingredients

from .entrenchment import DOMAIN, PAPER

__all__ = ["entries"]

_READING = (
    "confirmed: the ingredient is necessary for this outcome; refuted: it is only an amplifier "
    "(the counterexample shows the outcome without it)"
)


def entries() -> list[Entry]:
    """The C3 claims, two per ingredient.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.ingredients import entries
    >>> entries()[0].claim.name
    'C3.local_proxies.needed_for_entrenchment'
    """
    m = entrenchment()
    carried = ingredients(m)
    out = []
    for name in INGREDIENTS:
        off = ablate(m, name)
        what = carried[name]
        switch = ", ".join(f"{p} = {what.off:g}" for p in what.parameters)
        domain = {k: v for k, v in DOMAIN.items() if k in off.parameter_names}
        words = name.replace("_", " ")
        out.append(
            Entry(
                "C3 ingredients",
                Claim(
                    name=f"C3.{name}.needed_for_entrenchment",
                    statement=f"Without {words} ({switch}) the entrenched state x = 1 is never stable.",
                    model=off,
                    prediction="0 == 1",
                    domain=domain,
                    observe=functools.partial(stable_at, off, {"x": 1.0}),
                    derivation=functools.partial(stability_derivation, off, {"x": 1}, "0 == 1"),
                    references=(PAPER,),
                ),
                weight=0.5,
                reading=_READING,
            )
        )
        out.append(
            Entry(
                "C3 ingredients",
                Claim(
                    name=f"C3.{name}.needed_for_bistability",
                    statement=f"Without {words} ({switch}) aligned and entrenched states are never both stable.",
                    model=off,
                    prediction="0 == 1",
                    domain=domain,
                    observe=functools.partial(count_stable, off),
                    derivation=functools.partial(
                        window_derivation, off, [{"x": 0}, {"x": 1}], "0 == 1"
                    ),
                    references=(PAPER,),
                ),
                weight=0.5,
                reading=_READING,
            )
        )
    return out
