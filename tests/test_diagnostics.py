"""Diagnostics: divergences, comparisons with the exact posterior, running means, sweeps."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import xarray as xr
from scipy import stats

from companion import beta_binomial, diagnostics, normal_normal
from companion.datasets import eight_schools, rat_tumors
from companion.draws import to_datatree

SCHOOLS = eight_schools()
Y, SIGMA = SCHOOLS["y"].to_numpy(), SCHOOLS["sigma"].to_numpy()
PRIORS = {"tau_prior": stats.halfcauchy(scale=5), "mu_prior": stats.norm(0, 5)}


@pytest.fixture(scope="module")
def exact() -> normal_normal.TauPosterior:
    return normal_normal.tau_posterior(Y, SIGMA, **PRIORS)


def _with_divergences(tree: xr.DataTree, flags: np.ndarray) -> xr.DataTree:
    stats_tree = az.from_dict({"sample_stats": {"diverging": flags}})
    tree["sample_stats"] = stats_tree["sample_stats"]
    return tree


def test_divergences_table(exact) -> None:
    tree = to_datatree(exact.sample(400, rng=1), chains=4)
    flags = np.zeros((4, 100), dtype=bool)
    flags[1, [3, 50]] = True
    flags[3, 7] = True
    table = diagnostics.divergences(_with_divergences(tree, flags))
    assert table["divergences"].tolist() == [0, 2, 0, 1, 3]
    assert table.loc["total", "draws"] == 400 and table.loc["total", "rate"] == pytest.approx(
        3 / 400
    )
    with pytest.raises(ValueError, match="diverging"):
        diagnostics.divergences(to_datatree(exact.sample(400, rng=1)))  # exact draws: no stats


def test_exact_draws_agree_with_exact_expectations(exact) -> None:
    tree = to_datatree(exact.sample(40_000, rng=2), group_dim="school", groups=list("ABCDEFGH"))
    table = diagnostics.compare_with_exact(tree, exact)
    assert list(table.index) == ["mu", "tau", "log_tau", *[f"theta_{s}" for s in "ABCDEFGH"]]
    assert (table["z"].abs() < 4).all(), table
    # ArviZ's MCSE for independent draws is the plain standard error.
    log_tau = np.log(tree["posterior"]["tau"].values)
    assert table.loc["log_tau", "mcse"] == pytest.approx(
        log_tau.std() / np.sqrt(log_tau.size), rel=0.05
    )
    assert table.loc["log_tau", "exact"] == pytest.approx(float(exact.expect(np.log)))


def test_a_biased_sample_is_flagged(exact) -> None:
    draws = exact.sample(40_000, rng=3)
    keep = draws["tau"] > np.quantile(draws["tau"], 0.2)  # lose the neck of the funnel
    biased = {k: v[keep][:32_000] for k, v in draws.items()}
    table = diagnostics.compare_with_exact(to_datatree(biased), exact)
    assert table.loc["log_tau", "z"] > 10


def test_exact_expectations_match_the_posterior_object(exact) -> None:
    series = diagnostics.exact_expectations(exact)
    np.testing.assert_allclose(series.iloc[3:].to_numpy(), exact.theta_mean())
    assert series["mu"] == pytest.approx(float(exact.expect(lambda t: exact.mu_given_tau(t)[0])))


def test_running_mean_matches_a_direct_computation(rng) -> None:
    values = rng.normal(1.0, 2.0, size=(4, 500))
    table = diagnostics.running_mean(values, checkpoints=10, exact=1.0)
    for _, row in table.iterrows():
        t = int(row["iteration"])
        assert row["mean"] == pytest.approx(values[:, :t].mean())
        assert row["mcse"] == pytest.approx(diagnostics.mcse_mean(values[:, :t]))
    assert table["iteration"].iloc[-1] == 500 and table["iteration"].iloc[0] == 20
    assert (table["z"].abs() < 4).all()
    with pytest.raises(ValueError, match="chain, draw"):
        diagnostics.running_mean(values[0])


def test_mcse_of_independent_draws_is_the_standard_error(rng) -> None:
    values = rng.normal(size=(4, 5000))
    assert diagnostics.mcse_mean(values) == pytest.approx(
        values.std() / np.sqrt(values.size), rel=0.05
    )


@pytest.mark.slow
def test_rates_comparison_on_exact_draws() -> None:
    rats = rat_tumors()
    posterior = beta_binomial.hyper_posterior(rats["y"], rats["n"])
    draws = beta_binomial.sample_posterior(rats["y"], rats["n"], 40_000, rng=4)
    table = diagnostics.compare_rates_with_exact(to_datatree(draws), posterior)
    assert list(table.index[:4]) == ["log_alpha", "log_beta", "mean_rate", "log_total"]
    assert len(table) == 4 + 71
    assert (table["z"].abs() < 4.5).all(), table[table["z"].abs() >= 4.5]


def test_exact_expectations_are_labelled_like_replicate_quantities(exact) -> None:
    series = diagnostics.exact_expectations(exact, list("ABCDEFGH"))
    assert list(series.index) == ["mu", "tau", "log_tau", *[f"theta_{s}" for s in "ABCDEFGH"]]
    assert list(diagnostics.exact_expectations(exact).index[3:5]) == ["theta_0", "theta_1"]
    with pytest.raises(ValueError, match="groups"):
        diagnostics.exact_expectations(exact, ["A"])


def test_rate_expectations_match_the_grid() -> None:
    rats = rat_tumors()
    posterior = beta_binomial.hyper_posterior(rats["y"], rats["n"])
    series = diagnostics.exact_rate_expectations(posterior)
    assert list(series.index[:4]) == ["log_alpha", "log_beta", "mean_rate", "log_total"]
    np.testing.assert_allclose(series.iloc[4:].to_numpy(), posterior.theta_mean())
    assert series["log_total"] == pytest.approx(posterior.expect(lambda a, b: np.log(a + b)))


def test_divergent_draws_lists_each_divergent_transition(exact) -> None:
    tree = to_datatree(exact.sample(400, rng=1), chains=4)
    flags = np.zeros((4, 100), dtype=bool)
    flags[2, [5, 9]] = True
    tree = _with_divergences(tree, flags)
    found = diagnostics.divergent_draws(tree, ["mu", "tau"])
    assert found[["chain", "draw"]].values.tolist() == [[2, 5], [2, 9]]
    assert found["tau"].tolist() == tree["posterior"]["tau"].values[2, [5, 9]].tolist()
    with pytest.raises(ValueError, match="var_names"):
        diagnostics.divergent_draws(tree, ["theta"])


def test_with_log_tau_adds_the_variable_and_leaves_the_tree_alone(exact) -> None:
    tree = to_datatree(exact.sample(400, rng=1), chains=4)
    copy = diagnostics.with_log_tau(tree)
    np.testing.assert_allclose(copy["posterior"]["log_tau"], np.log(tree["posterior"]["tau"]))
    assert "log_tau" not in tree["posterior"]
