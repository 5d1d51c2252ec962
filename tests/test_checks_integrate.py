"""Tests for companion.checks.integrate, the engine behind every brute-force value.

Each integral is compared with an exact value that shares nothing with quadrature:
Gaussian integrals, the Gamma function and its polygamma derivatives, and powers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from companion.checks import integrate


def _normal(x: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return -0.5 * ((x - centre) / scale) ** 2


def test_gaussian_integrals_at_every_scale_and_place() -> None:
    """One vectorized call; bumps from 1e-2 to 1e8 wide, far from the starting guess.

    (A bump much narrower than its distance from 0, |centre| / scale >> 100, cannot be
    integrated to 1e-13 by any rule: x itself is then rounded to a visible fraction of
    the scale.)
    """
    centre = np.array([0.0, 3.0, -250.0, 1e6, 2.0, -7.0])
    scale = np.array([1.0, 1e-2, 40.0, 1e5, 1e8, 0.3])
    peak = integrate.locate_peak(_normal, np.zeros(6), np.ones(6), args=(centre, scale))
    # Neither needs to be exact (they only place the nodes), but both are close.
    assert np.all(np.abs(peak.mode - centre) < 0.2 * scale)
    np.testing.assert_allclose(peak.scale, scale, rtol=1e-6)
    log_mass = integrate.log_integral(_normal, peak, args=(centre, scale))
    np.testing.assert_allclose(log_mass, np.log(scale * math.sqrt(2 * math.pi)), rtol=0, atol=1e-13)
    log_mass2, mean, var = integrate.log_moments(_normal, peak, args=(centre, scale))
    np.testing.assert_allclose(log_mass2, log_mass, rtol=0, atol=1e-13)
    np.testing.assert_allclose((mean - centre) / scale, 0.0, atol=1e-13)
    np.testing.assert_allclose(var / scale**2, 1.0, rtol=1e-13)


@pytest.mark.parametrize("shape", [0.05, 0.5, 2.0, 30.0, 1e4])
def test_log_gamma_moments(shape: float) -> None:
    """x = log g with g ~ Gamma(a, 1): skewed, one tail exponential, the other doubly so."""

    def log_f(x: np.ndarray) -> np.ndarray:
        return shape * x - np.exp(x)

    peak = integrate.locate_peak(log_f, 0.0, 1.0)
    assert abs(float(peak.mode) - math.log(shape)) < 0.2 * float(peak.scale)
    # The curvature scale is 1/sqrt(a); measured over a finite step it differs by a
    # fraction, since the density is skewed.
    assert 0.7 < float(peak.scale) * math.sqrt(shape) < 1.1
    log_mass, mean, var = integrate.log_moments(log_f, peak)
    assert float(log_mass) == pytest.approx(special.gammaln(shape), rel=1e-15, abs=1e-12)
    assert float(mean) == pytest.approx(special.digamma(shape), abs=1e-12)
    assert float(var) == pytest.approx(special.polygamma(1, shape), rel=1e-12)
    assert float(integrate.log_integral(log_f, peak)) == pytest.approx(
        special.gammaln(shape), rel=1e-15, abs=1e-12
    )


def test_mean_without_variance() -> None:
    _, mean, var = integrate.log_moments(
        _normal,
        integrate.locate_peak(_normal, 0.0, 1.0, args=(5.0, 2.0)),
        args=(5.0, 2.0),
        variance=False,
    )
    assert float(mean) == pytest.approx(5.0, abs=1e-13) and np.isnan(var)


def test_exponential_tails_and_improper_integrands() -> None:
    def sech(x: np.ndarray) -> np.ndarray:  # tails e^-|x|, far heavier than the curvature says
        return -np.logaddexp(x, -x) + math.log(2.0)

    value = integrate.log_integral(sech, integrate.locate_peak(sech, 0.5, 1.0))
    assert float(value) == pytest.approx(math.log(math.pi), abs=1e-14)

    def improper(x: np.ndarray) -> np.ndarray:
        return -0.5 * np.log1p(x * x)  # ~ 1/|x|: the integral diverges

    with pytest.raises(ValueError, match="has not decayed"):
        integrate.log_integral(improper, integrate.locate_peak(improper, 0.5, 1.0))


def test_a_monotone_integrand_has_no_mode() -> None:
    with pytest.raises(ValueError, match="could not bracket a mode"):
        integrate.locate_peak(lambda x: x, 0.0, 1.0)


@pytest.mark.parametrize("upper", [1.0, 0.3, 1e-5])
def test_integrals_from_a_singular_end(upper: float) -> None:
    """The integral of x^(a-1) over (0, c) is c^a / a, also for a < 1 (singular at 0)."""
    a = np.array([0.1, 0.5, 1.0, 3.0, 40.0])

    def log_f(x: np.ndarray, a: np.ndarray) -> np.ndarray:
        return (a - 1.0) * np.log(x)

    value = integrate.log_integral_from_zero(log_f, np.full(a.shape, upper), args=(a,))
    np.testing.assert_allclose(value, a * math.log(upper) - np.log(a), rtol=1e-14, atol=1e-13)
