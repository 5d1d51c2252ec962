r"""Figures for posterior predictive checks: replicated test statistics against the data."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from companion.predictive_checks import ReplicatedStatistics

__all__ = ["plot_predictive_check"]


def plot_predictive_check(table: pd.DataFrame, *, bins: int = 40, columns: int = 4) -> Figure:
    r"""Histogram of each test statistic over the replications, the observed value marked.

    One panel per statistic, titled with its posterior predictive p-value
    :math:`\Pr(T(y^{\mathrm{rep}}) \ge T(y) \mid y)`.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`companion.predictive_checks.check` (the replicated statistics
        are in ``table.attrs["replicated"]``).
    bins : int, default 40
        Histogram bins (a statistic with few distinct values gets one bar per value).
    columns : int, default 4
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    replicated = table.attrs.get("replicated")
    if not isinstance(replicated, ReplicatedStatistics) or "observed" not in table.columns:
        raise ValueError("table must be the output of companion.predictive_checks.check")
    draws = replicated.frame
    names = list(table.index)
    columns = max(1, min(int(columns), len(names)))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(2.6 * columns + 0.6, 2.3 * rows + 0.3), layout="constrained"
    )
    axes = np.atleast_1d(axes).ravel()
    for ax, name in zip(axes, names, strict=False):
        values = draws[name].to_numpy()
        distinct = np.unique(values)
        if distinct.size <= bins:
            edges = np.concatenate([distinct - 0.5, [distinct[-1] + 0.5]])
            ax.hist(
                values,
                bins=edges if np.allclose(distinct, distinct.round()) else bins,
                color="C0",
                alpha=0.7,
            )
        else:
            ax.hist(values, bins=bins, color="C0", alpha=0.7)
        ax.axvline(table.loc[name, "observed"], color="C3", lw=2)
        ax.set_title(f"{name}: p = {table.loc[name, 'p_value']:.2f}", fontsize=9)
        ax.set_yticks([])
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    return fig
