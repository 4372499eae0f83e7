"""The library through the command line, and the registry's contract."""

from __future__ import annotations

import inspect

import pytest
from click.testing import CliRunner

from incentive_geometry import Model
from incentive_geometry.cli import cli
from incentive_geometry.theory import MODELS


def test_incgeo_models_lists_every_model_on_one_line():
    result = CliRunner().invoke(cli, ["models"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == len(MODELS)
    names = [line.split()[0] for line in lines]
    assert sorted(names) == sorted(MODELS)
    for line in lines:
        name, summary = line.split(maxsplit=1)
        first = inspect.getdoc(MODELS[name]).splitlines()[0]
        assert summary.strip() == first.strip()


def test_incgeo_show_entrenchment_latex_prints_the_equations():
    result = CliRunner().invoke(cli, ["show", "entrenchment", "--latex"])
    assert result.exit_code == 0, result.output
    assert "\\begin{aligned}" in result.output
    assert "\\dot{x}" in result.output
    assert "\\alpha" in result.output and "\\theta" in result.output
    assert "\\gamma" in result.output


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_factory_works_with_defaults_and_documents_itself(name):
    factory = MODELS[name]
    model = factory()
    assert isinstance(model, Model)
    assert model.description and model.references
    for p in model.parameters:
        assert p.default is not None and p.meaning, f"{name}: parameter {p.name}"
        assert p.domain.contains(p.default)
    doc = inspect.getdoc(factory)
    for section in ("Parameters", "Returns", "References", "Examples"):
        assert section in doc, f"{name}: docstring lacks {section}"
    result = CliRunner().invoke(cli, ["show", name])
    assert result.exit_code == 0, result.output
    assert model.name in result.output
