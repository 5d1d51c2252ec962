r"""Densities tabulated on regular grids: normalization, summaries and sampling.

Both exact posteriors of the book reduce to a low-dimensional density known up to a
constant: :math:`p(\log\tau \mid y)` for the normal model (one dimension) and
:math:`p(\log(\alpha/\beta), \log(\alpha+\beta) \mid y)` for the beta-binomial model
(two dimensions). This module tabulates such a density at the centres of equal-width
cells and treats it as piecewise constant, so that

* the normalizing constant is the midpoint rule, which for a smooth density that has
  decayed at both ends of the grid is accurate far beyond the rounding error of the
  density itself;
* cell probabilities are exact for the piecewise-constant density, the CDF is
  piecewise linear, and inverse-CDF sampling is "choose a cell by its probability,
  then jitter uniformly inside it", as in the bioassay example of :cite:t:`bda3`
  (section 3.7).

:func:`adaptive_grid` chooses the range from the density itself, and the probability
in the outermost cells is reported so that callers can check that the grid covers
the posterior.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import cumulative_simpson
from scipy.interpolate import CubicHermiteSpline
from scipy.special import logsumexp

from companion._validate import RngLike, as_finite, check_draws

__all__ = ["Grid1D", "Grid2D", "adaptive_grid", "warn_if_not_decayed"]


def _check_axis(points: ArrayLike, name: str) -> np.ndarray:
    axis = as_finite(points, name)
    if axis.size < 2:
        raise ValueError(f"{name} must have at least 2 points; got {axis.size}")
    steps = np.diff(axis)
    # Rounding in the points themselves is about eps * |x|, which can be a large part of a
    # tiny step (a narrow prior support far from zero): allow for it.
    slack = 64 * np.finfo(float).eps * float(np.max(np.abs(axis)))
    if np.any(steps <= 0) or not np.allclose(steps, steps[0], rtol=1e-9, atol=slack):
        raise ValueError(f"{name} must be increasing and equally spaced; got steps {steps[:5]!r}")
    return axis


def _normalize(log_density: np.ndarray, name: str) -> tuple[np.ndarray, float]:
    """Cell probabilities (summing to 1) and the log of the sum of the unnormalized ones."""
    if np.isnan(log_density).any() or np.isposinf(log_density).any():
        raise ValueError(f"{name} must be finite or -inf; got NaN or +inf")
    total = float(logsumexp(log_density))
    if not np.isfinite(total):
        raise ValueError(f"{name} is -inf everywhere: the density has no mass on the grid")
    return np.exp(log_density - total), total


# A dataclass: numpydoc cannot see that its fields are the parameters documented below.
@dataclass(frozen=True)
class Grid1D:  # numpydoc ignore=PR02
    r"""A one-dimensional density tabulated at the centres of equal-width cells.

    Parameters
    ----------
    points : array_like, shape (n,)
        Increasing, equally spaced cell centres :math:`x_i` (spacing :math:`h`).
    log_density : array_like, shape (n,)
        Unnormalized log density :math:`\log q(x_i)`; ``-inf`` marks zero density.

    Notes
    -----
    With :math:`q` known up to a constant, the normalized density and the cell
    probabilities are

    .. math::

        Z = h \sum_i q(x_i), \qquad p(x_i) = q(x_i) / Z, \qquad
        P_i = h\, p(x_i) = q(x_i) \Big/ \sum_k q(x_k).

    Two views of the same tabulation serve different purposes:

    * :meth:`cdf` and :meth:`ppf` describe the smooth density: the CDF at the grid
      points is its cumulative Simpson integral and, between points, the cubic
      Hermite interpolant whose slopes are the density itself (error
      :math:`O(h^4)`);
    * :meth:`sample` and :meth:`expect` use the cells: a draw picks cell :math:`i`
      with probability :math:`P_i` and a uniform position inside it, and an
      expectation is the midpoint rule :math:`\sum_i P_i f(x_i)`.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.grid import Grid1D
    >>> x = np.linspace(-10, 10, 2001)
    >>> grid = Grid1D(x, -0.5 * x**2)
    >>> round(float(np.exp(grid.log_normalizer)), 6)  # sqrt(2 pi)
    2.506628
    >>> round(float(grid.expect(lambda t: t**2)), 6)
    1.0
    """

    points: np.ndarray
    log_density: np.ndarray
    mass: np.ndarray = field(init=False, repr=False)
    log_normalizer: float = field(init=False)

    def __post_init__(self) -> None:
        points = _check_axis(self.points, "points")
        log_density = np.array(self.log_density, dtype=np.float64, copy=True)
        if log_density.shape != points.shape:
            raise ValueError(
                f"log_density must have the shape of points {points.shape}; got {log_density.shape}"
            )
        mass, log_total = _normalize(log_density, "log_density")
        for array in (points, log_density, mass):
            array.flags.writeable = False
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "log_density", log_density)
        object.__setattr__(self, "mass", mass)
        object.__setattr__(self, "log_normalizer", log_total + float(np.log(self.width)))
        object.__setattr__(self, "_cumulative", np.concatenate([[0.0], np.cumsum(mass)]))
        density = mass / self.width
        # Simpson's increments can go negative where the density jumps; there, fall back
        # to the trapezoid rule, whose increments never do, so the CDF stays monotone.
        simpson = np.diff(cumulative_simpson(density, dx=self.width, initial=0.0))
        trapezoid = self.width * (density[1:] + density[:-1]) / 2
        increments = np.where(simpson < 0, trapezoid, simpson)
        at_points = np.concatenate([[0.0], np.cumsum(increments)])
        # Half of the first cell lies below the first point; the total is then 1.
        at_points = (at_points + mass[0] / 2) / (at_points[-1] + (mass[0] + mass[-1]) / 2)
        object.__setattr__(self, "_smooth_cdf", CubicHermiteSpline(points, at_points, density))

    @property
    def width(self) -> float:
        """Cell width :math:`h`."""
        return float(self.points[1] - self.points[0])

    @property
    def edges(self) -> np.ndarray:
        """Cell edges, shape ``(n + 1,)``."""
        h = self.width
        return np.concatenate([self.points - h / 2, [self.points[-1] + h / 2]])

    @property
    def density(self) -> np.ndarray:
        """Normalized density at the cell centres."""
        return self.mass / self.width

    def cdf(self, x: ArrayLike) -> np.ndarray:
        """CDF of the smooth density (Simpson integral, cubic Hermite between points).

        In the outer half-cells, beyond the first and last points, it is linear.

        Parameters
        ----------
        x : array_like
            Points at which to evaluate the CDF.
        """
        x = np.asarray(x, dtype=float)
        first, last = self.points[0], self.points[-1]
        spline = self._smooth_cdf
        inner = np.clip(spline(np.clip(x, first, last)), 0.0, 1.0)
        below = np.interp(x, [self.edges[0], first], [0.0, float(spline(first))])
        above = np.interp(x, [last, self.edges[-1]], [float(spline(last)), 1.0])
        return np.where(x < first, below, np.where(x > last, above, inner))

    def ppf(self, q: ArrayLike) -> np.ndarray:
        """Inverse of :meth:`cdf` for probabilities ``q`` in [0, 1] (Newton's method in a cell).

        Parameters
        ----------
        q : array_like
            Probability levels in [0, 1].
        """
        q = np.asarray(q, dtype=float)
        if np.any((q < 0) | (q > 1) | np.isnan(q)):
            raise ValueError(f"q must lie in [0, 1]; got {q!r}")
        spline = self._smooth_cdf
        knots = spline(self.points)
        cell = np.clip(np.searchsorted(knots, q) - 1, 0, self.points.size - 2)
        left, right = self.points[cell], self.points[cell + 1]
        span = np.maximum(knots[cell + 1] - knots[cell], 1e-300)
        x = left + (right - left) * np.clip((q - knots[cell]) / span, 0.0, 1.0)
        slope = spline.derivative()
        for _ in range(6):
            x = np.clip(x - (spline(x) - q) / np.maximum(slope(x), 1e-300), left, right)
        below = np.interp(q, [0.0, knots[0]], [self.edges[0], self.points[0]])
        above = np.interp(q, [knots[-1], 1.0], [self.points[-1], self.edges[-1]])
        x = np.where(q < knots[0], below, np.where(q > knots[-1], above, x))
        # q = 0 and q = 1 map to the ends of the grid, even where the CDF has rounded
        # to 0 or 1 well inside it.
        return np.where(q == 0, self.edges[0], np.where(q == 1, self.edges[-1], x))

    def sample(self, draws: int, *, rng: RngLike = None) -> np.ndarray:
        """Independent draws: a cell with probability :math:`P_i`, then uniform jitter inside it.

        Parameters
        ----------
        draws : int
            Number of draws.
        rng : int, numpy.random.Generator or None
            Seed or generator.
        """
        draws = check_draws(draws)
        u = np.random.default_rng(rng).random(draws)
        # Inverse of the piecewise-linear CDF of the piecewise-constant density.
        return np.interp(u, self._cumulative, self.edges)

    def expect(self, f: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        r"""Midpoint-rule expectation :math:`\sum_i P_i f(x_i)`.

        ``f`` receives all the cell centres at once (shape ``(n,)``) and returns an
        array whose first axis has length ``n``; trailing axes are kept, so one call
        can average a whole vector of quantities.

        Parameters
        ----------
        f : callable
            Function of the cell centres (shape ``(n,)``) returning an array with first axis ``n``.
        """
        values = np.asarray(f(self.points), dtype=float)
        if values.shape[:1] != self.points.shape:
            raise ValueError(
                f"f must return an array whose first axis has length {self.points.size}; "
                f"got shape {values.shape}"
            )
        return np.tensordot(self.mass, values, axes=(0, 0))

    def edge_mass(self, cells: int = 1) -> float:
        """Probability in the ``cells`` outermost cells at each end, added together.

        Parameters
        ----------
        cells : int, default 1
            How many cells at each end to count.
        """
        return float(self.mass[:cells].sum() + self.mass[-cells:].sum())


# A dataclass: numpydoc cannot see that its fields are the parameters documented below.
@dataclass(frozen=True)
class Grid2D:  # numpydoc ignore=PR02
    r"""A two-dimensional density tabulated at the centres of a regular grid of cells.

    Parameters
    ----------
    x, y : array_like
        Increasing, equally spaced cell centres along each axis, shapes ``(nx,)`` and
        ``(ny,)``.
    log_density : array_like, shape (nx, ny)
        Unnormalized log density at ``(x[i], y[j])``.

    Notes
    -----
    Cell probabilities are :math:`P_{ij} = q(x_i, y_j) / \sum_{kl} q(x_k, y_l)`;
    :meth:`sample` picks a cell by inverse CDF on the flattened probabilities and
    jitters uniformly inside it in both directions.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.grid import Grid2D
    >>> x = np.linspace(-8, 8, 401)
    >>> grid = Grid2D(x, x, -0.5 * (x[:, None] ** 2 + x[None, :] ** 2))
    >>> round(float(np.exp(grid.log_normalizer)), 6)  # 2 pi
    6.283185
    """

    x: np.ndarray
    y: np.ndarray
    log_density: np.ndarray
    mass: np.ndarray = field(init=False, repr=False)
    log_normalizer: float = field(init=False)

    def __post_init__(self) -> None:
        x = _check_axis(self.x, "x")
        y = _check_axis(self.y, "y")
        log_density = np.array(self.log_density, dtype=np.float64, copy=True)
        if log_density.shape != (x.size, y.size):
            raise ValueError(
                f"log_density must have shape (len(x), len(y)) = {(x.size, y.size)}; "
                f"got {log_density.shape}"
            )
        mass, log_total = _normalize(log_density, "log_density")
        cell = (x[1] - x[0]) * (y[1] - y[0])
        for array in (x, y, log_density, mass):
            array.flags.writeable = False
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "log_density", log_density)
        object.__setattr__(self, "mass", mass)
        object.__setattr__(self, "log_normalizer", log_total + float(np.log(cell)))
        object.__setattr__(self, "_cumulative", np.cumsum(mass.ravel()))

    @property
    def widths(self) -> tuple[float, float]:
        """Cell widths along ``x`` and ``y``."""
        return float(self.x[1] - self.x[0]), float(self.y[1] - self.y[0])

    @property
    def density(self) -> np.ndarray:
        """Normalized density at the cell centres, shape ``(nx, ny)``."""
        hx, hy = self.widths
        return self.mass / (hx * hy)

    def marginal(self, axis: str) -> Grid1D:
        """Return the marginal density along ``"x"`` or ``"y"`` as a :class:`Grid1D`.

        Parameters
        ----------
        axis : {"x", "y"}
            The axis whose marginal density is returned.
        """
        hx, hy = self.widths
        # Summing over the other axis is a midpoint rule, which needs its cell width.
        if axis == "x":
            return Grid1D(self.x, logsumexp(self.log_density, axis=1) + np.log(hy))
        if axis == "y":
            return Grid1D(self.y, logsumexp(self.log_density, axis=0) + np.log(hx))
        raise ValueError(f"axis must be 'x' or 'y'; got {axis!r}")

    def expect(self, f: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        """Midpoint-rule expectation; ``f(X, Y)`` gets broadcastable ``(nx, 1)`` and ``(1, ny)``.

        Parameters
        ----------
        f : callable
            ``f(x, y)`` on arrays of the grid's shape, returning values of that shape.
        """
        values = np.asarray(f(self.x[:, None], self.y[None, :]), dtype=float)
        return np.sum(self.mass * values)

    def sample(self, draws: int, *, rng: RngLike = None) -> tuple[np.ndarray, np.ndarray]:
        """Independent draws ``(x, y)``: a cell by inverse CDF, then uniform jitter.

        Parameters
        ----------
        draws : int
            Number of draws.
        rng : int, numpy.random.Generator or None
            Seed or generator.
        """
        draws = check_draws(draws)
        rng = np.random.default_rng(rng)
        flat = np.searchsorted(self._cumulative, rng.random(draws) * self._cumulative[-1])
        flat = np.minimum(flat, self.mass.size - 1)
        i, j = np.unravel_index(flat, self.mass.shape)
        hx, hy = self.widths
        jitter = rng.random((2, draws)) - 0.5
        return self.x[i] + hx * jitter[0], self.y[j] + hy * jitter[1]

    def edge_mass(self, cells: int = 1) -> float:
        """Probability in the ring of ``cells`` outermost rows and columns.

        Parameters
        ----------
        cells : int, default 1
            How many rings of cells at the edge to count.
        """
        inner = (
            self.mass[cells:-cells, cells:-cells].sum() if min(self.mass.shape) > 2 * cells else 0
        )
        return float(self.mass.sum() - inner)


def adaptive_grid(
    log_density: Callable[..., np.ndarray],
    bounds: list[tuple[float, float]],
    *,
    size: int,
    limits: list[tuple[float, float]] | None = None,
    threshold: float = 30.0,
    coarse: int = 97,
    max_widenings: int = 30,
) -> Grid1D | Grid2D:
    r"""Tabulate a 1-D or 2-D log density on a grid whose range is found from the density.

    Two stages:

    1. **Search.** On a coarse grid over ``bounds``, every side of the box where the
       log density is within ``threshold`` of its maximum is pushed out by the
       starting width (never past ``limits``), until the density has decayed on all
       sides.
    2. **Zoom.** The box shrinks to the coarse cells within ``threshold`` of the
       maximum plus one cell of margin, repeatedly while that region fills less than
       a third of an axis; the final box is tabulated once with ``size`` cells per
       axis.

    With the default threshold the cells left out hold less than about
    :math:`e^{-30} \approx 10^{-13}` of the density's peak value each.

    Parameters
    ----------
    log_density : callable
        ``log_density(x)`` or ``log_density(x, y)`` on open-mesh axes: it receives
        1-d arrays shaped ``(n,)`` (1-D) or ``(n, 1)`` and ``(1, m)`` (2-D) and
        returns the unnormalized log density on the mesh.
    bounds : list of (float, float)
        The starting box, one pair per axis. It should contain the mode: each side
        moves out by at most ``max_widenings`` times the starting width.
    size : int
        Cells per axis of the final grid.
    limits : list of (float, float), optional
        Hard bounds per axis (for example the log of a prior's support); a side at
        its limit is not pushed out and need not show decay.
    threshold : float, default 30
        Log-density drop that counts as "decayed".
    coarse : int, default 97
        Cells per axis of the search grid.
    max_widenings : int, default 30
        Search rounds before giving up.

    Returns
    -------
    Grid1D or Grid2D

    Raises
    ------
    ValueError
        If the density has not decayed on some side after ``max_widenings`` rounds
        (typically an improper posterior).

    Examples
    --------
    >>> from companion.grid import adaptive_grid
    >>> grid = adaptive_grid(lambda x: -0.5 * ((x - 4) / 0.01) ** 2, [(0.0, 5.0)], size=512)
    >>> round(float(grid.expect(lambda x: x)), 6), grid.edge_mass() < 1e-12
    (4.0, True)
    """
    box = as_finite(bounds, "bounds", ndim=2)
    dims = box.shape[0]
    if dims not in (1, 2) or box.shape[1] != 2 or np.any(box[:, 1] <= box[:, 0]):
        raise ValueError(
            f"bounds must be one or two (low, high) pairs with low < high; got {bounds!r}"
        )
    hard = (
        np.tile([-np.inf, np.inf], (dims, 1))
        if limits is None
        else np.array(limits, dtype=float).reshape(dims, 2)
    )
    box = np.clip(box, hard[:, :1], hard[:, 1:])
    step = box[:, 1] - box[:, 0]  # linear widening keeps the search in a numerically sane range

    def _tabulate(cells: int) -> tuple[list[np.ndarray], np.ndarray, float]:
        """Tabulate the density on a grid of ``cells`` cells per axis over the current box."""
        # Cell centres: the box's sides are cell edges, so a hard limit (a prior's
        # support) is where the tabulated density stops, not half a cell beyond it.
        axes = [lo + (hi - lo) * (np.arange(cells) + 0.5) / cells for lo, hi in box]
        mesh = np.ix_(*axes)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            values = np.asarray(log_density(*mesh), dtype=float)
        values = np.where(np.isnan(values), -np.inf, values)
        top = values.max()
        if not np.isfinite(top):
            raise ValueError(
                f"the density is zero or infinite everywhere in the box {box.tolist()}"
            )
        return axes, values - top, float(top)

    for _ in range(max_widenings + 1):
        axes, values, top = _tabulate(coarse)
        alive = values > -threshold
        open_sides = np.zeros((dims, 2), dtype=bool)
        for d in range(dims):
            profile = np.moveaxis(alive, d, 0).reshape(coarse, -1).any(axis=1)
            open_sides[d] = [profile[0], profile[-1]]
        open_sides &= box != hard
        if not open_sides.any():
            break
        box = np.clip(box + np.stack([-step, step], axis=1) * open_sides, hard[:, :1], hard[:, 1:])
    else:
        sides = [f"axis {d} {'low' if s == 0 else 'high'}" for d, s in np.argwhere(open_sides)]
        raise ValueError(
            f"the density does not decay on {sides} even over the box {box.tolist()}: "
            "the posterior is improper, too heavy-tailed for a grid, or the data carry no "
            "information on that side"
        )

    for _ in range(6):
        alive = values > -threshold
        spans = []
        for d in range(dims):
            profile = np.flatnonzero(np.moveaxis(alive, d, 0).reshape(coarse, -1).any(axis=1))
            # Keep one cell of margin; a side where the density is still alive (a hard
            # limit) stays where it is.
            low, high = box[d]
            if profile[0] > 0:
                low = axes[d][profile[0] - 1]
            if profile[-1] < coarse - 1:
                high = axes[d][profile[-1] + 1]
            box[d] = low, high
            spans.append((profile[-1] - profile[0] + 1) / coarse)
        if min(spans) >= 1 / 3:
            break
        axes, values, top = _tabulate(coarse)
    axes, values, top = _tabulate(size)
    values = values + top  # keep the caller's normalization, so log_normalizer is meaningful
    return Grid1D(axes[0], values) if dims == 1 else Grid2D(axes[0], axes[1], values)


def warn_if_not_decayed(
    weighted: np.ndarray, axes: int, where: str, *, stacklevel: int = 3
) -> None:
    r"""Warn that an expectation may not exist if :math:`|f|\,p` has not decayed at the edges.

    A grid is finite, so it returns a number for :math:`E[f]` even where the integral
    diverges. The sign of divergence is mass at the edges: the warning fires when the
    cells within two of an edge of the grid hold more than :math:`10^{-9}` of
    :math:`\sum |f|\,p`.

    Parameters
    ----------
    weighted : numpy.ndarray
        :math:`|f|` times the cell masses; the first ``axes`` axes are the grid's, any
        others index separate expectations (each is judged on its own).
    axes : int
        Number of grid axes (1 or 2).
    where : str
        The edges, as the message names them (for example ``"ends of the tau grid"``).
    stacklevel : int, default 3
        Passed to ``warnings.warn``: 3 points at the caller of the function that
        calls this one.
    """
    grid_axes = tuple(range(axes))
    total = weighted.sum(axis=grid_axes)
    inner = weighted[(slice(2, -2),) * axes].sum(axis=grid_axes)
    if np.any(total - inner > 1e-9 * np.maximum(total, 1e-300)):
        warnings.warn(
            f"the integrand has not decayed at the {where}: this expectation may not exist "
            "(heavy tail) and the value returned is unreliable",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
