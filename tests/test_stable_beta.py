"""companion._stable_beta: SciPy's beta where it is accurate, its normal limit beyond.

References: SciPy itself below the switch and, above it, where SciPy's CDF is still
finite (to a + b = 1e16); the moment-matched normal's error is bounded by the beta's
skewness, 2(b - a) / sqrt(a b (a + b)), below 2e-5 at the switch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from companion import beta_binomial, datasets
from companion._stable_beta import NORMAL_ABOVE, stable_beta, stable_betabinom
from companion.mixtures import Mixture


def _sd(a: float, b: float) -> float:
    return float(np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))))


def test_below_the_switch_it_is_scipy() -> None:
    x = np.linspace(0.01, 0.99, 7)
    for method in ("cdf", "pdf", "logpdf"):
        assert np.allclose(
            getattr(stable_beta, method)(x, 3.0, 5.0),
            getattr(stats.beta, method)(x, 3.0, 5.0),
            rtol=1e-14,
            atol=0,
        )
    assert np.allclose(
        stable_beta.ppf([0.1, 0.9], 3.0, 5.0), stats.beta.ppf([0.1, 0.9], 3.0, 5.0), rtol=1e-14
    )


def test_above_the_switch_it_matches_scipy_where_scipy_is_finite() -> None:
    for total in (3 * NORMAL_ABOVE, 1e13, 1e15):
        a, b = 0.35 * total, 0.65 * total
        x = a / total + _sd(a, b) * np.linspace(-5, 5, 11)
        exact = stats.beta.cdf(x, a, b)
        assert np.all(np.isfinite(exact))
        assert np.max(np.abs(stable_beta.cdf(x, a, b) - exact)) < 1e-6


def test_finite_where_scipy_returns_nan() -> None:
    a, b = 0.15e24, 0.85e24
    assert np.isnan(stats.beta.cdf(0.15, a, b)) and np.isnan(stats.beta.ppf(1e-15, a, b))
    assert np.allclose(stable_beta.cdf([0.1, 0.15, 0.2], a, b), [0.0, 0.5, 1.0])
    low, high = stable_beta.ppf(1e-15, a, b), stable_beta.isf(1e-15, a, b)
    assert low < 0.15 < high and high - low < 1e-10
    # half of Beta(3, 4) and half of a near-atom at 0.15: the CDF jumps by 1/2 there
    mixture = Mixture("beta", [0.5, 0.5], a=[[3.0], [a]], b=[[4.0], [b]])
    q = mixture.ppf([0.01, 0.5, 0.9]).ravel()
    assert abs(q[1] - 0.15) < 1e-9
    smooth = q[[0, 2]]
    assert np.allclose(
        mixture.cdf(smooth).ravel(), 0.5 * stats.beta.cdf(smooth, 3, 4) + 0.5 * (smooth > 0.15)
    )
    assert np.allclose(mixture.cdf(smooth).ravel(), [0.01, 0.9], atol=1e-9)


@pytest.mark.slow
def test_hyperposterior_quantiles_with_a_heavy_tail_in_alpha_plus_beta() -> None:
    # Fifteen rat groups: the grid of log(alpha + beta) reaches alpha + beta ~ 1e24, where
    # SciPy's beta CDF is NaN. The quantiles must invert the CDF, and the CDF must agree
    # with the fraction of exact draws below it: with 200,000 independent draws the
    # binomial standard error is at most 0.0011, and 6 of them bound a correct CDF's
    # miss with probability below 2e-9 (the draws use a fixed seed, so the test is
    # deterministic).
    rats = datasets.rat_tumors()
    keep = [*range(0, 70, 5), 70]
    post = beta_binomial.hyper_posterior(rats["y"].to_numpy()[keep], rats["n"].to_numpy()[keep])
    assert np.exp(post.grid.y.max()) > 1e17
    levels = [0.025, 0.5, 0.975]
    q = post.theta_quantiles(levels, groups=[14]).ravel()
    assert np.all(np.isfinite(q)) and np.all(np.diff(q) > 0)
    assert np.allclose(post.theta_cdf(q, groups=[14]).ravel(), levels, atol=1e-9)
    draws = post.sample(200_000, rng=3)["theta"][:, 14]
    below = (draws[:, None] < q).mean(axis=0)
    assert np.all(np.abs(below - levels) < 6 * np.sqrt(0.25 / draws.size))


def _log_betabinom(k: int, n: int, a: float, b: float) -> float:
    """Exact log pmf: log C(n, k) + sums of logs of the rising factorials (math.fsum)."""
    rising = [math.fsum(math.log(c + i) for i in range(m)) for c, m in ((a, k), (b, n - k))]
    total = math.fsum(math.log(a + b + i) for i in range(n))
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + sum(rising) - total


@pytest.mark.parametrize("total", [0.5, 3.0, 1e3, 3e4, 1e6, 1e10, 1e16, 1e26])
@pytest.mark.parametrize("trials", [1, 20, 200])
def test_betabinom_matches_exact_sums_at_any_concentration(total: float, trials: int) -> None:
    a, b = 0.2 * total, 0.8 * total
    k = np.arange(trials + 1)
    exact = np.array([_log_betabinom(int(i), trials, a, b) for i in k])
    np.testing.assert_allclose(stable_betabinom.logpmf(k, trials, a, b), exact, rtol=0, atol=2e-10)
    cdf = stable_betabinom.cdf(k, trials, a, b)
    np.testing.assert_allclose(cdf, np.minimum(np.cumsum(np.exp(exact)), 1.0), atol=1e-9)
    assert stable_betabinom.logpmf(trials + 1, trials, a, b) == -np.inf


def test_betabinom_moments_are_scipys() -> None:
    np.testing.assert_allclose(stable_betabinom.mean(20, 2.0, 3.0), stats.betabinom.mean(20, 2, 3))
    np.testing.assert_allclose(stable_betabinom.var(20, 2.0, 3.0), stats.betabinom.var(20, 2, 3))


def test_betabinom_cdf_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.gamma(2.0, 2.0, (50, 4)), rng.gamma(2.0, 5.0, (50, 4))
    n = np.array([3, 10, 20, 52])
    k = np.array([-1, 4, 7, 30])
    np.testing.assert_allclose(
        stable_betabinom.cdf(k, n, a, b), stats.betabinom.cdf(k, n, a, b), atol=1e-12
    )


def test_betabinom_cdf_where_the_first_terms_underflow() -> None:
    # p(0) = B(500, 3500) / B(500, 500) is far below the smallest double: the terms
    # must still add up to the exact sum (math.fsum of the exact log-pmfs).
    a, b, n, k = 500.0, 500.0, 3000, 1500
    assert _log_betabinom(0, n, a, b) < -800
    exact = math.fsum(math.exp(_log_betabinom(i, n, a, b)) for i in range(k + 1))
    assert stable_betabinom.cdf(k, n, a, b) == pytest.approx(exact, abs=1e-10)
