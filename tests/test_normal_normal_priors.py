"""companion.normal_normal under the tau priors of the tau-priors chapter, by an independent route.

Two things the chapter states that tests/test_priors.py does not check independently:

1. The closed form of the prior on tau induced by InvGamma(eps, eps) on tau^2,
   p(tau) = 2 eps^eps / Gamma(eps) tau^(-2 eps - 1) exp(-eps / tau^2)   (eq-tp-invgamma),
   and its limit, the density of log tau tending to a constant as eps -> 0. The existing
   test_gelmans_inverse_gamma_epsilon_prior compares logpdf with
   variance.logpdf(t**2) + log(2 t), which is the implementation itself.
2. The numbers of the chapter's tables (median of tau, E[theta_A | y], Pr(theta_A > 28 | y)
   under eleven prior choices, and the three-schools quantiles), recomputed by a route that
   shares no code with companion.normal_normal: y | tau is multivariate normal
   (mu ~ N(m0, s0^2) integrated out; a flat mu is the limit s0 -> infinity of
   s0 p(y | tau), taken at each tau with s0 = 1000 (max sigma + tau), a relative error below
   1e-6), theta_A | y, tau by Gaussian conditioning on the same covariance, and
   tanh-sinh quadrature in u = log tau.
   Each printed value v (rounded to d decimals) is checked by bracketing:
   F(v - h) < 1/2 < F(v + h) with h half a unit of the last decimal for the median, and
   |reference - v| <= h for the others.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from companion import normal_normal as nn
from companion import priors
from companion.datasets import eight_schools

SCHOOLS = eight_schools()
Y = SCHOOLS["y"].to_numpy(dtype=float)
SIGMA = SCHOOLS["sigma"].to_numpy(dtype=float)
FLAT = None  # mu_prior=(0.0, FLAT): the flat prior on mu, as a limit (see _scale)


def _invgamma_on_tau_closed_form(eps: float, tau: np.ndarray) -> np.ndarray:
    """log p(tau) for InvGamma(eps, eps) on tau^2, typed out from eq-tp-invgamma."""
    return (
        math.log(2.0)
        + eps * math.log(eps)
        - special.gammaln(eps)
        - (2 * eps + 1) * np.log(tau)
        - eps / tau**2
    )


@pytest.mark.parametrize("eps", [1.0, 0.01, 0.001])
def test_invgamma_epsilon_prior_on_tau_is_the_closed_form(eps: float) -> None:
    prior = priors.tau_prior_from_variance(stats.invgamma(eps, scale=eps))
    tau = np.geomspace(0.05, 1e4, 40)
    np.testing.assert_allclose(
        prior.logpdf(tau), _invgamma_on_tau_closed_form(eps, tau), rtol=1e-12, atol=1e-12
    )


def test_invgamma_epsilon_prior_tends_to_uniform_on_log_tau() -> None:
    # The density of u = log tau is tau p(tau) ~ tau^(-2 eps) exp(-eps / tau^2): between
    # tau = 1 and tau = 20 it varies by a factor that tends to 1 as eps -> 0.
    ratios = []
    for eps in (1.0, 0.01, 0.001, 1e-6):
        prior = priors.tau_prior_from_variance(stats.invgamma(eps, scale=eps))
        ratios.append(float(1.0 * prior.pdf(1.0) / (20.0 * prior.pdf(20.0))))
    assert ratios[0] > 100  # IG(1, 1): far more mass per unit of log tau near 1 than near 20
    assert abs(ratios[-1] - 1) < 1e-5
    assert abs(ratios[3] - 1) < abs(ratios[2] - 1) < abs(ratios[1] - 1) < abs(ratios[0] - 1)


# --- an independent route to the chapter's numbers ------------------------------------------


def _scale(sigma, tau, s0):
    """The prior sd of mu at each tau: s0, or for the flat prior 1000 (max sigma + tau)."""
    return 1e3 * (sigma.max() + tau) if s0 is FLAT else np.full_like(tau, s0)


def _moments(y, sigma, tau, m0, s0):
    """Cov(y | tau), Cov(theta_1, y | tau) and Var(theta_1 | tau), mu integrated out."""
    tau = np.asarray(tau, dtype=float)
    s = _scale(sigma, tau, s0)[:, None, None]
    j = y.size
    cov = s**2 * np.ones((j, j)) + np.eye(j) * (sigma**2 + tau[:, None, None] ** 2)
    cross = s[:, :, 0] ** 2 + tau[:, None] ** 2 * (np.arange(j) == 0)
    return cov, cross, s[:, 0, 0] ** 2 + tau**2


def _log_marginal(y, sigma, tau, m0, s0):
    """log p(y | tau) up to a constant; for the flat prior, log of s0 p(y | tau)."""
    cov, _, _ = _moments(y, sigma, tau, m0, s0)
    resid = y - m0
    _, logdet = np.linalg.slogdet(cov)
    quad = np.einsum("i,nij,j->n", resid, np.linalg.inv(cov), resid)
    extra = np.log(_scale(sigma, np.asarray(tau, dtype=float), s0)) if s0 is FLAT else 0.0
    return -0.5 * (logdet + quad) + extra


def _theta1_given_tau(y, sigma, tau, m0, s0):
    cov, cross, var = _moments(y, sigma, tau, m0, s0)
    weights = np.linalg.solve(cov, cross[:, :, None])[:, :, 0]
    mean = m0 + weights @ (y - m0)
    sd = np.sqrt(var - np.einsum("nj,nj->n", weights, cross))
    return mean, sd


class _Reference:
    """p(tau | y) on u = log tau with tanh-sinh quadrature, independent of companion's grid."""

    def __init__(self, y, sigma, tau_prior, m0=0.0, s0=FLAT, low=-30.0, high=40.0):
        self.args = (y, sigma)
        self.m0, self.s0, self.tau_prior = m0, s0, tau_prior
        self.low, self.high = low, high
        u = np.linspace(low, high, 4001)
        self.shift = float(np.max(self._log_density(u)))
        self.total = self._integral(lambda u: self._density(u), low, high)

    def _log_density(self, u):
        tau = np.exp(u)
        prior = 0.0 if self.tau_prior is priors.FLAT else self.tau_prior.logpdf(tau)
        return _log_marginal(*self.args, tau, self.m0, self.s0) + prior + u

    def _density(self, u):
        shape = np.shape(u)
        flat = np.ravel(u)
        return np.exp(self._log_density(flat) - self.shift).reshape(shape)

    @staticmethod
    def _integral(f, a, b):
        result = integrate.tanhsinh(f, a, b, rtol=1e-10, atol=0.0)
        assert np.all(result.success)
        return np.asarray(result.integral)

    def cdf(self, tau):
        return self._integral(self._density, self.low, np.log(tau)) / self.total

    def expect(self, f):
        def integrand(u):
            shape = np.shape(u)
            flat = np.ravel(u)
            mean, sd = _theta1_given_tau(*self.args, np.exp(flat), self.m0, self.s0)
            return (self._density(flat) * f(mean, sd)).reshape(shape)

        return float(self._integral(integrand, self.low, self.high)) / float(self.total)


def _tau(eps):
    return priors.tau_prior_from_variance(stats.invgamma(eps, scale=eps))


# (mu prior as (m0, s0), tau prior) -> (median tau to 2 d.p., E[theta_A | y] to 2 d.p.,
# Pr(theta_A > 28 | y) to 4 d.p.), the values book/tau_priors.md prints.
EIGHT_SCHOOLS = {
    "flat, uniform": ((0.0, FLAT), priors.FLAT, (5.24, 11.40, 0.0435)),
    "flat, HalfCauchy(25)": ((0.0, FLAT), stats.halfcauchy(scale=25), (4.78, 10.94, 0.0339)),
    "flat, HalfCauchy(5)": ((0.0, FLAT), stats.halfcauchy(scale=5), (2.77, 9.33, 0.0104)),
    "flat, HalfNormal(10)": ((0.0, FLAT), stats.halfnorm(scale=10), (4.05, 10.18, 0.0194)),
    "flat, IG(1, 1)": ((0.0, FLAT), _tau(1.0), (1.17, 8.02, 0.0005)),
    "flat, IG(0.01, 0.01)": ((0.0, FLAT), _tau(0.01), (0.99, 8.64, 0.0071)),
    "flat, IG(0.001, 0.001)": ((0.0, FLAT), _tau(0.001), (0.58, 8.46, 0.0058)),
    "N(0, 5^2), HalfCauchy(5)": ((0.0, 5.0), stats.halfcauchy(scale=5), (2.75, 6.21, 0.0048)),
    "N(0, 10^2), HalfCauchy(25)": ((0.0, 10.0), stats.halfcauchy(scale=25), (4.65, 9.63, 0.0244)),
    "N(0, 10^2), LogNormal(5, 1)": (
        (0.0, 10.0),
        stats.lognorm(s=1, scale=math.exp(5)),
        (11.82, 14.77, 0.1138),
    ),
    "N(0, 10^2), HalfCauchy(5)": ((0.0, 10.0), stats.halfcauchy(scale=5), (2.73, 8.13, 0.0071)),
}


@pytest.mark.parametrize("name", list(EIGHT_SCHOOLS))
def test_the_chapter_table_by_an_independent_quadrature(name: str) -> None:
    (m0, s0), tau_prior, (median, mean_a, prob_a) = EIGHT_SCHOOLS[name]
    ref = _Reference(Y, SIGMA, tau_prior, m0, s0)
    assert ref.cdf(median - 0.005) < 0.5 < ref.cdf(median + 0.005)
    assert abs(ref.expect(lambda m, s: m) - mean_a) <= 0.005
    assert abs(ref.expect(lambda m, s: stats.norm.sf(28.0, m, s)) - prob_a) <= 0.00005
    # and companion agrees with the reference far below the rounding
    post = (
        nn.tau_posterior(Y, SIGMA, tau_prior=tau_prior)
        if s0 is FLAT
        else nn.tau_posterior(Y, SIGMA, mu_prior=stats.norm(m0, s0), tau_prior=tau_prior)
    )
    t = np.array([0.5, 2.0, 5.0, 12.0, 30.0])
    np.testing.assert_allclose(post.cdf(t), ref.cdf(t), atol=1e-5)


# Three schools (A, B, C), flat mu: (median, 97.5% quantile, Pr(tau > 100 | y), E[theta_A | y]).
THREE_SCHOOLS = {
    "uniform": (priors.FLAT, (23.0, 571.2, 0.141, 21.25)),
    "HalfCauchy(25)": (stats.halfcauchy(scale=25), (10.9, 57.6, 0.005, 17.39)),
}


@pytest.mark.parametrize("name", list(THREE_SCHOOLS))
def test_the_three_schools_by_an_independent_quadrature(name: str) -> None:
    tau_prior, (median, high, above_100, mean_a) = THREE_SCHOOLS[name]
    ref = _Reference(Y[:3], SIGMA[:3], tau_prior, high=60.0)
    assert ref.cdf(median - 0.05) < 0.5 < ref.cdf(median + 0.05)
    assert ref.cdf(high - 0.05) < 0.975 < ref.cdf(high + 0.05)
    assert abs(1 - ref.cdf(100.0) - above_100) <= 0.0005
    assert abs(ref.expect(lambda m, s: m) - mean_a) <= 0.005


def test_three_schools_uniform_prior_is_proper_with_an_infinite_mean() -> None:
    # J = 3, flat mu: p(tau | y) ~ tau^-2, so Pr(tau > t | y) ~ c / t (proper) and
    # t Pr(tau > t | y) tends to a positive constant (no finite mean).
    ref = _Reference(Y[:3], SIGMA[:3], priors.FLAT, high=60.0)
    t = np.array([1e3, 1e4, 1e5])
    tail = t * (1 - ref.cdf(t))
    np.testing.assert_allclose(tail, tail[-1], rtol=2e-2)
    assert tail[-1] > 10.0
