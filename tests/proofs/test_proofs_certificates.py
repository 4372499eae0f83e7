"""Certificates in the catalogue's derivations and in the report: C1's window and the C5
thresholds are proved exactly (z3 over the parameter domains), and a step is marked verified
only by a check that could have failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incentive_geometry.proofs.catalogue import catalogue
from incentive_geometry.proofs.report import verify


def steps_of(name: str) -> list:
    (entry,) = [e for e in catalogue(name) if e.claim.name == name]
    assert entry.claim.derivation is not None
    return list(entry.claim.derivation())


def test_the_c1_window_is_proved() -> None:
    steps = steps_of("C1.bistability_window")
    assert steps[-1].certificate == "proved" and steps[-1].verified
    # The two stability conditions it joins are each checked against numerical eigenvalues.
    assert all("numerical eigenvalues" in s.detail and s.verified for s in steps[:-1])


@pytest.mark.parametrize(
    ("name", "count"), [("C5.observability_past_theta_star", 1), ("C5.hysteresis_width", 2)]
)
def test_the_c5_thresholds_are_proved(name: str, count: int) -> None:
    steps = steps_of(name)
    certified = [s for s in steps if s.certificate]
    assert len(certified) == count
    assert all(s.certificate == "proved" and s.verified for s in certified), [
        s.detail for s in certified
    ]
    assert all("one side of the threshold" in s.description for s in certified)


def test_the_report_carries_the_certificates(tmp_path: Path) -> None:
    result = verify(samples=8, only="C1.bistability_window", figures=False, out=tmp_path)
    md = result.markdown.read_text() if result.markdown else ""
    assert "certificate: proved" in md
    for needed in ("command:", "versions:", "sympy", "scipy", "numpy", "sampled box:", "SHA-256"):
        assert needed in md, needed
    record = json.loads((tmp_path / "report.json").read_text())
    (claim,) = record["claims"]
    assert claim["rule"] and claim["model"]["sha256"] and claim["box"]["theta"] == [0.0, 0.98]
    assert record["versions"]["sympy"] and record["seed"] == 0
    assert any(s["certificate"] == "proved" for s in claim["derivation"])


def test_only_writes_its_own_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from incentive_geometry.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "verify-report").mkdir()
    full = tmp_path / "verify-report" / "report.md"
    full.write_text("the full report")
    with pytest.raises(SystemExit) as stop:
        main(["verify", "--only", "C6.depth_1", "--samples", "8", "--no-figures", "--no-progress"])
    assert stop.value.code == 0
    assert full.read_text() == "the full report"  # not overwritten
    own = tmp_path / "verify-report" / "only-C6.depth_1" / "report.md"
    assert "C6.depth_1" in own.read_text()
    # The command that reproduces it, every setting spelled out.
    assert (
        "`incgeo verify --out verify-report/only-C6.depth_1 --samples 8 --seed 0 --concentrate "
        "0.5 --only C6.depth_1 --no-figures`" in own.read_text()
    )
