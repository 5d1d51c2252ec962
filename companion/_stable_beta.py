r"""SciPy's beta and beta-binomial, kept accurate at the huge parameters hierarchical grids reach.

A grid over :math:`v = \log(\alpha + \beta)` follows a heavy posterior tail out to
:math:`\alpha + \beta \approx 10^{24}`. There SciPy's ``beta.cdf`` and ``beta.ppf`` return
NaN (from about :math:`10^{17}`) and ``beta.logpdf`` loses its digits (its error is
:math:`2\times10^{-5}` at :math:`a + b = 10^{10}` and 0.5 at :math:`10^{14}`). Where
:math:`\min(a, b) > 10^{10}` the beta is normal to within its skewness,
:math:`2(b-a)/\sqrt{ab(a+b)} < 2\times10^{-5}`, so this module uses the normal with the
same mean and variance there (CDF error below :math:`10^{-6}`), and SciPy elsewhere.
The beta-binomial is evaluated from its exact log-pmf written around the binomial
limit (see ``_StableBetaBinom``), accurate to about :math:`10^{-10}` at any :math:`a + b`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

#: Above this min(a, b) a beta is evaluated by its moment-matched normal.
NORMAL_ABOVE = 1e10


def _scipy(method: str, x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SciPy's beta; the CDFs straight from ``special.betainc`` (the generic path is slow)."""
    if method == "cdf":
        return special.betainc(a, b, x)
    if method == "logcdf":
        with np.errstate(divide="ignore"):
            return np.log(special.betainc(a, b, x))
    return np.asarray(getattr(stats.beta, method)(x, a, b), dtype=float)


def _split(method: str, x: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``stats.beta.<method>(x, a, b)``, with the normal where min(a, b) is huge."""
    xs, a_, b_ = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, a, b)))
    huge = np.minimum(a_, b_) > NORMAL_ABOVE
    if not np.any(huge):
        return _scipy(method, xs, a_, b_)
    out = np.empty(xs.shape)
    small = ~huge
    out[small] = _scipy(method, xs[small], a_[small], b_[small])
    total = a_[huge] + b_[huge]
    mean = a_[huge] / total
    sd = np.sqrt(mean * (1 - mean) / (total + 1))
    values = getattr(stats.norm, method)(xs[huge], mean, sd)
    out[huge] = np.clip(values, 0.0, 1.0) if method in ("ppf", "isf") else values
    return out


class _StableBeta:
    """The methods of ``scipy.stats.beta`` that mixtures and rankings call, kept finite."""

    def cdf(self, x: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        return _split("cdf", x, a, b)

    def logcdf(self, x: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        return _split("logcdf", x, a, b)

    def pdf(self, x: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        return _split("pdf", x, a, b)

    def logpdf(self, x: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        return _split("logpdf", x, a, b)

    def ppf(self, q: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        return _split("ppf", q, a, b)

    def isf(self, q: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        return _split("isf", q, a, b)

    def mean(self, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        return np.asarray(stats.beta.mean(a, b), dtype=float)

    def var(self, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        return np.asarray(stats.beta.var(a, b), dtype=float)

    def rvs(
        self, a: ArrayLike, b: ArrayLike, *, size: Any = None, random_state: Any = None
    ) -> np.ndarray:
        return np.asarray(stats.beta.rvs(a, b, size=size, random_state=random_state))


#: Drop-in for ``scipy.stats.beta`` in the methods above.
stable_beta = _StableBeta()


#: From this parameter on (and for m <= c / 1000), R(m, c) is summed by its series in 1/c.
SERIES_FROM = 1e4


def _log_rising_ratio(m: np.ndarray, c: np.ndarray) -> np.ndarray:
    r"""Return :math:`R(m, c) = \sum_{i<m} \log(1 + i/c)`.

    It equals :math:`\log\Gamma(c+m) - \log\Gamma(c) - m\log c`.

    Where :math:`c \ge 10^4` and :math:`m/c \le 10^{-3}`, the three leading terms of
    :math:`\sum_{j \ge 1} (-1)^{j+1} S_j(m) / (j c^j)` with :math:`S_j(m) = \sum_{i<m} i^j`
    (truncation error below :math:`m^5/(20 c^4) \le 5\times10^{-14}\,m`); elsewhere the
    log-gamma difference, whose rounding error is about :math:`10^{-16}\, c \log c`.
    """
    m, c = np.broadcast_arrays(np.asarray(m, dtype=float), np.asarray(c, dtype=float))
    series = (c >= SERIES_FROM) & (m <= 1e-3 * c)
    out = np.empty(m.shape)
    ms, cs = m[series], c[series]
    s1 = ms * (ms - 1) / 2
    s2 = (ms - 1) * ms * (2 * ms - 1) / 6
    out[series] = s1 / cs - s2 / (2 * cs**2) + s1**2 / (3 * cs**3)
    mg, cg = m[~series], c[~series]
    out[~series] = special.gammaln(cg + mg) - special.gammaln(cg) - mg * np.log(cg)
    return out


class _StableBetaBinom:
    r"""The methods of ``scipy.stats.betabinom`` that mixtures call, accurate for huge a + b.

    SciPy's pmf is computed from differences of log-beta functions and loses its digits as
    :math:`s = a + b` grows (its error is :math:`3\times10^{-5}` at :math:`10^{10}`, and at
    :math:`10^{16}` it is not a distribution). Here, with :math:`p = a/s`,

    .. math::

        \log \mathrm{BetaBin}(k \mid n, a, b) = \log\binom{n}{k} + k \log p + (n-k)\log(1-p)
        + R(k, a) + R(n-k, b) - R(n, s),

    where :math:`R(m, c) = \sum_{i<m}\log(1 + i/c)` tends to 0 as :math:`c \to \infty`
    (the binomial limit).
    """

    def logpmf(self, k: ArrayLike, n: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        k, n, a, b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (k, n, a, b)))
        inside = (k >= 0) & (k <= n) & (k == np.floor(k))
        kk = np.where(inside, k, 0.0)
        s = a + b
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (
                special.gammaln(n + 1)
                - special.gammaln(kk + 1)
                - special.gammaln(n - kk + 1)
                + special.xlogy(kk, a / s)
                + special.xlogy(n - kk, b / s)
                + _log_rising_ratio(kk, a)
                + _log_rising_ratio(n - kk, b)
                - _log_rising_ratio(n, s)
            )
        return np.where(inside, out, -np.inf)

    def pmf(self, k: ArrayLike, n: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        return np.exp(self.logpmf(k, n, a, b))

    def cdf(self, k: ArrayLike, n: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        r"""Return the sum of :meth:`pmf` over ``0, ..., floor(k)``.

        From :math:`\log p(0)` of :meth:`logpmf`, the terms follow by the ratio

        .. math:: \frac{p(i + 1)}{p(i)} = \frac{(n - i)(i + a)}{(i + 1)(n - i - 1 + b)},

        accumulated in logs, so that no term underflows to zero before the mass begins
        (:math:`p(0)` is below :math:`10^{-308}` for :math:`a = b = 500`, :math:`n = 3000`).
        """
        k, n, a, b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (k, n, a, b)))
        top = np.floor(np.minimum(k, n))
        log_p = self.logpmf(0, n, a, b)
        total = np.where(top >= 0, np.exp(log_p), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):  # past n: masked below
            for i in range(int(np.max(top, initial=-1))):
                log_p = log_p + np.log((n - i) * (i + a)) - np.log((i + 1) * (n - i - 1 + b))
                total += np.where(i + 1 <= top, np.exp(log_p), 0.0)
        return np.minimum(total, 1.0)

    def mean(self, n: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        return np.asarray(n, dtype=float) * np.asarray(a) / (np.asarray(a) + np.asarray(b))

    def var(self, n: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
        n, a, b = (np.asarray(v, dtype=float) for v in (n, a, b))
        s = a + b
        return n * (a / s) * (b / s) * (s + n) / (s + 1)

    def rvs(
        self,
        n: ArrayLike,
        a: ArrayLike,
        b: ArrayLike,
        *,
        size: Any = None,
        random_state: Any = None,
    ) -> np.ndarray:
        return np.asarray(stats.betabinom.rvs(n, a, b, size=size, random_state=random_state))


#: Drop-in for ``scipy.stats.betabinom`` in the methods above.
stable_betabinom = _StableBetaBinom()
