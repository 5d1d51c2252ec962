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
"""

from __future__ import annotations

from itertools import product

import numpy as np
from scipy.special import betaln

from companion._validate import as_counts, as_finite, as_positive, check_draws

__all__ = [
    "beta_bernoulli_correlation",
    "pattern_frequencies",
    "pattern_probability",
    "position_correlation",
    "shared_mean_correlation",
    "simulate_beta_bernoulli",
    "simulate_iid",
    "simulate_polya_urn",
]

Rng = int | np.random.Generator | None


def _probability(value: object, name: str) -> float:
    p = float(as_finite(value, name, ndim=0))
    if not 0 <= p <= 1:
        raise ValueError(f"{name} must lie in [0, 1]; got {p}")
    return p


def simulate_iid(length: int, replications: int, *, p: float = 0.5, rng: Rng = None) -> np.ndarray:
    """Simulate independent Bernoulli(``p``) sequences.

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
    length: int, replications: int, *, alpha: float = 1.0, beta: float = 1.0, rng: Rng = None
) -> np.ndarray:
    r"""Simulate sequences that share one rate :math:`\theta \sim \mathrm{Beta}(\alpha, \beta)`.

    Given :math:`\theta`, the terms are iid Bernoulli(:math:`\theta`).

    Each replication draws its own :math:`\theta`; within a replication the terms are
    conditionally independent given :math:`\theta` but marginally dependent.

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
    length: int, replications: int, *, ones: float = 1.0, zeros: float = 1.0, rng: Rng = None
) -> np.ndarray:
    r"""Simulate Pólya's urn: draw a ball, put it back with one more of the same colour.

    The urn starts with weight ``ones`` on "1" and ``zeros`` on "0" (weights need not
    be whole numbers). After :math:`k` ones in :math:`m` draws the next draw is a one
    with probability :math:`(\text{ones} + k)/(\text{ones} + \text{zeros} + m)`. The
    resulting sequence has exactly the law of :func:`simulate_beta_bernoulli` with
    :math:`\alpha = \text{ones}`, :math:`\beta = \text{zeros}`.

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
    pattern: object, *, p: float | None = None, alpha: float = 1.0, beta: float = 1.0
) -> float:
    r"""Return the exact probability of a 0/1 pattern in the first positions of a sequence.

    For iid Bernoulli(:math:`p`) (pass ``p``), :math:`p^k (1-p)^{m-k}`; for the
    Beta-Bernoulli sequence and Pólya's urn (leave ``p=None``),

    .. math::

        \Pr(X_1 = x_1, \dots, X_m = x_m) = \frac{B(\alpha + k,\ \beta + m - k)}{B(\alpha, \beta)},
        \qquad k = \textstyle\sum_i x_i .

    Both depend on the pattern only through :math:`k`: that is exchangeability.

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


def pattern_frequencies(sequences: object, length: int = 3) -> dict[str, float]:
    """Count the relative frequency of every 0/1 pattern in the first ``length`` positions.

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


def position_correlation(sequences: object, first: int = 0, second: int = 1) -> float:
    """Return the sample correlation between two positions, across replications."""
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
    """
    tau = float(as_finite(tau, "tau", ndim=0))
    if tau < 0:
        raise ValueError(f"tau must be >= 0; got {tau}")
    s = float(as_positive(mu_sd, "mu_sd", ndim=0))
    return s**2 / (s**2 + tau**2)
