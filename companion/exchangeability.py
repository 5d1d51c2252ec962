r"""Exchangeable sequences that are not independent, beside independent ones.

A sequence :math:`X_1, X_2, \dots` is *exchangeable* when the joint distribution of
any :math:`n` of its terms is unchanged by permuting them. Independent and
identically distributed (iid) sequences are exchangeable, but so are sequences whose
terms share an unknown parameter: draw :math:`\theta \sim \mathrm{Beta}(\alpha,
\beta)`, then :math:`X_i \mid \theta` iid Bernoulli(:math:`\theta`). De Finetti's
theorem says that every infinite exchangeable binary sequence arises this way for
some distribution of :math:`\theta`.

This module simulates three binary sequences side by side, vectorized over
replications (the loop runs over positions, never over replications):

* :func:`simulate_iid` -- iid Bernoulli(:math:`p`): exchangeable and independent;
* :func:`simulate_beta_bernoulli` -- a shared Beta rate: exchangeable, dependent;
* :func:`simulate_polya_urn` -- Pólya's urn, which never mentions a rate but has the
  same law as the Beta-Bernoulli sequence (its de Finetti representation);

and measures what they share (:func:`pattern_frequencies`: the probability of a
pattern depends only on its number of ones) and what tells them apart
(:func:`position_correlation` against :func:`beta_bernoulli_correlation`).

One level up, :func:`simulate_shared_mean` draws normal group effects that share an
uncertain population mean (their correlation is :func:`shared_mean_correlation`), and
:func:`simulate_groups`, :func:`pooling_estimates`, :func:`pooling_rmse` and
:func:`pooling_study` compare no pooling, complete pooling and partial pooling on
simulated binomial groups whose true rates are known.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import product

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import betaln

from companion import beta_binomial
from companion._validate import (
    RngLike,
    as_binomial_data,
    as_counts,
    as_finite,
    as_positive,
    check_draws,
)

__all__ = [
    "POOLING",
    "beta_bernoulli_correlation",
    "pattern_frequencies",
    "pattern_probability",
    "pooling_estimates",
    "pooling_rmse",
    "pooling_study",
    "position_correlation",
    "shared_mean_correlation",
    "simulate_beta_bernoulli",
    "simulate_groups",
    "simulate_iid",
    "simulate_polya_urn",
    "simulate_shared_mean",
]

#: The three estimators compared by :func:`pooling_estimates`, in this order.
POOLING = ("no pooling", "complete pooling", "partial pooling")


def _probability(value: float, name: str) -> float:
    p = float(as_finite(value, name, ndim=0))
    if not 0 <= p <= 1:
        raise ValueError(f"{name} must lie in [0, 1]; got {p}")
    return p


def simulate_iid(
    length: int, replications: int, *, p: float = 0.5, rng: RngLike = None
) -> np.ndarray:
    r"""Simulate independent Bernoulli(``p``) sequences.

    Every term is drawn independently, :math:`\Pr(X_i = 1) = p`, so a pattern with
    :math:`k` ones in :math:`m` positions has probability :math:`p^k (1 - p)^{m - k}`.

    Parameters
    ----------
    length : int
        Number of terms :math:`m` in each sequence (columns).
    replications : int
        Number of independent sequences (rows).
    p : float, default 0.5
        Probability of a one, in [0, 1].
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray of int8, shape (replications, length)

    Examples
    --------
    >>> from companion.exchangeability import simulate_iid
    >>> simulate_iid(5, 3, p=0.5, rng=0).shape
    (3, 5)
    """
    length, replications = check_draws(length, "length"), check_draws(replications, "replications")
    p = _probability(p, "p")
    rng = np.random.default_rng(rng)
    return (rng.random((replications, length)) < p).astype(np.int8)


def simulate_beta_bernoulli(
    length: int, replications: int, *, alpha: float = 1.0, beta: float = 1.0, rng: RngLike = None
) -> np.ndarray:
    r"""Simulate sequences that share one rate :math:`\theta \sim \mathrm{Beta}(\alpha, \beta)`.

    Given :math:`\theta`, the terms are iid Bernoulli(:math:`\theta`).

    Each replication draws its own :math:`\theta`; within a replication the terms are
    conditionally independent given :math:`\theta` but marginally dependent, with the
    correlation :func:`beta_bernoulli_correlation`.

    Parameters
    ----------
    length : int
        Number of terms in each sequence (columns).
    replications : int
        Number of independent sequences, each with its own :math:`\theta` (rows).
    alpha, beta : float, default 1 and 1
        Parameters of the Beta distribution of the shared rate (> 0); the default is
        a uniform rate.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray of int8, shape (replications, length)
    """
    length, replications = check_draws(length, "length"), check_draws(replications, "replications")
    alpha = float(as_positive(alpha, "alpha", ndim=0))
    beta = float(as_positive(beta, "beta", ndim=0))
    rng = np.random.default_rng(rng)
    theta = rng.beta(alpha, beta, size=(replications, 1))
    return (rng.random((replications, length)) < theta).astype(np.int8)


def simulate_polya_urn(
    length: int, replications: int, *, ones: float = 1.0, zeros: float = 1.0, rng: RngLike = None
) -> np.ndarray:
    r"""Simulate Pólya's urn: draw a ball, put it back with one more of the same colour.

    The urn starts with weight ``ones`` on "1" and ``zeros`` on "0" (weights need not
    be whole numbers). After :math:`k` ones in :math:`m` draws the next draw is a one
    with probability :math:`(\text{ones} + k)/(\text{ones} + \text{zeros} + m)`. The
    resulting sequence has exactly the law of :func:`simulate_beta_bernoulli` with
    :math:`\alpha = \text{ones}`, :math:`\beta = \text{zeros}`.

    Parameters
    ----------
    length : int
        Number of draws from the urn in each sequence (columns).
    replications : int
        Number of independent urns (rows).
    ones, zeros : float, default 1 and 1
        Initial weights of "1" and "0" in the urn (> 0).
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray of int8, shape (replications, length)

    Examples
    --------
    >>> from companion.exchangeability import simulate_polya_urn
    >>> simulate_polya_urn(4, 2, rng=1).shape
    (2, 4)
    """
    length, replications = check_draws(length, "length"), check_draws(replications, "replications")
    ones = float(as_positive(ones, "ones", ndim=0))
    zeros = float(as_positive(zeros, "zeros", ndim=0))
    rng = np.random.default_rng(rng)
    uniforms = rng.random((replications, length))
    out = np.empty((replications, length), dtype=np.int8)
    drawn_ones = np.zeros(replications)
    for m in range(length):  # a loop over positions; each step is vectorized over replications
        out[:, m] = uniforms[:, m] < (ones + drawn_ones) / (ones + zeros + m)
        drawn_ones += out[:, m]
    return out


def pattern_probability(
    pattern: ArrayLike, *, p: float | None = None, alpha: float = 1.0, beta: float = 1.0
) -> float:
    r"""Return the exact probability of a 0/1 pattern in the first positions of a sequence.

    For iid Bernoulli(:math:`p`) (pass ``p``), :math:`p^k (1-p)^{m-k}`; for the
    Beta-Bernoulli sequence and Pólya's urn (leave ``p=None``),

    .. math::

        \Pr(X_1 = x_1, \dots, X_m = x_m) = \frac{B(\alpha + k,\ \beta + m - k)}{B(\alpha, \beta)},
        \qquad k = \textstyle\sum_i x_i .

    Both depend on the pattern only through :math:`k`: that is exchangeability.

    Parameters
    ----------
    pattern : array_like of 0/1, shape (m,)
        The values :math:`x_1, \dots, x_m` of the first :math:`m` terms.
    p : float or None, default None
        Probability of a one of an iid sequence, in [0, 1]; ``None`` for the
        Beta-Bernoulli sequence instead.
    alpha, beta : float, default 1 and 1
        Parameters of the Beta distribution of the shared rate (> 0), or the initial
        weights ``ones`` and ``zeros`` of Pólya's urn; ignored when ``p`` is given.

    Returns
    -------
    float
        :math:`\Pr(X_1 = x_1, \dots, X_m = x_m)`.

    Examples
    --------
    >>> from companion.exchangeability import pattern_probability
    >>> round(pattern_probability([1, 0]), 12), round(pattern_probability([0, 1]), 12)
    (0.166666666667, 0.166666666667)
    """
    x = as_counts(pattern, "pattern")
    if np.any(x > 1):
        raise ValueError(f"pattern must contain only 0 and 1; got {x!r}")
    k, m = int(x.sum()), int(x.size)
    if p is not None:
        q = _probability(p, "p")
        return float(q**k * (1 - q) ** (m - k))
    alpha = float(as_positive(alpha, "alpha", ndim=0))
    beta = float(as_positive(beta, "beta", ndim=0))
    return float(np.exp(betaln(alpha + k, beta + m - k) - betaln(alpha, beta)))


def pattern_frequencies(sequences: ArrayLike, length: int = 3) -> dict[str, float]:
    r"""Count the relative frequency of every 0/1 pattern in the first ``length`` positions.

    The frequency of a pattern is the fraction of rows whose first ``length`` terms
    are that pattern: an estimate of its probability (see :func:`pattern_probability`)
    with standard error :math:`\sqrt{P(1 - P)/R}` for :math:`R` independent rows.

    Parameters
    ----------
    sequences : array_like of 0/1, shape (replications, n)
        One sequence per row, as returned by :func:`simulate_iid` and its siblings.
    length : int, default 3
        Number of leading positions that make a pattern (at most ``n``).

    Returns
    -------
    dict
        Pattern string (for example ``"101"``) to frequency, for all ``2**length``
        patterns, in lexicographic order.
    """
    data = as_counts(sequences, "sequences", ndim=2)
    length = check_draws(length, "length")
    if length > data.shape[1]:
        raise ValueError(
            f"length must be at most the sequence length {data.shape[1]}; got {length}"
        )
    codes = data[:, :length] @ (1 << np.arange(length - 1, -1, -1))
    counts = np.bincount(codes, minlength=2**length) / data.shape[0]
    return {
        "".join(map(str, bits)): float(counts[i])
        for i, bits in enumerate(product((0, 1), repeat=length))
    }


def position_correlation(sequences: ArrayLike, first: int = 0, second: int = 1) -> float:
    r"""Return the sample correlation between two positions, across replications.

    The Pearson correlation of columns ``first`` and ``second``,

    .. math::

        r = \frac{\sum_r (x_{r,i} - \bar x_i)(x_{r,j} - \bar x_j)}
        {\big(\sum_r (x_{r,i} - \bar x_i)^2 \sum_r (x_{r,j} - \bar x_j)^2\big)^{1/2}},

    an estimate of :math:`\mathrm{corr}(X_i, X_j)` from independent replications.

    Parameters
    ----------
    sequences : array_like, shape (replications, n)
        One sequence (or one set of group effects) per row.
    first, second : int, default 0 and 1
        The two positions (columns), each in ``[0, n - 1]``.

    Returns
    -------
    float
        The sample correlation :math:`r`.
    """
    data = as_finite(sequences, "sequences", ndim=2)
    for name, index in (("first", first), ("second", second)):
        if not 0 <= index < data.shape[1]:
            raise ValueError(f"{name} must be a position in [0, {data.shape[1] - 1}]; got {index}")
    a, b = data[:, first], data[:, second]
    if a.std() == 0 or b.std() == 0:
        raise ValueError("sequences have no variation at these positions; correlation undefined")
    return float(np.corrcoef(a, b)[0, 1])


def beta_bernoulli_correlation(alpha: float, beta: float) -> float:
    r"""Return the correlation of two terms of a Beta-Bernoulli (or Pólya urn) sequence.

    It equals :math:`1/(\alpha + \beta + 1)`.

    By the law of total covariance, :math:`\mathrm{cov}(X_i, X_j) = \mathrm{var}(\theta)`
    and :math:`\mathrm{var}(X_i) = E\theta(1 - E\theta)`, whose ratio is
    :math:`1/(\alpha+\beta+1)`. It vanishes only as :math:`\alpha + \beta \to \infty`,
    when the shared rate is known.

    Parameters
    ----------
    alpha, beta : float
        Parameters of the Beta distribution of the shared rate (> 0), or the initial
        weights of Pólya's urn.

    Returns
    -------
    float
        :math:`1/(\alpha + \beta + 1)`, in (0, 1).

    Examples
    --------
    >>> from companion.exchangeability import beta_bernoulli_correlation
    >>> beta_bernoulli_correlation(1, 1)
    0.3333333333333333
    """
    alpha = float(as_positive(alpha, "alpha", ndim=0))
    beta = float(as_positive(beta, "beta", ndim=0))
    return 1.0 / (alpha + beta + 1.0)


def shared_mean_correlation(tau: float, mu_sd: float) -> float:
    r"""Return the correlation of two group effects that share an uncertain mean.

    With :math:`\theta_j = \mu + \tau z_j`, :math:`z_j` iid standard normal and
    :math:`\mu \sim \mathrm{N}(m, s^2)`:

    .. math:: \mathrm{corr}(\theta_i, \theta_j) = \frac{s^2}{s^2 + \tau^2}, \quad i \ne j.

    The normal-model analogue of :func:`beta_bernoulli_correlation`: uncertainty about
    the shared population mean makes exchangeable group effects dependent.

    Parameters
    ----------
    tau : float
        Population standard deviation :math:`\tau` of the effects around the mean
        (>= 0; 0 makes all effects equal, correlation 1).
    mu_sd : float
        Standard deviation :math:`s` of the uncertain mean (> 0).

    Returns
    -------
    float
        :math:`s^2/(s^2 + \tau^2)`, in (0, 1].

    Examples
    --------
    >>> from companion.exchangeability import shared_mean_correlation
    >>> shared_mean_correlation(1.0, 3.0)
    0.9
    """
    tau = float(as_finite(tau, "tau", ndim=0))
    if tau < 0:
        raise ValueError(f"tau must be >= 0; got {tau}")
    s = float(as_positive(mu_sd, "mu_sd", ndim=0))
    return s**2 / (s**2 + tau**2)


def simulate_shared_mean(
    groups: int,
    replications: int,
    *,
    tau: float = 1.0,
    mu_sd: float = 1.0,
    mu_mean: float = 0.0,
    rng: RngLike = None,
) -> np.ndarray:
    r"""Simulate normal group effects that share one uncertain population mean.

    Each replication draws its own mean and then the effects of ``groups`` groups:

    .. math::

        \mu \sim \mathrm{N}(m, s^2), \qquad
        \theta_j = \mu + \tau z_j, \quad z_j \text{ iid } \mathrm{N}(0, 1),

    so that, across replications, :math:`\mathrm{var}(\theta_j) = s^2 + \tau^2` and
    :math:`\mathrm{cov}(\theta_i, \theta_j) = s^2` for :math:`i \ne j` (law of total
    covariance): the correlation of :func:`shared_mean_correlation`.

    Parameters
    ----------
    groups : int
        Number of group effects per replication (columns).
    replications : int
        Number of independent draws of :math:`\mu` (rows).
    tau : float, default 1
        Population standard deviation :math:`\tau` (>= 0).
    mu_sd : float, default 1
        Standard deviation :math:`s` of the uncertain mean (> 0).
    mu_mean : float, default 0
        Its expectation :math:`m`.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray of float, shape (replications, groups)

    Examples
    --------
    >>> from companion.exchangeability import position_correlation, simulate_shared_mean
    >>> effects = simulate_shared_mean(2, 100_000, tau=1.0, mu_sd=3.0, rng=0)
    >>> effects.shape
    (100000, 2)
    >>> round(position_correlation(effects), 2)  # exact: 9 / 10
    0.9
    """
    groups, replications = check_draws(groups, "groups"), check_draws(replications, "replications")
    tau = float(as_finite(tau, "tau", ndim=0))
    if tau < 0:
        raise ValueError(f"tau must be >= 0; got {tau}")
    s = float(as_positive(mu_sd, "mu_sd", ndim=0))
    m = float(as_finite(mu_mean, "mu_mean", ndim=0))
    generator = np.random.default_rng(rng)
    mu = generator.normal(m, s, size=(replications, 1))
    return mu + tau * generator.standard_normal((replications, groups))


def _trial_range(min_trials: int, max_trials: int) -> tuple[int, int]:
    low, high = check_draws(min_trials, "min_trials"), check_draws(max_trials, "max_trials")
    if high < low:
        raise ValueError(f"max_trials must be >= min_trials = {low}; got {high}")
    return low, high


def simulate_groups(
    groups: int,
    *,
    alpha: float = 4.0,
    beta: float = 8.0,
    min_trials: int = 5,
    max_trials: int = 40,
    rng: RngLike = None,
) -> dict[str, np.ndarray]:
    r"""Simulate binomial groups whose true rates are drawn from a Beta population.

    For each group, in this order (so that a seed reproduces the same data set):

    .. math::

        n_j \sim \mathrm{Uniform}\{n_{\min}, \dots, n_{\max}\}, \qquad
        \theta_j \sim \mathrm{Beta}(\alpha, \beta), \qquad
        y_j \mid \theta_j \sim \mathrm{Bin}(n_j, \theta_j),

    all independent across groups.

    Parameters
    ----------
    groups : int
        Number of groups :math:`J`.
    alpha, beta : float, default 4 and 8
        Parameters of the population of rates (> 0).
    min_trials, max_trials : int, default 5 and 40
        Smallest and largest number of trials (inclusive); equal values give every
        group the same number.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    dict
        ``"trials"`` and ``"successes"`` (int, shape ``(J,)``) and ``"rates"``, the true
        :math:`\theta_j` (float, shape ``(J,)``).

    Examples
    --------
    >>> from companion.exchangeability import simulate_groups
    >>> data = simulate_groups(3, min_trials=10, max_trials=10, rng=0)
    >>> data["trials"].tolist(), bool((data["successes"] <= 10).all())
    ([10, 10, 10], True)
    """
    groups = check_draws(groups, "groups")
    a = float(as_positive(alpha, "alpha", ndim=0))
    b = float(as_positive(beta, "beta", ndim=0))
    low, high = _trial_range(min_trials, max_trials)
    generator = np.random.default_rng(rng)
    trials = generator.integers(low, high + 1, size=groups)
    rates = generator.beta(a, b, size=groups)
    successes = generator.binomial(trials, rates)
    return {"trials": trials, "rates": rates, "successes": successes}


def pooling_estimates(
    successes: ArrayLike, trials: ArrayLike, *, size: int = 256
) -> dict[str, np.ndarray]:
    r"""Estimate every group's rate three ways: no, complete and partial pooling.

    .. math::

        \hat\theta_j^{\text{none}} = \frac{y_j}{n_j}, \qquad
        \hat\theta_j^{\text{complete}} = \frac{\sum_k y_k}{\sum_k n_k}, \qquad
        \hat\theta_j^{\text{partial}} = E[\theta_j \mid y]
        = E\!\left[\frac{\alpha + y_j}{\alpha + \beta + n_j} \,\middle|\, y\right],

    the last in the hierarchical beta-binomial model with BDA3's hyperprior
    :math:`p(\alpha, \beta) \propto (\alpha + \beta)^{-5/2}`, computed exactly on a grid
    by :func:`companion.beta_binomial.hyper_posterior`.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.
    size : int, default 256
        Cells per axis of the grid of :func:`~companion.beta_binomial.hyper_posterior`
        (64 already gives the posterior means to about 1e-3, at a quarter of the time).

    Returns
    -------
    dict
        The names of :data:`POOLING` to arrays of shape ``(J,)``.

    Examples
    --------
    >>> from companion.exchangeability import pooling_estimates
    >>> est = pooling_estimates([1, 5, 9], [10, 10, 10])
    >>> est["complete pooling"].tolist()
    [0.5, 0.5, 0.5]
    >>> bool(est["no pooling"][0] < est["partial pooling"][0] < 0.5)
    True
    """
    y, n = as_binomial_data(successes, trials)
    posterior = beta_binomial.hyper_posterior(y, n, size=size)
    return {
        "no pooling": y / n,
        "complete pooling": np.full(y.size, y.sum() / n.sum()),
        "partial pooling": posterior.theta_mean(),
    }


def pooling_rmse(estimates: Mapping[str, ArrayLike], truth: ArrayLike) -> dict[str, float]:
    r"""Return the root mean squared error of each set of estimates.

    .. math::

        \mathrm{RMSE} = \Big(\frac{1}{J} \sum_{j=1}^{J} (\hat\theta_j - \theta_j)^2\Big)^{1/2}.

    Parameters
    ----------
    estimates : mapping
        Name to estimates of shape ``(J,)``, as returned by :func:`pooling_estimates`.
    truth : array_like, shape (J,)
        The true rates.

    Returns
    -------
    dict
        Name to RMSE, in the order of ``estimates``.

    Examples
    --------
    >>> from companion.exchangeability import pooling_rmse
    >>> pooling_rmse({"zero": [0.0, 0.0]}, [0.3, 0.4])
    {'zero': 0.3535533905932738}
    """
    theta = as_finite(truth, "truth")
    if not isinstance(estimates, Mapping) or not estimates:
        raise ValueError(
            f"estimates must be a non-empty mapping of name to array; got {estimates!r}"
        )
    out = {}
    for name, value in estimates.items():
        est = as_finite(value, f"estimates[{name!r}]")
        if est.shape != theta.shape:
            raise ValueError(
                f"estimates[{name!r}] must have the shape of truth {theta.shape}; got {est.shape}"
            )
        out[name] = float(np.sqrt(np.mean((est - theta) ** 2)))
    return out


def pooling_study(
    replications: int,
    *,
    groups: int = 30,
    alpha: float = 4.0,
    beta: float = 8.0,
    min_trials: int = 5,
    max_trials: int = 40,
    size: int = 64,
    rng: RngLike = None,
) -> pd.DataFrame:
    r"""Compare the three pooling estimators over many simulated data sets.

    Each replication simulates a data set with :func:`simulate_groups` (all drawn
    from one generator, so the data sets are independent), estimates the rates with
    :func:`pooling_estimates` and scores each estimator by :func:`pooling_rmse`
    against the true rates. Each replication computes one exact posterior, a fraction
    of a second.

    Parameters
    ----------
    replications : int
        Number of simulated data sets.
    groups, alpha, beta, min_trials, max_trials
        The design, as in :func:`simulate_groups`.
    size : int, default 64
        Grid size passed to :func:`pooling_estimates`.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    pandas.DataFrame
        One row per data set (index ``"replication"``), one column of RMSE per
        estimator, in the order of :data:`POOLING`.

    Examples
    --------
    >>> from companion.exchangeability import pooling_study
    >>> study = pooling_study(2, groups=10, min_trials=200, max_trials=200, rng=0)
    >>> study.shape, list(study.columns)
    ((2, 3), ['no pooling', 'complete pooling', 'partial pooling'])
    """
    replications = check_draws(replications, "replications")
    generator = np.random.default_rng(rng)
    rows = []
    for _ in range(replications):  # one exact posterior per data set
        data = simulate_groups(
            groups,
            alpha=alpha,
            beta=beta,
            min_trials=min_trials,
            max_trials=max_trials,
            rng=generator,
        )
        estimates = pooling_estimates(data["successes"], data["trials"], size=size)
        rows.append(pooling_rmse(estimates, data["rates"]))
    return pd.DataFrame(rows, columns=list(POOLING)).rename_axis("replication")
