"""`incgeo derive`: text, LaTeX and JSON output; the JSON reads back through the safe parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

import incentive_geometry as ig
from incentive_geometry.cli import cli, main
from incentive_geometry.language import parse_condition, parse_expression

ROOT = Path(__file__).resolve().parents[3]
ENTRENCHMENT = str(ROOT / "examples" / "entrenchment.toml")


def test_derive_prints_the_four_results() -> None:
    result = CliRunner().invoke(cli, ["derive", ENTRENCHMENT])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "3 equilibria" in out
    assert "x = 0" in out and "x = 1" in out
    assert "exists when" in out and "stable when" in out
    assert "transcritical" in out
    # Printed as a researcher writes it (display.tidy): the same value as DESIGN's theta*.
    assert "theta* = alpha*(b + gamma)/(alpha*(b + gamma) + c)" in out
    assert "theta* = alpha*b/(alpha*b + c)" in out


def test_derive_json_round_trips_through_the_parser() -> None:
    result = CliRunner().invoke(cli, ["derive", ENTRENCHMENT, "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    model = ig.load_model(ENTRENCHMENT)
    names = model.symbols
    eqs = ig.equilibria(model)
    assert len(record["equilibria"]) == len(eqs)
    for item, eq in zip(record["equilibria"], eqs, strict=True):
        for s, text in item["point"].items():
            assert sympy.simplify(parse_expression(text, names) - eq.point[model.symbol(s)]) == 0
        assert parse_condition(item["exists"], names) == eq.exists
        assert parse_condition(item["stable"], names) == ig.stability(model, eq).condition
        for b in item["bifurcations"]:
            parse_condition(b["condition"], names)
        for sols in item["thresholds"].values():
            for s in sols:
                parse_expression(s["value"], names)
                parse_condition(s["from"], names)


def test_derive_latex_and_set() -> None:
    result = CliRunner().invoke(cli, ["derive", ENTRENCHMENT, "--latex"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("% incgeo derive") and "\\begin{itemize}" in result.output
    assert "\\theta" in result.output
    fixed = CliRunner().invoke(cli, ["derive", ENTRENCHMENT, "--set", "gamma=0", "--json"])
    assert fixed.exit_code == 0, fixed.output
    # No recursive feedback: no interior equilibrium, never bistability.
    assert len(json.loads(fixed.output)["equilibria"]) == 2


def test_derive_bad_input_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["derive", ENTRENCHMENT, "--set", "nope=1"])
    assert stop.value.code == 2
    assert "nope" in capsys.readouterr().err


def test_derive_brusselator_reports_the_lyapunov_coefficient() -> None:
    result = CliRunner().invoke(cli, ["derive", str(ROOT / "examples" / "brusselator.toml")])
    assert result.exit_code == 0, result.output
    assert "hopf" in result.output and "first Lyapunov coefficient" in result.output
    assert "supercritical: always" in result.output
    # a is positive: the root -sqrt(b - 1) of the boundary is never a threshold.
    assert "a* = sqrt(b - 1)" in result.output and "-sqrt(b - 1)" not in result.output


GOODWIN = """
name = "goodwin"
[states]
x = {domain = "nonnegative"}
y = {domain = "nonnegative"}
z = {domain = "nonnegative"}
[parameters]
a = {default = 2.0, domain = "positive"}
[equations]
x = "a/(1 + z**2) - x"
y = "x - y"
z = "y - z"
"""


@pytest.mark.slow  # ~50 s of one CPU (Cardano roots evaluated at every grid point)
def test_derive_writes_cardano_points_through_their_root(tmp_path: Path) -> None:
    # The state is the real root of x**3 + x = a: printed as r0 with its polynomial, and the
    # conditions that are pages long in radicals decided in that form (Goodwin with exponent 2
    # is stable for every a > 0 and has no Hopf point: Thron's secant condition).
    path = tmp_path / "goodwin.toml"
    path.write_text(GOODWIN)
    result = CliRunner().invoke(cli, ["derive", str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "equilibrium  x = r0, y = r0, z = r0" in out
    assert "where r0      a real root of a - r0**3 - r0 = 0: " in out
    assert "exists when   always" in out
    assert "stable when   always (where it exists; decided exactly)" in out
    assert "hopf" not in out
    record = json.loads(CliRunner().invoke(cli, ["derive", str(path), "--json"]).output)
    (item,) = record["equilibria"]
    (root,) = item["implicit"]["roots"]
    names = {**ig.load_model(str(path)).symbols, "r0": sympy.Symbol("r0", real=True)}
    poly = parse_expression(root["polynomial"], names)
    closed = parse_expression(root["closed_form"], names)
    value = poly.xreplace({names["r0"]: closed}).xreplace({names["a"]: sympy.Integer(3)})
    assert abs(complex(value.evalf(30))) < 1e-25
