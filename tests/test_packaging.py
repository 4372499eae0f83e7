"""Packaging: every package is listed, and an install puts only `incentive_geometry` in place."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {
    "incentive_geometry": ROOT / "incentive_geometry",
    "incentive_geometry.theory": ROOT / "theory",
    "incentive_geometry.solvers": ROOT / "solvers",
    "incentive_geometry.proofs": ROOT / "proofs",
}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = set()
    for name, folder in MAPPED.items():
        for init in folder.rglob("__init__.py"):
            rel = init.parent.relative_to(folder).parts
            found.add(".".join((name, *rel)))
    assert found == listed, (
        f"missing from pyproject: {sorted(found - listed)}; listed but absent: {sorted(listed - found)}"
    )


def test_package_dir_maps_the_top_level_folders() -> None:
    mapping = _pyproject()["tool"]["setuptools"]["package-dir"]
    assert mapping == {name: path.name for name, path in MAPPED.items()}


@pytest.mark.slow
def test_install_puts_only_incentive_geometry_into_site_packages(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    top = sorted(p.name for p in target.iterdir() if p.name != "bin")
    assert top == ["incentive_geometry", "incentive_geometry-0.1.0.dist-info"], top
    pkg = target / "incentive_geometry"
    for rel in (
        "py.typed",
        "theory/__init__.py",
        "solvers/symbolic/__init__.py",
        "proofs/__init__.py",
    ):
        assert (pkg / rel).is_file(), rel
    # The installed tree imports on its own, far from the checkout.
    probe = (
        "import incentive_geometry, incentive_geometry.theory, incentive_geometry.solvers.numeric;"
        "print(incentive_geometry.__file__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": ""},
    )
    assert out.stdout.strip().startswith(str(target))


@pytest.mark.slow
def test_editable_install_maps_the_folders(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "-e",
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    out = subprocess.run(
        [str(python), "-c", "import incentive_geometry.theory as t; print(t.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert Path(out.stdout.strip()) == ROOT / "theory" / "__init__.py"
