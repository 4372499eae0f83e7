"""Structural analogy: do two models share their feedback structure and their bifurcations?

Two models are *analogous* when (1) they run in the same kind of time, (2) their signed
interaction graphs (:func:`~incentive_geometry.solvers.structure.interaction_graph`) are
isomorphic with matching edge signs, and (3) their symbolic equilibria can be paired so that
paired equilibria bifurcate in the same way (the same set of kinds from
:func:`~incentive_geometry.solvers.symbolic.bifurcations.bifurcations`). The state
correspondence is the graph isomorphism; the parameter correspondence is an exact renaming when
one exists (the right-hand sides agree under it), otherwise it pairs parameters that move the
paired equilibria's leading eigenvalue the same way.

Examples
--------
>>> from incentive_geometry.theory import entrenchment, managerial_entrenchment
>>> from incentive_geometry.solvers.analogy import analogy
>>> a = analogy(entrenchment(), managerial_entrenchment())
>>> a.analogous, a.states, a.parameters["theta"]
(True, {'x': 'x'}, 'monitoring')
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import sympy
from networkx.algorithms.isomorphism import DiGraphMatcher

from incentive_geometry.errors import ModelError, SymbolicTimeout
from incentive_geometry.model import Model
from incentive_geometry.solvers.numeric.compile import compile_model, resolve_params
from incentive_geometry.solvers.structure import circuits, interaction_graph, structural_model
from incentive_geometry.solvers.symbolic.bifurcations import bifurcations
from incentive_geometry.solvers.symbolic.budget import run_bounded
from incentive_geometry.solvers.symbolic.conditions import ZeroTest, domain_map
from incentive_geometry.solvers.symbolic.equilibria import equilibria

__all__ = ["Analogy", "analogy"]

# Parameter renamings tried at most when looking for an exact one.
_RENAMINGS = 5040
# Relative step of the finite differences in the parameters.
_STEP = 1e-6


@dataclass(frozen=True)
class Analogy:
    """The outcome of :func:`analogy`.

    Attributes
    ----------
    analogous : bool
    model_a, model_b : str
        The models' names.
    states : dict of str to str
        State of A -> state of B (the signed-graph isomorphism); empty when there is none.
    parameters : dict of str to str
        Parameter of A -> parameter of B, for the parameters paired one to one.
    exact : bool
        B is A with states and parameters renamed (the right-hand sides agree).
    difference : str
        The first difference found, in words ("" when analogous).
    evidence : tuple of str
        What was compared, line by line (equilibria paired, bifurcation kinds, roles of
        parameters).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment, nested_objectives
    >>> from incentive_geometry.solvers.analogy import analogy
    >>> a = analogy(entrenchment(), nested_objectives(1))
    >>> a.analogous
    False
    >>> print(a.difference)
    the feedback of `x` on itself is ± in `entrenchment` but - (a_1) in `nested_objectives`
    """

    analogous: bool
    model_a: str
    model_b: str
    states: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    exact: bool = False
    difference: str = ""
    evidence: tuple[str, ...] = ()

    def __str__(self) -> str:
        head = f"`{self.model_a}` and `{self.model_b}`: "
        lines = [
            head
            + (
                "analogous" + (" (exact renaming)" if self.exact else "")
                if self.analogous
                else "not analogous"
            )
        ]
        if self.difference:
            lines.append(f"  first difference: {self.difference}")
        if self.states:
            lines.append("  states: " + ", ".join(f"{a} <-> {b}" for a, b in self.states.items()))
        if self.parameters:
            lines.append(
                "  parameters: " + ", ".join(f"{a} <-> {b}" for a, b in self.parameters.items())
            )
        lines.extend(f"  {e}" for e in self.evidence)
        return "\n".join(lines)


def _self_loop(g: nx.DiGraph, node: str) -> str:
    return str(g.edges[node, node]["sign"]) if g.has_edge(node, node) else "none"


def _graph_difference(ga: nx.DiGraph, gb: nx.DiGraph, na: str, nb: str) -> str:
    """The first difference between two signed graphs that are not isomorphic, in words."""
    if ga.number_of_nodes() != gb.number_of_nodes():
        return (
            f"`{na}` has {ga.number_of_nodes()} state(s) ({', '.join(ga.nodes)}) but `{nb}` "
            f"has {gb.number_of_nodes()} ({', '.join(gb.nodes)})"
        )
    if ga.number_of_edges() != gb.number_of_edges():
        return (
            f"the interaction graph of `{na}` has {ga.number_of_edges()} edge(s), that of "
            f"`{nb}` {gb.number_of_edges()}"
        )
    loops_a = sorted(_self_loop(ga, n) for n in ga.nodes)
    loops_b = sorted(_self_loop(gb, n) for n in gb.nodes)
    if loops_a != loops_b:
        for n in ga.nodes:
            mine = _self_loop(ga, n)
            if loops_a.count(mine) != loops_b.count(mine):
                theirs = ", ".join(f"{_self_loop(gb, m)} ({m})" for m in gb.nodes)
                return f"the feedback of `{n}` on itself is {mine} in `{na}` but {theirs} in `{nb}`"
    try:
        ca = sorted((c.length, c.sign) for c in circuits(ga))
        cb = sorted((c.length, c.sign) for c in circuits(gb))
    except ModelError:  # too many circuits to list: compare no further
        ca = cb = []
    if ca != cb:
        extra = sorted(set(ca) - set(cb)) or sorted(set(cb) - set(ca))
        length, sign = extra[0]
        return (
            f"the circuits differ: `{na}` has {ca.count((length, sign))} circuit(s) of "
            f"length {length} and sign {sign}, `{nb}` {cb.count((length, sign))}"
        )
    return f"no sign-preserving correspondence of the states of `{na}` and `{nb}` exists"


@dataclass
class _Point:
    """A symbolic equilibrium with its bifurcation kinds and its point (or None)."""

    text: str
    kinds: frozenset[str]
    point: dict[Any, Any]
    constant: tuple[Any, ...] | None


def _points_work(work: Model, *, budget: Any) -> list[_Point]:
    # Runs in one bounded child: the equilibria are found once, and bifurcations() reuses them.
    out = []
    for eq in equilibria(work):
        budget.check(f"bifurcations of {eq.point}")
        kinds = frozenset(b.kind for b in bifurcations(work, eq))
        values = tuple(eq.point.get(s) for s in work.states)
        constant = values if all(v is not None and v.is_number for v in values) else None
        text = ", ".join(f"{s} = {v}" for s, v in eq.point.items())
        out.append(_Point(text, kinds, dict(eq.point), constant))
    return out


@functools.lru_cache(maxsize=32)
def _points(work: Model, timeout: float) -> tuple[_Point, ...]:
    """The symbolic equilibria of `work` with their bifurcation kinds (cached per model)."""
    found = run_bounded(
        _points_work, work, timeout=timeout, what=f"equilibria and bifurcations of `{work.name}`"
    )
    return tuple(found)


def _kinds(kinds: frozenset[str]) -> str:
    return ", ".join(sorted(kinds)) or "no bifurcation"


def _pair_points(
    pa: list[_Point], pb: list[_Point], perm: list[int]
) -> tuple[list[tuple[_Point, _Point]], _Point | None]:
    """Pair equilibria with the same kinds, constant points at the same place first."""
    left = list(pb)
    pairs: list[tuple[_Point, _Point]] = []
    ordered = sorted(pa, key=lambda p: p.constant is None)
    for p in ordered:
        same = [q for q in left if q.kinds == p.kinds]
        if p.constant is not None:
            here = [
                q
                for q in same
                if q.constant is not None and [q.constant[k] for k in perm] == list(p.constant)
            ]
            same = here or [q for q in same if q.constant is not None] or same
        else:
            same = [q for q in same if q.constant is None] or same
        if not same:
            return pairs, p
        pairs.append((p, same[0]))
        left.remove(same[0])
    return pairs, None


def _exact_renaming(wa: Model, wb: Model, states: Mapping[str, str]) -> dict[str, str] | None:
    """A parameter bijection (same domains) under which the right-hand sides agree."""
    if len(wa.parameters) != len(wb.parameters):
        return None
    smap = {wa.symbol(a): wb.symbol(b) for a, b in states.items()}
    order = [wb.state_names.index(states[a]) for a in wa.state_names]
    zero = ZeroTest(domain_map(wb) | dict(zip(wb.states, wb.state_domains, strict=True)))
    kinds: dict[str, list[str]] = {}
    for p in wb.parameters:
        kinds.setdefault(repr(p.domain), []).append(p.name)
    groups: list[tuple[list[str], list[str]]] = []
    for key, names_b in kinds.items():
        names_a = [p.name for p in wa.parameters if repr(p.domain) == key]
        if len(names_a) != len(names_b):
            return None
        groups.append((names_a, names_b))
    renamings = itertools.product(*(itertools.permutations(b) for _, b in groups))
    for tried, choice in enumerate(renamings, start=1):
        if tried > _RENAMINGS:
            return None
        pmap = {
            a: b
            for (names_a, _), perm in zip(groups, choice, strict=True)
            for a, b in zip(names_a, perm, strict=True)
        }
        sub = smap | {wa.symbol(a): wb.symbol(b) for a, b in pmap.items()}
        if all(
            zero.is_zero(wa.rhs[i].xreplace(sub) - wb.rhs[order[i]]) for i in range(len(wa.rhs))
        ):
            return {a: pmap[a] for a in wa.parameter_names}
    return None


def _leading(work: Model, point: Mapping[Any, Any], values: dict[str, float]) -> float:
    """Largest real part of the Jacobian's eigenvalues at a parametric point, at `values`."""
    sub = {work.symbol(k): v for k, v in values.items()}
    try:
        x = np.array([complex(sympy.N(point[s].xreplace(sub))) for s in work.states])
    except (TypeError, ValueError, ZeroDivisionError):
        return math.nan
    if np.any(np.abs(x.imag) > 1e-9) or not np.all(np.isfinite(x)):
        return math.nan
    cm = compile_model(work)
    with np.errstate(all="ignore"):
        J = cm.jac(x.real, cm.param_vector(values))
    if not np.all(np.isfinite(J)):
        return math.nan
    return float(np.max(np.linalg.eigvals(J).real))


def _roles(
    work: Model, points: list[_Point], values: dict[str, float]
) -> dict[str, tuple[int, ...]]:
    """For each parameter: the sign of d(leading eigenvalue)/dp at each paired equilibrium."""
    out: dict[str, tuple[int, ...]] = {}
    for p in work.parameters:
        signs = []
        for pt in points:
            h = _STEP * max(1.0, abs(values[p.name]))
            up = _leading(work, pt.point, values | {p.name: values[p.name] + h})
            down = _leading(work, pt.point, values | {p.name: values[p.name] - h})
            d = (up - down) / (2 * h)
            signs.append(0 if not math.isfinite(d) or abs(d) < 1e-7 else int(np.sign(d)))
        out[p.name] = tuple(signs)
    return out


def _role_words(signs: tuple[int, ...], points: list[_Point]) -> str:
    words = {1: "destabilizes", -1: "stabilizes", 0: "leaves"}
    return "; ".join(f"{words[s]} {pt.text}" for s, pt in zip(signs, points, strict=True))


def analogy(
    model_a: Model,
    model_b: Model,
    *,
    params_a: Mapping[str, float] | None = None,
    params_b: Mapping[str, float] | None = None,
    timeout: float = 30.0,
) -> Analogy:
    """Decide whether two models share structure, and how their variables correspond.

    Parameters
    ----------
    model_a, model_b : Model
    params_a, params_b : mapping of str to float, optional
        Parameter points for signs decided numerically and for the parameters' roles
        (defaults otherwise).
    timeout : float
        Seconds allowed for the symbolic work on each model (its equilibria and their
        bifurcations, in one bounded process; the results are cached per model).

    Returns
    -------
    Analogy
        With the state and parameter correspondence, or the first difference found.

    Raises
    ------
    ModelError
        For arguments that are not models, or parameters without values.

    Notes
    -----
    A model on the simplex is compared in its reduced coordinates (first state eliminated), a
    map through ``f(x) - x`` (see :func:`~incentive_geometry.solvers.structure.structural_model`).
    When a symbolic step runs out of time the bifurcations are not compared, and the analogy
    is not established: `analogous` is False and `difference` says it is undecided.

    References
    ----------
    .. [1] L. P. Cordella, P. Foggia, C. Sansone and M. Vento, A (sub)graph isomorphism
       algorithm for matching large graphs, IEEE Trans. PAMI 26 (2004) 1367-1372 (VF2, the
       matcher of networkx).
    .. [2] D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint,
       2025 (the analogies of claim C4).

    Examples
    --------
    >>> from incentive_geometry.theory import entrenchment, replicator
    >>> from incentive_geometry.solvers.analogy import analogy
    >>> a = analogy(entrenchment(), replicator())
    >>> a.analogous, a.states
    (True, {'x': 'x_2'})
    """
    for name, m in (("model_a", model_a), ("model_b", model_b)):
        if not isinstance(m, Model):
            raise ModelError(f"`{name}` must be a Model, got {m!r:.60} ({type(m).__name__})")
    na, nb = model_a.name, model_b.name
    if nb == na:
        nb = nb + " (B)"
    if model_a.time != model_b.time:
        return Analogy(
            False,
            na,
            nb,
            difference=(f"`{na}` runs in {model_a.time} time, `{nb}` in {model_b.time} time"),
        )
    ga = interaction_graph(model_a, params_a)
    gb = interaction_graph(model_b, params_b)
    matcher = DiGraphMatcher(ga, gb, edge_match=lambda x, y: x["sign"] == y["sign"])
    isos = []
    for iso in matcher.isomorphisms_iter():
        isos.append(iso)
        if len(isos) >= 24:
            break
    if not isos:
        return Analogy(False, na, nb, difference=_graph_difference(ga, gb, na, nb))
    wa, wb = structural_model(model_a), structural_model(model_b)
    evidence = [
        f"signed interaction graphs isomorphic: {ga.number_of_nodes()} state(s), "
        f"{ga.number_of_edges()} edge(s), signs "
        + ", ".join(f"{u}->{v} {d['sign']}" for u, v, d in sorted(ga.edges(data=True)))
    ]
    try:
        pa, pb = list(_points(wa, timeout)), list(_points(wb, timeout))
    except SymbolicTimeout:
        # The graphs agree but the bifurcations could not be compared: not established.
        states = {str(a): str(b) for a, b in isos[0].items()}
        return Analogy(
            False,
            na,
            nb,
            states=states,
            difference=(
                f"undecided: the signed interaction graphs agree, but a symbolic step "
                f"(equilibria or bifurcations) took over `timeout` = {timeout:g} s, so the "
                "bifurcations were not compared; raise `timeout`"
            ),
            evidence=tuple(evidence),
        )
    if len(pa) != len(pb):
        return Analogy(
            False,
            na,
            nb,
            states={str(a): str(b) for a, b in isos[0].items()},
            difference=(
                f"the symbolic solver finds {len(pa)} equilibria of `{na}` and {len(pb)} of `{nb}`"
            ),
            evidence=tuple(evidence),
        )
    best: tuple[dict[str, str], list[tuple[_Point, _Point]]] | None = None
    miss: _Point | None = None
    for iso in isos:
        states = {str(a): str(b) for a, b in iso.items()}
        perm = [wb.state_names.index(states[s]) for s in wa.state_names]
        pairs, missing = _pair_points(pa, pb, perm)
        if missing is None:
            best = (states, pairs)
            break
        miss = miss or missing
    if best is None:
        assert miss is not None
        found = "; ".join(f"{q.text}: {_kinds(q.kinds)}" for q in pb)
        return Analogy(
            False,
            na,
            nb,
            states={str(a): str(b) for a, b in isos[0].items()},
            difference=(
                f"the equilibrium {miss.text} of `{na}` ({_kinds(miss.kinds)}) has no "
                f"counterpart in `{nb}`, whose equilibria give {found}"
            ),
            evidence=tuple(evidence),
        )
    states, pairs = best
    for p, q in pairs:
        evidence.append(f"equilibrium {p.text} <-> {q.text}: {_kinds(p.kinds)}")
    exact = _exact_renaming(wa, wb, states)
    if exact is not None:
        evidence.append(f"`{nb}` is `{na}` with the parameters renamed (right-hand sides agree)")
        return Analogy(
            True, na, nb, states=states, parameters=exact, exact=True, evidence=tuple(evidence)
        )
    va, vb = resolve_params(wa, params_a), resolve_params(wb, params_b)
    ra = _roles(wa, [p for p, _ in pairs], va)
    rb = _roles(wb, [q for _, q in pairs], vb)
    paired: dict[str, str] = {}
    for sig in sorted(set(ra.values()), key=str):
        names_a = [k for k, v in ra.items() if v == sig]
        names_b = [k for k, v in rb.items() if v == sig]
        if not any(sig) or not names_b:
            continue
        words = _role_words(sig, [p for p, _ in pairs])
        evidence.append(
            f"{', '.join(names_a)} (`{na}`) and {', '.join(names_b)} (`{nb}`): raising one {words}"
        )
        if len(names_a) == 1 and len(names_b) == 1:
            paired[names_a[0]] = names_b[0]
    return Analogy(True, na, nb, states=states, parameters=paired, evidence=tuple(evidence))
