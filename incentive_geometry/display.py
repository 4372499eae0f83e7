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
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import sympy

from .language import to_latex, to_text

__all__ = [
    "Math",
    "Summary",
    "Table",
    "branch_html",
    "branch_summary",
    "branch_text",
    "check_report_html",
    "check_report_summary",
    "check_report_text",
    "cond_latex",
    "cond_text",
    "counterexample_caption",
    "disagreements",
    "distinct_counterexamples",
    "escape",
    "expr_latex",
    "expr_text",
    "html_table",
    "math",
    "shorten",
    "show_value",
    "stability_map_html",
    "stability_map_summary",
    "stability_map_text",
    "summarize_array",
    "text_table",
    "tidy",
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


def _minus_signs(e: Any) -> int:
    return to_text(e).count("-")


def _nested_minus_signs(e: Any) -> int:
    """Minus signs weighted by their depth in parentheses (``a*(b - c)`` scores 1)."""
    depth, score = 0, 0
    for ch in to_text(e):
        depth += (ch == "(") - (ch == ")")
        score += depth if ch == "-" else 0
    return score


def _rank(e: Any, odd: bool, below: bool) -> tuple[int, int, int]:
    """Fewer minus signs first; then, for an odd power in a denominator, a positive constant
    term (``1 - theta``, positive on [0, 1], over ``theta - 1``); then no leading minus."""
    if not odd:
        return (_minus_signs(e), 0, 0)
    const = e.as_coeff_Add()[0]
    positive = 0 if (const >= 0 or not below) else 1
    return (_minus_signs(e), positive, 1 if e.could_extract_minus_sign() else 0)


def _orient(base: Any, exp: int, below: bool) -> tuple[Any, int]:
    """`base` or `-base` (a factor raised to `exp`), whichever reads better, and the sign
    taken out (1 or -1)."""
    if not isinstance(base, sympy.Add):
        return base, 1
    odd = bool(exp % 2)
    neg = -base
    if _rank(neg, odd, below) < _rank(base, odd, below):
        return neg, (-1 if odd else 1)
    return base, 1


def _shortest(add: Any) -> Any:
    """A sum as written best: as it is or collected in one of its symbols; fewest minus signs,
    no leading minus, no minus inside parentheses, shortest."""
    forms = [add] + [sympy.collect(add, s) for s in sorted(add.free_symbols, key=str)]
    return min(
        forms,
        key=lambda e: (
            _minus_signs(e),
            to_text(e).startswith("-"),
            _nested_minus_signs(e),
            len(to_text(e)),
        ),
    )


def _factors(poly: Any, below: bool) -> tuple[Any, list[Any]]:
    coeff, pairs = sympy.factor_list(poly)
    out = []
    for base, exp in pairs:
        base, sign = _orient(base, int(exp), below)
        coeff *= sign
        base = _shortest(base) if isinstance(base, sympy.Add) else base
        out.append(base**exp)
    return coeff, out


#: Expressions up to this size (``sympy.count_ops``), in at most this many symbols and with
#: no power above :data:`TIDY_DEGREE`, are brought to a researcher's form for display; larger
#: ones print as they are. The bound on size is the bound on time: ``cancel`` and ``factor``
#: of a rational function this small take milliseconds, and are never run on a large one.
TIDY_OPS = 60
TIDY_SYMBOLS = 6
TIDY_DEGREE = 8


def tidy(expr: Any) -> Any:
    """`expr` as a researcher writes it: one fraction, factored, signs where they read best.

    A rational function is put over one denominator (``together``, ``cancel``), numerator
    and denominator factored (``factor_list``), each sum signed with the fewest minus signs
    (``1 - theta`` rather than ``theta - 1`` in a denominator) and written expanded or
    collected in one symbol, whichever reads best. Only for small expressions
    (:data:`TIDY_OPS`, :data:`TIDY_SYMBOLS`, :data:`TIDY_DEGREE`), and only where the result is
    not much longer: anything else comes back unchanged. The value is equal to `expr`; it may
    be an unevaluated product (``-(a + b)``), meant for printing.

    Parameters
    ----------
    expr : sympy.Expr

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.display import tidy
    >>> a, b, t = sympy.symbols("a b theta")
    >>> tidy(-(a*b*t - a*b + t)/(a*(t - 1)))
    (a*b*theta - a*b + theta)/(a*(1 - theta))
    >>> tidy(-a - b), tidy(2*a + 2*b)
    (-(a + b), 2*(a + b))
    """
    if not isinstance(expr, sympy.Expr) or expr.is_Atom or expr.is_number:
        return expr
    try:
        return _tidy(expr)
    except (sympy.polys.polyerrors.BasePolynomialError, TypeError, ValueError):
        # Not a polynomial quotient sympy can factor (or a comparison of a complex number):
        # printed as it is.
        return expr


@lru_cache(maxsize=1024)
def _tidy(expr: Any) -> Any:
    syms = expr.free_symbols
    if len(syms) > TIDY_SYMBOLS or sympy.count_ops(expr) > TIDY_OPS:
        return expr
    powers = [p.exp for p in expr.atoms(sympy.Pow)]
    if any(not p.is_Integer or abs(int(p)) > TIDY_DEGREE for p in powers):
        return expr
    if not expr.is_rational_function(*syms):
        return expr
    num, den = sympy.fraction(sympy.cancel(sympy.together(expr)))
    cn, fn = _factors(num, False)
    cd, fd = _factors(den, True)
    coeff = cn / cd
    sums = [k for k, f in enumerate(fn) if isinstance(f, sympy.Add)]
    if coeff < 0 and sums:
        # A minus in front of a sum goes into the sum where that costs no minus sign.
        k = sums[0]
        flipped = _shortest(sympy.expand(-fn[k]))
        if _minus_signs(flipped) <= _minus_signs(fn[k]):
            fn[k], coeff = flipped, -coeff
    args = [coeff, *fn, *(sympy.Pow(f, -1) for f in fd)]
    out = sympy.Mul(*args)
    if len(args) == 2 and coeff != 1 and isinstance(fn[0] if fn else None, sympy.Add):
        # sympy multiplies a number into a lone sum (-(a - b) -> b - a): keep the factor.
        out = sympy.Mul(coeff, fn[0], evaluate=False)
    return out if len(to_text(out)) <= len(to_text(expr)) + 8 else expr


def expr_text(expr: Any, width: int | None = None) -> str:
    """An expression as model text (the parser reads it back), cut to `width` when given.

    Small expressions are printed in the form of :func:`tidy`.

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
        text = to_text(tidy(expr))
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
    """An expression as LaTeX (no dollars), in time bounded by its size (:func:`tidy`'s form).

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
        return to_latex(tidy(expr))
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
# One builder for each result, two renderings: a result is summarized once (a heading, lines,
# tables, notes) and the summary is printed as text or as HTML.


@dataclass(frozen=True)
class Table:
    """A table of a :class:`Summary`: the same rows in the terminal and in the notebook.

    Parameters
    ----------
    caption : str
        What the table holds (``counterexamples``); in text, the line above the rows.
    headers : sequence of str
    rows : sequence of sequence
        Cells: text, or :class:`Math` (a formula in HTML, its LaTeX source in text).
    text_rows : int
        Rows shown in the terminal (HTML shows :data:`MAX_ROWS`); a last line counts the rest.

    Examples
    --------
    >>> from incentive_geometry.display import Table
    >>> Table("classes", ["class", "points"], [["x=0", 3]]).rows
    [['x=0', 3]]
    """

    caption: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    text_rows: int = 10


@dataclass(frozen=True)
class Summary:
    """A result in a few parts, rendered as text (``__repr__``) or HTML (``_repr_html_``).

    The builders of the results (:func:`branch_summary`, :func:`stability_map_summary`,
    :func:`check_report_summary`) fill one summary; :meth:`text` and :meth:`html` only lay it
    out, so the terminal and the notebook show the same content.

    Parameters
    ----------
    head : str
        The first line (bold in HTML).
    lines : sequence of str
        Lines under it.
    tables : sequence of Table
    notes : sequence of str
        Counted in text (``2 note(s) (.notes)``), listed in HTML.
    footer : str
        A last line (e.g. how to draw the result).
    head_html : str, optional
        Ready HTML for the first line, where it is styled (already escaped).

    Examples
    --------
    >>> from incentive_geometry.display import Summary, Table
    >>> s = Summary("3 points", ["all stable"], [Table("classes", ["class", "n"], [["a", 3]])])
    >>> print(s.text())
    3 points
      all stable
      classes:
        class  n
        a      3
    >>> s.html().count("<tr>")
    2
    """

    head: str
    lines: Sequence[str] = ()
    tables: Sequence[Table] = ()
    notes: Sequence[str] = ()
    footer: str = ""
    head_html: str | None = None

    def text(self) -> str:
        """The summary as lines of text (cells of :class:`Math` shown as their LaTeX)."""
        out = [self.head]
        out.extend("  " + line for line in self.lines)
        for t in self.tables:
            out.append(f"  {t.caption}:")
            out.extend(text_table(t.headers, t.rows, indent="    ", max_rows=t.text_rows))
        if self.notes:
            out.append(f"  {len(self.notes)} note(s) (.notes)")
        if self.footer:
            out.append("  " + self.footer)
        return "\n".join(out)

    def html(self) -> str:
        """The summary as an HTML fragment (escaped text, tables, notes in a details list)."""
        head = self.head_html if self.head_html is not None else f"<b>{escape(self.head)}</b>"
        parts = [f"<div>{head}"]
        parts.extend(f"<br>{escape(line)}" for line in self.lines)
        parts.extend(html_table(t.headers, t.rows, caption=t.caption) for t in self.tables)
        if self.notes:
            items = "".join(f"<li>{escape(shorten(n, 300))}</li>" for n in self.notes[:10])
            parts.append(
                f"<details><summary>{len(self.notes)} note(s)</summary><ul>{items}</ul></details>"
            )
        if self.footer:
            parts.append(f"<br><i>{escape(self.footer)}</i>")
        parts.append("</div>")
        return "".join(parts)


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


def branch_summary(b: Any) -> Summary:
    """What a branch shows: parameter range, points, stable runs, bifurcations.

    Parameters
    ----------
    b : Branch
        From :func:`incentive_geometry.continuation`.

    Returns
    -------
    Summary

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.display import branch_summary
    >>> m = ig.Model.from_equations({"x": "x*(p - x)"}, parameters={"p": -1.0})
    >>> s = branch_summary(ig.continuation(m, "p", x0={"x": 0.0}, p_range=(-1, 1)))
    >>> s.tables[0].rows[0][0]
    'transcritical'
    """
    n = len(b.p)
    status = {0: "complete", 1: "stopped early", -1: "no branch"}.get(b.status, str(b.status))
    if n == 0:
        return Summary(f"Branch in {b.param}: no points ({status})")
    head = (
        f"Branch in {b.param}: {n} points, {b.param} from {float(b.p.min()):.6g} "
        f"to {float(b.p.max()):.6g}, {status}"
    )
    runs = _stable_runs(b.p, b.stable)
    # In the order of the branch, which may turn back in p (a fold): "from ... to ...".
    words = [
        f"{'stable' if s else 'unstable'} from {b.param} = {start:.6g} to {end:.6g}"
        for start, end, s in runs[:6]
    ]
    more = f", ... ({len(runs) - 6} more runs)" if len(runs) > 6 else ""
    lines = [", then ".join(words) + more]
    tables = []
    if b.bifurcations:
        rows = []
        for f in b.bifurcations:
            state = ", ".join(f"{s} = {v:.6g}" for s, v in zip(f.state_names, f.x, strict=False))
            rows.append([f.kind, f"{f.p:.8g}", state, f.criticality or ""])
        tables.append(Table("bifurcations", ["kind", b.param, "state", "criticality"], rows))
    else:
        lines.append("no bifurcations located")
    if b.children:
        lines.append(f"{len(b.children)} branch(es) switched to (.children)")
    if b.status != 0 and b.message:
        lines.append(shorten(b.message, 200))
    return Summary(head, lines, tables)


def branch_text(b: Any) -> str:
    """A branch in a few lines (the text of :func:`branch_summary`).

    Parameters
    ----------
    b : Branch

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
        kind           p  state  criticality
        transcritical  ...  x = ...
    """
    return branch_summary(b).text()


def branch_html(b: Any) -> str:
    """A branch as HTML (the HTML of :func:`branch_summary`).

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
    return branch_summary(b).html()


# --------------------------------------------------------------------------------------------
# StabilityMap (solvers.numeric.sweep)


def stability_map_summary(m: Any) -> Summary:
    """What a stability map shows: the grid and the classes with their counts; never arrays.

    Parameters
    ----------
    m : StabilityMap
        From :func:`incentive_geometry.sweep`.

    Returns
    -------
    Summary

    Examples
    --------
    >>> import numpy as np
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.display import stability_map_summary
    >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    >>> stability_map_summary(ig.sweep(m, {"r": np.array([-1.0, 1.0])})).lines
    ['r: 2 values in [-1, 1]']
    """
    shape = " x ".join(str(s) for s in m.shape)
    kind = "grid" if m.axes is not None else "sample"
    npts = int(np.prod(m.shape))
    head = (
        f"StabilityMap of {m.model_name!r}: {npts} points ({kind} {shape}), {m.method}, "
        f"{m.seconds:.3g} s"
    )
    if m.axes is not None:
        lines = [
            f"{name}: {summarize_array(ax)}"
            for name, ax in zip(m.parameter_names, m.axes, strict=False)
        ]
    else:
        vals = np.asarray(m.values, dtype=float)
        lines = [
            f"{name}: {summarize_array(vals[:, k])}" for k, name in enumerate(m.parameter_names)
        ]
    if m.fixed:
        lines.append(
            "fixed: " + shorten(", ".join(f"{k}={v:.6g}" for k, v in m.fixed.items()), 100)
        )
    if m.boundaries:
        lines.append(f"{len(m.boundaries)} analytic boundaries (.boundaries)")
    total = max(sum(m.counts.values()), 1)
    ranked = sorted(m.counts.items(), key=lambda kv: -kv[1])
    rows = [[name, k, f"{100 * k / total:.1f}%"] for name, k in ranked]
    return Summary(
        head,
        lines,
        [Table("classes", ["class", "points", "share"], rows)],
        notes=tuple(m.notes),
        footer=".plot() draws the map",
    )


def stability_map_text(m: Any) -> str:
    """A stability map in a few lines (the text of :func:`stability_map_summary`).

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
    >>> from incentive_geometry.display import stability_map_text
    >>> m = ig.Model.from_equations({"x": "x*(r - x)"}, parameters={"r": 1.0})
    >>> print(stability_map_text(ig.sweep(m, {"r": np.array([-1.0, 1.0])})))
    ... # doctest: +ELLIPSIS
    StabilityMap of 'model': 2 points (grid 2), closed_form, ...
      r: 2 values in [-1, 1]
      classes:
        class     points  share
        x=0 only  1       50.0%
        x=r only  1       50.0%
      .plot() draws the map
    """
    return stability_map_summary(m).text()


def stability_map_html(m: Any) -> str:
    """A stability map as HTML (the HTML of :func:`stability_map_summary`).

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
    return stability_map_summary(m).html()


# --------------------------------------------------------------------------------------------
# CheckReport (proofs.check)

#: Significant digits of a counterexample's coordinates; more where two points would read alike.
POINT_DIGITS = 6
#: Points that agree to this many significant digits in every coordinate are the same point.
SAME_POINT_DIGITS = 10


def show_value(value: Any) -> str:
    """A predicted or observed value in words: booleans as ``true``/``false``, floats short.

    Parameters
    ----------
    value : Any

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.display import show_value
    >>> show_value(np.True_), show_value(0.1 + 0.2), show_value(np.array([1.0, 3.0]))
    ('true', '0.3', 'mean 2 of 2 draws')
    """
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    if isinstance(value, np.ndarray) and value.size > 1:
        return f"mean {float(np.mean(value)):.6g} of {value.size} draws"
    return shorten(str(value), 60)


def _point(params: dict[str, float], digits: int, sep: str = "=") -> str:
    return ", ".join(f"{k}{sep}{float(v):.{digits}g}" for k, v in params.items())


def distinct_counterexamples(r: Any, *, sep: str = "=") -> list[tuple[str, Any]]:
    """The report's counterexamples at distinct points, each with its point as text.

    Two counterexamples at the same point (equal to :data:`SAME_POINT_DIGITS` significant
    digits, as refinement may push several samples to one corner of the box) are shown once;
    two distinct points that read alike at :data:`POINT_DIGITS` digits are shown with as many
    more digits as tell them apart.

    Parameters
    ----------
    r : CheckReport
    sep : str
        Between a name and its value (``"="``, or ``" = "`` in the markdown report).

    Returns
    -------
    list of (str, Counterexample)

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from incentive_geometry.display import distinct_counterexamples
    >>> from incentive_geometry.proofs.check import Counterexample
    >>> ces = [Counterexample({"a": 1.0}, True, False), Counterexample({"a": 1.0}, True, False),
    ...        Counterexample({"a": 0.1234567}, True, False),
    ...        Counterexample({"a": 0.1234568}, True, False)]
    >>> [p for p, _ in distinct_counterexamples(SimpleNamespace(counterexamples=ces))]
    ['a=1', 'a=0.1234567', 'a=0.1234568']
    """
    kept: list[Any] = []
    seen: set[str] = set()
    for c in r.counterexamples:
        key = _point(c.params, SAME_POINT_DIGITS)
        if key not in seen:
            seen.add(key)
            kept.append(c)
    out = []
    for c in kept:
        digits = POINT_DIGITS
        # More digits until no other kept point reads the same (distinct at SAME_POINT_DIGITS).
        while digits < SAME_POINT_DIGITS and any(
            o is not c and _point(o.params, digits) == _point(c.params, digits) for o in kept
        ):
            digits += 1
        out.append((_point(c.params, digits, sep), c))
    return out


def disagreements(r: Any) -> int:
    """How many compared points of a check disagree with the prediction (all counterexamples,
    of which the report refines and shows at most ``max_counterexamples``).

    Parameters
    ----------
    r : CheckReport

    Returns
    -------
    int

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from incentive_geometry.display import disagreements
    >>> disagreements(SimpleNamespace(evaluated=200, agreement=0.985))
    3
    """
    return int(r.evaluated - round(r.agreement * r.evaluated))


def counterexample_caption(r: Any, shown: int) -> str:
    """``N counterexamples, K shown`` for a report with `shown` distinct points shown.

    Parameters
    ----------
    r : CheckReport
    shown : int

    Returns
    -------
    str

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from incentive_geometry.display import counterexample_caption
    >>> counterexample_caption(SimpleNamespace(evaluated=200, agreement=0.985), 2)
    '3 counterexamples, 2 shown'
    """
    n = max(disagreements(r), shown)
    return f"{n} counterexample{'' if n == 1 else 's'}, {shown} shown"


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


_VERDICT_COLOUR = {"confirmed": "#1a7f37", "refuted": "#cf222e", "inconclusive": "#9a6700"}


def check_report_summary(r: Any) -> Summary:
    """What a check's report shows: verdict, counts, rule, confusion, counterexamples.

    Parameters
    ----------
    r : CheckReport
        From :func:`incentive_geometry.check`.

    Returns
    -------
    Summary

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.display import check_report_summary
    >>> c = ig.Claim(name="c", statement="", prediction="a > 0", observe=lambda p: p["a"] > 0,
    ...              domain={"a": (-1.0, 1.0)})
    >>> check_report_summary(ig.check(c, samples=16)).head
    'c: CONFIRMED  a > 0'
    """
    head = f"{r.claim}: {r.verdict.upper()}  {shorten(r.prediction, 100)}"
    colour = _VERDICT_COLOUR.get(r.verdict, "inherit")
    head_html = (
        f'<b>{escape(r.claim)}</b>: <b style="color:{colour}">{escape(r.verdict)}</b>'
        f"<br>prediction: <code>{escape(shorten(r.prediction, 300))}</code>"
    )
    lines = [shorten(r.statement, 200)] if r.statement else []
    lines.append(_report_counts(r))
    if r.boundary_error is not None:
        lines.append(f"boundary error {r.boundary_error:.3g} (box units, {r.boundary_rays} rays)")
    if r.rule:
        lines.append(f"rule: {r.rule}")
    if r.reason:
        lines.append(shorten(r.reason, 300))
    tables = []
    if r.confusion:
        tables.append(
            Table("confusion", ["predicted / observed", "points"], list(r.confusion.items()))
        )
    if r.counterexamples:
        shown = distinct_counterexamples(r)
        rows = [
            [point, show_value(c.predicted), show_value(c.observed), shorten(c.evidence, 80)]
            for point, c in shown
        ]
        tables.append(
            Table(
                counterexample_caption(r, len(rows)),
                ["point", "predicted", "observed", "evidence"],
                rows,
                text_rows=5,
            )
        )
    return Summary(head, lines, tables, head_html=head_html)


def check_report_text(r: Any) -> str:
    """A check's report in a few lines (the text of :func:`check_report_summary`).

    Parameters
    ----------
    r : CheckReport

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
    return check_report_summary(r).text()


def check_report_html(r: Any) -> str:
    """A check's report as HTML (the HTML of :func:`check_report_summary`).

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
    return check_report_summary(r).html()
