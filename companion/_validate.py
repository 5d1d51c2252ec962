"""Input checks shared by every public function of :mod:`companion`.

Each check returns a fresh array (inputs are never modified) or raises a
:class:`ValueError` whose message names the argument and shows the bad value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy import stats

#: What every ``rng`` argument accepts (Scientific Python SPEC 7): a seed, a
#: generator, or ``None`` for fresh entropy.
RngLike = int | np.integer | np.random.Generator | None

__all__ = [
    "RngLike",
    "as_binomial_data",
    "as_counts",
    "as_finite",
    "as_normal_data",
    "as_positive",
    "as_probabilities",
    "as_probability",
    "as_rates",
    "as_seed",
    "check_choice",
    "check_draws",
    "check_frozen",
    "check_groups",
    "check_same_length",
    "check_trials",
    "check_unique",
    "frozen_parameters",
]


def _show(values: np.ndarray, mask: np.ndarray) -> str:
    """Describe the offending entries of ``values`` (at most five of them)."""
    index = np.flatnonzero(mask)
    shown = ", ".join(f"[{i}]={values.flat[i].item()!r}" for i in index[:5])
    more = f" and {index.size - 5} more" if index.size > 5 else ""
    return shown + more


def as_finite(values: Any, name: str, *, ndim: int = 1, allow_empty: bool = False) -> np.ndarray:
    """Return ``values`` as a new float array, checking its shape and that it is finite.

    Parameters
    ----------
    values : array_like
        The input.
    name : str
        Argument name used in the error message.
    ndim : int, default 1
        Required number of dimensions (0 for a scalar).
    allow_empty : bool, default False
        Whether an array with no elements is acceptable.

    Returns
    -------
    numpy.ndarray
        A float64 copy of ``values``.

    Raises
    ------
    ValueError
        If the values are not numeric, have the wrong shape, are empty, or contain
        NaN or infinity.
    """
    try:
        array = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric; got {values!r}") from err
    if array.ndim != ndim:
        kind = "a scalar" if ndim == 0 else f"a {ndim}-dimensional array"
        raise ValueError(f"{name} must be {kind}; got shape {array.shape}")
    if array.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} must be finite (no NaN or inf); got {_show(array, bad)}")
    return array


def as_positive(values: Any, name: str, *, ndim: int = 1) -> np.ndarray:
    """Return ``values`` as a finite float array whose entries are all > 0."""
    array = as_finite(values, name, ndim=ndim)
    bad = array <= 0
    if bad.any():
        raise ValueError(f"{name} must be > 0; got {_show(array, bad)}")
    return array


def as_probabilities(values: Any, name: str = "q") -> np.ndarray:
    """Return probability levels as a new 1-d float array, each strictly inside (0, 1).

    A scalar becomes an array of one level. This is the one place where quantile
    levels and probabilities given to the package are checked.
    """
    array = np.atleast_1d(as_finite(values, name, ndim=np.ndim(values))).ravel()
    bad = (array <= 0) | (array >= 1)
    if bad.any():
        raise ValueError(f"{name} must lie strictly between 0 and 1; got {_show(array, bad)}")
    return array


def as_probability(value: Any, name: str) -> float:
    """Return one probability strictly inside (0, 1) as a float (see :func:`as_probabilities`)."""
    return float(as_probabilities(as_finite(value, name, ndim=0), name)[0])


def as_counts(values: Any, name: str, *, ndim: int = 1) -> np.ndarray:
    """Return ``values`` as a new int64 array of non-negative whole numbers.

    Floats are accepted when they are whole (``3.0``), since data files often
    store counts that way; ``2.5`` or ``-1`` raise.
    """
    array = as_finite(values, name, ndim=ndim)
    bad = (array < 0) | (array != np.round(array))
    if bad.any():
        raise ValueError(f"{name} must be non-negative whole numbers; got {_show(array, bad)}")
    return array.astype(np.int64)


def check_trials(successes: np.ndarray, trials: np.ndarray, names: tuple[str, str]) -> None:
    """Check ``successes <= trials`` elementwise (both already validated counts)."""
    bad = successes > trials
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{names[0]} must not exceed {names[1]}; got {names[0]}[{i}]={successes[i]} "
            f"> {names[1]}[{i}]={trials[i]}"
        )


def as_rate(value: Any, name: str) -> float:
    """Return one rate in [0, 1] as a float."""
    rate = float(as_finite(value, name, ndim=0))
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1]; got {rate!r}")
    return rate


def as_rates(values: Any, name: str) -> np.ndarray:
    """Return observed rates as a float array in [0, 1] with some spread."""
    array = as_finite(values, name)
    bad = (array < 0) | (array > 1)
    if bad.any():
        raise ValueError(f"{name} must lie in [0, 1]; got {_show(array, bad)}")
    if array.size < 2 or np.ptp(array) == 0:
        raise ValueError(
            f"{name} must contain at least two different values to have a spread; got {array!r}"
        )
    return array


def check_same_length(**arrays: np.ndarray) -> None:
    """Check that all the given 1-d arrays have the same length."""
    lengths = {key: len(value) for key, value in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"len({key})={n}" for key, n in lengths.items())
        raise ValueError(f"{', '.join(lengths)} must have the same length; got {shown}")


def check_draws(draws: Any, name: str = "draws") -> int:
    """Return ``draws`` as a Python int, checking that it is a whole number >= 1."""
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {draws!r}")
    return int(draws)


def check_groups(groups: Any, size: int, name: str = "groups") -> np.ndarray:
    """Return 0-based group indices as an int array (``None`` selects all ``size`` groups)."""
    if groups is None:
        return np.arange(size)
    index = np.atleast_1d(np.asarray(groups))
    if index.ndim != 1 or index.size == 0 or index.dtype.kind not in "iu":
        raise ValueError(f"{name} must be a non-empty sequence of integers; got {groups!r}")
    bad = (index < 0) | (index >= size)
    if bad.any():
        raise ValueError(f"{name} must lie in [0, {size - 1}]; got {index[bad].tolist()}")
    return index.astype(np.int64)


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``choices``."""
    options = tuple(choices)
    if value not in options:
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_frozen(
    dist: Any,
    name: str,
    *,
    lower: float | None = None,
    family: str | None = None,
) -> Any:
    """Check that ``dist`` is a frozen continuous :mod:`scipy.stats` distribution.

    Parameters
    ----------
    dist : object
        The candidate prior.
    name : str
        Argument name used in the error message.
    lower : float, optional
        If given, the support of ``dist`` must not extend below this value
        (``0`` for a scale parameter such as tau).
    family : str, optional
        If given, the name of the required family (for example ``"norm"``).

    Returns
    -------
    scipy.stats.rv_continuous_frozen
        ``dist`` itself.
    """
    # Frozen scipy.stats distributions keep their generator in `.dist`.
    if not isinstance(getattr(dist, "dist", None), stats.rv_continuous):
        raise ValueError(
            f"{name} must be a frozen continuous scipy.stats distribution "
            f"(for example scipy.stats.halfcauchy(scale=5)) or None; got {dist!r}"
        )
    if family is not None and dist.dist.name != family:
        raise ValueError(
            f"{name} must be a scipy.stats.{family} distribution; got {dist.dist.name}"
        )
    if lower is not None:
        support_low = float(dist.support()[0])
        if support_low < lower:
            raise ValueError(
                f"{name} must have support within [{lower}, inf); got a {dist.dist.name} "
                f"distribution whose support starts at {support_low}"
            )
    return dist


def frozen_parameters(dist: Any) -> tuple[dict[str, float], float, float]:
    """Read the shape parameters, ``loc`` and ``scale`` of a frozen scipy.stats distribution.

    A frozen distribution is ``family(*shapes, loc, scale)``, each given by position or
    by keyword; this reads them back whichever way they were given.

    Returns
    -------
    tuple
        ``({shape name: value}, loc, scale)``.
    """
    names = [s.strip() for s in (dist.dist.shapes or "").split(",") if s.strip()]
    args = list(dist.args)
    shapes = {name: float(args.pop(0)) if args else float(dist.kwds[name]) for name in names}
    loc = float(args.pop(0)) if args else float(dist.kwds.get("loc", 0.0))
    scale = float(args.pop(0)) if args else float(dist.kwds.get("scale", 1.0))
    return shapes, loc, scale


def as_normal_data(y: Any, sigma: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return estimates ``y`` and their known standard errors ``sigma`` as checked copies.

    ``y`` must be finite, ``sigma`` finite and > 0, both 1-d of one length.
    """
    y = as_finite(y, "y")
    sigma = as_positive(sigma, "sigma")
    check_same_length(y=y, sigma=sigma)
    return y, sigma


def as_binomial_data(successes: Any, trials: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return binomial counts as checked int64 copies: whole, >= 0, successes <= trials."""
    y = as_counts(successes, "successes")
    n = as_counts(trials, "trials")
    check_same_length(successes=y, trials=n)
    check_trials(y, n, ("successes", "trials"))
    return y, n


def as_seed(rng: Any, name: str = "rng") -> int:
    """Return the integer seed that a sampler is given for ``rng``.

    An integer is used as it is (so ``rng=3`` and a recorded seed of 3 reproduce each
    other), a :class:`numpy.random.Generator` draws one, and ``None`` draws one from
    fresh operating-system entropy.

    Parameters
    ----------
    rng : int, numpy.random.Generator or None
        The source of randomness.
    name : str, default "rng"
        Argument name used in the error message.

    Returns
    -------
    int
        A seed in ``[0, 2**62)``.
    """
    if isinstance(rng, bool):
        raise ValueError(f"{name} must be an integer, a numpy Generator or None; got {rng!r}")
    if isinstance(rng, int | np.integer):
        if rng < 0:
            raise ValueError(f"{name} must be a non-negative integer seed; got {rng!r}")
        return int(rng)
    if rng is None or isinstance(rng, np.random.Generator):
        return int(np.random.default_rng(rng).integers(2**62))
    raise ValueError(f"{name} must be an integer, a numpy Generator or None; got {rng!r}")


def check_unique(values: Iterable[Any], name: str) -> list[Any]:
    """Return ``values`` as a list, checking that no entry is repeated."""
    items = list(values)
    seen: set[Any] = set()
    repeated = [v for v in items if v in seen or seen.add(v)]
    if repeated:
        raise ValueError(f"{name} must not repeat entries; got {repeated[0]!r} more than once")
    return items
