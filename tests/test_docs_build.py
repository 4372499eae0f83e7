"""The documentation site builds with Sphinx (myst-parser for the markdown pages), warnings as
errors, into a temporary folder; every page is in the table of contents."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")


def test_the_docs_build_without_warnings(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(ROOT / "docs"), str(tmp_path / "html"), "-d", str(tmp_path / "doctrees")],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-4000:]
    for page in (ROOT / "docs").glob("*.md"):
        assert (tmp_path / "html" / f"{page.stem}.html").exists(), page.name
    theory = (tmp_path / "html" / "theory.html").read_text()
    assert "theta" in theory and "entrenchment" in theory


def test_every_page_is_in_the_table_of_contents() -> None:
    index = (ROOT / "docs" / "index.md").read_text()
    listed = set(re.findall(r"^([a-z][a-z0-9-]*)$", index, flags=re.M))
    pages = {p.stem for p in (ROOT / "docs").glob("*.md")} - {"index"}
    assert pages <= listed, sorted(pages - listed)
