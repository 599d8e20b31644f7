"""`modelcollapse simulate` and `modelcollapse verify`: JSON contracts, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from modelcollapse.cli import main
from modelcollapse.symbolic import gaussian1d as G
from modelcollapse.testing import order_target

SIM_KEYS = {"var_x", "mean_sigma", "mean_sigma2", "mean_log_sigma2", "var_log_sigma2", "mean_w2sq", "var_w2sq"}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.mc(checks=7)
def test_simulate_json_contract_and_agreement_with_theory(capsys, mc_check, mc_chains):
    chains = mc_chains(1_000_000)
    code, out, _ = run(capsys, "simulate", "gaussian1d", "--sizes", "10,30,7", "--chains", str(chains), "--seed", "7",
                       "--json", "--quiet", "--workers", "1")
    assert code == 0
    obj = json.loads(out)
    assert {"model", "sizes", "chains", "seed", "sampler", "estimator", "estimates"} <= set(obj)
    assert obj["model"] == "gaussian1d" and obj["sizes"] == [10, 30, 7] and obj["chains"] == chains
    assert obj["seed"] == 7 and obj["sampler"] == "exact" and obj["estimator"] == "unbiased"
    assert SIM_KEYS <= set(obj["estimates"])
    for key in sorted(SIM_KEYS):  # same keys and units as `theory`
        est = obj["estimates"][key]
        value = float(G.evaluate(key, [10, 30, 7]))
        mc_check(key, est["value"], value, stderr=est["stderr"], target=order_target(value, [10, 30, 7]))


def test_simulate_same_seed_same_json(capsys):
    argv = ["simulate", "gaussian1d", "--sizes", "5,4", "--chains", "5000", "--seed", "3", "--json", "--quiet"]
    a = run(capsys, *argv)[1]
    b = run(capsys, *argv, "--workers", "2")[1]
    assert json.loads(a)["estimates"] == json.loads(b)["estimates"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sizes", "10", "--chains", "1"], "chains must be an integer >= 2 (got 1)"),
        (["--sizes", "10", "--chains", "1e6"], "chains must be an integer >= 2 (got '1e6')"),
        (["--sizes", "10", "--chains", "100", "--sampler", "magic"], "sampler must be one of exact, brute (got 'magic')"),
        (["--sizes", "1", "--chains", "100"], "sizes[0] must be an integer >= 2 for the unbiased estimator (got 1)"),
        (["--sizes", "10", "--chains", "100", "--workers", "0"], "workers must be an integer >= 1 (got 0)"),
    ],
)
def test_simulate_bad_input(capsys, argv, message):
    code, out, err = run(capsys, "simulate", "gaussian1d", *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err


@pytest.mark.mc(checks=2)
def test_verify_json_one_claim(capsys, mc_check, tmp_path):
    alpha = mc_check.budget(2)
    save = tmp_path / "report.json"
    code, out, err = run(capsys, "verify", "gaussian1d-mean-sigma2", "--scale", "smoke", "--json", "--quiet",
                         "--alpha", str(alpha), "--save", str(save))
    assert code == 0, out
    obj = json.loads(out)
    assert obj["ok"] is True and obj["scale"] == "smoke" and obj["checks"] == 2  # the exact and the brute-force sampler
    (claim,) = obj["claims"]
    assert claim["claim_id"] == "gaussian1d-mean-sigma2" and claim["status"] == "holds"
    keys = {"theory", "estimate", "stderr", "z", "threshold", "detectable", "target", "chains", "seed", "sampler",
            "needed", "limited", "power_reached"}
    assert keys <= set(claim["mc"]) and claim["mc"]["sampler"] == "exact"
    (brute,) = claim["mc_brute"]
    assert keys <= set(brute) and brute["sampler"] == "brute" and brute["powered"] and brute["seed"] != claim["mc"]["seed"]
    assert json.loads(save.read_text()) == obj


@pytest.mark.mc(checks=2)
def test_verify_table_shows_refuted_published_claim_and_exits_0(capsys, mc_check):
    alpha = mc_check.budget(2)
    code, out, _ = run(capsys, "verify", "shumailov2024-c-var-w2sq", "--scale", "smoke", "--quiet", "--alpha", str(alpha), "--save", "")
    assert code == 0
    assert "refuted" in out and "shumailov2024-c-var-w2sq" in out and "1/1 claims verified" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope"], "claim must be one of the registered ids"),
        (["--scale", "huge"], "scale must be one of smoke, ci, paper (got 'huge')"),
        (["--seed", "-3"], "seed must be an integer >= 0 (got -3)"),
    ],
)
def test_verify_bad_input(capsys, argv, message):
    code, out, err = run(capsys, "verify", *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err


def test_verify_entry_point_runs_in_a_fresh_process(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "modelcollapse", "verify", "nope"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
