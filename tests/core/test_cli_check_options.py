"""`incgeo check --claim` options: --set, --horizon, --tolerance, and options without --claim.

The expected verdicts come from the canonical model's closed-form boundary (x = 0 is stable iff
alpha (1 - theta) b < theta c), not from the toolkit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENTRENCHMENT = str(EXAMPLES / "entrenchment.toml")

Run = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize(
    "extra",
    [
        ["--observe", "stable"],
        ["--at", "x=0"],
        ["--domain", "theta=0:1"],
        ["--set", "b=0.5"],
        ["--horizon", "10"],
        ["--tolerance", "0.1"],
    ],
)
def test_claim_options_without_claim_are_refused(incgeo: Run, extra: list[str]) -> None:
    code, out, err = incgeo("check", ENTRENCHMENT, *extra)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert extra[0] in lines[0] and 'add --claim "CONDITION"' in lines[0]


def _verdict(incgeo: Run, *args: str) -> dict[str, object]:
    code, out, err = incgeo("check", ENTRENCHMENT, *args, "--samples", "32", "--json")
    assert code == 0, err
    (report,) = json.loads(out)
    return report  # type: ignore[no-any-return]


def test_set_fixes_a_parameter_the_prediction_and_observation_see(incgeo: Run) -> None:
    # The prediction writes b = 0.5 as a number: true to the model only when b is fixed at 0.5
    # (the file's default is b = 0.2, whose boundary theta = 1/6 differs from 1/3).
    claim = ["--claim", "(1 - theta)*0.5 < theta", "--observe", "stable", "--at", "x=0"]
    box = ["--domain", "theta=0:0.98"]
    assert _verdict(incgeo, *claim, *box, "--set", "b=0.5")["verdict"] == "confirmed"
    assert _verdict(incgeo, *claim, *box)["verdict"] == "refuted"


def test_set_and_domain_of_one_parameter_is_refused(incgeo: Run) -> None:
    code, _, err = incgeo(
        "check", ENTRENCHMENT, "--claim", "theta > 0.5", "--observe", "stable", "--at", "x=0",
        "--domain", "theta=0:1", "--set", "theta=0.3",
    )  # fmt: skip
    assert code == 2 and "either fixed or sampled" in err and len(err.strip().splitlines()) == 1


def test_set_of_an_unknown_parameter_is_refused(incgeo: Run) -> None:
    code, _, err = incgeo(
        "check", ENTRENCHMENT, "--claim", "theta > 0.5", "--observe", "stable", "--at", "x=0",
        "--domain", "theta=0:1", "--set", "zeta=1",
    )  # fmt: skip
    assert code == 2 and "zeta" in err


def test_horizon_decides_a_converges_claim(incgeo: Run) -> None:
    # From x = 0.9 the state reaches x = 1 when M's advantage there is positive; entrenchment
    # is slow (rate alpha (1 - theta)(b + gamma) - theta c at x = 1), so a horizon of 0.5 is too
    # short to arrive within 0.01 and the check cannot confirm.
    claim = [
        "--claim", "(1 - theta)*(0.2 + 0.9*gamma) > theta", "--observe", "converges",
        "--from", "x=0.9", "--to", "x=1", "--domain", "theta=0:0.98", "--domain", "gamma=0:2",
    ]  # fmt: skip
    long = _verdict(incgeo, *claim, "--horizon", "400", "--tolerance", "0.01")
    assert long["verdict"] == "confirmed"
    short = _verdict(incgeo, *claim, "--horizon", "0.5", "--tolerance", "0.01")
    assert short["verdict"] != "confirmed"


def test_horizon_with_a_stability_claim_is_refused(incgeo: Run) -> None:
    code, _, err = incgeo(
        "check", ENTRENCHMENT, "--claim", "theta > 0.5", "--observe", "stable", "--at", "x=0",
        "--domain", "theta=0:1", "--horizon", "5",
    )  # fmt: skip
    assert code == 2 and "--observe converges" in err


@pytest.mark.parametrize("value", ["0", "-1", "abc"])
def test_horizon_must_be_positive(incgeo: Run, value: str) -> None:
    code, _, err = incgeo("check", ENTRENCHMENT, "--claim", "theta > 0.5", "--horizon", value)
    assert code == 2 and "--horizon" in err
