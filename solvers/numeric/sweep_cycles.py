"""The cycle probe of a sweep: points with no stable equilibrium simulated for a stable cycle.

Internal to :func:`~.sweep.sweep` (see its `cycles` option).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .sweep_plan import SweepPlan, domain_ok, param_rows

__all__ = ["DRIFT_TOL", "NOISE_FACTOR", "PROBE_ATOL", "PROBE_BATCH", "PROBE_RTOL", "SPEED_TOL"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Points per ensemble of probe simulations (neighbours in grid order share step sizes).
PROBE_BATCH = 64

#: Tolerances of the probe's simulations.
PROBE_RTOL, PROBE_ATOL = 1e-5, 1e-8

#: What a periodic orbit found by :func:`~.cycles.detect_cycle` must also show before the point
#: is called a stable cycle (issue 16). Measured on the probe's own simulations (second half,
#: 801 samples): true limit cycles (Brusselator a = 1, b = 3; van der Pol mu = 1 and 10) close
#: to a drift of 6e-6 to 3e-4 of their size across the whole second half, their slowest speed
#: is 0.3 to 0.7 of the median speed, and their size is of order 1. The look-alikes:
#:
#: * an orbit inside the integration noise of a stable equilibrium (the 3-routine simplex model
#:   at theta = 1: size 3e-7, an LSODA step-size pattern "of period 13.3"): refused when its size
#:   is below NOISE_FACTOR (atol + rtol max |x|);
#: * a spiral towards a heteroclinic cycle (rock-paper-scissors with win < loss, Hofbauer and
#:   Sigmund 1998, section 7.7): its return points drift outwards by 2e-3 to 1e-2 of its size
#:   per turn, a drift that adds up over the turns, and its period grows without bound as it
#:   lingers ever longer at the vertices (speed 1e-7 to 1e-18 of the median there). Refused
#:   when the return points of the same phase drift by more than DRIFT_TOL across the second
#:   half, unless the drift shrinks (the steps of the last turns at most half those of the
#:   first: an orbit converging onto an attracting cycle) and stays below 10 DRIFT_TOL; and
#:   when the slowest speed is below SPEED_TOL of the median (an orbit that comes close to an
#:   equilibrium, where a periodic orbit's period is unbounded).
NOISE_FACTOR = 100.0
DRIFT_TOL = 1e-3
SPEED_TOL = 1e-3


def _probe_starts(
    plan: SweepPlan,
    X: FloatArray,
    exists: np.ndarray,
    point: int,
    starts: int,
    rng: np.random.Generator,
    point_params: FloatArray,
) -> list[FloatArray]:
    """Starts of a point's probe: its equilibria moved by 1% (relative to 1 + their size) in a
    random direction, inside the state domains and constraints (at the point's parameters
    `point_params`); the plan's probe states when it has none."""
    domains = plan.model.state_domains

    def inside(v: FloatArray) -> bool:
        # Inside every state domain and every constraint (a simplex model reduced to n - 1
        # coordinates has x_1 + ... + x_{n-1} <= 1: a start beyond it follows the flow off the
        # simplex, where rock-paper-scissors has a spurious "cycle" at x_2 = 10).
        if not all(d.contains(float(x)) for d, x in zip(domains, v, strict=True)):
            return False
        if not plan.model.constraints:
            return True
        return bool(domain_ok(plan.model, v[None, :], point_params[None, :])[0])

    eqs = [X[point, e] for e in np.flatnonzero(exists[point])]
    out: list[FloatArray] = []
    for k in range(starts if eqs else 0):
        base = eqs[k % len(eqs)]
        u = rng.standard_normal(base.shape)
        delta = (
            1e-2 * (1.0 + float(np.max(np.abs(base)))) * u / max(float(np.linalg.norm(u)), 1e-300)
        )
        for cand in (base + delta, base - delta, base + np.abs(delta), base - np.abs(delta)):
            if inside(cand):
                out.append(cand)
                break
    if not out:
        out = [p for p in plan.probes if inside(p)][:starts]
    return out


def cycle_probe(
    plan: SweepPlan,
    values: FloatArray,
    candidates: np.ndarray,
    X: FloatArray,
    exists: np.ndarray,
    eig: np.ndarray,
    *,
    max_probes: int,
    starts: int,
    horizon: float | None,
    seed: int,
) -> tuple[FloatArray, str]:
    """Simulate from a few starts at each candidate point; the period of a cycle one of them
    settles on (NaN where none does), and a note counting every outcome.

    A point with no stable equilibrium whose bounded trajectory returns to itself, period
    after period (:func:`~.cycles.detect_cycle` on the second half), with a size well above the
    integration tolerance, return points that do not drift and a speed bounded away from 0
    (see `_not_a_periodic_orbit`), has an attracting cycle. Nothing is inferred where a probe
    diverges, fails, does not settle, or only looks periodic (a heteroclinic cycle, integration
    noise next to an equilibrium): the point stays ``"none stable"``.
    """
    from .cycles import detect_cycle
    from .simulate import Trajectory, simulate

    model = plan.model
    period = np.full(values.shape[0], np.nan)
    chosen = candidates
    if candidates.size > max_probes:
        # Evenly spread over the candidates, so that a bound does not cut the map at one side.
        chosen = candidates[
            np.unique(np.linspace(0, candidates.size - 1, max_probes).round().astype(int))
        ]
    tally = {
        "cycle": 0,
        "diverged": 0,
        "failed": 0,
        "no cycle": 0,
        "noise": 0,
        "unbounded": 0,
        "outside": 0,
    }
    names = model.parameter_names
    # An ensemble steps at the pace of its stiffest member and runs as long as its slowest
    # rotation needs: batch points of like rotation and like spectral radius together.
    with np.errstate(invalid="ignore"):
        omega = np.nanmax(np.abs(np.imag(eig[chosen])), axis=(1, 2), initial=0.0)
        radius = np.nanmax(np.abs(eig[chosen]), axis=(1, 2), initial=0.0)
    chosen = chosen[np.lexsort((radius, np.round(np.log2(np.maximum(omega, 1e-12)))))]
    for lo in range(0, chosen.size, PROBE_BATCH):
        batch = chosen[lo : lo + PROBE_BATCH]
        members: list[int] = []
        x0: list[FloatArray] = []
        for point in batch:
            # One generator per point (seeded by its index): the probe of a point does not
            # depend on the batching or on the other points.
            rng = np.random.default_rng([seed, int(point)])
            row = param_rows(plan, values[int(point)][None, :])[0]
            for start in _probe_starts(plan, X, exists, int(point), starts, rng, row):
                members.append(int(point))
                x0.append(start)
        if not members:
            tally["failed"] += batch.size
            continue
        P = param_rows(plan, values[members])
        span = horizon
        if span is None:
            # 12 turns of the slowest linear rotation among the batch's points (each point's
            # fastest rotation, max |Im lambda| over its equilibria); 200 without rotation.
            with np.errstate(invalid="ignore"):
                omega = np.nanmax(np.abs(np.imag(eig[batch])), axis=(1, 2), initial=0.0)
            turning = omega[omega > 1e-9]
            span = 200.0 if not turning.size else 12 * 2 * math.pi / float(turning.min())
            span = min(max(span, 30.0), 1000.0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                tr = simulate(
                    model,
                    x0=np.array(x0),
                    t=(0.0, span),
                    params={name: P[:, j] for j, name in enumerate(names)},
                    t_eval=np.linspace(0.5 * span, span, 801),
                    rtol=PROBE_RTOL,
                    atol=PROBE_ATOL,
                    raise_on_failure=False,
                )
        except Exception:  # a probe that cannot run classifies nothing: counted as failed
            tally["failed"] += batch.size
            continue
        found: dict[int, float] = {}
        bad: dict[int, str] = {}
        for k, point in enumerate(members):
            if tr.status == -1:
                bad.setdefault(point, "failed")
                continue
            if bool(np.asarray(tr.diverged).reshape(-1)[k]):
                bad.setdefault(point, "diverged")
                continue
            one = Trajectory(t=tr.t, x=tr.x[k], state_names=tr.state_names)
            cyc = detect_cycle(one)
            if cyc is None or point in found:
                continue
            refused = _not_a_periodic_orbit(plan, one, cyc.loops, P[k])
            if refused is None:
                found[point] = cyc.period
            else:
                bad.setdefault(point, refused)
        for point in batch:
            p = int(point)
            if p in found:
                period[p] = found[p]
                tally["cycle"] += 1
            else:
                tally[bad.get(p, "no cycle")] += 1
    skipped = candidates.size - chosen.size
    note = (
        f"cycle probe: {candidates.size} points with no stable equilibrium, {chosen.size} "
        f"simulated: {tally['cycle']} settle on a cycle (class `stable cycle`), "
        f"{tally['no cycle']} do not settle on one, {tally['diverged']} diverge, "
        f"{tally['failed']} could not be simulated"
        + (
            f", {tally['unbounded']} repeat with a drift or slow down next to an equilibrium "
            "(no bounded period: a heteroclinic cycle or a slow spiral, not counted as a cycle)"
            if tally["unbounded"]
            else ""
        )
        + (
            f", {tally['noise']} oscillate only within the integration tolerance (an "
            "equilibrium, not a cycle)"
            if tally["noise"]
            else ""
        )
        + (f", {tally['outside']} leave the state domain" if tally["outside"] else "")
        + (f"; {skipped} not probed (past `max_probes` = {max_probes})" if skipped else "")
        + "; all but the cycles stay `none stable`"
    )
    return period, note


def _not_a_periodic_orbit(
    plan: SweepPlan, trajectory: Any, loops: int, params: FloatArray
) -> str | None:
    """Why a trajectory that :func:`~.cycles.detect_cycle` found periodic (with `loops`
    section crossings per period) is not an attracting periodic orbit, or None when it is one.

    Returns ``"noise"`` (its size is within NOISE_FACTOR of the integration tolerance),
    ``"outside"`` (it leaves the state domains or constraints), or ``"unbounded"`` (its return
    points drift or it slows down next to an equilibrium: a heteroclinic cycle, whose period
    grows without bound; see DRIFT_TOL and SPEED_TOL for the measured figures).

    References
    ----------
    .. [1] J. Hofbauer and K. Sigmund, *Evolutionary Games and Population Dynamics*, Cambridge
       University Press, 1998, section 7.7 (the heteroclinic cycle of rock-paper-scissors).
    """
    from .compile import compile_model

    model = plan.model
    x = np.asarray(trajectory.x, dtype=float)
    t = np.asarray(trajectory.t, dtype=float)
    tail_t, tail_x = t[len(t) // 2 :], x[len(x) // 2 :]
    spread = tail_x.max(axis=0) - tail_x.min(axis=0)
    size = float(np.max(spread))
    if size <= NOISE_FACTOR * (PROBE_ATOL + PROBE_RTOL * float(np.max(np.abs(tail_x)))):
        return "noise"
    P = np.broadcast_to(params, (tail_x.shape[0], params.shape[-1]))
    if not bool(domain_ok(model, tail_x, P).all()):
        return "outside"
    # Speed along the orbit: next to an equilibrium |f| -> 0 (a heteroclinic orbit lingers
    # ever longer at each saddle); a periodic orbit's speed is bounded away from 0.
    with np.errstate(all="ignore"):
        speed = np.linalg.norm(np.asarray(compile_model(model).rhs(tail_x, P)), axis=-1)
    median = float(np.median(speed))
    if not np.isfinite(speed).all() or float(speed.min()) < SPEED_TOL * median:
        return "unbounded"
    # Return points on the section detect_cycle uses (the mean of the most varying state,
    # crossed upwards), of the same phase (every `loops`-th crossing).
    i = int(np.argmax(spread))
    s = tail_x[:, i] - float(np.mean(tail_x[:, i]))
    up = np.nonzero((s[:-1] < 0) & (s[1:] >= 0))[0]
    frac = -s[up] / (s[up + 1] - s[up])
    points = tail_x[up] + frac[:, None] * (tail_x[up + 1] - tail_x[up])
    times = tail_t[up] + frac * (tail_t[up + 1] - tail_t[up])
    same = points[len(points) - 1 :: -loops][::-1]
    if len(same) < 3:
        return None
    # A period that grows at every return, by steps that do not shrink, is unbounded (near a
    # heteroclinic cycle each passage by a saddle takes longer: rock-paper-scissors with
    # win = 0.999, loss = 1 returns after 33.49, 33.58, 33.65, ..., 33.94); an orbit settling
    # onto a cycle changes its period by geometrically shrinking steps.
    periods = np.diff(times[len(times) - 1 :: -loops][::-1])
    growth = np.diff(periods)
    if (
        growth.size >= 2
        and bool(np.all(growth > 0))
        and growth[-1] >= 0.5 * growth[0]
        and periods[-1] - periods[0] > DRIFT_TOL * periods[-1]
    ):
        return "unbounded"
    # A drift that adds up turn after turn (a spiral) is no periodic orbit; one that shrinks
    # geometrically is an orbit converging onto an attracting cycle.
    drift = float(np.linalg.norm(same[-1] - same[0])) / size
    steps = np.linalg.norm(np.diff(same, axis=0), axis=-1) / size
    shrinking = steps[-1] <= 0.5 * steps[0] and drift <= 10 * DRIFT_TOL
    if drift > DRIFT_TOL and not shrinking:
        return "unbounded"
    return None
