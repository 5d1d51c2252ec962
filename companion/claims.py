r"""Claims about a sampler, tested over replicated runs at a stated false-alarm rate.

A claim about MCMC is a claim about the distribution of its runs ("a centered run
overestimates :math:`E[\log\tau \mid y]`", "a non-centered run covers the exact value
about 95% of the time"). Each function here tests one claim on a table of independent
runs and returns a :class:`Claim` that says whether the runs are consistent with it.
The threshold is derived from the number of runs so that, **if the claim is true, the
check fails with probability at most** ``alpha`` (``1e-6`` by default): a book that
asserts its claims this way fails on a new machine about once in a million builds, and
only a real change of behaviour makes it fail reliably.

Two kinds of claims:

* **A probability of a per-run event**, :math:`p = \Pr(A)` (a run has divergences, a
  run covers the exact value, ...). With :math:`n` independent runs the count
  :math:`X` of runs with the event is :math:`\mathrm{Bin}(n, p)`. The claim
  :math:`p \ge p_0` fails when :math:`X < k`, with :math:`k` the largest count such that
  :math:`\Pr(X < k \mid p_0) \le \alpha`; since the binomial CDF falls as :math:`p`
  grows, the false-alarm rate is at most :math:`\alpha` for every :math:`p \ge p_0`.
  Exact, with no approximation (:func:`probability_at_least`,
  :func:`probability_at_most`).
* **A mean over runs**, :math:`m = E[x]` (the mean error of an estimate). The claim
  :math:`m \ge m_0` fails when :math:`\bar x < m_0 - t\, s/\sqrt n`, with :math:`t`
  the upper :math:`\alpha` quantile of Student's t with :math:`n - 1` degrees of
  freedom (:func:`mean_at_least`, :func:`mean_at_most`, :func:`mean_within`). Exact
  for normal :math:`x`; for other distributions it rests on the central limit theorem,
  so use it with tens of runs and prefer the binomial claims for skewed quantities.

A check that cannot fail is worthless: each function raises ``ValueError`` when the
number of runs is too small for the claim to be refuted at level ``alpha`` (for
example three runs can never refute :math:`p \ge 0.9` at :math:`10^{-6}`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from companion._validate import as_finite, as_probability
from companion.replicates import WARNINGS, warnings_fired

__all__ = [
    "ALPHA",
    "Claim",
    "centered_versus_non_centered",
    "mean_at_least",
    "mean_at_most",
    "mean_within",
    "probability_at_least",
    "probability_at_most",
    "table",
]

#: Default false-alarm rate of every check: the probability that a true claim fails.
ALPHA = 1e-6


@dataclass(frozen=True)
class Claim:
    """The outcome of checking one claim on replicated runs.

    Attributes
    ----------
    statement : str
        The claim, in words.
    runs : int
        The number of independent runs it was checked on.
    observed : float
        The statistic: a count of runs (probability claims) or a mean (mean claims).
    limit : float
        The number the statistic is compared with: the count :math:`k` or :math:`m`,
        or the bound on the mean.
    threshold : str
        The rule the statistic must satisfy, for example ``">= 37 of 100"``.
    holds : bool
        Whether the runs are consistent with the claim at level ``alpha``.
    alpha : float
        The largest probability that a true claim fails this check.
    """

    statement: str
    runs: int
    observed: float
    limit: float
    threshold: str
    holds: bool
    alpha: float


def _alpha(alpha: float) -> float:
    value = float(as_finite(alpha, "alpha", ndim=0))
    if not 0 < value < 0.5:
        raise ValueError(f"alpha must lie in (0, 0.5); got {value}")
    return value


def _events(events: ArrayLike) -> np.ndarray:
    array = np.asarray(events)
    if array.ndim != 1 or array.size == 0 or array.dtype != bool:
        raise ValueError(
            f"events must be a non-empty 1-d boolean array, one entry per run; got {events!r}"
        )
    return array


def _level(p0: float, name: str = "p0") -> float:
    return as_probability(p0, name)


def probability_at_least(
    events: ArrayLike, p0: float, statement: str, *, alpha: float = ALPHA
) -> Claim:
    r"""Check the claim :math:`\Pr(\text{event}) \ge p_0` on independent runs (exact).

    Holds when the count :math:`X` of runs with the event is at least :math:`k`, the
    :math:`\alpha` quantile of :math:`\mathrm{Bin}(n, p_0)` (``scipy.stats.binom.ppf``):
    :math:`\Pr(X < k \mid p) \le \Pr(X < k \mid p_0) \le \alpha` for every
    :math:`p \ge p_0`.

    Parameters
    ----------
    events : array_like of bool, shape (n,)
        One entry per run: whether the run shows the event.
    p0 : float
        The claimed lower bound, in (0, 1).
    statement : str
        The claim in words.
    alpha : float, default 1e-6
        The false-alarm rate.

    Returns
    -------
    Claim

    Examples
    --------
    >>> import numpy as np
    >>> from companion import claims
    >>> c = claims.probability_at_least(np.ones(20, bool), 0.9, "every run diverges")
    >>> c.threshold, c.holds
    ('>= 10 of 20', True)
    """
    events, p0, alpha = _events(events), _level(p0), _alpha(alpha)
    n, count = events.size, int(events.sum())
    k = int(stats.binom.ppf(alpha, n, p0))
    if k < 1:
        raise ValueError(
            f"events: {n} runs cannot refute Pr >= {p0} at alpha={alpha} "
            "(even zero events would be consistent with it); use more runs"
        )
    return Claim(
        f"{statement} (probability >= {p0:g})", n, count, k, f">= {k} of {n}", count >= k, alpha
    )


def probability_at_most(
    events: ArrayLike, p0: float, statement: str, *, alpha: float = ALPHA
) -> Claim:
    r"""Check the claim :math:`\Pr(\text{event}) \le p_0` on independent runs (exact).

    Holds when the count :math:`X` is at most :math:`m`, the smallest count with
    :math:`\Pr(X > m \mid p_0) \le \alpha` (``scipy.stats.binom.isf``), which bounds the
    false-alarm rate for every :math:`p \le p_0`.

    Parameters
    ----------
    events : array_like of bool, shape (n,)
        One entry per run: whether the run shows the event.
    p0 : float
        The claimed upper bound, in (0, 1).
    statement : str
        The claim in words.
    alpha : float, default 1e-6
        The false-alarm rate.

    Returns
    -------
    Claim

    Examples
    --------
    >>> import numpy as np
    >>> from companion import claims
    >>> claims.probability_at_most(np.zeros(30, bool), 0.1, "runs rarely warn").threshold
    '<= 13 of 30'
    """
    events, p0, alpha = _events(events), _level(p0), _alpha(alpha)
    n, count = events.size, int(events.sum())
    m = int(stats.binom.isf(alpha, n, p0))
    if m >= n:
        raise ValueError(
            f"events: {n} runs cannot refute Pr <= {p0} at alpha={alpha} "
            "(even all runs showing the event would be consistent with it); use more runs"
        )
    return Claim(
        f"{statement} (probability <= {p0:g})", n, count, m, f"<= {m} of {n}", count <= m, alpha
    )


def _sample(values: ArrayLike) -> tuple[int, float, float]:
    array = as_finite(values, "values")
    if array.size < 3:
        raise ValueError(f"values must hold at least 3 runs; got {array.size}")
    return array.size, float(array.mean()), float(array.std(ddof=1) / np.sqrt(array.size))


def mean_at_least(
    values: ArrayLike, bound: float, statement: str, *, alpha: float = ALPHA
) -> Claim:
    r"""Check the claim :math:`E[x] \ge m_0` on independent runs (one-sided t test).

    Holds when :math:`\bar x \ge m_0 - t_{1-\alpha, n-1}\, s / \sqrt n`.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per run (for example the error of an estimate).
    bound : float
        The claimed lower bound :math:`m_0`.
    statement : str
        The claim in words.
    alpha : float, default 1e-6
        The false-alarm rate (exact for normal values, asymptotic otherwise).

    Returns
    -------
    Claim
    """
    n, mean, se = _sample(values)
    alpha, bound = _alpha(alpha), float(as_finite(bound, "bound", ndim=0))
    limit = bound - stats.t.isf(alpha, n - 1) * se
    return Claim(
        f"{statement} (mean >= {bound:g})", n, mean, limit, f">= {limit:.3g}", mean >= limit, alpha
    )


def mean_at_most(values: ArrayLike, bound: float, statement: str, *, alpha: float = ALPHA) -> Claim:
    r"""Check the claim :math:`E[x] \le m_0` (one-sided t test), as :func:`mean_at_least`.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per run.
    bound : float
        The claimed upper bound :math:`m_0`.
    statement : str
        The claim in words.
    alpha : float, default 1e-6
        The false-alarm rate.

    Returns
    -------
    Claim
    """
    n, mean, se = _sample(values)
    alpha, bound = _alpha(alpha), float(as_finite(bound, "bound", ndim=0))
    limit = bound + stats.t.isf(alpha, n - 1) * se
    return Claim(
        f"{statement} (mean <= {bound:g})", n, mean, limit, f"<= {limit:.3g}", mean <= limit, alpha
    )


def mean_within(
    values: ArrayLike, half_width: float, statement: str, *, alpha: float = ALPHA
) -> Claim:
    r"""Check the claim :math:`|E[x]| \le \delta` on independent runs (two one-sided t tests).

    Holds when :math:`|\bar x| \le \delta + t_{1-\alpha/2, n-1}\, s/\sqrt n`; with
    :math:`\delta = 0` this is the two-sided test of :math:`E[x] = 0`.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        One value per run.
    half_width : float
        :math:`\delta \ge 0`.
    statement : str
        The claim in words.
    alpha : float, default 1e-6
        The false-alarm rate.

    Returns
    -------
    Claim
    """
    n, mean, se = _sample(values)
    alpha = _alpha(alpha)
    delta = float(as_finite(half_width, "half_width", ndim=0))
    if delta < 0:
        raise ValueError(f"half_width must be >= 0; got {delta}")
    limit = delta + stats.t.isf(alpha / 2, n - 1) * se
    return Claim(
        f"{statement} (|mean| <= {delta:g})",
        n,
        mean,
        limit,
        f"|.| <= {limit:.3g}",
        abs(mean) <= limit,
        alpha,
    )


def table(results: Sequence[Claim]) -> pd.DataFrame:
    """Collect checked claims in a table, one row per claim.

    Parameters
    ----------
    results : sequence of Claim
        The checked claims.

    Returns
    -------
    pandas.DataFrame
        Columns ``claim`` (with its bound), ``runs``, ``observed`` (a count of runs,
        or a mean), ``must be`` (the threshold) and ``holds``.
    """
    return pd.DataFrame(
        {
            "claim": [c.statement for c in results],
            "runs": [c.runs for c in results],
            "observed": [
                f"{c.observed:.0f} of {c.runs}" if " of " in c.threshold else f"{c.observed:.3g}"
                for c in results
            ],
            "must be": [c.threshold for c in results],
            "holds": [c.holds for c in results],
        }
    )


def _runs(table: pd.DataFrame, sampler: str, parametrization: str) -> pd.DataFrame:
    needed = ["sampler", "parametrization", "divergences", "e_bfmi", "log_tau_error", "log_tau_z"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(
            f"table lacks the columns {missing}: pass the output of replicates.run scored "
            "against the exact E[log tau] and tagged with the parametrization"
        )
    rows = table[(table["sampler"] == sampler) & (table["parametrization"] == parametrization)]
    if rows.empty:
        raise ValueError(f"table has no {sampler} runs of the {parametrization} model")
    return rows


def centered_versus_non_centered(
    table: pd.DataFrame, *, sampler: str = "nutpie", alpha: float = ALPHA
) -> list[Claim]:
    r"""Check the claims of the centered-versus-non-centered chapter on replicated runs.

    The claims are about the eight-schools model with :math:`\mu \sim \mathrm{N}(0,
    5^2)` and :math:`\tau \sim \mathrm{HalfCauchy}(5)`, runs of 4 chains of 1000
    draws after 1000 tuning steps at ``target_accept=0.8``, and the estimate of
    :math:`E[\log\tau \mid y]`. Each bound was set well inside what 400 nutpie runs
    and 40 PyMC runs per parametrization showed (see the chapter), so that the claim is
    true with room to spare; the check then fails with probability at most ``alpha``.

    For nutpie (50 runs per parametrization in the chapter) the claims are: a centered
    run overestimates (probability at least 0.9) and by at least 0.15 on average; a
    non-centered run is unbiased to within 0.01; centered runs cover the exact value at
    most half the time and non-centered runs at least 85% of the time; at least 70% of
    centered runs and at most 10% of non-centered runs have 10 or more divergences, at
    most 30% of centered runs have 40 or more, and at least 75% of the sound
    non-centered runs have some; R-hat above 1.01, bulk
    and tail ESS below 400 and E-BFMI below 0.3 each flag most centered runs (at least
    80%, 90%, 90% and 70%) and at most 5% of non-centered runs. For PyMC's NUTS, which
    costs about fifty times as much per run, the claims that ten runs per
    parametrization can test: a centered run overestimates (at least 0.85) and has 40
    or more divergences (at least 0.85), R-hat and bulk ESS flag it (at least 0.85 and
    0.9), and a non-centered run is unbiased to within 0.02 and seldom flagged by R-hat
    (at most 5%).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`companion.replicates.run` for both parametrizations, scored
        against the exact :math:`E[\log\tau \mid y]` and tagged with a
        ``parametrization`` column.
    sampler : {"nutpie", "pymc"}, default "nutpie"
        Whose runs to judge.
    alpha : float, default 1e-6
        The false-alarm rate of each check.

    Returns
    -------
    list of Claim
    """
    c = _runs(table, sampler, "centered")
    n = _runs(table, sampler, "non_centered")
    fc, fn = _fired(c), _fired(n)
    at_least = functools.partial(probability_at_least, alpha=alpha)
    at_most = functools.partial(probability_at_most, alpha=alpha)
    over = (c["log_tau_error"] > 0).to_numpy()
    c_div, n_div = c["divergences"].to_numpy(), n["divergences"].to_numpy()
    if sampler == "nutpie":
        results = [
            at_least(over, 0.9, "centered: a run overestimates E[log tau]"),
            mean_at_least(c["log_tau_error"], 0.15, "centered: error of the estimate", alpha=alpha),
            mean_within(
                n["log_tau_error"], 0.01, "non-centered: error of the estimate", alpha=alpha
            ),
            at_most(_covers(c), 0.5, "centered: a run covers the exact value"),
            at_least(_covers(n), 0.85, "non-centered: a run covers the exact value"),
            at_least(c_div >= 10, 0.7, "centered: a run has >= 10 divergences"),
            at_most(c_div >= 40, 0.3, "centered: a run has >= 40 divergences"),
            at_most(n_div >= 10, 0.1, "non-centered: a run has >= 10 divergences"),
            at_least(n_div > 0, 0.75, "non-centered: a run has a divergence"),
        ]
        for name, low in (("r_hat", 0.8), ("ess_bulk", 0.9), ("ess_tail", 0.9), ("e_bfmi", 0.7)):
            results.append(at_least(fc[name], low, f"centered: {WARNINGS[name]} in a run"))
            results.append(at_most(fn[name], 0.05, f"non-centered: {WARNINGS[name]} in a run"))
        return results
    if sampler == "pymc":
        return [
            at_least(over, 0.85, "centered: a run overestimates E[log tau]"),
            at_least(c_div >= 40, 0.85, "centered: a run has >= 40 divergences"),
            at_least(fc["r_hat"], 0.85, "centered: R-hat > 1.01 in a run"),
            at_least(fc["ess_bulk"], 0.9, "centered: bulk ESS < 400 in a run"),
            mean_within(
                n["log_tau_error"], 0.02, "non-centered: error of the estimate", alpha=alpha
            ),
            at_most(fn["r_hat"], 0.05, "non-centered: R-hat > 1.01 in a run"),
        ]
    raise ValueError(f"sampler must be one of ('nutpie', 'pymc'); got {sampler!r}")


def _covers(rows: pd.DataFrame) -> np.ndarray:
    return (rows["log_tau_z"].abs() <= 2).to_numpy()


def _fired(rows: pd.DataFrame) -> dict[str, np.ndarray]:
    fired = warnings_fired(rows, "log_tau")
    return {name: fired[name].to_numpy() for name in WARNINGS}
