"""Benchmarks behind the README's speed claims: `make bench` prints the table.

Exact samplers are timed beside the floor for their work: the time numpy takes to draw
the same count of standard normals in the same run. Timings are the best of several
repeats (noise on a shared machine only ever adds time); ratios compare numbers taken
in one run. BLAS and OpenMP are pinned to one thread so that "one core" is what is
measured. `--mcmc` adds PyMC's NUTS and nutpie on the eight-schools models, and
`--chapters` each chapter's execution time from scratch beside its budget.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from companion import beta_binomial, datasets, normal_normal  # noqa: E402


def best_of(run: Callable[[], object], repeats: int = 5) -> float:
    """Smallest wall time of ``repeats`` calls, after one warm-up call."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def floor(count: int) -> float:
    rng = np.random.default_rng(0)
    return best_of(lambda: rng.standard_normal(count))


def exact_rows() -> list[tuple[str, float, float, str]]:
    schools = datasets.eight_schools()
    rats = datasets.rat_tumors()
    rng = np.random.default_rng(1)
    big_sigma = rng.uniform(5, 15, 10_000)
    big_y = rng.normal(rng.normal(0, 8, 10_000), big_sigma)
    cases = [
        (
            "eight schools: 10^6 joint draws (tau, mu, 8 theta)",
            lambda: normal_normal.sample_posterior(schools["y"], schools["sigma"], 10**6, rng=2),
            10**6 * 9,
            "< 1 s",
        ),
        (
            "rat tumours: 10^5 joint draws (alpha, beta, 71 theta)",
            lambda: beta_binomial.sample_posterior(rats["y"], rats["n"], 10**5, rng=3),
            10**5 * 71,
            "< 1 s",
        ),
        (
            "normal model, J = 10^4 groups x 10^3 draws",
            lambda: normal_normal.sample_posterior(big_y, big_sigma, 10**3, rng=4),
            10**3 * 10**4,
            "< 2 s",
        ),
    ]
    rows = []
    for name, run, normals, target in cases:
        rows.append((name, best_of(run, repeats=3), floor(normals), target))
    return rows


def print_exact(rows: list[tuple[str, float, float, str]]) -> None:
    print("Exact posterior samplers (one core, best of 3 after a warm-up)")
    print(f"| {'case':<56} | {'time (s)':>8} | {'normals floor (s)':>17} | {'ratio':>5} | target |")
    print(f"|{'-' * 58}|{'-' * 10}|{'-' * 19}|{'-' * 7}|--------|")
    for name, seconds, base, target in rows:
        ratio = seconds / base
        print(f"| {name:<56} | {seconds:8.3f} | {base:17.3f} | {ratio:5.1f} | {target:<6} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mcmc", action="store_true", help="also time PyMC and nutpie")
    parser.add_argument(
        "--chapters", action="store_true", help="also execute every chapter from scratch"
    )
    args = parser.parse_args()
    print_exact(exact_rows())
    if args.mcmc:
        from tools.bench_mcmc import print_mcmc  # PyMC is slow to import: only on request

        print()
        print_mcmc()
    if args.chapters:
        from tools.bench_chapters import print_chapters

        print()
        print_chapters()


if __name__ == "__main__":
    main()
