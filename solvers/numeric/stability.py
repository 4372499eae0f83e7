"""Linear stability from eigenvalues: the one predicate and the one tolerance of the numerics.

An equilibrium of a flow is *stable* when every eigenvalue of the Jacobian has a negative real
part, a fixed point of a map when every multiplier lies inside the unit circle (Kuznetsov 2004,
theorems 1.2 and 1.3). Computed eigenvalues carry errors: those of the computed point (Newton
stops at a tolerance; at a multiple root, such as ``x' = (x - p)**2`` at ``x = p``, the point is
found only to about the square root of it, so its eigenvalue is about -1e-10 where the true one
is 0) and those of the eigenvalue solver. So the *margin* (the largest real part, or the largest
modulus minus one) is compared with a band around zero:

==========  ===========================================================================
stable      ``margin < -band``
neutral     ``|margin| <= band``, or the eigenvalues are not finite: the linearization does
            not decide (an eigenvalue on the stability boundary: a fold, Hopf or branch point,
            a centre, a semi-stable point)
unstable    ``margin > band``
==========  ===========================================================================

with ``band = STABILITY_TOL * (1 + max |lambda|) + uncertainty``; `uncertainty` is what a caller
knows of the error of its eigenvalues at a point (the sweep bounds the rounding of its roots).
`find_equilibria`, `continuation`, `sweep` and the numerical observations of claims all decide
stability here.

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   section 1.4 (theorems 1.2 and 1.3: stability from the eigenvalues of the linearization).

Examples
--------
>>> import numpy as np
>>> stability_class("continuous", np.array([-1.0, -2e-10]))
'neutral'
>>> stability_class("discrete", np.array([0.5 + 0.5j, 0.5 - 0.5j]))
'stable'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from incentive_geometry.errors import ModelError

__all__ = [
    "NEUTRAL",
    "STABILITY_CLASSES",
    "STABILITY_TOL",
    "STABLE",
    "UNSTABLE",
    "is_stable",
    "stability_class",
    "stability_codes",
    "stability_margin",
]

#: Half-width of the neutral band, relative to ``1 + max |lambda|``. Newton's points are good to
#: about 1e-10 and the eigenvalues of a well-conditioned matrix to about 1e-15 relative; 1e-8
#: keeps the eigenvalue of a point found to sqrt(1e-16) at a multiple root inside the band.
STABILITY_TOL = 1e-8

#: Codes of :func:`stability_codes`, indices into `STABILITY_CLASSES`.
STABLE, NEUTRAL, UNSTABLE = 0, 1, 2
STABILITY_CLASSES = ("stable", "neutral", "unstable")


def _check_time(time: str) -> None:
    if time not in ("continuous", "discrete"):
        raise ModelError(f"`time` must be 'continuous' or 'discrete', got {time!r}")


def stability_margin(time: str, eigenvalues: Any) -> Any:
    """The largest real part (flow) or the largest modulus minus one (map).

    Parameters
    ----------
    time : {"continuous", "discrete"}
    eigenvalues : complex array of shape (..., n)

    Returns
    -------
    float or array of shape (...)
        Negative when stable. ``-inf`` for an empty spectrum (a model with no states), NaN where
        an eigenvalue is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> float(stability_margin("continuous", np.array([-1 + 2j, -3])))
    -1.0
    >>> float(stability_margin("discrete", np.array([0.5, -1.5])))
    0.5
    """
    _check_time(time)
    lam = np.asarray(eigenvalues, dtype=complex)
    if lam.shape[-1:] == (0,):
        return np.full(lam.shape[:-1], -np.inf) if lam.ndim > 1 else -np.inf
    with np.errstate(invalid="ignore"):
        part = np.abs(lam) - 1.0 if time == "discrete" else lam.real
        # NaN anywhere makes the margin NaN (np.max propagates NaN).
        return np.max(part, axis=-1)


def stability_codes(time: str, eigenvalues: Any, *, uncertainty: Any = 0.0) -> Any:
    """``STABLE``, ``NEUTRAL`` or ``UNSTABLE`` for each spectrum (see the module docstring).

    Parameters
    ----------
    time : {"continuous", "discrete"}
    eigenvalues : complex array of shape (..., n)
    uncertainty : float or array of shape (...), default 0
        A bound on the error of the computed eigenvalues, added to the band.

    Returns
    -------
    int or int array of shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> stability_codes("continuous", np.array([[-1.0], [0.0], [1e-3], [np.nan]])).tolist()
    [0, 1, 2, 1]
    """
    lam = np.asarray(eigenvalues, dtype=complex)
    margin = np.asarray(stability_margin(time, lam))
    with np.errstate(invalid="ignore"):
        size = np.max(np.abs(lam), axis=-1) if lam.shape[-1:] != (0,) else np.zeros(lam.shape[:-1])
        band = STABILITY_TOL * (1.0 + size) + np.asarray(uncertainty, dtype=float)
        codes = np.where(margin < -band, STABLE, np.where(margin > band, UNSTABLE, NEUTRAL))
    return int(codes) if codes.ndim == 0 else codes.astype(np.int8)


def stability_class(time: str, eigenvalues: Any, *, uncertainty: float = 0.0) -> str:
    """``"stable"``, ``"neutral"`` or ``"unstable"`` for one spectrum.

    Parameters
    ----------
    time : {"continuous", "discrete"}
    eigenvalues : complex array of shape (n,)
    uncertainty : float, default 0
        A bound on the error of the computed eigenvalues.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> stability_class("continuous", np.array([0.0])), stability_class("discrete", np.array([2.0]))
    ('neutral', 'unstable')
    """
    lam = np.asarray(eigenvalues)
    if lam.ndim != 1:
        raise ModelError(f"`eigenvalues` must be one spectrum (1-D), got shape {lam.shape}")
    return STABILITY_CLASSES[stability_codes(time, lam, uncertainty=uncertainty)]


def is_stable(time: str, eigenvalues: Any, *, uncertainty: Any = 0.0) -> Any:
    """Whether each spectrum is stable beyond the neutral band (neutral is not stable).

    Parameters
    ----------
    time : {"continuous", "discrete"}
    eigenvalues : complex array of shape (..., n)
    uncertainty : float or array of shape (...), default 0

    Returns
    -------
    bool or boolean array of shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> is_stable("continuous", np.array([-1 + 2j, -1 - 2j])), is_stable("discrete", np.array([1.5]))
    (True, False)
    >>> is_stable("continuous", np.array([-2e-10]))
    False
    """
    codes = stability_codes(time, eigenvalues, uncertainty=uncertainty)
    return bool(codes == STABLE) if np.ndim(codes) == 0 else codes == STABLE
