r"""Replicated MCMC runs: one model, many seeds, one row per run.

A single seeded run of NUTS is an anecdote: the same seed gives the same draws on one
machine and different draws on another (PyTensor compiles for the CPU it runs on), and
a chaotic sampler's divergence count or error changes from run to run. What can be
said about a sampler is a statement about the *distribution* of its runs, and
:func:`run` measures that distribution: it compiles the model once, samples it with
many seeds, and scores every run with ArviZ against exact values.

For a quantity :math:`f` and a run with draws :math:`f^{(s)}`, the table holds the
estimate :math:`\bar f = \frac1S \sum_s f^{(s)}`, its Monte Carlo standard error
(ArviZ), the error :math:`\bar f - E[f \mid y]` against the exact value and the same
error in MCSE units, :math:`z = (\bar f - E[f \mid y]) / \mathrm{MCSE}`; a run
*covers* the exact value when :math:`|z| \le 2`, which a sound sampler does in about
95% of runs.

Quantities are named by labels: a scalar variable of the model (``"mu"``), ``log_``
followed by a label (``"log_tau"``), or a vector variable and one of its coordinates
joined by an underscore (``"theta_A"`` for school A).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from companion._validate import RngLike, as_finite, as_seed, check_draws, check_unique

if TYPE_CHECKING:  # PyMC is imported only when sampling, so that summaries load fast
    import pymc as pm

    from companion.models import CompiledModel

__all__ = ["WARNINGS", "run", "score", "summarize", "warnings_fired"]

#: The standard warnings of a NUTS run and the rule that fires each one: any
#: divergence, rank-normalized split R-hat above 1.01, bulk or tail ESS below 400
#: (Vehtari et al. 2021), and an E-BFMI below 0.3 in some chain (Betancourt 2016).
WARNINGS = {
    "divergences": "divergences > 0",
    "r_hat": "R-hat > 1.01",
    "ess_bulk": "bulk ESS < 400",
    "ess_tail": "tail ESS < 400",
    "e_bfmi": "E-BFMI < 0.3",
}


@dataclass(frozen=True)
class _Quantity:
    """A scalar function of one model variable: optionally one element, optionally logged."""

    label: str
    variable: str
    coord: tuple[str, object] | None
    logs: int

    def values(self, posterior: xr.Dataset) -> np.ndarray:
        """Return the draws of the quantity, shape (chain, draw).

        Parameters
        ----------
        posterior : xarray.Dataset
            The posterior group of a run.
        """
        array = posterior[self.variable]
        if self.coord is not None:
            dim, value = self.coord
            labels = [str(v) for v in array[dim].values]
            array = array.isel({dim: labels.index(str(value))})
        out = np.asarray(array.transpose("chain", "draw").values, dtype=float)
        for _ in range(self.logs):
            out = np.log(out)
        return out


def _namespace(source: Any) -> dict[str, list[tuple[str, list[str]]]]:
    """Each variable's dims with their coordinate labels, from a PyMC model or a Dataset."""
    if isinstance(source, xr.Dataset):
        return {
            str(name): [(str(d), [str(v) for v in source[d].values]) for d in array.dims[2:]]
            for name, array in source.data_vars.items()
        }
    names = [var.name for var in [*source.free_RVs, *source.deterministics]]
    dims = source.named_vars_to_dims
    return {
        name: [(d, [str(v) for v in source.coords.get(d, ())]) for d in (dims.get(name) or ())]
        for name in names
    }


def _resolve(label: str, space: dict, *, logs: int = 0) -> _Quantity | None:
    if label in space:
        if space[label]:
            return None  # a vector: an element must be named
        return _Quantity(label, label, None, logs)
    for cut in range(len(label) - 1, 0, -1):
        name, coord = label[:cut], label[cut + 1 :]
        if label[cut] != "_" or name not in space or len(space[name]) != 1:
            continue
        dim, labels = space[name][0]
        if coord in labels:
            return _Quantity(label, name, (dim, coord), logs)
    if label.startswith("log_"):
        inner = _resolve(label[4:], space, logs=logs + 1)
        if inner is not None:
            return _Quantity(label, inner.variable, inner.coord, inner.logs)
    return None


def _quantities(labels: Sequence[str], source: Any) -> list[_Quantity]:
    if isinstance(labels, str) or not labels:
        raise ValueError(f"quantities must be a non-empty sequence of labels; got {labels!r}")
    space = _namespace(source)
    resolved = []
    for label in check_unique(labels, "quantities"):
        quantity = _resolve(str(label), space)
        if quantity is None:
            raise ValueError(
                f"quantities: the model has no scalar quantity {label!r}; name a scalar "
                f"variable, log_<label>, or <vector>_<coordinate> (variables: {sorted(space)})"
            )
        resolved.append(quantity)
    return resolved


def _exact(exact: Mapping[str, float] | None, quantities: list[_Quantity]) -> dict[str, float]:
    labels = {q.label for q in quantities}
    chosen = {} if exact is None else {str(k): v for k, v in exact.items() if str(k) in labels}
    return {k: float(as_finite(v, f"exact[{k!r}]", ndim=0)) for k, v in chosen.items()}


def _seeds(runs: int | None, seeds: Sequence[int] | None, rng: RngLike) -> list[int]:
    if (runs is None) == (seeds is None):
        raise ValueError("give exactly one of runs (a count) and seeds (a list of seeds)")
    if seeds is not None:
        if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence | np.ndarray):
            raise ValueError(f"seeds must be a sequence of integers; got {seeds!r}")
        chosen = [as_seed(seed, "seeds") for seed in seeds]
        if not chosen:
            raise ValueError("seeds must not be empty")
        return check_unique(chosen, "seeds")
    runs = check_draws(runs, "runs")
    generator = np.random.default_rng(as_seed(rng))
    return [int(s) for s in generator.choice(2**31, size=runs, replace=False)]


def score(
    tree: xr.DataTree,
    *,
    quantities: Sequence[str] = ("log_tau", "mu"),
    exact: Mapping[str, float] | None = None,
) -> pd.Series:
    r"""Score one MCMC run: its divergences, E-BFMI, and each quantity's estimate and diagnostics.

    This is what :func:`run` records for every run, so a single run can be read with
    the same definitions.

    Parameters
    ----------
    tree : xarray.DataTree
        One run's output, with ``posterior`` and ``sample_stats`` groups.
    quantities : sequence of str, default ("log_tau", "mu")
        Labels of scalar quantities (see the module docstring).
    exact : mapping of str to float, optional
        Exact posterior means; each scored quantity found in it gets an error and a z.

    Returns
    -------
    pandas.Series
        ``divergences``, ``step_size``, ``e_bfmi`` (smallest over chains), ``seconds``
        (sampling time, when the run recorded it), then for each quantity
        ``<label>_mean``, ``_mcse``, ``_error`` and ``_z`` (with ``exact``), ``_r_hat``,
        ``_ess_bulk`` and ``_ess_tail``. The tail ESS is the smaller of the ESS of the
        5% and 95% quantiles :cite:p:`vehtari2021rhat` (ArviZ's own default uses its
        ``ci_prob`` of 0.89 instead).
    """
    try:
        posterior = tree["posterior"].to_dataset()
        stats = tree["sample_stats"]
    except KeyError as err:
        raise ValueError("tree must have posterior and sample_stats groups (MCMC output)") from err
    resolved = _quantities(quantities, posterior)
    return pd.Series(_score(tree, posterior, resolved, _exact(exact, resolved), stats))


def _score(
    tree: xr.DataTree,
    posterior: xr.Dataset,
    quantities: list[_Quantity],
    exact: Mapping[str, float],
    stats: xr.DataTree,
) -> dict[str, float]:
    data = xr.Dataset({q.label: (("chain", "draw"), q.values(posterior)) for q in quantities})
    mcse = az.mcse(data, method="mean")
    r_hat = az.rhat(data)
    ess_bulk = az.ess(data, method="bulk")
    ess_tail = az.ess(data, method="tail", prob=(0.05, 0.95))
    row: dict[str, float] = {
        "divergences": int(stats["diverging"].values.sum()),
        "step_size": float(np.mean(stats["step_size"].values)),
        "e_bfmi": float(np.min(np.asarray(az.bfmi(tree)["energy"]))),
        "seconds": float(tree.attrs.get("sampling_seconds", np.nan)),
    }
    for q in quantities:
        mean = float(data[q.label].mean())
        row[f"{q.label}_mean"] = mean
        row[f"{q.label}_mcse"] = float(mcse[q.label])
        if q.label in exact:
            row[f"{q.label}_error"] = mean - exact[q.label]
            row[f"{q.label}_z"] = (mean - exact[q.label]) / float(mcse[q.label])
        row[f"{q.label}_r_hat"] = float(r_hat[q.label])
        row[f"{q.label}_ess_bulk"] = float(ess_bulk[q.label])
        row[f"{q.label}_ess_tail"] = float(ess_tail[q.label])
    return row


def run(
    model: pm.Model | CompiledModel,
    *,
    sampler: str | None = None,
    runs: int | None = None,
    seeds: Sequence[int] | None = None,
    rng: RngLike = 0,
    quantities: Sequence[str] = ("log_tau", "mu"),
    exact: Mapping[str, float] | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.8,
    tags: Mapping[str, object] | None = None,
    progress: Callable[[str], None] | None = None,
    collect: Callable[[xr.DataTree], pd.DataFrame] | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    r"""Sample ``model`` with many seeds, compiling once, and score every run.

    Parameters
    ----------
    model : pymc.Model or companion.models.CompiledModel
        The model (for example :func:`companion.models.eight_schools`), or one already
        compiled by :func:`companion.models.compile_model`, which is then reused.
    sampler : {"pymc", "nutpie"}, optional
        The NUTS implementation; required with a ``pymc.Model``, since the answer
        depends on it, and taken from a ``CompiledModel``.
    runs : int, optional
        How many runs; their seeds are drawn, all different, from ``rng``.
    seeds : sequence of int, optional
        The seeds themselves, instead of ``runs`` (for example to repeat one run).
    rng : int, numpy.random.Generator or None, default 0
        Source of the seeds when ``runs`` is given: the same ``rng`` gives the same
        seeds, hence (on one machine) the same table.
    quantities : sequence of str, default ("log_tau", "mu")
        Labels of the scalar quantities to score (see the module docstring).
    exact : mapping of str to float, optional
        Exact posterior means, for example
        :func:`companion.diagnostics.exact_expectations`; each scored quantity found
        in it gets the columns ``<label>_error`` and ``<label>_z`` (other entries are
        ignored).
    draws, tune, chains : int
        Per run: kept draws per chain, tuning steps per chain, and chains.
    target_accept : float, default 0.8
        Target acceptance rate of the step-size adaptation.
    tags : mapping, optional
        Constant columns to add, for example ``{"parametrization": "centered"}``.
    progress : callable, optional
        Called with a one-line report after each run (for example ``print``).
    collect : callable, optional
        Applied to each run's DataTree, returning a DataFrame (for example
        :func:`companion.diagnostics.divergent_draws`); the frames are concatenated
        with a ``run`` column. Runs are not kept otherwise, so that thousands of them
        fit in memory.

    Returns
    -------
    pandas.DataFrame, or tuple of two DataFrames with ``collect``
        The table of runs (and, with ``collect``, the collected rows). One row per
        run: ``sampler``, the tags, ``run``, ``seed``, ``divergences``, ``step_size``
        (mean adapted step size), ``e_bfmi`` (smallest over chains), ``seconds``
        (sampling only), ``compile_seconds`` (once per model, repeated on each row),
        then for each quantity ``<label>_mean``, ``_mcse``, ``_error`` and ``_z``
        (with ``exact``), ``_r_hat`` (rank-normalized split), ``_ess_bulk`` and
        ``_ess_tail``. Every diagnostic comes from ArviZ.

    Examples
    --------
    >>> from companion import datasets, models, replicates
    >>> d = datasets.eight_schools()
    >>> model = models.eight_schools(d["y"], d["sigma"], parametrization="non_centered")
    >>> table = replicates.run(model, sampler="nutpie", runs=3, draws=200, tune=200)
    >>> len(table), table["seed"].is_unique
    (3, True)
    """
    import pymc as pm

    from companion import models

    if isinstance(model, models.CompiledModel):
        if sampler not in (None, model.sampler):
            raise ValueError(
                f"sampler: the model was compiled for {model.sampler!r}; got {sampler!r}"
            )
        compiled, sampler = model, model.sampler
    elif isinstance(model, pm.Model):
        if sampler is None:
            raise ValueError("sampler must be named ('pymc' or 'nutpie') for a pymc.Model")
        compiled = None
    else:
        raise ValueError(
            f"model must be a pymc.Model or a models.CompiledModel; got {type(model).__name__}"
        )
    models._check_settings(draws, tune, chains, target_accept)
    chosen = _seeds(runs, seeds, rng)
    resolved = _quantities(quantities, compiled.model if compiled else model)
    exact = _exact(exact, resolved)
    tags = dict(tags or {})
    if compiled is None:
        compiled = models.compile_model(model, sampler=sampler)
    rows, collected = [], []
    for index, seed in enumerate(chosen):
        start = time.perf_counter()
        tree = compiled.sample(
            draws=draws, tune=tune, chains=chains, target_accept=target_accept, rng=seed
        )
        row = {"sampler": sampler, **tags, "run": index, "seed": seed}
        row.update(
            _score(tree, tree["posterior"].to_dataset(), resolved, exact, tree["sample_stats"])
        )
        row["compile_seconds"] = (
            compiled.compile_seconds
            if sampler == "nutpie"
            else float(tree.attrs["compile_seconds"])
        )
        rows.append(row)
        if collect is not None:
            frame = collect(tree)
            collected.append(frame.assign(run=index))
        if progress is not None:
            first = resolved[0].label
            progress(
                f"{sampler} run {index + 1}/{len(chosen)} (seed {seed}): "
                f"{row['divergences']} divergences, {first} {row[f'{first}_mean']:.3f}, "
                f"{time.perf_counter() - start:.1f} s"
            )
    table = pd.DataFrame(rows)
    if collect is None:
        return table
    return table, pd.concat(collected, ignore_index=True)


def warnings_fired(table: pd.DataFrame, quantity: str = "log_tau") -> pd.DataFrame:
    """Which of the standard warnings (:data:`WARNINGS`) each run fires, for one quantity.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`run` (or several concatenated).
    quantity : str, default "log_tau"
        The quantity whose R-hat and ESS are judged.

    Returns
    -------
    pandas.DataFrame
        Boolean columns ``divergences``, ``r_hat``, ``ess_bulk``, ``ess_tail``,
        ``e_bfmi`` and ``any``, with the index of ``table``.
    """
    needed = ["divergences", "e_bfmi"] + [
        f"{quantity}_{k}" for k in ("r_hat", "ess_bulk", "ess_tail")
    ]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the columns {missing} (is quantity={quantity!r} scored?)")
    fired = pd.DataFrame(
        {
            "divergences": table["divergences"] > 0,
            "r_hat": table[f"{quantity}_r_hat"] > 1.01,
            "ess_bulk": table[f"{quantity}_ess_bulk"] < 400,
            "ess_tail": table[f"{quantity}_ess_tail"] < 400,
            "e_bfmi": table["e_bfmi"] < 0.3,
        },
        index=table.index,
    )
    fired["any"] = fired.any(axis=1)
    return fired


def summarize(
    table: pd.DataFrame, quantity: str = "log_tau", by: Sequence[str] = ("sampler",)
) -> pd.DataFrame:
    r"""Summarize replicated runs: the distribution of the error, coverage and warnings.

    For each group of runs (``by``): the number of runs, the mean error of
    ``quantity`` and its standard error :math:`s/\sqrt{n}` over runs, the standard
    deviation of the error over runs, the coverage (the fraction of runs with
    :math:`|z| \le 2`), the median and total numbers of divergences, the median
    adapted step size, and the fraction of runs that fire each warning of
    :data:`WARNINGS`.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`run`, scored with an exact value for ``quantity``.
    quantity : str, default "log_tau"
        The quantity summarized.
    by : sequence of str, default ("sampler",)
        Columns that define the groups (for example ``("sampler", "parametrization")``).

    Returns
    -------
    pandas.DataFrame
        One row per group.
    """
    by = list(by)
    missing = [c for c in [*by, f"{quantity}_error", f"{quantity}_z"] if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the columns {missing}")
    fired = warnings_fired(table, quantity)
    frame = table[by].copy()
    frame["error"] = table[f"{quantity}_error"]
    frame["covers"] = table[f"{quantity}_z"].abs() <= 2
    frame["divergences"] = table["divergences"]
    frame["step_size"] = table["step_size"] if "step_size" in table else np.nan
    for name in WARNINGS:
        frame[f"warns_{name}"] = fired[name]
    frame["warns_any"] = fired["any"]
    grouped = frame.groupby(by, sort=False)
    summary = grouped.agg(
        runs=("error", "size"),
        mean_error=("error", "mean"),
        sd_error=("error", "std"),
        coverage=("covers", "mean"),
        median_divergences=("divergences", "median"),
        total_divergences=("divergences", "sum"),
        median_step_size=("step_size", "median"),
        **{f"warns_{n}": (f"warns_{n}", "mean") for n in [*WARNINGS, "any"]},
    )
    summary.insert(2, "se_mean_error", summary["sd_error"] / np.sqrt(summary["runs"]))
    return summary
