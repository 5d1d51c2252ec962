"""Tests for companion.beta_binomial against independent computations.

Reference values come from closed forms (conjugacy, the method-of-moments algebra),
direct sums of logarithms (``math.fsum``), adaptive quadrature (``scipy.integrate.quad``
and ``cubature``), Gauss-Legendre product rules, Monte Carlo with a 4-standard-error
tolerance, and BDA3 (Gelman et al., *Bayesian Data Analysis*, 3rd ed., 2013), section
5.1, for the rat-tumour fit. The rankings of the rates are tested in
``test_rankings.py``, the predictive distributions in ``test_mixtures.py`` and the
hyperprior in ``test_priors.py``.

The hierarchical reference integrand is built from the rising-factorial identity

    B(a + y, b + n - y) / B(a, b)
        = prod_{i<y} (a + i) * prod_{i<n-y} (b + i) / prod_{i<n} (a + b + i),

summed directly in logs, which shares no code with the module's Stirling/gammaln
``log_rising``; the quad test checks that identity itself against integrals over theta.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import expit

from companion import beta_binomial as bb
from companion import datasets
from companion.grid import Grid2D
from companion.priors import BDA3_HYPERPRIOR, PowerHyperprior

RATS = datasets.rat_tumors()
Y_RAT = RATS["y"].to_numpy()
N_RAT = RATS["n"].to_numpy()

FREE = datasets.free_throws()
Y_FT = FREE["made"].to_numpy()
N_FT = FREE["attempts"].to_numpy()


# --- independent reference computations --------------------------------------------------------


def cumulative_log_rising(x: np.ndarray, kmax: int) -> np.ndarray:
    """Row i holds sum_{j<k} log(x_i + j) for k = 0..kmax (direct sums, no gamma function)."""
    x = np.asarray(x, dtype=float).reshape(-1)
    steps = np.log(x[:, None] + np.arange(kmax))
    return np.concatenate([np.zeros((x.size, 1)), np.cumsum(steps, axis=1)], axis=1)


def log_q_uv(u: np.ndarray, v: np.ndarray, y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Unnormalized log p(u, v | y) under p(alpha, beta) ~ (alpha + beta)^(-5/2).

    u = log(alpha/beta), v = log(alpha + beta); Jacobian alpha*beta; log prior -2.5 v.
    The rising factorials are direct sums: sum_j sum_{i<y_j} log(a + i) is
    sum_i c_i log(a + i), where c_i counts the groups with y_j > i.
    """
    y, n = np.asarray(y), np.asarray(n)
    s = np.exp(v)
    a, b = s * expit(u), s * expit(-u)
    i = np.arange(int(n.max()))
    counts = [(values[:, None] > i).sum(axis=0) for values in (y, n - y, n)]
    loglik = (
        np.log(a[..., None] + i) @ counts[0]
        + np.log(b[..., None] + i) @ counts[1]
        - np.log(s[..., None] + i) @ counts[2]
    )
    return loglik - 2.5 * v + np.log(a) + np.log(b)


@functools.cache
def reference_posterior(y, n, lower, upper, new_trials=20) -> dict[str, np.ndarray | float]:
    """Posterior expectations by adaptive 2-D Gauss-Kronrod cubature over a box in (u, v).

    The box is checked to be wide enough: on its boundary the log density is more than
    40 below the largest value found on a 201 x 201 lattice inside it. Arguments are
    tuples, and each reference is computed once per session (``test_mixtures.py`` uses
    the predictive probabilities).
    """
    y, n = np.asarray(y), np.asarray(n)
    lattice = log_q_uv(
        np.linspace(lower[0], upper[0], 201)[:, None], np.linspace(lower[1], upper[1], 201), y, n
    )
    top = float(lattice.max())
    boundary = max(lattice[0].max(), lattice[-1].max(), lattice[:, 0].max(), lattice[:, -1].max())
    assert boundary < top - 40, "reference box too small"
    k = np.arange(new_trials + 1)
    log_binom = math.lgamma(new_trials + 1) - np.array(
        [math.lgamma(i + 1) + math.lgamma(new_trials - i + 1) for i in k]
    )

    def integrand(points: np.ndarray) -> np.ndarray:
        u, v = points[:, 0], points[:, 1]
        w = np.exp(log_q_uv(u, v, y, n) - top)
        s = np.exp(v)
        a, b = s * expit(u), s * expit(-u)
        mean = (a[:, None] + y) / (s[:, None] + n)
        second = mean * (a[:, None] + y + 1) / (s[:, None] + n + 1)
        log_pmf = (
            log_binom
            + cumulative_log_rising(a, new_trials)[:, k]
            + cumulative_log_rising(b, new_trials)[:, new_trials - k]
            - cumulative_log_rising(s, new_trials)[:, [new_trials]]
        )
        columns = [np.ones_like(u)[:, None], u[:, None], v[:, None], expit(u)[:, None]]
        return w[:, None] * np.concatenate([*columns, mean, second, np.exp(log_pmf)], axis=1)

    result = integrate.cubature(
        integrand, lower, upper, rtol=1e-11, atol=1e-14, max_subdivisions=100_000
    )
    assert result.status == "converged"
    values = result.estimate / result.estimate[0]
    J = y.size
    return {
        "E_u": values[1],
        "E_v": values[2],
        "E_mu": values[3],
        "theta_mean": values[4 : 4 + J],
        "theta_sd": np.sqrt(values[4 + J : 4 + 2 * J] - values[4 : 4 + J] ** 2),
        "pmf": values[4 + 2 * J :],
        "top": top,
    }


RAT_BOX = ((-5.0, -3.0), (1.0, 65.0))


@functools.cache
def rat_posterior() -> bb.HyperPosterior:
    """The exact posterior of the rat data, built once per session (it is immutable)."""
    return bb.hyper_posterior(Y_RAT, N_RAT)


@pytest.fixture(scope="module")
def rat_post() -> bb.HyperPosterior:
    return rat_posterior()


@pytest.fixture(scope="module")
def rat_reference() -> dict:
    return reference_posterior(tuple(Y_RAT), tuple(N_RAT), *RAT_BOX)


# --- conjugate_posterior -----------------------------------------------------------------------


def test_conjugate_posterior_uniform_prior_parameters():
    post = bb.conjugate_posterior(Y_FT, N_FT)
    a, b = post.args
    np.testing.assert_array_equal(a, 1.0 + Y_FT)
    np.testing.assert_array_equal(b, 1.0 + N_FT - Y_FT)
    assert post.dist.name == "beta"
    np.testing.assert_allclose(post.mean(), (1 + Y_FT) / (2 + N_FT), rtol=1e-14)


@pytest.mark.parametrize("prior", [stats.beta(2, 3), stats.beta(a=2, b=3), stats.beta(2, 3, loc=0)])
def test_conjugate_posterior_custom_prior(prior):
    y, n = np.array([0, 3, 10]), np.array([4, 10, 10])
    a, b = bb.conjugate_posterior(y, n, prior=prior).args
    np.testing.assert_array_equal(a, 2.0 + y)
    np.testing.assert_array_equal(b, 3.0 + n - y)


@pytest.mark.parametrize(
    "prior",
    [
        stats.norm(0.5, 0.1),
        stats.uniform(),  # Beta(1, 1) in law, but not a scipy.stats.beta
        stats.beta(2, 3, loc=0.1),
        stats.beta(2, 3, scale=2.0),
        stats.beta(2, 3, loc=-1, scale=2),
        stats.binom(10, 0.5),
        "beta",
        (2, 3),
    ],
    ids=["norm", "uniform", "loc", "scale", "loc-scale", "discrete", "string", "tuple"],
)
def test_conjugate_posterior_rejects_bad_priors(prior):
    with pytest.raises(ValueError, match="prior"):
        bb.conjugate_posterior([1, 2], [3, 4], prior=prior)


@pytest.mark.parametrize(
    "prior", [stats.beta(2, 3, 0.1), stats.beta(2, 3, 0, 2)], ids=["loc", "scale"]
)
def test_conjugate_posterior_rejects_positional_loc_and_scale(prior):
    with pytest.raises(ValueError, match="prior"):
        bb.conjugate_posterior([1], [3], prior=prior)


def test_conjugate_posterior_accepts_mixed_positional_and_keyword_prior():
    a, b = bb.conjugate_posterior([1], [3], prior=stats.beta(2, b=3)).args
    np.testing.assert_array_equal(a, [3.0])
    np.testing.assert_array_equal(b, [5.0])


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(0, 200),
    frac=st.floats(0, 1),
    a=st.floats(0.05, 50),
    b=st.floats(0.05, 50),
)
def test_conjugate_posterior_mean_between_prior_mean_and_rate(n, frac, a, b):
    y = round(frac * n)
    post = bb.conjugate_posterior([y], [n], prior=stats.beta(a, b))
    mean = float(post.mean()[0])
    prior_mean = a / (a + b)
    rate = y / n if n else prior_mean
    low, high = min(prior_mean, rate), max(prior_mean, rate)
    assert low - 1e-14 <= mean <= high + 1e-14
    assert mean == pytest.approx((a + y) / (a + b + n), rel=1e-13)


# --- fit_moments -------------------------------------------------------------------------------


def test_fit_moments_docstring_case_in_closed_form():
    # mean 0.2, variance 0.01: alpha + beta = 0.2 * 0.8 / 0.01 - 1 = 15.
    alpha, beta = bb.fit_moments([0.1, 0.2, 0.3])
    assert alpha == pytest.approx(3.0, rel=1e-12)
    assert beta == pytest.approx(12.0, rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(rates=st.lists(st.floats(0, 1), min_size=2, max_size=30))
def test_fit_moments_matches_mean_and_variance(rates):
    r = np.array(rates)
    m, v = r.mean(), r.var(ddof=1)
    assume(np.ptp(r) > 1e-6 and v < 0.999 * m * (1 - m))
    alpha, beta = bb.fit_moments(rates)
    fitted = stats.beta(alpha, beta)
    assert alpha > 0 and beta > 0
    assert fitted.mean() == pytest.approx(m, rel=1e-12)
    assert fitted.var() == pytest.approx(v, rel=1e-9)


def test_fit_moments_reproduces_bda3_rat_prior_and_posterior():
    # BDA3 section 5.1: the 70 historical rates give Beta(1.4, 8.6) by matching mean and
    # variance, and with the current experiment (4 of 14) the posterior Beta(5.4, 18.6).
    historical = RATS.iloc[:70]
    alpha, beta = bb.fit_moments(historical["y"] / historical["n"])
    assert round(alpha, 1) == 1.4
    assert round(beta, 1) == 8.6
    current = RATS.iloc[70]
    assert (current["y"], current["n"]) == (4, 14)
    a, b = bb.conjugate_posterior([4], [14], prior=stats.beta(alpha, beta)).args
    assert round(float(a[0]), 1) == 5.4
    assert round(float(b[0]), 1) == 18.6


@pytest.mark.parametrize(
    "rates",
    [
        [-0.1, 0.5],
        [0.5, 1.2],
        [0.2, 0.2, 0.2],  # no spread
        [0.3],  # a single rate
        [],
        [0.0, 1.0, 0.0, 1.0],  # variance 1/3 >= mean*(1-mean) = 1/4
        [0.0, 1.0],
        [0.1, np.nan],
        [0.1, np.inf],
        [[0.1, 0.2], [0.3, 0.4]],
        ["a", "b"],
    ],
)
def test_fit_moments_rejects_bad_rates(rates):
    with pytest.raises(ValueError, match="rates"):
        bb.fit_moments(rates)


def test_fit_moments_tiny_spread_gives_a_fit_or_a_value_error():
    try:
        alpha, beta = bb.fit_moments([0.0, 1e-170])
    except ValueError:
        return
    assert math.isfinite(alpha) and math.isfinite(beta)


# --- log_rising --------------------------------------------------------------------------------


def _rising_reference(a: float, k: int) -> tuple[float, float]:
    """(sum log(a + i), sum |log(a + i)|) over i < k, with math.fsum."""
    logs = [math.log(a + i) for i in range(k)]
    return math.fsum(logs), math.fsum(abs(t) for t in logs)


A_VALUES = [1e-3, 0.037, 0.5, 1.0, 2.5, 10.0, 123.4, 1e3, 1e4, 1.00001e4, 3e4, 1e6, 1e9, 1e12, 1e15]
K_VALUES = [0, 1, 2, 5, 17, 100, 300]


@pytest.mark.parametrize("a", A_VALUES)
def test_log_rising_matches_fsum(a):
    got = bb.log_rising(np.full(len(K_VALUES), a), np.array(K_VALUES, dtype=float))
    for value, k in zip(got, K_VALUES, strict=True):
        exact, magnitude = _rising_reference(a, k)
        assert value == pytest.approx(exact, rel=0, abs=1e-12 * max(magnitude, 1.0))


def test_log_rising_zero_k_is_zero():
    a = np.array([1e-3, 1.0, 9999.0, 1e4, 1e15])
    np.testing.assert_array_equal(bb.log_rising(a, np.zeros(5)), np.zeros(5))


def test_log_rising_stirling_branch_is_accurate_to_rounding():
    # For a >= 1e4 the series has no cancellation: a few ulps of the result.
    for a in [1e4, 1e4 + 1e-9, 1.5e4, 1e5, 7.7e7, 1e12, 1e15]:
        for k in [1, 2, 3, 10, 57, 300, 500]:
            exact, magnitude = _rising_reference(a, k)
            got = float(bb.log_rising(np.array([a]), np.array([float(k)]))[0])
            assert got == pytest.approx(exact, rel=0, abs=1e-14 * magnitude)


def test_log_rising_non_integer_k():
    a = np.array([0.3, 50.0, 2e4, 1e9])
    for k in [0.37, 5.5, 123.25]:
        # Functional equation Gamma(x + 1) = x Gamma(x) at x = a + k.
        step = bb.log_rising(a, np.full(4, k + 1)) - bb.log_rising(a, np.full(4, k))
        np.testing.assert_allclose(step, np.log(a + k), rtol=1e-12)
    # Gamma(a + 1/2) / Gamma(a) = sqrt(a) (1 - 1/(8a) + 1/(128 a^2) + 5/(1024 a^3) - ...)
    # (Abramowitz & Stegun 6.1.47); at a >= 1e4 the next term is below 1e-16.
    big = np.array([1e4, 3.3e5, 1e9, 1e14])
    series = 0.5 * np.log(big) + np.log1p(-1 / (8 * big) + 1 / (128 * big**2) + 5 / (1024 * big**3))
    np.testing.assert_allclose(bb.log_rising(big, np.full(4, 0.5)), series, rtol=1e-14)
    # a = 1: Gamma(1 + k) / Gamma(1) = k!, and a = 1/2: Gamma(k + 1/2)/Gamma(1/2) = (2k)!/(4^k k!).
    for k in range(0, 40, 7):
        assert float(bb.log_rising(np.array([1.0]), np.array([float(k)]))[0]) == pytest.approx(
            math.log(math.factorial(k)), abs=1e-12 * max(k, 1) * 4
        )
        exact_half = math.log(math.factorial(2 * k)) - k * math.log(4) - math.log(math.factorial(k))
        got_half = float(bb.log_rising(np.array([0.5]), np.array([float(k)]))[0])
        assert got_half == pytest.approx(exact_half, abs=1e-12 * max(k, 1) * 4)


def test_log_rising_broadcasts():
    a = np.array([[0.5], [20.0], [2e4]])
    k = np.array([0.0, 1.0, 2.0, 3.0])
    got = bb.log_rising(a, k)
    assert got.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            exact, magnitude = _rising_reference(float(a[i, 0]), int(k[j]))
            assert got[i, j] == pytest.approx(exact, abs=1e-12 * max(magnitude, 1.0))


def test_log_rising_direct_branch_near_the_switch_agrees_with_fsum_and_stirling():
    rng = np.random.default_rng(7)
    below = np.concatenate([rng.uniform(3e3, 1e4, 300), [np.nextafter(1e4, 0)]])
    for k in (1, 2, 3):
        got = bb.log_rising(below, np.full(below.size, float(k)))
        for a, value in zip(below, got, strict=True):
            exact, magnitude = _rising_reference(float(a), k)
            assert value == pytest.approx(exact, rel=0, abs=1e-12 * max(magnitude, 1.0))
        # Across the switch the function is continuous: the difference between a just
        # below and exactly 1e4 is (psi(a + k) - psi(a)) * 2e-12 ~ 2e-16 * k.
        pair = bb.log_rising(np.array([np.nextafter(1e4, 0), 1e4]), np.full(2, float(k)))
        assert abs(pair[0] - pair[1]) <= 1e-12 * abs(pair[1])


@pytest.mark.parametrize("a", [np.array(1e5), 1e5], ids=["0-d-array", "float"])
def test_log_rising_scalar_input_on_the_stirling_branch(a):
    assert float(bb.log_rising(a, 2.0)) == pytest.approx(
        math.log(1e5) + math.log(1e5 + 1), rel=1e-14
    )


def test_log_rising_scalar_input_on_the_direct_branch():
    assert float(bb.log_rising(np.array(3.0), np.array(2.0))) == pytest.approx(
        math.log(12.0), rel=1e-14
    )


# --- log_marginal_posterior ----------------------------------------------------------------------

SMALL_Y = np.array([2, 7, 0])
SMALL_N = np.array([10, 12, 5])
AB_POINTS = [(1.0, 1.0), (0.6, 1.5), (2.5, 4.0), (10.0, 30.0), (150.0, 80.0), (0.3, 0.2)]


def _log_likelihood_by_quad(alpha, beta, y, n) -> float:
    """sum_j log int_0^1 Beta(t | alpha, beta) t^y_j (1 - t)^(n_j - y_j) dt by adaptive quad."""
    total = []
    for yj, nj in zip(y, n, strict=True):
        value, error = integrate.quad(
            lambda t, yj=yj, nj=nj: stats.beta.pdf(t, alpha, beta) * t**yj * (1 - t) ** (nj - yj),
            0.0,
            1.0,
            epsabs=0.0,
            epsrel=1e-12,
            limit=200,
        )
        assert error <= 1e-10 * value
        total.append(math.log(value))
    return math.fsum(total)


class ExponentialHyperprior:
    """p(alpha, beta) ~ exp(-alpha - beta / 2): any object with a logpdf is a hyperprior."""

    def logpdf(self, alpha, beta):
        return -np.asarray(alpha) - 0.5 * np.asarray(beta)


@pytest.mark.parametrize(
    ("log_prior", "hyperprior"),
    [
        (lambda a, b: -2.5 * math.log(a + b), BDA3_HYPERPRIOR),
        (lambda a, b: -a - 0.5 * b, ExponentialHyperprior()),
    ],
    ids=["default", "exponential"],
)
def test_log_marginal_posterior_matches_quadrature_up_to_one_constant(log_prior, hyperprior):
    # log p(alpha, beta | y) = log p(alpha, beta) + sum_j log int Beta(t) t^y (1-t)^(n-y) dt
    # + const; the constant (binomial coefficients, normalization) is the same everywhere.
    ref = np.array(
        [_log_likelihood_by_quad(a, b, SMALL_Y, SMALL_N) + log_prior(a, b) for a, b in AB_POINTS]
    )
    got = np.array(
        [
            float(bb.log_marginal_posterior(SMALL_Y, SMALL_N, a, b, hyperprior=hyperprior))
            for a, b in AB_POINTS
        ]
    )
    np.testing.assert_allclose(got - got[0], ref - ref[0], rtol=0, atol=1e-9)


def test_log_marginal_posterior_default_is_bda3_and_takes_any_power():
    a, b = np.array([0.5, 2.0, 30.0]), np.array([1.0, 4.0, 200.0])
    default = bb.log_marginal_posterior(SMALL_Y, SMALL_N, a, b)
    np.testing.assert_array_equal(
        default, bb.log_marginal_posterior(SMALL_Y, SMALL_N, a, b, hyperprior=BDA3_HYPERPRIOR)
    )
    steeper = bb.log_marginal_posterior(SMALL_Y, SMALL_N, a, b, hyperprior=PowerHyperprior(-4))
    np.testing.assert_allclose(steeper - default, -1.5 * np.log(a + b), rtol=1e-12)


def test_log_marginal_posterior_broadcasts_alpha_and_beta():
    alpha = np.array([[0.5], [2.0], [30.0]])
    beta = np.array([1.0, 4.0, 9.0, 200.0])
    got = bb.log_marginal_posterior(SMALL_Y, SMALL_N, alpha, beta)
    assert got.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            single = bb.log_marginal_posterior(SMALL_Y, SMALL_N, float(alpha[i, 0]), float(beta[j]))
            assert got[i, j] == pytest.approx(float(single), abs=1e-12)


def _rat_log_posterior_direct(a: float, b: float) -> tuple[float, float]:
    """fsum of the rising-factorial logs for the rat data, and the sum of their magnitudes."""
    terms = [math.log(a + i) for yj in Y_RAT for i in range(yj)]
    terms += [math.log(b + i) for yj, nj in zip(Y_RAT, N_RAT, strict=True) for i in range(nj - yj)]
    terms += [-math.log(a + b + i) for nj in N_RAT for i in range(nj)]
    terms.append(-2.5 * math.log(a + b))
    return math.fsum(terms), math.fsum(abs(t) for t in terms)


@pytest.mark.parametrize("total", [1e-3, 0.3, 1.0, 12.0, 1e3, 1e4, 3e5, 1e8, 1e10, 1e12, 1e15])
@pytest.mark.parametrize("mean", [0.02, 0.14, 0.6])
def test_log_marginal_posterior_rat_data_matches_direct_sums(total, mean):
    a, b = mean * total, (1 - mean) * total
    got = float(bb.log_marginal_posterior(Y_RAT, N_RAT, a, b))
    exact, magnitude = _rat_log_posterior_direct(a, b)
    assert math.isfinite(got)
    assert got == pytest.approx(exact, rel=0, abs=1e-12 * magnitude)


@pytest.mark.parametrize("total", [1e6, 1e9, 1e12, 1e15])
def test_log_marginal_posterior_approaches_complete_pooling(total):
    # As alpha + beta = s -> inf with alpha / s = m fixed, Beta(alpha, beta) -> a point mass
    # at m and the log posterior -> sum_j [y_j log m + (n_j - y_j) log(1 - m)] - 2.5 log s.
    # The exact remainder is sum log1p(i/(m s)) + sum log1p(i/((1-m) s)) - sum log1p(i/s),
    # which is O(1/s).
    m = 0.14
    a, b = m * total, (1 - m) * total
    got = float(bb.log_marginal_posterior(Y_RAT, N_RAT, a, b))
    pooled = math.fsum(
        [
            yj * math.log(m) + (nj - yj) * math.log(1 - m)
            for yj, nj in zip(Y_RAT, N_RAT, strict=True)
        ]
    )
    limit = pooled - 2.5 * math.log(total)
    remainder = math.fsum(
        [math.log1p(i / a) for yj in Y_RAT for i in range(yj)]
        + [math.log1p(i / b) for yj, nj in zip(Y_RAT, N_RAT, strict=True) for i in range(nj - yj)]
        + [-math.log1p(i / total) for nj in N_RAT for i in range(nj)]
    )
    assert got - limit == pytest.approx(remainder, abs=1e-9)
    # The remainder is O(1/s): first-order coefficient
    # sum_j [y(y-1)/(2m) + f(f-1)/(2(1-m)) - n(n-1)/2], f = n - y.
    f = N_RAT - Y_RAT
    c = math.fsum(
        Y_RAT * (Y_RAT - 1) / (2 * m) + f * (f - 1) / (2 * (1 - m)) - N_RAT * (N_RAT - 1) / 2
    )
    assert abs(got - limit) <= 2 * abs(c) / total + 1e-9


def test_log_marginal_posterior_has_an_s_to_the_minus_three_halves_tail():
    # In (u, v) = (log(alpha/beta), log(alpha + beta)) the density is
    # p(alpha, beta | y) * alpha * beta ~ s^(-5/2) * s^2 * const = e^(-v/2) * const, so
    # log q(u, v) + v/2 tends to a constant; the deviation is O(e^-v) (1e-9 at v = 30).
    # Hence p(s | y) ~ s^(-3/2) and E[alpha | y] = E[beta | y] = infinity.
    for u in (-2.5, -1.8, -1.0):
        values = []
        for v in (30.0, 40.0, 50.0):
            s = math.exp(v)
            a, b = s * expit(u), s * expit(-u)
            log_q = float(bb.log_marginal_posterior(Y_RAT, N_RAT, a, b)) + math.log(a) + math.log(b)
            values.append(log_q + v / 2)
        assert max(values) - min(values) <= 1e-6
        # The constant is the complete-pooling log likelihood at m = expit(u) plus the
        # Jacobian's log(m (1 - m)).
        m = float(expit(u))
        pooled = math.fsum(Y_RAT * math.log(m) + (N_RAT - Y_RAT) * math.log(1 - m))
        assert values[-1] == pytest.approx(pooled + math.log(m * (1 - m)), abs=1e-6)


@pytest.mark.parametrize(
    ("alpha", "beta", "name"),
    [
        (0.0, 1.0, "alpha"),
        (-1.0, 1.0, "alpha"),
        (np.nan, 1.0, "alpha"),
        ([1.0, -2.0], 1.0, "alpha"),
        (1.0, 0.0, "beta"),
        (1.0, np.inf, "beta"),
        (1.0, "x", "beta"),
    ],
)
def test_log_marginal_posterior_rejects_bad_hyperparameters(alpha, beta, name):
    with pytest.raises(ValueError, match=name):
        bb.log_marginal_posterior(SMALL_Y, SMALL_N, alpha, beta)


@pytest.mark.parametrize("hyperprior", ["x", 3, (1, 2), None, lambda a, b: 0.0])
def test_log_marginal_posterior_rejects_a_hyperprior_without_logpdf(hyperprior):
    with pytest.raises(ValueError, match="hyperprior must have a logpdf"):
        bb.log_marginal_posterior(SMALL_Y, SMALL_N, 1.0, 2.0, hyperprior=hyperprior)


# --- hyper_posterior on the rat data -----------------------------------------------------------


def test_hyper_posterior_rat_grid_covers_the_posterior(rat_post):
    assert rat_post.edge_mass() < 1e-9
    assert rat_post.grid.mass.shape == (256, 256)
    np.testing.assert_array_equal(rat_post.successes, Y_RAT)
    np.testing.assert_array_equal(rat_post.trials, N_RAT)


def test_hyper_posterior_rat_log_ratio_and_log_total_match_cubature(rat_post, rat_reference):
    e_u = rat_post.grid.expect(lambda u, v: u + 0 * v)
    e_v = rat_post.grid.expect(lambda u, v: v + 0 * u)
    assert e_u == pytest.approx(rat_reference["E_u"], abs=1e-8)
    assert e_v == pytest.approx(rat_reference["E_v"], abs=1e-8)
    # The same through HyperPosterior.expect, in (alpha, beta).
    assert rat_post.expect(lambda a, b: np.log(a / b)) == pytest.approx(
        rat_reference["E_u"], abs=1e-8
    )
    assert rat_post.expect(lambda a, b: np.log(a + b)) == pytest.approx(
        rat_reference["E_v"], abs=1e-8
    )
    assert rat_post.expect(lambda a, b: a / (a + b)) == pytest.approx(
        rat_reference["E_mu"], abs=1e-9
    )


def test_hyper_posterior_rat_theta_mean_and_sd_match_cubature(rat_post, rat_reference):
    mean = rat_post.theta_mean()
    assert mean.shape == (71,)
    # E[theta_71 | y] = E[(alpha + 4) / (alpha + beta + 14) | y].
    assert mean[-1] == pytest.approx(rat_reference["theta_mean"][-1], abs=1e-9)
    np.testing.assert_allclose(mean, rat_reference["theta_mean"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(rat_post.theta_sd(), rat_reference["theta_sd"], rtol=0, atol=1e-8)


def test_hyper_posterior_rat_v_marginal_has_slope_minus_one_half_at_the_top(rat_post):
    # The posterior of v = log(alpha + beta) decays like e^(-v/2): the tail is there, not cut.
    marginal = rat_post.grid.marginal("y")
    top = marginal.log_density[-20:]
    slopes = np.diff(top) / marginal.width
    np.testing.assert_allclose(slopes, -0.5, atol=1e-6)


def composite_legendre(edges, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre rule with ``nodes`` nodes on each panel between ``edges``."""
    g, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.asarray(edges, dtype=float)
    half = np.diff(edges)[:, None] / 2
    return (edges[:-1, None] + half * (g + 1)).ravel(), (half * w).ravel()


def test_hyper_posterior_rat_against_gauss_legendre_products(rat_post):
    """The references of the cubature fixture, by a second integrator.

    A product of composite Gauss-Legendre rules over the same box, every node at once:
    in u, 16 nodes on panels 1/fine wide (the conditional sd of u is about 0.07 near
    complete pooling); in v, 20 nodes on panels 1/fine wide up to v = 7, then on ever
    wider panels along the e^(-v/2) tail. With fine = 5 it agrees with fine = 3 to
    1e-13.
    """
    y, n = Y_RAT, N_RAT
    top = float(log_q_uv(np.array([-1.79]), np.array([2.79]), y, n)[0])

    def expectations(fine: int) -> np.ndarray:
        (u0, v0), (u1, v1) = RAT_BOX
        u, wu = composite_legendre(np.linspace(u0, u1, round((u1 - u0) * fine) + 1), 16)
        tail = [7.0, 10.0, 14.0, 20.0, 30.0, 40.0, 52.0, v1]
        v, wv = composite_legendre(np.concatenate([np.arange(v0, 7.0, 1.0), tail]), 20)
        q = np.exp(log_q_uv(u[:, None], v[None, :], y, n) - top) * wu[:, None] * wv
        s = np.exp(v)[None, :]
        theta = (s * expit(u)[:, None] + 4) / (s + 14)  # E[theta_71 | alpha, beta, y]
        z = q.sum()
        return np.array([(q * u[:, None]).sum(), (q * v).sum(), (q * theta).sum()]) / z

    e_u, e_v, e_theta = expectations(5)
    np.testing.assert_allclose([e_u, e_v, e_theta], expectations(3), rtol=0, atol=1e-12)
    assert rat_post.grid.expect(lambda u, v: u + 0 * v) == pytest.approx(e_u, abs=1e-8)
    assert rat_post.grid.expect(lambda u, v: v + 0 * u) == pytest.approx(e_v, abs=1e-8)
    assert rat_post.theta_mean()[-1] == pytest.approx(e_theta, abs=1e-9)


@pytest.fixture(scope="module")
def rat_post_small() -> bb.HyperPosterior:
    return bb.hyper_posterior(Y_RAT, N_RAT, size=64)


@pytest.mark.slow
def test_theta_cdf_and_quantiles_are_inverse(rat_post, rat_post_small):
    q = np.array([0.025, 0.5, 0.975])
    x = rat_post.theta_quantiles(q, groups=[70])[:, 0]
    assert np.all(np.diff(x) > 0)
    np.testing.assert_allclose(rat_post.theta_cdf(x, groups=[70])[:, 0], q, atol=1e-10)
    xs = np.array([0.05, 0.1, 0.2, 0.35])
    for group in (0, 35, 70):
        levels = rat_post_small.theta_cdf(xs, groups=[group])[:, 0]
        back = rat_post_small.theta_quantiles(levels, groups=[group])[:, 0]
        np.testing.assert_allclose(back, xs, atol=1e-9)
    assert rat_post.theta_cdf(0.0, groups=[70])[0, 0] == 0.0
    assert rat_post.theta_cdf(1.0, groups=[70])[0, 0] == pytest.approx(1.0, abs=1e-14)


def test_theta_cdf_integrates_to_the_posterior_mean(rat_post_small):
    # E[theta] = int_0^1 (1 - F(x)) dx; Gauss-Legendre on [0, 1] with 80 nodes (the CDF
    # is smooth; the integrand is ~0 beyond 0.7 for group 71, and 0.35 for group 1).
    nodes, weights = np.polynomial.legendre.leggauss(80)
    x, w = (nodes + 1) / 2, weights / 2
    for group in (0, 70):
        mean = math.fsum(w * (1 - rat_post_small.theta_cdf(x, groups=[group])[:, 0]))
        assert mean == pytest.approx(rat_post_small.theta_mean()[group], abs=1e-9)


def test_theta_cdf_matches_posterior_draws(rat_post):
    draws = rat_post.sample(20_000, rng=11)["theta"][:, 70]
    xs = np.array([0.1, 0.15, 0.2, 0.3, 0.4])
    cdf = rat_post.theta_cdf(xs, groups=[70])[:, 0]
    empirical = (draws[:, None] <= xs).mean(axis=0)
    se = np.sqrt(cdf * (1 - cdf) / draws.size)
    assert np.all(np.abs(empirical - cdf) <= 4 * se)


@pytest.mark.parametrize("group", [71, -72, 1.0, True])
def test_theta_cdf_rejects_bad_group(rat_post_small, group):
    with pytest.raises(ValueError):
        rat_post_small.theta_cdf(0.5, groups=[group])


def test_theta_cdf_bad_group_message_names_the_argument(rat_post_small):
    with pytest.raises(ValueError, match="groups"):
        rat_post_small.theta_cdf(0.5, groups=[71])


@pytest.mark.parametrize("q", [0.0, 1.0, 1.5, -0.1, np.nan])
def test_theta_quantiles_reject_bad_q(rat_post_small, q):
    with pytest.raises(ValueError, match="q"):
        rat_post_small.theta_quantiles(q, groups=[0])


# --- improper posteriors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "n", "hyperprior"),
    [
        ([0] * 5, [20] * 5, BDA3_HYPERPRIOR),  # all zero counts
        ([20] * 5, [20] * 5, BDA3_HYPERPRIOR),  # all full counts
        ([0, 20], [20, 20], BDA3_HYPERPRIOR),  # no group with 0 < y < n
        (Y_RAT, N_RAT, PowerHyperprior(-2.0)),  # flat in log(alpha + beta)
        (Y_RAT, N_RAT, PowerHyperprior(-1.5)),
    ],
    ids=["zeros", "full", "zero-and-full", "power-2", "power-1.5"],
)
def test_hyper_posterior_rejects_improper_posteriors(y, n, hyperprior):
    with pytest.raises(ValueError, match=r"improper .* proper only for -\d+ < k < -2"):
        bb.hyper_posterior(y, n, hyperprior=hyperprior, size=32)


def test_a_proper_posterior_with_a_tail_too_heavy_for_the_grid_says_so():
    # k = -2.01 is proper (-5 < k < -2 with G = 3 groups), but p(v | y) decays like
    # e^(-0.01 v) for large v = log(alpha + beta): no grid reaches its end.
    with pytest.raises(ValueError, match="proper, but its tail is too heavy to tabulate"):
        bb.hyper_posterior([1, 3, 5], [10, 10, 10], hyperprior=PowerHyperprior(-2.01), size=32)


def test_an_improper_hyperprior_of_another_kind_is_caught_by_the_grid():
    # A flat hyperprior on (alpha, beta): p(v | y) grows like e^(2 v) times the
    # complete-pooling likelihood, so the grid never sees the density decay.
    class Flat:
        def logpdf(self, alpha, beta):
            return np.zeros(np.broadcast(alpha, beta).shape)

    with pytest.raises(ValueError, match="it is improper, or its tail is too heavy"):
        bb.hyper_posterior([1, 3, 5], [10, 10, 10], hyperprior=Flat(), size=32)


def test_sample_posterior_rejects_improper_posterior():
    with pytest.raises(ValueError, match="improper"):
        bb.sample_posterior([0] * 5, [20] * 5, 10, rng=0)


@pytest.mark.parametrize("size", [15, 0, -1, 2.5, True, "64"])
def test_hyper_posterior_rejects_bad_size(size):
    with pytest.raises(ValueError, match="size"):
        bb.hyper_posterior([1, 3, 5], [10, 10, 10], size=size)


@pytest.mark.parametrize("hyperprior", ["x", 3, (1, 2), None, lambda a, b: 0.0])
def test_hyper_posterior_rejects_a_hyperprior_without_logpdf(hyperprior):
    with pytest.raises(ValueError, match="hyperprior"):
        bb.hyper_posterior([1, 3, 5], [10, 10, 10], hyperprior=hyperprior)


# --- a small data set: exact posterior and the shrinkage structure ------------------------------

TRIO_Y, TRIO_N = np.array([1, 3, 5]), np.array([10, 10, 10])
TRIO_BOX = ((-16.0, -40.0), (14.0, 100.0))


@pytest.fixture(scope="module")
def trio_reference() -> dict:
    return reference_posterior(tuple(TRIO_Y), tuple(TRIO_N), *TRIO_BOX)


@pytest.fixture(scope="module")
def trio_post() -> bb.HyperPosterior:
    return bb.hyper_posterior(TRIO_Y, TRIO_N)


def test_hyper_posterior_small_data_matches_cubature(trio_post, trio_reference):
    # Three small groups carry little information about alpha + beta: the posterior of v
    # decays like e^(5v/2) below and e^(-v/2) above and the grid spans ~75 units of v,
    # a harder case for the grid than the rats. (Its predictive distribution is checked
    # against the same reference in test_mixtures.py.)
    post = trio_post
    assert post.edge_mass() < 1e-9
    assert post.grid.expect(lambda u, v: u + 0 * v) == pytest.approx(
        trio_reference["E_u"], abs=1e-7
    )
    assert post.grid.expect(lambda u, v: v + 0 * u) == pytest.approx(
        trio_reference["E_v"], abs=1e-7
    )
    np.testing.assert_allclose(post.theta_mean(), trio_reference["theta_mean"], atol=1e-8)


def test_group_at_the_pooled_rate_is_not_fixed_by_the_hierarchical_model(trio_post, trio_reference):
    # With equal n, E[theta_j | y] = E[s/(s+n) * alpha/s] + E[n/(s+n)] * y_j/n: an affine
    # map of the raw rate with slope in (0, 1), whose fixed point is a weighted posterior
    # mean of alpha/(alpha+beta), not the pooled rate. Here y = (1, 3, 5) of 10: the middle
    # group sits exactly at the pooled rate 0.3, yet its posterior mean is ~0.312 (pulled
    # towards 1/2 by the prior, uniform on alpha/(alpha+beta)). So "E[theta_j] lies between
    # y_j/n_j and the pooled rate" is false in general; the independent cubature confirms it.
    mean = trio_post.theta_mean()
    assert mean[1] == pytest.approx(trio_reference["theta_mean"][1], abs=1e-8)
    assert mean[1] - 0.3 > 0.01


@st.composite
def equal_n_data(draw):
    J = draw(st.integers(2, 6))
    n = draw(st.integers(2, 30))
    y = draw(st.lists(st.integers(0, n), min_size=J, max_size=J))
    i = draw(st.integers(0, J - 1))
    y[i] = draw(st.integers(1, n - 1))  # one group with 0 < y < n: a proper posterior
    return np.array(y), np.full(J, n)


@st.composite
def proper_data(draw):
    J = draw(st.integers(1, 6))
    n = draw(st.lists(st.integers(1, 40), min_size=J, max_size=J))
    y = [draw(st.integers(0, nj)) for nj in n]
    i = draw(st.integers(0, J - 1))
    n[i] = max(n[i], 2)
    y[i] = draw(st.integers(1, n[i] - 1))
    return np.array(y), np.array(n)


@settings(max_examples=20, deadline=None)
@given(data=equal_n_data())
def test_hierarchical_means_shrink_raw_rates_affinely(data):
    y, n = data
    post = bb.hyper_posterior(y, n, size=64)
    mean = post.theta_mean()
    rate = y / n
    trials = float(n[0])
    # Slope E[n / (alpha + beta + n)] in (0, 1), intercept E[alpha / (alpha + beta + n)].
    slope = post.expect(lambda a, b: trials / (a + b + trials))
    intercept = post.expect(lambda a, b: a / (a + b + trials))
    assert 0.0 < slope < 1.0
    np.testing.assert_allclose(mean, intercept + slope * rate, rtol=1e-12, atol=1e-15)
    # Order is preserved and every mean lies between its raw rate and the common centre.
    centre = intercept / (1 - slope)
    assert 0.0 < centre < 1.0
    order = np.argsort(rate, kind="stable")
    assert np.all(np.diff(mean[order]) >= -1e-12)
    low = np.minimum(rate, centre) - 1e-12
    high = np.maximum(rate, centre) + 1e-12
    assert np.all((low <= mean) & (mean <= high))


@settings(max_examples=15, deadline=None)
@given(data=proper_data(), seed=st.integers(0, 2**32 - 1))
def test_permuting_groups_permutes_theta_means(data, seed):
    y, n = data
    perm = np.random.default_rng(seed).permutation(y.size)
    post = bb.hyper_posterior(y, n, size=64)
    permuted = bb.hyper_posterior(y[perm], n[perm], size=64)
    np.testing.assert_array_equal(permuted.grid.x, post.grid.x)
    np.testing.assert_array_equal(permuted.grid.y, post.grid.y)
    np.testing.assert_allclose(permuted.grid.log_density, post.grid.log_density, rtol=1e-13)
    np.testing.assert_allclose(permuted.theta_mean(), post.theta_mean()[perm], rtol=1e-12)
    np.testing.assert_allclose(permuted.theta_sd(), post.theta_sd()[perm], rtol=1e-10)


# --- sample_posterior and posterior_predictive ---------------------------------------------------


@pytest.fixture(scope="module")
def rat_draws(rat_post) -> dict:
    return rat_post.sample(20_000, rng=20261121)


def test_sample_posterior_shapes_and_support(rat_draws):
    assert rat_draws["alpha"].shape == (20_000,)
    assert rat_draws["beta"].shape == (20_000,)
    assert rat_draws["theta"].shape == (20_000, 71)
    assert np.all(rat_draws["alpha"] > 0) and np.all(rat_draws["beta"] > 0)
    assert np.all((rat_draws["theta"] > 0) & (rat_draws["theta"] < 1))


def test_sample_posterior_seeds():
    a = bb.sample_posterior([1, 3, 5], [10, 10, 10], 500, rng=5)
    b = bb.sample_posterior([1, 3, 5], [10, 10, 10], 500, rng=np.random.default_rng(5))
    c = bb.sample_posterior([1, 3, 5], [10, 10, 10], 500, rng=6)
    d = bb.hyper_posterior([1, 3, 5], [10, 10, 10]).sample(500, rng=5)  # the same draws
    assert set(a) == {"alpha", "beta", "theta"}
    for key in ("alpha", "beta", "theta"):
        np.testing.assert_array_equal(a[key], b[key])
        np.testing.assert_array_equal(a[key], d[key])
        assert not np.array_equal(a[key], c[key])


def test_sample_posterior_means_match_the_grid(rat_draws, rat_post):
    alpha, beta, theta = rat_draws["alpha"], rat_draws["beta"], rat_draws["theta"][:, 70]
    checks = [
        (np.log(alpha / beta), rat_post.grid.expect(lambda u, v: u + 0 * v)),
        (np.log(alpha + beta), rat_post.grid.expect(lambda u, v: v + 0 * u)),
        (theta, rat_post.theta_mean()[70]),
        (alpha / (alpha + beta), rat_post.expect(lambda a, b: a / (a + b))),
    ]
    for sample, exact in checks:
        se = sample.std(ddof=1) / math.sqrt(sample.size)
        assert abs(sample.mean() - exact) <= 4 * se


def test_sample_posterior_theta_given_hyperparameters(rat_draws):
    # theta_j | alpha, beta, y ~ Beta(alpha + y_j, beta + n_j - y_j): standardized by the
    # conditional mean and sd, the residuals have mean 0 and variance 1 and are
    # uncorrelated across draws and groups, so their grand mean has SE 1/sqrt(N J).
    alpha, beta, theta = rat_draws["alpha"][:, None], rat_draws["beta"][:, None], rat_draws["theta"]
    a1, b1 = alpha + Y_RAT, beta + N_RAT - Y_RAT
    mean = a1 / (a1 + b1)
    sd = np.sqrt(mean * (1 - mean) / (a1 + b1 + 1))
    z = (theta - mean) / sd
    assert abs(z.mean()) <= 4 / math.sqrt(z.size)
    z2 = z**2
    assert abs(z2.mean() - 1) <= 4 * z2.std() / math.sqrt(z2.size)
    # And per group, 4 SE (71 groups: a false alarm has probability ~0.5%).
    assert np.all(np.abs(z.mean(axis=0)) <= 4 / math.sqrt(z.shape[0]))


def test_sample_posterior_passes_the_hyperprior():
    y, n = [1, 3, 5], [10, 10, 10]
    prior = PowerHyperprior(-4.0)
    draws = bb.sample_posterior(y, n, 20_000, rng=1, hyperprior=prior)
    v = np.log(draws["alpha"] + draws["beta"])
    exact = bb.hyper_posterior(y, n, hyperprior=prior).grid.expect(lambda u, v: v + 0 * u)
    default = bb.hyper_posterior(y, n).grid.expect(lambda u, v: v + 0 * u)
    assert exact < default - 1.0  # the steeper prior pulls alpha + beta down
    assert abs(v.mean() - exact) <= 4 * v.std(ddof=1) / math.sqrt(v.size)


@pytest.mark.parametrize(("exponent", "proper"), [(-4.5, True), (-5.0, False), (-5.5, False)])
def test_steep_hyperpriors_are_improper_at_small_alpha_plus_beta(exponent, proper):
    # As s = alpha + beta -> 0, each group with 0 < y < n contributes a likelihood factor
    # ~ s * m (1 - m) B(y, n - y) and the others O(1); with the Jacobian s^2 m (1 - m) the
    # density in v = log s behaves like s^(exponent + 2 + G), G = number of such groups.
    # For y = (1, 3, 5) of 10, G = 3: proper iff exponent > -5 (and < -2 for large s).
    y, n = [1, 3, 5], [10, 10, 10]
    prior = PowerHyperprior(exponent)
    if proper:
        assert bb.hyper_posterior(y, n, hyperprior=prior, size=64).edge_mass() < 1e-9
    else:
        with pytest.raises(ValueError, match="improper"):
            bb.hyper_posterior(y, n, hyperprior=prior, size=64)


def test_posterior_predictive_shapes(rat_draws):
    existing = bb.posterior_predictive(rat_draws, N_RAT, rng=1)
    assert existing.shape == (20_000, 71)
    assert np.issubdtype(existing.dtype, np.integer)
    assert np.all((existing >= 0) & (existing <= N_RAT))
    scalar = bb.posterior_predictive(rat_draws, 5, rng=1)
    assert scalar.shape == (20_000, 71) and scalar.max() <= 5
    new = bb.posterior_predictive(rat_draws, 20, new_group=True, rng=1)
    assert new.shape == (20_000,)
    assert np.all((new >= 0) & (new <= 20))
    np.testing.assert_array_equal(
        new, bb.posterior_predictive(rat_draws, 20, new_group=True, rng=1)
    )


def test_posterior_predictive_existing_group_mean(rat_draws, rat_post):
    counts = bb.posterior_predictive(rat_draws, 14, rng=2)[:, 70]
    exact = 14 * rat_post.theta_mean()[70]
    se = counts.std(ddof=1) / math.sqrt(counts.size)
    assert abs(counts.mean() - exact) <= 4 * se


@pytest.mark.parametrize("trials", [-1, 2.5, [20, 20]])
def test_posterior_predictive_new_group_rejects_bad_trials(rat_draws, trials):
    with pytest.raises(ValueError, match="trials"):
        bb.posterior_predictive(rat_draws, trials, new_group=True, rng=0)


@pytest.mark.parametrize("trials", [-1, 2.5, [20] * 70 + [-1]])
def test_posterior_predictive_rejects_bad_trials(rat_draws, trials):
    with pytest.raises(ValueError, match="trials"):
        bb.posterior_predictive(rat_draws, trials, rng=0)


def test_posterior_predictive_wrong_length_trials_names_the_argument(rat_draws):
    with pytest.raises(ValueError, match="trials"):
        bb.posterior_predictive(rat_draws, [20, 20], rng=0)


# --- validation of the data, shared by every public function ------------------------------------

CALLS = {
    "conjugate_posterior": lambda y, n: bb.conjugate_posterior(y, n),
    "no_pooling_prob_greater": lambda y, n: bb.no_pooling_prob_greater(y, n),
    "no_pooling_prob_largest": lambda y, n: bb.no_pooling_prob_largest(y, n),
    "log_marginal_posterior": lambda y, n: bb.log_marginal_posterior(y, n, 1.0, 2.0),
    "hyper_posterior": lambda y, n: bb.hyper_posterior(y, n, size=16),
    "sample_posterior": lambda y, n: bb.sample_posterior(y, n, 10, rng=0),
}

BAD_DATA = [
    ([1, 2, 3], [5, 5], ("successes", "trials")),  # mismatched lengths
    ([], [], ("successes",)),  # empty
    ([1, np.nan], [5, 5], ("successes",)),
    ([1, 2], [5, np.nan], ("trials",)),
    ([1, np.inf], [5, 5], ("successes",)),
    ([-1, 2], [5, 5], ("successes",)),
    ([1, 2], [5, -5], ("trials",)),
    ([1.5, 2], [5, 5], ("successes",)),
    ([1, 2], [5, 5.5], ("trials",)),
    ([6, 2], [5, 5], ("successes", "trials")),  # y > n
    ([[1, 2]], [[5, 5]], ("successes",)),  # 2-D
    (["a", "b"], [5, 5], ("successes",)),
    (3, 5, ("successes",)),  # scalars instead of arrays
]


@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
@pytest.mark.parametrize(("y", "n", "names"), BAD_DATA)
def test_bad_data_raise_value_error_naming_the_argument(call, y, n, names):
    with pytest.raises(ValueError) as err:
        CALLS[call](y, n)
    for name in names:
        assert name in str(err.value)


@pytest.mark.parametrize("draws", [0, -1, 2.5, True, "10", None, np.float64(10.0)])
def test_sample_posterior_rejects_bad_draws(draws):
    with pytest.raises(ValueError, match="draws"):
        bb.sample_posterior([1, 3, 5], [10, 10, 10], draws, rng=0)


def test_sample_posterior_accepts_numpy_integer_draws():
    assert bb.sample_posterior([1, 3, 5], [10, 10, 10], np.int64(7), rng=0)["theta"].shape == (7, 3)


def _data_variants():
    y, n = [1, 3, 5, 0], [10, 12, 10, 4]
    return {
        "list": (list(y), list(n)),
        "int-array": (np.array(y), np.array(n)),
        "float-array": (np.array(y, dtype=float), np.array(n, dtype=float)),
        "series": (pd.Series(y, index=[10, 11, 12, 13]), pd.Series(n, index=[10, 11, 12, 13])),
    }


@pytest.mark.parametrize("kind", ["list", "int-array", "float-array", "series"])
def test_inputs_are_not_modified(kind):
    y, n = _data_variants()[kind]
    y_copy = y.copy()
    n_copy = n.copy()
    bb.conjugate_posterior(y, n)
    bb.no_pooling_prob_greater(y, n)
    bb.no_pooling_prob_largest(y, n)
    bb.log_marginal_posterior(y, n, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    post = bb.hyper_posterior(y, n, size=16)
    post.theta_mean()
    draws = bb.sample_posterior(y, n, 50, rng=0)
    before = {key: value.copy() for key, value in draws.items()}
    bb.posterior_predictive(draws, n, rng=0)
    bb.posterior_predictive(draws, 7, new_group=True, rng=0)
    for key, value in draws.items():
        np.testing.assert_array_equal(value, before[key])
    if kind == "series":
        pd.testing.assert_series_equal(y, y_copy)
        pd.testing.assert_series_equal(n, n_copy)
    else:
        assert type(y) is type(y_copy)
        np.testing.assert_array_equal(y, y_copy)
        np.testing.assert_array_equal(n, n_copy)
    # The posterior holds its own read-only copy of the data.
    assert not np.shares_memory(post.successes, np.asarray(y))
    with pytest.raises(ValueError, match="read-only"):
        post.successes[0] = 99
    with pytest.raises(ValueError, match="read-only"):
        post.grid.mass[0, 0] = 1.0


def test_fit_moments_does_not_modify_its_input():
    rates = np.array([0.1, 0.25, 0.3, 0.05])
    series = pd.Series(rates.copy())
    copy = rates.copy()
    bb.fit_moments(rates)
    bb.fit_moments(series)
    np.testing.assert_array_equal(rates, copy)
    pd.testing.assert_series_equal(series, pd.Series(copy))


def test_datasets_match_the_sums_used_here():
    # Guard for the reference computations above: the data are what the tests assume.
    assert (Y_FT.sum(), N_FT.sum()) == (238, 435)
    assert RATS.shape == (71, 2) and (Y_RAT[-1], N_RAT[-1]) == (4, 14)


def test_fit_moments_ddof_zero_uses_the_population_variance():
    rates = np.array([0.1, 0.25, 0.3, 0.05])
    alpha, beta = bb.fit_moments(rates, ddof=0)
    m, v = rates.mean(), rates.var(ddof=0)
    assert alpha / (alpha + beta) == pytest.approx(m)
    assert alpha * beta / ((alpha + beta) ** 2 * (alpha + beta + 1)) == pytest.approx(v)
    with pytest.raises(ValueError, match="ddof"):
        bb.fit_moments(rates, ddof=2)


def test_expect_warns_for_the_infinite_mean_of_alpha(rat_post):
    post = rat_post
    with pytest.warns(RuntimeWarning, match="may not exist"):
        post.expect(lambda a, b: a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        post.expect(lambda a, b: np.log(a))  # E[log alpha] exists: no warning


@pytest.mark.slow
def test_rat_normalizer_on_the_uv_grid_equals_a_plain_alpha_beta_grid(rat_post):
    """The Jacobian alpha * beta of eq-rt-jacobian: both grids integrate the same density.

    The plain grid covers alpha < 25, beta < 180 and misses P(alpha + beta > 180 | y),
    about 2e-6; without the Jacobian the two constants would differ by orders of magnitude.
    """
    posterior = rat_post
    alpha_axis = np.linspace(0.01, 25.0, 800)
    beta_axis = np.linspace(0.05, 180.0, 800)
    log_density = bb.log_marginal_posterior(Y_RAT, N_RAT, alpha_axis[:, None], beta_axis[None, :])
    plain = Grid2D(alpha_axis, beta_axis, log_density)
    uv = posterior.grid.log_normalizer
    assert abs(uv - plain.log_normalizer) < 1e-5 and uv > plain.log_normalizer
    assert 1 - posterior.grid.marginal("y").cdf(np.log(180.0)) < 1e-5
