"""Evidence that can fail: brute-force Monte Carlo in verify, an independent route for every derivation step,
and a fault catalogue whose every deliberate error is caught by the checks expected to catch it."""

from __future__ import annotations

import dataclasses
import json

import pytest
import sympy as sp

from modelcollapse import models
from modelcollapse.cli import main
from modelcollapse.export.schema import validate
from modelcollapse.proofs import verify as V
from modelcollapse.proofs.claim import ROUTES, DerivationStep
from modelcollapse.proofs.faults import CHECKS, catalogue, run_fault
from modelcollapse.proofs.registry import get_claim, registry

SMALL = V.Scale("faults-test", 5_000, 400_000, True, 1, (3, 5, 7), 2_000, 200_000, 20.0)
"""A small scale for the fault tests: SymPy proofs, one random point per step, the series at three sizes, and
Monte Carlo checks sized for power 0.999 against each claim's target, capped at a few hundred thousand chains."""

FAULTS = catalogue()


NO_ROUTE = {
    "the recursion of": "a display of the recursion's rows; its values are checked by the explicit-points steps",
    "one step of accumulate-subsample: inclusion": "a display of the subsample recursion; checked by the "
                                                  "explicit-points steps that enumerate every subsample",
    "one step multiplies $E\\sigma^2$ by $c(i)$": "the engine's accumulate coefficient in closed form; the table "
                                                "itself is checked against explicit points by the regime claims",
    "every variance-gamma law has": "proved by SymPy for symbolic lambda and alpha (no point to evaluate)",
}
"""Steps known to have no independent route, with why: the report labels them so."""


def _known(step) -> bool:
    return any(step.description.startswith(k) for k in NO_ROUTE)


def test_every_step_of_every_claim_has_an_independent_route():
    claims = registry()
    steps = [(c, n, s) for c in claims for n, s in enumerate(c.steps, 1)]
    assert len(steps) > 250
    assert all(s.route in ROUTES for _, _, s in steps if s.route)
    bare = [(c.id, n) for c, n, s in steps if not s.route and not _known(s)]
    assert not bare, bare


def test_steps_without_a_route_are_labelled_in_the_report():
    from modelcollapse.cli import _verify_table

    mc = {"theory": 1.0, "estimate": 1.0, "z": 0.0, "threshold": 4.0, "detectable": 0.1, "target": 0.2, "chains": 10}
    data = {"claims": [{"claim_id": "c", "status": "holds", "ok": True, "mc": mc, "mc_brute": [dict(mc, z=1.5)],
                        "steps": [{"route": "quadrature"}, {"route": ""}, {"route": ""}], "notes": ["a note"]}],
            "scale": "ci", "seed": 1, "alpha": 1e-3, "checks": 2}
    text = _verify_table(data)
    assert "c: derivation steps S2, S3 without an independent route." in text and "c: a note." in text
    assert "+1.50" in text.splitlines()[2]  # the brute-force z beside the exact sampler's


def test_a_step_with_a_route_still_checks_its_own_sides():
    """The route does not excuse a wrong left side: the step's derivation must equal the right side too."""
    x = sp.Symbol("x", positive=True)
    step = DerivationStep(description="x^2 by a route", lhs=x**2 + x / 10**6, rhs=x**2, exact=False,
                          domain={x: lambda r: r.uniform(1, 2)}, numeric_lhs=lambda p: p[x] ** 2, route="points")
    result = step.check(seed=1, points=2)
    assert result.route_ok is True and result.sides_error > 1e-8 and not result.ok
    with pytest.raises(ValueError, match="step route must be one of"):
        DerivationStep(description="", lhs=x, rhs=x, route="magic")


def test_the_catalogue_covers_every_model_and_every_check():
    assert {f.model for f in FAULTS} == set(models.model_names())
    assert {c for f in FAULTS for c in f.expect} == set(CHECKS)
    # some faults only brute force can see: a wrong reduction believed by the theory and the exact sampler alike
    only_brute = [f.id for f in FAULTS if f.expect == ("mc brute",)]
    assert "gaussian1d-cochran-dof" in only_brute and "regression-wishart-dof" in only_brute


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_every_fault_is_caught_by_the_checks_expected_to(fault, mc_seed):
    seed = int(mc_seed.generate_state(1)[0])
    result = run_fault(fault, scale=SMALL, seed=seed, alpha=1e-3, power=0.999)
    assert result.caught, result
    assert not result.missed, (result.missed, result.detections)
    assert all(status in ("fails", "refuted", "underpowered", "holds") for status in result.statuses.values())
    # the fault is gone afterwards: the claims derive their correct values again
    for cid in result.claims:
        clean = get_claim(cid)
        if clean.published is None:
            assert all(s.check(seed=3, points=1).ok for s in clean.steps[:2])


@pytest.mark.mc(checks=2)
def test_an_underpowered_brute_force_check_leaves_the_claim_underpowered(mc_check):
    claim = get_claim("gaussian1d-mean-sigma2")
    tight = dataclasses.replace(V.SCALES["ci"], name="tight", exact_steps=False, step_points=1,
                                series_exponents=(3, 5, 7), brute_pilot_chains=20_000, brute_max_chains=60_000)
    (result,) = V.verify([claim], scale=tight, alpha=mc_check.budget(2)).results
    (brute,) = result.mc_brute
    assert brute.sampler == "brute" and brute.limited == "chain cap" and brute.chains == 60_000 < brute.needed
    assert brute.reliable and result.mc.reliable
    assert not brute.powered and 0 < brute.power_reached < 0.8
    assert result.mc.powered and result.status == "underpowered" and not result.ok
    assert any("brute-force check underpowered" in n and "chain cap" in n for n in result.notes)


@pytest.mark.mc(checks=1)
def test_a_model_without_a_brute_force_sampler_is_not_verified(mc_check):
    spec = dataclasses.replace(models.get_model("gaussian1d"), name="gaussexact", samplers=("exact",), claims=None,
                               faults=None)
    models.register(spec)
    try:
        claim = dataclasses.replace(get_claim("gaussian1d-mean-sigma2"), id="gaussexact-mean-sigma2", model="gaussexact")
        report = V.verify([claim], scale="smoke", alpha=mc_check.budget(1))
        (result,) = report.results
        assert report.checks == 1 and result.mc_brute == () and result.status == "underpowered"
        assert result.notes == ("no brute-force check: model gaussexact declares no brute-force sampler",)
    finally:
        models.unregister("gaussexact")


def test_verify_faults_command(capsys):
    code = main(["verify", "--faults", "categorical-published-suresh", "regression-chi2-moment", "--scale", "smoke",
                 "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    head = out.splitlines()[0].split()
    assert head == ["fault", "step", "route", "series", "mc", "exact", "mc", "brute", "published", "verdict"]
    assert "2/2 faults caught" in out and "changed*" in out
    code = main(["verify", "--faults", "regression-published-dohmatob", "--scale", "smoke", "--quiet", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"] and data["faults"][0]["caught_by"] == ["published"]
    validate(data, "faults")
    assert main(["verify", "--faults", "nonsense", "--quiet"]) == 2
    assert "faults must be model names or fault ids" in capsys.readouterr().err


@pytest.mark.mc(checks=2)
def test_an_unresolved_heavy_tail_is_rerun_once_with_four_times_the_chains(monkeypatch, mc_seed):
    """Both samplers: a main run whose estimate comes back unreliable is repeated once, independently, with
    RERUN_FACTOR times the chains; only the rerun is reported."""
    real = V._simulate
    calls = []

    def simulate(model, params, chains, seed, workers, executor, sampler="exact"):
        est = real(model, params, chains, seed, workers, executor, sampler=sampler)
        calls.append((sampler, chains, tuple(seed.spawn_key)))
        main_runs = [c for c in calls if c[0] == sampler]
        if len(main_runs) == 2:  # the first run after the pilot: pretend its tail was not resolved
            est = {k: dataclasses.replace(e, reliable=False, reason="injected") for k, e in est.items()}
        return est

    monkeypatch.setattr(V, "_simulate", simulate)
    seed = int(mc_seed.generate_state(1)[0])
    report = V.verify(["gaussian1d-var-x"], scale="smoke", seed=seed).to_dict()
    for sampler, key in (("exact", "mc"), ("brute", "mc_brute")):
        runs = [c for c in calls if c[0] == sampler]
        assert len(runs) == 3 and runs[2][1] == V.RERUN_FACTOR * runs[1][1] and runs[2][2] != runs[1][2], runs
        check = report["claims"][0][key]
        check = check[0] if isinstance(check, list) else check
        assert check["chains"] == runs[2][1] and check["reliable"]
