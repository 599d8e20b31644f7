"""The regression claims: derivation steps, published verdicts, verification with Monte Carlo, the appendix.

The published verdicts are computed from the exact forms (no simulation); ``verify`` then adds the Monte
Carlo evidence, and a deliberately wrong claim must fail it (the checks have the power they claim).
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import mpmath
import pytest

from modelcollapse.cli import main
from modelcollapse.export.appendix import claim_fragment, derived_fragment, write_paper
from modelcollapse.proofs import regression as P
from modelcollapse.proofs import verify as V
from modelcollapse.proofs.registry import claim_ids, get_claim

IDS = P.DERIVED_IDS + P.PUBLISHED_IDS
MC_CHECKS = len(IDS) + len(P.PUBLISHED_IDS)


def test_every_claim_is_registered_with_power_targets_and_no_series():
    assert set(IDS) <= set(claim_ids())
    for cid in IDS:
        c = get_claim(cid)
        assert c.model == "regression" and c.series_order is None and c.mc_target is not None
        assert c.mc_target(c.params) > 0 and c.exact_value(c.params, 17) > 0
        assert c.scope and c.references


@pytest.mark.parametrize("cid", P.DERIVED_IDS)
def test_steps_hold(cid):
    for step in get_claim(cid).steps:
        result = step.check(seed=11, exact=step.exact, points=1)
        assert result.ok, (step.description, result)


def test_wishart_steps_are_proved_exactly():
    for step in P.wishart_steps() + (P.rotation_step(),):
        assert step.check(points=0).exact is True


def test_a_wrong_reduction_is_caught():
    """The reduction step compares with an independent QR least-squares solve: a wrong formula fails it."""
    step = P.reduction_step("accumulate", False)
    good = step.numeric_lhs
    bad = dataclasses.replace(step, numeric_lhs=lambda point: good(point) + mpmath.mpf(10) ** -8)
    assert step.check(seed=4).ok and not bad.check(seed=4).ok


def test_published_verdicts():
    verdict, points = V._value_verdict(get_claim("dohmatob2024-linear-growth"))
    assert verdict == "exact in scope" and all(p["holds"] for p in points if p["scope"] == "stated")
    failing = {tuple(p["params"].items()) for p in points if not p["holds"]}
    assert failing == {(("design", "fixed"), ("samples", 8)), (("scheme", "accumulate"),), (("synthetic_scale", 0.5),)}
    verdict, points = V._value_verdict(get_claim("gerstgrasser2024-accumulate-formula"))
    assert verdict == "exact in scope"
    beyond = [p for p in points if p["scope"] == "beyond"]
    assert beyond and all(p["params"]["design"] == "fresh" and not p["holds"] for p in beyond)
    assert all(p["exact"] < p["published"] for p in beyond)  # the same-design formula overestimates fresh designs
    verdict, points = V._value_verdict(get_claim("gerstgrasser2024-accumulate-bound"))
    assert verdict == "bound holds in scope"
    broken = [p for p in points if not p["holds"]]
    assert {p["params"].get("synthetic_scale") for p in broken} == {0.5, 0.3}  # only the shrunk synthetic designs
    # the reading that counts only the synthetic generations misses the clean fit's own error at every probe
    claim = get_claim("dohmatob2024-linear-growth")
    (alt,) = claim.published.alternatives.values()
    verdict, points = V._value_verdict(claim, alt)
    assert verdict == "refuted"
    for point in points:
        if point["scope"] == "stated":
            p = claim.at(**point["params"])
            one_fit = p["dim"] / (p["samples"] - p["dim"] - 1)
            assert point["exact"] - point["published"] == pytest.approx(one_fit, rel=1e-9)


@pytest.mark.mc(checks=MC_CHECKS + 1)
def test_verify_and_the_appendix(mc_check, tmp_path, capsys):
    alpha = mc_check.budget(MC_CHECKS)
    report = V.verify(list(IDS), scale="smoke", alpha=alpha)
    by_id = {r.claim_id: r for r in report.results}
    assert all(r.ok for r in report.results), [(r.claim_id, r.status) for r in report.results if not r.ok]
    assert {r.status for cid, r in by_id.items() if cid in P.DERIVED_IDS} == {"holds"}
    dohm = by_id["dohmatob2024-linear-growth"].published
    assert dohm.verdict == "exact in scope" and not dohm.mc_rejects_published
    (z_alt,) = dohm.z_alternatives.values()
    assert z_alt > dohm.evidence.threshold  # the synthetic-generations reading is rejected by the simulation
    formula = by_id["gerstgrasser2024-accumulate-formula"].published
    assert formula.mc_rejects_published and formula.z_published < -formula.evidence.threshold
    bound = by_id["gerstgrasser2024-accumulate-bound"].published
    assert bound.mc_rejects_published and bound.z_published > bound.evidence.threshold  # above pi^2/6 one fit

    # a claim whose exact value is off by twice its power target fails the check
    claim = get_claim("regression-test-error-accumulate-fresh")
    shift = 2 * claim.mc_target(claim.params)
    wrong = dataclasses.replace(claim, id="wrong", exact_value=lambda p, dps=17: claim.exact_value(p, dps) + shift)
    (result,) = V.verify([wrong], scale="smoke", alpha=mc_check.budget(1)).results
    assert result.status == "fails" and not result.ok

    files = write_paper(tmp_path / "paper", list(IDS), report=report.to_dict())
    tex = files.appendix.read_text()
    # published statements are shown as published (their own environment), derived claims as theorems
    assert tex.count(r"\begin{theorem}") + tex.count(r"\begin{statement}") == len(IDS)
    assert "Verdict: exact in scope." in tex
    assert "bound holds in scope" in tex and r"parameters changed & scope" in tex
    assert r"\le" in (tmp_path / "paper" / "claims" / "gerstgrasser2024-accumulate-bound.tex").read_text()
    assert "sizes $M_i$" not in tex and "setting" in tex
    if shutil.which("pdflatex") and shutil.which("bibtex"):
        from modelcollapse.export.appendix import BUILD

        for command in BUILD:
            cmd = command.split()
            if cmd[0] == "pdflatex":
                cmd[1:1] = ["-interaction=nonstopmode", "-halt-on-error"]
            proc = subprocess.run(cmd, cwd=tmp_path / "paper", capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, (command, proc.stdout[-3000:])
        log = (tmp_path / "paper" / "appendix.log").read_text(errors="replace")
        assert "undefined" not in log.lower() and "Overfull" not in log

    # the command line's summary of a published claim names the failing probes and the other reading's z
    from modelcollapse.cli import _verify_table

    text = _verify_table(report.to_dict())
    assert "reading n = G - 1, the synthetic generations only: refuted, z = +" in text
    assert "Fails at design fixed, samples 8 (beyond" in text


def test_fragments_show_the_exact_forms():
    tex = claim_fragment(get_claim("regression-test-error-accumulate-fresh"))
    assert r"\sum_{i=1}^{G}" in tex and r"\label{eq:regression-test-error-accumulate-fresh}" in tex
    # a published statement's fragment is the bound as published; the derived exact form is its -derived one
    tex = derived_fragment(get_claim("gerstgrasser2024-accumulate-bound"))
    assert r"\frac{1}{i^{2}}" in tex and r"\label{eq:gerstgrasser2024-accumulate-bound-derived}" in tex


@pytest.mark.mc(checks=1)
def test_cli_verify_one_claim(capsys, mc_check):
    alpha = mc_check.budget(1)
    code = main(["verify", "regression-in-sample-error", "--scale", "smoke", "--quiet", "--save", "", "--alpha", str(alpha)])
    out, _ = capsys.readouterr()
    assert code == 0 and "regression-in-sample-error" in out and "holds" in out
