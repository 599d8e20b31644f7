"""N-D Gaussian samplers: the Bartlett sampler against the exact forms (powered z-tests), against the brute-force
sampler and a rotated start (two-sample z), the E W2^2 series against simulation, singular refits, plumbing.

Every Monte Carlo check goes through the plugin's ``mc_check`` (its share of the suite-wide false-alarm budget)
with a power target; no Monte Carlo output is pinned."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelcollapse._validation import ParameterError
from modelcollapse.numeric import gaussiannd as N
from modelcollapse.numeric.estimators import Estimate
from modelcollapse.symbolic import gaussiannd as S
from modelcollapse.testing import order_target

EXACT = tuple(q for q in S.QUANTITIES if q != "mean_w2sq")
EIG = (1.0, 2.0, 3.0)


def _theory(q, sizes, dim, eig, est):
    return float(S.evaluate(q, list(sizes), dim, eig, est))


@pytest.mark.parametrize(
    ("sizes", "estimator"),
    [pytest.param((6, 8, 5), "unbiased", marks=pytest.mark.mc(checks=21)),
     pytest.param((5, 9, 7), "mle", marks=pytest.mark.mc(checks=21))],
)
def test_bartlett_sampler_matches_the_exact_forms(sizes, estimator, mc_check, mc_seed, mc_chains):
    """Every exact quantity at every generation, d = 3, Sigma_0 = diag(1, 2, 3); target: a relative error
    sum_i M_i^-2 (a wrong second-order term)."""
    res = N.simulate(sizes, mc_chains(300_000), dim=3, cov_eigenvalues=EIG, estimator=estimator, seed=mc_seed,
                     record="all")
    for gen in res.generations:
        est = res.estimates(gen)
        for q in EXACT:
            value = _theory(q, sizes[:gen], 3, EIG, estimator)
            mc_check(f"{estimator} gen {gen} {q}", est[q], value, target=order_target(value, sizes[:gen]))


@pytest.mark.mc(checks=9)
def test_exact_and_brute_samplers_agree(mc_check, mc_seed, mc_chains):
    """Bartlett's reduction: both samplers estimate the same quantities (incl. simulation-only ones), d = 3."""
    sizes = (7, 10)
    s1, s2 = mc_seed.spawn(2)
    kw = dict(dim=3, cov_eigenvalues=EIG, eps=0.3)
    exact = N.simulate(sizes, mc_chains(400_000), seed=s1, **kw).estimates()
    brute = N.simulate(sizes, mc_chains(200_000), seed=s2, sampler="brute", **kw).estimates()
    for key in ("mean_sq_mu", "mean_trace", "mean_trace_sq", "mean_logdet", "var_logdet", "mean_det_ratio",
                "mean_w2sq", "mean_lambda_min", "prob_lambda_min_below"):
        a, b = exact[key], brute[key]
        diff = Estimate(a.value - b.value, math.hypot(a.stderr, b.stderr))
        mc_check(f"exact - brute {key}", diff, 0.0, target=order_target(a.value, sizes))


@pytest.mark.mc(checks=5)
def test_rotation_invariance_of_the_whole_chain(mc_check, mc_seed, mc_chains):
    """A rotated start Sigma_0 = R diag(l) R^T (brute sampler) gives the statistics of the diagonal start."""
    rng = np.random.default_rng(11)
    R, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    s1, s2 = mc_seed.spawn(2)
    kw = dict(dim=3, cov_eigenvalues=EIG, sampler="brute", eps=0.3)
    a = N.simulate((6, 9), mc_chains(150_000), seed=s1, **kw).estimates()
    b = N.simulate((6, 9), mc_chains(150_000), seed=s2, rotation=R, **kw).estimates()
    for key in ("mean_sq_mu", "mean_trace_sq", "mean_logdet", "mean_w2sq", "mean_lambda_min"):
        diff = Estimate(a[key].value - b[key].value, math.hypot(a[key].stderr, b[key].stderr))
        mc_check(f"rotated - diagonal {key}", diff, 0.0, target=order_target(a[key].value, (6, 9)))


@pytest.mark.parametrize(
    ("dim", "eig", "estimator"),
    [pytest.param(3, None, "unbiased", marks=pytest.mark.mc(checks=1)),
     pytest.param(3, EIG, "mle", marks=pytest.mark.mc(checks=1)),
     pytest.param(4, (0.5, 1.0, 1.0, 2.0), "unbiased", marks=pytest.mark.mc(checks=1))],
)
def test_w2_series_against_simulation(dim, eig, estimator, mc_check, mc_seed, mc_chains):
    """Sizes where the omitted O(M^-3) terms are far below the standard error; the check must see an error of
    the size of the smaller order-2 piece (a wrong order-2 coefficient)."""
    sizes = (60, 90, 75)
    ser2 = S.w2_series(2, dim, eig, estimator)
    value = float(ser2.evaluate(list(sizes), 30))
    pieces = [float(type(ser2)({a: c}, 2).evaluate(list(sizes), 30)) for a, c in ser2.coefficients.items() if sum(a) == 2]
    res = N.simulate(sizes, mc_chains(400_000), dim=dim, cov_eigenvalues=eig, estimator=estimator, seed=mc_seed)
    mc_check(f"W2 series d={dim}", res.estimates()["mean_w2sq"], value, target=min(abs(p) for p in pieces))


@pytest.mark.mc(checks=2)
def test_d1_sampler_is_the_1d_model(mc_check, mc_seed, mc_chains):
    from modelcollapse.symbolic import gaussian1d as G1

    sizes = (5, 8, 4)
    res = N.simulate(sizes, mc_chains(400_000), dim=1, cov_eigenvalues=(2.0,), seed=mc_seed).estimates()
    for ours, theirs in (("mean_w2sq", "mean_w2sq"), ("mean_trace_sq", "mean_sigma4")):
        value = float(G1.evaluate(theirs, sizes)) * 2.0 ** (1 if ours == "mean_w2sq" else 2)
        mc_check(f"d=1 {ours}", res[ours], value, target=order_target(value, sizes))


@pytest.mark.parametrize("sampler", N.SAMPLERS)
def test_singular_refits_report_minus_infinity_not_nan(sampler):
    """M_i <= d: the covariance has rank M_i - 1 < d; log det = -inf, det = 0 and lambda_min = 0 exactly."""
    res = N.simulate((3, 12), 500, dim=3, seed=1, sampler=sampler, record="all")
    for gen in (1, 2):
        est = res.estimates(gen)
        assert est["mean_logdet"].value == -math.inf and math.isnan(est["var_logdet"].value)
        assert est["mean_det_ratio"].value == 0.0 and est["mean_lambda_min"].value < 1e-12
        assert est["prob_lambda_min_below"].value == 1.0
        assert all(math.isfinite(est[k].value) for k in ("mean_trace", "mean_trace_sq", "mean_w2sq", "mean_sq_mu"))


def test_singular_bartlett_factor_has_the_rank_of_the_sample():
    """M = 3 points in d = 5: the refit covariance has rank exactly 2 (both samplers)."""
    for sampler in N.SAMPLERS:
        p = N._Params((3,), 5, (1.0,) * 5, "unbiased", 0.1, sampler, False, True)
        part = N._JOBS[sampler](p, np.random.SeedSequence(4), 50)
        assert np.all(part.pieces[0]["lambda_min"][:, 1] < 1e-12)


@pytest.mark.parametrize("dim", [1, 2, 3, 5])
def test_batched_eigenvalues_match_lapack(dim):
    rng = np.random.default_rng(dim)
    X = rng.standard_normal((500, dim, dim))
    S_ = X @ X.transpose(0, 2, 1)
    S_[:50] = np.eye(dim) * 2.0  # fully degenerate
    if dim >= 2:
        S_[50:100] = np.diag([1.0] * (dim - 1) + [3.0])  # partly degenerate
    got, ref = N.eigvalsh_batched(S_), np.linalg.eigvalsh(S_)
    assert np.allclose(got, ref, rtol=1e-9, atol=1e-9 * np.abs(ref).max())


def test_results_do_not_depend_on_workers_and_are_reproducible():
    from concurrent.futures import ThreadPoolExecutor

    kw = dict(dim=3, cov_eigenvalues=EIG, seed=5, chunk_size=700)
    a = N.simulate((6, 7), 3000, **kw)
    with ThreadPoolExecutor(2) as ex:
        b = N.simulate((6, 7), 3000, executor=ex, **kw)
    assert a.estimates() == b.estimates()
    assert N.simulate((6, 7), 3000, **kw).estimates() == a.estimates()


def test_trajectories_and_record_all():
    res = N.simulate((8, 9, 10), 40, dim=2, cov_eigenvalues=(1.0, 4.0), seed=2, trajectories=True, record="all")
    paths = res.paths()
    assert set(paths) == {"logdet", "lambda_min", "trace"} and paths["logdet"].shape == (40, 4)
    assert np.all(paths["logdet"][:, 0] == 0) and np.all(paths["lambda_min"][:, 0] == 1.0)
    assert np.allclose(paths["trace"][:, 0], 5.0) and res.generations == (1, 2, 3)
    with pytest.raises(ParameterError, match="generation must be one of the recorded generations"):
        N.simulate((8, 9), 40, seed=2).estimates(1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(dim=0), r"dim must be an integer >= 1 \(got 0\)"),
        (dict(dim=2, cov_eigenvalues=(1.0,)), r"cov_eigenvalues must hold dim = 2 values \(got 1: 1.0\)"),
        (dict(dim=2, cov_eigenvalues=(1.0, 0.0)), r"cov_eigenvalues\[1\] must be a finite number > 0 \(got 0.0\)"),
        (dict(eps=-1.0), r"eps must be a finite number > 0 \(got -1.0\)"),
        (dict(sampler="magic"), r"sampler must be one of exact, brute \(got 'magic'\)"),
        (dict(rotation=np.eye(2) * 2), r"rotation must be an orthogonal 2x2 matrix"),
        (dict(rotation=np.eye(2), sampler="brute", dim=3), r"rotation must be an orthogonal 3x3 matrix"),
        (dict(rotation=np.eye(2)), r"rotation is supported by the brute sampler only"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        N.simulate((5, 6), 10, **kwargs)


@pytest.mark.parametrize(("module", "forbidden"), [
    ("modelcollapse.numeric.gaussiannd", ("sympy", "mpmath", "modelcollapse.symbolic", "modelcollapse.proofs")),
    ("modelcollapse.symbolic.gaussiannd", ("numpy", "scipy", "modelcollapse.numeric", "modelcollapse.proofs")),
])
def test_layers(module, forbidden):
    import subprocess
    import sys

    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert not any(m == f or m.startswith(f + ".") for m in loaded for f in forbidden)
