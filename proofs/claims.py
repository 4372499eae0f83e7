"""Claims: an analytic statement, its derivation, and a numerical observation that decides it.

A :class:`Claim` pairs a **prediction** (a condition on parameters, or an expression for a value,
or a probability) with an **observation**: a numerical procedure that decides the same thing
without the formula (eigenvalues of numerically found equilibria, where a simulation ends, a
Monte Carlo frequency, a numerically optimized value). :func:`incentive_geometry.check` samples
the claim's **domain** and compares the two at every sample.

Examples
--------
>>> import incentive_geometry as ig
>>> c = ig.Claim(
...     name="square is positive",
...     statement="a**2 > 0 whenever a != 0",
...     prediction="a**2 > 0",
...     observe=lambda p: p["a"] ** 2 > 0,
...     domain={"a": (-1.0, 1.0)},
... )
>>> c.kind
'condition'
>>> c.predict({"a": 0.5})
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.language import check_expression, parse_condition, parse_expression, to_text
from incentive_geometry.model import Model

__all__ = ["Claim", "Observation", "Step"]

_KINDS = ("condition", "value", "probability", "mean")


@dataclass(frozen=True)
class Step:
    """One verified step of a derivation.

    Attributes
    ----------
    description : str
        What the step establishes, in words.
    detail : str
        The formula or the computation behind it.
    verified : bool
        Whether the toolkit checked it by a check that could have failed (e.g. the residual
        simplified to zero, an SMT certificate of equivalence).
    certificate : str
        For a comparison of conditions: ``"proved"``, ``"disproved"`` (with the witness) or
        ``"spot-checked (N points)"`` (see
        :func:`incentive_geometry.solvers.symbolic.certificates.equivalence`); empty otherwise.

    Examples
    --------
    >>> from incentive_geometry.proofs.claims import Step
    >>> Step("f(x*) = 0", "x*(1 - x*)G(x*) simplifies to 0", True).verified
    True
    """

    description: str
    detail: str = ""
    verified: bool = False
    certificate: str = ""


@dataclass(frozen=True)
class Observation:
    """What an observation found at one parameter point, with the evidence.

    Attributes
    ----------
    value : bool, float or tuple of (int, int)
        A truth value (condition claims), a number (value claims), or ``(successes, trials)``
        (probability claims).
    evidence : str
        What was seen (e.g. the eigenvalues, the end state of a simulation).

    Examples
    --------
    >>> from incentive_geometry.proofs.claims import Observation
    >>> Observation(True, "eigenvalue -0.4").value
    True
    """

    value: Any
    evidence: str = ""


def _symbols_for(
    model: Model | None, domain: Mapping[str, Any], fixed: Mapping[str, Any]
) -> dict[str, Any]:
    names: dict[str, Any] = {}
    if model is not None:
        names.update((p.name, p.symbol) for p in model.parameters)
    for key in (*domain, *fixed):
        names.setdefault(key, sympy.Symbol(key, real=True))
    return names


@dataclass(frozen=True)
class Claim:
    """An analytic claim about a model, checkable against a numerical observation.

    Parameters
    ----------
    name : str
        Short identifier (used by ``incgeo verify --only``).
    statement : str
        The claim in words.
    prediction : str or sympy expression
        A condition on parameters (``kind="condition"``), an expression for a value
        (``kind="value"``) or for a probability (``kind="probability"``). Text is read by the
        safe parser against the model's parameters and the domain's names.
    observe : callable
        ``observe(params) -> bool | float | (successes, trials) | samples | Observation``;
        `params` is a dict of every parameter value at the sample point. It must not use the
        prediction.
    domain : mapping of str to (lo, hi)
        The box sampled: parameters of the model, and other sampled quantities such as an
        initial state (under a name that is not a state, e.g. ``x0``). Empty: the claim is about
        one point (the fixed values), checked once.
    model : Model, optional
        The model the claim is about.
    kind : {"condition", "value", "probability", "mean"}, optional
        Inferred from the prediction when omitted (a relation is a condition, an expression a
        value). A probability claim observes ``(successes, trials)``; a mean claim observes an
        array of Monte Carlo samples whose mean the prediction gives.
    fixed : mapping of str to float
        Values of parameters that are not sampled (default: the model's defaults).
    constraints : sequence of str
        Conditions on parameters that restrict the domain (samples violating them are redrawn).
    derivation : callable, optional
        ``derivation() -> list of Step``: the symbolic steps behind the prediction, each verified.
    tolerance : float
        Relative tolerance of value claims.
    level : float
        Significance level of probability claims (a two-sided exact binomial test per point) and
        of mean claims (a one-sample t-test per point), Bonferroni-corrected over the points.
    boundary_tol : float
        Points closer than this (relative) to the prediction's boundary are excluded.
    references : sequence of str
        Where the claim comes from.
    atol : float
        Absolute floor of value claims: an observation agrees when
        ``|observed - predicted| <= tolerance * |predicted| + atol`` (so a true value 0 is not
        refuted by round-off).
    observer : str
        What kind of observation decides the claim (e.g. ``"simulation of perturbed starts"``,
        ``"Jacobian eigenvalues"``), shown in reports.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> c = ig.Claim(name="double", statement="twice a", prediction="2*a",
    ...              observe=lambda p: p["a"] + p["a"], domain={"a": (0.0, 1.0)})
    >>> c.kind, c.predict({"a": 0.25})
    ('value', 0.5)
    """

    name: str
    statement: str
    prediction: Any
    observe: Callable[[dict[str, float]], Any]
    domain: Mapping[str, tuple[float, float]]
    model: Model | None = None
    kind: str | None = None
    fixed: Mapping[str, float] = field(default_factory=dict)
    constraints: Sequence[Any] = ()
    derivation: Callable[[], list[Step]] | None = None
    tolerance: float = 1e-6
    level: float = 0.01
    boundary_tol: float = 1e-6
    references: Sequence[str] = ()
    atol: float = 1e-12
    observer: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ModelError(f"claim `name` must be non-empty text, got {self.name!r:.60}")
        if not callable(self.observe):
            raise ModelError(
                f"claim `{self.name}`: `observe` must be callable, got {self.observe!r:.60}"
            )
        if not isinstance(self.domain, Mapping):
            raise ModelError(f"claim `{self.name}`: `domain` must map parameter names to (lo, hi)")
        for key, bounds in self.domain.items():
            try:
                lo, hi = (float(v) for v in bounds)
            except (TypeError, ValueError):
                raise ModelError(
                    f"claim `{self.name}`: domain of `{key}` must be (lo, hi), got {bounds!r:.60}"
                ) from None
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ModelError(
                    f"claim `{self.name}`: domain of `{key}` needs finite lo < hi, got ({lo}, {hi})"
                )
            if self.model is not None and key in self.model.state_names:
                raise ModelError(
                    f"claim `{self.name}`: domain name `{key}` is a state of `{self.model.name}`; "
                    "sample initial states under another name (e.g. `x0`)"
                )
        names = _symbols_for(self.model, self.domain, self.fixed)
        where = f"claim `{self.name}`: prediction"
        pred = self.prediction
        if isinstance(pred, str):
            try:
                pred = parse_condition(pred, names, where=where)
            except ModelError as cond_err:
                try:
                    pred = parse_expression(self.prediction, names, where=where)
                except ModelError:
                    raise cond_err from None
        elif isinstance(pred, sympy.Expr | int | float):
            pred = check_expression(pred, names, where=where)
        elif not isinstance(pred, sympy.logic.boolalg.Boolean):
            raise ModelError(f"{where} must be text or a sympy expression, got {pred!r:.60}")
        object.__setattr__(self, "prediction", pred)
        kind = self.kind
        if kind is None:
            kind = "value" if isinstance(pred, sympy.Expr) else "condition"
        if kind not in _KINDS:
            raise ModelError(
                f"claim `{self.name}`: `kind` must be one of {', '.join(_KINDS)}, got {kind!r}"
            )
        if kind == "condition" and isinstance(pred, sympy.Expr):
            raise ModelError(f"{where}: a condition claim needs a condition (a comparison)")
        if kind != "condition" and not isinstance(pred, sympy.Expr):
            raise ModelError(f"{where}: a {kind} claim needs an expression, not a condition")
        object.__setattr__(self, "kind", kind)
        free = {s.name for s in pred.free_symbols}
        missing = free - set(self.domain) - set(self.fixed) - set(self._defaults())
        if missing:
            raise ModelError(
                f"{where} uses {', '.join(sorted(missing))}, which the domain does not sample and "
                "that have no fixed value; add them to `domain` or `fixed`"
            )
        cons = tuple(
            parse_condition(c, names, where=f"claim `{self.name}`: constraint {i + 1}")
            if isinstance(c, str)
            else c
            for i, c in enumerate(self.constraints)
        )
        object.__setattr__(self, "constraints", cons)
        for attr in ("tolerance", "level", "boundary_tol"):
            value = getattr(self, attr)
            if not (isinstance(value, int | float) and 0 < value < 1):
                raise ModelError(f"claim `{self.name}`: `{attr}` must be in (0, 1), got {value!r}")
        if not (
            isinstance(self.atol, int | float)
            and not isinstance(self.atol, bool)
            and 0 <= self.atol < float("inf")
        ):
            raise ModelError(
                f"claim `{self.name}`: `atol` must be a finite number >= 0, got {self.atol!r}; "
                "e.g. atol=1e-12"
            )

    # -- evaluation --------------------------------------------------------------------------
    def _defaults(self) -> dict[str, float]:
        if self.model is None:
            return {}
        return {p.name: float(p.default) for p in self.model.parameters if p.default is not None}

    def point(self, sampled: Mapping[str, float]) -> dict[str, float]:
        """All parameter values at a sample: defaults, then `fixed`, then the sampled values.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> c = ig.Claim(name="c", statement="", prediction="a > 0", observe=lambda p: True,
        ...              domain={"a": (0.0, 1.0)}, fixed={"b": 2.0})
        >>> c.point({"a": 0.5})
        {'b': 2.0, 'a': 0.5}
        """
        values = self._defaults()
        values.update({k: float(v) for k, v in self.fixed.items()})
        values.update({k: float(v) for k, v in sampled.items()})
        return values

    @functools.cached_property
    def _compiled(self) -> tuple[list[str], Any, list[tuple[Any, Any]]]:
        """The prediction and the sides of its comparisons, lambdified once (not pickled)."""
        symbols = sorted(self.prediction.free_symbols, key=lambda s: s.name)
        pred = sympy.lambdify(symbols, self.prediction, modules="numpy")
        sides = (
            [
                (
                    sympy.lambdify(symbols, rel.lhs, modules="numpy"),
                    sympy.lambdify(symbols, rel.rhs, modules="numpy"),
                )
                for rel in self.prediction.atoms(sympy.core.relational.Relational)
            ]
            if self.kind == "condition"
            else []
        )
        return [s.name for s in symbols], pred, sides

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_compiled", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def predict(self, values: Mapping[str, float]) -> Any:
        """The prediction at a parameter point: a bool, or a float.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> c = ig.Claim(name="c", statement="", prediction="a < 1/2", observe=lambda p: True,
        ...              domain={"a": (0.0, 1.0)})
        >>> c.predict({"a": 0.25}), c.predict({"a": 0.75})
        (True, False)
        """
        names, pred, _ = self._compiled
        full = self.point(values)
        with np.errstate(all="ignore"):
            value = pred(*(full[n] for n in names))
        if self.kind == "condition":
            return bool(value)
        return float(value)

    def margin(self, values: Mapping[str, float]) -> float:
        """Relative distance of a point to the prediction's boundary (inf for value claims).

        For a condition, the smallest ``|lhs - rhs| / (1 + |lhs| + |rhs|)`` over its comparisons.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> c = ig.Claim(name="c", statement="", prediction="a < 1/2", observe=lambda p: True,
        ...              domain={"a": (0.0, 1.0)})
        >>> round(c.margin({"a": 0.5}), 12)
        0.0
        """
        if self.kind != "condition":
            return float("inf")
        names, _, sides = self._compiled
        full = self.point(values)
        args = [full[n] for n in names]
        best = float("inf")
        with np.errstate(all="ignore"):
            for lhs_fn, rhs_fn in sides:
                lhs, rhs = float(lhs_fn(*args)), float(rhs_fn(*args))
                best = min(best, abs(lhs - rhs) / (1.0 + abs(lhs) + abs(rhs)))
        return best

    def admissible(self, values: Mapping[str, float]) -> bool:
        """Whether a point satisfies the claim's constraints.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> c = ig.Claim(name="c", statement="", prediction="a < b", observe=lambda p: True,
        ...              domain={"a": (0.0, 1.0), "b": (0.0, 1.0)}, constraints=["a != b"])
        >>> c.admissible({"a": 0.2, "b": 0.2})
        False
        """
        if not self.constraints:
            return True
        full = self.point(values)
        for cond in self.constraints:
            subs = {s: sympy.Float(full[s.name], 30) for s in cond.free_symbols if s.name in full}
            if not bool(cond.xreplace(subs)):
                return False
        return True

    def prediction_text(self) -> str:
        """The prediction as model-language text.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> ig.Claim(name="c", statement="", prediction="a < 1/2", observe=lambda p: True,
        ...          domain={"a": (0.0, 1.0)}).prediction_text()
        'a < 1/2'
        """
        return to_text(self.prediction)
