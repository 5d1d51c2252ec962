r"""The forest plot of a meta-analysis: each trial's estimate beside its shrunken effect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from companion._validate import as_finite, as_positive
from companion.plots._axes import get_axes

__all__ = ["plot_forest"]


def plot_forest(
    y: ArrayLike,
    sigma: ArrayLike,
    shrunk: ArrayLike,
    *,
    labels: Sequence[str],
    summary: Mapping[str, tuple[float, float, float]] | None = None,
    ax: Axes | None = None,
    xlabel: str = "log odds ratio",
) -> Axes:
    r"""Draw a forest plot: each trial's estimate :math:`y_j \pm 1.96\sigma_j` and its posterior.

    One row per trial, from top to bottom: the raw estimate with its 95% confidence
    interval (open circle, grey line) and, just below, the posterior median of the
    trial's effect :math:`\theta_j` with its central 95% interval (filled circle). Rows
    for summaries (the mean effect, a new trial's effect) follow at the bottom as
    diamonds. A vertical line marks no effect.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The trials' estimates and standard errors.
    shrunk : array_like, shape (3, J)
        Posterior 2.5%, 50% and 97.5% quantiles of each :math:`\theta_j` (for example
        ``posterior.theta_quantiles([0.025, 0.5, 0.975])``).
    labels : sequence of str
        One label per trial.
    summary : mapping of str to (median, low, high), optional
        Summary rows, for example ``{"mean effect": (-0.25, -0.37, -0.11)}``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    xlabel : str, default "log odds ratio"
        Horizontal axis label.

    Returns
    -------
    matplotlib.axes.Axes
    """
    estimates, errors = as_finite(y, "y"), as_positive(sigma, "sigma")
    quantiles = as_finite(shrunk, "shrunk", ndim=2)
    labels = [str(label) for label in labels]
    size = estimates.size
    if errors.size != size or quantiles.shape != (3, size) or len(labels) != size:
        raise ValueError(
            f"y, sigma, labels (length J) and shrunk (shape (3, J)) must agree; got J={size}, "
            f"sigma {errors.shape}, shrunk {quantiles.shape}, {len(labels)} labels"
        )
    rows = dict(summary or {})
    ax = get_axes(ax, figsize=(7.0, 0.28 * (size + len(rows)) + 1.2))
    position = np.arange(size)[::-1] + len(rows) + 0.5
    ax.hlines(position + 0.15, estimates - 1.96 * errors, estimates + 1.96 * errors, color="0.6")
    ax.plot(estimates, position + 0.15, "o", mfc="white", color="0.4", ms=4, label="trial estimate")
    ax.hlines(position - 0.15, quantiles[0], quantiles[2], color="C0")
    ax.plot(quantiles[1], position - 0.15, "o", color="C0", ms=4, label="posterior effect")
    for k, (name, (mid, low, high)) in enumerate(rows.items()):
        level = len(rows) - 1 - k
        ax.hlines(level, low, high, color="C3", lw=2)
        ax.plot(mid, level, "D", color="C3", ms=6)
        labels.append(name)
    ax.axvline(0.0, color="0.2", lw=0.8, ls=":")
    ticks = [*position, *np.arange(len(rows))[::-1]]
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return ax
