"""Tests for companion.plots.meta: the forest plot of the meta-analysis chapter.

The artists must carry the numbers passed in (intervals y +/- 1.96 sigma, the posterior
quantiles, the summary diamonds), bad shapes must raise a ValueError naming the
arguments, and the inputs must be left unchanged.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import LineCollection

from companion import plots

Y = np.array([-0.3, 0.1, -0.5])
SIGMA = np.array([0.2, 0.4, 0.25])
SHRUNK = np.array([[-0.6, -0.5, -0.7], [-0.3, -0.2, -0.35], [0.0, 0.2, -0.05]])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _segments(ax) -> list[np.ndarray]:
    return [c.get_segments() for c in ax.collections if isinstance(c, LineCollection)]


def test_forest_draws_each_interval_and_summary() -> None:
    summary = {"mean effect": (-0.25, -0.4, -0.1)}
    ax = plots.plot_forest(Y, SIGMA, SHRUNK, labels=["a", "b", "c"], summary=summary)
    raw, post, diamond = _segments(ax)
    ends = np.array([[seg[0][0], seg[1][0]] for seg in raw])
    np.testing.assert_allclose(ends, np.c_[Y - 1.96 * SIGMA, Y + 1.96 * SIGMA])
    np.testing.assert_allclose([[s[0][0], s[1][0]] for s in post], SHRUNK[[0, 2]].T)
    np.testing.assert_allclose([[s[0][0], s[1][0]] for s in diamond], [[-0.4, -0.1]])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c", "mean effect"]
    # The first trial is drawn at the top.
    assert raw[0][0][1] > raw[2][0][1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shrunk": SHRUNK[:2]}, "shrunk"),
        ({"labels": ["a", "b"]}, "labels"),
        ({"sigma": SIGMA[:2]}, "sigma"),
        ({"sigma": -SIGMA}, "sigma"),
    ],
)
def test_forest_rejects_inconsistent_input(kwargs: dict, match: str) -> None:
    args = {"y": Y, "sigma": SIGMA, "shrunk": SHRUNK, "labels": ["a", "b", "c"]} | kwargs
    with pytest.raises(ValueError, match=match):
        plots.plot_forest(args.pop("y"), args.pop("sigma"), args.pop("shrunk"), **args)


def test_forest_leaves_its_inputs_unchanged() -> None:
    y, sigma, shrunk = Y.copy(), SIGMA.copy(), SHRUNK.copy()
    plots.plot_forest(y, sigma, shrunk, labels=["a", "b", "c"])
    assert np.array_equal(y, Y) and np.array_equal(sigma, SIGMA) and np.array_equal(shrunk, SHRUNK)
