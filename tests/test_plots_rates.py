"""Tests for companion.plots.rates: the figures of the binomial-rate chapters.

Each function must return the Axes it drew on, with the artists the book relies on
(checked against independent computations where the artists carry numbers), reject
bad input with a ValueError naming the argument, and leave its inputs unchanged.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.contour import ContourSet
from scipy import stats

from companion import beta_binomial, plots
from companion.plots import rates

# A small data set whose hyperparameter posterior is proper (several 0 < y < n).
Y = np.array([0, 1, 2, 3, 5, 4, 2, 6])
N = np.array([20, 20, 19, 18, 20, 15, 22, 21])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def posterior() -> beta_binomial.HyperPosterior:
    return beta_binomial.hyper_posterior(Y, N, size=64)


def test_every_public_function_is_reexported():
    for name in rates.__all__:
        assert getattr(plots, name) is getattr(rates, name)


# --- plot_beta_posteriors ----------------------------------------------------------------------


def test_beta_posteriors_draws_one_density_per_group():
    post = stats.beta([3.0, 5.0, 9.0], [7.0, 5.0, 2.0])
    ax = plots.plot_beta_posteriors(post, ["a", "b", "c"], points=300)
    assert isinstance(ax, Axes)
    assert [line.get_label() for line in ax.lines] == ["a", "b", "c"]
    x, density = ax.lines[1].get_data()
    assert x.size == 300
    np.testing.assert_allclose(density, stats.beta.pdf(x, 5.0, 5.0), rtol=1e-12)
    assert ax.get_legend() is not None


def test_beta_posteriors_uses_given_axes():
    _, given = plt.subplots()
    ax = plots.plot_beta_posteriors(stats.beta([2.0], [3.0]), ["only"], ax=given)
    assert ax is given


def test_beta_posteriors_rejects_wrong_number_of_labels():
    with pytest.raises(ValueError, match="labels"):
        plots.plot_beta_posteriors(stats.beta([2.0, 3.0], [3.0, 2.0]), ["one"])


def test_beta_posteriors_does_not_modify_its_inputs():
    a, b = np.array([2.0, 4.0]), np.array([6.0, 3.0])
    labels = ["x", "y"]
    post = stats.beta(a, b)
    plots.plot_beta_posteriors(post, labels)
    np.testing.assert_array_equal(a, [2.0, 4.0])
    np.testing.assert_array_equal(post.args[0], [2.0, 4.0])
    assert labels == ["x", "y"]


# --- plot_shrinkage ----------------------------------------------------------------------------


def test_shrinkage_draws_points_intervals_and_reference_lines():
    raw = np.array([0.1, 0.3, 0.5])
    est = np.array([0.15, 0.3, 0.42])
    lo, hi = est - 0.05, est + 0.05
    ax = plots.plot_shrinkage(raw, est, lo, hi, pooled=0.3, labels=["a", "b", "c"])
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["no pooling", "complete pooling", "partial pooling"]
    points = ax.lines[2]
    np.testing.assert_array_equal(points.get_xdata(), raw)
    np.testing.assert_array_equal(points.get_ydata(), est)
    (intervals,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segments = intervals.get_segments()
    assert len(segments) == 3
    np.testing.assert_allclose([s[:, 1] for s in segments], np.column_stack([lo, hi]))
    assert [t.get_text() for t in ax.texts] == ["a", "b", "c"]


def test_shrinkage_without_pooled_line():
    ax = plots.plot_shrinkage([0.1, 0.2], [0.12, 0.19], [0.0, 0.1], [0.2, 0.3])
    assert [line.get_label() for line in ax.lines] == ["no pooling", "partial pooling"]


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        (([0.1, 0.2], [0.1], [0.0, 0.1], [0.2, 0.3]), {}, "raw"),
        (([[0.1, 0.2]], [[0.1, 0.2]], [[0.0, 0.1]], [[0.2, 0.3]]), {}, "raw"),
        (([0.1, 0.2], [0.1, 0.2], [0.0, 0.1], [0.2, 0.3]), {"labels": ["a"]}, "labels"),
    ],
)
def test_shrinkage_rejects_bad_input(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_shrinkage(*args, **kwargs)


def test_shrinkage_does_not_modify_its_inputs():
    arrays = [
        np.array([0.1, 0.4]),
        np.array([0.15, 0.35]),
        np.array([0.0, 0.2]),
        np.array([0.3, 0.5]),
    ]
    copies = [a.copy() for a in arrays]
    plots.plot_shrinkage(*arrays, pooled=0.25)
    for a, c in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(a, c)


# --- plot_rate_histogram -----------------------------------------------------------------------


def test_rate_histogram_bars_are_a_density_and_curves_are_the_fits():
    r = np.array([0.0, 0.05, 0.05, 0.1, 0.2, 0.3])
    ax = plots.plot_rate_histogram(
        r, fits={"one": (2.0, 10.0), "two": (1.5, 9.0)}, marks={"new": 0.25}, bins=10
    )
    assert isinstance(ax, Axes)
    assert len(ax.patches) == 10
    widths = np.array([p.get_width() for p in ax.patches])
    heights = np.array([p.get_height() for p in ax.patches])
    assert np.sum(widths * heights) == pytest.approx(1.0)
    # the bar counts match numpy's histogram of the same edges
    counts, _ = np.histogram(r, bins=10, range=(0.0, ax.get_xlim()[1]))
    np.testing.assert_allclose(heights * widths * r.size, counts)
    one, two, mark = ax.lines
    x, y = one.get_data()
    np.testing.assert_allclose(y, stats.beta.pdf(x, 2.0, 10.0))
    assert two.get_label() == "two"
    assert mark.get_label() == "new"
    assert mark.get_xdata()[0] == pytest.approx(0.25)


def test_rate_histogram_accepts_edges():
    r = np.array([0.0, 0.05, 0.1, 0.1, 0.15])
    edges = np.arange(-0.025, 0.2, 0.05)
    ax = plots.plot_rate_histogram(r, bins=edges)
    assert len(ax.patches) == edges.size - 1
    heights = np.array([p.get_height() for p in ax.patches])
    np.testing.assert_allclose(heights * 0.05 * r.size, [1, 1, 2, 1])
    assert ax.get_xlim()[0] == pytest.approx(-0.025)


@pytest.mark.parametrize(
    ("rates_", "kwargs", "name"),
    [
        ([0.1, 1.2], {}, "rates"),
        ([0.1, 0.1], {}, "rates"),
        ([0.1, 0.2], {"fits": {"bad": (0.0, 1.0)}}, "fits"),
        ([0.1, 0.2], {"fits": [(1.0, 2.0)]}, "fits"),
        ([0.1, 0.2], {"marks": {"m": np.nan}}, "marks"),
        ([0.1, 0.2], {"bins": 0}, "bins"),
        ([0.1, 0.2], {"bins": [0.15, 0.3]}, "bins"),
        ([0.1, 0.2], {"bins": [0.3, 0.1]}, "bins"),
    ],
)
def test_rate_histogram_rejects_bad_input(rates_, kwargs, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_rate_histogram(rates_, **kwargs)


def test_rate_histogram_does_not_modify_its_inputs():
    r = np.array([0.3, 0.1, 0.2])
    fits = {"f": [2.0, 8.0]}
    edges = np.array([0.0, 0.15, 0.35])
    plots.plot_rate_histogram(r, fits=fits, bins=edges)
    np.testing.assert_array_equal(r, [0.3, 0.1, 0.2])
    assert fits == {"f": [2.0, 8.0]}
    np.testing.assert_array_equal(edges, [0.0, 0.15, 0.35])


# --- plot_prior_likelihood_posterior -----------------------------------------------------------


def test_prior_likelihood_posterior_curves_are_the_conjugate_densities():
    ax = plots.plot_prior_likelihood_posterior(stats.beta(1.4, 8.6), 4, 14, points=500)
    prior, likelihood, posterior, raw = ax.lines
    x = prior.get_xdata()
    assert x.size == 500 and x.min() > 0 and x.max() < 1
    np.testing.assert_allclose(prior.get_ydata(), stats.beta.pdf(x, 1.4, 8.6))
    # The likelihood, scaled to integrate to one over [0, 1].
    grid = np.linspace(0, 1, 200_001)
    unnormalized = stats.binom.pmf(4, 14, grid)
    scale = np.trapezoid(unnormalized, grid)
    np.testing.assert_allclose(likelihood.get_ydata(), stats.binom.pmf(4, 14, x) / scale, rtol=1e-8)
    # The posterior, checked against the normalized product of prior and likelihood.
    product = stats.beta.pdf(grid, 1.4, 8.6) * unnormalized
    expected = np.interp(x, grid, product / np.trapezoid(product, grid))
    np.testing.assert_allclose(posterior.get_ydata(), expected, rtol=1e-6, atol=1e-8)
    assert raw.get_xdata()[0] == pytest.approx(4 / 14)
    assert posterior.get_label() == "posterior Beta(5.4, 18.6)"


def test_prior_likelihood_posterior_handles_zero_successes():
    ax = plots.plot_prior_likelihood_posterior(stats.beta(0.5, 0.5), 0, 10)
    assert len(ax.lines) == 4
    assert np.isfinite(ax.get_ylim()[1])


@pytest.mark.parametrize(
    ("prior", "y", "n", "kwargs", "name"),
    [
        (stats.norm(0, 1), 1, 2, {}, "prior"),
        ("Beta(1, 1)", 1, 2, {}, "prior"),
        (stats.beta(1, 1, loc=1), 1, 2, {}, "prior"),
        (stats.beta(1, 1), 3, 2, {}, "successes"),
        (stats.beta(1, 1), -1, 2, {}, "successes"),
        (stats.beta(1, 1), 1, 2.5, {}, "trials"),
        (stats.beta(1, 1), 1, 2, {"points": 3}, "points"),
    ],
)
def test_prior_likelihood_posterior_rejects_bad_input(prior, y, n, kwargs, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_prior_likelihood_posterior(prior, y, n, **kwargs)


# --- plot_hyper_contours -----------------------------------------------------------------------


def test_hyper_contours_draws_contours_inside_the_bulk(posterior):
    draws = posterior.sample(200, rng=1)
    a, b = draws["alpha"], draws["beta"]
    ax = plots.plot_hyper_contours(
        posterior, points={"draws": (a, b), "a point": (2.0, 12.0)}, resolution=60
    )
    (contours,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    np.testing.assert_allclose(
        contours.levels, [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]
    )
    # The view holds at least the requested marginal mass on both axes.
    (u0, u1), (v0, v1) = ax.get_xlim(), ax.get_ylim()
    for axis, (lo, hi) in (("x", (u0, u1)), ("y", (v0, v1))):
        marginal = posterior.grid.marginal(axis)
        assert marginal.cdf(hi) - marginal.cdf(lo) >= 0.999
    # ... and is far narrower than the grid along log(alpha + beta).
    assert v1 - v0 < 0.5 * (posterior.grid.y[-1] - posterior.grid.y[0])
    dots, cross = ax.lines
    np.testing.assert_allclose(dots.get_xdata(), np.log(a / b))
    np.testing.assert_allclose(dots.get_ydata(), np.log(a + b))
    np.testing.assert_allclose(cross.get_xydata(), [[np.log(2 / 12), np.log(14.0)]])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["draws", "a point"]


def test_hyper_contours_mode_lies_inside_the_innermost_contour(posterior):
    ax = plots.plot_hyper_contours(posterior, levels=[0.5], resolution=80)
    (contours,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    i, j = np.unravel_index(np.argmax(posterior.grid.log_density), posterior.grid.mass.shape)
    mode = (posterior.grid.x[i], posterior.grid.y[j])
    paths = contours.get_paths()
    assert any(path.contains_point(mode) for path in paths if len(path.vertices) > 2)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"levels": [0.5, 0.2]}, "levels"),
        ({"levels": [0.0, 0.5]}, "levels"),
        ({"mass": 1.0}, "mass"),
        ({"resolution": 5}, "resolution"),
        ({"points": [(1.0, 2.0)]}, "points"),
        ({"points": {"p": (1.0, -2.0)}}, "points"),
        ({"points": {"p": ([1.0, 2.0], [3.0])}}, "points"),
        ({"points": {"p": 3.0}}, "points"),
        ({"points": {"p": "ab"}}, "points"),
    ],
)
def test_hyper_contours_rejects_bad_input(posterior, kwargs, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_hyper_contours(posterior, **kwargs)


def test_hyper_contours_rejects_a_grid_that_is_not_a_posterior(posterior):
    with pytest.raises(ValueError, match="posterior"):
        plots.plot_hyper_contours(posterior.grid)


def test_hyper_contours_does_not_modify_its_inputs(posterior):
    a, b = np.array([2.0, 3.0]), np.array([10.0, 20.0])
    before = posterior.grid.log_density.copy()
    plots.plot_hyper_contours(posterior, points={"p": (a, b)}, resolution=30)
    np.testing.assert_array_equal(a, [2.0, 3.0])
    np.testing.assert_array_equal(b, [10.0, 20.0])
    np.testing.assert_array_equal(posterior.grid.log_density, before)


# --- plot_log_density_profiles -----------------------------------------------------------------


def test_log_density_profiles_are_shifted_to_peak_at_zero():
    x = np.linspace(0.0, 10.0, 21)
    ax = plots.plot_log_density_profiles(x, {"decays": 3.0 - 0.5 * x, "flat": np.full(21, 7.0)})
    decays, flat = ax.lines
    np.testing.assert_allclose(decays.get_ydata(), -0.5 * x)
    np.testing.assert_allclose(flat.get_ydata(), 0.0)
    assert decays.get_linestyle() != flat.get_linestyle()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["decays", "flat"]


@pytest.mark.parametrize(
    ("x", "profiles", "name"),
    [
        ([0.0, 1.0], {}, "profiles"),
        ([0.0, 1.0], [[0.0, 1.0]], "profiles"),
        ([0.0, 1.0], {"p": [0.0, 1.0, 2.0]}, "profiles"),
        ([0.0, np.inf], {"p": [0.0, 1.0]}, "x"),
        ([0.0, 1.0], {"p": [0.0, np.nan]}, "profiles"),
    ],
)
def test_log_density_profiles_reject_bad_input(x, profiles, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_log_density_profiles(x, profiles)


def test_log_density_profiles_do_not_modify_their_inputs():
    x = np.array([0.0, 1.0, 2.0])
    values = np.array([1.0, 3.0, 2.0])
    plots.plot_log_density_profiles(x, {"p": values})
    np.testing.assert_array_equal(values, [1.0, 3.0, 2.0])


# --- plot_rate_densities -----------------------------------------------------------------------


def test_rate_densities_draws_each_density_and_mark():
    x = np.linspace(0.01, 0.99, 50)
    ax = plots.plot_rate_densities(
        x,
        {"A": stats.beta.pdf(x, 2, 5), "B": stats.beta.pdf(x, 5, 2)},
        marks={"raw": 0.3},
    )
    a, b, mark = ax.lines
    np.testing.assert_allclose(a.get_ydata(), stats.beta.pdf(x, 2, 5))
    np.testing.assert_allclose(b.get_xdata(), x)
    assert mark.get_label() == "raw"
    assert ax.get_xlim() == pytest.approx((0.01, 0.99))


@pytest.mark.parametrize(
    ("x", "densities", "kwargs", "name"),
    [
        ([0.2, 0.1], {"d": [1.0, 1.0]}, {}, "x"),
        ([0.1, 0.2], {}, {}, "densities"),
        ([0.1, 0.2], {"d": [1.0, -1.0]}, {}, "densities"),
        ([0.1, 0.2], {"d": [1.0]}, {}, "densities"),
        ([0.1, 0.2], {"d": [1.0, 1.0]}, {"marks": {"m": "here"}}, "marks"),
    ],
)
def test_rate_densities_reject_bad_input(x, densities, kwargs, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_rate_densities(x, densities, **kwargs)


# --- plot_predictive_counts --------------------------------------------------------------------


def test_predictive_counts_bars_are_relative_frequencies(rng):
    pmf = stats.betabinom.pmf(np.arange(21), 20, 2.3, 13.8)
    draws = rng.binomial(20, rng.beta(2.3, 13.8, 5000))
    ax = plots.plot_predictive_counts(pmf, draws, observed=4)
    assert len(ax.patches) == 21
    heights = np.array([p.get_height() for p in ax.patches])
    np.testing.assert_allclose(heights, np.bincount(draws, minlength=21) / 5000)
    exact, observed = ax.lines
    np.testing.assert_allclose(exact.get_ydata(), pmf)
    assert observed.get_xdata()[0] == 4
    # Simulated frequencies agree with the exact pmf within 4 standard errors.
    assert np.all(np.abs(heights - pmf) <= 4 * np.sqrt(pmf * (1 - pmf) / 5000) + 1e-12)


def test_predictive_counts_without_draws():
    ax = plots.plot_predictive_counts([0.25, 0.5, 0.25])
    assert len(ax.patches) == 0
    assert len(ax.lines) == 1


@pytest.mark.parametrize(
    ("pmf", "draws", "kwargs", "name"),
    [
        ([0.5, 0.6], None, {}, "pmf"),
        ([1.5, -0.5], None, {}, "pmf"),
        ([0.5, 0.5], [0, 2], {}, "draws"),
        ([0.5, 0.5], [0, 0.5], {}, "draws"),
        ([0.5, 0.5], [0, 1], {"observed": -1}, "observed"),
    ],
)
def test_predictive_counts_reject_bad_input(pmf, draws, kwargs, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_predictive_counts(pmf, draws, **kwargs)


def test_predictive_counts_do_not_modify_their_inputs():
    pmf = np.array([0.2, 0.5, 0.3])
    draws = np.array([0, 1, 1, 2])
    plots.plot_predictive_counts(pmf, draws)
    np.testing.assert_array_equal(pmf, [0.2, 0.5, 0.3])
    np.testing.assert_array_equal(draws, [0, 1, 1, 2])


def test_shrinkage_rejects_non_finite_values_and_intervals_that_miss_the_estimate():
    raw = np.array([0.1, 0.2])
    with pytest.raises(ValueError, match="estimate must be finite"):
        plots.plot_shrinkage(raw, [0.1, np.nan], [0.0, 0.1], [0.2, 0.3])
    with pytest.raises(ValueError, match="contain its estimate"):
        plots.plot_shrinkage(raw, [0.1, 0.4], [0.0, 0.1], [0.2, 0.3])
    plt.close("all")


def test_beta_posteriors_validates_its_inputs():
    with pytest.raises(ValueError, match="posterior"):
        plots.plot_beta_posteriors(stats.norm(0, 1), ["a"])
    with pytest.raises(ValueError, match="points"):
        plots.plot_beta_posteriors(stats.beta([2.0], [3.0]), ["a"], points=1)
    plt.close("all")
