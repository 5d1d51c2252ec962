r"""Classical meta-analysis of two-arm trials: log odds ratios, fixed and random effects.

Each trial :math:`j = 1, \ldots, k` reports :math:`d_{tj}` deaths among
:math:`n_{tj}` treated patients and :math:`d_{cj}` among :math:`n_{cj}` controls. On
the log-odds scale (BDA3 Section 5.6) the trial's estimate :math:`y_j` is
approximately normal around its true effect :math:`\theta_j`, with a standard error
:math:`\sigma_j` treated as known:

.. math::

    y_j \mid \theta_j \sim \mathrm{N}(\theta_j, \sigma_j^2), \qquad
    \theta_j \mid \mu, \tau \sim \mathrm{N}(\mu, \tau^2).

:func:`log_odds_ratios` turns the counts into :math:`(y_j, \sigma_j)`, which is exactly
what :func:`companion.normal_normal.tau_posterior` takes for the exact Bayesian
analysis. :func:`fixed_effect` (:math:`\tau = 0`) and :func:`random_effects`
(:math:`\tau` estimated by DerSimonian-Laird or Paule-Mandel) are the classical
counterparts; both delegate the arithmetic to
:func:`statsmodels.stats.meta_analysis.combine_effects`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from companion._validate import (
    as_counts,
    as_finite,
    as_normal_data,
    check_choice,
    check_same_length,
    check_trials,
)

__all__ = [
    "FixedEffect",
    "RandomEffects",
    "fixed_effect",
    "log_odds_ratios",
    "random_effects",
]

_METHODS = ("dl", "pm")


def _check_correction(correction: Any) -> float | None:
    """``None`` or a finite continuity correction > 0."""
    if correction is None:
        return None
    if isinstance(correction, bool):
        raise ValueError(f"correction must be a number > 0 or None; got {correction!r}")
    value = float(as_finite(correction, "correction", ndim=0))
    if value <= 0:
        raise ValueError(f"correction must be > 0 (or None for no correction); got {value!r}")
    return value


def _check_probability(probability: Any) -> float:
    value = float(as_finite(probability, "probability", ndim=0))
    if not 0.0 < value < 1.0:
        raise ValueError(f"probability must lie strictly between 0 and 1; got {probability!r}")
    return value


def log_odds_ratios(
    treated_events: ArrayLike,
    treated_total: ArrayLike,
    control_events: ArrayLike,
    control_total: ArrayLike,
    *,
    correction: float | None = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Empirical log odds ratio of each trial and its large-sample standard error.

    With :math:`d_t` events among :math:`n_t` treated patients and :math:`d_c` among
    :math:`n_c` controls (BDA3 eqs. 5.23-5.24),

    .. math::

        y_j = \log\frac{d_{tj}}{n_{tj} - d_{tj}} - \log\frac{d_{cj}}{n_{cj} - d_{cj}},
        \qquad
        \sigma_j^2 = \frac{1}{d_{tj}} + \frac{1}{n_{tj} - d_{tj}}
        + \frac{1}{d_{cj}} + \frac{1}{n_{cj} - d_{cj}},

    the delta-method variance of :math:`y_j`. Negative values favour the treatment.

    Parameters
    ----------
    treated_events, treated_total : array_like of int, shape (k,)
        Events (deaths) and patients in the treated arm of each trial.
    control_events, control_total : array_like of int, shape (k,)
        Events and patients in the control arm.
    correction : float or None, default 0.5
        Continuity correction for a trial with a zero cell (no events, or no
        non-events, in an arm): ``correction`` is added to all four cells of that
        trial only, the Haldane-Anscombe choice when 0.5. Trials without a zero cell
        are left exact. ``None`` raises instead of correcting.

    Returns
    -------
    tuple of numpy.ndarray
        ``(y, sigma)``, each of shape ``(k,)``: the pair that
        :func:`fixed_effect`, :func:`random_effects` and
        :func:`companion.normal_normal.tau_posterior` take.

    Raises
    ------
    ValueError
        For counts that are negative or not whole, events above patients, arms of
        different lengths, an arm with no patients, a trial with no events in both
        arms (or no non-events in both arms, which carries no information on the odds
        ratio), a correction that is not > 0, or a zero cell with ``correction=None``.

    Notes
    -----
    statsmodels 0.15 has the same effect size in
    :func:`statsmodels.stats.meta_analysis.effectsize_2proportions`, but its float
    ``zero_correction`` adds the correction to the event count of every trial while
    enlarging only the trials with a zero cell, which moves the log odds ratios of
    trials that need no correction (trial 1 of the beta-blocker data: 0.0286 for the
    exact 0.0282). The four cells are therefore corrected and combined here directly.

    A trial with no events in either arm is rejected rather than corrected: the
    correction would fabricate an odds ratio of 1 with a finite standard error from a
    table that says nothing about it. Leave such trials out, or model the counts
    directly.

    Examples
    --------
    >>> from companion.datasets import beta_blockers
    >>> from companion.meta_analysis import log_odds_ratios
    >>> d = beta_blockers()
    >>> y, sigma = log_odds_ratios(
    ...     d["treated_deaths"], d["treated_total"], d["control_deaths"], d["control_total"]
    ... )
    >>> [round(float(v), 3) for v in y[:3]], [round(float(v), 3) for v in sigma[:3]]
    ([0.028, -0.741, -0.541], [0.85, 0.483, 0.565])

    A zero cell gets the correction in all four cells of its trial only: here the first
    trial becomes log[(0.5/10.5) / (3.5/7.5)], the second stays exact:

    >>> y, sigma = log_odds_ratios([0, 5], [10, 10], [3, 4], [10, 10])
    >>> [round(float(v), 4) for v in y]
    [-2.2824, 0.4055]
    """
    correction = _check_correction(correction)
    d_t = as_counts(treated_events, "treated_events")
    n_t = as_counts(treated_total, "treated_total")
    d_c = as_counts(control_events, "control_events")
    n_c = as_counts(control_total, "control_total")
    check_same_length(treated_events=d_t, treated_total=n_t, control_events=d_c, control_total=n_c)
    check_trials(d_t, n_t, ("treated_events", "treated_total"))
    check_trials(d_c, n_c, ("control_events", "control_total"))
    for total, name in ((n_t, "treated_total"), (n_c, "control_total")):
        empty = np.flatnonzero(total == 0)
        if empty.size:
            raise ValueError(
                f"{name} must be >= 1 (an arm with no patients); got {name}[{empty[0]}]=0"
            )
    for no_events, what in (
        ((d_t == 0) & (d_c == 0), "events"),
        ((d_t == n_t) & (d_c == n_c), "non-events"),
    ):
        bad = np.flatnonzero(no_events)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"treated_events and control_events: trial [{i}] has no {what} in either arm "
                f"(treated_events[{i}]={d_t[i]} of {n_t[i]}, control_events[{i}]={d_c[i]} of "
                f"{n_c[i]}), so its table carries no information on the odds ratio; "
                "leave the trial out"
            )
    zero_cell = (d_t == 0) | (d_t == n_t) | (d_c == 0) | (d_c == n_c)
    if correction is None and zero_cell.any():
        i = int(np.flatnonzero(zero_cell)[0])
        raise ValueError(
            f"correction=None, but trial [{i}] has a zero cell (treated_events[{i}]={d_t[i]} "
            f"of {n_t[i]}, control_events[{i}]={d_c[i]} of {n_c[i]}) and its log odds ratio "
            "is infinite; pass a correction such as correction=0.5"
        )
    shift = 0.0 if correction is None else correction * zero_cell
    cells = (d_t + shift, n_t - d_t + shift, d_c + shift, n_c - d_c + shift)
    y = np.log(cells[0]) - np.log(cells[1]) - (np.log(cells[2]) - np.log(cells[3]))
    sigma = np.sqrt(sum(1.0 / cell for cell in cells))
    return y, sigma


@dataclass(frozen=True)
class FixedEffect:
    r"""The inverse-variance (fixed-effect, :math:`\tau = 0`) estimate of a common effect.

    Attributes
    ----------
    estimate, se : float
        :math:`\hat\mu_{\mathrm{FE}}` and its standard error.
    ci_low, ci_high : float
        Normal confidence interval :math:`\hat\mu_{\mathrm{FE}} \pm z\, \mathrm{se}`.
    probability : float
        Coverage of the interval.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    probability: float


@dataclass(frozen=True)
class RandomEffects:
    r"""A classical random-effects estimate of the mean effect and the spread of effects.

    Attributes
    ----------
    method : str
        ``"dl"`` (DerSimonian-Laird) or ``"pm"`` (Paule-Mandel), the estimator of
        :math:`\tau^2`.
    estimate, se : float
        :math:`\hat\mu` and its standard error :math:`(\sum_j w_j^*)^{-1/2}`.
    ci_low, ci_high : float
        Normal confidence interval for :math:`\mu`.
    tau2 : float
        :math:`\hat\tau^2 \ge 0`.
    pi_low, pi_high : float
        Prediction interval for the true effect :math:`\theta_{\mathrm{new}}` of a new
        trial (see :func:`random_effects`).
    q : float
        Cochran's heterogeneity statistic :math:`Q`.
    df : int
        :math:`k - 1`.
    i2 : float
        :math:`I^2 = \max(0, (Q - (k-1))/Q)`.
    probability : float
        Coverage of both intervals.
    """

    method: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    pi_low: float
    pi_high: float
    q: float
    df: int
    i2: float
    probability: float

    @property
    def tau(self) -> float:
        r"""The estimated between-trial standard deviation :math:`\hat\tau`."""
        return math.sqrt(self.tau2)


def _combine(y: np.ndarray, sigma: np.ndarray, method: str, alpha: float) -> Any:
    # With one trial statsmodels divides 0 by 0 in Q-based statistics we do not use.
    with np.errstate(divide="ignore", invalid="ignore"):
        return combine_effects(y, sigma**2, method_re=method, use_t=False, alpha=alpha)


def fixed_effect(y: ArrayLike, sigma: ArrayLike, *, probability: float = 0.95) -> FixedEffect:
    r"""Inverse-variance fixed-effect estimate of a common effect :math:`\mu`.

    With weights :math:`w_j = 1/\sigma_j^2`,

    .. math::

        \hat\mu_{\mathrm{FE}} = \frac{\sum_j w_j y_j}{\sum_j w_j}, \qquad
        \mathrm{se}(\hat\mu_{\mathrm{FE}}) = \Big(\sum_j w_j\Big)^{-1/2},

    the same numbers as the complete-pooling posterior
    :func:`companion.normal_normal.pooled_estimate` under a flat prior. Computed by
    :func:`statsmodels.stats.meta_analysis.combine_effects`.

    Parameters
    ----------
    y, sigma : array_like, shape (k,)
        Estimates and their standard errors (``sigma > 0``).
    probability : float, default 0.95
        Coverage of the normal confidence interval.

    Returns
    -------
    FixedEffect

    Examples
    --------
    >>> from companion.meta_analysis import fixed_effect
    >>> fe = fixed_effect([1.0, 3.0], [1.0, 1.0])
    >>> fe.estimate, round(fe.se, 4), round(fe.ci_low, 3)
    (2.0, 0.7071, 0.614)
    """
    y, sigma = as_normal_data(y, sigma)
    probability = _check_probability(probability)
    res = _combine(y, sigma, "dl", 1 - probability)
    low, high = res.conf_int(alpha=1 - probability, use_t=False)[0]
    return FixedEffect(
        estimate=float(res.mean_effect_fe),
        se=float(res.sd_eff_w_fe),
        ci_low=float(low),
        ci_high=float(high),
        probability=probability,
    )


def random_effects(
    y: ArrayLike, sigma: ArrayLike, *, method: str = "dl", probability: float = 0.95
) -> RandomEffects:
    r"""Random-effects estimate of the mean effect, with a prediction interval for a new trial.

    With :math:`w_j = 1/\sigma_j^2`, Cochran's
    :math:`Q = \sum_j w_j (y_j - \hat\mu_{\mathrm{FE}})^2` and the DerSimonian-Laird
    moment estimator

    .. math::

        \hat\tau^2_{\mathrm{DL}} = \max\!\left(0,\;
        \frac{Q - (k - 1)}{\sum_j w_j - \sum_j w_j^2 / \sum_j w_j}\right),

    (or the Paule-Mandel estimator, which solves
    :math:`\sum_j w_j^* (y_j - \hat\mu)^2 = k - 1`), the estimate of :math:`\mu` and its
    intervals are

    .. math::

        w_j^* = \frac{1}{\sigma_j^2 + \hat\tau^2}, \qquad
        \hat\mu = \frac{\sum_j w_j^* y_j}{\sum_j w_j^*}, \qquad
        \mathrm{se}(\hat\mu) = \Big(\sum_j w_j^*\Big)^{-1/2},

    .. math::

        \text{CI: } \hat\mu \pm z_{1-\alpha/2}\, \mathrm{se}(\hat\mu), \qquad
        \text{PI: } \hat\mu \pm t_{k-2,\,1-\alpha/2}
        \sqrt{\hat\tau^2 + \mathrm{se}(\hat\mu)^2}.

    The prediction interval, for the true effect of a new trial, is that of Higgins,
    Thompson and Spiegelhalter (2009, J. R. Stat. Soc. A 172, 137-159); statsmodels
    does not give one, so it is formed here from statsmodels' :math:`\hat\mu`,
    :math:`\mathrm{se}(\hat\mu)` and :math:`\hat\tau^2`.

    Parameters
    ----------
    y, sigma : array_like, shape (k,)
        Estimates and their standard errors (``sigma > 0``), ``k >= 3``.
    method : {"dl", "pm"}, default "dl"
        Estimator of :math:`\tau^2`: DerSimonian-Laird or Paule-Mandel.
    probability : float, default 0.95
        Coverage of both intervals (:math:`1 - \alpha`).

    Returns
    -------
    RandomEffects

    Notes
    -----
    Everything except the prediction interval comes from
    :func:`statsmodels.stats.meta_analysis.combine_effects` (``method_re="dl"`` or
    ``"pm"``, normal intervals). Its DerSimonian-Laird :math:`\tau^2` is not
    truncated at zero; when it is negative (:math:`Q < k - 1`) the truncated estimate
    is :math:`\hat\tau^2 = 0` and the random-effects results are the fixed-effect
    ones, which is what is returned.

    Examples
    --------
    >>> from companion.meta_analysis import random_effects
    >>> re = random_effects([0.0, 1.0, 4.0], [1.0, 1.0, 1.0])
    >>> round(re.tau2, 4), round(re.estimate, 4)
    (3.3333, 1.6667)
    """
    y, sigma = as_normal_data(y, sigma)
    method = check_choice(method, "method", _METHODS)
    probability = _check_probability(probability)
    k = y.size
    if k < 3:
        raise ValueError(
            f"y must hold at least 3 trials (the prediction interval uses t with k - 2 "
            f"degrees of freedom); got {k}"
        )
    alpha = 1 - probability
    res = _combine(y, sigma, method, alpha)
    ci_fe, ci_re = res.conf_int(alpha=alpha, use_t=False)[:2]
    tau2 = float(res.tau2)
    if tau2 < 0:  # untruncated DerSimonian-Laird: tau2 = 0 means the fixed-effect fit
        tau2, estimate, se, ci = 0.0, float(res.mean_effect_fe), float(res.sd_eff_w_fe), ci_fe
    else:
        estimate, se, ci = float(res.mean_effect_re), float(res.sd_eff_w_re), ci_re
    t = float(stats.t.isf(alpha / 2, k - 2))
    spread = math.sqrt(tau2 + se**2)
    q = float(res.q)
    return RandomEffects(
        method=method,
        estimate=estimate,
        se=se,
        ci_low=float(ci[0]),
        ci_high=float(ci[1]),
        tau2=tau2,
        pi_low=estimate - t * spread,
        pi_high=estimate + t * spread,
        q=q,
        df=k - 1,
        i2=max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0,
        probability=probability,
    )
