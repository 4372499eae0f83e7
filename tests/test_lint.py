"""ruff and mypy, as configured in pyproject.toml, are clean: CI runs them through the tests.

mypy checks the package in its installed layout: a temporary tree where `incentive_geometry/`
holds the core and links to `theory/`, `solvers/` and `proofs/` under their installed names.
So imports across the layers (`incentive_geometry.proofs` -> `incentive_geometry.solvers`) are
type-checked the same way whether the package is installed editable or not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {"theory": "theory", "solvers": "solvers", "proofs": "proofs"}


def _run(
    *cmd: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=env)


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or "ruff"
    result = _run(ruff, "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean(tmp_path: Path) -> None:
    pkg = tmp_path / "incentive_geometry"
    pkg.mkdir()
    for entry in (ROOT / "incentive_geometry").iterdir():
        if entry.name != "__pycache__":
            (pkg / entry.name).symlink_to(entry)
    for name, folder in MAPPED.items():
        (pkg / name).symlink_to(ROOT / folder)
    env = {**os.environ, "MYPYPATH": str(tmp_path)}
    result = _run(
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--cache-dir",
        str(tmp_path / ".mypy_cache"),
        "-p",
        "incentive_geometry",
        cwd=tmp_path,
        env=env,
    )
    shown = result.stdout.replace(str(tmp_path) + "/", "")
    assert result.returncode == 0, shown + result.stderr
