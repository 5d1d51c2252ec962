"""The exchangeability figures draw what they claim, validate inputs and leave them alone."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch
from scipy import stats

from companion import exchangeability as ex
from companion import plots


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- plot_hierarchy -----------------------------------------------------------------------


@pytest.mark.parametrize("groups", [1, 2, 3, 5, 8])
def test_hierarchy_draws_one_hyper_node_two_nodes_and_two_arrows_per_group(groups):
    ax = plots.plot_hierarchy(groups)
    assert isinstance(ax, Axes)
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(circles) == 1 + 2 * groups
    assert len(arrows) == 2 * groups
    texts = [t.get_text() for t in ax.texts]
    assert r"$\phi$" in texts
    assert {"hyperparameters", "parameters", "data"} <= set(texts)
    # Observed data nodes are shaded, the unknowns are not.
    shaded = [c for c in circles if c.get_facecolor()[:3] != (1.0, 1.0, 1.0)]
    assert len(shaded) == groups


def test_hierarchy_labels_the_last_group_j_and_marks_the_gap():
    texts = [t.get_text() for t in plots.plot_hierarchy(4).texts]
    assert r"$\theta_{J}$" in texts and r"$y_{J}$" in texts
    assert r"$\theta_{3}$" in texts and r"$\theta_{4}$" not in texts
    assert texts.count(r"$\cdots$") == 2
    two = [t.get_text() for t in plots.plot_hierarchy(2).texts]
    assert r"$\theta_{2}$" in two and r"$\cdots$" not in two


def test_hierarchy_arrows_point_down_from_phi_to_theta_to_y():
    ax = plots.plot_hierarchy(3)
    centres = {c.center: c.radius for c in ax.patches if isinstance(c, Circle)}
    top = max(centres, key=lambda xy: xy[1])
    from_top = 0
    for arrow in (p for p in ax.patches if isinstance(p, FancyArrowPatch)):
        start, end = arrow._posA_posB  # in data coordinates (no public getter)
        assert end[1] < start[1]
        # both ends lie on the rim of some node circle
        for point in (start, end):
            assert any(
                np.hypot(point[0] - c[0], point[1] - c[1]) == pytest.approx(r)
                for c, r in centres.items()
            )
        from_top += np.hypot(start[0] - top[0], start[1] - top[1]) == pytest.approx(centres[top])
    assert from_top == 3


def test_hierarchy_draws_on_a_given_axes():
    _, ax = plt.subplots()
    assert plots.plot_hierarchy(2, ax=ax) is ax


@pytest.mark.parametrize("groups", [0, -1, 2.5, 9, True, "3"])
def test_hierarchy_rejects_bad_groups(groups):
    with pytest.raises(ValueError, match="groups"):
        plots.plot_hierarchy(groups)


# --- plot_running_fraction ----------------------------------------------------------------


def test_running_fraction_draws_one_line_per_sequence_and_the_reference():
    seqs = ex.simulate_iid(50, 6, p=0.3, rng=1)
    ax = plots.plot_running_fraction(seqs, reference=0.3)
    assert len(ax.lines) == 6 + 1
    assert ax.lines[-1].get_ydata()[0] == pytest.approx(0.3)
    assert ax.get_xscale() == "log"
    assert "fraction" in ax.get_ylabel()
    assert "draws" in ax.get_xlabel()
    # each line is the running mean k_m / m of its row
    first = ax.lines[0]
    np.testing.assert_array_equal(first.get_xdata(), np.arange(1, 51))
    np.testing.assert_allclose(first.get_ydata(), np.cumsum(seqs[0]) / np.arange(1, 51))


def test_running_fraction_without_reference_and_linear_scale():
    ax = plots.plot_running_fraction(ex.simulate_polya_urn(20, 3, rng=2), xscale="linear")
    assert len(ax.lines) == 3
    assert ax.get_xscale() == "linear"


def test_running_fraction_does_not_modify_its_input():
    seqs = ex.simulate_polya_urn(30, 4, rng=3)
    before = seqs.copy()
    plots.plot_running_fraction(seqs, reference=0.5)
    np.testing.assert_array_equal(seqs, before)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"sequences": np.array([[0, 2, 1]])}, "sequences"),
        ({"sequences": np.array([0, 1, 1])}, "sequences"),
        ({"sequences": np.array([[0, -1]])}, "sequences"),
        ({"sequences": np.array([[0, 1]]), "reference": 1.5}, "reference"),
        ({"sequences": np.array([[0, 1]]), "reference": np.nan}, "reference"),
        ({"sequences": np.array([[0, 1]]), "xscale": "symlog"}, "xscale"),
    ],
)
def test_running_fraction_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_running_fraction(**kwargs)


# --- plot_limit_density -------------------------------------------------------------------


def test_limit_density_draws_a_normalized_histogram_and_the_limit():
    fractions = ex.simulate_polya_urn(200, 4000, ones=2.0, zeros=3.0, rng=4).mean(axis=1)
    ax = plots.plot_limit_density(fractions, limit=stats.beta(2, 3), bins=20)
    bars = ax.patches
    assert len(bars) == 20
    # horizontal bars: widths are densities, heights are bins of [0, 1]
    widths = np.array([b.get_width() for b in bars])
    assert np.sum(widths * 0.05) == pytest.approx(1.0)
    assert len(ax.lines) == 1
    density, grid = ax.lines[0].get_xdata(), ax.lines[0].get_ydata()
    np.testing.assert_allclose(density, stats.beta(2, 3).pdf(grid))
    assert ax.get_ylim() == (0.0, 1.0)
    labels = ax.get_legend_handles_labels()[1]
    assert set(labels) == {"limit density", "simulated"}


def test_limit_density_vertical_without_limit():
    ax = plots.plot_limit_density([0.1, 0.5, 0.52, 0.9], orientation="vertical", bins=4)
    assert len(ax.patches) == 4 and not ax.lines
    assert ax.get_xlim() == (0.0, 1.0)


def test_limit_density_does_not_modify_its_input():
    fractions = np.array([0.2, 0.4, 0.6])
    plots.plot_limit_density(fractions, limit=stats.uniform())
    np.testing.assert_array_equal(fractions, [0.2, 0.4, 0.6])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"fractions": [0.2, 1.2]}, "fractions"),
        ({"fractions": [[0.2]]}, "fractions"),
        ({"fractions": [0.2], "bins": 0}, "bins"),
        ({"fractions": [0.2], "orientation": "diagonal"}, "orientation"),
        ({"fractions": [0.2], "limit": 3.0}, "limit"),
    ],
)
def test_limit_density_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_limit_density(**kwargs)


# --- plot_pattern_frequencies -------------------------------------------------------------


def _exact(**kwargs):
    return {
        p: ex.pattern_probability([int(c) for c in p], **kwargs)
        for p in ex.pattern_frequencies(np.zeros((1, 3), dtype=int))
    }


def test_pattern_frequencies_bars_are_grouped_and_ordered_by_number_of_ones():
    freqs = {
        "iid": ex.pattern_frequencies(ex.simulate_iid(3, 2000, p=0.5, rng=5)),
        "urn": ex.pattern_frequencies(ex.simulate_polya_urn(3, 2000, rng=6)),
    }
    exact = {"iid": _exact(p=0.5), "urn": _exact()}
    ax = plots.plot_pattern_frequencies(freqs, exact=exact)
    containers = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(containers) == 2 and all(len(c) == 8 for c in containers)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["000", "100", "010", "001", "110", "101", "011", "111"]
    heights = [b.get_height() for b in containers[1]]
    assert heights == [freqs["urn"][p] for p in ticks]
    marks = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(marks) == 2
    # the exact marks sit at the exact probabilities, in the same order
    levels = [seg[0][1] for seg in marks[1].get_segments()]
    np.testing.assert_allclose(levels, [exact["urn"][p] for p in ticks])
    labels = ax.get_legend().get_texts()
    assert sorted(t.get_text() for t in labels) == ["exact probability", "iid", "urn"]
    assert ax.get_ylabel() == "frequency"


def test_pattern_frequencies_without_exact_and_input_untouched():
    freqs = {"urn": {"00": 0.4, "01": 0.1, "10": 0.1, "11": 0.4}}
    before = {k: dict(v) for k, v in freqs.items()}
    ax = plots.plot_pattern_frequencies(freqs)
    assert not [c for c in ax.collections if isinstance(c, LineCollection)]
    assert freqs == before


@pytest.mark.parametrize(
    ("frequencies", "exact", "name"),
    [
        ({}, None, "frequencies"),
        ({"a": {}}, None, "frequencies"),
        ({"a": {"01": 0.5, "1": 0.5}}, None, "frequencies"),
        ({"a": {"0x": 1.0}}, None, "frequencies"),
        ({"a": {"0": 1.5, "1": 0.0}}, None, "frequencies"),
        ({"a": {"0": 0.5, "1": 0.5}, "b": {"00": 1.0}}, None, "frequencies"),
        ({"a": {"0": 0.5, "1": 0.5}}, {"b": {"0": 0.5, "1": 0.5}}, "exact"),
        ({"a": {"0": 0.5, "1": 0.5}}, {"a": {"00": 1.0}}, "exact"),
        ({"a": {"0": 0.5, "1": 0.5}}, [0.5, 0.5], "exact"),
    ],
)
def test_pattern_frequencies_rejects_bad_input(frequencies, exact, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_pattern_frequencies(frequencies, exact=exact)


# --- plot_estimates_vs_truth --------------------------------------------------------------


def test_estimates_vs_truth_one_panel_per_estimator_with_its_rmse():
    truth = np.array([0.2, 0.3, 0.5])
    estimates = {"no pooling": np.array([0.1, 0.4, 0.5]), "complete pooling": np.full(3, 1 / 3)}
    fig = plots.plot_estimates_vs_truth(truth, estimates, sizes=[10, 20, 40])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    for ax, (name, est) in zip(fig.axes, estimates.items(), strict=True):
        rmse = np.sqrt(np.mean((est - truth) ** 2))
        assert ax.get_title() == f"{name}\nRMSE {rmse:.3f}"
        points = ax.collections[0].get_offsets()
        np.testing.assert_allclose(points, np.column_stack([truth, est]))
        assert len(ax.lines) == 1  # the diagonal
    np.testing.assert_allclose(fig.axes[0].collections[0].get_sizes(), [15, 30, 60])
    assert fig.axes[0].get_ylabel() != "" and "true" in fig.axes[1].get_xlabel()


def test_estimates_vs_truth_does_not_modify_inputs():
    truth = np.array([0.2, 0.3])
    est = np.array([0.25, 0.35])
    plots.plot_estimates_vs_truth(truth, {"a": est})
    np.testing.assert_array_equal(truth, [0.2, 0.3])
    np.testing.assert_array_equal(est, [0.25, 0.35])


@pytest.mark.parametrize(
    ("truth", "estimates", "sizes", "name"),
    [
        ([0.2, np.nan], {"a": [0.2, 0.3]}, None, "truth"),
        ([0.2, 0.3], {}, None, "estimates"),
        ([0.2, 0.3], {"a": [0.2]}, None, "estimates"),
        ([0.2, 0.3], [0.2, 0.3], None, "estimates"),
        ([0.2, 0.3], {"a": [0.2, 0.3]}, [1, 0], "sizes"),
        ([0.2, 0.3], {"a": [0.2, 0.3]}, [1, 2, 3], "sizes"),
    ],
)
def test_estimates_vs_truth_rejects_bad_input(truth, estimates, sizes, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_estimates_vs_truth(truth, estimates, sizes=sizes)


# --- plot_concentration_tail --------------------------------------------------------------


def test_concentration_tail_draws_density_and_reference_line_on_a_log_scale():
    v = np.linspace(0, 20, 50)
    density = np.exp(-0.5 * v) / (1 + np.exp(-2 * (v - 3)))
    ax = plots.plot_concentration_tail(v, density)
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_ydata(), density)
    line = ax.lines[1].get_ydata()
    assert line[-1] == pytest.approx(density[-1])
    slopes = np.diff(np.log(line)) / np.diff(v)
    np.testing.assert_allclose(slopes, -0.5)
    # the density's own tail has the same slope: the two lines meet far out
    assert np.log(density[-2] / line[-2]) == pytest.approx(0.0, abs=1e-10)
    assert "log" in ax.get_xlabel()


def test_concentration_tail_without_reference_and_inputs_untouched():
    v = np.array([0.0, 1.0, 2.0])
    d = np.array([0.5, 0.3, 0.1])
    ax = plots.plot_concentration_tail(v, d, slope=None, xlabel="v")
    assert len(ax.lines) == 1 and ax.get_xlabel() == "v"
    np.testing.assert_array_equal(v, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(d, [0.5, 0.3, 0.1])


@pytest.mark.parametrize(
    ("points", "density", "slope", "name"),
    [
        ([0.0, 1.0], [0.5, 0.0], -0.5, "density"),
        ([0.0, 1.0], [0.5], -0.5, "density"),
        ([1.0, 0.0], [0.5, 0.4], -0.5, "points"),
        ([0.0], [0.5], -0.5, "points"),
        ([0.0, 1.0], [0.5, 0.4], np.inf, "slope"),
    ],
)
def test_concentration_tail_rejects_bad_input(points, density, slope, name):
    with pytest.raises(ValueError, match=name):
        plots.plot_concentration_tail(points, density, slope=slope)


def test_all_functions_are_exported_from_companion_plots():
    from companion.plots import exchangeability as module

    for name in module.__all__:
        assert getattr(plots, name) is getattr(module, name)
