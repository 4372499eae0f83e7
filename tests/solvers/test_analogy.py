"""Structural analogy: the canonical model is identified with its counterparts in other domains
and told apart from models of different structure, with the first difference named."""

from __future__ import annotations

import pytest

import incentive_geometry as ig
from incentive_geometry.errors import ModelError
from incentive_geometry.solvers.analogy import analogy
from incentive_geometry.theory import (
    CANONICAL_NAMES,
    entrenchment,
    managerial_entrenchment,
    nested_objectives,
    replicator,
)


def test_managerial_entrenchment_is_the_canonical_model_renamed() -> None:
    a = analogy(entrenchment(), managerial_entrenchment())
    assert a.analogous and a.exact and not a.difference
    assert a.states == {"x": "x"}
    # The renaming the organizations module documents, found independently.
    assert a.parameters == {canon: org for org, canon in CANONICAL_NAMES.items()}
    text = str(a)
    assert "theta <-> monitoring" in text and "transcritical" in text


def test_replicator_of_a_two_strategy_game_is_analogous() -> None:
    a = analogy(entrenchment(), replicator())
    assert a.analogous and not a.exact
    assert a.states == {"x": "x_2"}
    # Paired equilibria: the two vertices and the interior point, each transcritical.
    assert sum("transcritical" in e for e in a.evidence) == 3


def test_different_feedback_sign_is_the_first_difference() -> None:
    a = analogy(entrenchment(), nested_objectives(1))
    assert not a.analogous
    assert "feedback of `x` on itself is ± in `entrenchment`" in a.difference
    assert "- (a_1)" in a.difference
    assert "not analogous" in str(a) and a.difference in str(a)


def test_different_dimension_and_time_are_named() -> None:
    a = analogy(entrenchment(), ig.theory.holmstrom_milgrom())
    assert not a.analogous and "1 state(s)" in a.difference and "has 2" in a.difference
    b = analogy(entrenchment(), entrenchment(discrete=True))
    assert not b.analogous and "continuous time" in b.difference


def test_same_graph_different_bifurcation() -> None:
    # x (mu - x^2): the same ± self-loop and three equilibria, but x = 0 is a pitchfork.
    pitch = ig.Model.from_equations({"x": "x*(mu - x**2)"}, parameters={"mu": 0.5}, name="pitch")
    a = analogy(entrenchment(), pitch)
    assert not a.analogous
    assert "no counterpart in `pitch`" in a.difference and "pitchfork" in a.difference


def test_arguments_must_be_models() -> None:
    with pytest.raises(ModelError, match="`model_b`"):
        analogy(entrenchment(), "managerial_entrenchment")  # type: ignore[arg-type]


def test_a_timeout_leaves_the_analogy_undecided() -> None:
    a = analogy(entrenchment(), managerial_entrenchment(), timeout=1e-3)
    assert not a.analogous and a.difference.startswith("undecided")
    assert a.states == {"x": "x"}
