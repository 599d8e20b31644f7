"""The regression samplers: the exact (sufficient-statistic) sampler against the exact forms, and against the
brute-force sampler that draws every design row and label and solves least squares.

Monte Carlo checks go through the plugin (``mc_check``, ``@pytest.mark.mc(checks=N)``); each has a power
target: a relative error of a few percent, or the gap to the plausible wrong formula, and the chains are
sized so that such an error would be detected (no Monte Carlo output is pinned).
"""

from __future__ import annotations

import concurrent.futures as cf
import math

import numpy as np
import pytest

from modelcollapse.models import get_model
from modelcollapse.numeric import regression as N
from modelcollapse.numeric.estimators import Estimate
from modelcollapse.proofs import regression as P
from modelcollapse.symbolic import regression as R

MODEL = get_model("regression")


def params(**changes):
    return MODEL.resolve(changes)


def theory(p):
    return R.evaluate(R.Setting.from_params(p, P.design_rows(p)), 17)[-1]


def check_all(mc_check, p, est, v, quantities, targets):
    for q in quantities:
        assert v.exact[q] is not None, q
        mc_check(q, est[q], float(v.exact[q]), target=targets[q] * abs(float(v.exact[q])))


# relative power targets: the means to 3 %, the variances (heavier tails) to 12 %
TARGETS = {"test_error": 0.03, "in_sample_error": 0.03, "var_test_error": 0.12, "var_in_sample_error": 0.12}
ALL = tuple(TARGETS)

REGIMES = {
    "fixed-replace": ({"design": "fixed", "dim": 3, "samples": 8, "generations": 6}, ALL, 60_000),
    "fixed-accumulate-shrunk": ({"design": "fixed", "dim": 3, "samples": 8, "generations": 12, "scheme": "accumulate",
                                 "synthetic_scale": 0.6}, ALL, 60_000),
    "fixed-ridge-replace": ({"design": "fixed", "dim": 3, "samples": 6, "generations": 6, "ridge": 2.0,
                             "w_star": (1.0, -0.5, 2.0), "synthetic_scale": 0.7}, ALL, 60_000),
    "fixed-ridge-accumulate": ({"design": "fixed", "dim": 4, "samples": 3, "generations": 6, "ridge": 0.5,
                                "scheme": "accumulate"}, ALL, 60_000),
    "random-once-replace": ({"design": "random-once", "dim": 2, "samples": 20, "generations": 4}, ALL, 150_000),
    "random-once-accumulate": ({"design": "random-once", "dim": 3, "samples": 20, "generations": 8, "scheme": "accumulate",
                                "synthetic_scale": 0.5}, ALL, 200_000),
    "fresh-replace": ({"design": "fresh", "dim": 2, "samples": 20, "generations": 4}, ALL, 150_000),
    "fresh-replace-scaled": ({"design": "fresh", "dim": 3, "samples": 14, "generations": 5, "synthetic_scale": 1.5},
                             ("test_error", "in_sample_error"), 60_000),
}


@pytest.mark.mc(checks=4)
@pytest.mark.parametrize("regime", list(REGIMES))
def test_exact_sampler_matches_theory(regime, mc_check, mc_seed, mc_chains):
    changes, quantities, chains = REGIMES[regime]
    p = params(**changes)
    est = N.simulate(**p, chains=mc_chains(chains), seed=mc_seed).estimates()
    check_all(mc_check, p, est, theory(p), quantities, TARGETS)


@pytest.mark.mc(checks=1)
def test_accumulate_with_fresh_designs_and_the_same_design_formula(mc_check, mc_seed, mc_chains):
    """The exact form sigma^2 d sum 1/(k(kT-d-1)) is resolved against the same-design formula it replaces."""
    p = params(design="fresh", scheme="accumulate", dim=3, samples=12, generations=6)
    v = theory(p)
    same = v.extra["same_design_formula"]
    est = N.simulate(**p, chains=mc_chains(60_000), seed=mc_seed).estimates()["test_error"]
    mc_check("test_error", est, float(v.exact["test_error"]), target=abs(same - float(v.exact["test_error"])))
    assert (est.value - same) / est.stderr < -6  # the same-design formula is far outside the noise


# ---------------------------------------------------------------------------------------------------------
# exact sampler against brute force


CROSS = {
    "fixed-replace": {"design": "fixed", "dim": 3, "samples": 7, "generations": 4},
    "fixed-accumulate": {"design": "fixed", "dim": 3, "samples": 7, "generations": 4, "scheme": "accumulate",
                         "synthetic_scale": 0.5},
    "random-once-replace": {"design": "random-once", "dim": 3, "samples": 20, "generations": 4},
    "random-once-accumulate-ridge": {"design": "random-once", "dim": 3, "samples": 12, "generations": 4,
                                     "scheme": "accumulate", "ridge": 1.5, "w_star": (2.0, 0.0, -1.0)},
    "fresh-replace-ridge": {"design": "fresh", "dim": 3, "samples": 12, "generations": 4, "ridge": 3.0,
                            "synthetic_scale": 0.8},
    "fresh-accumulate": {"design": "fresh", "dim": 3, "samples": 20, "generations": 4, "scheme": "accumulate"},
    "fresh-accumulate-scaled": {"design": "fresh", "dim": 3, "samples": 20, "generations": 4, "scheme": "accumulate",
                                "synthetic_scale": 0.5},
    "fewer-rows-than-features": {"design": "fresh", "dim": 4, "samples": 2, "generations": 3, "ridge": 1.0},
}
CROSS_STATS = {"test_error": 0.05, "in_sample_error": 0.05, "var_test_error": 0.2}
"""Relative power targets; the random designs use T >= d + 16 where the variance is compared, so that its
standard error (the eighth moment of the error) is finite and the z-score calibrated."""


@pytest.mark.mc(checks=3)
@pytest.mark.parametrize("case", list(CROSS))
def test_exact_and_brute_samplers_agree(case, mc_check, mc_seed, mc_chains):
    """Two-sample z on three statistics: the reduction (exact sampler) against least squares on every row."""
    p = params(**CROSS[case])
    seeds = mc_seed.spawn(2)
    exact = N.simulate(**p, chains=mc_chains(200_000), seed=seeds[0]).estimates()
    brute = N.simulate(**p, chains=mc_chains(60_000), seed=seeds[1], sampler="brute").estimates()
    for q, rel in CROSS_STATS.items():
        a, b = exact[q], brute[q]
        diff = Estimate(a.value - b.value, math.hypot(a.stderr, b.stderr))
        mc_check(f"{q}: exact - brute", diff, 0.0, target=rel * abs(a.value))


# ---------------------------------------------------------------------------------------------------------
# determinism, recording, limits


def test_results_depend_on_the_seed_only():
    p = params(design="fresh", scheme="accumulate", generations=3, dim=3, samples=10)
    a = N.simulate(**p, chains=5_000, seed=3, chunk_size=1_000).estimates()
    b = N.simulate(**p, chains=5_000, seed=3, chunk_size=1_000).estimates()
    with cf.ThreadPoolExecutor(2) as ex:
        c = N.simulate(**p, chains=5_000, seed=3, chunk_size=1_000, executor=ex, workers=2).estimates()
    assert a == b == c
    d = N.simulate(**p, chains=5_000, seed=4, chunk_size=1_000).estimates()
    assert a != d


def test_record_all_and_trajectories():
    p = params(design="random-once", generations=5, dim=2, samples=9)
    res = N.simulate(**p, chains=400, seed=1, record="all", trajectories=True)
    assert res.generations == (1, 2, 3, 4, 5)
    path = res.paths()["test"]
    assert path.shape == (400, 6) and np.all(path[:, 0] == 0)
    assert res.estimates(5)["test_error"].value == pytest.approx(path[:, 5].mean(), rel=1e-12)
    assert res.estimates(2)["test_error"].value == pytest.approx(path[:, 2].mean(), rel=1e-12)
    with pytest.raises(Exception, match="generation must be one of the recorded generations"):
        N.simulate(**p, chains=10, seed=1).estimates(2)


def test_noiseless_least_squares_is_exact_and_noiseless_ridge_is_bias_only():
    p = params(design="fresh", generations=4, noise=0.0)
    est = N.simulate(**p, chains=100, seed=1).estimates()
    assert est["test_error"].value == 0 and est["test_error"].stderr == 0
    p = params(design="fixed", generations=4, noise=0.0, ridge=1.0)
    est = N.simulate(**p, chains=100, seed=1, sampler="brute").estimates()
    assert est["test_error"].value == pytest.approx(float(theory(p).exact["test_error"]), rel=1e-10)


def test_random_designs_below_d_plus_2_still_simulate():
    """T = d + 1: the exact mean is infinite (theory says so); the simulation runs and reports what it finds."""
    p = params(design="fresh", dim=3, samples=4, generations=2)
    assert theory(p).exact["test_error"] is None
    est = N.simulate(**p, chains=2_000, seed=2).estimates()["test_error"]
    assert math.isfinite(est.value) and est.value > 0


def test_brute_sampler_solves_the_stacked_problem():
    """The brute sampler's accumulate fit is least squares on the stacked rows (numpy lstsq, three chains)."""
    p = params(design="fixed", dim=2, samples=5, generations=3, scheme="accumulate", synthetic_scale=0.5)
    job = N._Params(2, 5, 1.0, 3, "accumulate", "fixed", 0.0, 0.5, (0.3, -0.2), N.design_matrix(samples=5, dim=2),
                    "brute", True, True)
    seed = np.random.SeedSequence(9)
    part = N._brute_chunk(job, seed, 3)
    # replay the same random numbers by hand
    rng = np.random.Generator(np.random.PCG64(seed))
    X = job.X
    w = np.tile(np.array(job.w_star), (3, 1))
    rows, labels = [], []
    for k in range(1, 4):
        Xk = X if k == 1 else 0.5 * X
        y = w @ Xk.T + rng.standard_normal((3, 5))
        rows.append(Xk)
        labels.append(y)
        A = np.vstack(rows)
        w = np.stack([np.linalg.lstsq(A, np.concatenate([lab[n] for lab in labels]), rcond=None)[0] for n in range(3)])
        got = part.paths[0][:, k]
        assert np.allclose(got, np.sum((w - np.array(job.w_star)) ** 2, axis=1), rtol=1e-9)
    assert p["scheme"] == "accumulate"
