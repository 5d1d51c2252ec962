r"""Priors of the book's models, in one form per role.

* A prior on a location or scale parameter (:math:`\mu`, :math:`\tau`) is a frozen
  :mod:`scipy.stats` distribution, or :data:`FLAT`, the improper flat prior of
  *Bayesian Data Analysis*: :math:`p(\mu) \propto 1` on the real line and
  :math:`p(\tau) \propto 1` on :math:`(0, \infty)`.
* A prior stated on the variance :math:`\tau^2` (the inverse-gamma priors of the
  literature) becomes a prior on :math:`\tau` through :func:`tau_prior_from_variance`.
* The hyperprior of the beta-binomial model is a :class:`PowerHyperprior`,
  :math:`p(\alpha, \beta) \propto (\alpha + \beta)^k`, used by both the exact grid
  (:func:`companion.beta_binomial.hyper_posterior`) and the PyMC model
  (:func:`companion.models.beta_binomial`), or a proper
  :class:`MeanConcentrationHyperprior` on the population mean and concentration (exact
  grid only).

The named pairs :data:`BDA3` and :data:`BETANCOURT` are the priors the chapters use;
pass them as keyword arguments: ``normal_normal.tau_posterior(y, sigma, **priors.BDA3)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from companion._validate import as_finite, check_frozen

__all__ = [
    "BDA3",
    "BDA3_HYPERPRIOR",
    "BETANCOURT",
    "FLAT",
    "STAN_CASE_STUDY_HYPERPRIOR",
    "Flat",
    "MeanConcentrationHyperprior",
    "PowerHyperprior",
    "check_mu_prior",
    "check_tau_prior",
    "tau_prior_from_variance",
]


class Flat:
    """The improper flat prior: a constant density on the parameter's whole support.

    There is one instance, :data:`FLAT`.
    """

    _instance: Flat | None = None

    def __new__(cls) -> Flat:
        """Return the one instance."""
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "FLAT"


#: The flat prior: :math:`p \propto 1` on the real line (for :math:`\mu`) or on
#: :math:`(0, \infty)` (for :math:`\tau`).
FLAT = Flat()

#: BDA3's priors for the normal hierarchical model: flat on :math:`\mu`, uniform on
#: :math:`\tau > 0`.
BDA3 = MappingProxyType({"mu_prior": FLAT, "tau_prior": FLAT})

#: The priors of Betancourt's divergences case study, also those of the PyMC, Stan and
#: NumPyro eight-schools examples: :math:`\mu \sim \mathrm{N}(0, 5^2)`,
#: :math:`\tau \sim \mathrm{HalfCauchy}(5)`.
BETANCOURT = MappingProxyType(
    {"mu_prior": stats.norm(0, 5), "tau_prior": stats.halfcauchy(scale=5)}
)


def check_mu_prior(prior: Any, *, normal_only: bool = True) -> Any:
    r"""Check a prior on :math:`\mu`: :data:`FLAT` or a frozen scipy distribution.

    Parameters
    ----------
    prior : Flat or scipy.stats frozen distribution
        The prior.
    normal_only : bool, default True
        Require the normal family (the exact posterior of the normal model is
        conjugate in :math:`\mu` only for a flat or normal prior).

    Returns
    -------
    Flat or scipy.stats frozen distribution
        ``prior`` itself.
    """
    if prior is None:
        raise ValueError(
            "mu_prior must be companion.priors.FLAT or a frozen scipy.stats prior; got None"
        )
    if prior is FLAT:
        return prior
    return check_frozen(prior, "mu_prior", family="norm" if normal_only else None)


def check_tau_prior(prior: Any) -> Any:
    r"""Check a prior on :math:`\tau`: :data:`FLAT` or a distribution on :math:`[0, \infty)`.

    Parameters
    ----------
    prior : Flat or scipy.stats frozen distribution
        The prior.

    Returns
    -------
    Flat or scipy.stats frozen distribution
        ``prior`` itself.
    """
    if prior is None:
        raise ValueError(
            "tau_prior must be companion.priors.FLAT or a frozen scipy.stats prior; got None"
        )
    if prior is FLAT:
        return prior
    return check_frozen(prior, "tau_prior", lower=0.0)


class _RootOfVariance(stats.rv_continuous):
    r"""The distribution of :math:`\tau = \sqrt{V}` for a variance :math:`V` (class attribute)."""

    _variance: Any = None

    def _pdf(self, x: np.ndarray) -> np.ndarray:
        return self._variance.pdf(x**2) * 2 * x

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return self._variance.logpdf(x**2) + np.log(2 * x)

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        return self._variance.cdf(x**2)

    def _sf(self, x: np.ndarray) -> np.ndarray:
        return self._variance.sf(x**2)

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        return np.sqrt(self._variance.ppf(q))

    def _isf(self, q: np.ndarray) -> np.ndarray:
        return np.sqrt(self._variance.isf(q))


def tau_prior_from_variance(variance_prior: Any) -> Any:
    r"""Return the prior on :math:`\tau` induced by a prior on the variance :math:`\tau^2`.

    If :math:`V = \tau^2` has density :math:`p_V`, then :math:`\tau = \sqrt V` has

    .. math::

        p(\tau) = p_V(\tau^2)\, \left|\frac{d\tau^2}{d\tau}\right| = 2\tau\, p_V(\tau^2),
        \qquad \Pr(\tau \le t) = \Pr(V \le t^2).

    For example an inverse-gamma :math:`(\epsilon, \epsilon)` prior on :math:`\tau^2`
    :cite:p:`gelman2006prior` is
    ``tau_prior_from_variance(scipy.stats.invgamma(eps, scale=eps))``.

    Parameters
    ----------
    variance_prior : scipy.stats frozen continuous distribution
        The prior on :math:`\tau^2`; its support must lie in :math:`[0, \infty)`.

    Returns
    -------
    scipy.stats frozen distribution
        The prior on :math:`\tau`, usable wherever a ``tau_prior`` is taken.

    Examples
    --------
    >>> from scipy import stats
    >>> from companion.priors import tau_prior_from_variance
    >>> prior = tau_prior_from_variance(stats.invgamma(1.0, scale=1.0))
    >>> round(float(prior.cdf(2.0)), 6) == round(float(stats.invgamma(1.0).cdf(4.0)), 6)
    True
    """
    check_frozen(variance_prior, "variance_prior", lower=0.0)
    name = f"sqrt_of_{variance_prior.dist.name}"
    family = type(
        f"RootOf_{variance_prior.dist.name}", (_RootOfVariance,), {"_variance": variance_prior}
    )
    low, high = (float(v) for v in variance_prior.support())
    return family(a=np.sqrt(max(low, 0.0)), b=np.sqrt(high), name=name)()


@dataclass(frozen=True)
class PowerHyperprior:
    r"""The beta-binomial hyperprior :math:`p(\alpha, \beta) \propto (\alpha + \beta)^k`.

    BDA3's choice :math:`k = -5/2` (:data:`BDA3_HYPERPRIOR`) is uniform on the
    population mean :math:`\alpha/(\alpha+\beta)` and on :math:`(\alpha+\beta)^{-1/2}`.
    With :math:`G` groups whose counts satisfy :math:`0 < y_j < n_j`, the posterior is
    proper exactly when :math:`-(2 + G) < k < -2`.

    Attributes
    ----------
    exponent : float
        The power :math:`k`.
    """

    exponent: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "exponent", float(as_finite(self.exponent, "exponent", ndim=0)))

    def logpdf(self, alpha: ArrayLike, beta: ArrayLike) -> np.ndarray:
        r"""Return :math:`k \log(\alpha + \beta)`, the log density up to a constant.

        Parameters
        ----------
        alpha, beta : array_like
            Positive hyperparameters (broadcast against each other).
        """
        return self.exponent * np.log(np.asarray(alpha) + np.asarray(beta))


#: BDA3's hyperprior for the rat tumours, :math:`(\alpha + \beta)^{-5/2}`.
BDA3_HYPERPRIOR = PowerHyperprior(-2.5)


@dataclass(frozen=True)
class MeanConcentrationHyperprior:
    r"""A beta-binomial hyperprior on the population mean and concentration.

    With :math:`m = \alpha/(\alpha+\beta)` and :math:`s = \alpha + \beta`, independent
    priors :math:`p_m` and :math:`p_s` give, through the Jacobian
    :math:`|\partial(m, s)/\partial(\alpha, \beta)| = 1/s`,

    .. math::

        p(\alpha, \beta) = p_m\!\Big(\frac{\alpha}{\alpha+\beta}\Big)\,
        \frac{p_s(\alpha + \beta)}{\alpha + \beta},

    a proper prior when :math:`p_m` and :math:`p_s` are. The prior of the Stan case study
    on repeated binary trials (Carpenter 2016) is
    ``MeanConcentrationHyperprior(stats.pareto(1.5))``: :math:`m` uniform and
    :math:`s \sim \mathrm{Pareto}(1, 1.5)`, that is :math:`(\alpha+\beta)^{-7/2}` on
    :math:`\alpha + \beta \ge 1`, one power steeper than BDA3's
    :math:`(\alpha+\beta)^{-5/2}` (which is :math:`p(m, s) \propto s^{-3/2}`).

    Attributes
    ----------
    concentration : scipy.stats frozen distribution
        The prior of :math:`s = \alpha + \beta`, on :math:`(0, \infty)`.
    mean : scipy.stats frozen distribution, default uniform on [0, 1]
        The prior of :math:`m = \alpha / (\alpha + \beta)`.

    Examples
    --------
    >>> from scipy import stats
    >>> prior = MeanConcentrationHyperprior(stats.pareto(1.5))
    >>> round(float(prior.logpdf(2.0, 2.0) - prior.logpdf(1.0, 1.0)), 6)  # -3.5 log 2
    -2.426015
    """

    concentration: Any
    mean: Any = field(default_factory=stats.uniform)

    def logpdf(self, alpha: ArrayLike, beta: ArrayLike) -> np.ndarray:
        r"""Return :math:`\log p(\alpha, \beta)`, normalized (``-inf`` outside the support).

        Parameters
        ----------
        alpha, beta : array_like
            Positive hyperparameters (broadcast against each other).
        """
        a, b = np.broadcast_arrays(np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float))
        total = a + b
        with np.errstate(divide="ignore"):
            return self.mean.logpdf(a / total) + self.concentration.logpdf(total) - np.log(total)


#: The proper hyperprior of the Stan case study on repeated binary trials.
STAN_CASE_STUDY_HYPERPRIOR = MeanConcentrationHyperprior(stats.pareto(1.5))
