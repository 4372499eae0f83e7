"""Requests that would exhaust memory or time are refused up front, with the estimate.

A numerical entry point computes what a request needs before it starts: the bytes of the arrays
it will allocate, and the number of elementary steps it will take (map iterations times
members, Euler-Maruyama steps times members, starting points, ...). Above the limits below it
raises :class:`~incentive_geometry.errors.ModelError` with the estimate and how to make the
request smaller, instead of ending in a ``MemoryError`` or running for hours.

==========================  ==================================================================
memory                      half the machine's physical memory, or the bytes in the
                            environment variable ``INCENTIVE_GEOMETRY_MAX_MEMORY`` (suffixes
                            K, M, G, T accepted, e.g. ``64G``)
steps                       10^9 elementary steps per call (about 10 s to minutes of NumPy),
                            or ``INCENTIVE_GEOMETRY_MAX_STEPS``
==========================  ==================================================================

Examples
--------
>>> check_memory(8 * 10**3, what="a small array", fix="nothing")
>>> try:
...     check_memory(10**18, what="simulate: 10^9 members x 201 times x 1 state", fix="simulate fewer members")
... except Exception as exc:
...     print(str(exc).split(",")[0])
simulate: 10^9 members x 201 times x 1 state needs 1000000.0 TB of memory
"""

from __future__ import annotations

import os

from incentive_geometry.errors import ModelError

__all__ = [
    "MAX_STEPS",
    "check_memory",
    "check_steps",
    "format_bytes",
    "memory_limit",
    "step_limit",
]

#: Default largest number of elementary steps of one call.
MAX_STEPS = 10**9
_SUFFIX = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def format_bytes(n: float) -> str:
    """Bytes in a readable unit (decimal, as in the messages).

    Parameters
    ----------
    n : float

    Returns
    -------
    str

    Examples
    --------
    >>> format_bytes(3.2e9), format_bytes(512)
    ('3.2 GB', '512 B')
    """
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def _env_number(name: str) -> float | None:
    raw = os.environ.get(name, "").strip().upper()
    if not raw:
        return None
    unit = raw[-1] if raw[-1] in _SUFFIX and not raw[-1].isdigit() else ""
    digits = raw[: len(raw) - len(unit)] if unit else raw
    try:
        value = float(digits) * _SUFFIX[unit]
    except ValueError:
        raise ModelError(
            f"environment variable {name} = {os.environ[name]!r} is not a number (e.g. 64G)"
        ) from None
    if not value > 0:
        raise ModelError(f"environment variable {name} = {os.environ[name]!r} must be positive")
    return value


def memory_limit() -> float:
    """The largest allocation a call may request, in bytes.

    Returns
    -------
    float

    Examples
    --------
    >>> memory_limit() > 2**20
    True
    """
    env = _env_number("INCENTIVE_GEOMETRY_MAX_MEMORY")
    if env is not None:
        return env
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        physical = 8 * 2**30
    return 0.5 * float(physical)


def step_limit() -> float:
    """The largest number of elementary steps of one call.

    Returns
    -------
    float

    Examples
    --------
    >>> step_limit() >= 1e6
    True
    """
    env = _env_number("INCENTIVE_GEOMETRY_MAX_STEPS")
    return env if env is not None else float(MAX_STEPS)


def check_memory(need: float, *, what: str, fix: str) -> None:
    """Refuse a request that needs more than :func:`memory_limit` bytes.

    Parameters
    ----------
    need : float
        Estimated bytes.
    what : str
        The request, in words (``"simulate: 10^6 members x 201 times x 2 states"``).
    fix : str
        How to make it smaller.

    Raises
    ------
    ModelError

    Examples
    --------
    >>> check_memory(1e3, what="x", fix="y")
    """
    limit = memory_limit()
    if need > limit:
        raise ModelError(
            f"{what} needs {format_bytes(need)} of memory, above the limit of "
            f"{format_bytes(limit)} (half the machine's memory, or "
            f"INCENTIVE_GEOMETRY_MAX_MEMORY); {fix}"
        )


def check_steps(steps: float, *, what: str, fix: str, rate: float = 2e7) -> None:
    """Refuse a request of more than :func:`step_limit` elementary steps.

    Parameters
    ----------
    steps : float
        Estimated elementary steps.
    what, fix : str
        The request and how to make it smaller.
    rate : float
        Steps per second, for the time estimate in the message.

    Raises
    ------
    ModelError

    Examples
    --------
    >>> try:
    ...     check_steps(1e12, what="a map over 10^12 steps", fix="iterate fewer steps")
    ... except Exception as exc:
    ...     print(str(exc).split(",")[0])
    a map over 10^12 steps takes 1e+12 steps (about 14 hours at 2e+07 steps/s)
    """
    limit = step_limit()
    if steps > limit:
        seconds = steps / rate
        span = (
            f"{seconds / 86400:.0f} days" if seconds > 2 * 86400
            else f"{seconds / 3600:.0f} hours" if seconds > 7200
            else f"{seconds / 60:.0f} minutes" if seconds > 120
            else f"{seconds:.0f} s"
        )
        raise ModelError(
            f"{what} takes {steps:.3g} steps (about {span} at {rate:.0e} steps/s), above the "
            f"limit of {limit:.3g} (INCENTIVE_GEOMETRY_MAX_STEPS); {fix}"
        )
