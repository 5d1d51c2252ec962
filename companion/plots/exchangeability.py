r"""Figures for the chapters on exchangeability and on free throws.

* :func:`plot_hierarchy` -- the three levels of a hierarchical model as a diagram;
* :func:`plot_running_fraction` and :func:`plot_limit_density` -- where binary
  sequences settle: one value for iid sequences, a random limit for Pólya's urn;
* :func:`plot_pattern_frequencies` -- simulated frequencies of 0/1 patterns beside
  their exact probabilities;
* :func:`plot_estimates_vs_truth` -- no pooling, complete pooling and partial pooling
  against known true rates;
* :func:`plot_concentration_tail` -- a marginal posterior density on a log scale with
  the straight line its tail should follow.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch
from numpy.typing import ArrayLike

from companion._validate import as_counts, as_finite, check_choice, check_draws
from companion.plots._axes import get_axes

__all__ = [
    "plot_concentration_tail",
    "plot_estimates_vs_truth",
    "plot_hierarchy",
    "plot_limit_density",
    "plot_pattern_frequencies",
    "plot_running_fraction",
]

_MAX_GROUPS = 8


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], radius: float) -> None:
    """Draw an arrow between two node centres, from edge to edge of the circles."""
    p0, p1 = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    unit = (p1 - p0) / np.hypot(*(p1 - p0))
    ax.add_patch(
        FancyArrowPatch(
            tuple(p0 + radius * unit),
            tuple(p1 - radius * unit),
            arrowstyle="-|>",
            mutation_scale=12,
            lw=1.2,
            color="0.2",
        )
    )


def _node(ax: Axes, x: float, y: float, text: str, *, radius: float, shaded: bool = False) -> None:
    """Draw a labelled node circle of the diagram, shaded grey for observed quantities."""
    ax.add_patch(
        Circle((x, y), radius, facecolor="0.85" if shaded else "white", edgecolor="0.2", lw=1.2)
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=13)


def plot_hierarchy(groups: int = 4, *, ax: Axes | None = None) -> Axes:
    r"""Draw the three levels of a hierarchical model: hyperparameters, parameters, data.

    One node :math:`\phi` at the top, one node :math:`\theta_j` per group in the
    middle and one data node :math:`y_j` per group at the bottom (shaded: observed),
    with arrows for the two conditional distributions of the joint density

    .. math::

        p(\phi, \theta, y) = p(\phi) \prod_{j=1}^{J} p(\theta_j \mid \phi)\,
        p(y_j \mid \theta_j).

    With three or more groups the last one is labelled :math:`J` and a gap with an
    ellipsis stands for the groups not drawn.

    Parameters
    ----------
    groups : int, default 4
        Number of groups drawn, from 1 to 8.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Its patches are the ``1 + 2 * groups`` node circles and the ``2 * groups``
        arrows.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from companion.plots import plot_hierarchy
    >>> ax = plot_hierarchy(3)
    >>> len(ax.patches)
    13
    """
    groups = check_draws(groups, "groups")
    if groups > _MAX_GROUPS:
        raise ValueError(f"groups must be at most {_MAX_GROUPS} (it is a diagram); got {groups}")
    ax = get_axes(ax, figsize=(7.0, 3.6))
    radius, gap, left = 0.32, 1.15, 2.6
    ellipsis = groups >= 3
    xs = left + gap * np.arange(groups, dtype=float)
    if ellipsis:
        xs[-1] += 0.6 * gap  # room for the dots
    labels = [str(j + 1) for j in range(groups)]
    if ellipsis:
        labels[-1] = "J"
    levels = {"phi": 2.6, "theta": 1.45, "y": 0.3}
    top = (float(xs.mean()), levels["phi"])

    _node(ax, *top, r"$\phi$", radius=radius)
    for x, label in zip(xs, labels, strict=True):
        _node(ax, x, levels["theta"], rf"$\theta_{{{label}}}$", radius=radius)
        _node(ax, x, levels["y"], rf"$y_{{{label}}}$", radius=radius, shaded=True)
        _arrow(ax, top, (x, levels["theta"]), radius)
        _arrow(ax, (x, levels["theta"]), (x, levels["y"]), radius)
    if ellipsis:
        for level in ("theta", "y"):
            ax.text((xs[-2] + xs[-1]) / 2, levels[level], r"$\cdots$", ha="center", va="center")
    names = [
        ("hyperparameters", "the population", levels["phi"]),
        ("parameters", "one per group", levels["theta"]),
        ("data", "observed", levels["y"]),
    ]
    for name, note, y in names:
        ax.text(0.0, y + 0.1, name, ha="left", va="center", fontsize=11, weight="bold")
        ax.text(0.0, y - 0.2, note, ha="left", va="center", fontsize=9, color="0.35")
    right = xs[-1] + radius + 0.35
    for text, y in [
        (r"$\theta_j \sim p(\theta \mid \phi)$", (levels["phi"] + levels["theta"]) / 2),
        (r"$y_j \sim p(y \mid \theta_j)$", (levels["theta"] + levels["y"]) / 2),
    ]:
        ax.text(right, y, text, ha="left", va="center", fontsize=12)
    ax.set_xlim(-0.1, right + 2.6)
    ax.set_ylim(levels["y"] - 0.55, levels["phi"] + 0.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _binary(sequences: ArrayLike, name: str) -> np.ndarray:
    data = as_counts(sequences, name, ndim=2)
    if np.any(data > 1):
        raise ValueError(f"{name} must contain only 0 and 1; got the value {int(data.max())}")
    return data


def plot_running_fraction(
    sequences: ArrayLike,
    *,
    reference: float | None = None,
    ax: Axes | None = None,
    color: str = "C0",
    xscale: str = "log",
) -> Axes:
    r"""Draw the running fraction of ones :math:`k_m / m` of each binary sequence.

    Parameters
    ----------
    sequences : array_like of 0/1, shape (replications, length)
        One sequence per row, as returned by
        :func:`companion.exchangeability.simulate_polya_urn` and its siblings.
    reference : float, optional
        A value in [0, 1] to mark with a dashed horizontal line (for example the
        success probability of iid sequences).
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    color : str, default "C0"
        Colour of the sequence lines.
    xscale : {"log", "linear"}, default "log"
        Scale of the horizontal axis (number of draws).

    Returns
    -------
    matplotlib.axes.Axes
        One line per sequence, plus one for ``reference`` if given.
    """
    data = _binary(sequences, "sequences")
    if reference is not None:
        reference = float(as_finite(reference, "reference", ndim=0))
        if not 0 <= reference <= 1:
            raise ValueError(f"reference must lie in [0, 1]; got {reference}")
    check_choice(xscale, "xscale", ("log", "linear"))
    ax = get_axes(ax)
    draws = np.arange(1, data.shape[1] + 1)
    running = np.cumsum(data, axis=1) / draws
    ax.plot(draws, running.T, color=color, lw=0.9, alpha=0.7)
    if reference is not None:
        ax.axhline(reference, color="k", ls="--", lw=1.2)
    ax.set_xscale(xscale)
    ax.set_xlim(1, data.shape[1])
    ax.set_ylim(0, 1)
    ax.set_xlabel("number of draws $m$")
    ax.set_ylabel("fraction of ones so far")
    return ax


def plot_limit_density(
    fractions: ArrayLike,
    *,
    limit: object = None,
    ax: Axes | None = None,
    bins: int = 30,
    orientation: str = "horizontal",
) -> Axes:
    """Draw a histogram of final fractions of ones, with the density they should follow.

    Parameters
    ----------
    fractions : array_like, shape (replications,)
        Values in [0, 1], for example the fraction of ones of each simulated sequence.
    limit : scipy.stats frozen distribution, optional
        The limiting distribution (for Pólya's urn, ``scipy.stats.beta(ones, zeros)``),
        drawn as a line.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    bins : int, default 30
        Number of histogram bins on [0, 1].
    orientation : {"horizontal", "vertical"}, default "horizontal"
        ``"horizontal"`` puts the fraction on the vertical axis, to sit beside
        :func:`plot_running_fraction`.

    Returns
    -------
    matplotlib.axes.Axes
        Its patches are the histogram bars; the density of ``limit`` is a line.
    """
    values = as_finite(fractions, "fractions")
    if np.any((values < 0) | (values > 1)):
        raise ValueError(
            f"fractions must lie in [0, 1]; got values from {values.min()} to {values.max()}"
        )
    bins = check_draws(bins, "bins")
    check_choice(orientation, "orientation", ("horizontal", "vertical"))
    if limit is not None and not callable(getattr(limit, "pdf", None)):
        raise ValueError(f"limit must be a frozen scipy.stats distribution or None; got {limit!r}")
    ax = get_axes(ax, figsize=(3.0, 4.0))
    ax.hist(
        values,
        bins=np.linspace(0, 1, bins + 1),
        density=True,
        orientation=orientation,
        color="0.75",
        label="simulated",
    )
    grid = np.linspace(0.0005, 0.9995, 400)
    horizontal = orientation == "horizontal"
    if limit is not None:
        density = limit.pdf(grid)
        xy = (density, grid) if horizontal else (grid, density)
        ax.plot(*xy, color="C1", lw=2, label="limit density")
    if horizontal:
        ax.set_ylim(0, 1)
        ax.set_xlabel("density")
        ax.set_ylabel("final fraction of ones")
    else:
        ax.set_xlim(0, 1)
        ax.set_ylabel("density")
        ax.set_xlabel("final fraction of ones")
    ax.legend(loc="upper right", framealpha=0.9, fontsize=8)
    return ax


def _pattern_key(pattern: str) -> tuple[int, str]:
    # Patterns with fewer ones first; among equals, the one whose first 1 comes first.
    return pattern.count("1"), "".join("0" if c == "1" else "1" for c in pattern)


def _check_patterns(table: Mapping[str, float], name: str) -> dict[str, float]:
    if not isinstance(table, Mapping) or not table:
        raise ValueError(
            f"{name} must be a non-empty mapping from pattern to frequency; got {table!r}"
        )
    lengths = {len(p) for p in table}
    if len(lengths) != 1 or any(set(p) - {"0", "1"} for p in table):
        raise ValueError(f"{name} must have 0/1 strings of one length as keys; got {list(table)}")
    values = as_finite(list(table.values()), name)
    if np.any((values < 0) | (values > 1)):
        raise ValueError(f"{name} must hold frequencies in [0, 1]; got {values!r}")
    return dict(zip(table, values.tolist(), strict=True))


def plot_pattern_frequencies(
    frequencies: Mapping[str, Mapping[str, float]],
    *,
    exact: Mapping[str, Mapping[str, float]] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw grouped bars of 0/1 pattern frequencies, one colour per kind of sequence.

    Patterns are ordered by their number of ones, so the patterns that
    exchangeability says must be equally likely (``100``, ``010``, ``001``) stand
    side by side.

    Parameters
    ----------
    frequencies : mapping
        Label (for example ``"Pólya urn"``) to a mapping from pattern (``"101"``) to
        its simulated frequency, as returned by
        :func:`companion.exchangeability.pattern_frequencies`. All labels must have
        the same patterns.
    exact : mapping, optional
        Label to a mapping from pattern to exact probability, drawn as a short black
        line on each bar. Its labels must be among those of ``frequencies``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        Its bar containers hold one bar per pattern for each label.
    """
    if not isinstance(frequencies, Mapping) or not frequencies:
        raise ValueError(f"frequencies must be a non-empty mapping of labels; got {frequencies!r}")
    tables = {label: _check_patterns(t, "frequencies") for label, t in frequencies.items()}
    patterns = sorted(next(iter(tables.values())), key=_pattern_key)
    if any(set(t) != set(patterns) for t in tables.values()):
        raise ValueError("frequencies must have the same patterns for every label")
    exact_tables: dict[str, dict[str, float]] = {}
    if exact is not None:
        if not isinstance(exact, Mapping):
            raise ValueError(f"exact must be a mapping of labels or None; got {exact!r}")
        unknown = set(exact) - set(tables)
        if unknown:
            raise ValueError(f"exact has labels not in frequencies: {sorted(unknown)}")
        exact_tables = {label: _check_patterns(t, "exact") for label, t in exact.items()}
        if any(set(t) != set(patterns) for t in exact_tables.values()):
            raise ValueError("exact must have the same patterns as frequencies")
    ax = get_axes(ax, figsize=(7.0, 3.8))
    width = 0.8 / len(tables)
    base = np.arange(len(patterns))
    exact_label = "exact probability"
    for i, (label, table) in enumerate(tables.items()):
        xs = base - 0.4 + width * (i + 0.5)
        ax.bar(xs, [table[p] for p in patterns], width=width * 0.95, color=f"C{i}", label=label)
        if label in exact_tables:
            ax.hlines(
                [exact_tables[label][p] for p in patterns],
                xs - width / 2,
                xs + width / 2,
                colors="k",
                lw=1.5,
                label=exact_label,
            )
            exact_label = None  # one legend entry for all the exact marks
    ax.legend(frameon=False)
    ax.set_xticks(base, patterns)
    ax.set_xlabel("pattern of the first draws")
    ax.set_ylabel("frequency")
    return ax


def plot_estimates_vs_truth(
    truth: ArrayLike,
    estimates: Mapping[str, ArrayLike],
    *,
    sizes: ArrayLike | None = None,
    fig: Figure | None = None,
) -> Figure:
    r"""Draw estimated rates against true rates, one panel per estimator.

    Each panel shows the points :math:`(\theta_j, \hat\theta_j)` with the diagonal
    :math:`\hat\theta = \theta` and gives the root mean squared error
    :math:`\big(J^{-1}\sum_j (\hat\theta_j - \theta_j)^2\big)^{1/2}` in its title.

    Parameters
    ----------
    truth : array_like, shape (J,)
        The true rates.
    estimates : mapping
        Estimator name to its estimates, each of shape ``(J,)``.
    sizes : array_like, shape (J,), optional
        Group sizes; marker areas are drawn proportional to them.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw on; a new one is made if omitted.

    Returns
    -------
    matplotlib.figure.Figure
        With one axes per estimator, in the order of ``estimates``.
    """
    theta = as_finite(truth, "truth")
    if not isinstance(estimates, Mapping) or not estimates:
        raise ValueError(
            f"estimates must be a non-empty mapping of name to array; got {estimates!r}"
        )
    values = {}
    for name, value in estimates.items():
        array = as_finite(value, "estimates")
        if array.shape != theta.shape:
            raise ValueError(
                f"estimates[{name!r}] must have the shape of truth {theta.shape}; got {array.shape}"
            )
        values[name] = array
    area = None
    if sizes is not None:
        area = as_finite(sizes, "sizes")
        if area.shape != theta.shape or np.any(area <= 0):
            raise ValueError(f"sizes must be positive with the shape of truth; got {area!r}")
        area = 60 * area / area.max()
    if fig is None:
        fig = plt.figure(figsize=(2.9 * len(values), 3.3), layout="constrained")
    axes = fig.subplots(1, len(values), sharex=True, sharey=True, squeeze=False)[0]
    everything = np.concatenate([theta, *values.values()])
    span = [everything.min() - 0.02, everything.max() + 0.02]
    for ax, (name, est) in zip(axes, values.items(), strict=True):
        rmse = float(np.sqrt(np.mean((est - theta) ** 2)))
        ax.plot(span, span, color="0.6", ls="--", lw=1)
        ax.scatter(theta, est, s=area if area is not None else 18, color="C0", alpha=0.7)
        ax.set_title(f"{name}\nRMSE {rmse:.3f}", fontsize=10)
        ax.set_xlabel(r"true rate $\theta_j$")
        ax.set_xlim(span)
        ax.set_ylim(span)
        ax.set_aspect("equal")
    axes[0].set_ylabel(r"estimate $\hat\theta_j$")
    return fig


def plot_concentration_tail(
    points: ArrayLike,
    density: ArrayLike,
    *,
    slope: float | None = -0.5,
    ax: Axes | None = None,
    xlabel: str = r"$\log(\alpha + \beta)$",
) -> Axes:
    r"""Draw a marginal posterior density on a logarithmic scale, with its predicted tail.

    A density whose tail is proportional to :math:`e^{c x}` is a straight line of
    slope :math:`c` on this scale. For :math:`v = \log(\alpha+\beta)` under the
    hyperprior :math:`(\alpha+\beta)^{-5/2}`, :math:`c = -1/2`, which is a tail
    :math:`(\alpha+\beta)^{-3/2}` for :math:`\alpha + \beta` itself.

    Parameters
    ----------
    points, density : array_like, shape (n,)
        Increasing evaluation points and the density there (positive).
    slope : float or None, default -0.5
        Slope :math:`c` of the reference line, drawn through the last point;
        ``None`` draws no line.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    xlabel : str
        Label of the horizontal axis.

    Returns
    -------
    matplotlib.axes.Axes
        The density is the first line; the reference line, if any, the second.
    """
    x = as_finite(points, "points")
    d = as_finite(density, "density")
    if d.shape != x.shape:
        raise ValueError(f"density must have the shape of points {x.shape}; got {d.shape}")
    if x.size < 2 or np.any(np.diff(x) <= 0):
        raise ValueError(f"points must be increasing, with at least two of them; got {x!r}")
    if np.any(d <= 0):
        raise ValueError("density must be > 0 everywhere to be drawn on a log scale")
    ax = get_axes(ax)
    ax.plot(x, d, color="C0", lw=2, label="posterior density")
    if slope is not None:
        slope = float(as_finite(slope, "slope", ndim=0))
        line = d[-1] * np.exp(slope * (x - x[-1]))
        ax.plot(x, line, color="C1", ls="--", lw=1.2, label=rf"slope ${slope:g}$ on this scale")
    ax.set_yscale("log")
    ax.set_ylim(d.min() / 3, d.max() * 30)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density (log scale)")
    ax.legend(frameon=False)
    return ax
