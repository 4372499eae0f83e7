"""The cycle probe of a sweep: points with no stable equilibrium simulated for a stable cycle.

Internal to :func:`~.sweep.sweep` (see its `cycles` option).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .sweep_plan import SweepPlan, param_rows

__all__ = ["PROBE_BATCH"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Points per ensemble of probe simulations (neighbours in grid order share step sizes).
PROBE_BATCH = 64


def _probe_starts(
    plan: SweepPlan,
    X: FloatArray,
    exists: np.ndarray,
    point: int,
    starts: int,
    rng: np.random.Generator,
) -> list[FloatArray]:
    """Starts of a point's probe: its equilibria moved by 1% (relative to 1 + their size) in a
    random direction, inside the state domains; the plan's probe states when it has none."""
    domains = plan.model.state_domains

    def inside(v: FloatArray) -> bool:
        return all(d.contains(float(x)) for d, x in zip(domains, v, strict=True))

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
    after period (:func:`~.cycles.detect_cycle` on the second half), has an attracting cycle.
    Nothing is inferred where a probe diverges, fails or does not settle: the point stays
    ``"none stable"``.
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
    tally = {"cycle": 0, "diverged": 0, "failed": 0, "no cycle": 0}
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
            for start in _probe_starts(plan, X, exists, int(point), starts, rng):
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
                    rtol=1e-5,
                    atol=1e-8,
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
            if cyc is not None and point not in found:
                found[point] = cyc.period
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
        + (f"; {skipped} not probed (past `max_probes` = {max_probes})" if skipped else "")
        + "; all but the cycles stay `none stable`"
    )
    return period, note
