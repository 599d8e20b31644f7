"""Protocol: a claim whose quantity has no exact form (``Claim.exact = False``) -- its statement is a series,
verification skips the remainder check (there is nothing exact to check it against), its Monte Carlo check
needs a declared power target, and the appendix says what the statement is."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from modelcollapse.export.appendix import Evidence, appendix_tex, claim_fragment
from modelcollapse.proofs.claim import Claim
from modelcollapse.proofs.registry import get_claim
from modelcollapse.proofs.verify import _next_term, verify


def _series_only(target=True) -> Claim:
    """The 1D model's Var X^g read as if it had no closed form: its order-1 series is the statement."""
    base = get_claim("gaussian1d-var-x")
    series = base.series(1)
    return dataclasses.replace(
        base,
        id="toy-series-var-x",
        title="A series-only statement",
        statement=sp.expand(series.symbolic(*base.series_symbols)),
        exact=False,
        series_order=1,
        exact_value=lambda params, dps=17: series.evaluate(list(params["sizes"]), dps),
        mc_target=(lambda params: 0.05) if target else None,
        params=base.at(sizes=(50, 60, 40)),
    )


@pytest.mark.mc(checks=1)
def test_verify_skips_the_remainder_check_and_tests_the_series_value(mc_check):
    claim = _series_only()
    report = verify([claim], scale="smoke", alpha=mc_check.budget(1))
    (result,) = report.results
    assert result.series is None and result.ok and result.status == "holds"
    assert result.mc.target == 0.05 and result.mc.powered
    assert abs(result.mc.theory - (1 + 1 / 50 + 1 / 60 + 1 / 40)) < 1e-12  # the series: 1 + sum 1/M_i


def test_series_only_claim_needs_a_power_target():
    claim = _series_only(target=False)
    with pytest.raises(ValueError, match="series without an exact form: it must declare its mc_target"):
        _next_term(claim, claim.params)


def test_appendix_states_the_series_with_its_remainder():
    claim = _series_only()
    frag = claim_fragment(claim)
    assert r"O\bigl(M^{-2}\bigr)" in frag
    result = {"claim_id": claim.id, "status": "holds", "ok": True, "steps": [], "series": None,
              "mc": {"theory": 1.065, "estimate": 1.06, "stderr": 0.01, "z": -0.5, "threshold": 4.0, "chains": 10,
                     "sizes": [50, 60, 40], "seed": [1]}}
    tex = appendix_tex([claim], {claim.id: Evidence(result, {"scale": "smoke", "seed": 1, "alpha": 1e-3, "checks": 1})})
    assert "no closed form is known" in tex and "statement is a series of order $1$" in tex
    assert "for every $g \\ge 0$" not in tex


def test_long_summaries_are_split_into_tables_that_fit_a_page():
    from modelcollapse.export.appendix import SUMMARY_ROWS

    base = _series_only()
    claims = [dataclasses.replace(base, id=f"toy-{n}") for n in range(SUMMARY_ROWS + 5)]
    result = {"status": "holds", "ok": True, "steps": [], "series": None, "mc": {"z": 0.1, "chains": 10}}
    run = {"scale": "smoke", "seed": 1, "alpha": 1e-3, "checks": 1}
    tex = appendix_tex(claims, {c.id: Evidence({**result, "claim_id": c.id}, run) for c in claims})
    summary = tex[tex.index(r"\section*{Summary}"):]
    assert summary.count(r"\begin{tabular}") == 2 and summary.count(r"\texttt{toy-") == SUMMARY_ROWS + 5
