"""Numerical analysis: compiled right-hand sides, equilibria, simulation and continuation."""

from __future__ import annotations

__all__: list[str] = []
