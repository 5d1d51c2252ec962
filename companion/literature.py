r"""Published numbers, and the computations that set them beside exact results.

Values printed in the literature are typed in here once, each with its source, so that
the book and the tests use the same copy. Most of them come from simulations, and a
simulated number is itself random: the functions below say how far from the exact value
a simulation of the stated size could plausibly land.

The main tool is the exact distribution of an order statistic. If
:math:`X_{(1)} \le \cdots \le X_{(n)}` are :math:`n` independent draws from a
continuous distribution with CDF :math:`F`, then :math:`X_{(k)} \le x` exactly when at
least :math:`k` draws are :math:`\le x`, so

.. math::

    \Pr(X_{(k)} \le x) = \Pr\big(\mathrm{Bin}(n, F(x)) \ge k\big)
    = I_{F(x)}(k,\, n - k + 1),

with :math:`I` the regularized incomplete beta function.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from companion._validate import as_finite, as_probability, check_draws

__all__ = [
    "QUANTILE_LEVELS",
    "bda3_eight_schools",
    "bda3_prob_below_28_at_tau_10",
    "bda3_table_5_3",
    "bda3_table_5_5",
    "compare_quantile_table",
    "order_statistic_ranks",
    "order_statistic_tail",
    "pymc_divergences_log_tau",
    "simulated_quantile_range",
]

#: The quantile levels of BDA3 Table 5.3.
QUANTILE_LEVELS = (0.025, 0.25, 0.5, 0.75, 0.975)

_SCHOOLS = list("ABCDEFGH")


def bda3_table_5_3() -> pd.DataFrame:
    r"""Posterior quantiles of the eight school effects printed in BDA3 Table 5.3.

    Source: :cite:t:`bda3`, Table 5.3 (third edition, p. 123), "Summary of 200
    simulations of the treatment effects in the eight schools", computed under the
    hierarchical model with uniform priors on :math:`\mu` and :math:`\tau`. The values
    are rounded to whole points.

    Returns
    -------
    pandas.DataFrame
        Index ``school`` (``"A"`` to ``"H"``), one column per level of
        :data:`QUANTILE_LEVELS`. A fresh copy on every call.

    Examples
    --------
    >>> from companion.literature import bda3_table_5_3
    >>> bda3_table_5_3().loc["A"].tolist()
    [-2.0, 7.0, 10.0, 16.0, 31.0]
    """
    values = [
        [-2, 7, 10, 16, 31],
        [-5, 3, 8, 12, 23],
        [-11, 2, 7, 11, 19],
        [-7, 4, 8, 11, 21],
        [-9, 1, 5, 10, 18],
        [-7, 2, 6, 10, 28],
        [-1, 7, 10, 15, 26],
        [-6, 3, 8, 13, 33],
    ]
    table = pd.DataFrame(
        np.array(values, dtype=float),
        index=pd.Index(_SCHOOLS, name="school"),
        columns=list(QUANTILE_LEVELS),
    )
    table.columns.name = "quantile"
    return table


def bda3_prob_below_28_at_tau_10() -> pd.Series:
    r"""BDA3's :math:`\Pr(\theta_j < 28 \mid \tau = 10, y)` for the eight schools.

    Source: :cite:t:`bda3`, Section 5.5: for school A,
    :math:`\Phi[(28 - 14.5)/9.1] = 93\%`, computed from the conditional mean and
    standard deviation read at :math:`\tau = 10`; for B to H, 99.5%, 99.2%, 98.5%,
    99.96%, 99.8%, 97% and 98%.

    Returns
    -------
    pandas.Series
        Probabilities (not percentages), indexed by school.
    """
    percent = [93, 99.5, 99.2, 98.5, 99.96, 99.8, 97, 98]
    return pd.Series(np.array(percent) / 100, index=pd.Index(_SCHOOLS, name="school"), name="BDA3")


def bda3_eight_schools() -> dict[str, float]:
    r"""Scalar results printed in BDA3 Section 5.5 for the eight schools.

    Source: :cite:t:`bda3`, Section 5.5. Keys:

    ``pooled_mean``, ``pooled_var``, ``pooled_sd``
        The complete-pooling estimate 7.7, its posterior variance 16.6 and standard
        deviation 4.1.
    ``chi2``
        The classical homogeneity statistic
        :math:`\sum_j (y_j - \bar y_{\cdot\cdot})^2/\sigma_j^2`, printed as 4.6.
    ``draws``
        The number of simulation draws behind Table 5.3 and the figures: 200.
    ``max_above_28_4``
        Draws (of 200) in which :math:`\max_j \theta_j > 28.4`: 22.
    ``a_above_c``
        Draws (of 200) in which :math:`\theta_1 > \theta_3`: 141.
    ``a_mean_at_tau_10``, ``a_sd_at_tau_10``
        :math:`E(\theta_1 \mid \tau = 10, y) = 14.5` and
        :math:`\mathrm{sd}(\theta_1 \mid \tau = 10, y) = 9.1`.

    Returns
    -------
    dict
        A fresh dictionary on every call.
    """
    return {
        "pooled_mean": 7.7,
        "pooled_var": 16.6,
        "pooled_sd": 4.1,
        "chi2": 4.6,
        "draws": 200,
        "max_above_28_4": 22,
        "a_above_c": 141,
        "a_mean_at_tau_10": 14.5,
        "a_sd_at_tau_10": 9.1,
    }


def bda3_table_5_5() -> pd.DataFrame:
    r"""BDA3 Table 5.5: posterior quantiles for the beta-blocker meta-analysis, as printed.

    Section 5.6 of :cite:t:`bda3` fits the normal hierarchical model to the log odds
    ratios of the 22 beta-blocker trials of Yusuf et al. (1985) (Table 5.4) with a flat
    prior on :math:`\mu` and a uniform prior on :math:`\tau`, by simulation, and prints
    the 2.5%, 25%, 50%, 75% and 97.5% posterior quantiles of the mean effect
    :math:`\mu`, the between-trial standard deviation :math:`\tau` and the effect
    :math:`\tilde\theta` of a new trial, on the log odds ratio scale, to two decimals.

    The values are transcribed from the printed third edition (Table 5.5); no public
    electronic copy of the table was available to check the transcription against, so
    a reader should compare them with the book.

    Returns
    -------
    pandas.DataFrame
        Rows ``mu``, ``tau``, ``theta_new``; columns the quantile levels
        0.025, 0.25, 0.5, 0.75, 0.975.
    """
    levels = [0.025, 0.25, 0.5, 0.75, 0.975]
    return pd.DataFrame(
        [
            [-0.37, -0.29, -0.25, -0.20, -0.11],
            [0.02, 0.08, 0.13, 0.18, 0.31],
            [-0.58, -0.34, -0.25, -0.17, 0.11],
        ],
        index=pd.Index(["mu", "tau", "theta_new"], name="quantity"),
        columns=pd.Index(levels, name="level"),
    )


def pymc_divergences_log_tau() -> float:
    r"""Return the E[log tau | y] that a PyMC tutorial draws as "the true value".

    Source: the PyMC port of Betancourt's case study on divergences
    :cite:p:`arroyuelo2018divergences`, which draws it as a horizontal reference line in
    its trace plots of :math:`\log\tau`, for the eight schools under
    :math:`\mu \sim N(0, 5^2)` and :math:`\tau \sim \text{half-Cauchy}(0, 5)`
    (:data:`companion.priors.BETANCOURT`). The exact posterior expectation under these
    priors is 0.8021 (:func:`companion.diagnostics.exact_expectations`).

    Returns
    -------
    float
        0.7657852, as printed.
    """
    return 0.7657852


def order_statistic_ranks(q: float, draws: int) -> list[int]:
    r"""Ranks :math:`k` of the order statistics an empirical :math:`q`-quantile may use.

    Software computes the :math:`q`-quantile of :math:`n` draws from the order
    statistics around :math:`nq`: :math:`X_{(\lfloor nq \rfloor)}`,
    :math:`X_{(\lceil nq \rceil)}`, :math:`X_{(\lceil nq \rceil + 1)}` or a point between
    two of them, depending on the convention. The ranks returned are these, within
    :math:`[1, n]`.

    Parameters
    ----------
    q : float
        The quantile level, in (0, 1).
    draws : int
        Number of simulation draws.

    Examples
    --------
    >>> from companion.literature import order_statistic_ranks
    >>> order_statistic_ranks(0.975, 200)
    [195, 196]
    """
    q = _level(q)
    n = check_draws(draws)
    ranks = {math.floor(n * q), math.ceil(n * q), math.ceil(n * q) + 1}
    return sorted({min(max(k, 1), n) for k in ranks})


def order_statistic_tail(cdf_low: float, cdf_high: float, q: float, draws: int) -> float:
    r"""Probability that a simulated quantile lands at a printed value or further out.

    A printed value :math:`v`, rounded to a unit :math:`2h`, says that the empirical
    :math:`q`-quantile of :math:`n` draws fell in :math:`[v - h, v + h]`. With
    :math:`F` the exact CDF, ``cdf_low`` :math:`= F(v - h)` and ``cdf_high``
    :math:`= F(v + h)`, the probability of landing there or further out on the same
    side, for the order statistic :math:`X_{(k)}`, is the smaller of

    .. math::

        \Pr(X_{(k)} \le v + h) = \Pr\big(\mathrm{Bin}(n, F(v + h)) \ge k\big),
        \qquad
        \Pr(X_{(k)} \ge v - h) = \Pr\big(\mathrm{Bin}(n, F(v - h)) < k\big).

    The value returned is the largest of these over the ranks of
    :func:`order_statistic_ranks`: whichever quantile convention produced the printed
    number, the probability is no larger than this. It is one-sided (double it for a
    two-sided p-value) and includes the rounding cell of :math:`v`, so values above
    one half are common and mean "typical".

    Parameters
    ----------
    cdf_low, cdf_high : float
        :math:`F(v - h)` and :math:`F(v + h)`, with ``0 <= cdf_low <= cdf_high <= 1``.
    q : float
        Quantile level, strictly between 0 and 1.
    draws : int
        Number of simulation draws :math:`n`.

    Returns
    -------
    float

    Examples
    --------
    >>> from companion.literature import order_statistic_tail
    >>> round(order_statistic_tail(0.49, 0.51, 0.5, 200), 3)  # a median printed right
    0.584
    """
    low = float(as_finite(cdf_low, "cdf_low", ndim=0))
    high = float(as_finite(cdf_high, "cdf_high", ndim=0))
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(
            f"cdf_low and cdf_high must satisfy 0 <= cdf_low <= cdf_high <= 1; "
            f"got cdf_low={low!r}, cdf_high={high!r}"
        )
    n = check_draws(draws)
    best = 0.0
    for k in order_statistic_ranks(q, n):
        at_most = float(stats.binom.sf(k - 1, n, high))  # P(X_(k) <= v + h)
        at_least = float(stats.binom.cdf(k - 1, n, low))  # P(X_(k) >= v - h)
        best = max(best, min(at_most, at_least))
    return best


def compare_quantile_table(
    posterior: Any, printed: pd.DataFrame, *, draws: int, resolution: float = 1.0
) -> pd.DataFrame:
    r"""Set a printed table of simulated posterior quantiles beside the exact quantiles.

    For every cell (group :math:`j`, level :math:`q`): the exact quantile from
    ``posterior.theta_quantiles`` and the tail probability of the printed value under
    ``draws`` exact draws, from :func:`order_statistic_tail` with
    :math:`F = ` ``posterior.theta_cdf`` evaluated at the printed value
    :math:`\pm` ``resolution / 2``.

    Parameters
    ----------
    posterior : companion.normal_normal.TauPosterior
        The exact posterior (anything with ``theta_cdf`` and ``theta_quantiles``).
    printed : pandas.DataFrame
        One row per group, in the order of the posterior's groups, one column per
        quantile level (as :func:`bda3_table_5_3` returns).
    draws : int
        Number of simulation draws behind the printed table.
    resolution : float, default 1.0
        The rounding unit of the printed values.

    Returns
    -------
    pandas.DataFrame
        One row per cell, with columns ``school`` (the row label of ``printed``),
        ``quantile``, ``exact``, ``printed`` and ``tail_probability``.
    """
    n = check_draws(draws)
    half = float(as_finite(resolution, "resolution", ndim=0)) / 2
    if half <= 0:
        raise ValueError(f"resolution must be > 0; got {resolution!r}")
    values = as_finite(printed.to_numpy(), "printed", ndim=2)
    levels = np.array([_level(q) for q in printed.columns])
    groups = np.asarray(posterior.y).size
    if values.shape[0] != groups:
        raise ValueError(
            f"printed must have one row per group ({groups}); got {values.shape[0]} rows"
        )
    exact = posterior.theta_quantiles(levels)  # (levels, groups)
    rows = []
    for j, label in enumerate(printed.index):
        low = posterior.theta_cdf(values[j] - half)[:, j]
        high = posterior.theta_cdf(values[j] + half)[:, j]
        for i, q in enumerate(levels):
            rows.append(
                {
                    "school": label,
                    "quantile": float(q),
                    "exact": float(exact[i, j]),
                    "printed": float(values[j, i]),
                    "tail_probability": order_statistic_tail(low[i], high[i], q, n),
                }
            )
    return pd.DataFrame(rows)


def simulated_quantile_range(
    posterior: Any, q: float, *, draws: int, probability: float = 0.99
) -> pd.DataFrame:
    r"""Where the empirical :math:`q`-quantile of ``draws`` exact draws falls, per group.

    :math:`X_{(k)} = F^{-1}(U_{(k)})` with :math:`U_{(k)} \sim \mathrm{Beta}(k, n-k+1)`,
    so a central interval of :math:`X_{(k)}` is :math:`F^{-1}` of the Beta quantiles.
    The range returned runs from the lower end for the smallest rank of
    :func:`order_statistic_ranks` to the upper end for the largest, so it holds the
    empirical quantile with probability at least ``probability`` whatever the
    convention.

    Parameters
    ----------
    posterior : companion.normal_normal.TauPosterior
        The exact posterior (anything with ``theta_quantiles``).
    q : float
        The quantile level, in (0, 1).
    draws : int
        Number of simulation draws.
    probability : float, default 0.99
        Probability that the range holds the empirical quantile.

    Returns
    -------
    pandas.DataFrame
        Columns ``low`` and ``high``, one row per group.
    """
    n = check_draws(draws)
    level = _level(q)
    prob = _level(probability, "probability")
    ranks = order_statistic_ranks(level, n)
    tail = (1 - prob) / 2
    low_u = stats.beta.ppf(tail, ranks[0], n - ranks[0] + 1)
    high_u = stats.beta.ppf(1 - tail, ranks[-1], n - ranks[-1] + 1)
    ends = posterior.theta_quantiles([low_u, high_u])
    return pd.DataFrame({"low": ends[0], "high": ends[1]})


def _level(q: ArrayLike, name: str = "q") -> float:
    return as_probability(q, name)
