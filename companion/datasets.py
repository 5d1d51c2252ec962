"""The three data sets of the book, shipped as CSV files inside the package.

Every function returns a fresh :class:`pandas.DataFrame`, so callers may modify it freely.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["eight_schools", "free_throws", "rat_tumors"]


def _read(name: str, dtypes: dict[str, str]) -> pd.DataFrame:
    with resources.files("companion").joinpath("data", name).open("r", encoding="utf-8") as f:
        return pd.read_csv(f, dtype=dtypes)


def eight_schools() -> pd.DataFrame:
    r"""SAT coaching experiments in eight schools.

    Returns
    -------
    pandas.DataFrame
        Eight rows with columns ``school`` (``"A"`` to ``"H"``), ``y`` (the estimated
        coaching effect in SAT-V points) and ``sigma`` (its standard error).

    Notes
    -----
    Source: :cite:t:`rubin1981`, as rounded to whole points in Table 5.2 of
    :cite:t:`bda3`. Each ``y_j`` comes from a separate randomized experiment and is
    modelled as :math:`y_j \mid \theta_j \sim \mathrm{N}(\theta_j, \sigma_j^2)`
    with :math:`\sigma_j` known.

    Examples
    --------
    >>> from companion.datasets import eight_schools
    >>> schools = eight_schools()
    >>> schools["school"].tolist()
    ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H']
    >>> schools["y"].tolist()
    [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0]
    """
    return _read("eight_schools.csv", {"school": "str", "y": "float64", "sigma": "float64"})


def rat_tumors() -> pd.DataFrame:
    """Tumour counts in 71 groups of laboratory rats (female F344 rats, control groups).

    Returns
    -------
    pandas.DataFrame
        71 rows with integer columns ``y`` (rats with an endometrial stromal polyp)
        and ``n`` (rats in the group). Rows 0 to 69 are the historical control
        groups; row 70 is the current experiment, 4 of 14.

    Notes
    -----
    Source: :cite:t:`tarone1982`, as tabulated in Table 5.1 of :cite:t:`bda3`, in the
    order of the data file that accompanies the book's course demos. The 70 historical
    rates have mean 0.136 and standard
    deviation 0.103 (with the :math:`n - 1` divisor), as quoted in the text; a
    transcription circulating in lecture notes replaces one 2/20 by 2/10, which
    moves the mean to 0.137.

    Examples
    --------
    >>> from companion.datasets import rat_tumors
    >>> data = rat_tumors()
    >>> len(data), data.iloc[-1].tolist()
    (71, [4, 14])
    """
    return _read("rat_tumors.csv", {"y": "int64", "n": "int64"})


def free_throws() -> pd.DataFrame:
    """Free throws made and attempted by one basketball player in four seasons.

    Returns
    -------
    pandas.DataFrame
        Four rows with columns ``season`` (``"2012-13"`` to ``"2015-16"``), ``made``
        and ``attempts`` (integers).

    Notes
    -----
    Source: the lecture slides the book grew from, which give the counts 25/46,
    41/93, 93/176 and 79/120 without naming the player.

    Examples
    --------
    >>> from companion.datasets import free_throws
    >>> free_throws()["made"].sum()
    np.int64(238)
    """
    return _read("free_throws.csv", {"season": "str", "made": "int64", "attempts": "int64"})
