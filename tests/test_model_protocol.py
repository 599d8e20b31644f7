"""The model protocol: a toy model declared here and registered at run time goes through `theory`,
`simulate`, `verify`, `sweep`, `plot` and the appendix with no edit to those modules; `models` lists it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import mpmath
import numpy as np
import pytest
import sympy as sp

from modelcollapse import models
from modelcollapse._validation import ParameterError
from modelcollapse.cli import main
from modelcollapse.models import Figure, Model, Parameter, Quantity, TheoryResult
from modelcollapse.numeric.estimators import Estimate, MomentSummary
from modelcollapse.proofs.claim import Claim, DerivationStep
from modelcollapse.proofs.registry import claim_ids, get_claim
from modelcollapse.symbolic.series import QuasiSymmetricSeries

# --- the toy: a coin whose bias is refit by counting, p_{i+1} = Binomial(M_i, p_i) / M_i -----------------
#   E p_g = p, and E[p_g(1 - p_g)] = p(1-p) prod_i (1 - 1/M_i), so Var p_g = p(1-p) (1 - prod_i (1 - 1/M_i)).

P, Mi, g = sp.Symbol("p", positive=True), sp.IndexedBase("M", positive=True, integer=True), sp.Symbol("g", integer=True)


def _var_p(sizes, p, dps=17):
    with mpmath.workdps(dps + 10):
        keep = mpmath.fprod(1 - mpmath.mpf(1) / m for m in sizes)
        return +(mpmath.mpf(p) * (1 - mpmath.mpf(p)) * (1 - keep))


def _var_p_series(order: int) -> QuasiSymmetricSeries:
    # 1 - prod(1 - e_i) = e_1 (1) - e_1 e_2 (1,1) + ...: the coefficient of the composition (1,...,1) of length l
    return QuasiSymmetricSeries({(1,) * n: sp.Rational((-1) ** (n + 1), 4) for n in range(1, order + 1)}, order)


def toy_theory(*, sizes, p, order, digits, record):
    out = []
    for k in range(1, len(sizes) + 1) if record == "all" else (len(sizes),):
        exact = {"mean_p": mpmath.mpf(p), "var_p": _var_p(sizes[:k], p, digits)}
        series = {"mean_p": mpmath.mpf(p)}
        if p == 0.5:
            series["var_p"] = _var_p_series(order).evaluate(sizes[:k], digits)
        out.append(TheoryResult(generation=k, exact=exact, series=series, order=order, absolute=exact,
                                no_series={} if p == 0.5 else {"var_p": "the toy's series is for p = 1/2"}))
    return out if record == "all" else out[0]


@dataclass
class ToyResult:
    summaries: dict
    chains: int
    seed: int

    @property
    def generations(self):
        return tuple(self.summaries)

    def estimates(self, generation=None):
        s = self.summaries[generation or max(self.summaries)]
        return {"mean_p": s.mean(), "var_p": s.var(), "extinct": Estimate(0.0, 0.0)}

    def paths(self):
        return {"p": self.path}

    def to_dict(self):
        return {"chains": self.chains, "seed": self.seed,
                "estimates": {k: e.to_dict() for k, e in self.estimates().items()}}


def toy_simulate(*, sizes, p, chains, seed=None, sampler="exact", record="final", trajectories=False, **_):
    rng = np.random.default_rng(np.random.SeedSequence(seed) if not isinstance(seed, np.random.SeedSequence) else seed)
    x = np.full(chains, p)
    summaries, path = {}, [x.copy()]
    for k, m in enumerate(sizes, 1):
        x = rng.binomial(m, x) / m
        path.append(x.copy())
        if record == "all" or k == len(sizes):
            summaries[k] = MomentSummary.from_array(x)
    res = ToyResult(summaries, chains, 0 if seed is None else 1)
    res.path = np.array(path).T if trajectories else None
    return res


def toy_claims():
    def claim():
        statement = P * (1 - P) * (1 - sp.Product(1 - 1 / Mi[sp.Symbol("j")], (sp.Symbol("j"), 0, g - 1)))
        m0 = sp.Symbol("M_0", positive=True, integer=True)
        step = DerivationStep(
            description="one refit: $E[p_1^2] = p^2 + p(1-p)/M_0$",
            lhs=sp.expand(m0 * P**2 * (m0 - 1) / m0**2 + m0 * P / m0**2),  # E[X^2]/M^2 for X ~ Bin(M, p)
            rhs=P**2 + P * (1 - P) / m0,
            domain={m0: lambda r: r.randint(2, 50), P: lambda r: mpmath.mpf(r.uniform(0.1, 0.9))},
        )
        return Claim(
            id="toycoin-var-p", title="Variance of the refit coin bias", model="toycoin", quantity="var_p",
            lhs_latex=r"\operatorname{Var} p_g", statement=statement, assumptions=("a coin refit by counting",),
            steps=(step,), exact_value=lambda params, dps=17: _var_p(params["sizes"], params["p"], dps),
            params=TOY.resolve({"sizes": (6, 9, 5), "p": 0.5}), series_order=1, series_of_order=_var_p_series,
            series_symbols=(Mi, g), unit=sp.Integer(1),
        )

    return {"toycoin-var-p": claim}


TOY = Model(
    name="toycoin",
    description="a coin refit by counting (test toy)",
    parameters=(
        Parameter("sizes", "sizes", "tosses per generation", symbol="M_i", minimum=1),
        Parameter("p", "float", "bias of the original coin", default=0.5, minimum=0.0, maximum=1.0, symbol="p"),
    ),
    quantities=(
        Quantity("mean_p", r"E\,p_g", description="mean bias"),
        Quantity("var_p", r"\operatorname{Var} p_g", description="variance of the bias"),
        Quantity("extinct", r"P(p_g = 0)", exact=False, series=False, description="simulation only"),
    ),
    theory=toy_theory,
    simulate=toy_simulate,
    claims=toy_claims,
    generations=lambda params: len(params["sizes"]),
    figures=(Figure("var", "Variance of the bias", ("var_p",)), Figure("paths", "Chains", ("p", "mean_p"), kind="paths")),
    notation=((r"p", r"bias of the original coin"),),
)


@pytest.fixture
def toy():
    models.register(TOY)
    yield TOY
    models.unregister("toycoin")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_lists_the_toy_with_its_declarations(toy, capsys):
    code, out, _ = run(capsys, "models", "--json")
    entry = {m["name"]: m for m in json.loads(out)["models"]}["toycoin"]
    assert code == 0 and [p["name"] for p in entry["parameters"]] == ["sizes", "p"]
    assert entry["parameters"][1] == {
        "name": "p", "option": "--p", "kind": "float", "constraint": "a finite number between 0 and 1",
        "default": 0.5, "required": False, "symbol": "p", "help": "bias of the original coin", "grid": True,
    }
    assert [q["key"] for q in entry["quantities"]] == ["mean_p", "var_p", "extinct"]
    code, out, _ = run(capsys, "models")
    assert "toycoin: a coin refit by counting" in out and "--sizes" in out and "gaussian1d" in out


def test_theory_of_the_toy(toy, capsys):
    code, out, err = run(capsys, "theory", "toycoin", "--sizes", "4,5", "--p", "0.5", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["model"] == "toycoin" and obj["sizes"] == [4, 5] and obj["p"] == 0.5
    assert obj["exact"]["var_p"] == pytest.approx(0.25 * (1 - 0.75 * 0.8))
    assert obj["series"] == {"order": 2, "mean_p": 0.5, "var_p": pytest.approx(0.25 * (0.45 - 0.05))}
    code, out, err = run(capsys, "theory", "toycoin", "--sizes", "4", "--p", "1.5")
    assert code == 2 and err.count("\n") == 1 and "p must be a finite number between 0 and 1 (got 1.5)" in err


def test_simulate_of_the_toy(toy, capsys):
    code, out, _ = run(capsys, "simulate", "toycoin", "--sizes", "4,5", "--chains", "20000", "--seed", "3", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["model"] == "toycoin" and obj["p"] == 0.5
    assert set(obj["estimates"]) == {"mean_p", "var_p", "extinct"}
    code, _, err = run(capsys, "simulate", "toycoin", "--sizes", "4", "--chains", "10", "--sampler", "magic")
    assert code == 2 and err.count("\n") == 1 and "sampler must be one of exact, brute (got 'magic')" in err


@pytest.mark.mc(checks=1)
def test_verify_and_appendix_of_the_toy(toy, mc_check, tmp_path):
    from modelcollapse.export.appendix import write_paper
    from modelcollapse.proofs.verify import verify

    assert "toycoin-var-p" in claim_ids() and get_claim("toycoin-var-p").model == "toycoin"
    report = verify(["toycoin-var-p"], scale="smoke", alpha=mc_check.budget(1))
    (result,) = report.results
    assert result.ok and result.status == "holds" and result.series.ok and all(s.ok for s in result.steps)
    assert result.mc.params == {"sizes": [6, 9, 5], "p": 0.5}
    files = write_paper(tmp_path / "paper", ["toycoin-var-p"], report=report.to_dict())
    tex = files.appendix.read_text()
    assert r"\label{thm:toycoin-var-p}" in tex and r"\input{notation/toycoin}" in tex
    assert "bias of the original coin" in (tmp_path / "paper" / "notation" / "toycoin.tex").read_text()
    assert r"\operatorname{Var} p_g" in (tmp_path / "paper" / "claims" / "toycoin-var-p.tex").read_text()


def test_sweep_of_the_toy_over_a_declared_parameter(toy, tmp_path, capsys):
    out = tmp_path / "toy.csv"
    code, printed, err = run(capsys, "sweep", "toycoin", "--sizes", "5x3", "--grid", "p=0.25,0.5", "--chains", "3000",
                             "--seed", "4", "--out", str(out), "--quiet", "--workers", "1")
    assert code == 0, err
    from modelcollapse.sweep import read_table

    rows = read_table(out)
    assert [(r["p"], r["quantity"]) for r in rows] == [(p, q) for p in ("0.25", "0.5") for q in TOY.quantity_keys]
    assert {r["M"] for r in rows} == {5} and {r["g"] for r in rows} == {3}
    assert "p in 0.25; 0.5" in printed
    code, _, err = run(capsys, "sweep", "toycoin", "--sizes", "5", "--grid", "q=1", "--chains", "10", "--out",
                       str(tmp_path / "x.csv"))
    assert code == 2 and "parameter must be one of sizes, p for model toycoin (got 'q')" in err


def test_plot_of_the_toy(toy, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    code, out, _ = run(capsys, "plot", "toycoin", "--sizes", "5x4", "--out", str(tmp_path), "--chains", "500")
    assert code == 0 and [p.rsplit("/", 1)[-1] for p in out.split()] == ["var.png", "paths.png"]


def test_protocol_rejects_bad_declarations_and_values():
    with pytest.raises(ValueError, match="declares a parameter twice"):
        Model(name="x", description="", parameters=(TOY.parameters[0],) * 2, quantities=(), theory=None,
              simulate=None, generations=len)
    with pytest.raises(ParameterError, match=r"--sizes is required for model toycoin"):
        TOY.resolve({"p": 0.2})
    with pytest.raises(ParameterError, match=r"parameter must be one of sizes, p for model toycoin \(got 'q'\)"):
        TOY.resolve({"sizes": (3,), "q": 1})
    assert TOY.resolve({"sizes": "3x2", "p": "0.3"}, parse=True) == {"sizes": (3, 3), "p": 0.3}
    with pytest.raises(ParameterError, match="model must be one of"):
        models.get_model("toycoin")  # not registered outside the fixture
