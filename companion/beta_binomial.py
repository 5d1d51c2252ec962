r"""Exact posteriors for binomial data with Beta-distributed rates.

Three levels of pooling, as in the book's chapters on free throws, the drug trial and
the rat tumours:

* **independent** Beta priors: :func:`conjugate_posterior`, :func:`prob_greater`,
  :func:`prob_largest`;
* **empirical Bayes**: a Beta prior fitted to observed rates by :func:`fit_moments`;
* **full Bayes**: the hierarchical model

  .. math::

      y_j \mid \theta_j \sim \mathrm{Bin}(n_j, \theta_j), \quad
      \theta_j \mid \alpha, \beta \sim \mathrm{Beta}(\alpha, \beta), \quad
      p(\alpha, \beta) \propto (\alpha + \beta)^{-5/2},

  whose marginal posterior :math:`p(\alpha, \beta \mid y)` is tabulated on a grid in
  :math:`(\log(\alpha/\beta), \log(\alpha+\beta))` by :func:`hyper_posterior` and
  sampled, with the rates, by :func:`sample_posterior`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats
from scipy.special import expit, gammaln, logit

from companion._validate import (
    as_binomial_data,
    as_counts,
    as_finite,
    as_positive,
    as_rates,
    check_choice,
    check_draws,
    check_frozen,
    frozen_parameters,
)
from companion.grid import Grid2D, adaptive_grid

__all__ = [
    "HyperPosterior",
    "conjugate_posterior",
    "fit_moments",
    "hyper_posterior",
    "log_marginal_posterior",
    "log_power_hyperprior",
    "log_rising",
    "posterior_predictive",
    "prob_greater",
    "prob_largest",
    "sample_posterior",
]

LogHyperprior = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _beta_prior(prior: object) -> tuple[float, float]:
    if prior is None:
        return 1.0, 1.0
    check_frozen(prior, "prior", family="beta")
    shapes, loc, scale = frozen_parameters(prior)
    if loc != 0 or scale != 1:
        raise ValueError(f"prior must be a standard Beta on [0, 1]; got loc={loc}, scale={scale}")
    return shapes["a"], shapes["b"]


def conjugate_posterior(successes: object, trials: object, *, prior: object = None) -> object:
    r"""Independent Beta posteriors of the rates, one per group.

    .. math::

        \theta_j \sim \mathrm{Beta}(a, b), \; y_j \mid \theta_j \sim \mathrm{Bin}(n_j, \theta_j)
        \;\Longrightarrow\;
        \theta_j \mid y_j \sim \mathrm{Beta}(a + y_j,\, b + n_j - y_j).

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        Counts :math:`y_j \le n_j`.
    prior : scipy.stats.beta frozen distribution, optional
        The common prior :math:`\mathrm{Beta}(a, b)`; ``None`` is the uniform Beta(1, 1).

    Returns
    -------
    scipy.stats.rv_continuous_frozen
        A frozen ``scipy.stats.beta`` with array parameters of shape ``(J,)``.

    Examples
    --------
    >>> from companion.beta_binomial import conjugate_posterior
    >>> post = conjugate_posterior([25, 79], [46, 120])
    >>> post.args
    (array([26., 80.]), array([22., 42.]))
    """
    y, n = as_binomial_data(successes, trials)
    a, b = _beta_prior(prior)
    return stats.beta(a + y, b + n - y)


def _pairwise_integral(dists: list[object], index: int, others: list[int]) -> float:
    r""":math:`\int p_i(x) \prod_{k} F_k(x)\,dx` by adaptive quadrature over p_i's support."""
    focal = dists[index]
    lower, upper = focal.ppf(1e-15), focal.isf(1e-15)

    def integrand(x: float) -> float:
        return float(np.prod([dists[k].cdf(x) for k in others]))

    value = focal.expect(integrand, lb=lower, ub=upper, epsabs=1e-13, epsrel=1e-10, limit=200)
    return float(np.clip(value, 0.0, 1.0))


def _split(successes: object, trials: object, prior: object) -> list[object]:
    post = conjugate_posterior(successes, trials, prior=prior)
    a, b = post.args
    return [stats.beta(ai, bi) for ai, bi in zip(a, b, strict=True)]


def prob_greater(
    successes: object, trials: object, index: int, *, prior: object = None
) -> np.ndarray:
    r"""Posterior probability that group ``index`` has a higher rate than each other group.

    With independent Beta posteriors :math:`p_i` and CDFs :math:`F_k`,

    .. math::

        \Pr(\theta_i > \theta_k \mid y) = \int_0^1 p_i(x)\, F_k(x)\, dx,

    computed by adaptive quadrature (exact to about :math:`10^{-10}`).

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        Counts per group.
    index : int
        The group whose rate is compared with the others.
    prior : scipy.stats.beta frozen distribution, optional
        Common prior; ``None`` is Beta(1, 1).

    Returns
    -------
    numpy.ndarray, shape (J,)
        Entry ``k`` is :math:`\Pr(\theta_{index} > \theta_k \mid y)`; entry ``index`` is NaN.

    Examples
    --------
    >>> from companion.beta_binomial import prob_greater
    >>> prob_greater([5, 5], [10, 10], 0).round(6)
    array([nan, 0.5])
    """
    dists = _split(successes, trials, prior)
    index = _check_index(index, len(dists))
    out = np.full(len(dists), np.nan)
    for k in range(len(dists)):
        if k != index:
            out[k] = _pairwise_integral(dists, index, [k])
    return out


def prob_largest(successes: object, trials: object, *, prior: object = None) -> np.ndarray:
    r"""Posterior probability that each group has the highest rate of all.

    .. math::

        \Pr\big(\theta_i > \max_{k \ne i} \theta_k \mid y\big)
        = \int_0^1 p_i(x) \prod_{k \ne i} F_k(x)\, dx .

    The entries sum to one.

    Examples
    --------
    >>> from companion.beta_binomial import prob_largest
    >>> prob_largest([3, 3, 3], [9, 9, 9]).round(6)
    array([0.333333, 0.333333, 0.333333])
    """
    dists = _split(successes, trials, prior)
    return np.array(
        [
            _pairwise_integral(dists, i, [k for k in range(len(dists)) if k != i])
            for i in range(len(dists))
        ]
    )


def _check_index(index: object, size: int, name: str = "index") -> int:
    if (
        isinstance(index, bool)
        or not isinstance(index, int | np.integer)
        or not (-size <= index < size)
    ):
        raise ValueError(f"{name} must be an integer in [{-size}, {size - 1}]; got {index!r}")
    return int(index) % size


def fit_moments(rates: object, *, ddof: int = 1) -> tuple[float, float]:
    r"""Method-of-moments Beta fit to observed rates (empirical Bayes).

    Matches the sample mean :math:`m` and variance :math:`v` (divisor
    :math:`J - \text{ddof}`, :math:`J - 1` by default, as in BDA3) of the rates to those
    of a :math:`\mathrm{Beta}(\alpha, \beta)`:

    .. math::

        \frac{\alpha}{\alpha+\beta} = m, \qquad
        \frac{\alpha\beta}{(\alpha+\beta)^2(\alpha+\beta+1)} = v
        \;\Longrightarrow\;
        \alpha + \beta = \frac{m(1-m)}{v} - 1 .

    Parameters
    ----------
    rates : array_like, shape (J,)
        Observed rates in [0, 1], at least two different values.
    ddof : {0, 1}, default 1
        Delta degrees of freedom of the sample variance.

    Returns
    -------
    tuple of float
        ``(alpha, beta)``.

    Raises
    ------
    ValueError
        If the rates are out of range, have no spread, or vary so much that no Beta
        distribution matches (:math:`v \ge m(1-m)`).

    Examples
    --------
    >>> from companion.beta_binomial import fit_moments
    >>> [round(x, 3) for x in fit_moments([0.1, 0.2, 0.3])]
    [3.0, 12.0]
    """
    r = as_rates(rates, "rates")
    check_choice(ddof, "ddof", (0, 1))
    m, v = float(r.mean()), float(r.var(ddof=ddof))
    if v == 0:
        raise ValueError(f"rates have too little spread: their variance underflows to 0; got {r!r}")
    if v >= m * (1 - m):
        raise ValueError(
            f"rates vary too much for a Beta distribution: variance {v:.4g} >= "
            f"mean*(1-mean) = {m * (1 - m):.4g}"
        )
    total = m * (1 - m) / v - 1
    return m * total, (1 - m) * total


# --- the full hierarchical model -----------------------------------------------------------

# Above this, the direct difference of gammaln values loses more accuracy (about 1e-12
# relative near 1e4) than the truncated Stirling series (whose next term is 1/(1680 a^7)).
_STIRLING_FROM = 100.0


def _stirling_tail(x: np.ndarray) -> np.ndarray:
    """Return lgamma(x) - [(x - 1/2) log x - x + log(2 pi)/2], for x >= 100 (error < 1e-17)."""
    inv = 1.0 / x
    inv2 = inv * inv
    return inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260))


def log_rising(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    r"""Stable :math:`\log\Gamma(a + k) - \log\Gamma(a)` for :math:`a > 0,\ k \ge 0`.

    The direct difference of ``gammaln`` loses all accuracy once
    :math:`a \gtrsim 10^{12}` (each term is about :math:`a \log a`), which the grid
    reaches when the data are compatible with complete pooling. For
    :math:`a \ge 100` the Stirling series gives the difference without cancellation:

    .. math::

        \log\frac{\Gamma(a+k)}{\Gamma(a)} = (a - \tfrac12)\log\!\Big(1 + \frac{k}{a}\Big)
        + k \log(a + k) - k + c(a + k) - c(a),

    where :math:`c(x) = \frac{1}{12x} - \frac{1}{360x^3} + \frac{1}{1260x^5}`.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.beta_binomial import log_rising
    >>> float(np.exp(log_rising(np.array(3.0), np.array(2.0))))  # 3 * 4
    12.0
    """
    a, k = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(k, dtype=float))
    out = np.array(gammaln(a + k) - gammaln(a), dtype=float)  # writable, even when 0-d
    big = a >= _STIRLING_FROM
    if big.any():
        ab, kb = a[big], k[big]
        out[big] = (
            (ab - 0.5) * np.log1p(kb / ab)
            + kb * np.log(ab + kb)
            - kb
            + _stirling_tail(ab + kb)
            - _stirling_tail(ab)
        )
    return out


def log_power_hyperprior(exponent: float = -2.5) -> LogHyperprior:
    r"""Return the log hyperprior :math:`\log p(\alpha, \beta) = k \log(\alpha + \beta)`.

    ``exponent=-2.5`` is the choice of :cite:t:`bda3` (section 5.3), which is
    uniform on :math:`(\alpha/(\alpha+\beta), (\alpha+\beta)^{-1/2})`. With
    :math:`G` groups whose counts satisfy :math:`0 < y_j < n_j`, the posterior is
    proper exactly when :math:`-(2 + G) < k < -2`: flatter choices leave mass at
    :math:`\alpha + \beta \to \infty`, steeper ones at :math:`\alpha + \beta \to 0`,
    and :func:`hyper_posterior` rejects both.

    Examples
    --------
    >>> from companion.beta_binomial import log_power_hyperprior
    >>> float(log_power_hyperprior(-2.5)(1.0, 3.0))  # -2.5 * log 4
    -3.4657359027997265
    """
    exponent = float(as_finite(exponent, "exponent", ndim=0))

    def log_prior(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        return exponent * np.log(np.asarray(alpha) + np.asarray(beta))

    log_prior.__doc__ = f"log p(alpha, beta) = {exponent} * log(alpha + beta) + const."
    return log_prior


def _tallies(y: np.ndarray, n: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Distinct values of y, n - y and n with their multiplicities.

    The likelihood is a sum of terms in (alpha, y_j), (beta, n_j - y_j) and
    (alpha + beta, n_j); repeated values share one evaluation.
    """
    return tuple(
        tuple(arr.astype(float) for arr in np.unique(values, return_counts=True))
        for values in (y, n - y, n)
    )


def log_marginal_posterior(
    alpha: object,
    beta: object,
    successes: object,
    trials: object,
    *,
    log_hyperprior: LogHyperprior | None = None,
) -> np.ndarray:
    r"""Unnormalized :math:`\log p(\alpha, \beta \mid y)` of the hierarchical model.

    Integrating each :math:`\theta_j` out of the joint posterior gives

    .. math::

        p(\alpha, \beta \mid y) \propto p(\alpha, \beta) \prod_{j=1}^{J}
        \frac{B(\alpha + y_j,\ \beta + n_j - y_j)}{B(\alpha, \beta)}
        = p(\alpha, \beta) \prod_{j=1}^{J}
        \frac{\Gamma(\alpha+\beta)\,\Gamma(\alpha+y_j)\,\Gamma(\beta+n_j-y_j)}
             {\Gamma(\alpha)\,\Gamma(\beta)\,\Gamma(\alpha+\beta+n_j)},

    evaluated in log space with :func:`log_rising` so that it stays accurate for any
    :math:`\alpha + \beta`.

    Parameters
    ----------
    alpha, beta : array_like
        Positive hyperparameters (broadcast against each other).
    successes, trials : array_like of int, shape (J,)
        The data.
    log_hyperprior : callable, optional
        ``log p(alpha, beta)`` up to a constant; ``None`` is
        ``log_power_hyperprior(-2.5)``.

    Returns
    -------
    numpy.ndarray
        The log density (up to an additive constant), shaped like ``alpha + beta``.
    """
    alpha = as_positive(alpha, "alpha", ndim=np.ndim(alpha))
    beta = as_positive(beta, "beta", ndim=np.ndim(beta))
    y, n = as_binomial_data(successes, trials)
    log_prior = log_power_hyperprior() if log_hyperprior is None else log_hyperprior
    return _log_marginal(alpha, beta, _tallies(y, n), log_prior)


def _log_marginal(
    alpha: np.ndarray,
    beta: np.ndarray,
    tallies: tuple[tuple[np.ndarray, np.ndarray], ...],
    log_prior: LogHyperprior,
) -> np.ndarray:
    (ys, wy), (fs, wf), (ns, wn) = tallies
    a = np.asarray(alpha, dtype=float)
    b = np.asarray(beta, dtype=float)
    loglik = (
        log_rising(a[..., None], ys) @ wy
        + log_rising(b[..., None], fs) @ wf
        - log_rising((a + b)[..., None], ns) @ wn
    )
    return np.asarray(log_prior(alpha, beta), dtype=float) + loglik


def _from_logit_coords(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log(alpha/beta), log(alpha+beta)) -> (alpha, beta)."""
    total = np.exp(v)
    return total * expit(u), total * expit(-u)


@dataclass(frozen=True)
class HyperPosterior:
    r"""The exact marginal posterior of :math:`(\alpha, \beta)`, tabulated on a grid.

    The grid lives in :math:`u = \log(\alpha/\beta)`, :math:`v = \log(\alpha+\beta)`,
    where the density picks up the Jacobian
    :math:`|\partial(\alpha,\beta)/\partial(u,v)| = \alpha\beta`:

    .. math::

        p(u, v \mid y) = p(\alpha, \beta \mid y)\, \alpha \beta .

    Attributes
    ----------
    grid : companion.grid.Grid2D
        The density in :math:`(u, v)`; ``grid.x`` is :math:`u`, ``grid.y`` is :math:`v`.
    successes, trials : numpy.ndarray
        The data.
    """

    grid: Grid2D
    successes: np.ndarray
    trials: np.ndarray

    def __post_init__(self) -> None:
        for array in (self.successes, self.trials):
            array.flags.writeable = False

    @property
    def edge_mass(self) -> float:
        """Posterior probability in the outermost ring of grid cells (should be tiny)."""
        return self.grid.edge_mass()

    def alpha_beta(self) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`(\alpha, \beta)` at the grid cell centres, each of shape ``(nu, nv)``."""
        return _from_logit_coords(self.grid.x[:, None], self.grid.y[None, :])

    def expect(self, f: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> float:
        r"""Exact (grid) posterior expectation of ``f(alpha, beta)``.

        A warning is issued when :math:`|f|\,p` has not decayed at the edges of the
        grid: that is what happens for :math:`E[\alpha]` or :math:`E[\beta]`, which
        are infinite under the :math:`(\alpha+\beta)^{-5/2}` hyperprior, while the grid
        (necessarily finite) would return a number.
        """
        alpha, beta = self.alpha_beta()
        values = np.broadcast_to(np.asarray(f(alpha, beta), dtype=float), alpha.shape)
        weighted = np.abs(values) * self.grid.mass
        inner = weighted[2:-2, 2:-2].sum()
        if weighted.sum() - inner > 1e-9 * max(float(weighted.sum()), 1e-300):
            warnings.warn(
                "the integrand has not decayed at the edges of the (alpha, beta) grid: this "
                "expectation may not exist (heavy tail) and the value returned is unreliable",
                RuntimeWarning,
                stacklevel=2,
            )
        return float(np.sum(values * self.grid.mass))

    def coordinate_correlations(self) -> dict[str, float]:
        r"""Exact posterior correlations of the two coordinate pairs a sampler might use.

        :math:`(\log\alpha, \log\beta)`, the coordinates in which PyMC and nutpie
        move, and the grid's :math:`(u, v) = (\log(\alpha/\beta), \log(\alpha+\beta))`.
        The map between the two pairs has Jacobian determinant 1, yet the correlations
        differ: the shape of the posterior depends on the coordinates.

        Returns
        -------
        dict
            ``{"log_alpha, log_beta": ..., "u, v": ...}``.
        """
        alpha, beta = self.alpha_beta()
        pairs = {
            "log_alpha, log_beta": (np.log(alpha), np.log(beta)),
            "u, v": (np.log(alpha / beta), np.log(alpha + beta)),
        }
        mass = self.grid.mass
        out = {}
        for name, (first, second) in pairs.items():
            m1, m2 = np.sum(mass * first), np.sum(mass * second)
            cov = np.sum(mass * (first - m1) * (second - m2))
            var1, var2 = np.sum(mass * (first - m1) ** 2), np.sum(mass * (second - m2) ** 2)
            out[name] = float(cov / np.sqrt(var1 * var2))
        return out

    def sample(
        self, draws: int, *, rng: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""Independent posterior draws of :math:`(\alpha, \beta)` (inverse CDF with jitter)."""
        u, v = self.grid.sample(draws, rng=rng)
        return _from_logit_coords(u, v)

    def theta_mean(self) -> np.ndarray:
        r"""Exact :math:`E[\theta_j \mid y] = E[(\alpha + y_j)/(\alpha+\beta+n_j) \mid y]`."""
        a, b = self.alpha_beta()
        mean = (a[..., None] + self.successes) / ((a + b)[..., None] + self.trials)
        return np.tensordot(self.grid.mass, mean, axes=([0, 1], [0, 1]))

    def theta_sd(self) -> np.ndarray:
        r"""Exact posterior standard deviation of each :math:`\theta_j` (law of total variance)."""
        a, b = self.alpha_beta()
        a1 = a[..., None] + self.successes
        b1 = b[..., None] + self.trials - self.successes
        mean = a1 / (a1 + b1)
        second = mean * (a1 + 1) / (a1 + b1 + 1)
        m1 = np.tensordot(self.grid.mass, mean, axes=([0, 1], [0, 1]))
        m2 = np.tensordot(self.grid.mass, second, axes=([0, 1], [0, 1]))
        return np.sqrt(np.maximum(m2 - m1**2, 0.0))

    def theta_cdf(self, x: object, group: int) -> np.ndarray:
        r"""Exact :math:`\Pr(\theta_j \le x \mid y)`: a Beta mixture over the grid."""
        j = _check_index(group, self.successes.size, "group")
        x = np.atleast_1d(as_finite(x, "x", ndim=np.ndim(x)))
        a, b = self.alpha_beta()
        keep = self.grid.mass > 1e-14 * self.grid.mass.max()
        weights = self.grid.mass[keep] / self.grid.mass[keep].sum()
        cdf = stats.beta.cdf(
            x[:, None],
            a[keep][None, :] + self.successes[j],
            b[keep][None, :] + self.trials[j] - self.successes[j],
        )
        return cdf @ weights

    def theta_ppf(self, q: object, group: int) -> np.ndarray:
        r"""Exact posterior quantiles of :math:`\theta_j` by root finding on :meth:`theta_cdf`."""
        qs = np.atleast_1d(as_finite(q, "q", ndim=np.ndim(q)))
        if np.any((qs <= 0) | (qs >= 1)):
            raise ValueError(f"q must lie strictly between 0 and 1; got {q!r}")
        return np.array(
            [
                optimize.brentq(
                    lambda x, p=p: self.theta_cdf(x, group)[0] - p, 0.0, 1.0, xtol=1e-12
                )
                for p in qs
            ]
        )

    def predictive_pmf(self, trials: int) -> np.ndarray:
        r"""Exact posterior predictive of the count in a *new* experiment of ``trials`` units.

        .. math::

            p(\tilde y \mid y) = \iint \binom{\tilde n}{\tilde y}
            \frac{B(\alpha + \tilde y, \beta + \tilde n - \tilde y)}{B(\alpha, \beta)}
            \, p(\alpha, \beta \mid y)\, d\alpha\, d\beta, \quad \tilde y = 0, \dots, \tilde n.
        """
        size = int(as_counts(trials, "trials", ndim=0))
        k = np.arange(size + 1, dtype=float)
        a, b = self.alpha_beta()
        log_pmf = (
            gammaln(size + 1.0)
            - gammaln(k + 1)
            - gammaln(size - k + 1)
            + log_rising(a[..., None], k)
            + log_rising(b[..., None], size - k)
            - log_rising((a + b)[..., None], np.float64(size))
        )
        return np.tensordot(self.grid.mass, np.exp(log_pmf), axes=([0, 1], [0, 1]))


def hyper_posterior(
    successes: object,
    trials: object,
    *,
    log_hyperprior: LogHyperprior | None = None,
    size: int = 256,
) -> HyperPosterior:
    r"""Tabulate :math:`p(\log(\alpha/\beta), \log(\alpha+\beta) \mid y)` on a data-driven grid.

    The range is found from the data by :func:`companion.grid.adaptive_grid`: a box
    centred on the pooled log-odds is widened until the log density has dropped by 30
    on every side, then shrunk to the region above that level.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.
    log_hyperprior : callable, optional
        ``log p(alpha, beta)`` up to a constant; ``None`` is BDA3's
        :math:`(\alpha+\beta)^{-5/2}`.
    size : int, default 256
        Cells per axis of the fine grid.

    Returns
    -------
    HyperPosterior

    Raises
    ------
    ValueError
        If the data are invalid, or if the posterior does not decay on some side
        (an improper posterior, as with a flat hyperprior).

    Examples
    --------
    >>> from companion.datasets import rat_tumors
    >>> from companion.beta_binomial import hyper_posterior
    >>> rats = rat_tumors()
    >>> post = hyper_posterior(rats["y"], rats["n"])
    >>> post.edge_mass < 1e-9
    True
    """
    y, n = as_binomial_data(successes, trials)
    size = check_draws(size, "size")
    if size < 16:
        raise ValueError(f"size must be at least 16; got {size}")
    log_prior = log_power_hyperprior() if log_hyperprior is None else log_hyperprior
    if not callable(log_prior):
        raise ValueError(
            f"log_hyperprior must be a callable log p(alpha, beta) or None; got {log_prior!r}"
        )
    if log_hyperprior is None and not np.any((y > 0) & (y < n)):
        raise ValueError(
            "the posterior of (alpha, beta) is improper for these data: no group has "
            "0 < successes < trials, so the likelihood stays bounded away from zero as "
            "alpha + beta -> 0, where the hyperprior (alpha + beta)^(-5/2) is not integrable"
        )
    tallies = _tallies(y, n)

    def log_density(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        alpha, beta = _from_logit_coords(u, v)
        return _log_marginal(alpha, beta, tallies, log_prior) + np.log(alpha) + np.log(beta)

    centre = float(logit((y.sum() + 0.5) / (n.sum() + 1.0)))
    try:
        grid = adaptive_grid(log_density, [(centre - 6.0, centre + 6.0), (-4.0, 8.0)], size=size)
    except ValueError as err:
        raise ValueError(
            f"the posterior of (alpha, beta) is improper under this hyperprior ({err})"
        ) from err
    return HyperPosterior(grid=grid, successes=y, trials=n)


def sample_posterior(
    successes: object,
    trials: object,
    draws: int,
    *,
    log_hyperprior: LogHyperprior | None = None,
    rng: int | np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    r"""Independent draws from the joint posterior :math:`p(\alpha, \beta, \theta \mid y)`.

    First :math:`(\alpha, \beta)` from the grid (:func:`hyper_posterior`), then, given
    each draw,

    .. math::

        \theta_j \mid \alpha, \beta, y \sim \mathrm{Beta}(\alpha + y_j,\ \beta + n_j - y_j)

    independently for every group.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.
    draws : int
        Number of joint draws.
    log_hyperprior : callable, optional
        As in :func:`hyper_posterior`.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    dict
        ``"alpha"`` and ``"beta"`` of shape ``(draws,)`` and ``"theta"`` of shape
        ``(draws, J)``.

    Examples
    --------
    >>> from companion.beta_binomial import sample_posterior
    >>> out = sample_posterior([0, 2, 5, 9], [20, 20, 20, 20], 1000, rng=1)
    >>> out["theta"].shape
    (1000, 4)
    """
    draws = check_draws(draws)
    y, n = as_binomial_data(successes, trials)
    rng = np.random.default_rng(rng)
    posterior = hyper_posterior(y, n, log_hyperprior=log_hyperprior)
    alpha, beta = posterior.sample(draws, rng=rng)
    theta = rng.beta(alpha[:, None] + y, beta[:, None] + (n - y))
    return {"alpha": alpha, "beta": beta, "theta": theta}


def posterior_predictive(
    draws: dict[str, np.ndarray],
    trials: object,
    *,
    new_group: bool = False,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray:
    r"""Posterior predictive counts for existing groups or for a new group.

    For an existing group :math:`j`, :math:`\tilde y_j \sim \mathrm{Bin}(\tilde n_j, \theta_j)`
    with :math:`\theta_j` from its posterior draws. For a new group,
    :math:`\tilde\theta \sim \mathrm{Beta}(\alpha, \beta)` from the drawn
    hyperparameters, then :math:`\tilde y \sim \mathrm{Bin}(\tilde n, \tilde\theta)`.

    Parameters
    ----------
    draws : dict
        Output of :func:`sample_posterior`.
    trials : int or array_like of int
        Units in each future experiment: shape ``(J,)`` (or a scalar) for existing
        groups, a scalar for a new group.
    new_group : bool, default False
        Predict for a new group instead of the existing ones.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray
        Integer counts of shape ``(draws, J)`` (existing groups) or ``(draws,)``.
    """
    rng = np.random.default_rng(rng)
    if new_group:
        size = as_counts(trials, "trials", ndim=0)
        rate = rng.beta(draws["alpha"], draws["beta"])
        return rng.binomial(size, rate)
    theta = np.asarray(draws["theta"])
    size = as_counts(trials, "trials", ndim=np.ndim(trials))
    if size.ndim > 1 or (size.ndim == 1 and size.size != theta.shape[1]):
        raise ValueError(
            f"trials must be a scalar or have one entry per group ({theta.shape[1]}); "
            f"got shape {size.shape}"
        )
    return rng.binomial(np.broadcast_to(size, theta.shape[1:]), theta)
