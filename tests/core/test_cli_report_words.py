"""The verification report prints constant predictions and booleans in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from incentive_geometry.proofs.report import verify


@pytest.mark.slow
def test_constant_prediction_and_counterexample_in_words(tmp_path: Path) -> None:
    # C4.economics.holmstrom_milgrom predicts `true` (always), the one constant claim left,
    # and is refuted.
    result = verify(samples=8, only="C4.economics.holmstrom_milgrom", figures=False, out=tmp_path)
    text = (tmp_path / "report.md").read_text()
    block = text[text.index("### C4.economics.holmstrom_milgrom") :]
    assert "- prediction (condition): *always*" in block
    assert "`0 == 0`" not in text and "`0 == 1`" not in text
    if result.reports[0].counterexamples:
        assert "predicted true, observed false" in block
        assert "np.True_" not in block and "predicted True" not in block
