"""``incgeo verify --extended``: the claims too costly for the default run are reachable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from incentive_geometry.proofs.catalogue import catalogue

AMPLIFIERS = [
    "C3.asymmetric_reinforcement.amplifier",
    "C3.recursive_feedback.amplifier",
    "C3.local_proxies.amplifier",
]


def test_extended_adds_the_amplifier_claims_and_the_default_does_not() -> None:
    default = [e.claim.name for e in catalogue()]
    extended = [e.claim.name for e in catalogue(extended=True)]
    assert not set(AMPLIFIERS) & set(default)
    assert extended == default + AMPLIFIERS


def test_only_matching_extended_claims_says_pass_extended(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    code, _, err = incgeo("verify", "--only", "amplifier", "--out", str(tmp_path))
    assert code == 2
    assert "pass --extended" in err and "Traceback" not in err


@pytest.mark.slow
def test_extended_run_checks_and_records_them(
    tmp_path: Path, incgeo: Callable[..., tuple[int, str, str]]
) -> None:
    code, out, _ = incgeo(
        "verify", "--only", "amplifier", "--extended", "--samples", "8",
        "--out", str(tmp_path), "--no-figures", "--no-progress",
    )  # fmt: skip
    assert code == 0, out
    assert "3 claims" in out
    md = (tmp_path / "report.md").read_text()
    assert "--extended" in md
    for name in AMPLIFIERS:
        assert f"### {name}" in md
