"""Protocol additions on top of the published value forms (``test_published_values``): probes beyond the
stated assumptions (``exact in scope``), other readings given by value with their z-scores, evidence taken
beyond the scope, the theorem's scope; and ``compare`` figures, and the theory table of a model without
series -- on the toy coin of ``test_model_protocol``, registered at run time under names of its own (the
claim registry caches by model names)."""

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
        source="a toy statement", text="Var p_g = p(1-p) g/M", latex="p(1-p) g/M",
        value=lambda params, dps=17: mpmath.mpf(params["p"]) * (1 - params["p"]) * len(params["sizes"]) / params["sizes"][0],
        probes=({}, {"sizes": (50, 50)}), beyond=({"p": 0.1},),
        alternatives={"g/(M+1)": lambda params, dps=17: mpmath.mpf(params["p"]) * (1 - params["p"]) * len(params["sizes"])
                      / (params["sizes"][0] + 1)},
    )
    bound = PublishedForm(
        source="a toy bound", text="Var p_g <= p(1-p)", latex="p(1-p)", relation="<=",
        value=lambda params, dps=17: mpmath.mpf(params["p"]) * (1 - params["p"]),
        probes=({}, {"sizes": (2,) * 40}), beyond=({"p": 0.9},),
    )
    # exact at constant sizes (the stated scope), wrong for unequal ones (beyond): evidence taken beyond
    constant = PublishedForm(
        source="a toy formula", text="Var p_g = p(1-p)(1 - (1 - 1/M_0)^g)", latex="p(1-p)(1 - (1 - 1/M_0)^g)",
        value=lambda params, dps=17: mpmath.mpf(params["p"]) * (1 - params["p"]) * (
            1 - (1 - mpmath.mpf(1) / params["sizes"][0]) ** len(params["sizes"])),
        probes=({}, {"sizes": (7,) * 4}), beyond=({"sizes": (3, 30, 30)},),
    )
    return {
        "toyvalue-var-p": lambda: base,
        "toyvalue-linear": lambda: dataclasses.replace(base, id="toyvalue-linear", kind="published", published=linear,
                                                       evidence_params=base.params),
        "toyvalue-bound": lambda: dataclasses.replace(base, id="toyvalue-bound", kind="published", published=bound),
        "toyvalue-constant": lambda: dataclasses.replace(base, id="toyvalue-constant", kind="published",
                                                         published=constant, evidence_params={**base.params,
                                                                                              "sizes": (3, 30, 30)}),
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


IDS = ["toyvalue-var-p", "toyvalue-linear", "toyvalue-bound", "toyvalue-constant"]


@pytest.mark.mc(checks=8)
def test_value_verdicts_in_and_beyond_scope(toy, mc_check, tmp_path):
    from modelcollapse.export.appendix import write_paper
    from modelcollapse.proofs.verify import verify

    report = verify(IDS, scale="smoke", alpha=mc_check.budget(7))
    by_id = {r.claim_id: r for r in report.results}
    assert by_id["toyvalue-var-p"].status == "holds" and by_id["toyvalue-var-p"].series is None
    linear = by_id["toyvalue-linear"].published
    assert linear.verdict == "refuted" and linear.mc_rejects_published
    assert linear.alternatives == {"g/(M+1)": "refuted"} and abs(linear.z_alternatives["g/(M+1)"]) > 3
    assert [p["scope"] for p in linear.points] == ["stated", "stated", "beyond"]
    bound = by_id["toyvalue-bound"].published
    assert bound.verdict == "bound holds" and not bound.mc_rejects_published and all(p["holds"] for p in bound.points)
    constant = by_id["toyvalue-constant"]
    # exact where stated, wrong beyond; the evidence beyond the scope must reject it (and does)
    assert constant.published.verdict == "exact in scope" and constant.published.mc_rejects_published
    assert [p["holds"] for p in constant.published.points] == [True, True, False]
    assert all(r.ok for r in report.results), [(r.claim_id, r.status) for r in report.results]
    files = write_paper(tmp_path / "paper", IDS, report=report.to_dict())
    tex = files.appendix.read_text()
    assert "Verdict: refuted." in tex and "Verdict: exact in scope." in tex and "constant sizes $M$" in tex
    assert r"\paragraph{Series.}" not in tex and "parameters changed & scope" in tex

    # a constant-size formula claimed exact whose evidence (beyond the scope) fails to reject it is underpowered,
    # and one that the simulation rejects where the exact form says it holds fails
    wrong = dataclasses.replace(get_claim_of(toy, "toyvalue-constant"), id="toyvalue-contradicted",
                                exact_value=lambda params, dps=17: constant_value(params, dps))
    (result,) = verify([wrong], scale="smoke", alpha=mc_check.budget(1)).results
    assert result.status == "fails"


def constant_value(params, dps=17):
    """The constant-size formula taken as the exact form: it contradicts the simulation at unequal sizes."""
    return mpmath.mpf(params["p"]) * (1 - params["p"]) * (1 - (1 - mpmath.mpf(1) / params["sizes"][0]) ** len(params["sizes"]))


def get_claim_of(model, cid):
    return model.claim_factories()[cid]()


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
