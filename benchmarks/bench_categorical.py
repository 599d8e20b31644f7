"""Benchmark: exact expected support of the categorical model, banded backward pass vs dense matrices.

    python benchmarks/bench_categorical.py

The target case is the wordfreq English top 5000 (the 'lang' extra; a Zipf(1.1) law of 5000 categories
stands in when wordfreq is missing) at M = 10^4 tokens per generation, g = 50 generations, replace.
The baseline is the dense (M+1) x (M+1) binomial transition matrix, backward pass shared by the categories
(memory and time O(M^2): run here up to M = 2000; at M = 10^4 it would need 0.8 GB per matrix).  Both are timed in
this run on the same distribution; the ratio and the largest difference between the two are printed, and
the banded pass's error bound.  Asserts nothing.
"""

from __future__ import annotations

import time

import numpy as np

from modelcollapse.numeric import categorical as N


def _dist() -> N.Distribution:
    try:
        return N.parse_distribution("wordfreq:en,5000")
    except Exception:  # noqa: BLE001 - the optional extra is missing
        return N.parse_distribution("zipf:1.1,5000")


def _time(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def main() -> None:
    d = _dist()
    print(f"distribution: {d.source}")
    g = 50
    print(f"{'M':>6} {'band s':>8} {'dense s':>8} {'dense/band':>10} {'max rel diff':>12} {'E support':>12}")
    for M in (500, 1000, 2000):
        N._band.cache_clear()
        tb, band = _time(N.marginal_expectations, d.p, (M,) * g, functions=("zero", "alive"))
        td, dense = _time(N.dense_zero_probabilities, d.p, (M,) * g)
        z = band.values["zero"]
        rel = float(np.max(np.abs(z - dense) / np.maximum(np.abs(dense), 1e-300)))
        print(f"{M:>6} {tb:8.2f} {td:8.2f} {td / tb:10.1f} {rel:12.2e} {band.values['alive'].sum():12.6f}")
    N._band.cache_clear()
    M = 10_000
    tb, band = _time(N.marginal_expectations, d.p, (M,) * g, functions=("zero", "alive"))
    print(f"target: M = {M}, g = {g}, K = {d.K}: expected support {band.values['alive'].sum():.12f} in {tb:.2f} s "
          f"(absolute error bound {band.error:.1e} per probability; float64 rounding ~1e-13 relative); "
          f"dense would need {(M + 1) ** 2 * 8 / 1e9:.1f} GB per matrix")


if __name__ == "__main__":
    main()
