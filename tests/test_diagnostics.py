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
    assert list(table.index) == ["mu", "tau", "log_tau", *[f"theta[{s}]" for s in "ABCDEFGH"]]
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


def test_rates_comparison_on_exact_draws() -> None:
    rats = rat_tumors()
    posterior = beta_binomial.hyper_posterior(rats["y"], rats["n"])
    draws = beta_binomial.sample_posterior(rats["y"], rats["n"], 40_000, rng=4)
    table = diagnostics.compare_rates_with_exact(to_datatree(draws), posterior)
    assert list(table.index[:4]) == ["log_alpha", "log_beta", "mean_rate", "log_total"]
    assert len(table) == 4 + 71
    assert (table["z"].abs() < 4.5).all(), table[table["z"].abs() >= 4.5]


@pytest.mark.slow
def test_target_accept_sweep_reports_every_run(exact) -> None:
    lines: list[str] = []
    sweep = diagnostics.target_accept_sweep(
        Y,
        SIGMA,
        target_accepts=(0.8, 0.95),
        parametrizations=("centered",),
        posterior=exact,
        draws=200,
        tune=200,
        chains=2,
        seed=1,
        progress=lines.append,
    )
    assert len(sweep) == 2 and len(lines) == 2
    assert list(sweep["target_accept"]) == [0.8, 0.95]
    expected = sweep["mean_log_tau"] - float(exact.expect(np.log))
    np.testing.assert_allclose(sweep["bias_log_tau"], expected)
    assert (sweep["seconds"] > 0).all() and (sweep["ess_per_s_log_tau"] > 0).all()
    with pytest.raises(ValueError, match="parametrization"):
        diagnostics.target_accept_sweep(Y, SIGMA, parametrizations=("funnel",))
