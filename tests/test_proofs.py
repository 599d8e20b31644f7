"""Claims, verification and verdicts: steps hold, series orders hold, wrong formulas are caught."""

from __future__ import annotations

import dataclasses
import json

import mpmath
import pytest
import sympy as sp

from modelcollapse._validation import ParameterError
from modelcollapse.proofs import verify as V
from modelcollapse.proofs.registry import claim_ids, get_claim, registry
from modelcollapse.symbolic.series import QuasiSymmetricSeries

REGIMES = ("-accumulate", "-mix")
DERIVED = [cid for cid in claim_ids() if cid.startswith("gaussian1d-") and not any(r in cid for r in REGIMES)]
"""The replace claims (closed forms for every g, series); the data regimes are tested in test_gaussian1d_regimes."""


def test_registry_has_every_quantity_both_estimators_and_the_published_claims():
    ids = claim_ids()
    assert len(DERIVED) == 18 and len(set(ids)) == len(ids)
    assert {"shumailov2024-a-var-x", "shumailov2024-b-mean-w2sq", "shumailov2024-c-var-w2sq"} <= set(ids)
    assert all(c.replace("-", "").isalnum() for c in ids)  # safe as file names and LaTeX labels
    with pytest.raises(ParameterError, match=r"claim must be one of the registered ids .* \(got 'nope'\)"):
        registry(["nope"])


@pytest.mark.parametrize("cid", DERIVED)
def test_derivation_steps_hold_numerically(cid):
    for step in get_claim(cid).steps:
        result = step.check(seed=1, exact=False, points=1)
        assert result.ok, (step.description, result)


@pytest.mark.parametrize("cid", ["gaussian1d-var-x", "gaussian1d-mean-w2sq", "gaussian1d-var-w2sq-mle", "gaussian1d-var-log-sigma2"])
def test_derivation_steps_proved_exactly(cid):
    """Every step SymPy can decide is proved, not only sampled: the cross-check at g = 2, the quantity in its
    moments, and the base case and induction step of every closed form, for symbolic g."""
    steps = [s for s in get_claim(cid).steps if s.exact]
    assert {"base", "recurrence"} <= {s.kind for s in steps}
    for step in steps:
        assert step.check(points=0).exact is True, step.description


@pytest.mark.parametrize("cid", DERIVED)
def test_every_closed_form_is_proved_for_every_g(cid):
    """Base case and induction step of every moment the closed form uses, with g a symbol."""
    claim = get_claim(cid)
    induction = [s for s in claim.steps if s.kind in ("base", "recurrence", "invariant")]
    assert sum(s.kind == "recurrence" for s in induction) >= 1 and sum(s.kind == "base" for s in induction) >= 1
    for step in induction:
        assert step.index == sp.Symbol("g", nonnegative=True, integer=True)
        assert step.prove() is True, step.description


def test_a_wrong_closed_form_fails_its_induction_step():
    """The induction step is a real check: a closed form off by a term that vanishes at g = 0 (so the base
    case still holds) is not proved, and its random-point check fails too."""
    claim = get_claim("gaussian1d-var-w2sq")
    step = next(s for s in claim.steps if s.kind == "recurrence" and "m_{2,2}" in s.description)
    g = step.index
    j = sp.Symbol("j", integer=True, nonnegative=True)
    wrong = sp.Sum(1 / (sp.IndexedBase("M", positive=True, integer=True)[j]) ** 3, (j, 0, g - 1))  # zero at g = 0
    bad = dataclasses.replace(step, lhs=step.lhs + wrong.subs(g, g + 1))
    assert bad.prove() is None
    assert not bad.check(seed=2, points=2).ok
    telescoped = next(s for s in get_claim("gaussian1d-var-x-mle").steps if s.kind == "invariant")
    assert dataclasses.replace(telescoped, rhs=telescoped.rhs * (1 + sp.Rational(1, 100))).prove() is None


def test_a_wrong_step_is_caught():
    step = get_claim("gaussian1d-mean-w2sq").steps[-1]
    bad = dataclasses.replace(step, rhs=step.rhs * (1 + sp.Rational(1, 10**6)))
    result = bad.check(seed=3, exact=True, points=2)
    assert not result.ok and result.exact is None


@pytest.mark.parametrize("cid", DERIVED)
def test_series_remainder_order(cid):
    check = V.check_series(get_claim(cid), 2, (3, 5, 7))
    assert check.ok, check


# ---------------------------------------------------------------------------------------------------------
# verdicts on the seed article


def test_published_verdicts_are_computed():
    verdicts = {cid: V._published_verdict(get_claim(cid)) for cid in claim_ids() if cid.startswith("shumailov")}
    assert verdicts["shumailov2024-a-var-x"] == ("exact", {})
    assert verdicts["shumailov2024-b-mean-w2sq"] == ("correct to the stated order", {})
    verdict, difference = verdicts["shumailov2024-c-var-w2sq"]
    assert verdict == "refuted"
    # derived minus published: 5/2 p1^2 - (2 p1^2 - p2/2) = p1^2/2 + p2/2
    assert difference == {"p1*p1": "1/2", "p2": "1/2"}
    claim = get_claim("shumailov2024-c-var-w2sq")
    (alt,) = claim.published.alternatives.values()
    assert alt.coefficients != claim.series(2).coefficients  # the unordered-pairs reading is wrong too


def test_published_b_is_not_exact_and_its_next_term_is_derived():
    claim = get_claim("shumailov2024-b-mean-w2sq")
    s2 = claim.series(2).power_sum_coefficients()
    assert s2 == {(1,): sp.Rational(3, 2), (2,): sp.Rational(1, 2), (1, 1): -sp.Rational(1, 16)}


# ---------------------------------------------------------------------------------------------------------
# a deliberately wrong formula


def _wrong_mean_w2sq():
    """E W2^2 with the coefficient of sum 1/M_i^2 changed from 1/2 to 1/4, in the exact form AND the series.

    The wrong claim is self-consistent (its series matches its exact form), so only the simulation can
    catch it.
    """
    claim = get_claim("gaussian1d-mean-w2sq")
    shift = -sp.Rational(1, 4)

    def exact_value(params, dps=17):
        sizes = params["sizes"]
        with mpmath.workdps(dps + 10):
            return claim.exact_value(params, dps + 10) + mpmath.mpf(shift.p) / shift.q * mpmath.fsum(mpmath.mpf(1) / m**2 for m in sizes)

    def series_of_order(order):
        s = claim.series(order)
        coeffs = dict(s.coefficients)
        if order >= 2:
            coeffs[(2,)] = coeffs.get((2,), 0) + shift
        return QuasiSymmetricSeries(coeffs, order)

    return dataclasses.replace(claim, id="wrong-mean-w2sq", exact_value=exact_value, series_of_order=series_of_order)


def test_wrong_series_coefficient_is_caught_by_the_remainder_check():
    claim = get_claim("gaussian1d-mean-w2sq")
    wrong = dataclasses.replace(claim, series_of_order=_wrong_mean_w2sq().series_of_order)
    assert V.check_series(claim, 2, (3, 5, 7)).ok
    assert not V.check_series(wrong, 2, (3, 5, 7)).ok


@pytest.mark.mc(checks=2)
def test_wrong_formula_is_caught_by_its_monte_carlo_check(mc_check, mc_seed):
    right, wrong = get_claim("gaussian1d-mean-w2sq"), _wrong_mean_w2sq()
    assert V.check_series(wrong, 2, (3, 5, 7)).ok  # self-consistent: only the simulation can tell
    seed = int(mc_seed.generate_state(1)[0])
    report = V.verify([right, wrong], scale="smoke", alpha=mc_check.budget(2), seed=seed)
    by_id = {r.claim_id: r for r in report.results}
    assert by_id["gaussian1d-mean-w2sq"].status == "holds" and by_id["gaussian1d-mean-w2sq"].ok
    bad = by_id["wrong-mean-w2sq"]
    assert bad.status == "fails" and not bad.ok and not report.ok
    assert abs(bad.mc.z) > bad.mc.threshold, bad.mc
    assert abs(by_id["gaussian1d-mean-w2sq"].mc.z) <= bad.mc.threshold
    # the check had the power it claims: the detectable deviation is below the next-order term
    assert bad.mc.powered and bad.mc.detectable < bad.mc.target


def test_report_is_json_ready():
    report = V.Report("smoke", 1, 1e-3, 0.8, 0, (), {"x": "y"})
    assert json.loads(json.dumps(report.to_dict()))["claims"] == []


def test_bad_arguments():
    with pytest.raises(ParameterError, match=r"scale must be one of smoke, ci, paper \(got 'huge'\)"):
        V.verify(["gaussian1d-var-x"], scale="huge")
    with pytest.raises(ParameterError, match=r"alpha must be a number in \(0, 1\) \(got 2.0\)"):
        V.verify(["gaussian1d-var-x"], alpha=2.0)
    with pytest.raises(ParameterError, match=r"alpha must be a number in \(0, 1\) \(got '0.1'\)"):
        V.verify(["gaussian1d-var-x"], alpha="0.1")
    with pytest.raises(ParameterError, match=r"power must be a number in \(0, 1\) \(got 2.0\)"):
        V.verify(["gaussian1d-var-x"], power=2.0)


def test_series_check_sees_weight_moved_between_compositions():
    """Equal sizes cannot tell sum 1/M_i^2 from (sum 1/M_i)^2 terms of the same weight; (M, 2M, 5M) can."""
    claim = get_claim("gaussian1d-var-w2sq")
    moved = QuasiSymmetricSeries({(1, 1): 4, (2,): sp.Rational(7, 2)}, 2)  # 5 -> 4 and 5/2 -> 7/2
    wrong = dataclasses.replace(claim, series_of_order=lambda k: moved if k == 2 else claim.series(k))
    assert V.check_series(claim, 2, (3, 5, 7)).ok
    assert not V.check_series(wrong, 2, (3, 5, 7)).ok


def test_group_seeds_do_not_depend_on_the_other_claims():
    one = V.verify(["gaussian1d-mean-sigma2"], scale="smoke", alpha=0.5)
    two = V.verify(["gaussian1d-mean-sigma2", "gaussian1d-var-x-mle"], scale="smoke", alpha=0.5)
    a, b = one.results[0].mc, two.results[0].mc
    assert a.seed == b.seed
