"""How results print: short text for a terminal, HTML tables and LaTeX formulas for Jupyter.

Shared by the reprs of the result objects (``__repr__``, ``_repr_html_``, ``_repr_latex_``).
Everything a user typed (a model name, a parameter's meaning, a claim's statement) is escaped
before it enters HTML, so a name like ``<script>`` is shown, never run. The functions read the
result objects by their attributes only: this core module imports no solver.

Examples
--------
>>> from incentive_geometry.display import html_table
>>> print(html_table(["name", "value"], [["<b>", "1"]]))
<table class="ig-table"><thead><tr><th>name</th><th>value</th></tr></thead><tbody><tr><td>&lt;b&gt;</td><td>1</td></tr></tbody></table>
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy

from .language import to_latex, to_text

__all__ = [
    "Math",
    "branch_html",
    "branch_text",
    "check_report_html",
    "check_report_text",
    "cond_latex",
    "cond_text",
    "escape",
    "expr_latex",
    "expr_text",
    "html_table",
    "math",
    "shorten",
    "stability_map_html",
    "stability_map_text",
    "summarize_array",
    "text_table",
]

#: Characters of one expression shown in a short ``__repr__`` before it is cut.
REPR_WIDTH = 72
#: LaTeX longer than this (characters) is shown as a note on its size in HTML.
LATEX_LIMIT = 2000
#: Rows of a table shown before the rest is counted.
MAX_ROWS = 20


class Math(str):
    """LaTeX that a table cell shows as an inline formula (``$...$``), escaped for HTML.

    Examples
    --------
    >>> from incentive_geometry.display import Math, html_table
    >>> "$x &lt; 1$" in html_table(["c"], [[Math("x < 1")]])
    True
    """


def escape(text: object) -> str:
    """Text made safe for HTML (``<``, ``>``, ``&`` and quotes escaped).

    Parameters
    ----------
    text : object
        Anything; it is converted with ``str`` first.

    Returns
    -------
    str

    Examples
    --------
    >>> from incentive_geometry.display import escape
    >>> escape("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    return html.escape(str(text), quote=True)


def shorten(text: str, width: int = REPR_WIDTH) -> str:
    """`text` cut to `width` characters, with an ellipsis and the full length when cut.

    Parameters
    ----------
    text : str
    width : int

    Returns
    -------
    str

    Examples
    --------
    >>> from incentive_geometry.display import shorten
    >>> shorten("a" * 100, 10)
    'aaaaaaa...'
    """
    return text if len(text) <= width else text[: max(width - 3, 1)] + "..."


def _truth(cond: Any) -> bool | None:
    if cond is sympy.true or cond is True:
        return True
    if cond is sympy.false or cond is False:
        return False
    return None


def expr_text(expr: Any, width: int | None = None) -> str:
    """An expression as model text (the parser reads it back), cut to `width` when given.

    Parameters
    ----------
    expr : sympy.Expr or number
    width : int, optional

    Returns
    -------
    str

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.display import expr_text
    >>> a = sympy.Symbol("a")
    >>> expr_text(a**2 / 2)
    'a**2/2'
    """
    try:
        text = to_text(expr)
    except Exception:  # a value the model printer does not know (a float array entry)
        text = str(expr)
    return text if width is None else shorten(text, width)


def cond_text(cond: Any, width: int | None = None) -> str:
    """A condition in words where it is constant (``always``, ``never``), else as model text.

    Parameters
    ----------
    cond : sympy Boolean or bool
    width : int, optional

    Returns
    -------
    str

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.display import cond_text
    >>> cond_text(sympy.true), cond_text(sympy.Symbol("a") > 1)
    ('always', 'a > 1')
    """
    truth = _truth(cond)
    if truth is not None:
        return "always" if truth else "never"
    if cond is None:
        return "not derived"
    return expr_text(cond, width)


def expr_latex(expr: Any) -> str:
    """An expression as LaTeX (no dollars), in time bounded by its size.

    Parameters
    ----------
    expr : sympy.Expr

    Returns
    -------
    str

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.display import expr_latex
    >>> expr_latex(sympy.Symbol("theta") / 2)
    '\\\\frac{\\\\theta}{2}'
    """
    try:
        return to_latex(expr)
    except Exception:  # not a sympy object: show it as text
        return r"\text{" + _latex_text(str(expr)) + "}"


def cond_latex(cond: Any) -> str:
    r"""A condition as LaTeX: ``\text{always}`` / ``\text{never}`` where it is constant.

    Parameters
    ----------
    cond : sympy Boolean or bool

    Returns
    -------
    str

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.display import cond_latex
    >>> cond_latex(sympy.false), cond_latex(sympy.Symbol("a") > 1)
    ('\\text{never}', 'a > 1')
    """
    truth = _truth(cond)
    if truth is not None:
        return r"\text{always}" if truth else r"\text{never}"
    if cond is None:
        return r"\text{not derived}"
    return expr_latex(cond)


def _latex_text(text: str) -> str:
    """Plain text made safe inside ``\\text{...}``."""
    for ch, rep in (("\\", r"\backslash "), ("{", r"\{"), ("}", r"\}"), ("$", r"\$")):
        text = text.replace(ch, rep)
    for ch in "&%#_^~":
        text = text.replace(ch, "\\" + ch)
    return text


def math(latex: str, *, display: bool = False) -> str:
    """LaTeX as HTML for MathJax: escaped, between ``$`` (or ``$$``); huge formulas noted.

    Parameters
    ----------
    latex : str
    display : bool
        A displayed formula (``$$``) instead of an inline one.

    Returns
    -------
    str

    Examples
    --------
    >>> from incentive_geometry.display import math
    >>> math("x < 1")
    '$x &lt; 1$'
    """
    if len(latex) > LATEX_LIMIT:
        return f"<i>(a formula of {len(latex)} characters, not shown)</i>"
    fence = "$$" if display else "$"
    return f"{fence}{escape(latex)}{fence}"


def _cell(value: Any) -> str:
    if isinstance(value, Math):
        return math(str(value))
    return escape(value)


def html_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    caption: str | None = None,
    max_rows: int = MAX_ROWS,
) -> str:
    """An HTML table; cells are escaped text, or :class:`Math` shown as formulas.

    Parameters
    ----------
    headers : sequence of str
    rows : sequence of sequence
    caption : str, optional
        Escaped text above the table.
    max_rows : int
        Rows shown; a last row counts the rest.

    Returns
    -------
    str

    Examples
    --------
    >>> from incentive_geometry.display import html_table
    >>> html_table(["k"], [[i] for i in range(30)], max_rows=2).count("<tr>")
    4
    """
    out = ['<table class="ig-table">']
    if caption:
        out.append(f"<caption>{escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows[:max_rows]:
        out.append("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>")
    if len(rows) > max_rows:
        out.append(
            f'<tr><td colspan="{len(headers)}"><i>... {len(rows) - max_rows} more</i></td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def text_table(
    headers: Sequence[str] | None,
    rows: Sequence[Sequence[Any]],
    *,
    indent: str = "  ",
    max_rows: int = MAX_ROWS,
) -> list[str]:
    """Rows as lines of aligned columns (the last column is not padded).

    Parameters
    ----------
    headers : sequence of str or None
    rows : sequence of sequence
    indent : str
    max_rows : int
        Rows shown; a last line counts the rest.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from incentive_geometry.display import text_table
    >>> print("\\n".join(text_table(["a", "b"], [["x", 1], ["long", 2]])))
      a     b
      x     1
      long  2
    """
    table = [list(map(str, r)) for r in rows[:max_rows]]
    if headers is not None:
        table.insert(0, list(headers))
    if not table:
        return []
    ncol = max(len(r) for r in table)
    widths = [max((len(r[k]) for r in table if k < len(r)), default=0) for k in range(ncol)]
    lines = []
    for r in table:
        cells = [c.ljust(widths[k]) if k < len(r) - 1 else c for k, c in enumerate(r)]
        lines.append((indent + "  ".join(cells)).rstrip())
    if len(rows) > max_rows:
        lines.append(f"{indent}... {len(rows) - max_rows} more")
    return lines


def summarize_array(values: Any) -> str:
    """An array of numbers in a few words: size, and range (``101 values in [0, 1]``).

    Parameters
    ----------
    values : array_like

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.display import summarize_array
    >>> summarize_array(np.linspace(0, 1, 101))
    '101 values in [0, 1]'
    >>> summarize_array([2.5])
    '2.5'
    """
    a = np.asarray(values, dtype=float).ravel()
    if a.size == 0:
        return "no values"
    if a.size == 1:
        return f"{a[0]:.6g}"
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return f"{a.size} values, none finite"
    rng = f"[{finite.min():.6g}, {finite.max():.6g}]"
    nan = f" ({a.size - finite.size} not finite)" if finite.size < a.size else ""
    return f"{a.size} values in {rng}{nan}"


# --------------------------------------------------------------------------------------------
# Branch (solvers.numeric.branch)


def _stable_runs(p: Any, stable: Any) -> list[tuple[float, float, bool]]:
    """Maximal runs of equal stability along the branch: ``(p_start, p_end, stable)``."""
    runs: list[tuple[float, float, bool]] = []
    for k in range(len(p)):
        s = bool(stable[k])
        if runs and runs[-1][2] == s:
            runs[-1] = (runs[-1][0], float(p[k]), s)
        else:
            runs.append((float(p[k]), float(p[k]), s))
    return runs


def _bifurcation_rows(b: Any) -> list[list[Any]]:
    rows = []
    for f in b.bifurcations:
        state = ", ".join(f"{s} = {v:.6g}" for s, v in zip(f.state_names, f.x, strict=False))
        rows.append([f.kind, f"{f.p:.8g}", state, f.criticality or ""])
    return rows


def branch_text(b: Any) -> str:
    """A branch in a few lines: parameter range, points, stable runs, bifurcations.

    Parameters
    ----------
    b : Branch
        From :func:`incentive_geometry.continuation`.

    Returns
    -------
    str

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.display import branch_text
    >>> m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
    >>> print(branch_text(ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1))))
    ... # doctest: +ELLIPSIS
    Branch in p: ... points, p from -1 to 1, complete
      stable from p = -1 to ..., then unstable from p = ... to 1
      bifurcations:
        transcritical  p = ...  x = ...
    """
    n = len(b.p)
    status = {0: "complete", 1: "stopped early", -1: "no branch"}.get(b.status, str(b.status))
    if n == 0:
        return f"Branch in {b.param}: no points ({status})"
    lines = [
        f"Branch in {b.param}: {n} points, {b.param} from {float(b.p.min()):.6g} "
        f"to {float(b.p.max()):.6g}, {status}"
    ]
    runs = _stable_runs(b.p, b.stable)
    # In the order of the branch, which may turn back in p (a fold): "from ... to ...".
    words = [
        f"{'stable' if s else 'unstable'} from {b.param} = {start:.6g} to {end:.6g}"
        for start, end, s in runs[:6]
    ]
    more = f", ... ({len(runs) - 6} more runs)" if len(runs) > 6 else ""
    lines.append("  " + ", then ".join(words) + more)
    if b.bifurcations:
        lines.append("  bifurcations:")
        rows = [[k, f"{b.param} = {p}", x, c] for k, p, x, c in _bifurcation_rows(b)]
        lines.extend(text_table(None, rows, indent="    ", max_rows=10))
    else:
        lines.append("  no bifurcations located")
    if b.children:
        lines.append(f"  {len(b.children)} branch(es) switched to (.children)")
    if b.status != 0 and b.message:
        lines.append("  " + shorten(b.message, 200))
    return "\n".join(lines)


def branch_html(b: Any) -> str:
    """A branch as HTML: a summary line and a table of its bifurcations.

    Parameters
    ----------
    b : Branch

    Returns
    -------
    str

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.display import branch_html
    >>> m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
    >>> "transcritical" in branch_html(ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1)))
    True
    """
    head, *rest = branch_text(b).split("\n")
    runs = [r for r in rest if r.startswith("  ") and not r.startswith("    ")]
    parts = [f"<div><b>{escape(head)}</b>"]
    parts.extend(f"<br>{escape(r.strip())}" for r in runs if r.strip() != "bifurcations:")
    if b.bifurcations:
        parts.append(
            html_table(
                ["kind", b.param, "state", "criticality"],
                _bifurcation_rows(b),
                caption="bifurcations",
            )
        )
    parts.append("</div>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# StabilityMap (solvers.numeric.sweep)


def _grid_words(m: Any) -> list[str]:
    if m.axes is not None:
        return [
            f"{name}: {summarize_array(ax)}"
            for name, ax in zip(m.parameter_names, m.axes, strict=False)
        ]
    vals = np.asarray(m.values, dtype=float)
    return [f"{name}: {summarize_array(vals[:, k])}" for k, name in enumerate(m.parameter_names)]


def _class_rows(m: Any) -> list[list[Any]]:
    counts = m.counts
    total = max(sum(counts.values()), 1)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return [[name, k, f"{100 * k / total:.1f}%"] for name, k in ranked]


def stability_map_text(m: Any) -> str:
    """A stability map in a few lines: grid, classes with their counts; never the arrays.

    Parameters
    ----------
    m : StabilityMap
        From :func:`incentive_geometry.sweep`.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.display import stability_map_text
    >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    >>> print(stability_map_text(ig.sweep(m, {"r": np.array([-1.0, 1.0])})))
    ... # doctest: +ELLIPSIS
    StabilityMap of 'model': 2 points (grid 2), closed_form, ...
      r: 2 values in [-1, 1]
      classes:
        x=0 only  1  50.0%
        x=r only  1  50.0%
    """
    shape = " x ".join(str(s) for s in m.shape)
    kind = "grid" if m.axes is not None else "sample"
    npts = int(np.prod(m.shape))
    lines = [
        f"StabilityMap of {m.model_name!r}: {npts} points ({kind} {shape}), {m.method}, "
        f"{m.seconds:.3g} s"
    ]
    lines.extend("  " + w for w in _grid_words(m))
    if m.fixed:
        fixed = ", ".join(f"{k}={v:.6g}" for k, v in m.fixed.items())
        lines.append("  fixed: " + shorten(fixed, 100))
    lines.append("  classes:")
    lines.extend(text_table(None, _class_rows(m), indent="    ", max_rows=10))
    if m.boundaries:
        lines.append(f"  {len(m.boundaries)} analytic boundaries (.boundaries); draw with .plot()")
    if m.notes:
        lines.append(f"  {len(m.notes)} note(s) (.notes)")
    return "\n".join(lines)


def stability_map_html(m: Any) -> str:
    """A stability map as HTML: the grid and a table of the classes with their counts.

    Parameters
    ----------
    m : StabilityMap

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.display import stability_map_html
    >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    >>> stability_map_html(ig.sweep(m, {"r": np.array([-1.0, 1.0])})).count("<tr>")
    3
    """
    head = stability_map_text(m).split("\n")[0]
    parts = [f"<div><b>{escape(head)}</b>"]
    parts.extend(f"<br>{escape(w)}" for w in _grid_words(m))
    if m.fixed:
        parts.append("<br>fixed: " + escape(", ".join(f"{k}={v:.6g}" for k, v in m.fixed.items())))
    parts.append(html_table(["class", "points", "share"], _class_rows(m), caption="classes"))
    if m.notes:
        notes = "".join(f"<li>{escape(shorten(n, 300))}</li>" for n in m.notes[:10])
        parts.append(
            f"<details><summary>{len(m.notes)} note(s)</summary><ul>{notes}</ul></details>"
        )
    parts.append("<i>.plot() draws the map</i></div>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# CheckReport (proofs.check)


def _show(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    if isinstance(value, np.ndarray) and value.size > 1:
        return f"mean {float(np.mean(value)):.6g} of {value.size} draws"
    return shorten(str(value), 60)


def _counterexample_rows(r: Any) -> list[list[Any]]:
    rows = []
    for c in r.counterexamples:
        point = ", ".join(f"{k}={v:.6g}" for k, v in c.params.items())
        rows.append([point, _show(c.predicted), _show(c.observed), shorten(c.evidence, 80)])
    return rows


def _report_counts(r: Any) -> str:
    lo, hi = r.interval
    words = [
        f"agreement {100 * r.agreement:.1f}% (95% CI {100 * lo:.1f}-{100 * hi:.1f}%)",
        f"{r.evaluated} of {r.samples} points compared",
    ]
    if r.excluded:
        words.append(f"{r.excluded} near the boundary left out")
    if r.failed:
        words.append(f"{r.failed} failed")
    return ", ".join(words)


def check_report_text(r: Any) -> str:
    """A check's report in a few lines: verdict, counts, counterexamples.

    Parameters
    ----------
    r : CheckReport
        From :func:`incentive_geometry.check`.

    Returns
    -------
    str

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.display import check_report_text
    >>> c = ig.Claim(name="c", statement="", prediction="a > 0", observe=lambda p: p["a"] > 0,
    ...              domain={"a": (-1.0, 1.0)})
    >>> print(check_report_text(ig.check(c, samples=16)))  # doctest: +ELLIPSIS
    c: CONFIRMED  a > 0
      agreement 100.0% (95% CI ...), 16 of 16 points compared...
    """
    lines = [f"{r.claim}: {r.verdict.upper()}  {shorten(r.prediction, 100)}"]
    if r.statement:
        lines.append("  " + shorten(r.statement, 200))
    lines.append("  " + _report_counts(r))
    if r.confusion:
        lines.append("  " + ", ".join(f"{k}: {v}" for k, v in r.confusion.items()))
    if r.boundary_error is not None:
        lines.append(f"  boundary error {r.boundary_error:.3g} (box units, {r.boundary_rays} rays)")
    if r.reason:
        lines.append("  " + shorten(r.reason, 300))
    if r.counterexamples:
        lines.append("  counterexamples:")
        lines.extend(
            text_table(
                ["point", "predicted", "observed", "evidence"],
                _counterexample_rows(r),
                indent="    ",
                max_rows=5,
            )
        )
    return "\n".join(lines)


_VERDICT_COLOUR = {"confirmed": "#1a7f37", "refuted": "#cf222e", "inconclusive": "#9a6700"}


def check_report_html(r: Any) -> str:
    """A check's report as HTML: the verdict, the counts, the counterexamples as a table.

    Parameters
    ----------
    r : CheckReport

    Returns
    -------
    str

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.display import check_report_html
    >>> c = ig.Claim(name="c", statement="", prediction="a > 0", observe=lambda p: p["a"] > 0,
    ...              domain={"a": (-1.0, 1.0)})
    >>> "confirmed" in check_report_html(ig.check(c, samples=16))
    True
    """
    colour = _VERDICT_COLOUR.get(r.verdict, "inherit")
    parts = [
        f'<div><b>{escape(r.claim)}</b>: <b style="color:{colour}">{escape(r.verdict)}</b>',
        f"<br>prediction: <code>{escape(shorten(r.prediction, 300))}</code>",
    ]
    if r.statement:
        parts.append(f"<br>{escape(r.statement)}")
    parts.append(f"<br>{escape(_report_counts(r))}")
    if r.rule:
        parts.append(f"<br>rule: {escape(r.rule)}")
    if r.reason:
        parts.append(f"<br>{escape(shorten(r.reason, 500))}")
    if r.confusion:
        parts.append(
            html_table(
                ["predicted / observed", "points"], list(r.confusion.items()), caption="confusion"
            )
        )
    if r.counterexamples:
        parts.append(
            html_table(
                ["point", "predicted", "observed", "evidence"],
                _counterexample_rows(r),
                caption="counterexamples",
            )
        )
    parts.append("</div>")
    return "".join(parts)
