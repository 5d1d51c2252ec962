"""Posterior predictive checks: replications drawn exactly, p-values counted correctly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from companion import beta_binomial, normal_normal, predictive_checks
from companion.datasets import eight_schools, rat_tumors

SCHOOLS = eight_schools()
Y, SIGMA = SCHOOLS["y"].to_numpy(), SCHOOLS["sigma"].to_numpy()


@pytest.fixture(scope="module")
def schools():
    return normal_normal.tau_posterior(Y, SIGMA)


RATS_Y, RATS_N = (rat_tumors()[c].to_numpy() for c in ("y", "n"))


@pytest.fixture(scope="module")
def historical_rats():
    return beta_binomial.hyper_posterior(RATS_Y[:70], RATS_N[:70])


@pytest.fixture(scope="module")
def rats():
    data = rat_tumors()
    return beta_binomial.hyper_posterior(data["y"], data["n"])


def test_p_value_counts_ties_as_stated() -> None:
    assert predictive_checks.p_value([0, 1, 1, 2], 1) == 0.75
    assert predictive_checks.p_value([0, 1, 1, 2], 1, strict=True) == 0.25
    with pytest.raises(ValueError, match="observed"):
        predictive_checks.p_value([0, 1], np.nan)


def _ks_limit(n: int, alpha: float = 1e-6) -> float:
    """Kolmogorov-Smirnov critical value: P(D_n > limit) <= alpha (Dvoretzky-Kiefer-Wolfowitz)."""
    return float(np.sqrt(np.log(2 / alpha) / (2 * n)))


@pytest.mark.slow
def test_same_school_replications_have_the_exact_predictive_distribution(schools) -> None:
    """Each column is distributed as the exact predictive mixture of that school."""
    rep = predictive_checks.replicate_estimates(schools, 5_000, rng=1)
    assert rep.shape == (5_000, 8)
    for j in (0, 4):
        exact = schools.predictive(j)
        statistic = stats.ks_1samp(rep[:, j], lambda x, e=exact: e.cdf(x)).statistic
        assert statistic < _ks_limit(rep.shape[0])


@pytest.mark.slow
def test_new_school_replications_have_the_new_group_distribution(schools) -> None:
    rep = predictive_checks.replicate_estimates(schools, 5_000, new_groups=True, rng=2)
    exact = schools.predictive(sigma=float(SIGMA[0]))
    statistic = stats.ks_1samp(rep[:, 0], lambda x: exact.cdf(x)).statistic
    assert statistic < _ks_limit(rep.shape[0])
    # New groups are independent given (mu, tau) but share them: positively correlated.
    assert np.corrcoef(rep[:, 0], rep[:, 1])[0, 1] > 0


def test_count_replications_match_the_exact_predictive_pmf(rats) -> None:
    rep = predictive_checks.replicate_counts(rats, 20_000, rng=3)
    j = 70  # the current group, 14 rats
    pmf = rats.predictive(j).pmf(np.arange(15))
    observed = np.bincount(rep[:, j], minlength=15) / rep.shape[0]
    # A chi-square goodness of fit of the draws to the exact pmf (bins with >= 5 expected).
    expected = pmf * rep.shape[0]
    keep = expected >= 5
    chi2 = np.sum((observed[keep] * rep.shape[0] - expected[keep]) ** 2 / expected[keep])
    assert chi2 < stats.chi2.isf(1e-6, keep.sum() - 1)
    new = predictive_checks.replicate_counts(rats, 20_000, new_groups=True, rng=4)
    pmf_new = rats.predictive(trials=14).pmf(np.arange(15))
    assert abs(new[:, j].mean() - np.arange(15) @ pmf_new) < 5 * new[:, j].std() / np.sqrt(20_000)


def test_check_table_and_its_replicated_statistics(schools) -> None:
    rep = predictive_checks.replicate_estimates(schools, 5_000, rng=5)
    table = predictive_checks.check(rep, Y)
    assert list(table.index) == ["largest", "smallest", "mean", "sd"]
    assert table.loc["largest", "observed"] == 28.0
    assert table.loc["sd", "observed"] == pytest.approx(np.std(Y, ddof=1))
    draws = table.attrs["replicated"].frame
    assert isinstance(draws, pd.DataFrame) and len(draws) == 5_000
    np.testing.assert_allclose(draws["largest"], rep.max(axis=1))
    assert table.loc["mean", "p_value"] == pytest.approx(np.mean(rep.mean(axis=1) >= Y.mean()))
    p = table.loc["mean", "p_value"]
    assert table.loc["mean", "mcse"] == pytest.approx(np.sqrt(p * (1 - p) / 5_000))


def test_check_tables_concatenate(schools) -> None:
    same = predictive_checks.check(predictive_checks.replicate_estimates(schools, 500, rng=1), Y)
    new = predictive_checks.check(
        predictive_checks.replicate_estimates(schools, 500, new_groups=True, rng=2), Y
    )
    combined = pd.concat({"same": same["p_value"], "new": new["p_value"]}, axis=1)
    assert combined.shape == (4, 2)
    np.testing.assert_array_equal(combined["new"], new["p_value"])


def test_count_statistics() -> None:
    counts = np.array([[0, 1, 0], [2, 0, 3]])
    np.testing.assert_array_equal(predictive_checks.zero_count(counts), [2, 1])
    largest = predictive_checks.largest_rate([10, 5, 20])
    np.testing.assert_allclose(largest(counts), [0.2, 0.2])


@pytest.mark.parametrize(
    ("replicated", "observed", "statistics", "match"),
    [
        (np.zeros((3, 2)), np.zeros(3), None, "one column per observation"),
        (np.zeros(3), np.zeros(3), None, "replicated"),
        (np.zeros((3, 2)), np.zeros(2), {}, "at least one"),
        (np.zeros((3, 2)), np.zeros(2), {"bad": lambda y: np.zeros(2)}, "one value per"),
    ],
)
def test_bad_input(replicated, observed, statistics, match) -> None:
    kwargs = {} if statistics is None else {"statistics": statistics}
    with pytest.raises(ValueError, match=match):
        predictive_checks.check(replicated, observed, **kwargs)


def test_predictive_check_figure_marks_the_observed_value(schools) -> None:
    import matplotlib.pyplot as plt

    from companion import plots

    rep = predictive_checks.replicate_estimates(schools, 2_000, rng=6)
    table = predictive_checks.check(rep, Y)
    fig = plots.plot_predictive_check(table)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4
    assert visible[0].get_lines()[0].get_xdata()[0] == 28.0
    assert visible[0].get_title().startswith("largest: p = ")
    with pytest.raises(ValueError, match="output of"):
        plots.plot_predictive_check(pd.DataFrame({"x": [1]}))
    plt.close("all")


# --- exact distributions of the count statistics ------------------------------------------


@pytest.mark.slow
def test_zero_count_pmf_sums_to_one_and_matches_replications(historical_rats):
    for new in (False, True):
        pmf = predictive_checks.zero_count_pmf(historical_rats, new_groups=new)
        assert abs(pmf.sum() - 1) < 1e-12
        rep = predictive_checks.replicate_counts(historical_rats, 50_000, new_groups=new, rng=3)
        freq = np.bincount(predictive_checks.zero_count(rep), minlength=71) / rep.shape[0]
        assert np.all(np.abs(freq - pmf) < 5 * np.sqrt(pmf * (1 - pmf) / rep.shape[0]) + 1e-4)


@pytest.mark.slow
def test_largest_rate_sf_matches_replications(historical_rats):
    statistic = predictive_checks.largest_rate(RATS_N[:70])
    for new in (False, True):
        rep = predictive_checks.replicate_counts(historical_rats, 50_000, new_groups=new, rng=4)
        values = statistic(rep)
        for t in (0.3, 0.5):
            for strict in (False, True):
                exact = predictive_checks.largest_rate_sf(
                    historical_rats, t, new_groups=new, strict=strict
                )
                hat = np.mean(values > t if strict else values >= t)
                assert abs(hat - exact) < 5 * np.sqrt(exact * (1 - exact) / values.size)


@pytest.mark.slow
def test_exact_p_value_anchors(historical_rats):
    """The exact p-values of the rat-tumour chapter's checks (book/rat_tumors.md)."""
    observed_zeros = int(np.sum(RATS_Y[:70] == 0))
    observed_largest = float(np.max(RATS_Y[:70] / RATS_N[:70]))
    assert (observed_zeros, observed_largest) == (14, 0.375)
    anchors = {False: (0.1319, 0.8868), True: (0.1223, 0.9121)}
    for new, (zeros, largest) in anchors.items():
        pmf = predictive_checks.zero_count_pmf(historical_rats, new_groups=new)
        assert round(float(pmf[observed_zeros:].sum()), 4) == zeros
        assert (
            round(
                predictive_checks.largest_rate_sf(
                    historical_rats, observed_largest, new_groups=new
                ),
                4,
            )
            == largest
        )


@pytest.mark.slow
def test_exact_distributions_of_some_columns(historical_rats) -> None:
    # Counting zeros in the 70 historical columns of replications from the 71-group
    # posterior (the chapter's exercise): against replications, and against the 71-group
    # count, which is larger because the current group can also replicate a zero.
    data = rat_tumors()
    posterior = beta_binomial.hyper_posterior(data["y"], data["n"])
    first = list(range(70))
    pmf = predictive_checks.zero_count_pmf(posterior, new_groups=True, groups=first)
    assert pmf.shape == (71,) and round(float(pmf[14:].sum()), 4) == 0.1086
    everything = predictive_checks.zero_count_pmf(posterior, new_groups=True)
    assert everything[14:].sum() > pmf[14:].sum()
    rep = predictive_checks.replicate_counts(posterior, 50_000, new_groups=True, rng=9)[:, :70]
    freq = np.bincount(predictive_checks.zero_count(rep), minlength=71) / rep.shape[0]
    assert np.all(np.abs(freq - pmf) < 5 * np.sqrt(pmf * (1 - pmf) / rep.shape[0]) + 1e-4)
    with pytest.raises(ValueError, match="groups"):
        predictive_checks.largest_rate_sf(posterior, 0.3, groups=[71])
