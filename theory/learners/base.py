"""The Learner interface: a seeded stochastic update rule, as data or as a vectorized step.

A learner holds states (e.g. the share ``x`` of the proxy-capturing routine), parameters (the
canonical ``alpha, theta, b, gamma, c`` and the step ``eta``) and one of two descriptions of a
step:

* **outcomes** -- a finite list of :class:`Outcome` objects, each a probability and an increment
  of every state, written in the model language (parsed by the safe parser of
  :mod:`incentive_geometry.language`, never by ``sympify``). Such a learner is data: its mean
  field ``f = lim_{eta -> 0} E[increment] / eta`` and its diffusion
  ``D = lim_{eta -> 0} Cov[increment] / eta**2`` are derived symbolically
  (:func:`incentive_geometry.solvers.symbolic.mean_field.mean_field`), and the ensemble
  simulator draws one outcome per learner and step;
* **a step function** -- for learners that sample continuous data (a mixture of experts, an
  in-context learner): ``step(z, params, rng) -> z`` vectorized over the first axis of ``z``.
  Their mean field is compared numerically; a learner may declare one (`drift`) when the theory
  gives it.

The step-function contract (all three are module-level functions, so that a learner pickles to
a process pool):

``init(x0, params, rng) -> z``
    ``x0`` is a float array ``(m, n_states)`` of initial recorded states (in the order of
    ``learner.states``); returns the internal state ``z`` of shape ``(m, d)``. Default: ``z = x0``.
``step(z, params, rng) -> z``
    One step of ``m`` independent learners. ``params`` maps every parameter name to a float, or
    to a float array of shape ``(m,)`` when the caller gave per-learner values; ``rng`` is a
    :class:`numpy.random.Generator` (seeded by the caller, the only source of randomness).
``observe(z, params) -> x``
    The recorded states ``(m, n_states)`` of internal states ``z``. Default: ``x = z``.

Examples
--------
>>> from incentive_geometry.theory.learners.base import Learner
>>> coin = Learner.from_outcomes(
...     {"x": {"domain": [0, 1], "meaning": "weight of heads"}},
...     [("x", {"x": "eta*(1 - x)"}), ("1 - x", {"x": "-eta*x"})],
...     parameters={"eta": {"default": 0.1, "domain": "positive"}},
...     name="coin",
... )
>>> coin
<Learner 'coin': 2 outcomes, states (x), parameters (eta=0.1)>
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.language import check_expression, parse_expression, validate_name
from incentive_geometry.model import Domain, Model, Parameter

__all__ = ["Learner", "Outcome", "StepFunction"]

#: ``step(z, params, rng) -> z``, ``init(x0, params, rng) -> z`` or ``observe(z, params) -> x``.
StepFunction = Callable[..., Any]

_TOL = 1e-9


@dataclass(frozen=True)
class Outcome:
    """One outcome of a learner's step: its probability and the increment of every state.

    Parameters
    ----------
    probability : sympy.Expr
        Probability of the outcome, in states and parameters.
    increment : tuple of sympy.Expr
        Change of each state (in the order of the learner's states) when the outcome occurs.
    label : str
        What happens, e.g. ``"M drawn, proxy reward"``.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.theory.learners.base import Outcome
    >>> x, eta = sympy.symbols("x eta")
    >>> Outcome(x, (eta * (1 - x),), "up").label
    'up'
    """

    probability: sympy.Expr
    increment: tuple[sympy.Expr, ...]
    label: str = ""


def _sample_point(
    states: Sequence[sympy.Symbol],
    domains: Sequence[Domain],
    parameters: Sequence[Parameter],
    rng: random.Random,
    *,
    simplex: bool,
) -> dict[Any, Any]:
    point: dict[Any, Any] = {}
    if simplex:
        weights = [rng.randint(1, 9) for _ in states]
        point.update(
            (s, sympy.Rational(wt, sum(weights))) for s, wt in zip(states, weights, strict=True)
        )
    for sym, dom in zip(states, domains, strict=True):
        if simplex:
            continue
        if dom.kind == "interval":
            lo, hi = dom.lo, dom.hi
            point[sym] = lo + (hi - lo) * sympy.Rational(rng.randint(1, 99), 100)  # type: ignore[operator]
        else:
            point[sym] = sympy.Rational(rng.randint(1, 99), 100)
    for p in parameters:
        d = p.domain
        if d.kind == "interval":
            point[p.symbol] = d.lo + (d.hi - d.lo) * sympy.Rational(rng.randint(1, 99), 100)  # type: ignore[operator]
        elif p.default is not None and rng.random() < 0.5:
            point[p.symbol] = sympy.nsimplify(p.default, rational=True)
        else:
            point[p.symbol] = sympy.Rational(rng.randint(1, 200), 100)
    return point


@dataclass(frozen=True, repr=False)
class Learner:
    """A learning system: states, parameters and a stochastic step (outcomes or a function).

    Build it with :meth:`from_outcomes` or :meth:`from_step`; the library's learners are in
    :mod:`incentive_geometry.theory.learners`. The constructor validates what it is given:
    outcome probabilities must sum to one and every increment must vanish at ``eta = 0`` (so
    that the mean field ``lim E[increment]/eta`` exists); both are checked at random rational
    points of the states' and parameters' domains.

    Parameters
    ----------
    name : str
        A short name.
    states : tuple of sympy.Symbol
        The recorded states, in order (real symbols, as the Model core makes them).
    parameters : tuple of Parameter
        Parameters, including the step parameter.
    outcomes : tuple of Outcome
        The finite list of outcomes of one step (empty for a step-function learner).
    step, init, observe : callable, optional
        The step-function description (see the module docstring for the contract).
    step_parameter : str
        Name of the step size, ``"eta"`` by default; the mean field is the limit as it goes to 0.
    state_domains : tuple of Domain
        Where each state lives (``[0, 1]`` for shares).
    state_meanings : tuple of str
        One line per state.
    simplex : bool
        The states are shares summing to one.
    drift : Model, optional
        A mean field declared by a step-function learner (same states), when theory gives one.
    description : str
        A paragraph on the update rule.
    references : tuple of str
        Where the update rule comes from.

    Examples
    --------
    >>> from incentive_geometry.theory import learners
    >>> L = learners.cross_learning(k=2)
    >>> L.kind, L.state_names, L.step_parameter
    ('outcomes', ('x',), 'eta')
    >>> len(L.outcomes)
    4
    """

    name: str
    states: tuple[sympy.Symbol, ...]
    parameters: tuple[Parameter, ...]
    outcomes: tuple[Outcome, ...] = ()
    step: StepFunction | None = field(default=None)
    init: StepFunction | None = field(default=None)
    observe: StepFunction | None = field(default=None)
    step_parameter: str = "eta"
    state_domains: tuple[Domain, ...] = ()
    state_meanings: tuple[str, ...] = ()
    simplex: bool = False
    drift: Model | None = None
    description: str = ""
    references: tuple[str, ...] = ()

    # -- validation ------------------------------------------------------------------------
    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 100:
            raise ModelError(f"learner `name` must be 1 to 100 characters, got {self.name!r:.60}")
        where = f"learner `{self.name}`"
        if not self.states:
            raise ModelError(f"{where} has no states; declare at least one (e.g. the share `x`)")
        for s in self.states:
            if not isinstance(s, sympy.Symbol):
                raise ModelError(f"{where}: states must be sympy Symbols, got {s!r:.60}")
            validate_name(s.name, what="state")
        for p in self.parameters:
            if not isinstance(p, Parameter):
                raise ModelError(f"{where}: parameters must be Parameter objects, got {p!r:.60}")
        names = [s.name for s in self.states] + [p.name for p in self.parameters]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ModelError(
                f"{where}: the name(s) {', '.join(f'`{d}`' for d in dupes)} are declared twice; "
                "every state and parameter needs its own name"
            )
        if self.step_parameter not in self.parameter_names:
            raise ModelError(
                f"{where}: the step parameter `{self.step_parameter}` is not among its "
                f"parameters ({', '.join(self.parameter_names) or 'none'}); declare it, e.g. "
                'parameters={"eta": {"default": 0.01, "domain": "positive"}}'
            )
        n = len(self.states)
        domains = self.state_domains or tuple(
            Domain("interval", sympy.Integer(0), sympy.Integer(1)) if self.simplex else Domain()
            for _ in self.states
        )
        object.__setattr__(self, "state_domains", tuple(domains))
        object.__setattr__(self, "state_meanings", tuple(self.state_meanings) or ("",) * n)
        if len(self.state_domains) != n or len(self.state_meanings) != n:
            raise ModelError(f"{where}: one domain and one meaning per state are needed")
        object.__setattr__(self, "references", tuple(self.references))
        has_outcomes, has_step = bool(self.outcomes), self.step is not None
        if has_outcomes == has_step:
            raise ModelError(
                f"{where}: give either `outcomes` (a finite list) or a `step` function, not "
                f"{'both' if has_outcomes else 'neither'}"
            )
        for fn_name in ("step", "init", "observe"):
            fn = getattr(self, fn_name)
            if fn is not None and not callable(fn):
                raise ModelError(f"{where}: `{fn_name}` must be callable, got {fn!r:.60}")
        if has_outcomes and (self.init is not None or self.observe is not None):
            raise ModelError(f"{where}: `init` and `observe` belong to step-function learners")
        if self.drift is not None:
            if not isinstance(self.drift, Model) or self.drift.state_names != self.state_names:
                raise ModelError(
                    f"{where}: `drift` must be a Model with the learner's states "
                    f"{self.state_names}, got {self.drift!r:.80}"
                )
            if has_outcomes:
                raise ModelError(
                    f"{where}: an outcome learner's mean field is derived, not declared; "
                    "drop `drift`"
                )
        if has_outcomes:
            self._check_outcomes()

    def _check_outcomes(self) -> None:
        where = f"learner `{self.name}`"
        table = self.symbols
        checked: list[Outcome] = []
        for i, o in enumerate(self.outcomes):
            if not isinstance(o, Outcome):
                raise ModelError(f"{where}: outcome {i + 1} is {o!r:.60}, not an Outcome")
            if len(o.increment) != len(self.states):
                raise ModelError(
                    f"{where}: outcome {i + 1} has {len(o.increment)} increments for "
                    f"{len(self.states)} states"
                )
            what = f"{where}, outcome {i + 1}"
            checked.append(
                Outcome(
                    check_expression(o.probability, table, where=f"{what}: probability"),
                    tuple(
                        check_expression(d, table, where=f"{what}: increment of `{s}`")
                        for s, d in zip(self.states, o.increment, strict=True)
                    ),
                    o.label,
                )
            )
        object.__setattr__(self, "outcomes", tuple(checked))
        eta = self.step_symbol
        total = sum((o.probability for o in checked), sympy.Integer(0))
        rng = random.Random(20261201)
        done = 0
        for _ in range(24):
            point = _sample_point(
                self.states, self.state_domains, self.parameters, rng, simplex=self.simplex
            )
            value = total.xreplace(point).evalf(30)
            if not (value.is_number and value.is_finite):
                continue
            if abs(complex(value) - 1) > _TOL:
                shown = ", ".join(f"{k}={v}" for k, v in point.items())
                raise ModelError(
                    f"{where}: the outcome probabilities sum to {float(sympy.re(value)):.6g}, "
                    f"not 1, at {shown}; fix the probabilities"
                )
            point0 = {**point, eta: sympy.Integer(0)}
            for i, o in enumerate(checked):
                for s, d in zip(self.states, o.increment, strict=True):
                    d0 = d.xreplace(point0).evalf(30)
                    if d0.is_number and d0.is_finite and abs(complex(d0)) > _TOL:
                        raise ModelError(
                            f"{where}: the increment of `{s}` in outcome {i + 1} is {d} and does "
                            f"not vanish at `{eta}` = 0; increments must be proportional to the "
                            "step (the mean field is the limit of E[increment]/eta)"
                        )
            done += 1
            if done >= 4:
                break

    # -- constructors ----------------------------------------------------------------------
    @staticmethod
    def _declared(
        states: Mapping[str, Mapping[str, Any]] | Sequence[str],
        parameters: Mapping[str, Any] | Sequence[Parameter] | None,
    ) -> tuple[
        tuple[sympy.Symbol, ...], tuple[Parameter, ...], tuple[Domain, ...], tuple[str, ...]
    ]:
        specs: dict[str, Mapping[str, Any]] = (
            {s: {} for s in states} if not isinstance(states, Mapping) else dict(states)
        )
        syms, domains, meanings = [], [], []
        for s, spec in specs.items():
            validate_name(s, what="state")
            if not isinstance(spec, Mapping) or set(spec) - {"domain", "meaning"}:
                raise ModelError(
                    f"`states[{s!r}]` must be a dict with keys domain and/or meaning, got "
                    f"{spec!r:.60}"
                )
            syms.append(sympy.Symbol(s, real=True))
            domains.append(Domain.parse(spec.get("domain", "real"), what=f"domain of state `{s}`"))
            meanings.append(str(spec.get("meaning", "")))
        if parameters is None:
            params: tuple[Parameter, ...] = ()
        elif isinstance(parameters, Mapping):
            params = tuple(Parameter.from_spec(k, v) for k, v in parameters.items())
        else:
            params = tuple(parameters)
        return tuple(syms), params, tuple(domains), tuple(meanings)

    @classmethod
    def from_outcomes(
        cls,
        states: Mapping[str, Mapping[str, Any]] | Sequence[str],
        outcomes: Sequence[tuple[Any, Mapping[str, Any]] | tuple[Any, Mapping[str, Any], str]],
        *,
        parameters: Mapping[str, Any] | Sequence[Parameter] | None = None,
        name: str = "learner",
        step_parameter: str = "eta",
        simplex: bool = False,
        description: str = "",
        references: Sequence[str] = (),
    ) -> Learner:
        """A learner whose step is a finite list of outcomes written in the model language.

        Parameters
        ----------
        states : mapping of state name to ``{"domain", "meaning"}``, or a list of names
            The recorded states, in order.
        outcomes : sequence of ``(probability, increments)`` or ``(probability, increments, label)``
            ``probability`` is text or a sympy expression; ``increments`` maps state names to
            their change (text or sympy); states left out do not change.
        parameters : mapping or sequence of Parameter
            As in :meth:`incentive_geometry.Model.from_equations`; must include the step.
        name : str
        step_parameter : str
            The step size (``"eta"``).
        simplex : bool
            The states are shares summing to one.
        description : str
        references : sequence of str

        Returns
        -------
        Learner

        Raises
        ------
        ModelError
            For text outside the model language, unknown names, probabilities that do not sum
            to one or increments that do not vanish with the step.

        Examples
        --------
        >>> from incentive_geometry.theory.learners.base import Learner
        >>> Learner.from_outcomes(
        ...     ["x"], [("1", {"x": "0.1"})], parameters={"eta": 0.1}, name="bad"
        ... )
        Traceback (most recent call last):
        ...
        incentive_geometry.errors.ModelError: learner `bad`: the increment of `x` in outcome 1 is 1/10 and does not vanish at `eta` = 0; increments must be proportional to the step (the mean field is the limit of E[increment]/eta)
        """
        syms, params, domains, meanings = cls._declared(states, parameters)
        table = {s.name: s for s in syms}
        table.update((p.name, p.symbol) for p in params)

        def parse(value: object, where: str) -> sympy.Expr:
            if isinstance(value, str):
                return parse_expression(value, table, where=where)
            if isinstance(value, sympy.Basic):
                value = value.xreplace(
                    {s: table[s.name] for s in value.free_symbols if s.name in table}
                )
            return check_expression(value, table, where=where)

        built = []
        for i, item in enumerate(outcomes):
            if not isinstance(item, tuple) or len(item) not in (2, 3):
                raise ModelError(
                    f"learner `{name}`: outcome {i + 1} must be (probability, increments[, label]), "
                    f"got {item!r:.60}"
                )
            prob, incs = item[0], item[1]
            label = str(item[2]) if len(item) == 3 else ""
            if not isinstance(incs, Mapping):
                raise ModelError(
                    f"learner `{name}`: outcome {i + 1}: increments must map state names to "
                    f"expressions, got {incs!r:.60}"
                )
            extra = set(incs) - set(table) | {
                k for k in incs if k in table and k not in {s.name for s in syms}
            }
            if extra:
                raise ModelError(
                    f"learner `{name}`: outcome {i + 1} changes {', '.join(sorted(extra))}, which "
                    f"are not states; states: {', '.join(s.name for s in syms)}"
                )
            where = f"learner `{name}`, outcome {i + 1}"
            built.append(
                Outcome(
                    parse(prob, f"{where}: probability"),
                    tuple(
                        parse(incs[s.name], f"{where}: increment of `{s.name}`")
                        if s.name in incs
                        else sympy.Integer(0)
                        for s in syms
                    ),
                    label,
                )
            )
        return cls(
            name=name,
            states=syms,
            parameters=params,
            outcomes=tuple(built),
            step_parameter=step_parameter,
            state_domains=domains,
            state_meanings=meanings,
            simplex=simplex,
            description=description,
            references=tuple(references),
        )

    @classmethod
    def from_step(
        cls,
        states: Mapping[str, Mapping[str, Any]] | Sequence[str],
        step: StepFunction,
        *,
        parameters: Mapping[str, Any] | Sequence[Parameter] | None = None,
        init: StepFunction | None = None,
        observe: StepFunction | None = None,
        drift: Model | None = None,
        name: str = "learner",
        step_parameter: str = "eta",
        simplex: bool = False,
        description: str = "",
        references: Sequence[str] = (),
    ) -> Learner:
        """A learner given by a vectorized step function (learners sampling continuous data).

        Parameters
        ----------
        states : mapping of state name to ``{"domain", "meaning"}``, or a list of names
            The recorded states, in order.
        step : callable
            ``step(z, params, rng) -> z`` (module docstring); a module-level function.
        parameters : mapping or sequence of Parameter
            Must include the step.
        init, observe : callable, optional
            ``init(x0, params, rng) -> z`` and ``observe(z, params) -> x``; identity by default.
        drift : Model, optional
            The mean field, when theory gives one (same states).
        name, step_parameter, simplex, description, references
            As in :meth:`from_outcomes`.

        Returns
        -------
        Learner

        Examples
        --------
        >>> import numpy as np
        >>> from incentive_geometry.theory.learners.base import Learner
        >>> def decay(z, params, rng):
        ...     return z - params["eta"] * z + 0.0 * rng.random(z.shape)
        >>> L = Learner.from_step({"x": {}}, decay, parameters={"eta": 0.5}, name="decay")
        >>> L.kind, L.step(np.ones((2, 1)), {"eta": 0.5}, np.random.default_rng(0)).ravel()
        ('step', array([0.5, 0.5]))
        """
        syms, params, domains, meanings = cls._declared(states, parameters)
        return cls(
            name=name,
            states=syms,
            parameters=params,
            step=step,
            init=init,
            observe=observe,
            step_parameter=step_parameter,
            state_domains=domains,
            state_meanings=meanings,
            simplex=simplex,
            drift=drift,
            description=description,
            references=tuple(references),
        )

    # -- accessors -------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """``"outcomes"`` (data the symbolic engine reads) or ``"step"`` (a step function)."""
        return "outcomes" if self.outcomes else "step"

    @property
    def state_names(self) -> tuple[str, ...]:
        """Names of the recorded states, in order."""
        return tuple(s.name for s in self.states)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the parameters, in order."""
        return tuple(p.name for p in self.parameters)

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
    def step_symbol(self) -> sympy.Symbol:
        """The symbol of the step parameter."""
        return self.symbols[self.step_parameter]

    def parameter(self, name: str) -> Parameter:
        """The parameter called `name`.

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
        >>> from incentive_geometry.theory import learners
        >>> learners.cross_learning().parameter("theta").domain.to_spec()
        [0, 1]
        """
        for p in self.parameters:
            if p.name == name:
                return p
        raise ModelError(
            f"learner `{self.name}` has no parameter `{name}`; its parameters: "
            f"{', '.join(self.parameter_names)}"
        )

    def __repr__(self) -> str:
        params = ", ".join(
            p.name if p.default is None else f"{p.name}={p.default:g}" for p in self.parameters
        )
        how = f"{len(self.outcomes)} outcomes" if self.outcomes else "step function"
        return (
            f"<Learner {self.name!r}: {how}, states ({', '.join(self.state_names)}), "
            f"parameters ({params})>"
        )
