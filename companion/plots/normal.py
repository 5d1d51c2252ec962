"""Figures for the normal chapter(s)."""

from __future__ import annotations

__all__: list[str] = []
