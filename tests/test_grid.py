"""Tests for companion.grid: every reference value is computed independently in the test.

References are closed-form integrals (Gaussian and Gamma normalizers and moments),
scipy.stats distribution functions, or Monte Carlo comparisons with a 4-standard-error
tolerance. Grids are chosen fine enough that the discretization error is far below the
tolerance, as argued next to each test.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from companion.grid import Grid1D, Grid2D, adaptive_grid, warn_if_not_decayed

# --- helpers -------------------------------------------------------------------------------


def gaussian_grid(mu: float, sigma: float, *, half_width: float = 12.0, per_sigma: int = 100):
    """Points covering mu +- half_width*sigma with `per_sigma` cells per standard deviation."""
    cells = int(2 * half_width * per_sigma) + 1
    x = np.linspace(mu - half_width * sigma, mu + half_width * sigma, cells)
    return x, -0.5 * ((x - mu) / sigma) ** 2


def gamma_grid(shape: float, rate: float, *, upper: float, cells: int):
    """Cells tiling [0, upper]; log q(x) = (shape - 1) log x - rate x (unnormalized)."""
    h = upper / cells
    x = h * (np.arange(cells) + 0.5)
    return x, (shape - 1) * np.log(x) - rate * x


def bivariate_log_density(x, y, mx, my, sx, sy, rho):
    zx = (x - mx) / sx
    zy = (y - my) / sy
    return -0.5 * (zx**2 - 2 * rho * zx * zy + zy**2) / (1 - rho**2)


# --- Grid1D: normalizer and expectations ---------------------------------------------------


@pytest.mark.parametrize(
    ("mu", "sigma", "offset"), [(0.0, 1.0, 0.0), (3.5, 0.2, 7.0), (-40, 15, -3)]
)
def test_grid1d_gaussian_normalizer_matches_closed_form(mu, sigma, offset):
    # Z = exp(offset) * sigma * sqrt(2 pi). For a smooth density that has decayed at both
    # ends (here e^-72 of the peak), the midpoint rule converges faster than any power of h,
    # so a relative tolerance of 1e-12 is only limited by rounding.
    x, log_q = gaussian_grid(mu, sigma)
    grid = Grid1D(x, log_q + offset)
    exact = offset + math.log(sigma * math.sqrt(2 * math.pi))
    assert grid.log_normalizer == pytest.approx(exact, rel=0, abs=1e-12)
    assert np.exp(grid.log_normalizer) == pytest.approx(math.exp(exact), rel=1e-12)


@pytest.mark.parametrize(
    ("shape", "rate", "upper", "cells"), [(5.0, 2.0, 50.0, 5000), (7.5, 0.5, 200.0, 10000)]
)
def test_grid1d_gamma_normalizer_matches_closed_form(shape, rate, upper, cells):
    # Z = Gamma(shape) / rate**shape for q(x) = x^(shape-1) e^(-rate x). The cells tile
    # [0, upper]; the Euler-Maclaurin error of the midpoint rule involves odd derivatives of
    # q at 0, which vanish up to order 3 (shape=5) or 5 (shape=7.5), so the error is
    # O(h^6) ~ 1e-12 relative; the mass beyond `upper` is below e^-80.
    x, log_q = gamma_grid(shape, rate, upper=upper, cells=cells)
    grid = Grid1D(x, log_q)
    exact = special.gammaln(shape) - shape * math.log(rate)
    assert grid.log_normalizer == pytest.approx(exact, rel=0, abs=1e-10)
    assert np.exp(grid.log_normalizer) == pytest.approx(math.exp(exact), rel=1e-10)


def test_grid1d_expect_gaussian_moments():
    mu, sigma = 1.3, 0.7
    grid = Grid1D(*gaussian_grid(mu, sigma))
    # A vector-valued f: mean, second moment, central third and fourth moments.
    moments = grid.expect(
        lambda t: np.stack([t, t**2, (t - mu) ** 3, (t - mu) ** 4], axis=1),
    )
    exact = [mu, mu**2 + sigma**2, 0.0, 3 * sigma**4]
    np.testing.assert_allclose(moments, exact, rtol=1e-12, atol=1e-14)


def test_grid1d_expect_gamma_moments():
    shape, rate = 5.0, 2.0
    grid = Grid1D(*gamma_grid(shape, rate, upper=50.0, cells=5000))
    mean = grid.expect(lambda t: t)
    var = grid.expect(lambda t: (t - shape / rate) ** 2)
    log_mean = grid.expect(np.log)
    assert mean == pytest.approx(shape / rate, rel=1e-10)
    assert var == pytest.approx(shape / rate**2, rel=1e-10)
    # E[log X] = digamma(shape) - log(rate); log x is singular at 0 but x^4 kills it.
    assert log_mean == pytest.approx(special.digamma(shape) - math.log(rate), rel=1e-9)


def test_grid1d_expect_rejects_wrong_shape():
    grid = Grid1D(*gaussian_grid(0.0, 1.0, per_sigma=10))
    with pytest.raises(ValueError, match="f must return"):
        grid.expect(lambda t: np.ones(3))


def test_grid1d_density_and_mass_are_consistent():
    x, log_q = gaussian_grid(0.5, 2.0, per_sigma=20)
    grid = Grid1D(x, log_q)
    assert math.fsum(grid.mass) == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(grid.density, stats.norm.pdf(x, 0.5, 2.0), rtol=1e-12)
    np.testing.assert_allclose(np.diff(grid.edges), grid.width, rtol=1e-12)
    assert grid.edges[0] == pytest.approx(x[0] - grid.width / 2)


# --- Grid1D: cdf, ppf, sampling, edge mass --------------------------------------------------


def test_grid1d_cdf_matches_scipy_normal(rng):
    # The smooth CDF has error O(h^4); with h = sigma/100 it is ~1e-9, well inside 1e-7.
    mu, sigma = -2.0, 3.0
    grid = Grid1D(*gaussian_grid(mu, sigma))
    xs = np.concatenate([rng.uniform(grid.edges[0], grid.edges[-1], 2000), grid.points[::97]])
    np.testing.assert_allclose(grid.cdf(xs), stats.norm.cdf(xs, mu, sigma), rtol=0, atol=1e-7)


def test_grid1d_cdf_matches_scipy_gamma(rng):
    shape, rate = 5.0, 2.0
    grid = Grid1D(*gamma_grid(shape, rate, upper=50.0, cells=5000))
    xs = rng.uniform(0.0, 12.0, 2000)
    exact = stats.gamma.cdf(xs, shape, scale=1 / rate)
    np.testing.assert_allclose(grid.cdf(xs), exact, rtol=0, atol=1e-7)


def test_grid1d_cdf_limits():
    grid = Grid1D(*gaussian_grid(0.0, 1.0, per_sigma=10))
    assert grid.cdf(grid.edges[0]) == 0.0
    assert grid.cdf(grid.edges[-1]) == 1.0
    np.testing.assert_array_equal(grid.cdf([-1e9, grid.edges[0] - 1]), [0.0, 0.0])
    np.testing.assert_array_equal(grid.cdf([grid.edges[-1] + 1, 1e9]), [1.0, 1.0])


def test_grid1d_ppf_inverts_cdf(rng):
    mu, sigma = 0.3, 1.7
    grid = Grid1D(*gaussian_grid(mu, sigma))
    # Where the density is not tiny (|z| < 5) the inverse is well conditioned:
    # an error of 1e-16 in F moves x by 1e-16 / p(x) < 1e-10.
    xs = rng.uniform(mu - 5 * sigma, mu + 5 * sigma, 500)
    np.testing.assert_allclose(grid.ppf(grid.cdf(xs)), xs, rtol=0, atol=1e-9)
    qs = rng.uniform(1e-6, 1 - 1e-6, 500)
    np.testing.assert_allclose(grid.cdf(grid.ppf(qs)), qs, rtol=0, atol=1e-13)


def test_grid1d_ppf_matches_scipy(rng):
    mu, sigma = 0.3, 1.7
    grid = Grid1D(*gaussian_grid(mu, sigma))
    qs = rng.uniform(1e-3, 1 - 1e-3, 500)
    exact = stats.norm.ppf(qs, mu, sigma)
    # CDF error ~1e-9 divided by the density (>= 1.9e-3 for q in [1e-3, 1 - 1e-3]).
    np.testing.assert_allclose(grid.ppf(qs), exact, rtol=0, atol=1e-6)


def test_grid1d_ppf_endpoints_and_validation():
    # A truncated density, so that the CDF reaches 0 and 1 only at the outer edges.
    x = np.linspace(0.0, 1.0, 101)
    grid = Grid1D(x, -x)
    assert grid.ppf(0.0) == pytest.approx(grid.edges[0], abs=1e-12)
    assert grid.ppf(1.0) == pytest.approx(grid.edges[-1], abs=1e-12)
    # With a well-covered density the CDF rounds to 1 inside the grid; ppf(1) is then
    # some x with cdf(x) == 1, inside the grid.
    wide = Grid1D(*gaussian_grid(0.0, 1.0, per_sigma=10))
    top = float(wide.ppf(1.0))
    assert wide.cdf(top) == 1.0 and top <= wide.edges[-1]
    assert wide.ppf(0.0) == pytest.approx(wide.edges[0], abs=1e-12)
    for bad in (-0.1, 1.1, np.nan, [0.5, 2.0]):
        with pytest.raises(ValueError, match="q must lie"):
            grid.ppf(bad)


def test_grid1d_cdf_is_monotone_for_a_resolved_density():
    grid = Grid1D(*gaussian_grid(0.0, 1.0, per_sigma=5))
    t = np.linspace(grid.edges[0], grid.edges[-1], 100_001)
    values = grid.cdf(t)
    # 1e-15 allows for rounding of values near 1; a real decrease is far larger.
    assert np.diff(values).min() >= -1e-15
    assert values.min() >= 0.0 and values.max() <= 1.0


def _step_density():
    # Zero density on [0, 3], then constant: a proper density with a jump.
    x = np.arange(10.0)
    return x, np.array([-np.inf] * 4 + [0.0] * 6)


def _flat_then_jump():
    # A density that jumps by a factor 100 between neighbouring points.
    x = np.arange(10.0)
    return x, np.array([0.0] * 4 + [math.log(100.0)] * 6)


def _coarse_gaussian():
    # Cell width twice the standard deviation.
    x = np.linspace(-5.0, 5.0, 11)
    return x, -0.5 * (x / 0.5) ** 2


# Simpson's cumulative increment h/12 (5 f_i + 8 f_i+1 - f_i+2) is negative where the
# density jumps by more than a factor of about 8; the CDF must stay monotone anyway.


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            _flat_then_jump,
            id="jump",
        ),
        pytest.param(
            _coarse_gaussian,
            id="coarse",
        ),
    ],
)
def test_grid1d_cdf_is_monotone_for_any_density(make):
    grid = Grid1D(*make())
    t = np.linspace(grid.edges[0], grid.edges[-1], 100_001)
    assert np.diff(grid.cdf(t)).min() >= -1e-15


def test_grid1d_sample_moments_within_four_standard_errors(rng):
    mu, sigma = 2.0, 0.5
    grid = Grid1D(*gaussian_grid(mu, sigma, per_sigma=20))
    draws = 50_000
    x = grid.sample(draws, rng=rng)
    assert x.shape == (draws,)
    assert x.min() >= grid.edges[0] and x.max() <= grid.edges[-1]
    # Uniform jitter inside cells of width h adds exactly h^2/12 to the variance
    # (negligible here: 5e-5 of sigma^2, against a standard error of 0.6%).
    var = sigma**2 + grid.width**2 / 12
    assert abs(x.mean() - mu) <= 4 * math.sqrt(var / draws)
    assert abs(x.var(ddof=1) - var) <= 4 * var * math.sqrt(2 / (draws - 1))


def test_grid1d_sample_gamma_mean(rng):
    shape, rate = 5.0, 2.0
    grid = Grid1D(*gamma_grid(shape, rate, upper=50.0, cells=5000))
    draws = 40_000
    x = grid.sample(draws, rng=rng)
    sd = math.sqrt(shape) / rate
    assert abs(x.mean() - shape / rate) <= 4 * sd / math.sqrt(draws)
    assert x.min() >= 0.0


def test_grid1d_sample_is_reproducible_and_avoids_zero_density():
    grid = Grid1D(*_step_density())
    a = grid.sample(10_000, rng=7)
    b = grid.sample(10_000, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, grid.sample(10_000, rng=8))
    # Cells 0..3 have zero density: their edges are [-0.5, 3.5); nothing beyond the last edge.
    assert a.min() >= 3.5
    assert a.max() <= grid.edges[-1]
    # The six remaining cells are equally likely: 4-SE check per cell.
    counts = np.histogram(a, bins=np.arange(3.5, 10.0, 1.0))[0]
    p = 1 / 6
    assert np.all(np.abs(counts / a.size - p) <= 4 * math.sqrt(p * (1 - p) / a.size))


@pytest.mark.parametrize("draws", [0, -1, 2.5, True, "10", None])
def test_grid1d_sample_rejects_bad_draws(draws):
    grid = Grid1D(*gaussian_grid(0.0, 1.0, per_sigma=5))
    with pytest.raises(ValueError, match="draws"):
        grid.sample(draws, rng=0)


def test_grid1d_sample_accepts_numpy_integer_draws():
    grid = Grid1D(*gaussian_grid(0.0, 1.0, per_sigma=5))
    assert grid.sample(np.int64(5), rng=0).shape == (5,)


def test_grid1d_edge_mass_small_when_covered_and_large_when_truncated():
    covered = Grid1D(*gaussian_grid(0.0, 1.0))
    # Each outer cell holds about h * phi(12) ~ 2e-34.
    assert covered.edge_mass() < 1e-30
    assert covered.edge_mass(cells=5) < 1e-30

    # A standard normal cut at 0 and at 6: the first cell holds almost all the edge mass,
    # about (Phi(h/2) - Phi(-h/2)) / (Phi(6 + h/2) - Phi(-h/2)); the point-value rule
    # differs from the cell integral by O(h^2) relative.
    h = 0.01
    x = np.arange(0.0, 6.0 + h / 2, h)
    truncated = Grid1D(x, -0.5 * x**2)
    norm = stats.norm
    denominator = norm.cdf(x[-1] + h / 2) - norm.cdf(-h / 2)
    first = (norm.cdf(h / 2) - norm.cdf(-h / 2)) / denominator
    last = (norm.cdf(x[-1] + h / 2) - norm.cdf(x[-1] - h / 2)) / denominator
    assert truncated.edge_mass() == pytest.approx(first + last, rel=1e-3)
    assert truncated.edge_mass() > 5e-3
    # The mirror image has its cut at the upper end: the same edge mass.
    mirrored = Grid1D(-x[::-1], -0.5 * x[::-1] ** 2)
    assert mirrored.edge_mass() == pytest.approx(truncated.edge_mass(), rel=1e-12)
    assert mirrored.mass[-1] > 0.99 * mirrored.edge_mass()
    # Widening the band adds the next cells: three cells at the left end ~ 3 h phi(0) / 0.5.
    three = (norm.cdf(2.5 * h) - norm.cdf(-h / 2)) / denominator
    assert truncated.edge_mass(cells=3) == pytest.approx(three, rel=1e-3)


# --- Grid1D: validation and immutability ----------------------------------------------------


@pytest.mark.parametrize(
    ("points", "log_density", "name"),
    [
        ([0.0, 1.0, 3.0], [0.0, 0.0, 0.0], "points"),  # unequal spacing
        ([2.0, 1.0, 0.0], [0.0, 0.0, 0.0], "points"),  # decreasing
        ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], "points"),  # zero spacing
        ([0.0], [0.0], "points"),  # a single point
        ([[0.0, 1.0], [2.0, 3.0]], [0.0, 0.0], "points"),  # 2-D points
        ([0.0, np.nan, 2.0], [0.0, 0.0, 0.0], "points"),
        ([0.0, 1.0, np.inf], [0.0, 0.0, 0.0], "points"),
        (["a", "b"], [0.0, 0.0], "points"),
        ([0.0, 1.0, 2.0], [0.0, 0.0], "log_density"),  # wrong length
        ([0.0, 1.0, 2.0], [[0.0, 0.0, 0.0]], "log_density"),  # wrong shape
        ([0.0, 1.0, 2.0], [0.0, np.nan, 0.0], "log_density"),
        ([0.0, 1.0, 2.0], [0.0, np.inf, 0.0], "log_density"),
        ([0.0, 1.0, 2.0], [-np.inf, -np.inf, -np.inf], "log_density"),
    ],
)
def test_grid1d_rejects_bad_input_naming_the_argument(points, log_density, name):
    with pytest.raises(ValueError, match=name):
        Grid1D(points, log_density)


def test_grid1d_accepts_minus_infinity_and_lists():
    grid = Grid1D([0.0, 1.0, 2.0, 3.0], [-np.inf, 0.0, np.log(3.0), -np.inf])
    np.testing.assert_allclose(grid.mass, [0.0, 0.25, 0.75, 0.0], rtol=1e-15)
    assert grid.log_normalizer == pytest.approx(math.log(4.0))


def test_grid1d_does_not_modify_or_alias_its_inputs():
    x, log_q = gaussian_grid(0.0, 1.0, per_sigma=10)
    x_copy, log_q_copy = x.copy(), log_q.copy()
    grid = Grid1D(x, log_q)
    grid.cdf(x)
    grid.sample(100, rng=0)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(log_q, log_q_copy)
    # Changing the caller's arrays afterwards does not change the grid.
    x[:] = 0.0
    log_q[:] = -1.0
    np.testing.assert_array_equal(grid.points, x_copy)
    np.testing.assert_array_equal(grid.log_density, log_q_copy)


def test_grid1d_is_frozen():
    grid = Grid1D(*gaussian_grid(0.0, 1.0, per_sigma=5))
    with pytest.raises(dataclasses.FrozenInstanceError):
        grid.points = np.arange(3.0)  # type: ignore[misc]


@settings(max_examples=40, deadline=None)
@given(
    mu=st.floats(-50, 50),
    log_sigma=st.floats(-3, 3),
    per_sigma=st.integers(20, 60),
    offset=st.floats(-500, 500),
)
def test_grid1d_gaussian_properties(mu, log_sigma, per_sigma, offset):
    sigma = math.exp(log_sigma)
    x, log_q = gaussian_grid(mu, sigma, per_sigma=per_sigma)
    grid = Grid1D(x, log_q + offset)
    # Normalizer: spectrally accurate midpoint rule (see the parametrized test above).
    assert grid.log_normalizer == pytest.approx(
        offset + math.log(sigma * math.sqrt(2 * math.pi)), abs=1e-10
    )
    assert grid.expect(lambda t: t) == pytest.approx(mu, abs=1e-10 * (abs(mu) + sigma))
    assert grid.expect(lambda t: (t - mu) ** 2) == pytest.approx(sigma**2, rel=1e-10)
    # The median of the smooth CDF is mu (error O(h^4) relative to sigma).
    assert float(grid.ppf(0.5)) == pytest.approx(mu, abs=1e-6 * sigma)
    t = np.linspace(grid.edges[0], grid.edges[-1], 20_001)
    assert np.diff(grid.cdf(t)).min() >= -1e-15


# --- Grid2D ------------------------------------------------------------------------------------

MX, MY, SX, SY, RHO = 1.0, -2.0, 2.0, 0.5, 0.6


@pytest.fixture(scope="module")
def bivariate() -> Grid2D:
    # +-10 marginal standard deviations, 40 cells per standard deviation.
    x = np.linspace(MX - 10 * SX, MX + 10 * SX, 801)
    y = np.linspace(MY - 10 * SY, MY + 10 * SY, 801)
    return Grid2D(x, y, bivariate_log_density(x[:, None], y[None, :], MX, MY, SX, SY, RHO) + 2.5)


def test_grid2d_normalizer_matches_closed_form(bivariate):
    # Z = e^2.5 * 2 pi sx sy sqrt(1 - rho^2); the tensor midpoint rule is spectrally
    # accurate for a smooth density that has decayed on all sides (e^-50 of the peak).
    exact = 2.5 + math.log(2 * math.pi * SX * SY * math.sqrt(1 - RHO**2))
    assert bivariate.log_normalizer == pytest.approx(exact, abs=1e-12)
    assert math.fsum(bivariate.mass.ravel()) == pytest.approx(1.0, abs=1e-13)
    hx, hy = bivariate.widths
    assert hx == pytest.approx(20 * SX / 800) and hy == pytest.approx(20 * SY / 800)
    xy = np.meshgrid(bivariate.x, bivariate.y, indexing="ij")
    exact_pdf = stats.multivariate_normal(
        [MX, MY], [[SX**2, RHO * SX * SY], [RHO * SX * SY, SY**2]]
    ).pdf(np.stack(xy, axis=-1))
    np.testing.assert_allclose(bivariate.density, exact_pdf, rtol=1e-10, atol=1e-300)


def test_grid2d_expect_means_and_covariance(bivariate):
    assert bivariate.expect(lambda x, y: x + 0 * y) == pytest.approx(MX, abs=1e-12)
    assert bivariate.expect(lambda x, y: y + 0 * x) == pytest.approx(MY, abs=1e-12)
    assert bivariate.expect(lambda x, y: (x - MX) * (y - MY)) == pytest.approx(
        RHO * SX * SY, rel=1e-11
    )
    assert bivariate.expect(lambda x, y: (x - MX) ** 2 + 0 * y) == pytest.approx(SX**2, rel=1e-11)


@pytest.mark.parametrize(("axis", "mean", "sd"), [("x", MX, SX), ("y", MY, SY)])
def test_grid2d_marginal_is_the_analytic_normal(bivariate, axis, mean, sd):
    marginal = bivariate.marginal(axis)
    assert isinstance(marginal, Grid1D)
    points = bivariate.x if axis == "x" else bivariate.y
    np.testing.assert_array_equal(marginal.points, points)
    # Beyond ~6 sd the grid's cut-off of the other axis is felt (the conditional mean moves
    # with the point), so compare where the truncation is below e^-30.
    inner = np.abs(points - mean) <= 6 * sd
    np.testing.assert_allclose(
        marginal.density[inner], stats.norm.pdf(points[inner], mean, sd), rtol=1e-10
    )
    xs = np.linspace(mean - 4 * sd, mean + 4 * sd, 301)
    np.testing.assert_allclose(marginal.cdf(xs), stats.norm.cdf(xs, mean, sd), atol=1e-7)


def test_grid2d_marginal_keeps_the_normalizing_constant(bivariate):
    joint = bivariate.log_normalizer
    assert bivariate.marginal("x").log_normalizer == pytest.approx(joint, abs=1e-10)
    assert bivariate.marginal("y").log_normalizer == pytest.approx(joint, abs=1e-10)


def test_grid2d_sample_means_and_covariance_within_four_standard_errors(bivariate, rng):
    draws = 40_000
    x, y = bivariate.sample(draws, rng=rng)
    assert x.shape == (draws,) and y.shape == (draws,)
    hx, hy = bivariate.widths
    # Jitter adds h^2/12 to each variance and nothing to the covariance.
    vx, vy, cxy = SX**2 + hx**2 / 12, SY**2 + hy**2 / 12, RHO * SX * SY
    assert abs(x.mean() - MX) <= 4 * math.sqrt(vx / draws)
    assert abs(y.mean() - MY) <= 4 * math.sqrt(vy / draws)
    cov = np.cov(x, y)
    # Standard errors of normal sample (co)variances: Var(s_xy) = (vx vy + cxy^2)/(N-1).
    assert abs(cov[0, 0] - vx) <= 4 * vx * math.sqrt(2 / (draws - 1))
    assert abs(cov[1, 1] - vy) <= 4 * vy * math.sqrt(2 / (draws - 1))
    assert abs(cov[0, 1] - cxy) <= 4 * math.sqrt((vx * vy + cxy**2) / (draws - 1))


def test_grid2d_sample_reproducible_and_in_box(bivariate):
    a = bivariate.sample(1000, rng=3)
    b = bivariate.sample(1000, rng=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], bivariate.sample(1000, rng=4)[0])
    hx, hy = bivariate.widths
    assert a[0].min() >= bivariate.x[0] - hx / 2 and a[0].max() <= bivariate.x[-1] + hx / 2
    assert a[1].min() >= bivariate.y[0] - hy / 2 and a[1].max() <= bivariate.y[-1] + hy / 2
    with pytest.raises(ValueError, match="draws"):
        bivariate.sample(0)


def test_grid2d_sample_avoids_zero_density_cells(rng):
    x = np.arange(4.0)
    y = np.arange(3.0)
    log_q = np.full((4, 3), -np.inf)
    log_q[1, 2] = 0.0
    log_q[3, 0] = math.log(3.0)
    grid = Grid2D(x, y, log_q)
    xs, ys = grid.sample(20_000, rng=rng)
    cell = (np.rint(xs).astype(int), np.rint(ys).astype(int))
    hit = set(zip(*cell, strict=True))
    assert hit == {(1, 2), (3, 0)}
    share = np.mean(cell[0] == 3)
    assert abs(share - 0.75) <= 4 * math.sqrt(0.75 * 0.25 / xs.size)


@pytest.mark.parametrize("axis", ["z", "X", 0, None])
def test_grid2d_marginal_rejects_bad_axis(bivariate, axis):
    with pytest.raises(ValueError, match="axis"):
        bivariate.marginal(axis)


def test_grid2d_edge_mass():
    x = np.linspace(-10, 10, 201)
    covered = Grid2D(x, x, -0.5 * (x[:, None] ** 2 + x[None, :] ** 2))
    assert covered.edge_mass() < 1e-20
    # Cut at x = 0: the column of cells centred at x = 0 (covering [-h/2, h/2]) carries
    # (Phi(h/2) - Phi(-h/2)) / (1 - Phi(-h/2)) ~ 0.077 of the mass, up to O(h^2) relative;
    # the other three sides of the ring hold ~1e-22.
    xr = np.linspace(0, 10, 101)
    cut = Grid2D(xr, x, -0.5 * (xr[:, None] ** 2 + x[None, :] ** 2))
    h = 0.1
    exact_column = (stats.norm.cdf(h / 2) - stats.norm.cdf(-h / 2)) / stats.norm.sf(-h / 2)
    assert cut.edge_mass() == pytest.approx(exact_column, rel=1e-2)


@pytest.mark.parametrize(
    ("x", "y", "log_density", "name"),
    [
        ([0.0, 1.0, 3.0], [0.0, 1.0], np.zeros((3, 2)), "x"),
        ([0.0, 1.0, 2.0], [0.0, 2.0, 3.0], np.zeros((3, 3)), "y"),
        ([0.0], [0.0, 1.0], np.zeros((1, 2)), "x"),
        ([0.0, 1.0, 2.0], [0.0, np.nan], np.zeros((3, 2)), "y"),
        ([0.0, 1.0, 2.0], [0.0, 1.0], np.zeros((2, 3)), "log_density"),  # transposed
        ([0.0, 1.0, 2.0], [0.0, 1.0], np.zeros(6), "log_density"),
        ([0.0, 1.0, 2.0], [0.0, 1.0], np.array([[0, 0], [0, np.nan], [0, 0]]), "log_density"),
        ([0.0, 1.0, 2.0], [0.0, 1.0], np.array([[0, 0], [0, np.inf], [0, 0]]), "log_density"),
        ([0.0, 1.0, 2.0], [0.0, 1.0], np.full((3, 2), -np.inf), "log_density"),
    ],
)
def test_grid2d_rejects_bad_input_naming_the_argument(x, y, log_density, name):
    with pytest.raises(ValueError, match=name):
        Grid2D(x, y, log_density)


def test_grid2d_does_not_modify_its_inputs():
    x = np.linspace(-5, 5, 51)
    y = np.linspace(-4, 4, 41)
    log_q = -0.5 * (x[:, None] ** 2 + y[None, :] ** 2)
    copies = [a.copy() for a in (x, y, log_q)]
    grid = Grid2D(x, y, log_q)
    grid.sample(10, rng=0)
    grid.marginal("x")
    for original, copy in zip((x, y, log_q), copies, strict=True):
        np.testing.assert_array_equal(original, copy)
    log_q[:] = 0.0
    np.testing.assert_array_equal(grid.log_density, copies[2])


# --- adaptive_grid -----------------------------------------------------------------------------


def test_adaptive_grid_finds_a_narrow_gaussian_in_a_wide_box():
    # sigma = 0.01 inside a box 20000 sigma wide: the coarse search grid (spacing ~2) sees
    # one point near the mode, and the zoom has to close in on it.
    mu, sigma = 37.3, 0.01
    grid = adaptive_grid(lambda x: -0.5 * ((x - mu) / sigma) ** 2, [(-100.0, 100.0)], size=512)
    assert isinstance(grid, Grid1D)
    assert grid.edge_mass() < 1e-12
    assert grid.points[0] < mu - 5 * sigma and grid.points[-1] > mu + 5 * sigma
    assert grid.width < sigma / 10
    assert grid.expect(lambda x: x) == pytest.approx(mu, abs=1e-9 * sigma + 1e-12 * mu)
    assert grid.expect(lambda x: (x - mu) ** 2) == pytest.approx(sigma**2, rel=1e-9)
    # The caller's normalization is kept: exp(log_normalizer) is the integral of q.
    assert grid.log_normalizer == pytest.approx(math.log(sigma * math.sqrt(2 * math.pi)), abs=1e-9)


def test_adaptive_grid_moves_out_to_a_mode_beside_the_box():
    # The docstring allows the mode outside the starting box, within max_widenings widths.
    mu, sigma = 7.0, 0.3
    grid = adaptive_grid(lambda x: -0.5 * ((x - mu) / sigma) ** 2, [(0.0, 2.0)], size=256)
    assert grid.edge_mass() < 1e-12
    assert grid.expect(lambda x: x) == pytest.approx(mu, abs=1e-9)
    assert grid.expect(lambda x: (x - mu) ** 2) == pytest.approx(sigma**2, rel=1e-8)


def test_adaptive_grid_gamma_with_a_hard_lower_limit():
    # Gamma(5, 1): log q = 4 log x - x, zero density at the limit x = 0. The midpoint rule
    # on cells tiling [0, L] has an Euler-Maclaurin error in the odd derivatives of q at 0,
    # zero up to order 3: O(h^6) ~ 1e-15 here.
    grid = adaptive_grid(
        lambda x: 4 * np.log(x) - x, [(0.5, 10.0)], size=4000, limits=[(0.0, np.inf)]
    )
    assert grid.edges[0] >= -1e-12
    assert grid.edge_mass() < 1e-12
    assert grid.expect(lambda x: x) == pytest.approx(5.0, rel=1e-9)
    assert grid.expect(lambda x: (x - 5.0) ** 2) == pytest.approx(5.0, rel=1e-8)
    assert grid.log_normalizer == pytest.approx(math.log(24.0), abs=1e-9)


def test_adaptive_grid_respects_limits_for_a_density_truncated_at_the_limit():
    # q(x) = e^-x grows without bound to the left; only the hard limit x >= 0 makes it
    # proper (Exponential(1): mean 1, variance 1).
    with pytest.raises(ValueError, match="does not decay"):
        adaptive_grid(lambda x: -x, [(0.0, 3.0)], size=2000)
    grid = adaptive_grid(lambda x: -x, [(0.0, 3.0)], size=2000, limits=[(0.0, np.inf)])
    h = grid.width
    # No tabulated mass beyond the limit: the first cell starts exactly at x = 0.
    assert grid.edges[0] == pytest.approx(0.0, abs=1e-12 * h)
    assert grid.points.min() > 0.0
    # Cells [ih, (i+1)h] with centres (i + 1/2) h and weights e^-(i+1/2)h: the discrete
    # mean is h/2 + h/(e^h - 1) = 1 + h^2/12 + O(h^4) and the variance
    # h^2 e^h / (e^h - 1)^2 = 1 - h^2/12 + O(h^4) (the far cut-off at e^-30 adds ~1e-12).
    mean = grid.expect(lambda x: x)
    assert abs(mean - 1.0) <= h**2 / 6
    assert abs(grid.expect(lambda x: (x - mean) ** 2) - 1.0) <= h**2 / 6
    # The first cell carries 1 - e^-h ~ h of the mass: expected, not a coverage failure.
    assert grid.edge_mass() == pytest.approx(h, rel=0.05)


@pytest.mark.parametrize(
    ("log_density", "bounds"),
    [
        (lambda x: 0.0 * x, [(-1.0, 1.0)]),  # constant: improper on both sides
        (lambda x: x, [(-1.0, 1.0)]),  # grows to the right
        (lambda x: -x, [(0.0, 5.0)]),  # grows to the left
        (lambda x, y: -0.5 * x**2 + 0.0 * y, [(-1.0, 1.0), (-1.0, 1.0)]),  # flat in y
    ],
    ids=["constant", "growing-right", "growing-left", "flat-2d"],
)
def test_adaptive_grid_rejects_densities_that_never_decay(log_density, bounds):
    with pytest.raises(ValueError, match="does not decay"):
        adaptive_grid(log_density, bounds, size=64)


def test_adaptive_grid_names_the_open_side():
    with pytest.raises(ValueError, match=r"axis 1 high"):
        adaptive_grid(lambda x, y: -0.5 * x**2 + 0.1 * y, [(-1.0, 1.0), (-1.0, 1.0)], size=32)


def test_adaptive_grid_2d_correlated_normal():
    mx, my, sx, sy, rho = 1.0, -3.0, 2.0, 0.5, 0.8
    grid = adaptive_grid(
        lambda x, y: bivariate_log_density(x, y, mx, my, sx, sy, rho),
        [(-50.0, 50.0), (-50.0, 50.0)],
        size=256,
    )
    assert isinstance(grid, Grid2D)
    assert grid.mass.shape == (256, 256)
    assert grid.edge_mass() < 1e-12
    assert grid.expect(lambda x, y: x + 0 * y) == pytest.approx(mx, abs=1e-9)
    assert grid.expect(lambda x, y: y + 0 * x) == pytest.approx(my, abs=1e-9)
    assert grid.expect(lambda x, y: (x - mx) ** 2 + 0 * y) == pytest.approx(sx**2, rel=1e-8)
    assert grid.expect(lambda x, y: (y - my) ** 2 + 0 * x) == pytest.approx(sy**2, rel=1e-8)
    assert grid.expect(lambda x, y: (x - mx) * (y - my)) == pytest.approx(rho * sx * sy, rel=1e-8)
    exact = math.log(2 * math.pi * sx * sy * math.sqrt(1 - rho**2))
    assert grid.log_normalizer == pytest.approx(exact, abs=1e-9)


def test_adaptive_grid_2d_with_a_limit_on_one_axis():
    # x >= 0 with density e^-x, y ~ N(0, 1): the x axis stops at the limit, y must decay.
    grid = adaptive_grid(
        lambda x, y: -x - 0.5 * y**2,
        [(0.0, 5.0), (-1.0, 1.0)],
        size=400,
        limits=[(0.0, np.inf), (-np.inf, np.inf)],
    )
    hx, _ = grid.widths
    assert grid.x[0] - hx / 2 == pytest.approx(0.0, abs=1e-12 * hx)
    assert grid.y[0] < -7 and grid.y[-1] > 7
    # Midpoint cells on [0, inf) for e^-x: mean 1 + hx^2/12 + O(hx^4) (see the 1-D test).
    assert abs(grid.expect(lambda x, y: x + 0 * y) - 1.0) <= hx**2 / 6
    assert grid.expect(lambda x, y: y**2 + 0 * x) == pytest.approx(1.0, rel=1e-8)


@pytest.mark.parametrize(
    "bounds",
    [[(1.0, 1.0)], [(2.0, 1.0)], [(0.0, 1.0)] * 3, [(0.0, np.nan)], [(0.0, 1.0, 2.0)], []],
)
def test_adaptive_grid_rejects_bad_bounds(bounds):
    with pytest.raises(ValueError, match="bounds"):
        adaptive_grid(lambda x: -(x**2), bounds, size=32)


def test_adaptive_grid_rejects_a_density_that_is_zero_everywhere():
    with pytest.raises(ValueError, match="zero or infinite everywhere"):
        adaptive_grid(lambda x: np.full_like(x, -np.inf), [(0.0, 1.0)], size=32)


@settings(max_examples=30, deadline=None)
@given(
    mu=st.floats(-20, 20),
    log_sigma=st.floats(-4, 1),
    log_ratio=st.floats(0.0, 8.0),
)
def test_adaptive_grid_covers_any_gaussian_whose_mode_is_in_the_box(mu, log_sigma, log_ratio):
    # The box is 1 to 3000 standard deviations wide. Each side moves out by at most ten
    # box widths (documented), which reaches the e^-30 level (7.75 sd) from any box at
    # least 0.75 sd wide.
    sigma = math.exp(log_sigma)
    width = sigma * math.exp(log_ratio)
    low = mu - 0.3 * width
    grid = adaptive_grid(lambda x: -0.5 * ((x - mu) / sigma) ** 2, [(low, low + width)], size=256)
    assert grid.edge_mass() < 1e-12
    assert grid.expect(lambda x: x) == pytest.approx(mu, abs=1e-8 * sigma)
    assert grid.expect(lambda x: (x - mu) ** 2) == pytest.approx(sigma**2, rel=1e-7)


def test_warn_if_not_decayed_judges_each_expectation_at_the_edges() -> None:
    x = np.linspace(-10, 10, 201)
    mass = np.exp(-0.5 * x**2)
    light, heavy = mass, mass * np.exp(0.5 * x**2) / (1 + x**2)  # ~ 1/x^2 tails
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_not_decayed(light[:, None], 1, "ends")
        warn_if_not_decayed(np.outer(light, light), 2, "edges")
    for weighted, axes in ((np.c_[light, heavy], 1), (np.outer(light, heavy), 2)):
        with pytest.warns(RuntimeWarning, match="not decayed at the ends: this expectation may"):
            warn_if_not_decayed(weighted, axes, "ends")
