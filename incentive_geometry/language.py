"""The safe model language: expression text to sympy, and back.

Model text is parsed by Python's :mod:`ast` and walked against a whitelist; the sympy expression is
built node by node. Nothing is ever passed to ``eval``, ``exec`` or ``sympify``, so model text
cannot run code. The language has

* numbers (integer and decimal literals, which become exact rationals: ``0.1`` is ``1/10``),
* declared names (states and parameters) and the constants ``pi`` and ``E``,
* ``+ - * / **``, unary minus and plus, parentheses,
* calls of the functions in :data:`FUNCTIONS` (``exp``, ``log``, ``sqrt``, ``sin``, ``erf``,
  ``Abs``, ``Min``, ``Max``, ...),
* conditionals ``a if x > 0 else b`` (built as ``Piecewise``), whose conditions use comparisons
  ``< <= > >= == !=`` joined by ``and``, ``or``, ``not``.

Parsing is bounded (:class:`ParserLimits`): text length, bracket depth, node count, nesting depth,
literal size and numeric powers, and also what sympy's automatic evaluation builds from them
(exact numbers, combined exponents, powers of sums, roots of large numbers, and the magnitude of
numbers it keeps symbolic such as ``exp(100)``), so hostile text such as ``9**9**9`` or
``sin(exp(10**30))`` fails at once with a :class:`~incentive_geometry.errors.ModelError` instead
of hanging, and any failure of sympy's evaluation is reported the same way.

What the parser accepts, :func:`to_model_text` writes back as text that the parser reads as
exactly the same expression, within the same limits (a model file round-trips).

Examples
--------
>>> import sympy
>>> from incentive_geometry.language import parse_expression, to_text
>>> x, a = sympy.symbols("x a", real=True)
>>> e = parse_expression("a*x*(1 - x) + 0.5", {"x": x, "a": a}, where="equation for `x`")
>>> e
a*x*(1 - x) + 1/2
>>> to_text(e)
'a*x*(1 - x) + 1/2'
"""

from __future__ import annotations

import ast
import difflib
import functools
import keyword
import math
import numbers
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from .errors import ModelError

__all__ = [
    "CONSTANTS",
    "DEFAULT_LIMITS",
    "FUNCTIONS",
    "RESERVED_NAMES",
    "ParserLimits",
    "check_expression",
    "exact_number",
    "parse_condition",
    "parse_expression",
    "show_value",
    "to_model_text",
    "to_text",
    "validate_name",
]

#: Functions callable in model text: name -> (sympy function, minimum arity, maximum arity).
FUNCTIONS: Mapping[str, tuple[Callable[..., Any], int, int]] = {
    "exp": (sympy.exp, 1, 1),
    "log": (sympy.log, 1, 1),
    "sqrt": (sympy.sqrt, 1, 1),
    "sin": (sympy.sin, 1, 1),
    "cos": (sympy.cos, 1, 1),
    "tan": (sympy.tan, 1, 1),
    "asin": (sympy.asin, 1, 1),
    "acos": (sympy.acos, 1, 1),
    "atan": (sympy.atan, 1, 1),
    "sinh": (sympy.sinh, 1, 1),
    "cosh": (sympy.cosh, 1, 1),
    "tanh": (sympy.tanh, 1, 1),
    "erf": (sympy.erf, 1, 1),
    "erfc": (sympy.erfc, 1, 1),
    "Abs": (sympy.Abs, 1, 1),
    "sign": (sympy.sign, 1, 1),
    # sympy compares the arguments of Min and Max pairwise as it builds them (queries of the
    # assumptions system, milliseconds each): 8 arguments keep a parse well under a second.
    "Min": (sympy.Min, 2, 8),
    "Max": (sympy.Max, 2, 8),
}

#: Named constants of the language.
CONSTANTS: Mapping[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E}

#: Names a model may not declare: they would shadow a function or constant of the language
#: or of sympy's printed output (``I``, ``oo``, ``nan``, ``zoo``).
RESERVED_NAMES: frozenset[str] = frozenset(
    {*FUNCTIONS, *CONSTANTS, "I", "oo", "nan", "zoo", "inf", "Piecewise", "True", "False", "None"}
)

# The sympy classes a model expression may contain (user-built sympy input is checked too, so that
# every model prints back to text the parser reads).
_ALLOWED_FUNCTION_CLASSES: tuple[type, ...] = (
    sympy.exp,
    sympy.log,
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.asin,
    sympy.acos,
    sympy.atan,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.erf,
    sympy.erfc,
    sympy.Abs,
    sympy.sign,
    sympy.Min,
    sympy.Max,
    sympy.Piecewise,
)

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_MAX_NAME_LENGTH = 64


@dataclass(frozen=True)
class ParserLimits:
    """Bounds that keep parsing fast whatever the text.

    Parameters
    ----------
    max_length : int
        Longest expression text, in characters.
    max_nodes : int
        Most syntax-tree nodes in one expression.
    max_depth : int
        Deepest nesting of brackets and of the syntax tree.
    max_literal_digits : int
        Most significant digits in a numeric literal; decimal exponents are bounded by 300.
    max_power : int
        Largest absolute numeric exponent in ``a**n``.
    max_number_bits : int
        Largest numerator or denominator (in bits) of any exact number built while parsing;
        also the largest magnitude (``2**max_number_bits``) of a number sympy keeps symbolic,
        such as ``exp(100)``.
    max_power_of_sum : int
        Largest integer exponent of a sum, ``(x + 1)**n``: sympy expands such powers into
        polynomials when it decides signs (in Max, Abs, sqrt), at a cost that grows steeply
        with ``n``.
    max_root_bits : int
        Largest numerator or denominator (in bits) of a number raised to a fractional power,
        ``N**(1/3)``: sympy factors ``N`` to simplify the root.

    Examples
    --------
    >>> from incentive_geometry.language import ParserLimits
    >>> ParserLimits(max_length=100).max_length
    100
    """

    max_length: int = 20_000
    max_nodes: int = 20_000
    max_depth: int = 64
    max_literal_digits: int = 40
    max_power: int = 128
    max_number_bits: int = 2_048
    max_power_of_sum: int = 16
    max_root_bits: int = 32

    def __post_init__(self) -> None:
        for field, value in vars(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ModelError(
                    f"ParserLimits: `{field}` must be a positive int, got {value!r} "
                    f"({type(value).__name__})"
                )


DEFAULT_LIMITS = ParserLimits()


# --------------------------------------------------------------------------------------------
# Names


def validate_name(name: object, *, what: str) -> str:
    """Check that `name` can be declared as a state, parameter or observable.

    A name is ASCII, starts with a letter, holds letters, digits and underscores, has at most 64
    characters, is not a Python keyword and does not shadow a function or constant of the language.

    Parameters
    ----------
    name : object
        The candidate name.
    what : str
        What is being declared, for the message (e.g. "parameter").

    Returns
    -------
    str
        The name, unchanged.

    Raises
    ------
    ModelError
        When the name is not allowed; the message says why and how to fix it.

    Examples
    --------
    >>> from incentive_geometry.language import validate_name
    >>> validate_name("theta", what="parameter")
    'theta'
    >>> validate_name("exp", what="parameter")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: parameter name `exp` shadows the function exp() of the model language; choose another name (e.g. `exp_`)
    """
    if not isinstance(name, str):
        raise ModelError(f"{what} name must be a str, got {name!r} ({type(name).__name__})")
    if not name:
        raise ModelError(f"{what} name is empty; give it a name such as `x`")
    if len(name) > _MAX_NAME_LENGTH:
        raise ModelError(
            f"{what} name `{name[:20]}...` has {len(name)} characters; at most "
            f"{_MAX_NAME_LENGTH} are allowed"
        )
    if not _NAME_RE.match(name):
        raise ModelError(
            f"{what} name `{name}` is not allowed: names are ASCII, start with a letter and hold "
            "only letters, digits and underscores (e.g. `theta`, `x_1`)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ModelError(f"{what} name `{name}` is a Python keyword; choose another name")
    if name in FUNCTIONS:
        raise ModelError(
            f"{what} name `{name}` shadows the function {name}() of the model language; "
            f"choose another name (e.g. `{name}_`)"
        )
    if name in RESERVED_NAMES:
        raise ModelError(
            f"{what} name `{name}` is reserved by the model language; choose another name "
            f"(e.g. `{name}_`)"
        )
    return name


# --------------------------------------------------------------------------------------------
# Numbers


def exact_number(value: object, *, what: str) -> sympy.Rational:
    """Turn a finite int, float or sympy rational into an exact sympy Rational.

    Floats are read through their shortest decimal representation, so ``0.1`` becomes ``1/10``
    rather than the binary fraction nearest to it.

    Parameters
    ----------
    value : int, float or sympy.Rational
        The number.
    what : str
        What the number is, for the message.

    Returns
    -------
    sympy.Rational

    Raises
    ------
    ModelError
        For NaN, infinities, booleans, strings and other non-numbers.

    Examples
    --------
    >>> from incentive_geometry.language import exact_number
    >>> exact_number(0.1, what="default of `a`")
    1/10
    >>> exact_number(float("nan"), what="default of `a`")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: default of `a` must be a finite number, got nan (float)
    """
    if isinstance(value, sympy.Float):
        value = float(value)
    elif _is_plain_real(value) and type(value) not in (int, float) and hasattr(value, "item"):
        # numpy scalars (np.float64, np.int64, ...): their Python value.
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float | sympy.Rational | Fraction):
        hint = "; booleans are not numbers" if isinstance(value, bool) else ""
        raise ModelError(
            f"{what} must be a finite number, got {show_value(value)} "
            f"({type(value).__name__}){hint}"
        )
    if isinstance(value, sympy.Rational):
        return value
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ModelError(f"{what} must be a finite number, got {value!r} (float)")
        # float.__repr__, not repr(value): a float subclass may print otherwise.
        frac = Fraction(float.__repr__(value))
        return sympy.Rational(frac.numerator, frac.denominator)
    return sympy.Integer(value)


def _is_plain_real(value: object) -> bool:
    """A real number that is not a bool (numpy scalars included, numpy bools excluded)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return False
    return isinstance(value, numbers.Real)


def show_value(value: object, width: int = 60) -> str:
    """A value as a message shows it: numbers as Python prints them (``2.0``, not ``np.float64(2.0)``).

    Huge integers are shown by their size (their decimal expansion may not even be printable),
    other values by their ``repr`` cut to `width` characters.

    Parameters
    ----------
    value : object
        The value to show.
    width : int
        Most characters shown.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from incentive_geometry.language import show_value
    >>> show_value(np.float64(2.0)), show_value(10**400), show_value("abc")
    ('2.0', 'an integer of 401 digits', "'abc'")
    """
    if _is_plain_real(value) and type(value) not in (int, float) and hasattr(value, "item"):
        value = value.item()  # numpy scalars: their Python value
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        digits = int(value.bit_length() * 0.30103) + 1
        if digits < 4000:
            digits = len(str(abs(value)))
        return f"an integer of {digits} digits"
    if isinstance(value, sympy.Basic):
        text = to_text(value)
    else:
        try:
            text = repr(value)
        except (ValueError, RecursionError):
            text = f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 3] + "..."


# --------------------------------------------------------------------------------------------
# Parsing


class _Reject(Exception):
    """Internal: a node is rejected; carries the node (for its position) and the reason."""

    def __init__(self, node: ast.AST | None, reason: str) -> None:
        super().__init__(reason)
        self.node = node
        self.reason = reason


_ADDITIVE, _MULTIPLICATIVE = 1, 2

_FORBIDDEN_BINOPS: Mapping[type, str] = {
    ast.BitXor: "`^` is not a power in the model language; write `**` (e.g. `x**2`)",
    ast.FloorDiv: "floor division `//` is not part of the model language; write `/`",
    ast.Mod: "the modulo operator `%` is not part of the model language",
    ast.MatMult: "the matrix product `@` is not part of the model language",
    ast.LShift: "the shift operator `<<` is not part of the model language",
    ast.RShift: "the shift operator `>>` is not part of the model language",
    ast.BitAnd: "`&` is not part of the model language; in a condition write `and`",
    ast.BitOr: "`|` is not part of the model language; in a condition write `or`",
}

_COMPARE: Mapping[type, Callable[..., Any]] = {
    ast.Lt: sympy.Lt,
    ast.LtE: sympy.Le,
    ast.Gt: sympy.Gt,
    ast.GtE: sympy.Ge,
    ast.Eq: sympy.Eq,
    ast.NotEq: sympy.Ne,
}

# Constructs that are not part of the language, with the words a message uses for them.
_CONSTRUCT_NAMES: Mapping[type, str] = {
    ast.Attribute: "attribute access (`.`)",
    ast.Subscript: "a subscript (`[...]`)",
    ast.Lambda: "a lambda expression",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.NamedExpr: "an assignment expression (`:=`)",
    ast.Starred: "a starred argument (`*`)",
    ast.Await: "`await`",
    ast.Yield: "`yield`",
    ast.YieldFrom: "`yield`",
    ast.Tuple: "a tuple",
    ast.List: "a list",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.Slice: "a slice",
}


def _construct_name(node: ast.AST) -> str:
    return _CONSTRUCT_NAMES.get(type(node), f"the syntax `{type(node).__name__}`")


def _caret(text: str, line: int, col: int) -> str:
    """The offending line of `text` with a caret under column `col` (0-based)."""
    lines = text.splitlines() or [""]
    line = min(max(line, 1), len(lines))
    shown = lines[line - 1]
    # Long lines are cut to a window around the column so the caret stays readable.
    start = max(0, col - 60)
    snippet = shown[start : start + 120]
    prefix = "..." if start > 0 else ""
    return f"  {prefix}{snippet}\n  {' ' * (len(prefix) + col - start)}^"


def _fail(text: str, where: str, line: int, col: int, reason: str) -> ModelError:
    return ModelError(
        f"{where}, line {line}, column {col + 1}: {reason}", context=_caret(text, line, col)
    )


class _Builder:
    """Walks a parsed (and already size-checked) tree and builds the sympy expression."""

    def __init__(self, text: str, names: Mapping[str, sympy.Symbol], limits: ParserLimits) -> None:
        self.text = text
        self.names = names
        self.limits = limits
        self._numbers: set[Any] = set()  # numbers already checked by _numbers_problem

    # -- numbers -------------------------------------------------------------------------
    def _checked(self, node: ast.AST, value: Any) -> Any:
        """Refuse what sympy's automatic evaluation made too large, before it is used further.

        sympy combines as it builds: ``x*x*...*x`` becomes ``x**200``, ``(x**128)**128`` becomes
        ``x**16384`` and ``(a/3)**128`` carries ``1/3**128``. The new node and the two levels
        below it (where such combinations land) are checked against the limits here; the whole
        tree is checked once more at the end (:func:`_limit_problem`).
        """
        problem = _limit_problem(value, self.limits, levels=2)
        if problem is None:
            problem = self._numbers_problem(value)
        if problem is not None:
            raise _Reject(node, problem)
        return value

    def _numbers_problem(self, value: Any) -> str | None:
        """Check the numbers sympy keeps symbolic in `value` and three levels below it.

        That is where sympy's folding puts new numbers: ``(c if p else 3e-167)**cosh(83)``
        becomes a Piecewise whose branch (two levels down) is the number
        ``(3e-167)**cosh(83)``; ``(c if p else tanh(6e-130)*y)**-128`` puts
        ``tanh(6e-130)**-128`` in the product of a branch (three levels down). Each number is
        evaluated once per parse.
        """
        stack: list[tuple[Any, int]] = [(value, 0)]
        while stack:
            node, depth = stack.pop()
            if node in self._numbers or getattr(node, "is_Rational", False):
                continue
            if isinstance(node, sympy.Expr) and node.is_number:
                problem = _value_problem(node, self.limits)
                if problem is not None:
                    return problem
                self._numbers.add(node)
                continue
            # Any node is looked into, not only expressions: a Piecewise holds its branches in
            # (expression, condition) pairs, and a folded power puts its numbers one level
            # further, in the products of those branches.
            if depth < 3:
                stack.extend((arg, depth + 1) for arg in node.args)
        return None

    def constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise _Reject(node, f"`{value!r}` is not a number; the model language has no {value!r}")
        if isinstance(value, int):
            if len(str(abs(value))) > self.limits.max_literal_digits:
                raise _Reject(
                    node,
                    f"integer literal with {len(str(abs(value)))} digits; at most "
                    f"{self.limits.max_literal_digits} are allowed",
                )
            return sympy.Integer(value)
        if isinstance(value, float):
            segment = ast.get_source_segment(self.text, node) or repr(value)
            try:
                dec = Decimal(segment.replace("_", ""))
            except InvalidOperation:
                raise _Reject(node, f"cannot read the number `{segment}`") from None
            digits = len(dec.as_tuple().digits)
            if not dec.is_finite() or abs(dec.adjusted()) > 300:
                raise _Reject(node, f"the number `{segment}` is out of range (|exponent| > 300)")
            if digits > self.limits.max_literal_digits:
                raise _Reject(
                    node,
                    f"decimal literal with {digits} digits; at most "
                    f"{self.limits.max_literal_digits} are allowed",
                )
            frac = Fraction(dec)
            return self._checked(node, sympy.Rational(frac.numerator, frac.denominator))
        if isinstance(value, complex):
            raise _Reject(node, "complex literals are not part of the model language")
        raise _Reject(node, f"{type(value).__name__} literals are not part of the model language")

    # -- expressions ---------------------------------------------------------------------
    def expr(self, node: ast.AST) -> Any:
        try:
            return self._expr(node)
        except _SYMPY_FAILURES as err:
            # sympy's automatic evaluation failed on values the language admits; say so, at
            # the innermost node that failed, instead of letting a raw exception through.
            raise _Reject(node, _evaluation_failure(err)) from None

    def _expr(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return self._checked(node, -self.expr(node.operand))
            if isinstance(node.op, ast.UAdd):
                return self.expr(node.operand)
            if isinstance(node.op, ast.Not):
                raise _Reject(node, "`not` belongs in the condition of `a if condition else b`")
            raise _Reject(node, "the operator `~` is not part of the model language")
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.IfExp):
            # `a if c else b if d else e` is one Piecewise with three pieces (as sympy builds
            # it); `a if c else (b if d else e)`, with brackets, is a Piecewise nested in the
            # otherwise branch of another (sympy builds those too, e.g. sqrt of a Piecewise).
            # The printer writes each form so, and both read back as they were.
            pieces = []
            branch: ast.expr = node
            while isinstance(branch, ast.IfExp):
                cond = self.condition(branch.test)
                if cond.has(sympy.Piecewise):
                    # sympy distributes everything in such a condition over the inner
                    # conditional's branches (piecewise_fold), evaluating powers and functions
                    # of their values without bound: `(2*y)**(k if c else 10**35) < 1` would
                    # compute 2**(10**35).
                    raise _Reject(
                        branch.test,
                        "the condition of a conditional may not contain another conditional "
                        "(`... if ... else ...`); write the cases out with `and`, `or`, `not`",
                    )
                pieces.append((self.expr(branch.body), cond))
                branch = branch.orelse
                if self._bracketed(branch):
                    break
            pieces.append((self.expr(branch), sympy.true))
            return self._checked(node, sympy.Piecewise(*pieces))
        if isinstance(node, ast.Compare | ast.BoolOp):
            raise _Reject(
                node,
                "a comparison is not a value; use it as the condition of `a if condition else b`",
            )
        raise _Reject(node, f"{_construct_name(node)} is not part of the model language")

    def _bracketed(self, node: ast.expr) -> bool:
        """Whether the text of `node` starts with an opening bracket of its own."""
        lines = self.text.splitlines()
        line = getattr(node, "lineno", 1)
        if not 1 <= line <= len(lines):
            return False
        return lines[line - 1][: node.col_offset].rstrip().endswith("(")

    def name(self, node: ast.Name) -> Any:
        ident = node.id
        if ident in self.names:
            return self.names[ident]
        if ident in CONSTANTS:
            return CONSTANTS[ident]
        if ident in FUNCTIONS:
            raise _Reject(node, f"`{ident}` is a function; call it, e.g. `{ident}(x)`")
        if ident.startswith("_"):
            raise _Reject(node, f"names starting with `_` (here `{ident}`) are not allowed")
        close = difflib.get_close_matches(ident, list(self.names), n=3, cutoff=0.5)
        hint = (
            "closest declared names: " + ", ".join(f"`{c}`" for c in close)
            if close
            else "declared names: "
            + (", ".join(f"`{n}`" for n in sorted(self.names)[:12]) or "none")
        )
        raise _Reject(
            node,
            f"unknown name `{ident}`; {hint}. Declare it as a state or parameter, or fix the typo",
        )

    def binop(self, node: ast.BinOp) -> Any:
        op = type(node.op)
        if op in _FORBIDDEN_BINOPS:
            raise _Reject(node, _FORBIDDEN_BINOPS[op])
        if op is ast.Pow:
            return self.power(node, self.expr(node.left), self.expr(node.right))
        # A left-deep chain `a + b - c + ...` (or `a*b/c*...`) is walked iteratively and built in
        # one sympy call: long sums neither recurse deeply nor cost quadratic time.
        group = _chain_group(node.op)
        chain: list[ast.BinOp] = []
        head: ast.expr = node
        while isinstance(head, ast.BinOp) and _chain_group(head.op) == group:
            if type(head.op) in _FORBIDDEN_BINOPS:
                raise _Reject(head, _FORBIDDEN_BINOPS[type(head.op)])
            chain.append(head)
            head = head.left
        terms = [self.expr(head)]
        for link in reversed(chain):
            right = self.expr(link.right)
            if isinstance(link.op, ast.Sub):
                right = -right
            elif isinstance(link.op, ast.Div):
                if right == 0:
                    raise _Reject(link, "division by zero")
                right = sympy.Pow(right, -1)
            terms.append(right)
        combine = sympy.Add if group == _ADDITIVE else sympy.Mul
        return self._checked(node, combine(*terms))

    def power(self, node: ast.BinOp, base: Any, exponent: Any) -> Any:
        # Numeric exponents are bounded so `9**9**9` or `x**10**6` fail instead of hanging.
        if isinstance(exponent, sympy.Number):
            if abs(exponent) > self.limits.max_power:
                raise _Reject(
                    node,
                    f"the exponent {exponent} is too large; numeric exponents are limited to "
                    f"|n| <= {self.limits.max_power}",
                )
            if base == 0 and exponent.is_negative:
                raise _Reject(node, "division by zero (zero to a negative power)")
            problem = _power_problem(base, exponent, self.limits)
            if problem is not None:
                raise _Reject(node, problem)
        if isinstance(base, sympy.Rational) and isinstance(exponent, sympy.Integer):
            bits = max(int(base.p).bit_length(), int(base.q).bit_length()) * abs(int(exponent))
            if bits > self.limits.max_number_bits:
                raise _Reject(
                    node,
                    f"this power has about {int(bits * 0.30103)} digits; numbers are limited to "
                    f"{self.limits.max_number_bits} bits",
                )
        return self._checked(node, sympy.Pow(base, exponent))

    def call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            raise _Reject(
                node.func,
                f"only the functions {', '.join(sorted(FUNCTIONS))} can be called, by name",
            )
        fname = node.func.id
        if fname not in FUNCTIONS:
            close = difflib.get_close_matches(fname, list(FUNCTIONS), n=2, cutoff=0.6)
            hint = f" (did you mean {', '.join(f'`{c}`' for c in close)}?)" if close else ""
            raise _Reject(
                node.func,
                f"`{fname}` is not a function of the model language{hint}; the functions are "
                f"{', '.join(sorted(FUNCTIONS))}",
            )
        starred = [arg for arg in node.args if isinstance(arg, ast.Starred)]
        if starred:
            raise _Reject(
                starred[0], f"{_construct_name(starred[0])} is not part of the model language"
            )
        if node.keywords:
            raise _Reject(node, f"keyword arguments are not allowed in `{fname}(...)`")
        func, lo, hi = FUNCTIONS[fname]
        if not lo <= len(node.args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise _Reject(node, f"`{fname}` takes {want} argument(s), got {len(node.args)}")
        args = [self.expr(arg) for arg in node.args]
        if fname == "log" and args[0] == 0:
            raise _Reject(node, "log(0) is undefined")
        if fname == "exp" and args[0].has(sympy.log):
            # sympy turns exp(c*log(N)) into N**c, a root of N when c is a fraction.
            for lg in args[0].atoms(sympy.log):
                inner = lg.args[0]
                if isinstance(inner, sympy.Rational) and _bits(inner) > self.limits.max_root_bits:
                    raise _Reject(node, _root_message(inner, self.limits))
        if fname in ("Min", "Max"):
            # sympy flattens Max(Max(a, b), c) into Max(a, b, c) and compares the arguments
            # pairwise (each comparison a query of the assumptions system): the flattened
            # count is bounded like the written one.
            same = sympy.Max if fname == "Max" else sympy.Min
            flat = sum(len(a.args) if isinstance(a, same) else 1 for a in args)
            if flat > hi:
                raise _Reject(
                    node,
                    f"this `{fname}` has {flat} arguments once the `{fname}` inside it are "
                    f"merged; at most {hi} are allowed (split it into named observables)",
                )
        try:
            value = func(*args)
        except _SYMPY_FAILURES as err:
            raise _Reject(node, _evaluation_failure(err)) from None
        return self._checked(node, value)

    # -- conditions ----------------------------------------------------------------------
    def condition(self, node: ast.AST) -> Any:
        try:
            return self._condition(node)
        except _SYMPY_FAILURES as err:
            raise _Reject(node, _evaluation_failure(err)) from None

    def _condition(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _COMPARE:
                    # `is`, `is not`, `in`, `not in` compare objects, not numbers.
                    raise _Reject(
                        node,
                        f"the comparison `{type(op).__name__}` is not part of the model language; "
                        "use <, <=, >, >=, == or !=",
                    )
            terms = [self.expr(node.left), *(self.expr(c) for c in node.comparators)]
            # A chain a < b < c means (a < b) and (b < c), as in Python. A comparison of two
            # numbers is decided at once; one with symbols is kept as written: deciding it
            # asks sympy for signs, and for a polynomial such as (x + 35)**16 - 1 sympy
            # isolates its real roots, which can take minutes.
            return sympy.And(
                *(
                    _decide(node, op, terms[i], terms[i + 1])
                    if terms[i].is_number and terms[i + 1].is_number
                    else _COMPARE[type(op)](terms[i], terms[i + 1], evaluate=False)
                    for i, op in enumerate(node.ops)
                )
            )
        if isinstance(node, ast.BoolOp):
            parts = [self.condition(v) for v in node.values]
            return sympy.And(*parts) if isinstance(node.op, ast.And) else sympy.Or(*parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return sympy.Not(self.condition(node.operand))
        if isinstance(node, ast.IfExp):
            # `p if c else q` between conditions is sympy's ITE (c and p) or (not c and q).
            return sympy.ITE(
                self.condition(node.test), self.condition(node.body), self.condition(node.orelse)
            )
        raise _Reject(
            node,
            "a condition must be a comparison (`<`, `<=`, `>`, `>=`, `==`, `!=`) or such "
            "comparisons joined by `and`, `or`, `not`",
        )


# Digits to which a comparison of two numbers is decided. sympy's own decision raises the
# working precision until the sign shows, without bound: `1 <= erf(10**42)` needs about 10**84
# digits (1 - erf(10**42) is near exp(-10**84)) and ran for hours.
_DECIDE_DIGITS = 300


def _decide(node: ast.AST, op: ast.cmpop, a: Any, b: Any) -> Any:
    """``a op b`` for two numbers, as sympy.true or sympy.false, with bounded precision."""
    difference = a - b
    if difference == 0:
        sign = 0
    else:
        try:
            value = difference.evalf(15, strict=True, maxn=_DECIDE_DIGITS)
        except sympy.core.evalf.PrecisionExhausted:
            raise _Reject(
                node,
                f"the two sides of this comparison agree to {_DECIDE_DIGITS} digits, so it "
                "cannot be decided numerically; compare with a parameter or write the case "
                "without this condition",
            ) from None
        except _SYMPY_FAILURES as err:
            raise _Reject(node, _evaluation_failure(err)) from None
        if not (value.is_real and value.is_finite):
            raise _Reject(node, "this comparison is between numbers that are not finite reals")
        sign = 1 if value > 0 else -1
    decided = {
        ast.Lt: sign < 0,
        ast.LtE: sign <= 0,
        ast.Gt: sign > 0,
        ast.GtE: sign >= 0,
        ast.Eq: sign == 0,
        ast.NotEq: sign != 0,
    }[type(op)]
    return sympy.true if decided else sympy.false


# What sympy raises when its automatic evaluation fails on an admitted value (comparing a
# non-real number, an mpmath overflow, ...). Caught at the node being built, so that a parse
# ends with a ModelError, never with one of these.
_SYMPY_FAILURES: tuple[type[BaseException], ...] = (
    TypeError,
    ValueError,
    ArithmeticError,
    AttributeError,
    RecursionError,
)


def _evaluation_failure(err: BaseException) -> str:
    detail = str(err).splitlines()[0][:120] if str(err) else ""
    return (
        f"sympy cannot evaluate this ({type(err).__name__}{': ' + detail if detail else ''}); "
        "simplify the expression or use other values"
    )


def _digits(bits: int) -> int:
    return int(bits * 0.30103) + 1


def _about_ten_to(digits: int) -> str:
    return f"10**{digits}" if digits < 10**6 else f"10**({float(digits):.2g})"


def _limit_problem(expr: Any, limits: ParserLimits, levels: int | None = None) -> str | None:
    """The first place where `expr` breaks the size limits, or None.

    Exact numbers must fit in ``limits.max_number_bits`` bits (numerator and denominator) and
    numeric exponents must satisfy ``|n| <= limits.max_power``, wherever they appear, so that
    every accepted expression prints as text that parses again. `levels` bounds the depth
    looked at (None: the whole tree).
    """
    stack: list[tuple[Any, int]] = [(expr, 0)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, sympy.Rational):
            bits = max(int(node.p).bit_length(), int(node.q).bit_length())
            if bits > limits.max_number_bits:
                return (
                    f"this makes a number of about {_digits(bits)} digits; exact numbers are "
                    f"limited to {limits.max_number_bits} bits (`ParserLimits.max_number_bits`)"
                )
            continue
        if isinstance(node, sympy.Pow) and isinstance(node.exp, sympy.Number):
            if abs(node.exp) > limits.max_power:
                return (
                    f"this makes the power `{_short(node)}`, whose exponent is beyond the limit "
                    f"|n| <= {limits.max_power} (`ParserLimits.max_power`); write the power "
                    "with a smaller exponent or a parameter"
                )
            problem = _power_problem(node.base, node.exp, limits)
            if problem is not None:
                return f"this makes {problem}"
        if levels is None or depth < levels:
            stack.extend((arg, depth + 1) for arg in getattr(node, "args", ()))
    return None


def _bits(r: Any) -> int:
    return max(int(r.p).bit_length(), int(r.q).bit_length())


def _root_message(base: Any, limits: ParserLimits) -> str:
    return (
        f"a fractional power of a number of {_digits(_bits(base))} digits: sympy factors the "
        f"number to simplify the root, which can take minutes; such numbers are limited to "
        f"{limits.max_root_bits} bits (`ParserLimits.max_root_bits`)"
    )


def _power_problem(base: Any, exponent: Any, limits: ParserLimits) -> str | None:
    """Why ``base**exponent`` (a numeric exponent) is refused, or None. See ParserLimits."""
    if not isinstance(exponent, sympy.Rational):
        return None
    if exponent.q != 1:
        # sympy works with x**(1/q) as a polynomial generator: x**(1111/10000) is a polynomial
        # of degree 1111 in x**(1/10000), and the degree is what its algorithms pay for.
        if abs(exponent.p) > limits.max_power or exponent.q > limits.max_power:
            return (
                f"the exponent {exponent} has a numerator or denominator above "
                f"{limits.max_power} (`ParserLimits.max_power`); use a simpler fraction or a "
                "parameter for the exponent"
            )
        if isinstance(base, sympy.Rational) and _bits(base) > limits.max_root_bits:
            return _root_message(base, limits)
    elif abs(exponent) > limits.max_power_of_sum and (
        base.is_Add or (base.is_Mul and any(f.is_Add for f in base.args))
    ):
        return (
            f"the power {exponent} of a sum: sympy expands such powers into polynomials of that "
            f"degree when it decides signs, which can take minutes; powers of sums are limited "
            f"to |n| <= {limits.max_power_of_sum} (`ParserLimits.max_power_of_sum`)"
        )
    return None


def _short(expr: Any) -> str:
    if isinstance(expr, sympy.Pow):
        base = expr.base
        shown = base.name if isinstance(base, sympy.Symbol) else "(...)"
        exp = expr.exp
        exp_text = str(exp) if isinstance(exp, sympy.Integer) and abs(exp) < 10**12 else "(...)"
        return f"{shown}**{exp_text}"
    return "..."


@functools.lru_cache(maxsize=4096)
def _value_problem(value: Any, limits: ParserLimits) -> str | None:
    """Why a number that sympy keeps symbolic (``sin(3)``, ``exp(100)``) is refused, or None.

    Such a number must evaluate to a finite real whose magnitude lies between
    ``2**-max_number_bits`` and ``2**max_number_bits`` (or is zero): the bound of exact
    numbers. The bound is what keeps later automatic evaluation finite: ``sin(exp(10**30))``
    would need 10**29 digits of pi to reduce its argument, and sympy tries to when it builds,
    prints or compares the expression.
    """
    try:
        # Five digits tell the size and whether the value is real; sympy's cost grows with
        # the digits asked for (1 ms instead of 5 for sin of an 800-bit integer).
        approx = value.evalf(5)
    except _SYMPY_FAILURES as err:
        return _evaluation_failure(err)
    re_part, im_part = approx.as_real_imag()
    if im_part != 0 and not (isinstance(im_part, sympy.Float) and im_part == 0):
        return f"`{_brief(value)}` is not a real number; models are real"
    if not isinstance(re_part, sympy.Float | sympy.Integer | sympy.Rational):
        return f"`{_brief(value)}` cannot be evaluated to a number"
    if isinstance(re_part, sympy.Float):
        _, man, exp, bc = re_part._mpf_
        if man == 0:
            if exp != 0:  # inf or nan
                return f"`{_brief(value)}` is not a finite number"
            return None
        magnitude = exp + bc  # |value| is about 2**magnitude
        if magnitude > limits.max_number_bits:
            return (
                f"`{_brief(value)}` is about {_about_ten_to(_digits(magnitude))}; numbers are limited to "
                f"{limits.max_number_bits} bits (`ParserLimits.max_number_bits`)"
            )
        if magnitude < -limits.max_number_bits:
            return (
                f"`{_brief(value)}` is about 1/{_about_ten_to(_digits(-magnitude))}, below the smallest "
                f"number allowed (2**-{limits.max_number_bits}); write 0 if that is meant"
            )
    return None


def _brief(value: Any) -> str:
    """A short text for a number in a message, without evaluating or printing huge parts."""
    if isinstance(value, sympy.Function):
        inner = value.args[0] if value.args else None
        inner_text = _brief(inner) if inner is not None else ""
        return f"{type(value).__name__}({inner_text})"
    if isinstance(value, sympy.Integer) and value.p.bit_length() > 64:
        return f"<{_digits(value.p.bit_length())}-digit integer>"
    if isinstance(value, sympy.Rational | sympy.NumberSymbol | sympy.Symbol | sympy.Mul):
        # (A product prints without evaluating its factors; a sum may evaluate its terms to
        # order them, which is what must not happen to a refused number.)
        if isinstance(value, sympy.Mul) and any(
            isinstance(f, sympy.Integer) and f.p.bit_length() > 64 for f in value.args
        ):
            return "..."
        text = str(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return "..."


def _prescan(text: str, where: str, limits: ParserLimits) -> None:
    """Checks that need no parsing: type, size, characters, bracket depth."""
    if len(text) > limits.max_length:
        raise ModelError(
            f"{where}: the text has {len(text)} characters; at most {limits.max_length} are "
            "allowed (raise `ParserLimits.max_length` if the model really needs it)"
        )
    if not text.strip():
        raise ModelError(f"{where}: the expression is empty; write a right-hand side such as `-x`")
    depth = 0
    line, col = 1, 0
    for ch in text:
        if ch == "\n":
            line, col = line + 1, 0
            continue
        if not (ch.isascii() and (ch.isprintable() or ch in "\t\r")):
            raise _fail(
                text,
                where,
                line,
                col,
                f"character {ch!r} is not allowed; model text is ASCII (write Greek letters as "
                "names, e.g. `theta`)",
            )
        if ch in "([{":
            depth += 1
            if depth > limits.max_depth:
                raise _fail(
                    text, where, line, col, f"brackets nested deeper than {limits.max_depth} levels"
                )
        elif ch in ")]}":
            depth -= 1
        col += 1


def _parse_tree(text: str, where: str, limits: ParserLimits) -> ast.expr:
    _prescan(text, where, limits)
    try:
        with warnings.catch_warnings():
            # Python warns about text such as `1if x > 0 else 2` ("invalid decimal literal")
            # and still parses it; the model language reads it the same way, silently.
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        line, col = err.lineno or 1, max((err.offset or 1) - 1, 0)
        reason = (err.msg or "invalid syntax").split(" (")[0]
        raise _fail(text.strip(), where, line, col, f"syntax error: {reason}") from None
    except (MemoryError, RecursionError, ValueError) as err:
        raise ModelError(
            f"{where}: the expression is too deeply nested or too large to parse "
            f"({type(err).__name__}); simplify it"
        ) from None
    # Size and depth of the tree, both computed without recursion.
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise ModelError(
                f"{where}: the expression has more than {limits.max_nodes} syntax nodes; "
                "split it with observables or simplify it"
            )
        if depth > limits.max_depth:
            line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
            raise _fail(
                text.strip(),
                where,
                line,
                col,
                f"the expression is nested deeper than {limits.max_depth} levels",
            )
        for child in ast.iter_child_nodes(node):
            # A chain `a + b - c + ...` or `a*b/c*...` is one level, however long: sums of many
            # terms are common in models (a replicator's mean payoff), nesting is what we bound.
            chained = (
                isinstance(node, ast.BinOp)
                and isinstance(child, ast.BinOp)
                and child is node.left
                and _chain_group(node.op) == _chain_group(child.op)
            )
            stack.append((child, depth if chained else depth + 1))
    return tree.body


def _chain_group(op: ast.operator) -> int:
    """Operators that chain into one sum (1) or one product (2); others stand alone."""
    if isinstance(op, ast.Add | ast.Sub):
        return _ADDITIVE
    if isinstance(op, ast.Mult | ast.Div):
        return _MULTIPLICATIVE
    return -1 - id(op) % 1000


def _build(
    text: object,
    names: Mapping[str, sympy.Symbol],
    where: str,
    limits: ParserLimits,
    as_condition: bool,
) -> Any:
    if not isinstance(text, str):
        raise ModelError(
            f"{where}: expected expression text (str), got {text!r:.60} ({type(text).__name__})"
        )
    tree = _parse_tree(text, where, limits)
    builder = _Builder(text.strip(), names, limits)
    try:
        result = builder.condition(tree) if as_condition else builder.expr(tree)
    except _Reject as rej:
        line = getattr(rej.node, "lineno", 1)
        col = getattr(rej.node, "col_offset", 0)
        raise _fail(text.strip(), where, line, col, rej.reason) from None
    try:
        result = _canonical(result)
    except _SYMPY_FAILURES as err:
        raise ModelError(f"{where}: {_evaluation_failure(err)}") from None
    problem = _limit_problem(result, limits)
    if problem is not None:
        raise ModelError(f"{where}: {problem}")
    # What is accepted must be written back within the same limits: exact numbers built from
    # short text (`9**128*9**128`) print with all their digits. (Printed text is about as long
    # as the text read unless it holds such numbers, so short text without them is not
    # printed here.)
    long_numbers = any(_bits(r) > 132 for r in result.atoms(sympy.Rational))
    printed = len(to_text(result)) if long_numbers or len(text) > limits.max_length // 4 else 0
    if printed > limits.max_length:
        raise ModelError(
            f"{where}: the expression prints to {printed} characters (its exact numbers written "
            f"out), more than the {limits.max_length} allowed in model text; use smaller "
            "numbers or raise `ParserLimits.max_length`"
        )
    return result


def _canonical(expr: Any) -> Any:
    """`expr` rebuilt node by node until sympy's evaluation leaves it unchanged.

    sympy's evaluation is not idempotent in a few nestings: ``Abs(c*b/x)`` keeps the factor
    ``Abs(1/x)``, which built again becomes ``1/Abs(x)``. Reading model text builds every node
    again, so a parsed expression is brought to the form that its own text reads back as: then
    a model file round-trips exactly. Most expressions are already there after one pass.
    """
    for _ in range(3):
        again = _rebuilt(expr)
        if again == expr:
            return expr
        expr = again
    return expr


def _rebuilt(expr: Any) -> Any:
    memo: dict[Any, Any] = {}
    stack: list[tuple[Any, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if node in memo:
            continue
        if not node.args or isinstance(node, sympy.Atom):
            memo[node] = node
            continue
        if not expanded:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in memo)
            continue
        args = [memo[a] for a in node.args]
        unchanged = all(new == old for new, old in zip(args, node.args, strict=True))
        if unchanged and isinstance(node, sympy.Min | sympy.Max):
            # Already filtered by Max's pairwise comparisons, the costliest evaluation there is.
            memo[node] = node
        elif isinstance(node, sympy.core.relational.Relational):
            # As the parser builds comparisons: decided only between two numbers.
            lhs, rhs = args
            memo[node] = node.func(lhs, rhs, evaluate=bool(lhs.is_number and rhs.is_number))
        else:
            memo[node] = node.func(*args)
    return memo[expr]


def parse_expression(
    text: str,
    names: Mapping[str, sympy.Symbol],
    *,
    where: str = "expression",
    limits: ParserLimits = DEFAULT_LIMITS,
) -> sympy.Expr:
    """Parse model text into a sympy expression, safely.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"a - (b + 1)*x + x**2*y"``.
    names : mapping of str to sympy.Symbol
        The declared names and the symbols they stand for.
    where : str
        What the text is, for messages (e.g. "equation for `x`").
    limits : ParserLimits
        Size bounds.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ModelError
        For anything outside the language, with line, column and a caret.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.language import parse_expression
    >>> x = sympy.Symbol("x", real=True)
    >>> parse_expression("x**2 if x > 0 else -x", {"x": x})
    Piecewise((x**2, x > 0), (-x, True))
    >>> parse_expression("x.__class__", {"x": x}, where="equation for `x`")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: equation for `x`, line 1, column 1: attribute access (`.`) is not part of the model language
      x.__class__
      ^
    """
    expr = _build(text, names, where, limits, as_condition=False)
    return check_expression(expr, names, where=where)


def parse_condition(
    text: str,
    names: Mapping[str, sympy.Symbol],
    *,
    where: str = "condition",
    limits: ParserLimits = DEFAULT_LIMITS,
) -> sympy.logic.boolalg.Boolean:
    """Parse a condition (comparisons joined by ``and``, ``or``, ``not``) into a sympy Boolean.

    Parameters
    ----------
    text : str
        The condition, e.g. ``"alpha*(1 - theta)*b < theta*c"``.
    names : mapping of str to sympy.Symbol
        The declared names.
    where : str
        What the text is, for messages.
    limits : ParserLimits
        Size bounds.

    Returns
    -------
    sympy.logic.boolalg.Boolean

    Raises
    ------
    ModelError
        For anything outside the language.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.language import parse_condition
    >>> a, b = sympy.symbols("a b", positive=True)
    >>> parse_condition("a < b and not b > 2", {"a": a, "b": b})
    (b <= 2) & (a < b)
    """
    cond = _build(text, names, where, limits, as_condition=True)
    _check_tree(cond, names, where)
    return cond


# --------------------------------------------------------------------------------------------
# Checking sympy input and printing back


def _rationalize_floats(expr: Any) -> Any:
    floats = expr.atoms(sympy.Float)
    if not floats:
        return expr
    return expr.xreplace({f: exact_number(float(f), what="a float") for f in floats})


def _check_tree(expr: Any, names: Mapping[str, sympy.Symbol], where: str) -> None:
    if expr.has(sympy.zoo, sympy.nan):
        raise ModelError(f"{where}: the expression is undefined (division by zero or 0/0)")
    if expr.has(sympy.oo, -sympy.oo):
        raise ModelError(f"{where}: the expression contains infinity; use finite values")
    if expr.has(sympy.I):
        raise ModelError(f"{where}: the expression is complex (contains I); models are real")
    known = {sym: name for name, sym in names.items()}
    for sym in expr.free_symbols:
        if sym not in known:
            same_name = [s for s in known if s.name == sym.name]
            hint = (
                " (a symbol of that name is declared with other assumptions; use the model's "
                "symbols, e.g. `model.symbol(name)`)"
                if same_name
                else ""
            )
            raise ModelError(f"{where}: unknown symbol `{sym}`{hint}; declare it first")
    for func in expr.atoms(sympy.Function):
        if not isinstance(func, _ALLOWED_FUNCTION_CLASSES):
            raise ModelError(
                f"{where}: the function `{type(func).__name__}` is not part of the model language "
                f"(allowed: {', '.join(sorted(FUNCTIONS))})"
            )
    for pw in expr.atoms(sympy.Piecewise):
        if pw.args[-1].cond is not sympy.true:
            raise ModelError(f"{where}: a Piecewise needs an `otherwise` (True) branch")
    # Numbers that sympy keeps symbolic obey the parser's bounds here too (an expression built
    # in Python, e.g. tan(cosh(10**39)), would otherwise hang its printing). Innermost first:
    # cosh(10**39) is refused before tan of it is ever evaluated.
    checked: set[Any] = set()
    for node in sympy.postorder_traversal(expr):
        if isinstance(node, sympy.Function) and node not in checked and node.is_number:
            checked.add(node)
            problem = _value_problem(node, DEFAULT_LIMITS)
            if problem is not None:
                raise ModelError(f"{where}: {problem}")


def check_expression(
    expr: object, names: Mapping[str, sympy.Symbol], *, where: str = "expression"
) -> sympy.Expr:
    """Validate a sympy expression given directly (not as text) and normalize it.

    The expression may only use declared symbols and the functions of the language; it must be
    finite and real. Floats become exact rationals (``0.1`` -> ``1/10``), as in model text, so
    that every model prints back to text that parses to the same expression.

    Parameters
    ----------
    expr : sympy.Expr or number
        The expression.
    names : mapping of str to sympy.Symbol
        The declared names.
    where : str
        What the expression is, for messages.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ModelError
        For undeclared symbols, unknown functions, complex or infinite values.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.language import check_expression
    >>> x = sympy.Symbol("x", real=True)
    >>> check_expression(0.5*x, {"x": x})
    x/2
    >>> check_expression(sympy.gamma(x), {"x": x})
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: expression: the function `gamma` is not part of the model language (allowed: Abs, Max, Min, acos, asin, atan, cos, cosh, erf, erfc, exp, log, sign, sin, sinh, sqrt, tan, tanh)
    """
    if isinstance(expr, bool):
        raise ModelError(f"{where}: expected an expression, got {expr!r} (bool)")
    if isinstance(expr, int | float):
        expr = exact_number(expr, what=where)
    if not isinstance(expr, sympy.Expr):
        raise ModelError(
            f"{where}: expected a sympy expression or text, got {expr!r:.60} ({type(expr).__name__})"
        )
    expr = _rationalize_floats(expr)
    _check_tree(expr, names, where)
    return expr


class _ModelPrinter(StrPrinter):
    """sympy's str printer, adjusted so that the output is model-language text."""

    def _print_Piecewise(self, expr: Any) -> str:
        # One chain `(a if c else b if d else e)`; a Piecewise in the otherwise branch is
        # bracketed by its own printing, which is how the parser tells the two apart.
        *pieces, (last, _) = expr.args
        chain = " else ".join(f"{self._print(v)} if {self._print(c)}" for v, c in pieces)
        return f"({chain} else {self._print(last)})"

    def _print_And(self, expr: Any) -> str:
        return " and ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Or(self, expr: Any) -> str:
        return " or ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Not(self, expr: Any) -> str:
        return f"not ({self._print(expr.args[0])})"

    def _print_ITE(self, expr: Any) -> str:
        cond, then, otherwise = (self._print(a) for a in expr.args)
        return f"(({then}) if ({cond}) else ({otherwise}))"

    def _print_Equality(self, expr: Any) -> str:
        return f"{self._print(expr.lhs)} == {self._print(expr.rhs)}"

    def _print_Unequality(self, expr: Any) -> str:
        return f"{self._print(expr.lhs)} != {self._print(expr.rhs)}"

    def _print_BooleanTrue(self, expr: Any) -> str:
        return "0 == 0"

    def _print_BooleanFalse(self, expr: Any) -> str:
        return "0 == 1"

    # Integer literals are limited to 40 digits; larger exact numbers (``3**128``, the
    # denominator of ``1e-100``) are written as sums of 40-digit chunks times powers of 10**40.
    def _print_Integer(self, expr: Any) -> str:
        return _integer_text(int(expr.p))

    def _print_Rational(self, expr: Any) -> str:
        if expr.q == 1:
            return _integer_text(int(expr.p))
        return f"{_integer_text(int(expr.p))}/{_integer_text(int(expr.q))}"

    # A call takes at most 8 arguments; sympy flattens Max(Max(a, ...), b) into one Max, so a
    # longer Max is written as a nested one and reads back the same.
    def _print_Max(self, expr: Any) -> str:
        return self._lattice("Max", [self._print(a) for a in expr.args])

    def _print_Min(self, expr: Any) -> str:
        return self._lattice("Min", [self._print(a) for a in expr.args])

    def _lattice(self, name: str, args: list[str]) -> str:
        if len(args) <= _MAX_CALL_ARGS:
            return f"{name}({', '.join(args)})"
        head, rest = args[: _MAX_CALL_ARGS - 1], args[_MAX_CALL_ARGS - 1 :]
        return f"{name}({', '.join(head)}, {self._lattice(name, rest)})"


_MAX_CALL_ARGS = 8
_CHUNK_DIGITS = 40
_CHUNK = 10**_CHUNK_DIGITS


def _integer_text(n: int) -> str:
    """An integer as model text: plain up to 40 digits, else ``(c1*10**40 + c0)`` and so on.

    Chunk ``k`` is multiplied by ``(10**40)**k``, a power with a small exponent, so the text
    stays within the parser's literal and exponent limits.
    """
    if n < 0:
        return f"-{_integer_text(-n)}"
    if n.bit_length() <= 132:  # below 10**39.7: at most 40 digits
        return str(n)
    chunks: list[int] = []
    while n:
        n, c = divmod(n, _CHUNK)
        chunks.append(c)
    terms = []
    for k in range(len(chunks) - 1, -1, -1):
        c = chunks[k]
        if c == 0:
            continue
        scale = (
            "" if k == 0 else f"10**{_CHUNK_DIGITS}" if k == 1 else f"(10**{_CHUNK_DIGITS})**{k}"
        )
        if not scale:
            terms.append(str(c))
        elif c == 1:
            terms.append(scale)
        else:
            terms.append(f"{c}*{scale}")
    return (
        terms[0]
        if len(terms) == 1 and "*" not in terms[0] and "(" not in terms[0]
        else ("(" + " + ".join(terms) + ")")
    )


class _ExactPrinter(_ModelPrinter):
    """Prints sums, products and powers argument by argument, as sympy stores them.

    sympy's usual printing is for readers: ``-((x + y)/b)`` (stored as the product of -1, 1/b
    and x + y) prints as ``-(x + y)/b``, which reads back as ``(-x - y)/b``, an equal value but
    another expression. This printer writes ``-1*(x + y)/b``: the parser builds a chain
    ``a*b*c`` or ``a + b + c`` with one sympy call on its terms, so the stored arguments come
    back as they were (sympy's invariant ``expr.func(*expr.args) == expr``).
    """

    def _print_Add(self, expr: Any, order: str | None = None) -> str:
        return " + ".join(self.parenthesize(a, PRECEDENCE["Add"], strict=True) for a in expr.args)

    def _print_Mul(self, expr: Any) -> str:
        out = ""
        for i, factor in enumerate(expr.args):
            if (
                i > 0
                and isinstance(factor, sympy.Pow)
                and factor.exp == -1
                and not factor.base.is_Number
            ):
                out += "/" + self._factor(factor.base)
            else:
                out += ("*" if i > 0 else "") + self._factor(factor)
        return out

    def _factor(self, factor: Any) -> str:
        if isinstance(factor, sympy.Rational):
            text = self._print(factor)
            # A negative or fractional coefficient stands first; elsewhere it is bracketed.
            return text
        return self.parenthesize(factor, PRECEDENCE["Mul"], strict=True)

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        base, exp = expr.args
        base_text = self._print(base)
        if not (
            isinstance(base, sympy.Symbol | sympy.NumberSymbol | sympy.Function)
            or (isinstance(base, sympy.Integer) and base > 0 and base_text.isdigit())
        ):
            base_text = f"({base_text})"
        exp_text = self._print(exp)
        if not (
            isinstance(exp, sympy.Symbol) or (isinstance(exp, sympy.Integer) and exp_text.isdigit())
        ):
            exp_text = f"({exp_text})"
        return f"{base_text}**{exp_text}"


_PRINTER = _ModelPrinter()
_EXACT_PRINTER = _ExactPrinter()


def to_text(expr: Any) -> str:
    """Print a model expression or condition as text that :func:`parse_expression` reads back.

    Parameters
    ----------
    expr : sympy.Expr or sympy Boolean
        An expression built by the parser or accepted by :func:`check_expression`.

    Returns
    -------
    str

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.language import to_text
    >>> x = sympy.Symbol("x", real=True)
    >>> to_text(sympy.Piecewise((x, x > 0), (0, True)))
    '(x if x > 0 else 0)'
    """
    return str(_PRINTER.doprint(expr))


class _LatexPrinter(LatexPrinter):
    """sympy's LaTeX printer without its one unbounded step.

    To lay out a product as a fraction, sympy's printer asks of every power whose exponent is
    negative whether that exponent is constant (``fraction(expr, exact=True)`` calls
    ``Expr.is_constant``), which differentiates and simplifies the exponent: 0.4 s for
    ``exp(-Max(k, E, sqrt(b)))`` and without bound for larger ones. An exponent with free
    symbols is never constant in a parsed model (the parser has already evaluated constants), so
    such factors are printed as factors of the numerator, which is where sympy puts them once it
    has found out, and only the rest of the product goes through sympy's layout.
    """

    def _print_Mul(self, expr: Any) -> str:
        symbolic = [f for f in expr.args if _symbolic_negative_power(f)]
        if not symbolic:
            return str(super()._print_Mul(expr))
        factors = [f for f in expr.args if not _symbolic_negative_power(f)]
        powers = " ".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in symbolic)
        sign = ""
        if factors and factors[0].is_Number and factors[0].is_negative:
            sign = "- "
            factors[0] = -factors[0]
        factors = [f for f in factors if f != 1]
        if not factors:
            return sign + powers
        # Unevaluated, so that 3*(x + 1) is not distributed into 3*x + 3.
        rest = factors[0] if len(factors) == 1 else sympy.Mul(*factors, evaluate=False)
        rest_tex = self._print(rest)
        if rest.is_Add:
            rest_tex = rf"\left({rest_tex}\right)"
        return f"{sign}{rest_tex} {powers}"


def _symbolic_negative_power(factor: Any) -> bool:
    if not (factor.is_commutative and (factor.is_Pow or isinstance(factor, sympy.exp))):
        return False
    exponent = factor.as_base_exp()[1]
    return bool(exponent.free_symbols) and exponent.could_extract_minus_sign()


def to_latex(expr: Any) -> str:
    """Print a model expression or condition as LaTeX, in time bounded by its size.

    The same LaTeX as ``sympy.latex``, except that a product holding a power with a negative
    symbolic exponent is not laid out as a fraction (sympy's test for that can take seconds).

    Parameters
    ----------
    expr : sympy.Expr or sympy Boolean
        An expression built by the parser or accepted by :func:`check_expression`.

    Returns
    -------
    str

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.language import to_latex
    >>> k, b = sympy.symbols("k b", positive=True)
    >>> print(to_latex(sympy.pi * sympy.exp(-sympy.Max(k, sympy.E, sympy.sqrt(b)))))
    \\pi e^{- \\max\\left(e, \\sqrt{b}, k\\right)}
    >>> print(to_latex(k / b))
    \\frac{k}{b}
    """
    return str(_LATEX_PRINTER.doprint(expr))


_LATEX_PRINTER = _LatexPrinter()


def to_model_text(
    expr: Any,
    names: Mapping[str, sympy.Symbol],
    *,
    condition: bool = False,
    where: str = "expression",
    limits: ParserLimits = DEFAULT_LIMITS,
) -> str:
    """Text that the parser reads back as exactly `expr` (a model file's round trip).

    The readable form of :func:`to_text` is tried first and parsed again; where sympy would
    rebuild another (equal-valued) expression from it, the argument-by-argument form is used.

    Parameters
    ----------
    expr : sympy.Expr or sympy Boolean
        The expression (or, with ``condition=True``, the condition).
    names : mapping of str to sympy.Symbol
        The declared names, as for :func:`parse_expression`.
    condition : bool
        Whether `expr` is a condition.
    where : str
        What the expression is, for messages.
    limits : ParserLimits
        The limits the text will be read back under.

    Returns
    -------
    str

    Raises
    ------
    ModelError
        When no text within `limits` reads back as `expr` (an expression built in Python with
        numbers or exponents beyond the limits); the message says which limit.

    Examples
    --------
    >>> import sympy
    >>> from incentive_geometry.language import to_model_text, to_text
    >>> x, y, b = sympy.symbols("x y b", real=True)
    >>> e = -((x + y)/b)
    >>> to_text(e), to_model_text(e, {"x": x, "y": y, "b": b})
    ('-(x + y)/b', '-1/b*(x + y)')
    """
    return _model_text(expr, tuple(names.items()), condition, where, limits)


@functools.lru_cache(maxsize=1024)
def _model_text(
    expr: Any,
    names_items: tuple[tuple[str, sympy.Symbol], ...],
    condition: bool,
    where: str,
    limits: ParserLimits,
) -> str:
    # Cached: a model is often saved again and again (sweeps fingerprint it by its file).
    names = dict(names_items)
    parse = parse_condition if condition else parse_expression
    first_error: ModelError | None = None
    for printer in (_PRINTER, _EXACT_PRINTER):
        text = str(printer.doprint(expr))
        try:
            back = parse(text, names, where=where, limits=limits)
        except ModelError as err:
            first_error = first_error or err
            continue
        if back == expr:
            return text
    if first_error is not None:
        raise ModelError(
            f"{where}: cannot be written as model text within the parser limits: "
            f"{first_error.summary}"
        )
    raise ModelError(
        f"{where}: cannot be written as model text that reads back the same; "
        "please report this expression"
    )
