"""High-order 1/M series: `python benchmarks/bench_series.py [--orders 5,6] [--top 8]`.

Times `modelcollapse.symbolic.gaussian1d.series` for `var_w2sq` and `mean_w2sq` at order `--top` (issue
targets at order 8: under 10 s and 200 MB each) and compares it, at the `--orders`, with the algorithm it
replaced (copied below as the baseline: the recursion on full polynomials in `order` variables, truncated
after each step, with step coefficients expanded by dividing out chi-square moments).  The old code at
order 8 took about 670 s, so it is not run there.  Each case runs in a fresh subprocess (cold caches);
memory is the peak resident set of that process (`resource.getrusage`), interpreter and SymPy included.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import sympy as sp

import modelcollapse
from modelcollapse.symbolic import gaussian1d as G
from modelcollapse.symbolic.expectation import ChiSquare
from modelcollapse.symbolic.series import EPS, QuasiSymmetricSeries, eps_ring, truncate

QUANTITIES = ("var_w2sq", "mean_w2sq")

# ---------------------------------------------------------------------------------------------------------
# The baseline: series_polynomial as it was before the runner (moment quantities only)


def _old_loggamma_ratio_coefficients(order: int, r: sp.Symbol) -> tuple[sp.Expr, ...]:
    x = sp.Symbol("x", positive=True)
    raw = sp.series(sp.loggamma(x + r) - sp.loggamma(x), x, sp.oo, order + 1).removeO()
    y = sp.Symbol("y", positive=True)
    rest = sp.expand(sp.expand_log(raw.subs(x, 1 / y) - r * sp.log(1 / y), force=True))
    poly = sp.Poly(rest, y)
    return tuple(sp.expand(poly.coeff_monomial(y**n)) for n in range(1, order + 1))


def _old_moment_series(law: ChiSquare, power: sp.Expr, order: int) -> sp.Expr:
    r = sp.Symbol("r")
    k = law.dof.subs(G.M, 1 / EPS)
    D = law.divisor.subs(G.M, 1 / EPS)
    body = r * sp.log(k / D) + sum(c * (2 / k) ** n for n, c in enumerate(_old_loggamma_ratio_coefficients(order, r), 1))
    K = sp.expand(sp.series(body, EPS, 0, order + 1).removeO())
    return sp.expand(sp.series(sp.exp(K.subs(r, power)), EPS, 0, order + 1).removeO())


def _old_coefficient_series(c: sp.Expr, law: ChiSquare, order: int) -> sp.Expr:
    for twice_r in range(0, 9):
        r = sp.Rational(twice_r, 2)
        moment = law.moment(r)
        rest = sp.gammasimp(c / moment)
        if not rest.has(sp.gamma):
            rest_series = sp.series(rest.subs(G.M, 1 / EPS), EPS, 0, order + 1).removeO()
            return sp.expand(sp.series(rest_series * _old_moment_series(law, r, order), EPS, 0, order + 1).removeO())
    raise ArithmeticError(f"transition coefficient {c} is not a power of M times a chi-square moment")


def _old_univariate_to_ring(expr: sp.Expr, gen):
    out = gen.ring.zero
    for (n,), c in sp.Poly(sp.expand(expr), EPS).terms():
        out += gen.ring.domain.convert(c) * gen**n
    return out


def old_series(quantity: str, order: int, estimator: str = "unbiased") -> QuasiSymmetricSeries:
    """The replaced algorithm (labels and output weights read off the new recursion: the same tables)."""
    rec = G.recursion(quantity, estimator)
    law = G.step_law(G.M, estimator)
    R, eps = eps_ring(order)
    expanded = {
        mon: {k: _old_coefficient_series(c, law, order) for k, c in G.transition(*mon, estimator).items()}
        for mon in rec.labels
    }
    state = {mon: (R.one if mon[0] == 0 else R.zero) for mon in rec.labels}
    for e in eps:
        steps = {mon: {k: _old_univariate_to_ring(c, e) for k, c in expanded[mon].items()} for mon in rec.labels}
        state = {mon: truncate(sum((c * state[k] for k, c in steps[mon].items()), R.zero), order) for mon in rec.labels}
    values = {
        name: sum((R.domain.convert(c.subs(G.sigma, 1)) * state[mon] for mon, c in weights.items()), R.zero)
        for name, weights in rec.outputs.items()
    }
    out = values["value"] if "value" in values else values["second"] - values["first"] ** 2
    return QuasiSymmetricSeries.from_polynomial(truncate(out, order), order)


# ---------------------------------------------------------------------------------------------------------
# One case per subprocess


def _case(implementation: str, quantity: str, order: int) -> None:
    compute = old_series if implementation == "old" else G.series
    start = time.perf_counter()
    s = compute(quantity, order)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    coefficients = {str(a): str(c) for a, c in s.coefficients.items()}
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "coefficients": coefficients}))


def _measure(implementation: str, quantity: str, order: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--case", implementation, quantity, str(order)], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", default="5,6", help="orders at which old and new are compared (default 5,6)")
    parser.add_argument("--top", type=int, default=8, help="order of the new code alone (default 8)")
    parser.add_argument("--case", nargs=3, metavar=("IMPL", "QUANTITY", "ORDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        _case(args.case[0], args.case[1], int(args.case[2]))
        return
    print(f"modelcollapse from {modelcollapse.__file__}; each case in a fresh process")
    print(f"{'quantity':10s} {'order':>5s} {'old s':>8s} {'new s':>8s} {'old/new':>8s} {'old MB':>7s} {'new MB':>7s}  same")
    for order in [int(o) for o in args.orders.split(",") if o]:
        for q in QUANTITIES:
            old, new = _measure("old", q, order), _measure("new", q, order)
            same = "yes" if old["coefficients"] == new["coefficients"] else "NO"
            ratio = old["seconds"] / new["seconds"]
            print(
                f"{q:10s} {order:5d} {old['seconds']:8.3f} {new['seconds']:8.3f} {ratio:8.1f} "
                f"{old['peak_mb']:7.0f} {new['peak_mb']:7.0f}  {same}"
            )
    for q in QUANTITIES:
        new = _measure("new", q, args.top)
        print(
            f"{q:10s} {args.top:5d} {'-':>8s} {new['seconds']:8.3f} {'-':>8s} {'-':>7s} {new['peak_mb']:7.0f}"
            f"  (target at order 8: < 10 s, < 200 MB; old took about 670 s)"
        )


if __name__ == "__main__":
    main()
