"""``incgeo derive MODEL``: equilibria, existence, stability, bifurcations and thresholds.

The whole command has one time budget (``--timeout``, default :data:`DEFAULT_TIMEOUT` s).
Equilibria get at most half of it, so that the points found are analysed; the rest is shared
among the equilibria: each gets an equal part of what remains when it starts (time one does not
use passes to the next). Each equilibrium is analysed in a child process that is stopped when
its share runs out (:func:`~incentive_geometry.solvers.symbolic.budget.run_bounded`), and its
results are printed as soon as they are ready. The shares keep the stopping margin of
``run_bounded`` in reserve, so the command ends within its budget (for budgets of a few seconds
and more), plus the interpreter's start-up. A part that did not finish is printed as such, with
the numerical command to try instead, and the command then exits with code 1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import click
import sympy

import incentive_geometry.display as display
from incentive_geometry.errors import SymbolicTimeout
from incentive_geometry.language import to_text
from incentive_geometry.model import Model

from ._common import parse_assignments, resolve_model

__all__ = ["DEFAULT_TIMEOUT", "derivation", "derive"]

#: Seconds the ``incgeo derive`` command allows itself by default (the whole command).
DEFAULT_TIMEOUT = 60.0

NOT_FINISHED = "not finished within the budget"
NOT_STARTED = "not started: the budget was used up"


@dataclass
class _Missing:
    """A part of the derivation that did not finish, and the command to try instead."""

    part: str
    reason: str
    step: str = ""
    hint: str = ""

    def record(self) -> dict[str, str]:
        return {"part": self.part, "reason": self.reason, "step": self.step, "try": self.hint}

    def text(self) -> str:
        at = f" (last step reached: {self.step})" if self.step else ""
        return f"{self.reason}{at}; try `{self.hint}`"


@dataclass
class _Found:
    """The outcome of the equilibria step: the set, or what stopped it."""

    equilibria: Any  # EquilibriumSet, or None when the step did not finish
    missing: _Missing | None = None


@dataclass
class _Analysis:
    """What is known of one equilibrium: each part, or why it is missing (picklable)."""

    equilibrium: Any
    stability: Any = None
    thresholds: dict[str, Any] = field(default_factory=dict)
    bifurcations: list[Any] | None = None
    missing: list[_Missing] = field(default_factory=list)
    region: Any = None  # where it exists and is stable, simplified (None: not simplified)


class _Routes:
    """The numerical commands suggested for the parts that did not finish."""

    def __init__(self, model: Model, source: str) -> None:
        self.model, self.source = model, source

    def parameter(self, stability: Any) -> str:
        names = self.model.parameter_names
        used = set() if stability is None else {str(s) for s in stability.condition.free_symbols}
        return next((p for p in names if p in used), names[0] if names else "PARAM")

    def continuation(self, stability: Any = None) -> str:
        return f"incgeo continue {self.source} {self.parameter(stability)}"

    def sweep(self, stability: Any = None) -> str:
        return f"incgeo sweep {self.source} --grid {self.parameter(stability)}=LO:HI:101"


def _left(budget: Any) -> float | None:
    """Seconds left for a call (at least a moment, so that a call can start and stop)."""
    left = budget.remaining()
    return None if left is None else max(left, 1e-3)


def _find(model: Model, *, budget: Any) -> Any:
    from incentive_geometry.solvers.symbolic import equilibria

    budget.check("equilibria")
    return equilibria(model, timeout=_left(budget), partial=True)


def _analyse(model: Model, eq: Any, routes: _Routes, *, budget: Any) -> _Analysis:
    """Stability, then thresholds, then bifurcations (the usual longest) of `eq`."""
    from incentive_geometry.solvers.symbolic import bifurcations, stability, threshold
    from incentive_geometry.solvers.symbolic.budget import last_step

    out = _Analysis(eq)

    def attempt(part: str, hint: str, call: Callable[..., Any]) -> Any:
        # One part within what remains; a timeout marks the part and the later ones.
        if budget.expired():
            out.missing.append(_Missing(part, NOT_STARTED, hint=hint))
            return None
        try:
            budget.check(part)
            return call(timeout=_left(budget))
        except SymbolicTimeout:
            out.missing.append(_Missing(part, NOT_FINISHED, last_step(), hint))
            return None

    out.stability = attempt(
        "stability", routes.sweep(), lambda timeout: stability(model, eq, timeout=timeout)
    )
    if out.stability is not None and not budget.expired():
        out.region = stable_region(model, eq.exists, out.stability)
    budget.offer(out)
    if out.stability is None:
        out.missing.append(_Missing("thresholds", NOT_STARTED, hint=routes.sweep()))
    else:
        for p in model.parameters:
            if p.symbol not in out.stability.condition.free_symbols:
                continue
            th = attempt(
                f"threshold in {p.name}",
                routes.sweep(out.stability),
                lambda timeout, name=p.name: threshold(model, eq, name, timeout=timeout),
            )
            if th is not None:
                out.thresholds[p.name] = th
            budget.offer(out)
    out.bifurcations = attempt(
        "bifurcations",
        routes.continuation(out.stability),
        lambda timeout: bifurcations(model, eq, timeout=timeout),
    )
    return out


def stable_region(model: Model, exists: Any, st: Any) -> Any:
    """Where an equilibrium exists and is stable, as a condition simpler than both, or None.

    The stability condition is read where the equilibrium exists (existence taken in its
    interior, the generic reading): factors of its left-hand side whose sign existence decides
    are dropped, and when one sign condition of a single factor (or an existence atom) then
    says the same as the whole on the existence region, that is the answer. Every step is
    decided exactly (:func:`~incentive_geometry.solvers.symbolic.conditions.satisfiable`);
    an undecided step leaves the condition as it was.

    Parameters
    ----------
    model : Model
    exists : sympy Boolean
        The equilibrium's existence condition.
    st : Stability

    Returns
    -------
    sympy Boolean or None
        A condition ``R`` with ``exists and stable <=> exists and R``, shorter than the
        stability condition; None when none was found (or stability is already decided).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.cli.derive import stable_region
    >>> m = ig.Model.from_equations({"x": "x*(1 - x)*(b + g*x)"},
    ...     parameters={"b": 0.5, "g": -1}, states={"x": {"domain": [0, 1]}})
    >>> eq = ig.equilibria(m)[2]
    >>> eq.point, ig.stability(m, eq).condition
    ({x: -b/g}, b*g*(b + g) > 0)
    >>> stable_region(m, eq.exists, ig.stability(m, eq))
    b > 0
    """
    from incentive_geometry.solvers.symbolic.conditions import domain_map, satisfiable

    where = st.where_exists
    cond = st.condition
    if where in (sympy.true, sympy.false) or not isinstance(cond, sympy.core.relational.Relational):
        return None
    domains = domain_map(model)
    # The generic reading: existence in its interior (non-strict relations made strict).
    inside = exists.replace(
        lambda n: isinstance(n, sympy.GreaterThan | sympy.LessThan),
        lambda n: (sympy.Gt if isinstance(n, sympy.GreaterThan) else sympy.Lt)(n.lhs, n.rhs),
    )

    def never(c: Any) -> bool:
        return satisfiable(sympy.And(inside, c), domains) is False

    expr = sympy.factor_terms(cond.lhs - cond.rhs)
    rel = type(cond)
    factors = []
    for f in sympy.Mul.make_args(expr):
        if f.is_number:
            if f.is_negative:
                rel = _flip(rel)
            continue
        base, power = f.as_base_exp()
        if never(base <= 0):
            continue  # positive wherever it exists: the sign of the product does not change
        if power.is_Integer and power.is_odd and never(base >= 0):
            rel = _flip(rel)  # negative wherever it exists
            continue
        factors.append(f)
    if not factors:
        return None
    reduced = rel(sympy.Mul(*factors), 0)
    candidates = [reduced]
    for f in factors:
        base = f.as_base_exp()[0]
        candidates += [base > 0, base < 0]
    for c in sorted(candidates, key=lambda c: len(to_text(c))):
        if len(to_text(c)) >= len(to_text(cond)):
            break
        if never(sympy.Or(sympy.And(c, sympy.Not(cond)), sympy.And(sympy.Not(c), cond))):
            return c
    return None


def _flip(rel: Any) -> Any:
    """The relation with its sides' sign flipped (``>`` <-> ``<``)."""
    return {
        sympy.StrictGreaterThan: sympy.StrictLessThan,
        sympy.StrictLessThan: sympy.StrictGreaterThan,
        sympy.GreaterThan: sympy.LessThan,
        sympy.LessThan: sympy.GreaterThan,
    }.get(rel, rel)


def _stopped(eq: Any, model: Model, routes: _Routes) -> Callable[[Any, str], _Analysis]:
    """The analysis of `eq` when its child process was stopped: the last snapshot, marked."""

    def build(snapshot: Any, step: str) -> _Analysis:
        out = snapshot if isinstance(snapshot, _Analysis) else _Analysis(eq)
        marked = {m.part for m in out.missing}
        parts: list[tuple[str, str]] = []
        if out.stability is None and "stability" not in marked:
            parts += [("stability", routes.sweep()), ("thresholds", routes.sweep())]
        elif out.stability is not None:
            parts += [
                (f"threshold in {p.name}", routes.sweep(out.stability))
                for p in model.parameters
                if p.symbol in out.stability.condition.free_symbols
                and p.name not in out.thresholds
                and f"threshold in {p.name}" not in marked
            ]
        if out.bifurcations is None and "bifurcations" not in marked:
            parts.append(("bifurcations", routes.continuation(out.stability)))
        for k, (part, hint) in enumerate(parts):
            # The first missing part is the one that was running; the later ones never began.
            out.missing.append(
                _Missing(part, NOT_FINISHED, step, hint)
                if k == 0
                else _Missing(part, NOT_STARTED, hint=hint)
            )
        return out

    return build


def _stream(
    model: Model, timeout: float | None, source: str, start: float | None = None
) -> Iterator[_Found | _Analysis]:
    """The equilibria (a :class:`_Found`), then one :class:`_Analysis` each, as they finish.

    `start` is the :func:`time.perf_counter` reading the budget counts from (default: now).
    """
    from incentive_geometry.solvers.symbolic.budget import KILL_GRACE, MARGIN, Budget, run_bounded

    total = Budget(timeout, what=f"derive `{model.name}`", start=start or time.perf_counter())
    routes = _Routes(model, source)
    allotted = None if timeout is None else max(timeout / 2 - total.elapsed(), timeout / 4)
    began = time.perf_counter()
    found = run_bounded(
        _find,
        model,
        timeout=allotted,
        what=f"equilibria of `{model.name}`",
        partial_result=lambda snapshot, step: _Found(
            None, _Missing("equilibria", NOT_FINISHED, step, routes.continuation())
        ),
    )
    if not isinstance(found, _Found):
        eqs = found
        found = _Found(eqs)
        if allotted is not None and not eqs.complete and time.perf_counter() - began >= allotted:
            found.missing = _Missing("equilibria", NOT_FINISHED, "", routes.continuation())
    yield found
    if found.equilibria is None:
        return
    eqs = list(found.equilibria)
    for k, eq in enumerate(eqs):
        left = total.remaining()
        if left is not None and left <= 0:
            out = _Analysis(eq)
            out.missing = [
                _Missing("stability", NOT_STARTED, hint=routes.sweep()),
                _Missing("thresholds", NOT_STARTED, hint=routes.sweep()),
                _Missing("bifurcations", NOT_STARTED, hint=routes.continuation()),
            ]
            yield out
            continue
        # A stopped child may overrun its share by the margin of run_bounded: keep that in
        # reserve so that the command as a whole ends within its budget.
        usable = None if left is None else max(left - MARGIN - KILL_GRACE, left / 2)
        share = None if usable is None else usable / (len(eqs) - k)
        yield run_bounded(
            _analyse,
            model,
            eq,
            routes,
            timeout=share,
            what=f"equilibrium {k + 1} of `{model.name}`",
            partial_result=_stopped(eq, model, routes),
        )


def _equilibrium_record(a: _Analysis) -> dict[str, Any]:
    eq, st = a.equilibrium, a.stability
    bifs: list[dict[str, Any]] | None = None
    if a.bifurcations is not None:
        bifs = []
        for b in a.bifurcations:
            item: dict[str, Any] = {"kind": b.kind, "condition": to_text(b.condition)}
            if b.lyapunov_coefficient is not None:
                item["lyapunov_coefficient"] = to_text(b.lyapunov_coefficient)
                item["supercritical"] = to_text(b.supercritical)
                item["on"] = {str(k): to_text(v) for k, v in b.on.items()}
                item["normalization"] = b.normalization
            bifs.append(item)
    thresholds = {
        name: [{"value": to_text(s.value), "from": to_text(s.source)} for s in th.solutions]
        for name, th in a.thresholds.items()
        if th.solutions
    }
    return {
        "point": {str(s): to_text(v) for s, v in eq.point.items()},
        "exists": to_text(eq.exists),
        "stable": None if st is None else to_text(st.condition),
        "stable_where_exists": None
        if st is None or st.where_exists is None
        else to_text(st.where_exists),
        "stable_where_exists_simplified": None if a.region is None else to_text(a.region),
        "eigenvalues": None
        if st is None or st.eigenvalues is None
        else [to_text(v) for v in st.eigenvalues],
        "bifurcations": bifs,
        "thresholds": thresholds,
        "unfinished": [m.record() for m in a.missing],
        "implicit": _implicit_record(eq),
    }


def _implicit_record(eq: Any) -> dict[str, Any] | None:
    """The point through the roots it is built from: readable where radicals are not."""
    form = eq.implicit
    if form is None:
        return None
    taken = {str(x) for v in eq.point.values() for x in v.free_symbols}
    names = {}
    for k, (d, _, _) in enumerate(form.roots):
        name = f"r{k}" if f"r{k}" not in taken else f"root{k}"
        names[d] = sympy.Symbol(name, real=True)
    return {
        "point": {str(s): to_text(v.xreplace(names)) for s, v in form.point.items()},
        "roots": [
            {
                "symbol": str(names[d]),
                "polynomial": to_text(p.xreplace(names)),
                "closed_form": to_text(closed),
            }
            for d, closed, p in form.roots
        ],
    }


def _record(
    model: Model, timeout: float | None, parts: Iterator[_Found | _Analysis]
) -> Iterator[tuple[_Found | _Analysis, dict[str, Any]]]:
    """Each part with the record it adds to; the record is whole after the last part."""
    record: dict[str, Any] = {
        "model": model.name,
        "time": model.time,
        "budget": timeout,
        "complete": True,
        "message": "",
        "unfinished": [],
        "equilibria": [],
    }
    for part in parts:
        if isinstance(part, _Found):
            eqs = part.equilibria
            record["complete"] = eqs is not None and eqs.complete and part.missing is None
            record["message"] = "" if eqs is None else eqs.message
            if part.missing is not None:
                record["unfinished"].append({"equilibrium": None, **part.missing.record()})
        else:
            item = _equilibrium_record(part)
            k = len(record["equilibria"])
            record["equilibria"].append(item)
            for m in item["unfinished"]:
                record["unfinished"].append({"equilibrium": k, **m})
            if item["unfinished"]:
                record["complete"] = False
        yield part, record


def derivation(
    model: Model, *, timeout: float | None = None, source: str | None = None
) -> dict[str, Any]:
    """The four symbolic results for `model` as a plain record (expressions as model text).

    Parameters
    ----------
    model : Model
    timeout : float, optional
        Seconds allowed for the whole derivation (default: no limit). With a limit, each
        equilibrium is analysed in a child process that is stopped when its share runs out.
    source : str, optional
        How the command line names the model, for the suggested commands (default: its name).

    Returns
    -------
    dict
        ``{"model", "time", "budget", "complete", "message", "unfinished", "equilibria"}``;
        each equilibrium has ``point``, ``exists``, ``stable``, ``eigenvalues``,
        ``bifurcations``, ``thresholds`` and ``unfinished``. A part that did not finish within
        the budget is ``None`` (``stable``, ``bifurcations``) or absent (a threshold) and is
        listed in ``unfinished`` with the last step it reached and the numerical command to try;
        ``complete`` is true only when nothing is missing.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.cli.derive import derivation
    >>> m = ig.Model.from_equations({"x": "r*x - x**3"}, parameters={"r": 1})
    >>> rec = derivation(m)
    >>> rec["equilibria"][0]["point"], rec["equilibria"][0]["stable"]
    ({'x': '0'}, 'r < 0')
    >>> rec["complete"], rec["unfinished"]
    (True, [])
    """
    record: dict[str, Any] = {}
    for _, whole in _record(model, timeout, _stream(model, timeout, source or model.name)):
        record = whole  # the same dict, filled in as the parts come
    return record


#: Conditions longer than this (characters) are summarized, not printed.
PRINT_LIMIT = 600


def _sized(text: str) -> str:
    """A condition as text, or a note on its size and the numerical route when it is huge."""
    if len(text) <= PRINT_LIMIT:
        return text
    return (
        f"(a condition of {len(text)} characters, not printed: see `--json`, or decide it "
        "numerically with `incgeo sweep` or `ig.check_stability`)"
    )


def _words(text: str) -> str:
    """Conditions that are always true or false, in words (the record keeps parseable text)."""
    return {"0 == 0": "always", "0 == 1": "never"}.get(text, text)


def _latex_condition(cond: Any) -> str:
    if cond is sympy.true:
        return "\\text{always}"
    if cond is sympy.false:
        return "\\text{never}"
    return str(sympy.latex(cond))


def _latex_lines(a: _Analysis, model: Model) -> list[str]:
    eq, st = a.equilibrium, a.stability
    point = ", ".join(f"{sympy.latex(s)} = {sympy.latex(v)}" for s, v in eq.point.items())
    lines = [f"\\item Equilibrium $\\left({point}\\right)$."]
    lines.append(f"  Exists when ${_latex_condition(eq.exists)}$;")
    if st is not None:
        lines.append(f"  asymptotically stable when ${_latex_condition(st.condition)}$.")
    for b in a.bifurcations or []:
        extra = ""
        if b.lyapunov_coefficient is not None:
            extra = (
                f", first Lyapunov coefficient $\\ell_1 = {sympy.latex(b.lyapunov_coefficient)}$"
            )
        lines.append(
            f"  {b.kind.replace('_', '-').capitalize()} at ${sympy.latex(b.condition)}${extra}."
        )
    for name, th in a.thresholds.items():
        for s in th:
            lines.append(
                f"  Threshold ${sympy.latex(model.symbol(name))}^* = {sympy.latex(s.value)}$."
            )
    for m in a.missing:
        lines.append(f"  % {m.part}: {m.text()}")
    return lines


def _text_lines(k: int, a: _Analysis, e: dict[str, Any]) -> list[str]:
    missing = {m.part: m for m in a.missing}
    implicit = e.get("implicit")
    # The JSON record keeps the parser's form; the text prints the point as the reprs do.
    shown = (
        implicit["point"]
        if implicit
        else {str(s): display.expr_text(v) for s, v in a.equilibrium.point.items()}
    )
    point = ", ".join(f"{s} = {v}" for s, v in shown.items())
    lines = [f"\n[{k}] equilibrium  {point}"]
    for root in implicit["roots"] if implicit else []:
        lines.append(
            f"    where {root['symbol']:<8}a real root of {root['polynomial']} = 0: "
            f"{_sized(root['closed_form'])}"
        )
    lines.append(f"    exists when   {_words(e['exists'])}")
    if e["stable"] is None:
        lines.append(f"    stable when   {missing['stability'].text()}")
    else:
        where = e.get("stable_where_exists")
        if where in ("0 == 1", "0 == 0"):
            said = "never" if where == "0 == 1" else "always"
            lines.append(f"    stable when   {said} (where it exists; decided exactly)")
        elif e.get("stable_where_exists_simplified"):
            lines.append(
                f"    stable when   {e['stable_where_exists_simplified']} (where it exists; "
                "decided exactly)"
            )
            lines.append(f"    {'':<14}(the stability condition alone: {_sized(e['stable'])})")
        else:
            lines.append(f"    stable when   {_sized(_words(e['stable']))}")
            if e["exists"] != "0 == 0":
                lines.append(f"    {'':<14}and only where it exists (above)")
    if e["eigenvalues"] is not None and a.stability is not None:
        shown_values = [display.expr_text(v) for v in a.stability.eigenvalues]
        lines.append(f"    eigenvalues   {', '.join(shown_values)}")
    if e["bifurcations"] is None:
        lines.append(f"    bifurcations  {missing['bifurcations'].text()}")
    for b in e["bifurcations"] or []:
        lines.append(f"    {b['kind']:<14}{_sized(b['condition'])}")
        if "lyapunov_coefficient" in b:
            lines.append(
                f"    {'':<14}first Lyapunov coefficient l1 = {b['lyapunov_coefficient']}"
                f"  (supercritical: {_words(b['supercritical'])})"
            )
    for name, th in a.thresholds.items():
        for s in th.solutions:
            value, source = display.expr_text(s.value), to_text(s.source)
            lines.append(f"    threshold     {name}* = {value}   (boundary of {source})")
    for m in a.missing:
        if m.part == "thresholds":
            lines.append(f"    {'thresholds':<14}{m.text()}")
        elif m.part.startswith("threshold in "):
            lines.append(
                f"    {'threshold':<14}{m.part.removeprefix('threshold in ')}*: {m.text()}"
            )
    return lines


@click.command()
@click.argument("model")
@click.option("--latex", "fmt", flag_value="latex", help="Print a LaTeX fragment for a paper.")
@click.option(
    "--json", "fmt", flag_value="json", help="Print a JSON record (expressions as model text)."
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Fix a parameter at a value before deriving (repeatable).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Time budget of the whole command (the interpreter's start-up aside).",
)
def derive(model: str, fmt: str | None, assignments: tuple[str, ...], timeout: float) -> None:
    """Derive MODEL's equilibria, existence and stability conditions, bifurcations, thresholds.

    Results are printed per equilibrium as soon as they are ready. Equilibria get at most half
    of the time budget; the rest is shared among the equilibria. A part that does not finish
    within the budget is printed as such, with a numerical command to try instead (`incgeo
    continue`, `incgeo sweep`), and the exit code is then 1.
    """
    started = time.perf_counter()  # the budget counts loading the model and the solvers too
    m = resolve_model(model)
    values = parse_assignments(assignments, m)
    if values:
        m = m.with_parameters(**values)
    record: dict[str, Any] = {}
    k = 0
    if fmt == "latex":
        click.echo(f"% incgeo derive: {m.name}")
    for part, record in _record(m, timeout, _stream(m, timeout, model, started)):
        if fmt == "json":
            continue
        if isinstance(part, _Found):
            n = 0 if part.equilibria is None else len(part.equilibria)
            if fmt == "latex":
                if part.missing is not None:
                    click.echo(f"% equilibria: {part.missing.text()}")
                click.echo("\\begin{itemize}")
                continue
            head = f"{m.name} ({m.time} time): "
            if part.equilibria is None and part.missing is not None:
                click.echo(f"{head}equilibria {part.missing.text()}")
                continue
            note = "" if part.equilibria.complete else f" (INCOMPLETE: {part.equilibria.message})"
            click.echo(f"{head}{n} equilibria{note}")
            continue
        k += 1
        if fmt == "latex":
            click.echo("\n".join(_latex_lines(part, m)))
        else:
            click.echo("\n".join(_text_lines(k, part, record["equilibria"][-1])))
    if fmt == "latex":
        click.echo("\\end{itemize}")
    elif fmt == "json":
        click.echo(json.dumps(record, indent=2))
    missing = [
        u["part"] if u["equilibrium"] is None else f"{u['part']} of [{u['equilibrium'] + 1}]"
        for u in record["unfinished"]
    ]
    if missing:
        listed = ", ".join(missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        raise SymbolicTimeout(
            f"derive `{m.name}`: not finished within the time budget of {timeout:g} s "
            f"(missing: {listed}); pass a larger `--timeout`, or use the numerical commands "
            "suggested in the output"
        )
