"""run_bounded: a `timeout=` that holds, whatever the work does between its budget checks.

The wall-clock assertions below check the promise (an answer or an error within the timeout
plus the stated margin, with slack for a loaded machine); they are not speed measurements.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sympy

import incentive_geometry as ig
from incentive_geometry.errors import IncentiveGeometryError, ModelError, SymbolicTimeout
from incentive_geometry.solvers.symbolic import budget as budget_module
from incentive_geometry.solvers.symbolic.budget import (
    KILL_GRACE,
    MARGIN,
    Budget,
    fork_available,
    run_bounded,
)

needs_fork = pytest.mark.skipif(not fork_available(), reason="no fork start method here")

# Slack on top of the promise (timeout + MARGIN + KILL_GRACE) for a loaded test machine.
SLACK = 2.0


def _spin(*, budget: Budget) -> None:
    """Pure Python that never checks its budget again and would run forever."""
    budget.offer(("x = 0", "x = 1"))
    budget.check("the interior case")
    while True:
        pass


def _huge_expansion(*, budget: Budget) -> Any:
    """One sympy call of many minutes: (a + ... + f + 1)**30 has 1,947,792 terms."""
    budget.check("expanding")
    a, b, c, d, e, f = sympy.symbols("a:f")
    return sympy.expand((a + b + c + d + e + f + 1) ** 30)


@needs_fork
def test_a_function_that_never_checks_is_stopped_and_named() -> None:
    start = time.perf_counter()
    with pytest.raises(SymbolicTimeout) as info:
        run_bounded(_spin, timeout=1, what="equilibria of `spinner`")
    assert time.perf_counter() - start < 1 + MARGIN + KILL_GRACE + SLACK
    message = str(info.value)
    assert message.startswith("equilibria of `spinner`: not finished within the time budget of 1 s")
    assert "last step reached: the interior case" in message
    for route in ("ig.find_equilibria", "ig.continuation", "ig.sweep"):
        assert route in message
    assert isinstance(info.value, TimeoutError)


@needs_fork
def test_a_long_sympy_call_is_stopped() -> None:
    start = time.perf_counter()
    with pytest.raises(SymbolicTimeout, match="expanding"):
        run_bounded(_huge_expansion, timeout=1, what="an expansion")
    assert time.perf_counter() - start < 1 + MARGIN + KILL_GRACE + SLACK


@needs_fork
def test_the_last_snapshot_and_step_make_the_partial_result() -> None:
    seen: list[Any] = []

    def partial(snapshot: Any, step: str) -> str:
        seen.append((snapshot, step))
        return "partial"

    assert run_bounded(_spin, timeout=0.5, what="t", partial_result=partial) == "partial"
    assert seen == [(("x = 0", "x = 1"), "the interior case")]


@needs_fork
def test_later_snapshots_replace_earlier_ones() -> None:
    def work(*, budget: Budget) -> None:
        for k in range(3):
            budget.check(f"step {k}")
            budget.offer(list(range(k + 1)))
        while True:
            pass

    got = run_bounded(work, timeout=0.5, what="t", partial_result=lambda s, st: (s, st))
    assert got == ([0, 1, 2], "step 2")
    # Without any offer the snapshot is None.
    got = run_bounded(_huge_expansion, timeout=0.5, what="t", partial_result=lambda s, st: (s, st))
    assert got == (None, "expanding")


@needs_fork
def test_items_offered_one_by_one_are_all_kept() -> None:
    # offer_more sends only the new items; the parent joins them (no item lost, order kept).
    def work(*, budget: Budget) -> None:
        for k in range(50):
            budget.check(f"case {k}")
            budget.offer_more((f"x = {k}",))
        while True:
            pass

    got = run_bounded(work, timeout=0.5, what="t", partial_result=lambda s, st: (s, st))
    assert got == (tuple(f"x = {k}" for k in range(50)), "case 49")
    # In-process, the same snapshot.
    b = Budget(None)
    b.offer_more((1, 2))
    b.offer_more((3,))
    assert b.offered == (1, 2, 3)


@needs_fork
def test_a_cooperative_partial_answer_built_in_the_child_comes_back() -> None:
    def work(*, budget: Budget) -> tuple[str, ...]:
        found: list[str] = []
        try:
            for k in range(10**9):
                budget.check(f"case {k}")
                found.append(f"case {k}")
                time.sleep(0.01)
        except SymbolicTimeout:
            return ("incomplete", *found[:2])
        return tuple(found)

    start = time.perf_counter()
    assert run_bounded(work, timeout=0.5, what="t") == ("incomplete", "case 0", "case 1")
    assert time.perf_counter() - start < 0.5 + MARGIN + SLACK


@needs_fork
def test_a_cooperative_timeout_in_the_child_uses_partial_result() -> None:
    def work(*, budget: Budget) -> None:
        budget.offer("half")
        while True:
            budget.check("looping")

    assert run_bounded(work, timeout=0.3, what="t", partial_result=lambda s, st: (s, st)) == (
        "half",
        "looping",
    )
    with pytest.raises(SymbolicTimeout, match=r"past the time budget of 0\.3 s at looping"):
        run_bounded(work, timeout=0.3, what="t")


@needs_fork
def test_results_come_back_by_pickling_models_and_sympy_objects() -> None:
    m = ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
        parameters={"a": {"default": 1, "domain": "positive"}, "b": 2.5},
        name="brusselator",
    )

    def work(model: ig.Model, *, budget: Budget, power: int) -> tuple[Any, int]:
        budget.check("the Jacobian")
        return model, os.getpid()

    back, pid = run_bounded(work, m, timeout=10, what="t", power=2)
    assert pid != os.getpid()  # the work ran in a child process
    assert back == m and back.rhs == m.rhs and back.parameters == m.parameters


@needs_fork
def test_exceptions_come_back_with_their_type_and_message() -> None:
    def model_error(*, budget: Budget) -> None:
        raise ModelError("equation for `x`: unknown name `z`", context="x + z\n    ^")

    with pytest.raises(ModelError) as info:
        run_bounded(model_error, timeout=5, what="t")
    assert info.value.summary == "equation for `x`: unknown name `z`"
    assert info.value.context == "x + z\n    ^"
    assert str(info.value) == "equation for `x`: unknown name `z`\nx + z\n    ^"
    # The child's traceback is kept as the cause, for debugging.
    assert "model_error" in str(info.value.__cause__)

    def zero(*, budget: Budget) -> float:
        return 1 / 0

    with pytest.raises(ZeroDivisionError, match="division by zero"):
        run_bounded(zero, timeout=5, what="t")

    def coercion(*, budget: Budget) -> None:
        from sympy.polys.polyerrors import CoercionFailed

        raise CoercionFailed("can't convert 1/x of type <class 'sympy.core.power.Pow'> to ZZ")

    from sympy.polys.polyerrors import CoercionFailed

    with pytest.raises(CoercionFailed, match="can't convert 1/x"):
        run_bounded(coercion, timeout=5, what="t")


def test_the_errors_of_the_hierarchy_survive_the_trip() -> None:
    # run_bounded rebuilds exceptions from (type, args, attributes); plain pickling would lose
    # ModelError.context (its constructor folds it into the message).
    for exc in (
        ModelError("bad `x`", context="here"),
        ig.ModelKindError("`iterate` needs a discrete-time model"),
        ig.ConvergenceError("Newton did not converge"),
        SymbolicTimeout("equilibria: past the budget"),
    ):
        back = budget_module._rebuild(
            pickle.loads(pickle.dumps(budget_module._exception_record(exc)))
        )
        assert type(back) is type(exc) and str(back) == str(exc) and back.args == exc.args
        assert getattr(back, "context", None) == getattr(exc, "context", None)


@needs_fork
def test_an_exception_that_does_not_pickle_is_reported_by_name() -> None:
    class Local(Exception):
        pass

    def work(*, budget: Budget) -> None:
        raise Local("a local class")

    with pytest.raises(IncentiveGeometryError, match="Local: a local class"):
        run_bounded(work, timeout=5, what="t")

    def unpicklable_answer(*, budget: Budget) -> Any:
        return lambda: 1

    with pytest.raises(IncentiveGeometryError, match="t: the answer could not be sent back"):
        run_bounded(unpicklable_answer, timeout=5, what="t")


@needs_fork
def test_a_child_that_dies_is_reported() -> None:
    def die(*, budget: Budget) -> None:
        budget.check("allocating")
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(
        IncentiveGeometryError, match=r"ended without an answer \(exit code -9\) at allocating"
    ):
        run_bounded(die, timeout=5, what="t")


@needs_fork
def test_nested_calls_run_in_the_child_with_the_outer_deadline() -> None:
    def inner(*, budget: Budget) -> tuple[int, float | None]:
        budget.check("inner step")
        return os.getpid(), budget.timeout

    def outer(*, budget: Budget) -> tuple[int, int, float | None, float | None]:
        budget.check("outer step")
        pid, capped = run_bounded(inner, timeout=100, what="inner")
        _, unlimited = run_bounded(inner, timeout=None, what="inner")
        return os.getpid(), pid, capped, unlimited

    child, nested, capped, unlimited = run_bounded(outer, timeout=3, what="outer")
    assert child != os.getpid() and nested == child  # no second fork
    assert capped is not None and capped <= 3 and unlimited is not None and unlimited <= 3


@needs_fork
def test_a_nested_call_that_hangs_is_stopped_at_the_outer_deadline() -> None:
    def outer(*, budget: Budget) -> None:
        budget.offer("outer work")
        budget.check("outer step")
        run_bounded(_spin, timeout=None, what="inner")

    start = time.perf_counter()
    got = run_bounded(outer, timeout=1, what="outer", partial_result=lambda s, st: (s, st))
    assert time.perf_counter() - start < 1 + MARGIN + KILL_GRACE + SLACK
    # The inner call's snapshot stays in the child; its step is named after the inner call.
    assert got == ("outer work", "inner: the interior case")


def test_without_timeout_the_work_runs_in_process() -> None:
    def work(*, budget: Budget) -> tuple[int, float | None, str]:
        return os.getpid(), budget.timeout, budget.what

    assert run_bounded(work, timeout=None, what="here") == (os.getpid(), None, "here")


def test_a_bad_timeout_is_refused_before_anything_runs() -> None:
    calls: list[int] = []

    def work(*, budget: Budget) -> None:
        calls.append(1)

    for bad in (-1, 0, float("inf"), True, "10"):
        with pytest.raises(ModelError, match="`timeout`"):
            run_bounded(work, timeout=bad, what="t")  # type: ignore[arg-type]
    assert calls == []


def test_without_fork_the_budget_is_cooperative(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget_module, "fork_available", lambda: False)

    def work(*, budget: Budget) -> None:
        budget.offer(os.getpid())
        while True:
            budget.check("looping")

    got = run_bounded(work, timeout=0.2, what="t", partial_result=lambda s, st: (s, st))
    assert got == (os.getpid(), "looping")
    with pytest.raises(SymbolicTimeout, match=r"t: past the time budget of 0\.2 s at looping"):
        run_bounded(work, timeout=0.2, what="t")


@needs_fork
def test_ctrl_c_in_the_parent_stops_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    def work(*, budget: Budget) -> None:
        pid_file.write_text(str(os.getpid()))
        while True:
            pass

    def interrupt() -> None:
        for _ in range(200):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Thread(target=interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_bounded(work, timeout=30, what="t")
    finally:
        timer.join()
    child = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(child, 0)


@needs_fork
def test_an_isolated_attempt_inside_a_child_is_stopped_alone() -> None:
    def where(*, budget: Budget) -> int:
        return os.getpid()

    def outer(*, budget: Budget) -> tuple[int, int, str]:
        budget.check("the closed form")
        grandchild = run_bounded(where, timeout=5, what="where", isolate=True)
        # The closed form hangs: its grandchild is stopped and the fallback is used, and the
        # outer work goes on to answer.
        fallback = run_bounded(
            _spin,
            timeout=0.5,
            what="closed form",
            isolate=True,
            partial_result=lambda s, st: "numeric",
        )
        return os.getpid(), grandchild, fallback

    start = time.perf_counter()
    child, grandchild, fallback = run_bounded(outer, timeout=10, what="outer")
    assert time.perf_counter() - start < 0.5 + MARGIN + KILL_GRACE + SLACK
    assert len({os.getpid(), child, grandchild}) == 3 and fallback == "numeric"


@needs_fork
def test_an_isolated_attempt_ends_before_the_outer_deadline() -> None:
    def outer(*, budget: Budget) -> str:
        return run_bounded(
            _spin,
            timeout=100,
            what="inner",
            isolate=True,
            partial_result=lambda s, st: "inner stopped",
        )

    # The grandchild's 100 s are capped so that the child can still answer in time.
    assert run_bounded(outer, timeout=1.5, what="outer") == "inner stopped"


@needs_fork
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_what_the_child_started_is_stopped_with_it(tmp_path: Path) -> None:
    import subprocess

    pid_file = tmp_path / "pid"

    def work(*, budget: Budget) -> None:
        sleeper = subprocess.Popen(["sleep", "60"])
        pid_file.write_text(str(sleeper.pid))
        while True:
            pass

    with pytest.raises(SymbolicTimeout):
        run_bounded(work, timeout=0.5, what="t")
    sleeper = int(pid_file.read_text())
    # The sleeper was killed with the child's process group; it is a zombie at most (its
    # parent is gone, init reaps it), never still sleeping.
    for _ in range(100):
        try:
            state = Path(f"/proc/{sleeper}/stat").read_text().split()[2]
        except FileNotFoundError:
            break
        if state == "Z":
            break
        time.sleep(0.02)
    else:
        pytest.fail(f"the child's subprocess {sleeper} is still running")


def _gone(pid: int) -> bool:
    """The process has ended (it may linger as a zombie until its new parent reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


@needs_fork
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_child_whose_parent_is_killed_exits(tmp_path: Path) -> None:
    import subprocess

    pid_file = tmp_path / "pid"
    script = f"""
import os, pathlib
from incentive_geometry.solvers.symbolic.budget import run_bounded
def work(*, budget):
    pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))
    while True:
        pass
run_bounded(work, timeout=60, what="t")
"""
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path)
    try:
        # The parent imports sympy first: allow a slow start (a fresh environment, a busy
        # machine) before the child writes its pid.
        for _ in range(6000):
            if pid_file.exists() and pid_file.read_text():
                break
            if parent.poll() is not None:
                pytest.fail(f"the parent exited early with code {parent.returncode}")
            time.sleep(0.01)
        child = int(pid_file.read_text())
        parent.kill()  # SIGKILL: no finally clause runs in the parent
        parent.wait()
        for _ in range(250):  # the watchdog looks every 0.1 s
            if _gone(child):
                break
            time.sleep(0.02)
        else:
            os.kill(child, signal.SIGKILL)
            pytest.fail("the child outlived its killed parent")
    finally:
        parent.kill()


@needs_fork
def test_large_conditions_come_back_equal_and_unevaluated_cheaply() -> None:
    # The child pickles sums, products, powers and relations so that the parent rebuilds them
    # without evaluation (sympy would re-decide every relation): the objects must be equal.
    m = ig.Model.from_equations(
        {"x": "h + r*x - x**3", "y": "x - y"},
        parameters={"h": 0.1, "r": {"default": 1.0, "domain": "positive"}},
    )
    here = ig.equilibria(m)
    there = ig.equilibria(m, timeout=60)
    assert len(here) == len(there)
    for a, b in zip(here, there, strict=True):
        assert a == b and hash(a) == hash(b)
        assert a.exists == b.exists and str(a.exists) == str(b.exists)
    st_here = ig.stability(m, here[0])
    st_there = ig.stability(m, here[0], timeout=60)
    assert st_here.condition == st_there.condition
    assert st_here.where_exists == st_there.where_exists


# --------------------------------------------------------------------------------------------
# map_forked: the symbolic steps on two cores


needs_fork = pytest.mark.skipif(not fork_available(), reason="needs the fork start method")


MAP_SCRIPT = """
import os, time, sympy
from incentive_geometry.solvers.symbolic.budget import map_forked

def item(k):
    time.sleep(0.05)  # long enough that both processes take items
    return k, os.getpid()

out = map_forked(item, list(range(9)), workers=2)
assert [k for k, _ in out] == list(range(9)), out
pids = {pid for _, pid in out}
assert len(pids) == 2 and os.getpid() in pids, pids
x, a = sympy.symbols("x a", real=True)
exprs = [sympy.expand((x - k * a) ** 3) > a for k in range(6)]
assert map_forked(lambda e: e, exprs, workers=2) == exprs
print("ok")
"""


@needs_fork
def test_map_forked_keeps_the_order_and_runs_in_other_processes(tmp_path: Path) -> None:
    # In a fresh interpreter: map_forked stays serial in a process with other threads running
    # (as the test process may have, after dask or progress bars), by design.
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", MAP_SCRIPT],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_map_forked_stays_serial_while_other_threads_run() -> None:
    from incentive_geometry.solvers.symbolic.budget import map_forked

    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        out = map_forked(lambda k: (k, os.getpid()), list(range(6)), workers=2)
    finally:
        stop.set()
        other.join()
    assert out == [(k, os.getpid()) for k in range(6)]


@needs_fork
def test_map_forked_raises_what_a_child_raised_and_respects_the_budget() -> None:
    from incentive_geometry.solvers.symbolic.budget import map_forked

    def boom(k: int) -> int:
        time.sleep(0.02)
        if k == 5:  # in whichever process takes it
            raise ModelError(f"item {k} is bad")
        return k

    with pytest.raises(ModelError, match="item 5 is bad"):
        map_forked(boom, list(range(8)), workers=2)

    def slow(*, budget: Budget) -> list[int]:
        def item(k: int) -> int:
            while True:  # checks the budget: a child's SymbolicTimeout comes back
                budget.check(f"item {k}")
                time.sleep(0.01)

        return map_forked(item, list(range(4)), workers=2)

    start = time.perf_counter()
    with pytest.raises(SymbolicTimeout):
        run_bounded(slow, timeout=0.5, what="slow items")
    assert time.perf_counter() - start < 0.5 + MARGIN + 4 * KILL_GRACE + 2.0


def test_the_workers_variable_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from incentive_geometry.solvers.symbolic.budget import WORKERS_ENV, symbolic_workers

    monkeypatch.setenv(WORKERS_ENV, "1")
    assert symbolic_workers() == 1
    monkeypatch.setenv(WORKERS_ENV, "two")
    with pytest.raises(ModelError, match="must be a positive integer"):
        symbolic_workers()


SAME_SCRIPT = """
import json, os, sys
os.environ["INCENTIVE_GEOMETRY_SYMBOLIC_WORKERS"] = sys.argv[2]
import incentive_geometry as ig
from incentive_geometry.theory import entrenchment_n
eqs = ig.equilibria(entrenchment_n(int(sys.argv[1])))
print(json.dumps([eqs.complete] + [[str(e.point), str(e.exists), e.case] for e in eqs]))
"""


@needs_fork
# n = 4 takes minutes (two fresh interpreters, 16 equilibria each): slow; n = 3 checks the same.
@pytest.mark.parametrize("n", [3, pytest.param(4, marks=pytest.mark.slow)])
def test_equilibria_are_the_same_on_one_core_and_two(n: int, tmp_path: Path) -> None:
    # Fresh interpreters (no other threads), so that two workers are really used.
    import json
    import subprocess

    def solve(workers: str) -> list[object]:
        out = subprocess.run(
            [sys.executable, "-c", SAME_SCRIPT, str(n), workers],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr
        return list(json.loads(out.stdout))

    one, two = solve("1"), solve("2")
    assert one == two and one[0] is True and len(one) == 2**n
