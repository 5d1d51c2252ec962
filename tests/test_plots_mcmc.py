"""The MCMC figures draw what they claim, from exact draws dressed as MCMC output."""

from __future__ import annotations

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from scipy import stats

from companion import diagnostics, normal_normal, plots
from companion.datasets import eight_schools
from companion.draws import to_datatree

SCHOOLS = eight_schools()


@pytest.fixture(scope="module")
def exact() -> normal_normal.TauPosterior:
    return normal_normal.tau_posterior(
        SCHOOLS["y"],
        SCHOOLS["sigma"],
        tau_prior=stats.halfcauchy(scale=5),
        mu_prior=stats.norm(0, 5),
    )


@pytest.fixture
def tree(exact):
    tree = to_datatree(exact.sample(800, rng=1), group_dim="school", groups=list("ABCDEFGH"))
    flags = np.zeros((4, 200), dtype=bool)
    flags[0, :5] = True
    tree["sample_stats"] = az.from_dict({"sample_stats": {"diverging": flags}})["sample_stats"]
    yield tree
    plt.close("all")


def test_funnel_marks_divergences_and_draws_exact_contours(tree, exact) -> None:
    ax = plots.plot_funnel(tree, exact=exact, group=2)
    assert isinstance(ax, Axes)
    sizes = sorted(len(c.get_offsets()) for c in ax.collections if not isinstance(c, ContourSet))
    assert 5 in sizes and 795 in sizes  # divergent and ordinary draws
    assert ax.get_xlabel() == r"$\theta_{C}$"
    contours = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert len(contours) == 1 and len(contours[0].levels) == 3
    with pytest.raises(ValueError, match="group"):
        plots.plot_funnel(tree, group=8)
    with pytest.raises(ValueError, match="sample_stats"):
        plots.plot_funnel(to_datatree(exact.sample(40, rng=2)))


def test_funnel_contours_enclose_the_stated_mass() -> None:
    from companion.plots.mcmc import _mass_levels

    density = np.exp(
        -0.5 * np.linspace(-4, 4, 801)[:, None] ** 2 - 0.5 * np.linspace(-4, 4, 801) ** 2
    )
    for fraction, level in zip(
        [0.5, 0.9, 0.99], sorted(_mass_levels(density, [0.5, 0.9, 0.99]), reverse=True), strict=True
    ):
        inside = density[density >= level].sum() / density.sum()
        assert inside == pytest.approx(fraction, abs=2e-3)
        # for a standard bivariate normal the region is a disc of radius sqrt(-2 log(1-f))
        assert np.sqrt(-2 * np.log(level)) == pytest.approx(
            np.sqrt(-2 * np.log(1 - fraction)), abs=0.01
        )


def test_trace_has_one_line_per_chain(tree) -> None:
    ax = plots.plot_log_tau_trace(tree)
    assert len(ax.get_lines()) == 4
    assert len(ax.collections) == 1  # the divergent draws of chain 0
    short = plots.plot_log_tau_trace(tree, max_draws=3)
    assert all(len(line.get_xdata()) == 3 for line in short.get_lines())
    assert len(short.collections[0].get_offsets()) == 3
    with pytest.raises(ValueError, match="max_draws"):
        plots.plot_log_tau_trace(tree, max_draws=0)


def test_running_mean_bands_and_exact_line(tree, exact) -> None:
    table = diagnostics.running_mean(diagnostics.log_tau(tree), checkpoints=12)
    value = float(exact.expect(np.log))
    ax = plots.plot_running_mean({"exact draws": table}, exact=value)
    assert ax.get_lines()[-1].get_ydata()[0] == pytest.approx(value)
    assert len(ax.collections) == 1 and ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="lacks columns"):
        plots.plot_running_mean({"bad": pd.DataFrame({"x": [1]})}, exact=0.0)
    with pytest.raises(ValueError, match="at least one"):
        plots.plot_running_mean({}, exact=0.0)


def test_forest_comparison_returns_a_figure_with_a_legend(tree) -> None:
    fig = plots.plot_forest_comparison({"a": tree, "b": tree})
    assert isinstance(fig, Figure)
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert texts == ["a", "b"]
    with pytest.raises(ValueError, match="at least one"):
        plots.plot_forest_comparison({})


def test_pair_divergences_uses_the_quantity_labels(tree) -> None:
    ax = plots.plot_pair_divergences(tree, "theta_B", "log_tau", title="t")
    sizes = sorted(len(c.get_offsets()) for c in ax.collections)
    assert sizes == [5, 795]
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(
        offsets[:, 1].max(), np.log(tree["posterior"]["tau"].values.ravel()[5:]).max()
    )
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("theta_B", "log_tau", "t")
    with pytest.raises(ValueError, match="quantities"):
        plots.plot_pair_divergences(tree, "theta", "log_tau")
