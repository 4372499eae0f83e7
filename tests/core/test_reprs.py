"""Reprs of the results (issue 17): short text in a terminal, HTML tables and LaTeX in Jupyter.

Each repr is taken of a real object of the canonical entrenchment model or the Brusselator and
checked for content known from the theory (DESIGN: x = 0 stable iff alpha (1 - theta) b <
theta c, theta* = alpha (b + gamma) / (alpha (b + gamma) + c), the interior point never stable;
Brusselator: Hopf at b = 1 + a^2, Prigogine and Lefever 1968), for escaping of user text and
for size (a 100 x 100 map prints in a few lines).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy

import incentive_geometry as ig
from incentive_geometry import display
from incentive_geometry.language import parse_condition, parse_expression

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPT = "<script>alert(1)</script>"


class _Cells(HTMLParser):
    """Rows of the tables in an HTML fragment, and whether any tag is a script."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def same_condition(a: Any, b: Any, names: list[Any], trials: int = 500) -> bool:
    """Two conditions agree at random positive points (theta in (0, 1))."""
    rng = np.random.default_rng(1)
    point = [rng.uniform(0.001, 0.999, trials) for _ in names]
    fa, fb = (sympy.lambdify(list(names), c, "numpy") for c in (a, b))
    return bool(
        np.array_equal(np.broadcast_to(fa(*point), trials), np.broadcast_to(fb(*point), trials))
    )


def cells(html: str) -> _Cells:
    p = _Cells()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def canon() -> tuple[ig.Model, Any]:
    m = ig.theory.entrenchment()
    return m, ig.equilibria(m)


@pytest.fixture(scope="module")
def brusselator() -> ig.Model:
    return ig.load_model(EXAMPLES / "brusselator.toml")


def test_equilibrium_set_text_has_no_internal_strings(canon: Any) -> None:
    _, eqs = canon
    text = repr(eqs)
    assert "case=" not in text and " ; " not in text and "Equilibrium(point" not in text
    assert "3 equilibria of 'entrenchment' (complete)" in text
    assert "x = 0" in text and "x = 1" in text
    assert len(text.splitlines()) <= 6
    assert str(eqs[0]) == "(x = 0)  exists always"


def test_equilibrium_set_html_one_row_per_equilibrium(canon: Any) -> None:
    m, eqs = canon
    p = cells(eqs._repr_html_())
    body = p.rows[1:]
    assert len(body) == len(eqs) == 3
    by_point = {row[1]: row for row in body}
    # The theory's stability of each equilibrium (DESIGN), in the table's stability column.
    assert by_point["$x = 0$"][3] == "$" + sympy.latex(ig.stability(m, eqs[0]).condition) + "$"
    assert "\\theta" in by_point["$x = 0$"][3] and "\\alpha" in by_point["$x = 0$"][3]
    interior = [r for r in body if "gamma" in r[1]]
    assert len(interior) == 1 and interior[0][3] == "never stable"


def test_existence_condition_latex_and_text_read_back(canon: Any) -> None:
    m, eqs = canon
    interior = next(e for e in eqs if e.exists is not sympy.true)
    tex = display.cond_latex(interior.exists)
    for piece in ("\\theta", "\\alpha", "\\gamma", "\\geq", "\\leq", "\\wedge"):
        assert piece in tex
    # The text form is model text: the parser reads it back to the same condition.
    back = parse_condition(display.cond_text(interior.exists), m.symbols)
    assert back == interior.exists or same_condition(back, interior.exists, m.parameter_symbols)
    latex = eqs._repr_latex_()
    assert latex.startswith("$\\begin{array}") and latex.count("\\\\") == len(eqs)


def test_stability_and_threshold_reprs_state_the_theory(canon: Any) -> None:
    m, eqs = canon
    alpha, theta, b, gamma, c = (m.symbol(n) for n in ("alpha", "theta", "b", "gamma", "c"))
    st0 = ig.stability(m, eqs[0])
    assert "Stability(condition" not in repr(st0)
    # x = 0 stable iff alpha (1 - theta) b < theta c: the repr's condition reads back to it.
    shown = repr(st0).removeprefix("<Stability: stable when ").split(",")[0].split(";")[0]
    back = parse_condition(shown.rstrip(">"), m.symbols)
    assert same_condition(back, alpha * (1 - theta) * b < theta * c, m.parameter_symbols)
    st2 = ig.stability(m, eqs[2])
    assert "never stable where it exists" in repr(st2) and "never stable" in str(st2)
    th = ig.threshold(m, eqs[1], "theta")
    star = alpha * (b + gamma) / (alpha * (b + gamma) + c)
    assert sympy.simplify(th.values[0] - star) == 0
    assert repr(th).startswith("<Threshold theta* = ") and "Threshold(parameter" not in repr(th)
    assert th._repr_latex_().startswith("$\\theta^* = \\frac{")
    assert len(cells(th._repr_html_()).rows) == 1 + len(th)


def test_bifurcation_condition_reprs(canon: Any, brusselator: ig.Model) -> None:
    m, eqs = canon
    (tc,) = ig.bifurcations(m, eqs[1])
    assert repr(tc).startswith("<BifurcationCondition transcritical of x = 1 at ")
    assert "equilibrium=Equilibrium" not in repr(tc)
    (e,) = ig.equilibria(brusselator)
    hopf = next(bc for bc in ig.bifurcations(brusselator, e) if bc.kind == "hopf")
    # Hopf of the Brusselator at b = 1 + a^2 (Prigogine and Lefever 1968), supercritical.
    assert "a**2 + 1 == b" in repr(hopf) and "supercritical when always" in repr(hopf)
    assert hopf._repr_latex_() == "$\\text{hopf at } a^{2} + 1 = b$"
    rows = {r[0]: r[1] for r in cells(hopf._repr_html_()).rows[1:]}
    assert rows["kind"] == "hopf" and rows["equilibrium"] == "$x = a, y = \\frac{b}{a}$"


def test_model_html_escapes_user_text() -> None:
    m = ig.Model.from_equations(
        {"x": "-a*x"}, parameters={"a": {"default": 1, "meaning": SCRIPT}}, name=SCRIPT
    )
    html = m._repr_html_()
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "script" not in cells(html).tags
    assert "\\dot{x} &amp;= - a x" in html
    eqs = ig.equilibria(m)
    assert "<script" not in eqs._repr_html_()


def test_model_html_shows_equations_and_parameters(brusselator: ig.Model) -> None:
    p = cells(brusselator._repr_html_())
    assert [r[0] for r in p.rows[1:]] == ["$a$", "$b$"]
    assert p.rows[1][3] == "feed rate of x"
    assert "\\dot{y} &amp;= b x - x^{2} y" in brusselator._repr_html_()


def test_branch_reprs_on_the_brusselator(brusselator: ig.Model) -> None:
    br = ig.continuation(brusselator, "b", x0={"x": 1.0, "y": 2.5}, p_range=(1.0, 3.0))
    text = display.branch_text(br)
    lines = text.splitlines()
    assert lines[0].startswith(f"Branch in b: {len(br.p)} points, b from 1 to 3")
    # Stable below the Hopf point b = 1 + a^2 = 2, unstable above.
    runs = re.findall(r"(stable|unstable) from b = ([\d.]+) to ([\d.]+)", lines[1])
    assert [r[0] for r in runs] == ["stable", "unstable"]
    assert abs(float(runs[0][2]) - 2) < 0.05 and abs(float(runs[1][1]) - 2) < 0.05
    assert "hopf" in text and "supercritical" in text
    p = cells(display.branch_html(br))
    assert len(p.rows) == 1 + len(br.bifurcations)
    assert p.rows[1][0] == "hopf" and abs(float(p.rows[1][1]) - 2.0) < 1e-6


def test_stability_map_repr_is_a_summary(canon: Any) -> None:
    m, _ = canon
    sm = ig.sweep(m, {"theta": np.linspace(0, 1, 100), "b": np.linspace(0, 1, 100)})
    text = display.stability_map_text(sm)
    assert len(text.splitlines()) < 20 and len(text) < 2000
    assert "grid 100 x 100" in text and "theta: 100 values in [0, 1]" in text
    for name, k in sm.counts.items():
        assert re.search(rf"{re.escape(name)}\s+{k}\s", text)
    # Bistability where both vertex conditions hold (DESIGN), at alpha = gamma = c = 1:
    # b (1 - theta) < theta and (b + 1) (1 - theta) > theta.
    T, B = np.meshgrid(np.linspace(0, 1, 100), np.linspace(0, 1, 100), indexing="ij")
    expected = int(np.sum((B * (1 - T) < T) & ((B + 1) * (1 - T) > T)))
    assert abs(sm.counts["x=0 + x=1 (bistable)"] - expected) <= 5
    p = cells(display.stability_map_html(sm))
    assert len(p.rows) == 1 + len(sm.counts)
    assert sum(int(r[1]) for r in p.rows[1:]) == 100 * 100


@pytest.fixture(scope="module")
def shifted() -> tuple[Any, Any]:
    """A wrong claim (the observation shifts the boundary by 5%) and its refuting report."""
    claim = ig.Claim(
        name=SCRIPT,
        statement="x = 0 is stable",
        model=ig.theory.entrenchment(),
        prediction="alpha*(1 - theta)*b < theta*c",
        observe=lambda p: p["theta"] * (p["alpha"] * p["b"] + p["c"]) > 1.05 * p["alpha"] * p["b"],
        domain={"theta": (0.0, 1.0), "b": (0.0, 1.0)},
    )
    return claim, ig.check(claim, samples=64, seed=0)


def test_check_report_reprs(shifted: Any) -> None:
    _, r = shifted
    assert r.verdict == "refuted" and r.counterexamples
    text = display.check_report_text(r)
    assert text.splitlines()[0].startswith(f"{SCRIPT}: REFUTED")
    assert f"{r.evaluated} of {r.samples} points compared" in text
    html = display.check_report_html(r)
    assert "<script" not in html and "script" not in cells(html).tags
    p = cells(html)
    table = [row for row in p.rows if len(row) == 4]
    assert len(table) == 1 + min(len(r.counterexamples), display.MAX_ROWS)
    assert table[1][1] == "true" and table[1][2] == "false"


def test_table_helpers() -> None:
    assert display.text_table(["a"], []) == ["  a"]
    rows = [[display.Math("x < 1"), "<b>"]]
    html = display.html_table(["c", "d"], rows)
    assert "<td>$x &lt; 1$</td><td>&lt;b&gt;</td>" in html
    assert display.summarize_array([np.nan, 1.0, 2.0]) == "3 values in [1, 2] (1 not finite)"
    assert display.math("x" * (display.LATEX_LIMIT + 1)).startswith("<i>(a formula of")


def test_bifurcations_print_as_a_table_and_stay_a_list(canon: Any, brusselator: ig.Model) -> None:
    m, eqs = canon
    found = ig.bifurcations(m, eqs[2])
    # The interior point meets each end state at its transcritical point (DESIGN): two rows.
    assert isinstance(found, list) and len(found) == 2 and found == list(found)
    assert {bc.kind for bc in found} == {"transcritical"}
    text = repr(found)
    assert text.startswith("<2 bifurcation conditions of x = ") and "[<Bifurcation" not in text
    lines = text.splitlines()
    assert lines[1].split() == ["kind", "at"] and len(lines) == 4
    assert all(line.lstrip().startswith("transcritical") for line in lines[2:])
    p = cells(found._repr_html_())
    assert p.rows[0] == ["kind", "at"] and len(p.rows) == 3
    assert "\\theta" in p.rows[1][1]
    assert found._repr_latex_().count("\\text{transcritical}") == 2
    (e,) = ig.equilibria(brusselator)
    hopf = ig.bifurcations(brusselator, e)
    # Hopf of the Brusselator at b = 1 + a^2, supercritical (Prigogine and Lefever 1968).
    row = repr(hopf).splitlines()[2].split(None, 1)
    assert row[0] == "hopf" and "a**2 + 1 == b" in row[1] and "supercritical when always" in row[1]
    assert cells(hopf._repr_html_()).rows[0] == ["kind", "at", "supercritical when"]


def test_interior_equilibrium_prints_in_a_researchers_form(canon: Any) -> None:
    m, eqs = canon
    alpha, theta, b, gamma, c = (m.symbol(n) for n in ("alpha", "theta", "b", "gamma", "c"))
    interior = next(e for e in eqs if e.exists is not sympy.true)
    # docs/theory.md: x* = (theta c / (alpha (1 - theta)) - b) / gamma.
    closed = (theta * c / (alpha * (1 - theta)) - b) / gamma
    shown = display.expr_text(interior.point[m.states[0]])
    assert shown == "(alpha*b*theta - alpha*b + c*theta)/(alpha*gamma*(1 - theta))"
    # The text is model text: it reads back to the closed form.
    back = parse_expression(shown, m.symbols)
    assert sympy.simplify(back - closed) == 0
    assert display.expr_latex(interior.point[m.states[0]]) == (
        "\\frac{\\alpha b \\theta - \\alpha b + c \\theta}{\\alpha \\gamma \\left(1 - \\theta\\right)}"
    )
    assert "theta - 1" not in repr(eqs) and "-(alpha" not in str(eqs)


def test_tidy_keeps_the_value_and_leaves_large_expressions() -> None:
    a, b, x, t = sympy.symbols("a b x theta")
    cases = {
        -((a - b) ** 2) / (t - 1): "(a - b)**2/(1 - theta)",
        (-(a**2) - 2) / (2 * a * (2 * a**2 + 1)): "-(a**2 + 2)/(2*a*(2*a**2 + 1))",
        x**2 - 2 * x + 1: "(x - 1)**2",
        2 * a + 2 * b: "2*(a + b)",
        b / a: "b/a",
    }
    for expr, text in cases.items():
        assert display.expr_text(expr) == text
        assert sympy.simplify(display.tidy(expr) - expr) == 0
    big = sum((a + b * x) ** k for k in range(1, 12))
    assert display.tidy(big) is big  # beyond the size bound: unchanged, never factored
    assert display.tidy(sympy.sin(a) + a) == sympy.sin(a) + a  # not a rational function
    # Random quotients of small polynomials: the tidy form has the same value everywhere.
    rng = np.random.default_rng(3)
    syms = [a, b, x, t]
    changed = 0
    for _ in range(40):
        terms = [
            int(rng.integers(-3, 4)) * sympy.Mul(*rng.choice(syms, int(rng.integers(0, 3))))
            for _ in range(4)
        ]
        expr = sympy.Add(*terms[:2]) / (sympy.Add(*terms[2:]) + sympy.Integer(1) / 3)
        shown = display.tidy(expr)
        point = {s: sympy.Rational(int(rng.integers(1, 50)), 7) for s in syms}
        assert sympy.nsimplify(shown.subs(point) - expr.subs(point)) == 0
        changed += display.expr_text(expr) != sympy.sstr(expr)
    assert changed >= 10  # most of them are rewritten, so the check bites


def test_counterexamples_distinct_after_rounding(tmp_path: Path, shifted: Any) -> None:
    from dataclasses import replace

    from incentive_geometry.proofs.catalogue import Entry
    from incentive_geometry.proofs.report import Verification, write_report

    claim, r = shifted
    ce = r.counterexamples[0]
    # The same point twice (equal to 1e-13), and two points that read alike at 6 digits.
    again = replace(ce, params={k: v * (1 + 1e-13) for k, v in ce.params.items()})
    near = [replace(ce, params={"theta": th, "b": 0.5}) for th in (0.1234567, 0.1234568)]
    rr = replace(r, counterexamples=(ce, again, *near))
    # All disagreements, counted independently from the confusion table.
    total = r.confusion.get("pred T / obs F", 0) + r.confusion.get("pred F / obs T", 0)
    caption = f"{total} counterexamples, 3 shown"
    text = display.check_report_text(rr)
    assert f"{caption}:" in text
    rows = [line.strip() for line in text.splitlines() if line.strip().startswith("theta=")]
    points = [row.split("  ")[0] for row in rows]
    assert len(points) == len(set(points)) == 3
    assert "theta=0.1234567, b=0.5" in points and "theta=0.1234568, b=0.5" in points
    p = cells(display.check_report_html(rr))
    table = [row for row in p.rows if len(row) == 4]
    assert len(table) == 1 + 3 and f"<caption>{caption}</caption>" in display.check_report_html(rr)
    md, _ = write_report(Verification((Entry("test", claim),), (rr,)), tmp_path, samples=64, seed=0)
    block = md.read_text()
    assert f"Counterexamples ({caption}):" in block
    shown = [line for line in block.splitlines() if line.startswith("- at ")]
    assert len(shown) == 3 and len({line.split(":")[0] for line in shown}) == 3
    assert any("theta = 0.1234567, b = 0.5" in line for line in shown)
    assert "predicted true, observed false" in shown[0]
