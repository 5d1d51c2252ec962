r"""Brute-force checks of the closed forms of the two conjugate hierarchical models.

Every closed form that the chapter "The full derivation" states is computed here twice:
once from the formula (by default the implementation in
:mod:`companion.normal_normal` or :mod:`companion.beta_binomial`) and once by brute
force, integrating the model's own densities numerically with no use of the result
being checked:

* integrals over a rate :math:`\theta_j \in (0, 1)` by adaptive quadrature
  (:func:`scipy.integrate.quad`) of :math:`\theta^{a-1}(1-\theta)^{b-1}`, with no
  gamma or beta function;
* integrals over a normal mean :math:`\theta_j` by adaptive quadrature, or, inside the
  nested integrals of :math:`p(\tau \mid y)`, by a 48-node Gauss-Hermite rule taken
  with respect to the narrower of the two normal factors (exact to rounding error for
  a product of two normal densities, and vectorized over groups);
* integrals over :math:`\mu` by adaptive quadrature (for its moments) or by composite
  Gauss-Legendre quadrature (inside :math:`p(\tau \mid y)`, where speed matters), and
  over :math:`\log\tau` by adaptive quadrature, each over a range found by scanning
  the integrand itself and zooming in on its mass.

Each ``check_*`` function returns a :class:`CheckResult`: a small table with both
numbers, the largest discrepancy and whether it is within the tolerance. Every check
also accepts ``candidate``, values of the closed form computed elsewhere, for example
from a formula copied out of lecture notes; the same comparison then judges the
candidate, so a wrong formula is rejected by exactly the test that accepts the right
one.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import integrate, special

from companion import beta_binomial, normal_normal
from companion._validate import (
    as_binomial_data,
    as_finite,
    as_normal_data,
    as_positive,
    check_choice,
    check_frozen,
    check_same_length,
    normal_prior,
)

__all__ = [
    "CheckResult",
    "brute_log_tau_density",
    "check_beta_binomial_conditional",
    "check_beta_binomial_marginal",
    "check_beta_binomial_tail",
    "check_expected_log_tau",
    "check_factorization",
    "check_jacobian",
    "check_marginal_y",
    "check_mu_conditional",
    "check_tau_marginal",
    "check_tau_tail",
    "check_theta_conditional",
    "summarize",
]

_QUAD = {"epsabs": 0.0, "epsrel": 1e-12, "limit": 400}
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite.hermgauss(48)
_GH_LOG_WEIGHTS = np.log(_GH_WEIGHTS) - 0.5 * math.log(math.pi)
_SCAN = 401  # points of the scan that locates the mass of an integrand
_DROP = 60.0  # the integration range keeps the points within exp(-60) of the maximum


# --- the result of a check --------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one comparison of a closed form with brute force.

    Attributes
    ----------
    what : str
        The formula that was checked.
    table : pandas.DataFrame
        Both numbers at every point where they were compared.
    error : float
        The largest discrepancy, measured as described by ``measure``.
    tolerance : float
        The largest discrepancy that counts as agreement.
    measure : str
        How ``error`` is measured.
    x : str or None
        The column of ``table`` that holds the evaluation points (used for plots).
    candidate : bool
        Whether the values judged came from the caller (their columns are then
        labelled "candidate" instead of "closed").
    """

    what: str
    table: pd.DataFrame
    error: float
    tolerance: float
    measure: str
    x: str | None = None
    candidate: bool = False

    def __post_init__(self) -> None:
        if self.candidate:
            self.table.columns = [c.replace("(closed)", "(candidate)") for c in self.table.columns]

    @property
    def passed(self) -> bool:
        """Whether the closed form (or candidate) agrees with brute force."""
        return bool(np.isfinite(self.error) and self.error <= self.tolerance)

    def _verdict(self) -> str:
        word = "agrees with brute force" if self.passed else "REJECTED by brute force"
        return (
            f"{self.what}: {word} ({self.measure} = {self.error:.3g}; "
            f"tolerance {self.tolerance:.0e})"
        )

    def __repr__(self) -> str:
        return f"{self._verdict()}\n{self.table.to_string(max_rows=12)}"

    def _repr_html_(self) -> str:
        table = self.table.to_html(float_format="{:.10g}".format, max_rows=12)
        return f"<p>{html.escape(self._verdict())}</p>" + table


def summarize(results: Mapping[str, CheckResult]) -> pd.DataFrame:
    """Collect the verdicts of several checks in one table.

    Parameters
    ----------
    results : mapping of str to CheckResult
        A label for each result.

    Returns
    -------
    pandas.DataFrame
        One row per label with the columns ``passed``, ``error``, ``tolerance`` and
        ``measure``.

    Examples
    --------
    >>> from companion.checks import check_jacobian, summarize
    >>> table = summarize({"right": check_jacobian([0.0], [1.0]),
    ...                    "wrong": check_jacobian([0.0], [1.0], candidate=[1.0])})
    >>> table["passed"].tolist()
    [True, False]
    """
    if not results:
        raise ValueError("results must hold at least one CheckResult; got an empty mapping")
    rows = {}
    for label, result in results.items():
        if not isinstance(result, CheckResult):
            raise ValueError(f"results[{label!r}] must be a CheckResult; got {result!r}")
        rows[label] = {
            "passed": result.passed,
            "error": result.error,
            "tolerance": result.tolerance,
            "measure": result.measure,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


# --- validation and small helpers ---------------------------------------------------------------


def _tolerance(value: object) -> float:
    return float(as_positive(value, "tolerance", ndim=0))


def _tau_prior(tau_prior: object) -> object:
    return None if tau_prior is None else check_frozen(tau_prior, "tau_prior", lower=0.0)


def _candidate(candidate: object, shape: tuple[int, ...], name: str = "candidate") -> np.ndarray:
    values = as_finite(candidate, name, ndim=len(shape))
    if values.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {values.shape}")
    return values


def _pair(candidate: object, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Read a candidate (mean, sd) pair, each broadcast to ``(size,)``."""
    if not isinstance(candidate, tuple | list) or len(candidate) != 2:
        raise ValueError(f"candidate must be a pair (mean, sd); got {candidate!r}")
    mean = np.broadcast_to(
        as_finite(candidate[0], "candidate mean", ndim=np.ndim(candidate[0])), (size,)
    )
    sd = np.broadcast_to(
        as_positive(candidate[1], "candidate sd", ndim=np.ndim(candidate[1])), (size,)
    )
    return mean.astype(float), sd.astype(float)


def _norm_logpdf(x: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Log normal density in plain numpy (no scipy.stats overhead in the nested integrals)."""
    z = (x - mean) / sd
    return -0.5 * z * z - np.log(sd) - _LOG_SQRT_2PI


def _moment_error(
    closed: tuple[np.ndarray, np.ndarray], brute: tuple[np.ndarray, np.ndarray]
) -> float:
    """Largest of |mean difference| / sd and |variance ratio - 1| (scale free)."""
    (m_c, sd_c), (m_b, var_b) = closed, brute
    sd_b = np.sqrt(var_b)
    return float(max(np.max(np.abs(m_c - m_b) / sd_b), np.max(np.abs(sd_c**2 / var_b - 1))))


def _moment_result(
    keys: dict[str, np.ndarray],
    closed: tuple[np.ndarray, np.ndarray],
    brute: tuple[np.ndarray, np.ndarray],
    **result: object,
) -> CheckResult:
    """Compare (mean, sd) with quadrature (mean, variance), tabulated side by side."""
    (mean_c, sd_c), (mean_b, var_b) = closed, brute
    table = pd.DataFrame(
        {
            **keys,
            "mean (closed)": mean_c,
            "mean (quadrature)": mean_b,
            "var (closed)": np.asarray(sd_c) ** 2,
            "var (quadrature)": var_b,
        }
    )
    error = _moment_error((mean_c, sd_c), (mean_b, var_b))
    return CheckResult(
        table=table,
        error=error,
        measure="max |mean error|/sd or relative variance error",
        **result,
    )


def _difference_result(
    keys: dict[str, np.ndarray], closed: np.ndarray, brute: np.ndarray, **result: object
) -> CheckResult:
    """Compare log densities known up to a constant: their difference must be constant."""
    gap = closed - brute
    table = pd.DataFrame(
        {
            **keys,
            "log density (closed)": closed,
            "log density (quadrature)": brute,
            "difference": gap,
        }
    )
    return CheckResult(
        table=table, error=float(np.ptp(gap)), measure="spread of the difference", **result
    )


def _locate(
    log_f: object, lo: float, hi: float, extra: tuple[float, ...] = ()
) -> tuple[float, float, float, float]:
    """Find where a unimodal density exp(log_f) on [lo, hi] has its mass.

    Scans ``_SCAN`` points (plus ``extra``), keeps the range where ``log_f`` is within
    ``_DROP`` of the largest value, and zooms in until that range holds at least 40 scan
    points, so that bumps far narrower than the first scan's spacing are found too.
    ``log_f`` takes and returns arrays.

    Returns
    -------
    tuple of float
        ``(lo, hi, argmax, max)`` of the last scan.
    """
    for _ in range(40):
        inside = [p for p in extra if lo <= p <= hi]
        grid = np.unique(np.concatenate([np.linspace(lo, hi, _SCAN), inside]))
        values = np.asarray(log_f(grid), dtype=float)
        top = int(np.argmax(values))
        keep = np.flatnonzero(values > values[top] - _DROP)
        new_lo, new_hi = grid[max(keep[0] - 1, 0)], grid[min(keep[-1] + 1, grid.size - 1)]
        if keep.size >= 40 or new_hi - new_lo <= 1e-13 * max(1.0, abs(grid[top])):
            break
        lo, hi = float(new_lo), float(new_hi)
    return float(new_lo), float(new_hi), float(grid[top]), float(values[top])


def _integrate(
    log_f: object, lo: float, hi: float, extra: tuple[float, ...] = (), *, moments: bool = False
) -> tuple[float, float, float]:
    """Return log of the integral of exp(log_f) and, with ``moments``, its mean and variance.

    Adaptive quadrature (:func:`scipy.integrate.quad`) over the range found by
    :func:`_locate`, with a break point at the largest scanned value.
    """
    lo, hi, top, ref = _locate(log_f, lo, hi, extra)

    def weight(t: float) -> float:
        return math.exp(float(log_f(np.array(t))) - ref)

    points = [top] if lo < top < hi else None
    mass = integrate.quad(weight, lo, hi, points=points, **_QUAD)[0]
    if not moments:
        return ref + math.log(mass), math.nan, math.nan
    # The first moment may be close to zero: an absolute tolerance keeps quad from
    # chasing a relative one it cannot reach (the error left is far below any sd).
    opts = {**_QUAD, "epsabs": 1e-15 * mass * max(abs(lo), abs(hi))}
    mean = integrate.quad(lambda t: t * weight(t), lo, hi, points=points, **opts)[0] / mass
    var = integrate.quad(lambda t: (t - mean) ** 2 * weight(t), lo, hi, points=points, **_QUAD)
    return ref + math.log(mass), mean, var[0] / mass


# --- the normal model: brute force ---------------------------------------------------------------


def _log_marginal_gh(mu: np.ndarray, tau: float, y: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    r"""Return log p(y_j | mu, tau), the theta_j integral by Gauss-Hermite; mu.shape + (J,).

    With :math:`\tau \le \sigma_j` the weight is the population density
    :math:`\mathrm{N}(\theta \mid \mu, \tau^2)` (nodes :math:`\mu + \sqrt2\,\tau x_k`) and
    the integrand the likelihood; otherwise the roles are swapped (nodes
    :math:`y_j + \sqrt2\,\sigma_j x_k`). No convolution formula is used. The sum has
    only positive terms, so it is accurate wherever it does not underflow (far outside
    the range that the integrals over mu keep).
    """
    mu = np.asarray(mu, dtype=float)[..., None, None]
    x = _GH_NODES[:, None]
    out = np.empty(mu.shape[:-2] + y.shape)
    narrow_prior = tau <= sigma
    with np.errstate(divide="ignore"):
        for mask, prior_is_weight in ((narrow_prior, True), (~narrow_prior, False)):
            if not mask.any():
                continue
            ym, sm = y[mask], sigma[mask]
            if prior_is_weight:
                z = (ym - mu - math.sqrt(2.0) * tau * x) / sm
                scale = sm
            else:
                z = (ym + math.sqrt(2.0) * sm * x - mu) / tau
                scale = np.full(ym.shape, tau)
            z *= z
            z *= -0.5
            np.exp(z, out=z)
            total = np.einsum("...gj,g->...j", z, _GH_WEIGHTS)
            out[..., mask] = np.log(total) - np.log(scale) - _LOG_SQRT_2PI - 0.5 * math.log(math.pi)
    return out


def _mu_integrand(
    tau: float, y: np.ndarray, sigma: np.ndarray, mu_prior: tuple[float, float] | None
) -> tuple[object, float, float, tuple[float, ...]]:
    """Return log p(mu) + sum_j log p(y_j | mu, tau) as a function of mu, and a range to scan.

    The integrand is log-concave in mu (each factor is a convolution of two normal
    densities, computed here by quadrature), so :func:`_locate` finds its single bump.
    """

    def log_g(mu: np.ndarray) -> np.ndarray:
        value = _log_marginal_gh(mu, tau, y, sigma).sum(axis=-1)
        if mu_prior is not None:
            value = value + _norm_logpdf(np.asarray(mu, dtype=float), mu_prior[0], mu_prior[1])
        return value

    spread = float(np.max(sigma)) + tau
    lo, hi = y.min() - 40 * spread, y.max() + 40 * spread
    extra = tuple(float(v) for v in y)
    if mu_prior is not None:
        lo = min(lo, mu_prior[0] - 40 * mu_prior[1])
        hi = max(hi, mu_prior[0] + 40 * mu_prior[1])
        extra += (mu_prior[0],)
    return log_g, float(lo), float(hi), extra


def _mu_moments(
    tau: float, y: np.ndarray, sigma: np.ndarray, mu_prior: tuple[float, float] | None, order: int
) -> tuple[float, float, float]:
    """Return the log of the mu integral and (if order == 2) the mean and variance of mu.

    Adaptive quadrature over the range found by :func:`_locate`.
    """
    log_g, lo, hi, extra = _mu_integrand(tau, y, sigma, mu_prior)
    return _integrate(log_g, lo, hi, extra, moments=order == 2)


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)
_GL_PANELS = 8


def _log_mu_integral(
    tau: float, y: np.ndarray, sigma: np.ndarray, mu_prior: tuple[float, float] | None
) -> float:
    """Return the log of the mu integral by composite Gauss-Legendre (8 panels x 48 nodes).

    Vectorized, so several times faster than :func:`_mu_moments`; the integrand is
    smooth and log-concave over the located range, where 384 nodes are exact to
    rounding (the tests compare both).
    """
    log_g, lo, hi, extra = _mu_integrand(tau, y, sigma, mu_prior)
    lo, hi, _, ref = _locate(log_g, lo, hi, extra)
    edges = np.linspace(lo, hi, _GL_PANELS + 1)
    half = 0.5 * np.diff(edges)
    nodes = (edges[:-1] + half)[:, None] + half[:, None] * _GL_NODES
    values = np.exp(log_g(nodes) - ref) * _GL_WEIGHTS
    return ref + math.log(float((values.sum(axis=1) * half).sum()))


def brute_log_tau_density(
    tau: object, y: object, sigma: object, *, tau_prior: object = None, mu_prior: object = None
) -> np.ndarray:
    r"""Brute-force :math:`\log p(\tau \mid y)`, up to one additive constant.

    Straight from the model, with every :math:`\theta_j` and :math:`\mu` integrated out
    numerically:

    .. math::

        p(\tau \mid y) \propto p(\tau) \int p(\mu) \prod_{j=1}^{J} \left[\int
        \mathrm{N}(y_j \mid \theta_j, \sigma_j^2)\, \mathrm{N}(\theta_j \mid \mu, \tau^2)
        \, d\theta_j\right] d\mu .

    The inner integrals use a 48-node Gauss-Hermite rule, the outer one composite
    Gauss-Legendre quadrature (384 nodes) over the range where the integrand is within
    :math:`e^{-60}` of its maximum (found by scanning a wide range). No closed form of
    the chapter is used.

    Parameters
    ----------
    tau : array_like
        Values of :math:`\tau > 0`.
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors.
    tau_prior : scipy.stats frozen distribution on [0, inf), optional
        ``None`` is the uniform prior.
    mu_prior : scipy.stats.norm frozen distribution, optional
        ``None`` is the flat prior.

    Returns
    -------
    numpy.ndarray
        Shaped like ``tau``; the constant is the same for every entry.

    Examples
    --------
    >>> from companion.checks import brute_log_tau_density
    >>> value = brute_log_tau_density([1.0, 10.0], [28.0, 8.0, -3.0], [15.0, 10.0, 16.0])
    >>> value.shape
    (2,)
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau", ndim=np.ndim(tau))
    mu = normal_prior(mu_prior)
    prior = _tau_prior(tau_prior)
    out = np.array([_log_mu_integral(float(t), y, sigma, mu) for t in tau.reshape(-1)])
    out = out.reshape(tau.shape)
    if prior is not None:
        out = out + prior.logpdf(tau)
    return out


# --- the normal model: checks --------------------------------------------------------------------


def check_theta_conditional(
    y: object,
    sigma: object,
    mu: float,
    tau: float,
    *,
    candidate: tuple[object, object] | None = None,
    tolerance: float = 1e-8,
) -> CheckResult:
    r"""Check :math:`\theta_j \mid \mu, \tau, y \sim \mathrm{N}(\hat\theta_j, V_j)` by quadrature.

    Brute force: the mean and variance of the unnormalized density
    :math:`\mathrm{N}(y_j \mid \theta, \sigma_j^2)\,\mathrm{N}(\theta \mid \mu, \tau^2)`
    by adaptive quadrature over :math:`\theta`. Closed form:
    :func:`companion.normal_normal.theta_given_mu_tau`,

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
    tolerance = _tolerance(tolerance)
    if candidate is None:
        mean_c, sd_c = normal_normal.theta_given_mu_tau(y, sigma, mu, tau)
    else:
        mean_c, sd_c = _pair(candidate, y.size)
    mean_b, var_b = np.empty(y.size), np.empty(y.size)
    for j, (yj, sj) in enumerate(zip(y, sigma, strict=True)):

        def log_f(t: np.ndarray, yj: float = yj, sj: float = sj) -> np.ndarray:
            a, b = (yj - t) / sj, (t - mu) / tau
            return -0.5 * (a * a + b * b)

        lo, hi = min(mu - 40 * tau, yj - 40 * sj), max(mu + 40 * tau, yj + 40 * sj)
        _, mean_b[j], var_b[j] = _integrate(log_f, lo, hi, (mu, yj), moments=True)
    return _moment_result(
        {"y": y, "sigma": sigma},
        (mean_c, sd_c),
        (mean_b, var_b),
        candidate=candidate is not None,
        what=f"theta_j | mu={mu:g}, tau={tau:g}, y",
        tolerance=tolerance,
    )


def check_marginal_y(
    y: object,
    sigma: object,
    mu: float,
    tau: float,
    *,
    candidate: object = None,
    tolerance: float = 1e-9,
) -> CheckResult:
    r"""Check :math:`y_j \mid \mu, \tau \sim \mathrm{N}(\mu, \sigma_j^2 + \tau^2)` by quadrature.

    Brute force: :math:`\log \int \mathrm{N}(y_j \mid \theta, \sigma_j^2)\,
    \mathrm{N}(\theta \mid \mu, \tau^2)\, d\theta` by adaptive quadrature. Closed form:
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
    tolerance = _tolerance(tolerance)
    scale = np.sqrt(sigma**2 + tau**2)
    closed = _norm_logpdf(y, mu, scale) if candidate is None else _candidate(candidate, y.shape)
    brute = np.empty(y.size)
    for j, (yj, sj) in enumerate(zip(y, sigma, strict=True)):

        def log_f(t: np.ndarray, yj: float = yj, sj: float = sj) -> np.ndarray:
            a, b = (yj - t) / sj, (t - mu) / tau
            return -0.5 * (a * a + b * b) - math.log(sj * tau) - 2 * _LOG_SQRT_2PI

        lo, hi = min(mu - 40 * tau, yj - 40 * sj), max(mu + 40 * tau, yj + 40 * sj)
        brute[j] = _integrate(log_f, lo, hi, (mu, yj))[0]
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


def check_mu_conditional(
    y: object,
    sigma: object,
    tau: object,
    *,
    mu_prior: object = None,
    candidate: tuple[object, object] | None = None,
    tolerance: float = 1e-8,
) -> CheckResult:
    r"""Check :math:`\mu \mid \tau, y \sim \mathrm{N}(\hat\mu, V_\mu)` by nested quadrature.

    Brute force: the mean and variance of
    :math:`p(\mu) \prod_j \int \mathrm{N}(y_j \mid \theta_j, \sigma_j^2)\,
    \mathrm{N}(\theta_j \mid \mu, \tau^2)\, d\theta_j` as a density in :math:`\mu`
    (Gauss-Hermite inside, adaptive quadrature outside). Closed form:
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
    mu_prior : scipy.stats.norm frozen distribution, optional
        ``None`` is the flat prior.
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
    prior = normal_prior(mu_prior)
    tolerance = _tolerance(tolerance)
    if candidate is None:
        mean_c, sd_c = normal_normal.mu_given_tau(y, sigma, tau, mu_prior=mu_prior)
    else:
        mean_c, sd_c = _pair(candidate, tau.size)
    brute = np.array([_mu_moments(float(t), y, sigma, prior, 2)[1:] for t in tau])
    return _moment_result(
        {"tau": tau},
        (mean_c, sd_c),
        (brute[:, 0], brute[:, 1]),
        candidate=candidate is not None,
        what="mu | tau, y"
        + ("" if prior is None else f" with mu ~ N({prior[0]:g}, {prior[1]:g}^2)"),
        tolerance=tolerance,
        x="tau",
    )


def check_tau_marginal(
    tau: object,
    y: object,
    sigma: object,
    *,
    tau_prior: object = None,
    mu_prior: object = None,
    candidate: object = None,
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
    tau : array_like, shape (K,)
        At least two values of :math:`\tau > 0`.
    y, sigma : array_like, shape (J,)
        The data.
    tau_prior, mu_prior : scipy.stats frozen distributions, optional
        As in :func:`companion.normal_normal.tau_posterior`.
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
    >>> check_tau_marginal([1.0, 10.0], [28.0, 8.0, -3.0], [15.0, 10.0, 16.0]).passed
    True
    """
    y, sigma = as_normal_data(y, sigma)
    tau = as_positive(tau, "tau")
    if tau.size < 2:
        raise ValueError(
            f"tau must hold at least two values (densities are unnormalized); got {tau!r}"
        )
    tolerance = _tolerance(tolerance)
    if candidate is None:
        closed = normal_normal.log_tau_density(
            tau, y, sigma, tau_prior=tau_prior, mu_prior=mu_prior
        )
    else:
        closed = _candidate(candidate, tau.shape)
    brute = brute_log_tau_density(tau, y, sigma, tau_prior=tau_prior, mu_prior=mu_prior)
    return _difference_result(
        {"tau": tau},
        closed,
        brute,
        candidate=candidate is not None,
        what="log p(tau | y)",
        tolerance=tolerance,
        x="tau",
    )


def check_factorization(
    y: object,
    sigma: object,
    theta: object,
    mu: object,
    tau: object,
    *,
    tau_prior: object = None,
    mu_prior: object = None,
    candidate: object = None,
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
    tau_prior, mu_prior : scipy.stats frozen distributions, optional
        As in :func:`companion.normal_normal.tau_posterior`.
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
    tolerance = _tolerance(tolerance)
    prior_mu = normal_prior(mu_prior)
    prior_tau = _tau_prior(tau_prior)
    joint = _norm_logpdf(y, theta, sigma).sum(axis=1)
    joint += _norm_logpdf(theta, mu[:, None], tau[:, None]).sum(axis=1)
    if prior_mu is not None:
        joint += _norm_logpdf(mu, *prior_mu)
    if prior_tau is not None:
        joint += prior_tau.logpdf(tau)
    cond_mean, cond_sd = normal_normal.theta_given_mu_tau(y, sigma, mu, tau)
    first = _norm_logpdf(theta, cond_mean, cond_sd).sum(axis=1)
    mu_mean, mu_sd = normal_normal.mu_given_tau(y, sigma, tau, mu_prior=mu_prior)
    second = _norm_logpdf(mu, mu_mean, mu_sd)
    if candidate is None:
        third = normal_normal.log_tau_density(tau, y, sigma, tau_prior=tau_prior, mu_prior=mu_prior)
    else:
        third = _candidate(candidate, tau.shape)
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


_EXPECTED_LOG_TAU: dict[tuple, float] = {}  # brute-force values, a few seconds each


def _prior_key(prior: object) -> tuple | None:
    if prior is None:
        return None
    return (prior.dist.name, tuple(prior.args), tuple(sorted(prior.kwds.items())))


def _brute_expected_log_tau(
    y: np.ndarray, sigma: np.ndarray, prior_tau: object, prior_mu: tuple[float, float] | None
) -> float:
    """E[log tau | y] by adaptive quadrature over log tau of the brute-force density."""

    def log_density(u: float) -> float:
        tau = math.exp(u)
        value = _log_mu_integral(tau, y, sigma, prior_mu) + u
        if prior_tau is not None:
            value += float(prior_tau.logpdf(tau))
        return value

    centre = 0.5 * math.log(float(np.var(y) + np.mean(sigma**2)))
    scan = np.linspace(centre - 50.0, centre + 20.0, 141)
    values = np.array([log_density(u) for u in scan])
    top = int(np.argmax(values))
    keep = np.flatnonzero(values > values[top] - 40.0)
    if keep[0] == 0 or keep[-1] == scan.size - 1:
        raise ValueError(
            "p(log tau | y) has not decayed by exp(-40) within log tau in "
            f"[{scan[0]:.1f}, {scan[-1]:.1f}]: E[log tau | y] may not exist or needs a wider range"
        )
    lo, hi = scan[keep[0] - 1], scan[keep[-1] + 1]
    ref = float(values[top])
    opts = {"epsabs": 0.0, "epsrel": 1e-10, "limit": 200, "points": [scan[top]]}
    mass = integrate.quad(lambda u: math.exp(log_density(u) - ref), lo, hi, **opts)[0]
    first = integrate.quad(lambda u: u * math.exp(log_density(u) - ref), lo, hi, **opts)[0]
    return first / mass


def check_expected_log_tau(
    y: object,
    sigma: object,
    *,
    tau_prior: object = None,
    mu_prior: object = None,
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
    :math:`\mu` are integrated out numerically too) and adaptive quadrature over
    :math:`u = \log\tau`.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    tau_prior, mu_prior : scipy.stats frozen distributions, optional
        As in :func:`companion.normal_normal.tau_posterior`.
    candidate : float, optional
        A value of :math:`E[\log\tau \mid y]` to judge instead of companion's.
    tolerance : float, default 1e-6
        Largest accepted absolute error.

    Returns
    -------
    CheckResult
    """
    y, sigma = as_normal_data(y, sigma)
    tolerance = _tolerance(tolerance)
    prior_mu = normal_prior(mu_prior)
    prior_tau = _tau_prior(tau_prior)
    if candidate is None:
        post = normal_normal.tau_posterior(y, sigma, tau_prior=tau_prior, mu_prior=mu_prior)
        closed = float(post.expect(np.log))
    else:
        closed = float(as_finite(candidate, "candidate", ndim=0))

    key = (y.tobytes(), sigma.tobytes(), prior_mu, _prior_key(prior_tau))
    if key not in _EXPECTED_LOG_TAU:
        _EXPECTED_LOG_TAU[key] = _brute_expected_log_tau(y, sigma, prior_tau, prior_mu)
    brute = _EXPECTED_LOG_TAU[key]
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
    y: object,
    sigma: object,
    *,
    tau: object = (1e4, 1e5, 1e6),
    mu_prior: object = None,
    tolerance: float = 1e-3,
) -> CheckResult:
    r"""Check the tail :math:`\tau^{1-J}` (flat :math:`\mu`) or :math:`\tau^{-J}` of p(tau | y).

    For large :math:`\tau`, :math:`V_\mu \approx \tau^2/J` (flat prior on :math:`\mu`)
    or :math:`V_\mu \to s_0^2` (normal prior), the exponentials tend to one and the
    product of :math:`J` factors :math:`(\sigma_j^2 + \tau^2)^{-1/2}` behaves like
    :math:`\tau^{-J}`, so under a uniform prior on :math:`\tau`

    .. math::

        p(\tau \mid y) \sim J^{-1/2}\, \tau^{1-J} \quad\text{(flat } \mu\text{)}, \qquad
        p(\tau \mid y) \sim s_0\, \tau^{-J} \quad\text{(normal } \mu\text{)}.

    The check compares the local slopes of the brute-force :math:`\log p(\tau \mid y)`
    (:func:`brute_log_tau_density`, uniform prior on :math:`\tau`) against
    :math:`\log\tau` with these exponents; the error is that of the last slope.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        The data.
    tau : array_like, default (1e4, 1e5, 1e6)
        Increasing values of :math:`\tau`, at least two.
    mu_prior : scipy.stats.norm frozen distribution, optional
        ``None`` is the flat prior.
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
    tolerance = _tolerance(tolerance)
    predicted = (1.0 - y.size) if mu_prior is None else float(-y.size)
    brute = brute_log_tau_density(tau, y, sigma, mu_prior=mu_prior)
    closed = normal_normal.log_tau_density(tau, y, sigma, mu_prior=mu_prior)
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
        + ("" if mu_prior is None else ", normal mu prior"),
        table=table,
        error=float(abs(slope_b[-1] - predicted)),
        tolerance=tolerance,
        measure="|last slope - predicted|",
        x="tau",
    )


# --- the beta-binomial model ---------------------------------------------------------------------


def _log_beta_integral(a: float, b: float) -> float:
    r"""Return the log of :math:`\int_0^1 t^{a-1}(1-t)^{b-1}\,dt` by adaptive quadrature."""

    def log_f(t: float) -> float:
        return (a - 1.0) * math.log(t) + (b - 1.0) * math.log1p(-t)

    split = (a - 1.0) / (a + b - 2.0) if (a > 1.0 and b > 1.0) else a / (a + b)
    ref = log_f(split)

    def f(t: float) -> float:
        return math.exp(log_f(t) - ref)

    total = integrate.quad(f, 0.0, split, **_QUAD)[0] + integrate.quad(f, split, 1.0, **_QUAD)[0]
    return ref + math.log(total)


def _beta_moments(a: float, b: float) -> tuple[float, float]:
    """Mean and variance of the density proportional to t^(a-1) (1-t)^(b-1), by quadrature."""
    split = (a - 1.0) / (a + b - 2.0) if (a > 1.0 and b > 1.0) else a / (a + b)
    ref = (a - 1.0) * math.log(split) + (b - 1.0) * math.log1p(-split)

    def f(t: float) -> float:
        return math.exp((a - 1.0) * math.log(t) + (b - 1.0) * math.log1p(-t) - ref)

    def integral(g: object) -> float:
        return sum(integrate.quad(g, lo, hi, **_QUAD)[0] for lo, hi in ((0.0, split), (split, 1.0)))

    mass = integral(f)
    mean = integral(lambda t: t * f(t)) / mass
    return mean, integral(lambda t: (t - mean) ** 2 * f(t)) / mass


def check_beta_binomial_conditional(
    alpha: float,
    beta: float,
    successes: object,
    trials: object,
    *,
    candidate: tuple[object, object] | None = None,
    tolerance: float = 1e-8,
) -> CheckResult:
    r"""Check :math:`\theta_j \mid \alpha, \beta, y \sim \mathrm{Beta}(\alpha+y_j, \beta+n_j-y_j)`.

    Brute force: mean and variance of the unnormalized density
    :math:`\theta^{\alpha-1}(1-\theta)^{\beta-1}\,\theta^{y_j}(1-\theta)^{n_j-y_j}`
    (prior times likelihood) by adaptive quadrature. Closed form: the moments of the Beta
    distribution, :math:`a/(a+b)` and :math:`ab/((a+b)^2(a+b+1))`.

    Parameters
    ----------
    alpha, beta : float
        Positive hyperparameters.
    successes, trials : array_like of int, shape (J,)
        The data.
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
    >>> check_beta_binomial_conditional(1.4, 8.6, [4], [14]).passed
    True
    """
    alpha = float(as_positive(alpha, "alpha", ndim=0))
    beta = float(as_positive(beta, "beta", ndim=0))
    y, n = as_binomial_data(successes, trials)
    tolerance = _tolerance(tolerance)
    a, b = alpha + y, beta + n - y
    if candidate is None:
        mean_c = a / (a + b)
        sd_c = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    else:
        mean_c, sd_c = _pair(candidate, y.size)
    brute = np.array([_beta_moments(float(ai), float(bi)) for ai, bi in zip(a, b, strict=True)])
    return _moment_result(
        {"y": y, "n": n},
        (mean_c, sd_c),
        (brute[:, 0], brute[:, 1]),
        candidate=candidate is not None,
        what=f"theta_j | alpha={alpha:g}, beta={beta:g}, y",
        tolerance=tolerance,
    )


def check_beta_binomial_marginal(
    alpha: object,
    beta: object,
    successes: object,
    trials: object,
    *,
    exponent: float = -2.5,
    candidate: object = None,
    tolerance: float = 1e-8,
) -> CheckResult:
    r"""Check the closed form of :math:`\log p(\alpha, \beta \mid y)` by quadrature over each rate.

    Closed form: :func:`companion.beta_binomial.log_marginal_posterior`,

    .. math::

        p(\alpha, \beta \mid y) \propto p(\alpha, \beta) \prod_{j=1}^{J}
        \frac{\Gamma(\alpha+\beta)\,\Gamma(\alpha+y_j)\,\Gamma(\beta+n_j-y_j)}
             {\Gamma(\alpha)\,\Gamma(\beta)\,\Gamma(\alpha+\beta+n_j)},
        \qquad p(\alpha, \beta) \propto (\alpha + \beta)^{k}.

    Brute force: the product over groups of
    :math:`\int_0^1 \theta^{\alpha+y_j-1}(1-\theta)^{\beta+n_j-y_j-1}\,d\theta \big/
    \int_0^1 \theta^{\alpha-1}(1-\theta)^{\beta-1}\,d\theta`, both integrals by adaptive
    quadrature (no gamma function anywhere). The binomial coefficients are dropped
    from both. Compared up to an additive constant.

    Parameters
    ----------
    alpha, beta : array_like, shape (K,)
        At least two points :math:`(\alpha, \beta)`, both positive.
    successes, trials : array_like of int, shape (J,)
        The data.
    exponent : float, default -2.5
        The power :math:`k` of the hyperprior.
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
    >>> check_beta_binomial_marginal([1.0, 2.0], [5.0, 9.0], [1, 3, 0], [10, 12, 8]).passed
    True
    """
    alpha = as_positive(alpha, "alpha")
    beta = as_positive(beta, "beta")
    check_same_length(alpha=alpha, beta=beta)
    if alpha.size < 2:
        raise ValueError(
            f"alpha must hold at least two values (densities are unnormalized); got {alpha!r}"
        )
    y, n = as_binomial_data(successes, trials)
    exponent = float(as_finite(exponent, "exponent", ndim=0))
    tolerance = _tolerance(tolerance)
    if candidate is None:
        closed = beta_binomial.log_marginal_posterior(
            alpha, beta, y, n, log_hyperprior=beta_binomial.log_power_hyperprior(exponent)
        )
    else:
        closed = _candidate(candidate, alpha.shape)
    pairs, counts = np.unique(np.stack([y, n - y], axis=1), axis=0, return_counts=True)
    brute = np.empty(alpha.size)
    for k, (a, b) in enumerate(zip(alpha, beta, strict=True)):
        prior = _log_beta_integral(float(a), float(b))
        groups = [_log_beta_integral(a + yj, b + fj) - prior for yj, fj in pairs]
        brute[k] = exponent * math.log(a + b) + math.fsum(np.asarray(groups) * counts)
    return _difference_result(
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
    u: object,
    v: object,
    *,
    coordinates: str = "log-ratio",
    candidate: object = None,
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
    tolerance = _tolerance(tolerance)
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
        closed = _candidate(candidate, u.shape)
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
    successes: object,
    trials: object,
    *,
    total: object = (1e5, 1e6, 1e7),
    exponent: float = -2.5,
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
    integrable but with infinite mean. The inner integral is computed by adaptive
    quadrature over :math:`\operatorname{logit} m` of the closed-form marginal (checked
    separately by :func:`check_beta_binomial_marginal`); the check compares the local
    slopes of :math:`\log p(s \mid y)` against :math:`\log s` with :math:`k + 1`.

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.
    total : array_like, default (1e5, 1e6, 1e7)
        Increasing values of :math:`s = \alpha + \beta`, at least two.
    exponent : float, default -2.5
        The power :math:`k` of the hyperprior.
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
    exponent = float(as_finite(exponent, "exponent", ndim=0))
    tolerance = _tolerance(tolerance)
    prior = beta_binomial.log_power_hyperprior(exponent)
    log_p = np.empty(s.size)
    for i, si in enumerate(s):

        def log_f(w: np.ndarray, si: float = si) -> np.ndarray:
            m = special.expit(w)
            value = beta_binomial.log_marginal_posterior(
                m * si, (1 - m) * si, y, n, log_hyperprior=prior
            )
            return value + math.log(si) + np.log(m) + np.log1p(-m)

        log_p[i] = _integrate(log_f, -25.0, 25.0)[0]
    slope = np.append(np.nan, np.diff(log_p) / np.diff(np.log(s)))
    predicted = exponent + 1.0
    table = pd.DataFrame(
        {
            "alpha + beta": s,
            "log density": log_p,
            "slope": slope,
            "predicted slope": predicted,
        }
    )
    return CheckResult(
        what=f"tail of p(alpha + beta | y) under (alpha + beta)^{exponent:g}",
        table=table,
        error=float(abs(slope[-1] - predicted)),
        tolerance=tolerance,
        measure="|last slope - predicted|",
        x="alpha + beta",
    )


# --- figures -------------------------------------------------------------------------------------
