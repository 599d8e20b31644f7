"""The linear regression model: exact forms against independent computations, the CLI, and bad input.

No Monte Carlo here (see ``test_regression_mc.py``): the closed forms are checked against each other and
against independent numerics (numpy's inverse of the Gram matrix, SymPy substitution of the statements,
the ridge recursion at a vanishing penalty); the comparisons are exact (SymPy) or at 25+ digits.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from modelcollapse._validation import ParameterError
from modelcollapse.cli import main
from modelcollapse.models import get_model
from modelcollapse.numeric import regression as N
from modelcollapse.proofs import regression as P
from modelcollapse.symbolic import regression as R

MODEL = get_model("regression")


def params(**changes):
    return MODEL.resolve(changes)


def values(record="final", dps=30, **changes):
    p = params(**changes)
    out = R.evaluate(R.Setting.from_params(p, P.design_rows(p)), dps, record)
    return out if record == "all" else out[-1]


@pytest.fixture(autouse=True)
def _precision():
    """The comparisons below are at 40 digits (the values carry 30; mpmath's default is 15)."""
    with mpmath.workdps(40):
        yield


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------------------------------------
# closed forms


def _statement_value(name, p, extra=None):
    """A claim's statement (SymPy) at the parameters, by substitution: an evaluation independent of evaluate()."""
    expr = R.statement(name)
    subs = {R.d: p["dim"], R.T: p["samples"], R.G: p["generations"], R.sigma: sp.Rational(p["noise"]),
            R.c: sp.Rational(p["synthetic_scale"]), **(extra or {})}
    return sp.N(expr.subs(subs).doit(), 40)


@pytest.mark.parametrize(
    ("name", "quantity", "changes"),
    [
        ("replace-random", "test_error", {"design": "random-once"}),
        ("replace-random", "test_error", {"design": "fresh", "generations": 17}),
        ("accumulate-same", "test_error", {"design": "random-once", "scheme": "accumulate", "generations": 40}),
        ("accumulate-fresh", "test_error", {"design": "fresh", "scheme": "accumulate", "generations": 40}),
        ("in-sample-same", "in_sample_error", {"design": "random-once"}),
        ("var-in-sample-same", "var_in_sample_error", {"design": "random-once", "noise": 1.5}),
        ("var-random-once", "var_test_error", {"design": "random-once", "dim": 2, "samples": 9}),
        ("var-fresh", "var_test_error", {"design": "fresh", "dim": 4, "samples": 11, "noise": 0.5}),
        ("in-sample-fresh", "in_sample_error", {"design": "fresh", "generations": 3}),
    ],
)
def test_statements_are_the_values_theory_reports(name, quantity, changes):
    p = params(**changes)
    assert abs(values(**changes).exact[quantity] - _statement_value(name, p)) < mpmath.mpf(10) ** -25


def test_fixed_design_trace_forms_against_numpy():
    p = params(design="fixed", dim=4, samples=9, generations=7)
    X = N.design_matrix(samples=9, dim=4, design_seed=0)
    inv = np.linalg.inv(X.T @ X)
    tau, tau2 = np.trace(inv), np.sum(inv * inv)
    v = values(design="fixed", dim=4, samples=9, generations=7)
    assert float(v.exact["test_error"]) == pytest.approx(7 * tau, rel=1e-12)
    assert float(v.exact["var_test_error"]) == pytest.approx(2 * 49 * tau2, rel=1e-12)
    assert v.exact["in_sample_error"] == pytest.approx(7 * 4 / 9, rel=1e-25)
    assert v.extra["fixed_design"]["trace_inv_gram"] == pytest.approx(tau, rel=1e-12)
    acc = values(design="fixed", dim=4, samples=9, generations=7, scheme="accumulate")
    h2 = sum(1 / k**2 for k in range(1, 8))
    assert float(acc.exact["test_error"]) == pytest.approx(h2 * tau, rel=1e-12)
    tau_exact = sp.Float(mpmath.nstr(v.exact["test_error"] / 7, 35), 35)
    assert abs(acc.exact["test_error"] - _statement_value("fixed-accumulate", p, {R.tau: tau_exact})) < 1e-25


def test_shrunk_synthetic_designs_against_the_statement():
    p = P.shrunk()
    one = values(**{**p, "generations": 1}).exact["test_error"]
    v = values(**p).exact["test_error"]
    assert abs(v - _statement_value("shrunk-accumulate", p, {R.tau: sp.Float(mpmath.nstr(one, 35), 35)})) < 1e-25
    assert v > mpmath.pi**2 / 6 * one  # the counterexample to the pi^2/6 bound
    c2 = mpmath.mpf(1) / 4
    assert v / one == pytest.approx(1 + sum(c2 / (1 + (k - 1) * c2) ** 2 for k in range(2, 51)), rel=1e-20)


def test_ridge_at_a_vanishing_penalty_is_least_squares():
    for scheme in ("replace", "accumulate"):
        ols = values(design="fixed", scheme=scheme, samples=8, dps=40)
        ridge = values(design="fixed", scheme=scheme, samples=8, ridge=1e-20, dps=40)
        for q in R.QUANTITIES:
            assert ridge.exact[q] == pytest.approx(ols.exact[q], rel=1e-15), (scheme, q)


def test_ridge_statement_against_the_eigen_recursion():
    p = params(design="fixed", samples=6, dim=3, ridge=2.0, generations=6, w_star=(0.3, -1.0, 2.0))
    S = R.gram(P.design_rows(p))
    eig, Q = mpmath.eigsy(S)
    subs = {R.lam: 2, R.sigma: 1, R.G: 6}
    w = [mpmath.mpf(x) for x in p["w_star"]]
    for a in range(3):
        subs[R.s[a + 1]] = sp.Float(mpmath.nstr(eig[a], 40), 40)
        subs[R.omega[a + 1]] = sp.Float(mpmath.nstr(mpmath.fsum(Q[r, a] * w[r] for r in range(3)), 40), 40)
    for scheme in ("replace", "accumulate"):
        expr = R.statement(f"ridge-{scheme}").subs(R.d, 3).doit()
        got = values(**{**p, "scheme": scheme}, dps=40).exact["test_error"]
        assert abs(sp.N(expr.subs(subs).doit(), 40) - got) < 1e-25, scheme


def test_ridge_bias_compounds_under_replace_but_not_accumulate():
    base = {"design": "fixed", "samples": 6, "ridge": 5.0, "noise": 0.0}
    norm2 = sum(x * x for x in N.default_w_star(5))
    rep = [values(**base, generations=g).exact["test_error"] for g in (1, 10, 200)]
    acc = [values(**base, generations=g, scheme="accumulate").exact["test_error"] for g in (1, 10, 200)]
    assert rep[0] < rep[1] < rep[2] and rep[2] == pytest.approx(norm2, rel=1e-6)  # E w_G = M^G w* -> 0
    assert acc[0] == acc[1] == acc[2]  # the mean of accumulate is that of the first fit


def test_exact_identities_in_sympy():
    G, d, T, sigma = R.G, R.d, R.T, R.sigma
    zero = lambda e: sp.simplify(e) == 0  # noqa: E731
    # one fit: every design and scheme agree
    assert zero(R.statement("var-fresh").subs(G, 1) - R.statement("var-random-once").subs(G, 1))
    assert zero(R.statement("in-sample-fresh").subs(G, 1) - R.statement("in-sample-same").subs(G, 1))
    assert zero(R.statement("accumulate-fresh").subs(G, 1).doit() - R.statement("replace-random").subs(G, 1))
    # accumulate with fresh designs: each increment below the same-design one, d/(k(kT-d-1)) <= d/(k^2 (T-d-1))
    k = R.k
    gap = sp.factor(d / (k**2 * (T - d - 1)) - d / (k * (k * T - d - 1)))
    assert zero(gap - d * (k - 1) * (d + 1) / (k**2 * (T - d - 1) * (k * T - d - 1)))
    # random-once against fresh: the variances differ by d(d+2) G (G-1) (alpha - beta)
    nu = T - d - 1
    diff = R.statement("var-random-once") - R.statement("var-fresh")
    assert zero(diff - sigma**4 * d * (d + 2) * G * (G - 1) * (1 / (nu * (nu - 2)) - 1 / nu**2))


@given(st.integers(1, 8), st.integers(2, 30), st.integers(1, 60))
def test_accumulate_stays_below_pi2_over_6_for_the_gaussian_designs(dim, extra, gens):
    T = dim + 1 + extra
    for design in ("random-once", "fresh"):
        v = values(design=design, scheme="accumulate", dim=dim, samples=T, generations=gens, dps=20)
        assert v.extra["ratio_to_one_fit"] < math.pi**2 / 6
        if gens > 1 and design == "fresh":
            assert v.extra["same_design_relative_excess"] > 0  # the same-design formula overestimates


def test_one_pass_over_the_fits_equals_each_final_value():
    allv = values("all", design="fresh", generations=6, dps=25)
    for gen, v in enumerate(allv, start=1):
        one = values(design="fresh", generations=gen, dps=25)
        assert v.exact == one.exact
    allr = values("all", design="fixed", ridge=1.0, generations=4, dps=25)
    assert [v.exact for v in allr] == [values(design="fixed", ridge=1.0, generations=g, dps=25).exact for g in range(1, 5)]


def test_where_a_form_has_no_finite_value_theory_says_why():
    v = values(design="fresh", dim=5, samples=6)  # T = d + 1: E tr W^{-1} = inf
    assert v.exact["test_error"] is None and "samples < dim + 2" in v.no_exact["test_error"]
    v = values(design="random-once", dim=5, samples=8)  # T = d + 3: variance infinite, mean finite
    assert v.exact["test_error"] is not None and v.exact["var_test_error"] is None
    assert "samples < dim + 4" in v.no_exact["var_test_error"]
    assert v.exact["in_sample_error"] == pytest.approx(10 * 5 / 8)  # design-free, any T >= d
    v = values(design="fresh", scheme="accumulate", synthetic_scale=0.5)
    assert set(v.no_exact) == set(R.QUANTITIES) and "no closed form" in v.no_exact["test_error"]
    v = values(design="random-once", ridge=1.0)
    assert all(v.exact[q] is None for q in R.QUANTITIES) and "ridge" in v.no_exact["test_error"]


# ---------------------------------------------------------------------------------------------------------
# command line


def test_cli_theory_example_of_the_issue(capsys):
    code, out, _ = run(capsys, "theory", "regression", "--dim", "5", "--samples", "20", "--generations", "10",
                       "--scheme", "accumulate", "--design", "random-once", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["model"] == "regression" and obj["design"] == "random-once" and obj["dim"] == 5
    h2 = sum(1 / k**2 for k in range(1, 11))
    assert obj["exact"]["test_error"] == pytest.approx(5 / 14 * h2, rel=1e-15)
    assert obj["exact"]["in_sample_error"] == pytest.approx(5 / 20 * h2, rel=1e-15)
    assert obj["ratio_to_one_fit"] == pytest.approx(h2) and obj["no_exact"] == {}
    assert list(obj["exact"]) == list(R.QUANTITIES)


def test_cli_theory_fixed_design_file_and_seed(tmp_path, capsys):
    X = N.design_matrix(samples=8, dim=3, design_seed=11)
    np.save(tmp_path / "X.npy", X)
    np.savetxt(tmp_path / "X.csv", X, delimiter=",", fmt="%.17g")
    outs = []
    for argv in (["--design-seed", "11"], ["--design-file", str(tmp_path / "X.npy")],
                 ["--design-file", str(tmp_path / "X.csv")]):
        code, out, err = run(capsys, "theory", "regression", "--dim", "3", "--samples", "8", *argv, "--json")
        assert code == 0, err
        outs.append(json.loads(out))
    assert outs[0]["exact"] == outs[1]["exact"] == outs[2]["exact"]
    tau = np.trace(np.linalg.inv(X.T @ X))
    assert outs[1]["fixed_design"]["trace_inv_gram"] == pytest.approx(tau, rel=1e-12)
    code, out, _ = run(capsys, "theory", "regression", "--dim", "3", "--samples", "8", "--design-seed", "11", "--latex")
    assert code == 0 and r"G \tau \sigma^{2}" in out


def test_cli_theory_text_says_why_there_is_no_exact_form(capsys):
    code, out, _ = run(capsys, "theory", "regression", "--design", "fresh", "--dim", "5", "--samples", "6")
    assert code == 0 and "no exact form for test_error: infinite for samples < dim + 2" in out
    assert "series" not in out.splitlines()[2]  # a model without series shows no series column


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--samples", "4", "--dim", "5"], "samples must be an integer >= dim = 5 when ridge = 0 (the least-squares fit is not unique) (got 4)"),
        (["--noise", "-1"], "noise must be a finite number >= 0 (got -1.0)"),
        (["--generations", "0"], "generations must be an integer >= 1 (got 0)"),
        (["--generations", "100001"], "generations must be an integer between 1 and 100000 (got 100001)"),
        (["--design", "grid"], "design must be one of fixed, random-once, fresh (got 'grid')"),
        (["--scheme", "mix"], "scheme must be one of replace, accumulate (got 'mix')"),
        (["--ridge", "-0.5"], "ridge must be a finite number >= 0 (got -0.5)"),
        (["--synthetic-scale", "0"], "synthetic_scale must be a finite number > 0 (got 0.0)"),
        (["--w-star", "1,2"], "w_star must hold dim = 5 entries (got 2)"),
        (["--dim", "101"], "dim must be an integer between 1 and 100 (got 101)"),
        (["--design", "fresh", "--design-file", "x.npy"], "design_file needs design = fixed (got design 'fresh')"),
        (["--design-file", "x.txt"], "design_file must be a .npy or .csv file (got 'x.txt')"),
        (["--design-file", "missing.npy"], "design_file must be a readable .npy file of numbers (cannot read 'missing.npy'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    for command in (["theory"], ["simulate", "--chains", "10"]):
        code, out, err = run(capsys, command[0], "regression", *argv, *command[1:])
        assert code == 2 and out == "" and err.count("\n") == 1 and message in err, (command, err)


def test_bad_design_files(tmp_path, capsys):
    X = N.design_matrix(samples=8, dim=3, design_seed=1)
    bad_nan = X.copy()
    bad_nan[2, 1] = np.nan
    rank = X.copy()
    rank[:, 2] = 2 * rank[:, 0]
    cases = {
        "shape.npy": (X[:, :2], "design_file must hold a samples x dim = 8 x 3 matrix (got shape (8, 2)"),
        "nan.npy": (bad_nan, "design_file must hold finite numbers (got nan at row 3, column 2"),
        "rank.npy": (rank, "design_file must have full column rank 3 when ridge = 0 (the least-squares fit is not unique) (got rank 2"),
        "text.npy": (np.array([["a", "b", "c"]] * 8), "design_file must hold real numbers (got dtype <U1"),
    }
    for name, (arr, message) in cases.items():
        np.save(tmp_path / name, arr)
        code, out, err = run(capsys, "theory", "regression", "--dim", "3", "--samples", "8", "--design-file",
                             str(tmp_path / name))
        assert code == 2 and err.count("\n") == 1 and message in err, (name, err)
    # a rank-deficient design is fine with a ridge penalty
    code, out, err = run(capsys, "theory", "regression", "--dim", "3", "--samples", "8", "--ridge", "1",
                         "--design-file", str(tmp_path / "rank.npy"), "--json")
    assert code == 0 and json.loads(out)["exact"]["test_error"] > 0
    (tmp_path / "bad.csv").write_text("1,2,x\n")
    code, _, err = run(capsys, "theory", "regression", "--dim", "3", "--samples", "1", "--ridge", "1",
                       "--design-file", str(tmp_path / "bad.csv"))
    assert code == 2 and "design_file must be a readable .csv file of numbers" in err


def test_fewer_rows_than_features_need_a_ridge_penalty(capsys):
    code, out, err = run(capsys, "theory", "regression", "--dim", "6", "--samples", "3", "--ridge", "0.5", "--json")
    assert code == 0 and json.loads(out)["exact"]["test_error"] > 0
    code, out, err = run(capsys, "simulate", "regression", "--dim", "6", "--samples", "3", "--ridge", "0.5",
                         "--design", "fresh", "--chains", "200", "--seed", "1", "--json", "--quiet")
    assert code == 0 and json.loads(out)["estimates"]["test_error"]["value"] > 0


def test_models_lists_the_regression_model(capsys):
    code, out, _ = run(capsys, "models", "--json")
    entry = {m["name"]: m for m in json.loads(out)["models"]}["regression"]
    assert [p["name"] for p in entry["parameters"]] == [
        "dim", "samples", "noise", "generations", "scheme", "design", "design_file", "design_seed", "ridge",
        "synthetic_scale", "w_star"]
    assert {p["name"]: p["kind"] for p in entry["parameters"]}["design_file"] == "path"
    assert [q["key"] for q in entry["quantities"]] == list(R.QUANTITIES)


def test_validation_from_python():
    with pytest.raises(ParameterError, match=r"samples must be an integer >= dim = 3"):
        N.simulate(dim=3, samples=2, chains=10)
    with pytest.raises(ParameterError, match=r"w_star\[1\] must be a finite number"):
        N.simulate(dim=2, samples=5, chains=10, w_star=(1.0, float("nan")))
    with pytest.raises(ParameterError, match="rows are needed"):
        R.theory(dim=2, samples=5, design="fixed")


@pytest.mark.parametrize(("module", "banned"), [("modelcollapse.symbolic.regression", ("numpy", "scipy")),
                                                ("modelcollapse.numeric.regression", ("sympy", "mpmath"))])
def test_layers(module, banned):
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert not set(banned) & loaded
    other = "numeric" if "symbolic" in module else "symbolic"
    assert not any(m.startswith((f"modelcollapse.{other}", "modelcollapse.proofs")) for m in loaded)
