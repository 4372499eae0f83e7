"""Fuzzers for the model language and the model file format (issue 16), importable.

Two seeded generators and one checker:

* :func:`expression_text` writes expressions from the grammar of the model language (numbers of
  every size, names, operators, calls of every function with right and wrong arities,
  conditionals, comparisons), with a share of hostile shapes (huge literals and exponents, long
  products, deep nesting, numbers whose evaluation explodes) and of character-level mutations.
* :func:`toml_text` writes a model file and mutates it: values of the wrong type (booleans, huge
  integers, NaN, nested arrays), keys removed, unknown or duplicated, tables nested thousands
  deep, text cut or spliced.
* :func:`check_input` runs one input through the public entry points (``Model.from_equations`` or
  ``Model.from_toml``) and, when the model is accepted, through ``str``, ``to_latex``,
  ``to_toml`` and back, and reports what happened as an :class:`Outcome`.

The contract they check: only :class:`~incentive_geometry.errors.ModelError` is raised, and every
accepted model reads back from its own file equal to itself (``Model.__eq__``: the same states,
parameters with their defaults and domains, right-hand sides, observables, noise, constraints,
name, time, description and references, expressions compared structurally by sympy). Messages
are checked too: no prefix printed twice, no ``np.float64(...)``.

``tests/core/test_fuzz_models.py`` runs a few hundred inputs of each; ``benchmarks/fuzz_long.py``
runs 200,000 and reports the figures.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import incentive_geometry as ig
from incentive_geometry.language import FUNCTIONS

__all__ = [
    "Outcome",
    "check_input",
    "expression_text",
    "make_input",
    "toml_text",
]

STATES = ("x", "y")
PARAMETERS = ("a", "b", "k")
NAMES = (*STATES, *PARAMETERS)
_FUNCTION_NAMES = tuple(sorted(FUNCTIONS))

# Shapes that found defects in the campaign of issue 16, kept as seeds of the generator.
SEEDS = (
    "1e-100 - x",
    "3**128",
    "1e39*1e39",
    "(x**128)**128",
    "(a/0.1111111111111111111111111111111111111111)**128",
    "-((x + y)/b)",
    "Abs(sin(exp(10**30)))",
    "x if tan(-sinh(560713482078435636)) == 4 else 0",
    "tan(cosh(1234567890123456789012345678901234567890)) - x",
    "1 if asin(2) > 0 else 0",
    "Max(asin(6), x)",
    "1 if erfc(8e300) == 1 else 0",
    "9**9**9",
    "x**10**6",
    "exp(exp(exp(exp(2))))",
    "sin(9**128*9**128*9**128)",
    "log(-1)",
    "sqrt(-2) + x",
    "(-8)**(1/3)",
    "1/(x - x)",
    "0**-1",
)


# --------------------------------------------------------------------------------------------
# Expressions


def _integer(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return str(rng.randint(0, 12))
    if roll < 0.85:
        return str(rng.randint(0, 10 ** rng.randint(1, 20)))
    # Near and past the 40-digit limit.
    return str(rng.randint(1, 9)) + "".join(
        rng.choice("0123456789") for _ in range(rng.randint(30, 44))
    )


def _decimal(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        return f"{rng.randint(0, 99)}.{rng.randint(0, 999)}"
    if roll < 0.8:
        return f"{rng.randint(1, 9)}e{rng.choice('-+')}{rng.randint(0, 320)}"
    if roll < 0.9:
        return "0." + "1" * rng.randint(10, 45)
    return f"{rng.randint(1, 9)}.{rng.randint(0, 99)}e{rng.randint(-330, 330)}"


def _leaf(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(NAMES)
    if roll < 0.7:
        return _integer(rng)
    if roll < 0.9:
        return _decimal(rng)
    if roll < 0.97:
        return rng.choice(("pi", "E"))
    return rng.choice(("z", "exp", "_x", "True", "None", "1j", "'s'", "x.real", "[1]"))


def _exponent(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if roll < 0.55:
        return str(rng.randint(0, 5))
    if roll < 0.7:
        return rng.choice(("-1", "(-2)", "(1/2)", "(1/3)", "0.5", "(-1/2)"))
    if roll < 0.8:
        return str(rng.choice((64, 127, 128, 129, 200, 1000)))
    return _expr(rng, depth + 1)


def _condition(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if roll < 0.6 or depth > 5:
        ops = ("<", "<=", ">", ">=", "==", "!=")
        parts = [_expr(rng, depth + 1)]
        for _ in range(rng.choice((1, 1, 1, 2))):
            parts += [rng.choice(ops), _expr(rng, depth + 1)]
        return " ".join(parts)
    if roll < 0.8:
        joiner = rng.choice((" and ", " or "))
        return f"({_condition(rng, depth + 1)}){joiner}({_condition(rng, depth + 1)})"
    if roll < 0.9:
        return f"not ({_condition(rng, depth + 1)})"
    return _expr(rng, depth + 1)  # not a condition: must be refused


def _call(rng: random.Random, depth: int) -> str:
    name = rng.choice(_FUNCTION_NAMES)
    _, lo, hi = FUNCTIONS[name]
    roll = rng.random()
    if roll < 0.85:
        n = rng.randint(lo, min(hi, lo + 3))
    elif roll < 0.95:
        n = rng.choice((hi, hi + 1, max(lo - 1, 0)))
    else:
        n = rng.randint(0, 20)
    return f"{name}({', '.join(_expr(rng, depth + 1) for _ in range(n))})"


def _expr(rng: random.Random, depth: int = 0) -> str:
    if depth > rng.randint(1, 5):
        return _leaf(rng)
    roll = rng.random()
    if roll < 0.2:
        return _leaf(rng)
    if roll < 0.5:
        op = rng.choice(("+", "-", "*", "/", "+", "*"))
        return f"{_expr(rng, depth + 1)} {op} {_expr(rng, depth + 1)}"
    if roll < 0.6:
        return f"({_expr(rng, depth + 1)})**{_exponent(rng, depth)}"
    if roll < 0.7:
        return f"-({_expr(rng, depth + 1)})" if rng.random() < 0.5 else f"-{_expr(rng, depth + 1)}"
    if roll < 0.85:
        return _call(rng, depth)
    if roll < 0.93:
        return f"({_expr(rng, depth + 1)} if {_condition(rng, depth + 1)} else {_expr(rng, depth + 1)})"
    return f"({_expr(rng, depth + 1)})"


def _hostile(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(SEEDS)
    if roll < 0.45:
        n = rng.choice((2, 50, 128, 129, 200, 1000))
        return rng.choice(("*", "+", "-")).join([rng.choice(NAMES)] * n)
    if roll < 0.55:
        n = rng.randint(1, 80)
        return "(" * n + rng.choice(NAMES) + ")" * n
    if roll < 0.65:
        n = rng.randint(1, 70)
        return "-" * n + rng.choice(NAMES)
    if roll < 0.75:
        f = rng.choice(("Max", "Min"))
        n = rng.randint(6, 18)
        inner = ", ".join(f"{rng.choice(NAMES)}*{i}" for i in range(n - 1))
        return f"{f}({inner}, {f}(x, y))" if rng.random() < 0.5 else f"{f}({inner})"
    if roll < 0.85:
        # Nested functions of a large number: the evaluation that used to hang.
        funcs = [rng.choice(_FUNCTION_NAMES) for _ in range(3)]
        arg = _integer(rng) if rng.random() < 0.5 else _decimal(rng)
        text = arg
        for f in funcs:
            _, lo, _ = FUNCTIONS[f]
            text = f"{f}({', '.join([text] * lo)})"
        return f"{text} - x" if rng.random() < 0.5 else text
    if roll < 0.92:
        n = rng.randint(2, 40)
        return rng.choice(NAMES) + "".join(
            f" if x > {i} else {rng.choice(NAMES)}" for i in range(n)
        )
    return "(" + _expr(rng) + ")**" + rng.choice(("128", "(1/128)", "-128", "2**7"))


_MUTATION_CHARS = "()+-*/.,<>=!x y a01e9_[]{}'\"\\#:;@&|^%~`\n\t"


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 3)):
        if not text:
            return rng.choice(_MUTATION_CHARS)
        i = rng.randrange(len(text))
        action = rng.random()
        if action < 0.35:
            text = text[:i] + text[i + 1 :]
        elif action < 0.7:
            text = text[:i] + rng.choice(_MUTATION_CHARS) + text[i:]
        elif action < 0.85:
            j = rng.randrange(len(text))
            text = text[:i] + text[j:] if i < j else text[:j] + text[i:]
        else:
            text = text[:i] + text[i:][::-1]
    return text


def expression_text(rng: random.Random) -> str:
    """One expression of the model language (or almost one), from a seeded generator.

    About 70% follow the grammar, 15% are hostile shapes and 15% are mutated by a few
    character edits; names are drawn from ``x, y`` (states) and ``a, b, k`` (parameters).
    """
    roll = rng.random()
    if roll < 0.7:
        return _expr(rng)
    if roll < 0.85:
        return _hostile(rng)
    return _mutate(rng, _expr(rng))


# --------------------------------------------------------------------------------------------
# Model files


def _toml_string(text: str) -> str:
    """A TOML basic string holding `text`."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def _toml_value(rng: random.Random) -> str:
    """A random TOML value, often of the wrong type for where it goes."""
    return rng.choice(
        (
            "true",
            "false",
            str(10 ** rng.randint(1, 500)),
            "-1",
            "0",
            "nan",
            "inf",
            "-inf",
            "1e308",
            "1.5",
            "[]",
            "[1, 2]",
            "[0, 1]",
            "[1, 0]",
            "[[1, 2]]",
            '["a", 1]',
            "{}",
            "{default = true}",
            "{default = 1, domain = [0, 0.5]}",
            '{default = 2.0, domain = "positive"}',
            '{default = -1, domain = "positive"}',
            '{domain = "sometimes"}',
            "{colour = 1}",
            '"abc"',
            '""',
            '"x"',
            '"real"',
            '"positive"',
            "1979-05-27",
            _toml_string(expression_text(rng)),
        )
    )


def _deep(rng: random.Random) -> str:
    n = rng.choice((10, 100, 500, 999, 1000, 2000, 5000))
    if rng.random() < 0.5:
        return "[" * n + "1" + "]" * n
    return "{a = " * n + "1" + "}" * n


def _valid_model(rng: random.Random) -> dict[str, Any]:
    """The parts of a model file, as text values (written out by :func:`_write`)."""
    n_states = rng.choice((1, 1, 2))
    states = STATES[:n_states]
    model: dict[str, Any] = {
        "name": _toml_string(rng.choice(("m", "fuzz", "decay model"))),
        "time": _toml_string(rng.choice(("continuous", "discrete"))),
        "equations": {
            s: _toml_string(expression_text(rng) if rng.random() < 0.7 else f"-{s}") for s in states
        },
        "parameters": {},
    }
    for p in PARAMETERS:
        roll = rng.random()
        if roll < 0.4:
            model["parameters"][p] = repr(rng.choice((0.5, 1.0, 2.0, 3.25, 1e-3)))
        elif roll < 0.8:
            dom = rng.choice(('"real"', '"positive"', '"nonnegative"', "[0, 1]", "[-1, 2.5]"))
            default = rng.choice(("0.5", "1", "0.25"))
            model["parameters"][p] = f'{{default = {default}, domain = {dom}, meaning = "p"}}'
        else:
            model["parameters"][p] = "{}"
    if rng.random() < 0.3:
        model["observables"] = {"obs": _toml_string(expression_text(rng))}
    if rng.random() < 0.3:
        model["noise"] = {
            states[0]: _toml_string(rng.choice(("0", "0.1", "k*x", expression_text(rng))))
        }
    if rng.random() < 0.2:
        model["constraints"] = "[" + _toml_string(_condition(rng, 3)) + "]"
    if rng.random() < 0.2:
        model["states"] = {states[0]: '{domain = [0, 1], meaning = "share"}'}
    if rng.random() < 0.2:
        model["description"] = _toml_string("A model.")
        model["references"] = '["Someone (2020)"]'
    return model


def _write(model: dict[str, Any]) -> str:
    lines: list[str] = []
    tables: list[tuple[str, dict[str, str]]] = []
    for key, value in model.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {value}")
    for key, table in tables:
        lines.append(f"\n[{key}]")
        lines.extend(f"{k} = {v}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def toml_text(rng: random.Random) -> str:
    """One model file: valid (about a third) or mutated, from a seeded generator."""
    model = _valid_model(rng)
    roll = rng.random()
    if roll < 0.35:
        return _write(model)
    if roll < 0.7:
        # Structural mutations: a value replaced, a key removed or added.
        for _ in range(rng.randint(1, 3)):
            action = rng.random()
            tables = [k for k, v in model.items() if isinstance(v, dict)]
            if action < 0.4 and tables:
                table = model[rng.choice(tables)]
                if table:
                    table[rng.choice(list(table))] = _toml_value(rng)
                else:
                    table[rng.choice(NAMES)] = _toml_value(rng)
            elif action < 0.55:
                key = rng.choice(list(model))
                del model[key]
            elif action < 0.7:
                model[rng.choice(("colour", "name", "time", "simplex", "claims", "states"))] = (
                    _toml_value(rng)
                )
            elif action < 0.85 and tables:
                table = model[rng.choice(tables)]
                table[rng.choice(("z", "1x", "exp", "_a", "é", "x" * 70))] = _toml_value(rng)
            else:
                model[rng.choice(list(model))] = _deep(rng)
        return _write(model)
    text = _write(model)
    if roll < 0.85:
        return _mutate(rng, text)
    if roll < 0.92:
        return text + f"\n[extra]\nk = {_deep(rng)}\n"
    return text[: rng.randrange(len(text) + 1)]


# --------------------------------------------------------------------------------------------
# Checking one input


@dataclass
class Outcome:
    """What one input did.

    Attributes
    ----------
    kind : str
        ``"expression"`` or ``"toml"``.
    text : str
        The input.
    accepted : bool
        A model was built.
    error : str or None
        The name of an exception other than ModelError, or a broken contract
        (``"round-trip"``, ``"message"``); None when the input was handled as it should be.
    detail : str
        The message of that error.
    seconds : float
        Wall time of the whole check (parse, print, save, reload).
    slowest_call : float
        Wall time of the slowest single call (the parse, ``str``, ``to_latex``, ``to_toml`` or
        the reload).
    slowest_name : str
        Which call that was.
    slowest_call_cpu : float
        CPU time of the thread in the call that used the most CPU (``time.thread_time``):
        unlike wall time, it does not grow when other processes load the machine.
    slowest_cpu_name : str
        Which call that was.
    """

    kind: str
    text: str
    accepted: bool
    error: str | None
    detail: str
    seconds: float
    slowest_call: float = 0.0
    slowest_name: str = ""
    slowest_call_cpu: float = 0.0
    slowest_cpu_name: str = ""


_PARAMETER_SPECS: dict[str, Any] = {
    "a": 1.0,
    "b": {"default": 2.0, "domain": "positive"},
    "k": {"default": 0.5, "domain": [0, 1]},
}

# A prefix such as "m.toml: " or "claim `c`: " printed twice in one message.
_DOUBLE_PREFIX = re.compile(r"(^|\n)([^\n:]{1,80}): \2: ")


def _message_problem(message: str) -> str | None:
    if _DOUBLE_PREFIX.search(message):
        return "a prefix printed twice"
    if "np.float64(" in message or "np.int64(" in message:
        return "a numpy repr in the message"
    return None


def _build_expression_model(text: str, rng_bit: int) -> ig.Model:
    where = rng_bit % 4
    if where == 0:
        return ig.Model.from_equations({"x": text, "y": "-y"}, parameters=_PARAMETER_SPECS)
    if where == 1:
        return ig.Model.from_equations(
            {"x": "-x", "y": "a*x - y"}, parameters=_PARAMETER_SPECS, observables={"o": text}
        )
    if where == 2:
        return ig.Model.from_equations(
            {"x": "-x", "y": "-y"}, parameters=_PARAMETER_SPECS, noise={"x": text}
        )
    return ig.Model.from_equations(
        {"x": text, "y": "-y"},
        parameters=_PARAMETER_SPECS,
        time="discrete",
        constraints=[f"{text} <= 1"] if len(text) < 500 else [],
    )


def check_input(kind: str, text: str, variant: int = 0) -> Outcome:
    """Run one input through the entry points and report what it did.

    Parameters
    ----------
    kind : {"expression", "toml"}
        An expression (put into an equation, an observable, a noise term or a constraint,
        chosen by `variant`) or a model file.
    text : str
        The input.
    variant : int
        Chooses where an expression goes.

    Returns
    -------
    Outcome
    """
    start = time.perf_counter()
    accepted, error, detail = False, None, ""
    slowest: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name: str, call: Callable[[], Any]) -> Any:
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return call()
        finally:
            slowest[name] = time.perf_counter() - t0
            cpu[name] = time.thread_time() - c0

    try:
        if kind == "expression":
            model = timed("parse", lambda: _build_expression_model(text, variant))
        else:
            model = timed("parse", lambda: ig.Model.from_toml(text, source="m.toml"))
        accepted = True
        timed("str", lambda: str(model))
        timed("to_latex", model.to_latex)
        saved = timed("to_toml", model.to_toml)
        back = timed("reload", lambda: ig.Model.from_toml(saved, source="saved.toml"))
        if back != model:
            error, detail = "round-trip", f"saved as:\n{saved}"
    except ig.ModelError as err:
        problem = _message_problem(str(err))
        if problem is not None:
            error, detail = "message", f"{problem}: {err}"
        elif accepted:
            # An accepted model that cannot be printed, saved or read back.
            error, detail = "round-trip", f"{type(err).__name__}: {err}"
    except Exception as err:  # the fuzzer records every other exception
        error, detail = type(err).__name__, str(err)[:300]
    name = max(slowest, key=slowest.__getitem__, default="")
    cpu_name = max(cpu, key=cpu.__getitem__, default="")
    return Outcome(
        kind,
        text,
        accepted,
        error,
        detail,
        time.perf_counter() - start,
        slowest.get(name, 0.0),
        name,
        cpu.get(cpu_name, 0.0),
        cpu_name,
    )


def make_input(rng: random.Random) -> tuple[str, str, int]:
    """One input: (kind, text, variant), expressions and model files in equal shares."""
    kind = "expression" if rng.random() < 0.5 else "toml"
    text = expression_text(rng) if kind == "expression" else toml_text(rng)
    return kind, text, rng.randrange(4)


def run(
    n: int,
    seed: int,
    *,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Check `n` inputs from a generator seeded with `seed`; return the outcomes with an error.

    `on_outcome` sees every outcome (for figures such as the slowest input).
    """
    rng = random.Random(seed)
    bad = []
    for _ in range(n):
        kind, text, variant = make_input(rng)
        outcome = check_input(kind, text, variant)
        if on_outcome is not None:
            on_outcome(outcome)
        if outcome.error is not None:
            bad.append(outcome)
    return bad
