r"""Finite mixtures of scipy distributions: the exact marginals and predictives of the book.

Every exact marginal of the two hierarchical models is a mixture over the grid of the
hyperparameters. Given :math:`\tau`, the effect :math:`\theta_j` of the normal model is
normal; given :math:`(\alpha, \beta)`, a rate :math:`\theta_j` is Beta and a future count
is beta-binomial. Integrating the hyperparameters out with the grid's cell
probabilities :math:`w_i` gives

.. math::

    F(x) = \sum_i w_i F_i(x), \qquad f(x) = \sum_i w_i f_i(x), \qquad
    E[X] = \sum_i w_i E_i[X], \qquad
    \mathrm{var}(X) = \sum_i w_i \big(\mathrm{var}_i(X) + E_i[X]^2\big) - E[X]^2 ,

with :math:`F_i, f_i` the CDF and density (or mass function) of component :math:`i`.
:class:`Mixture` holds the components of one or of several variables at once (one per
group, the trailing axis of its parameters), and answers with the same shapes as the
posterior objects: ``cdf(x)`` has shape ``(len(x), J)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from scipy.optimize import elementwise

from companion._stable_beta import stable_beta, stable_betabinom
from companion._validate import RngLike, as_finite, as_probabilities, as_probability, check_draws
from companion.grid import warn_if_not_decayed

__all__ = ["Mixture"]

_CHUNK = 1 << 22  # evaluation points x components x variables computed at once (~32 MB)
_FAMILIES = {"norm": stats.norm, "beta": stable_beta, "betabinom": stable_betabinom}


class Mixture:
    r"""A finite mixture :math:`\sum_i w_i D(\cdot \mid \psi_i)` of one scipy family.

    Parameters
    ----------
    family : {"norm", "beta", "betabinom"}
        The family of the components.
    weights : array_like, shape (n,)
        Non-negative component weights; they are normalized to sum to one.
    **parameters : array_like, shape (n,) or (n, J)
        The family's parameters by name (``loc`` and ``scale`` for ``norm``, ``a``
        and ``b`` for ``beta``, ``n``, ``a`` and ``b`` for ``betabinom``), one row per
        component; a trailing axis of length ``J`` holds ``J`` variables mixed with the
        same weights (for example the eight schools).
    ordered : bool, default False
        The components follow a one-dimensional grid of a hyperparameter (as the
        :math:`\tau` grid of the normal model), so a moment that does not exist shows as
        contributions that have not decayed at its two ends: :meth:`mean` and
        :meth:`var` then warn, as ``TauPosterior.expect`` does.

    Examples
    --------
    >>> from companion.mixtures import Mixture
    >>> m = Mixture("norm", [0.5, 0.5], loc=[-1.0, 1.0], scale=[1.0, 1.0])
    >>> float(m.cdf(0.0)[0]), round(float(m.std()), 6)  # sd = sqrt(1 + 1)
    (0.5, 1.414214)
    """

    def __init__(
        self, family: str, weights: ArrayLike, *, ordered: bool = False, **parameters: ArrayLike
    ) -> None:
        if family not in _FAMILIES:
            raise ValueError(f"family must be one of {tuple(_FAMILIES)}; got {family!r}")
        w = as_finite(weights, "weights")
        if np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights must be non-negative with a positive sum; got {w[:5]!r}")
        params = {
            name: as_finite(value, name, ndim=np.ndim(value)) for name, value in parameters.items()
        }
        shapes = {name: value.shape for name, value in params.items()}
        if not params or any(shape[:1] != w.shape for shape in shapes.values()):
            raise ValueError(
                f"each parameter must have one row per weight ({w.size}); got shapes {shapes}"
            )
        width = {shape[1] for shape in shapes.values() if len(shape) == 2}
        if len(width) > 1 or any(len(shape) > 2 for shape in shapes.values()):
            raise ValueError(f"parameters must share shape (n,) or (n, J); got {shapes}")
        self.family = family
        self.weights = w / w.sum()
        self.vector = bool(width)
        columns = width.pop() if width else 1
        self.parameters = {
            name: np.broadcast_to(value.reshape(w.size, -1), (w.size, columns)).copy()
            for name, value in params.items()
        }
        for array in (self.weights, *self.parameters.values()):
            array.flags.writeable = False
        self._dist = _FAMILIES[family]
        self.discrete = family == "betabinom"
        self.ordered = bool(ordered)

    @property
    def size(self) -> int:
        """Number of mixed variables :math:`J` (1 for a scalar mixture)."""
        return next(iter(self.parameters.values())).shape[1]

    def _shape(self, values: np.ndarray) -> np.ndarray:
        return values if self.vector else values[..., 0]

    def _apply(self, method: str, x: np.ndarray) -> np.ndarray:
        """sum_i w_i method(x; psi_i), shape (len(x), J), in chunks of x."""
        out = np.empty((x.size, self.size))
        step = max(1, _CHUNK // (self.weights.size * self.size))
        for start in range(0, x.size, step):
            xs = x[start : start + step, None, None]
            values = getattr(self._dist, method)(xs, **self.parameters)
            out[start : start + step] = np.tensordot(values, self.weights, axes=(1, 0))
        return out

    def cdf(self, x: ArrayLike) -> np.ndarray:
        """Return :math:`F(x)`, shape ``(len(x), J)`` (``(len(x),)`` for a scalar mixture).

        Parameters
        ----------
        x : array_like
            Points at which to evaluate.
        """
        points = np.atleast_1d(as_finite(x, "x", ndim=np.ndim(x))).ravel()
        return self._shape(np.clip(self._apply("cdf", points), 0.0, 1.0))

    def pdf(self, x: ArrayLike) -> np.ndarray:
        """Return the density :math:`f(x)` (continuous families), shaped like :meth:`cdf`.

        Parameters
        ----------
        x : array_like
            Points at which to evaluate.
        """
        if self.discrete:
            raise ValueError("pdf: a betabinom mixture is discrete; use pmf")
        points = np.atleast_1d(as_finite(x, "x", ndim=np.ndim(x))).ravel()
        return self._shape(self._apply("pdf", points))

    def pmf(self, k: ArrayLike) -> np.ndarray:
        """Return the probability mass at the counts ``k`` (betabinom), shaped like :meth:`cdf`.

        Parameters
        ----------
        k : array_like of int
            Counts at which to evaluate.
        """
        if not self.discrete:
            raise ValueError(f"pmf: a {self.family} mixture is continuous; use pdf")
        points = np.atleast_1d(as_finite(k, "k", ndim=np.ndim(k))).ravel()
        return self._shape(self._apply("pmf", points))

    def mean(self) -> float | np.ndarray:
        r"""Return :math:`E[X] = \sum_i w_i E_i[X]` (float, or shape ``(J,)``)."""
        means = self._dist.mean(**self.parameters)
        self._warn_if_heavy(means)
        return self._scalar(self.weights @ means)

    def var(self) -> float | np.ndarray:
        """Return the variance by the law of total variance."""
        means = self._dist.mean(**self.parameters)
        second = self._dist.var(**self.parameters) + means**2
        self._warn_if_heavy(second)
        mean = self.weights @ means
        return self._scalar(np.maximum(self.weights @ second - mean**2, 0.0))

    def _warn_if_heavy(self, moments: np.ndarray) -> None:
        """Warn if the weighted moments of an ordered mixture have not decayed at its ends."""
        if not self.ordered or self.weights.size < 5:
            return
        weighted = np.abs(moments) * self.weights[:, None]
        warn_if_not_decayed(weighted, 1, "ends of the grid of components", stacklevel=4)

    def std(self) -> float | np.ndarray:
        """Return the standard deviation, the square root of :meth:`var`."""
        return self._scalar(np.sqrt(np.asarray(self.var())))

    def _scalar(self, values: np.ndarray) -> float | np.ndarray:
        values = np.asarray(values)
        return values if self.vector else float(values.reshape(-1)[0])

    def ppf(self, q: ArrayLike) -> np.ndarray:
        r"""Return the quantiles, the inverse of :meth:`cdf`; shape ``(len(q), J)``.

        For a continuous family, Chandrupatla's root finder
        (``scipy.optimize.elementwise.find_root``) solves :math:`F(x) = q` for every
        quantile and variable at once, inside a bracket that holds all but
        :math:`10^{-15}` of every component. For the discrete betabinom family, the
        smallest count :math:`k` with :math:`F(k) \ge q`.

        Parameters
        ----------
        q : array_like
            Probability levels in (0, 1).
        """
        qs = as_probabilities(q, "q")
        if self.discrete:
            support = np.arange(int(self.parameters["n"].max()) + 1)
            cdf = np.cumsum(self._apply("pmf", support), axis=0)
            index = (cdf[None, :, :] < qs[:, None, None] - 1e-12).sum(axis=1)
            return self._shape(support[np.minimum(index, support.size - 1)].astype(float))
        low = self._dist.ppf(1e-15, **self.parameters).min(axis=0)
        high = self._dist.isf(1e-15, **self.parameters).max(axis=0)
        column = np.arange(self.size)

        def _excess(x: np.ndarray, j: np.ndarray, p: np.ndarray) -> np.ndarray:
            """Return the mixture CDF minus the level, elementwise, for the root finder."""
            flat_x, flat_j = x.ravel(), j.astype(int).ravel()
            values = np.empty(flat_x.size)
            step = max(1, _CHUNK // self.weights.size)
            for start in range(0, flat_x.size, step):
                part = slice(start, start + step)
                params = {k: v[:, flat_j[part]] for k, v in self.parameters.items()}
                values[part] = self.weights @ self._dist.cdf(flat_x[part], **params)
            return values.reshape(x.shape) - p

        shape = (qs.size, self.size)
        result = elementwise.find_root(
            _excess,
            (np.broadcast_to(low, shape), np.broadcast_to(high, shape)),
            args=(np.broadcast_to(column, shape), np.broadcast_to(qs[:, None], shape)),
            tolerances={"xatol": 1e-12 * float(np.max(high - low)), "xrtol": 1e-12},
        )
        return self._shape(result.x)

    def interval(self, probability: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Return the central interval holding ``probability``: the two quantiles.

        Parameters
        ----------
        probability : float, default 0.95
            Probability of the interval, in (0, 1).
        """
        level = as_probability(probability, "probability")
        low, high = self.ppf([(1 - level) / 2, (1 + level) / 2])
        return low, high

    def rvs(self, draws: int, *, rng: RngLike = None) -> np.ndarray:
        """Draw independently: a component by its weight, then a value from it.

        Parameters
        ----------
        draws : int
            Number of draws.
        rng : int, numpy.random.Generator or None
            Seed or generator.

        Returns
        -------
        numpy.ndarray
            Shape ``(draws, J)`` (``(draws,)`` for a scalar mixture).
        """
        draws = check_draws(draws)
        generator = np.random.default_rng(rng)
        component = generator.choice(self.weights.size, size=draws, p=self.weights)
        params: Mapping[str, np.ndarray] = {k: v[component] for k, v in self.parameters.items()}
        return self._shape(self._dist.rvs(**params, random_state=generator))
