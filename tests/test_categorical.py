"""The categorical (Wright-Fisher) model: exact identities, the marginal-chain engine against independent
routes, theory against both samplers (powered z-tests through the plugin budget), the samplers against each
other, stationarity under mix, the command line and its errors."""

from __future__ import annotations

import json
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcollapse.cli import main
from modelcollapse.numeric import categorical as N
from modelcollapse.numeric.estimators import Estimate
from modelcollapse.proofs import categorical as C
from modelcollapse.symbolic import categorical as S

# --- exact identities (SymPy) ----------------------------------------------------------------------------


def test_one_refit_identities_are_exact():
    o = S.one_refit()
    assert sp.simplify(o["mean"] - (S.p + (S.M - S.R) / S.M * (S.q - S.p))) == 0
    assert sp.simplify(o["sq_dev"] - S.sq_dev_recursion_form()) == 0
    assert sp.simplify(o["het"].subs(S.R, 0) - (1 - 1 / S.M) * S.q * (1 - S.q)) == 0
    # the published constant-M form is the special case M_i = M
    M = sp.Symbol("M", positive=True, integer=True)
    form = S.heterozygosity_statement().subs(S.g, 4).doit().subs({S.Mi[k]: M for k in range(4)})
    assert sp.simplify(form - (1 - 1 / M) ** 4) == 0


def test_mix_recursion_solution_exactly_at_three_generations():
    sizes = (5, 9, 7)
    R = 2
    stmt = S.mix_statement().subs(S.g, 3).doit().subs({S.Mi[i]: m for i, m in enumerate(sizes)}).subs(S.R, R).doit()
    h = sp.Rational(3, 7)
    with mpmath.workdps(50):
        ours = S.mix_sq_dist(sizes, R, mpmath.mpf(3) / 7, dps=40)[-1]
    assert abs(sp.N(stmt.subs(S.H0, h), 40) - sp.Float(mpmath.nstr(ours, 35), 35)) < 1e-30
    # R = 0: the heterozygosity identity
    with mpmath.workdps(50):
        rep = S.mix_sq_dist(sizes, 0, 1, dps=40)[-1]
        assert abs(rep - (1 - S.heterozygosity_ratio(sizes, dps=40))) < mpmath.mpf(10) ** -35


def test_stationary_distance_is_the_fixed_point():
    for M, R in ((10, 1), (12, 4), (7, 7)):
        with mpmath.workdps(40):
            d = S.mix_sq_dist((M,) * 4000, R, 1, dps=30)[-1]
            assert abs(d - S.stationary_sq_dist(M, R, 1, dps=30)) < mpmath.mpf(10) ** -25


# --- the engine against independent routes ------------------------------------------------------------------


@pytest.mark.parametrize("sizes,real", [((5, 7, 4, 6), 0), ((3, 3, 3, 3, 3), 0), ((6, 5, 8, 6), 2), ((4, 4, 4), 4)])
def test_engine_matches_the_mpmath_dense_chain(sizes, real):
    p = N.parse_distribution("zipf:1.3,6").p
    methods = ("forward",) if real else ("forward", "backward")
    for method in methods:
        got = N.marginal_expectations(p, sizes, real=real, functions=("zero", "alive"), method=method)
        for k, pk in enumerate(p):
            ref = S.zero_probability_dense(mpmath.mpf(float(pk)), sizes, real, dps=30)[-1]
            assert abs(got.values["zero"][k] - float(ref)) <= 1e-13 * float(ref) + 1e-300
            assert abs(got.values["alive"][k] - float(1 - ref)) <= 1e-13
        assert got.error < 1e-25


def test_backward_band_matches_the_dense_baseline_at_moderate_size():
    p = N.parse_distribution("zipf:1.1,300").p
    sizes = (300,) * 12
    band = N.marginal_expectations(p, sizes).values["zero"]
    dense = N.dense_zero_probabilities(p, sizes)
    np.testing.assert_allclose(band, dense, rtol=1e-11, atol=1e-28)


def test_small_probabilities_do_not_cancel():
    # a category of probability 1e-9 survives with probability ~ M p: computed directly, not as 1 - P(zero)
    p = np.array([1 - 1e-9, 1e-9])
    r = N.marginal_expectations(p, (1000,) * 5, functions=("zero", "alive"))
    alive = r.values["alive"][1]
    ref = 1 - S.zero_probability_dense(mpmath.mpf(1e-9), (50,) * 1)[-1]  # sanity of the scale: one generation
    assert 0 < alive < 1.1e-6 and float(ref) == pytest.approx(1 - (1 - 1e-9) ** 50, rel=1e-9)
    one = N.marginal_expectations(p, (1000,)).values["alive"][1]
    assert one == pytest.approx(-np.expm1(1000 * np.log1p(-1e-9)), rel=1e-12)


@settings(max_examples=25)
@given(st.lists(st.integers(2, 30), min_size=1, max_size=6), st.floats(0.01, 0.99))
def test_galton_watson_bound_dominates_the_exact_extinction(sizes, q):
    p = np.array([q, 1 - q])
    exact = N.marginal_expectations(p, sizes).values["zero"]
    assert (N.galton_watson_zero(p, sizes) >= exact * (1 - 1e-12)).all()


def test_support_is_lost_while_the_expected_mass_is_conserved():
    params = C.MODEL.resolve({"dist": "zipf:1.1,40", "sizes": (20,) * 15, "tail_rank": 10})
    vals = C.exact_values(params, range(1, 16))
    support = [v["expected_support"] for v in vals]
    missing = [v["missing_mass"] for v in vals]
    present = [v["tail_mass_present"] for v in vals]
    assert all(a > b for a, b in zip(support, support[1:])) and all(a < b for a, b in zip(missing, missing[1:]))
    assert all(a > b for a, b in zip(present, present[1:]))
    assert len({v["mean_tail_mass"] for v in vals}) == 1


def test_stationary_support_increases_with_the_real_tokens():
    p = N.parse_distribution("zipf:1.1,30").p
    supports = [N.stationary_expectations(p, 20, r, functions=("alive",)).values["alive"].sum() for r in (1, 3, 8, 20)]
    assert all(a < b for a, b in zip(supports, supports[1:]))
    fresh = N.stationary_expectations(p, 20, 20, functions=("zero",)).values["zero"]
    np.testing.assert_allclose(fresh, (1 - p) ** 20, rtol=1e-12)  # R = M: a fresh sample every generation
    # the long mix chain reaches the stationary law
    long = N.marginal_expectations(p, (20,) * 200, real=3, functions=("alive",)).values["alive"].sum()
    assert long == pytest.approx(N.stationary_expectations(p, 20, 3, functions=("alive",)).values["alive"].sum(), rel=1e-10)


# --- theory against simulation ----------------------------------------------------------------------------------


@pytest.mark.mc(checks=3)
@pytest.mark.parametrize("scheme,real", [("replace", 0), ("mix", 2)])
def test_exact_sampler_agrees_with_theory(scheme, real, mc_check, mc_seed, mc_chains):
    params = C.MODEL.resolve({"dist": "zipf:1.1,15", "sizes": (8,) * 6, "tail_rank": 5, "scheme": scheme, "real": real})
    theory = C.exact_values(params)[0]
    est = N.simulate(**params, chains=mc_chains(200_000), seed=mc_seed).estimates()
    gw = N.galton_watson_zero(N.parse_distribution(params["dist"]).p, params["sizes"])
    targets = {"expected_support": abs(float(np.sum(1 - gw)) - theory["expected_support"]) if not real else 0.05,
               "missing_mass": 0.01, "mean_entropy": 0.02}
    for q, target in targets.items():
        mc_check(f"{scheme} {q}", est[q], float(theory[q]), target=target)


@pytest.mark.mc(checks=4)
def test_brute_sampler_agrees_with_exact_sampler(mc_check, mc_seed, mc_chains):
    params = C.MODEL.resolve({"dist": "zipf:1.1,10", "sizes": (12, 7, 9, 10), "tail_rank": 3, "scheme": "mix", "real": 2})
    seeds = mc_seed.spawn(2)
    a = N.simulate(**params, chains=mc_chains(60_000), seed=seeds[0], sampler="exact").estimates()
    b = N.simulate(**params, chains=mc_chains(60_000), seed=seeds[1], sampler="brute").estimates()
    for q in ("expected_support", "missing_mass", "mean_sq_dist", "mean_entropy"):
        diff = Estimate(a[q].value - b[q].value, float(np.hypot(a[q].stderr, b[q].stderr)))
        mc_check(f"exact - brute {q}", diff, 0.0, target=0.05 * abs(a[q].value) + 1e-3)


def test_results_do_not_depend_on_workers_and_seed_reproduces():
    kw = dict(dist="zipf:1,6", sizes=(5, 5), chains=5000, seed=7, chunk_size=1000)
    a = N.simulate(**kw).estimates()
    b = N.simulate(**kw, workers=2).estimates()
    assert a == b


# --- command line ---------------------------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_theory_cli_json_and_per_category(capsys):
    code, out, err = run(capsys, "theory", "categorical", "--dist", "zipf:1.1,50", "--sizes", "100x5",
                         "--tail-rank", "10", "--json", "--per-category")
    obj = json.loads(out)
    assert code == 0, err
    assert set(obj["exact"]) == set(C.QUANTITIES) and obj["K"] == 50 and len(obj["per_category"]) == 50
    first = obj["per_category"][-1]
    assert first["rank"] == 50 and abs(first["p_zero"] + first["p_alive"] - 1) < 1e-12
    assert obj["accuracy"]["absolute_error_bound"] < 1e-20
    code, out, _ = run(capsys, "theory", "categorical", "--dist", "zipf:1.1,50", "--sizes", "100x5",
                       "--scheme", "mix", "--real", "10", "--json")
    assert code == 0 and "stationary" in json.loads(out)


@pytest.mark.parametrize("argv,message", [
    (["--dist", "zipf:0,10"], "dist zipf:S,K needs an exponent S > 0 (got 'zipf:0,10')"),
    (["--dist", "zipf:1.1,1"], "dist zipf:S,K needs K >= 2 categories (got 'zipf:1.1,1')"),
    (["--dist", "wordfreq:xx,10"], "dist wordfreq:LANG,K needs a language wordfreq knows"),
    (["--dist", "list:1,-2"], "needs finite non-negative entries"),
    (["--scheme", "mix", "--real", "50"], "real must be an integer <= every sample size M_i (got real=50 > sizes[0]=20)"),
    (["--real", "3"], "real must be 0 for scheme replace (got 3)"),
    (["--tail-rank", "10"], "tail_rank must be an integer between 0 and K - 1 = 4 (got 10)"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    if "wordfreq" in argv[1]:
        pytest.importorskip("wordfreq", reason="the 'lang' extra (wordfreq) is not installed")
    base = ["theory", "categorical", "--sizes", "20x3", "--dist", "zipf:1,5"]
    code, out, err = run(capsys, *base, *argv)
    assert code == 2 and err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize("content,message", [
    ("0.5\n-0.1\n", "needs finite non-negative entries (line 2: -0.1)"),
    ("0.5\nabc\n", "line 2: 'abc' is not a number"),
    ("0\n0\n", "needs at least one positive entry"),
])
def test_bad_files(capsys, tmp_path, content, message):
    f = tmp_path / "p.txt"
    f.write_text(content)
    code, _, err = run(capsys, "theory", "categorical", "--sizes", "10", "--dist", f"file:{f}")
    assert code == 2 and err.count("\n") == 1 and message in err, err


def test_file_of_counts_with_labels(tmp_path):
    f = tmp_path / "counts.txt"
    f.write_text("# word counts\nthe 30\nof 10\ncat 0\nzebra 1\n")
    d = N.parse_distribution(f"file:{f}")
    assert d.labels == ("the", "of", "zebra") and d.p == pytest.approx([30 / 41, 10 / 41, 1 / 41])


def test_missing_wordfreq_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "wordfreq", None)
    N._parse_cached.cache_clear()
    with pytest.raises(Exception, match=r"pip install 'modelcollapse\[lang\]'"):
        N.parse_distribution("wordfreq:en,10")
    N._parse_cached.cache_clear()


def test_wordfreq_distribution():
    wordfreq = pytest.importorskip("wordfreq", reason="the 'lang' extra (wordfreq) is not installed")
    d = N.parse_distribution("wordfreq:en,200")
    assert d.K == 200 and d.labels[0] == wordfreq.top_n_list("en", 1)[0] and abs(d.p.sum() - 1) < 1e-12
    t = C.theory(dist="wordfreq:en,200", sizes=(1000,) * 10)
    assert 1 < float(t.exact["expected_support"]) < 200


def test_simulate_cli(capsys):
    code, out, err = run(capsys, "simulate", "categorical", "--dist", "zipf:1,8", "--sizes", "10x3", "--chains", "2000",
                         "--seed", "1", "--json", "--quiet", "--workers", "1", "--sampler", "brute")
    obj = json.loads(out)
    assert code == 0, err
    assert set(obj["estimates"]) == set(C.QUANTITIES) and obj["sampler"] == "brute"


@pytest.mark.mc(checks=1)
def test_detector_recursion_agrees_with_simulation(mc_check, mc_seed, mc_chains):
    params = C.MODEL.resolve({"dist": "zipf:1.1,10", "sizes": (6, 9, 7, 8), "scheme": "mix", "real": 2,
                              "detector_recall": 0.7, "detector_fpr": 0.2})
    theory = C.exact_values(params)[0]["mean_sq_dist"]
    est = N.simulate(**params, chains=mc_chains(200_000), seed=mc_seed).estimates()
    mc_check("detector mean_sq_dist", est["mean_sq_dist"], float(theory), target=C._detector_target(params))


def test_detector_composition_moments_against_exact_sums():
    from math import comb

    for R, S_, rho, f in ((3, 5, 0.4, 0.1), (0, 6, 0.9, 0.0), (4, 0, 0.0, 0.5)):
        p0 = e2 = e1 = 0.0
        for a in range(R + 1):
            for b in range(S_ + 1):
                w = comb(R, a) * (1 - f) ** a * f ** (R - a) * comb(S_, b) * (1 - rho) ** b * rho ** (S_ - b)
                if a + b == 0:
                    p0 += w
                else:
                    e2 += w * b * (b - 1) / (a + b) ** 2
                    e1 += w / (a + b)
        got = N.composition_moments(R, S_, rho, f)
        assert got[:3] == pytest.approx((p0, e2, e1), rel=1e-12, abs=1e-15)


def test_a_detector_never_reduces_the_distance_here():
    # removing synthetic tokens leaves fewer tokens: the squared distance grows with the recall
    d = [C.exact_values(C.MODEL.resolve({"dist": "zipf:1.1,30", "sizes": (40,) * 30, "scheme": "mix", "real": 8,
                                         "detector_recall": r}))[0]["mean_sq_dist"] for r in (0.0, 0.5, 0.9, 1.0)]
    assert all(a < b for a, b in zip(d, d[1:]))
    h0 = 1 - N.parse_distribution("zipf:1.1,30").homozygosity
    assert float(d[-1]) == pytest.approx(h0 / 8, rel=1e-12)  # a perfect detector: refit on the 8 real tokens


@pytest.mark.parametrize("cid", list(C._IDS))
def test_claim_derivation_steps_hold(cid):
    from modelcollapse.proofs.registry import get_claim

    for step in get_claim(cid).steps:
        assert step.check(seed=2, exact=step.exact, points=1).ok, step.description
