"""Rankings, the largest effect and a new group: exact values against independent ones.

The exact methods of ``TauPosterior`` (``prob_greater``, ``prob_largest``, ``max_cdf``,
``max_pdf``, ``max_quantiles``, ``theta_pdf`` and the ``new_group_*`` family) are
checked three ways:

* given tau, against computations that do not use their decomposition: the orthant
  probabilities of the multivariate normal theta | tau, y (SciPy's Genz integration) and
  brute-force trapezoid integration over mu of the closed forms of
  ``theta_given_mu_tau`` and ``mu_given_tau``;
* over tau, against adaptive quadrature (``scipy.integrate.quad``) of the same
  conditional quantities;
* against 10^6 exact draws (``TauPosterior.sample``), within 4 Monte Carlo standard
  errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from companion import normal_normal as nn
from companion.datasets import eight_schools

SCHOOLS = eight_schools()
Y = SCHOOLS["y"].to_numpy()
SIGMA = SCHOOLS["sigma"].to_numpy()
DRAWS = 1_000_000


@pytest.fixture(scope="module")
def posterior() -> nn.TauPosterior:
    return nn.tau_posterior(Y, SIGMA)


@pytest.fixture(scope="module")
def posterior_weak() -> nn.TauPosterior:
    return nn.tau_posterior(
        Y, SIGMA, tau_prior=stats.halfcauchy(scale=5), mu_prior=stats.norm(0, 5)
    )


@pytest.fixture(scope="module")
def draws(posterior: nn.TauPosterior) -> dict[str, np.ndarray]:
    return posterior.sample(DRAWS, rng=20261121)


@pytest.fixture(scope="module")
def draws_weak(posterior_weak: nn.TauPosterior) -> dict[str, np.ndarray]:
    return posterior_weak.sample(DRAWS, rng=11)


def conditional_normal(tau: float, mu_prior=None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of theta | tau, y from the public closed forms only."""
    mu_mean, mu_sd = nn.mu_given_tau(Y, SIGMA, tau, mu_prior=mu_prior)
    at_zero, sd = nn.theta_given_mu_tau(Y, SIGMA, 0.0, tau)
    at_one, _ = nn.theta_given_mu_tau(Y, SIGMA, 1.0, tau)
    slope = at_one - at_zero  # B_j: theta_j | mu, tau, y has mean B_j mu + (1 - B_j) y_j
    mean = at_zero + slope * mu_mean
    cov = np.diag(sd**2) + np.outer(slope, slope) * mu_sd**2
    return mean, cov


def mvn_cdf(upper: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    return float(
        stats.multivariate_normal.cdf(
            upper, mean, cov, abseps=1e-6, releps=1e-6, rng=np.random.default_rng(0)
        )
    )


def within_4_se(estimate: np.ndarray, exact: np.ndarray, n: int = DRAWS) -> bool:
    se = np.sqrt(np.maximum(exact * (1 - exact), 1e-12) / n)
    return bool(np.all(np.abs(estimate - exact) < 4 * se))


# --- given tau: the decomposition against the multivariate normal ------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("tau", [0.5, 3.0, 40.0])
def test_largest_given_tau_matches_mvn_orthant_probabilities(
    posterior: nn.TauPosterior, tau: float
) -> None:
    mean, cov = conditional_normal(tau)
    reference = []
    for i in range(Y.size):
        contrast = -np.delete(np.eye(Y.size), i, axis=0)
        contrast[:, i] = 1.0  # rows: theta_i - theta_k, k != i
        # P(A theta > 0) = P(W < A m) with W ~ N(0, A C A').
        reference.append(
            mvn_cdf(contrast @ mean, np.zeros(Y.size - 1), contrast @ cov @ contrast.T)
        )
    exact = posterior._largest_given_tau(np.array([tau]))[0]
    np.testing.assert_allclose(exact, reference, atol=5e-6)


@pytest.mark.parametrize("tau", [1e-3, 0.05, 3.0, 40.0])
def test_max_given_tau_matches_brute_force_over_mu(posterior: nn.TauPosterior, tau: float) -> None:
    """P(max theta <= x | tau, y) = int N(mu | mu_hat, V_mu) prod_j Phi((x - a_j(mu)) / s_j) dmu."""
    mu_mean, mu_sd = nn.mu_given_tau(Y, SIGMA, tau)
    xs = np.array([-5.0, 7.7, 12.0, 25.0])
    exact_cdf, exact_pdf = posterior._max_given_tau(xs, np.array([tau]))
    for i, x in enumerate(xs):
        # The integrand steps where x = a_j(mu), over a width s_j / B_j that is tiny when
        # tau is: a trapezoid grid that is fine around every step.
        at_zero, sd0 = nn.theta_given_mu_tau(Y, SIGMA, 0.0, tau)
        slope = nn.theta_given_mu_tau(Y, SIGMA, 1.0, tau)[0] - at_zero
        steps, widths = (x - at_zero) / slope, sd0 / slope
        mu = np.unique(
            np.concatenate(
                [np.linspace(mu_mean - 12 * mu_sd, mu_mean + 12 * mu_sd, 200_001)]
                + [
                    np.linspace(c - 15 * w, c + 15 * w, 20_001)
                    for c, w in zip(steps, widths, strict=True)
                ]
            )
        )
        mean, sd = nn.theta_given_mu_tau(Y, SIGMA, mu, tau)
        density = stats.norm.pdf(mu, mu_mean, mu_sd)
        z = (x - mean) / sd
        cdf = np.prod(special.ndtr(z), axis=1)
        assert exact_cdf[0, i] == pytest.approx(np.trapezoid(density * cdf, mu), abs=1e-8)
        pdf = np.sum(
            stats.norm.pdf(z) / sd * cdf[:, None] / np.maximum(special.ndtr(z), 1e-300), axis=1
        )
        assert exact_pdf[0, i] == pytest.approx(np.trapezoid(density * pdf, mu), abs=1e-8)


@pytest.mark.slow
@pytest.mark.parametrize("tau", [3.0, 40.0])
def test_max_given_tau_matches_mvn_cdf(posterior: nn.TauPosterior, tau: float) -> None:
    mean, cov = conditional_normal(tau)
    xs = np.array([0.0, 10.0, 20.0])
    exact, _ = posterior._max_given_tau(xs, np.array([tau]))
    reference = [mvn_cdf(np.full(Y.size, x), mean, cov) for x in xs]
    np.testing.assert_allclose(exact[0], reference, atol=5e-6)


# --- over tau: against adaptive quadrature and exact draws -------------------------------------


def _over_log_tau(post: nn.TauPosterior, f) -> float:
    """int f(tau) p(tau | y) dtau by adaptive quadrature in log tau."""

    def integrand(u: float) -> float:
        tau = math.exp(u)
        return f(tau) * float(post.pdf(tau)) * tau

    return integrate.quad(integrand, -30, 8, points=[0, 1, 2, 3], epsabs=1e-12, limit=400)[0]


@pytest.mark.slow
def test_max_cdf_matches_adaptive_quadrature_over_tau(posterior: nn.TauPosterior) -> None:
    x = 28.4
    reference = _over_log_tau(
        posterior, lambda t: float(posterior._max_given_tau(np.array([x]), np.array([t]))[0][0, 0])
    )
    assert float(posterior.max_cdf(x)[0]) == pytest.approx(reference, abs=1e-9)


def test_prob_greater_matches_quadrature_and_draws(
    posterior: nn.TauPosterior, draws: dict[str, np.ndarray]
) -> None:
    exact = posterior.prob_greater()

    def a_above_c(tau: float) -> float:
        # theta_A - theta_C | tau, y is normal: mean m_A - m_C, and variance V_A + V_C plus
        # (B_A - B_C)^2 V_mu from the shared mu.
        mean, _ = conditional_normal(tau)
        _, sd = nn.theta_given_mu_tau(Y, SIGMA, 0.0, tau)
        _, mu_sd = nn.mu_given_tau(Y, SIGMA, tau)
        slope = (
            nn.theta_given_mu_tau(Y, SIGMA, 1.0, tau)[0]
            - nn.theta_given_mu_tau(Y, SIGMA, 0.0, tau)[0]
        )
        var = sd[0] ** 2 + sd[2] ** 2 + (slope[0] - slope[2]) ** 2 * mu_sd**2
        return float(stats.norm.cdf((mean[0] - mean[2]) / math.sqrt(var)))

    assert exact[0, 2] == pytest.approx(_over_log_tau(posterior, a_above_c), abs=1e-9)
    theta = draws["theta"]
    empirical = (theta[:, :, None] > theta[:, None, :]).mean(axis=0)
    assert within_4_se(empirical, exact)
    off = ~np.eye(Y.size, dtype=bool)
    np.testing.assert_allclose((exact + exact.T)[off], 1.0, atol=1e-12)
    assert np.all(np.diag(exact) == 0.0)


@pytest.mark.parametrize("which", ["bda3", "weak"])
def test_prob_largest_matches_exact_draws(which: str, request) -> None:
    post = request.getfixturevalue("posterior" if which == "bda3" else "posterior_weak")
    sample = request.getfixturevalue("draws" if which == "bda3" else "draws_weak")
    exact = post.prob_largest()
    assert exact.sum() == pytest.approx(1.0, abs=1e-10)
    counts = np.bincount(sample["theta"].argmax(axis=1), minlength=Y.size) / DRAWS
    assert within_4_se(counts, exact)


def test_prob_largest_printed_values(posterior: nn.TauPosterior) -> None:
    exact = posterior.prob_largest()
    assert exact.round(3).tolist() == [0.252, 0.102, 0.084, 0.099, 0.051, 0.071, 0.205, 0.138]


def test_quadrature_has_converged(posterior: nn.TauPosterior, monkeypatch) -> None:
    """Doubling every node count moves the results by less than 1e-8."""
    xs = np.array([0.0, 15.0, 28.4, 45.0])
    base = (posterior.prob_largest(), *posterior._max_cdf_pdf(xs))
    for name in ("_TAU_NODES", "_Z_NODES", "_T_NODES", "_WINDOW_NODES"):
        monkeypatch.setattr(nn, name, 2 * getattr(nn, name))
    finer = (posterior.prob_largest(), *posterior._max_cdf_pdf(xs))
    for a, b in zip(base, finer, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-8)


def test_two_groups_reduce_to_one_comparison() -> None:
    """With J = 2, 'theta_1 is the largest' is 'theta_1 > theta_2'."""
    post = nn.tau_posterior(
        [10.0, 2.0], [5.0, 8.0], tau_prior=stats.halfcauchy(scale=5), mu_prior=stats.norm(0, 10)
    )
    largest = post.prob_largest()
    greater = post.prob_greater()
    assert largest[0] == pytest.approx(greater[0, 1], abs=1e-9)
    assert largest.sum() == pytest.approx(1.0, abs=1e-9)


def test_permuting_groups_permutes_the_probabilities(rng) -> None:
    order = rng.permutation(Y.size)
    a = nn.tau_posterior(Y, SIGMA).prob_largest()
    b = nn.tau_posterior(Y[order], SIGMA[order]).prob_largest()
    np.testing.assert_allclose(b, a[order], atol=1e-10)


# --- the distribution of the largest effect ------------------------------------------------------


@pytest.mark.parametrize("which", ["bda3", "weak"])
def test_max_cdf_matches_exact_draws(which: str, request) -> None:
    post = request.getfixturevalue("posterior" if which == "bda3" else "posterior_weak")
    sample = request.getfixturevalue("draws" if which == "bda3" else "draws_weak")
    largest = sample["theta"].max(axis=1)
    xs = np.array([-5.0, 5.0, 10.0, 15.0, 20.0, 28.4, 40.0])
    empirical = (largest[:, None] <= xs).mean(axis=0)
    assert within_4_se(empirical, post.max_cdf(xs))


def test_max_pdf_is_the_derivative_of_max_cdf(posterior: nn.TauPosterior) -> None:
    xs = np.linspace(-30.0, 80.0, 441)
    cdf, pdf = posterior.max_cdf(xs), posterior.max_pdf(xs)
    integrated = integrate.cumulative_simpson(pdf, x=xs, initial=0.0) + cdf[0]
    np.testing.assert_allclose(integrated, cdf, atol=2e-6)
    h = 1e-4
    for x in [3.0, 14.8, 30.0]:
        slope = (posterior.max_cdf(x + h)[0] - posterior.max_cdf(x - h)[0]) / (2 * h)
        assert posterior.max_pdf(x)[0] == pytest.approx(slope, rel=1e-6)


def test_max_quantiles_invert_max_cdf(posterior: nn.TauPosterior) -> None:
    q = np.array([0.025, 0.5, 0.975])
    values = posterior.max_quantiles(q)
    np.testing.assert_allclose(posterior.max_cdf(values), q, atol=1e-9)
    # The largest effect is stochastically larger than every single effect.
    assert np.all(values >= posterior.theta_quantiles(q).max(axis=1))


def test_theta_pdf_is_the_derivative_of_theta_cdf(posterior: nn.TauPosterior) -> None:
    h = 1e-4
    xs = np.array([-10.0, 5.0, 28.0])
    slope = (posterior.theta_cdf(xs + h) - posterior.theta_cdf(xs - h)) / (2 * h)
    np.testing.assert_allclose(posterior.theta_pdf(xs), slope, rtol=1e-6)
    grid = np.linspace(-150, 200, 3501)
    np.testing.assert_allclose(np.trapezoid(posterior.theta_pdf(grid), grid, axis=0), 1, atol=1e-8)


# --- a new group ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma_new", [0.0, 10.0])
def test_new_group_cdf_matches_quadrature(posterior: nn.TauPosterior, sigma_new: float) -> None:
    x = 20.0

    def given_tau(tau: float) -> float:
        mean, sd = nn.mu_given_tau(Y, SIGMA, tau)
        return float(stats.norm.cdf(x, mean, math.sqrt(tau**2 + sd**2 + sigma_new**2)))

    reference = _over_log_tau(posterior, given_tau)
    assert float(posterior.new_group_cdf(x, sigma_new)[0]) == pytest.approx(reference, abs=1e-8)


@pytest.mark.parametrize("sigma_new", [0.0, 10.0])
def test_new_group_matches_posterior_predictive_draws(
    posterior: nn.TauPosterior, draws: dict[str, np.ndarray], sigma_new: float
) -> None:
    predicted = nn.posterior_predictive(draws, sigma_new, new_group=True, rng=5)
    xs = np.array([-20.0, 0.0, 7.7, 20.0, 40.0])
    empirical = (predicted[:, None] <= xs).mean(axis=0)
    assert within_4_se(empirical, posterior.new_group_cdf(xs, sigma_new))
    mean, sd = posterior.new_group_moments(sigma_new)
    assert abs(predicted.mean() - mean) < 4 * sd / math.sqrt(DRAWS)
    assert predicted.std() == pytest.approx(sd, rel=0.01)


def test_new_group_pdf_quantiles_and_moments_agree(posterior: nn.TauPosterior) -> None:
    # p(tau | y) ~ tau^-7 in the tail, so the predictive density has tails like |x|^-7:
    # a wide range.
    grid = np.linspace(-4000.0, 4000.0, 40_001)
    pdf = posterior.new_group_pdf(grid, 10.0)
    assert np.trapezoid(pdf, grid) == pytest.approx(1.0, abs=1e-9)
    mean, sd = posterior.new_group_moments(10.0)
    assert np.trapezoid(grid * pdf, grid) == pytest.approx(mean, abs=1e-6)
    assert np.sqrt(np.trapezoid((grid - mean) ** 2 * pdf, grid)) == pytest.approx(sd, rel=1e-6)
    q = np.array([0.025, 0.5, 0.975])
    np.testing.assert_allclose(
        posterior.new_group_cdf(posterior.new_group_quantiles(q, 10.0), 10.0), q, atol=1e-9
    )
    # With sigma = 0 the new effect's mean is E[mu | y].
    mu_mean = posterior.expect(lambda t: posterior.mu_given_tau(t)[0])
    assert posterior.new_group_moments()[0] == pytest.approx(float(mu_mean), rel=1e-12)


def test_new_group_moments_warn_when_the_variance_does_not_exist() -> None:
    # Uniform prior with J = 4: p(tau | y) ~ tau^-3, so E[tau^2 | y] is infinite.
    post = nn.tau_posterior(Y[:4], SIGMA[:4])
    with pytest.warns(RuntimeWarning, match="may not exist"):
        post.new_group_moments()


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda p: p.max_cdf([0.0, np.nan]), "x"),
        (lambda p: p.max_pdf("a"), "x"),
        (lambda p: p.max_quantiles([0.5, 1.0]), "q"),
        (lambda p: p.theta_pdf([np.inf]), "x"),
        (lambda p: p.new_group_cdf(0.0, -1.0), "sigma"),
        (lambda p: p.new_group_pdf(0.0, [1.0, 2.0]), "sigma"),
        (lambda p: p.new_group_quantiles([0.0], 1.0), "q"),
        (lambda p: p.new_group_moments(np.nan), "sigma"),
    ],
)
def test_invalid_input_raises_a_named_value_error(posterior, call, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call(posterior)


def test_inputs_are_not_modified(posterior: nn.TauPosterior) -> None:
    xs = np.array([1.0, 2.0, 3.0])
    q = np.array([0.25, 0.75])
    posterior.max_cdf(xs)
    posterior.max_pdf(xs)
    posterior.new_group_cdf(xs)
    posterior.new_group_quantiles(q)
    posterior.max_quantiles(q)
    assert xs.tolist() == [1.0, 2.0, 3.0] and q.tolist() == [0.25, 0.75]


def test_module_level_prob_largest() -> None:
    np.testing.assert_allclose(
        nn.prob_largest(Y, SIGMA), nn.tau_posterior(Y, SIGMA).prob_largest(), atol=1e-12
    )
