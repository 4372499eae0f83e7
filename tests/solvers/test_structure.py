"""Signed interaction graphs, circuits, Thomas' rules and spectral thresholds."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import incentive_geometry as ig
from incentive_geometry.errors import ModelError
from incentive_geometry.solvers.numeric.equilibria import find_equilibria
from incentive_geometry.solvers.structure import (
    circuits,
    interaction_graph,
    spectral_abscissa,
    spectral_threshold,
    thomas_report,
)
from incentive_geometry.theory import entrenchment, entrenchment_n, holmstrom_milgrom


def _toggle(a: float = 4.0) -> ig.Model:
    # Gardner-Cantor-Collins toggle switch: mutual repression, a positive 2-circuit.
    return ig.Model.from_equations(
        {"u": "a/(1 + v**2) - u", "v": "a/(1 + u**2) - v"},
        parameters={"a": {"default": a, "domain": "positive"}},
        states={"u": {"domain": "nonnegative"}, "v": {"domain": "nonnegative"}},
        name="toggle",
    )


def test_toggle_switch_signs_are_symbolic() -> None:
    g = interaction_graph(_toggle())
    assert {(u, v): d["sign"] for u, v, d in g.edges(data=True)} == {
        ("u", "u"): "-",
        ("v", "v"): "-",
        ("u", "v"): "-",
        ("v", "u"): "-",
    }
    assert all(d["origin"] == "symbolic" for *_, d in g.edges(data=True))
    cs = circuits(g)
    assert [(c.nodes, c.sign) for c in cs] == [(("u",), "-"), (("u", "v"), "+"), (("v",), "-")]
    # Loop gain of the 2-circuit: product of the two repressions.
    u, v, a = sympy.symbols("u v a")
    gain = cs[1].gain.subs({s: sympy.Symbol(s.name) for s in cs[1].gain.free_symbols})
    assert sympy.simplify(gain - (2 * a * v / (1 + v**2) ** 2) * (2 * a * u / (1 + u**2) ** 2)) == 0


def test_canonical_self_loop_changes_sign() -> None:
    # f'(x) = G(0) < 0 at x = 0, -G(1) < 0 at x = 1 and x* (1 - x*) G'(x*) > 0 at the interior
    # point for the defaults: the sign changes over [0, 1].
    g = interaction_graph(entrenchment())
    assert g.edges["x", "x"]["sign"] == "±" and g.edges["x", "x"]["origin"] == "numeric"
    # Without recursive feedback and with theta = 0.9, G < 0 everywhere: f' < 0 near 0 and
    # > 0 near 1 still (f'(1) = -G(1)), so the sign still changes.
    assert interaction_graph(entrenchment(), {"gamma": 0.0})["x"]["x"]["sign"] == "±"


def test_numeric_signs_need_parameter_values() -> None:
    m = ig.Model.from_equations({"x": "-x + a*tanh(x)"}, parameters={"a": None})
    with pytest.raises(ModelError, match="`a`"):
        interaction_graph(m)
    assert interaction_graph(m, {"a": 0.5})["x"]["x"]["sign"] == "-"
    assert interaction_graph(m, {"a": 3.0})["x"]["x"]["sign"] == "±"


def test_zero_entries_give_no_edge() -> None:
    m = ig.Model.from_equations(
        {"x": "-x + (y + 1)**2 - y**2 - 2*y", "y": "-y"}, parameters={}, name="hidden_zero"
    )
    g = interaction_graph(m)
    assert sorted(g.edges) == [("x", "x"), ("y", "y")]


def test_circuit_count_of_complete_digraph() -> None:
    # The complete digraph on 3 nodes with loops has 3 + 3 + 2 = 8 elementary circuits.
    eqs = {s: " + ".join(f"{t}" for t in "xyz") for s in "xyz"}
    m = ig.Model.from_equations(eqs, parameters={})
    cs = circuits(m)
    assert len(cs) == 8 and all(c.sign == "+" for c in cs)
    assert sorted(c.length for c in cs) == [1, 1, 1, 2, 2, 2, 3, 3]


def test_thomas_report_reads() -> None:
    rep = thomas_report(holmstrom_milgrom())
    assert rep.multistationarity_excluded and rep.oscillation_excluded is False
    text = str(rep)
    assert "no positive circuit" in text and "Soule 2003" in text
    assert "beta -> e -> beta" in text and "Snoussi 1998" in text
    canonical = thomas_report(entrenchment())
    assert not canonical.multistationarity_excluded and canonical.oscillation_excluded
    maps = thomas_report(entrenchment(discrete=True))
    assert maps.oscillation_excluded is None and "does not apply" in str(maps)


def test_simplex_models_are_reduced() -> None:
    g = interaction_graph(entrenchment_n(3))
    assert sorted(g.nodes) == ["w_2", "w_3"] and g.graph["reduced"] == "w_1"


# -- Thomas' rule as a property over random small models ---------------------------------------

_BOX = (-15.0, 15.0)


def _random_model(rng: random.Random, k: int) -> ig.Model:
    """dx_i/dt = -x_i + sum_j w_ij tanh(x_j) + c_i with a random sparse signed W."""
    n = rng.choice([1, 2, 3])
    names = ["x", "y", "z"][:n]
    eqs = {}
    for s in names:
        terms = [f"-{s}", f"{rng.uniform(-1, 1):.3f}"]
        for t in names:
            if rng.random() < 0.6:
                w = rng.choice([-1, 1]) * rng.uniform(0.3, 4.0)
                terms.append(f"({w:.3f})*tanh({t})")
        eqs[s] = " + ".join(terms)
    return ig.Model.from_equations(eqs, parameters={}, name=f"random_{k}")


def _nondegenerate(m: ig.Model) -> int:
    bounds = {s: _BOX for s in m.state_names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = find_equilibria(m, bounds=bounds, n_starts=64)
    return sum(1 for e in found if np.min(np.abs(e.eigenvalues)) > 1e-6)


def test_no_positive_circuit_means_at_most_one_equilibrium() -> None:
    rng = random.Random(20261201)
    excluded = possible = multi_with_positive = 0
    for k in range(50):
        m = _random_model(rng, k)
        rep = thomas_report(m, bounds={s: _BOX for s in m.state_names})
        count = _nondegenerate(m)
        if rep.multistationarity_excluded:
            excluded += 1
            assert count <= 1, (m, str(rep), count)
        else:
            possible += 1
            multi_with_positive += count >= 2
    # The sample holds both kinds, and the search does find several equilibria when a positive
    # circuit allows them (so the assertion above could fail).
    assert excluded >= 10 and possible >= 10, (excluded, possible)
    assert multi_with_positive >= 5, multi_with_positive


_WEIGHT = st.one_of(
    st.just(0.0),
    st.floats(0.3, 4.0).map(lambda w: round(w, 3)),
    st.floats(-4.0, -0.3).map(lambda w: round(w, 3)),
)


@st.composite
def _networks(draw: st.DrawFn) -> ig.Model:
    n = draw(st.integers(1, 3))
    names = ["x", "y", "z"][:n]
    eqs = {}
    for s in names:
        c = round(draw(st.floats(-1.0, 1.0)), 3)
        terms = [f"-{s}", f"({c})"]
        for t in names:
            w = draw(_WEIGHT)
            if w:
                terms.append(f"({w})*tanh({t})")
        eqs[s] = " + ".join(terms)
    return ig.Model.from_equations(eqs, parameters={}, name="network")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(_networks())
def test_property_no_positive_circuit_no_multistationarity(m: ig.Model) -> None:
    # Soule's theorem as a property: whenever the report excludes multistationarity, the
    # numerical search finds at most one nondegenerate equilibrium.
    rep = thomas_report(m, bounds={s: _BOX for s in m.state_names})
    if rep.multistationarity_excluded:
        assert _nondegenerate(m) <= 1, str(rep)


def test_toggle_switch_is_bistable_and_the_rule_allows_it() -> None:
    m = _toggle(4.0)
    rep = thomas_report(m)
    assert not rep.multistationarity_excluded
    found = find_equilibria(m, bounds={"u": (0, 5), "v": (0, 5)})
    assert sum(e.stable for e in found) == 2 and len(found) == 3


# -- spectral thresholds -----------------------------------------------------------------------


def test_spectral_threshold_of_the_canonical_model() -> None:
    # The aligned state x = 0 is stable iff alpha (1 - theta) b < theta c (DESIGN.md):
    # threshold theta = alpha b / (alpha b + c).
    st = spectral_threshold(entrenchment(), "theta", params={"alpha": 2.0, "b": 0.3, "c": 0.5})
    assert st.values == pytest.approx((0.6 / 1.1,), rel=1e-12)
    assert st.directions == ("gains stability",)
    a, b, c = (entrenchment().symbol(n) for n in ("alpha", "b", "c"))
    assert sympy.simplify(st.expressions[0] - a * b / (a * b + c)) == 0


def test_spectral_threshold_of_n_routines_at_the_aligned_vertex() -> None:
    # Vertex e_1 is stable iff s_j(e_1) < s_1(e_1) = 0 for j = 2, 3: theta > alpha b_j /
    # (alpha b_j + c_j); the last routine to be held off sets the threshold.
    p = {"b_2": 0.2, "b_3": 0.5, "c_2": 1.0, "c_3": 1.0}
    st = spectral_threshold(entrenchment_n(3), "theta", params=p)
    assert st.values == pytest.approx((0.5 / 1.5,), rel=1e-10)
    assert st.method == "eigenvalues"


def test_spectral_threshold_closed_forms() -> None:
    g, d = sympy.symbols("g d")
    st = spectral_threshold(
        sympy.Matrix([[-d, g], [g, -d]]), "g", params={"d": 0.7}, p_range=(0, 3)
    )
    assert st.values == pytest.approx((0.7,)) and st.method == "charpoly"
    # A complex pair a +- i crosses at a = 0 (Hurwitz determinant Delta_1 = -2a).
    a = sympy.Symbol("a")
    st = spectral_threshold(sympy.Matrix([[a, -1], [1, a]]), "a", p_range=(-1, 1))
    assert st.values == pytest.approx((0.0,), abs=1e-14) and st.expressions == (0,)


def test_spectral_threshold_against_numerical_eigenvalues() -> None:
    rng = np.random.default_rng(3)
    A0 = rng.normal(size=(4, 4)) - 3 * np.eye(4)
    B = rng.normal(size=(4, 4))
    p = sympy.Symbol("p")
    M = sympy.Matrix(A0.round(6)) + p * sympy.Matrix(B.round(6))
    st = spectral_threshold(M, "p", p_range=(-10, 10), grid=801)
    assert st.values and st.method == "numeric"
    for v, direction in zip(st.values, st.directions, strict=True):
        at = A0.round(6) + v * B.round(6)
        assert abs(spectral_abscissa(at)) < 1e-8
        before = spectral_abscissa(A0.round(6) + (v - 1e-4) * B.round(6))
        assert (before < 0) == (direction == "loses stability")
    # Between thresholds the sign of the abscissa is constant: check it on a fine grid.
    grid = np.linspace(-10, 10, 4001)
    signs = np.sign([spectral_abscissa(A0.round(6) + q * B.round(6)) for q in grid])
    assert int(np.sum(signs[1:] != signs[:-1])) == len(st.values)


def test_spectral_threshold_errors() -> None:
    with pytest.raises(ModelError, match="`parameter` 'nope'"):
        spectral_threshold(entrenchment(), "nope")
    with pytest.raises(ModelError, match="square"):
        spectral_threshold(sympy.Matrix([[1, 2]]), "a")
    a, b = sympy.symbols("a b")
    with pytest.raises(ModelError, match="`b`"):
        spectral_threshold(sympy.Matrix([[a, b], [0, -1]]), "a", p_range=(0, 1))


def test_interaction_graph_is_a_digraph_of_states() -> None:
    g = interaction_graph(_toggle())
    assert isinstance(g, nx.DiGraph) and g.graph["model"] == "toggle"


def test_drawing_tells_signs_apart_without_colour(tmp_path: Path) -> None:
    from matplotlib.patches import FancyArrowPatch

    from incentive_geometry.solvers.numeric.graph_plots import (
        plot_architecture,
        plot_interaction_graph,
    )
    from incentive_geometry.theory import canonical_architecture

    fig = plot_interaction_graph(holmstrom_milgrom(), path=tmp_path / "hm.png")
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    styles = sorted((p.get_linestyle(), type(p.get_arrowstyle()).__name__) for p in arrows)
    # One positive edge (solid, arrowhead), three negative ones (dashed, bar head).
    assert styles.count(("solid", "CurveFilledB")) == 1
    assert styles.count(("dashed", "BracketB")) == 3
    labels = sorted(t.get_text() for t in fig.axes[0].texts)
    assert labels.count("\u2212") == 3 and labels.count("+") == 1
    assert (tmp_path / "hm.png").stat().st_size > 5_000
    fig = plot_architecture(canonical_architecture(), path=tmp_path / "arch.png")
    assert {"theta", "-c", "\u2212c", "+b", "+gamma"} & {t.get_text() for t in fig.axes[0].texts}
    with pytest.raises(ModelError, match="node `A`"):
        g = canonical_architecture()
        g.nodes["A"]["role"] = "oracle"
        plot_architecture(g)


def test_a_truncated_circuit_list_is_said_so() -> None:
    eqs = {s: " + ".join("xyz") for s in "xyz"}
    m = ig.Model.from_equations(eqs, parameters={})
    rep = thomas_report(m, limit=3)
    assert rep.truncated and len(rep.circuits) == 3 and "(more not listed)" in str(rep)
    assert not rep.multistationarity_excluded and rep.oscillation_excluded is False
    with pytest.raises(ModelError, match="more than `limit` = 3 circuits"):
        circuits(m, limit=3)


def test_non_smooth_models_get_no_conclusion() -> None:
    m = ig.Model.from_equations({"x": "-x + Abs(y)", "y": "-y"}, parameters={})
    rep = thomas_report(m)
    assert not rep.multistationarity_excluded and rep.oscillation_excluded is None
    assert "not differentiable" in rep.conclusions[0]
