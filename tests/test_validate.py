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
