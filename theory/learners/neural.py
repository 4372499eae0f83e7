"""Two neural learners that sample continuous data: a gated mixture of experts and an in-context
learner (a linear self-attention layer). Both are step-function learners (:mod:`.base`); the
training loops and the measurements on them are in
:mod:`incentive_geometry.solvers.numeric.neural_training`.

**Mixture of experts.** Two linear experts and a gate (one logit ``zeta``, share
``x = sigmoid(zeta)`` on expert M) are trained by SGD on the competitive loss of Jacobs et al.
(1991), ``sum_i g_i (y - f_i)^2 / 2``. A sample's target is the true outcome ``y = s`` with
probability ``theta``, the proxy ``y = p`` otherwise (``s, p`` independent standard normals;
proxy samples weigh ``alpha`` in the loss). Expert A (aligned) sees only ``s``: ``f_A = a s``;
expert M sees only the proxy-correlated feature: ``f_M = m p``. Each expert is held to its
initial weights (A starts aligned, ``a = 1``; M starts empty, ``m = 0``) by a decay ``decay``,
so its fit grows with the gradient share the gate gives it: influence buys capacity, the
recursive feedback.

**In-context learner.** A linear self-attention layer (von Oswald et al., 2023) reads context
tokens ``e_i = (x_i, y_i)`` with ``y_i = <w, x_i>`` and a query token ``(x_q, 0)`` and predicts
``yhat = (W_PV C W_KQ e_q)_y`` with ``C = (1/N) sum_i e_i e_i^T``. Trained by SGD on the query
error, it learns ``yhat = x_q^T Gamma h`` with ``h = (1/N) sum_i y_i x_i`` (minus the in-context loss
gradient at ``w = 0``) and ``Gamma = eta_gd I``: one step of gradient descent on the in-context
loss. Trained on a proxy target ``R w`` (``R`` rotates every vector by ``phi``), it learns
``Gamma = eta_gd R``: an inner optimizer whose update is ``phi`` away from the designer's.

Examples
--------
>>> from incentive_geometry.theory.learners import neural
>>> neural.mixture_of_experts().state_names, neural.in_context(levels=2).state_names
(('x',), ('a_1', 'a_2'))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model, Parameter

from .._build import PAPER, check_int
from .base import Learner

__all__ = [
    "GDComparison",
    "InContextAlignment",
    "MoEThresholds",
    "in_context",
    "in_context_alignment",
    "in_context_gd_comparison",
    "in_context_weights",
    "learner_options",
    "lsa_loss_and_gradient",
    "mixture_of_experts",
    "moe_drift",
    "moe_error_gaps",
    "moe_expert_weights",
    "moe_loss_and_gradient",
    "moe_thresholds",
    "optimal_gd_step",
    "rotation_by_angle",
]

_JNH91 = (
    "R. A. Jacobs, M. I. Jordan, S. J. Nowlan and G. E. Hinton, Adaptive mixtures of local "
    "experts, Neural Computation 3(1), 79-87, 1991"
)
_VOSWALD23 = (
    "J. von Oswald, E. Niklasson, E. Randazzo, J. Sacramento, A. Mordvintsev, A. Zhmoginov and "
    "M. Vladymyrov, Transformers learn in-context by gradient descent, Proceedings of the 40th "
    "International Conference on Machine Learning (ICML), PMLR 202, 35151-35174, 2023"
)


def _column(params: Mapping[str, Any], name: str, m: int) -> np.ndarray:
    """Parameter `name` as a float column ``(m, 1)`` (a scalar or one value per learner)."""
    if name not in params:
        raise ModelError(
            f"neural learner step: parameter `{name}` has no value; pass params with key `{name}`"
        )
    v = np.asarray(params[name], dtype=float)
    if v.ndim == 0:
        return np.full((m, 1), float(v))
    if v.shape != (m,):
        raise ModelError(
            f"parameter `{name}` must be a float or an array of shape ({m},), one value per "
            f"learner; got shape {v.shape}"
        )
    return v[:, None]


# ---------------------------------------------------------------------------------------------
# mixture of experts
# ---------------------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def moe_loss_and_gradient(
    z: np.ndarray,
    s: np.ndarray,
    p: np.ndarray,
    true: np.ndarray,
    params: Mapping[str, Any],
) -> tuple[np.ndarray, np.ndarray]:
    r"""Minibatch loss of the two-expert mixture and its gradient (manual, exact).

    With ``x = sigmoid(zeta)``, sample weight ``w_k = 1`` on true samples and ``alpha`` on proxy
    samples, errors ``e_A = (y - a s)^2 / 2`` and ``e_M = (y - m p)^2 / 2``::

        L = mean_k w_k [(1 - x) e_A,k + x e_M,k] + decay ((a - 1)^2 + m^2) / 2

        dL/dzeta = x (1 - x) mean_k w_k (e_M,k - e_A,k)
        dL/da    = -(1 - x) mean_k w_k (y_k - a s_k) s_k + decay (a - 1)
        dL/dm    = -x mean_k w_k (y_k - m p_k) p_k + decay m

    The gate's gradient is the replicator form of the canonical model: the share moves toward
    the expert with the smaller weighted error.

    Parameters
    ----------
    z : numpy.ndarray, shape (n, 3)
        Internal states ``(zeta, a, m)`` of ``n`` learners.
    s, p : numpy.ndarray, shape (n, batch)
        The true feature and the proxy feature of each sample.
    true : numpy.ndarray of bool, shape (n, batch)
        Whether the sample's target is the true outcome ``s`` (else the proxy ``p``).
    params : mapping
        ``alpha`` and ``decay`` (floats or arrays of shape ``(n,)``).

    Returns
    -------
    loss : numpy.ndarray, shape (n,)
    gradient : numpy.ndarray, shape (n, 3)

    References
    ----------
    .. [1] R. A. Jacobs, M. I. Jordan, S. J. Nowlan and G. E. Hinton, Adaptive mixtures of local
       experts, Neural Computation 3(1), 79-87, 1991 (the competitive loss).

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory.learners.neural import moe_loss_and_gradient
    >>> z = np.array([[0.0, 1.0, 0.0]])
    >>> s, p, t = np.array([[1.0]]), np.array([[2.0]]), np.array([[False]])
    >>> loss, g = moe_loss_and_gradient(z, s, p, t, {"alpha": 1.0, "decay": 0.5})
    >>> float(loss[0]), g.round(3).tolist()
    (1.25, [[0.375, -0.5, -2.0]])
    """
    n = z.shape[0]
    alpha, decay = _column(params, "alpha", n), _column(params, "decay", n)
    zeta, a, m = z[:, :1], z[:, 1:2], z[:, 2:3]
    x = _sigmoid(zeta)
    y = np.where(true, s, p)
    w = np.where(true, 1.0, alpha)
    ra, rm = y - a * s, y - m * p  # residuals of A and M
    e_a, e_m = 0.5 * ra**2, 0.5 * rm**2
    loss = np.mean(w * ((1 - x) * e_a + x * e_m), axis=1) + 0.5 * decay[:, 0] * (
        (a[:, 0] - 1) ** 2 + m[:, 0] ** 2
    )
    grad = np.empty_like(z)
    grad[:, 0] = (x * (1 - x))[:, 0] * np.mean(w * (e_m - e_a), axis=1)
    grad[:, 1] = -(1 - x)[:, 0] * np.mean(w * ra * s, axis=1) + decay[:, 0] * (a[:, 0] - 1)
    grad[:, 2] = -x[:, 0] * np.mean(w * rm * p, axis=1) + decay[:, 0] * m[:, 0]
    return loss, grad


def moe_expert_weights(
    x: float | np.ndarray, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    r"""Experts' weights that minimize the expected loss at a frozen gate share ``x``.

    Setting the expected gradients of :func:`moe_loss_and_gradient` to zero (``E s^2 = E p^2 = 1``,
    ``s`` and ``p`` independent)::

        a(x) = ((1 - x) theta + decay) / ((1 - x) (theta + alpha (1 - theta)) + decay)
        m(x) = x alpha (1 - theta) / (x (theta + alpha (1 - theta)) + decay)

    Parameters
    ----------
    x : float or numpy.ndarray
        Gate share on expert M.
    params : mapping
        ``theta``, ``alpha``, ``decay`` (floats or arrays broadcasting with `x`).

    Returns
    -------
    a, m : numpy.ndarray
        Weights of the aligned expert and of the proxy expert.

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import moe_expert_weights
    >>> a, m = moe_expert_weights(1.0, {"theta": 0.5, "alpha": 1.0, "decay": 0.5})
    >>> float(a), round(float(m), 6)
    (1.0, 0.333333)
    """
    theta = np.asarray(params["theta"], dtype=float)
    alpha = np.asarray(params["alpha"], dtype=float)
    decay = np.asarray(params["decay"], dtype=float)
    xx = np.asarray(x, dtype=float)
    total = theta + alpha * (1 - theta)  # curvature of the unregularized expected loss
    a = ((1 - xx) * theta + decay) / ((1 - xx) * total + decay)
    m = xx * alpha * (1 - theta) / (xx * total + decay)
    return np.asarray(a), np.asarray(m)


def _moe_init(x0: np.ndarray, params: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    # The gate starts at the given share; the experts at their stationary weights for that share
    # (so that a run starting near entrenchment starts with an entrenched proxy expert).
    x = np.clip(np.asarray(x0, dtype=float)[:, 0], 1e-9, 1 - 1e-9)
    n = x.shape[0]
    cols = {k: _column(params, k, n)[:, 0] for k in ("theta", "alpha", "decay")}
    a, m = moe_expert_weights(x, cols)
    return np.column_stack([np.log(x) - np.log1p(-x), a, m])


def _moe_step(
    z: np.ndarray, params: Mapping[str, Any], rng: np.random.Generator, *, batch: int
) -> np.ndarray:
    n = z.shape[0]
    theta, eta = _column(params, "theta", n), _column(params, "eta", n)
    s = rng.standard_normal((n, batch))
    p = rng.standard_normal((n, batch))
    true = rng.random((n, batch)) < theta
    _, grad = moe_loss_and_gradient(z, s, p, true, params)
    return z - eta * grad


def _moe_observe(z: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    return _sigmoid(z[:, :1])


def _moe_reduced_drift(params: list[Parameter]) -> Model:
    # The slow-gate reduction dx/dt = x^2 (1 - x)^2 G(x) (time eta * steps), experts at rest.
    theta, alpha, decay = (p.symbol for p in params)
    x = sympy.Symbol("x", real=True)
    total = theta + alpha * (1 - theta)
    a = ((1 - x) * theta + decay) / ((1 - x) * total + decay)
    m = x * alpha * (1 - theta) / (x * total + decay)
    d_true = ((1 - a) ** 2 - 1 - m**2) / 2
    d_proxy = (1 + a**2 - (1 - m) ** 2) / 2
    g = theta * d_true + alpha * (1 - theta) * d_proxy
    return Model.from_equations(
        {"x": x**2 * (1 - x) ** 2 * g},
        parameters=params,
        name="mixture_of_experts_slow_gate",
        states={"x": {"domain": [0, 1], "meaning": "gate share on the proxy expert M"}},
        observables={"G": g},
        description=(
            "Slow-gate reduction of the mixture of experts: the gate share with both experts at "
            "their stationary weights (time eta * steps)."
        ),
        references=[_JNH91, PAPER],
    )


def mixture_of_experts(
    *,
    theta: float = 0.5,
    alpha: float = 1.0,
    decay: float = 0.5,
    eta: float = 0.2,
    batch: int = 16,
) -> Learner:
    r"""A gated mixture of two experts trained by SGD on true-or-proxy targets.

    See the module docstring for the data and the loss (:func:`moe_loss_and_gradient` for the
    gradients). One SGD step draws ``batch`` samples per learner and moves the gate logit and
    both experts' weights by ``-eta`` times the minibatch gradient. The recorded state is the
    gate's share ``x`` on the proxy expert M (the entrenchment share); the internal state is
    ``(zeta, a, m)``, and a run starts with the experts at their stationary weights for the
    initial share (:func:`moe_expert_weights`).

    Parameters
    ----------
    theta : float, default 0.5
        ``0 <= theta <= 1``: probability that a sample's target is the true outcome.
    alpha : float, default 1.0
        ``alpha > 0``: weight of proxy samples in the loss (gain on proxy reinforcement relative
        to the true-outcome penalty).
    decay : float, default 0.5
        ``decay > 0``: strength holding each expert to its initial weights; the smaller, the
        more an expert's fit grows with its gate share (stronger recursive feedback).
    eta : float, default 0.2
        ``eta > 0``: SGD step.
    batch : int, default 16
        Samples per step and learner.

    Returns
    -------
    Learner
        A step-function learner with the state ``x``.

    Notes
    -----
    The full mean field (of ``zeta, a, m``) is not declared. What is declared as ``drift`` is
    the **slow-gate reduction**: the experts relax at rate about ``eta (1 + decay)``, the gate at
    rate ``eta x (1 - x) |G|``, so as ``eta -> 0`` (time ``t = eta * steps``) the share follows

        dx/dt = x^2 (1 - x)^2 G(x),   G = theta D_T + alpha (1 - theta) D_P

    with the experts at rest (:func:`moe_expert_weights`, :func:`moe_error_gaps`): the logit
    moves by ``x (1 - x) G`` (SGD on a logit adds one factor ``x (1 - x)`` to the replicator
    form). Its boundaries are where ``G(0)`` and ``G(1)`` change sign. ``G`` is not the
    canonical ``alpha (1 - theta) (b + gamma x) - theta c``: ``D_P`` and ``D_T`` are rational in
    ``x`` and depend on ``theta`` through the experts. The comparison with the canonical model
    maps ``b = D_P(0)``, ``b + gamma = D_P(1)``, ``c = -D_T(1)`` at each ``theta``, so that the
    canonical ``theta* = alpha (b + gamma) / (alpha (b + gamma) + c)`` is where ``G(1) = 0``
    (:func:`moe_thresholds` gives it, the lower end of the window and the tipping point from a
    start share, each from ``G`` and from the canonical chord), and measures the observability
    at which trained learners started near entrenchment tip
    (:func:`incentive_geometry.solvers.numeric.neural_training.tipping_scan`).

    References
    ----------
    .. [1] R. A. Jacobs, M. I. Jordan, S. J. Nowlan and G. E. Hinton, Adaptive mixtures of
       local experts, Neural Computation 3(1), 79-87, 1991.
    .. [2] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory.learners import neural
    >>> L = neural.mixture_of_experts()
    >>> L
    <Learner 'mixture_of_experts': step function, states (x), parameters (theta=0.5, alpha=1, decay=0.5, eta=0.2)>
    >>> rng = np.random.default_rng(0)
    >>> z = L.init(np.full((3, 1), 0.9), L.defaults, rng)
    >>> L.observe(L.step(z, L.defaults, rng), L.defaults).shape
    (3, 1)
    """
    batch = check_int(batch, name="batch", low=1, high=1_000_000)
    params = [
        Parameter("theta", theta, [0, 1], "probability that a target is the true outcome"),
        Parameter("alpha", alpha, "positive", "weight of proxy samples in the loss"),
        Parameter("decay", decay, "positive", "pull of each expert toward its initial weights"),
        Parameter("eta", eta, "positive", "SGD step"),
    ]
    return Learner.from_step(
        {"x": {"domain": [0, 1], "meaning": "gate share on the proxy expert M"}},
        partial(_moe_step, batch=batch),
        parameters=params,
        init=_moe_init,
        observe=_moe_observe,
        drift=_moe_reduced_drift(params[:3]),
        name="mixture_of_experts",
        description=(
            "Two linear experts and a gate trained by SGD on the competitive loss; targets are "
            "true with probability theta and a proxy otherwise; expert M sees only the proxy "
            "feature; x is the gate's share on M."
        ),
        references=(_JNH91, PAPER),
    )


# ---------------------------------------------------------------------------------------------
# in-context learner (linear self-attention)
# ---------------------------------------------------------------------------------------------


def optimal_gd_step(dim: int, n_context: int) -> float:
    r"""The step ``eta_gd`` of the best single gradient step on in-context linear regression.

    For tasks ``w ~ N(0, I_d)`` and inputs ``x_i, x_q ~ N(0, I_d)``, a predictor
    ``yhat = x_q^T Gamma h`` with ``h = (1/N) sum_i y_i x_i = S w`` (one gradient step from
    ``w = 0`` on ``(1/2N) sum_i (<w, x_i> - y_i)^2`` is ``eta h``) has expected loss
    ``E |Gamma S w - w|^2 / 2``, minimized by ``Gamma = E[S] E[S^2]^{-1}``. With the Wishart
    moments ``E[S] = I`` and ``E[S^2] = (1 + (d + 1)/N) I``::

        eta_gd = N / (N + d + 1).

    Parameters
    ----------
    dim : int
        Input dimension ``d >= 1``.
    n_context : int
        Context length ``N >= 1``.

    Returns
    -------
    float

    References
    ----------
    .. [1] J. von Oswald et al., Transformers learn in-context by gradient descent, ICML 2023
       (the single-step construction).
    .. [2] R. J. Muirhead, Aspects of Multivariate Statistical Theory, Wiley, 1982, Sec. 3.2
       (moments of the Wishart distribution).

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import optimal_gd_step
    >>> optimal_gd_step(4, 10)
    0.6666666666666666
    """
    d = check_int(dim, name="dim", low=1)
    n = check_int(n_context, name="n_context", low=1)
    return n / (n + d + 1)


def rotation_by_angle(
    phi: float | np.ndarray, dim: int, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Random orthogonal maps that turn every vector by exactly ``phi``.

    ``R = Q J Q^T`` with ``Q`` Haar-random orthogonal and ``J`` block diagonal with ``dim / 2``
    plane rotations by ``phi``; then ``<R u, u> = cos(phi) |u|^2`` for every ``u``, and
    ``E[R] = cos(phi) I`` (so independent drifts compound in expectation to ``cos(phi)**L``).

    Parameters
    ----------
    phi : float or numpy.ndarray of shape (n,)
        Angle(s) in radians.
    dim : int
        Even dimension.
    n : int
        Number of maps.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n, dim, dim)

    Raises
    ------
    ModelError
        For an odd `dim`.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory.learners.neural import rotation_by_angle
    >>> R = rotation_by_angle(0.5, 4, 2, np.random.default_rng(0))
    >>> u = np.array([1.0, 2.0, 0.0, -1.0])
    >>> bool(np.allclose(u @ R[1] @ u, np.cos(0.5) * u @ u))
    True
    """
    dim = check_int(dim, name="dim", low=2)
    if dim % 2:
        raise ModelError(
            f"`dim` must be even (plane rotations turn every vector by phi), got {dim}; use "
            f"dim={dim + 1}"
        )
    angle = np.broadcast_to(np.asarray(phi, dtype=float), (n,))
    g = rng.standard_normal((n, dim, dim))
    q, r = np.linalg.qr(g)
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]  # Haar measure (Mezzadri)
    j = np.zeros((n, dim, dim))
    c, s = np.cos(angle), np.sin(angle)
    for k in range(0, dim, 2):
        j[:, k, k], j[:, k, k + 1], j[:, k + 1, k], j[:, k + 1, k + 1] = c, -s, s, c
    return np.asarray(q @ j @ q.transpose(0, 2, 1))


def _lsa_core(
    w_kq: np.ndarray, w_pv: np.ndarray, c: np.ndarray, xq: np.ndarray, yq: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # yhat = p^T C W_KQ e_q with p = W_PV[d, :] (the query's y-slot output) and e_q = (x_q, 0).
    d = xq.shape[-1]
    kq = np.matmul(w_kq[:, None, :, :d], xq[..., None])[..., 0]  # W_KQ e_q, (n, B, D)
    ckq = np.matmul(c, kq[..., None])[..., 0]  # C W_KQ e_q
    pv = w_pv[:, d, :]
    r = np.sum(pv[:, None, :] * ckq, axis=-1) - yq  # residual, (n, B)
    bsz = xq.shape[1]
    g_pv = np.zeros_like(w_pv)
    # d yhat / d W_PV[d, :] = C W_KQ e_q (the other rows do not reach the query's y-slot)
    g_pv[:, d, :] = np.matmul(r[:, None, :], ckq)[:, 0] / bsz
    # d yhat / d W_KQ = C p e_q^T (C symmetric); the column of the query's y-slot sees zero
    cp = np.matmul(c, pv[:, None, :, None])[..., 0]
    g_kq = np.zeros_like(w_kq)
    g_kq[:, :, :d] = np.matmul((r[..., None] * cp).transpose(0, 2, 1), xq) / bsz
    return 0.5 * np.mean(r**2, axis=1), g_kq, g_pv


def _context_covariance(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    e = np.concatenate([xs, ys[..., None]], axis=-1)  # tokens (x_i, y_i), (n, B, N, D)
    return np.asarray(np.matmul(e.transpose(0, 1, 3, 2), e) / xs.shape[2])


def lsa_loss_and_gradient(
    w_kq: np.ndarray,
    w_pv: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    xq: np.ndarray,
    yq: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Query loss of a linear self-attention layer and its gradient (manual, exact).

    Tokens ``e_i = (x_i, y_i)``, query ``e_q = (x_q, 0)``, ``C = (1/N) sum_i e_i e_i^T``::

        yhat = (W_PV C W_KQ e_q)_y,   L = mean_b (yhat - y_q)^2 / 2,
        dL/dW_PV[y, :] = mean_b r C W_KQ e_q,   dL/dW_KQ = mean_b r C W_PV[y, :]^T e_q^T.

    Parameters
    ----------
    w_kq, w_pv : numpy.ndarray, shape (n, d + 1, d + 1)
        Key-query and projection-value matrices of ``n`` layers.
    xs : numpy.ndarray, shape (n, batch, N, d)
        Context inputs.
    ys : numpy.ndarray, shape (n, batch, N)
        Context labels.
    xq : numpy.ndarray, shape (n, batch, d)
        Query inputs.
    yq : numpy.ndarray, shape (n, batch)
        Query targets.

    Returns
    -------
    loss : numpy.ndarray, shape (n,)
    grad_kq, grad_pv : numpy.ndarray, shape (n, d + 1, d + 1)

    References
    ----------
    .. [1] J. von Oswald et al., Transformers learn in-context by gradient descent, ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory.learners.neural import lsa_loss_and_gradient
    >>> kq, pv = np.zeros((1, 3, 3)), np.zeros((1, 3, 3))
    >>> kq[0, :2, :2], pv[0, 2, 2] = np.eye(2), 0.5  # one GD step with eta = 0.5
    >>> xs, ys = np.array([[[[1.0, 0.0], [0.0, 1.0]]]]), np.array([[[2.0, -2.0]]])
    >>> loss, gk, gp = lsa_loss_and_gradient(kq, pv, xs, ys, np.array([[[1.0, 1.0]]]), np.zeros((1, 1)))
    >>> float(loss[0])
    0.0
    """
    c = _context_covariance(xs, ys)
    return _lsa_core(w_kq, w_pv, c, xq, yq)


def learner_options(learner: Learner) -> dict[str, Any]:
    """The construction options (sizes) a library step-function learner was built with.

    Parameters
    ----------
    learner : Learner
        A learner from :func:`mixture_of_experts` or :func:`in_context`.

    Returns
    -------
    dict
        E.g. ``{"dim": 4, "levels": 1, "n_context": 10, "batch": 128}`` for :func:`in_context`.

    Raises
    ------
    ModelError
        When the learner's step is not one of this module's.

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import in_context, learner_options
    >>> learner_options(in_context(dim=2))["dim"]
    2
    """
    step = learner.step
    if not isinstance(step, partial) or step.func not in (_moe_step, _icl_step):
        raise ModelError(
            f"`learner` must be a mixture_of_experts or in_context learner, got {learner!r:.80}"
        )
    return dict(step.keywords)


def _icl_layout(dim: int, levels: int) -> tuple[int, int, int]:
    big = dim + 1
    per_level = 2 * big * big + dim * dim
    return big, per_level, levels * per_level


def in_context_weights(
    z: np.ndarray, *, dim: int, levels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unpack an in-context learner's internal state into its matrices.

    Parameters
    ----------
    z : numpy.ndarray, shape (n, size)
        Internal states of ``n`` learners (as returned by the learner's ``init`` and ``step``).
    dim : int
        Input dimension of the learner.
    levels : int
        Number of nested levels.

    Returns
    -------
    w_kq, w_pv : numpy.ndarray, shape (n, levels, dim + 1, dim + 1)
        Key-query and projection-value matrices of every level.
    drift : numpy.ndarray, shape (n, levels, dim, dim)
        The proxy rotation of every level (its target is ``drift`` applied to the objective of
        the level above).

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory.learners.neural import in_context, in_context_weights
    >>> L = in_context(dim=2, levels=2)
    >>> z = L.init(np.zeros((1, 2)), L.defaults, np.random.default_rng(0))
    >>> [a.shape for a in in_context_weights(z, dim=2, levels=2)]
    [(1, 2, 3, 3), (1, 2, 3, 3), (1, 2, 2, 2)]
    """
    big, per, size = _icl_layout(dim, levels)
    if z.ndim != 2 or z.shape[1] != size:
        raise ModelError(
            f"`z` must have shape (n, {size}) for dim={dim}, levels={levels}; got {z.shape}"
        )
    blocks = z.reshape(z.shape[0], levels, per)
    nn = big * big
    w_kq = blocks[:, :, :nn].reshape(-1, levels, big, big)
    w_pv = blocks[:, :, nn : 2 * nn].reshape(-1, levels, big, big)
    drift = blocks[:, :, 2 * nn :].reshape(-1, levels, dim, dim)
    return w_kq, w_pv, drift


def _gd_operator(w_kq: np.ndarray, w_pv: np.ndarray, dim: int) -> np.ndarray:
    # With A = W_KQ[:d, :d], b = W_KQ[y, :d], u = W_PV[y, :d], v = W_PV[y, y] and
    # C = [[S, h], [h^T, q]] (S = (1/N) sum x_i x_i^T, h = (1/N) sum y_i x_i, q = (1/N) sum y_i^2):
    #   yhat = u^T S A x_q + x_q^T (v A^T + b u^T) h + v q b^T x_q.
    # The term linear in h is the implied update Gamma h with Gamma = v A^T + b u^T; the other two
    # are not a gradient step (zero in the construction of von Oswald et al.: u = b = 0).
    v = w_pv[..., dim, dim]
    b, u = w_kq[..., dim, :dim], w_pv[..., dim, :dim]
    gamma = v[..., None, None] * np.swapaxes(w_kq[..., :dim, :dim], -1, -2)
    return np.asarray(gamma + b[..., :, None] * u[..., None, :])


def _icl_init(
    x0: np.ndarray,
    params: Mapping[str, Any],
    rng: np.random.Generator,
    *,
    dim: int,
    levels: int,
    init_scale: float,
) -> np.ndarray:
    # x0 (the alignments) cannot set the weights; layers start small and random, as in training
    # from scratch, and each level draws its own proxy rotation by phi.
    n = np.asarray(x0).shape[0]
    big, per, size = _icl_layout(dim, levels)
    phi = _column(params, "phi", n)[:, 0]
    z = np.empty((n, levels, per))
    nn = big * big
    z[:, :, : 2 * nn] = init_scale * rng.standard_normal((n, levels, 2 * nn))
    for level in range(levels):
        z[:, level, 2 * nn :] = rotation_by_angle(phi, dim, n, rng).reshape(n, dim * dim)
    return z.reshape(n, size)


def _objectives(gammas: np.ndarray, drift: np.ndarray, dim: int) -> np.ndarray:
    # Level l's target map: drift_l M_{l-1}, with M_0 = I and M_l = Gamma_l / (|Gamma_l|_F/sqrt d)
    # (what level l pursues, at unit scale); no gradient flows through the level above.
    n, levels = gammas.shape[:2]
    out = np.empty((n, levels, dim, dim))
    above = np.broadcast_to(np.eye(dim), (n, dim, dim))
    for level in range(levels):
        out[:, level] = drift[:, level] @ above
        g = gammas[:, level]
        scale = np.linalg.norm(g, axis=(1, 2)) / np.sqrt(dim)
        above = g / np.maximum(scale, 1e-12)[:, None, None]
    return out


def _icl_step(
    z: np.ndarray,
    params: Mapping[str, Any],
    rng: np.random.Generator,
    *,
    dim: int,
    levels: int,
    n_context: int,
    batch: int,
    clip: float,
) -> np.ndarray:
    n = z.shape[0]
    eta = _column(params, "eta", n)[:, :, None]
    w_kq, w_pv, drift = in_context_weights(z, dim=dim, levels=levels)
    # One batch of tasks per learner, shared by its levels: the context is the real world
    # (labels from the designer's w), only the query targets are proxies.
    xs = rng.standard_normal((n, batch, n_context, dim))
    w = rng.standard_normal((n, batch, dim))
    xq = rng.standard_normal((n, batch, dim))
    # C from S = (1/N) sum_i x_i x_i^T alone, since y_i = <w, x_i>: h = S w, (1/N) sum y_i^2 = <w, h>
    big = dim + 1
    sxx = np.matmul(xs.transpose(0, 1, 3, 2), xs) / n_context
    h = np.matmul(sxx, w[..., None])[..., 0]
    c = np.empty((n, batch, big, big))
    c[..., :dim, :dim] = sxx
    c[..., :dim, dim] = h
    c[..., dim, :dim] = h
    c[..., dim, dim] = np.sum(w * h, axis=-1)
    targets = _objectives(_gd_operator(w_kq, w_pv, dim), drift, dim)
    new_kq, new_pv = w_kq.copy(), w_pv.copy()
    for level in range(levels):
        goal = np.matmul(targets[:, level][:, None], w[..., None])[..., 0]  # (n, B, d)
        yq = np.sum(xq * goal, axis=-1)
        _, g_kq, g_pv = _lsa_core(w_kq[:, level], w_pv[:, level], c, xq, yq)
        # Gradient-norm clipping (Pascanu et al. 2013): a rare batch with a huge product of
        # Gaussians must not throw a layer where the step is unstable; typical norms are 1-5.
        norm = np.sqrt(np.sum(g_kq**2, axis=(1, 2)) + np.sum(g_pv**2, axis=(1, 2)))
        scale = np.minimum(1.0, clip / np.maximum(norm, 1e-300))[:, None, None]
        g_kq, g_pv = g_kq * scale, g_pv * scale
        new_kq[:, level] -= eta * g_kq
        new_pv[:, level] -= eta * g_pv
    out = np.concatenate(
        [
            new_kq.reshape(n, levels, big * big),
            new_pv.reshape(n, levels, big * big),
            drift.reshape(n, levels, dim * dim),
        ],
        axis=2,
    )
    return out.reshape(n, -1)


def _icl_observe(z: np.ndarray, params: Mapping[str, Any], *, dim: int, levels: int) -> np.ndarray:
    # a_l = <Gamma_l, I>_F / (|Gamma_l|_F sqrt d): the cosine between level l's update operator
    # and the designer's (eta I); for Gamma = eta R it is the mean over directions of <R u, u>.
    w_kq, w_pv, _ = in_context_weights(z, dim=dim, levels=levels)
    g = _gd_operator(w_kq, w_pv, dim)
    tr = np.trace(g, axis1=2, axis2=3)
    norm = np.linalg.norm(g, axis=(2, 3)) * np.sqrt(dim)
    return np.asarray(tr / np.maximum(norm, 1e-300))


def in_context(
    *,
    dim: int = 4,
    n_context: int = 10,
    levels: int = 1,
    phi: float = 0.0,
    eta: float = 0.04,
    batch: int = 128,
    init_scale: float = 0.1,
    clip: float = 10.0,
) -> Learner:
    r"""An in-context learner: linear self-attention trained by SGD on in-context regression.

    One step draws ``batch`` tasks per learner (``w ~ N(0, I_d)``, ``N = n_context`` context
    pairs ``(x_i, <w, x_i>)`` and a query ``x_q``, all standard normal) and moves every level's
    ``W_KQ`` and ``W_PV`` by ``-eta`` times the gradient of its query loss
    (:func:`lsa_loss_and_gradient`). Level 1's query target is ``<R_1 w, x_q>``: a proxy at angle
    ``phi`` from the designer's (``R_1`` turns every vector by ``phi``,
    :func:`rotation_by_angle`). Level ``l > 1`` is trained on a proxy of what level ``l - 1``
    pursues: its target is ``<R_l M_{l-1} w, x_q>`` with ``M_{l-1}`` the implied update operator
    of level ``l - 1`` at unit scale. All levels learn at once (the nested optimizers of
    :func:`incentive_geometry.theory.nested_objectives`).

    The recorded states ``a_1..a_L`` are the alignments of each level's implied update
    ``Gamma_l h`` with the designer's gradient step ``eta_gd h``: the cosine
    ``<Gamma_l, I>_F / (|Gamma_l|_F sqrt d)``, where ``Gamma = v A^T + b u^T`` is the operator
    of the prediction's term linear in ``h`` (``A = W_KQ[:d, :d]``, ``b = W_KQ[y, :d]``,
    ``u = W_PV[y, :d]``, ``v = W_PV[y, y]``; :class:`GDComparison`).
    Trained at ``phi = 0``, ``Gamma -> eta_gd I`` with ``eta_gd = N / (N + d + 1)``
    (:func:`optimal_gd_step`): the layer implements one gradient-descent step on the in-context
    loss. At ``phi > 0`` the alignments tend to ``tr(R_l ... R_1) / d``, whose expectation is
    ``cos(phi)**l`` (claim C6).

    Parameters
    ----------
    dim : int, default 4
        Even input dimension ``d``.
    n_context : int, default 10
        Context length ``N``.
    levels : int, default 1
        Nested levels ``L``.
    phi : float, default 0.0
        ``0 <= phi <= pi``: drift angle of each level's proxy (radians).
    eta : float, default 0.04
        ``eta > 0``: SGD step. The stable step shrinks with the dimension (the curvature grows
        about as ``d (1 + (d + 1) / N)``): 0.04 suits ``d = 4``, use about ``0.16 / d``.
    batch : int, default 128
        Tasks per step and learner.
    init_scale : float, default 0.1
        Standard deviation of the initial weights.
    clip : float, default 10.0
        Each level's gradient is scaled down to this Frobenius norm when larger (gradient
        clipping; typical norms in training are 1 to 5, so it acts only on rare batches).

    Returns
    -------
    Learner
        A step-function learner with the states ``a_1..a_L``. Its ``init`` ignores the values of
        ``x0`` (the weights start small and random); each learner draws its own rotations.

    References
    ----------
    .. [1] J. von Oswald, E. Niklasson, E. Randazzo, J. Sacramento, A. Mordvintsev,
       A. Zhmoginov and M. Vladymyrov, Transformers learn in-context by gradient descent,
       ICML 2023.
    .. [2] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025 (nested objectives).
    .. [3] R. Pascanu, T. Mikolov and Y. Bengio, On the difficulty of training recurrent neural
       networks, ICML 2013 (gradient clipping).

    Examples
    --------
    >>> from incentive_geometry.theory.learners import neural
    >>> neural.in_context(levels=2, phi=0.3)
    <Learner 'in_context': step function, states (a_1, a_2), parameters (phi=0.3, eta=0.04)>
    """
    dim = check_int(dim, name="dim", low=2, high=64)
    if dim % 2:
        raise ModelError(f"`dim` must be even, got {dim}; use dim={dim + 1}")
    n_context = check_int(n_context, name="n_context", low=1, high=100_000)
    levels = check_int(levels, name="levels", low=1, high=16)
    batch = check_int(batch, name="batch", low=1, high=1_000_000)
    if not (np.isfinite(init_scale) and init_scale > 0):
        raise ModelError(f"`init_scale` must be a positive number, got {init_scale!r}")
    if not (np.isfinite(clip) and clip > 0):
        raise ModelError(f"`clip` must be a positive number, got {clip!r}")
    params = [
        Parameter("phi", phi, [0, float(np.pi)], "drift angle of each level's proxy (radians)"),
        Parameter("eta", eta, "positive", "SGD step"),
    ]
    states = {
        f"a_{i + 1}": {
            "domain": [-1, 1],
            "meaning": f"alignment of level {i + 1}'s update with the designer's gradient step",
        }
        for i in range(levels)
    }
    return Learner.from_step(
        states,
        partial(
            _icl_step, dim=dim, levels=levels, n_context=n_context, batch=batch, clip=float(clip)
        ),
        parameters=params,
        init=partial(_icl_init, dim=dim, levels=levels, init_scale=float(init_scale)),
        observe=partial(_icl_observe, dim=dim, levels=levels),
        name="in_context",
        description=(
            f"Linear self-attention (d={dim}, N={n_context}) trained by SGD on in-context linear "
            f"regression; {levels} nested level(s), each on a proxy at angle phi from the level "
            "above; a_l is the alignment of level l's implied update with the designer's."
        ),
        references=(_VOSWALD23, PAPER),
    )


# ---------------------------------------------------------------------------------------------
# mixture of experts: drift, effective canonical parameters, thresholds
# ---------------------------------------------------------------------------------------------


def moe_error_gaps(x: float, params: Mapping[str, float]) -> tuple[float, float]:
    r"""Expected error of the aligned expert minus that of the proxy expert, at rest.

    With the experts at their stationary weights ``a(x), m(x)`` for the frozen share ``x``
    (:func:`moe_expert_weights`), and ``s, p`` independent standard normals::

        D_T = E[(s - a s)^2 - (s - m p)^2] / 2 = ((1 - a)^2 - 1 - m^2) / 2      (true samples)
        D_P = E[(p - a s)^2 - (p - m p)^2] / 2 = (1 + a^2 - (1 - m)^2) / 2      (proxy samples)

    Parameters
    ----------
    x : float
        Gate share on the proxy expert.
    params : mapping
        ``theta``, ``alpha``, ``decay``.

    Returns
    -------
    (D_T, D_P) : tuple of float

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import moe_error_gaps
    >>> [round(v, 6) for v in moe_error_gaps(0.0, {"theta": 0.5, "alpha": 1.0, "decay": 0.5})]
    [-0.444444, 0.222222]
    """
    a, m = (float(v) for v in moe_expert_weights(x, params))
    return 0.5 * ((1 - a) ** 2 - 1 - m**2), 0.5 * (1 + a**2 - (1 - m) ** 2)


def moe_drift(x: float, params: Mapping[str, float]) -> float:
    r"""The gate's expected drift ``G(x)`` of the mixture of experts, experts at rest.

    The expected increment of the gate logit per step is ``eta x (1 - x) G(x)`` with
    ``G = theta D_T + alpha (1 - theta) D_P`` (:func:`moe_error_gaps`), the experts at their
    stationary weights for the frozen share ``x``: the slow-gate reduction. It has the
    canonical replicator form (in the logit), with a payoff difference ``G`` that is not linear
    in ``x``.

    Parameters
    ----------
    x : float
        Gate share on the proxy expert.
    params : mapping
        ``theta``, ``alpha``, ``decay``.

    Returns
    -------
    float

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import moe_drift
    >>> p = {"theta": 0.3, "alpha": 1.0, "decay": 0.5}
    >>> moe_drift(1.0, p) > 0 > moe_drift(1.0, {**p, "theta": 0.8})
    True
    """
    d_true, d_proxy = moe_error_gaps(x, params)
    theta, alpha = float(params["theta"]), float(params["alpha"])
    return theta * d_true + alpha * (1 - theta) * d_proxy


def _root_theta(fn: Any, lo: float = 1e-6, hi: float = 1 - 1e-6, tol: float = 1e-10) -> float:
    flo, fhi = fn(lo), fn(hi)
    if flo * fhi > 0:
        return float("nan")
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        fm = fn(mid)
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class MoEThresholds:
    """Thresholds of the mixture of experts, from its drift and from the canonical mapping.

    Attributes
    ----------
    theta_star : float
        Where entrenchment (``x = 1``) loses stability: ``G(1) = 0``. Equal, by construction of
        the mapping, to the canonical ``alpha (b + gamma) / (alpha (b + gamma) + c)`` with the
        effective parameters taken at this ``theta``.
    theta_low : float
        Where the aligned state (``x = 0``) loses stability: ``G(0) = 0`` (the lower end of the
        bistable window).
    theta_low_canonical : float
        The canonical ``alpha b / (alpha b + c)`` with ``c = -D_T(1)`` (the canonical model has one
        ``c``; the mixture's cost at ``x = 0`` differs, so the two lower ends differ).
    theta_tip : float
        Where ``G(x0) = 0``: the tipping observability for learners started at ``x0``.
    theta_tip_canonical : float
        The canonical model's tipping point at ``x0`` with the effective parameters:
        ``alpha (1 - theta) (b + gamma x0) = theta c``.
    x0 : float
        The start share.
    b, gamma, c : float
        Effective canonical parameters at ``theta_star``: ``b = D_P(0)``, ``b + gamma = D_P(1)``,
        ``c = -D_T(1)``.

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import moe_thresholds
    >>> th = moe_thresholds({"alpha": 1.0, "decay": 0.5})
    >>> round(th.b, 3), round(th.gamma, 3), round(th.c, 3)
    (0.259, 0.483, 0.539)
    """

    theta_star: float
    theta_low: float
    theta_low_canonical: float
    theta_tip: float
    theta_tip_canonical: float
    x0: float
    b: float
    gamma: float
    c: float


def _effective(theta: float, base: Mapping[str, float]) -> tuple[float, float, float]:
    p = {**base, "theta": theta}
    _, dp0 = moe_error_gaps(0.0, p)
    dt1, dp1 = moe_error_gaps(1.0, p)
    return dp0, dp1 - dp0, -dt1


def moe_thresholds(
    params: Mapping[str, float],
    *,
    x0: float = 0.9,
) -> MoEThresholds:
    r"""The mixture of experts' thresholds in ``theta``, and the canonical model's through the
    effective parameters.

    The mapping: at each ``theta`` the experts at rest give ``b = D_P(0)``, ``b + gamma = D_P(1)``
    and ``c = -D_T(1)`` (:func:`moe_error_gaps`), so that the canonical ``G_can(x) = alpha (1 - theta)
    (b + gamma x) - theta c`` is the chord of the mixture's ``G`` between ``x = 0`` and ``x = 1``
    on proxy samples, with the cost at entrenchment. ``theta_star`` is exact for the slow-gate
    reduction; ``theta_low_canonical`` and ``theta_tip_canonical`` carry the error of the chord.

    Parameters
    ----------
    params : mapping
        ``alpha`` and ``decay`` (``theta`` is solved for).
    x0 : float, default 0.9
        The share learners start from (for the tipping points).

    Returns
    -------
    MoEThresholds

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import moe_thresholds
    >>> th = moe_thresholds({"alpha": 1.0, "decay": 0.5})
    >>> round(th.theta_low, 3), round(th.theta_tip, 3), round(th.theta_star, 3)
    (0.25, 0.556, 0.579)
    """
    base = {"alpha": float(params["alpha"]), "decay": float(params["decay"])}
    alpha = base["alpha"]

    def drift(x: float) -> Any:
        return lambda t: moe_drift(x, {**base, "theta": t})

    def canonical(x: float) -> Any:
        def g(t: float) -> float:
            b, gamma, c = _effective(t, base)
            return alpha * (1 - t) * (b + gamma * x) - t * c

        return g

    theta_star = _root_theta(drift(1.0))
    b, gamma, c = _effective(theta_star, base)
    return MoEThresholds(
        theta_star=theta_star,
        theta_low=_root_theta(drift(0.0)),
        theta_low_canonical=_root_theta(canonical(0.0)),
        theta_tip=_root_theta(drift(x0)),
        theta_tip_canonical=_root_theta(canonical(x0)),
        x0=float(x0),
        b=b,
        gamma=gamma,
        c=c,
    )


# ---------------------------------------------------------------------------------------------
# in-context learner: gradient-descent step and alignment
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GDComparison:
    """A trained in-context learner (level 1) against one step of gradient descent.

    Attributes
    ----------
    gamma : numpy.ndarray, shape (n, d, d)
        The implied update operator ``Gamma = v A^T + b u^T`` of every learner (``A = W_KQ[:d, :d]``,
        ``b = W_KQ[y, :d]``, ``u = W_PV[y, :d]``, ``v = W_PV[y, y]``): the layer's prediction is
        ``x_q^T Gamma h + u^T S A x_q + v q b^T x_q`` with ``h = (1/N) sum y_i x_i``,
        ``S = (1/N) sum x_i x_i^T``, ``q = (1/N) sum y_i^2``.
    eta_gd : float
        The optimal single step ``N / (N + d + 1)`` (closed form).
    target : numpy.ndarray, shape (n, d, d)
        The closed form ``eta_gd R_1`` (``eta_gd I`` at ``phi = 0``).
    relative_error : numpy.ndarray, shape (n,)
        ``|gamma - target|_F / |target|_F``.
    eta_fit : numpy.ndarray, shape (n,)
        ``tr(R_1^T gamma) / d``: the step the layer actually takes.
    other_blocks : numpy.ndarray, shape (n,)
        Size of the two terms that are not a gradient step, ``max(|A^T u|_inf, |v b|_inf)``
        (zero in the construction).
    rank_one_share : numpy.ndarray, shape (n,)
        ``|b u^T|_F / |Gamma|_F``: how much of the update goes through the rank-one channel
        instead of ``v A^T`` (zero in the construction; at ``d = 2`` training from random weights
        can settle with a large share).
    prediction_error : numpy.ndarray, shape (n,)
        On fresh tasks, ``|yhat_LSA - yhat_GD|_2 / |yhat_GD|_2`` with ``yhat_GD`` the prediction
        after one GD step with ``eta_gd`` on the proxy objective.
    prediction_cosine : numpy.ndarray, shape (n,)
        Cosine between the two prediction vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory.learners.neural import in_context, in_context_gd_comparison
    >>> L = in_context()
    >>> z = L.init(np.zeros((2, 1)), L.defaults, np.random.default_rng(0))
    >>> in_context_gd_comparison(L, z, tasks=10).gamma.shape
    (2, 4, 4)
    """

    gamma: np.ndarray
    eta_gd: float
    target: np.ndarray
    relative_error: np.ndarray
    eta_fit: np.ndarray
    other_blocks: np.ndarray
    rank_one_share: np.ndarray
    prediction_error: np.ndarray
    prediction_cosine: np.ndarray


def in_context_gd_comparison(
    learner: Learner, z: np.ndarray, *, tasks: int = 2000, seed: int = 1
) -> GDComparison:
    """Compare trained in-context learners' first level with one step of gradient descent.

    Parameters
    ----------
    learner : Learner
        From :func:`incentive_geometry.theory.learners.neural.in_context`.
    z : numpy.ndarray
        Trained internal states (e.g. ``neural_training.train_states(...).z``).
    tasks : int, default 2000
        Fresh tasks for the prediction comparison.
    seed : int, default 1

    Returns
    -------
    GDComparison

    References
    ----------
    .. [1] J. von Oswald et al., Transformers learn in-context by gradient descent, ICML 2023
       (Sec. 3: the weight construction and the comparison of predictions).

    Examples
    --------
    >>> from incentive_geometry.theory.learners.neural import in_context
    >>> import numpy as np
    >>> from incentive_geometry.theory.learners.neural import in_context_gd_comparison
    >>> L = in_context(dim=2)
    >>> z = L.init(np.zeros((1, 1)), L.defaults, np.random.default_rng(0))
    >>> z[0, :18] = 0.0
    >>> z[0, [0, 4]] = 1.0                   # W_KQ[:d, :d] = I
    >>> z[0, 9 + 8] = 10 / 13                # W_PV[y, y] = eta_gd = N / (N + d + 1)
    >>> cmp = in_context_gd_comparison(L, z)
    >>> round(float(cmp.relative_error[0]), 12), round(float(cmp.prediction_error[0]), 12)
    (0.0, 0.0)
    """
    opts = learner_options(learner)
    dim, levels, n_ctx = opts["dim"], opts["levels"], opts["n_context"]
    w_kq, w_pv, drift = in_context_weights(z, dim=dim, levels=levels)
    kq, pv, r1 = w_kq[:, 0], w_pv[:, 0], drift[:, 0]
    v, b, u = pv[:, dim, dim], kq[:, dim, :dim], pv[:, dim, :dim]
    gamma = _gd_operator(kq, pv, dim)
    eta_gd = optimal_gd_step(dim, n_ctx)
    target = eta_gd * r1
    rel = np.linalg.norm(gamma - target, axis=(1, 2)) / np.linalg.norm(target, axis=(1, 2))
    eta_fit = np.einsum("nij,nij->n", r1, gamma) / dim
    a_t_u = np.einsum("nij,ni->nj", kq[:, :dim, :dim], u)
    other = np.maximum(np.abs(a_t_u).max(axis=1), np.abs(v[:, None] * b).max(axis=1))
    rank_one = np.linalg.norm(b[:, :, None] * u[:, None, :], axis=(1, 2)) / np.linalg.norm(
        gamma, axis=(1, 2)
    )
    # Fresh tasks: the layer's own forward pass against one GD step on the proxy objective.
    n = z.shape[0]
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((n, tasks, n_ctx, dim))
    w = rng.standard_normal((n, tasks, dim))
    xq = rng.standard_normal((n, tasks, dim))
    ys = np.matmul(xs, w[..., None])[..., 0]
    e = np.concatenate([xs, ys[..., None]], axis=-1)
    c = np.matmul(e.transpose(0, 1, 3, 2), e) / n_ctx
    q = np.concatenate([xq, np.zeros((n, tasks, 1))], axis=-1)
    out = np.matmul(pv[:, None], np.matmul(c, np.matmul(kq[:, None], q[..., None])))[..., 0]
    y_lsa = out[..., dim]
    h = np.matmul(xs.transpose(0, 1, 3, 2), ys[..., None])[..., 0] / n_ctx  # -grad at w = 0
    step = eta_gd * np.matmul(r1[:, None], h[..., None])[..., 0]  # one GD step, proxy objective
    y_gd = np.sum(xq * step, axis=-1)
    err = np.linalg.norm(y_lsa - y_gd, axis=1) / np.linalg.norm(y_gd, axis=1)
    cos = np.sum(y_lsa * y_gd, axis=1) / (
        np.linalg.norm(y_lsa, axis=1) * np.linalg.norm(y_gd, axis=1)
    )
    return GDComparison(
        gamma=gamma,
        eta_gd=eta_gd,
        target=target,
        relative_error=rel,
        eta_fit=eta_fit,
        other_blocks=other,
        rank_one_share=rank_one,
        prediction_error=err,
        prediction_cosine=cos,
    )


@dataclass(frozen=True)
class InContextAlignment:
    """Alignment of every nested level with the designer, beside the theory.

    Attributes
    ----------
    measured : numpy.ndarray, shape (n, L)
        ``a_l`` of the trained learners (cosine of level ``l``'s update operator with the
        designer's gradient step).
    drawn : numpy.ndarray, shape (n, L)
        ``tr(R_l ... R_1) / d``: what a perfectly trained stack with the same drawn proxies would
        give.
    expected : numpy.ndarray, shape (L,)
        ``cos(phi)**l``, the expectation over the drifts (claim C6).
    mean, sem : numpy.ndarray, shape (L,)
        Ensemble mean of ``measured`` and its standard error.

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory.learners.neural import in_context, in_context_alignment
    >>> L = in_context(levels=3, phi=0.5)
    >>> z = L.init(np.zeros((2, 3)), L.defaults, np.random.default_rng(0))
    >>> in_context_alignment(L, z, phi=0.5).expected.round(3).tolist()
    [0.878, 0.77, 0.676]
    """

    measured: np.ndarray
    drawn: np.ndarray
    expected: np.ndarray
    mean: np.ndarray
    sem: np.ndarray


def in_context_alignment(learner: Learner, z: np.ndarray, *, phi: float) -> InContextAlignment:
    """Alignment of trained in-context learners' levels with the designer's objective.

    Parameters
    ----------
    learner : Learner
        From :func:`incentive_geometry.theory.learners.neural.in_context`.
    z : numpy.ndarray
        Trained internal states.
    phi : float
        The drift angle they were trained with.

    Returns
    -------
    InContextAlignment

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.theory.learners.neural import in_context
    >>> from incentive_geometry.theory.learners.neural import in_context_alignment
    >>> L = in_context(levels=2)
    >>> z = L.init(np.zeros((3, 2)), {"phi": 0.4, "eta": 0.04}, np.random.default_rng(0))
    >>> al = in_context_alignment(L, z, phi=0.4)
    >>> bool(np.allclose(al.drawn[:, 0], np.cos(0.4))), al.expected.round(3).tolist()
    (True, [0.921, 0.848])
    """
    opts = learner_options(learner)
    dim, levels = opts["dim"], opts["levels"]
    measured = np.asarray(learner.observe(z, {}) if learner.observe is not None else z)
    _, _, drift = in_context_weights(z, dim=dim, levels=levels)
    n = z.shape[0]
    drawn = np.empty((n, levels))
    prod = np.broadcast_to(np.eye(dim), (n, dim, dim))
    for level in range(levels):
        prod = drift[:, level] @ prod
        drawn[:, level] = np.trace(prod, axis1=1, axis2=2) / dim
    expected = np.cos(phi) ** np.arange(1, levels + 1)
    sem = measured.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(levels, np.nan)
    return InContextAlignment(
        measured=measured, drawn=drawn, expected=expected, mean=measured.mean(axis=0), sem=sem
    )
