"""Exact posterior draws as an ArviZ DataTree, so MCMC and exact results share one toolbox.

The samplers of :mod:`companion.normal_normal` and :mod:`companion.beta_binomial`
return plain dictionaries of independent draws. :func:`to_datatree` wraps them in the
``posterior`` group of an :class:`xarray.DataTree`, the object PyMC returns, so that
``arviz.summary``, ``arviz.plot_forest`` and the functions of
:mod:`companion.diagnostics` apply to both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import arviz as az
import numpy as np
import xarray as xr

from companion._validate import check_draws

__all__ = ["to_datatree"]


def to_datatree(
    draws: Mapping[str, np.ndarray],
    *,
    chains: int = 4,
    group_dim: str = "group",
    groups: Sequence[object] | None = None,
) -> xr.DataTree:
    """Convert a dictionary of independent draws to an ArviZ ``DataTree``.

    Parameters
    ----------
    draws : mapping of str to numpy.ndarray
        Arrays of shape ``(n,)`` (scalar parameters) or ``(n, J)`` (one value per
        group), all with the same number of draws ``n``.
    chains : int, default 4
        The draws are independent, so they are split into this many pseudo-chains
        (``n`` must be divisible by it); R-hat and ESS then behave as for an ideal
        sampler.
    group_dim : str, default "group"
        Name of the dimension of per-group variables (for example ``"school"``).
    groups : sequence, optional
        Coordinate values of that dimension (for example school names).

    Returns
    -------
    xarray.DataTree
        With a ``posterior`` group whose variables have dims ``(chain, draw[, group_dim])``.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.draws import to_datatree
    >>> tree = to_datatree({"mu": np.zeros(8), "theta": np.zeros((8, 3))}, chains=2)
    >>> dict(tree["posterior"].sizes)
    {'chain': 2, 'draw': 4, 'group': 3}
    """
    chains = check_draws(chains, "chains")
    if not draws:
        raise ValueError("draws must contain at least one variable")
    arrays = {name: np.asarray(value, dtype=float) for name, value in draws.items()}
    sizes = {name: value.shape[0] if value.ndim else 0 for name, value in arrays.items()}
    n = next(iter(sizes.values()))
    if any(size != n for size in sizes.values()) or n == 0:
        raise ValueError(f"draws must all have the same non-zero number of draws; got {sizes}")
    if n % chains:
        raise ValueError(f"the number of draws ({n}) must be divisible by chains ({chains})")
    posterior, dims, width = {}, {}, None
    for name, value in arrays.items():
        if value.ndim not in (1, 2):
            raise ValueError(f"draws[{name!r}] must have shape (n,) or (n, J); got {value.shape}")
        posterior[name] = value.reshape(chains, n // chains, *value.shape[1:])
        if value.ndim == 2:
            dims[name] = [group_dim]
            if width not in (None, value.shape[1]):
                raise ValueError(f"per-group draws must share one width J; got {value.shape}")
            width = value.shape[1]
    coords = {}
    if groups is not None:
        if width is None or len(groups) != width:
            raise ValueError(f"groups must have one entry per group ({width}); got {len(groups)}")
        coords[group_dim] = list(groups)
    return az.from_dict({"posterior": posterior}, dims=dims, coords=coords)
