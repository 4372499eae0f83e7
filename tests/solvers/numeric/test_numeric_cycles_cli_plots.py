"""`incgeo continue --cycles` and the plots of cycle families: text, JSON, figures, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.plots import plot_bifurcation_diagram, plot_cycles

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_continue_with_cycles_text_json_and_plot(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    model = str(EXAMPLES / "brusselator.toml")
    png = tmp_path / "bd.png"
    code, out, err = incgeo(
        "continue", model, "b", "--range", "1", "3", "--cycles", "--plot", str(png)
    )
    assert code == 0, out + err
    assert "hopf            b = 2  (x = 1, y = 2)  supercritical" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("cycles 1:"))
    assert "b in [2.0002, 3]" in line and "stable;" in line and "period 6.28" in line
    assert png.read_bytes()[:4] == b"\x89PNG"
    code, out, _ = incgeo("continue", model, "b", "--range", "1", "3", "--cycles", "--json")
    record = json.loads(out)
    (fam,) = record["cycles"]
    assert fam["success"] and min(fam["p"]) >= 2.0 - 1e-9
    assert all(fam["stable"]) and len(fam["period"]) == len(fam["p"])
    # Without --cycles the JSON has no cycles.
    code, out, _ = incgeo("continue", model, "b", "--range", "1", "3", "--json")
    assert "cycles" not in json.loads(out)


def test_continue_cycles_on_a_map_is_bad_input(incgeo: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = incgeo(
        "continue", str(EXAMPLES / "logistic_map.toml"), "r", "--range", "2.5", "3.2", "--cycles"
    )
    assert code == 2
    assert "is a map" in err and "Traceback" not in err


def _hopf_family() -> tuple[ig.Branch, ig.CycleBranch]:
    m = ig.Model.from_equations(
        {"x": "mu*x - y - x*(x**2 + y**2)", "y": "x + mu*y - y*(x**2 + y**2)"},
        parameters={"mu": -0.5},
    )
    br = ig.continuation(m, "mu", x0=[0, 0], p_range=(-0.5, 1))
    return br, ig.cycles(m, "mu", start=br.of_kind("hopf")[0], p_range=(-0.5, 1))


def test_cycle_envelope_in_the_bifurcation_diagram() -> None:
    br, cy = _hopf_family()
    fig = plot_bifurcation_diagram(br, cycles=cy, state="y")
    ax = fig.axes[0]
    # The envelope: max and min of y over each orbit, +-sqrt(mu).
    green = [ln for ln in ax.get_lines() if ln.get_color() == "C2" and len(ln.get_xdata()) > 1]
    assert len(green) == 2
    for ln in green:
        p, y = np.asarray(ln.get_xdata()), np.asarray(ln.get_ydata())
        np.testing.assert_allclose(np.abs(y), np.sqrt(p), atol=1e-6)


def test_plot_cycles_quantities_and_errors(tmp_path: Path) -> None:
    _, cy = _hopf_family()
    for q, expected in (("period", 2 * np.pi), ("norm", None), ("x", None)):
        fig = plot_cycles(cy, quantity=q, path=tmp_path / f"{q}.png")
        assert (tmp_path / f"{q}.png").exists()
        if expected is not None:
            y = fig.axes[0].get_lines()[0].get_ydata()
            np.testing.assert_allclose(y, expected, rtol=1e-8)
    with pytest.raises(ig.ModelError, match="`quantity` = 'speed'"):
        plot_cycles(cy, quantity="speed")
    with pytest.raises(ig.ModelError, match="empty"):
        plot_cycles([])
    with pytest.raises(ig.ModelError, match="CycleBranch objects"):
        plot_cycles([object()])  # type: ignore[list-item]
    other = ig.Model.from_equations({"x": "a - x", "y": "-y"}, parameters={"a": 1.0})
    br2 = ig.continuation(other, "a", x0=[1, 0], p_range=(0, 2))
    with pytest.raises(ig.ModelError, match="family in `mu`, the branches are in `a`"):
        plot_bifurcation_diagram(br2, cycles=cy)
