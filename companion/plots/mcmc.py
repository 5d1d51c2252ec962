"""Figures for the mcmc chapter(s)."""

from __future__ import annotations

__all__: list[str] = []
