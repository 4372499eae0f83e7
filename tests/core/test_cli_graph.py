"""``incgeo graph``: circuits with signs, Thomas' rules, the drawing, and errors -> exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from incentive_geometry.cli import cli
from incentive_geometry.cli.graph import graph


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    # The lead registers the command in cli/__init__.py; until then the tests add it here.
    added = "graph" not in cli.commands
    if added:
        cli.add_command(graph)
    yield
    if added:
        cli.commands.pop("graph", None)


def test_graph_prints_circuits_and_rules(incgeo: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = incgeo("graph", "holmstrom_milgrom")
    assert code == 0, err
    assert "beta -> e -> beta  (-, length 2" in out
    assert "no positive circuit: at most one nondegenerate equilibrium (Soule 2003)" in out
    assert "sustained oscillation is possible" in out


def test_graph_of_the_canonical_model(incgeo: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = incgeo("graph", "entrenchment", "--set", "theta=0.2")
    assert code == 0
    assert "x -> x  ±" in out and "multistationarity is possible" in out
    assert "theta=0.2" in out


def test_graph_json(incgeo: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = incgeo("graph", "holmstrom_milgrom", "--json")
    assert code == 0
    record = json.loads(out)
    assert record["multistationarity_excluded"] is True
    assert {(e["from"], e["to"], e["sign"]) for e in record["edges"]} == {
        ("beta", "beta", "-"),
        ("beta", "e", "+"),
        ("e", "beta", "-"),
        ("e", "e", "-"),
    }


def test_graph_plot(tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]) -> None:
    target = tmp_path / "g.png"
    code, out, _ = incgeo("graph", "entrenchment", "--plot", str(target))
    assert code == 0 and f"graph drawn to {target}" in out
    assert target.stat().st_size > 5_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("no_such_model",), "neither a model file nor a model of the library"),
        (("entrenchment", "--set", "nope=1"), "nope"),
        (("entrenchment", "--plot", "g.txt"), "must end in"),
    ],
)
def test_bad_input_exits_2(
    args: tuple[str, ...],
    message: str,
    tmp_path: Path,
    incgeo: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = incgeo("graph", *args)
    assert code == 2 and message in err
