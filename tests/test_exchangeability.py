"""Exchangeable sequences: permutation invariance for all, dependence only with a shared rate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import comb

from companion import exchangeability as ex

N = 200_000


def _binomial_se(p: float, n: int = N) -> float:
    return math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize(
    ("simulate", "probability"),
    [
        (
            lambda: ex.simulate_iid(6, N, p=0.3, rng=1),
            lambda pat: ex.pattern_probability(pat, p=0.3),
        ),
        (
            lambda: ex.simulate_beta_bernoulli(6, N, alpha=2.0, beta=3.0, rng=2),
            lambda pat: ex.pattern_probability(pat, alpha=2.0, beta=3.0),
        ),
        (
            lambda: ex.simulate_polya_urn(6, N, ones=2.0, zeros=3.0, rng=3),
            lambda pat: ex.pattern_probability(pat, alpha=2.0, beta=3.0),
        ),
    ],
    ids=["iid", "beta-bernoulli", "polya-urn"],
)
def test_pattern_frequencies_match_exact_probabilities(simulate, probability) -> None:
    frequencies = ex.pattern_frequencies(simulate(), length=3)
    assert math.fsum(frequencies.values()) == pytest.approx(1.0)
    for pattern, frequency in frequencies.items():
        exact = probability([int(c) for c in pattern])
        assert abs(frequency - exact) < 4 * _binomial_se(exact), pattern


@pytest.mark.parametrize("alpha", [0.5, 1.0, 4.0])
def test_exchangeability_pattern_probability_depends_only_on_the_count(alpha: float) -> None:
    # Permutation invariance, exactly: every arrangement of k ones in m has one probability,
    # and the probabilities of all 2^m patterns sum to one.
    m, total = 5, 0.0
    for k in range(m + 1):
        base = ex.pattern_probability([1] * k + [0] * (m - k), alpha=alpha, beta=2.0)
        shuffled = ex.pattern_probability([0] * (m - k) + [1] * k, alpha=alpha, beta=2.0)
        assert base == pytest.approx(shuffled, rel=1e-14)
        total += comb(m, k) * base
    assert total == pytest.approx(1.0, rel=1e-12)


def test_polya_urn_has_the_law_of_the_beta_bernoulli_sequence() -> None:
    # De Finetti's representation: the urn's fraction of ones tends to a Beta(ones, zeros) draw.
    urn = ex.simulate_polya_urn(400, 20_000, ones=2.0, zeros=5.0, rng=4)
    fraction = urn.mean(axis=1)
    assert abs(fraction.mean() - 2 / 7) < 4 * fraction.std() / math.sqrt(fraction.size)
    # var of the fraction of n draws: var(theta) + E[theta (1 - theta)] / n, exactly.
    var_theta = (2 * 5) / (7**2 * 8)
    mean_binomial_var = (2 * 5) / (7 * 8)
    assert fraction.var() == pytest.approx(var_theta + mean_binomial_var / 400, rel=0.05)


def test_shared_rate_induces_exactly_the_predicted_correlation() -> None:
    for alpha, beta in [(1.0, 1.0), (2.0, 3.0), (10.0, 10.0)]:
        exact = ex.beta_bernoulli_correlation(alpha, beta)
        for sample in (
            ex.simulate_beta_bernoulli(3, N, alpha=alpha, beta=beta, rng=5),
            ex.simulate_polya_urn(3, N, ones=alpha, zeros=beta, rng=6),
        ):
            # the sampling sd of a correlation estimate is about (1 - r^2) / sqrt(n)
            assert abs(ex.position_correlation(sample, 0, 2) - exact) < 4 * (
                1 - exact**2
            ) / math.sqrt(N)
    independent = ex.simulate_iid(3, N, p=0.4, rng=7)
    assert abs(ex.position_correlation(independent)) < 4 / math.sqrt(N)


def test_shared_mean_correlation_by_simulation(rng) -> None:
    mu = rng.normal(0, 3.0, size=(N, 1))
    theta = mu + 2.0 * rng.standard_normal((N, 2))
    exact = ex.shared_mean_correlation(2.0, 3.0)
    assert exact == pytest.approx(9 / 13)
    assert abs(np.corrcoef(theta.T)[0, 1] - exact) < 4 * (1 - exact**2) / math.sqrt(N)


def test_simulations_are_reproducible_and_binary() -> None:
    a = ex.simulate_polya_urn(10, 50, rng=8)
    assert np.array_equal(a, ex.simulate_polya_urn(10, 50, rng=8))
    assert set(np.unique(a)) <= {0, 1} and a.shape == (50, 10)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: ex.simulate_iid(0, 10), "length"),
        (lambda: ex.simulate_iid(5, 10, p=1.5), "p"),
        (lambda: ex.simulate_beta_bernoulli(5, 10, alpha=0), "alpha"),
        (lambda: ex.simulate_polya_urn(5, 0), "replications"),
        (lambda: ex.simulate_polya_urn(5, 10, zeros=-1), "zeros"),
        (lambda: ex.pattern_probability([0, 2]), "pattern"),
        (lambda: ex.pattern_frequencies(np.zeros((4, 2)), length=3), "length"),
        (lambda: ex.position_correlation(np.zeros((4, 2)), 0, 5), "second"),
        (lambda: ex.position_correlation(np.zeros((4, 2))), "no variation"),
        (lambda: ex.shared_mean_correlation(-1, 1), "tau"),
    ],
)
def test_invalid_input_raises_a_named_value_error(call, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()
