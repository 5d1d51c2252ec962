r"""MCMC diagnostics, measured against the exact posterior.

ESS, R-hat and MCSE come from ArviZ; what this module adds is the comparison with
the exact answers of :mod:`companion.normal_normal` and
:mod:`companion.beta_binomial`. A chain can pass every convergence check and still be
wrong, which only a reference value can show; the z-score
:math:`(\bar f_{\mathrm{MCMC}} - E[f \mid y]) / \mathrm{MCSE}` is the measure used
throughout: beyond about 4 in absolute value, the MCMC estimate is not consistent
with the exact value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from companion import normal_normal
from companion._validate import check_draws

__all__ = [
    "compare_rates_with_exact",
    "compare_with_exact",
    "divergences",
    "divergent_draws",
    "exact_expectations",
    "exact_rate_expectations",
    "log_tau",
    "mcse_mean",
    "running_mean",
    "with_log_tau",
]


def _posterior(tree: xr.DataTree) -> xr.Dataset:
    try:
        return tree["posterior"].to_dataset()
    except KeyError as err:
        raise ValueError(
            "tree must have a 'posterior' group (the output of models.sample)"
        ) from err


def divergences(tree: xr.DataTree) -> pd.DataFrame:
    """Count divergent transitions per chain and in total.

    Parameters
    ----------
    tree : xarray.DataTree
        Output of :func:`companion.models.sample` (needs ``sample_stats.diverging``).

    Returns
    -------
    pandas.DataFrame
        One row per chain and a final ``"total"`` row, with columns ``divergences``,
        ``draws`` and ``rate``.
    """
    try:
        diverging = tree["sample_stats"]["diverging"].values.astype(bool)
    except KeyError as err:
        raise ValueError(
            "tree must have sample_stats.diverging (the output of models.sample)"
        ) from err
    per_chain = diverging.sum(axis=1)
    table = pd.DataFrame(
        {"divergences": per_chain, "draws": diverging.shape[1]},
        index=pd.Index([f"chain {c}" for c in range(diverging.shape[0])], name="chain"),
    )
    table.loc["total"] = [int(per_chain.sum()), int(diverging.size)]
    table["rate"] = table["divergences"] / table["draws"]
    return table


def divergent_draws(
    tree: xr.DataTree, var_names: Sequence[str] = ("alpha", "beta")
) -> pd.DataFrame:
    """Return the divergent transitions of a run: chain, draw and the values of scalar variables.

    Parameters
    ----------
    tree : xarray.DataTree
        MCMC output with ``sample_stats.diverging``.
    var_names : sequence of str, default ("alpha", "beta")
        Scalar posterior variables to report.

    Returns
    -------
    pandas.DataFrame
        One row per divergent transition, with columns ``chain``, ``draw`` and one per
        variable.
    """
    post = _posterior(tree)
    try:
        diverging = tree["sample_stats"]["diverging"].values.astype(bool)
    except KeyError as err:
        raise ValueError("tree must have sample_stats.diverging (MCMC output)") from err
    missing = [name for name in var_names if name not in post or post[name].ndim != 2]
    if missing:
        raise ValueError(f"var_names: no scalar posterior variables {missing}")
    chain, draw = np.nonzero(diverging)
    columns = {"chain": chain, "draw": draw}
    for name in var_names:
        columns[name] = post[name].values[chain, draw]
    return pd.DataFrame(columns)


def log_tau(tree: xr.DataTree) -> xr.DataArray:
    r"""Return :math:`\log\tau` for every draw, dims ``(chain, draw)``.

    Parameters
    ----------
    tree : xarray.DataTree
        MCMC output with a ``tau`` variable.
    """
    return np.log(_posterior(tree)["tau"]).rename("log_tau")


def with_log_tau(tree: xr.DataTree) -> xr.DataTree:
    r"""Return a copy of ``tree`` whose posterior also holds ``log_tau`` = :math:`\log\tau`.

    ArviZ plots and summaries work on the variables of the posterior group; adding
    :math:`\log\tau`, the scale on which the sampler moves, lets them show it.

    Parameters
    ----------
    tree : xarray.DataTree
        MCMC output with a ``tau`` variable.

    Returns
    -------
    xarray.DataTree
    """
    copy = tree.copy()
    copy["posterior"] = copy["posterior"].to_dataset().assign(log_tau=log_tau(tree))
    return copy


def mcse_mean(values: xr.DataArray | np.ndarray) -> float:
    """Return the Monte Carlo standard error of the mean of a ``(chain, draw)`` array (ArviZ).

    Parameters
    ----------
    values : array_like, shape (chain, draw)
        Draws of one scalar quantity.
    """
    return float(az.mcse(np.asarray(values), method="mean"))


def exact_expectations(
    posterior: normal_normal.TauPosterior, groups: Sequence[object] | None = None
) -> pd.Series:
    r"""Return the exact posterior means of :math:`\mu, \tau, \log\tau` and each :math:`\theta_j`.

    Computed by quadrature from a :class:`companion.normal_normal.TauPosterior`.

    Parameters
    ----------
    posterior : companion.normal_normal.TauPosterior
        The exact posterior.
    groups : sequence, optional
        Names of the groups; default ``0, 1, ...``.

    Returns
    -------
    pandas.Series
        Indexed by ``mu``, ``tau``, ``log_tau`` and ``theta_<group>``: the labels of
        :func:`companion.replicates.run` and the rows of :func:`compare_with_exact`.
    """
    theta = posterior.theta_mean()
    names = [str(g) for g in groups] if groups is not None else [str(j) for j in range(theta.size)]
    if len(names) != theta.size:
        raise ValueError(f"groups must have one name per group ({theta.size}); got {len(names)}")
    values = {
        "mu": float(posterior.expect(lambda t: posterior.mu_given_tau(t)[0])),
        "tau": float(posterior.expect(lambda t: t)),
        "log_tau": float(posterior.expect(np.log)),
    }
    for name, mean in zip(names, theta, strict=True):
        values[f"theta_{name}"] = float(mean)
    return pd.Series(values, name="exact")


def compare_with_exact(tree: xr.DataTree, posterior: normal_normal.TauPosterior) -> pd.DataFrame:
    r"""Set MCMC means beside the exact ones for :math:`\mu, \tau, \log\tau, \theta_j`.

    Parameters
    ----------
    tree : xarray.DataTree
        MCMC output of an eight-schools model (variables ``mu``, ``tau``, ``theta``).
    posterior : companion.normal_normal.TauPosterior
        The exact posterior for the same data and priors.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``mu``, ``tau``, ``log_tau``, ``theta_<group>``, with columns
        ``mcmc`` (mean), ``mcse`` (ArviZ), ``exact``, ``z`` (their difference in MCSE
        units), ``ess_bulk`` and ``r_hat``.
    """
    post = _posterior(tree)
    theta = post["theta"]
    groups = [str(g) for g in theta[theta.dims[-1]].values]
    exact = exact_expectations(posterior, groups)
    series: dict[str, np.ndarray] = {
        "mu": post["mu"].values,
        "tau": post["tau"].values,
        "log_tau": np.log(post["tau"].values),
    }
    for j, g in enumerate(groups):
        series[f"theta_{g}"] = theta.values[..., j]
    return _comparison_table(series, exact.to_dict())


def exact_rate_expectations(posterior: Any) -> pd.Series:
    r"""Return exact posterior means for the hierarchical beta-binomial model.

    :math:`\log\alpha`, :math:`\log\beta`, the population mean rate
    :math:`\alpha/(\alpha+\beta)`, :math:`\log(\alpha+\beta)` and every
    :math:`\theta_j`. Not :math:`\alpha` and :math:`\beta` themselves: under the
    :math:`(\alpha+\beta)^{-5/2}` hyperprior the posterior density of
    :math:`\alpha+\beta` has a tail proportional to :math:`(\alpha+\beta)^{-3/2}`, so
    :math:`E[\alpha \mid y]` and :math:`E[\beta \mid y]` are infinite and MCMC
    averages of them estimate nothing.

    Parameters
    ----------
    posterior : companion.beta_binomial.HyperPosterior
        The exact (grid) posterior.

    Returns
    -------
    pandas.Series
        Indexed by ``log_alpha``, ``log_beta``, ``mean_rate``, ``log_total`` and
        ``theta_<j>``: the variable names of :func:`companion.models.beta_binomial`, so
        that :func:`companion.replicates.run` can score against it.
    """
    values = {
        "log_alpha": posterior.expect(lambda a, b: np.log(a)),
        "log_beta": posterior.expect(lambda a, b: np.log(b)),
        "mean_rate": posterior.expect(lambda a, b: a / (a + b)),
        "log_total": posterior.expect(lambda a, b: np.log(a + b)),
    }
    for j, mean in enumerate(posterior.theta_mean()):
        values[f"theta_{j}"] = float(mean)
    return pd.Series(values, name="exact")


def compare_rates_with_exact(tree: xr.DataTree, posterior: Any) -> pd.DataFrame:
    r"""Set MCMC means beside the exact grid values for the hierarchical beta-binomial model.

    Compares the quantities of :func:`exact_rate_expectations`.

    Parameters
    ----------
    tree : xarray.DataTree
        MCMC output of :func:`companion.models.beta_binomial`.
    posterior : companion.beta_binomial.HyperPosterior
        The exact (grid) posterior for the same data.

    Returns
    -------
    pandas.DataFrame
        As :func:`compare_with_exact`.
    """
    post = _posterior(tree)
    alpha, beta = post["alpha"].values, post["beta"].values
    series = {
        "log_alpha": np.log(alpha),
        "log_beta": np.log(beta),
        "mean_rate": alpha / (alpha + beta),
        "log_total": np.log(alpha + beta),
    }
    for j in range(post["theta"].shape[-1]):
        series[f"theta_{j}"] = post["theta"].values[..., j]
    return _comparison_table(series, exact_rate_expectations(posterior).to_dict())


def _comparison_table(series: dict[str, np.ndarray], exact: dict[str, float]) -> pd.DataFrame:
    rows = [
        {
            "parameter": name,
            "mcmc": float(values.mean()),
            "mcse": mcse_mean(values),
            "exact": float(exact[name]),
            "ess_bulk": float(az.ess(values, method="bulk")),
            "r_hat": float(az.rhat(values)),
        }
        for name, values in series.items()
    ]
    table = pd.DataFrame(rows).set_index("parameter")
    table.insert(3, "z", (table["mcmc"] - table["exact"]) / table["mcse"])
    return table


def running_mean(
    values: xr.DataArray | np.ndarray, *, checkpoints: int = 60, exact: float | None = None
) -> pd.DataFrame:
    """Compute the running mean over iterations (all chains pooled) and its MCSE.

    At iteration ``t`` the estimate is the mean over every chain's first ``t`` draws,
    and its MCSE comes from ArviZ on those same draws; evaluated at ``checkpoints``
    iterations spaced evenly on a log scale.

    Parameters
    ----------
    values : array_like, shape (chain, draw)
        Draws of one scalar quantity (for example :func:`log_tau`).
    checkpoints : int, default 60
        How many iterations to evaluate.
    exact : float, optional
        If given, a column ``z`` with the error in MCSE units is added.

    Returns
    -------
    pandas.DataFrame
        Columns ``iteration``, ``mean``, ``mcse`` (and ``z``).
    """
    array = np.asarray(values, dtype=float)
    if array.ndim != 2 or array.shape[1] < 20:
        raise ValueError(f"values must have shape (chain, draw) with draw >= 20; got {array.shape}")
    checkpoints = check_draws(checkpoints, "checkpoints")
    ends = np.unique(np.geomspace(20, array.shape[1], checkpoints).astype(int))
    table = pd.DataFrame(
        {
            "iteration": ends,
            "mean": [array[:, :t].mean() for t in ends],
            "mcse": [mcse_mean(array[:, :t]) for t in ends],
        }
    )
    if exact is not None:
        table["z"] = (table["mean"] - float(exact)) / table["mcse"]
    return table
