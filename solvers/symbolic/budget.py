"""Time budgets for symbolic work that hold: a deadline, and a process that can be stopped.

Every entry point of :mod:`incentive_geometry.solvers.symbolic` takes ``timeout=`` (seconds).
Two mechanisms make the promise hold:

* **A cooperative deadline** (:class:`Budget`). The work is split into steps (one case of a
  case split, one block of a Jacobian, ...) and :meth:`Budget.check` is called between them;
  past the deadline it raises :class:`~incentive_geometry.errors.SymbolicTimeout`, and an entry
  point that offers partial results catches it and returns what it has, flagged incomplete.
* **A process that can be stopped** (:func:`run_bounded`). A single sympy call (``expand``,
  ``factor``, a dense symbolic determinant) cannot be interrupted in-process and may run for an
  hour, so with a ``timeout`` the work runs in a forked child process. The child has the same
  deadline, so its cooperative checks fire first and a partial result is built cleanly inside
  it; it reports each new step name to the parent, and :meth:`Budget.offer` hands the parent a
  snapshot of the work finished so far. The parent waits until the deadline plus
  :data:`MARGIN`; then it stops the child (SIGTERM, then SIGKILL after :data:`KILL_GRACE`) and
  either builds a partial result from the last snapshot or raises ``SymbolicTimeout`` naming
  the computation, the budget, the last step reached and the numerical route.

The promise: a call with ``timeout=T`` returns or raises within ``T + MARGIN + KILL_GRACE``
seconds (0.75 s over), plus the time to unpickle the answer, however long one sympy call would
take: within the timeout plus one second. (``partial_result`` runs in the parent after that, so
it must be cheap: it assembles a snapshot, it does not compute.)

Where the ``fork`` start method is not available (Windows) or the caller is itself a daemonic
process (a :mod:`multiprocessing` pool worker cannot have children), the work runs in-process
with the cooperative budget only, and a single long sympy call can overrun the budget by its own
length. Inside a child, a nested :func:`run_bounded` (``bifurcations`` calling ``equilibria``)
does not fork again: it runs in-process with its budget capped at what remains of the outer
deadline, and the outer parent stops everything at the outer deadline. An attempt that must be
stoppable on its own inside a child (a closed form abandoned for a numerical value) passes
``isolate=True`` and runs in a grandchild, stopped before the outer deadline.

The child runs in its own process group, so that stopping it also stops anything it started,
and a watchdog thread in it exits if its parent disappears (a killed kernel) or the deadline is
long past, so that no child outlives its call.

Cost: the fork, the child's start, pickling the answer back and reaping the child. Measured on
the development machine (Linux, 2 CPUs, Python 3.11, sympy and the package imported, a trivial
function, median of 200 calls): ``timeout=None`` 0.003 ms; ``timeout=10`` 7 ms when the machine
is otherwise idle, 15-35 ms when it is busy (load 2.5-4.6), about half of it the child's
scheduling and exit. The parent's memory size (95-105 MB here) hardly matters (copy-on-write).
Results and snapshots must pickle (sympy expressions, :class:`Model` and the result classes do).

Examples
--------
>>> from incentive_geometry.solvers.symbolic.budget import Budget, run_bounded
>>> b = Budget(None, what="equilibria")
>>> b.expired()
False
>>> def work(n, *, budget):
...     budget.check("summing")
...     return sum(range(n))
>>> run_bounded(work, 10, timeout=5, what="a sum")
45
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import math
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sympy

from incentive_geometry.errors import IncentiveGeometryError, ModelError, SymbolicTimeout

__all__ = [
    "KILL_GRACE",
    "MARGIN",
    "NUMERIC_ROUTE",
    "Budget",
    "fork_available",
    "last_step",
    "map_forked",
    "run_bounded",
    "symbolic_workers",
]

T = TypeVar("T")

#: Seconds the parent waits past the deadline for the child's own (cooperative) answer.
MARGIN = 0.5

#: Seconds between SIGTERM and SIGKILL when the child is stopped.
KILL_GRACE = 0.25

#: What a timeout message suggests.
NUMERIC_ROUTE = (
    "pass a larger `timeout=` (or `partial=True` where offered), or take the numerical route at "
    "given parameter values: `ig.find_equilibria` (equilibria and their stability), "
    "`ig.continuation` (bifurcations along one parameter), `ig.sweep` (a stability map)"
)


class _Link:
    """The child's end of the pipe to the parent (set only inside a bounded child process)."""

    def __init__(self, conn: multiprocessing.connection.Connection) -> None:
        self.conn = conn
        self.pid = os.getpid()
        self.step = ""

    def active(self) -> bool:
        # A process forked by the work itself (a pool inside the child) must not talk to the
        # parent on this pipe.
        return os.getpid() == self.pid

    def send_step(self, step: str) -> None:
        if step != self.step and self.active():
            self.step = step
            _send(self.conn, ("step", step))


_LINK: _Link | None = None

# Exactly these classes (not subclasses, which may take other arguments) unpickle unevaluated.
_UNEVALUATED_TYPES = frozenset(
    {
        sympy.Add,
        sympy.Mul,
        sympy.Pow,
        sympy.Eq,
        sympy.Ne,
        sympy.Ge,
        sympy.Gt,
        sympy.Le,
        sympy.Lt,
        sympy.And,
        sympy.Or,
        sympy.Not,
    }
)


class _Pickler(pickle.Pickler):
    """Pickles sympy's sums, products, powers and conditions so that they unpickle unevaluated.

    sympy rebuilds an unpickled object by calling its class on its arguments, which evaluates
    it again: for a relation over a large expression that is a sign query, for a sum a new
    flattening. The object was evaluated when it was built, so the parent rebuilds it with
    ``evaluate=False`` (the same arguments, an equal object) at a fraction of the cost.
    """

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in _UNEVALUATED_TYPES:
            return (_unevaluated, (type(obj), obj.args))
        return NotImplemented


def _unevaluated(cls: Any, args: tuple[Any, ...]) -> Any:
    """``cls(*args)`` without evaluation (see :class:`_Pickler`)."""
    return cls(*args, evaluate=False)


def _send(conn: multiprocessing.connection.Connection, message: Any) -> None:
    """Send `message` through :class:`_Pickler`; the parent reads it with ``pickle.loads``."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(message)
    conn.send_bytes(buffer.getbuffer())



# The step most recently passed to any Budget.check in this process (for messages).
_LAST_STEP = ""

# The budget of the innermost run_bounded call in progress (this thread, this process).
_ACTIVE: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "incentive_geometry_budget", default=None
)


@dataclass
class Budget:
    """A wall-clock deadline for one symbolic computation.

    Parameters
    ----------
    timeout : float or None
        Seconds allowed; ``None`` means no limit.
    what : str
        The computation, for messages (e.g. ``"equilibria of `lorenz`"``).
    start : float, optional
        The :func:`time.perf_counter` reading the budget starts from (default: now).
    hint : str, optional
        What a timeout message suggests (default: :data:`NUMERIC_ROUTE`).

    Attributes
    ----------
    step : str
        The step last passed to :meth:`check`.
    offered : object
        The snapshot last passed to :meth:`offer` (``None`` before the first).

    Raises
    ------
    ModelError
        When `timeout` is not a positive finite number or None.

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.budget import Budget
    >>> b = Budget(1e-9, what="a test", hint="pass a larger `timeout=`")
    >>> import time; time.sleep(0.001)
    >>> b.check("step one")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.SymbolicTimeout: a test: past the time budget of 1e-09 s at step one; pass a larger `timeout=`
    """

    timeout: float | None
    what: str = "symbolic computation"
    start: float = field(default_factory=time.perf_counter)
    hint: str = NUMERIC_ROUTE
    step: str = field(default="", init=False)
    offered: Any = field(default=None, init=False, repr=False)
    # Whether offers go to the parent process (only the budget run_bounded gave the child).
    _sends_offers: bool = field(default=False, init=False, repr=False, compare=False)

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

    def remaining(self) -> float | None:
        """Seconds left before the deadline (negative past it), ``None`` without a limit.

        Returns
        -------
        float or None

        Examples
        --------
        >>> from incentive_geometry.solvers.symbolic.budget import Budget
        >>> 0 < Budget(60.0).remaining() <= 60
        True
        >>> Budget(None).remaining() is None
        True
        """
        return None if self.timeout is None else self.timeout - self.elapsed()

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
        """Record that `step` starts; raise :class:`SymbolicTimeout` past the deadline.

        Inside a bounded child process the step name also goes to the parent (only when it
        changes), so that a timeout message can say where the work was.

        Parameters
        ----------
        step : str
            The step about to start (so that "last step reached" names the work that was
            running when time ran out), for the message.

        Raises
        ------
        SymbolicTimeout
            Past the deadline.

        Examples
        --------
        >>> from incentive_geometry.solvers.symbolic.budget import Budget
        >>> b = Budget(None)
        >>> b.check("anything") is None, b.step
        (True, 'anything')
        """
        global _LAST_STEP
        if step:
            self.step = step
            _LAST_STEP = step if self._sends_offers else f"{self.what}: {step}"
            if _LINK is not None:
                _LINK.send_step(_LAST_STEP)
        if self.expired():
            at = f" at {step}" if step else ""
            raise SymbolicTimeout(
                f"{self.what}: past the time budget of {self.timeout} s{at}; {self.hint}"
            )

    def offer(self, snapshot: Any) -> None:
        """Keep `snapshot` (the work finished so far) for a partial result if time runs out.

        In a bounded child process the snapshot is pickled and sent to the parent, which
        hands the last one to ``partial_result`` when it stops the child. Offer small,
        picklable snapshots at step boundaries (a tuple of the items found so far).

        Parameters
        ----------
        snapshot : object
            Any picklable value.

        Examples
        --------
        >>> from incentive_geometry.solvers.symbolic.budget import Budget
        >>> b = Budget(None)
        >>> b.offer(("x = 0",))
        >>> b.offered
        ('x = 0',)
        """
        self.offered = snapshot
        if self._sends_offers and _LINK is not None and _LINK.active():
            _send(_LINK.conn, ("offer", snapshot))

    def offer_more(self, items: tuple[Any, ...]) -> None:
        """Add `items` to the snapshot offered so far (a tuple), sending only what is new.

        For work that finds its results one by one: re-offering the whole growing tuple
        would pickle it again at every step (quadratic in the number of items).

        Parameters
        ----------
        items : tuple
            Picklable values to append to :attr:`offered`.

        Examples
        --------
        >>> from incentive_geometry.solvers.symbolic.budget import Budget
        >>> b = Budget(None)
        >>> b.offer_more(("x = 0",)); b.offer_more(("x = 1",))
        >>> b.offered
        ('x = 0', 'x = 1')
        """
        self.offered = (*(self.offered or ()), *items)
        if self._sends_offers and _LINK is not None and _LINK.active():
            _send(_LINK.conn, ("more", tuple(items)))


def last_step() -> str:
    """The step most recently started by any :meth:`Budget.check` in this process.

    A nested computation's step is prefixed with its name (``"equilibria of `m`: case x = 0"``).
    Useful after catching :class:`SymbolicTimeout` to say where the work stopped.

    Returns
    -------
    str
        Empty before any step.

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.budget import Budget, last_step
    >>> Budget(None, what="stability").check("the Jacobian")
    >>> last_step()
    'stability: the Jacobian'
    """
    return _LAST_STEP


def fork_available() -> bool:
    """Whether :func:`run_bounded` can run work in a child process that it can stop.

    False where the ``fork`` start method does not exist (Windows) and inside a daemonic
    process (a :mod:`multiprocessing` pool worker may not have children); there the budget is
    cooperative only.

    Returns
    -------
    bool

    Examples
    --------
    >>> import sys
    >>> from incentive_geometry.solvers.symbolic.budget import fork_available
    >>> fork_available() == (sys.platform != "win32")
    True
    """
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def run_bounded(
    fn: Callable[..., T],
    /,
    *args: Any,
    timeout: float | None,
    what: str,
    partial_result: Callable[[Any, str], T] | None = None,
    hint: str = NUMERIC_ROUTE,
    isolate: bool = False,
    **kwargs: Any,
) -> T:
    """Run ``fn(*args, budget=..., **kwargs)`` so that it ends within `timeout` (plus a margin).

    With ``timeout=None`` the call runs in-process with an unlimited :class:`Budget`. With a
    timeout it runs in a forked child process with a :class:`Budget` of the same deadline:
    its cooperative checks fire first, and if the child has not answered by the deadline plus
    :data:`MARGIN` it is stopped (SIGTERM, then SIGKILL). The answer, or the exception the
    child raised (same type, same message), is handed back by pickling. Ctrl-C in the parent
    stops the child. Called inside a child (a nested call), or where fork is not available
    (see :func:`fork_available`), the work runs in-process with the cooperative budget,
    capped at what remains of the enclosing deadline.

    Parameters
    ----------
    fn : callable
        The work; it takes the keyword argument ``budget`` (a :class:`Budget`), calls
        ``budget.check(step)`` between steps and may call ``budget.offer(snapshot)``.
    *args
        Positional arguments of `fn`.
    timeout : float or None
        Seconds allowed; ``None`` means no limit.
    what : str
        The computation, for messages (e.g. ``"bifurcations in `selkov`"``).
    partial_result : callable, optional
        ``partial_result(snapshot, step)`` builds the answer when time runs out, from the last
        snapshot offered (``None`` if none was) and the last step reached. It runs in the
        parent, past the deadline, so it must be cheap. Without it, running out of time raises
        :class:`SymbolicTimeout`.
    hint : str, optional
        What a timeout message suggests (default: :data:`NUMERIC_ROUTE`).
    isolate : bool
        Inside a bounded child, fork again anyway (a grandchild, its deadline capped at the
        outer one): for an attempt with its own, tighter deadline and a fallback, such as a
        closed form abandoned for a numerical value, which must be stoppable without losing
        the rest of the work.
    **kwargs
        Keyword arguments of `fn`.

    Returns
    -------
    object
        What `fn` returned, or what `partial_result` built.

    Raises
    ------
    SymbolicTimeout
        Out of time and no `partial_result`; the message names `what`, the budget, the last
        step reached and the numerical route.
    ModelError
        When `timeout` is not a positive number or None.
    IncentiveGeometryError
        When the child process died without answering (killed by the system, out of memory).
    Exception
        Whatever `fn` raised, with its type and message.

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.budget import run_bounded
    >>> def forever(*, budget):
    ...     budget.offer(["found x = 0"])
    ...     budget.check("the hard case")
    ...     while True:  # never checks again
    ...         pass
    >>> run_bounded(forever, timeout=0.2, what="a demo",
    ...             partial_result=lambda done, step: (done, step))
    (['found x = 0'], 'the hard case')
    >>> run_bounded(forever, timeout=0.2, what="a demo", hint="try `ig.sweep`")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.SymbolicTimeout: a demo: not finished within the time budget of 0.2 s (last step reached: the hard case); try `ig.sweep`
    """
    Budget(timeout, what)  # validates `timeout` before anything starts
    nested = _LINK is not None and _LINK.active()
    if timeout is None or (nested and not isolate) or not fork_available():
        return _run_here(fn, args, kwargs, timeout, what, partial_result, hint)
    outer = _ACTIVE.get()
    left = None if outer is None else outer.remaining()
    if left is not None:
        # A grandchild is stopped before its parent's deadline, so that the parent still has
        # its margin to use the fallback and answer.
        timeout = min(timeout, max(left - MARGIN - KILL_GRACE, 1e-9))
    return _run_child(fn, args, kwargs, timeout, what, partial_result, hint, nested)


def _run_here(
    fn: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    timeout: float | None,
    what: str,
    partial_result: Callable[[Any, str], T] | None,
    hint: str,
) -> T:
    """In-process, with the cooperative budget capped at the enclosing deadline."""
    outer = _ACTIVE.get()
    left = None if outer is None else outer.remaining()
    if left is not None:
        left = max(left, 1e-9)  # past the outer deadline: the first check raises
        timeout = left if timeout is None else min(timeout, left)
    budget = Budget(timeout, what, hint=hint)
    token = _ACTIVE.set(budget)
    try:
        return fn(*args, budget=budget, **kwargs)
    except SymbolicTimeout:
        if partial_result is None:
            raise
        return partial_result(budget.offered, budget.step)
    finally:
        _ACTIVE.reset(token)


class _RemoteTraceback(Exception):
    """The child's traceback, chained as the cause of an exception re-raised in the parent."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f"\n(in the worker process)\n{self.text}"


_WATCHDOG = "incentive_geometry budget watchdog"


def _watchdog(parent: int, end: float) -> None:
    """Exit the child when its parent is gone or long past the deadline (a lost child)."""
    while os.getppid() == parent and time.perf_counter() < end:
        time.sleep(0.1)
    os._exit(1)


def _child_main(
    conn: multiprocessing.connection.Connection,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    budget: Budget,
    nested: bool,
) -> None:
    """The child: run `fn`, send ("result", value) or ("error", record), exit."""
    global _LINK
    # The parent decides about Ctrl-C (it stops the child); SIGTERM must stop the child at
    # once, whatever handler the parent had installed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if not nested:
        # Its own process group, so that stopping it stops whatever it started too.
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
    assert budget.timeout is not None
    end = budget.start + budget.timeout + MARGIN + 4 * KILL_GRACE
    threading.Thread(
        target=_watchdog, args=(os.getppid(), end), daemon=True, name=_WATCHDOG
    ).start()
    _LINK = _Link(conn)
    budget._sends_offers = True
    _ACTIVE.set(budget)
    try:
        message: tuple[str, Any] = ("result", fn(*args, budget=budget, **kwargs))
    except BaseException as exc:  # every failure goes back to the parent, re-raised there
        message = ("error", _exception_record(exc))
    try:
        _send(conn, message)
    except Exception as exc:  # the answer does not pickle: say so instead
        text = f"{budget.what}: the answer could not be sent back ({type(exc).__name__}: {exc})"
        tb = "".join(traceback.format_exception(exc))
        _send(conn, ("error", (IncentiveGeometryError, (text,), {}, tb)))
    conn.close()
    # Exit at once: the answer is sent, and multiprocessing's own teardown (finalizers, joins)
    # would only delay the parent's reaping of this process.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _exception_record(exc: BaseException) -> tuple[Any, ...]:
    """(type, args, attributes, traceback text) of `exc`, picklable; a stand-in if not."""
    tb = "".join(traceback.format_exception(exc))
    record = (type(exc), exc.args, dict(getattr(exc, "__dict__", {})), tb)
    try:
        pickle.loads(pickle.dumps(record))
    except Exception:
        text = f"the worker process failed: {type(exc).__name__}: {exc}"
        record = (IncentiveGeometryError, (text,), {}, tb)
    return record


def _rebuild(record: tuple[Any, ...]) -> BaseException:
    """The exception of a record: same type, same args and attributes (message and fields)."""
    cls, args, state, tb = record
    try:
        # Not cls(*args): a constructor may take other arguments than its args (ModelError's
        # keyword-only `context` is folded into the message); set the state directly.
        exc = cls.__new__(cls, *args)
        exc.args = args
        exc.__dict__.update(state)
    except Exception:
        exc = IncentiveGeometryError(f"the worker process failed: {cls.__name__}: {args}")
    exc.__cause__ = _RemoteTraceback(tb)
    exc.__suppress_context__ = True
    return exc


def _signal(proc: Any, group: bool, sig: int) -> None:
    """Send `sig` to the child's process group (what it started too), or to the child."""
    try:
        if group:
            os.killpg(proc.pid, sig)
            return
    except OSError:  # the group is not set up (yet) or gone
        pass
    with contextlib.suppress(OSError):
        os.kill(proc.pid, sig)


def _stop(proc: Any, group: bool) -> None:
    """Stop the child if it still runs (SIGTERM, then SIGKILL) and reap it."""
    if proc.pid is None:  # never started
        return
    if proc.is_alive():
        _signal(proc, group, signal.SIGTERM)
        proc.join(KILL_GRACE)
        if proc.is_alive():
            _signal(proc, group, signal.SIGKILL)
    proc.join()


def _run_child(
    fn: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    timeout: float,
    what: str,
    partial_result: Callable[[Any, str], T] | None,
    hint: str,
    nested: bool,
) -> T:
    """In a forked child, waited for until the deadline plus MARGIN."""
    ctx = multiprocessing.get_context("fork")
    budget = Budget(timeout, what, hint=hint)
    stop_at = budget.start + timeout + MARGIN
    receive, send = ctx.Pipe(duplex=False)
    # Not a daemon: a daemonic process may not fork a grandchild (`isolate`); the finally
    # clause below and the child's watchdog make sure that it never outlives its call.
    proc = ctx.Process(
        target=_child_main,
        args=(send, fn, args, kwargs, budget, nested),
        daemon=False,
        name=what[:60],
    )
    step, snapshot = "", None
    group = not nested
    try:
        proc.start()
        if group and proc.pid is not None:  # set from both sides: the group exists at once
            with contextlib.suppress(OSError):
                os.setpgid(proc.pid, proc.pid)
        send.close()
        while True:
            left = stop_at - time.perf_counter()
            if left <= 0 or not receive.poll(left):
                break
            try:
                kind, payload = pickle.loads(receive.recv_bytes())
            except EOFError:
                proc.join(KILL_GRACE)
                where = f" at {step}" if step else ""
                raise IncentiveGeometryError(
                    f"{what}: the worker process ended without an answer (exit code "
                    f"{proc.exitcode}){where}; it may have run out of memory; {hint}"
                ) from None
            if kind == "step":
                step = payload
                if nested and _LINK is not None:  # a grandchild's step, passed up
                    _LINK.send_step(f"{what}: {step}")
            elif kind == "offer":
                snapshot = payload
            elif kind == "more":
                snapshot = (*(snapshot or ()), *payload)
            elif kind == "result":
                return payload
            else:
                exc = _rebuild(payload)
                if isinstance(exc, SymbolicTimeout) and partial_result is not None:
                    return partial_result(snapshot, step)
                raise exc
    finally:
        _stop(proc, group)
        receive.close()
    if partial_result is not None:
        return partial_result(snapshot, step)
    where = f"last step reached: {step}" if step else "stopped before its first step"
    raise SymbolicTimeout(
        f"{what}: not finished within the time budget of {timeout:g} s ({where}); {hint}"
    )


#: Environment variable: how many processes :func:`map_forked` may use (default: up to 2, the
#: cores this process may run on); ``1`` keeps every symbolic step in one process.
WORKERS_ENV = "INCENTIVE_GEOMETRY_SYMBOLIC_WORKERS"


def symbolic_workers() -> int:
    """How many processes :func:`map_forked` uses: ``$INCENTIVE_GEOMETRY_SYMBOLIC_WORKERS``,
    else the cores this process may run on, at most 2.

    Returns
    -------
    int

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.budget import symbolic_workers
    >>> symbolic_workers() >= 1
    True
    """
    text = os.environ.get(WORKERS_ENV, "").strip()
    if text:
        try:
            return max(1, int(text))
        except ValueError:
            raise ModelError(
                f"${WORKERS_ENV} = {text!r} must be a positive integer (1: no extra processes)"
            ) from None
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


def _can_fork_workers() -> bool:
    """Fork only a process whose only other threads are budget watchdogs: a thread holding a
    lock at the fork would leave that lock held forever in the child."""
    if not fork_available():
        return False
    return all(t is threading.main_thread() or t.name == _WATCHDOG for t in threading.enumerate())


def _map_child(
    conn: multiprocessing.connection.Connection,
    fn: Callable[[Any], Any],
    items: list[Any],
    claim: Callable[[], int],
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    done: list[tuple[int, Any]] = []
    try:
        while (k := claim()) < len(items):
            done.append((k, fn(items[k])))
        message: tuple[str, Any] = ("result", done)
    except BaseException as exc:  # re-raised in the parent
        message = ("error", _exception_record(exc))
    try:
        _send(conn, message)
    except Exception as exc:
        tb = "".join(traceback.format_exception(exc))
        _send(conn, ("error", (IncentiveGeometryError,
                               (f"a worker's results could not be sent back ({exc})",), {}, tb)))
    conn.close()
    os._exit(0)


def map_forked(
    fn: Callable[[Any], T], items: list[Any], *, workers: int | None = None, min_items: int = 4
) -> list[T]:
    """``[fn(item) for item in items]``, the later part of the list in forked processes.

    This process and children forked now (so `fn` may be any callable, closures too) each take
    the next item when done with one, so items of unequal cost balance out; the children's
    results come back through a pipe, pickled light (as :func:`run_bounded`'s answers). The result keeps the
    order of `items`, so it equals the serial one. A budget in force (``budget.check`` inside
    `fn`) holds in the children too: they inherit its deadline, and a child's
    :class:`SymbolicTimeout` (or any other exception) is raised here. If this process stops
    first (its own timeout, an error, Ctrl-C), the children are stopped. Serial when there are
    fewer than `min_items` items, one worker, no ``fork``, or other threads running.

    Parameters
    ----------
    fn : callable
        One argument; it should call ``budget.check`` between long steps.
    items : list
    workers : int, optional
        Processes to use, this one included (default: :func:`symbolic_workers`).
    min_items : int
        Fewer items than this run serially (a fork costs a few milliseconds).

    Returns
    -------
    list

    Raises
    ------
    IncentiveGeometryError
        When a child died without answering (killed by the system, out of memory).
    Exception
        What `fn` raised, in whichever process.

    Examples
    --------
    >>> from incentive_geometry.solvers.symbolic.budget import map_forked
    >>> map_forked(lambda k: k * k, list(range(10)), workers=2)
    [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]
    """
    items = list(items)
    count = symbolic_workers() if workers is None else max(1, int(workers))
    count = min(count, len(items))
    if count < 2 or len(items) < min_items or not _can_fork_workers():
        return [fn(item) for item in items]
    ctx = multiprocessing.get_context("fork")
    # Each process takes the next item when it is done with one (a shared counter), so that
    # items of very different cost balance out; results are put back in the order of `items`.
    counter = ctx.Value("i", 0)

    def claim() -> int:
        with counter.get_lock():
            k = int(counter.value)
            counter.value = k + 1
        return k

    procs: list[tuple[Any, Any]] = []
    try:
        for _ in range(count - 1):
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_map_child, args=(send, fn, items, claim), daemon=False)
            proc.start()
            send.close()
            procs.append((proc, receive))
        results: dict[int, Any] = {}
        while (k := claim()) < len(items):
            results[k] = fn(items[k])
        budget = _ACTIVE.get()
        for proc, receive in procs:
            left = None
            if budget is not None and budget.remaining() is not None:
                left = max(float(budget.remaining() or 0.0), 0.0) + MARGIN
            if not receive.poll(left):
                if budget is not None:
                    budget.check("waiting for a worker process")
                raise SymbolicTimeout(f"{budget.what if budget else 'a worker'}: not finished "
                                      "within the time budget (waiting for a worker process)")
            try:
                kind, payload = pickle.loads(receive.recv_bytes())
            except EOFError:
                proc.join(KILL_GRACE)
                raise IncentiveGeometryError(
                    f"a symbolic worker process ended without an answer (exit code "
                    f"{proc.exitcode}); it may have run out of memory; set "
                    f"{WORKERS_ENV}=1 to keep the work in one process"
                ) from None
            if kind != "result":
                raise _rebuild(payload)
            results.update(payload)
        return [results[k] for k in range(len(items))]
    finally:
        for proc, receive in procs:
            _stop(proc, False)
            receive.close()
