"""Exact draws convert to the DataTree that PyMC returns, so ArviZ applies to both."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

from companion import normal_normal as nn
from companion.datasets import eight_schools
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
