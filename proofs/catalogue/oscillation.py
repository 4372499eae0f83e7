"""Oscillation: entrenchment against lagged audits cycles exactly below the Hopf point.

The model is :func:`~incentive_geometry.theory.entrenchment_oscillating`: observability
``theta`` is the principal's audit intensity, moved towards ``kappa x`` at rate ``rho``. The
claim: a trajectory settles on a cycle exactly when audits are strong enough to undo
entrenchment (``kappa > theta* = alpha (b + gamma) / (alpha (b + gamma) + c)``, else the
entrenched corner is stable) and slow enough (``rho < rho_H``, the Hopf point of the interior
equilibrium); otherwise it settles on an equilibrium. The derivation is symbolic (the interior
equilibrium, the trace and determinant of the Jacobian there); the observation simulates,
without the formula (:func:`~incentive_geometry.proofs.observe.oscillates`).

Examples
--------
>>> from incentive_geometry.proofs.catalogue.oscillation import entries
>>> [e.claim.name for e in entries()]
['oscillation.audit_cycle']
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import sympy

from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Step
from incentive_geometry.proofs.observe import oscillates
from incentive_geometry.theory import entrenchment_oscillating

__all__ = ["DOMAIN", "audit_cycle_derivation", "entries", "hopf_rho", "start"]

PAPER = "D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint, 2025"
INSPECTION = (
    "R. Avenhaus, B. von Stengel and S. Zamir, Inspection games, Handbook of Game Theory vol. 3, "
    "Elsevier, 2002, ch. 51"
)
HOPF = "Yu. A. Kuznetsov, Elements of Applied Bifurcation Theory, 3rd ed., Springer, 2004, sec. 3.5"

#: The sampled box: audit response and audit speed (the others at the model's defaults).
DOMAIN: dict[str, tuple[float, float]] = {"kappa": (0.45, 1.0), "rho": (0.06, 0.25)}


def _symbols() -> dict[str, Any]:
    m = entrenchment_oscillating()
    return {name: m.symbol(name) for name in (*m.parameter_names, *m.state_names)}


def hopf_rho() -> tuple[Any, Any, Any]:
    """The interior equilibrium ``x*``, the Hopf point ``rho_H`` and ``theta*``, symbolically.

    Returns
    -------
    tuple of sympy expressions
        ``(x*, rho_H, theta*)`` in the model's parameter symbols.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.oscillation import hopf_rho
    >>> xs, rh, ts = hopf_rho()
    >>> defaults = {"alpha": 1, "b": 0.2, "gamma": 1, "c": 1, "kappa": 0.9}
    >>> subs = {s: defaults[s.name] for s in rh.free_symbols}
    >>> round(float(rh.subs(subs)), 6)
    0.150374
    """
    s = _symbols()
    alpha, b, gamma, c, kappa = (s[k] for k in ("alpha", "b", "gamma", "c", "kappa"))
    q = alpha * gamma - kappa * (alpha * b + c)
    xs = (q + sympy.sqrt(q**2 + 4 * alpha**2 * b * gamma * kappa)) / (2 * alpha * gamma * kappa)
    rho_h = xs * (1 - xs) * alpha * gamma * (1 - kappa * xs)
    theta_star = alpha * (b + gamma) / (alpha * (b + gamma) + c)
    return xs, rho_h, theta_star


def audit_cycle_derivation() -> list[Step]:
    """The symbolic steps behind the prediction, each checked by sympy.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.oscillation import audit_cycle_derivation
    >>> all(step.verified for step in audit_cycle_derivation())
    True
    """
    m = entrenchment_oscillating()
    s = _symbols()
    x, th = s["x"], s["theta"]
    alpha, b, gamma, c, kappa, rho = (s[k] for k in ("alpha", "b", "gamma", "c", "kappa", "rho"))
    xs, rho_h, theta_star = hopf_rho()
    G = alpha * (1 - th) * (b + gamma * x) - th * c
    f = sympy.expand(G.subs(th, kappa * x))
    steps = []
    # 1. theta' = 0 on theta = kappa x; x' = 0 inside (0, 1) on f(x) = G(x, kappa x) = 0.
    rhs_ok = (
        sympy.expand(m.rhs[0] - x * (1 - x) * G) == 0
        and sympy.expand(m.rhs[1] - rho * (kappa * x - th)) == 0
    )
    # f(x*) with the square root as a symbol r: a polynomial in r, reduced modulo r**2 = D.
    r = sympy.Dummy("r", positive=True)
    q = alpha * gamma - kappa * (alpha * b + c)
    D = q**2 + 4 * alpha**2 * b * gamma * kappa
    xr = (q + r) / (2 * alpha * gamma * kappa)
    root = sympy.simplify(sympy.rem(sympy.numer(sympy.together(f.subs(x, xr))), r**2 - D, r))
    same = sympy.expand(xs.subs(sympy.sqrt(D), r) - xr) == 0
    steps.append(
        Step(
            "interior equilibrium (x*, kappa x*), x* the positive root of f(x) = G(x, kappa x)",
            f"f(x) = {sympy.factor(f)}; f(x*) simplifies to {root}; the roots' product is "
            "-b/(gamma kappa) < 0, so x* is the only positive one",
            bool(rhs_ok and same and root == 0),
        )
    )
    J = sympy.Matrix(m.rhs).jacobian([x, th]).subs(th, kappa * x)
    tr_target = x * (1 - x) * alpha * gamma * (1 - kappa * x) - rho
    fp = sympy.diff(f, x)
    det_target = -rho * x * (1 - x) * fp
    # Equal where f = 0: the differences are multiples of f (zero remainder on division).
    tr_rem = sympy.rem(sympy.expand(J.trace() - tr_target), f, x)
    det_rem = sympy.rem(sympy.expand(J.det() - det_target), f, x)
    steps.append(
        Step(
            "Jacobian at the interior point: tr J = x*(1 - x*) alpha gamma (1 - kappa x*) - rho, "
            "det J = -rho x*(1 - x*) f'(x*)",
            f"remainders of tr J and det J minus these, divided by f: {sympy.expand(tr_rem)}, "
            f"{sympy.expand(det_rem)}",
            bool(sympy.expand(tr_rem) == 0 and sympy.expand(det_rem) == 0),
        )
    )
    lead = sympy.Poly(f, x).LC()
    steps.append(
        Step(
            "det J > 0: f falls through its only positive root",
            f"f(0) = {f.subs(x, 0)} > 0 and the leading coefficient {lead} < 0",
            bool(
                sympy.expand(f.subs(x, 0) - alpha * b) == 0
                and sympy.expand(lead + alpha * gamma * kappa) == 0
            ),
        )
    )
    steps.append(
        Step(
            "Hopf point (tr J = 0 with det J > 0): rho_H = x*(1 - x*) alpha gamma (1 - kappa x*); "
            "the interior point repels below it, and the invariant box [0, 1] x [0, kappa] then "
            "holds a cycle (Poincare-Bendixson); x* < 1 exactly when kappa > theta*",
            f"rho_H = {rho_h}; f(1) = {sympy.factor(f.subs(x, 1))} < 0 iff kappa > {theta_star}",
            bool(sympy.cancel(f.subs(x, 1).subs(kappa, theta_star)) == 0),
        )
    )
    return steps


def start(values: Mapping[str, float]) -> dict[str, float]:
    """The observation's start: low entrenchment and no audits, the same for every sample.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.oscillation import start
    >>> start({})
    {'x': 0.3, 'theta': 0.1}
    """
    return {"x": 0.3, "theta": 0.1}


def entries() -> list[Entry]:
    """The oscillation claims.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.oscillation import entries
    >>> entries()[0].claim.kind
    'condition'
    """
    m = entrenchment_oscillating()
    _, rho_h, theta_star = hopf_rho()
    s = _symbols()
    prediction = sympy.And(
        sympy.StrictGreaterThan(s["kappa"], theta_star), sympy.StrictLessThan(s["rho"], rho_h)
    )
    return [
        Entry(
            "oscillation",
            Claim(
                name="oscillation.audit_cycle",
                statement="Entrenchment against audits that follow it with a lag (the audit "
                "intensity theta moves towards kappa x at rate rho) settles on a cycle exactly "
                "when the audits could undo entrenchment (kappa > theta*) and lag behind the "
                "Hopf point (rho < rho_H); otherwise on an equilibrium.",
                model=m,
                prediction=prediction,
                domain=DOMAIN,
                # Windows of 150, 300, ..., 2400 time units; at rest once the state varies by
                # less than 1e-5 (a cycle here has an amplitude of 1e-2 or more).
                observe=functools.partial(
                    oscillates,
                    m,
                    x0=start,
                    horizon=150.0,
                    windows=5,
                    n_points=2001,
                    rtol=1e-6,
                    settle=1e-5,
                ),
                derivation=audit_cycle_derivation,
                # Next to the Hopf point the approach to the cycle or the equilibrium is slower
                # than any finite simulation shows: those points are left out.
                boundary_tol=0.005,
                references=(PAPER, INSPECTION, HOPF),
            ),
            weight=0.03,
            reading="refuted would mean a cycle where the linearization predicts rest (or the "
            "reverse): a subcritical Hopf point, or cycles the local analysis cannot see",
        ),
    ]
