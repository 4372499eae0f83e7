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
from pathlib import Path

from .errors import ModelError
from .language import DEFAULT_LIMITS, ParserLimits
from .model import Model

__all__ = ["MAX_FILE_BYTES", "load_model"]

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
        message names the file, the table and the key.

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
    return Model.from_toml(text, source=shown, limits=limits)
