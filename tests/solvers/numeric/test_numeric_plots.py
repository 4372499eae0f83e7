"""Plots: what is drawn (line styles by stability, labels), saving to PNG/SVG, refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.plots import (
    plot_bifurcation_curves,
    plot_bifurcation_diagram,
    plot_phase_portrait,
    plot_time_series,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_bifurcation_diagram_styles_and_labels(tmp_path: Path) -> None:
    m = ig.load_model(EXAMPLES / "entrenchment.toml")
    br = ig.continuation(m, "theta", x0={"x": 1.0}, p_range=(0.0, 1.0), switch_branches=True)
    out = tmp_path / "bd.png"
    fig = plot_bifurcation_diagram(br, path=out)
    assert isinstance(fig, Figure)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    drawn = [ln for ln in ax.lines if len(ln.get_xdata()) > 1]
    solid = [ln for ln in drawn if ln.get_linestyle() == "-"]
    dashed = [ln for ln in drawn if ln.get_linestyle() == "--"]
    # x = 1 is stable (solid) for theta < theta* and unstable (dashed) beyond.
    theta_star = 1.2 / 2.2
    assert any(
        np.allclose(ln.get_ydata(), 1.0) and max(ln.get_xdata()) <= theta_star + 1e-9
        for ln in solid
    )
    assert any(
        np.allclose(ln.get_ydata(), 1.0) and min(ln.get_xdata()) >= theta_star - 1e-9
        for ln in dashed
    )
    labels = [t.get_text() for t in ax.texts]
    assert "TC" in labels
    assert ax.get_xlabel() == "theta" and ax.get_ylabel() == "x"
    svg = tmp_path / "bd.svg"
    plot_bifurcation_diagram(br, path=svg)
    assert b"<svg" in svg.read_bytes()[:500]


def test_two_parameter_diagram_marks_the_cusp(tmp_path: Path) -> None:
    m = ig.Model.from_equations({"x": "a + b*x - x**3"}, parameters={"a": 0.0, "b": 1.0})
    br = ig.continuation(m, "a", x0=[1.0], params={"b": 1.0}, p_range=(-1, 1))
    curve = ig.bifurcation_curve(m, br.bifurcations[0], "b", p_range={"a": (-1, 1), "b": (-0.5, 1)})
    fig = plot_bifurcation_curves(curve, path=tmp_path / "c.png")
    assert [t.get_text() for t in fig.axes[0].texts] == ["CP"]
    assert (tmp_path / "c.png").stat().st_size > 1000


def test_phase_portrait_and_time_series(tmp_path: Path) -> None:
    m = ig.load_model(EXAMPLES / "brusselator.toml")
    fig = plot_phase_portrait(
        m,
        params={"b": 3.0},
        xlim=(0, 4),
        ylim=(0, 5),
        starts=[(1.0, 1.0), (0.5, 4.0)],
        t=20,
        path=tmp_path / "pp.png",
    )
    ax = fig.axes[0]
    eq_markers = [ln for ln in ax.lines if ln.get_marker() == "o"]
    # The equilibrium (1, 3) is unstable at b = 3 > 1 + a^2: an open marker.
    assert len(eq_markers) == 1 and eq_markers[0].get_markerfacecolor() == "white"
    tr = ig.simulate(m, x0={"x": np.array([1.0, 2.0]), "y": np.array([1.0, 1.0])}, t=(0, 5))
    fig2 = plot_time_series(tr, path=tmp_path / "ts.svg")
    assert (tmp_path / "ts.svg").exists() and fig2.axes[0].get_xlabel() == "t"
    assert len(fig2.axes[0].lines) == 2 * 2 + 2  # two members per state, one legend line each


def test_refusals() -> None:
    lor = ig.Model.from_equations({"x": "-x", "y": "-y", "z": "-z"}, parameters={})
    with pytest.raises(ig.ModelError, match="a phase portrait needs a planar model"):
        plot_phase_portrait(lor)
    m = ig.Model.from_equations({"x": "p - x"}, parameters={"p": 0.0})
    br = ig.continuation(m, "p", x0=[0.0], p_range=(0, 1))
    with pytest.raises(ig.ModelError, match=r"`path` = 'out.jpg' must end in .png, .svg, .pdf"):
        plot_bifurcation_diagram(br, path="out.jpg")
    with pytest.raises(ig.ModelError, match=r"`state` = `y` is not a state"):
        plot_bifurcation_diagram(br, state="y")
    with pytest.raises(ig.ModelError, match=r"`names` holds `z`"):
        plot_time_series(ig.simulate(m, x0=[0.0], t=(0, 1)), names=["z"])
