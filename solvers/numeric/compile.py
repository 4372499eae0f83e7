"""Compiled right-hand sides: a Model's equations as vectorized NumPy functions.

Every numerical routine of this package evaluates the right-hand side ``f(x; p)``, its Jacobian
``D_x f`` and its parameter derivative ``D_p f`` through :func:`compile_model`, which lambdifies the
sympy expressions once per model (models are hashable, so the result is cached) and broadcasts
over leading axes: ``x`` of shape ``(..., n)`` and ``p`` of shape ``(..., m)`` give ``f`` of shape
``(..., n)``, ``D_x f`` of shape ``(..., n, n)`` and ``D_p f`` of shape ``(..., n, m)``.

The module also holds the argument checks shared by the numerical solvers: parameter values
(finite, inside their domains, refused up front) and initial states.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model

__all__ = [
    "CompiledModel",
    "check_in_domain",
    "check_seed",
    "compile_model",
    "resolve_params",
    "resolve_state",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
_Vectorized = Callable[[FloatArray, FloatArray], FloatArray]


def _lambdify(symbols: Sequence[Any], exprs: Sequence[Any]) -> Callable[..., Any]:
    # One NumPy function returning the list of expressions; common subexpressions shared.
    return sympy.lambdify(list(symbols), list(exprs), modules="numpy", cse=True)


def _scalar_lambdify(symbols: Sequence[Any], exprs: Sequence[Any]) -> Callable[..., Any] | None:
    # The same expressions on Python floats with the math module: no NumPy scalars (whose
    # arithmetic costs about 2 us a call) and no errstate (math raises where NumPy warns).
    try:
        return sympy.lambdify(list(symbols), list(exprs), modules="math", cse=True)
    except Exception:  # a function with no math counterpart: the NumPy route only
        return None


_SCALAR_FAILURES = (ArithmeticError, ValueError, TypeError)


def _stacker(
    raw: Callable[..., Any], n: int, m: int, out_shape: tuple[int, ...],
    scalar: Callable[..., Any] | None = None,
) -> _Vectorized:
    """Wrap a lambdified list-valued function as ``g(x[..., n], p[..., m]) -> out[..., *out_shape]``.

    One point (1-D `x` and `p`, as Newton and continuation call it) goes through `scalar`, the
    math-module version, on Python floats when the inputs and the result are finite; otherwise
    (an exception of `math`, a complex power, a non-finite value) through the NumPy version
    with warnings off, so that a point gives inf or NaN exactly as a batch does.
    """

    size = int(np.prod(out_shape)) if out_shape else 1
    isfinite = math.isfinite

    def g(x: FloatArray, p: FloatArray) -> FloatArray:
        if type(x) is not np.ndarray or x.dtype != np.float64:
            x = np.asarray(x, dtype=float)
        if type(p) is not np.ndarray or p.dtype != np.float64:
            p = np.asarray(p, dtype=float)
        if x.ndim == 1 and p.ndim == 1:
            args = [*x.tolist(), *p.tolist()]
            if scalar is not None and all(map(isfinite, args)):
                try:
                    vals = scalar(*args)
                    finite = all(map(isfinite, vals))  # TypeError for a complex power
                except _SCALAR_FAILURES:
                    finite = False
                if finite:
                    return np.array(vals, dtype=float).reshape(out_shape)
            # One point (Newton, continuation): NumPy scalars in, one small array out.
            with np.errstate(all="ignore"):
                single = raw(*x, *p)
            return np.array(single, dtype=float).reshape(out_shape)
        lead = np.broadcast_shapes(x.shape[:-1], p.shape[:-1])
        with np.errstate(all="ignore"):
            values = raw(*(x[..., i] for i in range(n)), *(p[..., j] for j in range(m)))
        out = np.empty((*lead, size), dtype=float)
        for k, v in enumerate(values):
            # Constant entries come back as Python scalars: broadcast them to the batch.
            out[..., k] = v
        return out.reshape(*lead, *out_shape)

    return g


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """A model's right-hand side and derivatives, lambdified to NumPy and vectorized.

    Build it with :func:`compile_model` (cached per model). All functions take a state array
    ``x`` of shape ``(..., n)`` and a parameter array ``p`` of shape ``(..., m)`` (parameters in
    the order of ``model.parameters``) and broadcast over the leading axes.

    Attributes
    ----------
    model : Model
    n, m : int
        Number of states and of parameters.
    rhs : callable
        ``f(x, p)`` of shape ``(..., n)``.
    jac : callable
        ``D_x f(x, p)`` of shape ``(..., n, n)``.
    dfdp : callable
        ``D_p f(x, p)`` of shape ``(..., n, m)``.
    noise : callable or None
        Diagonal noise ``g(x, p)`` of shape ``(..., n)``, None for a deterministic model.
    observables : dict of str to callable
        Each observable as ``h(x, p)`` of shape ``(...)``.

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> m = ig.Model.from_equations({"x": "a - x", "y": "x*y"}, parameters={"a": 2})
    >>> cm = compile_model(m)
    >>> cm.rhs(np.array([[1.0, 3.0], [0.0, 1.0]]), np.array([2.0]))
    array([[1., 3.],
           [2., 0.]])
    >>> cm.jac(np.array([1.0, 3.0]), np.array([2.0]))
    array([[-1.,  0.],
           [ 3.,  1.]])
    >>> compile_model(m) is cm
    True
    """

    model: Model
    n: int
    m: int
    rhs: _Vectorized
    jac: _Vectorized
    dfdp: _Vectorized
    noise: _Vectorized | None
    observables: dict[str, Callable[[FloatArray, FloatArray], FloatArray]] = field(
        default_factory=dict
    )

    def param_vector(self, values: Mapping[str, float]) -> FloatArray:
        """The parameter array in model order from a complete name -> value mapping.

        Parameters
        ----------
        values : mapping of str to float

        Returns
        -------
        numpy.ndarray of shape (m,)

        Examples
        --------
        >>> import incentive_geometry as ig
        >>> from incentive_geometry.solvers.numeric.compile import compile_model
        >>> m = ig.Model.from_equations({"x": "a - b*x"}, parameters={"a": 1, "b": 2})
        >>> compile_model(m).param_vector({"b": 5.0, "a": 1.0})
        array([1., 5.])
        """
        return np.array([float(values[p.name]) for p in self.model.parameters], dtype=float)


@functools.lru_cache(maxsize=128)
def compile_model(model: Model) -> CompiledModel:
    """Lambdify a model's right-hand side, Jacobian, parameter derivative, noise and observables.

    The symbolic derivatives are taken once, and the result is cached per model (models are
    immutable and hashable), so repeated solver calls on one model compile once.

    Parameters
    ----------
    model : Model

    Returns
    -------
    CompiledModel

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import compile_model
    >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3}, time="discrete")
    >>> cm = compile_model(m)
    >>> cm.rhs(np.array([[0.5]]), np.array([[3.0], [4.0]]))[:, 0]
    array([0.75, 1.  ])
    >>> float(cm.dfdp(np.array([0.5]), np.array([3.0]))[0, 0])
    0.25
    """
    states = list(model.states)
    params = list(model.parameter_symbols)
    n, m = len(states), len(params)
    symbols = [*states, *params]
    F = sympy.Matrix(model.rhs)
    J = F.jacobian(states)
    Jp = F.jacobian(params) if m else sympy.zeros(n, 0)
    rhs = _stacker(_lambdify(symbols, list(F)), n, m, (n,), _scalar_lambdify(symbols, list(F)))
    jac = _stacker(_lambdify(symbols, list(J)), n, m, (n, n), _scalar_lambdify(symbols, list(J)))
    if m:
        dfdp = _stacker(
            _lambdify(symbols, list(Jp)), n, m, (n, m), _scalar_lambdify(symbols, list(Jp))
        )
    else:

        def dfdp(x: FloatArray, p: FloatArray) -> FloatArray:
            lead = np.broadcast_shapes(np.shape(x)[:-1], np.shape(p)[:-1])
            return np.zeros((*lead, n, 0))

    noise = None
    if model.is_stochastic and model.noise is not None:
        noise = _stacker(_lambdify(symbols, list(model.noise)), n, m, (n,))
    observables: dict[str, Callable[[FloatArray, FloatArray], FloatArray]] = {}
    for name, expr in model.observables:
        observables[name] = _stacker(_lambdify(symbols, [expr]), n, m, ())
    return CompiledModel(model, n, m, rhs, jac, dfdp, noise, observables)


# --------------------------------------------------------------------------------------------
# Argument checks shared by the solvers


def resolve_params(
    model: Model,
    params: Mapping[str, Any] | None,
    *,
    allow_arrays: bool = False,
    free: Sequence[str] = (),
) -> dict[str, Any]:
    """Complete parameter values from defaults, refusing unknown, missing, NaN/inf or out-of-domain values.

    Parameters
    ----------
    model : Model
    params : mapping of str to float, optional
        Values that override the defaults.
    allow_arrays : bool
        Accept 1-D arrays of values (an ensemble of parameter sets).
    free : sequence of str
        Parameters that the caller sets itself (e.g. the continuation parameter): they need no
        value here.

    Returns
    -------
    dict of str to float (or to 1-D arrays when `allow_arrays`)

    Raises
    ------
    ModelError
        Naming the parameter, showing the value and saying how to fix it.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import resolve_params
    >>> m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": {"default": 1, "domain": "positive"}})
    >>> resolve_params(m, {"k": 2})
    {'k': 2.0}
    >>> resolve_params(m, {"k": float("nan")})
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: parameter `k` = nan is not a finite number; pass a finite value in `params`
    """
    given = dict(params or {})
    if not isinstance(params, Mapping | type(None)):
        raise ModelError(
            f"`params` must be a mapping of parameter name to value, got {params!r:.60} "
            f"({type(params).__name__})"
        )
    for key in given:
        model.parameter(key)  # raises with the closest names
    out: dict[str, Any] = {}
    for p in model.parameters:
        if p.name in free:
            continue
        value = given.get(p.name, p.default)
        if value is None:
            raise ModelError(
                f"parameter `{p.name}` of model `{model.name}` has no default and no value; pass "
                f"params={{'{p.name}': ...}}"
            )
        out[p.name] = check_value(p.name, value, model, allow_arrays=allow_arrays)
    return out


def check_value(name: str, value: Any, model: Model, *, allow_arrays: bool = False) -> Any:
    """One parameter value: a finite number (or 1-D array) inside the parameter's domain.

    Parameters
    ----------
    name : str
    value : float or array
    model : Model
    allow_arrays : bool

    Returns
    -------
    float or numpy.ndarray

    Raises
    ------
    ModelError

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import check_value
    >>> m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": {"default": 1, "domain": [0, 2]}})
    >>> check_value("k", 3, m)
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: parameter `k` = 3.0 is outside its domain [0, 2]; choose a value inside it
    """
    domain = model.parameter(name).domain
    if np.iscomplexobj(value):
        raise ModelError(
            f"parameter `{name}` = {value!r:.60} is complex; parameters are real numbers"
        )
    if allow_arrays and np.ndim(value) == 1:
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise ModelError(f"parameter `{name}`: values {value!r:.60} are not numbers") from None
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ModelError(
                f"parameter `{name}` has a non-finite value {float(arr[bad][0])!r} at index "
                f"{int(np.argmax(bad))}; pass finite values in `params`"
            )
        outside = [v for v in arr if not domain.contains(float(v))]
        if outside:
            raise ModelError(
                f"parameter `{name}` = {float(outside[0])!r} is outside its domain {domain.to_spec()!r}; "
                "choose values inside it"
            )
        return arr
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ModelError(
            f"parameter `{name}` must be a number, got {value!r:.60} ({type(value).__name__})"
        )
    try:
        v = float(value)
    except OverflowError:
        raise ModelError(
            f"parameter `{name}` = {str(value)[:20]}... is too large for a float (above 1.8e308); "
            "rescale the model"
        ) from None
    if not math.isfinite(v):
        raise ModelError(
            f"parameter `{name}` = {v!r} is not a finite number; pass a finite value in `params`"
        )
    if not domain.contains(v):
        raise ModelError(
            f"parameter `{name}` = {v!r} is outside its domain {domain.to_spec()!r}; choose a "
            "value inside it"
        )
    return v


def check_seed(seed: Any, *, what: str = "seed") -> int | None:
    """A random seed: None or a nonnegative integer.

    Parameters
    ----------
    seed : object
    what : str
        The argument's name, for messages.

    Returns
    -------
    int or None

    Raises
    ------
    ModelError

    Examples
    --------
    >>> check_seed(3), check_seed(None)
    (3, None)
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: `seed` = -1 must be None or a nonnegative integer
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ModelError(f"`{what}` = {seed!r:.40} must be None or a nonnegative integer")
    return int(seed)


def resolve_state(model: Model, x0: Any, *, what: str = "x0", allow_batch: bool = False) -> FloatArray:
    """A state (or a batch of states) as a float array in model order.

    Parameters
    ----------
    model : Model
    x0 : mapping of state name to float, or array of shape (n,) (or (N, n) when `allow_batch`)
    what : str
        The argument's name, for messages.
    allow_batch : bool

    Returns
    -------
    numpy.ndarray of shape (n,) or (N, n)

    Raises
    ------
    ModelError
        For missing or unknown states, a wrong shape or non-finite values.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import resolve_state
    >>> m = ig.Model.from_equations({"x": "-x", "y": "-y"}, parameters={})
    >>> resolve_state(m, {"y": 2, "x": 1})
    array([1., 2.])
    >>> resolve_state(m, {"x": 1})
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: `x0` has no value for state `y`; give every state of model `model`: x, y
    """
    n = len(model.states)
    if isinstance(x0, Mapping):
        unknown = [k for k in x0 if k not in model.state_names]
        if unknown:
            raise ModelError(
                f"`{what}` names `{unknown[0]}`, which is not a state of model `{model.name}` "
                f"(states: {', '.join(model.state_names)})"
            )
        missing = [s for s in model.state_names if s not in x0]
        if missing:
            raise ModelError(
                f"`{what}` has no value for state `{missing[0]}`; give every state of model "
                f"`{model.name}`: {', '.join(model.state_names)}"
            )
        columns = []
        for s in model.state_names:
            if np.iscomplexobj(x0[s]):
                raise ModelError(f"`{what}`: state `{s}` = {x0[s]!r:.60} is complex; give real numbers")
            try:
                columns.append(np.asarray(x0[s], dtype=float))
            except (TypeError, ValueError, OverflowError):
                raise ModelError(
                    f"`{what}`: state `{s}` = {x0[s]!r:.60} is not a number; give numbers"
                ) from None
        try:
            arr = np.stack(np.broadcast_arrays(*columns), axis=-1)
        except ValueError:
            raise ModelError(f"`{what}`: the states' value arrays have different lengths") from None
    else:
        try:
            complex_ = np.iscomplexobj(x0)
            arr = np.asarray(x0, dtype=float) if not complex_ else np.zeros(0)
        except (TypeError, ValueError, OverflowError):
            raise ModelError(f"`{what}` = {x0!r:.60} is not a state: give numbers") from None
        if complex_:
            raise ModelError(f"`{what}` = {x0!r:.60} is complex; give real numbers")
    ok_shapes = (1, 2) if allow_batch else (1,)
    if arr.ndim not in ok_shapes or arr.shape[-1] != n:
        expected = f"({n},)" + (f" or (N, {n})" if allow_batch else "")
        raise ModelError(
            f"`{what}` has shape {arr.shape}, expected {expected} for the states "
            f"{', '.join(model.state_names)}"
        )
    if not np.all(np.isfinite(arr)):
        raise ModelError(f"`{what}` holds a non-finite value {arr[~np.isfinite(arr)][0]!r}; give finite states")
    return arr


def _fmt_state(model: Model, x: Any) -> str:
    return "(" + ", ".join(f"{s}={v:.6g}" for s, v in zip(model.state_names, x, strict=True)) + ")"


def check_in_domain(model: Model, states: Any, *, what: str = "x0") -> None:
    """Refuse states outside the model's state domains, or off its simplex.

    Parameters
    ----------
    model : Model
    states : array of shape (n,) or (N, n)
        In model order.
    what : str
        The argument's name, for messages.

    Raises
    ------
    ModelError
        Naming the first state outside its declared domain (``y`` nonnegative, ``y = -50``), or
        for a model on the simplex a start whose shares are negative or do not sum to 1 (within
        1e-9), with its index in a batch.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.numeric.compile import check_in_domain
    >>> m = ig.Model.from_equations({"x": "-x", "y": "-y"}, parameters={},
    ...                             states={"y": {"domain": "nonnegative"}})
    >>> check_in_domain(m, [100.0, -50.0])
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: `x0` = (x=100, y=-50) lies outside the domain of state `y` (nonnegative) of model `model`; start inside it
    """
    X = np.atleast_2d(np.asarray(states, dtype=float))

    def where(k: int) -> str:
        return f" (start {k} of {len(X)})" if len(X) > 1 else ""

    if model.simplex:
        sums = X.sum(axis=1)
        bad = np.flatnonzero((X < -1e-12).any(axis=1) | (np.abs(sums - 1.0) > 1e-9))
        if bad.size:
            k = int(bad[0])
            raise ModelError(
                f"`{what}` = {_fmt_state(model, X[k])}{where(k)} is not on the simplex of model "
                f"`{model.name}`: its shares must be nonnegative and sum to 1 (they sum to "
                f"{sums[k]:.6g}); give a start on the simplex, e.g. every share 1/{len(model.states)}"
            )
        return
    for i, (name, dom) in enumerate(zip(model.state_names, model.state_domains, strict=True)):
        inside = np.array([dom.contains(float(v)) for v in X[:, i]])
        if not inside.all():
            k = int(np.flatnonzero(~inside)[0])
            raise ModelError(
                f"`{what}` = {_fmt_state(model, X[k])}{where(k)} lies outside the domain of state "
                f"`{name}` ({dom.to_spec()}) of model `{model.name}`; start inside it"
            )
