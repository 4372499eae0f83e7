"""Time budgets for symbolic work: a deadline checked between steps.

Every entry point of :mod:`incentive_geometry.solvers.symbolic` takes ``timeout=`` (seconds).
The work is split into steps (one case of a case split, one block of a Jacobian, ...) and the
budget is checked between them; past the deadline a
:class:`~incentive_geometry.errors.SymbolicTimeout` is raised, or, when the caller asked for
partial results, the work stops and the result is flagged incomplete.

A single sympy call is not interrupted: the budget is honoured at the next check, so the
overrun is at most the length of one step.

Examples
--------
>>> from incentive_geometry.solvers.symbolic.budget import Budget
>>> b = Budget(None, what="equilibria")
>>> b.expired()
False
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from incentive_geometry.errors import ModelError, SymbolicTimeout

__all__ = ["Budget"]


@dataclass
class Budget:
    """A wall-clock deadline for one symbolic computation.

    Parameters
    ----------
    timeout : float or None
        Seconds allowed; ``None`` means no limit.
    what : str
        The computation, for messages (e.g. ``"equilibria of `lorenz`"``).

    Raises
    ------
    ModelError
        When `timeout` is not a positive finite number or None.

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.budget import Budget
    >>> b = Budget(1e-9, what="a test")
    >>> import time; time.sleep(0.001)
    >>> b.check("step one")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.SymbolicTimeout: a test: past the time budget of 1e-09 s at step one; pass a larger `timeout=` (or `partial=True` where offered)
    """

    timeout: float | None
    what: str = "symbolic computation"
    start: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        if self.timeout is not None:
            ok = isinstance(self.timeout, int | float) and not isinstance(self.timeout, bool)
            if not ok or not math.isfinite(self.timeout) or self.timeout <= 0:
                raise ModelError(
                    f"`timeout` must be a positive number of seconds or None, got "
                    f"{self.timeout!r} ({type(self.timeout).__name__})"
                )

    def elapsed(self) -> float:
        """Seconds since the budget started.

        Returns
        -------
        float

        Examples
        --------
        >>> from incentive_geometry.solvers.symbolic.budget import Budget
        >>> Budget(None).elapsed() >= 0
        True
        """
        return time.perf_counter() - self.start

    def expired(self) -> bool:
        """Whether the deadline has passed.

        Returns
        -------
        bool

        Examples
        --------
        >>> from incentive_geometry.solvers.symbolic.budget import Budget
        >>> Budget(60.0).expired()
        False
        """
        return self.timeout is not None and self.elapsed() > self.timeout

    def check(self, step: str = "") -> None:
        """Raise :class:`SymbolicTimeout` when the deadline has passed.

        Parameters
        ----------
        step : str
            What was being done, for the message.

        Raises
        ------
        SymbolicTimeout
            Past the deadline.

        Examples
        --------
        >>> from incentive_geometry.solvers.symbolic.budget import Budget
        >>> Budget(None).check("anything") is None
        True
        """
        if self.expired():
            at = f" at {step}" if step else ""
            raise SymbolicTimeout(
                f"{self.what}: past the time budget of {self.timeout} s{at}; pass a larger "
                "`timeout=` (or `partial=True` where offered)"
            )
