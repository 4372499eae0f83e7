"""Shared test fixtures."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import pytest

from incentive_geometry.cli import main


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
