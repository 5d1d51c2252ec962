"""Figures of replicated runs draw one mark per run, coloured by what the run did."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from companion import plots


@pytest.fixture
def runs() -> pd.DataFrame:
    yield pd.DataFrame(
        {
            "sampler": ["nutpie"] * 5 + ["pymc"] * 2,
            "parametrization": ["centered"] * 7,
            "log_tau_mean": [0.8, 1.2, 0.85, 1.0, 0.6, 1.1, 0.9],
            "log_tau_mcse": [0.05, 0.1, 0.1, 0.02, 0.05, 0.2, 0.01],
            "divergences": [0, 5, 300, 12, 1, 90, 40],
        }
    )
    plt.close("all")


def test_run_estimates_one_panel_per_group_and_red_misses(runs) -> None:
    before = runs.copy()
    fig = plots.plot_run_estimates(runs, exact=0.8)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    nutpie = fig.axes[0]
    # hlines collections: covering runs (blue) then missing runs (red)
    segments = [len(c.get_segments()) for c in nutpie.collections]
    # |0.8-0.8|<=0.1, |1.2-0.8|>0.2, |0.85-0.8|<=0.2, |1.0-0.8|>0.04, |0.6-0.8|>0.1
    assert segments == [2, 3]
    assert "40% of intervals cover" in nutpie.get_title()
    assert fig.axes[1].get_title().startswith("pymc, centered: 50%")
    pd.testing.assert_frame_equal(runs, before)


def test_divergence_counts_one_row_per_group_with_median(runs) -> None:
    ax = plots.plot_divergence_counts(runs)
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [len(line.get_xdata()) for line in dots] == [5, 2]
    medians = [line for line in ax.get_lines() if line.get_marker() != "o"]
    assert [m.get_xdata()[0] for m in medians] == [5.0, 65.0]
    assert ax.get_xscale() == "symlog"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["nutpie, centered", "pymc, centered"]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda t: plots.plot_run_estimates(t.drop(columns="log_tau_mcse"), exact=0.8), "lacks"),
        (lambda t: plots.plot_run_estimates(t.iloc[:0], exact=0.8), "no runs"),
        (lambda t: plots.plot_divergence_counts(t, by=["target_accept"]), "lacks"),
    ],
)
def test_bad_tables_are_refused(runs, call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call(runs)


def test_jitter_is_seeded(runs) -> None:
    first = plots.plot_divergence_counts(runs, rng=3).get_lines()[0].get_ydata()
    second = plots.plot_divergence_counts(runs, rng=3).get_lines()[0].get_ydata()
    np.testing.assert_array_equal(first, second)
