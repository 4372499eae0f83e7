"""The Model core: construction, transformations, equality, display and file round trips."""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path

import pytest
import sympy

import incentive_geometry as ig

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

BRUSSELATOR = {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"}


def brusselator() -> ig.Model:
    return ig.Model.from_equations(
        BRUSSELATOR,
        parameters={"a": {"default": 1.0, "domain": "positive"}, "b": 2.5},
        name="brusselator",
    )


def replicator3() -> ig.Model:
    """Replicator dynamics of a 3x3 payoff matrix, on the simplex."""
    payoff = [["0", "-1", "1"], ["1", "0", "-1"], ["-1", "1", "0"]]
    names = ["x1", "x2", "x3"]
    fitness = [" + ".join(f"({payoff[i][j]})*{names[j]}" for j in range(3)) for i in range(3)]
    mean = " + ".join(f"{names[i]}*({fitness[i]})" for i in range(3))
    eqs = {names[i]: f"{names[i]}*(({fitness[i]}) - ({mean}))" for i in range(3)}
    return ig.Model.from_equations(eqs, parameters={}, simplex=True, name="rps")


# -- construction -----------------------------------------------------------------------------


def test_from_equations_orders_states_and_parameters() -> None:
    m = brusselator()
    assert m.state_names == ("x", "y")
    assert m.parameter_names == ("a", "b")
    x, y, a, b = (m.symbol(n) for n in ("x", "y", "a", "b"))
    assert m.rhs == (a - (b + 1) * x + x**2 * y, b * x - x**2 * y)
    assert a.is_positive and b.is_real and not b.is_positive
    assert m.defaults == {"a": 1.0, "b": 2.5}


def test_sympy_input_is_rebound_to_the_model_symbols() -> None:
    x, k = sympy.symbols("x k")  # no assumptions: rebound to the model's own symbols
    m = ig.Model.from_equations({"x": -k * x + 0.5}, parameters={"k": {"domain": "positive"}})
    assert m.rhs[0] == -m.symbol("k") * m.symbol("x") + sympy.Rational(1, 2)
    assert m.rhs[0].free_symbols == {m.symbol("k"), m.symbol("x")}


def test_observables_noise_and_constraints() -> None:
    m = ig.Model.from_equations(
        {"x": "-x + y", "y": "-y"},
        parameters={"s": 0.1},
        observables={"total": "x + y"},
        noise={"x": "s*x"},
        constraints=["x + y <= 10"],
    )
    x, y, s = m.symbol("x"), m.symbol("y"), m.symbol("s")
    assert m.observables_map == {"total": x + y}
    assert m.noise == (s * x, 0)
    assert m.is_stochastic
    assert m.constraints == (x + y <= 10,)


def test_simplex_states_default_to_shares() -> None:
    m = replicator3()
    assert all(d == ig.Domain.parse([0, 1]) for d in m.state_domains)


def test_parameter_domains_become_assumptions() -> None:
    m = ig.Model.from_equations(
        {"x": "-c*x"},
        parameters={
            "c": {"default": 1, "domain": "positive"},
            "t": {"default": 0.5, "domain": [0, 1]},
        },
    )
    assert m.symbol("c").is_positive is True
    assert m.symbol("t").is_nonnegative is True
    assert m.parameter("t").domain.condition(m.symbol("t")) == sympy.And(
        m.symbol("t") >= 0, m.symbol("t") <= 1
    )


def test_direct_construction_is_validated() -> None:
    x = sympy.Symbol("x", real=True)
    y = sympy.Symbol("y", real=True)
    with pytest.raises(ig.ModelError, match="unknown symbol `y`"):
        ig.Model(states=(x,), parameters=(), rhs=(x * y,))
    with pytest.raises(ig.ModelError, match="1 states but 2 right-hand sides"):
        ig.Model(states=(x,), parameters=(), rhs=(x, x))


# -- transformations --------------------------------------------------------------------------


def test_with_parameters_substitutes_exact_values() -> None:
    m = brusselator().with_parameters(a=1, b=0.1)
    assert m.parameter_names == ()
    x, y = m.states
    assert m.rhs == (1 - sympy.Rational(11, 10) * x + x**2 * y, x / 10 - x**2 * y)
    partial = brusselator().with_parameters(b=3)
    assert partial.parameter_names == ("a",)
    with pytest.raises(ig.ModelError, match="outside its domain"):
        brusselator().with_parameters(a=-1)


def test_iterate_composes_the_map() -> None:
    m = ig.load_model(EXAMPLES / "logistic_map.toml")
    x, r = m.symbol("x"), m.symbol("r")
    f = r * x * (1 - x)
    assert sympy.expand(m.iterate(2).rhs[0] - f.subs(x, f)) == 0
    assert sympy.expand(m.iterate(3).rhs[0] - f.subs(x, f).subs(x, f)) == 0
    assert m.iterate(1) is m
    # Period-2 points of the logistic map are fixed points of the second iterate.
    rv = sympy.Integer(4)
    p = (rv + 1 + sympy.sqrt((rv - 3) * (rv + 1))) / (2 * rv)
    assert sympy.simplify(m.iterate(2).rhs[0].subs({r: rv, x: p}) - p) == 0
    with pytest.raises(ig.ModelError, match="k"):
        m.iterate(0)


def test_discretize_gives_the_euler_map() -> None:
    m = brusselator()
    d = m.discretize(0.01)
    assert d.time == "discrete"
    for s, f, g in zip(m.states, m.rhs, d.rhs, strict=True):
        assert sympy.expand(g - (s + f / 100)) == 0
    # Same fixed points: (a, b/a) is fixed by the map too.
    a, b = m.symbol("a"), m.symbol("b")
    point = {m.states[0]: a, m.states[1]: b / a}
    assert [
        sympy.simplify(g.subs(point) - s.subs(point)) for s, g in zip(d.states, d.rhs, strict=True)
    ] == [0, 0]


def test_reduce_simplex_eliminates_one_share() -> None:
    m = replicator3()
    r = m.reduce_simplex()
    x1, x2, x3 = m.states
    assert r.states == (x1, x2)
    assert r.constraints == (x1 + x2 <= 1,)
    for f_full, f_red in zip(m.rhs[:2], r.rhs, strict=True):
        assert sympy.expand(f_full.subs(x3, 1 - x1 - x2) - f_red) == 0
    r1 = m.reduce_simplex(eliminate="x1")
    assert r1.state_names == ("x2", "x3")
    with pytest.raises(ig.ModelError, match="unknown state"):
        m.reduce_simplex(eliminate="z")


def test_simplex_invariance_is_checked_at_random_points() -> None:
    ok = replicator3()
    # Each equilibrium of the full replicator maps to one of the reduced model, in value.
    rng = random.Random(0)
    reduced = ok.reduce_simplex()
    for _ in range(5):
        u, v = sympy.Rational(rng.randint(1, 40), 100), sympy.Rational(rng.randint(1, 40), 100)
        full = sum(ok.rhs).subs(dict(zip(ok.states, (u, v, 1 - u - v), strict=True)))
        assert sympy.simplify(full) == 0
        assert reduced.rhs[0].subs(dict(zip(reduced.states, (u, v), strict=True))).is_finite


# -- identity and display ---------------------------------------------------------------------


def test_equality_and_hashing() -> None:
    a, b = brusselator(), brusselator()
    assert a == b and hash(a) == hash(b)
    assert a != a.with_parameters(b=3)
    assert len({a, b, a.with_parameters(b=3)}) == 2
    assert dataclasses.replace(a, name="other") != a


def test_models_are_immutable() -> None:
    m = brusselator()
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.name = "changed"  # type: ignore[misc]


def test_repr_str_and_latex() -> None:
    m = brusselator()
    assert repr(m) == "<Model 'brusselator': continuous, states (x, y), parameters (a=1.0, b=2.5)>"
    text = str(m)
    assert "dx/dt = a + x**2*y - x*(b + 1)" in text
    assert "a = 1.0  positive" in text
    latex = m._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and "\\dot{x} &=" in latex
    disc = ig.load_model(EXAMPLES / "logistic_map.toml")
    assert "x_{t+1} &= r x \\left(1 - x\\right)" in disc.to_latex()


# -- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_example_files_round_trip(path: Path) -> None:
    m = ig.load_model(path)
    again = ig.Model.from_toml(m.to_toml())
    assert again == m
    assert again.to_toml() == m.to_toml()


def test_text_to_model_to_toml_to_model_keeps_everything(tmp_path: Path) -> None:
    m = ig.Model.from_equations(
        {"x": "x*(1 - x)*(g if x > 1/2 else -g) + s*Abs(y)", "y": "-y + 0.125"},
        parameters={
            "g": {"default": 0.3, "domain": [0, 1], "meaning": "gain"},
            "s": {"domain": "nonnegative"},
        },
        observables={"alignment": "1 - x"},
        noise={"y": "s*sqrt(Abs(y))"},
        constraints=["x >= 0"],
        states={"x": {"domain": [0, 1], "meaning": "share"}},
        description="A test model.",
        references=["Nobody, A paper, 2020"],
        name="trip",
    )
    path = tmp_path / "trip.toml"
    path.write_text(m.to_toml())
    back = ig.load_model(path)
    assert back == m
    assert back.parameter("g").meaning == "gain"
    assert back.parameter("s").default is None
    assert back.state_meanings == ("share", "")
    assert back.description == "A test model." and back.references == ("Nobody, A paper, 2020",)


def test_transformed_models_round_trip() -> None:
    m = replicator3()
    for derived in (
        m.reduce_simplex(),
        brusselator().discretize(0.5).iterate(2),
        brusselator().with_parameters(a=2),
    ):
        assert ig.Model.from_toml(derived.to_toml()) == derived


def test_file_errors_name_the_file_table_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[equations]\nx = "-k*x + z"\n[parameters]\nk = 1\n')
    with pytest.raises(ig.ModelError) as info:
        ig.load_model(path)
    summary = info.value.summary
    # The file's line and column (line 2, column 13 is the `z`), not the expression's own.
    assert summary.startswith(f"{path}:2:13: [equations] x: unknown name `z`")
    path.write_text('[equations]\nx = "-k*x"\n[parameters]\nk = { default = 1, domain = "big" }\n')
    with pytest.raises(ig.ModelError, match=r"bad.toml: \[parameters\] k: domain of parameter `k`"):
        ig.load_model(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[equations]\nx = "-x"\n[states]\nx = { domain = "huge" }\n', "[states] x: domain"),
        (
            '[equations]\nx = "-x"\n[states]\ny = { domain = "real" }\n',
            "[states] y: `y` has no equation",
        ),
        (
            'constraints = ["x < q"]\n[equations]\nx = "-x"\n',
            ":1:21: [constraints] 1: unknown name `q`",
        ),
        ('[equations]\nx = "-x"\n[observables]\nw = "x +"\n', ":4:6: [observables] w: syntax"),
        (
            '[equations]\nx = "-x"\n[noise]\nx = "s"\n',
            ":4:6: [noise] x: unknown name `s`",
        ),
        ('time = 3\n[equations]\nx = "-x"\n', "`time` must be"),
    ],
)
def test_every_table_is_named_in_file_errors(text: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(ig.ModelError) as info:
        ig.load_model(path)
    # `m.toml: ` or, inside an expression, `m.toml:LINE:COL: `.
    assert re.match(rf"{re.escape(str(path))}(:\d+:\d+)?: ", info.value.summary), info.value.summary
    assert expected in info.value.summary, info.value.summary
