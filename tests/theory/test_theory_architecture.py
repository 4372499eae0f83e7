"""Architecture graphs: the schema's models are the library's, GraphML round trips, and every
bad graph gets an error naming the node or edge at fault."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.model import Model
from incentive_geometry.theory import (
    architecture_n,
    canonical_architecture,
    entrenchment,
    entrenchment_n,
    read_architecture,
    to_model,
    validate_architecture,
    write_architecture,
)


def _same_model(a: Model, b: Model) -> None:
    assert a.state_names == b.state_names
    assert a.simplex == b.simplex
    assert a.state_domains == b.state_domains
    assert [(p.name, p.default, p.domain) for p in a.parameters] == [
        (p.name, p.default, p.domain) for p in b.parameters
    ]
    for fa, fb in zip(a.rhs, b.rhs, strict=True):
        assert sympy.simplify(fa - fb) == 0


def test_two_routine_graph_is_the_canonical_model() -> None:
    m = to_model(canonical_architecture())
    _same_model(m, entrenchment())
    # The meanings are the canonical ones too, so the parameters are equal as objects.
    assert m.parameters == entrenchment().parameters


def test_defaults_pass_through() -> None:
    m = to_model(canonical_architecture(alpha=2.0, theta=0.5, b=0.1, gamma=3.0, c=0.7))
    _same_model(m, entrenchment(alpha=2.0, theta=0.5, b=0.1, gamma=3.0, c=0.7))


@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_n_routine_graph_is_entrenchment_n(n: int) -> None:
    _same_model(to_model(architecture_n(n)), entrenchment_n(n))


def test_n_routine_graph_with_given_defaults() -> None:
    b, gamma, c = [0.0, 0.3, 0.1], [0.0, 2.0, 0.5], [0.0, 1.5, 0.2]
    m = to_model(architecture_n(3, alpha=1.5, theta=0.4, b=b, gamma=gamma, c=c))
    ref = entrenchment_n(3, alpha=1.5, theta=0.4)
    # Same equations; the defaults of the per-routine parameters are the ones given.
    for fa, fb in zip(m.rhs, ref.rhs, strict=True):
        assert sympy.simplify(fa - fb) == 0
    assert [m.parameter(f"gamma_{i}").default for i in (1, 2, 3)] == gamma


@pytest.mark.parametrize("graph", [canonical_architecture(), architecture_n(4)])
def test_graphml_round_trip(graph: nx.DiGraph, tmp_path: Path) -> None:
    path = tmp_path / "arch.graphml"
    write_architecture(graph, path)
    back = read_architecture(path)
    assert sorted(map(str, graph.nodes)) == sorted(back.nodes)
    assert sorted((str(u), str(v)) for u, v in graph.edges) == sorted(back.edges)
    assert back.graph.get("name") == graph.graph["name"]
    _same_model(to_model(back), to_model(graph))
    assert to_model(back).parameters == to_model(graph).parameters


def test_graphml_with_numbers_round_trips(tmp_path: Path) -> None:
    g = canonical_architecture()
    g.edges["proxy", "M"]["weight"] = 0.25  # a number enters the equations exactly
    path = tmp_path / "numbers.graphml"
    write_architecture(g, path)
    m = to_model(read_architecture(path))
    assert "b" not in m.parameter_names
    e = entrenchment()
    assert sympy.simplify(m.rhs[0] - e.rhs[0].subs(e.symbol("b"), sympy.Rational(1, 4))) == 0


def test_unreadable_file_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.graphml"
    bad.write_text("not xml")
    with pytest.raises(ModelError, match="could not be read as GraphML"):
        read_architecture(bad)


def test_two_independent_auditors_combine() -> None:
    # theta = 1 - (1 - t1)(1 - t2): the principal sees the truth unless both auditors miss it.
    g = canonical_architecture()
    g.add_node("auditor2", role="auditor")
    g.add_edge("auditor2", "principal", kind="observes", observability=0.5)
    m = to_model(g)
    e = entrenchment()
    theta = e.symbol("theta")
    ref = e.rhs[0].subs(theta, 1 - (1 - theta) * sympy.Rational(1, 2))
    assert sympy.simplify(m.rhs[0] - ref) == 0


def test_chain_of_auditors_multiplies() -> None:
    g = canonical_architecture()
    g.remove_edge("auditor", "principal")
    g.add_node("board", role="auditor")
    g.add_edge("auditor", "board", kind="observes", observability=0.5)
    g.add_edge("board", "principal", kind="observes", observability=0.4)
    m = to_model(g)
    # Two audit paths reach the principal: auditor -> board -> principal (0.5 * 0.4) and
    # board -> principal (0.4); theta = 1 - (1 - 0.2)(1 - 0.4) = 13/25.
    e = entrenchment()
    ref = e.rhs[0].subs(e.symbol("theta"), sympy.Rational(13, 25))
    assert sympy.simplify(m.rhs[0] - ref) == 0


def test_cross_feedback_enters_the_target_payoff() -> None:
    g = architecture_n(3)
    g.add_edge("2", "3", kind="feeds_back", weight=2)
    m = to_model(g)
    w2, w3 = m.symbol("w_2"), m.symbol("w_3")
    ref = entrenchment_n(3)
    alpha, theta = ref.symbol("alpha"), ref.symbol("theta")
    extra = alpha * (1 - theta) * 2 * w2
    # Routine 3's payoff gains alpha (1 - theta) 2 w_2: dw_3 gains w_3 (1 - w_3) * that, the
    # others lose w_i w_3 * that.
    assert sympy.simplify(m.rhs[2] - ref.rhs[2] - w3 * (1 - w3) * extra) == 0
    assert sympy.simplify(m.rhs[1] - ref.rhs[1] + w2 * w3 * extra) == 0


# -- validation: every error names the node or edge --------------------------------------------


def _broken(change: str) -> nx.DiGraph:
    g = canonical_architecture()
    if change == "no_reinforcement":
        g.remove_edge("principal", "A")
    elif change == "observability_number":
        g.edges["auditor", "principal"]["observability"] = 1.5
    elif change == "observability_default":
        g.edges["auditor", "principal"]["default"] = -0.2
    elif change == "observability_domain":
        g.edges["auditor", "principal"]["domain"] = "positive"
    elif change == "auditor_cycle":
        g.add_node("board", role="auditor")
        g.add_edge("auditor", "board", kind="observes", observability=0.5)
        g.add_edge("board", "auditor", kind="observes", observability=0.5)
    elif change == "unknown_role":
        g.nodes["proxy"]["role"] = "oracle"
    elif change == "unknown_kind":
        g.edges["M", "M"]["kind"] = "amplifies"
    elif change == "wrong_roles":
        g.add_edge("A", "proxy", kind="reinforces", weight=1)
    elif change == "two_principals":
        g.add_node("boss", role="principal", gain=1)
    elif change == "one_routine":
        g.remove_node("A")
    elif change == "bad_sign":
        g.edges["principal", "M"]["sign"] = 2
    elif change == "negative_weight":
        g.edges["proxy", "M"]["weight"] = -1
    elif change == "missing_value":
        del g.edges["M", "M"]["weight"]
    elif change == "conflicting_parameter":
        g.add_node("proxy2", role="proxy")
        g.add_edge("proxy2", "A", kind="reinforces", weight="b", default=0.9)
    return g


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ("no_reinforcement", "node `A` is a routine without a reinforcement edge"),
        (
            "observability_number",
            r"edge `auditor` -> `principal`: `observability` = 1.5 is outside",
        ),
        ("observability_default", r"edge `auditor` -> `principal`.*-0.2.*outside its domain"),
        ("observability_domain", r"edge `auditor` -> `principal`: the domain of observability"),
        (
            "auditor_cycle",
            r"the auditors `(auditor|board)` -> `(board|auditor)` -> .* form a cycle",
        ),
        ("unknown_role", r"node `proxy` has role 'oracle'"),
        ("unknown_kind", r"edge `M` -> `M` has kind 'amplifies'"),
        ("wrong_roles", r"edge `A` -> `proxy`: a `reinforces` edge goes"),
        ("two_principals", r"exactly one node with role 'principal', found 2"),
        ("one_routine", r"at least two routines"),
        ("bad_sign", r"edge `principal` -> `M`: `sign` must be \+1 or -1, got 2"),
        ("negative_weight", r"edge `proxy` -> `M`: `weight` = -1 is outside"),
        ("missing_value", r"edge `M` -> `M` has no `weight`"),
        (
            "conflicting_parameter",
            r"parameter `b` has default .* but at edge `proxy2` -> `A`|parameter `b` has default 0.9",
        ),
    ],
)
def test_validation_errors_name_the_culprit(change: str, pattern: str) -> None:
    g = _broken(change)
    with pytest.raises(ModelError, match=pattern):
        validate_architecture(g)
    with pytest.raises(ModelError, match=pattern):
        to_model(g)


def test_not_a_digraph() -> None:
    with pytest.raises(ModelError, match=r"networkx\.DiGraph"):
        validate_architecture(nx.Graph())  # type: ignore[arg-type]


def test_write_refuses_a_bad_graph(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="node `A`"):
        write_architecture(_broken("no_reinforcement"), tmp_path / "x.graphml")
