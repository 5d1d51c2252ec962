"""Tests for companion.checks.result: the verdict of a check, and tables of verdicts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from companion import checks
from companion.checks import result


def test_check_result_reports_its_verdict() -> None:
    good = checks.check_jacobian([0.0, 1.0], [1.0, 2.0])
    bad = checks.check_jacobian([0.0, 1.0], [1.0, 2.0], candidate=[1.0, 1.0])
    assert "agrees with brute force" in repr(good) and "REJECTED" in repr(bad)
    assert "<table" in good._repr_html_() and "REJECTED" in bad._repr_html_()
    nan = checks.CheckResult("x", good.table.copy(), float("nan"), 1.0, "error")
    assert not nan.passed
    # Values supplied by the caller are labelled as a candidate, not as the closed form.
    assert "Jacobian (candidate)" in bad.table and "Jacobian (closed)" in good.table


def test_summarize_collects_the_verdicts() -> None:
    table = checks.summarize(
        {
            "right": checks.check_jacobian([0.0], [1.0]),
            "wrong": checks.check_jacobian([0.0], [1.0], candidate=[2.0]),
        }
    )
    assert table.index.tolist() == ["right", "wrong"]
    assert table["passed"].tolist() == [True, False]
    assert table.loc["wrong", "error"] == pytest.approx(2.0 / math.exp(2.0) * 4 - 1, rel=1e-6)
    with pytest.raises(ValueError, match="must be a CheckResult"):
        checks.summarize({"x": 1.0})
    with pytest.raises(ValueError, match="at least one CheckResult"):
        checks.summarize({})


def test_compare_moments_is_scale_free() -> None:
    # A mean off by 1e-3 sd and a variance off by 2e-3, at two very different scales.
    for scale in (1e-6, 1e6):
        sd = np.array([1.0, 2.0]) * scale
        closed = (np.array([1.0, 2.0]) * scale + 1e-3 * sd, sd * math.sqrt(1.002))
        brute = (np.array([1.0, 2.0]) * scale, sd**2)
        out = result.compare_moments({"k": [0, 1]}, closed, brute, what="x", tolerance=1e-2)
        assert out.error == pytest.approx(2e-3, rel=1e-9) and out.passed
        assert list(out.table.columns[-4:]) == [
            "mean (closed)",
            "mean (quadrature)",
            "var (closed)",
            "var (quadrature)",
        ]


def test_compare_log_densities_ignores_the_constant() -> None:
    brute = np.array([-3.0, -1.0, -2.0])
    same = result.compare_log_densities(
        {"x": [1, 2, 3]}, brute + 17.0, brute, what="x", tolerance=1e-12
    )
    assert same.passed and same.error == 0.0
    moved = result.compare_log_densities(
        {"x": [1, 2, 3]},
        brute + np.array([0.0, 0.0, 0.5]),
        brute,
        what="x",
        tolerance=0.1,
        candidate=True,
    )
    assert not moved.passed and moved.error == 0.5
    assert "log density (candidate)" in moved.table


def test_readers_name_the_bad_value() -> None:
    assert result.read_tolerance(1e-3) == 1e-3
    with pytest.raises(ValueError, match="tolerance must be > 0"):
        result.read_tolerance(0.0)
    with pytest.raises(ValueError, match=r"candidate must have shape \(3,\)"):
        result.read_candidate([1.0, 2.0], (3,))
    with pytest.raises(ValueError, match="candidate must be a pair"):
        result.read_candidate_pair([1.0], 2)
    with pytest.raises(ValueError, match="candidate sd must be > 0"):
        result.read_candidate_pair((0.0, -1.0), 2)
    mean, sd = result.read_candidate_pair((3.0, [1.0, 2.0]), 2)
    np.testing.assert_array_equal(mean, [3.0, 3.0])
    np.testing.assert_array_equal(sd, [1.0, 2.0])


def test_summarize_returns_a_dataframe_with_one_row_per_label() -> None:
    table = checks.summarize({"a": checks.check_jacobian([0.0], [1.0])})
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["passed", "error", "tolerance", "measure"]
