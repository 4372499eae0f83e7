"""Every figure the toolkit writes, produced and checked from its artists (not its pixels).

What a reader relies on: titles, axis labels and legend entries inside the figure; every axis
labelled; legend entries told apart by (colour, line style); stable parts of a branch solid
exactly where the branch data say stable, against the analytic thresholds of the models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.graph_plots import (
    plot_architecture,
    plot_interaction_graph,
)
from incentive_geometry.solvers.numeric.plots import (
    plot_bifurcation_diagram,
    plot_stability_map,
    plot_time_series,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def assert_legible(fig: Figure, *, labelled: bool = True) -> None:
    """Titles, labels and legend texts inside the figure; axes labelled; legend unique."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    box = fig.bbox
    texts: list[Any] = [t for t in fig.texts]  # the suptitle and any figure text
    axes: list[Any] = list(fig.axes)
    for ax in axes:
        # The three title slots (centre, left, right), the axis labels, and every legend text.
        texts += [ax.title, ax._left_title, ax._right_title]
        texts += [ax.xaxis.label, ax.yaxis.label]
        legend = ax.get_legend()
        if legend is not None:
            texts += legend.get_texts()
            keys = [
                (to_rgba(h.get_color()), str(h.get_linestyle()), h.get_marker())
                for h in legend.legend_handles
                if isinstance(h, Line2D)
            ]
            assert len(keys) == len(set(keys)), f"legend entries share a style: {keys}"
        if labelled and ax.axison:
            assert ax.get_xlabel() and ax.get_ylabel(), "an axis without a label"
    for t in texts:
        if not t.get_text() or not t.get_visible():
            continue
        ext = t.get_window_extent(renderer)
        assert (
            ext.x0 >= box.x0 - 1
            and ext.x1 <= box.x1 + 1
            and ext.y0 >= box.y0 - 1
            and ext.y1 <= box.y1 + 1
        ), f"text {t.get_text()!r} at {ext} leaves the figure {box}"


def solid_and_dashed(ax: Any, level: float) -> tuple[list[Any], list[Any]]:
    lines = [
        ln
        for ln in ax.lines
        if len(ln.get_xdata()) > 1 and np.allclose(ln.get_ydata(), level, atol=1e-7)
    ]
    return (
        [ln for ln in lines if ln.get_linestyle() == "-"],
        [ln for ln in lines if ln.get_linestyle() == "--"],
    )


def test_bifurcation_theta_stable_exactly_where_analytic(tmp_path: Path) -> None:
    from incentive_geometry.proofs.figures import bifurcation_theta

    out = bifurcation_theta(tmp_path / "b.png")
    assert out.stat().st_size > 0
    # Redraw from the same branch to read the artists (the function returns the path).
    from incentive_geometry.theory import entrenchment

    m = entrenchment()
    br = ig.continuation(
        m,
        "theta",
        x0={"x": 0.0},
        params={"theta": 0.5},
        p_range=(0.0, 0.95),
        bounds={"x": (-0.05, 1.05)},
    )
    fig = plot_bifurcation_diagram(br, title="x = 0")
    solid, dashed = solid_and_dashed(fig.axes[0], 0.0)
    # x = 0 is stable iff theta > alpha b / (alpha b + c) = 1/6 (alpha = 1, b = 0.2, c = 1).
    prevent = 0.2 / 1.2
    assert solid and dashed
    assert min(min(ln.get_xdata()) for ln in solid) == pytest.approx(prevent, abs=1e-6)
    assert max(max(ln.get_xdata()) for ln in dashed) == pytest.approx(prevent, abs=1e-6)
    # And the artists agree point by point with the branch's own `stable` array.
    on = np.isclose(br.x[:, 0], 0.0, atol=1e-7) & ~br.neutral
    for ln in solid:
        inside = on & (br.p > min(ln.get_xdata())) & (br.p < max(ln.get_xdata()))
        assert br.stable[inside].all()
    for ln in dashed:
        inside = on & (br.p > min(ln.get_xdata())) & (br.p < max(ln.get_xdata()))
        assert not br.stable[inside].any()
    assert_legible(fig)


def draw_report_figure(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Figure:
    """Draw report figure `name` to a PNG (checked non-trivial) and return the figure saved."""
    from incentive_geometry.proofs import figures
    from incentive_geometry.solvers.numeric import plots

    drawn: list[Figure] = []
    # The real saver, also when an earlier call in the same test patched it already.
    real = getattr(plots.save_figure, "real", plots.save_figure)

    def keep(fig: Figure, path: Any) -> None:
        drawn.append(fig)
        real(fig, path)

    keep.real = real  # type: ignore[attr-defined]
    monkeypatch.setattr(plots, "save_figure", keep)
    figures.FIGURES[name](tmp_path / f"{name}.png")
    assert (tmp_path / f"{name}.png").stat().st_size > 1000
    assert drawn, name
    return drawn[-1]


def test_report_figures_are_legible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("bifurcation_theta", "drift", "hysteresis", "depth", "stability_map"):
        assert_legible(draw_report_figure(name, tmp_path, monkeypatch))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cusp", "learner_trajectories"])
def test_slower_report_figures_are_legible(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_legible(draw_report_figure(name, tmp_path, monkeypatch))


def test_audit_cycle_legend_leaves_the_orbits_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fig = draw_report_figure("audit_cycle", tmp_path, monkeypatch)
    assert_legible(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    phase = next(ax for ax in fig.axes if "Hopf point" in ax.get_title())
    orbits = [ln for ln in phase.get_lines() if str(ln.get_label()).startswith("rho = ")]
    assert len(orbits) >= 4
    legend = phase.get_legend().get_window_extent(renderer)
    # In display coordinates: the legend box meets neither the data area of the phase panel nor
    # any orbit, nor the data area of the panel beside it.
    assert not legend.overlaps(phase.get_window_extent(renderer))
    for ln in orbits:
        assert not legend.overlaps(ln.get_window_extent(renderer))
    for ax in fig.axes:
        if ax is not phase:
            assert not legend.overlaps(ax.get_window_extent(renderer))


def test_drift_has_a_y_label_and_its_whole_title(tmp_path: Path) -> None:
    from incentive_geometry.solvers.numeric.simulate import simulate
    from incentive_geometry.theory import entrenchment

    tr = simulate(entrenchment(), x0={"x": 0.4}, t=(0, 40), params={"theta": 0.3})
    title = (
        "drift: alignment with the designer falls in the entrenched basin (theta = 0.3, x0 = 0.4)"
    )
    fig = plot_time_series(tr, names=["alignment"], title=title)
    assert fig.axes[0].get_ylabel() == "alignment"
    assert fig.axes[0].get_title().replace("\n", " ") == title
    assert_legible(fig)


def test_stability_map_boundaries_only_where_their_equilibrium_exists(tmp_path: Path) -> None:
    # x = +-sqrt(a) exist only for a > 0: their boundaries b = +-sqrt(a) must stay there.
    m = ig.Model.from_equations({"x": "x*(a - x**2)*(b - x)"}, parameters={"a": 1.0, "b": 0.5})
    sm = ig.sweep(m, {"a": np.linspace(-1, 1, 41), "b": np.linspace(-1, 1, 41)}, executor="serial")
    fig = plot_stability_map(sm, tmp_path / "map.png", title="a long title " * 12)
    ax = fig.axes[0]
    labels = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    root_entries = [k for k, t in enumerate(labels) if "sqrt(a) stability" in t]
    assert len(root_entries) == 2
    for cs in ax.collections:
        for path in cs.get_paths():
            v = path.vertices
            if (
                len(v)
                and np.allclose(np.abs(v[:, 1]), np.sqrt(np.clip(v[:, 0], 0, None)), atol=0.06)
                and (v[:, 0] > 0.2).any()
            ):
                assert v[:, 0].min() >= -0.06, "a boundary drawn where its equilibrium is absent"
    assert_legible(fig)
    assert (tmp_path / "map.png").stat().st_size > 1000


def test_graph_figures_are_legible() -> None:
    from incentive_geometry.theory import canonical_architecture, holmstrom_milgrom

    assert_legible(plot_architecture(canonical_architecture()), labelled=False)
    assert_legible(plot_interaction_graph(holmstrom_milgrom()), labelled=False)


def test_continue_plots_a_state_that_varies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from incentive_geometry.cli.continuation import _varying_state, continue_

    runner = CliRunner()
    out = tmp_path / "diagram.png"
    args = [str(EXAMPLES / "brusselator.toml"), "b", "--range", "0.5", "4", "--plot", str(out)]
    res = runner.invoke(continue_, args)
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 1000
    m = ig.load_model(EXAMPLES / "brusselator.toml")
    br = ig.continuation(m, "b", x0={"x": 1.0, "y": 2.5}, p_range=(0.5, 4))
    # The equilibrium is (a, b/a): x = a is constant along b, y varies.
    assert _varying_state([br], m.state_names) == "y"
    fig = plot_bifurcation_diagram(br, state="norm")
    ax = fig.axes[0]
    ys = np.concatenate([ln.get_ydata() for ln in ax.lines if len(ln.get_xdata()) > 1])
    xs = np.concatenate([ln.get_xdata() for ln in ax.lines if len(ln.get_xdata()) > 1])
    assert np.allclose(ys, np.hypot(1.0, xs))  # |(1, b)| along the branch
    assert_legible(fig)
    from incentive_geometry.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["continue", *args, "--quantity", "z"])
    assert stop.value.code == 2 and "--quantity 'z'" in capsys.readouterr().err
    ok = runner.invoke(continue_, [*args, "--quantity", "norm"])
    assert ok.exit_code == 0, ok.output
