"""Throughput of the regression samplers: the exact (sufficient-statistic) sampler against brute force.

Usage::

    python benchmarks/bench_regression.py [--quick] [--json] [--repeat N] [--dim D] [--samples T]

Measured in one run, at d = 10 features and T = 100 rows per block by default, G = 10 fits, one worker,
in microseconds per chain-generation (one chain advanced by one fit):

(a) the brute-force sampler (``sampler="brute"``): draws every design row and label and solves the
    least-squares normal equations, batched over chains: the baseline;
(b) the exact sampler (``sampler="exact"``): fixed design, O(d) per chain and fit after one
    factorization; random-once, one Wishart draw per chain (Bartlett) then O(d); fresh, Bartlett
    sufficient statistics, O(d^3) per fit whatever T;
(c) fresh designs under accumulate once more at ten times the rows: the exact sampler's one d x d solve
    per chain and fit does not depend on T, brute force grows as T d^2;
(d) a per-chain Python loop with ``numpy.linalg.lstsq``, as published simulation scripts write it, on a
    few chains (replace only).

For each design and scheme the ratio (a)/(b) is printed next to the goal (>= 20x at d = 10, T = 100);
timings are the minimum over ``--repeat`` interleaved repetitions.  Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable

import numpy as np

from modelcollapse.numeric.regression import DESIGNS, SCHEMES, simulate

SEED = 20241125
GOAL = 20.0


def best_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def python_loop(dim: int, samples: int, generations: int, chains: int, seed: int) -> None:
    """(c) For each chain, for each fit: draw X and y, ``lstsq``, as a script would."""
    rng = np.random.default_rng(seed)
    w_star = np.ones(dim) / np.sqrt(dim)
    for _ in range(chains):
        w = w_star
        for _ in range(generations):
            X = rng.standard_normal((samples, dim))
            y = X @ w + rng.standard_normal(samples)
            w = np.linalg.lstsq(X, y, rcond=None)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer chains (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--generations", type=int, default=10)
    args = parser.parse_args()
    d, T, G = args.dim, args.samples, args.generations
    exact_chains = 20_000 if args.quick else 100_000
    brute_chains = 2_000 if args.quick else 10_000
    loop_chains = 50 if args.quick else 300
    rows = []
    for design in DESIGNS:
        for scheme in SCHEMES:
            params = {"dim": d, "samples": T, "generations": G, "design": design, "scheme": scheme}
            times = {"exact": 0.0, "brute": 0.0}
            for _ in range(args.repeat):  # interleaved: the machine's load hits both alike
                for sampler, chains in (("exact", exact_chains), ("brute", brute_chains)):
                    t = best_time(lambda: simulate(**params, chains=chains, seed=SEED, sampler=sampler), 1)
                    per = t / (chains * G) * 1e6
                    times[sampler] = per if not times[sampler] else min(times[sampler], per)
            rows.append({"design": design, "scheme": scheme, "exact_us": times["exact"], "brute_us": times["brute"],
                         "ratio": times["brute"] / times["exact"]})
    # fresh designs under accumulate need one d x d solve of the pooled Gram matrix per chain and fit
    # (O(d^3), whatever T); brute force costs O(T d^2): the ratio grows with T
    big = 10 * T
    params = {"dim": d, "samples": big, "generations": G, "design": "fresh", "scheme": "accumulate"}
    times = {}
    for sampler, chains in (("exact", exact_chains), ("brute", max(brute_chains // 10, 200))):
        t = best_time(lambda: simulate(**params, chains=chains, seed=SEED, sampler=sampler), args.repeat)
        times[sampler] = t / (chains * G) * 1e6
    rows.append({"design": "fresh", "scheme": f"accumulate, T = {big}", "exact_us": times["exact"],
                 "brute_us": times["brute"], "ratio": times["brute"] / times["exact"]})
    loop = best_time(lambda: python_loop(d, T, G, loop_chains, SEED), args.repeat) / (loop_chains * G) * 1e6
    result = {
        "dim": d, "samples": T, "generations": G, "goal_ratio": GOAL, "rows": rows,
        "python_loop_us": loop, "python": platform.python_version(), "numpy": np.__version__,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"regression samplers at d = {d}, T = {T}, G = {G} fits; microseconds per chain-generation "
          f"(exact {exact_chains:,} chains, brute {brute_chains:,}, best of {args.repeat})")
    print(f"{'design':<12} {'scheme':<21} {'exact':>9} {'brute':>9} {'brute/exact':>12}  goal")
    for r in rows:
        mark = "ok" if r["ratio"] >= GOAL else "BELOW"
        print(f"{r['design']:<12} {r['scheme']:<21} {r['exact_us']:9.3f} {r['brute_us']:9.3f} {r['ratio']:11.1f}x  "
              f">= {GOAL:.0f}x {mark}")
    fresh = next(r for r in rows if r["design"] == "fresh" and r["scheme"] == "replace")
    print(f"per-chain Python loop with lstsq (replace, fresh designs, {loop_chains} chains): {loop:.2f} us per "
          f"chain-generation = {loop / fresh['exact_us']:.0f}x the exact sampler, {loop / fresh['brute_us']:.1f}x brute force")


if __name__ == "__main__":
    main()
