r"""Posterior predictive checks with exact draws: does a fitted model reproduce its data.

A posterior predictive check :cite:p:`bda3` (chapter 6) draws replicated data
:math:`y^{\mathrm{rep}}` from the posterior predictive distribution, computes a test
statistic :math:`T` on each replication, and compares the distribution of
:math:`T(y^{\mathrm{rep}})` with the observed :math:`T(y)`. The posterior predictive
p-value is

.. math::

    p_B = \Pr\big(T(y^{\mathrm{rep}}) \ge T(y) \mid y\big),

estimated by the fraction of replications with :math:`T(y^{\mathrm{rep}}) \ge T(y)`
(with :math:`S` independent draws its Monte Carlo standard error is
:math:`\sqrt{p_B(1-p_B)/S}`). A value near 0 or 1 says the model rarely produces data
like the observed ones in that respect. For a statistic with ties (a count),
:func:`check` also reports :math:`\Pr(T(y^{\mathrm{rep}}) > T(y) \mid y)`.

Replications come in two kinds, as in BDA3 chapter 6 for the eight schools: the
**same groups** measured again (new data for the same :math:`\theta_j`), and **new
groups** (new :math:`\theta_j` drawn from the population, then new data). The draws are
the exact independent draws of :meth:`companion.normal_normal.TauPosterior.sample` and
:meth:`companion.beta_binomial.HyperPosterior.sample`, so the p-values carry no MCMC error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from companion._stable_beta import stable_betabinom
from companion._validate import RngLike, as_counts, as_finite, as_rate, check_draws, check_groups

__all__ = [
    "NORMAL_STATISTICS",
    "ReplicatedStatistics",
    "check",
    "largest_rate",
    "largest_rate_sf",
    "p_value",
    "replicate_counts",
    "replicate_estimates",
    "zero_count",
    "zero_count_pmf",
]

Statistic = Callable[[np.ndarray], np.ndarray]

#: The test statistics of BDA3 chapter 6 for the eight schools, each taking replicated
#: data of shape ``(draws, J)`` and returning one value per draw.
NORMAL_STATISTICS: Mapping[str, Statistic] = {
    "largest": lambda y: np.max(y, axis=-1),
    "smallest": lambda y: np.min(y, axis=-1),
    "mean": lambda y: np.mean(y, axis=-1),
    "sd": lambda y: np.std(y, axis=-1, ddof=1),
}


def replicate_estimates(
    posterior: Any, draws: int, *, new_groups: bool = False, rng: RngLike = None
) -> np.ndarray:
    r"""Replicated estimates :math:`y^{\mathrm{rep}}` for the normal model, shape ``(draws, J)``.

    Same groups: :math:`y^{\mathrm{rep}}_j \sim \mathrm{N}(\theta_j, \sigma_j^2)` for
    each exact posterior draw of :math:`\theta`. New groups: :math:`\tilde\theta_j \sim
    \mathrm{N}(\mu, \tau^2)` from each draw of :math:`(\mu, \tau)`, then
    :math:`y^{\mathrm{rep}}_j \sim \mathrm{N}(\tilde\theta_j, \sigma_j^2)`, with the
    same standard errors :math:`\sigma_j` as the data.

    Parameters
    ----------
    posterior : companion.normal_normal.TauPosterior
        The exact posterior.
    draws : int
        Number of replications.
    new_groups : bool, default False
        Replicate new groups instead of the same ones.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray
        Shape ``(draws, J)``.
    """
    draws = check_draws(draws)
    generator = np.random.default_rng(rng)
    sample = posterior.sample(draws, rng=generator)
    sigma = posterior.sigma
    if new_groups:
        theta = sample["mu"][:, None] + sample["tau"][:, None] * generator.standard_normal(
            (draws, sigma.size)
        )
    else:
        theta = sample["theta"]
    return theta + sigma * generator.standard_normal(theta.shape)


def replicate_counts(
    posterior: Any, draws: int, *, new_groups: bool = False, rng: RngLike = None
) -> np.ndarray:
    r"""Replicated counts for the beta-binomial model, shape ``(draws, J)``, same trials.

    Same groups: :math:`y^{\mathrm{rep}}_j \sim \mathrm{Bin}(n_j, \theta_j)` for each
    exact posterior draw of :math:`\theta`. New groups: :math:`\tilde\theta_j \sim
    \mathrm{Beta}(\alpha, \beta)` from each draw of :math:`(\alpha, \beta)`, then
    :math:`y^{\mathrm{rep}}_j \sim \mathrm{Bin}(n_j, \tilde\theta_j)`.

    Parameters
    ----------
    posterior : companion.beta_binomial.HyperPosterior
        The exact posterior.
    draws : int
        Number of replications.
    new_groups : bool, default False
        Replicate new groups instead of the same ones.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray
        Integer counts of shape ``(draws, J)``.
    """
    draws = check_draws(draws)
    generator = np.random.default_rng(rng)
    sample = posterior.sample(draws, rng=generator)
    trials = posterior.trials
    if new_groups:
        theta = generator.beta(
            np.repeat(sample["alpha"][:, None], trials.size, axis=1),
            np.repeat(sample["beta"][:, None], trials.size, axis=1),
        )
    else:
        theta = sample["theta"]
    return generator.binomial(trials, theta)


def _rate_components(
    posterior: Any, new_groups: bool, groups: Sequence[int] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cell weights, the chosen groups' Beta parameters per cell (cells, G), their trials."""
    columns = check_groups(groups, posterior.successes.size)
    mixture = posterior.theta_marginal(columns)
    a, b = mixture.parameters["a"], mixture.parameters["b"]
    y, n = posterior.successes[columns], posterior.trials[columns]
    if new_groups:  # the population Beta(alpha, beta) itself, for every group
        a, b = a - y, b - (n - y)
    return mixture.weights, a, b, n


def zero_count_pmf(
    posterior: Any, *, new_groups: bool = False, groups: Sequence[int] | None = None
) -> np.ndarray:
    r"""Return the exact distribution of the number of groups with no success.

    Given :math:`(\alpha, \beta)`, group :math:`j` replicates zero successes
    independently with probability :math:`p_j = \mathrm{BetaBin}(0 \mid n_j, a_j, b_j)`,
    where :math:`a_j = \alpha + y_j,\ b_j = \beta + n_j - y_j` for the same groups and
    :math:`a_j = \alpha,\ b_j = \beta` for new groups. The count is Poisson-binomial,
    computed by the recursion :math:`P_j(k) = P_{j-1}(k)(1 - p_j) + P_{j-1}(k - 1)\,p_j`
    and mixed over the grid. It makes the p-value of :func:`zero_count` exact:
    ``pmf[observed:].sum()``.

    Parameters
    ----------
    posterior : companion.beta_binomial.HyperPosterior
        The exact posterior.
    new_groups : bool, default False
        Replicate new groups instead of the same ones.
    groups : sequence of int, optional
        The groups the statistic counts (0-based; default all), as when it is computed
        on some columns of the replications.

    Returns
    -------
    numpy.ndarray
        Shape ``(G + 1,)`` for ``G`` groups: the probabilities of 0, ..., G groups with
        no success.
    """
    weights, a, b, n = _rate_components(posterior, new_groups, groups)
    p0 = stable_betabinom.pmf(0, n, a, b)
    pmf = np.zeros((weights.size, p0.shape[1] + 1))
    pmf[:, 0] = 1.0
    for j in range(p0.shape[1]):
        q = p0[:, j : j + 1]
        pmf[:, 1:] = pmf[:, 1:] * (1 - q) + pmf[:, :-1] * q
        pmf[:, :1] *= 1 - q
    return weights @ pmf


def largest_rate_sf(
    posterior: Any,
    threshold: float,
    *,
    new_groups: bool = False,
    strict: bool = False,
    groups: Sequence[int] | None = None,
) -> float:
    r"""Return the exact :math:`\Pr(\max_j y^{\mathrm{rep}}_j / n_j \ge t \mid y)`.

    With ``strict``, :math:`\Pr(\max_j y^{\mathrm{rep}}_j / n_j > t \mid y)`. Both
    follow from

    .. math::

        \Pr\Big(\max_j \frac{y^{\mathrm{rep}}_j}{n_j} < t \Bigm| y\Big)
        = \sum_{\text{cells}} w \prod_j F_j\big(\lceil t n_j \rceil - 1\big),

    with :math:`F_j` the beta-binomial CDF of group :math:`j`'s replicated count in a
    cell and :math:`w` the cell's mass. It makes the p-value of :func:`largest_rate`
    exact.

    Parameters
    ----------
    posterior : companion.beta_binomial.HyperPosterior
        The exact posterior.
    threshold : float
        The observed largest rate :math:`t`.
    new_groups : bool, default False
        Replicate new groups instead of the same ones.
    strict : bool, default False
        Return :math:`\Pr(\max > t)` instead of :math:`\ge`.
    groups : sequence of int, optional
        The groups the maximum runs over (0-based; default all).

    Returns
    -------
    float
    """
    t = as_rate(threshold, "threshold")
    weights, a, b, n = _rate_components(posterior, new_groups, groups)
    scaled = t * n
    # the largest count whose rate is below the threshold (at or below it, with strict)
    below = np.floor(scaled + 1e-9) if strict else np.ceil(scaled - 1e-9) - 1
    return float(1 - weights @ np.prod(stable_betabinom.cdf(below, n, a, b), axis=1))


def p_value(replicated: ArrayLike, observed: float, *, strict: bool = False) -> float:
    r"""Return the posterior predictive p-value :math:`\Pr(T(y^{\mathrm{rep}}) \ge T(y) \mid y)`.

    Parameters
    ----------
    replicated : array_like, shape (S,)
        The statistic on each replication.
    observed : float
        The statistic on the data.
    strict : bool, default False
        Count only replications strictly above the observed value (:math:`>`).

    Returns
    -------
    float
        The fraction of replications at or above (above, with ``strict``) ``observed``.

    Examples
    --------
    >>> from companion.predictive_checks import p_value
    >>> p_value([1, 2, 3, 4], 3), p_value([1, 2, 3, 4], 3, strict=True)
    (0.5, 0.25)
    """
    values = as_finite(replicated, "replicated")
    threshold = float(as_finite(observed, "observed", ndim=0))
    return float(np.mean(values > threshold if strict else values >= threshold))


def check(
    replicated: ArrayLike,
    observed: ArrayLike,
    statistics: Mapping[str, Statistic] = NORMAL_STATISTICS,
) -> pd.DataFrame:
    r"""Compare test statistics of replicated data with the observed ones.

    Parameters
    ----------
    replicated : array_like, shape (S, J)
        Replicated data, one row per draw (:func:`replicate_estimates`,
        :func:`replicate_counts`).
    observed : array_like, shape (J,)
        The data.
    statistics : mapping of str to callable, default :data:`NORMAL_STATISTICS`
        Each takes an array of shape ``(S, J)`` (or ``(1, J)``) and returns one value
        per row.

    Returns
    -------
    pandas.DataFrame
        Indexed by statistic: ``observed`` (:math:`T(y)`), ``replicated_mean``,
        ``p_value`` (:math:`\Pr(T^{\mathrm{rep}} \ge T(y))`), ``p_value_strict``
        (:math:`>`) and ``mcse`` (the Monte Carlo standard error of ``p_value``). The
        statistics of every replication are in ``table.attrs["replicated"]``, a
        :class:`ReplicatedStatistics` (its ``frame`` has one column per statistic), for
        plotting.
    """
    rep = as_finite(replicated, "replicated", ndim=2)
    obs = as_finite(observed, "observed")
    if rep.shape[1] != obs.size:
        raise ValueError(
            f"replicated must have one column per observation ({obs.size}); got {rep.shape}"
        )
    if not statistics:
        raise ValueError("statistics must name at least one test statistic")
    rows, draws = [], {}
    for name, statistic in statistics.items():
        values = np.asarray(statistic(rep), dtype=float).reshape(-1)
        value = float(np.asarray(statistic(obs[None, :]), dtype=float).reshape(-1)[0])
        if values.size != rep.shape[0]:
            raise ValueError(
                f"statistics[{name!r}] must return one value per replication; got {values.size}"
            )
        p = p_value(values, value)
        rows.append(
            {
                "statistic": name,
                "observed": value,
                "replicated_mean": float(values.mean()),
                "p_value": p,
                "p_value_strict": p_value(values, value, strict=True),
                "mcse": float(np.sqrt(p * (1 - p) / values.size)),
            }
        )
        draws[name] = values
    table = pd.DataFrame(rows).set_index("statistic")
    table.attrs["replicated"] = ReplicatedStatistics(pd.DataFrame(draws))
    return table


class ReplicatedStatistics:
    """The statistics of every replication, kept with a :func:`check` table.

    A wrapper rather than a bare DataFrame in ``attrs``: pandas compares ``attrs`` with
    ``==`` when it concatenates tables, and two DataFrames compare elementwise. This
    object compares by identity, so ``pd.concat`` of check tables works (and drops the
    replications when the tables differ).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per replication, one column per statistic.
    """

    __hash__ = object.__hash__

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def __eq__(self, other: object) -> bool:
        return self is other

    def __repr__(self) -> str:
        rows, columns = self.frame.shape
        return f"ReplicatedStatistics({rows} replications of {columns} statistics)"


def zero_count(counts: np.ndarray) -> np.ndarray:
    """Return the number of groups with no success in each row (a test statistic).

    Parameters
    ----------
    counts : array_like of int, shape (..., J)
        Counts, one row per replication.
    """
    return np.sum(np.asarray(counts) == 0, axis=-1)


def largest_rate(trials: ArrayLike) -> Statistic:
    """Return the statistic "largest observed rate" for groups with the given trials.

    Parameters
    ----------
    trials : array_like of int, shape (J,)
        Trials of each group.
    """
    n = as_counts(trials, "trials")

    def _statistic(counts: np.ndarray) -> np.ndarray:
        """Largest rate of each replication."""
        return np.max(np.asarray(counts) / n, axis=-1)

    return _statistic
