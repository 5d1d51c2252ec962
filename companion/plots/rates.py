"""Figures for binomial rates: Beta posteriors, shrinkage, the (alpha, beta) grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike
from scipy import stats
from scipy.interpolate import RegularGridInterpolator

from companion._validate import (
    as_counts,
    as_finite,
    as_probabilities,
    as_probability,
    as_rates,
    check_draws,
    check_frozen,
    check_trials,
    frozen_parameters,
)
from companion.beta_binomial import HyperPosterior
from companion.plots._axes import density_curves, get_axes

__all__ = [
    "plot_beta_posteriors",
    "plot_hyper_contours",
    "plot_log_density_profiles",
    "plot_predictive_counts",
    "plot_prior_likelihood_posterior",
    "plot_rate_densities",
    "plot_rate_histogram",
    "plot_shrinkage",
]


def plot_beta_posteriors(
    posterior: Any,
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
    if getattr(getattr(posterior, "dist", None), "name", None) != "beta":
        raise ValueError(
            f"posterior must be a frozen scipy.stats.beta distribution; got {posterior!r}"
        )
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise ValueError(f"points must be an integer >= 2; got {points!r}")
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
    raw: ArrayLike,
    estimate: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
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
    for name, values in zip(("raw", "estimate", "lower", "upper"), arrays, strict=True):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} must be finite; got {values!r}")
    if np.any(lower > estimate) or np.any(estimate > upper):
        bad = int(np.flatnonzero((lower > estimate) | (estimate > upper))[0])
        raise ValueError(
            "each interval must contain its estimate (lower <= estimate <= upper); got "
            f"lower[{bad}]={lower[bad]}, estimate[{bad}]={estimate[bad]}, upper[{bad}]={upper[bad]}"
        )
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


# --- helpers for the functions below --------------------------------------------------------


def _beta_shapes(dist: Any, name: str) -> tuple[float, float]:
    """Shapes ``(a, b)`` of a frozen standard Beta distribution (loc 0, scale 1)."""
    check_frozen(dist, name, family="beta")
    shapes, loc, scale = frozen_parameters(dist)
    if loc != 0 or scale != 1:
        raise ValueError(f"{name} must be a standard Beta on [0, 1]; got loc={loc}, scale={scale}")
    return shapes["a"], shapes["b"]


def _beta_fits(fits: Any, name: str) -> dict[str, tuple[float, float]]:
    """Validate a mapping ``label -> (alpha, beta)`` of positive Beta parameters."""
    if fits is None:
        return {}
    if not isinstance(fits, Mapping):
        raise ValueError(f"{name} must be a mapping of label -> (alpha, beta); got {fits!r}")
    out = {}
    for label, pair in fits.items():
        values = as_finite(pair, f"{name}[{label!r}]")
        if values.shape != (2,) or np.any(values <= 0):
            raise ValueError(
                f"{name}[{label!r}] must be a pair (alpha, beta) of positive numbers; got {pair!r}"
            )
        out[str(label)] = (float(values[0]), float(values[1]))
    return out


def _marks(marks: Any, name: str) -> dict[str, float]:
    """Validate a mapping ``label -> x`` of finite positions."""
    if marks is None:
        return {}
    if not isinstance(marks, Mapping):
        raise ValueError(f"{name} must be a mapping of label -> position; got {marks!r}")
    return {str(k): float(as_finite(v, f"{name}[{k!r}]", ndim=0)) for k, v in marks.items()}


def _draw_marks(ax: Axes, marks: dict[str, float]) -> None:
    for i, (label, x) in enumerate(marks.items()):
        ax.axvline(x, color=f"C{(i + 3) % 10}", ls=":", lw=1.5, label=label)


# --- empirical Bayes -------------------------------------------------------------------------


def plot_rate_histogram(
    rates: ArrayLike,
    *,
    fits: Mapping[str, tuple[float, float]] | None = None,
    marks: Mapping[str, float] | None = None,
    bins: int | Sequence[float] = 16,
    ax: Axes | None = None,
) -> Axes:
    r"""Histogram of observed rates, with fitted Beta densities drawn over it.

    The histogram is scaled as a density, so that a Beta density
    :math:`\mathrm{Beta}(\theta \mid \alpha, \beta)` fitted to the rates (for example
    by :func:`companion.beta_binomial.fit_moments`) can be compared with it directly.

    Parameters
    ----------
    rates : array_like, shape (J,)
        Observed rates :math:`y_j / n_j` in [0, 1].
    fits : mapping of str to (float, float), optional
        Legend label to Beta parameters ``(alpha, beta)``; one density curve each.
    marks : mapping of str to float, optional
        Legend label to a rate marked by a vertical dotted line (for example the
        rate of a new experiment).
    bins : int or sequence of float, default 16
        Number of equal-width bins between 0 and just above the largest rate, or the
        bin edges (increasing, covering every rate). Rates such as :math:`k/20` repeat
        exactly, so edges placed between them (for example at odd multiples of
        0.025) give a steadier picture than edges on top of them.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from companion.plots import plot_rate_histogram
    >>> ax = plot_rate_histogram([0.0, 0.1, 0.1, 0.2, 0.3], fits={"fit": (2.0, 12.0)})
    >>> len(ax.patches), len(ax.lines)
    (16, 1)
    """
    r = as_rates(rates, "rates")
    curves = _beta_fits(fits, "fits")
    lines = _marks(marks, "marks")
    top = min(1.0, float(r.max()) + 0.05)
    if lines:
        top = min(1.0, max(top, max(lines.values()) + 0.05))
    if np.ndim(bins) == 0:
        edges = np.linspace(0.0, top, check_draws(bins, "bins") + 1)
    else:
        edges = as_finite(bins, "bins")
        if edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bins must be an integer or increasing edges; got {bins!r}")
        if edges[0] > r.min() or edges[-1] < r.max():
            raise ValueError(
                f"bins must cover every rate, [{r.min()}, {r.max()}]; got edges from "
                f"{edges[0]} to {edges[-1]}"
            )
        top = max(top, float(edges[-1]))
    ax = get_axes(ax)
    heights, _, _ = ax.hist(
        r,
        bins=edges,
        density=True,
        color="0.8",
        edgecolor="0.5",
        label=f"observed rates ({r.size})",
    )
    x = np.linspace(top / 400, top, 400)
    peak = float(heights.max())
    for i, (label, (a, b)) in enumerate(curves.items()):
        density = stats.beta.pdf(x, a, b)
        ax.plot(x, density, color=f"C{i}", lw=2, label=label)
        # a density with alpha < 1 is unbounded at 0: let it leave the frame there
        peak = max(peak, float(density[x > 0.02 * top].max()))
    _draw_marks(ax, lines)
    ax.set_xlim(min(0.0, float(edges[0])), top)
    ax.set_ylim(0.0, 1.1 * peak)
    ax.set_xlabel(r"rate $y_j / n_j$")
    ax.set_ylabel("density")
    ax.legend(frameon=True, framealpha=0.9, loc="upper right")
    return ax


def plot_prior_likelihood_posterior(
    prior: Any,
    successes: int,
    trials: int,
    *,
    ax: Axes | None = None,
    points: int = 400,
) -> Axes:
    r"""Prior, likelihood and posterior of one binomial rate with a Beta prior.

    With prior :math:`\mathrm{Beta}(a, b)` and :math:`y` successes in :math:`n`
    trials, the three curves are

    .. math::

        \mathrm{Beta}(\theta \mid a, b), \qquad
        \frac{\theta^{y}(1-\theta)^{n-y}}{B(y+1,\, n-y+1)}
        = \mathrm{Beta}(\theta \mid y+1,\, n-y+1), \qquad
        \mathrm{Beta}(\theta \mid a+y,\, b+n-y),

    the likelihood being scaled to integrate to one so that it shares the axis with
    the two densities. A dotted line marks the raw rate :math:`y/n`.

    Parameters
    ----------
    prior : scipy.stats frozen beta
        The prior :math:`\mathrm{Beta}(a, b)` on [0, 1].
    successes, trials : int
        The data :math:`y \le n`.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    points : int, default 400
        Evaluation points between 0 and 1.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from scipy import stats
    >>> from companion.plots import plot_prior_likelihood_posterior
    >>> ax = plot_prior_likelihood_posterior(stats.beta(1.4, 8.6), 4, 14)
    >>> [line.get_label() for line in ax.lines][:3]
    ['prior Beta(1.4, 8.6)', 'likelihood, 4 of 14 (normalized)', 'posterior Beta(5.4, 18.6)']
    """
    a, b = _beta_shapes(prior, "prior")
    y = int(as_counts(successes, "successes", ndim=0))
    n = int(as_counts(trials, "trials", ndim=0))
    check_trials(np.array([y]), np.array([n]), ("successes", "trials"))
    points = check_draws(points, "points")
    if points < 10:
        raise ValueError(f"points must be at least 10; got {points}")
    ax = get_axes(ax)
    x = np.linspace(0.0, 1.0, points + 2)[1:-1]
    curves = [
        (f"prior Beta({a:.3g}, {b:.3g})", stats.beta.pdf(x, a, b), "C0", "--"),
        (f"likelihood, {y} of {n} (normalized)", stats.beta.pdf(x, y + 1, n - y + 1), "C1", "-."),
        (
            f"posterior Beta({a + y:.3g}, {b + n - y:.3g})",
            stats.beta.pdf(x, a + y, b + n - y),
            "C2",
            "-",
        ),
    ]
    for label, density, color, style in curves:
        ax.plot(x, density, color=color, ls=style, lw=2, label=label)
    ax.axvline(y / n if n else 0.0, color="0.4", ls=":", lw=1, label=f"raw rate {y}/{n}")
    # Show the part of [0, 1] where some curve has visible density; a density with a
    # shape parameter below 1 is unbounded at an end and may leave the frame there.
    stacked = np.array([density for _, density, _, _ in curves])
    visible = np.any(stacked > 1e-3 * stacked.max(axis=1, keepdims=True), axis=0)
    right = min(1.0, float(x[visible].max()) + 0.02)
    inner = (x > 0.02 * right) & (x < 1 - 0.02 * right)
    ax.set_xlim(0.0, right)
    ax.set_ylim(0.0, 1.1 * float(stacked[:, inner].max()))
    ax.set_xlabel(r"rate $\theta$")
    ax.set_ylabel("density")
    ax.legend(frameon=False)
    return ax


# --- full Bayes --------------------------------------------------------------------------------


def _check_fractions(levels: ArrayLike, name: str) -> np.ndarray:
    values = as_probabilities(levels, name)
    if np.any(np.diff(values) <= 0):
        raise ValueError(f"{name} must be increasing; got {levels!r}")
    return values


def plot_hyper_contours(
    posterior: HyperPosterior,
    *,
    levels: Sequence[float] = (0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95),
    mass: float = 0.999,
    points: Mapping[str, tuple[object, object]] | None = None,
    ax: Axes | None = None,
    resolution: int = 200,
) -> Axes:
    r"""Contours of :math:`p(\log(\alpha/\beta), \log(\alpha+\beta) \mid y)`, zoomed to its bulk.

    The contour lines are drawn at the given fractions of the density's maximum, as in
    Figure 5.3 of :cite:t:`bda3`. The view is the box between the
    :math:`(1 - \text{mass})/2` and :math:`(1 + \text{mass})/2` quantiles of the two
    marginal posteriors, widened by a tenth on each side: the grid of
    :func:`companion.beta_binomial.hyper_posterior` reaches much further along
    :math:`\log(\alpha+\beta)`, where the posterior has a long, thin tail. Inside the
    box, the tabulated log density is interpolated by cubic splines onto a
    ``resolution`` by ``resolution`` mesh, so the contours are smooth even where the
    grid is coarse.

    Parameters
    ----------
    posterior : companion.beta_binomial.HyperPosterior
        The tabulated posterior.
    levels : sequence of float
        Increasing fractions of the maximum density, each in (0, 1).
    mass : float, default 0.999
        Marginal posterior probability (per axis) that the view must contain.
    points : mapping of str to (array_like, array_like), optional
        Legend label to values ``(alpha, beta)`` (scalars or arrays of equal length),
        plotted in the same coordinates: a single pair as a large cross, up to 200
        pairs as opaque dots (for example divergent transitions), more as small
        translucent dots (for example posterior draws).
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    resolution : int, default 200
        Mesh size per axis of the interpolated density.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(posterior, HyperPosterior):
        raise ValueError(
            "posterior must be a companion.beta_binomial.HyperPosterior (the output of "
            f"hyper_posterior); got {type(posterior).__name__}"
        )
    fractions = _check_fractions(levels, "levels")
    mass = as_probability(mass, "mass")
    resolution = check_draws(resolution, "resolution")
    if resolution < 10:
        raise ValueError(f"resolution must be at least 10; got {resolution}")
    overlays = {}
    if points is not None:
        if not isinstance(points, Mapping):
            raise ValueError(f"points must be a mapping of label -> (alpha, beta); got {points!r}")
        for label, pair in points.items():
            if isinstance(pair, str) or not hasattr(pair, "__len__") or len(pair) != 2:
                raise ValueError(f"points[{label!r}] must be a pair (alpha, beta); got {pair!r}")
            a = np.atleast_1d(as_finite(pair[0], f"points[{label!r}] alpha", ndim=np.ndim(pair[0])))
            b = np.atleast_1d(as_finite(pair[1], f"points[{label!r}] beta", ndim=np.ndim(pair[1])))
            if a.shape != b.shape or a.ndim != 1 or np.any(a <= 0) or np.any(b <= 0):
                raise ValueError(
                    f"points[{label!r}] must hold positive alpha and beta of one length; "
                    f"got shapes {a.shape} and {b.shape}"
                )
            overlays[str(label)] = (np.log(a / b), np.log(a + b))
    grid = posterior.grid
    tail = (1 - mass) / 2
    box = []
    for axis, centres in (("x", grid.x), ("y", grid.y)):
        low, high = grid.marginal(axis).ppf([tail, 1 - tail])
        pad = 0.1 * (high - low)
        box.append((max(low - pad, centres[0]), min(high + pad, centres[-1])))
    # Interpolate the log density on the part of the grid that covers the box.
    keep = [
        slice(
            max(int(np.searchsorted(centres, lo)) - 3, 0),
            min(int(np.searchsorted(centres, hi)) + 3, centres.size),
        )
        for centres, (lo, hi) in zip((grid.x, grid.y), box, strict=True)
    ]
    log_density = grid.log_density[keep[0], keep[1]] - grid.log_density.max()
    interpolate = RegularGridInterpolator(
        (grid.x[keep[0]], grid.y[keep[1]]), log_density, method="cubic"
    )
    u = np.linspace(*box[0], resolution)
    v = np.linspace(*box[1], resolution)
    mesh_u, mesh_v = np.meshgrid(u, v, indexing="ij")
    relative = np.exp(interpolate(np.stack([mesh_u, mesh_v], axis=-1)))
    ax = get_axes(ax, figsize=(6.4, 4.8))
    ax.contour(mesh_u, mesh_v, relative, levels=fractions, colors="k", linewidths=0.8)
    for i, (label, (pu, pv)) in enumerate(overlays.items()):
        if pu.size == 1:
            ax.plot(pu, pv, "X", color=f"C{i}", ms=11, mec="white", label=label, zorder=4)
        elif pu.size <= 200:  # few points, each meant to be seen
            ax.plot(pu, pv, "o", color=f"C{i}", ms=4, alpha=0.9, label=label, zorder=3)
        else:
            ax.plot(pu, pv, ".", color=f"C{i}", ms=3, alpha=0.4, label=label, zorder=2)
    ax.set_xlim(*box[0])
    ax.set_ylim(*box[1])
    ax.set_xlabel(r"$\log(\alpha / \beta)$")
    ax.set_ylabel(r"$\log(\alpha + \beta)$")
    if overlays:
        ax.legend(frameon=True, loc="lower right", markerscale=1.0)
    return ax


def plot_log_density_profiles(
    x: ArrayLike,
    profiles: Mapping[str, object],
    *,
    ax: Axes | None = None,
    xlabel: str = r"$\log(\alpha + \beta)$",
    ylabel: str = "log density (maximum set to 0)",
) -> Axes:
    """Log densities along one line through parameter space, each shifted to peak at 0.

    Used to see whether a posterior decays in some direction: a profile that levels
    off or keeps rising as ``x`` grows belongs to a density that does not. Each
    profile gets its own colour and line style, so profiles that coincide stay
    visible.

    Parameters
    ----------
    x : array_like, shape (m,)
        Positions along the line.
    profiles : mapping of str to array_like, shape (m,)
        Legend label to log density (up to a constant) at ``x``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    xlabel, ylabel : str
        Axis labels.

    Returns
    -------
    matplotlib.axes.Axes
    """
    positions = as_finite(x, "x")
    if not isinstance(profiles, Mapping) or not profiles:
        raise ValueError(
            f"profiles must be a non-empty mapping of label -> values; got {profiles!r}"
        )
    curves = {}
    for label, values in profiles.items():
        array = as_finite(values, f"profiles[{label!r}]")
        if array.shape != positions.shape:
            raise ValueError(
                f"profiles[{label!r}] must have the shape of x {positions.shape}; got {array.shape}"
            )
        curves[str(label)] = array - array.max()
    ax = get_axes(ax)
    styles = ["-", "--", ":", "-."]
    for i, (label, values) in enumerate(curves.items()):
        # distinct line styles keep coinciding profiles visible
        ax.plot(positions, values, color=f"C{i}", ls=styles[i % 4], lw=2, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    return ax


def plot_rate_densities(
    x: ArrayLike,
    densities: Mapping[str, object],
    *,
    marks: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    xlabel: str = r"rate $\theta$",
) -> Axes:
    """Several densities of one rate on a shared axis, with optional marked values.

    Parameters
    ----------
    x : array_like, shape (m,)
        Increasing evaluation points.
    densities : mapping of str to array_like, shape (m,)
        Legend label to density values at ``x`` (non-negative).
    marks : mapping of str to float, optional
        Legend label to a value marked by a vertical dotted line.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    xlabel : str
        Label of the horizontal axis.

    Returns
    -------
    matplotlib.axes.Axes
    """
    positions, curves = density_curves(x, densities)
    lines = _marks(marks, "marks")
    ax = get_axes(ax)
    for i, (label, values) in enumerate(curves.items()):
        ax.plot(positions, values, color=f"C{i}", lw=2, label=str(label))
    _draw_marks(ax, lines)
    ax.set_xlim(positions[0], positions[-1])
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend(frameon=False)
    return ax


def plot_predictive_counts(
    pmf: ArrayLike,
    draws: ArrayLike = None,
    *,
    observed: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    r"""Plot an exact predictive distribution of a count beside a histogram of simulated ones.

    Parameters
    ----------
    pmf : array_like, shape (n + 1,)
        Probabilities of the counts :math:`0, \dots, n` (for example
        :meth:`companion.beta_binomial.HyperPosterior.predictive`); they must sum
        to one.
    draws : array_like of int, optional
        Simulated counts in :math:`0, \dots, n` (for example from
        :func:`companion.beta_binomial.posterior_predictive`), shown as bars of relative
        frequency.
    observed : int, optional
        A count to mark with a vertical dotted line.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from scipy import stats
    >>> from companion.plots import plot_predictive_counts
    >>> ax = plot_predictive_counts(stats.binom.pmf(range(11), 10, 0.3), [2, 3, 3, 4])
    >>> len(ax.patches)
    11
    """
    probs = as_finite(pmf, "pmf")
    if np.any(probs < 0) or abs(probs.sum() - 1) > 1e-6:
        raise ValueError(
            f"pmf must be non-negative and sum to 1; got minimum {probs.min()!r}, "
            f"sum {probs.sum()!r}"
        )
    counts = np.arange(probs.size)
    ax = get_axes(ax)
    if draws is not None:
        sims = as_counts(draws, "draws")
        if sims.max() >= probs.size:
            raise ValueError(
                f"draws must lie in 0..{probs.size - 1}, the support of pmf; got {sims.max()}"
            )
        freq = np.bincount(sims, minlength=probs.size) / sims.size
        ax.bar(
            counts,
            freq,
            width=0.8,
            color="0.8",
            edgecolor="0.5",
            label=f"simulated ({sims.size} draws)",
        )
    ax.plot(counts, probs, "o", color="C0", ms=5, label="exact")
    if observed is not None:
        seen = int(as_counts(observed, "observed", ndim=0))
        ax.axvline(seen, color="C3", ls=":", lw=1.5, label=f"observed {seen}")
    ax.set_xlabel("count")
    ax.set_ylabel("probability")
    ax.legend(frameon=False)
    return ax
