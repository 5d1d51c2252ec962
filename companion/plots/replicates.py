r"""Figures for replicated MCMC runs: the distribution of a sampler's answers over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from companion._validate import RngLike
from companion.plots._axes import get_axes

__all__ = ["plot_divergence_counts", "plot_run_estimates"]


def _groups(
    table: pd.DataFrame, by: Sequence[str], columns: Sequence[str]
) -> list[tuple[str, pd.DataFrame]]:
    by = list(by)
    missing = [c for c in [*by, *columns] if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the columns {missing} (is it the output of replicates.run?)")
    if table.empty:
        raise ValueError("table has no runs")
    return [
        (", ".join(str(k) for k in (key if isinstance(key, tuple) else (key,))), rows)
        for key, rows in table.groupby(by, sort=False)
    ]


def plot_run_estimates(
    table: pd.DataFrame,
    *,
    exact: float,
    quantity: str = "log_tau",
    by: Sequence[str] = ("sampler", "parametrization"),
    label: str = r"estimate of $E[\log\tau \mid y]$",
) -> Figure:
    r"""Draw every run's estimate with its own :math:`\pm 2` MCSE interval, beside the exact value.

    One panel per group of runs; within a panel the runs are sorted by their estimate.
    An interval that misses the exact value (a run that does not *cover* it) is drawn
    in red, so the coverage of each group can be read off the panel.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`companion.replicates.run` (or several concatenated).
    exact : float
        The exact posterior mean, drawn as a vertical line.
    quantity : str, default "log_tau"
        The quantity whose estimates are drawn.
    by : sequence of str
        Columns whose values define the panels.
    label : str
        Horizontal axis label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    mean, mcse = f"{quantity}_mean", f"{quantity}_mcse"
    groups = _groups(table, by, [mean, mcse])
    exact = float(exact)
    heights = [max(len(rows), 6) for _, rows in groups]  # a panel's height grows with its runs
    fig, axes = plt.subplots(
        len(groups),
        1,
        figsize=(7.5, 0.9 + 0.5 * len(groups) + 0.028 * sum(heights)),
        sharex=True,
        layout="constrained",
        gridspec_kw={"height_ratios": heights},
    )
    axes = np.atleast_1d(axes)
    for ax, (name, rows) in zip(axes, groups, strict=True):
        order = np.argsort(rows[mean].to_numpy())
        centre = rows[mean].to_numpy()[order]
        half = 2 * rows[mcse].to_numpy()[order]
        covers = np.abs(centre - exact) <= half
        position = np.arange(centre.size)
        for hit, color in ((True, "C0"), (False, "C3")):
            keep = covers == hit
            ax.hlines(
                position[keep], (centre - half)[keep], (centre + half)[keep], color=color, lw=1
            )
            ax.plot(centre[keep], position[keep], "o", ms=2.5, color=color)
        ax.axvline(exact, color="0.2", lw=1.2, ls="--")
        ax.set_yticks([])
        ax.set_ylabel(f"{centre.size} runs", fontsize=8)
        ax.set_title(f"{name}: {covers.mean():.0%} of intervals cover the exact value", fontsize=9)
    axes[-1].set_xlabel(label + " (dashed: exact; red: interval misses it)")
    return fig


def plot_divergence_counts(
    table: pd.DataFrame,
    *,
    by: Sequence[str] = ("sampler", "parametrization"),
    ax: Axes | None = None,
    rng: RngLike = 0,
) -> Axes:
    """Draw the number of divergent transitions of every run, one row of dots per group.

    The horizontal axis is linear up to 1 and logarithmic beyond (``symlog``), so runs
    without any divergence and runs with hundreds share one axis; a bar marks each
    group's median.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`companion.replicates.run` (or several concatenated).
    by : sequence of str
        Columns whose values define the rows.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    rng : int, numpy.random.Generator or None, default 0
        Seed of the vertical jitter that keeps dots apart.

    Returns
    -------
    matplotlib.axes.Axes
    """
    groups = _groups(table, by, ["divergences"])
    ax = get_axes(ax, figsize=(7.5, 0.8 + 0.7 * len(groups)))
    jitter = np.random.default_rng(rng)
    for row, (_, rows) in enumerate(groups):
        counts = rows["divergences"].to_numpy()
        ax.plot(
            counts,
            row + jitter.uniform(-0.25, 0.25, counts.size),
            "o",
            ms=3,
            alpha=0.6,
            color=f"C{row}",
        )
        ax.plot([np.median(counts)] * 2, [row - 0.35, row + 0.35], color="0.1", lw=2)
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(-0.5, None)
    ax.set_yticks(range(len(groups)), [name for name, _ in groups])
    ax.invert_yaxis()
    ax.set_xlabel("divergent transitions in the run (bar: median over runs)")
    return ax
