"""The N-D Gaussian model through the generic commands: theory, simulate, sweep (dim as an axis), plot, the
appendix, models -- and bad input as one line on stderr with exit status 2."""

from __future__ import annotations

import json

import pytest

from modelcollapse.cli import main
from modelcollapse.symbolic import gaussiannd as S


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_theory_json_is_absolute_for_the_given_eigenvalues(capsys):
    code, out, err = run(capsys, "theory", "gaussiannd", "--dim", "3", "--sizes", "20x5", "--cov-eigenvalues", "1,2,3",
                         "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert obj["model"] == "gaussiannd" and obj["dim"] == 3 and obj["cov_eigenvalues"] == [1.0, 2.0, 3.0]
    assert obj["generation"] == 5 and obj["sizes"] == [20] * 5
    assert set(obj["exact"]) == set(S.QUANTITIES) | set(S.SIMULATION_ONLY)
    assert obj["exact"]["mean_trace"] == 6.0 and obj["exact"]["mean_sq_mu"] == pytest.approx(6 * 5 / 20)
    assert obj["exact"]["mean_w2sq"] is None and "no closed form for d >= 2" in obj["no_exact"]["mean_w2sq"]
    assert obj["series"]["mean_w2sq"] == pytest.approx(float(S.w2_series(2, 3, (1, 2, 3)).evaluate([20] * 5)))
    for q in S.SIMULATION_ONLY:
        assert obj["exact"][q] is None and obj["series"][q] is None and "simulation only" in obj["no_exact"][q]
    assert obj["units"]["mean_trace_sq"] == "Sigma_0^2" and obj["units"]["mean_logdet"] == "1"
    code, out, _ = run(capsys, "theory", "gaussiannd", "--dim", "3", "--sizes", "20x5", "--estimator", "mle", "--json")
    mle = json.loads(out)
    assert mle["cov_eigenvalues"] == [1.0] * 3 and mle["exact"]["mean_trace"] == pytest.approx(3 * 0.95**5)


def test_theory_text_and_singular_schedules(capsys):
    code, out, _ = run(capsys, "theory", "gaussiannd", "--dim", "3", "--sizes", "3,10", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["exact"]["mean_logdet"] == "-inf" and obj["exact"]["mean_det_ratio"] == 0.0  # a true -inf
    assert "the exact value is -inf" in obj["no_exact"]["mean_logdet"] and "singular" in obj["no_exact"]["var_logdet"]
    code, out, _ = run(capsys, "theory", "gaussiannd", "--dim", "3", "--sizes", "3,10")
    assert code == 0 and "-inf" in out and "nan" not in out.lower()
    code, out, _ = run(capsys, "theory", "gaussiannd", "--dim", "2", "--sizes", "10x2", "--order", "3", "--json")
    assert "derived to order 2" in json.loads(out)["no_series"]["mean_w2sq"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dim", "0", "--sizes", "10"], "dim must be an integer >= 1 (got 0)"),
        (["--dim", "3", "--sizes", "10", "--cov-eigenvalues", "1,2"], "cov_eigenvalues must hold dim = 3 values (got 2: 1.0, 2.0)"),
        (["--dim", "2", "--sizes", "10", "--cov-eigenvalues", "1,-2"], "cov_eigenvalues[1] must be a finite number > 0 (got -2.0)"),
        (["--dim", "2", "--sizes", "10", "--cov-eigenvalues", "1,x"], "cov_eigenvalues must be comma-separated finite numbers > 0"),
        (["--dim", "2", "--sizes", "10", "--eps", "0"], "eps must be a finite number > 0 (got 0.0)"),
        (["--dim", "2", "--sizes", "10,1"], "sizes[1] must be an integer >= 2 for the unbiased estimator (got 1)"),
        (["--dim", "two", "--sizes", "10"], "dim must be an integer >= 1 (got 'two')"),
    ],
)
def test_bad_input_one_line_exit_2(capsys, argv, message):
    for command in ("theory", "simulate"):
        extra = ["--chains", "10"] if command == "simulate" else []
        code, out, err = run(capsys, command, "gaussiannd", *argv, *extra)
        assert code == 2 and out == "" and err.count("\n") == 1 and message in err, (command, err)


def test_simulate_json(capsys):
    code, out, err = run(capsys, "simulate", "gaussiannd", "--dim", "2", "--sizes", "8,9", "--chains", "2000", "--seed",
                         "3", "--json", "--quiet", "--workers", "1", "--sampler", "brute")
    obj = json.loads(out)
    assert code == 0, err
    assert obj["model"] == "gaussiannd" and obj["sampler"] == "brute" and obj["dim"] == 2
    assert set(obj["estimates"]) == set(S.QUANTITIES) | set(S.SIMULATION_ONLY)
    code, out, _ = run(capsys, "simulate", "gaussiannd", "--dim", "3", "--sizes", "3,9", "--chains", "100", "--seed",
                       "3", "--json", "--quiet", "--workers", "1")
    logdet = json.loads(out)["estimates"]["mean_logdet"]
    assert (logdet["value"], logdet["stderr"]) == ("-inf", None) and "undefined" in logdet["reason"]


def test_sweep_over_dim_resumes(tmp_path, capsys):
    out = tmp_path / "nd.csv"
    argv = ["sweep", "gaussiannd", "--sizes", "12x2", "--grid", "dim=1,2,3", "--chains", "2000", "--seed", "4",
            "--out", str(out), "--quiet", "--workers", "1"]
    code, printed, err = run(capsys, *argv)
    assert code == 0, err
    assert "dim in 1; 2; 3" in printed and "computed 3 cells" in printed
    from modelcollapse.sweep import read_table

    rows = read_table(out)
    assert [r["cov_eigenvalues"] for r in rows[:: len(rows) // 3]] == ["1.0", "1.0x2", "1.0x3"]
    code, printed, err = run(capsys, *argv)
    assert code == 0 and "computed 0 cells, resumed 3" in printed, err


def test_plot_writes_every_declared_figure(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    code, out, err = run(capsys, "plot", "gaussiannd", "--dim", "2", "--sizes", "30x4", "--out", str(tmp_path),
                         "--chains", "400")
    assert code == 0, err
    names = [p.rsplit("/", 1)[-1] for p in out.split()]
    assert names == ["logdet.png", "det.png", "det_by_estimator.png", "second_moments.png", "w2.png",
                     "logdet_paths.png", "lambda_min_paths.png"]


def test_models_lists_the_model(capsys):
    code, out, _ = run(capsys, "models", "--json")
    entry = {m["name"]: m for m in json.loads(out)["models"]}["gaussiannd"]
    assert [p["name"] for p in entry["parameters"]] == ["sizes", "dim", "cov_eigenvalues", "estimator", "eps"]
    qs = {q["key"]: q for q in entry["quantities"]}
    assert not qs["mean_lambda_min"]["exact"] and not qs["prob_lambda_min_below"]["series"]
    assert not qs["mean_w2sq"]["exact"] and qs["mean_w2sq"]["series"] and qs["mean_logdet"]["exact"]


def test_theory_latex(capsys):
    code, out, _ = run(capsys, "theory", "gaussiannd", "--sizes", "10", "--latex", "--json")
    tex = json.loads(out)["latex"]
    assert code == 0 and r"\psi" in tex and "polygamma" not in tex and r"E\,W_2^2" in tex


def test_appendix_fragments_of_the_claims(tmp_path):
    """The claim fragments render (LaTeX) with the model's notation; the full appendix compiles (checked by hand
    and in the README section: pdflatex takes longer than this suite allows)."""
    from modelcollapse.export.appendix import claim_fragment
    from modelcollapse.proofs.registry import get_claim

    frag = claim_fragment(get_claim("gaussiannd-mean-w2sq"))
    assert r"\label{eq:gaussiannd-mean-w2sq}" in frag and r"O\bigl(M^{-3}\bigr)" in frag
    frag = claim_fragment(get_claim("gaussiannd-mean-logdet"))
    assert r"\psi" in frag and "polygamma" not in frag
