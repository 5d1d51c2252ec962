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

import time
from collections.abc import Callable, Sequence

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from companion import normal_normal
from companion._validate import check_choice, check_draws

__all__ = [
    "compare_rates_with_exact",
    "compare_with_exact",
    "divergences",
    "exact_expectations",
    "log_tau",
    "mcse_mean",
    "running_mean",
    "target_accept_sweep",
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


def log_tau(tree: xr.DataTree) -> xr.DataArray:
    r"""Return :math:`\log\tau` for every draw, dims ``(chain, draw)``."""
    return np.log(_posterior(tree)["tau"]).rename("log_tau")


def mcse_mean(values: xr.DataArray | np.ndarray) -> float:
    """Return the Monte Carlo standard error of the mean of a ``(chain, draw)`` array (ArviZ)."""
    return float(az.mcse(np.asarray(values), method="mean"))


def exact_expectations(posterior: normal_normal.TauPosterior) -> pd.Series:
    r"""Return the exact posterior means of :math:`\mu, \tau, \log\tau` and each :math:`\theta_j`.

    Computed by quadrature from a :class:`companion.normal_normal.TauPosterior`; the
    index matches the rows of :func:`compare_with_exact`.
    """
    values = {
        "mu": float(posterior.expect(lambda t: posterior.mu_given_tau(t)[0])),
        "tau": float(posterior.expect(lambda t: t)),
        "log_tau": float(posterior.expect(np.log)),
    }
    for j, mean in enumerate(posterior.theta_mean()):
        values[f"theta[{j}]"] = float(mean)
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
        Indexed by ``mu``, ``tau``, ``log_tau``, ``theta[<group>]``, with columns
        ``mcmc`` (mean), ``mcse`` (ArviZ), ``exact``, ``z`` (their difference in MCSE
        units), ``ess_bulk`` and ``r_hat``.
    """
    post = _posterior(tree)
    theta = post["theta"]
    groups = [str(g) for g in theta[theta.dims[-1]].values]
    exact = exact_expectations(posterior)
    exact.index = [*exact.index[:3], *[f"theta[{g}]" for g in groups]]
    series: dict[str, np.ndarray] = {
        "mu": post["mu"].values,
        "tau": post["tau"].values,
        "log_tau": np.log(post["tau"].values),
    }
    for j, g in enumerate(groups):
        series[f"theta[{g}]"] = theta.values[..., j]
    return _comparison_table(series, exact.to_dict())


def compare_rates_with_exact(tree: xr.DataTree, posterior: object) -> pd.DataFrame:
    r"""Set MCMC means beside the exact grid values for the hierarchical beta-binomial model.

    Compares :math:`\log\alpha`, :math:`\log\beta`, the population mean rate
    :math:`\alpha/(\alpha+\beta)`, :math:`\log(\alpha+\beta)` and every
    :math:`\theta_j`. Not :math:`\alpha` and :math:`\beta` themselves: under the
    :math:`(\alpha+\beta)^{-5/2}` hyperprior the posterior density of
    :math:`\alpha+\beta` has a tail proportional to :math:`(\alpha+\beta)^{-3/2}`, so
    :math:`E[\alpha \mid y]` and :math:`E[\beta \mid y]` are infinite and their MCMC
    averages estimate nothing.

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
    exact = {
        "log_alpha": posterior.expect(lambda a, b: np.log(a)),
        "log_beta": posterior.expect(lambda a, b: np.log(b)),
        "mean_rate": posterior.expect(lambda a, b: a / (a + b)),
        "log_total": posterior.expect(lambda a, b: np.log(a + b)),
    }
    theta_mean = posterior.theta_mean()
    for j in range(theta_mean.size):
        series[f"theta[{j}]"] = post["theta"].values[..., j]
        exact[f"theta[{j}]"] = theta_mean[j]
    return _comparison_table(series, exact)


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


def target_accept_sweep(
    y: object,
    sigma: object,
    *,
    target_accepts: Sequence[float] = (0.8, 0.9, 0.95, 0.99),
    parametrizations: Sequence[str] = ("centered", "non_centered"),
    posterior: normal_normal.TauPosterior | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int = 0,
    sampler: str = "pymc",
    progress: Callable[[str], None] | None = None,
    mu_prior: object = None,
    tau_prior: object = None,
) -> pd.DataFrame:
    r"""Sample both parametrizations at several ``target_accept`` values; score each run.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    target_accepts : sequence of float
        Target acceptance rates to try.
    parametrizations : sequence of {"centered", "non_centered"}
        Models to try.
    posterior : companion.normal_normal.TauPosterior, optional
        The exact posterior for the bias column; computed from the priors if omitted.
    draws, tune, chains, seed : int
        Passed to :func:`companion.models.sample` (the same seed for every run).
    sampler : {"pymc", "nutpie"}
        The sampler.
    progress : callable, optional
        Called with a one-line report after each run (for example ``print``).
    mu_prior, tau_prior : scipy.stats frozen distributions, optional
        As in :func:`companion.models.eight_schools`.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``parametrization``, ``target_accept``, ``divergences``,
        ``seconds`` (wall time with compilation), ``ess_per_s_log_tau``,
        ``ess_per_s_mu``, ``ess_per_s_tau``, ``mean_log_tau``, ``bias_log_tau``
        (MCMC minus exact) and ``z_log_tau`` (bias over MCSE).
    """
    from companion import models  # PyMC is imported only when sampling

    for name in parametrizations:
        check_choice(name, "parametrization", models.PARAMETRIZATIONS)
    mu_prior = models.DEFAULT_MU_PRIOR if mu_prior is None else mu_prior
    tau_prior = models.DEFAULT_TAU_PRIOR if tau_prior is None else tau_prior
    if posterior is None:
        posterior = normal_normal.tau_posterior(y, sigma, tau_prior=tau_prior, mu_prior=mu_prior)
    exact_log_tau = float(posterior.expect(np.log))
    rows = []
    for name in parametrizations:
        model = models.eight_schools(
            y, sigma, parametrization=name, mu_prior=mu_prior, tau_prior=tau_prior
        )
        for accept in target_accepts:
            start = time.perf_counter()
            tree = models.sample(
                model,
                draws=draws,
                tune=tune,
                chains=chains,
                seed=seed,
                target_accept=accept,
                sampler=sampler,
            )
            seconds = time.perf_counter() - start
            post = _posterior(tree)
            lt = np.log(post["tau"].values)
            mean = float(lt.mean())
            rows.append(
                {
                    "parametrization": name,
                    "target_accept": float(accept),
                    "divergences": int(tree["sample_stats"]["diverging"].values.sum()),
                    "seconds": seconds,
                    "ess_per_s_log_tau": float(az.ess(lt)) / seconds,
                    "ess_per_s_mu": float(az.ess(post["mu"].values)) / seconds,
                    "ess_per_s_tau": float(az.ess(post["tau"].values)) / seconds,
                    "mean_log_tau": mean,
                    "bias_log_tau": mean - exact_log_tau,
                    "z_log_tau": (mean - exact_log_tau) / mcse_mean(lt),
                }
            )
            if progress is not None:
                row = rows[-1]
                progress(
                    f"{name:>12} target_accept={accept:.2f}: {row['divergences']:4d} divergences, "
                    f"E[log tau] {mean:.3f} (exact {exact_log_tau:.3f}), {seconds:.1f} s"
                )
    return pd.DataFrame(rows)
