"""Entrenchment with a nonlinear capture function: how influence raises proxy capture.

The canonical model lets M's proxy advantage grow linearly with its influence,
``b + gamma x``. Here it grows as ``b + gamma g(x)`` for an increasing **capture function**
``g`` with ``g(0) = 0`` and ``g(1) = 1``, from one of three families with a shape parameter
``k > 0``:

* ``saturating``: ``g(x) = (1 - exp(-k x)) / (1 - exp(-k))`` (concave: early influence counts
  most);
* ``convex``: ``g(x) = x**k`` with ``k >= 1`` (late influence counts most);
* ``sigmoidal``: the logistic ``s(x) = 1 / (1 + exp(-k (x - 1/2)))`` rescaled to
  ``(s(x) - s(0)) / (s(1) - s(0))``.

Optionally (``mixed_proxy=True``) the proxy is a mixture of the misspecified proxy and the true
reward with weight ``rho`` on the truth: M's proxy advantage is
``(1 - rho) (b + gamma g(x)) - rho c``, so ``rho = 1`` means the proxy *equals* the true
reward (local proxies switched off).

Examples
--------
>>> from incentive_geometry.theory.capture import capture_function, entrenchment_capture
>>> print(capture_function("convex"))
x**k
>>> entrenchment_capture("saturating").parameter_names
('alpha', 'theta', 'b', 'gamma', 'c', 'k')
"""

from __future__ import annotations

from typing import Any

import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model, Parameter

from ._build import PAPER, state

__all__ = [
    "CAPTURE_FAMILIES",
    "capture_function",
    "capture_inverse",
    "entrenchment_capture",
]

#: The capture-function families, in order.
CAPTURE_FAMILIES: tuple[str, ...] = ("linear", "saturating", "convex", "sigmoidal")


def _check_family(family: str) -> None:
    if family not in CAPTURE_FAMILIES:
        raise ModelError(
            f"`family` must be one of {', '.join(CAPTURE_FAMILIES)}, got {family!r:.60}"
        )


def capture_function(family: str, x: Any = None, k: Any = None) -> Any:
    """The capture function ``g(x)`` of a family, as a sympy expression in `x` and `k`.

    Parameters
    ----------
    family : {"linear", "saturating", "convex", "sigmoidal"}
    x, k : sympy expressions, optional
        Default: real symbols ``x`` and positive ``k``.

    Returns
    -------
    sympy.Expr
        Increasing on ``[0, 1]`` for every ``k > 0`` (``k >= 1`` for ``convex`` keeps it
        convex), with ``g(0) = 0`` and ``g(1) = 1``.

    Raises
    ------
    ModelError
        For an unknown family.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.theory.capture import capture_function
    >>> x = sympy.Symbol("x", real=True)
    >>> g = capture_function("sigmoidal", x)
    >>> [sympy.simplify(g.subs(x, v)) for v in (0, 1)]
    [0, 1]
    """
    _check_family(family)
    x = state("x") if x is None else x
    k = sympy.Symbol("k", positive=True) if k is None else k
    if family == "linear":
        return x
    if family == "saturating":
        return (1 - sympy.exp(-k * x)) / (1 - sympy.exp(-k))
    if family == "convex":
        return x**k

    def s(v: Any) -> Any:
        return 1 / (1 + sympy.exp(-k * (v - sympy.Rational(1, 2))))

    return (s(x) - s(0)) / (s(1) - s(0))


def capture_inverse(family: str, y: Any, k: Any) -> Any:
    """The inverse ``g^{-1}(y)`` of a capture function (``y`` in ``[0, 1]``), a sympy expression.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.theory.capture import capture_function, capture_inverse
    >>> y, k = sympy.symbols("y k", positive=True)
    >>> float(capture_function("saturating", capture_inverse("saturating", y, k), k).subs({y: 0.3, k: 2}))
    0.3
    """
    _check_family(family)
    if family == "linear":
        return y
    if family == "saturating":
        return -sympy.log(1 - y * (1 - sympy.exp(-k))) / k
    if family == "convex":
        return y ** (1 / k)
    # s(x) = s0 + y (s1 - s0), then x = 1/2 + logit(s) / k.
    s0 = 1 / (1 + sympy.exp(k / 2))
    s1 = 1 / (1 + sympy.exp(-k / 2))
    s = s0 + y * (s1 - s0)
    return sympy.Rational(1, 2) + sympy.log(s / (1 - s)) / k


def entrenchment_capture(
    family: str = "saturating",
    *,
    mixed_proxy: bool = False,
    signed_gains: bool = False,
    alpha: float = 1.0,
    theta: float = 0.3,
    b: float = 0.2,
    gamma: float = 1.0,
    c: float = 1.0,
    k: float = 3.0,
    rho: float = 0.0,
) -> Model:
    r"""The two-routine entrenchment model with capture function ``g`` of a family.

    ::

        dx/dt = x (1 - x) G(x),
        G(x)  = alpha (1 - theta) P(x) - theta c,
        P(x)  = b + gamma g(x)                          (mixed_proxy=False)
        P(x)  = (1 - rho) (b + gamma g(x)) - rho c      (mixed_proxy=True)

    Parameters
    ----------
    family : {"linear", "saturating", "convex", "sigmoidal"}
        The capture function (:func:`capture_function`); ``linear`` is the canonical model.
    mixed_proxy : bool
        Add ``rho``, the weight of the true reward in the proxy (``rho = 1``: the proxy equals
        the truth).
    signed_gains : bool
        Reinforce by the *sign of the error*: gain ``alpha`` on a positive proxy advantage of M,
        gain 1 on a negative one (and on the observed loss ``c``), so that
        ``G(x) = (1 - theta) (P + (alpha - 1) max(P, 0)) - theta c``. ``alpha = 1`` is then the
        unbiased learning rule (equal gains); ``alpha`` is no longer a rescaling of ``c`` once
        the proxy advantage can be negative (``mixed_proxy=True``). Without a mixed proxy
        ``P > 0`` and the model is the one above.
    alpha, theta, b, gamma, c : float
        As in :func:`incentive_geometry.theory.entrenchment`.
    k : float, default 3.0
        ``k > 0``: shape of the capture function (not a parameter of the linear family).
    rho : float, default 0.0
        ``0 <= rho <= 1`` (``mixed_proxy=True`` only).

    Returns
    -------
    Model
        State ``x`` in ``[0, 1]``; observables ``alignment = 1 - x`` and ``G``.

    Raises
    ------
    ModelError
        For an unknown family.

    Notes
    -----
    Because ``g`` is increasing with ``g(0) = 0`` and ``g(1) = 1``, ``G`` is increasing in ``x``
    (for ``gamma > 0`` and ``rho < 1``), so for every family: ``x = 0`` is stable iff
    ``G(0) < 0``, ``x = 1`` iff ``G(1) > 0``; both (bistability) exactly in the window of the
    linear model; the single interior root ``x* = g^{-1}((theta c / (alpha (1 - theta)) - b) /
    gamma)`` separates the basins, so a start ``x0`` entrenches iff ``G(x0) > 0``, which depends
    on the family through ``g(x0)``.

    References
    ----------
    .. [1] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025.
    .. [2] P. D. Taylor and L. B. Jonker, Evolutionarily stable strategies and game dynamics,
       Mathematical Biosciences 40 (1978) 145-156.

    Examples
    --------
    >>> from incentive_geometry.theory.capture import entrenchment_capture
    >>> print(entrenchment_capture("convex").rhs[0])
    x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x**k) - c*theta)
    >>> entrenchment_capture("linear", mixed_proxy=True).parameter_names
    ('alpha', 'theta', 'b', 'gamma', 'c', 'rho')
    >>> print(dict(entrenchment_capture("linear", mixed_proxy=True, signed_gains=True).observables)["G"])
    -c*theta + (1 - theta)*(-c*rho + (1 - rho)*(b + gamma*x) + (alpha - 1)*Max(0, -c*rho + (1 - rho)*(b + gamma*x)))
    """
    _check_family(family)
    params = [
        Parameter("alpha", alpha, "positive", "gain on proxy reinforcement relative to penalties"),
        Parameter("theta", theta, [0, 1], "observability of true outcomes"),
        Parameter("b", b, "nonnegative", "proxy reward M captures without true value"),
        Parameter("gamma", gamma, "nonnegative", "how much influence raises M's proxy capture"),
        Parameter("c", c, "positive", "M's true cost to the principal"),
    ]
    if family != "linear":
        params.append(Parameter("k", k, "positive", f"shape of the {family} capture function"))
    if mixed_proxy:
        params.append(Parameter("rho", rho, [0, 1], "weight of the true reward in the proxy"))
    sym = {p.name: p.symbol for p in params}
    x = state("x")
    g = capture_function(family, x, sym.get("k", sympy.Integer(1)))
    proxy = sym["b"] + sym["gamma"] * g
    if mixed_proxy:
        proxy = (1 - sym["rho"]) * proxy - sym["rho"] * sym["c"]
    if signed_gains:
        # Gain alpha on positive errors, 1 on negative ones: h(P) = P + (alpha - 1) max(P, 0).
        gained = proxy + (sym["alpha"] - 1) * sympy.Max(proxy, 0)
        G = (1 - sym["theta"]) * gained - sym["theta"] * sym["c"]
    else:
        G = sym["alpha"] * (1 - sym["theta"]) * proxy - sym["theta"] * sym["c"]
    return Model.from_equations(
        {"x": x * (1 - x) * G},
        parameters=params,
        name=f"entrenchment_capture_{family}"
        + ("_mixed" if mixed_proxy else "")
        + ("_signed" if signed_gains else ""),
        states={
            "x": {"domain": [0, 1], "meaning": "influence share of the proxy-capturing routine M"}
        },
        observables={"alignment": 1 - x, "G": G},
        description=(
            f"The entrenchment model with a {family} capture function: M's proxy advantage is "
            "b + gamma g(x)"
            + (", mixed with the true reward by weight rho." if mixed_proxy else ".")
        ),
        references=[PAPER],
    )
