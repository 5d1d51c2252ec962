"""Replicated runs: one compiled model, many seeds, one scored row per run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from companion import diagnostics, models, normal_normal, replicates
from companion.datasets import eight_schools

SCHOOLS = eight_schools()
Y, SIGMA = SCHOOLS["y"].to_numpy(), SCHOOLS["sigma"].to_numpy()
PRIORS = {"mu_prior": stats.norm(0, 5), "tau_prior": stats.halfcauchy(scale=5)}
SHORT = {"draws": 100, "tune": 100, "chains": 2}


@pytest.fixture(scope="module")
def model():
    return models.eight_schools(
        Y, SIGMA, parametrization="non_centered", groups=SCHOOLS["school"], **PRIORS
    )


@pytest.fixture(scope="module")
def compiled(model):
    pytest.importorskip("nutpie")
    return models.compile_model(model, sampler="nutpie")


@pytest.fixture(scope="module")
def exact_means():
    exact = normal_normal.tau_posterior(Y, SIGMA, **PRIORS)
    return diagnostics.exact_expectations(exact, SCHOOLS["school"])


@pytest.fixture(scope="module")
def table(compiled, exact_means):
    return replicates.run(
        compiled,
        runs=4,
        rng=11,
        quantities=("log_tau", "mu", "theta_A", "theta_tilde_B"),
        exact=exact_means,
        tags={"parametrization": "non_centered"},
        **SHORT,
    )


@pytest.mark.slow
def test_one_row_per_run_with_every_column(table) -> None:
    assert len(table) == 4 and table["seed"].is_unique
    assert list(table["run"]) == [0, 1, 2, 3]
    assert (table["sampler"] == "nutpie").all()
    assert (table["parametrization"] == "non_centered").all()
    for label in ("log_tau", "mu", "theta_A"):
        for stat in ("mean", "mcse", "error", "z", "r_hat", "ess_bulk", "ess_tail"):
            assert f"{label}_{stat}" in table.columns
    # theta_tilde_B (a name with underscores) has no exact value: scored, no error column.
    assert "theta_tilde_B_mean" in table.columns
    assert "theta_tilde_B_error" not in table.columns
    assert (table["seconds"] > 0).all() and (table["compile_seconds"] > 0).all()
    assert table["divergences"].dtype.kind == "i" and (table["e_bfmi"] > 0).all()


def test_errors_and_z_are_measured_against_the_exact_values(table, exact_means) -> None:
    for label in ("log_tau", "mu", "theta_A"):
        error = table[f"{label}_mean"] - exact_means[label]
        np.testing.assert_allclose(table[f"{label}_error"], error, rtol=0, atol=1e-14)
        np.testing.assert_allclose(table[f"{label}_z"], error / table[f"{label}_mcse"])


def test_a_row_is_the_arviz_diagnostics_of_that_run(compiled, table) -> None:
    import arviz as az

    seed = int(table.loc[2, "seed"])
    tree = compiled.sample(rng=seed, **SHORT)
    log_tau = np.log(tree["posterior"]["tau"].values)
    row = table.loc[2]
    assert row["log_tau_mean"] == pytest.approx(log_tau.mean(), rel=1e-12)
    assert row["log_tau_mcse"] == pytest.approx(float(az.mcse(log_tau)), rel=1e-10)
    assert row["log_tau_r_hat"] == pytest.approx(float(az.rhat(log_tau)), rel=1e-10)
    assert row["log_tau_ess_bulk"] == pytest.approx(float(az.ess(log_tau)), rel=1e-10)
    tail = float(az.ess(log_tau, method="tail", prob=(0.05, 0.95)))
    assert row["log_tau_ess_tail"] == pytest.approx(tail, rel=1e-10)
    assert row["divergences"] == int(tree["sample_stats"]["diverging"].values.sum())
    theta_tilde = tree["posterior"]["theta_tilde"].sel(school="B").values
    assert row["theta_tilde_B_mean"] == pytest.approx(theta_tilde.mean())


def test_the_same_seeds_give_the_same_table_on_one_machine(compiled, table, exact_means) -> None:
    again = replicates.run(
        compiled,
        seeds=list(table["seed"]),
        quantities=("log_tau", "mu", "theta_A", "theta_tilde_B"),
        exact=exact_means,
        tags={"parametrization": "non_centered"},
        **SHORT,
    )
    columns = [c for c in table.columns if "seconds" not in c]
    pd.testing.assert_frame_equal(again[columns], table[columns])


@pytest.mark.slow
def test_the_model_is_compiled_once(model, monkeypatch) -> None:
    nutpie = pytest.importorskip("nutpie")
    calls = []
    original = nutpie.compile_pymc_model

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(nutpie, "compile_pymc_model", counting)
    table = replicates.run(model, sampler="nutpie", runs=3, **SHORT)
    assert len(calls) == 1 and len(table) == 3
    assert table["compile_seconds"].nunique() == 1


def test_progress_reports_every_run(compiled) -> None:
    lines: list[str] = []
    replicates.run(compiled, runs=2, progress=lines.append, **SHORT)
    assert len(lines) == 2 and lines[1].startswith("nutpie run 2/2")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"runs": 0}, "runs"),
        ({"runs": -3}, "runs"),
        ({"runs": 2.5}, "runs"),
        ({"runs": 2, "seeds": [1, 2]}, "exactly one of runs"),
        ({}, "exactly one of runs"),
        ({"seeds": [4, 5, 4]}, "seeds must not repeat"),
        ({"seeds": []}, "seeds must not be empty"),
        ({"seeds": [-1]}, "seeds"),
        ({"runs": 2, "quantities": ("sigma",)}, "quantities.*'sigma'"),
        ({"runs": 2, "quantities": ("theta",)}, "quantities.*'theta'"),
        ({"runs": 2, "quantities": ("theta_Z",)}, "quantities.*'theta_Z'"),
        ({"runs": 2, "quantities": ("mu", "mu")}, "quantities must not repeat"),
        ({"runs": 2, "quantities": "mu"}, "quantities must be a non-empty sequence"),
        ({"runs": 2, "exact": {"mu": np.nan}}, r"exact\['mu'\]"),
        ({"runs": 2, "target_accept": 1.2}, "target_accept"),
        ({"runs": 2, "sampler": "pymc"}, "compiled for 'nutpie'"),
    ],
)
def test_bad_input_names_the_argument(compiled, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        replicates.run(compiled, **kwargs)


def test_a_plain_model_needs_its_sampler_named(model) -> None:
    with pytest.raises(ValueError, match="sampler must be named"):
        replicates.run(model, runs=2)
    with pytest.raises(ValueError, match="sampler must be one of"):
        replicates.run(model, sampler="stan", runs=2)
    with pytest.raises(ValueError, match="model must be"):
        replicates.run("eight schools", sampler="nutpie", runs=2)


@pytest.mark.slow
def test_pymc_runs_are_scored_the_same_way(model, exact_means) -> None:
    table = replicates.run(
        model, sampler="pymc", runs=1, rng=3, exact=exact_means, draws=60, tune=60, chains=2
    )
    assert list(table["sampler"]) == ["pymc"] and table.loc[0, "compile_seconds"] >= 0
    assert table.loc[0, "log_tau_error"] == pytest.approx(
        table.loc[0, "log_tau_mean"] - exact_means["log_tau"]
    )


def _synthetic() -> pd.DataFrame:
    """A hand-made table of six runs whose summaries can be worked out by hand."""
    return pd.DataFrame(
        {
            "sampler": ["nutpie"] * 6,
            "parametrization": ["centered"] * 3 + ["non_centered"] * 3,
            "divergences": [0, 12, 3, 0, 0, 1],
            "e_bfmi": [0.2, 0.5, 0.1, 0.9, 1.0, 0.8],
            "log_tau_error": [0.3, 0.1, 0.5, 0.01, -0.02, 0.0],
            "log_tau_z": [3.0, 1.0, 5.0, 0.5, -2.5, 0.0],
            "log_tau_r_hat": [1.05, 1.0, 1.2, 1.0, 1.001, 1.02],
            "log_tau_ess_bulk": [100.0, 500.0, 50.0, 2000.0, 1500.0, 399.0],
            "log_tau_ess_tail": [90.0, 401.0, 20.0, 1800.0, 1200.0, 800.0],
        }
    )


def test_warnings_fired_follows_the_stated_rules() -> None:
    fired = replicates.warnings_fired(_synthetic())
    assert fired["divergences"].tolist() == [False, True, True, False, False, True]
    assert fired["r_hat"].tolist() == [True, False, True, False, False, True]
    assert fired["ess_bulk"].tolist() == [True, False, True, False, False, True]
    assert fired["ess_tail"].tolist() == [True, False, True, False, False, False]
    assert fired["e_bfmi"].tolist() == [True, False, True, False, False, False]
    assert fired["any"].tolist() == [True, True, True, False, False, True]
    with pytest.raises(ValueError, match="mu_r_hat"):
        replicates.warnings_fired(_synthetic(), quantity="mu")


def test_summarize_by_hand() -> None:
    summary = replicates.summarize(_synthetic(), by=["parametrization"])
    centered = summary.loc["centered"]
    assert centered["runs"] == 3
    assert centered["mean_error"] == pytest.approx(0.3)
    assert centered["sd_error"] == pytest.approx(0.2)
    assert centered["se_mean_error"] == pytest.approx(0.2 / np.sqrt(3))
    assert centered["coverage"] == pytest.approx(1 / 3)
    assert centered["median_divergences"] == 3
    assert centered["warns_divergences"] == pytest.approx(2 / 3)
    non_centered = summary.loc["non_centered"]
    assert non_centered["coverage"] == pytest.approx(2 / 3)  # |z| = 2.5 misses
    assert non_centered["warns_ess_bulk"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="lacks the columns"):
        replicates.summarize(_synthetic(), by=["target_accept"])


def test_the_table_is_not_modified() -> None:
    table = _synthetic()
    before = table.copy()
    replicates.summarize(table, by=["parametrization"])
    replicates.warnings_fired(table)
    pd.testing.assert_frame_equal(table, before)


def test_score_gives_one_run_the_row_run_records(compiled, table, exact_means) -> None:
    seed = int(table.loc[1, "seed"])
    quantities = ("log_tau", "mu", "theta_A", "theta_tilde_B")
    row = replicates.score(
        compiled.sample(rng=seed, **SHORT), quantities=quantities, exact=exact_means
    )
    recorded = table.loc[1, row.index.drop("seconds")]
    pd.testing.assert_series_equal(
        row.drop("seconds"), recorded.astype(float), check_names=False, check_dtype=False
    )
    with pytest.raises(ValueError, match="quantities"):
        replicates.score(compiled.sample(rng=seed, **SHORT), quantities=("sigma",))
