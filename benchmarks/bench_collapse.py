"""Speed of the exact law of sigma_g and of the g -> infinity limits (1-D Gaussian), with baselines from the same run.

Usage::

    python benchmarks/bench_collapse.py [--repeat N] [--json]

Measured in one run (seconds, minimum over ``--repeat`` repetitions, each in a fresh cache):

(a) ``P(sigma_g < eps sigma)`` at g = 1000 to 15 digits (``prob_sigma_below(..., digits=15)``) for three
    schedules: constant sizes (one distinct refit), linear sizes (1000 distinct refits with shapes up to 500)
    and quadratic sizes (1000 distinct refits, shapes up to 5e6);
    baseline: the same inversion with every refit an exact log-gamma term (no cumulant block), the direct way;
(b) the g -> infinity limits of every quantity (``limits``, 17 digits, with ``eps``) for power:10,2xinf,
    geometric:10,1.5xinf and power:10,1.5xinf;
    baseline: the exact values at g = 1000 by the moment recursion (``evaluate`` of every quantity), the
    cost of a long finite schedule that still misses the tail.
The issue's targets: (a) under 1 s, (b) under 1 s each.  Ratios are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import time

import mpmath

from modelcollapse._validation import parse_sizes
from modelcollapse.symbolic import gaussian1d as G
from modelcollapse.symbolic.loggamma import LogGammaSum

EPS = 0.5


def _clear() -> None:
    G._block_sums_cached.cache_clear()


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        _clear()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def direct(sizes) -> None:
    """Baseline (a): every refit an exact term of the characteristic function."""
    with mpmath.workdps(35):
        LogGammaSum(G.law_terms(sizes), None, dps=35).cdf(2 * mpmath.log(EPS), 15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out: dict[str, dict] = {"law": {}, "limits": {}}
    schedules = {"10x1000": (10,) * 1000, "linear:10,1x1000": tuple(parse_sizes("linear:10,1x1000")),
                 "power:10,2x1000": tuple(parse_sizes("power:10,2x1000"))}
    for name, sizes in schedules.items():
        fast = best(lambda s=sizes: G.prob_sigma_below(EPS, s, digits=15), args.repeat)
        slow = best(lambda s=sizes: direct(s), 1)
        p, err = G.prob_sigma_below(EPS, sizes, digits=15)
        out["law"][name] = {"seconds": fast, "baseline_seconds": slow, "ratio": slow / fast,
                            "value": mpmath.nstr(p, 16), "error_bound": float(err)}
    for name in ("power:10,2xinf", "geometric:10,1.5xinf", "power:10,1.5xinf"):
        s = parse_sizes(name)
        fast = best(lambda s=s: G.limits(s, "unbiased", 17, eps=EPS), args.repeat)
        finite = s.sizes(1000)
        slow = best(lambda f=finite: [G.evaluate(q, f) for q in G.QUANTITIES], 1)
        values, _ = G.limits(s, "unbiased", 17, eps=EPS)
        worst = min(17, *(int(-mpmath.log10(v.rad / abs(v.mid))) if v.rad else 17 for v in values.values()
                          if v is not None and v.mid != 0))
        out["limits"][name] = {"seconds": fast, "baseline_seconds": slow, "ratio": slow / fast, "digits_guaranteed": worst}
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print("(a) P(sigma_g < sigma/2) at g = 1000, 15 digits (target < 1 s); baseline: every refit an exact term")
    for name, r in out["law"].items():
        print(f"    {name:<20} {r['seconds']:7.3f} s   baseline {r['baseline_seconds']:7.2f} s   "
              f"speed-up x{r['ratio']:6.1f}   P = {r['value']} (error bound {r['error_bound']:.1e})")
    print("(b) limits g -> infinity of every quantity, 17 digits requested (target < 1 s each); "
          "baseline: every quantity at g = 1000 by the recursion")
    for name, r in out["limits"].items():
        print(f"    {name:<20} {r['seconds']:7.3f} s   baseline {r['baseline_seconds']:7.2f} s   "
              f"ratio {r['ratio']:6.2f}   digits guaranteed by the tail bounds: {r['digits_guaranteed']}")


if __name__ == "__main__":
    main()
