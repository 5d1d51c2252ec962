"""The three data sets of the book, shipped as CSV files inside the package.

Every function returns a fresh :class:`pandas.DataFrame`, so callers may modify it freely.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["beta_blockers", "eight_schools", "free_throws", "rat_tumors"]


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
    deviation 0.103 (with the :math:`n - 1` divisor), as quoted in the text.

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
    A teaching data set: the counts 25/46, 41/93, 93/176 and 79/120 of one unnamed
    player. The player and the original box scores are not identified, so treat the
    counts as illustrative, not as a record of a real career.

    Examples
    --------
    >>> from companion.datasets import free_throws
    >>> free_throws()["made"].sum()
    np.int64(238)
    """
    return _read("free_throws.csv", {"season": "str", "made": "int64", "attempts": "int64"})


def beta_blockers() -> pd.DataFrame:
    r"""Deaths in 22 randomized trials of beta-blockers after myocardial infarction.

    Returns
    -------
    pandas.DataFrame
        22 rows with integer columns ``trial`` (1 to 22, the numbering of BDA3 and of
        the BUGS example), ``control_deaths``, ``control_total``, ``treated_deaths`` and
        ``treated_total``. The column sums are 985 of 9849 control patients and 826 of
        10441 treated patients dead.

    Notes
    -----
    Source: Yusuf, Peto, Lewis, Collins and Sleight (1985), "Beta blockade during and
    after myocardial infarction: an overview of the randomized trials", *Progress in
    Cardiovascular Diseases* 27, 335-371, as tabulated in Table 5.4 of
    :cite:t:`bda3` (Section 5.6) and in the "Blocker" example of the BUGS Examples,
    Volume 1 (Carlin 1992, *Statistics in Medicine* 11, 141-158).

    The counts were taken from, and checked number by number against, three
    separately maintained public copies (the book's, the BUGS example's and NICE's);
    all 88 numbers agree in all three, so no choice between sources was needed:

    - the book's data file ``meta.asc``
      (http://www.stat.columbia.edu/~gelman/book/data/meta.asc, headed "Data from
      Yusuf et al. (1985). In Table 5.4 of Bayesian Data Analysis"), as shipped in the
      CRAN package BayesDA, file ``data/meta.data`` of versions 1.0-0 and 1.0-1
      (GitHub mirror ``cran/BayesDA``);
    - the BUGS Volume 1 data ``rt``, ``nt``, ``rc``, ``nc`` (treated deaths and
      totals, control deaths and totals), ``packages/nimble/inst/classic-bugs/vol1/
      blocker/blocker-data.R`` in ``nimble-dev/nimble``, identical to
      ``src/models/bugs_examples/vol1/blocker/blocker.Rdata`` in ``stan-dev/stan``
      and to the rows (1-4 and 20-22) that the MultiBUGS example page
      ``Example/Blockers.odc.cp`` (``MultiBUGS/MultiBUGS-txt``) prints;
    - the arm-level data of the R package multinma, ``data-raw/blocker/blocker.txt``
      in ``dmphillippo/multinma`` (after Dias et al. 2011, NICE DSU TSD 2), with the
      control arm first.

    Examples
    --------
    >>> from companion.datasets import beta_blockers
    >>> data = beta_blockers()
    >>> len(data), data.iloc[0].tolist()
    (22, [1, 3, 39, 3, 38])
    """
    columns = ["trial", "control_deaths", "control_total", "treated_deaths", "treated_total"]
    return _read("beta_blockers.csv", dict.fromkeys(columns, "int64"))
