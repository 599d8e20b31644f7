"""Calibration of `verify`: its false-alarm rate over many master seeds, the z distribution (KS against N(0, 1)),
and the power curve of each claim (the smallest relative error of its exact value that the scale detects with
probability 0.8).  A benchmark, not a test: it asserts nothing and may take long.

    python benchmarks/bench_calibration.py --seeds 200 --scale smoke            # the full false-alarm run
    python benchmarks/bench_calibration.py --seeds 20 --claims gaussian1d-var-x gaussian1d-mean-sigma4 --power

Timings are printed as ratios against the first seed's run (the baseline measured in the same run).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats as sst

from modelcollapse.numeric.stats import z_threshold
from modelcollapse.proofs.verify import verify


def false_alarms(seeds: int, scale: str, claims: list[str] | None, alpha: float) -> None:
    zs, alarms, unreliable, times = [], 0, 0, []
    for k in range(seeds):
        t0 = time.perf_counter()
        report = verify(claims or None, scale=scale, seed=1000 + k, alpha=alpha)
        times.append(time.perf_counter() - t0)
        data = report.to_dict()
        for c in data["claims"]:
            mc = c["mc"]
            if mc is None or mc["z"] is None:
                continue
            if not mc.get("reliable", True):
                unreliable += 1
                continue
            if c["kind"] != "published":
                zs.append(mc["z"])
        alarms += any(c["status"] == "fails" for c in data["claims"])
    z = np.asarray(zs)
    ks = sst.kstest(z, "norm")
    print(f"verify --scale {scale}: {seeds} master seeds, {len(z)} derived-claim z-scores, {unreliable} unreliable checks")
    print(f"  runs with a false alarm: {alarms}/{seeds} (family-wise alpha {alpha:g}: expected <= {alpha * seeds:.2f})")
    print(f"  z: mean {z.mean():+.3f}, sd {z.std(ddof=1):.3f}, max |z| {np.abs(z).max():.2f}; KS against N(0,1): "
          f"D = {ks.statistic:.4f}, p = {ks.pvalue:.3f}")
    print(f"  seconds per run: {np.mean(times):.1f} (ratio of the slowest to the first run {max(times) / times[0]:.2f})")


def power_curve(claims: list[str], scale: str, alpha: float, seeds: int) -> None:
    """For each claim: the detection probability of a relative error e of its exact value, at the claim's own
    chains and threshold, from the check's z distribution (z shifts by e * |exact| / stderr); the smallest e
    with probability 0.8 is the claim's resolution."""
    report = verify(claims, scale=scale, seed=1, alpha=alpha)
    for c in report.to_dict()["claims"]:
        mc = c["mc"]
        if mc is None or mc["stderr"] in (None, 0):
            continue
        se, theory, thr = mc["stderr"], abs(mc["theory"]), mc["threshold"]
        if theory == 0:
            continue
        curve = []
        for e in (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1):
            shift = e * theory / se
            p = sst.norm.sf(thr - shift) + sst.norm.cdf(-thr - shift)
            curve.append(f"{e:.0e}:{p:.2f}")
        e80 = (thr + sst.norm.ppf(0.8)) * se / theory
        print(f"{c['claim_id']}: chains {mc['chains']:,}, threshold {thr:.2f}; P(detect) at relative error "
              f"{' '.join(curve)}; 0.8 at {e80:.2e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--scale", default="smoke")
    ap.add_argument("--alpha", type=float, default=1e-3)
    ap.add_argument("--claims", nargs="*", default=None)
    ap.add_argument("--power", action="store_true", help="also the power curve of each claim")
    args = ap.parse_args()
    print(f"Bonferroni threshold per check at alpha {args.alpha:g}: see each report (e.g. {z_threshold(args.alpha / 50):.2f} for 50 checks)")
    false_alarms(args.seeds, args.scale, args.claims, args.alpha)
    if args.power:
        power_curve(args.claims or [], args.scale, args.alpha, args.seeds)


if __name__ == "__main__":
    main()
