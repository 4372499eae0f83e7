"""The import layers of the repository hold (the architecture described in docs/index.md).

Dependency direction, never reversed: ``proofs -> solvers -> incentive_geometry core <- theory``
and ``proofs -> theory``; the CLI and the package facade sit on top. ``solvers/``, ``proofs/``
and ``theory/`` never import the facade (``import incentive_geometry``, ``from
incentive_geometry import simulate``), only defining modules; and no module imports another
module's private ``_name``. Read from the code (the AST), so imports inside functions count too;
doctests, which show the user's view, do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "incentive_geometry": "incentive_geometry",
    "theory": "incentive_geometry.theory",
    "solvers": "incentive_geometry.solvers",
    "proofs": "incentive_geometry.proofs",
}
# What each layer may not import.
FORBIDDEN = {
    "core": {"theory", "solvers", "proofs", "cli", "facade"},
    "theory": {"solvers", "proofs", "cli", "facade"},
    "solvers": {"theory", "proofs", "cli", "facade"},
    "proofs": {"cli", "facade"},
}


def _module(path: Path) -> tuple[str, bool]:
    rel = path.relative_to(ROOT)
    parts = [PACKAGES[rel.parts[0]], *rel.parts[1:]]
    parts[-1] = parts[-1].removesuffix(".py")
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def _layer(module: str) -> str:
    for name in ("theory", "solvers", "proofs", "cli"):
        if module == f"incentive_geometry.{name}" or module.startswith(
            f"incentive_geometry.{name}."
        ):
            return name
    return "facade" if module == "incentive_geometry" else "core"


def _submodule(name: str) -> bool:
    """``from incentive_geometry import display`` names a module, not the facade's re-export."""
    return (ROOT / "incentive_geometry" / f"{name}.py").exists() or name in (
        "cli",
        "theory",
        "solvers",
        "proofs",
    )


def _imports(path: Path) -> list[tuple[int, str, str | None]]:
    module, is_package = _module(path)
    out: list[tuple[int, str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if is_package else module.rsplit(".", 1)[0]
                for _ in range(node.level - 1):
                    package = package.rsplit(".", 1)[0]
                base = f"{package}.{base}" if base else package
            out += [(node.lineno, base, a.name) for a in node.names]
    return [i for i in out if i[1].split(".")[0] == "incentive_geometry"]


def _violations() -> list[str]:
    found = []
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            module, _ = _module(path)
            mine = _layer(module)
            where = path.relative_to(ROOT)
            for line, base, name in _imports(path):
                theirs = _layer(base)
                if theirs == "facade" and name is not None and _submodule(name):
                    theirs = _layer(f"incentive_geometry.{name}")
                if mine in FORBIDDEN and theirs in FORBIDDEN[mine]:
                    what = f"import {base}" if name is None else f"from {base} import {name}"
                    if not (module == "incentive_geometry.__main__" and theirs == "cli"):
                        found.append(f"{where}:{line}: {mine} imports {theirs}: {what}")
                if name and name.startswith("_") and not name.startswith("__") and base != module:
                    found.append(f"{where}:{line}: private name of another module: {base}.{name}")
    return found


def test_no_import_goes_up_a_layer_or_takes_a_private_name() -> None:
    assert _violations() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import incentive_geometry as ig\n", "solvers imports facade"),
        ("from incentive_geometry import simulate\n", "solvers imports facade"),
        ("from incentive_geometry.proofs.check import check\n", "solvers imports proofs"),
        ("from incentive_geometry.model import _table\n", "private name of another module"),
        ("def f():\n    import incentive_geometry as ig\n", "solvers imports facade"),
    ],
)
def test_the_check_catches_each_kind(
    source: str, expected: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A planted file in a copy of the layout: the check must report it.
    fake = tmp_path / "solvers" / "planted.py"
    fake.parent.mkdir()
    fake.write_text(source)
    (tmp_path / "incentive_geometry").mkdir()
    (tmp_path / "incentive_geometry" / "model.py").write_text("")
    for top in ("theory", "proofs"):
        (tmp_path / top).mkdir()
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    (problem,) = _violations()
    assert expected in problem and "solvers/planted.py" in problem
