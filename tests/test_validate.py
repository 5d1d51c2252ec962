"""The single validation module: errors name the argument and show the bad value."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from companion import _validate as v


def test_as_finite_copies_and_reports_the_bad_entry() -> None:
    data = np.array([1.0, 2.0, 3.0])
    out = v.as_finite(data, "y")
    out[0] = 99
    assert data[0] == 1.0
    with pytest.raises(ValueError, match=r"y must be finite .*\[1\]=nan"):
        v.as_finite([1.0, np.nan, 3.0], "y")
    with pytest.raises(ValueError, match="y must be numeric"):
        v.as_finite(["a", "b"], "y")
    with pytest.raises(ValueError, match="y must be a 1-dimensional array"):
        v.as_finite([[1.0]], "y")
    with pytest.raises(ValueError, match="y must not be empty"):
        v.as_finite([], "y")


def test_counts_positive_and_rates() -> None:
    assert v.as_counts([3.0, 0], "n").dtype == np.int64
    with pytest.raises(ValueError, match=r"n must be non-negative whole numbers; got \[0\]=2.5"):
        v.as_counts([2.5], "n")
    with pytest.raises(ValueError, match=r"sigma must be > 0; got \[1\]=0.0"):
        v.as_positive([1.0, 0.0], "sigma")
    with pytest.raises(ValueError, match="rates must lie in"):
        v.as_rates([0.1, 1.2], "rates")
    with pytest.raises(ValueError, match="spread"):
        v.as_rates([0.2, 0.2], "rates")
    with pytest.raises(ValueError, match="y must not exceed n"):
        v.check_trials(np.array([3]), np.array([2]), ("y", "n"))


def test_lengths_draws_and_choices() -> None:
    with pytest.raises(ValueError, match=r"len\(y\)=2, len\(sigma\)=3"):
        v.check_same_length(y=np.zeros(2), sigma=np.zeros(3))
    for bad in (0, -3, 1.5, True, "5", None):
        with pytest.raises(ValueError, match="draws must be an integer >= 1"):
            v.check_draws(bad)
    assert v.check_draws(np.int64(7)) == 7
    with pytest.raises(ValueError, match="sampler must be one of"):
        v.check_choice("stan", "sampler", ["pymc", "nutpie"])


def test_frozen_distributions() -> None:
    prior = stats.halfcauchy(scale=5)
    assert v.check_frozen(prior, "tau_prior", lower=0.0) is prior
    with pytest.raises(ValueError, match="support within"):
        v.check_frozen(stats.norm(0, 1), "tau_prior", lower=0.0)
    with pytest.raises(ValueError, match=r"scipy\.stats\.norm distribution"):
        v.check_frozen(stats.t(3), "mu_prior", family="norm")
    with pytest.raises(ValueError, match="frozen continuous"):
        v.check_frozen(stats.poisson(2), "tau_prior")
    with pytest.raises(ValueError, match="frozen continuous"):
        v.check_frozen(stats.norm, "mu_prior")


def test_probabilities() -> None:
    levels = [0.1, 0.5]
    out = v.as_probabilities(levels, "q")
    assert out.tolist() == [0.1, 0.5] and out.ndim == 1
    out[0] = 0.9
    assert levels == [0.1, 0.5]
    assert v.as_probabilities(0.25).tolist() == [0.25]  # a scalar is one level; name "q"
    assert v.as_probabilities([[0.1, 0.2]], "q").shape == (2,)
    for bad in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=r"q must lie strictly between 0 and 1; got \[0\]="):
            v.as_probabilities(bad, "q")
    with pytest.raises(ValueError, match="q must be finite"):
        v.as_probabilities([0.5, np.nan], "q")
    with pytest.raises(ValueError, match="q must be numeric"):
        v.as_probabilities("half", "q")
    assert v.as_probability(0.95, "probability") == 0.95
    assert isinstance(v.as_probability(np.float32(0.5), "probability"), float)
    with pytest.raises(ValueError, match="probability must lie strictly between 0 and 1"):
        v.as_probability(1.0, "probability")
    with pytest.raises(ValueError, match="probability must be a scalar"):
        v.as_probability([0.5, 0.6], "probability")


def test_groups() -> None:
    assert v.check_groups(None, 3).tolist() == [0, 1, 2]
    chosen = v.check_groups([2, 0], 3)
    assert chosen.tolist() == [2, 0] and chosen.dtype == np.int64
    assert v.check_groups(np.int64(1), 3).tolist() == [1]
    with pytest.raises(ValueError, match=r"groups must lie in \[0, 2\]; got \[3, -1\]"):
        v.check_groups([0, 3, -1], 3)
    for bad in ([], [1.0], [True], [[0, 1]], "0"):
        with pytest.raises(ValueError, match="groups must be a non-empty sequence of integers"):
            v.check_groups(bad, 3)
    with pytest.raises(ValueError, match="group must lie"):
        v.check_groups([5], 3, "group")


def test_seeds_and_the_rng_type() -> None:
    assert v.as_seed(3) == 3 and v.as_seed(np.int64(7)) == 7
    first = v.as_seed(np.random.default_rng(9))
    assert first == v.as_seed(np.random.default_rng(9)) and 0 <= first < 2**62
    assert 0 <= v.as_seed(None) < 2**62
    for bad in (-1, 1.5, True, "3", [1]):
        with pytest.raises(ValueError, match="rng"):
            v.as_seed(bad)
    with pytest.raises(ValueError, match="seed must"):
        v.as_seed(-2, "seed")
    # RngLike is what every rng argument accepts.
    for accepted in (3, np.int64(3), np.random.default_rng(3), None):
        assert isinstance(accepted, v.RngLike)


def test_unique_entries() -> None:
    assert v.check_unique(("a", "b"), "names") == ["a", "b"]
    assert v.check_unique(iter([1, 2, 3]), "labels") == [1, 2, 3]
    with pytest.raises(ValueError, match="names must not repeat entries; got 'a' more than once"):
        v.check_unique(["a", "b", "a"], "names")
