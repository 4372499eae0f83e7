"""Symbolic analysis: equilibria, stability conditions, bifurcation conditions, thresholds."""

from __future__ import annotations

__all__: list[str] = []
