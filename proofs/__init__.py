"""Claims (an analytic statement, its derivation and a numerical observation) and their checks."""

from __future__ import annotations

__all__: list[str] = []
