"""Published statements that are not 1/M series: closed forms and bounds, judged exactly at probe points.

A toy model (a coin refit by counting, registered at run time) carries three published value forms: an
exact closed form, a bound that holds and a bound that fails; verification gives each its verdict and the
appendix prints the statement, the verdict and the worst probe.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import mpmath
import numpy as np
import pytest
import sympy as sp

from modelcollapse import models
from modelcollapse.models import Model, Parameter, Quantity, TheoryResult
from modelcollapse.numeric.estimators import MomentSummary
from modelcollapse.proofs.claim import Claim, DerivationStep, PublishedForm

P = sp.Symbol("p", positive=True)


def _var(params, dps=17):
    with mpmath.workdps(dps + 10):
        keep = mpmath.fprod(1 - mpmath.mpf(1) / m for m in params["sizes"])
        return +(mpmath.mpf(params["p"]) * (1 - mpmath.mpf(params["p"])) * (1 - keep))


@dataclass
class _Res:
    s: MomentSummary

    def estimates(self, generation=None):
        return {"var_p": self.s.var()}


def _simulate(*, sizes, p, chains, seed=None, **_):
    rng = np.random.default_rng(seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed))
    x = np.full(chains, p)
    for m in sizes:
        x = rng.binomial(m, x) / m
    return _Res(MomentSummary.from_array(x))


def _theory(*, sizes, p, order, digits, record):
    return TheoryResult(len(sizes), {"var_p": _var({"sizes": sizes, "p": p}, digits)})


def _claims():
    m0 = sp.Symbol("M_0", positive=True, integer=True)
    step = DerivationStep(description="one refit", lhs=P * (1 - P) / m0, rhs=P * (1 - P) / m0,
                          domain={m0: lambda r: r.randint(2, 9), P: lambda r: mpmath.mpf(r.uniform(0.1, 0.9))})
    base = Claim(
        id="pubtoy-var", title="Variance of the refit coin", model="pubtoy", quantity="var_p",
        lhs_latex=r"\operatorname{Var} p_g", statement=P, assumptions=("a coin refit by counting",), steps=(step,),
        exact_value=_var, params=TOY.resolve({"sizes": (5, 7, 4), "p": 0.5}), series_order=None,
        mc_target=lambda params: 0.02,
    )
    probes = ({"sizes": (3, 9)}, {"sizes": (20,) * 5, "p": 0.1}, {"sizes": (2,)})
    forms = {
        "exact": PublishedForm(source="toy", text="closed form", relation="=", latex=r"p(1-p)(1 - \prod_i (1 - 1/M_i))",
                               value=_var, probes=probes),
        "holds": PublishedForm(source="toy", text="union bound", relation="<=", latex=r"p(1-p)\sum_i 1/M_i",
                               value=lambda pr, dps: mpmath.mpf(pr["p"]) * (1 - pr["p"]) * sum(mpmath.mpf(1) / m for m in pr["sizes"]),
                               probes=probes),
        "fails": PublishedForm(source="toy", text="too small", relation=">=", latex=r"p(1-p)\sum_i 1/M_i",
                               value=lambda pr, dps: mpmath.mpf(pr["p"]) * (1 - pr["p"]) * sum(mpmath.mpf(1) / m for m in pr["sizes"]),
                               probes=probes),
    }
    out = {"pubtoy-var": lambda: base}
    for tag, form in forms.items():
        out[f"pubtoy-{tag}"] = (lambda form=form, tag=tag: dataclasses.replace(
            base, id=f"pubtoy-{tag}", kind="published", published=form, evidence_params=base.params))
    return out


TOY = Model(
    name="pubtoy", description="a coin refit by counting (published value forms)",
    parameters=(Parameter("sizes", "sizes", "tosses per generation", minimum=1),
                Parameter("p", "float", "bias", default=0.5, minimum=0.0, maximum=1.0)),
    quantities=(Quantity("var_p", r"\operatorname{Var} p_g", series=False),),
    theory=_theory, simulate=_simulate, claims=_claims, generations=lambda params: len(params["sizes"]),
)


@pytest.fixture
def toy():
    models.register(TOY)
    yield TOY
    models.unregister("pubtoy")


def test_value_form_needs_probes_and_one_kind():
    with pytest.raises(ValueError, match="exactly one of series"):
        PublishedForm(source="x", text="y")
    with pytest.raises(ValueError, match="needs probes"):
        PublishedForm(source="x", text="y", value=lambda pr, dps: 0)
    with pytest.raises(ValueError, match="relation must be one of"):
        PublishedForm(source="x", text="y", value=lambda pr, dps: 0, probes=({},), relation="<")


@pytest.mark.mc(checks=7)
def test_value_forms_get_exact_verdicts_and_appear_in_the_appendix(toy, mc_check, tmp_path):
    from modelcollapse.export.appendix import write_paper
    from modelcollapse.proofs.verify import verify

    ids = ["pubtoy-var", "pubtoy-exact", "pubtoy-holds", "pubtoy-fails"]
    report = verify(ids, scale="smoke", alpha=mc_check.budget(7))
    res = {r.claim_id: r for r in report.results}
    assert res["pubtoy-exact"].published.verdict == "exact" and res["pubtoy-exact"].status == "exact"
    assert res["pubtoy-holds"].published.verdict == "bound holds"
    assert res["pubtoy-fails"].published.verdict == "refuted"
    worst = [pt for pt in res["pubtoy-fails"].published.points if not pt["holds"]]
    assert worst and all(pt["exact"] < pt["published"] for pt in worst)
    assert all(pt["holds"] for pt in res["pubtoy-holds"].published.points)
    files = write_paper(tmp_path / "paper", ids, report=report.to_dict())
    tex = files.appendix.read_text()
    assert "Verdict: bound holds." in tex and "Verdict: refuted." in tex
    # the statement as published, with its relation, is the claim's fragment
    assert r"\le p(1-p)\sum_i 1/M_i" in (tmp_path / "paper" / "claims" / "pubtoy-holds.tex").read_text()
