r"""PyMC versions of the book's hierarchical models, and one way to sample them.

The exact posteriors of :mod:`companion.normal_normal` and
:mod:`companion.beta_binomial` are the reference these models are judged against,
so the priors here are the same objects: frozen ``scipy.stats`` distributions,
translated into PyMC by :func:`pymc_prior`.

:func:`sample` always names its sampler. When nutpie is installed, ``pm.sample``
picks it by itself unless told otherwise, and PyMC's NUTS and nutpie diverge at very
different rates on the centered eight-schools model: every MCMC number in the book
says which sampler produced it.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from numpy.typing import ArrayLike

from companion._validate import (
    RngLike,
    as_binomial_data,
    as_normal_data,
    as_probability,
    as_seed,
    check_choice,
    check_draws,
    check_frozen,
    frozen_parameters,
)
from companion.priors import (
    BDA3_HYPERPRIOR,
    FLAT,
    PowerHyperprior,
    check_mu_prior,
    check_tau_prior,
)

__all__ = [
    "PARAMETRIZATIONS",
    "SAMPLERS",
    "CompiledModel",
    "beta_binomial",
    "compile_model",
    "eight_schools",
    "pymc_prior",
    "sample",
]

PARAMETRIZATIONS = ("centered", "non_centered")
SAMPLERS = ("pymc", "nutpie")


def pymc_prior(name: str, prior: Any, *, lower: float | None = None) -> pt.TensorVariable:
    r"""Create, inside the current PyMC model, the variable ``name`` with a scipy prior.

    Supported: :data:`companion.priors.FLAT` (``pm.Flat``, or ``pm.HalfFlat`` when
    ``lower=0``), and the scipy families ``norm``, ``halfnorm``, ``halfcauchy``,
    ``uniform``, ``expon``, ``gamma`` and ``lognorm`` (with ``loc=0`` for all but
    ``norm``); a prior on :math:`\tau` made by
    :func:`companion.priors.tau_prior_from_variance` from an ``invgamma`` prior on the
    variance becomes an ``InverseGamma`` variable ``<name>_squared`` and a
    deterministic ``name``, its square root.

    Parameters
    ----------
    name : str
        Variable name in the model.
    prior : companion.priors.FLAT or scipy.stats frozen distribution
        The prior.
    lower : float, optional
        If given, the prior's support must not extend below it (0 for a scale).

    Returns
    -------
    pytensor.tensor.TensorVariable
        The new random variable.
    """
    if prior is FLAT:
        return pm.HalfFlat(name) if lower == 0 else pm.Flat(name)
    check_frozen(prior, name, lower=lower)
    family = prior.dist.name
    variance = getattr(prior.dist, "_variance", None)
    if variance is not None:
        if variance.dist.name != "invgamma":
            raise ValueError(
                f"{name}: a prior on the variance has a PyMC translation only for invgamma; "
                f"got {variance.dist.name}"
            )
        shapes, loc, scale = frozen_parameters(variance)
        if loc != 0:
            raise ValueError(f"{name}: only loc=0 is supported for invgamma; got loc={loc}")
        squared = pm.InverseGamma(f"{name}_squared", alpha=shapes["a"], beta=scale)
        return pm.Deterministic(name, pt.sqrt(squared))
    shapes, loc, scale = frozen_parameters(prior)
    if family == "norm":
        return pm.Normal(name, mu=loc, sigma=scale)
    if loc != 0:
        raise ValueError(f"{name}: only loc=0 is supported for a {family} prior; got loc={loc}")
    if family == "halfnorm":
        return pm.HalfNormal(name, sigma=scale)
    if family == "halfcauchy":
        return pm.HalfCauchy(name, beta=scale)
    if family == "uniform":
        return pm.Uniform(name, lower=0.0, upper=scale)
    if family == "expon":
        return pm.Exponential(name, scale=scale)
    if family == "gamma":
        return pm.Gamma(name, alpha=shapes["a"], beta=1.0 / scale)
    if family == "lognorm":
        return pm.LogNormal(name, mu=float(np.log(scale)), sigma=shapes["s"])
    raise ValueError(
        f"{name}: a scipy.stats {family} prior has no PyMC translation here; use one of "
        "FLAT, norm, halfnorm, halfcauchy, uniform, expon, gamma, lognorm"
    )


def eight_schools(
    y: ArrayLike,
    sigma: ArrayLike,
    *,
    parametrization: str = "centered",
    mu_prior: Any = FLAT,
    tau_prior: Any = FLAT,
    groups: Sequence[str] | None = None,
) -> pm.Model:
    r"""Build the normal hierarchical model with known standard errors in PyMC.

    .. math::

        \mu \sim p(\mu), \quad \tau \sim p(\tau), \quad
        \theta_j \sim \mathrm{N}(\mu, \tau^2), \quad
        y_j \sim \mathrm{N}(\theta_j, \sigma_j^2).

    The *centered* parametrization samples :math:`\theta_j` directly. The
    *non-centered* one samples :math:`\tilde\theta_j \sim \mathrm{N}(0, 1)` and sets
    :math:`\theta_j = \mu + \tau\tilde\theta_j`: the same posterior, but the sampler
    no longer sees the funnel in which the scale of :math:`\theta` depends on
    :math:`\tau`.

    Parameters
    ----------
    y, sigma : array_like, shape (J,)
        Estimates and their known standard errors.
    parametrization : {"centered", "non_centered"}
        How :math:`\theta` is sampled.
    mu_prior, tau_prior : companion.priors.FLAT or scipy.stats frozen distributions
        The priors; by default BDA3's flat ones, as in
        :func:`companion.normal_normal.tau_posterior`, so that the two describe the
        same posterior. ``**companion.priors.BETANCOURT`` gives
        :math:`\mu \sim \mathrm{N}(0, 5^2)` and :math:`\tau \sim
        \mathrm{HalfCauchy}(5)`, the priors of :cite:t:`betancourt2017divergences`.
    groups : sequence of str, optional
        Names of the groups (coordinates of the ``school`` dimension).

    Returns
    -------
    pymc.Model
    """
    y, sigma = as_normal_data(y, sigma)
    check_choice(parametrization, "parametrization", PARAMETRIZATIONS)
    names = [str(g) for g in groups] if groups is not None else [str(j) for j in range(y.size)]
    if len(names) != y.size:
        raise ValueError(f"groups must have one name per group ({y.size}); got {len(names)}")
    with pm.Model(coords={"school": names}) as model:
        mu = pymc_prior("mu", check_mu_prior(mu_prior, normal_only=False))
        tau = pymc_prior("tau", check_tau_prior(tau_prior), lower=0.0)
        if parametrization == "centered":
            theta = pm.Normal("theta", mu=mu, sigma=tau, dims="school")
        else:
            theta_tilde = pm.Normal("theta_tilde", mu=0.0, sigma=1.0, dims="school")
            theta = pm.Deterministic("theta", mu + tau * theta_tilde, dims="school")
        pm.Normal("y", mu=theta, sigma=sigma, observed=y, dims="school")
    return model


def beta_binomial(
    successes: ArrayLike, trials: ArrayLike, *, hyperprior: PowerHyperprior = BDA3_HYPERPRIOR
) -> pm.Model:
    r"""Build the hierarchical beta-binomial model of the rat-tumour chapter in PyMC.

    .. math::

        p(\alpha, \beta) \propto (\alpha + \beta)^{k}, \quad
        \theta_j \sim \mathrm{Beta}(\alpha, \beta), \quad
        y_j \sim \mathrm{Bin}(n_j, \theta_j),

    with BDA3's :math:`k = -5/2` by default, the hyperprior of
    :func:`companion.beta_binomial.hyper_posterior`.
    :math:`\alpha` and :math:`\beta` get flat priors on :math:`(0, \infty)` and the
    hyperprior enters as a potential; PyMC samples them on the log scale. Two
    deterministic summaries are recorded with every draw: ``mean_rate``
    :math:`= \alpha/(\alpha+\beta)` and ``log_total`` :math:`= \log(\alpha+\beta)`,
    whose posterior means are finite (those of :math:`\alpha` and :math:`\beta` are not).

    Parameters
    ----------
    successes, trials : array_like of int, shape (J,)
        The data.
    hyperprior : companion.priors.PowerHyperprior, default BDA3's
        The hyperprior :math:`(\alpha + \beta)^k`.

    Returns
    -------
    pymc.Model
    """
    y, n = as_binomial_data(successes, trials)
    if not isinstance(hyperprior, PowerHyperprior):
        raise ValueError(
            f"hyperprior must be a companion.priors.PowerHyperprior; got {hyperprior!r}"
        )
    with pm.Model(coords={"experiment": np.arange(y.size)}) as model:
        alpha = pm.HalfFlat("alpha")
        beta = pm.HalfFlat("beta")
        pm.Potential("hyperprior", hyperprior.exponent * pt.log(alpha + beta))
        theta = pm.Beta("theta", alpha=alpha, beta=beta, dims="experiment")
        pm.Binomial("y", n=n, p=theta, observed=y, dims="experiment")
        # Summaries with finite posterior means (E[alpha] and E[beta] are infinite):
        pm.Deterministic("mean_rate", alpha / (alpha + beta))
        pm.Deterministic("log_total", pt.log(alpha + beta))
    return model


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence PyMC's, PyTensor's and nutpie's log lines and warnings while sampling."""
    loggers = [logging.getLogger(name) for name in ("pymc", "pytensor", "nutpie")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _check_settings(
    draws: int, tune: int, chains: int, target_accept: float
) -> tuple[int, int, int, float]:
    draws, tune, chains = (
        check_draws(draws),
        check_draws(tune, "tune"),
        check_draws(chains, "chains"),
    )
    target_accept = as_probability(target_accept, "target_accept")
    return draws, tune, chains, target_accept


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """A PyMC model made ready for repeated NUTS runs with one named sampler.

    Built by :func:`compile_model`. For nutpie the model is compiled once, here, and
    every :meth:`sample` call reuses the compiled code, so replicated runs
    (:func:`companion.replicates.run`) pay the compilation once. PyMC's own NUTS
    compiles inside ``pymc.sample``; reusing a NUTS step object across calls would skip
    PyMC's jittered initialization of each chain, so each run compiles again (from
    PyTensor's cache after the first) and the time is reported as ``compile_seconds``.

    Attributes
    ----------
    model : pymc.Model
        The model.
    sampler : {"pymc", "nutpie"}
        Which NUTS implementation runs it.
    compile_seconds : float
        Time spent compiling in :func:`compile_model` (0 for ``"pymc"``).
    """

    model: pm.Model
    sampler: str
    compile_seconds: float
    _compiled: Any = field(default=None, repr=False)

    def sample(
        self,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        target_accept: float = 0.8,
        rng: RngLike = None,
    ) -> xr.DataTree:
        """Run NUTS once, quietly, and return the draws with the settings recorded.

        Parameters
        ----------
        draws, tune, chains : int
            Kept draws per chain, tuning steps per chain, and chains.
        target_accept : float, default 0.8
            Target acceptance rate of the step-size adaptation, in (0, 1).
        rng : int, numpy.random.Generator or None
            Source of the seed: an integer is the seed itself, a generator draws one,
            ``None`` draws one from fresh entropy. The same integer gives the same
            draws on the same machine (not always on another: PyTensor compiles for
            the CPU it runs on).

        Returns
        -------
        xarray.DataTree
            Groups ``posterior`` and ``sample_stats``. The root attributes record
            ``sampler``, ``seed`` (the integer actually used), ``draws``, ``tune``,
            ``chains``, ``target_accept``, ``compile_seconds``, ``sampling_seconds``
            and ``wall_time`` (their sum).
        """
        draws, tune, chains, target_accept = _check_settings(draws, tune, chains, target_accept)
        seed = as_seed(rng)
        start = time.perf_counter()
        with _quiet():
            if self.sampler == "nutpie":
                import nutpie

                tree = nutpie.sample(
                    self._compiled,
                    draws=draws,
                    tune=tune,
                    chains=chains,
                    seed=seed,
                    target_accept=target_accept,
                    progress_bar=False,
                    save_warmup=False,
                )
                sampling = time.perf_counter() - start
                compiling = self.compile_seconds
            else:
                tree = pm.sample(
                    model=self.model,
                    draws=draws,
                    tune=tune,
                    chains=chains,
                    random_seed=seed,
                    target_accept=target_accept,
                    nuts_sampler="pymc",
                    progressbar=False,
                    quiet=True,
                    compute_convergence_checks=False,
                )
                wall = time.perf_counter() - start
                sampling = float(tree["sample_stats"].attrs.get("sampling_time", wall))
                compiling = max(wall - sampling, 0.0)
        tree.attrs.update(
            sampler=self.sampler,
            seed=seed,
            draws=draws,
            tune=tune,
            chains=chains,
            target_accept=target_accept,
            compile_seconds=compiling,
            sampling_seconds=sampling,
            wall_time=compiling + sampling,
        )
        return tree


def compile_model(model: pm.Model, *, sampler: str) -> CompiledModel:
    """Prepare ``model`` for NUTS runs with ``sampler``, compiling it once where possible.

    Parameters
    ----------
    model : pymc.Model
        The model, for example from :func:`eight_schools`.
    sampler : {"pymc", "nutpie"}
        PyMC's own NUTS or nutpie. There is no default: when nutpie is installed,
        ``pymc.sample`` switches to it by itself, and the two samplers diverge at very
        different rates on the same model, so every run names its sampler.

    Returns
    -------
    CompiledModel
        Call its :meth:`~CompiledModel.sample` once per run.
    """
    if not isinstance(model, pm.Model):
        raise ValueError(f"model must be a pymc.Model; got {type(model).__name__}")
    check_choice(sampler, "sampler", SAMPLERS)
    if sampler == "pymc":
        return CompiledModel(model, sampler, 0.0)
    import nutpie

    start = time.perf_counter()
    with _quiet():
        compiled = nutpie.compile_pymc_model(model)
    return CompiledModel(model, sampler, time.perf_counter() - start, compiled)


def sample(
    model: pm.Model,
    *,
    sampler: str,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.8,
    rng: RngLike = None,
) -> xr.DataTree:
    """Run NUTS on ``model`` once, quietly, and return the DataTree with the run recorded.

    A shortcut for ``compile_model(model, sampler=sampler).sample(...)``; for several
    runs of one model, compile once with :func:`compile_model` or use
    :func:`companion.replicates.run`.

    Parameters
    ----------
    model : pymc.Model
        The model to sample.
    sampler : {"pymc", "nutpie"}
        PyMC's own NUTS or nutpie; required (see :func:`compile_model`).
    draws, tune, chains : int
        Kept draws per chain, tuning steps per chain, and chains.
    target_accept : float, default 0.8
        Target acceptance rate of the step-size adaptation, in (0, 1).
    rng : int, numpy.random.Generator or None
        Source of the seed; the integer used is recorded as ``attrs["seed"]``.

    Returns
    -------
    xarray.DataTree
        Groups ``posterior`` and ``sample_stats``; the root attributes are those of
        :meth:`CompiledModel.sample`, with nutpie's compile time included.

    Examples
    --------
    >>> from companion import datasets, models
    >>> d = datasets.eight_schools()
    >>> model = models.eight_schools(d["y"], d["sigma"], parametrization="non_centered")
    >>> tree = models.sample(model, sampler="nutpie", draws=100, tune=100, chains=2, rng=1)
    >>> tree.attrs["seed"], dict(tree["posterior"]["theta"].sizes)
    (1, {'chain': 2, 'draw': 100, 'school': 8})
    """
    check_choice(sampler, "sampler", SAMPLERS)
    _check_settings(draws, tune, chains, target_accept)
    as_seed(rng)  # validate before compiling
    return compile_model(model, sampler=sampler).sample(
        draws=draws, tune=tune, chains=chains, target_accept=target_accept, rng=rng
    )
