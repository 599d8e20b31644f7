"""Throughput of the 1-D Gaussian model-collapse samplers, against the raw cost of their random numbers.

Usage::

    python benchmarks/bench_gaussian1d.py [--quick] [--json] [--repeat N]

Measured in one run, all in ns per chain-generation (one chain advanced by one generation):

(a) raw RNG limit: one ``standard_normal`` + one ``standard_gamma((M-1)/2)`` per chain-generation, same
    bit generator (PCG64), same chunk size and seeding as the exact sampler, nothing else;
(b) the exact sampler, ``simulate(..., sampler="exact")``, one worker;
(c) the brute sampler at M = 100 (draws and refits the M points);
(d) a per-chain pure-Python loop, as published scripts do it (for each chain, for each generation:
    ``np.random.normal(size=M)``, ``mean``, ``std``), on a few chains;
(e) the exact sampler with 2 local worker processes vs 1 (pool start-up included).

Each timing is the minimum over ``--repeat`` interleaved repetitions.  Ratios are printed next to
their targets; nothing is asserted (timings depend on the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np

from modelcollapse.numeric import simulate
from modelcollapse.numeric.executors import chunk_seeds

M = 100
SEED = 20241125


def raw_rng(sizes: tuple[int, ...], chains: int, chunk_size: int, seed: int) -> None:
    """(a) Only the draws the exact sampler needs, with its chunking and seeding."""
    n_chunks = -(-chains // chunk_size)
    for k, child in enumerate(chunk_seeds(np.random.SeedSequence(seed), n_chunks)):
        n = min(chunk_size, chains - k * chunk_size)
        rng = np.random.Generator(np.random.PCG64(child))
        z = np.empty(n)
        g = np.empty(n)
        for m in sizes:
            rng.standard_normal(out=z)
            rng.standard_gamma(0.5 * (m - 1), out=g)


def python_loop(sizes: tuple[int, ...], chains: int, seed: int) -> None:
    """(d) The textbook per-chain loop, with the legacy ``np.random.normal`` sampler scripts use
    (a local RandomState instead of the global one)."""
    rng = np.random.RandomState(seed)
    for _ in range(chains):
        mu, sd = 0.0, 1.0
        for m in sizes:
            x = rng.normal(mu, sd, size=m)
            mu = x.mean()
            sd = x.std(ddof=1)


def best_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def interleaved(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Minimum time of each function over ``repeat`` rounds, the functions alternating within a round."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    ap.add_argument("--json", action="store_true", help="also print the results as JSON")
    ap.add_argument("--repeat", type=int, default=None, help="repetitions per timing (min is kept)")
    ap.add_argument("--chunk-size", type=int, default=None, help="chains per chunk (default: library's)")
    args = ap.parse_args(argv)

    quick = args.quick
    repeat = args.repeat or (3 if quick else 5)
    gens = 20 if quick else 50
    sizes = (M,) * gens
    chains = (1 << 17) if quick else (1 << 19)
    chains_par = (1 << 18) if quick else (1 << 21)
    chains_brute = 2_000 if quick else 8_000
    chains_loop = 30 if quick else 100
    from modelcollapse.numeric.gaussian1d import DEFAULT_CHUNK_SIZE

    chunk = args.chunk_size or DEFAULT_CHUNK_SIZE
    per = chains * gens

    simulate(sizes[:2], 1 << 12, seed=SEED)  # warm-up (imports, page faults)
    t = interleaved(
        {
            "raw": lambda: raw_rng(sizes, chains, chunk, SEED),
            "exact": lambda: simulate(sizes, chains, seed=SEED, chunk_size=chunk),
        },
        repeat,
    )
    raw_ns = t["raw"] / per * 1e9
    exact_ns = t["exact"] / per * 1e9
    brute_ns = (
        best_time(lambda: simulate(sizes, chains_brute, seed=SEED, sampler="brute"), max(1, repeat // 2))
        / (chains_brute * gens)
        * 1e9
    )
    loop_ns = best_time(lambda: python_loop(sizes, chains_loop, SEED), 2) / (chains_loop * gens) * 1e9
    tp = interleaved(
        {
            "w1": lambda: simulate(sizes, chains_par, seed=SEED, chunk_size=chunk, workers=1),
            "w2": lambda: simulate(sizes, chains_par, seed=SEED, chunk_size=chunk, workers=2),
        },
        max(2, repeat // 2),
    )
    w1_ns = tp["w1"] / (chains_par * gens) * 1e9
    w2_ns = tp["w2"] / (chains_par * gens) * 1e9

    rows = [
        ("(a) raw RNG: 1 normal + 1 gamma", raw_ns, f"{chains} chains x {gens} gen"),
        ("(b) exact sampler, 1 worker", exact_ns, f"{chains} chains x {gens} gen"),
        (f"(c) brute sampler, M={M}", brute_ns, f"{chains_brute} chains x {gens} gen"),
        (f"(d) python per-chain loop, M={M}", loop_ns, f"{chains_loop} chains x {gens} gen"),
        ("(e) exact sampler, 1 worker", w1_ns, f"{chains_par} chains x {gens} gen"),
        ("(e) exact sampler, 2 workers", w2_ns, f"{chains_par} chains x {gens} gen"),
    ]
    ratios = [
        ("exact / raw-RNG throughput", raw_ns / exact_ns, ">= 0.8"),
        (f"exact speed-up over brute (M={M})", brute_ns / exact_ns, ">= 40"),
        ("exact speed-up over python loop", loop_ns / exact_ns, ">= 500"),
        ("2 workers speed-up over 1", w1_ns / w2_ns, ">= 1.6"),
    ]
    print(
        f"modelcollapse gaussian1d benchmark  (python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} cpus, chunk_size={chunk}, M={M}, repeat={repeat}{', quick' if quick else ''})"
    )
    print(f"{'measurement':40s} {'ns/chain-gen':>14s}  workload")
    for name, ns, what in rows:
        print(f"{name:40s} {ns:14.1f}  {what}")
    print()
    print(f"{'ratio':40s} {'measured':>14s}  target")
    for name, r, target in ratios:
        print(f"{name:40s} {r:14.2f}  {target}")
    out = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "chunk_size": chunk,
        "quick": quick,
        "ns_per_chain_generation": {name: ns for name, ns, _ in rows},
        "ratios": {name: r for name, r, _ in ratios},
    }
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
    return out


if __name__ == "__main__":
    main()
