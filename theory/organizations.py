"""Classical analogues from organizations and measurement: regressional Goodhart, entrenchment.

Examples
--------
>>> from incentive_geometry.theory import goodhart_conditional_mean
>>> goodhart_conditional_mean(2.0, sigma_v=1.0, sigma_x=1.0)
1.0
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import sympy
from scipy import optimize, stats

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model, Parameter

from ._build import PAPER, check_int, params_dict, state

__all__ = [
    "CANONICAL_NAMES",
    "goodhart_conditional_mean",
    "goodhart_truncated_mean",
    "managerial_entrenchment",
    "regressional_goodhart",
    "selection_intensity",
]

_MG18 = (
    "D. Manheim and S. Garrabrant, Categorizing Variants of Goodhart's Law, arXiv:1803.04585, 2018"
)
_GOODHART = (
    "C. A. E. Goodhart, Problems of Monetary Management: The U.K. Experience, Papers in Monetary "
    "Economics, Reserve Bank of Australia, 1975"
)
_SV89 = (
    "A. Shleifer and R. W. Vishny, Management entrenchment: The case of manager-specific "
    "investments, Journal of Financial Economics 25(1) (1989) 123-139"
)


def _scales(sigma_v: float, sigma_x: float) -> tuple[float, float]:
    sv, sx = float(sigma_v), float(sigma_x)
    if not (np.isfinite(sv) and sv > 0 and np.isfinite(sx) and sx >= 0):
        raise ModelError(
            f"`sigma_v` must be positive and `sigma_x` nonnegative, got {sigma_v!r}, {sigma_x!r}"
        )
    return sv, sx


def goodhart_conditional_mean(u: Any, *, sigma_v: float, sigma_x: float) -> Any:
    r"""``E[V | U = u] = u sigma_V^2 / (sigma_V^2 + sigma_X^2)`` for ``U = V + X``, centred Gaussians.

    Parameters
    ----------
    u : float or array_like
        Observed proxy value.
    sigma_v : float
        ``sigma_V > 0``: standard deviation of the true value ``V``.
    sigma_x : float
        ``sigma_X >= 0``: standard deviation of the independent proxy error ``X``.

    Returns
    -------
    float or numpy.ndarray

    Raises
    ------
    ModelError
        For scales outside their domains.

    References
    ----------
    .. [1] D. Manheim and S. Garrabrant, Categorizing Variants of Goodhart's Law,
       arXiv:1803.04585, 2018 (regressional Goodhart).

    Examples
    --------
    >>> from incentive_geometry.theory import goodhart_conditional_mean
    >>> goodhart_conditional_mean(3.0, sigma_v=1.0, sigma_x=2.0)
    0.6
    """
    sv, sx = _scales(sigma_v, sigma_x)
    out = np.asarray(u, dtype=float) * sv**2 / (sv**2 + sx**2)
    return float(out) if out.ndim == 0 else out


def selection_intensity(tau: Any) -> Any:
    """The inverse Mills ratio ``phi(tau) / (1 - Phi(tau))``: mean of ``Z | Z >= tau``.

    Parameters
    ----------
    tau : float or array_like
        Truncation point in standard deviations.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> from incentive_geometry.theory import selection_intensity
    >>> round(selection_intensity(0.0), 6)  # sqrt(2/pi)
    0.797885
    """
    t = np.asarray(tau, dtype=float)
    # Computed in logs so that the ratio stays accurate far in the tail.
    out = np.exp(stats.norm.logpdf(t) - stats.norm.logsf(t))
    return float(out) if out.ndim == 0 else out


def goodhart_truncated_mean(t: Any, *, sigma_v: float, sigma_x: float) -> Any:
    r"""``E[V | U >= t] = (sigma_V^2 / sigma_U) phi(t/sigma_U) / (1 - Phi(t/sigma_U))``.

    ``U = V + X`` with independent centred Gaussians and ``sigma_U^2 = sigma_V^2 + sigma_X^2``:
    selecting on the proxy above ``t`` gains only the share ``sigma_V^2 / sigma_U^2`` of the
    proxy's gain ``E[U | U >= t]`` in true value.

    Parameters
    ----------
    t : float or array_like
        Selection threshold on the proxy.
    sigma_v, sigma_x : float
        Scales of true value and proxy error.

    Returns
    -------
    float or numpy.ndarray

    Raises
    ------
    ModelError
        For scales outside their domains.

    References
    ----------
    .. [1] D. Manheim and S. Garrabrant, Categorizing Variants of Goodhart's Law,
       arXiv:1803.04585, 2018.

    Examples
    --------
    >>> from incentive_geometry.theory import goodhart_truncated_mean
    >>> round(goodhart_truncated_mean(0.0, sigma_v=1.0, sigma_x=0.0), 6)
    0.797885
    """
    sv, sx = _scales(sigma_v, sigma_x)
    su = float(np.hypot(sv, sx))
    return sv**2 / su * selection_intensity(np.asarray(t, dtype=float) / su)


def _goodhart_step(population: int) -> Any:
    def step(x: Any, params: Any, rng: np.random.Generator) -> np.ndarray:
        """One generation: draw, select on the proxy, keep the selected mean true value."""
        sv, sx, lam = params_dict(params, ["sigma_v", "sigma_x", "intensity"])
        su = float(np.hypot(sv, sx))
        if not 0 < lam < 39:
            raise ModelError(
                f"stochastic step: `intensity` must be in (0, 39) (a truncation threshold within "
                f"39 standard deviations), got {lam!r}"
            )
        # Threshold tau (in sd of U) whose selection intensity is `intensity`.
        tau = optimize.brentq(lambda t: selection_intensity(t) - lam, -40.0, 40.0)
        arr = np.array(x, dtype=float)
        single = arr.ndim == 1
        X = np.atleast_2d(arr)
        v = X[:, :1] + sv * rng.standard_normal((X.shape[0], population))
        u = v + sx * rng.standard_normal(v.shape)
        keep = u - X[:, :1] >= tau * su
        count = keep.sum(axis=1)
        mean = np.where(count > 0, (v * keep).sum(axis=1) / np.maximum(count, 1), X[:, 0])
        out = mean[:, None]
        return out[0] if single else out

    return step


def regressional_goodhart(
    *, sigma_v: float = 1.0, sigma_x: float = 1.0, intensity: float = 0.8, population: int = 1000
) -> Model:
    r"""Regressional Goodhart: truncation selection on a noisy proxy gains only part in true value.

    A population has true values ``V ~ N(v, sigma_V^2)`` and proxies ``U = V + X`` with
    ``X ~ N(0, sigma_X^2)``. Each generation keeps those whose proxy exceeds the mean by
    ``tau sigma_U`` (selection intensity ``i = phi(tau) / (1 - Phi(tau))``) and the next
    generation inherits their true values (breeder's equation)::

        v' = v + i sigma_V^2 / sigma_U,      sigma_U = sqrt(sigma_V^2 + sigma_X^2).

    Parameters
    ----------
    sigma_v : float, default 1.0
        ``sigma_V > 0``: spread of true value.
    sigma_x : float, default 1.0
        ``sigma_X >= 0``: spread of the proxy error.
    intensity : float, default 0.8
        ``i > 0``: selection intensity (``0.798`` keeps the upper half).
    population : int, default 1000
        Individuals drawn per generation by the ``stochastic_step``.

    Returns
    -------
    Model
        Discrete time, state ``v``; observables ``proxy_gain = i sigma_U`` (gain of the selected
        in proxy), ``true_gain`` (in true value) and ``goodhart_ratio = sigma_V^2 / sigma_U^2``.

    Notes
    -----
    ``E[V | U = u] = u sigma_V^2 / sigma_U^2`` and ``E[V | U >= t] = (sigma_V^2 / sigma_U)
    phi(t / sigma_U) / (1 - Phi(t / sigma_U))`` (:func:`goodhart_conditional_mean`,
    :func:`goodhart_truncated_mean`): the harder the proxy is optimized, the larger the gap
    between proxy gain and true gain.

    References
    ----------
    .. [1] D. Manheim and S. Garrabrant, Categorizing Variants of Goodhart's Law,
       arXiv:1803.04585, 2018.
    .. [2] C. A. E. Goodhart, Problems of Monetary Management: The U.K. Experience, Papers in
       Monetary Economics, Reserve Bank of Australia, 1975.
    .. [3] J. L. Lush, Animal Breeding Plans, Iowa State College Press, 1937.

    Examples
    --------
    >>> from incentive_geometry.theory import regressional_goodhart
    >>> regressional_goodhart().rhs
    (intensity*sigma_v**2/sqrt(sigma_v**2 + sigma_x**2) + v,)
    """
    population = check_int(population, name="population", low=10)
    pv = Parameter("sigma_v", sigma_v, "positive", "spread of true value")
    px = Parameter("sigma_x", sigma_x, "nonnegative", "spread of the proxy error")
    pi = Parameter("intensity", intensity, "positive", "selection intensity phi(tau)/(1 - Phi(tau))")
    SV, SX, Lam = pv.symbol, px.symbol, pi.symbol
    su = sympy.sqrt(SV**2 + SX**2)
    v = state("v")
    model = Model.from_equations(
        {"v": v + Lam * SV**2 / su},
        parameters=[pv, px, pi],
        time="discrete",
        name="regressional_goodhart",
        states={"v": {"meaning": "mean true value of the population"}},
        observables={"proxy_gain": Lam * su, "true_gain": Lam * SV**2 / su,
                     "goodhart_ratio": SV**2 / (SV**2 + SX**2)},
        description=(
            "Truncation selection on a proxy U = V + X: true value gains only the share "
            "sigma_v^2/sigma_U^2 of the proxy gain."
        ),
        references=[_MG18, _GOODHART, "J. L. Lush, Animal Breeding Plans, Iowa State College "
                    "Press, 1937"],
    )
    return replace(model, stochastic_step=_goodhart_step(population))


#: Names of :func:`managerial_entrenchment` -> the canonical model's parameter each one is.
CANONICAL_NAMES: dict[str, str] = {
    "benefit_weight": "alpha",
    "monitoring": "theta",
    "private_benefit": "b",
    "specificity": "gamma",
    "cost": "c",
}


def managerial_entrenchment(
    *,
    benefit_weight: float = 1.0,
    monitoring: float = 0.3,
    private_benefit: float = 0.2,
    specificity: float = 1.0,
    cost: float = 1.0,
) -> Model:
    r"""Managerial entrenchment (Shleifer-Vishny) written as the canonical entrenchment model.

    ``x`` is the share of the firm's investment made manager-specific. With probability
    ``monitoring`` the board evaluates investments by their value to shareholders (a specific
    investment then costs ``cost``); otherwise the manager's own return counts: the private
    benefit ``private_benefit + specificity x`` (the more specific the firm's assets, the costlier
    it is to replace the manager, the larger his rents), weighted by ``benefit_weight``::

        dx/dt = x (1 - x) (benefit_weight (1 - monitoring) (private_benefit + specificity x)
                           - monitoring cost)

    which is :func:`~incentive_geometry.theory.entrenchment` under the renaming
    :data:`CANONICAL_NAMES`.

    Parameters
    ----------
    benefit_weight : float, default 1.0
        ``> 0``: weight of the manager's rents relative to shareholder losses (alpha).
    monitoring : float, default 0.3
        ``in [0, 1]``: probability the board sees shareholder value (theta).
    private_benefit : float, default 0.2
        ``>= 0``: rents of specific investment independent of entrenchment (b).
    specificity : float, default 1.0
        ``>= 0``: how much entrenchment raises the manager's rents (gamma).
    cost : float, default 1.0
        ``> 0``: shareholder value lost per unit of specific investment (c).

    Returns
    -------
    Model
        State ``x`` in ``[0, 1]``; observable ``shareholder_value = -cost x``.

    Notes
    -----
    As in the canonical model: once entrenched (``x = 1``) the manager stays unless
    ``monitoring > benefit_weight (private_benefit + specificity) / (benefit_weight
    (private_benefit + specificity) + cost)``, while preventing entrenchment needs only
    ``monitoring > benefit_weight private_benefit / (benefit_weight private_benefit + cost)``:
    Shleifer and Vishny's point that manager-specific investment makes replacement costly and
    self-reinforcing.

    References
    ----------
    .. [1] A. Shleifer and R. W. Vishny, Management entrenchment: The case of manager-specific
       investments, Journal of Financial Economics 25(1) (1989) 123-139.
    .. [2] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025.

    Examples
    --------
    >>> from incentive_geometry.theory import managerial_entrenchment
    >>> managerial_entrenchment().parameter_names
    ('benefit_weight', 'monitoring', 'private_benefit', 'specificity', 'cost')
    """
    params = [
        Parameter("benefit_weight", benefit_weight, "positive",
                  "weight of the manager's rents relative to shareholder losses"),
        Parameter("monitoring", monitoring, [0, 1],
                  "probability the board evaluates by shareholder value"),
        Parameter("private_benefit", private_benefit, "nonnegative",
                  "manager's rent from specific investment before entrenchment"),
        Parameter("specificity", specificity, "nonnegative",
                  "how much entrenchment raises the manager's rents"),
        Parameter("cost", cost, "positive", "shareholder value lost per unit of specific investment"),
    ]
    A, T, B, G, C = (p.symbol for p in params)
    x = state("x")
    return Model.from_equations(
        {"x": x * (1 - x) * (A * (1 - T) * (B + G * x) - T * C)},
        parameters=params,
        name="managerial_entrenchment",
        states={"x": {"domain": [0, 1], "meaning": "share of investment made manager-specific"}},
        observables={"shareholder_value": -C * x},
        description=(
            "Manager-specific investment raises the manager's rents and the cost of replacing "
            "him; the canonical entrenchment model with theta = board monitoring."
        ),
        references=[_SV89, PAPER],
    )
