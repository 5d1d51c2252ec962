"""PyMC models and sampling, judged against the exact posterior."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
from scipy import stats

from companion import beta_binomial, diagnostics, models, normal_normal
from companion.datasets import eight_schools, rat_tumors

SCHOOLS = eight_schools()
Y, SIGMA = SCHOOLS["y"].to_numpy(), SCHOOLS["sigma"].to_numpy()


@pytest.mark.parametrize(
    "prior",
    [
        stats.norm(0, 5),
        stats.norm(loc=1.5, scale=2.0),
        stats.halfcauchy(scale=5),
        stats.halfcauchy(0, 2.5),
        stats.halfnorm(scale=3),
        stats.uniform(0, 20),
        stats.expon(scale=4),
        stats.gamma(2.0, scale=3.0),
    ],
    ids=lambda d: f"{d.dist.name}{d.args}{d.kwds}",
)
def test_pymc_prior_has_the_scipy_density(prior) -> None:
    with pm.Model():
        variable = models.pymc_prior("x", prior)
    values = np.linspace(*prior.ppf([0.05, 0.95]), 5)
    pymc = np.array([float(pm.logp(variable, v).eval()) for v in values])
    scipy = prior.logpdf(values)
    # Same shape to rounding; PyMC's normalizing constants differ from scipy's by up to
    # about 3e-8 (seen for the normal family in PyMC 6.4), hence the looser absolute check.
    np.testing.assert_allclose(pymc - pymc[0], scipy - scipy[0], atol=1e-12)
    np.testing.assert_allclose(pymc, scipy, atol=1e-6)


@pytest.mark.parametrize(
    ("prior", "match"),
    [
        (stats.t(3), "no PyMC translation"),
        (stats.halfcauchy(1.0, 5.0), "loc=0"),
        ("norm", "frozen"),
    ],
)
def test_pymc_prior_rejects_what_it_cannot_translate(prior, match) -> None:
    with pm.Model(), pytest.raises(ValueError, match=match):
        models.pymc_prior("x", prior)


def test_eight_schools_structure() -> None:
    centered = models.eight_schools(Y, SIGMA, groups=SCHOOLS["school"])
    non_centered = models.eight_schools(Y, SIGMA, parametrization="non_centered")
    assert [v.name for v in centered.free_RVs] == ["mu", "tau", "theta"]
    assert [v.name for v in non_centered.free_RVs] == ["mu", "tau", "theta_tilde"]
    assert [v.name for v in non_centered.deterministics] == ["theta"]
    assert list(centered.coords["school"]) == list("ABCDEFGH")
    observed = centered.rvs_to_values[centered["y"]]
    np.testing.assert_array_equal(observed.data, Y)


def test_both_parametrizations_define_the_same_posterior_density() -> None:
    """The log posterior of (mu, tau, theta) agrees once the Jacobian of theta_tilde is added."""
    centered = models.eight_schools(Y, SIGMA)
    non_centered = models.eight_schools(Y, SIGMA, parametrization="non_centered")
    logp_c = centered.compile_logp(jacobian=False)
    logp_n = non_centered.compile_logp(jacobian=False)
    rng = np.random.default_rng(3)
    gaps = []
    for _ in range(5):
        mu, tau = rng.normal(4, 3), rng.uniform(0.5, 10)
        theta = rng.normal(mu, tau, size=8)
        point_c = {"mu": mu, "tau_log__": np.log(tau), "theta": theta}
        point_n = {"mu": mu, "tau_log__": np.log(tau), "theta_tilde": (theta - mu) / tau}
        # p(theta) = p(theta_tilde) / tau^J: the change of variables between the two models
        gaps.append(logp_c(point_c) - (logp_n(point_n) - 8 * np.log(tau)))
    assert np.ptp(gaps) < 1e-9 and abs(gaps[0]) < 1e-9


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"parametrization": "centred"}, "parametrization"),
        ({"groups": ["A"]}, "groups"),
        ({"tau_prior": stats.norm(0, 1)}, "tau"),
    ],
)
def test_eight_schools_validation(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        models.eight_schools(Y, SIGMA, **kwargs)


def test_beta_binomial_model_density_is_the_stated_model() -> None:
    """log p(alpha, beta, theta, y) = -2.5 log(alpha+beta) + sum log Beta + sum log Bin."""
    data = rat_tumors().iloc[[0, 30, 70]]
    y, n = data["y"].to_numpy(), data["n"].to_numpy()
    model = models.beta_binomial(y, n)
    assert [v.name for v in model.free_RVs] == ["alpha", "beta", "theta"]
    logp = model.compile_logp(jacobian=False)
    rng = np.random.default_rng(8)
    for _ in range(5):
        a, b = rng.uniform(0.5, 5), rng.uniform(2, 30)
        theta = rng.uniform(0.02, 0.6, size=3)
        point = {
            "alpha_log__": np.log(a),
            "beta_log__": np.log(b),
            "theta_logodds__": np.log(theta / (1 - theta)),
        }
        expected = (
            -2.5 * np.log(a + b)
            + stats.beta.logpdf(theta, a, b).sum()
            + stats.binom.logpmf(y, n, theta).sum()
        )
        assert float(logp(point)) == pytest.approx(expected, rel=1e-10)


def test_sample_validation_and_recorded_attributes() -> None:
    model = models.eight_schools(Y, SIGMA)
    for kwargs, match in [
        ({"sampler": "stan"}, "sampler"),
        ({"target_accept": 1.0}, "target_accept"),
        ({"draws": 0}, "draws"),
        ({"seed": 1.5}, "seed"),
    ]:
        with pytest.raises(ValueError, match=match):
            models.sample(model, **kwargs)


@pytest.mark.slow
def test_sample_is_quiet_reproducible_and_records_the_sampler(capfd) -> None:
    model = models.eight_schools(Y, SIGMA, parametrization="non_centered")
    first = models.sample(model, draws=200, tune=200, chains=2, seed=5)
    second = models.sample(model, draws=200, tune=200, chains=2, seed=5)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    np.testing.assert_array_equal(
        first["posterior"]["tau"].values, second["posterior"]["tau"].values
    )
    assert first.attrs["sampler"] == "pymc" and first.attrs["target_accept"] == 0.8
    assert first.attrs["seed"] == 5 and first.attrs["wall_time"] > 0
    assert set(first.children) >= {"posterior", "sample_stats"}


@pytest.mark.slow
def test_centered_model_diverges_at_default_target_accept() -> None:
    tree = models.sample(models.eight_schools(Y, SIGMA), draws=500, tune=500, chains=2, seed=1)
    assert diagnostics.divergences(tree).loc["total", "divergences"] > 0


@pytest.mark.slow
def test_non_centered_model_recovers_the_exact_mean_of_log_tau() -> None:
    exact = normal_normal.tau_posterior(
        Y, SIGMA, tau_prior=stats.halfcauchy(scale=5), mu_prior=stats.norm(0, 5)
    )
    tree = models.sample(
        models.eight_schools(Y, SIGMA, parametrization="non_centered"),
        draws=1000,
        tune=1000,
        chains=4,
        seed=2,
        target_accept=0.9,
    )
    table = diagnostics.compare_with_exact(tree, exact)
    assert abs(table.loc["log_tau", "z"]) < 4
    assert (table["z"].abs() < 4).all(), table


@pytest.mark.slow
def test_beta_binomial_mcmc_agrees_with_the_grid() -> None:
    """E[log alpha] and E[log beta] (E[alpha], E[beta] are infinite under this hyperprior)."""
    rats = rat_tumors()
    exact = beta_binomial.hyper_posterior(rats["y"], rats["n"])
    tree = models.sample(
        models.beta_binomial(rats["y"], rats["n"]),
        draws=1000,
        tune=1000,
        chains=4,
        seed=3,
        target_accept=0.95,
    )
    table = diagnostics.compare_rates_with_exact(tree, exact)
    for name in ("log_alpha", "log_beta", "mean_rate", "log_total"):
        assert abs(table.loc[name, "z"]) < 4, table.loc[name]
    assert (table["z"].abs() < 4.5).all()


@pytest.mark.slow
def test_nutpie_is_available_and_explicit() -> None:
    pytest.importorskip("nutpie")
    tree = models.sample(
        models.eight_schools(Y, SIGMA, parametrization="non_centered"),
        draws=200,
        tune=200,
        chains=2,
        seed=4,
        sampler="nutpie",
    )
    assert tree.attrs["sampler"] == "nutpie"
    assert tree["posterior"]["theta"].shape[-1] == 8
