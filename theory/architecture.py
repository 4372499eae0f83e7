"""Architecture graphs: a recursive optimizer drawn as a ``networkx.DiGraph``, and its model.

A base optimizer (the *principal*) reinforces the *routines* of a learned model. Each routine
is rewarded by *proxy signals* (with the principal's gain ``alpha``), and its influence may feed
back into its own (or another routine's) proxy capture; *auditors* show the principal true
outcomes with some observability ``theta``, and then the routine's true value counts instead.

Schema
------
Every node has a ``role``; every edge a ``kind``.

========== =================================================================================
role       meaning and attributes
========== =================================================================================
principal  the base optimizer, exactly one; ``gain``: weight of proxy reinforcement relative
           to penalties (``alpha``, default domain ``positive``)
routine    a routine competing for influence, at least two; its share is a state
proxy      a proxy signal the principal reinforces on
auditor    someone who sees true outcomes
========== =================================================================================

=========== ======================= =================================================================
kind        from -> to              meaning and attributes
=========== ======================= =================================================================
reinforces  proxy -> routine        ``sign`` (+1 or -1), ``weight`` ``b``: proxy reward the routine
                                    captures without true value; enters as ``alpha (1 - theta)``
                                    ``sign b``
reinforces  principal -> routine    ``sign``, ``weight`` ``c``: the routine's true value (sign +1) or
                                    cost (sign -1) relative to the baseline; enters as ``theta``
                                    ``sign c``
feeds_back  routine -> routine      ``weight`` ``gamma``: the source's influence raises the target's
                                    proxy capture (a self-loop: recursive feedback); enters as
                                    ``alpha (1 - theta) gamma w_source``
observes    auditor -> principal    ``observability`` ``theta`` in ``[0, 1]``: the auditor shows
                                    the principal true outcomes with that probability
observes    auditor -> auditor      the source audits the target: a report reaches the principal
                                    along a chain with the product of the observabilities
=========== ======================= =================================================================

A value (``gain``, ``weight``, ``observability``) is a number, which enters the equations
exactly, or a parameter name; a parameter may carry ``default``, ``domain`` (``"positive"``,
``"nonnegative"``, ``"real"`` or ``"[lo, hi]"``) and ``meaning`` attributes on the same node or
edge. The observability the principal has is ``theta = 1 - prod_paths (1 - theta_path)`` over
every path of ``observes`` edges from an auditor to the principal, ``theta_path`` the product of
the observabilities along it (independent audits; an auditor others report to also counts with
its own path); with one auditor it is that auditor's ``theta``. Routine ``i``'s payoff is

    s_i = alpha (1 - theta) (sum_proxies sign b_i + sum_j gamma_ji w_j) + theta sum sign c_i,

and the shares follow the replicator dynamics ``dw_i/dt = w_i (s_i - sum_j w_j s_j)``. With two
routines (unless ``graph.graph["form"] == "simplex"``) the model is written in the share ``x``
of the second routine: ``dx/dt = x (1 - x) (s_2 - s_1)``, the canonical model of DESIGN.md.

Examples
--------
>>> import sympy
>>> from incentive_geometry.theory import canonical_architecture, entrenchment, to_model
>>> m = to_model(canonical_architecture())
>>> sympy.simplify(m.rhs[0] - entrenchment().rhs[0])
0
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.language import exact_number, validate_name
from incentive_geometry.model import Domain, Model, Parameter

from ._build import PAPER, check_int, state

__all__ = [
    "EDGE_KINDS",
    "ROLES",
    "architecture_n",
    "canonical_architecture",
    "read_architecture",
    "to_model",
    "validate_architecture",
    "write_architecture",
]

#: Node roles of an architecture graph and what each means.
ROLES: dict[str, str] = {
    "principal": "the base optimizer that reinforces routines (attribute `gain`: alpha)",
    "routine": "a routine of the learned model competing for influence (its share is a state)",
    "proxy": "a proxy signal the principal reinforces on",
    "auditor": "someone who shows the principal true outcomes",
}

#: Edge kinds of an architecture graph: kind -> allowed (source role, target role) pairs.
EDGE_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "reinforces": (("proxy", "routine"), ("principal", "routine")),
    "feeds_back": (("routine", "routine"),),
    "observes": (("auditor", "principal"), ("auditor", "auditor")),
}

# The value attribute of each element, its default when a parameter has none, its domain.
_VALUE_OF: dict[Any, tuple[str, float, str]] = {
    "principal": ("gain", 1.0, "positive"),
    ("reinforces", "proxy"): ("weight", 0.2, "nonnegative"),
    ("reinforces", "principal"): ("weight", 1.0, "nonnegative"),
    "feeds_back": ("weight", 1.0, "nonnegative"),
    "observes": ("observability", 0.3, "[0, 1]"),
}
_MEANING = {
    "principal": "gain on proxy reinforcement relative to penalties (asymmetric reinforcement)",
    ("reinforces", "proxy"): "proxy reward captured without true value (local proxy)",
    ("reinforces", "principal"): "true value or cost relative to the baseline routine",
    "feeds_back": "how much influence raises proxy capture (recursive feedback)",
    "observes": "observability of true outcomes (partial observability)",
}


def _where_node(node: Any) -> str:
    return f"node `{node}`"


def _where_edge(u: Any, v: Any) -> str:
    return f"edge `{u}` -> `{v}`"


def _parse_domain(spec: Any, where: str) -> Domain:
    if isinstance(spec, str) and spec.strip().startswith("["):
        parts = spec.strip().strip("[]").split(",")
        if len(parts) != 2:
            raise ModelError(f"{where}: domain {spec!r} must read like '[0, 1]'")
        try:
            bounds = [float(p) for p in parts]
        except ValueError:
            raise ModelError(f"{where}: domain {spec!r} must read like '[0, 1]'") from None
        return Domain.parse(bounds, what=f"{where}: domain")
    return Domain.parse(spec, what=f"{where}: domain")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Value:
    """A value of the graph: an exact number, or a parameter."""

    expr: Any
    parameter: Parameter | None = None


def _value(attrs: Mapping[str, Any], key: str, where: str, default: float, domain: str) -> _Value:
    raw = attrs.get(key)
    if raw is None:
        raise ModelError(
            f"{where} has no `{key}`; give a number or a parameter name, e.g. {key}=0.5"
        )
    if isinstance(raw, str):
        number = _number(raw)
        if number is None:
            name = validate_name(raw.strip(), what=f"parameter of {where}")
            dom = _parse_domain(attrs.get("domain", domain), where)
            dflt = attrs.get("default", default)
            if isinstance(dflt, str):
                dflt = _number(dflt)
            if key == "observability" and not (
                dom.kind == "interval" and dom.lo >= 0 and dom.hi <= 1  # type: ignore[operator]
            ):
                raise ModelError(
                    f"{where}: the domain of observability `{name}` is {dom.to_spec()!r}; an "
                    "observability lies in [0, 1], give domain '[0, 1]'"
                )
            try:
                par = Parameter(name, dflt, dom, str(attrs.get("meaning", "")))
            except ModelError as err:
                raise ModelError(f"{where}: {err.summary}") from None
            return _Value(par.symbol, par)
        raw = number
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ModelError(
            f"{where}: `{key}` must be a number or a parameter name, got {raw!r:.60} "
            f"({type(raw).__name__})"
        )
    exact = exact_number(raw, what=f"{where}: `{key}`")
    dom = _parse_domain(domain, where)
    if not dom.contains(float(exact)):
        raise ModelError(
            f"{where}: `{key}` = {raw!r} is outside {dom.to_spec()!r}; give a value in that range"
        )
    return _Value(exact)


def _role(graph: nx.DiGraph, node: Any) -> str:
    role = graph.nodes[node].get("role")
    if role not in ROLES:
        raise ModelError(
            f"{_where_node(node)} has role {role!r}; a role is one of {', '.join(ROLES)}"
        )
    return str(role)


def _sign(attrs: Mapping[str, Any], where: str) -> int:
    raw = attrs.get("sign", 1)
    if isinstance(raw, str):
        raw = {"+": 1, "-": -1, "+1": 1, "1": 1, "-1": -1}.get(raw.strip(), raw)
    if isinstance(raw, bool) or raw not in (1, -1):
        raise ModelError(f"{where}: `sign` must be +1 or -1, got {raw!r:.60}")
    return int(raw)


def validate_architecture(graph: nx.DiGraph) -> None:
    """Check an architecture graph against the schema; raise naming the node or edge at fault.

    Parameters
    ----------
    graph : networkx.DiGraph
        Nodes with a ``role``, edges with a ``kind`` and their values (see the module's schema).

    Raises
    ------
    ModelError
        For an unknown role or kind, an edge between the wrong roles, a missing or bad value
        (an observability outside ``[0, 1]``, a sign other than +1 / -1), not exactly one
        principal, fewer than two routines, a routine without a reinforcement edge, or a cycle
        of auditors.

    Examples
    --------
    >>> from incentive_geometry.theory import canonical_architecture, validate_architecture
    >>> g = canonical_architecture()
    >>> validate_architecture(g)
    >>> g.edges["auditor", "principal"]["observability"] = 1.5
    >>> validate_architecture(g)
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: edge `auditor` -> `principal`: `observability` = 1.5 is outside [0, 1]; give a value in that range
    """
    if not isinstance(graph, nx.DiGraph) or graph.is_multigraph():
        raise ModelError(
            f"an architecture must be a networkx.DiGraph, got {type(graph).__name__}; build one "
            "with networkx.DiGraph() or canonical_architecture()"
        )
    roles = {node: _role(graph, node) for node in graph.nodes}
    principals = [n for n, r in roles.items() if r == "principal"]
    if len(principals) != 1:
        raise ModelError(
            f"an architecture needs exactly one node with role 'principal', found "
            f"{len(principals)}"
            + (
                f": {', '.join(f'`{p}`' for p in principals)}"
                if principals
                else "; add the base optimizer"
            )
        )
    routines = [n for n, r in roles.items() if r == "routine"]
    if len(routines) < 2:
        raise ModelError(
            f"an architecture needs at least two routines (nodes with role 'routine'), found "
            f"{len(routines)}"
        )
    node_role = "principal"
    _value(graph.nodes[principals[0]], *_value_spec(node_role, principals[0]))
    for u, v, attrs in graph.edges(data=True):
        where = _where_edge(u, v)
        kind = attrs.get("kind")
        if kind not in EDGE_KINDS:
            raise ModelError(f"{where} has kind {kind!r}; a kind is one of {', '.join(EDGE_KINDS)}")
        pair = (roles[u], roles[v])
        if pair not in EDGE_KINDS[kind]:
            allowed = ", ".join(f"{a} -> {b}" for a, b in EDGE_KINDS[kind])
            raise ModelError(f"{where}: a `{kind}` edge goes {allowed}, not {pair[0]} -> {pair[1]}")
        if kind == "reinforces":
            _sign(attrs, where)
        key, default, domain = _edge_value_spec(kind, roles[u])
        _value(attrs, key, where, default, domain)
    for r in routines:
        if not any(graph.edges[u, r].get("kind") == "reinforces" for u in graph.predecessors(r)):
            raise ModelError(
                f"{_where_node(r)} is a routine without a reinforcement edge; add a `reinforces` "
                "edge into it from the principal or a proxy (weight 0 for a baseline routine)"
            )
    auditors = graph.subgraph(n for n, rr in roles.items() if rr == "auditor")
    try:
        cycle = nx.find_cycle(auditors)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        path = " -> ".join(f"`{u}`" for u, _ in cycle) + f" -> `{cycle[0][0]}`"
        raise ModelError(
            f"the auditors {path} form a cycle; auditing must end at the principal, remove one "
            "of these `observes` edges"
        )
    _check_parameters(graph, roles)


def _value_spec(role: str, node: Any) -> tuple[str, str, float, str]:
    key, default, domain = _VALUE_OF[role]
    return key, _where_node(node), default, domain


def _edge_value_spec(kind: str, source_role: str) -> tuple[str, float, str]:
    spec = _VALUE_OF[(kind, source_role)] if kind == "reinforces" else _VALUE_OF[kind]
    return spec


def _elements(graph: nx.DiGraph, roles: Mapping[Any, str]) -> list[tuple[str, Any, _Value]]:
    """(what, element, value) of every valued node and edge, in the parameter order."""
    principal = next(n for n, r in roles.items() if r == "principal")
    out: list[tuple[str, Any, _Value]] = []
    out.append(
        ("gain", principal, _value(graph.nodes[principal], *_value_spec("principal", principal)))
    )
    routines = [n for n, r in roles.items() if r == "routine"]
    observes = [(u, v) for u, v, k in graph.edges(data="kind") if k == "observes"]
    for u, v in observes:
        key, default, domain = _edge_value_spec("observes", "auditor")
        out.append(
            ("observes", (u, v), _value(graph.edges[u, v], key, _where_edge(u, v), default, domain))
        )
    groups: list[tuple[str, list[tuple[Any, Any]]]] = [
        (
            "proxy",
            [
                (u, r)
                for r in routines
                for u in graph.predecessors(r)
                if roles[u] == "proxy" and graph.edges[u, r]["kind"] == "reinforces"
            ],
        ),
        (
            "feeds_back",
            [
                (u, r)
                for r in routines
                for u in graph.predecessors(r)
                if graph.edges[u, r]["kind"] == "feeds_back"
            ],
        ),
        (
            "principal",
            [
                (u, r)
                for r in routines
                for u in graph.predecessors(r)
                if roles[u] == "principal" and graph.edges[u, r]["kind"] == "reinforces"
            ],
        ),
    ]
    for what, edges in groups:
        for u, v in edges:
            kind = graph.edges[u, v]["kind"]
            key, default, domain = _edge_value_spec(kind, roles[u])
            out.append(
                (what, (u, v), _value(graph.edges[u, v], key, _where_edge(u, v), default, domain))
            )
    return out


def _check_parameters(graph: nx.DiGraph, roles: Mapping[Any, str]) -> dict[str, Parameter]:
    """The parameters in order; one name used twice must mean the same parameter."""
    params: dict[str, Parameter] = {}
    where: dict[str, str] = {}
    for _, element, val in _elements(graph, roles):
        p = val.parameter
        if p is None:
            continue
        here = _where_node(element) if not isinstance(element, tuple) else _where_edge(*element)
        if p.name in params:
            old = params[p.name]
            if (old.default, old.domain) != (p.default, p.domain):
                raise ModelError(
                    f"{here}: parameter `{p.name}` has default {p.default} and domain "
                    f"{p.domain.to_spec()!r}, but at {where[p.name]} default {old.default} and "
                    f"domain {old.domain.to_spec()!r}; give them the same values"
                )
            continue
        params[p.name] = p
        where[p.name] = here
    return params


def to_model(graph: nx.DiGraph, *, name: str | None = None) -> Model:
    r"""The replicator-type Model an architecture graph describes.

    Parameters
    ----------
    graph : networkx.DiGraph
        An architecture graph (see the module's schema); it is validated first.
    name : str, optional
        The model's name (default: ``graph.graph["name"]``, else ``"architecture"``).

    Returns
    -------
    Model
        Two routines: the share ``x`` of the second routine in ``[0, 1]`` with
        ``dx/dt = x (1 - x) (s_2 - s_1)``. More routines (or ``graph.graph["form"] ==
        "simplex"``): states ``w_<routine>`` on the simplex, ``dw_i/dt = w_i (s_i - sum_j w_j
        s_j)``.

    Raises
    ------
    ModelError
        When the graph breaks the schema (see :func:`validate_architecture`).

    Notes
    -----
    The canonical two-routine graph gives :func:`~incentive_geometry.theory.entrenchment`,
    and :func:`architecture_n` gives :func:`~incentive_geometry.theory.entrenchment_n`.

    References
    ----------
    .. [1] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025.
    .. [2] J. Hofbauer and K. Sigmund, Evolutionary Games and Population Dynamics, Cambridge
       University Press, 1998.

    Examples
    --------
    >>> from incentive_geometry.theory import canonical_architecture, to_model
    >>> print(to_model(canonical_architecture()).rhs[0])
    x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x) - c*theta)
    """
    validate_architecture(graph)
    roles = {n: str(graph.nodes[n]["role"]) for n in graph.nodes}
    routines = [n for n, r in roles.items() if r == "routine"]
    elements = _elements(graph, roles)
    params = list(_check_parameters(graph, roles).values())
    alpha = elements[0][2].expr
    theta = _observability(graph, roles, {e: v.expr for w, e, v in elements if w == "observes"})
    share = len(routines) == 2 and graph.graph.get("form", "share") != "simplex"
    if share:
        x = state("x")
        w = {routines[0]: 1 - x, routines[1]: x}
    else:
        w = {r: state(f"w_{r}") for r in routines}
    proxy_part: dict[Any, Any] = {r: sympy.Integer(0) for r in routines}
    true_part: dict[Any, Any] = {r: sympy.Integer(0) for r in routines}
    for what, element, val in elements:
        if what in ("gain", "observes"):
            continue
        u, v = element
        if what == "feeds_back":
            proxy_part[v] += val.expr * w[u]
        else:
            sign = _sign(graph.edges[u, v], _where_edge(u, v))
            (proxy_part if what == "proxy" else true_part)[v] += sign * val.expr
    s = {r: alpha * (1 - theta) * proxy_part[r] + theta * true_part[r] for r in routines}
    model_name = name or str(graph.graph.get("name", "architecture"))
    refs = [
        PAPER,
        "J. Hofbauer and K. Sigmund, Evolutionary Games and Population Dynamics, "
        "Cambridge University Press, 1998",
    ]
    description = (
        f"Built from an architecture graph: {len(routines)} routines reinforced by a principal "
        "on proxies (gain alpha) and, with observability theta, on true outcomes."
    )
    if share:
        first, second = routines
        return Model.from_equations(
            {"x": x * (1 - x) * (s[second] - s[first])},
            parameters=params,
            name=model_name,
            states={"x": {"domain": [0, 1], "meaning": f"influence share of routine {second}"}},
            observables={"alignment": 1 - x},
            description=description,
            references=refs,
        )
    mean = sum((w[r] * s[r] for r in routines), sympy.Integer(0))
    return Model.from_equations(
        {f"w_{r}": w[r] * (s[r] - mean) for r in routines},
        parameters=params,
        name=model_name,
        simplex=True,
        states={f"w_{r}": {"meaning": f"influence share of routine {r}"} for r in routines},
        observables={"alignment": w[routines[0]]},
        description=description,
        references=refs,
    )


def _observability(graph: nx.DiGraph, roles: Mapping[Any, str], theta: Mapping[Any, Any]) -> Any:
    """``1 - prod over audit paths (1 - product of observabilities on the path)``."""
    principal = next(n for n, r in roles.items() if r == "principal")
    miss: Any = sympy.Integer(1)
    auditors = [n for n, r in roles.items() if r == "auditor"]
    for a in auditors:
        for path in nx.all_simple_paths(graph, a, principal):
            if any(roles[n] != "auditor" for n in path[:-1]):
                continue
            seen: Any = sympy.Integer(1)
            for u, v in itertools.pairwise(path):
                seen *= theta[(u, v)]
            miss *= 1 - seen
    return 1 - miss


def canonical_architecture(
    *,
    alpha: float = 1.0,
    theta: float = 0.3,
    b: float = 0.2,
    gamma: float = 1.0,
    c: float = 1.0,
) -> nx.DiGraph:
    """The paper's two-routine architecture: aligned routine A, proxy-capturing routine M.

    Parameters
    ----------
    alpha, theta, b, gamma, c : float
        Defaults of the parameters of :func:`~incentive_geometry.theory.entrenchment`.

    Returns
    -------
    networkx.DiGraph
        Nodes ``principal``, ``A``, ``M``, ``proxy``, ``auditor``; ``to_model`` of it is the
        canonical model.

    Examples
    --------
    >>> from incentive_geometry.theory import canonical_architecture
    >>> g = canonical_architecture()
    >>> sorted(kind for *_, kind in g.edges(data="kind"))
    ['feeds_back', 'observes', 'reinforces', 'reinforces', 'reinforces']
    """
    g = nx.DiGraph(name="entrenchment")
    g.add_node(
        "principal",
        role="principal",
        gain="alpha",
        default=alpha,
        domain="positive",
        meaning=_MEANING["principal"],
    )
    g.add_node("A", role="routine", meaning="aligned routine")
    g.add_node("M", role="routine", meaning="routine that captures proxy reward")
    g.add_node("proxy", role="proxy")
    g.add_node("auditor", role="auditor")
    g.add_edge(
        "auditor",
        "principal",
        kind="observes",
        observability="theta",
        default=theta,
        domain="[0, 1]",
        meaning="observability of true outcomes (partial observability)",
    )
    # A is the baseline: every payoff is relative to A's, so A's true value is 0.
    g.add_edge("principal", "A", kind="reinforces", sign=1, weight=0)
    g.add_edge(
        "proxy",
        "M",
        kind="reinforces",
        sign=1,
        weight="b",
        default=b,
        domain="nonnegative",
        meaning="proxy reward M captures without true value (local proxy)",
    )
    g.add_edge(
        "M",
        "M",
        kind="feeds_back",
        weight="gamma",
        default=gamma,
        domain="nonnegative",
        meaning="how much influence raises M's proxy capture (recursive feedback)",
    )
    g.add_edge(
        "principal",
        "M",
        kind="reinforces",
        sign=-1,
        weight="c",
        default=c,
        domain="positive",
        meaning="M's true cost to the principal",
    )
    return g


def architecture_n(
    n: int = 3,
    *,
    alpha: float = 1.0,
    theta: float = 0.3,
    b: Iterable[float] | None = None,
    gamma: Iterable[float] | None = None,
    c: Iterable[float] | None = None,
) -> nx.DiGraph:
    """N routines reinforced on one proxy, each feeding back into itself, with one auditor.

    Parameters
    ----------
    n : int, default 3
        Number of routines (``2 <= n <= 64``); routines are named ``1 .. n``.
    alpha, theta : float
        Defaults of the gain and the observability.
    b, gamma, c : iterable of n floats, optional
        Defaults of the per-routine parameters ``b_i``, ``gamma_i``, ``c_i`` (as in
        :func:`~incentive_geometry.theory.entrenchment_n`: routine 1 aligned with zeros, the
        others ``0.2``, ``1``, ``1``).

    Returns
    -------
    networkx.DiGraph
        ``to_model`` of it is ``entrenchment_n(n)`` (``graph.graph["form"] == "simplex"``).

    Raises
    ------
    ModelError
        For a bad `n` or vectors of the wrong length.

    Examples
    --------
    >>> from incentive_geometry.theory import architecture_n, to_model
    >>> to_model(architecture_n(3)).state_names
    ('w_1', 'w_2', 'w_3')
    """
    n = check_int(n, name="n", low=2, high=64)

    def vec(values: Iterable[float] | None, name: str, default: list[float]) -> list[float]:
        out = default if values is None else [float(v) for v in values]
        if len(out) != n:
            raise ModelError(f"`{name}` must hold {n} numbers (one per routine), got {len(out)}")
        return out

    bv = vec(b, "b", [0.0] + [0.2] * (n - 1))
    gv = vec(gamma, "gamma", [0.0] + [1.0] * (n - 1))
    cv = vec(c, "c", [0.0] + [1.0] * (n - 1))
    g = nx.DiGraph(name=f"entrenchment_n{n}", form="simplex")
    g.add_node("principal", role="principal", gain="alpha", default=alpha, domain="positive")
    g.add_node("proxy", role="proxy")
    g.add_node("auditor", role="auditor")
    g.add_edge(
        "auditor",
        "principal",
        kind="observes",
        observability="theta",
        default=theta,
        domain="[0, 1]",
    )
    for i in range(1, n + 1):
        r = str(i)
        g.add_node(r, role="routine")
        g.add_edge(
            "proxy",
            r,
            kind="reinforces",
            sign=1,
            weight=f"b_{i}",
            default=bv[i - 1],
            domain="nonnegative",
        )
        g.add_edge(
            r, r, kind="feeds_back", weight=f"gamma_{i}", default=gv[i - 1], domain="nonnegative"
        )
        g.add_edge(
            "principal",
            r,
            kind="reinforces",
            sign=-1,
            weight=f"c_{i}",
            default=cv[i - 1],
            domain="nonnegative",
        )
    return g


# GraphML holds one type per attribute name: values are written as text, read back as
# numbers where they are numbers.
_TEXT_KEYS = ("gain", "weight", "observability", "domain")


def write_architecture(graph: nx.DiGraph, path: str | Path) -> None:
    """Write an architecture graph to a GraphML file (editable in yEd, Gephi, ...).

    Parameters
    ----------
    graph : networkx.DiGraph
        A valid architecture graph.
    path : str or Path
        The file to write.

    Raises
    ------
    ModelError
        When the graph breaks the schema.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.theory import (canonical_architecture, read_architecture,
    ...                                        write_architecture)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "canonical.graphml"
    >>> write_architecture(canonical_architecture(), path)
    >>> sorted(read_architecture(path).nodes)
    ['A', 'M', 'auditor', 'principal', 'proxy']
    """
    validate_architecture(graph)
    out = nx.DiGraph()
    out.graph.update({k: str(v) for k, v in graph.graph.items()})
    for node, attrs in graph.nodes(data=True):
        out.add_node(str(node), **_for_graphml(attrs))
    for u, v, attrs in graph.edges(data=True):
        out.add_edge(str(u), str(v), **_for_graphml(attrs))
    nx.write_graphml(out, str(path))


def _for_graphml(attrs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if k in _TEXT_KEYS:
            out[k] = str(v)
        elif k == "sign":
            out[k] = int(v) if not isinstance(v, str) else v
        elif k == "default":
            out[k] = float(v)
        else:
            out[k] = v if isinstance(v, str | int | float | bool) else str(v)
    return out


def read_architecture(path: str | Path) -> nx.DiGraph:
    """Read an architecture graph from a GraphML file and validate it.

    Parameters
    ----------
    path : str or Path
        A GraphML file (as written by :func:`write_architecture` or a graph editor).

    Returns
    -------
    networkx.DiGraph

    Raises
    ------
    ModelError
        When the file cannot be read as GraphML, or the graph breaks the schema.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from incentive_geometry.theory import (canonical_architecture, read_architecture,
    ...                                        to_model, write_architecture)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "canonical.graphml"
    >>> write_architecture(canonical_architecture(), path)
    >>> to_model(read_architecture(path)).parameter_names
    ('alpha', 'theta', 'b', 'gamma', 'c')
    """
    try:
        raw = nx.read_graphml(str(path))
    except (OSError, nx.NetworkXError, SyntaxError, ValueError) as err:
        raise ModelError(
            f"`path` {str(path)!r} could not be read as GraphML: {err}; write it with "
            "write_architecture or a graph editor that saves GraphML"
        ) from None
    if not isinstance(raw, nx.DiGraph) or raw.is_multigraph() or not raw.is_directed():
        raise ModelError(
            f"`path` {str(path)!r} holds an undirected or multi-graph; use a directed "
            "graph with at most one edge per pair of nodes"
        )
    graph = nx.DiGraph()
    graph.graph.update(raw.graph)
    for node, attrs in raw.nodes(data=True):
        graph.add_node(node, **_from_graphml(attrs))
    for u, v, attrs in raw.edges(data=True):
        graph.add_edge(u, v, **_from_graphml(attrs))
    validate_architecture(graph)
    return graph


def _from_graphml(attrs: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(attrs)
    for k in ("gain", "weight", "observability"):
        if k in out and isinstance(out[k], str):
            number = _number(out[k])
            out[k] = out[k] if number is None else number
    return out
