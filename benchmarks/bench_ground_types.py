"""SymPy's ground types: python-flint (``SYMPY_GROUND_TYPES=flint``) against pure Python.

SymPy chooses its integer and rational types once, when it is first imported, so each ground
type runs in its own process: the workloads of ``bench_symbolic.py`` (N = 3, 6, 8 routines) and
``ig.equilibria`` / ``ig.stability`` / ``ig.bifurcations`` on every model of
``tests/solvers/symbolic/conftest.py``. The processes run alternately in one session (each
workload ``ROUNDS`` times per ground type, best time kept), so the ratio python / flint compares
runs on the same machine under the same load. Every result is written out with ``sympy.srepr``
and compared between the two ground types; a control pair (python against python, same hash
seed) shows that the comparison itself is deterministic.

The ground type in force is checked in each worker (``sympy.external.gmpy.GROUND_TYPES``):
SymPy 1.13+ picks python-flint *by itself* whenever a supported version is installed
(``SYMPY_GROUND_TYPES`` unset means ``auto``), so the pure-Python runs set ``python`` explicitly.

Run: ``pytest benchmarks/bench_ground_types.py -p no:cacheprovider`` (needs python-flint;
skipped without it), or ``python benchmarks/bench_ground_types.py [WORKLOAD ...] [--rounds N] [--json FILE]`` for the
table alone (caps: ``BENCH_WORKER_CAP_S``, ``BENCH_N8_WORKER_CAP_S``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFTEST = ROOT / "tests" / "solvers" / "symbolic" / "conftest.py"
#: Runs per workload and ground type (alternating); the best time is kept.
ROUNDS = 2
#: Budget of every symbolic call (generous: a call that hits it under one ground type only
#: would show up as a difference), and the N = 8 budget of bench_symbolic.py.
CALL_BUDGET_S = 100.0
N8_BUDGET_S = 300.0
#: A worker process still running after this is stopped and recorded as timed out (today's
#: `ig.bifurcations` does not hold its `timeout` on the 3-routine model, issue 10).
WORKER_CAP_S = float(os.environ.get("BENCH_WORKER_CAP_S", 120.0))
N8_WORKER_CAP_S = float(os.environ.get("BENCH_N8_WORKER_CAP_S", 420.0))
#: The control run (python again) is made for workloads faster than this.
CONTROL_BELOW_S = 30.0
CONFTEST_MODELS = (
    "entrenchment",
    "pitchfork",
    "fold",
    "brusselator",
    "lorenz",
    "logistic",
    "n_routine_3",
    "logistic^2",
)
WORKLOADS = (
    "n3_equilibria",
    "n6_vertex_stability",
    "n8_equilibria",
    *(f"eqstab:{m}" for m in CONFTEST_MODELS),
    *(f"bif:{m}" for m in CONFTEST_MODELS),
)


# --------------------------------------------------------------------------------------------
# Worker: one workload, under the ground type of this process


def _conftest() -> Any:
    spec = importlib.util.spec_from_file_location("symbolic_conftest", CONFTEST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _n_routine(n: int) -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_symbolic import n_routine

    return n_routine(n)


def _record(call: Any) -> Any:
    """A call's result as text, or the error it raised (the same error is the same result)."""
    try:
        return call()
    except Exception as err:  # recorded and compared, not hidden
        return f"raised {type(err).__name__}: {err}"


def _describe_equilibria(eqs: Any) -> dict[str, Any]:
    import sympy

    return {
        "complete": bool(getattr(eqs, "complete", True)),
        "points": [
            [
                sorted((str(s), sympy.srepr(v)) for s, v in eq.point.items()),
                sympy.srepr(eq.exists),
            ]
            for eq in eqs
        ],
    }


def _conftest_models() -> dict[str, Any]:
    conf = _conftest()
    models = {
        "entrenchment": conf.entrenchment(),
        "pitchfork": conf.pitchfork(),
        "fold": conf.fold(),
        "brusselator": conf.brusselator(),
        "lorenz": conf.lorenz(),
        "logistic": conf.logistic(),
        "n_routine_3": conf.n_routine(3),
    }
    models["logistic^2"] = models["logistic"].iterate(2)
    return models


def _workload(name: str) -> tuple[float, Any]:
    """Run one workload; return (seconds of the symbolic work, its results as text).

    ``eqstab:<model>``: equilibria and the stability condition of each; ``bif:<model>``: the
    bifurcation conditions of each equilibrium (models of the symbolic tests' conftest).
    """
    import sympy

    import incentive_geometry as ig

    kind, _, model_name = name.partition(":")
    if kind in ("eqstab", "bif"):
        m = _conftest_models()[model_name]
        start = time.perf_counter()
        eqs = ig.equilibria(m, timeout=CALL_BUDGET_S)
        if kind == "eqstab":
            result: Any = {
                "equilibria": _describe_equilibria(eqs),
                "stability": [
                    _record(
                        lambda eq=eq: sympy.srepr(
                            ig.stability(m, eq, timeout=CALL_BUDGET_S).condition
                        )
                    )
                    for eq in eqs
                ],
            }
        else:
            start = time.perf_counter()  # bifurcations only
            result = [
                _record(
                    lambda eq=eq: [
                        [b.kind, sympy.srepr(b.condition)]
                        for b in ig.bifurcations(m, eq, timeout=CALL_BUDGET_S)
                    ]
                )
                for eq in eqs
            ]
        return time.perf_counter() - start, result
    if name == "n3_equilibria":
        m = _n_routine(3)
        start = time.perf_counter()
        eqs = ig.equilibria(m)
        return time.perf_counter() - start, _describe_equilibria(eqs)
    if name == "n6_vertex_stability":
        m = _n_routine(6)
        start = time.perf_counter()
        eqs = ig.equilibria(m)
        conds = [
            sympy.srepr(ig.stability(m, eq).condition)
            for eq in eqs
            if sympy.Integer(1) in eq.values
        ]
        seconds = time.perf_counter() - start
        return seconds, {"equilibria": _describe_equilibria(eqs), "vertex_stability": conds}
    if name == "n8_equilibria":
        m = _n_routine(8)
        start = time.perf_counter()
        eqs = ig.equilibria(m, timeout=N8_BUDGET_S, partial=True)
        return time.perf_counter() - start, _describe_equilibria(eqs)
    raise ValueError(f"unknown workload {name!r}")


def _worker(name: str) -> None:
    from sympy.external.gmpy import GROUND_TYPES

    seconds, result = _workload(name)
    json.dump({"ground_types": GROUND_TYPES, "seconds": seconds, "result": result}, sys.stdout)


# --------------------------------------------------------------------------------------------
# Driver: the workloads under both ground types, alternately


def run_one(name: str, ground: str, *, seed: str = "0") -> dict[str, Any] | None:
    """One workload in a fresh process with ``SYMPY_GROUND_TYPES=ground`` (hash seed fixed);
    None when it ran past its cap."""
    env = {**os.environ, "SYMPY_GROUND_TYPES": ground, "PYTHONHASHSEED": seed}
    cap = N8_WORKER_CAP_S if name == "n8_equilibria" else WORKER_CAP_S
    try:
        # A neutral working directory: the process imports the package as this one does.
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--worker", name],
            env=env,
            cwd=tempfile.gettempdir(),
            capture_output=True,
            text=True,
            check=False,
            timeout=cap,
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"worker {name} ({ground}) failed:\n{proc.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(proc.stdout)
    if out["ground_types"] != ground:
        raise RuntimeError(f"asked for {ground} ground types, the worker ran {out['ground_types']}")
    return out


def _differences(a: Any, b: Any, where: str = "") -> list[str]:
    if type(a) is not type(b):
        return [f"{where}: {type(a).__name__} vs {type(b).__name__}"]
    if isinstance(a, dict):
        keys = sorted(set(a) | set(b))
        return [d for k in keys for d in _differences(a.get(k), b.get(k), f"{where}/{k}")]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{where}[{i}]")
        ]
    return [] if a == b else [f"{where}: {str(a)[:120]} != {str(b)[:120]}"]


def compare(workloads: tuple[str, ...] = WORKLOADS, rounds: int = ROUNDS) -> dict[str, Any]:
    """Time every workload under both ground types, alternately; compare their results."""
    report: dict[str, Any] = {}
    for name in workloads:
        times: dict[str, list[float]] = {"python": [], "flint": []}
        results: dict[str, Any] = {}
        timed_out: set[str] = set()
        for k in range(rounds):
            # Alternate which goes first, so a drift in machine load hits both.
            order = ("python", "flint") if k % 2 == 0 else ("flint", "python")
            for ground in order:
                if ground in timed_out:
                    continue
                out = run_one(name, ground)
                if out is None:
                    timed_out.add(ground)
                    continue
                times[ground].append(out["seconds"])
                results.setdefault(ground, out["result"])
        entry: dict[str, Any] = {"timed_out": sorted(timed_out)}
        if not timed_out:
            entry.update(
                python_s=min(times["python"]),
                flint_s=min(times["flint"]),
                ratio=min(times["python"]) / min(times["flint"]),
                all_python_s=times["python"],
                all_flint_s=times["flint"],
                differences=_differences(results["python"], results["flint"]),
            )
            if entry["python_s"] < CONTROL_BELOW_S:
                control = run_one(name, "python")
                entry["control_differences"] = (
                    ["control timed out"]
                    if control is None
                    else _differences(results["python"], control["result"])
                )
        report[name] = entry
    return report


def test_flint_ground_types_same_results_and_ratio(benchmark: Any) -> None:
    pytest.importorskip("flint", reason="python-flint is not installed")
    report = benchmark.pedantic(compare, rounds=1, iterations=1)
    for name, entry in report.items():
        benchmark.extra_info[f"timed_out[{name}]"] = entry["timed_out"]
        if "ratio" in entry:
            benchmark.extra_info[f"ratio[python over flint, {name}]"] = entry["ratio"]
            benchmark.extra_info[f"python_s[{name}]"] = entry["python_s"]
            benchmark.extra_info[f"flint_s[{name}]"] = entry["flint_s"]
            benchmark.extra_info[f"differences[{name}]"] = len(entry["differences"])
    for name, entry in report.items():
        # A workload that runs past its cap under both ground types decides nothing; under
        # one only, it is a difference.
        assert len(entry["timed_out"]) != 1, (name, entry["timed_out"])
        assert not entry.get("control_differences"), (name, entry["control_differences"][:3])
        assert not entry.get("differences"), (name, entry["differences"][:3])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        _worker(sys.argv[2])
    else:
        args = sys.argv[1:]
        options = {"--json": "", "--rounds": str(ROUNDS)}
        for flag in options:
            if flag in args:
                i = args.index(flag)
                options[flag] = args[i + 1]
                del args[i : i + 2]
        path = options["--json"]
        rep = compare(tuple(args) or WORKLOADS, rounds=int(options["--rounds"]))
        for key, e in rep.items():
            if "ratio" not in e:
                print(f"{key}: timed out under {', '.join(e['timed_out'])}")
                continue
            control = e.get("control_differences")
            print(
                f"{key}: python {e['python_s']:.2f} s, flint {e['flint_s']:.2f} s, "
                f"ratio {e['ratio']:.2f}x; differences {len(e['differences'])} "
                f"(control: {'-' if control is None else len(control)})"
            )
            for d in e["differences"][:5]:
                print("   ", d)
        if path:
            Path(path).write_text(json.dumps(rep, indent=1))
