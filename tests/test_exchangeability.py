"""Tests of :mod:`companion.exchangeability`, in the order of the module.

Exchangeable sequences (permutation invariance for all, dependence only with a shared
rate), normal effects that share an uncertain mean, the pooling comparison, and the
identities of the chapter's formulas that used to be checked inside it.

Every expected value is computed independently of the function under test: a closed
form, an exact enumeration or integral, scipy's own distributions, or a Monte Carlo
estimate compared with a tolerance derived from its standard error (see :func:`_z`).
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import betaln, comb, expit

from companion import beta_binomial
from companion import exchangeability as ex

N = 200_000

# Monte Carlo tolerances. An estimate with standard error se is compared with the exact
# value it estimates as |estimate - exact| < z * se. By the central limit theorem the
# estimate is approximately N(exact, se^2), so a true claim fails one such comparison
# with probability 2 * (1 - Phi(z)); a test making c comparisons fails, by the union
# bound, with probability at most c * 2 * (1 - Phi(z)). _z(c) solves c * 2 * (1 - Phi(z))
# = _NOMINAL = 1e-7, which leaves a factor 10 below the required 1e-6 for the error of
# the normal approximation that far out in the tails. That error is, to first order, a
# factor exp(g z^3 / 6) on the tail, g the skewness of the estimate: an average of R
# terms of skewness g1 has g = g1 / sqrt(R), and with R >= 20 000 here (exceptions say
# why they are safe) the factor is below 2 at z < 6. One-sided comparisons solve
# c * (1 - Phi(z)) = _NOMINAL instead. For reference, _z(1) = 5.33, _z(8) = 5.69.
_NOMINAL = 1e-7


def _z(comparisons: int, *, sides: int = 2) -> float:
    """Return the normal quantile that keeps all ``comparisons`` of a true claim passing."""
    return float(stats.norm.isf(_NOMINAL / (sides * comparisons)))


def _binomial_se(p: float, n: int = N) -> float:
    """Standard error of the frequency of an event of probability ``p`` in ``n`` trials."""
    return math.sqrt(p * (1 - p) / n)


def _phi(cells: np.ndarray) -> float:
    """Correlation of two 0/1 variables with cell probabilities (p11, p10, p01, p00)."""
    p11, p10, p01, _ = cells
    p1, p2 = p11 + p10, p11 + p01
    return (p11 - p1 * p2) / math.sqrt(p1 * (1 - p1) * p2 * (1 - p2))


def _phi_se(cells: np.ndarray, n: int = N, step: float = 1e-6) -> float:
    """Asymptotic standard error of the sample correlation of ``n`` 0/1 pairs (delta method).

    The cell frequencies of ``n`` independent pairs have covariance
    ``(diag(p) - p p') / n``; the sample correlation is ``_phi`` of them, so its variance is
    ``g' (diag(p) - p p') g / n`` with ``g`` the gradient of ``_phi`` (central differences).
    The familiar ``(1 - r^2) / sqrt(n)`` holds for normal pairs only and is too small for
    skewed binary ones (for Beta(0.5, 4) by about 30 %).
    """
    cells = np.asarray(cells, dtype=float)
    gradient = np.array(
        [(_phi(cells + step * e) - _phi(cells - step * e)) / (2 * step) for e in np.eye(4)]
    )
    return math.sqrt(gradient @ (np.diag(cells) - np.outer(cells, cells)) @ gradient / n)


def _beta_bernoulli_cells(alpha: float, beta: float) -> np.ndarray:
    """Exact (p11, p10, p01, p00) of two terms sharing theta ~ Beta(alpha, beta)."""
    s = alpha + beta
    both = alpha * (alpha + 1) / (s * (s + 1))  # E[theta^2]
    mixed = alpha * beta / (s * (s + 1))  # E[theta (1 - theta)]
    neither = beta * (beta + 1) / (s * (s + 1))  # E[(1 - theta)^2]
    return np.array([both, mixed, mixed, neither])


# -- simulate_iid, simulate_beta_bernoulli, simulate_polya_urn, simulate_shared_mean --------

_SIMULATORS = {
    "iid": lambda rng: ex.simulate_iid(10, 50, p=0.4, rng=rng),
    "beta-bernoulli": lambda rng: ex.simulate_beta_bernoulli(10, 50, alpha=2.0, rng=rng),
    "polya-urn": lambda rng: ex.simulate_polya_urn(10, 50, rng=rng),
    "shared-mean": lambda rng: ex.simulate_shared_mean(10, 50, rng=rng),
}


@pytest.mark.parametrize("name", list(_SIMULATORS))
def test_simulations_have_the_documented_shape_and_use_the_seed(name: str) -> None:
    simulate = _SIMULATORS[name]
    a = simulate(8)
    assert a.shape == (50, 10)
    if name != "shared-mean":
        assert a.dtype == np.int8 and set(np.unique(a).tolist()) <= {0, 1}
    assert np.array_equal(a, simulate(8))
    # A generator is used, not copied: seeding one with 8 gives the same first draw,
    # and a second call continues its stream (two independent 50 x 10 draws coincide
    # with probability below 0.02^50).
    generator = np.random.default_rng(8)
    assert np.array_equal(simulate(generator), a)
    assert not np.array_equal(simulate(generator), a)


def test_polya_urn_has_the_law_of_the_beta_bernoulli_sequence() -> None:
    # De Finetti's representation: the number of ones in n draws of the urn (2, 5) is
    # BetaBinomial(n, 2, 5) exactly, so the fraction of ones has that law scaled by 1/n.
    n, replications, ones, zeros = 400, 20_000, 2.0, 5.0
    fraction = ex.simulate_polya_urn(n, replications, ones=ones, zeros=zeros, rng=4).mean(axis=1)
    mean, var, kurtosis = stats.betabinom(n, ones, zeros).stats(moments="mvk")
    mean, var = float(mean) / n, float(var) / n**2
    # var = var(theta) + E[theta (1 - theta)] / n, the law of total variance, exactly.
    s = ones + zeros
    assert var == pytest.approx(ones * zeros / (s**2 * (s + 1)) * (1 + s / n), rel=1e-12)
    z = _z(2)
    assert abs(fraction.mean() - mean) < z * math.sqrt(var / replications)
    # The sample variance has standard error var * sqrt((excess kurtosis + 2) / R).
    se_var = var * math.sqrt((float(kurtosis) + 2) / replications)
    assert abs(fraction.var() - var) < z * se_var


# -- pattern_probability -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "law"),
    [
        ({"p": 0.3}, lambda k, m: 0.3**k * 0.7 ** (m - k)),
        ({"p": 1.0}, lambda k, m: float(k == m)),
        ({}, lambda k, m: 1 / ((m + 1) * comb(m, k))),  # uniform rate: k! (m-k)! / (m+1)!
        (
            {"alpha": 0.5, "beta": 2.0},
            lambda k, m: stats.betabinom.pmf(k, m, 0.5, 2.0) / comb(m, k),
        ),
        (
            {"alpha": 4.0, "beta": 2.0},
            lambda k, m: stats.betabinom.pmf(k, m, 4.0, 2.0) / comb(m, k),
        ),
    ],
    ids=["iid", "iid-p1", "uniform", "beta(0.5,2)", "beta(4,2)"],
)
def test_pattern_probability_of_every_pattern_depends_only_on_the_count(kwargs, law) -> None:
    # Exact enumeration of all 2^5 patterns: every arrangement of k ones has the
    # probability of the closed form (scipy's beta-binomial shared among C(m, k) patterns).
    m = 5
    for pattern in product((0, 1), repeat=m):
        expected = law(sum(pattern), m)
        assert ex.pattern_probability(list(pattern), **kwargs) == pytest.approx(
            expected, rel=1e-12, abs=1e-300
        ), pattern


@pytest.mark.parametrize(
    ("alpha", "beta", "pattern"),
    [
        (1.0, 1.0, [1, 0, 0]),
        (2.0, 3.0, [0, 1, 1, 0, 1]),
        (0.5, 4.0, [1, 1]),
        (2.0, 3.0, [0] * 7),
    ],
)
def test_pattern_probability_is_the_integral_and_the_urn_product(alpha, beta, pattern) -> None:
    # eq-ex-pattern: the Beta-function form equals the integral over the rate ...
    k, m = sum(pattern), len(pattern)
    closed = ex.pattern_probability(pattern, alpha=alpha, beta=beta)
    integral, _ = integrate.quad(
        lambda t: t**k * (1 - t) ** (m - k) * stats.beta.pdf(t, alpha, beta), 0, 1
    )
    assert closed == pytest.approx(integral, rel=1e-8)
    # ... and the product of the urn's predictive probabilities eq-ex-urn along the pattern.
    ones_before = np.concatenate([[0], np.cumsum(pattern)[:-1]])
    next_one = (alpha + ones_before) / (alpha + beta + np.arange(m))
    urn_product = np.prod(np.where(np.array(pattern) == 1, next_one, 1 - next_one))
    assert closed == pytest.approx(urn_product, rel=1e-13)
    # The urn's predictive probability is the mean of the conjugate posterior eq-ex-conjugate.
    posterior = beta_binomial.conjugate_posterior([k], [m], prior=stats.beta(alpha, beta))
    assert posterior.mean()[0] == pytest.approx((alpha + k) / (alpha + beta + m), rel=1e-14)


# -- pattern_frequencies -------------------------------------------------------------------


def test_pattern_frequencies_counts_leading_patterns_by_hand() -> None:
    sequences = np.array([[1, 0, 1, 1], [1, 0, 1, 0], [0, 0, 0, 1], [1, 1, 1, 1]])
    frequencies = ex.pattern_frequencies(sequences, length=3)
    assert list(frequencies) == ["000", "001", "010", "011", "100", "101", "110", "111"]
    assert frequencies == {
        "000": 0.25,
        "001": 0.0,
        "010": 0.0,
        "011": 0.0,
        "100": 0.0,
        "101": 0.5,
        "110": 0.0,
        "111": 0.25,
    }
    assert ex.pattern_frequencies(sequences, length=1) == {"0": 0.25, "1": 0.75}


def _iid_law(pattern: list[int]) -> float:
    k = sum(pattern)
    return 0.3**k * 0.7 ** (len(pattern) - k)


def _beta_law(pattern: list[int]) -> float:
    k, m = sum(pattern), len(pattern)
    return math.exp(betaln(2.0 + k, 3.0 + m - k) - betaln(2.0, 3.0))


@pytest.mark.parametrize(
    ("simulate", "law"),
    [
        (lambda: ex.simulate_iid(6, N, p=0.3, rng=1), _iid_law),
        (lambda: ex.simulate_beta_bernoulli(6, N, alpha=2.0, beta=3.0, rng=2), _beta_law),
        (lambda: ex.simulate_polya_urn(6, N, ones=2.0, zeros=3.0, rng=3), _beta_law),
    ],
    ids=["iid", "beta-bernoulli", "polya-urn"],
)
def test_pattern_frequencies_match_exact_probabilities(simulate, law) -> None:
    frequencies = ex.pattern_frequencies(simulate(), length=3)
    assert math.fsum(frequencies.values()) == pytest.approx(1.0)
    z = _z(len(frequencies))  # 8 patterns, each a binomial frequency of N rows
    for pattern, frequency in frequencies.items():
        exact = law([int(c) for c in pattern])
        assert abs(frequency - exact) < z * _binomial_se(exact), pattern


# -- position_correlation, beta_bernoulli_correlation --------------------------------------


def test_position_correlation_picks_the_two_columns() -> None:
    x, noise, w = [1.0, 2.0, 3.0, 4.0, 6.0], [5.0, -1.0, 0.0, 2.0, 1.0], [2.0, 1.0, 5.0, 3.0, 9.0]
    sequences = np.column_stack([x, noise, w])
    dx, dw = np.subtract(x, np.mean(x)), np.subtract(w, np.mean(w))
    by_hand = float(dx @ dw / math.sqrt((dx @ dx) * (dw @ dw)))  # 15.6 / sqrt(14.8 * 40.8)
    assert ex.position_correlation(sequences, 0, 2) == pytest.approx(by_hand, rel=1e-12)
    assert ex.position_correlation(sequences, 2, 0) == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 1.0), (2.0, 3.0), (0.5, 4.0), (10.0, 10.0)])
def test_beta_bernoulli_correlation_is_var_theta_over_var_x(alpha: float, beta: float) -> None:
    # corr = cov(X_i, X_j) / var(X_i) from the exact joint law of two terms.
    cells = _beta_bernoulli_cells(alpha, beta)
    assert ex.beta_bernoulli_correlation(alpha, beta) == pytest.approx(_phi(cells), rel=1e-12)


def test_shared_rate_induces_exactly_the_predicted_correlation() -> None:
    params = [(1.0, 1.0), (2.0, 3.0), (0.5, 4.0), (10.0, 10.0)]
    z = _z(2 * len(params) + 1)
    for alpha, beta in params:
        cells = _beta_bernoulli_cells(alpha, beta)
        for sample in (
            ex.simulate_beta_bernoulli(3, N, alpha=alpha, beta=beta, rng=5),
            ex.simulate_polya_urn(3, N, ones=alpha, zeros=beta, rng=6),
        ):
            simulated = ex.position_correlation(sample, 0, 2)
            assert abs(simulated - _phi(cells)) < z * _phi_se(cells), (alpha, beta)
    # Independent terms: the sample correlation has standard error 1 / sqrt(N).
    independent = ex.simulate_iid(3, N, p=0.4, rng=7)
    assert abs(ex.position_correlation(independent)) < z / math.sqrt(N)


# -- shared_mean_correlation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("tau", "mu_sd", "exact"), [(2.0, 3.0, 9 / 13), (1.0, 0.5, 0.2), (0.0, 1.0, 1.0)]
)
def test_shared_mean_correlation_closed_form(tau: float, mu_sd: float, exact: float) -> None:
    assert ex.shared_mean_correlation(tau, mu_sd) == pytest.approx(exact, rel=1e-14)


def test_shared_mean_correlation_by_simulation(rng) -> None:
    # An independent simulation of theta_j = mu + tau z_j; the pairs are bivariate normal,
    # so the sample correlation has standard error (1 - rho^2) / sqrt(N).
    mu = rng.normal(0, 3.0, size=(N, 1))
    theta = mu + 2.0 * rng.standard_normal((N, 2))
    exact = ex.shared_mean_correlation(2.0, 3.0)
    assert abs(np.corrcoef(theta.T)[0, 1] - exact) < _z(1) * (1 - exact**2) / math.sqrt(N)


# -- simulate_shared_mean ------------------------------------------------------------------


@pytest.mark.parametrize(("tau", "mu_sd"), [(1.0, 0.5), (1.0, 3.0), (2.0, 1.0)])
def test_shared_mean_effects_have_the_predicted_moments(tau: float, mu_sd: float) -> None:
    # The effects are jointly normal: mean 2, variance s^2 + tau^2, covariance s^2.
    effects = ex.simulate_shared_mean(3, N, tau=tau, mu_sd=mu_sd, mu_mean=2.0, rng=5)
    assert effects.shape == (N, 3)
    z = _z(10)  # 3 means, 3 variances, 1 variance of a difference, 3 correlations
    total_var = tau**2 + mu_sd**2
    assert np.all(np.abs(effects.mean(axis=0) - 2.0) < z * math.sqrt(total_var / N))
    # A normal sample variance has standard error var * sqrt(2 / N).
    assert np.all(np.abs(effects.var(axis=0) - total_var) < z * total_var * math.sqrt(2 / N))
    # The difference of two groups does not involve the shared mean: variance 2 tau^2.
    diff_var = 2 * tau**2
    assert abs(np.var(effects[:, 0] - effects[:, 1]) - diff_var) < z * diff_var * math.sqrt(2 / N)
    exact = mu_sd**2 / total_var
    for first, second in [(0, 1), (0, 2), (1, 2)]:
        simulated = ex.position_correlation(effects, first, second)
        assert abs(simulated - exact) < z * (1 - exact**2) / math.sqrt(N)


def test_shared_mean_with_no_spread_makes_the_groups_identical() -> None:
    effects = ex.simulate_shared_mean(2, 100, tau=0.0, mu_sd=1.0, rng=6)
    assert np.array_equal(effects[:, 0], effects[:, 1])
    assert np.unique(effects[:, 0]).size == 100


# -- simulate_groups -----------------------------------------------------------------------


def test_simulate_groups_draws_trials_then_rates_then_successes() -> None:
    # The documented order, so the chapter's seed gives the data set it always gave.
    rng = np.random.default_rng(1)
    trials = rng.integers(5, 41, size=30)
    rates = rng.beta(4.0, 8.0, size=30)
    successes = rng.binomial(trials, rates)
    data = ex.simulate_groups(30, alpha=4.0, beta=8.0, min_trials=5, max_trials=40, rng=1)
    assert np.array_equal(data["trials"], trials)
    assert np.array_equal(data["rates"], rates)
    assert np.array_equal(data["successes"], successes)


def test_simulate_groups_respects_the_design() -> None:
    data = ex.simulate_groups(500, alpha=2.0, beta=5.0, min_trials=3, max_trials=9, rng=2)
    # All 7 sizes appear: one is missing from 500 uniform draws with probability at
    # most 7 (6/7)^500 < 1e-32.
    assert set(np.unique(data["trials"]).tolist()) == set(range(3, 10))
    assert np.all((data["successes"] >= 0) & (data["successes"] <= data["trials"]))
    assert np.all((data["rates"] > 0) & (data["rates"] < 1))
    # The rates are Beta(2, 5): their mean has standard error sd / sqrt(500). Only 500
    # terms, but of skewness 0.6, so g = 0.6 / sqrt(500) = 0.03 and exp(g z^3 / 6) < 2.
    rates_se = stats.beta(2, 5).std() / math.sqrt(500)
    assert abs(data["rates"].mean() - 2 / 7) < _z(1) * rates_se
    same = ex.simulate_groups(4, min_trials=200, max_trials=200, rng=3)
    assert same["trials"].tolist() == [200] * 4


# -- pooling_estimates, pooling_rmse, pooling_study ----------------------------------------


def _partial_pooling_by_quadrature(y: np.ndarray, n: np.ndarray, cells: int = 300) -> np.ndarray:
    """Return E[theta_j | y] for the hyperprior (alpha + beta)^(-5/2), on a fixed wide grid.

    A Riemann sum on a uniform grid in (u, v) = (log(alpha/beta), log(alpha+beta)), where the
    hyperprior density is alpha beta (alpha + beta)^(-5/2) (the Jacobian of the change of
    variables), times the beta-binomial likelihood; E[theta_j | alpha, beta, y] is
    (alpha + y_j) / (alpha + beta + n_j). Independent of the adaptive grid of
    :func:`companion.beta_binomial.hyper_posterior`.
    """
    u, v = np.meshgrid(np.linspace(-8, 6, cells), np.linspace(-6, 16, cells), indexing="ij")
    a, b = np.exp(v) * expit(u), np.exp(v) * expit(-u)
    log_density = np.log(a) + np.log(b) - 2.5 * v
    log_density += (betaln(a[..., None] + y, b[..., None] + n - y) - betaln(a, b)[..., None]).sum(
        axis=-1
    )
    weight = np.exp(log_density - log_density.max())
    rim = np.concatenate([weight[0], weight[-1], weight[:, 0], weight[:, -1]])
    assert rim.max() < 1e-6  # the grid holds the whole posterior
    mean = (a[..., None] + y) / ((a + b)[..., None] + n)
    return np.tensordot(weight / weight.sum(), mean, axes=([0, 1], [0, 1]))


@pytest.mark.slow
def test_pooling_estimates_are_the_three_estimators() -> None:
    data = ex.simulate_groups(30, rng=1)
    y, n = data["successes"], data["trials"]
    y_before, n_before = y.copy(), n.copy()
    estimates = ex.pooling_estimates(y, n)
    assert list(estimates) == list(ex.POOLING)
    np.testing.assert_array_equal(estimates["no pooling"], y / n)
    np.testing.assert_allclose(estimates["complete pooling"], y.sum() / n.sum(), rtol=1e-15)
    # The exact posterior means agree with an independent quadrature (which agrees with
    # itself at half the resolution to 1e-9, so 1e-5 is all grid error of either) ...
    reference = _partial_pooling_by_quadrature(y, n)
    np.testing.assert_allclose(estimates["partial pooling"], reference, rtol=0, atol=1e-5)
    # ... shrink the raw proportions together, and the small grid of the study is within
    # the documented 1e-3.
    assert estimates["partial pooling"].std() < estimates["no pooling"].std()
    small = ex.pooling_estimates(y, n, size=64)["partial pooling"]
    np.testing.assert_allclose(small, reference, rtol=0, atol=1e-3)
    assert np.array_equal(y, y_before) and np.array_equal(n, n_before)


def test_pooling_rmse_by_hand() -> None:
    errors = ex.pooling_rmse({"b": [0.1, 0.5], "a": [0.2, 0.2]}, [0.2, 0.4])
    assert list(errors) == ["b", "a"]
    assert errors["b"] == pytest.approx(0.1)
    assert errors["a"] == pytest.approx(math.sqrt(0.04 / 2))


def test_pooling_study_scores_each_simulated_data_set() -> None:
    study = ex.pooling_study(3, groups=12, min_trials=100, max_trials=100, rng=4)
    assert study.shape == (3, 3) and list(study.columns) == list(ex.POOLING)
    assert study.index.name == "replication"
    # The documented recipe, by hand: successive data sets from one generator.
    generator = np.random.default_rng(4)
    for replication in range(3):
        data = ex.simulate_groups(12, min_trials=100, max_trials=100, rng=generator)
        y, n, truth = data["successes"], data["trials"], data["rates"]
        by_hand = {
            "no pooling": y / n,
            "complete pooling": np.full(12, y.sum() / n.sum()),
            "partial pooling": ex.pooling_estimates(y, n, size=64)["partial pooling"],
        }
        for name, estimate in by_hand.items():
            rmse = math.sqrt(np.mean((estimate - truth) ** 2))
            assert study.loc[replication, name] == pytest.approx(rmse, rel=1e-12)


@pytest.mark.slow
def test_partial_pooling_tracks_the_better_extreme_over_many_data_sets() -> None:
    # The claims of the chapter's third exercise, on more data sets than the chapter runs.
    # Each claim E[a] < c E[b] about mean RMSEs is tested on the paired differences
    # d = a - c b of the R = 30 data sets by a one-sided t test: it fails only if
    # mean(d) > t * sd(d) / sqrt(R) with t the Student quantile (R - 1 df) at level
    # _NOMINAL / 9 (9 claims). Each d is a difference of root mean squares over 30
    # groups, close to normal, so a true claim (E[d] <= 0) fails with probability
    # below 1e-6.
    designs = {
        "as above": {},
        "200 trials each": {"min_trials": 200, "max_trials": 200},
        "narrow population": {"alpha": 40.0, "beta": 80.0},
    }
    studies = {name: ex.pooling_study(30, rng=70, **d) for name, d in designs.items()}
    extremes = ("no pooling", "complete pooling")
    claims = [(name, "partial pooling", 1.05, other) for name in designs for other in extremes]
    claims += [
        ("as above", "partial pooling", 0.9, "no pooling"),
        ("200 trials each", "no pooling", 0.5, "complete pooling"),
        ("narrow population", "complete pooling", 0.5, "no pooling"),
    ]
    assert len(claims) == 9
    replications = 30
    t = stats.t.isf(_NOMINAL / len(claims), replications - 1)
    for name, smaller, factor, larger in claims:
        d = studies[name][smaller] - factor * studies[name][larger]
        assert d.mean() < t * d.std(ddof=1) / math.sqrt(replications), (name, smaller, larger)


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: ex.simulate_iid(0, 10), "length"),
        (lambda: ex.simulate_iid(5, 10, p=1.5), "p"),
        (lambda: ex.simulate_beta_bernoulli(5, 10, alpha=0), "alpha"),
        (lambda: ex.simulate_polya_urn(5, 0), "replications"),
        (lambda: ex.simulate_polya_urn(5, 10, zeros=-1), "zeros"),
        (lambda: ex.pattern_probability([0, 2]), "pattern"),
        (lambda: ex.pattern_frequencies(np.zeros((4, 2)), length=3), "length"),
        (lambda: ex.position_correlation(np.zeros((4, 2)), 0, 5), "second"),
        (lambda: ex.position_correlation(np.zeros((4, 2))), "no variation"),
        (lambda: ex.shared_mean_correlation(-1, 1), "tau"),
        (lambda: ex.simulate_shared_mean(0, 10), "groups"),
        (lambda: ex.simulate_shared_mean(2, 0), "replications"),
        (lambda: ex.simulate_shared_mean(2, 10, tau=-1.0), "tau"),
        (lambda: ex.simulate_shared_mean(2, 10, mu_sd=0.0), "mu_sd"),
        (lambda: ex.simulate_shared_mean(2, 10, mu_mean=np.nan), "mu_mean"),
        (lambda: ex.simulate_groups(0), "groups"),
        (lambda: ex.simulate_groups(5, alpha=0.0), "alpha"),
        (lambda: ex.simulate_groups(5, min_trials=0), "min_trials"),
        (lambda: ex.simulate_groups(5, min_trials=10, max_trials=9), "max_trials"),
        (lambda: ex.pooling_estimates([3, 2], [2, 2]), "successes"),
        (lambda: ex.pooling_rmse({}, [0.1, 0.2]), "estimates"),
        (lambda: ex.pooling_rmse({"x": [0.1]}, [0.1, 0.2]), "estimates"),
        (lambda: ex.pooling_rmse({"x": [0.1, 0.2]}, [0.1, np.inf]), "truth"),
        (lambda: ex.pooling_study(0), "replications"),
    ],
)
def test_invalid_input_raises_a_named_value_error(call, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()
