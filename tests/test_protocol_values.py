"""Protocol: claims without a series, published statements given by value (formulas and bounds, checked at
probes), and ``compare`` figures -- on the toy coin of ``test_model_protocol``, registered at run time under
names of its own (the claim registry caches by model names)."""

from __future__ import annotations

import dataclasses

import mpmath
import pytest
import sympy as sp
from test_model_protocol import TOY, P, _var_p

from modelcollapse import models
from modelcollapse.cli import main
from modelcollapse.models import Figure
from modelcollapse.proofs.claim import Claim, PublishedForm

Msym = sp.Symbol("M", positive=True, integer=True)


def _value(params, dps=17):
    return _var_p(params["sizes"], params["p"], dps)


def claims():
    base = Claim(
        id="toyvalue-var-p", title="Variance of the refit coin bias (no series)", model="toyvalues", quantity="var_p",
        lhs_latex=r"\operatorname{Var} p_g", statement=P * (1 - P) * (1 - (1 - 1 / Msym) ** sp.Symbol("g")),
        assumptions=("a coin refit by counting",), steps=(), exact_value=_value,
        params=TOY.resolve({"sizes": (3, 3, 3), "p": 0.5}), series_order=None,
        mc_target=lambda params: 0.05 * float(_value(params)), scope="for every $g$ and constant sizes $M$",
    )
    linear = PublishedForm(
        source="a toy statement", text="Var p_g = p(1-p) g/M", expression=P * (1 - P) * sp.Symbol("g") / Msym,
        value=lambda params, dps=17: mpmath.mpf(params["p"]) * (1 - params["p"]) * len(params["sizes"]) / params["sizes"][0],
        probes=({}, {"sizes": (50, 50)}), beyond=({"p": 0.1},),
        alternatives={"g/(M+1)": lambda params, dps=17: mpmath.mpf(params["p"]) * (1 - params["p"]) * len(params["sizes"])
                      / (params["sizes"][0] + 1)},
    )
    bound = PublishedForm(
        source="a toy bound", text="Var p_g <= p(1-p)", expression=P * (1 - P), relation="<=",
        value=lambda params, dps=17: mpmath.mpf(params["p"]) * (1 - params["p"]),
        probes=({}, {"sizes": (2,) * 40}), beyond=({"p": 0.9},),
    )
    return {
        "toyvalue-var-p": lambda: base,
        "toyvalue-linear": lambda: dataclasses.replace(base, id="toyvalue-linear", kind="published", published=linear,
                                                       evidence_params=base.params),
        "toyvalue-bound": lambda: dataclasses.replace(base, id="toyvalue-bound", kind="published", published=bound),
    }


@pytest.fixture
def toy():
    spec = dataclasses.replace(
        TOY, name="toyvalues", claims=claims,
        figures=(Figure("compare", "Variance of the bias for two coins", ("var_p",), kind="compare", vary=("p", (0.2, 0.5))),),
    )
    models.register(spec)
    yield spec
    models.unregister("toyvalues")


@pytest.mark.mc(checks=6)
def test_value_verdicts_and_evidence(toy, mc_check, tmp_path):
    from modelcollapse.export.appendix import write_paper
    from modelcollapse.proofs.verify import verify

    report = verify(["toyvalue-var-p", "toyvalue-linear", "toyvalue-bound"], scale="smoke", alpha=mc_check.budget(6))
    by_id = {r.claim_id: r for r in report.results}
    assert by_id["toyvalue-var-p"].status == "holds" and by_id["toyvalue-var-p"].series is None
    linear = by_id["toyvalue-linear"].published
    assert linear.verdict == "refuted" and len(linear.difference) == 2 and linear.mc_rejects_published
    assert linear.alternatives == {"g/(M+1)": "refuted"} and abs(linear.z_alternatives["g/(M+1)"]) > 3
    assert [p["scope"] for p in linear.probes] == ["stated", "stated", "beyond"]
    bound = by_id["toyvalue-bound"].published
    assert bound.verdict == "bound holds" and not bound.mc_rejects_published and all(p["holds"] for p in bound.probes)
    assert all(r.ok for r in report.results)
    files = write_paper(tmp_path / "paper", ["toyvalue-var-p", "toyvalue-linear", "toyvalue-bound"],
                        report=report.to_dict())
    tex = files.appendix.read_text()
    assert "Verdict: refuted." in tex and "Verdict: bound holds." in tex and "for every $g$ and constant sizes $M$" in tex
    assert r"\paragraph{Series.}" not in tex and "parameters changed & scope" in tex


def test_compare_figure(toy, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    code = main(["plot", "toyvalues", "--sizes", "5x4", "--out", str(tmp_path), "--chains", "500"])
    out, _ = capsys.readouterr()
    assert code == 0 and out.split()[-1].endswith("compare.png")


def test_a_theory_without_series_prints_no_series_column(capsys):
    from modelcollapse.models import TheoryResult

    def theory(*, sizes, p, order, digits, record):
        return TheoryResult(generation=len(sizes), exact={"var_p": _value({"sizes": sizes, "p": p})}, order=None)

    models.register(dataclasses.replace(TOY, name="toyseriesless", claims=None, theory=theory))
    try:
        code = main(["theory", "toyseriesless", "--sizes", "4,5"])
    finally:
        models.unregister("toyseriesless")
    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert code == 0 and lines[1] == "values in the units shown" and lines[2].split() == ["quantity", "unit", "exact"]
