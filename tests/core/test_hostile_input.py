"""A corpus of hostile and malformed model input.

Every case must raise ModelError (a ValueError) within one second and run nothing: payloads that
would create a canary file if any of their text were executed leave no file behind.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import incentive_geometry as ig

Case = tuple[str, Callable[[Path], Any]]


def eq(text: Any, **params: Any) -> Callable[[Path], Any]:
    """A case: a one-state model whose right-hand side is `text`."""

    def build(_: Path) -> Any:
        return ig.Model.from_equations({"x": text}, parameters=params or {"a": 1.0})

    return build


def payload(template: str) -> Callable[[Path], Any]:
    """A case whose text would create the canary file if it were executed."""

    def build(tmp: Path) -> Any:
        canary = tmp / "CANARY"
        return ig.Model.from_equations(
            {"x": template.format(canary=str(canary))}, parameters={"a": 1.0}
        )

    return build


def toml(text: str | bytes) -> Callable[[Path], Any]:
    def build(tmp: Path) -> Any:
        path = tmp / "model.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text.replace("{canary}", str(tmp / "CANARY")))
        return ig.load_model(path)

    return build


GOOD_TOML = '[equations]\nx = "-a*x"\n[parameters]\na = 1.0\n'

CASES: list[Case] = [
    # code execution attempts
    ("import via __import__", payload("__import__('os').system('touch {canary}')")),
    ("open() builtin", payload("open('{canary}', 'w')")),
    ("exec builtin", payload("exec(\"open('{canary}', 'w')\")")),
    ("eval builtin", payload("eval(\"open('{canary}', 'w')\")")),
    ("lambda called", payload("(lambda: __import__('os').system('touch {canary}'))()")),
    ("list comprehension", payload("[__import__('os').system('touch {canary}') for _ in [1]]")),
    ("generator expression", payload("sum(open('{canary}', 'w') for _ in [1])")),
    ("dict comprehension", payload("{{k: open('{canary}', 'w') for k in [1]}}")),
    ("attribute chain to subclasses", eq("x.__class__.__bases__[0].__subclasses__()")),
    ("attribute access", eq("a.real")),
    ("subscript", eq("a[0]")),
    ("f-string", payload("f\"{{__import__('os').system('touch {canary}')}}\"")),
    ("walrus", payload("(y := __import__('os'))")),
    ("conditional hiding a call", payload("x if __import__('os').system('touch {canary}') else x")),
    ("__builtins__ name", eq("__builtins__")),
    ("dunder name", eq("__class__")),
    ("getattr builtin", eq("getattr(x, '__class__')")),
    ("globals builtin", eq("globals()")),
    ("breakpoint builtin", eq("breakpoint()")),
    ("sympify by name", eq("sympify('x')")),
    ("Symbol constructor", eq("Symbol('x')")),
    ("keyword argument trick", eq("exp(x=1)")),
    ("double-star keyword trick", eq("exp(**{'x': 1})")),
    ("starred argument", eq("Max(*[x, a])")),
    ("string literal", eq("'rm -rf /'")),
    ("bytes literal", eq("b'x'")),
    ("statement after semicolon", eq("x; import os")),
    ("newline then a statement", eq("x\nimport os")),
    ("null byte", eq("x\x00")),
    # resource exhaustion
    ("huge tower of powers", eq("9**9**9")),
    ("huge numeric exponent", eq("x**10**6")),
    ("power of a huge number", eq("(10**100)**100")),
    ("deep parentheses", eq("(" * 10_000 + "x" + ")" * 10_000)),
    ("deep unary minus", eq("-" * 10_000 + "x")),
    ("deep call nesting", eq("exp(" * 200 + "x" + ")" * 200)),
    ("enormous text", eq("x + " * 2_000_000 + "x")),
    ("too many nodes", eq("+".join(["x"] * 9_000))),
    ("integer literal with 5000 digits", eq("1" * 5_000)),
    ("integer literal with 100 digits", eq("1" * 100)),
    ("float literal out of range", eq("1e400")),
    ("complex literal", eq("1j*x")),
    # not values, not the language
    ("xor for power", eq("x^2")),
    ("floor division", eq("x//2")),
    ("modulo", eq("x % 2")),
    ("matrix product", eq("x @ x")),
    ("bit inversion", eq("~x")),
    ("comparison as a value", eq("x < 1")),
    ("identity comparison in a condition", eq("x if a is 1 else 0")),
    ("membership test in a condition", eq("x if a in [1] else 0")),
    ("not as a value", eq("not x")),
    ("tuple", eq("x, a")),
    ("list", eq("[x]")),
    ("set", eq("{x}")),
    ("unknown function", eq("gamma(x)")),
    ("wrong arity", eq("Min(x)")),
    ("no arguments", eq("exp()")),
    ("division by zero", eq("x/0")),
    ("log of zero", eq("log(0)")),
    ("non-ASCII name", eq("θ*x")),
    ("unicode lookalike minus", eq("x − a")),
    ("syntax error", eq("x +* a")),
    ("unbalanced parenthesis", eq("(x + a")),
    ("empty equation", eq("")),
    ("whitespace-only equation", eq("   \n ")),
    ("bytes instead of text", eq(b"x")),
    ("None instead of text", eq(None)),
    ("undeclared name", eq("x + alpah", alpha=1.0)),
    # declarations
    ("NaN as default", eq("-a*x", a=float("nan"))),
    ("infinity as default", eq("-a*x", a=float("inf"))),
    ("negative infinity as default", eq("-a*x", a=float("-inf"))),
    ("string as default", eq("-a*x", a="one")),
    (
        "duplicate parameter names",
        lambda _: ig.Model.from_equations(
            {"x": "-a*x"}, parameters=[ig.Parameter("a", 1.0), ig.Parameter("a", 2.0)]
        ),
    ),
    (
        "state that is also a parameter",
        lambda _: ig.Model.from_equations({"x": "-a*x"}, parameters={"a": 1.0, "x": 2.0}),
    ),
    (
        "observable named like a state",
        lambda _: ig.Model.from_equations({"x": "-x"}, parameters={}, observables={"x": "2*x"}),
    ),
    ("state shadowing a function", lambda _: ig.Model.from_equations({"exp": "-1"}, parameters={})),
    ("parameter shadowing pi", eq("-x", pi=3.0)),
    ("parameter shadowing Min", eq("-x", Min=1.0)),
    ("parameter named I", eq("-x", I=1.0)),
    ("keyword as a name", eq("-x", **{"lambda": 1.0})),
    ("dunder parameter name", eq("-x", **{"__x": 1.0})),
    ("name too long", eq("-x", **{"a" * 100: 1.0})),
    ("no equations", lambda _: ig.Model.from_equations({}, parameters={})),
    ("bad time kind", lambda _: ig.Model.from_equations({"x": "-x"}, time="continuoos")),
    ("default outside its domain", eq("-a*x", a={"default": -1.0, "domain": "positive"})),
    ("reversed interval", eq("-a*x", a={"default": 0.5, "domain": [1, 0]})),
    ("unknown domain", eq("-a*x", a={"default": 0.5, "domain": "huge"})),
    ("unknown parameter key", eq("-a*x", a={"default": 0.5, "units": "m"})),
    (
        "noise for a non-state",
        lambda _: ig.Model.from_equations({"x": "-x"}, parameters={}, noise={"y": "1"}),
    ),
    (
        "simplex not preserved",
        lambda _: ig.Model.from_equations({"x": "x", "y": "y"}, parameters={}, simplex=True),
    ),
    # operations of the wrong kind
    (
        "continuous model asked to iterate",
        lambda _: ig.Model.from_equations({"x": "-x"}, parameters={}).iterate(2),
    ),
    (
        "discrete model asked to discretize (continuous-only)",
        lambda _: ig.Model.from_equations({"x": "x/2"}, parameters={}, time="discrete").discretize(
            0.1
        ),
    ),
    (
        "reduce_simplex without a simplex",
        lambda _: ig.Model.from_equations({"x": "-x"}, parameters={}).reduce_simplex(),
    ),
    (
        "with_parameters of an unknown name",
        lambda _: ig.Model.from_equations({"x": "-a*x"}, parameters={"a": 1}).with_parameters(b=1),
    ),
    (
        "with_parameters with NaN",
        lambda _: ig.Model.from_equations({"x": "-a*x"}, parameters={"a": 1}).with_parameters(
            a=float("nan")
        ),
    ),
    # model files
    ("non-UTF-8 bytes", toml(b'[equations]\nx = "-a*x\xff\xfe"\n')),
    ("invalid TOML", toml("[equations\nx = '-x'\n")),
    ("duplicate TOML keys", toml('[equations]\nx = "-x"\nx = "x"\n')),
    ("NaN default in TOML", toml('[equations]\nx = "-a*x"\n[parameters]\na = nan\n')),
    ("infinite default in TOML", toml('[equations]\nx = "-a*x"\n[parameters]\na = inf\n')),
    ("unknown top-level key", toml('colour = "red"\n' + GOOD_TOML)),
    ("equation given as a number", toml("[equations]\nx = 3\n")),
    (
        "payload in a model file",
        toml("[equations]\nx = \"__import__('os').system('touch {canary}')\"\n"),
    ),
    ("empty equations table", toml("[equations]\n")),
    ("missing equations table", toml("[parameters]\na = 1.0\n")),
    (
        "stochastic step written to TOML",
        lambda _: dataclasses.replace(
            ig.Model.from_equations({"x": "-x"}, parameters={}), stochastic_step=lambda *a: a[0]
        ).to_toml(),
    ),
]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({name for name, _ in CASES}) == len(CASES), "case names must be unique"


@pytest.mark.parametrize(("name", "build"), CASES, ids=[name for name, _ in CASES])
def test_hostile_input_is_refused_fast_and_runs_nothing(
    name: str, build: Callable[[Path], Any], tmp_path: Path
) -> None:
    start = time.perf_counter()
    with pytest.raises(ig.ModelError) as info:
        build(tmp_path)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"{name}: took {elapsed:.2f} s to refuse"
    assert isinstance(info.value, ValueError)
    assert not (tmp_path / "CANARY").exists(), f"{name}: the payload ran"
    message = str(info.value)
    assert message.strip(), "the error must say something"
    assert "Traceback" not in message
