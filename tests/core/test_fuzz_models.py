"""The fuzzers of issue 16, bounded: a few hundred seeded inputs of each kind.

Contract (see ``fuzz_models.py``): only ModelError is raised, every accepted model reads back
from its own file equal to itself, and no message prints a prefix twice or a numpy repr. The
long run (``benchmarks/fuzz_long.py``, 200,000 inputs) records the timings; no time is asserted
here.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

import incentive_geometry as ig


def _load() -> ModuleType:
    # The suite runs in importlib mode: the helper module is loaded from its path.
    path = Path(__file__).with_name("fuzz_models.py")
    spec = importlib.util.spec_from_file_location("fuzz_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz_models", module)
    spec.loader.exec_module(module)
    return module


fuzz = _load()


def _report(bad: list[object]) -> str:
    return "\n\n".join(
        f"[{o.error}] {o.kind}: {o.text[:300]!r}\n  {o.detail[:500]}"  # type: ignore[attr-defined]
        for o in bad[:5]
    )


def test_generators_are_deterministic() -> None:
    first = [fuzz.make_input(random.Random(11)) for _ in range(1)]
    again = [fuzz.make_input(random.Random(11)) for _ in range(1)]
    assert first == again
    rng_a, rng_b = random.Random(5), random.Random(5)
    assert [fuzz.toml_text(rng_a) for _ in range(20)] == [fuzz.toml_text(rng_b) for _ in range(20)]


def test_generators_reach_both_outcomes() -> None:
    # A fuzzer that only makes refused (or only accepted) inputs tests little.
    rng = random.Random(3)
    outcomes = [fuzz.check_input("expression", fuzz.expression_text(rng), i) for i in range(80)]
    accepted = sum(o.accepted for o in outcomes)
    assert 10 < accepted < 70


@pytest.mark.parametrize("seed", [0, 1])
def test_expression_fuzzer(seed: int) -> None:
    rng = random.Random(seed)
    bad = []
    for i in range(150):
        outcome = fuzz.check_input("expression", fuzz.expression_text(rng), i)
        if outcome.error is not None:
            bad.append(outcome)
    assert not bad, _report(bad)


@pytest.mark.parametrize("seed", [0, 1])
def test_toml_mutator(seed: int) -> None:
    rng = random.Random(1000 + seed)
    bad = []
    for _ in range(150):
        outcome = fuzz.check_input("toml", fuzz.toml_text(rng))
        if outcome.error is not None:
            bad.append(outcome)
    assert not bad, _report(bad)


def test_defect_seeds_are_handled() -> None:
    # Every shape that found a defect in the campaign of issue 16, in every position.
    bad = []
    for text in fuzz.SEEDS:
        for variant in range(4):
            outcome = fuzz.check_input("expression", text, variant)
            if outcome.error is not None:
                bad.append(outcome)
    assert not bad, _report(bad)


# The checker itself must be able to fail.


def test_checker_reports_a_raw_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: ig.Model) -> str:
        raise ZeroDivisionError("printer bug")

    monkeypatch.setattr(ig.Model, "to_latex", broken)
    outcome = fuzz.check_input("expression", "-a*x", 0)
    assert outcome.accepted and outcome.error == "ZeroDivisionError"


def test_checker_reports_a_broken_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    original = ig.Model.from_toml

    def lossy(text: str, *, source: str = "<string>") -> ig.Model:
        return original(text.replace('"-x"', '"-2*x"'), source=source)

    monkeypatch.setattr(ig.Model, "from_toml", staticmethod(lossy))
    outcome = fuzz.check_input("expression", "-a*x", 2)  # the equations are "-x", "-y"
    assert outcome.error == "round-trip"


def test_checker_reports_doubled_prefixes_and_numpy_reprs() -> None:
    assert fuzz._message_problem("m.toml: m.toml: `simplex` must be true or false")
    assert fuzz._message_problem("claim `c`: claim `c`: bad")
    assert fuzz._message_problem("default of `k` is np.float64(2.0)")
    assert fuzz._message_problem("m.toml: [parameters] k: bad") is None
