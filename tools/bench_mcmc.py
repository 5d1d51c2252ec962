"""MCMC rows of `make bench`: PyMC's NUTS and nutpie on both eight-schools models.

For each sampler and parametrization: compile time, sampling time, divergences, and
ESS per second (of sampling) for mu, tau and log tau, beside the exact sampler's
independent draws per second for the same posterior (mu ~ N(0, 5), tau ~
HalfCauchy(5)). The headline is exact draws per second divided by MCMC ESS per
second of log tau: how many times faster the exact route delivers an effective draw.
All numbers come from one run; 4 chains x 1000 draws after 1000 tuning steps, seed 1.
The exact rate is the best of three timings, like the rows of tools/bench.py.
"""

from __future__ import annotations

import time

import arviz as az
import numpy as np
from scipy import stats

from companion import models, normal_normal
from companion.datasets import eight_schools
from tools.bench import best_of

DRAWS, TUNE, CHAINS, SEED = 1000, 1000, 4, 1


def _ess_rates(tree, seconds: float) -> dict[str, float]:
    post = tree["posterior"]
    values = {
        "mu": post["mu"].values,
        "tau": post["tau"].values,
        "log tau": np.log(post["tau"].values),
    }
    return {name: float(az.ess(v)) / seconds for name, v in values.items()}


def _row(model, sampler: str) -> tuple[float, float, object]:
    compiled = models.compile_model(model, sampler=sampler)
    tree = compiled.sample(draws=DRAWS, tune=TUNE, chains=CHAINS, rng=SEED)
    return tree.attrs["compile_seconds"], tree.attrs["sampling_seconds"], tree


def print_mcmc() -> None:
    data = eight_schools()
    priors = {"tau_prior": stats.halfcauchy(scale=5), "mu_prior": stats.norm(0, 5)}
    start = time.perf_counter()
    exact = normal_normal.tau_posterior(data["y"], data["sigma"], **priors)
    build = time.perf_counter() - start
    exact_rate = 10**6 / best_of(lambda: exact.sample(10**6, rng=SEED), repeats=3)

    print(
        f"MCMC on eight schools (mu ~ N(0,5), tau ~ HalfCauchy(5); {CHAINS} chains x {DRAWS} "
        f"draws, {TUNE} tuning, target_accept 0.8, seed {SEED}; one run, 2-core machine)"
    )
    print(
        f"Exact sampler: grid built in {build:.3f} s, then {exact_rate:,.0f} independent "
        "draws/s (tau, mu, 8 theta)"
    )
    header = (
        "| sampler | model        | compile (s) | sampling (s) | divergences | "
        "ESS/s mu | ESS/s tau | ESS/s log tau | exact draws/s / ESS/s log tau |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell) + 0) for cell in header.split("|")[1:-1]) + "|")
    for sampler in models.SAMPLERS:
        for name in models.PARAMETRIZATIONS:
            model = models.eight_schools(data["y"], data["sigma"], parametrization=name)
            compile_seconds, sampling, tree = _row(model, sampler)
            rates = _ess_rates(tree, sampling)
            divergent = int(tree["sample_stats"]["diverging"].values.sum())
            print(
                f"| {sampler:<7} | {name:<12} | {compile_seconds:11.2f} | {sampling:12.2f} | "
                f"{divergent:11d} | {rates['mu']:8.0f} | {rates['tau']:9.0f} | "
                f"{rates['log tau']:13.0f} | {exact_rate / rates['log tau']:29.0f} |"
            )
