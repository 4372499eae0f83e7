"""Numerical observations of claims on simplex models judge stability on the simplex, with the
one stability predicate of the numerics (issue 11, build items 5 and 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import incentive_geometry as ig
from incentive_geometry.errors import ConvergenceError, ModelError
from incentive_geometry.proofs.observe import stable_at
from incentive_geometry.proofs.user import unstable_at
from incentive_geometry.theory import entrenchment_n


def negative_payoffs() -> ig.Model:
    # Two routines with constant payoffs -3 and -4 (replicator form): the vertex w1 = 1 is
    # stable on the simplex (eigenvalue s2 - s1 = -1); the full Jacobian also has the
    # eigenvalue -mean payoff = +3 off the simplex, which the old observation counted.
    return ig.Model.from_equations(
        {"w1": "w1*(-3 - (-3*w1 - 4*w2))", "w2": "w2*(-4 - (-3*w1 - 4*w2))"},
        parameters={},
        simplex=True,
    )


def test_a_vertex_with_negative_payoffs_is_stable_on_the_simplex() -> None:
    seen = stable_at(negative_payoffs(), {"w1": 1.0, "w2": 0.0}, {})
    assert seen.value is True
    assert "eigenvalues on the simplex [-1]" in seen.evidence
    assert unstable_at(negative_payoffs(), {"w1": 0.0, "w2": 1.0}, {}).value is True


def test_vertices_of_entrenchment_n_against_the_replicator_eigenvalues() -> None:
    # At vertex k of w_i' = w_i (s_i - sum_j w_j s_j) the eigenvalues on the simplex are
    # s_i - s_k (i != k) (Hofbauer and Sigmund 1998, section 7.2), with s_i evaluated there:
    # s_1 = 0 and s_i = (1 - theta) b_i - theta c_i at vertex 1 (b_i = 0.2, c_i = 1).
    m = entrenchment_n(3)
    for theta in (0.1, 0.3, 0.9):
        s_other = (1 - theta) * 0.2 - theta
        seen = stable_at(m, {"w_1": 1.0, "w_2": 0.0, "w_3": 0.0}, {"theta": theta})
        assert seen.value is (s_other < 0), (theta, seen.evidence)


def test_a_neutral_vertex_is_not_observed_either_way() -> None:
    # theta = 1/6 puts vertex 1 on its boundary: (1 - theta) 0.2 = theta, eigenvalues 0.
    m = entrenchment_n(3)
    with pytest.raises(ConvergenceError, match="neutral"):
        stable_at(m, {"w_1": 1.0, "w_2": 0.0, "w_3": 0.0}, {"theta": 1 / 6})


def test_an_observed_point_off_the_simplex_or_incomplete_is_refused() -> None:
    with pytest.raises(ModelError, match="not on the simplex"):
        stable_at(negative_payoffs(), {"w1": 0.5, "w2": 0.7}, {})
    with pytest.raises(ModelError, match="`w2`"):
        stable_at(negative_payoffs(), {"w1": 1.0}, {})


def test_incgeo_check_confirms_the_true_vertex_claim(tmp_path: Path) -> None:
    # The report: agreement 0.16 and "eigenvalues [0, -0.976, -0.976]" for a true claim.
    out = subprocess.run(
        [sys.executable, "-m", "incentive_geometry", "check", "entrenchment_n",
         "--claim", "0.2*(1 - theta) < theta", "--observe", "stable",
         "--at", "w_1=1", "--at", "w_2=0", "--at", "w_3=0", "--domain", "theta=0:1"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "claim: confirmed (agreement 1.000" in out.stdout, out.stdout
