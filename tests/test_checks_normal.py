"""Tests for companion.checks.normal: the brute-force checks of the normal hierarchical model
agree with the closed forms and reject wrong ones.

Three kinds of test:

* agreement: each check passes, to its (tight) tolerance, on several inputs;
* detection: the same comparison, fed a deliberately wrong closed form (the versions that
  circulate in lecture notes, and small perturbations of the right one), fails;
* the brute-force side on its own, against exact values computed by a route that shares
  nothing with it: log p(y | tau) under a normal prior on mu is a multivariate normal
  density (y = mu 1 + eta + epsilon with independent normal terms), and under the flat
  prior a Gaussian integral done by linear algebra.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from scipy import stats

from companion import checks, datasets, plots
from companion import normal_normal as nn
from companion.checks import normal as checks_normal
from companion.priors import FLAT

matplotlib.use("Agg")

SCHOOLS = datasets.eight_schools()
Y = SCHOOLS["y"].to_numpy()
SIGMA = SCHOOLS["sigma"].to_numpy()
SYNTH_Y = np.array([-2.0, 0.5, 3.0, 1.0, 40.0])
SYNTH_SIGMA = np.array([0.5, 1.0, 2.0, 0.7, 30.0])


# --- theta | mu, tau, y -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "sigma", "mu", "tau"),
    [
        (Y, SIGMA, 5.0, 8.0),
        (Y, SIGMA, 0.0, 0.3),
        (Y, SIGMA, -20.0, 60.0),
        (SYNTH_Y, SYNTH_SIGMA, 2.0, 1e-3),
        (SYNTH_Y, SYNTH_SIGMA, 2.0, 1e3),
    ],
)
def test_theta_conditional_agrees(y, sigma, mu, tau) -> None:
    result = checks.check_theta_conditional(y, sigma, mu, tau)
    assert result.passed and result.error < 1e-9, result


def test_theta_conditional_rejects_wrong_formulas() -> None:
    mu, tau = 5.0, 8.0
    mean, sd = nn.theta_given_mu_tau(Y, SIGMA, mu, tau)
    precision = 1 / SIGMA**2 + 1 / tau**2
    # Multiplying by the posterior precision instead of the variance (a circulating slip).
    wrong_mean = precision * (mu / tau**2 + Y / SIGMA**2)
    assert not checks.check_theta_conditional(Y, SIGMA, mu, tau, candidate=(wrong_mean, sd)).passed
    # Shrinkage weights swapped: tau^2/(sigma^2+tau^2) on mu instead of sigma^2/(...).
    b = SIGMA**2 / (SIGMA**2 + tau**2)
    swapped = (1 - b) * mu + b * Y
    assert not checks.check_theta_conditional(Y, SIGMA, mu, tau, candidate=(swapped, sd)).passed
    # The variance reported where the sd belongs.
    assert not checks.check_theta_conditional(Y, SIGMA, mu, tau, candidate=(mean, sd**2)).passed
    # A perturbation of one part in a million is detected too.
    nudged = mean + 1e-6 * sd
    assert not checks.check_theta_conditional(Y, SIGMA, mu, tau, candidate=(nudged, sd)).passed
    # The right values, computed independently, pass through the candidate path.
    right = (mean.copy(), np.sqrt(1 / precision))
    assert checks.check_theta_conditional(Y, SIGMA, mu, tau, candidate=right).passed


# --- y_j | mu, tau --------------------------------------------------------------------------------


@pytest.mark.parametrize(("mu", "tau"), [(0.0, 0.01), (7.7, 4.0), (-30.0, 25.0), (10.0, 500.0)])
def test_marginal_y_agrees_and_rejects(mu: float, tau: float) -> None:
    assert checks.check_marginal_y(Y, SIGMA, mu, tau).error < 1e-10
    sd_sum = stats.norm.logpdf(Y, mu, SIGMA + tau)  # sds added instead of variances
    assert not checks.check_marginal_y(Y, SIGMA, mu, tau, candidate=sd_sum).passed
    no_tau = stats.norm.logpdf(Y, mu, SIGMA)
    assert not checks.check_marginal_y(Y, SIGMA, mu, tau, candidate=no_tau).passed


def test_gauss_hermite_marginal_matches_quadrature() -> None:
    """The inner rule of the nested integrals against check_marginal_y's tanh-sinh."""
    for mu, tau in [(0.0, 1e-4), (8.0, 9.0), (8.0, 10.0), (-50.0, 15.0), (30.0, 1e4)]:
        quad = checks.check_marginal_y(Y, SIGMA, mu, tau).table["log density (quadrature)"]
        gh = checks_normal._gauss_hermite_log_p_y(Y, SIGMA, np.array(mu), np.array(tau))
        np.testing.assert_allclose(gh, quad.to_numpy(), rtol=0, atol=1e-12)


# --- mu | tau, y ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mu_prior", [FLAT, stats.norm(0, 5), stats.norm(40, 2)])
def test_mu_conditional_agrees(mu_prior) -> None:
    result = checks.check_mu_conditional(Y, SIGMA, [1e-6, 0.5, 6.0, 30.0, 400.0], mu_prior=mu_prior)
    assert result.passed and result.error < 1e-9, result


def test_mu_conditional_rejects_wrong_formulas() -> None:
    tau = np.array([2.0, 10.0])
    mean, sd = nn.mu_given_tau(Y, SIGMA, tau)
    w = 1 / SIGMA**2  # weights that forget tau
    forgets_tau = (np.full(2, w @ Y / w.sum()), sd)
    assert not checks.check_mu_conditional(Y, SIGMA, tau, candidate=forgets_tau).passed
    assert not checks.check_mu_conditional(Y, SIGMA, tau, candidate=(mean, sd**2)).passed
    # A normal prior that is ignored: the flat-prior answer is rejected.
    prior = stats.norm(0, 5)
    assert checks.check_mu_conditional(Y, SIGMA, tau, mu_prior=prior).passed
    assert not checks.check_mu_conditional(
        Y, SIGMA, tau, mu_prior=prior, candidate=(mean, sd)
    ).passed
    # The seed note's "mu_hat = 3" at tau = 0 (the pooled value is 7.69).
    pooled_mean, pooled_sd = nn.pooled_estimate(Y, SIGMA)
    limit = checks.check_mu_conditional(Y, SIGMA, 1e-6)
    assert limit.table["mean (quadrature)"].iloc[0] == pytest.approx(pooled_mean, rel=1e-9)
    assert limit.table["var (quadrature)"].iloc[0] == pytest.approx(pooled_sd**2, rel=1e-9)
    assert not checks.check_mu_conditional(Y, SIGMA, 1e-6, candidate=(3.0, pooled_sd)).passed


# --- p(tau | y) -----------------------------------------------------------------------------------


def _mvn_log_evidence(tau: float, y: np.ndarray, sigma: np.ndarray, m0: float, s0: float) -> float:
    """log p(y | tau) with mu ~ N(m0, s0^2): y ~ N(m0 1, diag(sigma^2 + tau^2) + s0^2 1 1')."""
    cov = np.diag(sigma**2 + tau**2) + s0**2 * np.ones((y.size, y.size))
    return float(stats.multivariate_normal(np.full(y.size, m0), cov).logpdf(y))


def _flat_log_evidence(tau: float, y: np.ndarray, sigma: np.ndarray) -> float:
    """log of the integral over mu of N(y | mu 1, D), D = diag(sigma^2 + tau^2).

    Completing the square in mu: with P = D^-1, a = 1'P1 and b = 1'Py, the integral is
    (2 pi)^(-(J-1)/2) det(D)^(-1/2) a^(-1/2) exp(-(y'Py - b^2 / a) / 2).
    """
    precision = np.diag(1.0 / (sigma**2 + tau**2))
    ones = np.ones(y.size)
    a, b = ones @ precision @ ones, ones @ precision @ y
    _, logdet = np.linalg.slogdet(precision)
    quad = y @ precision @ y - b * b / a
    return float(
        -0.5 * (y.size - 1) * np.log(2 * np.pi) + 0.5 * logdet - 0.5 * np.log(a) - 0.5 * quad
    )


@pytest.mark.parametrize(("m0", "s0"), [(0.0, 5.0), (10.0, 50.0), (-3.0, 0.5)])
def test_brute_tau_density_matches_exact_multivariate_normal(m0: float, s0: float) -> None:
    """With a normal prior on mu the brute force is log p(y | tau) itself, constant included."""
    taus = np.array([1e-3, 0.7, 5.0, 40.0, 3e3])
    brute = checks.brute_log_tau_density(Y, SIGMA, taus, mu_prior=stats.norm(m0, s0))
    exact = np.array([_mvn_log_evidence(t, Y, SIGMA, m0, s0) for t in taus])
    np.testing.assert_allclose(brute, exact, rtol=0, atol=1e-10)


def test_mu_integral_matches_exact_gaussian_integrals() -> None:
    """The integral over mu, flat or normal prior, from tau = 1e-6 to 1e6 (constant included)."""
    taus = np.array([1e-6, 0.3, 5.0, 30.0, 1e3, 1e6])
    flat = checks.brute_log_tau_density(Y, SIGMA, taus)
    exact = np.array([_flat_log_evidence(t, Y, SIGMA) for t in taus])
    np.testing.assert_allclose(flat, exact, rtol=0, atol=1e-11)
    normal = checks.brute_log_tau_density(Y, SIGMA, taus, mu_prior=stats.norm(0, 5))
    exact = np.array([_mvn_log_evidence(t, Y, SIGMA, 0.0, 5.0) for t in taus])
    np.testing.assert_allclose(normal, exact, rtol=0, atol=1e-11)
    # The same integral, computed together with the moments of mu, is the same number.
    log_mass, _, _ = checks_normal._brute_mu_integral(Y, SIGMA, taus, FLAT, moments=True)
    np.testing.assert_allclose(log_mass, flat, rtol=0, atol=1e-11)


@pytest.mark.parametrize(
    ("tau_prior", "mu_prior"),
    [(FLAT, FLAT), (stats.halfcauchy(scale=5), stats.norm(0, 5)), (stats.halfnorm(scale=10), FLAT)],
)
def test_tau_marginal_agrees(tau_prior, mu_prior) -> None:
    taus = np.geomspace(0.05, 200, 9)
    result = checks.check_tau_marginal(Y, SIGMA, taus, tau_prior=tau_prior, mu_prior=mu_prior)
    assert result.passed and result.error < 1e-10, result
    synth = checks.check_tau_marginal(SYNTH_Y, SYNTH_SIGMA, taus, mu_prior=mu_prior)
    assert synth.passed, synth


def _seed_tau_versions(taus: np.ndarray) -> dict[str, np.ndarray]:
    mu_hat, sd_mu = nn.mu_given_tau(Y, SIGMA, taus)
    scale = np.sqrt(SIGMA**2 + taus[:, None] ** 2)
    theta_hat, _ = nn.theta_given_mu_tau(Y, SIGMA, mu_hat, taus)
    denominator = stats.norm.logpdf(mu_hat, mu_hat, sd_mu)
    return {
        "right": stats.norm.logpdf(Y, mu_hat[:, None], scale).sum(axis=1) - denominator,
        "N(mu | theta_j, .)": stats.norm.logpdf(mu_hat[:, None], theta_hat, scale).sum(axis=1)
        - denominator,
        "no V_mu^(1/2)": stats.norm.logpdf(Y, mu_hat[:, None], scale).sum(axis=1),
        "V_mu^(-1/2)": stats.norm.logpdf(Y, mu_hat[:, None], scale).sum(axis=1) + denominator,
    }


def test_tau_marginal_and_factorization_reject_the_seed_versions(rng) -> None:
    taus = np.geomspace(0.5, 60, 7)
    versions = _seed_tau_versions(taus)
    assert checks.check_tau_marginal(Y, SIGMA, taus, candidate=versions.pop("right")).passed
    for name, values in versions.items():
        result = checks.check_tau_marginal(Y, SIGMA, taus, candidate=values)
        assert not result.passed and result.error > 0.05, name
    # The factorization check, which needs no integral, rejects them as well.
    k = taus.size
    theta = rng.normal(8, 12, size=(k, Y.size))
    mu = rng.normal(8, 6, size=k)
    assert checks.check_factorization(Y, SIGMA, theta, mu, taus).passed
    for name, values in _seed_tau_versions(taus).items():
        result = checks.check_factorization(Y, SIGMA, theta, mu, taus, candidate=values)
        assert result.passed == (name == "right"), name


@pytest.mark.parametrize(
    ("tau_prior", "mu_prior"), [(FLAT, FLAT), (stats.halfcauchy(scale=5), stats.norm(0, 5))]
)
def test_factorization_agrees_at_random_points(tau_prior, mu_prior, rng) -> None:
    k = 30
    tau = rng.uniform(0.05, 80, size=k)
    mu = rng.normal(5, 20, size=k)
    theta = rng.normal(5, 25, size=(k, Y.size))
    result = checks.check_factorization(
        Y, SIGMA, theta, mu, tau, tau_prior=tau_prior, mu_prior=mu_prior
    )
    assert result.passed and result.error < 1e-10, result


def test_factorization_detects_a_wrong_conditional(rng, monkeypatch) -> None:
    """Break p(theta | mu, tau, y) inside companion: the factorization check notices."""
    k = 10
    tau, mu = rng.uniform(1, 30, size=k), rng.normal(5, 10, size=k)
    theta = rng.normal(5, 15, size=(k, Y.size))
    original = nn.theta_given_mu_tau

    def swapped_shrinkage(y, sigma, mu, tau):
        mean, sd = original(y, sigma, mu, tau)
        return mean + 0.01, sd

    monkeypatch.setattr(nn, "theta_given_mu_tau", swapped_shrinkage)
    assert not checks.check_factorization(Y, SIGMA, theta, mu, tau).passed


@pytest.mark.slow
def test_expected_log_tau_agrees_and_rejects_the_published_reference() -> None:
    priors = {"tau_prior": stats.halfcauchy(scale=5), "mu_prior": stats.norm(0, 5)}
    result = checks.check_expected_log_tau(Y, SIGMA, **priors)
    assert result.passed, result
    assert round(float(result.table.iloc[0, 1]), 4) == 0.8021
    # The horizontal line drawn as "the true value" in the divergences case study's ports.
    assert not checks.check_expected_log_tau(Y, SIGMA, **priors, candidate=0.7657852).passed


def test_expected_log_tau_refuses_an_improper_posterior() -> None:
    """Two groups, flat priors: p(tau | y) ~ 1/tau, so log tau has no distribution at all."""
    with pytest.raises(ValueError, match="may not exist"):
        checks.check_expected_log_tau(Y[:2], SIGMA[:2], candidate=1.0)


@pytest.mark.parametrize("groups", [2, 3, 5, 8])
def test_tau_tail_exponents(groups: int) -> None:
    flat = checks.check_tau_tail(Y[:groups], SIGMA[:groups])
    assert flat.passed and flat.table["predicted slope"].iloc[0] == 1 - groups
    normal = checks.check_tau_tail(Y[:groups], SIGMA[:groups], mu_prior=stats.norm(0, 5))
    assert normal.passed and normal.table["predicted slope"].iloc[0] == -groups


# --- validation and figures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: checks.check_tau_marginal(Y, SIGMA, [1.0]), "tau must hold at least two"),
        (
            lambda: checks.check_tau_marginal(Y, SIGMA, [1.0, -2.0]),
            r"tau must be > 0; got \[1\]=-2.0",
        ),
        (lambda: checks.check_marginal_y(Y, -SIGMA, 0.0, 1.0), "sigma must be > 0"),
        (
            lambda: checks.check_marginal_y(Y, SIGMA[:3], 0.0, 1.0),
            "y, sigma must have the same length",
        ),
        (
            lambda: checks.check_theta_conditional(Y, SIGMA, 0.0, 1.0, tolerance=0),
            "tolerance must be > 0",
        ),
        (
            lambda: checks.check_theta_conditional(Y, SIGMA, 0.0, 1.0, candidate=[1.0]),
            "candidate must be a pair",
        ),
        (
            lambda: checks.check_tau_marginal(Y, SIGMA, [1.0, 2.0], candidate=[1.0]),
            r"candidate must have shape \(2,\)",
        ),
        (
            lambda: checks.check_mu_conditional(Y, SIGMA, 1.0, mu_prior=stats.cauchy()),
            "mu_prior must be a scipy.stats.norm",
        ),
        (
            lambda: checks.brute_log_tau_density(Y, SIGMA, [1.0], mu_prior=None),
            "mu_prior must be companion.priors.FLAT",
        ),
        (
            lambda: checks.check_tau_marginal(Y, SIGMA, [1.0, 2.0], tau_prior=None),
            "tau_prior must be companion.priors.FLAT",
        ),
        (
            lambda: checks.check_tau_tail(Y, SIGMA, tau=[10.0, 5.0]),
            "tau must hold at least two increasing",
        ),
        (
            lambda: checks.check_factorization(Y, SIGMA, np.zeros((2, 3)), [0.0, 1.0], [1.0, 2.0]),
            "theta must have one column per group",
        ),
        (lambda: plots.plot_tail_checks({}), "results must hold at least one"),
    ],
)
def test_invalid_input_raises_a_named_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_inputs_are_not_modified() -> None:
    y, sigma = Y.copy(), SIGMA.copy()
    checks.check_tau_marginal(y, sigma, np.array([1.0, 5.0]))
    checks.check_mu_conditional(y, sigma, np.array([2.0]))
    np.testing.assert_array_equal(y, Y)
    np.testing.assert_array_equal(sigma, SIGMA)


def test_figures_draw_every_result() -> None:
    import matplotlib.pyplot as plt

    taus = np.geomspace(0.5, 50, 6)
    versions = _seed_tau_versions(taus)
    results = {
        "closed form": checks.check_tau_marginal(Y, SIGMA, taus),
        "seed": checks.check_tau_marginal(Y, SIGMA, taus, candidate=versions["N(mu | theta_j, .)"]),
    }
    ax = plots.plot_density_check(results)
    assert len(ax.lines) == 3 and "rejected" in ax.get_legend().get_texts()[1].get_text()
    tails = {
        f"J = {j}": checks.check_tau_tail(Y[:j], SIGMA[:j], tau=[1e2, 1e3, 1e4]) for j in (2, 3)
    }
    ax = plots.plot_tail_checks(tails)
    assert len(ax.lines) == 4
    with pytest.raises(ValueError, match="is not a log-density check"):
        plots.plot_density_check({"x": checks.check_jacobian([0.0], [1.0])})
    with pytest.raises(ValueError, match="is not a tail check"):
        plots.plot_tail_checks({"x": results["closed form"]})
    plt.close("all")
