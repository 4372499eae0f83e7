"""The Model core: states, parameters and right-hand sides of a dynamical system.

A :class:`Model` is immutable. Its right-hand sides are sympy expressions, built from model text
only by the safe parser (:mod:`incentive_geometry.language`). ``time="continuous"`` means
``dx/dt = f(x)``; ``time="discrete"`` means ``x_{t+1} = f(x_t)``.

Examples
--------
>>> import incentive_geometry as ig
>>> m = ig.Model.from_equations(
...     {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
...     parameters={"a": 1.0, "b": 2.5},
...     name="brusselator",
... )
>>> m
<Model 'brusselator': continuous, states (x, y), parameters (a=1.0, b=2.5)>
>>> print(m)
brusselator (continuous time)
  dx/dt = a + x**2*y - x*(b + 1)
  dy/dt = b*x - x**2*y
parameters:
  a = 1.0  real
  b = 2.5  real
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import sympy

from .errors import ModelError, ModelKindError
from .language import (
    DEFAULT_LIMITS,
    ParserLimits,
    check_expression,
    exact_number,
    parse_condition,
    parse_expression,
    show_value,
    to_latex,
    to_model_text,
    to_text,
    validate_name,
)

__all__ = ["Domain", "Model", "Parameter", "TimeKind"]

TimeKind = Literal["continuous", "discrete"]
_TIMES: tuple[str, ...] = ("continuous", "discrete")
_DOMAIN_KINDS: tuple[str, ...] = ("real", "positive", "nonnegative", "interval")


# --------------------------------------------------------------------------------------------
# Domains and parameters


@dataclass(frozen=True)
class Domain:
    """Where a parameter or state lives: ``real``, ``positive``, ``nonnegative`` or ``[lo, hi]``.

    The domain becomes sympy assumptions on the symbol (``positive=True``, ...), so symbolic
    simplification knows, e.g., that ``c > 0``.

    Parameters
    ----------
    kind : {"real", "positive", "nonnegative", "interval"}
        The kind of domain.
    lo, hi : sympy.Rational, optional
        Closed bounds, for ``kind="interval"`` only.

    Examples
    --------
    >>> from incentive_geometry import Domain
    >>> d = Domain.parse([0, 1], what="domain of `theta`")
    >>> d
    Domain(kind='interval', lo=0, hi=1)
    >>> d.contains(0.3), d.contains(1.5)
    (True, False)
    >>> d.assumptions()
    {'real': True, 'nonnegative': True}
    """

    kind: str = "real"
    lo: sympy.Rational | None = None
    hi: sympy.Rational | None = None

    def __post_init__(self) -> None:
        if self.kind not in _DOMAIN_KINDS:
            raise ModelError(f"domain kind {self.kind!r} is not one of {', '.join(_DOMAIN_KINDS)}")
        if self.kind == "interval":
            if self.lo is None or self.hi is None or not self.lo < self.hi:
                raise ModelError(f"interval domain needs lo < hi, got [{self.lo}, {self.hi}]")
        elif self.lo is not None or self.hi is not None:
            raise ModelError(f"domain {self.kind!r} takes no bounds; use [lo, hi] for an interval")

    @classmethod
    def parse(cls, spec: object, *, what: str = "domain") -> Domain:
        """Read a domain from ``"real"``, ``"positive"``, ``"nonnegative"`` or ``[lo, hi]``.

        Parameters
        ----------
        spec : str, sequence of two numbers, or Domain
            The domain.
        what : str
            What the domain belongs to, for messages.

        Returns
        -------
        Domain

        Raises
        ------
        ModelError
            When the spec is none of the above.

        Examples
        --------
        >>> from incentive_geometry import Domain
        >>> Domain.parse("positive").kind
        'positive'
        >>> Domain.parse("between 0 and 1", what="domain of `theta`")
        Traceback (most recent call last):
        ...
        incentive_geometry.errors.ModelError: domain of `theta`: 'between 0 and 1' is not a domain; use "real", "positive", "nonnegative" or [lo, hi]
        """
        if isinstance(spec, Domain):
            return spec
        if isinstance(spec, str) and spec in ("real", "positive", "nonnegative"):
            return cls(spec)
        if isinstance(spec, list | tuple) and len(spec) == 2:
            lo = exact_number(spec[0], what=f"{what}: lower bound")
            hi = exact_number(spec[1], what=f"{what}: upper bound")
            if not lo < hi:
                raise ModelError(f"{what}: interval [{spec[0]}, {spec[1]}] needs lo < hi")
            return cls("interval", lo, hi)
        raise ModelError(
            f'{what}: {spec!r:.60} is not a domain; use "real", "positive", "nonnegative" '
            "or [lo, hi]"
        )

    def assumptions(self) -> dict[str, bool]:
        """The sympy assumptions that this domain implies.

        Returns
        -------
        dict of str to bool

        Examples
        --------
        >>> from incentive_geometry import Domain
        >>> Domain("positive").assumptions()
        {'real': True, 'positive': True}
        """
        out = {"real": True}
        if self.kind == "positive" or (
            self.kind == "interval" and self.lo is not None and self.lo > 0
        ):
            out["positive"] = True
        elif self.kind == "nonnegative" or (self.kind == "interval" and self.lo == 0):
            out["nonnegative"] = True
        return out

    def contains(self, value: float) -> bool:
        """Whether a finite number lies in the domain.

        Parameters
        ----------
        value : float

        Returns
        -------
        bool

        Examples
        --------
        >>> from incentive_geometry import Domain
        >>> Domain("nonnegative").contains(0.0)
        True
        """
        if not math.isfinite(value):
            return False
        if self.kind == "positive":
            return value > 0
        if self.kind == "nonnegative":
            return value >= 0
        if self.kind == "interval":
            return float(self.lo) <= value <= float(self.hi)  # type: ignore[arg-type]
        return True

    def condition(self, symbol: sympy.Symbol) -> Any:
        """The domain as a sympy Boolean in `symbol`.

        Parameters
        ----------
        symbol : sympy.Symbol

        Returns
        -------
        sympy Boolean

        Examples
        --------
        >>> import sympy
        >>> from incentive_geometry import Domain
        >>> x = sympy.Symbol("x", real=True)
        >>> Domain.parse([0, 1]).condition(x)
        (x >= 0) & (x <= 1)
        """
        if self.kind == "positive":
            return sympy.Gt(symbol, 0)
        if self.kind == "nonnegative":
            return sympy.Ge(symbol, 0)
        if self.kind == "interval":
            return sympy.And(sympy.Ge(symbol, self.lo), sympy.Le(symbol, self.hi))
        return sympy.true

    def to_spec(self) -> str | list[int | float]:
        """The domain as it is written in a model file.

        Returns
        -------
        str or list

        Examples
        --------
        >>> from incentive_geometry import Domain
        >>> Domain.parse([0, 0.5]).to_spec()
        [0, 0.5]
        """
        if self.kind != "interval":
            return self.kind
        return [_plain_number(self.lo), _plain_number(self.hi)]


def _is_number(value: object) -> bool:
    """A real number (numpy scalars and sympy numbers included), not a bool."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return False
    return isinstance(value, numbers.Real | sympy.Rational | sympy.Float)


def _plain_number(value: sympy.Rational) -> int | float:
    return int(value) if value.q == 1 else float(value)


@dataclass(frozen=True, init=False)
class Parameter:
    """A model parameter: name, default value, domain and a one-line meaning.

    Parameters
    ----------
    name : str
        The name used in equations.
    default : float, optional
        Default value for numerical work; must be finite and inside the domain.
    domain : Domain or spec
        ``"real"`` (default), ``"positive"``, ``"nonnegative"`` or ``[lo, hi]``.
    meaning : str
        One line saying what the parameter means.

    Examples
    --------
    >>> from incentive_geometry import Parameter
    >>> p = Parameter("theta", 0.3, [0, 1], "observability of true outcomes")
    >>> p.symbol, p.symbol.is_nonnegative
    (theta, True)
    >>> Parameter("c", float("inf"), "positive")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: default of parameter `c` must be a finite number, got inf (float)
    """

    name: str
    default: float | None
    domain: Domain
    meaning: str

    def __init__(
        self,
        name: str,
        default: float | None = None,
        domain: Domain | str | Sequence[float] = "real",
        meaning: str = "",
    ) -> None:
        # A hand-written __init__ so that `domain` accepts a spec ("positive", [0, 1]) while the
        # attribute is always a Domain.
        object.__setattr__(self, "name", validate_name(name, what="parameter"))
        object.__setattr__(self, "default", default)
        object.__setattr__(
            self, "domain", Domain.parse(domain, what=f"domain of parameter `{name}`")
        )
        object.__setattr__(self, "meaning", meaning)
        self._validate()

    def _validate(self) -> None:
        if self.default is not None:
            value = self.check_value(self.default, what=f"default of parameter `{self.name}`")
            object.__setattr__(self, "default", value)
        if not isinstance(self.meaning, str) or "\n" in self.meaning:
            raise ModelError(
                f"meaning of parameter `{self.name}` must be one line of text, "
                f"got {self.meaning!r:.60}"
            )

    def check_value(self, value: object, *, what: str | None = None) -> float:
        """A value of this parameter as a float: a finite real number inside the domain.

        Every entry point that takes parameter values (defaults, ``with_parameters``, the
        solvers' ``params``) can call this, so that each refuses the same values with the same
        message: booleans, text, NaN, infinities, numbers beyond the float range (``10**400``)
        and values outside the domain.

        Parameters
        ----------
        value : int, float, numpy scalar or sympy number
            The value.
        what : str, optional
            What the value is, for messages (default: "value of parameter `name`").

        Returns
        -------
        float

        Raises
        ------
        ModelError
            Naming the parameter, showing the value and saying how to fix it.

        Examples
        --------
        >>> from incentive_geometry import Parameter
        >>> p = Parameter("k", 1.0, "positive")
        >>> p.check_value(2)
        2.0
        >>> p.check_value(10**400)
        Traceback (most recent call last):
        ...
        incentive_geometry.errors.ModelError: value of parameter `k` is an integer of 401 digits, beyond the float range (|value| <= 1.8e308); use a value a float can hold, or rescale the model
        """
        what = what or f"value of parameter `{self.name}`"
        exact = exact_number(value, what=what)
        try:
            number = float(exact)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ModelError(
                f"{what} is {show_value(value)}, beyond the float range (|value| <= 1.8e308); "
                "use a value a float can hold, or rescale the model"
            )
        if not self.domain.contains(number):
            raise ModelError(
                f"{what} is {show_value(number)}, outside its domain "
                f"{self.domain.to_spec()!r}; change the value or the domain"
            )
        return number

    @property
    def symbol(self) -> sympy.Symbol:
        """The sympy symbol, carrying the domain's assumptions."""
        return sympy.Symbol(self.name, **self.domain.assumptions())

    @classmethod
    def from_spec(cls, name: str, spec: object, *, where: str = "") -> Parameter:
        """Build a parameter from a number (its default), a dict, or a Parameter.

        Parameters
        ----------
        name : str
            The parameter's name.
        spec : float, dict or Parameter
            A default value, or ``{"default": ..., "domain": ..., "meaning": ...}``.
        where : str
            Where the spec comes from, for messages.

        Returns
        -------
        Parameter

        Raises
        ------
        ModelError
            On unknown keys or bad values.

        Examples
        --------
        >>> from incentive_geometry import Parameter
        >>> Parameter.from_spec("c", {"default": 1, "domain": "positive"}).domain.kind
        'positive'
        """
        prefix = f"{where}: " if where else ""
        if isinstance(spec, Parameter):
            if spec.name != name:
                raise ModelError(
                    f"{prefix}parameter `{name}` is given a Parameter named `{spec.name}`"
                )
            return spec
        if isinstance(spec, Mapping):
            unknown = set(spec) - {"default", "domain", "meaning"}
            if unknown:
                raise ModelError(
                    f"{prefix}parameter `{name}` has unknown key(s) "
                    f"{', '.join(sorted(map(str, unknown)))}; allowed: default, domain, meaning"
                )
            try:
                return cls(
                    name, spec.get("default"), spec.get("domain", "real"), spec.get("meaning", "")
                )
            except ModelError as err:
                raise ModelError(prefix + err.summary, context=err.context) from None
        if spec is None or _is_number(spec):
            try:
                # The default is checked (and converted) by the constructor, with the message
                # of every other entry point.
                return cls(name, spec)  # type: ignore[arg-type]
            except ModelError as err:
                raise ModelError(prefix + err.summary, context=err.context) from None
        if isinstance(spec, bool) or type(spec).__name__ == "bool_":
            raise ModelError(
                f"{prefix}parameter `{name}` is given the boolean {spec!r}; a default must be a "
                "number (write 1.0 or 0.0 if that is meant)"
            )
        raise ModelError(
            f"{prefix}parameter `{name}` must be given as a number (its default), a dict with "
            f"default/domain/meaning, or a Parameter; got {show_value(spec)} ({type(spec).__name__})"
        )

    def to_spec(self) -> dict[str, Any]:
        """The parameter as written in a model file (empty fields left out).

        Returns
        -------
        dict

        Examples
        --------
        >>> from incentive_geometry import Parameter
        >>> Parameter("c", 1.0, "positive", "true cost").to_spec()
        {'default': 1.0, 'domain': 'positive', 'meaning': 'true cost'}
        """
        out: dict[str, Any] = {}
        if self.default is not None:
            out["default"] = self.default
        out["domain"] = self.domain.to_spec()
        if self.meaning:
            out["meaning"] = self.meaning
        return out


# --------------------------------------------------------------------------------------------
# The model


def _state_symbol(name: str) -> sympy.Symbol:
    # States carry only `real`: their domain enters existence conditions, not solving.
    return sympy.Symbol(name, real=True)


@dataclass(frozen=True, repr=False)
class Model:
    """An immutable dynamical system: ordered states, parameters and right-hand sides.

    Build it with :meth:`from_equations` or :func:`incentive_geometry.load_model`; the
    constructor validates everything it is given.

    Parameters
    ----------
    states : tuple of sympy.Symbol
        State variables, in order.
    parameters : tuple of Parameter
        Parameters, in order.
    rhs : tuple of sympy.Expr
        ``f_i``: ``dx_i/dt = f_i`` (continuous) or ``x_i(t+1) = f_i`` (discrete).
    time : {"continuous", "discrete"}
        Kind of time.
    name : str
        A short name.
    observables : tuple of (str, sympy.Expr)
        Named quantities computed from states and parameters (e.g. an alignment measure).
    noise : tuple of sympy.Expr, optional
        Diagonal noise ``g_i``: ``dx_i = f_i dt + g_i dW_i`` with independent Wiener processes
        (continuous), or ``x_i(t+1) = f_i + g_i xi_i`` with independent standard normal ``xi_i``
        (discrete).
    simplex : bool
        States are shares that sum to one; the dynamics must keep them on the simplex.
    state_domains : tuple of Domain
        Domain of each state (``[0, 1]`` for shares); enters existence conditions.
    state_meanings : tuple of str
        One line per state.
    constraints : tuple of sympy Boolean
        Further conditions on states that define the admissible region (e.g. ``x1 + x2 <= 1``).
    description : str
        A paragraph about the model.
    references : tuple of str
        Where the model and its results come from.
    stochastic_step : callable, optional
        For stochastic processes that are not written as equations (urns, adoption processes):
        ``stochastic_step(x, params, rng) -> x_next`` with ``x`` a float array of the states,
        ``params`` a dict name -> float and ``rng`` a :class:`numpy.random.Generator` (seeded by
        the caller). The equations then give the mean dynamics. It takes no part in equality or
        hashing, and a model file cannot hold it (:meth:`to_toml` refuses such a model).
    claims : tuple of dict
        Claims about the model declared in its file (``[[claims]]`` tables), kept as written;
        ``incgeo check`` reads them (:mod:`incentive_geometry.proofs.user`). They take no part
        in equality or hashing, and :meth:`to_toml` writes them back.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3.2}, time="discrete")
    >>> m.iterate(2).rhs[0].subs(m.symbol("r"), 2).expand()
    -8*x**4 + 16*x**3 - 12*x**2 + 4*x
    """

    states: tuple[sympy.Symbol, ...]
    parameters: tuple[Parameter, ...]
    rhs: tuple[sympy.Expr, ...]
    time: str = "continuous"
    name: str = "model"
    observables: tuple[tuple[str, sympy.Expr], ...] = ()
    noise: tuple[sympy.Expr, ...] | None = None
    simplex: bool = False
    state_domains: tuple[Domain, ...] = ()
    state_meanings: tuple[str, ...] = ()
    constraints: tuple[Any, ...] = ()
    description: str = ""
    references: tuple[str, ...] = ()
    stochastic_step: Callable[..., Any] | None = field(default=None, compare=False)
    claims: tuple[Mapping[str, Any], ...] = field(default=(), compare=False, hash=False)

    # -- validation ------------------------------------------------------------------------
    def __post_init__(self) -> None:
        if self.time not in _TIMES:
            raise ModelError(f"`time` must be 'continuous' or 'discrete', got {self.time!r}")
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 100:
            raise ModelError(
                f"model `name` must be 1 to 100 characters of text, got {self.name!r:.60}"
            )
        if not self.states:
            raise ModelError(f"model `{self.name}` has no states; give at least one equation")
        n = len(self.states)
        for sym in self.states:
            if not isinstance(sym, sympy.Symbol):
                raise ModelError(
                    f"states must be sympy Symbols, got {sym!r} ({type(sym).__name__})"
                )
            validate_name(sym.name, what="state")
        for p in self.parameters:
            if not isinstance(p, Parameter):
                raise ModelError(f"parameters must be Parameter objects, got {p!r:.60}")
        seen: dict[str, str] = {}
        for kind, declared in (
            ("state", [s.name for s in self.states]),
            ("parameter", [p.name for p in self.parameters]),
            ("observable", [name for name, _ in self.observables]),
        ):
            for nm in declared:
                if kind == "observable":
                    validate_name(nm, what="observable")
                if nm in seen:
                    both = (
                        "twice"
                        if seen[nm] == kind
                        else f"both as {_article(seen[nm])} and as {_article(kind)}"
                    )
                    raise ModelError(
                        f"model `{self.name}`: the name `{nm}` is declared {both}; "
                        "every state, parameter and observable needs its own name"
                    )
                seen[nm] = kind
        if len(self.rhs) != n:
            raise ModelError(
                f"model `{self.name}`: {n} states but {len(self.rhs)} right-hand sides"
            )
        if self.noise is not None and len(self.noise) != n:
            raise ModelError(f"model `{self.name}`: {n} states but {len(self.noise)} noise terms")
        domains = self.state_domains or tuple(
            Domain("interval", sympy.Integer(0), sympy.Integer(1)) if self.simplex else Domain()
            for _ in self.states
        )
        object.__setattr__(self, "state_domains", domains)
        object.__setattr__(self, "state_meanings", self.state_meanings or ("",) * n)
        if len(self.state_domains) != n or len(self.state_meanings) != n:
            raise ModelError(
                f"model `{self.name}`: one domain and one meaning per state are needed"
            )
        if self.simplex and n < 2:
            raise ModelError(f"model `{self.name}`: a simplex needs at least two states")
        if not isinstance(self.description, str):
            raise ModelError(f"model `{self.name}`: `description` must be text")
        if isinstance(self.references, str) or not all(isinstance(r, str) for r in self.references):
            raise ModelError(f"model `{self.name}`: `references` must be a list of strings")
        names = self.symbols
        # Every expression goes through the same checks as parsed text.
        object.__setattr__(
            self,
            "rhs",
            tuple(
                check_expression(f, names, where=f"model `{self.name}`: equation for `{s}`")
                for s, f in zip(self.states, self.rhs, strict=True)
            ),
        )
        if self.noise is not None:
            object.__setattr__(
                self,
                "noise",
                tuple(
                    check_expression(g, names, where=f"model `{self.name}`: noise for `{s}`")
                    for s, g in zip(self.states, self.noise, strict=True)
                ),
            )
        object.__setattr__(
            self,
            "observables",
            tuple(
                (nm, check_expression(e, names, where=f"model `{self.name}`: observable `{nm}`"))
                for nm, e in self.observables
            ),
        )
        for c in self.constraints:
            if not isinstance(c, sympy.logic.boolalg.Boolean) or isinstance(c, sympy.Symbol):
                raise ModelError(f"model `{self.name}`: constraint {c!r} is not a condition")
        if self.stochastic_step is not None and not callable(self.stochastic_step):
            raise ModelError(
                f"model `{self.name}`: `stochastic_step` must be callable, got "
                f"{self.stochastic_step!r:.60}"
            )
        if isinstance(self.claims, Mapping) or not all(isinstance(c, Mapping) for c in self.claims):
            raise ModelError(
                f"model `{self.name}`: `claims` must be a list of tables (one [[claims]] each)"
            )
        for i, c in enumerate(self.claims):
            missing = [k for k in ("name", "prediction", "observe") if k not in c]
            if missing:
                raise ModelError(
                    f"model `{self.name}`: claim {i + 1} lacks {', '.join(missing)}; a claim needs "
                    "name, prediction, observe and domain"
                )
        object.__setattr__(self, "claims", tuple(dict(c) for c in self.claims))
        if self.simplex:
            self._check_simplex_invariance()

    def _check_simplex_invariance(self) -> None:
        """The dynamics must keep the simplex: sum f = 0 (flows) or sum f = 1 (maps) on it.

        Checked at random rational points of the simplex and random parameter values, which is
        cheap and does not depend on sympy proving an identity.
        """
        target = 0 if self.time == "continuous" else 1
        total = sum(self.rhs, sympy.Integer(0))
        rng = random.Random(12345)
        checked = 0
        for _ in range(12):
            weights = [rng.randint(1, 9) for _ in self.states]
            point: dict[Any, Any] = {
                s: sympy.Rational(w, sum(weights))
                for s, w in zip(self.states, weights, strict=True)
            }
            for p in self.parameters:
                point[p.symbol] = _sample_in(p, rng)
            value = total.xreplace(point).evalf(30)
            if not value.is_number or not value.is_finite:
                continue
            checked += 1
            if abs(complex(value) - target) > 1e-9:
                raise ModelError(
                    f"model `{self.name}` is declared on the simplex but its right-hand sides "
                    f"sum to {float(sympy.re(value)):.6g} (not {target}) at a point of the simplex; "
                    "fix the equations or drop `simplex`"
                )
            if checked >= 3:
                break

    # -- constructors ----------------------------------------------------------------------
    @classmethod
    def from_equations(
        cls,
        equations: Mapping[str, str | sympy.Expr | float],
        *,
        parameters: Mapping[str, Any] | Sequence[Parameter] | None = None,
        time: str = "continuous",
        name: str = "model",
        observables: Mapping[str, str | sympy.Expr] | None = None,
        noise: Mapping[str, str | sympy.Expr] | None = None,
        simplex: bool = False,
        states: Mapping[str, Mapping[str, Any]] | None = None,
        constraints: Iterable[str | Any] = (),
        description: str = "",
        references: Iterable[str] = (),
        claims: Iterable[Mapping[str, Any]] = (),
        limits: ParserLimits = DEFAULT_LIMITS,
    ) -> Model:
        """Build a model from right-hand sides given as text or sympy expressions.

        Parameters
        ----------
        equations : mapping of state name to text or sympy expression
            ``f_i`` for each state, in order: the right-hand side of ``dx_i/dt`` (continuous)
            or of ``x_i(t+1)`` (discrete).
        parameters : mapping or sequence of Parameter
            Each parameter as a default value, a dict ``{"default", "domain", "meaning"}``, or a
            :class:`Parameter`. Every free name must be a state or a parameter.
        time : {"continuous", "discrete"}
        name : str
        observables : mapping of name to text or expression, optional
        noise : mapping of state name to text or expression, optional
            Diagonal noise terms; states left out get none.
        simplex : bool
            States are shares summing to one.
        states : mapping of state name to dict, optional
            ``{"domain": ..., "meaning": ...}`` per state.
        constraints : iterable of text or sympy Booleans
            Conditions on states defining the admissible region.
        description : str
        references : iterable of str
        claims : iterable of dict
            Claims about the model, as in a model file's ``[[claims]]`` tables.
        limits : ParserLimits
            Size bounds of the expression text (see SECURITY.md); raise them here for a model
            that really needs more.

        Returns
        -------
        Model

        Raises
        ------
        ModelError
            For any invalid input; text errors carry line, column and a caret.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations(
        ...     {"x": "x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x) - theta*c)"},
        ...     parameters={"alpha": 1, "theta": {"default": 0.3, "domain": [0, 1]},
        ...                 "b": 0.2, "gamma": 1, "c": {"default": 1, "domain": "positive"}},
        ...     observables={"alignment": "1 - x"},
        ... )
        >>> m.state_names, m.parameter_names
        (('x',), ('alpha', 'theta', 'b', 'gamma', 'c'))
        >>> ig.Model.from_equations({"x": "a*y"}, parameters={"a": 1})
        Traceback (most recent call last):
        ...
        incentive_geometry.errors.ModelError: model `model`: equation for `x`, line 1, column 3: unknown name `y`; declared names: `a`, `x`. Declare it as a state or parameter, or fix the typo
          a*y
            ^
        """
        if not isinstance(equations, Mapping) or not equations:
            raise ModelError(
                f"`equations` must be a non-empty mapping of state name to right-hand side, got "
                f"{equations!r:.60}"
            )
        state_syms = tuple(_state_symbol(validate_name(s, what="state")) for s in equations)
        params = _parameters_from(parameters)
        state_specs = dict(states or {})
        unknown_states = set(state_specs) - set(equations)
        if unknown_states:
            raise ModelError(
                f"`states` describes {', '.join(sorted(unknown_states))}, which have no equation"
            )
        domains, meanings = [], []
        for s in equations:
            spec = state_specs.get(s, {})
            if not isinstance(spec, Mapping) or set(spec) - {"domain", "meaning"}:
                raise ModelError(
                    f"`states[{s!r}]` must be a dict with keys domain and/or meaning, got {spec!r:.60}"
                )
            default_domain: Any = [0, 1] if simplex else "real"
            domains.append(
                Domain.parse(spec.get("domain", default_domain), what=f"domain of state `{s}`")
            )
            meanings.append(spec.get("meaning", ""))
        names = _name_table(state_syms, params, name)

        def parse(value: object, where: str) -> sympy.Expr:
            if isinstance(value, str):
                return parse_expression(value, names, where=where, limits=limits)
            if isinstance(value, sympy.Basic):
                value = _rebind(value, names)
            return check_expression(value, names, where=where)

        rhs = tuple(parse(f, f"model `{name}`: equation for `{s}`") for s, f in equations.items())
        obs = tuple(
            (validate_name(k, what="observable"), parse(v, f"model `{name}`: observable `{k}`"))
            for k, v in (observables or {}).items()
        )
        noise_terms: tuple[sympy.Expr, ...] | None = None
        if noise:
            extra = set(noise) - set(equations)
            if extra:
                raise ModelError(
                    f"`noise` names {', '.join(f'`{e}`' for e in sorted(extra))}, which are not "
                    f"states of `{name}`; noise terms are keyed by state name"
                )
            noise_terms = tuple(
                parse(noise[s], f"model `{name}`: noise for `{s}`")
                if s in noise
                else sympy.Integer(0)
                for s in equations
            )
        if isinstance(constraints, str):
            constraints = [constraints]
        cons = tuple(
            parse_condition(c, names, where=f"model `{name}`: constraint `{i + 1}`", limits=limits)
            if isinstance(c, str)
            else _rebind(c, names)
            for i, c in enumerate(constraints)
        )
        return cls(
            states=state_syms,
            parameters=params,
            rhs=rhs,
            time=time,
            name=name,
            observables=obs,
            noise=noise_terms,
            simplex=bool(simplex),
            state_domains=tuple(domains),
            state_meanings=tuple(meanings),
            constraints=cons,
            description=description,
            references=tuple(references),
            claims=tuple(claims),
        )

    # -- accessors -------------------------------------------------------------------------
    @property
    def state_names(self) -> tuple[str, ...]:
        """Names of the states, in order."""
        return tuple(s.name for s in self.states)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the parameters, in order."""
        return tuple(p.name for p in self.parameters)

    @property
    def parameter_symbols(self) -> tuple[sympy.Symbol, ...]:
        """Symbols of the parameters, in order."""
        return tuple(p.symbol for p in self.parameters)

    @property
    def symbols(self) -> dict[str, sympy.Symbol]:
        """Every declared name (states, then parameters) and its symbol."""
        out = {s.name: s for s in self.states}
        out.update((p.name, p.symbol) for p in self.parameters)
        return out

    @property
    def defaults(self) -> dict[str, float | None]:
        """Default value of each parameter (None where there is none)."""
        return {p.name: p.default for p in self.parameters}

    @property
    def equations(self) -> dict[sympy.Symbol, sympy.Expr]:
        """The right-hand sides keyed by state symbol."""
        return dict(zip(self.states, self.rhs, strict=True))

    @property
    def observables_map(self) -> dict[str, sympy.Expr]:
        """The observables keyed by name."""
        return dict(self.observables)

    @property
    def is_stochastic(self) -> bool:
        """Whether the model has a non-zero noise term."""
        return self.noise is not None and any(g != 0 for g in self.noise)

    def symbol(self, name: str) -> sympy.Symbol:
        """The symbol of a state or parameter, by name.

        Parameters
        ----------
        name : str

        Returns
        -------
        sympy.Symbol

        Raises
        ------
        ModelError
            For an unknown name, with the closest declared names.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": {"domain": "positive"}})
        >>> m.symbol("k").is_positive
        True
        """
        table = self.symbols
        if name not in table:
            raise ModelError(_unknown(name, table, f"model `{self.name}`", "state or parameter"))
        return table[name]

    def parameter(self, name: str) -> Parameter:
        """A parameter, by name.

        Parameters
        ----------
        name : str

        Returns
        -------
        Parameter

        Raises
        ------
        ModelError
            For an unknown name.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> ig.Model.from_equations({"x": "-k*x"}, parameters={"k": 2}).parameter("k").default
        2.0
        """
        for p in self.parameters:
            if p.name == name:
                return p
        raise ModelError(
            _unknown(
                name, {p.name: p for p in self.parameters}, f"model `{self.name}`", "parameter"
            )
        )

    # -- transformations -------------------------------------------------------------------
    def with_parameters(self, **values: float) -> Model:
        """Fix some parameters at values: substitute them and drop them from the parameters.

        Values become exact rationals (``0.1`` -> ``1/10``) so symbolic results stay exact.

        Parameters
        ----------
        **values : float
            Parameter name = value; each value must be finite and inside the domain.

        Returns
        -------
        Model

        Raises
        ------
        ModelError
            For unknown names, non-finite values or values outside the domain.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "a - b*x"}, parameters={"a": 1, "b": 2})
        >>> m.with_parameters(b=0.5).rhs
        (a - x/2,)
        """
        mapping: dict[Any, Any] = {}
        for key, value in values.items():
            p = self.parameter(key)
            p.check_value(value)
            mapping[p.symbol] = exact_number(value, what=f"value of parameter `{key}`")
        return self._substituted(mapping, keep=[p for p in self.parameters if p.name not in values])

    def _substituted(self, mapping: Mapping[Any, Any], *, keep: Sequence[Parameter]) -> Model:
        def sub(e: Any) -> Any:
            return e.xreplace(mapping)

        return replace(
            self,
            parameters=tuple(keep),
            rhs=tuple(sub(f) for f in self.rhs),
            observables=tuple((k, sub(v)) for k, v in self.observables),
            noise=None if self.noise is None else tuple(sub(g) for g in self.noise),
            constraints=tuple(sub(c) for c in self.constraints),
        )

    def iterate(self, k: int) -> Model:
        """The k-th iterate ``f^k = f o ... o f`` of a discrete-time model.

        Fixed points of ``iterate(k)`` include the period-k points of the map. Noise terms are
        dropped (the composition of noisy maps is not a map of the same form).

        Parameters
        ----------
        k : int
            At least 1.

        Returns
        -------
        Model

        Raises
        ------
        ModelKindError
            For a continuous-time model.
        ModelError
            For ``k < 1``.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3}, time="discrete")
        >>> m.iterate(2).rhs[0]
        r**2*x*(1 - x)*(-r*x*(1 - x) + 1)
        """
        if self.time != "discrete":
            raise ModelKindError(
                f"`iterate` needs a discrete-time model, but model `{self.name}` has "
                "time='continuous'; use `discretize(step)` to get a map first"
            )
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ModelError(f"`k` must be an int >= 1, got {k!r} ({type(k).__name__})")
        if k == 1:
            return self
        current = self.rhs
        for _ in range(k - 1):
            # f^{j+1}(x) = f(f^j(x)): substitute the current iterate into f simultaneously.
            mapping = dict(zip(self.states, current, strict=True))
            current = tuple(f.xreplace(mapping) for f in self.rhs)
        return replace(self, rhs=current, noise=None, name=f"{self.name}^{k}")

    def discretize(self, step: float) -> Model:
        """The explicit Euler map ``x(t+1) = x + step * f(x)`` of a continuous-time model.

        Fixed points are those of the flow; stability agrees for small steps. Noise terms are
        scaled by ``sqrt(step)`` (Euler-Maruyama).

        Parameters
        ----------
        step : float
            Positive step size (a number or the name of a parameter).

        Returns
        -------
        Model
            A discrete-time model.

        Raises
        ------
        ModelKindError
            For a discrete-time model (it is already a map).

        References
        ----------
        .. [1] P. E. Kloeden and E. Platen, *Numerical Solution of Stochastic Differential
           Equations*, Springer, 1992, section 9.1 (Euler-Maruyama).

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "-x"}, parameters={})
        >>> m.discretize(0.1).rhs
        (9*x/10,)
        """
        if self.time != "continuous":
            raise ModelKindError(
                f"`discretize` needs a continuous-time model, but model `{self.name}` has "
                "time='discrete'; it is already a map"
            )
        if isinstance(step, str):
            h: Any = self.symbol(step)
        else:
            h = exact_number(step, what="`step`")
            if h <= 0:
                raise ModelError(f"`step` must be positive, got {step!r}")
        noise = None
        if self.noise is not None:
            noise = tuple(sympy.sqrt(h) * g for g in self.noise)
        return replace(
            self,
            rhs=tuple(s + h * f for s, f in zip(self.states, self.rhs, strict=True)),
            noise=noise,
            time="discrete",
            name=f"{self.name}_euler",
        )

    def reduce_simplex(self, eliminate: str | None = None) -> Model:
        """The model in n-1 coordinates: one share is replaced by one minus the others.

        Parameters
        ----------
        eliminate : str, optional
            The state to eliminate (default: the last one).

        Returns
        -------
        Model
            Not on the simplex any more: each remaining share lies in ``[0, 1]`` and the
            constraint ``sum <= 1`` is recorded in ``constraints``.

        Raises
        ------
        ModelError
            If the model is not on the simplex, or `eliminate` is not a state.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations(
        ...     {"x": "x*(x - (x**2 + y**2))", "y": "y*(y - (x**2 + y**2))"},
        ...     parameters={}, simplex=True)
        >>> r = m.reduce_simplex()
        >>> r.state_names, r.constraints
        (('x',), (x <= 1,))
        >>> r.rhs[0].expand()
        -2*x**3 + 3*x**2 - x
        """
        if not self.simplex:
            raise ModelError(
                f"`reduce_simplex` needs a model on the simplex; model `{self.name}` has "
                "simplex=False"
            )
        target = self.state_names[-1] if eliminate is None else eliminate
        if target not in self.state_names:
            raise ModelError(
                _unknown(target, dict.fromkeys(self.state_names), f"model `{self.name}`", "state")
            )
        idx = self.state_names.index(target)
        gone = self.states[idx]
        keep = [i for i in range(len(self.states)) if i != idx]
        others = [self.states[i] for i in keep]
        mapping = {gone: 1 - sum(others, sympy.Integer(0))}

        def sub(e: Any) -> Any:
            return e.xreplace(mapping)

        # The shares that remain satisfy x_i >= 0 (their domains) and sum(x_i) <= 1.
        simplex_face = sympy.Le(sum(others, sympy.Integer(0)), 1)
        return replace(
            self,
            states=tuple(others),
            rhs=tuple(sub(self.rhs[i]) for i in keep),
            noise=None if self.noise is None else tuple(sub(self.noise[i]) for i in keep),
            observables=tuple((k, sub(v)) for k, v in self.observables),
            simplex=False,
            state_domains=tuple(self.state_domains[i] for i in keep),
            state_meanings=tuple(self.state_meanings[i] for i in keep),
            constraints=(*(sub(c) for c in self.constraints), simplex_face),
        )

    # -- serialization ---------------------------------------------------------------------
    def to_dict(self, *, limits: ParserLimits = DEFAULT_LIMITS) -> dict[str, Any]:
        """A plain-data record of the model (the structure of a model file).

        Expressions are model-language text that the safe parser reads back as exactly the
        same expressions (:func:`~incentive_geometry.language.to_model_text`).

        Parameters
        ----------
        limits : ParserLimits
            The limits the record will be read back under.

        Returns
        -------
        dict

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> ig.Model.from_equations({"x": "-k*x"}, parameters={"k": 2}).to_dict()["equations"]
        {'x': '-k*x'}
        """
        out: dict[str, Any] = {"name": self.name, "time": self.time}
        if self.description:
            out["description"] = self.description
        if self.references:
            out["references"] = list(self.references)
        if self.simplex:
            out["simplex"] = True
        names = self.symbols

        def text(expr: Any, where: str, condition: bool = False) -> str:
            # Text that reads back as exactly this expression (see `to_model_text`).
            return to_model_text(
                expr,
                names,
                condition=condition,
                where=f"model `{self.name}`: {where}",
                limits=limits,
            )

        if self.constraints:
            out["constraints"] = [
                text(c, f"constraint `{i + 1}`", condition=True)
                for i, c in enumerate(self.constraints)
            ]
        out["equations"] = {
            s.name: text(f, f"equation for `{s}`")
            for s, f in zip(self.states, self.rhs, strict=True)
        }
        if self.parameters:
            out["parameters"] = {p.name: p.to_spec() for p in self.parameters}
        states: dict[str, Any] = {}
        default_domain = Domain.parse([0, 1]) if self.simplex else Domain()
        for s, d, meaning in zip(self.states, self.state_domains, self.state_meanings, strict=True):
            spec: dict[str, Any] = {}
            if d != default_domain:
                spec["domain"] = d.to_spec()
            if meaning:
                spec["meaning"] = meaning
            if spec:
                states[s.name] = spec
        if states:
            out["states"] = states
        if self.observables:
            out["observables"] = {k: text(v, f"observable `{k}`") for k, v in self.observables}
        if self.noise is not None:
            terms = {
                s.name: text(g, f"noise for `{s}`")
                for s, g in zip(self.states, self.noise, strict=True)
                if g != 0
            }
            # A model given noise terms that are all zero keeps them (noise is not None): one
            # explicit zero says so in the file, and reads back as the same tuple of zeros.
            out["noise"] = terms or {self.states[0].name: "0"}
        if self.claims:
            out["claims"] = [dict(c) for c in self.claims]
        return out

    def to_toml(self, *, limits: ParserLimits = DEFAULT_LIMITS) -> str:
        """The model as TOML text that :func:`incentive_geometry.load_model` reads back.

        Parameters
        ----------
        limits : ParserLimits
            The limits the file will be read back under (a model parsed with raised limits is
            saved with the same ones).

        Returns
        -------
        str

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": 2}, name="decay")
        >>> print(m.to_toml())
        name = "decay"
        time = "continuous"
        <BLANKLINE>
        [equations]
        x = "-k*x"
        <BLANKLINE>
        [parameters.k]
        default = 2.0
        domain = "real"
        <BLANKLINE>
        >>> ig.Model.from_toml(m.to_toml()) == m
        True
        """
        import tomli_w

        if self.stochastic_step is not None:
            raise ModelError(
                f"model `{self.name}` has a Python `stochastic_step`, which a model file cannot "
                "hold; save the equations with `dataclasses.replace(model, stochastic_step=None)`"
            )
        return str(tomli_w.dumps(self.to_dict(limits=limits)))

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = "<dict>",
        limits: ParserLimits = DEFAULT_LIMITS,
    ) -> Model:
        """Build a model from the plain-data record of :meth:`to_dict` (a parsed model file).

        Parameters
        ----------
        data : mapping
            Keys: ``name``, ``time``, ``description``, ``references``, ``simplex``,
            ``constraints``, ``equations`` (required), ``parameters``, ``states``,
            ``observables``, ``noise``.
        source : str
            Where the data comes from (a file name), for messages.
        limits : ParserLimits
            Size bounds of the expression text (see SECURITY.md).

        Returns
        -------
        Model

        Raises
        ------
        ModelError
            Naming the source, the table and the key.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> ig.Model.from_dict({"equations": {"x": "-x"}, "colour": "red"}, source="m.toml")
        Traceback (most recent call last):
        ...
        incentive_geometry.errors.ModelError: m.toml: unknown key `colour`; allowed keys: claims, constraints, description, equations, name, noise, observables, parameters, references, simplex, states, time
        """
        return _model_from_record(cls, data, source, limits)

    @classmethod
    def from_toml(
        cls, text: str, *, source: str = "<string>", limits: ParserLimits = DEFAULT_LIMITS
    ) -> Model:
        """Build a model from TOML text (the model file format).

        Parameters
        ----------
        text : str
            The file's content.
        source : str
            The file name, for messages.
        limits : ParserLimits
            Size bounds of the expression text (see SECURITY.md).

        Returns
        -------
        Model

        Raises
        ------
        ModelError
            For invalid TOML or an invalid model.

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> m = ig.Model.from_toml('name = "decay"\\n[equations]\\nx = "-k*x"\\n[parameters]\\nk = 0.5')
        >>> m.defaults
        {'k': 0.5}
        """
        import tomllib

        if not isinstance(text, str):
            raise ModelError(f"{source}: model text must be str, got {type(text).__name__}")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ModelError(f"{source}: invalid TOML: {err}") from None
        except RecursionError:
            # tomllib reads nested arrays and inline tables recursively.
            raise ModelError(
                f"{source}: the TOML nests arrays or tables too deeply to be read; a model "
                "file needs a few levels at most"
            ) from None
        return cls.from_dict(data, source=source, limits=limits)

    # -- display ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        params = ", ".join(
            p.name if p.default is None else f"{p.name}={p.default!r}" for p in self.parameters
        )
        return (
            f"<Model {self.name!r}: {self.time}, states ({', '.join(self.state_names)}), "
            f"parameters ({params})>"
        )

    def __str__(self) -> str:
        lines = [f"{self.name} ({self.time} time{', on the simplex' if self.simplex else ''})"]
        for s, f in zip(self.states, self.rhs, strict=True):
            lhs = f"d{s}/dt" if self.time == "continuous" else f"{s}(t+1)"
            lines.append(f"  {lhs} = {to_text(f)}")
        if self.parameters:
            lines.append("parameters:")
            for p in self.parameters:
                default = "(no default)" if p.default is None else repr(p.default)
                dom = p.domain.to_spec()
                extra = f"  {p.meaning}" if p.meaning else ""
                lines.append(f"  {p.name} = {default}  {dom}{extra}")
        if self.observables:
            lines.append("observables:")
            lines.extend(f"  {k} = {to_text(v)}" for k, v in self.observables)
        if self.is_stochastic and self.noise is not None:
            lines.append("noise:")
            lines.extend(
                f"  {s}: {to_text(g)}"
                for s, g in zip(self.states, self.noise, strict=True)
                if g != 0
            )
        if self.constraints:
            lines.append("constraints:")
            lines.extend(f"  {to_text(c)}" for c in self.constraints)
        return "\n".join(lines)

    def to_latex(self) -> str:
        """The equations as a LaTeX ``aligned`` block, ready for a paper.

        Returns
        -------
        str

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> print(ig.Model.from_equations({"x": "-theta*x"}, parameters={"theta": 1}).to_latex())
        \\begin{aligned}
        \\dot{x} &= - \\theta x
        \\end{aligned}
        """
        rows = []
        for s, f in zip(self.states, self.rhs, strict=True):
            sym = to_latex(s)
            lhs = rf"\dot{{{sym}}}" if self.time == "continuous" else f"{sym}_{{t+1}}"
            rows.append(f"{lhs} &= {to_latex(f)}")
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.to_latex()}$$"

    def _repr_html_(self) -> str:
        from . import display  # display imports the language module, as this one does

        simplex = ", on the simplex" if self.simplex else ""
        head = f"<b>{display.escape(self.name)}</b> ({self.time} time{simplex})"
        eqs = display.math(self.to_latex(), display=True)
        rows = [
            [
                display.Math(display.expr_latex(p.symbol)),
                "" if p.default is None else repr(p.default),
                str(p.domain.to_spec()),
                p.meaning,
            ]
            for p in self.parameters
        ]
        table = (
            display.html_table(["parameter", "default", "domain", "meaning"], rows) if rows else ""
        )
        desc = f"<p>{display.escape(self.description)}</p>" if self.description else ""
        return f"<div>{head}{desc}{eqs}{table}</div>"


# --------------------------------------------------------------------------------------------
# Helpers


def _article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _unknown(name: object, table: Mapping[str, Any], where: str, what: str) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), list(table), n=3, cutoff=0.5)
    hint = (
        ("closest: " + ", ".join(f"`{c}`" for c in close))
        if close
        else ("declared: " + (", ".join(f"`{c}`" for c in table) or "none"))
    )
    return f"{where}: unknown {what} `{name}`; {hint}"


def _sample_in(p: Parameter, rng: random.Random) -> sympy.Rational:
    if p.default is not None:
        # Jitter around the default, inside the domain.
        base = exact_number(p.default, what=p.name)
        for _ in range(5):
            candidate = base + sympy.Rational(rng.randint(-9, 9), 97)
            if p.domain.contains(float(candidate)):
                return candidate
        return base
    if p.domain.kind == "interval":
        lo, hi = p.domain.lo, p.domain.hi
        return lo + (hi - lo) * sympy.Rational(rng.randint(1, 99), 100)  # type: ignore[operator]
    return sympy.Rational(rng.randint(1, 99), 37)


def _parameters_from(
    parameters: Mapping[str, Any] | Sequence[Parameter] | None,
) -> tuple[Parameter, ...]:
    if parameters is None:
        return ()
    if isinstance(parameters, Mapping):
        return tuple(Parameter.from_spec(k, v) for k, v in parameters.items())
    if isinstance(parameters, str) or not isinstance(parameters, Sequence):
        raise ModelError(
            f"`parameters` must be a mapping of name to default/spec, or a list of Parameter; "
            f"got {parameters!r:.60} ({type(parameters).__name__})"
        )
    out = []
    for p in parameters:
        if not isinstance(p, Parameter):
            raise ModelError(f"`parameters` list holds {p!r:.60}, which is not a Parameter")
        out.append(p)
    return tuple(out)


def _name_table(
    states: Sequence[sympy.Symbol], params: Sequence[Parameter], model: str
) -> dict[str, sympy.Symbol]:
    table: dict[str, sympy.Symbol] = {}
    kinds: dict[str, str] = {}
    for kind, syms in (("state", list(states)), ("parameter", [p.symbol for p in params])):
        for sym in syms:
            if sym.name in table:
                both = (
                    "twice"
                    if kinds[sym.name] == kind
                    else f"both as a {kinds[sym.name]} and as a {kind}"
                )
                raise ModelError(
                    f"model `{model}`: the name `{sym.name}` is declared {both}; every state and "
                    "parameter needs its own name"
                )
            table[sym.name] = sym
            kinds[sym.name] = kind
    return table


def _rebind(expr: Any, names: Mapping[str, sympy.Symbol]) -> Any:
    """Replace symbols that carry a declared name by the model's own symbol of that name."""
    mapping = {
        sym: names[sym.name]
        for sym in expr.free_symbols
        if sym.name in names and sym is not names[sym.name] and sym != names[sym.name]
    }
    return expr.xreplace(mapping) if mapping else expr


_FILE_KEYS = (
    "claims",
    "constraints",
    "description",
    "equations",
    "name",
    "noise",
    "observables",
    "parameters",
    "references",
    "simplex",
    "states",
    "time",
)


def _claim_tables(items: list[Any], source: str) -> list[dict[str, Any]]:
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ModelError(f"{source}: [[claims]] {i + 1}: expected a table, got {item!r:.60}")
    return items


def _model_from_record(
    cls: type[Model], data: Mapping[str, Any], source: str, limits: ParserLimits
) -> Model:
    if not isinstance(data, Mapping):
        raise ModelError(f"{source}: a model record must be a table, got {type(data).__name__}")
    unknown = sorted(set(data) - set(_FILE_KEYS))
    if unknown:
        raise ModelError(
            f"{source}: unknown key `{unknown[0]}`; allowed keys: {', '.join(_FILE_KEYS)}"
        )

    def typed(key: str, kind: type | tuple[type, ...], default: Any, label: str) -> Any:
        value = data.get(key, default)
        if not isinstance(value, kind):
            raise ModelError(
                f"{source}: `{key}` must be {label}, got {value!r:.60} ({type(value).__name__})"
            )
        return value

    equations = typed("equations", dict, None, 'a table of state = "right-hand side"')
    if not equations:
        raise ModelError(f'{source}: [equations] is empty; add a line such as x = "-x"')
    for key, text in equations.items():
        if not isinstance(text, str):
            raise ModelError(
                f"{source}: [equations] {key}: expected expression text in quotes, got "
                f"{text!r:.60} ({type(text).__name__})"
            )
    name = typed("name", str, "model", "text")
    time = typed("time", str, "continuous", '"continuous" or "discrete"')
    parameters = typed("parameters", dict, {}, "a table")
    params = []
    for key, spec in parameters.items():
        try:
            validate_name(key, what="parameter")
        except ModelError as err:
            raise ModelError(f"{source}: [parameters] {err.summary}") from None
        params.append(Parameter.from_spec(key, spec, where=f"{source}: [parameters] {key}"))
    for table in ("states", "observables", "noise"):
        typed(table, dict, {}, "a table")
    for key, spec in data.get("states", {}).items():
        where = f"{source}: [states] {key}"
        if key not in equations:
            raise ModelError(f"{where}: `{key}` has no equation in [equations]")
        if not isinstance(spec, dict) or set(spec) - {"domain", "meaning"}:
            raise ModelError(
                f"{where}: expected a table with keys domain and/or meaning, got {spec!r:.60}"
            )
        if "domain" in spec:
            Domain.parse(spec["domain"], what=f"{where}: domain")
        if not isinstance(spec.get("meaning", ""), str):
            raise ModelError(f"{where}: meaning must be text")
    for i, cond in enumerate(data.get("constraints", [])):
        if not isinstance(cond, str):
            raise ModelError(
                f"{source}: constraints[{i}]: expected a condition in quotes, got {cond!r:.60}"
            )
    # These checks name the source themselves: they run outside the `try` below, which adds
    # the source to the messages of `from_equations` (adding it twice was issue 16).
    simplex = typed("simplex", bool, False, "true or false")
    constraints = typed("constraints", list, [], "a list of conditions")
    description = typed("description", str, "", "text")
    references = typed("references", list, [], "a list of strings")
    claims = _claim_tables(typed("claims", list, [], "a list of [[claims]] tables"), source)
    try:
        return cls.from_equations(
            equations,
            parameters=params,
            time=time,
            name=name,
            observables=data.get("observables") or None,
            noise=data.get("noise") or None,
            simplex=simplex,
            states=data.get("states") or None,
            constraints=constraints,
            description=description,
            references=references,
            claims=claims,
            limits=limits,
        )
    except ModelError as err:
        summary = err.summary
        # Point at the file's table and key: "model `m`: equation for `x`" -> "[equations] x".
        for prefix, table in (
            ("equation for `", "equations"),
            ("observable `", "observables"),
            ("noise for `", "noise"),
            ("constraint `", "constraints"),
        ):
            marker = f"model `{name}`: {prefix}"
            if summary.startswith(marker):
                key, _, rest = summary[len(marker) :].partition("`")
                summary = f"[{table}] {key}{rest}"
                break
        raise ModelError(f"{source}: {summary}", context=err.context) from None
