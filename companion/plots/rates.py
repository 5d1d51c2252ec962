"""Figures for binomial rates: Beta posteriors, shrinkage, the (alpha, beta) grid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes

from companion.plots._axes import get_axes


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
