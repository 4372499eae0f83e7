"""C6 recursion depth: how alignment with the designer's objective decays over L nested levels.

``C6.depth_L``: every level drifts by exactly the angle ``phi`` in a direction drawn uniformly
orthogonal to the level above; the expected alignment is ``cos(phi)^L``. The observation draws
the construction (:func:`incentive_geometry.theory.nested_alignment_sample`) and a t-test
compares the Monte Carlo mean with the prediction. **This is an exact identity in any dimension
(two or more)**: the drift direction is symmetric given the level above, so
``E[cos_l] = cos(phi) E[cos_{l-1}]``; the check can only fail through a sampler error.

``C6.fitted.*`` (C6 with selection): every level *fits* its objective from ``n`` noisy
evaluations of the level above by least squares
(:func:`incentive_geometry.theory.selection_depth.fitted_chain_sample`). Independent drift (the
fitting noise) compounds to ``kappa^L`` with ``kappa`` the mean cosine of one fit (a closed
form, :func:`incentive_geometry.theory.selection_depth.fit_alignment`); coherent drift (each
level also turned by ``phi`` in one fixed plane) to ``kappa^L cos(L phi)``. The observation is a
Monte Carlo simulation of the fitted chain, never the formula; a wrong kappa, or the coherent
law used for independent drift (or the reverse), is refuted.

Examples
--------
>>> from incentive_geometry.proofs.catalogue.depth import entries
>>> [e.claim.name for e in entries()][:4]
['C6.depth_1', 'C6.depth_2', 'C6.depth_4', 'C6.depth_8']
>>> [e.claim.name for e in entries()][4:]  # doctest: +NORMALIZE_WHITESPACE
['C6.fitted.independent_1', 'C6.fitted.independent_2', 'C6.fitted.independent_4',
 'C6.fitted.independent_8', 'C6.fitted.coherent_2', 'C6.fitted.coherent_4',
 'C6.fitted.coherent_8']
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import sympy

from incentive_geometry.language import to_text
from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation
from incentive_geometry.theory import nested_alignment_sample, nested_objectives
from incentive_geometry.theory.selection_depth import fit_alignment_expression, fitted_chain_sample

from .entrenchment import PAPER

__all__ = ["FITTED", "alignment_draws", "entries", "fitted_draws", "kappa_text"]

#: The fitted chain of the ``C6.fitted`` claims: dimension, evaluations per fit, chains per point.
FITTED = {"dim": 5, "samples": 10, "replicates": 1000}

_IDENTITY = (
    "An exact identity in any dimension (the drift direction is symmetric given the level "
    "above): a confirmation checks the sampler, it is not evidence about learned objectives."
)
_FITTED_READING = (
    "Refuted would mean that independent fitting noise does not compound multiplicatively "
    "(kappa**L), or that a coherent rotation does not add up in angle (cos(L*phi)); a wrong "
    "kappa or the other drift law is refuted in the tests."
)


def alignment_draws(
    levels: int, values: Mapping[str, float], *, dim: int = 200, samples: int = 400
) -> Observation:
    """Monte Carlo alignments of the deepest level (seeded from the sample point).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.depth import alignment_draws
    >>> alignment_draws(2, {"phi": 0.3}).value.shape
    (400,)
    """
    seed = int(abs(hash(round(float(values["phi"]), 12))) % (2**32))
    rng = np.random.default_rng(seed)
    draws = nested_alignment_sample(
        levels, phi=float(values["phi"]), dim=dim, samples=samples, rng=rng
    )[:, -1]
    return Observation(
        draws, f"{samples} draws in dimension {dim}: mean {draws.mean():.5f}, sd {draws.std():.3g}"
    )


def kappa_text() -> str:
    """The mean cosine of one fit of the ``C6.fitted`` claims, as model-language text in `sigma`.

    :func:`~incentive_geometry.theory.selection_depth.fit_alignment_expression` at
    ``snr = sqrt(n) / sigma`` for the dimension and evaluations per fit of :data:`FITTED`.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.depth import kappa_text
    >>> kappa_text().endswith("+ erf(sqrt(5)/sigma)")
    True
    """
    sigma = sympy.Symbol("sigma", real=True)
    snr = sympy.sqrt(FITTED["samples"]) / sigma
    return to_text(fit_alignment_expression(FITTED["dim"], snr))


def fitted_draws(levels: int, values: Mapping[str, float]) -> Observation:
    """Monte Carlo alignments of level `levels` of the fitted chain at ``sigma`` (and ``phi``).

    Seeded from the sample point, so an observation is reproducible.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.depth import fitted_draws
    >>> obs = fitted_draws(2, {"sigma": 1.0, "phi": 0.2})
    >>> obs.value.shape
    (1000,)
    """
    sigma = float(values["sigma"])
    phi = float(values.get("phi", 0.0))
    seq = np.random.SeedSequence([levels, round(sigma * 1e9), round(phi * 1e9) % 2**63])
    draws = fitted_chain_sample(
        levels,
        noise=sigma,
        samples=FITTED["samples"],
        dim=FITTED["dim"],
        replicates=FITTED["replicates"],
        rng=np.random.default_rng(seq),
        phi=phi,
    )[:, -1]
    return Observation(
        draws,
        f"{draws.size} fitted chains (d={FITTED['dim']}, n={FITTED['samples']}): mean "
        f"{draws.mean():.5f}, sd {draws.std():.3g}",
    )


def _fitted_entries() -> list[Entry]:
    kappa = kappa_text()
    d, n = FITTED["dim"], FITTED["samples"]
    setup = (
        f"Each level fits its objective by least squares from {n} noisy evaluations (noise sd "
        f"sigma, orthogonal design, d = {d}) of the level above"
    )
    refs = (
        PAPER,
        "K. V. Mardia and P. E. Jupp, Directional Statistics, Wiley, 2000 (the projected normal)",
    )
    out = []
    for levels in (1, 2, 4, 8):
        out.append(
            Entry(
                "C6 recursion depth",
                Claim(
                    name=f"C6.fitted.independent_{levels}",
                    statement=f"{setup}; after {levels} level(s) the expected alignment with the "
                    f"designer's objective is kappa^{levels}, kappa the mean cosine of one fit.",
                    prediction=f"({kappa})**{levels}",
                    kind="mean",
                    domain={"sigma": (0.4, 3.0)},
                    observe=functools.partial(fitted_draws, levels),
                    references=refs,
                    observer="Monte Carlo simulation of the fitted chain",
                ),
                weight=0.25,
                reading=_FITTED_READING,
            )
        )
    for levels in (2, 4, 8):
        out.append(
            Entry(
                "C6 recursion depth",
                Claim(
                    name=f"C6.fitted.coherent_{levels}",
                    statement=f"{setup}, turned by phi in one fixed plane; after {levels} levels "
                    f"the expected alignment is kappa^{levels} cos({levels} phi).",
                    prediction=f"({kappa})**{levels}*cos({levels}*phi)",
                    kind="mean",
                    domain={"sigma": (0.4, 3.0), "phi": (0.05, 0.6)},
                    observe=functools.partial(fitted_draws, levels),
                    references=refs,
                    observer="Monte Carlo simulation of the fitted chain",
                ),
                weight=0.25,
                reading=_FITTED_READING,
            )
        )
    return out


def entries() -> list[Entry]:
    """The C6 claims: the identity ``C6.depth_L`` per depth, then the fitted chain.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.depth import entries
    >>> entries()[0].claim.kind
    'mean'
    """
    out = []
    for levels in (1, 2, 4, 8):
        model = nested_objectives(levels)
        out.append(
            Entry(
                "C6 recursion depth",
                Claim(
                    name=f"C6.depth_{levels}",
                    statement=f"After {levels} nested level(s), each drifting by phi, the expected alignment "
                    f"with the designer's objective is cos(phi)^{levels}.",
                    model=model,
                    prediction=f"cos(phi)**{levels}",
                    kind="mean",
                    domain={"phi": (0.05, 1.2)},
                    observe=functools.partial(alignment_draws, levels),
                    references=(PAPER,),
                    observer="Monte Carlo draws of the nested construction",
                ),
                weight=0.25,
                reading=_IDENTITY,
            )
        )
    return out + _fitted_entries()
