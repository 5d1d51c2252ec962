"""Small shared helpers for the plotting modules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from companion._validate import as_finite


def get_axes(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.0)) -> Axes:
    """Return ``ax``, or the axes of a new figure of the given size."""
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def density_curves(x: ArrayLike, densities: ArrayLike) -> tuple[np.ndarray, dict[Any, np.ndarray]]:
    """Check evaluation points and density curves for a density plot; return copies.

    ``x`` must be finite and increasing with at least two points; ``densities`` a
    non-empty mapping of label to finite, non-negative values of the shape of ``x``.
    """
    positions = as_finite(x, "x")
    if positions.size < 2 or np.any(np.diff(positions) <= 0):
        raise ValueError(f"x must be increasing with at least 2 points; got {positions[:5]!r}")
    if not isinstance(densities, Mapping) or not densities:
        raise ValueError(
            f"densities must be a non-empty mapping of label -> values; got {densities!r}"
        )
    curves = {}
    for label, values in densities.items():
        array = as_finite(values, f"densities[{label!r}]")
        if array.shape != positions.shape or np.any(array < 0):
            raise ValueError(
                f"densities[{label!r}] must be non-negative with the shape of x "
                f"{positions.shape}; got shape {array.shape}, minimum {array.min()!r}"
            )
        curves[label] = array
    return positions, curves
