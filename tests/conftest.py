"""Shared test fixtures, and how the suite is selected and spread over the cores.

* Tests marked ``slow`` are deselected unless asked for: ``pytest -m slow`` runs only them (CI
  does, after the default run), ``pytest --run-slow`` runs everything, and a slow test named by
  its node id (``pytest tests/x.py::test_y``) runs.
* The run is spread over the cores by pytest-xdist with ``--dist loadfile``: a file's tests run
  in one worker, so that a module- or session-scoped fixture of a file is built once (the
  symbolic corpus runs the engine on every model it checks in one session fixture; under
  ``--dist load`` each worker would run all of it). (``--dist loadgroup`` does not group with
  pytest 9.2 and pytest-xdist 3.8: pytest-xdist issue 1386.)
* When every path given names single tests (``::``), ``-n auto`` runs in this one process.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import pytest

from incentive_geometry.cli import main

SLOW = "slow"


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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _deselect_slow(config, items)


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
