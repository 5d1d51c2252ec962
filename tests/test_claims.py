"""Claims over replicated runs: thresholds from the number of runs, false alarms <= alpha."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from companion import claims


@pytest.mark.parametrize("n", [10, 37, 100, 400])
@pytest.mark.parametrize("p0", [0.05, 0.5, 0.8, 0.95])
def test_binomial_thresholds_are_the_tightest_at_level_alpha(n, p0) -> None:
    """P(a true claim fails) <= alpha, and one count more would break that bound."""
    alpha = 1e-6
    try:
        low = claims.probability_at_least(np.zeros(n, bool), p0, "x", alpha=alpha)
    except ValueError:
        assert stats.binom.cdf(0, n, p0) > alpha  # no count is rare enough to refute
    else:
        k = int(low.limit)
        assert stats.binom.cdf(k - 1, n, p0) <= alpha < stats.binom.cdf(k, n, p0)
    try:
        high = claims.probability_at_most(np.zeros(n, bool), p0, "x", alpha=alpha)
    except ValueError:
        assert stats.binom.sf(n - 1, n, p0) > alpha
    else:
        m = int(high.limit)
        assert stats.binom.sf(m, n, p0) <= alpha < stats.binom.sf(m - 1, n, p0)


def test_a_true_claim_fails_at_most_alpha_of_the_time(rng) -> None:
    """Simulated at alpha = 1e-2, where the false-alarm rate is measurable."""
    trials, n, p0, alpha = 20_000, 50, 0.7, 1e-2
    counts = rng.binomial(n, p0, size=trials)  # the claim Pr >= 0.7 holds with equality
    k = int(claims.probability_at_least(np.ones(n, bool), p0, "x", alpha=alpha).limit)
    failures = np.mean(counts < k)
    exact = stats.binom.cdf(k - 1, n, p0)
    assert exact <= alpha
    assert abs(failures - exact) < 5 * np.sqrt(exact * (1 - exact) / trials)


def test_probability_claims_count_the_events() -> None:
    events = np.array([True] * 18 + [False] * 2)
    claim = claims.probability_at_least(events, 0.5, "most runs")
    assert (claim.runs, claim.observed, claim.holds) == (20, 18, True)
    assert not claims.probability_at_most(events, 0.05, "few runs").holds
    assert claims.probability_at_most(~events, 0.1, "few runs").holds


def test_mean_claims_use_students_t(rng) -> None:
    values = rng.normal(0.3, 0.15, size=40)
    se = values.std(ddof=1) / np.sqrt(40)
    t = stats.t.isf(1e-6, 39)
    claim = claims.mean_at_least(values, 0.2, "bias >= 0.2")
    assert claim.holds == (values.mean() >= 0.2 - t * se)
    assert claim.limit == pytest.approx(0.2 - t * se)
    assert claims.mean_at_most(values, 0.5, "bias <= 0.5").holds
    assert not claims.mean_at_least(values, 1.0, "bias >= 1").holds
    assert not claims.mean_within(values, 0.0, "no bias").holds
    centred = values - values.mean()
    assert claims.mean_within(centred, 0.0, "no bias").holds


def test_a_mean_claim_fails_at_most_alpha_of_the_time(rng) -> None:
    """For normal values the t threshold is exact; simulated at alpha = 1e-2."""
    trials, n, alpha = 20_000, 30, 1e-2
    samples = rng.normal(0.15, 0.2, size=(trials, n))  # true mean exactly at the bound
    means = samples.mean(axis=1)
    se = samples.std(axis=1, ddof=1) / np.sqrt(n)
    failures = np.mean(means < 0.15 - stats.t.isf(alpha, n - 1) * se)
    assert abs(failures - alpha) < 5 * np.sqrt(alpha * (1 - alpha) / trials)
    one = claims.mean_at_least(samples[0], 0.15, "x", alpha=alpha)
    assert one.holds == bool(means[0] >= 0.15 - stats.t.isf(alpha, n - 1) * se[0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: claims.probability_at_least(np.ones(3, bool), 0.9, "x"), "cannot refute"),
        (lambda: claims.probability_at_most(np.zeros(3, bool), 0.2, "x"), "cannot refute"),
        (lambda: claims.probability_at_least([1, 0, 1], 0.5, "x"), "boolean"),
        (lambda: claims.probability_at_least(np.ones(0, bool), 0.5, "x"), "non-empty"),
        (lambda: claims.probability_at_least(np.ones(9, bool), 1.0, "x"), "p0"),
        (lambda: claims.probability_at_least(np.ones(9, bool), 0.5, "x", alpha=0.7), "alpha"),
        (lambda: claims.mean_at_least([0.1, 0.2], 0.0, "x"), "at least 3"),
        (lambda: claims.mean_within([0.1, 0.2, np.nan], 0.0, "x"), "finite"),
        (lambda: claims.mean_within([0.1, 0.2, 0.3], -1.0, "x"), "half_width"),
    ],
)
def test_bad_input_and_unfalsifiable_claims_raise(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def _runs(sampler: str, n: int, *, biased: bool) -> pd.DataFrame:
    """Runs with the behaviour the chapter describes (biased=True) or its opposite."""
    rng = np.random.default_rng(5)
    rows = []
    for name in ("centered", "non_centered"):
        bad = name == "centered" and biased
        rows.append(
            pd.DataFrame(
                {
                    "sampler": sampler,
                    "parametrization": name,
                    "divergences": rng.poisson(
                        (20 if sampler == "nutpie" else 100) if bad else 2, n
                    ),
                    "e_bfmi": rng.uniform(0.1, 0.25, n) if bad else rng.uniform(0.8, 1, n),
                    "log_tau_error": rng.normal(0.3 if bad else 0.0, 0.1 if bad else 0.02, n),
                    "log_tau_z": rng.normal(6 if bad else 0, 1, n),
                    "log_tau_r_hat": np.full(n, 1.1 if bad else 1.001),
                    "log_tau_ess_bulk": np.full(n, 80.0 if bad else 2000.0),
                    "log_tau_ess_tail": np.full(n, 50.0 if bad else 1500.0),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize(("sampler", "n", "refuted"), [("nutpie", 50, 8), ("pymc", 10, 3)])
def test_chapter_claims_hold_for_the_described_behaviour_and_fail_otherwise(
    sampler, n, refuted
) -> None:
    results = claims.centered_versus_non_centered(_runs(sampler, n, biased=True), sampler=sampler)
    assert all(c.holds for c in results), claims.table(results)
    # A sampler that handled the centered model well would refute the centered claims
    # (all eight for nutpie; for PyMC, ten runs cannot refute "a centered run overestimates").
    healthy = claims.centered_versus_non_centered(_runs(sampler, n, biased=False), sampler=sampler)
    assert sum(not c.holds for c in healthy) >= refuted, claims.table(healthy)


def test_chapter_claims_need_both_models_and_the_columns() -> None:
    runs = _runs("nutpie", 50, biased=True)
    with pytest.raises(ValueError, match="no nutpie runs of the non_centered"):
        claims.centered_versus_non_centered(runs.query("parametrization == 'centered'"))
    with pytest.raises(ValueError, match="lacks the columns"):
        claims.centered_versus_non_centered(runs.drop(columns="log_tau_z"))
    with pytest.raises(ValueError, match="sampler"):
        claims.centered_versus_non_centered(runs.assign(sampler="stan"), sampler="stan")


def test_claims_table() -> None:
    results = claims.centered_versus_non_centered(_runs("nutpie", 50, biased=True))
    table = claims.table(results)
    assert list(table.columns) == ["claim", "runs", "observed", "must be", "holds"]
    assert len(table) == len(results) == 17 and table["holds"].all()
    first = table.iloc[0]
    assert first["claim"].endswith("(probability >= 0.9)") and first["observed"].endswith("of 50")
