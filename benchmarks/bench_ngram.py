"""Benchmark: the n-gram model's exact theory and samplers, each against a baseline timed in the same run.

    python benchmarks/bench_ngram.py

1. Exact fixed-context theory (replace, bigram, g = 10) on King James Bible prefixes (the 'corpus' extra;
   without it, a Zipf-sampled text of the same length stands in): the engine groups the contexts by
   (N_c, R_c) and computes each distinct count N_cw once (one categorical call per group); the baseline makes
   one categorical call per context, on its probabilities and their complements (the same functions).
   Printed: both times, their ratio, the largest difference between the two.
2. Samplers (contexts mode, 2000 chains, g = 10): the exact sampler (one multinomial per context and chain)
   against the brute sampler (every token drawn), and the free-running text sampler, in chain-generations per
   second.  Asserts nothing.
"""

from __future__ import annotations

import time

import numpy as np

from modelcollapse.numeric import categorical as NC
from modelcollapse.numeric import ngram as N


def _corpus_spec(n: int) -> str:
    try:
        N.load_corpus("kjv", n)
        return "kjv"
    except Exception:  # noqa: BLE001 - the optional extra is missing
        rng = np.random.default_rng(0)
        words = rng.zipf(1.3, size=n) % 5000
        return "text:" + " ".join(f"w{w}" for w in words)


def _timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def per_context_baseline(c: N.Corpus, g: int) -> np.ndarray:
    """P(X_cw = 0) (and the rest) with one categorical call per context, on P_0(w | c) and 1 - P_0(w | c)."""
    zero = np.zeros(c.T)
    for ctx in c.multi:
        a, b = c.ctx_ptr[ctx], c.ctx_ptr[ctx + 1]
        p = np.concatenate([c.p0[a:b], 1 - c.p0[a:b]])
        m = NC.marginal_expectations(p, (int(c.ctx_count[ctx]),) * g, functions=("zero", "alive", "entropy"))
        zero[a:b] = m.values["zero"][: b - a]
    return zero


def main() -> None:
    g = 10
    print("exact theory, replace, bigram, g = 10: grouped by N_c vs one call per context")
    print(f"{'tokens':>8} {'contexts':>9} {'(N_c,N_cw)':>11} {'grouped s':>10} {'per-context s':>14} {'ratio':>7} {'max |diff|':>11}")
    for n in (2000, 20000, 100000):
        spec = _corpus_spec(n)
        c = N.load_corpus(spec, n)
        groups = len({(int(c.ctx_count[k]), int(x)) for k in c.multi for x in c.pair_count[c.ctx_ptr[k]:c.ctx_ptr[k + 1]]})
        t_grouped, m = _timed(N.pair_marginals, c, g)
        t_base, zero = _timed(per_context_baseline, c, g)
        diff = float(np.max(np.abs(m.zero - zero)))
        print(f"{n:>8} {c.multi.size:>9} {groups:>11} {t_grouped:>10.3f} {t_base:>14.3f} {t_base / t_grouped:>7.1f} {diff:>11.1e}")
    print()
    n, chains = 2000, 1000
    spec = _corpus_spec(n)
    print(f"samplers, {n} tokens, {chains} chains, g = {g} (chain-generations per second)")
    rates = {}
    for label, kw in (("exact (multinomials)", {"sampler": "exact"}), ("brute (every token)", {"sampler": "brute"}),
                      ("free-running text", {"mode": "free"})):
        t, _ = _timed(N.simulate, spec, n, g, chains, seed=1, workers=1, **kw)
        rates[label] = chains * g / t
        print(f"  {label:<22} {t:8.2f} s  {rates[label]:10.0f} /s")
    base = rates["brute (every token)"]
    print("  ratio to brute: " + ", ".join(f"{k} {v / base:.2f}" for k, v in rates.items()))


if __name__ == "__main__":
    main()
