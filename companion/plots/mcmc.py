r"""Figures for the centered versus non-centered chapter: MCMC output beside the exact posterior."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from companion.normal_normal import TauPosterior
from companion.plots._axes import get_axes

__all__ = [
    "plot_forest_comparison",
    "plot_funnel",
    "plot_log_tau_trace",
    "plot_pair_divergences",
    "plot_running_mean",
]

DIVERGENT = {"color": "C3", "s": 14, "zorder": 3, "label": "divergent"}


def _draws(tree: xr.DataTree) -> tuple[xr.Dataset, np.ndarray]:
    try:
        posterior = tree["posterior"].to_dataset()
        diverging = tree["sample_stats"]["diverging"].values.astype(bool)
    except KeyError as err:
        raise ValueError(
            "tree must be MCMC output with posterior and sample_stats.diverging "
            "(the output of companion.models.sample)"
        ) from err
    return posterior, diverging


def _mass_levels(density: np.ndarray, fractions: Sequence[float]) -> list[float]:
    """Density thresholds whose upper sets hold the given fractions of the tabulated mass."""
    values = np.sort(density.ravel())[::-1]
    cumulative = np.cumsum(values) / values.sum()
    return sorted(float(values[np.searchsorted(cumulative, f)]) for f in fractions)


def plot_funnel(
    tree: xr.DataTree,
    *,
    group: int = 0,
    exact: TauPosterior | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    r"""Scatter :math:`\theta_j` against :math:`\log\tau` (the funnel), divergences in red.

    With ``exact``, contours of the exact joint density

    .. math::

        p(\theta_j, \log\tau \mid y) = \tau\, p(\tau \mid y)\,
        \mathrm{N}\big(\theta_j \mid m_j(\tau), s_j^2(\tau)\big),

    with :math:`m_j, s_j` the mean and sd of :math:`\theta_j \mid \tau, y`, are drawn
    around the regions holding 50%, 90% and 99% of the probability, so the part of the
    funnel that the sampler missed is visible.

    Parameters
    ----------
    tree : xarray.DataTree
        Output of :func:`companion.models.sample` for an eight-schools model.
    group : int, default 0
        Which :math:`\theta_j` to plot.
    exact : companion.normal_normal.TauPosterior, optional
        The exact posterior for the same data and priors.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    posterior, diverging = _draws(tree)
    theta = posterior["theta"].values
    if not isinstance(group, int | np.integer) or not 0 <= group < theta.shape[-1]:
        raise ValueError(f"group must be an integer in [0, {theta.shape[-1] - 1}]; got {group!r}")
    ax = get_axes(ax)
    x = theta[..., group].ravel()
    y = np.log(posterior["tau"].values).ravel()
    flags = diverging.ravel()
    ax.scatter(x[~flags], y[~flags], s=4, alpha=0.25, color="C0", label="draws")
    if flags.any():
        ax.scatter(x[flags], y[flags], **DIVERGENT)
    if exact is not None:
        u = np.linspace(-7.0, max(4.0, float(y.max()) + 0.5), 240)
        mean, sd = exact.theta_given_tau(np.exp(u))
        grid_x = np.linspace(min(-40.0, float(x.min())), max(60.0, float(x.max())), 260)
        density = (
            (exact.pdf(np.exp(u)) * np.exp(u))[:, None]
            * np.exp(-0.5 * ((grid_x[None, :] - mean[:, group, None]) / sd[:, group, None]) ** 2)
            / sd[:, group, None]
        )
        levels = _mass_levels(density, [0.99, 0.9, 0.5])
        ax.contour(grid_x, u, density, levels=levels, colors="0.2", linewidths=0.8)
        ax.plot([], [], color="0.2", lw=0.8, label="exact 50/90/99% regions")
    names = posterior["theta"].coords[posterior["theta"].dims[-1]].values
    ax.set_xlabel(rf"$\theta_{{{names[group]}}}$")
    ax.set_ylabel(r"$\log\tau$")
    ax.set_ylim(-7, None)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, loc="lower right", fontsize=8)
    return ax


def plot_pair_divergences(
    tree: xr.DataTree,
    x: str,
    y: str,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Scatter two posterior quantities of an MCMC run against each other, divergences in red.

    The quantities are named as in :func:`companion.replicates.run`: a scalar variable
    (``"mu"``), ``log_`` and a label (``"log_tau"``), or a vector variable and one of
    its coordinates (``"theta_tilde_A"``).

    Parameters
    ----------
    tree : xarray.DataTree
        MCMC output with ``sample_stats.diverging``.
    x, y : str
        The quantities on the horizontal and vertical axes.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from companion.replicates import _quantities

    posterior, diverging = _draws(tree)
    first, second = _quantities([x, y], posterior)
    xs, ys = first.values(posterior).ravel(), second.values(posterior).ravel()
    flags = diverging.ravel()
    ax = get_axes(ax, figsize=(5.0, 4.2))
    ax.scatter(xs[~flags], ys[~flags], s=4, alpha=0.25, color="C0", label="draws")
    if flags.any():
        ax.scatter(xs[flags], ys[flags], **DIVERGENT)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, loc="lower right", fontsize=8)
    return ax


def plot_log_tau_trace(
    tree: xr.DataTree, *, max_draws: int | None = None, ax: Axes | None = None
) -> Axes:
    r"""Plot the trace of :math:`\log\tau` per chain, with divergent transitions marked.

    Parameters
    ----------
    tree : xarray.DataTree
        Output of :func:`companion.models.sample` for an eight-schools model.
    max_draws : int, optional
        Show only the first ``max_draws`` draws of each chain (long traces are
        unreadable).
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    posterior, diverging = _draws(tree)
    log_tau = np.log(posterior["tau"].values)
    if max_draws is not None:
        if isinstance(max_draws, bool) or not isinstance(max_draws, int) or max_draws < 1:
            raise ValueError(f"max_draws must be an integer >= 1; got {max_draws!r}")
        log_tau, diverging = log_tau[:, :max_draws], diverging[:, :max_draws]
    ax = get_axes(ax, figsize=(8.0, 3.2))
    draws = np.arange(log_tau.shape[1])
    for chain in range(log_tau.shape[0]):
        ax.plot(draws, log_tau[chain], lw=0.6, alpha=0.8, label=f"chain {chain}")
        hits = diverging[chain]
        if hits.any():
            ax.scatter(draws[hits], log_tau[chain, hits], **{**DIVERGENT, "label": None})
    ax.set_xlabel("draw")
    ax.set_ylabel(r"$\log\tau$")
    ax.legend(frameon=False, ncol=log_tau.shape[0], fontsize=8, loc="lower right")
    return ax


def plot_running_mean(
    tables: Mapping[str, pd.DataFrame],
    *,
    exact: float,
    ax: Axes | None = None,
    ylabel: str = r"running mean of $\log\tau$",
) -> Axes:
    """Plot running means with their 2-MCSE bands against the exact value.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Label to the output of :func:`companion.diagnostics.running_mean`.
    exact : float
        The exact posterior expectation, drawn as a horizontal line.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    ylabel : str
        Vertical axis label.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not tables:
        raise ValueError("tables must contain at least one running-mean table")
    ax = get_axes(ax, figsize=(7.0, 3.6))
    for color, (label, table) in enumerate(tables.items()):
        missing = {"iteration", "mean", "mcse"} - set(table.columns)
        if missing:
            raise ValueError(f"tables[{label!r}] lacks columns {sorted(missing)}")
        it, mean, mcse = (table[c].to_numpy() for c in ("iteration", "mean", "mcse"))
        ax.plot(it, mean, color=f"C{color}", label=label)
        ax.fill_between(it, mean - 2 * mcse, mean + 2 * mcse, color=f"C{color}", alpha=0.2)
    ax.axhline(exact, color="0.2", ls="--", lw=1, label="exact")
    ax.set_xscale("log")
    ax.set_xlabel("draws per chain")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8)
    return ax


def plot_forest_comparison(
    trees: Mapping[str, xr.DataTree], *, var_names: Sequence[str] = ("theta",)
) -> Figure:
    """Draw an ArviZ forest plot of the same variables from several posteriors, side by side.

    Points are posterior means; thick and thin lines are central 50% and 90% intervals.

    Parameters
    ----------
    trees : mapping of str to xarray.DataTree
        Label to posterior (MCMC output, or exact draws from
        :func:`companion.draws.to_datatree`); the labels become the legend.
    var_names : sequence of str
        Variables to show.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not trees:
        raise ValueError("trees must contain at least one posterior")
    collection = az.plot_forest(
        dict(trees),
        var_names=list(var_names),
        combined=True,
        ci_probs=(0.5, 0.9),
        backend="matplotlib",
        figure_kwargs={"figsize": (7.5, 5.0)},
    )
    figure = collection.viz["figure"].item()
    handles = [
        plt.Line2D([], [], color=f"C{i}", marker="o", lw=1.5, label=label)
        for i, label in enumerate(trees)
    ]
    figure.legend(handles=handles, loc="outside lower center", ncol=len(trees), frameon=False)
    return figure
