"""What the commands share: finding a model by file or name, reading ``--set`` values."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from incentive_geometry.errors import ModelError
from incentive_geometry.io import load_model
from incentive_geometry.model import Model

__all__ = [
    "check_output_path",
    "library",
    "parse_assignments",
    "parse_state_values",
    "resolve_model",
]


def library() -> dict[str, object]:
    """The model library's registry (name -> factory), empty if it holds nothing yet.

    Returns
    -------
    dict

    Examples
    --------
    >>> from incentive_geometry.cli._common import library
    >>> isinstance(library(), dict)
    True
    """
    from incentive_geometry.theory import MODELS

    return dict(MODELS)


def check_output_path(path: str | None, *, option: str) -> None:
    """Refuse, before any work, an output file whose folder does not exist.

    Parameters
    ----------
    path : str, optional
        The file to write (nothing is checked when None).
    option : str
        The option that named it, for the message (``"--plot"``).

    Raises
    ------
    ModelError
        When the folder of `path` is missing or `path` is a folder; no folder is created.

    Examples
    --------
    >>> from incentive_geometry.cli._common import check_output_path
    >>> check_output_path("/no/such/folder/map.png", option="--plot")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: --plot /no/such/folder/map.png: the folder `/no/such/folder` does not exist; create it first or write somewhere else
    """
    if path is None:
        return
    target = Path(path)
    if target.is_dir():
        raise ModelError(f"{option} {path}: `{path}` is a folder; give a file name")
    if not target.parent.is_dir():
        raise ModelError(
            f"{option} {path}: the folder `{target.parent}` does not exist; create it first or "
            "write somewhere else"
        )


def resolve_model(spec: str) -> Model:
    """A model from a file path or a library name.

    Parameters
    ----------
    spec : str
        A path to a ``.toml`` model file, or the name of a model of the library.

    Returns
    -------
    Model

    Raises
    ------
    ModelError
        When `spec` is neither, with the closest library names.

    Examples
    --------
    >>> from incentive_geometry.cli._common import resolve_model
    >>> resolve_model("no-such-model")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: `no-such-model` is neither a model file nor a model of the library; run `incgeo models` to list the library
    """
    if spec.endswith(".toml") or Path(spec).exists() or "/" in spec:
        return load_model(spec)
    models = library()
    if spec in models:
        factory = models[spec]
        model = factory()  # type: ignore[operator]
        if not isinstance(model, Model):
            raise ModelError(f"library entry `{spec}` did not return a Model")
        return model
    close = difflib.get_close_matches(spec, list(models), n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(f'`{c}`' for c in close)}?)" if close else ""
    raise ModelError(
        f"`{spec}` is neither a model file nor a model of the library{hint}; run `incgeo models` "
        "to list the library"
    )


def _parse_pairs(
    values: Iterable[str], option: str, known: Sequence[str], what: str, model: Model
) -> dict[str, float]:
    """``name=value`` items (commas may join several in one item) for names in `known`."""
    out: dict[str, float] = {}
    for item in values:
        for part in item.split(","):
            name, sep, text = part.partition("=")
            name, text = name.strip(), text.strip()
            if not sep or not name or not text:
                raise ModelError(
                    f"{option} {item}: expected name=value, e.g. {option} {known[0] if known else 'x'}=0.5"
                )
            if name not in known:
                close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
                hint = (
                    f"closest: {', '.join(f'`{c}`' for c in close)}"
                    if close
                    else f"{what}s: {', '.join(known) or 'none'}"
                )
                raise ModelError(
                    f"{option} {item}: `{name}` is not a {what} of model `{model.name}` ({hint})"
                )
            try:
                value = float(text)
            except ValueError:
                raise ModelError(f"{option} {item}: `{text}` is not a number") from None
            if not math.isfinite(value):
                raise ModelError(f"{option} {item}: the value must be a finite number")
            out[name] = value
    return out


def parse_assignments(values: Iterable[str], model: Model) -> dict[str, float]:
    """Read ``name=value`` pairs (``--set``) for the parameters of `model`.

    Parameters
    ----------
    values : iterable of str
        Items such as ``"theta=0.4"``.
    model : Model
        The model whose parameters are set.

    Returns
    -------
    dict of str to float

    Raises
    ------
    ModelError
        For a malformed item, an unknown parameter or a non-finite value.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.cli._common import parse_assignments
    >>> m = ig.Model.from_equations({"x": "-k*x"}, parameters={"k": 1})
    >>> parse_assignments(["k=2.5"], m)
    {'k': 2.5}
    >>> parse_assignments(["k=nan"], m)
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: --set k=nan: the value must be a finite number
    """
    return _parse_pairs(values, "--set", model.parameter_names, "parameter", model)


def parse_state_values(values: Iterable[str], model: Model, *, option: str) -> dict[str, float]:
    """Read ``state=value`` pairs (``--x0``, ``--at``, ...) for the states of `model`.

    Parameters
    ----------
    values : iterable of str
        Items such as ``"x=0.9"`` or ``"x=0.1,y=2"``.
    model : Model
    option : str
        The option the items come from, for messages.

    Returns
    -------
    dict of str to float

    Raises
    ------
    ModelError
        For a malformed item, an unknown state or a non-finite value.

    Examples
    --------
    >>> import incentive_geometry as ig
    >>> from incentive_geometry.cli._common import parse_state_values
    >>> m = ig.Model.from_equations({"x": "-x", "y": "-y"}, parameters={})
    >>> parse_state_values(["x=0.1,y=2"], m, option="--at")
    {'x': 0.1, 'y': 2.0}
    >>> parse_state_values(["z=1"], m, option="--at")
    Traceback (most recent call last):
    ...
    incentive_geometry.errors.ModelError: --at z=1: `z` is not a state of model `model` (states: x, y)
    """
    return _parse_pairs(values, option, model.state_names, "state", model)
