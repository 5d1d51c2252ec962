r"""Exact posteriors for binomial data with Beta-distributed rates.

Three levels of pooling, as in the book's chapters on free throws, the drug trial and
the rat tumours:

* **no pooling**, independent Beta priors: :func:`conjugate_posterior`,
  :func:`no_pooling_prob_greater`, :func:`no_pooling_prob_largest`;
* **empirical Bayes**: a Beta prior fitted by the method of moments (:func:`fit_moments`)
  or by marginal maximum likelihood (:func:`fit_marginal_likelihood`);
* **full Bayes**: the hierarchical model

  .. math::

      y_j \mid \theta_j \sim \mathrm{Bin}(n_j, \theta_j), \quad
      \theta_j \mid \alpha, \beta \sim \mathrm{Beta}(\alpha, \beta), \quad
      p(\alpha, \beta) \propto (\alpha + \beta)^{-5/2},

  whose marginal posterior :math:`p(\alpha, \beta \mid y)` is tabulated on a grid in
  :math:`(\log(\alpha/\beta), \log(\alpha+\beta))` by :func:`hyper_posterior`: a
  :class:`HyperPosterior` with exact summaries, rankings, predictives and draws of
  everything (the same methods as :class:`companion.normal_normal.TauPosterior`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats
from scipy.special import expit, gammaln, logit

from companion import rankings
from companion._validate import (
    RngLike,
    as_binomial_data,
    as_counts,
    as_finite,
    as_positive,
    as_rates,
    check_choice,
    check_draws,
    check_frozen,
    check_groups,
    frozen_parameters,
)
from companion.grid import Grid2D, adaptive_grid, warn_if_not_decayed
from companion.mixtures import Mixture
from companion.priors import BDA3_HYPERPRIOR, PowerHyperprior

__all__ = [
    "UNIFORM_RATE",
    "HyperPosterior",
    "conjugate_posterior",
    "fit_marginal_likelihood",
    "fit_moments",
    "hyper_posterior",
    "log_marginal_posterior",
    "log_marginal_posterior_uv",
    "log_rising",
    "no_pooling_prob_greater",
    "no_pooling_prob_largest",
    "posterior_predictive",
    "sample_posterior",
]

UNIFORM_RATE = stats.beta(1.0, 1.0)  # the default prior of a rate: uniform on [0, 1]


def _beta_prior(prior: Any) -> tuple[float, float]:
    check_frozen(prior, "prior", family="beta")
    shapes, loc, scale = frozen_parameters(prior)
    if loc != 0 or scale != 1:
        raise ValueError(f"prior must be a standard Beta on [0, 1]; got loc={loc}, scale={scale}")
    return shapes["a"], shapes["b"]


def conjugate_posterior(
    successes: ArrayLike, trials: ArrayLike, *, prior: Any = UNIFORM_RATE
) -> Any:
    r"""Independent Beta posteriors of the rates, one per group (no pooling).

    .. math::

        \theta_j \sim \mathrm{Beta}(a, b), \; y_j \mid \theta_j \sim \mathrm{Bin}(n_j, \theta_j)
        \;\Longrightarrow\;
        \theta_j \mid y_j \sim \mathrm{Beta}(a + y_j,\, b + n_j - y_j).

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        Counts :math:`y_j \le n_j`.
    prior : scipy.stats.beta frozen distribution, default Beta(1, 1)
        The common prior :math:`\mathrm{Beta}(a, b)`.

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


def _independent(successes: ArrayLike, trials: ArrayLike, prior: Any) -> list[Any]:
    post = conjugate_posterior(successes, trials, prior=prior)
    a, b = post.args
    return [stats.beta(ai, bi) for ai, bi in zip(a, b, strict=True)]


def no_pooling_prob_greater(
    successes: ArrayLike, trials: ArrayLike, *, prior: Any = UNIFORM_RATE
) -> np.ndarray:
    r"""Posterior :math:`\Pr(\theta_i > \theta_k \mid y)` with independent priors (no pooling).

    With independent Beta posteriors :math:`p_i` and CDFs :math:`F_k`,

    .. math::

        \Pr(\theta_i > \theta_k \mid y) = \int_0^1 p_i(x)\, F_k(x)\, dx,

    by adaptive quadrature (exact to about :math:`10^{-10}`). The hierarchical answer is
    :meth:`HyperPosterior.prob_greater`.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        Counts per group.
    prior : scipy.stats.beta frozen distribution, default Beta(1, 1)
        The common prior.

    Returns
    -------
    numpy.ndarray
        Shape ``(J, J)``: entry ``(i, k)`` is :math:`\Pr(\theta_i > \theta_k \mid y)`;
        the diagonal is 0.

    Examples
    --------
    >>> from companion.beta_binomial import no_pooling_prob_greater
    >>> no_pooling_prob_greater([5, 5], [10, 10]).round(6)
    array([[0. , 0.5],
           [0.5, 0. ]])
    """
    return rankings.independent_prob_greater(_independent(successes, trials, prior))


def no_pooling_prob_largest(
    successes: ArrayLike, trials: ArrayLike, *, prior: Any = UNIFORM_RATE
) -> np.ndarray:
    r"""Posterior probability that each group has the highest rate, with independent priors.

    .. math::

        \Pr\big(\theta_i > \max_{k \ne i} \theta_k \mid y\big)
        = \int_0^1 p_i(x) \prod_{k \ne i} F_k(x)\, dx .

    The entries sum to one. The hierarchical answer is :meth:`HyperPosterior.prob_largest`.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        Counts per group.
    prior : scipy.stats.beta frozen distribution, default Beta(1, 1)
        The common prior.

    Returns
    -------
    numpy.ndarray
        Shape ``(J,)``.

    Examples
    --------
    >>> from companion.beta_binomial import no_pooling_prob_largest
    >>> no_pooling_prob_largest([3, 3, 3], [9, 9, 9]).round(6)
    array([0.333333, 0.333333, 0.333333])
    """
    return rankings.independent_prob_largest(_independent(successes, trials, prior))


def fit_moments(rates: ArrayLike, *, ddof: int = 1) -> tuple[float, float]:
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


def fit_marginal_likelihood(successes: ArrayLike, trials: ArrayLike) -> tuple[float, float]:
    r"""Empirical Bayes by marginal maximum likelihood (type-II ML): the best-fitting Beta.

    Maximizes the marginal likelihood of the counts, the rates integrated out,

    .. math::

        L(\alpha, \beta) = \prod_{j=1}^{J} \binom{n_j}{y_j}
        \frac{B(\alpha + y_j, \beta + n_j - y_j)}{B(\alpha, \beta)},

    the beta-binomial likelihood, over :math:`(\log\alpha, \log\beta)` with
    ``scipy.optimize.minimize`` (L-BFGS-B, from the method-of-moments fit when it
    exists). Unlike :func:`fit_moments`, it weighs each group by how much it says:
    a rate from 50 trials counts for more than one from 10.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.

    Returns
    -------
    tuple of float
        ``(alpha, beta)``.

    Raises
    ------
    ValueError
        If the data are invalid, or if the likelihood keeps growing as
        :math:`\alpha + \beta \to \infty` (the rates vary no more than binomial noise
        explains: the maximum is complete pooling, with no finite Beta).

    Examples
    --------
    >>> from companion.beta_binomial import fit_marginal_likelihood
    >>> a, b = fit_marginal_likelihood([0, 2, 5, 9, 3, 7], [20, 20, 20, 20, 20, 20])
    >>> round(a / (a + b), 4)  # near, not equal to, the pooled rate 26/120 = 0.2167
    0.2138
    """
    y, n = as_binomial_data(successes, trials)
    if y.size < 2:
        raise ValueError(f"successes must have at least 2 groups; got {y.size}")
    tallies = _tallies(y, n)
    flat = PowerHyperprior(0.0)

    def _objective(point: np.ndarray) -> float:
        """Negative log marginal likelihood at (log alpha, log beta)."""
        alpha, beta = np.exp(point)
        return -float(_log_marginal(np.array(alpha), np.array(beta), tallies, flat))

    rates = y / n
    try:
        start = np.log(fit_moments(rates, ddof=1))
    except ValueError:
        pooled = (y.sum() + 0.5) / (n.sum() + 1.0)
        start = np.log([pooled * 10.0, (1 - pooled) * 10.0])
    result = optimize.minimize(_objective, start, method="L-BFGS-B", bounds=[(-20, 30)] * 2)
    alpha, beta = np.exp(result.x)
    if not result.success or np.log(alpha + beta) > 25:
        raise ValueError(
            "the marginal likelihood has no finite maximum: it keeps growing as alpha + beta "
            "grows, since the rates vary no more than binomial noise explains (complete "
            f"pooling); reached alpha + beta = {alpha + beta:.3g}"
        )
    return float(alpha), float(beta)


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

    Parameters
    ----------
    a : array_like
        Values :math:`a > 0`.
    k : array_like
        Values :math:`k \ge 0`, broadcast against ``a``.

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
    successes: ArrayLike,
    trials: ArrayLike,
    alpha: ArrayLike,
    beta: ArrayLike,
    *,
    hyperprior: Any = BDA3_HYPERPRIOR,
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
    successes, trials : array_like of int, shape (J,)
        The data.
    alpha, beta : array_like
        Positive hyperparameters (broadcast against each other).
    hyperprior : companion.priors.PowerHyperprior, default BDA3's
        Any object with ``logpdf(alpha, beta)``, the log hyperprior up to a constant.

    Returns
    -------
    numpy.ndarray
        The log density (up to an additive constant), shaped like ``alpha + beta``.
    """
    y, n = as_binomial_data(successes, trials)
    alpha = as_positive(alpha, "alpha", ndim=np.ndim(alpha))
    beta = as_positive(beta, "beta", ndim=np.ndim(beta))
    return _log_marginal(alpha, beta, _tallies(y, n), _hyperprior(hyperprior))


def _hyperprior(hyperprior: Any) -> Any:
    if not callable(getattr(hyperprior, "logpdf", None)):
        raise ValueError(
            "hyperprior must have a logpdf(alpha, beta) method, for example "
            f"companion.priors.PowerHyperprior(-2.5); got {hyperprior!r}"
        )
    return hyperprior


def _log_marginal(
    alpha: np.ndarray,
    beta: np.ndarray,
    tallies: tuple[tuple[np.ndarray, np.ndarray], ...],
    hyperprior: Any,
) -> np.ndarray:
    (ys, wy), (fs, wf), (ns, wn) = tallies
    a = np.asarray(alpha, dtype=float)
    b = np.asarray(beta, dtype=float)
    loglik = (
        log_rising(a[..., None], ys) @ wy
        + log_rising(b[..., None], fs) @ wf
        - log_rising((a + b)[..., None], ns) @ wn
    )
    return np.asarray(hyperprior.logpdf(alpha, beta), dtype=float) + loglik


def _from_logit_coords(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log(alpha/beta), log(alpha+beta)) -> (alpha, beta)."""
    total = np.exp(v)
    return total * expit(u), total * expit(-u)


def _log_jacobian(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """log(alpha * beta) = 2 v + log expit(u) + log expit(-u), without underflow."""
    return 2 * v - np.logaddexp(0, -u) - np.logaddexp(0, u)


def log_marginal_posterior_uv(
    successes: ArrayLike,
    trials: ArrayLike,
    u: ArrayLike,
    v: ArrayLike,
    *,
    hyperprior: Any = BDA3_HYPERPRIOR,
) -> np.ndarray:
    r"""Unnormalized :math:`\log p(u, v \mid y)`, in the coordinates of the grid.

    With :math:`u = \log(\alpha/\beta)` and :math:`v = \log(\alpha+\beta)`,

    .. math::

        p(u, v \mid y) = p(\alpha, \beta \mid y)\,
        \left|\frac{\partial(\alpha, \beta)}{\partial(u, v)}\right|
        = p(\alpha, \beta \mid y)\, \alpha\beta, \qquad
        \alpha = e^{v}\,\mathrm{logit}^{-1}(u),\quad
        \beta = e^{v}\,\mathrm{logit}^{-1}(-u).

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.
    u, v : array_like
        Coordinates (broadcast against each other).
    hyperprior : companion.priors.PowerHyperprior, default BDA3's
        As in :func:`log_marginal_posterior`.

    Returns
    -------
    numpy.ndarray
        The log density (up to an additive constant), shaped like ``u + v``.
    """
    y, n = as_binomial_data(successes, trials)
    u_, v_ = np.broadcast_arrays(
        as_finite(u, "u", ndim=np.ndim(u)), as_finite(v, "v", ndim=np.ndim(v))
    )
    alpha, beta = _from_logit_coords(u_, v_)
    return _log_marginal(alpha, beta, _tallies(y, n), _hyperprior(hyperprior)) + _log_jacobian(
        u_, v_
    )


@dataclass(frozen=True)
class HyperPosterior:
    r"""The exact posterior of the hierarchical beta-binomial model, built on a grid.

    Build it with :func:`hyper_posterior`. The marginal posterior of
    :math:`(\alpha, \beta)` is tabulated in :math:`u = \log(\alpha/\beta)`,
    :math:`v = \log(\alpha+\beta)`, where the density picks up the Jacobian
    :math:`|\partial(\alpha,\beta)/\partial(u,v)| = \alpha\beta`:

    .. math::

        p(u, v \mid y) = p(\alpha, \beta \mid y)\, \alpha \beta ;

    every rate follows from its conjugate Beta given :math:`(\alpha, \beta)`. It answers
    the questions of :class:`companion.normal_normal.TauPosterior` with the same
    methods and shapes: ``theta_mean()``, ``theta_sd()``, ``theta_cdf(x)``,
    ``theta_pdf(x)`` and ``theta_quantiles(q)`` (shape ``(len(x), J)``),
    ``sample(draws, rng=...)``, ``prob_greater()`` (``(J, J)``), ``prob_largest()``
    (``(J,)``) and ``predictive(group)``.

    Attributes
    ----------
    grid : companion.grid.Grid2D
        The density in :math:`(u, v)`; ``grid.x`` is :math:`u`, ``grid.y`` is :math:`v`.
    successes, trials : numpy.ndarray
        The data.
    hyperprior : companion.priors.PowerHyperprior
        The hyperprior it was built with.
    """

    grid: Grid2D
    successes: np.ndarray
    trials: np.ndarray
    hyperprior: Any = BDA3_HYPERPRIOR

    def __post_init__(self) -> None:
        for array in (self.successes, self.trials):
            array.flags.writeable = False

    def edge_mass(self, cells: int = 1) -> float:
        """Return the posterior probability in the ``cells`` outermost rings of the grid (tiny).

        Parameters
        ----------
        cells : int, default 1
            How many rings of cells at the edge to count.
        """
        return self.grid.edge_mass(cells)

    def alpha_beta(self) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`(\alpha, \beta)` at the grid cell centres, each of shape ``(nu, nv)``."""
        return _from_logit_coords(self.grid.x[:, None], self.grid.y[None, :])

    def expect(self, f: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> float:
        r"""Exact (grid) posterior expectation of ``f(alpha, beta)``.

        A warning is issued when :math:`|f|\,p` has not decayed at the edges of the
        grid: that is what happens for :math:`E[\alpha]` or :math:`E[\beta]`, which are
        infinite under the :math:`(\alpha+\beta)^{-5/2}` hyperprior, while the grid
        (necessarily finite) would return a number.

        Parameters
        ----------
        f : callable
            ``f(alpha, beta)`` on arrays of the grid's shape, returning values of that shape.
        """
        alpha, beta = self.alpha_beta()
        values = np.broadcast_to(np.asarray(f(alpha, beta), dtype=float), alpha.shape)
        warn_if_not_decayed(np.abs(values) * self.grid.mass, 2, "edges of the (alpha, beta) grid")
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

    # -- draws ------------------------------------------------------------------------------

    def sample(self, draws: int, *, rng: RngLike = None) -> dict[str, np.ndarray]:
        r"""Draw independently from the joint posterior :math:`p(\alpha, \beta, \theta \mid y)`.

        :math:`(\alpha, \beta)` by inverse CDF on the grid (with jitter inside a cell),
        then, given each draw,
        :math:`\theta_j \sim \mathrm{Beta}(\alpha + y_j, \beta + n_j - y_j)`
        independently for every group.

        Parameters
        ----------
        draws : int
            Number of joint draws.
        rng : int, numpy.random.Generator or None
            Seed or generator.

        Returns
        -------
        dict
            ``"alpha"`` and ``"beta"`` of shape ``(draws,)``, ``"theta"`` of shape
            ``(draws, J)``.
        """
        draws = check_draws(draws)
        generator = np.random.default_rng(rng)
        u, v = self.grid.sample(draws, rng=generator)
        alpha, beta = _from_logit_coords(u, v)
        y, n = self.successes, self.trials
        theta = generator.beta(alpha[:, None] + y, beta[:, None] + (n - y))
        return {"alpha": alpha, "beta": beta, "theta": theta}

    # -- marginal summaries of theta --------------------------------------------------------

    def theta_mean(self) -> np.ndarray:
        r"""Exact :math:`E[\theta_j \mid y] = E[(\alpha + y_j)/(\alpha+\beta+n_j) \mid y]`."""
        a, b = self.alpha_beta()
        mean = (a[..., None] + self.successes) / ((a + b)[..., None] + self.trials)
        return np.tensordot(self.grid.mass, mean, axes=([0, 1], [0, 1]))

    def theta_sd(self) -> np.ndarray:
        r"""Return the exact posterior sd of each :math:`\theta_j` (law of total variance)."""
        a, b = self.alpha_beta()
        a1 = a[..., None] + self.successes
        b1 = b[..., None] + self.trials - self.successes
        mean = a1 / (a1 + b1)
        second = mean * (a1 + 1) / (a1 + b1 + 1)
        m1 = np.tensordot(self.grid.mass, mean, axes=([0, 1], [0, 1]))
        m2 = np.tensordot(self.grid.mass, second, axes=([0, 1], [0, 1]))
        return np.sqrt(np.maximum(m2 - m1**2, 0.0))

    def mode(self, coordinates: str = "log") -> dict[str, float]:
        r"""Return the posterior mode of the hyperparameters, in the coordinates asked for.

        A mode is not invariant under a change of variables: :math:`p(u, v \mid y)` and
        :math:`p(\alpha, \beta \mid y)` differ by the factor :math:`\alpha\beta`, so
        their maxima are different points.

        Parameters
        ----------
        coordinates : {"log", "natural"}, default "log"
            ``"log"``: the mode of :math:`p(u, v \mid y)`, the density the grid
            tabulates, which is also the mode of :math:`p(\log\alpha, \log\beta \mid y)`
            (that linear map has a constant Jacobian). ``"natural"``: the mode of
            :math:`p(\alpha, \beta \mid y)`.

        Returns
        -------
        dict of str to float
            ``alpha``, ``beta``, ``u`` and ``v`` at the mode, found by BFGS over
            :math:`(u, v)` from the grid cell where the density is highest.
        """
        check_choice(coordinates, "coordinates", ("log", "natural"))
        tallies = _tallies(self.successes, self.trials)
        natural = coordinates == "natural"

        def _negative(point: np.ndarray) -> float:
            """Minus the log density being maximized."""
            u, v = point
            alpha, beta = _from_logit_coords(u, v)
            log_uv = _log_marginal(alpha, beta, tallies, self.hyperprior) + _log_jacobian(u, v)
            return -float(log_uv - _log_jacobian(u, v) if natural else log_uv)

        grid = self.grid
        u, v = np.meshgrid(grid.x, grid.y, indexing="ij")
        table = grid.log_density - (_log_jacobian(u, v) if natural else 0.0)
        i, j = np.unravel_index(np.argmax(table), table.shape)
        best = optimize.minimize(
            _negative, [grid.x[i], grid.y[j]], method="BFGS", options={"gtol": 1e-9}
        )
        u_hat, v_hat = (float(c) for c in best.x)
        alpha_hat, beta_hat = _from_logit_coords(np.array(u_hat), np.array(v_hat))
        return {"alpha": float(alpha_hat), "beta": float(beta_hat), "u": u_hat, "v": v_hat}

    def _kept(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell masses and (alpha, beta) of the cells holding all but 1e-12 of the mass."""
        mass = self.grid.mass.ravel()
        order = np.argsort(mass)[::-1]
        kept = order[: int(np.searchsorted(np.cumsum(mass[order]), 1 - 1e-12)) + 1]
        alpha, beta = (c.ravel()[kept] for c in self.alpha_beta())
        return mass[kept], alpha, beta

    def theta_marginal(self, groups: Sequence[int] | None = None) -> Mixture:
        r"""Return the exact marginal posterior of the rates: Betas mixed over the grid.

        .. math::

            p(\theta_j \mid y) = \iint \mathrm{Beta}(\theta_j \mid \alpha + y_j,
            \beta + n_j - y_j)\, p(\alpha, \beta \mid y)\, d\alpha\, d\beta ,

        over the grid cells that hold all but :math:`10^{-12}` of the posterior. With
        many groups, name the ones you need: the cost grows with their number.

        Parameters
        ----------
        groups : sequence of int, optional
            Which :math:`\theta_j`; default all.

        Returns
        -------
        companion.mixtures.Mixture
            With ``cdf``, ``pdf``, ``ppf``, ``mean``, ``std`` and ``rvs``.
        """
        columns = check_groups(groups, self.successes.size)
        weights, alpha, beta = self._kept()
        y, n = self.successes[columns], self.trials[columns]
        return Mixture("beta", weights, a=alpha[:, None] + y, b=beta[:, None] + n - y)

    def theta_cdf(self, x: ArrayLike, groups: Sequence[int] | None = None) -> np.ndarray:
        r"""Exact :math:`\Pr(\theta_j \le x \mid y)`, shape ``(len(x), J)``.

        Parameters
        ----------
        x : array_like
            Rates in [0, 1].
        groups : sequence of int, optional
            Which groups; default all.
        """
        return self.theta_marginal(groups).cdf(x)

    def theta_pdf(self, x: ArrayLike, groups: Sequence[int] | None = None) -> np.ndarray:
        r"""Exact posterior density of each :math:`\theta_j`, shape ``(len(x), J)``.

        Parameters
        ----------
        x : array_like
            Rates in [0, 1].
        groups : sequence of int, optional
            Which groups; default all.
        """
        return self.theta_marginal(groups).pdf(x)

    def theta_quantiles(self, q: ArrayLike, groups: Sequence[int] | None = None) -> np.ndarray:
        r"""Exact posterior quantiles of each :math:`\theta_j`, shape ``(len(q), J)``.

        Parameters
        ----------
        q : array_like
            Probability levels in (0, 1).
        groups : sequence of int, optional
            Which groups; default all.
        """
        return self.theta_marginal(groups).ppf(q)

    # -- rankings and predictions -----------------------------------------------------------

    def prob_greater(self) -> np.ndarray:
        r"""Posterior :math:`\Pr(\theta_i > \theta_k \mid y)` for every pair, shape ``(J, J)``.

        See :func:`companion.rankings.rates_prob_greater`.
        """
        return rankings.rates_prob_greater(self)

    def prob_largest(self) -> np.ndarray:
        r"""Posterior probability that each rate is the largest, shape ``(J,)``.

        See :func:`companion.rankings.rates_prob_largest`.
        """
        return rankings.rates_prob_largest(self)

    def predictive(self, group: int | None = None, *, trials: int | None = None) -> Mixture:
        r"""Return the exact posterior predictive distribution of a future count.

        For an existing group :math:`j` observed again with :math:`\tilde n` units, the
        count is beta-binomial given :math:`(\alpha, \beta)`, with the group's posterior
        :math:`\mathrm{Beta}(\alpha + y_j, \beta + n_j - y_j)`; for a new group
        (``group=None``), with the population :math:`\mathrm{Beta}(\alpha, \beta)`:

        .. math::

            p(\tilde y \mid y) = \iint \binom{\tilde n}{\tilde y}
            \frac{B(\alpha + \tilde y, \beta + \tilde n - \tilde y)}{B(\alpha, \beta)}
            \, p(\alpha, \beta \mid y)\, d\alpha\, d\beta, \quad \tilde y = 0, \dots, \tilde n .

        Parameters
        ----------
        group : int, optional
            An existing group (0-based), or ``None`` for a new group.
        trials : int, optional
            Units :math:`\tilde n` in the future experiment; default :math:`n_j` for an
            existing group (required for a new group).

        Returns
        -------
        companion.mixtures.Mixture
            A scalar mixture of beta-binomials, with ``pmf``, ``cdf``, ``ppf``, ``mean``,
            ``std`` and ``rvs``; the exact counterpart of :func:`posterior_predictive`.

        Examples
        --------
        >>> from companion.beta_binomial import hyper_posterior
        >>> post = hyper_posterior([0, 2, 5, 9], [20, 20, 20, 20])
        >>> round(float(post.predictive(trials=20).pmf(range(21)).sum()), 12)
        1.0
        """
        weights, alpha, beta = self._kept()
        if group is None:
            if trials is None:
                raise ValueError("trials must be given for a new group")
            a, b = alpha, beta
        else:
            j = int(check_groups([group], self.successes.size, "group")[0])
            a = alpha + self.successes[j]
            b = beta + self.trials[j] - self.successes[j]
            trials = int(self.trials[j]) if trials is None else trials
        size = int(as_counts(trials, "trials", ndim=0))
        return Mixture("betabinom", weights, n=np.full(a.shape, size), a=a, b=b)


def hyper_posterior(
    successes: ArrayLike,
    trials: ArrayLike,
    *,
    hyperprior: Any = BDA3_HYPERPRIOR,
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
    hyperprior : companion.priors.PowerHyperprior, default BDA3's
        The hyperprior; any object with ``logpdf(alpha, beta)`` also works.
    size : int, default 256
        Cells per axis of the fine grid.

    Returns
    -------
    HyperPosterior

    Raises
    ------
    ValueError
        If the data are invalid; if the posterior is improper (for a power hyperprior
        :math:`(\alpha+\beta)^k` with :math:`G` groups having :math:`0 < y_j < n_j`,
        unless :math:`-(2 + G) < k < -2`); or if the density has not decayed where the
        grid can reach, which for a proper posterior means a tail too heavy to tabulate.

    Examples
    --------
    >>> from companion.datasets import rat_tumors
    >>> from companion.beta_binomial import hyper_posterior
    >>> rats = rat_tumors()
    >>> post = hyper_posterior(rats["y"], rats["n"])
    >>> post.edge_mass() < 1e-9
    True
    """
    y, n = as_binomial_data(successes, trials)
    size = check_draws(size, "size")
    if size < 16:
        raise ValueError(f"size must be at least 16; got {size}")
    prior = _hyperprior(hyperprior)
    groups = int(np.sum((y > 0) & (y < n)))
    exponent = getattr(prior, "exponent", None)
    if exponent is not None and not -(2 + groups) < exponent < -2:
        raise ValueError(
            f"the posterior of (alpha, beta) is improper under the hyperprior "
            f"(alpha + beta)^{exponent:g}: with {groups} groups having 0 < successes < "
            f"trials it is proper only for -{2 + groups} < k < -2"
        )
    tallies = _tallies(y, n)

    def _log_density(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Log density of (u, v) = (log(alpha/beta), log(alpha+beta)), up to a constant."""
        alpha, beta = _from_logit_coords(u, v)
        return _log_marginal(alpha, beta, tallies, prior) + _log_jacobian(u, v)

    centre = float(logit((y.sum() + 0.5) / (n.sum() + 1.0)))
    try:
        grid = adaptive_grid(_log_density, [(centre - 6.0, centre + 6.0), (-4.0, 8.0)], size=size)
    except ValueError as err:
        reason = (
            "it is proper, but its tail is too heavy to tabulate on a grid"
            if exponent is not None
            else "it is improper, or its tail is too heavy to tabulate on a grid"
        )
        raise ValueError(
            f"the posterior of (alpha, beta) cannot be tabulated: {reason} ({err})"
        ) from err
    return HyperPosterior(grid=grid, successes=y, trials=n, hyperprior=prior)


def sample_posterior(
    successes: ArrayLike,
    trials: ArrayLike,
    draws: int,
    *,
    hyperprior: Any = BDA3_HYPERPRIOR,
    rng: RngLike = None,
) -> dict[str, np.ndarray]:
    r"""Independent draws from the joint posterior :math:`p(\alpha, \beta, \theta \mid y)`.

    A shortcut for ``hyper_posterior(successes, trials, ...).sample(draws, rng=rng)``:
    :math:`(\alpha, \beta)` from the grid, then, given each draw,

    .. math::

        \theta_j \mid \alpha, \beta, y \sim \mathrm{Beta}(\alpha + y_j,\ \beta + n_j - y_j)

    independently for every group.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.
    draws : int
        Number of joint draws.
    hyperprior : companion.priors.PowerHyperprior, default BDA3's
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
    return hyper_posterior(successes, trials, hyperprior=hyperprior).sample(draws, rng=rng)


def posterior_predictive(
    draws: dict[str, np.ndarray],
    trials: ArrayLike,
    *,
    new_group: bool = False,
    rng: RngLike = None,
) -> np.ndarray:
    r"""Posterior predictive counts for existing groups or for a new group.

    For an existing group :math:`j`, :math:`\tilde y_j \sim \mathrm{Bin}(\tilde n_j, \theta_j)`
    with :math:`\theta_j` from its posterior draws. For a new group,
    :math:`\tilde\theta \sim \mathrm{Beta}(\alpha, \beta)` from the drawn
    hyperparameters, then :math:`\tilde y \sim \mathrm{Bin}(\tilde n, \tilde\theta)`. The
    exact distributions are :meth:`HyperPosterior.predictive`.

    Parameters
    ----------
    draws : dict
        Output of :func:`sample_posterior` or :meth:`HyperPosterior.sample`.
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
