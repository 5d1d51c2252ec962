"""Published values and the order-statistic tools that compare them with exact results."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from companion import literature as lit
from companion import normal_normal as nn
from companion.datasets import eight_schools

SCHOOLS = eight_schools()
Y = SCHOOLS["y"].to_numpy()
SIGMA = SCHOOLS["sigma"].to_numpy()


@pytest.fixture(scope="module")
def posterior() -> nn.TauPosterior:
    return nn.tau_posterior(Y, SIGMA)


# --- the published values ----------------------------------------------------------------------


def test_table_5_3_as_printed() -> None:
    # BDA3, 3rd ed., Table 5.3 (p. 123).
    table = lit.bda3_table_5_3()
    assert table.shape == (8, 5)
    assert table.index.tolist() == list("ABCDEFGH")
    assert table.columns.tolist() == [0.025, 0.25, 0.5, 0.75, 0.975]
    assert table.loc["C"].tolist() == [-11, 2, 7, 11, 19]
    assert table.loc["F"].tolist() == [-7, 2, 6, 10, 28]
    assert table.loc["H"].tolist() == [-6, 3, 8, 13, 33]
    assert table[0.5].tolist() == [10, 8, 7, 8, 5, 6, 10, 8]
    # Every row is increasing, as quantiles must be.
    assert np.all(np.diff(table.to_numpy(), axis=1) > 0)
    table.loc["A", 0.5] = 99
    assert lit.bda3_table_5_3().loc["A", 0.5] == 10


def test_scalars_of_section_5_5_are_consistent_with_each_other() -> None:
    values = lit.bda3_eight_schools()
    assert round(math.sqrt(values["pooled_var"]), 1) == values["pooled_sd"]
    # School A at tau = 10: Phi((28 - 14.5) / 9.1) = 93%, as printed.
    z = (28 - values["a_mean_at_tau_10"]) / values["a_sd_at_tau_10"]
    assert round(stats.norm.cdf(z), 2) == lit.bda3_prob_below_28_at_tau_10()["A"]
    below = lit.bda3_prob_below_28_at_tau_10()
    assert below.index.tolist() == list("ABCDEFGH") and np.all((below > 0.9) & (below < 1))


def test_the_rounded_data_give_the_pooled_values_of_section_5_5() -> None:
    values = lit.bda3_eight_schools()
    mean, sd = nn.pooled_estimate(Y, SIGMA)
    assert round(mean, 1) == values["pooled_mean"] and round(sd**2, 1) == values["pooled_var"]
    # The homogeneity statistic from the rounded table is 4.7; BDA3 prints 4.6.
    chi2 = float(np.sum((Y - mean) ** 2 / SIGMA**2))
    assert round(chi2, 1) == 4.7 and abs(chi2 - values["chi2"]) < 0.15


# --- order statistics ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "n", "ranks"),
    [(0.975, 200, [195, 196]), (0.025, 200, [5, 6]), (0.5, 7, [3, 4, 5]), (0.999, 10, [9, 10])],
)
def test_order_statistic_ranks(q: float, n: int, ranks: list[int]) -> None:
    assert lit.order_statistic_ranks(q, n) == ranks


def test_the_binomial_form_is_the_beta_form() -> None:
    n = 200
    for k in [1, 5, 100, 196, 200]:
        for f in [0.01, 0.3, 0.97]:
            assert stats.binom.sf(k - 1, n, f) == pytest.approx(
                stats.beta.cdf(f, k, n - k + 1), rel=1e-10
            )


def test_order_statistic_tail_matches_simulation(rng) -> None:
    """200 draws from N(0, 5^2), 20 000 times: the 97.5% quantile printed as 13 or more."""
    n, reps, scale, printed = 200, 20_000, 5.0, 13.0
    draws = rng.normal(0.0, scale, size=(reps, n))
    ordered = np.sort(draws, axis=1)
    low = stats.norm.cdf(printed - 0.5, scale=scale)
    high = stats.norm.cdf(printed + 0.5, scale=scale)
    # The formula for one order statistic, exactly:
    for k in [195, 196]:
        empirical = np.mean(ordered[:, k - 1] >= printed - 0.5)
        exact = stats.binom.cdf(k - 1, n, low)
        assert abs(empirical - exact) < 4 * math.sqrt(exact * (1 - exact) / reps)
    # Any quantile convention between them lands there less often than the bound says.
    tail = lit.order_statistic_tail(low, high, 0.975, n)
    for method in ["linear", "inverted_cdf", "hazen", "weibull", "median_unbiased"]:
        quantiles = np.quantile(draws, 0.975, axis=1, method=method)
        empirical = np.mean(np.round(quantiles) >= printed)
        assert empirical < tail + 4 * math.sqrt(tail * (1 - tail) / reps), method


def test_order_statistic_tail_extremes() -> None:
    # Far out: both tails tiny; exactly right: at least one half.
    assert lit.order_statistic_tail(0.999, 0.9995, 0.5, 200) < 1e-50
    assert lit.order_statistic_tail(0.4, 0.6, 0.5, 200) > 0.5


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((0.6, 0.5, 0.5, 200), "cdf_low"),
        ((-0.1, 0.5, 0.5, 200), "cdf_low"),
        ((0.1, 1.5, 0.5, 200), "cdf_high"),
        ((np.nan, 0.5, 0.5, 200), "cdf_low"),
        ((0.1, 0.5, 1.0, 200), "q"),
        ((0.1, 0.5, 0.5, 0), "draws"),
        ((0.1, 0.5, 0.5, 2.5), "draws"),
    ],
)
def test_order_statistic_tail_validates(args: tuple, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        lit.order_statistic_tail(*args)


# --- BDA3 Table 5.3 against the exact posterior -------------------------------------------------


def test_table_5_3_against_the_exact_posterior(posterior: nn.TauPosterior) -> None:
    """38 cells are typical of 200 draws; H's 97.5% is unusual; F's 97.5% is not credible."""
    table = lit.compare_quantile_table(posterior, lit.bda3_table_5_3(), draws=200)
    assert len(table) == 40
    np.testing.assert_allclose(
        table["exact"].to_numpy().reshape(8, 5),
        posterior.theta_quantiles(list(lit.QUANTILE_LEVELS)).T,
        rtol=1e-12,
    )
    cell = table.set_index(["school", "quantile"])["tail_probability"]
    assert cell[("F", 0.975)] < 1e-5
    assert 0.05 / 40 < cell[("H", 0.975)] < 0.05
    others = cell.drop([("F", 0.975), ("H", 0.975)])
    assert len(others) == 38 and others.min() > 0.05
    exact = table.set_index(["school", "quantile"])["exact"]
    assert round(exact[("F", 0.975)], 1) == 18.6 and round(exact[("H", 0.975)], 1) == 25.6


def test_compare_quantile_table_validates(posterior: nn.TauPosterior) -> None:
    table = lit.bda3_table_5_3()
    with pytest.raises(ValueError, match="printed"):
        lit.compare_quantile_table(posterior, table.iloc[:7], draws=200)
    with pytest.raises(ValueError, match="resolution"):
        lit.compare_quantile_table(posterior, table, draws=200, resolution=0.0)
    with pytest.raises(ValueError, match="draws"):
        lit.compare_quantile_table(posterior, table, draws=-3)
    bad = table.copy()
    bad.columns = [0.025, 0.25, 0.5, 0.75, 1.0]
    with pytest.raises(ValueError, match="q"):
        lit.compare_quantile_table(posterior, bad, draws=200)


def test_simulated_quantile_range_covers_simulated_quantiles(posterior: nn.TauPosterior) -> None:
    reps, n = 4000, 200
    draws = posterior.sample(reps * n, rng=3)["theta"].reshape(reps, n, 8)
    quantiles = np.quantile(draws, 0.975, axis=1)  # (reps, 8)
    ranges = lit.simulated_quantile_range(posterior, 0.975, draws=n, probability=0.99)
    inside = (quantiles >= ranges["low"].to_numpy()) & (quantiles <= ranges["high"].to_numpy())
    # At least 99% by construction; 4 standard errors of slack for 4000 repetitions.
    assert np.all(inside.mean(axis=0) > 0.99 - 4 * math.sqrt(0.99 * 0.01 / reps))
    assert ranges.loc[5, "high"] < 28 < ranges.loc[7, "high"]  # F's printed 28; H's 33 inside
    assert ranges.loc[7, "low"] < 33 < ranges.loc[7, "high"]


@pytest.mark.parametrize(("kwargs", "name"), [({"q": 1.2}, "q"), ({"probability": 1.0}, "prob")])
def test_simulated_quantile_range_validates(posterior, kwargs: dict, name: str) -> None:
    args = {"q": 0.975, "probability": 0.99} | kwargs
    with pytest.raises(ValueError, match=name):
        lit.simulated_quantile_range(
            posterior, args["q"], draws=200, probability=args["probability"]
        )
