"""Exact theory on long schedules: `python benchmarks/bench_theory.py [--sizes N]`.

Times `modelcollapse.symbolic.gaussian1d.evaluate` for every quantity on N distinct sizes (no cache hits)
against a baseline measured in the same run: the irreducible mpmath work of one gamma ratio
E[(chi2_k/k)^(1/2)] per size. Prints seconds and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import time

import mpmath

from modelcollapse.symbolic import gaussian1d as G


def _baseline(sizes: list[int]) -> float:
    start = time.perf_counter()
    for m in sizes:
        k = mpmath.mpf(m - 1)
        mpmath.sqrt(2 / k) * mpmath.gamma(k / 2 + mpmath.mpf(1) / 2) / mpmath.gamma(k / 2)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, default=1000, help="schedule length (default 1000)")
    args = parser.parse_args()
    sizes = [20 + i for i in range(args.sizes)]
    for q in G.QUANTITIES:  # derive and lambdify once, outside the timing
        G.evaluate(q, sizes[:2])
    base = _baseline(sizes)
    print(f"{len(sizes)} distinct sizes, mpmath dps 17; baseline (one gamma ratio per size): {base:.3f} s")
    print(f"{'quantity':16s} {'seconds':>8s} {'x baseline':>10s}")
    total = 0.0
    for q in G.QUANTITIES:
        start = time.perf_counter()
        G.evaluate(q, sizes)
        t = time.perf_counter() - start
        total += t
        print(f"{q:16s} {t:8.3f} {t / base:10.2f}")
    print(f"{'all 8':16s} {total:8.3f} {total / base:10.2f}   (issue target: under 5 s for 1000 sizes)")


if __name__ == "__main__":
    main()
