"""The long fuzz run of issue 16: at least 200,000 model texts and model files, figures in JSON.

Runs the generators of ``tests/core/fuzz_models.py`` (seeded) through the entry points and
records: inputs, accepted models, exceptions other than ModelError by type, broken round trips,
messages with a doubled prefix or a numpy repr, inputs that hang past the guard, and the slowest
inputs (whole check, and the slowest single call among parse, ``str``, ``to_latex``,
``to_toml`` and reload, by wall time and by the thread's CPU time; CPU time is the figure
that holds on a loaded machine). One process; run it once, in the background::

    python benchmarks/fuzz_long.py --inputs 200000 --seed 2026 --out fuzz_long.json

It is a script, not a pytest benchmark: nothing is asserted, the figures go to the closing note.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import random
import signal
import sys
import time
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any


def _load_fuzzers() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "tests" / "core" / "fuzz_models.py"
    spec = importlib.util.spec_from_file_location("fuzz_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_models"] = module
    spec.loader.exec_module(module)
    return module


class _Hang(BaseException):
    """Raised by the alarm: not an Exception, so the checker's handlers let it through."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Hang


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--guard", type=int, default=30, help="seconds before an input counts as hung"
    )
    parser.add_argument("--out", type=Path, default=Path("fuzz_long.json"))
    parser.add_argument(
        "--every", type=int, default=10_000, help="write the figures every N inputs"
    )
    args = parser.parse_args(argv)

    fuzz = _load_fuzzers()
    signal.signal(signal.SIGALRM, _alarm)
    rng = random.Random(args.seed)
    counts: collections.Counter[str] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[dict[str, str]]] = {}
    slowest: list[tuple[float, str, str]] = []
    slowest_calls: list[tuple[float, str, str, str]] = []
    slowest_cpu: list[tuple[float, str, str, str]] = []
    over_one_second = 0
    calls_over_one_second = 0
    calls_over_one_cpu_second = 0
    start = time.time()

    def record() -> dict[str, Any]:
        figures = {
            "inputs": counts["inputs"],
            "expressions": counts["expression"],
            "model_files": counts["toml"],
            "accepted": counts["accepted"],
            "refused_with_model_error": counts["inputs"]
            - counts["accepted"]
            - sum(v for k, v in errors.items() if k not in ("round-trip", "message")),
            "errors_by_type": dict(errors),
            "inputs_over_1s_whole_check": over_one_second,
            "inputs_with_a_call_over_1s": calls_over_one_second,
            "inputs_with_a_call_over_1s_of_cpu": calls_over_one_cpu_second,
            "slowest_whole_check": [
                {"seconds": round(t, 3), "kind": k, "text": x} for t, k, x in slowest[:10]
            ],
            "slowest_single_call": [
                {"seconds": round(t, 3), "call": c, "kind": k, "text": x}
                for t, c, k, x in slowest_calls[:10]
            ],
            "most_cpu_single_call": [
                {"cpu_seconds": round(t, 3), "call": c, "kind": k, "text": x}
                for t, c, k, x in slowest_cpu[:10]
            ],
            "examples": examples,
            "seed": args.seed,
            "wall_seconds": round(time.time() - start, 1),
        }
        args.out.write_text(json.dumps(figures, indent=2))
        return figures

    for i in range(args.inputs):
        kind, text, variant = fuzz.make_input(rng)
        signal.alarm(args.guard)
        try:
            outcome = fuzz.check_input(kind, text, variant)
        except _Hang:
            outcome = fuzz.Outcome(
                kind, text, False, "hang", f"> {args.guard} s", float(args.guard)
            )
        finally:
            signal.alarm(0)
        counts["inputs"] += 1
        counts[kind] += 1
        counts["accepted"] += outcome.accepted
        if outcome.error is not None:
            errors[outcome.error] += 1
            bucket = examples.setdefault(outcome.error, [])
            if len(bucket) < 5:
                bucket.append({"kind": kind, "text": text[:1000], "detail": outcome.detail[:1000]})
        if outcome.seconds > 1.0:
            over_one_second += 1
        if outcome.slowest_call > 1.0:
            calls_over_one_second += 1
        if outcome.slowest_call_cpu > 1.0:
            calls_over_one_cpu_second += 1
        slowest.append((outcome.seconds, kind, text[:300]))
        slowest_calls.append((outcome.slowest_call, outcome.slowest_name, kind, text[:300]))
        slowest_cpu.append((outcome.slowest_call_cpu, outcome.slowest_cpu_name, kind, text[:300]))
        if len(slowest) > 200:
            for table in (slowest, slowest_calls, slowest_cpu):
                table.sort(reverse=True)
                del table[20:]
        if (i + 1) % args.every == 0:
            for table in (slowest, slowest_calls, slowest_cpu):
                table.sort(reverse=True)
            figures = record()
            print(
                f"{i + 1} inputs, {figures['accepted']} accepted, errors {dict(errors)}, "
                f"{figures['wall_seconds']} s",
                flush=True,
            )
    for table in (slowest, slowest_calls, slowest_cpu):
        table.sort(reverse=True)
    figures = record()
    print(json.dumps({k: v for k, v in figures.items() if k != "examples"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
