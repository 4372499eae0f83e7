"""The package facade: lazy public names, subpackages as attributes, a clean dir()."""

from __future__ import annotations

import subprocess
import sys

import pytest

import incentive_geometry as ig


def test_subpackages_are_lazy_attributes() -> None:
    assert ig.theory.entrenchment().name == "entrenchment"
    assert ig.solvers.__name__ == "incentive_geometry.solvers"
    assert ig.proofs.__name__ == "incentive_geometry.proofs"


def test_import_stays_light() -> None:
    # `import incentive_geometry` must not import the solver layers (a fresh interpreter).
    code = (
        "import sys, incentive_geometry as ig; "
        "print(any(m.startswith('incentive_geometry.solvers') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_dir_lists_public_names_only() -> None:
    names = dir(ig)
    for helper in ("Any", "annotations", "importlib", "_LAZY"):
        assert helper not in names
    for public in ("Model", "cycles", "analogy", "theory", "__version__"):
        assert public in names
    assert set(ig.__all__) <= set(names)


def test_every_lazy_name_resolves_and_unknown_names_raise() -> None:
    for name in ig.__all__:
        assert getattr(ig, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ig.nope  # noqa: B018
