r"""Brute-force checks of the closed forms of the hierarchical beta-binomial model.

The model of the rat-tumour chapter (:mod:`companion.beta_binomial`):

.. math::

    y_j \mid \theta_j \sim \mathrm{Bin}(n_j, \theta_j), \qquad
    \theta_j \mid \alpha, \beta \sim \mathrm{Beta}(\alpha, \beta), \qquad
    p(\alpha, \beta) \propto (\alpha + \beta)^{k}.

The brute force integrates over each rate :math:`\theta_j \in (0, 1)` the unnormalized
densities :math:`\theta^{a-1}(1-\theta)^{b-1}` themselves, by tanh-sinh quadrature
(:func:`companion.checks.integrate.log_integral_from_zero`), with no gamma or beta
function anywhere: :func:`log_beta_integral` and :func:`beta_moments`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from companion import beta_binomial
from companion._validate import (
    as_binomial_data,
    as_finite,
    as_positive,
    check_choice,
    check_same_length,
)
from companion.checks.integrate import (
    locate_peak,
    log_integral,
    log_integral_from_zero,
)
from companion.checks.result import (
    CheckResult,
    compare_log_densities,
    compare_moments,
    read_candidate,
    read_candidate_pair,
    read_tolerance,
)
from companion.priors import BDA3_HYPERPRIOR, PowerHyperprior

__all__ = [
    "beta_moments",
    "check_beta_binomial_conditional",
    "check_beta_binomial_marginal",
    "check_beta_binomial_tail",
    "check_jacobian",
    "log_beta_integral",
]


class Hyperprior(Protocol):
    r"""A hyperprior on :math:`(\alpha, \beta)`, such as a power of :math:`\alpha + \beta`."""

    def logpdf(self, alpha: ArrayLike, beta: ArrayLike) -> np.ndarray:
        """Return the log density up to a constant.

        Parameters
        ----------
        alpha, beta : array_like
            The hyperparameters, broadcast together.

        Returns
        -------
        numpy.ndarray
            The log density.
        """
        ...


def _read_hyperprior(hyperprior: Hyperprior) -> Hyperprior:
    if not callable(getattr(hyperprior, "logpdf", None)):
        raise ValueError(
            "hyperprior must have a logpdf(alpha, beta) method, for example "
            f"companion.priors.PowerHyperprior(-2.5); got {hyperprior!r}"
        )
    return hyperprior


# --- integrals over a rate ----------------------------------------------------------------------


def _read_exponents(a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = as_positive(a, "a", ndim=np.ndim(a))
    b = as_positive(b, "b", ndim=np.ndim(b))
    return tuple(np.broadcast_arrays(a, b))


def _split_point(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the mode of t^(a-1) (1-t)^(b-1) if it is inside (0, 1), else the mean a / (a + b)."""
    inside = (a > 1.0) & (b > 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(inside, (a - 1.0) / (a + b - 2.0), a / (a + b))


def _log_kernel(
    t: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """Return log[t^(a-1) (1-t)^(b-1) (c-t)^k] on (0, c); k = 0 leaves out the last factor."""
    with np.errstate(divide="ignore"):
        value = (a - 1.0) * np.log(t) + (b - 1.0) * np.log1p(-t)
        return value + np.where(k == 0, 0.0, k * np.log(c - t))


def _log_beta_pieces(a: np.ndarray, b: np.ndarray, orders: tuple[int, ...]) -> np.ndarray:
    r"""Return :math:`\log \int` of :math:`|t - c|^k t^{a-1} (1-t)^{b-1}` on each side of c.

    Shape ``(len(orders), 2) + a.shape``: side 0 is :math:`(0, c)`, side 1 is
    :math:`(c, 1)`, integrated in :math:`s = 1 - t` so that both singular ends
    (:math:`t^{a-1}` at 0, :math:`(1-t)^{b-1}` at 1) sit at the lower limit 0 of
    tanh-sinh, where its nodes are exact. By symmetry the right piece is the left one
    with :math:`(a, b, c)` replaced by :math:`(b, a, 1 - c)`.
    """
    c = _split_point(a, b)
    k = np.asarray(orders, dtype=float).reshape((-1, 1) + (1,) * a.ndim)
    first = np.stack([a, b])
    second = np.stack([b, a])
    upper = np.stack([c, 1.0 - c])
    shape = np.broadcast_shapes(k.shape, first.shape)
    return log_integral_from_zero(
        _log_kernel,
        np.broadcast_to(upper, shape),
        args=(first, second, upper, k),
    )


def log_beta_integral(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    r"""Return :math:`\log \int_0^1 t^{a-1}(1-t)^{b-1}\, dt` by quadrature, elementwise.

    .. math::

        \int_0^1 t^{a-1}(1-t)^{b-1}\, dt = \int_0^{c} t^{a-1}(1-t)^{b-1}\, dt
        + \int_0^{1-c} s^{b-1}(1-s)^{a-1}\, ds,

    split at the mode :math:`c = (a-1)/(a+b-2)` (or the mean :math:`a/(a+b)` when the
    mode is at an end) and each piece integrated by tanh-sinh quadrature from its
    singular end. This is the Beta function :math:`B(a, b)`, computed without it.

    Parameters
    ----------
    a, b : array_like
        Positive exponents, broadcast together.

    Returns
    -------
    numpy.ndarray
        The log integrals, of the broadcast shape.

    Examples
    --------
    >>> import math
    >>> from companion.checks.beta_binomial import log_beta_integral
    >>> abs(float(log_beta_integral(0.5, 0.5)) - math.log(math.pi)) < 1e-14
    True
    """
    a, b = _read_exponents(a, b)
    pieces = _log_beta_pieces(a, b, (0,))[0]
    return np.logaddexp(pieces[0], pieces[1])


def beta_moments(a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean and variance of the density proportional to :math:`t^{a-1}(1-t)^{b-1}`, by quadrature.

    With :math:`I_k = \int_0^1 (t - c)^k t^{a-1}(1-t)^{b-1}\, dt` about the split point
    :math:`c` of :func:`log_beta_integral` (each side by tanh-sinh quadrature),

    .. math::

        E[t] = c + \frac{I_1}{I_0}, \qquad
        \mathrm{var}(t) = \frac{I_2}{I_0} - \left(\frac{I_1}{I_0}\right)^2 .

    Parameters
    ----------
    a, b : array_like
        Positive exponents, broadcast together.

    Returns
    -------
    tuple of numpy.ndarray
        The means and the variances, of the broadcast shape.

    Examples
    --------
    >>> from companion.checks.beta_binomial import beta_moments
    >>> mean, var = beta_moments(2.0, 3.0)  # Beta(2, 3): 2/5 and 1/25
    >>> round(float(mean), 12), round(float(var), 12)
    (0.4, 0.04)
    """
    a, b = _read_exponents(a, b)
    pieces = _log_beta_pieces(a, b, (0, 1, 2))
    log_mass = np.logaddexp(pieces[0, 0], pieces[0, 1])
    first = np.exp(pieces[1, 1] - log_mass) - np.exp(pieces[1, 0] - log_mass)
    second = np.exp(np.logaddexp(pieces[2, 0], pieces[2, 1]) - log_mass)
    return _split_point(a, b) + first, second - first**2


# --- checks -------------------------------------------------------------------------------------


def check_beta_binomial_conditional(
    successes: ArrayLike,
    trials: ArrayLike,
    alpha: float,
    beta: float,
    *,
    candidate: tuple[ArrayLike, ArrayLike] | None = None,
    tolerance: float = 1e-8,
) -> CheckResult:
    r"""Check :math:`\theta_j \mid \alpha, \beta, y \sim \mathrm{Beta}(\alpha+y_j, \beta+n_j-y_j)`.

    Brute force: mean and variance of the unnormalized density
    :math:`\theta^{\alpha-1}(1-\theta)^{\beta-1}\,\theta^{y_j}(1-\theta)^{n_j-y_j}`
    (prior times likelihood) by quadrature
    (``companion.checks.beta_binomial.beta_moments``). Closed form: the moments of the
    Beta distribution, :math:`a/(a+b)` and :math:`ab/((a+b)^2(a+b+1))`.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.
    alpha, beta : float
        Positive hyperparameters.
    candidate : tuple (mean, sd), optional
        Closed-form posterior means and standard deviations to judge instead.
    tolerance : float, default 1e-8
        Largest accepted :math:`|\Delta\text{mean}|/\text{sd}` or relative variance error.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> from companion.checks import check_beta_binomial_conditional
    >>> check_beta_binomial_conditional([4], [14], 1.4, 8.6).passed
    True
    """
    y, n = as_binomial_data(successes, trials)
    alpha = float(as_positive(alpha, "alpha", ndim=0))
    beta = float(as_positive(beta, "beta", ndim=0))
    tolerance = read_tolerance(tolerance)
    a, b = alpha + y, beta + n - y
    if candidate is None:
        closed = (a / (a + b), np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))))
    else:
        closed = read_candidate_pair(candidate, y.size)
    return compare_moments(
        {"y": y, "n": n},
        closed,
        beta_moments(a, b),
        candidate=candidate is not None,
        what=f"theta_j | alpha={alpha:g}, beta={beta:g}, y",
        tolerance=tolerance,
    )


def check_beta_binomial_marginal(
    successes: ArrayLike,
    trials: ArrayLike,
    alpha: ArrayLike,
    beta: ArrayLike,
    *,
    hyperprior: Hyperprior = BDA3_HYPERPRIOR,
    candidate: ArrayLike | None = None,
    tolerance: float = 1e-8,
) -> CheckResult:
    r"""Check the closed form of :math:`\log p(\alpha, \beta \mid y)` by quadrature over each rate.

    Closed form: :func:`companion.beta_binomial.log_marginal_posterior`,

    .. math::

        p(\alpha, \beta \mid y) \propto p(\alpha, \beta) \prod_{j=1}^{J}
        \frac{\Gamma(\alpha+\beta)\,\Gamma(\alpha+y_j)\,\Gamma(\beta+n_j-y_j)}
             {\Gamma(\alpha)\,\Gamma(\beta)\,\Gamma(\alpha+\beta+n_j)} .

    Brute force: the log hyperprior plus the sum over groups of
    :math:`\log \int_0^1 \theta^{\alpha+y_j-1}(1-\theta)^{\beta+n_j-y_j-1}\,d\theta -
    \log \int_0^1 \theta^{\alpha-1}(1-\theta)^{\beta-1}\,d\theta`, every integral by
    quadrature (``companion.checks.beta_binomial.log_beta_integral``; no gamma function
    anywhere). The binomial coefficients are dropped from both. Compared up to an
    additive constant.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.
    alpha, beta : array_like, shape (K,)
        At least two points :math:`(\alpha, \beta)`, both positive.
    hyperprior : companion.priors.PowerHyperprior, default BDA3's
        :math:`(\alpha + \beta)^{k}`; any object with ``logpdf(alpha, beta)`` works.
    candidate : array_like, shape (K,), optional
        Log densities (any constant) to judge instead of companion's.
    tolerance : float, default 1e-8
        Largest accepted spread of the difference of the two log densities.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> from companion.checks import check_beta_binomial_marginal
    >>> check_beta_binomial_marginal([1, 3, 0], [10, 12, 8], [1.0, 2.0], [5.0, 9.0]).passed
    True
    """
    y, n = as_binomial_data(successes, trials)
    alpha = as_positive(alpha, "alpha")
    beta = as_positive(beta, "beta")
    check_same_length(alpha=alpha, beta=beta)
    if alpha.size < 2:
        raise ValueError(
            f"alpha must hold at least two values (densities are unnormalized); got {alpha!r}"
        )
    hyperprior = _read_hyperprior(hyperprior)
    tolerance = read_tolerance(tolerance)
    if candidate is None:
        closed = beta_binomial.log_marginal_posterior(y, n, alpha, beta, hyperprior=hyperprior)
    else:
        closed = read_candidate(candidate, alpha.shape)
    pairs, counts = np.unique(np.stack([y, n - y], axis=1), axis=0, return_counts=True)
    prior_rate = log_beta_integral(alpha, beta)
    groups = log_beta_integral(alpha[:, None] + pairs[:, 0], beta[:, None] + pairs[:, 1])
    brute = np.asarray(hyperprior.logpdf(alpha, beta), dtype=float)
    brute = brute + (groups - prior_rate[:, None]) @ counts
    return compare_log_densities(
        {"alpha": alpha, "beta": beta},
        closed,
        brute,
        candidate=candidate is not None,
        what="log p(alpha, beta | y)",
        tolerance=tolerance,
    )


def _to_alpha_beta(u: np.ndarray, v: np.ndarray, coordinates: str) -> tuple[np.ndarray, np.ndarray]:
    """Map the transformed coordinates back to (alpha, beta)."""
    if coordinates == "log-ratio":  # (u, v) = (log(alpha/beta), log(alpha + beta))
        total = np.exp(v)
        return total * special.expit(u), total * special.expit(-u)
    total = v**-2.0  # "mean-root": (u, v) = (alpha/(alpha+beta), (alpha+beta)^(-1/2))
    return u * total, (1.0 - u) * total


def check_jacobian(
    u: ArrayLike,
    v: ArrayLike,
    *,
    coordinates: str = "log-ratio",
    candidate: ArrayLike | None = None,
    step: float = 1e-6,
    tolerance: float = 1e-7,
) -> CheckResult:
    r"""Check the Jacobian :math:`|\partial(\alpha, \beta)/\partial(u, v)|` by finite differences.

    Two coordinate systems of the beta-binomial chapter:

    ``"log-ratio"``
        :math:`u = \log(\alpha/\beta)`, :math:`v = \log(\alpha + \beta)`, so
        :math:`\alpha = e^{v}/(1 + e^{-u})`, :math:`\beta = e^{v}/(1 + e^{u})` and

        .. math:: \left|\frac{\partial(\alpha, \beta)}{\partial(u, v)}\right| = \alpha\beta .

    ``"mean-root"``
        :math:`u = \alpha/(\alpha+\beta)`, :math:`v = (\alpha+\beta)^{-1/2}`, so
        :math:`\alpha = u v^{-2}`, :math:`\beta = (1-u) v^{-2}` and

        .. math:: \left|\frac{\partial(\alpha, \beta)}{\partial(u, v)}\right|
            = 2 (\alpha+\beta)^{5/2},

        which is why a uniform density on these coordinates is the hyperprior
        :math:`p(\alpha, \beta) \propto (\alpha+\beta)^{-5/2}`.

    Brute force: the determinant of the matrix of central differences with a step of
    ``step`` times the size of each coordinate.

    Parameters
    ----------
    u, v : array_like, shape (K,)
        Points in the transformed coordinates.
    coordinates : {"log-ratio", "mean-root"}, default "log-ratio"
        Which map to check.
    candidate : array_like, shape (K,), optional
        Values of the Jacobian to judge instead of the closed form.
    step : float, default 1e-6
        Relative finite-difference step.
    tolerance : float, default 1e-7
        Largest accepted relative error.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> from companion.checks import check_jacobian
    >>> check_jacobian([-1.8, 0.0], [2.8, 1.0]).passed
    True
    >>> check_jacobian([0.1, 0.5], [0.2, 0.05], coordinates="mean-root").passed
    True
    """
    coordinates = check_choice(coordinates, "coordinates", ("log-ratio", "mean-root"))
    u = as_finite(u, "u")
    v = as_finite(v, "v")
    check_same_length(u=u, v=v)
    if coordinates == "mean-root":
        bad = (u <= 0) | (u >= 1) | (v <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"mean-root coordinates need 0 < u < 1 and v > 0; got u[{i}]={u[i]}, v[{i}]={v[i]}"
            )
    rel = float(as_positive(step, "step", ndim=0))
    tolerance = read_tolerance(tolerance)
    hu, hv = rel * np.maximum(np.abs(u), 1.0), rel * np.maximum(np.abs(v), 1.0)
    if coordinates == "mean-root":
        hu, hv = rel * np.minimum(u, 1 - u), rel * v
    alpha, beta = _to_alpha_beta(u, v, coordinates)
    a_up, b_up = _to_alpha_beta(u + hu, v, coordinates)
    a_dn, b_dn = _to_alpha_beta(u - hu, v, coordinates)
    a_rt, b_rt = _to_alpha_beta(u, v + hv, coordinates)
    a_lt, b_lt = _to_alpha_beta(u, v - hv, coordinates)
    da_du, db_du = (a_up - a_dn) / (2 * hu), (b_up - b_dn) / (2 * hu)
    da_dv, db_dv = (a_rt - a_lt) / (2 * hv), (b_rt - b_lt) / (2 * hv)
    brute = np.abs(da_du * db_dv - da_dv * db_du)
    if candidate is not None:
        closed = read_candidate(candidate, u.shape)
    elif coordinates == "log-ratio":
        closed = alpha * beta
    else:
        closed = 2.0 * (alpha + beta) ** 2.5
    table = pd.DataFrame(
        {
            "u": u,
            "v": v,
            "alpha": alpha,
            "beta": beta,
            "Jacobian (closed)": closed,
            "Jacobian (finite differences)": brute,
        }
    )
    return CheckResult(
        candidate=candidate is not None,
        what=f"|d(alpha, beta)/d(u, v)|, {coordinates} coordinates",
        table=table,
        error=float(np.max(np.abs(closed / brute - 1))),
        tolerance=tolerance,
        measure="max relative error",
    )


def check_beta_binomial_tail(
    successes: ArrayLike,
    trials: ArrayLike,
    *,
    total: ArrayLike = (1e5, 1e6, 1e7),
    hyperprior: PowerHyperprior = BDA3_HYPERPRIOR,
    tolerance: float = 1e-2,
) -> CheckResult:
    r"""Check the tail :math:`s^{k+1}` of :math:`p(s \mid y)` under the prior :math:`s^k`.

    With :math:`s = \alpha + \beta` and :math:`m = \alpha/(\alpha+\beta)`, so that
    :math:`d\alpha\,d\beta = s\,dm\,ds`,

    .. math::

        p(s \mid y) = \int_0^1 p(\alpha = ms, \beta = (1-m)s \mid y)\, s\, dm,

    and as :math:`s \to \infty` the likelihood tends to
    :math:`\prod_j m^{y_j}(1-m)^{n_j-y_j}` (complete pooling), so
    :math:`p(s \mid y) \sim s^{k+1}`: :math:`s^{-3/2}` for BDA3's :math:`k = -5/2`,
    integrable but with infinite mean. The inner integral is computed by tanh-sinh
    quadrature over :math:`w = \operatorname{logit} m`, around its numerically located
    mode, of the closed-form marginal (checked separately by
    :func:`check_beta_binomial_marginal`); the check compares the local slopes of
    :math:`\log p(s \mid y)` against :math:`\log s` with :math:`k + 1`.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.
    total : array_like, default (1e5, 1e6, 1e7)
        Increasing values of :math:`s = \alpha + \beta`, at least two.
    hyperprior : companion.priors.PowerHyperprior, default BDA3's
        The hyperprior :math:`(\alpha + \beta)^{k}`; its exponent :math:`k` gives the
        predicted slope, so it must be a power.
    tolerance : float, default 1e-2
        Largest accepted error of the last slope.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> from companion.checks import check_beta_binomial_tail
    >>> check_beta_binomial_tail([1, 3, 0, 5], [10, 12, 8, 11]).passed
    True
    """
    y, n = as_binomial_data(successes, trials)
    s = as_positive(total, "total")
    if s.size < 2 or np.any(np.diff(s) <= 0):
        raise ValueError(f"total must hold at least two increasing values; got {s!r}")
    if not isinstance(hyperprior, PowerHyperprior):
        raise ValueError(
            "hyperprior must be a companion.priors.PowerHyperprior (the predicted slope is "
            f"its exponent + 1); got {hyperprior!r}"
        )
    tolerance = read_tolerance(tolerance)

    def _log_f(w: np.ndarray, total: np.ndarray) -> np.ndarray:
        m = special.expit(w)
        value = beta_binomial.log_marginal_posterior(
            y, n, m * total, (1 - m) * total, hyperprior=hyperprior
        )
        return value + np.log(total) + special.log_expit(w) + special.log_expit(-w)

    pooled = float(special.logit((y.sum() + 0.5) / (n.sum() + 1.0)))
    peak = locate_peak(_log_f, pooled, 1.0, args=(s,))
    log_p = log_integral(_log_f, peak, args=(s,))
    slope = np.append(np.nan, np.diff(log_p) / np.diff(np.log(s)))
    predicted = hyperprior.exponent + 1.0
    table = pd.DataFrame(
        {
            "alpha + beta": s,
            "log density": log_p,
            "slope": slope,
            "predicted slope": predicted,
        }
    )
    return CheckResult(
        what=f"tail of p(alpha + beta | y) under (alpha + beta)^{hyperprior.exponent:g}",
        table=table,
        error=float(abs(slope[-1] - predicted)),
        tolerance=tolerance,
        measure="|last slope - predicted|",
        x="alpha + beta",
    )
