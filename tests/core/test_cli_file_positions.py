"""Errors inside the expressions of a model file point at the file's line and column.

The expected positions are counted by hand in the file texts below (1-based, as editors count).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import incentive_geometry as ig

Run = Callable[..., tuple[int, str, str]]

CASES = [
    # (file text, line, column of the offending character, label)
    ('name = "m"\n\n[equations]\nx = "-x"\ny = "x + $y"\n', 5, 10, "[equations] y"),
    ('[equations]\n  "y" = "x*(1 - x)*zz"\nx = "-x"\n', 2, 20, "[equations] y"),
    ("[equations]\nx = 'x*(1 - x)*zz'\n", 2, 16, "[equations] x"),
    ('[equations]\nx = "-x"\n[observables]\nal = "1 - $x"\n', 4, 11, "[observables] al"),
    ('[equations]\nx = "-x"\n[noise]\nx = "0.1*zz"\n', 4, 10, "[noise] x"),
    ('constraints = ["x >= 0", "x <= $"]\n[equations]\nx = "-x"\n', 1, 32, "[constraints] 2"),
    # A multi-line string: the error is on its second line.
    ('[equations]\nx = """\n(-x +\n  2*$x)"""\n', 4, 5, "[equations] x"),
    # An escape before the error shifts the file column by one.
    ('[equations]\nx = "\\u0078 + zz"\n', 2, 15, "[equations] x"),
]


@pytest.mark.parametrize(("text", "line", "col", "label"), CASES)
def test_expression_errors_point_into_the_file(
    tmp_path: Path, text: str, line: int, col: int, label: str
) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(ig.ModelError) as info:
        ig.load_model(path)
    summary = info.value.summary
    assert summary.startswith(f"{path}:{line}:{col}: {label}: "), summary
    # The context is the file's line with a caret under the reported column.
    shown, caret = str(info.value).splitlines()[1:3]
    assert shown == "  " + text.splitlines()[line - 1]
    assert caret.index("^") == col + 1


def test_errors_outside_expressions_are_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('colour = "red"\n[equations]\nx = "-x"\n')
    with pytest.raises(ig.ModelError, match=r": unknown key `colour`"):
        ig.load_model(path)


def test_a_claim_error_points_into_the_file(incgeo: Run, tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        '[equations]\nx = "-a*x"\n[parameters]\na = 1\n'
        '[[claims]]\nname = "first"\nprediction = "a > 0"\nobserve = "stable"\n'
        "at = { x = 0 }\ndomain = { a = [0.1, 1] }\n"
        '[[claims]]\nname = "second"\nprediction = "a >> 1"\nobserve = "stable"\n'
        "at = { x = 0 }\ndomain = { a = [0.1, 1] }\n"
    )
    code, out, err = incgeo("check", str(path))
    assert code == 2 and out == ""
    first = err.splitlines()[0]
    assert first.startswith(f"error: {path}:13:15: [[claims]] 2 `second`: prediction: "), first
    assert "claim `second`: claim" not in first


def test_the_cli_prints_the_file_position(incgeo: Run, tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[equations]\nx = "-x"\ny = "x + $y"\n')
    code, out, err = incgeo("show", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"error: {path}:3:10: [equations] y: syntax error")
