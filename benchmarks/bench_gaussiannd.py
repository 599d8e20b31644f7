"""Throughput of the N-D Gaussian samplers: Bartlett against brute force and against a per-chain Python loop.

Usage::

    python benchmarks/bench_gaussiannd.py [--dim 10] [--size 100] [--generations 20] [--repeat 3] [--json]

Measured in one run, in ns per chain-generation (one chain advanced by one generation), at d = ``--dim``,
M = ``--size``, unbiased estimator, Sigma_0 = I, one worker:

(a) the random numbers alone the Bartlett sampler needs (d(d-1)/2 + d normals and d gammas per
    chain-generation, PCG64, the sampler's chunking): its floor;
(b) the Bartlett sampler, ``simulate(..., sampler="exact")`` (final statistics included);
(c) the brute-force sampler, ``simulate(..., sampler="brute")``: all M d-dimensional points of every chain, sample
    mean and covariance by batched matrix products, a Cholesky factor per chain (same statistics);
(d) the per-chain loop as published scripts write it: for each chain, for each generation,
    ``np.random.multivariate_normal(mu, cov, size=M)``, ``x.mean(axis=0)``, ``np.cov(x, rowvar=False)``
    (the legacy sampler, a local ``RandomState``), on a few chains.

Each timing is the minimum over ``--repeat`` repetitions.  Ratios are printed next to their goals (20x against
(c), 1000x against (d)); nothing is asserted (timings depend on the machine and its load).  The random-number
floor explains the first ratio: (c) draws M d normals per chain-generation, (b) d(d+1)/2 + d variates.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable

import numpy as np

from modelcollapse.numeric.executors import chunk_seeds
from modelcollapse.numeric.gaussiannd import default_chunk_size, simulate

SEED = 20241125


def raw_rng(dim: int, sizes: tuple[int, ...], chains: int, chunk_size: int) -> None:
    """(a) Only the variates of the Bartlett sampler, with its chunking and seeding."""
    n_chunks = -(-chains // chunk_size)
    for k, child in enumerate(chunk_seeds(np.random.SeedSequence(SEED), n_chunks)):
        n = min(chunk_size, chains - k * chunk_size)
        rng = np.random.Generator(np.random.PCG64(child))
        z = np.empty((dim + dim * (dim - 1) // 2, n))
        gam = np.empty((dim, n))
        for m in sizes:
            rng.standard_normal(out=z)
            for k in range(dim):
                rng.standard_gamma(0.5 * (m - 1.0 - k), out=gam[k])


def python_loop(dim: int, sizes: tuple[int, ...], chains: int) -> None:
    """(d) The per-chain loop of published scripts."""
    rng = np.random.RandomState(SEED)
    for _ in range(chains):
        mu, cov = np.zeros(dim), np.eye(dim)
        for m in sizes:
            x = rng.multivariate_normal(mu, cov, size=m)
            mu = x.mean(axis=0)
            cov = np.cov(x, rowvar=False)


def best_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, default=10)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--generations", type=int, default=20)
    ap.add_argument("--chains", type=int, default=20_000, help="chains of the Bartlett sampler (brute: 1/10, loop: 1/200)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    d, g = args.dim, args.generations
    sizes = (args.size,) * g
    n_exact, n_brute, n_loop = args.chains, max(args.chains // 10, 2), max(args.chains // 200, 2)
    chunk = default_chunk_size(d)
    ns = lambda seconds, chains: seconds / (chains * g) * 1e9  # noqa: E731
    t_rng = ns(best_time(lambda: raw_rng(d, sizes, n_exact, chunk), args.repeat), n_exact)
    t_exact = ns(best_time(lambda: simulate(sizes, n_exact, dim=d, seed=SEED), args.repeat), n_exact)
    t_brute = ns(best_time(lambda: simulate(sizes, n_brute, dim=d, seed=SEED, sampler="brute"), args.repeat), n_brute)
    t_loop = ns(best_time(lambda: python_loop(d, sizes, n_loop), args.repeat), n_loop)
    out = {
        "dim": d, "size": args.size, "generations": g, "chunk_size": chunk,
        "chains": {"exact": n_exact, "brute": n_brute, "loop": n_loop},
        "ns_per_chain_generation": {"rng_floor": t_rng, "exact": t_exact, "brute": t_brute, "python_loop": t_loop},
        "ratios": {"brute/exact": t_brute / t_exact, "python_loop/exact": t_loop / t_exact,
                   "exact/rng_floor": t_exact / t_rng},
        "goals": {"brute/exact": 20, "python_loop/exact": 1000},
        "python": platform.python_version(), "numpy": np.__version__,
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"gaussiannd samplers at d = {d}, M = {args.size}, {g} generations (ns per chain-generation, min of "
          f"{args.repeat})")
    for key, label in (("rng_floor", "(a) Bartlett variates only"), ("exact", "(b) Bartlett sampler"),
                       ("brute", "(c) brute force"), ("python_loop", "(d) per-chain Python loop")):
        print(f"  {label:<28} {out['ns_per_chain_generation'][key]:>12,.0f}")
    r = out["ratios"]
    print(f"  brute / Bartlett        {r['brute/exact']:8.1f}x   (goal >= 20x)")
    print(f"  Python loop / Bartlett  {r['python_loop/exact']:8.1f}x   (goal >= 1000x)")
    print(f"  Bartlett / its variates {r['exact/rng_floor']:8.2f}x   (1 = nothing but random numbers)")


if __name__ == "__main__":
    main()
