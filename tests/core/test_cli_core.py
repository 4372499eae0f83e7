"""The `incgeo` entry point, `show` and `models`: output, formats and exit codes."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import incentive_geometry as ig
from incentive_geometry.cli import cli
from incentive_geometry.language import parse_expression

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENTRENCHMENT = str(EXAMPLES / "entrenchment.toml")


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "models" in result.output and "show" in result.output


def test_show_prints_equations_parameters_and_domains(
    incgeo: Callable[..., tuple[int, str, str]],
) -> None:
    code, out, err = incgeo("show", ENTRENCHMENT)
    assert code == 0, err
    assert "dx/dt = x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x) - c*theta)" in out
    assert "theta = 0.3  [0, 1]  observability of true outcomes" in out
    assert "alignment = 1 - x" in out


def test_show_json_is_a_record_the_parser_reads_back(
    incgeo: Callable[..., tuple[int, str, str]],
) -> None:
    code, out, _ = incgeo("show", ENTRENCHMENT, "--json")
    assert code == 0
    record = json.loads(out)
    model = ig.load_model(ENTRENCHMENT)
    assert ig.Model.from_dict(record) == model
    rhs = parse_expression(record["equations"]["x"], model.symbols)
    assert rhs == model.rhs[0]


def test_show_latex_prints_the_equations(incgeo: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = incgeo("show", ENTRENCHMENT, "--latex")
    assert code == 0
    assert out.startswith("\\begin{aligned}")
    assert "\\dot{x} &=" in out and "\\theta" in out


def test_malformed_file_prints_one_error_line_and_exits_2(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[equations\nx = '-x'\n")
    code, out, err = incgeo("show", str(bad))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {bad}: invalid TOML")
    assert "Traceback" not in err


def test_bad_expression_reports_file_key_and_caret(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[equations]\nx = "-k*x + __import__(1)"\n[parameters]\nk = 1\n')
    code, _, err = incgeo("show", str(bad))
    assert code == 2
    assert err.startswith(f"error: {bad}:2:13: [equations] x: ")
    assert "^" in err and "Traceback" not in err


def test_unknown_model_name_exits_2(incgeo: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = incgeo("show", "no-such-model")
    assert code == 2 and "incgeo models" in err


def test_usage_error_exits_2(incgeo: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = incgeo("show")
    assert code == 2 and "Missing argument" in err


def test_internal_failure_exits_1(
    monkeypatch: pytest.MonkeyPatch, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    def boom(_: str) -> None:
        raise ZeroDivisionError("planted")

    module = importlib.import_module("incentive_geometry.cli.show")
    monkeypatch.setattr(module, "resolve_model", boom)
    code, _, err = incgeo("show", ENTRENCHMENT)
    assert code == 1
    assert "internal error: ZeroDivisionError: planted" in err


def test_models_lists_one_line_per_library_entry(
    incgeo: Callable[..., tuple[int, str, str]],
) -> None:
    from incentive_geometry.theory import MODELS

    code, out, _ = incgeo("models")
    assert code == 0
    if MODELS:
        assert len(out.strip().splitlines()) == len(MODELS)
    else:
        assert out.strip() == "The model library is empty."


def test_console_script_and_module_entry_points() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "incentive_geometry", "show", ENTRENCHMENT],
        capture_output=True,
        text=True,
        check=False,
        cwd=EXAMPLES,
    )
    assert out.returncode == 0, out.stderr
    assert "entrenchment (continuous time)" in out.stdout
