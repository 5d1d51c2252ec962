"""Exact draws convert to the DataTree that PyMC returns, so ArviZ applies to both."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

from companion import normal_normal as nn
from companion.beta_binomial import hyper_posterior
from companion.datasets import eight_schools, rat_tumors
from companion.draws import to_datatree


def test_round_trip_keeps_every_draw() -> None:
    data = eight_schools()
    draws = nn.sample_posterior(data["y"], data["sigma"], 4000, rng=1)
    tree = to_datatree(draws, group_dim="school", groups=data["school"].tolist())
    posterior = tree["posterior"]
    assert dict(posterior.sizes) == {"chain": 4, "draw": 1000, "school": 8}
    assert list(posterior["school"].values) == list("ABCDEFGH")
    np.testing.assert_array_equal(posterior["theta"].values.reshape(4000, 8), draws["theta"])
    np.testing.assert_array_equal(posterior["tau"].values.reshape(-1), draws["tau"])


def test_arviz_diagnostics_see_independent_draws() -> None:
    data = eight_schools()
    draws = nn.sample_posterior(data["y"], data["sigma"], 8000, rng=2)
    tree = to_datatree(draws, group_dim="school")
    summary = az.summary(tree, var_names=["mu", "tau"])
    assert (summary["r_hat"].astype(float) < 1.01).all()
    # Independent draws: bulk ESS close to the number of draws.
    assert (summary["ess_bulk"].astype(float) > 6000).all()


@pytest.mark.parametrize(
    ("draws", "kwargs", "match"),
    [
        ({}, {}, "at least one"),
        ({"a": np.zeros(10), "b": np.zeros(12)}, {}, "same"),
        ({"a": np.zeros(10)}, {"chains": 4}, "divisible"),
        ({"a": np.zeros((8, 2, 2))}, {}, "shape"),
        ({"a": np.zeros((8, 2))}, {"groups": ["x"]}, "groups"),
        ({"a": np.zeros(8)}, {"chains": 0}, "chains"),
    ],
)
def test_invalid_input(draws, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        to_datatree(draws, **kwargs)


def test_both_posteriors_draw_the_same_kind_of_dict() -> None:
    # TauPosterior.sample and HyperPosterior.sample both return {name: array}, with theta
    # of shape (draws, J): one converter serves both.
    rates = rat_tumors().iloc[60:70]  # ten experiments with 0 < y < n
    draws = hyper_posterior(rates["y"], rates["n"], size=64).sample(400, rng=3)
    tree = to_datatree(draws, chains=2, group_dim="experiment")
    posterior = tree["posterior"]
    assert dict(posterior.sizes) == {"chain": 2, "draw": 200, "experiment": 10}
    assert set(posterior.data_vars) == {"alpha", "beta", "theta"}
    np.testing.assert_array_equal(posterior["alpha"].values.reshape(-1), draws["alpha"])
