"""Derivations: the symbolic engine's steps behind a prediction, each one verified.

:func:`stability_derivation` asks the symbolic engine for an equilibrium's point, existence and
stability condition, and checks each step independently: the point is substituted back into the
right-hand side and simplified to zero; the Jacobian is recomputed and compared; the engine's
condition is compared with numerical eigenvalues; and the engine's condition is compared with
the claim's prediction exactly, by an SMT certificate over the parameter domains (``proved``,
``disproved`` with a witness, or ``spot-checked`` at N points when a term is not algebraic).
A step is marked verified only by a check that could have failed.

Examples
--------
>>> from incentive_geometry.theory import entrenchment
>>> from incentive_geometry.proofs.derive import stability_derivation
>>> steps = stability_derivation(entrenchment(), {"x": 0}, "alpha*(1 - theta)*b < theta*c")
>>> all(s.verified for s in steps)
True
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy

from incentive_geometry.errors import IncentiveGeometryError
from incentive_geometry.language import exact_number, parse_condition, parse_expression, to_text
from incentive_geometry.model import Model

from .claims import Step

__all__ = [
    "agree_on_rationals",
    "certify",
    "equilibrium_value_derivation",
    "find_equilibrium",
    "interior_derivation",
    "stability_derivation",
    "threshold_derivation",
    "window_derivation",
]


def _sample_value(model: Model, sym: Any, rng: random.Random) -> sympy.Rational:
    dom = model.parameter(sym.name).domain
    if dom.kind == "interval":
        lo, hi = dom.lo, dom.hi
        return lo + (hi - lo) * sympy.Rational(rng.randint(1, 999), 1000)  # type: ignore[operator]
    return sympy.Rational(rng.randint(1, 3000), 1000)


def agree_on_rationals(
    model: Model, a: Any, b: Any, *, points: int = 200, seed: int = 0
) -> tuple[int, int]:
    """Compare two conditions at exact random rational parameter points.

    Parameters
    ----------
    model : Model
        Supplies the parameters and their domains.
    a, b : sympy Boolean
    points : int
    seed : int

    Returns
    -------
    tuple of int
        (points where they agree, points compared).

    Examples
    --------
    >>> import sympy
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.proofs.derive import agree_on_rationals
    >>> m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": {"default": 1, "domain": "positive"}})
    >>> k = m.symbol("k")
    >>> agree_on_rationals(m, k > 0, sympy.true)
    (200, 200)
    """
    rng = random.Random(seed)
    symbols = sorted((a.free_symbols | b.free_symbols) & set(model.parameter_symbols), key=str)
    same = 0
    for _ in range(points):
        subs = {s: _sample_value(model, s, rng) for s in symbols}
        same += bool(a.xreplace(subs)) == bool(b.xreplace(subs))
    return same, points


def certify(model: Model, a: Any, b: Any, *, timeout: float = 20.0) -> Any:
    """An exact certificate that conditions `a` and `b` agree over the model's parameter domains.

    The domains of the model's parameters (intervals, positive, nonnegative) bound the search;
    see :func:`incentive_geometry.solvers.symbolic.certificates.equivalence` for the outcomes
    (``proved``, ``disproved`` with a witness, ``spot-checked`` at N points).

    Parameters
    ----------
    model : Model
    a, b : sympy Boolean
    timeout : float
        Seconds for the SMT query.

    Returns
    -------
    Certificate

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.proofs.derive import certify
    >>> m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": {"default": 1, "domain": "positive"}})
    >>> k = m.symbol("k")
    >>> certify(m, k > 0, k**2 > 0).status
    'proved'
    """
    from incentive_geometry.solvers.symbolic.certificates import equivalence

    box: dict[Any, tuple[Any, Any]] = {}
    positive: list[Any] = []
    used = set(getattr(a, "free_symbols", ())) | set(getattr(b, "free_symbols", ()))
    for s in model.parameter_symbols:
        if s not in used:
            continue
        dom = model.parameter(s.name).domain
        if dom.kind == "interval":
            box[s] = (dom.lo, dom.hi)
        elif dom.kind == "positive":
            box[s] = (0, None)
            positive.append(s)
        elif dom.kind == "nonnegative":
            box[s] = (0, None)
    return equivalence(a, b, box, positive=positive, timeout=timeout)


def _certified_step(model: Model, description: str, a: Any, b: Any) -> Step:
    """A step comparing two conditions: verified only when the equivalence is proved."""
    cert = certify(model, a, b)
    return Step(
        description,
        f"{_show(a)}  vs  {_show(b)}: {cert.summary()}; {cert.detail}",
        cert.proved,
        cert.summary(),
    )


def _engine_step(model: Model, eq: Any, cond: Any, description: str) -> Step:
    """The engine's stability condition, verified against numerical eigenvalues."""
    J = sympy.Matrix(model.rhs).jacobian(list(model.states)).xreplace(eq.point)
    ok, total = _eigenvalue_checks(model, eq, J, cond)
    return Step(
        description,
        f"{_show(cond)}; agrees with numerical eigenvalues at {ok} of {total} rational "
        "parameter points",
        ok == total and total > 0,
    )


def _points(model: Model, eq: Any, count: int, seed: int) -> list[dict[Any, Any]]:
    rng = random.Random(seed)
    return [
        {s: _sample_value(model, s, rng) for s in model.parameter_symbols} for _ in range(count)
    ]


def _show(condition: Any) -> str:
    if condition is sympy.true:
        return "always"
    if condition is sympy.false:
        return "never"
    return to_text(condition)


def _inside(domain: Any, value: float, tol: float = 1e-12) -> bool:
    if domain.kind == "interval":
        return float(domain.lo) - tol <= value <= float(domain.hi) + tol
    if domain.kind == "positive":
        return value > 0
    if domain.kind == "nonnegative":
        return value >= -tol
    return True


def _existence_checks(model: Model, eq: Any, count: int = 60) -> tuple[int, int]:
    """Compare the engine's existence condition with the point's own values."""
    same = 0
    for subs in _points(model, eq, count, 1):
        coords = [complex(sympy.N(eq.point[s].xreplace(subs))) for s in model.states]
        direct = all(abs(c.imag) < 1e-12 for c in coords) and all(
            _inside(d, c.real) for c, d in zip(coords, model.state_domains, strict=True)
        )
        same += bool(eq.exists.xreplace(subs)) == direct
    return same, count


def _eigenvalue_checks(
    model: Model, eq: Any, J: Any, condition: Any, count: int = 60
) -> tuple[int, int]:
    """Compare a stability condition with numerical eigenvalues (points near the boundary skipped)."""
    import numpy as np

    same = total = 0
    for subs in _points(model, eq, count, 2):
        if not bool(eq.exists.xreplace(subs)):
            continue
        values = np.array(sympy.N(J.xreplace(subs)).tolist(), dtype=complex)
        lam = np.linalg.eigvals(values)
        margin = np.max(lam.real) if model.time == "continuous" else np.max(np.abs(lam)) - 1
        if abs(margin) < 1e-9:
            continue
        total += 1
        same += bool(condition.xreplace(subs)) == bool(margin < 0)
    return same, total


def _value(model: Model, value: Any) -> Any:
    """A coordinate or predicted value: model-language text such as ``"b"``, a sympy
    expression, or a number (made exact)."""
    if isinstance(value, str):
        return parse_expression(value, model.symbols, where="prediction")
    if isinstance(value, sympy.Basic):
        return value
    return exact_number(value, what="prediction")


def _condition(model: Model, prediction: Any) -> Any:
    if isinstance(prediction, str):
        return parse_condition(prediction, model.symbols, where="prediction")
    return prediction


def find_equilibrium(
    model: Model, target: Mapping[str, Any], *, timeout: float | None = 60.0
) -> Any:
    """The symbolic engine's equilibrium whose coordinates equal `target` (given states only).

    Parameters
    ----------
    model : Model
    target : mapping of state name to value or expression text
    timeout : float, optional

    Returns
    -------
    Equilibrium or None

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.derive import find_equilibrium
    >>> find_equilibrium(entrenchment(), {"x": 1}).point
    {x: 1}
    """
    from incentive_geometry.solvers import symbolic as ig

    want = {model.symbol(k): _value(model, v) for k, v in target.items()}
    for eq in ig.equilibria(model, timeout=timeout):
        if all(sympy.simplify(eq.point[s] - v) == 0 for s, v in want.items()):
            return eq
    return None


def stability_derivation(
    model: Model, target: Mapping[str, Any], prediction: str | Any, *, timeout: float | None = 60.0
) -> list[Step]:
    """The verified steps from the model to "the equilibrium at `target` is stable iff prediction".

    Parameters
    ----------
    model : Model
    target : mapping of state name to value
        Which equilibrium.
    prediction : str or sympy Boolean
        The claimed stability condition.
    timeout : float, optional
        Budget of each symbolic call.

    Returns
    -------
    list of Step

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.derive import stability_derivation
    >>> [s.verified for s in stability_derivation(entrenchment(), {"x": 1}, "theta > 2")][-1]
    False
    """
    from incentive_geometry.solvers import symbolic as ig

    steps: list[Step] = []
    prediction = _condition(model, prediction)
    try:
        eq = find_equilibrium(model, target, timeout=timeout)
    except IncentiveGeometryError as err:
        return [Step("find the equilibrium symbolically", f"{type(err).__name__}: {err}", False)]
    if eq is None:
        return [
            Step(
                f"find the equilibrium {dict(target)} symbolically",
                "not among the equilibria found",
                False,
            )
        ]
    point = eq.point
    text = ", ".join(f"{s} = {to_text(v)}" for s, v in point.items())
    residual = [
        sympy.simplify(f.xreplace(point) - (s.xreplace(point) if model.time == "discrete" else 0))
        for s, f in zip(model.states, model.rhs, strict=True)
    ]
    steps.append(
        Step(
            "the point is an equilibrium",
            f"substituting {text} into the right-hand side gives {residual}",
            all(r == 0 for r in residual),
        )
    )
    exist_ok, exist_total = _existence_checks(model, eq)
    steps.append(
        Step(
            "it exists (is real and in the state domain) when",
            f"{_show(eq.exists)}; matches a direct check of the point at {exist_ok} of {exist_total} "
            "rational parameter points",
            exist_ok == exist_total,
        )
    )
    st = ig.stability(model, eq, timeout=timeout)
    J = sympy.Matrix(model.rhs).jacobian(list(model.states)).xreplace(point)
    same_jacobian = sympy.simplify(sympy.Matrix(st.jacobian) - J) == sympy.zeros(*J.shape)
    eigen = getattr(st, "eigenvalues", None)
    steps.append(
        Step(
            "Jacobian at the equilibrium",
            f"J = {sympy.sstr(sympy.Matrix(st.jacobian).tolist())}"
            + (f"; eigenvalues {sympy.sstr(eigen)}" if eigen is not None else ""),
            bool(same_jacobian),
        )
    )
    criterion = "Routh-Hurwitz" if model.time == "continuous" else "Schur-Cohn (Jury)"
    eig_ok, eig_total = _eigenvalue_checks(model, eq, J, st.condition)
    steps.append(
        Step(
            f"stability condition ({criterion}, simplified under the domains)",
            f"{_show(st.condition)}; agrees with numerical eigenvalues at {eig_ok} of {eig_total} "
            "rational parameter points",
            eig_ok == eig_total and eig_total > 0,
        )
    )
    steps.append(
        _certified_step(
            model, "the engine's condition matches the prediction", st.condition, prediction
        )
    )
    return steps


def _stability_of(
    model: Model, target: Mapping[str, Any], timeout: float | None
) -> tuple[Any, Any]:
    from incentive_geometry.solvers import symbolic as ig

    eq = find_equilibrium(model, target, timeout=timeout)
    if eq is None:
        raise LookupError(f"the symbolic engine has no equilibrium at {dict(target)}")
    return eq, ig.stability(model, eq, timeout=timeout).condition


def _guard(steps: Callable[[], list[Step]], what: str) -> list[Step]:
    try:
        return steps()
    except (IncentiveGeometryError, LookupError) as err:
        return [Step(what, f"{type(err).__name__}: {err}", False)]


def window_derivation(
    model: Model,
    targets: Sequence[Mapping[str, Any]],
    prediction: str | Any,
    *,
    timeout: float | None = 60.0,
) -> list[Step]:
    """Steps for "all of these equilibria are stable together exactly when `prediction`".

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.derive import window_derivation
    >>> steps = window_derivation(entrenchment(), [{"x": 0}, {"x": 1}],
    ...     "alpha*(1 - theta)*b < theta*c and theta*c < alpha*(1 - theta)*(b + gamma)")
    >>> [s.verified for s in steps]
    [True, True, True]
    """
    prediction = _condition(model, prediction)

    def run() -> list[Step]:
        steps, parts = [], []
        for target in targets:
            eq, cond = _stability_of(model, target, timeout)
            parts.append(cond)
            steps.append(
                _engine_step(
                    model,
                    eq,
                    cond,
                    f"stability of the equilibrium {dict(target)} (symbolic engine)",
                )
            )
        both = sympy.And(*parts)
        steps.append(
            _certified_step(model, "their conjunction matches the prediction", both, prediction)
        )
        return steps

    return _guard(run, "derive the window symbolically")


def interior_derivation(
    model: Model, window: str | Any, *, timeout: float | None = 60.0
) -> list[Step]:
    """Steps for "an interior equilibrium exists exactly in `window`, and is then unstable".

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.derive import interior_derivation
    >>> steps = interior_derivation(entrenchment(),
    ...     "alpha*(1 - theta)*b < theta*c and theta*c < alpha*(1 - theta)*(b + gamma)")
    >>> [s.certificate.split(" ")[0] for s in steps]
    ['', 'disproved', 'proved']

    The existence condition is closed (``x*`` may equal 0 or 1) and the window open, so the
    two differ on the window's edges; the certificate's witness is such a point.
    """
    from incentive_geometry.solvers import symbolic as ig

    window = _condition(model, window)

    def run() -> list[Step]:
        steps = []
        inner = [
            eq
            for eq in ig.equilibria(model, timeout=timeout)
            if not all(v.is_number for v in eq.point.values())
        ]
        if len(inner) != 1:
            raise LookupError(
                f"expected one equilibrium depending on the parameters, found {len(inner)}"
            )
        eq = inner[0]
        text = ", ".join(f"{s} = {to_text(v)}" for s, v in eq.point.items())
        residual = [sympy.simplify(f.xreplace(eq.point)) for f in model.rhs]
        steps.append(
            Step(
                "the interior point is an equilibrium",
                f"substituting {text} gives {residual}",
                all(r == 0 for r in residual),
            )
        )
        steps.append(
            _certified_step(
                model, "it lies inside the state domain exactly in the window", eq.exists, window
            )
        )
        cond = ig.stability(model, eq, timeout=timeout).condition
        steps.append(
            _certified_step(
                model,
                f"where it exists it is unstable (stable iff {_show(cond)})",
                sympy.And(eq.exists, cond),
                sympy.false,
            )
        )
        return steps

    return _guard(run, "derive the interior equilibrium symbolically")


def threshold_derivation(
    model: Model,
    target: Mapping[str, Any],
    param: str,
    prediction: str | Any,
    *,
    timeout: float | None = 60.0,
) -> list[Step]:
    """Steps for "the equilibrium at `target` changes stability at `param` = prediction".

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.proofs.derive import threshold_derivation
    >>> steps = threshold_derivation(entrenchment(), {"x": 1}, "theta",
    ...     "alpha*(b + gamma)/(alpha*(b + gamma) + c)")
    >>> steps[-1].verified
    True
    """
    from incentive_geometry.solvers import symbolic as ig

    value = _value(model, prediction)

    def run() -> list[Step]:
        eq, cond = _stability_of(model, target, timeout)
        th = ig.threshold(model, eq, param, timeout=timeout)
        sols = [sol.value for sol in th.solutions]
        steps = [
            _engine_step(
                model, eq, cond, f"stability of the equilibrium {dict(target)} (symbolic engine)"
            ),
            Step(
                f"its boundary solved for {param} (ig.threshold)",
                ", ".join(to_text(v) for v in sols) or "none",
                bool(sols),
            ),
        ]
        match = [v for v in sols if sympy.simplify(v - value) == 0]
        steps.append(
            Step(
                "one solution is the predicted threshold",
                f"{param} = {to_text(match[0]) if match else '?'}  vs  {to_text(value)}",
                bool(match),
            )
        )
        # Exactly: the equilibrium is stable on one side of the threshold and unstable on the
        # other, over the whole parameter domain (the threshold is the only crossing).
        p = model.symbol(param)
        below = certify(model, cond, p < value)
        above = below if below.proved else certify(model, cond, p > value)
        cert = below if below.proved else above
        side = "below" if below.proved else ("above" if above.proved else "?")
        steps.append(
            Step(
                f"stable exactly on one side of the threshold ({side} it)",
                f"{_show(cond)}  vs  {param} {'<' if side == 'below' else '>'} {to_text(value)}: "
                f"{cert.summary()}; {cert.detail}",
                cert.proved,
                cert.summary(),
            )
        )
        return steps

    return _guard(run, f"derive the {param} threshold symbolically")


def equilibrium_value_derivation(
    model: Model, state: str, prediction: str | Any, *, timeout: float | None = 60.0
) -> list[Step]:
    """Steps for "at the stable equilibrium, `state` equals `prediction`".

    Examples
    --------
    >>> from incentive_geometry.theory import holmstrom_milgrom
    >>> from incentive_geometry.proofs.derive import equilibrium_value_derivation
    >>> steps = equilibrium_value_derivation(holmstrom_milgrom(), "beta", "1/(1 + r*c*sigma2)")
    >>> steps[0].verified
    True
    """
    from incentive_geometry.solvers import symbolic as ig

    value = _value(model, prediction)
    sym = model.symbol(state)

    def run() -> list[Step]:
        for eq in ig.equilibria(model, timeout=timeout):
            if sympy.simplify(eq.point[sym] - value) == 0:
                text = ", ".join(f"{s} = {to_text(v)}" for s, v in eq.point.items())
                residual = [sympy.simplify(f.xreplace(eq.point)) for f in model.rhs]
                cond = ig.stability(model, eq, timeout=timeout).condition
                return [
                    Step(
                        f"an equilibrium has {state} = {to_text(value)}",
                        f"{text}; residual {residual}",
                        all(r == 0 for r in residual),
                    ),
                    _engine_step(model, eq, cond, "its stability condition (symbolic engine)"),
                ]
        raise LookupError(f"no equilibrium of the symbolic engine has {state} = {to_text(value)}")

    return _guard(run, "derive the equilibrium value symbolically")
