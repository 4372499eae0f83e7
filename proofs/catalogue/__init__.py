"""The catalogue of claims: the paper's (C1-C6) and the classical results of the theory library.

Each family module has ``entries() -> list[Entry]``. :func:`catalogue` gathers them in order;
``incgeo verify`` checks each. Nothing here is tuned to pass: a claim is stated as the paper or
the textbook states it, and its verdict is whatever the check finds.

Examples
--------
>>> from incentive_geometry.proofs.catalogue import catalogue
>>> entries = catalogue()
>>> len(entries) > 20 and len({e.claim.name for e in entries}) == len(entries)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from incentive_geometry.proofs.claims import Claim

__all__ = ["FAMILIES", "Entry", "catalogue"]


@dataclass(frozen=True)
class Entry:
    """A claim of the catalogue with how it is checked and how to read its verdict.

    Attributes
    ----------
    family : str
        E.g. ``"C1 entrenchment"``.
    claim : Claim
    weight : float
        Share of the ``--samples`` budget this claim gets (expensive observations get less).
    reading : str
        How to read the verdict (e.g. for C3: refuted means the ingredient is only an amplifier).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue import catalogue
    >>> catalogue()[0].family
    'C1 entrenchment'
    """

    family: str
    claim: Claim
    weight: float = 1.0
    reading: str = ""

    def samples(self, base: int) -> int:
        """Samples for this claim when the catalogue runs with `base` samples per claim.

        Examples
        --------
        >>> from incentive_geometry.proofs.catalogue import catalogue
        >>> catalogue()[0].samples(64)
        64
        """
        return max(8, round(base * self.weight))


def _families() -> dict[str, Callable[[], list[Entry]]]:
    from . import (
        analogy,
        classical,
        depth,
        drift,
        entrenchment,
        ingredients,
        learners,
        mitigation,
        oscillation,
        selection,
    )

    return {
        "C1": entrenchment.entries,
        "C2": drift.entries,
        "C3": ingredients.entries,
        "C4": analogy.entries,
        "C5": mitigation.entries,
        "C6": depth.entries,
        "oscillation": oscillation.entries,
        "classical": classical.entries,
        "learners": learners.entries,
        "selection": selection.entries,
    }


#: Family key -> builder of its entries (filled lazily; see :func:`catalogue`).
FAMILIES: dict[str, Callable[[], list[Entry]]] = {}


def catalogue(only: str | None = None, *, extended: bool = False) -> list[Entry]:
    """All entries of the catalogue, in order; `only` keeps claims whose name or family
    contains it.

    Parameters
    ----------
    only : str, optional
    extended : bool
        Also the claims too costly for the default run's 3-minute budget: C3's "only an
        amplifier" claims (:func:`~incentive_geometry.proofs.catalogue.ingredients.amplifier_entries`).

    Returns
    -------
    list of Entry

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue import catalogue
    >>> [e.claim.name for e in catalogue("C1.aligned")]
    ['C1.aligned_stable']
    """
    if not FAMILIES:
        FAMILIES.update(_families())
    out: list[Entry] = []
    for build in FAMILIES.values():
        out.extend(build())
    if extended:
        from .ingredients import amplifier_entries

        out.extend(amplifier_entries())
    if only:
        out = [e for e in out if only in e.claim.name or only in e.family]
    return out
