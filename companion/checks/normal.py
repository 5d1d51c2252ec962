r"""Brute-force checks of the closed forms of the normal hierarchical model.

The model of the eight-schools chapter (:mod:`companion.normal_normal`):

.. math::

    y_j \mid \theta_j \sim \mathrm{N}(\theta_j, \sigma_j^2), \qquad
    \theta_j \mid \mu, \tau \sim \mathrm{N}(\mu, \tau^2), \qquad p(\mu, \tau) = p(\mu)\, p(\tau).

Every brute-force value integrates these densities numerically and never calls the
closed form it is compared with:

* one-dimensional integrals over :math:`\theta_j`, :math:`\mu` or :math:`\log\tau` by
  tanh-sinh quadrature around the integrand's numerically located mode
  (:mod:`companion.checks.integrate`);
* inside the nested integral of :math:`p(\tau \mid y)`, the integrals over each
  :math:`\theta_j` by a 48-node Gauss-Hermite rule taken with respect to the narrower
  of the two normal factors (see ``_gauss_hermite_log_p_y`` for why not tanh-sinh).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from companion import normal_normal
from companion._validate import as_finite, as_normal_data, as_positive, check_same_length
from companion.checks.integrate import Peak, locate_peak, log_integral, log_moments
from companion.checks.result import (
    CheckResult,
    compare_log_densities,
    compare_moments,
    read_candidate,
    read_candidate_pair,
    read_tolerance,
)
from companion.priors import FLAT, Flat, check_mu_prior, check_tau_prior

__all__ = [
    "brute_log_tau_density",
    "check_expected_log_tau",
    "check_factorization",
    "check_marginal_y",
    "check_mu_conditional",
    "check_tau_marginal",
    "check_tau_tail",
    "check_theta_conditional",
]


class FrozenDistribution(Protocol):
    """A frozen :mod:`scipy.stats` distribution (only its log density is used here)."""

    def logpdf(self, x: ArrayLike) -> np.ndarray:
        """Return the log density.

        Parameters
        ----------
        x : array_like
            Where to evaluate it.

        Returns
        -------
        numpy.ndarray
            The log density at ``x``.
        """
        ...


#: A prior on mu or tau: companion.priors.FLAT or a frozen scipy.stats distribution.
Prior = Flat | FrozenDistribution

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)

# Gauss-Hermite nodes and weights for the weight exp(-x^2): the one hand-assembled rule,
# kept instead of scipy's quadrature for the inner integrals of p(tau | y) on evidence
# (CPU times on the 2-core machine, scipy 1.18.1). For the 20,480 inner integrals
# (mu in [-40, 60], tau in {1e-3, 0.7, 5, 40, 3e3}, the eight schools) of one call of
# the outer rule, the largest error against the exact log N(y_j | mu, sigma_j^2 + tau^2):
#   Gauss-Hermite, 48 nodes ........................ 7.1e-15   0.03 s
#   scipy.integrate.tanhsinh, level 2 (67 nodes) ... 6.2e-02   0.40 s
#   scipy.integrate.tanhsinh, level 4 (259 nodes) .. 9.7e-08   1.69 s
#   scipy.integrate.tanhsinh, level 5 (515 nodes) .. 7.1e-15   2.31 s
#   scipy.integrate.cubature (gk21, rtol 1e-14) .... 7.1e-15   0.59 s
# With adaptive tanhsinh (rtol 1e-14) inside instead, brute_log_tau_density is off the
# exact multivariate normal value by up to 2.1e-11 (Gauss-Hermite: 2.1e-14) at 40 times
# the cost (2.2 s against 0.06 s for five values of tau), and
# test_mu_integral_matches_exact_gaussian_integrals fails (1.1e-11 > 1e-11; 5.9 s
# against 0.15 s); E[log tau | y] takes 142 s instead of 2 s. Of Gauss-Hermite rules,
# 32 nodes are not enough (5e-10 on the synthetic data of the tests, within 10 sd of
# the mode in mu); 40 and 48 give 4e-14. With respect to the narrower factor the
# integrand is a normal density in x of width at least 1/sqrt(2).
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite.hermgauss(48)
_GH_LOG_NORM = -0.5 * math.log(math.pi)  # the weights integrate exp(-x^2): sqrt(pi)
_GH_CHUNK = 1 << 21  # (mu values x nodes x groups) evaluated at once, 16 MB per array
_LOG_TAU_LIMIT = 600.0  # |log tau| beyond which E[log tau | y] does not evaluate the density


def _norm_logpdf(x: ArrayLike, mean: ArrayLike, sd: ArrayLike) -> np.ndarray:
    """Log normal density in plain numpy (no scipy.stats overhead in nested integrals)."""
    z = (np.asarray(x) - mean) / sd
    return -0.5 * z * z - np.log(sd) - _LOG_SQRT_2PI


def _gauss_hermite_log_p_y(
    y: np.ndarray, sigma: np.ndarray, mu: ArrayLike, tau: ArrayLike
) -> np.ndarray:
    r"""Return :math:`\log p(y_j \mid \mu, \tau)`, the :math:`\theta_j` integral by Gauss-Hermite.

    .. math::

        p(y_j \mid \mu, \tau) = \int \mathrm{N}(y_j \mid \theta, \sigma_j^2)\,
        \mathrm{N}(\theta \mid \mu, \tau^2)\, d\theta
        \approx \frac{1}{\sqrt\pi} \sum_{k=1}^{48} w_k\, g(c + \sqrt2\, s\, x_k),

    where the narrower factor is the weight: with :math:`\tau \le \sigma_j`,
    :math:`(c, s) = (\mu, \tau)` and :math:`g` is the likelihood
    :math:`\mathrm{N}(y_j \mid \theta, \sigma_j^2)`; otherwise the roles are swapped.
    No convolution formula is used. The sum has only positive terms, so it is
    accurate wherever it does not underflow (far outside the range that the integrals
    over :math:`\mu` reach).

    Parameters
    ----------
    y, sigma : numpy.ndarray, shape (J,)
        Estimates and their known standard errors (already validated).
    mu, tau : array_like
        Hyperparameters, broadcast together (``tau > 0``).

    Returns
    -------
    numpy.ndarray
        Shape ``broadcast(mu, tau).shape + (J,)``.
    """
    mu, tau = np.broadcast_arrays(np.asarray(mu, dtype=float), np.asarray(tau, dtype=float))
    shape = mu.shape
    mu, tau = mu.reshape(-1, 1), tau.reshape(-1, 1)
    prior_is_weight = tau <= sigma
    centre = np.where(prior_is_weight, mu, y)
    spread = np.where(prior_is_weight, tau, sigma)
    other = np.where(prior_is_weight, y, mu)
    other_sd = np.where(prior_is_weight, sigma, tau)
    out = np.empty((mu.shape[0], y.size))
    step = max(1, _GH_CHUNK // (_GH_NODES.size * y.size))
    nodes = math.sqrt(2.0) * _GH_NODES[:, None]
    for start in range(0, mu.shape[0], step):
        rows = slice(start, start + step)
        z = centre[rows, None, :] + spread[rows, None, :] * nodes
        z -= other[rows, None, :]
        z /= other_sd[rows, None, :]
        z *= z
        z *= -0.5
        np.exp(z, out=z)
        total = np.einsum("ngj,g->nj", z, _GH_WEIGHTS)
        with np.errstate(divide="ignore"):
            out[rows] = np.log(total) - np.log(other_sd[rows]) - _LOG_SQRT_2PI + _GH_LOG_NORM
    return out.reshape((*shape, y.size))


# --- the integral over mu -----------------------------------------------------------------------


def _mu_integrand(
    y: np.ndarray, sigma: np.ndarray, mu_prior: Prior
) -> tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], float, float]:
    """Return mu -> log p(mu) + sum_j log p(y_j | mu, tau) (args: tau), a guess and a width.

    The integrand is log-concave in mu (every factor is), so it has a single bump.
    """

    def _log_g(mu: np.ndarray, tau: np.ndarray) -> np.ndarray:
        value = _gauss_hermite_log_p_y(y, sigma, mu, tau).sum(axis=-1)
        if mu_prior is not FLAT:
            value = value + mu_prior.logpdf(mu)
        return value

    return _log_g, float(np.median(y)), float(np.median(sigma))


def _brute_mu_integral(
    y: np.ndarray,
    sigma: np.ndarray,
    tau: np.ndarray,
    mu_prior: Prior,
    *,
    moments: bool = False,
    rtol: float = 1e-14,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Return :math:`\log \int p(\mu) \prod_j p(y_j \mid \mu, \tau)\, d\mu` and the moments of mu.

    For every entry of ``tau`` at once: the mode of the integrand in :math:`\mu` is
    found numerically (:func:`~companion.checks.integrate.locate_peak`), then
    tanh-sinh integrates around it. The mean and variance are NaN unless ``moments``.
    """
    log_g, guess, width = _mu_integrand(y, sigma, mu_prior)
    peak: Peak = locate_peak(log_g, guess, width + tau, args=(tau,))
    if moments:
        return log_moments(log_g, peak, args=(tau,), rtol=rtol)
    nan = np.full(tau.shape, np.nan)
    return log_integral(log_g, peak, args=(tau,), rtol=rtol), nan, nan


def brute_log_tau_density(
    y: ArrayLike,
    sigma: ArrayLike,
    tau: ArrayLike,
    *,
    mu_prior: Prior = FLAT,
    tau_prior: Prior = FLAT,
) -> np.ndarray:
    r"""Brute-force :math:`\log p(\tau \mid y)`, up to one additive constant.

    Straight from the model, with every :math:`\theta_j` and :math:`\mu` integrated out
    numerically:

    .. math::

        p(\tau \mid y) \propto p(\tau) \int p(\mu) \prod_{j=1}^{J} \left[\int
        \mathrm{N}(y_j \mid \theta_j, \sigma_j^2)\, \mathrm{N}(\theta_j \mid \mu, \tau^2)
        \, d\theta_j\right] d\mu .

    The inner integrals use a 48-node Gauss-Hermite rule taken with respect to the
    narrower of the two normal factors; the outer one is tanh-sinh quadrature
    (:func:`scipy.integrate.tanhsinh`) on both sides of the integrand's mode, which is
    found numerically. No closed form of the chapter is used. The constant is that of
    :math:`p(y \mid \tau)\, p(\tau)` with :math:`p(\mu) = 1` for the flat prior, so with
    a proper prior on :math:`\mu` the value is :math:`\log p(y \mid \tau) + \log p(\tau)`
    itself.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors.
    tau : array_like
        Values of :math:`\tau > 0`, any shape.
    mu_prior : companion.priors.FLAT or scipy.stats.norm frozen distribution
        The prior on :math:`\mu`; default flat.
    tau_prior : companion.priors.FLAT or scipy.stats frozen distribution on [0, inf)
        The prior on :math:`\tau`; default BDA3's uniform prior.

    Returns
    -------
    numpy.ndarray
        Shaped like ``tau``; the constant is the same for every entry.

    Examples
    --------
    >>> from companion.checks import brute_log_tau_density
    >>> value = brute_log_tau_density([28.0, 8.0, -3.0], [15.0, 10.0, 16.0], [1.0, 10.0])
    >>> value.shape
    (2,)
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau", ndim=np.ndim(tau))
    mu_prior = check_mu_prior(mu_prior)
    tau_prior = check_tau_prior(tau_prior)
    out = _brute_mu_integral(y, sigma, tau.reshape(-1), mu_prior)[0].reshape(tau.shape)
    if tau_prior is not FLAT:
        out = out + tau_prior.logpdf(tau)
    return out


# --- conditionals and marginals -----------------------------------------------------------------


def check_theta_conditional(
    y: ArrayLike,
    sigma: ArrayLike,
    mu: float,
    tau: float,
    *,
    candidate: tuple[ArrayLike, ArrayLike] | None = None,
    tolerance: float = 1e-8,
) -> CheckResult:
    r"""Check :math:`\theta_j \mid \mu, \tau, y \sim \mathrm{N}(\hat\theta_j, V_j)` by quadrature.

    Brute force: the mean and variance of the unnormalized density
    :math:`\mathrm{N}(y_j \mid \theta, \sigma_j^2)\,\mathrm{N}(\theta \mid \mu, \tau^2)`
    by tanh-sinh quadrature over :math:`\theta`, around its numerically located mode.
    Closed form: :func:`companion.normal_normal.theta_given_mu_tau`,

    .. math::

        \hat\theta_j = \frac{y_j/\sigma_j^2 + \mu/\tau^2}{1/\sigma_j^2 + 1/\tau^2},
        \qquad V_j = \frac{1}{1/\sigma_j^2 + 1/\tau^2}.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors.
    mu, tau : float
        The hyperparameters (``tau > 0``).
    candidate : tuple (mean, sd), optional
        Closed-form means and standard deviations to judge instead of companion's.
    tolerance : float, default 1e-8
        Largest accepted :math:`|\Delta\text{mean}|/\text{sd}` or relative variance error.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> from companion.checks import check_theta_conditional
    >>> check_theta_conditional([28.0, 8.0], [15.0, 10.0], mu=5.0, tau=8.0).passed
    True
    """
    y, sigma = as_normal_data(y, sigma)
    mu = float(as_finite(mu, "mu", ndim=0))
    tau = float(as_positive(tau, "tau", ndim=0))
    tolerance = read_tolerance(tolerance)
    if candidate is None:
        closed = normal_normal.theta_given_mu_tau(y, sigma, mu, tau)
    else:
        closed = read_candidate_pair(candidate, y.size)

    def _log_f(theta: np.ndarray, yj: np.ndarray, sj: np.ndarray) -> np.ndarray:
        a, b = (yj - theta) / sj, (theta - mu) / tau
        return -0.5 * (a * a + b * b)

    prior_is_narrower = tau <= sigma
    guess = np.where(prior_is_narrower, mu, y)
    peak = locate_peak(_log_f, guess, np.minimum(sigma, tau), args=(y, sigma))
    _, mean, var = log_moments(_log_f, peak, args=(y, sigma))
    return compare_moments(
        {"y": y, "sigma": sigma},
        closed,
        (mean, var),
        candidate=candidate is not None,
        what=f"theta_j | mu={mu:g}, tau={tau:g}, y",
        tolerance=tolerance,
    )


def check_marginal_y(
    y: ArrayLike,
    sigma: ArrayLike,
    mu: float,
    tau: float,
    *,
    candidate: ArrayLike | None = None,
    tolerance: float = 1e-9,
) -> CheckResult:
    r"""Check :math:`y_j \mid \mu, \tau \sim \mathrm{N}(\mu, \sigma_j^2 + \tau^2)` by quadrature.

    Brute force: :math:`\log \int \mathrm{N}(y_j \mid \theta, \sigma_j^2)\,
    \mathrm{N}(\theta \mid \mu, \tau^2)\, d\theta` by tanh-sinh quadrature. Closed form:
    the log density of :math:`\mathrm{N}(\mu, \sigma_j^2 + \tau^2)` at :math:`y_j`.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors.
    mu, tau : float
        The hyperparameters (``tau > 0``).
    candidate : array_like, shape (J,), optional
        Closed-form log densities to judge instead.
    tolerance : float, default 1e-9
        Largest accepted absolute error of the log density (a relative error of the density).

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> from companion.checks import check_marginal_y
    >>> check_marginal_y([28.0, 8.0], [15.0, 10.0], mu=5.0, tau=8.0).passed
    True
    """
    y, sigma = as_normal_data(y, sigma)
    mu = float(as_finite(mu, "mu", ndim=0))
    tau = float(as_positive(tau, "tau", ndim=0))
    tolerance = read_tolerance(tolerance)
    if candidate is None:
        closed = _norm_logpdf(y, mu, np.sqrt(sigma**2 + tau**2))
    else:
        closed = read_candidate(candidate, y.shape)

    def _log_f(theta: np.ndarray, yj: np.ndarray, sj: np.ndarray) -> np.ndarray:
        return _norm_logpdf(yj, theta, sj) + _norm_logpdf(theta, mu, tau)

    guess = np.where(tau <= sigma, mu, y)
    peak = locate_peak(_log_f, guess, np.minimum(sigma, tau), args=(y, sigma))
    brute = log_integral(_log_f, peak, args=(y, sigma))
    table = pd.DataFrame(
        {"y": y, "sigma": sigma, "log density (closed)": closed, "log density (quadrature)": brute}
    )
    return CheckResult(
        candidate=candidate is not None,
        what=f"y_j | mu={mu:g}, tau={tau:g}",
        table=table,
        error=float(np.max(np.abs(closed - brute))),
        tolerance=tolerance,
        measure="max |log density error|",
    )


def _describe_mu_prior(mu_prior: Prior) -> str:
    if mu_prior is FLAT:
        return ""
    return f" with mu ~ N({float(mu_prior.mean()):g}, {float(mu_prior.std()):g}^2)"


def check_mu_conditional(
    y: ArrayLike,
    sigma: ArrayLike,
    tau: ArrayLike,
    *,
    mu_prior: Prior = FLAT,
    candidate: tuple[ArrayLike, ArrayLike] | None = None,
    tolerance: float = 1e-8,
) -> CheckResult:
    r"""Check :math:`\mu \mid \tau, y \sim \mathrm{N}(\hat\mu, V_\mu)` by nested quadrature.

    Brute force: the mean and variance of
    :math:`p(\mu) \prod_j \int \mathrm{N}(y_j \mid \theta_j, \sigma_j^2)\,
    \mathrm{N}(\theta_j \mid \mu, \tau^2)\, d\theta_j` as a density in :math:`\mu`
    (Gauss-Hermite inside, tanh-sinh outside). Closed form:
    :func:`companion.normal_normal.mu_given_tau`, which with a flat prior is

    .. math::

        \hat\mu = \frac{\sum_j w_j y_j}{\sum_j w_j}, \qquad V_\mu^{-1} = \sum_j w_j,
        \qquad w_j = \frac{1}{\sigma_j^2 + \tau^2},

    and with a prior :math:`\mathrm{N}(m_0, s_0^2)` adds :math:`m_0` as one more
    observation with variance :math:`s_0^2`.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors.
    tau : float or array_like
        One or more values of :math:`\tau > 0` (one table row each).
    mu_prior : companion.priors.FLAT or scipy.stats.norm frozen distribution
        The prior on :math:`\mu`; default flat.
    candidate : tuple (mean, sd), optional
        Closed-form values (one per ``tau``) to judge instead of companion's.
    tolerance : float, default 1e-8
        Largest accepted :math:`|\Delta\text{mean}|/\text{sd}` or relative variance error.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> from companion.checks import check_mu_conditional
    >>> check_mu_conditional([28.0, 8.0, -3.0], [15.0, 10.0, 16.0], tau=5.0).passed
    True
    """
    y, sigma = as_normal_data(y, sigma)
    tau = np.atleast_1d(as_positive(tau, "tau", ndim=np.ndim(tau))).reshape(-1)
    mu_prior = check_mu_prior(mu_prior)
    tolerance = read_tolerance(tolerance)
    if candidate is None:
        closed = normal_normal.mu_given_tau(y, sigma, tau, mu_prior=mu_prior)
    else:
        closed = read_candidate_pair(candidate, tau.size)
    _, mean, var = _brute_mu_integral(y, sigma, tau, mu_prior, moments=True)
    return compare_moments(
        {"tau": tau},
        closed,
        (mean, var),
        candidate=candidate is not None,
        what="mu | tau, y" + _describe_mu_prior(mu_prior),
        tolerance=tolerance,
        x="tau",
    )


def check_tau_marginal(
    y: ArrayLike,
    sigma: ArrayLike,
    tau: ArrayLike,
    *,
    mu_prior: Prior = FLAT,
    tau_prior: Prior = FLAT,
    candidate: ArrayLike | None = None,
    tolerance: float = 1e-8,
) -> CheckResult:
    r"""Check the closed form of :math:`\log p(\tau \mid y)` against nested quadrature.

    Closed form: :func:`companion.normal_normal.log_tau_density`,

    .. math::

        p(\tau \mid y) \propto p(\tau)\, V_\mu^{1/2} \prod_{j=1}^{J}
        (\sigma_j^2 + \tau^2)^{-1/2}
        \exp\!\left(-\frac{(y_j - \hat\mu)^2}{2(\sigma_j^2 + \tau^2)}\right).

    Brute force: :func:`brute_log_tau_density`. Both are known up to an additive
    constant, so the check is that their difference is the same at every ``tau``.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    tau : array_like, shape (K,)
        At least two values of :math:`\tau > 0`.
    mu_prior : companion.priors.FLAT or scipy.stats.norm frozen distribution
        The prior on :math:`\mu`; default flat.
    tau_prior : companion.priors.FLAT or scipy.stats frozen distribution on [0, inf)
        The prior on :math:`\tau`; default uniform.
    candidate : array_like, shape (K,), optional
        Log densities (any constant) to judge instead of companion's.
    tolerance : float, default 1e-8
        Largest accepted spread (max - min) of the difference of the two log densities.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> from companion.checks import check_tau_marginal
    >>> check_tau_marginal([28.0, 8.0, -3.0], [15.0, 10.0, 16.0], [1.0, 10.0]).passed
    True
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau")
    if tau.size < 2:
        raise ValueError(
            f"tau must hold at least two values (densities are unnormalized); got {tau!r}"
        )
    tolerance = read_tolerance(tolerance)
    priors = {"mu_prior": check_mu_prior(mu_prior), "tau_prior": check_tau_prior(tau_prior)}
    if candidate is None:
        closed = normal_normal.log_tau_density(y, sigma, tau, **priors)
    else:
        closed = read_candidate(candidate, tau.shape)
    brute = brute_log_tau_density(y, sigma, tau, **priors)
    return compare_log_densities(
        {"tau": tau},
        closed,
        brute,
        candidate=candidate is not None,
        what="log p(tau | y)",
        tolerance=tolerance,
        x="tau",
    )


def check_factorization(
    y: ArrayLike,
    sigma: ArrayLike,
    theta: ArrayLike,
    mu: ArrayLike,
    tau: ArrayLike,
    *,
    mu_prior: Prior = FLAT,
    tau_prior: Prior = FLAT,
    candidate: ArrayLike | None = None,
    tolerance: float = 1e-9,
) -> CheckResult:
    r"""Check the factorization of the joint posterior into the three closed-form factors.

    .. math::

        p(\theta, \mu, \tau \mid y) = p(\theta \mid \mu, \tau, y)\, p(\mu \mid \tau, y)\,
        p(\tau \mid y).

    At each point :math:`(\theta^{(k)}, \mu^{(k)}, \tau^{(k)})` the log joint density,
    written straight from the model,

    .. math::

        \log p(\mu) + \log p(\tau) + \sum_j \log \mathrm{N}(\theta_j \mid \mu, \tau^2)
        + \sum_j \log \mathrm{N}(y_j \mid \theta_j, \sigma_j^2),

    minus the sum of the logs of the three closed-form factors must be one and the same
    constant (the log of :math:`p(y)` and of the normalizer of :math:`p(\tau \mid y)`).
    No integral is needed.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    theta : array_like, shape (K, J)
        Values of the group effects, one row per point.
    mu, tau : array_like, shape (K,)
        Values of the hyperparameters (``tau > 0``).
    mu_prior : companion.priors.FLAT or scipy.stats.norm frozen distribution
        The prior on :math:`\mu`; default flat.
    tau_prior : companion.priors.FLAT or scipy.stats frozen distribution on [0, inf)
        The prior on :math:`\tau`; default uniform.
    candidate : array_like, shape (K,), optional
        Values of :math:`\log p(\tau \mid y)` (any constant) to use for the third factor
        instead of :func:`companion.normal_normal.log_tau_density`.
    tolerance : float, default 1e-9
        Largest accepted spread of the difference.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from companion.checks import check_factorization
    >>> theta = np.array([[10.0, 5.0], [0.0, 1.0], [3.0, -4.0]])
    >>> mu, tau = [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]
    >>> prior = stats.norm(0, 5)
    >>> check_factorization([28.0, 8.0], [15.0, 10.0], theta, mu, tau, mu_prior=prior).passed
    True
    """
    y, sigma = as_normal_data(y, sigma)
    theta = as_finite(theta, "theta", ndim=2)
    mu = as_finite(mu, "mu")
    tau = as_positive(tau, "tau")
    if theta.shape[1] != y.size:
        raise ValueError(
            f"theta must have one column per group ({y.size}); got shape {theta.shape}"
        )
    check_same_length(theta=theta, mu=mu, tau=tau)
    tolerance = read_tolerance(tolerance)
    mu_prior = check_mu_prior(mu_prior)
    tau_prior = check_tau_prior(tau_prior)
    joint = _norm_logpdf(y, theta, sigma).sum(axis=1)
    joint += _norm_logpdf(theta, mu[:, None], tau[:, None]).sum(axis=1)
    if mu_prior is not FLAT:
        joint += mu_prior.logpdf(mu)
    if tau_prior is not FLAT:
        joint += tau_prior.logpdf(tau)
    cond_mean, cond_sd = normal_normal.theta_given_mu_tau(y, sigma, mu, tau)
    first = _norm_logpdf(theta, cond_mean, cond_sd).sum(axis=1)
    mu_mean, mu_sd = normal_normal.mu_given_tau(y, sigma, tau, mu_prior=mu_prior)
    second = _norm_logpdf(mu, mu_mean, mu_sd)
    if candidate is None:
        third = normal_normal.log_tau_density(y, sigma, tau, mu_prior=mu_prior, tau_prior=tau_prior)
    else:
        third = read_candidate(candidate, tau.shape)
    gap = joint - (first + second + third)
    table = pd.DataFrame(
        {
            "mu": mu,
            "tau": tau,
            "log joint": joint,
            "log p(theta|mu,tau,y)": first,
            "log p(mu|tau,y)": second,
            "log p(tau|y)": third,
            "difference": gap,
        }
    )
    return CheckResult(
        candidate=candidate is not None,
        what="p(theta, mu, tau | y) = p(theta | mu, tau, y) p(mu | tau, y) p(tau | y)",
        table=table,
        error=float(np.ptp(gap)),
        tolerance=tolerance,
        measure="spread of the difference",
        x="tau",
    )


# --- E[log tau | y]: a triple integral ----------------------------------------------------------


@lru_cache(maxsize=16)
def _brute_expected_log_tau_cached(
    y: bytes, sigma: bytes, mu_prior: Prior, tau_prior: Prior
) -> float:
    """Remember the triple integrals (2 s of CPU each; the chapter asks twice).

    The priors are keys by identity (frozen scipy distributions do not define
    equality), and the cache holds them, so an identity is never reused.
    """
    return _brute_expected_log_tau(
        np.frombuffer(y, dtype=float), np.frombuffer(sigma, dtype=float), mu_prior, tau_prior
    )


def _brute_expected_log_tau(
    y: np.ndarray, sigma: np.ndarray, mu_prior: Prior, tau_prior: Prior
) -> float:
    r"""Return E[log tau | y]: tanh-sinh over u = log tau of the brute-force density times e^u."""

    def _log_density(u: np.ndarray) -> np.ndarray:
        # NaN beyond tau = e^(+-600), where tau^2 would overflow: a search that gets there
        # is following a density that does not decay, and stops with an error.
        value = np.full(u.shape, np.nan)
        inside = np.abs(u) < _LOG_TAU_LIMIT
        tau = np.exp(u[inside])
        value[inside] = _brute_mu_integral(y, sigma, tau, mu_prior, rtol=1e-10)[0] + u[inside]
        if tau_prior is not FLAT:
            with np.errstate(divide="ignore"):
                value[inside] += tau_prior.logpdf(tau)
        return value

    # Tolerances 1e-10 (mu) and 1e-9 (log tau) instead of 1e-14: for the eight schools
    # under the weak priors the value moves by 4e-15, and half as many integrands over mu
    # are evaluated (165,000 instead of 307,000); the check itself asks for 1e-6.
    guess = 0.5 * math.log(float(np.var(y) + np.mean(sigma**2)))
    try:
        peak = locate_peak(_log_density, np.array(guess), np.array(1.0))
        _, mean, _ = log_moments(_log_density, peak, rtol=1e-9, variance=False)
    except ValueError as err:
        raise ValueError(
            f"E[log tau | y] may not exist; the quadrature over log tau stopped: {err}"
        ) from err
    return float(mean)


def check_expected_log_tau(
    y: ArrayLike,
    sigma: ArrayLike,
    *,
    mu_prior: Prior = FLAT,
    tau_prior: Prior = FLAT,
    candidate: float | None = None,
    tolerance: float = 1e-6,
) -> CheckResult:
    r"""Check :math:`E[\log\tau \mid y]` against a fully brute-force triple integral.

    Closed form: the grid quadrature of the closed-form density,
    ``companion.normal_normal.tau_posterior(...).expect(numpy.log)``. Brute force:

    .. math::

        E[\log\tau \mid y] = \frac{\int u\, \tilde p(e^u)\, e^u\, du}
        {\int \tilde p(e^u)\, e^u\, du},

    with :math:`\tilde p` from :func:`brute_log_tau_density` (so :math:`\theta` and
    :math:`\mu` are integrated out numerically too) and tanh-sinh quadrature over
    :math:`u = \log\tau` around the mode of its density.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    mu_prior : companion.priors.FLAT or scipy.stats.norm frozen distribution
        The prior on :math:`\mu`; default flat.
    tau_prior : companion.priors.FLAT or scipy.stats frozen distribution on [0, inf)
        The prior on :math:`\tau`; default uniform.
    candidate : float, optional
        A value of :math:`E[\log\tau \mid y]` to judge instead of companion's.
    tolerance : float, default 1e-6
        Largest accepted absolute error.

    Returns
    -------
    CheckResult

    Examples
    --------
    Three schools under BDA3's flat priors, where :math:`p(\tau \mid y) \sim \tau^{-2}`:

    >>> from companion.checks import check_expected_log_tau
    >>> check_expected_log_tau([28.0, 8.0, -3.0], [15.0, 10.0, 16.0]).passed
    True
    """
    y, sigma = as_normal_data(y, sigma)
    tolerance = read_tolerance(tolerance)
    mu_prior = check_mu_prior(mu_prior)
    tau_prior = check_tau_prior(tau_prior)
    if candidate is None:
        post = normal_normal.tau_posterior(y, sigma, mu_prior=mu_prior, tau_prior=tau_prior)
        closed = float(post.expect(np.log))
    else:
        closed = float(as_finite(candidate, "candidate", ndim=0))
    brute = _brute_expected_log_tau_cached(y.tobytes(), sigma.tobytes(), mu_prior, tau_prior)
    table = pd.DataFrame(
        {"E[log tau | y] (closed)": [closed], "E[log tau | y] (quadrature)": [brute]}
    )
    return CheckResult(
        candidate=candidate is not None,
        what="E[log tau | y]",
        table=table,
        error=abs(closed - brute),
        tolerance=tolerance,
        measure="absolute error",
    )


def check_tau_tail(
    y: ArrayLike,
    sigma: ArrayLike,
    *,
    tau: ArrayLike = (1e4, 1e5, 1e6),
    mu_prior: Prior = FLAT,
    tolerance: float = 1e-3,
) -> CheckResult:
    r"""Check the tail :math:`\tau^{1-J}` (flat :math:`\mu`) or :math:`\tau^{-J}` of p(tau | y).

    For large :math:`\tau`, :math:`V_\mu \approx \tau^2/J` (flat prior on :math:`\mu`)
    or :math:`V_\mu \to s_0^2` (normal prior), the exponentials tend to one and the
    product of :math:`J` factors :math:`(\sigma_j^2 + \tau^2)^{-1/2}` behaves like
    :math:`\tau^{-J}`, so under a uniform prior on :math:`\tau` the unnormalized density
    :math:`q(\tau) = V_\mu^{1/2} \prod_j (\sigma_j^2 + \tau^2)^{-1/2}
    \exp\{-(y_j - \hat\mu)^2 / (2(\sigma_j^2 + \tau^2))\}`, with
    :math:`p(\tau \mid y) \propto q(\tau)`, behaves as

    .. math::

        q(\tau) \sim J^{-1/2}\, \tau^{1-J} \quad\text{(flat } \mu\text{)}, \qquad
        q(\tau) \sim s_0\, \tau^{-J} \quad\text{(normal } \mu\text{)}.

    The check compares the local slopes of the brute-force :math:`\log p(\tau \mid y)`
    (:func:`brute_log_tau_density`, uniform prior on :math:`\tau`) against
    :math:`\log\tau` with these exponents; the error is that of the last slope.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    tau : array_like, default (1e4, 1e5, 1e6)
        Increasing values of :math:`\tau`, at least two.
    mu_prior : companion.priors.FLAT or scipy.stats.norm frozen distribution
        The prior on :math:`\mu`; default flat.
    tolerance : float, default 1e-3
        Largest accepted error of the last slope.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> from companion.checks import check_tau_tail
    >>> result = check_tau_tail([28.0, 8.0, -3.0], [15.0, 10.0, 16.0])
    >>> round(float(result.table["slope (quadrature)"].iloc[-1]), 4)
    -2.0
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau")
    if tau.size < 2 or np.any(np.diff(tau) <= 0):
        raise ValueError(f"tau must hold at least two increasing values; got {tau!r}")
    tolerance = read_tolerance(tolerance)
    mu_prior = check_mu_prior(mu_prior)
    predicted = (1.0 - y.size) if mu_prior is FLAT else float(-y.size)
    brute = brute_log_tau_density(y, sigma, tau, mu_prior=mu_prior)
    closed = normal_normal.log_tau_density(y, sigma, tau, mu_prior=mu_prior)
    log_tau = np.log(tau)
    slope_b = np.append(np.nan, np.diff(brute) / np.diff(log_tau))
    slope_c = np.append(np.nan, np.diff(closed) / np.diff(log_tau))
    table = pd.DataFrame(
        {
            "tau": tau,
            "log density (quadrature)": brute,
            "slope (quadrature)": slope_b,
            "slope (closed)": slope_c,
            "predicted slope": predicted,
        }
    )
    return CheckResult(
        what=f"tail of p(tau | y), J = {y.size}"
        + ("" if mu_prior is FLAT else ", normal mu prior"),
        table=table,
        error=float(abs(slope_b[-1] - predicted)),
        tolerance=tolerance,
        measure="|last slope - predicted|",
        x="tau",
    )
