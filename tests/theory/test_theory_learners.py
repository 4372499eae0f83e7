"""The learner specifications (theory/learners): validation, outcome tables, Moran fixation.

Fixation probabilities are checked against the independent formula of
:func:`incentive_geometry.theory.moran_fixation_probability` (Nowak et al. 2004) and against
simulated Moran processes (binomial confidence intervals).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from incentive_geometry.errors import ModelError
from incentive_geometry.solvers.numeric.train import proportion, train
from incentive_geometry.theory import learners, moran_fixation_probability
from incentive_geometry.theory.learners.base import Learner, Outcome


@pytest.mark.parametrize(
    "factory",
    [
        lambda: learners.cross_learning(),
        lambda: learners.cross_learning(diversity=True),
        lambda: learners.cross_learning(k=4),
        lambda: learners.policy_gradient(),
        lambda: learners.moran(N=25),
    ],
)
def test_outcome_probabilities_sum_to_one_symbolically(factory: object) -> None:
    L = factory()  # type: ignore[operator]
    total = sum((o.probability for o in L.outcomes), sympy.Integer(0))
    if L.simplex:
        # On the simplex: eliminate the last share.
        last = L.states[-1]
        total = total.subs(last, 1 - sum(L.states[:-1]))
    assert sympy.simplify(total) == 1


def test_cross_learning_outcome_table() -> None:
    L = learners.cross_learning()
    s = L.symbols
    x, eta, theta = s["x"], s["eta"], s["theta"]
    by_label = {o.label: o for o in L.outcomes}
    assert by_label["M drawn, proxy"].probability == x * (1 - theta)
    assert sympy.simplify(by_label["A drawn, observed"].increment[0] + eta * s["c"] * x) == 0
    assert by_label["M drawn, observed"].increment[0] == 0


def test_cross_learning_k_two_needs_scalars() -> None:
    with pytest.raises(ModelError, match="must be a number"):
        learners.cross_learning(k=2, b=[0.0, 0.2])
    L = learners.cross_learning(k=2, b=0.4)
    assert L.defaults["b"] == 0.4


def test_invalid_learners_are_refused() -> None:
    with pytest.raises(ModelError, match="sum to"):
        Learner.from_outcomes(["x"], [("x", {"x": "eta"})], parameters={"eta": 0.1})
    with pytest.raises(ModelError, match="does not vanish"):
        Learner.from_outcomes(["x"], [("1", {"x": "1 - x"})], parameters={"eta": 0.1})
    with pytest.raises(ModelError, match="step parameter"):
        Learner.from_outcomes(["x"], [("1", {"x": "h*x"})], parameters={"h": 0.1})
    with pytest.raises(ModelError, match="unknown name"):
        Learner.from_outcomes(["x"], [("1", {"x": "eta*y"})], parameters={"eta": 0.1})
    with pytest.raises(ModelError, match="not states"):
        Learner.from_outcomes(["x"], [("1", {"eta": "eta"})], parameters={"eta": 0.1})
    with pytest.raises(ModelError, match="not both"):
        Learner(
            name="both",
            states=(sympy.Symbol("x", real=True),),
            parameters=learners.cross_learning().parameters,
            outcomes=(Outcome(sympy.Integer(1), (sympy.Integer(0),)),),
            step=lambda z, p, r: z,
        )


def test_model_text_is_parsed_safely() -> None:
    with pytest.raises(ModelError, match="not part of the model language"):
        Learner.from_outcomes(["x"], [("1", {"x": "eta.__class__"})], parameters={"eta": 0.1})


def _payoffs(
    theta: float, alpha: float = 1.0, b: float = 0.2, gamma: float = 1.0, c: float = 1.0
) -> list:
    # M vs M, M vs A; A vs M, A vs A: M earns alpha (1 - theta) (b + gamma y), A earns theta c.
    m = alpha * (1 - theta)
    return [[m * (b + gamma), m * b], [theta * c, theta * c]]


@pytest.mark.parametrize(("N", "w", "theta"), [(10, 0.5, 0.3), (40, 0.9, 0.5), (7, 0.2, 0.05)])
def test_moran_fixation_matches_nowak_formula(N: int, w: float, theta: float) -> None:
    ours = learners.moran_fixation(N, start=1, w=w, theta=theta)
    ref = moran_fixation_probability(_payoffs(theta), N, w)
    assert ours == pytest.approx(ref, rel=1e-12)


def test_moran_fixation_limits() -> None:
    assert learners.moran_fixation(10, start=0) == 0.0
    assert learners.moran_fixation(10, start=10) == pytest.approx(1.0)
    assert learners.moran_fixation(12, start=3, w=0.0) == pytest.approx(0.25)


def test_simulated_moran_fixation_agrees_with_the_exact_probability() -> None:
    N, start, w, theta = 20, 6, 0.6, 0.35
    exact = learners.moran_fixation(N, start=start, w=w, theta=theta)
    L = learners.moran(N=N, w=w, theta=theta)
    run = train(L, n=3000, steps=6000, x0={"x": start / N}, seed=5, save_every=6000)
    final = run.final["x"]
    absorbed = (final < 0.5 / N) | (final > 1 - 0.5 / N)
    assert absorbed.mean() > 0.995
    fixed = proportion(int(np.count_nonzero(final > 1 - 0.5 / N)), len(final), confidence=0.99)
    print(
        f"Moran N={N}, start={start}: simulated {fixed.estimate:.4f} "
        f"[{fixed.low:.4f}, {fixed.high:.4f}], exact {exact:.4f}"
    )
    assert fixed.contains(exact)
