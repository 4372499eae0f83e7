"""The documentation pages in docs/: every Python block runs, in order, as a user would paste it
(one namespace per page, from the repository root so example paths resolve), and every page is
linked from the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_the_python_blocks_of_a_page_run(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = BLOCK.findall(page.read_text())
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for k, code in enumerate(blocks):
        try:
            exec(compile(code, f"{page.name}[block {k}]", "exec"), namespace)
        except Exception as err:  # pragma: no cover - the message is the point
            pytest.fail(f"{page.name}, Python block {k}: {type(err).__name__}: {err}")


def test_every_page_is_linked_from_the_readme() -> None:
    linked = set(re.findall(r"\(docs/([^)#]+\.md)", (ROOT / "README.md").read_text()))
    assert PAGES and {p.name for p in PAGES} <= linked, sorted({p.name for p in PAGES} - linked)
