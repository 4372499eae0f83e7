"""The safe model language: what it accepts, what it builds, and that it prints back exactly."""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import incentive_geometry as ig
from incentive_geometry.language import (
    ParserLimits,
    check_expression,
    parse_condition,
    parse_expression,
    to_text,
    validate_name,
)

X = sympy.Symbol("x", real=True)
A = sympy.Symbol("a", positive=True)
NAMES = {"x": X, "a": A}


def parse(text: str) -> sympy.Expr:
    return parse_expression(text, NAMES, where="test")


def test_arithmetic_builds_the_expected_expression() -> None:
    assert parse("a - (a + 1)*x + x**2") == A - (A + 1) * X + X**2
    assert parse("-x") == -X
    assert parse("+x") == X
    assert parse("x/a/2") == X / (2 * A)


def test_decimals_become_exact_rationals() -> None:
    assert parse("0.1*x") == sympy.Rational(1, 10) * X
    assert parse("1e-3") == sympy.Rational(1, 1000)
    assert parse("2.5e2") == 250


def test_functions_and_constants() -> None:
    assert parse("exp(x) + log(a) + sqrt(a)") == sympy.exp(X) + sympy.log(A) + sympy.sqrt(A)
    assert parse("Min(x, a) + Max(x, 1) + Abs(x)") == sympy.Min(X, A) + sympy.Max(X, 1) + abs(X)
    assert parse("tanh(x)*sin(pi*x) + E") == sympy.tanh(X) * sympy.sin(sympy.pi * X) + sympy.E


def test_conditionals_become_piecewise() -> None:
    expr = parse("x if x > 0 and a < 2 else -x")
    assert expr == sympy.Piecewise((X, sympy.And(X > 0, A < 2)), (-X, True))
    assert expr.subs(X, -3) == 3


def test_chained_comparison_means_and() -> None:
    assert parse_condition("0 < x < 1", NAMES) == sympy.And(sympy.Lt(0, X), sympy.Lt(X, 1))


def test_long_sums_parse_fast() -> None:
    text = " + ".join(f"{i}*x" for i in range(1, 1500))
    assert parse(text) == sum(range(1, 1500)) * X


def test_caret_points_at_the_unknown_name() -> None:
    try:
        parse("a*x + thetta")
    except ig.ModelError as err:
        assert err.summary.startswith("test, line 1, column 7: unknown name `thetta`")
        assert err.context.splitlines()[1].index("^") == err.context.splitlines()[0].index("thetta")
    else:
        raise AssertionError("an unknown name must be refused")


def test_unknown_name_suggests_the_closest_declared_names() -> None:
    names = {"theta": sympy.Symbol("theta"), "gamma": sympy.Symbol("gamma")}
    try:
        parse_expression("thetta", names)
    except ig.ModelError as err:
        assert "`theta`" in str(err)


def test_limits_are_configurable() -> None:
    tight = ParserLimits(max_length=5)
    try:
        parse_expression("x + x + x", NAMES, limits=tight)
    except ig.ModelError as err:
        assert "at most 5" in str(err)
    else:
        raise AssertionError("the length limit must hold")
    try:
        ParserLimits(max_depth=0)
    except ig.ModelError as err:
        assert "max_depth" in str(err)


def test_validate_name_accepts_ordinary_names() -> None:
    for name in ("theta", "x_1", "b2", "alphaPrime", "gamma", "beta", "N", "S"):
        assert validate_name(name, what="parameter") == name


def test_check_expression_rationalizes_floats_and_refuses_complex() -> None:
    assert check_expression(0.25 * X, NAMES) == X / 4
    for bad in (sympy.I * X, sympy.oo * X, sympy.zoo):
        try:
            check_expression(bad, NAMES)
        except ig.ModelError:
            continue
        raise AssertionError(f"{bad} must be refused")


# Round trip: any expression of the language prints to text that parses to the same expression.

leaves = st.sampled_from([X, A, sympy.Integer(2), sympy.Rational(1, 3), sympy.Rational(-5, 2)])


def _extend(children: st.SearchStrategy[sympy.Expr]) -> st.SearchStrategy[sympy.Expr]:
    return st.one_of(
        st.tuples(children, children).map(lambda p: p[0] + p[1]),
        st.tuples(children, children).map(lambda p: p[0] * p[1]),
        st.tuples(children, children).map(lambda p: p[0] - p[1]),
        st.tuples(children, st.sampled_from([2, 3, -1])).map(lambda p: p[0] ** p[1]),
        children.map(lambda c: sympy.sqrt(sympy.Abs(c))),
        children.map(sympy.exp),
        children.map(sympy.tanh),
        children.map(sympy.Abs),
        st.tuples(children, children).map(lambda p: sympy.Max(p[0], p[1])),
        st.tuples(children, children).map(
            lambda p: sympy.Piecewise((p[0], p[1] < X), (p[1], True))
        ),
    )


def _numbers_in_range(expr: sympy.Expr) -> bool:
    """Every number sympy keeps symbolic lies in 2**-2048 < |v| < 2**2048, or is zero.

    The language refuses larger ones (`exp(exp(exp(2)))` is about 10**703): sympy would evaluate
    `sin(exp(10**30))` without end. Checked innermost first, so no huge number is evaluated.
    """
    for sub in sympy.postorder_traversal(expr):
        if sub.is_number and not sub.is_Rational:
            size = sympy.Abs(sub.evalf(15))
            if size != 0 and not -2048 < float(sympy.log(size, 2).evalf(15)) < 2048:
                return False
    return True


# Real, finite expressions only: the language refuses complex and infinite values, and numbers
# beyond its bounds.
expressions = st.recursive(leaves, _extend, max_leaves=8).filter(
    lambda e: not e.has(sympy.I, sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
    and _numbers_in_range(e)
)


@settings(max_examples=150, deadline=None)
@given(expressions)
def test_print_then_parse_is_the_identity(expr: sympy.Expr) -> None:
    back = parse(to_text(expr))
    if back != expr:
        # sympy's automatic simplification is not idempotent in rare nestings (Abs(Abs(2*x)) is
        # kept as 2*Abs(Abs(x)) but rebuilt as 2*Abs(x)): then the two must agree in value...
        for xv, av in ((0.7, 1.3), (-1.1, 0.4), (2.3, 2.9)):
            values = {X: sympy.Rational(xv), A: sympy.Rational(av)}
            assert (
                abs(complex(back.subs(values).evalf()) - complex(expr.subs(values).evalf())) < 1e-9
            )
        # ...and the printed form must be a fixed point, so a model file round-trips exactly.
        assert parse(to_text(back)) == back


@settings(max_examples=60, deadline=None)
@given(st.lists(expressions, min_size=1, max_size=3))
def test_conditions_round_trip(parts: list[sympy.Expr]) -> None:
    cond = sympy.And(*(p > 0 for p in parts))
    if cond in (sympy.true, sympy.false):
        return
    back = parse_condition(to_text(cond), NAMES)
    if back != cond:
        # As for expressions: equal in value, and the printed form is a fixed point.
        for xv, av in ((0.7, 1.3), (-1.1, 0.4), (2.3, 2.9)):
            values = {X: sympy.Rational(xv), A: sympy.Rational(av)}
            assert bool(back.subs(values)) == bool(cond.subs(values))
        assert parse_condition(to_text(back), NAMES) == back
