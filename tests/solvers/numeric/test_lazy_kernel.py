"""One mechanism for the hand-written numba kernels (2x2 spectra, characteristic polynomials):
built once on first use, and None with numba switched off, so the NumPy routes run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from incentive_geometry.solvers.numeric import hurwitz, sweep_chunk
from incentive_geometry.solvers.numeric.kernels import NO_NUMBA_ENV, lazy_kernel


def test_built_once_and_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    calls: list[int] = []

    @lazy_kernel
    def triple(numba: Any) -> Any:
        calls.append(1)
        return numba.njit(lambda x: 3 * x)

    assert triple()(14) == 42 and triple()(1) == 3
    assert calls == [1]
    monkeypatch.setenv(NO_NUMBA_ENV, "1")
    assert triple() is None


def test_sweep_and_hurwitz_kernels_fall_back_without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NO_NUMBA_ENV, "1")
    assert sweep_chunk._compiled_spectra2() is None
    assert hurwitz._compiled_charpoly() is None
    # The NumPy route still answers: the characteristic polynomial of diag(1, 2, 3) is
    # (l - 1)(l - 2)(l - 3) = l^3 - 6 l^2 + 11 l - 6.
    monkeypatch.setattr(hurwitz, "COMPILED_MIN", 1)
    got = hurwitz.charpoly_coefficients(np.diag([1.0, 2.0, 3.0])[None])
    np.testing.assert_allclose(got, [[-6.0, 11.0, -6.0]])
