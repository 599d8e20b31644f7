"""The 1-D Gaussian model-collapse simulator: theory, sampler agreement, reproducibility, validation.

Monte Carlo checks go through the plugin's ``mc_check``: z = (estimate - theory) / stderr against a
two-sided threshold from the suite-wide false-failure budget (``--mc-alpha``) split over every declared
check (Bonferroni).  Seeds are fixed (``mc_seed``), but no Monte Carlo output is pinned as an expected value.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from scipy import stats as sps
from scipy.special import digamma, gammaln, polygamma

from modelcollapse._validation import ParameterError
from modelcollapse.testing import order_target
from modelcollapse.numeric import (
    ESTIMATE_KEYS,
    Estimate,
    SimulationResult,
    simulate,
)

SEED = 20241125


def seed(*key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([SEED, *key])


# --- closed forms -------------------------------------------------------------------------------------


def theory(sizes: tuple[int, ...], estimator: str) -> dict[str, float]:
    """Exact moments after g = len(sizes) fits, in units of sigma.

    sigma_g^2 = prod_i chi2_{k_i} / D_i with k_i = M_i - 1 independent, so every moment factorises:
    E chi2_k^p = 2^p Gamma(k/2 + p) / Gamma(k/2).  Var mu_g = sum_i E sigma_i^2 / M_i, and
    Var X^g = E sigma_g^2 + Var mu_g.  For the unbiased estimator these reduce to the known
    Var X^g = 1 + sum 1/M_i, E sigma_g^2 = 1, E log sigma_g^2 = sum digamma(k/2) + log(2/k),
    Var log sigma_g^2 = sum polygamma(1, k/2).
    """
    e_s2, e_s4, e_s, e_log, v_log, var_mu = 1.0, 1.0, 1.0, 0.0, 0.0, 0.0
    for m in sizes:
        k = m - 1
        d = k if estimator == "unbiased" else m
        var_mu += e_s2 / m
        e_s2 *= k / d
        e_s4 *= k * (k + 2) / d**2
        e_s *= math.sqrt(2 / d) * math.exp(gammaln((k + 1) / 2) - gammaln(k / 2))
        e_log += digamma(k / 2) + math.log(2 / d)
        v_log += polygamma(1, k / 2)
    return {
        "var_x": e_s2 + var_mu,
        "mean_sigma": e_s,
        "mean_sigma2": e_s2,
        "mean_sigma4": e_s4,
        "mean_log_sigma2": e_log,
        "var_log_sigma2": v_log,
        "mean_w2sq": var_mu + e_s2 - 2 * e_s + 1,
    }


def test_closed_forms_reduce_to_the_known_unbiased_ones() -> None:
    sizes = (10, 30, 7)
    t = theory(sizes, "unbiased")
    assert t["var_x"] == pytest.approx(1 + sum(1 / m for m in sizes), rel=1e-14)
    assert t["mean_sigma2"] == pytest.approx(1.0, rel=1e-14)
    assert t["mean_log_sigma2"] == pytest.approx(
        sum(digamma((m - 1) / 2) + math.log(2 / (m - 1)) for m in sizes), rel=1e-14
    )
    assert theory(sizes, "mle")["mean_sigma2"] == pytest.approx(math.prod((m - 1) / m for m in sizes))


def check_all(mc_check, checks: list[tuple[str, Estimate, float, float]]) -> None:
    """Every check through the plugin's ``mc_check``: each at its share of the suite-wide alpha budget, and
    powered to see its target deviation (a relative error of sum_i 1/M_i^2: a wrong second-order term)."""
    for name, est, value, target in checks:
        mc_check(name, est, value, target=target)


@pytest.mark.parametrize(
    ("sizes", "estimator", "sigma", "mu"),
    [
        pytest.param((10, 30, 7), "unbiased", 1.0, 0.0, marks=pytest.mark.mc(checks=21)),
        pytest.param((5, 3, 8, 2), "mle", 2.5, -4.0, marks=pytest.mark.mc(checks=28)),
    ],
)
def test_exact_sampler_matches_closed_forms(sizes, estimator, sigma, mu, mc_check, mc_seed, mc_chains) -> None:
    res = simulate(sizes, mc_chains(1_000_000), seed=mc_seed, estimator=estimator, sigma=sigma, mu=mu, record="all")
    checks = []
    for gen in res.generations:
        t = theory(sizes[:gen], estimator)
        est = res.estimates(gen)
        checks += [
            (f"{estimator} gen {gen} {key}", est[key], value, order_target(value, sizes[:gen])) for key, value in t.items()
        ]
    assert len(checks) == (21 if estimator == "unbiased" else 28)
    check_all(mc_check, checks)


@pytest.mark.mc(checks=54)
def test_exact_and_brute_samplers_agree(mc_check, mc_seed, mc_chains) -> None:
    """Cochran's reduction: both samplers estimate the same 9 quantities at every generation.

    z = (exact - brute) / sqrt(se_exact^2 + se_brute^2), Bonferroni over 2 estimators x 3 generations
    x 9 estimates = 54 comparisons, each at its share of the suite budget.
    """
    sizes = (10, 30, 7)
    rows = []
    s_exact, s_brute = mc_seed.spawn(2)
    for estimator in ("unbiased", "mle"):
        exact = simulate(sizes, mc_chains(2_000_000), seed=s_exact, estimator=estimator, record="all")
        brute = simulate(sizes, mc_chains(800_000), seed=s_brute, estimator=estimator, record="all", sampler="brute")
        for gen in range(1, len(sizes) + 1):
            a, b = exact.estimates(gen), brute.estimates(gen)
            for key in ESTIMATE_KEYS:
                diff = Estimate(a[key].value - b[key].value, math.hypot(a[key].stderr, b[key].stderr))
                target = order_target(a[key].value, sizes[:gen])
                rows.append((f"{estimator} gen {gen} {key}: exact - brute", diff, 0.0, target))
    assert len(rows) == 54
    check_all(mc_check, rows)


@pytest.mark.mc(checks=4)
def test_one_refit_follows_cochran_law(mc_check, mc_seed) -> None:
    """(M-1) S^2 / sigma^2 ~ chi2_{M-1} and sqrt(M) (mean - mu) / sigma ~ N(0,1) after one refit (KS)."""
    m = 10
    pvalues = []
    for sampler in ("exact", "brute"):
        res = simulate((m,), 20_000, seed=mc_seed, sampler=sampler, sigma=3.0, mu=1.0, trajectories=True)
        tr = res.trajectories
        assert tr is not None
        pvalues.append(sps.kstest((m - 1) * (tr.sigma[:, 1] / 3.0) ** 2, sps.chi2(m - 1).cdf).pvalue)
        pvalues.append(sps.kstest(math.sqrt(m) * (tr.mu[:, 1] - 1.0) / 3.0, sps.norm.cdf).pvalue)
    for n, p in enumerate(pvalues):
        mc_check.p_value(f"KS test {n}", p)


# --- reproducibility and parallelism --------------------------------------------------------------------


def summaries(res: SimulationResult) -> dict:
    return res.summaries


def test_same_seed_same_result_and_seed_object_not_consumed() -> None:
    ss = seed(5)
    a = simulate((10, 4), 5_000, seed=ss, chunk_size=1_000)
    b = simulate((10, 4), 5_000, seed=ss, chunk_size=1_000)
    c = simulate((10, 4), 5_000, seed=seed(5), chunk_size=1_000)
    assert summaries(a) == summaries(b) == summaries(c)
    assert a.seed == tuple(ss.entropy) and a.spawn_key == ()
    d = simulate((10, 4), 5_000, seed=seed(6), chunk_size=1_000)
    assert summaries(d) != summaries(a)
    e = simulate((10, 4), 5_000, seed=12345)
    assert e.seed == 12345 and summaries(e) == summaries(simulate((10, 4), 5_000, seed=12345))


@pytest.mark.parametrize("sampler", ["exact", "brute"])
def test_workers_and_executors_give_bit_identical_results(sampler: str) -> None:
    kw = {"seed": seed(7), "chunk_size": 700, "sampler": sampler, "record": "all", "trajectories": True}
    one = simulate((6, 9, 3), 4_000, workers=1, **kw)
    two = simulate((6, 9, 3), 4_000, workers=2, **kw)
    with cf.ProcessPoolExecutor(2) as ex:
        pool = simulate((6, 9, 3), 4_000, executor=ex, **kw)
    with cf.ThreadPoolExecutor(3) as ex:
        threads = simulate((6, 9, 3), 4_000, executor=ex, **kw)
    for other in (two, pool, threads):
        assert summaries(other) == summaries(one)
        assert other.estimates() == one.estimates()
        np.testing.assert_array_equal(other.trajectories.mu, one.trajectories.mu)
        np.testing.assert_array_equal(other.trajectories.sigma, one.trajectories.sigma)


def test_progress_reports_every_chunk_in_order() -> None:
    calls = []
    simulate((5,), 2_500, seed=seed(8), chunk_size=1_000, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1_000, 2_500), (2_000, 2_500), (2_500, 2_500)]


def test_chunking_shapes_and_bounded_memory() -> None:
    sizes = (5, 7, 3)
    for chunk in (1, 64, 1_000, 10_000):
        res = simulate(sizes, 300, seed=seed(9), chunk_size=chunk, trajectories=True, record="all")
        assert res.trajectories.mu.shape == res.trajectories.sigma.shape == (300, 4)
        assert res.generations == (1, 2, 3)
        assert all(s.count == 300 for gen in res.summaries.values() for s in gen.values())
        np.testing.assert_array_equal(res.trajectories.mu[:, 0], 0.0)
        np.testing.assert_array_equal(res.trajectories.sigma[:, 0], 1.0)
    # peak memory is set by the chunk size, not by the number of chains or generations
    chunk = 4_096
    peaks = []
    for chains in (50_000, 200_000):
        tracemalloc.start()
        simulate((10,) * 30, chains, seed=seed(10), chunk_size=chunk)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert max(peaks) < 24 * chunk * 8, peaks  # a few dozen chunk-sized float64 arrays at most
    tracemalloc.start()
    simulate((100,) * 4, 20_000, seed=seed(10), sampler="brute", chunk_size=chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 3 * chunk * 100 * 8, peak  # brute: a chunk's M points, never chains x M


# --- edge cases ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sampler", ["exact", "brute"])
def test_mle_fit_of_one_point_collapses_sigma_to_zero(sampler: str) -> None:
    res = simulate(
        (5, 1, 4), 1_000, seed=seed(11), estimator="mle", sampler=sampler, record="all", trajectories=True
    )
    first = res.estimates(1)
    assert math.isfinite(first["mean_log_sigma2"].value)
    for gen in (2, 3):
        est = res.estimates(gen)
        assert est["mean_log_sigma2"].value == -math.inf
        assert math.isnan(est["mean_log_sigma2"].stderr)
        assert math.isnan(est["var_log_sigma2"].value) and math.isnan(est["var_log_sigma2"].stderr)
        assert (est["mean_sigma2"].value, est["mean_sigma2"].stderr) == (0.0, 0.0)
        assert all(math.isfinite(est[k].value) for k in ("var_x", "mean_w2sq", "var_w2sq", "mean_sigma"))
    tr = res.trajectories
    np.testing.assert_array_equal(tr.sigma[:, 2:], 0.0)
    np.testing.assert_array_equal(tr.mu[:, 3], tr.mu[:, 2])  # a zero-variance model reproduces its mean


def test_long_horizon_keeps_the_variance_in_log_space() -> None:
    # M = 2: log sigma^2 drifts by digamma(1/2) + log 2 = -1.27 per fit; after 2000 fits sigma_g^2 ~ e^-2540,
    # far below float64: the sampler keeps binary exponents and the summaries their power-of-two scale
    est = simulate((2,) * 2000, 50, seed=seed(12)).estimates()
    assert est["mean_log_sigma2"].value == pytest.approx(-2000 * 1.2703628454614782, rel=0.05)
    s2 = est["mean_sigma2"]
    assert s2.scaled is not None and s2.scaled[1] > 0 and -3000 < s2.log_value() < -1000


def test_to_dict_and_estimate_keys() -> None:
    res = simulate((10, 30, 7), 2_000, seed=seed(13))
    d = res.to_dict()
    assert list(d) == ["model", "sizes", "chains", "seed", "sampler", "estimator", "estimates"]
    assert d["model"] == "gaussian1d" and d["sizes"] == [10, 30, 7] and d["chains"] == 2_000
    assert d["seed"] == list(res.seed) and d["sampler"] == "exact" and d["estimator"] == "unbiased"
    assert list(d["estimates"]) == list(ESTIMATE_KEYS)
    assert all({"value", "stderr"} <= set(v) for v in d["estimates"].values())
    json.dumps(d)
    assert list(res.estimates()) == list(ESTIMATE_KEYS)
    with pytest.raises(
        ParameterError, match=r"generation must be one of the recorded generations \(3,\) \(got 1\)"
    ):
        res.estimates(1)


def test_sigma_and_mu_only_change_units() -> None:
    """Exact sampler works in units of sigma: same seed, different (mu, sigma) -> same estimates."""
    a = simulate((4, 6), 3_000, seed=seed(14)).estimates()
    b = simulate((4, 6), 3_000, seed=seed(14), sigma=1e-3, mu=50.0).estimates()
    for key in ESTIMATE_KEYS:
        assert b[key].value == pytest.approx(a[key].value, rel=1e-9, abs=1e-12)


# --- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"chains": 1}, r"chains must be an integer >= 2 \(got 1\)"),
        ({"chains": 2.5}, r"chains must be an integer \(got 2.5 of type float\)"),
        ({"sizes": [10, 1]}, r"sizes\[1\] must be an integer >= 2 for the unbiased estimator \(got 1\)"),
        ({"sizes": []}, r"sizes must hold at least one sample size"),
        (
            {"sizes": [10, 0], "estimator": "mle"},
            r"sizes\[1\] must be an integer >= 1 for the mle estimator \(got 0\)",
        ),
        ({"sampler": "fast"}, r"sampler must be one of exact, brute \(got 'fast'\)"),
        ({"estimator": "biased"}, r"estimator must be one of unbiased, mle \(got 'biased'\)"),
        ({"record": "every"}, r"record must be one of final, all \(got 'every'\)"),
        ({"sigma": 0.0}, r"sigma must be a finite number > 0 \(got 0.0\)"),
        ({"sigma": -1}, r"sigma must be a finite number > 0 \(got -1\)"),
        ({"mu": math.inf}, r"mu must be a finite number \(got inf\)"),
        ({"chunk_size": 0}, r"chunk_size must be an integer >= 1 \(got 0\)"),
        ({"workers": 0}, r"workers must be an integer >= 1 \(got 0\)"),
        ({"seed": -3}, r"seed must be None, a non-negative integer or a numpy.random.SeedSequence \(got -3"),
        (
            {"seed": np.random.default_rng(0)},
            r"seed must be None, a non-negative integer .* of type Generator",
        ),
        ({"trajectories": "yes"}, r"trajectories must be True or False \(got 'yes'\)"),
        (
            {"chains": 2**23, "trajectories": True},
            r"trajectories=True needs chains \* \(generations \+ 1\) <= 16777216",
        ),
        ({"executor": "pool"}, r"executor must be a concurrent.futures.Executor or None \(got str\)"),
        ({"progress": 3}, r"progress must be a callable or None \(got int\)"),
    ],
)
def test_validation_messages(kwargs: dict, message: str) -> None:
    args = {"sizes": (10, 5), "chains": 100, **kwargs}
    with pytest.raises(ParameterError, match=message):
        simulate(args.pop("sizes"), args.pop("chains"), **args)


def test_numeric_imports_no_sympy() -> None:
    code = (
        "import modelcollapse.numeric, modelcollapse.numeric.gaussian1d, sys; "
        "assert 'sympy' not in sys.modules, 'sympy'; "
        "assert not [m for m in sys.modules if m.startswith(('modelcollapse.symbolic', 'modelcollapse.proofs'))]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
