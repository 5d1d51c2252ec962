"""companion.rankings: which group is larger, which is largest, how large is the largest.

The normal model's quadratures (``normal_prob_greater``, ``normal_prob_largest`` and
``Maximum``, reached through ``TauPosterior.prob_greater``, ``prob_largest`` and
``largest_effect``) are checked three ways:

* given tau, against computations that do not use their decomposition: the orthant
  probabilities of the multivariate normal theta | tau, y (SciPy's Genz integration) and
  brute-force trapezoid integration over mu of the closed forms of
  ``theta_given_mu_tau`` and ``mu_given_tau``;
* over tau, against tanh-sinh quadrature of the same conditional quantities;
* against 10^6 exact draws (``TauPosterior.sample``), within 4 Monte Carlo standard
  errors.

The beta-binomial rankings are checked against Miller's closed form for Beta
inequalities, adaptive quadrature, and exact draws.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats
from scipy.special import betaln

from companion import beta_binomial as bb
from companion import datasets, rankings
from companion import normal_normal as nn
from companion.grid import Grid2D
from companion.priors import FLAT

SCHOOLS = datasets.eight_schools()
Y = SCHOOLS["y"].to_numpy(dtype=float)
SIGMA = SCHOOLS["sigma"].to_numpy(dtype=float)
DRAWS = 1_000_000
WEAK = {"tau_prior": stats.halfcauchy(scale=5), "mu_prior": stats.norm(0, 5)}

FREE = datasets.free_throws()
Y_FT = FREE["made"].to_numpy()
N_FT = FREE["attempts"].to_numpy()


@pytest.fixture(scope="module")
def posterior() -> nn.TauPosterior:
    return nn.tau_posterior(Y, SIGMA)


@pytest.fixture(scope="module")
def posterior_weak() -> nn.TauPosterior:
    return nn.tau_posterior(Y, SIGMA, **WEAK)


@pytest.fixture(scope="module")
def largest(posterior: nn.TauPosterior) -> np.ndarray:
    """Pr(theta_j is the largest | y), computed once for the module."""
    return posterior.prob_largest()


@pytest.fixture(scope="module")
def draws(posterior: nn.TauPosterior) -> dict[str, np.ndarray]:
    return posterior.sample(DRAWS, rng=20261121)


@pytest.fixture(scope="module")
def draws_weak(posterior_weak: nn.TauPosterior) -> dict[str, np.ndarray]:
    return posterior_weak.sample(DRAWS, rng=11)


def conditional_normal(tau, mu_prior=FLAT) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of theta | tau, y from the public closed forms only.

    ``tau`` of any shape; shapes ``tau.shape + (J,)`` and ``tau.shape + (J, J)``.
    """
    mu_mean, mu_sd = nn.mu_given_tau(Y, SIGMA, tau, mu_prior=mu_prior)
    at_zero, sd = nn.theta_given_mu_tau(Y, SIGMA, np.zeros(np.shape(tau)), tau)
    at_one, _ = nn.theta_given_mu_tau(Y, SIGMA, np.ones(np.shape(tau)), tau)
    slope = at_one - at_zero  # B_j: theta_j | mu, tau, y has mean B_j mu + (1 - B_j) y_j
    mean = at_zero + slope * np.asarray(mu_mean)[..., None]
    outer = slope[..., :, None] * slope[..., None, :] * (np.asarray(mu_sd) ** 2)[..., None, None]
    cov = sd[..., :, None] ** 2 * np.eye(Y.size) + outer
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


def maximum_given_tau(post: nn.TauPosterior, tau) -> rankings.Maximum:
    """The distribution of max_j theta_j given each tau: cdf and pdf have one row per tau.

    ``Maximum`` integrates its conditional CDF over its tau rule with weights; with one
    node per requested tau and the identity as weights it returns the conditionals.
    """
    conditional = rankings.Maximum(post)
    tau = np.atleast_1d(np.asarray(tau, dtype=float))
    conditional._tau, conditional._weights = tau, np.eye(tau.size)
    conditional._parts = rankings._normal_parts(post, tau)
    return conditional


def over_log_tau(post: nn.TauPosterior, f) -> float:
    """int f(tau) p(tau | y) dtau by tanh-sinh quadrature in log tau (f vectorized).

    Over u = log tau in [-30, 8], split at 0, 1, 2 and 3 around the bulk of p(tau | y).
    """

    def integrand(u: np.ndarray) -> np.ndarray:
        tau = np.exp(u)
        return f(tau.ravel()).reshape(u.shape) * post.pdf(tau) * tau

    edges = np.array([-30.0, 0.0, 1.0, 2.0, 3.0, 8.0])
    result = integrate.tanhsinh(integrand, edges[:-1], edges[1:], rtol=1e-12, atol=1e-12)
    assert np.all(result.success)
    return float(result.integral.sum())


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
    exact = rankings._largest_given_tau(posterior, np.array([tau]))[0]
    np.testing.assert_allclose(exact, reference, atol=5e-6)


@pytest.mark.parametrize("tau", [1e-3, 0.05, 3.0, 40.0])
@pytest.mark.slow
def test_max_given_tau_matches_brute_force_over_mu(posterior: nn.TauPosterior, tau: float) -> None:
    """P(max theta <= x | tau, y) = int N(mu | mu_hat, V_mu) prod_j Phi((x - a_j(mu)) / s_j) dmu."""
    mu_mean, mu_sd = nn.mu_given_tau(Y, SIGMA, tau)
    xs = np.array([-5.0, 7.7, 12.0, 25.0])
    conditional = maximum_given_tau(posterior, tau)
    exact_cdf, exact_pdf = conditional.cdf(xs)[0], conditional.pdf(xs)[0]
    at_zero, sd0 = nn.theta_given_mu_tau(Y, SIGMA, 0.0, tau)
    slope = nn.theta_given_mu_tau(Y, SIGMA, 1.0, tau)[0] - at_zero
    for i, x in enumerate(xs):
        # The integrand steps where x = a_j(mu), over a width s_j / B_j that is tiny when
        # tau is: a trapezoid grid that is fine around every step.
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
        assert exact_cdf[i] == pytest.approx(np.trapezoid(density * cdf, mu), abs=1e-8)
        pdf = np.sum(
            stats.norm.pdf(z) / sd * cdf[:, None] / np.maximum(special.ndtr(z), 1e-300), axis=1
        )
        assert exact_pdf[i] == pytest.approx(np.trapezoid(density * pdf, mu), abs=1e-8)


@pytest.mark.slow
@pytest.mark.parametrize("tau", [3.0, 40.0])
def test_max_given_tau_matches_mvn_cdf(posterior: nn.TauPosterior, tau: float) -> None:
    mean, cov = conditional_normal(tau)
    xs = np.array([0.0, 10.0, 20.0])
    exact = maximum_given_tau(posterior, tau).cdf(xs)[0]
    reference = [mvn_cdf(np.full(Y.size, x), mean, cov) for x in xs]
    np.testing.assert_allclose(exact, reference, atol=5e-6)


# --- over tau: against quadrature and exact draws ------------------------------------------------


def test_max_cdf_matches_quadrature_over_tau(posterior: nn.TauPosterior) -> None:
    x = 28.4

    def given_tau(tau: np.ndarray) -> np.ndarray:
        return maximum_given_tau(posterior, tau).cdf([x])[:, 0]

    reference = over_log_tau(posterior, given_tau)
    assert float(posterior.largest_effect().cdf(x)[0]) == pytest.approx(reference, abs=1e-9)


def test_prob_greater_matches_quadrature_and_draws(
    posterior: nn.TauPosterior, draws: dict[str, np.ndarray]
) -> None:
    exact = posterior.prob_greater()

    def a_above_c(tau: np.ndarray) -> np.ndarray:
        # theta_A - theta_C | tau, y is normal: mean m_A - m_C, and variance V_A + V_C plus
        # (B_A - B_C)^2 V_mu from the shared mu (summed, not differenced: no cancellation).
        mean, _ = conditional_normal(tau)
        at_zero, sd = nn.theta_given_mu_tau(Y, SIGMA, np.zeros(tau.shape), tau)
        slope = nn.theta_given_mu_tau(Y, SIGMA, np.ones(tau.shape), tau)[0] - at_zero
        _, mu_sd = nn.mu_given_tau(Y, SIGMA, tau)
        var = sd[:, 0] ** 2 + sd[:, 2] ** 2 + (slope[:, 0] - slope[:, 2]) ** 2 * mu_sd**2
        return special.ndtr((mean[:, 0] - mean[:, 2]) / np.sqrt(var))

    assert exact[0, 2] == pytest.approx(over_log_tau(posterior, a_above_c), abs=1e-9)
    theta = draws["theta"]
    empirical = (theta[:, :, None] > theta[:, None, :]).mean(axis=0)
    assert within_4_se(empirical, exact)
    off = ~np.eye(Y.size, dtype=bool)
    np.testing.assert_allclose((exact + exact.T)[off], 1.0, atol=1e-12)
    assert np.all(np.diag(exact) == 0.0)
    np.testing.assert_array_equal(exact, rankings.normal_prob_greater(posterior))


@pytest.mark.parametrize("which", ["bda3", "weak"])
@pytest.mark.slow
def test_prob_largest_matches_exact_draws(which: str, request) -> None:
    if which == "bda3":
        exact, sample = request.getfixturevalue("largest"), request.getfixturevalue("draws")
    else:
        exact = request.getfixturevalue("posterior_weak").prob_largest()
        sample = request.getfixturevalue("draws_weak")
    assert exact.sum() == pytest.approx(1.0, abs=1e-10)
    counts = np.bincount(sample["theta"].argmax(axis=1), minlength=Y.size) / DRAWS
    assert within_4_se(counts, exact)


def test_prob_largest_printed_values(largest: np.ndarray) -> None:
    assert largest.round(3).tolist() == [0.252, 0.102, 0.084, 0.099, 0.051, 0.071, 0.205, 0.138]


@pytest.mark.slow
def test_quadrature_has_converged(
    posterior: nn.TauPosterior, largest: np.ndarray, monkeypatch
) -> None:
    """Doubling every node count moves the results by less than 1e-8."""
    xs = np.array([0.0, 15.0, 28.4, 45.0])
    maximum = posterior.largest_effect()
    base = (largest, maximum.cdf(xs), maximum.pdf(xs))
    for name in ("_TAU_NODES", "_Z_NODES", "_T_NODES", "_WINDOW_NODES"):
        monkeypatch.setattr(rankings, name, 2 * getattr(rankings, name))
    maximum = posterior.largest_effect()
    finer = (posterior.prob_largest(), maximum.cdf(xs), maximum.pdf(xs))
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


def test_permuting_groups_permutes_the_probabilities(largest: np.ndarray, rng) -> None:
    order = rng.permutation(Y.size)
    permuted = nn.tau_posterior(Y[order], SIGMA[order]).prob_largest()
    np.testing.assert_allclose(permuted, largest[order], atol=1e-10)


# --- the distribution of the largest effect ------------------------------------------------------


@pytest.mark.parametrize("which", ["bda3", "weak"])
def test_max_cdf_matches_exact_draws(which: str, request) -> None:
    post = request.getfixturevalue("posterior" if which == "bda3" else "posterior_weak")
    sample = request.getfixturevalue("draws" if which == "bda3" else "draws_weak")
    maxima = sample["theta"].max(axis=1)
    xs = np.array([-5.0, 5.0, 10.0, 15.0, 20.0, 28.4, 40.0])
    empirical = (maxima[:, None] <= xs).mean(axis=0)
    assert within_4_se(empirical, post.largest_effect().cdf(xs))


@pytest.mark.slow
def test_max_pdf_is_the_derivative_of_max_cdf(posterior: nn.TauPosterior) -> None:
    maximum = posterior.largest_effect()
    # int_a^b pdf = cdf(b) - cdf(a) on 11 panels across [-30, 80], by 16-node
    # Gauss-Legendre quadrature on each.
    edges = np.linspace(-30.0, 80.0, 12)
    g, w = np.polynomial.legendre.leggauss(16)
    half = np.diff(edges)[:, None] / 2
    nodes = edges[:-1, None] + half * (g + 1)
    integrals = (maximum.pdf(nodes.ravel()).reshape(nodes.shape) * half * w).sum(axis=1)
    np.testing.assert_allclose(integrals, np.diff(maximum.cdf(edges)), atol=2e-6)
    h = 1e-4
    for x in [3.0, 14.8, 30.0]:
        slope = (maximum.cdf(x + h)[0] - maximum.cdf(x - h)[0]) / (2 * h)
        assert maximum.pdf(x)[0] == pytest.approx(slope, rel=1e-6)


def test_max_quantiles_invert_max_cdf(posterior: nn.TauPosterior) -> None:
    maximum = posterior.largest_effect()
    q = np.array([0.025, 0.5, 0.975])
    values = maximum.ppf(q)
    np.testing.assert_allclose(maximum.cdf(values), q, atol=1e-9)
    # The largest effect is stochastically larger than every single effect.
    assert np.all(values >= posterior.theta_quantiles(q).max(axis=1))
    np.testing.assert_allclose(maximum.interval(0.95), values[[0, 2]], rtol=1e-13)


def test_printed_tail_of_the_largest_effect(posterior: nn.TauPosterior) -> None:
    # The chapter's Pr(max_j theta_j > 28.4 | y), the largest observed estimate.
    largest = rankings.normal_largest(posterior)
    assert isinstance(largest, rankings.Maximum) and largest.posterior is posterior
    assert round(float(1 - largest.cdf(28.4)[0]), 3) == 0.068


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda p: p.largest_effect().cdf([0.0, np.nan]), "x"),
        (lambda p: p.largest_effect().pdf("a"), "x"),
        (lambda p: p.largest_effect().ppf([0.5, 1.0]), "q"),
        (lambda p: p.largest_effect().interval(1.5), "probability"),
        (lambda p: p.theta_pdf([np.inf]), "x"),
    ],
)
def test_invalid_input_raises_a_named_value_error(posterior, call, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call(posterior)


def test_inputs_are_not_modified(posterior: nn.TauPosterior) -> None:
    xs = np.array([1.0, 2.0, 3.0])
    q = np.array([0.25, 0.75])
    maximum = posterior.largest_effect()
    maximum.cdf(xs)
    maximum.pdf(xs)
    maximum.ppf(q)
    assert xs.tolist() == [1.0, 2.0, 3.0] and q.tolist() == [0.25, 0.75]


def test_module_level_prob_largest(largest: np.ndarray) -> None:
    np.testing.assert_allclose(nn.prob_largest(Y, SIGMA), largest, atol=1e-12)


# --- independent posteriors (no pooling) ---------------------------------------------------------


def miller_prob_greater(a_other, b_other, a_focal, b_focal) -> float:
    """Pr(theta_focal > theta_other) for independent Betas, a_focal a positive integer.

    Closed form of E. Miller, "Formulas for Bayesian A/B testing" (2015),
    https://www.evanmiller.org/bayesian-ab-testing.html, summed with math.fsum:
    sum_{i<a_B} B(a_A + i, b_A + b_B) / ((b_B + i) B(1 + i, b_B) B(a_A, b_A)).
    """
    assert float(a_focal).is_integer()
    terms = [
        math.exp(
            betaln(a_other + i, b_other + b_focal)
            - math.log(b_focal + i)
            - betaln(1 + i, b_focal)
            - betaln(a_other, b_other)
        )
        for i in range(int(a_focal))
    ]
    return math.fsum(terms)


def test_no_pooling_prob_greater_matches_millers_closed_form_on_free_throws():
    # Entry (i, k) is Pr(theta_i > theta_k | y).
    got = bb.no_pooling_prob_greater(Y_FT, N_FT)
    a, b = 1 + Y_FT, 1 + N_FT - Y_FT
    assert got.shape == (4, 4) and np.all(np.diag(got) == 0.0)
    for i in range(4):
        for k in range(4):
            if k != i:
                exact = miller_prob_greater(a[k], b[k], a[i], b[i])
                assert got[i, k] == pytest.approx(exact, abs=1e-10)


def test_no_pooling_prob_greater_matches_millers_closed_form_with_custom_prior():
    y, n = np.array([3, 7, 0, 12]), np.array([10, 15, 6, 20])
    got = bb.no_pooling_prob_greater(y, n, prior=stats.beta(2, 3))
    a, b = 2 + y, 3 + n - y
    for k in (0, 2, 3):
        assert got[1, k] == pytest.approx(miller_prob_greater(a[k], b[k], a[1], b[1]), abs=1e-10)


def _monte_carlo_beta(a, b, draws, rng):
    return rng.beta(np.asarray(a, float), np.asarray(b, float), size=(draws, len(a)))


@pytest.mark.slow
def test_no_pooling_prob_greater_and_largest_match_monte_carlo_on_free_throws(rng):
    draws = 400_000
    theta = _monte_carlo_beta(1 + Y_FT, 1 + N_FT - Y_FT, draws, rng)
    got = bb.no_pooling_prob_greater(Y_FT, N_FT)
    for i in range(4):
        for k in range(4):
            if k == i:
                continue
            p = np.mean(theta[:, i] > theta[:, k])
            se = math.sqrt(max(p * (1 - p), 1 / draws) / draws)
            assert abs(got[i, k] - p) <= 4 * se
    largest = bb.no_pooling_prob_largest(Y_FT, N_FT)
    share = np.bincount(theta.argmax(axis=1), minlength=4) / draws
    se = np.sqrt(np.maximum(share * (1 - share), 1 / draws) / draws)
    assert np.all(np.abs(largest - share) <= 4 * se)
    # The 2015-16 season (79/120) is the most likely best, with probability ~0.9.
    assert np.argmax(largest) == 3


def test_no_pooling_prob_largest_matches_monte_carlo_with_custom_prior(rng):
    y, n = np.array([4, 9, 2, 15, 6]), np.array([20, 30, 8, 40, 25])
    prior = stats.beta(3.0, 5.0)
    draws = 400_000
    theta = _monte_carlo_beta(3 + y, 5 + n - y, draws, rng)
    share = np.bincount(theta.argmax(axis=1), minlength=5) / draws
    se = np.sqrt(np.maximum(share * (1 - share), 1 / draws) / draws)
    got = bb.no_pooling_prob_largest(y, n, prior=prior)
    assert np.all(np.abs(got - share) <= 4 * se)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-8)


def test_no_pooling_prob_greater_and_largest_symmetric_groups():
    np.testing.assert_allclose(
        bb.no_pooling_prob_greater([5, 5], [10, 10]), [[0.0, 0.5], [0.5, 0.0]], atol=1e-10
    )
    np.testing.assert_allclose(
        bb.no_pooling_prob_largest([3, 3, 3], [9, 9, 9]), [1 / 3] * 3, atol=1e-10
    )
    # Two identical groups and a third one: the identical ones tie.
    got = bb.no_pooling_prob_largest([4, 7, 4], [10, 12, 10])
    assert got[0] == pytest.approx(got[2], abs=1e-10)
    assert math.fsum(got) == pytest.approx(1.0, abs=1e-9)
    # Mirror symmetry theta -> 1 - theta: Pr(A > B) for (y, n) equals Pr(B > A) mirrored.
    forward = bb.no_pooling_prob_greater([2, 9], [11, 13])[0, 1]
    mirrored = bb.no_pooling_prob_greater([9, 4], [11, 13])[1, 0]
    assert forward == pytest.approx(mirrored, abs=1e-10)


def test_no_pooling_rows_are_the_focal_group():
    # The former prob_greater(y, n, index) was one row of this matrix: entry (i, k) is
    # Pr(theta_i > theta_k), so a group far above the others has a row of ones.
    got = bb.no_pooling_prob_greater([1, 2, 95], [100, 100, 100])
    np.testing.assert_allclose(got[2, :2], 1.0, atol=1e-12)
    np.testing.assert_allclose(got[:2, 2], 0.0, atol=1e-12)
    np.testing.assert_array_equal(got[-1], got[2])


@pytest.mark.parametrize(
    "prior", [stats.norm(0.5, 0.1), stats.beta(2, 3, loc=0.1), "beta", None], ids=str
)
def test_no_pooling_rankings_reject_bad_priors(prior):
    for function in (bb.no_pooling_prob_greater, bb.no_pooling_prob_largest):
        with pytest.raises(ValueError, match="prior"):
            function(Y_FT, N_FT, prior=prior)


@st.composite
def count_data(draw, min_groups=2, max_groups=4, max_trials=40):
    J = draw(st.integers(min_groups, max_groups))
    n = draw(st.lists(st.integers(0, max_trials), min_size=J, max_size=J))
    y = [draw(st.integers(0, nj)) for nj in n]
    return np.array(y), np.array(n)


@settings(max_examples=20, deadline=None)
@given(data=count_data(), pair=st.tuples(st.integers(0, 3), st.integers(0, 3)))
@pytest.mark.slow
def test_no_pooling_prob_greater_complement_and_largest_sum(data, pair):
    y, n = data
    i, k = (p % y.size for p in pair)
    assume(i != k)
    greater = bb.no_pooling_prob_greater(y, n)
    forward, backward = greater[i, k], greater[k, i]
    assert 0.0 <= forward <= 1.0
    assert forward + backward == pytest.approx(1.0, abs=1e-9)
    largest = bb.no_pooling_prob_largest(y, n)
    assert np.all((largest >= 0) & (largest <= 1))
    assert math.fsum(largest) == pytest.approx(1.0, abs=1e-8)


def test_independent_rankings_of_normals_match_closed_forms():
    # Pr(X_i > X_k) = Phi((m_i - m_k) / sqrt(s_i^2 + s_k^2)) for independent normals;
    # Pr(X_i is the largest) against the multivariate normal orthant probability.
    means, sds = np.array([0.0, 1.0, -0.5]), np.array([1.0, 2.0, 0.5])
    dists = [stats.norm(m, s) for m, s in zip(means, sds, strict=True)]
    greater = rankings.independent_prob_greater(dists)
    exact = special.ndtr((means[:, None] - means[None, :]) / np.hypot(sds[:, None], sds[None, :]))
    np.fill_diagonal(exact, 0.0)
    np.testing.assert_allclose(greater, exact, atol=1e-10)
    largest = rankings.independent_prob_largest(dists)
    cov = np.diag(sds**2)
    for i in range(3):
        contrast = -np.delete(np.eye(3), i, axis=0)
        contrast[:, i] = 1.0
        reference = mvn_cdf(contrast @ means, np.zeros(2), contrast @ cov @ contrast.T)
        assert largest[i] == pytest.approx(reference, abs=5e-6)


# --- the hierarchical beta-binomial model --------------------------------------------------------


def point_mass_posterior(alpha: float, beta: float, y, n) -> bb.HyperPosterior:
    """A HyperPosterior whose (alpha, beta) is one point: the rates are independent Betas."""
    u0, v0 = math.log(alpha / beta), math.log(alpha + beta)
    steps = 0.1 * np.arange(-3, 4)
    log_density = np.full((7, 7), -1e4)  # exp(-1e4) underflows to 0
    log_density[3, 3] = 0.0
    grid = Grid2D(u0 + steps, v0 + steps, log_density)
    return bb.HyperPosterior(grid=grid, successes=np.asarray(y), trials=np.asarray(n))


def test_rates_rankings_given_the_hyperparameters_are_the_independent_ones():
    # Given (alpha, beta) = (2, 3) the rates are Beta(2 + y, 3 + n - y): Miller's closed
    # form applies, and the no-pooling answer with a Beta(2, 3) prior is the same.
    y, n = np.array([3, 7, 0, 12]), np.array([10, 15, 6, 20])
    post = point_mass_posterior(2.0, 3.0, y, n)
    greater = rankings.rates_prob_greater(post)
    a, b = 2 + y, 3 + n - y
    for i in range(4):
        for k in range(4):
            if i != k:
                exact = miller_prob_greater(a[k], b[k], a[i], b[i])
                assert greater[i, k] == pytest.approx(exact, abs=1e-10)
    independent = bb.no_pooling_prob_largest(y, n, prior=stats.beta(2.0, 3.0))
    np.testing.assert_allclose(rankings.rates_prob_largest(post), independent, atol=1e-10)


@pytest.fixture(scope="module")
def trio() -> bb.HyperPosterior:
    return bb.hyper_posterior([1, 3, 5, 5], [10, 10, 10, 10])


@pytest.mark.slow
def test_rates_rankings_match_exact_draws(trio: bb.HyperPosterior):
    greater, largest = trio.prob_greater(), trio.prob_largest()
    theta = trio.sample(DRAWS, rng=4)["theta"]
    empirical = (theta[:, :, None] > theta[:, None, :]).mean(axis=0)
    off = ~np.eye(4, dtype=bool)
    assert within_4_se(empirical[off], greater[off])
    assert within_4_se(np.bincount(theta.argmax(axis=1), minlength=4) / DRAWS, largest)
    np.testing.assert_allclose((greater + greater.T)[off], 1.0, atol=1e-9)
    assert np.all(np.diag(greater) == 0.0) and largest.sum() == pytest.approx(1.0, abs=1e-12)
    # The two groups with the same data tie; more successes rank higher.
    assert greater[2, 3] == pytest.approx(0.5, abs=1e-10)
    assert largest[2] == pytest.approx(largest[3], abs=1e-10)
    assert np.all(np.diff(largest[:3]) > 0)


@pytest.mark.slow
def test_rates_rankings_quadrature_has_converged(monkeypatch):
    """Doubling the nodes over each rate moves nothing; merging grid cells moves < 1e-4.

    The merged blocks are the documented approximation of the rankings: against the
    unmerged 256 x 256 grid of the free throws they differ by 9.2e-5 (documented as at
    most 1e-4 in companion.rankings); blocks twice as fine move them by 6.4e-5.
    """
    post = bb.hyper_posterior(Y_FT, N_FT)
    base = (post.prob_greater(), post.prob_largest())
    monkeypatch.setattr(rankings, "_RATE_NODES", 2 * rankings._RATE_NODES)
    finer_nodes = (post.prob_greater(), post.prob_largest())
    for a, b in zip(base, finer_nodes, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10)
    monkeypatch.undo()
    monkeypatch.setattr(rankings, "_EVEN_BLOCKS", 2 * rankings._EVEN_BLOCKS)
    monkeypatch.setattr(rankings, "_MASS_BLOCKS", 2 * rankings._MASS_BLOCKS)
    finer_blocks = (post.prob_greater(), post.prob_largest())
    for a, b in zip(base, finer_blocks, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)
