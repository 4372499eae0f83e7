"""Compiled continuation kernels against the NumPy walk and against exact bifurcation values.

Each branch is followed twice, by the compiled kernel (``compiled=True``) and by the NumPy walk
with numba switched off (``INCENTIVE_GEOMETRY_NO_NUMBA=1``, the path taken when numba is not
installed): the points and the bifurcations must agree to 1e-10, and the bifurcations must lie
at their exact values (closed forms, not derived by the code under test):

* ``x' = p + x**2``: one fold at p = 0, x = 0;
* Lorenz (sigma = 10, beta = 8/3) on the origin's branch in rho: a pitchfork at rho = 1, and on
  the switched branch of the two nontrivial equilibria a Hopf point at
  rho = sigma (sigma + beta + 3) / (sigma - beta - 1) = 470/19 on each (Lorenz 1963; Sparrow
  1982, sec. 1.2);
* the logistic map ``x -> r x (1 - x)`` on the fixed point ``1 - 1/r``: transcritical at r = 1
  with the branch x = 0, flip at r = 3;
* the Henon map on its fixed point: flip at a = 3 (1 - b)**2 / 4.

The kernel's test functions (determinants of bialternate products) are checked against the
eigenvalue products of :mod:`monitors` at random points.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.solvers.numeric import kernels
from incentive_geometry.solvers.numeric.arclength import ArclengthSystem
from incentive_geometry.solvers.numeric.compile import compile_model
from incentive_geometry.solvers.numeric.monitors import MONITORS, MonitorPoint

numba = pytest.importorskip("numba")

TOL = 1e-10
SIGMA, BETA = 10.0, 8.0 / 3.0
RHO_HOPF = SIGMA * (SIGMA + BETA + 3) / (SIGMA - BETA - 1)  # 470/19


@pytest.fixture(autouse=True, scope="module")
def _cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Generated kernels go to a fresh folder, never the user's cache.
    mp = pytest.MonkeyPatch()
    mp.setenv(kernels.CACHE_ENV, str(tmp_path_factory.mktemp("kernels")))
    mp.delenv(kernels.NO_NUMBA_ENV, raising=False)
    yield
    mp.undo()


def lorenz() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "s*(y - x)", "y": "x*(r - z) - y", "z": "x*y - b*z"},
        parameters={"s": SIGMA, "r": 0.5, "b": BETA},
        name="lorenz",
    )


def both(
    model: ig.Model, param: str, monkeypatch: pytest.MonkeyPatch, **kw: object
) -> tuple[ig.Branch, ig.Branch]:
    """The branch by the compiled kernel and by the NumPy walk (numba off)."""
    assert kernels.continuation_kernel(model) is not None  # the compiled path is taken
    fast = ig.continuation(model, param, compiled=True, **kw)  # type: ignore[arg-type]
    with monkeypatch.context() as m:
        m.setenv(kernels.NO_NUMBA_ENV, "1")
        assert kernels.continuation_kernel(model) is None
        slow = ig.continuation(model, param, compiled=True, **kw)  # type: ignore[arg-type]
    return fast, slow


def assert_same(a: ig.Branch, b: ig.Branch) -> None:
    assert len(a.p) == len(b.p)
    assert np.abs(a.p - b.p).max() <= TOL
    assert np.abs(a.x - b.x).max() <= TOL * (1 + np.abs(b.x).max())
    assert [x.kind for x in a.bifurcations] == [x.kind for x in b.bifurcations]
    for x, y in zip(a.bifurcations, b.bifurcations, strict=True):
        assert abs(x.p - y.p) <= TOL and np.abs(x.x - y.x).max() <= TOL * (1 + np.abs(y.x).max())
    assert a.message == b.message and a.status == b.status
    assert len(a.children) == len(b.children)
    for ca, cb in zip(a.children, b.children, strict=True):
        assert_same(ca, cb)


def test_fold_at_its_exact_location(monkeypatch: pytest.MonkeyPatch) -> None:
    m = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0}, name="fold")
    fast, slow = both(m, "p", monkeypatch, x0={"x": -1.0}, p_range=(-2, 1), ds=0.05)
    assert_same(fast, slow)
    (fold,) = fast.bifurcations
    assert fold.kind == "fold" and abs(fold.p) < 1e-12 and abs(fold.x[0]) < 1e-5
    # Every point solves p + x**2 = 0.
    assert np.abs(fast.p + fast.x[:, 0] ** 2).max() < 1e-10


def test_lorenz_pitchfork_and_hopf_points(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = both(
        lorenz(),
        "r",
        monkeypatch,
        x0=[0.0, 0.0, 0.0],
        params={"r": 0.5},
        p_range=(0, 30),
        switch_branches=True,
    )
    assert_same(fast, slow)
    (pf,) = fast.bifurcations
    assert pf.kind == "pitchfork" and abs(pf.p - 1.0) < 1e-10
    (child,) = fast.children
    hopfs = child.of_kind("hopf")
    assert len(hopfs) == 2
    for h in hopfs:
        assert abs(h.p - RHO_HOPF) < 1e-8
        # C+- = (+-sqrt(beta (rho - 1)), +-sqrt(beta (rho - 1)), rho - 1)
        c = math.sqrt(BETA * (RHO_HOPF - 1))
        assert abs(abs(h.x[0]) - c) < 1e-7 and abs(h.x[2] - (RHO_HOPF - 1)) < 1e-7
    # the nontrivial branch: z = r - 1 at every point away from the origin
    off = np.abs(child.x[:, 0]) > 1e-3
    assert np.abs(child.x[off, 2] - (child.p[off] - 1)).max() < 1e-9


@pytest.mark.slow  # a third model to compile (about 10 s)
def test_logistic_map_transcritical_and_flip(monkeypatch: pytest.MonkeyPatch) -> None:
    m = ig.Model.from_equations(
        {"x": "r*x*(1 - x)"}, parameters={"r": 2.0}, time="discrete", name="logistic"
    )
    fast, slow = both(
        m,
        "r",
        monkeypatch,
        x0={"x": 0.5},
        p_range=(0.5, 3.5),
        switch_branches=True,
        bounds={"x": (-1, 1)},
    )
    assert_same(fast, slow)
    kinds = {b.kind: b for b in fast.bifurcations}
    assert set(kinds) == {"transcritical", "flip"}
    assert abs(kinds["transcritical"].p - 1.0) < 1e-10
    assert abs(kinds["flip"].p - 3.0) < 1e-10 and abs(kinds["flip"].x[0] - 2.0 / 3.0) < 1e-10


def test_kernel_test_functions_match_the_eigenvalue_products() -> None:
    # Bialternate determinants in the kernel against the eigenvalue products of monitors.py.
    rng = np.random.default_rng(3)
    henon = ig.Model.from_equations(
        {"x": "1 - a*x**2 + y", "y": "b*x"},
        parameters={"a": 1.0, "b": 0.3},
        time="discrete",
        name="henon",
    )
    for model, k in ((lorenz(), 1), (henon, 0)):
        kern = kernels.continuation_kernel(model)
        assert kern is not None
        cm = compile_model(model)
        base = cm.param_vector({p.name: p.default for p in model.parameters})
        sys = ArclengthSystem(cm, base, k)
        tests = [c() for c in MONITORS if c.applies(model.time, sys.n)]
        assert tuple(t.kind for t in tests) == kern.kinds
        for _ in range(20):
            z = rng.normal(size=sys.n + 1) * 3
            t = rng.normal(size=sys.n + 1)
            t /= np.linalg.norm(t)
            out = np.empty(len(tests))
            assert kern.tests(z, t, base, k, out)
            ref = np.array([test.value(MonitorPoint(z, t, sys)) for test in tests])
            assert np.allclose(out, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


def test_henon_flip_at_its_exact_value(monkeypatch: pytest.MonkeyPatch) -> None:
    b = 0.3
    m = ig.Model.from_equations(
        {"x": "1 - a*x**2 + y", "y": "b*x"},
        parameters={"a": 0.2, "b": b},
        time="discrete",
        name="henon",
    )
    fast, slow = both(m, "a", monkeypatch, x0=[0.6, 0.18], p_range=(0.2, 1.0))
    assert_same(fast, slow)
    (flip,) = fast.of_kind("flip")
    assert abs(flip.p - 3 * (1 - b) ** 2 / 4) < 1e-10


def test_fallback_without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    # numba "not installed": find_spec finds nothing; continuation runs the NumPy walk.
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "numba" else real(name, *a)
    )
    assert not kernels.numba_enabled()
    m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0}, name="tc")
    assert kernels.continuation_kernel(m) is None
    br = ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1), compiled=True)
    assert [b.kind for b in br.bifurcations] == ["transcritical"]
    assert abs(br.bifurcations[0].p) < 1e-12


def test_ready_kernels_only_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(kernels.COMPILE_ENV, raising=False)
    # compiled=None does not compile: a model seen for the first time gets no kernel ...
    new = ig.Model.from_equations({"x": "q - x**3 + x"}, parameters={"q": 0.0}, name="new")
    assert kernels.continuation_kernel(new, build=False) is None
    # ... while a kernel compiled before is found on disk (not only in this process's memory)
    fold = ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0}, name="fold")
    kern = kernels.continuation_kernel(fold)
    assert kern is not None and kern.path.is_relative_to(kernels.kernel_cache_dir())
    monkeypatch.delitem(kernels._LOADED, fold)
    again = kernels.continuation_kernel(fold, build=False)
    assert again is not None and again is not kern and again.path == kern.path
    br = ig.continuation(fold, "p", x0={"x": -1.0}, p_range=(-2, 1))  # uses it
    assert abs(br.bifurcations[0].p) < 1e-12


def test_compiled_argument_is_checked() -> None:
    m = ig.Model.from_equations({"x": "p - x"}, parameters={"p": 0.0})
    with pytest.raises(ig.ModelError, match="`compiled`"):
        ig.continuation(m, "p", x0=[0.0], p_range=(0, 1), compiled="yes")  # type: ignore[arg-type]


def test_switch_branch_compiled_and_numpy_agree() -> None:
    # The other branch at Lorenz's pitchfork (C+ and C-), by the kernel and by the NumPy walk.
    m = lorenz()
    trivial = ig.continuation(m, "r", x0=[0.0, 0.0, 0.0], p_range=(0, 30), compiled=False)
    (pf,) = trivial.bifurcations
    fast = ig.switch_branch(m, pf, p_range=(0, 30), compiled=True)
    slow = ig.switch_branch(m, pf, p_range=(0, 30), compiled=False)
    assert_same(fast, slow)
    assert sorted(round(b.p, 8) for b in fast.of_kind("hopf")) == [round(RHO_HOPF, 8)] * 2
