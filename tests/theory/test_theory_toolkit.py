"""The library's published results through the toolkit's own numeric solvers.

``ig.find_equilibria`` and ``ig.simulate`` take the library's models as any user would; the
results are checked against the closed forms of :mod:`incentive_geometry.theory`.
"""

from __future__ import annotations

import numpy as np
import pytest

import incentive_geometry as ig
from incentive_geometry.theory import (
    ablate,
    arthur_adoption,
    arthur_barriers,
    arthur_lockin_probability,
    entrenchment,
    hm_incentive_intensity,
    holmstrom_milgrom,
    multiplicative_weights,
    mw_flip_threshold,
    nested_objectives,
    rock_paper_scissors,
)


def _canonical(params):
    a, t, b, g, c = (params[k] for k in ("alpha", "theta", "b", "gamma", "c"))
    return a * (1 - t) * b < t * c, a * (1 - t) * (b + g) > t * c


def test_find_equilibria_agrees_with_the_canonical_conditions():
    m = entrenchment()
    rng = np.random.default_rng(30)
    for _ in range(12):
        params = dict(
            zip(
                ["alpha", "theta", "b", "gamma", "c"],
                rng.uniform([0.3, 0.05, 0.0, 0.2, 0.2], [2.5, 0.9, 0.8, 2.0, 2.0]),
                strict=True,
            )
        )
        found = ig.find_equilibria(m, params=params, bounds={"x": (-0.01, 1.01)})
        by_x = {round(float(e.x[0]), 6) + 0.0: e.stable for e in found}
        aligned, entrenched = _canonical(params)
        # Degenerate points (G(0) or G(1) = 0) have probability zero under this sampler.
        assert by_x[0.0] == aligned
        assert by_x[1.0] == entrenched
        interior = [x for x in by_x if 0 < x < 1]
        assert (len(interior) == 1) == (aligned and entrenched)
        assert not any(by_x[x] for x in interior)


def test_ablations_through_find_equilibria():
    no_obs = ablate(entrenchment(), "partial_observability")
    stable = [e for e in ig.find_equilibria(no_obs, bounds={"x": (-0.01, 1.01)}) if e.stable]
    assert [round(float(e.x[0]), 6) + 0.0 for e in stable] == [0.0]
    no_feedback = ablate(entrenchment(), "recursive_feedback")
    for theta in np.linspace(0.02, 0.98, 13):
        found = ig.find_equilibria(
            no_feedback, params={"theta": float(theta)}, bounds={"x": (-0.01, 1.01)}
        )
        assert sum(e.stable for e in found) <= 1


def test_simulate_shows_bistability_and_its_removal():
    m = entrenchment()
    x_star = 0.3 / 0.7 - 0.2
    ends = [
        float(ig.simulate(m, x0={"x": x0}, t=(0, 400)).x[-1, 0])
        for x0 in (x_star - 0.03, x_star + 0.03)
    ]
    assert ends == pytest.approx([0.0, 1.0], abs=1e-5)
    ablated = ablate(m, "recursive_feedback")
    ends = [
        float(ig.simulate(ablated, x0={"x": x0}, t=(0, 400)).x[-1, 0])
        for x0 in (x_star - 0.03, x_star + 0.03)
    ]
    assert ends[0] == pytest.approx(ends[1], abs=1e-5)


def test_mw_map_period_two_orbit_found_past_the_threshold():
    b = 0.35
    a_c = mw_flip_threshold(b)
    m = multiplicative_weights(b=b)
    below = ig.find_equilibria(m, params={"a": 0.95 * a_c}, bounds={"x": (0.01, 0.99)})
    assert [e.stable for e in below if abs(e.x[0] - b) < 1e-8] == [True]
    above = ig.find_equilibria(m, params={"a": 1.05 * a_c}, bounds={"x": (0.01, 0.99)})
    assert [e.stable for e in above if abs(e.x[0] - b) < 1e-8] == [False]
    cycles = ig.find_equilibria(m, params={"a": 1.05 * a_c}, period=2, bounds={"x": (0.01, 0.99)})
    assert any(e.stable and e.period == 2 for e in cycles)


def test_rock_paper_scissors_centre_through_find_equilibria():
    for win, loss in ((1.0, 0.5), (0.5, 1.0)):
        # In simplex coordinates (x_3 = 1 - x_1 - x_2): the unreduced model has lines of rest
        # points off the simplex (x = (0, 0, s)), which are not states of the game.
        reduced = rock_paper_scissors().reduce_simplex()
        found = ig.find_equilibria(
            reduced,
            params={"win": win, "loss": loss},
            bounds={"x_1": (0.0, 1.0), "x_2": (0.0, 1.0)},
        )
        centre = [e for e in found if np.allclose(e.x, 1 / 3, atol=1e-8)]
        assert len(centre) == 1
        assert centre[0].stable == (win > loss)
        # Eigenvalues ((loss - win) +- i sqrt(3)(win + loss)) / 6.
        assert all(
            ev.real == pytest.approx((loss - win) / 6, abs=1e-9) for ev in centre[0].eigenvalues
        )
        assert sorted(abs(ev.imag) for ev in centre[0].eigenvalues) == pytest.approx(
            [np.sqrt(3) * (win + loss) / 6] * 2, abs=1e-9
        )


def test_holmstrom_milgrom_and_nested_objectives_through_simulate():
    tr = ig.simulate(
        holmstrom_milgrom(),
        x0={"e": 0.0, "beta": 0.0},
        t=(0, 60),
        params={"r": 2.0, "sigma2": 0.75},
        rtol=1e-10,
        atol=1e-12,
    )
    assert tr.x[-1, 1] == pytest.approx(hm_incentive_intensity(r=2.0, c=1.0, sigma2=0.75), abs=1e-7)
    tr = ig.simulate(
        nested_objectives(3),
        x0=[0.0, 0.0, 0.0],
        t=(0, 60),
        params={"phi": 0.6},
        rtol=1e-10,
        atol=1e-12,
    )
    assert tr.observables["alignment_3"][-1] == pytest.approx(np.cos(0.6) ** 3, abs=1e-7)


def test_arthur_through_simulate_stochastic_step():
    # An ensemble of 600 adoption histories of 150 adopters through ig.simulate (seeded); the
    # share locked into A within 4 standard errors of the gambler's-ruin probability.
    runs = 600
    tr = ig.simulate(arthur_adoption(), x0=np.zeros((runs, 2)), t=(0, 150), seed=31)
    lead = tr.x[:, :, 0] - tr.x[:, :, 1]
    lower, upper = arthur_barriers(a_r=1.0, b_r=0.75, a_s=0.6, b_s=0.95, r=0.1)
    first_up = np.where((lead >= upper).any(axis=1), np.argmax(lead >= upper, axis=1), 10**9)
    first_lo = np.where((lead <= lower).any(axis=1), np.argmax(lead <= lower, axis=1), 10**9)
    assert np.all(np.minimum(first_up, first_lo) < 10**9)
    won = np.mean(first_up < first_lo)
    prob = arthur_lockin_probability(lower=lower, upper=upper)
    assert abs(won - prob) < 4 * np.sqrt(prob * (1 - prob) / runs)
