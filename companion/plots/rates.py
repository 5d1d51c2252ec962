"""Figures for binomial rates: Beta posteriors, shrinkage, the (alpha, beta) grid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from companion.plots._axes import get_axes

__all__ = ["plot_beta_posteriors", "plot_shrinkage"]


def plot_beta_posteriors(
    posterior: object,
    labels: Sequence[str],
    *,
    ax: Axes | None = None,
    points: int = 400,
) -> Axes:
    r"""Overlay the densities of independent Beta posteriors, one per group.

    Parameters
    ----------
    posterior : scipy.stats frozen beta
        Array-valued Beta distribution of shape ``(J,)``, as returned by
        :func:`companion.beta_binomial.conjugate_posterior`.
    labels : sequence of str
        One legend label per group.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.
    points : int, default 400
        Evaluation points on the horizontal axis.

    Returns
    -------
    matplotlib.axes.Axes
    """
    a = np.atleast_1d(posterior.args[0])
    if len(labels) != a.size:
        raise ValueError(f"labels must have one entry per group ({a.size}); got {len(labels)}")
    ax = get_axes(ax)
    lo = float(np.min(posterior.ppf(1e-4)))
    hi = float(np.max(posterior.ppf(1 - 1e-4)))
    x = np.linspace(lo, hi, points)
    density = posterior.pdf(x[:, None])
    for j, label in enumerate(labels):
        ax.plot(x, density[:, j], label=label)
    ax.set_xlabel(r"rate $\theta_j$")
    ax.set_ylabel("posterior density")
    ax.set_yticks([])
    ax.legend(frameon=False)
    return ax


def plot_shrinkage(
    raw: object,
    estimate: object,
    lower: object,
    upper: object,
    *,
    pooled: float | None = None,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    xlabel: str = "raw estimate",
    ylabel: str = "posterior estimate",
) -> Axes:
    """Raw estimates against partially pooled ones, with intervals: the shrinkage plot.

    Each group is a point at (raw, estimate) with a vertical interval from ``lower``
    to ``upper``. The diagonal marks no pooling; the horizontal line at ``pooled``
    marks complete pooling. Points between the two have been shrunk toward the
    population.

    Parameters
    ----------
    raw, estimate, lower, upper : array_like, shape (J,)
        Raw (no-pooling) estimates, posterior point estimates and interval ends.
    pooled : float, optional
        The complete-pooling estimate, drawn as a horizontal line.
    labels : sequence of str, optional
        Group labels, written next to the points (use for a handful of groups only).
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    xlabel, ylabel : str
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes
    """
    arrays = [np.asarray(v, dtype=float) for v in (raw, estimate, lower, upper)]
    if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1:
        raise ValueError(
            "raw, estimate, lower and upper must be 1-d arrays of one length; "
            f"got shapes {[a.shape for a in arrays]}"
        )
    raw, estimate, lower, upper = arrays
    if labels is not None and len(labels) != raw.size:
        raise ValueError(f"labels must have one entry per group ({raw.size}); got {len(labels)}")
    ax = get_axes(ax)
    span = [min(raw.min(), lower.min()), max(raw.max(), upper.max())]
    ax.plot(span, span, color="0.6", lw=1, ls="--", label="no pooling")
    if pooled is not None:
        ax.axhline(pooled, color="0.3", lw=1, ls=":", label="complete pooling")
    ax.vlines(raw, lower, upper, color="C0", alpha=0.5, lw=1.5)
    ax.plot(raw, estimate, "o", color="C0", ms=4, label="partial pooling")
    if labels is not None:
        for x, y, text in zip(raw, estimate, labels, strict=True):
            ax.annotate(str(text), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="upper left")
    return ax
