r"""The result of a check: both numbers, the discrepancy and the verdict.

Every ``check_*`` function of :mod:`companion.checks` returns a :class:`CheckResult`;
:func:`summarize` collects several verdicts in one table. The helpers below build the
two kinds of comparison the checks make:

* moments (:func:`compare_moments`): a closed-form mean and standard deviation against
  a brute-force mean and variance, with the scale-free error

  .. math::

      \max_k \max\!\left(\frac{|m^{\mathrm{closed}}_k - m^{\mathrm{brute}}_k|}
      {\sqrt{v^{\mathrm{brute}}_k}},\;
      \left|\frac{(s^{\mathrm{closed}}_k)^2}{v^{\mathrm{brute}}_k} - 1\right|\right);

* log densities known up to a constant (:func:`compare_log_densities`): the
  difference :math:`d_k = \log p^{\mathrm{closed}}_k - \log p^{\mathrm{brute}}_k`
  must be the same at every point, so the error is its spread
  :math:`\max_k d_k - \min_k d_k`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from companion._validate import as_finite, as_positive

__all__ = [
    "CheckResult",
    "compare_log_densities",
    "compare_moments",
    "read_candidate",
    "read_candidate_pair",
    "read_tolerance",
    "summarize",
]


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


# --- reading what the caller passes ---------------------------------------------------------


def read_tolerance(tolerance: float) -> float:
    """Return a check's tolerance as a float, checking that it is finite and > 0.

    Parameters
    ----------
    tolerance : float
        The largest discrepancy that counts as agreement.

    Returns
    -------
    float
        ``tolerance``.
    """
    return float(as_positive(tolerance, "tolerance", ndim=0))


def read_candidate(candidate: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    """Return caller-supplied closed-form values as a float array of the given shape.

    Parameters
    ----------
    candidate : array_like
        The values to judge.
    shape : tuple of int
        The shape they must have (one value per evaluation point).

    Returns
    -------
    numpy.ndarray
        A finite float copy of ``candidate``.
    """
    values = as_finite(candidate, "candidate", ndim=len(shape))
    if values.shape != shape:
        raise ValueError(f"candidate must have shape {shape}; got {values.shape}")
    return values


def read_candidate_pair(
    candidate: tuple[ArrayLike, ArrayLike], size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return a caller-supplied pair (mean, sd), each broadcast to ``(size,)``.

    Parameters
    ----------
    candidate : tuple of array_like
        The means and the standard deviations (> 0) to judge.
    size : int
        The number of evaluation points.

    Returns
    -------
    tuple of numpy.ndarray
        The means and the standard deviations, each of shape ``(size,)``.
    """
    if not isinstance(candidate, tuple | list) or len(candidate) != 2:
        raise ValueError(f"candidate must be a pair (mean, sd); got {candidate!r}")
    mean = as_finite(candidate[0], "candidate mean", ndim=np.ndim(candidate[0]))
    sd = as_positive(candidate[1], "candidate sd", ndim=np.ndim(candidate[1]))
    return (
        np.broadcast_to(mean, (size,)).astype(float),
        np.broadcast_to(sd, (size,)).astype(float),
    )


# --- building the result ----------------------------------------------------------------------


def compare_moments(
    keys: Mapping[str, ArrayLike],
    closed: tuple[ArrayLike, ArrayLike],
    brute: tuple[ArrayLike, ArrayLike],
    *,
    what: str,
    tolerance: float,
    candidate: bool = False,
    x: str | None = None,
) -> CheckResult:
    r"""Compare a closed-form (mean, sd) with a brute-force (mean, variance).

    The error is :math:`\max_k \max(|\Delta m_k| / \sqrt{v_k},\ |s_k^2 / v_k - 1|)`,
    with :math:`v_k` the brute-force variance: scale free, so one tolerance serves
    every parameter.

    Parameters
    ----------
    keys : mapping of str to array_like
        Columns that identify each row (for example the data).
    closed : tuple of array_like
        Closed-form means and standard deviations.
    brute : tuple of array_like
        Brute-force means and variances.
    what : str
        The formula that was checked.
    tolerance : float
        The largest accepted error.
    candidate : bool, default False
        Whether the closed-form values came from the caller.
    x : str, optional
        The column of evaluation points, for plots.

    Returns
    -------
    CheckResult
    """
    mean_c, sd_c = (np.asarray(v, dtype=float) for v in closed)
    mean_b, var_b = (np.asarray(v, dtype=float) for v in brute)
    table = pd.DataFrame(
        {
            **keys,
            "mean (closed)": mean_c,
            "mean (quadrature)": mean_b,
            "var (closed)": sd_c**2,
            "var (quadrature)": var_b,
        }
    )
    error = max(
        np.max(np.abs(mean_c - mean_b) / np.sqrt(var_b)), np.max(np.abs(sd_c**2 / var_b - 1))
    )
    return CheckResult(
        what=what,
        table=table,
        error=float(error),
        tolerance=tolerance,
        measure="max |mean error|/sd or relative variance error",
        x=x,
        candidate=candidate,
    )


def compare_log_densities(
    keys: Mapping[str, ArrayLike],
    closed: ArrayLike,
    brute: ArrayLike,
    *,
    what: str,
    tolerance: float,
    candidate: bool = False,
    x: str | None = None,
) -> CheckResult:
    r"""Compare two log densities known up to a constant: their difference must be constant.

    The error is the spread :math:`\max_k d_k - \min_k d_k` of
    :math:`d_k = \log p^{\mathrm{closed}}_k - \log p^{\mathrm{brute}}_k`.

    Parameters
    ----------
    keys : mapping of str to array_like
        Columns that identify each row (the evaluation points).
    closed, brute : array_like
        The two log densities at the same points.
    what : str
        The formula that was checked.
    tolerance : float
        The largest accepted spread.
    candidate : bool, default False
        Whether the closed-form values came from the caller.
    x : str, optional
        The column of evaluation points, for plots.

    Returns
    -------
    CheckResult
    """
    closed = np.asarray(closed, dtype=float)
    brute = np.asarray(brute, dtype=float)
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
        what=what,
        table=table,
        error=float(np.ptp(gap)),
        tolerance=tolerance,
        measure="spread of the difference",
        x=x,
        candidate=candidate,
    )
