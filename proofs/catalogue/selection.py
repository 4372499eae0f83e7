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

import sympy

from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation, Step
from incentive_geometry.theory.biology import traulsen_nowak_selection_gradient

__all__ = ["GROUPS", "cooperation_favoured", "derivation", "entries"]

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


def derivation(n: int, m: int) -> list[Step]:
    """The weak-selection derivation of the threshold for one ``(n, m)``, each step checked.

    1. Neutrality: at ``w = 0`` the within-group sum is ``n`` and the between-group probability
       ``1/m``, so ``N rho = 1``.
    2. The first-order coefficient of ``N rho`` in ``w``: every Moran factor ``g_i / f_i`` is
       ``1`` at ``w = 0``, so the derivative of each partial product is the sum of
       ``g_i' - f_i'``; between groups ``rho = r^(m-1) / sum_{k<m} r^k`` is differentiated in
       ``r`` at ``r = 1``. The coefficient is compared with ``(b (m-2) - c (m-2+n)) / 2``.
    3. ``coefficient > 0`` is decided equivalent to the prediction on the sampled box by the
       SMT route (:func:`incentive_geometry.solvers.symbolic.certificates.equivalence`).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.selection import derivation
    >>> [s.verified for s in derivation(4, 8)]
    [True, True, True]
    """
    from incentive_geometry.solvers.symbolic.certificates import equivalence

    b, c = sympy.Symbol("b", real=True), sympy.Symbol("c", real=True)
    w, r = sympy.Symbol("w", real=True), sympy.Symbol("r", positive=True)
    steps: list[Step] = []
    total0, d_total, d_partial = sympy.Integer(1), sympy.Integer(0), sympy.Integer(0)
    neutral = True
    for i in range(1, n):
        f = 1 - w + w * ((b - c) * (i - 1) - c * (n - i)) / (n - 1)
        g = 1 - w + w * b * i / (n - 1)
        neutral &= bool(f.subs(w, 0) == 1 and g.subs(w, 0) == 1)
        # Quotient rule at w = 0, where f = g = 1: (g/f)' = g' - f'.
        d_partial = sympy.expand(d_partial + sympy.diff(g, w) - sympy.diff(f, w))
        d_total = sympy.expand(d_total + d_partial)
        total0 += 1
    # Between groups: rho = r^(m-1) / S(r), S(r) = sum_{k<m} r^k, so that
    # d log(rho)/dr = (m - 1)/r - S'(r)/S(r); at r = 1, rho = 1/S(1).
    S = sympy.Poly(sum((r**k for k in range(m)), sympy.Integer(0)), r)
    r_of_w = (1 - w + w * (b - c)) / (1 - w)
    neutral &= bool(total0 == n and S.eval(1) == m and r_of_w.subs(w, 0) == 1)
    steps.append(
        Step(
            "N rho = 1 at w = 0 (neutral drift)",
            f"within the group: sum of {n} products equal to 1; between groups: rho = 1/{m}",
            neutral,
        )
    )
    d_log_between = (m - 1) - S.diff(r).eval(1) / S.eval(1)
    coefficient = sympy.expand(d_log_between * sympy.diff(r_of_w, w).subs(w, 0) - d_total / n)
    closed = (b * (m - 2) - c * (m - 2 + n)) / 2
    steps.append(
        Step(
            "first-order coefficient of N rho in w",
            f"d(N rho)/dw at w = 0 = {coefficient} = (b (m - 2) - c (m - 2 + n))/2",
            sympy.expand(coefficient - closed) == 0,
        )
    )
    prediction = b / c > 1 + sympy.Rational(n, m - 2)
    cert = equivalence(coefficient > 0, prediction, {b: (0.5, 8.0), c: (0.5, 1.5)}, positive=[b, c])
    steps.append(
        Step(
            "coefficient > 0 iff b/c > 1 + n/(m - 2) on the sampled box",
            f"SMT equivalence of {coefficient} > 0 and {prediction}",
            cert.status == "proved",
            cert.summary(),
        )
    )
    return steps


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
                    derivation=functools.partial(derivation, n, m),
                    references=(_TN06, _NSTF04),
                    observer="exact Moran fixation products at w = 1e-20 (60 digits)",
                ),
                weight=0.25,
                reading=_READING,
            )
        )
    return out
