"""Feedback structure of any Model: its signed interaction graph, circuits and Thomas' rules.

The *interaction graph* of ``dx/dt = F(x)`` has an edge ``x_j -> x_i`` when ``dF_i/dx_j`` is not
identically zero, signed by the sign of that entry of the Jacobian. The sign is decided
symbolically for parameters and states inside their domains where sympy's assumptions can
(:func:`~incentive_geometry.solvers.symbolic.conditions.generic_sign`), and otherwise
numerically, at the given parameter point, over the states' box; an entry whose sign changes
over the state space is marked ``"±"``. Each edge records its ``origin``. For a map
``x' = f(x)`` the graph is that of ``F(x) = f(x) - x``, whose zeros are the fixed points; a model
on the simplex is reduced first (its first state is eliminated).

A *circuit* is a cycle of the graph (self-loops included); its sign is the product of its edge
signs, its loop gain the product of its Jacobian entries. Thomas' rules read the circuits:

* a positive circuit is necessary for multistationarity: without one (for every state), ``F``
  has at most one nondegenerate zero (Soule 2003);
* a negative circuit of length at least two is necessary for sustained oscillation, a stable
  periodic orbit (Snoussi 1998, Gouze 1998).

Examples
--------
>>> import incentive_geometry as ig
>>> from incentive_geometry.solvers.structure import circuits
>>> m = ig.Model.from_equations({"x": "1/(1 + y**2) - x", "y": "1/(1 + x**2) - y"},
...                             parameters={}, states={"x": {"domain": "positive"},
...                                                    "y": {"domain": "positive"}})
>>> [(c.nodes, c.sign) for c in circuits(m)]
[(('x',), '-'), (('x', 'y'), '+'), (('y',), '-')]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import sympy
from scipy.optimize import brentq

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Domain, Model
from incentive_geometry.solvers.numeric.compile import compile_model, resolve_params
from incentive_geometry.solvers.numeric.newton import search_box
from incentive_geometry.solvers.symbolic.conditions import (
    ZeroTest,
    domain_map,
    expression_size,
    generic_sign,
    strict,
)
from incentive_geometry.solvers.symbolic.hurwitz import coefficients, hurwitz_determinants

__all__ = [
    "Circuit",
    "SpectralThreshold",
    "ThomasReport",
    "circuits",
    "interaction_graph",
    "spectral_abscissa",
    "spectral_threshold",
    "structural_model",
    "thomas_report",
]

# States drawn (seeded) when a sign is decided numerically over the state box, besides a
# lattice of about _LATTICE points (models of up to six states).
_SAMPLES = 512
_LATTICE = 4096
# Relative size below which a sampled Jacobian entry counts as zero.
_ZERO_REL = 1e-12
# Circuits listed at most (their number can grow exponentially with the states).
_CIRCUIT_LIMIT = 10_000

_SIGN_TEXT = {1: "+", -1: "-"}
# Functions that make a right-hand side non-differentiable somewhere (Thomas' rules need C^1).
_NOT_SMOOTH = (
    sympy.Piecewise,
    sympy.Heaviside,
    sympy.sign,
    sympy.Abs,
    sympy.floor,
    sympy.ceiling,
    sympy.Min,
    sympy.Max,
)
# Jacobian entries up to this size, in at most this many symbols, are factored for display
# (factoring cost grows fast with the number of symbols).
_FACTOR_SIZE = 150
_FACTOR_SYMBOLS = 6


def structural_model(model: Model) -> Model:
    """The model whose Jacobian the interaction graph reads.

    Flows are taken as they are; a map ``x' = f(x)`` becomes ``F = f(x) - x`` (same fixed
    points); a model on the simplex is reduced by eliminating its first state.

    Parameters
    ----------
    model : Model

    Returns
    -------
    Model

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.structure import structural_model
    >>> m = ig.Model.from_equations({"x": "r*x*(1 - x)"}, parameters={"r": 3}, time="discrete")
    >>> structural_model(m).rhs
    (r*x*(1 - x) - x,)
    """
    work = model.reduce_simplex(model.state_names[0]) if model.simplex else model
    if work.time == "discrete":
        work = Model(
            states=work.states,
            parameters=work.parameters,
            rhs=tuple(f - s for f, s in zip(work.rhs, work.states, strict=True)),
            time="continuous",
            name=work.name,
            state_domains=work.state_domains,
            state_meanings=work.state_meanings,
            constraints=work.constraints,
        )
    return work


def _readable(entry: Any) -> Any:
    # Small entries are factored (x (1 - x) G'(x) ... reads better than its expansion).
    if (
        len(entry.free_symbols) <= _FACTOR_SYMBOLS
        and expression_size(entry, _FACTOR_SIZE) <= _FACTOR_SIZE
    ):
        return sympy.factor(entry)
    return entry


def _short(expr: Any, width: int = 70) -> str:
    text = str(expr)
    return text if len(text) <= width else text[: width - 3] + "..."


def _sample_states(
    work: Model, bounds: Mapping[str, tuple[float, float]] | None, seed: int
) -> np.ndarray[Any, Any]:
    """A lattice of the open state box (odd points per side, so its centre is in) and
    seeded uniform points."""
    lo, hi = search_box(work, bounds)
    n = len(lo)
    # Open box: a margin keeps samples off the boundary, where factors like x (1 - x) vanish.
    margin = 1e-6 * (hi - lo)
    a, b = lo + margin, hi - margin
    per_side = max(3, int(_LATTICE ** (1.0 / n)) // 2 * 2 + 1) if n <= 6 else 0
    parts = []
    if per_side:
        axes = [np.linspace(a[k], b[k], per_side) for k in range(n)]
        parts.append(np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, n))
    rng = np.random.default_rng(seed)
    parts.append(a + rng.random((_SAMPLES, n)) * (b - a))
    return np.concatenate(parts)


def interaction_graph(
    model: Model,
    params: Mapping[str, float] | None = None,
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    seed: int = 0,
) -> nx.DiGraph:
    """The signed interaction graph of a model's Jacobian.

    Parameters
    ----------
    model : Model
    params : mapping of str to float, optional
        The parameter point for signs decided numerically (defaults otherwise).
    bounds : mapping of state name to (lo, hi), optional
        The state box for numerical signs (default: the states' domains, as
        :func:`~incentive_geometry.solvers.numeric.equilibria.find_equilibria` uses).
    seed : int
        Seed of the sampled states.

    Returns
    -------
    networkx.DiGraph
        Nodes: state names (of :func:`structural_model`). Edge ``j -> i`` when ``dF_i/dx_j`` is
        not identically zero, with ``sign`` (``"+"``, ``"-"`` or ``"±"``), ``origin``
        (``"symbolic"``: decided for every parameter and state in their domains;
        ``"numeric"``: at the parameter point, over sampled states) and ``entry`` (the sympy
        expression). ``graph.graph`` holds ``model``, ``time``, ``params`` and ``reduced`` (the
        state eliminated from a simplex model, or None).

    Raises
    ------
    ModelError
        When a sign must be decided numerically and a parameter has no value.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.solvers.structure import interaction_graph
    >>> g = interaction_graph(entrenchment())
    >>> dict(g.edges["x", "x"]) | {"entry": "..."}
    {'sign': '±', 'origin': 'numeric', 'entry': '...'}
    """
    if not isinstance(model, Model):
        raise ModelError(f"`model` must be a Model, got {model!r:.60} ({type(model).__name__})")
    work = structural_model(model)
    states = list(work.states)
    domains: dict[Any, Domain] = domain_map(work)
    domains.update(zip(states, work.state_domains, strict=True))
    zero = ZeroTest(domains)
    J = sympy.Matrix(work.rhs).jacobian(states).applyfunc(_readable)
    g = nx.DiGraph(
        model=model.name, time=model.time, reduced=(model.state_names[0] if model.simplex else None)
    )
    for s, meaning in zip(work.state_names, work.state_meanings, strict=True):
        g.add_node(s, meaning=meaning)
    undecided: list[tuple[int, int]] = []
    for i in range(len(states)):
        for j in range(len(states)):
            entry = J[i, j]
            if entry == 0 or zero.is_zero(entry):
                continue
            sign = generic_sign(entry, domains)
            if sign in (1, -1):
                g.add_edge(
                    work.state_names[j],
                    work.state_names[i],
                    sign=_SIGN_TEXT[sign],
                    origin="symbolic",
                    entry=entry,
                )
            else:
                undecided.append((i, j))
    used: dict[str, float] = {}
    if undecided:
        used = resolve_params(work, params)
        cm = compile_model(work)
        xs = _sample_states(work, bounds, seed)
        with np.errstate(all="ignore"):
            jac = cm.jac(xs, cm.param_vector(used))
        for i, j in undecided:
            vals = jac[:, i, j]
            vals = vals[np.isfinite(vals)]
            scale = float(np.max(np.abs(vals))) if vals.size else 0.0
            if scale == 0.0:
                continue  # zero at this parameter point
            big = vals[np.abs(vals) > _ZERO_REL * scale]
            pos, neg = bool(np.any(big > 0)), bool(np.any(big < 0))
            sign_text = "±" if pos and neg else ("+" if pos else "-")
            g.add_edge(
                work.state_names[j],
                work.state_names[i],
                sign=sign_text,
                origin="numeric",
                entry=J[i, j],
            )
    elif params:
        used = resolve_params(work, params)
    g.graph["params"] = used
    return g


@dataclass(frozen=True)
class Circuit:
    """A circuit (cycle) of an interaction graph.

    Attributes
    ----------
    nodes : tuple of str
        The states around the circuit, ``nodes[k] -> nodes[k + 1] -> ... -> nodes[0]``.
    sign : {"+", "-", "±"}
        Product of the edge signs (``"±"`` when an edge changes sign).
    gain : sympy.Expr
        The loop gain: product of the Jacobian entries along the circuit.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.structure import Circuit
    >>> str(Circuit(("x", "y"), "+", sympy.Integer(4)))
    'x -> y -> x  (+, length 2, loop gain 4)'
    """

    nodes: tuple[str, ...]
    sign: str
    gain: Any = field(compare=False)

    @property
    def length(self) -> int:
        """Number of edges."""
        return len(self.nodes)

    def may_be(self, sign: str) -> bool:
        """Whether the circuit is, or may be (sign ``"±"``), of the given sign.

        Parameters
        ----------
        sign : {"+", "-"}

        Returns
        -------
        bool

        Examples
        --------
        >>> from incentive_geometry.solvers.structure import Circuit
        >>> Circuit(("x",), "±", 0).may_be("+")
        True
        """
        return self.sign in (sign, "±")

    def __str__(self) -> str:
        path = " -> ".join((*self.nodes, self.nodes[0]))
        return f"{path}  ({self.sign}, length {self.length}, loop gain {_short(self.gain)})"


def circuits(
    model: Model | nx.DiGraph,
    params: Mapping[str, float] | None = None,
    *,
    limit: int = _CIRCUIT_LIMIT,
) -> list[Circuit]:
    """All circuits of a model's signed interaction graph, self-loops included.

    Parameters
    ----------
    model : Model or networkx.DiGraph
        A model, or its graph from :func:`interaction_graph`.
    params : mapping of str to float, optional
        Passed to :func:`interaction_graph`.
    limit : int
        At most this many circuits are listed (a :class:`ModelError` past it).

    Returns
    -------
    list of Circuit
        Sorted by their node tuples; each circuit starts at its smallest node.

    Raises
    ------
    ModelError
        When the graph has more than `limit` circuits.

    References
    ----------
    .. [1] D. B. Johnson, Finding all the elementary circuits of a directed graph, SIAM J.
       Comput. 4 (1975) 77-84 (the algorithm of ``networkx.simple_cycles``).

    Examples
    --------
    >>> from incentive_geometry.theory import nested_objectives
    >>> from incentive_geometry.solvers.structure import circuits
    >>> [str(c) for c in circuits(nested_objectives(2))]
    ['a_1 -> a_1  (-, length 1, loop gain -k)', 'a_2 -> a_2  (-, length 1, loop gain -k)']
    """
    g = model if isinstance(model, nx.DiGraph) else interaction_graph(model, params)
    found, truncated = _enumerate(g, limit)
    if truncated:
        raise ModelError(
            f"the interaction graph has more than `limit` = {limit} circuits; raise `limit`"
        )
    return found


def _enumerate(g: nx.DiGraph, limit: int) -> tuple[list[Circuit], bool]:
    """At most `limit` circuits, sorted, and whether there were more."""
    out: list[Circuit] = []
    truncated = False
    for cycle in nx.simple_cycles(g):
        if len(out) >= limit:
            truncated = True
            break
        k = cycle.index(min(cycle))
        nodes = tuple(cycle[k:] + cycle[:k])
        edges = list(zip(nodes, (*nodes[1:], nodes[0]), strict=True))
        signs = [g.edges[u, v]["sign"] for u, v in edges]
        sign = "±" if "±" in signs else ("+" if signs.count("-") % 2 == 0 else "-")
        gain = sympy.Mul(*(g.edges[u, v]["entry"] for u, v in edges))
        out.append(Circuit(nodes, sign, gain))
    return sorted(out, key=lambda c: c.nodes), truncated


@dataclass(frozen=True)
class ThomasReport:
    """What the circuits of a model's interaction graph allow (Thomas' rules).

    Attributes
    ----------
    model : str
        The model's name.
    time : str
    graph : networkx.DiGraph
        The signed interaction graph.
    circuits : tuple of Circuit
        The circuits listed (at most `limit` of :func:`thomas_report`).
    truncated : bool
        The graph has more circuits than were listed; a rule that needs the absence of a
        circuit then concludes nothing unless one was found.
    multistationarity_excluded : bool
        No circuit is or may be positive: at most one nondegenerate equilibrium (Soule 2003).
    oscillation_excluded : bool or None
        No circuit of length >= 2 is or may be negative: no stable periodic orbit (Snoussi
        1998, Gouze 1998). None for maps, where the rule does not apply.
    numeric_signs : int
        Edges whose sign was decided numerically at the parameter point (the conclusions then
        hold at that point, over the sampled states).
    conclusions : tuple of str
        The conclusions in words.

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.solvers.structure import thomas_report
    >>> thomas_report(entrenchment()).multistationarity_excluded
    False
    """

    model: str
    time: str
    graph: Any = field(repr=False, compare=False)
    circuits: tuple[Circuit, ...]
    truncated: bool
    multistationarity_excluded: bool
    oscillation_excluded: bool | None
    numeric_signs: int
    conclusions: tuple[str, ...]

    @property
    def positive(self) -> tuple[Circuit, ...]:
        """Circuits that are or may be positive."""
        return tuple(c for c in self.circuits if c.may_be("+"))

    @property
    def negative(self) -> tuple[Circuit, ...]:
        """Circuits that are or may be negative."""
        return tuple(c for c in self.circuits if c.may_be("-"))

    def __str__(self) -> str:
        g = self.graph
        reduced = g.graph.get("reduced")
        head = [
            f"interaction graph of `{self.model}` ({self.time} time): "
            f"{g.number_of_nodes()} states, {g.number_of_edges()} edges"
            + (f" (on the simplex, `{reduced}` eliminated)" if reduced else "")
        ]
        if self.time == "discrete":
            head.append("  (a map x' = f(x): the graph of f(x) - x, whose zeros are fixed points)")
        head.append("edges:")
        for u, v, d in sorted(g.edges(data=True)):
            head.append(
                f"  {u} -> {v}  {d['sign']}  ({d['origin']}; dF_{v}/d{u} = {_short(d['entry'])})"
            )
        more = " (more not listed)" if self.truncated else ""
        head.append(f"circuits ({len(self.circuits)}{more}):")
        head.extend(f"  {c}" for c in self.circuits)
        if not self.circuits:
            head.append("  none")
        if self.numeric_signs:
            params = ", ".join(f"{k}={v:g}" for k, v in g.graph.get("params", {}).items())
            head.append(
                f"{self.numeric_signs} sign(s) decided numerically at {params or 'the point'}"
                " over sampled states"
            )
        head.append("Thomas' rules:")
        head.extend(f"  - {c}" for c in self.conclusions)
        return "\n".join(head)


def thomas_report(
    model: Model,
    params: Mapping[str, float] | None = None,
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    limit: int = _CIRCUIT_LIMIT,
) -> ThomasReport:
    """Thomas' rules on a model's circuits: what its feedback structure allows.

    Parameters
    ----------
    model : Model
    params : mapping of str to float, optional
        The parameter point for numerically decided signs.
    bounds : mapping of state name to (lo, hi), optional
        The state box for numerically decided signs.
    limit : int
        Circuits listed at most; past it the report says the list is truncated.

    Returns
    -------
    ThomasReport

    Notes
    -----
    Soule's theorem: if, for every state of an open box, the interaction graph of ``F'(x)`` has
    no positive circuit, ``F`` is injective on it, so it has at most one zero. Applied to
    ``-F`` (same zeros; a circuit of length k changes sign by ``(-1)^k``) it also excludes
    multistationarity when every circuit of even length is negative and every circuit of odd
    length positive; the report uses both readings. Signs decided numerically make the
    conclusion hold at the parameter point over the sampled states, not as a proof.

    References
    ----------
    .. [1] R. Thomas, On the relation between the logical structure of systems and their
       ability to generate multiple steady states or sustained oscillations, Springer Series
       in Synergetics 9 (1981) 180-193.
    .. [2] C. Soule, Graphic requirements for multistationarity, ComPlexUs 1 (2003) 123-133.
    .. [3] E. H. Snoussi, Necessary conditions for multistationarity and stable periodicity,
       J. Biol. Syst. 6 (1998) 3-9.
    .. [4] J.-L. Gouze, Positive and negative circuits in dynamical systems, J. Biol. Syst. 6
       (1998) 11-15.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.solvers.structure import thomas_report
    >>> m = ig.Model.from_equations({"x": "-x + y", "y": "-x - y"}, parameters={})
    >>> print(thomas_report(m).conclusions[0])
    no positive circuit: at most one nondegenerate equilibrium (Soule 2003)
    """
    g = interaction_graph(model, params, bounds=bounds)
    listed, truncated = _enumerate(g, limit)
    found = tuple(listed)
    positive = [c for c in found if c.may_be("+")]
    # -F: a circuit of length k has sign (-1)^k times its sign in F.
    positive_neg = [c for c in found if c.sign == "±" or (c.sign == "+") == (c.length % 2 == 0)]
    work = structural_model(model)
    smooth = not any(e.has(*_NOT_SMOOTH) for e in work.rhs)
    # A truncated list may miss the circuit that decides: then nothing is excluded.
    excluded = smooth and not truncated and (not positive or not positive_neg)
    numeric = sum(1 for *_, o in g.edges(data="origin") if o == "numeric")
    text: list[str] = []
    if not smooth:
        text.append(
            "the right-hand side is not differentiable everywhere (piecewise, sign, abs, min, "
            "max...): Thomas' rules assume a differentiable F and conclude nothing here"
        )
    elif truncated and not positive:
        text.append(
            f"more than {limit} circuits and no positive one among the first {limit}: "
            "multistationarity is not excluded (raise `limit`)"
        )
    elif not positive:
        text.append("no positive circuit: at most one nondegenerate equilibrium (Soule 2003)")
    elif not positive_neg:
        text.append(
            "every positive circuit has odd length and no circuit of even length is positive: "
            "-F has no positive circuit, so at most one nondegenerate equilibrium (Soule 2003)"
        )
    else:
        names = "; ".join(" -> ".join(c.nodes) + f" ({c.sign})" for c in positive[:4])
        text.append(
            f"positive circuit(s) {names}: multistationarity is possible (necessary "
            "condition met, Thomas 1981 / Soule 2003)"
        )
    oscillation: bool | None
    if not smooth:
        oscillation = None
    elif model.time == "discrete":
        oscillation = None
        text.append("maps: the negative-circuit rule for oscillation does not apply")
    else:
        long_negative = [c for c in found if c.length >= 2 and c.may_be("-")]
        oscillation = not long_negative and not truncated
        if truncated and not long_negative:
            text.append(
                f"more than {limit} circuits and no negative one of length >= 2 among the first "
                f"{limit}: oscillation is not excluded (raise `limit`)"
            )
        elif oscillation:
            text.append(
                "no negative circuit of length >= 2: no stable periodic orbit (Snoussi 1998, "
                "Gouze 1998)"
            )
        else:
            names = "; ".join(" -> ".join(c.nodes) + f" ({c.sign})" for c in long_negative[:4])
            text.append(
                f"negative circuit(s) of length >= 2 {names}: sustained oscillation is "
                "possible (necessary condition met, Thomas 1981 / Snoussi 1998)"
            )
    return ThomasReport(
        model=model.name,
        time=model.time,
        graph=g,
        circuits=found,
        truncated=truncated,
        multistationarity_excluded=excluded,
        oscillation_excluded=oscillation,
        numeric_signs=numeric,
        conclusions=tuple(text),
    )


# --------------------------------------------------------------------------------------------
# Spectral threshold of a linear reinforcement network


def spectral_abscissa(matrix: Any) -> float:
    """The largest real part of the eigenvalues of a numerical square matrix.

    Parameters
    ----------
    matrix : array_like of shape (n, n)

    Returns
    -------
    float

    Examples
    --------
    >>> from incentive_geometry.solvers.structure import spectral_abscissa
    >>> round(spectral_abscissa([[0.0, 1.0], [-1.0, -0.5]]), 12)
    -0.25
    """
    a = np.asarray(matrix, dtype=float)
    return float(np.max(np.linalg.eigvals(a).real))


@dataclass(frozen=True)
class SpectralThreshold:
    """Where the spectral abscissa of a gain matrix crosses zero as one parameter moves.

    Attributes
    ----------
    parameter : str
    values : tuple of float
        The crossings inside `p_range`, increasing.
    expressions : tuple of sympy.Expr or None
        A closed form of each crossing (in the other parameters), None where none was found.
    directions : tuple of str
        ``"loses stability"`` or ``"gains stability"`` as the parameter increases through it.
    method : {"eigenvalues", "charpoly", "numeric"}
        How the closed forms were found: from eigenvalues (a triangular matrix), from the
        characteristic polynomial (``det = 0`` or the Hurwitz determinant ``Delta_{n-1} =
        0``), or none (every crossing located by brentq on the spectral abscissa; always so
        for a matrix with floating-point entries).
    matrix : sympy.Matrix
        The gain matrix.
    p_range : tuple of float

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.solvers.structure import spectral_threshold
    >>> g = sympy.Symbol("g")
    >>> st = spectral_threshold(sympy.Matrix([[-1, g], [g, -1]]), "g", p_range=(0, 3))
    >>> st.values, st.expressions, st.directions
    ((1.0,), (1,), ('loses stability',))
    """

    parameter: str
    values: tuple[float, ...]
    expressions: tuple[Any, ...]
    directions: tuple[str, ...]
    method: str
    matrix: Any = field(repr=False, compare=False)
    p_range: tuple[float, float] = (0.0, 1.0)

    def __str__(self) -> str:
        if not self.values:
            return (
                f"the spectral abscissa does not cross zero for {self.parameter} in "
                f"[{self.p_range[0]:g}, {self.p_range[1]:g}]"
            )
        lines = [f"spectral threshold in `{self.parameter}` ({self.method}):"]
        for v, e, d in zip(self.values, self.expressions, self.directions, strict=True):
            closed = "" if e is None else f" = {e}"
            lines.append(f"  {self.parameter}{closed} = {v:.10g}: the aligned state {d}")
        return "\n".join(lines)


def _gain_matrix(
    source: Any,
    parameter: str,
    params: Mapping[str, float] | None,
    at: Mapping[str, float] | None,
) -> tuple[Any, Any, dict[Any, float], Domain | None]:
    """(matrix, parameter symbol, values of the other symbols, parameter domain)."""
    if isinstance(source, Model):
        work = structural_model(source)
        if parameter not in work.parameter_names:
            raise ModelError(
                f"`parameter` {parameter!r} is not a parameter of model `{work.name}` "
                f"(parameters: {', '.join(work.parameter_names)})"
            )
        point = {s: sympy.Integer(0) for s in work.states}
        for k, v in (at or {}).items():
            if k not in work.state_names:
                raise ModelError(
                    f"`at` names `{k}`, which is not a state of `{work.name}` (states: "
                    f"{', '.join(work.state_names)}; a simplex model has its first state "
                    "eliminated)"
                )
            point[work.symbol(k)] = strict(v)
        J = sympy.Matrix(work.rhs).jacobian(list(work.states)).xreplace(point)
        values = resolve_params(work, params, free=(parameter,))
        sym = work.symbol(parameter)
        return (
            J,
            sym,
            {work.symbol(k): float(v) for k, v in values.items()},
            work.parameter(parameter).domain,
        )
    try:
        M = sympy.Matrix(source)
    except (TypeError, ValueError, sympy.SympifyError):
        raise ModelError(
            f"`gain_matrix_or_model` must be a Model or a square matrix, got {source!r:.60}"
        ) from None
    if not M.is_square or M.rows == 0:
        raise ModelError(f"`gain_matrix_or_model` must be square, got shape {M.shape}")
    by_name = {s.name: s for s in M.free_symbols}
    if parameter not in by_name:
        raise ModelError(
            f"`parameter` {parameter!r} does not appear in the matrix (symbols: "
            f"{', '.join(sorted(by_name)) or 'none'})"
        )
    given = dict(params or {})
    missing = sorted(set(by_name) - set(given) - {parameter})
    if missing:
        raise ModelError(
            f"the matrix has symbols {', '.join(f'`{m}`' for m in missing)} without a value; "
            f"pass params={{'{missing[0]}': ...}}"
        )
    return (
        M,
        by_name[parameter],
        {by_name[k]: float(v) for k, v in given.items() if k in by_name},
        None,
    )


def _range(
    p_range: tuple[float, float] | None, domain: Domain | None, parameter: str
) -> tuple[float, float]:
    if p_range is not None:
        lo, hi = (float(v) for v in p_range)
    elif domain is not None and domain.kind == "interval":
        lo, hi = float(domain.lo), float(domain.hi)  # type: ignore[arg-type]
    elif domain is not None and domain.kind in ("positive", "nonnegative"):
        lo, hi = 0.0, 10.0
    elif domain is not None:
        lo, hi = -10.0, 10.0
    else:
        raise ModelError(f"give `p_range` = (lo, hi) for `{parameter}` when passing a matrix")
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ModelError(f"`p_range` = ({lo}, {hi}) must be finite with lo < hi")
    return lo, hi


def _closed_forms(M: Any, p: Any) -> tuple[list[Any], str]:
    """Candidate crossings in closed form, and the method that produced them."""
    n = M.rows
    if M.atoms(sympy.Float):
        # Floating-point entries: a closed form would only restate the numbers.
        return [], "numeric"
    lam = sympy.Symbol("lambda")
    real_p = sympy.Symbol(p.name, real=True)
    Mr = M.xreplace({p: real_p})
    try:
        if Mr.is_lower or Mr.is_upper:
            # Triangular: the eigenvalues are the diagonal, each real.
            cands = [s for k in range(n) for s in sympy.solve(Mr[k, k], real_p)]
            return [c for c in cands if c.is_real is not False], "eigenvalues"
        # A real eigenvalue crosses zero where det = 0; a complex pair crosses the imaginary
        # axis where the Hurwitz determinant Delta_{n-1} vanishes (Gantmacher, ch. XV).
        poly = (lam * sympy.eye(n) - Mr).det(method="berkowitz")
        coeffs = coefficients(sympy.expand(poly), lam)
        eqs = [coeffs[-1]]
        if n >= 2:
            eqs.append(hurwitz_determinants(coeffs)[n - 2])
        cands = []
        for e in eqs:
            e = sympy.factor(e)
            if e.has(real_p):
                cands.extend(sympy.solve(e, real_p))
        return [c.xreplace({real_p: p}) for c in cands if c.is_real is not False], "charpoly"
    except (NotImplementedError, ValueError, TypeError):
        return [], "numeric"


def spectral_threshold(
    gain_matrix_or_model: Any,
    parameter: str,
    *,
    params: Mapping[str, float] | None = None,
    at: Mapping[str, float] | None = None,
    p_range: tuple[float, float] | None = None,
    grid: int = 401,
) -> SpectralThreshold:
    """Where a linear reinforcement network's aligned state loses (or gains) stability.

    The aligned state of ``dw/dt = A(p) w`` is stable while the spectral abscissa of the gain
    matrix ``A(p)`` (its largest eigenvalue real part) is negative; the threshold is where it
    crosses zero.

    Parameters
    ----------
    gain_matrix_or_model : Model or square matrix (sympy or nested lists)
        The gain matrix; a Model stands for its Jacobian at `at` (default: every state 0; a
        model on the simplex has its first state eliminated, so 0 is that state's vertex).
    parameter : str
        The parameter that moves.
    params : mapping of str to float, optional
        Values of the other parameters (defaults of a Model otherwise; every other symbol of a
        matrix needs one).
    at : mapping of str to float, optional
        The state of a Model at which the Jacobian is taken.
    p_range : (float, float), optional
        Where to look (default: the parameter's domain, ``[0, 10]`` for a positive one).
    grid : int
        Points of the scan that brackets the crossings.

    Returns
    -------
    SpectralThreshold

    Raises
    ------
    ModelError
        For an unknown parameter or state, a non-square matrix, or missing values.

    Notes
    -----
    Every crossing is located numerically (brentq on the spectral abscissa between scan points
    where its sign changes); closed forms come from the diagonal of a triangular matrix or
    from ``det A = 0`` and ``Delta_{n-1} = 0`` of the characteristic polynomial, solved for the
    parameter, and are attached to the crossings they match. A crossing that only touches zero
    without a sign change between scan points is not reported.

    References
    ----------
    .. [1] F. R. Gantmacher, *The Theory of Matrices*, vol. 2, ch. XV (Routh-Hurwitz).
    .. [2] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025 (the aligned-state threshold ``theta = alpha b / (alpha b + c)``).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment
    >>> from incentive_geometry.solvers.structure import spectral_threshold
    >>> st = spectral_threshold(entrenchment(), "theta")
    >>> st.expressions[0], round(st.values[0], 12)
    (alpha*b/(alpha*b + c), 0.166666666667)
    """
    M, p, values, domain = _gain_matrix(gain_matrix_or_model, parameter, params, at)
    lo, hi = _range(p_range, domain, parameter)
    others = {s: v for s, v in values.items() if s != p}
    numeric = M.xreplace({s: sympy.Float(v, 17) for s, v in others.items()})
    f = sympy.lambdify([p], numeric, modules="numpy")

    def abscissa(value: float) -> float:
        with np.errstate(all="ignore"):
            a = np.asarray(f(value), dtype=float)
        if not np.all(np.isfinite(a)):
            return math.nan
        return spectral_abscissa(a)

    ps = np.linspace(lo, hi, max(int(grid), 3))
    ab = np.array([abscissa(float(v)) for v in ps])
    scale = max(1.0, float(np.nanmax(np.abs(ab))) if np.any(np.isfinite(ab)) else 1.0)
    crossings: list[float] = []
    directions: list[str] = []
    finite = [k for k in range(len(ps)) if math.isfinite(ab[k])]
    for k0, k1 in itertools.pairwise(finite):
        a0, a1 = ab[k0], ab[k1]
        if a0 == 0.0:
            continue  # counted with the interval that ends on it
        if a1 == 0.0:
            # A scan point on the threshold: a crossing when the sign differs beyond it.
            later = [ab[k] for k in finite if k > k1 and ab[k] != 0.0]
            if later and a0 * later[0] < 0:
                crossings.append(float(ps[k1]))
                directions.append("loses stability" if a0 < 0 else "gains stability")
            continue
        if a0 * a1 < 0:
            crossings.append(float(brentq(abscissa, ps[k0], ps[k1], xtol=1e-14, rtol=1e-13)))
            directions.append("loses stability" if a0 < 0 else "gains stability")
    forms, method = _closed_forms(M, p)
    exprs: list[Any] = []
    for root in crossings:
        match = None
        for form in forms:
            try:
                val = complex(
                    form.xreplace({s: sympy.Float(v, 30) for s, v in others.items()}).evalf(30)
                )
            except (TypeError, ValueError):
                continue
            if (
                abs(val.imag) < 1e-9 * (1 + abs(val.real))
                and abs(val.real - root) < 1e-7 * (1 + abs(root)) * scale
            ):
                match = sympy.simplify(form)
                # The closed form gives the crossing to full precision.
                crossings[crossings.index(root)] = float(val.real)
                break
        exprs.append(match)
    if not crossings or any(e is None for e in exprs):
        method = "numeric" if not any(e is not None for e in exprs) else method
    return SpectralThreshold(
        parameter=parameter,
        values=tuple(crossings),
        expressions=tuple(exprs),
        directions=tuple(directions),
        method=method if crossings else "numeric",
        matrix=M,
        p_range=(lo, hi),
    )
