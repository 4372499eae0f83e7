"""Docstrings: every module's doctests pass, and every public name has a doctested example.

The modules are found by walking the installed packages, so the doctests run against the same
code a user imports (editable or not).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

PACKAGES = (
    "incentive_geometry",
    "incentive_geometry.theory",
    "incentive_geometry.solvers",
    "incentive_geometry.proofs",
)


def _modules() -> list[str]:
    names: set[str] = set()
    for pkg_name in PACKAGES:
        pkg = importlib.import_module(pkg_name)
        names.add(pkg_name)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg_name + "."):
            if info.name.endswith("__main__"):
                continue
            names.add(info.name)
    return sorted(names)


MODULES = _modules()


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name} (output above)"


def _public_objects(module: ModuleType) -> list[tuple[str, object]]:
    out = []
    for attr in getattr(module, "__all__", []):
        obj = getattr(module, attr)
        defined_here = getattr(obj, "__module__", None) == module.__name__
        if defined_here and (inspect.isfunction(obj) or inspect.isclass(obj)):
            out.append((attr, obj))
    return out


@pytest.mark.parametrize("name", MODULES)
def test_public_names_have_doctested_examples(name: str) -> None:
    module = importlib.import_module(name)
    missing = [
        attr for attr, obj in _public_objects(module) if ">>>" not in (inspect.getdoc(obj) or "")
    ]
    assert not missing, f"{name}: public names without a doctested example: {missing}"


def test_every_module_declares_all() -> None:
    missing = [
        name
        for name in MODULES
        if not name.rsplit(".", 1)[-1].startswith("_")
        and not hasattr(importlib.import_module(name), "__all__")
    ]
    assert not missing, f"modules without __all__: {missing}"
