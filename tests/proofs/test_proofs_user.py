"""A user's own claims: [[claims]] in a model file and `incgeo check`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import incentive_geometry as ig
from incentive_geometry.proofs.user import claim_from_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENTRENCHMENT = str(EXAMPLES / "entrenchment.toml")


def test_claims_in_a_model_file_round_trip_and_check(
    incgeo: Callable[..., tuple[int, str, str]],
) -> None:
    m = ig.load_model(ENTRENCHMENT)
    assert [c["name"] for c in m.claims] == ["aligned_stable", "entrenched_attracts"]
    assert ig.Model.from_toml(m.to_toml()).claims == m.claims
    code, out, err = incgeo("check", ENTRENCHMENT, "--samples", "32", "--json")
    assert code == 0, err
    reports = json.loads(out)
    assert [r["verdict"] for r in reports] == ["confirmed", "confirmed"]


def test_a_claim_on_the_command_line_is_confirmed_or_refuted(
    incgeo: Callable[..., tuple[int, str, str]],
) -> None:
    base = [
        "check",
        ENTRENCHMENT,
        "--observe",
        "stable",
        "--at",
        "x=0",
        "--domain",
        "theta=0:0.98",
        "--domain",
        "b=0:1",
        "--samples",
        "64",
    ]
    code, out, _ = incgeo(*base, "--claim", "alpha*(1 - theta)*b < theta*c")
    assert code == 0 and "claim: confirmed" in out
    code, out, _ = incgeo(*base, "--claim", "alpha*(1 - theta)*b > theta*c", "--strict")
    assert code == 1 and "claim: refuted" in out and "e.g. at" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--claim", "theta > 0.5"], "--claim needs --observe"),
        (["--claim", "theta > 0.5", "--observe", "stable", "--at", "y=0"], "`y` is not a state"),
        (
            ["--claim", "theta > 0.5", "--observe", "stable", "--at", "x=0", "--domain", "theta=0"],
            "expected name=lo:hi",
        ),
        (
            ["--claim", "thetta > 0.5", "--observe", "bistable", "--domain", "theta=0:1"],
            "unknown name `thetta`",
        ),
        (
            ["--claim", "theta > 0.5", "--observe", "bistable", "--domain", "zeta=0:1"],
            "unknown parameter `zeta`",
        ),
    ],
)
def test_bad_claims_exit_2_with_a_clear_message(
    args: list[str], message: str, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    code, _, err = incgeo("check", ENTRENCHMENT, *args)
    assert code == 2, err
    assert message in err and "Traceback" not in err


def test_claim_tables_are_validated(tmp_path: Path) -> None:
    m = ig.load_model(ENTRENCHMENT)
    with pytest.raises(ig.ModelError, match="unknown key `colour`"):
        claim_from_spec(
            m, {"name": "a", "prediction": "theta > 0", "observe": "bistable", "colour": 1}
        )
    with pytest.raises(ig.ModelError, match="`observe` must be one of"):
        claim_from_spec(m, {"name": "a", "prediction": "theta > 0", "observe": "maybe"})
    path = tmp_path / "m.toml"
    path.write_text('[equations]\nx = "-x"\n[[claims]]\nprediction = "0 == 0"\n')
    with pytest.raises(ig.ModelError, match="claim 1 lacks name, observe"):
        ig.load_model(path)


def test_converges_claims_simulate() -> None:
    m = ig.load_model(ENTRENCHMENT)

    def claim(prediction: str, horizon: float) -> ig.Claim:
        return claim_from_spec(
            m,
            {
                "name": "returns",
                "prediction": prediction,
                "observe": "converges",
                "from": {"x": 0.999},
                "to": {"x": 0},
                "horizon": horizon,
                "tolerance": 0.01,
                "domain": {"theta": [0.3, 0.98]},
            },
        )

    # From x = 0.999 the state returns to 0 exactly when the interior point lies above 0.999:
    # theta > alpha (b + 0.999 gamma) / (alpha (b + 0.999 gamma) + c), with the file's alpha = 1,
    # b = 0.2, gamma = 1, c = 1. The round 0.6 is wrong: between 0.5453 and 0.6 it returns too.
    # Next to the threshold the escape from x = 0.999 takes ~ log(500) / |G(1)| (tens of
    # thousands of time units at the boundary samples): a short horizon refutes even the true
    # threshold, since "returns within the horizon" is then a different statement.
    assert ig.check(claim("theta > 1.199/2.199", 2e5), samples=32).verdict == "confirmed"
    assert ig.check(claim("theta > 0.6", 2e5), samples=32).verdict == "refuted"
    assert ig.check(claim("theta > 1.199/2.199", 400), samples=32).verdict == "refuted"
