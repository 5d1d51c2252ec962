r"""Exact posterior of the normal hierarchical model with known standard errors.

The model of the eight-schools chapter:

.. math::

    y_j \mid \theta_j \sim \mathrm{N}(\theta_j, \sigma_j^2), \qquad
    \theta_j \mid \mu, \tau \sim \mathrm{N}(\mu, \tau^2), \qquad
    p(\mu, \tau) = p(\mu)\, p(\tau),

with :math:`\sigma_j` known, :math:`p(\mu)` flat (BDA3's choice) or normal, and any
proper or improper prior on :math:`\tau > 0`. The joint posterior factorizes as

.. math::

    p(\theta, \mu, \tau \mid y) = p(\theta \mid \mu, \tau, y)\; p(\mu \mid \tau, y)\;
    p(\tau \mid y),

where the first two factors are normal in closed form (:func:`theta_given_mu_tau`,
:func:`mu_given_tau`) and the last is one-dimensional (:func:`log_tau_density`). It is
tabulated on a grid in :math:`\log\tau` by :func:`tau_posterior`, which returns a
:class:`TauPosterior`: exact (quadrature) summaries and independent draws of every
quantity of the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from companion import rankings
from companion._validate import (
    RngLike,
    as_finite,
    as_normal_data,
    as_positive,
    as_probability,
    check_draws,
    check_groups,
)
from companion.grid import Grid1D, adaptive_grid, warn_if_not_decayed
from companion.mixtures import Mixture
from companion.priors import FLAT, check_mu_prior, check_tau_prior

__all__ = [
    "TauPosterior",
    "log_tau_density",
    "mu_given_tau",
    "pooled_estimate",
    "posterior_predictive",
    "prob_largest",
    "sample_posterior",
    "separate_estimates",
    "tau_posterior",
    "theta_given_mu_tau",
    "theta_given_tau",
]

_CHUNK = 1 << 22  # grid points x groups evaluated at once (about 32 MB per array)
_KEEP = 1e-16  # grid cells with less than this fraction of the largest cell are left out


def _mu_moments_prior(mu_prior: Any) -> tuple[float, float] | None:
    """Return the (mean, variance) of a normal prior on mu, or None for the flat prior."""
    prior = check_mu_prior(mu_prior)
    return None if prior is FLAT else (float(prior.mean()), float(prior.var()))


def _tau_prior(tau_prior: Any, groups: int, mu_prior: Any) -> Any:
    prior = check_tau_prior(tau_prior)
    if prior is FLAT:
        # p(tau | y) ~ tau^(1 - J) (flat mu) or tau^(-J) (normal mu) as tau -> infinity.
        needed = 3 if mu_prior is FLAT else 2
        if groups < needed:
            flat_mu = " with a flat prior on mu" if mu_prior is FLAT else ""
            raise ValueError(
                f"the posterior is improper: a uniform prior on tau needs at least {needed} "
                f"groups{flat_mu}; got {groups}. Pass a proper tau_prior, for example "
                "scipy.stats.halfcauchy(scale=5)."
            )
    return prior


def separate_estimates(y: ArrayLike, sigma: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""No pooling: each :math:`\theta_j` estimated from its own group alone.

    With a flat prior on each :math:`\theta_j`, :math:`\theta_j \mid y_j \sim
    \mathrm{N}(y_j, \sigma_j^2)`.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors.

    Returns
    -------
    tuple of numpy.ndarray
        Posterior means ``y`` and standard deviations ``sigma`` (copies).

    Examples
    --------
    >>> from companion.normal_normal import separate_estimates
    >>> separate_estimates([28, 8], [15, 10])
    (array([28.,  8.]), array([15., 10.]))
    """
    return as_normal_data(y, sigma)


def pooled_estimate(y: ArrayLike, sigma: ArrayLike) -> tuple[float, float]:
    r"""Complete pooling: one common effect for every group.

    With :math:`\theta_j = \mu` for all :math:`j` and a flat prior on :math:`\mu`,

    .. math::

        \mu \mid y \sim \mathrm{N}\!\left(
        \frac{\sum_j y_j / \sigma_j^2}{\sum_j 1/\sigma_j^2},\;
        \frac{1}{\sum_j 1/\sigma_j^2}\right).

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors.

    Returns
    -------
    tuple of float
        The posterior mean and standard deviation.

    Examples
    --------
    >>> from companion.datasets import eight_schools
    >>> from companion.normal_normal import pooled_estimate
    >>> d = eight_schools()
    >>> [round(v, 2) for v in pooled_estimate(d["y"], d["sigma"])]
    [7.69, 4.07]
    """
    y, sigma = as_normal_data(y, sigma)
    precision = 1.0 / sigma**2
    return float(precision @ y / precision.sum()), float(precision.sum() ** -0.5)


def theta_given_mu_tau(
    y: ArrayLike, sigma: ArrayLike, mu: ArrayLike, tau: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    r"""Conditional posterior :math:`\theta_j \mid \mu, \tau, y \sim \mathrm{N}(\hat\theta_j, V_j)`.

    .. math::

        \hat\theta_j = \frac{y_j/\sigma_j^2 + \mu/\tau^2}{1/\sigma_j^2 + 1/\tau^2}
        = B_j \mu + (1 - B_j) y_j, \qquad
        V_j = \frac{1}{1/\sigma_j^2 + 1/\tau^2} = \frac{\sigma_j^2\tau^2}{\sigma_j^2 + \tau^2},

    with shrinkage factor :math:`B_j = \sigma_j^2 / (\sigma_j^2 + \tau^2)`.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors.
    mu, tau : array_like
        Hyperparameters (broadcast together; ``tau > 0``).

    Returns
    -------
    tuple of numpy.ndarray
        Means and standard deviations of shape ``broadcast(mu, tau).shape + (J,)``.

    Examples
    --------
    >>> from companion.normal_normal import theta_given_mu_tau
    >>> mean, sd = theta_given_mu_tau([10.0], [2.0], 0.0, 2.0)
    >>> float(mean[0]), round(float(sd[0]), 6)
    (5.0, 1.414214)
    """
    y, sigma = as_normal_data(y, sigma)
    mu = as_finite(mu, "mu", ndim=np.ndim(mu))[..., None]
    tau = as_positive(tau, "tau", ndim=np.ndim(tau))[..., None]
    shrink = sigma**2 / (sigma**2 + tau**2)
    mean = shrink * mu + (1 - shrink) * y
    sd = np.sqrt(shrink * tau**2)
    return mean, np.broadcast_to(sd, mean.shape).copy()


def _mu_moments(
    y: np.ndarray, sigma: np.ndarray, tau: np.ndarray, mu_prior: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mu_hat(tau), V_mu(tau) and the weights 1 / (sigma^2 + tau^2), shape tau.shape + (J,)."""
    weight = 1.0 / (sigma**2 + tau[..., None] ** 2)
    precision = weight.sum(axis=-1)
    numerator = weight @ y
    if mu_prior is not None:
        mean0, var0 = mu_prior
        precision = precision + 1.0 / var0
        numerator = numerator + mean0 / var0
    return numerator / precision, 1.0 / precision, weight


def mu_given_tau(
    y: ArrayLike, sigma: ArrayLike, tau: ArrayLike, *, mu_prior: Any = FLAT
) -> tuple[np.ndarray, np.ndarray]:
    r"""Conditional posterior :math:`\mu \mid \tau, y \sim \mathrm{N}(\hat\mu, V_\mu)`.

    Integrating :math:`\theta` out leaves :math:`y_j \mid \mu, \tau \sim
    \mathrm{N}(\mu, \sigma_j^2 + \tau^2)`; with a flat prior on :math:`\mu`,

    .. math::

        \hat\mu = \frac{\sum_j y_j / (\sigma_j^2 + \tau^2)}{\sum_j 1/(\sigma_j^2 + \tau^2)},
        \qquad V_\mu^{-1} = \sum_j \frac{1}{\sigma_j^2 + \tau^2}.

    A normal prior :math:`\mathrm{N}(m_0, s_0^2)` acts as one more observation
    :math:`m_0` with variance :math:`s_0^2`: it adds :math:`m_0/s_0^2` to the numerator
    and :math:`1/s_0^2` to both precisions.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors.
    tau : array_like
        Values of :math:`\tau > 0`, any shape.
    mu_prior : companion.priors.FLAT or scipy.stats.norm frozen distribution
        The prior on :math:`\mu`; default flat.

    Returns
    -------
    tuple of numpy.ndarray
        :math:`\hat\mu` and :math:`\sqrt{V_\mu}`, each shaped like ``tau``.
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau", ndim=np.ndim(tau))
    mean, var, _ = _mu_moments(y, sigma, tau, _mu_moments_prior(mu_prior))
    return mean, np.sqrt(var)


def _log_tau_unnormalized(
    y: np.ndarray,
    sigma: np.ndarray,
    tau: np.ndarray,
    tau_prior: Any,
    moments: tuple[float, float] | None,
) -> np.ndarray:
    """Evaluate in chunks of the tau grid, so that J = 10^4 groups fit in memory."""
    out = np.empty(tau.shape)
    flat_tau, flat_out = tau.reshape(-1), out.reshape(-1)
    step = max(1, _CHUNK // y.size)
    for start in range(0, flat_tau.size, step):
        t = flat_tau[start : start + step]
        mean, var, weight = _mu_moments(y, sigma, t, moments)
        resid = y - mean[:, None]
        value = 0.5 * np.log(var) + 0.5 * np.log(weight).sum(axis=1)
        value -= 0.5 * np.einsum("ij,ij->i", weight, resid**2)
        if moments is not None:
            value -= 0.5 * (mean - moments[0]) ** 2 / moments[1]
        flat_out[start : start + step] = value
    if tau_prior is not FLAT:
        with np.errstate(divide="ignore"):
            out = out + tau_prior.logpdf(tau)
    return out


def _theta_moments(
    y: np.ndarray, sigma: np.ndarray, tau: np.ndarray, moments: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of theta | tau, y (mu integrated out), shape tau.shape + (J,)."""
    mean_mu, var_mu, _ = _mu_moments(y, sigma, tau, moments)
    t2 = tau[..., None] ** 2
    shrink = sigma**2 / (sigma**2 + t2)
    mean = shrink * mean_mu[..., None] + (1 - shrink) * y
    var = shrink * t2 + shrink**2 * var_mu[..., None]
    return mean, np.sqrt(var)


def log_tau_density(
    y: ArrayLike,
    sigma: ArrayLike,
    tau: ArrayLike,
    *,
    mu_prior: Any = FLAT,
    tau_prior: Any = FLAT,
) -> np.ndarray:
    r"""Unnormalized :math:`\log p(\tau \mid y)`.

    With a flat prior on :math:`\mu`,

    .. math::

        p(\tau \mid y) \propto p(\tau)\, V_\mu^{1/2} \prod_{j=1}^{J}
        (\sigma_j^2 + \tau^2)^{-1/2}
        \exp\!\left(-\frac{(y_j - \hat\mu)^2}{2(\sigma_j^2 + \tau^2)}\right),

    with :math:`\hat\mu, V_\mu` from :func:`mu_given_tau`. A normal prior
    :math:`\mathrm{N}(m_0, s_0^2)` on :math:`\mu` multiplies this by
    :math:`\exp(-(\hat\mu - m_0)^2 / (2 s_0^2))` (and uses its own :math:`\hat\mu, V_\mu`).

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    tau : array_like
        Values of :math:`\tau > 0`.
    mu_prior : companion.priors.FLAT or scipy.stats.norm frozen distribution
        The prior on :math:`\mu`; default flat.
    tau_prior : companion.priors.FLAT or scipy.stats frozen distribution on [0, inf)
        The prior on :math:`\tau`; default BDA3's uniform prior.

    Returns
    -------
    numpy.ndarray
        The log density up to an additive constant, shaped like ``tau``.
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau", ndim=np.ndim(tau))
    moments = _mu_moments_prior(mu_prior)
    return _log_tau_unnormalized(y, sigma, tau, check_tau_prior(tau_prior), moments)


@dataclass(frozen=True)
class TauPosterior:
    r"""The exact posterior of the normal hierarchical model, built around :math:`p(\tau \mid y)`.

    Build it with :func:`tau_posterior`. The density of :math:`u = \log\tau` is
    tabulated on a grid (:class:`companion.grid.Grid1D`) whose range adapts to the
    data; everything else follows from the closed-form conditionals, integrated over
    :math:`\tau` by the same grid (midpoint rule, exact to far below the precision that
    any printed number needs). It answers the questions of
    :class:`companion.beta_binomial.HyperPosterior` with the same methods and shapes:
    ``theta_mean()``, ``theta_sd()``, ``theta_cdf(x)``, ``theta_pdf(x)`` and
    ``theta_quantiles(q)`` (shape ``(len(x), J)``), ``sample(draws, rng=...)``,
    ``prob_greater()`` (``(J, J)``), ``prob_largest()`` (``(J,)``) and
    ``predictive(group)``.

    Attributes
    ----------
    grid : companion.grid.Grid1D
        The density of :math:`\log\tau`.
    y, sigma : numpy.ndarray
        The data.
    mu_prior, tau_prior : companion.priors.FLAT or scipy.stats frozen distributions
        The priors it was built with.
    """

    grid: Grid1D
    y: np.ndarray
    sigma: np.ndarray
    mu_prior: Any = FLAT
    tau_prior: Any = FLAT

    def __post_init__(self) -> None:
        for array in (self.y, self.sigma):
            array.flags.writeable = False

    @property
    def _moments(self) -> tuple[float, float] | None:
        return _mu_moments_prior(self.mu_prior)

    def _mu_moments(self, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """mu_hat(tau), V_mu(tau) and the weights 1 / (sigma^2 + tau^2)."""
        return _mu_moments(self.y, self.sigma, tau, self._moments)

    # -- the distribution of tau ------------------------------------------------------------

    def logpdf(self, tau: ArrayLike) -> np.ndarray:
        r"""Return the normalized :math:`\log p(\tau \mid y)` (``-inf`` for :math:`\tau \le 0`).

        Parameters
        ----------
        tau : array_like
            Values of :math:`\tau`.
        """
        tau = as_finite(tau, "tau", ndim=np.ndim(tau))
        out = np.full(tau.shape, -np.inf)
        positive = tau > 0
        out[positive] = (
            _log_tau_unnormalized(self.y, self.sigma, tau[positive], self.tau_prior, self._moments)
            - self.grid.log_normalizer
        )
        return out

    def pdf(self, tau: ArrayLike) -> np.ndarray:
        r"""Return the normalized density :math:`p(\tau \mid y)`.

        Parameters
        ----------
        tau : array_like
            Values of :math:`\tau`.
        """
        return np.exp(self.logpdf(tau))

    def cdf(self, tau: ArrayLike) -> np.ndarray:
        r"""Return :math:`\Pr(\tau' \le \tau \mid y)` (see :meth:`companion.grid.Grid1D.cdf`).

        Parameters
        ----------
        tau : array_like
            Values of :math:`\tau`.
        """
        tau = np.asarray(tau, dtype=float)
        with np.errstate(divide="ignore"):
            return np.where(tau > 0, self.grid.cdf(np.log(np.maximum(tau, 1e-300))), 0.0)

    def ppf(self, q: ArrayLike) -> np.ndarray:
        r"""Return quantiles of :math:`\tau`: the inverse of :meth:`cdf`.

        Parameters
        ----------
        q : array_like
            Probability levels in [0, 1].
        """
        return np.exp(self.grid.ppf(q))

    def expect(self, f: Callable[[np.ndarray], np.ndarray]) -> float | np.ndarray:
        r"""Exact :math:`E[f(\tau) \mid y]` by quadrature over the grid.

        ``f`` gets an array of :math:`\tau` values of shape ``(n,)`` and returns an
        array with first axis ``n`` (trailing axes are kept); the result is a float
        when ``f`` is scalar-valued, else an array. A warning is issued when
        :math:`|f|\,p` has not decayed at the ends of the grid, which is what happens
        when the expectation does not exist (for example :math:`E[\tau]` under a uniform
        prior with :math:`J = 3` groups).

        Parameters
        ----------
        f : callable
            Function of :math:`\tau` (an array of shape ``(n,)``) returning an array
            whose first axis has length ``n``.
        """
        values = np.asarray(f(np.exp(self.grid.points)), dtype=float)
        if values.shape[:1] != self.grid.points.shape:
            raise ValueError(
                f"f must return an array whose first axis has length {self.grid.points.size}; "
                f"got shape {values.shape}"
            )
        weighted = np.abs(values.reshape(values.shape[0], -1)) * self.grid.mass[:, None]
        warn_if_not_decayed(weighted, 1, "ends of the tau grid")
        result = np.tensordot(self.grid.mass, values, axes=(0, 0))
        return float(result) if result.ndim == 0 else result

    def interval(self, probability: float = 0.95) -> tuple[float, float]:
        r"""Return the central posterior interval of :math:`\tau`.

        Parameters
        ----------
        probability : float, default 0.95
            Probability of the interval, in (0, 1).
        """
        level = as_probability(probability, "probability")
        low, high = self.ppf([(1 - level) / 2, (1 + level) / 2])
        return float(low), float(high)

    def edge_mass(self, cells: int = 1) -> float:
        """Return the posterior probability in the ``cells`` outermost grid cells (tiny).

        Parameters
        ----------
        cells : int, default 1
            How many cells at each end to count.
        """
        return self.grid.edge_mass(cells)

    # -- conditionals given tau -------------------------------------------------------------

    def mu_given_tau(self, tau: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        r"""Return :math:`E[\mu \mid \tau, y]` and :math:`\mathrm{sd}(\mu \mid \tau, y)`.

        Parameters
        ----------
        tau : array_like
            Values of :math:`\tau > 0`.
        """
        tau = as_positive(tau, "tau", ndim=np.ndim(tau))
        mean, var, _ = self._mu_moments(tau)
        return mean, np.sqrt(var)

    def theta_given_tau(self, tau: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        r"""Return :math:`E[\theta_j \mid \tau, y]` and :math:`\mathrm{sd}(\theta_j \mid \tau, y)`.

        The "tau knob"; see :func:`theta_given_tau`. Returns arrays of shape ``tau.shape + (J,)``.

        Parameters
        ----------
        tau : array_like
            Values of :math:`\tau > 0`.
        """
        tau = as_positive(tau, "tau", ndim=np.ndim(tau))
        return _theta_moments(self.y, self.sigma, tau, self._moments)

    # -- marginal summaries of theta --------------------------------------------------------

    def theta_mean(self) -> np.ndarray:
        r"""Exact :math:`E[\theta_j \mid y]`, shape ``(J,)``."""
        return self.grid.expect(lambda u: self.theta_given_tau(np.exp(u))[0])

    def theta_sd(self) -> np.ndarray:
        r"""Return the exact :math:`\mathrm{sd}(\theta_j \mid y)` (law of total variance)."""
        mean, sd = self.theta_given_tau(np.exp(self.grid.points))
        first = np.tensordot(self.grid.mass, mean, axes=(0, 0))
        second = np.tensordot(self.grid.mass, mean**2 + sd**2, axes=(0, 0))
        return np.sqrt(np.maximum(second - first**2, 0.0))

    def _kept(self) -> tuple[np.ndarray, np.ndarray]:
        keep = self.grid.mass > _KEEP * self.grid.mass.max()
        return self.grid.mass[keep], np.exp(self.grid.points[keep])

    def mu_marginal(self) -> Mixture:
        r"""Return the exact marginal posterior of :math:`\mu`: normals mixed over :math:`\tau`.

        .. math::

            p(\mu \mid y) = \int \mathrm{N}\big(\mu \mid \hat\mu(\tau), V_\mu(\tau)\big)\,
            p(\tau \mid y)\, d\tau ,

        with :math:`\hat\mu, V_\mu` of :func:`mu_given_tau`.

        Returns
        -------
        companion.mixtures.Mixture
            A scalar mixture with ``cdf``, ``pdf``, ``ppf``, ``mean``, ``std`` and ``rvs``.

        Examples
        --------
        >>> from companion.datasets import eight_schools
        >>> from companion.normal_normal import tau_posterior
        >>> d = eight_schools()
        >>> round(float(tau_posterior(d["y"], d["sigma"]).mu_marginal().mean()), 2)
        7.93
        """
        weights, tau = self._kept()
        mean, var, _ = self._mu_moments(tau)
        return Mixture("norm", weights, ordered=True, loc=mean, scale=np.sqrt(var))

    def theta_marginal(self, groups: Sequence[int] | None = None) -> Mixture:
        r"""Return the exact marginal posterior of the effects: normals mixed over :math:`\tau`.

        .. math::

            p(\theta_j \mid y) = \int \mathrm{N}\big(\theta_j \mid E[\theta_j \mid \tau, y],
            \mathrm{sd}(\theta_j \mid \tau, y)^2\big)\, p(\tau \mid y)\, d\tau .

        Parameters
        ----------
        groups : sequence of int, optional
            Which :math:`\theta_j`; default all.

        Returns
        -------
        companion.mixtures.Mixture
            With ``cdf``, ``pdf``, ``ppf``, ``mean``, ``std`` and ``rvs``.
        """
        columns = check_groups(groups, self.y.size)
        weights, tau = self._kept()
        mean, sd = self.theta_given_tau(tau)
        return Mixture("norm", weights, ordered=True, loc=mean[:, columns], scale=sd[:, columns])

    def theta_cdf(self, x: ArrayLike, groups: Sequence[int] | None = None) -> np.ndarray:
        r"""Exact :math:`\Pr(\theta_j \le x \mid y)`, shape ``(len(x), J)``.

        Parameters
        ----------
        x : array_like
            Values of the effects.
        groups : sequence of int, optional
            Which groups; default all.
        """
        return self.theta_marginal(groups).cdf(x)

    def theta_pdf(self, x: ArrayLike, groups: Sequence[int] | None = None) -> np.ndarray:
        r"""Exact posterior density of each :math:`\theta_j`, shape ``(len(x), J)``.

        Parameters
        ----------
        x : array_like
            Values of the effects.
        groups : sequence of int, optional
            Which groups; default all.
        """
        return self.theta_marginal(groups).pdf(x)

    def theta_quantiles(self, q: ArrayLike, groups: Sequence[int] | None = None) -> np.ndarray:
        r"""Exact posterior quantiles of each :math:`\theta_j`, shape ``(len(q), J)``.

        Chandrupatla's root finder on :meth:`theta_cdf`, for every level and group at once.

        Parameters
        ----------
        q : array_like
            Probability levels in (0, 1).
        groups : sequence of int, optional
            Which groups; default all.
        """
        return self.theta_marginal(groups).ppf(q)

    # -- draws ------------------------------------------------------------------------------

    def sample(self, draws: int, *, rng: RngLike = None) -> dict[str, np.ndarray]:
        r"""Draw independently from the joint posterior, :math:`\tau \to \mu \to \theta`.

        :math:`\tau` by inverse CDF on the grid (with jitter inside a cell), then
        :math:`\mu \mid \tau, y` and :math:`\theta \mid \mu, \tau, y` from their normal
        closed forms, vectorized over draws and groups.

        Parameters
        ----------
        draws : int
            Number of joint draws.
        rng : int, numpy.random.Generator or None
            Seed or generator.

        Returns
        -------
        dict
            ``"tau"`` and ``"mu"`` of shape ``(draws,)``, ``"theta"`` of shape ``(draws, J)``.
        """
        draws = check_draws(draws)
        rng = np.random.default_rng(rng)
        tau = np.exp(self.grid.sample(draws, rng=rng))
        mean_mu, var_mu, weight = self._mu_moments(tau)
        mu = mean_mu + np.sqrt(var_mu) * rng.standard_normal(draws)
        # theta = y + B (mu - y) + sqrt(V) z, with B = sigma^2 w and sqrt(V) = sigma tau sqrt(w).
        # In place: each fresh (draws, J) array costs more in page faults than in arithmetic.
        theta = np.subtract(mu[:, None], self.y)
        theta *= weight
        theta *= self.sigma**2
        theta += self.y
        noise = rng.standard_normal((draws, self.y.size))
        np.sqrt(weight, out=weight)
        weight *= self.sigma
        weight *= tau[:, None]
        noise *= weight
        theta += noise
        return {"tau": tau, "mu": mu, "theta": theta}

    # -- rankings and predictions -----------------------------------------------------------

    def prob_greater(self) -> np.ndarray:
        r"""Exact :math:`\Pr(\theta_i > \theta_k \mid y)` for every pair, shape ``(J, J)``.

        See :func:`companion.rankings.normal_prob_greater`.

        Examples
        --------
        >>> from companion.datasets import eight_schools
        >>> from companion.normal_normal import tau_posterior
        >>> d = eight_schools()
        >>> round(float(tau_posterior(d["y"], d["sigma"]).prob_greater()[0, 2]), 3)  # A > C
        0.681
        """
        return rankings.normal_prob_greater(self)

    def prob_largest(self) -> np.ndarray:
        r"""Exact posterior probability that each :math:`\theta_j` is the largest, shape ``(J,)``.

        See :func:`companion.rankings.normal_prob_largest`.

        Examples
        --------
        >>> from companion.datasets import eight_schools
        >>> from companion.normal_normal import tau_posterior
        >>> d = eight_schools()
        >>> tau_posterior(d["y"], d["sigma"]).prob_largest().round(3)
        array([0.252, 0.102, 0.084, 0.099, 0.051, 0.071, 0.205, 0.138])
        """
        return rankings.normal_prob_largest(self)

    def largest_effect(self) -> rankings.Maximum:
        r"""Return the exact posterior distribution of :math:`\max_j \theta_j`.

        See :class:`companion.rankings.Maximum`.

        Examples
        --------
        >>> from companion.datasets import eight_schools
        >>> from companion.normal_normal import tau_posterior
        >>> d = eight_schools()
        >>> largest = tau_posterior(d["y"], d["sigma"]).largest_effect()
        >>> round(float(1 - largest.cdf(28.4)[0]), 3)  # Pr(max theta_j > 28.4 | y)
        0.068
        """
        return rankings.normal_largest(self)

    def predictive(self, group: int | None = None, *, sigma: float | None = None) -> Mixture:
        r"""Return the exact posterior predictive distribution of a new estimate.

        For an existing group :math:`j`, a replicated estimate
        :math:`\tilde y_j \sim \mathrm{N}(\theta_j, \tilde\sigma^2)`: given :math:`\tau`
        it is normal with the mean and variance of :meth:`theta_given_tau` plus
        :math:`\tilde\sigma^2`. For a new group (``group=None``), its effect
        :math:`\tilde\theta \sim \mathrm{N}(\mu, \tau^2)` and estimate
        :math:`\tilde y \sim \mathrm{N}(\tilde\theta, \tilde\sigma^2)`; integrating out
        :math:`\mu \mid \tau, y \sim \mathrm{N}(\hat\mu, V_\mu)`,

        .. math::

            \Pr(\tilde y \le x \mid y) = \int \Phi\!\left(
            \frac{x - \hat\mu(\tau)}{\sqrt{\tau^2 + V_\mu(\tau) + \tilde\sigma^2}}\right)
            p(\tau \mid y)\, d\tau .

        Parameters
        ----------
        group : int, optional
            An existing group (0-based), or ``None`` for a new group.
        sigma : float, optional
            The standard error :math:`\tilde\sigma \ge 0` of the new estimate: default
            :math:`\sigma_j` for an existing group and 0 for a new one (the distribution
            of the effect :math:`\tilde\theta` itself).

        Returns
        -------
        companion.mixtures.Mixture
            A scalar mixture of normals, with ``cdf``, ``pdf``, ``ppf``, ``mean``, ``std``
            and ``rvs``; the exact counterpart of :func:`posterior_predictive`.

        Examples
        --------
        >>> from companion.datasets import eight_schools
        >>> from companion.normal_normal import tau_posterior
        >>> d = eight_schools()
        >>> post = tau_posterior(d["y"], d["sigma"])
        >>> round(float(post.predictive().cdf(0.0)[0]), 3)  # Pr(new effect <= 0 | y)
        0.147
        """
        weights, tau = self._kept()
        if group is None:
            scale = 0.0 if sigma is None else _check_scale(sigma)
            mean, var, _ = self._mu_moments(tau)
            scale = np.sqrt(tau**2 + var + scale**2)
            return Mixture("norm", weights, ordered=True, loc=mean, scale=scale)
        j = check_groups([group], self.y.size, "group")[0]
        scale = float(self.sigma[j]) if sigma is None else _check_scale(sigma)
        mean, sd = self.theta_given_tau(tau)
        scale = np.sqrt(sd[:, j] ** 2 + scale**2)
        return Mixture("norm", weights, ordered=True, loc=mean[:, j], scale=scale)


def _check_scale(sigma: Any) -> float:
    scale = float(as_finite(sigma, "sigma", ndim=0))
    if scale < 0:
        raise ValueError(f"sigma must be >= 0; got {scale}")
    return scale


def tau_posterior(
    y: ArrayLike,
    sigma: ArrayLike,
    *,
    mu_prior: Any = FLAT,
    tau_prior: Any = FLAT,
    size: int = 4096,
) -> TauPosterior:
    r"""Compute the exact posterior :math:`p(\tau \mid y)` and everything that follows from it.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors (``sigma > 0``).
    mu_prior : companion.priors.FLAT or scipy.stats.norm frozen distribution
        Prior on :math:`\mu`; default flat.
    tau_prior : companion.priors.FLAT or scipy.stats frozen distribution on [0, inf)
        Prior on :math:`\tau`. The default, BDA3's uniform prior on :math:`(0, \infty)`,
        needs :math:`J \ge 3` (flat :math:`\mu`) or :math:`J \ge 2` (normal
        :math:`\mu`) for a proper posterior. A prior stated on :math:`\tau^2` becomes
        one on :math:`\tau` through :func:`companion.priors.tau_prior_from_variance`.
    size : int, default 4096
        Grid cells in :math:`\log\tau`.

    Returns
    -------
    TauPosterior
        With ``pdf``, ``cdf``, ``ppf``, ``expect`` and the summaries and draws of
        :math:`\mu` and :math:`\theta`.

    Raises
    ------
    ValueError
        For invalid data or priors, or an improper posterior.

    Notes
    -----
    The grid covers :math:`\log\tau` wherever the log density is within 30 of its
    maximum (found by :func:`companion.grid.adaptive_grid`, starting from the scale of
    the data), clipped to the prior's support. For a density that decays smoothly at
    both ends the quadrature is accurate to about :math:`10^{-10}`; where a prior with
    bounded support cuts the density off (for example a uniform prior on
    :math:`(0, A)`), it is second order at the cut, about :math:`10^{-6}`.

    Examples
    --------
    >>> from companion.datasets import eight_schools
    >>> from companion.normal_normal import tau_posterior
    >>> d = eight_schools()
    >>> post = tau_posterior(d["y"], d["sigma"])
    >>> round(float(post.cdf(10.0)), 3) > 0.5, post.edge_mass() < 1e-10
    (True, True)
    """
    y, sigma = as_normal_data(y, sigma)
    mu_prior = check_mu_prior(mu_prior)
    moments = _mu_moments_prior(mu_prior)
    prior = _tau_prior(tau_prior, y.size, mu_prior)
    size = check_draws(size, "size")
    if size < 64:
        raise ValueError(f"size must be at least 64; got {size}")

    scale = float(np.sqrt(np.var(y) + np.mean(sigma**2)))
    centre = np.log(scale)
    limits = (-np.inf, np.inf)
    if prior is not FLAT:
        low, high = (float(v) for v in prior.support())
        with np.errstate(divide="ignore"):
            limits = (np.log(low) if low > 0 else -np.inf, np.log(high))

    def _log_density(u: np.ndarray) -> np.ndarray:
        """Log density of u = log(tau), up to a constant."""
        return _log_tau_unnormalized(y, sigma, np.exp(u), prior, moments) + u

    grid = adaptive_grid(_log_density, [(centre - 15.0, centre + 15.0)], size=size, limits=[limits])
    return TauPosterior(grid=grid, y=y, sigma=sigma, mu_prior=mu_prior, tau_prior=prior)


def theta_given_tau(
    y: ArrayLike, sigma: ArrayLike, tau: ArrayLike, *, mu_prior: Any = FLAT
) -> tuple[np.ndarray, np.ndarray]:
    r"""Return :math:`E[\theta_j \mid \tau, y]` and :math:`\mathrm{sd}(\theta_j \mid \tau, y)`.

    The "tau knob": as :math:`\tau \to 0` every mean tends to the pooled estimate, as
    :math:`\tau \to \infty` to the separate estimate :math:`y_j`. With :math:`\mu`
    integrated out, :math:`\theta_j = B_j \mu + (1 - B_j) y_j +` noise of variance
    :math:`V_j` (see :func:`theta_given_mu_tau`), so

    .. math::

        E[\theta_j \mid \tau, y] = B_j \hat\mu + (1 - B_j) y_j, \qquad
        \mathrm{var}(\theta_j \mid \tau, y) = V_j + B_j^2 V_\mu .

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    tau : array_like
        Values of :math:`\tau > 0`.
    mu_prior : companion.priors.FLAT or scipy.stats.norm frozen distribution
        The prior on :math:`\mu`; default flat.

    Returns
    -------
    tuple of numpy.ndarray
        Arrays of shape ``tau.shape + (J,)``.

    Examples
    --------
    >>> from companion.normal_normal import theta_given_tau
    >>> mean, sd = theta_given_tau([28.0, 8.0, -3.0], [15.0, 10.0, 16.0], [1e-6, 1e6])
    >>> mean.round(2)
    array([[10.5, 10.5, 10.5],
           [28. ,  8. , -3. ]])
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau", ndim=np.ndim(tau))
    return _theta_moments(y, sigma, tau, _mu_moments_prior(mu_prior))


def sample_posterior(
    y: ArrayLike,
    sigma: ArrayLike,
    draws: int,
    *,
    mu_prior: Any = FLAT,
    tau_prior: Any = FLAT,
    rng: RngLike = None,
) -> dict[str, np.ndarray]:
    r"""Draw independently from the joint posterior :math:`p(\theta, \mu, \tau \mid y)`.

    A shortcut for ``tau_posterior(y, sigma, ...).sample(draws, rng=rng)``:
    :math:`\tau` first, then :math:`\mu` given :math:`\tau`, then :math:`\theta` given both.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    draws : int
        Number of joint draws.
    mu_prior, tau_prior : companion.priors.FLAT or scipy.stats frozen distributions
        As in :func:`tau_posterior`.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    dict
        ``"tau"`` and ``"mu"`` of shape ``(draws,)``, ``"theta"`` of shape ``(draws, J)``.

    Examples
    --------
    >>> from companion.datasets import eight_schools
    >>> from companion.normal_normal import sample_posterior
    >>> d = eight_schools()
    >>> out = sample_posterior(d["y"], d["sigma"], 1000, rng=1)
    >>> out["theta"].shape, out["tau"].shape
    ((1000, 8), (1000,))
    """
    draws = check_draws(draws)
    posterior = tau_posterior(y, sigma, mu_prior=mu_prior, tau_prior=tau_prior)
    return posterior.sample(draws, rng=rng)


def posterior_predictive(
    draws: dict[str, np.ndarray],
    sigma: ArrayLike,
    *,
    new_group: bool = False,
    rng: RngLike = None,
) -> np.ndarray:
    r"""Posterior predictive estimates for the existing groups or for a new group.

    Existing groups: :math:`\tilde y_j \sim \mathrm{N}(\theta_j, \sigma_j^2)` for each
    posterior draw of :math:`\theta`. A new group: :math:`\tilde\theta \sim
    \mathrm{N}(\mu, \tau^2)` from each draw of :math:`(\mu, \tau)`, then
    :math:`\tilde y \sim \mathrm{N}(\tilde\theta, \tilde\sigma^2)`. The exact
    distributions are :meth:`TauPosterior.predictive`.

    Parameters
    ----------
    draws : dict
        Output of :func:`sample_posterior` or :meth:`TauPosterior.sample`.
    sigma : array_like
        Standard errors of the future estimates: shape ``(J,)`` for existing groups, a
        scalar :math:`\tilde\sigma \ge 0` for a new group (0 returns
        :math:`\tilde\theta` itself).
    new_group : bool, default False
        Predict for a new group.
    rng : int, numpy.random.Generator or None
        Seed or generator.

    Returns
    -------
    numpy.ndarray
        Shape ``(draws, J)`` for existing groups, ``(draws,)`` for a new group.
    """
    rng = np.random.default_rng(rng)
    if new_group:
        scale = _check_scale(sigma)
        tau = np.asarray(draws["tau"])
        theta = np.asarray(draws["mu"]) + tau * rng.standard_normal(tau.shape)
        return theta + scale * rng.standard_normal(tau.shape)
    theta = np.asarray(draws["theta"])
    scale = as_positive(np.broadcast_to(sigma, theta.shape[1:]), "sigma")
    return theta + scale * rng.standard_normal(theta.shape)


def prob_largest(
    y: ArrayLike, sigma: ArrayLike, *, mu_prior: Any = FLAT, tau_prior: Any = FLAT
) -> np.ndarray:
    r"""Exact posterior probability that each group has the largest effect of all.

    A shortcut for ``tau_posterior(y, sigma, ...).prob_largest()``; see
    :func:`companion.rankings.normal_prob_largest` for the formula and the quadrature.

    .. math::

        \Pr\big(\theta_i = \max_k \theta_k \mid y\big), \qquad i = 1, \ldots, J .

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    mu_prior, tau_prior : companion.priors.FLAT or scipy.stats frozen distributions
        As in :func:`tau_posterior`.

    Returns
    -------
    numpy.ndarray
        Shape ``(J,)``.

    Examples
    --------
    >>> from companion.normal_normal import prob_largest
    >>> prob_largest([5.0, 5.0, 5.0], [10.0, 10.0, 10.0]).round(6)
    array([0.333333, 0.333333, 0.333333])
    """
    return tau_posterior(y, sigma, mu_prior=mu_prior, tau_prior=tau_prior).prob_largest()
