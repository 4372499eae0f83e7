"""Models for the symbolic tests, built with Model.from_equations (no library dependency)."""

from __future__ import annotations

from typing import Any

import pytest

import incentive_geometry as ig

POS = {"default": 1.0, "domain": "positive"}


def entrenchment() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "x*(1 - x)*(alpha*(1 - theta)*(b + gamma*x) - theta*c)"},
        parameters={
            "alpha": POS,
            "theta": {"default": 0.3, "domain": [0, 1]},
            "b": {"default": 0.2, "domain": "nonnegative"},
            "gamma": {"default": 1.0, "domain": "nonnegative"},
            "c": POS,
        },
        states={"x": {"domain": [0, 1]}},
        name="entrenchment",
    )


def pitchfork() -> ig.Model:
    return ig.Model.from_equations({"x": "r*x - x**3"}, parameters={"r": 1.0}, name="pitchfork")


def fold() -> ig.Model:
    return ig.Model.from_equations({"x": "p + x**2"}, parameters={"p": -1.0}, name="fold")


def brusselator() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y", "y": "b*x - x**2*y"},
        parameters={"a": POS, "b": {"default": 2.5, "domain": "positive"}},
        states={"x": {"domain": "nonnegative"}, "y": {"domain": "nonnegative"}},
        name="brusselator",
    )


def lorenz() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "sigma*(y - x)", "y": "r*x - y - x*z", "z": "x*y - beta*z"},
        parameters={
            "sigma": {"default": 10, "domain": "positive"},
            "r": {"default": 28, "domain": "positive"},
            "beta": {"default": 2.6, "domain": "positive"},
        },
        name="lorenz",
    )


def logistic() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "r*x*(1 - x)"},
        parameters={"r": {"default": 3.2, "domain": [0, 4]}},
        states={"x": {"domain": [0, 1]}},
        time="discrete",
        name="logistic",
    )


def n_routine(n: int) -> ig.Model:
    """dx_i/dt = x_i (s_i - sum_j x_j s_j), s_i = alpha(1-theta)(b_i + gamma_i x_i) - theta c_i."""
    s = {i: f"(alpha*(1 - theta)*(b{i} + gamma{i}*x{i}) - theta*c{i})" for i in range(1, n + 1)}
    sbar = " + ".join(f"x{i}*{s[i]}" for i in s)
    params: dict[str, Any] = {"alpha": POS, "theta": {"default": 0.3, "domain": [0, 1]}}
    for i in s:
        params[f"b{i}"] = {"default": 0.2, "domain": "nonnegative"}
        params[f"c{i}"] = POS
        params[f"gamma{i}"] = {"default": 1.0, "domain": "nonnegative"}
    return ig.Model.from_equations(
        {f"x{i}": f"x{i}*({s[i]} - ({sbar}))" for i in s},
        parameters=params,
        simplex=True,
        name=f"n_routine_{n}",
    )


#: Parameter ranges for numerical checks (where the defaults would be dull).
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "lorenz": {"sigma": (0.5, 20.0), "r": (0.05, 40.0), "beta": (0.1, 5.0)},
    "logistic": {"r": (0.05, 3.95)},
    "logistic^2": {"r": (0.05, 3.95)},
    "fold": {"p": (-3.0, -0.01)},
}


@pytest.fixture(scope="session")
def models() -> dict[str, ig.Model]:
    out = {
        "entrenchment": entrenchment(),
        "pitchfork": pitchfork(),
        "fold": fold(),
        "brusselator": brusselator(),
        "lorenz": lorenz(),
        "logistic": logistic(),
        "n_routine_3": n_routine(3),
    }
    out["logistic^2"] = out["logistic"].iterate(2)
    return out


@pytest.fixture(scope="session")
def solved(models: dict[str, ig.Model]) -> dict[str, Any]:
    return {name: ig.equilibria(m) for name, m in models.items()}


@pytest.fixture(scope="session")
def make_n_routine() -> Any:
    return n_routine


@pytest.fixture(scope="session")
def ranges() -> dict[str, dict[str, tuple[float, float]]]:
    return RANGES
