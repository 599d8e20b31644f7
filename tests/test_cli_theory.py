"""`modelcollapse theory`: the JSON contract, the table, LaTeX, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import mpmath
import pytest

from modelcollapse.cli import main
from modelcollapse.symbolic import gaussian1d as G

KEYS = {"var_x", "var_mu", "mean_sigma", "mean_sigma2", "mean_sigma4", "mean_log_sigma2", "var_log_sigma2", "mean_w2sq", "var_w2sq"}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(capsys):
    code, out, err = run(capsys, "theory", "gaussian1d", "--sizes", "10,30,7", "--json")
    assert code == 0 and err == ""
    obj = json.loads(out)
    assert obj["model"] == "gaussian1d" and obj["estimator"] == "unbiased"
    assert obj["sizes"] == [10, 30, 7] and obj["generation"] == 3 and obj["sigma"] == 1.0
    assert set(obj["exact"]) == KEYS
    assert {"order", "mean_w2sq", "var_w2sq", "mean_sigma", "mean_log_sigma2"} <= set(obj["series"])
    assert obj["series"]["order"] == 2
    assert obj["exact"]["var_x"] == pytest.approx(1 + 1 / 10 + 1 / 30 + 1 / 7, rel=1e-15)
    assert obj["exact"]["mean_sigma2"] == 1.0
    # order-2 series of Var W2^2 is its leading term (5/2)(sum 1/M_i)^2
    assert obj["series"]["var_w2sq"] == pytest.approx(2.5 * (1 / 10 + 1 / 30 + 1 / 7) ** 2, rel=1e-15)
    assert all(isinstance(v, float) for v in obj["exact"].values())


def test_repeat_syntax_and_mle(capsys):
    code, out, _ = run(capsys, "theory", "gaussian1d", "--sizes", "20x50", "--estimator", "mle", "--json")
    obj = json.loads(out)
    assert obj["sizes"] == [20] * 50 and obj["generation"] == 50 and obj["estimator"] == "mle"
    assert obj["exact"]["mean_sigma2"] == pytest.approx((19 / 20) ** 50, rel=1e-14)


def test_digits_above_17_are_strings(capsys):
    code, out, _ = run(capsys, "theory", "gaussian1d", "--sizes", "10,30,7", "--json", "--digits", "30")
    obj = json.loads(out)
    value = obj["exact"]["var_x"]
    assert isinstance(value, str)
    with mpmath.workdps(40):
        expected = 1 + mpmath.mpf(1) / 10 + mpmath.mpf(1) / 30 + mpmath.mpf(1) / 7
        assert mpmath.almosteq(mpmath.mpf(value), expected, rel_eps=mpmath.mpf(10) ** -29)
    assert len(value.replace(".", "").lstrip("0")) == 30


def test_sigma_scales_absolute_values_only(capsys):
    _, out1, _ = run(capsys, "theory", "gaussian1d", "--sizes", "5,6", "--json")
    _, out2, _ = run(capsys, "theory", "gaussian1d", "--sizes", "5,6", "--json", "--sigma", "2")
    a, b = json.loads(out1), json.loads(out2)
    a.pop("provenance"), b.pop("provenance")
    assert a["exact"] == b["exact"]  # units of sigma
    assert b["absolute"]["var_w2sq"] == pytest.approx(16 * a["exact"]["var_w2sq"])
    assert b["absolute"]["mean_log_sigma2"] == a["exact"]["mean_log_sigma2"]


def test_table_and_latex(capsys):
    code, out, _ = run(capsys, "theory", "gaussian1d", "--sizes", "10,30,7", "--latex", "--order", "3")
    assert code == 0
    assert "var_w2sq" in out and "series (order 3)" in out
    assert r"\begin{align*}" in out and r"\operatorname{Var} W_2^2" in out
    assert out.count(r"\begin{align*}") == out.count(r"\end{align*}") == 2 * len(G.QUANTITIES)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sizes", "10,1"], "sizes[1] must be an integer >= 2 for the unbiased estimator (got 1)"),
        (["--sizes", "0", "--estimator", "mle"], "sizes[0] must be an integer >= 1 for the mle estimator (got 0)"),
        (["--sizes", "10,2.5"], "sizes must be integers separated by commas, or SIZExCOUNT (got '2.5' in '10,2.5')"),
        (["--sizes", ""], "sizes must hold at least one sample size"),
        (["--sizes", "10", "--sigma", "-1"], "sigma must be a finite number > 0 (got -1.0)"),
        (["--sizes", "10", "--sigma", "0"], "sigma must be a finite number > 0 (got 0.0)"),
        (["--sizes", "10", "--order", "0"], "order must be an integer >= 1 (got 0)"),
        (["--sizes", "10", "--estimator", "ols"], "estimator must be one of unbiased, mle (got 'ols')"),
    ],
)
def test_bad_input_one_line_exit_2(capsys, argv, message):
    code, out, err = run(capsys, "theory", "gaussian1d", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_unknown_model(capsys):
    code, _, err = run(capsys, "theory", "gaussian7d", "--sizes", "10")
    assert code == 2 and "model must be one of gaussian1d" in err and "(got 'gaussian7d')" in err and err.count("\n") == 1


def test_argparse_errors_are_one_line():
    proc = subprocess.run([sys.executable, "-m", "modelcollapse", "theory", "gaussian1d"], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--sizes" in proc.stderr


def test_console_script_and_module_start_the_cli():
    proc = subprocess.run([sys.executable, "-m", "modelcollapse", "theory", "gaussian1d", "--sizes", "3", "--json"], capture_output=True, text=True)
    assert proc.returncode == 0 and json.loads(proc.stdout)["generation"] == 1
