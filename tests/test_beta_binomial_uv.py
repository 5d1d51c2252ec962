"""companion.beta_binomial in the grid's coordinates: the log density in (u, v) and the modes.

References: the grid's own table (equal up to a constant), the tail slopes k + 2 + G and
k + 2 of the propriety band, finite-difference stationarity of each mode, and a direct
Nelder-Mead maximization in (alpha, beta); the Jacobians by central differences.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize
from scipy.special import expit

from companion import beta_binomial, datasets
from companion.priors import PowerHyperprior

RATS = datasets.rat_tumors()
Y, N = RATS["y"].to_numpy(), RATS["n"].to_numpy()


@pytest.fixture(scope="module")
def rat_post() -> beta_binomial.HyperPosterior:
    return beta_binomial.hyper_posterior(Y, N)


def test_log_density_uv_matches_the_grid(rat_post):
    g = rat_post.grid
    direct = beta_binomial.log_marginal_posterior_uv(Y, N, g.x[:, None], g.y[None, :])
    diff = direct - g.log_density
    assert np.ptp(diff) < 1e-9  # equal up to one constant


def test_log_density_uv_tail_slopes_give_the_propriety_band():
    g = int(np.sum((Y > 0) & (Y < N)))
    v = np.array([-41.0, -40.0, 40.0, 41.0])
    for k in (0.0, -2.5, -30.0):
        lp = beta_binomial.log_marginal_posterior_uv(Y, N, -1.79, v, hyperprior=PowerHyperprior(k))
        assert abs(lp[1] - lp[0] - (k + 2 + g)) < 1e-6
        assert abs(lp[3] - lp[2] - (k + 2)) < 1e-6


def test_modes_in_the_two_coordinates(rat_post):
    log_mode, natural_mode = rat_post.mode("log"), rat_post.mode("natural")
    # the values the chapter quotes
    assert (round(log_mode["alpha"], 2), round(log_mode["beta"], 2)) == (2.23, 13.28)
    assert (round(natural_mode["alpha"], 2), round(natural_mode["beta"], 2)) == (1.82, 10.84)
    # each is a stationary point of its own density, by finite differences
    step = 1e-5
    for point, natural in ((log_mode, False), (natural_mode, True)):
        for du, dv in ((step, 0.0), (0.0, step)):
            values = []
            for sign in (1, -1):
                u, v = point["u"] + sign * du, point["v"] + sign * dv
                lp = beta_binomial.log_marginal_posterior_uv(Y, N, u, v)
                if natural:
                    lp = lp - np.log(np.exp(2 * v) * expit(u) * expit(-u))
                values.append(float(lp))
            assert abs(values[0] - values[1]) / (2 * step) < 1e-4
    # the mode of p(alpha, beta | y) against a direct maximization in (alpha, beta)
    direct = optimize.minimize(
        lambda p: -float(beta_binomial.log_marginal_posterior(Y, N, p[0], p[1])),
        [2.0, 12.0],
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10},
    )
    assert np.allclose(direct.x, [natural_mode["alpha"], natural_mode["beta"]], rtol=1e-4)


def test_mode_rejects_unknown_coordinates(rat_post):
    with pytest.raises(ValueError, match="coordinates"):
        rat_post.mode("cartesian")


# --- 4. formulas of the chapter, formerly hidden notebook cells ---------------------------------


@pytest.mark.parametrize(("a", "b"), [(2.3, 13.8), (0.4, 1.1), (30.0, 7.0)])
def test_bda3_hyperprior_jacobian(a, b):
    """|d(m, z)/d(alpha, beta)| = (alpha + beta)^(-5/2) / 2 for m = a/(a+b), z = (a+b)^(-1/2)."""
    eps = 1e-6
    m = lambda p, q: p / (p + q)  # noqa: E731
    z = lambda p, q: (p + q) ** -0.5  # noqa: E731
    jac = np.array(
        [
            [m(a + eps, b) - m(a - eps, b), m(a, b + eps) - m(a, b - eps)],
            [z(a + eps, b) - z(a - eps, b), z(a, b + eps) - z(a, b - eps)],
        ]
    ) / (2 * eps)
    assert abs(abs(np.linalg.det(jac)) / (0.5 * (a + b) ** -2.5) - 1) < 1e-6


@pytest.mark.parametrize(("u", "v"), [(-1.79, 2.74), (0.3, -2.0), (2.0, 8.0)])
def test_uv_jacobian_is_alpha_beta(u, v):
    """|d(alpha, beta)/d(u, v)| = alpha * beta (eq-rt-jacobian)."""
    eps = 1e-6
    alpha = lambda s, t: np.exp(t) * expit(s)  # noqa: E731
    beta = lambda s, t: np.exp(t) * expit(-s)  # noqa: E731
    jac = np.array(
        [
            [alpha(u + eps, v) - alpha(u - eps, v), alpha(u, v + eps) - alpha(u, v - eps)],
            [beta(u + eps, v) - beta(u - eps, v), beta(u, v + eps) - beta(u, v - eps)],
        ]
    ) / (2 * eps)
    assert abs(abs(np.linalg.det(jac)) / (alpha(u, v) * beta(u, v)) - 1) < 1e-6
