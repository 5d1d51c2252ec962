"""One vocabulary for both model families: the same calls on both exact posteriors.

``TauPosterior`` (eight schools, normal model) and ``HyperPosterior`` (free throws,
beta-binomial model) answer the same questions with the same methods and shapes; every
test here runs on both, and checks the answers against independent draws from the
posterior itself.

Threshold of the Monte Carlo comparisons. Each comparison is a standardized difference
(estimate - exact) / se between an average over N = 200,000 independent exact draws and
its exact value, approximately standard normal. A test makes at most m = 141 of them
(eight schools: 5 x 8 CDF values, 8 means, 56 pairs, 8 maxima, 3 x 8 quantiles and
5 predictive values). At 5 standard errors, Pr(|Z| > 5) = 5.7e-7, so by the union bound
a false alarm has probability below 141 x 5.7e-7 = 8e-5, while an error of 5 standard
errors (2e-3 for a probability near 0.2) is caught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from companion import beta_binomial as bb
from companion import datasets
from companion import normal_normal as nn
from companion.mixtures import Mixture

DRAWS = 200_000
Z = 5.0  # standard errors: see the module docstring

SCHOOLS = datasets.eight_schools()
FREE = datasets.free_throws()


@dataclass
class Case:
    """A posterior and what differs between the families: the support and the predictive."""

    posterior: Any
    x: np.ndarray  # points inside the support of every theta_j
    new_group: dict  # keyword arguments of predictive() for a new group
    replicate_new: Any  # draws -> draws of a new group's observation (posterior_predictive)
    replicate_mean: Any  # posterior -> E[replicate of group 0]
    draws: dict = field(default_factory=dict)
    computed: dict = field(default_factory=dict)

    def rankings(self) -> tuple[np.ndarray, np.ndarray]:
        """prob_greater() and prob_largest(), computed once per posterior."""
        if not self.computed:
            self.computed["rankings"] = (
                self.posterior.prob_greater(),
                self.posterior.prob_largest(),
            )
        return self.computed["rankings"]


def eight_schools() -> Case:
    post = nn.tau_posterior(SCHOOLS["y"], SCHOOLS["sigma"])
    return Case(
        posterior=post,
        x=np.array([-10.0, 0.0, 8.0, 15.0, 30.0]),
        new_group={"sigma": 10.0},
        replicate_new=lambda d: nn.posterior_predictive(d, 10.0, new_group=True, rng=1),
        replicate_mean=lambda p: p.theta_mean()[0],
    )


def free_throws() -> Case:
    post = bb.hyper_posterior(FREE["made"], FREE["attempts"])
    return Case(
        posterior=post,
        x=np.array([0.45, 0.52, 0.56, 0.6, 0.66]),
        new_group={"trials": 20},
        replicate_new=lambda d: bb.posterior_predictive(d, 20, new_group=True, rng=1),
        replicate_mean=lambda p: p.trials[0] * p.theta_mean()[0],
    )


@pytest.fixture(scope="module", params=["eight schools", "free throws"])
def case(request) -> Case:
    made = eight_schools() if request.param == "eight schools" else free_throws()
    made.draws = made.posterior.sample(DRAWS, rng=20261121)
    return made


def groups(case: Case) -> int:
    return case.draws["theta"].shape[1]


def assert_close(estimate, exact, se) -> None:
    """|estimate - exact| < Z standard errors, elementwise."""
    estimate, exact, se = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (estimate, exact, se))
    )
    z = np.abs(estimate - exact) / np.maximum(se, 1e-12)
    assert np.all(z < Z), f"largest standardized difference {z.max():.2f}"


def proportion_se(p: np.ndarray) -> np.ndarray:
    return np.sqrt(p * (1 - p) / DRAWS)


# --- shapes ---------------------------------------------------------------------------------------


def test_edge_mass_is_a_small_float(case: Case) -> None:
    mass = case.posterior.edge_mass()
    assert isinstance(mass, float) and 0 <= mass < 1e-9


@pytest.mark.slow
def test_marginal_summaries_have_one_column_per_group(case: Case) -> None:
    post, x, J = case.posterior, case.x, groups(case)
    q = np.array([0.05, 0.5, 0.95])
    assert post.theta_mean().shape == post.theta_sd().shape == (J,)
    assert post.theta_cdf(x).shape == post.theta_pdf(x).shape == (x.size, J)
    assert post.theta_quantiles(q).shape == (q.size, J)
    marginal = post.theta_marginal()
    assert isinstance(marginal, Mixture) and marginal.size == J
    np.testing.assert_allclose(marginal.mean(), post.theta_mean(), rtol=1e-10)
    # groups= picks columns, in the order asked.
    chosen = [J - 1, 0]
    np.testing.assert_allclose(
        post.theta_cdf(x, groups=chosen), post.theta_cdf(x)[:, chosen], rtol=1e-13
    )
    np.testing.assert_allclose(
        post.theta_pdf(x, groups=chosen), post.theta_pdf(x)[:, chosen], rtol=1e-13
    )
    np.testing.assert_allclose(
        post.theta_quantiles(q, groups=chosen), post.theta_quantiles(q)[:, chosen], rtol=1e-10
    )
    assert post.theta_marginal(groups=chosen).size == 2
    with pytest.raises(ValueError, match="groups"):
        post.theta_cdf(x, groups=[J])


def test_sample_returns_a_dict_with_one_column_of_theta_per_group(case: Case) -> None:
    post, J = case.posterior, groups(case)
    small = post.sample(50, rng=3)
    assert isinstance(small, dict) and type(small) is type(case.draws)
    assert small["theta"].shape == (50, J)
    for key, value in small.items():
        assert value.shape[0] == 50, key
        np.testing.assert_array_equal(value, post.sample(50, rng=np.random.default_rng(3))[key])
    assert not np.array_equal(small["theta"], post.sample(50, rng=4)["theta"])
    with pytest.raises(ValueError, match="draws"):
        post.sample(0, rng=1)


@pytest.mark.slow
def test_rankings_are_a_matrix_and_a_distribution(case: Case) -> None:
    J = groups(case)
    greater, largest = case.rankings()
    assert greater.shape == (J, J) and largest.shape == (J,)
    off = ~np.eye(J, dtype=bool)
    np.testing.assert_allclose((greater + greater.T)[off], 1.0, atol=1e-9)
    assert np.all(np.diag(greater) == 0.0)
    assert np.all((greater >= 0) & (greater <= 1)) and np.all(largest >= 0)
    assert largest.sum() == pytest.approx(1.0, abs=1e-9)


def test_predictive_for_an_existing_and_a_new_group(case: Case) -> None:
    post = case.posterior
    existing, new = post.predictive(0), post.predictive(**case.new_group)
    for predictive in (existing, new):
        assert isinstance(predictive, Mixture) and predictive.size == 1
        assert np.isfinite(predictive.mean()) and predictive.std() > 0
    assert existing.mean() == pytest.approx(case.replicate_mean(post), rel=1e-12)
    q = np.array([0.1, 0.5, 0.9])
    assert existing.ppf(q).shape == new.ppf(q).shape == (3,)


# --- agreement with exact draws ------------------------------------------------------------------


def test_marginals_agree_with_exact_draws(case: Case) -> None:
    post, theta, x = case.posterior, case.draws["theta"], case.x
    cdf = post.theta_cdf(x)
    assert_close((theta[:, None, :] <= x[:, None]).mean(axis=0), cdf, proportion_se(cdf))
    assert_close(theta.mean(axis=0), post.theta_mean(), post.theta_sd() / np.sqrt(DRAWS))
    q = np.array([0.05, 0.5, 0.95])
    quantiles = post.theta_quantiles(q)
    for j in range(quantiles.shape[1]):
        np.testing.assert_allclose(post.theta_cdf(quantiles[:, j], groups=[j])[:, 0], q, atol=1e-9)
    below = (theta[:, None, :] <= quantiles).mean(axis=0)
    assert_close(below, np.broadcast_to(q[:, None], below.shape), proportion_se(q)[:, None])


def test_rankings_agree_with_exact_draws(case: Case) -> None:
    theta = case.draws["theta"]
    greater, largest = case.rankings()
    off = ~np.eye(theta.shape[1], dtype=bool)
    empirical = (theta[:, :, None] > theta[:, None, :]).mean(axis=0)
    assert_close(empirical[off], greater[off], proportion_se(greater[off]))
    share = np.bincount(theta.argmax(axis=1), minlength=theta.shape[1]) / DRAWS
    assert_close(share, largest, proportion_se(largest))


def test_the_new_group_predictive_agrees_with_exact_draws(case: Case) -> None:
    predictive = case.posterior.predictive(**case.new_group)
    replicated = case.replicate_new(case.draws)
    points = np.quantile(replicated, [0.1, 0.3, 0.5, 0.7, 0.9])
    cdf = predictive.cdf(points)
    assert_close((replicated[:, None] <= points).mean(axis=0), cdf, proportion_se(cdf))
    assert_close(replicated.mean(), predictive.mean(), predictive.std() / np.sqrt(DRAWS))
