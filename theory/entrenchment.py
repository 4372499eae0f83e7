"""The paper's models: recursive entrenchment of a proxy-capturing routine, and nested objectives.

Routine A is aligned; routine M captures proxy reward. With probability ``theta`` the principal
observes true outcomes (M then costs ``c``); otherwise it reinforces on the proxy, where M shows
the advantage ``b + gamma x`` weighted by ``alpha``. The four ingredients of the incentive
geometry are the parameters ``b`` (local proxies), ``theta`` (partial observability), ``alpha``
(asymmetric reinforcement) and ``gamma`` (recursive feedback); see
:mod:`incentive_geometry.theory.ingredients`.

Examples
--------
>>> from incentive_geometry.theory import entrenchment
>>> print(entrenchment().rhs[0])
x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x) - c*theta)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model, Parameter

from ._build import PAPER, check_int, state, vector_option

__all__ = [
    "entrenchment",
    "entrenchment_n",
    "entrenchment_oscillating",
    "nested_alignment_sample",
    "nested_objectives",
]

_MW_REF = (
    "S. Arora, E. Hazan and S. Kale, The Multiplicative Weights Update Method: a Meta-Algorithm "
    "and Applications, Theory of Computing 8 (2012) 121-164"
)
_INSPECTION_REF = (
    "R. Avenhaus, B. von Stengel and S. Zamir, Inspection games, in R. J. Aumann and S. Hart "
    "(eds.), Handbook of Game Theory with Economic Applications, vol. 3, Elsevier, 2002, "
    "chapter 51, 1947-1987"
)
_HOPF_REF = (
    "Yu. A. Kuznetsov, Elements of Applied Bifurcation Theory, 3rd ed., Springer, 2004, "
    "section 3.5"
)
_RELAXATION_REF = (
    "S. H. Strogatz, Nonlinear Dynamics and Chaos, 2nd ed., Westview Press, 2015, sections 7.5 "
    "(relaxation oscillations) and 8.2 (Hopf bifurcations)"
)
_REPLICATOR_REF = (
    "P. D. Taylor and L. B. Jonker, Evolutionarily stable strategies and game dynamics, "
    "Mathematical Biosciences 40 (1978) 145-156"
)


def _canonical_parameters(
    alpha: float, theta: float, b: float, gamma: float, c: float
) -> list[Parameter]:
    return [
        Parameter("alpha", alpha, "positive",
                  "gain on proxy reinforcement relative to penalties (asymmetric reinforcement)"),
        Parameter("theta", theta, [0, 1], "observability of true outcomes (partial observability)"),
        Parameter("b", b, "nonnegative", "proxy reward M captures without true value (local proxy)"),
        Parameter("gamma", gamma, "nonnegative",
                  "how much influence raises M's proxy capture (recursive feedback)"),
        Parameter("c", c, "positive", "M's true cost to the principal"),
    ]


def entrenchment(
    *,
    discrete: bool = False,
    diversity: bool = False,
    alpha: float = 1.0,
    theta: float = 0.3,
    b: float = 0.2,
    gamma: float = 1.0,
    c: float = 1.0,
    eta: float = 1.0,
    mu: float = 0.05,
) -> Model:
    r"""The canonical two-routine entrenchment model: a proxy-capturing routine entrenches itself.

    Continuous time (replicator form)::

        dx/dt = x (1 - x) G(x)  [+ mu (1/2 - x)],
        G(x)  = alpha (1 - theta) (b + gamma x) - theta c.

    Discrete time (``discrete=True``): the recursive optimizer is multiplicative weights with
    step ``eta`` on the payoff difference ``G``::

        x' = x e^{eta G(x)} / (x e^{eta G(x)} + 1 - x)   [then x' <- (1 - mu) x' + mu / 2].

    Parameters
    ----------
    discrete : bool
        Use the multiplicative-weights map instead of the flow.
    diversity : bool
        Add the diversity / mutation term (mitigation) with rate ``mu``.
    alpha : float, default 1.0
        ``alpha > 0``: gain on proxy reinforcement relative to penalties (asymmetric
        reinforcement; symmetric at 1).
    theta : float, default 0.3
        ``0 <= theta <= 1``: probability the principal observes true outcomes (partial
        observability; full at 1).
    b : float, default 0.2
        ``b >= 0``: proxy reward M captures without true value (local proxy; none at 0).
    gamma : float, default 1.0
        ``gamma >= 0``: how much M's influence raises its proxy capture (recursive feedback;
        none at 0).
    c : float, default 1.0
        ``c > 0``: M's true cost to the principal.
    eta : float, default 1.0
        ``eta > 0``: step size of multiplicative weights (``discrete=True`` only).
    mu : float, default 0.05
        ``0 <= mu <= 1``: diversity / mutation rate (``diversity=True`` only).

    Returns
    -------
    Model
        State ``x`` in ``[0, 1]``: influence share of M. Observables ``alignment = 1 - x`` and
        ``G`` (M's net reinforcement advantage).

    Notes
    -----
    Known results (without diversity), in continuous and discrete time alike:

    * ``x = 0`` (aligned) is stable iff ``alpha (1 - theta) b < theta c``;
    * ``x = 1`` (entrenched) is stable iff ``alpha (1 - theta) (b + gamma) > theta c``;
    * ``x* = (theta c / (alpha (1 - theta)) - b) / gamma`` lies in ``(0, 1)`` exactly when both
      hold and is then unstable: bistability;
    * entrenchment loses stability (transcritical at ``x = 1``) when ``theta`` exceeds
      ``theta* = alpha (b + gamma) / (alpha (b + gamma) + c)``; preventing entrenchment needs only
      ``theta > alpha b / (alpha b + c)`` (hysteresis);
    * ``gamma = 0``: never bistable; ``theta = 1``: the aligned state is the only stable one.

    In the map, the multipliers are ``e^{eta G(0)}`` at ``x = 0``, ``e^{-eta G(1)}`` at ``x = 1``
    and ``1 + eta x* (1 - x*) G'(x*)`` at ``x*``, so the boundaries are those of the flow.
    With ``mu > 0`` the transcritical points unfold into folds.

    References
    ----------
    .. [1] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025.
    .. [2] P. D. Taylor and L. B. Jonker, Evolutionarily stable strategies and game dynamics,
       Mathematical Biosciences 40 (1978) 145-156.
    .. [3] S. Arora, E. Hazan and S. Kale, The Multiplicative Weights Update Method: a
       Meta-Algorithm and Applications, Theory of Computing 8 (2012) 121-164.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> m = entrenchment()
    >>> m.parameter_names
    ('alpha', 'theta', 'b', 'gamma', 'c')
    >>> print(entrenchment(discrete=True).rhs[0])
    x*exp(eta*(alpha*(1 - theta)*(b + gamma*x) - c*theta))/(x*exp(eta*(alpha*(1 - theta)*(b + gamma*x) - c*theta)) - x + 1)
    """
    params = _canonical_parameters(alpha, theta, b, gamma, c)
    sym = {p.name: p.symbol for p in params}
    x = state("x")
    G = sym["alpha"] * (1 - sym["theta"]) * (sym["b"] + sym["gamma"] * x) - sym["theta"] * sym["c"]
    name = "entrenchment"
    if discrete:
        params.append(Parameter("eta", eta, "positive", "step size of multiplicative weights"))
        w = sympy.exp(params[-1].symbol * G)
        # Multiplicative weights: M's weight grows by e^{eta G}, A's by 1; renormalize.
        rhs: Any = x * w / (x * w + 1 - x)
        name = "entrenchment_mw"
    else:
        rhs = x * (1 - x) * G
    if diversity:
        pm = Parameter("mu", mu, [0, 1], "diversity / mutation rate toward the even split")
        params.append(pm)
        rhs = (1 - pm.symbol) * rhs + pm.symbol / 2 if discrete else rhs + pm.symbol * (
            sympy.Rational(1, 2) - x
        )
        name += "_diversity"
    return Model.from_equations(
        {"x": rhs},
        parameters=params,
        time="discrete" if discrete else "continuous",
        name=name,
        states={"x": {"domain": [0, 1], "meaning": "influence share of the proxy-capturing routine M"}},
        observables={"alignment": 1 - x, "G": G},
        description=(
            "Two routines: A aligned, M captures proxy reward. With probability theta the "
            "principal reinforces on true outcomes (M costs c), otherwise on the proxy where M "
            "shows the advantage b + gamma*x weighted by alpha. "
            + ("The recursive optimizer is multiplicative weights with step eta. " if discrete
               else "")
            + ("A diversity term mu pulls shares toward the even split." if diversity else "")
        ).strip(),
        references=[PAPER, _REPLICATOR_REF, *([_MW_REF] if discrete else [])],
    )


def entrenchment_n(
    n: int = 3,
    *,
    b: Sequence[float] | None = None,
    gamma: Sequence[float] | None = None,
    c: Sequence[float] | None = None,
    alpha: float = 1.0,
    theta: float = 0.3,
) -> Model:
    r"""N routines competing for influence on the simplex (replicator form of entrenchment).

    ::

        dw_i/dt = w_i (s_i - sum_j w_j s_j),
        s_i     = alpha (1 - theta) (b_i + gamma_i w_i) - theta c_i.

    Parameters
    ----------
    n : int, default 3
        Number of routines, ``n >= 2``.
    b, gamma, c : sequence of n floats, optional
        Per-routine proxy reward ``b_i >= 0``, recursive feedback ``gamma_i >= 0`` and true cost
        ``c_i >= 0``. Left out, they are symbolic parameters ``b_1..b_n`` (defaults: routine 1
        aligned with ``b_1 = gamma_1 = c_1 = 0``; the others ``b_i = 0.2``, ``gamma_i = 1``,
        ``c_i = 1``); given as numbers, the numbers enter the equations.
    alpha : float, default 1.0
        ``alpha > 0``: asymmetric reinforcement.
    theta : float, default 0.3
        ``0 <= theta <= 1``: observability of true outcomes.

    Returns
    -------
    Model
        On the simplex (``simplex=True``), states ``w_1..w_n``; observables ``alignment = w_1``
        and the payoffs ``s_1..s_n``.

    Raises
    ------
    ModelError
        For ``n < 2`` or vectors of the wrong length or outside their domains.

    Notes
    -----
    The vertex ``e_k`` (routine k holds all influence) is asymptotically stable iff
    ``s_j(e_k) < s_k(e_k)`` for all ``j != k``: the transverse eigenvalues of the replicator
    Jacobian at a vertex are ``s_j(e_k) - s_k(e_k)``. For ``n = 2`` with routine 1 aligned the
    model is the canonical :func:`entrenchment` with ``x = w_2``.

    References
    ----------
    .. [1] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025.
    .. [2] J. Hofbauer and K. Sigmund, Evolutionary Games and Population Dynamics, Cambridge
       University Press, 1998.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment_n
    >>> m = entrenchment_n(2, b=[0, 0.2], gamma=[0, 1], c=[0, 1])
    >>> m.state_names, m.parameter_names
    (('w_1', 'w_2'), ('alpha', 'theta'))
    """
    n = check_int(n, name="n", low=2, high=64)
    pa = Parameter("alpha", alpha, "positive",
                   "gain on proxy reinforcement relative to penalties (asymmetric reinforcement)")
    pt = Parameter("theta", theta, [0, 1], "observability of true outcomes (partial observability)")
    bv, bp = vector_option(b, name="b", n=n, default=[0.0] + [0.2] * (n - 1), domain="nonnegative",
                           meaning="proxy reward captured without true value")
    gv, gp = vector_option(gamma, name="gamma", n=n, default=[0.0] + [1.0] * (n - 1),
                           domain="nonnegative", meaning="recursive feedback")
    cv, cp = vector_option(c, name="c", n=n, default=[0.0] + [1.0] * (n - 1),
                           domain="nonnegative", meaning="true cost to the principal")
    w = [state(f"w_{i + 1}") for i in range(n)]
    s = [pa.symbol * (1 - pt.symbol) * (bv[i] + gv[i] * w[i]) - pt.symbol * cv[i] for i in range(n)]
    mean = sum((w[j] * s[j] for j in range(n)), sympy.Integer(0))
    return Model.from_equations(
        {f"w_{i + 1}": w[i] * (s[i] - mean) for i in range(n)},
        parameters=[pa, pt, *bp, *gp, *cp],
        name=f"entrenchment_n{n}",
        simplex=True,
        states={f"w_{i + 1}": {"meaning": f"influence share of routine {i + 1}"} for i in range(n)},
        observables={"alignment": w[0], **{f"s_{i + 1}": s[i] for i in range(n)}},
        description=(
            f"{n} routines on the simplex, each reinforced on its payoff s_i = alpha (1 - theta) "
            "(b_i + gamma_i w_i) - theta c_i; routine 1 is the aligned one by default."
        ),
        references=[PAPER, "J. Hofbauer and K. Sigmund, Evolutionary Games and Population "
                    "Dynamics, Cambridge University Press, 1998"],
    )


def entrenchment_oscillating(
    *,
    alpha: float = 1.0,
    b: float = 0.2,
    gamma: float = 1.0,
    c: float = 1.0,
    kappa: float = 0.9,
    rho: float = 0.1,
) -> Model:
    r"""Entrenchment against audits that follow it with a lag: the audit cycle (a Hopf point).

    The canonical model with observability made the principal's policy. The principal raises
    its audit intensity (observability ``theta``, now a state) towards ``kappa x`` (audits in
    proportion to the entrenchment it sees), but only at rate ``rho`` (a lag ``1 / rho``)::

        dx/dt     = x (1 - x) G(x, theta),   G = alpha (1 - theta) (b + gamma x) - theta c,
        dtheta/dt = rho (kappa x - theta).

    Recursive entrenchment (``gamma``) is the positive feedback of x on itself; the audit is a
    negative feedback on x, delayed through the filtered state ``theta``: the loop of an
    inspection game, where the inspectee exploits lax inspection and inspection follows
    violations [1]_, in the form of a predator-prey loop (``theta`` preys on ``x``). When the
    audits lag too much, they overshoot: entrenchment grows while audits are low, audits catch
    up and drive it back, relax, and it grows again.

    Parameters
    ----------
    alpha, b, gamma, c : float
        As in :func:`entrenchment`: ``alpha > 0`` asymmetric reinforcement, ``b >= 0`` local
        proxy, ``gamma >= 0`` recursive feedback, ``c > 0`` M's true cost.
    kappa : float, default 0.9
        ``0 <= kappa <= 1``: audit response, the observability the principal sets at full
        entrenchment (``x = 1``).
    rho : float, default 0.1
        ``rho > 0``: speed at which audits adjust (``1 / rho`` is the audit lag, in units of
        the reinforcement time). The default lies below the Hopf point, on the stable cycle.

    Returns
    -------
    Model
        States ``x`` in ``[0, 1]`` (M's influence share) and ``theta`` in ``[0, 1]`` (audit
        intensity, the observability of true outcomes); observables ``alignment = 1 - x`` and
        ``G``. The box ``[0, 1] x [0, kappa]`` is invariant.

    Notes
    -----
    *Equilibria.* ``(0, 0)``, with eigenvalues ``alpha b`` and ``-rho`` (a saddle for
    ``b > 0``: no audits, M invades); ``(1, kappa)``, with eigenvalues ``-G(1, kappa)`` and
    ``-rho``, stable iff ``kappa < theta* = alpha (b + gamma) / (alpha (b + gamma) + c)`` (the
    canonical undo threshold: audits that stay below it never undo entrenchment); and the
    interior point ``(x*, kappa x*)``, where ``x*`` is the positive root of
    ``f(x) = G(x, kappa x) = alpha (1 - kappa x) (b + gamma x) - kappa c x``::

        x* = (alpha gamma - kappa (alpha b + c) + sqrt((alpha gamma - kappa (alpha b + c))**2
              + 4 alpha**2 b gamma kappa)) / (2 alpha gamma kappa),

    (the other root is negative: their product is ``-b / (gamma kappa)``), inside ``(0, 1)``
    exactly when ``f(1) < 0``, i.e. ``kappa > theta*``.

    *Hopf point.* At the interior point ``G = 0``, so the Jacobian is::

        J = [[x* (1 - x*) alpha gamma (1 - kappa x*),  -x* (1 - x*) (alpha (b + gamma x*) + c)],
             [rho kappa,                               -rho                                  ]],

    with ``det J = -rho x* (1 - x*) f'(x*) > 0`` (``f`` falls through its only positive root:
    ``f(0) = alpha b > 0`` and ``f`` is a downward parabola) and
    ``tr J = x* (1 - x*) alpha gamma (1 - kappa x*) - rho``. The trace vanishes with
    ``det J > 0`` at::

        rho_H = x* (1 - x*) alpha gamma (1 - kappa x*),

    a Hopf point: the interior point is stable for ``rho > rho_H`` (fast audits) and repels for
    ``rho < rho_H``. It needs recursive feedback (``rho_H = 0`` at ``gamma = 0``: without it the
    loop is damped at every lag). At the defaults ``x* = 0.42905``, ``rho_H = 0.150374``, and
    the first Lyapunov coefficient computed by :func:`~incentive_geometry.continuation` is
    negative (supercritical): a stable cycle is born below ``rho_H``. For every
    ``rho < rho_H`` (and ``kappa > theta*``) the box holds a cycle (Poincare-Bendixson: the
    interior point repels, the two corner saddles' unstable manifolds point into the box, and
    the box's edges hold no heteroclinic loop).

    *Slow audits.* As ``rho -> 0`` the cycle becomes a relaxation oscillation around the
    canonical model's hysteresis loop: ``x`` sits near 1 while audits rise past ``theta*``,
    collapses to near 0, and sits there while audits decay below
    ``alpha b / (alpha b + c)`` (the prevent threshold), later than the thresholds because of
    the delayed loss of stability at the invariant edges; its period grows like ``1 / rho``
    [3]_.

    References
    ----------
    .. [1] R. Avenhaus, B. von Stengel and S. Zamir, Inspection games, in *Handbook of Game
       Theory with Economic Applications*, vol. 3, Elsevier, 2002, chapter 51, 1947-1987.
    .. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
       section 3.5 (Hopf bifurcation, the first Lyapunov coefficient).
    .. [3] S. H. Strogatz, *Nonlinear Dynamics and Chaos*, 2nd ed., Westview Press, 2015,
       sections 7.5 (relaxation oscillations) and 8.2 (Hopf bifurcations).
    .. [4] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025.

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.theory import entrenchment_oscillating
    >>> m = entrenchment_oscillating()
    >>> m.state_names, m.parameter_names
    (('x', 'theta'), ('alpha', 'b', 'gamma', 'c', 'kappa', 'rho'))
    >>> xs = (1 - 0.9 * 1.2 + np.sqrt((1 - 0.9 * 1.2) ** 2 + 4 * 0.2 * 0.9)) / (2 * 0.9)
    >>> round(float(xs * (1 - xs) * (1 - 0.9 * xs)), 6)   # rho_H at the defaults
    0.150374
    >>> br = ig.continuation(m, "rho", x0={"x": 0.43, "theta": 0.39}, params={"rho": 0.3},
    ...                      p_range=(0.05, 0.5))
    >>> hopf = br.of_kind("hopf")[0]
    >>> round(hopf.p, 6), hopf.criticality
    (0.150374, 'supercritical')
    """
    params = [
        Parameter("alpha", alpha, "positive",
                  "gain on proxy reinforcement relative to penalties (asymmetric reinforcement)"),
        Parameter("b", b, "nonnegative", "proxy reward M captures without true value (local proxy)"),
        Parameter("gamma", gamma, "nonnegative",
                  "how much influence raises M's proxy capture (recursive feedback)"),
        Parameter("c", c, "positive", "M's true cost to the principal"),
        Parameter("kappa", kappa, [0, 1],
                  "audit response: the observability the principal sets at full entrenchment"),
        Parameter("rho", rho, "positive", "speed of audit adjustment (1/rho is the audit lag)"),
    ]
    sym = {p.name: p.symbol for p in params}
    x, th = state("x"), state("theta")
    G = sym["alpha"] * (1 - th) * (sym["b"] + sym["gamma"] * x) - th * sym["c"]
    return Model.from_equations(
        # Replicator flow of the canonical model; audits relax towards kappa*x at rate rho (a
        # first-order lag: the delayed negative feedback).
        {"x": x * (1 - x) * G, "theta": sym["rho"] * (sym["kappa"] * x - th)},
        parameters=params,
        name="entrenchment_oscillating",
        states={
            "x": {"domain": [0, 1], "meaning": "influence share of the proxy-capturing routine M"},
            "theta": {"domain": [0, 1],
                      "meaning": "audit intensity: observability of true outcomes, set by the "
                      "principal"},
        },
        observables={"alignment": 1 - x, "G": G},
        description=(
            "The canonical entrenchment model with observability made a lagged policy: the "
            "principal moves its audit intensity theta towards kappa*x at rate rho. Slow audits "
            "overshoot and the system cycles (a supercritical Hopf point at rho_H)."
        ),
        references=[PAPER, _INSPECTION_REF, _HOPF_REF, _RELAXATION_REF],
    )


def nested_objectives(levels: int = 3, *, phi: float = 0.3, k: float = 1.0) -> Model:
    r"""L nested optimizers, each learning a proxy that drifts by an angle phi from the level above.

    Level 0 is the designer's objective ``u_0`` (a unit vector). Level ``l`` learns a vector
    ``w_l`` by gradient flow on ``|w_l - p_l|^2 / 2`` towards its proxy
    ``p_l = cos(phi) w_{l-1} + sin(phi) |w_{l-1}| n_l`` (angle ``phi`` from what the level above
    learned; ``n_l`` a unit vector orthogonal to ``w_{l-1}``, drawn independently). In high
    dimension ``<n_l, u_0>`` vanishes, and the alignments ``a_l = <w_l, u_0>`` follow the mean
    dynamics::

        da_l/dt = k (cos(phi) a_{l-1} - a_l),   a_0 = 1.

    Parameters
    ----------
    levels : int, default 3
        Number of nested levels ``L >= 1``.
    phi : float, default 0.3
        ``0 <= phi <= pi``: drift angle (radians) between each level's proxy and the objective
        above it (the local proxy; none at 0).
    k : float, default 1.0
        ``k > 0``: learning rate of every level.

    Returns
    -------
    Model
        States ``a_1..a_L``; observables ``alignment_l`` (the cosine between level ``l`` and the
        designer, ``a_l`` when ``|w_l| = 1``) and ``angle_L`` (``acos`` of the last one).

    Notes
    -----
    The unique equilibrium ``a_l = cos(phi)^l`` is stable (the Jacobian is lower triangular with
    diagonal ``-k``): expected alignment after L levels is ``cos(phi)^L`` when the drifts are
    independent in high dimension. Coherent drifts in a plane compound instead to ``cos(L phi)``.
    :func:`nested_alignment_sample` draws the high-dimensional construction.

    References
    ----------
    .. [1] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025.
    .. [2] E. Hubinger, C. van Merwijk, V. Mikulik, J. Skalse and S. Garrabrant, Risks from
       Learned Optimization in Advanced Machine Learning Systems, arXiv:1906.01820, 2019.

    Examples
    --------
    >>> from incentive_geometry.theory import nested_objectives
    >>> m = nested_objectives(2)
    >>> m.rhs
    (k*(-a_1 + cos(phi)), k*(a_1*cos(phi) - a_2))
    """
    levels = check_int(levels, name="levels", low=1, high=64)
    pphi = Parameter("phi", phi, [0, float(np.pi)],
                     "drift angle between each level's proxy and the objective above (local proxy)")
    pk = Parameter("k", k, "positive", "learning rate of every level")
    a = [state(f"a_{i + 1}") for i in range(levels)]
    above: list[Any] = [sympy.Integer(1), *a[:-1]]
    rhs = {f"a_{i + 1}": pk.symbol * (sympy.cos(pphi.symbol) * above[i] - a[i]) for i in range(levels)}
    obs: dict[str, Any] = {f"alignment_{i + 1}": a[i] for i in range(levels)}
    obs[f"angle_{levels}"] = sympy.acos(a[-1])
    return Model.from_equations(
        rhs,
        parameters=[pphi, pk],
        name="nested_objectives",
        states={f"a_{i + 1}": {"domain": [-1, 1], "meaning": f"alignment of level {i + 1} with the "
                               "designer's objective"} for i in range(levels)},
        observables=obs,
        description=(
            f"{levels} nested optimizers; each learns a proxy at angle phi from the objective of "
            "the level above. Mean alignment with the designer decays as cos(phi)**L."
        ),
        references=[PAPER, "E. Hubinger, C. van Merwijk, V. Mikulik, J. Skalse and S. Garrabrant, "
                    "Risks from Learned Optimization in Advanced Machine Learning Systems, "
                    "arXiv:1906.01820, 2019"],
    )


def nested_alignment_sample(
    levels: int, *, phi: float, dim: int, samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw the high-dimensional nested construction and return the alignment of every level.

    Each level's learned vector is its proxy (the fixed point of its gradient flow):
    ``w_l = cos(phi) w_{l-1} + sin(phi) |w_{l-1}| n_l`` with ``n_l`` uniform on the unit sphere
    orthogonal to ``w_{l-1}``.

    Parameters
    ----------
    levels : int
        Number of levels ``L >= 1``.
    phi : float
        Drift angle in radians.
    dim : int
        Dimension of the objective space, ``>= 2``.
    samples : int
        Independent draws.
    rng : numpy.random.Generator
        Seeded random source.

    Returns
    -------
    numpy.ndarray, shape (samples, levels)
        ``cos`` of the angle between ``w_l`` and the designer's ``u_0``.

    Raises
    ------
    ModelError
        For invalid sizes or a non-finite angle.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory import nested_alignment_sample
    >>> a = nested_alignment_sample(2, phi=0.5, dim=2000, samples=50, rng=np.random.default_rng(0))
    >>> bool(abs(a[:, 1].mean() - np.cos(0.5) ** 2) < 0.02)
    True
    """
    levels = check_int(levels, name="levels", low=1)
    dim = check_int(dim, name="dim", low=2)
    samples = check_int(samples, name="samples", low=1)
    if not np.isfinite(phi):
        raise ModelError(f"`phi` must be a finite angle in radians, got {phi!r}")
    u0 = np.zeros(dim)
    u0[0] = 1.0
    w = np.tile(u0, (samples, 1))
    out = np.empty((samples, levels))
    for level in range(levels):
        g = rng.standard_normal((samples, dim))
        # Gram-Schmidt: the drift direction is orthogonal to the objective of the level above.
        g -= (np.sum(g * w, axis=1) / np.sum(w * w, axis=1))[:, None] * w
        n_l = g / np.linalg.norm(g, axis=1)[:, None]
        norm = np.linalg.norm(w, axis=1)[:, None]
        w = np.cos(phi) * w + np.sin(phi) * norm * n_l
        out[:, level] = w[:, 0] / np.linalg.norm(w, axis=1)
    return out

