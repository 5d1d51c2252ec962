r"""Figures for the eight-schools chapter: :math:`p(\tau \mid y)`, the "tau knob", densities.

The knob is also available as an animation (:func:`animate_tau_knob`) whose
``to_jshtml()`` is a self-contained HTML player with a slider: the frames are embedded
as images, so it works in a static page with no kernel and no network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import Animation, FuncAnimation
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from companion._validate import as_finite, as_positive, as_probability, check_draws
from companion.normal_normal import TauPosterior, pooled_estimate
from companion.plots._axes import density_curves, get_axes

__all__ = [
    "animate_tau_knob",
    "animation_html",
    "plot_densities",
    "plot_tau_knob",
    "plot_tau_posterior",
]

_TAU = r"$\tau$"


def _check_posterior(posterior: Any) -> TauPosterior:
    if not isinstance(posterior, TauPosterior):
        raise ValueError(
            "posterior must be a companion.normal_normal.TauPosterior (the output of "
            f"tau_posterior); got {type(posterior).__name__}"
        )
    return posterior


def _check_labels(labels: Sequence[str], groups: int) -> list[str]:
    if isinstance(labels, str) or len(labels) != groups:
        size = "a string" if isinstance(labels, str) else len(labels)
        raise ValueError(f"labels must have one entry per group ({groups}); got {size}")
    return [str(label) for label in labels]


def _check_positive_scalar(value: ArrayLike, name: str) -> float:
    return float(as_positive(value, name, ndim=0))


def _label_line_ends(
    ax: Axes, x: float, ends: np.ndarray, labels: list[str], colors: list[str]
) -> None:
    """Write labels at the right ends of lines, pushed apart where they would overlap.

    Lines that end at the same value share one label; labels closer than 4% of the
    axis height are moved up.
    """
    order = np.argsort(ends, kind="stable")
    groups: list[list[int]] = []
    for j in order:
        if groups and np.isclose(ends[j], ends[groups[-1][0]], rtol=1e-9, atol=1e-12):
            groups[-1].append(int(j))
        else:
            groups.append([int(j)])
    low, high = ax.get_ylim()
    gap = 0.04 * (high - low)
    placed: list[float] = []
    for members in groups:
        y = float(ends[members[0]])
        if placed and y < placed[-1] + gap:
            y = placed[-1] + gap
        placed.append(y)
        text = ", ".join(labels[j] for j in members)
        ax.annotate(
            text,
            (x, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=colors[members[0]] if len(members) == 1 else "0.2",
            annotation_clip=False,
        )


def plot_tau_posterior(
    posterior: TauPosterior,
    *,
    tau_max: float = 30.0,
    probability: float = 0.95,
    points: int = 400,
    ax: Axes | None = None,
) -> Axes:
    r"""Draw the exact marginal posterior density :math:`p(\tau \mid y)`.

    The central ``probability`` interval is shaded and the median marked.

    Parameters
    ----------
    posterior : companion.normal_normal.TauPosterior
        The exact posterior (:func:`companion.normal_normal.tau_posterior`).
    tau_max : float, default 30
        Right end of the horizontal axis.
    probability : float, default 0.95
        Probability of the shaded central interval, in (0, 1).
    points : int, default 400
        Evaluation points.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    post = _check_posterior(posterior)
    tau_max = _check_positive_scalar(tau_max, "tau_max")
    level = as_probability(probability, "probability")
    points = check_draws(points, "points")
    ax = get_axes(ax)
    tau = np.linspace(0.0, tau_max, points + 1)[1:]
    tau = np.concatenate([[tau_max * 1e-6], tau])
    density = post.pdf(tau)
    low, high = post.interval(level)
    median = float(post.ppf(0.5))
    ax.plot(tau, density, color="C0", lw=2, label=r"$p(\tau \mid y)$")
    inside = (tau >= low) & (tau <= high)
    ax.fill_between(
        tau[inside],
        density[inside],
        color="C0",
        alpha=0.2,
        lw=0,
        label=f"central {100 * level:g}% interval",
    )
    ax.axvline(median, color="0.3", ls="--", lw=1, label=f"median {median:.1f}")
    ax.set_xlim(0, tau_max)
    ax.set_ylim(0, None)
    ax.set_xlabel(r"between-school standard deviation $\tau$")
    ax.set_ylabel("posterior density")
    ax.legend(frameon=False)
    return ax


def plot_tau_knob(
    posterior: TauPosterior,
    labels: Sequence[str],
    *,
    tau_max: float = 30.0,
    points: int = 300,
) -> Figure:
    r"""Draw the "tau knob": conditional means and standard deviations against tau.

    :math:`E[\theta_j \mid \tau, y]` and :math:`\mathrm{sd}(\theta_j \mid \tau, y)` in
    two panels against :math:`\tau`, with :math:`\mu` integrated out (see
    :func:`companion.normal_normal.theta_given_tau`): at :math:`\tau = 0` every mean is
    the complete-pooling estimate; as :math:`\tau` grows the means move toward the
    separate estimates :math:`y_j` and the standard deviations toward :math:`\sigma_j`.

    Parameters
    ----------
    posterior : companion.normal_normal.TauPosterior
        The exact posterior.
    labels : sequence of str
        One label per group.
    tau_max : float, default 30
        Right end of the horizontal axes.
    points : int, default 300
        Evaluation points.

    Returns
    -------
    matplotlib.figure.Figure
        With two axes, means then standard deviations.
    """
    post = _check_posterior(posterior)
    labels = _check_labels(labels, post.y.size)
    tau_max = _check_positive_scalar(tau_max, "tau_max")
    points = check_draws(points, "points")
    tau = np.linspace(0.0, tau_max, points + 1)
    tau[0] = tau_max * 1e-6
    mean, sd = post.theta_given_tau(tau)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
    colors = [f"C{j % 10}" for j in range(len(labels))]
    for j, label in enumerate(labels):
        left.plot(tau, mean[:, j], color=colors[j], lw=1.6, label=label)
        right.plot(tau, sd[:, j], color=colors[j], lw=1.6, label=label)
    _label_line_ends(left, tau[-1], mean[-1], labels, colors)
    _label_line_ends(right, tau[-1], sd[-1], labels, colors)
    left.set_ylabel(r"$E[\theta_j \mid \tau, y]$")
    right.set_ylabel(r"$\mathrm{sd}(\theta_j \mid \tau, y)$")
    for ax in (left, right):
        ax.set_xlim(0, tau_max * 1.04)
        ax.set_xlabel(r"between-school standard deviation $\tau$")
    right.set_ylim(0, None)
    left.legend(frameon=False, ncol=4, fontsize=8, loc="upper left")
    return fig


def animate_tau_knob(
    posterior: TauPosterior,
    labels: Sequence[str],
    *,
    frames: int = 36,
    tau_range: tuple[float, float] = (0.1, 100.0),
    interval: int = 250,
    dpi: int = 72,
) -> FuncAnimation:
    r"""Animate the eight estimates as :math:`\tau` turns from complete to no pooling.

    Frame :math:`i` shows, for a value of :math:`\tau` on a logarithmic sweep over
    ``tau_range``, each :math:`E[\theta_j \mid \tau, y]` with its 95% interval
    :math:`E \pm 1.96\, \mathrm{sd}` (exact: :math:`\theta_j \mid \tau, y` is normal),
    beside the separate estimates :math:`y_j` and the complete-pooling estimate. A lower
    panel shows the posterior density of :math:`\log\tau` with the current value
    marked, and :math:`\Pr(\tau' \le \tau \mid y)`, so the reader sees how much
    posterior weight each setting of the knob carries.

    Display it in a notebook with ``IPython.display.HTML(animation_html(anim))``: a player
    with a slider whose frames are embedded in the page (no kernel, no network; plain
    ``to_jshtml()`` would link its button icons from a CDN). The
    figure is not registered with pyplot, so no static copy is shown.

    Parameters
    ----------
    posterior : companion.normal_normal.TauPosterior
        The exact posterior.
    labels : sequence of str
        One label per group.
    frames : int, default 36
        Number of frames (values of :math:`\tau`), at least 2.
    tau_range : tuple of float, default (0.1, 100)
        Smallest and largest :math:`\tau`.
    interval : int, default 250
        Milliseconds between frames when playing.
    dpi : int, default 72
        Resolution of the embedded frames (with the 7 x 5 inch figure, 504 x 360 pixels
        at the default): keep it modest, every frame is stored in the page.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Its frames are the values of :math:`\tau` (``list(anim.new_frame_seq())``).
    """
    post = _check_posterior(posterior)
    labels = _check_labels(labels, post.y.size)
    frames = check_draws(frames, "frames")
    if frames < 2:
        raise ValueError(f"frames must be at least 2; got {frames}")
    ends = as_positive(tau_range, "tau_range")
    if ends.shape != (2,) or not ends[0] < ends[1]:
        raise ValueError(f"tau_range must be (low, high) with 0 < low < high; got {tau_range!r}")
    interval = check_draws(interval, "interval")
    dpi = check_draws(dpi, "dpi")

    taus = np.geomspace(ends[0], ends[1], frames)
    means, sds = post.theta_given_tau(taus)
    groups = np.arange(post.y.size)
    pooled, _ = pooled_estimate(post.y, post.sigma)
    lows, highs = means - 1.96 * sds, means + 1.96 * sds
    span = (min(lows.min(), post.y.min()), max(highs.max(), post.y.max()))
    pad = 0.05 * (span[1] - span[0])

    fig = Figure(figsize=(7.0, 5.0), dpi=dpi, layout="constrained")
    top, bottom = fig.subplots(2, 1, height_ratios=[3, 1])
    top.axhline(pooled, color="0.4", ls=":", lw=1.2, label="complete pooling")
    top.plot(groups, post.y, "o", mfc="none", mec="0.3", ms=7, label=r"separate estimate $y_j$")
    bars = top.vlines(groups, lows[0], highs[0], color="C0", lw=2.5, alpha=0.6, gid="intervals")
    (points,) = top.plot(
        groups,
        means[0],
        "o",
        color="C0",
        ms=6,
        label=r"$E[\theta_j \mid \tau, y] \pm 1.96\,\mathrm{sd}$",
        gid="means",
    )
    top.set_xticks(groups, labels)
    top.set_xlim(-0.5, post.y.size - 0.5)
    top.set_ylim(span[0] - pad, span[1] + pad)
    top.set_xlabel("school")
    top.set_ylabel("coaching effect")
    top.legend(frameon=False, fontsize=8, loc="upper right", ncol=3)
    title = top.set_title("")

    grid = np.geomspace(ends[0], ends[1], 300)
    density = post.pdf(grid) * grid  # density of log tau
    bottom.fill_between(grid, density, color="C1", alpha=0.3, lw=0)
    bottom.plot(grid, density, color="C1", lw=1.5)
    bottom.set_xscale("log")
    bottom.set_xlim(ends[0], ends[1])
    bottom.set_ylim(0, density.max() * 1.15)
    bottom.set_yticks([])
    bottom.set_xlabel(r"$\tau$ (log scale); shaded: posterior density of $\log\tau$")
    marker = bottom.axvline(taus[0], color="C3", lw=2, gid="tau")
    cdf = post.cdf(taus)

    def _draw(i: int) -> tuple:
        """Move the animation to frame ``i``."""
        bars.set_segments(
            [[(g, lo), (g, hi)] for g, lo, hi in zip(groups, lows[i], highs[i], strict=True)]
        )
        points.set_ydata(means[i])
        marker.set_xdata([taus[i], taus[i]])
        title.set_text(rf"$\tau$ = {taus[i]:.3g}    $\Pr(\tau' \leq \tau \mid y)$ = {cdf[i]:.2f}")
        return bars, points, marker, title

    _draw(0)
    return FuncAnimation(fig, _draw, frames=range(frames), interval=interval, repeat=True)


def plot_densities(
    x: ArrayLike,
    densities: Mapping[str, object],
    *,
    draws: Mapping[str, object] | None = None,
    bins: int = 100,
    xlabel: str = "effect",
    ax: Axes | None = None,
) -> Axes:
    """Overlay exact densities, each optionally with a histogram of draws of the same quantity.

    Parameters
    ----------
    x : array_like, shape (n,)
        Evaluation points, increasing.
    densities : mapping of str to array_like
        Label to density values at ``x``.
    draws : mapping of str to array_like, optional
        Label (a key of ``densities``) to draws, drawn as a normalized step histogram in
        the colour of that density, over the range of ``x``.
    bins : int, default 100
        Histogram bins.
    xlabel : str
        Horizontal-axis label.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    x, curves = density_curves(x, densities)
    draws = {} if draws is None else dict(draws)
    unknown = set(draws) - set(curves)
    if unknown:
        raise ValueError(f"draws has labels that are not in densities: {sorted(unknown)}")
    bins = check_draws(bins, "bins")
    ax = get_axes(ax)
    for k, (label, values) in enumerate(curves.items()):
        color = f"C{k % 10}"
        if label in draws:
            sample = as_finite(draws[label], f"draws[{label!r}]")
            inside = sample[(sample >= x[0]) & (sample <= x[-1])]
            # Normalized by all the draws, so the histogram estimates the density itself.
            weights = np.full(inside.size, 1.0 / (sample.size * (x[-1] - x[0]) / bins))
            ax.hist(
                inside,
                bins=bins,
                range=(x[0], x[-1]),
                weights=weights,
                histtype="step",
                color=color,
                alpha=0.6,
                lw=1,
                label=f"{label}: {sample.size:,} draws",
            )
        ax.plot(x, values, color=color, lw=2, label=f"{label}: exact")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(0, None)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("posterior density")
    ax.legend(frameon=False, fontsize=9)
    return ax


# Matplotlib's player draws its buttons with Font Awesome icons fetched from a CDN; an
# offline page gets plain characters instead (each button keeps its tooltip).
_BUTTON_TEXT = {
    "fa fa-minus": "&minus;",
    "fa fa-fast-backward": "|&#9664;",
    "fa fa-step-backward": "&#9664;|",
    "fa fa-play fa-flip-horizontal": "&#9664;",
    "fa fa-pause": "||",
    "fa fa-play": "&#9654;",
    "fa fa-step-forward": "|&#9654;",
    "fa fa-fast-forward": "&#9654;|",
    "fa fa-plus": "+",
}


def animation_html(anim: Animation, *, default_mode: str | None = None) -> str:
    """Return the animation as a self-contained HTML player that needs no network.

    :meth:`matplotlib.animation.Animation.to_jshtml` embeds every frame as an image and
    the player (slider, buttons) as inline JavaScript, but it also links a Font Awesome
    stylesheet on a CDN for the button icons. This removes that link and labels the
    buttons with plain characters, so the page makes no request at all.

    Parameters
    ----------
    anim : matplotlib.animation.Animation
        For example the output of :func:`animate_tau_knob`.
    default_mode : {"loop", "once", "reflect"}, optional
        Passed to ``to_jshtml``.

    Returns
    -------
    str
        HTML for :class:`IPython.display.HTML`.
    """
    if not isinstance(anim, Animation):
        raise ValueError(f"anim must be a matplotlib Animation; got {type(anim).__name__}")
    if default_mode not in (None, "loop", "once", "reflect"):
        raise ValueError(
            f"default_mode must be one of None, 'loop', 'once', 'reflect'; got {default_mode!r}"
        )
    html = anim.to_jshtml(default_mode=default_mode)
    html = re.sub(r"<link[^>]*font-awesome[^>]*>\s*", "", html)
    for icon, text in _BUTTON_TEXT.items():
        html = html.replace(f'<i class="{icon}"></i>', text)
    if re.search(r"https?://", html) or 'class="fa ' in html:
        raise RuntimeError("matplotlib's player template changed: it still refers to the network")
    return html
