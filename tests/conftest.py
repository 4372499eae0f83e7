"""Shared test fixtures, and how the suite is selected and spread over the cores.

* Tests marked ``slow`` are deselected unless asked for: ``pytest -m slow`` runs only them (CI
  does, after the default run), ``pytest --run-slow`` runs everything, and a slow test named by
  its node id (``pytest tests/x.py::test_y``) runs.
* The run is spread over the cores by pytest-xdist with ``--dist loadfile``: a file's tests run
  in one worker, so that a module- or session-scoped fixture of a file is built once (the
  symbolic corpus runs the engine on every model it checks in one session fixture; under
  ``--dist load`` each worker would run all of it). (``--dist loadgroup`` does not group with
  pytest 9.2 and pytest-xdist 3.8: pytest-xdist issue 1386.)
* The files known to take longest start first (``HEAVY_FIRST``; ``--no-loadscope-reorder`` in
  pyproject.toml keeps this order instead of pytest-xdist's most-tests-first): under
  ``--dist loadfile`` a file runs on one worker, and a long file handed out last keeps one core
  busy while the other waits. The order changes only when a file runs, never what it checks.
* When every path given names single tests (``::``), ``-n auto`` runs in this one process.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import pytest

from incentive_geometry.cli import main

SLOW = "slow"

#: Files of the default run that took longest on one worker (seconds of wall time measured on
#: 2 cores, December 2026), longest first; the others follow in collection order.
HEAVY_FIRST = (
    "solvers/symbolic/test_symbolic_corpus.py",  # 68 s (the session fixture runs the engine)
    "test_docs.py",  # 62 s
    "solvers/numeric/test_compiled_continuation.py",  # 47 s (numba compiles)
    "solvers/symbolic/test_symbolic_soundness.py",  # 45 s
    "solvers/symbolic/test_symbolic_models.py",  # 44 s
    "proofs/test_proofs_catalogue_falsifiable.py",  # 44 s
    "proofs/test_proofs_verify.py",  # 31 s
    "proofs/test_proofs_catalogue_falsifiable_c3.py",  # 30 s
    "proofs/test_proofs_catalogue_planted.py",  # 29 s
    "test_docs_pages.py",  # 25 s
    "solvers/symbolic/test_symbolic_hurwitz.py",  # 24 s
    "proofs/test_proofs_depth_selection.py",  # 23 s
    "solvers/symbolic/test_symbolic_budget.py",  # 22 s
    "test_lint.py",  # 21 s (mypy)
    "core/test_cli_derive_region.py",  # 20 s
    "proofs/test_proofs_check.py",  # 19 s
    "solvers/symbolic/test_symbolic_derive_budget.py",  # 18 s
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the tests marked slow (deselected by default; -m slow runs only them)",
    )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` on single named tests: no workers (starting them costs more than the tests)."""
    args = [a for a in config.args if not a.startswith("-")]
    if args and all("::" in a for a in args):
        return 0
    return None


def _named(item: pytest.Item, config: pytest.Config) -> bool:
    """Whether `item` was asked for by its node id on the command line."""
    for arg in config.args:
        if "::" in arg:
            path, _, name = arg.partition("::")
            if str(item.path).endswith(path.lstrip("./")) and (
                item.nodeid.endswith("::" + name) or ("::" + name + "[") in item.nodeid
            ):
                return True
    return False


def _deselect_slow(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow") or config.getoption("markexpr"):
        return  # asked for everything, or chose with -m
    keep, drop = [], []
    for item in items:
        if item.get_closest_marker(SLOW) is None or _named(item, config):
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _heavy_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Move the tests of the ``HEAVY_FIRST`` files to the front, in that order (a stable sort:
    the tests of a file keep their order)."""
    tests = config.rootpath / "tests"
    rank = {(tests / name).resolve(): i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.resolve(), len(HEAVY_FIRST)))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _deselect_slow(config, items)
    _heavy_first(config, items)


@pytest.fixture
def incgeo() -> Callable[..., tuple[int, str, str]]:
    """Run the ``incgeo`` entry point in-process: ``incgeo("show", path) -> (code, out, err)``."""

    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 0
            else:
                raise AssertionError("main() must exit with a code")
        return code, out.getvalue(), err.getvalue()

    return run
