"""Throughput of the 1-D Gaussian model-collapse samplers, against the raw cost of their random numbers.

Usage::

    python benchmarks/bench_gaussian1d.py [--quick] [--full] [--json] [--repeat N] [--no-dask] [--no-memory]

Measured in one run, all in ns per chain-generation (one chain advanced by one generation):

(a) raw RNG limit: one ``standard_normal`` + one ``standard_gamma((M-1)/2)`` per chain-generation, same
    bit generator (PCG64), same chunk size and seeding as the exact sampler, nothing else;
(b) the exact sampler, ``simulate(..., sampler="exact")``, one worker;
(c) the brute sampler at M = 100 (draws and refits the M points);
(d) a per-chain pure-Python loop, as published scripts do it (for each chain, for each generation:
    ``np.random.normal(size=M)``, ``mean``, ``std``), on a few chains;
(e) the exact sampler with 2 local worker processes vs 1 (pool start-up included);
(f) the same run, chunks of more than a second each, on 2 warm local worker processes
    (``ProcessPoolExecutor``) and on a warm 2-worker Dask ``LocalCluster`` (``Client.get_executor()``):
    the Dask overhead, with the cluster's start-up time reported apart (skipped without dask);
(g) peak resident memory of a long run in a fresh process with 2 workers (``resource.getrusage``:
    the main process, the largest worker, and main + 2 x worker as the bound on the total):
    10^6 chains x 1000 generations by default, 10^7 x 1000 with ``--full`` (several minutes).

Each timing is the minimum over ``--repeat`` interleaved repetitions.  Ratios are printed next to
their targets; nothing is asserted (timings depend on the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
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


def dask_overhead(gens: int, chunk: int, n_chunks: int, repeat: int) -> dict[str, float] | None:
    """(f) Seconds for the same run on 2 warm local processes and on a warm 2-worker Dask LocalCluster.

    Every repetition uses a new seed (the same for both executors) and the results are checked to be
    identical.  Returns ``None`` when dask.distributed is not installed.
    """
    try:
        import distributed  # noqa: F401
    except ImportError:
        return None
    from modelcollapse.numeric.dask import dask_executor
    from modelcollapse.numeric.executors import process_pool

    sizes = (M,) * gens
    chains = chunk * n_chunks
    best = {"pool": float("inf"), "dask": float("inf")}
    t0 = time.perf_counter()
    with dask_executor("local", workers=2) as dask, process_pool(2) as pool:
        startup = time.perf_counter() - t0
        simulate(sizes[:2], 4 * chunk, seed=0, chunk_size=chunk, executor=pool, workers=2)  # warm both
        simulate(sizes[:2], 4 * chunk, seed=0, chunk_size=chunk, executor=dask.executor, workers=2)
        for rep in range(repeat):
            runs = {}
            for name, ex in (("pool", pool), ("dask", dask.executor)):
                t = time.perf_counter()
                runs[name] = simulate(sizes, chains, seed=SEED + rep, chunk_size=chunk, executor=ex, workers=2)
                best[name] = min(best[name], time.perf_counter() - t)
            if runs["pool"].summaries != runs["dask"].summaries:
                raise AssertionError("the Dask run differs from the local run with the same seed")
    return {**best, "startup": startup, "chunk_seconds": best["pool"] / (n_chunks / 2)}


_MEMORY_CHILD = """
import resource, sys, time
from modelcollapse.numeric import simulate
chains, gens, workers = map(int, sys.argv[1:4])
t = time.perf_counter()
simulate((20,) * gens, chains, seed=1, workers=workers)
wall = time.perf_counter() - t
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(own, kids, wall)
"""


def peak_memory(chains: int, gens: int, workers: int = 2) -> dict[str, float]:
    """(g) Peak RSS (MiB) of a ``simulate`` run in a fresh interpreter: main process, largest worker."""
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(chains), str(gens), str(workers)],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    scale = 1024 if sys.platform != "darwin" else 1024 * 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    own, kids = int(out[0]) / scale, int(out[1]) / scale
    return {"main_mib": own, "worker_mib": kids, "total_mib": own + workers * kids, "seconds": float(out[2])}


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    ap.add_argument("--json", action="store_true", help="also print the results as JSON")
    ap.add_argument("--repeat", type=int, default=None, help="repetitions per timing (min is kept)")
    ap.add_argument("--chunk-size", type=int, default=None, help="chains per chunk (default: library's)")
    ap.add_argument("--full", action="store_true", help="memory at 10^7 chains x 1000 generations (minutes)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster measurement")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurement")
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
    dask_gens, dask_chunks = (400, 4) if quick else (1000, 8)
    dask_t = None if args.no_dask else dask_overhead(dask_gens, chunk, dask_chunks, max(2, repeat // 2))
    mem_chains, mem_gens = (10**7, 1000) if args.full else ((10**5, 200) if quick else (10**6, 1000))
    mem = None if args.no_memory else peak_memory(mem_chains, mem_gens)

    rows = [
        ("(a) raw RNG: 1 normal + 1 gamma", raw_ns, f"{chains} chains x {gens} gen"),
        ("(b) exact sampler, 1 worker", exact_ns, f"{chains} chains x {gens} gen"),
        (f"(c) brute sampler, M={M}", brute_ns, f"{chains_brute} chains x {gens} gen"),
        (f"(d) python per-chain loop, M={M}", loop_ns, f"{chains_loop} chains x {gens} gen"),
        ("(e) exact sampler, 1 worker", w1_ns, f"{chains_par} chains x {gens} gen"),
        ("(e) exact sampler, 2 workers", w2_ns, f"{chains_par} chains x {gens} gen"),
    ]
    if dask_t is not None:
        work = f"{chunk * dask_chunks} chains x {dask_gens} gen, {dask_chunks} chunks of {dask_t['chunk_seconds']:.1f} s"
        per_dask = chunk * dask_chunks * dask_gens
        rows += [
            ("(f) 2 warm local processes", dask_t["pool"] / per_dask * 1e9, work),
            ("(f) 2-worker Dask LocalCluster", dask_t["dask"] / per_dask * 1e9, work),
        ]
    ratios = [
        ("exact / raw-RNG throughput", raw_ns / exact_ns, ">= 0.8"),
        (f"exact speed-up over brute (M={M})", brute_ns / exact_ns, ">= 40"),
        ("exact speed-up over python loop", loop_ns / exact_ns, ">= 500"),
        ("2 workers speed-up over 1", w1_ns / w2_ns, ">= 1.6"),
    ]
    if dask_t is not None:
        ratios.append(("Dask LocalCluster overhead (%)", 100 * (dask_t["dask"] / dask_t["pool"] - 1), "< 10"))
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
    if dask_t is not None:
        print(f"(Dask LocalCluster + local pool start-up, not in the overhead: {dask_t['startup']:.1f} s)")
    if mem is not None:
        print()
        print(f"peak resident memory, {mem_chains:,} chains x {mem_gens} generations, 2 workers "
              f"({mem['seconds']:.0f} s): main {mem['main_mib']:.0f} MiB, largest worker {mem['worker_mib']:.0f} MiB, "
              f"main + 2 x worker {mem['total_mib']:.0f} MiB  (target < 500 MB at 10^7 x 1000)")
    out = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "chunk_size": chunk,
        "quick": quick,
        "ns_per_chain_generation": {name: ns for name, ns, _ in rows},
        "ratios": {name: r for name, r, _ in ratios},
        "dask_seconds": dask_t,
        "memory": None if mem is None else {"chains": mem_chains, "generations": mem_gens, **mem},
    }
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
    return out


if __name__ == "__main__":
    main()
