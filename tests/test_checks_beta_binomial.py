"""Tests for companion.checks.beta_binomial: the brute-force checks of the hierarchical
beta-binomial model agree with the closed forms and reject wrong ones.

The brute-force side is also tested on its own, against Beta integrals with integer or
half-integer arguments, which are ratios of factorials or multiples of pi.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import special, stats

from companion import checks, datasets
from companion.checks import beta_binomial as checks_bb
from companion.priors import BDA3_HYPERPRIOR, PowerHyperprior

RATS = datasets.rat_tumors()
Y_RAT = RATS["y"].to_numpy()
N_RAT = RATS["n"].to_numpy()


# --- the integrals over a rate ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"), [(1, 1), (2, 3), (3, 5), (10, 20), (1, 40), (57, 2), (200, 300)]
)
def test_beta_integral_matches_factorials(a: int, b: int) -> None:
    exact = Fraction(math.factorial(a - 1) * math.factorial(b - 1), math.factorial(a + b - 1))
    log_exact = math.log(exact.numerator) - math.log(exact.denominator)
    assert float(checks_bb.log_beta_integral(float(a), float(b))) == pytest.approx(
        log_exact, abs=1e-11
    )


@pytest.mark.parametrize(
    ("a", "b", "exact"),
    [(0.5, 0.5, math.pi), (0.5, 1.0, 2.0), (1.5, 0.5, math.pi / 2), (0.1, 1.0, 10.0)],
)
def test_beta_integral_with_singular_endpoints(a: float, b: float, exact: float) -> None:
    assert float(checks_bb.log_beta_integral(a, b)) == pytest.approx(math.log(exact), abs=1e-10)


def test_beta_moments_match_the_beta_distribution() -> None:
    """Vectorized over (a, b), singular ends included: mean a/(a+b), var ab/((a+b)^2(a+b+1))."""
    a = np.array([0.3, 0.5, 1.0, 2.4, 18.0, 57.0, 350.0, 4.0])
    b = np.array([0.7, 0.5, 1.0, 24.0, 3.0, 2.0, 700.0, 0.2])
    mean, var = checks_bb.beta_moments(a, b)
    np.testing.assert_allclose(mean, a / (a + b), rtol=1e-12)
    np.testing.assert_allclose(var, a * b / ((a + b) ** 2 * (a + b + 1)), rtol=1e-11)


# --- theta_j | alpha, beta, y -----------------------------------------------------------------


@pytest.mark.parametrize(("alpha", "beta"), [(1.4, 8.6), (0.3, 0.7), (50.0, 300.0)])
def test_beta_binomial_conditional_agrees_and_rejects(alpha: float, beta: float) -> None:
    assert checks.check_beta_binomial_conditional(Y_RAT[:12], N_RAT[:12], alpha, beta).passed
    a, b = alpha + 4, beta + 10
    mean = a / (a + b)
    var = a * b / ((a + b) ** 2 * (a + b + 1))
    # "var(theta | y) = 0.083" reads a standard deviation as a variance.
    as_variance = (mean, math.sqrt(math.sqrt(var)))
    assert not checks.check_beta_binomial_conditional(
        [4], [14], alpha, beta, candidate=as_variance
    ).passed
    # The prior's parameters without the data: Beta(alpha, beta) moments.
    prior_only = (alpha / (alpha + beta), math.sqrt(stats.beta(alpha, beta).var()))
    assert not checks.check_beta_binomial_conditional(
        [4], [14], alpha, beta, candidate=prior_only
    ).passed


# --- p(alpha, beta | y) -----------------------------------------------------------------------


POINTS = (np.array([1.5, 2.4, 4.0, 0.6, 30.0]), np.array([9.0, 14.3, 25.0, 3.0, 180.0]))


@pytest.mark.parametrize("exponent", [-2.5, -2.0, 0.0])
def test_beta_binomial_marginal_agrees(exponent: float) -> None:
    prior = PowerHyperprior(exponent)
    result = checks.check_beta_binomial_marginal(Y_RAT, N_RAT, *POINTS, hyperprior=prior)
    assert result.passed and result.error < 1e-9, result
    throws = datasets.free_throws()
    assert checks.check_beta_binomial_marginal(
        throws["made"], throws["attempts"], *POINTS, hyperprior=prior
    ).passed


def _seed_marginals(alpha: np.ndarray, beta: np.ndarray) -> dict[str, np.ndarray]:
    a, b, y, n = alpha[:, None], beta[:, None], Y_RAT, N_RAT
    prior = -2.5 * np.log(alpha + beta)
    common = special.gammaln(a + b) - special.gammaln(a) - special.gammaln(b)
    return {
        "right": prior
        + (
            common
            + special.gammaln(a + y)
            + special.gammaln(b + n - y)
            - special.gammaln(a + b + n)
        ).sum(axis=1),
        # Gamma(alpha, beta + n_j) read literally: the upper incomplete gamma function.
        "Gamma(alpha, beta + n)": prior
        + (
            common
            + special.gammaln(a + y)
            + special.gammaln(b + n - y)
            - np.log(special.gammaincc(a, b + n))
            - special.gammaln(a)
        ).sum(axis=1),
        # ... or read as a product Gamma(alpha) Gamma(beta + n_j).
        "Gamma(alpha) Gamma(beta + n)": prior
        + (
            common
            + special.gammaln(a + y)
            + special.gammaln(b + n - y)
            - special.gammaln(a)
            - special.gammaln(b + n)
        ).sum(axis=1),
        "Gamma(alpha + n)": prior
        + (
            common
            + special.gammaln(a + n)
            + special.gammaln(b + n - y)
            - special.gammaln(a + b + n)
        ).sum(axis=1),
        "no prior normalizer": prior
        + (special.gammaln(a + y) + special.gammaln(b + n - y) - special.gammaln(a + b + n)).sum(
            axis=1
        ),
    }


def test_beta_binomial_marginal_rejects_the_seed_versions() -> None:
    versions = _seed_marginals(*POINTS)
    assert checks.check_beta_binomial_marginal(
        Y_RAT, N_RAT, *POINTS, candidate=versions.pop("right")
    ).passed
    for name, values in versions.items():
        result = checks.check_beta_binomial_marginal(Y_RAT, N_RAT, *POINTS, candidate=values)
        assert not result.passed and result.error > 1.0, name


def test_beta_binomial_marginal_sees_a_wrong_hyperprior() -> None:
    """The brute force adds the hyperprior it is given: BDA3's closed form fails under another."""
    bda3 = checks.check_beta_binomial_marginal(Y_RAT, N_RAT, *POINTS).table
    closed = bda3["log density (closed)"].to_numpy()
    flat = checks.check_beta_binomial_marginal(
        Y_RAT, N_RAT, *POINTS, hyperprior=PowerHyperprior(0.0), candidate=closed
    )
    assert not flat.passed and flat.error > 1.0


# --- the change of variables and the tail -------------------------------------------------------


def test_jacobian_agrees_and_rejects(rng) -> None:
    u, v = rng.uniform(-4, 4, size=20), rng.uniform(-3, 8, size=20)
    result = checks.check_jacobian(u, v)
    assert result.passed and result.error < 1e-8, result
    alpha, beta = result.table["alpha"].to_numpy(), result.table["beta"].to_numpy()
    for wrong in (alpha + beta, 1 / (alpha * beta), alpha * beta / (alpha + beta)):
        assert not checks.check_jacobian(u, v, candidate=wrong).passed


def test_mean_root_jacobian_gives_the_bda3_hyperprior(rng) -> None:
    """Uniform on (alpha/(alpha+beta), (alpha+beta)^(-1/2)) is (alpha+beta)^(-5/2)."""
    m, z = rng.uniform(0.01, 0.99, size=20), rng.uniform(0.01, 5.0, size=20)
    result = checks.check_jacobian(m, z, coordinates="mean-root")
    assert result.passed and result.error < 1e-8, result
    total = z**-2.0
    np.testing.assert_allclose(result.table["alpha"] + result.table["beta"], total)
    for wrong in (2.0 * total**2, total**2.5, 2.0 * total**1.5):
        assert not checks.check_jacobian(m, z, coordinates="mean-root", candidate=wrong).passed
    with pytest.raises(ValueError, match="mean-root coordinates need 0 < u < 1"):
        checks.check_jacobian([1.5], [0.5], coordinates="mean-root")
    with pytest.raises(ValueError, match="coordinates must be one of"):
        checks.check_jacobian([0.5], [0.5], coordinates="polar")


@pytest.mark.parametrize("exponent", [-2.5, -2.0, -3.0])
def test_beta_binomial_tail(exponent: float) -> None:
    result = checks.check_beta_binomial_tail(Y_RAT, N_RAT, hyperprior=PowerHyperprior(exponent))
    assert result.passed and result.error < 1e-3, result
    assert result.table["predicted slope"].iloc[0] == exponent + 1


# --- validation ---------------------------------------------------------------------------------


class _LogOnly:
    """A hyperprior with a log density but no exponent."""

    def logpdf(self, alpha, beta):
        return -2.5 * np.log(np.asarray(alpha) + np.asarray(beta))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: checks.check_beta_binomial_marginal([5], [3], [1.0, 2.0], [1.0, 2.0]),
            "successes must not exceed trials",
        ),
        (
            lambda: checks.check_beta_binomial_marginal([1], [3], [1.0], [1.0]),
            "alpha must hold at least two values",
        ),
        (
            lambda: checks.check_beta_binomial_marginal(
                [1], [3], [1.0, 2.0], [1.0, 2.0], hyperprior=-2.5
            ),
            "hyperprior must have a logpdf",
        ),
        (lambda: checks.check_beta_binomial_conditional([1], [3], -1.0, 2.0), "alpha must be > 0"),
        (
            lambda: checks.check_beta_binomial_tail(Y_RAT, N_RAT, total=[1.0]),
            "total must hold at least two",
        ),
        (
            lambda: checks.check_beta_binomial_tail(Y_RAT, N_RAT, hyperprior=_LogOnly()),
            "hyperprior must be a companion.priors.PowerHyperprior",
        ),
        (lambda: checks.check_jacobian([0.0, 1.0], [1.0]), "u, v must have the same length"),
        (lambda: checks_bb.log_beta_integral(0.0, 1.0), "a must be > 0"),
    ],
)
def test_invalid_input_raises_a_named_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_the_default_hyperprior_is_bda3s() -> None:
    default = checks.check_beta_binomial_marginal(Y_RAT, N_RAT, *POINTS)
    explicit = checks.check_beta_binomial_marginal(
        Y_RAT, N_RAT, *POINTS, hyperprior=BDA3_HYPERPRIOR
    )
    np.testing.assert_array_equal(default.table.to_numpy(), explicit.table.to_numpy())
