"""Reading model files.

The model file format is TOML; see the README for a complete example. Files are read as UTF-8,
parsed with :mod:`tomllib`, validated key by key, and every expression goes through the safe parser.

Examples
--------
>>> import pathlib, tempfile
>>> import incentive_geometry as ig
>>> path = pathlib.Path(tempfile.mkdtemp()) / "decay.toml"
>>> _ = path.write_text('name = "decay"\\n[equations]\\nx = "-k*x"\\n[parameters]\\nk = 0.5\\n')
>>> ig.load_model(path)
<Model 'decay': continuous, states (x), parameters (k=0.5)>
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import ModelError
from .language import DEFAULT_LIMITS, ParserLimits
from .model import Model

__all__ = ["MAX_FILE_BYTES", "load_model", "locate_in_file"]

#: Largest model file read, in bytes (a model file is a page of text, not a data set).
MAX_FILE_BYTES = 1_000_000


def load_model(path: str | os.PathLike[str], *, limits: ParserLimits = DEFAULT_LIMITS) -> Model:
    """Load a model from a TOML model file.

    Parameters
    ----------
    path : str or path-like
        The file.
    limits : ParserLimits
        Size bounds of the expression text (see SECURITY.md).

    Returns
    -------
    Model

    Raises
    ------
    ModelError
        When the file is missing, too large, not UTF-8, not TOML, or not a valid model; the
        message names the file, the table and the key. An error inside an expression starts
        with the file's line and column (``m.toml:7:12: [equations] y: ...``) and shows that
        line of the file with a caret (:func:`locate_in_file`).

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> ig.load_model("no/such/file.toml")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: model file `no/such/file.toml` does not exist; give the path of a .toml model file
    """
    if not isinstance(path, str | os.PathLike):
        raise ModelError(f"`path` must be a file path, got {path!r:.60} ({type(path).__name__})")
    p = Path(path)
    shown = os.fspath(path)
    if not p.exists():
        raise ModelError(
            f"model file `{shown}` does not exist; give the path of a .toml model file"
        )
    if not p.is_file():
        raise ModelError(f"model file `{shown}` is not a regular file")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ModelError(
            f"model file `{shown}` has {size} bytes; model files are limited to {MAX_FILE_BYTES}"
        )
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ModelError(
            f"{shown}: not UTF-8 text (byte 0x{raw[err.start]:02x} at line {line}, byte offset "
            f"{err.start}); save the file as UTF-8"
        ) from None
    try:
        return Model.from_toml(text, source=shown, limits=limits)
    except ModelError as err:
        placed = locate_in_file(err, text, shown)
        if placed is None:
            raise
        raise placed from None


def locate_in_file(err: ModelError, text: str, source: str) -> ModelError | None:
    """`err` placed at the file's line and column of the expression position it names.

    The parser counts lines and columns inside the expression string; ``tomllib`` gives no
    positions of values, so the string is found by its table and key in `text` and decoded as
    TOML does, keeping the file position of each character.

    Parameters
    ----------
    err : ModelError
        An error of :meth:`Model.from_toml` (or of a claim of the file) whose summary starts
        with ``"SOURCE: "``.
    text : str
        The file's text.
    source : str
        How the file is named in the message.

    Returns
    -------
    ModelError or None
        ``SOURCE:LINE:COLUMN: [table] key: reason`` with the file's line and a caret, or None
        when `err` names no expression position or the key is not found in the text.

    Examples
    --------
    >>> from incentive_geometry.errors import ModelError
    >>> from incentive_geometry.io import locate_in_file
    >>> text = 'name = "m"\\n\\n[equations]\\nx = "x + $"\\n'
    >>> err = ModelError("m.toml: [equations] x, line 1, column 5: syntax error")
    >>> print(locate_in_file(err, text, "m.toml"))
    m.toml:4:10: [equations] x: syntax error
      x = "x + $"
               ^
    """
    prefix = f"{source}: "
    if not err.summary.startswith(prefix):
        return None
    body = err.summary[len(prefix) :]
    lines = text.splitlines()
    m = _AT_EXPRESSION.match(body)
    if m is not None:
        table, key = m["table"], m["key"]
        if table == "constraints":
            start = _array_item(lines, "constraints", int(key) if key.isdigit() else -1)
        else:
            start = _table_value(lines, table, False, 1, key)
        label = f"[{table}] {key}"
    else:
        m = _AT_CLAIM.match(body)
        if m is None:
            return None
        key = m["key"]
        start = _table_value(lines, "claims", True, int(m["index"]), key)
        label = f"[[claims]] {m['index']} {m['name']}: {key}"
    if start is None:
        return None
    pos = _position(lines, start, int(m["line"]), int(m["col"]))
    if pos is None:
        return None
    row, col = pos
    caret = f"  {lines[row]}\n  {' ' * col}^"
    return ModelError(f"{source}:{row + 1}:{col + 1}: {label}: {m['reason']}", context=caret)


# "SRC: [table] key, line L, column C: reason" (the messages of Model.from_dict); claims read
# "SRC: [[claims]] N `name`: claim `name`: field, line L, column C: reason".
_AT_EXPRESSION = re.compile(
    r"^\[(?P<table>equations|observables|noise|constraints)\] (?P<key>[^,]+?), "
    r"line (?P<line>\d+), column (?P<col>\d+): (?P<reason>.*)$",
    re.S,
)
_AT_CLAIM = re.compile(
    r"^\[\[claims\]\] (?P<index>\d+) (?P<name>`[^`]*`): (?:claim `[^`]*`: )?(?P<key>\w+), "
    r"line (?P<line>\d+), column (?P<col>\d+): (?P<reason>.*)$",
    re.S,
)
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")
_QUOTES = ('"""', "'''", '"', "'")


def _key_pattern(key: str) -> re.Pattern[str]:
    k = re.escape(key)
    return re.compile(rf"^\s*(?:{k}|\"{k}\"|'{k}')\s*=\s*")


def _table_value(
    lines: list[str], table: str, array: bool, nth: int, key: str
) -> tuple[int, int] | None:
    """(row, column) of the opening quote of `key`'s value in the `nth` section `table`."""
    seen, inside = 0, False
    pattern = _key_pattern(key)
    for row, line in enumerate(lines):
        h = _HEADER.match(line)
        if h is not None:
            inside = h.group(2).strip() == table and (h.group(1) == "[[") == array
            seen += inside
            continue
        if inside and seen == nth:
            m = pattern.match(line)
            if m is not None:
                return (row, m.end())
    return None


def _array_item(lines: list[str], key: str, index: int) -> tuple[int, int] | None:
    """(row, column) of the opening quote of the `index`-th (1-based) string of array `key`."""
    pattern = _key_pattern(key)
    for row, line in enumerate(lines):
        if _HEADER.match(line):
            return None  # top-level keys come before the first table
        m = pattern.match(line)
        if m is None:
            continue
        count, r, c = 0, row, m.end()
        while r < len(lines):
            text = lines[r]
            while c < len(text):
                ch = text[c]
                if ch == "#":
                    break
                if ch == "]":
                    return None
                if ch in "\"'":
                    count += 1
                    if count == index:
                        return (r, c)
                    c = _string_end(text, c)
                    continue
                c += 1
            r, c = r + 1, 0
        return None
    return None


def _string_end(text: str, c: int) -> int:
    """Index just past a one-line string that starts at `text[c]`."""
    q, k = text[c], c + 1
    while k < len(text):
        if q == '"' and text[k] == "\\":
            k += 2
        elif text[k] == q:
            return k + 1
        else:
            k += 1
    return len(text)


def _position(
    lines: list[str], start: tuple[int, int], line: int, col: int
) -> tuple[int, int] | None:
    """The file's (row, column), 0-based, of the expression's `line`:`col` (1-based).

    `start` is the opening quote of the TOML string; the string is decoded as TOML does
    (escapes of basic strings, the newline right after opening triple quotes, line-ending
    backslashes) while the file position of each decoded character is kept.
    """
    row, c = start
    first = lines[row]
    quote = next((q for q in _QUOTES if first.startswith(q, c)), None)
    if quote is None:
        return None
    basic, multi = quote[0] == '"', len(quote) == 3
    c += len(quote)
    if multi and c >= len(first):
        row, c = row + 1, 0  # a newline right after the opening quotes is not part of the text
    at_line, at_col = 1, 1
    while row < len(lines):
        text = lines[row]
        while c < len(text):
            if text.startswith(quote, c):
                return (row, c) if (at_line, at_col) == (line, col) else None
            if (at_line, at_col) == (line, col):
                return (row, c)
            if basic and text[c] == "\\":
                if multi and text[c + 1 :].strip() == "":
                    # A line-ending backslash: the newline and the whitespace after it vanish.
                    row += 1
                    while row < len(lines) and lines[row].strip() == "":
                        row += 1
                    if row >= len(lines):
                        return None
                    text = lines[row]
                    c = len(text) - len(text.lstrip())
                    continue
                c += {"u": 6, "U": 10}.get(text[c + 1 : c + 2], 2)
            else:
                c += 1
            at_col += 1
        if not multi:
            return None
        if (at_line, at_col) == (line, col):
            return (row, c)
        row, c = row + 1, 0
        at_line, at_col = at_line + 1, 1
    return None
