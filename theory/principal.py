"""An optimizing principal: monitoring chosen at a cost, so that entrenchment is an outcome.

The principal of the canonical model (:func:`incentive_geometry.theory.entrenchment`) picks its
observability ``theta`` once, paying ``kappa theta`` per unit time for monitoring and losing
``ell`` per unit time per unit of M's influence ``x``. Its long-run cost from a start ``x0`` is

    C(theta) = kappa theta + ell x_inf(theta; x0),

where ``x_inf`` is where the flow ends. ``G`` is increasing in ``x``, so from an entrenched
start ``x_inf = 1`` for ``theta < theta*`` and 0 above it; from an aligned start ``x_inf = 0``
for ``theta > theta_p = alpha b / (alpha b + c)`` and 1 below it (with ``gamma > 0``). The
optimum is therefore either no monitoring (cost ``ell``) or monitoring just past the relevant
threshold (cost ``kappa theta*`` or ``kappa theta_p``): the principal undoes entrenchment iff
``kappa theta* < ell`` and prevents it iff ``kappa theta_p < ell``. Because
``theta_p < theta*`` (hysteresis), for ``kappa theta_p < ell < kappa theta*`` the optimal
principal prevents entrenchment from an aligned start but tolerates it once it is in place:
observability and entrenchment are an equilibrium outcome that depends on history.

Examples
--------
>>> from incentive_geometry.theory.principal import principal_tolerates
>>> principal_tolerates(kappa=1.0, ell=0.5, alpha=1.0, b=0.2, gamma=1.0, c=1.0)
(False, True)
"""

from __future__ import annotations

from incentive_geometry.errors import ModelError

__all__ = ["monitoring_thresholds", "principal_tolerates"]


def monitoring_thresholds(*, alpha: float, b: float, gamma: float, c: float) -> tuple[float, float]:
    """``(theta_p, theta*)``: observability that prevents and that undoes entrenchment.

    Examples
    --------
    >>> from incentive_geometry.theory.principal import monitoring_thresholds
    >>> [round(v, 6) for v in monitoring_thresholds(alpha=1.0, b=0.2, gamma=1.0, c=1.0)]
    [0.166667, 0.545455]
    """
    if not (alpha > 0 and b >= 0 and gamma >= 0 and c > 0):
        raise ModelError(
            f"need `alpha` > 0, `b` >= 0, `gamma` >= 0, `c` > 0; got alpha={alpha!r}, b={b!r}, "
            f"gamma={gamma!r}, c={c!r}"
        )
    prevent = alpha * b / (alpha * b + c)
    undo = alpha * (b + gamma) / (alpha * (b + gamma) + c)
    return prevent, undo


def principal_tolerates(
    *, kappa: float, ell: float, alpha: float, b: float, gamma: float, c: float
) -> tuple[bool, bool]:
    """Whether the cost-minimizing principal ends with M entrenched, from an aligned start and
    from an entrenched start: ``(kappa theta_p > ell, kappa theta* > ell)``.

    Parameters
    ----------
    kappa : float
        ``kappa > 0``: cost of monitoring per unit of observability and time.
    ell : float
        ``ell > 0``: the principal's loss per unit time from M's full influence.
    alpha, b, gamma, c : float
        As in :func:`incentive_geometry.theory.entrenchment`.

    Returns
    -------
    tuple of bool

    References
    ----------
    .. [1] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025 (the thresholds); R. Avenhaus, B. von Stengel and S. Zamir, Inspection games, in
       Handbook of Game Theory vol. 3, Elsevier, 2002, chapter 51 (monitoring at a cost).

    Examples
    --------
    >>> from incentive_geometry.theory.principal import principal_tolerates
    >>> principal_tolerates(kappa=0.1, ell=0.5, alpha=1.0, b=0.2, gamma=1.0, c=1.0)
    (False, False)
    """
    if not (kappa > 0 and ell > 0):
        raise ModelError(f"need `kappa` > 0 and `ell` > 0; got kappa={kappa!r}, ell={ell!r}")
    prevent, undo = monitoring_thresholds(alpha=alpha, b=b, gamma=gamma, c=c)
    return kappa * prevent > ell, kappa * undo > ell
