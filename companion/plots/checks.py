"""Figures for the derivation chapter: closed forms beside their brute-force checks."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes

from companion.checks import CheckResult
from companion.plots._axes import get_axes

__all__ = ["plot_density_check", "plot_tail_checks"]


def plot_density_check(results: Mapping[str, CheckResult], *, ax: Axes | None = None) -> Axes:
    r"""Draw closed-form densities as lines and the brute-force values as markers.

    Every result must come from :func:`companion.checks.check_tau_marginal` (or another check with a
    log density table and an ``x`` column). Each curve is scaled to a maximum of one,
    since the densities are known only up to a constant.

    Parameters
    ----------
    results : mapping of str to CheckResult
        Legend label and result; the brute-force markers of the first result are drawn.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not results:
        raise ValueError("results must hold at least one CheckResult; got an empty mapping")
    ax = get_axes(ax)
    styles = ["-", "--", ":", "-."]
    first = next(iter(results.values()))
    for i, (label, result) in enumerate(results.items()):
        column = "log density (candidate)" if result.candidate else "log density (closed)"
        if result.x is None or column not in result.table:
            raise ValueError(f"results[{label!r}] is not a log-density check; got {result.what!r}")
        x = result.table[result.x].to_numpy()
        closed = result.table[column].to_numpy()
        verdict = "agrees" if result.passed else "rejected"
        ax.plot(x, np.exp(closed - closed.max()), styles[i % 4], lw=2, label=f"{label} ({verdict})")
    x = first.table[first.x].to_numpy()
    brute = first.table["log density (quadrature)"].to_numpy()
    ax.plot(
        x, np.exp(brute - brute.max()), "o", color="black", ms=4, label="brute force (quadrature)"
    )
    ax.set_xlabel(rf"$\{first.x}$" if first.x in {"tau", "mu"} else first.x)
    ax.set_ylabel("density / its maximum")
    ax.legend(frameon=False)
    return ax


def plot_tail_checks(results: Mapping[str, CheckResult], *, ax: Axes | None = None) -> Axes:
    r"""Plot brute-force log densities against the log of their argument, with predicted slopes.

    Parameters
    ----------
    results : mapping of str to CheckResult
        Legend label and a result of :func:`companion.checks.check_tau_tail` or
        :func:`companion.checks.check_beta_binomial_tail`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not results:
        raise ValueError("results must hold at least one CheckResult; got an empty mapping")
    ax = get_axes(ax)
    for label, result in results.items():
        table = result.table
        column = (
            "log density (quadrature)" if "log density (quadrature)" in table else "log density"
        )
        if result.x is None or column not in table or "predicted slope" not in table:
            raise ValueError(f"results[{label!r}] is not a tail check; got {result.what!r}")
        x = np.log10(table[result.x].to_numpy())
        y = table[column].to_numpy() / math.log(10)
        slope = float(table["predicted slope"].iloc[0])
        (line,) = ax.plot(x, y - y[-1], "o", ms=5, label=f"{label}: slope {slope:g}")
        ax.plot(x, slope * (x - x[-1]), "-", color=line.get_color(), lw=1)
    ax.set_xlabel(r"$\log_{10}$ of the hyperparameter")
    ax.set_ylabel(r"$\log_{10}$ density (shifted)")
    ax.legend(frameon=False)
    return ax
