"""The learner figures of the verification report, produced and read back from their artists.

What a reader relies on, beside legibility (titles, labels and legends inside the figure, every
axis labelled, legend entries told apart): the reference lines at their closed forms, written
here independently of the figure code (theta_tip(x0) = alpha (b + gamma x0) / (alpha (b + gamma
x0) + c), where G(x0) = 0; the mean field's bistable window found from the roots of its cubic),
and the plotted data in the order the theory says (the raised branch of a hysteresis loop above
the lowered one; escape times growing as exp(barrier / eta)).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

_LEGIBILITY = (
    Path(__file__).resolve().parents[1] / "solvers" / "numeric" / "test_figures_legibility.py"
)
_spec = importlib.util.spec_from_file_location("_figures_legibility", _LEGIBILITY)
assert _spec is not None and _spec.loader is not None
_legibility = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_legibility)
assert_legible = _legibility.assert_legible

# The canonical model's defaults (docs/theory.md).
ALPHA, B, GAMMA, C = 1.0, 0.2, 1.0, 1.0


def draw(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Figure:
    """Draw figure `name` to a PNG and return the matplotlib figure that was saved."""
    return _legibility.draw_report_figure(name, tmp_path, monkeypatch)


def labelled(ax: Any, words: str) -> Line2D:
    """The one line of `ax` whose legend label contains `words`."""
    (line,) = [ln for ln in ax.get_lines() if words in str(ln.get_label())]
    return line


def errorbars(ax: Any) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """``(label, x, y, half-height)`` of each error-bar series of `ax`."""
    out = []
    for cont in ax.containers:
        if isinstance(cont, ErrorbarContainer):
            data = cont.lines[0]
            x, y = np.asarray(data.get_xdata(), float), np.asarray(data.get_ydata(), float)
            segs = cont.lines[2][0].get_segments()
            lo = np.array([min(s[0][1], s[1][1]) for s in segs])
            hi = np.array([max(s[0][1], s[1][1]) for s in segs])
            out.append((str(cont.get_label()), x, y, np.c_[y - lo, hi - y]))
    return out


def tip(x0: float) -> float:
    # G(x0) = alpha (1 - theta)(b + gamma x0) - theta c = 0, solved for theta.
    return ALPHA * (B + GAMMA * x0) / (ALPHA * (B + GAMMA * x0) + C)


def test_learner_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fig = draw("learner_threshold", tmp_path, monkeypatch)
    assert_legible(fig)
    (ax,) = fig.axes
    # The reference lines at their closed forms: 1.1 / 2.1 from x0 = 0.9, 1.2 / 2.2 at x0 = 1.
    assert np.allclose(labelled(ax, "theta_tip").get_ydata(), tip(0.9), atol=1e-12)
    assert np.allclose(labelled(ax, "theta*").get_ydata(), tip(1.0), atol=1e-12)
    assert tip(0.9) == pytest.approx(0.52381, abs=1e-5)
    # The first-order prediction leaves the mean field's threshold at eta = 0.
    first = labelled(ax, "first-order")
    x, y = np.asarray(first.get_xdata()), np.asarray(first.get_ydata())
    assert x[0] == 0 and y[0] == pytest.approx(tip(0.9), abs=1e-12)
    ((label, etas, est, err),) = errorbars(ax)
    assert "mean criterion" in label
    assert sorted(etas) == pytest.approx([0.01, 0.02, 0.04, 0.08])
    order = np.argsort(etas)
    # The measured threshold approaches the mean field's as eta -> 0 ...
    gaps = np.abs(est[order] - tip(0.9))
    assert np.all(np.diff(gaps) > 0) and gaps[0] < 0.01
    # ... and, at the small steps where the expansion holds, lies on the first-order line.
    small = etas <= 0.04
    line_at = np.interp(etas[small], x, y)
    assert np.all(np.abs(est[small] - line_at) <= err[small].max(axis=1) + 2e-3)


def test_learner_escape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fig = draw("learner_escape", tmp_path, monkeypatch)
    assert_legible(fig)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    kramers = labelled(ax, "Kramers")
    barrier = float(str(kramers.get_label()).rsplit("barrier", 1)[1])
    u, steps = np.asarray(kramers.get_xdata()), np.asarray(kramers.get_ydata())
    # steps(eta) = prefactor exp(barrier / eta) / eta: in u = 1/eta the log slope is barrier + 1/u.
    slope = np.diff(np.log(steps)) / np.diff(u)
    mid = 0.5 * (u[1:] + u[:-1])
    # (the legend shows the barrier to three decimals)
    assert np.allclose(slope - 1 / mid, barrier, atol=6e-4)
    ((_, inv_eta, means, _),) = errorbars(ax)
    assert sorted(inv_eta) == pytest.approx(sorted(1 / np.array([0.15, 0.125, 0.1])))
    # Escapes take longer at smaller steps, and Kramers' estimate is within a factor 1.5 of
    # each measured mean (the prefactor is of first order in eta).
    order = np.argsort(inv_eta)
    assert np.all(np.diff(means[order]) > 0)
    predicted = np.exp(np.interp(inv_eta, u, np.log(steps)))
    assert np.all(np.abs(np.log(means / predicted)) < np.log(1.5))
    # Step counts read as plain numbers on the log axis.
    assert ax.yaxis.get_major_formatter()(2000.0, 0) == "2,000"


def bistable_window(mu: float) -> tuple[float, float]:
    """The theta interval with three equilibria of x (1 - x) G(x) + mu (1/2 - x) in [0, 1],
    from the roots of the cubic (an independent route to the figure's root count)."""
    inside = []
    for th in np.linspace(0.0, 0.99, 1981):
        k = ALPHA * (1 - th)
        # x (1 - x)(k b - theta c + k gamma x) + mu/2 - mu x, as a cubic in x.
        q = k * B - th * C
        coeffs = [-k * GAMMA, k * GAMMA - q, q - mu, mu / 2]
        r = np.roots(coeffs)
        real = r[np.abs(r.imag) < 1e-9].real
        if np.sum((real >= 0) & (real <= 1)) == 3:
            inside.append(th)
    return min(inside), max(inside)


def test_learner_hysteresis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from incentive_geometry.proofs.catalogue.learners import SWEEP

    fig = draw("learner_hysteresis", tmp_path, monkeypatch)
    assert_legible(fig)
    (ax,) = fig.axes
    up, down = labelled(ax, "learners, theta raised"), labelled(ax, "learners, theta lowered")
    theta = np.asarray(up.get_xdata())
    assert np.array_equal(theta, down.get_xdata()) and np.all(np.diff(theta) > 0)
    x_up, x_down = np.asarray(up.get_ydata()), np.asarray(down.get_ydata())
    # A loop: entrenched at low theta, aligned at high theta, the raised branch above the
    # lowered one everywhere (up to the learners' noise) and well above it somewhere.
    assert x_up[0] > 0.9 and x_down[0] > 0.9 and x_up[-1] < 0.1 and x_down[-1] < 0.1
    assert np.all(x_up >= x_down - 0.05) and np.max(x_up - x_down) > 0.8
    mf_up, mf_down = labelled(ax, "mean field, raised"), labelled(ax, "mean field, lowered")
    assert np.all(np.asarray(mf_up.get_ydata()) >= np.asarray(mf_down.get_ydata()) - 1e-6)
    # The quasi-static window where the mean field is bistable, at its closed form ...
    lo, hi = bistable_window(float(SWEEP["mu"]))
    (span,) = [p for p in ax.patches if "bistable" in str(p.get_label())]
    xs = span.get_transform().transform(span.get_path().vertices)[:, 0]
    x_lo, x_hi = ax.transData.inverted().transform([[xs.min(), 0], [xs.max(), 0]])[:, 0]
    assert x_lo == pytest.approx(lo, abs=2e-3) and x_hi == pytest.approx(hi, abs=2e-3)
    # ... inside the learners' loop: a sweep at a finite rate leaves each state late.
    leave = float(labelled(ax, "leave entrenchment").get_xdata()[0])
    entrench = float(labelled(ax, "learners entrench").get_xdata()[0])
    assert entrench < lo < hi < leave
    # The edges sit at the jumps of the plotted branches (half a grid step past the last point
    # on the old side).
    step = float(np.min(np.diff(theta)))
    assert leave == pytest.approx(theta[np.flatnonzero(x_up < 0.5)[0]] - step / 2)
    assert entrench == pytest.approx(theta[np.flatnonzero(x_down > 0.5)[-1]] + step / 2)
