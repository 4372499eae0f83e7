"""`incgeo derive` within its time budget: what finished is printed, what did not is marked.

Sel'kov's glycolysis model and FitzHugh-Nagumo made `incgeo derive --timeout 20` silent for
300 s (issue 10); the slow test runs them. As the engine gets faster they may stop hanging, so
the fast tests make one entry point hang on purpose (a sympy call of many minutes that never
checks a budget, patched in before the fork) on a damped oscillator whose other parts are
quick. The wall-clock bounds check the promise (the budget, with slack for a loaded machine and
the interpreter's start-up); they are not speed measurements."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy

import incentive_geometry as ig
from incentive_geometry.cli import main
from incentive_geometry.cli.derive import derivation
from incentive_geometry.language import parse_condition, parse_expression
from incentive_geometry.solvers import symbolic
from incentive_geometry.solvers.symbolic.budget import Budget, fork_available

pytestmark = pytest.mark.skipif(not fork_available(), reason="no fork start method here")

Runner = Callable[..., tuple[int, str, str]]

SELKOV = """\
name = "selkov"
[equations]
x = "-x + a*y + x**2*y"
y = "b - a*y - x**2*y"
[parameters]
a = { default = 0.08, domain = "positive" }
b = { default = 0.6, domain = "positive" }
"""

FITZHUGH_NAGUMO = """\
name = "fitzhugh_nagumo"
[equations]
v = "v - v**3/3 - w + i_ext"
w = "eps*(v + a - b*w)"
[parameters]
i_ext = { default = 0.5 }
eps = { default = 0.08, domain = "positive" }
a = { default = 0.7 }
b = { default = 0.8, domain = "positive" }
"""

# x'' + c x' + k x = 0: the origin is stable iff k > 0 and c > 0.
OSCILLATOR = """\
name = "oscillator"
[equations]
x = "y"
y = "-k*x - c*y"
[parameters]
k = 1.0
c = 0.5
"""

# Two equilibria, (0, 0) and (1, 0).
TWO_POINTS = """\
name = "two_points"
[equations]
x = "r*x*(1 - x)"
y = "-y"
[parameters]
r = 1.0
"""

SLACK = 3.0  # seconds over budget + margin allowed for a loaded machine


def _write(tmp_path: Path, text: str, name: str) -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return str(path)


def _oscillator_stable(k: float, c: float) -> bool | None:
    """Both eigenvalues of [[0, 1], [-k, -c]] in the left half plane (numpy)."""
    top = max(np.linalg.eigvals(np.array([[0.0, 1.0], [-k, -c]])).real)
    return None if abs(top) < 1e-9 else bool(top < 0)


def _hang(*args: Any, **kwargs: Any) -> Any:
    """One sympy call of many minutes that never checks a budget (1,947,792 terms)."""
    a, b, c, d, e, f = sympy.symbols("a:f")
    return sympy.expand((a + b + c + d + e + f + 1) ** 30)


@pytest.fixture
def hanging(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make one entry point hang (derive looks them up at call time; the child inherits it)."""

    def patch(name: str) -> None:
        monkeypatch.setattr(symbolic, name, _hang)

    return patch


def test_what_finished_is_printed_and_the_bifurcations_are_marked(
    incgeo: Runner, tmp_path: Path, hanging: Callable[[str], None]
) -> None:
    hanging("bifurcations")
    path = _write(tmp_path, OSCILLATOR, "oscillator")
    start = time.perf_counter()
    code, out, err = incgeo("derive", path, "--timeout", "3")
    assert time.perf_counter() - start < 3 + SLACK
    # Out of time is not bad input: exit 1, one message on stderr naming the missing part.
    assert code == 1, out + err
    assert err.startswith("error: derive `oscillator`: not finished within the time budget of 3 s")
    assert "(missing: bifurcations of [1])" in err and "Traceback" not in err
    assert "1 equilibria" in out and "x = 0, y = 0" in out
    assert (
        "    bifurcations  not finished within the budget (last step reached: bifurcations); "
        f"try `incgeo continue {path} k`"
    ) in out
    # The thresholds (computed before the bifurcations) are printed.
    assert "threshold     k* = 0" in out and "threshold     c* = 0" in out
    # What was printed is right: the stability condition agrees with numerical eigenvalues.
    (stable_line,) = [line for line in out.splitlines() if "stable when" in line]
    m = ig.load_model(path)
    cond = parse_condition(stable_line.split("stable when", 1)[1].strip(), m.symbols)
    k, c = m.symbol("k"), m.symbol("c")
    rng = np.random.default_rng(0)
    verdicts = set()
    for kv, cv in rng.uniform(-2, 2, (60, 2)):
        expected = _oscillator_stable(float(kv), float(cv))
        if expected is None:
            continue
        assert bool(cond.subs({k: kv, c: cv})) == expected, (kv, cv)
        verdicts.add(expected)
    assert verdicts == {True, False}


def test_the_json_record_marks_the_unfinished_parts(
    incgeo: Runner, tmp_path: Path, hanging: Callable[[str], None]
) -> None:
    hanging("bifurcations")
    path = _write(tmp_path, OSCILLATOR, "oscillator")
    code, out, err = incgeo("derive", path, "--timeout", "3", "--json")
    assert code == 1 and "not finished" in err
    record = json.loads(out)
    assert record["budget"] == 3 and record["complete"] is False
    (eq,) = record["equilibria"]
    assert eq["stable"] is not None and eq["bifurcations"] is None
    assert [u["part"] for u in eq["unfinished"]] == ["bifurcations"]
    (missing,) = record["unfinished"]
    assert missing == {
        "equilibrium": 0,
        "part": "bifurcations",
        "reason": "not finished within the budget",
        "step": "bifurcations",
        "try": f"incgeo continue {path} k",
    }


def test_a_stopped_threshold_keeps_what_was_offered(
    incgeo: Runner, tmp_path: Path, hanging: Callable[[str], None]
) -> None:
    hanging("threshold")
    path = _write(tmp_path, OSCILLATOR, "oscillator")
    code, out, _ = incgeo("derive", path, "--timeout", "3", "--json")
    assert code == 1
    (eq,) = json.loads(out)["equilibria"]
    # Stability was offered to the parent before the threshold in `k` hung.
    assert eq["stable"] is not None and eq["thresholds"] == {}
    assert [(u["part"], u["reason"]) for u in eq["unfinished"]] == [
        ("threshold in k", "not finished within the budget"),
        ("threshold in c", "not started: the budget was used up"),
        ("bifurcations", "not started: the budget was used up"),
    ]
    assert eq["unfinished"][0]["step"] == "threshold in k"


def test_a_cooperative_timeout_names_the_inner_step(
    incgeo: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow_stability(model: ig.Model, eq: Any, *, timeout: float | None = None) -> Any:
        budget = Budget(timeout, what=f"stability in `{model.name}`")
        while True:
            budget.check("block ['x', 'y']")
            time.sleep(0.01)

    monkeypatch.setattr(symbolic, "stability", slow_stability)
    path = _write(tmp_path, OSCILLATOR, "oscillator")
    code, out, _ = incgeo("derive", path, "--timeout", "2")
    assert code == 1
    assert (
        "stable when   not finished within the budget (last step reached: stability in `oscillator`: "
        "block ['x', 'y']); try `incgeo sweep "
    ) in out
    assert "bifurcations  not started: the budget was used up" in out
    assert "thresholds    not started: the budget was used up" in out


def test_equilibria_that_do_not_finish_are_reported(
    incgeo: Runner, tmp_path: Path, hanging: Callable[[str], None]
) -> None:
    hanging("equilibria")
    path = _write(tmp_path, OSCILLATOR, "oscillator")
    start = time.perf_counter()
    code, out, err = incgeo("derive", path, "--timeout", "2", "--json")
    assert time.perf_counter() - start < 2 + SLACK
    assert code == 1 and "(missing: equilibria)" in err
    record = json.loads(out)
    assert record["equilibria"] == [] and record["complete"] is False
    assert [(u["equilibrium"], u["part"]) for u in record["unfinished"]] == [(None, "equilibria")]
    code, out, _ = incgeo("derive", path, "--timeout", "2")
    assert out.startswith("oscillator (continuous time): equilibria not finished within the budget")


def test_each_equilibrium_is_printed_as_soon_as_it_is_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "log"

    def logged_hang(model: ig.Model, eq: Any, **kwargs: Any) -> Any:
        with log.open("a") as f:  # written by the child process
            f.write(f"bifurcations of x = {eq.point[model.symbol('x')]}\n")
        return _hang()

    class Watch(io.StringIO):
        def write(self, text: str) -> int:
            if "] equilibrium" in text:
                with log.open("a") as f:
                    f.write(f"printed {text.split()[0]}\n")
            return super().write(text)

    monkeypatch.setattr(symbolic, "bifurcations", logged_hang)
    path = _write(tmp_path, TWO_POINTS, "two_points")
    out = Watch()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(io.StringIO()),
        pytest.raises(SystemExit) as stop,
    ):
        main(["derive", path, "--timeout", "4"])
    assert stop.value.code == 1
    # [1] is printed before the work on the second equilibrium starts.
    assert log.read_text().splitlines() == [
        "bifurcations of x = 0",
        "printed [1]",
        "bifurcations of x = 1",
        "printed [2]",
    ]


def test_a_bad_timeout_is_bad_input(incgeo: Runner, tmp_path: Path) -> None:
    path = _write(tmp_path, OSCILLATOR, "oscillator")
    for bad in ("0", "-5", "soon"):
        code, _, err = incgeo("derive", path, "--timeout", bad)
        assert code == 2 and "--timeout" in err, err


def test_the_default_budget_is_stated_in_the_help(incgeo: Runner) -> None:
    code, out, _ = incgeo("derive", "--help")
    assert code == 0 and "60" in out and "whole command" in out


def test_a_model_that_finishes_is_complete_with_a_budget() -> None:
    # The logistic map: the fixed point 1 - 1/r is stable for 1 < r < 3 (Strogatz, sec. 10.3).
    m = ig.Model.from_equations(
        {"x": "r*x*(1 - x)"},
        parameters={"r": {"default": 2.5, "domain": [0, 4]}},
        time="discrete",
        name="logistic",
    )
    record = derivation(m, timeout=60)
    assert record["complete"] is True and record["unfinished"] == []
    # Through the child process and back: the same record as in-process.
    assert record == {**derivation(m), "budget": 60}
    names = m.symbols
    (inner,) = [e for e in record["equilibria"] if e["point"] != {"x": "0"}]
    assert sympy.simplify(parse_expression(inner["point"]["x"], names) - (1 - 1 / names["r"])) == 0
    values = {parse_expression(s["value"], names) for s in inner["thresholds"]["r"]}
    assert values == {1, 3}
    assert {b["kind"] for b in inner["bifurcations"]} >= {"flip"}


@pytest.mark.slow
@pytest.mark.parametrize("text", [SELKOV, FITZHUGH_NAGUMO], ids=["selkov", "fitzhugh_nagumo"])
def test_timeout_20_finishes_within_25_seconds(text: str, tmp_path: Path) -> None:
    path = _write(tmp_path, text, "model")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "incentive_geometry.cli", "derive", path, "--timeout", "20"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # never the checkout, whose folders would shadow the installed package
    )
    assert time.perf_counter() - start < 25, done.stdout + done.stderr
    assert done.returncode in (0, 1), done.stderr
    assert "equilibri" in done.stdout
    if done.returncode == 1:
        assert "not finished within the budget" in done.stdout
        assert "not finished within the time budget of 20 s" in done.stderr
