"""One stability predicate for the numerics: neutral is not stable, and undefined points are a
class of their own (issue 11, build item 6)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.errors import ModelError
from incentive_geometry.solvers.numeric.plots import plot_bifurcation_diagram
from incentive_geometry.solvers.numeric.stability import (
    STABILITY_TOL,
    is_stable,
    stability_class,
    stability_codes,
)


def test_the_predicate_on_textbook_spectra() -> None:
    # Kuznetsov theorems 1.2/1.3: flows by real parts, maps by moduli.
    assert stability_class("continuous", np.array([-1 + 5j, -1 - 5j])) == "stable"
    assert stability_class("continuous", np.array([1j, -1j])) == "neutral"  # a centre
    assert stability_class("continuous", np.array([-3.0, 0.2])) == "unstable"  # a saddle
    assert stability_class("discrete", np.array([-0.99, 0.5])) == "stable"
    assert stability_class("discrete", np.array([np.exp(0.7j), np.exp(-0.7j)])) == "neutral"
    assert stability_class("discrete", np.array([-1.01])) == "unstable"  # past a flip
    # The band is relative to the size of the spectrum, and an uncertainty widens it.
    assert stability_class("continuous", np.array([-1e6, -1e-3])) == "neutral"
    assert stability_class("continuous", np.array([-1.0, -1e-6]), uncertainty=1e-5) == "neutral"
    assert stability_class("continuous", np.array([-1.0, -3 * STABILITY_TOL])) == "stable"
    # Not finite: not decided.
    assert stability_class("continuous", np.array([np.nan, -1.0])) == "neutral"
    codes = stability_codes("continuous", np.array([[-1.0], [0.0], [2.0]]))
    assert codes.tolist() == [0, 1, 2]
    assert is_stable("continuous", np.array([[-1.0], [0.0]])).tolist() == [True, False]
    with pytest.raises(ModelError, match="`time`"):
        stability_class("flow", np.array([-1.0]))
    with pytest.raises(ModelError, match="one spectrum"):
        stability_class("continuous", np.zeros((2, 2)))


def test_a_semi_stable_point_is_neutral_not_stable() -> None:
    # x' = (x - p)^2: x = p attracts from below and repels above; Newton finds it to ~1e-10, so
    # its computed eigenvalue is about -2e-10 (the old code called it stable).
    m = ig.Model.from_equations({"x": "(x - p)**2"}, parameters={"p": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (eq,) = ig.find_equilibria(m)
    assert abs(eq.x[0] - 1.0) < 1e-6
    assert eq.stability == "neutral" and eq.stable is False
    assert eq.as_dict()["stability"] == "neutral"
    sm = ig.sweep(m, {"p": np.linspace(-1, 1, 5)})
    assert sm.counts == {"none stable (x=p neutral)": 5}
    assert sm.neutral.all() and not sm.stable.any()


def test_neutral_and_stable_equilibria_are_consistent() -> None:
    x = np.zeros(1)
    with pytest.raises(ModelError, match="contradicts"):
        ig.NumericEquilibrium(x=x, eigenvalues=np.zeros(1, complex), stable=True, residual=0.0,
                              stability="neutral")
    with pytest.raises(ModelError, match="`stability`"):
        ig.NumericEquilibrium(x=x, eigenvalues=np.zeros(1, complex), stable=False, residual=0.0,
                              stability="marginal")


@pytest.mark.parametrize("method", ["auto", "numeric"])
def test_undefined_points_form_their_own_class(method: str) -> None:
    # x' = log(a) - x is undefined for a <= 0 (11 of the 21 points); the old sweep called them
    # "none stable" with no note.
    m = ig.Model.from_equations({"x": "log(a) - x"}, parameters={"a": 1.0})
    a = np.linspace(-1, 1, 21)
    sm = ig.sweep(m, {"a": a}, method=method)
    undefined = sm.classes == "undefined"
    assert np.array_equal(undefined, a <= 0)
    assert np.array_equal(sm.defined, a > 0)
    assert any("undefined at 11 of 21 points" in n and "a = -1" in n for n in sm.notes)
    # Where it is defined, x = log(a) is the stable equilibrium.
    good = a > 0
    assert np.allclose(np.nanmax(sm.x[good, :, 0], axis=1), np.log(a[good]), atol=1e-9)
    assert sm.stable[good].any(axis=1).all()


def test_undefined_and_neutral_survive_save_and_load(tmp_path) -> None:
    m = ig.Model.from_equations({"x": "x*(log(a) - x)"}, parameters={"a": 1.0})
    sm = ig.sweep(m, {"a": np.array([-1.0, 0.5, 1.0, 2.0])})
    assert sm.classes.tolist()[0] == "undefined"
    assert "neutral" in sm.classes.tolist()[2]  # a = 1: x = 0 and x = log(a) meet, eigenvalue 0
    back = ig.StabilityMap.load(sm.save(tmp_path / "map.npz"))
    assert np.array_equal(back.neutral, sm.neutral) and np.array_equal(back.defined, sm.defined)
    assert back.counts == sm.counts


def test_a_branch_marks_its_bifurcation_points_neutral() -> None:
    # x' = x (p - x) along x = 0: the transcritical point p = 0 is neutral, the rest decided.
    m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
    br = ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1), ds=0.1)
    assert np.allclose(br.p[br.neutral], [0.0], atol=1e-12)
    assert np.all(br.stable == (br.p < -1e-9))


def test_the_diagram_changes_style_exactly_at_the_bifurcation_point() -> None:
    # The located point is neutral: the solid part ends there and the dashed part starts there
    # (the old diagram drew the last step before it dashed).
    m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
    br = ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1), ds=0.3, ds_max=0.3)
    ax = plot_bifurcation_diagram(br).axes[0]
    drawn = [ln for ln in ax.lines if len(ln.get_xdata()) > 1]
    solid = [ln for ln in drawn if ln.get_linestyle() == "-"]
    dashed = [ln for ln in drawn if ln.get_linestyle() == "--"]
    assert max(max(ln.get_xdata()) for ln in solid) == pytest.approx(0.0, abs=1e-12)
    assert min(min(ln.get_xdata()) for ln in dashed) == pytest.approx(0.0, abs=1e-12)
