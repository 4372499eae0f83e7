"""Multilevel selection (Traulsen and Nowak 2006): when does group selection favour cooperators?

``m`` groups of ``n`` play the prisoner's dilemma (a cooperator pays ``c`` so that the others
share ``b``); an individual reproduces in proportion to fitness ``1 - w + w * payoff`` and a group
that grows past ``n`` rarely splits (``q -> 0``), replacing another group. In the limit of weak
selection, one cooperator fixes with probability above the neutral ``1/(n m)`` iff::

    b / c > 1 + n / (m - 2)

(the paper's headline ``b/c > 1 + n/m`` is the further limit of many groups). The prediction is
that condition in ``(b/c, n, m)`` for four pairs ``(n, m)``. The observation is the sign of
``(N rho(w) - 1) / w`` at ``w = 1e-20``, with ``rho`` the exact product of the two Moran fixation
probabilities (within the group, then of the groups) evaluated in 60-digit arithmetic
(:func:`incentive_geometry.theory.biology.traulsen_nowak_selection_gradient`); no threshold
formula is used. The thresholds ``1 + m/n`` and ``b/c > 1`` (selection within the group ignored)
are refuted in the tests.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.selection import entries
>>> [e.claim.name for e in entries()]  # doctest: +NORMALIZE_WHITESPACE
['selection.traulsen_nowak_n4_m8', 'selection.traulsen_nowak_n10_m12',
 'selection.traulsen_nowak_n20_m40', 'selection.traulsen_nowak_n5_m3']
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation
from incentive_geometry.theory.biology import traulsen_nowak_selection_gradient

__all__ = ["GROUPS", "cooperation_favoured", "entries"]

#: The (group size n, number of groups m) pairs of the catalogue claims.
GROUPS = ((4, 8), (10, 12), (20, 40), (5, 3))

_TN06 = (
    "A. Traulsen and M. A. Nowak, Evolution of cooperation by multilevel selection, Proceedings "
    "of the National Academy of Sciences USA 103(29) (2006) 10952-10955"
)
_NSTF04 = (
    "M. A. Nowak, A. Sasaki, C. Taylor and D. Fudenberg, Emergence of cooperation and "
    "evolutionary stability in finite populations, Nature 428 (2004) 646-650"
)
_READING = (
    "Refuted would mean the weak-selection fixation probability of one cooperator crosses 1/N "
    "elsewhere than b/c = 1 + n/(m - 2). The many-groups form 1 + n/m is only the m >> 1 limit "
    "(refuted at these m), and 1 + m/n or b/c > 1 are refuted in the tests."
)


def cooperation_favoured(n: int, m: int, values: Mapping[str, float]) -> Observation:
    """Whether weak selection favours one cooperator (``rho > 1/(n m)``), by the Moran products.

    Parameters
    ----------
    n, m : int
        Group size and number of groups.
    values : mapping
        ``b`` and ``c`` at the sample point.

    Returns
    -------
    Observation
        ``True`` when ``(N rho(w) - 1) / w > 0`` at ``w = 1e-20``.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.selection import cooperation_favoured
    >>> cooperation_favoured(4, 8, {"b": 3.0, "c": 1.0}).value
    True
    """
    gradient = traulsen_nowak_selection_gradient(
        b=float(values["b"]), c=float(values["c"]), n=n, m=m
    )
    return Observation(
        gradient > 0,
        f"(N rho - 1)/w = {gradient:.6g} at w = 1e-20 (exact Moran products, 60 digits)",
    )


def entries() -> list[Entry]:
    """The multilevel-selection claims, one per ``(n, m)`` of :data:`GROUPS`.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.selection import entries
    >>> entries()[0].claim.prediction_text()
    'b/c > n/(m - 2) + 1'
    """
    out = []
    for n, m in GROUPS:
        out.append(
            Entry(
                "multilevel selection",
                Claim(
                    name=f"selection.traulsen_nowak_n{n}_m{m}",
                    statement=f"Traulsen-Nowak multilevel selection with {m} groups of {n}: in "
                    "the limit of weak selection and rare splitting, one cooperator fixes with "
                    "probability above 1/N iff b/c > 1 + n/(m - 2).",
                    prediction="b/c > 1 + n/(m - 2)",
                    domain={"b": (0.5, 8.0), "c": (0.5, 1.5)},
                    fixed={"n": float(n), "m": float(m)},
                    observe=functools.partial(cooperation_favoured, n, m),
                    references=(_TN06, _NSTF04),
                    observer="exact Moran fixation products at w = 1e-20 (60 digits)",
                ),
                weight=0.25,
                reading=_READING,
            )
        )
    return out
