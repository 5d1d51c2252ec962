"""PyMC models and sampling, judged against the exact posterior."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytest
from scipy import stats

from companion import models, priors
from companion import normal_normal as nn
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
        stats.lognorm(0.7, scale=2.0),
    ],
    ids=lambda d: f"{d.dist.name}{d.args}{d.kwds}",
)
@pytest.mark.slow
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


def test_pymc_prior_translates_the_flat_prior() -> None:
    with pm.Model() as model:
        mu = models.pymc_prior("mu", priors.FLAT)
        tau = models.pymc_prior("tau", priors.FLAT, lower=0.0)
    assert type(mu.owner.op).__name__ == "FlatRV" and type(tau.owner.op).__name__ == "HalfFlatRV"
    assert float(pm.logp(mu, -40.0).eval()) == 0.0 == float(pm.logp(tau, 3.0).eval())
    assert float(pm.logp(tau, -1.0).eval()) == -np.inf
    assert [v.name for v in model.free_RVs] == ["mu", "tau"]


def test_pymc_prior_translates_an_inverse_gamma_prior_on_the_variance() -> None:
    # tau = sqrt(tau_squared) with tau_squared ~ InvGamma(a, scale b): PyMC samples the
    # variance and records tau as a deterministic.
    variance = stats.invgamma(2.0, scale=3.0)
    with pm.Model() as model:
        tau = models.pymc_prior("tau", priors.tau_prior_from_variance(variance), lower=0.0)
    assert [v.name for v in model.free_RVs] == ["tau_squared"]
    assert [v.name for v in model.deterministics] == ["tau"] and tau.name == "tau"
    values = variance.ppf([0.05, 0.3, 0.6, 0.95])
    pymc = np.array([float(pm.logp(model["tau_squared"], v).eval()) for v in values])
    np.testing.assert_allclose(
        pymc - pymc[0], variance.logpdf(values) - variance.logpdf(values[0]), atol=1e-12
    )
    np.testing.assert_allclose(pymc, variance.logpdf(values), atol=1e-6)
    evaluate = pytensor.function(model.value_vars, model.replace_rvs_by_values([tau]))
    assert float(evaluate(np.log(4.0))[0]) == pytest.approx(2.0, rel=1e-14)  # log-transformed value


@pytest.mark.parametrize(
    ("prior", "match"),
    [
        (stats.t(3), "no PyMC translation"),
        (stats.halfcauchy(1.0, 5.0), "loc=0"),
        ("norm", "frozen"),
        (None, "frozen"),
        (priors.tau_prior_from_variance(stats.gamma(2.0)), "only for invgamma"),
        (priors.tau_prior_from_variance(stats.invgamma(2.0, loc=1.0)), "loc=0"),
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


@pytest.mark.parametrize("pair", ["BDA3", "BETANCOURT"])
def test_the_model_is_the_exact_posterior_of_normal_normal(pair: str) -> None:
    """log p(mu, tau, theta, y) of the PyMC model is the one tau_posterior integrates.

    With the defaults (BDA3's flat priors, the defaults of tau_posterior too) the model
    adds nothing to the likelihood; with Betancourt's priors it adds their log densities.
    Up to one constant, the model's density is the factorization
    p(theta | mu, tau, y) p(mu | tau, y) p(tau | y) of the exact posterior.
    """
    named = getattr(priors, pair)
    model = (
        models.eight_schools(Y, SIGMA)
        if pair == "BDA3"
        else models.eight_schools(Y, SIGMA, **named)
    )
    exact = nn.tau_posterior(Y, SIGMA, **named)
    logp = model.compile_logp(jacobian=False)
    rng = np.random.default_rng(5)
    gaps = []
    for _ in range(6):
        mu, tau = rng.normal(5, 5), rng.uniform(0.5, 20)
        theta = rng.normal(mu, tau, size=8)
        cm, cs = nn.theta_given_mu_tau(Y, SIGMA, mu, tau)
        mm, ms = nn.mu_given_tau(Y, SIGMA, tau, mu_prior=named["mu_prior"])
        factored = (
            stats.norm.logpdf(theta, cm, cs).sum()
            + stats.norm.logpdf(mu, mm, ms)
            + float(exact.logpdf(tau))
        )
        gaps.append(float(logp({"mu": mu, "tau_log__": np.log(tau), "theta": theta})) - factored)
    assert np.ptp(gaps) < 1e-8


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
        ({"mu_prior": None}, r"mu_prior must be companion\.priors\.FLAT"),
        ({"tau_prior": None}, r"tau_prior must be companion\.priors\.FLAT"),
        ({"mu_prior": "norm"}, "mu_prior"),
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


def test_eight_schools_with_a_prior_on_the_variance() -> None:
    prior = priors.tau_prior_from_variance(stats.invgamma(1.0, scale=1.0))
    model = models.eight_schools(Y, SIGMA, parametrization="non_centered", tau_prior=prior)
    assert [v.name for v in model.free_RVs] == ["mu", "tau_squared", "theta_tilde"]
    assert [v.name for v in model.deterministics] == ["tau", "theta"]


def test_beta_binomial_model_takes_the_hyperprior_of_the_grid() -> None:
    y, n = np.array([2, 4]), np.array([20, 14])
    model = models.beta_binomial(y, n, hyperprior=priors.PowerHyperprior(-4.0))
    (potential,) = model.potentials
    evaluate = pytensor.function(
        model.value_vars, model.replace_rvs_by_values([potential]), on_unused_input="ignore"
    )
    # (alpha + beta)^-4 at alpha = 2, beta = 6 (the values are on the log scale).
    value = evaluate(np.log(2.0), np.log(6.0), np.zeros(2))[0]
    assert float(value) == pytest.approx(-4.0 * np.log(8.0), rel=1e-14)
    for bad in (-2.5, "BDA3", stats.expon()):
        with pytest.raises(ValueError, match="hyperprior"):
            models.beta_binomial(y, n, hyperprior=bad)
    with pytest.raises(TypeError):
        models.beta_binomial(y, n, exponent=-2.5)  # the former keyword


def test_sample_validation_and_recorded_attributes() -> None:
    model = models.eight_schools(Y, SIGMA)
    for kwargs, match in [
        ({"sampler": "stan"}, "sampler"),
        ({"sampler": "pymc", "target_accept": 1.0}, "target_accept"),
        ({"sampler": "pymc", "draws": 0}, "draws"),
        ({"sampler": "pymc", "rng": 1.5}, "rng"),
        ({"sampler": "pymc", "rng": -2}, "rng"),
        ({"sampler": "pymc", "rng": True}, "rng"),
    ]:
        with pytest.raises(ValueError, match=match):
            models.sample(model, **kwargs)
    with pytest.raises(TypeError, match="sampler"):
        models.sample(model)  # the sampler is never implicit
    with pytest.raises(ValueError, match=r"pymc\.Model"):
        models.compile_model("a model", sampler="pymc")


@pytest.mark.slow
def test_sample_is_quiet_reproducible_and_records_the_run(capfd) -> None:
    model = models.eight_schools(Y, SIGMA, parametrization="non_centered")
    first = models.sample(model, sampler="pymc", draws=200, tune=200, chains=2, rng=5)
    second = models.sample(model, sampler="pymc", draws=200, tune=200, chains=2, rng=5)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    # The same seed on the same machine gives the same draws (not always across machines).
    np.testing.assert_array_equal(
        first["posterior"]["tau"].values, second["posterior"]["tau"].values
    )
    attrs = first.attrs
    assert attrs["sampler"] == "pymc" and attrs["target_accept"] == 0.8 and attrs["seed"] == 5
    assert (attrs["draws"], attrs["tune"], attrs["chains"]) == (200, 200, 2)
    assert attrs["wall_time"] == pytest.approx(attrs["compile_seconds"] + attrs["sampling_seconds"])
    assert set(first.children) >= {"posterior", "sample_stats"}


@pytest.mark.slow
def test_a_generator_draws_the_seed_and_the_seed_is_recorded() -> None:
    pytest.importorskip("nutpie")
    compiled = models.compile_model(
        models.eight_schools(Y, SIGMA, parametrization="non_centered"), sampler="nutpie"
    )
    settings = {"draws": 50, "tune": 50, "chains": 2}
    drawn = compiled.sample(rng=np.random.default_rng(9), **settings)
    seed = drawn.attrs["seed"]
    assert isinstance(seed, int) and seed == int(np.random.default_rng(9).integers(2**62))
    again = compiled.sample(rng=seed, **settings)
    np.testing.assert_array_equal(drawn["posterior"]["mu"].values, again["posterior"]["mu"].values)
    assert (
        compiled.compile_seconds > 0 and drawn.attrs["compile_seconds"] == compiled.compile_seconds
    )


@pytest.mark.slow
def test_nutpie_is_available_and_explicit() -> None:
    pytest.importorskip("nutpie")
    tree = models.sample(
        models.eight_schools(Y, SIGMA, parametrization="non_centered"),
        draws=200,
        tune=200,
        chains=2,
        rng=4,
        sampler="nutpie",
    )
    assert tree.attrs["sampler"] == "nutpie"
    assert tree["posterior"]["theta"].shape[-1] == 8
    assert tree["sample_stats"]["diverging"].shape == (2, 200)


def test_beta_binomial_model_records_the_finite_summaries() -> None:
    model = models.beta_binomial([2, 4], [20, 14])
    assert [v.name for v in model.deterministics] == ["mean_rate", "log_total"]
    outputs = model.replace_rvs_by_values(model.deterministics)
    evaluate = pytensor.function(model.value_vars, outputs, on_unused_input="ignore")
    values = evaluate(np.log(2.0), np.log(6.0), np.zeros(2))
    assert values[0] == pytest.approx(0.25) and values[1] == pytest.approx(np.log(8.0))
