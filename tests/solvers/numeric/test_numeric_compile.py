"""Compilation: values and derivatives against sympy, broadcasting, caching, argument checks."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import incentive_geometry as ig
from incentive_geometry.solvers.numeric.compile import compile_model, resolve_params, resolve_state


def model() -> ig.Model:
    return ig.Model.from_equations(
        {"x": "a - (b + 1)*x + x**2*y + exp(-x)", "y": "b*x - x**2*y"},
        parameters={"a": 1.0, "b": 2.5},
        observables={"total": "x + y"},
        noise={"x": "0.1*x"},
    )


def test_values_and_derivatives_match_sympy() -> None:
    m = model()
    cm = compile_model(m)
    rng = np.random.default_rng(0)
    X = rng.uniform(0.1, 2.0, size=(7, 2))
    P = rng.uniform(0.5, 3.0, size=(7, 2))
    F = cm.rhs(X, P)
    J = cm.jac(X, P)
    Jp = cm.dfdp(X, P)
    syms = [*m.states, *m.parameter_symbols]
    Fs = sympy.Matrix(m.rhs)
    for k in range(7):
        sub = dict(zip(syms, [*X[k], *P[k]], strict=True))
        assert np.allclose(F[k], [float(e.subs(sub)) for e in Fs], rtol=1e-13)
        assert np.allclose(J[k], np.array(Fs.jacobian(m.states).subs(sub), dtype=float), rtol=1e-13)
        assert np.allclose(
            Jp[k],
            np.array(Fs.jacobian(list(m.parameter_symbols)).subs(sub), dtype=float),
            rtol=1e-13,
        )
    assert np.allclose(cm.observables["total"](X, P), X.sum(axis=1))
    assert cm.noise is not None and np.allclose(
        cm.noise(X, P), np.column_stack([0.1 * X[:, 0], 0 * X[:, 1]])
    )


def test_broadcasting_over_states_and_parameter_sets() -> None:
    cm = compile_model(model())
    X = np.ones((4, 1, 2))
    P = np.stack([np.linspace(1, 2, 3), np.full(3, 2.5)], axis=-1)[None]  # (1, 3, 2)
    assert cm.rhs(X, P).shape == (4, 3, 2)
    assert cm.jac(X, P).shape == (4, 3, 2, 2)
    assert cm.dfdp(X, P).shape == (4, 3, 2, 2)
    # Constant entries (d(b x - x^2 y)/db = x, and the 0 noise) broadcast to the batch.
    const = ig.Model.from_equations({"x": "1 + 0*k", "y": "k"}, parameters={"k": 2.0})
    c2 = compile_model(const)
    assert c2.rhs(np.zeros((5, 2)), np.array([3.0])).tolist() == [[1.0, 3.0]] * 5
    assert c2.jac(np.zeros((5, 2)), np.array([3.0])).shape == (5, 2, 2)


def test_compiled_once_per_model() -> None:
    a = model()
    b = model()
    assert a == b and compile_model(a) is compile_model(b)
    other = a.with_parameters(a=2.0)
    assert compile_model(other) is not compile_model(a)


def test_argument_checks() -> None:
    m = ig.Model.from_equations(
        {"x": "-k*x"},
        parameters={"k": {"default": 1, "domain": [0, 2]}, "q": {"domain": "positive"}},
    )
    with pytest.raises(ig.ModelError, match=r"parameter `q` of model `model` has no default"):
        resolve_params(m, {"k": 1})
    with pytest.raises(ig.ModelError, match=r"parameter `k` = inf is not a finite number"):
        resolve_params(m, {"k": float("inf"), "q": 1})
    with pytest.raises(ig.ModelError, match=r"`k` = 3.0 is outside its domain \[0, 2\]"):
        resolve_params(m, {"k": 3, "q": 1})
    with pytest.raises(ig.ModelError, match=r"parameter `k` has a non-finite value nan at index 1"):
        resolve_params(m, {"k": [1.0, float("nan")], "q": 1}, allow_arrays=True)
    with pytest.raises(ig.ModelError, match=r"parameter `k` must be a number, got 'x'"):
        resolve_params(m, {"k": "x", "q": 1})
    with pytest.raises(ig.ModelError, match=r"unknown parameter `kk`"):
        resolve_params(m, {"kk": 1})
    with pytest.raises(ig.ModelError, match=r"`x0` has shape \(2,\), expected \(1,\)"):
        resolve_state(m, [1.0, 2.0])
    with pytest.raises(ig.ModelError, match=r"`x0` names `z`, which is not a state"):
        resolve_state(m, {"z": 1.0})
