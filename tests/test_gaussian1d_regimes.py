"""The 1D Gaussian's data regimes (accumulate, accumulate-subsample, mix): the engine's one-step tables against
explicit points, the runner's exact values against an explicit-points expansion of whole chains (exactly, in
SymPy), the limits, the fourth-moment criterion, theory against simulation, and the command-line contract."""

from __future__ import annotations

import json

import mpmath
import pytest
import sympy as sp

from modelcollapse.cli import main
from modelcollapse.numeric.gaussian1d import simulate
from modelcollapse.symbolic import gaussian1d as G
from modelcollapse.testing import order_target

ESTIMATORS = ("unbiased", "mle")
SIZES = (6, 8, 5, 7)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(("a", "k"), [(2, 0), (0, 1), (2, 1), (0, 2), (4, 0)])
@pytest.mark.parametrize(("scheme", "values"), [("accumulate", {"size": 2, "pool": 3}), ("accumulate", {"size": 3, "pool": 2}),
                                                 ("mix", {"size": 4, "real": 1}), ("mix", {"size": 3, "real": 3})])
def test_one_step_tables_equal_explicit_points(scheme, values, a, k, estimator):
    """The engine's coefficients (sufficient statistics) reproduce a step computed point by point, exactly."""
    assert G.regime_step_direct(a, k, estimator, scheme, **values) == 0


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("scheme", "real", "sizes"),
    [("accumulate", 0, (2, 3, 2)), ("mix", 1, (3, 2, 3)), ("mix", 3, (3, 3)), ("accumulate-subsample", 0, (2, 2, 2))],
)
def test_recursion_equals_explicit_points_chain(scheme, real, sizes, estimator):
    for q in ("var_x", "var_mu", "mean_sigma2", "mean_sigma4"):
        if G.no_closed_form(q, scheme):
            continue
        direct = G.exact_direct_regime(q, sizes, estimator, scheme, real)
        assert sp.simplify(direct - G.exact(q, list(sizes), estimator, scheme=scheme, real=real)) == 0, q


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_mix_with_no_real_data_is_replace_and_all_real_is_a_fresh_fit(estimator):
    for a, k in [(2, 0), (0, 1), (2, 1), (0, 2), (4, 0)]:
        mix0 = {mon: sp.factor(c.subs(G.R, 0)) for mon, c in G.regime_transition(a, k, estimator, "mix").items()}
        assert {m: c for m, c in mix0.items() if c != 0} == {m: sp.factor(c) for m, c in G.transition(a, 2 * k, estimator).items()}
    with mpmath.workdps(30):
        fresh = G.evaluate("mean_sigma4", [7, 9, 9], estimator, scheme="mix", real=9, dps=30)
        first = G.evaluate("mean_sigma4", [9], estimator, dps=30)
        assert mpmath.almosteq(fresh, first, rel_eps=mpmath.mpf(10) ** -25)


def test_mle_keeps_the_variance_of_a_sample_in_every_regime():
    """Var X^g = sigma^2 exactly under the MLE: each fit preserves the training points' second moment in mean."""
    for scheme, real in [("replace", 0), ("accumulate", 0), ("mix", 2), ("accumulate-subsample", 0)]:
        assert G.exact("var_x", [6, 8, 5], "mle", scheme=scheme, real=real) == G.sigma**2, scheme


def test_unavailable_quantities_raise_and_theory_gives_null_with_reasons():
    with pytest.raises(G.NoClosedForm, match="quantity mean_w2sq has no closed form for scheme accumulate: W2"):
        G.exact("mean_w2sq", 3, scheme="accumulate")
    r = G.theory(sizes=SIZES, scheme="accumulate-subsample")
    assert r.exact["mean_sigma4"] is None and "fourth moments of a subsample" in r.no_exact["mean_sigma4"]
    assert set(r.exact) == set(G.QUANTITIES) and all(v is None for v in r.series.values())


# --- limits -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("M", [3, 10, 50])
def test_accumulate_limits_and_the_pi_squared_over_six_bound(M, estimator):
    g = 3000
    finite_s2 = G.evaluate("mean_sigma2", [M] * g, estimator, scheme="accumulate", dps=30)
    finite_mu = G.evaluate("var_mu", [M] * g, estimator, scheme="accumulate", dps=30)
    limit_s2 = G.accumulate_limit("mean_sigma2", M, estimator)
    limit_mu = G.accumulate_limit("var_mu", M, estimator)
    # E sigma^2 decreases to its limit, Var mu increases to its; both tails are O(1/(M g))
    assert 0 < finite_s2 - limit_s2 < 2 / (M * g)
    assert 0 < limit_mu - finite_mu < 2 / (M * g)
    assert limit_mu < mpmath.pi**2 / (6 * M)
    if estimator == "mle":  # E sigma^2_inf = sigma^2 sinc(pi/sqrt(M)), and Var X stays sigma^2
        with mpmath.workdps(30):
            assert mpmath.almosteq(limit_s2, mpmath.sinc(mpmath.pi / mpmath.sqrt(M)), rel_eps=mpmath.mpf(10) ** -25)
            assert mpmath.almosteq(limit_mu + limit_s2, 1, rel_eps=mpmath.mpf(10) ** -25)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_mix_stationary_values_are_the_limits(estimator):
    st = G.mix_stationary(estimator)
    for M, R in [(5, 1), (10, 3), (20, 20)]:
        for q in ("var_mu", "mean_sigma2"):
            value = st[q].subs({G.M: M, G.R: R, G.sigma: 1})
            with mpmath.workdps(30):
                assert mpmath.almosteq(G.evaluate(q, [M] * 800, estimator, scheme="mix", real=R, dps=30),
                                       mpmath.mpf(str(sp.N(value, 40))), rel_eps=mpmath.mpf(10) ** -20)


def test_fourth_moment_criterion():
    """Unbiased: E sigma^4 diverges with one real point per sample and converges with two or more; mle: one
    suffices.  Decided exactly (M-matrix criterion), and the decision matches the long recursion."""
    for M in range(3, 30):
        assert not G.mix_fourth_moment_bounded(M, 1)
        assert all(G.mix_fourth_moment_bounded(M, R) for R in range(2, M + 1))
        assert all(G.mix_fourth_moment_bounded(M, R, "mle") for R in range(1, M + 1))
    grows = G.evaluate("mean_sigma4", [10] * 400, scheme="mix", real=1)
    settles = G.evaluate("mean_sigma4", [10] * 400, scheme="mix", real=2)
    assert grows > 1e12 and mpmath.almosteq(settles, G.mix_stationary_fourth(10, 2), rel_eps=1e-12)


# --- theory against simulation ------------------------------------------------------------------------


@pytest.mark.mc(checks=22)
def test_exact_forms_against_the_samplers(mc_check, mc_seed, mc_chains):
    checks = 0
    for scheme, real in [("accumulate", 0), ("mix", 2), ("accumulate-subsample", 0)]:
        for estimator in ESTIMATORS:
            chains = mc_chains(300_000 if scheme == "accumulate-subsample" else 1_500_000)
            est = simulate(SIZES, chains, seed=mc_seed.spawn(1)[0], scheme=scheme, real=real, estimator=estimator).estimates()
            for q in ("var_x", "var_mu", "mean_sigma2", "mean_sigma4"):
                if G.no_closed_form(q, scheme):
                    continue
                exact = float(G.evaluate(q, SIZES, estimator, scheme=scheme, real=real))
                mc_check(f"{scheme} {estimator} {q}", est[q], exact, target=order_target(exact, SIZES))
                checks += 1
    assert checks == 22


# --- command line ---------------------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_theory_json_contract_with_a_scheme(capsys):
    code, out, err = run(capsys, "theory", "gaussian1d", "--sizes", "10x20", "--scheme", "accumulate", "--estimator", "mle", "--json")
    obj = json.loads(out)
    assert code == 0 and err == ""
    assert {"model", "estimator", "sizes", "generation", "sigma", "exact", "series", "units", "absolute", "scheme"} <= set(obj)
    assert obj["scheme"] == "accumulate" and obj["generation"] == 20
    keys = set(G.QUANTITIES)
    assert set(obj["exact"]) == keys and set(obj["series"]) == keys | {"order"} and "var_mu" in keys
    assert obj["exact"]["var_x"] == 1.0 and obj["exact"]["mean_w2sq"] is None and "mean_w2sq" in obj["no_exact"]
    code, out, _ = run(capsys, "theory", "gaussian1d", "--sizes", "10x5", "--scheme", "mix", "--real", "3", "--json")
    obj = json.loads(out)
    assert obj["real"] == 3 and obj["exact"]["var_mu"] == pytest.approx(float(G.evaluate("var_mu", [10] * 5, scheme="mix", real=3)))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--real", "3"], "real must be 0 unless scheme is mix (got real=3 with scheme replace)"),
        (["--scheme", "mix", "--real", "-1"], "real must be an integer >= 0 (got -1)"),
        (["--scheme", "mix", "--real", "11"], "real must be an integer between 0 and every sample size M_i, i >= 1 (got real=11 > sizes[1]=10)"),
        (["--scheme", "mix", "--real", "2.5"], "real must be an integer >= 0 (got '2.5')"),
        (["--scheme", "hoard"], "scheme must be one of replace, accumulate, accumulate-subsample, mix (got 'hoard')"),
    ],
)
@pytest.mark.parametrize("command", ["theory", "simulate"])
def test_bad_regime_input_is_one_line_exit_2(capsys, command, argv, message):
    extra = ["--chains", "10"] if command == "simulate" else []
    code, out, err = run(capsys, command, "gaussian1d", "--sizes", "10x3", *argv, *extra)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err


def test_a_quantity_the_regime_cannot_give_is_one_line_exit_2(capsys):
    code, out, err = run(capsys, "theory", "gaussian1d", "--sizes", "10x3", "--scheme", "mix", "--real", "2",
                         "--quantity", "mean_w2sq")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "quantity mean_w2sq has no exact form for these parameters" in err


def test_simulate_and_sweep_take_the_scheme(capsys, tmp_path):
    code, out, _ = run(capsys, "simulate", "gaussian1d", "--sizes", "6,8,5", "--scheme", "mix", "--real", "2", "--chains", "2000",
                       "--seed", "1", "--json", "--quiet", "--workers", "1")
    obj = json.loads(out)
    assert code == 0 and obj["scheme"] == "mix" and obj["real"] == 2 and "var_mu" in obj["estimates"]
    code, out, _ = run(capsys, "sweep", "gaussian1d", "--sizes", "6x4", "--grid", "scheme=replace,accumulate", "--chains", "2000",
                       "--seed", "2", "--out", str(tmp_path / "s.csv"), "--quiet", "--workers", "1")
    assert code == 0 and "scheme in replace; accumulate" in out
