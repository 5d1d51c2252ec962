"""Figures of the eight-schools chapter: what they draw, their animation, their validation."""

from __future__ import annotations

import gc
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from companion import normal_normal as nn
from companion import plots
from companion.datasets import eight_schools

matplotlib.use("Agg")


SCHOOLS = eight_schools()
Y = SCHOOLS["y"].to_numpy()
SIGMA = SCHOOLS["sigma"].to_numpy()
LABELS = SCHOOLS["school"].tolist()


@pytest.fixture(scope="module")
def posterior() -> nn.TauPosterior:
    return nn.tau_posterior(Y, SIGMA)


# Animations inspected without being rendered make matplotlib warn, when they are
# garbage-collected, that they never were: quietly, in this module's tests, and once at
# its end (a full collection costs about a second in the full suite; one per test cost
# twenty).
pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module", autouse=True)
def collect_animations():
    yield
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Animation was deleted without rendering")
        gc.collect()


def test_all_figure_functions_are_exported() -> None:
    from companion.plots import normal

    for name in normal.__all__:
        assert getattr(plots, name) is getattr(normal, name)


# --- p(tau | y) ------------------------------------------------------------------------------


def test_plot_tau_posterior_draws_the_exact_density(posterior: nn.TauPosterior) -> None:
    ax = plots.plot_tau_posterior(posterior, tau_max=25.0)
    assert isinstance(ax, Axes)
    line = ax.get_lines()[0]
    x, y = line.get_data()
    np.testing.assert_allclose(y, posterior.pdf(x), rtol=1e-12)
    assert x.max() == pytest.approx(25.0) and ax.get_xlim() == (0.0, 25.0)
    median = ax.get_lines()[1].get_xdata()[0]
    assert median == pytest.approx(float(posterior.ppf(0.5)))
    assert len(ax.collections) == 1  # the shaded interval
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None


def test_plot_tau_posterior_uses_a_given_axes(posterior: nn.TauPosterior) -> None:
    _, ax = plt.subplots()
    assert plots.plot_tau_posterior(posterior, ax=ax) is ax


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"tau_max": -1.0}, "tau_max"),
        ({"tau_max": np.nan}, "tau_max"),
        ({"probability": 1.0}, "probability"),
        ({"points": 0}, "points"),
    ],
)
def test_plot_tau_posterior_validates(posterior, kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        plots.plot_tau_posterior(posterior, **kwargs)


def test_a_posterior_is_required() -> None:
    with pytest.raises(ValueError, match="posterior"):
        plots.plot_tau_posterior({"y": Y})
    with pytest.raises(ValueError, match="posterior"):
        plots.animate_tau_knob(None, LABELS)


# --- the tau knob -----------------------------------------------------------------------------


def test_plot_tau_knob_draws_the_conditional_moments(posterior: nn.TauPosterior) -> None:
    fig = plots.plot_tau_knob(posterior, LABELS, tau_max=20.0, points=50)
    assert isinstance(fig, Figure)
    left, right = fig.axes
    assert len(left.get_lines()) == len(right.get_lines()) == 8
    tau = left.get_lines()[0].get_xdata()
    mean, sd = nn.theta_given_tau(Y, SIGMA, tau)
    for j in range(8):
        np.testing.assert_allclose(left.get_lines()[j].get_ydata(), mean[:, j], rtol=1e-12)
        np.testing.assert_allclose(right.get_lines()[j].get_ydata(), sd[:, j], rtol=1e-12)
    # Near tau = 0 every mean is the pooled estimate; at 20 school A is far above it.
    pooled, pooled_sd = nn.pooled_estimate(Y, SIGMA)
    np.testing.assert_allclose(mean[0], pooled, atol=1e-6)
    np.testing.assert_allclose(sd[0], pooled_sd, atol=1e-6)
    # End labels: schools with equal sigma (B and G, D and F) share one on the right.
    right_labels = {t.get_text() for t in right.texts}
    assert {"B, G", "D, F"} <= right_labels and len(left.texts) == 8


def test_plot_tau_knob_validates(posterior: nn.TauPosterior) -> None:
    with pytest.raises(ValueError, match="labels"):
        plots.plot_tau_knob(posterior, LABELS[:7])
    with pytest.raises(ValueError, match="labels"):
        plots.plot_tau_knob(posterior, "ABCDEFGH")
    with pytest.raises(ValueError, match="tau_max"):
        plots.plot_tau_knob(posterior, LABELS, tau_max=0.0)


def _by_gid(artists, gid: str):
    return next(a for a in artists if a.get_gid() == gid)


def test_animation_frames_move_from_pooling_to_separate(posterior: nn.TauPosterior) -> None:
    anim = plots.animate_tau_knob(posterior, LABELS, frames=12, tau_range=(0.01, 1000.0))
    assert isinstance(anim, FuncAnimation)
    assert len(list(anim.new_frame_seq())) == 12
    fig = anim._fig
    # Not registered with pyplot, so a notebook shows no static copy.
    assert not plt.get_fignums()
    top, bottom = fig.axes
    means = _by_gid(top.get_lines(), "means")
    bars = _by_gid(top.collections, "intervals")
    marker = _by_gid(bottom.get_lines(), "tau")
    assert isinstance(bars, LineCollection)
    pooled, pooled_sd = nn.pooled_estimate(Y, SIGMA)
    anim._func(0)
    np.testing.assert_allclose(means.get_ydata(), pooled, atol=1e-3)
    first = np.array([abs(s[1][1] - s[0][1]) for s in bars.get_segments()])
    np.testing.assert_allclose(first, 2 * 1.96 * pooled_sd, rtol=1e-3)
    assert marker.get_xdata()[0] == pytest.approx(0.01)
    anim._func(11)
    np.testing.assert_allclose(means.get_ydata(), Y, atol=0.1)
    last = np.array([abs(s[1][1] - s[0][1]) for s in bars.get_segments()])
    np.testing.assert_allclose(last, 2 * 1.96 * SIGMA, rtol=1e-3)
    assert marker.get_xdata()[0] == pytest.approx(1000.0)
    assert "1e+03" in top.get_title()
    tau = np.geomspace(0.01, 1000.0, 12)[5]
    anim._func(5)
    mean, _ = posterior.theta_given_tau(np.array(tau))
    np.testing.assert_allclose(means.get_ydata(), mean, rtol=1e-12)
    assert f"{float(posterior.cdf(tau)):.2f}" in top.get_title()


@pytest.mark.slow
def test_animation_html_is_a_self_contained_player(posterior: nn.TauPosterior) -> None:
    anim = plots.animate_tau_knob(posterior, LABELS, frames=3, dpi=30)
    raw = anim.to_jshtml()
    assert "font-awesome" in raw  # why animation_html exists: matplotlib links a CDN
    html = plots.animation_html(anim)
    assert html.count("data:image/png;base64") == 3  # every frame embedded
    assert 'type="range"' in html  # the slider
    assert "http://" not in html and "https://" not in html and 'class="fa ' not in html
    assert html.count("<button") == 9 and "&#9654;" in html


def test_animation_html_validates(posterior: nn.TauPosterior) -> None:
    with pytest.raises(ValueError, match="anim"):
        plots.animation_html("<div></div>")
    anim = plots.animate_tau_knob(posterior, LABELS, frames=2, dpi=20)
    with pytest.raises(ValueError, match="default_mode"):
        plots.animation_html(anim, default_mode="bounce")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"frames": 1}, "frames"),
        ({"frames": 2.5}, "frames"),
        ({"tau_range": (5.0, 1.0)}, "tau_range"),
        ({"tau_range": (0.0, 1.0)}, "tau_range"),
        ({"tau_range": (1.0, 2.0, 3.0)}, "tau_range"),
        ({"interval": 0}, "interval"),
        ({"dpi": -72}, "dpi"),
    ],
)
def test_animation_validates(posterior, kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        plots.animate_tau_knob(posterior, LABELS, **kwargs)


# --- densities with draws ----------------------------------------------------------------------


def test_plot_densities_with_and_without_draws(rng) -> None:
    x = np.linspace(-4, 4, 201)
    density = np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)
    sample = rng.standard_normal(200_000)
    ax = plots.plot_densities(x, {"a": density, "b": 0.5 * density}, draws={"a": sample})
    assert isinstance(ax, Axes)
    assert len(ax.get_lines()) == 2 and len(ax.patches) == 1
    # The histogram is normalized by all draws: its bin heights estimate the density.
    heights = ax.patches[0].get_path().vertices[:, 1]
    assert heights.max() == pytest.approx(density.max(), rel=0.05)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "a: 200,000 draws" in labels and "b: exact" in labels


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        (([0.0, 1.0, 0.5], {"a": [1.0, 1.0, 1.0]}), {}, "x"),
        (([0.0, 1.0], {}), {}, "densities"),
        (([0.0, 1.0], {"a": [1.0]}), {}, "densities"),
        (([0.0, 1.0], {"a": [1.0, -1.0]}), {}, "densities"),
        (([0.0, 1.0], {"a": [1.0, np.nan]}), {}, "densities"),
        (([0.0, 1.0], {"a": [1.0, 1.0]}), {"draws": {"b": [0.5]}}, "draws"),
        (([0.0, 1.0], {"a": [1.0, 1.0]}), {"draws": {"a": [np.inf]}}, "draws"),
        (([0.0, 1.0], {"a": [1.0, 1.0]}), {"bins": 0}, "bins"),
    ],
)
def test_plot_densities_validates(args: tuple, kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        plots.plot_densities(*args, **kwargs)


def test_inputs_are_not_modified(posterior: nn.TauPosterior) -> None:
    x = np.linspace(-10, 40, 50)
    density = posterior.largest_effect().pdf(x)
    sample = np.array([1.0, 5.0, 100.0])
    copies = (x.copy(), density.copy(), sample.copy())
    labels = list(LABELS)
    plots.plot_densities(x, {"max": density}, draws={"max": sample})
    plots.plot_tau_knob(posterior, labels, points=20)
    plots.animate_tau_knob(posterior, labels, frames=2)
    for a, b in zip((x, density, sample), copies, strict=True):
        np.testing.assert_array_equal(a, b)
    assert labels == LABELS
    assert posterior.y.tolist() == Y.tolist()
