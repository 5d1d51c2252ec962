"""Shared fixtures for the test suite."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so every test run draws the same numbers."""
    return np.random.default_rng(20261121)


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT
