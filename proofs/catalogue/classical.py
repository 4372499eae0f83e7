"""The classical results of the theory library, each checked against a numerical observation.

Holmstrom-Milgrom, Baker, regressional Goodhart, Arthur's adoption process, nonlinear Polya urns,
multiplicative weights (stability and period doubling), the Saxe learning time, and the
rock-paper-scissors replicator. Each prediction is the published closed form; each observation
is computed from the model without it (equilibria of the model's dynamics, Monte Carlo, or
simulation).

Examples
--------
>>> from incentive_geometry.proofs.catalogue.classical import entries
>>> len(entries())
14
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping

import numpy as np

from incentive_geometry.errors import ConvergenceError
from incentive_geometry.model import Model
from incentive_geometry.proofs.catalogue import Entry
from incentive_geometry.proofs.claims import Claim, Observation
from incentive_geometry.proofs.derive import equilibrium_value_derivation, stability_derivation
from incentive_geometry.proofs.observe import BATCHED, stable_at
from incentive_geometry.theory import (
    arthur_adoption,
    arthur_barriers,
    baker_distortion,
    deep_linear_network,
    entrenchment,
    holmstrom_milgrom,
    multiplicative_weights,
    polya_urn,
    regressional_goodhart,
    rock_paper_scissors,
)

__all__ = [
    "adversarial_value_share",
    "arthur_wins",
    "best_of_n_divergence",
    "causal_intervention_values",
    "entries",
    "equilibrium_value",
    "extremal_goodhart_mean",
    "goodhart_selected_values",
    "map_converges",
    "period_two_exists",
    "rps_centre_attracts",
    "saxe_time",
    "urn_limits",
]


def _seed(values: Mapping[str, float]) -> int:
    """A seed derived from the sample point, so observations are reproducible."""
    key = ",".join(f"{k}={float(v):.12g}" for k, v in sorted(values.items()))
    return int.from_bytes(key.encode()[-8:].rjust(8, b"\0"), "little") % (2**32)


def _params(model: Model, values: Mapping[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items() if k in model.parameter_names}


def equilibrium_value(model: Model, state: str, values: Mapping[str, float]) -> Observation:
    """A state's value at the model's stable equilibrium (found numerically).

    Examples
    --------
    >>> from incentive_geometry.theory import holmstrom_milgrom
    >>> from incentive_geometry.proofs.catalogue.classical import equilibrium_value
    >>> round(equilibrium_value(holmstrom_milgrom(), "beta", {"r": 1, "c": 1, "sigma2": 1}).value, 9)
    0.5
    """
    from incentive_geometry.solvers.numeric.equilibria import find_equilibria

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = [e for e in find_equilibria(model, params=_params(model, values)) if e.stable]
    if len(found) != 1:
        return Observation(float("nan"), f"{len(found)} stable equilibria found")
    value = float(found[0].x[model.state_names.index(state)])
    return Observation(value, f"stable equilibrium {found[0].as_dict()['x']}")


def goodhart_selected_values(values: Mapping[str, float], *, draws: int = 20_000) -> Observation:
    """Monte Carlo: true values V of those selected on the proxy U = V + X >= t.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.classical import goodhart_selected_values
    >>> goodhart_selected_values({"sigma_v": 1, "sigma_x": 1, "t": 0.0}).value.size > 5000
    True
    """
    rng = np.random.default_rng(_seed(values))
    v = rng.normal(0.0, float(values["sigma_v"]), draws)
    u = v + rng.normal(0.0, float(values["sigma_x"]), draws)
    kept = v[u >= float(values["t"])]
    return Observation(kept, f"{kept.size} of {draws} selected; mean true value {kept.mean():.4f}")


def causal_intervention_values(values: Mapping[str, float], *, draws: int = 20_000) -> Observation:
    """Monte Carlo: true values V under the intervention do(U = u) on the proxy.

    The structural model of :func:`incentive_geometry.theory.goodhart.causal_goodhart_draws`
    is simulated with the arrow from the common cause to the proxy cut.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.classical import causal_intervention_values
    >>> obs = causal_intervention_values({"a": 1.0, "k": 0.5, "s": 1.0, "u": 2.0})
    >>> bool(abs(obs.value.mean() - 1.0) < 0.05)
    True
    """
    from incentive_geometry.theory.goodhart import causal_goodhart_draws

    rng = np.random.default_rng(_seed(values))
    v = causal_goodhart_draws(
        float(values["u"]),
        a=float(values["a"]),
        k=float(values["k"]),
        s=float(values["s"]),
        samples=draws,
        rng=rng,
    )
    return Observation(v, f"{draws} draws under do(U = {values['u']:.4g}); mean V {v.mean():.4f}")


def adversarial_value_share(values: Mapping[str, float]) -> Observation:
    """True value per unit of proxy delivered by an agent optimizing a fixed piece rate.

    The agent's effort is found by gradient ascent on its utility
    (:func:`incentive_geometry.theory.goodhart.adversarial_response`).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.classical import adversarial_value_share
    >>> round(adversarial_value_share({"w": 1.0, "kappa": 1.0}).value, 6)
    0.5
    """
    from incentive_geometry.theory.goodhart import adversarial_response

    v, u = adversarial_response(float(values["w"]), kappa=float(values["kappa"]))
    return Observation(v / u, f"effort: true value V = {v:.6g}, proxy U = {u:.6g}")


def best_of_n_divergence(values: Mapping[str, float]) -> Observation:
    """KL divergence of best-of-n sampling from its base, by quadrature on three bases.

    The value is that of a standard normal score; the evidence shows the exponential and Gumbel
    scores' values too (the divergence does not depend on the base).

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.classical import best_of_n_divergence
    >>> round(best_of_n_divergence({"n": 4.0}).value, 6)
    0.636294
    """
    from incentive_geometry.theory.goodhart import best_of_n_kl_quadrature

    n = float(values["n"])
    seen = {b: best_of_n_kl_quadrature(n, b) for b in ("normal", "exponential", "gumbel")}
    shown = ", ".join(f"{b} {v:.12g}" for b, v in seen.items())
    return Observation(seen["normal"], f"quadrature of p_n log(p_n / f): {shown}")


def extremal_goodhart_mean(values: Mapping[str, float]) -> Observation:
    """E[V | V + X >= t] for V ~ N(0, 1) and a Student-t error X, by quadrature.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.classical import extremal_goodhart_mean
    >>> round(100 * extremal_goodhart_mean({"t": 100.0, "df": 2.0, "scale": 1.0}).value, 3)
    2.0
    """
    from incentive_geometry.theory.goodhart import extremal_selected_mean

    t, df, scale = float(values["t"]), float(values["df"]), float(values["scale"])
    value = extremal_selected_mean(t, df=df, scale=scale)
    return Observation(value, f"quadrature over v in [-12, 12]: E[V | U >= {t:.4g}] = {value:.6g}")


def arthur_wins(
    model: Model, values: Mapping[str, float], *, runs: int = 400, max_steps: int = 2000
) -> Observation:
    """Monte Carlo of Arthur's process: (runs in which A locks in, runs absorbed).

    Examples
    --------
    >>> from incentive_geometry.theory import arthur_adoption
    >>> from incentive_geometry.proofs.catalogue.classical import arthur_wins
    >>> k, n = arthur_wins(arthur_adoption(), {"p": 0.5}, runs=50).value
    >>> n == 50 and 0 < k < 50
    True
    """
    params = {p.name: float(values.get(p.name, p.default)) for p in model.parameters}  # type: ignore[arg-type]
    lower, upper = arthur_barriers(**{k: params[k] for k in ("a_r", "b_r", "a_s", "b_s", "r")})
    rng = np.random.default_rng(_seed(values))
    X = np.zeros((runs, 2))
    step = model.stochastic_step
    assert step is not None
    winner = np.zeros(runs, dtype=int)
    for _ in range(max_steps):
        open_ = winner == 0
        if not open_.any():
            break
        X[open_] = step(X[open_], params, rng)
        lead = X[:, 0] - X[:, 1]
        # Past a barrier one technology is chosen by every agent: lock-in.
        winner = np.where(open_ & (lead >= upper), 1, np.where(open_ & (lead <= lower), -1, winner))
    k, n = int((winner == 1).sum()), int((winner != 0).sum())
    return Observation((k, n), f"A locked in {k} of {n} absorbed runs (barriers {lower}, {upper})")


def urn_limits(
    model: Model, values: Mapping[str, float], *, runs: int = 200, draws: int = 20_000
) -> Observation:
    """Monte Carlo of the urn: (runs ending near a down-crossing fixed point, runs).

    Examples
    --------
    >>> from incentive_geometry.theory import polya_urn
    >>> from incentive_geometry.proofs.catalogue.classical import urn_limits
    >>> k, n = urn_limits(polya_urn(), {"alpha": 3.0}, runs=20).value
    >>> k == n == 20
    True
    """
    alpha = float(values["alpha"])
    stable = _down_crossings(alpha)
    rng = np.random.default_rng(_seed(values))
    X = np.ones((runs, 2))
    step = model.stochastic_step
    assert step is not None
    for _ in range(draws):
        X = step(X, {"alpha": alpha}, rng)
    return _urn_verdict(X[:, 0] / X.sum(axis=1), stable, runs, draws)


class _Streams:
    """Stands in for a generator in a batched ``stochastic_step``: ``random(n)`` returns the
    next draw of every sample point's own generator side by side (``n`` = points x runs), read
    ahead in blocks. A generator's ``random((k, runs))`` is its next ``k`` calls of
    ``random(runs)``, so each point sees the stream its one-point observation sees."""

    def __init__(self, seeds: list[int], runs: int, block: int) -> None:
        self._rngs = [np.random.default_rng(s) for s in seeds]
        self._runs, self._block = runs, block
        self._rows = np.empty((0, 0))
        self._next = 0

    def random(self, n: int) -> np.ndarray:
        if n != self._runs * len(self._rngs):
            raise AssertionError(f"{n} draws asked for, {self._runs} runs per point")
        if self._next == len(self._rows):
            self._rows = np.concatenate(
                [g.random((self._block, self._runs)) for g in self._rngs], axis=1
            )
            self._next = 0
        row = self._rows[self._next]
        self._next += 1
        return row


def _urn_verdict(share: np.ndarray, stable: list[float], runs: int, draws: int) -> Observation:
    near = np.min(np.abs(share[:, None] - np.array(stable)[None, :]), axis=1) < 0.1
    return Observation(
        (int(near.sum()), runs),
        f"final shares in [{share.min():.3f}, {share.max():.3f}] after {draws} draws; down-crossings {stable}",
    )


def _urn_limits_many(
    model: Model,
    points: list[Mapping[str, float]],
    *,
    runs: int = 200,
    draws: int = 20_000,
    block: int = 250,
) -> list[Observation | BaseException]:
    """:func:`urn_limits` at many points: all points' urns step together (one row per run, a
    per-row ``alpha``), each point drawing from its own generator seeded as in
    :func:`urn_limits`, so each member equals its one-point observation."""
    step = model.stochastic_step
    assert step is not None
    results: dict[int, Observation | BaseException] = {}
    alphas: list[float] = []
    seeds: list[int] = []
    good: list[int] = []
    for i, values in enumerate(points):
        try:
            a, seed = float(values["alpha"]), _seed(values)
        except Exception as err:  # this member's own failure
            results[i] = err
            continue
        alphas.append(a)
        seeds.append(seed)
        good.append(i)
    if good:
        streams = _Streams(seeds, runs, min(block, draws))
        alpha = np.repeat(np.array(alphas), runs)
        X = np.ones((len(good) * runs, 2))
        for _ in range(draws):
            X = step(X, {"alpha": alpha}, streams)
        share = (X[:, 0] / X.sum(axis=1)).reshape(len(good), runs)
        for j, i in enumerate(good):
            try:
                results[i] = _urn_verdict(share[j], _down_crossings(alphas[j]), runs, draws)
            except Exception as err:
                results[i] = err
    return [results[i] for i in range(len(points))]


def _down_crossings(alpha: float, *, grid: int = 20_001) -> list[float]:
    """Numerically: where f(x) - x changes sign from + to - (ends included one-sidedly), for the
    urn function f(x) = x^alpha / (x^alpha + (1 - x)^alpha) of the model."""
    x = np.linspace(0.0, 1.0, grid)
    with np.errstate(all="ignore"):
        f = x**alpha / (x**alpha + (1 - x) ** alpha)
    d = f - x
    out = []
    if d[1] < 0:
        out.append(0.0)
    if d[-2] > 0:
        out.append(1.0)
    for i in range(1, grid - 2):
        if d[i] > 0 >= d[i + 1]:
            out.append(float(x[i] - d[i] * (x[i + 1] - x[i]) / (d[i + 1] - d[i])))
    return out


def map_converges(model: Model, values: Mapping[str, float], *, steps: int = 1500) -> Observation:
    """Iterate the map from near the interior fixed point; whether it settles there.

    Examples
    --------
    >>> from incentive_geometry.theory import multiplicative_weights
    >>> from incentive_geometry.proofs.catalogue.classical import map_converges
    >>> map_converges(multiplicative_weights(), {"a": 5.0, "b": 0.5}).value
    True
    """
    from incentive_geometry.solvers.numeric.simulate import simulate

    b = float(values["b"])
    tr = simulate(
        model, x0={"x": min(0.999, b + 0.01)}, t=(0, steps), params=_params(model, values)
    )
    return _settled(tr.x[-20:, 0])


def _settled(tail: np.ndarray) -> Observation:
    settled = bool(np.max(np.abs(tail - tail[-1])) < 1e-9)
    return Observation(settled, f"last iterates {tail[-3:].round(6).tolist()}")


def _map_converges_many(
    model: Model, points: list[Mapping[str, float]], *, steps: int = 1500
) -> list[Observation | BaseException]:
    """:func:`map_converges` at many points: one ensemble of the map (the iteration is
    elementwise, so each member equals its one-point observation)."""
    from incentive_geometry.solvers.numeric.simulate import simulate

    b = np.array([float(v["b"]) for v in points])
    params = {k: np.array([float(v[k]) for v in points]) for k in _params(model, points[0])}
    tr = simulate(model, x0={"x": np.minimum(0.999, b + 0.01)}, t=(0, steps), params=params)
    X = tr.x.reshape(len(points), len(tr.t), -1)
    return [_settled(X[i, -20:, 0]) for i in range(len(points))]


def period_two_exists(model: Model, values: Mapping[str, float]) -> Observation:
    """Whether the map has a point of minimal period 2 in (0, 1), numerically.

    Examples
    --------
    >>> from incentive_geometry.theory import multiplicative_weights
    >>> from incentive_geometry.proofs.catalogue.classical import period_two_exists
    >>> period_two_exists(multiplicative_weights(), {"a": 10.0, "b": 0.5}).value
    True
    """
    from incentive_geometry.solvers.numeric.equilibria import find_equilibria

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = find_equilibria(
            model, params=_params(model, values), period=2, bounds={"x": (1e-6, 1 - 1e-6)}
        )
    return Observation(
        bool(found), f"{len(found)} period-2 point(s): {[round(float(e.x[0]), 6) for e in found]}"
    )


def saxe_time(model: Model, values: Mapping[str, float]) -> Observation:
    """Simulated time for the mode u = a b to grow from u0 to uf (balanced start a = b).

    Examples
    --------
    >>> from incentive_geometry.theory import deep_linear_network
    >>> from incentive_geometry.proofs.catalogue.classical import saxe_time
    >>> round(saxe_time(deep_linear_network(), {"s": 1.0, "tau": 1.0, "q0": 0.01, "qf": 0.5}).value, 4)
    2.2976
    """
    from incentive_geometry.solvers.numeric.simulate import simulate

    s, q0, qf = float(values["s"]), float(values["q0"]), float(values["qf"])
    tau = float(values.get("tau", 1.0))
    a0 = math.sqrt(q0 * s)
    horizon = 4.0 * tau / s * (1.0 + abs(math.log(q0)))
    tr = simulate(
        model,
        x0={"a": a0, "b": a0},
        t=(0.0, horizon),
        params={"s": s, "tau": tau},
        n_points=20001,
        rtol=1e-11,
        atol=1e-13,
    )
    u = tr.observables["u"]
    idx = int(np.argmax(u >= qf * s))
    if u[idx] < qf * s:
        return Observation(float("nan"), f"u reached only {u.max():.4g} by t = {horizon:.3g}")
    # Linear interpolation between the two output times around the crossing.
    t0, t1, u0, u1 = tr.t[idx - 1], tr.t[idx], u[idx - 1], u[idx]
    t_cross = float(t0 + (qf * s - u0) * (t1 - t0) / (u1 - u0))
    return Observation(t_cross, f"u = a b crossed {qf * s:.4g} at t = {t_cross:.6g}")


def rps_centre_attracts(model: Model, values: Mapping[str, float]) -> Observation:
    """Simulate from near the centre; whether x1 x2 x3 grows towards 1/27 (the centre attracts).

    Examples
    --------
    >>> from incentive_geometry.theory import rock_paper_scissors
    >>> from incentive_geometry.proofs.catalogue.classical import rps_centre_attracts
    >>> rps_centre_attracts(rock_paper_scissors(), {"win": 1.0, "loss": 0.5}).value
    True
    """
    from incentive_geometry.solvers.numeric.simulate import simulate

    tr = simulate(
        model,
        x0={"x_1": 0.25, "x_2": 0.33, "x_3": 0.42},
        t=(0.0, 200.0),
        params=_params(model, values),
        n_points=201,
    )
    return _rps_verdict(tr.observables["product"])


def _rps_verdict(product: np.ndarray) -> Observation:
    return Observation(
        bool(product[-1] > product[0]),
        f"x1 x2 x3: {product[0]:.5f} -> {product[-1]:.5f} (centre 1/27 = {1 / 27:.5f})",
    )


def _rps_centre_attracts_many(
    model: Model, points: list[Mapping[str, float]]
) -> list[Observation | BaseException]:
    """:func:`rps_centre_attracts` at many points: one ensemble simulation (explicit
    Runge-Kutta 8(5,3), DOP853, on the stacked members with error control member by member,
    where the one-point observation uses LSODA: the products agree to the solvers' tolerance;
    DOP853 takes half the time of RK45 here, as the orbits circle the centre for t = 200)."""
    from incentive_geometry.solvers.numeric.simulate import simulate

    params = {k: np.array([float(v[k]) for v in points]) for k in _params(model, points[0])}
    n = len(points)
    tr = simulate(
        model,
        x0={"x_1": np.full(n, 0.25), "x_2": np.full(n, 0.33), "x_3": np.full(n, 0.42)},
        t=(0.0, 200.0),
        params=params,
        n_points=201,
        method="DOP853",
        raise_on_failure=False,
    )
    if tr.status < 0:
        raise ConvergenceError(f"the ensemble simulation failed: {tr.message}")
    product = np.asarray(tr.observables["product"]).reshape(n, len(tr.t))
    return [_rps_verdict(product[i]) for i in range(n)]


# The batched forms (:func:`incentive_geometry.proofs.observe.batch_for`): all sample points of
# a claim in one call.
BATCHED.update(
    {
        urn_limits: _urn_limits_many,
        map_converges: _map_converges_many,
        rps_centre_attracts: _rps_centre_attracts_many,
    }
)


def entries() -> list[Entry]:
    """The classical claims.

    Examples
    --------
    >>> from incentive_geometry.proofs.catalogue.classical import entries
    >>> entries()[0].claim.name
    'classical.holmstrom_milgrom_intensity'
    """
    family = "classical"
    hm = holmstrom_milgrom()
    baker = baker_distortion()
    arthur = arthur_adoption()
    urn = polya_urn()
    mw = multiplicative_weights()
    dln = deep_linear_network()
    rps = rock_paper_scissors()
    mw_entrench = entrenchment(discrete=True)
    lower, upper = arthur_barriers(a_r=1.0, b_r=0.75, a_s=0.6, b_s=0.95, r=0.1)
    rho = "((1 - p)/p)"
    return [
        Entry(
            family,
            Claim(
                name="classical.holmstrom_milgrom_intensity",
                statement="Holmstrom-Milgrom: the optimal linear incentive intensity is 1 / (1 + r c sigma^2).",
                model=hm,
                prediction="1/(1 + r*c*sigma2)",
                kind="value",
                tolerance=1e-6,
                domain={"r": (0.0, 4.0), "c": (0.2, 3.0), "sigma2": (0.0, 2.0)},
                observe=functools.partial(equilibrium_value, hm, "beta"),
                derivation=functools.partial(
                    equilibrium_value_derivation, hm, "beta", "1/(1 + r*c*sigma2)"
                ),
                references=(
                    "B. Holmstrom and P. Milgrom, Aggregation and linearity in the provision of intertemporal incentives, Econometrica 55, 303-328 (1987)",
                ),
            ),
            weight=0.25,
        ),
        Entry(
            family,
            Claim(
                name="classical.baker_optimal_weight",
                statement="Baker: the optimal weight on a distorted measure is "
                "|f| |g| cos(angle) / (|g|^2 + r sigma^2), falling with the angle between value and measure.",
                model=baker,
                prediction="f_norm*g_norm*cos(angle)/(g_norm**2 + r*sigma2)",
                kind="value",
                tolerance=1e-6,
                domain={
                    "angle": (0.0, 1.4),
                    "f_norm": (0.5, 2.0),
                    "g_norm": (0.5, 2.0),
                    "r": (0.0, 2.0),
                    "sigma2": (0.0, 1.0),
                },
                observe=functools.partial(equilibrium_value, baker, "beta"),
                derivation=functools.partial(
                    equilibrium_value_derivation,
                    baker,
                    "beta",
                    "f_norm*g_norm*cos(angle)/(g_norm**2 + r*sigma2)",
                ),
                references=(
                    "G. P. Baker, Incentive contracts and performance measurement, J. Polit. Econ. 100, 598-614 (1992)",
                    "G. Baker, Distortion and risk in optimal incentive contracts, J. Hum. Resour. 37, 728-751 (2002)",
                ),
            ),
            weight=0.25,
        ),
        Entry(
            family,
            Claim(
                name="classical.regressional_goodhart",
                statement="Regressional Goodhart: selecting on a noisy proxy U = V + X >= t yields "
                "E[V | U >= t] = sigma_V^2 / sigma_U * phi(t / sigma_U) / (1 - Phi(t / sigma_U)).",
                model=regressional_goodhart(),
                kind="mean",
                prediction="sigma_v**2/sqrt(sigma_v**2 + sigma_x**2)*exp(-t**2/(2*(sigma_v**2 + sigma_x**2)))"
                "/sqrt(2*pi)/(erfc(t/sqrt(2*(sigma_v**2 + sigma_x**2)))/2)",
                domain={"sigma_v": (0.3, 2.0), "sigma_x": (0.0, 2.0), "t": (-1.0, 1.5)},
                observe=goodhart_selected_values,
                references=(
                    "D. Manheim and S. Garrabrant, Categorizing variants of Goodhart's law, arXiv:1803.04585 (2018)",
                ),
            ),
            weight=0.25,
        ),
        Entry(
            family,
            Claim(
                name="classical.best_of_n_kl",
                statement="Best-of-n over-optimization: keeping the best of n draws on a continuous "
                "proxy score moves the score distribution by exactly KL = log n - (n - 1)/n from "
                "its base (not log n), whatever the base.",
                kind="value",
                prediction="log(n) - (n - 1)/n",
                tolerance=1e-7,
                domain={"n": (1.5, 64.0)},
                observe=best_of_n_divergence,
                observer="numerical quadrature of p_n log(p_n / f) (normal, exponential, Gumbel)",
                references=(
                    "A. Beirami, A. Agarwal, J. Berant, A. D'Amour, J. Eisenstein, C. Nagpal and A. T. Suresh, "
                    "Theoretical guarantees on the best-of-n alignment policy, arXiv:2401.01879 (2024)",
                    "L. Gao, J. Schulman and J. Hilton, Scaling laws for reward model overoptimization, ICML 2023",
                ),
            ),
            weight=0.0625,
        ),
        Entry(
            family,
            Claim(
                name="classical.extremal_goodhart",
                statement="Extremal Goodhart: when the proxy error is heavy-tailed (Student t with "
                "df degrees of freedom, any scale) and the true value is N(0, 1), selecting on "
                "U = V + X >= t yields E[V | U >= t] ~ df / t for large t: the harder the "
                "selection, the closer the selected true value falls back to 0.",
                kind="value",
                prediction="df/t",
                tolerance=5e-3,
                domain={"t": (40.0, 200.0), "df": (1.0, 4.0), "scale": (0.5, 2.0)},
                observe=extremal_goodhart_mean,
                observer="numerical quadrature of E[V S((t - V) / scale)] / E[S((t - V) / scale)]",
                references=(
                    "D. Manheim and S. Garrabrant, Categorizing variants of Goodhart's law, arXiv:1803.04585 (2018)",
                    "A. O'Hagan, On outlier rejection phenomena in Bayes inference, J. R. Stat. Soc. B 41, 358-367 (1979)",
                ),
            ),
            weight=0.0625,
        ),
        Entry(
            family,
            Claim(
                name="classical.causal_goodhart",
                statement="Causal Goodhart: when the proxy U is correlated with the true value V "
                "through a common cause (U = Z + s E_U, V = a Z + k U + E_V), intervening on the "
                "proxy moves V only by its direct effect: E[V | do(U = u)] = k u, not the "
                "regression slope (k + a / (1 + s^2)) u.",
                kind="mean",
                prediction="k*u",
                domain={"a": (0.5, 2.0), "k": (-0.5, 1.0), "s": (0.3, 2.0), "u": (-2.0, 3.0)},
                observe=causal_intervention_values,
                observer="Monte Carlo of the structural model under do(U = u)",
                references=(
                    "D. Manheim and S. Garrabrant, Categorizing variants of Goodhart's law, arXiv:1803.04585 (2018)",
                    "J. Pearl, Causality, 2nd ed., Cambridge University Press, 2009",
                ),
            ),
            weight=0.125,
        ),
        Entry(
            family,
            Claim(
                name="classical.adversarial_goodhart",
                statement="Adversarial Goodhart: an agent paid w per unit of a fixed proxy U = V + X, "
                "who can raise the error term X (gaming) at cost X^2 / (2 kappa), delivers true "
                "value V = U / (1 + kappa): the proxy overstates the value by the factor 1 + kappa.",
                kind="value",
                prediction="1/(1 + kappa)",
                tolerance=1e-6,
                domain={"w": (0.2, 3.0), "kappa": (0.0, 4.0)},
                observe=adversarial_value_share,
                observer="gradient ascent on the agent's utility",
                references=(
                    "D. Manheim and S. Garrabrant, Categorizing variants of Goodhart's law, arXiv:1803.04585 (2018)",
                ),
            ),
            weight=0.125,
        ),
        Entry(
            family,
            Claim(
                name="classical.arthur_lockin",
                statement=f"Arthur: A locks in with the gambler's-ruin probability of the lead hitting "
                f"{upper} before {lower}.",
                model=arthur,
                kind="probability",
                prediction=f"(1 - {rho}**({0 - lower}))/(1 - {rho}**({upper - lower}))",
                domain={"p": (0.35, 0.65)},
                observe=functools.partial(arthur_wins, arthur),
                references=(
                    "W. B. Arthur, Competing technologies, increasing returns, and lock-in by historical events, Econ. J. 99, 116-131 (1989)",
                ),
            ),
            weight=0.25,
        ),
        Entry(
            family,
            Claim(
                name="classical.polya_urn_limits",
                statement="Nonlinear Polya urn with increasing returns: the share converges to a "
                "down-crossing fixed point of the urn function (0 or 1).",
                model=urn,
                kind="probability",
                prediction="1",
                domain={"alpha": (2.0, 4.0)},
                observe=functools.partial(urn_limits, urn),
                references=("B. M. Hill, D. Lane and W. Sudderth, Ann. Probab. 8, 214-226 (1980)",),
            ),
            weight=0.125,
        ),
        Entry(
            family,
            Claim(
                name="classical.multiplicative_weights_stability",
                statement="Multiplicative weights on two routes: the equilibrium share b is stable iff a < 2 / (b (1 - b)).",
                model=mw,
                prediction="a < 2/(b*(1 - b))",
                domain={"a": (0.5, 20.0), "b": (0.1, 0.9)},
                observe=functools.partial(map_converges, mw),
                derivation=functools.partial(
                    stability_derivation, mw, {"x": "b"}, "a < 2/(b*(1 - b))"
                ),
                boundary_tol=0.02,
                references=(
                    "T. Chotibut, F. Falniowski, M. Misiurewicz and G. Piliouras, The route to chaos in routing games: when is price of anarchy too optimistic?, NeurIPS 2020",
                ),
            ),
            weight=0.25,
        ),
        Entry(
            family,
            Claim(
                name="classical.multiplicative_weights_period_doubling",
                statement="Past the threshold a = 2 / (b (1 - b)) a period-2 orbit exists (period doubling); before it, none.",
                model=mw,
                prediction="a > 2/(b*(1 - b))",
                domain={"a": (0.5, 20.0), "b": (0.1, 0.9)},
                observe=functools.partial(period_two_exists, mw),
                boundary_tol=0.02,
                references=(
                    "T. Chotibut, F. Falniowski, M. Misiurewicz and G. Piliouras, The route to chaos in routing games: when is price of anarchy too optimistic?, NeurIPS 2020",
                ),
            ),
            weight=0.25,
        ),
        Entry(
            family,
            Claim(
                name="classical.saxe_learning_time",
                statement="Saxe-McClelland-Ganguli: a mode grows from u0 to uf in (tau / 2s) ln(uf (s - u0) / (u0 (s - uf))).",
                model=dln,
                kind="value",
                tolerance=1e-4,
                prediction="tau/(2*s)*log(qf*(1 - q0)/(q0*(1 - qf)))",
                domain={"s": (0.5, 2.0), "tau": (0.5, 2.0), "q0": (0.001, 0.1), "qf": (0.3, 0.9)},
                observe=functools.partial(saxe_time, dln),
                references=(
                    "A. M. Saxe, J. L. McClelland and S. Ganguli, arXiv:1312.6120 (ICLR 2014)",
                ),
            ),
            weight=0.25,
        ),
        Entry(
            family,
            Claim(
                name="classical.rps_centre_stability",
                statement="Rock-paper-scissors replicator: the centre attracts iff a win pays more than a loss costs.",
                model=rps,
                prediction="win > loss",
                domain={"win": (0.2, 2.0), "loss": (0.2, 2.0)},
                observe=functools.partial(rps_centre_attracts, rps),
                boundary_tol=0.01,
                references=(
                    "J. Hofbauer and K. Sigmund, Evolutionary Games and Population Dynamics, CUP, 1998, section 7.7",
                ),
            ),
            weight=0.25,
        ),
        Entry(
            family,
            Claim(
                name="classical.entrenchment_map_boundary",
                statement="The entrenchment boundaries hold for the discrete-time optimizer: x = 1 is a stable fixed point "
                "of multiplicative weights iff alpha (1 - theta) (b + gamma) > theta c.",
                model=mw_entrench,
                prediction="alpha*(1 - theta)*(b + gamma) > theta*c",
                domain={
                    "alpha": (0.2, 3.0),
                    "theta": (0.0, 0.98),
                    "b": (0.0, 1.0),
                    "gamma": (0.0, 2.0),
                    "c": (0.1, 2.0),
                    "eta": (0.1, 2.0),
                },
                observe=functools.partial(stable_at, mw_entrench, {"x": 1.0}),
                derivation=functools.partial(
                    stability_derivation,
                    mw_entrench,
                    {"x": 1},
                    "alpha*(1 - theta)*(b + gamma) > theta*c",
                ),
                references=(
                    "D. Daniel, Incentive Geometry and the Emergence of Mesa-Optimizers, Zenodo preprint, 2025",
                ),
            ),
        ),
    ]
