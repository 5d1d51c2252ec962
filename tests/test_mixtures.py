"""companion.mixtures: finite mixtures, and the exact predictive distributions built on them.

``Mixture`` is checked against SciPy's components summed one by one, against quadrature
of its own density, against brute-force moments and against its own draws. The
predictive distributions of both posterior objects (``TauPosterior.predictive`` and
``HyperPosterior.predictive``, mixtures over the hyperparameter grid) are checked
against quadrature over tau, against the cubature reference of the beta-binomial tests,
and against draws of ``posterior_predictive``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from companion import beta_binomial as bb
from companion import normal_normal as nn
from companion.datasets import eight_schools
from companion.mixtures import Mixture
from tests.test_beta_binomial import (
    N_RAT,
    RAT_BOX,
    TRIO_BOX,
    TRIO_N,
    TRIO_Y,
    Y_RAT,
    rat_posterior,
    reference_posterior,
)

SCHOOLS = eight_schools()
Y = SCHOOLS["y"].to_numpy(dtype=float)
SIGMA = SCHOOLS["sigma"].to_numpy(dtype=float)
DRAWS = 1_000_000

# Three components of two variables, for each family.
WEIGHTS = np.array([0.2, 0.5, 0.3])
NORM = {
    "loc": [[-2.0, 10.0], [0.5, 12.0], [4.0, 7.0]],
    "scale": [[1.0, 3.0], [0.3, 1.0], [2.5, 5.0]],
}
BETA = {"a": [[2.0, 30.0], [5.0, 12.0], [0.7, 40.0]], "b": [[8.0, 10.0], [5.0, 30.0], [1.5, 5.0]]}
BETABINOM = {"n": [[20, 7], [20, 7], [20, 7]], **BETA}
FAMILIES = {"norm": NORM, "beta": BETA, "betabinom": BETABINOM}


def component(family: str, params: dict, i: int, j: int):
    """The frozen scipy distribution of component i of variable j."""
    return getattr(stats, family)(
        **{k: np.asarray(v, dtype=float)[i, j] for k, v in params.items()}
    )


def brute(family: str, params: dict, method: str, x: np.ndarray) -> np.ndarray:
    """sum_i w_i method_i(x), component by component, shape (len(x), J)."""
    return np.stack(
        [
            sum(
                w * getattr(component(family, params, i, j), method)(x)
                for i, w in enumerate(WEIGHTS)
            )
            for j in range(2)
        ],
        axis=1,
    )


# --- the mixture against its components ---------------------------------------------------------


@pytest.mark.parametrize("family", ["norm", "beta", "betabinom"])
def test_one_component_is_the_scipy_distribution(family: str) -> None:
    params = {k: np.asarray(v, dtype=float)[1, 1] for k, v in FAMILIES[family].items()}
    mixture = Mixture(family, [1.0], **{k: [v] for k, v in params.items()})
    single = getattr(stats, family)(**params)
    x = np.arange(8.0) if family == "betabinom" else single.ppf([0.01, 0.2, 0.5, 0.9, 0.999])
    assert mixture.size == 1 and not mixture.vector
    np.testing.assert_allclose(mixture.cdf(x), single.cdf(x), rtol=1e-13)
    density = mixture.pmf(x) if family == "betabinom" else mixture.pdf(x)
    np.testing.assert_allclose(
        density, single.pmf(x) if family == "betabinom" else single.pdf(x), rtol=1e-13
    )
    assert mixture.mean() == pytest.approx(single.mean(), rel=1e-14)
    assert mixture.var() == pytest.approx(single.var(), rel=1e-12)
    q = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(mixture.ppf(q), single.ppf(q), rtol=1e-10)
    assert isinstance(mixture.mean(), float) and isinstance(mixture.std(), float)


@pytest.mark.parametrize("family", ["norm", "beta", "betabinom"])
def test_cdf_and_density_are_the_weighted_sums_of_the_components(family: str) -> None:
    params = FAMILIES[family]
    mixture = Mixture(family, WEIGHTS, **params)
    assert mixture.vector and mixture.size == 2
    x = {"norm": np.linspace(-6.0, 25.0, 13), "beta": np.linspace(0.0, 1.0, 13)}.get(
        family, np.arange(-1.0, 22.0)
    )
    np.testing.assert_allclose(
        mixture.cdf(x), brute(family, params, "cdf", x), rtol=1e-12, atol=1e-300
    )
    method = "pmf" if family == "betabinom" else "pdf"
    density = getattr(mixture, method)(x)
    assert density.shape == (x.size, 2)
    np.testing.assert_allclose(density, brute(family, params, method, x), rtol=1e-12, atol=1e-300)


def test_weights_are_normalized_and_everything_is_read_only() -> None:
    weights = np.array([2.0, 5.0, 3.0])
    loc = np.array(NORM["loc"])
    mixture = Mixture("norm", weights, loc=loc, scale=NORM["scale"])
    np.testing.assert_allclose(mixture.weights, WEIGHTS, rtol=1e-15)
    assert weights.tolist() == [2.0, 5.0, 3.0] and loc[0, 0] == -2.0
    with pytest.raises(ValueError, match="read-only"):
        mixture.weights[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        mixture.parameters["loc"][0, 0] = 1.0
    # A parameter given once per component is shared by the J variables.
    shared = Mixture("norm", WEIGHTS, loc=loc, scale=[1.0, 2.0, 3.0])
    np.testing.assert_array_equal(shared.parameters["scale"], [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])


@pytest.mark.parametrize("family", ["norm", "beta"])
def test_the_density_integrates_to_the_cdf(family: str) -> None:
    mixture = Mixture(family, WEIGHTS, **FAMILIES[family])
    edges = np.linspace(-10.0, 40.0, 11) if family == "norm" else np.linspace(0.0, 1.0, 11)
    if family == "beta":
        # Beta(0.7, 1.5) has a density ~ x^-0.3 at 0; SciPy's beta.pdf raises an
        # OverflowError at the subnormal 5e-324 that tanh-sinh would reach, and
        # int_0^1e-300 of it is below 1e-200.
        edges[0] = 1e-300

    def density(x: np.ndarray, j: np.ndarray) -> np.ndarray:
        values = mixture.pdf(x.ravel()).reshape(*x.shape, 2)
        return np.take_along_axis(values, j.astype(int)[..., None], axis=-1)[..., 0]

    columns = np.arange(2)
    result = integrate.tanhsinh(
        density, edges[:-1, None], edges[1:, None], args=(columns,), rtol=1e-12, atol=0.0
    )
    assert np.all(result.success)
    np.testing.assert_allclose(result.integral, np.diff(mixture.cdf(edges), axis=0), atol=1e-11)


@pytest.mark.parametrize("family", ["norm", "beta"])
def test_quantiles_invert_the_cdf(family: str) -> None:
    mixture = Mixture(family, WEIGHTS, **FAMILIES[family])
    q = np.array([1e-6, 0.025, 0.3, 0.5, 0.77, 0.975, 1 - 1e-6])
    x = mixture.ppf(q)
    assert x.shape == (q.size, 2) and np.all(np.diff(x, axis=0) > 0)
    for j in range(2):
        np.testing.assert_allclose(mixture.cdf(x[:, j])[:, j], q, atol=1e-12)
    # An independent root finder (Brent) on the brute-force CDF.
    for j in range(2):
        for level, value in zip(q[1:-1], x[1:-1, j], strict=True):
            root = optimize.brentq(
                lambda t, level=level, j=j: (
                    brute(family, FAMILIES[family], "cdf", np.array([t]))[0, j] - level
                ),
                x[0, j],
                x[-1, j],
                xtol=1e-13,
            )
            assert value == pytest.approx(root, rel=1e-9, abs=1e-12)
    low, high = mixture.interval(0.95)
    np.testing.assert_allclose(low, x[1], rtol=1e-12)
    np.testing.assert_allclose(high, x[5], rtol=1e-12)


@pytest.mark.parametrize("family", ["norm", "beta", "betabinom"])
def test_moments_by_the_law_of_total_variance_match_brute_force(family: str) -> None:
    params = FAMILIES[family]
    mixture = Mixture(family, WEIGHTS, **params)
    mean, var = mixture.mean(), mixture.var()
    assert mean.shape == var.shape == (2,)
    np.testing.assert_allclose(mixture.std(), np.sqrt(var), rtol=1e-15)
    for j in range(2):
        parts = [component(family, params, i, j) for i in range(3)]
        # E[X] and E[X^2] of the mixture, from the components' own moments ...
        first = math.fsum(w * d.mean() for w, d in zip(WEIGHTS, parts, strict=True))
        second = math.fsum(w * d.moment(2) for w, d in zip(WEIGHTS, parts, strict=True))
        assert mean[j] == pytest.approx(first, rel=1e-13)
        assert var[j] == pytest.approx(second - first**2, rel=1e-11)
        # ... and by summing or integrating x^k against the mixture's own density.
        if family == "betabinom":
            k = np.arange(21.0)
            p = mixture.pmf(k)[:, j]
            moments = [p @ k, p @ k**2]
        else:
            lo, hi = (-40.0, 60.0) if family == "norm" else (0.0, 1.0)
            moments = [
                integrate.quad(
                    lambda x, m=m, j=j: x**m * mixture.pdf(x)[0, j],
                    lo,
                    hi,
                    epsabs=0,
                    epsrel=1e-12,
                    limit=200,
                )[0]
                for m in (1, 2)
            ]
        assert mean[j] == pytest.approx(moments[0], rel=1e-10)
        assert var[j] == pytest.approx(moments[1] - moments[0] ** 2, rel=1e-9)


def test_the_discrete_quantile_is_the_smallest_count_reaching_the_level() -> None:
    mixture = Mixture("betabinom", WEIGHTS, **BETABINOM)
    k = np.arange(21.0)
    cdf = mixture.cdf(k)
    np.testing.assert_allclose(cdf, np.cumsum(mixture.pmf(k), axis=0), rtol=1e-12)
    np.testing.assert_allclose(mixture.pmf(k).sum(axis=0), 1.0, rtol=1e-13)
    np.testing.assert_allclose(mixture.cdf(k + 0.5), cdf, rtol=1e-13)  # a step function
    q = np.array([1e-9, 0.01, 0.25, 0.5, 0.75, 0.99, 1 - 1e-9])
    expected = np.array(
        [[min(c for c in range(21) if cdf[c, j] >= level) for j in range(2)] for level in q]
    )
    np.testing.assert_array_equal(mixture.ppf(q), expected)
    # Exactly at F(k) the quantile is k itself: Beta-binomial(1, 1, 1) puts 1/2 on 0.
    coin = Mixture("betabinom", [0.5, 0.5], n=[1, 1], a=[1.0, 2.0], b=[1.0, 2.0])
    assert coin.ppf([0.5]).tolist() == [0.0] and coin.ppf([0.5 + 1e-9]).tolist() == [1.0]


@pytest.mark.parametrize("family", ["norm", "beta", "betabinom"])
def test_draws_have_the_mixture_moments(family: str) -> None:
    """Means and variances of 200,000 draws within 5 standard errors.

    The sample mean has standard error sd / sqrt(N); the sample variance
    sqrt((m4 - var^2) / N), with the fourth central moment m4 estimated from the draws.
    Four checks at 5 standard errors raise a false alarm with probability below 3e-6.
    """
    mixture = Mixture(family, WEIGHTS, **FAMILIES[family])
    draws = mixture.rvs(200_000, rng=3)
    assert draws.shape == (200_000, 2)
    np.testing.assert_array_equal(draws, mixture.rvs(200_000, rng=np.random.default_rng(3)))
    assert not np.array_equal(draws, mixture.rvs(200_000, rng=4))
    n = draws.shape[0]
    assert np.all(np.abs(draws.mean(axis=0) - mixture.mean()) < 5 * mixture.std() / math.sqrt(n))
    centred = draws - draws.mean(axis=0)
    m4 = (centred**4).mean(axis=0)
    se = np.sqrt((m4 - draws.var(axis=0) ** 2) / n)
    assert np.all(np.abs(draws.var(axis=0) - mixture.var()) < 5 * se)
    scalar = Mixture(
        family, WEIGHTS, **{k: np.asarray(v)[:, 0] for k, v in FAMILIES[family].items()}
    )
    assert scalar.rvs(10, rng=1).shape == (10,)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: Mixture("cauchy", [1.0], loc=[0.0]), "family"),
        (lambda: Mixture("norm", [0.5, -0.5], loc=[0, 1], scale=[1, 1]), "weights"),
        (lambda: Mixture("norm", [0.0, 0.0], loc=[0, 1], scale=[1, 1]), "weights"),
        (lambda: Mixture("norm", [np.nan, 1.0], loc=[0, 1], scale=[1, 1]), "weights"),
        (lambda: Mixture("norm", [[0.5, 0.5]], loc=[0, 1], scale=[1, 1]), "weights"),
        (lambda: Mixture("norm", [0.5, 0.5], loc=[0, 1, 2], scale=[1, 1]), "one row per weight"),
        (lambda: Mixture("norm", [0.5, 0.5]), "one row per weight"),
        (
            lambda: Mixture("norm", [0.5, 0.5], loc=np.zeros((2, 2)), scale=np.ones((2, 3))),
            "share shape",
        ),
        (lambda: Mixture("norm", [0.5, 0.5], loc=np.zeros((2, 2, 2)), scale=[1, 1]), "share shape"),
        (lambda: Mixture("norm", [0.5, 0.5], loc=[0.0, np.inf], scale=[1, 1]), "loc"),
        (lambda: Mixture("norm", [1.0], loc=[0.0], scale=[1.0]).pmf([0]), "pmf"),
        (lambda: Mixture("betabinom", [1.0], n=[3], a=[1.0], b=[1.0]).pdf([0]), "pdf"),
        (lambda: Mixture("norm", [1.0], loc=[0.0], scale=[1.0]).cdf([0.0, np.nan]), "x"),
        (lambda: Mixture("norm", [1.0], loc=[0.0], scale=[1.0]).ppf([0.5, 1.0]), "q"),
        (lambda: Mixture("norm", [1.0], loc=[0.0], scale=[1.0]).ppf(np.nan), "q"),
        (lambda: Mixture("norm", [1.0], loc=[0.0], scale=[1.0]).interval(1.0), "probability"),
        (lambda: Mixture("norm", [1.0], loc=[0.0], scale=[1.0]).rvs(0), "draws"),
        (
            lambda: Mixture("norm", [1.0], loc=[0.0], scale=[1.0]).rvs(5, rng=-1),
            "rng|seed|negative",
        ),
    ],
)
def test_bad_input_raises_a_named_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


# --- the exact predictive of the normal model ----------------------------------------------------


@pytest.fixture(scope="module")
def posterior() -> nn.TauPosterior:
    return nn.tau_posterior(Y, SIGMA)


@pytest.fixture(scope="module")
def draws(posterior: nn.TauPosterior) -> dict[str, np.ndarray]:
    return posterior.sample(DRAWS, rng=20261121)


def within_4_se(estimate: np.ndarray, exact: np.ndarray, n: int = DRAWS) -> bool:
    se = np.sqrt(np.maximum(exact * (1 - exact), 1e-12) / n)
    return bool(np.all(np.abs(estimate - exact) < 4 * se))


def over_log_tau(post: nn.TauPosterior, f) -> float:
    """int f(tau) p(tau | y) dtau by tanh-sinh quadrature in log tau (f vectorized)."""

    def integrand(u: np.ndarray) -> np.ndarray:
        tau = np.exp(u)
        return f(tau) * post.pdf(tau) * tau

    result = integrate.tanhsinh(integrand, -30.0, 8.0, rtol=1e-12, atol=1e-14)
    assert result.success
    return float(result.integral)


@pytest.mark.parametrize("sigma_new", [0.0, 10.0])
def test_new_group_cdf_matches_quadrature(posterior: nn.TauPosterior, sigma_new: float) -> None:
    x = 20.0

    def given_tau(tau: np.ndarray) -> np.ndarray:
        # theta_new | mu, tau ~ N(mu, tau^2) and mu | tau, y ~ N(mu_hat, V_mu).
        mean, sd = nn.mu_given_tau(Y, SIGMA, tau)
        return special.ndtr((x - mean) / np.sqrt(tau**2 + sd**2 + sigma_new**2))

    reference = over_log_tau(posterior, given_tau)
    predictive = posterior.predictive(sigma=sigma_new)
    assert isinstance(predictive, Mixture) and predictive.family == "norm"
    assert float(predictive.cdf(x)[0]) == pytest.approx(reference, abs=1e-8)


@pytest.mark.parametrize("group", [0, 5])
def test_existing_group_cdf_matches_quadrature(posterior: nn.TauPosterior, group: int) -> None:
    x = 15.0

    def given_tau(tau: np.ndarray) -> np.ndarray:
        # y_rep_j | theta_j ~ N(theta_j, sigma_j^2), theta_j | tau, y from the closed form.
        mean, sd = nn.theta_given_tau(Y, SIGMA, tau)
        return special.ndtr((x - mean[..., group]) / np.hypot(sd[..., group], SIGMA[group]))

    reference = over_log_tau(posterior, given_tau)
    assert float(posterior.predictive(group).cdf(x)[0]) == pytest.approx(reference, abs=1e-8)
    # With no measurement error the replicate is the effect itself.
    np.testing.assert_allclose(
        posterior.predictive(group, sigma=0.0).cdf([x, 30.0]),
        posterior.theta_cdf([x, 30.0])[:, group],
        rtol=1e-12,
    )


@pytest.mark.parametrize("sigma_new", [0.0, 10.0])
def test_new_group_matches_posterior_predictive_draws(
    posterior: nn.TauPosterior, draws: dict[str, np.ndarray], sigma_new: float
) -> None:
    predicted = nn.posterior_predictive(draws, sigma_new, new_group=True, rng=5)
    xs = np.array([-20.0, 0.0, 7.7, 20.0, 40.0])
    empirical = (predicted[:, None] <= xs).mean(axis=0)
    predictive = posterior.predictive(sigma=sigma_new)
    assert within_4_se(empirical, predictive.cdf(xs))
    mean, sd = predictive.mean(), predictive.std()
    assert abs(predicted.mean() - mean) < 4 * sd / math.sqrt(DRAWS)
    assert predicted.std() == pytest.approx(sd, rel=0.01)


def test_existing_groups_match_posterior_predictive_draws(
    posterior: nn.TauPosterior, draws: dict[str, np.ndarray]
) -> None:
    replicated = nn.posterior_predictive(draws, SIGMA, rng=6)
    xs = np.array([-10.0, 8.0, 30.0])
    for group in range(Y.size):
        predictive = posterior.predictive(group)
        empirical = (replicated[:, group, None] <= xs).mean(axis=0)
        assert within_4_se(empirical, predictive.cdf(xs))
        assert predictive.mean() == pytest.approx(posterior.theta_mean()[group], rel=1e-12)
        expected_sd = math.hypot(posterior.theta_sd()[group], SIGMA[group])
        assert predictive.std() == pytest.approx(expected_sd, rel=1e-10)


def test_new_group_pdf_quantiles_and_moments_agree(posterior: nn.TauPosterior) -> None:
    # p(tau | y) ~ tau^-7 in the tail, so the predictive density has tails like |x|^-7:
    # a wide range, [-4000, 4000], integrated by Gauss-Legendre (16 nodes per panel) on
    # panels 5 wide in the bulk and geometrically wider beyond +-150.
    outer = np.geomspace(150.0, 4000.0, 15)
    edges = np.concatenate([-outer[::-1], np.linspace(-145.0, 145.0, 59), outer])
    g, w = np.polynomial.legendre.leggauss(16)
    half = np.diff(edges)[:, None] / 2
    grid, weights = (edges[:-1, None] + half * (g + 1)).ravel(), (half * w).ravel()
    predictive = posterior.predictive(sigma=10.0)
    pdf = predictive.pdf(grid)
    assert weights @ pdf == pytest.approx(1.0, abs=1e-9)
    mean, sd = predictive.mean(), predictive.std()
    assert weights @ (grid * pdf) == pytest.approx(mean, abs=1e-6)
    assert np.sqrt(weights @ ((grid - mean) ** 2 * pdf)) == pytest.approx(sd, rel=1e-6)
    q = np.array([0.025, 0.5, 0.975])
    np.testing.assert_allclose(predictive.cdf(predictive.ppf(q)), q, atol=1e-9)
    # With sigma = 0 the new effect's mean is E[mu | y].
    mu_mean = posterior.expect(lambda t: posterior.mu_given_tau(t)[0])
    assert posterior.predictive().mean() == pytest.approx(float(mu_mean), rel=1e-12)


def test_new_group_moments_warn_when_the_variance_does_not_exist() -> None:
    # Uniform prior with J = 4: p(tau | y) ~ tau^-3, so E[tau^2 | y] is infinite.
    post = nn.tau_posterior(Y[:4], SIGMA[:4])
    with pytest.warns(RuntimeWarning, match="may not exist"):
        post.predictive().std()


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda p: p.predictive(sigma=-1.0), "sigma"),
        (lambda p: p.predictive(sigma=[1.0, 2.0]), "sigma"),
        (lambda p: p.predictive(sigma=np.nan), "sigma"),
        (lambda p: p.predictive(3, sigma=-1.0), "sigma"),
        (lambda p: p.predictive().ppf([0.0]), "q"),
        (lambda p: p.predictive().cdf([np.inf]), "x"),
        (lambda p: p.predictive(8), "group"),
        (lambda p: p.predictive(-1), "group"),
        (lambda p: p.predictive(1.5), "group"),
    ],
)
def test_invalid_input_raises_a_named_value_error(posterior, call, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call(posterior)


def test_a_bad_group_is_named_group(posterior) -> None:
    with pytest.raises(ValueError, match=r"^group must"):
        posterior.predictive(8)


def test_inputs_are_not_modified(posterior: nn.TauPosterior) -> None:
    xs = np.array([1.0, 2.0, 3.0])
    q = np.array([0.25, 0.75])
    predictive = posterior.predictive(sigma=5.0)
    predictive.cdf(xs)
    predictive.pdf(xs)
    predictive.ppf(q)
    assert xs.tolist() == [1.0, 2.0, 3.0] and q.tolist() == [0.25, 0.75]


# --- the exact predictive of the beta-binomial model ---------------------------------------------


@pytest.fixture(scope="module")
def rat_post() -> bb.HyperPosterior:
    return rat_posterior()


@pytest.fixture(scope="module")
def rat_draws(rat_post: bb.HyperPosterior) -> dict[str, np.ndarray]:
    return rat_post.sample(20_000, rng=20261121)


def test_rat_predictive_pmf_matches_cubature(rat_post: bb.HyperPosterior) -> None:
    reference = reference_posterior(tuple(Y_RAT), tuple(N_RAT), *RAT_BOX)
    predictive = rat_post.predictive(trials=20)
    assert isinstance(predictive, Mixture) and predictive.discrete
    pmf = predictive.pmf(range(21))
    assert pmf.shape == (21,)
    assert np.all(pmf >= 0)
    assert math.fsum(pmf) == pytest.approx(1.0, abs=1e-12)
    mean = math.fsum(np.arange(21) * pmf)
    # E[y_new] = 20 E[theta_new] = 20 E[alpha / (alpha + beta)].
    assert mean == pytest.approx(20 * rat_post.expect(lambda a, b: a / (a + b)), abs=1e-11)
    assert mean == pytest.approx(20 * reference["E_mu"], abs=1e-8)
    assert predictive.mean() == pytest.approx(mean, abs=1e-11)
    np.testing.assert_allclose(pmf, reference["pmf"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(rat_post.predictive(trials=0).pmf([0]), [1.0], rtol=0, atol=1e-12)


def test_small_data_predictive_pmf_matches_cubature() -> None:
    reference = reference_posterior(tuple(TRIO_Y), tuple(TRIO_N), *TRIO_BOX)
    post = bb.hyper_posterior(TRIO_Y, TRIO_N)
    np.testing.assert_allclose(
        post.predictive(trials=20).pmf(range(21)), reference["pmf"], atol=1e-8
    )


def test_new_group_pmf_matches_posterior_predictive_draws(rat_draws, rat_post) -> None:
    counts = bb.posterior_predictive(rat_draws, 20, new_group=True, rng=3)
    pmf = rat_post.predictive(trials=20).pmf(range(21))
    observed = np.bincount(counts, minlength=21)
    expected = pmf * counts.size
    # Per cell with an expected count of at least 5: 4 binomial standard errors.
    keep = expected >= 5
    se = np.sqrt(expected * (1 - pmf))
    assert np.all(np.abs(observed - expected)[keep] <= 4 * se[keep])
    # Chi-square over those cells, the rest pooled into one.
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    chi2 = float(np.sum((obs - exp) ** 2 / exp))
    assert chi2 < stats.chi2.isf(1e-4, df=obs.size - 1)


def test_existing_group_predictive_matches_draws_and_the_posterior_mean(
    rat_draws, rat_post
) -> None:
    predictive = rat_post.predictive(70)  # the current experiment, 14 rats again by default
    assert predictive.parameters["n"].max() == predictive.parameters["n"].min() == 14
    # E[y_rep] = 14 E[theta_71 | y].
    assert predictive.mean() == pytest.approx(14 * rat_post.theta_mean()[70], rel=1e-12)
    pmf = predictive.pmf(range(15))
    counts = bb.posterior_predictive(rat_draws, N_RAT, rng=2)[:, 70]
    observed, expected = np.bincount(counts, minlength=15), pmf * counts.size
    keep = expected >= 5
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    assert float(np.sum((obs - exp) ** 2 / exp)) < stats.chi2.isf(1e-4, df=obs.size - 1)
    bigger = rat_post.predictive(70, trials=28)
    assert bigger.mean() == pytest.approx(2 * predictive.mean(), rel=1e-12)


@pytest.mark.parametrize("trials", [-1, 2.5, [3, 4], np.nan])
def test_predictive_rejects_bad_trials(rat_post, trials) -> None:
    with pytest.raises(ValueError, match="trials"):
        rat_post.predictive(trials=trials)
    with pytest.raises(ValueError, match="trials"):
        rat_post.predictive(0, trials=trials)


def test_predictive_needs_trials_for_a_new_group_and_a_real_group(rat_post) -> None:
    with pytest.raises(ValueError, match="trials must be given for a new group"):
        rat_post.predictive()
    for group in (71, -1, 2.0):
        with pytest.raises(ValueError, match="group"):
            rat_post.predictive(group)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rat_post.predictive(np.int64(3))
