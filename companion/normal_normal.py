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

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from companion._validate import (
    as_finite,
    as_normal_data,
    as_positive,
    check_draws,
    check_frozen,
    normal_prior,
)
from companion.grid import Grid1D, adaptive_grid

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
# Quadrature for the exact rankings and the largest effect (see TauPosterior.prob_largest):
_TAIL = 1e-12  # posterior mass of tau left out at each end
_TAU_NODES = 128  # Gauss-Legendre nodes in log tau
_Z_NODES = 32  # Gauss-Hermite nodes for the common (mu) part
_T_NODES = 64  # Gauss-Hermite nodes for a group's own part
_WINDOW = 12.0  # half-width of the z window, in units of d_j / c_j
_WINDOW_PANELS = 4  # equal panels across the window (composite Gauss-Legendre)
_WINDOW_NODES = 24  # Gauss-Legendre nodes per panel
_Z_MAX = 9.0  # |z| beyond this carries less than 1e-18 of the mass


def _probabilities(q: object) -> np.ndarray:
    qs = np.atleast_1d(as_finite(q, "q", ndim=np.ndim(q)))
    if np.any((qs <= 0) | (qs >= 1)):
        raise ValueError(f"q must lie strictly between 0 and 1; got {q!r}")
    return qs


def _check_scale(sigma: object) -> float:
    scale = float(as_finite(sigma, "sigma", ndim=0))
    if scale < 0:
        raise ValueError(f"sigma must be >= 0; got {scale}")
    return scale


def _mixture(
    x: np.ndarray, weights: np.ndarray, mean: np.ndarray, sd: np.ndarray, *, density: bool
) -> np.ndarray:
    """CDF or density at x of the normal mixture sum_i w_i N(mean_i, sd_i^2), in chunks of x.

    ``mean`` and ``sd`` have shape (n,) or (n, J); the result (len(x),) or (len(x), J).
    """
    out = np.empty(x.shape + mean.shape[1:])
    step = max(1, _CHUNK // mean.size)
    for start in range(0, x.size, step):
        xs = x[start : start + step].reshape((-1, 1) + (1,) * (mean.ndim - 1))
        z = (xs - mean) / sd
        values = np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * sd) if density else special.ndtr(z)
        out[start : start + step] = np.tensordot(values, weights, axes=(1, 0))
    return out


def _composite_legendre(panels: int, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre rule on [0, 1]: points and weights (summing to 1)."""
    g, w = np.polynomial.legendre.leggauss(nodes)
    left = np.arange(panels)[:, None] / panels
    return (left + (g + 1) / (2 * panels)).ravel(), np.tile(w / (2 * panels), panels)


def _mu_prior(mu_prior: object) -> tuple[float, float] | None:
    """``None`` (flat) or the (mean, variance) of a normal prior on mu."""
    moments = normal_prior(mu_prior)
    return None if moments is None else (moments[0], moments[1] ** 2)


def _tau_prior(tau_prior: object, groups: int, mu_prior: tuple[float, float] | None) -> object:
    if tau_prior is None:
        # p(tau | y) ~ tau^(1 - J) (flat mu) or tau^(-J) (normal mu) as tau -> infinity.
        needed = 3 if mu_prior is None else 2
        if groups < needed:
            raise ValueError(
                f"the posterior is improper: a uniform prior on tau needs at least {needed} "
                f"groups {'with a flat prior on mu' if mu_prior is None else ''}; got {groups}. "
                "Pass a proper tau_prior, for example scipy.stats.halfcauchy(scale=5)."
            )
        return None
    return check_frozen(tau_prior, "tau_prior", lower=0.0)


def separate_estimates(y: object, sigma: object) -> tuple[np.ndarray, np.ndarray]:
    r"""No pooling: each :math:`\theta_j` estimated from its own group alone.

    With a flat prior on each :math:`\theta_j`, :math:`\theta_j \mid y_j \sim
    \mathrm{N}(y_j, \sigma_j^2)`.

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


def pooled_estimate(y: object, sigma: object) -> tuple[float, float]:
    r"""Complete pooling: one common effect for every group.

    With :math:`\theta_j = \mu` for all :math:`j` and a flat prior on :math:`\mu`,

    .. math::

        \mu \mid y \sim \mathrm{N}\!\left(
        \frac{\sum_j y_j / \sigma_j^2}{\sum_j 1/\sigma_j^2},\;
        \frac{1}{\sum_j 1/\sigma_j^2}\right).

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
    y: object, sigma: object, mu: object, tau: object
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
    y: object, sigma: object, tau: object, *, mu_prior: object = None
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
    mu_prior : scipy.stats.norm frozen distribution, optional
        ``None`` is the flat prior.

    Returns
    -------
    tuple of numpy.ndarray
        :math:`\hat\mu` and :math:`\sqrt{V_\mu}`, each shaped like ``tau``.
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau", ndim=np.ndim(tau))
    mean, var, _ = _mu_moments(y, sigma, tau, _mu_prior(mu_prior))
    return mean, np.sqrt(var)


def _log_tau_unnormalized(
    tau: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    tau_prior: object,
    mu_prior: tuple[float, float] | None,
) -> np.ndarray:
    """Evaluate in chunks of the tau grid, so that J = 10^4 groups fit in memory."""
    out = np.empty(tau.shape)
    flat_tau, flat_out = tau.reshape(-1), out.reshape(-1)
    step = max(1, _CHUNK // y.size)
    for start in range(0, flat_tau.size, step):
        t = flat_tau[start : start + step]
        mean, var, weight = _mu_moments(y, sigma, t, mu_prior)
        resid = y - mean[:, None]
        value = 0.5 * np.log(var) + 0.5 * np.log(weight).sum(axis=1)
        value -= 0.5 * np.einsum("ij,ij->i", weight, resid**2)
        if mu_prior is not None:
            value -= 0.5 * (mean - mu_prior[0]) ** 2 / mu_prior[1]
        flat_out[start : start + step] = value
    if tau_prior is not None:
        with np.errstate(divide="ignore"):
            out = out + tau_prior.logpdf(tau)
    return out


def _theta_moments(
    tau: np.ndarray, y: np.ndarray, sigma: np.ndarray, mu_prior: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of theta | tau, y (mu integrated out), shape tau.shape + (J,)."""
    mean_mu, var_mu, _ = _mu_moments(y, sigma, tau, mu_prior)
    t2 = tau[..., None] ** 2
    shrink = sigma**2 / (sigma**2 + t2)
    mean = shrink * mean_mu[..., None] + (1 - shrink) * y
    var = shrink * t2 + shrink**2 * var_mu[..., None]
    return mean, np.sqrt(var)


def log_tau_density(
    tau: object, y: object, sigma: object, *, tau_prior: object = None, mu_prior: object = None
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
    tau : array_like
        Values of :math:`\tau > 0`.
    y, sigma : array_like, shape (J,)
        The data.
    tau_prior : scipy.stats frozen distribution on [0, inf), optional
        ``None`` is BDA3's uniform prior.
    mu_prior : scipy.stats.norm frozen distribution, optional
        ``None`` is the flat prior.

    Returns
    -------
    numpy.ndarray
        The log density up to an additive constant, shaped like ``tau``.
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau", ndim=np.ndim(tau))
    mu = _mu_prior(mu_prior)
    prior = None if tau_prior is None else check_frozen(tau_prior, "tau_prior", lower=0.0)
    return _log_tau_unnormalized(tau, y, sigma, prior, mu)


@dataclass(frozen=True)
class TauPosterior:
    r"""The exact posterior of the normal hierarchical model, built around :math:`p(\tau \mid y)`.

    Build it with :func:`tau_posterior`. The density of :math:`u = \log\tau` is
    tabulated on a grid (:class:`companion.grid.Grid1D`) whose range adapts to the
    data; everything else follows from the closed-form conditionals, integrated over
    :math:`\tau` by the same grid (midpoint rule, exact to far below the precision
    that any printed number needs).

    Attributes
    ----------
    grid : companion.grid.Grid1D
        The density of :math:`\log\tau`.
    y, sigma : numpy.ndarray
        The data.
    """

    grid: Grid1D
    y: np.ndarray
    sigma: np.ndarray
    tau_prior: object = None
    mu_prior: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        for array in (self.y, self.sigma):
            array.flags.writeable = False

    # -- the distribution of tau ------------------------------------------------------------

    def logpdf(self, tau: object) -> np.ndarray:
        r"""Return the normalized :math:`\log p(\tau \mid y)` (``-inf`` for :math:`\tau \le 0`)."""
        tau = as_finite(tau, "tau", ndim=np.ndim(tau))
        out = np.full(tau.shape, -np.inf)
        positive = tau > 0
        out[positive] = (
            _log_tau_unnormalized(tau[positive], self.y, self.sigma, self.tau_prior, self.mu_prior)
            - self.grid.log_normalizer
        )
        return out

    def pdf(self, tau: object) -> np.ndarray:
        r"""Return the normalized density :math:`p(\tau \mid y)`."""
        return np.exp(self.logpdf(tau))

    def cdf(self, tau: object) -> np.ndarray:
        r"""Return :math:`\Pr(\tau' \le \tau \mid y)` (see :meth:`companion.grid.Grid1D.cdf`)."""
        tau = np.asarray(tau, dtype=float)
        with np.errstate(divide="ignore"):
            return np.where(tau > 0, self.grid.cdf(np.log(np.maximum(tau, 1e-300))), 0.0)

    def ppf(self, q: object) -> np.ndarray:
        r"""Return quantiles of :math:`\tau`: the inverse of :meth:`cdf`."""
        return np.exp(self.grid.ppf(q))

    def expect(self, f: Callable[[np.ndarray], np.ndarray]) -> float | np.ndarray:
        r"""Exact :math:`E[f(\tau) \mid y]` by quadrature over the grid.

        ``f`` gets an array of :math:`\tau` values of shape ``(n,)`` and returns an
        array with first axis ``n`` (trailing axes are kept); the result is a float
        when ``f`` is scalar-valued, else an array. A warning is issued when
        :math:`|f|\,p` has not decayed at the ends of the grid, which is what happens
        when the expectation does not exist (for example :math:`E[\tau]` under a uniform
        prior with :math:`J = 3` groups).
        """
        values = np.asarray(f(np.exp(self.grid.points)), dtype=float)
        if values.shape[:1] != self.grid.points.shape:
            raise ValueError(
                f"f must return an array whose first axis has length {self.grid.points.size}; "
                f"got shape {values.shape}"
            )
        weighted = np.abs(values.reshape(values.shape[0], -1)).T * self.grid.mass
        total = weighted.sum(axis=1)
        tails = weighted[:, :2].sum(axis=1) + weighted[:, -2:].sum(axis=1)
        if np.any(tails > 1e-9 * np.maximum(total, 1e-300)):
            warnings.warn(
                "the integrand has not decayed at the ends of the tau grid: this "
                "expectation may not exist (heavy tail) and the value returned is unreliable",
                RuntimeWarning,
                stacklevel=2,
            )
        result = np.tensordot(self.grid.mass, values, axes=(0, 0))
        return float(result) if result.ndim == 0 else result

    def interval(self, probability: float = 0.95) -> tuple[float, float]:
        r"""Return the central posterior interval of :math:`\tau`."""
        tail = (1 - float(probability)) / 2
        low, high = self.ppf([tail, 1 - tail])
        return float(low), float(high)

    @property
    def edge_mass(self) -> float:
        """Posterior probability in the outermost grid cell at each end (should be tiny)."""
        return self.grid.edge_mass()

    # -- conditionals given tau -------------------------------------------------------------

    def mu_given_tau(self, tau: object) -> tuple[np.ndarray, np.ndarray]:
        r"""Return :math:`E[\mu \mid \tau, y]` and :math:`\mathrm{sd}(\mu \mid \tau, y)`."""
        tau = as_positive(tau, "tau", ndim=np.ndim(tau))
        mean, var, _ = _mu_moments(self.y, self.sigma, tau, self.mu_prior)
        return mean, np.sqrt(var)

    def theta_given_tau(self, tau: object) -> tuple[np.ndarray, np.ndarray]:
        r"""Return :math:`E[\theta_j \mid \tau, y]` and :math:`\mathrm{sd}(\theta_j \mid \tau, y)`.

        The "tau knob"; see :func:`theta_given_tau`. Returns arrays of shape ``tau.shape + (J,)``.
        """
        tau = as_positive(tau, "tau", ndim=np.ndim(tau))
        return _theta_moments(tau, self.y, self.sigma, self.mu_prior)

    # -- marginal summaries of theta --------------------------------------------------------

    def theta_mean(self) -> np.ndarray:
        r"""Exact :math:`E[\theta_j \mid y]`, shape ``(J,)``."""
        return self.grid.expect(lambda u: self.theta_given_tau(np.exp(u))[0])

    def theta_sd(self) -> np.ndarray:
        r"""Return the exact :math:`\mathrm{sd}(\theta_j \mid y)` (law of total variance)."""

        def second_moment(u: np.ndarray) -> np.ndarray:
            mean, sd = self.theta_given_tau(np.exp(u))
            return mean**2 + sd**2

        mean = self.theta_mean()
        return np.sqrt(np.maximum(self.grid.expect(second_moment) - mean**2, 0.0))

    def _theta_mixture(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = self.grid.mass > 1e-16 * self.grid.mass.max()
        mean, sd = self.theta_given_tau(np.exp(self.grid.points[keep]))
        return self.grid.mass[keep] / self.grid.mass[keep].sum(), mean, sd

    def theta_cdf(self, x: object) -> np.ndarray:
        r"""Exact :math:`\Pr(\theta_j \le x \mid y)`: a mixture of normals over :math:`\tau`.

        ``x`` of shape ``(m,)`` gives an array of shape ``(m, J)``.
        """
        x = np.atleast_1d(as_finite(x, "x", ndim=np.ndim(x)))
        weights, mean, sd = self._theta_mixture()
        return np.einsum("i,mij->mj", weights, stats.norm.cdf((x[:, None, None] - mean) / sd))

    def theta_quantiles(self, q: object) -> np.ndarray:
        r"""Exact posterior quantiles of every :math:`\theta_j`, shape ``(len(q), J)``.

        Root finding (Brent) on :meth:`theta_cdf`, to an absolute tolerance of
        :math:`10^{-9}` times the data's scale.
        """
        qs = np.atleast_1d(as_finite(q, "q", ndim=np.ndim(q)))
        if np.any((qs <= 0) | (qs >= 1)):
            raise ValueError(f"q must lie strictly between 0 and 1; got {q!r}")
        weights, mean, sd = self._theta_mixture()
        low = (mean - 40 * sd).min(axis=0)
        high = (mean + 40 * sd).max(axis=0)
        tol = 1e-9 * float(np.max(np.abs(self.y)) + np.max(self.sigma))
        out = np.empty((qs.size, self.y.size))
        for j in range(self.y.size):

            def cdf(x: float, j: int = j) -> float:
                return float(weights @ stats.norm.cdf((x - mean[:, j]) / sd[:, j]))

            for i, p in enumerate(qs):
                out[i, j] = optimize.brentq(lambda x, p=p: cdf(x) - p, low[j], high[j], xtol=tol)
        return out

    # -- draws ------------------------------------------------------------------------------

    def sample(
        self, draws: int, *, rng: int | np.random.Generator | None = None
    ) -> dict[str, np.ndarray]:
        r"""Draw independently from the joint posterior, :math:`\tau \to \mu \to \theta`.

        Vectorized over draws and groups.

        :math:`\tau` by inverse CDF on the grid (with jitter inside a cell), then
        :math:`\mu \mid \tau, y` and :math:`\theta \mid \mu, \tau, y` from their normal
        closed forms.

        Returns
        -------
        dict
            ``"tau"`` and ``"mu"`` of shape ``(draws,)``, ``"theta"`` of shape ``(draws, J)``.
        """
        draws = check_draws(draws)
        rng = np.random.default_rng(rng)
        tau = np.exp(self.grid.sample(draws, rng=rng))
        mean_mu, var_mu, weight = _mu_moments(self.y, self.sigma, tau, self.mu_prior)
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

    # -- rankings, the largest effect and a new group ---------------------------------------

    def _tau_rule(self) -> tuple[np.ndarray, np.ndarray]:
        """Gauss-Legendre nodes in log tau over all but 1e-12 of each tail, and their weights."""
        low, high = (float(v) for v in self.grid.ppf([_TAIL, 1 - _TAIL]))
        nodes, weights = np.polynomial.legendre.leggauss(_TAU_NODES)
        half = (high - low) / 2
        tau = np.exp(low + half * (nodes + 1))
        weights = weights * half * self.pdf(tau) * tau  # the density of log tau
        return tau, weights / weights.sum()

    def _common_and_own(self, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """m, c, d with theta_j = m_j + c_j z + d_j e_j given tau (z, e_j iid N(0, 1))."""
        mean_mu, var_mu, weight = _mu_moments(self.y, self.sigma, tau, self.mu_prior)
        shrink = self.sigma**2 * weight
        mean = shrink * mean_mu[..., None] + (1 - shrink) * self.y
        common = shrink * np.sqrt(var_mu)[..., None]
        own = np.sqrt(shrink) * tau[..., None]
        return mean, common, own

    def prob_greater(self) -> np.ndarray:
        r"""Exact :math:`\Pr(\theta_i > \theta_k \mid y)` for every pair, shape ``(J, J)``.

        Given :math:`\tau`, the difference :math:`\theta_i - \theta_k` is normal: with
        :math:`m_j = E[\theta_j \mid \tau, y]`, :math:`B_j` and :math:`V_j` as in
        :func:`theta_given_mu_tau` and :math:`V_\mu` as in :func:`mu_given_tau`,

        .. math::

            \Pr(\theta_i > \theta_k \mid y) = \int_0^\infty
            \Phi\!\left(\frac{m_i - m_k}{\sqrt{V_i + V_k + (B_i - B_k)^2 V_\mu}}\right)
            p(\tau \mid y)\, d\tau ,

        by Gauss-Legendre quadrature in :math:`\log\tau`. The diagonal is 0, and
        ``out + out.T`` is 1 off the diagonal. The cost grows as :math:`J^2`.

        Examples
        --------
        >>> from companion.datasets import eight_schools
        >>> from companion.normal_normal import tau_posterior
        >>> d = eight_schools()
        >>> round(float(tau_posterior(d["y"], d["sigma"]).prob_greater()[0, 2]), 3)  # A > C
        0.681
        """
        tau, weights = self._tau_rule()
        mean, common, own = self._common_and_own(tau)
        diff = mean[:, :, None] - mean[:, None, :]
        var = own[:, :, None] ** 2 + own[:, None, :] ** 2
        var = var + (common[:, :, None] - common[:, None, :]) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(var > 0, diff / np.sqrt(var), 0.0)
        out = np.tensordot(weights, special.ndtr(z), axes=(0, 0))
        np.fill_diagonal(out, 0.0)
        return out

    def _largest_given_tau(self, tau: np.ndarray) -> np.ndarray:
        """Pr(theta_i is the largest | tau, y), shape tau.shape + (J,)."""
        mean, common, own = self._common_and_own(tau)
        z, wz = np.polynomial.hermite_e.hermegauss(_Z_NODES)
        t, wt = np.polynomial.hermite_e.hermegauss(_T_NODES)
        wz, wt = wz / wz.sum(), wt / wt.sum()
        groups = self.y.size
        out = np.empty(mean.shape)
        step = max(1, _CHUNK // (z.size * t.size * groups * groups))
        for start in range(0, mean.shape[0], step):
            part = slice(start, start + step)
            # Means given the common draw z: shape (tau, z, J).
            centre = mean[part, None, :] + common[part, None, :] * z[:, None]
            d = own[part, None, None, :]
            # theta_i = centre_i + d_i t; compare it with every theta_k: (tau, z, t, i, k).
            x = centre[:, :, None, :] + d * t[:, None]
            log_cdf = special.log_ndtr(
                (x[..., :, None] - centre[:, :, None, None, :]) / d[..., None, :]
            )
            log_cdf[..., np.arange(groups), np.arange(groups)] = 0.0
            inner = np.exp(log_cdf.sum(axis=-1))
            out[part] = np.einsum("azti,z,t->ai", inner, wz, wt)
        return out

    def prob_largest(self) -> np.ndarray:
        r"""Exact posterior probability that each :math:`\theta_j` is the largest of all.

        Given :math:`\tau`, write :math:`\theta_j = m_j + c_j z + d_j \varepsilon_j`
        with :math:`z, \varepsilon_1, \ldots, \varepsilon_J` independent standard
        normals: :math:`z` carries the uncertainty in :math:`\mu` shared by all groups
        (:math:`c_j = B_j \sqrt{V_\mu}`) and :math:`\varepsilon_j` the rest
        (:math:`d_j = \sqrt{V_j}`), with :math:`m_j = E[\theta_j \mid \tau, y]`. Given
        :math:`(\tau, z)` the :math:`\theta_j` are independent normals, so

        .. math::

            \Pr\big(\theta_i = \max_k \theta_k \mid y\big) = \int p(\tau \mid y)
            \int \varphi(z) \int \varphi(t) \prod_{k \ne i}
            \Phi\!\left(\frac{m_i + c_i z + d_i t - m_k - c_k z}{d_k}\right)
            dt\, dz\, d\tau .

        Quadrature: Gauss-Legendre in :math:`\log\tau` (128 nodes over all but
        :math:`10^{-12}` of each tail) and Gauss-Hermite in :math:`z` (32 nodes) and
        :math:`t` (64 nodes), accurate to about :math:`10^{-10}` for the eight schools.
        The cost grows as :math:`J^2`: for hundreds of groups, count maxima in draws.

        Returns
        -------
        numpy.ndarray
            Shape ``(J,)``; the entries sum to one.

        Examples
        --------
        >>> from companion.datasets import eight_schools
        >>> from companion.normal_normal import tau_posterior
        >>> d = eight_schools()
        >>> tau_posterior(d["y"], d["sigma"]).prob_largest().round(3)
        array([0.252, 0.102, 0.084, 0.099, 0.051, 0.071, 0.205, 0.138])
        """
        tau, weights = self._tau_rule()
        return weights @ self._largest_given_tau(tau)

    def _max_cdf_pdf(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """CDF and density of max_j theta_j at the points x (1-d)."""
        tau, weights = self._tau_rule()
        cdf, pdf = self._max_given_tau(x, tau)
        return np.clip(weights @ cdf, 0.0, 1.0), weights @ pdf

    def _max_given_tau(self, x: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """CDF and density of max_j theta_j given tau, shape (tau, x); tau and x 1-d."""
        mean, common, own = self._common_and_own(tau)
        g, wg = _composite_legendre(_WINDOW_PANELS, _WINDOW_NODES)
        cdf, pdf = np.empty((tau.size, x.size)), np.empty((tau.size, x.size))
        step = max(1, _CHUNK // (tau.size * g.size * self.y.size))
        for start in range(0, x.size, step):
            xs = x[start : start + step]
            # theta_k <= x  <=>  z <= z_k = (x - m_k) / c_k, up to the own noise of width
            # r_k = d_k / c_k. Below the lowest window every factor is 1, above it one is 0.
            crossing = (xs[None, :, None] - mean[:, None, :]) / common[:, None, :]
            width = (own / common)[:, None, :]
            low = np.clip((crossing - _WINDOW * width).min(axis=-1), -_Z_MAX, _Z_MAX)
            high = np.clip((crossing + _WINDOW * width).min(axis=-1), -_Z_MAX, _Z_MAX)
            span = (high - low)[..., None]
            z = low[..., None] + span * g  # (tau, x, node)
            wz = span * wg * np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
            arg = (
                xs[None, :, None, None]
                - mean[:, None, None, :]
                - common[:, None, None, :] * (z[..., None])
            )
            arg /= own[:, None, None, :]
            log_cdf = special.log_ndtr(arg)
            total = log_cdf.sum(axis=-1)
            log_pdf = -0.5 * arg**2 - 0.5 * np.log(2 * np.pi) - np.log(own[:, None, None, :])
            density = np.exp(log_pdf + total[..., None] - log_cdf).sum(axis=-1)
            cdf[:, start : start + step] = special.ndtr(low) + np.einsum(
                "txn,txn->tx", wz, np.exp(total)
            )
            pdf[:, start : start + step] = np.einsum("txn,txn->tx", wz, density)
        return cdf, pdf

    def max_cdf(self, x: object) -> np.ndarray:
        r"""Exact :math:`\Pr(\max_j \theta_j \le x \mid y)`, shape ``(len(x),)``.

        With the decomposition of :meth:`prob_largest`,

        .. math::

            \Pr\big(\max_j \theta_j \le x \mid y\big) = \int p(\tau \mid y)
            \int \varphi(z) \prod_{j=1}^{J}
            \Phi\!\left(\frac{x - m_j - c_j z}{d_j}\right) dz\, d\tau .

        The product falls from 1 to 0 as :math:`z` crosses the first of the points
        :math:`(x - m_j)/c_j`, within a window a few :math:`d_j/c_j` wide; the :math:`z`
        integral is :math:`\Phi` of the lower end of that window plus composite
        Gauss-Legendre quadrature across it (4 panels of 24 nodes), so that it stays
        exact when :math:`\tau` is small and the window narrow. Accurate to about
        :math:`10^{-10}` for the eight schools.

        Examples
        --------
        >>> from companion.datasets import eight_schools
        >>> from companion.normal_normal import tau_posterior
        >>> d = eight_schools()
        >>> post = tau_posterior(d["y"], d["sigma"])
        >>> round(float(1 - post.max_cdf(28.4)[0]), 3)  # Pr(max theta_j > 28.4 | y)
        0.068
        """
        x = np.atleast_1d(as_finite(x, "x", ndim=np.ndim(x)))
        return self._max_cdf_pdf(x)[0]

    def max_pdf(self, x: object) -> np.ndarray:
        r"""Exact posterior density of :math:`\max_j \theta_j`, shape ``(len(x),)``.

        The derivative of :meth:`max_cdf`:

        .. math::

            p\big(\max_j \theta_j = x \mid y\big) = \int p(\tau \mid y) \int \varphi(z)
            \sum_{i=1}^{J} \frac{1}{d_i}\varphi\!\left(\frac{x - m_i - c_i z}{d_i}\right)
            \prod_{k \ne i} \Phi\!\left(\frac{x - m_k - c_k z}{d_k}\right) dz\, d\tau .
        """
        x = np.atleast_1d(as_finite(x, "x", ndim=np.ndim(x)))
        return self._max_cdf_pdf(x)[1]

    def max_quantiles(self, q: object) -> np.ndarray:
        r"""Exact posterior quantiles of :math:`\max_j \theta_j` (Brent on :meth:`max_cdf`)."""
        qs = _probabilities(q)
        mean, sd = self.theta_given_tau(np.exp(self.grid.points))
        low, high = float((mean - 40 * sd).min()), float((mean + 40 * sd).max())
        tol = 1e-9 * float(np.max(np.abs(self.y)) + np.max(self.sigma))
        return np.array(
            [
                optimize.brentq(lambda x, p=p: float(self.max_cdf(x)[0]) - p, low, high, xtol=tol)
                for p in qs
            ]
        )

    def theta_pdf(self, x: object) -> np.ndarray:
        r"""Exact marginal posterior density of every :math:`\theta_j`, shape ``(len(x), J)``.

        .. math::

            p(\theta_j \mid y) = \int \mathrm{N}\big(\theta_j \mid E[\theta_j \mid \tau, y],
            \mathrm{sd}(\theta_j \mid \tau, y)^2\big)\, p(\tau \mid y)\, d\tau ,

        the derivative of :meth:`theta_cdf`, on the same grid.
        """
        x = np.atleast_1d(as_finite(x, "x", ndim=np.ndim(x)))
        weights, mean, sd = self._theta_mixture()
        return _mixture(x, weights, mean, sd, density=True)

    def _new_group_mixture(self, sigma: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scale = _check_scale(sigma)
        keep = self.grid.mass > 1e-16 * self.grid.mass.max()
        tau = np.exp(self.grid.points[keep])
        mean, var, _ = _mu_moments(self.y, self.sigma, tau, self.mu_prior)
        sd = np.sqrt(tau**2 + var + scale**2)
        return self.grid.mass[keep] / self.grid.mass[keep].sum(), mean, sd

    def new_group_cdf(self, x: object, sigma: float = 0.0) -> np.ndarray:
        r"""Exact posterior predictive CDF for a new group, shape ``(len(x),)``.

        A new group's effect :math:`\tilde\theta \sim \mathrm{N}(\mu, \tau^2)` and its
        estimate :math:`\tilde y \sim \mathrm{N}(\tilde\theta, \tilde\sigma^2)`;
        integrating out :math:`\mu \mid \tau, y \sim \mathrm{N}(\hat\mu, V_\mu)`,

        .. math::

            \Pr(\tilde y \le x \mid y) = \int \Phi\!\left(
            \frac{x - \hat\mu(\tau)}{\sqrt{\tau^2 + V_\mu(\tau) + \tilde\sigma^2}}\right)
            p(\tau \mid y)\, d\tau ,

        on the grid of :math:`\log\tau`. ``sigma`` is :math:`\tilde\sigma \ge 0`; the
        default 0 gives the distribution of :math:`\tilde\theta` itself. This is the
        exact counterpart of :func:`posterior_predictive` with ``new_group=True``.

        Examples
        --------
        >>> from companion.datasets import eight_schools
        >>> from companion.normal_normal import tau_posterior
        >>> d = eight_schools()
        >>> post = tau_posterior(d["y"], d["sigma"])
        >>> round(float(post.new_group_cdf(0.0)[0]), 3)  # Pr(new effect <= 0 | y)
        0.147
        """
        x = np.atleast_1d(as_finite(x, "x", ndim=np.ndim(x)))
        weights, mean, sd = self._new_group_mixture(sigma)
        return _mixture(x, weights, mean, sd, density=False)

    def new_group_pdf(self, x: object, sigma: float = 0.0) -> np.ndarray:
        r"""Exact posterior predictive density for a new group (see :meth:`new_group_cdf`)."""
        x = np.atleast_1d(as_finite(x, "x", ndim=np.ndim(x)))
        weights, mean, sd = self._new_group_mixture(sigma)
        return _mixture(x, weights, mean, sd, density=True)

    def new_group_quantiles(self, q: object, sigma: float = 0.0) -> np.ndarray:
        r"""Exact predictive quantiles for a new group (Brent on :meth:`new_group_cdf`)."""
        qs = _probabilities(q)
        weights, mean, sd = self._new_group_mixture(sigma)
        low, high = float((mean - 40 * sd).min()), float((mean + 40 * sd).max())
        tol = 1e-9 * float(np.max(np.abs(self.y)) + np.max(self.sigma))

        def cdf(x: float) -> float:
            return float(weights @ special.ndtr((x - mean) / sd))

        return np.array(
            [optimize.brentq(lambda x, p=p: cdf(x) - p, low, high, xtol=tol) for p in qs]
        )

    def new_group_moments(self, sigma: float = 0.0) -> tuple[float, float]:
        r"""Exact predictive mean and standard deviation for a new group.

        By the laws of total expectation and variance over :math:`\tau`,

        .. math::

            E[\tilde y \mid y] = E[\hat\mu(\tau) \mid y], \qquad
            \mathrm{var}(\tilde y \mid y) = E[\tau^2 + V_\mu(\tau) \mid y]
            + \mathrm{var}(\hat\mu(\tau) \mid y) + \tilde\sigma^2 .

        The variance needs :math:`E[\tau^2 \mid y] < \infty` (with BDA3's priors,
        :math:`J \ge 5`); :meth:`expect` warns when it does not exist.
        """
        scale = _check_scale(sigma)

        def within(tau: np.ndarray) -> np.ndarray:
            mean, var, _ = _mu_moments(self.y, self.sigma, tau, self.mu_prior)
            return np.stack([mean, mean**2, tau**2 + var], axis=-1)

        first, second, spread = self.expect(within)
        return float(first), float(np.sqrt(spread + second - first**2 + scale**2))


def tau_posterior(
    y: object,
    sigma: object,
    *,
    tau_prior: object = None,
    mu_prior: object = None,
    size: int = 4096,
) -> TauPosterior:
    r"""Compute the exact posterior :math:`p(\tau \mid y)` and everything that follows from it.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors (``sigma > 0``).
    tau_prior : scipy.stats frozen distribution on [0, inf), optional
        Prior on :math:`\tau`. ``None`` is BDA3's uniform prior on :math:`(0, \infty)`,
        which needs :math:`J \ge 3` (flat :math:`\mu`) or :math:`J \ge 2` (normal
        :math:`\mu`) for a proper posterior.
    mu_prior : scipy.stats.norm frozen distribution, optional
        Prior on :math:`\mu`; ``None`` is flat.
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
    >>> round(float(post.cdf(10.0)), 3) > 0.5, post.edge_mass < 1e-10
    (True, True)
    """
    y, sigma = as_normal_data(y, sigma)
    mu = _mu_prior(mu_prior)
    prior = _tau_prior(tau_prior, y.size, mu)
    size = check_draws(size, "size")
    if size < 64:
        raise ValueError(f"size must be at least 64; got {size}")

    scale = float(np.sqrt(np.var(y) + np.mean(sigma**2)))
    centre = np.log(scale)
    limits = (-np.inf, np.inf)
    if prior is not None:
        low, high = (float(v) for v in prior.support())
        with np.errstate(divide="ignore"):
            limits = (np.log(low) if low > 0 else -np.inf, np.log(high))

    def log_density(u: np.ndarray) -> np.ndarray:
        tau = np.exp(u)
        return _log_tau_unnormalized(tau, y, sigma, prior, mu) + u

    grid = adaptive_grid(log_density, [(centre - 15.0, centre + 15.0)], size=size, limits=[limits])
    return TauPosterior(grid=grid, y=y, sigma=sigma, tau_prior=prior, mu_prior=mu)


def theta_given_tau(
    tau: object, y: object, sigma: object, *, mu_prior: object = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Return :math:`E[\theta_j \mid \tau, y]` and :math:`\mathrm{sd}(\theta_j \mid \tau, y)`.

    The "tau knob": as :math:`\tau \to 0` every mean tends to the pooled estimate, as
    :math:`\tau \to \infty` to the separate estimate :math:`y_j`. With :math:`\mu`
    integrated out, :math:`\theta_j = B_j \mu + (1 - B_j) y_j +` noise of variance
    :math:`V_j` (see :func:`theta_given_mu_tau`), so

    .. math::

        E[\theta_j \mid \tau, y] = B_j \hat\mu + (1 - B_j) y_j, \qquad
        \mathrm{var}(\theta_j \mid \tau, y) = V_j + B_j^2 V_\mu .

    Returns
    -------
    tuple of numpy.ndarray
        Arrays of shape ``tau.shape + (J,)``.

    Examples
    --------
    >>> from companion.normal_normal import theta_given_tau
    >>> mean, sd = theta_given_tau([1e-6, 1e6], [28.0, 8.0, -3.0], [15.0, 10.0, 16.0])
    >>> mean.round(2)
    array([[10.5, 10.5, 10.5],
           [28. ,  8. , -3. ]])
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau", ndim=np.ndim(tau))
    return _theta_moments(tau, y, sigma, _mu_prior(mu_prior))


def sample_posterior(
    y: object,
    sigma: object,
    draws: int,
    *,
    tau_prior: object = None,
    mu_prior: object = None,
    rng: int | np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    r"""Draw independently from the joint posterior :math:`p(\theta, \mu, \tau \mid y)`.

    :math:`\tau` first, then :math:`\mu` given :math:`\tau`, then :math:`\theta` given both.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    draws : int
        Number of joint draws.
    tau_prior, mu_prior : scipy.stats frozen distributions, optional
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
    posterior = tau_posterior(y, sigma, tau_prior=tau_prior, mu_prior=mu_prior)
    return posterior.sample(draws, rng=rng)


def posterior_predictive(
    draws: dict[str, np.ndarray],
    sigma: object,
    *,
    new_group: bool = False,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray:
    r"""Posterior predictive estimates for the existing groups or for a new group.

    Existing groups: :math:`\tilde y_j \sim \mathrm{N}(\theta_j, \sigma_j^2)` for each
    posterior draw of :math:`\theta`. A new group: :math:`\tilde\theta \sim
    \mathrm{N}(\mu, \tau^2)` from each draw of :math:`(\mu, \tau)`, then
    :math:`\tilde y \sim \mathrm{N}(\tilde\theta, \tilde\sigma^2)`.

    Parameters
    ----------
    draws : dict
        Output of :func:`sample_posterior`.
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
        scale = float(as_finite(sigma, "sigma", ndim=0))
        if scale < 0:
            raise ValueError(f"sigma must be >= 0; got {scale}")
        tau = np.asarray(draws["tau"])
        theta = np.asarray(draws["mu"]) + tau * rng.standard_normal(tau.shape)
        return theta + scale * rng.standard_normal(tau.shape)
    theta = np.asarray(draws["theta"])
    scale = as_positive(np.broadcast_to(sigma, theta.shape[1:]), "sigma")
    return theta + scale * rng.standard_normal(theta.shape)


def prob_largest(
    y: object, sigma: object, *, tau_prior: object = None, mu_prior: object = None
) -> np.ndarray:
    r"""Exact posterior probability that each group has the largest effect of all.

    A shortcut for ``tau_posterior(y, sigma, ...).prob_largest()``; see
    :meth:`TauPosterior.prob_largest` for the formula and the quadrature.

    .. math::

        \Pr\big(\theta_i = \max_k \theta_k \mid y\big), \qquad i = 1, \ldots, J .

    Examples
    --------
    >>> from companion.normal_normal import prob_largest
    >>> prob_largest([5.0, 5.0, 5.0], [10.0, 10.0, 10.0]).round(6)
    array([0.333333, 0.333333, 0.333333])
    """
    return tau_posterior(y, sigma, tau_prior=tau_prior, mu_prior=mu_prior).prob_largest()
