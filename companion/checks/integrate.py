r"""The integration engine of the checks: find where an integrand's mass is, then integrate it.

Every brute-force integral of :mod:`companion.checks` is one of two kinds, both
vectorized (one call integrates a whole array of integrands) and both in log space:

* **over the real line**, of a smooth unimodal integrand :math:`e^{\ell(x)}`.
  :func:`locate_peak` finds its mode :math:`\hat x`
  (:func:`scipy.optimize.elementwise.bracket_minimum`, then
  :func:`scipy.optimize.elementwise.find_minimum` on :math:`-\ell`) and a scale
  :math:`s` from the curvature there. :func:`log_integral` and :func:`log_moments`
  then integrate on each side of the mode in the variable
  :math:`t = |x - \hat x| / s` with :func:`scipy.integrate.tanhsinh` (``log=True``),
  whose nodes crowd towards :math:`t = 0`, where the mass is:

  .. math::

      \int_{-\infty}^{\infty} (x - \hat x)^k e^{\ell(x)}\, dx
      = s^{k+1} \int_0^{R} t^k \left[ e^{\ell(\hat x + s t)}
      + (-1)^k e^{\ell(\hat x - s t)} \right] dt ,

  cut on each side at a point :math:`R` where :math:`\ell` has dropped by at least
  :data:`DROP` below its maximum, found by growing a bracket from :math:`t = 9`
  (:func:`scipy.optimize.elementwise.bracket_root`). For a log-concave integrand the
  mass beyond the cut is then below rounding; an integrand that never drops that far
  (a heavy tail, or an integral that does not exist) raises ``ValueError``.

* **over** :math:`(0, c]` with an integrable singularity at :math:`0`
  (:func:`log_integral_from_zero`): :func:`scipy.integrate.tanhsinh` as it is, since
  its nodes near the lower limit are exact (they are stored as their distance to it).

:func:`scipy.integrate.cubature` was measured too: on the inner integrals of
:math:`p(\tau \mid y)` it reached the same accuracy as Gauss-Hermite but took ten times
as long (see :mod:`companion.checks.normal`), and its Gauss-Kronrod rule cannot resolve
the endpoint singularities of the Beta integrals, which tanh-sinh handles natively.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import tanhsinh
from scipy.optimize.elementwise import bracket_minimum, bracket_root, find_minimum

__all__ = [
    "DROP",
    "RTOL",
    "Peak",
    "locate_peak",
    "log_integral",
    "log_integral_from_zero",
    "log_moments",
]

#: A log integrand: ``log_f(x, *args)``, elementwise, ``args`` broadcast against ``x``.
LogIntegrand = Callable[..., np.ndarray]

#: Default relative tolerance of every integral (tanh-sinh's own default is eps^0.75).
RTOL = 1e-14
#: By how much the log integrand has dropped below its maximum where it is cut:
#: e^-36 = 2e-16, so the mass left out is below rounding for any log-concave integrand.
DROP = 36.0

_FIRST_CUT = 9.0  # scales; a normal density has dropped by 40.5 there
_CUT_DOUBLINGS = 40  # the cut may grow to 9 * 2^40 scales before the tail counts as too heavy

_TARGET_RISE = 0.5  # the scale is measured where the log integrand has dropped by about 1/2
_SCALE_STEPS = 60


@dataclass(frozen=True)
class Peak:
    r"""Where a unimodal integrand :math:`e^{\ell(x)}` has its mass.

    Attributes
    ----------
    mode : numpy.ndarray
        The maximizer :math:`\hat x` of :math:`\ell`.
    scale : numpy.ndarray
        :math:`s = (-\ell''(\hat x))^{-1/2}`, the standard deviation of the normal
        density with the same curvature, measured by a central difference where
        :math:`\ell` has dropped by about 1/2.
    log_height : numpy.ndarray
        :math:`\ell(\hat x)`.
    """

    mode: np.ndarray
    scale: np.ndarray
    log_height: np.ndarray


def _require(result: Any, what: str) -> None:
    """Raise if an elementwise scipy routine failed for any element."""
    failed = ~np.asarray(result.success)
    if failed.any():
        status = np.unique(np.asarray(result.status)[failed]).tolist()
        raise RuntimeError(
            f"{what} failed for {int(failed.sum())} of {failed.size} integrands "
            f"(scipy status {status})"
        )


def _scale_at_mode(
    minus_log_f: LogIntegrand,
    mode: np.ndarray,
    bottom: np.ndarray,
    step: np.ndarray,
    args: Sequence[ArrayLike],
) -> np.ndarray:
    """Return h / sqrt(2 * rise) for a step h at which -log f has risen by 0.1 to 2.

    For a normal log density the rise at distance h is h^2 / (2 s^2), so this is s. The
    step is rescaled by sqrt(1/2 / rise) until the rise is in range: one round for a
    normal density, a few for others. A rise lost in rounding (below 1e-8) means a step
    far too short, and multiplies it by 1000.
    """
    for _ in range(_SCALE_STEPS):
        rise = 0.5 * (minus_log_f(mode + step, *args) + minus_log_f(mode - step, *args)) - bottom
        good = (rise >= 0.1) & (rise <= 2.0)
        if good.all():
            return step / np.sqrt(2.0 * rise)
        if np.isnan(rise).any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(rise > 1e-8, np.sqrt(_TARGET_RISE / rise), 1e3)
        factor = np.clip(factor, 1e-4, 1e4)
        step = np.where(good, step, step * factor)
    raise ValueError(
        "could not measure the width of the integrand at its mode: it stays flat, or stops "
        "being finite, as far as the search went, so its integral may not exist"
    )


def locate_peak(
    log_f: LogIntegrand, guess: ArrayLike, width: ArrayLike, *, args: Sequence[ArrayLike] = ()
) -> Peak:
    r"""Find the mode and the scale of unimodal integrands :math:`e^{\ell(x)}`, elementwise.

    The mode maximizes :math:`\ell`: a three-point bracket is grown from
    ``guess - width, guess, guess + width``
    (:func:`scipy.optimize.elementwise.bracket_minimum`), then narrowed by Chandrupatla's
    method (:func:`scipy.optimize.elementwise.find_minimum`) until it is flat to 0.01 in
    :math:`\ell`. The scale is :math:`s = h / \sqrt{2\Delta}`, where
    :math:`\Delta = \ell(\hat x) - [\ell(\hat x + h) + \ell(\hat x - h)]/2` at a step
    :math:`h` where :math:`\Delta \approx 1/2`; for a normal density it is the standard
    deviation. Neither needs to be exact: they only place the nodes of the integrals.

    Parameters
    ----------
    log_f : callable
        ``log_f(x, *args)``, the log integrand, elementwise.
    guess : array_like
        A starting point for each integrand.
    width : array_like
        A rough size of each integrand's bump (> 0), broadcast against ``guess``.
    args : sequence of array_like, optional
        Extra arguments of ``log_f``, broadcast against ``guess``.

    Returns
    -------
    Peak
        Arrays of the broadcast shape of ``guess``, ``width`` and ``args``.

    Raises
    ------
    ValueError
        If no mode can be bracketed, or no width measured: the integrand grows or stays
        flat towards an end.
    RuntimeError
        If the bracketed mode cannot be pinned down.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.checks.integrate import locate_peak
    >>> peak = locate_peak(lambda x: -0.5 * ((x - 3.0) / 2.0) ** 2, 0.0, 1.0)
    >>> round(float(peak.mode), 6), round(float(peak.scale), 6)
    (3.0, 2.0)
    """
    guess = np.asarray(guess, dtype=float)
    width = np.asarray(width, dtype=float)
    shape = np.broadcast_shapes(guess.shape, width.shape, *(np.shape(a) for a in args))
    guess = np.broadcast_to(guess, shape)
    width = np.broadcast_to(width, shape)
    args = tuple(np.broadcast_to(np.asarray(a, dtype=float), shape) for a in args)

    def _minus_log_f(x: np.ndarray, *extra: np.ndarray) -> np.ndarray:
        return -np.asarray(log_f(x, *extra), dtype=float)

    bracket = bracket_minimum(_minus_log_f, guess, xl0=guess - width, xr0=guess + width, args=args)
    if not np.all(bracket.success):
        status = np.unique(np.asarray(bracket.status)[~np.asarray(bracket.success)]).tolist()
        raise ValueError(
            "could not bracket a mode of the integrand (scipy status "
            f"{status}): it grows, or stays flat, towards one end of its range, so its "
            "integral may not exist"
        )
    found = find_minimum(
        _minus_log_f, bracket.bracket, args=args, tolerances={"fatol": 0.01, "xrtol": 1e-12}
    )
    _require(found, "finding the mode")
    low, _, high = found.bracket
    step = np.maximum(0.5 * np.abs(high - low), 1e-3 * width)
    scale = _scale_at_mode(_minus_log_f, found.x, found.f_x, step, args)
    return Peak(mode=found.x, scale=scale, log_height=-found.f_x)


def _cut(
    log_f: LogIntegrand, peak: Peak, sides: np.ndarray, args: tuple[np.ndarray, ...]
) -> np.ndarray:
    """Return, for each side, a distance t (in scales) where log_f has dropped by DROP."""
    full = (2, *peak.mode.shape)

    def _excess(t: np.ndarray, side: np.ndarray, *extra: np.ndarray) -> np.ndarray:
        # extra = (mode, scale, log_height, *args), compressed alongside t by scipy.
        mode, scale, height, *rest = extra
        return np.asarray(log_f(mode + side * scale * t, *rest), dtype=float) - (height - DROP)

    found = bracket_root(
        _excess,
        np.zeros(full),
        np.full(full, _FIRST_CUT),
        xmin=0.0,
        args=(
            np.broadcast_to(sides, full),
            *(np.broadcast_to(a, full) for a in (peak.mode, peak.scale, peak.log_height)),
            *(np.broadcast_to(a, full) for a in args),
        ),
        maxiter=_CUT_DOUBLINGS,
    )
    failed = ~np.asarray(found.success)
    if failed.any():
        i = np.unravel_index(int(np.flatnonzero(failed)[0]), failed.shape)
        raise ValueError(
            f"the integrand has not decayed by e^-{DROP:g} on the "
            f"{'left' if i[0] == 0 else 'right'} of its mode "
            f"(maximum {float(peak.log_height[i[1:]]):.6g} at x = "
            f"{float(peak.mode[i[1:]]):.6g}): its tail is too heavy for quadrature, or "
            "the integral does not exist"
        )
    return found.bracket[1]


def _log_side_moments(
    log_f: LogIntegrand,
    peak: Peak,
    orders: Sequence[int],
    args: Sequence[ArrayLike],
    rtol: float,
) -> np.ndarray:
    r"""Return :math:`\log \int_0^R t^k e^{\ell(\hat x \pm s t)} dt`, shape (orders, 2) + shape.

    One :func:`scipy.integrate.tanhsinh` call for every order, side and integrand. The
    limits are the same for every order, hence the nodes, so ``log_f`` is evaluated
    once per node and side, and the orders differ only by the term :math:`k \log t`.
    """
    shape = peak.mode.shape
    args = tuple(np.broadcast_to(np.asarray(a, dtype=float), shape) for a in args)
    sides = np.array([-1.0, 1.0]).reshape((2,) + (1,) * len(shape))
    cut = _cut(log_f, peak, sides, args)
    height = peak.log_height  # subtracted inside, added back at the end
    if tuple(orders) == (0,):
        # One order: tanh-sinh may drop each integrand as soon as it has converged.
        def _along(t: np.ndarray, side: np.ndarray, *extra: np.ndarray) -> np.ndarray:
            mode, scale, top, *rest = extra
            return np.asarray(log_f(mode + side * scale * t, *rest), dtype=float) - top

        full = (2, *shape)
        result = tanhsinh(
            _along,
            np.zeros(full),
            cut,
            args=tuple(
                np.broadcast_to(a, full) for a in (sides, peak.mode, peak.scale, height, *args)
            ),
            log=True,
            rtol=math.log(rtol),
        )
        _require(result, "tanh-sinh quadrature")
        return (np.real(result.integral) + height + np.log(peak.scale))[None]
    power = np.asarray(orders, dtype=float).reshape((-1,) + (1,) * (1 + len(shape)) + (1,))
    full = (power.shape[0], 2, *shape)
    mode, scale, top = peak.mode[..., None], peak.scale[..., None], height[..., None]
    extra = tuple(a[..., None] for a in args)

    def _integrand(t: np.ndarray) -> np.ndarray:
        # With preserve_shape, t has shape full + (n,) (tanh-sinh then passes its args
        # flattened, so they are closed over instead).
        single = t.ndim == len(full)  # the first call, one point per integrand
        if single:
            t = t[..., None]
        if not np.array_equal(t[0], t[-1]):
            raise RuntimeError("tanh-sinh used different nodes for different orders")
        base = np.asarray(log_f(mode + sides[..., None] * scale * t[0], *extra), dtype=float)
        base -= top
        with np.errstate(divide="ignore"):
            log_t = np.log(t[0])
        out = base + np.where(power == 0, 0.0, power * log_t)
        return out[..., 0] if single else out

    result = tanhsinh(
        _integrand,
        np.zeros(full),
        np.broadcast_to(cut, full),
        log=True,
        rtol=math.log(rtol),
        preserve_shape=True,
    )
    _require(result, "tanh-sinh quadrature")
    return np.real(result.integral) + height + np.log(peak.scale) * (1.0 + power[..., 0])


def log_integral(
    log_f: LogIntegrand,
    peak: Peak,
    *,
    args: Sequence[ArrayLike] = (),
    rtol: float = RTOL,
) -> np.ndarray:
    r"""Return :math:`\log \int_{-\infty}^{\infty} e^{\ell(x)}\, dx` for each integrand.

    .. math::

        \int e^{\ell(x)}\, dx = s \int_0^{R_+} e^{\ell(\hat x + s t)}\, dt
        + s \int_0^{R_-} e^{\ell(\hat x - s t)}\, dt,

    by :func:`scipy.integrate.tanhsinh` with ``log=True`` (so nothing underflows), with
    the mode :math:`\hat x` and scale :math:`s` of ``peak``, and cuts :math:`R_\pm`
    where :math:`\ell` has dropped by :data:`DROP`.

    Parameters
    ----------
    log_f : callable
        ``log_f(x, *args)``, the log integrand, elementwise.
    peak : Peak
        From :func:`locate_peak` with the same ``log_f`` and ``args``.
    args : sequence of array_like, optional
        Extra arguments of ``log_f``, broadcast against ``peak.mode``.
    rtol : float, default RTOL
        Relative tolerance of each quadrature.

    Returns
    -------
    numpy.ndarray
        Shaped like ``peak.mode``.

    Raises
    ------
    ValueError
        If :math:`\ell` never drops by :data:`DROP` on one side: a tail too heavy, or
        an integral that does not exist.
    RuntimeError
        If a quadrature does not converge.

    Examples
    --------
    >>> import math
    >>> from companion.checks.integrate import locate_peak, log_integral
    >>> def log_f(x):
    ...     return -0.5 * (x / 3.0) ** 2
    >>> value = log_integral(log_f, locate_peak(log_f, 1.0, 1.0))
    >>> abs(float(value) - math.log(3.0 * math.sqrt(2 * math.pi))) < 1e-14
    True
    """
    sides = _log_side_moments(log_f, peak, (0,), args, rtol)[0]
    return np.logaddexp(sides[0], sides[1])


def log_moments(
    log_f: LogIntegrand,
    peak: Peak,
    *,
    args: Sequence[ArrayLike] = (),
    rtol: float = RTOL,
    variance: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Return the log mass, the mean and the variance of each density :math:`\propto e^{\ell}`.

    With :math:`I_k = \int (x - \hat x)^k e^{\ell(x)} dx` (see :func:`log_integral`;
    the odd moments are differences of the two sides),

    .. math::

        \log I_0, \qquad E[x] = \hat x + \frac{I_1}{I_0}, \qquad
        \mathrm{var}(x) = \frac{I_2}{I_0} - \left(\frac{I_1}{I_0}\right)^2 ,

    centred at the mode, so the subtraction loses nothing unless the density is far
    from symmetric.

    Parameters
    ----------
    log_f : callable
        ``log_f(x, *args)``, the log integrand, elementwise.
    peak : Peak
        From :func:`locate_peak` with the same ``log_f`` and ``args``.
    args : sequence of array_like, optional
        Extra arguments of ``log_f``, broadcast against ``peak.mode``.
    rtol : float, default RTOL
        Relative tolerance of each quadrature.
    variance : bool, default True
        Whether to compute the variance (else it is returned as NaN).

    Returns
    -------
    tuple of numpy.ndarray
        ``(log mass, mean, variance)``, each shaped like ``peak.mode``.

    Examples
    --------
    The logarithm :math:`x` of a Gamma(2, 1) variable has density :math:`e^{2x - e^x}`,
    mean :math:`\psi(2) = 1 - \gamma` and variance :math:`\psi'(2) = \pi^2/6 - 1`:

    >>> import numpy as np
    >>> from companion.checks.integrate import locate_peak, log_moments
    >>> def log_f(x):
    ...     return 2.0 * x - np.exp(x)
    >>> log_mass, mean, var = log_moments(log_f, locate_peak(log_f, 0.0, 1.0))
    >>> bool(np.isclose(mean, 1 - np.euler_gamma, rtol=1e-14, atol=0))
    True
    >>> bool(np.isclose(var, np.pi**2 / 6 - 1, rtol=1e-13, atol=0))
    True
    """
    orders = (0, 1, 2) if variance else (0, 1)
    sides = _log_side_moments(log_f, peak, orders, args, rtol)
    log_mass = np.logaddexp(sides[0, 0], sides[0, 1])
    first = np.exp(sides[1, 1] - log_mass) - np.exp(sides[1, 0] - log_mass)
    if not variance:
        return log_mass, peak.mode + first, np.full(log_mass.shape, np.nan)
    second = np.exp(np.logaddexp(sides[2, 0], sides[2, 1]) - log_mass)
    return log_mass, peak.mode + first, second - first**2


def log_integral_from_zero(
    log_f: LogIntegrand,
    upper: ArrayLike,
    *,
    args: Sequence[ArrayLike] = (),
    rtol: float = RTOL,
) -> np.ndarray:
    r"""Return :math:`\log \int_0^{c} e^{\ell(x)}\, dx`, with any integrable singularity at 0.

    :func:`scipy.integrate.tanhsinh` with ``log=True``. Its nodes near the lower limit
    are computed as their distance to it, so a singularity such as :math:`x^{a-1}`,
    :math:`a < 1`, is integrated to full accuracy; put the singular end at 0.

    Parameters
    ----------
    log_f : callable
        ``log_f(x, *args)``, the log integrand, elementwise on :math:`(0, c)`.
    upper : array_like
        The upper limits :math:`c > 0`.
    args : sequence of array_like, optional
        Extra arguments of ``log_f``, broadcast against ``upper``.
    rtol : float, default RTOL
        Relative tolerance of each quadrature.

    Returns
    -------
    numpy.ndarray
        Shaped like the broadcast of ``upper`` and ``args``.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from companion.checks.integrate import log_integral_from_zero
    >>> value = log_integral_from_zero(lambda x: -0.5 * np.log(x), 1.0)  # x^(-1/2)
    >>> abs(float(value) - math.log(2.0)) < 1e-15
    True
    """
    upper = np.asarray(upper, dtype=float)
    result = tanhsinh(
        log_f, np.zeros(upper.shape), upper, args=tuple(args), log=True, rtol=math.log(rtol)
    )
    _require(result, "tanh-sinh quadrature")
    return np.real(result.integral)
